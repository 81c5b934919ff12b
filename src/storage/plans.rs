//! Pilgrim groups, inspections, and the approved contracts that cover a season's plans.

use diesel::dsl::sql;
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Text};

use super::models::{GroupRow, InspectionRow};
use super::schema::{
    allocations, contracts, facilities, inspections, organization_countries, organizations,
    pilgrim_groups,
};
use super::{DbConnection, MultiBackend, now};
use crate::access::{ContractScope, SessionGuard};
use crate::domain::ids::{ContractId, GroupId, InspectionId, OrganizationId, SeasonId};
use crate::domain::readiness::{Category, Cover, Group, Inspection, Withheld, route_key};
use crate::domain::season::{ContractType, Place};

type Boxed = pilgrim_groups::BoxedQuery<'static, MultiBackend>;

/// Groups a scope covers: the same slice as contracts (clients, offices, tawafa countries).
fn scoped(scope: &ContractScope) -> Option<Boxed> {
    let query = pilgrim_groups::table.into_boxed();
    Some(match scope {
        ContractScope::All => query,
        ContractScope::Client(own) => query.filter(pilgrim_groups::organization_id.eq(own.clone())),
        ContractScope::Office(own) => query.filter(pilgrim_groups::office_id.eq(own.clone())),
        ContractScope::TawafaCountries(own) => query.filter(
            pilgrim_groups::country.eq_any(
                organization_countries::table
                    .filter(organization_countries::organization_id.eq(own.clone()))
                    .select(organization_countries::country),
            ),
        ),
        ContractScope::Provider(_) | ContractScope::Nothing => return None,
    })
}

