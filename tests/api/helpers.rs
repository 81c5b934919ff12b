//! Starts the real server on port 0 with a fresh database per test, and speaks HTTP to it.
//!
//! Every scenario runs on SQLite and on PostgreSQL (`backend_tests!`). PostgreSQL comes from
//! `ETRACK_TEST_DATABASE_URL` (default `postgres://postgres@127.0.0.1:5432/postgres`); where it is
//! unreachable those tests say so and pass, unless `ETRACK_TEST_REQUIRE_POSTGRES=1` (as in CI).

use std::path::PathBuf;
use std::time::Duration;

use awc::http::header::HeaderMap;
use diesel::Connection;
use diesel::connection::SimpleConnection;
use etrack::config::{AdminBootstrap, DatabaseUrl, Secret, Settings};
use etrack::startup::Application;
use serde_json::{Value, json};

pub const JWT_SECRET: &str = "test secret that is long enough for HS256 signing";
pub const ADMIN_EMAIL: &str = "admin@ministry.test";
pub const PASSWORD: &str = "quiet camels at dawn";

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs each named scenario `async fn name(app: TestApp)` once per backend; with `tune; ...`
/// first, on an app whose settings `tune` adjusted.
#[macro_export]
macro_rules! backend_tests {
    ($tune:expr; $($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[actix_web::test]
                async fn $name() {
                    let app = $crate::helpers::spawn_app_with($crate::helpers::Backend::Sqlite, $tune).await.unwrap();
                    super::$name(app).await;
                }
            )*
        }
        mod postgres {
            $(
                #[actix_web::test]
                async fn $name() {
                    if let Some(app) = $crate::helpers::spawn_app_with($crate::helpers::Backend::Postgres, $tune).await {
                        super::$name(app).await;
                    }
                }
            )*
        }
    };
    ($($name:ident),* $(,)?) => {
        $crate::backend_tests!(|_: &mut etrack::config::Settings| {}; $($name),*);
    };
}

/// A database made for one test and removed after it.
pub struct TestDb {
    pub url: DatabaseUrl,
    admin_url: Option<String>,
    name: String,
    dir: Option<PathBuf>,
}

