//! Whole processes: start-up refusals, commands, several processes on one database, SIGTERM.

use std::process::Stdio;
use std::time::Duration;

use etrack::config::DatabaseUrl;
use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, Auth, Backend, PASSWORD, TestApp, TestDb, skipped};
use crate::process::{ServerProcess, TwoProcesses, binary, url_text};
use crate::world::{World, rename};

#[test]
fn serve_refuses_to_start_without_a_proper_secret() {
    let db = TestDb::create(Backend::Sqlite).unwrap();
    let run = |secret: Option<&str>| {
        let mut cmd = binary();
        cmd.args(["serve", "--bind", "127.0.0.1:0"])
            .env("DATABASE_URL", url_text(&db.url))
            .env_remove("ETRACK_JWT_SECRET")
            .stdout(Stdio::null());
        if let Some(s) = secret {
            cmd.env("ETRACK_JWT_SECRET", s);
        }
        cmd.output().unwrap()
    };
    for secret in [None, Some("too short")] {
        let out = run(secret);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("ETRACK_JWT_SECRET"), "{stderr}");
        assert!(
            !stderr.contains("too short"),
            "the secret itself is never printed"
        );
    }
}

#[test]
fn migrate_and_openapi_commands() {
    let db = TestDb::create(Backend::Sqlite).unwrap();
    let out = binary()
        .arg("migrate")
        .env("DATABASE_URL", url_text(&db.url))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let again = binary()
        .arg("migrate")
        .env("DATABASE_URL", url_text(&db.url))
        .output()
        .unwrap();
    assert!(again.status.success(), "migrating twice is harmless");
    let out = binary().arg("openapi").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap(),
        etrack::api::openapi::document_json()
    );
    let bad = binary().args(["serve", "--no-such-flag"]).output().unwrap();
    assert!(!bad.status.success());
}

/// Two processes on one database: whatever one writes, the other honours at once, because nothing
/// a request needs lives in one process's memory. On PostgreSQL, where its Unix socket is at hand,
/// the second process reaches it over the socket and the first over TCP.
async fn several_processes_share_one_database(backend: Backend) {
    let Some(db) = TestDb::create(backend) else {
        return;
    };
    let socket = db.over_unix_socket();
    let a = ServerProcess::start(&db.url);
    let b = ServerProcess::start(socket.as_ref().unwrap_or(&db.url));
    let (a_api, b_api) = (
        TestApp::remote(&a.base, backend),
        TestApp::remote(&b.base, backend),
    );

    let session = a_api.login(ADMIN_EMAIL, PASSWORD).await;
    b_api
        .get("/api/v1/me")
        .auth(&session)
        .send()
        .await
        .assert_status(200);
    let office = b_api
        .create_org(&session, json!({"kind": "hajj_office", "name": "Office of Iraq", "name_ar": "مكتب العراق", "country": "IQ"}))
        .await;
    a_api
        .get(&format!("/api/v1/organizations/{office}"))
        .auth(&session)
        .send()
        .await
        .assert_status(200);
    // The second office of a country is refused whichever process is asked.
    a_api
        .post("/api/v1/organizations")
        .auth(&session)
        .json(json!({"kind": "hajj_office", "name": "Twin", "name_ar": "x", "country": "IQ"}))
        .await
        .assert_problem(409, "office_exists");

    // A refresh on one process; reusing the old token on the other revokes the session everywhere.
    let rotated = b_api
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": session.refresh_token}))
        .await;
    let rotated = rotated.assert_status(200).clone();
    a_api
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": session.refresh_token}))
        .await
        .assert_problem(401, "unauthorized");
    let access = Auth::Bearer(rotated["access_token"].as_str().unwrap().to_owned());
    b_api
        .get("/api/v1/me")
        .auth(access.clone())
        .send()
        .await
        .assert_problem(401, "unauthorized");
    a_api
        .get("/api/v1/me")
        .auth(access)
        .send()
        .await
        .assert_problem(401, "unauthorized");

    // A user made through one process logs in through the other.
    let fresh = a_api.login(ADMIN_EMAIL, PASSWORD).await;
    b_api
        .user_in(&fresh, &office, "clerk@iraq.test", "officer")
        .await;
    a_api.login("clerk@iraq.test", PASSWORD).await;

    if socket.is_some() {
        let (over_socket, over_tcp) = db.connections_by_way();
        assert!(
            over_socket > 0 && over_tcp > 0,
            "{over_socket} connections over the socket, {over_tcp} over TCP"
        );
    } else if backend == Backend::Postgres {
        skipped("no PostgreSQL Unix socket at hand: both processes reached it over TCP");
    }
}

