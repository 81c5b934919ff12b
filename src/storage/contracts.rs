//! Contracts, their amendments and their history (R9).

use diesel::connection::DefaultLoadingMode;
use diesel::prelude::*;

use super::models::{AmendmentRow, ContractEventRow, ContractRow, FacilityRow, OrganizationRow};
use super::names::{self, Edition, Named, Names};
use super::prepared::{KeepPrepared, written_limit};
use super::schema::{amendments, contract_events, contracts};
use super::{DbConnection, MultiBackend, damaged, like_contains, now};
use crate::access::{ContractScope, SessionGuard};
use crate::domain::contract::{
    Amendment, AmendmentStatus, Booking, Contract, ContractStatus, Price, Terms,
};
use crate::domain::ids::{AmendmentId, ContractId, FacilityId, OrganizationId, SeasonId};
use crate::domain::money::Money;
use crate::domain::season::{ContractType, Place};

/// The booking stored in a contract's or an amendment's columns: one place reads them all.
fn stored_booking(
    contract_type: ContractType,
    starts_on: chrono::NaiveDate,
    ends_on: chrono::NaiveDate,
    units: i64,
    route: (Option<Place>, Option<Place>),
    meals: Option<i64>,
) -> QueryResult<Booking> {
    let place = |p: Option<Place>| p.ok_or_else(|| damaged("route", "none"));
    let terms = match contract_type {
        ContractType::Housing => Terms::Housing { beds: units },
        ContractType::Catering => Terms::Catering {
            pilgrims: units,
            meals_per_day: meals.unwrap_or(1),
        },
        ContractType::Transport => Terms::Transport {
            from: place(route.0)?,
            to: place(route.1)?,
            seats: units,
        },
    };
    Ok(Booking {
        terms,
        starts_on,
        ends_on,
    })
}

/// What a stored contract books.
pub fn booking(row: &ContractRow) -> QueryResult<Booking> {
    stored_booking(
        row.contract_type,
        row.starts_on,
        row.ends_on,
        row.units,
        (row.route_from, row.route_to),
        row.meals_per_day,
    )
}

/// What a stored amendment of `contract` would book.
pub fn amendment_booking(contract: &ContractRow, row: &AmendmentRow) -> QueryResult<Booking> {
    stored_booking(
        contract.contract_type,
        row.starts_on,
        row.ends_on,
        row.units,
        (row.route_from, row.route_to),
        row.meals_per_day,
    )
}

/// The stored contract as the domain knows it.
pub fn contract_of(row: ContractRow) -> QueryResult<Contract> {
    Ok(Contract {
        booking: booking(&row)?,
        status: row.status,
        price: Some(Price {
            unit: Money::from_halalas(row.unit_price),
            total: Money::from_halalas(row.total),
        }),
        id: row.id,
        season_id: row.season_id,
        client_id: row.client_id,
        client_country: row.client_country,
        provider_id: row.provider_id,
        facility_id: row.facility_id,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
        status_reason: row.status_reason,
    })
}

