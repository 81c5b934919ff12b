//! Users of an organisation: its admin (or a ministry admin) creates, edits and deactivates them.

use super::extract::Query;
use super::lists;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::{self, Caller};
use crate::api::problem::ProblemDetails;
use crate::auth::credentials::Authenticated;
use crate::auth::password;
use crate::domain::ids::{OrganizationId, UserId};
use crate::domain::organization::{Language, Role};
use crate::domain::text::{Email, Name, NewPassword};
use crate::error::{Error, FieldError};
use crate::state::AppState;
use crate::storage::models::UserRow;
use crate::storage::users::{self as store, UserChanges};
use crate::storage::{DbConnection, is_unique_violation, now, sessions};

use super::extract::{Json, PageQuery, etag, if_match, path_id};
use super::idempotency::Idempotency;
use super::organizations::visible;
use super::{Page, utc};

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
            id: UserId::from_stored(row.id),
            organization_id: OrganizationId::from_stored(row.organization_id),
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

/// The argon2 hash of a new password, if one was given (taking turns at password work).
async fn hashed(state: &AppState, password: Option<NewPassword>) -> Result<Option<String>, Error> {
    match password {
        Some(p) => Ok(Some(
            state
                .password_work(move || password::hash(p.expose()))
                .await?,
        )),
        None => Ok(None),
    }
}

/// A user the caller may see (a colleague, or anyone for the ministry); anything else is a 404.
fn visible_user(conn: &mut DbConnection, caller: &Caller, id: &UserId) -> Result<UserRow, Error> {
    store::find(conn, id.as_str())?
        .filter(|u| {
            access::sees_members_of(
                caller,
                &OrganizationId::from_stored(u.organization_id.clone()),
            )
        })
        .ok_or_else(Error::not_found)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUser {
    #[schema(example = "officer@office.example")]
    pub email: String,
    pub full_name: String,
    pub role: Role,
    /// 8 to 128 characters; the most common passwords are refused. Leave it out to invite the
    /// user instead: an email (in the user's language) carries a single-use link, valid 72 hours,
    /// to set a password; nobody else ever knows it.
    pub password: Option<String>,
    /// `ar` or `en` (default `en`).
    pub language: Option<Language>,
}

/// Creates a user in an organisation (its admin, or a ministry admin): with a password, or
/// without one to invite the user by email.
#[utoipa::path(
    tag = "users",
    request_body = CreateUser,
    params(("id" = String, Path, description = "Organisation id")),
    responses(
        (status = 201, description = "Created", body = UserView, headers(("ETag" = String, description = "The version"))),
        (status = 409, description = "The email is taken (`email_taken`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/organizations/{id}/users")]
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
            visible(conn, caller, &check_org)?;
            access::manage_members(caller, &check_org)
        })
        .await?;
    let idempotency = Idempotency::new(&req, &body)?;
    let body = body.into_inner()?;
    let mut errors = Vec::new();
    let email = Email::parse(&body.email)
        .map_err(|e| errors.push(FieldError::new("email", e)))
        .ok();
    let full_name = Name::parse(&body.full_name)
        .map_err(|e| errors.push(FieldError::new("full_name", e)))
        .ok();
    let new_password = match body.password.as_deref().map(NewPassword::parse) {
        Some(Ok(p)) => Some(Some(p)),
        Some(Err(e)) => {
            errors.push(FieldError::new("password", e));
            None
        }
        // Invited: no password until the user sets one.
        None => Some(None),
    };
    let (Some(email), Some(full_name), Some(new_password)) = (email, full_name, new_password)
    else {
        return Err(Error::invalid(errors));
    };
    let hash = hashed(&state, new_password).await?;
    let created = idempotency
        .create(&state, auth, move |conn, caller| {
            // Checked again inside the transaction: the organisation may have changed meanwhile.
            visible(conn, caller, &org_id)?;
            let at = now();
            let row = UserRow {
                id: UserId::generate().into_string(),
                organization_id: org_id.clone().into_string(),
                email: email.clone().into_string(),
                full_name: full_name.clone().into_string(),
                role: body.role,
                language: body.language.unwrap_or(Language::English),
                password_hash: hash.clone().unwrap_or_default(),
                active: true,
                version: 1,
                created_at: at,
                updated_at: at,
            };
            store::insert(conn, &row).map_err(|e| {
                if is_unique_violation(&e) {
                    Error::conflict("email_taken")
                } else {
                    e.into()
                }
            })?;
            if hash.is_none() {
                crate::usecases::accounts::invite(conn, &row)?;
            }
            UserView::from_row(row)
        })
        .await?;
    Ok(created.respond(|id| format!("/api/v1/users/{id}")))
}

