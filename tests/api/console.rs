//! The web console over HTTP, on both backends: signing in sets a safe cookie, a form without its
//! token changes nothing, another organisation's contract is the 404 page, and the console's
//! steps move a contract exactly as the API's do.

use crate::helpers::{PASSWORD, TestApp};
use crate::world::World;

/// A browser without scripts: follows nothing by itself, keeps its cookies.
struct Browser<'a> {
    app: &'a TestApp,
    client: awc::Client,
    cookies: Vec<(String, String)>,
}

struct Page {
    status: u16,
    location: Option<String>,
    body: String,
    set_cookies: Vec<String>,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            client: awc::Client::builder().disable_redirects().finish(),
            cookies: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn keep(&mut self, set_cookies: &[String]) {
        for c in set_cookies {
            let pair = c.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                self.cookies.retain(|(name, _)| name != k);
                if !v.is_empty() {
                    self.cookies.push((k.to_owned(), v.to_owned()));
                }
            }
        }
    }

    async fn answer(
        &mut self,
        mut reply: awc::ClientResponse<
            impl futures_util::Stream<Item = Result<actix_web::web::Bytes, awc::error::PayloadError>>
            + Unpin,
        >,
    ) -> Page {
        let set_cookies: Vec<String> = reply
            .headers()
            .get_all("set-cookie")
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect();
        self.keep(&set_cookies);
        let body = reply.body().limit(4 << 20).await.unwrap_or_default();
        Page {
            status: reply.status().as_u16(),
            location: reply
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
            body: String::from_utf8_lossy(&body).into_owned(),
            set_cookies,
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let reply = self
            .client
            .get(format!("{}{path}", self.app.base))
            .insert_header(("cookie", self.cookie_header()))
            .insert_header(("accept-language", "en"))
            .send()
            .await
            .unwrap();
        self.answer(reply).await
    }

    async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Page {
        let reply = self
            .client
            .post(format!("{}{path}", self.app.base))
            .insert_header(("cookie", self.cookie_header()))
            .insert_header(("accept-language", "en"))
            .send_form(&form)
            .await
            .unwrap();
        self.answer(reply).await
    }

    /// Posts a `multipart/form-data` form: its text fields in order, then a file.
    async fn post_file(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        (name, content): (&str, &[u8]),
    ) -> Page {
        let boundary = "console-test-boundary-q1w2e3";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend_from_slice(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n\r\n"
            )
            .as_bytes(),
        );
        body.extend_from_slice(content);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let reply = self
            .client
            .post(format!("{}{path}", self.app.base))
            .insert_header(("cookie", self.cookie_header()))
            .insert_header(("accept-language", "en"))
            .insert_header((
                "content-type",
                format!("multipart/form-data; boundary={boundary}"),
            ))
            .send_body(body)
            .await
            .unwrap();
        self.answer(reply).await
    }

    async fn sign_in(&mut self, email: &str) -> Page {
        let form = self.get("/sign-in").await;
        let token = csrf(&form.body);
        self.post(
            "/sign-in",
            &[("email", email), ("password", PASSWORD), ("csrf", &token)],
        )
        .await
    }
}

/// The form token of a page.
fn csrf(body: &str) -> String {
    let marker = "name=\"csrf\" value=\"";
    let start = body.find(marker).expect("a form token on the page") + marker.len();
    body[start..]
        .split('"')
        .next()
        .unwrap_or_default()
        .to_owned()
}

