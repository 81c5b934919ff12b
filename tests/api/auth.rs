//! Logging in, refresh rotation and reuse, logging out, and every kind of bad credential.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, Auth, JWT_SECRET, PASSWORD, TestApp};

async fn login_gives_a_working_token_pair(app: TestApp) {
    let reply = app.try_login(ADMIN_EMAIL, PASSWORD).await;
    let body = reply.assert_status(200);
    assert_eq!(body["token_type"], "Bearer");
    assert!(body["expires_in"].as_u64().unwrap() > 0);
    assert!(body["refresh_token"].as_str().unwrap().starts_with("etr_"));
    let me = app
        .get("/api/v1/me")
        .auth(Auth::Bearer(body["access_token"].as_str().unwrap().into()))
        .send()
        .await;
    let me = me.assert_status(200);
    assert_eq!(me["user"]["email"], ADMIN_EMAIL);
    assert_eq!(me["role"], "admin");
    assert_eq!(me["organization"]["kind"], "ministry");
    // Email addresses are matched whatever their case.
    app.try_login(&ADMIN_EMAIL.to_uppercase(), PASSWORD)
        .await
        .assert_status(200);
}

async fn login_never_tells_whether_the_email_exists(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let agency_office = app
        .org_admin(&ministry, "hajj_office", Some("MY"), None)
        .await;
    // A deactivated account answers like a wrong password, even with the right one.
    let me = app
        .get(&format!("/api/v1/users/{}", agency_office.user_id))
        .auth(&ministry)
        .send()
        .await;
    app.patch(&format!("/api/v1/users/{}", agency_office.user_id))
        .auth(&ministry)
        .header("If-Match", me.etag())
        .json(json!({"active": false}))
        .await
        .assert_status(200);

    let unknown = app.try_login("nobody@nowhere.test", PASSWORD).await;
    let wrong = app.try_login(ADMIN_EMAIL, "not the password at all").await;
    let inactive = app.try_login(&agency_office.email, PASSWORD).await;
    for reply in [&unknown, &wrong, &inactive] {
        reply.assert_problem(401, "invalid_credentials");
    }
    assert_eq!(unknown.text, wrong.text);
    assert_eq!(unknown.text, inactive.text);
}

async fn refresh_rotates_the_pair(app: TestApp) {
    let session = app.ministry_admin().await;
    let first = app
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": session.refresh_token}))
        .await;
    let first = first.assert_status(200).clone();
    assert_ne!(first["refresh_token"], session.refresh_token.as_str());
    let access = Auth::Bearer(first["access_token"].as_str().unwrap().into());
    app.get("/api/v1/me")
        .auth(access)
        .send()
        .await
        .assert_status(200);
    // The new refresh token works once too.
    app.post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": first["refresh_token"]}))
        .await
        .assert_status(200);
}

async fn reusing_a_refresh_token_revokes_the_session(app: TestApp) {
    let session = app.ministry_admin().await;
    let rotated = app
        .post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": session.refresh_token}))
        .await;
    let rotated = rotated.assert_status(200).clone();
    // The old token again: refused, and the whole session is gone.
    app.post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": session.refresh_token}))
        .await
        .assert_problem(401, "unauthorized");
    app.post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": rotated["refresh_token"]}))
        .await
        .assert_problem(401, "unauthorized");
    let access = Auth::Bearer(rotated["access_token"].as_str().unwrap().into());
    app.get("/api/v1/me")
        .auth(access)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.get("/api/v1/me")
        .auth(&session)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    // Other sessions of the same user are untouched.
    let other = app.ministry_admin().await;
    app.get("/api/v1/me")
        .auth(&other)
        .send()
        .await
        .assert_status(200);
}

async fn logout_ends_the_session(app: TestApp) {
    let session = app.ministry_admin().await;
    let other = app.ministry_admin().await;
    app.post("/api/v1/auth/logout")
        .auth(&session)
        .send()
        .await
        .assert_status(204);
    app.get("/api/v1/me")
        .auth(&session)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": session.refresh_token}))
        .await
        .assert_problem(401, "unauthorized");
    app.get("/api/v1/me")
        .auth(&other)
        .send()
        .await
        .assert_status(200);
}

fn sign(claims: serde_json::Value, secret: &str) -> String {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
    .unwrap()
}

fn claims_of(token: &str) -> serde_json::Value {
    let payload = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(payload).unwrap()).unwrap()
}

