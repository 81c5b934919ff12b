//! Logging in, refreshing the token pair, logging out.

use actix_web::{HttpRequest, HttpResponse, post, web};
use chrono::Duration as ChronoDuration;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::api::problem::ProblemDetails;
use crate::auth::credentials::{Authenticated, claimed_of};
use crate::auth::throttle::{self};
use crate::auth::{password, secret};
use crate::domain::Invalid;
use crate::domain::ids::UserId;
use crate::domain::text::NewPassword;
use crate::error::Error;
use crate::state::AppState;
use crate::storage::now;
use crate::storage::sessions::Rotation;
use crate::usecases::accounts;
use crate::usecases::sign_in::{self, Opening, SignedIn, succeeded, throttled};

use super::extract::Json;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    #[schema(example = "ministry.admin@demo.e-track.sa")]
    pub email: String,
    #[schema(example = "demo-pass-1447")]
    pub password: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshRequest {
    pub refresh_token: String,
}

#[derive(Serialize, ToSchema)]
pub struct TokenPair {
    /// Send as `Authorization: Bearer <access_token>`.
    pub access_token: String,
    /// Exchange at `/auth/refresh` for a new pair; it works once.
    pub refresh_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    pub expires_in: u64,
}

fn issue_pair(state: &AppState, signed_in: &SignedIn, refresh_token: String) -> TokenPair {
    let SignedIn {
        user_id,
        session_id,
        language,
        claimed,
    } = signed_in;
    TokenPair {
        access_token: state.jwt.issue(user_id, session_id, *language, claimed),
        refresh_token,
        token_type: "Bearer",
        expires_in: state.jwt.ttl().as_secs(),
    }
}

/// The caller's address: the connection's peer, or behind a load balancer the address it appended
/// last to `X-Forwarded-For` (earlier entries are the client's own word and not trusted).
pub(crate) fn client_address(req: &HttpRequest, behind_proxy: bool) -> String {
    let forwarded = behind_proxy
        .then(|| {
            req.headers()
                .get_all("x-forwarded-for")
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(','))
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .last()
                .map(str::to_owned)
        })
        .flatten();
    forwarded
        .or_else(|| req.peer_addr().map(|a| a.ip().to_string()))
        .unwrap_or_default()
}

fn refresh_expiry(state: &AppState) -> chrono::NaiveDateTime {
    now()
        + ChronoDuration::from_std(state.settings.refresh_token_ttl)
            .unwrap_or(ChronoDuration::hours(12))
}

/// Exchanges an email and password for a token pair. Whether the email exists is never revealed:
/// an unknown email, a wrong password and an inactive account get the same answer in similar time.
/// After repeated failures the next attempt must wait (`429` with `Retry-After`), longer each time.
#[utoipa::path(
    operation_id = "login",
    tag = "auth",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in", body = TokenPair),
        (status = 401, description = "Wrong email or password, or the account is not active", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts: wait `Retry-After` seconds", body = ProblemDetails, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/login")]
pub async fn login(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<LoginRequest>,
) -> Result<HttpResponse, Error> {
    let LoginRequest { email, password } = body.into_inner()?;
    let refresh_token = secret::generate(secret::REFRESH_TOKEN_PREFIX);
    let opening = Opening::Api {
        refresh_hash: secret::hash(&refresh_token),
        refresh_expires_at: refresh_expiry(&state),
    };
    let address = client_address(&req, state.settings.behind_proxy);
    let signed_in = sign_in::sign_in(&state, &email, password, &address, opening).await?;
    Ok(HttpResponse::Ok().json(issue_pair(&state, &signed_in, refresh_token)))
}

/// Exchanges a refresh token for a new pair. The old refresh token stops working; presenting it
/// again revokes the whole session (it was copied or stolen). Repeated failures from one address
/// make the next attempt wait.
#[utoipa::path(
    operation_id = "refreshSession",
    tag = "auth",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new token pair", body = TokenPair),
        (status = 401, description = "Unknown, expired, reused or revoked refresh token", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts: wait `Retry-After` seconds", body = ProblemDetails, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/refresh")]
