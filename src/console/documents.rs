//! Documents on the console: a facility's and a contract's papers listed on their pages, attached
//! with a form (`multipart/form-data`, read whole before any connection is taken, as the API does),
//! downloaded and withdrawn, through the same use cases as the API (docs/domain.md section 12).

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::pages::{Touched, contract_with_notice, no_such, submit};
use super::session::Visitor;
use crate::domain::document::{DocumentKind, RecordKind};
use crate::domain::ids::{ContractId, DocumentId, FacilityId};
use crate::error::Error;
use crate::state::AppState;
use crate::usecases::documents::{self as cases, Record};

/// The console's word for a kind of document.
pub fn kind_word(kind: &DocumentKind) -> &'static str {
    match kind {
        DocumentKind::Licence => "doc_licence",
        DocumentKind::CivilDefence => "doc_civil_defence",
        DocumentKind::Lease => "doc_lease",
        DocumentKind::Insurance => "doc_insurance",
        DocumentKind::Permit => "doc_permit",
        DocumentKind::HealthCertificate => "doc_health_certificate",
        DocumentKind::SignedContract => "doc_signed_contract",
        DocumentKind::InspectionReport => "doc_inspection_report",
        DocumentKind::Other => "doc_other",
    }
}

/// The record of a page's path, if its id is one.
fn record(kind: RecordKind, id: &str) -> Option<Record> {
    let valid = match kind {
        RecordKind::Facility => id.parse::<FacilityId>().is_ok(),
        _ => id.parse::<ContractId>().is_ok(),
    };
    valid.then(|| Record::new(kind, id))
}

/// The page a record's documents are shown on.
fn page_of(record: &Record) -> String {
    match record.kind {
        RecordKind::Facility => format!("/facilities/{}", record.id),
        _ => format!("/contracts/{}", record.id),
    }
}

/// The record's page again, with a refusal above it.
async fn again(state: &AppState, visitor: &Visitor, record: &Record, e: &Error) -> HttpResponse {
    match record.kind {
        RecordKind::Facility => match record.id.parse::<FacilityId>() {
            Ok(id) => super::facilities::show_with(state, visitor, id, Some(e)).await,
            Err(_) => no_such(visitor),
        },
        _ => match record.id.parse::<ContractId>() {
            Ok(id) => contract_with_notice(state, visitor, id, e).await,
            Err(_) => no_such(visitor),
        },
    }
}

/// Attaches the uploaded file to a record. The form's token comes before its file, so a file too
/// large or of a refused type is shown on the record's page like any refusal; nothing is stored.
async fn attach(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    payload: web::Payload,
    kind: RecordKind,
    id: &str,
) -> HttpResponse {
    let Some(record) = record(kind, id) else {
        return no_such(&visitor);
    };
    let _turn = match state.upload_turn().await {
        Ok(turn) => turn,
        Err(e) => return again(&state, &visitor, &record, &e).await,
    };
    let mut csrf = String::new();
    let upload = crate::api::documents::read_upload(&req, payload, Some(&mut csrf)).await;
    if let Err(e) = &upload
        && visitor.auth().is_some()
    {
        return again(&state, &visitor, &record, e).await;
    }
    let to = format!("{}#documents", page_of(&record));
    let target = record.clone();
    submit(
        &state,
        &visitor,
        &csrf,
        move |conn, caller| {
            cases::attach(conn, caller, &target, upload.clone())
                .map(|d| Touched(d.id.into_string()))
        },
        move |_| to,
        |e| {
            let (state, visitor) = (&state, &visitor);
            async move { again(state, visitor, &record, &e).await }
        },
    )
    .await
}

pub async fn attach_to_facility(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    payload: web::Payload,
    id: web::Path<String>,
) -> HttpResponse {
    attach(state, visitor, req, payload, RecordKind::Facility, &id).await
}

pub async fn attach_to_contract(
    state: web::Data<AppState>,
    visitor: Visitor,
    req: HttpRequest,
    payload: web::Payload,
    id: web::Path<String>,
) -> HttpResponse {
    attach(state, visitor, req, payload, RecordKind::Contract, &id).await
}

/// Downloads a document the reader sees (an audited write, as over the API).
pub async fn download(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let Ok(id) = id.parse::<DocumentId>() else {
        return no_such(&visitor);
    };
    let Some(auth) = visitor.auth() else {
        return super::session::to_sign_in();
    };
    match state
        .write(auth, move |conn, caller| cases::download(conn, caller, &id))
        .await
    {
        Ok(content) => crate::api::documents::attachment(content),
        Err(e) => super::pages::unframed(&visitor, &e),
    }
}

#[derive(Deserialize)]
pub struct WithdrawForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    reason: String,
}

/// Withdraws a document of the record whose page the form is on.
async fn withdraw(
    state: web::Data<AppState>,
    visitor: Visitor,
    kind: RecordKind,
    path: web::Path<(String, String)>,
    form: web::Form<WithdrawForm>,
) -> HttpResponse {
    let (record_id, id) = path.into_inner();
    let (Some(record), Ok(id)) = (record(kind, &record_id), id.parse::<DocumentId>()) else {
        return no_such(&visitor);
    };
    let form = form.into_inner();
    let reason = Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty());
    let to = format!("{}#documents", page_of(&record));
    let target = record.clone();
    submit(
        &state,
        &visitor,
        &form.csrf,
        move |conn, caller| {
            // The document must be one of this page's record: another is as absent as any.
            let found = cases::find(conn, caller, &id)?;
            if found.record != target {
                return Err(Error::not_found());
            }
            cases::withdraw(conn, caller, &id, Ok(reason.clone()))
                .map(|d| Touched(d.id.into_string()))
        },
        move |_| to,
        |e| {
            let (state, visitor) = (&state, &visitor);
            async move { again(state, visitor, &record, &e).await }
        },
    )
    .await
}

pub async fn withdraw_from_facility(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: web::Form<WithdrawForm>,
) -> HttpResponse {
    withdraw(state, visitor, RecordKind::Facility, path, form).await
}

pub async fn withdraw_from_contract(
    state: web::Data<AppState>,
    visitor: Visitor,
    path: web::Path<(String, String)>,
    form: web::Form<WithdrawForm>,
) -> HttpResponse {
    withdraw(state, visitor, RecordKind::Contract, path, form).await
}