async fn every_bad_credential_is_401(app: TestApp) {
    let session = app.ministry_admin().await;
    let good = claims_of(&session.access_token);
    let now = chrono::Utc::now().timestamp();
    let with = |key: &str, value: serde_json::Value| {
        let mut c = good.clone();
        c[key] = value;
        c
    };
    let parts: Vec<&str> = session.access_token.split('.').collect();
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        parts[1]
    );
    let mut tampered_payload = good.clone();
    tampered_payload["sub"] = json!(uuid::Uuid::now_v7().to_string());
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(tampered_payload.to_string()),
        parts[2]
    );

    let cases: Vec<(&str, Auth)> = vec![
        ("no credentials", Auth::None),
        ("garbage", Auth::Bearer("not-a-token".into())),
        ("empty bearer", Auth::Raw("Authorization", "Bearer ".into())),
        (
            "other scheme",
            Auth::Raw("Authorization", format!("Basic {}", session.access_token)),
        ),
        ("alg none", Auth::Bearer(alg_none)),
        ("tampered", Auth::Bearer(tampered)),
        (
            "wrong key",
            Auth::Bearer(sign(
                good.clone(),
                "a different secret of sufficient length!!",
            )),
        ),
        (
            "expired",
            Auth::Bearer(sign(with("exp", json!(now - 120)), JWT_SECRET)),
        ),
        (
            "wrong issuer",
            Auth::Bearer(sign(with("iss", json!("someone-else")), JWT_SECRET)),
        ),
        (
            "wrong audience",
            Auth::Bearer(sign(with("aud", json!("other-api")), JWT_SECRET)),
        ),
        (
            "not an access token",
            Auth::Bearer(sign(with("typ", json!("refresh")), JWT_SECRET)),
        ),
        (
            "unknown session",
            Auth::Bearer(sign(
                with("sid", json!(uuid::Uuid::now_v7().to_string())),
                JWT_SECRET,
            )),
        ),
        (
            "refresh token as bearer",
            Auth::Bearer(session.refresh_token.clone()),
        ),
        (
            "unknown api key",
            Auth::ApiKey("etk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA".into()),
        ),
        ("malformed api key", Auth::ApiKey("hello".into())),
    ];
    for (name, auth) in cases {
        let reply = app.get("/api/v1/me").auth(auth).send().await;
        assert_eq!(reply.status, 401, "{name}: {reply:?}");
        reply.assert_problem(401, "unauthorized");
        assert_eq!(
            reply.header("www-authenticate").as_deref(),
            Some("Bearer"),
            "{name}"
        );
    }
    // The untouched token still works: the cases above failed for their own reasons.
    app.get("/api/v1/me")
        .auth(&session)
        .send()
        .await
        .assert_status(200);
}

async fn tokens_die_with_their_user_or_organisation(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let admin = app
        .org_admin(&ministry, "service_provider", None, None)
        .await;
    let officer = app
        .user_in(
            &admin,
            &admin.organization_id,
            "officer@provider.test",
            "officer",
        )
        .await;
    app.get("/api/v1/me")
        .auth(&officer)
        .send()
        .await
        .assert_status(200);

    // Deactivating the user kills its live token at once.
    let user = app
        .get(&format!("/api/v1/users/{}", officer.user_id))
        .auth(&admin)
        .send()
        .await;
    app.patch(&format!("/api/v1/users/{}", officer.user_id))
        .auth(&admin)
        .header("If-Match", user.etag())
        .json(json!({"active": false}))
        .await
        .assert_status(200);
    app.get("/api/v1/me")
        .auth(&officer)
        .send()
        .await
        .assert_problem(401, "unauthorized");

    // Suspending the organisation kills its admin's token; reactivating lets it log in again.
    let org_path = format!("/api/v1/organizations/{}", admin.organization_id);
    let org = app.get(&org_path).auth(&ministry).send().await;
    let suspended = app
        .patch(&org_path)
        .auth(&ministry)
        .header("If-Match", org.etag())
        .json(json!({"status": "suspended"}))
        .await;
    assert_eq!(suspended.assert_status(200)["status"], "suspended");
    app.get("/api/v1/me")
        .auth(&admin)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.try_login(&admin.email, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    app.post("/api/v1/auth/refresh")
        .json(json!({"refresh_token": admin.refresh_token}))
        .await
        .assert_problem(401, "unauthorized");
    app.patch(&org_path)
        .auth(&ministry)
        .header("If-Match", suspended.etag())
        .json(json!({"status": "active"}))
        .await
        .assert_status(200);
    app.login(&admin.email, PASSWORD).await;
}

async fn changing_the_password(app: TestApp) {
    let ministry = app.ministry_admin().await;
    let admin = app.org_admin(&ministry, "tawafa", None, None).await;
    let elsewhere = app.login(&admin.email, PASSWORD).await;

    let change =
        |current: &str, new: &str| json!({"current_password": current, "new_password": new});
    let wrong = app
        .post("/api/v1/me/password")
        .auth(&admin)
        .json(change("wrong password!", "a brand new passphrase"))
        .await;
    wrong.assert_problem(422, "validation_failed");
    assert_eq!(wrong.body["errors"][0]["field"], "current_password");
    assert_eq!(wrong.body["errors"][0]["code"], "wrong_password");
    let common = app
        .post("/api/v1/me/password")
        .auth(&admin)
        .json(change(PASSWORD, "password123"))
        .await;
    common.assert_problem(422, "validation_failed");
    assert_eq!(common.body["errors"][0]["code"], "common_password");
    let short = app
        .post("/api/v1/me/password")
        .auth(&admin)
        .json(change(PASSWORD, "short"))
        .await;
    assert_eq!(short.body["errors"][0]["code"], "too_short");

    app.post("/api/v1/me/password")
        .auth(&admin)
        .json(change(PASSWORD, "a brand new passphrase"))
        .await
        .assert_status(204);
    // This session goes on; the other one ends; only the new password logs in.
    app.get("/api/v1/me")
        .auth(&admin)
        .send()
        .await
        .assert_status(200);
    app.get("/api/v1/me")
        .auth(&elsewhere)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.try_login(&admin.email, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    app.login(&admin.email, "a brand new passphrase").await;
}

crate::backend_tests!(
    login_gives_a_working_token_pair,
    login_never_tells_whether_the_email_exists,
    refresh_rotates_the_pair,
    reusing_a_refresh_token_revokes_the_session,
    logout_ends_the_session,
    every_bad_credential_is_401,
    tokens_die_with_their_user_or_organisation,
    changing_the_password,
);
