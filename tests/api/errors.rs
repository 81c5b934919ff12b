//! Bad input of every shape: a clear problem document with a stable code, never a 5xx, and nothing
//! changed.

use serde_json::json;

use crate::helpers::{Auth, PASSWORD, TestApp};

async fn malformed_bodies_are_4xx_problems(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let orgs = "/api/v1/organizations";
    let cases: Vec<(Option<&str>, Vec<u8>, u16, &str)> = vec![
        (
            Some("application/json"),
            b"{".to_vec(),
            400,
            "malformed_json",
        ),
        (
            Some("application/json"),
            b"".to_vec(),
            400,
            "malformed_json",
        ),
        (
            Some("application/json"),
            b"{\"kind\": \"tawafa\"} trailing".to_vec(),
            400,
            "malformed_json",
        ),
        (
            Some("application/json"),
            vec![0xff, 0xfe, 0x00],
            400,
            "malformed_json",
        ),
        (
            Some("application/json"),
            format!("{}{}", "[".repeat(5000), "]".repeat(5000)).into_bytes(),
            400,
            "malformed_json",
        ),
        (
            Some("application/json"),
            b"[1, 2]".to_vec(),
            422,
            "validation_failed",
        ),
        (
            Some("application/json"),
            b"null".to_vec(),
            422,
            "validation_failed",
        ),
        (
            Some("text/plain"),
            b"{}".to_vec(),
            415,
            "unsupported_media_type",
        ),
        (None, b"{}".to_vec(), 415, "unsupported_media_type"),
        (
            Some("application/json"),
            format!("{{\"name\": \"{}\"}}", "x".repeat(70 * 1024)).into_bytes(),
            413,
            "payload_too_large",
        ),
    ];
    for (content_type, body, status, code) in cases {
        let reply = app.post(orgs).auth(&ministry).raw(content_type, body).await;
        assert_eq!(reply.status, status, "{content_type:?} -> {reply:?}");
        reply.assert_problem(status, code);
    }
    let all = app.get(orgs).auth(&ministry).send().await;
    assert_eq!(
        all.body["items"].as_array().unwrap().len(),
        1,
        "nothing was created"
    );
}

async fn bad_queries_paths_and_methods(app: TestApp) {
    let ministry = app.ministry_admin().await;
    for query in [
        "limit=0",
        "limit=201",
        "limit=abc",
        "limit=-1",
        "cursor=%%%",
        "cursor=bm90LWFuLWlk",
        "kind=bank",
        "status=maybe",
        "country=XX",
        "parent_id=nope",
    ] {
        let reply = app
            .get(&format!("/api/v1/organizations?{query}"))
            .auth(&ministry)
            .send()
            .await;
        assert_eq!(reply.status, 400, "{query}: {reply:?}");
        reply.assert_problem(400, "invalid_query");
    }
    let long = "a".repeat(4000);
    let paths = [
        "/api/v1/nothing-here".to_owned(),
        "/api/v1/organizations/not-a-uuid".to_owned(),
        "/api/v1/organizations/%00".to_owned(),
        "/api/v1/users/..%2F..%2Fetc%2Fpasswd".to_owned(),
        format!("/api/v1/organizations/{long}"),
        "/api/v2/organizations".to_owned(),
    ];
    for path in paths {
        let reply = app.get(&path).auth(&ministry).send().await;
        assert_eq!(reply.status, 404, "{path}: {reply:?}");
        reply.assert_problem(404, "not_found");
    }
    // A method the path does not take is refused with a problem too, never a 5xx.
    let reply = app
        .delete("/api/v1/organizations")
        .auth(&ministry)
        .send()
        .await;
    assert!(reply.status >= 400 && reply.status < 500, "{reply:?}");
    reply.problem_code();
    // No credentials on a path that needs them: 401, even for nonsense ids.
    app.get("/api/v1/organizations/not-a-uuid")
        .auth(Auth::None)
        .send()
        .await
        .assert_problem(401, "unauthorized");
}

