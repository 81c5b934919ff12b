//! Contracts between a client and a provider: drafting, the two-party lifecycle, the ministry's
//! review, amendments, history and exports (docs/domain.md section 4, rules R2-R10).

use std::collections::HashMap;

use super::idempotency::Idempotency;
use actix_web::http::StatusCode;
use actix_web::http::header::CONTENT_TYPE;
use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use chrono::{DateTime, NaiveDate, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::access::{self, Caller};
use crate::api::problem::ProblemDetails;
use crate::auth::credentials::Authenticated;
use crate::domain::Invalid;
use crate::domain::calendar::{hijri, today_in_makkah};
use crate::domain::contract::{
    Action, AmendmentStatus, Booking, ContractStatus, Holding, Party, Terms, TransitionError,
    amendment_transition, increase, transition,
};
use crate::domain::ids::{AmendmentId, ContractId, EventId, FacilityId, OrganizationId, SeasonId};
use crate::domain::money::{Money, parse_currency};
use crate::domain::organization::{OrgKind, OrgStatus};
use crate::domain::season::{ContractType, FacilityKind, Place};
use crate::domain::text::{self, search_key};
use crate::error::{Error, FieldError};
use crate::notify;
use crate::state::AppState;
use crate::storage::contracts::{self as store, ContractFilter, TermsChange};
use crate::storage::holds::{self, HoldError};
use crate::storage::models::{AmendmentRow, ContractEventRow, ContractRow, FacilityRow, SeasonRow};
use crate::storage::schema::{facilities, organizations};
use crate::storage::{
    DbConnection, facilities as facility_store, is_unique_violation, now, seasons,
};

use super::extract::{Json, OptionalJson, PageQuery, etag, if_match, path_id};
use super::{Page, csv, utc};

/// The longest reason accepted.
const MAX_REASON_CHARS: usize = 1000;

#[derive(Serialize, Deserialize, ToSchema, Clone, Copy, Debug)]
#[serde(deny_unknown_fields)]
pub struct Route {
    pub from: Place,
    pub to: Place,
}

#[derive(Serialize, ToSchema)]
pub struct ContractView {
    pub id: ContractId,
    pub season_id: SeasonId,
    #[serde(rename = "type")]
    pub contract_type: ContractType,
    pub status: ContractStatus,
    pub client_id: OrganizationId,
    pub client_name: String,
    pub client_country: String,
    pub provider_id: OrganizationId,
    pub provider_name: String,
    pub facility_id: FacilityId,
    pub facility_name: String,
    pub facility_city: Place,
    /// First night, meal day or service day covered.
    pub starts_on: NaiveDate,
    pub starts_on_hijri: String,
    /// Last night, meal day or service day covered (inclusive).
    pub ends_on: NaiveDate,
    pub ends_on_hijri: String,
    /// Housing: beds per night.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beds: Option<i64>,
    /// Transport: the route served.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
    /// Transport: seats per day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats: Option<i64>,
    /// Catering: pilgrims served per day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pilgrims: Option<i64>,
    /// Catering: meals per day (1-3).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meals_per_day: Option<i64>,
    /// Price per bed-night, seat-day or meal; absent for callers who may not see prices.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "250.00")]
    pub unit_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "SAR")]
    pub currency: Option<String>,
    /// Unit price times units times days (times meals): computed by the server.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "30000.00")]
    pub total: Option<String>,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The domain booking a stored contract (or amendment) describes.
fn booking(
    contract_type: &str,
    starts_on: NaiveDate,
    ends_on: NaiveDate,
    units: i64,
    route: (Option<&str>, Option<&str>),
    meals: Option<i64>,
) -> Result<Booking, Error> {
    let terms = match ContractType::parse(contract_type).ok_or_else(Error::internal)? {
        ContractType::Housing => Terms::Housing { beds: units },
        ContractType::Catering => Terms::Catering {
            pilgrims: units,
            meals_per_day: meals.unwrap_or(1),
        },
        ContractType::Transport => Terms::Transport {
            from: route.0.and_then(Place::parse).ok_or_else(Error::internal)?,
            to: route.1.and_then(Place::parse).ok_or_else(Error::internal)?,
            seats: units,
        },
    };
    Ok(Booking {
        terms,
        starts_on,
        ends_on,
    })
}

pub(crate) fn contract_booking(row: &ContractRow) -> Result<Booking, Error> {
    booking(
        &row.contract_type,
        row.starts_on,
        row.ends_on,
        row.units,
        (row.route_from.as_deref(), row.route_to.as_deref()),
        row.meals_per_day,
    )
}

pub(crate) fn amendment_booking(
    contract: &ContractRow,
    row: &AmendmentRow,
) -> Result<Booking, Error> {
    booking(
        &contract.contract_type,
        row.starts_on,
        row.ends_on,
        row.units,
        (row.route_from.as_deref(), row.route_to.as_deref()),
        row.meals_per_day,
    )
}

/// Names of organisations and facilities, loaded once for a page of contracts.
struct Names {
    organizations: HashMap<String, String>,
    facilities: HashMap<String, (String, String)>,
}

impl Names {
    fn load(conn: &mut DbConnection, rows: &[ContractRow]) -> Result<Names, Error> {
        let mut org_ids: Vec<&str> = rows
            .iter()
            .flat_map(|r| [r.client_id.as_str(), r.provider_id.as_str()])
            .collect();
        org_ids.sort_unstable();
        org_ids.dedup();
        let mut facility_ids: Vec<&str> = rows.iter().map(|r| r.facility_id.as_str()).collect();
        facility_ids.sort_unstable();
        facility_ids.dedup();
        let organizations = organizations::table
            .filter(organizations::id.eq_any(&org_ids))
            .select((organizations::id, organizations::name))
            .load::<(String, String)>(conn)?
            .into_iter()
            .collect();
        let facilities = facilities::table
            .filter(facilities::id.eq_any(&facility_ids))
            .select((facilities::id, facilities::name, facilities::city))
            .load::<(String, String, String)>(conn)?
            .into_iter()
            .map(|(id, name, city)| (id, (name, city)))
            .collect();
        Ok(Names {
            organizations,
            facilities,
        })
    }

