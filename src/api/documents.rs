//! Documents over HTTP: each handler parses, calls one use case of [`crate::usecases::documents`]
//! and renders (docs/domain.md section 12). An upload is read whole, within its limits, before any
//! database connection is taken.

use std::sync::Arc;

use actix_multipart::Multipart;
use actix_web::http::header::{
    Charset, ContentDisposition, DispositionParam, DispositionType, ExtendedValue,
};
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{Json, path_id};
use super::idempotency::Idempotency;
use super::{Page, utc};
use crate::api::problem::ProblemDetails;
use crate::auth::credentials::Authenticated;
use crate::domain::Invalid;
use crate::domain::document::{self as doc, DocumentKind, MediaType, RecordKind};
use crate::domain::ids::{DocumentId, SeasonId};
use crate::domain::season::ContractType;
use crate::error::Error;
use crate::state::AppState;
use crate::usecases::documents::{self, Document, File, Record, Upload};

#[derive(Serialize, ToSchema)]
pub struct DocumentView {
    #[schema(format = Uuid)]
    pub id: String,
    /// The kind of record it is attached to.
    pub record_kind: RecordKind,
    #[schema(format = Uuid)]
    pub record_id: String,
    pub kind: DocumentKind,
    /// The uploaded name, cleaned: no directories or control characters, the extension of what
    /// the content is.
    pub name: String,
    /// What the content is, recognised from its first bytes.
    pub media_type: MediaType,
    /// In bytes.
    pub size: i64,
    /// The content's SHA-256, lowercase hex: a downloaded copy can be checked against it.
    pub sha256: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_from: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub valid_until: Option<NaiveDate>,
    /// The organisation that uploaded it.
    #[schema(format = Uuid)]
    pub organization_id: String,
    pub uploaded_at: DateTime<Utc>,
    /// Set once withdrawn: it stays listed, and can still be downloaded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawn_at: Option<DateTime<Utc>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withdrawal_reason: Option<String>,
    /// Where to download it.
    pub content_url: String,
}

impl From<Document> for DocumentView {
    fn from(d: Document) -> DocumentView {
        DocumentView {
            content_url: format!("/api/v1/documents/{}/content", d.id),
            id: d.id.into_string(),
            record_kind: d.record.kind,
            record_id: d.record.id,
            kind: d.kind,
            name: d.name,
            media_type: d.media_type,
            size: d.size,
            sha256: d.sha256,
            valid_from: d.valid_from,
            valid_until: d.valid_until,
            organization_id: d.organization_id.into_string(),
            uploaded_at: utc(d.uploaded_at),
            withdrawn_at: d.withdrawn_at.map(utc),
            withdrawal_reason: d.withdrawal_reason,
        }
    }
}

impl crate::audit::AuditEntity for DocumentView {
    fn audit_entity(&self) -> Option<String> {
        Some(self.id.clone())
    }
}

/// An upload, as `multipart/form-data`.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file: a PDF, JPEG or PNG (recognised by its content; a declared type must agree), up
    /// to 10 MiB. A record carries at most 50 documents and 50 MiB, withdrawn ones aside.
    #[schema(value_type = String, format = Binary)]
    pub file: Vec<u8>,
    pub kind: DocumentKind,
    /// The first day the document is valid, if it says.
    pub valid_from: Option<NaiveDate>,
    /// The last day the document is valid, if it says.
    pub valid_until: Option<NaiveDate>,
}

/// The longest text field of an upload, in bytes.
const MAX_FIELD_BYTES: usize = 200;
/// What an upload may carry besides its file: its fields, their headers and boundaries.
const MAX_ENVELOPE_BYTES: usize = 64 * 1024;

