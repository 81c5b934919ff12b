//! Documents on the records they prove (docs/domain.md section 12): attached to facilities,
//! contracts, amendments and inspections, visible exactly to those who see the record, withdrawn
//! but never forgotten. Every interface calls these.

use std::sync::Arc;

use chrono::{NaiveDate, NaiveDateTime};

use crate::access::{self, Caller};
use crate::domain::Invalid;
use crate::domain::document::{self as doc, DocumentKind, MediaType, RecordKind};
use crate::domain::ids::{
    AmendmentId, ContractId, DocumentId, FacilityId, InspectionId, OrganizationId, SeasonId,
};
use crate::domain::season::ContractType;
use crate::error::{Error, FieldError};
use crate::storage::DbConnection;
use crate::storage::documents::{self as store, DocumentRow};
use crate::storage::models::ContractRow;

/// A file as it came in, read whole before any database work.
#[derive(Clone, Debug)]
pub struct File {
    /// The name the uploader gave it.
    pub name: String,
    /// The type the upload declared, if any.
    pub declared: Option<String>,
    pub content: Arc<Vec<u8>>,
}

/// An upload's fields as they came in; judged only once the caller may attach.
#[derive(Clone, Debug, Default)]
pub struct Upload {
    pub kind: Option<String>,
    pub valid_from: Option<String>,
    pub valid_until: Option<String>,
    pub file: Option<File>,
}

/// The record a document belongs to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    pub kind: RecordKind,
    pub id: String,
}

impl Record {
    pub fn new(kind: RecordKind, id: &str) -> Record {
        Record {
            kind,
            id: id.to_owned(),
        }
    }
}

/// A document as its readers see it.
#[derive(Clone, Debug)]
pub struct Document {
    pub id: DocumentId,
    pub record: Record,
    pub kind: DocumentKind,
    pub name: String,
    pub media_type: MediaType,
    pub size: i64,
    pub sha256: String,
    pub valid_from: Option<NaiveDate>,
    pub valid_until: Option<NaiveDate>,
    pub organization_id: OrganizationId,
    pub uploaded_at: NaiveDateTime,
    pub withdrawn_at: Option<NaiveDateTime>,
    pub withdrawal_reason: Option<String>,
}

impl crate::audit::AuditEntity for Document {
    fn audit_entity(&self) -> Option<String> {
        Some(self.id.to_string())
    }
}

/// A document's content, for download.
pub struct Content {
    pub document: Document,
    pub bytes: Vec<u8>,
}

impl crate::audit::AuditEntity for Content {
    fn audit_entity(&self) -> Option<String> {
        Some(self.document.id.to_string())
    }
}

fn document(row: DocumentRow) -> Document {
    Document {
        id: row.id,
        record: Record {
            kind: row.record_kind,
            id: row.record_id,
        },
        kind: row.kind,
        name: row.name,
        media_type: row.media_type,
        size: row.size,
        sha256: row.sha256,
        valid_from: row.valid_from,
        valid_until: row.valid_until,
        organization_id: row.organization_id,
        uploaded_at: row.uploaded_at,
        withdrawn_at: row.withdrawn_at,
        withdrawal_reason: row.withdrawal_reason,
    }
}

/// The record if the caller sees it (404 otherwise), with the organisations whose record it is
/// and whether the ministry attaches to it too.
fn record_of(
    conn: &mut DbConnection,
    caller: &Caller,
    record: &Record,
) -> Result<(Vec<OrganizationId>, bool), Error> {
    let parse_err = |_| Error::not_found();
    match record.kind {
        RecordKind::Facility => {
            let id: FacilityId = record.id.parse().map_err(parse_err)?;
            let row = super::facilities::visible(conn, caller, &id)?;
            Ok((vec![row.provider_id], false))
        }
        RecordKind::Contract => {
            let id: ContractId = record.id.parse().map_err(parse_err)?;
            let row = super::contracts::visible(conn, caller, &id)?;
            Ok(contract_owners(&row))
        }
        RecordKind::Amendment => {
            let id: AmendmentId = record.id.parse().map_err(parse_err)?;
            let amendment =
                crate::storage::contracts::amendment(conn, &id)?.ok_or_else(Error::not_found)?;
            let row = super::contracts::visible(conn, caller, &amendment.contract_id)?;
            Ok(contract_owners(&row))
        }
        RecordKind::Inspection => {
            let id: InspectionId = record.id.parse().map_err(parse_err)?;
            let inspection = super::inspections::find(conn, caller, &id)?;
            Ok((vec![inspection.organization_id], true))
        }
    }
}

