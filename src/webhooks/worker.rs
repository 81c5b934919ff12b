//! The webhook worker inside `serve`: queues each active subscription's next events from the change
//! feed, then claims due deliveries for a lease, posts them signed, and records the outcome,
//! retrying with growing delays. Every process runs one; the queue position is moved by
//! compare-and-set and deliveries are claimed one conditional statement at a time, so several
//! processes neither queue an event twice nor send a delivery at once. A delivery whose worker died
//! is sent again, with the same `webhook-id`, once its lease ran out. Sending runs apart from the
//! request handlers: a slow or failing receiver only ever holds this worker's connections.

use std::time::Duration;

use actix_web::web;
use futures_util::future::join_all;

use super::{TargetPolicy, client, sign};
use crate::domain::ids::WebhookId;
use crate::storage::webhooks::{self as store, DeliveryRow, SubscriptionRow};
use crate::storage::{DbPool, now, with_connection, write_transaction};
use crate::usecases::webhooks as usecases;

/// How deliveries go out.
#[derive(Clone, Copy, Debug)]
pub struct Settings {
    pub policy: TargetPolicy,
    /// How often the worker looks for events to queue and deliveries due.
    pub every: Duration,
    /// How long a claim on a delivery holds before another process may send it.
    pub lease: Duration,
    /// The longest a receiver may take to answer.
    pub timeout: Duration,
    /// The first retry's delay; later ones grow from it (see [`retry_delay`]).
    pub retry_base: Duration,
}

/// Deliveries claimed (and sent at once) per round.
const BATCH: i64 = 16;

/// Retry delays as multiples of the base (5 s by default: 5 s, 30 s, 2 min, 10 min, 30 min, 1 h,
/// 2 h, 4 h, 8 h, 8 h, about a day in all); after the last, the delivery is given up.
const RETRY_FACTORS: [u32; 10] = [1, 6, 24, 120, 360, 720, 1440, 2880, 5760, 5760];

/// The delay before retry `attempt` (1, 2, ...), or `None` once retries are spent.
pub fn retry_delay(attempt: i32, base: Duration) -> Option<Duration> {
    let index = usize::try_from(attempt.checked_sub(1)?).ok()?;
    RETRY_FACTORS.get(index).map(|f| base * *f)
}

pub fn spawn(pool: DbPool, settings: Settings) {
    let worker = uuid::Uuid::new_v4().to_string();
    actix_web::rt::spawn(async move {
        let http = client(settings.policy, settings.timeout);
        let mut tick = actix_web::rt::time::interval(settings.every);
        loop {
            tick.tick().await;
            queue_all(&pool).await;
            while run_once(&pool, &http, &worker, &settings).await >= BATCH as usize {}
        }
    });
}

/// Queues the next events of every active subscription that the feed has moved past (read first,
/// so that a quiet feed costs no write transaction).
async fn queue_all(pool: &DbPool) {
    let pool = pool.clone();
    let queued = web::block(move || {
        with_connection(&pool, |conn| -> Result<usize, crate::error::Error> {
            let Some(horizon) = crate::storage::feed::horizon(conn)? else {
                return Ok(0);
            };
            let mut queued = 0;
            for sub in store::active(conn)? {
                if sub.position() >= horizon {
                    continue;
                }
                // Another process may have queued the same events first: then this one did not.
                queued += write_transaction(conn, |conn| usecases::queue(conn, &sub)).unwrap_or(0);
            }
            Ok(queued)
        })
    })
    .await;
    if let Ok(Err(e)) = queued {
        tracing::warn!(error = %e, "queueing webhook deliveries failed; will retry");
    }
}

/// One round: claim, send, record. Returns how many were claimed.
async fn run_once(pool: &DbPool, http: &awc::Client, worker: &str, settings: &Settings) -> usize {
    let (claim_pool, me) = (pool.clone(), worker.to_owned());
    let lease_until =
        now() + chrono::Duration::from_std(settings.lease).unwrap_or(chrono::Duration::seconds(60));
    let claimed = web::block(move || {
        with_connection(&claim_pool, |conn| {
            let rows = store::claim(conn, &me, lease_until, BATCH)?;
            let mut pairs = Vec::with_capacity(rows.len());
            for row in rows {
                if let Some(sub) = store::find_subscription(conn, &row.subscription_id)? {
                    pairs.push((row, sub));
                }
            }
            Ok::<_, crate::storage::QueryError>(pairs)
        })
    })
    .await;
    let pairs = match claimed {
        Ok(Ok(pairs)) => pairs,
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "claiming webhook deliveries failed; will retry");
            return 0;
        }
        Err(_) => return 0,
    };
    let count = pairs.len();
    let sends = pairs.into_iter().map(|(row, sub)| async move {
        let outcome = send(http, settings.policy, &row, &sub).await;
        record(pool, worker, settings, row, sub.id, outcome).await;
    });
    join_all(sends).await;
    count
}

