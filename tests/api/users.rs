//! Users: an organisation's admin manages its own; nobody else's exist for it.

use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};

async fn an_admin_manages_its_own_users(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let admin = app
        .org_admin(
            &ministry,
            "agency",
            Some("ID"),
            Some(
                &app.org_admin(&ministry, "hajj_office", Some("ID"), None)
                    .await
                    .organization_id,
            ),
        )
        .await;
    let users_path = format!("/api/v1/organizations/{}/users", admin.organization_id);
    let created = app
        .post(&users_path)
        .auth(&admin)
        .json(json!({"email": "Clerk@Agency.test", "full_name": "  Siti Clerk ", "role": "viewer", "password": PASSWORD, "language": "ar"}))
        .await;
    let created = created.assert_status(201).clone();
    assert_eq!(created["email"], "clerk@agency.test");
    assert_eq!(created["full_name"], "Siti Clerk");
    assert_eq!(created["language"], "ar");
    assert!(created.get("password_hash").is_none() && created.get("password").is_none());
    let listed = app.get(&users_path).auth(&admin).send().await;
    assert_eq!(
        listed.assert_status(200)["items"].as_array().unwrap().len(),
        2
    );

    // The same mailbox in another case is the same account.
    app.post(&users_path)
        .auth(&admin)
        .json(json!({"email": "CLERK@agency.test", "full_name": "Twin", "role": "viewer", "password": PASSWORD}))
        .await
        .assert_problem(409, "email_taken");

    let user_path = format!("/api/v1/users/{}", created["id"].as_str().unwrap());
    let promoted = app
        .patch(&user_path)
        .auth(&admin)
        .header("If-Match", "\"1\"")
        .json(json!({"role": "officer", "full_name": "Siti Officer"}))
        .await;
    assert_eq!(promoted.assert_status(200)["role"], "officer");
    assert_eq!(promoted.body["version"], 2);
    let clerk = app.login("clerk@agency.test", PASSWORD).await;
    app.patch(&user_path)
        .auth(&admin)
        .header("If-Match", promoted.etag())
        .json(json!({"active": false}))
        .await
        .assert_status(200);
    app.get("/api/v1/me")
        .auth(&clerk)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.try_login("clerk@agency.test", PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");

    // An admin resets a password: old sessions end, the new password works.
    let reactivated = app
        .patch(&user_path)
        .auth(&admin)
        .header("If-Match", "\"3\"")
        .json(json!({"active": true}))
        .await;
    reactivated.assert_status(200);
    let clerk = app.login("clerk@agency.test", PASSWORD).await;
    app.patch(&user_path)
        .auth(&admin)
        .header("If-Match", reactivated.etag())
        .json(json!({"password": "reset by the admin today"}))
        .await
        .assert_status(200);
    app.get("/api/v1/me")
        .auth(&clerk)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.login("clerk@agency.test", "reset by the admin today")
        .await;
}

async fn new_users_are_validated(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let admin = app
        .org_admin(&ministry, "service_provider", None, None)
        .await;
    let path = format!("/api/v1/organizations/{}/users", admin.organization_id);
    let user = |email: &str, password: &str, role: &str| json!({"email": email, "full_name": "X", "role": role, "password": password});
    let cases = [
        (
            user("not-an-email", PASSWORD, "viewer"),
            "email",
            "invalid_email",
        ),
        (user("a@b.test", "short", "viewer"), "password", "too_short"),
        (
            user("a@b.test", &"p".repeat(129), "viewer"),
            "password",
            "too_long",
        ),
        (
            user("a@b.test", "qwertyuiop", "viewer"),
            "password",
            "common_password",
        ),
        (user("a@b.test", PASSWORD, "owner"), "role", "invalid_value"),
    ];
    for (body, field, code) in cases {
        let reply = app.post(&path).auth(&admin).json(body.clone()).await;
        reply.assert_problem(422, "validation_failed");
        assert_eq!(reply.body["errors"][0]["field"], field, "{body}");
        assert_eq!(reply.body["errors"][0]["code"], code, "{body}");
    }
    // Long passphrases of any letters are fine: no composition rules.
    app.post(&path)
        .auth(&admin)
        .json(user("a@b.test", "كلمة مرور عربية طويلة", "viewer"))
        .await
        .assert_status(201);
    let listed = app.get(&path).auth(&admin).send().await;
    assert_eq!(
        listed.body["items"].as_array().unwrap().len(),
        2,
        "refused users were not written"
    );
}

async fn other_organisations_users_do_not_exist(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let office = app
        .org_admin(&ministry, "hajj_office", Some("BD"), None)
        .await;
    let agency = app
        .org_admin(
            &ministry,
            "agency",
            Some("BD"),
            Some(&office.organization_id),
        )
        .await;
    let stranger = app
        .org_admin(&ministry, "service_provider", None, None)
        .await;
    let agency_user = format!("/api/v1/users/{}", agency.user_id);
    let agency_users = format!("/api/v1/organizations/{}/users", agency.organization_id);
    let body =
        json!({"email": "x@y.test", "full_name": "X", "role": "admin", "password": PASSWORD});

    // A stranger cannot see the agency at all: everything is a 404.
    app.get(&agency_user)
        .auth(&stranger)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.patch(&agency_user)
        .auth(&stranger)
        .header("If-Match", "\"1\"")
        .json(json!({"full_name": "x"}))
        .await
        .assert_problem(404, "not_found");
    app.get(&agency_users)
        .auth(&stranger)
        .send()
        .await
        .assert_problem(404, "not_found");
    app.post(&agency_users)
        .auth(&stranger)
        .json(body.clone())
        .await
        .assert_problem(404, "not_found");
    // The office sees the agency but not its people: the organisation answers 403, a user 404.
    app.get(&agency_users)
        .auth(&office)
        .send()
        .await
        .assert_problem(403, "forbidden");
    app.post(&agency_users)
        .auth(&office)
        .json(body.clone())
        .await
        .assert_problem(403, "forbidden");
    app.get(&agency_user)
        .auth(&office)
        .send()
        .await
        .assert_problem(404, "not_found");
    // The ministry admin manages every organisation's users.
    app.get(&agency_users)
        .auth(&ministry)
        .send()
        .await
        .assert_status(200);
    app.get(&agency_user)
        .auth(&ministry)
        .send()
        .await
        .assert_status(200);
    // A user id that does not exist at all answers the same as a hidden one.
    let missing = app
        .get(&format!("/api/v1/users/{}", uuid::Uuid::now_v7()))
        .auth(&stranger)
        .send()
        .await;
    let hidden = app.get(&agency_user).auth(&stranger).send().await;
    assert_eq!(missing.text, hidden.text);
}

async fn roles_inside_an_organisation(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let admin = app.org_admin(&ministry, "tawafa", None, None).await;
    let officer = app
        .user_in(
            &admin,
            &admin.organization_id,
            "officer@tawafa.test",
            "officer",
        )
        .await;
    let viewer = app
        .user_in(
            &admin,
            &admin.organization_id,
            "viewer@tawafa.test",
            "viewer",
        )
        .await;
    let users = format!("/api/v1/organizations/{}/users", admin.organization_id);
    for caller in [&officer, &viewer] {
        app.get(&users)
            .auth(caller)
            .send()
            .await
            .assert_problem(403, "forbidden");
        app.post(&users)
            .auth(caller)
            .json(json!({"email": "n@t.test", "full_name": "N", "role": "admin", "password": PASSWORD}))
            .await
            .assert_problem(403, "forbidden");
        app.get(&format!("/api/v1/users/{}", admin.user_id))
            .auth(caller)
            .send()
            .await
            .assert_problem(403, "forbidden");
    }
    // Everyone reads itself and may change its own name and language, nothing more.
    let own = format!("/api/v1/users/{}", viewer.user_id);
    let me = app.get(&own).auth(&viewer).send().await;
    let renamed = app
        .patch(&own)
        .auth(&viewer)
        .header("If-Match", me.etag())
        .json(json!({"full_name": "Viewer Renamed", "language": "ar"}))
        .await;
    assert_eq!(renamed.assert_status(200)["language"], "ar");
    app.patch(&own)
        .auth(&viewer)
        .header("If-Match", renamed.etag())
        .json(json!({"role": "admin"}))
        .await
        .assert_problem(403, "forbidden");
    // An admin cannot lock itself out.
    let self_path = format!("/api/v1/users/{}", admin.user_id);
    let me = app.get(&self_path).auth(&admin).send().await;
    app.patch(&self_path)
        .auth(&admin)
        .header("If-Match", me.etag())
        .json(json!({"active": false}))
        .await
        .assert_problem(409, "self_lockout");
    app.patch(&self_path)
        .auth(&admin)
        .header("If-Match", me.etag())
        .json(json!({"role": "viewer"}))
        .await
        .assert_problem(409, "self_lockout");
    // Edits need the current version.
    app.patch(&own)
        .auth(&admin)
        .json(json!({"full_name": "x"}))
        .await
        .assert_problem(428, "precondition_required");
    app.patch(&own)
        .auth(&admin)
        .header("If-Match", "\"1\"")
        .json(json!({"full_name": "x"}))
        .await
        .assert_problem(412, "precondition_failed");
    app.patch(&own)
        .auth(&admin)
        .header("If-Match", "garbage")
        .json(json!({"full_name": "x"}))
        .await
        .assert_problem(400, "invalid_header");
    let unchanged = app.get(&own).auth(&admin).send().await;
    assert_eq!(unchanged.body["full_name"], "Viewer Renamed");
    // `*` matches whatever version is current.
    let star = app
        .patch(&own)
        .auth(&admin)
        .header("If-Match", "*")
        .json(json!({"full_name": "Viewer Starred"}))
        .await;
    star.assert_status(200);
    assert_eq!(star.body["full_name"], "Viewer Starred");
    assert_eq!(
        star.body["version"],
        unchanged.body["version"].as_i64().unwrap() + 1
    );
}

crate::backend_tests!(
    an_admin_manages_its_own_users,
    new_users_are_validated,
    other_organisations_users_do_not_exist,
    roles_inside_an_organisation,
);