#[actix_web::test]
async fn several_processes_share_one_sqlite_file() {
    several_processes_share_one_database(Backend::Sqlite).await;
}

#[actix_web::test]
async fn several_processes_share_one_postgres_database() {
    several_processes_share_one_database(Backend::Postgres).await;
}

/// Unless told, a process keeps four database connections per core of its machine, at least 8
/// and at most 32; `ETRACK_DB_POOL_SIZE` sets it.
#[actix_web::test]
async fn the_pool_is_sized_by_the_machine_unless_told() {
    let db = TestDb::create(Backend::Sqlite).unwrap();
    let pool_size = |env: &[(&str, &str)]| {
        let mut env = env.to_vec();
        env.push(("ETRACK_METRICS_TOKEN", "metrics-token-of-this-test-0123"));
        let server = ServerProcess::start_with(&db.url, &env);
        async move {
            let reply = TestApp::remote(&server.base, Backend::Sqlite)
                .get("/metrics")
                .header("Authorization", "Bearer metrics-token-of-this-test-0123")
                .send()
                .await;
            assert_eq!(reply.status, 200, "{reply:?}");
            let line = reply
                .text
                .lines()
                .find_map(|l| l.strip_prefix("etrack_db_pool_size "))
                .expect("the pool's size among the metrics")
                .to_owned();
            line.parse::<u32>().unwrap()
        }
    };
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZeroUsize::get);
    let expected = u32::try_from(cores * 4).unwrap().clamp(8, 32);
    assert_eq!(pool_size(&[]).await, expected, "{cores} cores");
    assert_eq!(pool_size(&[("ETRACK_DB_POOL_SIZE", "3")]).await, 3);
}

/// The names a contract shows are kept by each process between requests (the names' edition,
/// `storage::names`): a rename through one process shows at once in the lists and reads of another
/// that has kept the old names, for the provider, the facility and the client alike.
async fn a_rename_through_one_process_shows_in_anothers_contracts(backend: Backend) {
    let Some(two) = TwoProcesses::start(backend) else {
        return;
    };
    let (a_api, b_api) = (&two.a, &two.b);
    let w = World::new(a_api).await;
    let id = w
        .draft(a_api, &w.agency, w.housing(2, "2027-05-10", "2027-05-12"))
        .await;
    let shown = async |by: &crate::helpers::Session| {
        let page = b_api.get("/api/v1/contracts").auth(by).send().await;
        let listed = page.assert_status(200)["items"][0].clone();
        let read = b_api
            .get(&format!("/api/v1/contracts/{id}"))
            .auth(by)
            .send()
            .await;
        let read = read.assert_status(200).clone();
        let names = |v: &serde_json::Value| {
            [
                "client_name",
                "provider_name",
                "facility_name",
                "facility_name_ar",
            ]
            .map(|k| v[k].as_str().unwrap_or("").to_owned())
        };
        assert_eq!(names(&listed), names(&read), "a list and a read agree");
        names(&read)
    };
    // Process b reads the contract as its client and its provider: it keeps their names now.
    let before = shown(&w.agency).await;
    assert_eq!(before[2], "Al-Safwa Tower 1 برج الصفوة");
    assert_eq!(before[3], "", "no Arabic name yet");
    assert_eq!(shown(&w.provider).await, before);

    // Each rename goes through process a; process b shows the new name in its next answer.
    let provider = format!("/api/v1/organizations/{}", w.provider.organization_id);
    rename(
        a_api,
        &w.ministry,
        &provider,
        json!({"name": "Renamed Provider"}),
    )
    .await;
    let after = shown(&w.agency).await;
    assert_eq!(after[1], "Renamed Provider");
    assert_eq!((&after[0], &after[2]), (&before[0], &before[2]));

    let building = format!("/api/v1/facilities/{}", w.building);
    rename(
        a_api,
        &w.provider,
        &building,
        json!({"name_ar": "برج زمزم"}),
    )
    .await;
    assert_eq!(shown(&w.provider).await[3], "برج زمزم");

    let agency = format!("/api/v1/organizations/{}", w.agency.organization_id);
    rename(
        a_api,
        &w.ministry,
        &agency,
        json!({"name": "Renamed Agency"}),
    )
    .await;
    let last = shown(&w.provider).await;
    assert_eq!(last[0], "Renamed Agency");
    assert_eq!(shown(&w.agency).await, last);
}

