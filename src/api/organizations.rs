//! Organisations: the ministry opens, edits, suspends and reactivates them; everyone reads the ones
//! the access layer lets it see.

use super::extract::Query;
use super::lists;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, put, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::Caller;
use crate::api::problem::ProblemDetails;
use crate::auth::credentials::Authenticated;
use crate::domain::country::Country;
use crate::domain::ids::OrganizationId;
use crate::domain::organization::{Dataset, OrgKind, OrgStatus};
use crate::domain::text::search_key;
use crate::domain::{Invalid, text};
use crate::error::Error;
use crate::state::AppState;
use crate::storage::DbConnection;
use crate::storage::models::OrganizationRow;
use crate::storage::organizations::OrganizationFilter;

use super::extract::{Json, etag, if_match, page, path_id};
use super::idempotency::Idempotency;
use super::{Page, utc};

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
        let settings = cases::settings(conn, caller, &row)?;
        Ok(OrganizationView {
            id: row.id,
            kind: row.kind,
            name: row.name,
            name_ar: row.name_ar,
            country: row.country,
            parent_id: row.parent_id,
            status: row.status,
            version: row.version,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
            countries: settings.countries,
            datasets: settings.datasets,
        })
    }
}

fn respond(status: actix_web::http::StatusCode, view: OrganizationView) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(etag(view.version))
        .json(view)
}

use crate::usecases::organizations as cases;
pub use crate::usecases::organizations::visible;

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateOrganization {
    pub kind: OrgKind,
    #[schema(
        example = "Hajj Affairs Office of Indonesia",
        min_length = 1,
        max_length = 200
    )]
    pub name: String,
    #[schema(example = "مكتب شؤون حجاج إندونيسيا", min_length = 1, max_length = 200)]
    pub name_ar: String,
    /// ISO 3166-1 alpha-2; required for `hajj_office` and `agency`.
    #[schema(example = "ID", pattern = "^[A-Za-z]{2}$")]
    pub country: Option<String>,
    /// Required for `agency`: the hajj affairs office of the same country.
    pub parent_id: Option<OrganizationId>,
}

/// Opens an organisation (ministry admins).
#[utoipa::path(
    operation_id = "createOrganization",
    tag = "organizations",
    request_body = CreateOrganization,
    responses(
        (status = 201, description = "Created", body = OrganizationView, headers(("ETag" = String, description = "The version"))),
        (status = 409, description = "The country already has a hajj affairs office (`office_exists`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    body: Json<CreateOrganization>,
) -> Result<HttpResponse, Error> {
    let idempotency = Idempotency::new(&req, &body)?;
    let new = body.into_inner().and_then(|body| {
        cases::NewOrganization::parse(
            body.kind,
            &body.name,
            &body.name_ar,
            body.country.as_deref(),
            body.parent_id,
        )
    });
    let created = idempotency
        .create(&state, auth, move |conn, caller| {
            let row = cases::create(conn, caller, new.clone())?;
            OrganizationView::load_for(conn, caller, row)
        })
        .await?;
    Ok(created.respond(|id| format!("/api/v1/organizations/{id}")))
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
    operation_id = "listOrganizations",
    tag = "organizations",
    params(OrganizationQuery),
    responses((status = 200, description = "One page", body = Page<OrganizationView>))
)]
#[get("")]
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
        parent_id: query.parent_id,
        q,
    };
    lists::answer(
        &state,
        auth,
        &req,
        page,
        "organizations",
        move |conn, caller, page| {
            let rows = page.read(|after, n| cases::list(conn, caller, &filter, after, n))?;
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
    operation_id = "getOrganization",
    tag = "organizations",
    params(("id" = String, Path, description = "Organisation id")),
    responses((status = 200, description = "The organisation", body = OrganizationView, headers(("ETag" = String, description = "The version"))))
)]
#[get("/{id}")]
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
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    #[schema(min_length = 1, max_length = 200)]
    pub name_ar: Option<String>,
    /// `suspended` stops every user and key of the organisation at once; `active` restores them.
    pub status: Option<OrgStatus>,
}

/// Renames, suspends or reactivates an organisation (ministry admins). Needs `If-Match`.
#[utoipa::path(
    operation_id = "updateOrganization",
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
#[patch("/{id}")]
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
            let edit = body.get().and_then(|b| {
                cases::OrganizationEdit::parse(b.name.as_deref(), b.name_ar.as_deref(), b.status)
            });
            let row = cases::update(conn, caller, &id, version.clone(), edit)?;
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
    operation_id = "setTawafaCountries",
    tag = "organizations",
    request_body = SetCountries,
    params(("id" = String, Path, description = "Organisation id of a tawafa establishment")),
    responses(
        (status = 200, description = "Updated", body = OrganizationView),
        (status = 409, description = "Not a tawafa establishment (`wrong_organization_kind`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[put("/{id}/countries")]
pub async fn set_countries(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Json<SetCountries>,
) -> Result<HttpResponse, Error> {
    let id: OrganizationId = path_id(&id)?;
    let view = state
        .write(auth, move |conn, caller| {
            let row = cases::set_countries(conn, caller, &id, body.get().map(|b| b.countries))?;
            OrganizationView::load_for(conn, caller, row)
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
    operation_id = "setAuthorityGrants",
    tag = "organizations",
    request_body = SetGrants,
    params(("id" = String, Path, description = "Organisation id of an authority")),
    responses(
        (status = 200, description = "Updated", body = OrganizationView),
        (status = 409, description = "Not an authority (`wrong_organization_kind`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[put("/{id}/grants")]
pub async fn set_grants(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Json<SetGrants>,
) -> Result<HttpResponse, Error> {
    let id: OrganizationId = path_id(&id)?;
    let view = state
        .write(auth, move |conn, caller| {
            let row = cases::set_grants(conn, caller, &id, body.get().map(|b| b.datasets))?;
            OrganizationView::load_for(conn, caller, row)
        })
        .await?;
    Ok(respond(actix_web::http::StatusCode::OK, view))
}
