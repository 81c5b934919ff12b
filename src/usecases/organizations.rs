//! Organisations: the ministry opens, renames, suspends and reactivates them and keeps their private
//! settings (a tawafa establishment's countries, an authority's grants); every caller reads the ones
//! the access layer lets it see (docs/domain.md sections 1 and 7).

use crate::access::{self, Caller};
use crate::domain::Invalid;
use crate::domain::country::Country;
use crate::domain::ids::OrganizationId;
use crate::domain::organization::{Dataset, OrgKind, OrgStatus};
use crate::domain::text::{Name, search_key};
use crate::error::{Error, FieldError};
use crate::storage::contracts::ShownBy;
use crate::storage::models::OrganizationRow;
use crate::storage::organizations::{self as store, OrganizationChanges, OrganizationFilter};
use crate::storage::{DbConnection, is_unique_violation, now};

/// The most countries a tawafa establishment can be assigned.
pub const MAX_COUNTRIES: usize = 250;

/// An organisation the caller may see; any other is not found (404 before 403).
pub fn visible(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &OrganizationId,
) -> Result<OrganizationRow, Error> {
    store::find_visible(conn, &access::organization_scope(caller), id)?.ok_or_else(Error::not_found)
}

/// A page of the organisations the caller may see, in id order after `after`.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &OrganizationFilter,
    after: Option<&OrganizationId>,
    limit: i64,
) -> Result<Vec<OrganizationRow>, Error> {
    let scope = access::organization_scope(caller);
    Ok(store::list(conn, &scope, filter, after, limit)?)
}

/// The private settings of an organisation, where the caller may see them: a tawafa
/// establishment's countries, an authority's granted datasets.
#[derive(Debug, Default)]
pub struct Settings {
    pub countries: Option<Vec<String>>,
    pub datasets: Option<Vec<Dataset>>,
}

pub fn settings(
    conn: &mut DbConnection,
    caller: &Caller,
    row: &OrganizationRow,
) -> Result<Settings, Error> {
    let id = row.id.clone();
    if !access::sees_organization_settings(caller, &id) {
        return Ok(Settings::default());
    }
    Ok(match row.kind {
        OrgKind::Tawafa => Settings {
            countries: Some(store::countries(conn, &row.id)?),
            datasets: None,
        },
        OrgKind::Authority => Settings {
            countries: None,
            datasets: Some(
                store::grants(conn, &row.id)?
                    .iter()
                    .filter_map(|d| Dataset::parse(d))
                    .collect(),
            ),
        },
        _ => Settings::default(),
    })
}

/// A new organisation as the ministry describes it, checked field by field.
#[derive(Clone, Debug)]
pub struct NewOrganization {
    pub kind: OrgKind,
    pub name: Name,
    pub name_ar: Name,
    pub country: Option<Country>,
    /// An agency's hajj affairs office.
    pub parent_id: Option<OrganizationId>,
}

impl NewOrganization {
    /// Every refused field at once: names, a country where the kind needs one, a parent for an
    /// agency and for nothing else.
    pub fn parse(
        kind: OrgKind,
        name: &str,
        name_ar: &str,
        country: Option<&str>,
        parent_id: Option<OrganizationId>,
    ) -> Result<NewOrganization, Error> {
        let mut errors = Vec::new();
        let name = collect(&mut errors, "name", Name::parse(name));
        let name_ar = collect(&mut errors, "name_ar", Name::parse(name_ar));
        let country = match country {
            Some(c) => collect(&mut errors, "country", Country::parse(c)),
            None if kind.needs_country() => {
                errors.push(FieldError::new("country", Invalid::new("required")));
                None
            }
            None => None,
        };
        match (&parent_id, kind) {
            (None, OrgKind::Agency) => {
                errors.push(FieldError::new("parent_id", Invalid::new("required")))
            }
            (Some(_), kind) if kind != OrgKind::Agency => {
                errors.push(FieldError::new("parent_id", Invalid::new("not_allowed")))
            }
            _ => {}
        }
        match (name, name_ar) {
            (Some(name), Some(name_ar)) if errors.is_empty() => Ok(NewOrganization {
                kind,
                name,
                name_ar,
                country,
                parent_id,
            }),
            _ => Err(Error::invalid(errors)),
        }
    }
}

