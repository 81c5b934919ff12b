//! Facilities: service providers register buildings, fleets and kitchens with a licence window and
//! a capacity; clients browse them with their free capacity (docs/domain.md section 3).

use super::extract::Query;
use super::lists;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::api::problem::ProblemDetails;
use crate::auth::credentials::Authenticated;
use crate::domain::Invalid;
use crate::domain::calendar::hijri;
use crate::domain::contract::MAX_UNITS;
use crate::domain::ids::{FacilityId, OrganizationId};
use crate::domain::season::{FacilityKind, Place};
use crate::domain::text::{self, Name, search_key};
use crate::error::{Error, FieldError};
use crate::state::AppState;
use crate::storage::facilities::FacilityFilter;
use crate::usecases::facilities::{self, FacilityDetails, FacilityEdit, NewFacility};

use super::extract::{Json, etag, if_match, page, path_id};
use super::idempotency::Idempotency;
use super::{Page, utc};

/// The longest licence window (and usage range) accepted.
const MAX_LICENCE_DAYS: i64 = facilities::MAX_RANGE_DAYS;

#[derive(Serialize, ToSchema)]
pub struct FacilityView {
    pub id: FacilityId,
    pub provider_id: OrganizationId,
    pub kind: FacilityKind,
    pub name: String,
    /// The Arabic name, where the provider gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name_ar: Option<String>,
    /// Where a building or kitchen stands, or where a fleet is based.
    pub city: Place,
    pub licence_no: String,
    pub licence_valid_from: NaiveDate,
    pub licence_valid_from_hijri: String,
    pub licence_valid_to: NaiveDate,
    pub licence_valid_to_hijri: String,
    /// Beds per night, seats per day or pilgrims served per day.
    pub capacity: i64,
    /// The least free units on any day of the requested range (or of the licence).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<i64>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<FacilityDetails> for FacilityView {
    fn from(d: FacilityDetails) -> FacilityView {
        let f = d.facility;
        FacilityView {
            id: f.id,
            provider_id: f.provider_id,
            kind: f.kind,
            name: f.name,
            name_ar: f.name_ar,
            city: f.place,
            licence_no: f.licence_no,
            licence_valid_from_hijri: hijri(f.licence_valid_from),
            licence_valid_from: f.licence_valid_from,
            licence_valid_to_hijri: hijri(f.licence_valid_to),
            licence_valid_to: f.licence_valid_to,
            capacity: f.capacity,
            available: d.available,
            version: f.version,
            created_at: utc(f.created_at),
            updated_at: utc(f.updated_at),
        }
    }
}

fn respond(view: FacilityView) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view)
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateFacility {
    pub kind: FacilityKind,
    #[schema(example = "Al-Safwa Tower 2", max_length = 200)]
    pub name: String,
    /// The name in Arabic (searchable like `name`), shown to Arabic readers.
    #[schema(example = "برج الصفوة 2", max_length = 200)]
    pub name_ar: Option<String>,
    /// Buildings and kitchens: `makkah`, `madinah` or `mashaer`.
    pub city: Option<Place>,
    /// Fleets: where the fleet is based (any place, airports included).
    pub base: Option<Place>,
    #[schema(example = "MK-2026-00417", max_length = 64)]
    pub licence_no: String,
    #[serde(deserialize_with = "crate::domain::calendar::bounded")]
    pub licence_valid_from: NaiveDate,
    #[serde(deserialize_with = "crate::domain::calendar::bounded")]
    pub licence_valid_to: NaiveDate,
    #[schema(minimum = 1, maximum = 1000000)]
    pub capacity: i64,
}

