//! The audit log as stored: appended in the transaction of each change, then sealed into a hash
//! chain in the order the sealer meets the events, and verified by recomputing the chain.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::prepared::KeepPrepared;
use super::schema::{audit_events, audit_head};
use super::{DbConnection, now, write_transaction};

#[derive(Queryable, Insertable, Debug, Clone, serde::Serialize, serde::Deserialize)]
#[diesel(table_name = audit_events)]
#[serde(deny_unknown_fields)]
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
        .prepared()
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
            .prepared()
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
        let mut links = Links::default();
        for row in &pending {
            seq += 1;
            let h = hash(&prev, seq, row);
            links.ids.push(row.id.clone());
            links.seqs.push(seq);
            links.prevs.push(std::mem::replace(&mut prev, h.clone()));
            links.hashes.push(h);
        }
        links.write(conn)?;
        diesel::update(audit_head::table.find(1))
            .set((audit_head::seq.eq(seq), audit_head::hash.eq(&prev)))
            .prepared()
            .execute(conn)?;
        Ok(pending.len())
    })
}

/// The links a sealing run gives its events, column by column.
#[derive(Default)]
struct Links {
    ids: Vec<String>,
    seqs: Vec<i64>,
    prevs: Vec<String>,
    hashes: Vec<String>,
}

impl Links {
    /// Writes every link: in one statement on PostgreSQL, where each statement is a round trip;
    /// one event at a time on SQLite, where none is.
    fn write(self, conn: &mut DbConnection) -> QueryResult<()> {
        use diesel::sql_types::{Array, BigInt, Text};
        match conn {
            DbConnection::Postgresql(c) if !self.ids.is_empty() => {
                diesel::sql_query(
                    "UPDATE audit_events SET seq = linked.seq, prev_hash = linked.prev_hash, \
                     hash = linked.hash \
                     FROM unnest($1::text[], $2::bigint[], $3::text[], $4::text[]) \
                     AS linked (id, seq, prev_hash, hash) \
                     WHERE audit_events.id = linked.id",
                )
                .bind::<Array<Text>, _>(&self.ids)
                .bind::<Array<BigInt>, _>(&self.seqs)
                .bind::<Array<Text>, _>(&self.prevs)
                .bind::<Array<Text>, _>(&self.hashes)
                .prepared()
                .execute(c)?;
            }
            DbConnection::Postgresql(_) => {}
            DbConnection::Sqlite(c) => {
                for (((id, seq), prev), hash) in self
                    .ids
                    .iter()
                    .zip(self.seqs)
                    .zip(&self.prevs)
                    .zip(&self.hashes)
                {
                    diesel::update(audit_events::table.find(id))
                        .set((
                            audit_events::seq.eq(seq),
                            audit_events::prev_hash.eq(prev),
                            audit_events::hash.eq(hash),
                        ))
                        .prepared()
                        .execute(c)?;
                }
            }
        }
        Ok(())
    }
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

/// The hash a chain starts from.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Whether `row` is event number `seq` of a chain whose previous hash is `prev`, unaltered.
fn links(prev: &str, seq: i64, row: &AuditRow) -> bool {
    row.seq == Some(seq)
        && row.prev_hash.as_deref() == Some(prev)
        && row.hash.as_deref() == Some(hash(prev, seq, row).as_str())
}

/// Recomputes the chain from the start; names the first broken link.
pub fn verify(conn: &mut DbConnection) -> QueryResult<Verification> {
    let mut prev = GENESIS.to_owned();
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
            expected_seq += 1;
            if !links(&prev, expected_seq, row) && first_broken.is_none() {
                first_broken = Some((row.seq.unwrap_or_default(), row.id.clone()));
            }
            prev = row.hash.clone().unwrap_or_default();
            after = row.seq.unwrap_or_default();
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

/// The events a filter keeps.
fn filtered(filter: &AuditFilter) -> audit_events::BoxedQuery<'static, super::MultiBackend> {
    let mut query = audit_events::table.into_boxed();
    if let Some(e) = &filter.entity_id {
        query = query.filter(audit_events::entity_id.eq(e.clone()));
    }
    if let Some(o) = &filter.organization_id {
        query = query.filter(audit_events::organization_id.eq(o.clone()));
    }
    query
}

pub fn list(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    after: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut query = filtered(filter);
    if let Some(after) = after {
        query = query.filter(audit_events::id.gt(after.to_owned()));
    }
    query.order(audit_events::id.asc()).limit(limit).load(conn)
}

/// [`list`] newest first: the events before `before` (an event id), most recent first.
pub fn list_newest(
    conn: &mut DbConnection,
    filter: &AuditFilter,
    before: Option<&str>,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut query = filtered(filter);
    if let Some(before) = before {
        query = query.filter(audit_events::id.lt(before.to_owned()));
    }
    query.order(audit_events::id.desc()).limit(limit).load(conn)
}

/// Events not yet chained: how many, and when the oldest was appended.
pub fn unsealed(conn: &mut DbConnection) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    audit_events::table
        .filter(audit_events::seq.is_null())
        .select((
            diesel::dsl::count_star(),
            diesel::dsl::min(audit_events::at),
        ))
        .first(conn)
}

