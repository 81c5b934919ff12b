//! Contracts over HTTP: each handler parses, calls one use case of [`crate::usecases::contracts`]
//! or [`crate::usecases::amendments`] and renders (docs/domain.md section 4, rules R2-R10).

pub mod input;
mod views;

pub use input::{
    ContractQuery, CreateAmendment, CreateContract, ReasonInput, TermsInput, UpdateContract,
};
pub use views::{AmendmentView, ContractView, EventView, Route};

use crate::api::extract::Query;
use crate::api::lists;
use actix_web::http::StatusCode;
use actix_web::http::header::ContentType;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};

use crate::access;
use crate::api::problem::ProblemDetails;
use crate::auth::credentials::Authenticated;
use crate::domain::Invalid;
use crate::domain::contract::Action;
use crate::domain::ids::{AmendmentId, ContractId};
use crate::domain::text::{self, search_key};
use crate::error::Error;
use crate::state::AppState;
use crate::storage::contracts::ContractFilter;
use crate::usecases;

use super::extract::{Json, OptionalJson, etag, if_match, page, path_id};
use super::idempotency::Idempotency;
use super::{Page, csv, json};

fn respond(status: StatusCode, view: &ContractView) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(etag(view.version))
        .content_type(ContentType::json())
        .body(json::written(view, 1))
}

/// The reason a request carries, or why its body could not be read.
fn reason_of(body: OptionalJson<ReasonInput>) -> Result<Option<String>, Error> {
    body.into_inner().map(|b| b.and_then(|r| r.reason))
}

/// Drafts a contract (offices and agencies). A draft holds nothing; submitting it does. Send an
/// `Idempotency-Key` so that a retried request never creates a second contract.
#[utoipa::path(
    operation_id = "createContract",
    tag = "contracts",
    request_body = CreateContract,
    responses(
        (status = 201, description = "Drafted (or the first answer to this key, replayed)", body = ContractView),
        (status = 409, description = "`no_allocation`, or `idempotency_key_reused` with another body", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    body: Json<CreateContract>,
) -> Result<HttpResponse, Error> {
    let idempotency = Idempotency::new(&req, &body)?;
    let parsed = body.into_inner().and_then(CreateContract::parse);
    let created = idempotency
        .create_guarded(&state, auth, move |conn, caller, guard| {
            usecases::contracts::draft(conn, (caller, guard), parsed.clone())
                .map(ContractView::from)
        })
        .await?;
    Ok(created.respond(|id| format!("/api/v1/contracts/{id}")))
}

const CSV_BATCH: u32 = 500;

/// Lists the contracts the caller may see. `Accept: text/csv` returns every matching row (all
/// pages, up to 100,000) as CSV, with the same columns the caller sees in JSON.
#[utoipa::path(
    operation_id = "listContracts",
    tag = "contracts",
    params(ContractQuery),
    responses((status = 200, description = "One page (JSON) or every row (CSV)", content(
        (Page<ContractView> = "application/json"),
        (String = "text/csv"),
    )))
)]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    query: Query<ContractQuery>,
) -> Result<HttpResponse, Error> {
    let query = query.into_inner();
    let page = page(query.limit, query.cursor)?;
    let q = query.q.as_deref().map(search_key).filter(|q| !q.is_empty());
    if q.as_ref()
        .is_some_and(|q| q.chars().count() > text::MAX_NAME_CHARS)
    {
        return Err(Error::invalid_query(
            "q",
            Invalid::with_limit("too_long", text::MAX_NAME_CHARS),
        ));
    }
    let filter = ContractFilter {
        season_id: query.season_id,
        contract_type: query.contract_type.map(|t| t.as_str().to_owned()),
        status: query.status.map(|s| s.as_str().to_owned()),
        client_id: query.client_id,
        provider_id: query.provider_id,
        facility_id: query.facility_id,
        q,
        amendment_status: None,
    };
    if csv::wanted(&req) {
        let body = state
            .read(auth, move |conn, caller| csv_export(conn, caller, &filter))
            .await?;
        return Ok(csv::download(body, "contracts"));
    }
    let found =
        |page: &Result<Page<ContractView>, Error>| page.as_ref().is_ok_and(|p| !p.items.is_empty());
    let body = state
        .read_guarded(auth, found, move |conn, caller, guard| {
            let found = page.read(|after, n| {
                usecases::contracts::list(conn, (caller, guard), &filter, after, n)
            })?;
            Ok(page.show(found, |d| d.contract.id.as_str(), ContractView::from))
        })
        .await?;
    Ok(json::ok_written(&body, body.items.len()))
}

