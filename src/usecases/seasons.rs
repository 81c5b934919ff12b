//! Seasons, as every use case that works within one finds it.

use crate::access::{self, AllocateError, Caller, ExtensionScope};
use chrono::NaiveDate;

use crate::domain::Invalid;
use crate::domain::calendar::{HIJRI_YEARS, hajj_days};
use crate::domain::country::Country;
use crate::domain::ids::ExtensionId;
use crate::domain::ids::OrganizationId;
use crate::domain::ids::SeasonId;
use crate::domain::organization::OrgKind;
use crate::domain::season::{ContractType, SeasonKind};
use crate::domain::text::Name;
use crate::error::Details;
use crate::error::{Error, FieldError};
use crate::storage::models::{AllocationRow, ExtensionRow, QuotaRow, SeasonRow};
use crate::storage::seasons::{AllocationError, Parent, QuotaError};
use crate::storage::{DbConnection, plans, seasons};
use crate::storage::{is_unique_violation, now};

/// A season by id; every authenticated caller sees seasons, so a missing one is a 404.
/// A page of the seasons, of one kind or all, in id order after `after` (every caller sees them).
pub fn list(
    conn: &mut DbConnection,
    kind: Option<SeasonKind>,
    after: Option<&SeasonId>,
    limit: i64,
) -> Result<Vec<SeasonRow>, Error> {
    Ok(seasons::list(conn, kind, after, limit)?)
}

/// The newest season (ids are ordered by creation), if there is one.
pub fn newest(conn: &mut DbConnection) -> Result<Option<SeasonRow>, Error> {
    Ok(seasons::newest(conn)?)
}

/// What a client sees of its own standing in a season: its last filing day for each contract type
/// (R2, with the extensions granted to it), and its allocation with the pilgrims it has planned
/// (R11), if it holds one.
pub struct Outlook {
    pub filing_days: Vec<(ContractType, NaiveDate)>,
    pub allocation: Option<(AllocationRow, i64)>,
}

/// The caller's [`Outlook`] in `season`; `None` for a caller that is not a client.
pub fn outlook(
    conn: &mut DbConnection,
    caller: &Caller,
    season: &SeasonRow,
) -> Result<Option<Outlook>, Error> {
    if !caller.kind.is_client() {
        return Ok(None);
    }
    let own = &caller.organization_id;
    let days = seasons::FilingDays::read(conn, season, Some(own))?;
    let filing_days = ContractType::ALL
        .iter()
        .map(|t| (*t, days.of(own, *t)))
        .collect();
    let allocation = match seasons::allocation(conn, &season.id, own)? {
        Some(a) => Some((a, plans::planned(conn, &season.id, own, None)?)),
        None => None,
    };
    Ok(Some(Outlook {
        filing_days,
        allocation,
    }))
}

pub fn find(conn: &mut DbConnection, id: &SeasonId) -> Result<SeasonRow, Error> {
    seasons::find(conn, id)?.ok_or_else(Error::not_found)
}

/// The quotas of a season the caller may see: all for the ministry, its country's for a client.
pub fn quotas(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &SeasonId,
) -> Result<Vec<QuotaRow>, Error> {
    find(conn, id)?;
    Ok(seasons::quotas(
        conn,
        id,
        &access::allocation_scope(caller),
    )?)
}

/// The allocations of a season the caller may see, each with its organisation's name and kind:
/// all for the ministry; an office's own and its agencies'; an agency's own.
pub fn allocations(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &SeasonId,
) -> Result<Vec<(AllocationRow, String, OrgKind)>, Error> {
    find(conn, id)?;
    Ok(seasons::allocations(
        conn,
        id,
        &access::allocation_scope(caller),
    )?)
}

/// The deadline extensions of a season the caller may see: all for the ministry, its own for a
/// client, none for anyone else.
pub fn extensions(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &SeasonId,
) -> Result<Vec<ExtensionRow>, Error> {
    find(conn, id)?;
    Ok(match access::extension_scope(caller) {
        ExtensionScope::All => seasons::extensions(conn, id, None)?,
        ExtensionScope::Client(own) => seasons::extensions(conn, id, Some(&own))?,
        ExtensionScope::Nothing => Vec::new(),
    })
}

/// The most pilgrims a quota or an allocation may hold.
pub const MAX_PILGRIMS: i64 = 10_000_000;

