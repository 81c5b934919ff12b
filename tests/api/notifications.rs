//! Notifications: each party hears of the transitions that concern it, in its inbox and by email in
//! each user's language; the outbox worker sends every email once it is due.

use std::time::Duration;

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};
use crate::world::World;

/// Waits (at most 10 s) until the outbox has no pending email; returns every row.
async fn sent_outbox(app: &TestApp) -> Vec<etrack::storage::notifications::OutboxRow> {
    for _ in 0..100 {
        let mut conn = etrack::storage::establish(app.database()).unwrap();
        let rows = etrack::storage::notifications::outbox_rows(&mut conn).unwrap();
        if rows.iter().all(|r| r.status != "pending") {
            return rows;
        }
        actix_web::rt::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the outbox worker did not send everything in 10 s");
}

async fn a_contracts_lifecycle_notifies_its_parties(app: TestApp) {
    let w = World::new(&app).await;
    // A second provider user reads Arabic.
    app.post(&format!("/api/v1/organizations/{}/users", w.provider.organization_id))
        .auth(&w.provider)
        .json(json!({"email": "arabic@provider.test", "full_name": "موظف المزود", "role": "officer", "password": PASSWORD, "language": "ar"}))
        .await
        .assert_status(201);
    let id = w
        .draft(&app, &w.agency, w.housing(10, "2027-05-10", "2027-05-11"))
        .await;
    w.step(&app, &w.agency, &id, "submit", None)
        .await
        .assert_status(200);
    w.step(&app, &w.provider, &id, "accept", None)
        .await
        .assert_status(200);
    w.step(
        &app,
        &w.ministry,
        &id,
        "return",
        Some("Fix the <nights> & resubmit"),
    )
    .await
    .assert_status(200);
    w.step(&app, &w.agency, &id, "submit", None)
        .await
        .assert_status(200);
    w.step(&app, &w.provider, &id, "accept", None)
        .await
        .assert_status(200);
    w.step(&app, &w.ministry, &id, "approve", None)
        .await
        .assert_status(200);

    // Inboxes: the provider hears of submissions and the approval; the agency of the rest.
    let kinds = |r: crate::helpers::Reply| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|n| n["kind"].as_str().unwrap().to_owned())
            .collect()
    };
    let provider_inbox = app
        .get("/api/v1/notifications")
        .auth(&w.provider)
        .send()
        .await;
    assert_eq!(
        kinds(provider_inbox),
        [
            "contract_submitted",
            "contract_submitted",
            "contract_approved"
        ]
    );
    let agency_inbox = app
        .get("/api/v1/notifications")
        .auth(&w.agency)
        .send()
        .await;
    let agency_items = agency_inbox.body["items"].as_array().unwrap().clone();
    assert_eq!(
        kinds(agency_inbox),
        [
            "contract_accepted",
            "contract_returned",
            "contract_accepted",
            "contract_approved"
        ]
    );
    assert!(
        agency_items[1]["text"]
            .as_str()
            .unwrap()
            .contains("Fix the <nights> & resubmit")
    );
    assert!(
        app.get("/api/v1/notifications")
            .auth(&w.office)
            .send()
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert!(
        app.get("/api/v1/notifications")
            .auth(&w.ministry)
            .send()
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .is_empty(),
        "nobody is told of its own step"
    );
    // In the reader's language.
    let arabic = app
        .get("/api/v1/notifications")
        .auth(&w.provider)
        .header("Accept-Language", "ar")
        .send()
        .await;
    assert!(
        arabic.body["items"][0]["subject"]
            .as_str()
            .unwrap()
            .contains("عقد إسكان جديد")
    );

    // Emails: one per active user of each notified organisation, in that user's language.
    let rows = sent_outbox(&app).await;
    assert!(
        rows.iter().all(|r| r.status == "sent" && r.attempts == 1),
        "{rows:?}"
    );
    let to = |email: &str| rows.iter().filter(|r| r.recipient_email == email).count();
    assert_eq!(to(&w.provider.email), 3);
    assert_eq!(to("arabic@provider.test"), 3);
    assert_eq!(to(&w.agency.email), 4);
    assert_eq!(rows.len(), 10);
    let arabic_mail = rows
        .iter()
        .find(|r| r.recipient_email == "arabic@provider.test")
        .unwrap();
    assert_eq!(arabic_mail.language, "ar");
    assert!(arabic_mail.body_html.contains("dir=\"rtl\""));
    let returned = rows
        .iter()
        .find(|r| r.body_text.contains("resubmit"))
        .unwrap();
    assert!(
        returned
            .body_html
            .contains("Fix the &lt;nights&gt; &amp; resubmit"),
        "names and reasons are escaped"
    );
    // Each email file carries the Message-ID of its outbox row.
    let files = app.mails();
    assert_eq!(files.len(), 10);
    for row in &rows {
        let id = etrack::notify::mailer::message_id(&row.id);
        assert_eq!(files.iter().filter(|f| f.contains(&id)).count(), 1, "{id}");
    }
    assert!(files.iter().all(|f| !f.contains("resubmit\r\nBcc")));
}