    fn org(&self, id: &str) -> String {
        self.organizations.get(id).cloned().unwrap_or_default()
    }
}

impl ContractView {
    fn build(row: ContractRow, names: &Names, prices: bool) -> Result<ContractView, Error> {
        let b = contract_booking(&row)?;
        let (beds, route, seats, pilgrims, meals_per_day) = match b.terms {
            Terms::Housing { beds } => (Some(beds), None, None, None, None),
            Terms::Transport { from, to, seats } => {
                (None, Some(Route { from, to }), Some(seats), None, None)
            }
            Terms::Catering {
                pilgrims,
                meals_per_day,
            } => (None, None, None, Some(pilgrims), Some(meals_per_day)),
        };
        let (facility_name, city) = names
            .facilities
            .get(&row.facility_id)
            .cloned()
            .unwrap_or_default();
        Ok(ContractView {
            client_name: names.org(&row.client_id),
            provider_name: names.org(&row.provider_id),
            id: ContractId::from_stored(row.id),
            season_id: SeasonId::from_stored(row.season_id),
            contract_type: b.terms.contract_type(),
            status: ContractStatus::parse(&row.status).ok_or_else(Error::internal)?,
            client_id: OrganizationId::from_stored(row.client_id),
            client_country: row.client_country,
            provider_id: OrganizationId::from_stored(row.provider_id),
            facility_id: FacilityId::from_stored(row.facility_id),
            facility_name,
            facility_city: Place::parse(&city).ok_or_else(Error::internal)?,
            starts_on_hijri: hijri(row.starts_on),
            starts_on: row.starts_on,
            ends_on_hijri: hijri(row.ends_on),
            ends_on: row.ends_on,
            beds,
            route,
            seats,
            pilgrims,
            meals_per_day,
            unit_price: prices.then(|| Money::from_halalas(row.unit_price).to_string()),
            currency: prices.then(|| row.currency.clone()),
            total: prices.then(|| Money::from_halalas(row.total).to_string()),
            version: row.version,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        })
    }
}

fn views(
    conn: &mut DbConnection,
    caller: &Caller,
    rows: Vec<ContractRow>,
) -> Result<Vec<ContractView>, Error> {
    let names = Names::load(conn, &rows)?;
    let prices = access::sees_prices(caller);
    rows.into_iter()
        .map(|r| ContractView::build(r, &names, prices))
        .collect()
}

fn view(conn: &mut DbConnection, caller: &Caller, row: ContractRow) -> Result<ContractView, Error> {
    views(conn, caller, vec![row])?
        .pop()
        .ok_or_else(Error::internal)
}

fn respond(status: StatusCode, view: &ContractView) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header(etag(view.version))
        .json(view)
}

/// A contract the caller may see; anything else is a 404.
fn visible(conn: &mut DbConnection, caller: &Caller, id: &str) -> Result<ContractRow, Error> {
    store::find_visible(conn, &access::contract_scope(caller), id)?.ok_or_else(Error::not_found)
}

/// The part the caller plays, and that it may act at all.
fn acting_party(caller: &Caller, row: &ContractRow) -> Result<Party, Error> {
    let party =
        access::party(caller, &row.client_id, &row.provider_id).ok_or_else(Error::forbidden)?;
    access::act(caller)?;
    Ok(party)
}

fn hold_error(e: HoldError) -> Error {
    match e {
        HoldError::CapacityExceeded => Error::conflict("capacity_exceeded"),
        HoldError::AllocationExceeded => Error::conflict("quota_exceeded"),
        HoldError::NoAllocation => Error::conflict("no_allocation"),
        HoldError::Db(e) => e.into(),
    }
}

/// Takes capacity and allocation for a load (R4, R7): the allocation row first, then the client's
/// days, then the facility's, always in this order.
fn take(
    conn: &mut DbConnection,
    row: &ContractRow,
    load: &crate::domain::contract::Load,
) -> Result<(), Error> {
    holds::lock_allocation(conn, &row.season_id, &row.client_id).map_err(hold_error)?;
    holds::take_client(conn, &row.season_id, &row.client_id, load).map_err(hold_error)?;
    holds::take_facility(conn, &row.facility_id, load).map_err(hold_error)
}

fn release(
    conn: &mut DbConnection,
    row: &ContractRow,
    load: &crate::domain::contract::Load,
) -> Result<(), Error> {
    holds::release_client(conn, &row.season_id, &row.client_id, load).map_err(hold_error)?;
    holds::release_facility(conn, &row.facility_id, load).map_err(hold_error)
}

/// One line of a contract's history (R9).
struct Event<'a> {
    contract: &'a str,
    amendment: Option<&'a str>,
    action: &'a str,
    from: Option<&'a str>,
    to: &'a str,
    reason: Option<String>,
}

fn record(conn: &mut DbConnection, caller: &Caller, event: Event<'_>) -> Result<(), Error> {
    let (user, key) = caller.actor_ids();
    store::insert_event(
        conn,
        &ContractEventRow {
            id: EventId::generate().into_string(),
            contract_id: event.contract.to_owned(),
            amendment_id: event.amendment.map(str::to_owned),
            action: event.action.to_owned(),
            from_status: event.from.map(str::to_owned),
            to_status: event.to.to_owned(),
            reason: event.reason,
            actor_user_id: user,
            actor_api_key_id: key,
            organization_id: caller.organization_id.to_string(),
            at: now(),
        },
    )?;
    Ok(())
}

