//! Everyone's pages: the organisation's notifications, one's profile and password.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::pages::{Touched, frame, no_such, page, refusal_text, rendered, unframed};
use super::session::{Visitor, form_session, see_other, to_sign_in};
use super::{Frame, html};
use crate::access;
use crate::domain::ids::NotificationId;
use crate::error::Kind;
use crate::state::AppState;
use crate::storage::models::UserRow;
use crate::usecases::notifications::{self, Inbox, Notice};
use crate::usecases::sign_in;

const PAGE_SIZE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct InboxQuery {
    #[serde(default)]
    unread: String,
    #[serde(default)]
    after: String,
}

#[derive(Template)]
#[template(path = "console/notifications.html")]
struct NotificationsPage<'a> {
    f: &'a Frame,
    notices: &'a [Notice],
    unread_only: bool,
    next: Option<String>,
}

/// Newest first; the unread ones can be shown alone.
pub async fn notifications(
    state: web::Data<AppState>,
    visitor: Visitor,
    query: web::Query<InboxQuery>,
) -> HttpResponse {
    let query = query.into_inner();
    let which = Inbox {
        unread_only: query.unread == "1",
        newest_first: true,
    };
    let after = query.after.parse::<NotificationId>().ok();
    let loaded = page(&state, &visitor, move |conn, caller, saved| {
        notifications::inbox(
            conn,
            caller,
            saved,
            which,
            after.as_ref().map(NotificationId::as_str),
            PAGE_SIZE + 1,
        )
    })
    .await;
    match loaded {
        Ok((me, lang, mut notices)) => {
            let next = (notices.len() as i64 > PAGE_SIZE).then(|| {
                notices.truncate(PAGE_SIZE as usize);
                notices.last().map(|n| n.id.to_string()).unwrap_or_default()
            });
            let f = frame(&visitor, me, lang, "/notifications", "notifications");
            rendered(NotificationsPage {
                f: &f,
                notices: &notices,
                unread_only: which.unread_only,
                next,
            })
        }
        Err(answer) => answer,
    }
}

#[derive(Deserialize)]
pub struct ReadForm {
    #[serde(default)]
    csrf: String,
    /// Where to go next: the record it is about, or back to the inbox.
    #[serde(default)]
    open: String,
}

/// Marks a notification read, then opens what it is about (or the inbox again).
pub async fn mark_read(
    state: web::Data<AppState>,
    visitor: Visitor,
    id: web::Path<String>,
    form: web::Form<ReadForm>,
) -> HttpResponse {
    let auth = match form_session(&visitor, &form.csrf) {
        Ok(auth) => auth,
        Err(answer) => return *answer,
    };
    let Ok(id) = id.parse::<NotificationId>() else {
        return no_such(&visitor);
    };
    let lang = visitor.lang;
    let done = state
        .write(auth, move |conn, caller| {
            notifications::mark_read(conn, caller, lang, &id).map(|n| Touched(n.id.into_string()))
        })
        .await;
    match done {
        Ok(_) => {
            let to = match form.open.parse::<crate::domain::ids::ContractId>() {
                Ok(contract) => format!("/contracts/{contract}"),
                Err(_) => "/notifications".to_owned(),
            };
            see_other(to)
        }
        Err(e) => unframed(&visitor, &e),
    }
}

#[derive(Template)]
#[template(path = "console/profile.html")]
struct ProfilePage<'a> {
    f: &'a Frame,
    user: &'a UserRow,
    /// The reader keeps its organisation's API keys and webhooks (its admins).
    integration: bool,
    notice: Option<String>,
    error: Option<String>,
}

async fn profile_page(
    state: &AppState,
    visitor: &Visitor,
    status: StatusCode,
    notice: Option<String>,
    error: Option<&crate::error::Error>,
) -> HttpResponse {
    let loaded = page(state, visitor, |conn, caller, _| {
        let user = crate::usecases::users::own(conn, caller)?;
        let integration = access::manage_webhooks(caller, &caller.organization_id).is_ok();
        Ok((user, integration))
    })
    .await;
    match loaded {
        Ok((me, lang, (user, integration))) => {
            let f = frame(visitor, me, lang, "/profile", "profile");
            let page = ProfilePage {
                f: &f,
                user: &user,
                integration,
                notice,
                error: error.map(|e| refusal_text(lang, e)),
            };
            html(status, page.render().unwrap_or_default())
        }
        Err(answer) => answer,
    }
}

pub async fn profile(state: web::Data<AppState>, visitor: Visitor) -> HttpResponse {
    profile_page(&state, &visitor, StatusCode::OK, None, None).await
}

#[derive(Deserialize)]
pub struct PasswordForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current_password: String,
    #[serde(default)]
    new_password: String,
}

/// Changes one's password (the same use case as `POST /api/v1/me/password`): the other sessions
/// end, this one goes on.
pub async fn change_password(
    state: web::Data<AppState>,
    visitor: Visitor,
    form: web::Form<PasswordForm>,
) -> HttpResponse {
    let auth = match form_session(&visitor, &form.csrf) {
        Ok(auth) => auth,
        Err(answer) => return *answer,
    };
    let form = form.into_inner();
    let changed = sign_in::change_password(
        &state,
        auth,
        &visitor.address,
        form.current_password,
        &form.new_password,
    )
    .await;
    match changed {
        Ok(()) => {
            let done = super::texts::word(visitor.lang, "done").to_owned();
            profile_page(&state, &visitor, StatusCode::OK, Some(done), None).await
        }
        Err(e) if e.kind == Kind::Unauthorized => to_sign_in(),
        Err(e) => {
            let status = crate::api::problem::status(e.kind);
            profile_page(&state, &visitor, status, None, Some(&e)).await
        }
    }
}
