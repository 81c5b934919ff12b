//! The console's pages. Each handler resolves the reader and does its page's work in one hand-off
//! (`AppState::read`, or `AppState::write` for a change, the same as the API's), through the
//! use cases, then renders. A record the reader may not see is the 404 page.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::session::{Visitor, form_session, refused_form, see_other, to_sign_in};
use super::{Frame, Me, Tr, html, message};
use crate::access::{self, Caller};
use crate::api::contracts::input::CreateContract;
use crate::audit::AuditEntity;
use crate::domain::calendar::today_in_makkah;
use crate::domain::contract::{
    Action, Amendment, ContractStatus, Party, TermsPatch, allowed_actions,
    allowed_amendment_actions,
};
use crate::domain::ids::ContractId;
use crate::domain::ids::{AmendmentId, OrganizationId, SeasonId};
use crate::domain::organization::Language;
use crate::domain::season::{ContractType, Place};
use crate::domain::text::search_key;
use crate::error::{Error, Kind};
use crate::state::AppState;
use crate::storage::contracts::ContractFilter;
use crate::storage::facilities::FacilityFilter;
use crate::storage::models::{ContractEventRow, SeasonRow};
use crate::storage::{DbConnection, users};
use crate::usecases::amendments as amendment_cases;
use crate::usecases::contracts::TermsEdit;
use crate::usecases::contracts::{self as contract_cases, ContractDetails};
use crate::usecases::facilities::{self as facility_cases, FacilityDetails};
use crate::usecases::seasons as season_cases;

const PAGE_SIZE: i64 = 50;

/// The reader, as the frame shows them, and the language they saved.
pub(super) fn me(conn: &mut DbConnection, caller: &Caller) -> Result<(Me, Language), Error> {
    let access::Actor::User { id, .. } = &caller.actor else {
        return Err(Error::unauthorized());
    };
    let reader =
        users::reader(conn, id, &caller.organization_id)?.ok_or_else(Error::unauthorized)?;
    Ok(me_of(caller, reader))
}

/// The reader as the frame shows them, from what was read of them.
fn me_of(caller: &Caller, reader: users::Reader) -> (Me, Language) {
    let lang = reader.language;
    let organization = Tr(lang)
        .either(&reader.organization_name, &reader.organization_name_ar)
        .to_owned();
    (
        Me {
            name: reader.full_name,
            organization,
            kind: caller.kind,
            unread: reader.unread,
        },
        lang,
    )
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
            let (title, detail) = crate::i18n::problem_text(e.code, frame.tr.0);
            let status = crate::api::problem::status(e.kind);
            message(frame, status, title, detail)
        }
    }
}

/// The answer to a failure with no page of the reader's to show it on: the sign-in page, the 404
/// page, or the refusal on a bare page.
pub(super) fn unframed(visitor: &Visitor, e: &Error) -> HttpResponse {
    failed(&visitor.anonymous_frame("/", "e-track"), e)
}

/// A part of a page the reader may not be allowed: `Forbidden` as "not this reader's", so the
/// page shows without it; anything else is the page's answer.
pub(super) fn unless_forbidden<T>(result: Result<T, Error>) -> Result<Option<T>, Error> {
    match result {
        Ok(value) => Ok(Some(value)),
        Err(e) if e.kind == Kind::Forbidden => Ok(None),
        Err(e) => Err(e),
    }
}

/// A path id that is not an id: as absent as a record the reader may not see.
pub(super) fn no_such(visitor: &Visitor) -> HttpResponse {
    unframed(visitor, &Error::not_found())
}

/// Whether a refused change has no page to be shown on: the reader is signed out, or the record
/// is not theirs to see.
pub(super) fn pageless(e: &Error) -> bool {
    matches!(e.kind, Kind::Unauthorized | Kind::NotFound)
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
        .read_as_reader(auth, move |conn, caller, reader| {
            let (me, lang) = me_of(caller, reader);
            let value = work(conn, caller, lang);
            Ok((me, lang, value))
        })
        .await;
    match answer {
        Ok((me, lang, Ok(value))) => Ok((me, lang, value)),
        Ok((me, lang, Err(e))) => Err(failed(&frame(visitor, me, lang, "/", "portal"), &e)),
        Err(e) => Err(unframed(visitor, &e)),
    }
}

