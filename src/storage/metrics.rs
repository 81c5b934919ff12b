//! The gauges of `GET /metrics` that live in the database, read in one place.

use chrono::NaiveDateTime;

use super::{DbConnection, QueryResult, audit, notifications, now, throttles};
use crate::metrics::Gauges;

/// The outbox, the audit log's sealing lag and the sign-in waits, as of now.
pub fn gauges(conn: &mut DbConnection) -> QueryResult<Gauges> {
    let at = now();
    let age = |since: Option<NaiveDateTime>| {
        since.map_or(0.0, |t| (at - t).num_milliseconds().max(0) as f64 / 1000.0)
    };
    let (outbox_pending, oldest_email, outbox_failed) = notifications::backlog(conn)?;
    let (audit_unsealed, oldest_event) = audit::unsealed(conn)?;
    Ok(Gauges {
        outbox_pending,
        outbox_oldest_seconds: age(oldest_email),
        outbox_failed,
        audit_unsealed,
        audit_unsealed_oldest_seconds: age(oldest_event),
        sign_in_waits: throttles::waiting(conn, at)?,
        ..Gauges::default()
    })
}
