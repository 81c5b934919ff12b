//! Contracts: the lifecycle, every rule R2-R10 broken once, amendments, idempotency, search, CSV.

use serde_json::{Value, json};

use crate::helpers::{Session, TestApp};
use crate::world::{World, allocate, rename};

async fn the_whole_lifecycle(app: TestApp) {
    let w = World::new(&app).await;
    let body = w.housing(40, "2027-05-10", "2027-05-14");
    let created = app
        .post("/api/v1/contracts")
        .auth(&w.agency)
        .json(body)
        .await;
    let c = created.assert_status(201).clone();
    let id = c["id"].as_str().unwrap().to_owned();
    assert_eq!(c["status"], "draft");
    assert_eq!(c["total"], "30000.00", "40 beds x 5 nights x 150.00");
    assert_eq!(c["currency"], "SAR");
    assert_eq!(c["starts_on_hijri"], "1448-12-04");
    assert_eq!(c["provider_id"], w.provider.organization_id.as_str());
    assert_eq!(
        w.held(&app, &w.building, "2027-05-10", "2027-05-14").await,
        vec![0; 5],
        "a draft holds nothing"
    );

    let submitted = w.step(&app, &w.agency, &id, "submit", None).await;
    assert_eq!(submitted.assert_status(200)["status"], "pending_provider");
    assert_eq!(
        w.held(&app, &w.building, "2027-05-09", "2027-05-15").await,
        vec![0, 40, 40, 40, 40, 40, 0]
    );
    w.step(&app, &w.provider, &id, "accept", None)
        .await
        .assert_status(200);
    // Returned for a fix: capacity goes back, and is taken again on resubmission.
    let returned = w
        .step(&app, &w.ministry, &id, "return", Some("wrong nights"))
        .await;
    assert_eq!(returned.assert_status(200)["status"], "returned");
    assert_eq!(
        w.held(&app, &w.building, "2027-05-10", "2027-05-14").await,
        vec![0; 5]
    );
    // The reviewer's reason is on the contract itself, for the client and the provider alike.
    assert_eq!(returned.body["status_reason"], "wrong nights");
    for party in [&w.agency, &w.provider] {
        let seen = app
            .get(&format!("/api/v1/contracts/{id}"))
            .auth(party)
            .send()
            .await;
        assert_eq!(seen.body["status_reason"], "wrong nights");
    }
    let fixed = app
        .patch(&format!("/api/v1/contracts/{id}"))
        .auth(&w.agency)
        .header("If-Match", returned.etag())
        .json(json!({"ends_on": "2027-05-12", "beds": 30}))
        .await;
    assert_eq!(fixed.assert_status(200)["total"], "13500.00");
    w.step(&app, &w.agency, &id, "submit", None)
        .await
        .assert_status(200);
    w.step(&app, &w.provider, &id, "accept", None)
        .await
        .assert_status(200);
    let approved = w.step(&app, &w.ministry, &id, "approve", None).await;
    assert_eq!(approved.assert_status(200)["status"], "approved");
    // A step without a reason leaves none behind.
    assert!(approved.body.get("status_reason").is_none(), "{approved:?}");
    assert_eq!(
        w.held(&app, &w.building, "2027-05-10", "2027-05-14").await,
        vec![30, 30, 30, 0, 0]
    );

    // The history tells every step, who took it and why.
    let history = app
        .get(&format!("/api/v1/contracts/{id}/history"))
        .auth(&w.agency)
        .send()
        .await;
    let steps: Vec<String> = history.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        steps,
        [
            "create", "submit", "accept", "return", "edit", "submit", "accept", "approve"
        ]
    );
    assert_eq!(history.body["items"][3]["reason"], "wrong nights");
    assert_eq!(
        history.body["items"][3]["organization_id"],
        w.ministry.organization_id.as_str()
    );
    assert_eq!(
        history.body["items"][3]["actor_user_id"],
        w.ministry.user_id.as_str()
    );

    // Only the ministry cancels an approved contract, and that frees the beds.
    w.step(&app, &w.agency, &id, "cancel", Some("no longer needed"))
        .await
        .assert_problem(409, "invalid_transition");
    w.step(&app, &w.ministry, &id, "cancel", None)
        .await
        .assert_problem(422, "validation_failed");
    let cancelled = w
        .step(
            &app,
            &w.ministry,
            &id,
            "cancel",
            Some("operator licence withdrawn"),
        )
        .await;
    assert_eq!(cancelled.assert_status(200)["status"], "cancelled");
    assert_eq!(
        w.held(&app, &w.building, "2027-05-10", "2027-05-14").await,
        vec![0; 5]
    );
}

