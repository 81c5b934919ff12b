//! A small season to run contract scenarios in: the ministry, an office of Indonesia with one
//! agency, an office of Malaysia, two providers, tawafa establishments for each country, an
//! authority; the Hajj 1448 season with quotas and allocations; a building, a fleet and a kitchen.

use serde_json::{Value, json};

use crate::helpers::{Reply, Session, TestApp};

pub const SEASON_START: &str = "2027-04-01";
pub const SEASON_END: &str = "2027-06-30";

pub struct World {
    pub ministry: Session,
    pub office: Session,
    pub agency: Session,
    pub other_office: Session,
    pub provider: Session,
    pub other_provider: Session,
    pub tawafa: Session,
    pub other_tawafa: Session,
    pub authority: Session,
    pub season: String,
    pub building: String,
    pub fleet: String,
    pub kitchen: String,
}

pub async fn hajj_season(
    app: &TestApp,
    ministry: &Session,
    year: i32,
    start: &str,
    end: &str,
    deadline: &str,
) -> String {
    let reply = app
        .post("/api/v1/seasons")
        .auth(ministry)
        .json(json!({
            "kind": "hajj", "hijri_year": year, "name": format!("Hajj {year}"),
            "starts_on": start, "ends_on": end,
            "deadlines": {"housing": deadline, "transport": deadline, "catering": deadline}
        }))
        .await;
    reply.assert_status(201)["id"].as_str().unwrap().to_owned()
}

pub async fn allocate(
    app: &TestApp,
    by: &Session,
    season: &str,
    org: &str,
    pilgrims: i64,
) -> Reply {
    app.put(&format!("/api/v1/seasons/{season}/allocations/{org}"))
        .auth(by)
        .json(json!({"pilgrims": pilgrims}))
        .await
}

pub async fn quota(
    app: &TestApp,
    ministry: &Session,
    season: &str,
    country: &str,
    pilgrims: i64,
) -> Reply {
    app.put(&format!("/api/v1/seasons/{season}/quotas/{country}"))
        .auth(ministry)
        .json(json!({"pilgrims": pilgrims}))
        .await
}

pub async fn facility(app: &TestApp, provider: &Session, body: Value) -> String {
    let reply = app
        .post("/api/v1/facilities")
        .auth(provider)
        .json(body)
        .await;
    reply.assert_status(201)["id"].as_str().unwrap().to_owned()
}

/// Renames what `path` names (an organisation or a facility) whatever its version.
pub async fn rename(app: &TestApp, by: &Session, path: &str, body: Value) {
    app.patch(path)
        .auth(by)
        .header("If-Match", "*")
        .json(body)
        .await
        .assert_status(200);
}

pub fn building(name: &str, capacity: i64) -> Value {
    json!({"kind": "building", "name": name, "city": "makkah", "licence_no": format!("B-{}", uuid::Uuid::new_v4().simple()),
           "licence_valid_from": "2027-01-01", "licence_valid_to": "2027-12-31", "capacity": capacity})
}

impl World {
    pub async fn new(app: &TestApp) -> World {
        let ministry = app.ministry_admin().await;
        let office = app
            .org_admin(&ministry, "hajj_office", Some("ID"), None)
            .await;
        let agency = app
            .org_admin(
                &ministry,
                "agency",
                Some("ID"),
                Some(&office.organization_id),
            )
            .await;
        let other_office = app
            .org_admin(&ministry, "hajj_office", Some("MY"), None)
            .await;
        let provider = app
            .org_admin(&ministry, "service_provider", Some("SA"), None)
            .await;
        let other_provider = app
            .org_admin(&ministry, "service_provider", Some("SA"), None)
            .await;
        let tawafa = app.org_admin(&ministry, "tawafa", None, None).await;
        let other_tawafa = app.org_admin(&ministry, "tawafa", None, None).await;
        let authority = app.org_admin(&ministry, "authority", None, None).await;
        for (t, country) in [(&tawafa, "ID"), (&other_tawafa, "MY")] {
            app.put(&format!(
                "/api/v1/organizations/{}/countries",
                t.organization_id
            ))
            .auth(&ministry)
            .json(json!({"countries": [country]}))
            .await
            .assert_status(200);
        }
        let season =
            hajj_season(app, &ministry, 1448, SEASON_START, SEASON_END, "2027-03-15").await;
        quota(app, &ministry, &season, "ID", 1000)
            .await
            .assert_status(200);
        quota(app, &ministry, &season, "MY", 500)
            .await
            .assert_status(200);
        allocate(app, &ministry, &season, &office.organization_id, 600)
            .await
            .assert_status(200);
        allocate(app, &ministry, &season, &other_office.organization_id, 300)
            .await
            .assert_status(200);
        allocate(app, &office, &season, &agency.organization_id, 200)
            .await
            .assert_status(200);
        let building = facility(app, &provider, building("Al-Safwa Tower 1 برج الصفوة", 100)).await;
        let fleet = facility(
            app,
            &provider,
            json!({"kind": "fleet", "name": "Safwa Buses", "base": "jed", "licence_no": format!("F-{}", uuid::Uuid::new_v4().simple()),
                   "licence_valid_from": "2027-01-01", "licence_valid_to": "2027-12-31", "capacity": 300}),
        )
        .await;
        let kitchen = facility(
            app,
            &provider,
            json!({"kind": "kitchen", "name": "Safwa Kitchen", "city": "makkah", "licence_no": format!("K-{}", uuid::Uuid::new_v4().simple()),
                   "licence_valid_from": "2027-01-01", "licence_valid_to": "2027-12-31", "capacity": 500}),
        )
        .await;
        World {
            ministry,
            office,
            agency,
            other_office,
            provider,
            other_provider,
            tawafa,
            other_tawafa,
            authority,
            season,
            building,
            fleet,
            kitchen,
        }
    }