/// A number of pilgrims as a quota or an allocation takes it.
pub fn pilgrims(input: i64) -> Result<i64, Error> {
    if (0..=MAX_PILGRIMS).contains(&input) {
        Ok(input)
    } else {
        Err(Error::invalid_field(
            "pilgrims",
            Invalid::new("out_of_range"),
        ))
    }
}

/// Allocates pilgrims: the ministry to a country's office (out of the country's quota), an office
/// to its agencies (out of its own allocation); never below what is passed on or held (R7).
/// `pilgrims` is the request's number, or why it could not be read: it is checked once the caller
/// may allocate. Run inside a write transaction.
pub fn allocate(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &SeasonId,
    org: &OrganizationId,
    pilgrims_given: Result<i64, Error>,
) -> Result<(AllocationRow, String, OrgKind), Error> {
    find(conn, id)?;
    let target = super::organizations::visible(conn, caller, org)?;
    let kind = target.kind;
    access::allocate(caller, kind, target.parent_id.as_ref()).map_err(|e| match e {
        AllocateError::Forbidden(e) => e,
        AllocateError::WrongKind => Error::conflict("wrong_organization_kind"),
    })?;
    let pilgrims = pilgrims(pilgrims_given?)?;
    let country = target.country.clone().unwrap_or_default();
    let parent = match (kind, target.parent_id.as_ref()) {
        (OrgKind::Agency, Some(office_id)) => Parent::Office { office_id },
        _ => Parent::Quota { country: &country },
    };
    let row = seasons::set_allocation(conn, id, org, parent, pilgrims).map_err(|e| match e {
        AllocationError::QuotaExceeded { requested, left } => Error::conflict("quota_exceeded")
            .with_details(Details {
                requested: Some(requested),
                available: Some(left),
                ..Details::default()
            }),
        AllocationError::NoParent => Error::conflict("no_quota"),
        AllocationError::InUse => Error::conflict("allocation_in_use"),
        AllocationError::Db(e) => e.into(),
    })?;
    super::feed::readiness_inputs_changed(conn, id, org)?;
    if kind == OrgKind::Agency
        && let Some(office_id) = target.parent_id.as_ref()
    {
        // What an office passes on to its agencies it no longer plans itself.
        super::feed::readiness_inputs_changed(conn, id, office_id)?;
    }
    Ok((row, target.name, target.kind))
}

/// More time for one client to submit contracts of one type.
#[derive(Clone, Debug)]
pub struct NewExtension {
    /// The client (office or agency).
    pub organization_id: OrganizationId,
    pub contract_type: ContractType,
    /// The last day it may submit them; not after the season's end.
    pub until: chrono::NaiveDate,
    pub reason: Name,
}

/// Grants a client more time (ministry officers and admins); every grant is kept, with who
/// granted it and why. `new` is the request's, or why it could not be read: it is checked once
/// the caller may grant. Run inside a write transaction.
pub fn extend(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &SeasonId,
    new: Result<NewExtension, Error>,
) -> Result<ExtensionRow, Error> {
    access::ministry_work(caller)?;
    let new = new?;
    let granted_by = access::require_user(caller)?.0.clone();
    let season = find(conn, id)?;
    let client = crate::storage::organizations::find(conn, &new.organization_id)?
        .filter(|o| o.kind.is_client())
        .ok_or_else(|| {
            Error::invalid_field("organization_id", Invalid::new("unknown_reference"))
        })?;
    if new.until > season.ends_on {
        return Err(Error::invalid_field(
            "until",
            Invalid::new("after_season_end"),
        ));
    }
    let row = ExtensionRow {
        id: ExtensionId::generate(),
        season_id: season.id,
        organization_id: client.id.clone(),
        contract_type: new.contract_type,
        until: new.until,
        reason: new.reason.into_string(),
        granted_by,
        created_at: now(),
    };
    seasons::insert_extension(conn, &row)?;
    super::feed::extension(conn, &row.season_id, &client, row.id.as_str())?;
    Ok(row)
}

/// The longest season, in days.
pub const MAX_SEASON_DAYS: i64 = 400;

