//! Storage: the only layer that knows diesel and the two backends.
//!
//! One binary serves either an embedded SQLite file or PostgreSQL. Queries are written once against
//! [`DbConnection`]; the few places that need backend-specific SQL match on it.

pub mod api_keys;
pub mod audit;
mod columns;
pub mod contracts;
pub mod documents;
pub mod facilities;
pub mod feed;
pub mod holds;
pub mod idempotency;
pub mod invariants;
pub mod ledger;
pub mod metrics;
pub mod models;
pub mod names;
pub mod notifications;
pub mod organizations;
pub mod plans;
pub mod prepared;
pub mod readiness;
pub mod retention;
pub mod schema;
pub mod seasons;
pub mod seed;
pub mod sessions;
pub mod statements;
pub mod throttles;
pub mod turns;
pub mod user_tokens;
pub mod users;
pub mod webhooks;

/// Inserts `values` into `table` unless a row with the same key is there already (whichever
/// process wrote it): `ON CONFLICT DO NOTHING` on PostgreSQL, `INSERT OR IGNORE` on SQLite.
/// Answers the number of rows inserted.
macro_rules! insert_or_ignore {
    ($conn:expr, $table:expr, $values:expr) => {
        match $conn {
            $crate::storage::DbConnection::Postgresql(c) => diesel::insert_into($table)
                .values($values)
                .on_conflict_do_nothing()
                .execute(c),
            $crate::storage::DbConnection::Sqlite(c) => diesel::insert_or_ignore_into($table)
                .values($values)
                .execute(c),
        }
    };
}
pub(crate) use insert_or_ignore;

/// Runs `$run` with `$c` bound to the connection of whichever backend `$conn` is: for statements
/// diesel's two-backend connection cannot run (unions, `RETURNING`, upserts), written once and
/// typed for each backend.
macro_rules! per_backend {
    ($conn:expr, $c:ident => $run:expr) => {
        match $conn {
            $crate::storage::DbConnection::Postgresql($c) => $run,
            $crate::storage::DbConnection::Sqlite($c) => $run,
        }
    };
}
pub(crate) use per_backend;

/// Loads `$query` (written once, typed for each backend) kept prepared on PostgreSQL only: for a
/// statement whose text there is one of a few (a list of ids is `= ANY($n)`), where planning it
/// at each request would cost more than running it, but on SQLite one text per number of ids (an
/// `IN` list), which would fill the statement cache, and where preparing is no round trip.
macro_rules! load_prepared_on_postgres {
    ($conn:expr, $query:expr) => {{
        use $crate::storage::prepared::KeepPrepared as _;
        match $conn {
            $crate::storage::DbConnection::Postgresql(c) => $query.prepared().load(c),
            $crate::storage::DbConnection::Sqlite(c) => $query.load(c),
        }
    }};
}
pub(crate) use load_prepared_on_postgres;

/// Narrows a boxed `$query` to the rows whose `$column` is one of `$ids`: by `=` when there is one,
/// by `= ANY($n)` (an `IN` list on SQLite) otherwise.
///
/// PostgreSQL plans a statement kept prepared for its values at each of its first five runs, then
/// keeps one plan for any values if that looks no dearer. A bound list is estimated at ten values
/// in the plan for any values, so for one value (one client's readiness, a submission, an
/// approval) that plan never looked as cheap, and every run was planned again, often for longer
/// than it ran (docs/performance.md, "Statements planned at every run").
macro_rules! one_of {
    ($query:expr, $column:expr, $ids:expr) => {
        match $ids {
            [one] => $query.filter($column.eq(one.clone())),
            many => $query.filter($column.eq_any(many.to_vec())),
        }
    };
}
pub(crate) use one_of;

use std::ops::{Deref, DerefMut};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use chrono::{NaiveDateTime, Timelike, Utc};
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseUrl;

/// What a query answers: its result, or the database's error.
pub use diesel::QueryResult;
/// The database's error.
pub use diesel::result::Error as QueryError;

/// A stored value that does not parse: the row is damaged, not the request.
pub(crate) fn damaged(what: &str, value: &str) -> QueryError {
    QueryError::DeserializationError(format!("stored {what} {value:?} is not valid").into())
}

#[derive(diesel::MultiConnection)]
pub enum DbConnection {
    Postgresql(diesel::PgConnection),
    Sqlite(diesel::SqliteConnection),
}

pub type DbPool = r2d2::Pool<ConnectionManager>;
pub type PooledConnection = r2d2::PooledConnection<ConnectionManager>;

/// A connection in the pool, when it last went back to it, and which failures it has been
/// checked since.
pub struct PoolConnection {
    conn: DbConnection,
    returned_at: Instant,
    checked_at_failure: u64,
    failures: Arc<AtomicU64>,
    writers: Option<Arc<turns::Writers>>,
}

