//! Readiness over HTTP: each handler parses, calls one use case of [`crate::usecases::readiness`]
//! and renders (docs/domain.md section 5, rules R11 and R12).

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access;
use crate::auth::credentials::Authenticated;
use crate::domain::calendar::hijri;
use crate::domain::country::Country;
use crate::domain::document::DocumentKind;
use crate::domain::ids::{OrganizationId, SeasonId};
use crate::domain::money::signed;
use crate::domain::organization::OrgKind;
use crate::domain::readiness::{self as plan, Category, ReadinessStatus, Summary};
use crate::error::Error;
use crate::state::AppState;
use crate::storage::readiness::{Line, LineFilter};
use crate::usecases::readiness::{self, ClientDetail, own_allocation};

use super::Page;
use super::extract::{Query, page, path_id};
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
    /// How many gaps the client's detail lists: each day short of coverage, its unplanned
    /// pilgrims as one, what its wallet lacks as one, and each lapsing paper.
    pub gap_count: i64,
    /// Pilgrims whose whole itinerary is covered (R12).
    pub visa_eligible: i64,
    /// What the client's wallet lacks (SAR) for its contracts awaiting approval (R20), `"0.00"`
    /// when it covers them. Only for those who see the client's money: never for tawafa
    /// establishments and authorities, who see only that a client is not ready.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "12500.00")]
    pub unfunded: Option<String>,
}

/// What keeps a client from being ready: pilgrims not in any group yet (`unplanned`), one day of
/// the plan short of coverage (`housing`, `transport`, `catering`), a wallet that does not cover
/// the contracts awaiting approval (`unfunded`), or a facility paper lapsing before the end of an
/// approved contract relying on it (`document_expiring`, one per contract and kind of paper).
#[derive(Serialize, ToSchema)]
pub struct GapView {
    /// `unplanned`, `housing`, `transport`, `catering`, `unfunded` or `document_expiring`.
    #[schema(example = "housing")]
    pub category: &'static str,
    /// Housing and catering: the city.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Transport: the route, as `from>to`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    /// The day short of coverage; `document_expiring`: the paper's last valid day (absent for
    /// `unplanned` and `unfunded`).
    #[serde(
        skip_serializing_if = "Option::is_none",
        serialize_with = "crate::api::json::optional_date"
    )]
    pub date: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub date_hijri: Option<String>,
    /// A day: pilgrims the plan needs covered. `unplanned`: the client's own allocation.
    /// `unfunded`, `document_expiring`: 0.
    pub needed: i64,
    /// A day: pilgrims the counted contracts cover. `unplanned`: pilgrims in groups.
    /// `unfunded`, `document_expiring`: 0.
    pub covered: i64,
    /// `unplanned`: the allocated pilgrims in no group yet.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pilgrims: Option<i64>,
    /// `unfunded`: what the wallet lacks (SAR), for those who see the client's money.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amount: Option<String>,
    /// Contracts that would cover this day but are withheld by a failed inspection, each naming
    /// the inspection; coverage comes back with a later pass.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub failed_inspections: Vec<WithheldView>,
    /// `document_expiring`: the facility paper that lapses (`date` is its last valid day) before
    /// the approved contract relying on it ends.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<LapseView>,
}

