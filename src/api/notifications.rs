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
use crate::notify::templates::{Params, Template, render};
use crate::state::AppState;
use crate::storage::notifications::{self as store, NotificationRow};

use super::extract::{page, path_id};
use super::{Page, utc};

#[derive(Serialize, ToSchema)]
pub struct NotificationView {
    pub id: String,
    /// What happened: `contract_submitted`, `contract_approved`, `inspection_failed`, ...
    pub kind: String,
    /// In the language of `Accept-Language`.
    pub subject: String,
    pub text: String,
    /// The contract it is about.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity_id: Option<String>,
    pub read: bool,
    pub created_at: DateTime<Utc>,
}

fn view(
    row: NotificationRow,
    lang: crate::domain::organization::Language,
) -> Result<NotificationView, Error> {
    let template = Template::parse(&row.template).ok_or_else(Error::internal)?;
    let params: Params = serde_json::from_str(&row.params).map_err(|_| Error::internal())?;
    let rendered = render(template, &params, lang);
    Ok(NotificationView {
        id: row.id,
        kind: row.template,
        subject: rendered.subject,
        text: rendered.text,
        entity_id: row.entity_id,
        read: row.read_at.is_some(),
        created_at: utc(row.created_at),
    })
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
#[utoipa::path(tag = "notifications", params(InboxQuery), responses((status = 200, description = "One page", body = Page<NotificationView>)))]
#[get("/notifications")]
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
            let rows = store::inbox(
                conn,
                caller.organization_id.as_str(),
                unread,
                page.after.as_deref(),
                page.fetch(),
            )?;
            page.try_show(rows, |r| &r.id, |r| view(r, lang))
        },
    )
    .await
}

/// Marks one of the organisation's notifications read (again: no change).
#[utoipa::path(
    tag = "notifications",
    params(("id" = String, Path, description = "Notification id")),
    responses((status = 200, description = "The notification", body = NotificationView))
)]
#[post("/notifications/{id}/read")]
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
            let row = store::mark_read(conn, caller.organization_id.as_str(), id.as_str())?
                .ok_or_else(Error::not_found)?;
            view(row, lang)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

impl crate::audit::AuditEntity for NotificationView {
    fn audit_entity(&self) -> Option<String> {
        Some(self.id.clone())
    }
}