pub async fn refresh(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<RefreshRequest>,
) -> Result<HttpResponse, Error> {
    let presented = secret::hash(body.into_inner()?.refresh_token.trim());
    let counters = throttle::refresh_counters(
        &state.settings.login_limits,
        &client_address(&req, state.settings.behind_proxy),
    );
    throttled(&state, &counters).await?;
    let refresh_token = secret::generate(secret::REFRESH_TOKEN_PREFIX);
    let new_hash = secret::hash(&refresh_token);
    let expires = refresh_expiry(&state);
    let outcome = state
        .write_unauthenticated(move |conn| sign_in::refresh(conn, &presented, &new_hash, expires))
        .await?;
    match outcome {
        Rotation::Rotated {
            session_id,
            user,
            organization,
        } => {
            succeeded(&state, &counters).await?;
            let signed_in = SignedIn {
                claimed: claimed_of(&user, &organization),
                user_id: user.id,
                session_id,
                language: user.language,
            };
            let pair = issue_pair(&state, &signed_in, refresh_token);
            Ok(HttpResponse::Ok().json(pair))
        }
        Rotation::Reused => {
            tracing::warn!("a used refresh token was presented again; its session is revoked");
            Err(Error::unauthorized())
        }
        Rotation::Invalid => Err(Error::unauthorized()),
    }
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct ForgotPassword {
    #[schema(example = "officer@office.example")]
    pub email: String,
}

/// Asks for a link to set a new password. If the email belongs to an active user, a single-use
/// link valid one hour is emailed to it (in the user's language); the answer is `202` either way,
/// so nobody learns which emails have accounts. Repeated requests for one email, or from one
/// address, must wait (`429`).
#[utoipa::path(
    operation_id = "forgotPassword",
    tag = "auth",
    request_body = ForgotPassword,
    security(()),
    responses(
        (status = 202, description = "If the email belongs to an active user, a link is on its way"),
        (status = 429, description = "Too many requests: wait `Retry-After` seconds", body = ProblemDetails, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/forgot-password")]
pub async fn forgot_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<ForgotPassword>,
) -> Result<HttpResponse, Error> {
    let email = body.into_inner()?.email.trim().to_lowercase();
    let counters = throttle::reset_counters(
        &state.settings.login_limits,
        &email,
        &client_address(&req, state.settings.behind_proxy),
    );
    throttled(&state, &counters).await?;
    state
        .write_unauthenticated(move |conn| accounts::request_reset(conn, &email))
        .await?;
    Ok(HttpResponse::Accepted().finish())
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct SetPassword {
    /// The `token` of the link from the invitation or reset email.
    pub token: String,
    /// 8 to 128 characters; the most common passwords are refused.
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

/// A password set through a link, for the audit log.
pub struct PasswordSet(UserId);

impl crate::audit::AuditEntity for PasswordSet {
    fn audit_entity(&self) -> Option<String> {
        Some(self.0.to_string())
    }
}

/// Sets a password with the token of an invitation or reset link. The link works once; using it
/// ends the user's other links and every session, so whoever held the old password is signed out.
/// Failed attempts from one address make the next wait.
#[utoipa::path(
    operation_id = "setPassword",
    tag = "auth",
    request_body = SetPassword,
    security(()),
    responses(
        (status = 204, description = "The password is set; sign in with it"),
        (status = 422, description = "The link is unknown, used or expired (`token`: `invalid_token`), or the password is refused", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 429, description = "Too many failed attempts: wait `Retry-After` seconds", body = ProblemDetails, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds to wait"))),
    )
)]
#[post("/set-password")]
pub async fn set_password(
    state: web::Data<AppState>,
    req: HttpRequest,
    body: Json<SetPassword>,
) -> Result<HttpResponse, Error> {
    let SetPassword {
        token,
        new_password,
    } = body.into_inner()?;
    let address = client_address(&req, state.settings.behind_proxy);
    set_password_with_link(&state, &address, token, &new_password).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// [`set_password`], for the API and the password page alike.
pub(crate) async fn set_password_with_link(
    state: &AppState,
    address: &str,
    token: String,
    new_password: &str,
) -> Result<(), Error> {
    let new_password =
        NewPassword::parse(new_password).map_err(|e| Error::invalid_field("new_password", e))?;
    let counters = throttle::link_counters(&state.settings.login_limits, address);
    throttled(state, &counters).await?;
    // A dead link is refused before any password is hashed.
    let check = token.clone();
    if !state
        .db(move |conn| accounts::link_is_live(conn, &check))
        .await?
    {
        return Err(Error::invalid_field("token", Invalid::new("invalid_token")));
    }
    let hash = state
        .password_work(move || password::hash(new_password.expose()))
        .await?;
    state
        .write_unauthenticated(move |conn| {
            accounts::set_password(conn, &token, &hash).map(PasswordSet)
        })
        .await?;
    succeeded(state, &counters).await
}

/// Ends the caller's session: its access and refresh tokens stop working.
#[utoipa::path(
    operation_id = "logout",
    tag = "auth",
    responses(
        (status = 204, description = "Logged out"),
        (status = 403, description = "API keys have no session to end", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/logout")]
pub async fn logout(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, Error> {
    state.write(auth, sign_in::sign_out).await?;
    Ok(HttpResponse::NoContent().finish())
}