fn postgres_admin_url() -> String {
    std::env::var("ETRACK_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

fn with_connect_timeout(url: &str) -> String {
    with_parameter(url, "connect_timeout=3")
}

/// `url` with one more `name=value` in its query.
fn with_parameter(url: &str, parameter: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{parameter}")
}

/// Says that a test did not run, where the summary shows it: straight to the terminal, past the
/// harness's capture of test output (cargo would otherwise count the test as passed in silence).
pub fn skipped(why: &str) {
    use std::io::Write;
    let test = std::thread::current().name().unwrap_or("a test").to_owned();
    let _ = writeln!(std::io::stderr().lock(), "SKIPPED {test}: {why}");
}

impl TestDb {
    /// `None` when PostgreSQL is unreachable and not required.
    pub fn create(backend: Backend) -> Option<TestDb> {
        let name = format!("etrack_test_{}", uuid::Uuid::new_v4().simple());
        match backend {
            Backend::Sqlite => {
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).unwrap();
                let path = dir.join("etrack.db").to_string_lossy().into_owned();
                Some(TestDb {
                    url: DatabaseUrl::Sqlite(path),
                    admin_url: None,
                    name,
                    dir: Some(dir),
                })
            }
            Backend::Postgres => {
                let admin_url = postgres_admin_url();
                let mut admin =
                    match diesel::PgConnection::establish(&with_connect_timeout(&admin_url)) {
                        Ok(c) => c,
                        Err(e) => {
                            if std::env::var("ETRACK_TEST_REQUIRE_POSTGRES").is_ok_and(|v| v == "1")
                            {
                                panic!(
                                    "PostgreSQL is required but unreachable at {admin_url}: {e}"
                                );
                            }
                            skipped(&format!(
                                "PostgreSQL unreachable at {admin_url} ({})",
                                e.to_string().lines().next().unwrap_or_default().trim()
                            ));
                            return None;
                        }
                    };
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .unwrap();
                let base = admin_url
                    .rsplit_once('/')
                    .map(|(b, _)| b)
                    .unwrap_or(&admin_url);
                let dir = std::env::temp_dir().join(&name);
                std::fs::create_dir_all(&dir).unwrap();
                Some(TestDb {
                    url: DatabaseUrl::Postgres(format!("{base}/{name}")),
                    admin_url: Some(admin_url),
                    name,
                    dir: Some(dir),
                })
            }
        }
    }
}

impl TestDb {
    /// Where the app's emails land (`ETRACK_MAIL=file:...`).
    pub fn mail_dir(&self) -> PathBuf {
        self.dir
            .as_ref()
            .expect("every test database has a folder")
            .join("mail")
    }

    /// This PostgreSQL database reached over the server's Unix socket instead of TCP, where the
    /// server is on this machine and has its socket in `/var/run/postgresql` (or
    /// `ETRACK_TEST_POSTGRES_SOCKET_DIR`); `None` otherwise.
    pub fn over_unix_socket(&self) -> Option<DatabaseUrl> {
        let DatabaseUrl::Postgres(url) = &self.url else {
            return None;
        };
        let dir = std::env::var("ETRACK_TEST_POSTGRES_SOCKET_DIR")
            .unwrap_or_else(|_| "/var/run/postgresql".to_owned());
        let authority = url.split_once("://")?.1.split(['/', '?']).next()?;
        let host_port = authority.rsplit_once('@').map_or(authority, |(_, at)| at);
        let (host, port) = host_port.rsplit_once(':').unwrap_or((host_port, "5432"));
        if !matches!(host, "127.0.0.1" | "localhost") {
            return None;
        }
        if !std::path::Path::new(&dir)
            .join(format!(".s.PGSQL.{port}"))
            .exists()
        {
            return None;
        }
        // libpq takes `host` from the query over the address's: a directory means its socket.
        Some(DatabaseUrl::Postgres(with_parameter(
            url,
            &format!("host={dir}"),
        )))
    }

    /// The connections open to this PostgreSQL database: (over a Unix socket, over TCP).
    pub fn connections_by_way(&self) -> (i64, i64) {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct Ways {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            socket: i64,
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            tcp: i64,
        }
        let admin = self.admin_url.as_ref().expect("a PostgreSQL database");
        let mut conn = diesel::PgConnection::establish(admin).unwrap();
        let ways = diesel::sql_query(
            "SELECT count(*) FILTER (WHERE client_addr IS NULL) AS socket, \
             count(*) FILTER (WHERE client_addr IS NOT NULL) AS tcp \
             FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'",
        )
        .bind::<diesel::sql_types::Text, _>(&self.name)
        .get_result::<Ways>(&mut conn)
        .unwrap();
        (ways.socket, ways.tcp)
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some(admin_url) = &self.admin_url
            && let Ok(mut admin) = diesel::PgConnection::establish(admin_url)
        {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
        if let Some(dir) = &self.dir {
            let _ = std::fs::remove_dir_all(dir);
        }
    }
}

pub fn test_settings(url: DatabaseUrl, mail_dir: &std::path::Path) -> Settings {
    let mut settings = Settings::new(url, Secret::new(JWT_SECRET));
    settings.mail = format!("file:{}", mail_dir.display());
    settings.outbox_interval = Duration::from_millis(200);
    settings.bind = "127.0.0.1:0".to_owned();
    settings.workers = Some(2);
    settings.db_pool_size = 6;
    settings.admin = Some(AdminBootstrap {
        email: ADMIN_EMAIL.to_owned(),
        password: Secret::new(PASSWORD),
    });
    settings
}

pub struct TestApp {
    pub base: String,
    pub backend: Backend,
    pub client: awc::Client,
    /// Dropped with the app, removing the database (`None` for a server this app does not own).
    _db: Option<TestDb>,
    handle: Option<actix_web::dev::ServerHandle>,
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(handle) = &self.handle {
            // Stop accepting at once; the database is dropped (with FORCE) right after.
            drop(handle.stop(false));
        }
    }
}

impl TestApp {
    /// The database this app serves, where it owns one.
    pub fn database_url(&self) -> Option<&DatabaseUrl> {
        self._db.as_ref().map(|db| &db.url)
    }

    /// The emails this app wrote, as (file name, contents).
    pub fn mails(&self) -> Vec<String> {
        let dir = self
            ._db
            .as_ref()
            .expect("an app that owns its database")
            .mail_dir();
        let mut mails: Vec<String> = std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                    .collect()
            })
            .unwrap_or_default();
        mails.sort();
        mails
    }

    /// The database this app serves (for checks behind the API's back).
    pub fn database(&self) -> &DatabaseUrl {
        &self
            ._db
            .as_ref()
            .expect("an app that owns its database")
            .url
    }

    /// A client of a server running elsewhere (another process), at `base`.
    pub fn remote(base: &str, backend: Backend) -> TestApp {
        TestApp {
            base: base.to_owned(),
            backend,
            client: awc::Client::builder()
                .timeout(Duration::from_secs(60))
                .finish(),
            _db: None,
            handle: None,
        }
    }
}