/// Terms as sent: the fields of every type, checked against the one named.
#[derive(Deserialize, Serialize, ToSchema, Default, Clone)]
#[serde(deny_unknown_fields)]
pub struct TermsInput {
    /// Housing: beds per night.
    pub beds: Option<i64>,
    /// Transport: the route served.
    pub route: Option<Route>,
    /// Transport: seats per day.
    pub seats: Option<i64>,
    /// Catering: pilgrims served per day.
    pub pilgrims: Option<i64>,
    /// Catering: meals per day, 1 to 3.
    pub meals_per_day: Option<i64>,
}

impl TermsInput {
    /// The terms of `contract_type`, starting from `current` where a field is not sent.
    fn parse(
        &self,
        contract_type: ContractType,
        current: Option<Terms>,
        errors: &mut Vec<FieldError>,
    ) -> Option<Terms> {
        let mut foreign = |field: &'static str, present: bool| {
            if present {
                errors.push(FieldError::new(field, Invalid::new("not_for_type")));
            }
        };
        let terms = match contract_type {
            ContractType::Housing => {
                foreign("route", self.route.is_some());
                foreign("seats", self.seats.is_some());
                foreign("pilgrims", self.pilgrims.is_some());
                foreign("meals_per_day", self.meals_per_day.is_some());
                let current = match current {
                    Some(Terms::Housing { beds }) => Some(beds),
                    _ => None,
                };
                self.beds.or(current).map(|beds| Terms::Housing { beds })
            }
            ContractType::Transport => {
                foreign("beds", self.beds.is_some());
                foreign("pilgrims", self.pilgrims.is_some());
                foreign("meals_per_day", self.meals_per_day.is_some());
                let (route, seats) = match current {
                    Some(Terms::Transport { from, to, seats }) => {
                        (Some(Route { from, to }), Some(seats))
                    }
                    _ => (None, None),
                };
                match (self.route.or(route), self.seats.or(seats)) {
                    (Some(r), Some(seats)) => Some(Terms::Transport {
                        from: r.from,
                        to: r.to,
                        seats,
                    }),
                    (r, s) => {
                        if r.is_none() {
                            errors.push(FieldError::new("route", Invalid::new("required")));
                        }
                        if s.is_none() {
                            errors.push(FieldError::new("seats", Invalid::new("required")));
                        }
                        return None;
                    }
                }
            }
            ContractType::Catering => {
                foreign("beds", self.beds.is_some());
                foreign("route", self.route.is_some());
                foreign("seats", self.seats.is_some());
                let (pilgrims, meals) = match current {
                    Some(Terms::Catering {
                        pilgrims,
                        meals_per_day,
                    }) => (Some(pilgrims), Some(meals_per_day)),
                    _ => (None, None),
                };
                match (self.pilgrims.or(pilgrims), self.meals_per_day.or(meals)) {
                    (Some(pilgrims), Some(meals_per_day)) => Some(Terms::Catering {
                        pilgrims,
                        meals_per_day,
                    }),
                    (p, m) => {
                        if p.is_none() {
                            errors.push(FieldError::new("pilgrims", Invalid::new("required")));
                        }
                        if m.is_none() {
                            errors.push(FieldError::new("meals_per_day", Invalid::new("required")));
                        }
                        return None;
                    }
                }
            }
        };
        if terms.is_none() {
            errors.push(FieldError::new("beds", Invalid::new("required")));
        }
        if let Some(t) = &terms {
            errors.extend(t.check().into_iter().map(|(f, e)| FieldError::new(f, e)));
        }
        terms
    }
}

/// A booking checked against its season (dates) and facility (kind and licence, R3, R8), priced.
fn check_booking(
    booking: &Booking,
    unit_price: Money,
    season: &SeasonRow,
    facility: &FacilityRow,
) -> Result<Money, Error> {
    let mut errors = Vec::new();
    if let Some((field, e)) = booking.check_dates() {
        errors.push(FieldError::new(field, e));
    } else {
        if booking.starts_on < season.starts_on {
            errors.push(FieldError::new("starts_on", Invalid::new("outside_season")));
        }
        if booking.ends_on > season.ends_on {
            errors.push(FieldError::new("ends_on", Invalid::new("outside_season")));
        }
        if booking.starts_on < facility.licence_valid_from {
            errors.push(FieldError::new(
                "starts_on",
                Invalid::new("outside_licence"),
            ));
        }
        if booking.ends_on > facility.licence_valid_to {
            errors.push(FieldError::new("ends_on", Invalid::new("outside_licence")));
        }
    }
    if FacilityKind::parse(&facility.kind).map(FacilityKind::contract_type)
        != Some(booking.terms.contract_type())
    {
        errors.push(FieldError::new(
            "facility_id",
            Invalid::new("facility_kind_mismatch"),
        ));
    }
    let total = unit_price.times(booking.quantity());
    if total.is_none() {
        errors.push(FieldError::new("unit_price", Invalid::new("out_of_range")));
    }
    match total {
        Some(total) if errors.is_empty() => Ok(total),
        _ => Err(Error::invalid(errors)),
    }
}

fn parse_price(input: &str, errors: &mut Vec<FieldError>) -> Option<Money> {
    Money::parse(input.trim())
        .map_err(|e| errors.push(FieldError::new("unit_price", e)))
        .ok()
}

