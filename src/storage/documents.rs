//! Documents and their contents (docs/domain.md section 12). A content is kept once, under its
//! SHA-256, and never changed or removed; documents point at it.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::DbConnection;
use super::schema::{document_contents, document_rules, documents};
use crate::domain::document::{DocumentKind, MediaType, RecordKind};
use crate::domain::season::ContractType;

/// A document as stored.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = documents)]
pub struct DocumentRow {
    pub id: String,
    pub record_kind: RecordKind,
    pub record_id: String,
    pub kind: DocumentKind,
    pub name: String,
    pub media_type: MediaType,
    pub sha256: String,
    pub size: i64,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub organization_id: String,
    pub uploaded_by_user_id: Option<String>,
    pub uploaded_by_api_key_id: Option<String>,
    pub uploaded_at: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_by_user_id: Option<String>,
    pub withdrawal_reason: Option<String>,
}

/// The SHA-256 of a content, as lowercase hex.
pub fn digest(content: &[u8]) -> String {
    format!("{:x}", Sha256::digest(content))
}

/// Keeps a content under its hash, unless it is kept already (by this upload's twin in another
/// process too: the second waits for the first and keeps nothing).
pub fn keep_content(
    conn: &mut DbConnection,
    sha256: &str,
    media_type: MediaType,
    content: &[u8],
) -> QueryResult<()> {
    let row = (
        document_contents::sha256.eq(sha256),
        document_contents::size.eq(content.len() as i64),
        document_contents::media_type.eq(media_type),
        document_contents::content.eq(content),
        document_contents::created_at.eq(super::now()),
    );
    match conn {
        DbConnection::Postgresql(c) => diesel::insert_into(document_contents::table)
            .values(row)
            .on_conflict_do_nothing()
            .execute(c)?,
        DbConnection::Sqlite(c) => diesel::insert_or_ignore_into(document_contents::table)
            .values(row)
            .execute(c)?,
    };
    Ok(())
}