#[actix_web::test]
async fn a_rename_through_one_process_shows_in_anothers_contracts_on_sqlite() {
    a_rename_through_one_process_shows_in_anothers_contracts(Backend::Sqlite).await;
}

#[actix_web::test]
async fn a_rename_through_one_process_shows_in_anothers_contracts_on_postgres() {
    a_rename_through_one_process_shows_in_anothers_contracts(Backend::Postgres).await;
}

/// SQLite: the writers of every process on one file take turns on a lock of the file beside it
/// (`<database>-writers`), waiting in the kernel rather than polling SQLite's busy handler. While
/// another process holds the turn, a change waits for it; it goes through once the turn is free.
#[actix_web::test]
async fn sqlite_writers_of_several_processes_take_turns_on_one_lock() {
    let db = TestDb::create(Backend::Sqlite).unwrap();
    let DatabaseUrl::Sqlite(path) = &db.url else {
        unreachable!("a SQLite database")
    };
    let server = ServerProcess::start(&db.url);
    let api = TestApp::remote(&server.base, Backend::Sqlite);
    let session = api.login(ADMIN_EMAIL, PASSWORD).await;

    let other_process = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(etrack::storage::turns::lock_file(path))
        .unwrap();
    other_process.lock().unwrap();
    let change = {
        let (api, session) = (
            TestApp::remote(&server.base, Backend::Sqlite),
            session.clone(),
        );
        actix_web::rt::spawn(async move {
            api.post("/api/v1/organizations")
                .auth(&session)
                .json(json!({"kind": "hajj_office", "name": "Office of Oman", "name_ar": "مكتب عمان", "country": "OM"}))
                .await
                .status
        })
    };
    // A read does not wait for the turn.
    api.get("/api/v1/me")
        .auth(&session)
        .send()
        .await
        .assert_status(200);
    actix_web::rt::time::sleep(Duration::from_millis(700)).await;
    assert!(
        !change.is_finished(),
        "the change waits while another process holds the turn"
    );
    other_process.unlock().unwrap();
    assert_eq!(change.await.unwrap(), 201);
    api.get("/api/v1/organizations?kind=hajj_office")
        .auth(&session)
        .send()
        .await
        .assert_status(200);
}

#[actix_web::test]
async fn sigterm_finishes_requests_in_flight_then_exits() {
    let db = TestDb::create(Backend::Sqlite).unwrap();
    let mut server = ServerProcess::start(&db.url);
    let api = TestApp::remote(&server.base, Backend::Sqlite);
    api.login(ADMIN_EMAIL, PASSWORD).await;
    // Logins take tens of milliseconds (argon2): these are still running when the signal arrives.
    let logins: Vec<_> = (0..4)
        .map(|_| api.try_login(ADMIN_EMAIL, PASSWORD))
        .collect();
    let signal = async {
        actix_web::rt::time::sleep(Duration::from_millis(15)).await;
        server.signal("TERM");
    };
    let (replies, ()) =
        futures_util::future::join(futures_util::future::join_all(logins), signal).await;
    for reply in replies {
        reply.assert_status(200);
    }
    let status = server
        .wait(Duration::from_secs(40))
        .expect("the server exits after SIGTERM");
    assert!(status.success(), "{status:?}");
    assert!(std::net::TcpStream::connect(server.base.trim_start_matches("http://")).is_err());
}
