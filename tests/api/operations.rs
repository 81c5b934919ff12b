//! Health checks, the interactive documentation, the committed OpenAPI document and the schemas of
//! the two backends.

use diesel::{Connection, RunQueryDsl};
use etrack::config::DatabaseUrl;
use etrack::storage;

use crate::helpers::{Backend, TestApp, TestDb, spawn_app};

async fn health_and_docs(app: TestApp) {
    let live = app.get("/health/live").send().await;
    assert_eq!(live.assert_status(200)["status"], "ok");
    // Every answer names its request, for support and for the logs.
    let id = live.header("x-request-id").expect("a request id");
    assert_ne!(
        Some(id),
        app.get("/health/live").send().await.header("x-request-id")
    );
    assert_eq!(
        live.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    let ready = app.get("/health/ready").send().await;
    let expected = match app.backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    assert_eq!(ready.assert_status(200)["database"], expected);
    let docs = app.get("/docs/").send().await;
    assert_eq!(docs.status, 200);
    assert!(docs.text.contains("swagger"), "{}", docs.text);
    let initializer = app.get("/docs/swagger-initializer.js").send().await;
    assert_eq!(initializer.status, 200);
    assert!(initializer.text.contains("/openapi.json"));
    assert!(
        !initializer.text.contains("https://"),
        "no assets from the internet"
    );
    let served = app.get("/openapi.json").send().await;
    assert_eq!(served.assert_status(200)["info"]["title"], "e-track");
}

crate::backend_tests!(health_and_docs);

#[actix_web::test]
async fn the_committed_openapi_document_matches_the_code() {
    let committed =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/openapi/etrack.json"))
            .expect("openapi/etrack.json is committed");
    let generated = etrack::api::openapi::document_json();
    assert!(
        committed == generated,
        "openapi/etrack.json is stale: run `cargo run -- openapi > openapi/etrack.json`"
    );
    // And the server serves the same document.
    let app = spawn_app(Backend::Sqlite).await.unwrap();
    let served = app.get("/openapi.json").send().await;
    let committed: serde_json::Value = serde_json::from_str(&committed).unwrap();
    assert_eq!(served.body, committed);
}

#[test]
fn every_operation_documents_its_problems_and_credentials() {
    let doc: serde_json::Value =
        serde_json::from_str(&etrack::api::openapi::document_json()).unwrap();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            let public = path.starts_with("/health/")
                || path.ends_with("/auth/login")
                || path.ends_with("/auth/refresh")
                || path.ends_with("/auth/forgot-password")
                || path.ends_with("/auth/set-password");
            if !public {
                assert!(responses.contains_key("401"), "{method} {path}");
                assert!(op["security"].is_array(), "{method} {path}");
            }
            if op.get("requestBody").is_some() {
                for status in ["400", "413", "415", "422"] {
                    assert!(responses.contains_key(status), "{method} {path} {status}");
                }
            }
            if path.contains('{') {
                assert!(responses.contains_key("404"), "{method} {path}");
            }
        }
    }
}

#[test]
fn the_two_schemas_stay_alike() {
    let Some(sqlite) = TestDb::create(Backend::Sqlite) else {
        unreachable!()
    };
    let Some(postgres) = TestDb::create(Backend::Postgres) else {
        return;
    };
    let describe = |url: &DatabaseUrl| {
        let mut conn = storage::establish(url).unwrap();
        storage::migrate(&mut conn).unwrap();
        storage::describe_schema(&mut conn).unwrap()
    };
    let (a, b) = (describe(&sqlite.url), describe(&postgres.url));
    assert!(!a.is_empty());
    assert_eq!(
        a, b,
        "migrations/sqlite and migrations/postgres describe different schemas"
    );
    // Migrating again is a no-op.
    let mut conn = storage::establish(&postgres.url).unwrap();
    storage::migrate(&mut conn).unwrap();
    drop(conn);
    let _ = diesel::SqliteConnection::establish(":memory:");
}