/// A change from a console form (post, redirect, get): the form's token is checked, `work` runs
/// as one audited write (a use case the API calls too), then the reader is sent to `to(touched)`,
/// so that a reload does not repeat the step. A refusal is shown by `again` on the page the form
/// was on, or as the sign-in or 404 page when there is no page of the reader's to show it on.
pub(super) async fn submit<W, To, A, Fut>(
    state: &AppState,
    visitor: &Visitor,
    csrf: &str,
    work: W,
    to: To,
    again: A,
) -> HttpResponse
where
    W: FnMut(&mut DbConnection, &Caller) -> Result<Touched, Error> + Send + 'static,
    To: FnOnce(Touched) -> String,
    A: FnOnce(Error) -> Fut,
    Fut: std::future::Future<Output = HttpResponse>,
{
    let auth = match form_session(visitor, csrf) {
        Ok(auth) => auth,
        Err(answer) => return *answer,
    };
    match state.write(auth, work).await {
        Ok(touched) => see_other(to(touched)),
        Err(e) if pageless(&e) => unframed(visitor, &e),
        Err(e) => again(e).await,
    }
}

/// A page shown again with a refusal above it answers with the refusal's status.
pub(super) fn refused_with(mut answer: HttpResponse, refused: Option<&Error>) -> HttpResponse {
    if let Some(e) = refused {
        *answer.status_mut() = crate::api::problem::status(e.kind);
    }
    answer
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

/// A client's allocation: the pilgrims it holds, what it passed on to its agencies, what its
/// groups plan.
struct Allocated {
    pilgrims: i64,
    suballocated: i64,
    planned: i64,
}

struct Home {
    season: Option<SeasonRow>,
    deadlines: Vec<Deadline>,
    allocation: Option<Allocated>,
    party_actions: Vec<(ContractDetails, Vec<Action>)>,
    /// Amendments awaiting the reader's decision (providers, the ministry).
    amendments: Vec<amendment_cases::Awaiting>,
}

#[derive(Template)]
#[template(path = "console/home.html")]
struct HomePage<'a> {
    f: &'a Frame,
    home: &'a Home,
}

/// The newest season (ids are ordered by creation).
pub(super) fn current_season(conn: &mut DbConnection) -> Result<Option<SeasonRow>, Error> {
    season_cases::newest(conn)
}

