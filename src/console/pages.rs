//! The console's pages. Each handler resolves the reader and does its page's work in one hand-off
//! (`AppState::read`, or `AppState::write` for a change, the same as the API's), through the
//! use cases, then renders. A record the reader may not see is the 404 page.

use actix_web::http::{StatusCode, header};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::session::{Visitor, refused_form, to_sign_in};
use super::{Frame, Me, Tr, html, message};
use crate::access::{self, Caller};
use crate::api::contracts::input::CreateContract;
use crate::audit::AuditEntity;
use crate::domain::calendar::today_in_makkah;
use crate::domain::contract::{Action, ContractStatus, allowed_actions};
use crate::domain::ids::ContractId;
use crate::domain::organization::Language;
use crate::domain::season::{ContractType, Place};
use crate::domain::text::search_key;
use crate::error::{Error, Kind};
use crate::state::AppState;
use crate::storage::contracts::ContractFilter;
use crate::storage::facilities::FacilityFilter;
use crate::storage::models::{ContractEventRow, SeasonRow};
use crate::storage::{DbConnection, organizations, seasons, users};
use crate::usecases::contracts::{self as contract_cases, ContractDetails};
use crate::usecases::facilities::{self as facility_cases, FacilityDetails};

const PAGE_SIZE: i64 = 50;

/// The reader, as the frame shows them, and the language they saved.
pub(super) fn me(conn: &mut DbConnection, caller: &Caller) -> Result<(Me, Language), Error> {
    let org = organizations::find(conn, caller.organization_id.as_str())?
        .ok_or_else(Error::unauthorized)?;
    let (name, lang) = match &caller.actor {
        access::Actor::User { id, .. } => {
            let user = users::find(conn, id.as_str())?.ok_or_else(Error::unauthorized)?;
            (user.full_name, user.language)
        }
        access::Actor::ApiKey(_) => return Err(Error::unauthorized()),
    };
    let organization = match lang {
        Language::Arabic | Language::Persian if !org.name_ar.is_empty() => org.name_ar,
        _ => org.name,
    };
    let unread = crate::usecases::notifications::unread(conn, caller)?;
    Ok((
        Me {
            name,
            organization,
            kind: caller.kind,
            unread,
        },
        lang,
    ))
}

/// A signed-in page's frame.
pub(super) fn frame(visitor: &Visitor, me: Me, lang: Language, path: &str, title: &str) -> Frame {
    Frame {
        tr: Tr(lang),
        me: Some(me),
        csrf: visitor.csrf(),
        path: path.to_owned(),
        title: texts_or(lang, title),
    }
}

fn texts_or(lang: Language, code: &str) -> String {
    super::texts::word(lang, code).to_owned()
}

/// The answer to a page whose work failed: sign-in again, the 404 page, or the refusal in words.
pub fn failed(frame: &Frame, e: &Error) -> HttpResponse {
    match e.kind {
        Kind::Unauthorized => to_sign_in(),
        Kind::NotFound => message(
            frame,
            StatusCode::NOT_FOUND,
            frame.tr.w("not_found"),
            frame.tr.w("not_found_text"),
        ),
        _ => {
            let lang = crate::i18n::catalogued(frame.tr.0);
            let (title, detail) = crate::i18n::problem_text(e.code, lang);
            let status = crate::api::problem::status(e.kind);
            message(frame, status, title, detail)
        }
    }
}

/// Runs a signed-in page's work with its reader in one hand-off; a visitor without a session is
/// sent to sign in.
pub(super) async fn page<T, F>(
    state: &AppState,
    visitor: &Visitor,
    work: F,
) -> Result<(Me, Language, T), HttpResponse>
where
    F: FnOnce(&mut DbConnection, &Caller, Language) -> Result<T, Error> + Send + 'static,
    T: Send + 'static,
{
    let Some(auth) = visitor.auth() else {
        return Err(to_sign_in());
    };
    let answer = state
        .read(auth, move |conn, caller| {
            let (me, lang) = me(conn, caller)?;
            let value = work(conn, caller, lang);
            Ok((me, lang, value))
        })
        .await;
    match answer {
        Ok((me, lang, Ok(value))) => Ok((me, lang, value)),
        Ok((me, lang, Err(e))) => Err(failed(&frame(visitor, me, lang, "/", "portal"), &e)),
        Err(e) => Err(failed(&visitor.anonymous_frame("/", "e-track"), &e)),
    }
}

pub(super) fn rendered(t: impl Template) -> HttpResponse {
    match t.render() {
        Ok(body) => html(StatusCode::OK, body),
        Err(_) => HttpResponse::InternalServerError().finish(),
    }
}

// ----- The dashboard -----

struct Deadline {
    contract_type: ContractType,
    day: NaiveDate,
    days_left: i64,
}

