//! The inbox and the email outbox.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::prepared::KeepPrepared;
use super::schema::{notifications, organizations, outbox, reminders, users, wallet_reminders};
use super::{DbConnection, now};
use crate::domain::ids::{NotificationId, OrganizationId, OutboxId, SeasonId};
use crate::domain::season::ContractType;

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    pub id: NotificationId,
    pub organization_id: OrganizationId,
    pub template: String,
    pub params: String,
    pub entity_id: Option<String>,
    pub read_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = outbox)]
pub struct OutboxRow {
    pub id: OutboxId,
    /// The inbox notification it tells of; none for emails about one's own account.
    pub notification_id: Option<NotificationId>,
    pub recipient_email: String,
    pub recipient_name: String,
    pub language: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub sent_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn insert_notification(conn: &mut DbConnection, row: &NotificationRow) -> QueryResult<()> {
    diesel::insert_into(notifications::table)
        .values(row)
        .prepared()
        .execute(conn)
        .map(|_| ())
}

pub fn insert_outbox(conn: &mut DbConnection, row: &OutboxRow) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values(row)
        .prepared()
        .execute(conn)
        .map(|_| ())
}

/// The active users of an active organisation: (email, full name, language).
pub fn recipients(
    conn: &mut DbConnection,
    organization_id: &OrganizationId,
) -> QueryResult<Vec<(String, String, String)>> {
    users::table
        .inner_join(organizations::table)
        .filter(users::organization_id.eq(organization_id))
        .filter(users::active.eq(true))
        .filter(organizations::status.eq("active"))
        .select((users::email, users::full_name, users::language))
        .order(users::id.asc())
        .load(conn)
}

pub fn inbox(
    conn: &mut DbConnection,
    organization_id: &OrganizationId,
    unread_only: bool,
    newest_first: bool,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<NotificationRow>> {
    let mut query = notifications::table
        .filter(notifications::organization_id.eq(organization_id.to_owned()))
        .into_boxed();
    if unread_only {
        query = query.filter(notifications::read_at.is_null());
    }
    match (after, newest_first) {
        (Some(after), false) => query = query.filter(notifications::id.gt(after.to_owned())),
        (Some(after), true) => query = query.filter(notifications::id.lt(after.to_owned())),
        (None, _) => {}
    }
    if newest_first {
        query = query.order(notifications::id.desc());
    } else {
        query = query.order(notifications::id.asc());
    }
    query.limit(limit).load(conn)
}

/// How many of an organisation's notifications are unread.
pub fn unread_count(conn: &mut DbConnection, organization_id: &OrganizationId) -> QueryResult<i64> {
    notifications::table
        .filter(notifications::organization_id.eq(organization_id))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)
}

/// Marks an organisation's notification read; `None` if it has no such notification.
pub fn mark_read(
    conn: &mut DbConnection,
    organization_id: &OrganizationId,
    id: &NotificationId,
) -> QueryResult<Option<NotificationRow>> {
    diesel::update(
        notifications::table
            .filter(notifications::id.eq(id))
            .filter(notifications::organization_id.eq(organization_id))
            .filter(notifications::read_at.is_null()),
    )
    .set(notifications::read_at.eq(now()))
    .execute(conn)?;
    notifications::table
        .filter(notifications::id.eq(id))
        .filter(notifications::organization_id.eq(organization_id))
        .first(conn)
        .optional()
}

/// Claims up to `limit` due emails for `worker` until `lease_until`. Each row is taken by one
/// conditional statement, so two workers (in one process or many) never hold the same row; a
/// claim whose lease ran out (its worker died) is taken again.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<OutboxRow>> {
    let at = now();
    let due: Vec<String> = outbox::table
        .filter(outbox::status.eq("pending"))
        .filter(outbox::next_attempt_at.le(at))
        .filter(
            outbox::claimed_until
                .is_null()
                .or(outbox::claimed_until.lt(at)),
        )
        .order(outbox::next_attempt_at.asc())
        .select(outbox::id)
        .limit(limit)
        .load(conn)?;
    let mut claimed = Vec::new();
    for id in due {
        let won = diesel::update(
            outbox::table
                .filter(outbox::id.eq(&id))
                .filter(outbox::status.eq("pending"))
                .filter(
                    outbox::claimed_until
                        .is_null()
                        .or(outbox::claimed_until.lt(at)),
                ),
        )
        .set((
            outbox::claimed_by.eq(worker),
            outbox::claimed_until.eq(lease_until),
        ))
        .prepared()
        .execute(conn)?;
        if won == 1 {
            claimed.push(outbox::table.find(&id).first(conn)?);
        }
    }
    Ok(claimed)
}

