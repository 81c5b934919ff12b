//! Datasets for authorities: exactly what was granted, never a price, every read audited (R14).

use serde_json::json;

use crate::helpers::TestApp;
use crate::world::World;

async fn authorities_read_only_what_they_were_granted(app: TestApp) {
    let w = World::new(&app).await;
    app.post(&format!("/api/v1/seasons/{}/groups", w.season))
        .auth(&w.office)
        .json(json!({"name": "g1", "pilgrims": 8, "arrival": {"port": "jed", "date": "2027-05-10"}, "departure": {"port": "jed", "date": "2027-05-12"},
                     "stays": [{"city": "makkah", "from": "2027-05-10", "to": "2027-05-12"}]}))
        .await
        .assert_status(201);
    w.approved(&app, &w.office, w.housing(8, "2027-05-10", "2027-05-11"))
        .await;
    w.approved(&app, &w.office, json!({"season_id": w.season, "type": "transport", "facility_id": w.fleet, "starts_on": "2027-05-10", "ends_on": "2027-05-10",
                                       "route": {"from": "jed", "to": "makkah"}, "seats": 8, "unit_price": "40", "currency": "SAR"})).await;
    let path = |d: &str| format!("/api/v1/seasons/{}/datasets/{d}", w.season);
    let all = [
        "visa_eligibility",
        "arrivals",
        "transport_schedule",
        "housing_registry",
    ];
    // Without grants an authority sees no dataset at all.
    for d in all {
        app.get(&path(d))
            .auth(&w.authority)
            .send()
            .await
            .assert_problem(404, "not_found");
    }
    app.put(&format!(
        "/api/v1/organizations/{}/grants",
        w.authority.organization_id
    ))
    .auth(&w.ministry)
    .json(json!({"datasets": ["visa_eligibility", "housing_registry"]}))
    .await
    .assert_status(200);
    let visa = app
        .get(&path("visa_eligibility"))
        .auth(&w.authority)
        .send()
        .await;
    let rows = visa.assert_status(200)["rows"].as_array().unwrap().clone();
    let office_row = rows
        .iter()
        .find(|r| r["organization_id"] == w.office.organization_id.as_str())
        .unwrap();
    assert_eq!(
        (
            office_row["planned"].as_i64(),
            office_row["visa_eligible"].as_i64()
        ),
        (Some(8), Some(0)),
        "no catering yet"
    );
    let housing = app
        .get(&path("housing_registry"))
        .auth(&w.authority)
        .send()
        .await;
    assert_eq!(housing.assert_status(200)["rows"][0]["beds"], 8);
    for d in ["arrivals", "transport_schedule"] {
        app.get(&path(d))
            .auth(&w.authority)
            .send()
            .await
            .assert_problem(404, "not_found");
    }
    for text in [&visa.text, &housing.text] {
        assert!(
            !text.contains("price") && !text.contains("total") && !text.contains("150.00"),
            "{text}"
        );
    }
    // The ministry reads every dataset; other bodies none.
    for d in all {
        let r = app.get(&path(d)).auth(&w.ministry).send().await;
        assert!(
            !r.assert_status(200)["rows"].as_array().unwrap().is_empty(),
            "{d}"
        );
        assert!(!r.text.contains("unit_price"));
        for other in [&w.office, &w.provider, &w.tawafa] {
            app.get(&path(d))
                .auth(other)
                .send()
                .await
                .assert_problem(404, "not_found");
        }
    }
    app.get(&format!("/api/v1/seasons/{}/datasets/prices", w.season))
        .auth(&w.ministry)
        .send()
        .await
        .assert_problem(404, "not_found");
    // Each read by the authority is in the audit log.
    let log = app
        .get(&format!(
            "/api/v1/audit?organization_id={}&limit=200",
            w.authority.organization_id
        ))
        .auth(&w.ministry)
        .send()
        .await;
    let reads: Vec<&str> = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .filter(|a| a.contains("/datasets/"))
        .collect();
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert!(reads[0].starts_with("GET /api/v1/seasons/{id}/datasets/visa_eligibility"));
}

crate::backend_tests!(authorities_read_only_what_they_were_granted);