async fn demo_data_has_every_kind_and_contracts_in_several_states(backend: Backend) {
    let Some(app) = crate::helpers::spawn_app_with(backend, |s| s.demo = true).await else {
        return;
    };
    for who in [
        "ministry",
        "office",
        "agency",
        "provider",
        "tawafa",
        "authority",
    ] {
        app.login(
            &format!("{who}@demo.e-track.sa"),
            etrack::demo::DEMO_PASSWORD,
        )
        .await;
    }
    let ministry = app
        .login("ministry@demo.e-track.sa", etrack::demo::DEMO_PASSWORD)
        .await;
    let contracts = app.get("/api/v1/contracts").auth(&ministry).send().await;
    let mut states: Vec<String> = contracts.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["status"].as_str().unwrap().to_owned())
        .collect();
    states.sort();
    states.dedup();
    assert_eq!(
        states,
        [
            "approved",
            "declined",
            "draft",
            "pending_provider",
            "pending_review",
            "returned"
        ]
    );
    let seasons = app.get("/api/v1/seasons").auth(&ministry).send().await;
    assert_eq!(
        seasons.body["items"][0]["hajj_days"]
            .as_array()
            .unwrap()
            .len(),
        6
    );
    // Early in the season nobody is ready: the office has planned 150 of its 9,000 pilgrims
    // (all covered, so all eligible for visas), the agency 80 of its 3,000, and a failed
    // inspection withholds part of the agency's coverage.
    let season = seasons.body["items"][0]["id"].as_str().unwrap().to_owned();
    let readiness = app
        .get(&format!("/api/v1/seasons/{season}/readiness"))
        .auth(&ministry)
        .send()
        .await;
    let mut statuses: Vec<(String, String, i64, i64)> = readiness.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["organization"]["name"].as_str().unwrap().to_owned(),
                r["status"].as_str().unwrap().to_owned(),
                r["unplanned"].as_i64().unwrap(),
                r["visa_eligible"].as_i64().unwrap(),
            )
        })
        .collect();
    statuses.sort();
    assert_eq!(
        statuses,
        [
            (
                "Hajj Affairs Office of Indonesia".to_owned(),
                "incomplete".to_owned(),
                8_850,
                150
            ),
            (
                "Nusantara Travel".to_owned(),
                "incomplete".to_owned(),
                2_920,
                0
            ),
        ]
    );
    let inspections = app.get("/api/v1/inspections").auth(&ministry).send().await;
    assert_eq!(inspections.body["items"][0]["result"], "fail");
    // Its money: wallets funded, guarantees lodged, approved values committed and their first
    // instalments paid; all of it adds up to the transfers in.
    let totals = app
        .get(&format!("/api/v1/seasons/{season}/money"))
        .auth(&ministry)
        .send()
        .await;
    let totals = totals.assert_status(200);
    let [funded, wallets, committed, guarantees, paid] =
        ["funded", "wallets", "committed", "guarantees", "paid"].map(|k| {
            etrack::domain::money::Money::parse(totals[k].as_str().unwrap())
                .unwrap()
                .halalas()
        });
    assert_eq!(funded, 195_000_000, "{totals}");
    assert!(committed > 0 && guarantees > 0 && paid > 0, "{totals}");
    assert_eq!(wallets + committed + guarantees + paid, funded, "{totals}");
    let tawafa = app
        .login("tawafa@demo.e-track.sa", etrack::demo::DEMO_PASSWORD)
        .await;
    let seen = app.get("/api/v1/contracts").auth(&tawafa).send().await;
    assert_eq!(seen.body["items"].as_array().unwrap().len(), 10);
    assert!(seen.body["items"][0].get("total").is_none());
}

#[actix_web::test]
async fn demo_data_on_sqlite() {
    demo_data_has_every_kind_and_contracts_in_several_states(Backend::Sqlite).await;
}

#[actix_web::test]
async fn demo_data_on_postgres() {
    demo_data_has_every_kind_and_contracts_in_several_states(Backend::Postgres).await;
}

/// PostgreSQL restarts or a failover drop the server's connections. Connections in use moments
/// before are not checked again on every checkout (that would cost a round trip per request), so the
/// first request on a dropped one fails; it must fail as a retryable 503, and that connection must
/// be checked and replaced before anyone else gets it.
#[actix_web::test]
async fn dropped_database_connections_are_replaced() {
    let Some(app) = spawn_app(Backend::Postgres).await else {
        return;
    };
    let admin = app
        .login(crate::helpers::ADMIN_EMAIL, crate::helpers::PASSWORD)
        .await;
    for _ in 0..5 {
        app.get("/api/v1/organizations")
            .auth(&admin)
            .send()
            .await
            .assert_status(200);
    }
    let DatabaseUrl::Postgres(url) = app.database() else {
        unreachable!("a PostgreSQL app")
    };
    let mut conn = diesel::PgConnection::establish(url).unwrap();
    let dropped: Vec<TerminatedBackend> = diesel::sql_query(
        "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity \
         WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .load(&mut conn)
    .unwrap();
    assert!(
        dropped.iter().any(|d| d.done),
        "the server held connections"
    );
    let mut statuses = Vec::new();
    for _ in 0..12 {
        let reply = app.get("/api/v1/organizations").auth(&admin).send().await;
        if reply.status == 503 {
            assert_eq!(reply.header("retry-after").as_deref(), Some("1"));
        }
        statuses.push(reply.status);
    }
    assert!(
        statuses.iter().all(|s| *s == 200 || *s == 503),
        "{statuses:?}"
    );
    assert!(
        statuses.iter().filter(|s| **s == 503).count() <= 2,
        "each dropped connection fails at most one request: {statuses:?}"
    );
    assert!(statuses[6..].iter().all(|s| *s == 200), "{statuses:?}");
}

#[derive(diesel::QueryableByName)]
struct TerminatedBackend {
    #[diesel(sql_type = diesel::sql_types::Bool)]
    done: bool,
}