/// Opens an organisation (ministry admins). The input is judged only once the caller may open
/// organisations at all; an agency's parent must be the hajj affairs office of its country; a
/// country has one office (`office_exists`).
pub fn create(
    conn: &mut DbConnection,
    caller: &Caller,
    new: Result<NewOrganization, Error>,
) -> Result<OrganizationRow, Error> {
    access::manage_organizations(caller)?;
    let new = new?;
    if let Some(parent_id) = &new.parent_id {
        let parent = store::find(conn, parent_id)?
            .filter(|p| p.kind == OrgKind::HajjOffice)
            .ok_or_else(|| Error::invalid_field("parent_id", Invalid::new("not_a_parent")))?;
        if parent.country.as_deref() != new.country.as_ref().map(Country::as_str) {
            return Err(Error::invalid_field(
                "country",
                Invalid::new("country_mismatch"),
            ));
        }
    }
    let at = now();
    let row = OrganizationRow {
        id: OrganizationId::generate(),
        kind: new.kind,
        search_key: search_key(&format!("{} {}", new.name.as_str(), new.name_ar.as_str())),
        name: new.name.into_string(),
        name_ar: new.name_ar.into_string(),
        country: new.country.map(|c| c.as_str().to_owned()),
        parent_id: new.parent_id,
        status: OrgStatus::Active,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    store::insert(conn, &row).map_err(|e| {
        if is_unique_violation(&e) {
            Error::conflict("office_exists")
        } else {
            e.into()
        }
    })?;
    Ok(row)
}

/// What an edit changes; an absent field stays as it is.
#[derive(Clone, Debug, Default)]
pub struct OrganizationEdit {
    pub name: Option<Name>,
    pub name_ar: Option<Name>,
    /// `suspended` stops every user and key of the organisation at once; `active` restores them.
    pub status: Option<OrgStatus>,
}

impl OrganizationEdit {
    pub fn parse(
        name: Option<&str>,
        name_ar: Option<&str>,
        status: Option<OrgStatus>,
    ) -> Result<OrganizationEdit, Error> {
        let mut errors = Vec::new();
        let name = name.and_then(|n| collect(&mut errors, "name", Name::parse(n)));
        let name_ar = name_ar.and_then(|n| collect(&mut errors, "name_ar", Name::parse(n)));
        if !errors.is_empty() {
            return Err(Error::invalid(errors));
        }
        Ok(OrganizationEdit {
            name,
            name_ar,
            status,
        })
    }
}

/// Renames, suspends or reactivates an organisation (ministry admins), at `version` (the current
/// one when `None`). Visibility, then permission, then the version asked for, then the input: an
/// invisible organisation is a 404 whatever was sent. A ministry never suspends itself.
pub fn update(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &OrganizationId,
    version: Result<Option<i64>, Error>,
    edit: Result<OrganizationEdit, Error>,
) -> Result<OrganizationRow, Error> {
    let row = visible(conn, caller, id)?;
    access::manage_organizations(caller)?;
    let version = version?.unwrap_or(row.version);
    let edit = edit?;
    if edit.status == Some(OrgStatus::Suspended) && &caller.organization_id == id {
        return Err(Error::conflict("self_lockout"));
    }
    let search = (edit.name.is_some() || edit.name_ar.is_some()).then(|| {
        let n = edit.name.as_ref().map(Name::as_str).unwrap_or(&row.name);
        let a = edit
            .name_ar
            .as_ref()
            .map(Name::as_str)
            .unwrap_or(&row.name_ar);
        search_key(&format!("{n} {a}"))
    });
    let changes = OrganizationChanges {
        name: edit.name.map(Name::into_string),
        name_ar: edit.name_ar.map(Name::into_string),
        search_key: search,
        status: edit.status.map(|s| s.as_str().to_owned()),
    };
    if !store::update(conn, id, version, &changes)? {
        return Err(Error::precondition_failed());
    }
    if changes.search_key.is_some() {
        super::contracts::rename_shown(conn, ShownBy::Organization(id))?;
    }
    visible(conn, caller, id)
}

/// Assigns the countries whose clients a tawafa establishment serves (ministry admins); the list
/// replaces the current one.
pub fn set_countries(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &OrganizationId,
    requested: Result<Vec<String>, Error>,
) -> Result<OrganizationRow, Error> {
    change_settings(conn, caller, id, OrgKind::Tawafa, |conn| {
        let requested = requested?;
        if requested.len() > MAX_COUNTRIES {
            return Err(Error::invalid_field(
                "countries",
                Invalid::with_limit("too_many", MAX_COUNTRIES),
            ));
        }
        let mut errors = Vec::new();
        let mut countries: Vec<String> = requested
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                collect(&mut errors, &format!("countries[{i}]"), Country::parse(c))
            })
            .map(|c| c.as_str().to_owned())
            .collect();
        if !errors.is_empty() {
            return Err(Error::invalid(errors));
        }
        countries.sort();
        countries.dedup();
        Ok(store::replace_countries(conn, id, &countries)?)
    })
}

/// Grants an authority the datasets it may read (ministry admins); the list replaces the current
/// grants (R13).
pub fn set_grants(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &OrganizationId,
    datasets: Result<Vec<Dataset>, Error>,
) -> Result<OrganizationRow, Error> {
    change_settings(conn, caller, id, OrgKind::Authority, |conn| {
        let mut datasets: Vec<String> = datasets?.iter().map(|d| d.as_str().to_owned()).collect();
        datasets.sort();
        datasets.dedup();
        Ok(store::replace_grants(conn, id, &datasets)?)
    })
}

/// A ministry admin's change to the private settings of an organisation of `kind`: `apply` runs
/// once the organisation is visible, the caller may manage it and it is of that kind. Settings are
/// part of the organisation: its version moves on.
fn change_settings(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &OrganizationId,
    kind: OrgKind,
    apply: impl FnOnce(&mut DbConnection) -> Result<(), Error>,
) -> Result<OrganizationRow, Error> {
    let row = visible(conn, caller, id)?;
    access::manage_organizations(caller)?;
    if row.kind != kind {
        return Err(Error::conflict("wrong_organization_kind"));
    }
    apply(conn)?;
    if !store::update(conn, &row.id, row.version, &OrganizationChanges::default())? {
        return Err(Error::precondition_failed());
    }
    visible(conn, caller, id)
}

fn collect<T>(errors: &mut Vec<FieldError>, field: &str, parsed: Result<T, Invalid>) -> Option<T> {
    parsed
        .map_err(|e| errors.push(FieldError::new(field, e)))
        .ok()
}
