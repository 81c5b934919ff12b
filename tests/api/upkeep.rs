//! What keeps a season's portal healthy over months: dates within sane bounds, bookkeeping pruned
//! after its time, changes retried when the database aborts them for concurrent ones, metrics for
//! the operators, and audit archives that check out without the database.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use etrack::config::DatabaseUrl;
use serde_json::json;

use crate::helpers::{Backend, PASSWORD, TestApp, spawn_app_with};
use crate::process::run_etrack;
use crate::world::World;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

/// `SELECT count(*) AS n ...` behind the API's back.
fn count(url: &DatabaseUrl, sql: &str) -> i64 {
    let query = diesel::sql_query(sql);
    match url {
        DatabaseUrl::Postgres(u) => {
            query
                .get_result::<Count>(&mut PgConnection::establish(u).unwrap())
                .unwrap()
                .n
        }
        DatabaseUrl::Sqlite(p) => {
            query
                .get_result::<Count>(&mut SqliteConnection::establish(p).unwrap())
                .unwrap()
                .n
        }
    }
}

/// A date in year 1 or 9999 is refused wherever dates come in, naming the field; an inspection
/// must fall within half a year of its contract's season.
async fn dates_are_bounded(app: TestApp) {
    let w = World::new(&app).await;
    for (path, body, field) in [
        (
            "/api/v1/contracts".to_owned(),
            w.housing(5, "0001-01-01", "2027-05-12"),
            "starts_on",
        ),
        (
            "/api/v1/contracts".to_owned(),
            w.housing(5, "2027-05-10", "9999-12-31"),
            "ends_on",
        ),
        (
            format!("/api/v1/seasons/{}/groups", w.season),
            json!({"name": "g", "pilgrims": 10,
                "arrival": {"port": "jed", "date": "1900-05-10"}, "departure": {"port": "jed", "date": "2027-05-13"},
                "stays": [{"city": "makkah", "from": "2027-05-10", "to": "2027-05-13"}]}),
            "arrival.date",
        ),
        (
            format!("/api/v1/seasons/{}/groups", w.season),
            json!({"name": "g", "pilgrims": 10,
                "arrival": {"port": "jed", "date": "2027-05-10"}, "departure": {"port": "jed", "date": "2027-05-13"},
                "stays": [{"city": "makkah", "from": "2027-05-10", "to": "3027-05-13"}]}),
            "stays[0].to",
        ),
    ] {
        let reply = app.post(&path).auth(&w.office).json(body).await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.body["errors"][0]["field"], field, "{reply:?}");
        assert_eq!(reply.body["errors"][0]["code"], "out_of_range");
    }
    let reply = app
        .post("/api/v1/facilities")
        .auth(&w.provider)
        .json(
            json!({"kind": "building", "name": "Old", "city": "makkah", "licence_no": "B-old",
            "licence_valid_from": "0001-01-01", "licence_valid_to": "2027-12-31", "capacity": 10}),
        )
        .await;
    reply.assert_problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "licence_valid_from");
    let reply = app
        .get(&format!(
            "/api/v1/facilities/{}/usage?from=0001-01-01&to=2027-05-01",
            w.building
        ))
        .auth(&w.provider)
        .send()
        .await;
    reply.assert_problem(400, "invalid_query");
    let season = app
        .post("/api/v1/seasons")
        .auth(&w.ministry)
        .json(json!({"kind": "umrah", "hijri_year": 1449, "name": "Far",
            "starts_on": "2027-09-01", "ends_on": "2150-01-01",
            "deadlines": {"housing": "2027-08-01", "transport": "2027-08-01", "catering": "2027-08-01"}}))
        .await;
    season.assert_problem(422, "validation_failed");
    assert_eq!(season.body["errors"][0]["field"], "ends_on");
    assert_eq!(season.body["errors"][0]["code"], "out_of_range");

    // Inspections: the season runs 2027-04-01 to 2027-06-30.
    let id = w
        .approved(&app, &w.office, w.housing(5, "2027-05-10", "2027-05-12"))
        .await;
    for (on, status) in [
        ("1999-12-31", 422),
        ("2026-09-01", 422),
        ("2026-11-01", 201),
    ] {
        let reply = app
            .post("/api/v1/inspections")
            .auth(&w.tawafa)
            .json(json!({"contract_id": id, "inspected_on": on, "result": "pass"}))
            .await;
        assert_eq!(reply.status, status, "{on}: {reply:?}");
        if status == 422 {
            assert_eq!(reply.body["errors"][0]["field"], "inspected_on");
            assert_eq!(reply.body["errors"][0]["code"], "out_of_range");
        }
    }
}

