//! Readiness over HTTP: each handler parses, calls one use case of [`crate::usecases::readiness`]
//! and renders (docs/domain.md section 5, rules R11 and R12).

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::auth::credentials::Authenticated;
use crate::domain::calendar::hijri;
use crate::domain::ids::{OrganizationId, SeasonId};
use crate::domain::organization::OrgKind;
use crate::domain::readiness::{self as plan, Category, Readiness, ReadinessStatus};
use crate::error::Error;
use crate::state::AppState;
use crate::storage::plans::SeasonClient;
use crate::usecases::readiness::{self, ClientDetail};

use super::Page;
use super::extract::path_id;
use super::lists;

#[derive(Serialize, ToSchema, Clone)]
pub struct ClientRef {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub kind: OrgKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
}

#[derive(Serialize, ToSchema, Clone, Copy)]
pub struct Coverage {
    /// Pilgrim-nights, pilgrim-trips or pilgrim-meal-days the plan needs.
    pub needed: i64,
    /// How many of those the counted contracts cover.
    pub covered: i64,
}

#[derive(Serialize, ToSchema, Clone, Copy)]
pub struct CoverageView {
    pub housing: Coverage,
    pub transport: Coverage,
    pub catering: Coverage,
}

#[derive(Serialize, ToSchema)]
pub struct ReadinessRow {
    pub organization: ClientRef,
    /// The pilgrims the client holds itself (its allocation less what it passed to agencies).
    pub allocation: i64,
    pub planned: i64,
    /// Allocated pilgrims not yet in any group.
    pub unplanned: i64,
    /// `ready` when every allocated pilgrim is in a group and every night, route-day and meal-day
    /// of the plan is covered; `incomplete` otherwise.
    pub status: ReadinessStatus,
    pub coverage: CoverageView,
    /// Pilgrims whose whole itinerary is covered (R12).
    pub visa_eligible: i64,
}

/// What keeps a client from being ready: pilgrims not in any group yet (`unplanned`), or one day
/// of the plan short of coverage (`housing`, `transport`, `catering`).
#[derive(Serialize, ToSchema)]
pub struct GapView {
    /// `unplanned`, `housing`, `transport` or `catering`.
    #[schema(example = "housing")]
    pub category: &'static str,
    /// Housing and catering: the city.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Transport: the route, as `from>to`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// The day short of coverage (absent for `unplanned`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_hijri: Option<String>,
    /// A day: pilgrims the plan needs covered. `unplanned`: the client's own allocation.
    pub needed: i64,
    /// A day: pilgrims the counted contracts cover. `unplanned`: pilgrims in groups.
    pub covered: i64,
    /// `unplanned`: the allocated pilgrims in no group yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pilgrims: Option<i64>,
    /// Contracts that would cover this day but are withheld by a failed inspection, each naming
    /// the inspection; coverage comes back with a later pass.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_inspections: Vec<WithheldView>,
}

/// An approved contract whose latest inspection failed: it covers nothing until a later pass.
#[derive(Serialize, ToSchema)]
pub struct WithheldView {
    #[schema(format = Uuid)]
    pub inspection_id: String,
    #[schema(format = Uuid)]
    pub contract_id: String,
    /// What the contract would cover on the day.
    pub units: i64,
}

#[derive(Serialize, ToSchema)]
pub struct GroupEligibility {
    #[schema(format = Uuid)]
    pub id: String,
    pub name: String,
    pub pilgrims: i64,
    pub arrival_date: NaiveDate,
    pub visa_eligible: bool,
}

#[derive(Serialize, ToSchema)]
pub struct ReadinessDetail {
    #[serde(flatten)]
    pub summary: ReadinessRow,
    pub gaps: Vec<GapView>,
    pub groups: Vec<GroupEligibility>,
}

fn coverage_view(r: &Readiness) -> CoverageView {
    let c = |x: plan::CategoryCoverage| Coverage {
        needed: x.needed,
        covered: x.covered,
    };
    CoverageView {
        housing: c(r.housing),
        transport: c(r.transport),
        catering: c(r.catering),
    }
}