/// A refusal carries what the caller needs to fix its request: the first day that does not fit
/// and what is free on it, the pilgrims left, the status and the actions possible from it.
async fn refusals_explain_themselves(app: TestApp) {
    let w = World::new(&app).await;
    // 95 of the building's 100 beds are taken on 10-12 May.
    let first = w
        .approved(&app, &w.office, w.housing(95, "2027-05-10", "2027-05-12"))
        .await;
    let late = w
        .draft(
            &app,
            &w.other_office,
            w.housing(10, "2027-05-08", "2027-05-11"),
        )
        .await;
    let full = w.step(&app, &w.other_office, &late, "submit", None).await;
    full.assert_problem(409, "capacity_exceeded");
    assert_eq!(full.body["day"], "2027-05-10");
    assert_eq!(full.body["requested"], 10);
    assert_eq!(full.body["available"], 5);
    assert!(full.body["day_hijri"].as_str().is_some());
    // Nothing about the contract that holds the beds, beyond the free count.
    assert!(!full.text.contains(&first) && !full.text.contains(&w.office.organization_id));

    // The agency holds 200 pilgrims: catering for 250 is 50 too many from the first day.
    let catering = json!({"season_id": w.season, "type": "catering", "facility_id": w.kitchen,
        "starts_on": "2027-05-10", "ends_on": "2027-05-11", "pilgrims": 250, "meals_per_day": 2,
        "unit_price": "20", "currency": "SAR"});
    let many = w.draft(&app, &w.agency, catering).await;
    let over = w.step(&app, &w.agency, &many, "submit", None).await;
    over.assert_problem(409, "quota_exceeded");
    assert_eq!(
        (
            &over.body["day"],
            &over.body["requested"],
            &over.body["available"]
        ),
        (&json!("2027-05-10"), &json!(250), &json!(200))
    );
    // Too many for both the agency's 200 pilgrims and the building's 100 beds: the building's
    // room is checked first, so its shortfall is the one answered.
    let both = w
        .draft(&app, &w.agency, w.housing(250, "2027-06-01", "2027-06-02"))
        .await;
    let over_both = w.step(&app, &w.agency, &both, "submit", None).await;
    over_both.assert_problem(409, "capacity_exceeded");
    assert_eq!(
        (&over_both.body["requested"], &over_both.body["available"]),
        (&json!(250), &json!(100))
    );

    // Each transition refused names the status and what the caller could do instead.
    let pending = w
        .draft(&app, &w.office, w.housing(1, "2027-05-20", "2027-05-20"))
        .await;
    w.step(&app, &w.office, &pending, "submit", None)
        .await
        .assert_status(200);
    let again = w.step(&app, &w.office, &pending, "submit", None).await;
    again.assert_problem(409, "invalid_transition");
    assert_eq!(again.body["current_status"], "pending_provider");
    assert_eq!(again.body["allowed_actions"], json!(["cancel"]));
    let approved = w.step(&app, &w.office, &first, "cancel", None).await;
    approved.assert_problem(409, "invalid_transition");
    assert_eq!(approved.body["current_status"], "approved");
    assert_eq!(approved.body["allowed_actions"], json!([]));
    let edit = app
        .patch(&format!("/api/v1/contracts/{first}"))
        .auth(&w.office)
        .header("If-Match", "*")
        .json(json!({"beds": 90}))
        .await;
    edit.assert_problem(409, "invalid_transition");
    assert_eq!(edit.body["current_status"], "approved");
    let review = w.step(&app, &w.ministry, &pending, "approve", None).await;
    review.assert_problem(409, "invalid_transition");
    assert_eq!(review.body["allowed_actions"], json!([]));

    // Allocations and plans say how many pilgrims are left.
    let quota = crate::world::allocate(
        &app,
        &w.ministry,
        &w.season,
        &w.other_office.organization_id,
        900,
    )
    .await;
    quota.assert_problem(409, "quota_exceeded");
    assert_eq!(
        (&quota.body["requested"], &quota.body["available"]),
        (&json!(600), &json!(200))
    );
    let group = json!({"name": "too many", "pilgrims": 450,
        "arrival": {"port": "jed", "date": "2027-05-10"}, "departure": {"port": "jed", "date": "2027-05-13"},
        "stays": [{"city": "makkah", "from": "2027-05-10", "to": "2027-05-13"}]});
    let planned = app
        .post(&format!("/api/v1/seasons/{}/groups", w.season))
        .auth(&w.office)
        .json(group)
        .await;
    planned.assert_problem(409, "quota_exceeded");
    assert_eq!(
        (&planned.body["requested"], &planned.body["available"]),
        (&json!(450), &json!(400))
    );
}

async fn every_illegal_transition_is_refused(app: TestApp) {
    let w = World::new(&app).await;
    let id = w
        .draft(&app, &w.agency, w.housing(5, "2027-05-01", "2027-05-02"))
        .await;
    // Wrong party: 403, whatever the state.
    for (who, action) in [
        (&w.provider, "submit"),
        (&w.agency, "accept"),
        (&w.agency, "approve"),
        (&w.provider, "approve"),
        (&w.ministry, "submit"),
        (&w.ministry, "accept"),
    ] {
        w.step(&app, who, &id, action, Some("x"))
            .await
            .assert_problem(403, "forbidden");
    }
    // The office sees its agency's contract but is no party to it.
    w.step(&app, &w.office, &id, "submit", None)
        .await
        .assert_problem(403, "forbidden");
    // Right party, wrong state: 409, and nothing changes.
    for (who, action) in [
        (&w.provider, "accept"),
        (&w.provider, "decline"),
        (&w.ministry, "approve"),
        (&w.ministry, "return"),
        (&w.ministry, "reject"),
        (&w.ministry, "cancel"),
    ] {
        w.step(&app, who, &id, action, Some("x"))
            .await
            .assert_problem(409, "invalid_transition");
    }
    w.step(&app, &w.agency, &id, "submit", None)
        .await
        .assert_status(200);
    w.step(&app, &w.agency, &id, "submit", None)
        .await
        .assert_problem(409, "invalid_transition");
    w.step(&app, &w.ministry, &id, "approve", None)
        .await
        .assert_problem(409, "invalid_transition");
    let declined = w
        .step(&app, &w.provider, &id, "decline", Some("full that week"))
        .await;
    assert_eq!(declined.assert_status(200)["status"], "declined");
    for (who, action) in [
        (&w.agency, "submit"),
        (&w.agency, "cancel"),
        (&w.provider, "accept"),
        (&w.ministry, "approve"),
        (&w.ministry, "cancel"),
    ] {
        w.step(&app, who, &id, action, Some("x"))
            .await
            .assert_problem(409, "invalid_transition");
    }
    // An unknown action is no route at all.
    w.step(&app, &w.agency, &id, "teleport", None)
        .await
        .assert_problem(404, "not_found");
    // Viewers read but never act.
    let viewer = app
        .user_in(
            &w.agency,
            &w.agency.organization_id,
            "viewer@agency.test",
            "viewer",
        )
        .await;
    let other = w
        .draft(&app, &w.agency, w.housing(5, "2027-05-01", "2027-05-02"))
        .await;
    w.step(&app, &viewer, &other, "submit", None)
        .await
        .assert_problem(403, "forbidden");
    let history = app
        .get(&format!("/api/v1/contracts/{id}/history"))
        .auth(&w.agency)
        .send()
        .await;
    assert_eq!(
        history.body["items"].as_array().unwrap().len(),
        3,
        "create, submit, decline: refusals left no trace"
    );
}

