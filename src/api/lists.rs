//! How every list answers: a page of `{items, next_cursor}` in JSON, or, when the caller asks for
//! CSV, every row of every page as one download (see [`super::csv`]).

use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use super::Page;
use super::csv;
use super::extract::{self, MAX_PAGE};
use crate::access::Caller;
use crate::auth::credentials::Authenticated;
use crate::error::Error;
use crate::state::AppState;
use crate::storage::DbConnection;

/// A paged list: `fetch` reads one page for the caller. JSON gets the page asked for; CSV gets
/// every page, up to [`csv::MAX_ROWS`] rows, read in one hand-off, as `name-<date>.csv`.
pub async fn answer<V, F>(
    state: &AppState,
    auth: Authenticated,
    req: &HttpRequest,
    page: extract::Page,
    name: &'static str,
    fetch: F,
) -> Result<HttpResponse, Error>
where
    V: Serialize + ToSchema + Send + 'static,
    F: Fn(&mut DbConnection, &Caller, &extract::Page) -> Result<Page<V>, Error> + Send + 'static,
{
    if !csv::wanted(req) {
        let body = state
            .read(auth, move |conn, caller| fetch(conn, caller, &page))
            .await?;
        return Ok(body.respond());
    }
    let table = state
        .read(auth, move |conn, caller| {
            let mut rows = Vec::new();
            let mut page = extract::page(Some(MAX_PAGE), None)?;
            loop {
                let batch = fetch(conn, caller, &page)?;
                rows.extend(batch.items);
                match batch.next_cursor {
                    Some(next) if rows.len() < csv::MAX_ROWS => {
                        page = extract::page(Some(MAX_PAGE), Some(next))?;
                    }
                    _ => break,
                }
            }
            rows.truncate(csv::MAX_ROWS);
            Ok(csv::table(&rows))
        })
        .await?;
    Ok(csv::download(table, name))
}

/// A list short enough never to page: all of it, as `{items, next_cursor: null}` or as CSV.
pub fn whole<V: Serialize + ToSchema>(
    req: &HttpRequest,
    name: &str,
    items: Vec<V>,
) -> HttpResponse {
    if csv::wanted(req) {
        csv::download(csv::table(&items), name)
    } else {
        Page::whole(items).respond()
    }
}
