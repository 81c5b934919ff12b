//! Money over HTTP: a season's payment schedule, bank transfers into wallets, approvals that
//! commit a contract's value (and are refused when the wallet does not cover it), instalments paid
//! as their days come, an amendment, a cancellation with its refund, statements that add up to the
//! transfers; what a wallet lacks as a readiness gap and a reminder; who sees whose money; approvals racing for the last riyals of one wallet, in one
//! process and across two.

use chrono::NaiveDate;
use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{Backend, Reply, Session, TestApp};
use crate::process::TwoProcesses;
use crate::world::World;

async fn set_schedule(app: &TestApp, by: &Session, season: &str, kind: &str, body: Value) -> Reply {
    app.put(&format!(
        "/api/v1/seasons/{season}/payment-schedules/{kind}"
    ))
    .auth(by)
    .json(body)
    .await
}

fn thirds() -> Value {
    json!({"instalments": [
        {"share_percent": 30, "due": "approval"},
        {"share_percent": 40, "due": "service_start"},
        {"share_percent": 30, "due": "season_end"}
    ]})
}

async fn fund(app: &TestApp, w: &World, org: &str, amount: &str, reference: &str) -> Reply {
    app.post(&format!("/api/v1/seasons/{}/transfers", w.season))
        .auth(&w.ministry)
        .json(json!({"organization_id": org, "amount": amount, "currency": "SAR", "bank_reference": reference}))
        .await
}

/// Imports a bank statement of `(reference, organisation, amount)` lines in SAR as the ministry;
/// answers how many it recorded.
async fn import_statement(app: &TestApp, w: &World, lines: &[(&str, &str, &str)]) -> usize {
    let mut statement = String::from("bank_reference,organization_id,amount,currency\n");
    for (reference, org, amount) in lines {
        statement.push_str(&format!("{reference},{org},{amount},SAR\n"));
    }
    let imported = app
        .post(&format!("/api/v1/seasons/{}/transfers/import", w.season))
        .auth(&w.ministry)
        .raw(Some("text/csv"), statement)
        .await;
    imported.assert_status(200)["recorded"]
        .as_array()
        .unwrap()
        .len()
}

async fn balances(app: &TestApp, w: &World, by: &Session, org: &str) -> Reply {
    app.get(&format!("/api/v1/seasons/{}/accounts/{org}", w.season))
        .auth(by)
        .send()
        .await
}

/// (wallet, committed) of a client, as the ministry reads them.
async fn wallet(app: &TestApp, w: &World, org: &str) -> (String, String) {
    let b = balances(app, w, &w.ministry, org).await;
    let b = b.assert_status(200);
    (
        b["wallet"].as_str().unwrap().to_owned(),
        b["committed"].as_str().unwrap().to_owned(),
    )
}

async fn to_review(app: &TestApp, w: &World, client: &Session, body: Value) -> String {
    let id = w.draft(app, client, body).await;
    w.step(app, client, &id, "submit", None)
        .await
        .assert_status(200);
    w.step(app, &w.provider, &id, "accept", None)
        .await
        .assert_status(200);
    id
}

fn pay(app: &TestApp, day: &str) -> usize {
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    etrack::usecases::money::pay_due(&mut conn, day.parse::<NaiveDate>().unwrap()).unwrap()
}

async fn payments(app: &TestApp, by: &Session, contract: &str) -> Reply {
    app.get(&format!("/api/v1/contracts/{contract}/payments"))
        .auth(by)
        .send()
        .await
}