async fn each_rule_broken_once(app: TestApp) {
    let w = World::new(&app).await;
    let post = |body: serde_json::Value| app.post("/api/v1/contracts").auth(&w.agency).json(body);
    let field_error = |r: &crate::helpers::Reply| {
        r.assert_problem(422, "validation_failed");
        (
            r.body["errors"][0]["field"].as_str().unwrap().to_owned(),
            r.body["errors"][0]["code"].as_str().unwrap().to_owned(),
        )
    };
    // R3: only inside the facility's licence; and inside the season.
    let mut outside = w.housing(5, "2026-12-30", "2027-01-02");
    assert_eq!(
        field_error(&post(outside.clone()).await).1,
        "outside_season"
    );
    outside = w.housing(5, "2027-06-29", "2027-07-02");
    assert_eq!(
        field_error(&post(outside).await),
        ("ends_on".into(), "outside_season".into())
    );
    let short_licence = crate::world::facility(
        &app,
        &w.provider,
        json!({"kind": "building", "name": "Short licence", "city": "madinah", "licence_no": "SHORT-1",
               "licence_valid_from": "2027-05-01", "licence_valid_to": "2027-05-20", "capacity": 10}),
    )
    .await;
    let mut body = w.housing(5, "2027-05-15", "2027-05-25");
    body["facility_id"] = short_licence.clone().into();
    assert_eq!(
        field_error(&post(body).await),
        ("ends_on".into(), "outside_licence".into())
    );
    // R4: never more than capacity.
    let id = w
        .draft(&app, &w.agency, w.housing(101, "2027-05-01", "2027-05-01"))
        .await;
    w.step(&app, &w.agency, &id, "submit", None)
        .await
        .assert_problem(409, "capacity_exceeded");
    // R5: only the client edits, only drafts and returned contracts, only the current version.
    let id = w
        .draft(&app, &w.agency, w.housing(5, "2027-05-01", "2027-05-02"))
        .await;
    let path = format!("/api/v1/contracts/{id}");
    app.patch(&path)
        .auth(&w.agency)
        .json(json!({"beds": 6}))
        .await
        .assert_problem(428, "precondition_required");
    app.patch(&path)
        .auth(&w.agency)
        .header("If-Match", "\"9\"")
        .json(json!({"beds": 6}))
        .await
        .assert_problem(412, "precondition_failed");
    app.patch(&path)
        .auth(&w.provider)
        .header("If-Match", "\"1\"")
        .json(json!({"beds": 6}))
        .await
        .assert_problem(403, "forbidden");
    let edited = app
        .patch(&path)
        .auth(&w.agency)
        .header("If-Match", "\"1\"")
        .json(json!({"beds": 6}))
        .await;
    assert_eq!(edited.assert_status(200)["version"], 2);
    app.patch(&path)
        .auth(&w.agency)
        .header("If-Match", "\"1\"")
        .json(json!({"beds": 7}))
        .await
        .assert_problem(412, "precondition_failed");
    app.patch(&path)
        .auth(&w.agency)
        .header("If-Match", "\"2\"")
        .json(json!({"seats": 7}))
        .await
        .assert_problem(422, "validation_failed");
    w.step(&app, &w.agency, &id, "submit", None)
        .await
        .assert_status(200);
    app.patch(&path)
        .auth(&w.agency)
        .header("If-Match", "\"3\"")
        .json(json!({"beds": 7}))
        .await
        .assert_problem(409, "invalid_transition");
    assert_eq!(app.get(&path).auth(&w.agency).send().await.body["beds"], 6);
    // R7: the agency holds 200 pilgrims: 150 beds here and 60 elsewhere on the same night is too many.
    let other_building = crate::world::facility(
        &app,
        &w.provider,
        crate::world::building("Second tower", 500),
    )
    .await;
    let big = w
        .draft(&app, &w.agency, w.housing(150, "2027-05-03", "2027-05-03"))
        .await;
    let mut more = w.housing(60, "2027-05-03", "2027-05-04");
    more["facility_id"] = other_building.clone().into();
    let more = w.draft(&app, &w.agency, more).await;
    let first = w.step(&app, &w.agency, &big, "submit", None).await;
    assert_eq!(
        first.status, 409,
        "150 beds pass the building's 100: {first:?}"
    );
    w.step(&app, &w.agency, &more, "submit", None)
        .await
        .assert_status(200);
    let big = w
        .draft(&app, &w.agency, w.housing(95, "2027-05-04", "2027-05-04"))
        .await;
    w.step(&app, &w.agency, &big, "submit", None)
        .await
        .assert_status(200);
    // 60 + 95 held on the 4th; 46 more (in a building with room) would make 201 of 200.
    let mut over = w.housing(46, "2027-05-04", "2027-05-04");
    over["facility_id"] = other_building.clone().into();
    let over = w.draft(&app, &w.agency, over).await;
    w.step(&app, &w.agency, &over, "submit", None)
        .await
        .assert_problem(409, "quota_exceeded");
    let mut exact = w.housing(45, "2027-05-04", "2027-05-04");
    exact["facility_id"] = other_building.clone().into();
    let exact = w.draft(&app, &w.agency, exact).await;
    w.step(&app, &w.agency, &exact, "submit", None)
        .await
        .assert_status(200);
    // R8: the facility must suit the type; the client must hold an allocation; the provider active.
    let mut wrong_kind = w.housing(5, "2027-05-01", "2027-05-02");
    wrong_kind["facility_id"] = w.kitchen.clone().into();
    assert_eq!(
        field_error(&post(wrong_kind).await),
        ("facility_id".into(), "facility_kind_mismatch".into())
    );
    // A season that does not exist is an unknown reference.
    let mut no_season = w.housing(5, "2027-05-01", "2027-05-02");
    no_season["season_id"] = "01a2405e-0000-7000-8000-000000000000".into();
    assert_eq!(
        field_error(&post(no_season).await),
        ("season_id".into(), "unknown_reference".into())
    );
    let unallocated = app
        .org_admin(
            &w.ministry,
            "agency",
            Some("ID"),
            Some(&w.office.organization_id),
        )
        .await;
    app.post("/api/v1/contracts")
        .auth(&unallocated)
        .json(w.housing(5, "2027-05-01", "2027-05-02"))
        .await
        .assert_problem(409, "no_allocation");
    let pending = w
        .draft(&app, &w.office, w.housing(5, "2027-05-01", "2027-05-02"))
        .await;
    let provider_org = format!("/api/v1/organizations/{}", w.provider.organization_id);
    let org = app.get(&provider_org).auth(&w.ministry).send().await;
    app.patch(&provider_org)
        .auth(&w.ministry)
        .header("If-Match", org.etag())
        .json(json!({"status": "suspended"}))
        .await
        .assert_status(200);
    w.step(&app, &w.office, &pending, "submit", None)
        .await
        .assert_problem(409, "provider_inactive");
    let gone = app
        .post("/api/v1/contracts")
        .auth(&w.office)
        .json(w.housing(5, "2027-05-01", "2027-05-02"))
        .await;
    assert_eq!(
        field_error(&gone),
        ("facility_id".into(), "unknown_reference".into())
    );
    // Only clients file contracts.
    app.post("/api/v1/contracts")
        .auth(&w.ministry)
        .json(w.housing(5, "2027-05-01", "2027-05-02"))
        .await
        .assert_problem(403, "forbidden");
    app.post("/api/v1/contracts")
        .auth(&w.tawafa)
        .json(w.housing(5, "2027-05-01", "2027-05-02"))
        .await
        .assert_problem(403, "forbidden");
}

