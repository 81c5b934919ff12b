//! Webhooks (docs/domain.md section 10): an organisation's admin subscribes a URL to event types;
//! the events its organisation may read are queued for it from the change feed, in the feed's
//! order, and sent signed by the worker (`webhooks::worker`), at least once, a record's events in
//! order.

use chrono::{Duration, NaiveDateTime};

use crate::access::{self, Caller};
use crate::domain::Invalid;
use crate::domain::feed::EventType;
use crate::domain::ids::{OrganizationId, OutboxId, WebhookId};
use crate::domain::organization::OrgStatus;
use crate::error::{Error, FieldError};
use crate::storage::webhooks::{self as store, DeliveryRow, SubscriptionRow};
use crate::storage::{DbConnection, feed as feed_store, now, organizations};
use crate::webhooks::{TargetPolicy, new_secret};

/// The most subscriptions one organisation keeps.
pub const MAX_SUBSCRIPTIONS: usize = 10;
/// The longest description.
pub const MAX_DESCRIPTION_CHARS: usize = 200;
/// How long a rotated-out secret still signs.
pub const ROTATION_OVERLAP_HOURS: i64 = 24;
/// How long deliveries may fail before their subscription is disabled.
pub const DISABLE_AFTER_HOURS: i64 = 24;
/// Events queued for one subscription at a time.
const QUEUE_BATCH: u32 = 100;

/// What a subscriber asks for, checked.
#[derive(Clone, Debug)]
pub struct Subscription {
    pub url: String,
    /// Empty: every type.
    pub event_types: Vec<EventType>,
    pub description: String,
}

impl Subscription {
    /// Checks a subscriber's input against the target policy; every problem is named.
    pub fn parse(
        url: &str,
        event_types: &[String],
        description: &str,
        policy: TargetPolicy,
    ) -> Result<Subscription, Error> {
        let mut errors = Vec::new();
        let url = policy
            .check_url(url)
            .map_err(|e| errors.push(FieldError::new("url", e)))
            .unwrap_or_default();
        let mut types = Vec::new();
        if event_types.len() > EventType::ALL.len() {
            errors.push(FieldError::new(
                "event_types",
                Invalid::with_limit("too_many", EventType::ALL.len()),
            ));
        }
        for t in event_types.iter().take(EventType::ALL.len()) {
            match EventType::parse(t) {
                Some(t) if !types.contains(&t) => types.push(t),
                Some(_) => {}
                None => errors.push(FieldError::new(
                    "event_types",
                    Invalid::new("invalid_value"),
                )),
            }
        }
        let description = description.trim().to_owned();
        if description.chars().count() > MAX_DESCRIPTION_CHARS {
            errors.push(FieldError::new(
                "description",
                Invalid::with_limit("too_long", MAX_DESCRIPTION_CHARS),
            ));
        }
        if description.chars().any(char::is_control) {
            errors.push(FieldError::new(
                "description",
                Invalid::new("invalid_characters"),
            ));
        }
        if !errors.is_empty() {
            return Err(Error::invalid(errors));
        }
        Ok(Subscription {
            url,
            event_types: types,
            description,
        })
    }

