//! The all-clients readiness view: one line per client and season with its readiness in figures,
//! written in the transaction of every change to the client's inputs (see
//! `usecases::readiness::record`), so that reading the view is reading a page of rows.

use diesel::prelude::*;

use super::plans::{SeasonClient, clients_in_scope};
use super::prepared::KeepPrepared;
use super::schema::{allocations, organizations, readiness_view};
use super::{DbConnection, MultiBackend};
use crate::access::ContractScope;
use crate::domain::ids::{OrganizationId, SeasonId};
use crate::domain::organization::OrgKind;
use crate::domain::readiness::{CategoryCoverage, Summary};

/// A client's line as stored.
#[derive(Queryable, Selectable, Insertable, AsChangeset, Debug, Clone, PartialEq, Eq)]
#[diesel(table_name = readiness_view, primary_key(season_id, client_id))]
pub struct LineRow {
    pub season_id: SeasonId,
    pub client_id: OrganizationId,
    pub allocation: i64,
    pub planned: i64,
    pub unplanned: i64,
    pub ready: bool,
    pub rank: i64,
    pub housing_needed: i64,
    pub housing_covered: i64,
    pub transport_needed: i64,
    pub transport_covered: i64,
    pub catering_needed: i64,
    pub catering_covered: i64,
    pub gaps: i64,
    pub visa_eligible: i64,
    pub unfunded: i64,
    pub lapsing: i64,
}

impl LineRow {
    pub fn new(season_id: &SeasonId, client_id: &OrganizationId, s: &Summary) -> LineRow {
        LineRow {
            season_id: season_id.clone(),
            client_id: client_id.clone(),
            allocation: s.allocation,
            planned: s.planned,
            unplanned: s.unplanned,
            ready: s.ready,
            rank: s.rank(),
            housing_needed: s.housing.needed,
            housing_covered: s.housing.covered,
            transport_needed: s.transport.needed,
            transport_covered: s.transport.covered,
            catering_needed: s.catering.needed,
            catering_covered: s.catering.covered,
            gaps: s.gaps,
            visa_eligible: s.visa_eligible,
            unfunded: s.unfunded,
            lapsing: s.lapsing,
        }
    }

    pub fn summary(&self) -> Summary {
        let c = |needed, covered| CategoryCoverage { needed, covered };
        Summary {
            allocation: self.allocation,
            planned: self.planned,
            unplanned: self.unplanned,
            ready: self.ready,
            housing: c(self.housing_needed, self.housing_covered),
            transport: c(self.transport_needed, self.transport_covered),
            catering: c(self.catering_needed, self.catering_covered),
            gaps: self.gaps,
            visa_eligible: self.visa_eligible,
            unfunded: self.unfunded,
            lapsing: self.lapsing,
        }
    }
}

/// A line with the client it is about, as the view lists it.
#[derive(Queryable, Debug, Clone)]
pub struct Line {
    pub row: LineRow,
    pub name: String,
    pub kind: OrgKind,
    pub country: Option<String>,
}

/// Which lines: of one country, ready or not.
#[derive(Clone, Debug, Default)]
pub struct LineFilter {
    pub country: Option<String>,
    pub ready: Option<bool>,
}

/// Writes a client's line, replacing the one before. Run in the transaction of the change to its
/// inputs, after the change.
pub fn put(conn: &mut DbConnection, row: &LineRow) -> QueryResult<()> {
    match conn {
        DbConnection::Postgresql(c) => diesel::insert_into(readiness_view::table)
            .values(row)
            .on_conflict((readiness_view::season_id, readiness_view::client_id))
            .do_update()
            .set(row)
            .prepared()
            .execute(c)?,
        DbConnection::Sqlite(c) => diesel::replace_into(readiness_view::table)
            .values(row)
            .execute(c)?,
    };
    Ok(())
}

/// A client's line, if it has one.
pub fn line(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    client_id: &OrganizationId,
) -> QueryResult<Option<LineRow>> {
    readiness_view::table
        .find((season_id, client_id))
        .select(LineRow::as_select())
        .first(conn)
        .optional()
}

/// Writes lines for clients that have none, keeping any line a change wrote in the meantime (which
/// is at least as new as these).
pub fn put_missing(conn: &mut DbConnection, rows: &[LineRow]) -> QueryResult<()> {
    for chunk in rows.chunks(500) {
        super::insert_or_ignore!(conn, readiness_view::table, chunk)?;
    }
    Ok(())
}