impl PoolConnection {
    /// Its last use failed in a way that may be the connection's fault. When one connection is
    /// lost, the others usually are too (a restart, a failover): every connection of the pool is
    /// checked before it is given out again.
    pub fn suspect(&self) {
        self.failures.fetch_add(1, Ordering::Relaxed);
    }

    /// [`write_transaction`], after waiting for the turn to write on SQLite (see [`turns`]).
    pub fn write<T, E, F>(&mut self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConnection) -> Result<T, E>,
        E: From<diesel::result::Error>,
    {
        let _turn = self.writers.as_ref().map(|w| w.take());
        write_transaction(&mut self.conn, f)
    }
}

impl Deref for PoolConnection {
    type Target = DbConnection;
    fn deref(&self) -> &DbConnection {
        &self.conn
    }
}

impl DerefMut for PoolConnection {
    fn deref_mut(&mut self) -> &mut DbConnection {
        &mut self.conn
    }
}

/// A connection handed back this recently is given out again without a round trip to check it:
/// under load every checkout would otherwise pay one. After a quiet spell (when the database may
/// have restarted or a firewall dropped the socket) it is checked first.
const TRUSTED_FOR: Duration = Duration::from_secs(2);

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// How long a SQLite writer waits for the lock before giving up.
const SQLITE_BUSY_TIMEOUT_MS: u32 = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database connection failed: {0}")]
    Connection(String),
    #[error("database error: {0}")]
    Query(#[from] diesel::result::Error),
    #[error("migration failed: {0}")]
    Migration(String),
}

/// Opens connections of the backend the URL names; never guesses.
#[derive(Clone, Debug)]
pub struct ConnectionManager {
    url: DatabaseUrl,
    /// Failures its connections reported (see [`PoolConnection::suspect`]).
    failures: Arc<AtomicU64>,
    /// SQLite only: whose turn it is to write (see [`turns`]).
    writers: Option<Arc<turns::Writers>>,
}

impl ConnectionManager {
    pub fn new(url: DatabaseUrl) -> ConnectionManager {
        let writers = match &url {
            DatabaseUrl::Sqlite(path) => Some(Arc::new(turns::Writers::new(path))),
            DatabaseUrl::Postgres(_) => None,
        };
        ConnectionManager {
            url,
            failures: Arc::default(),
            writers,
        }
    }
}

pub fn establish(url: &DatabaseUrl) -> Result<DbConnection, ConnectionError> {
    match url {
        DatabaseUrl::Postgres(u) => {
            let mut conn = diesel::PgConnection::establish(u)?;
            conn.batch_execute("SET TIME ZONE 'UTC'")
                .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(DbConnection::Postgresql(conn))
        }
        DatabaseUrl::Sqlite(path) => {
            let mut conn = diesel::SqliteConnection::establish(path)?;
            conn.batch_execute(&format!(
                "PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}; PRAGMA journal_mode = WAL; \
                 PRAGMA synchronous = NORMAL; PRAGMA foreign_keys = ON;"
            ))
            .map_err(ConnectionError::CouldntSetupConfiguration)?;
            Ok(DbConnection::Sqlite(conn))
        }
    }
}

impl ManageConnection for ConnectionManager {
    type Connection = PoolConnection;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<PoolConnection, r2d2::Error> {
        let mut conn = establish(&self.url).map_err(r2d2::Error::ConnectionError)?;
        per_backend!(&mut conn, c => c.set_instrumentation(statements::Counting));
        Ok(PoolConnection {
            conn,
            returned_at: Instant::now(),
            checked_at_failure: self.failures.load(Ordering::Relaxed),
            failures: self.failures.clone(),
            writers: self.writers.clone(),
        })
    }

    fn is_valid(&self, conn: &mut PoolConnection) -> Result<(), r2d2::Error> {
        let failures = self.failures.load(Ordering::Relaxed);
        if conn.checked_at_failure == failures && conn.returned_at.elapsed() < TRUSTED_FOR {
            return Ok(());
        }
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)?;
        conn.checked_at_failure = failures;
        Ok(())
    }

    fn has_broken(&self, conn: &mut PoolConnection) -> bool {
        conn.returned_at = Instant::now();
        // A connection left inside a transaction (a panic mid-way) must not go back to the pool.
        let status = match &mut conn.conn {
            DbConnection::Postgresql(c) => {
                AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
            }
            DbConnection::Sqlite(c) => {
                AnsiTransactionManager::transaction_manager_status_mut(c).transaction_depth()
            }
        };
        !matches!(status, Ok(None))
    }
}

