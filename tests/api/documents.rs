//! Documents over HTTP: uploads of each accepted type and of disguised ones, limits, contents kept
//! once, visibility from every kind of organisation, withdrawal, audited downloads, and
//! `etrack check` catching a content changed behind the portal's back.

use serde_json::{Value, json};

use crate::helpers::{Reply, Session, TestApp};
use crate::world::World;

const BOUNDARY: &str = "etrack-test-boundary-7MA4YWxkTrZu0gW";

/// A `multipart/form-data` body: text fields, then the file (name, declared type, content).
fn multipart(fields: &[(&str, &str)], file: Option<(&str, Option<&str>, &[u8])>) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    if let Some((file_name, declared, content)) = file {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n"
            )
            .as_bytes(),
        );
        if let Some(declared) = declared {
            body.extend_from_slice(format!("Content-Type: {declared}\r\n").as_bytes());
        }
        body.extend_from_slice(b"\r\n");
        body.extend_from_slice(content);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

fn pdf(text: &str) -> Vec<u8> {
    format!("%PDF-1.7\n% {text}\n1 0 obj << /Type /Catalog >> endobj\n%%EOF\n").into_bytes()
}

fn png() -> Vec<u8> {
    let mut content = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR".to_vec();
    content.extend_from_slice(&[0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0]);
    content
}

fn jpeg() -> Vec<u8> {
    let mut content = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    content.extend_from_slice(b"JFIF\0 a photo of the kitchen");
    content
}

async fn upload(
    app: &TestApp,
    by: &Session,
    record: &str,
    fields: &[(&str, &str)],
    file: Option<(&str, Option<&str>, &[u8])>,
) -> Reply {
    app.post(&format!("/api/v1/{record}/documents"))
        .auth(by)
        .raw(
            Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
            multipart(fields, file),
        )
        .await
}

/// An upload of a file with only its kind, declaring no type.
async fn attach(
    app: &TestApp,
    by: &Session,
    record: &str,
    kind: &str,
    name: &str,
    content: &[u8],
) -> Reply {
    upload(
        app,
        by,
        record,
        &[("kind", kind)],
        Some((name, None, content)),
    )
    .await
}

async fn listed(app: &TestApp, by: &Session, record: &str) -> Reply {
    app.get(&format!("/api/v1/{record}/documents"))
        .auth(by)
        .send()
        .await
}

fn names(list: &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_owned())
        .collect()
}