async fn terms_money_and_types_are_checked(app: TestApp) {
    let w = World::new(&app).await;
    let transport = json!({"season_id": w.season, "type": "transport", "facility_id": w.fleet, "starts_on": "2027-05-10", "ends_on": "2027-05-10",
                           "route": {"from": "jed", "to": "makkah"}, "seats": 45, "unit_price": "35.50", "currency": "sar"});
    let t = app
        .post("/api/v1/contracts")
        .auth(&w.office)
        .json(transport.clone())
        .await;
    let t = t.assert_status(201).clone();
    assert_eq!(t["route"], json!({"from": "jed", "to": "makkah"}));
    assert_eq!(t["total"], "1597.50");
    let catering = json!({"season_id": w.season, "type": "catering", "facility_id": w.kitchen, "starts_on": "2027-05-10", "ends_on": "2027-05-11",
                          "pilgrims": 100, "meals_per_day": 3, "unit_price": "0.10", "currency": "SAR"});
    let c = app
        .post("/api/v1/contracts")
        .auth(&w.office)
        .json(catering.clone())
        .await;
    assert_eq!(
        c.assert_status(201)["total"],
        "60.00",
        "exact: 100 x 2 days x 3 meals x 0.10"
    );
    let cases = [
        (
            json!({"unit_price": "12.345"}),
            "unit_price",
            "invalid_amount",
        ),
        (json!({"unit_price": "-5"}), "unit_price", "invalid_amount"),
        (json!({"currency": "USD"}), "currency", "invalid_currency"),
        (json!({"meals_per_day": 4}), "meals_per_day", "out_of_range"),
        (json!({"pilgrims": 0}), "pilgrims", "out_of_range"),
        (json!({"beds": 3}), "beds", "not_for_type"),
        (json!({"ends_on": "2027-05-01"}), "ends_on", "before_start"),
        (
            json!({"starts_on": "2027-02-30"}),
            "starts_on",
            "invalid_date",
        ),
        (json!({"pilgrims": null}), "pilgrims", "required"),
    ];
    for (change, field, code) in cases {
        let mut body = catering.clone();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = app
            .post("/api/v1/contracts")
            .auth(&w.office)
            .json(body)
            .await;
        reply.assert_problem(422, "validation_failed");
        assert!(
            reply.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{change}: {reply:?}"
        );
    }
    let mut same = transport.clone();
    same["route"] = json!({"from": "makkah", "to": "makkah"});
    let reply = app
        .post("/api/v1/contracts")
        .auth(&w.office)
        .json(same)
        .await;
    assert_eq!(reply.body["errors"][0]["code"], "same_place");
}

