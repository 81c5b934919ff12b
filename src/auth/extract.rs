//! Reads a request's credentials: `Authorization: Bearer <access token>` or `X-Api-Key: <key>`.
//! Anything missing, malformed, expired or forged is a 401 here, before any database work; whether
//! the session, user, key and organisation are still active is checked with the request's own
//! work ([`Authenticated::resolve`]).

use std::future::{Ready, ready};

use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};

use crate::auth::credentials::Authenticated;
use crate::auth::secret;
use crate::error::Error;
use crate::state::AppState;

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

impl FromRequest for Authenticated {
    type Error = Error;
    type Future = Ready<Result<Authenticated, Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        if let Some(id) = req.match_info().get("id") {
            crate::audit::set_path_id(id);
        }
        ready(authenticate(req))
    }
}

fn authenticate(req: &HttpRequest) -> Result<Authenticated, Error> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(Error::internal)?;
    match credentials(req).ok_or_else(Error::unauthorized)? {
        Credentials::Bearer(token) => {
            let claims = state.jwt.verify(&token).ok_or_else(Error::unauthorized)?;
            if let Some(language) = claims.language {
                req.extensions_mut()
                    .insert(crate::i18n::SavedLanguage(language));
            }
            Ok(Authenticated::Session {
                user: claims.user_id,
                session: claims.session_id,
                claimed: claims.claimed,
            })
        }
        Credentials::ApiKey(key) => {
            if !key.starts_with(secret::API_KEY_PREFIX) {
                return Err(Error::unauthorized());
            }
            Ok(Authenticated::ApiKey {
                hash: secret::hash(&key),
            })
        }
    }
}
