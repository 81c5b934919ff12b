//! Failure counters behind the sign-in limits. They live in the database so that every server
//! process sees the same counts.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::DbConnection;
use super::schema::throttles;

#[derive(Queryable, Debug, Clone)]
pub struct ThrottleRow {
    pub throttle_key: String,
    pub failures: i32,
    pub last_at: NaiveDateTime,
    pub blocked_until: Option<NaiveDateTime>,
}

pub fn find(conn: &mut DbConnection, key: &str) -> QueryResult<Option<ThrottleRow>> {
    throttles::table.find(key).first(conn).optional()
}

/// Counts one more failure if nobody else counted one since `seen` was read (`None`: no row
/// yet). Returns whether it was counted; the caller reads again and retries if not.
pub fn charge(
    conn: &mut DbConnection,
    key: &str,
    seen: Option<&ThrottleRow>,
    failures: i32,
    at: NaiveDateTime,
    blocked_until: Option<NaiveDateTime>,
) -> QueryResult<bool> {
    let changed = match seen {
        None => {
            let row = (
                throttles::throttle_key.eq(key),
                throttles::failures.eq(failures),
                throttles::last_at.eq(at),
                throttles::blocked_until.eq(blocked_until),
            );
            super::insert_or_ignore!(conn, throttles::table, row)?
        }
        Some(row) => diesel::update(
            throttles::table
                .filter(throttles::throttle_key.eq(key))
                .filter(throttles::failures.eq(row.failures))
                .filter(throttles::last_at.eq(row.last_at)),
        )
        .set((
            throttles::failures.eq(failures),
            throttles::last_at.eq(at),
            throttles::blocked_until.eq(blocked_until),
        ))
        .execute(conn)?,
    };
    Ok(changed == 1)
}

/// Forgets the failures of a key (a successful sign-in clears its account's counts).
pub fn clear(conn: &mut DbConnection, keys: &[String]) -> QueryResult<()> {
    diesel::delete(throttles::table.filter(throttles::throttle_key.eq_any(keys)))
        .execute(conn)
        .map(|_| ())
}

/// Gives back the attempt a success charged to a shared key (an address), without lifting a wait.
pub fn refund(conn: &mut DbConnection, key: &str) -> QueryResult<()> {
    diesel::update(
        throttles::table
            .filter(throttles::throttle_key.eq(key))
            .filter(throttles::failures.gt(0)),
    )
    .set(throttles::failures.eq(throttles::failures - 1))
    .execute(conn)
    .map(|_| ())
}

/// Keys (accounts, addresses) whose attempts are made to wait at `now`.
pub fn waiting(conn: &mut DbConnection, now: NaiveDateTime) -> QueryResult<i64> {
    throttles::table
        .filter(throttles::blocked_until.gt(now))
        .count()
        .get_result(conn)
}
