//! Accounts without an administrator's password: invitations and password resets by email, through
//! single-use, expiring links; a page to use them in a browser.

use diesel::connection::SimpleConnection;
use serde_json::json;

use crate::helpers::{PASSWORD, TestApp};
use crate::world::World;

/// The password links emailed to `email` so far, newest last (read from the outbox).
fn links_to(app: &TestApp, email: &str) -> Vec<String> {
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    let mut rows = etrack::storage::notifications::outbox_rows(&mut conn).unwrap();
    rows.sort_by(|a, b| a.created_at.cmp(&b.created_at).then(a.id.cmp(&b.id)));
    rows.into_iter()
        .filter(|r| r.recipient_email == email)
        .filter_map(|r| {
            let at = r.body_text.find("token=")?;
            let token: String = r.body_text[at + 6..]
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                .collect();
            Some(token)
        })
        .collect()
}

async fn invited_users_set_their_own_password(app: TestApp) {
    let w = World::new(&app).await;
    let invited = app
        .post(&format!(
            "/api/v1/organizations/{}/users",
            w.office.organization_id
        ))
        .auth(&w.office)
        .json(json!({"email": "new.officer@office.test", "full_name": "موظف جديد", "role": "officer", "language": "ar"}))
        .await;
    invited.assert_status(201);
    assert_eq!(invited.body["password_set"], false);
    // Nobody can sign in to it yet, whatever they try.
    app.try_login("new.officer@office.test", "")
        .await
        .assert_problem(401, "invalid_credentials");
    app.try_login("new.officer@office.test", PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    let links = links_to(&app, "new.officer@office.test");
    assert_eq!(links.len(), 1, "one invitation email");
    let token = links[0].clone();
    assert!(token.starts_with("etp_") && token.len() > 40, "{token}");
    {
        let mut conn = etrack::storage::establish(app.database()).unwrap();
        let mail = etrack::storage::notifications::outbox_rows(&mut conn)
            .unwrap()
            .into_iter()
            .find(|r| r.recipient_email == "new.officer@office.test")
            .unwrap();
        assert_eq!(mail.language, "ar", "in the invitee's language");
        // The office named as an Arabic reader knows it.
        assert!(mail.body_text.contains("منظمة"), "{}", mail.body_text);
        assert!(mail.body_html.contains("dir=\"rtl\""));
        assert!(mail.notification_id.is_none(), "in no organisation's inbox");
    }
    // The browser page for the link: a form in the reader's language.
    let page = app
        .get(&format!("/password?token={token}"))
        .header("Accept-Language", "ar")
        .send()
        .await;
    assert_eq!(page.status, 200);
    assert!(page.text.contains("dir=\"rtl\"") && page.text.contains("name=\"new_password\""));
    assert!(
        page.header("content-security-policy")
            .unwrap()
            .contains("form-action 'self'")
    );
    // A refused password changes nothing and keeps the link.
    app.post("/api/v1/auth/set-password")
        .json(json!({"token": token, "new_password": "short"}))
        .await
        .assert_problem(422, "validation_failed");
    app.post("/api/v1/auth/set-password")
        .json(json!({"token": token, "new_password": "camels cross the dunes at dawn"}))
        .await
        .assert_status(204);
    app.login("new.officer@office.test", "camels cross the dunes at dawn")
        .await;
    // The link worked once.
    let again = app
        .post("/api/v1/auth/set-password")
        .json(json!({"token": token, "new_password": "another passphrase entirely"}))
        .await;
    again.assert_problem(422, "validation_failed");
    assert_eq!(again.body["errors"][0]["field"], "token");
    assert_eq!(again.body["errors"][0]["code"], "invalid_token");
    let user = app
        .get(&format!(
            "/api/v1/users/{}",
            invited.body["id"].as_str().unwrap()
        ))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(user.body["password_set"], true);
    // A used link's page says so.
    let dead = app.get(&format!("/password?token={token}")).send().await;
    assert!(dead.text.contains("does not work") && !dead.text.contains("<form"));
}

async fn forgotten_passwords_are_reset_by_email(app: TestApp) {
    let w = World::new(&app).await;
    let before = app.login(&w.agency.email, PASSWORD).await;
    // The same answer for an account and for no account; only the account gets an email.
    for email in [w.agency.email.as_str(), "nobody@nowhere.test"] {
        app.post("/api/v1/auth/forgot-password")
            .json(json!({"email": email}))
            .await
            .assert_status(202);
    }
    assert!(links_to(&app, "nobody@nowhere.test").is_empty());
    let links = links_to(&app, &w.agency.email);
    assert_eq!(links.len(), 1);
    // The old password still works until the link is used.
    app.login(&w.agency.email, PASSWORD).await;
    // Through the page a browser posts.
    let mismatch = app
        .post("/password")
        .raw(
            Some("application/x-www-form-urlencoded"),
            format!(
                "token={}&new_password=a+fresh+passphrase&confirm=another+one",
                links[0]
            ),
        )
        .await;
    assert_eq!(mismatch.status, 200);
    assert!(
        mismatch.text.contains("class=\"error\""),
        "{}",
        mismatch.text
    );
    let done = app
        .post("/password")
        .raw(
            Some("application/x-www-form-urlencoded"),
            format!(
                "token={}&new_password=a+fresh+passphrase&confirm=a+fresh+passphrase",
                links[0]
            ),
        )
        .await;
    assert_eq!(done.status, 200);
    assert!(done.text.contains("class=\"done\""), "{}", done.text);
    // Every earlier session ended; the old password is gone, the new one works.
    app.get("/api/v1/me")
        .auth(&before)
        .send()
        .await
        .assert_problem(401, "unauthorized");
    app.try_login(&w.agency.email, PASSWORD)
        .await
        .assert_problem(401, "invalid_credentials");
    app.login(&w.agency.email, "a fresh passphrase").await;

    // An expired link is dead.
    app.post("/api/v1/auth/forgot-password")
        .json(json!({"email": w.office.email}))
        .await
        .assert_status(202);
    let expired = links_to(&app, &w.office.email).pop().unwrap();
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    conn.batch_execute("UPDATE user_tokens SET expires_at = created_at")
        .unwrap();
    app.post("/api/v1/auth/set-password")
        .json(json!({"token": expired, "new_password": "too late for this one"}))
        .await
        .assert_problem(422, "validation_failed");
    app.login(&w.office.email, PASSWORD).await;

    // Asking again and again for one email is made to wait, whoever asks.
    let mut limited = false;
    for _ in 0..6 {
        let reply = app
            .post("/api/v1/auth/forgot-password")
            .json(json!({"email": w.ministry.email}))
            .await;
        if reply.status == 429 {
            assert!(reply.header("retry-after").is_some());
            limited = true;
            break;
        }
        reply.assert_status(202);
    }
    assert!(limited, "repeated resets for one email wait");
}

crate::backend_tests!(
    invited_users_set_their_own_password,
    forgotten_passwords_are_reset_by_email,
);
