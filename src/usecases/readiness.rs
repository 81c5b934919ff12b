//! Readiness: each client's needs against what its approved, uninspected-or-passed contracts cover
//! (docs/domain.md section 5, rules R11 and R12).

use std::collections::HashMap;

use crate::access::{self, Caller, ContractScope};
use crate::domain::Invalid;
use crate::domain::ids::{OrganizationId, SeasonId};
use crate::domain::readiness::{self as plan, Cover, Group, Readiness};
use crate::error::Error;
use crate::storage::DbConnection;
use crate::storage::plans::{self as store, SeasonClient, cover_of, group_of};
use crate::storage::readiness::{self as view, Line, LineFilter, LineRow, PageError};

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
            let r = plan::assess(&g, covers, own_allocation(c));
            (r, g)
        })
        .collect())
}

/// One client's readiness with its groups, by arrival then name.
pub struct ClientDetail {
    pub client: SeasonClient,
    pub readiness: Readiness,
    pub groups: Vec<Group>,
}

/// The readiness of the clients the caller may see, worst first, a page at a time: each client's
/// line as the last change to its inputs wrote it (see [`record`]). Clients with no line yet (a
/// season seeded, or from before the view) are assessed first and their lines written.
pub fn season_page(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
    filter: &LineFilter,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Line>, Error> {
    super::seasons::find(conn, season_id.as_str())?;
    let scope = access::plan_scope(caller);
    fill(conn, season_id.as_str(), &scope)?;
    view::page(conn, season_id.as_str(), &scope, filter, after, limit).map_err(|e| match e {
        PageError::UnknownCursor => Error::invalid_query("cursor", Invalid::new("invalid_cursor")),
        PageError::Query(e) => e.into(),
    })
}

/// How many clients [`season_page`] lists in all with this filter, and the countries of those it
/// lists with none (for a reader's filter). Read after a page, whose reading filled the view.
pub fn season_totals(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
    filter: &LineFilter,
) -> Result<(i64, Vec<String>), Error> {
    let scope = access::plan_scope(caller);
    Ok((
        view::count(conn, season_id.as_str(), &scope, filter)?,
        view::countries(conn, season_id.as_str(), &scope)?,
    ))
}

/// Writes the lines of the season's clients within a scope that have none; answers how many.
pub fn fill(
    conn: &mut DbConnection,
    season_id: &str,
    scope: &ContractScope,
) -> Result<usize, Error> {
    let missing = view::missing(conn, season_id, scope)?;
    if missing.is_empty() {
        return Ok(0);
    }
    // Many clients: read the season's groups and contracts whole rather than by a long list of ids.
    let all = *scope == ContractScope::All && missing.len() > 200;
    let rows: Vec<LineRow> = assess_clients(conn, season_id, &missing, all)?
        .iter()
        .zip(&missing)
        .map(|((r, _), c)| LineRow::new(season_id, &c.id, &r.summary(own_allocation(c))))
        .collect();
    view::put_missing(conn, &rows)?;
    Ok(rows.len())
}

/// Writes a client's line in the view from the readiness just assessed after a change to its
/// inputs. Run in the change's transaction, after the change (see `feed::readiness_inputs_changed`).
pub fn record(
    conn: &mut DbConnection,
    season_id: &str,
    client: &SeasonClient,
    readiness: &Readiness,
) -> Result<(), Error> {
    let summary = readiness.summary(own_allocation(client));
    Ok(view::put(
        conn,
        &LineRow::new(season_id, &client.id, &summary),
    )?)
}

/// The pilgrims a client holds itself: its allocation less what it passed on to agencies.
pub fn own_allocation(client: &SeasonClient) -> i64 {
    client.pilgrims - client.suballocated
}

/// Compares every line of the view with the readiness assessed afresh from the season's groups,
/// contracts and inspections: answers how many lines were compared and each that differs. A client
/// with no line yet is not a fault (its line is written when the view is first read).
pub fn verify_view(conn: &mut DbConnection) -> Result<(usize, Vec<String>), Error> {
    let mut compared = 0;
    let mut problems = Vec::new();
    let mut after: Option<String> = None;
    loop {
        let seasons = crate::storage::seasons::list(conn, None, after.as_deref(), 100)?;
        let Some(last) = seasons.last() else { break };
        after = Some(last.id.clone());
        for season in &seasons {
            let clients = store::season_clients(conn, &season.id, &ContractScope::All)?;
            let assessed = assess_clients(conn, &season.id, &clients, true)?;
            let expected: HashMap<&str, LineRow> = clients
                .iter()
                .zip(&assessed)
                .map(|(c, (r, _))| {
                    let row = LineRow::new(&season.id, &c.id, &r.summary(own_allocation(c)));
                    (c.id.as_str(), row)
                })
                .collect();
            for line in view::season_lines(conn, &season.id)? {
                compared += 1;
                match expected.get(line.client_id.as_str()) {
                    Some(fresh) if *fresh == line => {}
                    Some(fresh) => problems.push(format!(
                        "readiness of client {} in season {} is listed as {:?} but is {:?}",
                        line.client_id,
                        season.id,
                        line.summary(),
                        fresh.summary()
                    )),
                    None => problems.push(format!(
                        "readiness of client {} is listed in season {}, where it holds no allocation",
                        line.client_id, season.id
                    )),
                }
            }
        }
    }
    Ok((compared, problems))
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