fn field_codes(reply: &Reply) -> Vec<(String, String)> {
    reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["field"].as_str().unwrap().to_owned(),
                e["code"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn documents_are_checked_kept_once_and_seen_with_their_record(app: TestApp) {
    let w = World::new(&app).await;
    let facility = format!("facilities/{}", w.building);

    // The provider attaches its building's licence, valid over the season.
    let licence = pdf("building licence 2027");
    let reply = upload(
        &app,
        &w.provider,
        &facility,
        &[
            ("kind", "licence"),
            ("valid_from", "2027-01-01"),
            ("valid_until", "2027-12-31"),
        ],
        Some((
            "../../scans/رخصة البناء.pdf",
            Some("application/pdf"),
            &licence,
        )),
    )
    .await;
    let created = reply.assert_status(201).clone();
    assert_eq!(created["name"], "رخصة البناء.pdf");
    assert_eq!(created["media_type"], "application/pdf");
    assert_eq!(created["size"], licence.len());
    assert_eq!(
        created["sha256"].as_str().unwrap(),
        etrack::storage::documents::digest(&licence)
    );
    assert_eq!(created["valid_until"], "2027-12-31");
    let location = reply.header("location").unwrap();
    assert_eq!(
        location,
        format!("/api/v1/documents/{}", created["id"].as_str().unwrap())
    );

    // Only the facility's provider attaches to it; only what the content is gets in.
    attach(
        &app,
        &w.other_provider,
        &facility,
        "licence",
        "x.pdf",
        &licence,
    )
    .await
    .assert_status(404);
    attach(&app, &w.office, &facility, "licence", "x.pdf", &licence)
        .await
        .assert_problem(403, "forbidden");
    let disguised: Vec<(&str, Option<&str>, Vec<u8>, &str)> = vec![
        (
            "setup.pdf",
            Some("application/pdf"),
            b"MZ\x90\0\x03\0\0\0".to_vec(),
            "unsupported_content",
        ),
        (
            "run.pdf",
            None,
            b"\x7fELF\x02\x01\x01".to_vec(),
            "unsupported_content",
        ),
        (
            "page.png",
            Some("image/png"),
            b"<html><script>alert(1)</script>".to_vec(),
            "unsupported_content",
        ),
        (
            "licence.png",
            Some("image/png"),
            licence.clone(),
            "type_mismatch",
        ),
        ("empty.pdf", None, Vec::new(), "empty"),
    ];
    for (name, declared, content, code) in &disguised {
        let refused = upload(
            &app,
            &w.provider,
            &facility,
            &[("kind", "licence")],
            Some((name, *declared, content)),
        )
        .await;
        refused.assert_problem(422, "validation_failed");
        assert_eq!(
            field_codes(&refused),
            vec![("file".to_owned(), code.to_string())],
            "{name}"
        );
    }
    let refused = upload(
        &app,
        &w.provider,
        &facility,
        &[
            ("kind", "passport"),
            ("valid_from", "2027-06-01"),
            ("valid_until", "2027-05-01"),
        ],
        Some(("x.pdf", None, &licence)),
    )
    .await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(
        field_codes(&refused),
        vec![
            ("kind".to_owned(), "invalid_kind".to_owned()),
            ("valid_until".to_owned(), "invalid_range".to_owned())
        ]
    );
    upload(&app, &w.provider, &facility, &[("kind", "licence")], None)
        .await
        .assert_problem(422, "validation_failed");
    let too_big = {
        let mut content = pdf("large");
        content.resize(10 * 1024 * 1024 + 1, b' ');
        content
    };
    attach(&app, &w.provider, &facility, "licence", "big.pdf", &too_big)
        .await
        .assert_problem(413, "payload_too_large");
    app.post(&format!("/api/v1/{facility}/documents"))
        .auth(&w.provider)
        .raw(
            Some("multipart/form-data; boundary=nothing-here"),
            b"garbage".to_vec(),
        )
        .await
        .assert_problem(400, "malformed_multipart");
    app.post(&format!("/api/v1/{facility}/documents"))
        .auth(&w.provider)
        .raw(Some("application/pdf"), licence.clone())
        .await
        .assert_problem(415, "unsupported_media_type");
    // None of that stored anything.
    assert_eq!(
        names(
            listed(&app, &w.provider, &facility)
                .await
                .assert_status(200)
        ),
        vec!["رخصة البناء.pdf"]
    );

    // The facility's documents: to whoever sees the facility.
    for (who, status) in [
        (&w.provider, 200),
        (&w.office, 200),
        (&w.ministry, 200),
        (&w.other_provider, 404),
        (&w.tawafa, 404),
        (&w.authority, 404),
    ] {
        assert_eq!(listed(&app, who, &facility).await.status, status);
    }

    // A contract's papers: the signed copy (its prices inside) and a photo, by its parties.
    let contract = w
        .approved(&app, &w.office, w.housing(10, "2027-05-10", "2027-05-12"))
        .await;
    let on_contract = format!("contracts/{contract}");
    let signed = attach(
        &app,
        &w.office,
        &on_contract,
        "signed_contract",
        "contract signed.pdf",
        &pdf("signed by both"),
    )
    .await;
    let signed = signed.assert_status(201)["id"].as_str().unwrap().to_owned();
    let photo = upload(
        &app,
        &w.provider,
        &on_contract,
        &[("kind", "other")],
        Some(("entrance.jpeg", Some("image/jpeg"), &jpeg())),
    )
    .await;
    let photo = photo.assert_status(201).clone();
    assert_eq!(
        (&photo["media_type"], &photo["name"]),
        (&json!("image/jpeg"), &json!("entrance.jpg"))
    );
    let photo = photo["id"].as_str().unwrap().to_owned();
    upload(
        &app,
        &w.tawafa,
        &on_contract,
        &[("kind", "other")],
        Some(("x.png", None, &png())),
    )
    .await
    .assert_problem(403, "forbidden");
    // Tawafa establishments see the contract's documents, the signed copy with its prices aside.
    for (who, seen) in [
        (&w.office, vec!["contract signed.pdf", "entrance.jpg"]),
        (&w.provider, vec!["contract signed.pdf", "entrance.jpg"]),
        (&w.ministry, vec!["contract signed.pdf", "entrance.jpg"]),
        (&w.tawafa, vec!["entrance.jpg"]),
    ] {
        assert_eq!(
            names(listed(&app, who, &on_contract).await.assert_status(200)),
            seen
        );
    }
    for outsider in [
        &w.other_office,
        &w.agency,
        &w.other_provider,
        &w.other_tawafa,
        &w.authority,
    ] {
        listed(&app, outsider, &on_contract)
            .await
            .assert_status(404);
        for id in [&signed, &photo] {
            for path in [
                format!("/api/v1/documents/{id}"),
                format!("/api/v1/documents/{id}/content"),
            ] {
                app.get(&path)
                    .auth(outsider)
                    .send()
                    .await
                    .assert_status(404);
            }
        }
    }
    app.get(&format!("/api/v1/documents/{signed}/content"))
        .auth(&w.tawafa)
        .send()
        .await
        .assert_status(404);

    // A download: the bytes as uploaded, as an attachment the browser will not sniff; audited.
    let got = app
        .get(&format!("/api/v1/documents/{photo}/content"))
        .auth(&w.tawafa)
        .send()
        .await;
    got.assert_status(200);
    assert_eq!(got.bytes, jpeg());
    assert_eq!(got.header("content-type").as_deref(), Some("image/jpeg"));
    assert_eq!(
        got.header("x-content-type-options").as_deref(),
        Some("nosniff")
    );
    let disposition = got.header("content-disposition").unwrap();
    assert!(disposition.starts_with("attachment"), "{disposition}");
    assert!(disposition.contains("entrance.jpg"), "{disposition}");
    let got = app
        .get(&format!(
            "/api/v1/documents/{}/content",
            created["id"].as_str().unwrap()
        ))
        .auth(&w.office)
        .send()
        .await;
    got.assert_status(200);
    assert_eq!(got.bytes, licence);
    let disposition = got.header("content-disposition").unwrap();
    assert!(disposition.contains("filename*=UTF-8''"), "{disposition}");
    let audit = app
        .get("/api/v1/audit?limit=200")
        .auth(&w.ministry)
        .send()
        .await;
    let downloads = audit.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "GET /api/v1/documents/{id}/content")
        .count();
    assert_eq!(downloads, 2);

    // An amendment's and an inspection's documents follow their contract.
    let amendment = app
        .post(&format!("/api/v1/contracts/{contract}/amendments"))
        .auth(&w.office)
        .json(json!({"reason": "a larger group", "beds": 12}))
        .await;
    let amendment = amendment.assert_status(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let on_amendment = format!("amendments/{amendment}");
    upload(
        &app,
        &w.office,
        &on_amendment,
        &[("kind", "lease")],
        Some(("lease.png", Some("image/png"), &png())),
    )
    .await
    .assert_status(201);
    assert_eq!(
        names(
            listed(&app, &w.provider, &on_amendment)
                .await
                .assert_status(200)
        ),
        vec!["lease.png"]
    );
    listed(&app, &w.other_office, &on_amendment)
        .await
        .assert_status(404);
    let today = (chrono::Utc::now() + chrono::Duration::hours(3)).date_naive();
    let inspection = app
        .post("/api/v1/inspections")
        .auth(&w.tawafa)
        .json(json!({"contract_id": contract, "inspected_on": today, "result": "pass"}))
        .await;
    let inspection = inspection.assert_status(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let on_inspection = format!("inspections/{inspection}");
    attach(
        &app,
        &w.tawafa,
        &on_inspection,
        "inspection_report",
        "report.pdf",
        &pdf("all exits clear"),
    )
    .await
    .assert_status(201);
    attach(
        &app,
        &w.provider,
        &on_inspection,
        "inspection_report",
        "mine.pdf",
        &pdf("mine"),
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(
        names(
            listed(&app, &w.office, &on_inspection)
                .await
                .assert_status(200)
        ),
        vec!["report.pdf"]
    );
    listed(&app, &w.other_tawafa, &on_inspection)
        .await
        .assert_status(404);

    // Withdrawn by its uploader with a reason, a document stays listed, marked.
    let withdraw = |by: &Session, id: &str, body: Value| {
        let path = format!("/api/v1/documents/{id}/withdraw");
        let request = app.post(&path).auth(by);
        async move { request.json(body).await }
    };
    withdraw(&w.provider, &signed, json!({"reason": "not mine"}))
        .await
        .assert_problem(403, "forbidden");
    withdraw(&w.office, &signed, json!({}))
        .await
        .assert_problem(422, "validation_failed");
    let done = withdraw(&w.office, &signed, json!({"reason": "unsigned page"})).await;
    assert_eq!(
        done.assert_status(200)["withdrawal_reason"],
        "unsigned page"
    );
    withdraw(&w.office, &signed, json!({"reason": "again"}))
        .await
        .assert_problem(409, "already_withdrawn");
    let list = listed(&app, &w.office, &on_contract).await;
    let first = &list.assert_status(200)["items"][0];
    assert_eq!(first["id"], signed.as_str());
    assert!(first["withdrawn_at"].is_string());

    // The same content attached again (on another record) is kept once.
    for record in [&on_contract, &on_amendment] {
        upload(
            &app,
            &w.office,
            record,
            &[("kind", "other")],
            Some(("copy.pdf", None, &licence)),
        )
        .await
        .assert_status(201);
    }
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    let (contents, problems) = etrack::usecases::documents::verify(&mut conn).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
    // The licence, the signed copy, the photo, the lease, the report: five contents.
    assert_eq!(contents, 5);
}

/// A record holds at most 50 documents, withdrawn ones aside; the same content attached fifty
/// times is kept once. (The 50 MiB a record may weigh is the same check on sizes.)
async fn a_record_has_room_for_so_much(app: TestApp) {
    let w = World::new(&app).await;
    let facility = format!("facilities/{}", w.fleet);
    let permit = pdf("permit scan");
    for _ in 0..50 {
        attach(
            &app,
            &w.provider,
            &facility,
            "permit",
            "permit.pdf",
            &permit,
        )
        .await
        .assert_status(201);
    }
    let small = pdf("small");
    attach(
        &app,
        &w.provider,
        &facility,
        "permit",
        "one more.pdf",
        &small,
    )
    .await
    .assert_problem(409, "record_documents_full");
    let first = listed(&app, &w.provider, &facility).await;
    let first = first.assert_status(200)["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(&format!("/api/v1/documents/{first}/withdraw"))
        .auth(&w.provider)
        .json(json!({"reason": "scanned twice"}))
        .await
        .assert_status(200);
    attach(
        &app,
        &w.provider,
        &facility,
        "permit",
        "one more.pdf",
        &small,
    )
    .await
    .assert_status(201);
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    assert_eq!(etrack::usecases::documents::verify(&mut conn).unwrap().0, 2);
}

/// `etrack check` names a content changed behind the portal's back.
async fn check_catches_a_changed_content(app: TestApp) {
    use diesel::RunQueryDsl;
    let w = World::new(&app).await;
    let facility = format!("facilities/{}", w.kitchen);
    let mut hashes = Vec::new();
    for (kind, content) in [
        ("health_certificate", pdf("kitchen health")),
        ("insurance", png()),
    ] {
        let reply = upload(
            &app,
            &w.provider,
            &facility,
            &[("kind", kind)],
            Some(("paper", None, &content)),
        )
        .await;
        hashes.push(
            reply.assert_status(201)["sha256"]
                .as_str()
                .unwrap()
                .to_owned(),
        );
    }
    // An upload retried with its Idempotency-Key answers the first record; the key with another
    // file is refused.
    let keyed = |content: Vec<u8>| {
        let request = app
            .post(&format!("/api/v1/{facility}/documents"))
            .auth(&w.provider)
            .header("idempotency-key", "kitchen-scan-1");
        let body = multipart(&[("kind", "other")], Some(("scan.pdf", None, &content)));
        async move {
            request
                .raw(
                    Some(&format!("multipart/form-data; boundary={BOUNDARY}")),
                    body,
                )
                .await
        }
    };
    let first = keyed(pdf("kitchen health")).await;
    let again = keyed(pdf("kitchen health")).await;
    assert_eq!(
        first.assert_status(201)["id"],
        again.assert_status(201)["id"]
    );
    assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
    keyed(pdf("another scan"))
        .await
        .assert_problem(409, "idempotency_key_reused");
    let Some(url) = app.database_url() else {
        return;
    };
    let (ok, report) = crate::process::run_etrack(url, &["check"]);
    assert!(
        ok && report.contains("2 document contents matching"),
        "{report}"
    );
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    diesel::sql_query(format!(
        "UPDATE document_contents SET content = \
         (SELECT c.content FROM document_contents c WHERE c.sha256 = '{}') WHERE sha256 = '{}'",
        hashes[1], hashes[0]
    ))
    .execute(&mut conn)
    .unwrap();
    let (ok, report) = crate::process::run_etrack(url, &["check"]);
    assert!(!ok, "{report}");
    assert!(
        report.contains(&format!("document content {} no longer matches", hashes[0])),
        "{report}"
    );
}

/// A season's rule: a housing submission needs the building's licence and civil-defence
/// certificate, valid over the contract's dates and not withdrawn.
async fn a_submission_needs_the_documents_its_season_asks_for(app: TestApp) {
    let w = World::new(&app).await;
    let rule = |by: &Session, kinds: Value| {
        let path = format!("/api/v1/seasons/{}/document-rules/housing", w.season);
        let request = app.put(&path).auth(by);
        async move { request.json(json!({ "kinds": kinds })).await }
    };
    rule(&w.office, json!(["licence"]))
        .await
        .assert_problem(403, "forbidden");
    let refused = rule(&w.ministry, json!(["licence", "passport", "licence"])).await;
    refused.assert_problem(422, "validation_failed");
    assert_eq!(
        field_codes(&refused),
        vec![
            ("kinds[1]".to_owned(), "invalid_kind".to_owned()),
            ("kinds[2]".to_owned(), "repeated".to_owned())
        ]
    );
    let set = rule(&w.ministry, json!(["licence", "civil_defence"])).await;
    assert_eq!(
        set.assert_status(200)["kinds"],
        json!(["civil_defence", "licence"])
    );
    let rules = app
        .get(&format!("/api/v1/seasons/{}/document-rules", w.season))
        .auth(&w.office)
        .send()
        .await;
    let rules = rules.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .clone();
    assert_eq!(rules.len(), 3);
    assert!(
        rules.contains(&json!({"contract_type": "housing", "kinds": ["civil_defence", "licence"]}))
    );
    assert!(rules.contains(&json!({"contract_type": "transport", "kinds": []})));

    let submit = |id: &str| {
        let path = format!("/api/v1/contracts/{id}/submit");
        let request = app.post(&path).auth(&w.office);
        async move { request.send().await }
    };
    let missing = |reply: &Reply| reply.body["missing_documents"].clone();
    let contract = w
        .draft(&app, &w.office, w.housing(10, "2027-05-10", "2027-05-12"))
        .await;
    let refused = submit(&contract).await;
    refused.assert_problem(409, "documents_missing");
    assert_eq!(missing(&refused), json!(["civil_defence", "licence"]));
    assert_eq!(
        w.held(&app, &w.building, "2027-05-10", "2027-05-12").await,
        vec![0, 0, 0],
        "a refused submission holds nothing"
    );

    // The licence, and a certificate that expires before the contract ends: one is missing.
    let building = format!("facilities/{}", w.building);
    upload(
        &app,
        &w.provider,
        &building,
        &[
            ("kind", "licence"),
            ("valid_from", "2027-01-01"),
            ("valid_until", "2027-12-31"),
        ],
        Some(("licence.pdf", None, &pdf("licence"))),
    )
    .await
    .assert_status(201);
    upload(
        &app,
        &w.provider,
        &building,
        &[("kind", "civil_defence"), ("valid_until", "2027-05-11")],
        Some(("civil defence 2026.pdf", None, &pdf("expiring"))),
    )
    .await
    .assert_status(201);
    let refused = submit(&contract).await;
    refused.assert_problem(409, "documents_missing");
    assert_eq!(missing(&refused), json!(["civil_defence"]));

    // A valid certificate withdrawn does not count; the office's copy on the contract does.
    let renewed = upload(
        &app,
        &w.provider,
        &building,
        &[("kind", "civil_defence"), ("valid_until", "2027-12-31")],
        Some(("civil defence 2027.pdf", None, &pdf("renewed"))),
    )
    .await;
    let renewed = renewed.assert_status(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(&format!("/api/v1/documents/{renewed}/withdraw"))
        .auth(&w.provider)
        .json(json!({"reason": "wrong building"}))
        .await
        .assert_status(200);
    submit(&contract)
        .await
        .assert_problem(409, "documents_missing");
    attach(
        &app,
        &w.office,
        &format!("contracts/{contract}"),
        "civil_defence",
        "certificate copy.pdf",
        &pdf("copy"),
    )
    .await
    .assert_status(201);
    submit(&contract).await.assert_status(200);
    assert_eq!(
        w.held(&app, &w.building, "2027-05-10", "2027-05-12").await,
        vec![10, 10, 10]
    );

    // Other contract types need nothing.
    let bus = w
        .draft(
            &app,
            &w.office,
            json!({"season_id": w.season, "type": "transport", "facility_id": w.fleet,
                   "starts_on": "2027-05-10", "ends_on": "2027-05-10",
                   "route": {"from": "jed", "to": "makkah"}, "seats": 10, "unit_price": "40", "currency": "SAR"}),
        )
        .await;
    submit(&bus).await.assert_status(200);
}

async fn readiness_of(app: &TestApp, w: &World, by: &Session) -> Reply {
    let office = &w.office.organization_id;
    app.get(&format!("/api/v1/seasons/{}/readiness/{office}", w.season))
        .auth(by)
        .send()
        .await
}

/// The `document_expiring` gaps of the office's readiness, as (kind, last valid day).
async fn lapsing(app: &TestApp, w: &World) -> (i64, Vec<(String, String)>) {
    let r = readiness_of(app, w, &w.office).await;
    let r = r.assert_status(200);
    let gaps = r["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|g| g["category"] == "document_expiring")
        .map(|g| {
            (
                g["document"]["kind"].as_str().unwrap().to_owned(),
                g["date"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    (r["gap_count"].as_i64().unwrap(), gaps)
}

fn remind(app: &TestApp, day: &str) {
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    etrack::notify::reminders::run(&mut conn, day.parse().unwrap()).unwrap();
}

/// The subjects of an organisation's expiry reminders.
async fn expiry_reminders(app: &TestApp, by: &Session) -> Vec<String> {
    let inbox = app.get("/api/v1/notifications").auth(by).send().await;
    inbox.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "document_expiring")
        .map(|n| n["subject"].as_str().unwrap().to_owned())
        .collect()
}

/// R25: a facility paper lapsing before the end of an approved contract relying on it is a gap in
/// the client's readiness until a renewed one is attached, and the provider and the client are
/// told 30, 14 and 3 days before it lapses.
async fn a_paper_lapsing_before_a_contract_ends_is_a_gap_and_told(app: TestApp) {
    let w = World::new(&app).await;
    let contract = w
        .approved(&app, &w.office, w.housing(10, "2027-05-10", "2027-05-20"))
        .await;
    let (before, gaps) = lapsing(&app, &w).await;
    assert!(gaps.is_empty());
    let building = format!("facilities/{}", w.building);
    let paper = |kind: &'static str, until: Option<&'static str>, text: &'static str| {
        let mut fields = vec![("kind", kind)];
        if let Some(until) = until {
            fields.push(("valid_until", until));
        }
        let (app, w, building) = (&app, &w, &building);
        async move {
            let reply = upload(
                app,
                &w.provider,
                building,
                &fields,
                Some(("paper.pdf", None, &pdf(text))),
            )
            .await;
            reply.assert_status(201)["id"].as_str().unwrap().to_owned()
        }
    };
    // A licence valid until the 15th, an insurance policy stating no end: the licence lapses.
    let licence = paper("licence", Some("2027-05-15"), "licence").await;
    paper("insurance", None, "insurance").await;
    let (count, gaps) = lapsing(&app, &w).await;
    assert_eq!(count, before + 1);
    assert_eq!(gaps, vec![("licence".to_owned(), "2027-05-15".to_owned())]);
    let detail = readiness_of(&app, &w, &w.office).await;
    let gap = detail.body["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["category"] == "document_expiring")
        .unwrap()
        .clone();
    assert_eq!(
        gap["document"],
        json!({"document_id": licence, "kind": "licence", "facility_id": w.building,
               "contract_id": contract, "contract_ends_on": "2027-05-20"})
    );
    assert_eq!(detail.body["status"], "incomplete");
    // The ministry's board counts it; the tawafa establishment sees it; outsiders see nothing.
    let line = w.board_line(&app, &w.office.organization_id).await;
    assert_eq!(line["gap_count"], before + 1);
    let seen = readiness_of(&app, &w, &w.tawafa).await;
    assert_eq!(seen.assert_status(200)["gap_count"], before + 1);
    for outsider in [&w.other_office, &w.agency, &w.other_tawafa] {
        readiness_of(&app, &w, outsider).await.assert_status(404);
    }

    // Reminders: not 31 days before; at 30 days the provider and the client, once each; at 14.
    remind(&app, "2027-04-14");
    assert!(expiry_reminders(&app, &w.provider).await.is_empty());
    remind(&app, "2027-04-15");
    remind(&app, "2027-04-16");
    let told = expiry_reminders(&app, &w.office).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert!(
        told[0].starts_with("The licence of ")
            && told[0].ends_with(" lapses in 30 days, before a contract ends"),
        "{told:?}"
    );
    assert_eq!(expiry_reminders(&app, &w.provider).await.len(), 1);
    remind(&app, "2027-05-01");
    assert_eq!(expiry_reminders(&app, &w.office).await.len(), 2);
    assert_eq!(expiry_reminders(&app, &w.provider).await.len(), 2);
    for other in [&w.other_office, &w.other_provider, &w.agency] {
        assert!(expiry_reminders(&app, other).await.is_empty());
    }

    // A renewed licence clears the gap, and nothing more is told.
    let renewed = paper("licence", Some("2027-12-31"), "renewed").await;
    let (count, gaps) = lapsing(&app, &w).await;
    assert_eq!((count, gaps.len()), (before, 0));
    remind(&app, "2027-05-12");
    assert_eq!(expiry_reminders(&app, &w.office).await.len(), 2);
    // Withdrawn, the old one lapses again; both withdrawn, no licence lapses (a missing one is
    // the submission rule's business, R24).
    let withdraw = |id: String| {
        let request = app
            .post(&format!("/api/v1/documents/{id}/withdraw"))
            .auth(&w.provider);
        async move { request.json(json!({"reason": "replaced"})).await }
    };
    withdraw(renewed).await.assert_status(200);
    assert_eq!(lapsing(&app, &w).await.1.len(), 1);
    remind(&app, "2027-05-12");
    assert_eq!(
        expiry_reminders(&app, &w.office).await.len(),
        3,
        "3 days before"
    );
    withdraw(licence).await.assert_status(200);
    assert_eq!(lapsing(&app, &w).await, (before, Vec::new()));
    // The view kept by each change is what a fresh assessment finds.
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    let (_, problems) = etrack::usecases::readiness::verify_view(&mut conn).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}

crate::backend_tests!(
    documents_are_checked_kept_once_and_seen_with_their_record,
    a_record_has_room_for_so_much,
    check_catches_a_changed_content,
    a_submission_needs_the_documents_its_season_asks_for,
    a_paper_lapsing_before_a_contract_ends_is_a_gap_and_told
);
