//! Organisations of every kind: who opens them, who sees them, suspension, settings, search.

use serde_json::json;

use crate::helpers::{Session, TestApp};

async fn the_ministry_opens_organisations_of_every_kind(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let office = app
        .create_org(&ministry, json!({"kind": "hajj_office", "name": "Hajj Office of Egypt", "name_ar": "مكتب شؤون حجاج مصر", "country": "eg"}))
        .await;
    let agency = app
        .post("/api/v1/organizations")
        .auth(&ministry)
        .json(json!({"kind": "agency", "name": "Nile Travel", "name_ar": "النيل للسفر", "country": "EG", "parent_id": office}))
        .await;
    let agency = agency.assert_status(201);
    assert_eq!(agency["country"], "EG");
    assert_eq!(agency["parent_id"], office.as_str());
    assert_eq!(agency["status"], "active");
    assert_eq!(agency["version"], 1);
    for kind in ["ministry", "service_provider", "tawafa", "authority"] {
        let reply = app
            .post("/api/v1/organizations")
            .auth(&ministry)
            .json(json!({"kind": kind, "name": format!("A {kind}"), "name_ar": "جهة"}))
            .await;
        assert_eq!(reply.assert_status(201)["kind"], kind);
        assert!(reply.header("etag").is_some());
    }
    let all = app
        .get("/api/v1/organizations?limit=200")
        .auth(&ministry)
        .send()
        .await;
    // The bootstrap ministry, the office, the agency and the four above.
    assert_eq!(all.assert_status(200)["items"].as_array().unwrap().len(), 7);
}

async fn organisations_are_validated(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let office = app
        .create_org(&ministry, json!({"kind": "hajj_office", "name": "Office of Turkey", "name_ar": "مكتب تركيا", "country": "TR"}))
        .await;
    let provider = app
        .create_org(
            &ministry,
            json!({"kind": "service_provider", "name": "Provider", "name_ar": "مزود"}),
        )
        .await;
    let cases = [
        (
            json!({"kind": "hajj_office", "name": "No country", "name_ar": "x"}),
            "country",
            "required",
        ),
        (
            json!({"kind": "hajj_office", "name": "Bad", "name_ar": "x", "country": "ZZ"}),
            "country",
            "invalid_country",
        ),
        (
            json!({"kind": "agency", "name": "Orphan", "name_ar": "x", "country": "TR"}),
            "parent_id",
            "required",
        ),
        (
            json!({"kind": "agency", "name": "Wrong country", "name_ar": "x", "country": "EG", "parent_id": office}),
            "country",
            "country_mismatch",
        ),
        (
            json!({"kind": "agency", "name": "Wrong parent", "name_ar": "x", "country": "TR", "parent_id": provider}),
            "parent_id",
            "not_a_parent",
        ),
        (
            json!({"kind": "tawafa", "name": "Parented", "name_ar": "x", "parent_id": office}),
            "parent_id",
            "not_allowed",
        ),
        (
            json!({"kind": "bank", "name": "Bank", "name_ar": "x"}),
            "kind",
            "invalid_value",
        ),
        (
            json!({"kind": "tawafa", "name": "  ", "name_ar": "x"}),
            "name",
            "too_short",
        ),
        (
            json!({"kind": "tawafa", "name": "x".repeat(201), "name_ar": "x"}),
            "name",
            "too_long",
        ),
        (
            json!({"kind": "tawafa", "name_ar": "x"}),
            "name",
            "required",
        ),
        (
            json!({"kind": "tawafa", "name": "x", "name_ar": "x", "secret": 1}),
            "secret",
            "unknown_field",
        ),
        (
            json!({"kind": "tawafa", "name": ["x"], "name_ar": "x"}),
            "name",
            "invalid_type",
        ),
    ];
    for (body, field, code) in cases {
        let reply = app
            .post("/api/v1/organizations")
            .auth(&ministry)
            .json(body.clone())
            .await;
        reply.assert_problem(422, "validation_failed");
        let errors = reply.body["errors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == field && e["code"] == code),
            "{body}: {reply:?}"
        );
    }
    // One office per country.
    app.post("/api/v1/organizations")
        .auth(&ministry)
        .json(json!({"kind": "hajj_office", "name": "Second office", "name_ar": "x", "country": "TR"}))
        .await
        .assert_problem(409, "office_exists");
    let count = app
        .get("/api/v1/organizations?limit=200")
        .auth(&ministry)
        .send()
        .await;
    assert_eq!(
        count.body["items"].as_array().unwrap().len(),
        3,
        "nothing refused was written"
    );
}

