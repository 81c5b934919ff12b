//! Seasons, country quotas, allocations to clients, and deadline extensions (R1, R2).

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::holds::{self, HoldError};
use super::models::{
    AllocationRow, ContractRow, ExtensionRow, OrganizationRow, QuotaRow, SeasonRow,
};
use super::schema::{allocations, extensions, organizations, quotas, seasons};
use super::{DbConnection, now};
use crate::access::{AllocationScope, SessionGuard};
use crate::domain::ids::{OrganizationId, SeasonId};
use crate::domain::organization::{OrgKind, OrgStatus};
use crate::domain::season::{ContractType, SeasonKind};

pub fn insert(conn: &mut DbConnection, row: &SeasonRow) -> QueryResult<()> {
    diesel::insert_into(seasons::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

/// The seasons not over on `day`.
pub fn open_on(conn: &mut DbConnection, day: NaiveDate) -> QueryResult<Vec<SeasonRow>> {
    seasons::table.filter(seasons::ends_on.ge(day)).load(conn)
}

pub fn find(conn: &mut DbConnection, id: &SeasonId) -> QueryResult<Option<SeasonRow>> {
    seasons::table.find(id).first(conn).optional()
}

/// The newest season (ids are ordered by creation), if there is one.
pub fn newest(conn: &mut DbConnection) -> QueryResult<Option<SeasonRow>> {
    seasons::table
        .order(seasons::id.desc())
        .first(conn)
        .optional()
}

pub fn list(
    conn: &mut DbConnection,
    kind: Option<SeasonKind>,
    after: Option<&SeasonId>,
    limit: i64,
) -> QueryResult<Vec<SeasonRow>> {
    let mut query = seasons::table.into_boxed();
    if let Some(kind) = kind {
        query = query.filter(seasons::kind.eq(kind));
    }
    if let Some(after) = after {
        query = query.filter(seasons::id.gt(after.clone()));
    }
    query.order(seasons::id.asc()).limit(limit).load(conn)
}

#[derive(Debug)]
pub enum QuotaError {
    /// The new quota is below what is already allocated to the country's office.
    BelowAllocated,
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for QuotaError {
    fn from(e: diesel::result::Error) -> QuotaError {
        QuotaError::Db(e)
    }
}

/// Sets a country's quota; never below what its office already holds.
pub fn set_quota(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    country: &str,
    pilgrims: i64,
) -> Result<QuotaRow, QuotaError> {
    let existing: Option<QuotaRow> = quotas::table
        .find((season_id, country))
        .first(conn)
        .optional()?;
    if existing.is_none() {
        let row = QuotaRow {
            season_id: season_id.clone(),
            country: country.to_owned(),
            pilgrims,
            allocated: 0,
            updated_at: now(),
        };
        diesel::insert_into(quotas::table)
            .values(&row)
            .execute(conn)?;
        return Ok(row);
    }
    let changed = diesel::update(
        quotas::table
            .filter(quotas::season_id.eq(season_id))
            .filter(quotas::country.eq(country))
            .filter(quotas::allocated.le(pilgrims)),
    )
    .set((quotas::pilgrims.eq(pilgrims), quotas::updated_at.eq(now())))
    .execute(conn)?;
    if changed == 0 {
        return Err(QuotaError::BelowAllocated);
    }
    Ok(quotas::table.find((season_id, country)).first(conn)?)
}

pub fn quotas(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    scope: &AllocationScope,
) -> QueryResult<Vec<QuotaRow>> {
    let mut query = quotas::table
        .filter(quotas::season_id.eq(season_id.clone()))
        .into_boxed();
    match scope {
        AllocationScope::All => {}
        AllocationScope::Office { country, .. } | AllocationScope::Agency { country, .. } => {
            query = query.filter(quotas::country.nullable().eq(country.clone()));
        }
        AllocationScope::Nothing => return Ok(Vec::new()),
    }
    query.order(quotas::country.asc()).load(conn)
}

/// Allocations with their organisation's name, as a caller's scope allows.
pub fn allocations(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    scope: &AllocationScope,
) -> QueryResult<Vec<(AllocationRow, String, OrgKind)>> {
    let mut query = allocations::table
        .inner_join(organizations::table)
        .filter(allocations::season_id.eq(season_id.clone()))
        .select((
            allocations::all_columns,
            organizations::name,
            organizations::kind,
        ))
        .into_boxed();
    match scope {
        AllocationScope::All => {}
        AllocationScope::Office { office, .. } => {
            query = query.filter(
                organizations::id
                    .eq(office.clone())
                    .or(organizations::parent_id.eq(office.clone())),
            );
        }
        AllocationScope::Agency { agency, .. } => {
            query = query.filter(organizations::id.eq(agency.clone()));
        }
        AllocationScope::Nothing => return Ok(Vec::new()),
    }
    query.order(allocations::organization_id.asc()).load(conn)
}

pub fn allocation(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
) -> QueryResult<Option<AllocationRow>> {
    allocations::table
        .find((season_id, organization_id))
        .first(conn)
        .optional()
}

#[derive(Debug)]
pub enum AllocationError {
    /// The parent (a country's quota, or an office's allocation) has not enough left: the
    /// increase asked for, and the pilgrims the parent has left to give.
    QuotaExceeded {
        requested: i64,
        left: i64,
    },
    /// The parent holds nothing to give (no quota for the country, no allocation of the office).
    NoParent,
    /// Less than is already passed on to agencies or held by contracts.
    InUse,
    Db(diesel::result::Error),
}

impl From<diesel::result::Error> for AllocationError {
    fn from(e: diesel::result::Error) -> AllocationError {
        AllocationError::Db(e)
    }
}

impl From<HoldError> for AllocationError {
    fn from(e: HoldError) -> AllocationError {
        match e {
            HoldError::Db(e) => AllocationError::Db(e),
            _ => AllocationError::InUse,
        }
    }
}

/// Where an allocation comes out of.
pub enum Parent<'a> {
    /// An office's allocation comes out of its country's quota.
    Quota { country: &'a str },
    /// An agency's comes out of its office's allocation (what the office does not hold itself).
    Office { office_id: &'a OrganizationId },
}

/// Sets a client's allocation to `pilgrims` (R1). The difference comes out of (or goes back to) the
/// parent by one conditional statement; the allocation never drops below what the client passed on
/// to agencies or holds in contracts. Run inside a write transaction.
pub fn set_allocation(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
    parent: Parent<'_>,
    pilgrims: i64,
) -> Result<AllocationRow, AllocationError> {
    let existing = allocation(conn, season_id, organization_id)?;
    let old = existing.as_ref().map(|a| a.pilgrims).unwrap_or(0);
    let delta = pilgrims - old;
    if existing.is_some() {
        holds::lock_allocation(conn, season_id, organization_id)?;
        let current =
            allocation(conn, season_id, organization_id)?.ok_or(diesel::result::Error::NotFound)?;
        // What the client uses itself: the most its contracts hold on a day, or what it plans (R7, R11).
        let peak = holds::client_peak(conn, season_id, organization_id)?.max(
            super::plans::planned(conn, season_id, organization_id, None)?,
        );
        if pilgrims < current.suballocated + peak {
            return Err(AllocationError::InUse);
        }
    }
    match parent {
        Parent::Quota { country } => {
            let exists = quotas::table
                .find((season_id, country))
                .count()
                .get_result::<i64>(conn)?
                > 0;
            if !exists {
                return Err(AllocationError::NoParent);
            }
            let changed = diesel::update(
                quotas::table
                    .filter(quotas::season_id.eq(season_id))
                    .filter(quotas::country.eq(country))
                    .filter((quotas::allocated + delta).le(quotas::pilgrims)),
            )
            .set(quotas::allocated.eq(quotas::allocated + delta))
            .execute(conn)?;
            if changed == 0 {
                let left = quotas::table
                    .find((season_id, country))
                    .select(quotas::pilgrims - quotas::allocated)
                    .first(conn)?;
                return Err(AllocationError::QuotaExceeded {
                    requested: delta,
                    left,
                });
            }
        }
        Parent::Office { office_id } => {
            holds::lock_allocation(conn, season_id, office_id).map_err(|e| match e {
                HoldError::NoAllocation => AllocationError::NoParent,
                other => other.into(),
            })?;
            // The office keeps enough for its own contracts.
            let office_peak = holds::client_peak(conn, season_id, office_id)?
                .max(super::plans::planned(conn, season_id, office_id, None)?);
            let changed = diesel::update(
                allocations::table
                    .filter(allocations::season_id.eq(season_id))
                    .filter(allocations::organization_id.eq(office_id))
                    .filter(
                        (allocations::suballocated + delta + office_peak).le(allocations::pilgrims),
                    ),
            )
            .set(allocations::suballocated.eq(allocations::suballocated + delta))
            .execute(conn)?;
            if changed == 0 {
                let left: i64 = allocations::table
                    .find((season_id, office_id))
                    .select(allocations::pilgrims - allocations::suballocated)
                    .first(conn)?;
                return Err(AllocationError::QuotaExceeded {
                    requested: delta,
                    left: (left - office_peak).max(0),
                });
            }
        }
    }
    match existing {
        Some(_) => {
            diesel::update(allocations::table.find((season_id, organization_id)))
                .set((
                    allocations::pilgrims.eq(pilgrims),
                    allocations::updated_at.eq(now()),
                ))
                .execute(conn)?;
        }
        None => {
            diesel::insert_into(allocations::table)
                .values(&AllocationRow {
                    season_id: season_id.clone(),
                    organization_id: organization_id.clone(),
                    pilgrims,
                    suballocated: 0,
                    lock_version: 0,
                    updated_at: now(),
                })
                .execute(conn)?;
        }
    }
    Ok(allocation(conn, season_id, organization_id)?.ok_or(diesel::result::Error::NotFound)?)
}

pub fn insert_extension(conn: &mut DbConnection, row: &ExtensionRow) -> QueryResult<()> {
    diesel::insert_into(extensions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn extensions(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: Option<&OrganizationId>,
) -> QueryResult<Vec<ExtensionRow>> {
    let mut query = extensions::table
        .filter(extensions::season_id.eq(season_id.clone()))
        .into_boxed();
    if let Some(org) = organization_id {
        query = query.filter(extensions::organization_id.eq(org.clone()));
    }
    query.order(extensions::id.asc()).load(conn)
}

/// What a contract's submission is checked against: its season, the latest day the client's
/// extensions of its type grant (R2), and its provider's status (`None` for a provider that is
/// gone).
#[derive(Queryable, Debug)]
pub struct FilingTerms {
    pub season: SeasonRow,
    pub extended: Option<NaiveDate>,
    pub provider: Option<OrgStatus>,
}

/// What drafting a contract in a season needs to know of it: the season, the drafting client's
/// organisation (`None` for one that is gone) and whether the client holds an allocation in the
/// season (R1).
#[derive(Queryable, Debug)]
pub struct DraftingTerms {
    pub season: SeasonRow,
    pub client: Option<OrganizationRow>,
    pub allocated: bool,
}

/// The [`DraftingTerms`] of a client in a season, in one statement; `None` when the season does
/// not exist, or when the `guard` of a caller read from its token no longer holds.
pub fn drafting_terms(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    client_id: &OrganizationId,
    guard: Option<&SessionGuard>,
) -> QueryResult<Option<DraftingTerms>> {
    let allocated = diesel::dsl::exists(
        allocations::table
            .filter(allocations::season_id.eq(seasons::id))
            .filter(allocations::organization_id.eq(client_id.clone())),
    );
    let terms = seasons::table
        .left_join(organizations::table.on(organizations::id.eq(client_id.clone())))
        .filter(seasons::id.eq(season_id.clone()))
        .select((
            seasons::all_columns,
            organizations::all_columns.nullable(),
            allocated,
        ));
    match guard {
        Some(guard) => terms
            .filter(super::users::session_holds!(guard, aside))
            .first(conn)
            .optional(),
        None => terms.first(conn).optional(),
    }
}

/// The [`FilingTerms`] of a contract, in one statement; `None` when its season is gone.
pub fn filing_terms(
    conn: &mut DbConnection,
    row: &ContractRow,
) -> QueryResult<Option<FilingTerms>> {
    let extended = extensions::table
        .filter(extensions::season_id.eq(row.season_id.clone()))
        .filter(extensions::organization_id.eq(row.client_id.clone()))
        .filter(extensions::contract_type.eq(row.contract_type))
        .select(diesel::dsl::max(extensions::until))
        .single_value();
    let provider = organizations::table
        .find(row.provider_id.clone())
        .select(organizations::status)
        .single_value();
    seasons::table
        .find(row.season_id.clone())
        .select((seasons::all_columns, extended, provider))
        .first(conn)
        .optional()
}

/// The last filing days of the clients of a season, from one read of their extensions.
pub struct FilingDays<'s> {
    season: &'s SeasonRow,
    /// The latest day each client's extensions of a type grant.
    extended: HashMap<(OrganizationId, ContractType), NaiveDate>,
}

impl<'s> FilingDays<'s> {
    /// Every client's (`client` `None`) or one client's.
    pub fn read(
        conn: &mut DbConnection,
        season: &'s SeasonRow,
        client: Option<&OrganizationId>,
    ) -> QueryResult<FilingDays<'s>> {
        let mut extended = HashMap::new();
        for e in extensions(conn, &season.id, client)? {
            let day = extended
                .entry((e.organization_id, e.contract_type))
                .or_insert(e.until);
            *day = (*day).max(e.until);
        }
        Ok(FilingDays { season, extended })
    }

    /// A client's last day of filing contracts of a type.
    pub fn of(&self, client: &OrganizationId, contract_type: ContractType) -> NaiveDate {
        let extended = self.extended.get(&(client.clone(), contract_type));
        self.season
            .last_filing_day(contract_type, extended.copied())
    }

    /// Every last filing day some client has: the season's deadlines and those extensions grant.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        let season = self.season;
        ContractType::ALL
            .iter()
            .map(move |t| season.deadline(*t))
            .chain(
                self.extended
                    .iter()
                    .map(move |((_, t), e)| season.last_filing_day(*t, Some(*e))),
            )
    }
}
