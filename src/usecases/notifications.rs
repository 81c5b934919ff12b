//! The inbox of the caller's organisation: what happened to its contracts and inspections, in the
//! reader's language.

use chrono::NaiveDateTime;

use crate::access::Caller;
use crate::domain::ids::NotificationId;
use crate::domain::organization::Language;
use crate::error::Error;
use crate::notify::templates::{Params, Template, render};
use crate::storage::DbConnection;
use crate::storage::notifications::{self as store, NotificationRow};

/// One notification as its reader reads it.
pub struct Notice {
    pub id: NotificationId,
    /// What happened: `contract_submitted`, `contract_approved`, `inspection_failed`, ...
    pub kind: String,
    pub subject: String,
    pub text: String,
    /// The contract it is about.
    pub entity_id: Option<String>,
    pub read: bool,
    pub created_at: NaiveDateTime,
}

fn notice(row: NotificationRow, lang: Language) -> Result<Notice, Error> {
    let template = Template::parse(&row.template).ok_or_else(Error::internal)?;
    let params: Params = serde_json::from_str(&row.params).map_err(|_| Error::internal())?;
    let rendered = render(template, &params, lang);
    Ok(Notice {
        id: row.id,
        kind: row.template,
        subject: rendered.subject,
        text: rendered.text,
        entity_id: row.entity_id,
        read: row.read_at.is_some(),
        created_at: row.created_at,
    })
}

/// Which notifications, in which order.
#[derive(Clone, Copy, Debug, Default)]
pub struct Inbox {
    pub unread_only: bool,
    pub newest_first: bool,
}

/// One page of the caller's organisation's notifications after `after`.
pub fn inbox(
    conn: &mut DbConnection,
    caller: &Caller,
    lang: Language,
    which: Inbox,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Notice>, Error> {
    store::inbox(
        conn,
        &caller.organization_id,
        which.unread_only,
        which.newest_first,
        after,
        limit,
    )?
    .into_iter()
    .map(|row| notice(row, lang))
    .collect()
}

/// How many of the organisation's notifications nobody has read.
pub fn unread(conn: &mut DbConnection, caller: &Caller) -> Result<i64, Error> {
    Ok(store::unread_count(conn, &caller.organization_id)?)
}

/// Marks one of the organisation's notifications read (again: no change); another
/// organisation's is not found.
pub fn mark_read(
    conn: &mut DbConnection,
    caller: &Caller,
    lang: Language,
    id: &NotificationId,
) -> Result<Notice, Error> {
    let row = store::mark_read(conn, &caller.organization_id, id)?.ok_or_else(Error::not_found)?;
    notice(row, lang)
}
