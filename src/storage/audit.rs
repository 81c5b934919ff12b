//! The audit log as stored: appended in the transaction of each change, then sealed into a hash
//! chain in the order the sealer meets the events, and verified by recomputing the chain.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::schema::{audit_events, audit_head};
use super::{DbConnection, now, write_transaction};

#[derive(Queryable, Insertable, Debug, Clone)]
#[diesel(table_name = audit_events)]
pub struct AuditRow {
    pub id: String,
    pub seq: Option<i64>,
    pub at: NaiveDateTime,
    pub actor_user_id: Option<String>,
    pub actor_api_key_id: Option<String>,
    pub organization_id: Option<String>,
    pub action: String,
    pub entity_id: Option<String>,
    pub request_id: Option<String>,
    pub prev_hash: Option<String>,
    pub hash: Option<String>,
}

/// What one event says, before it is sealed.
#[derive(Debug, Clone, Default)]
pub struct NewEvent {
    pub actor_user_id: Option<String>,
    pub actor_api_key_id: Option<String>,
    pub organization_id: Option<String>,
    pub action: String,
    pub entity_id: Option<String>,
    pub request_id: Option<String>,
}

pub fn append(conn: &mut DbConnection, event: NewEvent) -> QueryResult<()> {
    let row = AuditRow {
        id: uuid::Uuid::now_v7().to_string(),
        seq: None,
        at: now(),
        actor_user_id: event.actor_user_id,
        actor_api_key_id: event.actor_api_key_id,
        organization_id: event.organization_id,
        action: event.action,
        entity_id: event.entity_id,
        request_id: event.request_id,
        prev_hash: None,
        hash: None,
    };
    diesel::insert_into(audit_events::table)
        .values(&row)
        .execute(conn)
        .map(|_| ())
}

/// The hash of an event: SHA-256 over the previous hash and every recorded field.
pub fn hash(prev: &str, seq: i64, row: &AuditRow) -> String {
    let opt = |o: &Option<String>| o.clone().unwrap_or_default();
    let fields = [
        prev.to_owned(),
        seq.to_string(),
        row.id.clone(),
        row.at.format("%Y-%m-%dT%H:%M:%S%.6f").to_string(),
        opt(&row.actor_user_id),
        opt(&row.actor_api_key_id),
        opt(&row.organization_id),
        row.action.clone(),
        opt(&row.entity_id),
        opt(&row.request_id),
    ];
    format!("{:x}", Sha256::digest(fields.join("\u{1f}").as_bytes()))
}

/// Chains up to `batch` unsealed events after the current head; returns how many. Several
/// processes may seal at once: the head row's lock makes them take turns.
pub fn seal(conn: &mut DbConnection, batch: i64) -> QueryResult<usize> {
    write_transaction(conn, |conn| {
        diesel::update(audit_head::table.find(1))
            .set(audit_head::seq.eq(audit_head::seq))
            .execute(conn)?;
        let (mut seq, mut prev): (i64, String) = audit_head::table
            .find(1)
            .select((audit_head::seq, audit_head::hash))
            .first(conn)?;
        let pending: Vec<AuditRow> = audit_events::table
            .filter(audit_events::seq.is_null())
            .order(audit_events::id.asc())
            .limit(batch)
            .load(conn)?;
        for row in &pending {
            seq += 1;
            let h = hash(&prev, seq, row);
            diesel::update(audit_events::table.find(&row.id))
                .set((
                    audit_events::seq.eq(seq),
                    audit_events::prev_hash.eq(&prev),
                    audit_events::hash.eq(&h),
                ))
                .execute(conn)?;
            prev = h;
        }
        diesel::update(audit_head::table.find(1))
            .set((audit_head::seq.eq(seq), audit_head::hash.eq(&prev)))
            .execute(conn)?;
        Ok(pending.len())
    })
}

/// Seals everything there is to seal.
pub fn seal_all(conn: &mut DbConnection) -> QueryResult<()> {
    while seal(conn, 1000)? > 0 {}
    Ok(())
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verification {
    pub events: i64,
    pub pending: i64,
    /// The first event whose recorded hash or link does not match: (seq, id).
    pub first_broken: Option<(i64, String)>,
}

/// Recomputes the chain from the start; names the first broken link.
pub fn verify(conn: &mut DbConnection) -> QueryResult<Verification> {
    let mut prev = "0".repeat(64);
    let mut expected_seq = 0i64;
    let mut after = 0i64;
    let mut first_broken = None;
    loop {
        let rows: Vec<AuditRow> = audit_events::table
            .filter(audit_events::seq.gt(after))
            .order(audit_events::seq.asc())
            .limit(2000)
            .load(conn)?;
        if rows.is_empty() {
            break;
        }
        for row in &rows {
            let seq = row.seq.unwrap_or_default();
            expected_seq += 1;
            let ok = seq == expected_seq
                && row.prev_hash.as_deref() == Some(prev.as_str())
                && row.hash.as_deref() == Some(hash(&prev, seq, row).as_str());
            if !ok && first_broken.is_none() {
                first_broken = Some((seq, row.id.clone()));
            }
            prev = row.hash.clone().unwrap_or_default();
            after = seq;
        }
    }
    let (head_seq, head_hash): (i64, String) = audit_head::table
        .find(1)
        .select((audit_head::seq, audit_head::hash))
        .first(conn)?;
    if first_broken.is_none()
        && (head_seq != expected_seq || (expected_seq > 0 && head_hash != prev))
    {
        // Events were removed from the end of the chain.
        first_broken = Some((expected_seq + 1, String::new()));
    }
    let pending = audit_events::table
        .filter(audit_events::seq.is_null())
        .count()
        .get_result(conn)?;
    Ok(Verification {
        events: expected_seq,
        pending,
        first_broken,
    })
}

#[derive(Debug, Default)]
pub struct AuditFilter {
    pub entity_id: Option<String>,
    pub organization_id: Option<String>,
}

pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut query = audit_events::table.into_boxed();
    if let Some(e) = &filter.entity_id {
        query = query.filter(audit_events::entity_id.eq(e.clone()));
    }
    if let Some(o) = &filter.organization_id {
        query = query.filter(audit_events::organization_id.eq(o.clone()));
    }
    if let Some(after) = after {
        query = query.filter(audit_events::id.gt(after.to_owned()));
    }
    query.order(audit_events::id.asc()).limit(limit).load(conn)
}
