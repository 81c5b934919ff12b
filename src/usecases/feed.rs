//! The change feed (docs/domain.md section 10): every change a partner system may follow is
//! published here, in the transaction that makes it, and read back in commit order through the
//! access layer, like every other read.

use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use crate::access::{self, Caller, ContractScope};
use crate::domain::feed::{EventType, Position, RecordType};
use crate::domain::ids::{
    AmendmentId, ContractId, EventId, InspectionId, NotificationId, OrganizationId, SeasonId,
};
use crate::domain::organization::OrgKind;
use crate::domain::readiness::Summary;
use crate::error::Error;
use crate::storage::feed::{self as store, FeedEvent, FeedRow};
use crate::storage::models::{ContractRow, OrganizationRow};
use crate::storage::{DbConnection, QueryResult, now, organizations};

/// The most events one read answers.
pub const MAX_EVENTS: u32 = 500;

/// An event about `record`, seen by no one yet: the audience is set by the constructors below.
fn event(
    event_type: EventType,
    season_id: &SeasonId,
    (record_type, record_id, record_version): (RecordType, &str, Option<i64>),
) -> FeedEvent {
    FeedEvent {
        id: EventId::generate().into_string(),
        event_type: event_type.as_str().to_owned(),
        occurred_at: now(),
        season_id: season_id.to_owned(),
        record_type: record_type.as_str().to_owned(),
        record_id: record_id.to_owned(),
        record_version,
        contract_id: None,
        status: None,
        client_id: None,
        client_office_id: None,
        client_country: None,
        provider_id: None,
        recipient_id: None,
    }
}

/// Seen as the contract is: its client, the client's office, the tawafa establishments of the
/// client's country, its provider, the ministry.
fn about_contract(row: FeedEvent, c: &ContractRow, status: &str) -> FeedEvent {
    FeedEvent {
        contract_id: Some(c.id.clone()),
        status: Some(status.to_owned()),
        client_id: Some(c.client_id.clone()),
        client_office_id: c.client_office_id.clone(),
        client_country: Some(c.client_country.clone()),
        provider_id: Some(c.provider_id.clone()),
        ..row
    }
}

/// Seen by the client itself and the ministry only (what the API shows of its extensions).
fn about_client_only(row: FeedEvent, client: &OrganizationRow) -> FeedEvent {
    FeedEvent {
        client_id: Some(client.id.clone()),
        client_office_id: (client.kind == OrgKind::HajjOffice).then(|| client.id.clone()),
        ..row
    }
}

/// A step of a contract (`create`, `edit`, an action) or of one of its amendments, as the history
/// records it (R9); `contract` is the contract after the step.
pub fn contract_step(
    conn: &mut DbConnection,
    contract: &ContractRow,
    amendment: Option<&AmendmentId>,
    step: &str,
    to_status: &str,
) -> Result<(), Error> {
    let (event_type, record) = match amendment {
        None => (
            EventType::of_contract_step(step),
            (
                RecordType::Contract,
                contract.id.as_str(),
                Some(contract.version),
            ),
        ),
        Some(id) => (
            EventType::of_amendment_step(step),
            (RecordType::Amendment, id.as_str(), None),
        ),
    };
    let event_type = event_type.ok_or_else(Error::internal)?;
    let row = about_contract(
        event(event_type, &contract.season_id, record),
        contract,
        to_status,
    );
    Ok(store::append(conn, &row)?)
}

/// An inspection of a contract's facility (`pass` or `fail`).
pub fn inspection(
    conn: &mut DbConnection,
    contract: &ContractRow,
    inspection_id: &InspectionId,
    result: &str,
) -> Result<(), Error> {
    let record = (RecordType::Inspection, inspection_id.as_str(), None);
    let row = event(EventType::InspectionRecorded, &contract.season_id, record);
    Ok(store::append(conn, &about_contract(row, contract, result))?)
}

/// A deadline extension granted to a client.
pub fn extension(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    client: &OrganizationRow,
    extension_id: &str,
) -> Result<(), Error> {
    let record = (RecordType::Extension, extension_id, None);
    let row = event(EventType::ExtensionGranted, season_id, record);
    Ok(store::append(conn, &about_client_only(row, client))?)
}

