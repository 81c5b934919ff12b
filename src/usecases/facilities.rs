//! Facilities: service providers register buildings, fleets and kitchens with a licence window and
//! a capacity; clients browse those of active providers with their free capacity (docs/domain.md
//! section 3, rules R3 and R4).

use chrono::NaiveDate;

use crate::access::{self, Caller};
use crate::domain::Invalid;
use crate::domain::contract::MAX_UNITS;
use crate::domain::ids::FacilityId;
use crate::domain::season::{Facility, FacilityKind, Place};
use crate::domain::text::{Name, search_key};
use crate::error::Error;
use crate::storage::contracts::ShownBy;
use crate::storage::facilities::{self as store, FacilityFilter, UpdateError, facility_of};
use crate::storage::models::FacilityRow;
use crate::storage::{DbConnection, is_unique_violation, now};

/// A facility a provider registers, its fields already read.
#[derive(Clone, Debug)]
pub struct NewFacility {
    pub kind: FacilityKind,
    pub name: Name,
    pub name_ar: Option<Name>,
    /// Where a building or kitchen stands, or where a fleet is based.
    pub place: Place,
    pub licence_no: String,
    pub licence_valid_from: NaiveDate,
    pub licence_valid_to: NaiveDate,
    pub capacity: i64,
}

/// A facility with the least free units on any day of a range (by default, of its licence).
#[derive(Clone, Debug)]
pub struct FacilityDetails {
    pub facility: Facility,
    pub available: Option<i64>,
}

/// What a provider changes of its facility.
#[derive(Clone, Debug, Default)]
pub struct FacilityEdit {
    pub name: Option<String>,
    pub name_ar: Option<String>,
    pub capacity: Option<i64>,
}

/// Day by day: capacity and what pending and approved contracts hold.
#[derive(Clone, Copy, Debug)]
pub struct DayUse {
    pub date: NaiveDate,
    pub capacity: i64,
    pub held: i64,
}

pub(crate) fn visible(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &FacilityId,
) -> Result<FacilityRow, Error> {
    store::find_visible(conn, &access::facility_scope(caller), id)?.ok_or_else(Error::not_found)
}

fn with_available(
    conn: &mut DbConnection,
    row: FacilityRow,
    range: Option<(NaiveDate, NaiveDate)>,
) -> Result<FacilityDetails, Error> {
    let (from, to) = range.unwrap_or((row.licence_valid_from, row.licence_valid_to));
    let available = store::available(conn, std::slice::from_ref(&row.id), from, to)?
        .first()
        .map(|(_, a)| *a);
    Ok(FacilityDetails {
        facility: facility_of(row)?,
        available,
    })
}

/// Registers a facility of the caller, a service provider. `new` is the request's input, or why it
/// could not be read: looked at once the caller may register. Run inside a write transaction.
pub fn register(
    conn: &mut DbConnection,
    caller: &Caller,
    new: Result<NewFacility, Error>,
) -> Result<FacilityDetails, Error> {
    access::register_facilities(caller)?;
    let new = new?;
    let at = now();
    let row = FacilityRow {
        id: FacilityId::generate(),
        provider_id: caller.organization_id.clone(),
        kind: new.kind,
        search_key: search_key(&format!(
            "{} {}",
            new.name.as_str(),
            new.name_ar.as_ref().map_or("", Name::as_str)
        )),
        name: new.name.into_string(),
        name_ar: new.name_ar.map(Name::into_string).unwrap_or_default(),
        city: new.place,
        licence_no: new.licence_no,
        licence_valid_from: new.licence_valid_from,
        licence_valid_to: new.licence_valid_to,
        capacity: new.capacity,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    store::insert(conn, &row).map_err(|e| {
        if is_unique_violation(&e) {
            Error::conflict("licence_exists")
        } else {
            e.into()
        }
    })?;
    Ok(FacilityDetails {
        available: Some(row.capacity),
        facility: facility_of(row)?,
    })
}

/// One page of the facilities the caller may see, with their free units over the filter's range.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &FacilityFilter,
    after: Option<&FacilityId>,
    limit: i64,
) -> Result<Vec<FacilityDetails>, Error> {
    let rows = store::list(conn, &access::facility_scope(caller), filter, after, limit)?;
    rows.into_iter()
        .map(|row| with_available(conn, row, filter.range))
        .collect()
}