/// Drafts a contract for the caller (a client), checking R3 and R8. Drafts hold nothing.
pub fn draft(
    conn: &mut DbConnection,
    caller: &Caller,
    season_id: &str,
    facility_id: &str,
    booking: &Booking,
    price: Money,
) -> Result<ContractRow, Error> {
    let season = seasons::find(conn, season_id)?
        .ok_or_else(|| Error::invalid_field("season_id", Invalid::new("unknown_reference")))?;
    let facility =
        facility_store::find_visible(conn, &access::facility_scope(caller), facility_id)?
            .ok_or_else(|| {
                Error::invalid_field("facility_id", Invalid::new("unknown_reference"))
            })?;
    let total = check_booking(booking, price, &season, &facility)?;
    if seasons::allocation(conn, &season.id, caller.organization_id.as_str())?.is_none() {
        return Err(Error::conflict("no_allocation"));
    }
    let client = crate::storage::organizations::find(conn, caller.organization_id.as_str())?
        .ok_or_else(Error::unauthorized)?;
    let provider = crate::storage::organizations::find(conn, &facility.provider_id)?
        .ok_or_else(Error::internal)?;
    let office = match caller.kind {
        OrgKind::Agency => client.parent_id.clone(),
        _ => Some(client.id.clone()),
    };
    let (route_from, route_to) = match booking.terms {
        Terms::Transport { from, to, .. } => {
            (Some(from.as_str().to_owned()), Some(to.as_str().to_owned()))
        }
        _ => (None, None),
    };
    let at = now();
    let row = ContractRow {
        id: ContractId::generate().into_string(),
        season_id: season.id,
        contract_type: booking.terms.contract_type().as_str().to_owned(),
        client_id: client.id.clone(),
        client_office_id: office,
        client_country: client.country.clone().unwrap_or_default(),
        provider_id: provider.id.clone(),
        facility_id: facility.id.clone(),
        status: ContractStatus::Draft.as_str().to_owned(),
        starts_on: booking.starts_on,
        ends_on: booking.ends_on,
        units: booking.terms.units(),
        route_from,
        route_to,
        meals_per_day: match booking.terms {
            Terms::Catering { meals_per_day, .. } => Some(meals_per_day),
            _ => None,
        },
        unit_price: price.halalas(),
        currency: "SAR".to_owned(),
        total: total.halalas(),
        search_key: search_key(&format!(
            "{} {} {} {}",
            facility.name, client.name, client.name_ar, provider.name
        )),
        version: 1,
        created_at: at,
        updated_at: at,
    };
    store::insert(conn, &row)?;
    record(
        conn,
        caller,
        Event {
            contract: &row.id,
            amendment: None,
            action: "create",
            from: None,
            to: ContractStatus::Draft.as_str(),
            reason: None,
        },
    )?;
    Ok(row)
}

impl CreateContract {
    /// The body's booking and price, every refused field named.
    fn parse(self) -> Result<(CreateContract, Booking, Money), Error> {
        let mut errors = Vec::new();
        let terms = self.terms.parse(self.contract_type, None, &mut errors);
        let price = parse_price(&self.unit_price, &mut errors);
        if let Err(e) = parse_currency(&self.currency) {
            errors.push(FieldError::new("currency", e));
        }
        match (terms, price) {
            (Some(terms), Some(price)) if errors.is_empty() => {
                let booking = Booking {
                    terms,
                    starts_on: self.starts_on,
                    ends_on: self.ends_on,
                };
                Ok((self, booking, price))
            }
            _ => Err(Error::invalid(errors)),
        }
    }
}

#[derive(Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateContract {
    pub season_id: SeasonId,
    #[serde(rename = "type")]
    pub contract_type: ContractType,
    /// The provider's facility: a building (housing), a fleet (transport) or a kitchen (catering).
    pub facility_id: FacilityId,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    /// Per bed-night, seat-day or meal, as a decimal string.
    #[schema(example = "250.00")]
    pub unit_price: String,
    #[schema(example = "SAR")]
    pub currency: String,
    #[serde(flatten)]
    pub terms: TermsInput,
}