/// Writes the sealed events after event number `after`, in order, one JSON object per line (every
/// recorded field with its chain links), for an archive that can be checked without the database
/// ([`verify_archive`]). Returns how many, and the last hash written.
pub fn export(
    conn: &mut DbConnection,
    after: i64,
    out: &mut impl std::io::Write,
) -> Result<(i64, Option<String>), String> {
    let (mut count, mut last, mut after) = (0, None, after);
    loop {
        let rows: Vec<AuditRow> = audit_events::table
            .filter(audit_events::seq.gt(after))
            .order(audit_events::seq.asc())
            .limit(2000)
            .load(conn)
            .map_err(|e| e.to_string())?;
        let Some(end) = rows.last() else {
            return Ok((count, last));
        };
        after = end.seq.unwrap_or_default();
        for row in &rows {
            serde_json::to_writer(&mut *out, row).map_err(|e| e.to_string())?;
            out.write_all(b"\n").map_err(|e| e.to_string())?;
        }
        count += rows.len() as i64;
        last = end.hash.clone();
    }
}

/// What an archive holds: its first and last event numbers, the hash it continues from and the
/// hash it ends with (the next archive continues from it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Archive {
    pub first: i64,
    pub last: i64,
    pub continues: String,
    pub ends: String,
}

/// Checks an archive written by [`export`] on its own: every event's hash recomputed, every link
/// to the one before, numbers without a gap. The first event's link is taken as given (it is the
/// previous archive's last hash, or [`GENESIS`] for event 1). Names the first broken line.
pub fn verify_archive(input: impl std::io::BufRead) -> Result<Option<Archive>, String> {
    let mut archive: Option<Archive> = None;
    for (number, line) in input.lines().enumerate() {
        let line = line.map_err(|e| e.to_string())?;
        if line.trim().is_empty() {
            continue;
        }
        let broken = |why: &str| format!("line {}: {why}", number + 1);
        let row: AuditRow = serde_json::from_str(&line).map_err(|e| broken(&e.to_string()))?;
        let seq = row.seq.ok_or_else(|| broken("an event without a number"))?;
        let (prev, expected) = match &archive {
            Some(a) => (a.ends.clone(), a.last + 1),
            None if seq == 1 => (GENESIS.to_owned(), 1),
            None => (row.prev_hash.clone().unwrap_or_default(), seq),
        };
        if !links(&prev, expected, &row) {
            return Err(broken(&format!(
                "event {seq} does not follow event {} or was altered",
                expected - 1
            )));
        }
        let ends = row.hash.clone().unwrap_or_default();
        match &mut archive {
            Some(a) => {
                a.last = seq;
                a.ends = ends;
            }
            None => {
                archive = Some(Archive {
                    first: seq,
                    last: seq,
                    continues: prev,
                    ends,
                })
            }
        }
    }
    Ok(archive)
}
