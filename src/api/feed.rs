//! The change feed: what changed, in commit order, for partner systems that poll with a cursor.

use actix_web::{HttpResponse, get, web};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::extract::Query;
use crate::auth::credentials::Authenticated;
use crate::domain::Invalid;
use crate::domain::feed::{EventType, Position};
use crate::error::Error;
use crate::state::AppState;
use crate::usecases::feed::{self, ChangeEvent, MAX_EVENTS};

/// A page of the feed.
#[derive(Serialize, ToSchema)]
pub struct ChangeFeed {
    pub items: Vec<ChangeEvent>,
    /// Where to continue: pass it as `after` next time. Always present, also when `items` is empty
    /// (it may move past events the caller does not see); store it with what was processed.
    pub next_cursor: String,
    /// More events follow at once: read again with `next_cursor` without waiting.
    pub more: bool,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// The `next_cursor` of the previous read; none (or empty) starts from the beginning.
    pub after: Option<String>,
    /// Events per read, 1 to 500 (default 100).
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// Only events of these types, comma-separated (e.g. `contract.approved,readiness.changed`).
    pub types: Option<String>,
}

/// Events per read unless asked otherwise.
const DEFAULT_EVENTS: u32 = 100;

struct FeedRequest {
    after: Option<Position>,
    limit: u32,
    types: Option<Vec<EventType>>,
}

impl FeedQuery {
    fn parse(self) -> Result<FeedRequest, Error> {
        let after = match self.after.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(c) => Some(
                Position::from_cursor(c)
                    .ok_or_else(|| Error::invalid_query("after", Invalid::new("invalid_cursor")))?,
            ),
        };
        let limit = self.limit.unwrap_or(DEFAULT_EVENTS);
        if !(1..=MAX_EVENTS).contains(&limit) {
            return Err(Error::invalid_query("limit", Invalid::new("out_of_range")));
        }
        let types = match self.types.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(list) => Some(
                list.split(',')
                    .map(|t| EventType::parse(t.trim()))
                    .collect::<Option<Vec<_>>>()
                    .filter(|t| t.len() <= EventType::ALL.len())
                    .ok_or_else(|| Error::invalid_query("types", Invalid::new("invalid_value")))?,
            ),
        };
        Ok(FeedRequest {
            after,
            limit,
            types,
        })
    }
}

/// The events the caller may see after a cursor, in the order they were committed: contract and
/// amendment steps, inspections, readiness changes, deadline extensions, reminders. A consumer
/// that stores `next_cursor` with what it processed never misses an event nor reads one twice,
/// whichever gateway process answers.
#[utoipa::path(
    operation_id = "readChangeFeed",
    tag = "feed",
    params(FeedQuery),
    responses((status = 200, description = "The next events", body = ChangeFeed))
)]
#[get("")]
pub async fn read(
    state: web::Data<AppState>,
    auth: Authenticated,
    query: Query<FeedQuery>,
) -> Result<HttpResponse, Error> {
    let request = query.into_inner().parse()?;
    let page = state
        .read(auth, move |conn, caller| {
            let page = feed::read(
                conn,
                caller,
                request.after,
                request.types.as_deref(),
                request.limit,
            )?;
            Ok(ChangeFeed {
                items: page
                    .events
                    .into_iter()
                    .map(ChangeEvent::of)
                    .collect::<Result<_, _>>()?,
                next_cursor: page.position.cursor(),
                more: page.more,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(page))
}
