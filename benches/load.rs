//! The deadline-day load benchmark: a seeded season, a real server process on the loopback and a
//! mix of what users do on the last day, with two references measured in the same run so that the
//! results are ratios that hold on a noisy machine.
//!
//!   cargo bench --bench load -- [--backend sqlite|postgres] [--scale small|season]
//!                               [--seconds 20] [--concurrency 32]
//!                               [--baseline PATH/TO/OLD/etrack [--rounds 3] [--baseline-via URL]
//!                                [--baseline-env NAME=VALUE ...]]
//!                               [--without-money]
//!
//! With `--baseline`, the run compares two builds instead: on one seeded database, the mixed load,
//! the scoped lists (plain, then asking for gzip) and the contended submissions (on days of their
//! own for each side and round) run against this build's server and the baseline binary's in turn
//! (new, old, new, old ...; one server at a time), and the figures of each side are summed. Before
//! the first round, the mix runs unmeasured until the popular buildings are full, so that both
//! sides meet the same work. `--baseline-via` has the baseline's server reach the same PostgreSQL
//! server another way (a URL of its `postgres` database, e.g. over its Unix socket:
//! `postgres://postgres@%2Fvar%2Frun%2Fpostgresql/postgres`), to compare two ways of connecting
//! one build (this build's binary given as the baseline); `--baseline-env` sets the baseline's
//! server's environment (e.g. `ETRACK_DB_POOL_SIZE=8`), to compare two settings.
//!
//! Phases: seed (`etrack seed`), sign in, the season's money (payment schedules with a guarantee,
//! every client's wallet funded by one bank statement; left out with `--without-money`), the mixed
//! load (lists, reads, submissions and accepts racing for the popular buildings, reviews,
//! readiness views, logins at a steady rate), contended submissions on one building, the approval
//! of every contract they held all at once (the ledger's hot path), 5 MB document uploads (one at a
//! time, then eight at once, with the server's memory), scoped lists alone, then the references: a
//! minimal actix-web endpoint that only verifies the token (its own process), and on PostgreSQL the same SQL
//! statements as a scoped list through pgbench. Ends with `etrack check` (nothing overbooked).
//! Figures and how to read them: docs/performance.md.

use std::cell::RefCell;
use std::collections::{BTreeMap, VecDeque};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::rc::Rc;
use std::time::{Duration, Instant};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const SECRET: &str = "bench-secret-bench-secret-0123456789abcdef";
const PASSWORD: &str = "seed-pass-1447";
const METRICS_TOKEN: &str = "bench-metrics-token-0123456789";

fn etrack() -> Command {
    Command::new(env!("CARGO_BIN_EXE_etrack"))
}

struct Args {
    backend: String,
    scale: String,
    seconds: u64,
    concurrency: usize,
    baseline: Option<String>,
    rounds: usize,
    /// The baseline's way to the PostgreSQL server, when it differs from this build's.
    baseline_via: Option<String>,
    /// The baseline's server's environment, where it differs from this build's.
    baseline_env: Vec<(String, String)>,
    /// Run with no payment schedule, so that no money moves (to weigh the ledger's part).
    without_money: bool,
}

impl Args {
    fn parse() -> Args {
        let mut args = Args {
            backend: "sqlite".into(),
            scale: "small".into(),
            seconds: 20,
            concurrency: 32,
            baseline: None,
            rounds: 3,
            baseline_via: None,
            baseline_env: Vec::new(),
            without_money: false,
        };
        let given: Vec<String> = std::env::args().skip(1).collect();
        let mut i = 0;
        while i < given.len() {
            let value = given.get(i + 1).cloned().unwrap_or_default();
            match given[i].as_str() {
                "--backend" => args.backend = value,
                "--scale" => args.scale = value,
                "--seconds" => args.seconds = value.parse().expect("--seconds N"),
                "--concurrency" => args.concurrency = value.parse().expect("--concurrency N"),
                "--baseline" => args.baseline = Some(value),
                "--rounds" => args.rounds = value.parse().expect("--rounds N"),
                "--baseline-via" => args.baseline_via = Some(value),
                "--baseline-env" => {
                    let (name, value) = value.split_once('=').expect("--baseline-env NAME=VALUE");
                    args.baseline_env.push((name.into(), value.into()));
                }
                "--without-money" => {
                    args.without_money = true;
                    i += 1;
                    continue;
                }
                _ => {
                    i += 1;
                    continue;
                }
            }
            i += 2;
        }
        args
    }
}

/// A database made for the run and dropped after it.
struct BenchDb {
    url: String,
    admin: Option<(String, String)>,
    dir: std::path::PathBuf,
}

impl BenchDb {
    fn create(backend: &str) -> BenchDb {
        let dir = std::env::temp_dir().join(format!("etrack-load-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        if backend == "postgres" {
            let admin = std::env::var("ETRACK_BENCH_ADMIN_URL")
                .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
            let name = format!("etrack_load_{}", std::process::id());
            psql(&admin, &format!("CREATE DATABASE {name}"));
            let url = database_at(&admin, &name);
            BenchDb {
                url,
                admin: Some((admin, name)),
                dir,
            }
        } else {
            BenchDb {
                url: dir.join("load.db").to_string_lossy().into_owned(),
                admin: None,
                dir,
            }
        }
    }
}

/// The URL of database `name` on the server that `admin` (a URL of one of its databases) reaches.
fn database_at(admin: &str, name: &str) -> String {
    format!("{}/{name}", admin.rsplit_once('/').unwrap().0)
}

impl BenchDb {
    /// The run's database reached through `via`, a URL of another database on the same server.
    fn url_via(&self, via: &str) -> String {
        let (_, name) = self
            .admin
            .as_ref()
            .expect("--baseline-via needs --backend postgres");
        database_at(via, name)
    }
}

impl Drop for BenchDb {
    fn drop(&mut self) {
        if let Some((admin, name)) = &self.admin {
            psql(
                admin,
                &format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            );
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn psql(url: &str, sql: &str) -> String {
    let out = Command::new("psql")
        .args(["-At", "-q", url, "-c", sql])
        .output()
        .expect("psql runs");
    assert!(out.status.success(), "{sql}: {out:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A server process on a free loopback port.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    fn start(command: &mut Command) -> Server {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let stderr = child.stderr.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Some(rest) = line.split("serving on port ").nth(1) {
                    let port: u16 = rest.split(' ').next().unwrap().parse().unwrap();
                    let _ = tx.send(port);
                } else if line.contains("ERROR") {
                    eprintln!("server: {line}");
                }
            }
        });
        let port = rx
            .recv_timeout(Duration::from_secs(120))
            .expect("the server reports its port");
        Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        }
    }

    /// Peak and current resident memory, in MiB.
    fn memory(&self) -> (f64, f64) {
        let status = std::fs::read_to_string(format!("/proc/{}/status", self.child.id()))
            .unwrap_or_default();
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
                .map_or(0.0, |kb| kb / 1024.0)
        };
        (field("VmHWM:"), field("VmRSS:"))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status();
        let _ = self.child.wait();
    }
}

/// Where the machine's CPU time went during a phase: the server, this load generator, and the
/// rest (the database and the kernel's own work), per request.
struct CpuMeter {
    server_pid: u32,
    start: [f64; 3],
    since: Instant,
}

