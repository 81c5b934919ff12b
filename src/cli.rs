//! The command line: `etrack serve [--demo]`, `etrack migrate`, `etrack openapi`.
//! Every flag can also come from the environment.

use std::process::ExitCode;

use clap::builder::BoolishValueParser;
use clap::{Args, Parser, Subcommand};

use crate::config::{AdminBootstrap, DatabaseUrl, MIN_JWT_SECRET_BYTES, Secret, Settings};
use crate::startup::Application;
use crate::{storage, telemetry};

#[derive(Parser, Debug)]
#[command(
    name = "etrack",
    version,
    about = "e-track: the contract portal of pilgrim services"
)]
struct Cli {
    /// A file path for embedded SQLite (created and migrated on start), or postgres://...
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "etrack.db",
        global = true,
        hide_env_values = true
    )]
    database_url: String,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Migrate the database, then serve the API.
    Serve(Box<ServeArgs>),
    /// Apply pending migrations and exit.
    Migrate,
    /// Print the OpenAPI document.
    Openapi,
    /// The audit log.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Check that held capacity and allocations equal what the contracts hold, that every
    /// contract's status matches its history, and that the audit chain is unbroken.
    Check,
    /// Fill an empty database with a realistic season (for benchmarks and trials).
    Seed(SeedArgs),
}

#[derive(Args, Debug)]
struct SeedArgs {
    /// `small`: about 1,000 organisations, 4,000 contracts, 200,000 planned pilgrims.
    /// `season`: about 2,600 organisations, 7,000 facilities, 40,000 contracts, 2,000,000 pilgrims.
    #[arg(long, default_value = "small")]
    scale: String,
}

#[derive(Subcommand, Debug)]
enum AuditCommand {
    /// Seal pending events, recompute the hash chain and name the first broken link.
    Verify,
    /// Write the sealed events after event number --after to FILE, one JSON object per line,
    /// for an archive checked later with `etrack audit verify-archive` (no database needed).
    Export {
        file: std::path::PathBuf,
        #[arg(long, default_value_t = 0)]
        after: i64,
    },
    /// Check an archive written by `etrack audit export`, without a database: every hash
    /// recomputed, every link to the event before.
    VerifyArchive { file: std::path::PathBuf },
}

