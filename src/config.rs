//! One typed settings struct, filled from the command line and the environment (see `cli`).

use std::time::Duration;

/// Where the data lives: an embedded SQLite file or a PostgreSQL server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(String),
    Postgres(String),
}

impl DatabaseUrl {
    /// `postgres://` and `postgresql://` select PostgreSQL; anything else is a SQLite file path.
    pub fn parse(url: &str) -> DatabaseUrl {
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            DatabaseUrl::Postgres(url.to_owned())
        } else {
            DatabaseUrl::Sqlite(url.strip_prefix("sqlite://").unwrap_or(url).to_owned())
        }
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "sqlite",
            DatabaseUrl::Postgres(_) => "postgres",
        }
    }
}

/// The cores this process may run on, by which its defaults scale (HTTP workers, database
/// connections, password checks and uploads at once).
pub fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get)
}

/// Database connections a process keeps at most unless told: four per core of this machine,
/// at least 8 and at most 32. Where PostgreSQL shares the machine's cores, more connections than
/// that only take turns on them and queue on the same rows' locks (docs/performance.md, "The
/// pool's size").
pub fn default_db_pool_size() -> u32 {
    u32::try_from(cores().saturating_mul(4))
        .unwrap_or(u32::MAX)
        .clamp(8, 32)
}

/// A secret that never shows in `Debug` output or logs.
#[derive(Clone)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Clone, Debug)]
pub struct AdminBootstrap {
    pub email: String,
    pub password: Secret,
}

#[derive(Clone, Debug)]
pub struct Settings {
    pub database_url: DatabaseUrl,
    pub bind: String,
    pub jwt_secret: Secret,
    pub admin: Option<AdminBootstrap>,
    pub mail: String,
    pub mail_from: String,
    /// Where links in messages point.
    pub public_url: String,
    /// How often the outbox worker looks for due emails.
    pub outbox_interval: Duration,
    /// How long a worker's claim on an email holds before another process may send it.
    pub outbox_lease: Duration,
    pub demo: bool,
    /// Worker threads of the HTTP server; `None` means one per core.
    pub workers: Option<usize>,
    /// Database connections the process keeps at most (`default_db_pool_size` unless told).
    pub db_pool_size: u32,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub session_max_age: Duration,
    pub max_body_bytes: usize,
    /// Waits after failed sign-ins and refreshes.
    pub login_limits: LoginLimits,
    /// Take the client's address from the last `X-Forwarded-For` entry (set by the load
    /// balancer) instead of the connection. Only behind a proxy that sets it.
    pub behind_proxy: bool,
    /// Browser origins allowed to call the API (CORS); empty allows none.
    pub cors_origins: Vec<String>,
    /// How many times a change the database aborted for a concurrent one is tried in all.
    pub write_attempts: u32,
    /// How long what is kept only for a while is kept.
    pub retention: Retention,
    /// The bearer token `GET /metrics` requires; without one, there are no metrics to read.
    pub metrics_token: Option<Secret>,
    /// How webhook deliveries go out.
    pub webhooks: crate::webhooks::worker::Settings,
}

impl Settings {
    /// Settings with the documented defaults and the given database and secret.
    pub fn new(database_url: DatabaseUrl, jwt_secret: Secret) -> Settings {
        Settings {
            database_url,
            bind: "127.0.0.1:8080".to_owned(),
            jwt_secret,
            admin: None,
            mail: "file:./mail".to_owned(),
            mail_from: "e-track <no-reply@localhost>".to_owned(),
            public_url: "http://127.0.0.1:8080".to_owned(),
            outbox_interval: Duration::from_secs(1),
            outbox_lease: Duration::from_secs(60),
            demo: false,
            workers: None,
            db_pool_size: default_db_pool_size(),
            access_token_ttl: Duration::from_secs(15 * 60),
            refresh_token_ttl: Duration::from_secs(12 * 60 * 60),
            session_max_age: Duration::from_secs(7 * 24 * 60 * 60),
            max_body_bytes: 64 * 1024,
            login_limits: LoginLimits::default(),
            behind_proxy: false,
            cors_origins: Vec::new(),
            write_attempts: 4,
            retention: Retention::default(),
            metrics_token: None,
            webhooks: crate::webhooks::worker::Settings {
                policy: crate::webhooks::TargetPolicy::default(),
                every: Duration::from_secs(1),
                lease: Duration::from_secs(60),
                timeout: Duration::from_secs(10),
                retry_base: Duration::from_secs(5),
            },
        }
    }
}

/// The shortest signing secret accepted.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// Waits after failed sign-ins (`ETRACK_LOGIN_*`; the policy is `auth::throttle`).
#[derive(Clone, Debug)]
pub struct LoginLimits {
    /// Failures for one account from one address before the first wait.
    pub free_failures: u32,
    /// The longest wait.
    pub max_delay: Duration,
    /// Failures older than this are forgotten.
    pub window: Duration,
}

impl Default for LoginLimits {
    fn default() -> LoginLimits {
        LoginLimits {
            free_failures: 5,
            max_delay: Duration::from_secs(15 * 60),
            window: Duration::from_secs(15 * 60),
        }
    }
}

/// How long rows that are only bookkeeping are kept before the pruner deletes them
/// (`ETRACK_RETAIN_*`; the pruning is `storage::retention`). The audit log is never pruned.
#[derive(Clone, Debug)]
pub struct Retention {
    /// Emails, once sent or given up (their addresses and texts with them).
    pub emails: Duration,
    /// The first answers to `Idempotency-Key` requests: a retry after this creates anew.
    pub idempotency: Duration,
    /// Sign-in failure counters, after their last failure (never while a wait runs).
    pub sign_in_counters: Duration,
    /// Sessions and their refresh tokens, after they expired or were revoked.
    pub sessions: Duration,
    /// How often each process prunes.
    pub every: Duration,
}

impl Default for Retention {
    fn default() -> Retention {
        const DAY: u64 = 24 * 60 * 60;
        Retention {
            emails: Duration::from_secs(30 * DAY),
            idempotency: Duration::from_secs(7 * DAY),
            sign_in_counters: Duration::from_secs(DAY),
            sessions: Duration::from_secs(30 * DAY),
            every: Duration::from_secs(10 * 60),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DatabaseUrl;

    #[test]
    fn a_url_names_its_backend_and_is_passed_on_whole() {
        for url in [
            "postgres://postgres@127.0.0.1:5432/etrack",
            // PostgreSQL on the same machine, over its Unix socket (libpq's forms).
            "postgres://postgres@127.0.0.1:5432/etrack?host=/var/run/postgresql",
            "postgres://postgres@%2Fvar%2Frun%2Fpostgresql/etrack",
            "postgresql:///etrack?host=/var/run/postgresql&user=etrack",
        ] {
            assert_eq!(
                DatabaseUrl::parse(url),
                DatabaseUrl::Postgres(url.to_owned())
            );
        }
        assert_eq!(
            DatabaseUrl::parse("sqlite://season.db"),
            DatabaseUrl::Sqlite("season.db".to_owned())
        );
        assert_eq!(
            DatabaseUrl::parse("etrack.db"),
            DatabaseUrl::Sqlite("etrack.db".to_owned())
        );
    }
}