impl CpuMeter {
    /// Seconds of CPU: the whole machine busy, the server, this process.
    fn read(server_pid: u32) -> [f64; 3] {
        let ticks = 100.0; // USER_HZ on Linux
        let machine = std::fs::read_to_string("/proc/stat")
            .ok()
            .and_then(|s| {
                let line = s.lines().next()?.to_owned();
                let v: Vec<f64> = line
                    .split_whitespace()
                    .skip(1)
                    .filter_map(|x| x.parse().ok())
                    .collect();
                // user nice system idle iowait irq softirq steal: busy = all but idle and iowait
                Some(v.iter().take(8).sum::<f64>() - v.get(3)? - v.get(4)?)
            })
            .unwrap_or(0.0);
        let process = |pid: String| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|s| {
                    let after = s.rsplit_once(')')?.1.to_owned();
                    let f: Vec<&str> = after.split_whitespace().collect();
                    Some(f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?)
                })
                .unwrap_or(0.0)
        };
        [
            machine / ticks,
            process(server_pid.to_string()) / ticks,
            process("self".into()) / ticks,
        ]
    }

    fn start(server: &Server) -> CpuMeter {
        let server_pid = server.child.id();
        CpuMeter {
            server_pid,
            start: CpuMeter::read(server_pid),
            since: Instant::now(),
        }
    }

    /// CPU seconds since the start: the whole machine, the server, this process.
    fn used(&self) -> [f64; 3] {
        let now = CpuMeter::read(self.server_pid);
        [0, 1, 2].map(|i| now[i] - self.start[i])
    }

    fn report(&self, requests: usize) {
        let [machine, server, client] = self.used();
        let per = |s: f64| s * 1000.0 / requests.max(1) as f64;
        println!(
            "  CPU per request: {:.2} ms server, {:.2} ms load generator, {:.2} ms the rest \
             (database, kernel); {:.1} of {} cores busy",
            per(server),
            per(client),
            per(machine - server - client),
            machine / self.since.elapsed().as_secs_f64(),
            std::thread::available_parallelism().map_or(1, |n| n.get())
        );
    }
}

/// Latencies and outcomes per endpoint.
#[derive(Default)]
struct Stats {
    by_endpoint: BTreeMap<&'static str, Endpoint>,
}

#[derive(Default)]
struct Endpoint {
    micros: Vec<u64>,
    errors: usize,
    refused: usize,
}

impl Stats {
    fn record(&mut self, name: &'static str, took: Duration, outcome: Outcome) {
        let e = self.by_endpoint.entry(name).or_default();
        e.micros.push(took.as_micros() as u64);
        match outcome {
            Outcome::Ok => {}
            Outcome::Refused => e.refused += 1,
            Outcome::Error => e.errors += 1,
        }
    }

    fn total(&self) -> (usize, usize) {
        self.by_endpoint
            .values()
            .fold((0, 0), |(n, e), v| (n + v.micros.len(), e + v.errors))
    }

    fn report(&mut self, seconds: f64) {
        println!(
            "  {:<24} {:>8} {:>9} {:>8} {:>8} {:>8} {:>8} {:>7}",
            "endpoint", "requests", "req/s", "p50 ms", "p95 ms", "p99 ms", "refused", "errors"
        );
        let mut all: Vec<u64> = Vec::new();
        for (name, e) in self.by_endpoint.iter_mut() {
            e.micros.sort_unstable();
            all.extend(&e.micros);
            println!(
                "  {:<24} {:>8} {:>9.1} {:>8.1} {:>8.1} {:>8.1} {:>8} {:>7}",
                name,
                e.micros.len(),
                e.micros.len() as f64 / seconds,
                pct(&e.micros, 0.50),
                pct(&e.micros, 0.95),
                pct(&e.micros, 0.99),
                e.refused,
                e.errors
            );
        }
        all.sort_unstable();
        let (n, errors) = self.total();
        println!(
            "  {:<24} {:>8} {:>9.1} {:>8.1} {:>8.1} {:>8.1} {:>8} {:>7}",
            "all",
            n,
            n as f64 / seconds,
            pct(&all, 0.50),
            pct(&all, 0.95),
            pct(&all, 0.99),
            "",
            errors
        );
    }
}

fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let i = ((sorted.len() as f64 * p).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i] as f64 / 1000.0
}

#[derive(Clone, Copy)]
enum Outcome {
    Ok,
    Refused,
    Error,
}

#[derive(Clone)]
struct Who {
    token: String,
    org: String,
    /// The `Cookie` header of a console session, for those who also use the console.
    console: Option<String>,
}

struct Http {
    client: awc::Client,
    /// A browser's view of the console: redirects are answers, not followed.
    console: awc::Client,
    base: String,
    /// The compression it asks for (`Accept-Encoding`), if any; answers then are not read as
    /// JSON.
    encoding: Option<&'static str>,
}

impl Http {
    fn new(base: &str) -> Http {
        Http {
            client: awc::Client::builder()
                .timeout(Duration::from_secs(30))
                .connector(awc::Connector::new().limit(1000))
                .finish(),
            console: awc::Client::builder()
                .timeout(Duration::from_secs(30))
                .disable_redirects()
                .connector(awc::Connector::new().limit(1000))
                .finish(),
            base: base.to_owned(),
            encoding: None,
        }
    }

    /// A client that asks for answers compressed with `encoding` (`gzip`, `br`).
    fn asking(base: &str, encoding: &'static str) -> Http {
        Http {
            encoding: Some(encoding),
            ..Http::new(base)
        }
    }

    /// The size of one answer as it crosses the wire, and its `Content-Encoding`.
    async fn wire_size(&self, path: &str, token: &str) -> (usize, String) {
        let mut req = self
            .client
            .get(format!("{}{path}", self.base))
            .bearer_auth(token);
        if let Some(encoding) = self.encoding {
            req = req.insert_header(("Accept-Encoding", encoding));
        }
        let mut res = req.send().await.expect("answer");
        let encoding = res
            .headers()
            .get("content-encoding")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("identity")
            .to_owned();
        let bytes = res.body().limit(64 * 1024 * 1024).await.unwrap_or_default();
        (bytes.len(), encoding)
    }

    /// A request and its answer's status, body and time.
    async fn exchange(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, actix_web::web::Bytes, Duration) {
        let started = Instant::now();
        let url = format!("{}{path}", self.base);
        let mut req = match method {
            "POST" => self.client.post(url),
            "PUT" => self.client.put(url),
            _ => self.client.get(url),
        };
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(encoding) = self.encoding {
            req = req.insert_header(("Accept-Encoding", encoding));
        }
        let sent = match body {
            Some(b) => req.send_json(b).await,
            None => req.send().await,
        };
        let Ok(mut res) = sent else {
            return (0, Default::default(), started.elapsed());
        };
        let status = res.status().as_u16();
        let bytes = res.body().limit(64 * 1024 * 1024).await.unwrap_or_default();
        (status, bytes, started.elapsed())
    }

    /// A request whose answer is read as JSON.
    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> (u16, Value, Duration) {
        let (status, bytes, took) = self.exchange(method, path, token, body).await;
        (
            status,
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
            took,
        )
    }

