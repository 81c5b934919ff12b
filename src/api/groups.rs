//! Pilgrim groups over HTTP: each handler parses, calls one use case of [`crate::usecases::groups`]
//! and renders (docs/domain.md section 5, rule R11).

use super::extract::Query;
use super::lists;
use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::problem::ProblemDetails;
use crate::auth::credentials::Authenticated;
use crate::domain::calendar::hijri;
use crate::domain::ids::{GroupId, OrganizationId, SeasonId};
use crate::domain::readiness::Stay;
use crate::domain::season::Place;
use crate::error::Error;
use crate::state::AppState;
use crate::usecases::groups::{self, GroupPlan, PlannedGroup};

use super::extract::{Json, etag, if_match, page, path_id};
use super::idempotency::Idempotency;
use super::{Page, utc};

pub use crate::usecases::datasets::PortDate;

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

impl From<PlannedGroup> for GroupView {
    fn from(p: PlannedGroup) -> GroupView {
        let g = p.group;
        GroupView {
            id: g.id,
            season_id: p.season_id,
            organization_id: p.organization_id,
            name: g.name,
            pilgrims: g.pilgrims,
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
            version: p.version,
            created_at: utc(p.created_at),
            updated_at: utc(p.updated_at),
        }
    }
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupInput {
    #[schema(example = "Jakarta group 7", max_length = 200)]
    pub name: String,
    #[schema(minimum = 1, maximum = 100_000)]
    pub pilgrims: i64,
    pub arrival: PortDate,
    pub departure: PortDate,
    /// In order; each stay starts the day the previous one ends.
    #[schema(max_items = 20)]
    pub stays: Vec<Stay>,
}

impl From<GroupInput> for GroupPlan {
    fn from(g: GroupInput) -> GroupPlan {
        GroupPlan {
            name: g.name,
            pilgrims: g.pilgrims,
            arrival: (g.arrival.port, g.arrival.date),
            departure: (g.departure.port, g.departure.date),
            stays: g.stays,
        }
    }
}

fn respond(view: GroupView) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view)
}

/// Adds a group to the caller's plan (offices and agencies). Planned pilgrims never exceed the
/// client's own allocation (R11).
#[utoipa::path(
    operation_id = "createGroup",
    tag = "readiness",
    request_body = GroupInput,
    params(("id" = String, Path, description = "Season id")),
    responses(
        (status = 201, description = "Planned", body = GroupView),
        (status = 409, description = "More than the allocation (`quota_exceeded`), or no allocation (`no_allocation`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/groups")]
pub async fn create_group(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<GroupInput>,
) -> Result<HttpResponse, Error> {
    let season_id: SeasonId = path_id(&id)?;
    let idempotency = Idempotency::new(&req, &body)?;
    let plan = body.into_inner().map(GroupPlan::from);
    let created = idempotency
        .create(&state, auth, move |conn, caller| {
            groups::plan(conn, caller, &season_id, plan.clone()).map(GroupView::from)
        })
        .await?;
    Ok(created.respond(|id| format!("/api/v1/groups/{id}")))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
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
    operation_id = "listGroups",
    tag = "readiness",
    params(("id" = String, Path, description = "Season id"), GroupQuery),
    responses((status = 200, description = "One page", body = Page<GroupView>))
)]
#[get("/{id}/groups")]
pub async fn list_groups(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    query: Query<GroupQuery>,
) -> Result<HttpResponse, Error> {
    let season_id: SeasonId = path_id(&id)?;
    let query = query.into_inner();
    let page = page(query.limit, query.cursor)?;
    let client = query.organization_id;
    lists::answer(
        &state,
        auth,
        &req,
        page,
        "groups",
        move |conn, caller, page| {
            let found = page.read(|after, n| {
                groups::list(conn, caller, &season_id, client.as_ref(), after, n)
            })?;
            Ok(page.show(found, |g| &g.group.id, GroupView::from))
        },
    )
    .await
}

/// One group.
#[utoipa::path(
    operation_id = "getGroup",
    tag = "readiness",
    params(("id" = String, Path, description = "Group id")),
    responses((status = 200, description = "The group", body = GroupView))
)]
#[get("/{id}")]
pub async fn get_group(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: GroupId = path_id(&id)?;
    let view = state
        .read(auth, move |conn, caller| {
            groups::find(conn, caller, &id).map(GroupView::from)
        })
        .await?;
    Ok(respond(view))
}

/// Replaces a group's details and itinerary (its client). Needs `If-Match`.
#[utoipa::path(
    operation_id = "updateGroup",
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
#[patch("/{id}")]
pub async fn update_group(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<GroupInput>,
) -> Result<HttpResponse, Error> {
    let id: GroupId = path_id(&id)?;
    let version = if_match(&req);
    let plan = body.into_inner().map(GroupPlan::from);
    let view = state
        .write(auth, move |conn, caller| {
            groups::replan(conn, caller, &id, version.clone(), plan.clone()).map(GroupView::from)
        })
        .await?;
    Ok(respond(view))
}

/// Removes a group from the plan (its client).
#[utoipa::path(
    operation_id = "deleteGroup",
    tag = "readiness",
    params(("id" = String, Path, description = "Group id")),
    responses((status = 204, description = "Removed"))
)]
#[delete("/{id}")]
pub async fn delete_group(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: GroupId = path_id(&id)?;
    state
        .write(auth, move |conn, caller| groups::remove(conn, caller, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
