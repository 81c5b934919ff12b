//! Documents and their contents (docs/domain.md section 12). A content is kept once, under its
//! SHA-256, and never changed or removed; documents point at it.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use sha2::{Digest, Sha256};

use super::DbConnection;
use super::schema::{
    contracts, document_contents, document_reminders, document_rules, documents, facilities,
};
use crate::domain::document::{DocumentKind, Held, MediaType, RecordKind};
use crate::domain::ids::{
    ApiKeyId, ContractId, DocumentId, FacilityId, OrganizationId, SeasonId, UserId,
};
use crate::domain::season::ContractType;

/// A document as stored.
#[derive(Queryable, Selectable, Insertable, Debug, Clone)]
#[diesel(table_name = documents)]
pub struct DocumentRow {
    pub id: DocumentId,
    pub record_kind: RecordKind,
    pub record_id: String,
    pub kind: DocumentKind,
    pub name: String,
    pub media_type: MediaType,
    pub sha256: String,
    pub size: i64,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub organization_id: OrganizationId,
    pub uploaded_by_user_id: Option<UserId>,
    pub uploaded_by_api_key_id: Option<ApiKeyId>,
    pub uploaded_at: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawn_by_user_id: Option<UserId>,
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
    super::insert_or_ignore!(conn, document_contents::table, row)?;
    Ok(())
}

pub fn insert(conn: &mut DbConnection, row: &DocumentRow) -> QueryResult<()> {
    diesel::insert_into(documents::table)
        .values(row)
        .execute(conn)
        .map(|_| ())
}

pub fn find(conn: &mut DbConnection, id: &DocumentId) -> QueryResult<Option<DocumentRow>> {
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
    id: &DocumentId,
    user_id: Option<&UserId>,
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
    season_id: &SeasonId,
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
    season_id: &SeasonId,
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
    season_id: &SeasonId,
    contract_type: ContractType,
    records: (&ContractId, &FacilityId),
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

/// A document of the facility an approved contract relies on, with the contract's parties.
#[derive(Queryable, Debug, Clone)]
pub struct HeldRow {
    pub contract_id: ContractId,
    pub season_id: SeasonId,
    pub client_id: OrganizationId,
    pub provider_id: OrganizationId,
    pub contract_ends_on: NaiveDate,
    pub facility_id: FacilityId,
    pub facility_name: String,
    pub facility_name_ar: String,
    pub document_id: DocumentId,
    pub kind: DocumentKind,
    pub valid_until: Option<NaiveDate>,
}

impl HeldRow {
    pub fn held(&self) -> Held {
        Held {
            contract_id: self.contract_id.clone(),
            contract_ends_on: self.contract_ends_on,
            facility_id: self.facility_id.clone(),
            facility_name: (self.facility_name.clone(), self.facility_name_ar.clone()),
            document_id: self.document_id.clone(),
            kind: self.kind,
            valid_until: self.valid_until,
        }
    }
}

/// Which approved contracts' facility documents [`held`] reads.
pub enum HeldBy<'a> {
    /// Of a season's contracts, of these clients only if some are named.
    Season(&'a SeasonId, Option<&'a [OrganizationId]>),
    /// Of every contract ending on or after the day.
    EndingFrom(NaiveDate),
}

/// The documents, withdrawn ones aside, of the facilities that approved contracts rely on (on the
/// backend's own connection: the statement is boxed, and readiness reads it on every request).
pub fn held(conn: &mut DbConnection, by: HeldBy) -> QueryResult<Vec<HeldRow>> {
    super::per_backend!(conn, c => {
        let mut query = contracts::table
            .inner_join(
                documents::table.on(documents::record_kind
                    .eq(RecordKind::Facility)
                    .and(documents::record_id.eq(contracts::facility_id))),
            )
            .inner_join(facilities::table)
            .filter(contracts::status.eq("approved"))
            .filter(documents::withdrawn_at.is_null())
            .select((
                contracts::id,
                contracts::season_id,
                contracts::client_id,
                contracts::provider_id,
                contracts::ends_on,
                contracts::facility_id,
                facilities::name,
                facilities::name_ar,
                documents::id,
                documents::kind,
                documents::valid_until,
            ))
            .into_boxed();
        match by {
            HeldBy::Season(season_id, clients) => {
                query = query.filter(contracts::season_id.eq(season_id.to_owned()));
                if let Some(clients) = clients {
                    query = super::one_of!(query, contracts::client_id, clients);
                }
            }
            HeldBy::EndingFrom(day) => query = query.filter(contracts::ends_on.ge(day)),
        }
        query.load(c)
    })
}

/// The seasons and clients of the approved contracts relying on a facility, in order.
pub fn relying_clients(
    conn: &mut DbConnection,
    facility_id: &FacilityId,
) -> QueryResult<Vec<(SeasonId, OrganizationId)>> {
    contracts::table
        .filter(contracts::facility_id.eq(facility_id))
        .filter(contracts::status.eq("approved"))
        .select((contracts::season_id, contracts::client_id))
        .distinct()
        .order((contracts::season_id, contracts::client_id))
        .load(conn)
}

/// Claims the expiry reminder of a document for an organisation, `days_before` it lapses: true the
/// first time only, whichever process asks.
pub fn claim_reminder(
    conn: &mut DbConnection,
    document_id: &DocumentId,
    organization_id: &OrganizationId,
    days_before: i64,
) -> QueryResult<bool> {
    let row = (
        document_reminders::document_id.eq(document_id),
        document_reminders::organization_id.eq(organization_id),
        document_reminders::days_before.eq(days_before as i32),
        document_reminders::sent_at.eq(super::now()),
    );
    Ok(super::insert_or_ignore!(conn, document_reminders::table, row)? == 1)
}