/// Whose record a contract (or one of its amendments) is: its client's and its provider's, and the
/// ministry attaches to it too.
fn contract_owners(row: &ContractRow) -> (Vec<OrganizationId>, bool) {
    (vec![row.client_id.clone(), row.provider_id.clone()], true)
}

/// Attaches a document to a record (its owners, who can act): the file must be a PDF, JPEG or
/// PNG by its content, agree with any type it declared, be at most [`doc::MAX_BYTES`] and keep the
/// record within [`doc::MAX_PER_RECORD`] documents and [`doc::MAX_RECORD_BYTES`]. `upload` is the
/// request's input, or why it could not be read: it is looked at only once the caller may attach.
/// The content is kept once however often it is attached. Run inside a write transaction.
pub fn attach(
    conn: &mut DbConnection,
    caller: &Caller,
    record: &Record,
    upload: Result<Upload, Error>,
) -> Result<Document, Error> {
    let (owners, ministry) = record_of(conn, caller, record)?;
    let owners: Vec<&OrganizationId> = owners.iter().collect();
    access::attach_documents(caller, &owners, ministry)?;
    let upload = upload?;
    let mut errors = Vec::new();
    let kind = match upload.kind.as_deref().map(str::trim) {
        None | Some("") => Err(Invalid::new("required")),
        Some(k) => DocumentKind::parse(k).ok_or(Invalid::new("invalid_kind")),
    };
    let date = |field: &str, text: &Option<String>, errors: &mut Vec<FieldError>| match text
        .as_deref()
        .map(str::trim)
    {
        None | Some("") => None,
        Some(t) => match t.parse::<NaiveDate>() {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new(field, Invalid::new("invalid_date")));
                None
            }
        },
    };
    let valid_from = date("valid_from", &upload.valid_from, &mut errors);
    let valid_until = date("valid_until", &upload.valid_until, &mut errors);
    if let Err(e) = kind {
        errors.push(FieldError::new("kind", e));
    }
    if let Err(e) = doc::check_validity(valid_from, valid_until) {
        errors.push(FieldError::new("valid_until", e));
    }
    let file = match upload.file {
        None => Err(Invalid::new("required")),
        Some(f) if f.content.is_empty() => Err(Invalid::new("empty")),
        Some(f) => match MediaType::sniff(&f.content) {
            None => Err(Invalid::new("unsupported_content")),
            Some(media) => doc::check_declared(f.declared.as_deref(), media).map(|()| (f, media)),
        },
    };
    let (file, media) = match file {
        Ok(found) => found,
        Err(e) => {
            errors.push(FieldError::new("file", e));
            return Err(Error::invalid(errors));
        }
    };
    if !errors.is_empty() {
        return Err(Error::invalid(errors));
    }
    let kind = kind.map_err(|_| Error::internal())?;
    let size = file.content.len() as i64;
    let (count, weight) = store::record_load(conn, record.kind, &record.id)?;
    if count >= doc::MAX_PER_RECORD || weight + size > doc::MAX_RECORD_BYTES {
        return Err(Error::conflict("record_documents_full"));
    }
    let sha256 = store::digest(&file.content);
    store::keep_content(conn, &sha256, media, &file.content)?;
    let (user, key) = caller.actor_ids();
    let row = DocumentRow {
        id: DocumentId::generate(),
        record_kind: record.kind,
        record_id: record.id.clone(),
        kind,
        name: doc::clean_name(&file.name, media),
        media_type: media,
        sha256,
        size,
        valid_from,
        valid_until,
        organization_id: caller.organization_id.clone(),
        uploaded_by_user_id: user,
        uploaded_by_api_key_id: key,
        uploaded_at: crate::storage::now(),
        withdrawn_at: None,
        withdrawn_by_user_id: None,
        withdrawal_reason: None,
    };
    store::insert(conn, &row)?;
    papers_changed(conn, record)?;
    Ok(document(row))
}

