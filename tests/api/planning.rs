//! The statements a busy request runs are planned once per connection, not at every run: on
//! PostgreSQL an office's page of contracts and what a client's readiness reads of one client, on
//! SQLite every statement (docs/performance.md, "Statements planned at every run"); and SQLite
//! allocates without a lock of the whole process.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use etrack::access::ContractScope;
use etrack::domain::ids::{OrganizationId, SeasonId};
use etrack::storage::contracts::{self, ContractFilter};
use etrack::storage::documents::{self, HeldBy};
use etrack::storage::{DbConnection, ledger, plans};

use crate::helpers::{Backend, TestDb};
use crate::process::run_etrack;

#[derive(QueryableByName, Debug)]
struct Kept {
    #[diesel(sql_type = Text)]
    statement: String,
    #[diesel(sql_type = BigInt)]
    custom_plans: i64,
    #[diesel(sql_type = BigInt)]
    generic_plans: i64,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = Text)]
    id: String,
}

fn one_id(conn: &mut diesel::PgConnection, query: &str) -> String {
    diesel::sql_query(query)
        .get_result::<Id>(conn)
        .unwrap_or_else(|e| panic!("{query}: {e}"))
        .id
}

/// A small seeded season grown to 700 contracts an office (a season's office holds 500), so that
/// a bound `LIMIT`, estimated at a tenth of the office's rows, and a bound list of ids, estimated
/// at ten, would cost more in a plan for any values than in one for the values; then each
/// statement run twelve times on one connection. PostgreSQL plans a kept statement for its values
/// at its first five runs; after that, only a statement whose plan for any values looks dearer is
/// planned again.
#[test]
fn busy_statements_are_planned_once_per_connection() {
    let Some(db) = TestDb::create(Backend::Postgres) else {
        return;
    };
    let (ok, out) = run_etrack(&db.url, &["seed", "--scale", "small"]);
    assert!(ok, "{out}");
    let DbConnection::Postgresql(mut admin) = etrack::storage::establish(&db.url).unwrap() else {
        panic!("a PostgreSQL connection");
    };
    // Six copies of every contract under new ids (only reads follow), so that each office holds
    // 700 contracts and each client seven times its own.
    for copy in 1..=6 {
        admin
            .batch_execute(&format!(
                "CREATE TEMPORARY TABLE copied AS SELECT * FROM contracts \
                 WHERE id NOT LIKE '%-copy-%'; \
                 UPDATE copied SET id = id || '-copy-{copy}'; \
                 INSERT INTO contracts SELECT * FROM copied; DROP TABLE copied"
            ))
            .unwrap();
    }
    diesel::sql_query("ANALYZE").execute(&mut admin).unwrap();
    let season = SeasonId::from_stored(&one_id(&mut admin, "SELECT id FROM seasons LIMIT 1"));
    let client = OrganizationId::from_stored(&one_id(
        &mut admin,
        "SELECT client_id AS id FROM contracts WHERE status = 'approved' \
         GROUP BY client_id ORDER BY count(*) DESC, client_id LIMIT 1",
    ));
    let office = OrganizationId::from_stored(&one_id(
        &mut admin,
        "SELECT client_office_id AS id FROM contracts ORDER BY id LIMIT 1",
    ));

    let mut conn = etrack::storage::establish(&db.url).unwrap();
    let scope = ContractScope::Office(office);
    let clients = std::slice::from_ref(&client);
    for _ in 0..12 {
        let page = contracts::list(
            &mut conn,
            (&scope, None),
            &ContractFilter::default(),
            None,
            51,
        )
        .unwrap();
        assert_eq!(page.len(), 51, "a full page and one more");
        ledger::shortfalls(&mut conn, &season, Some(clients), None).unwrap();
        let covering = plans::coverage(&mut conn, &season, Some(clients)).unwrap();
        assert!(!covering.is_empty(), "the client has approved contracts");
        documents::held(&mut conn, HeldBy::Season(&season, Some(clients))).unwrap();
        plans::season_groups(&mut conn, &season, Some(clients)).unwrap();
    }
    let DbConnection::Postgresql(conn) = &mut conn else {
        unreachable!()
    };
    let kept = diesel::sql_query(
        "SELECT statement, custom_plans, generic_plans FROM pg_prepared_statements \
         ORDER BY statement",
    )
    .load::<Kept>(conn)
    .unwrap();
    let ran = |part: &str| {
        kept.iter()
            .find(|k| k.statement.contains(part))
            .unwrap_or_else(|| panic!("no statement kept with {part}: {kept:#?}"))
    };
    for part in [
        "\"contracts\".\"client_office_id\" = $1",
        "SUM(contracts.total)",
        "inspections.contract_id = contracts.id",
        "\"documents\".\"withdrawn_at\" IS NULL",
        "FROM \"pilgrim_groups\"",
    ] {
        let statement = ran(part);
        assert!(
            statement.custom_plans <= 5 && statement.generic_plans >= 7,
            "planned for its values at every run: {statement:#?}"
        );
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// On SQLite, the statistics `etrack seed` leaves are rows per key only (`sqlite_stat1`), without
/// the samples of STAT4 (the bundled SQLite is built without it, see `.cargo/config.toml`): with
/// them, SQLite prepared a statement again at each run whose bound value they could weigh.
#[test]
fn sqlite_statistics_carry_no_samples() {
    let Some(db) = TestDb::create(Backend::Sqlite) else {
        return;
    };
    let (ok, out) = run_etrack(&db.url, &["seed", "--scale", "small"]);
    assert!(ok, "{out}");
    let DbConnection::Sqlite(mut conn) = etrack::storage::establish(&db.url).unwrap() else {
        panic!("a SQLite connection");
    };
    let count = |conn: &mut diesel::SqliteConnection, query: &str| {
        diesel::sql_query(query)
            .get_result::<Count>(conn)
            .unwrap()
            .n
    };
    assert!(
        count(&mut conn, "SELECT count(*) AS n FROM sqlite_stat1") > 0,
        "the seed analyzes"
    );
    assert_eq!(
        count(
            &mut conn,
            "SELECT count(*) AS n FROM sqlite_master WHERE name = 'sqlite_stat4'"
        ),
        0,
        "no samples kept"
    );
}

/// The bundled SQLite keeps no count of its memory: with the count, every allocation and free of
/// every connection takes one lock of the whole process (docs/performance.md, "SQLite: one lock
/// around every allocation").
#[test]
fn sqlite_allocates_without_a_global_lock() {
    let Some(db) = TestDb::create(Backend::Sqlite) else {
        return;
    };
    let DbConnection::Sqlite(mut conn) = etrack::storage::establish(&db.url).unwrap() else {
        panic!("a SQLite connection");
    };
    let used =
        diesel::sql_query("SELECT sqlite_compileoption_used('SQLITE_DEFAULT_MEMSTATUS=0') AS n")
            .get_result::<Count>(&mut conn)
            .unwrap()
            .n;
    assert_eq!(used, 1, "SQLite is built with SQLITE_DEFAULT_MEMSTATUS=0");
}