/// One contract.
#[utoipa::path(
    operation_id = "getContract",
    tag = "contracts",
    params(("id" = String, Path, description = "Contract id")),
    responses((status = 200, description = "The contract", body = ContractView, headers(("ETag" = String, description = "The version"))))
)]
#[get("/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: ContractId = path_id(&id)?;
    let view = state
        .read_guarded(auth, Result::is_ok, move |conn, caller, guard| {
            usecases::contracts::find(conn, (caller, guard), &id).map(ContractView::from)
        })
        .await?;
    Ok(respond(StatusCode::OK, &view))
}

/// Edits a draft or returned contract (its client). Needs `If-Match`; every edit bumps the version.
#[utoipa::path(
    operation_id = "updateContract",
    tag = "contracts",
    request_body = UpdateContract,
    params(
        ("id" = String, Path, description = "Contract id"),
        ("If-Match" = String, Header, description = "The version being changed, as its ETag (`*`: whatever version is current)"),
    ),
    responses(
        (status = 200, description = "Updated", body = ContractView),
        (status = 409, description = "Not a draft or returned contract (`invalid_transition`)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "Stale version", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[patch("/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<UpdateContract>,
) -> Result<HttpResponse, Error> {
    let id: ContractId = path_id(&id)?;
    let version = if_match(&req);
    let edit = body.into_inner().map(Into::into);
    let view = state
        .write(auth, move |conn, caller| {
            usecases::contracts::edit(conn, caller, &id, version.clone(), edit.clone())
                .map(ContractView::from)
        })
        .await?;
    Ok(respond(StatusCode::OK, &view))
}

/// Moves a contract along its lifecycle: `submit` and `cancel` (client), `accept` and `decline`
/// (provider), `approve`, `return`, `reject` and `cancel` of an approved contract (ministry).
/// Submitting holds the facility's capacity and the client's allocation; leaving the pending and
/// approved states releases them.
#[utoipa::path(
    operation_id = "actOnContract",
    tag = "contracts",
    request_body(content = Option<ReasonInput>, description = "`reason` is required to decline, return, reject and cancel"),
    params(
        ("id" = String, Path, description = "Contract id"),
        ("action" = inline(Action), Path, description = "submit, accept, decline, approve, return, reject or cancel"),
    ),
    responses(
        (status = 200, description = "The contract after the transition", body = ContractView),
        (status = 409, description = "`invalid_transition`, `capacity_exceeded`, `quota_exceeded`, `deadline_passed`, `no_allocation` or `provider_inactive`", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/{action}")]
pub async fn act(
    state: web::Data<AppState>,
    auth: Result<Authenticated, Error>,
    req: HttpRequest,
    path: web::Path<(String, String)>,
    body: OptionalJson<ReasonInput>,
) -> Result<HttpResponse, Error> {
    let (id, action) = path.into_inner();
    let Some(action) = Action::parse(&action) else {
        // `/contracts/{id}/history` is read, never posted to.
        if action == "history" {
            return Ok(super::problem::method_not_allowed(
                "GET",
                crate::i18n::request_language(&req),
            ));
        }
        return Err(Error::not_found());
    };
    let auth = auth?;
    let id: ContractId = path_id(&id)?;
    let reason = reason_of(body);
    let view = state
        .write_guarded(auth, move |conn, caller, guard| {
            usecases::contracts::act(conn, (caller, guard), &id, action, reason.clone())
                .map(ContractView::from)
        })
        .await?;
    Ok(respond(StatusCode::OK, &view))
}

/// Every transition, edit and amendment step of a contract, oldest first (append-only).
#[utoipa::path(
    operation_id = "getContractHistory",
    tag = "contracts",
    params(("id" = String, Path, description = "Contract id")),
    responses((status = 200, description = "The history, every event (no next page)", body = Page<EventView>))
)]
#[get("/{id}/history")]
pub async fn history(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: ContractId = path_id(&id)?;
    let events = state
        .read(auth, move |conn, caller| {
            let events = usecases::contracts::history(conn, caller, &id)?;
            Ok(events.into_iter().map(EventView::from).collect::<Vec<_>>())
        })
        .await?;
    Ok(lists::whole(&req, "history", events))
}

/// The contract's sheet: its terms, parties, dates (Gregorian and Hijri), who took each step and
/// when, and the SHA-256 of its history, as a printable page in English and Arabic (prices only
/// for those who see them). A paper copy is checked by comparing its hash with the sheet's.
#[utoipa::path(
    operation_id = "getContractSheet",
    tag = "contracts",
    params(("id" = String, Path, description = "Contract id")),
    responses((status = 200, description = "The sheet", content_type = "text/html", body = String))
)]
#[get("/{id}/sheet")]
pub async fn sheet(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: ContractId = path_id(&id)?;
    let page = state
        .read(auth, move |conn, caller| {
            crate::sheet::render(&usecases::sheet::sheet(conn, caller, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .content_type("text/html; charset=utf-8")
        .body(page))
}

/// Proposes new terms for an approved contract (its client). The provider accepts, the ministry
/// approves; meanwhile the capacity the new terms need beyond the old ones is held.
#[utoipa::path(
    operation_id = "proposeAmendment",
    tag = "contracts",
    request_body = CreateAmendment,
    params(("id" = String, Path, description = "Contract id")),
    responses(
        (status = 201, description = "Proposed", body = AmendmentView),
        (status = 409, description = "`invalid_transition` (not approved), `amendment_open`, `capacity_exceeded` or `quota_exceeded`", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/amendments")]
pub async fn amend(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<CreateAmendment>,
) -> Result<HttpResponse, Error> {
    let id: ContractId = path_id(&id)?;
    let idempotency = Idempotency::new(&req, &body)?;
    let proposal = body.into_inner().map(CreateAmendment::parse);
    let created = idempotency
        .create(&state, auth, move |conn, caller| {
            usecases::amendments::propose(conn, caller, &id, proposal.clone())
                .map(AmendmentView::from)
        })
        .await?;
    Ok(created.respond(|id| format!("/api/v1/amendments/{id}")))
}

/// The amendments of a contract, oldest first.
#[utoipa::path(
    operation_id = "listAmendments",
    tag = "contracts",
    params(("id" = String, Path, description = "Contract id")),
    responses((status = 200, description = "Amendments, every one (no next page)", body = Page<AmendmentView>))
)]
#[get("/{id}/amendments")]
pub async fn amendments(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: ContractId = path_id(&id)?;
    let views = state
        .read(auth, move |conn, caller| {
            let found = usecases::amendments::list(conn, caller, &id)?;
            Ok(found
                .into_iter()
                .map(AmendmentView::from)
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(lists::whole(&req, "amendments", views))
}

/// One amendment, to whoever sees its contract.
#[utoipa::path(
    operation_id = "getAmendment",
    tag = "contracts",
    params(("id" = String, Path, description = "Amendment id")),
    responses(
        (status = 200, description = "The amendment", body = AmendmentView),
        (status = 404, description = "No such amendment, or its contract is not yours to see", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/{id}")]
pub async fn amendment(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: AmendmentId = path_id(&id)?;
    let view = state
        .read(auth, move |conn, caller| {
            usecases::amendments::find(conn, caller, &id).map(AmendmentView::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Decides an amendment: `accept` or `decline` (provider), then `approve` or `reject` (ministry).
/// Approval replaces the contract's terms and bumps its version; otherwise the contract stays as
/// it was and the extra capacity is released.
#[utoipa::path(
    operation_id = "decideAmendment",
    tag = "contracts",
    request_body(content = Option<ReasonInput>, description = "`reason` is required to decline and reject"),
    params(
        ("id" = String, Path, description = "Amendment id"),
        ("action" = inline(Action), Path, description = "accept, decline, approve or reject"),
    ),
    responses(
        (status = 200, description = "The amendment after the decision", body = AmendmentView),
        (status = 409, description = "Not possible in the amendment's state (`invalid_transition`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/{action}")]
pub async fn decide(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(String, Action)>,
    body: OptionalJson<ReasonInput>,
) -> Result<HttpResponse, Error> {
    let (id, action) = path.into_inner();
    let id: AmendmentId = path_id(&id)?;
    let reason = reason_of(body);
    let view = state
        .write(auth, move |conn, caller| {
            usecases::amendments::decide(conn, caller, &id, action, reason.clone())
                .map(AmendmentView::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Every contract the caller may see that `filter` lets through (up to the CSV limit), as CSV
/// text with the columns the caller sees in JSON.
pub fn csv_export(
    conn: &mut crate::storage::DbConnection,
    caller: &crate::access::Caller,
    filter: &ContractFilter,
) -> Result<String, Error> {
    let mut out = csv::line(&views::csv_header(access::sees_prices(caller)));
    let mut after: Option<ContractId> = None;
    let mut count = 0;
    loop {
        let batch = usecases::contracts::list(
            conn,
            (caller, None),
            filter,
            after.as_ref(),
            i64::from(CSV_BATCH),
        )?;
        let done = batch.len() < CSV_BATCH as usize;
        after = batch.last().map(|d| d.contract.id.clone());
        for d in batch {
            out.push_str(&csv::line(&views::csv_row(&ContractView::from(d))));
            count += 1;
        }
        if done || count >= csv::MAX_ROWS {
            break;
        }
    }
    Ok(out)
}