    /// A request whose answer is only counted: its body is read whole, as a client reads it, but
    /// not parsed, so that the load generator spends the shared cores on sending, not on building
    /// JSON trees nobody looks at (a page of 50 contracts is 38 KB, 1,500 fields).
    async fn count(&self, method: &str, path: &str, token: &str) -> (u16, Duration) {
        let (status, _, took) = self.exchange(method, path, Some(token), None).await;
        (status, took)
    }

    /// A POST of a body of another media type than JSON (a CSV upload).
    async fn raw_post(
        &self,
        path: &str,
        token: &str,
        media: &str,
        body: impl actix_web::body::MessageBody + 'static,
    ) -> (u16, Value) {
        let sent = self
            .client
            .post(format!("{}{path}", self.base))
            .bearer_auth(token)
            .insert_header(("Content-Type", media))
            .send_body(body)
            .await;
        let Ok(mut res) = sent else {
            return (0, Value::Null);
        };
        let bytes = res.body().limit(64 * 1024 * 1024).await.unwrap_or_default();
        (
            res.status().as_u16(),
            serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        )
    }

    async fn draft(&self, who: &Who, body: &Value) -> (u16, Value, Duration) {
        self.call("POST", "/api/v1/contracts", Some(&who.token), Some(body))
            .await
    }