    fn types_column(&self) -> String {
        self.event_types
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// The event types a stored subscription asked for; `None` for every type.
pub fn types_of(row: &SubscriptionRow) -> Option<Vec<EventType>> {
    let types: Vec<EventType> = row
        .event_types
        .split(',')
        .filter_map(|t| EventType::parse(t.trim()))
        .collect();
    (!types.is_empty()).then_some(types)
}

/// Subscribes a URL for the caller's organisation (its admin). Events are queued from now on.
/// `new` is the request's input, or why it could not be read: looked at once the caller may
/// subscribe. Run inside a write transaction.
pub fn subscribe(
    conn: &mut DbConnection,
    caller: &Caller,
    org: &OrganizationId,
    new: Result<Subscription, Error>,
) -> Result<SubscriptionRow, Error> {
    super::organizations::visible(conn, caller, org)?;
    access::manage_webhooks(caller, org)?;
    let new = new?;
    if store::subscriptions_of(conn, org)?.len() >= MAX_SUBSCRIPTIONS {
        return Err(Error::conflict("too_many_subscriptions"));
    }
    let from = feed_store::horizon(conn)?.unwrap_or_default();
    let at = now();
    let row = SubscriptionRow {
        id: WebhookId::generate(),
        organization_id: org.clone(),
        url: new.url.clone(),
        event_types: new.types_column(),
        description: new.description,
        secret: new_secret(),
        previous_secret: None,
        previous_secret_until: None,
        status: "active".to_owned(),
        disabled_reason: None,
        failing_since: None,
        after_tx: from.tx,
        after_seq: from.seq,
        version: 1,
        created_at: at,
        updated_at: at,
    };
    store::insert_subscription(conn, &row)?;
    Ok(row)
}

/// An organisation's subscriptions (its admin).
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    org: &OrganizationId,
) -> Result<Vec<SubscriptionRow>, Error> {
    super::organizations::visible(conn, caller, org)?;
    access::manage_webhooks(caller, org)?;
    Ok(store::subscriptions_of(conn, org)?)
}

/// One subscription, if it is the caller's organisation's (otherwise it does not exist for it),
/// and the caller its admin.
pub fn find(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &WebhookId,
) -> Result<SubscriptionRow, Error> {
    let row = store::find_subscription(conn, id)?
        .filter(|s| s.organization_id == caller.organization_id.clone())
        .ok_or_else(Error::not_found)?;
    access::manage_webhooks(caller, &caller.organization_id)?;
    Ok(row)
}

/// What a subscriber changes: the target, the types, the description, and whether deliveries
/// go out (turning a disabled subscription back on forgets its failures).
#[derive(Clone, Debug)]
pub struct SubscriptionEdit {
    pub subscription: Subscription,
    pub active: bool,
}

/// Changes a subscription at `version` (`None`: whatever is current). Run inside a write
/// transaction.
pub fn change(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &WebhookId,
    version: Result<Option<i64>, Error>,
    edit: Result<SubscriptionEdit, Error>,
) -> Result<SubscriptionRow, Error> {
    let current = find(conn, caller, id)?;
    let version = version?.unwrap_or(current.version);
    let edit = edit?;
    let reactivated = edit.active && current.status != "active";
    let row = SubscriptionRow {
        url: edit.subscription.url.clone(),
        event_types: edit.subscription.types_column(),
        description: edit.subscription.description,
        status: if edit.active { "active" } else { "disabled" }.to_owned(),
        disabled_reason: if edit.active {
            None
        } else {
            current
                .disabled_reason
                .clone()
                .or(Some("disabled by its organisation".to_owned()))
        },
        failing_since: if reactivated {
            None
        } else {
            current.failing_since
        },
        ..current
    };
    if !store::update_subscription(conn, &row, version)? {
        return Err(Error::precondition_failed());
    }
    find(conn, caller, id)
}

/// Removes a subscription and its delivery log. Run inside a write transaction.
pub fn remove(conn: &mut DbConnection, caller: &Caller, id: &WebhookId) -> Result<(), Error> {
    let current = find(conn, caller, id)?;
    Ok(store::delete_subscription(conn, &current.id)?)
}

/// Gives a subscription a new secret; the previous one still signs for a day, so that the
/// receiver can switch without missing a delivery. Run inside a write transaction.
pub fn rotate(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &WebhookId,
) -> Result<SubscriptionRow, Error> {
    let current = find(conn, caller, id)?;
    let version = current.version;
    let row = SubscriptionRow {
        previous_secret: Some(current.secret.clone()),
        previous_secret_until: Some(now() + Duration::hours(ROTATION_OVERLAP_HOURS)),
        secret: new_secret(),
        ..current
    };
    if !store::update_subscription(conn, &row, version)? {
        return Err(Error::precondition_failed());
    }
    find(conn, caller, id)
}

/// A subscription's deliveries, newest first, a page after `before`.
pub fn deliveries(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &WebhookId,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<DeliveryRow>, Error> {
    let sub = find(conn, caller, id)?;
    Ok(store::deliveries_of(conn, &sub.id, before, limit)?)
}

/// Sends one delivery again (with the same `webhook-id`), whatever became of it. Run inside a
/// write transaction.
pub fn redeliver(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &WebhookId,
    delivery_id: &str,
) -> Result<DeliveryRow, Error> {
    let sub = find(conn, caller, id)?;
    let delivery = store::find_delivery(conn, delivery_id)?
        .filter(|d| d.subscription_id == sub.id)
        .ok_or_else(Error::not_found)?;
    store::requeue(conn, &delivery.id)?;
    store::find_delivery(conn, &delivery.id)?.ok_or_else(Error::internal)
}

/// Queues, for one subscription, the next events its organisation may read, and moves its
/// position past them, in one write transaction; if another process queued them first, nothing.
/// Answers how many were queued.
pub fn queue(conn: &mut DbConnection, sub: &SubscriptionRow) -> Result<usize, Error> {
    let Some(org) = organizations::find(conn, &sub.organization_id)? else {
        return Ok(0);
    };
    if org.status != OrgStatus::Active {
        return Ok(0);
    }
    let own = org.id.clone();
    let reader = (access::feed_scope_of(org.kind, &own), own);
    let types = types_of(sub);
    let page = super::feed::read_as(
        conn,
        reader,
        Some(sub.position()),
        types.as_deref(),
        QUEUE_BATCH,
    )?;
    if page.position == sub.position() {
        return Ok(0);
    }
    let at = now();
    let mut rows = Vec::with_capacity(page.events.len());
    for event in page.events {
        let position = event.position();
        // Events about one contract (its steps, its amendments', its inspections) go in order, as
        // do a client's readiness changes and each other record's.
        let record_key = match &event.event.contract_id {
            Some(contract) => format!("contract:{contract}"),
            None => format!("{}:{}", event.event.record_type, event.event.record_id),
        };
        let event_type = event.event.event_type.clone();
        let view = super::feed::ChangeEvent::of(event)?;
        let event_id = view.id.clone();
        rows.push(DeliveryRow {
            id: format!("msg_{}", OutboxId::generate().as_str().replace('-', "")),
            subscription_id: sub.id.clone(),
            event_id,
            event_type,
            record_key,
            position_tx: position.tx,
            position_seq: position.seq,
            body: serde_json::to_string(&view).map_err(|_| Error::internal())?,
            status: "pending".to_owned(),
            attempts: 0,
            next_attempt_at: at,
            claimed_by: None,
            claimed_until: None,
            last_status: None,
            last_error: None,
            delivered_at: None,
            created_at: at,
        });
    }
    let queued = rows.len();
    if !store::advance(conn, &sub.id, sub.position(), page.position)? {
        return Err(Error::conflict("queued_elsewhere"));
    }
    store::insert_deliveries(conn, &rows)?;
    Ok(queued)
}

/// The secrets that sign a delivery now: the current one, and the previous one while a
/// rotation's overlap lasts.
pub fn signing_secrets(sub: &SubscriptionRow, at: NaiveDateTime) -> Vec<&str> {
    let mut secrets = vec![sub.secret.as_str()];
    if let (Some(previous), Some(until)) = (&sub.previous_secret, sub.previous_secret_until)
        && until > at
    {
        secrets.push(previous);
    }
    secrets
}

/// After a failed attempt: a subscription failing for a day is disabled, and its organisation
/// told. Run inside a write transaction.
pub fn failed(conn: &mut DbConnection, sub_id: &WebhookId) -> Result<bool, Error> {
    store::set_failing(conn, sub_id, true)?;
    let since = now() - Duration::hours(DISABLE_AFTER_HOURS);
    let disabled =
        store::disable_if_failing_since(conn, sub_id, since, "deliveries failed for a day")?;
    if disabled && let Some(sub) = store::find_subscription(conn, sub_id)? {
        crate::notify::webhook_disabled(conn, &sub.organization_id, &sub.id, &sub.url)?;
    }
    Ok(disabled)
}

/// After a delivery got through: the subscription is no longer failing.
pub fn succeeded(conn: &mut DbConnection, sub_id: &WebhookId) -> Result<(), Error> {
    Ok(store::set_failing(conn, sub_id, false)?)
}
