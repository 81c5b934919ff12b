//! Readiness: each client's needs against what its approved, uninspected-or-passed contracts cover
//! (docs/domain.md section 5, rules R11 and R12), what the wallet lacks (R20) and the facility papers
//! lapsing before the end of a contract (R25).

use std::collections::HashMap;

use crate::access::{self, Caller, ContractScope, SessionGuard};
use crate::domain::Invalid;
use crate::domain::document::{self, Lapse};
use crate::domain::ids::{ContractId, OrganizationId, SeasonId};
use crate::domain::readiness::{self as plan, Cover, Group, Readiness};
use crate::error::Error;
use crate::storage::documents::{self, HeldBy, HeldRow};
use crate::storage::models::SeasonRow;
use crate::storage::plans::{self as store, SeasonClient, cover_of, group_of};
use crate::storage::readiness::{self as view, Line, LineFilter, LineRow, PageError};
use crate::storage::{DbConnection, ledger};

/// Readiness of the given clients of a season, from a few queries whatever their number; `all`
/// reads every client of the season at once (the ministry's view, the reminders).
pub fn assess_clients(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    clients: &[SeasonClient],
    all: bool,
) -> Result<Vec<(Readiness, Vec<Group>)>, Error> {
    let ids: Vec<OrganizationId> = clients.iter().map(|c| c.id.clone()).collect();
    let filter = (!all).then_some(ids.as_slice());
    let mut groups: HashMap<OrganizationId, Vec<Group>> = HashMap::new();
    for row in store::season_groups(conn, season_id, filter)? {
        groups
            .entry(row.organization_id.clone())
            .or_default()
            .push(group_of(&row)?);
    }
    let mut covers: HashMap<OrganizationId, Vec<Cover>> = HashMap::new();
    for (c, failed_inspection) in store::coverage(conn, season_id, filter)? {
        if let Some(cover) = cover_of(&c, failed_inspection) {
            covers.entry(c.client_id.clone()).or_default().push(cover);
        }
    }
    let lacking: HashMap<OrganizationId, i64> = ledger::shortfalls(conn, season_id, filter, None)?
        .into_iter()
        .map(|s| (s.client_id.clone(), s.lacking()))
        .collect();
    let held = documents::held(conn, HeldBy::Season(season_id, filter))?;
    let client_of: HashMap<&ContractId, &OrganizationId> = held
        .iter()
        .map(|h| (&h.contract_id, &h.client_id))
        .collect();
    let mut lapsing: HashMap<OrganizationId, Vec<Lapse>> = HashMap::new();
    for lapse in document::lapses(held.iter().map(HeldRow::held)) {
        let client = client_of[&lapse.contract_id].clone();
        lapsing.entry(client).or_default().push(lapse);
    }
    Ok(clients
        .iter()
        .map(|c| {
            let g = groups.remove(&c.id).unwrap_or_default();
            let covers = covers.get(&c.id).map(Vec::as_slice).unwrap_or(&[]);
            let mut r = plan::assess(&g, covers, own_allocation(c));
            r.unfunded = lacking.get(&c.id).copied().unwrap_or(0);
            r.lapsing = lapsing.remove(&c.id).unwrap_or_default();
            (r, g)
        })
        .collect())
}

/// One client's readiness with its groups, by arrival then name.
pub struct ClientDetail {
    pub client: SeasonClient,
    pub readiness: Readiness,
    pub groups: Vec<Group>,
    /// Whether the caller sees the client's money (what its wallet lacks): not tawafa
    /// establishments and authorities.
    pub money: bool,
}

/// The readiness of the clients the caller may see, worst first, a page at a time: each client's
/// line as the last change to its inputs wrote it (see [`record`]; clients with none yet were
/// written by [`settle_seasons`] when the server started, or by `etrack seed`).
pub fn season_page(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
    filter: &LineFilter,
    after: Option<&OrganizationId>,
    limit: i64,
) -> Result<Vec<Line>, Error> {
    super::seasons::find(conn, season_id)?;
    let scope = access::plan_scope(caller);
    view::page(conn, season_id, &scope, filter, after, limit).map_err(|e| match e {
        PageError::UnknownCursor => Error::invalid_query("cursor", Invalid::new("invalid_cursor")),
        PageError::Query(e) => e.into(),
    })
}