/// A facility's papers changed: each client relying on it through an approved contract may have
/// gained or lost a lapsing paper (R25), so its readiness is assessed again, clients in order.
fn papers_changed(conn: &mut DbConnection, record: &Record) -> Result<(), Error> {
    let facility = match record.kind {
        RecordKind::Facility => record.id.parse::<FacilityId>(),
        _ => return Ok(()),
    };
    let Ok(facility) = facility else {
        return Ok(());
    };
    for (season_id, client_id) in store::relying_clients(conn, &facility)? {
        super::feed::readiness_inputs_changed(conn, &season_id, &client_id)?;
    }
    Ok(())
}

/// A record's documents the caller may see, withdrawn ones too, oldest first.
pub fn list(
    conn: &mut DbConnection,
    caller: &Caller,
    record: &Record,
) -> Result<Vec<Document>, Error> {
    record_of(conn, caller, record)?;
    seen(conn, caller, record)
}

/// A record's documents the caller sees by their kind, once it is known to see the record.
fn seen(conn: &mut DbConnection, caller: &Caller, record: &Record) -> Result<Vec<Document>, Error> {
    Ok(store::of_record(conn, record.kind, &record.id)?
        .into_iter()
        .filter(|d| access::sees_document(caller, d.kind))
        .map(document)
        .collect())
}

/// A record's documents as a page shows them: each the caller sees, with whether it may withdraw
/// it, and whether it may attach more.
pub struct Shelf {
    pub documents: Vec<(Document, bool)>,
    pub can_attach: bool,
}

/// The [`Shelf`] of a record the caller sees.
pub fn shelf(conn: &mut DbConnection, caller: &Caller, record: &Record) -> Result<Shelf, Error> {
    let (owners, ministry) = record_of(conn, caller, record)?;
    shelf_of(conn, caller, record, (&owners, ministry))
}

/// The [`Shelf`] of a contract the caller was found to see.
pub(super) fn contract_shelf(
    conn: &mut DbConnection,
    caller: &Caller,
    row: &ContractRow,
) -> Result<Shelf, Error> {
    let record = Record::new(RecordKind::Contract, row.id.as_str());
    let (owners, ministry) = contract_owners(row);
    shelf_of(conn, caller, &record, (&owners, ministry))
}

/// The [`Shelf`] of a record the caller sees, owned by `owners` (and by the ministry too, when
/// `ministry`).
fn shelf_of(
    conn: &mut DbConnection,
    caller: &Caller,
    record: &Record,
    (owners, ministry): (&[OrganizationId], bool),
) -> Result<Shelf, Error> {
    let owners: Vec<&OrganizationId> = owners.iter().collect();
    let can_attach = access::attach_documents(caller, &owners, ministry).is_ok();
    let documents = seen(conn, caller, record)?
        .into_iter()
        .map(|d| {
            let withdrawable = d.withdrawn_at.is_none()
                && access::withdraw_document(caller, &d.organization_id).is_ok();
            (d, withdrawable)
        })
        .collect();
    Ok(Shelf {
        documents,
        can_attach,
    })
}

/// A document, if the caller sees its record and its kind.
fn visible(conn: &mut DbConnection, caller: &Caller, id: &DocumentId) -> Result<Document, Error> {
    let row = store::find(conn, id)?.ok_or_else(Error::not_found)?;
    let found = document(row);
    record_of(conn, caller, &found.record)?;
    if !access::sees_document(caller, found.kind) {
        return Err(Error::not_found());
    }
    Ok(found)
}

pub fn find(conn: &mut DbConnection, caller: &Caller, id: &DocumentId) -> Result<Document, Error> {
    visible(conn, caller, id)
}