/// Sent emails and webhook deliveries, idempotency answers, sign-in counters and ended sessions go
/// once their time is past; live sessions and everything else stay.
async fn bookkeeping_is_pruned_after_its_time(app: TestApp) {
    let w = World::new(&app).await;
    let url = app.database().clone();
    let hook = crate::webhooks::receiver().await;
    crate::webhooks::subscribe(&app, &w.office, &hook.url, &["contract.created"]).await;
    // An idempotent creation, a notification email, a failed sign-in, a session ended.
    let key = "retry-me-later";
    let body = w.housing(5, "2027-05-10", "2027-05-12");
    let first = app
        .post("/api/v1/contracts")
        .auth(&w.office)
        .header("Idempotency-Key", key)
        .json(body.clone())
        .await;
    first.assert_status(201);
    let replay = app
        .post("/api/v1/contracts")
        .auth(&w.office)
        .header("Idempotency-Key", key)
        .json(body.clone())
        .await;
    assert_eq!(
        replay.header("idempotent-replayed").as_deref(),
        Some("true")
    );
    assert_eq!(replay.body["id"], first.body["id"]);
    let id = first.body["id"].as_str().unwrap();
    w.step(&app, &w.office, id, "submit", None)
        .await
        .assert_status(200);
    app.try_login(&w.office.email, "not the password")
        .await
        .assert_problem(401, "invalid_credentials");
    assert!(count(&url, "SELECT count(*) AS n FROM throttles") > 0);
    let ended = app.login(&w.agency.email, PASSWORD).await;
    app.post("/api/v1/auth/logout")
        .auth(&ended)
        .send()
        .await
        .assert_status(204);
    assert!(
        count(
            &url,
            "SELECT count(*) AS n FROM sessions WHERE revoked_at IS NOT NULL"
        ) > 0
    );

    let mut pruned = false;
    for _ in 0..150 {
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        pruned = count(&url, "SELECT count(*) AS n FROM idempotent_requests") == 0
            && count(&url, "SELECT count(*) AS n FROM throttles") == 0
            && count(
                &url,
                "SELECT count(*) AS n FROM outbox WHERE status = 'sent'",
            ) == 0
            && count(
                &url,
                "SELECT count(*) AS n FROM sessions WHERE revoked_at IS NOT NULL",
            ) == 0
            && count(&url, "SELECT count(*) AS n FROM webhook_deliveries") == 0
            && !hook.got().is_empty()
            && !app.mails().is_empty();
        if pruned {
            break;
        }
    }
    assert!(pruned, "everything past its time is pruned within 15 s");
    // The key is forgotten: the same request now creates a second contract.
    let again = app
        .post("/api/v1/contracts")
        .auth(&w.office)
        .header("Idempotency-Key", key)
        .json(body)
        .await;
    again.assert_status(201);
    assert_eq!(again.header("idempotent-replayed"), None);
    assert_ne!(again.body["id"], first.body["id"]);
    // Live sessions are untouched, and so is what the portal is about.
    app.get("/api/v1/me")
        .auth(&w.office)
        .send()
        .await
        .assert_status(200);
    let contracts = app.get("/api/v1/contracts").auth(&w.office).send().await;
    assert_eq!(contracts.body["items"].as_array().unwrap().len(), 2);
    assert!(count(&url, "SELECT count(*) AS n FROM notifications") > 0);
    assert!(count(&url, "SELECT count(*) AS n FROM audit_events") > 0);
}

