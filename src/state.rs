//! What every request handler shares: the database pool, the token keys and the settings.

use std::sync::Arc;

use actix_web::web;

use crate::audit::{self, AuditEntity};
use crate::auth::jwt::JwtKeys;
use crate::config::Settings;
use crate::error::ApiError;
use crate::storage::{self, DbConnection, DbPool, PoolConnection};

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub jwt: JwtKeys,
    pub settings: Arc<Settings>,
}

impl AppState {
    /// Runs blocking database work on the blocking thread pool, never on an async worker.
    pub async fn db<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.on_connection(move |conn| f(conn)).await
    }

    /// Like [`AppState::db`], inside one write transaction: all of it happens, or none of it. The
    /// request's audit event is appended in the same transaction.
    pub async fn write<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: AuditEntity + Send + 'static,
    {
        let pending = audit::pending();
        self.on_connection(move |conn| {
            conn.write(|conn| {
                let value = f(conn)?;
                if let Some(pending) = pending {
                    storage::audit::append(conn, pending.event(value.audit_entity()))?;
                }
                Ok(value)
            })
        })
        .await
    }

    /// A write transaction that is not an audited change (bookkeeping such as sign-in counters).
    pub async fn transaction<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        self.on_connection(move |conn| conn.write(f)).await
    }

    async fn on_connection<T, F>(&self, f: F) -> Result<T, ApiError>
    where
        F: FnOnce(&mut PoolConnection) -> Result<T, ApiError> + Send + 'static,
        T: Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get().map_err(|e| {
                tracing::error!(error = %e, "no database connection available");
                ApiError::unavailable()
            })?;
            let result = f(&mut conn);
            if matches!(&result, Err(e) if e.status.is_server_error()) {
                conn.suspect();
            }
            result
        })
        .await
        .map_err(|_| ApiError::internal())?
    }
}
