//! The datasets an authority is granted (and the ministry), as tables and CSV downloads. Every read
//! is written to the audit log, as the API's is (R14).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::pages::{current_season, frame, me, page, rendered, unframed};
use super::session::{Visitor, to_sign_in};
use super::{Frame, Me, message};
use crate::audit::AuditEntity;
use crate::domain::organization::{Dataset, Language};
use crate::error::{Error, Kind};
use crate::state::AppState;
use crate::usecases::datasets::{self, DatasetView};

#[derive(Template)]
#[template(path = "console/datasets.html")]
struct ListPage<'a> {
    f: &'a Frame,
    datasets: &'a [Dataset],
}

/// The datasets the reader may read.
pub async fn list(state: web::Data<AppState>, visitor: Visitor) -> HttpResponse {
    let loaded = page(&state, &visitor, |conn, caller, _| {
        datasets::readable(conn, caller)
    })
    .await;
    match loaded {
        Ok((me, lang, datasets)) => {
            let f = frame(&visitor, me, lang, "/datasets", "datasets");
            rendered(ListPage {
                f: &f,
                datasets: &datasets,
            })
        }
        Err(answer) => answer,
    }
}

#[derive(Template)]
#[template(path = "console/dataset.html")]
struct TablePage<'a> {
    f: &'a Frame,
    dataset: Dataset,
    columns: &'a [String],
    rows: &'a [Vec<String>],
}

impl TablePage<'_> {
    /// A column's heading in words (the column's name in the CSV and the API stays its title).
    fn heading(&self, column: &str) -> String {
        let code = format!("col_{}", column.replace('.', "_"));
        let word = self.f.tr.w(&code);
        if word == code {
            column.to_owned()
        } else {
            word.to_owned()
        }
    }
    /// A cell as the reader reads it: places in words, the rest as given.
    fn cell<'a>(&'a self, column: &usize, value: &'a str) -> &'a str {
        let place = self.columns.get(*column).is_some_and(|c| {
            matches!(
                c.as_str(),
                "from" | "to" | "city" | "arrival.port" | "departure.port"
            )
        });
        match crate::domain::season::Place::parse(value) {
            Some(p) if place => self.f.tr.w(p.as_str()),
            _ => value,
        }
    }
}

/// A read dataset with its reader, for the audit log: the dataset it is.
struct Read(Me, Language, DatasetView);

impl AuditEntity for Read {
    fn audit_entity(&self) -> Option<String> {
        self.2.audit_entity()
    }
}

#[derive(Deserialize)]
pub struct Format {
    #[serde(default)]
    format: String,
}

/// One dataset of the current season: a table, or with `?format=csv` the CSV download.
pub async fn show(
    state: web::Data<AppState>,
    visitor: Visitor,
    dataset: web::Path<String>,
    format: web::Query<Format>,
) -> HttpResponse {
    let Some(auth) = visitor.auth() else {
        return to_sign_in();
    };
    let dataset = Dataset::parse(&dataset);
    let read = state
        .write(auth, move |conn, caller| {
            let (me, lang) = me(conn, caller)?;
            let dataset = dataset.ok_or_else(Error::not_found)?;
            let season = current_season(conn)?.ok_or_else(Error::not_found)?;
            let view = datasets::read(conn, caller, &season.id, dataset)?;
            Ok(Read(me, lang, view))
        })
        .await;
    match read {
        Ok(Read(_, _, view)) if format.format == "csv" => {
            let (columns, rows) = crate::api::datasets::grid(&view.rows);
            crate::api::csv::download(
                crate::api::csv::text(&columns, &rows),
                view.dataset.as_str(),
            )
        }
        Ok(Read(me, lang, view)) => {
            let (columns, rows) = crate::api::datasets::grid(&view.rows);
            let f = frame(&visitor, me, lang, "/datasets", view.dataset.as_str());
            rendered(TablePage {
                f: &f,
                dataset: view.dataset,
                columns: &columns,
                rows: &rows,
            })
        }
        Err(e) if e.kind == Kind::NotFound => {
            let f = visitor.anonymous_frame("/datasets", "not_found");
            message(
                &f,
                StatusCode::NOT_FOUND,
                f.tr.w("not_found"),
                f.tr.w("not_found_text"),
            )
        }
        Err(e) => unframed(&visitor, &e),
    }
}