async fn only_ministry_admins_open_and_edit_organisations(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let officer = app
        .user_in(
            &ministry,
            &ministry.organization_id,
            "officer@ministry.test",
            "officer",
        )
        .await;
    let office = app
        .org_admin(&ministry, "hajj_office", Some("PK"), None)
        .await;
    let body = json!({"kind": "tawafa", "name": "T", "name_ar": "ط"});
    for caller in [&officer, &office] {
        app.post("/api/v1/organizations")
            .auth(caller)
            .json(body.clone())
            .await
            .assert_problem(403, "forbidden");
    }
    // The office sees itself, so editing it is forbidden rather than hidden.
    let own = app
        .get(&format!("/api/v1/organizations/{}", office.organization_id))
        .auth(&office)
        .send()
        .await;
    app.patch(&format!("/api/v1/organizations/{}", office.organization_id))
        .auth(&office)
        .header("If-Match", own.etag())
        .json(json!({"name": "Renamed"}))
        .await
        .assert_problem(403, "forbidden");
    // An organisation it cannot see is a 404, whatever the action.
    let tawafa = app.org_admin(&ministry, "tawafa", None, None).await;
    let path = format!("/api/v1/organizations/{}", tawafa.organization_id);
    app.get(&path)
        .auth(&office)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.patch(&path)
        .auth(&office)
        .header("If-Match", "\"1\"")
        .json(json!({"name": "x"}))
        .await
        .assert_problem(404, "not_found");
    app.put(&format!("{path}/countries"))
        .auth(&office)
        .json(json!({"countries": ["PK"]}))
        .await
        .assert_problem(404, "not_found");
}

