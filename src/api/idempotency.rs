//! `Idempotency-Key` on creations (R10): a retried request gets the first answer again and never
//! creates a second record. The key belongs to the caller's organisation; the stored hash covers
//! the route and the body, so the same key with another route or body is refused.

use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::extract::{Json, etag};
use crate::access::{Caller, SessionGuard};
use crate::audit::AuditEntity;
use crate::auth::credentials::Authenticated;
use crate::error::Error;
use crate::state::AppState;
use crate::storage::{DbConnection, idempotency as store, is_unique_violation};

/// The longest key accepted.
pub const MAX_KEY_CHARS: usize = 200;

#[derive(Clone, Debug)]
pub struct Idempotency {
    key: Option<String>,
    hash: String,
}

/// What a creation answered: a new record, or the first answer to the same request.
pub enum Created<V> {
    New(V),
    Replayed(String),
}

impl<V: AuditEntity> AuditEntity for Created<V> {
    fn audit_entity(&self) -> Option<String> {
        match self {
            Created::New(v) => v.audit_entity(),
            Created::Replayed(_) => None,
        }
    }
}

impl Idempotency {
    /// Reads the header of a creation with this body.
    pub fn new<T>(req: &HttpRequest, body: &Json<T>) -> Result<Idempotency, Error> {
        Idempotency::of(req, body.fingerprint())
    }

    /// Reads the header of a creation whose input `fingerprint` tells apart (an upload's fields
    /// and its content's hash, say).
    pub fn of(req: &HttpRequest, fingerprint: impl AsRef<[u8]>) -> Result<Idempotency, Error> {
        let key = match req.headers().get("idempotency-key") {
            None => None,
            Some(v) => {
                let key = v
                    .to_str()
                    .map_err(|_| Error::bad_request("invalid_header"))?
                    .trim();
                if key.is_empty() || key.chars().count() > MAX_KEY_CHARS {
                    return Err(Error::bad_request("invalid_header"));
                }
                Some(key.to_owned())
            }
        };
        let mut digest = Sha256::new();
        digest.update(req.method().as_str());
        digest.update(b" ");
        digest.update(req.path());
        digest.update(b"\n");
        digest.update(fingerprint);
        Ok(Idempotency {
            key,
            hash: format!("{:x}", digest.finalize()),
        })
    }

    /// Inside the creation's transaction, first: the first answer if the caller's organisation
    /// used this key already; for a caller read from its token, only while its `guard` holds.
    fn earlier(
        &self,
        conn: &mut DbConnection,
        caller: &Caller,
        guard: Option<&SessionGuard>,
    ) -> Result<Option<String>, Error> {
        let Some(key) = &self.key else {
            return Ok(None);
        };
        match store::reply(conn, &caller.organization_id, key, guard)? {
            Some((hash, body)) if hash == self.hash => Ok(Some(body)),
            Some(_) => Err(Error::conflict("idempotency_key_reused")),
            None => Ok(None),
        }
    }

    /// Inside the same transaction, last: keeps the answer for the next retry.
    fn remember<V: Serialize>(
        &self,
        conn: &mut DbConnection,
        caller: &Caller,
        view: &V,
    ) -> Result<(), Error> {
        let Some(key) = &self.key else {
            return Ok(());
        };
        let body = serde_json::to_string(view).map_err(|_| Error::internal())?;
        let organization = &caller.organization_id;
        store::remember(conn, organization, key, &self.hash, &body).map_err(|e| {
            if is_unique_violation(&e) {
                // A racing request with the same key won; its answer is given below.
                Error::conflict("idempotency_key_reused")
            } else {
                e.into()
            }
        })
    }

