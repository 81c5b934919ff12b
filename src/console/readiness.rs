//! Readiness: an office's own gaps; the all-clients board of the ministry and of tawafa
//! establishments (their countries' clients), worst first; recording an inspection.

use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::Frame;
use super::pages::{Touched, current_season, frame, no_such, page, refused_with, rendered, submit};
use super::session::Visitor;
use crate::domain::ids::{ContractId, OrganizationId};
use crate::error::Error;
use crate::state::AppState;
use crate::storage::models::SeasonRow;
use crate::storage::readiness::{Line, LineFilter};
use crate::usecases::inspections::{self, NewInspection};
use crate::usecases::readiness::{self as cases, ClientDetail};

/// A need's place in words: a city, or a route `from>to`.
pub fn place_words(tr: &super::Tr, place: &str) -> String {
    place
        .split('>')
        .map(|p| tr.w(p))
        .collect::<Vec<_>>()
        .join(&format!(" {} ", tr.arrow()))
}

/// The share covered, as a whole percentage.
pub fn percent(ratio: f64) -> i64 {
    (ratio * 100.0).floor() as i64
}

#[derive(Template)]
#[template(path = "console/readiness_board.html")]
struct BoardPage<'a> {
    f: &'a Frame,
    season: &'a SeasonRow,
    rows: &'a [Line],
    query: &'a BoardQuery,
    countries: Vec<String>,
    total: i64,
    next: Option<String>,
}

/// How many clients a page of the board shows.
const BOARD_PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct BoardQuery {
    /// A country code, or empty for all.
    #[serde(default)]
    country: String,
    /// `ready`, `not_ready`, or empty for all.
    #[serde(default)]
    status: String,
    /// The client after whose row the page starts (its id; anything else is the start).
    #[serde(default)]
    after: String,
}

impl BoardQuery {
    fn filter(&self) -> LineFilter {
        LineFilter {
            country: Some(self.country.clone()).filter(|c| !c.is_empty()),
            ready: match self.status.as_str() {
                "ready" => Some(true),
                "not_ready" => Some(false),
                _ => None,
            },
        }
    }

    fn after(&self) -> Option<OrganizationId> {
        self.after.parse().ok()
    }
}

#[derive(Template)]
#[template(path = "console/readiness_client.html")]
struct ClientPage<'a> {
    f: &'a Frame,
    season: &'a SeasonRow,
    d: &'a ClientDetail,
}

enum Board {
    All {
        season: SeasonRow,
        rows: Vec<Line>,
        total: i64,
        countries: Vec<String>,
    },
    One(SeasonRow, Box<ClientDetail>),
}

/// The ministry's and tawafa establishments' board, worst first, filtered and a page at a time; a
/// client sees its own readiness.
pub async fn board(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<BoardQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let (filter, after) = (query.filter(), query.after());
    let loaded = page(&state, &visitor, move |conn, caller, _| {
        let season = current_season(conn)?.ok_or_else(Error::not_found)?;
        let id = season.id.clone();
        if caller.kind.is_client() {
            let own = caller.organization_id.clone();
            let detail = cases::client_view(conn, (caller, None), &id, &own)?;
            return Ok(Board::One(season, Box::new(detail)));
        }
        let after = after.as_ref();
        // A cursor that is not a row of this board (a stale link) starts from the first page.
        let rows = match cases::season_page(conn, caller, &id, &filter, after, BOARD_PAGE + 1) {
            Err(e) if e.code == "invalid_query" => {
                cases::season_page(conn, caller, &id, &filter, None, BOARD_PAGE + 1)?
            }
            other => other?,
        };
        let (total, countries) = cases::season_totals(conn, caller, &id, &filter)?;
        Ok(Board::All {
            season,
            rows,
            total,
            countries,
        })
    })
    .await;
    match loaded {
        Ok((
            me,
            lang,
            Board::All {
                season,
                mut rows,
                total,
                countries,
            },
        )) => {
            let f = frame(&visitor, me, lang, "/readiness", "readiness");
            let more = rows.len() as i64 > BOARD_PAGE;
            rows.truncate(BOARD_PAGE as usize);
            let next = more
                .then(|| rows.last().map(|r| r.row.client_id.clone()))
                .flatten();
            rendered(BoardPage {
                f: &f,
                season: &season,
                rows: &rows,
                query: &query,
                countries,
                total,
                next: next.map(OrganizationId::into_string),
            })
        }
        Ok((me, lang, Board::One(season, d))) => {
            let f = frame(&visitor, me, lang, "/readiness", "readiness");
            rendered(ClientPage {
                f: &f,
                season: &season,
                d: &d,
            })
        }
        Err(answer) => answer,
    }
}

