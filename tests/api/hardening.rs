//! Holding under abuse: waits after failed sign-ins (also across processes), security headers,
//! CORS, limits on what a request may carry, and creations that a replay cannot double.

use std::time::Duration;

use serde_json::{Value, json};

use crate::helpers::{ADMIN_EMAIL, Backend, PASSWORD, Reply, TestApp, TestDb};
use crate::process::ServerProcess;
use crate::world::World;

async fn login_from(app: &TestApp, address: &str, email: &str, password: &str) -> Reply {
    app.post("/api/v1/auth/login")
        .header("X-Forwarded-For", address)
        .json(json!({"email": email, "password": password}))
        .await
}

fn retry_after(reply: &Reply) -> u64 {
    reply.assert_problem(429, "rate_limited");
    reply
        .header("retry-after")
        .expect("a 429 says how long to wait")
        .parse()
        .unwrap()
}

/// Two free failures per account and address, then 1 s, 2 s, ... Another address is not slowed by
/// the first one's failures, and the account as a whole waits a minute at most.
async fn failed_sign_ins_make_the_next_attempt_wait(app: TestApp) {
    let attacker = "192.0.2.1";
    for _ in 0..3 {
        login_from(&app, attacker, ADMIN_EMAIL, "wrong-password")
            .await
            .assert_problem(401, "invalid_credentials");
    }
    // The third failure started a 1 s wait; even the right password is not checked meanwhile.
    assert_eq!(
        retry_after(&login_from(&app, attacker, ADMIN_EMAIL, "wrong-password").await),
        1
    );
    assert_eq!(
        retry_after(&login_from(&app, attacker, ADMIN_EMAIL, PASSWORD).await),
        1
    );
    // Only the last X-Forwarded-For entry (the load balancer's) counts: a forged first entry
    // does not escape the wait.
    assert_eq!(
        retry_after(
            &login_from(
                &app,
                &format!("203.0.113.9, {attacker}"),
                ADMIN_EMAIL,
                PASSWORD
            )
            .await
        ),
        1
    );
    // The real user, elsewhere, signs in at once.
    login_from(&app, "198.51.100.7", ADMIN_EMAIL, PASSWORD)
        .await
        .assert_status(200);
    // The wait grows: after it passes, one more failure means 2 s.
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    login_from(&app, attacker, ADMIN_EMAIL, "wrong-password")
        .await
        .assert_problem(401, "invalid_credentials");
    assert_eq!(
        retry_after(&login_from(&app, attacker, ADMIN_EMAIL, "wrong").await),
        2
    );

    // Guessing from many addresses slows the account down, but never for more than a minute.
    let victim = "victim@ministry.sa";
    for i in 0..12 {
        let reply = login_from(&app, &format!("10.9.0.{i}"), victim, "guess").await;
        assert!(
            reply.status == 401 || reply.status == 429,
            "{}",
            reply.status
        );
    }
    let wait = retry_after(&login_from(&app, "10.9.1.1", victim, "guess").await);
    assert!((1..=60).contains(&wait), "{wait}");
}

async fn change_password_from(
    app: &TestApp,
    session: &crate::helpers::Session,
    address: &str,
    current: &str,
) -> Reply {
    app.post("/api/v1/me/password")
        .auth(session)
        .header("X-Forwarded-For", address)
        .json(json!({"current_password": current, "new_password": "another long passphrase"}))
        .await
}

/// A stolen token is no password-guessing oracle: wrong current passwords count as failed sign-ins
/// of the account, the next attempt waits (even with the right password), sign-in waits with it,
/// and once the wait is over the right password works.
async fn wrong_current_passwords_make_the_next_attempt_wait(app: TestApp) {
    let me = app.ministry_admin().await;
    let from = "192.0.2.50";
    for _ in 0..3 {
        let reply = change_password_from(&app, &me, from, "not my password").await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.body["errors"][0]["code"], "wrong_password");
    }
    assert_eq!(
        retry_after(&change_password_from(&app, &me, from, PASSWORD).await),
        1
    );
    assert_eq!(
        retry_after(&login_from(&app, from, ADMIN_EMAIL, PASSWORD).await),
        1
    );
    actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
    change_password_from(&app, &me, from, PASSWORD)
        .await
        .assert_status(204);
    login_from(&app, "198.51.100.8", ADMIN_EMAIL, "another long passphrase")
        .await
        .assert_status(200);
}