/// One facility the caller may see, with its least free units over its licence.
pub fn find(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &FacilityId,
) -> Result<FacilityDetails, Error> {
    let row = visible(conn, caller, id)?;
    with_available(conn, row, None)
}

/// Renames a facility or changes its capacity (its provider), if still at `version`; capacity
/// never drops below what contracts hold (R4). Run inside a write transaction.
pub fn edit(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &FacilityId,
    version: Result<Option<i64>, Error>,
    edit: Result<FacilityEdit, Error>,
) -> Result<FacilityDetails, Error> {
    let row = visible(conn, caller, id)?;
    access::change_facility(caller, &row.provider_id)?;
    let version = version?.unwrap_or(row.version);
    let edit = edit?;
    let names = if edit.name.is_some() || edit.name_ar.is_some() {
        let name = match &edit.name {
            Some(n) => Name::parse(n)
                .map_err(|e| Error::invalid_field("name", e))?
                .into_string(),
            None => row.name.clone(),
        };
        let name_ar = match &edit.name_ar {
            Some(n) => Name::parse(n)
                .map_err(|e| Error::invalid_field("name_ar", e))?
                .into_string(),
            None => row.name_ar.clone(),
        };
        Some(store::Names {
            search_key: search_key(&format!("{name} {name_ar}")),
            name,
            name_ar,
        })
    } else {
        None
    };
    if edit.capacity.is_some_and(|c| !(1..=MAX_UNITS).contains(&c)) {
        return Err(Error::invalid_field(
            "capacity",
            Invalid::new("out_of_range"),
        ));
    }
    let renamed = names.is_some();
    store::update(conn, &row, version, names, edit.capacity).map_err(|e| match e {
        UpdateError::Stale => Error::precondition_failed(),
        UpdateError::CapacityInUse => Error::conflict("capacity_in_use"),
        UpdateError::Db(e) => e.into(),
    })?;
    if renamed {
        super::contracts::rename_shown(conn, ShownBy::Facility(id))?;
    }
    find(conn, caller, id)
}

/// The longest range of days asked about at once (and the longest licence window).
pub const MAX_RANGE_DAYS: i64 = 800;

/// A range of days asked about: both ends or neither, in order, at most [`MAX_RANGE_DAYS`].
pub fn date_range(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Option<(NaiveDate, NaiveDate)>, Error> {
    match (from, to) {
        (None, None) => Ok(None),
        (Some(f), Some(t)) if f <= t && (t - f).num_days() < MAX_RANGE_DAYS => Ok(Some((f, t))),
        (Some(_), Some(_)) => Err(Error::invalid_query("to", Invalid::new("out_of_range"))),
        (None, _) => Err(Error::invalid_query("from", Invalid::new("required"))),
        (_, None) => Err(Error::invalid_query("to", Invalid::new("required"))),
    }
}

/// How much of a facility is held, day by day (its provider and the ministry), from `from` to
/// `to` (by default its licence's first and last days).
pub fn usage(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &FacilityId,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<Vec<DayUse>, Error> {
    let row = visible(conn, caller, id)?;
    if !access::sees_facility_usage(caller, &row.provider_id) {
        return Err(Error::forbidden());
    }
    let from = from.unwrap_or(row.licence_valid_from);
    let to = to.unwrap_or(row.licence_valid_to);
    date_range(Some(from), Some(to))?;
    Ok(store::usage(conn, &row.id, from, to)?
        .into_iter()
        .map(|(date, capacity, held)| DayUse {
            date,
            capacity,
            held,
        })
        .collect())
}