/// Registers a licensed facility (service providers' officers and admins).
#[utoipa::path(
    operation_id = "createFacility",
    tag = "facilities",
    request_body = CreateFacility,
    responses(
        (status = 201, description = "Registered", body = FacilityView),
        (status = 409, description = "The licence number is registered already (`licence_exists`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    body: Json<CreateFacility>,
) -> Result<HttpResponse, Error> {
    let idempotency = Idempotency::new(&req, &body)?;
    // Checked only once the caller may create at all (below).
    let parsed = body.into_inner().and_then(|body| {
        let mut errors = Vec::new();
        let name = Name::parse(&body.name)
            .map_err(|e| errors.push(FieldError::new("name", e)))
            .ok();
        let name_ar = body.name_ar.as_deref().and_then(|n| {
            Name::parse(n)
                .map_err(|e| errors.push(FieldError::new("name_ar", e)))
                .ok()
        });
        let licence = body.licence_no.trim().to_owned();
        if licence.is_empty()
            || licence.chars().count() > 64
            || licence.chars().any(char::is_control)
        {
            errors.push(FieldError::new("licence_no", Invalid::new("invalid_value")));
        }
        let place = match body.kind {
            FacilityKind::Fleet => {
                if body.city.is_some() {
                    errors.push(FieldError::new("city", Invalid::new("not_allowed")));
                }
                body.base.or_else(|| {
                    errors.push(FieldError::new("base", Invalid::new("required")));
                    None
                })
            }
            _ => {
                if body.base.is_some() {
                    errors.push(FieldError::new("base", Invalid::new("not_allowed")));
                }
                match body.city {
                    Some(c) if c.is_city() => Some(c),
                    Some(_) => {
                        errors.push(FieldError::new("city", Invalid::new("invalid_value")));
                        None
                    }
                    None => {
                        errors.push(FieldError::new("city", Invalid::new("required")));
                        None
                    }
                }
            }
        };
        if body.licence_valid_to < body.licence_valid_from {
            errors.push(FieldError::new(
                "licence_valid_to",
                Invalid::new("before_start"),
            ));
        } else if (body.licence_valid_to - body.licence_valid_from).num_days() >= MAX_LICENCE_DAYS {
            errors.push(FieldError::new(
                "licence_valid_to",
                Invalid::with_limit("span_too_long", MAX_LICENCE_DAYS as usize),
            ));
        }
        if !(1..=MAX_UNITS).contains(&body.capacity) {
            errors.push(FieldError::new("capacity", Invalid::new("out_of_range")));
        }
        let (Some(name), Some(place)) = (name, place) else {
            return Err(Error::invalid(errors));
        };
        if !errors.is_empty() {
            return Err(Error::invalid(errors));
        }
        Ok(NewFacility {
            kind: body.kind,
            name,
            name_ar,
            place,
            licence_no: licence,
            licence_valid_from: body.licence_valid_from,
            licence_valid_to: body.licence_valid_to,
            capacity: body.capacity,
        })
    });
    let created = idempotency
        .create(&state, auth, move |conn, caller| {
            facilities::register(conn, caller, parsed.clone()).map(FacilityView::from)
        })
        .await?;
    Ok(created.respond(|id| format!("/api/v1/facilities/{id}")))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FacilityQuery {
    pub kind: Option<FacilityKind>,
    /// Where the facility stands (or a fleet's base).
    pub city: Option<Place>,
    pub provider_id: Option<OrganizationId>,
    /// Searches names; Arabic letter variants match each other.
    pub q: Option<String>,
    /// With `to`: only facilities licensed on every day from `from` to `to`; `available` is then
    /// the least free units over that range.
    #[serde(
        default,
        deserialize_with = "crate::domain::calendar::bounded_optional"
    )]
    pub from: Option<NaiveDate>,
    #[serde(
        default,
        deserialize_with = "crate::domain::calendar::bounded_optional"
    )]
    pub to: Option<NaiveDate>,
    /// With `from` and `to`: only facilities with at least this many units free on every day.
    pub min_available: Option<i64>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Lists the facilities the caller may see: providers their own, clients those of active
/// providers, the ministry all.
#[utoipa::path(operation_id = "listFacilities", tag = "facilities", params(FacilityQuery), responses((status = 200, description = "One page", body = Page<FacilityView>)))]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    query: Query<FacilityQuery>,
) -> Result<HttpResponse, Error> {
    let query = query.into_inner();
    let page = page(query.limit, query.cursor)?;
    let range = facilities::date_range(query.from, query.to)?;
    if query.min_available.is_some() && range.is_none() {
        return Err(Error::invalid_query("from", Invalid::new("required")));
    }
    let q = query.q.as_deref().map(search_key).filter(|q| !q.is_empty());
    if q.as_ref()
        .is_some_and(|q| q.chars().count() > text::MAX_NAME_CHARS)
    {
        return Err(Error::invalid_query(
            "q",
            Invalid::with_limit("too_long", text::MAX_NAME_CHARS),
        ));
    }
    let filter = FacilityFilter {
        kind: query.kind.map(|k| k.as_str().to_owned()),
        city: query.city.map(|c| c.as_str().to_owned()),
        provider_id: query.provider_id,
        q,
        range,
        min_available: query.min_available,
    };
    lists::answer(
        &state,
        auth,
        &req,
        page,
        "facilities",
        move |conn, caller, page| {
            let found = page.read(|after, n| facilities::list(conn, caller, &filter, after, n))?;
            Ok(page.show(found, |d| d.facility.id.as_str(), FacilityView::from))
        },
    )
    .await
}