/// One client's readiness with its gaps and groups, if the reader may see its plans.
pub async fn client(
    state: web::Data<AppState>,
    visitor: Visitor,
    client: web::Path<String>,
) -> HttpResponse {
    let client = client.parse::<OrganizationId>().ok();
    let loaded = page(&state, &visitor, move |conn, caller, _| {
        let client = client.ok_or_else(Error::not_found)?;
        let season = current_season(conn)?.ok_or_else(Error::not_found)?;
        let id = season.id.clone();
        let detail = cases::client_view(conn, (caller, None), &id, &client)?;
        Ok((season, detail))
    })
    .await;
    match loaded {
        Ok((me, lang, (season, d))) => {
            let f = frame(&visitor, me, lang, "/readiness", "readiness");
            rendered(ClientPage {
                f: &f,
                season: &season,
                d: &d,
            })
        }
        Err(answer) => answer,
    }
}

#[derive(Deserialize)]
pub struct InspectionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    inspected_on: String,
    #[serde(default)]
    result: String,
    #[serde(default)]
    findings: String,
}

/// Records an inspection of an approved contract (tawafa establishments and the ministry), then
/// shows the contract again.
pub async fn inspect(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<InspectionForm>,
) -> HttpResponse {
    let Ok(id) = id.parse::<ContractId>() else {
        return no_such(&visitor);
    };
    let form = form.into_inner();
    let report = match (form.inspected_on.parse::<NaiveDate>(), form.result.as_str()) {
        (Ok(day), "passed" | "failed") => Ok(NewInspection {
            contract_id: id.clone(),
            inspected_on: day,
            passed: form.result == "passed",
            findings: form.findings.trim().to_owned(),
        }),
        (Err(_), _) => Err(Error::invalid_field(
            "inspected_on",
            crate::domain::Invalid::new("invalid_date"),
        )),
        _ => Err(Error::invalid_field(
            "result",
            crate::domain::Invalid::new("invalid_value"),
        )),
    };
    let to = format!("/contracts/{id}");
    submit(
        &state,
        &visitor,
        &form.csrf,
        move |conn, caller| {
            inspections::record(conn, caller, report.clone()).map(|i| Touched(i.id.to_string()))
        },
        move |_| to.to_owned(),
        |e| {
            let (state, visitor) = (&state, &visitor);
            async move { super::pages::contract_with_notice(state, visitor, id, &e).await }
        },
    )
    .await
}

struct SeasonScreen {
    /// The newest season; none before the ministry opens one.
    season: Option<SeasonRow>,
    /// The reader grants extensions, sets quotas and opens seasons (the ministry's officers and
    /// admins).
    can_extend: bool,
    /// Whose allocations the reader may change: the ministry an office's, an office its agencies'.
    can_allocate: Vec<OrganizationId>,
    quotas: Vec<crate::storage::models::QuotaRow>,
    allocations: Vec<(
        crate::storage::models::AllocationRow,
        String,
        crate::domain::organization::OrgKind,
    )>,
    extensions: Vec<crate::storage::models::ExtensionRow>,
}

#[derive(Template)]
#[template(path = "console/season.html")]
struct SeasonPage<'a> {
    f: &'a Frame,
    s: &'a SeasonScreen,
    notice: Option<String>,
    types: &'static [crate::domain::season::ContractType],
    kinds: &'static [crate::domain::season::SeasonKind],
}

/// The current season: its dates and deadlines, and the quotas, allocations and extensions the
/// reader may see (all for the ministry; a client's own).
pub async fn season(state: web::Data<AppState>, visitor: Visitor) -> HttpResponse {
    season_page(&state, &visitor, None).await
}