/// Failed refreshes from one address wait too, and a good refresh still works elsewhere.
async fn failed_refreshes_make_the_next_attempt_wait(app: TestApp) {
    let session = app.ministry_admin().await;
    let refresh_from = |address: &'static str, token: String| {
        let app = &app;
        async move {
            app.post("/api/v1/auth/refresh")
                .header("X-Forwarded-For", address)
                .json(json!({"refresh_token": token}))
                .await
        }
    };
    // Four times the free failures per address: eight, then a wait.
    for _ in 0..9 {
        refresh_from("192.0.2.5", "rt_forged".into())
            .await
            .assert_problem(401, "unauthorized");
    }
    retry_after(&refresh_from("192.0.2.5", "rt_forged".into()).await);
    refresh_from("192.0.2.6", session.refresh_token.clone())
        .await
        .assert_status(200);
}

/// Every answer, errors included, carries the security headers; the API forbids everything a page
/// could do, the documentation page may run its own scripts.
async fn security_headers_on_every_answer(app: TestApp) {
    let session = app.ministry_admin().await;
    for reply in [
        app.get("/api/v1/me").auth(&session).send().await,
        app.get("/api/v1/me").send().await,
        app.get("/api/v1/no-such-thing").send().await,
        app.post("/api/v1/auth/login").raw(None, "x").await,
        app.get("/health/live").send().await,
    ] {
        for (name, value) in [
            ("x-content-type-options", "nosniff"),
            ("x-frame-options", "DENY"),
            ("referrer-policy", "no-referrer"),
            ("cache-control", "no-store"),
            ("cross-origin-opener-policy", "same-origin"),
            (
                "content-security-policy",
                "default-src 'none'; frame-ancestors 'none'",
            ),
        ] {
            assert_eq!(
                reply.header(name).as_deref(),
                Some(value),
                "{name} on {reply:?}"
            );
        }
        assert!(
            reply
                .header("strict-transport-security")
                .is_some_and(|v| v.starts_with("max-age="))
        );
    }
    let docs = app.get("/docs/").send().await;
    assert_eq!(docs.status, 200);
    let csp = docs.header("content-security-policy").unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    // No browser origin is allowed unless configured.
    let cross = app
        .get("/api/v1/me")
        .auth(&session)
        .header("Origin", "https://evil.example")
        .send()
        .await;
    assert_eq!(cross.header("access-control-allow-origin"), None);
}

/// What a client decodes an answer sent with `encoding` by.
fn unpacked(encoding: &str, bytes: &[u8]) -> Value {
    use std::io::Read;
    let mut plain = Vec::new();
    match encoding {
        "gzip" => flate2::read::GzDecoder::new(bytes).read_to_end(&mut plain),
        "br" => brotli::Decompressor::new(bytes, 4096).read_to_end(&mut plain),
        other => panic!("no decoder for {other}"),
    }
    .unwrap_or_else(|e| panic!("not {encoding}: {e}"));
    serde_json::from_slice(&plain).unwrap()
}