/// The office amends a contract to 20 beds; its provider accepts and the ministry approves.
async fn amend_to_20_beds(app: &TestApp, w: &World, contract: &str) {
    let amendment = app
        .post(&format!("/api/v1/contracts/{contract}/amendments"))
        .auth(&w.office)
        .json(json!({"reason": "a larger group", "beds": 20}))
        .await;
    let amendment = amendment.assert_status(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    for (who, action) in [(&w.provider, "accept"), (&w.ministry, "approve")] {
        app.post(&format!("/api/v1/amendments/{amendment}/{action}"))
            .auth(who)
            .send()
            .await
            .assert_status(200);
    }
}

async fn a_season_of_money_adds_up(app: TestApp) {
    let w = World::new(&app).await;
    let office = w.office.organization_id.clone();
    let provider = w.provider.organization_id.clone();

    // The schedule: only whole shares adding up to 100, in order, set by the ministry.
    let bad = set_schedule(
        &app,
        &w.ministry,
        &w.season,
        "housing",
        json!({"instalments": [
        {"share_percent": 30, "due": "approval"}, {"share_percent": 40, "due": "season_end"}]}),
    )
    .await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.body["errors"][0]["field"], "instalments");
    assert_eq!(bad.body["errors"][0]["code"], "invalid_schedule");
    set_schedule(
        &app,
        &w.ministry,
        &w.season,
        "housing",
        json!({"instalments": [
        {"share_percent": 50, "due": "season_end"}, {"share_percent": 50, "due": "approval"}]}),
    )
    .await
    .assert_problem(422, "validation_failed");
    set_schedule(&app, &w.office, &w.season, "housing", thirds())
        .await
        .assert_problem(403, "forbidden");
    set_schedule(&app, &w.ministry, &w.season, "lodging", thirds())
        .await
        .assert_status(404);
    let set = set_schedule(&app, &w.ministry, &w.season, "housing", thirds()).await;
    assert_eq!(
        set.assert_status(200)["instalments"][1]["due"],
        "service_start"
    );

    // Transfers: once per bank reference, into clients' wallets only.
    let first = fund(&app, &w, &office, "3000", "SNB-0001").await;
    let first_id = first.assert_status(201)["id"].as_str().unwrap().to_owned();
    assert_eq!(first.body["amount"], "3000.00");
    let again = fund(&app, &w, &office, "3000.00", "SNB-0001").await;
    assert_eq!(
        again.assert_status(200)["id"],
        first_id.as_str(),
        "the same transfer again"
    );
    fund(&app, &w, &office, "3000.01", "SNB-0001")
        .await
        .assert_problem(409, "bank_reference_used");
    fund(&app, &w, &provider, "10", "SNB-0009")
        .await
        .assert_problem(409, "wrong_organization_kind");
    let bad = fund(&app, &w, &office, "12.345", "SNB-0010").await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.body["errors"][0]["field"], "amount");
    fund(&app, &w, &office, "0", "SNB-0011")
        .await
        .assert_problem(422, "validation_failed");
    fund(&app, &w, &office, "10", "SNB 0012;DROP")
        .await
        .assert_problem(422, "validation_failed");
    app.post(&format!("/api/v1/seasons/{}/transfers", w.season))
        .auth(&w.office)
        .json(json!({"organization_id": office, "amount": "10", "currency": "SAR", "bank_reference": "SELF-1"}))
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        wallet(&app, &w, &office).await,
        ("3000.00".into(), "0.00".into())
    );

    // An approval the wallet does not cover is refused, and nothing changes.
    let a = to_review(
        &app,
        &w,
        &w.office,
        w.housing(10, "2027-05-10", "2027-05-12"),
    )
    .await;
    let refused = w.step(&app, &w.ministry, &a, "approve", None).await;
    refused.assert_problem(409, "insufficient_funds");
    assert_eq!(refused.body["amount_required"], "4500.00");
    assert_eq!(refused.body["amount_available"], "3000.00");
    let contract = app
        .get(&format!("/api/v1/contracts/{a}"))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(contract.body["status"], "pending_review");
    assert_eq!(
        wallet(&app, &w, &office).await,
        ("3000.00".into(), "0.00".into())
    );

    // Funded, it passes: its value is committed and the first 30% paid at once.
    fund(&app, &w, &office, "2000", "SNB-0002")
        .await
        .assert_status(201);
    w.step(&app, &w.ministry, &a, "approve", None)
        .await
        .assert_status(200);
    assert_eq!(
        wallet(&app, &w, &office).await,
        ("500.00".into(), "3150.00".into())
    );
    let p = balances(&app, &w, &w.provider, &provider).await;
    assert_eq!(p.assert_status(200)["received"], "1350.00");
    assert_eq!(p.body["owed"], "3150.00");
    let a_pay = payments(&app, &w.office, &a).await;
    let a_pay = a_pay.assert_status(200);
    assert_eq!(
        (
            a_pay["value"].as_str(),
            a_pay["paid"].as_str(),
            a_pay["committed"].as_str()
        ),
        (Some("4500.00"), Some("1350.00"), Some("3150.00"))
    );
    let instalments = a_pay["instalments"].as_array().unwrap();
    assert_eq!(instalments[0]["paid"], true);
    assert_eq!(instalments[1]["amount"], "1800.00");
    assert_eq!(instalments[1]["due_on"], "2027-05-10");
    assert_eq!(instalments[2]["due_on"], "2027-07-01");
    assert_eq!(instalments[2]["paid"], false);

    // The schedule is fixed now that money is committed under it; another type's is not.
    set_schedule(
        &app,
        &w.ministry,
        &w.season,
        "housing",
        json!({"instalments": [{"share_percent": 100, "due": "season_end"}]}),
    )
    .await
    .assert_problem(409, "schedule_in_use");
    set_schedule(
        &app,
        &w.ministry,
        &w.season,
        "catering",
        json!({"instalments": [{"share_percent": 100, "due": "service_start"}]}),
    )
    .await
    .assert_status(200);

    fund(&app, &w, &office, "20000", "SNB-0003")
        .await
        .assert_status(201);
    let b = to_review(
        &app,
        &w,
        &w.office,
        w.housing(20, "2027-05-10", "2027-05-12"),
    )
    .await;
    w.step(&app, &w.ministry, &b, "approve", None)
        .await
        .assert_status(200);
    assert_eq!(
        wallet(&app, &w, &office).await,
        ("11500.00".into(), "9450.00".into())
    );

    // An amendment doubling A commits the difference.
    amend_to_20_beds(&app, &w, &a).await;
    assert_eq!(
        wallet(&app, &w, &office).await,
        ("7000.00".into(), "13950.00".into())
    );

    // The ministry cancels B: what it had not paid goes back to the wallet.
    w.step(&app, &w.ministry, &b, "cancel", Some("the group withdrew"))
        .await
        .assert_status(200);
    assert_eq!(
        wallet(&app, &w, &office).await,
        ("13300.00".into(), "7650.00".into())
    );
    let b_pay = payments(&app, &w.ministry, &b).await;
    assert_eq!(
        (
            b_pay.body["paid"].as_str(),
            b_pay.body["committed"].as_str()
        ),
        (Some("2700.00"), Some("0.00"))
    );

    // Instalments as their days come, each once.
    assert_eq!(pay(&app, "2027-05-09"), 0);
    assert_eq!(pay(&app, "2027-05-10"), 1);
    assert_eq!(pay(&app, "2027-05-10"), 0, "paid once");
    let a_pay = payments(&app, &w.provider, &a).await;
    assert_eq!(
        a_pay.body["instalments"][1]["amount"], "4950.00",
        "70% of the new value less the 30% paid"
    );
    assert_eq!(a_pay.body["instalments"][1]["paid"], true);

    // The season-end share waits while the latest inspection failed.
    let today = etrack::domain::calendar::today_in_makkah().to_string();
    let inspect = |result: &'static str| {
        app.post("/api/v1/inspections").auth(&w.tawafa).json(
            json!({"contract_id": a, "inspected_on": today, "result": result, "findings": "no air conditioning"}),
        )
    };
    inspect("fail").await.assert_status(201);
    assert_eq!(
        pay(&app, "2027-07-01"),
        0,
        "held back after a failed inspection"
    );
    inspect("pass").await.assert_status(201);
    assert_eq!(pay(&app, "2027-07-01"), 1);
    let a_pay = payments(&app, &w.office, &a).await;
    assert_eq!(
        (
            a_pay.body["paid"].as_str(),
            a_pay.body["committed"].as_str()
        ),
        (Some("9000.00"), Some("0.00"))
    );

    // Everything adds up to the transfers.
    assert_eq!(
        wallet(&app, &w, &office).await,
        ("13300.00".into(), "0.00".into())
    );
    let p = balances(&app, &w, &w.provider, &provider).await;
    assert_eq!(
        (p.body["received"].as_str(), p.body["owed"].as_str()),
        (Some("11700.00"), Some("0.00"))
    );
    let totals = app
        .get(&format!("/api/v1/seasons/{}/money", w.season))
        .auth(&w.ministry)
        .send()
        .await;
    let totals = totals.assert_status(200);
    assert_eq!(totals["funded"], "25000.00");
    assert_eq!(totals["wallets"], "13300.00");
    assert_eq!(totals["committed"], "0.00");
    assert_eq!(totals["paid"], "11700.00");
    app.get(&format!("/api/v1/seasons/{}/money", w.season))
        .auth(&w.office)
        .send()
        .await
        .assert_problem(403, "forbidden");

    // The office's statement, page by page: its movements add up to its balances.
    let mut cursor = String::new();
    let mut amounts = Vec::new();
    loop {
        let page = app
            .get(&format!(
                "/api/v1/seasons/{}/accounts/{office}/entries?limit=3&cursor={cursor}",
                w.season
            ))
            .auth(&w.office)
            .send()
            .await;
        let page = page.assert_status(200);
        for e in page["items"].as_array().unwrap() {
            let halalas = etrack::domain::money::Money::parse(
                e["amount"].as_str().unwrap().trim_start_matches('-'),
            )
            .unwrap()
            .halalas();
            amounts.push(if e["amount"].as_str().unwrap().starts_with('-') {
                -halalas
            } else {
                halalas
            });
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(amounts.iter().sum::<i64>(), 1_330_000, "wallet + committed");
    assert!(amounts.len() > 10, "{amounts:?}");
    let csv = app
        .get(&format!(
            "/api/v1/seasons/{}/accounts/{office}/entries",
            w.season
        ))
        .auth(&w.office)
        .header("accept", "text/csv")
        .send()
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(csv.text.lines().count(), amounts.len() + 1, "{}", csv.text);
    app.get(&format!(
        "/api/v1/seasons/{}/accounts/{office}/entries?cursor={first_id}",
        w.season
    ))
    .auth(&w.office)
    .send()
    .await
    .assert_problem(400, "invalid_query");

    if let Some(url) = app.database_url() {
        let (ok, report) = crate::process::run_etrack(url, &["check"]);
        assert!(ok && report.contains("the ledger balanced"), "{report}");
    }
}

async fn money_is_seen_only_by_those_it_belongs_to(app: TestApp) {
    let w = World::new(&app).await;
    set_schedule(&app, &w.ministry, &w.season, "housing", thirds())
        .await
        .assert_status(200);
    let (office, agency) = (&w.office.organization_id, &w.agency.organization_id);
    fund(&app, &w, office, "50000", "RJ-1")
        .await
        .assert_status(201);
    fund(&app, &w, agency, "50000", "RJ-2")
        .await
        .assert_status(201);
    let contract = w
        .approved(&app, &w.agency, w.housing(10, "2027-05-10", "2027-05-12"))
        .await;
    let provider = &w.provider.organization_id;
    let orgs = [office, agency, provider];
    // (who, which of office / agency / provider it sees)
    let cases: [(&Session, [bool; 3]); 8] = [
        (&w.ministry, [true, true, true]),
        (&w.office, [true, true, false]),
        (&w.agency, [false, true, false]),
        (&w.other_office, [false, false, false]),
        (&w.provider, [false, false, true]),
        (&w.other_provider, [false, false, false]),
        (&w.tawafa, [false, false, false]),
        (&w.authority, [false, false, false]),
    ];
    for (who, sees) in cases {
        for (org, seen) in orgs.iter().zip(sees) {
            for path in ["", "/entries"] {
                let reply = app
                    .get(&format!(
                        "/api/v1/seasons/{}/accounts/{org}{path}",
                        w.season
                    ))
                    .auth(who)
                    .send()
                    .await;
                if seen {
                    reply.assert_status(200);
                } else {
                    reply.assert_problem(404, "not_found");
                }
            }
        }
    }
    let agency_wallet = balances(&app, &w, &w.office, agency).await;
    assert_eq!(agency_wallet.body["wallet"], "45500.00");
    // A contract's payments: its parties and the ministry; never those who do not see prices.
    for (who, seen) in [
        (&w.ministry, true),
        (&w.agency, true),
        (&w.office, true),
        (&w.provider, true),
        (&w.other_office, false),
        (&w.other_provider, false),
        (&w.tawafa, false),
        (&w.authority, false),
    ] {
        let reply = payments(&app, who, &contract).await;
        if seen {
            assert_eq!(reply.assert_status(200)["paid"], "1350.00");
        } else {
            reply.assert_problem(404, "not_found");
        }
    }
    for who in [&w.tawafa, &w.authority] {
        app.get(&format!("/api/v1/seasons/{}/payment-schedules", w.season))
            .auth(who)
            .send()
            .await
            .assert_problem(404, "not_found");
    }
    let schedules = app
        .get(&format!("/api/v1/seasons/{}/payment-schedules", w.season))
        .auth(&w.provider)
        .send()
        .await;
    assert_eq!(
        schedules.assert_status(200)["items"][0]["contract_type"],
        "housing"
    );
    // An unknown organisation and an unknown season are the same 404.
    let nobody = uuid::Uuid::now_v7();
    balances(&app, &w, &w.ministry, &nobody.to_string())
        .await
        .assert_problem(404, "not_found");
    app.get(&format!("/api/v1/seasons/{nobody}/accounts/{office}"))
        .auth(&w.ministry)
        .send()
        .await
        .assert_problem(404, "not_found");
}

/// (wallet, committed, guarantees) of a client, as the ministry reads them.
async fn held(app: &TestApp, w: &World, org: &str) -> [String; 3] {
    let b = balances(app, w, &w.ministry, org).await;
    let b = b.assert_status(200);
    ["wallet", "committed", "guarantees"].map(|k| b[k].as_str().unwrap().to_owned())
}

async fn guarantees_are_lodged_at_submission_and_settled_after_the_season(app: TestApp) {
    let w = World::new(&app).await;
    let office = w.office.organization_id.clone();
    let mut terms = thirds();
    terms["guarantee_percent"] = 101.into();
    let bad = set_schedule(&app, &w.ministry, &w.season, "housing", terms.clone()).await;
    bad.assert_problem(422, "validation_failed");
    assert_eq!(bad.body["errors"][0]["field"], "guarantee_percent");
    terms["guarantee_percent"] = 10.into();
    let set = set_schedule(&app, &w.ministry, &w.season, "housing", terms).await;
    assert_eq!(set.assert_status(200)["guarantee_percent"], 10);
    fund(&app, &w, &office, "1000", "G-1")
        .await
        .assert_status(201);

    // Submitting lodges 10% of the value from the wallet; one the wallet cannot cover is refused
    // and holds nothing.
    let a = w
        .draft(&app, &w.office, w.housing(10, "2027-05-10", "2027-05-12"))
        .await;
    w.step(&app, &w.office, &a, "submit", None)
        .await
        .assert_status(200);
    assert_eq!(held(&app, &w, &office).await, ["550.00", "0.00", "450.00"]);
    let b = w
        .draft(&app, &w.office, w.housing(20, "2027-05-10", "2027-05-12"))
        .await;
    let refused = w.step(&app, &w.office, &b, "submit", None).await;
    refused.assert_problem(409, "insufficient_funds");
    assert_eq!(
        (
            refused.body["amount_required"].as_str(),
            refused.body["amount_available"].as_str()
        ),
        (Some("900.00"), Some("550.00"))
    );
    let still = app
        .get(&format!("/api/v1/contracts/{b}"))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(still.body["status"], "draft");
    assert_eq!(
        w.held(&app, &w.building, "2027-05-10", "2027-05-12").await,
        vec![10, 10, 10]
    );

    // Declined, it gets its guarantee back.
    w.step(&app, &w.provider, &a, "decline", Some("fully booked"))
        .await
        .assert_status(200);
    assert_eq!(held(&app, &w, &office).await, ["1000.00", "0.00", "0.00"]);

    fund(&app, &w, &office, "20000", "G-2")
        .await
        .assert_status(201);
    let c = to_review(
        &app,
        &w,
        &w.office,
        w.housing(10, "2027-05-10", "2027-05-12"),
    )
    .await;
    w.step(&app, &w.ministry, &c, "approve", None)
        .await
        .assert_status(200);
    let d = to_review(
        &app,
        &w,
        &w.office,
        w.housing(10, "2027-05-10", "2027-05-12"),
    )
    .await;
    w.step(&app, &w.ministry, &d, "approve", None)
        .await
        .assert_status(200);
    assert_eq!(
        held(&app, &w, &office).await,
        ["11100.00", "6300.00", "900.00"]
    );

    // An amendment doubling D raises its guarantee and its commitment.
    amend_to_20_beds(&app, &w, &d).await;
    assert_eq!(
        held(&app, &w, &office).await,
        ["6150.00", "10800.00", "1350.00"]
    );

    // The ministry decides on a guarantee only after a failed inspection or the season's end.
    let decide = |who: &Session, body: Value| {
        app.post(&format!("/api/v1/contracts/{c}/guarantee/decide"))
            .auth(who)
            .json(body)
    };
    let rooms = json!({"forfeit": "200", "reason": "rooms left damaged"});
    decide(&w.ministry, rooms.clone())
        .await
        .assert_problem(409, "guarantee_not_due");
    decide(&w.office, rooms.clone())
        .await
        .assert_problem(403, "forbidden");
    decide(&w.tawafa, rooms.clone())
        .await
        .assert_problem(404, "not_found");
    decide(&w.other_office, rooms.clone())
        .await
        .assert_problem(404, "not_found");
    let today = etrack::domain::calendar::today_in_makkah().to_string();
    app.post("/api/v1/inspections")
        .auth(&w.tawafa)
        .json(json!({"contract_id": c, "inspected_on": today, "result": "fail", "findings": "rooms damaged"}))
        .await
        .assert_status(201);
    decide(
        &w.ministry,
        json!({"forfeit": "450.01", "reason": "more than held"}),
    )
    .await
    .assert_problem(422, "validation_failed");
    decide(&w.ministry, json!({"forfeit": "200"}))
        .await
        .assert_problem(422, "validation_failed");
    let decided = decide(&w.ministry, rooms.clone()).await;
    let decided = decided.assert_status(200);
    assert_eq!(
        (
            decided["guarantee_held"].as_str(),
            decided["guarantee_forfeited"].as_str()
        ),
        (Some("0.00"), Some("200.00"))
    );
    decide(&w.ministry, rooms)
        .await
        .assert_problem(409, "no_guarantee");
    assert_eq!(
        held(&app, &w, &office).await,
        ["6400.00", "10800.00", "900.00"]
    );

    // After the season: instalments paid (C's last one held back by its failed inspection), and
    // D's guarantee back in the wallet.
    pay(&app, "2027-07-01");
    assert_eq!(
        held(&app, &w, &office).await,
        ["7300.00", "1350.00", "0.00"]
    );
    let p = balances(&app, &w, &w.provider, &w.provider.organization_id).await;
    assert_eq!(p.body["received"], "12350.00");
    let c_pay = payments(&app, &w.office, &c).await;
    assert_eq!(c_pay.body["instalments"][2]["paid"], false);
    let totals = app
        .get(&format!("/api/v1/seasons/{}/money", w.season))
        .auth(&w.ministry)
        .send()
        .await;
    assert_eq!(
        ["funded", "wallets", "committed", "guarantees", "paid"]
            .map(|k| totals.body[k].as_str().unwrap().to_owned()),
        ["21000.00", "7300.00", "1350.00", "0.00", "12350.00"]
    );
    if let Some(url) = app.database_url() {
        let (ok, report) = crate::process::run_etrack(url, &["check"]);
        assert!(ok && report.contains("the ledger balanced"), "{report}");
    }
}

/// The (field, code) of each refused field of a problem document.
fn refused_fields(reply: &Reply) -> Vec<(&str, &str)> {
    reply.body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["field"].as_str().unwrap(), e["code"].as_str().unwrap()))
        .collect()
}

