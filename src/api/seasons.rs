//! Seasons, country quotas, allocations and deadline extensions (docs/domain.md section 2).

use super::extract::Query;
use super::lists;
use actix_web::{HttpRequest, HttpResponse, get, post, put, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::problem::ProblemDetails;
use crate::auth::credentials::Authenticated;
use crate::domain::calendar::{hajj_days, hijri};
use crate::domain::country::Country;
use crate::domain::ids::{OrganizationId, SeasonId};
use crate::domain::organization::OrgKind;
use crate::domain::season::{ContractType, SeasonKind};
use crate::domain::text::Name;
use crate::error::Error;
use crate::state::AppState;
use crate::storage::models::{AllocationRow, ExtensionRow, QuotaRow, SeasonRow};
use crate::usecases;
use crate::usecases::seasons::find as season;
use crate::usecases::seasons::{NewExtension, NewSeason, SeasonInput};

use super::extract::{Json, etag, page, path_id};
use super::idempotency::Idempotency;
use super::{Page, utc};

/// The most pilgrims a quota or an allocation can name.
pub use crate::usecases::seasons::MAX_PILGRIMS;

#[derive(Serialize, ToSchema)]
pub struct Deadlines {
    pub housing: NaiveDate,
    pub housing_hijri: String,
    pub transport: NaiveDate,
    pub transport_hijri: String,
    pub catering: NaiveDate,
    pub catering_hijri: String,
}

#[derive(Serialize, ToSchema)]
pub struct HajjDay {
    pub date: NaiveDate,
    /// `YYYY-12-08` to `YYYY-12-13` (Umm al-Qura).
    pub date_hijri: String,
}

#[derive(Serialize, ToSchema)]
pub struct SeasonView {
    #[schema(format = Uuid)]
    pub id: String,
    pub kind: SeasonKind,
    pub hijri_year: i32,
    pub name: String,
    pub starts_on: NaiveDate,
    pub starts_on_hijri: String,
    pub ends_on: NaiveDate,
    pub ends_on_hijri: String,
    /// The last day contracts of each type can be submitted (R2).
    pub deadlines: Deadlines,
    /// Hajj seasons: 8 to 13 Dhu al-Hijjah of the Hijri year (Umm al-Qura).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hajj_days: Option<Vec<HajjDay>>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
}

impl SeasonView {
    pub fn from_row(row: SeasonRow) -> Result<SeasonView, Error> {
        let kind = row.kind;
        let hajj = (kind == SeasonKind::Hajj)
            .then(|| hajj_days(row.hijri_year))
            .flatten()
            .map(|days| {
                days.into_iter()
                    .map(|d| HajjDay {
                        date: d,
                        date_hijri: hijri(d),
                    })
                    .collect()
            });
        Ok(SeasonView {
            id: row.id.into_string(),
            kind,
            hijri_year: row.hijri_year,
            name: row.name,
            starts_on_hijri: hijri(row.starts_on),
            starts_on: row.starts_on,
            ends_on_hijri: hijri(row.ends_on),
            ends_on: row.ends_on,
            deadlines: Deadlines {
                housing: row.housing_deadline,
                housing_hijri: hijri(row.housing_deadline),
                transport: row.transport_deadline,
                transport_hijri: hijri(row.transport_deadline),
                catering: row.catering_deadline,
                catering_hijri: hijri(row.catering_deadline),
            },
            hajj_days: hajj,
            version: row.version,
            created_at: utc(row.created_at),
        })
    }
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct DeadlinesInput {
    #[serde(deserialize_with = "crate::domain::calendar::bounded")]
    pub housing: NaiveDate,
    #[serde(deserialize_with = "crate::domain::calendar::bounded")]
    pub transport: NaiveDate,
    #[serde(deserialize_with = "crate::domain::calendar::bounded")]
    pub catering: NaiveDate,
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateSeason {
    pub kind: SeasonKind,
    #[schema(example = 1447, minimum = 1350, maximum = 1550)]
    pub hijri_year: i32,
    #[schema(example = "Hajj 1447", max_length = 200)]
    pub name: String,
    #[serde(deserialize_with = "crate::domain::calendar::bounded")]
    pub starts_on: NaiveDate,
    #[serde(deserialize_with = "crate::domain::calendar::bounded")]
    pub ends_on: NaiveDate,
    pub deadlines: DeadlinesInput,
}

/// Opens a season (ministry officers and admins).
#[utoipa::path(
    operation_id = "createSeason",
    tag = "seasons",
    request_body = CreateSeason,
    responses(
        (status = 201, description = "Created", body = SeasonView),
        (status = 409, description = "A season of this kind exists for the year (`season_exists`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    body: Json<CreateSeason>,
) -> Result<HttpResponse, Error> {
    let idempotency = Idempotency::new(&req, &body)?;
    let new = body.into_inner().and_then(|body| {
        NewSeason::parse(SeasonInput {
            kind: body.kind,
            hijri_year: body.hijri_year,
            name: &body.name,
            starts_on: body.starts_on,
            ends_on: body.ends_on,
            housing_deadline: body.deadlines.housing,
            transport_deadline: body.deadlines.transport,
            catering_deadline: body.deadlines.catering,
        })
    });
    let created = idempotency
        .create(&state, auth, move |conn, caller| {
            SeasonView::from_row(usecases::seasons::create(conn, caller, new.clone())?)
        })
        .await?;
    Ok(created.respond(|id| format!("/api/v1/seasons/{id}")))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SeasonQuery {
    pub kind: Option<SeasonKind>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Lists seasons (every caller).
#[utoipa::path(operation_id = "listSeasons", tag = "seasons", params(SeasonQuery), responses((status = 200, description = "One page", body = Page<SeasonView>)))]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    query: Query<SeasonQuery>,
) -> Result<HttpResponse, Error> {
    let query = query.into_inner();
    let page = page(query.limit, query.cursor)?;
    let kind = query.kind;
    lists::answer(&state, auth, &req, page, "seasons", move |conn, _, page| {
        let rows = page.read(|after, n| usecases::seasons::list(conn, kind, after, n))?;
        page.try_show(rows, |r| &r.id, SeasonView::from_row)
    })
    .await
}

/// One season, with its hajj days and Hijri dates.
#[utoipa::path(
    operation_id = "getSeason",
    tag = "seasons",
    params(("id" = String, Path, description = "Season id")),
    responses((status = 200, description = "The season", body = SeasonView))
)]
#[get("/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: SeasonId = path_id(&id)?;
    let view = state
        .read(auth, move |conn, _| {
            SeasonView::from_row(season(conn, &id)?)
        })
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view))
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct PilgrimsInput {
    #[schema(minimum = 0, maximum = 10000000)]
    pub pilgrims: i64,
}

#[derive(Serialize, ToSchema)]
pub struct QuotaView {
    #[schema(format = Uuid)]
    pub season_id: String,
    pub country: String,
    pub pilgrims: i64,
    /// Allocated to the country's office.
    pub allocated: i64,
}

impl From<QuotaRow> for QuotaView {
    fn from(r: QuotaRow) -> QuotaView {
        QuotaView {
            season_id: r.season_id.into_string(),
            country: r.country,
            pilgrims: r.pilgrims,
            allocated: r.allocated,
        }
    }
}

/// Sets a country's quota of pilgrims (ministry).
#[utoipa::path(
    operation_id = "setQuota",
    tag = "seasons",
    request_body = PilgrimsInput,
    params(("id" = String, Path, description = "Season id"), ("country" = String, Path, description = "ISO 3166-1 alpha-2")),
    responses(
        (status = 200, description = "The quota", body = QuotaView),
        (status = 409, description = "Below what is allocated to the country's office (`below_allocated`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[put("/{id}/quotas/{country}")]
pub async fn set_quota(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Json<PilgrimsInput>,
) -> Result<HttpResponse, Error> {
    let (id, country) = path.into_inner();
    let id: SeasonId = path_id(&id)?;
    let country = Country::parse(&country).map_err(|_| Error::not_found())?;
    let pilgrims = body.into_inner().map(|b| b.pilgrims);
    let view = state
        .write(auth, move |conn, caller| {
            usecases::seasons::set_quota(conn, caller, &id, &country, pilgrims.clone())
                .map(QuotaView::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The quotas the caller may see: all for the ministry, its country's for a client.
#[utoipa::path(
    operation_id = "listQuotas",
    tag = "seasons",
    params(("id" = String, Path, description = "Season id")),
    responses((status = 200, description = "Quotas, every one (no next page)", body = Page<QuotaView>))
)]
#[get("/{id}/quotas")]
pub async fn quotas(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: SeasonId = path_id(&id)?;
    let rows = state
        .read(auth, move |conn, caller| {
            usecases::seasons::quotas(conn, caller, &id)
        })
        .await?;
    Ok(lists::whole(
        &req,
        "quotas",
        rows.into_iter().map(QuotaView::from).collect(),
    ))
}

#[derive(Serialize, ToSchema)]
pub struct AllocationView {
    #[schema(format = Uuid)]
    pub season_id: String,
    #[schema(format = Uuid)]
    pub organization_id: String,
    pub organization_name: String,
    pub organization_kind: OrgKind,
    pub pilgrims: i64,
    /// Passed on by an office to its agencies.
    pub suballocated: i64,
    /// What the organisation's own contracts may hold on any day (R7).
    pub own_pilgrims: i64,
}

fn allocation_view(
    row: AllocationRow,
    name: String,
    kind: OrgKind,
) -> Result<AllocationView, Error> {
    Ok(AllocationView {
        own_pilgrims: row.pilgrims - row.suballocated,
        season_id: row.season_id.into_string(),
        organization_id: row.organization_id.into_string(),
        organization_name: name,
        organization_kind: kind,
        pilgrims: row.pilgrims,
        suballocated: row.suballocated,
    })
}

/// Allocates pilgrims: the ministry to a country's office (out of the country's quota), an office
/// to its agencies (out of its own allocation). Never below what is passed on or held.
#[utoipa::path(
    operation_id = "setAllocation",
    tag = "seasons",
    request_body = PilgrimsInput,
    params(("id" = String, Path, description = "Season id"), ("organization_id" = String, Path, description = "An office or an agency")),
    responses(
        (status = 200, description = "The allocation", body = AllocationView),
        (status = 409, description = "`quota_exceeded`, `no_quota`, `allocation_in_use` or `wrong_organization_kind`", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[put("/{id}/allocations/{organization_id}")]
pub async fn set_allocation(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
    body: Json<PilgrimsInput>,
) -> Result<HttpResponse, Error> {
    let (id, org) = path.into_inner();
    let (id, org): (SeasonId, OrganizationId) = (path_id(&id)?, path_id(&org)?);
    let view = state
        .write(auth, move |conn, caller| {
            let pilgrims = body.get().map(|b| b.pilgrims);
            let (row, name, kind) = usecases::seasons::allocate(conn, caller, &id, &org, pilgrims)?;
            allocation_view(row, name, kind)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// The allocations the caller may see: all for the ministry; an office's own and its agencies';
/// an agency's own.
#[utoipa::path(
    operation_id = "listAllocations",
    tag = "seasons",
    params(("id" = String, Path, description = "Season id")),
    responses((status = 200, description = "Allocations, every one (no next page)", body = Page<AllocationView>))
)]
#[get("/{id}/allocations")]
pub async fn allocations(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: SeasonId = path_id(&id)?;
    let views = state
        .read(auth, move |conn, caller| {
            usecases::seasons::allocations(conn, caller, &id)?
                .into_iter()
                .map(|(row, name, kind)| allocation_view(row, name, kind))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(lists::whole(&req, "allocations", views))
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateExtension {
    /// The client (office or agency) the extension is for.
    pub organization_id: OrganizationId,
    pub contract_type: ContractType,
    /// The last day the client may submit contracts of the type.
    #[serde(deserialize_with = "crate::domain::calendar::bounded")]
    pub until: NaiveDate,
    #[schema(max_length = 200)]
    pub reason: String,
}

#[derive(Serialize, ToSchema)]
pub struct ExtensionView {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub season_id: String,
    #[schema(format = Uuid)]
    pub organization_id: String,
    pub contract_type: ContractType,
    pub until: NaiveDate,
    pub until_hijri: String,
    pub reason: String,
    /// The user who granted it.
    pub granted_by: String,
    pub created_at: DateTime<Utc>,
}

fn extension_view(row: ExtensionRow) -> Result<ExtensionView, Error> {
    Ok(ExtensionView {
        contract_type: row.contract_type,
        until_hijri: hijri(row.until),
        id: row.id.into_string(),
        season_id: row.season_id.into_string(),
        organization_id: row.organization_id.into_string(),
        until: row.until,
        reason: row.reason,
        granted_by: row.granted_by.into_string(),
        created_at: utc(row.created_at),
    })
}

/// Grants a client more time to submit contracts of one type (ministry). Every grant is kept, with
/// who granted it and why.
#[utoipa::path(
    operation_id = "createExtension",
    tag = "seasons",
    request_body = CreateExtension,
    params(("id" = String, Path, description = "Season id")),
    responses((status = 201, description = "Granted", body = ExtensionView))
)]
#[post("/{id}/extensions")]
pub async fn create_extension(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<CreateExtension>,
) -> Result<HttpResponse, Error> {
    let id: SeasonId = path_id(&id)?;
    let idempotency = Idempotency::new(&req, &body)?;
    let parsed = body.into_inner().and_then(|body| {
        let reason = Name::parse(&body.reason).map_err(|e| Error::invalid_field("reason", e))?;
        Ok(NewExtension {
            organization_id: body.organization_id,
            contract_type: body.contract_type,
            until: body.until,
            reason,
        })
    });
    let created = idempotency
        .create(&state, auth, move |conn, caller| {
            let row = usecases::seasons::extend(conn, caller, &id, parsed.clone())?;
            extension_view(row)
        })
        .await?;
    Ok(created.respond_unaddressed())
}

/// Extensions: all for the ministry, a client's own for a client.
#[utoipa::path(
    operation_id = "listExtensions",
    tag = "seasons",
    params(("id" = String, Path, description = "Season id")),
    responses((status = 200, description = "Extensions, every one (no next page)", body = Page<ExtensionView>))
)]
#[get("/{id}/extensions")]
pub async fn extensions(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: SeasonId = path_id(&id)?;
    let views = state
        .read(auth, move |conn, caller| {
            usecases::seasons::extensions(conn, caller, &id)?
                .into_iter()
                .map(extension_view)
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(lists::whole(&req, "extensions", views))
}