pub fn insert_group(conn: &mut DbConnection, row: &GroupRow) -> QueryResult<()> {
    diesel::insert_into(pilgrim_groups::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_group_visible(
    conn: &mut DbConnection,
    scope: &ContractScope,
    id: &GroupId,
) -> QueryResult<Option<GroupRow>> {
    match scoped(scope) {
        Some(q) => q
            .filter(pilgrim_groups::id.eq(id.clone()))
            .first(conn)
            .optional(),
        None => Ok(None),
    }
}

pub fn list_groups(
    conn: &mut DbConnection,
    scope: &ContractScope,
    season_id: &SeasonId,
    organization_id: Option<&OrganizationId>,
    after: Option<&GroupId>,
    limit: i64,
) -> QueryResult<Vec<GroupRow>> {
    let Some(mut query) = scoped(scope) else {
        return Ok(Vec::new());
    };
    query = query.filter(pilgrim_groups::season_id.eq(season_id.clone()));
    if let Some(org) = organization_id {
        query = query.filter(pilgrim_groups::organization_id.eq(org.clone()));
    }
    if let Some(after) = after {
        query = query.filter(pilgrim_groups::id.gt(after.clone()));
    }
    query
        .order(pilgrim_groups::id.asc())
        .limit(limit)
        .load(conn)
}

/// The pilgrims a client plans in a season (R11), but for one group being replaced.
pub fn planned(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
    except: Option<&GroupId>,
) -> QueryResult<i64> {
    let mut query = pilgrim_groups::table
        .filter(pilgrim_groups::season_id.eq(season_id.clone()))
        .filter(pilgrim_groups::organization_id.eq(organization_id.clone()))
        .select(pilgrim_groups::pilgrims)
        .into_boxed();
    if let Some(id) = except {
        query = query.filter(pilgrim_groups::id.ne(id.clone()));
    }
    Ok(query.load::<i64>(conn)?.into_iter().sum())
}

pub fn update_group(
    conn: &mut DbConnection,
    row: &GroupRow,
    expected_version: i64,
) -> QueryResult<bool> {
    let changed = diesel::update(
        pilgrim_groups::table
            .filter(pilgrim_groups::id.eq(&row.id))
            .filter(pilgrim_groups::version.eq(expected_version)),
    )
    .set((
        pilgrim_groups::name.eq(&row.name),
        pilgrim_groups::pilgrims.eq(row.pilgrims),
        pilgrim_groups::arrival_port.eq(&row.arrival_port),
        pilgrim_groups::arrival_date.eq(row.arrival_date),
        pilgrim_groups::departure_port.eq(&row.departure_port),
        pilgrim_groups::departure_date.eq(row.departure_date),
        pilgrim_groups::stays.eq(&row.stays),
        pilgrim_groups::version.eq(expected_version + 1),
        pilgrim_groups::updated_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn delete_group(conn: &mut DbConnection, id: &GroupId) -> QueryResult<()> {
    diesel::delete(pilgrim_groups::table.filter(pilgrim_groups::id.eq(id)))
        .execute(conn)
        .map(|_| ())
}

pub fn insert_inspection(conn: &mut DbConnection, row: &InspectionRow) -> QueryResult<()> {
    diesel::insert_into(inspections::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// Which inspections of a scope: of one contract, or one by id.
#[derive(Clone, Copy, Debug, Default)]
pub struct InspectionFilter<'a> {
    pub contract_id: Option<&'a ContractId>,
    pub id: Option<&'a InspectionId>,
}

/// Inspections of the contracts a scope covers, newest first.
pub fn inspections(
    conn: &mut DbConnection,
    scope: &ContractScope,
    filter: InspectionFilter<'_>,
    after: Option<&InspectionId>,
    limit: i64,
) -> QueryResult<Vec<InspectionRow>> {
    let query = inspections::table
        .inner_join(contracts::table)
        .select(inspections::all_columns)
        .into_boxed();
    let Some(mut query) = super::contracts::contracts_in_scope!(query, scope) else {
        return Ok(Vec::new());
    };
    if let Some(c) = filter.contract_id {
        query = query.filter(inspections::contract_id.eq(c.clone()));
    }
    if let Some(id) = filter.id {
        query = query.filter(inspections::id.eq(id.clone()));
    }
    if let Some(after) = after {
        query = query.filter(inspections::id.gt(after.clone()));
    }
    query.order(inspections::id.asc()).limit(limit).load(conn)
}

/// An approved contract as coverage: its client, type, place (facility city or route), dates, units.
#[derive(Queryable, Debug, Clone)]
pub struct CoveringContract {
    pub id: ContractId,
    pub client_id: OrganizationId,
    pub contract_type: ContractType,
    pub facility_city: String,
    pub route_from: Option<Place>,
    pub route_to: Option<Place>,
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    pub units: i64,
}

/// The id of a contract's latest inspection (by day, then id) when that is a failure, for a
/// statement over `contracts` to select beside each.
const LATEST_FAILED_INSPECTION: &str = "(SELECT CASE WHEN inspections.result = 'fail' \
    THEN inspections.id END FROM inspections WHERE inspections.contract_id = contracts.id \
    ORDER BY inspections.inspected_on DESC, inspections.id DESC LIMIT 1)";

/// The approved contracts of a season (of some clients, or all), each with the id of its latest
/// inspection when that is a failure (which withholds it from coverage until a later pass): one
/// statement.
pub fn coverage(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    clients: Option<&[OrganizationId]>,
) -> QueryResult<Vec<(CoveringContract, Option<InspectionId>)>> {
    // Kept prepared on PostgreSQL: planning it took twice as long as running it for one client.
    super::load_prepared_on_postgres!(conn, {
        let mut query = contracts::table
            .inner_join(facilities::table)
            .filter(contracts::season_id.eq(season_id.clone()))
            .filter(contracts::status.eq("approved"))
            .select((
                (
                    contracts::id,
                    contracts::client_id,
                    contracts::contract_type,
                    facilities::city,
                    contracts::route_from,
                    contracts::route_to,
                    contracts::starts_on,
                    contracts::ends_on,
                    contracts::units,
                ),
                sql::<Nullable<Text>>(LATEST_FAILED_INSPECTION),
            ))
            .into_boxed();
        if let Some(clients) = clients {
            query = super::one_of!(query, contracts::client_id, clients);
        }
        query
    })
}

/// A client of a season, as readiness lists it: the organisation with its allocation.
#[derive(Queryable, Selectable, Debug, Clone)]
#[diesel(table_name = organizations)]
pub struct SeasonClient {
    pub id: OrganizationId,
    pub name: String,
    pub kind: crate::domain::organization::OrgKind,
    pub country: Option<String>,
    #[diesel(select_expression = allocations::pilgrims)]
    pub pilgrims: i64,
    #[diesel(select_expression = allocations::suballocated)]
    pub suballocated: i64,
}

/// Narrows a boxed query that joins `organizations` to the clients whose plans a scope covers:
/// `None` when it covers none of them.
macro_rules! clients_in_scope {
    ($query:expr, $scope:expr) => {{
        use $crate::access::ContractScope;
        use $crate::storage::schema::{organization_countries, organizations};
        match $scope {
            ContractScope::All => Some($query),
            ContractScope::Client(own) => Some($query.filter(organizations::id.eq(own.clone()))),
            ContractScope::Office(own) => Some(
                $query.filter(
                    organizations::id
                        .eq(own.clone())
                        .or(organizations::parent_id.eq(own.clone())),
                ),
            ),
            ContractScope::TawafaCountries(own) => Some(
                $query.filter(
                    organizations::country.eq_any(
                        organization_countries::table
                            .filter(organization_countries::organization_id.eq(own.clone()))
                            .select(organization_countries::country.nullable()),
                    ),
                ),
            ),
            ContractScope::Provider(_) | ContractScope::Nothing => None,
        }
    }};
}
pub(crate) use clients_in_scope;

/// The allocations of a season joined to their clients, within a scope (`None`: it covers none),
/// boxed for the backend the statement runs on: where [`season_clients`] and [`season_client`]
/// start from.
macro_rules! allocated {
    ($season_id:expr, $scope:expr) => {
        clients_in_scope!(
            allocations::table
                .inner_join(organizations::table)
                .filter(allocations::season_id.eq($season_id.clone()))
                .into_boxed(),
            $scope
        )
    };
}

/// The clients holding an allocation in a season, within a scope.
pub fn season_clients(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    scope: &ContractScope,
) -> QueryResult<Vec<SeasonClient>> {
    super::per_backend!(conn, c => match allocated!(season_id, scope) {
        Some(query) => query
            .select(SeasonClient::as_select())
            .order(organizations::id.asc())
            .load(c),
        None => Ok(Vec::new()),
    })
}

/// One client of a season, if it holds an allocation there and is in `scope`; with a guard, only
/// while the session of the caller a token states still holds (in the same statement).
pub fn season_client(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    (scope, guard): (&ContractScope, Option<&SessionGuard>),
    client_id: &OrganizationId,
) -> QueryResult<Option<SeasonClient>> {
    super::per_backend!(conn, c => match allocated!(season_id, scope) {
        Some(query) => {
            let query = query.filter(allocations::organization_id.eq(client_id.clone()));
            let query = match guard {
                Some(guard) => query.filter(super::users::session_holds!(guard, aside)),
                None => query,
            };
            query.select(SeasonClient::as_select()).first(c).optional()
        }
        None => Ok(None),
    })
}

/// Every group of a season (of some clients, or all).
pub fn season_groups(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    clients: Option<&[OrganizationId]>,
) -> QueryResult<Vec<GroupRow>> {
    super::per_backend!(conn, c => {
        let mut query = pilgrim_groups::table
            .filter(pilgrim_groups::season_id.eq(season_id.clone()))
            .into_boxed();
        if let Some(clients) = clients {
            query = super::one_of!(query, pilgrim_groups::organization_id, clients);
        }
        query.order(pilgrim_groups::id.asc()).load(c)
    })
}

/// A stored group as the domain knows it.
pub fn group_of(row: &GroupRow) -> QueryResult<Group> {
    let damaged = |what: &str| {
        diesel::result::Error::DeserializationError(
            format!("stored group {what} is not valid").into(),
        )
    };
    Ok(Group {
        id: row.id.clone(),
        name: row.name.clone(),
        pilgrims: row.pilgrims,
        arrival_port: row.arrival_port,
        arrival_date: row.arrival_date,
        departure_port: row.departure_port,
        departure_date: row.departure_date,
        stays: serde_json::from_str(&row.stays).map_err(|_| damaged("stays"))?,
    })
}

/// What a counted contract covers, for readiness; `None` for a row that names no known place.
pub fn cover_of(c: &CoveringContract, failed_inspection: Option<InspectionId>) -> Option<Cover> {
    let (category, place) = match c.contract_type {
        ContractType::Housing => (Category::Housing, Place::parse(&c.facility_city)?.as_str()),
        ContractType::Catering => (Category::Catering, Place::parse(&c.facility_city)?.as_str()),
        ContractType::Transport => (Category::Transport, route_key(c.route_from?, c.route_to?)),
    };
    Some(Cover {
        category,
        place,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        units: c.units,
        withheld_by: failed_inspection.map(|inspection_id| Withheld {
            inspection_id,
            contract_id: c.id.clone(),
        }),
    })
}

/// A stored inspection as the domain knows it.
pub fn inspection_of(row: InspectionRow) -> QueryResult<Inspection> {
    let passed = match row.result.as_str() {
        "pass" => true,
        "fail" => false,
        other => return Err(super::damaged("inspection result", other)),
    };
    Ok(Inspection {
        id: row.id,
        contract_id: row.contract_id,
        facility_id: row.facility_id,
        inspected_on: row.inspected_on,
        passed,
        findings: row.findings,
        organization_id: row.organization_id,
        created_at: row.created_at,
    })
}
