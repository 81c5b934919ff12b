//! The caller itself: who it is, and changing its own password.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::access::Actor;
use crate::api::problem::ProblemDetails;
use crate::auth::credentials::Authenticated;
use crate::domain::ids::ApiKeyId;
use crate::domain::organization::Role;
use crate::error::Error;
use crate::state::AppState;
use crate::usecases;

use super::auth::client_address;
use super::extract::Json;
use super::organizations::OrganizationView;
use super::users::UserView;
use crate::usecases::sign_in;

#[derive(Serialize, ToSchema)]
pub struct MeView {
    /// The user, when a person is calling; `null` for an API key.
    pub user: Option<UserView>,
    /// The key, when a system is calling with an API key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key_id: Option<ApiKeyId>,
    pub role: Role,
    pub organization: OrganizationView,
}

/// Who the caller is: user (or API key), role and organisation.
#[utoipa::path(operation_id = "getMe", tag = "me", responses((status = 200, description = "The caller", body = MeView)))]
#[get("")]
pub async fn me(state: web::Data<AppState>, auth: Authenticated) -> Result<HttpResponse, Error> {
    let body = state
        .read(auth, move |conn, caller| {
            let (org, user) = usecases::users::me(conn, caller)?;
            let org_view = OrganizationView::load_for(conn, caller, org)?;
            let user = user.map(UserView::from_row).transpose()?;
            let api_key_id = match &caller.actor {
                Actor::User { .. } => None,
                Actor::ApiKey(key) => Some(key.clone()),
            };
            Ok(MeView {
                user,
                api_key_id,
                role: caller.role,
                organization: org_view,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChangePassword {
    pub current_password: String,
    /// 8 to 128 characters; the most common passwords are refused.
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

/// Changes the caller's password. Every other session of the user ends; this one goes on.
#[utoipa::path(
    operation_id = "changePassword",
    tag = "me",
    request_body = ChangePassword,
    responses(
        (status = 204, description = "Changed"),
        (status = 403, description = "API keys have no password", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong current passwords (they count with failed sign-ins): wait `Retry-After` seconds", body = ProblemDetails, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/password")]
pub async fn change_password(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    body: Json<ChangePassword>,
) -> Result<HttpResponse, Error> {
    let body = body.into_inner()?;
    let address = client_address(&req, state.settings.behind_proxy);
    sign_in::change_password(
        &state,
        auth,
        &address,
        body.current_password,
        &body.new_password,
    )
    .await?;
    Ok(HttpResponse::NoContent().finish())
}