/// A season as the ministry opens it.
#[derive(Clone, Debug)]
pub struct NewSeason {
    pub kind: SeasonKind,
    pub hijri_year: i32,
    pub name: Name,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// The last day of filing housing, transport and catering contracts (R2).
    pub housing_deadline: NaiveDate,
    pub transport_deadline: NaiveDate,
    pub catering_deadline: NaiveDate,
}

/// A season's dates and name as given, before they are checked.
#[derive(Clone, Debug)]
pub struct SeasonInput<'a> {
    pub kind: SeasonKind,
    pub hijri_year: i32,
    pub name: &'a str,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub housing_deadline: NaiveDate,
    pub transport_deadline: NaiveDate,
    pub catering_deadline: NaiveDate,
}

impl NewSeason {
    /// Every refused field at once: a known Hijri year, an end after the start within
    /// [`MAX_SEASON_DAYS`], deadlines within the season, and a hajj season that holds the hajj days
    /// of its year.
    pub fn parse(input: SeasonInput<'_>) -> Result<NewSeason, Error> {
        let mut errors = Vec::new();
        let name = Name::parse(input.name)
            .map_err(|e| errors.push(FieldError::new("name", e)))
            .ok();
        if !HIJRI_YEARS.contains(&input.hijri_year) {
            errors.push(FieldError::new("hijri_year", Invalid::new("out_of_range")));
        }
        if input.ends_on < input.starts_on {
            errors.push(FieldError::new("ends_on", Invalid::new("before_start")));
        } else if (input.ends_on - input.starts_on).num_days() >= MAX_SEASON_DAYS {
            errors.push(FieldError::new(
                "ends_on",
                Invalid::with_limit("span_too_long", MAX_SEASON_DAYS as usize),
            ));
        }
        for (field, date) in [
            ("deadlines.housing", input.housing_deadline),
            ("deadlines.transport", input.transport_deadline),
            ("deadlines.catering", input.catering_deadline),
        ] {
            if date > input.ends_on {
                errors.push(FieldError::new(field, Invalid::new("after_season_end")));
            }
        }
        if input.kind == SeasonKind::Hajj && HIJRI_YEARS.contains(&input.hijri_year) {
            let covered = hajj_days(input.hijri_year).is_some_and(|days| {
                days.iter()
                    .all(|d| *d >= input.starts_on && *d <= input.ends_on)
            });
            if !covered {
                errors.push(FieldError::new(
                    "ends_on",
                    Invalid::new("hajj_days_outside"),
                ));
            }
        }
        match name {
            Some(name) if errors.is_empty() => Ok(NewSeason {
                kind: input.kind,
                hijri_year: input.hijri_year,
                name,
                starts_on: input.starts_on,
                ends_on: input.ends_on,
                housing_deadline: input.housing_deadline,
                transport_deadline: input.transport_deadline,
                catering_deadline: input.catering_deadline,
            }),
            _ => Err(Error::invalid(errors)),
        }
    }
}

/// Opens a season (ministry officers and admins); one of each kind per Hijri year
/// (`season_exists`). The input is judged once the caller may open seasons.
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    new: Result<NewSeason, Error>,
) -> Result<SeasonRow, Error> {
    access::ministry_work(caller)?;
    let new = new?;
    let at = now();
    let row = SeasonRow {
        id: SeasonId::generate(),
        kind: new.kind,
        hijri_year: new.hijri_year,
        name: new.name.into_string(),
        starts_on: new.starts_on,
        ends_on: new.ends_on,
        housing_deadline: new.housing_deadline,
        transport_deadline: new.transport_deadline,
        catering_deadline: new.catering_deadline,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    seasons::insert(conn, &row).map_err(|e| {
        if is_unique_violation(&e) {
            Error::conflict("season_exists")
        } else {
            e.into()
        }
    })?;
    Ok(row)
}

/// Sets a country's quota of pilgrims for a season (ministry officers and admins); never below
/// what is allocated to the country's office (`below_allocated`).
pub fn set_quota(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &SeasonId,
    country: &Country,
    pilgrims_given: Result<i64, Error>,
) -> Result<QuotaRow, Error> {
    access::ministry_work(caller)?;
    let pilgrims = pilgrims(pilgrims_given?)?;
    find(conn, id)?;
    seasons::set_quota(conn, id, country.as_str(), pilgrims).map_err(|e| match e {
        QuotaError::BelowAllocated => Error::conflict("below_allocated"),
        QuotaError::Db(e) => e.into(),
    })
}