/// The season page; with `refused`, that refusal above it and its status.
async fn season_page(state: &AppState, visitor: &Visitor, refused: Option<&Error>) -> HttpResponse {
    let loaded = page(state, visitor, |conn, caller, _| {
        let can_extend = crate::access::ministry_work(caller).is_ok();
        let Some(season) = current_season(conn)? else {
            // Before the first season only the ministry has anything to do here: open one.
            if !can_extend {
                return Err(Error::not_found());
            }
            return Ok(SeasonScreen {
                season: None,
                can_extend,
                can_allocate: Vec::new(),
                quotas: Vec::new(),
                allocations: Vec::new(),
                extensions: Vec::new(),
            });
        };
        let id = season.id.clone();
        let allocations = crate::usecases::seasons::allocations(conn, caller, &id)?;
        let can_allocate = allocations
            .iter()
            .filter(|(row, _, kind)| {
                // The agencies among what the reader sees are its own (an office sees no other
                // office's agencies), so the reader stands as their parent here.
                let parent = (*kind == crate::domain::organization::OrgKind::Agency)
                    .then_some(&caller.organization_id);
                row.organization_id != caller.organization_id
                    && crate::access::allocate(caller, *kind, parent).is_ok()
            })
            .map(|(row, _, _)| row.organization_id.clone())
            .collect();
        Ok(SeasonScreen {
            can_extend,
            can_allocate,
            quotas: crate::usecases::seasons::quotas(conn, caller, &id)?,
            allocations,
            extensions: crate::usecases::seasons::extensions(conn, caller, &id)?,
            season: Some(season),
        })
    })
    .await;
    match loaded {
        Ok((me, lang, s)) => {
            let f = frame(visitor, me, lang, "/season", "season");
            refused_with(
                rendered(SeasonPage {
                    f: &f,
                    s: &s,
                    notice: refused.map(|e| super::pages::refusal_text(lang, e)),
                    types: crate::domain::season::ContractType::ALL,
                    kinds: crate::domain::season::SeasonKind::ALL,
                }),
                refused,
            )
        }
        Err(answer) => answer,
    }
}

#[derive(Deserialize)]
pub struct AllocationForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    pilgrims: String,
}

/// Sets an allocation of the current season (the ministry an office's, an office an agency's),
/// then shows the season again, or the refusal above it.
pub async fn allocate(
    state: web::Data<AppState>,
    visitor: Visitor,
    org: web::Path<String>,
    form: web::Form<AllocationForm>,
) -> HttpResponse {
    let Ok(org) = org.parse::<OrganizationId>() else {
        return no_such(&visitor);
    };
    let pilgrims = form.pilgrims.trim().parse::<i64>().map_err(|_| {
        Error::invalid_field("pilgrims", crate::domain::Invalid::new("invalid_value"))
    });
    season_change(&state, &visitor, &form.csrf, move |conn, caller| {
        let season = current_season(conn)?.ok_or_else(Error::not_found)?;
        let id = season.id;
        crate::usecases::seasons::allocate(conn, caller, &id, &org, pilgrims.clone())
            .map(|(row, _, _)| Touched(row.organization_id.into_string()))
    })
    .await
}

#[derive(Deserialize)]
pub struct ExtensionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    organization_id: String,
    #[serde(default, rename = "type")]
    contract_type: String,
    #[serde(default)]
    until: String,
    #[serde(default)]
    reason: String,
}

impl ExtensionForm {
    fn extension(&self) -> Result<crate::usecases::seasons::NewExtension, Error> {
        use crate::domain::Invalid;
        let organization_id = self
            .organization_id
            .parse::<OrganizationId>()
            .map_err(|_| {
                Error::invalid_field("organization_id", Invalid::new("unknown_reference"))
            })?;
        let contract_type = crate::domain::season::ContractType::parse(&self.contract_type)
            .ok_or_else(|| Error::invalid_field("type", Invalid::new("invalid_value")))?;
        let until = self
            .until
            .parse::<NaiveDate>()
            .map_err(|_| Error::invalid_field("until", Invalid::new("invalid_date")))?;
        let reason = crate::domain::text::Name::parse(&self.reason)
            .map_err(|e| Error::invalid_field("reason", e))?;
        Ok(crate::usecases::seasons::NewExtension {
            organization_id,
            contract_type,
            until,
            reason,
        })
    }
}

