//! Killed under load: while clients draft, submit, accept, approve, decline and cancel contracts
//! racing for one building, the server is killed with SIGKILL again and again and restarted.
//! Afterwards every answered request is in the database as answered, creations retried with their
//! `Idempotency-Key` across the crashes exist once, held capacity and allocations equal what the
//! contracts hold, every status matches its history, and the audit chain verifies (`etrack check`).
//! The same load through three processes at once keeps the same invariants, and sends each email once.
//! Beside them the building's provider uploads papers (some the same content again) and withdraws
//! them, retried with their keys: each answered upload is there once, and every stored content
//! matches its hash.
//! Money moves through the same load: submissions lodge guarantees, approvals commit contracts'
//! values and pay their first instalment, declines and cancellations give them back; afterwards the
//! ledger balances, and the instalments that fall due later are each paid once by two payers
//! racing.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{Backend, Session, TestApp, TestDb};
use crate::process::{ServerProcess, run_etrack, url_text};
use crate::world::World;

/// A request whose answer may never come: `None` when the server was killed under it.
async fn attempt(
    base: &str,
    who: &Session,
    path: &str,
    body: Option<Value>,
    key: Option<&str>,
) -> Option<(u16, Value)> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    let mut request = client
        .post(format!("{base}{path}"))
        .bearer_auth(&who.access_token);
    if let Some(key) = key {
        request = request.insert_header(("Idempotency-Key", key));
    }
    let mut response = match body {
        Some(body) => request.send_json(&body).await.ok()?,
        None => request.send().await.ok()?,
    };
    let status = response.status().as_u16();
    let bytes = response.body().await.ok()?;
    Some((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

/// An upload whose answer may never come: `None` when the server was killed under it.
async fn attempt_upload(
    base: &str,
    who: &Session,
    path: &str,
    body: Vec<u8>,
    key: &str,
) -> Option<(u16, Value)> {
    let client = awc::Client::builder()
        .timeout(Duration::from_secs(10))
        .finish();
    let mut response = client
        .post(format!("{base}{path}"))
        .bearer_auth(&who.access_token)
        .insert_header(("Idempotency-Key", key))
        .insert_header((
            "Content-Type",
            format!("multipart/form-data; boundary={UPLOAD_BOUNDARY}"),
        ))
        .send_body(body)
        .await
        .ok()?;
    let status = response.status().as_u16();
    let bytes = response.body().await.ok()?;
    Some((
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    ))
}

const UPLOAD_BOUNDARY: &str = "crash-upload-boundary";

/// A paper of about 20 KB: every fourth the same content as the one before (kept once).
fn paper(i: usize) -> Vec<u8> {
    let n = if i.is_multiple_of(4) { i - 1 } else { i };
    let mut content = format!("%PDF-1.7\n% paper {n}\n").into_bytes();
    content.resize(20_000, b'.');
    let mut body = format!(
        "--{UPLOAD_BOUNDARY}\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\nlicence\r\n\
         --{UPLOAD_BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"paper-{i}.pdf\"\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(&content);
    body.extend_from_slice(format!("\r\n--{UPLOAD_BOUNDARY}--\r\n").as_bytes());
    body
}

/// The building's provider attaches papers through the crashes, each retried with its key until
/// answered, and withdraws each once answered (so that the building never fills up): answers the
/// documents acknowledged.
async fn uploader(base: &str, w: &World, stop: &AtomicBool) -> BTreeSet<String> {
    let mut acknowledged = BTreeSet::new();
    let path = format!("/api/v1/facilities/{}/documents", w.building);
    let mut i = 0;
    while !stop.load(Ordering::Relaxed) {
        i += 1;
        let key = format!("crash-upload-{i}");
        let mut tries = 0;
        let id = loop {
            tries += 1;
            match attempt_upload(base, &w.provider, &path, paper(i), &key).await {
                Some((201, reply)) => break reply["id"].as_str().unwrap().to_owned(),
                Some((status, reply)) if status != 503 => {
                    panic!("uploading answered {status}: {reply}")
                }
                _ => actix_web::rt::time::sleep(Duration::from_millis(100)).await,
            }
            assert!(tries < 600, "the server never came back");
        };
        acknowledged.insert(id.clone());
        let withdraw = format!("/api/v1/documents/{id}/withdraw");
        let reason = json!({"reason": "superseded"});
        loop {
            match attempt(base, &w.provider, &withdraw, Some(reason.clone()), None).await {
                Some((200 | 409, _)) => break,
                Some((status, reply)) if status != 503 => {
                    panic!("withdrawing answered {status}: {reply}")
                }
                _ => actix_web::rt::time::sleep(Duration::from_millis(100)).await,
            }
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    acknowledged
}

/// What a worker knows of its contracts: the statuses each may be in.
type Expected = BTreeMap<String, BTreeSet<String>>;

/// What the workers share: when to stop, and how many creations have been answered so far.
#[derive(Default)]
struct Load {
    stop: AtomicBool,
    answered: AtomicUsize,
}

impl Load {
    /// Lets the load run for `at_least`, and on until `more` creations are answered since it
    /// began (a minute at most): each kill comes after some load got through, however slow the
    /// machine is that day.
    fn run_for(&self, at_least: Duration, more: usize) {
        let (started, since) = (Instant::now(), self.answered.load(Ordering::Relaxed));
        std::thread::sleep(at_least);
        while self.answered.load(Ordering::Relaxed) < since + more
            && started.elapsed() < Duration::from_secs(60)
        {
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

struct Step<'a> {
    by: &'a Session,
    action: &'static str,
    reason: bool,
    to: &'static str,
}

impl<'a> Step<'a> {
    fn new(by: &'a Session, action: &'static str, reason: bool, to: &'static str) -> Step<'a> {
        Step {
            by,
            action,
            reason,
            to,
        }
    }
}

/// Drives one client's contracts through `bases` in turn (one server, or several processes).
async fn worker(
    bases: &[String],
    w: &World,
    client: &Session,
    n: usize,
    load: &Load,
) -> (Expected, usize) {
    let mut expected = Expected::new();
    let mut replays = 0;
    let mut i = 0;
    while !load.stop.load(Ordering::Relaxed) {
        i += 1;
        let base = bases[i % bases.len()].as_str();
        let day = 10 + (i % 5);
        let mut body = w.housing(
            1 + (i % 3) as i64,
            &format!("2027-05-{day}"),
            &format!("2027-05-{}", day + 1),
        );
        if i % 7 == 0 {
            body["facility_id"] = w.kitchen.clone().into();
            body = json!({"season_id": w.season, "type": "catering", "facility_id": w.kitchen,
                "starts_on": format!("2027-05-{day}"), "ends_on": format!("2027-05-{}", day + 1),
                "pilgrims": 4, "meals_per_day": 2, "unit_price": "20", "currency": "SAR"});
        }
        // A creation is retried with its key until it is answered, through any number of crashes.
        let key = format!("crash-{n}-{i}");
        let mut tries = 0;
        let id = loop {
            tries += 1;
            match attempt(
                base,
                client,
                "/api/v1/contracts",
                Some(body.clone()),
                Some(&key),
            )
            .await
            {
                Some((201, reply)) => {
                    if tries > 1 {
                        replays += 1;
                    }
                    let id = reply["id"].as_str().unwrap().to_owned();
                    if bases.len() > 1 {
                        // The same key again, through every process at once: the same contract.
                        let again = futures_util::future::join_all(bases.iter().map(|b| {
                            attempt(
                                b,
                                client,
                                "/api/v1/contracts",
                                Some(body.clone()),
                                Some(&key),
                            )
                        }))
                        .await;
                        for reply in again {
                            let (status, reply) = reply.expect("no process is killed here");
                            assert_eq!((status, reply["id"].as_str()), (201, Some(id.as_str())));
                            replays += 1;
                        }
                    }
                    load.answered.fetch_add(1, Ordering::Relaxed);
                    break id;
                }
                Some((status, reply)) if status != 503 => {
                    panic!("drafting answered {status}: {reply}")
                }
                _ => actix_web::rt::time::sleep(Duration::from_millis(100)).await,
            }
            assert!(tries < 600, "the server never came back");
        };
        let mut status = "draft";
        let then = match i % 5 {
            0 => vec![Step::new(client, "cancel", true, "cancelled")],
            1 => vec![Step::new(&w.provider, "decline", true, "declined")],
            _ => vec![
                Step::new(&w.provider, "accept", false, "pending_review"),
                Step::new(&w.ministry, "approve", false, "approved"),
            ],
        };
        let submit = Step::new(client, "submit", false, "pending_provider");
        let plan = std::iter::once(submit).chain(then);
        let mut possible = BTreeSet::from([status.to_owned()]);
        for step in plan {
            let reason = step.reason.then(|| json!({"reason": "changed plans"}));
            let path = format!("/api/v1/contracts/{id}/{}", step.action);
            match attempt(base, step.by, &path, reason, None).await {
                Some((200, reply)) => {
                    assert_eq!(reply["status"], step.to);
                    status = step.to;
                    possible = BTreeSet::from([status.to_owned()]);
                }
                Some((409 | 503, _)) => break,
                Some((s, reply)) => panic!("{} answered {s}: {reply}", step.action),
                None => {
                    // Killed mid-request: it happened entirely, or not at all.
                    possible.insert(step.to.to_owned());
                    break;
                }
            }
        }
        expected.insert(id, possible);
    }
    (expected, replays)
}

async fn all_contracts(app: &TestApp, who: &Session) -> BTreeMap<String, String> {
    let mut found = BTreeMap::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!(
                "/api/v1/contracts?client_id={}&limit=200&cursor={cursor}",
                who.organization_id
            ))
            .auth(who)
            .send()
            .await;
        for c in page.assert_status(200)["items"].as_array().unwrap() {
            found.insert(
                c["id"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            );
        }
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return found,
        }
    }
}

fn check(db: &TestDb) -> (bool, String) {
    run_etrack(&db.url, &["check"])
}

fn crash_under_load(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let bind = format!("127.0.0.1:{port}");
    let base = format!("http://{bind}");
    let server = ServerProcess::start_at(&db.url, &bind, &[]);
    let app = TestApp::remote(&base, backend);
    let system = actix_web::rt::System::new();
    let w = system.block_on(World::new(&app));
    system.block_on(with_money(&app, &w));

    // The killer: five times, let the load run a moment (and get a dozen creations answered),
    // then SIGKILL and start again.
    let load = Arc::new(Load::default());
    let killer = {
        let load = load.clone();
        let (url, bind) = (db.url.clone(), bind.clone());
        std::thread::spawn(move || {
            let mut server = server;
            for round in 0..5u64 {
                load.run_for(Duration::from_millis(700 + 250 * round), 12);
                server.signal("KILL");
                assert!(server.wait(Duration::from_secs(10)).is_some());
                server = ServerProcess::start_at(&url, &bind, &[]);
            }
            load.run_for(Duration::from_millis(700), 12);
            load.stop.store(true, Ordering::Relaxed);
            server
        })
    };
    let clients = [&w.office, &w.agency, &w.other_office];
    let bases = [base.clone()];
    let (results, papers) = system.block_on(futures_util::future::join(
        futures_util::future::join_all(
            clients
                .iter()
                .enumerate()
                .map(|(n, c)| worker(&bases, &w, c, n, &load)),
        ),
        uploader(&base, &w, &load.stop),
    ));
    let _server = killer.join().unwrap();
    // Each paper answered is there once, withdrawn, and nothing else was attached.
    let listed = system.block_on(
        app.get(&format!("/api/v1/facilities/{}/documents", w.building))
            .auth(&w.provider)
            .send(),
    );
    let listed = listed.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .clone();
    let ids: BTreeSet<String> = listed
        .iter()
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids, papers, "every upload answered is there, once");
    assert!(listed.iter().all(|d| d["withdrawn_at"].is_string()));

    let (answered, uncertain, replays) = system.block_on(verify(&app, &clients, &results));
    let (ok, report) = check(&db);
    assert!(ok && report.starts_with("ok:"), "{report}");
    let paid = system.block_on(instalments_paid_once(&app, &db, &w, &clients));
    let (ok, report) = check(&db);
    assert!(ok && report.starts_with("ok:"), "{report}");
    eprintln!(
        "crash test ({backend:?}): {} papers uploaded and withdrawn through the kills",
        papers.len()
    );
    eprintln!("crash test ({backend:?}): {paid} approved contracts paid in full after the season");
    eprintln!(
        "crash test ({backend:?}): 5 kills, {answered} contracts as answered, {uncertain} cut off mid-request, \
         {replays} creations answered after a retry; {}",
        report.trim()
    );
}

/// Housing and catering contracts pay 30% at approval, 70% after the season, with a 5% guarantee;
/// every client's wallet holds far more than its contracts can cost.
async fn with_money(app: &TestApp, w: &World) {
    for kind in ["housing", "catering"] {
        app.put(&format!("/api/v1/seasons/{}/payment-schedules/{kind}", w.season))
            .auth(&w.ministry)
            .json(json!({"guarantee_percent": 5, "instalments": [
                {"share_percent": 30, "due": "approval"}, {"share_percent": 70, "due": "season_end"}]}))
            .await
            .assert_status(200);
    }
    for (i, client) in [&w.office, &w.agency, &w.other_office].iter().enumerate() {
        app.post(&format!("/api/v1/seasons/{}/transfers", w.season))
            .auth(&w.ministry)
            .json(
                json!({"organization_id": client.organization_id, "amount": "50000000",
                "currency": "SAR", "bank_reference": format!("CRASH-{i}")}),
            )
            .await
            .assert_status(201);
    }
}

/// After the season, two payers race over the same instalments: every approved contract ends paid
/// in full, exactly, and a third run finds nothing left. Answers how many instalments were paid.
async fn instalments_paid_once(
    app: &TestApp,
    db: &TestDb,
    w: &World,
    clients: &[&Session],
) -> usize {
    let after = "2027-07-01".parse::<chrono::NaiveDate>().unwrap();
    let payers: Vec<_> = (0..2)
        .map(|_| {
            let url = db.url.clone();
            std::thread::spawn(move || {
                let mut conn = etrack::storage::establish(&url).unwrap();
                etrack::usecases::money::pay_due(&mut conn, after).unwrap()
            })
        })
        .collect();
    let paid: usize = payers.into_iter().map(|p| p.join().unwrap()).sum();
    let mut conn = etrack::storage::establish(&db.url).unwrap();
    assert_eq!(
        etrack::usecases::money::pay_due(&mut conn, after).unwrap(),
        0
    );
    let mut approved = 0;
    for client in clients {
        for (id, status) in all_contracts(app, client).await {
            let payments = app
                .get(&format!("/api/v1/contracts/{id}/payments"))
                .auth(&w.ministry)
                .send()
                .await;
            let p = payments.assert_status(200);
            if status == "approved" {
                approved += 1;
                assert_eq!(p["paid"], p["value"], "{id}: {p}");
                let instalments = p["instalments"].as_array().unwrap();
                assert!(instalments.iter().all(|i| i["paid"] == true), "{id}: {p}");
            }
            assert_eq!(p["committed"], "0.00", "{id} ({status}): {p}");
            assert_eq!(p["guarantee_held"], "0.00", "{id} ({status}): {p}");
        }
    }
    // One season-end instalment per approved contract, and the guarantees given back.
    assert!(
        paid >= approved,
        "{paid} transactions for {approved} approved contracts"
    );
    approved
}

/// Every contract a client has is one it was answered for, in a status the answers allow.
async fn verify(
    app: &TestApp,
    clients: &[&Session],
    results: &[(Expected, usize)],
) -> (usize, usize, usize) {
    let mut answered = 0;
    let mut uncertain = 0;
    let mut replays = 0;
    for ((expected, r), client) in results.iter().zip(clients) {
        replays += r;
        let stored = all_contracts(app, client).await;
        let own: BTreeSet<&String> = stored.keys().collect();
        let acknowledged: BTreeSet<&String> = expected.keys().collect();
        // Each creation exists once: none lost, none doubled by the retries.
        let lost: Vec<_> = acknowledged.difference(&own).collect();
        let unexpected: Vec<_> = own.difference(&acknowledged).collect();
        assert!(
            lost.is_empty() && unexpected.is_empty(),
            "{}: lost {lost:?}, never answered {unexpected:?}",
            client.email
        );
        for (id, possible) in expected {
            let status = &stored[id];
            assert!(
                possible.contains(status),
                "{id} is {status}, expected one of {possible:?}"
            );
            if possible.len() > 1 {
                uncertain += 1;
            } else {
                answered += 1;
            }
        }
    }
    assert!(answered > 30, "too little load got through: {answered}");
    (answered, uncertain, replays)
}

#[test]
fn killed_under_load_on_sqlite() {
    crash_under_load(Backend::Sqlite);
}

#[test]
fn killed_under_load_on_postgres() {
    crash_under_load(Backend::Postgres);
}

/// Three processes on one PostgreSQL database under concurrent load: capacity and allocations
/// hold, a key sent to every process at once makes one contract, and each email is sent once.
#[test]
fn several_processes_keep_every_invariant() {
    let Some(db) = TestDb::create(Backend::Postgres) else {
        return;
    };
    let mail = tempdir("etrack-multi-mail");
    let mail_setting = format!("file:{}", mail.display());
    let env = [("ETRACK_MAIL", mail_setting.as_str())];
    let servers: Vec<ServerProcess> = (0..3)
        .map(|_| ServerProcess::start_with(&db.url, &env))
        .collect();
    let bases: Vec<String> = servers.iter().map(|s| s.base.clone()).collect();
    let app = TestApp::remote(&bases[0], Backend::Postgres);
    let system = actix_web::rt::System::new();
    let w = system.block_on(World::new(&app));
    let load = Load::default();
    let clients = [&w.office, &w.agency, &w.other_office];
    let results = system.block_on(async {
        let workers = futures_util::future::join_all(
            clients
                .iter()
                .enumerate()
                .map(|(n, c)| worker(&bases, &w, c, n, &load)),
        );
        let timer = async {
            actix_web::rt::time::sleep(Duration::from_secs(6)).await;
            load.stop.store(true, Ordering::Relaxed);
        };
        futures_util::future::join(workers, timer).await.0
    });
    let (answered, _, replays) = system.block_on(verify(&app, &clients, &results));
    assert_eq!(
        results.iter().map(|(e, _)| e.len()).sum::<usize>(),
        answered,
        "no process was killed, so every request was answered"
    );
    // Every email once, whichever process sent it.
    let outbox = system.block_on(async {
        for _ in 0..100 {
            let pending = pending_emails(&db);
            if pending == 0 {
                break;
            }
            actix_web::rt::time::sleep(Duration::from_millis(200)).await;
        }
        pending_emails(&db)
    });
    assert_eq!(outbox, 0, "every email was sent");
    let mut ids: Vec<String> = std::fs::read_dir(&mail)
        .unwrap()
        .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
        .filter_map(|m| {
            m.lines()
                .find(|l| l.to_ascii_lowercase().starts_with("message-id:"))
                .map(str::to_owned)
        })
        .collect();
    let sent = ids.len();
    ids.sort();
    ids.dedup();
    assert!(sent > 0);
    assert_eq!(ids.len(), sent, "an email was sent twice");
    let (ok, report) = check(&db);
    assert!(ok && report.starts_with("ok:"), "{report}");
    eprintln!(
        "three processes: {answered} contracts, {replays} keys answered again by every process, \
         {sent} emails each sent once; {}",
        report.trim()
    );
    let _ = std::fs::remove_dir_all(&mail);
    drop(servers);
}

fn tempdir(prefix: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("{prefix}-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn pending_emails(db: &TestDb) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Count {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = diesel::PgConnection::establish(&url_text(&db.url)).unwrap();
    diesel::sql_query("SELECT count(*) AS n FROM outbox WHERE status <> 'sent'")
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n
}

/// `etrack check` is not a rubber stamp: a counter changed behind the API's back is named.
#[test]
fn check_names_a_counter_that_does_not_add_up() {
    let db = TestDb::create(Backend::Sqlite).unwrap();
    let server = ServerProcess::start(&db.url);
    let app = TestApp::remote(&server.base, Backend::Sqlite);
    actix_web::rt::System::new().block_on(async {
        let w = World::new(&app).await;
        w.approved(&app, &w.office, w.housing(5, "2027-05-10", "2027-05-12"))
            .await;
    });
    drop(server);
    let (ok, report) = check(&db);
    assert!(ok, "{report}");
    {
        use diesel::prelude::*;
        let mut conn = diesel::SqliteConnection::establish(&url_text(&db.url)).unwrap();
        diesel::sql_query(
            "UPDATE facility_days SET held = held + 1 WHERE held > 0 AND day = '2027-05-11'",
        )
        .execute(&mut conn)
        .unwrap();
    }
    let (ok, report) = check(&db);
    assert!(!ok, "{report}");
    assert!(
        report.contains("on 2027-05-11: 6 held, contracts hold 5"),
        "{report}"
    );
}