pub fn mark_sent(conn: &mut DbConnection, id: &OutboxId, worker: &str) -> QueryResult<()> {
    diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::claimed_by.eq(worker)),
    )
    .set((
        outbox::status.eq("sent"),
        outbox::sent_at.eq(now()),
        outbox::attempts.eq(outbox::attempts + 1),
        outbox::claimed_until.eq(None::<NaiveDateTime>),
    ))
    .prepared()
    .execute(conn)
    .map(|_| ())
}

/// Records a failed attempt: retried at `retry_at`, or given up for good when `retry_at` is `None`.
pub fn mark_failed(
    conn: &mut DbConnection,
    id: &OutboxId,
    worker: &str,
    error: &str,
    retry_at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    let status = if retry_at.is_some() {
        "pending"
    } else {
        "failed"
    };
    diesel::update(
        outbox::table
            .filter(outbox::id.eq(id))
            .filter(outbox::claimed_by.eq(worker)),
    )
    .set((
        outbox::status.eq(status),
        outbox::attempts.eq(outbox::attempts + 1),
        outbox::next_attempt_at.eq(retry_at.unwrap_or_else(now)),
        outbox::last_error.eq(error),
        outbox::claimed_until.eq(None::<NaiveDateTime>),
    ))
    .prepared()
    .execute(conn)
    .map(|_| ())
}

/// Every outbox row, oldest first (for operators and tests).
pub fn outbox_rows(conn: &mut DbConnection) -> QueryResult<Vec<OutboxRow>> {
    outbox::table.order(outbox::id.asc()).load(conn)
}

/// Marks a deadline reminder as sent, once: `false` if it was sent already (by this process or
/// another).
pub fn claim_reminder(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
    contract_type: ContractType,
    days_before: i64,
) -> QueryResult<bool> {
    let row = (
        reminders::season_id.eq(season_id),
        reminders::organization_id.eq(organization_id),
        reminders::contract_type.eq(contract_type.as_str()),
        reminders::days_before.eq(days_before as i32),
        reminders::sent_at.eq(now()),
    );
    let inserted = super::insert_or_ignore!(conn, reminders::table, row)?;
    Ok(inserted == 1)
}

/// The deadline reminders of a season already claimed, of those sent `days_before` one of `days`:
/// each client's, by contract type and days before.
pub fn claimed_reminders(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    days: &[i64],
) -> QueryResult<Vec<(OrganizationId, String, i32)>> {
    let days: Vec<i32> = days.iter().map(|d| *d as i32).collect();
    reminders::table
        .filter(reminders::season_id.eq(season_id))
        .filter(reminders::days_before.eq_any(days))
        .select((
            reminders::organization_id,
            reminders::contract_type,
            reminders::days_before,
        ))
        .load(conn)
}

/// Claims the wallet reminder of a client in a season for the contracts starting on `first_day`,
/// `days_before` it: true the first time only, whichever process asks.
pub fn claim_wallet_reminder(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    organization_id: &OrganizationId,
    first_day: chrono::NaiveDate,
    days_before: i64,
) -> QueryResult<bool> {
    let row = (
        wallet_reminders::season_id.eq(season_id),
        wallet_reminders::organization_id.eq(organization_id),
        wallet_reminders::first_day.eq(first_day),
        wallet_reminders::days_before.eq(days_before as i32),
        wallet_reminders::sent_at.eq(now()),
    );
    let inserted = super::insert_or_ignore!(conn, wallet_reminders::table, row)?;
    Ok(inserted == 1)
}

/// Emails waiting to be sent: how many, and when the oldest was queued; and how many were given up.
pub fn backlog(conn: &mut DbConnection) -> QueryResult<(i64, Option<NaiveDateTime>, i64)> {
    let (pending, oldest) = outbox::table
        .filter(outbox::status.eq("pending"))
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(outbox::created_at),
        ))
        .first(conn)?;
    let failed = outbox::table
        .filter(outbox::status.eq("failed"))
        .count()
        .get_result(conn)?;
    Ok((pending, oldest, failed))
}
