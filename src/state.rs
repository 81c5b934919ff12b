//! What every request handler shares: the database pool, the token keys and the settings; and the
//! one way a request reaches the database: a single hand-off to the blocking pool, on one pooled
//! connection, where the caller is resolved and the request's work done (in one transaction for
//! writes).

use std::sync::Arc;
use std::time::Instant;

use actix_web::web;
use tokio::sync::Semaphore;

use crate::access::{Caller, SessionGuard};
use crate::audit::{self, AuditEntity};
use crate::auth::credentials::Authenticated;
use crate::auth::jwt::JwtKeys;
use crate::config::Settings;
use crate::error::{Error, Kind};
use crate::metrics::Metrics;
use crate::storage::{self, DbConnection, DbPool, PoolConnection};

#[derive(Clone)]
pub struct AppState {
    pub pool: DbPool,
    pub jwt: JwtKeys,
    pub settings: Arc<Settings>,
    /// Turns at password hashing and checking: at most one per core at a time in the process.
    pub passwords: Arc<Semaphore>,
    /// Turns at reading an upload whole and storing it: at most one per core at a time in the
    /// process, so that what uploads hold in memory stays bounded however many arrive at once. An
    /// upload being stored holds its file more than twice (the body read, and the copies the
    /// database driver makes to send it): 11-13 MB for a file of 5 MB (docs/performance.md).
    pub uploads: Arc<Semaphore>,
    pub metrics: Arc<Metrics>,
}

