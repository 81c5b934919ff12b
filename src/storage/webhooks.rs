//! Webhook subscriptions and their deliveries (the webhooks' outbox).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::schema::{webhook_deliveries as deliveries, webhook_subscriptions as subscriptions};
use super::{DbConnection, now};
use crate::domain::feed::Position;
use crate::domain::ids::{OrganizationId, WebhookId};

#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = subscriptions)]
pub struct SubscriptionRow {
    pub id: WebhookId,
    pub organization_id: OrganizationId,
    pub url: String,
    /// Comma-separated event types; empty for every type.
    pub event_types: String,
    pub description: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_secret_until: Option<NaiveDateTime>,
    pub status: String,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<NaiveDateTime>,
    pub after_tx: i64,
    pub after_seq: i64,
    pub version: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl SubscriptionRow {
    pub fn position(&self) -> Position {
        Position {
            tx: self.after_tx,
            seq: self.after_seq,
        }
    }
}

#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = deliveries)]
pub struct DeliveryRow {
    pub id: String,
    pub subscription_id: WebhookId,
    pub event_id: String,
    pub event_type: String,
    pub record_key: String,
    pub position_tx: i64,
    pub position_seq: i64,
    pub body: String,
    pub status: String,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
    pub claimed_by: Option<String>,
    pub claimed_until: Option<NaiveDateTime>,
    pub last_status: Option<i32>,
    pub last_error: Option<String>,
    pub delivered_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
}

pub fn insert_subscription(conn: &mut DbConnection, row: &SubscriptionRow) -> QueryResult<()> {
    diesel::insert_into(subscriptions::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find_subscription(
    conn: &mut DbConnection,
    id: &WebhookId,
) -> QueryResult<Option<SubscriptionRow>> {
    subscriptions::table
        .find(id)
        .select(SubscriptionRow::as_select())
        .first(conn)
        .optional()
}

/// An organisation's subscriptions, oldest first.
pub fn subscriptions_of(
    conn: &mut DbConnection,
    organization_id: &OrganizationId,
) -> QueryResult<Vec<SubscriptionRow>> {
    subscriptions::table
        .filter(subscriptions::organization_id.eq(organization_id))
        .order(subscriptions::id.asc())
        .select(SubscriptionRow::as_select())
        .load(conn)
}

/// The subscriptions deliveries are queued for.
pub fn active(conn: &mut DbConnection) -> QueryResult<Vec<SubscriptionRow>> {
    subscriptions::table
        .filter(subscriptions::status.eq("active"))
        .order(subscriptions::id.asc())
        .select(SubscriptionRow::as_select())
        .load(conn)
}

/// Replaces what a subscriber may change, if still at `version`; false if it moved on.
pub fn update_subscription(
    conn: &mut DbConnection,
    row: &SubscriptionRow,
    version: i64,
) -> QueryResult<bool> {
    let changed = diesel::update(
        subscriptions::table
            .filter(subscriptions::id.eq(&row.id))
            .filter(subscriptions::version.eq(version)),
    )
    .set((
        subscriptions::url.eq(&row.url),
        subscriptions::event_types.eq(&row.event_types),
        subscriptions::description.eq(&row.description),
        subscriptions::secret.eq(&row.secret),
        subscriptions::previous_secret.eq(&row.previous_secret),
        subscriptions::previous_secret_until.eq(row.previous_secret_until),
        subscriptions::status.eq(&row.status),
        subscriptions::disabled_reason.eq(&row.disabled_reason),
        subscriptions::failing_since.eq(row.failing_since),
        subscriptions::version.eq(version + 1),
        subscriptions::updated_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

pub fn delete_subscription(conn: &mut DbConnection, id: &WebhookId) -> QueryResult<()> {
    diesel::delete(deliveries::table.filter(deliveries::subscription_id.eq(id))).execute(conn)?;
    diesel::delete(subscriptions::table.find(id))
        .execute(conn)
        .map(|_| ())
}

/// Moves a subscription's queue position from `from` to `to`; false if another process moved it
/// first (its deliveries are then not queued twice).
pub fn advance(
    conn: &mut DbConnection,
    id: &WebhookId,
    from: Position,
    to: Position,
) -> QueryResult<bool> {
    let moved = diesel::update(
        subscriptions::table
            .filter(subscriptions::id.eq(id))
            .filter(subscriptions::after_tx.eq(from.tx))
            .filter(subscriptions::after_seq.eq(from.seq)),
    )
    .set((
        subscriptions::after_tx.eq(to.tx),
        subscriptions::after_seq.eq(to.seq),
    ))
    .execute(conn)?;
    Ok(moved == 1)
}

pub fn insert_deliveries(conn: &mut DbConnection, rows: &[DeliveryRow]) -> QueryResult<()> {
    for row in rows {
        diesel::insert_into(deliveries::table)
            .values(row)
            .execute(conn)?;
    }
    Ok(())
}

/// Claims up to `limit` due deliveries for `worker` until `lease_until`, each by one conditional
/// statement (as the email outbox does). A delivery waits while an earlier one about the same record
/// for the same subscription is still pending, so that a record's events arrive in order.
pub fn claim(
    conn: &mut DbConnection,
    worker: &str,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    let at = now();
    let free = || {
        deliveries::claimed_until
            .is_null()
            .or(deliveries::claimed_until.lt(at))
    };
    let active = subscriptions::table
        .filter(subscriptions::status.eq("active"))
        .select(subscriptions::id);
    let due: Vec<DeliveryRow> = deliveries::table
        .filter(deliveries::status.eq("pending"))
        .filter(deliveries::subscription_id.eq_any(active))
        .filter(deliveries::next_attempt_at.le(at))
        .filter(free())
        .order((
            deliveries::position_tx.asc(),
            deliveries::position_seq.asc(),
        ))
        .limit(limit * 4)
        .select(DeliveryRow::as_select())
        .load(conn)?;
    let mut claimed = Vec::new();
    for row in due {
        if claimed.len() as i64 >= limit || earlier_pending(conn, &row)? {
            continue;
        }
        let won = diesel::update(
            deliveries::table
                .filter(deliveries::id.eq(&row.id))
                .filter(deliveries::status.eq("pending"))
                .filter(free()),
        )
        .set((
            deliveries::claimed_by.eq(worker),
            deliveries::claimed_until.eq(lease_until),
        ))
        .execute(conn)?;
        if won == 1 {
            claimed.push(row);
        }
    }
    Ok(claimed)
}

/// Whether a delivery about the same record for the same subscription, queued before `row`, is
/// still pending.
fn earlier_pending(conn: &mut DbConnection, row: &DeliveryRow) -> QueryResult<bool> {
    let before = deliveries::position_tx
        .lt(row.position_tx)
        .or(deliveries::position_tx
            .eq(row.position_tx)
            .and(deliveries::position_seq.lt(row.position_seq)));
    diesel::select(diesel::dsl::exists(
        deliveries::table
            .filter(deliveries::subscription_id.eq(&row.subscription_id))
            .filter(deliveries::record_key.eq(&row.record_key))
            .filter(deliveries::status.eq("pending"))
            .filter(before),
    ))
    .get_result(conn)
}

/// Records an attempt: delivered (`retry_at` unused), retried at `retry_at`, or given up when
/// `retry_at` is `None` and it was not delivered.
pub fn record_attempt(
    conn: &mut DbConnection,
    id: &str,
    worker: &str,
    (delivered, status, error): (bool, Option<i32>, Option<&str>),
    retry_at: Option<NaiveDateTime>,
) -> QueryResult<()> {
    let state = match (delivered, retry_at) {
        (true, _) => "delivered",
        (false, Some(_)) => "pending",
        (false, None) => "failed",
    };
    let at = now();
    diesel::update(
        deliveries::table
            .filter(deliveries::id.eq(id))
            .filter(deliveries::claimed_by.eq(worker)),
    )
    .set((
        deliveries::status.eq(state),
        deliveries::attempts.eq(deliveries::attempts + 1),
        deliveries::next_attempt_at.eq(retry_at.unwrap_or(at)),
        deliveries::last_status.eq(status),
        deliveries::last_error.eq(error),
        deliveries::delivered_at.eq(delivered.then_some(at)),
        deliveries::claimed_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)
    .map(|_| ())
}

/// A subscription's deliveries, newest first, a page after `before` (a delivery id).
pub fn deliveries_of(
    conn: &mut DbConnection,
    subscription_id: &WebhookId,
    before: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<DeliveryRow>> {
    let mut query = deliveries::table
        .filter(deliveries::subscription_id.eq(subscription_id))
        .into_boxed();
    if let Some(before) = before {
        query = query.filter(deliveries::id.lt(before.to_owned()));
    }
    query
        .order(deliveries::id.desc())
        .limit(limit)
        .select(DeliveryRow::as_select())
        .load(conn)
}

pub fn find_delivery(conn: &mut DbConnection, id: &str) -> QueryResult<Option<DeliveryRow>> {
    deliveries::table
        .find(id)
        .select(DeliveryRow::as_select())
        .first(conn)
        .optional()
}

/// Queues a delivery again, due now (a manual redelivery); its id, and so its `webhook-id`, stays.
pub fn requeue(conn: &mut DbConnection, id: &str) -> QueryResult<()> {
    diesel::update(deliveries::table.find(id))
        .set((
            deliveries::status.eq("pending"),
            deliveries::next_attempt_at.eq(now()),
            deliveries::claimed_until.eq(None::<NaiveDateTime>),
        ))
        .execute(conn)
        .map(|_| ())
}

/// Marks when a subscription started failing (kept if already set), or clears it.
pub fn set_failing(conn: &mut DbConnection, id: &WebhookId, failing: bool) -> QueryResult<()> {
    let target = subscriptions::table.filter(subscriptions::id.eq(id));
    if failing {
        diesel::update(target.filter(subscriptions::failing_since.is_null()))
            .set(subscriptions::failing_since.eq(now()))
            .execute(conn)?;
    } else {
        diesel::update(target.filter(subscriptions::failing_since.is_not_null()))
            .set(subscriptions::failing_since.eq(None::<NaiveDateTime>))
            .execute(conn)?;
    }
    Ok(())
}

/// Disables an active subscription that has been failing since before `since`; true if it did.
pub fn disable_if_failing_since(
    conn: &mut DbConnection,
    id: &WebhookId,
    since: NaiveDateTime,
    reason: &str,
) -> QueryResult<bool> {
    let changed = diesel::update(
        subscriptions::table
            .filter(subscriptions::id.eq(id))
            .filter(subscriptions::status.eq("active"))
            .filter(subscriptions::failing_since.le(since)),
    )
    .set((
        subscriptions::status.eq("disabled"),
        subscriptions::disabled_reason.eq(reason),
        subscriptions::version.eq(subscriptions::version + 1),
        subscriptions::updated_at.eq(now()),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}
