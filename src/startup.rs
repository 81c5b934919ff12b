//! Builds the application once, the same way for `etrack serve` and for the tests.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::HttpMessage;
use actix_web::body::MessageBody;
use actix_web::dev::{Server, Service};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::middleware::{Compress, Condition, DefaultHeaders, Next, from_fn};
use actix_web::{App, HttpResponse, HttpServer, web};
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::jwt::JwtKeys;
use crate::config::Settings;
use crate::domain::organization::Language;
use crate::error::Error;
use crate::state::AppState;
use crate::storage::{self, DbPool};
use crate::{api, audit, demo, i18n, notify};

#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    #[error(transparent)]
    Storage(#[from] storage::StorageError),
    #[error("cannot listen on {0}: {1}")]
    Bind(String, std::io::Error),
    #[error("{0}")]
    Setup(String),
}

pub struct Application {
    port: u16,
    server: Server,
    pool: DbPool,
    demo_logins: Vec<demo::DemoLogin>,
}

impl Application {
    /// Connects, migrates, creates the first admin and the demo data if asked, and binds.
    pub fn build(settings: Settings) -> Result<Application, StartupError> {
        let pool = storage::connect_and_migrate(&settings.database_url, settings.db_pool_size)?;
        {
            let mut conn = pool
                .get()
                .map_err(|e| StartupError::Setup(format!("no database connection: {e}")))?;
            if let Some(admin) = &settings.admin {
                demo::bootstrap_admin(&mut conn, admin).map_err(StartupError::Setup)?;
            }
        }
        let demo_logins = if settings.demo {
            let mut conn = pool
                .get()
                .map_err(|e| StartupError::Setup(format!("no database connection: {e}")))?;
            demo::load(&mut conn).map_err(StartupError::Setup)?
        } else {
            Vec::new()
        };
        {
            // The all-clients readiness view brought up to date once here (lines missing for data
            // from before the view, lines left behind by a process of an earlier version), so that
            // reading it is only ever reading it. Several processes may start together.
            let mut conn = pool
                .get()
                .map_err(|e| StartupError::Setup(format!("no database connection: {e}")))?;
            crate::usecases::readiness::settle_seasons(&mut conn).map_err(|e| {
                StartupError::Setup(format!("writing the readiness view: {}", e.code))
            })?;
        }
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| StartupError::Bind(settings.bind.clone(), e))?;
        let port = listener
            .local_addr()
            .map_err(|e| StartupError::Bind(settings.bind.clone(), e))?
            .port();
        let jwt = JwtKeys::new(
            settings.jwt_secret.expose().as_bytes(),
            settings.access_token_ttl,
        );
        let state = AppState::new(pool.clone(), jwt, settings);
        let mailer = notify::mailer::Mailer::from_setting(&state.settings.mail)
            .map_err(StartupError::Setup)?;
        let sender =
            notify::mailer::sender(&state.settings.mail_from).map_err(StartupError::Setup)?;
        notify::set_public_url(&state.settings.public_url);
        let interval = state.settings.outbox_interval;
        let lease = state.settings.outbox_lease;
        let retention = state.settings.retention.clone();
        let webhooks = state.settings.webhooks;
        let server = run(listener, state).map_err(|e| StartupError::Bind("listener".into(), e))?;
        spawn_sealer(pool.clone());
        notify::worker::spawn(pool.clone(), Arc::new(mailer), sender, interval, lease);
        spawn_reminders(pool.clone());
        spawn_payments(pool.clone());
        spawn_pruner(pool.clone(), retention);
        crate::webhooks::worker::spawn(pool.clone(), webhooks);
        Ok(Application {
            port,
            server,
            pool,
            demo_logins,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn pool(&self) -> &DbPool {
        &self.pool
    }

    pub fn demo_logins(&self) -> &[demo::DemoLogin] {
        &self.demo_logins
    }

    /// Serves until SIGTERM or SIGINT, then stops accepting, finishes in-flight requests and returns.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    pub fn into_server(self) -> Server {
        self.server
    }
}

fn run(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let workers = state.settings.workers.unwrap_or_else(crate::config::cores);
    // Blocking work is database work (bounded by the pool) and password checks: threads beyond
    // that only wait for a connection, and each costs memory and task switches (actix's default
    // is 512 divided by the cores).
    let blocking_threads = (state.settings.db_pool_size as usize).div_ceil(workers.max(1)) + 2;
    let data = web::Data::new(state);
    let openapi = api::openapi::document();
    let origins = data.settings.cors_origins.clone();
    let routes = web::Data::new(Routes::of(&openapi));
    let server = HttpServer::new(move || {
        let metrics = data.metrics.clone();
        let (app, _) = App::new()
            .app_data(data.clone())
            .app_data(routes.clone())
            .app_data(web::PathConfig::default().error_handler(|_, _| Error::not_found().into()))
            .default_service(web::to(unknown_route))
            .wrap_fn(move |req, srv| {
                let started = std::time::Instant::now();
                let metrics = metrics.clone();
                let asked = i18n::asked_language(req.request());
                let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
                let context = audit::RequestContext::new(
                    request_id.clone().unwrap_or_default(),
                    req.method().to_string(),
                    req.path().to_owned(),
                );
                let csp = match req.path() {
                    p if p.starts_with("/docs") => DOCS_CSP,
                    "/password" | "/password.css" => crate::pages::PAGE_CSP,
                    p if crate::sheet::serves(p) => crate::sheet::SHEET_CSP,
                    p if crate::console::serves(p) => crate::console::CONSOLE_CSP,
                    _ => API_CSP,
                };
                let statements = context.statements();
                let response = audit::scope(context, srv.call(req));
                async move {
                    let response = response.await?;
                    // Asked for, or the signed-in user's saved language (known once its
                    // credentials were read).
                    let lang = asked.unwrap_or_else(|| i18n::request_language(response.request()));
                    let mut response = localize(response, lang);
                    metrics.answered(
                        response.request().method().as_str(),
                        response
                            .request()
                            .match_pattern()
                            .as_deref()
                            .unwrap_or(crate::metrics::UNMATCHED),
                        response.status().as_u16(),
                        started.elapsed(),
                        statements.get(),
                    );
                    response.headers_mut().insert(
                        HeaderName::from_static("content-security-policy"),
                        HeaderValue::from_static(csp),
                    );
                    // Callers quote this id to support; the logs carry the same one.
                    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                        response
                            .headers_mut()
                            .insert(HeaderName::from_static("x-request-id"), value);
                    }
                    Ok(response)
                }
            })
            .wrap(from_fn(screen_request))
            .wrap(security_headers())
            .wrap(Condition::new(!origins.is_empty(), cors(&origins)))
            .wrap(TracingLogger::default())
            .wrap(Compress::default())
            .wrap_fn(|mut req, srv| {
                // Pages that carry a form token beside what the reader typed are never compressed
                // (a compressed size would tell an eavesdropper about the token); the API, its
                // documents and the CSV exports are, when the caller asks.
                if !compressible(req.path()) {
                    req.headers_mut().remove(header::ACCEPT_ENCODING);
                }
                srv.call(req)
            })
            .into_utoipa_app()
            .configure(api::configure)
            .split_for_parts();
        app.route("/metrics", web::get().to(api::health::metrics))
            .route("/docs", web::get().to(docs))
            .route("/password", web::get().to(crate::pages::show))
            .route("/password", web::post().to(crate::pages::submit))
            .route("/password.css", web::get().to(crate::pages::style))
            .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi.clone()))
            .configure(crate::console::configure)
    })
    .shutdown_timeout(30)
    // An answer written in pieces (a compressed or CSV body, in chunks) goes out as each piece is
    // ready: with Nagle's algorithm, a piece smaller than a packet waits for the client to
    // acknowledge the one before, which it delays, on a connection kept alive (docs/performance.md).
    .tcp_nodelay(true)
    .workers(workers)
    .worker_max_blocking_threads(blocking_threads);
    Ok(server.listen(listener)?.run())
}