/// The API's answers are compressed (gzip or brotli) when the caller asks, and only then, and say
/// so; the console's pages, which carry form tokens, never are.
async fn answers_compressed_when_asked(app: TestApp) {
    let session = app.ministry_admin().await;
    for path in ["/api/v1/organizations?limit=200", "/openapi.json"] {
        let plain = app.get(path).auth(&session).send().await;
        assert_eq!(plain.status, 200);
        assert_eq!(plain.header("content-encoding"), None, "{path}");
        for encoding in ["gzip", "br"] {
            let packed = app
                .get(path)
                .auth(&session)
                .header("Accept-Encoding", encoding)
                .send()
                .await;
            assert_eq!(packed.status, 200);
            assert_eq!(packed.header("content-encoding").as_deref(), Some(encoding));
            assert!(
                packed
                    .header("vary")
                    .is_some_and(|v| v.to_ascii_lowercase().contains("accept-encoding")),
                "{packed:?}"
            );
            assert_eq!(
                unpacked(encoding, &packed.bytes),
                plain.body,
                "{path} {encoding}"
            );
        }
    }
    // A problem document is compressed too, and still in the language asked for.
    for encoding in ["gzip", "br"] {
        let problem = app
            .get("/api/v1/no-such-thing")
            .header("Accept-Encoding", encoding)
            .header("Accept-Language", "ar")
            .send()
            .await;
        assert_eq!(problem.status, 404);
        assert_eq!(
            problem.header("content-encoding").as_deref(),
            Some(encoding)
        );
        let read = unpacked(encoding, &problem.bytes);
        assert_eq!(read["code"], "not_found");
        let title = read["title"].as_str().unwrap();
        assert!(
            title
                .chars()
                .any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
            "{title}"
        );
    }
    for page in ["/sign-in", "/password"] {
        let reply = app
            .get(page)
            .header("Accept-Encoding", "gzip, deflate, br")
            .send()
            .await;
        assert!(reply.text.contains("<html"), "{page}: {reply:?}");
        assert_eq!(reply.header("content-encoding"), None, "{page}");
    }
}

/// A configured origin may call the API from a browser (preflight included); others get no
/// CORS headers, so their pages cannot read the answers.
async fn cors_for_configured_origins_only(app: TestApp) {
    let preflight = app
        .request(awc::http::Method::OPTIONS, "/api/v1/contracts")
        .header("Origin", "https://portal.hajj.example")
        .header("Access-Control-Request-Method", "POST")
        .header(
            "Access-Control-Request-Headers",
            "authorization, content-type, idempotency-key",
        )
        .send()
        .await;
    assert_eq!(preflight.status, 200, "{preflight:?}");
    assert_eq!(
        preflight.header("access-control-allow-origin").as_deref(),
        Some("https://portal.hajj.example")
    );
    let session = app.ministry_admin().await;
    let allowed = app
        .get("/api/v1/me")
        .auth(&session)
        .header("Origin", "https://portal.hajj.example")
        .send()
        .await;
    assert_eq!(allowed.status, 200);
    assert_eq!(
        allowed.header("access-control-allow-origin").as_deref(),
        Some("https://portal.hajj.example")
    );
    assert!(
        allowed
            .header("access-control-expose-headers")
            .is_some_and(|h| h.to_lowercase().contains("etag"))
    );
    let other = app
        .get("/api/v1/me")
        .auth(&session)
        .header("Origin", "https://evil.example")
        .send()
        .await;
    assert_eq!(other.header("access-control-allow-origin"), None);
}

