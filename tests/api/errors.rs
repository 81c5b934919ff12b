//! Bad input of every shape: a clear problem document with a stable code, never a 5xx, and nothing
//! changed.

use serde_json::json;

use crate::helpers::{Auth, TestApp};

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
        "/".to_owned(),
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

async fn problems_speak_arabic_on_request(app: TestApp) {
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
    let english = app
        .get("/api/v1/me")
        .header("Accept-Language", "fr, en")
        .send()
        .await;
    assert_eq!(english.body["title"], "Authentication required");
}

crate::backend_tests!(
    malformed_bodies_are_4xx_problems,
    bad_queries_paths_and_methods,
    problems_speak_arabic_on_request,
);