/// Whether an answer may be compressed (gzip, when the request asks): all but the pages for people,
/// which carry a form token.
fn compressible(path: &str) -> bool {
    !(crate::console::serves(path) || path == "/password")
}

/// On every response, unless a handler set its own. Nothing is cached: answers carry tokens and
/// private data. The API documentation page alone may run its own scripts and styles.
fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add(("X-Content-Type-Options", "nosniff"))
        .add(("Referrer-Policy", "no-referrer"))
        .add(("X-Frame-Options", "DENY"))
        .add(("Cache-Control", "no-store"))
        .add((
            "Strict-Transport-Security",
            "max-age=31536000; includeSubDomains",
        ))
        .add(("Cross-Origin-Opener-Policy", "same-origin"))
        .add(("Cross-Origin-Resource-Policy", "same-origin"))
        .add((
            "Permissions-Policy",
            "camera=(), microphone=(), geolocation=(), payment=()",
        ))
}

const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";
const DOCS_CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'";

/// All request headers together, names and values; more is refused with 431.
pub const MAX_HEADER_BYTES: usize = 16 * 1024;

/// Refuses what no handler should see: headers over [`MAX_HEADER_BYTES`] (431), and a query string
/// holding control characters (400 `invalid_query`, naming the parameter), the same rule that
/// request bodies follow (`api::extract`). A `HEAD` request is served as the `GET` it stands for:
/// the connection knows it was `HEAD` and sends the headers alone.
async fn screen_request(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let size: usize = req
        .headers()
        .iter()
        .map(|(name, value)| name.as_str().len() + value.len())
        .sum();
    if size > MAX_HEADER_BYTES {
        let refused = Error::new(crate::error::Kind::HeadersTooLarge, "headers_too_large");
        return Ok(refuse(req, &refused).map_into_right_body());
    }
    if let Some(refused) = screen_query(&req) {
        return Ok(refuse(req, &refused).map_into_right_body());
    }
    if req.method() == actix_web::http::Method::HEAD {
        req.head_mut().method = actix_web::http::Method::GET;
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// The first thing wrong with a request's query string, if any: a parameter its documented
/// operation does not take, a `format` other than `csv` or `json` (read by every list, whatever
/// its handler), a control character.
fn screen_query(req: &ServiceRequest) -> Option<Error> {
    let query = req.query_string();
    if query.is_empty() {
        return None;
    }
    if let Some(routes) = req.app_data::<web::Data<Routes>>()
        && let Some((name, known)) =
            routes.unknown_parameter(req.method().as_str(), req.path(), query)
    {
        let mut refused =
            crate::error::FieldError::new(name, crate::domain::Invalid::new("unknown_parameter"));
        if !known.is_empty() {
            refused = refused.expecting(known);
        }
        return Some(Error::refused_query(refused));
    }
    if form_urlencoded::parse(query.as_bytes())
        .any(|(name, value)| name == "format" && value != "csv" && value != "json")
    {
        return Some(Error::refused_query(
            crate::error::FieldError::new("format", crate::domain::Invalid::new("invalid_value"))
                .expecting("csv, json"),
        ));
    }
    api::extract::query_control_characters(query)
        .map(|name| Error::invalid_query(&name, crate::domain::Invalid::new("invalid_characters")))
}

/// Answers a request with a problem, in its language, before any handler sees it.
fn refuse(req: ServiceRequest, refused: &Error) -> ServiceResponse {
    let lang = i18n::request_language(req.request());
    req.into_response(api::problem::render(refused, lang))
}

/// `/docs` is `/docs/`.
async fn docs() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header((actix_web::http::header::LOCATION, "/docs/"))
        .finish()
}

/// Browsers may call the API from the configured origins only.
fn cors(origins: &[String]) -> actix_cors::Cors {
    use actix_web::http::{Method, header};
    origins
        .iter()
        .fold(actix_cors::Cors::default(), |cors, origin| {
            cors.allowed_origin(origin)
        })
        .allowed_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::ACCEPT,
            header::ACCEPT_LANGUAGE,
            header::IF_MATCH,
            HeaderName::from_static("idempotency-key"),
        ])
        .expose_headers([
            header::ETAG,
            header::LOCATION,
            header::RETRY_AFTER,
            header::CONTENT_LANGUAGE,
            HeaderName::from_static("x-request-id"),
            HeaderName::from_static("idempotent-replayed"),
        ])
        .block_on_origin_mismatch(false)
        .max_age(3600)
}