/// Deeply nested JSON, too many headers and oversized headers are refused, and nothing changes.
async fn limits_on_what_a_request_carries(app: TestApp) {
    let session = app.ministry_admin().await;
    let deep = format!("{}{}", "[".repeat(5000), "]".repeat(5000));
    app.post("/api/v1/organizations")
        .auth(&session)
        .raw(Some("application/json"), deep)
        .await
        .assert_problem(400, "malformed_json");
    let nested_object = format!(
        "{{\"kind\":\"agency\",\"name\":{}1{}}}",
        "{\"a\":".repeat(200),
        "}".repeat(200)
    );
    app.post("/api/v1/organizations")
        .auth(&session)
        .raw(Some("application/json"), nested_object)
        .await
        .assert_problem(400, "malformed_json");
    // More headers than the parser takes: the connection is refused before any handler runs.
    // A client of its own: the refused connection must not go back to the shared pool.
    let mut many = awc::Client::default()
        .get(format!("{}/api/v1/me", app.base))
        .bearer_auth(&session.access_token);
    for i in 0..120 {
        many = many.insert_header((format!("x-filler-{i}"), "1"));
    }
    match many.send().await {
        Ok(r) => assert!(r.status().is_client_error(), "{}", r.status()),
        Err(e) => assert!(e.to_string().contains("isconnect"), "{e}"),
    }
    app.get("/api/v1/me")
        .auth(&session)
        .header("x-filler", "a".repeat(20 * 1024))
        .send()
        .await
        .assert_problem(431, "headers_too_large");
    // A known path with a method it does not take: 405 naming the ones it does.
    let wrong = app
        .request(awc::http::Method::DELETE, "/api/v1/contracts")
        .auth(&session)
        .send()
        .await;
    wrong.assert_problem(405, "method_not_allowed");
    assert_eq!(wrong.header("allow").as_deref(), Some("GET, POST"));
    let trace = app
        .request(awc::http::Method::TRACE, "/api/v1/contracts/0193/history")
        .send()
        .await;
    assert_eq!(trace.header("allow").as_deref(), Some("GET"));
    let orgs = app
        .get("/api/v1/organizations?limit=200")
        .auth(&session)
        .send()
        .await;
    assert_eq!(orgs.body["items"].as_array().unwrap().len(), 1);
}

/// A creation sent again with its `Idempotency-Key` (even in parallel, even with its keys in
/// another order) creates nothing more: a planned group is not counted twice against R11.
async fn replayed_creations_create_nothing(app: TestApp) {
    let w = World::new(&app).await;
    let path = format!("/api/v1/seasons/{}/groups", w.season);
    let body = json!({"name": "replayed", "pilgrims": 10,
        "arrival": {"port": "jed", "date": "2027-05-10"}, "departure": {"port": "jed", "date": "2027-05-13"},
        "stays": [{"city": "makkah", "from": "2027-05-10", "to": "2027-05-13"}]});
    let first = app
        .post(&path)
        .auth(&w.office)
        .header("Idempotency-Key", "plan-1")
        .json(body.clone())
        .await;
    first.assert_status(201);
    let id = first.body["id"].as_str().unwrap().to_owned();
    let retries = futures_util::future::join_all((0..6).map(|_| {
        app.post(&path)
            .auth(&w.office)
            .header("Idempotency-Key", "plan-1")
            .raw(
                Some("application/json"),
                // The same document, its keys in another order.
                r#"{"stays": [{"to": "2027-05-13", "from": "2027-05-10", "city": "makkah"}], "pilgrims": 10, "name": "replayed",
                    "departure": {"date": "2027-05-13", "port": "jed"}, "arrival": {"date": "2027-05-10", "port": "jed"}}"#,
            )
    }))
    .await;
    for r in &retries {
        r.assert_status(201);
        assert_eq!(r.body["id"], id.as_str());
        assert_eq!(r.header("idempotent-replayed").as_deref(), Some("true"));
    }
    // In parallel, new keys: each a group of its own, exactly once.
    let parallel = futures_util::future::join_all((0..4).map(|i| {
        let key = format!("plan-p{}", i % 2);
        app.post(&path)
            .auth(&w.office)
            .header("Idempotency-Key", key)
            .json(json!({"name": format!("p{}", i % 2), "pilgrims": 5,
                "arrival": {"port": "jed", "date": "2027-05-10"}, "departure": {"port": "jed", "date": "2027-05-13"},
                "stays": [{"city": "makkah", "from": "2027-05-10", "to": "2027-05-13"}]}))
    }))
    .await;
    assert!(parallel.iter().all(|r| r.status == 201), "{parallel:?}");
    let groups = app.get(&path).auth(&w.office).send().await;
    assert_eq!(groups.body["items"].as_array().unwrap().len(), 3);
    let readiness = app
        .get(&format!(
            "/api/v1/seasons/{}/readiness/{}",
            w.season, w.office.organization_id
        ))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(readiness.body["planned"], 20);

    // The same key with another body, or on another route, is refused and changes nothing.
    let mut other = body.clone();
    other["pilgrims"] = json!(11);
    app.post(&path)
        .auth(&w.office)
        .header("Idempotency-Key", "plan-1")
        .json(other)
        .await
        .assert_problem(409, "idempotency_key_reused");
    app.post("/api/v1/contracts")
        .auth(&w.office)
        .header("Idempotency-Key", "plan-1")
        .json(w.housing(5, "2027-05-10", "2027-05-12"))
        .await
        .assert_problem(409, "idempotency_key_reused");
    // Keys belong to an organisation: another one's same key is its own.
    app.post(&path)
        .auth(&w.other_office)
        .header("Idempotency-Key", "plan-1")
        .json(body.clone())
        .await
        .assert_status(201);
    for bad in ["", &"k".repeat(201)] {
        app.post(&path)
            .auth(&w.office)
            .header("Idempotency-Key", bad)
            .json(body.clone())
            .await
            .assert_problem(400, "invalid_header");
    }
    let groups = app.get(&path).auth(&w.office).send().await;
    assert_eq!(groups.body["items"].as_array().unwrap().len(), 3);
}