/// How many clients [`season_page`] lists in all with this filter, and the countries of those it
/// lists with none (for a reader's filter).
pub fn season_totals(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
    filter: &LineFilter,
) -> Result<(i64, Vec<String>), Error> {
    let scope = access::plan_scope(caller);
    Ok((
        view::count(conn, season_id, &scope, filter)?,
        view::countries(conn, season_id, &scope)?,
    ))
}

/// Brings the all-clients view of every season up to date as a process starts: each client whose
/// line is missing (data from before the view) or differs from a fresh assessment (a line left
/// behind by a process of an earlier version, which did not keep the view) is assessed again under
/// its readiness mark, in a transaction of its own, as a change would. Answers how many.
pub fn settle_seasons(conn: &mut DbConnection) -> Result<usize, Error> {
    let mut mended = 0;
    for season in every_season(conn)? {
        let (_, differing) = compare(conn, &season.id)?;
        for (client_id, _) in differing {
            crate::storage::write_transaction(conn, |conn| {
                reassess(conn, &season.id, &client_id).map(|_| ())
            })?;
            mended += 1;
        }
    }
    Ok(mended)
}

/// Assesses one client afresh and writes its line in the view, holding the client's readiness mark
/// for the rest of the transaction, so that the changes to one client are taken one after the
/// other in every process and the line follows the last of them. Answers the readiness and the
/// fingerprint last published for the feed; `None` for a client holding no allocation. Run inside
/// a write transaction, after the change.
pub fn reassess(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    client_id: &OrganizationId,
) -> Result<Option<(Readiness, String)>, Error> {
    let (_, last) = crate::storage::feed::lock_readiness_mark(conn, season_id, client_id)?;
    let Some(client) =
        store::season_client(conn, season_id, (&ContractScope::All, None), client_id)?
    else {
        return Ok(None);
    };
    let (readiness, _) = assess_clients(conn, season_id, std::slice::from_ref(&client), false)?
        .pop()
        .ok_or_else(Error::internal)?;
    record(conn, season_id, &client, &readiness)?;
    Ok(Some((readiness, last)))
}

/// Every season, oldest first.
fn every_season(conn: &mut DbConnection) -> Result<Vec<SeasonRow>, Error> {
    let mut seasons = Vec::new();
    loop {
        let after = seasons.last().map(|s: &SeasonRow| s.id.clone());
        let batch = crate::storage::seasons::list(conn, None, after.as_ref(), 100)?;
        if batch.is_empty() {
            return Ok(seasons);
        }
        seasons.extend(batch);
    }
}

/// Writes the lines of the season's clients that have none (a season just seeded), keeping any
/// line a change wrote meanwhile; answers how many.
pub fn fill(conn: &mut DbConnection, season_id: &SeasonId) -> Result<usize, Error> {
    let rows: Vec<LineRow> = assess_unlisted(conn, season_id)?
        .iter()
        .map(|(c, r)| LineRow::new(season_id, &c.id, &r.summary(own_allocation(c))))
        .collect();
    if !rows.is_empty() {
        view::put_missing(conn, &rows)?;
    }
    Ok(rows.len())
}

/// The clients of a season whose readiness is incomplete, by id: as the view lists them (it
/// follows every change to their inputs, see [`record`]), and those it has no line for yet as
/// assessed afresh.
pub fn incomplete_clients(
    conn: &mut DbConnection,
    season_id: &SeasonId,
) -> Result<Vec<OrganizationId>, Error> {
    let mut incomplete = view::incomplete(conn, season_id)?;
    incomplete.extend(
        assess_unlisted(conn, season_id)?
            .into_iter()
            .filter(|(_, r)| !r.ready())
            .map(|(c, _)| c.id),
    );
    Ok(incomplete)
}

