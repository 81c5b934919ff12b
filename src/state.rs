//! What every request handler shares: the database pool, the token keys and the settings; and the
//! one way a request reaches the database: a single hand-off to the blocking pool, on one pooled
//! connection, where the caller is resolved and the request's work done (in one transaction for
//! writes).

use std::sync::Arc;

use actix_web::web;
use tokio::sync::Semaphore;

use crate::access::Caller;
use crate::audit::{self, AuditEntity};
use crate::auth::credentials::Authenticated;
use crate::auth::jwt::JwtKeys;
use crate::config::Settings;
use crate::error::Error;
use crate::storage::{self, DbConnection, DbPool, PoolConnection};

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub jwt: JwtKeys,
    pub settings: Arc<Settings>,
    /// Turns at password hashing and checking: at most one per core at a time in the process.
    pub passwords: Arc<Semaphore>,
}

impl AppState {
    pub fn new(pool: DbPool, jwt: JwtKeys, settings: Settings) -> AppState {
        let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
        AppState {
            pool,
            jwt,
            settings: Arc::new(settings),
            passwords: Arc::new(Semaphore::new(cores)),
        }
    }

    /// Argon2 work (hashing or checking a password), off the async workers and taking turns: a
    /// flood of password checks by one caller queues here instead of starving everyone else's.
    pub async fn password_work<T, F>(&self, f: F) -> Result<T, Error>
    where
        F: FnOnce() -> T + Send + 'static,
        T: Send + 'static,
    {
        let _turn = self
            .passwords
            .acquire()
            .await
            .map_err(|_| Error::internal())?;
        web::block(f).await.map_err(|_| Error::internal())
    }

    /// Reads for an authenticated caller: the caller is resolved from its credentials and `f`
    /// runs, on one connection in one hand-off.
    pub async fn read<T, F>(&self, auth: Authenticated, f: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConnection, &Caller) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        self.on_connection(move |conn| {
            let caller = auth.resolve(conn)?;
            f(conn, &caller)
        })
        .await
    }

    /// A change by an authenticated caller, in one write transaction: the caller is resolved, `f`
    /// runs and the request's audit event is appended; all of it happens, or none of it.
    pub async fn write<T, F>(&self, auth: Authenticated, f: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConnection, &Caller) -> Result<T, Error> + Send + 'static,
        T: AuditEntity + Send + 'static,
    {
        let pending = audit::pending();
        self.on_connection(move |conn| {
            conn.write(|conn| {
                let caller = auth.resolve(conn)?;
                let value = f(conn, &caller)?;
                audited(conn, pending, Some(&caller), &value)?;
                Ok(value)
            })
        })
        .await
    }

    /// Blocking database work without a caller (sign-in, health), off the async workers.
    pub async fn db<T, F>(&self, f: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        self.on_connection(move |conn| f(conn)).await
    }

    /// An audited change without an authenticated caller (signing in, refreshing a session).
    pub async fn write_unauthenticated<T, F>(&self, f: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, Error> + Send + 'static,
        T: AuditEntity + Send + 'static,
    {
        let pending = audit::pending();
        self.on_connection(move |conn| {
            conn.write(|conn| {
                let value = f(conn)?;
                audited(conn, pending, None, &value)?;
                Ok(value)
            })
        })
        .await
    }

    /// A write transaction that is not an audited change (bookkeeping such as sign-in counters).
    pub async fn transaction<T, F>(&self, f: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        self.on_connection(move |conn| conn.write(f)).await
    }

    async fn on_connection<T, F>(&self, f: F) -> Result<T, Error>
    where
        F: FnOnce(&mut PoolConnection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get().map_err(|e| {
                tracing::error!(error = %e, "no database connection available");
                Error::unavailable()
            })?;
            let result = f(&mut conn);
            if matches!(&result, Err(e) if e.is_server_fault()) {
                conn.suspect();
            }
            result
        })
        .await
        .map_err(|_| Error::internal())?
    }
}

/// Appends the request's audit event about what a change did, in the change's transaction.
fn audited<T: AuditEntity>(
    conn: &mut DbConnection,
    pending: Option<audit::Pending>,
    caller: Option<&Caller>,
    value: &T,
) -> Result<(), Error> {
    if let Some(pending) = pending {
        storage::audit::append(conn, pending.event(caller, value.audit_entity()))?;
    }
    Ok(())
}