/// Drafts a contract (offices and agencies). A draft holds nothing; submitting it does. Send an
/// `Idempotency-Key` so that a retried request never creates a second contract.
#[utoipa::path(
    tag = "contracts",
    request_body = CreateContract,
    responses(
        (status = 201, description = "Drafted (or the first answer to this key, replayed)", body = ContractView),
        (status = 409, description = "`no_allocation`, or `idempotency_key_reused` with another body", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/contracts")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    body: Json<CreateContract>,
) -> Result<HttpResponse, Error> {
    let idempotency = Idempotency::new(&req, &body)?;
    let parsed = body.into_inner().and_then(CreateContract::parse);
    let created = idempotency
        .create(&state, auth, move |conn, caller| {
            access::file_contracts(caller)?;
            let (body, booking, price) = parsed?;
            let row = draft(
                conn,
                caller,
                body.season_id.as_str(),
                body.facility_id.as_str(),
                &booking,
                price,
            )?;
            view(conn, caller, row)
        })
        .await?;
    Ok(created.respond())
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ContractQuery {
    pub season_id: Option<SeasonId>,
    #[serde(rename = "type")]
    #[param(rename = "type")]
    pub contract_type: Option<ContractType>,
    pub status: Option<ContractStatus>,
    pub client_id: Option<OrganizationId>,
    pub provider_id: Option<OrganizationId>,
    pub facility_id: Option<FacilityId>,
    /// Searches facility, client and provider names; Arabic letter variants match each other.
    pub q: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

const CSV_BATCH: u32 = 500;

/// Lists the contracts the caller may see. `Accept: text/csv` returns every matching row (all
/// pages, up to 100,000) as CSV, with the same columns the caller sees in JSON.
#[utoipa::path(
    tag = "contracts",
    params(ContractQuery),
    responses((status = 200, description = "One page (JSON) or every row (CSV)", content(
        (Page<ContractView> = "application/json"),
        (String = "text/csv"),
    )))
)]
#[get("/contracts")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    query: web::Query<ContractQuery>,
) -> Result<HttpResponse, Error> {
    let query = query.into_inner();
    let page = PageQuery {
        limit: query.limit,
        cursor: query.cursor,
    }
    .parse()?;
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
        season_id: query.season_id.map(SeasonId::into_string),
        contract_type: query.contract_type.map(|t| t.as_str().to_owned()),
        status: query.status.map(|s| s.as_str().to_owned()),
        client_id: query.client_id.map(OrganizationId::into_string),
        provider_id: query.provider_id.map(OrganizationId::into_string),
        facility_id: query.facility_id.map(FacilityId::into_string),
        q,
    };
    if csv::wanted(&req) {
        let body = state
            .read(auth, move |conn, caller| {
                let scope = access::contract_scope(caller);
                let prices = access::sees_prices(caller);
                let mut out = csv::line(&csv_header(prices));
                let mut after: Option<String> = None;
                let mut count = 0;
                loop {
                    let rows = store::list(
                        conn,
                        &scope,
                        &filter,
                        after.as_deref(),
                        i64::from(CSV_BATCH),
                    )?;
                    let done = rows.len() < CSV_BATCH as usize;
                    after = rows.last().map(|r| r.id.clone());
                    for v in views(conn, caller, rows)? {
                        out.push_str(&csv::line(&csv_row(&v)));
                        count += 1;
                    }
                    if done || count >= csv::MAX_ROWS {
                        break;
                    }
                }
                Ok(out)
            })
            .await?;
        return Ok(HttpResponse::Ok()
            .insert_header((CONTENT_TYPE, "text/csv; charset=utf-8"))
            .body(body));
    }
    let body = state
        .read(auth, move |conn, caller| {
            let rows = store::list(
                conn,
                &access::contract_scope(caller),
                &filter,
                page.after.as_deref(),
                page.fetch(),
            )?;
            let (rows, next_cursor) = page.finish(rows, |r| &r.id);
            Ok(Page {
                items: views(conn, caller, rows)?,
                next_cursor,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(body))
}

fn csv_header(prices: bool) -> Vec<String> {
    let mut cols = vec![
        "id",
        "season_id",
        "type",
        "status",
        "client_id",
        "client_name",
        "client_country",
        "provider_id",
        "provider_name",
        "facility_id",
        "facility_name",
        "facility_city",
        "starts_on",
        "starts_on_hijri",
        "ends_on",
        "ends_on_hijri",
        "beds",
        "route_from",
        "route_to",
        "seats",
        "pilgrims",
        "meals_per_day",
    ];
    if prices {
        cols.extend(["unit_price", "currency", "total"]);
    }
    cols.extend(["version", "created_at", "updated_at"]);
    cols.into_iter().map(str::to_owned).collect()
}

fn csv_row(v: &ContractView) -> Vec<String> {
    let opt = |x: Option<i64>| x.map(|n| n.to_string()).unwrap_or_default();
    let mut cells = vec![
        v.id.to_string(),
        v.season_id.to_string(),
        v.contract_type.to_string(),
        v.status.to_string(),
        v.client_id.to_string(),
        v.client_name.clone(),
        v.client_country.clone(),
        v.provider_id.to_string(),
        v.provider_name.clone(),
        v.facility_id.to_string(),
        v.facility_name.clone(),
        v.facility_city.to_string(),
        v.starts_on.to_string(),
        v.starts_on_hijri.clone(),
        v.ends_on.to_string(),
        v.ends_on_hijri.clone(),
        opt(v.beds),
        v.route.map(|r| r.from.to_string()).unwrap_or_default(),
        v.route.map(|r| r.to.to_string()).unwrap_or_default(),
        opt(v.seats),
        opt(v.pilgrims),
        opt(v.meals_per_day),
    ];
    if let (Some(p), Some(c), Some(t)) = (&v.unit_price, &v.currency, &v.total) {
        cells.extend([p.clone(), c.clone(), t.clone()]);
    }
    cells.extend([
        v.version.to_string(),
        v.created_at.to_rfc3339(),
        v.updated_at.to_rfc3339(),
    ]);
    cells
}

/// One contract.
#[utoipa::path(
    tag = "contracts",
    params(("id" = String, Path, description = "Contract id")),
    responses((status = 200, description = "The contract", body = ContractView, headers(("ETag" = String, description = "The version"))))
)]
#[get("/contracts/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: ContractId = path_id(&id)?;
    let view = state
        .read(auth, move |conn, caller| {
            let row = visible(conn, caller, id.as_str())?;
            view(conn, caller, row)
        })
        .await?;
    Ok(respond(StatusCode::OK, &view))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UpdateContract {
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub unit_price: Option<String>,
    #[serde(flatten)]
    pub terms: TermsInput,
}

/// The booking and price an edit or amendment asks for, merged over the current terms.
fn merged(
    current: &Booking,
    starts_on: Option<NaiveDate>,
    ends_on: Option<NaiveDate>,
    unit_price: Option<&str>,
    current_price: i64,
    terms: &TermsInput,
) -> Result<(Booking, Money), Error> {
    let mut errors = Vec::new();
    let new_terms = terms.parse(
        current.terms.contract_type(),
        Some(current.terms),
        &mut errors,
    );
    let price = match unit_price {
        Some(p) => parse_price(p, &mut errors),
        None => Some(Money::from_halalas(current_price)),
    };
    match (new_terms, price) {
        (Some(terms), Some(price)) if errors.is_empty() => Ok((
            Booking {
                terms,
                starts_on: starts_on.unwrap_or(current.starts_on),
                ends_on: ends_on.unwrap_or(current.ends_on),
            },
            price,
        )),
        _ => Err(Error::invalid(errors)),
    }
}