/// `/metrics` answers its scraper only, counts requests by route (never by raw path) and reads
/// the outbox, the audit log and the pool.
async fn metrics_for_the_scraper_only(app: TestApp) {
    let w = World::new(&app).await;
    app.get("/metrics").send().await.assert_status(401);
    app.get("/metrics")
        .header("Authorization", "Bearer not-the-metrics-token")
        .send()
        .await
        .assert_status(401);
    // A user's own token is not the scraper's.
    app.get("/metrics")
        .auth(&w.ministry)
        .send()
        .await
        .assert_status(401);
    for _ in 0..3 {
        app.get("/api/v1/contracts")
            .auth(&w.office)
            .send()
            .await
            .assert_status(200);
    }
    app.get("/api/v1/no/such/path/4815162342")
        .send()
        .await
        .assert_status(404);
    let reply = app
        .get("/metrics")
        .header("Authorization", format!("Bearer {METRICS_TOKEN}"))
        .send()
        .await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert!(
        reply
            .header("content-type")
            .is_some_and(|t| t.starts_with("text/plain; version=0.0.4"))
    );
    let text = &reply.text;
    assert!(
        text.contains(
            "etrack_http_requests_total{method=\"GET\",route=\"/api/v1/contracts\",status=\"200\"} 3\n"
        ),
        "{text}"
    );
    assert!(
        text.contains("route=\"unmatched\",status=\"404\"} 1\n"),
        "{text}"
    );
    assert!(
        !text.contains("4815162342"),
        "raw paths never become labels"
    );
    assert!(text.contains(
        "etrack_http_request_duration_seconds_count{method=\"GET\",route=\"/api/v1/contracts\"} 3\n"
    ));
    // What the three lists sent to the database: the session and the page at least, a handful
    // at most; a 404 outside any route sent nothing.
    let sent = |route: &str| -> u64 {
        let label = format!("etrack_db_statements_total{{method=\"GET\",route=\"{route}\"}} ");
        let line = text.lines().find(|l| l.starts_with(&label)).expect(&label);
        line[label.len()..].parse().unwrap()
    };
    let lists = sent("/api/v1/contracts");
    assert!(
        (2 * 3..=8 * 3).contains(&lists),
        "{lists} statements for 3 lists"
    );
    assert_eq!(sent("unmatched"), 0);
    for gauge in [
        "etrack_db_pool_size 6\n",
        "etrack_db_pool_wait_seconds_count ",
        "etrack_outbox_pending ",
        "etrack_outbox_oldest_pending_seconds ",
        "etrack_audit_unsealed ",
        "etrack_audit_unsealed_oldest_seconds ",
        "etrack_sign_in_waits 0\n",
    ] {
        assert!(text.contains(gauge), "{gauge} in {text}");
    }
}

/// Without a configured token there is no metrics page at all.
async fn no_metrics_without_a_token(app: TestApp) {
    let ministry = app.ministry_admin().await;
    app.get("/metrics")
        .auth(&ministry)
        .send()
        .await
        .assert_status(404);
}

const METRICS_TOKEN: &str = "scraper token of the operations team";

mod dates {
    use super::*;
    crate::backend_tests!(dates_are_bounded, no_metrics_without_a_token);
}

mod pruning {
    use super::*;
    crate::backend_tests!(|s: &mut etrack::config::Settings| {
        let soon = std::time::Duration::from_secs(3);
        s.retention.emails = soon;
        s.retention.idempotency = soon;
        s.retention.sign_in_counters = soon;
        s.retention.sessions = soon;
        s.retention.every = std::time::Duration::from_millis(200);
        s.webhooks.policy.allow_private = true;
        s.webhooks.every = std::time::Duration::from_millis(100);
    };
        bookkeeping_is_pruned_after_its_time,
    );
}

mod metrics {
    use super::*;
    crate::backend_tests!(|s: &mut etrack::config::Settings| {
        s.metrics_token = Some(etrack::config::Secret::new(crate::upkeep::METRICS_TOKEN));
    };
        metrics_for_the_scraper_only,
    );
}