/// Problems are rendered in English where they arise; other readers get them re-rendered here.
fn localize<B: actix_web::body::MessageBody + 'static>(
    response: actix_web::dev::ServiceResponse<B>,
    lang: Language,
) -> actix_web::dev::ServiceResponse {
    if lang == Language::English {
        return response.map_into_boxed_body();
    }
    let localized = response
        .response()
        .error()
        .and_then(|e| e.as_error::<Error>())
        .map(|e| api::problem::render(e, lang));
    match localized {
        Some(r) => response.into_response(r),
        None => response.map_into_boxed_body(),
    }
}

/// Chains new audit events every second, off the async workers. Every process runs one; they
/// take turns on the chain's head.
fn spawn_sealer(pool: DbPool) {
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(1));
        loop {
            tick.tick().await;
            let pool = pool.clone();
            let sealed =
                web::block(move || storage::with_connection(&pool, storage::audit::seal_all)).await;
            if let Ok(Err(e)) = sealed {
                tracing::warn!(error = %e, "sealing the audit log failed; will retry");
            }
        }
    });
}

/// Runs `work` every minute with today's date in Makkah, on a pooled connection; a failure is
/// logged and the next minute tries again.
fn spawn_every_minute(
    pool: DbPool,
    failed: &'static str,
    work: fn(&mut storage::DbConnection, chrono::NaiveDate) -> Result<usize, crate::error::Error>,
) {
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            let pool = pool.clone();
            let today = crate::domain::calendar::today_in_makkah();
            let done =
                web::block(move || storage::with_connection(&pool, |conn| work(conn, today))).await;
            if let Ok(Err(e)) = done {
                tracing::warn!(error = %e, "{failed}; will retry");
            }
        }
    });
}

