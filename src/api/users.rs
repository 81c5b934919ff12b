//! Users of an organisation: its admin (or a ministry admin) creates, edits and deactivates them.

use super::extract::Query;
use super::lists;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::problem::ProblemDetails;
use crate::auth::credentials::Authenticated;
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::organization::{Language, Role};
use crate::error::Error;
use crate::state::AppState;
use crate::storage::models::UserRow;

use super::extract::{Json, PageQuery, etag, if_match, path_id};
use super::idempotency::Idempotency;
use super::{Page, utc};
use crate::usecases::users as cases;

#[derive(Serialize, ToSchema, Debug)]
pub struct UserView {
    pub id: UserId,
    pub organization_id: OrganizationId,
    pub email: String,
    pub full_name: String,
    pub role: Role,
    pub language: Language,
    pub active: bool,
    /// False while an invited user has not yet set a password through the emailed link.
    pub password_set: bool,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl UserView {
    pub fn from_row(row: UserRow) -> Result<UserView, Error> {
        Ok(UserView {
            id: row.id,
            organization_id: row.organization_id,
            email: row.email,
            full_name: row.full_name,
            role: row.role,
            language: row.language,
            active: row.active,
            password_set: !row.password_hash.is_empty(),
            version: row.version,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        })
    }
}

fn respond(status: StatusCode, view: UserView) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(etag(view.version))
        .json(view)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(example = "officer@office.example", max_length = 254)]
    pub email: String,
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: String,
    pub role: Role,
    /// 8 to 128 characters; the most common passwords are refused. Leave it out to invite the
    /// user instead: an email (in the user's language) carries a single-use link, valid 72 hours,
    /// to set a password; nobody else ever knows it.
    #[schema(min_length = 8, max_length = 128)]
    pub password: Option<String>,
    /// `ar` or `en` (default `en`).
    pub language: Option<Language>,
}

/// Creates a user in an organisation (its admin, or a ministry admin): with a password, or
/// without one to invite the user by email.
#[utoipa::path(
    operation_id = "createUser",
    tag = "users",
    request_body = CreateUser,
    params(("id" = String, Path, description = "Organisation id")),
    responses(
        (status = 201, description = "Created", body = UserView, headers(("ETag" = String, description = "The version"))),
        (status = 409, description = "The email is taken (`email_taken`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/users")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<CreateUser>,
) -> Result<HttpResponse, Error> {
    let org_id: OrganizationId = path_id(&id)?;
    let check_org = org_id.clone();
    state
        .read(auth.clone(), move |conn, caller| {
            cases::manageable(conn, caller, &check_org)
        })
        .await?;
    let idempotency = Idempotency::new(&req, &body)?;
    let body = body.into_inner()?;
    let (new, password) = cases::NewUser::parse(
        &body.email,
        &body.full_name,
        body.role,
        body.password.as_deref(),
        body.language,
    )?;
    let hash = cases::hash_password(&state, password).await?;
    let created = idempotency
        .create(&state, auth, move |conn, caller| {
            let row = cases::create(conn, caller, &org_id, &new, hash.clone())?;
            UserView::from_row(row)
        })
        .await?;
    Ok(created.respond(|id| format!("/api/v1/users/{id}")))
}

/// Lists an organisation's users (its admin, or a ministry admin).
#[utoipa::path(
    operation_id = "listUsers",
    tag = "users",
    params(("id" = String, Path, description = "Organisation id"), PageQuery),
    responses((status = 200, description = "One page", body = Page<UserView>))
)]
#[get("/{id}/users")]
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
        "users",
        move |conn, caller, page| {
            let rows = page.read(|after, n| cases::list(conn, caller, &org_id, after, n))?;
            page.try_show(rows, |r| &r.id, UserView::from_row)
        },
    )
    .await
}

/// One user (the user itself, its organisation's admin, or a ministry admin).
#[utoipa::path(
    operation_id = "getUser",
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, description = "The user", body = UserView, headers(("ETag" = String, description = "The version"))))
)]
#[get("/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: UserId = path_id(&id)?;
    let view = state
        .read(auth, move |conn, caller| {
            UserView::from_row(cases::get(conn, caller, &id)?)
        })
        .await?;
    Ok(respond(StatusCode::OK, view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    #[schema(min_length = 1, max_length = 200)]
    pub full_name: Option<String>,
    pub language: Option<Language>,
    /// Admins only.
    pub role: Option<Role>,
    /// Admins only; `false` ends every session of the user at once.
    pub active: Option<bool>,
    /// Admins only: sets a new password and ends the user's sessions.
    #[schema(min_length = 8, max_length = 128)]
    pub password: Option<String>,
}

/// Edits a user. A user may change its own name and language; role, activity and password are for
/// admins, who cannot deactivate or demote themselves. Needs `If-Match`.
#[utoipa::path(
    operation_id = "updateUser",
    tag = "users",
    request_body = UpdateUser,
    params(
        ("id" = String, Path, description = "User id"),
        ("If-Match" = String, Header, description = "The version being changed, as its ETag (`*`: whatever version is current)"),
    ),
    responses(
        (status = 200, description = "Updated", body = UserView, headers(("ETag" = String, description = "The new version"))),
        (status = 409, description = "An admin cannot deactivate or demote itself (`self_lockout`), nor set its own password here (`own_password`: use `POST /me/password`)", body = ProblemDetails, content_type = "application/problem+json"),
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
    body: Json<UpdateUser>,
) -> Result<HttpResponse, Error> {
    let id: UserId = path_id(&id)?;
    let body = body.into_inner();
    let privileged = body
        .as_ref()
        .is_ok_and(|b| b.role.is_some() || b.active.is_some() || b.password.is_some());
    // Visibility and permission first, so nobody learns anything from validation or hashing.
    let check_id = id.clone();
    let caller = state
        .read(auth.clone(), move |conn, caller| {
            cases::editable(conn, caller, &check_id, privileged)?;
            Ok(caller.clone())
        })
        .await?;
    let version = if_match(&req)?;
    let body = body?;
    let edit = cases::UserEdit::parse(
        body.full_name.as_deref(),
        body.language,
        body.role,
        body.active,
        body.password.as_deref(),
    )?;
    cases::refuse_self_lockout(&caller, &id, &edit)?;
    let hash = cases::hash_password(&state, edit.password.clone()).await?;
    let view = state
        .write(auth, move |conn, caller| {
            let row = cases::update(conn, caller, &id, version, &edit, hash.clone())?;
            UserView::from_row(row)
        })
        .await?;
    Ok(respond(StatusCode::OK, view))
}
