//! Plans, readiness, visa eligibility and inspections on a small season, end to end.

use serde_json::{Value, json};

use crate::helpers::{Session, TestApp};
use crate::world::{World, allocate};

pub fn group(name: &str, pilgrims: i64, arrive: &str, leave: &str) -> Value {
    json!({"name": name, "pilgrims": pilgrims, "arrival": {"port": "jed", "date": arrive}, "departure": {"port": "jed", "date": leave},
           "stays": [{"city": "makkah", "from": arrive, "to": leave}]})
}

async fn plan(app: &TestApp, w: &World, client: &Session, body: Value) -> crate::helpers::Reply {
    app.post(&format!("/api/v1/seasons/{}/groups", w.season))
        .auth(client)
        .json(body)
        .await
}

/// Approved contracts covering 10 pilgrims in Makkah from 10 to 13 May, arriving and leaving by Jeddah.
pub async fn cover_ten(app: &TestApp, w: &World, client: &Session) -> Vec<String> {
    let s = &w.season;
    let bodies = [
        w.housing(10, "2027-05-10", "2027-05-12"),
        json!({"season_id": s, "type": "catering", "facility_id": w.kitchen, "starts_on": "2027-05-10", "ends_on": "2027-05-12", "pilgrims": 10, "meals_per_day": 3, "unit_price": "20", "currency": "SAR"}),
        json!({"season_id": s, "type": "transport", "facility_id": w.fleet, "starts_on": "2027-05-10", "ends_on": "2027-05-10", "route": {"from": "jed", "to": "makkah"}, "seats": 10, "unit_price": "40", "currency": "SAR"}),
        json!({"season_id": s, "type": "transport", "facility_id": w.fleet, "starts_on": "2027-05-13", "ends_on": "2027-05-13", "route": {"from": "makkah", "to": "jed"}, "seats": 10, "unit_price": "40", "currency": "SAR"}),
    ];
    let mut ids = Vec::new();
    for body in bodies {
        ids.push(w.approved(app, client, body).await);
    }
    ids
}

async fn readiness_of(
    app: &TestApp,
    w: &World,
    by: &Session,
    client: &Session,
) -> crate::helpers::Reply {
    app.get(&format!(
        "/api/v1/seasons/{}/readiness/{}",
        w.season, client.organization_id
    ))
    .auth(by)
    .send()
    .await
}