/// What a receiver answered: its status, or why none came.
type Outcome = Result<u16, String>;

/// Posts one delivery, signed with every secret that signs now, if its target is still allowed
/// (the policy may have changed since it was subscribed; names are checked as they resolve).
async fn send(
    http: &awc::Client,
    policy: TargetPolicy,
    row: &DeliveryRow,
    sub: &SubscriptionRow,
) -> Outcome {
    if let Err(e) = policy.check_url(&sub.url) {
        return Err(format!("the target is not allowed ({})", e.code));
    }
    let at = now();
    let timestamp = at.and_utc().timestamp();
    let signatures: Vec<String> = usecases::signing_secrets(sub, at)
        .into_iter()
        .filter_map(|secret| sign(secret, &row.id, timestamp, &row.body))
        .collect();
    let response = http
        .post(&sub.url)
        .insert_header(("webhook-id", row.id.as_str()))
        .insert_header(("webhook-timestamp", timestamp.to_string()))
        .insert_header(("webhook-signature", signatures.join(" ")))
        .insert_header(("content-type", "application/json"))
        .insert_header(("user-agent", "e-track-webhooks"))
        .send_body(row.body.clone())
        .await
        .map_err(|e| e.to_string())?;
    Ok(response.status().as_u16())
}

async fn record(
    pool: &DbPool,
    worker: &str,
    settings: &Settings,
    row: DeliveryRow,
    sub_id: WebhookId,
    outcome: Outcome,
) {
    let (pool, me, base) = (pool.clone(), worker.to_owned(), settings.retry_base);
    let delivered = matches!(outcome, Ok(status) if (200..300).contains(&status));
    match &outcome {
        Ok(status) if delivered => {
            tracing::info!(delivery = %row.id, status, "webhook delivered")
        }
        Ok(status) => tracing::warn!(delivery = %row.id, status, "webhook refused"),
        Err(_) => tracing::warn!(delivery = %row.id, "webhook not delivered"),
    }
    let recorded = web::block(move || {
        with_connection(&pool, |conn| {
            write_transaction(conn, |conn| -> Result<(), crate::error::Error> {
                let attempts = row.attempts + 1;
                let (status, error) = match &outcome {
                    Ok(s) => (Some(i32::from(*s)), None),
                    Err(e) => (None, Some(e.chars().take(500).collect::<String>())),
                };
                let retry_at = if delivered {
                    None
                } else {
                    retry_delay(attempts, base)
                        .and_then(|d| chrono::Duration::from_std(d).ok())
                        .map(|d| now() + d)
                };
                store::record_attempt(
                    conn,
                    &row.id,
                    &me,
                    (delivered, status, error.as_deref()),
                    retry_at,
                )?;
                if delivered {
                    usecases::succeeded(conn, &sub_id)
                } else {
                    usecases::failed(conn, &sub_id).map(|_| ())
                }
            })
        })
    })
    .await;
    if !matches!(recorded, Ok(Ok(()))) {
        tracing::warn!(
            "recording a webhook delivery failed; its lease will expire and it is sent again"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_grow_for_about_a_day_then_stop() {
        let base = Duration::from_secs(5);
        assert_eq!(retry_delay(1, base), Some(Duration::from_secs(5)));
        assert_eq!(retry_delay(2, base), Some(Duration::from_secs(30)));
        let total: Duration = (1..=10).filter_map(|a| retry_delay(a, base)).sum();
        assert!(total > Duration::from_secs(20 * 3600) && total < Duration::from_secs(30 * 3600));
        assert_eq!(retry_delay(11, base), None);
        assert_eq!(retry_delay(0, base), None);
    }
}