    /// Runs `create` in one write transaction, unless the key already has an answer (again, if
    /// the database aborts the transaction for a concurrent one).
    pub async fn create<V, F>(
        self,
        state: &AppState,
        auth: Authenticated,
        mut create: F,
    ) -> Result<Created<V>, Error>
    where
        F: FnMut(&mut DbConnection, &Caller) -> Result<V, Error> + Send + 'static,
        V: Serialize + AuditEntity + Send + 'static,
    {
        self.made(state, auth, false, move |conn, caller, _| {
            create(conn, caller)
        })
        .await
    }

    /// [`Idempotency::create`] as [`AppState::write_guarded`] makes a change: a caller read from
    /// its token runs `create` with `Some(guard)`, which its first statement must carry, after a
    /// key's lookup that carries it too.
    pub async fn create_guarded<V, F>(
        self,
        state: &AppState,
        auth: Authenticated,
        create: F,
    ) -> Result<Created<V>, Error>
    where
        F: FnMut(&mut DbConnection, &Caller, Option<&SessionGuard>) -> Result<V, Error>
            + Send
            + 'static,
        V: Serialize + AuditEntity + Send + 'static,
    {
        self.made(state, auth, true, create).await
    }

    /// [`Idempotency::create`], and with `guarded` [`Idempotency::create_guarded`].
    async fn made<V, F>(
        self,
        state: &AppState,
        auth: Authenticated,
        guarded: bool,
        mut create: F,
    ) -> Result<Created<V>, Error>
    where
        F: FnMut(&mut DbConnection, &Caller, Option<&SessionGuard>) -> Result<V, Error>
            + Send
            + 'static,
        V: Serialize + AuditEntity + Send + 'static,
    {
        let this = self.clone();
        let retry = auth.clone();
        let outcome = state
            .change(auth, guarded, move |conn, caller, guard| {
                if let Some(body) = this.earlier(conn, caller, guard)? {
                    return Ok(Created::Replayed(body));
                }
                let view = create(conn, caller, guard)?;
                this.remember(conn, caller, &view)?;
                Ok(Created::New(view))
            })
            .await;
        match outcome {
            // Lost a race to a request with the same key: that one's answer, if it was the same.
            Err(e) if e.code == "idempotency_key_reused" && self.key.is_some() => {
                let this = self.clone();
                match state
                    .read(retry, move |conn, caller| this.earlier(conn, caller, None))
                    .await
                {
                    Ok(Some(body)) => Ok(Created::Replayed(body)),
                    _ => Err(e),
                }
            }
            other => other,
        }
    }
}

impl<V: Serialize> Created<V> {
    /// `201` with the record and its address in `Location` (`location` turns the new id into
    /// it); a replay says so in `Idempotent-Replayed: true`. Records with a `version` carry it as
    /// their `ETag`.
    pub fn respond(self, location: impl FnOnce(&str) -> String) -> HttpResponse {
        let (body, replayed) = self.body();
        created(body, replayed, Some(location))
    }

    /// [`Created::respond`] for a record with no address of its own (it is read in its list).
    pub fn respond_unaddressed(self) -> HttpResponse {
        let (body, replayed) = self.body();
        created(body, replayed, None::<fn(&str) -> String>)
    }

    fn body(self) -> (String, bool) {
        match self {
            Created::New(view) => (serde_json::to_string(&view).unwrap_or_default(), false),
            Created::Replayed(body) => (body, true),
        }
    }
}

fn created(
    body: String,
    replayed: bool,
    location: Option<impl FnOnce(&str) -> String>,
) -> HttpResponse {
    let stored = serde_json::from_str::<serde_json::Value>(&body).unwrap_or_default();
    let mut response = HttpResponse::build(StatusCode::CREATED);
    response.insert_header((CONTENT_TYPE, "application/json"));
    if let Some(version) = stored["version"].as_i64() {
        response.insert_header(etag(version));
    }
    if let (Some(id), Some(location)) = (stored["id"].as_str(), location) {
        response.insert_header((actix_web::http::header::LOCATION, location(id)));
    }
    if replayed {
        response.insert_header(("Idempotent-Replayed", "true"));
    }
    response.body(body)
}
