//! Organisations: the ministry opens, edits, suspends and reactivates them; everyone reads the ones
//! the access layer lets it see.

use super::extract::Query;
use super::lists;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::{self, Caller};
use crate::api::problem::ProblemDetails;
use crate::auth::credentials::Authenticated;
use crate::domain::country::Country;
use crate::domain::ids::OrganizationId;
use crate::domain::organization::{Dataset, OrgKind, OrgStatus};
use crate::domain::text::{Name, search_key};
use crate::domain::{Invalid, text};
use crate::error::{Error, FieldError};
use crate::state::AppState;
use crate::storage::models::OrganizationRow;
use crate::storage::organizations::{self as store, OrganizationChanges, OrganizationFilter};
use crate::storage::{DbConnection, is_unique_violation, now};

use super::extract::{Json, etag, if_match, page, path_id};
use super::idempotency::Idempotency;
use super::{Page, utc};

/// The most countries a tawafa establishment can be assigned.
const MAX_COUNTRIES: usize = 250;

#[derive(Serialize, ToSchema, Debug)]
pub struct OrganizationView {
    pub id: OrganizationId,
    pub kind: OrgKind,
    pub name: String,
    pub name_ar: String,
    /// ISO 3166-1 alpha-2; offices and agencies always have one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    /// An agency's hajj affairs office.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent_id: Option<OrganizationId>,
    pub status: OrgStatus,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// A tawafa establishment's assigned countries (shown to the ministry and to itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub countries: Option<Vec<String>>,
    /// An authority's granted datasets (shown to the ministry and to itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub datasets: Option<Vec<Dataset>>,
}

impl OrganizationView {
    /// The view of a row; settings are loaded only where the caller may see them.
    pub fn load_for(
        conn: &mut DbConnection,
        caller: &Caller,
        row: OrganizationRow,
    ) -> Result<OrganizationView, Error> {
        let id = OrganizationId::from_stored(row.id);
        let kind = row.kind;
        let shows_settings = access::sees_organization_settings(caller, &id);
        let countries = if shows_settings && kind == OrgKind::Tawafa {
            Some(store::countries(conn, id.as_str())?)
        } else {
            None
        };
        let datasets = if shows_settings && kind == OrgKind::Authority {
            Some(
                store::grants(conn, id.as_str())?
                    .iter()
                    .filter_map(|d| Dataset::parse(d))
                    .collect(),
            )
        } else {
            None
        };
        Ok(OrganizationView {
            id,
            kind,
            name: row.name,
            name_ar: row.name_ar,
            country: row.country,
            parent_id: row.parent_id.map(OrganizationId::from_stored),
            status: row.status,
            version: row.version,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
            countries,
            datasets,
        })
    }
}

fn respond(status: actix_web::http::StatusCode, view: OrganizationView) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(etag(view.version))
        .json(view)
}

pub use crate::usecases::organizations::visible;

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganization {
    pub kind: OrgKind,
    #[schema(example = "Hajj Affairs Office of Indonesia")]
    pub name: String,
    #[schema(example = "مكتب شؤون حجاج إندونيسيا")]
    pub name_ar: String,
    /// ISO 3166-1 alpha-2; required for `hajj_office` and `agency`.
    pub country: Option<String>,
    /// Required for `agency`: the hajj affairs office of the same country.
    pub parent_id: Option<OrganizationId>,
}