async fn amendments_change_approved_contracts_only_when_approved(app: TestApp) {
    let w = World::new(&app).await;
    let id = w
        .approved(&app, &w.agency, w.housing(40, "2027-05-10", "2027-05-12"))
        .await;
    let amend = |body: serde_json::Value| {
        app.post(&format!("/api/v1/contracts/{id}/amendments"))
            .auth(&w.agency)
            .json(body)
    };
    // 50 beds from the 11th to the 13th: 10 more on 11-12 and 50 on the 13th are held meanwhile.
    let a = amend(json!({"reason": "a larger group", "beds": 50, "starts_on": "2027-05-11", "ends_on": "2027-05-13"})).await;
    let a = a.assert_status(201)["id"].as_str().unwrap().to_owned();
    assert_eq!(
        w.held(&app, &w.building, "2027-05-10", "2027-05-13").await,
        vec![40, 50, 50, 50]
    );
    amend(json!({"reason": "another", "beds": 41}))
        .await
        .assert_problem(409, "amendment_open");
    let contract = app
        .get(&format!("/api/v1/contracts/{id}"))
        .auth(&w.agency)
        .send()
        .await;
    assert_eq!(
        (
            contract.body["beds"].as_i64(),
            contract.body["version"].as_i64()
        ),
        (Some(40), Some(4)),
        "unchanged while pending"
    );
    let decide = |who, action: &'static str, reason: Option<&'static str>| {
        let req = app
            .post(&format!("/api/v1/amendments/{a}/{action}"))
            .auth(who);
        async move {
            match reason {
                Some(r) => req.json(json!({"reason": r})).await,
                None => req.send().await,
            }
        }
    };
    decide(&w.ministry, "approve", None)
        .await
        .assert_problem(409, "invalid_transition");
    decide(&w.agency, "accept", None)
        .await
        .assert_problem(403, "forbidden");
    decide(&w.provider, "accept", None).await.assert_status(200);
    let approved = decide(&w.ministry, "approve", None).await;
    assert_eq!(approved.assert_status(200)["status"], "approved");
    let contract = app
        .get(&format!("/api/v1/contracts/{id}"))
        .auth(&w.agency)
        .send()
        .await;
    assert_eq!(contract.body["beds"], 50);
    assert_eq!(contract.body["starts_on"], "2027-05-11");
    assert_eq!(contract.body["version"], 5);
    assert_eq!(contract.body["total"], "22500.00");
    assert_eq!(
        w.held(&app, &w.building, "2027-05-10", "2027-05-13").await,
        vec![0, 50, 50, 50]
    );

    // A rejected amendment leaves the contract as it was and gives the extra back.
    let b = amend(json!({"reason": "even larger", "beds": 90})).await;
    let b = b.assert_status(201)["id"].as_str().unwrap().to_owned();
    assert_eq!(
        w.held(&app, &w.building, "2027-05-11", "2027-05-13").await,
        vec![90, 90, 90]
    );
    app.post(&format!("/api/v1/amendments/{b}/accept"))
        .auth(&w.provider)
        .send()
        .await
        .assert_status(200);
    app.post(&format!("/api/v1/amendments/{b}/reject"))
        .auth(&w.ministry)
        .send()
        .await
        .assert_problem(422, "validation_failed");
    app.post(&format!("/api/v1/amendments/{b}/reject"))
        .auth(&w.ministry)
        .json(json!({"reason": "not justified"}))
        .await
        .assert_status(200);
    assert_eq!(
        w.held(&app, &w.building, "2027-05-11", "2027-05-13").await,
        vec![50, 50, 50]
    );
    let contract = app
        .get(&format!("/api/v1/contracts/{id}"))
        .auth(&w.agency)
        .send()
        .await;
    assert_eq!(
        (
            contract.body["beds"].as_i64(),
            contract.body["version"].as_i64()
        ),
        (Some(50), Some(5))
    );
    // An amendment beyond capacity is refused whole.
    amend(json!({"reason": "too many", "beds": 101}))
        .await
        .assert_problem(409, "capacity_exceeded");
    assert_eq!(
        w.held(&app, &w.building, "2027-05-11", "2027-05-13").await,
        vec![50, 50, 50]
    );
    let listed = app
        .get(&format!("/api/v1/contracts/{id}/amendments"))
        .auth(&w.provider)
        .send()
        .await;
    let statuses: Vec<&str> = listed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["approved", "rejected"]);
    // Drafts are edited, not amended.
    let draft = w
        .draft(&app, &w.agency, w.housing(5, "2027-05-01", "2027-05-01"))
        .await;
    app.post(&format!("/api/v1/contracts/{draft}/amendments"))
        .auth(&w.agency)
        .json(json!({"reason": "x", "beds": 6}))
        .await
        .assert_problem(409, "invalid_transition");
}

