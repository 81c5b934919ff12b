//! What is kept only for a while, and its pruning: emails and webhook deliveries sent or given up, idempotency answers,
//! sign-in counters, sessions that expired or were revoked, and password links used or expired. Each round deletes in small
//! batches, each batch its own short transaction, so no lock is held for long. Several processes
//! take turns: on PostgreSQL a batch runs only where a transaction-scoped advisory lock is free;
//! SQLite serves one process.
//!
//! The audit log is never pruned (see `docs/operations.md`, "Archiving the audit log").

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::Bool;

use super::schema::{
    idempotent_requests, outbox, refresh_tokens, sessions, throttles, user_tokens,
    webhook_deliveries,
};
use super::{DbConnection, write_transaction};

/// Rows deleted per transaction.
pub const BATCH: i64 = 500;

/// The advisory lock that makes pruners of several processes take turns (an arbitrary constant).
const PRUNER_LOCK: i64 = 0x6574_7261_636b_5052;

/// What is pruned, and rows older than when.
#[derive(Clone, Copy, Debug)]
pub struct Cutoffs {
    /// Emails and webhook deliveries sent, or given up after their attempts, before this.
    pub emails: NaiveDateTime,
    /// Idempotency answers given before this.
    pub idempotency: NaiveDateTime,
    /// Sign-in counters last charged before this (and no longer holding a wait).
    pub sign_in_counters: NaiveDateTime,
    /// Sessions that expired or were revoked before this, with their refresh tokens; password
    /// links used or expired before this.
    pub sessions: NaiveDateTime,
    /// The present, for waits still running.
    pub now: NaiveDateTime,
}

/// How many rows one round deleted, per kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pruned {
    pub emails: usize,
    pub idempotency: usize,
    pub sign_in_counters: usize,
    pub sessions: usize,
    pub password_links: usize,
    pub webhook_deliveries: usize,
}

/// Prunes everything past its cutoff, batch by batch, until nothing is left or another process
/// holds the turn.
pub fn prune(conn: &mut DbConnection, cutoffs: &Cutoffs) -> QueryResult<Pruned> {
    Ok(Pruned {
        emails: until_done(conn, |c| emails(c, cutoffs.emails))?,
        idempotency: until_done(conn, |c| idempotency(c, cutoffs.idempotency))?,
        sign_in_counters: until_done(conn, |c| {
            sign_in_counters(c, cutoffs.sign_in_counters, cutoffs.now)
        })?,
        sessions: until_done(conn, |c| ended_sessions(c, cutoffs.sessions))?,
        password_links: until_done(conn, |c| ended_links(c, cutoffs.sessions))?,
        webhook_deliveries: until_done(conn, |c| deliveries(c, cutoffs.emails))?,
    })
}

/// Runs `batch` in its own transaction while it deletes a full batch; `None` from a batch means
/// another process has the turn.
fn until_done(
    conn: &mut DbConnection,
    mut batch: impl FnMut(&mut DbConnection) -> QueryResult<usize>,
) -> QueryResult<usize> {
    let mut total = 0;
    loop {
        let deleted = write_transaction(conn, |conn| {
            if !my_turn(conn)? {
                return Ok(None);
            }
            batch(conn).map(Some)
        })?;
        match deleted {
            Some(n) => {
                total += n;
                if (n as i64) < BATCH {
                    return Ok(total);
                }
            }
            None => return Ok(total),
        }
    }
}

/// On PostgreSQL, whether this transaction holds the pruners' lock (released at its end).
fn my_turn(conn: &mut DbConnection) -> QueryResult<bool> {
    match conn {
        DbConnection::Postgresql(c) => diesel::select(diesel::dsl::sql::<Bool>(&format!(
            "pg_try_advisory_xact_lock({PRUNER_LOCK})"
        )))
        .get_result(c),
        DbConnection::Sqlite(_) => Ok(true),
    }
}

fn emails(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    let done = || {
        outbox::table
            .filter(outbox::status.eq_any(["sent", "failed"]))
            .filter(outbox::created_at.lt(before))
    };
    let ids: Vec<String> = done().select(outbox::id).limit(BATCH).load(conn)?;
    diesel::delete(outbox::table.filter(outbox::id.eq_any(&ids))).execute(conn)
}

fn deliveries(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    let ids: Vec<String> = webhook_deliveries::table
        .filter(webhook_deliveries::status.eq_any(["delivered", "failed"]))
        .filter(webhook_deliveries::created_at.lt(before))
        .select(webhook_deliveries::id)
        .limit(BATCH)
        .load(conn)?;
    diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::id.eq_any(&ids)))
        .execute(conn)
}

fn idempotency(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    // The key is two columns: a batch is bounded by the time of its last row instead.
    let last: Option<NaiveDateTime> = idempotent_requests::table
        .filter(idempotent_requests::created_at.lt(before))
        .order(idempotent_requests::created_at.asc())
        .select(idempotent_requests::created_at)
        .offset(BATCH - 1)
        .first(conn)
        .optional()?;
    let old = idempotent_requests::table.filter(idempotent_requests::created_at.lt(before));
    match last {
        // A full batch (rows sharing its last time go with it): there may be more.
        Some(last) => diesel::delete(old.filter(idempotent_requests::created_at.le(last)))
            .execute(conn)
            .map(|n| n.max(BATCH as usize)),
        None => diesel::delete(old).execute(conn),
    }
}

fn sign_in_counters(
    conn: &mut DbConnection,
    before: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let keys: Vec<String> = throttles::table
        .filter(throttles::last_at.lt(before))
        .filter(
            throttles::blocked_until
                .is_null()
                .or(throttles::blocked_until.lt(now)),
        )
        .select(throttles::throttle_key)
        .limit(BATCH)
        .load(conn)?;
    diesel::delete(throttles::table.filter(throttles::throttle_key.eq_any(&keys))).execute(conn)
}

fn ended_sessions(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    let ids: Vec<String> = sessions::table
        .filter(
            sessions::expires_at
                .lt(before)
                .or(sessions::revoked_at.lt(before)),
        )
        .select(sessions::id)
        .limit(BATCH)
        .load(conn)?;
    diesel::delete(refresh_tokens::table.filter(refresh_tokens::session_id.eq_any(&ids)))
        .execute(conn)?;
    diesel::delete(sessions::table.filter(sessions::id.eq_any(&ids))).execute(conn)
}

fn ended_links(conn: &mut DbConnection, before: NaiveDateTime) -> QueryResult<usize> {
    let ids: Vec<String> = user_tokens::table
        .filter(
            user_tokens::expires_at
                .lt(before)
                .or(user_tokens::used_at.lt(before)),
        )
        .select(user_tokens::token_hash)
        .limit(BATCH)
        .load(conn)?;
    diesel::delete(user_tokens::table.filter(user_tokens::token_hash.eq_any(&ids))).execute(conn)
}