/// Opens an organisation (ministry admins).
#[utoipa::path(
    tag = "organizations",
    request_body = CreateOrganization,
    responses(
        (status = 201, description = "Created", body = OrganizationView, headers(("ETag" = String, description = "The version"))),
        (status = 409, description = "The country already has a hajj affairs office (`office_exists`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/organizations")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    body: Json<CreateOrganization>,
) -> Result<HttpResponse, Error> {
    let idempotency = Idempotency::new(&req, &body)?;
    // Checked only once the caller may create at all (below).
    let parsed = body.into_inner().and_then(|body| {
        let mut errors = Vec::new();
        let name = collect(&mut errors, "name", Name::parse(&body.name));
        let name_ar = collect(&mut errors, "name_ar", Name::parse(&body.name_ar));
        let country = match &body.country {
            Some(c) => collect(&mut errors, "country", Country::parse(c)),
            None if body.kind.needs_country() => {
                errors.push(FieldError::new("country", Invalid::new("required")));
                None
            }
            None => None,
        };
        match (&body.parent_id, body.kind) {
            (None, OrgKind::Agency) => {
                errors.push(FieldError::new("parent_id", Invalid::new("required")))
            }
            (Some(_), kind) if kind != OrgKind::Agency => {
                errors.push(FieldError::new("parent_id", Invalid::new("not_allowed")))
            }
            _ => {}
        }
        if !errors.is_empty() {
            return Err(Error::invalid(errors));
        }
        let (Some(name), Some(name_ar)) = (name, name_ar) else {
            return Err(Error::internal());
        };
        Ok((body, name, name_ar, country))
    });
    let created = idempotency
        .create(&state, auth, move |conn, caller| {
            access::manage_organizations(caller)?;
            let (body, name, name_ar, country) = parsed.clone()?;
            if let Some(parent_id) = &body.parent_id {
                let parent = store::find(conn, parent_id.as_str())?
                    .filter(|p| p.kind == OrgKind::HajjOffice)
                    .ok_or_else(|| {
                        Error::invalid_field("parent_id", Invalid::new("not_a_parent"))
                    })?;
                if parent.country.as_deref() != country.as_ref().map(Country::as_str) {
                    return Err(Error::invalid_field(
                        "country",
                        Invalid::new("country_mismatch"),
                    ));
                }
            }
            let at = now();
            let row = OrganizationRow {
                id: OrganizationId::generate().into_string(),
                kind: body.kind,
                search_key: search_key(&format!("{} {}", name.as_str(), name_ar.as_str())),
                name: name.into_string(),
                name_ar: name_ar.into_string(),
                country: country.map(|c| c.as_str().to_owned()),
                parent_id: body.parent_id.map(OrganizationId::into_string),
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
            OrganizationView::load_for(conn, caller, row)
        })
        .await?;
    Ok(created.respond(|id| format!("/api/v1/organizations/{id}")))
}

fn collect<T>(errors: &mut Vec<FieldError>, field: &str, parsed: Result<T, Invalid>) -> Option<T> {
    parsed
        .map_err(|e| errors.push(FieldError::new(field, e)))
        .ok()
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct OrganizationQuery {
    /// Only organisations of this kind.
    pub kind: Option<OrgKind>,
    /// `active` or `suspended`.
    pub status: Option<OrgStatus>,
    /// ISO 3166-1 alpha-2.
    pub country: Option<String>,
    /// Agencies of this office.
    pub parent_id: Option<OrganizationId>,
    /// Searches the English and Arabic names; Arabic letter variants match each other.
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Lists the organisations the caller may see.
#[utoipa::path(
    tag = "organizations",
    params(OrganizationQuery),
    responses((status = 200, description = "One page", body = Page<OrganizationView>))
)]
#[get("/organizations")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    query: Query<OrganizationQuery>,
) -> Result<HttpResponse, Error> {
    let query = query.into_inner();
    let page = page(query.limit, query.cursor)?;
    let country = match &query.country {
        Some(c) => Some(
            Country::parse(c)
                .map_err(|e| Error::invalid_query("country", e))?
                .as_str()
                .to_owned(),
        ),
        None => None,
    };
    let q = query.q.as_deref().map(search_key).filter(|q| !q.is_empty());
    if q.as_ref()
        .is_some_and(|q| q.chars().count() > text::MAX_NAME_CHARS)
    {
        return Err(Error::invalid_query(
            "q",
            Invalid::with_limit("too_long", text::MAX_NAME_CHARS),
        ));
    }
    let filter = OrganizationFilter {
        kind: query.kind.map(|k| k.as_str().to_owned()),
        status: query.status.map(|s| s.as_str().to_owned()),
        country,
        parent_id: query.parent_id.map(OrganizationId::into_string),
        q,
    };
    lists::answer(
        &state,
        auth,
        &req,
        page,
        "organizations",
        move |conn, caller, page| {
            let scope = access::organization_scope(caller);
            let rows = store::list(conn, &scope, &filter, page.after.as_deref(), page.fetch())?;
            page.try_show(
                rows,
                |r| &r.id,
                |row| OrganizationView::load_for(conn, caller, row),
            )
        },
    )
    .await
}

/// One organisation.
#[utoipa::path(
    tag = "organizations",
    params(("id" = String, Path, description = "Organisation id")),
    responses((status = 200, description = "The organisation", body = OrganizationView, headers(("ETag" = String, description = "The version"))))
)]
#[get("/organizations/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: OrganizationId = path_id(&id)?;
    let view = state
        .read(auth, move |conn, caller| {
            let row = visible(conn, caller, &id)?;
            OrganizationView::load_for(conn, caller, row)
        })
        .await?;
    Ok(respond(actix_web::http::StatusCode::OK, view))
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct UpdateOrganization {
    pub name: Option<String>,
    pub name_ar: Option<String>,
    /// `suspended` stops every user and key of the organisation at once; `active` restores them.
    pub status: Option<OrgStatus>,
}

