//! Readiness: each client's needs against what its approved, uninspected-or-passed contracts cover
//! (docs/domain.md section 5, rules R11 and R12).

use std::collections::HashMap;

use crate::access::{self, Caller, ContractScope};
use crate::domain::ids::{OrganizationId, SeasonId};
use crate::domain::readiness::{self as plan, Cover, Group, Readiness};
use crate::error::Error;
use crate::storage::DbConnection;
use crate::storage::plans::{self as store, SeasonClient, cover_of, group_of};

/// Readiness of the given clients of a season, from three queries whatever their number; `all`
/// reads every client of the season at once (the ministry's view, the reminders).
pub fn assess_clients(
    conn: &mut DbConnection,
    season_id: &str,
    clients: &[SeasonClient],
    all: bool,
) -> Result<Vec<(Readiness, Vec<Group>)>, Error> {
    let ids: Vec<String> = clients.iter().map(|c| c.id.clone()).collect();
    let filter = (!all).then_some(ids.as_slice());
    let mut groups: HashMap<String, Vec<Group>> = HashMap::new();
    for row in store::season_groups(conn, season_id, filter)? {
        groups
            .entry(row.organization_id.clone())
            .or_default()
            .push(group_of(&row)?);
    }
    let mut covers: HashMap<String, Vec<Cover>> = HashMap::new();
    for (c, failed_inspection) in store::coverage(conn, season_id, filter)? {
        if let Some(cover) = cover_of(&c, failed_inspection) {
            covers.entry(c.client_id.clone()).or_default().push(cover);
        }
    }
    Ok(clients
        .iter()
        .map(|c| {
            let g = groups.remove(&c.id).unwrap_or_default();
            let covers = covers.get(&c.id).map(Vec::as_slice).unwrap_or(&[]);
            let r = plan::assess(&g, covers, c.pilgrims - c.suballocated);
            (r, g)
        })
        .collect())
}

/// A client of the season with its readiness.
pub struct ClientReadiness {
    pub client: SeasonClient,
    pub readiness: Readiness,
}

/// One client's readiness with its groups, by arrival then name.
pub struct ClientDetail {
    pub client: SeasonClient,
    pub readiness: Readiness,
    pub groups: Vec<Group>,
}

/// Incomplete clients first, by how much of their allocation is planned and covered (the share
/// planned times the share of the plan's needs covered: a client with nothing planned is the least
/// ready); ready ones last.
fn worst_first_key(r: &Readiness, c: &SeasonClient) -> (bool, f64) {
    let own = (c.pilgrims - c.suballocated).max(1) as f64;
    (r.ready(), (r.planned as f64 / own).min(1.0) * r.ratio())
}

/// The readiness of every client of the season the caller may see, worst first.
pub fn season_view(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
) -> Result<Vec<ClientReadiness>, Error> {
    super::seasons::find(conn, season_id.as_str())?;
    let scope = access::plan_scope(caller);
    let clients = store::season_clients(conn, season_id.as_str(), &scope)?;
    let assessed = assess_clients(
        conn,
        season_id.as_str(),
        &clients,
        scope == ContractScope::All,
    )?;
    let mut rows: Vec<_> = clients
        .into_iter()
        .zip(assessed)
        .map(|(client, (readiness, _))| ClientReadiness { client, readiness })
        .collect();
    rows.sort_by(|a, b| {
        worst_first_key(&a.readiness, &a.client)
            .partial_cmp(&worst_first_key(&b.readiness, &b.client))
            .unwrap_or(std::cmp::Ordering::Equal)
            .then_with(|| a.client.name.cmp(&b.client.name))
    });
    Ok(rows)
}

/// One client's readiness, if the caller may see its plans.
pub fn client_view(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
    client_id: &OrganizationId,
) -> Result<ClientDetail, Error> {
    super::seasons::find(conn, season_id.as_str())?;
    let client = store::season_clients(conn, season_id.as_str(), &access::plan_scope(caller))?
        .into_iter()
        .find(|c| c.id == client_id.as_str())
        .ok_or_else(Error::not_found)?;
    let (readiness, mut groups) = assess_clients(
        conn,
        season_id.as_str(),
        std::slice::from_ref(&client),
        false,
    )?
    .pop()
    .ok_or_else(Error::internal)?;
    groups.sort_by(|a, b| (a.arrival_date, &a.name).cmp(&(b.arrival_date, &b.name)));
    Ok(ClientDetail {
        client,
        readiness,
        groups,
    })
}
