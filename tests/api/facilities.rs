//! Facilities: registration, browsing by free capacity, capacity changes.

use serde_json::json;

use crate::helpers::TestApp;
use crate::world::{World, building};

async fn providers_register_facilities(app: TestApp) {
    let w = World::new(&app).await;
    let post =
        |body: serde_json::Value| app.post("/api/v1/facilities").auth(&w.provider).json(body);
    let created = post(json!({"kind": "fleet", "name": "Airport shuttles", "base": "med", "licence_no": "FL-77",
                              "licence_valid_from": "2027-01-01", "licence_valid_to": "2027-02-28", "capacity": 40}))
    .await;
    let c = created.assert_status(201);
    assert_eq!(c["city"], "med");
    assert_eq!(c["available"], 40);
    assert_eq!(c["licence_valid_from_hijri"], "1448-07-23");
    let base = || {
        json!({"kind": "building", "name": "B", "city": "makkah", "licence_no": "X-1",
                         "licence_valid_from": "2027-01-01", "licence_valid_to": "2027-12-31", "capacity": 10})
    };
    let cases = [
        (json!({"city": "jed"}), "city", "invalid_value"),
        (json!({"city": null}), "city", "required"),
        (json!({"base": "jed"}), "base", "not_allowed"),
        (json!({"capacity": 0}), "capacity", "out_of_range"),
        (
            json!({"licence_valid_to": "2026-12-31"}),
            "licence_valid_to",
            "before_start",
        ),
        (
            json!({"licence_valid_to": "2029-12-31"}),
            "licence_valid_to",
            "span_too_long",
        ),
        (json!({"licence_no": " "}), "licence_no", "invalid_value"),
        (json!({"kind": "hotel"}), "kind", "invalid_value"),
    ];
    for (change, field, code) in cases {
        let mut body = base();
        for (k, v) in change.as_object().unwrap() {
            body[k] = v.clone();
        }
        let reply = post(body).await;
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
    post(base()).await.assert_status(201);
    post(base()).await.assert_problem(409, "licence_exists");
    // Only providers register facilities.
    app.post("/api/v1/facilities")
        .auth(&w.office)
        .json(base())
        .await
        .assert_problem(403, "forbidden");
}

async fn clients_browse_by_free_capacity(app: TestApp) {
    let w = World::new(&app).await;
    // 70 of the building's 100 beds held on 10-11 May.
    w.approved(&app, &w.office, w.housing(70, "2027-05-10", "2027-05-11"))
        .await;
    let browse = |query: &str| {
        let path = format!("/api/v1/facilities?kind=building&{query}");
        let app = &app;
        let office = &w.office;
        async move { app.get(&path).auth(office).send().await }
    };
    let all = browse("from=2027-05-09&to=2027-05-12").await;
    let row = all.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["id"] == w.building.as_str())
        .unwrap()
        .clone();
    assert_eq!(row["available"], 30);
    assert_eq!(
        browse("from=2027-05-12&to=2027-05-13").await.body["items"][0]["available"],
        100
    );
    let enough = browse("from=2027-05-09&to=2027-05-12&min_available=31").await;
    assert!(enough.body["items"].as_array().unwrap().is_empty());
    let enough = browse("from=2027-05-09&to=2027-05-12&min_available=30").await;
    assert_eq!(enough.body["items"].as_array().unwrap().len(), 1);
    // Outside the licence a facility cannot be booked, so it is not offered.
    assert!(
        browse("from=2027-12-30&to=2028-01-02").await.body["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    browse("min_available=5")
        .await
        .assert_problem(400, "invalid_query");
    browse("from=2027-05-12&to=2027-05-01")
        .await
        .assert_problem(400, "invalid_query");
    assert_eq!(
        browse("city=madinah").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        0
    );
    assert_eq!(
        browse("q=%D8%A7%D9%84%D8%B5%D9%81%D9%88%D9%87").await.body["items"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "الصفوه finds الصفوة"
    );
}

async fn capacity_never_drops_below_what_is_held(app: TestApp) {
    let w = World::new(&app).await;
    w.approved(&app, &w.office, w.housing(70, "2027-05-10", "2027-05-11"))
        .await;
    let path = format!("/api/v1/facilities/{}", w.building);
    app.patch(&path)
        .auth(&w.provider)
        .header("If-Match", "\"1\"")
        .json(json!({"capacity": 69}))
        .await
        .assert_problem(409, "capacity_in_use");
    let changed = app
        .patch(&path)
        .auth(&w.provider)
        .header("If-Match", "\"1\"")
        .json(json!({"capacity": 70, "name": "Tower 1"}))
        .await;
    assert_eq!(changed.assert_status(200)["capacity"], 70);
    assert_eq!(changed.body["available"], 0);
    app.patch(&path)
        .auth(&w.provider)
        .header("If-Match", "\"1\"")
        .json(json!({"capacity": 80}))
        .await
        .assert_problem(412, "precondition_failed");
    // Now full on the 10th: one more bed is refused.
    let one = w
        .draft(&app, &w.office, w.housing(1, "2027-05-10", "2027-05-10"))
        .await;
    w.step(&app, &w.office, &one, "submit", None)
        .await
        .assert_problem(409, "capacity_exceeded");
    let other = app
        .post("/api/v1/facilities")
        .auth(&w.provider)
        .json(building("Tower 2", 5))
        .await;
    other.assert_status(201);
}

/// Facilities carry an Arabic name beside the Latin one, searchable and editable like it.
async fn facilities_are_named_in_arabic_too(app: TestApp) {
    let w = World::new(&app).await;
    let mut body = crate::world::building("Zamzam Heights", 50);
    body["name_ar"] = json!("أبراج زمزم");
    let created = app
        .post("/api/v1/facilities")
        .auth(&w.provider)
        .json(body)
        .await;
    created.assert_status(201);
    assert_eq!(created.body["name_ar"], "أبراج زمزم");
    let id = created.body["id"].as_str().unwrap().to_owned();
    let found = app
        .get("/api/v1/facilities?q=%D8%B2%D9%85%D8%B2%D9%85")
        .auth(&w.office)
        .send()
        .await;
    let ids: Vec<&str> = found.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [id.as_str()], "found by its Arabic name");
    let renamed = app
        .patch(&format!("/api/v1/facilities/{id}"))
        .auth(&w.provider)
        .header("If-Match", "*")
        .json(json!({"name_ar": "برج زمزم"}))
        .await;
    renamed.assert_status(200);
    assert_eq!(renamed.body["name_ar"], "برج زمزم");
    assert_eq!(renamed.body["name"], "Zamzam Heights");
    // The World's building has none: the field is absent, not made up.
    let plain = app
        .get(&format!("/api/v1/facilities/{}", w.building))
        .auth(&w.provider)
        .send()
        .await;
    assert!(plain.body.get("name_ar").is_none());
}

crate::backend_tests!(
    facilities_are_named_in_arabic_too,
    providers_register_facilities,
    clients_browse_by_free_capacity,
    capacity_never_drops_below_what_is_held,
);