/// Reads a `multipart/form-data` upload whole: a file over [`doc::MAX_BYTES`] is 413 (the rest is
/// not read), a broken body 400 `malformed_multipart`, another content type 415. A console form
/// also carries its token (`csrf`, before the file): it is put in `csrf` as soon as it is read,
/// so that a refusal of the rest can still be shown to the form's session.
pub(crate) async fn read_upload(
    req: &HttpRequest,
    payload: web::Payload,
    mut csrf: Option<&mut String>,
) -> Result<Upload, Error> {
    let multipart = super::extract::media_type(req).as_deref() == Some("multipart/form-data");
    if !multipart {
        return Err(Error::unsupported_media_type());
    }
    // A body declared larger than a file and its fields can be is refused before it is read.
    let declared = req
        .headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if declared.is_some_and(|n| n > doc::MAX_BYTES + MAX_ENVELOPE_BYTES) {
        return Err(Error::payload_too_large());
    }
    let broken = || Error::bad_request("malformed_multipart");
    let mut parts = Multipart::new(req.headers(), payload);
    let mut upload = Upload::default();
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(|_| broken())?;
        let name = part.name().unwrap_or("").to_owned();
        let limit = if name == "file" {
            doc::MAX_BYTES
        } else {
            MAX_FIELD_BYTES
        };
        // A file is read into one buffer the size the request declared (within the limit), so
        // that it is not copied as it grows.
        let mut bytes = if name == "file" {
            Vec::with_capacity(declared.unwrap_or(0).min(doc::MAX_BYTES))
        } else {
            Vec::new()
        };
        while let Some(chunk) = part.next().await {
            let chunk = chunk.map_err(|_| broken())?;
            if bytes.len() + chunk.len() > limit {
                return Err(if name == "file" {
                    Error::payload_too_large()
                } else {
                    Error::invalid_field(&name, Invalid::with_limit("too_long", limit))
                });
            }
            bytes.extend_from_slice(&chunk);
        }
        let text = |bytes: Vec<u8>| {
            String::from_utf8(bytes)
                .map_err(|_| Error::invalid_field(&name, Invalid::new("invalid_characters")))
        };
        let repeated = || Error::invalid_field(&name, Invalid::new("repeated"));
        match name.as_str() {
            "file" if upload.file.is_some() => return Err(repeated()),
            "file" => {
                let file_name = part
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .unwrap_or("")
                    .to_owned();
                upload.file = Some(File {
                    name: file_name,
                    declared: part.content_type().map(|m| m.essence_str().to_owned()),
                    content: Arc::new(bytes),
                });
            }
            "kind" if upload.kind.is_some() => return Err(repeated()),
            "kind" => upload.kind = Some(text(bytes)?),
            "valid_from" if upload.valid_from.is_some() => return Err(repeated()),
            "valid_from" => upload.valid_from = Some(text(bytes)?),
            "valid_until" if upload.valid_until.is_some() => return Err(repeated()),
            "valid_until" => upload.valid_until = Some(text(bytes)?),
            crate::console::CSRF_FIELD if csrf.is_some() => {
                if let Some(token) = csrf.as_deref_mut() {
                    *token = text(bytes)?;
                }
            }
            _ => return Err(Error::invalid_field(&name, Invalid::new("unknown_field"))),
        }
    }
    Ok(upload)
}

/// What tells one upload from another, for its `Idempotency-Key`.
fn fingerprint(upload: &Result<Upload, Error>) -> String {
    match upload {
        Err(e) => format!("refused {}", e.code),
        Ok(u) => {
            let file = u.file.as_ref().map(|f| {
                format!(
                    "{}|{:?}|{}",
                    f.name,
                    f.declared,
                    crate::storage::documents::digest(&f.content)
                )
            });
            format!(
                "{:?}|{:?}|{:?}|{:?}",
                u.kind, u.valid_from, u.valid_until, file
            )
        }
    }
}

async fn attach(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    payload: web::Payload,
    kind: RecordKind,
    id: &str,
) -> Result<HttpResponse, Error> {
    let record = Record::new(kind, id);
    let _turn = state.upload_turn().await?;
    let upload = read_upload(&req, payload, None).await;
    let idempotency = Idempotency::of(&req, fingerprint(&upload))?;
    let created = idempotency
        .create(&state, auth, move |conn, caller| {
            documents::attach(conn, caller, &record, upload.clone()).map(DocumentView::from)
        })
        .await?;
    Ok(created.respond(|id| format!("/api/v1/documents/{id}")))
}

async fn list(
    state: web::Data<AppState>,
    auth: Authenticated,
    kind: RecordKind,
    id: &str,
) -> Result<HttpResponse, Error> {
    let record = Record::new(kind, id);
    let items = state
        .read(auth, move |conn, caller| {
            documents::list(conn, caller, &record)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Page::whole(
        items.into_iter().map(DocumentView::from).collect(),
    )))
}