#[derive(Args, Debug)]
struct ServeArgs {
    /// Also load a demo season with one organisation of every kind, and print their logins.
    #[arg(long)]
    demo: bool,
    /// Listen address.
    #[arg(long, env = "ETRACK_BIND", default_value = "127.0.0.1:8080")]
    bind: String,
    /// Access-token signing secret, at least 32 bytes. Required unless --demo.
    #[arg(long, env = "ETRACK_JWT_SECRET", hide_env_values = true)]
    jwt_secret: Option<String>,
    /// With --admin-password: if no user exists yet, create the ministry and this admin.
    #[arg(long, env = "ETRACK_ADMIN_EMAIL")]
    admin_email: Option<String>,
    #[arg(long, env = "ETRACK_ADMIN_PASSWORD", hide_env_values = true)]
    admin_password: Option<String>,
    /// `file:DIR` writes each email as an .eml file; `smtp://host:port` or `smtps://` sends it.
    #[arg(long, env = "ETRACK_MAIL", default_value = "file:./mail")]
    mail: String,
    #[arg(
        long,
        env = "ETRACK_MAIL_FROM",
        default_value = "e-track <no-reply@localhost>"
    )]
    mail_from: String,
    /// The portal's address as users reach it, for links in messages.
    #[arg(
        long,
        env = "ETRACK_PUBLIC_URL",
        default_value = "http://127.0.0.1:8080"
    )]
    public_url: String,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "ETRACK_WORKERS")]
    workers: Option<usize>,
    /// Database connections this process keeps at most (also the most requests it runs against
    /// the database at once). Default: four per core of this machine, at least 8, at most 32.
    #[arg(long, env = "ETRACK_DB_POOL_SIZE")]
    db_pool_size: Option<u32>,
    /// Seconds an email claimed by a worker stays its own; after a crash, another process sends
    /// it once this has passed.
    #[arg(long, env = "ETRACK_OUTBOX_LEASE_SECONDS", default_value_t = 60)]
    outbox_lease_seconds: u64,
    /// Failed sign-ins for one account from one address before each further attempt waits
    /// (1 s, 2 s, 4 s, ...). Per account from any address the number is doubled, per address
    /// quadrupled.
    #[arg(long, env = "ETRACK_LOGIN_FREE_FAILURES", default_value_t = 5)]
    login_free_failures: u32,
    /// The longest wait after failed sign-ins, in seconds (an account alone: at most 60).
    #[arg(long, env = "ETRACK_LOGIN_MAX_DELAY_SECONDS", default_value_t = 900)]
    login_max_delay_seconds: u64,
    /// Failed sign-ins older than this many seconds are forgotten.
    #[arg(long, env = "ETRACK_LOGIN_WINDOW_SECONDS", default_value_t = 900)]
    login_window_seconds: u64,
    /// Behind a load balancer: take the client's address from the last X-Forwarded-For entry.
    #[arg(long, env = "ETRACK_BEHIND_PROXY", value_parser = BoolishValueParser::new())]
    behind_proxy: bool,
    /// Comma-separated browser origins allowed to call the API, e.g. https://portal.example.sa.
    #[arg(long, env = "ETRACK_CORS_ORIGINS", value_delimiter = ',')]
    cors_origins: Vec<String>,
    /// How many times in all a change is tried when the database aborts it for a concurrent one
    /// (a deadlock, a serialisation failure); after that the caller is answered 503 `contention`.
    #[arg(long, env = "ETRACK_WRITE_ATTEMPTS", default_value_t = 4)]
    write_attempts: u32,
    /// Hours an email is kept once sent or given up.
    #[arg(long, env = "ETRACK_RETAIN_EMAILS_HOURS", default_value_t = 720)]
    retain_emails_hours: u64,
    /// Hours the first answer to an `Idempotency-Key` is kept; a retry after that creates anew.
    #[arg(long, env = "ETRACK_RETAIN_IDEMPOTENCY_HOURS", default_value_t = 168)]
    retain_idempotency_hours: u64,
    /// Hours sign-in failure counters are kept after their last failure (at least the sign-in
    /// window; never while a wait runs).
    #[arg(
        long,
        env = "ETRACK_RETAIN_SIGN_IN_COUNTERS_HOURS",
        default_value_t = 24
    )]
    retain_sign_in_counters_hours: u64,
    /// Hours a session and its refresh tokens are kept after it expired or was revoked.
    #[arg(long, env = "ETRACK_RETAIN_SESSIONS_HOURS", default_value_t = 720)]
    retain_sessions_hours: u64,
    /// The bearer token a metrics scraper sends to `GET /metrics` (at least 16 characters);
    /// unset, `/metrics` does not exist.
    #[arg(long, env = "ETRACK_METRICS_TOKEN", hide_env_values = true)]
    metrics_token: Option<String>,
    /// Let webhooks target loopback, private and link-local addresses, and plain http (for a
    /// receiver inside the operator's own network, and for tests). Off, such targets are refused.
    #[arg(long, env = "ETRACK_WEBHOOKS_ALLOW_PRIVATE", value_parser = BoolishValueParser::new())]
    webhooks_allow_private: bool,
    /// Seconds a webhook receiver may take to answer.
    #[arg(long, env = "ETRACK_WEBHOOK_TIMEOUT_SECONDS", default_value_t = 10)]
    webhook_timeout_seconds: u64,
    /// Milliseconds before a failed webhook delivery's first retry; later retries grow from it
    /// (5 s, 30 s, 2 min ... about a day in all at the default).
    #[arg(long, env = "ETRACK_WEBHOOK_RETRY_BASE_MS", default_value_t = 5000)]
    webhook_retry_base_ms: u64,
    /// Seconds between two prunings by this process.
    #[arg(long, env = "ETRACK_PRUNE_INTERVAL_SECONDS", default_value_t = 600)]
    prune_interval_seconds: u64,
}