/// One facility, with its least free capacity over its licence.
#[utoipa::path(
    operation_id = "getFacility",
    tag = "facilities",
    params(("id" = String, Path, description = "Facility id")),
    responses((status = 200, description = "The facility", body = FacilityView))
)]
#[get("/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: FacilityId = path_id(&id)?;
    let view = state
        .read(auth, move |conn, caller| {
            facilities::find(conn, caller, &id).map(FacilityView::from)
        })
        .await?;
    Ok(respond(view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateFacility {
    #[schema(max_length = 200)]
    pub name: Option<String>,
    #[schema(max_length = 200)]
    pub name_ar: Option<String>,
    /// Never below what contracts hold on any day.
    #[schema(minimum = 1, maximum = 1000000)]
    pub capacity: Option<i64>,
}

/// Renames a facility or changes its capacity (its provider). Needs `If-Match`.
#[utoipa::path(
    operation_id = "updateFacility",
    tag = "facilities",
    request_body = UpdateFacility,
    params(
        ("id" = String, Path, description = "Facility id"),
        ("If-Match" = String, Header, description = "The version being changed, as its ETag (`*`: whatever version is current)"),
    ),
    responses(
        (status = 200, description = "Updated", body = FacilityView),
        (status = 409, description = "Contracts hold more than the new capacity (`capacity_in_use`)", body = ProblemDetails, content_type = "application/problem+json"),
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
    body: Json<UpdateFacility>,
) -> Result<HttpResponse, Error> {
    let id: FacilityId = path_id(&id)?;
    let version = if_match(&req);
    let edit = body.into_inner().map(|b| FacilityEdit {
        name: b.name,
        name_ar: b.name_ar,
        capacity: b.capacity,
    });
    let view = state
        .write(auth, move |conn, caller| {
            facilities::edit(conn, caller, &id, version.clone(), edit.clone())
                .map(FacilityView::from)
        })
        .await?;
    Ok(respond(view))
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsageQuery {
    /// First day (default: the licence's first day).
    #[serde(
        default,
        deserialize_with = "crate::domain::calendar::bounded_optional"
    )]
    pub from: Option<NaiveDate>,
    /// Last day (default: the licence's last day).
    #[serde(
        default,
        deserialize_with = "crate::domain::calendar::bounded_optional"
    )]
    pub to: Option<NaiveDate>,
}

#[derive(Serialize, ToSchema)]
pub struct DayUsage {
    pub date: NaiveDate,
    pub date_hijri: String,
    pub capacity: i64,
    /// Held by pending and approved contracts.
    pub held: i64,
    pub available: i64,
}

/// How much of the facility pending and approved contracts hold, day by day (its provider and the
/// ministry).
#[utoipa::path(
    operation_id = "getFacilityUsage",
    tag = "facilities",
    params(("id" = String, Path, description = "Facility id"), UsageQuery),
    responses((status = 200, description = "Per day, every day asked for (no next page)", body = Page<DayUsage>))
)]
#[get("/{id}/usage")]
pub async fn usage(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    query: Query<UsageQuery>,
) -> Result<HttpResponse, Error> {
    let id: FacilityId = path_id(&id)?;
    let query = query.into_inner();
    let days = state
        .read(auth, move |conn, caller| {
            let days = facilities::usage(conn, caller, &id, query.from, query.to)?;
            Ok(days
                .into_iter()
                .map(|d| DayUsage {
                    date_hijri: hijri(d.date),
                    date: d.date,
                    capacity: d.capacity,
                    held: d.held,
                    available: d.capacity - d.held,
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(lists::whole(&req, "usage", days))
}