async fn the_inbox_is_the_organisations_own(app: TestApp) {
    let w = World::new(&app).await;
    let id = w
        .draft(&app, &w.office, w.housing(5, "2027-05-10", "2027-05-10"))
        .await;
    w.step(&app, &w.office, &id, "submit", None)
        .await
        .assert_status(200);
    let inbox = app
        .get("/api/v1/notifications")
        .auth(&w.provider)
        .send()
        .await;
    let note = inbox.body["items"][0]["id"].as_str().unwrap().to_owned();
    assert_eq!(inbox.body["items"][0]["read"], false);
    assert_eq!(inbox.body["items"][0]["entity_id"], id.as_str());
    app.post(&format!("/api/v1/notifications/{note}/read"))
        .auth(&w.other_provider)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.post(&format!("/api/v1/notifications/{note}/read"))
        .auth(&w.office)
        .send()
        .await
        .assert_problem(404, "not_found");
    let read = app
        .post(&format!("/api/v1/notifications/{note}/read"))
        .auth(&w.provider)
        .send()
        .await;
    assert_eq!(read.assert_status(200)["read"], true);
    app.post(&format!("/api/v1/notifications/{note}/read"))
        .auth(&w.provider)
        .send()
        .await
        .assert_status(200);
    let unread = app
        .get("/api/v1/notifications?unread=true")
        .auth(&w.provider)
        .send()
        .await;
    assert!(unread.body["items"].as_array().unwrap().is_empty());
}

async fn a_failed_inspection_is_told_to_the_client_and_its_tawafa(app: TestApp) {
    let w = World::new(&app).await;
    let id = w
        .approved(&app, &w.agency, w.housing(5, "2027-05-10", "2027-05-10"))
        .await;
    app.post("/api/v1/inspections")
        .auth(&w.ministry)
        .json(json!({"contract_id": id, "inspected_on": "2026-11-01", "result": "fail", "findings": "No fire exits"}))
        .await
        .assert_status(201);
    for (who, expected) in [
        (&w.tawafa, 1),
        (&w.agency, 1),
        (&w.other_tawafa, 0),
        (&w.office, 0),
    ] {
        let inbox = app.get("/api/v1/notifications").auth(who).send().await;
        let failed = inbox.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "inspection_failed")
            .count();
        assert_eq!(failed, expected, "{}", who.email);
    }
    let tawafa_inbox = app
        .get("/api/v1/notifications")
        .auth(&w.tawafa)
        .send()
        .await;
    assert!(
        tawafa_inbox.body["items"][0]["text"]
            .as_str()
            .unwrap()
            .contains("No fire exits")
    );
}

async fn incomplete_clients_are_reminded_once_before_each_deadline(app: TestApp) {
    let w = World::new(&app).await;
    // A season whose housing deadline is 7 days away (Makkah time), catering 30, transport 1.
    let today = (chrono::Utc::now() + chrono::Duration::hours(3)).date_naive();
    let days = |n: u64| today + chrono::Days::new(n);
    let season = app
        .post("/api/v1/seasons")
        .auth(&w.ministry)
        .json(json!({"kind": "umrah", "hijri_year": 1449, "name": "Umrah 1449", "starts_on": today, "ends_on": days(200),
                     "deadlines": {"housing": days(7), "transport": days(1), "catering": days(30)}}))
        .await;
    let season = season.assert_status(201)["id"].as_str().unwrap().to_owned();
    crate::world::quota(&app, &w.ministry, &season, "ID", 100)
        .await
        .assert_status(200);
    crate::world::quota(&app, &w.ministry, &season, "MY", 100)
        .await
        .assert_status(200);
    crate::world::allocate(&app, &w.ministry, &season, &w.office.organization_id, 100)
        .await
        .assert_status(200);
    crate::world::allocate(
        &app,
        &w.ministry,
        &season,
        &w.other_office.organization_id,
        100,
    )
    .await
    .assert_status(200);
    // The other office planned nothing yet: incomplete too. It got the transport deadline moved.
    app.post(&format!("/api/v1/seasons/{season}/extensions"))
        .auth(&w.ministry)
        .json(json!({"organization_id": w.other_office.organization_id, "contract_type": "transport", "until": days(20), "reason": "late flights"}))
        .await
        .assert_status(201);
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    let sent = etrack::notify::reminders::run(&mut conn, today).unwrap();
    // The office: housing (7 days) and transport (1 day); the other office: housing only (its
    // transport deadline is 20 days away, catering 30).
    assert_eq!(sent, 3);
    assert_eq!(
        etrack::notify::reminders::run(&mut conn, today).unwrap(),
        0,
        "once per reminder"
    );
    let reminders = |r: crate::helpers::Reply| -> Vec<String> {
        r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "deadline_reminder")
            .map(|n| n["subject"].as_str().unwrap().to_owned())
            .collect()
    };
    let office = reminders(
        app.get("/api/v1/notifications")
            .auth(&w.office)
            .send()
            .await,
    );
    assert_eq!(office.len(), 2);
    assert!(
        office
            .iter()
            .any(|s| s == "7 days left to file housing contracts for Umrah 1449"),
        "{office:?}"
    );
    assert!(
        office
            .iter()
            .any(|s| s == "1 day left to file transport contracts for Umrah 1449"),
        "{office:?}"
    );
    assert_eq!(
        reminders(
            app.get("/api/v1/notifications")
                .auth(&w.other_office)
                .send()
                .await
        )
        .len(),
        1
    );
    // Six days on: the 1-day housing reminders of both offices, and the other office's 14-day
    // transport reminder (its deadline is now 14 days away).
    assert_eq!(
        etrack::notify::reminders::run(&mut conn, days(6)).unwrap(),
        3
    );
    assert_eq!(
        etrack::notify::reminders::run(&mut conn, days(6)).unwrap(),
        0
    );
}

