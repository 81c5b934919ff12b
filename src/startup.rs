//! Builds the application once, the same way for `etrack serve` and for the tests.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::HttpMessage;
use actix_web::dev::{Server, Service};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::DefaultHeaders;
use actix_web::{App, HttpResponse, HttpServer, web};
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::auth::jwt::JwtKeys;
use crate::config::Settings;
use crate::domain::organization::Language;
use crate::error::ApiError;
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
        let listener = TcpListener::bind(&settings.bind)
            .map_err(|e| StartupError::Bind(settings.bind.clone(), e))?;
        let port = listener
            .local_addr()
            .map_err(|e| StartupError::Bind(settings.bind.clone(), e))?
            .port();
        let state = AppState {
            pool: pool.clone(),
            jwt: JwtKeys::new(
                settings.jwt_secret.expose().as_bytes(),
                settings.access_token_ttl,
            ),
            settings: Arc::new(settings),
        };
        let mailer = notify::mailer::Mailer::from_setting(&state.settings.mail)
            .map_err(StartupError::Setup)?;
        let sender =
            notify::mailer::sender(&state.settings.mail_from).map_err(StartupError::Setup)?;
        notify::set_public_url(&state.settings.public_url);
        let interval = state.settings.outbox_interval;
        let lease = state.settings.outbox_lease;
        let server = run(listener, state).map_err(|e| StartupError::Bind("listener".into(), e))?;
        spawn_sealer(pool.clone());
        notify::worker::spawn(pool.clone(), Arc::new(mailer), sender, interval, lease);
        spawn_reminders(pool.clone());
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
    let workers = state.settings.workers;
    let data = web::Data::new(state);
    let openapi = api::openapi::document();
    let mut server = HttpServer::new(move || {
        let (app, _) = App::new()
            .app_data(data.clone())
            .app_data(
                web::QueryConfig::default()
                    .error_handler(|_, _| ApiError::bad_request("invalid_query").into()),
            )
            .app_data(web::PathConfig::default().error_handler(|_, _| ApiError::not_found().into()))
            .default_service(web::to(unknown_route))
            .wrap_fn(|req, srv| {
                let lang = i18n::request_language(req.request());
                let request_id = req.extensions().get::<RequestId>().map(|id| id.to_string());
                let context = audit::RequestContext::new(
                    request_id.clone().unwrap_or_default(),
                    req.method().to_string(),
                    req.path().to_owned(),
                );
                let response = audit::scope(context, srv.call(req));
                async move {
                    let mut response = localize(response.await?, lang);
                    // Callers quote this id to support; the logs carry the same one.
                    if let Some(value) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                        response
                            .headers_mut()
                            .insert(HeaderName::from_static("x-request-id"), value);
                    }
                    Ok(response)
                }
            })
            .wrap(
                DefaultHeaders::new()
                    .add(("X-Content-Type-Options", "nosniff"))
                    .add(("Referrer-Policy", "no-referrer"))
                    .add(("X-Frame-Options", "DENY")),
            )
            .wrap(TracingLogger::default())
            .into_utoipa_app()
            .configure(api::configure)
            .split_for_parts();
        app.service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", openapi.clone()))
    })
    .shutdown_timeout(30);
    if let Some(n) = workers {
        server = server.workers(n);
    }
    Ok(server.listen(listener)?.run())
}

/// Problems are rendered in English where they arise; Arabic readers get them re-rendered here.
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
        .and_then(|e| e.as_error::<ApiError>())
        .map(|e| e.render(lang));
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
            let sealed = web::block(move || {
                let mut conn = pool.get().map_err(|e| e.to_string())?;
                storage::audit::seal_all(&mut conn).map_err(|e| e.to_string())
            })
            .await;
            if let Ok(Err(e)) = sealed {
                tracing::warn!(error = %e, "sealing the audit log failed; will retry");
            }
        }
    });
}

/// Looks for due deadline reminders every minute; each is sent once, whichever process finds it.
fn spawn_reminders(pool: DbPool) {
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(std::time::Duration::from_secs(60));
        loop {
            tick.tick().await;
            let pool = pool.clone();
            let today = crate::domain::calendar::today_in_makkah();
            let done = web::block(move || {
                let mut conn = pool.get().map_err(|e| e.to_string())?;
                notify::reminders::run(&mut conn, today).map_err(|e| e.to_string())
            })
            .await;
            if let Ok(Err(e)) = done {
                tracing::warn!(error = %e, "sending deadline reminders failed; will retry");
            }
        }
    });
}

async fn unknown_route() -> Result<HttpResponse, ApiError> {
    Err(ApiError::not_found())
}