async fn creation_is_idempotent(app: TestApp) {
    let w = World::new(&app).await;
    let body = w.housing(5, "2027-05-01", "2027-05-02");
    let send = |key: &str, body: serde_json::Value| {
        app.post("/api/v1/contracts")
            .auth(&w.agency)
            .header("Idempotency-Key", key)
            .json(body)
    };
    let first = send("order-17", body.clone()).await;
    let again = send("order-17", body.clone()).await;
    assert_eq!(
        first.assert_status(201)["id"],
        again.assert_status(201)["id"]
    );
    assert_eq!(first.body, again.body);
    let mut other = body.clone();
    other["beds"] = 6.into();
    send("order-17", other)
        .await
        .assert_problem(409, "idempotency_key_reused");
    // Concurrent retries of one request make one contract.
    let racing: Vec<_> = (0..6).map(|_| send("order-18", body.clone())).collect();
    let replies = futures_util::future::join_all(racing).await;
    let ids: std::collections::HashSet<String> = replies
        .iter()
        .map(|r| r.assert_status(201)["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 1, "{replies:?}");
    // Keys belong to their organisation.
    let office_copy = app
        .post("/api/v1/contracts")
        .auth(&w.office)
        .header("Idempotency-Key", "order-17")
        .json(body)
        .await;
    assert_ne!(office_copy.assert_status(201)["id"], first.body["id"]);
    let all = app.get("/api/v1/contracts").auth(&w.ministry).send().await;
    assert_eq!(all.body["items"].as_array().unwrap().len(), 3);
}

/// Every list and dataset exports the same rows as CSV, by `Accept: text/csv` or `?format=csv`:
/// a download with a byte-order mark, every page of a paged list.
async fn every_list_exports_csv(app: TestApp) {
    let w = World::new(&app).await;
    let id = w
        .approved(&app, &w.office, w.housing(5, "2027-05-10", "2027-05-12"))
        .await;
    let s = &w.season;
    let lists = [
        "/api/v1/organizations".to_owned(),
        "/api/v1/facilities".to_owned(),
        "/api/v1/seasons".to_owned(),
        "/api/v1/contracts".to_owned(),
        "/api/v1/inspections".to_owned(),
        "/api/v1/notifications".to_owned(),
        "/api/v1/audit".to_owned(),
        format!("/api/v1/seasons/{s}/quotas"),
        format!("/api/v1/seasons/{s}/allocations"),
        format!("/api/v1/seasons/{s}/extensions"),
        format!("/api/v1/seasons/{s}/readiness"),
        format!("/api/v1/seasons/{s}/groups"),
        format!("/api/v1/contracts/{id}/history"),
        format!("/api/v1/contracts/{id}/amendments"),
        format!(
            "/api/v1/facilities/{}/usage?from=2027-05-10&to=2027-05-12",
            w.building
        ),
        format!("/api/v1/organizations/{}/users", w.office.organization_id),
        format!("/api/v1/seasons/{s}/datasets/visa_eligibility"),
    ];
    // The audit log's events are sealed into its chain a moment after they are written (their
    // `seq` and `hash` appear then): seal them now, so that the two downloads read one state.
    app.get("/api/v1/audit/verify")
        .auth(&w.ministry)
        .send()
        .await
        .assert_status(200);
    for path in lists {
        let json = app.get(&path).auth(&w.ministry).send().await;
        assert_eq!(json.status, 200, "{path}: {json:?}");
        let by_accept = app
            .get(&path)
            .auth(&w.ministry)
            .header("Accept", "text/csv")
            .send()
            .await;
        let sep = if path.contains('?') { '&' } else { '?' };
        let by_format = app
            .get(&format!("{path}{sep}format=csv"))
            .auth(&w.ministry)
            .send()
            .await;
        assert_eq!(by_format.status, 200, "{path}: {by_format:?}");
        assert_eq!(by_accept.text, by_format.text, "{path}");
        assert!(by_format.text.starts_with('\u{feff}'), "{path}");
        let disposition = by_format.header("content-disposition").unwrap_or_default();
        assert!(
            disposition.starts_with("attachment; filename=\"") && disposition.ends_with(".csv\""),
            "{path}: {disposition}"
        );
        let rows = json.body.get("items").or(json.body.get("rows")).unwrap();
        assert_eq!(
            by_format.text.lines().count(),
            rows.as_array().unwrap().len() + 1,
            "{path}: a header and one line per row"
        );
    }
    // A paged list exports every page, whatever the page size asked.
    let all = app
        .get("/api/v1/organizations?limit=200")
        .auth(&w.ministry)
        .send()
        .await;
    let count = all.body["items"].as_array().unwrap().len();
    assert!(count > 3);
    let csv = app
        .get("/api/v1/organizations?limit=2&format=csv")
        .auth(&w.ministry)
        .send()
        .await;
    assert_eq!(csv.text.lines().count(), count + 1);
    assert!(csv.text.lines().next().unwrap().contains("name_ar"));
    // Only csv and json are formats; other parameters are still checked.
    for bad in [
        "/api/v1/organizations?format=xlsx".to_owned(),
        format!("/api/v1/seasons/{s}/quotas?format="),
        format!("/api/v1/contracts/{id}/history?format=CSV"),
    ] {
        let reply = app.get(&bad).auth(&w.ministry).send().await;
        reply.assert_problem(400, "invalid_query");
        assert_eq!(reply.body["errors"][0]["field"], "format", "{bad}");
    }
    app.get("/api/v1/organizations?format=csv&stauts=x")
        .auth(&w.ministry)
        .send()
        .await
        .assert_problem(400, "invalid_query");
    // What a caller may not see stays out of its export too.
    let theirs = app
        .get("/api/v1/contracts?format=csv")
        .auth(&w.other_office)
        .send()
        .await;
    assert_eq!(theirs.text.lines().count(), 1, "header only");
}

async fn search_and_csv(app: TestApp) {
    let w = World::new(&app).await;
    w.draft(&app, &w.agency, w.housing(5, "2027-05-01", "2027-05-02"))
        .await;
    let mut other = w.housing(5, "2027-05-01", "2027-05-02");
    other["facility_id"] = crate::world::facility(
        &app,
        &w.provider,
        crate::world::building("فندق مكة الكبير", 50),
    )
    .await
    .into();
    w.draft(&app, &w.agency, other).await;
    let search = |q: &str| {
        let path = format!("/api/v1/contracts?q={}", crate::organizations::urlencode(q));
        let app = &app;
        let agency = &w.agency;
        async move {
            app.get(&path).auth(agency).send().await.body["items"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(search("مكه").await, 1, "taa marbuta and haa match");
    assert_eq!(search("الصفوه").await, 1);
    assert_eq!(search("safwa").await, 1);
    assert_eq!(search("برج").await, 1);

    // A renamed provider or building is found at once by its new name, no longer by its old one.
    let provider = format!("/api/v1/organizations/{}", w.provider.organization_id);
    rename(
        &app,
        &w.ministry,
        &provider,
        json!({"name": "Zamzam Hospitality"}),
    )
    .await;
    assert_eq!(
        search("zamzam hospitality").await,
        2,
        "both show the provider"
    );
    let building = format!("/api/v1/facilities/{}", w.building);
    rename(
        &app,
        &w.provider,
        &building,
        json!({"name": "Hilton Towers"}),
    )
    .await;
    assert_eq!(search("hilton").await, 1);
    assert_eq!(search("safwa").await, 0, "the old name finds nothing");
    assert_eq!(search("zamzam").await, 2);

    let csv = app
        .get("/api/v1/contracts")
        .auth(&w.agency)
        .header("Accept", "text/csv")
        .send()
        .await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(
        csv.text.starts_with('\u{feff}'),
        "a byte-order mark for spreadsheets"
    );
    let lines: Vec<&str> = csv.text.trim_start_matches('\u{feff}').lines().collect();
    assert_eq!(lines.len(), 3);
    assert!(lines[0].contains("unit_price") && lines[0].starts_with("id,season_id,type,status"));
    let hidden = app
        .get("/api/v1/contracts")
        .auth(&w.tawafa)
        .header("Accept", "text/csv")
        .send()
        .await;
    let lines: Vec<&str> = hidden.text.lines().collect();
    assert_eq!(
        lines.len(),
        3,
        "the tawafa establishment of Indonesia sees the rows"
    );
    assert!(
        !lines[0].contains("price")
            && !lines[0].contains("total")
            && !hidden.text.contains("150.00")
    );
    let none = app
        .get("/api/v1/contracts")
        .auth(&w.other_tawafa)
        .header("Accept", "text/csv")
        .send()
        .await;
    assert_eq!(none.text.lines().count(), 1, "header only");
}

async fn allocation_comes_back_when_contracts_end(app: TestApp) {
    let w = World::new(&app).await;
    let id = w
        .draft(&app, &w.agency, w.housing(100, "2027-05-01", "2027-05-01"))
        .await;
    w.step(&app, &w.agency, &id, "submit", None)
        .await
        .assert_status(200);
    // The agency's allocation cannot drop below what it holds.
    allocate(&app, &w.office, &w.season, &w.agency.organization_id, 99)
        .await
        .assert_problem(409, "allocation_in_use");
    w.step(&app, &w.agency, &id, "cancel", Some("plans changed"))
        .await
        .assert_status(200);
    allocate(&app, &w.office, &w.season, &w.agency.organization_id, 99)
        .await
        .assert_status(200);
}

/// A step's body may be left out however a client leaves it out: no body, an empty body with a
/// JSON content type, or `null`; a step's path that is only read (`history`) answers 405.
async fn a_step_needs_no_body(app: TestApp) {
    let w = World::new(&app).await;
    let mut ids = Vec::new();
    for _ in 0..3 {
        ids.push(
            w.draft(&app, &w.agency, w.housing(2, "2027-05-10", "2027-05-12"))
                .await,
        );
    }
    let path = |id: &str| format!("/api/v1/contracts/{id}/submit");
    let empty = app
        .post(&path(&ids[0]))
        .auth(&w.agency)
        .raw(Some("application/json"), Vec::new())
        .await;
    assert_eq!(empty.assert_status(200)["status"], "pending_provider");
    let null = app
        .post(&path(&ids[1]))
        .auth(&w.agency)
        .raw(Some("application/json"), b"null".to_vec())
        .await;
    assert_eq!(null.assert_status(200)["status"], "pending_provider");
    let none = app.post(&path(&ids[2])).auth(&w.agency).send().await;
    assert_eq!(none.assert_status(200)["status"], "pending_provider");
    // A reason that is not one is still refused.
    let wrong = app
        .post(&format!("/api/v1/contracts/{}/cancel", ids[0]))
        .auth(&w.agency)
        .raw(Some("application/json"), b"[1]".to_vec())
        .await;
    assert_eq!(wrong.status, 422, "{wrong:?}");
    let history = app
        .post(&format!("/api/v1/contracts/{}/history", ids[0]))
        .auth(&w.agency)
        .send()
        .await;
    history.assert_problem(405, "method_not_allowed");
    assert_eq!(history.header("allow").as_deref(), Some("GET"));
    let anonymous = app
        .post(&format!("/api/v1/contracts/{}/history", ids[0]))
        .send()
        .await;
    assert_eq!(anonymous.status, 405);
}

/// A contract names its client, its provider and its facility (with their Arabic names and the
/// facility's city) alike whether a step answers it, it is read alone or in a list, to each
/// party that reads it; the names are the ones the organisations and the facility carry.
async fn every_read_names_the_parties_and_the_facility(app: TestApp) {
    let w = crate::world::World::new(&app).await;
    let id = w
        .draft(&app, &w.office, w.housing(5, "2027-05-10", "2027-05-12"))
        .await;
    let submitted = w.step(&app, &w.office, &id, "submit", None).await;
    let stepped = submitted.assert_status(200).clone();
    let mut read = Vec::new();
    for path in [
        format!("organizations/{}", stepped["client_id"].as_str().unwrap()),
        format!("organizations/{}", stepped["provider_id"].as_str().unwrap()),
        format!("facilities/{}", w.building),
    ] {
        let reply = app
            .get(&format!("/api/v1/{path}"))
            .auth(&w.ministry)
            .send()
            .await;
        read.push(reply.assert_status(200).clone());
    }
    let [client, provider, building] = [&read[0], &read[1], &read[2]];
    let names = |c: &serde_json::Value| {
        [
            "client_name",
            "client_name_ar",
            "provider_name",
            "provider_name_ar",
            "facility_name",
            "facility_name_ar",
            "facility_city",
        ]
        .map(|k| c[k].clone())
    };
    let expected = [
        client["name"].clone(),
        client["name_ar"].clone(),
        provider["name"].clone(),
        provider["name_ar"].clone(),
        building["name"].clone(),
        building["name_ar"].clone(),
        building["city"].clone(),
    ];
    assert!(
        [0, 1, 2, 3, 4, 6].iter().all(|&i| expected[i].is_string()),
        "{expected:?}"
    );
    assert_eq!(names(&stepped), expected);
    // A draft's own answer, named from the rows it was made from, is what a read of it gives.
    let drafted = app
        .post("/api/v1/contracts")
        .auth(&w.office)
        .json(w.housing(5, "2027-05-10", "2027-05-12"))
        .await;
    let drafted = drafted.assert_status(201).clone();
    assert_eq!(names(&drafted), expected);
    let again = app
        .get(&format!(
            "/api/v1/contracts/{}",
            drafted["id"].as_str().unwrap()
        ))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(again.assert_status(200), &drafted);
    for reader in [&w.office, &w.provider, &w.ministry] {
        let one = app
            .get(&format!("/api/v1/contracts/{id}"))
            .auth(reader)
            .send()
            .await;
        assert_eq!(names(one.assert_status(200)), expected);
        let listed = app.get("/api/v1/contracts").auth(reader).send().await;
        let items = listed.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .clone();
        let item = items
            .iter()
            .find(|c| c["id"] == id.as_str())
            .expect("listed");
        assert_eq!(names(item), expected);
    }
}

async fn reads(
    app: &TestApp,
    who: &crate::helpers::Session,
    id: &str,
) -> (crate::helpers::Reply, crate::helpers::Reply) {
    let one = app
        .get(&format!("/api/v1/contracts/{id}"))
        .auth(who)
        .send()
        .await;
    (one, app.get("/api/v1/contracts").auth(who).send().await)
}

fn listed_has(list: &crate::helpers::Reply, id: &str) -> bool {
    let items = list.assert_status(200)["items"].as_array().unwrap();
    items.iter().any(|c| c["id"] == id)
}

/// A contract read by the caller its access token states (one statement, which also checks the
/// session) stops the moment the session ends, the user's role changes, the user is deactivated
/// or its organisation suspended: the list and the single read answer as a fresh caller would.
async fn a_token_reads_only_while_its_session_holds(app: TestApp) {
    let w = crate::world::World::new(&app).await;
    let id = w
        .draft(&app, &w.office, w.housing(5, "2027-05-10", "2027-05-12"))
        .await;
    let officer = app
        .user_in(
            &w.office,
            &w.office.organization_id,
            "reader@office.test",
            "officer",
        )
        .await;
    let (single, listed) = reads(&app, &officer, &id).await;
    assert_eq!(single.assert_status(200)["id"], id.as_str());
    assert!(listed_has(&listed, &id));

    // A new role still reads; deactivated, logged out or suspended, nothing, at once.
    w.through_session_changes(&app, &officer, async |token, holds| {
        let (single, listed) = reads(&app, token, &id).await;
        if holds {
            assert_eq!(single.assert_status(200)["id"], id.as_str());
            assert!(listed_has(&listed, &id));
        } else {
            single.assert_problem(401, "unauthorized");
            listed.assert_problem(401, "unauthorized");
        }
    })
    .await;
}

/// A contract's step taken with an access token (its session checked in the step's first
/// statement) is refused the moment the session ends, the user is deactivated or its organisation
/// suspended, and changes nothing; a user given a role that may not act is refused as that role.
async fn a_token_acts_only_while_its_session_holds(app: TestApp) {
    let w = crate::world::World::new(&app).await;
    let mut drafts = Vec::new();
    for day in 10..16 {
        let day = format!("2027-05-{day}");
        drafts.push(w.draft(&app, &w.office, w.housing(5, &day, &day)).await);
    }
    let officer = app
        .user_in(
            &w.office,
            &w.office.organization_id,
            "actor@office.test",
            "officer",
        )
        .await;
    w.step(&app, &officer, &drafts[0], "submit", None)
        .await
        .assert_status(200);
    let next = std::cell::Cell::new(1);
    w.through_session_changes(&app, &officer, async |token, holds| {
        let id = &drafts[next.get()];
        next.set(next.get() + 1);
        let reply = w.step(&app, token, id, "submit", None).await;
        let read = app
            .get(&format!("/api/v1/contracts/{id}"))
            .auth(&w.ministry)
            .send()
            .await;
        let status = read.assert_status(200)["status"].clone();
        if !holds {
            reply.assert_problem(401, "unauthorized");
            assert_eq!(status, "draft");
        } else if token.user_id == officer.user_id {
            // Now a viewer, which may not act.
            reply.assert_problem(403, "forbidden");
            assert_eq!(status, "draft");
        } else {
            assert_eq!(reply.assert_status(200)["status"], status);
            assert_eq!(status, "pending_provider");
        }
    })
    .await;
    assert_eq!(next.get(), drafts.len());
}

/// A token drafts only while its session holds, as it takes steps: after its user's role changes
/// it drafts as the new role; once the session no longer holds, every draft is a 401 that creates
/// nothing: a valid one, one whose body is refused and one whose key was answered before.
async fn a_token_drafts_only_while_its_session_holds(app: TestApp) {
    let w = crate::world::World::new(&app).await;
    let officer = app
        .user_in(
            &w.office,
            &w.office.organization_id,
            "drafter@office.test",
            "officer",
        )
        .await;
    let body = w.housing(5, "2027-05-10", "2027-05-11");
    let send = |token: &Session, key: &str, body: &Value| {
        app.post("/api/v1/contracts")
            .auth(token)
            .header("Idempotency-Key", key)
            .json(body.clone())
    };
    let first = send(&officer, "drafted-while-live", &body).await;
    let first_id = first.assert_status(201)["id"].clone();
    let drafts = async || {
        let all = app
            .get(&format!(
                "/api/v1/contracts?client_id={}&limit=200",
                w.office.organization_id
            ))
            .auth(&w.ministry)
            .send()
            .await;
        all.assert_status(200)["items"].as_array().unwrap().len()
    };
    let mut refused = body.clone();
    refused["beds"] = 0.into();
    let n = std::cell::Cell::new(0);
    w.through_session_changes(&app, &officer, async |token, holds| {
        n.set(n.get() + 1);
        let before = drafts().await;
        let new = send(token, &format!("fresh-{}", n.get()), &body).await;
        let bad = send(token, &format!("bad-{}", n.get()), &refused).await;
        let again = send(token, "drafted-while-live", &body).await;
        let after = drafts().await;
        if !holds {
            new.assert_problem(401, "unauthorized");
            bad.assert_problem(401, "unauthorized");
            again.assert_problem(401, "unauthorized");
            assert_eq!(after, before);
        } else if token.user_id == officer.user_id {
            // Now a viewer, which may not file; the key's first answer is its organisation's.
            new.assert_problem(403, "forbidden");
            bad.assert_problem(403, "forbidden");
            assert_eq!(again.assert_status(201)["id"], first_id);
            assert_eq!(after, before);
        } else {
            new.assert_status(201);
            bad.assert_problem(422, "validation_failed");
            // The key was the officer's organisation's, and so is this session's.
            assert_eq!(again.assert_status(201)["id"], first_id);
            assert_eq!(after, before + 1);
        }
    })
    .await;
    assert_eq!(n.get(), 5);
}

crate::backend_tests!(
    a_token_acts_only_while_its_session_holds,
    a_token_drafts_only_while_its_session_holds,
    a_token_reads_only_while_its_session_holds,
    every_read_names_the_parties_and_the_facility,
    a_step_needs_no_body,
    the_whole_lifecycle,
    refusals_explain_themselves,
    every_illegal_transition_is_refused,
    each_rule_broken_once,
    terms_money_and_types_are_checked,
    amendments_change_approved_contracts_only_when_approved,
    creation_is_idempotent,
    search_and_csv,
    every_list_exports_csv,
    allocation_comes_back_when_contracts_end,
);
