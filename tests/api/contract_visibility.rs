//! Who sees which contract (docs/domain.md section 7): clients theirs (an office also its agencies'),
//! providers those addressed to them, tawafa establishments those of their countries without
//! prices, authorities none, the ministry all. Hidden means 404 everywhere and absent from lists.

use serde_json::json;

use crate::helpers::{Session, TestApp};
use crate::world::{World, facility};

const PRICE_FIELDS: [&str; 3] = ["unit_price", "currency", "total"];

async fn each_caller_sees_its_slice_of_contracts(app: TestApp) {
    let w = World::new(&app).await;
    let a = w
        .approved(&app, &w.agency, w.housing(10, "2027-05-10", "2027-05-11"))
        .await;
    let amendment = app
        .post(&format!("/api/v1/contracts/{a}/amendments"))
        .auth(&w.agency)
        .json(json!({"reason": "two more", "beds": 12}))
        .await;
    let amendment = amendment.assert_status(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let kitchen = facility(
        &app,
        &w.other_provider,
        json!({"kind": "kitchen", "name": "Other kitchen", "city": "madinah", "licence_no": "OK-1",
               "licence_valid_from": "2027-01-01", "licence_valid_to": "2027-12-31", "capacity": 100}),
    )
    .await;
    let b = w
        .draft(&app, &w.other_office, json!({"season_id": w.season, "type": "catering", "facility_id": kitchen, "starts_on": "2027-05-10",
                                             "ends_on": "2027-05-10", "pilgrims": 10, "meals_per_day": 2, "unit_price": "20", "currency": "SAR"}))
        .await;

    // (caller, sees A, sees prices, contracts listed)
    let matrix: Vec<(&Session, bool, bool, usize)> = vec![
        (&w.ministry, true, true, 2),
        (&w.office, true, true, 1),
        (&w.agency, true, true, 1),
        (&w.provider, true, true, 1),
        (&w.tawafa, true, false, 1),
        (&w.other_office, false, false, 1),
        (&w.other_provider, false, false, 1),
        (&w.other_tawafa, false, false, 1),
        (&w.authority, false, false, 0),
    ];
    for (caller, sees, prices, listed) in matrix {
        let who = &caller.email;
        let list = app
            .get("/api/v1/contracts?limit=200")
            .auth(caller)
            .send()
            .await;
        let items = list.assert_status(200)["items"].as_array().unwrap().clone();
        assert_eq!(items.len(), listed, "{who}");
        assert_eq!(items.iter().any(|c| c["id"] == a.as_str()), sees, "{who}");
        let filtered = app
            .get(&format!(
                "/api/v1/contracts?client_id={}",
                w.agency.organization_id
            ))
            .auth(caller)
            .send()
            .await;
        assert_eq!(
            filtered.body["items"].as_array().unwrap().len(),
            usize::from(sees),
            "{who}: filters never widen"
        );

        let one = app
            .get(&format!("/api/v1/contracts/{a}"))
            .auth(caller)
            .send()
            .await;
        let history = app
            .get(&format!("/api/v1/contracts/{a}/history"))
            .auth(caller)
            .send()
            .await;
        let amendments = app
            .get(&format!("/api/v1/contracts/{a}/amendments"))
            .auth(caller)
            .send()
            .await;
        if sees {
            one.assert_status(200);
            history.assert_status(200);
            amendments.assert_status(200);
            for field in PRICE_FIELDS {
                assert_eq!(one.body.get(field).is_some(), prices, "{who} {field}");
                assert!(
                    items.iter().all(|c| c.get(field).is_some() == prices),
                    "{who} {field} in list"
                );
            }
            assert_eq!(
                amendments.body["items"][0].get("unit_price").is_some(),
                prices,
                "{who}"
            );
            assert_eq!(
                amendments.body["items"][0].get("total").is_some(),
                prices,
                "{who}"
            );
        } else {
            for reply in [&one, &history, &amendments] {
                reply.assert_problem(404, "not_found");
            }
            // Acting on it is a 404 too, whatever the action.
            for action in ["submit", "accept", "approve", "cancel"] {
                let reply = app
                    .post(&format!("/api/v1/contracts/{a}/{action}"))
                    .auth(caller)
                    .json(json!({"reason": "x"}))
                    .await;
                reply.assert_problem(404, "not_found");
            }
            app.patch(&format!("/api/v1/contracts/{a}"))
                .auth(caller)
                .header("If-Match", "\"1\"")
                .json(json!({"beds": 1}))
                .await
                .assert_problem(404, "not_found");
            app.post(&format!("/api/v1/contracts/{a}/amendments"))
                .auth(caller)
                .json(json!({"reason": "x", "beds": 1}))
                .await
                .assert_problem(404, "not_found");
            app.post(&format!("/api/v1/amendments/{amendment}/accept"))
                .auth(caller)
                .send()
                .await
                .assert_problem(404, "not_found");
        }
    }
    // Seeing is not acting: the office and the tawafa establishment are no party to A.
    for caller in [&w.office, &w.tawafa] {
        app.post(&format!("/api/v1/amendments/{amendment}/accept"))
            .auth(caller)
            .send()
            .await
            .assert_problem(403, "forbidden");
        app.post(&format!("/api/v1/contracts/{a}/cancel"))
            .auth(caller)
            .json(json!({"reason": "x"}))
            .await
            .assert_problem(403, "forbidden");
    }
    // The other office's draft is its own.
    app.get(&format!("/api/v1/contracts/{b}"))
        .auth(&w.office)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/contracts/{b}"))
        .auth(&w.other_provider)
        .send()
        .await
        .assert_status(200);
    app.get(&format!("/api/v1/contracts/{b}"))
        .auth(&w.other_tawafa)
        .send()
        .await
        .assert_status(200);
}

async fn facilities_are_seen_by_their_provider_clients_and_the_ministry(app: TestApp) {
    let w = World::new(&app).await;
    let path = format!("/api/v1/facilities/{}", w.building);
    let usage = format!("{path}/usage?from=2027-05-01&to=2027-05-02");
    for caller in [&w.ministry, &w.provider, &w.office, &w.agency] {
        app.get(&path).auth(caller).send().await.assert_status(200);
    }
    for caller in [&w.other_provider, &w.tawafa, &w.authority] {
        app.get(&path)
            .auth(caller)
            .send()
            .await
            .assert_problem(404, "not_found");
        app.get(&usage)
            .auth(caller)
            .send()
            .await
            .assert_problem(404, "not_found");
    }
    let counts = |caller| {
        let app = &app;
        async move {
            app.get("/api/v1/facilities").auth(caller).send().await.body["items"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(counts(&w.provider).await, 3);
    assert_eq!(counts(&w.other_provider).await, 0);
    assert_eq!(counts(&w.office).await, 3);
    assert_eq!(counts(&w.tawafa).await, 0);
    assert_eq!(counts(&w.authority).await, 0);
    // Clients see free capacity, not the provider's day book.
    app.get(&usage)
        .auth(&w.office)
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.get(&usage)
        .auth(&w.ministry)
        .send()
        .await
        .assert_status(200);
    // Only the provider changes its facility.
    app.patch(&path)
        .auth(&w.office)
        .header("If-Match", "\"1\"")
        .json(json!({"capacity": 5}))
        .await
        .assert_problem(403, "forbidden");
    app.patch(&path)
        .auth(&w.other_provider)
        .header("If-Match", "\"1\"")
        .json(json!({"capacity": 5}))
        .await
        .assert_problem(404, "not_found");
    // A suspended provider's facilities leave the clients' lists.
    let org = format!("/api/v1/organizations/{}", w.provider.organization_id);
    app.patch(&org)
        .auth(&w.ministry)
        .header("If-Match", "\"1\"")
        .json(json!({"status": "suspended"}))
        .await
        .assert_status(200);
    assert_eq!(counts(&w.office).await, 0);
    app.get(&path)
        .auth(&w.office)
        .send()
        .await
        .assert_problem(404, "not_found");
}

crate::backend_tests!(
    each_caller_sees_its_slice_of_contracts,
    facilities_are_seen_by_their_provider_clients_and_the_ministry,
);
