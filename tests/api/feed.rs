//! The change feed: each party reads, in commit order, exactly the events of what it may see, and a
//! consumer that keeps its cursor never misses an event nor reads one twice, also while others
//! write at once and across server processes.

use std::collections::HashSet;

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{Backend, Session, TestApp};
use crate::process::TwoProcesses;
use crate::readiness::{cover_ten, group};
use crate::world::{World, allocate};

/// Every event the caller sees from `after` on, reading `limit` at a time; and where it ends.
async fn follow(app: &TestApp, who: &Session, after: &str, limit: u32) -> (Vec<Value>, String) {
    let (mut events, mut cursor) = (Vec::new(), after.to_owned());
    loop {
        let page = app
            .get(&format!("/api/v1/events?after={cursor}&limit={limit}"))
            .auth(who)
            .send()
            .await;
        let body = page.assert_status(200).clone();
        events.extend(body["items"].as_array().unwrap().iter().cloned());
        cursor = body["next_cursor"].as_str().unwrap().to_owned();
        if body["more"] == false {
            return (events, cursor);
        }
    }
}

async fn everything(app: &TestApp, who: &Session) -> Vec<Value> {
    follow(app, who, "", 500).await.0
}

/// Waits until the feed shows the ministry an event of `event_type` about `record`: an event shows
/// once every transaction that began before it has ended, which on a shared PostgreSQL cluster (the
/// other tests') can take a moment. Writes made one after the other commit in order, so once the
/// last one's event shows, all before it do.
async fn settle(app: &TestApp, ministry: &Session, event_type: &str, record: &str) {
    for _ in 0..400 {
        let page = app
            .get(&format!("/api/v1/events?types={event_type}&limit=500"))
            .auth(ministry)
            .send()
            .await;
        let events = page.assert_status(200)["items"].clone();
        if !about(events.as_array().unwrap(), record).is_empty() {
            return;
        }
        actix_web::rt::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    panic!("no {event_type} event about {record}");
}

/// The (type, record id) of each event, in order.
fn steps(events: &[Value]) -> Vec<(String, String)> {
    events
        .iter()
        .map(|e| {
            (
                e["type"].as_str().unwrap().to_owned(),
                e["record"]["id"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn about<'a>(events: &'a [Value], record: &str) -> Vec<&'a Value> {
    events
        .iter()
        .filter(|e| e["record"]["id"] == record || e["contract_id"] == record)
        .collect()
}

async fn each_party_reads_what_it_sees(app: TestApp) {
    let w = World::new(&app).await;
    // The office's contract goes all the way; the agency's and the other office's are submitted.
    let office_contract = w
        .approved(&app, &w.office, w.housing(5, "2027-05-01", "2027-05-03"))
        .await;
    let agency_contract = w
        .draft(&app, &w.agency, w.housing(5, "2027-05-01", "2027-05-03"))
        .await;
    w.step(&app, &w.agency, &agency_contract, "submit", None)
        .await
        .assert_status(200);
    let mut other = w.housing(5, "2027-05-01", "2027-05-03");
    other["facility_id"] = json!(w.building);
    let other_contract = w.draft(&app, &w.other_office, other).await;
    settle(&app, &w.ministry, "contract.created", &other_contract).await;

    let ministry = everything(&app, &w.ministry).await;
    let office_steps: Vec<String> = about(&ministry, &office_contract)
        .iter()
        .map(|e| e["type"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        office_steps,
        [
            "contract.created",
            "contract.submitted",
            "contract.accepted",
            "contract.approved"
        ]
    );
    // Each event carries the contract's version after it; the last one is the current version.
    let versions: Vec<i64> = about(&ministry, &office_contract)
        .iter()
        .map(|e| e["record"]["version"].as_i64().unwrap())
        .collect();
    assert!(versions.windows(2).all(|v| v[0] < v[1]), "{versions:?}");
    let current = app
        .get(&format!("/api/v1/contracts/{office_contract}"))
        .auth(&w.office)
        .send()
        .await;
    assert_eq!(
        current.assert_status(200)["version"].as_i64(),
        versions.last().copied()
    );
    let approved = about(&ministry, &office_contract)[3];
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["season_id"], json!(w.season));
    assert_eq!(approved["record"]["type"], "contract");

    // Who sees which contract's events.
    let sees = |events: &[Value], contract: &str| !about(events, contract).is_empty();
    let expectations: [(&Session, [bool; 3], &str); 8] = [
        (
            &w.office,
            [true, true, false],
            "the office: its own and its agency's",
        ),
        (&w.agency, [false, true, false], "the agency: its own"),
        (
            &w.other_office,
            [false, false, true],
            "the other office: its own",
        ),
        (
            &w.provider,
            [true, true, false],
            "the provider: those it signed or must sign",
        ),
        (
            &w.other_provider,
            [false, false, false],
            "another provider: none",
        ),
        (
            &w.tawafa,
            [true, true, false],
            "Indonesia's tawafa establishment",
        ),
        (
            &w.other_tawafa,
            [false, false, true],
            "Malaysia's tawafa establishment",
        ),
        (&w.authority, [false, false, false], "an authority: none"),
    ];
    // The other office's draft is addressed to the provider too, but a draft is not its business
    // yet; what it sees of it through the API decides.
    for (who, expected, why) in expectations {
        let events = everything(&app, who).await;
        let seen = [
            sees(&events, &office_contract),
            sees(&events, &agency_contract),
            sees(&events, &other_contract),
        ];
        let mut expected = expected;
        if who.organization_id == w.provider.organization_id {
            let listed = app
                .get(&format!("/api/v1/contracts/{other_contract}"))
                .auth(who)
                .send()
                .await;
            expected[2] = listed.status == 200;
        }
        assert_eq!(seen, expected, "{why}");
        // Whatever the feed shows, the API shows too.
        for e in events.iter().filter(|e| e["record"]["type"] == "contract") {
            let id = e["record"]["id"].as_str().unwrap();
            app.get(&format!("/api/v1/contracts/{id}"))
                .auth(who)
                .send()
                .await
                .assert_status(200);
        }
    }

    // Paging one event at a time gives the same events, in the same order, as one read.
    let (one_by_one, end) = follow(&app, &w.office, "", 1).await;
    assert_eq!(
        steps(&one_by_one),
        steps(&everything(&app, &w.office).await)
    );
    let ids: HashSet<&str> = one_by_one
        .iter()
        .map(|e| e["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids.len(), one_by_one.len(), "no event twice");
    // At the end, nothing more until something happens; then exactly that.
    let (none, same) = follow(&app, &w.office, &end, 50).await;
    assert!(none.is_empty());
    w.step(&app, &w.provider, &agency_contract, "accept", None)
        .await
        .assert_status(200);
    settle(&app, &w.ministry, "contract.accepted", &agency_contract).await;
    let (next, _) = follow(&app, &w.office, &same, 50).await;
    assert_eq!(
        steps(&next),
        [("contract.accepted".to_owned(), agency_contract.clone())]
    );

    // Only some types, when asked.
    let only = app
        .get("/api/v1/events?types=contract.approved,contract.accepted")
        .auth(&w.ministry)
        .send()
        .await;
    let only: Vec<(String, String)> = steps(only.assert_status(200)["items"].as_array().unwrap());
    assert_eq!(
        only,
        [
            ("contract.accepted".to_owned(), office_contract.clone()),
            ("contract.approved".to_owned(), office_contract.clone()),
            ("contract.accepted".to_owned(), agency_contract.clone())
        ]
    );

    // Bad requests change nothing and say which parameter.
    for query in [
        "after=not-a-cursor",
        "after=MTIz",
        "limit=0",
        "limit=501",
        "types=contract.nothing",
        "types=contract.approved,,",
        "since=MC4w",
    ] {
        let reply = app
            .get(&format!("/api/v1/events?{query}"))
            .auth(&w.office)
            .send()
            .await;
        assert_eq!(reply.status, 400, "{query}: {reply:?}");
    }
    app.get("/api/v1/events")
        .send()
        .await
        .assert_problem(401, "unauthorized");
}

async fn readiness_extensions_and_inspections(app: TestApp) {
    let w = World::new(&app).await;
    let start = everything(&app, &w.ministry).await.len();
    // The agency keeps ten pilgrims, plans them and covers them: ready.
    allocate(&app, &w.office, &w.season, &w.agency.organization_id, 10)
        .await
        .assert_status(200);
    app.post(&format!("/api/v1/seasons/{}/groups", w.season))
        .auth(&w.agency)
        .json(group("only", 10, "2027-05-10", "2027-05-13"))
        .await
        .assert_status(201);
    let contracts = cover_ten(&app, &w, &w.agency).await;
    settle(&app, &w.ministry, "contract.approved", &contracts[3]).await;
    let readiness = |events: &[Value]| -> Vec<(String, i64)> {
        events
            .iter()
            .filter(|e| {
                e["type"] == "readiness.changed"
                    && e["record"]["id"] == json!(w.agency.organization_id)
            })
            .map(|e| {
                (
                    e["status"].as_str().unwrap().to_owned(),
                    e["record"]["version"].as_i64().unwrap(),
                )
            })
            .collect()
    };
    let agency_events = everything(&app, &w.agency).await;
    let seen = readiness(&agency_events);
    assert_eq!(seen.last().unwrap().0, "ready", "{seen:?}");
    assert!(
        seen[..seen.len() - 1]
            .iter()
            .all(|(s, _)| s == "incomplete"),
        "{seen:?}"
    );
    let versions: Vec<i64> = seen.iter().map(|(_, v)| *v).collect();
    assert_eq!(versions, (1..=seen.len() as i64).collect::<Vec<_>>());
    // Who sees the agency's readiness: as its plans (its office, its country's tawafa, the
    // ministry), never a provider.
    for (who, expected) in [
        (&w.office, true),
        (&w.tawafa, true),
        (&w.ministry, true),
        (&w.provider, false),
        (&w.other_tawafa, false),
        (&w.other_office, false),
    ] {
        let events = everything(&app, who).await;
        assert_eq!(readiness(&events) == seen, expected, "{}", who.email);
        if !expected {
            assert!(readiness(&events).is_empty());
        }
    }

    // A failed inspection withdraws the cover: the inspection and the change both show.
    let failed = app
        .post("/api/v1/inspections")
        .auth(&w.tawafa)
        .json(json!({"contract_id": contracts[0], "inspected_on": "2026-11-01", "result": "fail", "findings": "fire exits blocked"}))
        .await;
    let inspection = failed.assert_status(201)["id"].as_str().unwrap().to_owned();
    settle(&app, &w.ministry, "inspection.recorded", &inspection).await;
    let (after, _) = follow(&app, &w.agency, "", 500).await;
    let tail: Vec<(String, String)> = steps(&after[agency_events.len()..]);
    assert_eq!(
        tail,
        [
            ("inspection.recorded".to_owned(), inspection.clone()),
            (
                "readiness.changed".to_owned(),
                w.agency.organization_id.clone()
            )
        ]
    );
    assert_eq!(after.last().unwrap()["status"], "incomplete");
    assert_eq!(after[agency_events.len()]["status"], "fail");
    for (who, expected) in [
        (&w.office, true),
        (&w.provider, true),
        (&w.tawafa, true),
        (&w.other_tawafa, false),
        (&w.other_provider, false),
        (&w.other_office, false),
        (&w.authority, false),
    ] {
        let events = everything(&app, who).await;
        assert_eq!(
            !about(&events, &inspection).is_empty(),
            expected,
            "{}",
            who.email
        );
    }

    // An extension shows to the client it was granted to and the ministry only.
    let granted = app
        .post(&format!("/api/v1/seasons/{}/extensions", w.season))
        .auth(&w.ministry)
        .json(json!({"organization_id": w.agency.organization_id, "contract_type": "housing", "until": "2027-03-20", "reason": "flights moved"}))
        .await;
    let extension = granted.assert_status(201)["id"]
        .as_str()
        .unwrap()
        .to_owned();
    settle(&app, &w.ministry, "extension.granted", &extension).await;
    for (who, expected) in [
        (&w.agency, true),
        (&w.ministry, true),
        (&w.office, false),
        (&w.tawafa, false),
        (&w.provider, false),
    ] {
        let events = everything(&app, who).await;
        let found = about(&events, &extension);
        assert_eq!(found.len(), usize::from(expected), "{}", who.email);
        if expected {
            assert_eq!(found[0]["type"], "extension.granted");
        }
    }
    assert!(everything(&app, &w.ministry).await.len() > start);
}

/// Clients write at once (submissions racing for one building, cancellations) through every
/// process while a consumer polls through them in turn: its events are exactly all the events, in
/// the feed's order, each once.
async fn a_consumer_misses_nothing_while_others_write(apis: &[&TestApp]) {
    let app = apis[0];
    let w = World::new(app).await;
    let clients = [&w.office, &w.agency, &w.other_office];
    let mut drafts = Vec::new();
    for i in 0..36 {
        let body = w.housing(4, "2027-05-10", "2027-05-12");
        drafts.push((i % 3, w.draft(app, clients[i % 3], body).await));
    }
    settle(app, &w.ministry, "contract.created", &drafts[35].1).await;
    let (_, start) = follow(app, &w.ministry, "", 500).await;
    let writers = async {
        for round in drafts.chunks(12) {
            let submits = round.iter().enumerate().map(|(i, (c, id))| {
                apis[i % apis.len()]
                    .post(&format!("/api/v1/contracts/{id}/submit"))
                    .auth(clients[*c])
                    .send()
            });
            join_all(submits).await;
            let cancels = round.iter().enumerate().step_by(2).map(|(i, (c, id))| {
                apis[(i + 1) % apis.len()]
                    .post(&format!("/api/v1/contracts/{id}/cancel"))
                    .auth(clients[*c])
                    .json(json!({"reason": "plans changed"}))
            });
            join_all(cancels).await;
        }
    };
    let consumer = async {
        let (mut seen, mut cursor) = (Vec::new(), start.clone());
        for i in 0..40 {
            let (events, next) = follow(apis[i % apis.len()], &w.ministry, &cursor, 7).await;
            seen.extend(events);
            cursor = next;
            actix_web::rt::time::sleep(std::time::Duration::from_millis(15)).await;
        }
        (seen, cursor)
    };
    let ((), (mut seen, cursor)) = futures_util::future::join(writers, consumer).await;
    // One more write after all the others, to know when the feed has settled past them.
    let last = w
        .draft(app, &w.office, w.housing(1, "2027-05-01", "2027-05-02"))
        .await;
    settle(app, &w.ministry, "contract.created", &last).await;
    let (rest, _) = follow(app, &w.ministry, &cursor, 7).await;
    seen.extend(rest);
    let (all, _) = follow(app, &w.ministry, &start, 500).await;
    assert!(
        all.len() > 20,
        "the submissions and cancellations left events: {}",
        all.len()
    );
    let ids = |events: &[Value]| -> Vec<String> {
        events
            .iter()
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        ids(&seen),
        ids(&all),
        "the same events, in the same order, once each"
    );
}

async fn one_process_consumer(app: TestApp) {
    a_consumer_misses_nothing_while_others_write(&[&app]).await;
}

crate::backend_tests!(
    each_party_reads_what_it_sees,
    readiness_extensions_and_inspections,
    one_process_consumer,
);

#[actix_web::test]
async fn two_postgres_processes_feed_one_consumer() {
    let Some(two) = TwoProcesses::start(Backend::Postgres) else {
        return;
    };
    a_consumer_misses_nothing_while_others_write(&[&two.a, &two.b]).await;
}

/// Restored into another PostgreSQL cluster, whose transaction ids run lower than the ones the feed
/// stored (made here by raising the stored ones), the feed still puts new events after every cursor
/// it handed out: start-up shifts its ids.
#[actix_web::test]
async fn a_restored_feed_keeps_rising() {
    use diesel::RunQueryDsl;
    let Some(app) = crate::helpers::spawn_app(Backend::Postgres).await else {
        return;
    };
    let w = World::new(&app).await;
    settle(
        &app,
        &w.ministry,
        "readiness.changed",
        &w.agency.organization_id,
    )
    .await;
    let mut conn = etrack::storage::establish(app.database()).unwrap();
    diesel::sql_query("UPDATE feed_events SET tx = tx + 1000000000")
        .execute(&mut conn)
        .unwrap();
    // What every process does as it starts.
    etrack::storage::migrate(&mut conn).unwrap();
    let (before, cursor) = follow(&app, &w.ministry, "", 500).await;
    assert!(!before.is_empty());
    let id = w
        .draft(&app, &w.office, w.housing(2, "2027-05-01", "2027-05-02"))
        .await;
    settle(&app, &w.ministry, "contract.created", &id).await;
    let (next, _) = follow(&app, &w.ministry, &cursor, 500).await;
    // The new event comes after the cursor, and nothing read before comes again. (An event of the
    // set-up may come with it: a busy cluster can hold a committed one back until every older
    // transaction has ended.)
    let seen: Vec<&Value> = before.iter().map(|e| &e["id"]).collect();
    assert!(next.iter().all(|e| !seen.contains(&&e["id"])), "{next:?}");
    assert!(
        steps(&next).contains(&("contract.created".to_owned(), id)),
        "{next:?}"
    );
}