fn terms_change(b: &Booking, price: Money, total: Money) -> TermsChange {
    let (route_from, route_to, meals) = b.terms.columns();
    TermsChange {
        starts_on: b.starts_on,
        ends_on: b.ends_on,
        units: b.terms.units(),
        route_from,
        route_to,
        meals_per_day: meals,
        unit_price: price.halalas(),
        total: total.halalas(),
    }
}

fn season_and_facility(
    conn: &mut DbConnection,
    row: &ContractRow,
) -> Result<(SeasonRow, FacilityRow), Error> {
    let season = seasons::find(conn, &row.season_id)?.ok_or_else(Error::internal)?;
    let facility = facility_store::find(conn, &row.facility_id)?.ok_or_else(Error::internal)?;
    Ok((season, facility))
}

/// Edits a draft or returned contract (its client). Needs `If-Match`; every edit bumps the version.
#[utoipa::path(
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
#[patch("/contracts/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<UpdateContract>,
) -> Result<HttpResponse, Error> {
    let id: ContractId = path_id(&id)?;
    let version = if_match(&req);
    let view = state
        .write(auth, move |conn, caller| {
            let row = visible(conn, caller, id.as_str())?;
            if acting_party(caller, &row)? != Party::Client {
                return Err(Error::forbidden());
            }
            let version = version?.unwrap_or(row.version);
            let body = body.into_inner()?;
            if row.version != version {
                return Err(Error::precondition_failed());
            }
            let status = ContractStatus::parse(&row.status).ok_or_else(Error::internal)?;
            if !status.editable() {
                return Err(Error::conflict("invalid_transition"));
            }
            let current = contract_booking(&row)?;
            let (booking, price) = merged(
                &current,
                body.starts_on,
                body.ends_on,
                body.unit_price.as_deref(),
                row.unit_price,
                &body.terms,
            )?;
            let (season, facility) = season_and_facility(conn, &row)?;
            let total = check_booking(&booking, price, &season, &facility)?;
            if !store::update_terms(
                conn,
                &row.id,
                version,
                &row.status,
                &terms_change(&booking, price, total),
            )? {
                return Err(Error::precondition_failed());
            }
            record(
                conn,
                caller,
                Event {
                    contract: &row.id,
                    amendment: None,
                    action: "edit",
                    from: Some(&row.status),
                    to: &row.status,
                    reason: None,
                },
            )?;
            let row = store::find(conn, &row.id)?.ok_or_else(Error::internal)?;
            view(conn, caller, row)
        })
        .await?;
    Ok(respond(StatusCode::OK, &view))
}

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    /// Required to decline, return, reject and cancel.
    pub reason: Option<String>,
}

fn reason(required: bool, input: Option<ReasonInput>) -> Result<Option<String>, Error> {
    let text = input
        .and_then(|r| r.reason)
        .map(|r| r.trim().to_owned())
        .filter(|r| !r.is_empty());
    match text {
        None if required => Err(Error::invalid_field("reason", Invalid::new("required"))),
        Some(r) if r.chars().count() > MAX_REASON_CHARS => Err(Error::invalid_field(
            "reason",
            Invalid::with_limit("too_long", MAX_REASON_CHARS),
        )),
        Some(r) if r.chars().any(|c| c.is_control() && c != '\n') => Err(Error::invalid_field(
            "reason",
            Invalid::new("invalid_characters"),
        )),
        other => Ok(other),
    }
}

fn transition_error(e: TransitionError) -> Error {
    match e {
        TransitionError::NotYourAction => Error::forbidden(),
        TransitionError::InvalidTransition => Error::conflict("invalid_transition"),
    }
}

/// Moves a contract along its lifecycle for the caller, with everything that goes with it: the
/// deadline (R2), holds taken or released (R4, R7), the history (R9). The body's reason is checked
/// only once the caller may take the step. Run inside a write transaction.
pub fn apply(
    conn: &mut DbConnection,
    caller: &Caller,
    contract_id: &str,
    action: Action,
    body: Result<Option<ReasonInput>, Error>,
) -> Result<ContractRow, Error> {
    let row = visible(conn, caller, contract_id)?;
    let party = acting_party(caller, &row)?;
    let from = ContractStatus::parse(&row.status).ok_or_else(Error::internal)?;
    let step = transition(from, action, party).map_err(transition_error)?;
    let reason = reason(action.needs_reason(), body?)?;
    let load = contract_booking(&row)?.load();
    if action == Action::Submit {
        let season = seasons::find(conn, &row.season_id)?.ok_or_else(Error::internal)?;
        if today_in_makkah()
            > seasons::last_filing_day(conn, &season, &row.client_id, &row.contract_type)?
        {
            return Err(Error::conflict("deadline_passed"));
        }
        let provider = crate::storage::organizations::find(conn, &row.provider_id)?
            .ok_or_else(Error::internal)?;
        if provider.status != OrgStatus::Active.as_str() {
            return Err(Error::conflict("provider_inactive"));
        }
    }
    match step.holding {
        Holding::Take => take(conn, &row, &load)?,
        Holding::Release => release(conn, &row, &load)?,
        Holding::Keep => {}
    }
    if from == ContractStatus::Approved {
        close_open_amendment(conn, caller, &row)?;
    }
    if !store::set_status(conn, &row.id, from.as_str(), step.to.as_str())? {
        return Err(Error::conflict("invalid_transition"));
    }
    let moved = store::find(conn, &row.id)?.ok_or_else(Error::internal)?;
    notify::contract_moved(
        conn,
        &moved,
        action,
        from == ContractStatus::Draft,
        caller.organization_id.as_str(),
        reason.as_deref(),
    )?;
    record(
        conn,
        caller,
        Event {
            contract: &row.id,
            amendment: None,
            action: action.as_str(),
            from: Some(from.as_str()),
            to: step.to.as_str(),
            reason,
        },
    )?;
    Ok(moved)
}