/// Looks for due deadline reminders every minute; each is sent once, whichever process finds it.
fn spawn_reminders(pool: DbPool) {
    spawn_every_minute(
        pool,
        "sending deadline reminders failed",
        notify::reminders::run,
    );
}

/// Pays the instalments that fell due every minute; each is paid once, whichever process finds it
/// (docs/domain.md section 11).
fn spawn_payments(pool: DbPool) {
    spawn_every_minute(
        pool,
        "paying due instalments failed",
        crate::usecases::money::pay_due,
    );
}

/// Deletes what is kept only for a while once its time is past (`config::Retention`), in small
/// batches; processes take turns.
fn spawn_pruner(pool: DbPool, retention: crate::config::Retention) {
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(retention.every);
        loop {
            tick.tick().await;
            let (pool, retention) = (pool.clone(), retention.clone());
            let pruned = web::block(move || {
                let now = storage::now();
                let before = |kept: std::time::Duration| {
                    chrono::Duration::from_std(kept)
                        .ok()
                        .and_then(|kept| now.checked_sub_signed(kept))
                        .unwrap_or(chrono::NaiveDateTime::MIN)
                };
                let cutoffs = storage::retention::Cutoffs {
                    emails: before(retention.emails),
                    idempotency: before(retention.idempotency),
                    sign_in_counters: before(retention.sign_in_counters),
                    sessions: before(retention.sessions),
                    now,
                };
                storage::with_connection(&pool, |conn| storage::retention::prune(conn, &cutoffs))
            })
            .await;
            match pruned {
                Ok(Ok(p)) if p != storage::retention::Pruned::default() => tracing::info!(
                    emails = p.emails,
                    idempotency = p.idempotency,
                    sign_in_counters = p.sign_in_counters,
                    sessions = p.sessions,
                    password_links = p.password_links,
                    webhook_deliveries = p.webhook_deliveries,
                    "pruned what is past its retention"
                ),
                Ok(Err(e)) => tracing::warn!(error = %e, "pruning failed; will retry"),
                _ => {}
            }
        }
    });
}