/// The clients of a season holding an allocation but no line in the view, each assessed afresh.
fn assess_unlisted(
    conn: &mut DbConnection,
    season_id: &SeasonId,
) -> Result<Vec<(SeasonClient, Readiness)>, Error> {
    let missing = view::missing(conn, season_id)?;
    if missing.is_empty() {
        return Ok(Vec::new());
    }
    // Many clients: read the season's groups and contracts whole rather than by a long list of ids.
    let all = missing.len() > 200;
    let assessed = assess_clients(conn, season_id, &missing, all)?;
    Ok(missing
        .into_iter()
        .zip(assessed)
        .map(|(c, (r, _))| (c, r))
        .collect())
}

/// Writes a client's line in the view from the readiness just assessed after a change to its
/// inputs. Run in the change's transaction, after the change (see `feed::readiness_inputs_changed`).
pub fn record(
    conn: &mut DbConnection,
    season_id: &SeasonId,
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
/// contracts and inspections: answers how many lines were compared and each that differs, is
/// missing (a client holding an allocation with no line) or is about a client holding none.
pub fn verify_view(conn: &mut DbConnection) -> Result<(usize, Vec<String>), Error> {
    let mut compared = 0;
    let mut problems = Vec::new();
    for season in &every_season(conn)? {
        let (lines, differing) = compare(conn, &season.id)?;
        compared += lines;
        problems.extend(differing.into_iter().map(|(_, problem)| problem));
    }
    Ok((compared, problems))
}

/// One season's lines against a fresh assessment of its clients: how many lines there are, and
/// each client whose line differs, is missing or should not be there, with what is wrong.
fn compare(
    conn: &mut DbConnection,
    season_id: &SeasonId,
) -> Result<(usize, Vec<(OrganizationId, String)>), Error> {
    let clients = store::season_clients(conn, season_id, &ContractScope::All)?;
    let assessed = assess_clients(conn, season_id, &clients, true)?;
    let mut expected: HashMap<&OrganizationId, LineRow> = clients
        .iter()
        .zip(&assessed)
        .map(|(c, (r, _))| {
            let row = LineRow::new(season_id, &c.id, &r.summary(own_allocation(c)));
            (&c.id, row)
        })
        .collect();
    let lines = view::season_lines(conn, season_id)?;
    let mut differing = Vec::new();
    for line in &lines {
        let about = format!(
            "readiness of client {} in season {season_id}",
            line.client_id
        );
        let problem = match expected.remove(&line.client_id) {
            Some(fresh) if fresh == *line => continue,
            Some(fresh) => format!(
                "{about} is listed as {:?} but is {:?}",
                line.summary(),
                fresh.summary()
            ),
            None => format!("{about} is listed, but it holds no allocation"),
        };
        differing.push((line.client_id.clone(), problem));
    }
    let mut unlisted: Vec<&OrganizationId> = expected.into_keys().collect();
    unlisted.sort_unstable();
    for client in unlisted {
        differing.push((
            client.clone(),
            format!("readiness of client {client} in season {season_id} is not listed"),
        ));
    }
    Ok((lines.len(), differing))
}

/// One client's readiness, if the caller may see its plans; a caller read from its token reads
/// with the `guard` its session must pass (see `AppState::read_guarded`), carried by the first
/// statement: nothing after it runs unless the session held.
pub fn client_view(
    conn: &mut DbConnection,
    (caller, guard): (&Caller, Option<&SessionGuard>),
    season_id: &SeasonId,
    client_id: &OrganizationId,
) -> Result<ClientDetail, Error> {
    // A client holds an allocation only in a season that exists: a missing season is not found
    // here as well.
    let scope = access::plan_scope(caller);
    let client = store::season_client(conn, season_id, (&scope, guard), client_id)?
        .ok_or_else(Error::not_found)?;
    let (readiness, mut groups) =
        assess_clients(conn, season_id, std::slice::from_ref(&client), false)?
            .pop()
            .ok_or_else(Error::internal)?;
    groups.sort_by(|a, b| (a.arrival_date, &a.name).cmp(&(b.arrival_date, &b.name)));
    Ok(ClientDetail {
        client,
        readiness,
        groups,
        money: access::sees_money(caller),
    })
}