pub async fn spawn_app(backend: Backend) -> Option<TestApp> {
    spawn_app_with(backend, |_| {}).await
}

/// Starts the app with settings adjusted by `tune`.
pub async fn spawn_app_with(backend: Backend, tune: impl FnOnce(&mut Settings)) -> Option<TestApp> {
    let db = TestDb::create(backend)?;
    let mut settings = test_settings(db.url.clone(), &db.mail_dir());
    tune(&mut settings);
    let app = Application::build(settings).expect("the application starts");
    let base = format!("http://127.0.0.1:{}", app.port());
    let server = app.into_server();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(60))
        .finish();
    Some(TestApp {
        base,
        backend,
        client,
        _db: Some(db),
        handle: Some(handle),
    })
}

/// What a test needs of a response.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HeaderMap,
    pub body: Value,
    pub text: String,
    /// The body as it came, before any reading as text.
    pub bytes: Vec<u8>,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    }

    /// The `code` of a problem document, checking that it is one.
    pub fn problem_code(&self) -> &str {
        assert_eq!(
            self.header("content-type").as_deref(),
            Some("application/problem+json"),
            "{self:?}"
        );
        assert_eq!(self.body["status"], self.status, "{self:?}");
        self.body["code"].as_str().unwrap_or("")
    }

    /// Asserts a problem with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "{self:?}");
        assert_eq!(self.problem_code(), code, "{self:?}");
    }

    #[track_caller]
    pub fn assert_status(&self, status: u16) -> &Value {
        assert_eq!(self.status, status, "{self:?}");
        &self.body
    }

    pub fn etag(&self) -> String {
        self.header("etag").expect("an ETag")
    }
}

/// How a request authenticates.
#[derive(Clone, Debug)]
pub enum Auth {
    None,
    Bearer(String),
    ApiKey(String),
    Raw(&'static str, String),
}

impl From<&Session> for Auth {
    fn from(s: &Session) -> Auth {
        Auth::Bearer(s.access_token.clone())
    }
}

/// A logged-in user.
#[derive(Clone, Debug)]
pub struct Session {
    pub email: String,
    pub access_token: String,
    pub refresh_token: String,
    pub user_id: String,
    pub organization_id: String,
}

pub struct Request<'a> {
    app: &'a TestApp,
    method: awc::http::Method,
    path: String,
    auth: Auth,
    headers: Vec<(String, String)>,
}

impl<'a> Request<'a> {
    pub fn auth(mut self, auth: impl Into<AuthArg>) -> Self {
        self.auth = auth.into().0;
        self
    }

    pub fn header(mut self, name: &str, value: impl Into<String>) -> Self {
        self.headers.push((name.to_owned(), value.into()));
        self
    }

    fn build(&self) -> awc::ClientRequest {
        let mut req = self.app.client.request(
            self.method.clone(),
            format!("{}{}", self.app.base, self.path),
        );
        match &self.auth {
            Auth::None => {}
            Auth::Bearer(t) => req = req.insert_header(("Authorization", format!("Bearer {t}"))),
            Auth::ApiKey(k) => req = req.insert_header(("X-Api-Key", k.clone())),
            Auth::Raw(name, value) => req = req.insert_header((*name, value.clone())),
        }
        for (name, value) in &self.headers {
            req = req.insert_header((name.as_str(), value.as_str()));
        }
        req
    }

    pub async fn send(self) -> Reply {
        read(self.build().send().await.expect("the server answers")).await
    }

    pub async fn json(self, body: Value) -> Reply {
        read(
            self.build()
                .send_json(&body)
                .await
                .expect("the server answers"),
        )
        .await
    }

    /// Sends the bytes as they are, with this content type (if any).
    pub async fn raw(self, content_type: Option<&str>, body: impl Into<Vec<u8>>) -> Reply {
        let mut req = self.build();
        if let Some(ct) = content_type {
            req = req.insert_header(("Content-Type", ct));
        }
        read(
            req.send_body(body.into())
                .await
                .expect("the server answers"),
        )
        .await
    }
}