async fn signing_in_sets_a_safe_cookie_and_forms_need_their_token(app: TestApp) {
    let w = World::new(&app).await;
    let mut office = Browser::new(&app);
    // Not signed in: sent to sign in.
    let home = office.get("/").await;
    assert_eq!(
        (home.status, home.location.as_deref()),
        (303, Some("/sign-in"))
    );
    let form = office.get("/sign-in").await;
    assert_eq!(form.status, 200);
    assert!(
        form.body
            .contains("<form method=\"post\" action=\"/sign-in\"")
    );
    // A sign-in form posted without its token is refused.
    let mut stranger = Browser::new(&app);
    let forged = stranger
        .post(
            "/sign-in",
            &[("email", w.office.email.as_str()), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(forged.status, 403);
    // A wrong password is the sign-in page again, with the reason.
    let token = csrf(&form.body);
    let wrong = office
        .post(
            "/sign-in",
            &[
                ("email", w.office.email.as_str()),
                ("password", "not it at all"),
                ("csrf", &token),
            ],
        )
        .await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("Wrong email or password"));
    let signed = office.sign_in(&w.office.email).await;
    assert_eq!(
        (signed.status, signed.location.as_deref()),
        (303, Some("/"))
    );
    let session = signed
        .set_cookies
        .iter()
        .find(|c| c.starts_with("etrack_session="))
        .expect("a session cookie");
    assert!(session.contains("HttpOnly"), "{session}");
    assert!(session.contains("SameSite=Lax"), "{session}");
    let home = office.get("/").await;
    assert_eq!(home.status, 200);
    assert!(home.body.contains("Filing deadlines"));
    // The home page's deadlines are the office's own: the season's (15 March for every type),
    // or a later day its extension grants; another office's extension does not show.
    let days = |body: &str| -> Vec<String> {
        body.split("<span class=\"day\">")
            .skip(1)
            .map(|s| s.split('<').next().unwrap().to_owned())
            .collect()
    };
    let before = days(&home.body);
    assert_eq!(before.len(), 3, "{before:?}");
    assert!(before.iter().all(|d| *d == before[0]), "{before:?}");
    for (org, contract_type, until) in [
        (&w.office.organization_id, "transport", "2027-03-22"),
        (&w.other_office.organization_id, "housing", "2027-03-29"),
    ] {
        app.post(&format!("/api/v1/seasons/{}/extensions", w.season))
            .auth(&w.ministry)
            .json(serde_json::json!({"organization_id": org, "contract_type": contract_type, "until": until, "reason": "late visas"}))
            .await
            .assert_status(201);
    }
    let after = days(&office.get("/").await.body);
    assert_eq!(after.len(), 3, "{after:?}");
    assert_eq!(
        after.iter().filter(|d| **d == before[0]).count(),
        2,
        "housing and catering keep the season's day: {after:?}"
    );
    assert!(after.iter().any(|d| d.contains("22")), "{after:?}");
    // A contract the office may not see is the 404 page, like one that does not exist.
    let other = w
        .draft(
            &app,
            &w.other_office,
            w.housing(2, "2027-05-10", "2027-05-12"),
        )
        .await;
    let hidden = office.get(&format!("/contracts/{other}")).await;
    let missing = office
        .get("/contracts/00000000-0000-7000-8000-000000000000")
        .await;
    assert_eq!(hidden.status, 404);
    assert_eq!(missing.status, 404);
    assert_eq!(hidden.body, missing.body);
    let garbage = office.get("/contracts/not-an-id").await;
    assert_eq!(garbage.status, 404);
    // Editing a draft at the version the form showed; a form opened before a change is refused.
    let draft = w
        .draft(&app, &w.office, w.housing(2, "2027-05-10", "2027-05-12"))
        .await;
    let page = office.get(&format!("/contracts/{draft}")).await;
    assert!(
        page.body.contains("/edit\""),
        "the client may edit its draft"
    );
    let token = csrf(&page.body);
    let edited = office
        .post(
            &format!("/contracts/{draft}/edit"),
            &[("csrf", &token), ("version", "1"), ("units", "5")],
        )
        .await;
    assert_eq!(edited.status, 303, "{}", edited.body);
    let stale = office
        .post(
            &format!("/contracts/{draft}/edit"),
            &[("csrf", &token), ("version", "1"), ("units", "7")],
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    let api = app
        .get(&format!("/api/v1/contracts/{draft}"))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(
        (api.body["beds"].as_i64(), api.body["version"].as_i64()),
        (Some(5), Some(2))
    );
    assert_eq!(office.get("/groups").await.status, 200);
    // The season page shows an office its own allocation, never another office's.
    let season = office.get("/season").await;
    assert_eq!(season.status, 200);
    let others = app
        .get(&format!("/api/v1/seasons/{}/allocations", w.season))
        .auth(&w.other_office)
        .send()
        .await;
    let other_name = others.body["items"][0]["organization_name"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        !season.body.contains(&other_name),
        "{other_name} is not the office's to see"
    );
    // Its step without the form's token changes nothing.
    let own = w
        .draft(&app, &w.office, w.housing(2, "2027-05-10", "2027-05-12"))
        .await;
    let refused = office
        .post(&format!("/contracts/{own}/act"), &[("action", "submit")])
        .await;
    assert_eq!(refused.status, 403);
    let api = app
        .get(&format!("/api/v1/contracts/{own}"))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(api.body["status"], "draft");
    // Nor can it step another organisation's contract with its own token.
    let page = office.get(&format!("/contracts/{own}")).await;
    let token = csrf(&page.body);
    let theirs = office
        .post(
            &format!("/contracts/{other}/act"),
            &[("action", "submit"), ("csrf", &token)],
        )
        .await;
    assert_eq!(theirs.status, 404);
    // Signing out ends the session: the cookie no longer opens pages.
    let kept = office.cookies.clone();
    let out = office.post("/sign-out", &[("csrf", &token)]).await;
    assert_eq!(out.status, 303);
    office.cookies = kept;
    let after = office.get("/").await;
    assert_eq!(
        (after.status, after.location.as_deref()),
        (303, Some("/sign-in"))
    );
}

async fn console_steps_move_a_contract_like_the_api(app: TestApp) {
    let w = World::new(&app).await;
    let mut office = Browser::new(&app);
    office.sign_in(&w.office.email).await;
    // Filing a draft from the form.
    let form = office
        .get("/contracts/new?type=housing&starts_on=2027-05-10&ends_on=2027-05-12")
        .await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains(&w.building), "the building is offered");
    let token = csrf(&form.body);
    let created = office
        .post(
            "/contracts/new",
            &[
                ("csrf", &token),
                ("type", "housing"),
                ("starts_on", "2027-05-10"),
                ("ends_on", "2027-05-12"),
                ("facility_id", &w.building),
                ("units", "4"),
                ("unit_price", "120.50"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let location = created.location.unwrap();
    let id = location.trim_start_matches("/contracts/").to_owned();
    let submitted = office
        .post(
            &format!("/contracts/{id}/act"),
            &[("action", "submit"), ("csrf", &token)],
        )
        .await;
    assert_eq!(submitted.status, 303);
    let mut provider = Browser::new(&app);
    provider.sign_in(&w.provider.email).await;
    let page = provider.get(&format!("/contracts/{id}")).await;
    assert!(page.body.contains("a-accept"), "the provider may accept");
    let ptoken = csrf(&page.body);
    provider
        .post(
            &format!("/contracts/{id}/act"),
            &[("action", "accept"), ("csrf", &ptoken)],
        )
        .await;
    let mut ministry = Browser::new(&app);
    ministry.sign_in(&w.ministry.email).await;
    // The review queue holds it, with the days left before its client's deadline.
    let queue = ministry.get("/review").await;
    assert!(
        queue.body.contains(&format!("/contracts/{id}")),
        "{}",
        queue.body
    );
    assert!(queue.body.contains("days left") || queue.body.contains("Closed"));
    let page = ministry.get(&format!("/contracts/{id}")).await;
    let mtoken = csrf(&page.body);
    // Returning needs a reason: refused with the reason's field named, nothing moved.
    let no_reason = ministry
        .post(
            &format!("/contracts/{id}/act"),
            &[("action", "return"), ("csrf", &mtoken)],
        )
        .await;
    assert_eq!(no_reason.status, 422, "{}", no_reason.body);
    ministry
        .post(
            &format!("/contracts/{id}/act"),
            &[("action", "approve"), ("csrf", &mtoken)],
        )
        .await;
    let api = app
        .get(&format!("/api/v1/contracts/{id}"))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(api.body["status"], "approved");
    assert_eq!(api.body["total"], "1446.00");
    let history = app
        .get(&format!("/api/v1/contracts/{id}/history"))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(history.body["items"].as_array().map(Vec::len), Some(4));
    // An amendment through the console: the office proposes more beds, the provider accepts, the
    // ministry approves; the API shows the new terms.
    let page = office.get(&format!("/contracts/{id}")).await;
    assert!(
        page.body.contains("/amend\""),
        "the client may propose an amendment"
    );
    let proposed = office
        .post(
            &format!("/contracts/{id}/amend"),
            &[
                ("csrf", &token),
                ("units", "6"),
                ("reason", "Two more pilgrims joined."),
            ],
        )
        .await;
    assert_eq!(proposed.status, 303, "{}", proposed.body);
    let amendment = app
        .get(&format!("/api/v1/contracts/{id}/amendments"))
        .auth(&w.office)
        .send()
        .await;
    let amendment_id = amendment.body["items"][0]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    // It awaits the provider: on the provider's dashboard, not yet in the ministry's queue.
    let awaiting = format!("/contracts/{id}#amendments");
    assert!(provider.get("/").await.body.contains(&awaiting));
    assert!(!ministry.get("/review").await.body.contains(&awaiting));
    // A decision without a reason where one is needed is refused, nothing moves.
    let no_reason = provider
        .post(
            &format!("/amendments/{amendment_id}/decide"),
            &[("action", "decline"), ("csrf", &ptoken)],
        )
        .await;
    assert_eq!(no_reason.status, 422, "{}", no_reason.body);
    let accepted = provider
        .post(
            &format!("/amendments/{amendment_id}/decide"),
            &[("action", "accept"), ("csrf", &ptoken)],
        )
        .await;
    assert_eq!(
        accepted.location.as_deref(),
        Some(format!("/contracts/{id}").as_str())
    );
    // Accepted, it leaves the provider's dashboard for the ministry's queue and dashboard.
    assert!(!provider.get("/").await.body.contains(&awaiting));
    assert!(ministry.get("/review").await.body.contains(&awaiting));
    assert!(ministry.get("/").await.body.contains(&awaiting));
    ministry
        .post(
            &format!("/amendments/{amendment_id}/decide"),
            &[("action", "approve"), ("csrf", &mtoken)],
        )
        .await;
    assert!(!ministry.get("/review").await.body.contains(&awaiting));
    let api = app
        .get(&format!("/api/v1/contracts/{id}"))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(api.body["beds"], 6);
    // Another office cannot decide on it: the 404 page.
    let mut other = Browser::new(&app);
    other.sign_in(&w.other_office.email).await;
    let page = other.get("/notifications").await;
    let otoken = csrf(&page.body);
    let theirs = other
        .post(
            &format!("/amendments/{amendment_id}/decide"),
            &[("action", "approve"), ("csrf", &otoken)],
        )
        .await;
    assert_eq!(theirs.status, 404);
    // A tawafa establishment sees the contract but never its price, in the console as in the API.
    let mut tawafa = Browser::new(&app);
    tawafa.sign_in(&w.tawafa.email).await;
    let page = tawafa.get(&format!("/contracts/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("SAR"), "no price for the tawafa");
    assert!(
        !page.body.contains("svg class=\"strip\""),
        "nor the facility's use"
    );
    let csv = tawafa.get("/contracts?format=csv").await;
    assert_eq!(csv.status, 200);
    assert!(csv.body.contains(&id) && !csv.body.contains("unit_price"));
    let csv = office.get("/contracts?status=approved&format=csv").await;
    assert!(csv.body.contains(&id) && csv.body.contains("unit_price"));
    // The provider sees its building's use, another provider does not see the building at all.
    let page = provider.get(&format!("/facilities/{}", w.building)).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("svg class=\"strip\""));
    let mut rival = Browser::new(&app);
    rival.sign_in(&w.other_provider.email).await;
    assert_eq!(
        rival
            .get(&format!("/facilities/{}", w.building))
            .await
            .status,
        404
    );
    assert_eq!(rival.get(&format!("/contracts/{id}")).await.status, 404);
    let page = office.get(&format!("/contracts/{id}")).await;
    assert!(page.body.contains("2,169.00 SAR"), "the amended total");
}

/// Readiness, notifications and the profile keep to the reader's organisation too.
async fn readiness_notifications_and_profile_keep_to_the_reader(app: TestApp) {
    let w = World::new(&app).await;
    let id = w
        .approved(&app, &w.office, w.housing(4, "2027-05-10", "2027-05-12"))
        .await;
    let office_id = w.office.organization_id.clone();
    // The office reads its own readiness; another office's is the 404 page, as is a provider's
    // attempt at the office's.
    let mut office = Browser::new(&app);
    office.sign_in(&w.office.email).await;
    assert_eq!(office.get("/readiness").await.status, 200);
    assert_eq!(
        office.get(&format!("/readiness/{office_id}")).await.status,
        200
    );
    let mut other = Browser::new(&app);
    other.sign_in(&w.other_office.email).await;
    assert_eq!(
        other.get(&format!("/readiness/{office_id}")).await.status,
        404
    );
    let mut provider = Browser::new(&app);
    provider.sign_in(&w.provider.email).await;
    assert_eq!(
        provider
            .get(&format!("/readiness/{office_id}"))
            .await
            .status,
        404
    );
    // The office's notifications (its contract was approved) are its own: another
    // organisation cannot mark one read.
    let inbox = app
        .get("/api/v1/notifications?unread=true")
        .auth(&w.office)
        .send()
        .await;
    let first = inbox.body["items"][0]["id"].as_str().unwrap().to_owned();
    let page = other.get("/notifications").await;
    assert!(!page.body.contains(&first));
    let token = csrf(&page.body);
    let theirs = other
        .post(&format!("/notifications/{first}/read"), &[("csrf", &token)])
        .await;
    assert_eq!(theirs.status, 404);
    let page = office.get("/notifications").await;
    assert!(page.body.contains(&first));
    assert!(page.body.contains("class=\"badge\""), "an unread count");
    // The count is the office's own unread notifications, as the API lists them.
    let unread = inbox.body["items"].as_array().map_or(0, Vec::len);
    assert!(
        page.body.contains(&format!("unread\">{unread}</span>")),
        "{unread} unread"
    );
    let token = csrf(&page.body);
    let read = office
        .post(
            &format!("/notifications/{first}/read"),
            &[("csrf", &token), ("open", &id)],
        )
        .await;
    assert_eq!(
        read.location.as_deref(),
        Some(format!("/contracts/{id}").as_str())
    );
    // Changing one's password from the profile: a wrong current one is refused, the right one
    // works and the API signs in with the new one.
    let page = office.get("/profile").await;
    let token = csrf(&page.body);
    let wrong = office
        .post(
            "/profile/password",
            &[
                ("csrf", &token),
                ("current_password", "not the password"),
                ("new_password", "a fresh long passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    let changed = office
        .post(
            "/profile/password",
            &[
                ("csrf", &token),
                ("current_password", PASSWORD),
                ("new_password", "a fresh long passphrase"),
            ],
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.body);
    assert_eq!(
        app.try_login(&w.office.email, "a fresh long passphrase")
            .await
            .status,
        200
    );
    // The tawafa establishment of the office's country records a failed inspection from the
    // contract page; the office's readiness now shows it.
    let mut tawafa = Browser::new(&app);
    tawafa.sign_in(&w.tawafa.email).await;
    let page = tawafa.get(&format!("/contracts/{id}")).await;
    assert!(page.body.contains("/inspect"), "the tawafa may inspect");
    let token = csrf(&page.body);
    let today = (chrono::Utc::now() + chrono::Duration::hours(3))
        .date_naive()
        .to_string();
    let recorded = tawafa
        .post(
            &format!("/contracts/{id}/inspect"),
            &[
                ("csrf", &token),
                ("inspected_on", &today),
                ("result", "failed"),
                ("findings", "No fire exit."),
            ],
        )
        .await;
    assert_eq!(recorded.status, 303, "{}", recorded.body);
    let inspections = app
        .get(&format!("/api/v1/inspections?contract_id={id}"))
        .auth(&w.ministry)
        .send()
        .await;
    assert_eq!(inspections.body["items"][0]["result"], "fail");
    // The office cannot inspect: no form, and a posted one is refused.
    let page = office.get(&format!("/contracts/{id}")).await;
    assert!(!page.body.contains("/inspect\""));
    let token = csrf(&page.body);
    let refused = office
        .post(
            &format!("/contracts/{id}/inspect"),
            &[
                ("csrf", &token),
                ("inspected_on", &today),
                ("result", "passed"),
            ],
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.body);
}

/// An authority reads in the console exactly the datasets it is granted, each read audited.
async fn authorities_read_their_granted_datasets(app: TestApp) {
    let w = World::new(&app).await;
    app.put(&format!(
        "/api/v1/organizations/{}/grants",
        w.authority.organization_id
    ))
    .auth(&w.ministry)
    .json(serde_json::json!({"datasets": ["visa_eligibility"]}))
    .await
    .assert_status(200);
    let mut authority = Browser::new(&app);
    authority.sign_in(&w.authority.email).await;
    let list = authority.get("/datasets").await;
    assert!(list.body.contains("/datasets/visa_eligibility"));
    assert!(!list.body.contains("/datasets/arrivals"));
    let table = authority.get("/datasets/visa_eligibility").await;
    assert_eq!(table.status, 200);
    assert!(table.body.contains("organization_name"));
    assert!(
        table.body.contains(">Eligible for visas<"),
        "columns in words"
    );
    assert!(!table.body.contains("price"));
    let csv = authority.get("/datasets/visa_eligibility?format=csv").await;
    assert_eq!(csv.status, 200);
    assert!(
        csv.body
            .trim_start_matches('\u{feff}')
            .starts_with("organization_id,")
    );
    assert_eq!(authority.get("/datasets/arrivals").await.status, 404);
    assert_eq!(authority.get("/datasets/prices").await.status, 404);
    let mut office = Browser::new(&app);
    office.sign_in(&w.office.email).await;
    assert_eq!(office.get("/datasets/visa_eligibility").await.status, 404);
    let log = app
        .get(&format!(
            "/api/v1/audit?organization_id={}&limit=200",
            w.authority.organization_id
        ))
        .auth(&w.ministry)
        .send()
        .await;
    let reads = log.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["action"]
                .as_str()
                .unwrap_or_default()
                .contains("/datasets/")
        })
        .count();
    assert_eq!(reads, 2, "the table and the CSV were both audited");
}

/// Allocations from the season page: the ministry to an office out of its country's quota, an
/// office to its agencies; nobody its own; a quota exceeded is refused with the page again.
async fn allocations_are_set_from_the_season_page(app: TestApp) {
    let w = World::new(&app).await;
    let office_id = w.office.organization_id.clone();
    let agency_id = w.agency.organization_id.clone();
    let mut ministry = Browser::new(&app);
    ministry.sign_in(&w.ministry.email).await;
    let page = ministry.get("/season").await;
    assert!(
        page.body
            .contains(&format!("/season/allocations/{office_id}"))
    );
    assert!(
        !page
            .body
            .contains(&format!("/season/allocations/{agency_id}")),
        "agencies are their office's to allocate"
    );
    let token = csrf(&page.body);
    let set = ministry
        .post(
            &format!("/season/allocations/{office_id}"),
            &[("csrf", &token), ("pilgrims", "700")],
        )
        .await;
    assert_eq!(set.status, 303, "{}", set.body);
    let over = ministry
        .post(
            &format!("/season/allocations/{office_id}"),
            &[("csrf", &token), ("pilgrims", "5000")],
        )
        .await;
    assert_eq!(over.status, 409, "{}", over.body);
    let mut office = Browser::new(&app);
    office.sign_in(&w.office.email).await;
    let page = office.get("/season").await;
    assert!(
        page.body
            .contains(&format!("/season/allocations/{agency_id}"))
    );
    assert!(
        !page
            .body
            .contains(&format!("/season/allocations/{office_id}")),
        "not its own"
    );
    let token = csrf(&page.body);
    let own = office
        .post(
            &format!("/season/allocations/{office_id}"),
            &[("csrf", &token), ("pilgrims", "900")],
        )
        .await;
    assert_eq!(own.status, 403, "{}", own.body);
    let agency = office
        .post(
            &format!("/season/allocations/{agency_id}"),
            &[("csrf", &token), ("pilgrims", "250")],
        )
        .await;
    assert_eq!(agency.status, 303, "{}", agency.body);
    let mut other = Browser::new(&app);
    other.sign_in(&w.other_office.email).await;
    let page = other.get("/season").await;
    let token = csrf(&page.body);
    let theirs = other
        .post(
            &format!("/season/allocations/{agency_id}"),
            &[("csrf", &token), ("pilgrims", "10")],
        )
        .await;
    assert_eq!(theirs.status, 404);
    let allocations = app
        .get(&format!("/api/v1/seasons/{}/allocations", w.season))
        .auth(&w.ministry)
        .send()
        .await;
    let pilgrims = |id: &str| {
        allocations.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["organization_id"] == id)
            .map(|a| a["pilgrims"].as_i64().unwrap())
    };
    assert_eq!(
        (pilgrims(&office_id), pilgrims(&agency_id)),
        (Some(700), Some(250))
    );
}

/// Organisations and users from the console: the ministry opens an agency, suspends it at the
/// version it saw, assigns a tawafa establishment's countries; an office's admin invites a user
/// and changes its role and access; nobody reaches another organisation's page or users; the
/// review queue is the ministry's; quotas and a new season are set from the season page. Each
/// change is then read back through the API.
async fn organisations_users_and_seasons_are_administered_from_the_console(app: TestApp) {
    let w = World::new(&app).await;
    let office_id = w.office.organization_id.clone();
    let mut ministry = Browser::new(&app);
    ministry.sign_in(&w.ministry.email).await;
    let list = ministry.get("/organizations").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains(&format!("/organizations/{office_id}")));
    assert!(
        list.body.contains("action=\"/organizations\""),
        "the form to open one"
    );
    let token = csrf(&list.body);
    let agency_form = |country: &'static str| {
        vec![
            ("kind", "agency"),
            ("name", "Console Travel"),
            ("name_ar", "سفريات الواجهة"),
            ("country", country),
        ]
    };
    let mut form = agency_form("MY");
    form.push(("parent_id", office_id.as_str()));
    form.push(("csrf", token.as_str()));
    let mismatch = ministry.post("/organizations", &form).await;
    assert_eq!(mismatch.status, 422, "{}", mismatch.body);
    assert!(mismatch.body.contains("role=\"alert\""));
    let mut form = agency_form("ID");
    form.push(("parent_id", office_id.as_str()));
    form.push(("csrf", token.as_str()));
    let opened = ministry.post("/organizations", &form).await;
    assert_eq!(opened.status, 303, "{}", opened.body);
    let location = opened.location.unwrap();
    let agency_id = location.trim_start_matches("/organizations/").to_owned();
    let api = app
        .get(&format!("/api/v1/organizations/{agency_id}"))
        .auth(&w.ministry)
        .send()
        .await;
    assert_eq!(api.status, 200);
    assert_eq!(api.body["parent_id"], office_id.as_str());
    assert_eq!(api.body["name_ar"], "سفريات الواجهة");

    // Suspended at the version the form showed; a second post of that same form is stale.
    let page = ministry.get(&location).await;
    assert!(page.body.contains("name=\"version\" value=\"1\""));
    let edit = [
        ("csrf", token.as_str()),
        ("version", "1"),
        ("name", "Console Travel"),
        ("name_ar", "سفريات الواجهة"),
        ("status", "suspended"),
    ];
    let suspended = ministry.post(&location, &edit).await;
    assert_eq!(suspended.status, 303, "{}", suspended.body);
    let stale = ministry.post(&location, &edit).await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    let api = app
        .get(&format!("/api/v1/organizations/{agency_id}"))
        .auth(&w.ministry)
        .send()
        .await;
    assert_eq!(api.body["status"], "suspended");

    let tawafa = format!("/organizations/{}/countries", w.tawafa.organization_id);
    let set = ministry
        .post(
            &tawafa,
            &[("csrf", token.as_str()), ("countries", "my, ID")],
        )
        .await;
    assert_eq!(set.status, 303, "{}", set.body);
    let bad = ministry
        .post(
            &tawafa,
            &[("csrf", token.as_str()), ("countries", "ID ZZZ")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.body);
    let api = app
        .get(&format!(
            "/api/v1/organizations/{}",
            w.tawafa.organization_id
        ))
        .auth(&w.ministry)
        .send()
        .await;
    assert_eq!(api.body["countries"], serde_json::json!(["ID", "MY"]));

    // An office's admin: its own page and users, nobody else's, and no ministry work.
    let mut office = Browser::new(&app);
    office.sign_in(&w.office.email).await;
    let own = office.get(&format!("/organizations/{office_id}")).await;
    assert_eq!(own.status, 200);
    assert!(own.body.contains(&w.office.email), "its users are listed");
    assert!(
        !own.body.contains("name=\"status\""),
        "only the ministry edits organisations"
    );
    let token = csrf(&own.body);
    for hidden in [
        format!("/organizations/{}", w.other_office.organization_id),
        format!("/users/{}", w.other_office.user_id),
        format!("/organizations/{}", w.tawafa.organization_id),
    ] {
        let page = office.get(&hidden).await;
        assert_eq!(page.status, 404, "{hidden}");
        assert!(!page.body.contains(&w.other_office.email));
    }
    let theirs = office
        .post(
            &format!("/organizations/{}/users", w.other_office.organization_id),
            &[
                ("csrf", token.as_str()),
                ("email", "spy@office.example"),
                ("full_name", "Spy"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(theirs.status, 404);
    let not_ministry = office
        .post(
            &format!("/organizations/{office_id}"),
            &[
                ("csrf", token.as_str()),
                ("version", "1"),
                ("status", "suspended"),
            ],
        )
        .await;
    assert_eq!(not_ministry.status, 403, "{}", not_ministry.body);
    let invited = office
        .post(
            &format!("/organizations/{office_id}/users"),
            &[
                ("csrf", token.as_str()),
                ("email", "clerk@office.example"),
                ("full_name", "Siti Clerk"),
                ("role", "officer"),
                ("language", "fa"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(invited.status, 303, "{}", invited.body);
    let without_token = office
        .post(
            &format!("/organizations/{office_id}/users"),
            &[
                ("email", "forged@office.example"),
                ("full_name", "Forged"),
                ("role", "admin"),
            ],
        )
        .await;
    assert_eq!(without_token.status, 403);
    let users = app
        .get(&format!("/api/v1/organizations/{office_id}/users"))
        .auth(&w.office)
        .send()
        .await;
    let items = users.body["items"].as_array().unwrap();
    assert!(!items.iter().any(|u| u["email"] == "forged@office.example"));
    let clerk = items
        .iter()
        .find(|u| u["email"] == "clerk@office.example")
        .expect("the invited user");
    assert_eq!(clerk["password_set"], false);
    assert_eq!(clerk["language"], "fa");
    let clerk_page = format!("/users/{}", clerk["id"].as_str().unwrap());
    let page = office.get(&clerk_page).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("name=\"administers\""));
    let changed = office
        .post(
            &clerk_page,
            &[
                ("csrf", token.as_str()),
                ("version", "1"),
                ("full_name", "Siti Clerk"),
                ("language", "fa"),
                ("administers", "yes"),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    let api = app
        .get(&format!("/api/v1{clerk_page}"))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(
        (api.body["role"].as_str(), api.body["active"].as_bool()),
        (Some("viewer"), Some(false))
    );
    // An admin never locks itself out, from the console either.
    let own_page = format!("/users/{}", w.office.user_id);
    let page = office.get(&own_page).await;
    assert!(!page.body.contains("name=\"administers\""));
    let lockout = office
        .post(
            &own_page,
            &[
                ("csrf", token.as_str()),
                ("version", "1"),
                ("full_name", "Office Admin"),
                ("administers", "yes"),
                ("role", "viewer"),
            ],
        )
        .await;
    assert_eq!(lockout.status, 409, "{}", lockout.body);

    // The review queue is the ministry's.
    assert_eq!(office.get("/review").await.status, 403);
    assert_eq!(ministry.get("/review").await.status, 200);

    // Quotas and a new season from the season page.
    let season = ministry.get("/season").await;
    let ministry_token = csrf(&season.body);
    assert!(season.body.contains("action=\"/season/quotas\""));
    assert!(
        !office
            .get("/season")
            .await
            .body
            .contains("action=\"/season/quotas\"")
    );
    let quota = ministry
        .post(
            "/season/quotas",
            &[
                ("csrf", ministry_token.as_str()),
                ("country", "pk"),
                ("pilgrims", "4000"),
            ],
        )
        .await;
    assert_eq!(quota.status, 303, "{}", quota.body);
    let below = ministry
        .post(
            "/season/quotas",
            &[
                ("csrf", ministry_token.as_str()),
                ("country", "ID"),
                ("pilgrims", "10"),
            ],
        )
        .await;
    assert_eq!(below.status, 409, "{}", below.body);
    let by_office = office
        .post(
            "/season/quotas",
            &[
                ("csrf", token.as_str()),
                ("country", "ID"),
                ("pilgrims", "9000"),
            ],
        )
        .await;
    assert_eq!(by_office.status, 403);
    let quotas = app
        .get(&format!("/api/v1/seasons/{}/quotas", w.season))
        .auth(&w.ministry)
        .send()
        .await;
    let quota_of = |c: &str| {
        quotas.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|q| q["country"] == c)
            .map(|q| q["pilgrims"].as_i64().unwrap())
    };
    assert_eq!((quota_of("PK"), quota_of("ID")), (Some(4000), Some(1000)));
    let season_form = |end: &'static str| {
        [
            ("csrf", ministry_token.as_str()),
            ("kind", "umrah"),
            ("hijri_year", "1449"),
            ("name", "Umrah 1449"),
            ("starts_on", "2027-08-01"),
            ("ends_on", end),
            ("housing", "2027-09-01"),
            ("transport", "2027-09-01"),
            ("catering", "2027-09-01"),
        ]
    };
    let backwards = ministry.post("/seasons", &season_form("2027-07-01")).await;
    assert_eq!(backwards.status, 422, "{}", backwards.body);
    let opened = ministry.post("/seasons", &season_form("2028-03-01")).await;
    assert_eq!(opened.status, 303, "{}", opened.body);
    let seasons = app.get("/api/v1/seasons").auth(&w.office).send().await;
    assert!(
        seasons.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|s| s["name"] == "Umrah 1449")
    );
}

/// Pilgrim groups from the console: an office plans one, changes it at the version it saw (a
/// second post of the same form is stale), is refused beyond what it holds (R11) with what it typed
/// kept, and removes it; another client's group is the 404 page and cannot be changed.
async fn groups_are_planned_from_the_console(app: TestApp) {
    let w = World::new(&app).await;
    let mut office = Browser::new(&app);
    office.sign_in(&w.office.email).await;
    let page = office.get("/groups").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("action=\"/groups\""),
        "the form to plan one"
    );
    let token = csrf(&page.body);
    let group = |name: &'static str, pilgrims: &'static str| {
        vec![
            ("name", name),
            ("pilgrims", pilgrims),
            ("arrival_port", "jed"),
            ("arrival_date", "2027-05-10"),
            ("departure_port", "jed"),
            ("departure_date", "2027-05-20"),
            ("stay1_city", "makkah"),
            ("stay1_from", "2027-05-10"),
            ("stay1_to", "2027-05-20"),
            ("stay2_city", ""),
        ]
    };
    let mut form = group("Jakarta console", "40");
    form.push(("csrf", token.as_str()));
    let planned = office.post("/groups", &form).await;
    assert_eq!(planned.status, 303, "{}", planned.body);
    let mut over = group("Too many", "5000");
    over.push(("csrf", token.as_str()));
    let refused = office.post("/groups", &over).await;
    assert_eq!(refused.status, 409, "{}", refused.body);
    assert!(
        refused.body.contains("value=\"Too many\""),
        "what was typed is kept"
    );
    let mut bad = group("Bad port", "5");
    bad[2] = ("arrival_port", "makkah");
    bad.push(("csrf", token.as_str()));
    assert_eq!(office.post("/groups", &bad).await.status, 422);

    let groups = app
        .get(&format!("/api/v1/seasons/{}/groups", w.season))
        .auth(&w.office)
        .send()
        .await;
    let items = groups.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "only the first was planned: {items:?}");
    assert_eq!(items[0]["pilgrims"], 40);
    let id = items[0]["id"].as_str().unwrap().to_owned();
    let path = format!("/groups/{id}");

    let page = office.get(&path).await;
    assert!(page.body.contains("name=\"version\" value=\"1\""));
    let mut change = group("Jakarta console", "45");
    change.push(("version", "1"));
    change.push(("csrf", token.as_str()));
    let changed = office.post(&path, &change).await;
    assert_eq!(changed.status, 303, "{}", changed.body);
    let stale = office.post(&path, &change).await;
    assert_eq!(stale.status, 412, "{}", stale.body);

    let mut other = Browser::new(&app);
    other.sign_in(&w.other_office.email).await;
    let theirs = other.get(&path).await;
    assert_eq!(theirs.status, 404);
    let other_token = csrf(&other.get("/groups").await.body);
    let mut steal = group("Stolen", "1");
    steal.push(("version", "2"));
    steal.push(("csrf", other_token.as_str()));
    assert_eq!(other.post(&path, &steal).await.status, 404);
    assert_eq!(
        other
            .post(&format!("{path}/remove"), &[("csrf", other_token.as_str())])
            .await
            .status,
        404
    );

    let one = app
        .get(&format!("/api/v1/groups/{id}"))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(
        (one.body["pilgrims"].as_i64(), one.body["name"].as_str()),
        (Some(45), Some("Jakarta console"))
    );
    let removed = office
        .post(&format!("{path}/remove"), &[("csrf", token.as_str())])
        .await;
    assert_eq!(removed.status, 303, "{}", removed.body);
    let gone = app
        .get(&format!("/api/v1/groups/{id}"))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(gone.status, 404);
}

/// The secret a page shows once (a new API key, a webhook's signing secret).
fn shown_secret(body: &str) -> Option<String> {
    let marker = "class=\"secret-value\">";
    let start = body.find(marker)? + marker.len();
    body[start..].split('<').next().map(str::to_owned)
}

/// API keys and webhooks are kept from the console by their organisation's admin (a ministry admin
/// sees and revokes keys, never webhooks); secrets are shown once; the audit log is the ministry's.
async fn api_keys_webhooks_and_the_audit_log_are_kept_from_the_console(app: TestApp) {
    let w = World::new(&app).await;
    let org = w.office.organization_id.clone();
    let integration = format!("/organizations/{org}/integration");
    let mut office = Browser::new(&app);
    office.sign_in(&w.office.email).await;
    let page = office.get(&integration).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("id=\"api-keys\"") && page.body.contains("id=\"webhooks\""));
    let token = csrf(&page.body);
    // A form without its token makes nothing.
    let forged = office
        .post(
            &format!("/organizations/{org}/api-keys"),
            &[("name", "forged"), ("role", "officer")],
        )
        .await;
    assert_eq!(forged.status, 403);
    // A key is made, shown once, and acts for the office.
    let made = office
        .post(
            &format!("/organizations/{org}/api-keys"),
            &[
                ("csrf", &token),
                ("name", "Booking system"),
                ("role", "officer"),
            ],
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let key = shown_secret(&made.body).expect("the key on the page");
    assert!(key.starts_with("etk_"), "{key}");
    let me = app
        .get("/api/v1/me")
        .auth(crate::helpers::Auth::ApiKey(key.clone()))
        .send()
        .await;
    assert_eq!(me.status, 200);
    assert_eq!(me.body["organization"]["id"], org.as_str());
    let again = office.get(&integration).await;
    assert!(again.body.contains("Booking system") && !again.body.contains(&key));
    let keys = app
        .get(&format!("/api/v1/organizations/{org}/api-keys"))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(keys.body["items"].as_array().map(Vec::len), Some(1));
    let key_id = keys.body["items"][0]["id"].as_str().unwrap().to_owned();
    // A refused key (an admin key) is shown above the form, nothing is made.
    let refused = office
        .post(
            &format!("/organizations/{org}/api-keys"),
            &[("csrf", &token), ("name", "Too strong"), ("role", "admin")],
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.body);

    // A colleague who is not an admin is refused; another office does not see the page at all.
    let clerk = app
        .user_in(&w.office, &org, "clerk@office.example", "officer")
        .await;
    let mut colleague = Browser::new(&app);
    colleague.sign_in(&clerk.email).await;
    assert_eq!(colleague.get(&integration).await.status, 403);
    let mut other = Browser::new(&app);
    other.sign_in(&w.other_office.email).await;
    assert_eq!(other.get(&integration).await.status, 404);

    // A webhook: its secret shown once; the API sees the same subscription.
    let made = office
        .post(
            &format!("/organizations/{org}/webhooks"),
            &[
                ("csrf", &token),
                ("url", "https://hooks.example.org/etrack"),
                ("description", "Our booking system"),
                ("event_type", "contract.created"),
                ("event_type", "contract.approved"),
            ],
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.body);
    let secret = shown_secret(&made.body).expect("the secret on the page");
    assert!(secret.starts_with("whsec_"), "{secret}");
    let hooks = app
        .get(&format!("/api/v1/organizations/{org}/webhooks"))
        .auth(&w.office)
        .send()
        .await;
    let hook = hooks.body["items"][0].clone();
    assert_eq!(hook["url"], "https://hooks.example.org/etrack");
    assert_eq!(
        hook["event_types"],
        serde_json::json!(["contract.created", "contract.approved"])
    );
    let hook_id = hook["id"].as_str().unwrap().to_owned();
    let hook_path = format!("/webhooks/{hook_id}");
    // A private target is refused with its field named.
    let private = office
        .post(
            &format!("/organizations/{org}/webhooks"),
            &[("csrf", &token), ("url", "https://127.0.0.1/hook")],
        )
        .await;
    assert_eq!(private.status, 422, "{}", private.body);
    assert!(private.body.contains("url"));
    // Nobody else opens it: not another office, not the ministry, not a colleague.
    assert_eq!(other.get(&hook_path).await.status, 404);
    let mut ministry = Browser::new(&app);
    ministry.sign_in(&w.ministry.email).await;
    assert_eq!(ministry.get(&hook_path).await.status, 404);
    assert_eq!(colleague.get(&hook_path).await.status, 403);
    let page = office.get(&hook_path).await;
    assert_eq!(page.status, 200);
    assert!(
        !page.body.contains(&secret),
        "the secret is not shown again"
    );
    // Turned off at the version shown; a stale form is refused.
    let off = office
        .post(
            &hook_path,
            &[
                ("csrf", &token),
                ("version", "1"),
                ("url", "https://hooks.example.org/etrack"),
                ("description", "Paused"),
            ],
        )
        .await;
    assert_eq!(off.status, 303, "{}", off.body);
    let stale = office
        .post(
            &hook_path,
            &[
                ("csrf", &token),
                ("version", "1"),
                ("url", "https://hooks.example.org/other"),
                ("active", "on"),
            ],
        )
        .await;
    assert_eq!(stale.status, 412, "{}", stale.body);
    let api = app
        .get(&format!("/api/v1/webhooks/{hook_id}"))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(api.body["status"], "disabled");
    assert_eq!(api.body["description"], "Paused");
    assert_eq!(api.body["event_types"], serde_json::json!([]));
    // A new secret, shown once, the old one still signing for a while.
    let rotated = office
        .post(&format!("{hook_path}/rotate-secret"), &[("csrf", &token)])
        .await;
    assert_eq!(rotated.status, 200, "{}", rotated.body);
    let new_secret = shown_secret(&rotated.body).unwrap();
    assert!(new_secret.starts_with("whsec_") && new_secret != secret);
    assert!(rotated.body.contains("Previous secret signs until"));
    let otoken = csrf(&other.get("/profile").await.body);
    let forged = other
        .post(
            &format!("{hook_path}/remove"),
            &[("csrf", &otoken), ("org", &org)],
        )
        .await;
    assert_eq!(forged.status, 404);
    let removed = office
        .post(
            &format!("{hook_path}/remove"),
            &[("csrf", &token), ("org", &org)],
        )
        .await;
    assert_eq!(removed.location.as_deref(), Some(integration.as_str()));
    let hooks = app
        .get(&format!("/api/v1/organizations/{org}/webhooks"))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(hooks.body["items"], serde_json::json!([]));

    // A ministry admin sees the office's keys and revokes one (incident response), but has no
    // say over its webhooks.
    let page = ministry.get(&integration).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Booking system"));
    assert!(!page.body.contains("id=\"webhooks\""));
    assert!(
        !page.body.contains("new-key"),
        "only the office makes its keys"
    );
    let mtoken = csrf(&page.body);
    let revoked = ministry
        .post(
            &format!("/organizations/{org}/api-keys/{key_id}/revoke"),
            &[("csrf", &mtoken)],
        )
        .await;
    assert_eq!(revoked.status, 303, "{}", revoked.body);
    let me = app
        .get("/api/v1/me")
        .auth(crate::helpers::Auth::ApiKey(key))
        .send()
        .await;
    assert_eq!(me.status, 401);

    // The audit log: the ministry reads it, by record, and checks its chain; nobody else.
    let audit = ministry.get(&format!("/audit?entity={key_id}")).await;
    assert_eq!(audit.status, 200, "{}", audit.body);
    assert!(audit.body.contains(&key_id) && !audit.body.contains("No event."));
    // Newest first: the key's revocation above its making.
    let revocation = audit
        .body
        .find("/revoke")
        .expect("the revocation in the log");
    let making = audit
        .body
        .find(&format!("/organizations/{org}/api-keys</code>"))
        .expect("the making in the log");
    assert!(revocation < making, "newest first");
    let checked = ministry.get("/audit?verify=1").await;
    assert!(
        checked.body.contains("hash chain is intact"),
        "{}",
        checked.body
    );
    assert_eq!(office.get("/audit").await.status, 403);
    assert!(!office.get("/").await.body.contains("href=\"/audit\""));
}

/// The contract sheet: the same printable page over the API and in the console, to whoever sees
/// the contract (its prices only to those who see prices), with one history hash for every reader
/// that changes as soon as the history grows.
async fn the_contract_sheet_prints_for_whoever_sees_the_contract(app: TestApp) {
    let w = World::new(&app).await;
    let contract = w
        .approved(&app, &w.office, w.housing(10, "2027-05-10", "2027-05-12"))
        .await;
    let path = format!("/api/v1/contracts/{contract}/sheet");
    let read = |by: &crate::helpers::Session| app.get(&path).auth(by).send();
    let office = read(&w.office).await;
    assert_eq!(office.status, 200);
    assert_eq!(
        office.header("content-type").as_deref(),
        Some("text/html; charset=utf-8")
    );
    let csp = office.header("content-security-policy").unwrap();
    assert!(
        csp.contains("style-src 'self'") && !csp.contains("script-src"),
        "{csp}"
    );
    let page = &office.text;
    let hijri = etrack::domain::calendar::hijri("2027-05-10".parse().unwrap());
    for shown in [
        contract.as_str(),
        "Contract sheet",
        "صحيفة العقد",
        "2027-05-10",
        hijri.as_str(),
        "10 beds",
        "4500.00 SAR",
        "Submit",
        "Accept",
        "Approve",
    ] {
        assert!(page.contains(shown), "{shown} in {page}");
    }
    let hash = |page: &str| {
        let at = page.find("SHA-256 <code>").expect("a hash") + "SHA-256 <code>".len();
        page[at..at + 64].to_owned()
    };
    let printed = hash(page);
    assert!(printed.bytes().all(|b| b.is_ascii_hexdigit()), "{printed}");
    // The provider's and the tawafa establishment's sheets: the same hash; no prices for tawafa.
    let provider = read(&w.provider).await;
    assert_eq!(hash(&provider.text), printed);
    let tawafa = read(&w.tawafa).await;
    assert_eq!(tawafa.status, 200);
    assert_eq!(hash(&tawafa.text), printed);
    assert!(!tawafa.text.contains("SAR"), "{}", tawafa.text);
    for outsider in [
        &w.other_office,
        &w.agency,
        &w.other_provider,
        &w.other_tawafa,
        &w.authority,
    ] {
        read(outsider).await.assert_status(404);
    }
    // The history grows: the hash changes.
    app.post(&format!("/api/v1/contracts/{contract}/amendments"))
        .auth(&w.office)
        .json(serde_json::json!({"reason": "a larger group", "beds": 12}))
        .await
        .assert_status(201);
    assert_ne!(hash(&read(&w.office).await.text), printed);

    // In the console: linked from the contract's page, the same sheet, its stylesheet served.
    let mut browser = Browser::new(&app);
    browser.sign_in(&w.office.email).await;
    let shown = browser.get(&format!("/contracts/{contract}")).await;
    assert!(shown.body.contains(&format!("/contracts/{contract}/sheet")));
    let sheet = browser.get(&format!("/contracts/{contract}/sheet")).await;
    assert_eq!(sheet.status, 200);
    assert!(sheet.body.contains("4500.00 SAR") && sheet.body.contains("صحيفة العقد"));
    assert_eq!(browser.get("/static/sheet.css").await.status, 200);
    let mut outsider = Browser::new(&app);
    outsider.sign_in(&w.other_office.email).await;
    assert_eq!(
        outsider
            .get(&format!("/contracts/{contract}/sheet"))
            .await
            .status,
        404
    );
    let mut anonymous = Browser::new(&app);
    let away = anonymous.get(&format!("/contracts/{contract}/sheet")).await;
    assert_eq!(away.status, 303);
}

/// Documents from the console: attached with a form, listed on their record's page, downloaded,
/// withdrawn; a refused file stores nothing; outsiders get the 404 page; a lapsing licence shows
/// on the client's readiness page.
async fn documents_are_kept_from_the_console(app: TestApp) {
    let w = World::new(&app).await;
    let contract = w
        .approved(&app, &w.office, w.housing(10, "2027-05-10", "2027-05-12"))
        .await;
    let facility = format!("/facilities/{}", w.building);
    let listed = |by: &crate::helpers::Session| {
        let request = app
            .get(&format!("/api/v1/facilities/{}/documents", w.building))
            .auth(by);
        async move { request.send().await.assert_status(200)["items"].clone() }
    };
    let pdf = b"%PDF-1.7\n% the licence\n%%EOF\n".to_vec();
    let mut provider = Browser::new(&app);
    provider.sign_in(&w.provider.email).await;
    let page = provider.get(&facility).await;
    assert!(page.body.contains("Attach a document"), "{}", page.body);
    let token = csrf(&page.body);
    let fields = [
        ("csrf", token.as_str()),
        ("kind", "licence"),
        ("valid_until", "2027-05-11"),
    ];
    // Without the form's token, or an executable named .pdf: nothing is stored.
    let forged = provider
        .post_file(
            &format!("{facility}/documents"),
            &fields[1..],
            ("licence.pdf", &pdf),
        )
        .await;
    assert_eq!(forged.status, 403);
    let disguised = provider
        .post_file(
            &format!("{facility}/documents"),
            &fields,
            ("licence.pdf", b"\x7fELF\x02\x01\x01 not a pdf"),
        )
        .await;
    assert_eq!(disguised.status, 422);
    assert!(disguised.body.contains("Attach a document"));
    assert_eq!(listed(&w.provider).await, serde_json::json!([]));
    let attached = provider
        .post_file(
            &format!("{facility}/documents"),
            &fields,
            ("licence.pdf", &pdf),
        )
        .await;
    assert_eq!(attached.status, 303);
    assert_eq!(
        attached.location.as_deref(),
        Some(format!("{facility}#documents").as_str())
    );
    let items = listed(&w.provider).await;
    let id = items[0]["id"].as_str().unwrap().to_owned();
    let page = provider.get(&facility).await;
    assert!(page.body.contains(&format!("/documents/{id}")) && page.body.contains("licence.pdf"));
    let download = provider.get(&format!("/documents/{id}")).await;
    assert_eq!(download.status, 200);
    assert_eq!(download.body.as_bytes(), pdf.as_slice());

    // The client sees it lapse on its readiness page, and can download it; outsiders cannot.
    let mut office = Browser::new(&app);
    office.sign_in(&w.office.email).await;
    let readiness = office
        .get(&format!("/readiness/{}", w.office.organization_id))
        .await;
    assert!(
        readiness
            .body
            .contains("Papers lapsing before a contract ends"),
        "{}",
        readiness.body
    );
    assert_eq!(office.get(&format!("/documents/{id}")).await.status, 200);
    // A paper on the contract: its parties see it, another office gets the 404 page (a
    // facility's papers are seen by whoever sees the facility).
    let shown = office.get(&format!("/contracts/{contract}")).await;
    assert!(shown.body.contains("Attach a document"));
    let attached = office
        .post_file(
            &format!("/contracts/{contract}/documents"),
            &[("csrf", &csrf(&shown.body)), ("kind", "lease")],
            ("lease.pdf", &pdf),
        )
        .await;
    assert_eq!(attached.status, 303);
    let shown = office.get(&format!("/contracts/{contract}")).await;
    let lease_at = shown.body.find("lease.pdf").expect("the lease listed");
    let lease = shown.body[..lease_at].rsplit("/documents/").next().unwrap()[..36].to_owned();
    assert_eq!(
        provider.get(&format!("/documents/{lease}")).await.status,
        200
    );
    let mut outsider = Browser::new(&app);
    outsider.sign_in(&w.other_office.email).await;
    assert_eq!(
        outsider.get(&format!("/documents/{lease}")).await.status,
        404
    );
    assert_eq!(
        outsider.get(&format!("/contracts/{contract}")).await.status,
        404
    );
    let outsider_token = csrf(&outsider.get("/").await.body);
    let refused = outsider
        .post_file(
            &format!("/contracts/{contract}/documents"),
            &[("csrf", &outsider_token), ("kind", "other")],
            ("note.pdf", &pdf),
        )
        .await;
    assert_eq!(refused.status, 404);
    // The office may not withdraw the provider's paper; the provider may.
    let office_token = csrf(&shown.body);
    let refused = office
        .post(
            &format!("{facility}/documents/{id}/withdraw"),
            &[("csrf", &office_token), ("reason", "mine now")],
        )
        .await;
    assert_eq!(refused.status, 403);
    let withdrawn = provider
        .post(
            &format!("{facility}/documents/{id}/withdraw"),
            &[("csrf", &token), ("reason", "renewed elsewhere")],
        )
        .await;
    assert_eq!(withdrawn.status, 303);
    let items = listed(&w.office).await;
    assert_eq!(items[0]["withdrawal_reason"], "renewed elsewhere");
    let readiness = office
        .get(&format!("/readiness/{}", w.office.organization_id))
        .await;
    assert!(
        !readiness
            .body
            .contains("Papers lapsing before a contract ends")
    );
}

crate::backend_tests!(
    the_contract_sheet_prints_for_whoever_sees_the_contract,
    documents_are_kept_from_the_console,
    api_keys_webhooks_and_the_audit_log_are_kept_from_the_console,
    groups_are_planned_from_the_console,
    organisations_users_and_seasons_are_administered_from_the_console,
    allocations_are_set_from_the_season_page,
    authorities_read_their_granted_datasets,
    readiness_notifications_and_profile_keep_to_the_reader,
    signing_in_sets_a_safe_cookie_and_forms_need_their_token,
    console_steps_move_a_contract_like_the_api,
);
