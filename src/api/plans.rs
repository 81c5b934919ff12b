//! Pilgrim plans, readiness and inspections (docs/domain.md sections 5 and 6, rules R11 and R12).

use std::collections::HashMap;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::{self, Caller, ContractScope};
use crate::api::problem::ProblemDetails;
use crate::auth::credentials::Authenticated;
use crate::domain::Invalid;
use crate::domain::calendar::{hijri, today_in_makkah};
use crate::domain::contract::ContractStatus;
use crate::domain::ids::{ContractId, GroupId, InspectionId, OrganizationId, SeasonId};
use crate::domain::organization::OrgKind;
use crate::domain::readiness::{self as plan, Category, Cover, Group, Readiness, Stay, route_key};
use crate::domain::season::Place;
use crate::domain::text::Name;
use crate::error::{Error, FieldError};
use crate::state::AppState;
use crate::storage::models::{GroupRow, InspectionRow};
use crate::storage::plans::{self as store, CoveringContract, SeasonClient};
use crate::storage::{DbConnection, contracts as contract_store, holds, now, seasons};

use super::extract::{Json, PageQuery, etag, if_match, path_id};
use super::idempotency::Idempotency;
use super::seasons::season;
use super::{Page, csv, utc};

/// The longest findings text of an inspection.
const MAX_FINDINGS_CHARS: usize = 2000;

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug)]
#[serde(deny_unknown_fields)]
pub struct PortDate {
    /// `jed` or `med`.
    pub port: Place,
    pub date: NaiveDate,
}

#[derive(Serialize, ToSchema)]
pub struct StayView {
    pub city: Place,
    pub from: NaiveDate,
    pub from_hijri: String,
    pub to: NaiveDate,
    pub to_hijri: String,
}