macro_rules! record_documents {
    ($($record:literal, $path:literal, $kind:expr, $attach:ident, $attach_op:literal, $attach_summary:literal, $list:ident, $list_op:literal, $list_summary:literal, $who:literal;)*) => {$(
        #[doc = concat!("Attaches a document to a ", $record, " (", $who, "), as `multipart/form-data` with the fields `file`, `kind` and optionally `valid_from` and `valid_until`. Its content is kept once however often it is attached.")]
        #[utoipa::path(
            operation_id = $attach_op,
            summary = $attach_summary,
            description = "As `multipart/form-data` with the fields `file`, `kind` and optionally `valid_from` and `valid_until`. The content is kept once however often it is attached.",
            tag = "documents",
            params(("id" = String, Path, description = concat!("The ", $record, "'s id"))),
            request_body(content = UploadForm, content_type = "multipart/form-data"),
            responses(
                (status = 201, description = "Attached", body = DocumentView),
                (status = 409, description = "The record carries as many documents as it may (`record_documents_full`)", body = ProblemDetails, content_type = "application/problem+json"),
                (status = 413, description = "The file is over 10 MiB (`payload_too_large`)", body = ProblemDetails, content_type = "application/problem+json"),
                (status = 415, description = "Not `multipart/form-data`", body = ProblemDetails, content_type = "application/problem+json"),
            )
        )]
        #[post($path)]
        pub async fn $attach(
            state: web::Data<AppState>,
            auth: Authenticated,
            req: HttpRequest,
            payload: web::Payload,
            id: web::Path<String>,
        ) -> Result<HttpResponse, Error> {
            attach(state, auth, req, payload, $kind, &id).await
        }

        #[doc = concat!("The documents of a ", $record, ", withdrawn ones too, oldest first, to whoever sees it (signed contracts only to those who see prices).")]
        #[utoipa::path(
            operation_id = $list_op,
            summary = $list_summary,
            description = "Withdrawn ones too, oldest first, to whoever sees the record (signed contracts only to those who see prices).",
            tag = "documents",
            params(("id" = String, Path, description = concat!("The ", $record, "'s id"))),
            responses(
                (status = 200, description = "Its documents", body = Page<DocumentView>),
                (status = 404, description = "No such record, or not yours to see", body = ProblemDetails, content_type = "application/problem+json"),
            )
        )]
        #[get($path)]
        pub async fn $list(
            state: web::Data<AppState>,
            auth: Authenticated,
            id: web::Path<String>,
        ) -> Result<HttpResponse, Error> {
            list(state, auth, $kind, &id).await
        }
    )*};
}

record_documents!(
    "facility", "/{id}/documents", RecordKind::Facility,
        attach_to_facility, "attachFacilityDocument", "Attaches a document to a facility (its provider)",
        facility_documents, "listFacilityDocuments", "The documents of a facility",
        "its provider";
    "contract", "/{id}/documents", RecordKind::Contract,
        attach_to_contract, "attachContractDocument", "Attaches a document to a contract (its client, its provider or the ministry)",
        contract_documents, "listContractDocuments", "The documents of a contract",
        "its client, its provider or the ministry";
    "amendment", "/{id}/documents", RecordKind::Amendment,
        attach_to_amendment, "attachAmendmentDocument", "Attaches a document to an amendment (its contract's client, provider or the ministry)",
        amendment_documents, "listAmendmentDocuments", "The documents of an amendment",
        "its contract's client, provider or the ministry";
    "inspection", "/{id}/documents", RecordKind::Inspection,
        attach_to_inspection, "attachInspectionDocument", "Attaches a document to an inspection (its inspector or the ministry)",
        inspection_documents, "listInspectionDocuments", "The documents of an inspection",
        "its inspector or the ministry";
);

/// One document's details, to whoever sees its record.
#[utoipa::path(
    operation_id = "getDocument",
    tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    responses(
        (status = 200, description = "The document", body = DocumentView),
        (status = 404, description = "No such document, or not yours to see", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/{id}")]
pub async fn get_document(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: DocumentId = path_id(&id)?;
    let found = state
        .read(auth, move |conn, caller| documents::find(conn, caller, &id))
        .await?;
    Ok(HttpResponse::Ok().json(DocumentView::from(found)))
}

/// A name for `Content-Disposition`: the name itself for readers that take UTF-8, and a plain
/// ASCII fallback for those that do not.
fn disposition(name: &str) -> ContentDisposition {
    let ascii: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_graphic() || c == ' ' {
                c
            } else {
                '_'
            }
        })
        .collect();
    ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(ExtendedValue {
                charset: Charset::Ext("UTF-8".to_owned()),
                language_tag: None,
                value: name.as_bytes().to_vec(),
            }),
        ],
    }
}

