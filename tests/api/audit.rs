//! The audit log: every state-changing request and every dataset read, hash-chained; a tampered
//! row is found by the verifier, over HTTP and on the command line.

use diesel::connection::SimpleConnection;
use serde_json::Value;

use crate::helpers::TestApp;
use crate::process::{binary, url_text};
use crate::world::World;

async fn events_of(app: &TestApp, ministry: &crate::helpers::Session, entity: &str) -> Vec<Value> {
    let reply = app
        .get(&format!("/api/v1/audit?entity_id={entity}&limit=200"))
        .auth(ministry)
        .send()
        .await;
    reply.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn every_change_is_audited_and_refusals_are_not(app: TestApp) {
    let w = World::new(&app).await;
    let id = w
        .draft(&app, &w.agency, w.housing(10, "2027-05-10", "2027-05-11"))
        .await;
    let submitted = w.step(&app, &w.agency, &id, "submit", None).await;
    submitted.assert_status(200);
    w.step(&app, &w.agency, &id, "submit", None)
        .await
        .assert_problem(409, "invalid_transition");
    w.step(&app, &w.provider, &id, "accept", None)
        .await
        .assert_status(200);
    let events = events_of(&app, &w.ministry, &id).await;
    let actions: Vec<&str> = events
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        [
            "POST /api/v1/contracts",
            "POST /api/v1/contracts/{id}/submit",
            "POST /api/v1/contracts/{id}/accept"
        ],
        "the refused second submit left no trace"
    );
    assert_eq!(events[1]["actor_user_id"], w.agency.user_id.as_str());
    assert_eq!(
        events[1]["organization_id"],
        w.agency.organization_id.as_str()
    );
    assert_eq!(
        events[1]["request_id"].as_str(),
        submitted.header("x-request-id").as_deref()
    );
    assert_eq!(
        events[2]["organization_id"],
        w.provider.organization_id.as_str()
    );
    // Logins are audited too, about the user.
    assert!(
        !events_of(&app, &w.ministry, &w.agency.user_id)
            .await
            .is_empty()
    );
    // Only the ministry reads the log.
    app.get("/api/v1/audit")
        .auth(&w.office)
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.get("/api/v1/audit/verify")
        .auth(&w.authority)
        .send()
        .await
        .assert_problem(403, "forbidden");
    let verified = app
        .get("/api/v1/audit/verify")
        .auth(&w.ministry)
        .send()
        .await;
    let v = verified.assert_status(200);
    assert_eq!(v["ok"], true);
    assert_eq!(v["pending"], 0);
    assert!(v["events"].as_i64().unwrap() > 30, "{v}");
}

async fn a_tampered_row_breaks_the_chain_where_it_was_changed(app: TestApp) {
    let w = World::new(&app).await;
    let v = app
        .get("/api/v1/audit/verify")
        .auth(&w.ministry)
        .send()
        .await;
    let events = v.body["events"].as_i64().unwrap();
    assert!(events > 10);
    let out = binary()
        .args(["audit", "verify"])
        .env("DATABASE_URL", url_text(app.database()))
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("ok:"));

    // Someone with database access removes the newest event...
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    conn.batch_execute(&format!("DELETE FROM audit_events WHERE seq = {events}"))
        .unwrap();
    let v = app
        .get("/api/v1/audit/verify")
        .auth(&w.ministry)
        .send()
        .await;
    assert_eq!(v.body["ok"], false);
    assert_eq!(v.body["first_broken"]["seq"], events);
    // ... or rewrites what an earlier one says: the first broken link is named.
    conn.batch_execute("UPDATE audit_events SET action = 'GET /nothing/to/see' WHERE seq = 7")
        .unwrap();
    let v = app
        .get("/api/v1/audit/verify")
        .auth(&w.ministry)
        .send()
        .await;
    assert_eq!(v.body["ok"], false);
    assert_eq!(v.body["first_broken"]["seq"], 7);
    let out = binary()
        .args(["audit", "verify"])
        .env("DATABASE_URL", url_text(app.database()))
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stdout).contains("event 7"));
}

crate::backend_tests!(
    every_change_is_audited_and_refusals_are_not,
    a_tampered_row_breaks_the_chain_where_it_was_changed,
);