#[derive(Serialize, ToSchema)]
pub struct GroupView {
    pub id: GroupId,
    pub season_id: SeasonId,
    pub organization_id: OrganizationId,
    pub name: String,
    pub pilgrims: i64,
    pub arrival: PortDate,
    pub arrival_date_hijri: String,
    pub departure: PortDate,
    pub departure_date_hijri: String,
    pub stays: Vec<StayView>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn stays_of(row: &GroupRow) -> Result<Vec<Stay>, Error> {
    serde_json::from_str(&row.stays).map_err(|_| Error::internal())
}

fn group_of(row: &GroupRow) -> Result<Group, Error> {
    Ok(Group {
        id: row.id.clone(),
        name: row.name.clone(),
        pilgrims: row.pilgrims,
        arrival_port: Place::parse(&row.arrival_port).ok_or_else(Error::internal)?,
        arrival_date: row.arrival_date,
        departure_port: Place::parse(&row.departure_port).ok_or_else(Error::internal)?,
        departure_date: row.departure_date,
        stays: stays_of(row)?,
    })
}

impl GroupView {
    fn from_row(row: GroupRow) -> Result<GroupView, Error> {
        let g = group_of(&row)?;
        Ok(GroupView {
            id: GroupId::from_stored(row.id),
            season_id: SeasonId::from_stored(row.season_id),
            organization_id: OrganizationId::from_stored(row.organization_id),
            name: row.name,
            pilgrims: row.pilgrims,
            arrival: PortDate {
                port: g.arrival_port,
                date: g.arrival_date,
            },
            arrival_date_hijri: hijri(g.arrival_date),
            departure: PortDate {
                port: g.departure_port,
                date: g.departure_date,
            },
            departure_date_hijri: hijri(g.departure_date),
            stays: g
                .stays
                .iter()
                .map(|s| StayView {
                    city: s.city,
                    from: s.from,
                    from_hijri: hijri(s.from),
                    to: s.to,
                    to_hijri: hijri(s.to),
                })
                .collect(),
            version: row.version,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        })
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    #[schema(example = "Jakarta group 7")]
    pub name: String,
    pub pilgrims: i64,
    pub arrival: PortDate,
    pub departure: PortDate,
    /// In order; each stay starts the day the previous one ends.
    #[schema(max_items = 20)]
    pub stays: Vec<Stay>,
}

/// The group a body describes, checked (itinerary inside the season).
fn parse_group(
    input: GroupInput,
    id: &str,
    season_start: NaiveDate,
    season_end: NaiveDate,
) -> Result<Group, Error> {
    let mut errors: Vec<FieldError> = Vec::new();
    let name = Name::parse(&input.name)
        .map_err(|e| errors.push(FieldError::new("name", e)))
        .ok();
    let group = Group {
        id: id.to_owned(),
        name: name.map(Name::into_string).unwrap_or_default(),
        pilgrims: input.pilgrims,
        arrival_port: input.arrival.port,
        arrival_date: input.arrival.date,
        departure_port: input.departure.port,
        departure_date: input.departure.date,
        stays: input.stays,
    };
    errors.extend(
        group
            .check()
            .into_iter()
            .map(|(f, e)| FieldError::new(f, e)),
    );
    if group.arrival_date < season_start {
        errors.push(FieldError::new(
            "arrival.date",
            Invalid::new("outside_season"),
        ));
    }
    if group.departure_date > season_end {
        errors.push(FieldError::new(
            "departure.date",
            Invalid::new("outside_season"),
        ));
    }
    if errors.is_empty() {
        Ok(group)
    } else {
        Err(Error::invalid(errors))
    }
}

/// R11: a client's planned pilgrims never exceed what it holds itself. Takes the allocation lock.
fn check_planned(
    conn: &mut DbConnection,
    season_id: &str,
    client: &str,
    replacing: Option<&str>,
    pilgrims: i64,
) -> Result<(), Error> {
    holds::lock_allocation(conn, season_id, client).map_err(|e| match e {
        holds::HoldError::Db(e) => e.into(),
        _ => Error::conflict("no_allocation"),
    })?;
    let allocation = seasons::allocation(conn, season_id, client)?
        .ok_or_else(|| Error::conflict("no_allocation"))?;
    let planned = store::planned(conn, season_id, client, replacing)?;
    if planned + pilgrims > allocation.pilgrims - allocation.suballocated {
        return Err(Error {
            errors: vec![FieldError::new("pilgrims", Invalid::new("over_allocation"))],
            ..Error::conflict("quota_exceeded")
        });
    }
    Ok(())
}

fn row_of(
    group: &Group,
    season_id: &str,
    caller: &Caller,
    client_office: Option<String>,
) -> Result<GroupRow, Error> {
    let at = now();
    Ok(GroupRow {
        id: group.id.clone(),
        season_id: season_id.to_owned(),
        organization_id: caller.organization_id.to_string(),
        office_id: client_office,
        country: caller.country.clone().unwrap_or_default(),
        name: group.name.clone(),
        pilgrims: group.pilgrims,
        arrival_port: group.arrival_port.as_str().to_owned(),
        arrival_date: group.arrival_date,
        departure_port: group.departure_port.as_str().to_owned(),
        departure_date: group.departure_date,
        stays: serde_json::to_string(&group.stays).map_err(|_| Error::internal())?,
        version: 1,
        created_at: at,
        updated_at: at,
    })
}

/// Adds a group to the caller's plan (offices and agencies). Planned pilgrims never exceed the
/// client's own allocation (R11).
#[utoipa::path(
    tag = "readiness",
    request_body = GroupInput,
    params(("id" = String, Path, description = "Season id")),
    responses(
        (status = 201, description = "Planned", body = GroupView),
        (status = 409, description = "More than the allocation (`quota_exceeded`), or no allocation (`no_allocation`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/seasons/{id}/groups")]
pub async fn create_group(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<GroupInput>,
) -> Result<HttpResponse, Error> {
    let season_id: SeasonId = path_id(&id)?;
    let idempotency = Idempotency::new(&req, &body)?;
    let created = idempotency
        .create(&state, auth, move |conn, caller| {
            access::file_contracts(caller)?;
            let season = season(conn, season_id.as_str())?;
            let group = parse_group(
                body.into_inner()?,
                GroupId::generate().as_str(),
                season.starts_on,
                season.ends_on,
            )?;
            check_planned(
                conn,
                &season.id,
                caller.organization_id.as_str(),
                None,
                group.pilgrims,
            )?;
            let office = match caller.kind {
                OrgKind::Agency => caller.parent_id.as_ref().map(|p| p.to_string()),
                _ => Some(caller.organization_id.to_string()),
            };
            let row = row_of(&group, &season.id, caller, office)?;
            store::insert_group(conn, &row)?;
            GroupView::from_row(row)
        })
        .await?;
    Ok(created.respond())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GroupQuery {
    /// Only this client's groups.
    pub organization_id: Option<OrganizationId>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The groups the caller may see: a client's own (an office also its agencies'), a tawafa
/// establishment's countries', all for the ministry.
#[utoipa::path(
    tag = "readiness",
    params(("id" = String, Path, description = "Season id"), GroupQuery),
    responses((status = 200, description = "One page", body = Page<GroupView>))
)]
#[get("/seasons/{id}/groups")]
pub async fn list_groups(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    query: web::Query<GroupQuery>,
) -> Result<HttpResponse, Error> {
    let season_id: SeasonId = path_id(&id)?;
    let query = query.into_inner();
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .parse()?;
    let org = query.organization_id.map(OrganizationId::into_string);
    let body = state
        .read(auth, move |conn, caller| {
            season(conn, season_id.as_str())?;
            let rows = store::list_groups(
                conn,
                &access::plan_scope(caller),
                season_id.as_str(),
                org.as_deref(),
                page.after.as_deref(),
                page.fetch(),
            )?;
            let (rows, next_cursor) = page.finish(rows, |r| &r.id);
            let items = rows
                .into_iter()
                .map(GroupView::from_row)
                .collect::<Result<_, _>>()?;
            Ok(Page { items, next_cursor })
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

fn visible_group(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &GroupId,
) -> Result<GroupRow, Error> {
    store::find_group_visible(conn, &access::plan_scope(caller), id.as_str())?
        .ok_or_else(Error::not_found)
}

/// Only the client that planned a group changes it.
fn own_group(caller: &Caller, row: &GroupRow) -> Result<(), Error> {
    if caller.organization_id.as_str() != row.organization_id {
        return Err(Error::forbidden());
    }
    access::act(caller)
}

/// One group.
#[utoipa::path(
    tag = "readiness",
    params(("id" = String, Path, description = "Group id")),
    responses((status = 200, description = "The group", body = GroupView))
)]
#[get("/groups/{id}")]
pub async fn get_group(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: GroupId = path_id(&id)?;
    let view = state
        .read(auth, move |conn, caller| {
            GroupView::from_row(visible_group(conn, caller, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

/// Replaces a group's details and itinerary (its client). Needs `If-Match`.
#[utoipa::path(
    tag = "readiness",
    request_body = GroupInput,
    params(
        ("id" = String, Path, description = "Group id"),
        ("If-Match" = String, Header, description = "The version being changed, as its ETag (`*`: whatever version is current)"),
    ),
    responses(
        (status = 200, description = "Updated", body = GroupView),
        (status = 409, description = "More than the allocation (`quota_exceeded`)", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 412, description = "Stale version", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[patch("/groups/{id}")]
pub async fn update_group(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<GroupInput>,
) -> Result<HttpResponse, Error> {
    let id: GroupId = path_id(&id)?;
    let version = if_match(&req);
    let view = state
        .write(auth, move |conn, caller| {
            let current = visible_group(conn, caller, &id)?;
            own_group(caller, &current)?;
            let version = version?.unwrap_or(current.version);
            let season = season(conn, &current.season_id)?;
            let group = parse_group(
                body.into_inner()?,
                &current.id,
                season.starts_on,
                season.ends_on,
            )?;
            check_planned(
                conn,
                &season.id,
                &current.organization_id,
                Some(&current.id),
                group.pilgrims,
            )?;
            let row = GroupRow {
                version: current.version,
                created_at: current.created_at,
                ..row_of(&group, &season.id, caller, current.office_id.clone())?
            };
            if !store::update_group(conn, &row, version)? {
                return Err(Error::precondition_failed());
            }
            GroupView::from_row(visible_group(conn, caller, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

/// Removes a group from the plan (its client).
#[utoipa::path(
    tag = "readiness",
    params(("id" = String, Path, description = "Group id")),
    responses((status = 204, description = "Removed"))
)]
#[delete("/groups/{id}")]
pub async fn delete_group(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: GroupId = path_id(&id)?;
    state
        .write(auth, move |conn, caller| {
            let current = visible_group(conn, caller, &id)?;
            own_group(caller, &current)?;
            Ok(store::delete_group(conn, &current.id)?)
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

fn cover_of(c: &CoveringContract) -> Option<Cover> {
    let (category, place) = match c.contract_type.as_str() {
        "housing" => (Category::Housing, Place::parse(&c.facility_city)?.as_str()),
        "catering" => (Category::Catering, Place::parse(&c.facility_city)?.as_str()),
        _ => (
            Category::Transport,
            route_key(
                Place::parse(c.route_from.as_deref()?)?,
                Place::parse(c.route_to.as_deref()?)?,
            ),
        ),
    };
    Some(Cover {
        category,
        place,
        starts_on: c.starts_on,
        ends_on: c.ends_on,
        units: c.units,
    })
}

#[derive(Serialize, ToSchema, Clone)]
pub struct ClientRef {
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
    /// `ready` when every night, route-day and meal-day of the plan is covered.
    #[schema(example = "incomplete")]
    pub status: &'static str,
    pub coverage: CoverageView,
    /// Pilgrims whose whole itinerary is covered (R12).
    pub visa_eligible: i64,
}

#[derive(Serialize, ToSchema)]
pub struct GapView {
    #[schema(example = "housing")]
    pub category: &'static str,
    /// Housing and catering: the city.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    /// Transport: the route, as `from>to`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<String>,
    pub date: NaiveDate,
    pub date_hijri: String,
    pub needed: i64,
    pub covered: i64,
}

#[derive(Serialize, ToSchema)]
pub struct GroupEligibility {
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

/// Readiness of the given clients of a season, from three queries whatever their number.
pub fn assess_clients(
    conn: &mut DbConnection,
    season_id: &str,
    clients: &[SeasonClient],
    all: bool,
) -> Result<Vec<(Readiness, Vec<Group>)>, Error> {
    let ids: Vec<String> = clients.iter().map(|c| c.id.clone()).collect();
    let filter = (!all).then_some(ids.as_slice());
    let mut groups: HashMap<String, Vec<Group>> = HashMap::new();
    for row in store::season_groups(conn, season_id, filter)? {
        groups
            .entry(row.organization_id.clone())
            .or_default()
            .push(group_of(&row)?);
    }
    let mut covers: HashMap<String, Vec<Cover>> = HashMap::new();
    for c in store::coverage(conn, season_id, filter)? {
        if let Some(cover) = cover_of(&c) {
            covers.entry(c.client_id.clone()).or_default().push(cover);
        }
    }
    Ok(clients
        .iter()
        .map(|c| {
            let g = groups.remove(&c.id).unwrap_or_default();
            let r = plan::assess(&g, covers.get(&c.id).map(Vec::as_slice).unwrap_or(&[]));
            (r, g)
        })
        .collect())
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
        unplanned: (client.pilgrims - client.suballocated - r.planned).max(0),
        status: if r.ready() { "ready" } else { "incomplete" },
        coverage: coverage_view(r),
        visa_eligible: r.visa_eligible,
    })
}

/// Incomplete clients first, by the share of their needs covered; then ready ones by the share of
/// their allocation they have planned at all (a client with nothing planned has no gap, yet is the
/// least ready of the ready).
fn worst_first_key(r: &Readiness, c: &SeasonClient) -> (bool, f64, f64) {
    let own = (c.pilgrims - c.suballocated).max(1) as f64;
    (r.ready(), r.ratio(), r.planned as f64 / own)
}

/// One row per client the caller may see, worst first: incomplete before ready, then by the share
/// of needs covered. `Accept: text/csv` exports the same rows.
#[utoipa::path(
    tag = "readiness",
    params(("id" = String, Path, description = "Season id")),
    responses((status = 200, description = "Readiness per client", content(
        (Vec<ReadinessRow> = "application/json"),
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
    let as_csv = csv::wanted(&req);
    let rows = state
        .read(auth, move |conn, caller| {
            season(conn, season_id.as_str())?;
            let scope = access::plan_scope(caller);
            let clients = store::season_clients(conn, season_id.as_str(), &scope)?;
            let assessed = assess_clients(
                conn,
                season_id.as_str(),
                &clients,
                scope == ContractScope::All,
            )?;
            let mut rows = clients
                .iter()
                .zip(assessed)
                .map(|(c, (r, _))| Ok((worst_first_key(&r, c), row(c, &r)?)))
                .collect::<Result<Vec<_>, Error>>()?;
            rows.sort_by(|a, b| {
                a.0.partial_cmp(&b.0)
                    .unwrap_or(std::cmp::Ordering::Equal)
                    .then_with(|| a.1.organization.name.cmp(&b.1.organization.name))
            });
            Ok(rows.into_iter().map(|(_, r)| r).collect::<Vec<_>>())
        })
        .await?;
    if as_csv {
        let mut out = csv::line(
            &[
                "organization_id",
                "organization_name",
                "kind",
                "country",
                "allocation",
                "planned",
                "status",
                "housing_needed",
                "housing_covered",
                "transport_needed",
                "transport_covered",
                "catering_needed",
                "catering_covered",
                "visa_eligible",
            ]
            .map(str::to_owned),
        );
        for r in &rows {
            let c = &r.coverage;
            out.push_str(&csv::line(&[
                r.organization.id.clone(),
                r.organization.name.clone(),
                r.organization.kind.to_string(),
                r.organization.country.clone().unwrap_or_default(),
                r.allocation.to_string(),
                r.planned.to_string(),
                r.status.to_owned(),
                c.housing.needed.to_string(),
                c.housing.covered.to_string(),
                c.transport.needed.to_string(),
                c.transport.covered.to_string(),
                c.catering.needed.to_string(),
                c.catering.covered.to_string(),
                r.visa_eligible.to_string(),
            ]));
        }
        return Ok(HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
            .body(out));
    }
    Ok(HttpResponse::Ok().json(rows))
}

/// One client's readiness with every gap (category, city or route, date, needed, covered) and
/// which groups are visa-eligible.
#[utoipa::path(
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
            season(conn, season_id.as_str())?;
            let client =
                store::season_clients(conn, season_id.as_str(), &access::plan_scope(caller))?
                    .into_iter()
                    .find(|c| c.id == org.as_str())
                    .ok_or_else(Error::not_found)?;
            let (r, groups) = assess_clients(
                conn,
                season_id.as_str(),
                std::slice::from_ref(&client),
                false,
            )?
            .pop()
            .ok_or_else(Error::internal)?;
            let gaps = r
                .gaps
                .iter()
                .map(|g| {
                    let transport = g.need.category == Category::Transport;
                    GapView {
                        category: g.need.category.as_str(),
                        city: (!transport).then(|| g.need.place.to_owned()),
                        route: transport.then(|| g.need.place.to_owned()),
                        date: g.need.date,
                        date_hijri: hijri(g.need.date),
                        needed: g.needed,
                        covered: g.covered,
                    }
                })
                .collect();
            let mut groups: Vec<GroupEligibility> = groups
                .into_iter()
                .map(|g| GroupEligibility {
                    visa_eligible: r.eligible_groups.contains(&g.id),
                    id: g.id,
                    name: g.name,
                    pilgrims: g.pilgrims,
                    arrival_date: g.arrival_date,
                })
                .collect();
            groups.sort_by(|a, b| (a.arrival_date, &a.name).cmp(&(b.arrival_date, &b.name)));
            Ok(ReadinessDetail {
                summary: row(&client, &r)?,
                gaps,
                groups,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(detail))
}

#[derive(Serialize, ToSchema)]
pub struct InspectionView {
    pub id: InspectionId,
    pub contract_id: ContractId,
    pub facility_id: String,
    pub inspected_on: NaiveDate,
    pub inspected_on_hijri: String,
    /// `pass` or `fail`.
    pub result: String,
    pub findings: String,
    /// The inspecting organisation.
    pub organization_id: String,
    pub created_at: DateTime<Utc>,
}

impl From<InspectionRow> for InspectionView {
    fn from(r: InspectionRow) -> InspectionView {
        InspectionView {
            id: InspectionId::from_stored(r.id),
            contract_id: ContractId::from_stored(r.contract_id),
            facility_id: r.facility_id,
            inspected_on_hijri: hijri(r.inspected_on),
            inspected_on: r.inspected_on,
            result: r.result,
            findings: r.findings,
            organization_id: r.organization_id,
            created_at: utc(r.created_at),
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
    pub inspected_on: NaiveDate,
    pub result: InspectionResult,
    /// Required for a failure.
    #[serde(default)]
    pub findings: String,
}

/// Records an inspection of an approved contract's facility (tawafa establishments for their
/// countries' clients, and the ministry). A failure takes the contract's coverage out of readiness
/// until a later pass.
#[utoipa::path(
    tag = "readiness",
    request_body = CreateInspection,
    responses(
        (status = 201, description = "Recorded", body = InspectionView),
        (status = 409, description = "The contract is not approved (`invalid_transition`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/inspections")]
pub async fn create_inspection(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    body: Json<CreateInspection>,
) -> Result<HttpResponse, Error> {
    let idempotency = Idempotency::new(&req, &body)?;
    let created = idempotency
        .create(&state, auth, move |conn, caller| {
            access::inspect(caller)?;
            let body = body.into_inner()?;
            let contract = contract_store::find_visible(
                conn,
                &access::contract_scope(caller),
                body.contract_id.as_str(),
            )?
            .ok_or_else(|| {
                Error::invalid_field("contract_id", Invalid::new("unknown_reference"))
            })?;
            if contract.status != ContractStatus::Approved.as_str() {
                return Err(Error::conflict("invalid_transition"));
            }
            if body.inspected_on > today_in_makkah() {
                return Err(Error::invalid_field(
                    "inspected_on",
                    Invalid::new("in_future"),
                ));
            }
            let findings = body.findings.trim().to_owned();
            if findings.chars().count() > MAX_FINDINGS_CHARS {
                return Err(Error::invalid_field(
                    "findings",
                    Invalid::with_limit("too_long", MAX_FINDINGS_CHARS),
                ));
            }
            if body.result == InspectionResult::Fail && findings.is_empty() {
                return Err(Error::invalid_field("findings", Invalid::new("required")));
            }
            let (user, key) = caller.actor_ids();
            let row = InspectionRow {
                id: InspectionId::generate().into_string(),
                contract_id: contract.id.clone(),
                facility_id: contract.facility_id.clone(),
                inspected_on: body.inspected_on,
                result: if body.result == InspectionResult::Pass {
                    "pass"
                } else {
                    "fail"
                }
                .to_owned(),
                findings,
                organization_id: caller.organization_id.to_string(),
                actor_user_id: user,
                actor_api_key_id: key,
                created_at: now(),
            };
            store::insert_inspection(conn, &row)?;
            if body.result == InspectionResult::Fail {
                crate::notify::inspection_failed(
                    conn,
                    &contract,
                    &row.findings,
                    caller.organization_id.as_str(),
                )?;
            }
            Ok(InspectionView::from(row))
        })
        .await?;
    Ok(created.respond())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InspectionQuery {
    pub contract_id: Option<ContractId>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Inspections of the contracts the caller may see, oldest first.
#[utoipa::path(tag = "readiness", params(InspectionQuery), responses((status = 200, description = "One page", body = Page<InspectionView>)))]
#[get("/inspections")]
pub async fn list_inspections(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: web::Query<InspectionQuery>,
) -> Result<HttpResponse, Error> {
    let query = query.into_inner();
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .parse()?;
    let contract = query.contract_id.map(ContractId::into_string);
    let body = state
        .read(auth, move |conn, caller| {
            let rows = store::inspections(
                conn,
                &access::contract_scope(caller),
                contract.as_deref(),
                page.after.as_deref(),
                page.fetch(),
            )?;
            let (rows, next_cursor) = page.finish(rows, |r| &r.id);
            Ok(Page {
                items: rows
                    .into_iter()
                    .map(InspectionView::from)
                    .collect::<Vec<_>>(),
                next_cursor,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}