/// A document's content, for a caller who sees it; run in a write transaction, so that the
/// download is audited.
pub fn download(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &DocumentId,
) -> Result<Content, Error> {
    let document = visible(conn, caller, id)?;
    let bytes = store::content(conn, &document.sha256)?.ok_or_else(Error::internal)?;
    Ok(Content { document, bytes })
}

/// Withdraws a document (its uploader's organisation) with a reason; it stays listed, marked
/// withdrawn. Run inside a write transaction.
pub fn withdraw(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &DocumentId,
    reason: Result<Option<String>, Error>,
) -> Result<Document, Error> {
    let found = visible(conn, caller, id)?;
    access::withdraw_document(caller, &found.organization_id)?;
    let reason = super::contracts::reason(true, reason?)?.unwrap_or_default();
    if found.withdrawn_at.is_some() {
        return Err(Error::conflict("already_withdrawn"));
    }
    let (user, _) = caller.actor_ids();
    if !store::withdraw(conn, id, user.as_ref(), &reason)? {
        return Err(Error::conflict("already_withdrawn"));
    }
    papers_changed(conn, &found.record)?;
    visible(conn, caller, id)
}

/// The most kinds one rule names.
pub const MAX_RULE_KINDS: usize = 9;

/// Sets the document kinds a submission of `contract_type` needs in a season (ministry officers
/// and admins); an empty list needs none. `kinds` is the request's input, or why it could not be
/// read. Run inside a write transaction.
pub fn set_rules(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &SeasonId,
    contract_type: ContractType,
    kinds: Result<Vec<String>, Error>,
) -> Result<Vec<DocumentKind>, Error> {
    access::ministry_work(caller)?;
    super::seasons::find(conn, season_id)?;
    let kinds = kinds?;
    if kinds.len() > MAX_RULE_KINDS {
        return Err(Error::invalid_field(
            "kinds",
            Invalid::with_limit("too_many", MAX_RULE_KINDS),
        ));
    }
    let mut parsed = Vec::new();
    let mut errors = Vec::new();
    for (i, k) in kinds.iter().enumerate() {
        match DocumentKind::parse(k.trim()) {
            Some(kind) if !parsed.contains(&kind) => parsed.push(kind),
            Some(_) => errors.push(FieldError::new(
                format!("kinds[{i}]"),
                Invalid::new("repeated"),
            )),
            None => errors.push(FieldError::new(
                format!("kinds[{i}]"),
                Invalid::new("invalid_kind"),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(Error::invalid(errors));
    }
    parsed.sort_by_key(|k| k.as_str());
    store::set_rules(conn, season_id, contract_type, &parsed)?;
    Ok(parsed)
}

/// The kinds each contract type needs in a season, to every organisation (every type listed,
/// those needing none with an empty list).
pub fn rules(
    conn: &mut DbConnection,
    season_id: &SeasonId,
) -> Result<Vec<(ContractType, Vec<DocumentKind>)>, Error> {
    super::seasons::find(conn, season_id)?;
    let all = store::rules(conn, season_id)?;
    Ok(ContractType::ALL
        .iter()
        .map(|t| {
            let kinds = all
                .iter()
                .filter(|(c, _)| c == t)
                .map(|(_, k)| *k)
                .collect();
            (*t, kinds)
        })
        .collect())
}

/// What a contract's submission lacks (R24): the kinds its season's rule for its type needs that
/// no document on it or on its facility provides over its dates.
pub fn missing_for(conn: &mut DbConnection, row: &ContractRow) -> Result<Vec<DocumentKind>, Error> {
    Ok(store::missing_kinds(
        conn,
        &row.season_id,
        row.contract_type,
        (&row.id, &row.facility_id),
        (row.starts_on, row.ends_on),
    )?)
}

/// `etrack check`: every kept content against its hash; how many were read and what is wrong.
pub fn verify(conn: &mut DbConnection) -> Result<(usize, Vec<String>), Error> {
    Ok(store::verify(conn)?)
}
