//! The printable contract sheet, in English and Arabic side by side, as both the API
//! (`GET /api/v1/contracts/{id}/sheet`) and the console serve it: one page from
//! [`crate::usecases::sheet::sheet`], styled by `/static/sheet.css` alone.

use askama::Template;

use crate::console::texts::word;
use crate::domain::calendar::hijri;
use crate::domain::contract::Terms;
use crate::domain::organization::Language;
use crate::error::Error;
use crate::usecases::sheet::Sheet;

/// The sheet's only stylesheet, and nothing else may load.
pub const SHEET_CSP: &str = "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

pub const CSS: &str = include_str!("../static/sheet.css");

/// Whether a path is a sheet's (it gets [`SHEET_CSP`]).
pub fn serves(path: &str) -> bool {
    path.ends_with("/sheet")
        && (path.starts_with("/api/v1/contracts/") || path.starts_with("/contracts/"))
}

struct SignatureLine {
    action_en: String,
    action_ar: String,
    organization: String,
    person: String,
    at: String,
}

struct SheetPage {
    id: String,
    season: String,
    type_en: String,
    type_ar: String,
    status_en: String,
    status_ar: String,
    client: String,
    client_ar: String,
    country: String,
    provider: String,
    provider_ar: String,
    facility: String,
    facility_ar: String,
    city_en: String,
    city_ar: String,
    starts: String,
    starts_hijri: String,
    ends: String,
    ends_hijri: String,
    terms_en: String,
    terms_ar: String,
    price: Option<(String, String)>,
    signatures: Vec<SignatureLine>,
    events: usize,
    hash: String,
    printed_at: String,
}

#[derive(Template)]
#[template(path = "sheet/contract.html")]
struct Page<'a> {
    p: &'a SheetPage,
}

fn both(code: &str) -> (String, String) {
    (
        word(Language::English, code).to_owned(),
        word(Language::Arabic, code).to_owned(),
    )
}

fn terms(t: &Terms) -> (String, String) {
    match *t {
        Terms::Housing { beds } => (format!("{beds} beds"), format!("عدد الأسرّة: {beds}")),
        Terms::Transport { from, to, seats } => {
            let (from_en, from_ar) = both(from.as_str());
            let (to_en, to_ar) = both(to.as_str());
            (
                format!("{seats} seats a day, {from_en} → {to_en}"),
                format!("عدد المقاعد يومياً: {seats}، من {from_ar} إلى {to_ar}"),
            )
        }
        Terms::Catering {
            pilgrims,
            meals_per_day,
        } => (
            format!("{pilgrims} pilgrims, {meals_per_day} meals a day"),
            format!("عدد الحجاج: {pilgrims}، الوجبات يومياً: {meals_per_day}"),
        ),
    }
}

/// The sheet as a page.
pub fn render(sheet: &Sheet) -> Result<String, Error> {
    let d = &sheet.details;
    let c = &d.contract;
    let (type_en, type_ar) = both(c.booking.terms.contract_type().as_str());
    let (status_en, status_ar) = both(c.status.as_str());
    let (city_en, city_ar) = both(d.facility_city.as_str());
    let (terms_en, terms_ar) = terms(&c.booking.terms);
    let page = SheetPage {
        id: c.id.to_string(),
        season: sheet.season.clone(),
        type_en,
        type_ar,
        status_en,
        status_ar,
        client: d.client_name.to_string(),
        client_ar: d.client_name_ar.as_deref().unwrap_or_default().to_owned(),
        country: c.client_country.clone(),
        provider: d.provider_name.to_string(),
        provider_ar: d.provider_name_ar.as_deref().unwrap_or_default().to_owned(),
        facility: d.facility_name.to_string(),
        facility_ar: d.facility_name_ar.as_deref().unwrap_or_default().to_owned(),
        city_en,
        city_ar,
        starts: c.booking.starts_on.to_string(),
        starts_hijri: hijri(c.booking.starts_on),
        ends: c.booking.ends_on.to_string(),
        ends_hijri: hijri(c.booking.ends_on),
        terms_en,
        terms_ar,
        price: c
            .price
            .as_ref()
            .map(|p| (p.unit.to_string(), p.total.to_string())),
        signatures: sheet
            .signatures
            .iter()
            .map(|s| {
                let (action_en, action_ar) = both(&s.action);
                SignatureLine {
                    action_en,
                    action_ar,
                    organization: s.organization.clone(),
                    person: s.person.clone().unwrap_or_default(),
                    at: s.at.format("%Y-%m-%d %H:%M").to_string(),
                }
            })
            .collect(),
        events: sheet.events,
        hash: sheet.history_hash.clone(),
        printed_at: chrono::Utc::now().format("%Y-%m-%d %H:%M").to_string(),
    };
    Page { p: &page }.render().map_err(|_| Error::internal())
}
