//! The outbox worker inside `serve`: claims due emails for a lease, sends them, and marks them
//! sent, or schedules a retry with a growing delay, giving up after a bounded number of attempts
//! with the failure recorded. Every process runs one; claims keep them from sending a row twice.

use std::sync::Arc;
use std::time::Duration;

use actix_web::web;
use lettre::message::Mailbox;

use super::backoff;
use super::mailer::Mailer;
use crate::storage::notifications as store;
use crate::storage::{DbPool, now, with_connection};

/// Attempts before an email is given up.
pub const MAX_ATTEMPTS: i32 = 8;
const BATCH: i64 = 20;

/// Runs the worker every `every`; its claims hold for `lease` (a worker that dies lets its rows
/// go after that).
pub fn spawn(pool: DbPool, mailer: Arc<Mailer>, from: Mailbox, every: Duration, lease: Duration) {
    let worker = uuid::Uuid::new_v4().to_string();
    actix_web::rt::spawn(async move {
        let mut tick = actix_web::rt::time::interval(every);
        loop {
            tick.tick().await;
            while run_once(&pool, &mailer, &from, &worker, lease).await >= BATCH as usize {}
        }
    });
}

/// One round: claim, send, record. Returns how many were claimed.
pub async fn run_once(
    pool: &DbPool,
    mailer: &Mailer,
    from: &Mailbox,
    worker: &str,
    lease: Duration,
) -> usize {
    let (claim_pool, me) = (pool.clone(), worker.to_owned());
    let lease_until =
        now() + chrono::Duration::from_std(lease).unwrap_or(chrono::Duration::seconds(60));
    let claimed = web::block(move || {
        with_connection(&claim_pool, |conn| {
            store::claim(conn, &me, lease_until, BATCH)
        })
    })
    .await;
    let rows = match claimed {
        Ok(Ok(rows)) => rows,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "claiming outbox rows failed; will retry");
            return 0;
        }
        Err(_) => return 0,
    };
    let count = rows.len();
    for row in rows {
        let outcome = mailer.send(from, &row).await;
        let (pool, me) = (pool.clone(), worker.to_owned());
        let attempts = row.attempts + 1;
        // Only ids and counts are logged: never an address, a subject or a body.
        match &outcome {
            Ok(()) => tracing::info!(outbox_id = %row.id, "email sent"),
            Err(_) => tracing::warn!(outbox_id = %row.id, attempts, "email not sent"),
        }
        let recorded = web::block(move || {
            with_connection(&pool, |conn| match outcome {
                Ok(()) => store::mark_sent(conn, &row.id, &me),
                Err(error) => {
                    let retry_at = (attempts < MAX_ATTEMPTS).then(|| now() + backoff(attempts));
                    store::mark_failed(conn, &row.id, &me, &error, retry_at)
                }
            })
        })
        .await;
        if !matches!(recorded, Ok(Ok(()))) {
            tracing::warn!(
                "recording an email's outcome failed; its lease will expire and it is sent again"
            );
        }
    }
    count
}