/// The documented paths and their methods, to tell a wrong method (405) from a wrong path (404).
#[derive(Clone)]
struct Routes(Arc<Vec<Route>>);

/// A documented path: its segments, its methods, and the query parameters each method takes.
struct Route {
    segments: Vec<String>,
    methods: String,
    parameters: Vec<(&'static str, Vec<String>)>,
}

impl Routes {
    fn of(api: &utoipa::openapi::OpenApi) -> Routes {
        use utoipa::openapi::path::{Operation, ParameterIn};
        let query = |op: &Operation| -> Vec<String> {
            op.parameters
                .iter()
                .flatten()
                .filter_map(|p| match p {
                    utoipa::openapi::RefOr::T(p)
                        if matches!(p.parameter_in, ParameterIn::Query) =>
                    {
                        Some(p.name.clone())
                    }
                    _ => None,
                })
                .collect()
        };
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut parameters = Vec::new();
                for (name, op) in [
                    ("GET", item.get.as_ref()),
                    ("POST", item.post.as_ref()),
                    ("PUT", item.put.as_ref()),
                    ("PATCH", item.patch.as_ref()),
                    ("DELETE", item.delete.as_ref()),
                ] {
                    if let Some(op) = op {
                        parameters.push((name, query(op)));
                    }
                }
                Route {
                    segments: path.split('/').map(str::to_owned).collect(),
                    methods: parameters
                        .iter()
                        .map(|(m, _)| *m)
                        .collect::<Vec<_>>()
                        .join(", "),
                    parameters,
                }
            })
            .collect();
        Routes(Arc::new(routes))
    }

    /// The documented path this one matches (the most literal match), if any.
    fn route(&self, path: &str) -> Option<&Route> {
        let wanted: Vec<&str> = path.split('/').collect();
        self.0
            .iter()
            .filter(|r| {
                r.segments.len() == wanted.len()
                    && r.segments
                        .iter()
                        .zip(&wanted)
                        .all(|(s, w)| s == w || (s.starts_with('{') && !w.is_empty()))
            })
            .max_by_key(|r| r.segments.iter().filter(|s| !s.starts_with('{')).count())
    }

    /// The methods of the documented path this one matches, if any.
    fn allowed(&self, path: &str) -> Option<&str> {
        self.route(path).map(|r| r.methods.as_str())
    }

    /// The first query parameter a documented operation does not take, with those it does: a
    /// misspelt filter is refused, never silently ignored.
    fn unknown_parameter(&self, method: &str, path: &str, query: &str) -> Option<(String, String)> {
        let (_, known) = self
            .route(path)?
            .parameters
            .iter()
            .find(|(m, _)| *m == method)?;
        form_urlencoded::parse(query.as_bytes())
            .find(|(name, _)| !known.iter().any(|k| k == name))
            .map(|(name, _)| (name.into_owned(), known.join(", ")))
    }
}

async fn unknown_route(
    req: actix_web::HttpRequest,
    routes: web::Data<Routes>,
) -> Result<HttpResponse, Error> {
    match routes.allowed(req.path()) {
        Some(methods) => Ok(api::problem::method_not_allowed(
            methods,
            i18n::request_language(&req),
        )),
        None => Err(Error::not_found()),
    }
}
