//! Seasons with Umm al-Qura dates, quotas and allocations (R1), deadline extensions (R2).

use serde_json::json;

use crate::helpers::TestApp;
use crate::world::{World, allocate, hajj_season, quota};

async fn a_hajj_season_shows_its_hajj_days_in_both_calendars(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let id = hajj_season(
        &app,
        &ministry,
        1446,
        "2025-04-01",
        "2025-07-15",
        "2025-03-15",
    )
    .await;
    let season = app
        .get(&format!("/api/v1/seasons/{id}"))
        .auth(&ministry)
        .send()
        .await;
    let season = season.assert_status(200);
    let days: Vec<(String, String)> = season["hajj_days"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| {
            (
                d["date"].as_str().unwrap().to_owned(),
                d["date_hijri"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // Umm al-Qura: the day of Arafah 1446 was Thursday 5 June 2025, Eid al-Adha the 6th.
    assert_eq!(days.len(), 6);
    assert_eq!(days[0], ("2025-06-04".to_owned(), "1446-12-08".to_owned()));
    assert_eq!(days[1], ("2025-06-05".to_owned(), "1446-12-09".to_owned()));
    assert_eq!(days[5], ("2025-06-09".to_owned(), "1446-12-13".to_owned()));
    assert_eq!(season["starts_on_hijri"], "1446-10-03");
    assert_eq!(season["deadlines"]["housing_hijri"], "1446-09-15");

    // An Umrah season has no hajj days; a Hajj season must contain them.
    let umrah = app
        .post("/api/v1/seasons")
        .auth(&ministry)
        .json(json!({"kind": "umrah", "hijri_year": 1447, "name": "Umrah 1447", "starts_on": "2025-07-01", "ends_on": "2026-04-30",
                     "deadlines": {"housing": "2026-04-01", "transport": "2026-04-01", "catering": "2026-04-01"}}))
        .await;
    assert!(umrah.assert_status(201).get("hajj_days").is_none());
    let bad = app
        .post("/api/v1/seasons")
        .auth(&ministry)
        .json(json!({"kind": "hajj", "hijri_year": 1447, "name": "Hajj 1447", "starts_on": "2026-01-01", "ends_on": "2026-03-01",
                     "deadlines": {"housing": "2026-04-01", "transport": "2026-02-01", "catering": "2026-02-01"}}))
        .await;
    bad.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = bad.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"ends_on") && fields.contains(&"deadlines.housing"),
        "{fields:?}"
    );
    app.post("/api/v1/seasons")
        .auth(&ministry)
        .json(json!({"kind": "hajj", "hijri_year": 1446, "name": "Again", "starts_on": "2025-04-01", "ends_on": "2025-07-15",
                     "deadlines": {"housing": "2025-03-15", "transport": "2025-03-15", "catering": "2025-03-15"}}))
        .await
        .assert_problem(409, "season_exists");
    // Only the ministry opens seasons; everyone reads them.
    let office = app
        .org_admin(&ministry, "hajj_office", Some("EG"), None)
        .await;
    app.post("/api/v1/seasons")
        .auth(&office)
        .json(json!({}))
        .await
        .assert_problem(403, "forbidden");
    let listed = app.get("/api/v1/seasons").auth(&office).send().await;
    assert_eq!(
        listed.assert_status(200)["items"].as_array().unwrap().len(),
        2
    );
}

async fn allocations_never_exceed_their_parent(app: TestApp) {
    let w = World::new(&app).await;
    let s = &w.season;
    // The office holds 600 of Indonesia's 1000; the agency 200 of the office's 600.
    allocate(&app, &w.ministry, s, &w.office.organization_id, 1001)
        .await
        .assert_problem(409, "quota_exceeded");
    allocate(&app, &w.office, s, &w.agency.organization_id, 601)
        .await
        .assert_problem(409, "quota_exceeded");
    allocate(&app, &w.office, s, &w.agency.organization_id, 600)
        .await
        .assert_status(200);
    // The office cannot go below what it passed on; the quota not below what it gave the office.
    allocate(&app, &w.ministry, s, &w.office.organization_id, 599)
        .await
        .assert_problem(409, "allocation_in_use");
    quota(&app, &w.ministry, s, "ID", 599)
        .await
        .assert_problem(409, "below_allocated");
    quota(&app, &w.ministry, s, "ID", 600)
        .await
        .assert_status(200);
    allocate(&app, &w.ministry, s, &w.office.organization_id, 601)
        .await
        .assert_problem(409, "quota_exceeded");
    allocate(&app, &w.office, s, &w.agency.organization_id, 100)
        .await
        .assert_status(200);

    // Who allocates to whom.
    allocate(&app, &w.ministry, s, &w.agency.organization_id, 10)
        .await
        .assert_problem(403, "forbidden");
    allocate(&app, &w.agency, s, &w.agency.organization_id, 10)
        .await
        .assert_problem(403, "forbidden");
    allocate(&app, &w.other_office, s, &w.agency.organization_id, 10)
        .await
        .assert_problem(404, "not_found");
    allocate(&app, &w.ministry, s, &w.provider.organization_id, 10)
        .await
        .assert_problem(409, "wrong_organization_kind");
    let no_quota = app
        .org_admin(&w.ministry, "hajj_office", Some("TR"), None)
        .await;
    allocate(&app, &w.ministry, s, &no_quota.organization_id, 10)
        .await
        .assert_problem(409, "no_quota");

    // Each sees its slice of quotas and allocations.
    let rows = |r: crate::helpers::Reply| r.body["items"].as_array().unwrap().len();
    let path = format!("/api/v1/seasons/{s}/allocations");
    assert_eq!(rows(app.get(&path).auth(&w.ministry).send().await), 3);
    assert_eq!(rows(app.get(&path).auth(&w.office).send().await), 2);
    assert_eq!(rows(app.get(&path).auth(&w.agency).send().await), 1);
    assert_eq!(rows(app.get(&path).auth(&w.other_office).send().await), 1);
    assert_eq!(rows(app.get(&path).auth(&w.provider).send().await), 0);
    let office_row = app.get(&path).auth(&w.office).send().await;
    let own = office_row.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["organization_id"] == w.office.organization_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (
            own["pilgrims"].as_i64(),
            own["suballocated"].as_i64(),
            own["own_pilgrims"].as_i64()
        ),
        (Some(600), Some(100), Some(500))
    );
    let quotas = format!("/api/v1/seasons/{s}/quotas");
    assert_eq!(rows(app.get(&quotas).auth(&w.ministry).send().await), 2);
    let seen = app.get(&quotas).auth(&w.agency).send().await;
    assert_eq!(
        seen.body,
        json!({"items": [{"season_id": s, "country": "ID", "pilgrims": 600, "allocated": 600}], "next_cursor": null})
    );
    assert_eq!(rows(app.get(&quotas).auth(&w.tawafa).send().await), 0);
}

async fn deadlines_and_extensions(app: TestApp) {
    let w = World::new(&app).await;
    // An Umrah season whose filing closed yesterday (Makkah time).
    let today = (chrono::Utc::now() + chrono::Duration::hours(3)).date_naive();
    let yesterday = today.pred_opt().unwrap();
    let tomorrow = today.succ_opt().unwrap();
    let start = today - chrono::Days::new(30);
    let end = today + chrono::Days::new(300);
    let season = app
        .post("/api/v1/seasons")
        .auth(&w.ministry)
        .json(json!({"kind": "umrah", "hijri_year": 1448, "name": "Umrah 1448", "starts_on": start, "ends_on": end,
                     "deadlines": {"housing": yesterday, "transport": tomorrow, "catering": yesterday}}))
        .await;
    let season = season.assert_status(201)["id"].as_str().unwrap().to_owned();
    quota(&app, &w.ministry, &season, "ID", 100)
        .await
        .assert_status(200);
    allocate(&app, &w.ministry, &season, &w.office.organization_id, 100)
        .await
        .assert_status(200);
    let from = (today + chrono::Days::new(60)).to_string();
    let to = (today + chrono::Days::new(62)).to_string();
    let building = crate::world::facility(
        &app,
        &w.provider,
        json!({"kind": "building", "name": "Near Haram", "city": "makkah", "licence_no": "UMR-1",
               "licence_valid_from": start, "licence_valid_to": end, "capacity": 50}),
    )
    .await;
    let body = json!({"season_id": season, "type": "housing", "facility_id": building, "starts_on": from, "ends_on": to,
                      "beds": 10, "unit_price": "90", "currency": "SAR"});
    let contract = w.draft(&app, &w.office, body).await;
    let late = w.step(&app, &w.office, &contract, "submit", None).await;
    late.assert_problem(409, "deadline_passed");
    // The answer says which day filing closed, in both calendars.
    assert_eq!(late.body["deadline"], yesterday.to_string());
    assert!(
        late.body["deadline_hijri"]
            .as_str()
            .is_some_and(|h| h.starts_with("14"))
    );
    assert_eq!(
        w.held(&app, &building, &from, &to).await,
        vec![0, 0, 0],
        "nothing held"
    );

    let extend = |contract_type: &str, until: chrono::NaiveDate| json!({"organization_id": w.office.organization_id, "contract_type": contract_type, "until": until, "reason": "flight schedule changed"});
    let path = format!("/api/v1/seasons/{season}/extensions");
    // An extension of another type does not help; one of this type does; only the ministry grants.
    app.post(&path)
        .auth(&w.ministry)
        .json(extend("catering", tomorrow))
        .await
        .assert_status(201);
    w.step(&app, &w.office, &contract, "submit", None)
        .await
        .assert_problem(409, "deadline_passed");
    app.post(&path)
        .auth(&w.office)
        .json(extend("housing", tomorrow))
        .await
        .assert_problem(403, "forbidden");
    let granted = app
        .post(&path)
        .auth(&w.ministry)
        .json(extend("housing", tomorrow))
        .await;
    assert_eq!(
        granted.assert_status(201)["granted_by"],
        w.ministry.user_id.as_str()
    );
    w.step(&app, &w.office, &contract, "submit", None)
        .await
        .assert_status(200);
    assert_eq!(w.held(&app, &building, &from, &to).await, vec![10, 10, 10]);
    // The office sees its own extensions, others none.
    assert_eq!(
        app.get(&path).auth(&w.office).send().await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        app.get(&path).auth(&w.agency).send().await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
}

crate::backend_tests!(
    a_hajj_season_shows_its_hajj_days_in_both_calendars,
    allocations_never_exceed_their_parent,
    deadlines_and_extensions,
);