impl AppState {
    pub fn new(pool: DbPool, jwt: JwtKeys, settings: Settings) -> AppState {
        let cores = crate::config::cores();
        AppState {
            pool,
            jwt,
            settings: Arc::new(settings),
            passwords: Arc::new(Semaphore::new(cores)),
            uploads: Arc::new(Semaphore::new(cores)),
            metrics: Arc::default(),
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

    /// A turn at receiving an upload, held until it is stored (see [`AppState::uploads`]).
    pub async fn upload_turn(&self) -> Result<tokio::sync::OwnedSemaphorePermit, Error> {
        self.uploads
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| Error::internal())
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

    /// [`AppState::read`] in one statement where the work allows. When the credentials are an
    /// access token stating its caller (`access::Standing`), `f` runs first as that caller with
    /// `Some(guard)`: each statement it makes must carry the guard, so that it reads nothing
    /// unless the session, its user and organisation are still live and the same, in the same
    /// snapshot. An answer that `found` something stands. One that found nothing (an empty page,
    /// a record that is not there) may be the answer or a guard that failed: then the caller is
    /// resolved as [`AppState::read`] does (a 401 once the credentials no longer hold) and `f`
    /// runs again with `None`, whose answer stands.
    pub async fn read_guarded<T, F>(
        &self,
        auth: Authenticated,
        found: fn(&Result<T, Error>) -> bool,
        f: F,
    ) -> Result<T, Error>
    where
        F: Fn(&mut DbConnection, &Caller, Option<&SessionGuard>) -> Result<T, Error>
            + Send
            + 'static,
        T: Send + 'static,
    {
        self.on_connection(move |conn| {
            if let Some((caller, guard)) = auth.claimed() {
                let first = f(conn, &caller, Some(&guard));
                if found(&first) {
                    return first;
                }
            }
            let caller = auth.resolve(conn)?;
            f(conn, &caller, None)
        })
        .await
    }

    /// [`AppState::read`] for a console page: the caller and what the page's frame shows of it
    /// (see [`Authenticated::resolve_reader`]) come from one statement.
    pub async fn read_as_reader<T, F>(&self, auth: Authenticated, f: F) -> Result<T, Error>
    where
        F: FnOnce(&mut DbConnection, &Caller, crate::storage::users::Reader) -> Result<T, Error>
            + Send
            + 'static,
        T: Send + 'static,
    {
        self.on_connection(move |conn| {
            let (caller, reader) = auth.resolve_reader(conn)?;
            f(conn, &caller, reader)
        })
        .await
    }

    /// A change by an authenticated caller, in one write transaction: the caller is resolved, `f`
    /// runs and the request's audit event is appended; all of it happens, or none of it. A
    /// transaction the database aborts for a concurrent one is run again (see [`retrying`]).
    pub async fn write<T, F>(&self, auth: Authenticated, mut f: F) -> Result<T, Error>
    where
        F: FnMut(&mut DbConnection, &Caller) -> Result<T, Error> + Send + 'static,
        T: AuditEntity + Send + 'static,
    {
        self.change(auth, false, move |conn, caller, _| f(conn, caller))
            .await
    }

    /// [`AppState::write`] without the statement that resolves the caller, where the change's first
    /// statement can carry the session's guard (see [`AppState::read_guarded`]). When the
    /// credentials are an access token stating its caller, `f` runs first as that caller with
    /// `Some(guard)`: its first statement must carry the guard, so that it finds nothing, and `f`
    /// answers not found, unless the session, its user and organisation are still live and the
    /// same, in that statement's snapshot (as the resolving statement would check them); nothing
    /// may be refused before it. Any other answer stands. A not found is rolled back with anything
    /// `f` did, and the change runs again as [`AppState::write`] runs it: the caller resolved (a 401
    /// once the credentials no longer hold), then `f` with `None`, whose answer stands.
    pub async fn write_guarded<T, F>(&self, auth: Authenticated, f: F) -> Result<T, Error>
    where
        F: FnMut(&mut DbConnection, &Caller, Option<&SessionGuard>) -> Result<T, Error>
            + Send
            + 'static,
        T: AuditEntity + Send + 'static,
    {
        self.change(auth, true, f).await
    }

    /// [`AppState::write`], and with `guarded` [`AppState::write_guarded`]: one transaction (two
    /// when a guarded attempt finds nothing), each appending the request's audit event with `f`'s
    /// change.
    pub(crate) async fn change<T, F>(
        &self,
        auth: Authenticated,
        guarded: bool,
        mut f: F,
    ) -> Result<T, Error>
    where
        F: FnMut(&mut DbConnection, &Caller, Option<&SessionGuard>) -> Result<T, Error>
            + Send
            + 'static,
        T: AuditEntity + Send + 'static,
    {
        let pending = audit::pending();
        let attempts = self.settings.write_attempts;
        self.on_connection(move |conn| {
            let mut audited_change =
                |conn: &mut DbConnection, caller: &Caller, guard: Option<&SessionGuard>| {
                    let value = f(conn, caller, guard)?;
                    audited(conn, pending.clone(), Some(caller), &value)?;
                    Ok(value)
                };
            retrying(attempts, || {
                if let Some((caller, guard)) = auth.claimed().filter(|_| guarded) {
                    let first: Result<T, Error> =
                        conn.write(|conn| audited_change(conn, &caller, Some(&guard)));
                    if !matches!(&first, Err(e) if e.kind == Kind::NotFound) {
                        return first;
                    }
                }
                conn.write(|conn| {
                    let caller = auth.resolve(conn)?;
                    audited_change(conn, &caller, None)
                })
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
    pub async fn write_unauthenticated<T, F>(&self, mut f: F) -> Result<T, Error>
    where
        F: FnMut(&mut DbConnection) -> Result<T, Error> + Send + 'static,
        T: AuditEntity + Send + 'static,
    {
        let pending = audit::pending();
        let attempts = self.settings.write_attempts;
        self.on_connection(move |conn| {
            retrying(attempts, || {
                conn.write(|conn| {
                    let value = f(conn)?;
                    audited(conn, pending.clone(), None, &value)?;
                    Ok(value)
                })
            })
        })
        .await
    }

    /// A write transaction that is not an audited change (bookkeeping such as sign-in counters).
    pub async fn transaction<T, F>(&self, mut f: F) -> Result<T, Error>
    where
        F: FnMut(&mut DbConnection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let attempts = self.settings.write_attempts;
        self.on_connection(move |conn| retrying(attempts, || conn.write(&mut f)))
            .await
    }

    async fn on_connection<T, F>(&self, f: F) -> Result<T, Error>
    where
        F: FnOnce(&mut PoolConnection) -> Result<T, Error> + Send + 'static,
        T: Send + 'static,
    {
        let (pool, metrics) = (self.pool.clone(), self.metrics.clone());
        let (result, sent) = web::block(move || {
            storage::statements::take();
            let result = Self::work_on_connection(&pool, &metrics, f);
            (result, storage::statements::take())
        })
        .await
        .map_err(|_| Error::internal())?;
        audit::count_statements(sent);
        result
    }

    /// The work of [`AppState::on_connection`], on the blocking thread.
    fn work_on_connection<T, F>(pool: &DbPool, metrics: &Metrics, f: F) -> Result<T, Error>
    where
        F: FnOnce(&mut PoolConnection) -> Result<T, Error>,
    {
        let asked = Instant::now();
        let checkout = pool.get();
        metrics.pool_checkout(asked.elapsed(), checkout.is_ok());
        let mut conn = checkout.map_err(|e| {
            tracing::error!(error = %e, "no database connection available");
            Error::unavailable()
        })?;
        let result = f(&mut conn);
        if matches!(&result, Err(e) if e.is_server_fault()) {
            conn.suspect();
        }
        result
    }
}

/// Runs a write transaction up to `attempts` times while the database aborts it for concurrent
/// ones (deadlocks, serialisation failures, SQLite's lock held past its wait). This is safe for
/// every change, idempotent or not: an aborted transaction kept nothing, and nothing left the
/// process (emails wait in the outbox, written in the same transaction). After the last attempt
/// the caller is told to retry (`503 contention` with `Retry-After`).
fn retrying<T>(attempts: u32, mut attempt: impl FnMut() -> Result<T, Error>) -> Result<T, Error> {
    let mut tried = 1;
    loop {
        match attempt() {
            Err(e) if e.kind == Kind::Contended && tried < attempts => {
                // Apart a little and at random, so that the transactions that collided do not
                // collide again.
                let pause = rand::random_range(5..25) * u64::from(tried);
                std::thread::sleep(std::time::Duration::from_millis(pause));
                tried += 1;
            }
            other => return other,
        }
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