pub async fn home(state: web::Data<AppState>, visitor: Visitor) -> HttpResponse {
    let loaded = page(&state, &visitor, |conn, caller, _| {
        let season = current_season(conn)?;
        let mut deadlines = Vec::new();
        let mut allocation = None;
        if let Some(outlook) = match &season {
            Some(season) => season_cases::outlook(conn, caller, season)?,
            None => None,
        } {
            let today = today_in_makkah();
            for (contract_type, day) in outlook.filing_days {
                deadlines.push(Deadline {
                    contract_type,
                    day,
                    days_left: (day - today).num_days(),
                });
            }
            allocation = outlook.allocation.map(|(a, planned)| Allocated {
                pilgrims: a.pilgrims,
                suballocated: a.suballocated,
                planned,
            });
        }
        // What awaits the reader: the contracts where it may take a step, first of the list.
        let filter = ContractFilter {
            season_id: season.as_ref().map(|s| s.id.clone()),
            ..ContractFilter::default()
        };
        let listed = contract_cases::list(conn, (caller, None), &filter, None, 200)?;
        let party_actions: Vec<_> = listed
            .into_iter()
            .filter_map(|d| {
                let party = access::party(caller, &d.contract.client_id, &d.contract.provider_id)?;
                let actions: Vec<Action> = allowed_actions(d.contract.status, party)
                    .into_iter()
                    .filter(|a| *a != Action::Cancel)
                    .collect();
                (!actions.is_empty()).then_some((d, actions))
            })
            .take(20)
            .collect();
        let amendments = match &season {
            Some(season) => amendment_cases::awaiting(conn, caller, &season.id, None, 20)?,
            None => Vec::new(),
        };
        Ok(Home {
            season,
            deadlines,
            allocation,
            party_actions,
            amendments,
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
    format: String,
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
    if query.format == "csv" {
        let Some(auth) = visitor.auth() else {
            return to_sign_in();
        };
        let body = state
            .read(auth, move |conn, caller| {
                crate::api::contracts::csv_export(conn, caller, &filter)
            })
            .await;
        return match body {
            Ok(body) => crate::api::csv::download(body, "contracts"),
            Err(e) => unframed(&visitor, &e),
        };
    }
    let after = query.after.parse::<ContractId>().ok();
    let loaded = page(&state, &visitor, move |conn, caller, _| {
        contract_cases::list(conn, (caller, None), &filter, after.as_ref(), PAGE_SIZE + 1)
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
    /// Its amendments, newest first, with the decisions the reader may take on each.
    amendments: Vec<(Amendment, Vec<Action>)>,
    /// The reader may propose an amendment (its client, the contract approved, none open).
    can_amend: bool,
    /// The reader may edit its terms (its client, a draft or returned contract).
    can_edit: bool,
    /// The reader may record an inspection of it (approved, and the reader inspects).
    can_inspect: bool,
    /// The facility's use per day a week either side of the contract, for its provider and the
    /// ministry (a reviewer weighs the contract against it).
    usage: Vec<crate::usecases::facilities::DayUse>,
    today: NaiveDate,
    /// Its documents the reader sees.
    pub(super) shelf: crate::usecases::documents::Shelf,
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

impl ContractPage<'_> {
    /// Who took a step: the contract's client or provider by name, otherwise the ministry.
    fn actor(&self, organization_id: &OrganizationId) -> String {
        let d = &self.c.details;
        let tr = self.f.tr;
        if *organization_id == d.contract.client_id {
            tr.name(&d.client_name, &d.client_name_ar).to_owned()
        } else if *organization_id == d.contract.provider_id {
            tr.name(&d.provider_name, &d.provider_name_ar).to_owned()
        } else {
            tr.w("ministry").to_owned()
        }
    }

    /// The facility's use around the contract, its days marked.
    fn strip(&self) -> String {
        let b = &self.c.details.contract.booking;
        super::strip(&self.f.tr, &self.c.usage, Some((b.starts_on, b.ends_on)))
    }
}

fn load_contract(
    conn: &mut DbConnection,
    caller: &Caller,
    id: &ContractId,
) -> Result<ContractScreen, Error> {
    // The contract is read once, with everything it records.
    let contract_cases::ContractRecords {
        details,
        history,
        amendments,
        shelf,
    } = contract_cases::find_with_records(conn, caller, id)?;
    let party = access::party(
        caller,
        &details.contract.client_id,
        &details.contract.provider_id,
    )
    .filter(|_| caller.role.can_act());
    let actions = party
        .map(|p| allowed_actions(details.contract.status, p))
        .unwrap_or_default();
    let mut amendments: Vec<(Amendment, Vec<Action>)> = amendments
        .into_iter()
        .map(|a| {
            let steps = party
                .map(|p| allowed_amendment_actions(a.status, p))
                .unwrap_or_default();
            (a, steps)
        })
        .collect();
    amendments.reverse();
    let open = amendments.iter().any(|(a, _)| a.status.is_open());
    let can_amend = party == Some(Party::Client)
        && details.contract.status == ContractStatus::Approved
        && !open;
    let can_edit = party == Some(Party::Client)
        && matches!(
            details.contract.status,
            ContractStatus::Draft | ContractStatus::Returned
        );
    let can_inspect =
        details.contract.status == ContractStatus::Approved && access::inspect(caller).is_ok();
    let booking = &details.contract.booking;
    let usage = if access::sees_facility_usage(caller, &details.contract.provider_id) {
        let week = chrono::Duration::days(7);
        crate::usecases::facilities::usage(
            conn,
            caller,
            &details.contract.facility_id,
            Some(booking.starts_on - week),
            Some(booking.ends_on + week),
        )?
    } else {
        Vec::new()
    };
    Ok(ContractScreen {
        shelf,
        details,
        history,
        actions,
        amendments,
        can_amend,
        can_edit,
        can_inspect,
        usage,
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

/// The contract's printable sheet (the same page as `GET /api/v1/contracts/{id}/sheet`).
pub async fn sheet(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    let id = id.parse::<ContractId>().ok();
    let loaded = page(&state, &visitor, move |conn, caller, _| {
        let id = id.ok_or_else(Error::not_found)?;
        crate::sheet::render(&crate::usecases::sheet::sheet(conn, caller, &id)?)
    })
    .await;
    match loaded {
        Ok((_, _, body)) => HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(body),
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
    let form = form.into_inner();
    let Some(id) = id.parse::<ContractId>().ok() else {
        return no_such(&visitor);
    };
    let Some(action) = Action::parse(&form.action) else {
        return refused_form(&visitor);
    };
    let reason = Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty());
    let target = id.clone();
    let target_path = id.to_string();
    submit(
        &state,
        &visitor,
        &form.csrf,
        move |conn, caller| {
            contract_cases::act(conn, (caller, None), &target, action, Ok(reason.clone()))
                .map(|d| Touched(d.contract.id.to_string()))
        },
        |_| format!("/contracts/{target_path}"),
        |e| {
            let (state, visitor) = (&state, &visitor);
            async move { contract_with_notice(state, visitor, id, &e).await }
        },
    )
    .await
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
    let (title, detail) = crate::i18n::problem_text(e.code, lang);
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
    /// Everything but the token, as a query string.
    fn choices(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .extend_pairs([
                ("type", &self.contract_type),
                ("starts_on", &self.starts_on),
                ("ends_on", &self.ends_on),
                ("facility_id", &self.facility_id),
                ("units", &self.units),
                ("meals_per_day", &self.meals_per_day),
                ("route_from", &self.route_from),
                ("route_to", &self.route_to),
                ("unit_price", &self.unit_price),
            ])
            .finish()
    }
    fn contract_type(&self) -> ContractType {
        ContractType::parse(&self.contract_type).unwrap_or(ContractType::Housing)
    }
    fn range(&self) -> Option<(NaiveDate, NaiveDate)> {
        let from = self.starts_on.parse::<NaiveDate>().ok()?;
        let to = self.ends_on.parse::<NaiveDate>().ok()?;
        (from <= to).then_some((from, to))
    }
    /// The form as the API's input, so that one set of rules reads both.
    fn as_input(&self, season_id: &SeasonId) -> Result<CreateContract, Error> {
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
    let form = query.into_inner();
    // "Show free capacity" submits the whole form by GET, its token too: the token leaves the
    // address (and so the history) at once.
    if !form.csrf.is_empty() {
        return see_other(format!("/contracts/new?{}", form.choices()));
    }
    new_contract_page(&state, &visitor, form, None).await
}

pub async fn create_contract(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<NewContractForm>,
) -> HttpResponse {
    let auth = match form_session(&visitor, &form.csrf) {
        Ok(auth) => auth,
        Err(answer) => return *answer,
    };
    let form = form.into_inner();
    let submitted = form.clone();
    let created = state
        .write(auth, move |conn, caller| {
            let season = current_season(conn)?.ok_or_else(Error::not_found)?;
            let new = submitted
                .as_input(&season.id)
                .and_then(|input| input.parse());
            contract_cases::draft(conn, (caller, None), new)
                .map(|d| Touched(d.contract.id.to_string()))
        })
        .await;
    match created {
        Ok(Touched(id)) => see_other(format!("/contracts/{id}")),
        Err(e) if e.kind == Kind::Unauthorized => to_sign_in(),
        Err(e) => new_contract_page(&state, &visitor, form, Some(&e)).await,
    }
}

// ----- Amendments -----

#[derive(Deserialize)]
pub struct AmendForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    units: String,
    #[serde(default)]
    unit_price: String,
    #[serde(default)]
    reason: String,
}

impl AmendForm {
    /// The proposal as the use case reads it: what is left empty stays as it is.
    fn proposal(&self, contract_type: ContractType) -> Result<(String, TermsEdit), Error> {
        Ok((self.reason.trim().to_owned(), self.terms(contract_type)?))
    }

    /// The new terms: what is left empty stays as it is.
    fn terms(&self, contract_type: ContractType) -> Result<TermsEdit, Error> {
        let date = |field: &'static str, text: &str| -> Result<Option<NaiveDate>, Error> {
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            text.parse::<NaiveDate>().map(Some).map_err(|_| {
                Error::invalid_field(field, crate::domain::Invalid::new("invalid_date"))
            })
        };
        let units = match self.units.trim() {
            "" => None,
            text => Some(text.parse::<i64>().map_err(|_| {
                Error::invalid_field("units", crate::domain::Invalid::new("invalid_value"))
            })?),
        };
        let terms = match contract_type {
            ContractType::Housing => TermsPatch {
                beds: units,
                ..TermsPatch::default()
            },
            ContractType::Transport => TermsPatch {
                seats: units,
                ..TermsPatch::default()
            },
            ContractType::Catering => TermsPatch {
                pilgrims: units,
                ..TermsPatch::default()
            },
        };
        Ok(TermsEdit {
            starts_on: date("starts_on", &self.starts_on)?,
            ends_on: date("ends_on", &self.ends_on)?,
            unit_price: Some(self.unit_price.trim().to_owned()).filter(|p| !p.is_empty()),
            terms,
        })
    }
}

#[derive(Deserialize)]
pub struct EditForm {
    /// The version the form was opened at: an edit of a contract changed since is refused.
    #[serde(default)]
    version: String,
    #[serde(flatten)]
    terms: AmendForm,
}

/// Edits a draft or returned contract (its client) at the version the form showed.
pub async fn edit(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<EditForm>,
) -> HttpResponse {
    let Ok(id) = id.parse::<ContractId>() else {
        return no_such(&visitor);
    };
    let form = form.into_inner();
    let csrf = form.terms.csrf.clone();
    let version =
        form.version.trim().parse::<i64>().map(Some).map_err(|_| {
            Error::invalid_field("version", crate::domain::Invalid::new("invalid_value"))
        });
    let target = id.clone();
    let target_path = id.to_string();
    submit(
        &state,
        &visitor,
        &csrf,
        move |conn, caller| {
            let current = contract_cases::find(conn, (caller, None), &target)?;
            let terms = form
                .terms
                .terms(current.contract.booking.terms.contract_type());
            contract_cases::edit(conn, caller, &target, version.clone(), terms)
                .map(|d| Touched(d.contract.id.to_string()))
        },
        |_| format!("/contracts/{target_path}"),
        |e| {
            let (state, visitor) = (&state, &visitor);
            async move { contract_with_notice(state, visitor, id, &e).await }
        },
    )
    .await
}

/// Proposes new terms for an approved contract (its client), then shows the contract.
pub async fn amend(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<AmendForm>,
) -> HttpResponse {
    let Ok(id) = id.parse::<ContractId>() else {
        return no_such(&visitor);
    };
    let form = form.into_inner();
    let csrf = form.csrf.clone();
    let target = id.clone();
    let target_path = id.to_string();
    submit(
        &state,
        &visitor,
        &csrf,
        move |conn, caller| {
            let contract = contract_cases::find(conn, (caller, None), &target)?;
            let proposal = form.proposal(contract.contract.booking.terms.contract_type());
            amendment_cases::propose(conn, caller, &target, proposal)
                .map(|a| Touched(a.id.to_string()))
        },
        |_| format!("/contracts/{target_path}"),
        |e| {
            let (state, visitor) = (&state, &visitor);
            async move { contract_with_notice(state, visitor, id, &e).await }
        },
    )
    .await
}

#[derive(Deserialize)]
pub struct DecideForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    reason: String,
}

/// A step on an amendment (the provider accepts or declines, the ministry approves or rejects),
/// then the contract again.
pub async fn decide(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<DecideForm>,
) -> HttpResponse {
    let auth = match form_session(&visitor, &form.csrf) {
        Ok(auth) => auth,
        Err(answer) => return *answer,
    };
    let Ok(id) = id.parse::<AmendmentId>() else {
        return no_such(&visitor);
    };
    let Some(action) = Action::parse(&form.action) else {
        return refused_form(&visitor);
    };
    let reason = Some(form.reason.trim().to_owned()).filter(|r| !r.is_empty());
    let target = id.clone();
    let again = auth.clone();
    let done = state
        .write(auth, move |conn, caller| {
            amendment_cases::decide(conn, caller, &target, action, Ok(reason.clone()))
                .map(|a| Touched(a.contract_id.to_string()))
        })
        .await;
    match done {
        Ok(Touched(contract)) => see_other(format!("/contracts/{contract}")),
        Err(e) if pageless(&e) => unframed(&visitor, &e),
        Err(e) => {
            // The refusal on the amendment's contract page.
            let contract = state
                .read(again, move |conn, caller| {
                    amendment_cases::find(conn, caller, &id).map(|a| a.contract_id)
                })
                .await;
            match contract {
                Ok(contract) => contract_with_notice(&state, &visitor, contract, &e).await,
                Err(other) => unframed(&visitor, &other),
            }
        }
    }
}

// ----- The review queue -----

#[derive(Deserialize, Default)]
pub struct ReviewQuery {
    #[serde(default)]
    after: String,
    /// Where the page of amendments starts (a contract id).
    #[serde(default)]
    amendments_after: String,
}

struct ReviewScreen {
    season: Option<SeasonRow>,
    rows: Vec<(contract_cases::AwaitingReview, i64)>,
    next: Option<String>,
    /// Amendments of approved contracts awaiting approval, and where their next page starts.
    amendments: Vec<amendment_cases::Awaiting>,
    amendments_next: Option<String>,
}

#[derive(Template)]
#[template(path = "console/review.html")]
struct ReviewPage<'a> {
    f: &'a Frame,
    s: &'a ReviewScreen,
    after: &'a str,
}

/// The ministry's review queue of the current season: contracts awaiting approval, oldest filed
/// first, each with how long it has waited and the days left before its client's last filing day.
pub async fn review(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<ReviewQuery>,
) -> HttpResponse {
    let after = query.after.parse::<ContractId>().ok();
    let amendments_after = query.amendments_after.parse::<ContractId>().ok();
    let loaded = page(&state, &visitor, move |conn, caller, _| {
        let Some(season) = current_season(conn)? else {
            access::review_queue(caller)?;
            return Ok(ReviewScreen {
                season: None,
                rows: Vec::new(),
                next: None,
                amendments: Vec::new(),
                amendments_next: None,
            });
        };
        let mut rows =
            contract_cases::review_queue(conn, caller, &season, after.as_ref(), PAGE_SIZE + 1)?;
        let next = (rows.len() as i64 > PAGE_SIZE).then(|| {
            rows.truncate(PAGE_SIZE as usize);
            rows.last()
                .map(|r| r.details.contract.id.to_string())
                .unwrap_or_default()
        });
        let mut amendments = amendment_cases::awaiting(
            conn,
            caller,
            &season.id,
            amendments_after.as_ref(),
            PAGE_SIZE + 1,
        )?;
        let amendments_next = (amendments.len() as i64 > PAGE_SIZE).then(|| {
            amendments.truncate(PAGE_SIZE as usize);
            amendments
                .last()
                .map(|a| a.details.contract.id.to_string())
                .unwrap_or_default()
        });
        let today = today_in_makkah();
        Ok(ReviewScreen {
            season: Some(season),
            amendments,
            amendments_next,
            rows: rows
                .into_iter()
                .map(|r| {
                    let left = (r.last_filing_day - today).num_days();
                    (r, left)
                })
                .collect(),
            next,
        })
    })
    .await;
    match loaded {
        Ok((me, lang, s)) => {
            let f = frame(&visitor, me, lang, "/review", "review_queue");
            rendered(ReviewPage {
                f: &f,
                s: &s,
                after: &query.after,
            })
        }
        Err(answer) => answer,
    }
}