/// Who a reminder was sent to.
#[derive(Clone, Copy, Debug)]
pub enum Recipient<'a> {
    Client(&'a OrganizationId),
    Provider(&'a OrganizationId),
}

/// A reminder, private to the organisation it was sent to (as its inbox is).
pub fn reminder(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    to: Recipient,
    notification_id: &NotificationId,
) -> QueryResult<()> {
    let record = (RecordType::Notification, notification_id.as_str(), None);
    let base = event(EventType::ReminderSent, season_id, record);
    let row = match to {
        Recipient::Client(id) => FeedEvent {
            client_id: Some(id.clone()),
            recipient_id: Some(id.clone()),
            ..base
        },
        Recipient::Provider(id) => FeedEvent {
            provider_id: Some(id.clone()),
            recipient_id: Some(id.clone()),
            ..base
        },
    };
    store::append(conn, &row)
}

/// What a readiness change is told by: ready or not, and the figures behind it. A client whose
/// wallet lacks nothing and whose papers lapse nowhere is told by the same text as before wallets
/// and papers counted.
fn fingerprint(s: &Summary) -> String {
    let c = |x: crate::domain::readiness::CategoryCoverage| format!("{}/{}", x.covered, x.needed);
    let day_gaps = s.gaps - i64::from(s.unplanned > 0) - i64::from(s.unfunded > 0) - s.lapsing;
    let mut print = format!(
        "{}|{}|{}|{}|{}|{}|{}|{}",
        s.ready,
        s.planned,
        s.unplanned,
        c(s.housing),
        c(s.transport),
        c(s.catering),
        day_gaps,
        s.visa_eligible
    );
    if s.unfunded > 0 {
        print.push_str(&format!("|{}", s.unfunded));
    }
    if s.lapsing > 0 {
        print.push_str(&format!("|lapsing {}", s.lapsing));
    }
    print
}

/// One input of a client's readiness changed (a group, an allocation, a contract that covers or no
/// longer covers, an inspection): its readiness is assessed again, its line in the all-clients view
/// written and, if it differs from the last one published, a `readiness.changed` event is. The
/// client's mark is held for the rest of the transaction, so that concurrent changes are compared
/// one after the other. Run inside the write transaction of the change.
pub fn readiness_inputs_changed(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    client_id: &OrganizationId,
) -> Result<(), Error> {
    let Some((readiness, last)) = super::readiness::reassess(conn, season_id, client_id)? else {
        return Ok(());
    };
    publish(conn, season_id, client_id, &readiness.summary(0), &last)
}

/// Only what a client's wallet lacks for its contracts awaiting approval may have changed (a
/// transfer, a guarantee given back, a contract submitted, accepted, declined or withdrawn): that
/// figure alone is read again and the client's line mended from the one stored, as a full
/// assessment would write it (docs/domain.md section 11, R20). Run inside the write transaction
/// of the change, after any lock on the client's wallet.
pub fn funding_changed(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    client_id: &OrganizationId,
) -> Result<(), Error> {
    let (_, last) = store::lock_readiness_mark(conn, season_id, client_id)?;
    let Some(line) = crate::storage::readiness::line(conn, season_id, client_id)? else {
        return readiness_inputs_changed(conn, season_id, client_id);
    };
    let ids = [client_id.to_owned()];
    let unfunded = crate::storage::ledger::shortfalls(conn, season_id, Some(&ids), None)?
        .first()
        .map_or(0, crate::storage::ledger::Shortfall::lacking);
    if line.unfunded == unfunded {
        return Ok(());
    }
    let mut summary = line.summary();
    summary.gaps += i64::from(unfunded > 0) - i64::from(summary.unfunded > 0);
    summary.unfunded = unfunded;
    summary.ready = summary.gaps == 0;
    let row = crate::storage::readiness::LineRow::new(season_id, client_id, &summary);
    crate::storage::readiness::put(conn, &row)?;
    publish(conn, season_id, client_id, &summary, &last)
}

/// Publishes a `readiness.changed` event if the client's readiness differs from the last one
/// published (`last`), under its mark.
fn publish(
    conn: &mut DbConnection,
    season_id: &SeasonId,
    client_id: &OrganizationId,
    summary: &Summary,
    last: &str,
) -> Result<(), Error> {
    let now_print = fingerprint(summary);
    if now_print == last {
        return Ok(());
    }
    let version = store::set_readiness_mark(conn, season_id, client_id, &now_print)?;
    let org = organizations::find(conn, client_id)?.ok_or_else(Error::internal)?;
    let record = (RecordType::Readiness, client_id.as_str(), Some(version));
    let row = FeedEvent {
        status: Some(summary.status().as_str().to_owned()),
        client_id: Some(org.id.clone()),
        client_office_id: match org.kind {
            OrgKind::HajjOffice => Some(org.id.clone()),
            _ => org.parent_id.clone(),
        },
        client_country: org.country.clone(),
        ..event(EventType::ReadinessChanged, season_id, record)
    };
    Ok(store::append(conn, &row)?)
}

/// The record an event is about: read it back with its id (a contract's or an amendment's path, an
/// inspection's, a client's readiness in the season, an extension in the season's list, a
/// notification in the inbox).
#[derive(Serialize, ToSchema)]
pub struct RecordRef {
    #[serde(rename = "type")]
    pub record_type: RecordType,
    /// The record's id (for readiness, the client organisation's).
    #[schema(format = Uuid)]
    pub id: String,
    /// The record's version after the change, for records that carry one (contracts, readiness).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub version: Option<i64>,
}

/// One change, as the feed tells it.
#[derive(Serialize, ToSchema)]
pub struct ChangeEvent {
    /// Stable: the same event has the same id however often it is read.
    #[schema(format = Uuid)]
    pub id: String,
    #[serde(rename = "type")]
    pub event_type: EventType,
    pub occurred_at: DateTime<Utc>,
    #[schema(format = Uuid)]
    pub season_id: String,
    pub record: RecordRef,
    /// The contract the event concerns (contract, amendment and inspection events).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub contract_id: Option<String>,
    /// After the change: the contract's or amendment's status, an inspection's result (`pass`,
    /// `fail`), a client's readiness (`ready`, `incomplete`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
}

impl ChangeEvent {
    /// The event as the feed and webhooks tell it.
    pub fn of(row: FeedRow) -> Result<ChangeEvent, Error> {
        let e = row.event;
        Ok(ChangeEvent {
            event_type: EventType::parse(&e.event_type).ok_or_else(Error::internal)?,
            occurred_at: e.occurred_at.and_utc(),
            record: RecordRef {
                record_type: RecordType::parse(&e.record_type).ok_or_else(Error::internal)?,
                id: e.record_id,
                version: e.record_version,
            },
            id: e.id,
            season_id: e.season_id.into_string(),
            contract_id: e.contract_id.map(ContractId::into_string),
            status: e.status,
        })
    }
}

/// A page of the feed: the events, where the reader stands after them, and whether more follow.
pub struct FeedPage {
    pub events: Vec<FeedRow>,
    pub position: Position,
    pub more: bool,
}

/// The events after `after` (the start if none) that the caller may see, oldest first, of the
/// given types if any. The position answered is where to continue: past the last event shown, or,
/// when no more follow, past everything final so far (events the caller may not see included), so
/// that a reader who stores it never reads an event twice or misses one.
pub fn read(
    conn: &mut DbConnection,
    caller: &Caller,
    after: Option<Position>,
    types: Option<&[EventType]>,
    limit: u32,
) -> Result<FeedPage, Error> {
    let reader = (access::feed_scope(caller), caller.organization_id.clone());
    read_as(conn, reader, after, types, limit)
}

/// [`read`] for a reader of `scope`, organisation `own` (a person, a system, a webhook).
pub fn read_as(
    conn: &mut DbConnection,
    (scope, own): (ContractScope, OrganizationId),
    after: Option<Position>,
    types: Option<&[EventType]>,
    limit: u32,
) -> Result<FeedPage, Error> {
    let from = after.unwrap_or_default();
    let until = store::horizon(conn)?;
    let Some(until) = until.filter(|u| *u > from) else {
        return Ok(FeedPage {
            events: Vec::new(),
            position: from,
            more: false,
        });
    };
    let types: Option<Vec<String>> =
        types.map(|t| t.iter().map(|t| t.as_str().to_owned()).collect());
    let mut events = store::read(
        conn,
        &scope,
        own.as_str(),
        (from, until),
        types.as_deref(),
        i64::from(limit) + 1,
    )?;
    let more = events.len() > limit as usize;
    events.truncate(limit as usize);
    let position = match events.last() {
        Some(last) if more => last.position(),
        _ => until,
    };
    Ok(FeedPage {
        events,
        position,
        more,
    })
}
