//! Contracts, their amendments and their history (R9).

use diesel::prelude::*;

use super::models::{AmendmentRow, ContractEventRow, ContractRow};
use super::schema::{amendments, contract_events, contracts, organization_countries};
use super::{DbConnection, MultiBackend, like_contains, now};
use crate::access::ContractScope;

type Boxed = contracts::BoxedQuery<'static, MultiBackend>;

/// The contracts a scope covers.
fn scoped(scope: &ContractScope) -> Option<Boxed> {
    let query = contracts::table.into_boxed();
    Some(match scope {
        ContractScope::All => query,
        ContractScope::Client(own) => query.filter(contracts::client_id.eq(own.to_string())),
        ContractScope::Office(own) => query.filter(contracts::client_office_id.eq(own.to_string())),
        ContractScope::Provider(own) => query.filter(contracts::provider_id.eq(own.to_string())),
        ContractScope::TawafaCountries(own) => query.filter(
            contracts::client_country.eq_any(
                organization_countries::table
                    .filter(organization_countries::organization_id.eq(own.to_string()))
                    .select(organization_countries::country),
            ),
        ),
        ContractScope::Nothing => return None,
    })
}

pub fn insert(conn: &mut DbConnection, row: &ContractRow) -> QueryResult<()> {
    diesel::insert_into(contracts::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_visible(
    conn: &mut DbConnection,
    scope: &ContractScope,
    id: &str,
) -> QueryResult<Option<ContractRow>> {
    match scoped(scope) {
        Some(q) => q
            .filter(contracts::id.eq(id.to_owned()))
            .first(conn)
            .optional(),
        None => Ok(None),
    }
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<ContractRow>> {
    contracts::table.find(id).first(conn).optional()
}

#[derive(Debug, Default, Clone)]
pub struct ContractFilter {
    pub season_id: Option<String>,
    pub contract_type: Option<String>,
    pub status: Option<String>,
    pub client_id: Option<String>,
    pub provider_id: Option<String>,
    pub facility_id: Option<String>,
    /// Already folded with `domain::text::search_key`.
    pub q: Option<String>,
}

pub fn list(
    conn: &mut DbConnection,
    scope: &ContractScope,
    filter: &ContractFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<ContractRow>> {
    let Some(mut query) = scoped(scope) else {
        return Ok(Vec::new());
    };
    if let Some(v) = &filter.season_id {
        query = query.filter(contracts::season_id.eq(v.clone()));
    }
    if let Some(v) = &filter.contract_type {
        query = query.filter(contracts::contract_type.eq(v.clone()));
    }
    if let Some(v) = &filter.status {
        query = query.filter(contracts::status.eq(v.clone()));
    }
    if let Some(v) = &filter.client_id {
        query = query.filter(contracts::client_id.eq(v.clone()));
    }
    if let Some(v) = &filter.provider_id {
        query = query.filter(contracts::provider_id.eq(v.clone()));
    }
    if let Some(v) = &filter.facility_id {
        query = query.filter(contracts::facility_id.eq(v.clone()));
    }
    if let Some(q) = &filter.q {
        query = query.filter(contracts::search_key.like(like_contains(q)).escape('\\'));
    }
    if let Some(after) = after {
        query = query.filter(contracts::id.gt(after.to_owned()));
    }
    query.order(contracts::id.asc()).limit(limit).load(conn)
}

/// The terms a client can edit, and the ones an approved amendment replaces.
#[derive(AsChangeset, Debug, Clone)]
#[diesel(table_name = contracts, treat_none_as_null = true)]
pub struct TermsChange {
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    pub units: i64,
    pub route_from: Option<String>,
    pub route_to: Option<String>,
    pub meals_per_day: Option<i64>,
    pub unit_price: i64,
    pub total: i64,
}

/// Replaces the terms if the contract is still at `version` and in `status`; `false` otherwise.
pub fn update_terms(
    conn: &mut DbConnection,
    id: &str,
    version: i64,
    status: &str,
    change: &TermsChange,
) -> QueryResult<bool> {
    let changed = diesel::update(
        contracts::table
            .filter(contracts::id.eq(id))
            .filter(contracts::version.eq(version))
            .filter(contracts::status.eq(status)),
    )
    .set((
        change,
        contracts::version.eq(version + 1),
        contracts::updated_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Moves a contract from `from` to `to`; `false` if it is no longer in `from` (a racing request
/// moved it first).
pub fn set_status(conn: &mut DbConnection, id: &str, from: &str, to: &str) -> QueryResult<bool> {
    let changed = diesel::update(
        contracts::table
            .filter(contracts::id.eq(id))
            .filter(contracts::status.eq(from)),
    )
    .set((
        contracts::status.eq(to),
        contracts::version.eq(contracts::version + 1),
        contracts::updated_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn insert_event(conn: &mut DbConnection, row: &ContractEventRow) -> QueryResult<()> {
    diesel::insert_into(contract_events::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn events(conn: &mut DbConnection, contract_id: &str) -> QueryResult<Vec<ContractEventRow>> {
    contract_events::table
        .filter(contract_events::contract_id.eq(contract_id))
        .order(contract_events::id.asc())
        .load(conn)
}

pub fn insert_amendment(conn: &mut DbConnection, row: &AmendmentRow) -> QueryResult<()> {
    diesel::insert_into(amendments::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn amendment(conn: &mut DbConnection, id: &str) -> QueryResult<Option<AmendmentRow>> {
    amendments::table.find(id).first(conn).optional()
}

pub fn amendments(conn: &mut DbConnection, contract_id: &str) -> QueryResult<Vec<AmendmentRow>> {
    amendments::table
        .filter(amendments::contract_id.eq(contract_id))
        .order(amendments::id.asc())
        .load(conn)
}

/// Moves an amendment from `from` to `to`; `false` if a racing request moved it first.
pub fn set_amendment_status(
    conn: &mut DbConnection,
    id: &str,
    from: &str,
    to: &str,
) -> QueryResult<bool> {
    let changed = diesel::update(
        amendments::table
            .filter(amendments::id.eq(id))
            .filter(amendments::status.eq(from)),
    )
    .set((amendments::status.eq(to), amendments::updated_at.eq(now())))
    .execute(conn)?;
    Ok(changed == 1)
}