pub fn run() -> ExitCode {
    let cli = Cli::parse();
    telemetry::init();
    let database_url = DatabaseUrl::parse(&cli.database_url);
    let result = match cli.command {
        Command::Serve(args) => serve(database_url, *args),
        Command::Migrate => migrate(&database_url),
        Command::Audit(AuditCommand::Verify) => audit_verify(&database_url),
        Command::Audit(AuditCommand::Export { file, after }) => {
            audit_export(&database_url, &file, after)
        }
        Command::Audit(AuditCommand::VerifyArchive { file }) => audit_verify_archive(&file),
        Command::Check => check(&database_url),
        Command::Seed(args) => seed(&database_url, &args.scale),
        Command::Openapi => {
            print!("{}", crate::api::openapi::document_json());
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("etrack: {message}");
            ExitCode::FAILURE
        }
    }
}

fn migrate(url: &DatabaseUrl) -> Result<(), String> {
    let mut conn =
        storage::establish(url).map_err(|e| format!("cannot connect to the database: {e}"))?;
    storage::migrate(&mut conn).map_err(|e| e.to_string())?;
    eprintln!("etrack: the {} database is up to date", url.backend_name());
    Ok(())
}

fn seed(url: &DatabaseUrl, scale: &str) -> Result<(), String> {
    use crate::storage::seed::{SEED_DOMAIN, SEED_PASSWORD, Scale};
    let scale = Scale::parse(scale)
        .ok_or_else(|| format!("unknown scale `{scale}`: use small or season"))?;
    let mut conn =
        storage::establish(url).map_err(|e| format!("cannot connect to the database: {e}"))?;
    storage::migrate(&mut conn).map_err(|e| e.to_string())?;
    let hash = crate::auth::password::hash(SEED_PASSWORD);
    let s = crate::storage::seed::seed(&mut conn, &scale, &hash)?;
    // The all-clients readiness view is written by the changes the portal makes; a seeded
    // season's is written here, so that its first reading is as quick as the next.
    crate::usecases::readiness::fill(&mut conn, &s.season_id)
        .map_err(|e| format!("writing the readiness view: {}", e.code))?;
    println!(
        "seeded `{}` on {} in {:.1} s: {} organisations, {} facilities ({} facility days), \
         {} contracts ({} history events), {} groups of {} pilgrims",
        scale.name,
        url.backend_name(),
        s.seconds,
        s.organizations,
        s.facilities,
        s.facility_days,
        s.contracts,
        s.events,
        s.groups,
        s.pilgrims
    );
    let statuses: Vec<String> = s
        .by_status
        .iter()
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    println!("contracts by status: {}", statuses.join(", "));
    println!("season: {}", s.season_id);
    println!(
        "popular buildings (capacity 300): {}",
        s.popular
            .iter()
            .map(|f| f.as_str())
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!(
        "logins (password {SEED_PASSWORD}): ministry@{SEED_DOMAIN}, office-<country>@{SEED_DOMAIN}, \
         agency-<n>@, provider-<n>@, tawafa-<n>@, authority-<n>@{SEED_DOMAIN}"
    );
    Ok(())
}

fn check(url: &DatabaseUrl) -> Result<(), String> {
    let mut conn =
        storage::establish(url).map_err(|e| format!("cannot connect to the database: {e}"))?;
    storage::migrate(&mut conn).map_err(|e| e.to_string())?;
    let mut report = crate::storage::invariants::check(&mut conn).map_err(|e| e.to_string())?;
    let (lines, differ) = crate::usecases::readiness::verify_view(&mut conn)
        .map_err(|e| format!("reading the readiness view: {}", e.code))?;
    report.problems.extend(differ);
    let money = crate::usecases::money::verify(&mut conn)
        .map_err(|e| format!("reading the ledger: {}", e.code))?;
    report.problems.extend(money);
    let (contents, documents) = crate::usecases::documents::verify(&mut conn)
        .map_err(|e| format!("reading the documents: {}", e.code))?;
    report.problems.extend(documents);
    for problem in &report.problems {
        println!("problem: {problem}");
    }
    if report.problems.is_empty() {
        println!(
            "ok: {} contracts, {} facility days, {} client days, {} audit events chained, \
             {} readiness lines as assessed afresh, the ledger balanced, {} document contents \
             matching their hashes",
            report.contracts,
            report.facility_days,
            report.client_days,
            report.audit_events,
            lines,
            contents
        );
        Ok(())
    } else {
        Err(format!("{} problems found", report.problems.len()))
    }
}

fn audit_verify(url: &DatabaseUrl) -> Result<(), String> {
    let mut conn =
        storage::establish(url).map_err(|e| format!("cannot connect to the database: {e}"))?;
    storage::migrate(&mut conn).map_err(|e| e.to_string())?;
    storage::audit::seal_all(&mut conn).map_err(|e| e.to_string())?;
    let v = storage::audit::verify(&mut conn).map_err(|e| e.to_string())?;
    match v.first_broken {
        None => {
            println!("ok: {} events chained, {} pending", v.events, v.pending);
            Ok(())
        }
        Some((seq, id)) => {
            println!("broken: the chain breaks at event {seq} {id}");
            Err(format!("the audit chain is broken at event {seq}"))
        }
    }
}

fn audit_export(url: &DatabaseUrl, file: &std::path::Path, after: i64) -> Result<(), String> {
    let mut conn =
        storage::establish(url).map_err(|e| format!("cannot connect to the database: {e}"))?;
    storage::migrate(&mut conn).map_err(|e| e.to_string())?;
    storage::audit::seal_all(&mut conn).map_err(|e| e.to_string())?;
    // Never over an earlier archive.
    let out = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(file)
        .map_err(|e| format!("cannot create {}: {e}", file.display()))?;
    let mut out = std::io::BufWriter::new(out);
    let (count, last) = storage::audit::export(&mut conn, after, &mut out)?;
    std::io::Write::flush(&mut out).map_err(|e| e.to_string())?;
    out.get_ref().sync_all().map_err(|e| e.to_string())?;
    println!(
        "ok: {count} events after event {after} written to {}; last hash {}",
        file.display(),
        last.as_deref().unwrap_or("-")
    );
    Ok(())
}

fn audit_verify_archive(file: &std::path::Path) -> Result<(), String> {
    let input =
        std::fs::File::open(file).map_err(|e| format!("cannot open {}: {e}", file.display()))?;
    match storage::audit::verify_archive(std::io::BufReader::new(input))? {
        Some(a) => {
            println!(
                "ok: events {} to {} chained; continues from {}; ends with {}",
                a.first, a.last, a.continues, a.ends
            );
            Ok(())
        }
        None => {
            println!("ok: the archive holds no events");
            Ok(())
        }
    }
}

fn jwt_secret(given: Option<String>, demo: bool) -> Result<Secret, String> {
    match given {
        Some(s) if s.len() >= MIN_JWT_SECRET_BYTES => Ok(Secret::new(s)),
        Some(_) => Err(format!("ETRACK_JWT_SECRET must be at least {MIN_JWT_SECRET_BYTES} bytes")),
        None if demo => {
            tracing::warn!(
                "ETRACK_JWT_SECRET is not set: using a random secret for this demo run. \
                 Tokens stop working when the process stops, and several processes cannot share logins. \
                 NEVER run like this in production."
            );
            Ok(Secret::new(crate::auth::secret::generate("demo_")))
        }
        None => Err("ETRACK_JWT_SECRET is not set (at least 32 bytes); only `serve --demo` starts without it".into()),
    }
}

/// Origins as browsers send them: scheme, host and port, no path.
fn cors_origins(given: Vec<String>) -> Result<Vec<String>, String> {
    given
        .into_iter()
        .map(|o| o.trim().trim_end_matches('/').to_owned())
        .filter(|o| !o.is_empty())
        .map(|o| {
            let rest = o
                .strip_prefix("https://")
                .or_else(|| o.strip_prefix("http://"));
            match rest {
                Some(host) if !host.is_empty() && !host.contains('/') => Ok(o),
                _ => Err(format!(
                    "ETRACK_CORS_ORIGINS: `{o}` is not an origin such as https://portal.example.sa"
                )),
            }
        })
        .collect()
}

fn serve(database_url: DatabaseUrl, args: ServeArgs) -> Result<(), String> {
    let mut settings = Settings::new(database_url, jwt_secret(args.jwt_secret, args.demo)?);
    settings.bind = args.bind;
    settings.demo = args.demo;
    settings.mail = args.mail;
    settings.mail_from = args.mail_from;
    settings.public_url = args.public_url;
    settings.workers = args.workers;
    if let Some(size) = args.db_pool_size {
        settings.db_pool_size = size.clamp(1, 512);
    }
    settings.outbox_lease =
        std::time::Duration::from_secs(args.outbox_lease_seconds.clamp(1, 3600));
    settings.login_limits = crate::config::LoginLimits {
        free_failures: args.login_free_failures.clamp(1, 1000),
        max_delay: std::time::Duration::from_secs(args.login_max_delay_seconds.clamp(1, 86_400)),
        window: std::time::Duration::from_secs(args.login_window_seconds.clamp(1, 86_400)),
    };
    settings.behind_proxy = args.behind_proxy;
    settings.cors_origins = cors_origins(args.cors_origins)?;
    settings.write_attempts = args.write_attempts.clamp(1, 20);
    let timeout = std::time::Duration::from_secs(args.webhook_timeout_seconds.clamp(1, 60));
    settings.webhooks = crate::webhooks::worker::Settings {
        policy: crate::webhooks::TargetPolicy {
            allow_private: args.webhooks_allow_private,
        },
        timeout,
        lease: timeout * 2 + std::time::Duration::from_secs(5),
        retry_base: std::time::Duration::from_millis(args.webhook_retry_base_ms.clamp(10, 600_000)),
        ..settings.webhooks
    };
    settings.metrics_token = match args.metrics_token {
        Some(token) if token.chars().count() >= 16 => Some(Secret::new(token)),
        Some(_) => return Err("ETRACK_METRICS_TOKEN must be at least 16 characters".into()),
        None => None,
    };
    let hours = |h: u64| std::time::Duration::from_secs(h.clamp(1, 24 * 3660) * 3600);
    settings.retention = crate::config::Retention {
        emails: hours(args.retain_emails_hours),
        idempotency: hours(args.retain_idempotency_hours),
        sign_in_counters: hours(args.retain_sign_in_counters_hours)
            .max(settings.login_limits.window),
        sessions: hours(args.retain_sessions_hours),
        every: std::time::Duration::from_secs(args.prune_interval_seconds.clamp(1, 86_400)),
    };
    settings.admin = match (args.admin_email, args.admin_password) {
        (Some(email), Some(password)) => Some(AdminBootstrap {
            email,
            password: Secret::new(password),
        }),
        (None, None) => None,
        _ => {
            return Err("set both ETRACK_ADMIN_EMAIL and ETRACK_ADMIN_PASSWORD, or neither".into());
        }
    };
    actix_web::rt::System::new().block_on(async move {
        let backend = settings.database_url.backend_name();
        let app = Application::build(settings).map_err(|e| e.to_string())?;
        if !app.demo_logins().is_empty() {
            print_demo_logins(&app);
        }
        tracing::info!(port = app.port(), backend, "e-track is serving");
        eprintln!(
            "etrack: serving on port {} ({backend}); API docs at /docs/",
            app.port()
        );
        app.run_until_stopped().await.map_err(|e| e.to_string())
    })
}

fn print_demo_logins(app: &Application) {
    println!();
    println!(
        "The console: http://127.0.0.1:{}/ (sign in with any login below)",
        app.port()
    );
    println!(
        "Demo logins (password for all: {}):",
        crate::demo::DEMO_PASSWORD
    );
    for login in app.demo_logins() {
        println!(
            "  {:<17} {:<28} {}",
            login.kind.as_str(),
            login.email,
            login.organization
        );
    }
    println!(
        "Try: curl -s -X POST http://127.0.0.1:{}/api/v1/auth/login -H 'content-type: application/json' \\",
        app.port()
    );
    println!(
        "       -d '{{\"email\":\"ministry@demo.e-track.sa\",\"password\":\"{}\"}}'",
        crate::demo::DEMO_PASSWORD
    );
    println!();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn switches_from_the_environment_take_one_and_true_alike() {
        for (value, expected) in [("1", true), ("true", true), ("yes", true), ("0", false)] {
            // SAFETY: no other test of this binary reads these two variables.
            unsafe {
                std::env::set_var("ETRACK_BEHIND_PROXY", value);
                std::env::set_var("ETRACK_WEBHOOKS_ALLOW_PRIVATE", value);
            }
            let cli = Cli::try_parse_from(["etrack", "serve"]).expect(value);
            let Command::Serve(args) = cli.command else {
                panic!("serve")
            };
            assert_eq!(args.behind_proxy, expected, "{value}");
            assert_eq!(args.webhooks_allow_private, expected, "{value}");
        }
    }
}
