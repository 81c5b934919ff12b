//! Inspections over HTTP: each handler parses, calls one use case of
//! [`crate::usecases::inspections`] and renders (docs/domain.md section 6).

use super::extract::Query;
use super::lists;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::problem::ProblemDetails;
use crate::auth::credentials::Authenticated;
use crate::domain::calendar::hijri;
use crate::domain::ids::{ContractId, InspectionId};
use crate::domain::readiness::Inspection;
use crate::error::Error;
use crate::state::AppState;
use crate::usecases::inspections::{self, NewInspection};

use super::extract::{Json, page, path_id};
use super::idempotency::Idempotency;
use super::{Page, utc};

#[derive(Serialize, ToSchema)]
pub struct InspectionView {
    pub id: InspectionId,
    pub contract_id: ContractId,
    #[schema(format = Uuid)]
    pub facility_id: String,
    pub inspected_on: NaiveDate,
    pub inspected_on_hijri: String,
    /// `pass` or `fail`.
    pub result: String,
    pub findings: String,
    /// The inspecting organisation.
    #[schema(format = Uuid)]
    pub organization_id: String,
    pub created_at: DateTime<Utc>,
}

impl From<Inspection> for InspectionView {
    fn from(i: Inspection) -> InspectionView {
        InspectionView {
            id: i.id,
            contract_id: i.contract_id,
            facility_id: i.facility_id.into_string(),
            inspected_on_hijri: hijri(i.inspected_on),
            inspected_on: i.inspected_on,
            result: if i.passed { "pass" } else { "fail" }.to_owned(),
            findings: i.findings,
            organization_id: i.organization_id.into_string(),
            created_at: utc(i.created_at),
        }
    }
}

#[derive(Deserialize, ToSchema, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum InspectionResult {
    Pass,
    Fail,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInspection {
    pub contract_id: ContractId,
    /// Not in the future (Makkah time).
    #[serde(deserialize_with = "crate::domain::calendar::bounded")]
    pub inspected_on: NaiveDate,
    pub result: InspectionResult,
    /// Required for a failure.
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub findings: String,
}

impl From<CreateInspection> for NewInspection {
    fn from(c: CreateInspection) -> NewInspection {
        NewInspection {
            contract_id: c.contract_id,
            inspected_on: c.inspected_on,
            passed: c.result == InspectionResult::Pass,
            findings: c.findings,
        }
    }
}

/// Records an inspection of an approved contract's facility (tawafa establishments for their
/// countries' clients, and the ministry). A failure takes the contract's coverage out of readiness
/// until a later pass.
#[utoipa::path(
    operation_id = "createInspection",
    tag = "readiness",
    request_body = CreateInspection,
    responses(
        (status = 201, description = "Recorded", body = InspectionView),
        (status = 409, description = "The contract is not approved (`invalid_transition`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("")]
pub async fn create_inspection(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    body: Json<CreateInspection>,
) -> Result<HttpResponse, Error> {
    let idempotency = Idempotency::new(&req, &body)?;
    let report = body.into_inner().map(NewInspection::from);
    let created = idempotency
        .create(&state, auth, move |conn, caller| {
            inspections::record(conn, caller, report.clone()).map(InspectionView::from)
        })
        .await?;
    Ok(created.respond(|id| format!("/api/v1/inspections/{id}")))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InspectionQuery {
    pub contract_id: Option<ContractId>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// One inspection, to whoever sees its contract.
#[utoipa::path(
    operation_id = "getInspection",
    tag = "readiness",
    params(("id" = String, Path, description = "Inspection id")),
    responses(
        (status = 200, description = "The inspection", body = InspectionView),
        (status = 404, description = "No such inspection, or its contract is not yours to see", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/{id}")]
pub async fn get_inspection(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: InspectionId = path_id(&id)?;
    let view = state
        .read(auth, move |conn, caller| {
            inspections::find(conn, caller, &id).map(InspectionView::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Inspections of the contracts the caller may see, oldest first.
#[utoipa::path(operation_id = "listInspections", tag = "readiness", params(InspectionQuery), responses((status = 200, description = "One page", body = Page<InspectionView>)))]
#[get("")]
pub async fn list_inspections(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    query: Query<InspectionQuery>,
) -> Result<HttpResponse, Error> {
    let query = query.into_inner();
    let page = page(query.limit, query.cursor)?;
    let contract = query.contract_id;
    lists::answer(
        &state,
        auth,
        &req,
        page,
        "inspections",
        move |conn, caller, page| {
            let found =
                page.read(|after, n| inspections::list(conn, caller, contract.as_ref(), after, n))?;
            Ok(page.show(found, |i| i.id.as_str(), InspectionView::from))
        },
    )
    .await
}