/// The clients of a season that hold an allocation but have no line yet (a season just seeded).
pub fn missing(conn: &mut DbConnection, season_id: &SeasonId) -> QueryResult<Vec<SeasonClient>> {
    allocations::table
        .inner_join(organizations::table)
        .left_join(
            readiness_view::table.on(readiness_view::season_id
                .eq(allocations::season_id)
                .and(readiness_view::client_id.eq(allocations::organization_id))),
        )
        .filter(allocations::season_id.eq(season_id))
        .filter(readiness_view::client_id.nullable().is_null())
        .select(SeasonClient::as_select())
        .order(organizations::id.asc())
        .load(conn)
}

/// The clients of a season whose line says they are not ready, by id.
pub fn incomplete(
    conn: &mut DbConnection,
    season_id: &SeasonId,
) -> QueryResult<Vec<OrganizationId>> {
    readiness_view::table
        .filter(readiness_view::season_id.eq(season_id))
        .filter(readiness_view::ready.eq(false))
        .select(readiness_view::client_id)
        .order(readiness_view::client_id.asc())
        .load(conn)
}

type Lines = diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::Filter<
        diesel::dsl::InnerJoin<readiness_view::table, organizations::table>,
        diesel::dsl::Eq<readiness_view::season_id, SeasonId>,
    >,
    MultiBackend,
>;

/// The lines of a season a scope covers, filtered; `None` when the scope covers no client.
fn lines(season_id: &SeasonId, scope: &ContractScope, filter: &LineFilter) -> Option<Lines> {
    let query = readiness_view::table
        .inner_join(organizations::table)
        .filter(readiness_view::season_id.eq(season_id.clone()))
        .into_boxed();
    let mut query = clients_in_scope!(query, scope)?;
    if let Some(country) = &filter.country {
        query = query.filter(organizations::country.eq(country.clone()));
    }
    if let Some(ready) = filter.ready {
        query = query.filter(readiness_view::ready.eq(ready));
    }
    Some(query)
}

/// Why a page could not be read.
#[derive(Debug)]
pub enum PageError {
    /// The client to continue after has no line in the view (not a cursor of this list).
    UnknownCursor,
    Query(diesel::result::Error),
}

impl From<diesel::result::Error> for PageError {
    fn from(e: diesel::result::Error) -> PageError {
        PageError::Query(e)
    }
}

/// A page of lines, worst first (by rank, then the client's name and id), after the line of the
/// client `after` (which must be in the same list).
pub fn page(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    scope: &ContractScope,
    filter: &LineFilter,
    after: Option<&OrganizationId>,
    limit: i64,
) -> Result<Vec<Line>, PageError> {
    let Some(mut query) = lines(season_id, scope, filter) else {
        return Ok(Vec::new());
    };
    if let Some(after) = after {
        // The cursor's own line, within the same scope and filter: a client the caller may not
        // see is no cursor, exactly as an id that names nothing.
        let (rank, name): (i64, String) = lines(season_id, scope, filter)
            .ok_or(PageError::UnknownCursor)?
            .filter(readiness_view::client_id.eq(after.clone()))
            .select((readiness_view::rank, organizations::name))
            .first(conn)
            .optional()?
            .ok_or(PageError::UnknownCursor)?;
        query = query.filter(
            readiness_view::rank
                .gt(rank)
                .or(readiness_view::rank.eq(rank).and(
                    organizations::name.gt(name.clone()).or(organizations::name
                        .eq(name)
                        .and(readiness_view::client_id.gt(after.clone()))),
                )),
        );
    }
    Ok(query
        .select((
            LineRow::as_select(),
            organizations::name,
            organizations::kind,
            organizations::country,
        ))
        .order((
            readiness_view::rank.asc(),
            organizations::name.asc(),
            readiness_view::client_id.asc(),
        ))
        .limit(limit)
        .load(conn)?)
}

/// How many lines a filter keeps.
pub fn count(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    scope: &ContractScope,
    filter: &LineFilter,
) -> QueryResult<i64> {
    match lines(season_id, scope, filter) {
        Some(query) => query.count().get_result(conn),
        None => Ok(0),
    }
}

/// The countries of the clients a scope covers in a season, sorted.
pub fn countries(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    scope: &ContractScope,
) -> QueryResult<Vec<String>> {
    match lines(season_id, scope, &LineFilter::default()) {
        Some(query) => Ok(query
            .select(organizations::country)
            .distinct()
            .order(organizations::country.asc())
            .load::<Option<String>>(conn)?
            .into_iter()
            .flatten()
            .collect()),
        None => Ok(Vec::new()),
    }
}

/// Every line of a season.
pub fn season_lines(conn: &mut DbConnection, season_id: &SeasonId) -> QueryResult<Vec<LineRow>> {
    readiness_view::table
        .filter(readiness_view::season_id.eq(season_id))
        .order(readiness_view::client_id.asc())
        .load(conn)
}
