//! API keys: how an organisation's own systems call the portal. Shown once, stored as hashes.

use super::extract::Query;
use super::lists;
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::problem::ProblemDetails;
use crate::auth::credentials::Authenticated;
use crate::domain::ids::{ApiKeyId, OrganizationId};
use crate::domain::organization::Role;
use crate::error::Error;
use crate::state::AppState;
use crate::storage::models::ApiKeyRow;
use crate::usecases::api_keys as cases;

use super::extract::{Json, PageQuery, path_id};
use super::{Page, utc};

#[derive(Serialize, ToSchema)]
pub struct ApiKeyView {
    pub id: ApiKeyId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub role: Role,
    /// The first characters of the key, to tell keys apart.
    #[schema(example = "etk_Xy12Ab")]
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKeyView {
    fn from_row(row: ApiKeyRow) -> Result<ApiKeyView, Error> {
        Ok(ApiKeyView {
            id: row.id,
            organization_id: row.organization_id,
            name: row.name,
            role: row.role,
            prefix: row.prefix,
            created_at: utc(row.created_at),
            revoked_at: row.revoked_at.map(utc),
        })
    }
}

#[derive(Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub api_key: ApiKeyView,
    /// The key itself. It is shown only now: store it safely. Send it as `X-Api-Key`.
    pub key: String,
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateApiKey {
    #[schema(example = "readiness sync", max_length = 200)]
    pub name: String,
    /// `officer` or `viewer`: keys never administer users or keys.
    pub role: Role,
}

/// Makes an API key for the caller's own organisation (its admins).
#[utoipa::path(
    operation_id = "createApiKey",
    tag = "api-keys",
    request_body = CreateApiKey,
    params(("id" = String, Path, description = "Organisation id (the caller's own)")),
    responses((status = 201, description = "Created; the key is in the body, once", body = CreatedApiKey))
)]
#[post("/{id}/api-keys")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Json<CreateApiKey>,
) -> Result<HttpResponse, Error> {
    let org_id: OrganizationId = path_id(&id)?;
    let fresh = cases::FreshKey::generate();
    let key = fresh.key.clone();
    let view = state
        .write(auth, move |conn, caller| {
            let input = body.get().map(|b| (b.name, b.role));
            ApiKeyView::from_row(cases::create(conn, caller, &org_id, &fresh, input)?)
        })
        .await?;
    Ok(HttpResponse::Created().json(CreatedApiKey { api_key: view, key }))
}

/// Lists an organisation's API keys, live and revoked (its admins, or a ministry admin).
#[utoipa::path(
    operation_id = "listApiKeys",
    tag = "api-keys",
    params(("id" = String, Path, description = "Organisation id"), PageQuery),
    responses((status = 200, description = "One page", body = Page<ApiKeyView>))
)]
#[get("/{id}/api-keys")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    query: Query<PageQuery>,
) -> Result<HttpResponse, Error> {
    let org_id: OrganizationId = path_id(&id)?;
    let page = query.parse()?;
    lists::answer(
        &state,
        auth,
        &req,
        page,
        "api-keys",
        move |conn, caller, page| {
            let rows = page.read(|after, n| cases::list(conn, caller, &org_id, after, n))?;
            page.try_show(rows, |r| &r.id, ApiKeyView::from_row)
        },
    )
    .await
}

/// Revokes an API key at once. Revoking a revoked key changes nothing and succeeds.
#[utoipa::path(
    operation_id = "revokeApiKey",
    tag = "api-keys",
    params(("id" = String, Path, description = "API key id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No such key, or not the caller's to see", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[delete("/{id}")]
pub async fn revoke(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: ApiKeyId = path_id(&id)?;
    state
        .write(auth, move |conn, caller| cases::revoke(conn, caller, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
