//! Reading the audit log (docs/domain.md section 8): the ministry only. Every write appends its
//! event in its own transaction (see [`crate::audit`]); here the log is listed and its hash chain
//! checked.

use crate::access::{self, Caller};
use crate::error::Error;
use crate::storage::DbConnection;
use crate::storage::audit::{self as store, AuditFilter, AuditRow, Verification};

/// A page of events, oldest first: `window` is where the page starts and how many rows to fetch,
/// or why the requested page could not be read (judged after the caller's right to read the log:
/// 403 before 400).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &AuditFilter,
    window: Result<(Option<&str>, i64), Error>,
) -> Result<Vec<AuditRow>, Error> {
    access::read_audit(caller)?;
    let (after, limit) = window?;
    Ok(store::list(conn, filter, after, limit)?)
}

/// A page of events, newest first, before the event `before` (the console's order: a reader
/// looks for what happened lately).
pub fn newest(
    conn: &mut DbConnection,
    caller: &Caller,
    filter: &AuditFilter,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<AuditRow>, Error> {
    access::read_audit(caller)?;
    Ok(store::list_newest(conn, filter, before, limit)?)
}

/// Seals what is pending, then recomputes the whole chain.
pub fn verify(conn: &mut DbConnection, caller: &Caller) -> Result<Verification, Error> {
    access::read_audit(caller)?;
    store::seal_all(conn)?;
    Ok(store::verify(conn)?)
}
