//! Webhooks against real receivers: signatures checked by an independent implementation of the
//! Standard Webhooks specification (the `standardwebhooks` crate), each organisation receiving
//! exactly what it may read, a record's events in order, retries and redelivery with the same
//! `webhook-id`, rotation with two secrets, disabling after a day of failures, and targets on
//! private addresses refused.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::{App, HttpRequest, HttpResponse, HttpServer, web};
use serde_json::{Value, json};

use crate::helpers::{Backend, Session, TestApp, TestDb};
use crate::process::ServerProcess;
use crate::world::World;

/// One request a receiver got.
#[derive(Clone, Debug)]
pub struct Received {
    id: String,
    timestamp: String,
    signature: String,
    body: String,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap()
    }
}

#[derive(Default)]
struct Behaviour {
    got: Vec<Received>,
    /// Statuses to answer with, in turn; 200 once spent.
    answers: VecDeque<u16>,
    /// How long to take over each answer, in turn; at once once spent.
    delays: VecDeque<Duration>,
    /// Answers given so far.
    answered: usize,
    /// Where a redirection answer points.
    location: Option<String>,
}

/// A partner's endpoint on the loopback, recording what it is sent.
pub struct Receiver {
    pub url: String,
    state: Arc<Mutex<Behaviour>>,
    handle: actix_web::dev::ServerHandle,
}

impl Drop for Receiver {
    fn drop(&mut self) {
        drop(self.handle.stop(false));
    }
}

async fn receive(
    req: HttpRequest,
    body: web::Bytes,
    state: web::Data<Arc<Mutex<Behaviour>>>,
) -> HttpResponse {
    let header = |name: &str| {
        req.headers()
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (status, delay, location) = {
        let mut state = state.lock().unwrap();
        state.got.push(Received {
            id: header("webhook-id"),
            timestamp: header("webhook-timestamp"),
            signature: header("webhook-signature"),
            body: String::from_utf8_lossy(&body).into_owned(),
        });
        (
            state.answers.pop_front().unwrap_or(200),
            state.delays.pop_front().unwrap_or_default(),
            state.location.clone(),
        )
    };
    actix_web::rt::time::sleep(delay).await;
    state.lock().unwrap().answered += 1;
    let mut answer = HttpResponse::build(actix_web::http::StatusCode::from_u16(status).unwrap());
    if let Some(location) = location {
        answer.insert_header(("location", location));
    }
    answer.finish()
}

pub async fn receiver() -> Receiver {
    let state = Arc::new(Mutex::new(Behaviour::default()));
    let data = web::Data::new(state.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(data.clone())
            .default_service(web::to(receive))
    })
    .workers(1)
    .bind("127.0.0.1:0")
    .unwrap();
    let port = server.addrs()[0].port();
    let server = server.run();
    let handle = server.handle();
    actix_web::rt::spawn(server);
    Receiver {
        url: format!("http://127.0.0.1:{port}/hooks/etrack"),
        state,
        handle,
    }
}

impl Receiver {
    pub fn got(&self) -> Vec<Received> {
        self.state.lock().unwrap().got.clone()
    }

    fn answer(&self, statuses: &[u16]) {
        self.state.lock().unwrap().answers.extend(statuses);
    }

    fn answered(&self) -> usize {
        self.state.lock().unwrap().answered
    }

    fn redirect_to(&self, url: &str) {
        self.state.lock().unwrap().location = Some(url.to_owned());
    }

    fn take_time(&self, delays: &[Duration]) {
        self.state.lock().unwrap().delays.extend(delays);
    }
}