/// Grants a client more time (the ministry), then shows the season again.
pub async fn extend(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<ExtensionForm>,
) -> HttpResponse {
    let new = form.extension();
    season_change(&state, &visitor, &form.csrf, move |conn, caller| {
        let season = current_season(conn)?.ok_or_else(Error::not_found)?;
        let id = season.id;
        crate::usecases::seasons::extend(conn, caller, &id, new.clone())
            .map(|row| Touched(row.id.into_string()))
    })
    .await
}

/// A change made on the season page: back to it, or the page again with the refusal.
async fn season_change<W>(state: &AppState, visitor: &Visitor, csrf: &str, work: W) -> HttpResponse
where
    W: FnMut(&mut crate::storage::DbConnection, &crate::access::Caller) -> Result<Touched, Error>
        + Send
        + 'static,
{
    submit(
        state,
        visitor,
        csrf,
        work,
        |_| "/season".to_owned(),
        |e| async move { season_page(state, visitor, Some(&e)).await },
    )
    .await
}

#[derive(Deserialize)]
pub struct QuotaForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    pilgrims: String,
}

/// Sets a country's quota in the current season (the ministry), then shows the season again.
pub async fn set_quota(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<QuotaForm>,
) -> HttpResponse {
    use crate::domain::Invalid;
    let country = crate::domain::country::Country::parse(form.country.trim())
        .map_err(|e| Error::invalid_field("country", e));
    let pilgrims = form
        .pilgrims
        .trim()
        .parse::<i64>()
        .map_err(|_| Error::invalid_field("pilgrims", Invalid::new("invalid_value")));
    season_change(&state, &visitor, &form.csrf, move |conn, caller| {
        crate::access::ministry_work(caller)?;
        let season = current_season(conn)?.ok_or_else(Error::not_found)?;
        let id = season.id;
        let country = country.clone()?;
        crate::usecases::seasons::set_quota(conn, caller, &id, &country, pilgrims.clone())
            .map(|_| Touched(id.to_string()))
    })
    .await
}

#[derive(Deserialize)]
pub struct NewSeasonForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    hijri_year: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    starts_on: String,
    #[serde(default)]
    ends_on: String,
    #[serde(default)]
    housing: String,
    #[serde(default)]
    transport: String,
    #[serde(default)]
    catering: String,
}

impl NewSeasonForm {
    fn parse(&self) -> Result<crate::usecases::seasons::NewSeason, Error> {
        use crate::domain::Invalid;
        use crate::error::FieldError;
        let mut errors = Vec::new();
        let mut date = |field: &str, text: &str| {
            let date = crate::domain::calendar::parse_bounded(text.trim());
            if date.is_none() {
                errors.push(FieldError::new(field, Invalid::new("invalid_date")));
            }
            date
        };
        let dates = (
            date("starts_on", &self.starts_on),
            date("ends_on", &self.ends_on),
            date("deadlines.housing", &self.housing),
            date("deadlines.transport", &self.transport),
            date("deadlines.catering", &self.catering),
        );
        let kind = crate::domain::season::SeasonKind::parse(&self.kind);
        if kind.is_none() {
            errors.push(FieldError::new("kind", Invalid::new("invalid_value")));
        }
        let year = self.hijri_year.trim().parse::<i32>().ok();
        if year.is_none() {
            errors.push(FieldError::new("hijri_year", Invalid::new("out_of_range")));
        }
        match (kind, year, dates) {
            (
                Some(kind),
                Some(hijri_year),
                (Some(starts_on), Some(ends_on), Some(housing), Some(transport), Some(catering)),
            ) if errors.is_empty() => {
                crate::usecases::seasons::NewSeason::parse(crate::usecases::seasons::SeasonInput {
                    kind,
                    hijri_year,
                    name: &self.name,
                    starts_on,
                    ends_on,
                    housing_deadline: housing,
                    transport_deadline: transport,
                    catering_deadline: catering,
                })
            }
            _ => Err(Error::invalid(errors)),
        }
    }
}

/// Opens a season (the ministry); it becomes the console's current season.
pub async fn open_season(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<NewSeasonForm>,
) -> HttpResponse {
    let new = form.parse();
    season_change(&state, &visitor, &form.csrf, move |conn, caller| {
        crate::usecases::seasons::create(conn, caller, new.clone())
            .map(|row| Touched(row.id.into_string()))
    })
    .await
}