pub fn insert(conn: &mut DbConnection, row: &DocumentRow) -> QueryResult<()> {
    diesel::insert_into(documents::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &str) -> QueryResult<Option<DocumentRow>> {
    documents::table
        .find(id)
        .select(DocumentRow::as_select())
        .first(conn)
        .optional()
}

/// A record's documents, withdrawn ones too, oldest first.
pub fn of_record(
    conn: &mut DbConnection,
    kind: RecordKind,
    record_id: &str,
) -> QueryResult<Vec<DocumentRow>> {
    documents::table
        .filter(documents::record_kind.eq(kind))
        .filter(documents::record_id.eq(record_id))
        .order(documents::id.asc())
        .select(DocumentRow::as_select())
        .load(conn)
}

/// How many documents a record carries and what they weigh, withdrawn ones aside.
pub fn record_load(
    conn: &mut DbConnection,
    kind: RecordKind,
    record_id: &str,
) -> QueryResult<(i64, i64)> {
    let sizes: Vec<i64> = documents::table
        .filter(documents::record_kind.eq(kind))
        .filter(documents::record_id.eq(record_id))
        .filter(documents::withdrawn_at.is_null())
        .select(documents::size)
        .load(conn)?;
    Ok((sizes.len() as i64, sizes.iter().sum()))
}

/// A content, by its hash.
pub fn content(conn: &mut DbConnection, sha256: &str) -> QueryResult<Option<Vec<u8>>> {
    document_contents::table
        .find(sha256)
        .select(document_contents::content)
        .first(conn)
        .optional()
}

/// Withdraws a document not withdrawn yet; false if it was (by another request meanwhile).
pub fn withdraw(
    conn: &mut DbConnection,
    id: &str,
    user_id: Option<&str>,
    reason: &str,
) -> QueryResult<bool> {
    let changed = diesel::update(
        documents::table
            .find(id)
            .filter(documents::withdrawn_at.is_null()),
    )
    .set((
        documents::withdrawn_at.eq(super::now()),
        documents::withdrawn_by_user_id.eq(user_id),
        documents::withdrawal_reason.eq(reason),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

/// Every kept content read back against its hash and size, a few at a time: a problem for each
/// that no longer matches, and for each document whose content is missing.
pub fn verify(conn: &mut DbConnection) -> QueryResult<(usize, Vec<String>)> {
    let mut problems = Vec::new();
    let mut checked = 0;
    let mut after = String::new();
    loop {
        let batch: Vec<(String, i64, Vec<u8>)> = document_contents::table
            .filter(document_contents::sha256.gt(&after))
            .order(document_contents::sha256.asc())
            .select((
                document_contents::sha256,
                document_contents::size,
                document_contents::content,
            ))
            .limit(16)
            .load(conn)?;
        let Some((last, _, _)) = batch.last() else {
            break;
        };
        after = last.clone();
        for (sha256, size, content) in batch {
            checked += 1;
            if digest(&content) != sha256 || content.len() as i64 != size {
                problems.push(format!(
                    "document content {sha256} no longer matches its hash and size"
                ));
            }
        }
    }
    let orphans: Vec<String> = documents::table
        .left_join(document_contents::table)
        .filter(document_contents::sha256.nullable().is_null())
        .select(documents::id)
        .load(conn)?;
    problems.extend(
        orphans
            .into_iter()
            .map(|id| format!("document {id} has no content")),
    );
    Ok((checked, problems))
}

/// Sets the document kinds a submission of the type needs in the season (none: nothing needed).
pub fn set_rules(
    conn: &mut DbConnection,
    season_id: &str,
    contract_type: ContractType,
    kinds: &[DocumentKind],
) -> QueryResult<()> {
    diesel::delete(
        document_rules::table
            .filter(document_rules::season_id.eq(season_id))
            .filter(document_rules::contract_type.eq(contract_type)),
    )
    .execute(conn)?;
    for kind in kinds {
        diesel::insert_into(document_rules::table)
            .values((
                document_rules::season_id.eq(season_id),
                document_rules::contract_type.eq(contract_type),
                document_rules::kind.eq(kind),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Every rule of a season: (contract type, kind needed).
pub fn rules(
    conn: &mut DbConnection,
    season_id: &str,
) -> QueryResult<Vec<(ContractType, DocumentKind)>> {
    document_rules::table
        .filter(document_rules::season_id.eq(season_id))
        .order((document_rules::contract_type, document_rules::kind))
        .select((document_rules::contract_type, document_rules::kind))
        .load(conn)
}

/// The kinds a submission of the type needs in the season that no document attached to the
/// contract or to its facility provides, withdrawn ones aside, valid over `from`..=`to` (a
/// document that states no validity is taken as valid); in one statement beside the rules'.
pub fn missing_kinds(
    conn: &mut DbConnection,
    season_id: &str,
    contract_type: ContractType,
    records: (&str, &str),
    (from, to): (NaiveDate, NaiveDate),
) -> QueryResult<Vec<DocumentKind>> {
    let needed: Vec<DocumentKind> = document_rules::table
        .filter(document_rules::season_id.eq(season_id))
        .filter(document_rules::contract_type.eq(contract_type))
        .order(document_rules::kind)
        .select(document_rules::kind)
        .load(conn)?;
    if needed.is_empty() {
        return Ok(needed);
    }
    let (contract_id, facility_id) = records;
    let present: Vec<DocumentKind> = documents::table
        .filter(
            documents::record_kind
                .eq(RecordKind::Contract)
                .and(documents::record_id.eq(contract_id))
                .or(documents::record_kind
                    .eq(RecordKind::Facility)
                    .and(documents::record_id.eq(facility_id))),
        )
        .filter(documents::withdrawn_at.is_null())
        .filter(documents::kind.eq_any(needed.clone()))
        .filter(
            documents::valid_from
                .is_null()
                .or(documents::valid_from.le(from)),
        )
        .filter(
            documents::valid_until
                .is_null()
                .or(documents::valid_until.ge(to)),
        )
        .select(documents::kind)
        .distinct()
        .load(conn)?;
    Ok(needed
        .into_iter()
        .filter(|k| !present.contains(k))
        .collect())
}