async fn problems_speak_the_readers_language(app: TestApp) {
    let reply = app
        .get("/api/v1/me")
        .header("Accept-Language", "ar-SA, en;q=0.5")
        .send()
        .await;
    reply.assert_problem(401, "unauthorized");
    assert_eq!(reply.body["title"], "المصادقة مطلوبة");
    assert_eq!(reply.header("content-language").as_deref(), Some("ar"));
    let ministry = app.ministry_admin().await;
    let reply = app
        .post("/api/v1/organizations")
        .auth(&ministry)
        .header("Accept-Language", "ar")
        .json(json!({"kind": "tawafa", "name": "", "name_ar": "ط"}))
        .await;
    reply.assert_problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "name");
    assert_eq!(reply.body["errors"][0]["code"], "too_short");
    assert!(
        reply.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("حرف")
    );
    // French and Persian readers get their own words too; a language the portal does not speak,
    // English.
    let french = app
        .get("/api/v1/me")
        .header("Accept-Language", "fr, en")
        .send()
        .await;
    assert_eq!(french.body["title"], "Authentification requise");
    assert_eq!(french.header("content-language").as_deref(), Some("fr"));
    let persian = app
        .post("/api/v1/organizations")
        .auth(&ministry)
        .header("Accept-Language", "fa-IR")
        .json(json!({"kind": "tawafa", "name": "", "name_ar": "ط"}))
        .await;
    persian.assert_problem(422, "validation_failed");
    assert_eq!(persian.body["title"], "مقادیر نامعتبر");
    assert_eq!(persian.header("content-language").as_deref(), Some("fa"));
    assert!(
        persian.body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("نویسه")
    );
    let english = app
        .get("/api/v1/me")
        .header("Accept-Language", "de, it")
        .send()
        .await;
    assert_eq!(english.body["title"], "Authentication required");
}

/// An integrator fixes a request from the answer alone: the parameter or field refused, what it
/// takes, every missing field at once.
async fn answers_say_what_to_send(app: TestApp) {
    let w = crate::world::World::new(&app).await;
    let query = |path: String| {
        let app = &app;
        let office = &w.office;
        async move {
            let reply = app.get(&path).auth(office).send().await;
            reply.assert_problem(400, "invalid_query");
            let e = &reply.body["errors"][0];
            (
                e["field"].as_str().unwrap_or_default().to_owned(),
                e["code"].as_str().unwrap_or_default().to_owned(),
                e["expected"].as_str().unwrap_or_default().to_owned(),
            )
        }
    };
    let (field, code, expected) = query("/api/v1/contracts?status=APPROVED".into()).await;
    assert_eq!((field.as_str(), code.as_str()), ("status", "invalid_value"));
    assert!(
        expected.contains("approved") && expected.contains("pending_review"),
        "{expected}"
    );
    // A misspelt filter is refused, not ignored (which would list everything).
    let (field, code, expected) = query("/api/v1/contracts?stauts=approved".into()).await;
    assert_eq!(
        (field.as_str(), code.as_str()),
        ("stauts", "unknown_parameter")
    );
    assert!(expected.contains("status"), "{expected}");
    let (field, code, expected) = query(format!(
        "/api/v1/facilities/{}/usage?from=10-05-2027",
        w.building
    ))
    .await;
    assert_eq!(
        (field.as_str(), code.as_str(), expected.as_str()),
        ("from", "invalid_date", "YYYY-MM-DD")
    );
    // Also where a path takes no filter at all (only `format`), and whatever the path's id.
    let (field, code, expected) =
        query(format!("/api/v1/seasons/{}/quotas?country=ID", w.season)).await;
    assert_eq!(
        (field.as_str(), code.as_str(), expected.as_str()),
        ("country", "unknown_parameter", "format")
    );
    let (field, code, _) = query("/api/v1/contracts?limit=ten".into()).await;
    assert_eq!((field.as_str(), code.as_str()), ("limit", "invalid_number"));

    // Bodies: a date or an amount in another format says which format it takes.
    let mut body = w.housing(5, "10/05/2027", "2027-05-12");
    let reply = app
        .post("/api/v1/contracts")
        .auth(&w.office)
        .json(body.clone())
        .await;
    reply.assert_problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "starts_on");
    assert_eq!(reply.body["errors"][0]["code"], "invalid_date");
    assert_eq!(reply.body["errors"][0]["expected"], "YYYY-MM-DD");
    body["starts_on"] = json!("2027-05-10");
    body["unit_price"] = json!("150,00");
    let reply = app
        .post("/api/v1/contracts")
        .auth(&w.office)
        .json(body)
        .await;
    reply.assert_problem(422, "validation_failed");
    assert_eq!(reply.body["errors"][0]["field"], "unit_price");
    assert!(
        reply.body["errors"][0]["expected"]
            .as_str()
            .unwrap()
            .contains("decimal")
    );
    // Every missing field at once.
    let reply = app
        .post("/api/v1/contracts")
        .auth(&w.office)
        .json(json!({"type": "housing", "beds": 5}))
        .await;
    reply.assert_problem(422, "validation_failed");
    let mut missing: Vec<&str> = reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            assert_eq!(e["code"], "required");
            e["field"].as_str().unwrap()
        })
        .collect();
    missing.sort();
    assert_eq!(
        missing,
        [
            "currency",
            "ends_on",
            "facility_id",
            "season_id",
            "starts_on",
            "unit_price"
        ]
    );
    let group = app
        .post(&format!("/api/v1/seasons/{}/groups", w.season))
        .auth(&w.office)
        .json(json!({"name": "g"}))
        .await;
    let fields: Vec<&str> = group.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["pilgrims", "arrival", "departure", "stays"],
        "{group:?}"
    );
}

