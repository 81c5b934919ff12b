//! Seasons, as every use case that works within one finds it.

use crate::access::{self, AllocateError, Caller, ExtensionScope};
use crate::domain::Invalid;
use crate::domain::ids::ExtensionId;
use crate::domain::ids::OrganizationId;
use crate::domain::ids::SeasonId;
use crate::domain::organization::OrgKind;
use crate::domain::season::ContractType;
use crate::domain::text::Name;
use crate::error::Details;
use crate::error::Error;
use crate::storage::models::{AllocationRow, ExtensionRow, QuotaRow, SeasonRow};
use crate::storage::now;
use crate::storage::seasons::{AllocationError, Parent};
use crate::storage::{DbConnection, seasons};

/// A season by id; every authenticated caller sees seasons, so a missing one is a 404.
pub fn find(conn: &mut DbConnection, id: &str) -> Result<SeasonRow, Error> {
    seasons::find(conn, id)?.ok_or_else(Error::not_found)
}

/// The quotas of a season the caller may see: all for the ministry, its country's for a client.
pub fn quotas(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &SeasonId,
) -> Result<Vec<QuotaRow>, Error> {
    find(conn, id.as_str())?;
    Ok(seasons::quotas(
        conn,
        id.as_str(),
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
    find(conn, id.as_str())?;
    Ok(seasons::allocations(
        conn,
        id.as_str(),
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
    find(conn, id.as_str())?;
    Ok(match access::extension_scope(caller) {
        ExtensionScope::All => seasons::extensions(conn, id.as_str(), None)?,
        ExtensionScope::Client(own) => seasons::extensions(conn, id.as_str(), Some(own.as_str()))?,
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
    find(conn, id.as_str())?;
    let target = super::organizations::visible(conn, caller, org)?;
    let kind = target.kind;
    access::allocate(caller, kind, target.parent_id.as_deref()).map_err(|e| match e {
        AllocateError::Forbidden(e) => e,
        AllocateError::WrongKind => Error::conflict("wrong_organization_kind"),
    })?;
    let pilgrims = pilgrims(pilgrims_given?)?;
    let country = target.country.clone().unwrap_or_default();
    let parent = match (kind, target.parent_id.as_deref()) {
        (OrgKind::Agency, Some(office_id)) => Parent::Office { office_id },
        _ => Parent::Quota { country: &country },
    };
    let row = seasons::set_allocation(conn, id.as_str(), org.as_str(), parent, pilgrims).map_err(
        |e| match e {
            AllocationError::QuotaExceeded { requested, left } => Error::conflict("quota_exceeded")
                .with_details(Details {
                    requested: Some(requested),
                    available: Some(left),
                    ..Details::default()
                }),
            AllocationError::NoParent => Error::conflict("no_quota"),
            AllocationError::InUse => Error::conflict("allocation_in_use"),
            AllocationError::Db(e) => e.into(),
        },
    )?;
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
    let granted_by = access::require_user(caller)?.0.to_string();
    let season = find(conn, id.as_str())?;
    let client = crate::storage::organizations::find(conn, new.organization_id.as_str())?
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
        id: ExtensionId::generate().into_string(),
        season_id: season.id,
        organization_id: client.id,
        contract_type: new.contract_type,
        until: new.until,
        reason: new.reason.into_string(),
        granted_by,
        created_at: now(),
    };
    seasons::insert_extension(conn, &row)?;
    Ok(row)
}
