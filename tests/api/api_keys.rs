//! API keys: made by the organisation's admin, shown once, acting with their role, revocable.

use serde_json::json;

use crate::helpers::{Auth, PASSWORD, TestApp};

async fn keys_are_shown_once_act_with_their_role_and_revoke(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let admin = app.org_admin(&ministry, "tawafa", None, None).await;
    let keys = format!("/api/v1/organizations/{}/api-keys", admin.organization_id);
    let created = app
        .post(&keys)
        .auth(&admin)
        .json(json!({"name": "readiness sync", "role": "officer"}))
        .await;
    let created = created.assert_status(201).clone();
    let key = created["key"].as_str().unwrap().to_owned();
    assert!(key.starts_with("etk_"));
    assert!(key.starts_with(created["prefix"].as_str().unwrap()));

    // The key acts for its organisation, with its role.
    let me = app
        .get("/api/v1/me")
        .auth(Auth::ApiKey(key.clone()))
        .send()
        .await;
    let me = me.assert_status(200);
    assert_eq!(me["role"], "officer");
    assert_eq!(me["user"], serde_json::Value::Null);
    assert_eq!(me["organization"]["id"], admin.organization_id.as_str());
    // Keys never administer, never have a password, never log out.
    app.get(&keys)
        .auth(Auth::ApiKey(key.clone()))
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.post(&format!(
        "/api/v1/organizations/{}/users",
        admin.organization_id
    ))
    .auth(Auth::ApiKey(key.clone()))
    .json(json!({"email": "k@k.test", "full_name": "K", "role": "admin", "password": PASSWORD}))
    .await
    .assert_problem(403, "forbidden");
    app.post("/api/v1/me/password")
        .auth(Auth::ApiKey(key.clone()))
        .json(json!({"current_password": "x", "new_password": "long enough passphrase"}))
        .await
        .assert_problem(403, "forbidden");

    // Listing shows the key's prefix, never the key or its hash.
    let listed = app.get(&keys).auth(&admin).send().await;
    assert!(!listed.text.contains(&key));
    assert!(!listed.text.contains("hash"));
    assert_eq!(listed.body["items"][0]["name"], "readiness sync");

    // Admin keys are refused; so are keys made for another organisation.
    app.post(&keys)
        .auth(&admin)
        .json(json!({"name": "root", "role": "admin"}))
        .await
        .assert_problem(422, "validation_failed");
    app.post(&format!(
        "/api/v1/organizations/{}/api-keys",
        ministry.organization_id
    ))
    .auth(&admin)
    .json(json!({"name": "x", "role": "viewer"}))
    .await
    .assert_problem(403, "forbidden");

    let revoke = format!("/api/v1/api-keys/{}", created["id"].as_str().unwrap());
    app.delete(&revoke)
        .auth(&admin)
        .send()
        .await
        .assert_status(204);
    app.get("/api/v1/me")
        .auth(Auth::ApiKey(key.clone()))
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.delete(&revoke)
        .auth(&admin)
        .send()
        .await
        .assert_status(204);
    let listed = app.get(&keys).auth(&admin).send().await;
    assert!(listed.body["items"][0]["revoked_at"].is_string());
}

async fn keys_of_other_organisations_do_not_exist(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let owner = app.org_admin(&ministry, "authority", None, None).await;
    let stranger = app
        .org_admin(&ministry, "service_provider", None, None)
        .await;
    let officer = app
        .user_in(
            &owner,
            &owner.organization_id,
            "officer@authority.test",
            "officer",
        )
        .await;
    let keys = format!("/api/v1/organizations/{}/api-keys", owner.organization_id);
    let created = app
        .post(&keys)
        .auth(&owner)
        .json(json!({"name": "visa desk", "role": "viewer"}))
        .await;
    let key = created.body["key"].as_str().unwrap().to_owned();
    let revoke = format!("/api/v1/api-keys/{}", created.body["id"].as_str().unwrap());

    app.get(&keys)
        .auth(&stranger)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.post(&keys)
        .auth(&stranger)
        .json(json!({"name": "x", "role": "viewer"}))
        .await
        .assert_problem(404, "not_found");
    app.delete(&revoke)
        .auth(&stranger)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.delete(&format!("/api/v1/api-keys/{}", uuid::Uuid::now_v7()))
        .auth(&owner)
        .send()
        .await
        .assert_problem(404, "not_found");
    // A colleague without the admin role sees the key exists but may not revoke it.
    app.delete(&revoke)
        .auth(&officer)
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.get("/api/v1/me")
        .auth(Auth::ApiKey(key.clone()))
        .send()
        .await
        .assert_status(200);
    // The ministry admin can revoke any organisation's key (incident response).
    app.get(&keys)
        .auth(&ministry)
        .send()
        .await
        .assert_status(200);
    app.delete(&revoke)
        .auth(&ministry)
        .send()
        .await
        .assert_status(204);
    app.get("/api/v1/me")
        .auth(Auth::ApiKey(key))
        .send()
        .await
        .assert_problem(401, "unauthorized");
}

async fn a_suspended_organisations_keys_stop(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let owner = app
        .org_admin(&ministry, "service_provider", None, None)
        .await;
    let created = app
        .post(&format!(
            "/api/v1/organizations/{}/api-keys",
            owner.organization_id
        ))
        .auth(&owner)
        .json(json!({"name": "fleet system", "role": "officer"}))
        .await;
    let key = Auth::ApiKey(created.body["key"].as_str().unwrap().to_owned());
    app.get("/api/v1/me")
        .auth(key.clone())
        .send()
        .await
        .assert_status(200);
    let path = format!("/api/v1/organizations/{}", owner.organization_id);
    app.patch(&path)
        .auth(&ministry)
        .header("If-Match", "\"1\"")
        .json(json!({"status": "suspended"}))
        .await
        .assert_status(200);
    app.get("/api/v1/me")
        .auth(key)
        .send()
        .await
        .assert_problem(401, "unauthorized");
}

crate::backend_tests!(
    keys_are_shown_once_act_with_their_role_and_revoke,
    keys_of_other_organisations_do_not_exist,
    a_suspended_organisations_keys_stop,
);