async fn ready_clients_are_not_reminded_until_a_change_leaves_them_incomplete(app: TestApp) {
    let w = World::new(&app).await;
    let season = &w.season;
    // The agency plans its ten pilgrims, holds exactly them, and has them covered: ready.
    app.post(&format!("/api/v1/seasons/{season}/groups"))
        .auth(&w.agency)
        .json(crate::readiness::group(
            "only",
            10,
            "2027-05-10",
            "2027-05-13",
        ))
        .await
        .assert_status(201);
    crate::world::allocate(&app, &w.office, season, &w.agency.organization_id, 10)
        .await
        .assert_status(200);
    crate::readiness::cover_ten(&app, &w, &w.agency).await;
    // The other office has its housing deadline (15 March, like every type's) moved to the 22nd.
    app.post(&format!("/api/v1/seasons/{season}/extensions"))
        .auth(&w.ministry)
        .json(json!({"organization_id": w.other_office.organization_id, "contract_type": "housing", "until": "2027-03-22", "reason": "late visas"}))
        .await
        .assert_status(201);
    let day = |s: &str| s.parse::<chrono::NaiveDate>().unwrap();
    let subjects = |r: crate::helpers::Reply| -> Vec<String> {
        let mut subjects: Vec<String> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "deadline_reminder")
            .map(|n| n["subject"].as_str().unwrap().to_owned())
            .collect();
        subjects.sort();
        subjects
    };
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    // 28 February: no deadline is within a reminder's reach (15 and 22 days away).
    assert_eq!(
        etrack::notify::reminders::run(&mut conn, day("2027-02-28")).unwrap(),
        0
    );
    // 8 March: the office is reminded of its three deadlines 7 days ahead, the other office of
    // its housing deadline 14 days ahead and of the other two 7 days ahead; the ready agency of
    // nothing.
    assert_eq!(
        etrack::notify::reminders::run(&mut conn, day("2027-03-08")).unwrap(),
        6
    );
    for today in ["2027-03-08", "2027-03-09"] {
        assert_eq!(
            etrack::notify::reminders::run(&mut conn, day(today)).unwrap(),
            0,
            "once per reminder"
        );
    }
    let inbox = |who| app.get("/api/v1/notifications").auth(who).send();
    assert_eq!(
        subjects(inbox(&w.other_office).await),
        [
            "14 days left to file housing contracts for Hajj 1448",
            "7 days left to file catering contracts for Hajj 1448",
            "7 days left to file transport contracts for Hajj 1448",
        ]
    );
    assert_eq!(subjects(inbox(&w.office).await).len(), 3);
    assert!(subjects(inbox(&w.agency).await).is_empty());
    // The office passes five more pilgrims to the agency, who plans none of them: incomplete, and
    // reminded of the deadlines whose reminders are still due that day.
    crate::world::allocate(&app, &w.office, season, &w.agency.organization_id, 15)
        .await
        .assert_status(200);
    assert_eq!(
        etrack::notify::reminders::run(&mut conn, day("2027-03-08")).unwrap(),
        3
    );
    assert_eq!(
        subjects(inbox(&w.agency).await),
        [
            "7 days left to file catering contracts for Hajj 1448",
            "7 days left to file housing contracts for Hajj 1448",
            "7 days left to file transport contracts for Hajj 1448",
        ]
    );
}

crate::backend_tests!(
    a_contracts_lifecycle_notifies_its_parties,
    the_inbox_is_the_organisations_own,
    a_failed_inspection_is_told_to_the_client_and_its_tawafa,
    incomplete_clients_are_reminded_once_before_each_deadline,
    ready_clients_are_not_reminded_until_a_change_leaves_them_incomplete,
);
