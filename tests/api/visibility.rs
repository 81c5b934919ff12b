//! Every endpoint, called by an organisation that may not see the target: 404, the same answer as
//! for an id that does not exist; and without credentials: 401.

use serde_json::json;

use crate::helpers::{Auth, PASSWORD, TestApp};

async fn another_organisations_things_do_not_exist(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let office = app
        .org_admin(&ministry, "hajj_office", Some("SN"), None)
        .await;
    let agency = app
        .org_admin(
            &ministry,
            "agency",
            Some("SN"),
            Some(&office.organization_id),
        )
        .await;
    let tawafa = app.org_admin(&ministry, "tawafa", None, None).await;
    let authority = app.org_admin(&ministry, "authority", None, None).await;
    let key = app
        .post(&format!(
            "/api/v1/organizations/{}/api-keys",
            agency.organization_id
        ))
        .auth(&agency)
        .json(json!({"name": "k", "role": "viewer"}))
        .await;
    let key_id = key.body["id"].as_str().unwrap().to_owned();
    let strangers = [
        app.org_admin(&ministry, "service_provider", None, None)
            .await,
        app.org_admin(&ministry, "hajj_office", Some("ML"), None)
            .await,
        app.org_admin(&ministry, "tawafa", None, None).await,
        app.org_admin(&ministry, "authority", None, None).await,
    ];

    let (org, user) = (agency.organization_id.clone(), agency.user_id.clone());
    let new_user =
        json!({"email": "n@n.test", "full_name": "N", "role": "viewer", "password": PASSWORD});
    type Call = (&'static str, String, Option<serde_json::Value>);
    let calls: Vec<Call> = vec![
        ("GET", format!("/api/v1/organizations/{org}"), None),
        (
            "PATCH",
            format!("/api/v1/organizations/{org}"),
            Some(json!({"name": "x"})),
        ),
        (
            "PUT",
            format!("/api/v1/organizations/{}/countries", tawafa.organization_id),
            Some(json!({"countries": ["SN"]})),
        ),
        (
            "PUT",
            format!("/api/v1/organizations/{}/grants", authority.organization_id),
            Some(json!({"datasets": ["arrivals"]})),
        ),
        ("GET", format!("/api/v1/organizations/{org}/users"), None),
        (
            "POST",
            format!("/api/v1/organizations/{org}/users"),
            Some(new_user),
        ),
        ("GET", format!("/api/v1/users/{user}"), None),
        (
            "PATCH",
            format!("/api/v1/users/{user}"),
            Some(json!({"full_name": "x"})),
        ),
        ("GET", format!("/api/v1/organizations/{org}/api-keys"), None),
        (
            "POST",
            format!("/api/v1/organizations/{org}/api-keys"),
            Some(json!({"name": "x", "role": "viewer"})),
        ),
        ("DELETE", format!("/api/v1/api-keys/{key_id}"), None),
    ];
    let send = |method: &'static str, path: String, body: Option<serde_json::Value>, auth: Auth| {
        let app = &app;
        async move {
            let request = match method {
                "GET" => app.get(&path),
                "POST" => app.post(&path),
                "PUT" => app.put(&path),
                "PATCH" => app.patch(&path),
                _ => app.delete(&path),
            }
            .auth(auth)
            .header("If-Match", "\"1\"");
            match body {
                Some(b) => request.json(b).await,
                None => request.send().await,
            }
        }
    };
    for stranger in &strangers {
        // Tawafa and authority settings are the stranger's business only if it is that organisation.
        for (method, path, body) in &calls {
            if path.contains(&stranger.organization_id) {
                continue;
            }
            let reply = send(method, path.clone(), body.clone(), Auth::from(stranger)).await;
            assert_eq!(
                reply.status, 404,
                "{} {method} {path}: {reply:?}",
                stranger.email
            );
            reply.assert_problem(404, "not_found");
        }
    }
    for (method, path, body) in &calls {
        send(method, path.clone(), body.clone(), Auth::None)
            .await
            .assert_problem(401, "unauthorized");
    }
    // Nothing the strangers tried changed anything.
    let agency_view = app
        .get(&format!("/api/v1/organizations/{org}"))
        .auth(&agency)
        .send()
        .await;
    assert_eq!(agency_view.body["version"], 1);
    let users = app
        .get(&format!("/api/v1/organizations/{org}/users"))
        .auth(&agency)
        .send()
        .await;
    assert_eq!(users.body["items"].as_array().unwrap().len(), 1);
    let keys = app
        .get(&format!("/api/v1/organizations/{org}/api-keys"))
        .auth(&agency)
        .send()
        .await;
    assert!(keys.body["items"][0].get("revoked_at").is_none());
}

crate::backend_tests!(another_organisations_things_do_not_exist);