struct Home {
    season: Option<SeasonRow>,
    deadlines: Vec<Deadline>,
    allocation: Option<(i64, i64)>,
    party_actions: Vec<(ContractDetails, Vec<Action>)>,
}

#[derive(Template)]
#[template(path = "console/home.html")]
struct HomePage<'a> {
    f: &'a Frame,
    home: &'a Home,
}

/// The newest season (ids are ordered by creation).
pub(super) fn current_season(conn: &mut DbConnection) -> Result<Option<SeasonRow>, Error> {
    let mut all = seasons::list(conn, None, None, 1000)?;
    Ok(all.pop())
}

pub async fn home(state: web::Data<AppState>, visitor: Visitor) -> HttpResponse {
    let loaded = page(&state, &visitor, |conn, caller, _| {
        let season = current_season(conn)?;
        let mut deadlines = Vec::new();
        let mut allocation = None;
        if let (Some(season), true) = (&season, caller.kind.is_client()) {
            let today = today_in_makkah();
            for contract_type in ContractType::ALL {
                let day = seasons::last_filing_day(
                    conn,
                    season,
                    caller.organization_id.as_str(),
                    *contract_type,
                )?;
                deadlines.push(Deadline {
                    contract_type: *contract_type,
                    day,
                    days_left: (day - today).num_days(),
                });
            }
            allocation = seasons::allocation(conn, &season.id, caller.organization_id.as_str())?
                .map(|a| (a.pilgrims, a.suballocated));
        }
        // What awaits the reader: the contracts where it may take a step, first of the list.
        let filter = ContractFilter {
            season_id: season.as_ref().map(|s| s.id.clone()),
            ..ContractFilter::default()
        };
        let listed = contract_cases::list(conn, caller, &filter, None, 200)?;
        let party_actions: Vec<_> = listed
            .into_iter()
            .filter_map(|d| {
                let party = access::party(
                    caller,
                    d.contract.client_id.as_str(),
                    d.contract.provider_id.as_str(),
                )?;
                let actions: Vec<Action> = allowed_actions(d.contract.status, party)
                    .into_iter()
                    .filter(|a| *a != Action::Cancel)
                    .collect();
                (!actions.is_empty()).then_some((d, actions))
            })
            .take(20)
            .collect();
        Ok(Home {
            season,
            deadlines,
            allocation,
            party_actions,
        })
    })
    .await;
    match loaded {
        Ok((me, lang, home)) => {
            let f = frame(&visitor, me, lang, "/", "home");
            rendered(HomePage { f: &f, home: &home })
        }
        Err(answer) => answer,
    }
}

// ----- The contracts list -----

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default, rename = "type")]
    contract_type: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: String,
}

#[derive(Template)]
#[template(path = "console/contracts.html")]
struct ContractsPage<'a> {
    f: &'a Frame,
    rows: &'a [ContractDetails],
    query: &'a ListQuery,
    next: Option<String>,
    statuses: &'static [ContractStatus],
    types: &'static [ContractType],
}

pub async fn contracts(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<ListQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let filter = ContractFilter {
        status: ContractStatus::parse(&query.status).map(|s| s.as_str().to_owned()),
        contract_type: ContractType::parse(&query.contract_type).map(|t| t.as_str().to_owned()),
        q: Some(search_key(&query.q)).filter(|q| !q.is_empty()),
        ..ContractFilter::default()
    };
    let after = query.after.parse::<ContractId>().ok();
    let loaded = page(&state, &visitor, move |conn, caller, _| {
        contract_cases::list(
            conn,
            caller,
            &filter,
            after.as_ref().map(ContractId::as_str),
            PAGE_SIZE + 1,
        )
    })
    .await;
    match loaded {
        Ok((me, lang, mut rows)) => {
            let next = (rows.len() as i64 > PAGE_SIZE).then(|| {
                rows.truncate(PAGE_SIZE as usize);
                rows.last()
                    .map(|d| d.contract.id.to_string())
                    .unwrap_or_default()
            });
            let f = frame(&visitor, me, lang, "/contracts", "contracts");
            rendered(ContractsPage {
                f: &f,
                rows: &rows,
                query: &query,
                next,
                statuses: ContractStatus::ALL,
                types: ContractType::ALL,
            })
        }
        Err(answer) => answer,
    }
}

// ----- One contract -----

struct ContractScreen {
    details: ContractDetails,
    history: Vec<ContractEventRow>,
    actions: Vec<Action>,
    /// The reader may record an inspection of it (approved, and the reader inspects).
    can_inspect: bool,
    today: NaiveDate,
}