/// NUL and other control characters are refused wherever text comes in, on both backends, before
/// any of it reaches the database (PostgreSQL cannot store a NUL in text); line breaks pass where
/// a field is multi-line and are refused where it is not.
async fn control_characters_are_refused_in_one_place(app: TestApp) {
    let w = World::new(&app).await;
    // The sign-in email: a problem naming the field, never a server error.
    let reply = app
        .post("/api/v1/auth/login")
        .json(json!({"email": "admin@ministry.test\u{0}", "password": PASSWORD}))
        .await;
    reply.assert_problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "email");
    assert_eq!(reply.body["errors"][0]["code"], "invalid_characters");
    // Deep in a body, by its path.
    let mut group = json!({"name": "ok", "pilgrims": 10,
        "arrival": {"port": "jed", "date": "2027-05-10"}, "departure": {"port": "jed", "date": "2027-05-13"},
        "stays": [{"city": "makkah\u{7}", "from": "2027-05-10", "to": "2027-05-13"}]});
    let path = format!("/api/v1/seasons/{}/groups", w.season);
    let reply = app.post(&path).auth(&w.office).json(group.clone()).await;
    reply.assert_problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "stays[0].city");
    // A line break in a single-line field is refused by the field itself.
    group["stays"][0]["city"] = json!("makkah");
    group["name"] = json!("two\nlines");
    let reply = app.post(&path).auth(&w.office).json(group).await;
    reply.assert_problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "name");
    // A multi-line reason keeps its line breaks.
    let draft = app
        .post("/api/v1/contracts")
        .auth(&w.office)
        .json(w.housing(5, "2027-05-10", "2027-05-12"))
        .await;
    draft.assert_status(201);
    let id = draft.body["id"].as_str().unwrap();
    app.post(&format!("/api/v1/contracts/{id}/cancel"))
        .auth(&w.office)
        .json(json!({"reason": "filed twice\nsee the other one"}))
        .await
        .assert_status(200);
    // Searches and filters in the query string, encoded or not.
    for list in [
        "/api/v1/contracts?q=al%00safwa",
        "/api/v1/organizations?q=%00",
        "/api/v1/facilities?q=tower%1F",
        "/api/v1/audit?entity_id=%00",
        "/api/v1/audit?organization_id=x%7F",
    ] {
        let reply = app.get(list).auth(&w.ministry).send().await;
        assert_eq!(reply.status, 400, "{list}: {reply:?}");
        reply.assert_problem(400, "invalid_query");
        assert_eq!(
            reply.body["errors"][0]["code"], "invalid_characters",
            "{list}"
        );
    }
    // Nothing was written by any of it: the office's only contract is the one cancelled.
    let mine = app.get("/api/v1/contracts").auth(&w.office).send().await;
    assert_eq!(mine.body["items"].as_array().unwrap().len(), 1);
}