/// Lists an organisation's users (its admin, or a ministry admin).
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "Organisation id"), PageQuery),
    responses((status = 200, description = "One page", body = Page<UserView>))
)]
#[get("/organizations/{id}/users")]
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
            visible(conn, caller, &org_id)?;
            access::manage_members(caller, &org_id)?;
            let rows = store::list(conn, org_id.as_str(), page.after.as_deref(), page.fetch())?;
            page.try_show(rows, |r| &r.id, UserView::from_row)
        },
    )
    .await
}

/// One user (the user itself, its organisation's admin, or a ministry admin).
#[utoipa::path(
    tag = "users",
    params(("id" = String, Path, description = "User id")),
    responses((status = 200, description = "The user", body = UserView, headers(("ETag" = String, description = "The version"))))
)]
#[get("/users/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: UserId = path_id(&id)?;
    let view = state
        .read(auth, move |conn, caller| {
            let row = visible_user(conn, caller, &id)?;
            access::read_member(
                caller,
                &OrganizationId::from_stored(row.organization_id.clone()),
                &id,
            )?;
            UserView::from_row(row)
        })
        .await?;
    Ok(respond(StatusCode::OK, view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateUser {
    pub full_name: Option<String>,
    pub language: Option<Language>,
    /// Admins only.
    pub role: Option<Role>,
    /// Admins only; `false` ends every session of the user at once.
    pub active: Option<bool>,
    /// Admins only: sets a new password and ends the user's sessions.
    pub password: Option<String>,
}

/// Edits a user. A user may change its own name and language; role, activity and password are for
/// admins, who cannot deactivate or demote themselves. Needs `If-Match`.
#[utoipa::path(
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
#[patch("/users/{id}")]
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
            let row = visible_user(conn, caller, &check_id)?;
            let org = OrganizationId::from_stored(row.organization_id);
            if privileged || caller.user_id() != Some(&check_id) {
                access::manage_members(caller, &org)?;
            }
            Ok(caller.clone())
        })
        .await?;
    let version = if_match(&req)?;
    let body = body?;
    let mut errors = Vec::new();
    let full_name = body.full_name.as_deref().and_then(|n| {
        Name::parse(n)
            .map_err(|e| errors.push(FieldError::new("full_name", e)))
            .ok()
    });
    let new_password = body.password.as_deref().and_then(|p| {
        NewPassword::parse(p)
            .map_err(|e| errors.push(FieldError::new("password", e)))
            .ok()
    });
    if !errors.is_empty() {
        return Err(Error::invalid(errors));
    }
    let is_self = caller.user_id() == Some(&id);
    if is_self && (body.active == Some(false) || body.role.is_some_and(|r| r != Role::Admin)) {
        return Err(Error::conflict("self_lockout"));
    }
    // One's own password changes only where the current one is asked for.
    if is_self && body.password.is_some() {
        return Err(Error::conflict("own_password"));
    }
    let hash = hashed(&state, new_password).await?;
    let view = state
        .write(auth, move |conn, caller| {
            let row = visible_user(conn, caller, &id)?;
            let version = version.unwrap_or(row.version);
            let ends_sessions = body.active == Some(false) || hash.is_some();
            let changes = UserChanges {
                full_name: full_name.clone().map(Name::into_string),
                role: body.role.map(|r| r.as_str().to_owned()),
                language: body.language.map(|l| l.as_str().to_owned()),
                active: body.active,
                password_hash: hash.clone(),
            };
            if !store::update(conn, &row.id, version, &changes)? {
                return Err(Error::precondition_failed());
            }
            if ends_sessions {
                sessions::revoke_all_of_user(conn, &row.id, None)?;
            }
            let row = store::find(conn, &row.id)?.ok_or_else(Error::not_found)?;
            UserView::from_row(row)
        })
        .await?;
    Ok(respond(StatusCode::OK, view))
}