/// The stored amendment of `contract` as the domain knows it.
pub fn amendment_of(contract: &ContractRow, row: AmendmentRow) -> QueryResult<Amendment> {
    Ok(Amendment {
        booking: amendment_booking(contract, &row)?,
        status: row.status,
        price: Some(Price {
            unit: Money::from_halalas(row.unit_price),
            total: Money::from_halalas(row.total),
        }),
        id: row.id,
        contract_id: row.contract_id,
        reason: row.reason,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

/// Narrows a boxed query over `contracts` (alone or joined, as inspections are) to the contracts a
/// scope covers: `None` when it covers none.
macro_rules! contracts_in_scope {
    ($query:expr, $scope:expr) => {{
        use $crate::access::ContractScope;
        use $crate::storage::schema::{contracts, organization_countries};
        let query = $query;
        match $scope {
            ContractScope::All => Some(query),
            ContractScope::Client(own) => Some(query.filter(contracts::client_id.eq(own.clone()))),
            ContractScope::Office(own) => {
                Some(query.filter(contracts::client_office_id.eq(own.clone())))
            }
            ContractScope::Provider(own) => {
                Some(query.filter(contracts::provider_id.eq(own.clone())))
            }
            ContractScope::TawafaCountries(own) => Some(
                query.filter(
                    contracts::client_country.eq_any(
                        organization_countries::table
                            .filter(organization_countries::organization_id.eq(own.clone()))
                            .select(organization_countries::country),
                    ),
                ),
            ),
            ContractScope::Nothing => None,
        }
    }};
}
pub(crate) use contracts_in_scope;

/// A contract with the names it shows: its facility's and the facility's city, its client's and
/// its provider's.
#[derive(Debug, Clone)]
pub struct NamedRow {
    pub row: ContractRow,
    pub facility: (Named, Place),
    pub client: Named,
    pub provider: Named,
}

impl NamedRow {
    /// A contract named from the rows it was just made from, read in the same transaction: what
    /// reading its names would give, without reading them again.
    pub fn of_parties(
        row: ContractRow,
        facility: FacilityRow,
        client: OrganizationRow,
        provider: OrganizationRow,
    ) -> NamedRow {
        NamedRow {
            facility: (names::named(facility.name, facility.name_ar), facility.city),
            client: names::named(client.name, client.name_ar),
            provider: names::named(provider.name, provider.name_ar),
            row,
        }
    }
}

impl Names {
    /// A stored contract with its names from this set.
    pub fn named(&self, row: ContractRow) -> QueryResult<NamedRow> {
        Ok(NamedRow {
            facility: self.facility(&row.facility_id)?,
            client: self.organization(&row.client_id),
            provider: self.organization(&row.provider_id),
            row,
        })
    }
}

/// Contracts read with the names' edition beside them, named from what this process keeps (see
/// [`names::shown`]).
fn named_at(
    conn: &mut DbConnection,
    found: Vec<(ContractRow, Edition)>,
) -> QueryResult<Vec<NamedRow>> {
    let Some((_, edition)) = found.first() else {
        return Ok(Vec::new());
    };
    let rows = || found.iter().map(|(row, _)| row);
    let mut named = Vec::with_capacity(found.len());
    if let Some(parties) = names::kept_parties(edition.as_str(), rows()) {
        for ((row, _), (facility, client, provider)) in found.into_iter().zip(parties) {
            named.push(NamedRow {
                row,
                facility,
                client,
                provider,
            });
        }
        return Ok(named);
    }
    let names = names::shown(conn, edition.as_str(), rows())?;
    for (row, _) in found {
        named.push(names.named(row)?);
    }
    Ok(named)
}

/// A contract's columns as the contracts a caller reads select them: all of them but what the
/// contract is found by (`search_key`, about a hundred bytes of folded names a row), which is not
/// sent back; an empty text stands in its place. Such rows are shown, never written back.
macro_rules! shown_columns {
    () => {
        (
            contracts::id,
            contracts::season_id,
            contracts::contract_type,
            contracts::client_id,
            contracts::client_office_id,
            contracts::client_country,
            contracts::provider_id,
            contracts::facility_id,
            contracts::status,
            contracts::starts_on,
            contracts::ends_on,
            contracts::units,
            contracts::route_from,
            contracts::route_to,
            contracts::meals_per_day,
            contracts::unit_price,
            contracts::currency,
            contracts::total,
            diesel::dsl::sql::<diesel::sql_types::Text>("''"),
            contracts::version,
            contracts::created_at,
            contracts::updated_at,
            contracts::status_reason,
        )
    };
}

/// The contracts a scope covers with the names' edition beside them (see [`names::shown`]), ready
/// for filters; with a guard, only while the session of the caller a token states still holds.
/// Boxed for the backend the statement runs on (see [`list`]).
macro_rules! named_in_scope {
    ($scope:expr, $guard:expr) => {
        contracts_in_scope!(
            contracts::table
                .select((shown_columns!(), names::edition()))
                .into_boxed(),
            $scope
        )
        .map(|query| match $guard {
            Some(guard) => query.filter(super::users::session_holds!(guard)),
            None => query,
        })
    };
}

/// The contracts a scope covers.
fn scoped(scope: &ContractScope) -> Option<contracts::BoxedQuery<'static, MultiBackend>> {
    contracts_in_scope!(contracts::table.into_boxed(), scope)
}

pub fn insert(conn: &mut DbConnection, row: &ContractRow) -> QueryResult<()> {
    diesel::insert_into(contracts::table)
        .values(row)
        .prepared()
        .execute(conn)
        .map(|_| ())
}

pub fn find_visible(
    conn: &mut DbConnection,
    scope: &ContractScope,
    id: &ContractId,
) -> QueryResult<Option<ContractRow>> {
    find_visible_guarded(conn, scope, None, id)
}

/// [`find_visible`] in a statement that also checks the `guard` of a caller read from its token:
/// nothing is found unless the session still holds.
pub fn find_visible_guarded(
    conn: &mut DbConnection,
    scope: &ContractScope,
    guard: Option<&SessionGuard>,
    id: &ContractId,
) -> QueryResult<Option<ContractRow>> {
    let found = scoped(scope).map(|query| match guard {
        Some(guard) => query.filter(super::users::session_holds!(guard)),
        None => query,
    });
    match found {
        Some(q) => q
            .filter(contracts::id.eq(id.clone()))
            .first(conn)
            .optional(),
        None => Ok(None),
    }
}

/// [`find_visible`] with the names the contract shows, in one statement with the names' edition
/// (the names from what this process keeps, see [`names::shown`]; run on the backend's own
/// connection, as [`list`] is).
pub fn find_visible_named(
    conn: &mut DbConnection,
    scope: &ContractScope,
    guard: Option<&SessionGuard>,
    id: &ContractId,
) -> QueryResult<Option<NamedRow>> {
    let found = super::per_backend!(conn, c => match named_in_scope!(scope, guard) {
        Some(query) => query
            .filter(contracts::id.eq(id.clone()))
            .limit(1)
            .prepared()
            .get_result::<(ContractRow, Edition)>(c)
            .optional()?,
        None => None,
    });
    Ok(named_at(conn, found.into_iter().collect())?.pop())
}

pub fn find(conn: &mut DbConnection, id: &ContractId) -> QueryResult<Option<ContractRow>> {
    contracts::table.find(id).first(conn).optional()
}

#[derive(Debug, Default, Clone)]
pub struct ContractFilter {
    pub season_id: Option<SeasonId>,
    pub contract_type: Option<String>,
    pub status: Option<String>,
    pub client_id: Option<OrganizationId>,
    pub provider_id: Option<OrganizationId>,
    pub facility_id: Option<FacilityId>,
    /// Already folded with `domain::text::search_key`.
    pub q: Option<String>,
    /// Only contracts with an amendment in this status.
    pub amendment_status: Option<AmendmentStatus>,
}

/// The rows a page of 50 reads (one more tells whether another page follows): the page every list
/// of the console and the API's default ask for. Its `LIMIT` is written into the statement's text,
/// so that PostgreSQL keeps one plan for it (see [`written_limit`]); any other limit is bound, so
/// that the statements kept for a list stay a few per filter.
const PAGE_READ: u16 = 51;

/// Pushes each row of `rows` onto `found`, stopping at the first error.
fn read_into<T>(found: &mut Vec<T>, rows: impl Iterator<Item = QueryResult<T>>) -> QueryResult<()> {
    for row in rows {
        found.push(row?);
    }
    Ok(())
}

/// A page of the contracts a scope covers, in id order after `after`, each with the names it
/// shows: one statement, which also checks the `guard` of a caller read from its token and reads
/// the names' edition; the names come from what this process keeps under that edition (see
/// [`names::shown`]: a second statement only for names not kept yet).
///
/// The busiest statement of the portal runs on the backend's own connection, with the query boxed
/// for that backend: through the two-backend connection, its SQL would be written three times per
/// request and each field of each row read through one more indirection (docs/performance.md).
pub fn list(
    conn: &mut DbConnection,
    (scope, guard): (&ContractScope, Option<&SessionGuard>),
    filter: &ContractFilter,
    after: Option<&ContractId>,
    limit: i64,
) -> QueryResult<Vec<NamedRow>> {
    let found: Vec<(ContractRow, Edition)> = super::per_backend!(conn, c => {
        let Some(mut query) = named_in_scope!(scope, guard) else {
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
        if let Some(status) = filter.amendment_status {
            query = query.filter(
                contracts::id.eq_any(
                    amendments::table
                        .filter(amendments::status.eq(status))
                        .select(amendments::contract_id),
                ),
            );
        }
        if let Some(after) = after {
            query = query.filter(contracts::id.gt(after.clone()));
        }
        // Kept prepared under its text: the edition's subquery is SQL diesel would not keep.
        // Read into a vector reserved for the page (as far as a page goes): `load` grows its
        // vector as rows come, and copies every row read so far at each step.
        let query = query.order(contracts::id.asc());
        let mut found = Vec::with_capacity(usize::try_from(limit).unwrap_or(0).min(1_000));
        if limit == i64::from(PAGE_READ) {
            read_into(
                &mut found,
                written_limit(query, PAGE_READ)
                    .prepared()
                    .load_iter::<_, DefaultLoadingMode>(c)?,
            )?;
        } else {
            read_into(
                &mut found,
                query
                    .limit(limit)
                    .prepared()
                    .load_iter::<_, DefaultLoadingMode>(c)?,
            )?;
        }
        found
    });
    named_at(conn, found)
}

/// Whose name a contract shows: an organisation (as its client or its provider) or a facility.
pub enum ShownBy<'a> {
    Organization(&'a OrganizationId),
    Facility(&'a FacilityId),
}

/// The contracts that show a name, in id order.
pub fn showing(conn: &mut DbConnection, by: ShownBy) -> QueryResult<Vec<ContractRow>> {
    let query = contracts::table.into_boxed();
    let query = match by {
        ShownBy::Organization(id) => query.filter(
            contracts::client_id
                .eq(id.clone())
                .or(contracts::provider_id.eq(id.clone())),
        ),
        ShownBy::Facility(id) => query.filter(contracts::facility_id.eq(id.clone())),
    };
    query.order(contracts::id.asc()).load(conn)
}

/// Sets what a contract is found by (`q`); not a change of the contract (its version stays).
pub fn set_search_key(conn: &mut DbConnection, id: &ContractId, key: &str) -> QueryResult<()> {
    diesel::update(contracts::table.filter(contracts::id.eq(id)))
        .set(contracts::search_key.eq(key))
        .prepared()
        .execute(conn)
        .map(|_| ())
}

/// Every approved contract of a type in a season, in id order.
pub fn approved(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    contract_type: ContractType,
) -> QueryResult<Vec<ContractRow>> {
    contracts::table
        .filter(contracts::season_id.eq(season_id))
        .filter(contracts::contract_type.eq(contract_type))
        .filter(contracts::status.eq(ContractStatus::Approved))
        .order(contracts::id.asc())
        .load(conn)
}

/// The terms a client can edit, and the ones an approved amendment replaces.
#[derive(AsChangeset, Debug, Clone)]
#[diesel(table_name = contracts, treat_none_as_null = true)]
pub struct TermsChange {
    pub starts_on: chrono::NaiveDate,
    pub ends_on: chrono::NaiveDate,
    pub units: i64,
    pub route_from: Option<Place>,
    pub route_to: Option<Place>,
    pub meals_per_day: Option<i64>,
    pub unit_price: i64,
    pub total: i64,
}

impl TermsChange {
    /// The columns of a booking at a price: the one place a contract's terms become columns.
    pub fn of(booking: &Booking, price: Price) -> TermsChange {
        let (route_from, route_to, meals_per_day) = booking.terms.columns();
        TermsChange {
            starts_on: booking.starts_on,
            ends_on: booking.ends_on,
            units: booking.terms.units(),
            route_from,
            route_to,
            meals_per_day,
            unit_price: price.unit.halalas(),
            total: price.total.halalas(),
        }
    }

    /// The terms an amendment proposes.
    pub fn of_amendment(row: &AmendmentRow) -> TermsChange {
        TermsChange {
            starts_on: row.starts_on,
            ends_on: row.ends_on,
            units: row.units,
            route_from: row.route_from,
            route_to: row.route_to,
            meals_per_day: row.meals_per_day,
            unit_price: row.unit_price,
            total: row.total,
        }
    }
}

/// A new amendment of a contract, proposing `terms` for `reason`, waiting for the provider.
pub fn proposed_amendment(
    contract_id: &ContractId,
    terms: TermsChange,
    reason: &str,
) -> AmendmentRow {
    let at = now();
    AmendmentRow {
        id: AmendmentId::generate(),
        contract_id: contract_id.clone(),
        status: AmendmentStatus::PendingProvider,
        starts_on: terms.starts_on,
        ends_on: terms.ends_on,
        units: terms.units,
        route_from: terms.route_from,
        route_to: terms.route_to,
        meals_per_day: terms.meals_per_day,
        unit_price: terms.unit_price,
        total: terms.total,
        reason: reason.to_owned(),
        created_at: at,
        updated_at: at,
    }
}

/// Replaces the terms if the contract is still at `version` and in `status`; `false` otherwise.
pub fn update_terms(
    conn: &mut DbConnection,
    id: &ContractId,
    version: i64,
    status: ContractStatus,
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
    .prepared()
    .execute(conn)?;
    Ok(changed == 1)
}

/// Moves a contract from `from` to `to`, and answers it as it now is; `None` when it was not in
/// `from` any more (a racing request moved it first; nothing changed). One statement
/// (`RETURNING`).
pub fn set_status(
    conn: &mut DbConnection,
    id: &ContractId,
    from: ContractStatus,
    to: ContractStatus,
    reason: Option<&str>,
) -> QueryResult<Option<ContractRow>> {
    super::per_backend!(conn, c => diesel::update(
        contracts::table
            .filter(contracts::id.eq(id))
            .filter(contracts::status.eq(from)),
    )
    .set((
        contracts::status.eq(to),
        contracts::status_reason.eq(reason),
        contracts::version.eq(contracts::version + 1),
        contracts::updated_at.eq(now()),
    ))
    .returning(contracts::all_columns)
    .prepared()
    .get_result(c)
    .optional())
}

pub fn insert_event(conn: &mut DbConnection, row: &ContractEventRow) -> QueryResult<()> {
    diesel::insert_into(contract_events::table)
        .values(row)
        .prepared()
        .execute(conn)
        .map(|_| ())
}

pub fn events(
    conn: &mut DbConnection,
    contract_id: &ContractId,
) -> QueryResult<Vec<ContractEventRow>> {
    contract_events::table
        .filter(contract_events::contract_id.eq(contract_id))
        .order(contract_events::id.asc())
        .load(conn)
}

pub fn insert_amendment(conn: &mut DbConnection, row: &AmendmentRow) -> QueryResult<()> {
    diesel::insert_into(amendments::table)
        .values(row)
        .prepared()
        .execute(conn)
        .map(|_| ())
}

pub fn amendment(conn: &mut DbConnection, id: &AmendmentId) -> QueryResult<Option<AmendmentRow>> {
    amendments::table.find(id).first(conn).optional()
}

pub fn amendments(
    conn: &mut DbConnection,
    contract_id: &ContractId,
) -> QueryResult<Vec<AmendmentRow>> {
    amendments::table
        .filter(amendments::contract_id.eq(contract_id))
        .order(amendments::id.asc())
        .load(conn)
}

/// The open amendments of some contracts (at most one each), in one query.
pub fn open_amendments(
    conn: &mut DbConnection,
    contract_ids: &[&ContractId],
) -> QueryResult<Vec<AmendmentRow>> {
    amendments::table
        .filter(amendments::contract_id.eq_any(contract_ids))
        .filter(amendments::status.eq_any(AmendmentStatus::OPEN))
        .order(amendments::id.asc())
        .load(conn)
}

/// Moves an amendment from `from` to `to`; `false` if a racing request moved it first.
pub fn set_amendment_status(
    conn: &mut DbConnection,
    id: &AmendmentId,
    from: AmendmentStatus,
    to: AmendmentStatus,
) -> QueryResult<bool> {
    let changed = diesel::update(
        amendments::table
            .filter(amendments::id.eq(id))
            .filter(amendments::status.eq(from)),
    )
    .set((amendments::status.eq(to), amendments::updated_at.eq(now())))
    .prepared()
    .execute(conn)?;
    Ok(changed == 1)
}