/// One's own password changes only with the current one: an admin editing itself cannot set it.
async fn own_password_only_with_the_current_one(app: TestApp) {
    let w = World::new(&app).await;
    let path = format!("/api/v1/users/{}", w.office.user_id);
    app.patch(&path)
        .auth(&w.office)
        .header("If-Match", "*")
        .json(json!({"password": "a brand new passphrase"}))
        .await
        .assert_problem(409, "own_password");
    app.try_login(&w.office.email, PASSWORD)
        .await
        .assert_status(200);
    app.try_login(&w.office.email, "a brand new passphrase")
        .await
        .assert_problem(401, "invalid_credentials");
    // Through the route that asks for the current password it works.
    app.post("/api/v1/me/password")
        .auth(&w.office)
        .json(json!({"current_password": PASSWORD, "new_password": "a brand new passphrase"}))
        .await
        .assert_status(204);
    // An admin still resets a colleague's password without knowing it.
    let colleague = app
        .post(&format!(
            "/api/v1/organizations/{}/users",
            w.office.organization_id
        ))
        .auth(&w.office)
        .json(
            json!({"email": "colleague@office.test", "full_name": "A colleague",
            "role": "officer", "password": PASSWORD}),
        )
        .await;
    colleague.assert_status(201);
    let id = colleague.body["id"].as_str().unwrap();
    app.patch(&format!("/api/v1/users/{id}"))
        .auth(&w.office)
        .header("If-Match", "*")
        .json(json!({"password": "another fresh passphrase"}))
        .await
        .assert_status(200);
}

mod limited {
    use super::*;
    crate::backend_tests!(|s: &mut etrack::config::Settings| {
        s.login_limits.free_failures = 2;
        s.behind_proxy = true;
    };
        failed_sign_ins_make_the_next_attempt_wait,
        failed_refreshes_make_the_next_attempt_wait,
        wrong_current_passwords_make_the_next_attempt_wait,
    );
}

mod plain {
    use super::*;
    crate::backend_tests!(
        security_headers_on_every_answer,
        answers_compressed_when_asked,
        limits_on_what_a_request_carries,
        replayed_creations_create_nothing,
        control_characters_are_refused_in_one_place,
        own_password_only_with_the_current_one,
    );
}

mod cors {
    use super::*;
    crate::backend_tests!(|s: &mut etrack::config::Settings| {
        s.cors_origins = vec!["https://portal.hajj.example".into()];
    };
        cors_for_configured_origins_only,
    );
}

/// The counts live in the database: failures spread over two processes add up.
#[test]
fn waits_hold_across_processes() {
    let Some(db) = TestDb::create(Backend::Postgres) else {
        return;
    };
    let env = [("ETRACK_LOGIN_FREE_FAILURES", "1")];
    let a = ServerProcess::start_with(&db.url, &env);
    let b = ServerProcess::start_with(&db.url, &env);
    actix_web::rt::System::new().block_on(async {
        let (a, b) = (
            TestApp::remote(&a.base, Backend::Postgres),
            TestApp::remote(&b.base, Backend::Postgres),
        );
        a.try_login(ADMIN_EMAIL, "wrong")
            .await
            .assert_problem(401, "invalid_credentials");
        b.try_login(ADMIN_EMAIL, "wrong")
            .await
            .assert_problem(401, "invalid_credentials");
        retry_after(&a.try_login(ADMIN_EMAIL, PASSWORD).await);
        retry_after(&b.try_login(ADMIN_EMAIL, PASSWORD).await);
        actix_web::rt::time::sleep(Duration::from_millis(1100)).await;
        a.try_login(ADMIN_EMAIL, PASSWORD).await.assert_status(200);
    });
}