/// Waits (up to 60 s: a retried delivery waits out its backoff, longer on a machine busy with
/// the rest of the suite) until `done` holds.
async fn until(what: &str, mut done: impl FnMut() -> bool) {
    for _ in 0..1200 {
        if done() {
            return;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("waited in vain: {what}");
}

/// The webhook's latest delivery as its log shows it, once `done` holds for it (or after 10 s).
async fn latest_delivery(
    app: &TestApp,
    who: &Session,
    webhook: &str,
    done: impl Fn(&Value) -> bool,
) -> Value {
    let mut entry = Value::Null;
    for _ in 0..200 {
        entry = app
            .get(&format!("/api/v1/webhooks/{webhook}/deliveries"))
            .auth(who)
            .send()
            .await
            .body["items"][0]
            .clone();
        if done(&entry) {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    entry
}

/// Whether the Standard Webhooks reference verifier accepts a request under `secret`.
fn verifies(secret: &str, r: &Received) -> bool {
    let mut headers = http::HeaderMap::new();
    headers.insert("webhook-id", r.id.parse().unwrap());
    headers.insert("webhook-timestamp", r.timestamp.parse().unwrap());
    headers.insert("webhook-signature", r.signature.parse().unwrap());
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(r.body.as_bytes(), &headers)
        .is_ok()
}

/// Subscribes `url` for `who`'s organisation; answers (id, secret).
pub async fn subscribe(
    app: &TestApp,
    who: &Session,
    url: &str,
    types: &[&str],
) -> (String, String) {
    let reply = app
        .post(&format!(
            "/api/v1/organizations/{}/webhooks",
            who.organization_id
        ))
        .auth(who)
        .json(json!({"url": url, "event_types": types, "description": "national system"}))
        .await;
    let body = reply.assert_status(201);
    (
        body["id"].as_str().unwrap().to_owned(),
        body["secret"].as_str().unwrap().to_owned(),
    )
}

fn fast(s: &mut etrack::config::Settings) {
    s.webhooks.policy.allow_private = true;
    s.webhooks.every = Duration::from_millis(100);
    s.webhooks.retry_base = Duration::from_millis(100);
    s.webhooks.timeout = Duration::from_secs(2);
    s.webhooks.lease = Duration::from_secs(5);
}

fn contract_steps(got: &[Received], contract: &str) -> Vec<String> {
    got.iter()
        .map(Received::json)
        .filter(|e| e["contract_id"] == contract)
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect()
}

async fn each_organisation_receives_what_it_may_read(app: TestApp) {
    let w = World::new(&app).await;
    let (office_hook, other_hook, provider_hook) =
        (receiver().await, receiver().await, receiver().await);
    let (office_id, office_secret) = subscribe(&app, &w.office, &office_hook.url, &[]).await;
    let (_, other_secret) = subscribe(&app, &w.other_provider, &other_hook.url, &[]).await;
    let (_, provider_secret) = subscribe(
        &app,
        &w.provider,
        &provider_hook.url,
        &["contract.accepted", "contract.approved"],
    )
    .await;
    assert!(office_secret.starts_with("whsec_") && other_secret != office_secret);

    // The office's endpoint fails the first delivery: the contract's later events wait for it.
    office_hook.answer(&[500]);
    let contract = w
        .approved(&app, &w.office, w.housing(5, "2027-05-01", "2027-05-03"))
        .await;
    let story = [
        "contract.created",
        "contract.created",
        "contract.submitted",
        "contract.accepted",
        "contract.approved",
    ];
    until("the office's deliveries", || {
        contract_steps(&office_hook.got(), &contract).len() == 5
    })
    .await;
    // In the order the contract went through them, each signed with the office's secret.
    assert_eq!(contract_steps(&office_hook.got(), &contract), story);
    for r in office_hook.got() {
        assert!(verifies(&office_secret, &r), "{r:?}");
        assert!(!verifies(&provider_secret, &r));
        assert!(r.id.starts_with("msg_"));
    }
    until("the provider's two deliveries", || {
        contract_steps(&provider_hook.got(), &contract).len() == 2
    })
    .await;
    assert_eq!(
        contract_steps(&provider_hook.got(), &contract),
        ["contract.accepted", "contract.approved"]
    );
    assert!(
        provider_hook
            .got()
            .iter()
            .all(|r| verifies(&provider_secret, r))
    );
    // A body is the feed's event: its record can be read back through the API.
    let approved = office_hook
        .got()
        .into_iter()
        .map(|r| r.json())
        .find(|e| e["type"] == "contract.approved")
        .unwrap();
    assert_eq!(approved["record"]["id"], json!(contract));
    app.get(&format!("/api/v1/contracts/{contract}"))
        .auth(&w.office)
        .send()
        .await
        .assert_status(200);

    // The delivery log shows every delivery once, delivered at the first attempt.
    let ids: Vec<String> = office_hook.got().iter().map(|r| r.id.clone()).collect();
    let mut items = Vec::new();
    for _ in 0..200 {
        let log = app
            .get(&format!(
                "/api/v1/webhooks/{office_id}/deliveries?limit=200"
            ))
            .auth(&w.office)
            .send()
            .await;
        items = log.assert_status(200)["items"].as_array().unwrap().clone();
        let recorded = items
            .iter()
            .filter(|d| ids.contains(&d["id"].as_str().unwrap().to_owned()))
            .all(|d| d["status"] == "delivered");
        if recorded {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    for item in items
        .iter()
        .filter(|d| ids.contains(&d["id"].as_str().unwrap().to_owned()))
    {
        assert_eq!(item["status"], "delivered", "{item}");
        let first = item["event_type"] == "contract.created";
        assert_eq!(item["attempts"], if first { 2 } else { 1 }, "{item}");
    }

    // The log pages like every list, and downloads as CSV.
    let mut paged = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!(
                "/api/v1/webhooks/{office_id}/deliveries?limit=2&cursor={cursor}"
            ))
            .auth(&w.office)
            .send()
            .await;
        let body = page.assert_status(200).clone();
        paged.extend(
            body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|d| d["id"].clone()),
        );
        match body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    let whole: Vec<Value> = items.iter().map(|d| d["id"].clone()).collect();
    assert!(whole.len() > 2);
    assert_eq!(paged, whole, "newest first, each once");
    let csv = app
        .get(&format!(
            "/api/v1/webhooks/{office_id}/deliveries?format=csv"
        ))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert_eq!(csv.text.lines().count(), whole.len() + 1, "{}", csv.text);
    app.get(&format!(
        "/api/v1/webhooks/{office_id}/deliveries?cursor=msg_123"
    ))
    .auth(&w.office)
    .send()
    .await
    .assert_problem(400, "invalid_query");
    let listed = app
        .get(&format!(
            "/api/v1/organizations/{}/webhooks?format=csv",
            w.office.organization_id
        ))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(listed.status, 200);
    assert!(listed.text.contains(&office_hook.url));

    // Nobody else's: another provider hears nothing of it, whatever it waits.
    actix_web::rt::time::sleep(Duration::from_millis(600)).await;
    assert!(contract_steps(&other_hook.got(), &contract).is_empty());
    // Another organisation cannot see or touch the office's webhook; a colleague who is not an
    // admin is refused.
    for who in [&w.other_office, &w.provider, &w.ministry] {
        app.get(&format!("/api/v1/webhooks/{office_id}"))
            .auth(who)
            .send()
            .await
            .assert_problem(404, "not_found");
        app.get(&format!("/api/v1/webhooks/{office_id}/deliveries"))
            .auth(who)
            .send()
            .await
            .assert_problem(404, "not_found");
    }
    app.get(&format!(
        "/api/v1/organizations/{}/webhooks",
        w.office.organization_id
    ))
    .auth(&w.agency)
    .send()
    .await
    .assert_problem(403, "forbidden");
    // The secret is shown when made, never again.
    let one = app
        .get(&format!("/api/v1/webhooks/{office_id}"))
        .auth(&w.office)
        .send()
        .await;
    assert!(one.assert_status(200).get("secret").is_none());
    assert!(!one.text.contains(&office_secret));
}

async fn failures_are_retried_redelivered_and_disable_the_webhook(app: TestApp) {
    let w = World::new(&app).await;
    let hook = receiver().await;
    let (id, secret) = subscribe(&app, &w.office, &hook.url, &["contract.created"]).await;
    // The receiver fails twice, then takes it: three attempts, one webhook-id.
    hook.answer(&[500, 503]);
    let contract = w
        .draft(&app, &w.office, w.housing(2, "2027-05-01", "2027-05-02"))
        .await;
    until("three attempts", || hook.got().len() == 3).await;
    let got = hook.got();
    assert!(
        got.iter()
            .all(|r| r.id == got[0].id && r.body == got[0].body)
    );
    assert!(got.iter().all(|r| verifies(&secret, r)));
    let delivery = got[0].id.clone();
    let entry = latest_delivery(&app, &w.office, &id, |e| e["status"] == "delivered").await;
    assert_eq!(entry["status"], "delivered", "{entry}");
    assert_eq!(entry["attempts"], 3);
    assert_eq!(entry["id"], json!(delivery));

    // Asked again, it comes again, with the same id.
    app.post(&format!(
        "/api/v1/webhooks/{id}/deliveries/{delivery}/redeliver"
    ))
    .auth(&w.office)
    .send()
    .await
    .assert_status(200);
    until("the redelivery", || hook.got().len() == 4).await;
    assert_eq!(hook.got()[3].id, delivery);
    assert_eq!(hook.got()[3].json()["record"]["id"], json!(contract));

    // A rotated secret: for a day both sign, so a receiver on either accepts.
    let rotated = app
        .post(&format!("/api/v1/webhooks/{id}/rotate-secret"))
        .auth(&w.office)
        .send()
        .await;
    let new_secret = rotated.assert_status(200)["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(new_secret, secret);
    w.draft(&app, &w.office, w.housing(2, "2027-05-01", "2027-05-02"))
        .await;
    until("a delivery after the rotation", || hook.got().len() == 5).await;
    let last = hook.got()[4].clone();
    assert!(verifies(&new_secret, &last) && verifies(&secret, &last));
    assert_eq!(last.signature.split(' ').count(), 2);

    // Once that delivery is recorded (a success clears the failures' start)...
    latest_delivery(&app, &w.office, &id, |e| e["status"] == "delivered").await;
    // ... failing for more than a day (the start of the failures moved back), the next failure
    // disables the webhook and the office is told.
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    {
        use diesel::RunQueryDsl;
        diesel::sql_query(format!(
            "UPDATE webhook_subscriptions SET failing_since = '2020-01-01 00:00:00' WHERE id = '{id}'"
        ))
        .execute(&mut conn)
        .unwrap();
    }
    hook.answer(&[500; 20]);
    w.draft(&app, &w.office, w.housing(2, "2027-05-01", "2027-05-02"))
        .await;
    let mut status = Value::Null;
    for _ in 0..200 {
        let one = app
            .get(&format!("/api/v1/webhooks/{id}"))
            .auth(&w.office)
            .send()
            .await;
        status = one.body["status"].clone();
        if status == "disabled" {
            break;
        }
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(status, "disabled");
    let inbox = app
        .get("/api/v1/notifications")
        .auth(&w.office)
        .send()
        .await;
    assert!(
        inbox.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "webhook_disabled"
                && n["text"].as_str().unwrap().contains(&hook.url)),
        "{}",
        inbox.text
    );
    // Disabled, nothing more goes out; turned back on, what waited goes.
    let before = hook.got().len();
    actix_web::rt::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(hook.got().len(), before);
    app.patch(&format!("/api/v1/webhooks/{id}"))
        .auth(&w.office)
        .header("If-Match", "*")
        .json(json!({"url": hook.url, "event_types": ["contract.created"], "active": true}))
        .await
        .assert_status(200);
    until("deliveries after turning it back on", || {
        hook.got().len() > before
    })
    .await;
}

/// Without the operator's leave, targets on the loopback, private or link-local networks are
/// refused when subscribing, and a name that resolves to one is never connected to.
async fn private_targets_are_refused(app: TestApp) {
    let w = World::new(&app).await;
    let path = format!(
        "/api/v1/organizations/{}/webhooks",
        w.office.organization_id
    );
    for (url, code) in [
        ("http://127.0.0.1:9/hook", "invalid_url"),
        ("https://127.0.0.1/hook", "target_not_allowed"),
        ("https://localhost/hook", "target_not_allowed"),
        (
            "https://169.254.169.254/latest/meta-data",
            "target_not_allowed",
        ),
        ("https://10.0.0.7/hook", "target_not_allowed"),
        ("https://[::1]/hook", "target_not_allowed"),
        ("https://user:secret@partner.example/hook", "invalid_url"),
        ("ftp://partner.example/hook", "invalid_url"),
    ] {
        let reply = app
            .post(&path)
            .auth(&w.office)
            .json(json!({"url": url}))
            .await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.body["errors"][0]["field"], "url", "{url}");
        assert_eq!(reply.body["errors"][0]["code"], code, "{url}");
    }
    let unknown = app
        .post(&path)
        .auth(&w.office)
        .json(json!({"url": "https://partner.example/hook", "event_types": ["contract.nothing"]}))
        .await;
    unknown.assert_problem(422, "validation_failed");
    // A name (this machine's own) that resolves to a private address: accepted as a URL, but the
    // delivery never connects; the log says why.
    let name = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_owned())
        .unwrap_or_default();
    if name.is_empty() {
        return;
    }
    let (id, _) = subscribe(&app, &w.office, &format!("https://{name}:9/hook"), &[]).await;
    w.draft(&app, &w.office, w.housing(2, "2027-05-01", "2027-05-02"))
        .await;
    let entry = latest_delivery(&app, &w.office, &id, |e| {
        e["attempts"].as_i64().unwrap_or(0) >= 1
    })
    .await;
    assert_eq!(entry["status"], "pending", "{entry}");
    assert!(entry.get("last_status").is_none(), "{entry}");
    let error = entry["last_error"].as_str().unwrap_or_default();
    assert!(error.contains("no address deliveries may go to"), "{entry}");
}

/// A receiver that answers with a redirection is not followed: the delivery counts as failed and
/// is retried at the same URL; the URL redirected to hears nothing.
async fn redirects_are_not_followed(app: TestApp) {
    let w = World::new(&app).await;
    let (hook, elsewhere) = (receiver().await, receiver().await);
    hook.answer(&[307, 307]);
    hook.redirect_to(&elsewhere.url);
    let (id, _) = subscribe(&app, &w.office, &hook.url, &["contract.created"]).await;
    w.draft(&app, &w.office, w.housing(1, "2027-05-01", "2027-05-02"))
        .await;
    until("two refusals and a success", || hook.got().len() == 3).await;
    let entry = latest_delivery(&app, &w.office, &id, |e| e["status"] == "delivered").await;
    assert_eq!(entry["attempts"], 3, "{entry}");
    assert!(
        elsewhere.got().is_empty(),
        "the redirection was not followed"
    );
}

/// While a receiver holds every delivery unanswered, the API goes on answering: sending never
/// stands in a request's way.
async fn a_slow_receiver_never_holds_up_requests(app: TestApp) {
    let w = World::new(&app).await;
    let hook = receiver().await;
    hook.take_time(&[Duration::from_secs(30); 40]);
    subscribe(&app, &w.office, &hook.url, &[]).await;
    for _ in 0..3 {
        w.draft(&app, &w.office, w.housing(1, "2027-05-01", "2027-05-02"))
            .await;
    }
    until("deliveries in flight", || hook.got().len() >= 3).await;
    for i in 0..10 {
        w.draft(&app, &w.agency, w.housing(1, "2027-05-01", "2027-05-02"))
            .await;
        app.get("/api/v1/contracts?limit=50")
            .auth(if i % 2 == 0 { &w.office } else { &w.provider })
            .send()
            .await
            .assert_status(200);
    }
    assert_eq!(
        hook.answered(),
        0,
        "every request answered while the receiver held on"
    );
}

mod open {
    crate::backend_tests!(super::fast;
        each_organisation_receives_what_it_may_read,
        failures_are_retried_redelivered_and_disable_the_webhook,
        a_slow_receiver_never_holds_up_requests,
        redirects_are_not_followed,
    );
    use super::*;
}

fn strict(s: &mut etrack::config::Settings) {
    s.webhooks.every = Duration::from_millis(100);
    s.webhooks.retry_base = Duration::from_millis(100);
}

crate::backend_tests!(super::strict; private_targets_are_refused);

/// A process killed (SIGKILL) while its delivery is in flight: another process sends it again once
/// the claim's lease has run out, with the same `webhook-id`; it is delivered, and the log says so.
async fn a_killed_sender_delivers_again(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let env = [
        ("ETRACK_WEBHOOKS_ALLOW_PRIVATE", "1"),
        ("ETRACK_WEBHOOK_TIMEOUT_SECONDS", "2"),
        ("ETRACK_WEBHOOK_RETRY_BASE_MS", "100"),
    ];
    let mut first = ServerProcess::start_with(&db.url, &env);
    let api = TestApp::remote(&first.base, backend);
    let w = World::new(&api).await;
    let hook = receiver().await;
    let (id, secret) = subscribe(&api, &w.office, &hook.url, &["contract.created"]).await;
    // The receiver takes its time over the first attempt; the sender dies meanwhile.
    hook.take_time(&[Duration::from_secs(5)]);
    let contract = w
        .draft(&api, &w.office, w.housing(2, "2027-05-01", "2027-05-02"))
        .await;
    until("the first attempt", || hook.got().len() == 1).await;
    first.signal("KILL");
    first.wait(Duration::from_secs(10));
    let second = ServerProcess::start_with(&db.url, &env);
    let api = TestApp::remote(&second.base, backend);
    until("the attempt of the second process", || {
        hook.got().len() >= 2
    })
    .await;
    let got = hook.got();
    assert_eq!(got[1].id, got[0].id, "the same webhook-id");
    assert_eq!(got[1].body, got[0].body);
    assert!(verifies(&secret, &got[1]));
    assert_eq!(got[1].json()["record"]["id"], json!(contract));
    let entry = latest_delivery(&api, &w.office, &id, |e| e["status"] == "delivered").await;
    assert_eq!(entry["status"], "delivered", "{entry}");
}

#[actix_web::test]
async fn a_killed_sqlite_sender_delivers_again() {
    a_killed_sender_delivers_again(Backend::Sqlite).await;
}

#[actix_web::test]
async fn a_killed_postgres_sender_delivers_again() {
    a_killed_sender_delivers_again(Backend::Postgres).await;
}