/// Renames, suspends or reactivates an organisation (ministry admins). Needs `If-Match`.
#[utoipa::path(
    tag = "organizations",
    request_body = UpdateOrganization,
    params(
        ("id" = String, Path, description = "Organisation id"),
        ("If-Match" = String, Header, description = "The version being changed, as its ETag (`*`: whatever version is current)"),
    ),
    responses(
        (status = 200, description = "Updated", body = OrganizationView, headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "A ministry cannot suspend itself (`self_lockout`)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "Stale version", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[patch("/organizations/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<UpdateOrganization>,
) -> Result<HttpResponse, Error> {
    let id: OrganizationId = path_id(&id)?;
    let version = if_match(&req);
    let view = state
        .write(auth, move |conn, caller| {
            let row = visible(conn, caller, &id)?;
            access::manage_organizations(caller)?;
            let version = version.clone()?.unwrap_or(row.version);
            let body = body.get()?;
            let mut errors = Vec::new();
            let name = body
                .name
                .as_deref()
                .and_then(|n| collect(&mut errors, "name", Name::parse(n)));
            let name_ar = body
                .name_ar
                .as_deref()
                .and_then(|n| collect(&mut errors, "name_ar", Name::parse(n)));
            if !errors.is_empty() {
                return Err(Error::invalid(errors));
            }
            if body.status == Some(OrgStatus::Suspended) && caller.organization_id == id {
                return Err(Error::conflict("self_lockout"));
            }
            let search = (name.is_some() || name_ar.is_some()).then(|| {
                let n = name.as_ref().map(Name::as_str).unwrap_or(&row.name);
                let a = name_ar.as_ref().map(Name::as_str).unwrap_or(&row.name_ar);
                search_key(&format!("{n} {a}"))
            });
            let changes = OrganizationChanges {
                name: name.map(Name::into_string),
                name_ar: name_ar.map(Name::into_string),
                search_key: search,
                status: body.status.map(|s| s.as_str().to_owned()),
            };
            if !store::update(conn, id.as_str(), version, &changes)? {
                return Err(Error::precondition_failed());
            }
            let row = visible(conn, caller, &id)?;
            OrganizationView::load_for(conn, caller, row)
        })
        .await?;
    Ok(respond(actix_web::http::StatusCode::OK, view))
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct SetCountries {
    /// ISO 3166-1 alpha-2 codes; replaces the current list.
    #[schema(max_items = 250)]
    pub countries: Vec<String>,
}

/// Assigns the countries whose clients a tawafa establishment serves (ministry admins).
#[utoipa::path(
    tag = "organizations",
    request_body = SetCountries,
    params(("id" = String, Path, description = "Organisation id of a tawafa establishment")),
    responses(
        (status = 200, description = "Updated", body = OrganizationView),
        (status = 409, description = "Not a tawafa establishment (`wrong_organization_kind`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[put("/organizations/{id}/countries")]
pub async fn set_countries(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Json<SetCountries>,
) -> Result<HttpResponse, Error> {
    let id: OrganizationId = path_id(&id)?;
    let view = state
        .write(auth, move |conn, caller| {
            change_settings(conn, caller, &id, OrgKind::Tawafa, |conn| {
                let requested = body.get()?.countries;
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
                Ok(store::replace_countries(conn, id.as_str(), &countries)?)
            })
        })
        .await?;
    Ok(respond(actix_web::http::StatusCode::OK, view))
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct SetGrants {
    /// Replaces the current grants.
    #[schema(max_items = 4)]
    pub datasets: Vec<Dataset>,
}

/// Grants an authority the datasets it may read (ministry admins).
#[utoipa::path(
    tag = "organizations",
    request_body = SetGrants,
    params(("id" = String, Path, description = "Organisation id of an authority")),
    responses(
        (status = 200, description = "Updated", body = OrganizationView),
        (status = 409, description = "Not an authority (`wrong_organization_kind`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[put("/organizations/{id}/grants")]
pub async fn set_grants(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Json<SetGrants>,
) -> Result<HttpResponse, Error> {
    let id: OrganizationId = path_id(&id)?;
    let view = state
        .write(auth, move |conn, caller| {
            change_settings(conn, caller, &id, OrgKind::Authority, |conn| {
                let mut datasets: Vec<String> = body
                    .get()?
                    .datasets
                    .iter()
                    .map(|d| d.as_str().to_owned())
                    .collect();
                datasets.sort();
                datasets.dedup();
                Ok(store::replace_grants(conn, id.as_str(), &datasets)?)
            })
        })
        .await?;
    Ok(respond(actix_web::http::StatusCode::OK, view))
}

/// Settings are part of the organisation: changing them moves its version on.
/// A ministry admin's change to the private settings of an organisation of `kind` (a tawafa
/// establishment's countries, an authority's grants): `apply` runs once the organisation is
/// visible, the caller may manage it and it is of that kind; the organisation's version moves on.
fn change_settings(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &OrganizationId,
    kind: OrgKind,
    apply: impl FnOnce(&mut DbConnection) -> Result<(), Error>,
) -> Result<OrganizationView, Error> {
    let row = visible(conn, caller, id)?;
    access::manage_organizations(caller)?;
    if row.kind != kind {
        return Err(Error::conflict("wrong_organization_kind"));
    }
    apply(conn)?;
    bump(conn, &row)?;
    let row = visible(conn, caller, id)?;
    OrganizationView::load_for(conn, caller, row)
}

fn bump(conn: &mut DbConnection, row: &OrganizationRow) -> Result<(), Error> {
    if store::update(conn, &row.id, row.version, &OrganizationChanges::default())? {
        Ok(())
    } else {
        Err(Error::precondition_failed())
    }
}