/// A facility paper lapsing before the end of an approved contract relying on it (R25): the
/// document of its kind valid the longest.
#[derive(Serialize, ToSchema)]
pub struct LapseView {
    #[schema(format = Uuid)]
    pub document_id: String,
    pub kind: DocumentKind,
    #[schema(format = Uuid)]
    pub facility_id: String,
    #[schema(format = Uuid)]
    pub contract_id: String,
    /// The contract's last day.
    #[serde(serialize_with = "crate::api::json::date")]
    pub contract_ends_on: NaiveDate,
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
    #[serde(serialize_with = "crate::api::json::date")]
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

fn coverage_view(s: &Summary) -> CoverageView {
    let c = |x: plan::CategoryCoverage| Coverage {
        needed: x.needed,
        covered: x.covered,
    };
    CoverageView {
        housing: c(s.housing),
        transport: c(s.transport),
        catering: c(s.catering),
    }
}

fn row(
    id: String,
    name: String,
    kind: OrgKind,
    country: Option<String>,
    s: &Summary,
    money: bool,
) -> ReadinessRow {
    ReadinessRow {
        organization: ClientRef {
            id,
            name,
            kind,
            country,
        },
        allocation: s.allocation,
        planned: s.planned,
        unplanned: s.unplanned,
        status: s.status(),
        coverage: coverage_view(s),
        gap_count: s.gaps,
        visa_eligible: s.visa_eligible,
        unfunded: money.then(|| signed(s.unfunded)),
    }
}

/// A line of the view; `money` whether the caller sees money (all it sees in the view are clients
/// whose money it may see: the ministry every one, an office itself and its agencies).
fn line(l: Line, money: bool) -> ReadinessRow {
    let summary = l.row.summary();
    row(
        l.row.client_id.into_string(),
        l.name,
        l.kind,
        l.country,
        &summary,
        money,
    )
}

fn detail(d: ClientDetail) -> Result<ReadinessDetail, Error> {
    let (r, money) = (&d.readiness, d.money);
    let unplanned = (r.unplanned > 0).then(|| GapView {
        category: "unplanned",
        city: None,
        route: None,
        date: None,
        date_hijri: None,
        needed: own_allocation(&d.client),
        covered: r.planned,
        pilgrims: Some(r.unplanned),
        amount: None,
        failed_inspections: Vec::new(),
        document: None,
    });
    let unfunded = (r.unfunded > 0).then(|| GapView {
        category: "unfunded",
        city: None,
        route: None,
        date: None,
        date_hijri: None,
        needed: 0,
        covered: 0,
        pilgrims: None,
        amount: money.then(|| signed(r.unfunded)),
        failed_inspections: Vec::new(),
        document: None,
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
            amount: None,
            failed_inspections: g
                .withheld
                .iter()
                .map(|(w, units)| WithheldView {
                    inspection_id: w.inspection_id.to_string(),
                    contract_id: w.contract_id.to_string(),
                    units: *units,
                })
                .collect(),
            document: None,
        }
    });
    let lapsing = r.lapsing.iter().map(|l| GapView {
        category: "document_expiring",
        city: None,
        route: None,
        date: Some(l.valid_until),
        date_hijri: Some(hijri(l.valid_until)),
        needed: 0,
        covered: 0,
        pilgrims: None,
        amount: None,
        failed_inspections: Vec::new(),
        document: Some(LapseView {
            document_id: l.document_id.to_string(),
            kind: l.kind,
            facility_id: l.facility_id.to_string(),
            contract_id: l.contract_id.to_string(),
            contract_ends_on: l.contract_ends_on,
        }),
    });
    let gaps = unplanned
        .into_iter()
        .chain(unfunded)
        .chain(lapsing)
        .chain(days)
        .collect();
    let groups = d
        .groups
        .into_iter()
        .map(|g| GroupEligibility {
            visa_eligible: r.eligible_groups.contains(&g.id),
            id: g.id.into_string(),
            name: g.name,
            pilgrims: g.pilgrims,
            arrival_date: g.arrival_date,
        })
        .collect();
    let c = d.client;
    let summary = r.summary(own_allocation(&c));
    Ok(ReadinessDetail {
        summary: row(
            c.id.into_string(),
            c.name,
            c.kind,
            c.country,
            &summary,
            money,
        ),
        gaps,
        groups,
    })
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ReadinessQuery {
    /// Only the clients of this country (ISO 3166-1 alpha-2).
    #[param(example = "ID")]
    pub country: Option<String>,
    /// Only the clients that are `ready`, or only those `incomplete`.
    pub status: Option<ReadinessStatus>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// One row per client the caller may see, worst first: incomplete before ready, then by the share
/// of the allocation planned and covered, then by name. Each row is kept current by the changes to
/// the client's groups, allocation, contracts and inspections, so a page costs a page read.
/// `Accept: text/csv` exports every row the filters keep.
#[utoipa::path(
    operation_id = "getSeasonReadiness",
    tag = "readiness",
    params(("id" = String, Path, description = "Season id"), ReadinessQuery),
    responses((status = 200, description = "Readiness per client", content(
        (Page<ReadinessRow> = "application/json"),
        (String = "text/csv"),
    )))
)]
#[get("/{id}/readiness")]
pub async fn season_readiness(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    query: Query<ReadinessQuery>,
) -> Result<HttpResponse, Error> {
    let season_id: SeasonId = path_id(&id)?;
    let query = query.into_inner();
    let page = page(query.limit, query.cursor)?;
    let country = match query.country.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(c) => Some(
            Country::parse(c)
                .map_err(|e| Error::invalid_query("country", e))?
                .as_str()
                .to_owned(),
        ),
    };
    let filter = LineFilter {
        country,
        ready: query.status.map(|s| s == ReadinessStatus::Ready),
    };
    lists::answer(
        &state,
        auth,
        &req,
        page,
        "readiness",
        move |conn, caller, page| {
            let lines = page.read(|after, n| {
                readiness::season_page(conn, caller, &season_id, &filter, after, n)
            })?;
            let money = access::sees_money(caller);
            Ok(page.show(lines, |l| &l.row.client_id, |l| line(l, money)))
        },
    )
    .await
}

/// One client's readiness with every gap (category, city or route, date, needed, covered) and
/// which groups are visa-eligible.
#[utoipa::path(
    operation_id = "getClientReadiness",
    tag = "readiness",
    params(("id" = String, Path, description = "Season id"), ("organization_id" = String, Path, description = "Client id")),
    responses((status = 200, description = "Readiness in detail", body = ReadinessDetail))
)]
#[get("/{id}/readiness/{organization_id}")]
pub async fn readiness_of(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let (id, org) = path.into_inner();
    let (season_id, org): (SeasonId, OrganizationId) = (path_id(&id)?, path_id(&org)?);
    let detail = state
        .read_guarded(auth, Result::is_ok, move |conn, caller, guard| {
            detail(readiness::client_view(
                conn,
                (caller, guard),
                &season_id,
                &org,
            )?)
        })
        .await?;
    // A gap or a group is about a hundred bytes: room for eight of them per item set aside.
    let items = 1 + (detail.gaps.len() + detail.groups.len()) / 8;
    Ok(super::json::ok(&detail, items))
}