/// Moves a contract along its lifecycle: `submit` and `cancel` (client), `accept` and `decline`
/// (provider), `approve`, `return`, `reject` and `cancel` of an approved contract (ministry).
/// Submitting holds the facility's capacity and the client's allocation; leaving the pending and
/// approved states releases them.
#[utoipa::path(
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
#[post("/contracts/{id}/{action}")]
pub async fn act(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(String, Action)>,
    body: OptionalJson<ReasonInput>,
) -> Result<HttpResponse, Error> {
    let (id, action) = path.into_inner();
    let id: ContractId = path_id(&id)?;
    let view = state
        .write(auth, move |conn, caller| {
            let row = apply(conn, caller, id.as_str(), action, body.into_inner())?;
            view(conn, caller, row)
        })
        .await?;
    Ok(respond(StatusCode::OK, &view))
}

/// An approved contract that is cancelled takes its open amendment with it.
fn close_open_amendment(
    conn: &mut DbConnection,
    caller: &Caller,
    row: &ContractRow,
) -> Result<(), Error> {
    for amendment in store::amendments(conn, &row.id)? {
        let status = AmendmentStatus::parse(&amendment.status).ok_or_else(Error::internal)?;
        if status.is_open() {
            let extra = increase(
                &contract_booking(row)?.load(),
                &amendment_booking(row, &amendment)?.load(),
            );
            release(conn, row, &extra)?;
            store::set_amendment_status(
                conn,
                &amendment.id,
                status.as_str(),
                AmendmentStatus::Rejected.as_str(),
            )?;
            record(
                conn,
                caller,
                Event {
                    contract: &row.id,
                    amendment: Some(&amendment.id),
                    action: "reject",
                    from: Some(status.as_str()),
                    to: AmendmentStatus::Rejected.as_str(),
                    reason: Some("contract cancelled".into()),
                },
            )?;
        }
    }
    Ok(())
}

#[derive(Serialize, ToSchema)]
pub struct EventView {
    pub id: String,
    pub at: DateTime<Utc>,
    /// `create`, `edit`, a lifecycle action, or `amend` and the amendment's actions.
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub from_status: Option<String>,
    pub to_status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    pub organization_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub actor_api_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub amendment_id: Option<String>,
}

/// Every transition, edit and amendment step of a contract, oldest first (append-only).
#[utoipa::path(
    tag = "contracts",
    params(("id" = String, Path, description = "Contract id")),
    responses((status = 200, description = "The history", body = Vec<EventView>))
)]
#[get("/contracts/{id}/history")]
pub async fn history(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: ContractId = path_id(&id)?;
    let events = state
        .read(auth, move |conn, caller| {
            let row = visible(conn, caller, id.as_str())?;
            Ok(store::events(conn, &row.id)?
                .into_iter()
                .map(|e| EventView {
                    id: e.id,
                    at: utc(e.at),
                    action: e.action,
                    from_status: e.from_status,
                    to_status: e.to_status,
                    reason: e.reason,
                    organization_id: e.organization_id,
                    actor_user_id: e.actor_user_id,
                    actor_api_key_id: e.actor_api_key_id,
                    amendment_id: e.amendment_id,
                })
                .collect::<Vec<_>>())
        })
        .await?;
    Ok(HttpResponse::Ok().json(events))
}