pub struct AuthArg(Auth);
impl From<&Session> for AuthArg {
    fn from(s: &Session) -> AuthArg {
        AuthArg(Auth::from(s))
    }
}
impl From<Auth> for AuthArg {
    fn from(a: Auth) -> AuthArg {
        AuthArg(a)
    }
}

async fn read<S>(mut res: awc::ClientResponse<S>) -> Reply
where
    S: futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>> + Unpin,
{
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let bytes = res
        .body()
        .limit(64 * 1024 * 1024)
        .await
        .expect("a readable body");
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let body = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
    Reply {
        status,
        headers,
        body,
        text,
        bytes: bytes.to_vec(),
    }
}

impl TestApp {
    pub fn request(&self, method: awc::http::Method, path: &str) -> Request<'_> {
        Request {
            app: self,
            method,
            path: path.to_owned(),
            auth: Auth::None,
            headers: Vec::new(),
        }
    }
    pub fn get(&self, path: &str) -> Request<'_> {
        self.request(awc::http::Method::GET, path)
    }
    pub fn post(&self, path: &str) -> Request<'_> {
        self.request(awc::http::Method::POST, path)
    }
    pub fn put(&self, path: &str) -> Request<'_> {
        self.request(awc::http::Method::PUT, path)
    }
    pub fn patch(&self, path: &str) -> Request<'_> {
        self.request(awc::http::Method::PATCH, path)
    }
    pub fn delete(&self, path: &str) -> Request<'_> {
        self.request(awc::http::Method::DELETE, path)
    }

    pub async fn try_login(&self, email: &str, password: &str) -> Reply {
        self.post("/api/v1/auth/login")
            .json(json!({"email": email, "password": password}))
            .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Session {
        let reply = self.try_login(email, password).await;
        assert_eq!(reply.status, 200, "login of {email}: {reply:?}");
        let access_token = reply.body["access_token"].as_str().unwrap().to_owned();
        let me = self
            .get("/api/v1/me")
            .auth(Auth::Bearer(access_token.clone()))
            .send()
            .await;
        assert_eq!(me.status, 200, "{me:?}");
        Session {
            email: email.to_owned(),
            access_token,
            refresh_token: reply.body["refresh_token"].as_str().unwrap().to_owned(),
            user_id: me.body["user"]["id"].as_str().unwrap().to_owned(),
            organization_id: me.body["organization"]["id"].as_str().unwrap().to_owned(),
        }
    }

    /// The ministry admin created from the bootstrap settings.
    pub async fn ministry_admin(&self) -> Session {
        self.login(ADMIN_EMAIL, PASSWORD).await
    }

    /// Creates an organisation as the ministry admin; returns its id.
    pub async fn create_org(&self, ministry: &Session, body: Value) -> String {
        let reply = self
            .post("/api/v1/organizations")
            .auth(ministry)
            .json(body)
            .await;
        assert_eq!(reply.status, 201, "{reply:?}");
        reply.body["id"].as_str().unwrap().to_owned()
    }

    /// Creates a user in `org` (as `by`) and logs it in.
    pub async fn user_in(&self, by: &Session, org: &str, email: &str, role: &str) -> Session {
        let reply = self
            .post(&format!("/api/v1/organizations/{org}/users"))
            .auth(by)
            .json(json!({"email": email, "full_name": "Test User", "role": role, "password": PASSWORD}))
            .await;
        assert_eq!(reply.status, 201, "{reply:?}");
        self.login(email, PASSWORD).await
    }

    /// A fresh organisation of `kind` with an admin, logged in.
    pub async fn org_admin(
        &self,
        ministry: &Session,
        kind: &str,
        country: Option<&str>,
        parent: Option<&str>,
    ) -> Session {
        let tag = uuid::Uuid::new_v4().simple().to_string();
        let mut body = json!({"kind": kind, "name": format!("{kind} {tag}"), "name_ar": format!("منظمة {tag}")});
        if let Some(c) = country {
            body["country"] = c.into();
        }
        if let Some(p) = parent {
            body["parent_id"] = p.into();
        }
        let org = self.create_org(ministry, body).await;
        self.user_in(ministry, &org, &format!("admin-{tag}@{kind}.test"), "admin")
            .await
    }
}