    /// A client's line on the ministry's all-clients readiness board.
    pub async fn board_line(&self, app: &TestApp, client: &str) -> Value {
        let board = app
            .get(&format!(
                "/api/v1/seasons/{}/readiness?limit=200",
                self.season
            ))
            .auth(&self.ministry)
            .send()
            .await;
        board.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|l| l["organization"]["id"] == client)
            .unwrap()
            .clone()
    }

    /// A housing contract body for this world's building.
    pub fn housing(&self, beds: i64, starts_on: &str, ends_on: &str) -> Value {
        json!({"season_id": self.season, "type": "housing", "facility_id": self.building,
               "starts_on": starts_on, "ends_on": ends_on, "beds": beds, "unit_price": "150.00", "currency": "SAR"})
    }

    /// Drafts a contract as `client`; returns its id.
    pub async fn draft(&self, app: &TestApp, client: &Session, body: Value) -> String {
        let reply = app.post("/api/v1/contracts").auth(client).json(body).await;
        reply.assert_status(201)["id"].as_str().unwrap().to_owned()
    }

    pub async fn step(
        &self,
        app: &TestApp,
        by: &Session,
        contract: &str,
        action: &str,
        reason: Option<&str>,
    ) -> Reply {
        let request = app
            .post(&format!("/api/v1/contracts/{contract}/{action}"))
            .auth(by);
        match reason {
            Some(r) => request.json(json!({"reason": r})).await,
            None => request.send().await,
        }
    }

    /// Drafts, submits, accepts and approves a contract; returns its id.
    pub async fn approved(&self, app: &TestApp, client: &Session, body: Value) -> String {
        let id = self.draft(app, client, body).await;
        self.step(app, client, &id, "submit", None)
            .await
            .assert_status(200);
        self.step(app, &self.provider, &id, "accept", None)
            .await
            .assert_status(200);
        self.step(app, &self.ministry, &id, "approve", None)
            .await
            .assert_status(200);
        id
    }

    /// Units held on each day of the building, as the provider sees them.
    pub async fn held(&self, app: &TestApp, facility: &str, from: &str, to: &str) -> Vec<i64> {
        let reply = app
            .get(&format!(
                "/api/v1/facilities/{facility}/usage?from={from}&to={to}"
            ))
            .auth(&self.provider)
            .send()
            .await;
        reply.assert_status(200)["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["held"].as_i64().unwrap())
            .collect()
    }
}

impl World {
    /// Takes the office's tokens through what must stop their reads at once, and what must not,
    /// calling `check(token, holds)` after each step with the token concerned and whether its
    /// session still holds: `officer` (an officer of the office) given a new role (holds), then
    /// deactivated (does not); a second session of the office's admin, live (holds), then logged
    /// out (does not); the office suspended, for its admin's first token (does not).
    pub async fn through_session_changes(
        &self,
        app: &TestApp,
        officer: &Session,
        check: impl AsyncFn(&Session, bool),
    ) {
        let user = format!("/api/v1/users/{}", officer.user_id);
        let current = app.get(&user).auth(&self.office).send().await;
        let viewer = app
            .patch(&user)
            .auth(&self.office)
            .header("If-Match", current.etag())
            .json(json!({"role": "viewer"}))
            .await;
        viewer.assert_status(200);
        check(officer, true).await;

        app.patch(&user)
            .auth(&self.office)
            .header("If-Match", viewer.etag())
            .json(json!({"active": false}))
            .await
            .assert_status(200);
        check(officer, false).await;

        let second = app
            .login(&self.office.email, crate::helpers::PASSWORD)
            .await;
        check(&second, true).await;
        app.post("/api/v1/auth/logout")
            .auth(&second)
            .send()
            .await
            .assert_status(204);
        check(&second, false).await;

        let org = format!("/api/v1/organizations/{}", self.office.organization_id);
        let current = app.get(&org).auth(&self.ministry).send().await;
        app.patch(&org)
            .auth(&self.ministry)
            .header("If-Match", current.etag())
            .json(json!({"status": "suspended"}))
            .await
            .assert_status(200);
        check(&self.office, false).await;
    }
}