/// Runs background work on a pooled connection; a failure is reported as text and has the
/// connection checked before its next use. Background work writes (sealing the audit chain,
/// reminders, instalments, deliveries, retention): on SQLite it holds the turn to write for its
/// whole run (see [`turns`]).
pub fn with_connection<T, E: ToString>(
    pool: &DbPool,
    f: impl FnOnce(&mut DbConnection) -> Result<T, E>,
) -> Result<T, String> {
    let mut conn = pool.get().map_err(|e| e.to_string())?;
    let writers = conn.writers.clone();
    let _turn = writers.as_ref().map(|w| w.take());
    f(&mut conn).map_err(|e| {
        conn.suspect();
        e.to_string()
    })
}

/// Builds the pool and applies the embedded migrations of the chosen backend.
pub fn connect_and_migrate(url: &DatabaseUrl, pool_size: u32) -> Result<DbPool, StorageError> {
    if let DatabaseUrl::Sqlite(path) = url
        && let Some(dir) = std::path::Path::new(path).parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir).map_err(|e| StorageError::Connection(e.to_string()))?;
    }
    let mut conn = establish(url).map_err(|e| StorageError::Connection(e.to_string()))?;
    migrate(&mut conn)?;
    r2d2::Pool::builder()
        .max_size(pool_size)
        .min_idle(Some(1))
        .connection_timeout(Duration::from_secs(10))
        .build(ConnectionManager::new(url.clone()))
        .map_err(|e| StorageError::Connection(e.to_string()))
}

pub fn migrate(conn: &mut DbConnection) -> Result<(), StorageError> {
    let result = match conn {
        DbConnection::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS).map(|_| ()),
        DbConnection::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS).map(|_| ()),
    };
    result.map_err(|e| StorageError::Migration(e.to_string()))?;
    feed::realign(conn).map_err(|e| StorageError::Migration(e.to_string()))
}

/// Runs `f` in a write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, so the write lock is
/// taken up front and a read can never fail to upgrade half-way; PostgreSQL uses a plain transaction.
pub fn write_transaction<T, E, F>(conn: &mut DbConnection, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConnection) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    if let DbConnection::Postgresql(_) = conn {
        return conn.transaction(f);
    }
    if let DbConnection::Sqlite(c) = conn {
        AnsiTransactionManager::begin_transaction_sql(c, "BEGIN IMMEDIATE")?;
    }
    let result = f(conn);
    let DbConnection::Sqlite(c) = conn else {
        unreachable!("checked above")
    };
    match result {
        Ok(value) => match AnsiTransactionManager::commit_transaction(c) {
            Ok(()) => Ok(value),
            Err(e) => {
                let _ = AnsiTransactionManager::rollback_transaction(c);
                Err(e.into())
            }
        },
        Err(e) => {
            AnsiTransactionManager::rollback_transaction(c)?;
            Err(e)
        }
    }
}

/// The current time as stored: UTC, truncated to microseconds so both backends round-trip it alike.
pub fn now() -> NaiveDateTime {
    let t = Utc::now().naive_utc();
    t.with_nanosecond(t.nanosecond() / 1_000 * 1_000)
        .unwrap_or(t)
}

/// Whether the database answers at all.
pub fn ping(conn: &mut DbConnection) -> QueryResult<()> {
    conn.batch_execute("SELECT 1")
}

/// Whether a diesel error is a violated unique constraint.
pub fn is_unique_violation(e: &diesel::result::Error) -> bool {
    matches!(
        e,
        diesel::result::Error::DatabaseError(diesel::result::DatabaseErrorKind::UniqueViolation, _)
    )
}

/// Escapes `%`, `_` and `\` for a `LIKE ... ESCAPE '\'` pattern.
pub fn like_contains(needle: &str) -> String {
    let mut pattern = String::with_capacity(needle.len() + 2);
    pattern.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// One column of one table, as the database itself describes it.
#[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord, Clone)]
pub struct ColumnInfo {
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub table_name: String,
    #[diesel(sql_type = diesel::sql_types::Text)]
    pub column_name: String,
}

/// Every table and column of the schema (migration bookkeeping excluded), sorted.
pub fn describe_schema(conn: &mut DbConnection) -> QueryResult<Vec<ColumnInfo>> {
    let sql = match conn {
        DbConnection::Postgresql(_) => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name \
             FROM information_schema.columns WHERE table_schema = 'public' \
             AND table_name <> '__diesel_schema_migrations'"
        }
        DbConnection::Sqlite(_) => {
            "SELECT m.name AS table_name, p.name AS column_name \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' \
             AND m.name <> '__diesel_schema_migrations'"
        }
    };
    let mut columns = diesel::sql_query(sql).load::<ColumnInfo>(conn)?;
    columns.sort();
    Ok(columns)
}