async fn readiness_and_eligibility_on_a_small_season(app: TestApp) {
    let w = World::new(&app).await;
    // The office keeps 15 pilgrims itself (200 of its 215 go to its agency).
    allocate(&app, &w.ministry, &w.season, &w.office.organization_id, 215)
        .await
        .assert_status(200);
    plan(
        &app,
        &w,
        &w.office,
        group("early", 10, "2027-05-10", "2027-05-13"),
    )
    .await
    .assert_status(201);
    let late = plan(
        &app,
        &w,
        &w.office,
        group("late", 5, "2027-05-11", "2027-05-13"),
    )
    .await;
    let late_id = late.assert_status(201)["id"].as_str().unwrap().to_owned();
    assert_eq!(late.body["arrival_date_hijri"], "1448-12-05");

    let before = readiness_of(&app, &w, &w.office, &w.office).await;
    let r = before.assert_status(200);
    assert_eq!(r["status"], "incomplete");
    assert_eq!(r["planned"], 15);
    assert_eq!(r["visa_eligible"], 0);
    assert_eq!(
        r["coverage"]["housing"],
        json!({"needed": 40, "covered": 0})
    );

    cover_ten(&app, &w, &w.office).await;
    let after = readiness_of(&app, &w, &w.office, &w.office).await;
    let r = after.assert_status(200).clone();
    assert_eq!(r["status"], "incomplete");
    assert_eq!(
        r["visa_eligible"], 10,
        "the earlier arrival is served first (R12)"
    );
    let eligible: Vec<(String, bool)> = r["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["name"].as_str().unwrap().to_owned(),
                g["visa_eligible"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        eligible,
        [("early".to_owned(), true), ("late".to_owned(), false)]
    );
    // The visa desk's dataset names the eligible groups: reference, arrival, count.
    let visa = app
        .get(&format!(
            "/api/v1/seasons/{}/datasets/visa_eligibility",
            w.season
        ))
        .auth(&w.ministry)
        .send()
        .await;
    let office = visa.assert_status(200)["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["organization_id"] == w.office.organization_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(office["visa_eligible"], 10);
    let groups = office["eligible_groups"].as_array().unwrap();
    assert_eq!(groups.len(), 1);
    assert_eq!(groups[0]["group_name"], "early");
    assert_eq!(groups[0]["pilgrims"], 10);
    assert_eq!(
        groups[0]["arrival"],
        json!({"port": "jed", "date": "2027-05-10"})
    );
    // The late group's five are missing on its two nights and meal days and its way out.
    let gaps: Vec<(String, String, String, i64, i64)> = r["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            let place = g
                .get("city")
                .or(g.get("route"))
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned();
            (
                g["category"].as_str().unwrap().to_owned(),
                place,
                g["date"].as_str().unwrap().to_owned(),
                g["needed"].as_i64().unwrap(),
                g["covered"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        gaps,
        [
            (
                "housing".into(),
                "makkah".into(),
                "2027-05-11".into(),
                15,
                10
            ),
            (
                "housing".into(),
                "makkah".into(),
                "2027-05-12".into(),
                15,
                10
            ),
            (
                "transport".into(),
                "jed>makkah".into(),
                "2027-05-11".into(),
                5,
                0
            ),
            (
                "transport".into(),
                "makkah>jed".into(),
                "2027-05-13".into(),
                15,
                10
            ),
            (
                "catering".into(),
                "makkah".into(),
                "2027-05-11".into(),
                15,
                10
            ),
            (
                "catering".into(),
                "makkah".into(),
                "2027-05-12".into(),
                15,
                10
            ),
        ]
    );
    // Dropping the late group covers every day of the plan, but five allocated pilgrims are now
    // in no group: not ready, and the gap says how many.
    app.delete(&format!("/api/v1/groups/{late_id}"))
        .auth(&w.office)
        .send()
        .await
        .assert_status(204);
    let unplanned = readiness_of(&app, &w, &w.office, &w.office).await;
    assert_eq!(unplanned.body["status"], "incomplete");
    assert_eq!(unplanned.body["unplanned"], 5);
    assert_eq!(
        unplanned.body["gaps"],
        json!([{"category": "unplanned", "needed": 15, "covered": 10, "pilgrims": 5}])
    );
    // Once the office hands those five back, it is ready, all eligible.
    allocate(&app, &w.ministry, &w.season, &w.office.organization_id, 210)
        .await
        .assert_status(200);
    let ready = readiness_of(&app, &w, &w.office, &w.office).await;
    assert_eq!(ready.body["status"], "ready");
    assert_eq!(ready.body["visa_eligible"], 10);
    assert!(ready.body["gaps"].as_array().unwrap().is_empty());
    // The ministry's view: every client, worst first, also as CSV.
    let all = app
        .get(&format!("/api/v1/seasons/{}/readiness", w.season))
        .auth(&w.ministry)
        .send()
        .await;
    let rows = all.assert_status(200)["items"].as_array().unwrap().clone();
    assert_eq!(
        rows.len(),
        3,
        "office, agency and the other office hold allocations"
    );
    assert_eq!(
        rows.last().unwrap()["organization"]["id"],
        w.office.organization_id.as_str(),
        "the only ready client comes last"
    );
    let csv = app
        .get(&format!("/api/v1/seasons/{}/readiness", w.season))
        .auth(&w.ministry)
        .header("Accept", "text/csv")
        .send()
        .await;
    assert_eq!(csv.text.lines().count(), 4);
}

async fn a_failed_inspection_takes_coverage_away_until_a_pass(app: TestApp) {
    let w = World::new(&app).await;
    plan(
        &app,
        &w,
        &w.agency,
        group("only", 10, "2027-05-10", "2027-05-13"),
    )
    .await
    .assert_status(201);
    // The agency keeps exactly the ten it planned.
    allocate(&app, &w.office, &w.season, &w.agency.organization_id, 10)
        .await
        .assert_status(200);
    let contracts = cover_ten(&app, &w, &w.agency).await;
    assert_eq!(
        readiness_of(&app, &w, &w.tawafa, &w.agency).await.body["status"],
        "ready"
    );
    let inspect = |by: &Session, result: &str, on: &str, findings: &str| {
        app.post("/api/v1/inspections").auth(by).json(json!({"contract_id": contracts[0], "inspected_on": on, "result": result, "findings": findings}))
    };
    let failed = inspect(&w.tawafa, "fail", "2026-11-01", "fire exits blocked").await;
    assert_eq!(failed.assert_status(201)["result"], "fail");
    let r = readiness_of(&app, &w, &w.tawafa, &w.agency).await;
    assert_eq!(r.body["status"], "incomplete");
    // Each night the withheld housing contract would cover is a gap naming the inspection.
    let gaps = r.body["gaps"].as_array().unwrap();
    assert_eq!(gaps.len(), 3, "{gaps:?}");
    for gap in gaps {
        assert_eq!(gap["category"], "housing");
        assert_eq!(
            gap["failed_inspections"],
            json!([{"inspection_id": failed.body["id"], "contract_id": contracts[0], "units": 10}])
        );
    }
    assert_eq!(r.body["visa_eligible"], 0);
    assert_eq!(r.body["coverage"]["housing"]["covered"], 0);
    assert!(
        r.body.get("total").is_none() && !r.text.contains("unit_price"),
        "tawafa never sees prices"
    );
    inspect(&w.tawafa, "pass", "2026-11-10", "")
        .await
        .assert_status(201);
    assert_eq!(
        readiness_of(&app, &w, &w.tawafa, &w.agency).await.body["status"],
        "ready"
    );
    // The ministry inspects too; a later failure counts again.
    inspect(&w.ministry, "fail", "2026-11-15", "kitchen hygiene")
        .await
        .assert_status(201);
    assert_eq!(
        readiness_of(&app, &w, &w.agency, &w.agency).await.body["status"],
        "incomplete"
    );
    let listed = app
        .get(&format!("/api/v1/inspections?contract_id={}", contracts[0]))
        .auth(&w.agency)
        .send()
        .await;
    assert_eq!(listed.body["items"].as_array().unwrap().len(), 3);
    // Who may inspect what.
    inspect(&w.provider, "pass", "2026-11-16", "")
        .await
        .assert_problem(403, "forbidden");
    inspect(&w.agency, "pass", "2026-11-16", "")
        .await
        .assert_problem(403, "forbidden");
    inspect(&w.other_tawafa, "pass", "2026-11-16", "")
        .await
        .assert_problem(422, "validation_failed");
    inspect(&w.tawafa, "fail", "2026-11-16", " ")
        .await
        .assert_problem(422, "validation_failed");
    inspect(&w.tawafa, "pass", "2099-01-01", "")
        .await
        .assert_problem(422, "validation_failed");
    let draft = w
        .draft(&app, &w.agency, w.housing(1, "2027-05-20", "2027-05-20"))
        .await;
    app.post("/api/v1/inspections")
        .auth(&w.tawafa)
        .json(json!({"contract_id": draft, "inspected_on": "2026-11-01", "result": "pass"}))
        .await
        .assert_problem(409, "invalid_transition");
    assert!(
        app.get("/api/v1/inspections")
            .auth(&w.other_tawafa)
            .send()
            .await
            .body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
}

async fn plans_stay_within_the_allocation(app: TestApp) {
    let w = World::new(&app).await;
    // The agency holds 200.
    plan(
        &app,
        &w,
        &w.agency,
        group("a", 150, "2027-05-10", "2027-05-13"),
    )
    .await
    .assert_status(201);
    let over = plan(
        &app,
        &w,
        &w.agency,
        group("b", 51, "2027-05-10", "2027-05-13"),
    )
    .await;
    over.assert_problem(409, "quota_exceeded");
    assert_eq!(over.body["errors"][0]["code"], "over_allocation");
    let b = plan(
        &app,
        &w,
        &w.agency,
        group("b", 50, "2027-05-10", "2027-05-13"),
    )
    .await;
    let b = b.assert_status(201).clone();
    allocate(&app, &w.office, &w.season, &w.agency.organization_id, 199)
        .await
        .assert_problem(409, "allocation_in_use");
    // Growing a group is checked the same way; shrinking it frees room.
    let path = format!("/api/v1/groups/{}", b["id"].as_str().unwrap());
    app.patch(&path)
        .auth(&w.agency)
        .header("If-Match", "\"1\"")
        .json(group("b", 51, "2027-05-10", "2027-05-13"))
        .await
        .assert_problem(409, "quota_exceeded");
    let shrunk = app
        .patch(&path)
        .auth(&w.agency)
        .header("If-Match", "\"1\"")
        .json(group("b", 40, "2027-05-10", "2027-05-13"))
        .await;
    assert_eq!(shrunk.assert_status(200)["version"], 2);
    app.patch(&path)
        .auth(&w.agency)
        .header("If-Match", "\"1\"")
        .json(group("b", 40, "2027-05-10", "2027-05-13"))
        .await
        .assert_problem(412, "precondition_failed");
    allocate(&app, &w.office, &w.season, &w.agency.organization_id, 190)
        .await
        .assert_status(200);
    // Itineraries are checked.
    let mut broken = group("c", 1, "2027-05-10", "2027-05-13");
    broken["stays"] = json!([{"city": "makkah", "from": "2027-05-10", "to": "2027-05-12"}, {"city": "madinah", "from": "2027-05-13", "to": "2027-05-13"}]);
    let reply = plan(&app, &w, &w.agency, broken).await;
    reply.assert_problem(422, "validation_failed");
    let fields: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["stays[1].to", "stays[1].from"]);
    plan(
        &app,
        &w,
        &w.agency,
        group("d", 1, "2027-03-01", "2027-03-05"),
    )
    .await
    .assert_problem(422, "validation_failed");
    // Providers, tawafa establishments and authorities plan nothing.
    plan(
        &app,
        &w,
        &w.provider,
        group("e", 1, "2027-05-10", "2027-05-13"),
    )
    .await
    .assert_problem(403, "forbidden");
    plan(
        &app,
        &w,
        &w.tawafa,
        group("e", 1, "2027-05-10", "2027-05-13"),
    )
    .await
    .assert_problem(403, "forbidden");
}

async fn who_sees_which_plans_and_readiness(app: TestApp) {
    let w = World::new(&app).await;
    let g = plan(
        &app,
        &w,
        &w.agency,
        group("agency group", 5, "2027-05-10", "2027-05-13"),
    )
    .await;
    let g = g.assert_status(201)["id"].as_str().unwrap().to_owned();
    let group_path = format!("/api/v1/groups/{g}");
    let list = format!("/api/v1/seasons/{}/readiness", w.season);
    let rows = |r: crate::helpers::Reply| -> Vec<String> {
        let mut ids: Vec<String> = r.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["organization"]["id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    let (office, agency, other) = (
        w.office.organization_id.clone(),
        w.agency.organization_id.clone(),
        w.other_office.organization_id.clone(),
    );
    assert_eq!(
        rows(app.get(&list).auth(&w.ministry).send().await),
        sorted(vec![office.clone(), agency.clone(), other.clone()])
    );
    assert_eq!(
        rows(app.get(&list).auth(&w.office).send().await),
        sorted(vec![office.clone(), agency.clone()])
    );
    assert_eq!(
        rows(app.get(&list).auth(&w.agency).send().await),
        vec![agency.clone()]
    );
    assert_eq!(
        rows(app.get(&list).auth(&w.tawafa).send().await),
        sorted(vec![office.clone(), agency.clone()])
    );
    assert_eq!(
        rows(app.get(&list).auth(&w.other_tawafa).send().await),
        vec![other.clone()]
    );
    assert!(rows(app.get(&list).auth(&w.provider).send().await).is_empty());
    assert!(rows(app.get(&list).auth(&w.authority).send().await).is_empty());
    for (caller, sees) in [
        (&w.ministry, true),
        (&w.office, true),
        (&w.agency, true),
        (&w.tawafa, true),
        (&w.other_office, false),
        (&w.other_tawafa, false),
        (&w.provider, false),
        (&w.authority, false),
    ] {
        let detail = readiness_of(&app, &w, caller, &w.agency).await;
        let one = app.get(&group_path).auth(caller).send().await;
        let groups = app
            .get(&format!("/api/v1/seasons/{}/groups", w.season))
            .auth(caller)
            .send()
            .await;
        if sees {
            detail.assert_status(200);
            one.assert_status(200);
            assert_eq!(
                groups.body["items"].as_array().unwrap().len(),
                1,
                "{}",
                caller.email
            );
        } else {
            detail.assert_problem(404, "not_found");
            one.assert_problem(404, "not_found");
            assert!(
                groups.body["items"].as_array().unwrap().is_empty(),
                "{}",
                caller.email
            );
            app.delete(&group_path)
                .auth(caller)
                .send()
                .await
                .assert_problem(404, "not_found");
        }
    }
    // The office sees its agency's plan but does not edit it.
    app.delete(&group_path)
        .auth(&w.office)
        .send()
        .await
        .assert_problem(403, "forbidden");
    readiness_of(&app, &w, &w.agency, &w.office)
        .await
        .assert_problem(404, "not_found");
    // A season that does not exist has no clients, even for the ministry.
    app.get(&format!(
        "/api/v1/seasons/{}/readiness/{}",
        uuid::Uuid::now_v7(),
        w.office.organization_id
    ))
    .auth(&w.ministry)
    .send()
    .await
    .assert_problem(404, "not_found");
}

/// Every page of the all-clients view (read two rows at a time, by the ministry), row by row against
/// each client's own readiness, which is assessed afresh on every read; answers the rows.
async fn view_against_details(app: &TestApp, w: &World) -> Vec<Value> {
    let list = format!("/api/v1/seasons/{}/readiness", w.season);
    let rows: Vec<Value> = pages(app, &list, 2, &w.ministry).await.concat();
    for row in &rows {
        let id = row["organization"]["id"].as_str().unwrap();
        let detail = app
            .get(&format!("/api/v1/seasons/{}/readiness/{id}", w.season))
            .auth(&w.ministry)
            .send()
            .await;
        let detail = detail.assert_status(200);
        for key in [
            "organization",
            "allocation",
            "planned",
            "unplanned",
            "status",
            "coverage",
            "gap_count",
            "visa_eligible",
        ] {
            assert_eq!(
                row[key], detail[key],
                "{key} of {id}: {row} against {detail}"
            );
        }
        assert_eq!(
            row["gap_count"].as_u64().unwrap() as usize,
            detail["gaps"].as_array().unwrap().len()
        );
    }
    // Worst first: every incomplete client before every ready one.
    let statuses: Vec<&str> = rows.iter().map(|r| r["status"].as_str().unwrap()).collect();
    let first_ready = statuses.iter().position(|s| *s == "ready");
    if let Some(at) = first_ready {
        assert!(statuses[at..].iter().all(|s| *s == "ready"), "{statuses:?}");
    }
    rows
}

/// The all-clients view is written by each change to a client's inputs, in the change's
/// transaction. After every step of a random walk of changes (groups planned and removed,
/// contracts approved and cancelled, inspections failed and passed, allocations changed), each row
/// of it equals the client's readiness assessed afresh, and `etrack check` finds the whole view
/// equal to the season assessed from scratch.
async fn the_readiness_view_matches_a_fresh_assessment_after_random_changes(app: TestApp) {
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    let w = World::new(&app).await;
    let clients = [&w.office, &w.agency, &w.other_office];
    let windows = [("2027-05-10", "2027-05-13"), ("2027-05-11", "2027-05-13")];
    let mut rng = StdRng::seed_from_u64(1447);
    let (mut groups, mut approved): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let mut inspected = 0;
    let rows = view_against_details(&app, &w).await;
    assert_eq!(rows.len(), 3, "the three clients holding an allocation");
    for step in 0..30 {
        let client = clients[rng.random_range(0..clients.len())];
        match rng.random_range(0..7) {
            0 | 1 => {
                let (arrive, leave) = windows[rng.random_range(0..windows.len())];
                let pilgrims = rng.random_range(1..=12);
                let body = group(&format!("step {step}"), pilgrims, arrive, leave);
                let made = plan(&app, &w, client, body).await;
                if made.status == 201 {
                    groups.push(made.body["id"].as_str().unwrap().to_owned());
                }
            }
            2 if !groups.is_empty() => {
                let id = groups.swap_remove(rng.random_range(0..groups.len()));
                let owner = app
                    .get(&format!("/api/v1/groups/{id}"))
                    .auth(&w.ministry)
                    .send()
                    .await;
                let owner = owner.body["organization_id"].as_str().unwrap().to_owned();
                let by = clients.iter().find(|c| c.organization_id == owner).unwrap();
                app.delete(&format!("/api/v1/groups/{id}"))
                    .auth(*by)
                    .send()
                    .await
                    .assert_status(204);
            }
            3 if approved.len() < 8 => {
                let units = rng.random_range(1..=10);
                let s = &w.season;
                let body = match rng.random_range(0..3) {
                    0 => w.housing(units, "2027-05-10", "2027-05-12"),
                    1 => {
                        json!({"season_id": s, "type": "catering", "facility_id": w.kitchen, "starts_on": "2027-05-11", "ends_on": "2027-05-12", "pilgrims": units, "meals_per_day": 3, "unit_price": "20", "currency": "SAR"})
                    }
                    _ => {
                        json!({"season_id": s, "type": "transport", "facility_id": w.fleet, "starts_on": "2027-05-13", "ends_on": "2027-05-13", "route": {"from": "makkah", "to": "jed"}, "seats": units, "unit_price": "40", "currency": "SAR"})
                    }
                };
                approved.push(w.approved(&app, client, body).await);
            }
            4 if !approved.is_empty() => {
                let id = approved.swap_remove(rng.random_range(0..approved.len()));
                w.step(
                    &app,
                    &w.ministry,
                    &id,
                    "cancel",
                    Some("the building failed its survey"),
                )
                .await
                .assert_status(200);
            }
            5 if !approved.is_empty() => {
                inspected += 1;
                let id = &approved[rng.random_range(0..approved.len())];
                let (result, findings) = if rng.random_bool(0.5) {
                    ("fail", "fire exits blocked")
                } else {
                    ("pass", "")
                };
                app.post("/api/v1/inspections")
                    .auth(&w.ministry)
                    .json(json!({"contract_id": id, "inspected_on": format!("2026-11-{:02}", inspected.min(28)), "result": result, "findings": findings}))
                    .await
                    .assert_status(201);
            }
            _ => {
                // An allocation the client's plans and contracts may refuse (409): nothing changes.
                let (by, whom) = if client.organization_id == w.agency.organization_id {
                    (&w.office, &w.agency)
                } else {
                    (&w.ministry, client)
                };
                let base = if by.organization_id == w.office.organization_id {
                    0
                } else {
                    200
                };
                let pilgrims = rng.random_range(0..=40) + base;
                let reply = allocate(&app, by, &w.season, &whom.organization_id, pilgrims).await;
                assert!(matches!(reply.status, 200 | 409), "{}", reply.text);
            }
        }
        view_against_details(&app, &w).await;
    }
    if let Some(url) = app.database_url() {
        let (ok, report) = crate::process::run_etrack(url, &["check"]);
        assert!(
            ok && report.contains("3 readiness lines as assessed afresh"),
            "{report}"
        );
    }
}

/// The view's filters and pages: by country and by status, within the caller's scope, a page at a
/// time with a cursor (one that is no row of it refused), and as CSV.
async fn the_readiness_view_filters_and_pages(app: TestApp) {
    let w = World::new(&app).await;
    let list = format!("/api/v1/seasons/{}/readiness", w.season);
    let ids = |r: crate::helpers::Reply| -> Vec<String> {
        r.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x["organization"]["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let get = |query: &str, by: &Session| app.get(&format!("{list}?{query}")).auth(by).send();
    let (office, agency, other) = (
        w.office.organization_id.clone(),
        w.agency.organization_id.clone(),
        w.other_office.organization_id.clone(),
    );
    // The agency plans its ten pilgrims, keeps exactly them, and has them covered: ready.
    plan(
        &app,
        &w,
        &w.agency,
        group("only", 10, "2027-05-10", "2027-05-13"),
    )
    .await
    .assert_status(201);
    allocate(&app, &w.office, &w.season, &agency, 10)
        .await
        .assert_status(200);
    cover_ten(&app, &w, &w.agency).await;

    assert_eq!(
        ids(get("country=my", &w.ministry).await),
        vec![other.clone()]
    );
    let mut id_clients = ids(get("country=ID", &w.ministry).await);
    id_clients.sort();
    let mut expected = vec![office.clone(), agency.clone()];
    expected.sort();
    assert_eq!(id_clients, expected);
    assert_eq!(
        ids(get("status=ready", &w.ministry).await),
        vec![agency.clone()]
    );
    let incomplete = ids(get("status=incomplete", &w.ministry).await);
    assert_eq!(incomplete.len(), 2);
    assert!(!incomplete.contains(&agency));
    // Worst first: the ready agency comes last.
    assert_eq!(ids(get("", &w.ministry).await).last(), Some(&agency));
    // Filters keep to the caller's scope: the office has no Malaysian client; the other country's
    // tawafa establishment sees none of Indonesia's.
    assert!(ids(get("country=MY", &w.office).await).is_empty());
    assert!(ids(get("status=ready", &w.other_tawafa).await).is_empty());
    assert_eq!(
        ids(get("status=ready", &w.tawafa).await),
        vec![agency.clone()]
    );
    for bad in [
        "country=XX",
        "status=almost",
        "limit=0",
        "cursor=nonsense",
        "colour=red",
    ] {
        get(bad, &w.ministry)
            .await
            .assert_problem(400, "invalid_query");
    }
    // A cursor naming a client that is no row of this list is refused, not read as the start; so
    // is one naming a client the caller may not see (the other country's office, for the office),
    // exactly alike.
    let stranger = base64_id(&w.provider.organization_id);
    get(&format!("cursor={stranger}"), &w.ministry)
        .await
        .assert_problem(400, "invalid_query");
    let hidden = base64_id(&other);
    let refused = get(&format!("cursor={hidden}"), &w.office).await;
    refused.assert_problem(400, "invalid_query");
    assert_eq!(
        refused.body,
        get(&format!("cursor={stranger}"), &w.office).await.body
    );
    get(&format!("cursor={hidden}"), &w.ministry)
        .await
        .assert_status(200);
    // One row a page: three pages, each client once.
    let seen: Vec<String> = pages(&app, &list, 1, &w.ministry)
        .await
        .iter()
        .map(|page| {
            assert_eq!(page.len(), 1);
            page[0]["organization"]["id"].as_str().unwrap().to_owned()
        })
        .collect();
    assert_eq!(seen, ids(get("", &w.ministry).await));
    // CSV: every row the filters keep.
    let csv = app
        .get(&format!("{list}?country=ID"))
        .auth(&w.ministry)
        .header("Accept", "text/csv")
        .send()
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.text.lines().count(), 3, "{}", csv.text);
    assert!(!csv.text.contains(&other));
}

/// Every page of a list, `limit` rows a page, following `next_cursor`.
async fn pages(app: &TestApp, list: &str, limit: u32, by: &Session) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut cursor = String::new();
    loop {
        let page = app
            .get(&format!("{list}?limit={limit}&cursor={cursor}"))
            .auth(by)
            .send()
            .await;
        let body = page.assert_status(200).clone();
        pages.push(body["items"].as_array().unwrap().clone());
        match body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return pages,
        }
    }
}

fn base64_id(id: &str) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(id)
}

/// A client's readiness read by the caller its access token states (the session's guard rides on
/// its first statement) stops the moment the session ends, the user is deactivated or its
/// organisation suspended; after a change of role it still reads, as the caller the user now is.
/// A client the token's caller may not see stays a 404 with a live session.
async fn a_readiness_reads_only_while_its_session_holds(app: TestApp) {
    let w = World::new(&app).await;
    let officer = app
        .user_in(
            &w.office,
            &w.office.organization_id,
            "planner@office.test",
            "officer",
        )
        .await;
    let own = readiness_of(&app, &w, &officer, &w.office).await;
    assert_eq!(
        own.assert_status(200)["organization"]["id"],
        w.office.organization_id.as_str()
    );
    readiness_of(&app, &w, &officer, &w.other_office)
        .await
        .assert_problem(404, "not_found");

    // A new role still reads; deactivated, logged out or suspended, nothing, at once.
    w.through_session_changes(&app, &officer, async |token, holds| {
        let read = readiness_of(&app, &w, token, &w.office).await;
        if holds {
            read.assert_status(200);
        } else {
            read.assert_problem(401, "unauthorized");
        }
    })
    .await;
}

crate::backend_tests!(
    readiness_and_eligibility_on_a_small_season,
    a_failed_inspection_takes_coverage_away_until_a_pass,
    plans_stay_within_the_allocation,
    who_sees_which_plans_and_readiness,
    the_readiness_view_matches_a_fresh_assessment_after_random_changes,
    the_readiness_view_filters_and_pages,
    a_readiness_reads_only_while_its_session_holds,
);