async fn bank_statements_are_imported_all_or_nothing(app: TestApp) {
    let w = World::new(&app).await;
    let (office, agency, other) = (
        &w.office.organization_id,
        &w.agency.organization_id,
        &w.other_office.organization_id,
    );
    let import = |who: &Session, body: String| {
        app.post(&format!("/api/v1/seasons/{}/transfers/import", w.season))
            .auth(who)
            .raw(Some("text/csv"), body)
    };
    let statement = format!(
        "\u{feff}bank_reference,organization_id,amount,currency,memo\n\
         ST-1,{office},1000,SAR,first\n\
         ST-2,{agency},2000.50,SAR,\"advance, Dhu al-Qadah\"\n\
         ST-3,{other},300.00,sar,\n"
    );
    import(&w.office, statement.clone())
        .await
        .assert_problem(403, "forbidden");
    let first = import(&w.ministry, statement.clone()).await;
    let first = first.assert_status(200);
    assert_eq!(first["recorded"].as_array().unwrap().len(), 3, "{first}");
    assert_eq!(first["recorded"][1]["line"], 3);
    assert_eq!(
        first["recorded"][1]["transfer"]["memo"],
        "advance, Dhu al-Qadah"
    );
    assert_eq!(wallet(&app, &w, agency).await.0, "2000.50");

    // The same file again records nothing: every line is reported as recorded before.
    let again = import(&w.ministry, statement).await;
    let again = again.assert_status(200);
    assert_eq!(again["recorded"].as_array().unwrap().len(), 0);
    let reasons: Vec<&str> = again["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["reason"].as_str().unwrap())
        .collect();
    assert_eq!(reasons, ["already_recorded"; 3]);

    // Columns in another order, no memo; a reference repeated in the file, one used before for
    // another amount, and one new line.
    let mixed = format!(
        "amount,currency,organization_id,bank_reference\n\
         500,SAR,{office},ST-4\n\
         500,SAR,{office},ST-4\n\
         999,SAR,{office},ST-1\n"
    );
    let mixed = import(&w.ministry, mixed).await;
    let mixed = mixed.assert_status(200);
    assert_eq!(mixed["recorded"][0]["transfer"]["bank_reference"], "ST-4");
    let skipped: Vec<(i64, &str)> = mixed["skipped"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| (s["line"].as_i64().unwrap(), s["reason"].as_str().unwrap()))
        .collect();
    assert_eq!(
        skipped,
        [(3, "repeated_in_file"), (4, "bank_reference_used")]
    );
    assert_eq!(wallet(&app, &w, office).await.0, "1500.00");

    // One bad line rejects the whole file, every bad line named by its line in the file.
    let provider = &w.provider.organization_id;
    let bad = format!(
        "bank_reference,organization_id,amount,currency\n\
         ST-5,{office},100,SAR\n\
         ST-6,{office},12.345,SAR\n\
         ST-7,{provider},100,SAR\n\
         ST-8,{office},100\n\
         ST-9,not-an-id,100,USD\n"
    );
    let refused = import(&w.ministry, bad).await;
    refused.assert_problem(422, "validation_failed");
    let fields = refused_fields(&refused);
    assert_eq!(
        fields,
        [
            ("lines[3].amount", "invalid_amount"),
            ("lines[5]", "invalid_csv"),
            ("lines[6].organization_id", "invalid_id"),
            ("lines[6].currency", "invalid_currency"),
        ],
        "what cannot be read (the rules are checked once all of it can)"
    );
    let unreadable_fixed = format!(
        "bank_reference,organization_id,amount,currency\n\
         ST-5,{office},100,SAR\n\
         ST-6,{office},0,SAR\n\
         ST-7,{provider},100,SAR\n"
    );
    let refused = import(&w.ministry, unreadable_fixed).await;
    refused.assert_problem(422, "validation_failed");
    let fields = refused_fields(&refused);
    assert_eq!(
        fields,
        [
            ("lines[3].amount", "out_of_range"),
            ("lines[4].organization_id", "not_a_client")
        ]
    );
    assert_eq!(
        wallet(&app, &w, office).await.0,
        "1500.00",
        "nothing of it recorded"
    );

    let header = import(&w.ministry, format!("reference,org,amount\nX,{office},1\n")).await;
    header.assert_problem(422, "validation_failed");
    assert_eq!(header.body["errors"][0]["field"], "header");
    import(
        &w.ministry,
        "bank_reference,organization_id,amount,currency\n".into(),
    )
    .await
    .assert_problem(422, "validation_failed");
    app.post(&format!("/api/v1/seasons/{}/transfers/import", w.season))
        .auth(&w.ministry)
        .raw(Some("text/csv"), vec![0xff, 0xfe, 0x00, 0x41])
        .await
        .assert_problem(400, "malformed_csv");
    app.post(&format!("/api/v1/seasons/{}/transfers/import", w.season))
        .auth(&w.ministry)
        .json(json!({"bank_reference": "X"}))
        .await
        .assert_problem(415, "unsupported_media_type");
}

/// A bank statement is a bulk load of the ledger: once it is recorded, PostgreSQL's statistics
/// count its entries, where they counted none before (as after `etrack seed` analyzed an empty
/// ledger), so that no connection keeps planning its wallets' balances for an empty ledger.
#[actix_web::test]
async fn an_imported_statement_is_counted_by_the_database() {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Counted {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        rows: i64,
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        counted: i64,
    }
    let Some(app) = crate::helpers::spawn_app(crate::helpers::Backend::Postgres).await else {
        return;
    };
    let w = World::new(&app).await;
    let etrack::storage::DbConnection::Postgresql(mut conn) =
        etrack::storage::establish(app.database()).unwrap()
    else {
        panic!("a PostgreSQL connection");
    };
    let counted = |conn: &mut diesel::PgConnection| {
        diesel::sql_query(
            "SELECT (SELECT count(*) FROM ledger_entries) AS rows, \
             CAST(reltuples AS BIGINT) AS counted FROM pg_class WHERE relname = 'ledger_entries'",
        )
        .get_result::<Counted>(conn)
        .unwrap()
    };
    diesel::sql_query("ANALYZE ledger_accounts, ledger_transactions, ledger_entries")
        .execute(&mut conn)
        .unwrap();
    let before = counted(&mut conn);
    assert_eq!((before.rows, before.counted), (0, 0));
    let lines = [
        ("BULK-1", w.office.organization_id.as_str(), "1000"),
        ("BULK-2", w.agency.organization_id.as_str(), "2000"),
        ("BULK-3", w.other_office.organization_id.as_str(), "300"),
    ];
    assert_eq!(import_statement(&app, &w, &lines).await, 3);
    let after = counted(&mut conn);
    assert_eq!(after.rows, 6, "two entries a transfer");
    assert_eq!(
        after.counted, after.rows,
        "the statistics count what was imported"
    );
}

/// Entries and transactions are never changed or removed, whatever reaches the database; and
/// `etrack check` names a transaction that no longer balances (made here by lifting the guard).
async fn the_ledger_keeps_its_past(app: TestApp) {
    use diesel::RunQueryDsl;
    let w = World::new(&app).await;
    set_schedule(&app, &w.ministry, &w.season, "housing", thirds())
        .await
        .assert_status(200);
    fund(&app, &w, &w.office.organization_id, "10000", "PAST-1")
        .await
        .assert_status(201);
    w.approved(&app, &w.office, w.housing(10, "2027-05-10", "2027-05-12"))
        .await;
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    for change in [
        "UPDATE ledger_entries SET amount = amount + 1",
        "DELETE FROM ledger_entries",
        "UPDATE ledger_transactions SET memo = 'edited'",
        "DELETE FROM ledger_transactions",
    ] {
        let refused = diesel::sql_query(change).execute(&mut conn);
        assert!(
            refused
                .as_ref()
                .is_err_and(|e| e.to_string().contains("only ever added")),
            "{change}: {refused:?}"
        );
    }
    assert_eq!(
        wallet(&app, &w, &w.office.organization_id).await.0,
        "5500.00"
    );
    let Some(url) = app.database_url() else {
        return;
    };
    let lift = match url {
        etrack::config::DatabaseUrl::Sqlite(_) => "DROP TRIGGER ledger_entries_no_update",
        etrack::config::DatabaseUrl::Postgres(_) => {
            "DROP TRIGGER ledger_entries_append_only ON ledger_entries"
        }
    };
    diesel::sql_query(lift).execute(&mut conn).unwrap();
    diesel::sql_query(
        "UPDATE ledger_entries SET amount = amount + 1 \
         WHERE id = (SELECT MIN(id) FROM ledger_entries)",
    )
    .execute(&mut conn)
    .unwrap();
    let (ok, report) = crate::process::run_etrack(url, &["check"]);
    assert!(!ok && report.contains("does not balance"), "{report}");
}

/// Six contracts of 4,500.00 each wait for approval; the wallet holds enough for three. All six
/// approvals at once, spread over `apis`: exactly three pass, three are refused for funds, and
/// the wallet ends at the one halala left.
/// A client's readiness as `by` reads it.
async fn readiness(app: &TestApp, w: &World, by: &Session, org: &str) -> Reply {
    app.get(&format!("/api/v1/seasons/{}/readiness/{org}", w.season))
        .auth(by)
        .send()
        .await
}

/// (gap count, what the wallet lacks) of the office's readiness, as it reads them.
async fn lacking(app: &TestApp, w: &World) -> (i64, String) {
    let r = readiness(app, w, &w.office, &w.office.organization_id).await;
    let r = r.assert_status(200);
    (
        r["gap_count"].as_i64().unwrap(),
        r["unfunded"].as_str().unwrap().to_owned(),
    )
}

/// The `unfunded` gap of a readiness detail, if it lists one.
fn unfunded_gap(detail: &Value) -> Option<&Value> {
    detail["gaps"]
        .as_array()
        .unwrap()
        .iter()
        .find(|g| g["category"] == "unfunded")
}

fn remind(app: &TestApp, day: &str) -> usize {
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    etrack::notify::reminders::run(&mut conn, day.parse::<NaiveDate>().unwrap()).unwrap()
}

async fn an_unfunded_wallet_is_a_readiness_gap(app: TestApp) {
    let w = World::new(&app).await;
    let office = w.office.organization_id.clone();
    set_schedule(&app, &w.ministry, &w.season, "housing", thirds())
        .await
        .assert_status(200);
    fund(&app, &w, &office, "1000", "U-1")
        .await
        .assert_status(201);
    // The office planned nothing yet: one gap, its unplanned pilgrims; its wallet lacks nothing.
    assert_eq!(lacking(&app, &w).await, (1, "0.00".to_owned()));

    // A contract of 4,500.00 awaiting the ministry, against 1,000.00 in the wallet.
    let a = to_review(
        &app,
        &w,
        &w.office,
        w.housing(10, "2027-05-10", "2027-05-12"),
    )
    .await;
    let short = readiness(&app, &w, &w.office, &office).await;
    let short = short.assert_status(200);
    assert_eq!(
        (&short["gap_count"], &short["unfunded"], &short["status"]),
        (&json!(2), &json!("3500.00"), &json!("incomplete"))
    );
    assert_eq!(unfunded_gap(short).unwrap()["amount"], "3500.00");
    // The ministry's board says the same; a tawafa establishment serving the office's country
    // sees the gap, never the amount; other organisations see nothing of it.
    let line = w.board_line(&app, &office).await;
    assert_eq!(
        (&line["unfunded"], &line["gap_count"]),
        (&json!("3500.00"), &json!(2))
    );
    let seen = readiness(&app, &w, &w.tawafa, &office).await;
    let seen = seen.assert_status(200);
    assert_eq!(seen["gap_count"], 2);
    assert!(seen.get("unfunded").is_none(), "{seen}");
    let gap = unfunded_gap(seen).unwrap();
    assert!(gap.get("amount").is_none(), "{gap}");
    let tawafa_board = app
        .get(&format!("/api/v1/seasons/{}/readiness?limit=200", w.season))
        .auth(&w.tawafa)
        .send()
        .await;
    let tawafa_board = tawafa_board.assert_status(200);
    assert!(
        tawafa_board["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|l| l.get("unfunded").is_none()),
        "{tawafa_board}"
    );
    for outsider in [&w.other_tawafa, &w.other_office, &w.agency, &w.provider] {
        readiness(&app, &w, outsider, &office)
            .await
            .assert_status(404);
    }

    // The wallet reminder: not while the contract starts more than 14 days away; then once at 14
    // days and once at 7, whichever process runs it.
    assert_eq!(remind(&app, "2027-04-20"), 0);
    assert_eq!(remind(&app, "2027-05-01"), 1);
    assert_eq!(remind(&app, "2027-05-01"), 0, "once per reminder");
    assert_eq!(remind(&app, "2027-05-04"), 1);
    let inbox = app
        .get("/api/v1/notifications")
        .auth(&w.office)
        .send()
        .await;
    let subjects: Vec<String> = inbox.assert_status(200)["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "wallet_short")
        .map(|n| n["subject"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(subjects.len(), 2, "{subjects:?}");
    assert!(
        subjects.contains(
            &"Your Hajj 1448 wallet is 3500.00 SAR short of contracts starting within 9 days"
                .to_owned()
        ),
        "{subjects:?}"
    );
    for other in [&w.agency, &w.other_office] {
        let inbox = app.get("/api/v1/notifications").auth(other).send().await;
        assert!(
            inbox.assert_status(200)["items"]
                .as_array()
                .unwrap()
                .iter()
                .all(|n| n["kind"] != "wallet_short")
        );
    }

    // Funded by two lines of one bank statement, the gap goes (the client's line follows once the
    // whole file is written); approved, the contract takes its value and nothing is lacking.
    let lines = [
        ("U-2", office.as_str(), "2000"),
        ("U-3", office.as_str(), "1500"),
    ];
    assert_eq!(import_statement(&app, &w, &lines).await, 2);
    assert_eq!(lacking(&app, &w).await, (1, "0.00".to_owned()));
    assert_eq!(w.board_line(&app, &office).await["unfunded"], "0.00");
    assert_eq!(remind(&app, "2027-05-09"), 0, "nothing lacking");
    w.step(&app, &w.ministry, &a, "approve", None)
        .await
        .assert_status(200);
    assert_eq!(wallet(&app, &w, &office).await.0, "0.00");
    assert_eq!(lacking(&app, &w).await, (1, "0.00".to_owned()));

    // Another contract awaiting the provider lacks its whole value; declined, it lacks nothing.
    let b = w
        .draft(&app, &w.office, w.housing(5, "2027-05-20", "2027-05-22"))
        .await;
    w.step(&app, &w.office, &b, "submit", None)
        .await
        .assert_status(200);
    assert_eq!(lacking(&app, &w).await, (2, "2250.00".to_owned()));
    w.step(&app, &w.provider, &b, "decline", Some("fully booked"))
        .await
        .assert_status(200);
    assert_eq!(lacking(&app, &w).await, (1, "0.00".to_owned()));

    // Each line mended on the way is the line a fresh assessment writes.
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    let (compared, problems) = etrack::usecases::readiness::verify_view(&mut conn).unwrap();
    assert!(compared > 0);
    assert!(problems.is_empty(), "{problems:?}");
}

async fn approvals_race_for_the_last_riyals(apis: &[&TestApp]) {
    let app = apis[0];
    let w = World::new(app).await;
    set_schedule(app, &w.ministry, &w.season, "housing", thirds())
        .await
        .assert_status(200);
    let office = w.office.organization_id.clone();
    fund(app, &w, &office, "13500.01", "RACE-1")
        .await
        .assert_status(201);
    let mut ids = Vec::new();
    for _ in 0..6 {
        ids.push(
            to_review(
                app,
                &w,
                &w.office,
                w.housing(10, "2027-05-10", "2027-05-12"),
            )
            .await,
        );
    }
    let approvals = ids.iter().enumerate().map(|(i, id)| {
        apis[i % apis.len()]
            .post(&format!("/api/v1/contracts/{id}/approve"))
            .auth(&w.ministry)
            .send()
    });
    let replies = join_all(approvals).await;
    let passed = replies.iter().filter(|r| r.status == 200).count();
    let refused: Vec<&str> = replies
        .iter()
        .filter(|r| r.status != 200)
        .map(|r| r.problem_code())
        .collect();
    assert_eq!(passed, 3, "{refused:?}");
    assert_eq!(refused, vec!["insufficient_funds"; 3]);
    assert_eq!(
        wallet(app, &w, &office).await,
        ("0.01".into(), "9450.00".into())
    );
    if let Some(url) = app.database_url() {
        let (ok, report) = crate::process::run_etrack(url, &["check"]);
        assert!(ok && report.contains("the ledger balanced"), "{report}");
    }
}

async fn approvals_race_for_one_wallet(app: TestApp) {
    approvals_race_for_the_last_riyals(&[&app]).await;
}

async fn two_processes(backend: Backend) {
    if let Some(two) = TwoProcesses::start(backend) {
        approvals_race_for_the_last_riyals(&[&two.a, &two.b]).await;
    }
}

#[actix_web::test]
async fn two_postgres_processes_race_for_one_wallet() {
    two_processes(Backend::Postgres).await;
}

#[actix_web::test]
async fn two_sqlite_processes_race_for_one_wallet() {
    two_processes(Backend::Sqlite).await;
}

/// A schedule set while contracts of its type await approval: they weigh on their clients'
/// wallets from then on, in the all-clients view as in a fresh assessment.
async fn a_schedule_set_late_counts_the_contracts_awaiting_approval(app: TestApp) {
    let w = World::new(&app).await;
    let office = w.office.organization_id.clone();
    to_review(
        &app,
        &w,
        &w.office,
        w.housing(10, "2027-05-10", "2027-05-12"),
    )
    .await;
    assert_eq!(
        lacking(&app, &w).await,
        (1, "0.00".to_owned()),
        "no schedule yet"
    );
    fund(&app, &w, &office, "1000", "U-1")
        .await
        .assert_status(201);
    set_schedule(&app, &w.ministry, &w.season, "housing", thirds())
        .await
        .assert_status(200);
    assert_eq!(lacking(&app, &w).await, (2, "3500.00".to_owned()));
    let line = w.board_line(&app, &office).await;
    assert_eq!(line["unfunded"], "3500.00");
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    let (_, problems) = etrack::usecases::readiness::verify_view(&mut conn).unwrap();
    assert!(problems.is_empty(), "{problems:?}");
}

crate::backend_tests!(
    a_season_of_money_adds_up,
    a_schedule_set_late_counts_the_contracts_awaiting_approval,
    money_is_seen_only_by_those_it_belongs_to,
    guarantees_are_lodged_at_submission_and_settled_after_the_season,
    bank_statements_are_imported_all_or_nothing,
    the_ledger_keeps_its_past,
    approvals_race_for_one_wallet,
    an_unfunded_wallet_is_a_readiness_gap
);