/// A contract page's frame: titled with its facility, under the contracts tab.
fn contract_frame(visitor: &Visitor, me: Me, lang: Language, c: &ContractScreen) -> Frame {
    let mut f = frame(visitor, me, lang, "/contracts", "contracts");
    let d = &c.details;
    f.title = f.tr.name(&d.facility_name, &d.facility_name_ar).to_owned();
    f
}

#[derive(Template)]
#[template(path = "console/contract.html")]
struct ContractPage<'a> {
    f: &'a Frame,
    c: &'a ContractScreen,
    notice: Option<String>,
}

fn load_contract(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &ContractId,
) -> Result<ContractScreen, Error> {
    let details = contract_cases::find(conn, caller, id)?;
    let history = contract_cases::history(conn, caller, id)?;
    let actions = access::party(
        caller,
        details.contract.client_id.as_str(),
        details.contract.provider_id.as_str(),
    )
    .filter(|_| caller.role.can_act())
    .map(|p| allowed_actions(details.contract.status, p))
    .unwrap_or_default();
    let can_inspect =
        details.contract.status == ContractStatus::Approved && access::inspect(caller).is_ok();
    Ok(ContractScreen {
        details,
        history,
        actions,
        can_inspect,
        today: today_in_makkah(),
    })
}

pub async fn contract(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    // An id that is not an id is as absent as one that is not the reader's.
    let id = id.parse::<ContractId>().ok();
    let loaded = page(&state, &visitor, move |conn, caller, _| match id {
        Some(id) => load_contract(conn, caller, &id),
        None => Err(Error::not_found()),
    })
    .await;
    match loaded {
        Ok((me, lang, c)) => {
            let f = contract_frame(&visitor, me, lang, &c);
            rendered(ContractPage {
                f: &f,
                c: &c,
                notice: None,
            })
        }
        Err(answer) => answer,
    }
}

#[derive(Deserialize)]
pub struct ActForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

/// A change the console made, for the audit log: the contract it touched.
pub(super) struct Touched(pub String);

impl AuditEntity for Touched {
    fn audit_entity(&self) -> Option<String> {
        Some(self.0.clone())
    }
}

pub async fn act(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<ActForm>,
) -> HttpResponse {
    if !visitor.form_is_ours(&form.csrf) {
        return refused_form(&visitor);
    }
    let Some(auth) = visitor.auth() else {
        return to_sign_in();
    };
    let form = form.into_inner();
    let Some(id) = id.parse::<ContractId>().ok() else {
        return failed(
            &visitor.anonymous_frame("/", "e-track"),
            &Error::not_found(),
        );
    };
    let Some(action) = Action::parse(&form.action) else {
        return refused_form(&visitor);
    };
    let reason = Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty());
    let target = id.clone();
    let done = state
        .write(auth, move |conn, caller| {
            contract_cases::act(conn, caller, &target, action, Ok(reason.clone()))
                .map(|d| Touched(d.contract.id.to_string()))
        })
        .await;
    match done {
        // Post, redirect, get: a reload does not repeat the step.
        Ok(_) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/contracts/{id}")))
            .finish(),
        Err(e) if matches!(e.kind, Kind::Unauthorized | Kind::NotFound) => {
            failed(&visitor.anonymous_frame("/", "e-track"), &e)
        }
        Err(e) => contract_with_notice(&state, &visitor, id, &e).await,
    }
}

/// The contract as it stands, with a refusal of a step on it above.
pub(super) async fn contract_with_notice(
    state: &AppState,
    visitor: &Visitor,
    id: ContractId,
    e: &Error,
) -> HttpResponse {
    let loaded = page(state, visitor, move |conn, caller, _| {
        load_contract(conn, caller, &id)
    })
    .await;
    match loaded {
        Ok((me, lang, c)) => {
            let f = contract_frame(visitor, me, lang, &c);
            let page = ContractPage {
                f: &f,
                c: &c,
                notice: Some(refusal_text(lang, e)),
            };
            html(
                crate::api::problem::status(e.kind),
                page.render().unwrap_or_default(),
            )
        }
        Err(answer) => answer,
    }
}

/// A refusal in words: its title and detail, and every refused field.
pub(super) fn refusal_text(lang: Language, e: &Error) -> String {
    let (title, detail) = crate::i18n::problem_text(e.code, crate::i18n::catalogued(lang));
    let mut text = format!("{title}: {detail}");
    for field in &e.errors {
        text.push_str(&format!(
            " {} {}.",
            field.field,
            crate::i18n::field_message(field.invalid.code, field.invalid.limit, lang)
        ));
    }
    text
}

// ----- A new contract -----

#[derive(Deserialize, Default, Clone)]
pub struct NewContractForm {
    #[serde(default)]
    csrf: String,
    #[serde(default, rename = "type")]
    contract_type: String,
    #[serde(default)]
    facility_id: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    units: String,
    #[serde(default)]
    meals_per_day: String,
    #[serde(default)]
    route_from: String,
    #[serde(default)]
    route_to: String,
    #[serde(default)]
    unit_price: String,
}