/// Problems come in the signed-in user's saved language unless the request asks for another.
async fn problems_speak_the_users_language(app: TestApp) {
    let w = crate::world::World::new(&app).await;
    app.patch(&format!("/api/v1/users/{}", w.agency.user_id))
        .auth(&w.agency)
        .header("If-Match", "*")
        .json(json!({"language": "ar"}))
        .await
        .assert_status(200);
    // The saved language travels in the next access token.
    let arabic = app.login(&w.agency.email, PASSWORD).await;
    let missing = format!("/api/v1/contracts/{}", uuid::Uuid::now_v7());
    let reply = app.get(&missing).auth(&arabic).send().await;
    reply.assert_problem(404, "not_found");
    assert_eq!(reply.header("content-language").as_deref(), Some("ar"));
    assert_ne!(reply.body["title"], "Not found");
    // Asking for English still gets English; other users are unaffected.
    let reply = app
        .get(&missing)
        .auth(&arabic)
        .header("Accept-Language", "en")
        .send()
        .await;
    assert_eq!(reply.header("content-language").as_deref(), Some("en"));
    let reply = app.get(&missing).auth(&w.office).send().await;
    assert_eq!(reply.header("content-language").as_deref(), Some("en"));
}

/// Creations say where the new record lives; `HEAD` works wherever `GET` does; the portal's root
/// and `/docs` lead to the documentation.
async fn locations_head_and_the_front_door(app: TestApp) {
    let w = crate::world::World::new(&app).await;
    let created = app
        .post("/api/v1/contracts")
        .auth(&w.office)
        .json(w.housing(5, "2027-05-10", "2027-05-12"))
        .await;
    created.assert_status(201);
    let location = created.header("location").expect("a Location");
    let id = created.body["id"].as_str().unwrap();
    assert_eq!(location, format!("/api/v1/contracts/{id}"));
    // Names come in both languages where they exist (organisations always have an Arabic one).
    assert!(created.body["client_name_ar"].is_string());
    assert!(created.body["provider_name_ar"].is_string());
    assert_eq!(
        app.get(&location).auth(&w.office).send().await.body["id"],
        id
    );
    // Amendments and inspections have their own page now, to whoever sees the contract.
    let approved = w
        .approved(&app, &w.office, w.housing(5, "2027-05-20", "2027-05-21"))
        .await;
    let amendment = app
        .post(&format!("/api/v1/contracts/{approved}/amendments"))
        .auth(&w.office)
        .json(json!({"reason": "two more", "beds": 7}))
        .await;
    amendment.assert_status(201);
    let at = amendment.header("location").unwrap();
    assert_eq!(
        app.get(&at).auth(&w.provider).send().await.body["id"],
        amendment.body["id"]
    );
    app.get(&at)
        .auth(&w.other_office)
        .send()
        .await
        .assert_problem(404, "not_found");
    let inspection = app
        .post("/api/v1/inspections")
        .auth(&w.tawafa)
        .json(json!({"contract_id": approved, "inspected_on": "2026-11-20", "result": "pass"}))
        .await;
    inspection.assert_status(201);
    let at = inspection.header("location").unwrap();
    assert_eq!(
        app.get(&at).auth(&w.office).send().await.body["result"],
        "pass"
    );
    app.get(&at)
        .auth(&w.other_tawafa)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.get(&at)
        .auth(&w.other_office)
        .send()
        .await
        .assert_problem(404, "not_found");

    // HEAD: the headers of the GET, no body.
    for (path, auth) in [
        ("/health/live", false),
        ("/health/ready", false),
        ("/openapi.json", false),
        ("/docs/", false),
        ("/api/v1/contracts", true),
    ] {
        let mut request = app.request(awc::http::Method::HEAD, path);
        if auth {
            request = request.auth(&w.office);
        }
        let reply = request.send().await;
        assert_eq!(reply.status, 200, "HEAD {path}: {reply:?}");
        assert!(reply.text.is_empty(), "HEAD {path} has no body");
    }
    // The front door (seen without following redirects).
    let browser = awc::Client::builder().disable_redirects().finish();
    // `/` is the console: a visitor without a session is sent to sign in.
    for (path, status, to) in [("/", 303, "/sign-in"), ("/docs", 308, "/docs/")] {
        let reply = browser
            .get(format!("{}{path}", app.base))
            .send()
            .await
            .unwrap();
        assert_eq!(reply.status().as_u16(), status, "{path}");
        assert_eq!(
            reply
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok()),
            Some(to)
        );
    }
}

crate::backend_tests!(
    answers_say_what_to_send,
    problems_speak_the_users_language,
    locations_head_and_the_front_door,
    malformed_bodies_are_4xx_problems,
    bad_queries_paths_and_methods,
    problems_speak_the_readers_language,
);