/// Downloads a document's content as an attachment, to whoever sees its record; every download
/// is in the audit log.
#[utoipa::path(
    operation_id = "downloadDocument",
    tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    responses(
        (status = 200, description = "The content, with `Content-Disposition: attachment`", content(
            (Vec<u8> = "application/pdf"),
            (Vec<u8> = "image/jpeg"),
            (Vec<u8> = "image/png"),
        )),
        (status = 404, description = "No such document, or not yours to see", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/{id}/content")]
pub async fn download(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: DocumentId = path_id(&id)?;
    let content = state
        .write(auth, move |conn, caller| {
            documents::download(conn, caller, &id)
        })
        .await?;
    Ok(attachment(content))
}

/// A document's content as a download: an attachment under its cleaned name, never sniffed or
/// cached, its hash as the `ETag`.
pub(crate) fn attachment(content: documents::Content) -> HttpResponse {
    let d = &content.document;
    HttpResponse::Ok()
        .content_type(d.media_type.as_str())
        .insert_header(disposition(&d.name))
        .insert_header(("X-Content-Type-Options", "nosniff"))
        .insert_header(("Cache-Control", "private, no-store"))
        .insert_header(("ETag", format!("\"{}\"", d.sha256)))
        .body(content.bytes)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WithdrawInput {
    /// Why, up to 1,000 characters.
    #[schema(max_length = 1000)]
    pub reason: Option<String>,
}

/// Withdraws a document (its uploader's organisation) with a reason. It stays listed, marked
/// withdrawn, and can still be downloaded.
#[utoipa::path(
    operation_id = "withdrawDocument",
    tag = "documents",
    params(("id" = String, Path, description = "Document id")),
    request_body = WithdrawInput,
    responses(
        (status = 200, description = "Withdrawn", body = DocumentView),
        (status = 409, description = "Withdrawn already (`already_withdrawn`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Json<WithdrawInput>,
) -> Result<HttpResponse, Error> {
    let id: DocumentId = path_id(&id)?;
    let reason = body.into_inner().map(|b| b.reason);
    let done = state
        .write(auth, move |conn, caller| {
            documents::withdraw(conn, caller, &id, reason.clone()).map(DocumentView::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(done))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleInput {
    /// The document kinds a submission needs (at most 9; none: nothing needed).
    #[schema(max_items = 9)]
    pub kinds: Vec<String>,
}

#[derive(Serialize, ToSchema)]
pub struct RuleView {
    pub contract_type: ContractType,
    /// Each must be on the contract or its facility, not withdrawn, valid over the contract's
    /// dates, when it is submitted.
    pub kinds: Vec<DocumentKind>,
}

/// The audit event names the season (the path's id).
impl crate::audit::AuditEntity for RuleView {}

/// Sets the document kinds a submission of a contract type needs in the season (ministry
/// officers and admins): a submission lacking one, on the contract or its facility and valid over
/// its dates, is refused with `documents_missing` naming them.
#[utoipa::path(
    operation_id = "setDocumentRule",
    tag = "documents",
    request_body = RuleInput,
    params(("id" = String, Path, description = "Season id"), ("contract_type" = ContractType, Path, description = "housing, transport or catering")),
    responses((status = 200, description = "The rule", body = RuleView))
)]
#[put("/{id}/document-rules/{contract_type}")]
pub async fn set_rule(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Json<RuleInput>,
) -> Result<HttpResponse, Error> {
    let (id, contract_type) = path.into_inner();
    let id: SeasonId = path_id(&id)?;
    let contract_type = ContractType::parse(&contract_type).ok_or_else(Error::not_found)?;
    let kinds = body.into_inner().map(|b| b.kinds);
    let view = state
        .write(auth, move |conn, caller| {
            let kinds = documents::set_rules(conn, caller, &id, contract_type, kinds.clone())?;
            Ok(RuleView {
                contract_type,
                kinds,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The document kinds each contract type needs in the season, to every organisation.
#[utoipa::path(
    operation_id = "listDocumentRules",
    tag = "documents",
    params(("id" = String, Path, description = "Season id")),
    responses((status = 200, description = "Every contract type's rule (no next page)", body = Page<RuleView>))
)]
#[get("/{id}/document-rules")]
pub async fn rules(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: SeasonId = path_id(&id)?;
    let items = state
        .read(auth, move |conn, _| documents::rules(conn, &id))
        .await?;
    Ok(HttpResponse::Ok().json(Page::whole(
        items
            .into_iter()
            .map(|(contract_type, kinds)| RuleView {
                contract_type,
                kinds,
            })
            .collect(),
    )))
}