impl NewContractForm {
    fn contract_type(&self) -> ContractType {
        ContractType::parse(&self.contract_type).unwrap_or(ContractType::Housing)
    }
    fn range(&self) -> Option<(NaiveDate, NaiveDate)> {
        let from = self.starts_on.parse::<NaiveDate>().ok()?;
        let to = self.ends_on.parse::<NaiveDate>().ok()?;
        (from <= to).then_some((from, to))
    }
    /// The form as the API's input, so that one set of rules reads both.
    fn as_input(&self, season_id: &str) -> Result<CreateContract, Error> {
        let number = |s: &str| s.trim().parse::<i64>().ok();
        let ty = self.contract_type();
        let mut body = serde_json::json!({
            "season_id": season_id,
            "type": ty.as_str(),
            "facility_id": self.facility_id.trim(),
            "starts_on": self.starts_on.trim(),
            "ends_on": self.ends_on.trim(),
            "unit_price": self.unit_price.trim(),
            "currency": "SAR",
        });
        let units = number(&self.units);
        match ty {
            ContractType::Housing => body["beds"] = units.into(),
            ContractType::Transport => {
                body["seats"] = units.into();
                body["route"] = serde_json::json!({
                    "from": self.route_from, "to": self.route_to,
                });
            }
            ContractType::Catering => {
                body["pilgrims"] = units.into();
                body["meals_per_day"] = number(&self.meals_per_day).into();
            }
        }
        serde_path_to_error::deserialize::<_, CreateContract>(body).map_err(|e| {
            let field = e.path().to_string();
            Error::invalid(vec![crate::error::FieldError::new(
                if field == "." {
                    "form".to_owned()
                } else {
                    field
                },
                crate::domain::Invalid::new("invalid_value"),
            )])
        })
    }
}

struct NewScreen {
    season: Option<SeasonRow>,
    facilities: Vec<FacilityDetails>,
}

#[derive(Template)]
#[template(path = "console/new_contract.html")]
struct NewContractPage<'a> {
    f: &'a Frame,
    form: &'a NewContractForm,
    screen: &'a NewScreen,
    types: &'static [ContractType],
    places: &'static [Place],
    error: Option<String>,
    ty: ContractType,
}

async fn new_contract_page(
    state: &AppState,
    visitor: &Visitor,
    form: NewContractForm,
    error: Option<&Error>,
) -> HttpResponse {
    let ty = form.contract_type();
    let range = form.range();
    let loaded = page(state, visitor, move |conn, caller, _| {
        access::file_contracts(caller)?;
        let season = current_season(conn)?;
        let filter = FacilityFilter {
            kind: Some(ty.facility_kind().as_str().to_owned()),
            range,
            ..FacilityFilter::default()
        };
        let facilities = facility_cases::list(conn, caller, &filter, None, 200)?;
        Ok(NewScreen { season, facilities })
    })
    .await;
    match loaded {
        Ok((me, lang, screen)) => {
            let f = frame(visitor, me, lang, "/contracts/new", "new_contract");
            let page = NewContractPage {
                f: &f,
                form: &form,
                screen: &screen,
                types: ContractType::ALL,
                places: Place::ALL,
                error: error.map(|e| refusal_text(lang, e)),
                ty,
            };
            let status = error.map_or(StatusCode::OK, |e| crate::api::problem::status(e.kind));
            html(status, page.render().unwrap_or_default())
        }
        Err(answer) => answer,
    }
}

pub async fn new_contract(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<NewContractForm>,
) -> HttpResponse {
    new_contract_page(&state, &visitor, query.into_inner(), None).await
}

pub async fn create_contract(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<NewContractForm>,
) -> HttpResponse {
    if !visitor.form_is_ours(&form.csrf) {
        return refused_form(&visitor);
    }
    let Some(auth) = visitor.auth() else {
        return to_sign_in();
    };
    let form = form.into_inner();
    let submitted = form.clone();
    let created = state
        .write(auth, move |conn, caller| {
            let season = current_season(conn)?.ok_or_else(Error::not_found)?;
            let new = submitted.as_input(&season.id)?.parse()?;
            contract_cases::draft(conn, caller, new).map(|d| Touched(d.contract.id.to_string()))
        })
        .await;
    match created {
        Ok(Touched(id)) => HttpResponse::SeeOther()
            .insert_header((header::LOCATION, format!("/contracts/{id}")))
            .finish(),
        Err(e) if e.kind == Kind::Unauthorized => to_sign_in(),
        Err(e) => new_contract_page(&state, &visitor, form, Some(&e)).await,
    }
}