fn ids(reply: &crate::helpers::Reply) -> Vec<String> {
    reply.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn each_kind_sees_its_slice(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let office_a = app
        .org_admin(&ministry, "hajj_office", Some("ID"), None)
        .await;
    let office_b = app
        .org_admin(&ministry, "hajj_office", Some("MY"), None)
        .await;
    let agency_a = app
        .org_admin(
            &ministry,
            "agency",
            Some("ID"),
            Some(&office_a.organization_id),
        )
        .await;
    let agency_a2 = app
        .org_admin(
            &ministry,
            "agency",
            Some("ID"),
            Some(&office_a.organization_id),
        )
        .await;
    let agency_b = app
        .org_admin(
            &ministry,
            "agency",
            Some("MY"),
            Some(&office_b.organization_id),
        )
        .await;
    let provider = app
        .org_admin(&ministry, "service_provider", Some("SA"), None)
        .await;
    let provider_2 = app
        .org_admin(&ministry, "service_provider", Some("SA"), None)
        .await;
    let tawafa = app.org_admin(&ministry, "tawafa", None, None).await;
    let authority = app.org_admin(&ministry, "authority", None, None).await;
    let m = ministry.organization_id.clone();
    let org = |s: &Session| s.organization_id.clone();

    let expect: Vec<(&Session, Vec<String>)> = vec![
        (
            &office_a,
            vec![
                m.clone(),
                org(&office_a),
                org(&agency_a),
                org(&agency_a2),
                org(&provider),
                org(&provider_2),
            ],
        ),
        (
            &agency_a,
            vec![
                m.clone(),
                org(&office_a),
                org(&agency_a),
                org(&provider),
                org(&provider_2),
            ],
        ),
        (
            &agency_b,
            vec![
                m.clone(),
                org(&office_b),
                org(&agency_b),
                org(&provider),
                org(&provider_2),
            ],
        ),
        (&provider, vec![m.clone(), org(&provider)]),
        (&tawafa, vec![m.clone(), org(&tawafa)]),
        (&authority, vec![m.clone(), org(&authority)]),
    ];
    let everyone = [
        &office_a,
        &office_b,
        &agency_a,
        &agency_a2,
        &agency_b,
        &provider,
        &provider_2,
        &tawafa,
        &authority,
    ];
    for (caller, mut visible) in expect {
        let mut listed = ids(&app
            .get("/api/v1/organizations?limit=200")
            .auth(caller)
            .send()
            .await);
        listed.sort();
        visible.sort();
        assert_eq!(listed, visible, "list of {}", caller.email);
        for other in everyone {
            let reply = app
                .get(&format!("/api/v1/organizations/{}", other.organization_id))
                .auth(caller)
                .send()
                .await;
            if visible.contains(&other.organization_id) {
                reply.assert_status(200);
            } else {
                reply.assert_problem(404, "not_found");
            }
        }
    }
    // Filters never widen the slice.
    let filtered = app
        .get("/api/v1/organizations?kind=agency")
        .auth(&agency_a)
        .send()
        .await;
    assert_eq!(ids(&filtered), vec![org(&agency_a)]);
    let by_parent = app
        .get(&format!(
            "/api/v1/organizations?parent_id={}",
            office_b.organization_id
        ))
        .auth(&office_a)
        .send()
        .await;
    assert!(ids(&by_parent).is_empty());
    // The ministry sees all ten.
    assert_eq!(
        ids(&app
            .get("/api/v1/organizations?limit=200")
            .auth(&ministry)
            .send()
            .await)
        .len(),
        10
    );
}

async fn suspension_needs_the_current_version(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let provider = app
        .org_admin(&ministry, "service_provider", None, None)
        .await;
    let path = format!("/api/v1/organizations/{}", provider.organization_id);
    let current = app.get(&path).auth(&ministry).send().await;
    assert_eq!(current.etag(), "\"1\"");
    app.patch(&path)
        .auth(&ministry)
        .json(json!({"status": "suspended"}))
        .await
        .assert_problem(428, "precondition_required");
    app.patch(&path)
        .auth(&ministry)
        .header("If-Match", "\"7\"")
        .json(json!({"status": "suspended"}))
        .await
        .assert_problem(412, "precondition_failed");
    let renamed = app
        .patch(&path)
        .auth(&ministry)
        .header("If-Match", current.etag())
        .json(json!({"name": "Renamed provider"}))
        .await;
    assert_eq!(renamed.assert_status(200)["version"], 2);
    assert_eq!(renamed.etag(), "\"2\"");
    // The first version is stale now: the refused edit changed nothing.
    app.patch(&path)
        .auth(&ministry)
        .header("If-Match", current.etag())
        .json(json!({"status": "suspended"}))
        .await
        .assert_problem(412, "precondition_failed");
    let after = app.get(&path).auth(&ministry).send().await;
    assert_eq!(after.body["status"], "active");
    assert_eq!(after.body["name"], "Renamed provider");
    // The ministry cannot suspend itself.
    let own = format!("/api/v1/organizations/{}", ministry.organization_id);
    let me = app.get(&own).auth(&ministry).send().await;
    app.patch(&own)
        .auth(&ministry)
        .header("If-Match", me.etag())
        .json(json!({"status": "suspended"}))
        .await
        .assert_problem(409, "self_lockout");
}

async fn tawafa_countries_and_authority_grants(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let tawafa = app.org_admin(&ministry, "tawafa", None, None).await;
    let authority = app.org_admin(&ministry, "authority", None, None).await;
    let office = app
        .org_admin(&ministry, "hajj_office", Some("NG"), None)
        .await;

    let set = app
        .put(&format!(
            "/api/v1/organizations/{}/countries",
            tawafa.organization_id
        ))
        .auth(&ministry)
        .json(json!({"countries": ["ng", "GH", "NG"]}))
        .await;
    assert_eq!(set.assert_status(200)["countries"], json!(["GH", "NG"]));
    let bad = app
        .put(&format!(
            "/api/v1/organizations/{}/countries",
            tawafa.organization_id
        ))
        .auth(&ministry)
        .json(json!({"countries": ["GH", "XX"]}))
        .await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.body["errors"][0]["field"], "countries[1]");
    app.put(&format!(
        "/api/v1/organizations/{}/countries",
        office.organization_id
    ))
    .auth(&ministry)
    .json(json!({"countries": ["NG"]}))
    .await
    .assert_problem(409, "wrong_organization_kind");
    app.put(&format!(
        "/api/v1/organizations/{}/countries",
        tawafa.organization_id
    ))
    .auth(&tawafa)
    .json(json!({"countries": ["NG"]}))
    .await
    .assert_problem(403, "forbidden");

    let granted = app
        .put(&format!(
            "/api/v1/organizations/{}/grants",
            authority.organization_id
        ))
        .auth(&ministry)
        .json(json!({"datasets": ["arrivals", "visa_eligibility"]}))
        .await;
    assert_eq!(
        granted.assert_status(200)["datasets"],
        json!(["arrivals", "visa_eligibility"])
    );
    app.put(&format!(
        "/api/v1/organizations/{}/grants",
        authority.organization_id
    ))
    .auth(&ministry)
    .json(json!({"datasets": ["prices"]}))
    .await
    .assert_problem(422, "validation_failed");
    app.put(&format!(
        "/api/v1/organizations/{}/grants",
        tawafa.organization_id
    ))
    .auth(&ministry)
    .json(json!({"datasets": ["arrivals"]}))
    .await
    .assert_problem(409, "wrong_organization_kind");

    // Each sees its own settings; the unchanged tawafa list stayed as it was.
    let own = app
        .get(&format!("/api/v1/organizations/{}", tawafa.organization_id))
        .auth(&tawafa)
        .send()
        .await;
    assert_eq!(own.body["countries"], json!(["GH", "NG"]));
    let own = app
        .get(&format!(
            "/api/v1/organizations/{}",
            authority.organization_id
        ))
        .auth(&authority)
        .send()
        .await;
    assert_eq!(
        own.body["datasets"],
        json!(["arrivals", "visa_eligibility"])
    );
}