/// Holds a facility's days from outside until the server's submission of a contract for it waits
/// on them (a submission takes the facility's days last, after everything else it changes), then
/// runs `then` in the same transaction. Returns when done.
fn hold_the_days_until_waited_on(
    url: &DatabaseUrl,
    facility: &str,
    started: &AtomicBool,
    then: impl FnOnce(&mut PgConnection),
) {
    let DatabaseUrl::Postgres(url) = url else {
        unreachable!("PostgreSQL only")
    };
    let mut conn = PgConnection::establish(url).unwrap();
    conn.batch_execute("SET deadlock_timeout = '60s'; BEGIN")
        .unwrap();
    diesel::sql_query(format!(
        "SELECT count(*) AS n FROM (SELECT day FROM facility_days WHERE facility_id = '{facility}' FOR UPDATE) d"
    ))
    .get_result::<Count>(&mut conn)
    .unwrap();
    started.store(true, Ordering::SeqCst);
    let mut waiting = false;
    for _ in 0..500 {
        std::thread::sleep(Duration::from_millis(20));
        waiting = diesel::sql_query(
            "SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() \
             AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()",
        )
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n > 0;
        if waiting {
            break;
        }
    }
    assert!(waiting, "the submission waits on the facility's days");
    then(&mut conn);
}

/// Holds a facility's days until a submission waits on them, then asks for the contract's row
/// (which the submission changed first): a deadlock, which PostgreSQL breaks by aborting the
/// server's transaction (this session waits far longer before looking for deadlocks). Then lets
/// go.
fn deadlock_a_submission(url: &DatabaseUrl, contract: &str, facility: &str, started: &AtomicBool) {
    hold_the_days_until_waited_on(url, facility, started, |conn| {
        // Blocks until PostgreSQL aborts the server's side of the cycle.
        diesel::sql_query(format!(
            "SELECT count(*) AS n FROM (SELECT id FROM contracts WHERE id = '{contract}' FOR UPDATE) c"
        ))
        .get_result::<Count>(conn)
        .unwrap();
        conn.batch_execute("ROLLBACK").unwrap();
    });
}

