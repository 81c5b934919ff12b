//! Turns a request's credentials into a [`Caller`]: `Authorization: Bearer <access token>` or
//! `X-Api-Key: <key>`. Anything missing, malformed, expired or revoked is a 401, and so is a token
//! of a deactivated user or of a suspended organisation.

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use crate::access::{Actor, Caller};
use crate::auth::secret;
use crate::domain::ids::{ApiKeyId, OrganizationId};
use crate::domain::organization::{OrgKind, Role};
use crate::error::ApiError;
use crate::state::AppState;
use crate::storage::models::OrganizationRow;
use crate::storage::{api_keys, users};

pub const API_KEY_HEADER: &str = "x-api-key";

enum Credentials {
    Bearer(String),
    ApiKey(String),
}

fn credentials(req: &HttpRequest) -> Option<Credentials> {
    if let Some(value) = req.headers().get(AUTHORIZATION) {
        let value = value.to_str().ok()?;
        let (scheme, token) = value.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| Credentials::Bearer(token.trim().to_owned()));
    }
    let key = req.headers().get(API_KEY_HEADER)?.to_str().ok()?;
    Some(Credentials::ApiKey(key.trim().to_owned()))
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Caller, ApiError>>>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let credentials = credentials(req);
        if let Some(id) = req.match_info().get("id") {
            crate::audit::set_path_id(id);
        }
        Box::pin(async move {
            let state = state.ok_or_else(ApiError::internal)?;
            match credentials.ok_or_else(ApiError::unauthorized)? {
                Credentials::Bearer(token) => {
                    let claims = state
                        .jwt
                        .verify(&token)
                        .ok_or_else(ApiError::unauthorized)?;
                    let (user_id, session_id) = (claims.user_id.clone(), claims.session_id.clone());
                    let (user, org) = state
                        .db(move |conn| {
                            Ok(users::resolve_session(
                                conn,
                                session_id.as_str(),
                                user_id.as_str(),
                            )?)
                        })
                        .await?
                        .ok_or_else(ApiError::unauthorized)?;
                    let role = Role::parse(&user.role).ok_or_else(ApiError::unauthorized)?;
                    let actor = Actor::User {
                        id: claims.user_id,
                        session: claims.session_id,
                    };
                    caller(actor, role, org)
                }
                Credentials::ApiKey(key) => {
                    if !key.starts_with(secret::API_KEY_PREFIX) {
                        return Err(ApiError::unauthorized());
                    }
                    let hash = secret::hash(&key);
                    let (key, org) = state
                        .db(move |conn| Ok(api_keys::resolve(conn, &hash)?))
                        .await?
                        .ok_or_else(ApiError::unauthorized)?;
                    let role = Role::parse(&key.role).ok_or_else(ApiError::unauthorized)?;
                    caller(Actor::ApiKey(ApiKeyId::from_stored(key.id)), role, org)
                }
            }
        })
    }
}

fn caller(actor: Actor, role: Role, org: OrganizationRow) -> Result<Caller, ApiError> {
    let caller = Caller {
        actor,
        role,
        kind: OrgKind::parse(&org.kind).ok_or_else(ApiError::unauthorized)?,
        organization_id: OrganizationId::from_stored(org.id),
        country: org.country,
        parent_id: org.parent_id.map(OrganizationId::from_stored),
    };
    crate::audit::set_caller(&caller);
    Ok(caller)
}
