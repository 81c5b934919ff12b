//! The inbox of the caller's organisation, in the reader's language.

use super::extract::Query;
use super::lists;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::credentials::Authenticated;
use crate::domain::ids::NotificationId;
use crate::error::Error;
use crate::i18n;
use crate::state::AppState;
use crate::usecases::notifications::{self, Inbox, Notice};

use super::extract::{page, path_id};
use super::{Page, utc};

#[derive(Serialize, ToSchema)]
pub struct NotificationView {
    #[schema(format = Uuid)]
    pub id: String,
    /// What happened: `contract_submitted`, `contract_approved`, `inspection_failed`, ...
    pub kind: String,
    /// In the language of `Accept-Language`.
    pub subject: String,
    pub text: String,
    /// The contract it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub entity_id: Option<String>,
    pub read: bool,
    pub created_at: DateTime<Utc>,
}

impl From<Notice> for NotificationView {
    fn from(n: Notice) -> NotificationView {
        NotificationView {
            id: n.id.into_string(),
            kind: n.kind,
            subject: n.subject,
            text: n.text,
            entity_id: n.entity_id,
            read: n.read,
            created_at: utc(n.created_at),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// Only unread notifications.
    pub unread: Option<bool>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// The caller's organisation's notifications, oldest first.
#[utoipa::path(operation_id = "listNotifications", tag = "notifications", params(InboxQuery), responses((status = 200, description = "One page", body = Page<NotificationView>)))]
#[get("")]
pub async fn inbox(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    query: Query<InboxQuery>,
) -> Result<HttpResponse, Error> {
    let query = query.into_inner();
    let page = page(query.limit, query.cursor)?;
    let lang = i18n::request_language(&req);
    let unread = query.unread.unwrap_or(false);
    lists::answer(
        &state,
        auth,
        &req,
        page,
        "notifications",
        move |conn, caller, page| {
            let which = Inbox {
                unread_only: unread,
                newest_first: false,
            };
            let rows = notifications::inbox(
                conn,
                caller,
                lang,
                which,
                page.after.as_deref(),
                page.fetch(),
            )?;
            Ok(page.show(rows, |n| &n.id, NotificationView::from))
        },
    )
    .await
}

/// Marks one of the organisation's notifications read (again: no change).
#[utoipa::path(
    operation_id = "markNotificationRead",
    tag = "notifications",
    params(("id" = String, Path, description = "Notification id")),
    responses((status = 200, description = "The notification", body = NotificationView))
)]
#[post("/{id}/read")]
pub async fn mark_read(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: NotificationId = path_id(&id)?;
    let lang = i18n::request_language(&req);
    let view = state
        .write(auth, move |conn, caller| {
            notifications::mark_read(conn, caller, lang, &id).map(NotificationView::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

impl crate::audit::AuditEntity for NotificationView {
    fn audit_entity(&self) -> Option<String> {
        Some(self.id.clone())
    }
}
