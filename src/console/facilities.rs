//! Facilities: a provider's own (the ministry's: all), each with its use per day over the season.

use actix_web::{HttpResponse, web};
use askama::Template;

use super::Frame;
use super::pages::{current_season, frame, page, refusal_text, refused_with, rendered};
use super::session::Visitor;
use crate::domain::document::RecordKind;
use crate::domain::ids::FacilityId;
use crate::error::Error;
use crate::state::AppState;
use crate::storage::facilities::FacilityFilter;
use crate::storage::models::SeasonRow;
use crate::usecases::documents::{self, Record, Shelf};
use crate::usecases::facilities::{self as cases, DayUse, FacilityDetails};

#[derive(Template)]
#[template(path = "console/facilities.html")]
struct ListPage<'a> {
    f: &'a Frame,
    facilities: &'a [FacilityDetails],
}

pub async fn list(state: web::Data<AppState>, visitor: Visitor) -> HttpResponse {
    let loaded = page(&state, &visitor, |conn, caller, _| {
        cases::list(conn, caller, &FacilityFilter::default(), None, 500)
    })
    .await;
    match loaded {
        Ok((me, lang, facilities)) => {
            let f = frame(&visitor, me, lang, "/facilities", "facilities");
            rendered(ListPage {
                f: &f,
                facilities: &facilities,
            })
        }
        Err(answer) => answer,
    }
}

#[derive(Template)]
#[template(path = "console/facility.html")]
struct FacilityPage<'a> {
    f: &'a Frame,
    x: &'a FacilityDetails,
    season: Option<&'a SeasonRow>,
    strip: String,
    shelf: &'a Shelf,
    docs_path: String,
    notice: Option<String>,
}

/// One facility with its use per day over the current season (for its provider and the
/// ministry); anyone else who may see it gets it without the use. Its documents below.
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
) -> HttpResponse {
    match id.parse::<FacilityId>() {
        Ok(id) => show_with(&state, &visitor, id, None).await,
        Err(_) => super::pages::no_such(&visitor),
    }
}

/// The facility's page, with a refusal above it if one is given (and its status).
pub(super) async fn show_with(
    state: &AppState,
    visitor: &Visitor,
    id: FacilityId,
    refused: Option<&Error>,
) -> HttpResponse {
    let loaded = page(state, visitor, move |conn, caller, _| {
        let facility = cases::find(conn, caller, &id)?;
        let season = current_season(conn)?;
        let usage: Vec<DayUse> = match &season {
            Some(s)
                if crate::access::sees_facility_usage(caller, &facility.facility.provider_id) =>
            {
                cases::usage(conn, caller, &id, Some(s.starts_on), Some(s.ends_on))?
            }
            _ => Vec::new(),
        };
        let record = Record::new(RecordKind::Facility, id.as_str());
        let shelf = documents::shelf(conn, caller, &record)?;
        Ok((facility, season, usage, shelf))
    })
    .await;
    match loaded {
        Ok((me, lang, (x, season, usage, shelf))) => {
            let mut f = frame(visitor, me, lang, "/facilities", "facilities");
            f.title = f.tr.name(&x.facility.name, &x.facility.name_ar).to_owned();
            let strip = if usage.is_empty() {
                String::new()
            } else {
                super::strip(&f.tr, &usage, None)
            };
            let page = FacilityPage {
                f: &f,
                x: &x,
                season: season.as_ref(),
                strip,
                shelf: &shelf,
                docs_path: format!("/facilities/{}/documents", x.facility.id),
                notice: refused.map(|e| refusal_text(lang, e)),
            };
            refused_with(rendered(page), refused)
        }
        Err(answer) => answer,
    }
}