/// Drafts a contract and submits it while [`deadlock_a_submission`] runs; returns the answer.
async fn submit_in_a_deadlock(app: &TestApp) -> (World, String, crate::helpers::Reply) {
    let w = World::new(app).await;
    let id = w
        .draft(app, &w.office, w.housing(7, "2027-05-10", "2027-05-12"))
        .await;
    let started = Arc::new(AtomicBool::new(false));
    let (url, contract, facility, flag) = (
        app.database().clone(),
        id.clone(),
        w.building.clone(),
        started.clone(),
    );
    let outsider =
        std::thread::spawn(move || deadlock_a_submission(&url, &contract, &facility, &flag));
    while !started.load(Ordering::SeqCst) {
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    let reply = w.step(app, &w.office, &id, "submit", None).await;
    outsider.join().unwrap();
    (w, id, reply)
}

/// A contract's status and the actions of its history, as its client reads them.
async fn status_and_steps(app: &TestApp, w: &World, id: &str) -> (String, Vec<String>) {
    let contract = app
        .get(&format!("/api/v1/contracts/{id}"))
        .auth(&w.office)
        .send()
        .await;
    let history = app
        .get(&format!("/api/v1/contracts/{id}/history"))
        .auth(&w.office)
        .send()
        .await;
    let steps = history.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    (
        contract.assert_status(200)["status"]
            .as_str()
            .unwrap()
            .to_owned(),
        steps,
    )
}

/// A submission caught in a deadlock is run again and succeeds, once (before: a 500).
async fn deadlocked_changes_are_retried(app: TestApp) {
    let (w, id, reply) = submit_in_a_deadlock(&app).await;
    assert_eq!(reply.status, 200, "{reply:?}");
    assert_eq!(reply.body["status"], "pending_provider");
    let (_, steps) = status_and_steps(&app, &w, &id).await;
    assert_eq!(
        steps.iter().filter(|a| *a == "submit").count(),
        1,
        "{steps:?}"
    );
    assert_eq!(
        w.held(&app, &w.building, "2027-05-10", "2027-05-12").await,
        [7, 7, 7]
    );
}

/// With no attempts left, the caller is told to retry (503 `contention`, `Retry-After`), and
/// nothing of the change was kept; the retry then succeeds.
async fn a_change_that_keeps_colliding_is_a_retryable_503(app: TestApp) {
    let (w, id, reply) = submit_in_a_deadlock(&app).await;
    reply.assert_problem(503, "contention");
    assert_eq!(reply.header("retry-after").as_deref(), Some("1"));
    assert_eq!(status_and_steps(&app, &w, &id).await.0, "draft");
    assert_eq!(
        w.held(&app, &w.building, "2027-05-10", "2027-05-12").await,
        [0, 0, 0]
    );
    w.step(&app, &w.office, &id, "submit", None)
        .await
        .assert_status(200);
}

/// A submission checks the building's room before its other work, without a lock, and takes the
/// days last, under their locks. A building filled in between refuses it then, with what is free
/// on the first day short, and nothing of the submission is kept.
async fn a_building_filled_while_a_submission_runs_refuses_it(app: TestApp) {
    let w = World::new(&app).await;
    let id = w
        .draft(&app, &w.office, w.housing(7, "2027-05-10", "2027-05-12"))
        .await;
    let started = Arc::new(AtomicBool::new(false));
    let (url, facility, flag) = (app.database().clone(), w.building.clone(), started.clone());
    let filler = std::thread::spawn(move || {
        hold_the_days_until_waited_on(&url, &facility, &flag, |conn| {
            // Another process's bookings leave 3 beds a day; the submission asks for 7.
            conn.batch_execute(&format!(
                "UPDATE facility_days SET held = capacity - 3 WHERE facility_id = '{facility}'; COMMIT"
            ))
            .unwrap();
        })
    });
    while !started.load(Ordering::SeqCst) {
        actix_web::rt::time::sleep(Duration::from_millis(10)).await;
    }
    let reply = w.step(&app, &w.office, &id, "submit", None).await;
    filler.join().unwrap();
    reply.assert_problem(409, "capacity_exceeded");
    assert_eq!(
        (
            &reply.body["day"],
            &reply.body["requested"],
            &reply.body["available"]
        ),
        (&json!("2027-05-10"), &json!(7), &json!(3))
    );
    assert_eq!(
        status_and_steps(&app, &w, &id).await,
        ("draft".to_owned(), vec!["create".to_owned()])
    );
    // The 3 beds left can still be booked.
    let small = w
        .draft(&app, &w.office, w.housing(3, "2027-05-10", "2027-05-12"))
        .await;
    w.step(&app, &w.office, &small, "submit", None)
        .await
        .assert_status(200);
    assert_eq!(
        w.held(&app, &w.building, "2027-05-10", "2027-05-12").await,
        [100, 100, 100]
    );
}

/// The writes of a contract's steps (updates, inserts with optional values), which diesel would
/// send unnamed for PostgreSQL to parse and plan each time, are kept prepared on their
/// connection: the same statement run again is not prepared again.
async fn a_steps_writes_are_kept_prepared(app: TestApp) {
    use etrack::access::ContractScope;
    use etrack::domain::ids::{OrganizationId, SeasonId};
    use etrack::storage::contracts::{ContractFilter, list};
    let w = World::new(&app).await;
    w.draft(&app, &w.office, w.housing(2, "2027-05-10", "2027-05-12"))
        .await;
    let season: SeasonId = w.season.parse().unwrap();
    let office: OrganizationId = w.office.organization_id.parse().unwrap();
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    #[derive(QueryableByName)]
    struct Kept {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let kept = |conn: &mut etrack::storage::DbConnection, like: &str| {
        diesel::sql_query(format!(
            "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE '{like}'"
        ))
        .get_result::<Kept>(conn)
        .unwrap()
        .n
    };
    let lock = r#"UPDATE "allocations" SET "lock_version"%"#;
    assert_eq!(kept(&mut conn, lock), 0);
    for _ in 0..3 {
        etrack::storage::holds::lock_allocation(&mut conn, &season, &office).unwrap();
    }
    assert_eq!(kept(&mut conn, lock), 1, "kept once, used three times");

    // A page of contracts reads the names' edition through SQL diesel would not keep by itself.
    let page = r#"SELECT "contracts"."id"%names_edition%"#;
    let scope = ContractScope::Office(office.clone());
    let mut rows = Vec::new();
    for _ in 0..3 {
        rows = list(
            &mut conn,
            (&scope, None),
            &ContractFilter::default(),
            None,
            50,
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
    }
    assert_eq!(kept(&mut conn, page), 1, "a page's statement kept once");
    // And so do the names a step's answer reads in its transaction.
    let rows: Vec<_> = rows.into_iter().map(|named| named.row).collect();
    for _ in 0..3 {
        etrack::storage::names::names(&mut conn, &rows).unwrap();
    }
    assert_eq!(kept(&mut conn, "%UNION ALL%names_edition%"), 1);
}

mod contention {
    use super::*;

    #[actix_web::test]
    async fn a_steps_writes_are_kept_prepared_on_postgres() {
        if let Some(app) = spawn_app_with(Backend::Postgres, |_| {}).await {
            a_steps_writes_are_kept_prepared(app).await;
        }
    }

    #[actix_web::test]
    async fn deadlocked_changes_are_retried_on_postgres() {
        if let Some(app) = spawn_app_with(Backend::Postgres, |_| {}).await {
            deadlocked_changes_are_retried(app).await;
        }
    }

    #[actix_web::test]
    async fn a_building_filled_while_a_submission_runs_refuses_it_on_postgres() {
        if let Some(app) = spawn_app_with(Backend::Postgres, |_| {}).await {
            a_building_filled_while_a_submission_runs_refuses_it(app).await;
        }
    }

    #[actix_web::test]
    async fn a_change_that_keeps_colliding_is_a_retryable_503_on_postgres() {
        if let Some(app) = spawn_app_with(Backend::Postgres, |s| s.write_attempts = 1).await {
            a_change_that_keeps_colliding_is_a_retryable_503(app).await;
        }
    }
}

/// The audit log leaves the database as archives that check out on their own, in pieces that
/// continue one another; an altered line is named.
#[actix_web::test]
async fn audit_archives_verify_without_the_database() {
    let app = spawn_app_with(Backend::Sqlite, |_| {}).await.unwrap();
    let w = World::new(&app).await;
    let dir = std::env::temp_dir().join(format!("etrack-archive-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let first = dir.join("first.jsonl");
    let (ok, out) = run_etrack(
        app.database(),
        &["audit", "export", first.to_str().unwrap()],
    );
    assert!(ok, "{out}");
    let lines = std::fs::read_to_string(&first).unwrap();
    let events = lines.lines().count();
    assert!(events > 10, "{out}");
    let (ok, out) = run_etrack(
        app.database(),
        &["audit", "verify-archive", first.to_str().unwrap()],
    );
    assert!(
        ok && out.contains(&format!("events 1 to {events} chained")),
        "{out}"
    );
    let first_end = out.trim().rsplit(' ').next().unwrap().to_owned();

    // More happens; the next archive continues where the first ended.
    w.approved(&app, &w.office, w.housing(5, "2027-05-10", "2027-05-12"))
        .await;
    let second = dir.join("second.jsonl");
    let after = events.to_string();
    let (ok, out) = run_etrack(
        app.database(),
        &[
            "audit",
            "export",
            second.to_str().unwrap(),
            "--after",
            &after,
        ],
    );
    assert!(ok, "{out}");
    let (ok, out) = run_etrack(
        app.database(),
        &["audit", "verify-archive", second.to_str().unwrap()],
    );
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("events {} to", events + 1))
            && out.contains(&format!("continues from {first_end}")),
        "{out}"
    );
    // An archive is never written over.
    let (ok, _) = run_etrack(
        app.database(),
        &["audit", "export", second.to_str().unwrap()],
    );
    assert!(!ok);

    // Altering what an event says, or dropping one, breaks the archive at that line.
    let altered = lines.replacen("\"action\":\"POST", "\"action\":\"PUT", 1);
    assert_ne!(altered, lines);
    std::fs::write(&first, &altered).unwrap();
    let (ok, out) = run_etrack(
        app.database(),
        &["audit", "verify-archive", first.to_str().unwrap()],
    );
    assert!(!ok && out.contains("line "), "{out}");
    let dropped: Vec<&str> = lines
        .lines()
        .enumerate()
        .filter(|(i, _)| *i != 3)
        .map(|(_, l)| l)
        .collect();
    std::fs::write(&first, dropped.join("\n")).unwrap();
    let (ok, out) = run_etrack(
        app.database(),
        &["audit", "verify-archive", first.to_str().unwrap()],
    );
    assert!(!ok && out.contains("line 4"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}