async fn search_folds_arabic_variants_and_pages(app: TestApp) {
    let ministry = app.ministry_admin().await;
    for (name, name_ar) in [
        ("Makkah Hotel", "فندق مكة"),
        ("Ahmad Transport", "نقل أحمد"),
        ("Mustafa Catering", "إعاشة مصطفى"),
        ("Other", "أخرى"),
    ] {
        app.create_org(
            &ministry,
            json!({"kind": "service_provider", "name": name, "name_ar": name_ar}),
        )
        .await;
    }
    let (app_ref, ministry_ref) = (&app, &ministry);
    let search = |q: &str| {
        let path = format!(
            "/api/v1/organizations?kind=service_provider&q={}",
            urlencode(q)
        );
        async move {
            app_ref.get(&path).auth(ministry_ref).send().await.body["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["name"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(search("مكه").await, ["Makkah Hotel"]);
    assert_eq!(search("احمد").await, ["Ahmad Transport"]);
    assert_eq!(search("إحْمَد").await, ["Ahmad Transport"]);
    assert_eq!(search("مصطفي").await, ["Mustafa Catering"]);
    assert_eq!(search("HOTEL").await, ["Makkah Hotel"]);
    assert!(search("%").await.is_empty(), "LIKE wildcards are literal");

    // Pages of two, following the cursor, give every provider once.
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/organizations?kind=service_provider&limit=2&cursor={c}"),
            None => "/api/v1/organizations?kind=service_provider&limit=2".to_owned(),
        };
        let page = app.get(&path).auth(&ministry).send().await;
        let items = page.body["items"].as_array().unwrap().clone();
        assert!(items.len() <= 2);
        seen.extend(items.iter().map(|o| o["name"].as_str().unwrap().to_owned()));
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "Ahmad Transport",
            "Makkah Hotel",
            "Mustafa Catering",
            "Other"
        ]
    );
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

crate::backend_tests!(
    the_ministry_opens_organisations_of_every_kind,
    organisations_are_validated,
    only_ministry_admins_open_and_edit_organisations,
    each_kind_sees_its_slice,
    suspension_needs_the_current_version,
    tawafa_countries_and_authority_grants,
    search_folds_arabic_variants_and_pages,
);