#[derive(Serialize, ToSchema)]
pub struct AmendmentView {
    pub id: AmendmentId,
    pub contract_id: ContractId,
    pub status: AmendmentStatus,
    pub reason: String,
    pub starts_on: NaiveDate,
    pub starts_on_hijri: String,
    pub ends_on: NaiveDate,
    pub ends_on_hijri: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub beds: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub route: Option<Route>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seats: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pilgrims: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub meals_per_day: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

fn amendment_view(
    caller: &Caller,
    contract: &ContractRow,
    row: AmendmentRow,
) -> Result<AmendmentView, Error> {
    let b = amendment_booking(contract, &row)?;
    let prices = access::sees_prices(caller);
    let (beds, route, seats, pilgrims, meals_per_day) = match b.terms {
        Terms::Housing { beds } => (Some(beds), None, None, None, None),
        Terms::Transport { from, to, seats } => {
            (None, Some(Route { from, to }), Some(seats), None, None)
        }
        Terms::Catering {
            pilgrims,
            meals_per_day,
        } => (None, None, None, Some(pilgrims), Some(meals_per_day)),
    };
    Ok(AmendmentView {
        id: AmendmentId::from_stored(row.id),
        contract_id: ContractId::from_stored(row.contract_id),
        status: AmendmentStatus::parse(&row.status).ok_or_else(Error::internal)?,
        reason: row.reason,
        starts_on_hijri: hijri(row.starts_on),
        starts_on: row.starts_on,
        ends_on_hijri: hijri(row.ends_on),
        ends_on: row.ends_on,
        beds,
        route,
        seats,
        pilgrims,
        meals_per_day,
        unit_price: prices.then(|| Money::from_halalas(row.unit_price).to_string()),
        total: prices.then(|| Money::from_halalas(row.total).to_string()),
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    })
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAmendment {
    /// Why the terms change.
    pub reason: String,
    pub starts_on: Option<NaiveDate>,
    pub ends_on: Option<NaiveDate>,
    pub unit_price: Option<String>,
    #[serde(flatten)]
    pub terms: TermsInput,
}

/// Proposes new terms for an approved contract (its client). The provider accepts, the ministry
/// approves; meanwhile the capacity the new terms need beyond the old ones is held.
#[utoipa::path(
    tag = "contracts",
    request_body = CreateAmendment,
    params(("id" = String, Path, description = "Contract id")),
    responses(
        (status = 201, description = "Proposed", body = AmendmentView),
        (status = 409, description = "`invalid_transition` (not approved), `amendment_open`, `capacity_exceeded` or `quota_exceeded`", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/contracts/{id}/amendments")]
pub async fn amend(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<CreateAmendment>,
) -> Result<HttpResponse, Error> {
    let id: ContractId = path_id(&id)?;
    let idempotency = Idempotency::new(&req, &body)?;
    let created = idempotency
        .create(&state, auth, move |conn, caller| {
            let row = visible(conn, caller, id.as_str())?;
            if acting_party(caller, &row)? != Party::Client {
                return Err(Error::forbidden());
            }
            let body = body.into_inner()?;
            if row.status != ContractStatus::Approved.as_str() {
                return Err(Error::conflict("invalid_transition"));
            }
            let reason = reason(
                true,
                Some(ReasonInput {
                    reason: Some(body.reason.clone()),
                }),
            )?
            .unwrap_or_default();
            let current = contract_booking(&row)?;
            let (booking, price) = merged(
                &current,
                body.starts_on,
                body.ends_on,
                body.unit_price.as_deref(),
                row.unit_price,
                &body.terms,
            )?;
            let (season, facility) = season_and_facility(conn, &row)?;
            let total = check_booking(&booking, price, &season, &facility)?;
            let change = terms_change(&booking, price, total);
            let at = now();
            let amendment = AmendmentRow {
                id: AmendmentId::generate().into_string(),
                contract_id: row.id.clone(),
                status: AmendmentStatus::PendingProvider.as_str().to_owned(),
                starts_on: change.starts_on,
                ends_on: change.ends_on,
                units: change.units,
                route_from: change.route_from,
                route_to: change.route_to,
                meals_per_day: change.meals_per_day,
                unit_price: change.unit_price,
                total: change.total,
                reason: reason.clone(),
                created_at: at,
                updated_at: at,
            };
            store::insert_amendment(conn, &amendment).map_err(|e| {
                if is_unique_violation(&e) {
                    Error::conflict("amendment_open")
                } else {
                    e.into()
                }
            })?;
            take(conn, &row, &increase(&current.load(), &booking.load()))?;
            record(
                conn,
                caller,
                Event {
                    contract: &row.id,
                    amendment: Some(&amendment.id),
                    action: "amend",
                    from: Some(&row.status),
                    to: &row.status,
                    reason: Some(reason),
                },
            )?;
            amendment_view(caller, &row, amendment)
        })
        .await?;
    Ok(created.respond())
}

/// The amendments of a contract, oldest first.
#[utoipa::path(
    tag = "contracts",
    params(("id" = String, Path, description = "Contract id")),
    responses((status = 200, description = "Amendments", body = Vec<AmendmentView>))
)]
#[get("/contracts/{id}/amendments")]
pub async fn amendments(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: ContractId = path_id(&id)?;
    let views = state
        .read(auth, move |conn, caller| {
            let row = visible(conn, caller, id.as_str())?;
            store::amendments(conn, &row.id)?
                .into_iter()
                .map(|a| amendment_view(caller, &row, a))
                .collect::<Result<Vec<_>, _>>()
        })
        .await?;
    Ok(HttpResponse::Ok().json(views))
}

/// Decides an amendment: `accept` or `decline` (provider), then `approve` or `reject` (ministry).
/// Approval replaces the contract's terms and bumps its version; otherwise the contract stays as
/// it was and the extra capacity is released.
#[utoipa::path(
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
#[post("/amendments/{id}/{action}")]
pub async fn decide(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(String, Action)>,
    body: OptionalJson<ReasonInput>,
) -> Result<HttpResponse, Error> {
    let (id, action) = path.into_inner();
    let id: AmendmentId = path_id(&id)?;
    let view = state
        .write(auth, move |conn, caller| {
            let amendment = store::amendment(conn, id.as_str())?.ok_or_else(Error::not_found)?;
            let row = visible(conn, caller, &amendment.contract_id)?;
            let party = acting_party(caller, &row)?;
            let from = AmendmentStatus::parse(&amendment.status).ok_or_else(Error::internal)?;
            let to = amendment_transition(from, action, party).map_err(transition_error)?;
            let reason = reason(
                matches!(action, Action::Decline | Action::Reject),
                body.into_inner()?,
            )?;
            let (old, new) = (
                contract_booking(&row)?.load(),
                amendment_booking(&row, &amendment)?.load(),
            );
            match to {
                AmendmentStatus::Approved => {
                    let change = TermsChange {
                        starts_on: amendment.starts_on,
                        ends_on: amendment.ends_on,
                        units: amendment.units,
                        route_from: amendment.route_from.clone(),
                        route_to: amendment.route_to.clone(),
                        meals_per_day: amendment.meals_per_day,
                        unit_price: amendment.unit_price,
                        total: amendment.total,
                    };
                    if !store::update_terms(
                        conn,
                        &row.id,
                        row.version,
                        ContractStatus::Approved.as_str(),
                        &change,
                    )? {
                        return Err(Error::conflict("invalid_transition"));
                    }
                    release(conn, &row, &increase(&new, &old))?;
                }
                AmendmentStatus::Declined | AmendmentStatus::Rejected => {
                    release(conn, &row, &increase(&old, &new))?
                }
                _ => {}
            }
            if !store::set_amendment_status(conn, &amendment.id, from.as_str(), to.as_str())? {
                return Err(Error::conflict("invalid_transition"));
            }
            record(
                conn,
                caller,
                Event {
                    contract: &row.id,
                    amendment: Some(&amendment.id),
                    action: action.as_str(),
                    from: Some(from.as_str()),
                    to: to.as_str(),
                    reason,
                },
            )?;
            let amendment = store::amendment(conn, &amendment.id)?.ok_or_else(Error::internal)?;
            amendment_view(caller, &row, amendment)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}