    async fn login(&self, email: &str) -> Who {
        let (status, body, _) = self
            .call(
                "POST",
                "/api/v1/auth/login",
                None,
                Some(&json!({"email": email, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, 200, "login of {email}: {body}");
        let token = body["access_token"].as_str().unwrap().to_owned();
        let (_, me, _) = self.call("GET", "/api/v1/me", Some(&token), None).await;
        Who {
            token,
            org: me["organization"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            console: None,
        }
    }

    /// Signs in to the console as a browser does (the sign-in page sets the form cookie and
    /// carries the form token), and returns the `Cookie` header of the session.
    async fn console_sign_in(&self, email: &str) -> String {
        let cookie_of = |res: &awc::ClientResponse<_>, name: &str| {
            res.headers()
                .get_all("set-cookie")
                .filter_map(|v| v.to_str().ok())
                .find_map(|c| c.strip_prefix(&format!("{name}=")))
                .map(|c| c.split(';').next().unwrap_or_default().to_owned())
                .unwrap_or_default()
        };
        let mut form = self
            .console
            .get(format!("{}/sign-in", self.base))
            .send()
            .await
            .unwrap();
        let form_cookie = cookie_of(&form, "etrack_form");
        let body = String::from_utf8_lossy(&form.body().await.unwrap_or_default()).into_owned();
        let marker = "name=\"csrf\" value=\"";
        let token = body
            .split_once(marker)
            .and_then(|(_, rest)| rest.split('"').next())
            .unwrap_or_default()
            .to_owned();
        let signed = self
            .console
            .post(format!("{}/sign-in", self.base))
            .insert_header(("cookie", format!("etrack_form={form_cookie}")))
            .send_form(&[("email", email), ("password", PASSWORD), ("csrf", &token)])
            .await
            .unwrap();
        let session = cookie_of(&signed, "etrack_session");
        assert!(
            !session.is_empty(),
            "console sign-in of {email}: {}",
            signed.status()
        );
        format!("etrack_session={session}")
    }

    /// A console page, as a browser with its session cookie asks for it.
    async fn page(&self, path: &str, cookie: &str) -> (u16, Duration) {
        let started = Instant::now();
        let sent = self
            .console
            .get(format!("{}{path}", self.base))
            .insert_header(("cookie", cookie))
            .send()
            .await;
        let Ok(mut res) = sent else {
            return (0, started.elapsed());
        };
        let status = res.status().as_u16();
        let _ = res.body().limit(16 * 1024 * 1024).await;
        (status, started.elapsed())
    }
}

struct Seeded {
    season: String,
    popular: Vec<String>,
    offices: Vec<String>,
}

fn seed(db: &BenchDb, scale: &str) -> Seeded {
    let started = Instant::now();
    let out = etrack()
        .args(["seed", "--scale", scale])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    println!("{}", text.lines().next().unwrap_or_default());
    println!("  (seed command: {:.1} s)", started.elapsed().as_secs_f64());
    let field = |prefix: &str| {
        text.lines()
            .find_map(|l| l.strip_prefix(prefix))
            .unwrap_or_default()
            .trim()
            .to_owned()
    };
    let offices = etrack::domain::country::assigned()
        .filter(|c| *c != "SA")
        .take(if scale == "season" { 80 } else { 40 })
        .map(|c| c.to_lowercase())
        .collect();
    Seeded {
        season: field("season:"),
        popular: field("popular buildings (capacity 300):")
            .split(' ')
            .map(str::to_owned)
            .collect(),
        offices,
    }
}

struct Actors {
    ministry: Who,
    clients: Vec<Who>,
    offices: Vec<Who>,
    providers: Vec<Who>,
}

async fn sign_in(http: &Http, seeded: &Seeded) -> Actors {
    let ministry = http.login("ministry@seed.e-track.sa").await;
    let mut offices = Vec::new();
    for c in &seeded.offices {
        offices.push(http.login(&format!("office-{c}@seed.e-track.sa")).await);
    }
    let mut clients = offices.clone();
    for n in 0..120 {
        clients.push(http.login(&format!("agency-{n}@seed.e-track.sa")).await);
    }
    // The first clients also use the console (the ones whose contracts the mix reads).
    for (i, client) in clients.iter_mut().enumerate().take(CONSOLE_CLIENTS) {
        let email = match seeded.offices.get(i) {
            Some(c) => format!("office-{c}@seed.e-track.sa"),
            None => format!("agency-{}@seed.e-track.sa", i - seeded.offices.len()),
        };
        client.console = Some(http.console_sign_in(&email).await);
    }
    let mut providers = Vec::new();
    for n in 0..etrack::storage::seed::POPULAR {
        providers.push(http.login(&format!("provider-{n}@seed.e-track.sa")).await);
    }
    Actors {
        ministry,
        clients,
        offices,
        providers,
    }
}

/// How many clients use the console beside the API (the first ones, whose contracts are read).
const CONSOLE_CLIENTS: usize = 60;

/// Contracts each client can read: (client index, contract id).
async fn readable(http: &Http, actors: &Actors) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    for (i, c) in actors.clients.iter().enumerate().take(CONSOLE_CLIENTS) {
        let (_, page, _) = http
            .call("GET", "/api/v1/contracts?limit=20", Some(&c.token), None)
            .await;
        for item in page["items"].as_array().into_iter().flatten() {
            out.push((i, item["id"].as_str().unwrap_or_default().to_owned()));
        }
    }
    out
}

struct Shared {
    stats: RefCell<Stats>,
    to_accept: RefCell<VecDeque<(usize, String)>>,
    to_review: RefCell<VecDeque<String>>,
    stop: std::cell::Cell<bool>,
}

fn booking(season: &str, facility: &str, rng: &mut StdRng, beds: i64) -> Value {
    let day = 1 + rng.random_range(0..14);
    json!({"season_id": season, "type": "housing", "facility_id": facility,
           "starts_on": format!("2027-05-{day:02}"), "ends_on": format!("2027-05-{:02}", day + 3),
           "beds": beds, "unit_price": "300.00", "currency": "SAR"})
}

fn outcome(status: u16, refusable: bool) -> Outcome {
    match status {
        200..=299 => Outcome::Ok,
        409 if refusable => Outcome::Refused,
        _ => Outcome::Error,
    }
}

/// One user of the mixed load, until told to stop.
async fn mixed_worker(
    n: usize,
    http: Rc<Http>,
    actors: Rc<Actors>,
    seeded: Rc<Seeded>,
    reads: Rc<Vec<(usize, String)>>,
    shared: Rc<Shared>,
) {
    let mut rng = StdRng::seed_from_u64(n as u64);
    while !shared.stop.get() {
        // 0..100 the API's mix; 100..110 the same people's console pages of the same data.
        let roll = rng.random_range(0..110);
        let client_i = rng.random_range(0..actors.clients.len());
        let client = &actors.clients[client_i];
        if roll >= 100 && !reads.is_empty() {
            let (i, id) = &reads[rng.random_range(0..reads.len())];
            let cookie = actors.clients[*i].console.as_deref().unwrap_or_default();
            let (path, name) = if roll < 105 {
                ("/contracts".to_owned(), "console: contracts page")
            } else {
                (format!("/contracts/{id}"), "console: contract page")
            };
            let (s, t) = http.page(&path, cookie).await;
            shared.stats.borrow_mut().record(name, t, outcome(s, false));
        } else if roll < 45 {
            let (s, t) = http
                .count("GET", "/api/v1/contracts?limit=50", &client.token)
                .await;
            shared
                .stats
                .borrow_mut()
                .record("list contracts", t, outcome(s, false));
        } else if roll < 70 && !reads.is_empty() {
            let (i, id) = &reads[rng.random_range(0..reads.len())];
            let path = format!("/api/v1/contracts/{id}");
            let (s, t) = http.count("GET", &path, &actors.clients[*i].token).await;
            shared
                .stats
                .borrow_mut()
                .record("read contract", t, outcome(s, false));
        } else if roll < 78 {
            let f = rng.random_range(0..seeded.popular.len());
            let body = booking(&seeded.season, &seeded.popular[f], &mut rng, 5);
            let (s, draft, t) = http.draft(client, &body).await;
            shared
                .stats
                .borrow_mut()
                .record("draft contract", t, outcome(s, false));
            if s == 201 {
                let id = draft["id"].as_str().unwrap_or_default().to_owned();
                let path = format!("/api/v1/contracts/{id}/submit");
                let (s, t) = http.count("POST", &path, &client.token).await;
                shared
                    .stats
                    .borrow_mut()
                    .record("submit (popular)", t, outcome(s, true));
                if s == 200 {
                    shared.to_accept.borrow_mut().push_back((f, id));
                }
            }
        } else if roll < 84 {
            let next = shared.to_accept.borrow_mut().pop_front();
            if let Some((f, id)) = next {
                let path = format!("/api/v1/contracts/{id}/accept");
                let provider = &actors.providers[f % actors.providers.len()];
                let (s, t) = http.count("POST", &path, &provider.token).await;
                shared
                    .stats
                    .borrow_mut()
                    .record("accept", t, outcome(s, false));
                if s == 200 {
                    shared.to_review.borrow_mut().push_back(id);
                }
            }
        } else if roll < 90 {
            let next = shared.to_review.borrow_mut().pop_front();
            if let Some(id) = next {
                let path = format!("/api/v1/contracts/{id}/approve");
                let (s, t) = http.count("POST", &path, &actors.ministry.token).await;
                shared
                    .stats
                    .borrow_mut()
                    .record("approve", t, outcome(s, false));
            }
        } else {
            let path = format!("/api/v1/seasons/{}/readiness/{}", seeded.season, client.org);
            let (s, t) = http.count("GET", &path, &client.token).await;
            shared
                .stats
                .borrow_mut()
                .record("readiness (client)", t, outcome(s, false));
        }
    }
}

/// Logins at a steady rate, and the ministry's all-clients view now and then.
async fn steady(http: Rc<Http>, actors: Rc<Actors>, seeded: Rc<Seeded>, shared: Rc<Shared>) {
    let mut tick = actix_rt::time::interval(Duration::from_millis(200));
    let mut n = 0usize;
    while !shared.stop.get() {
        tick.tick().await;
        n += 1;
        let email = format!("agency-{}@seed.e-track.sa", n % 300);
        let body = json!({"email": email, "password": PASSWORD});
        let (s, _, t) = http
            .exchange("POST", "/api/v1/auth/login", None, Some(&body))
            .await;
        shared
            .stats
            .borrow_mut()
            .record("login (5/s)", t, outcome(s, false));
        if n.is_multiple_of(15) {
            let path = format!("/api/v1/seasons/{}/readiness", seeded.season);
            let (s, t) = http.count("GET", &path, &actors.ministry.token).await;
            shared
                .stats
                .borrow_mut()
                .record("readiness (all)", t, outcome(s, false));
        }
    }
}

async fn timed<F: std::future::Future<Output = ()>>(seconds: u64, shared: &Shared, work: F) -> f64 {
    let started = Instant::now();
    let timer = async {
        actix_rt::time::sleep(Duration::from_secs(seconds)).await;
        shared.stop.set(true);
    };
    futures_util::future::join(work, timer).await;
    started.elapsed().as_secs_f64()
}

fn shared() -> Rc<Shared> {
    Rc::new(Shared {
        stats: RefCell::new(Stats::default()),
        to_accept: RefCell::new(VecDeque::new()),
        to_review: RefCell::new(VecDeque::new()),
        stop: std::cell::Cell::new(false),
    })
}

/// Many clients submit at once for one building; returns (submissions per second, accepted).
async fn contended(
    http: &Http,
    actors: &Actors,
    seeded: &Seeded,
    concurrency: usize,
    first_day: chrono::NaiveDate,
) -> (f64, usize, usize, Vec<String>) {
    let facility = seeded.popular.last().unwrap().clone();
    let mut rng = StdRng::seed_from_u64(7);
    let mut drafts = Vec::new();
    for i in 0..400 {
        let client = &actors.clients[i % actors.clients.len()];
        let mut body = booking(&seeded.season, &facility, &mut rng, 2);
        body["starts_on"] = first_day.to_string().into();
        body["ends_on"] = (first_day + chrono::Days::new(2)).to_string().into();
        let (s, d, _) = http.draft(client, &body).await;
        assert_eq!(s, 201, "{d}");
        drafts.push((client.token.clone(), d["id"].as_str().unwrap().to_owned()));
    }
    let queue = Rc::new(RefCell::new(drafts));
    let won = Rc::new(RefCell::new(Vec::new()));
    let refused = Rc::new(std::cell::Cell::new(0usize));
    let started = Instant::now();
    let workers = (0..concurrency).map(|_| {
        let (queue, won, refused) = (queue.clone(), won.clone(), refused.clone());
        async move {
            loop {
                let next = queue.borrow_mut().pop();
                let Some((token, id)) = next else { break };
                let path = format!("/api/v1/contracts/{id}/submit");
                let (s, body, _) = http.call("POST", &path, Some(&token), None).await;
                match s {
                    200 => won.borrow_mut().push(id),
                    409 => refused.set(refused.get() + 1),
                    _ => panic!("submit answered {s}: {body}"),
                }
            }
        }
    });
    futures_util::future::join_all(workers).await;
    let rate = 400.0 / started.elapsed().as_secs_f64();
    let won = won.take();
    (rate, won.len(), refused.get(), won)
}

/// The season's money: every contract type paid 30% at approval, 40% at service start and 30%
/// after the season, with a 5% guarantee lodged at submission; every signed-in client's wallet
/// funded by one bank statement. Answers how long the statement's import took.
async fn with_money(http: &Http, actors: &Actors, seeded: &Seeded) -> Duration {
    for kind in ["housing", "transport", "catering"] {
        let path = format!("/api/v1/seasons/{}/payment-schedules/{kind}", seeded.season);
        let body = serde_json::json!({"guarantee_percent": 5, "instalments": [
            {"share_percent": 30, "due": "approval"},
            {"share_percent": 40, "due": "service_start"},
            {"share_percent": 30, "due": "season_end"}]});
        let (s, reply, _) = http
            .call("PUT", &path, Some(&actors.ministry.token), Some(&body))
            .await;
        assert_eq!(s, 200, "{reply}");
    }
    let mut statement = String::from("bank_reference,organization_id,amount,currency\n");
    let mut funded = std::collections::BTreeSet::new();
    for c in &actors.clients {
        if funded.insert(c.org.clone()) {
            statement.push_str(&format!("BENCH-{},{},50000000,SAR\n", funded.len(), c.org));
        }
    }
    let path = format!("/api/v1/seasons/{}/transfers/import", seeded.season);
    let started = Instant::now();
    let (s, reply) = http
        .raw_post(&path, &actors.ministry.token, "text/csv", statement)
        .await;
    let took = started.elapsed();
    assert_eq!(s, 200, "{reply}");
    println!(
        "  {} wallets funded by one bank statement in {:.0} ms",
        reply["recorded"].as_array().map_or(0, Vec::len),
        took.as_secs_f64() * 1000.0
    );
    took
}

/// Requests answered and statements sent to the database, per (method, route), as the server's
/// metrics count them since it started.
async fn statement_counts(http: &Http) -> BTreeMap<(String, String), (u64, u64)> {
    let mut counts: BTreeMap<(String, String), (u64, u64)> = BTreeMap::new();
    let Ok(mut res) = http
        .client
        .get(format!("{}/metrics", http.base))
        .bearer_auth(METRICS_TOKEN)
        .send()
        .await
    else {
        return counts;
    };
    let body = res.body().limit(16 * 1024 * 1024).await.unwrap_or_default();
    let label = |line: &str, name: &str| -> Option<String> {
        let at = line.find(&format!("{name}=\""))? + name.len() + 2;
        Some(line[at..].split('"').next()?.to_owned())
    };
    for line in String::from_utf8_lossy(&body).lines() {
        let requests = line.starts_with("etrack_http_requests_total{");
        let statements = line.starts_with("etrack_db_statements_total{");
        if !(requests || statements) {
            continue;
        }
        let (Some(method), Some(route), Some(value)) = (
            label(line, "method"),
            label(line, "route"),
            line.rsplit(' ').next().and_then(|v| v.parse::<u64>().ok()),
        ) else {
            continue;
        };
        let entry = counts.entry((method, route)).or_default();
        if requests {
            entry.0 += value;
        } else {
            entry.1 += value;
        }
    }
    counts
}

/// The statements each route of a phase sent per request: the counts after it less those before.
fn report_statements(
    before: &BTreeMap<(String, String), (u64, u64)>,
    after: &BTreeMap<(String, String), (u64, u64)>,
) {
    println!("  statements per request (each a round trip on PostgreSQL), by route:");
    for (key, (requests, statements)) in after {
        let (r0, s0) = before.get(key).copied().unwrap_or_default();
        let requests = requests - r0;
        if requests == 0 || key.1 == "/metrics" {
            continue;
        }
        println!(
            "    {:>5.1}  {} {} ({requests} requests)",
            (statements - s0) as f64 / requests as f64,
            key.0,
            key.1
        );
    }
}

/// The size of each uploaded document: 5 MB.
const UPLOAD_BYTES: usize = 5_000_000;

/// A `multipart/form-data` upload of a PDF of [`UPLOAD_BYTES`], different for each `n`.
fn upload_body(n: usize) -> Vec<u8> {
    let mut content = format!("%PDF-1.7\n% bench upload {n}\n").into_bytes();
    content.resize(UPLOAD_BYTES - 6, b' ');
    content.extend_from_slice(b"%%EOF\n");
    let mut body = format!(
        "--{UPLOAD_BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nother\r\n\
         --{UPLOAD_BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"scan-{n}.pdf\"\r\n\
         Content-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&content);
    body.extend_from_slice(format!("\r\n--{UPLOAD_BOUNDARY}--\r\n").as_bytes());
    body
}

const UPLOAD_BOUNDARY: &str = "etrack-bench-upload-boundary";

/// 5 MB uploads, each a different PDF attached by the ministry to a different contract: ten one
/// after the other, then eight at once; the server's memory before and after.
async fn uploads(http: &Http, actors: &Actors, reads: &[(usize, String)], server: &Server) {
    let media = format!("multipart/form-data; boundary={UPLOAD_BOUNDARY}");
    let token = actors.ministry.token.as_str();
    let (peak_before, _) = server.memory();
    let one = |n: usize| {
        let path = format!("/api/v1/contracts/{}/documents", reads[n % reads.len()].1);
        let media = media.clone();
        async move {
            let started = Instant::now();
            let (status, _) = http.raw_post(&path, token, &media, upload_body(n)).await;
            assert_eq!(status, 201, "an upload of 5 MB");
            started.elapsed().as_secs_f64() * 1000.0
        }
    };
    let mut single = Vec::new();
    for n in 0..10 {
        single.push(one(n).await);
    }
    single.sort_by(f64::total_cmp);
    let (peak_single, _) = server.memory();
    let started = Instant::now();
    let mut together = futures_util::future::join_all((10..18).map(one)).await;
    let wall = started.elapsed().as_secs_f64() * 1000.0;
    together.sort_by(f64::total_cmp);
    let (peak, now) = server.memory();
    println!(
        "  one at a time: median {:.0} ms (min {:.0}, max {:.0}) over 10; server peak {peak_single:.0} MiB (before {peak_before:.0})",
        single[5], single[0], single[9]
    );
    println!(
        "  eight at once: all in {wall:.0} ms, each median {:.0} ms, max {:.0}; server peak {peak:.0} MiB, now {now:.0} MiB",
        together[4], together[7]
    );
}

/// The ledger's hot path: the contracts the contended phase held, accepted, then approved all at
/// once, each approval committing the contract's value from its client's wallet (under the
/// wallet's lock) and paying its first instalment. Prints approvals/s and their latencies.
async fn approvals_with_money(
    http: &Http,
    actors: &Actors,
    seeded: &Seeded,
    held: Vec<String>,
    concurrency: usize,
) {
    let provider = &actors.providers[(seeded.popular.len() - 1) % actors.providers.len()];
    for id in &held {
        let path = format!("/api/v1/contracts/{id}/accept");
        let (s, reply, _) = http.call("POST", &path, Some(&provider.token), None).await;
        assert_eq!(s, 200, "{reply}");
    }
    let count = held.len();
    let queue = Rc::new(RefCell::new(held));
    let times = Rc::new(RefCell::new(Vec::new()));
    let started = Instant::now();
    let workers = (0..concurrency).map(|_| {
        let (queue, times) = (queue.clone(), times.clone());
        async move {
            loop {
                let next = queue.borrow_mut().pop();
                let Some(id) = next else { break };
                let path = format!("/api/v1/contracts/{id}/approve");
                let (s, body, t) = http
                    .call("POST", &path, Some(&actors.ministry.token), None)
                    .await;
                assert_eq!(s, 200, "approve answered {s}: {body}");
                times.borrow_mut().push(t.as_micros() as u64);
            }
        }
    });
    futures_util::future::join_all(workers).await;
    let seconds = started.elapsed().as_secs_f64();
    let mut times = times.take();
    times.sort_unstable();
    println!(
        "  {count} approvals in {seconds:.2} s: {:.0}/s, p50 {:.1} ms, p99 {:.1} ms",
        count as f64 / seconds,
        pct(&times, 0.50),
        pct(&times, 0.99)
    );
}

/// A server of `binary` on the run's database.
fn serve(binary: Command, db: &BenchDb) -> Server {
    serve_at(binary, db, &db.url)
}

/// A server of `binary` on the run's database, reached by `url`.
fn serve_at(mut binary: Command, db: &BenchDb, url: &str) -> Server {
    let mail = db.dir.join("mail");
    Server::start(
        binary
            .args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", url)
            .env("ETRACK_JWT_SECRET", SECRET)
            .env("ETRACK_METRICS_TOKEN", METRICS_TOKEN)
            .env("ETRACK_MAIL", format!("file:{}", mail.display()))
            .env("RUST_LOG", "warn"),
    )
}

/// The mixed deadline-day load for `args.seconds`; returns how long it ran.
async fn mixed(
    http: &Rc<Http>,
    actors: &Rc<Actors>,
    seeded: &Rc<Seeded>,
    reads: &Rc<Vec<(usize, String)>>,
    shared: &Rc<Shared>,
    args: &Args,
) -> f64 {
    let workers = futures_util::future::join_all((0..args.concurrency).map(|n| {
        mixed_worker(
            n,
            http.clone(),
            actors.clone(),
            seeded.clone(),
            reads.clone(),
            shared.clone(),
        )
    }));
    let steady = steady(http.clone(), actors.clone(), seeded.clone(), shared.clone());
    timed(args.seconds, shared, async {
        futures_util::future::join(workers, steady).await;
    })
    .await
}

/// What one side of a comparison did over its rounds.
#[derive(Default)]
struct Side {
    mixed: Vec<u64>,
    mixed_seconds: f64,
    mixed_errors: usize,
    /// CPU seconds in the mix: the server, and the rest of the machine (database, kernel).
    mixed_cpu: [f64; 2],
    lists: Vec<u64>,
    list_seconds: f64,
    /// The same lists asking for gzip, for as long.
    gzipped: Vec<u64>,
    /// Contended submissions per round: submissions/s, held, refused.
    contended: Vec<(f64, usize, usize)>,
}

fn day(text: &str) -> chrono::NaiveDate {
    text.parse().expect("a date")
}

/// This build against a baseline binary, in alternating rounds on the same database.
fn side_by_side(args: &Args, db: &BenchDb, seeded: Rc<Seeded>, baseline: &str) {
    let names = ["this build", "baseline"];
    let binary = |i: usize| match i {
        0 => etrack(),
        _ => {
            let mut command = Command::new(baseline);
            command.envs(args.baseline_env.iter().map(|(k, v)| (k, v)));
            command
        }
    };
    let urls = [
        db.url.clone(),
        args.baseline_via
            .as_deref()
            .map_or_else(|| db.url.clone(), |via| db.url_via(via)),
    ];
    if urls[0] != urls[1] {
        println!("-- this build on {}, the baseline on {}", urls[0], urls[1]);
    }
    for (name, value) in &args.baseline_env {
        println!("-- the baseline's server with {name}={value}");
    }
    let mut sides = [Side::default(), Side::default()];
    let system = actix_rt::System::new();
    system.block_on(async {
        // Sessions live in the database: both builds accept the same tokens.
        let server = serve(etrack(), db);
        let http = Rc::new(Http::new(&server.base));
        let actors = Rc::new(sign_in(&http, &seeded).await);
        let reads = Rc::new(readable(&http, &actors).await);
        // The mix runs until the popular buildings are full before the first round: the side
        // that ran first would otherwise hold, accept and approve contracts (transactions of
        // 17-31 statements) where the other side meets only refusals.
        for _ in 0..5 {
            let shared = shared();
            mixed(&http, &actors, &seeded, &reads, &shared, args).await;
            let stats = shared.stats.take();
            let (sent, held) = stats
                .by_endpoint
                .get("submit (popular)")
                .map_or((0, 0), |e| {
                    let sent = e.micros.len();
                    (sent, sent - e.refused - e.errors)
                });
            println!("-- warm-up mix: {held} of {sent} submissions held");
            if held * 100 <= sent {
                break;
            }
        }
        drop(server);
        for round in 0..args.rounds {
            for (i, (side, name)) in sides.iter_mut().zip(names).enumerate() {
                let server = serve_at(binary(i), db, &urls[i]);
                let http = Rc::new(Http::new(&server.base));
                let shared = shared();
                let cpu = CpuMeter::start(&server);
                let seconds = mixed(&http, &actors, &seeded, &reads, &shared, args).await;
                let used = cpu.used();
                side.mixed_cpu[0] += used[1];
                side.mixed_cpu[1] += used[0] - used[1] - used[2];
                let mut stats = shared.stats.take();
                let (_, errors) = stats.total();
                println!("\n-- round {}, {name}: mixed load", round + 1);
                stats.report(seconds);
                cpu.report(stats.total().0);
                side.mixed_seconds += seconds;
                side.mixed_errors += errors;
                side.mixed
                    .extend(stats.by_endpoint.values().flat_map(|e| e.micros.iter()));
                let lists = hammer(
                    &http,
                    "/api/v1/contracts?limit=50",
                    &actors.offices,
                    args.seconds / 2,
                    args.concurrency,
                )
                .await;
                side.list_seconds += (args.seconds / 2) as f64;
                side.lists
                    .extend(lists.by_endpoint.values().flat_map(|e| e.micros.iter()));
                let gzipped = hammer(
                    &Http::asking(&server.base, "gzip"),
                    "/api/v1/contracts?limit=50",
                    &actors.offices,
                    args.seconds / 2,
                    args.concurrency,
                )
                .await;
                side.gzipped
                    .extend(gzipped.by_endpoint.values().flat_map(|e| e.micros.iter()));
                // Each side of each round on days of its own, after those the mix books.
                let first = day("2027-06-01") + chrono::Days::new(3 * (2 * round + i) as u64);
                let (rate, won, refused, _) =
                    contended(&http, &actors, &seeded, args.concurrency, first).await;
                println!(
                    "  contended submissions from {first}: {rate:.0}/s; {won} held, {refused} refused"
                );
                side.contended.push((rate, won, refused));
            }
        }
    });
    println!("\n-- side by side over {} rounds", args.rounds);
    println!(
        "  (CPU per mixed request: the server + the rest of the machine, database and kernel)"
    );
    println!(
        "  {:<12} {:>12} {:>9} {:>9} {:>8} {:>14} {:>12} {:>9} {:>12} {:>9}",
        "build",
        "mixed req/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "CPU/req ms",
        "lists req/s",
        "p99 ms",
        "gzip req/s",
        "p99 ms"
    );
    let mut rates = Vec::new();
    for (side, name) in sides.iter_mut().zip(names) {
        side.mixed.sort_unstable();
        side.lists.sort_unstable();
        side.gzipped.sort_unstable();
        let rate = side.mixed.len() as f64 / side.mixed_seconds;
        let list_rate = side.lists.len() as f64 / side.list_seconds;
        let gzip_rate = side.gzipped.len() as f64 / side.list_seconds;
        rates.push((rate, list_rate, gzip_rate));
        let per = |s: f64| s * 1000.0 / side.mixed.len().max(1) as f64;
        println!(
            "  {:<12} {:>12.0} {:>9.1} {:>9.1} {:>8} {:>14} {:>12.0} {:>9.1} {:>12.0} {:>9.1}",
            name,
            rate,
            pct(&side.mixed, 0.50),
            pct(&side.mixed, 0.99),
            side.mixed_errors,
            format!(
                "{:.2} + {:.2}",
                per(side.mixed_cpu[0]),
                per(side.mixed_cpu[1])
            ),
            list_rate,
            pct(&side.lists, 0.99),
            gzip_rate,
            pct(&side.gzipped, 0.99)
        );
    }
    println!(
        "  this build / baseline: mixed {:.2}, lists {:.2}, gzip lists {:.2}",
        rates[0].0 / rates[1].0,
        rates[0].1 / rates[1].1,
        rates[0].2 / rates[1].2
    );
    println!("  contended submissions on one building (400 a round), per round:");
    for (side, name) in sides.iter().zip(names) {
        let rounds: Vec<String> = side
            .contended
            .iter()
            .map(|(rate, won, refused)| format!("{rate:.0}/s ({won} held, {refused} refused)"))
            .collect();
        println!("  {:<12} {}", name, rounds.join(", "));
    }
}

/// The reference server: one route that only verifies the bearer token, nothing else.
fn minimal_server() {
    let keys = etrack::auth::jwt::JwtKeys::new(SECRET.as_bytes(), Duration::from_secs(900));
    actix_web::rt::System::new().block_on(async move {
        let keys = actix_web::web::Data::new(keys);
        let server = actix_web::HttpServer::new(move || {
            actix_web::App::new().app_data(keys.clone()).route(
                "/ping",
                actix_web::web::get().to(
                    |req: actix_web::HttpRequest,
                     keys: actix_web::web::Data<etrack::auth::jwt::JwtKeys>| async move {
                        let token = req
                            .headers()
                            .get("authorization")
                            .and_then(|v| v.to_str().ok())
                            .and_then(|v| v.strip_prefix("Bearer "))
                            .unwrap_or_default();
                        match keys.verify(token) {
                            Some(_) => actix_web::HttpResponse::Ok().body("{}"),
                            None => actix_web::HttpResponse::Unauthorized().finish(),
                        }
                    },
                ),
            )
        })
        .workers(2)
        .bind("127.0.0.1:0")
        .unwrap();
        let port = server.addrs()[0].port();
        eprintln!("etrack: serving on port {port} (minimal)");
        server.run().await.unwrap();
    });
}

async fn hammer(
    http: &Http,
    path: &str,
    tokens: &[Who],
    seconds: u64,
    concurrency: usize,
) -> Stats {
    let shared = shared();
    let work = futures_util::future::join_all((0..concurrency).map(|n| {
        let shared = shared.clone();
        async move {
            let mut i = n;
            while !shared.stop.get() {
                i += concurrency;
                let who = &tokens[i % tokens.len()];
                let (s, t) = http.count("GET", path, &who.token).await;
                // Failures by kind, so that a run says what went wrong.
                let name = match s {
                    200..=299 => "GET",
                    0 => "GET: no answer",
                    401 => "GET: 401",
                    503 => "GET: 503",
                    _ => "GET: other failure",
                };
                shared.stats.borrow_mut().record(name, t, outcome(s, false));
            }
        }
    }));
    timed(seconds, &shared, async {
        work.await;
    })
    .await;
    Rc::try_unwrap(shared).ok().unwrap().stats.into_inner()
}

fn pgbench(db: &BenchDb, seconds: u64, concurrency: usize) -> Option<f64> {
    db.admin.as_ref()?;
    // The statements of one scoped list, as the server runs them: the caller's session, the page,
    // and the names of the organisations and facilities on it (their ids taken from that page once,
    // beforehand, since pgbench cannot carry rows from one statement to the next).
    psql(
        &db.url,
        "CREATE TABLE bench_callers AS SELECT row_number() OVER (ORDER BY s.id) AS n, s.id AS session_id, \
         s.user_id, u.organization_id, \
         ARRAY(SELECT x FROM (SELECT client_id AS x, id FROM (SELECT client_id, provider_id, id FROM contracts c \
           WHERE c.client_office_id = u.organization_id ORDER BY id LIMIT 50) p \
           UNION SELECT provider_id, id FROM (SELECT provider_id, id FROM contracts c \
           WHERE c.client_office_id = u.organization_id ORDER BY id LIMIT 50) q) ids) AS org_ids, \
         ARRAY(SELECT facility_id FROM (SELECT facility_id, id FROM contracts c \
           WHERE c.client_office_id = u.organization_id ORDER BY id LIMIT 50) f) AS facility_ids \
         FROM sessions s JOIN users u ON u.id = s.user_id JOIN organizations o ON o.id = u.organization_id \
         WHERE o.kind = 'hajj_office' AND s.revoked_at IS NULL",
    );
    let callers = psql(&db.url, "SELECT count(*) FROM bench_callers");
    let script = db.dir.join("list.sql");
    std::fs::write(
        &script,
        format!(
            "\\set n random(1, {})\n\
             SELECT session_id AS sid, user_id AS uid, organization_id AS oid, org_ids::text AS orgs, \
             facility_ids::text AS facs FROM bench_callers WHERE n = :n \\gset\n\
             SELECT u.*, o.* FROM sessions s JOIN users u ON u.id = s.user_id JOIN organizations o ON o.id = u.organization_id \
             WHERE s.id = :sid AND s.user_id = :uid \
             AND s.revoked_at IS NULL AND s.expires_at > now() AND u.active AND o.status = 'active';\n\
             SELECT * FROM contracts WHERE client_office_id = :oid ORDER BY id LIMIT 51;\n\
             SELECT id, name FROM organizations WHERE id = ANY(CAST(:orgs AS text[]));\n\
             SELECT id, name, city FROM facilities WHERE id = ANY(CAST(:facs AS text[]));\n",
            callers.trim()
        ),
    )
    .unwrap();
    let out = Command::new("pgbench")
        .args([
            "-n",
            "-M",
            "prepared",
            "-c",
            &concurrency.to_string(),
            "-j",
            "2",
            "-T",
            &seconds.to_string(),
            "-f",
            &script.to_string_lossy(),
            &db.url,
        ])
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&out.stdout);
    let tps = text
        .lines()
        .find(|l| l.starts_with("tps = "))
        .and_then(|l| l.split_whitespace().nth(2))
        .and_then(|v| v.parse().ok());
    if tps.is_none() {
        eprintln!("pgbench: {text}{}", String::from_utf8_lossy(&out.stderr));
    }
    tps
}

fn main() {
    if std::env::var("ETRACK_BENCH_ROLE").as_deref() == Ok("minimal") {
        minimal_server();
        return;
    }
    let args = Args::parse();
    let db = BenchDb::create(&args.backend);
    println!(
        "== e-track load benchmark: {} scale on {}, {} s per phase, {} concurrent users, {} cores",
        args.scale,
        args.backend,
        args.seconds,
        args.concurrency,
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let seeded = Rc::new(seed(&db, &args.scale));
    if let Some(baseline) = &args.baseline {
        side_by_side(&args, &db, seeded, baseline);
        // A baseline from before the readiness view changes clients without writing their lines;
        // this build brings the view up to date as it starts, as after a rolling upgrade.
        drop(serve(etrack(), &db));
        check(&db);
        return;
    }
    let server = serve(etrack(), &db);
    let system = actix_rt::System::new();
    system.block_on(async {
        let http = Rc::new(Http::new(&server.base));
        let started = Instant::now();
        let actors = Rc::new(sign_in(&http, &seeded).await);
        println!(
            "signed in {} users in {:.1} s",
            2 + actors.clients.len() + actors.providers.len(),
            started.elapsed().as_secs_f64()
        );
        let reads = Rc::new(readable(&http, &actors).await);
        if !args.without_money {
            with_money(&http, &actors, &seeded).await;
        }

        println!("\n-- mixed deadline-day load");
        let shared = shared();
        let counted = statement_counts(&http).await;
        let cpu = CpuMeter::start(&server);
        let seconds = mixed(&http, &actors, &seeded, &reads, &shared, &args).await;
        shared.stats.borrow_mut().report(seconds);
        cpu.report(shared.stats.borrow().total().0);
        report_statements(&counted, &statement_counts(&http).await);
        let (peak, now) = server.memory();
        println!("  server memory: peak {peak:.0} MiB, now {now:.0} MiB");

        println!("\n-- contended submissions: 400 contracts of 2 beds for one building of 300");
        let (rate, won, refused, held) =
            contended(&http, &actors, &seeded, args.concurrency, day("2027-05-20")).await;
        println!(
            "  {rate:.0} submissions/s; {won} held, {refused} refused (capacity_exceeded)"
        );

        println!(
            "\n-- approvals{} (the ledger's hot path)",
            if args.without_money { ", no money moving" } else { " with their commitment" }
        );
        approvals_with_money(&http, &actors, &seeded, held, args.concurrency).await;

        println!("\n-- documents: 5 MB uploads, read whole before a connection is taken");
        uploads(&http, &actors, &reads, &server).await;

        println!("\n-- the ministry's all-clients readiness view, alone");
        let base = format!("/api/v1/seasons/{}/readiness", seeded.season);
        for (what, query) in [
            ("first page of 50, worst first", "?limit=50"),
            ("one country's incomplete clients, 50", "?limit=50&country=AD&status=incomplete"),
            ("a page of 200", "?limit=200"),
        ] {
            let mut views = Vec::new();
            let mut rows = 0;
            for _ in 0..7 {
                let path = format!("{base}{query}");
                let (s, body, t) = http
                    .call("GET", &path, Some(&actors.ministry.token), None)
                    .await;
                assert_eq!(s, 200);
                rows = body["items"].as_array().map_or(0, Vec::len);
                views.push(t.as_secs_f64() * 1000.0);
            }
            views.sort_by(f64::total_cmp);
            println!(
                "  {what}: {rows} rows, median {:.1} ms (min {:.1}, max {:.1}) over 7 requests",
                views[3], views[0], views[6]
            );
        }

        println!("\n-- scoped contract lists alone (offices)");
        // Settle the database first, so that autovacuum catching up on the mix's writes does not
        // land in this phase or in pgbench's, which follows it at once.
        if db.admin.is_some() {
            psql(&db.url, "VACUUM ANALYZE");
        }
        let cpu = CpuMeter::start(&server);
        let mut lists = hammer(
            &http,
            "/api/v1/contracts?limit=50",
            &actors.offices,
            args.seconds / 2,
            args.concurrency,
        )
        .await;
        let list_seconds = (args.seconds / 2) as f64;
        lists.report(list_seconds);
        cpu.report(lists.total().0);
        let list_rps = lists.total().0 as f64 / list_seconds;

        let page = "/api/v1/contracts?limit=50";
        let (plain, _) = http.wire_size(page, &actors.offices[0].token).await;
        for encoding in ["gzip", "br"] {
            println!("\n-- scoped contract lists alone (offices), asking for {encoding}");
            let packing = Http::asking(&server.base, encoding);
            let (packed, sent) = packing.wire_size(page, &actors.offices[0].token).await;
            println!("  a page of 50: {plain} bytes as it is, {packed} bytes as {sent}");
            let cpu = CpuMeter::start(&server);
            let mut packed = hammer(
                &packing,
                page,
                &actors.offices,
                args.seconds / 2,
                args.concurrency,
            )
            .await;
            packed.report(list_seconds);
            cpu.report(packed.total().0);
        }
        let pgbench_tps = pgbench(&db, args.seconds / 2, args.concurrency);

        println!("\n-- reference: a minimal actix-web endpoint that only verifies the token");
        let minimal = Server::start(
            Command::new(std::env::current_exe().unwrap()).env("ETRACK_BENCH_ROLE", "minimal"),
        );
        let minimal_http = Http::new(&minimal.base);
        let mut reference = hammer(
            &minimal_http,
            "/ping",
            &actors.offices,
            args.seconds / 2,
            args.concurrency,
        )
        .await;
        reference.report(list_seconds);
        let minimal_rps = reference.total().0 as f64 / list_seconds;
        drop(minimal);

        let mixed_rps = shared.stats.borrow().total().0 as f64 / seconds;
        println!("\n-- ratios");
        println!(
            "  mixed load / minimal endpoint:   {:.2} ({mixed_rps:.0} / {minimal_rps:.0} req/s)",
            mixed_rps / minimal_rps
        );
        println!(
            "  scoped lists / minimal endpoint: {:.2} ({list_rps:.0} / {minimal_rps:.0} req/s)",
            list_rps / minimal_rps
        );
        match pgbench_tps {
            Some(tps) => println!(
                "  scoped lists / pgbench of the same statements: {:.2} ({list_rps:.0} req/s / {tps:.0} tps)",
                list_rps / tps
            ),
            None => println!("  (pgbench reference: PostgreSQL only)"),
        }
    });
    drop(server);
    check(&db);
}

/// Ends the run with `etrack check`: nothing overbooked, every history whole.
fn check(db: &BenchDb) {
    let out = etrack()
        .arg("check")
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    println!(
        "\netrack check: {}",
        String::from_utf8_lossy(&out.stdout).trim()
    );
    assert!(
        out.status.success(),
        "the benchmark left the database inconsistent"
    );
}