fn row(client: &SeasonClient, r: &Readiness) -> Result<ReadinessRow, Error> {
    Ok(ReadinessRow {
        organization: ClientRef {
            id: client.id.clone(),
            name: client.name.clone(),
            kind: OrgKind::parse(&client.kind).ok_or_else(Error::internal)?,
            country: client.country.clone(),
        },
        allocation: client.pilgrims - client.suballocated,
        planned: r.planned,
        unplanned: r.unplanned,
        status: r.status(),
        coverage: coverage_view(r),
        visa_eligible: r.visa_eligible,
    })
}

fn detail(d: ClientDetail) -> Result<ReadinessDetail, Error> {
    let r = &d.readiness;
    let unplanned = (r.unplanned > 0).then(|| GapView {
        category: "unplanned",
        city: None,
        route: None,
        date: None,
        date_hijri: None,
        needed: d.client.pilgrims - d.client.suballocated,
        covered: r.planned,
        pilgrims: Some(r.unplanned),
        failed_inspections: Vec::new(),
    });
    let days = r.gaps.iter().map(|g| {
        let transport = g.need.category == Category::Transport;
        GapView {
            category: g.need.category.as_str(),
            city: (!transport).then(|| g.need.place.to_owned()),
            route: transport.then(|| g.need.place.to_owned()),
            date: Some(g.need.date),
            date_hijri: Some(hijri(g.need.date)),
            needed: g.needed,
            covered: g.covered,
            pilgrims: None,
            failed_inspections: g
                .withheld
                .iter()
                .map(|(w, units)| WithheldView {
                    inspection_id: w.inspection_id.clone(),
                    contract_id: w.contract_id.clone(),
                    units: *units,
                })
                .collect(),
        }
    });
    let gaps = unplanned.into_iter().chain(days).collect();
    let groups = d
        .groups
        .into_iter()
        .map(|g| GroupEligibility {
            visa_eligible: r.eligible_groups.contains(&g.id),
            id: g.id,
            name: g.name,
            pilgrims: g.pilgrims,
            arrival_date: g.arrival_date,
        })
        .collect();
    Ok(ReadinessDetail {
        summary: row(&d.client, r)?,
        gaps,
        groups,
    })
}

/// One row per client the caller may see, worst first: incomplete before ready, then by the share
/// of needs covered. `Accept: text/csv` exports the same rows.
#[utoipa::path(
    operation_id = "getSeasonReadiness",
    tag = "readiness",
    params(("id" = String, Path, description = "Season id")),
    responses((status = 200, description = "Readiness per client", content(
        (Page<ReadinessRow> = "application/json"),
        (String = "text/csv"),
    )))
)]
#[get("/seasons/{id}/readiness")]
pub async fn season_readiness(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let season_id: SeasonId = path_id(&id)?;
    let rows = state
        .read(auth, move |conn, caller| {
            readiness::season_view(conn, caller, &season_id)?
                .iter()
                .map(|c| row(&c.client, &c.readiness))
                .collect::<Result<Vec<_>, Error>>()
        })
        .await?;
    Ok(lists::whole(&req, "readiness", rows))
}

/// One client's readiness with every gap (category, city or route, date, needed, covered) and
/// which groups are visa-eligible.
#[utoipa::path(
    operation_id = "getClientReadiness",
    tag = "readiness",
    params(("id" = String, Path, description = "Season id"), ("organization_id" = String, Path, description = "Client id")),
    responses((status = 200, description = "Readiness in detail", body = ReadinessDetail))
)]
#[get("/seasons/{id}/readiness/{organization_id}")]
pub async fn readiness_of(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let (id, org) = path.into_inner();
    let (season_id, org): (SeasonId, OrganizationId) = (path_id(&id)?, path_id(&org)?);
    let detail = state
        .read(auth, move |conn, caller| {
            detail(readiness::client_view(conn, caller, &season_id, &org)?)
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}
