//! Webhooks: an organisation's admin subscribes HTTPS URLs to event types of the change feed, reads
//! the delivery log and asks for a delivery again. Deliveries are signed as the Standard Webhooks
//! specification says; the secret is shown when made and when rotated, never again.

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::extract::{Json, PageQuery, etag, if_match, path_id};
use super::{Page, lists, utc};
use crate::api::problem::ProblemDetails;
use crate::auth::credentials::Authenticated;
use crate::domain::feed::EventType;
use crate::domain::ids::{OrganizationId, WebhookId};
use crate::error::Error;
use crate::state::AppState;
use crate::storage::webhooks::{DeliveryRow, SubscriptionRow};
use crate::usecases::webhooks::{self as cases, Subscription, SubscriptionEdit};

#[derive(Serialize, ToSchema)]
pub struct WebhookView {
    #[schema(format = Uuid)]
    pub id: String,
    #[schema(format = Uuid)]
    pub organization_id: String,
    pub url: String,
    /// The event types delivered; empty for every type.
    pub event_types: Vec<EventType>,
    pub description: String,
    /// `active`, or `disabled` (by its organisation, or after a day of failed deliveries).
    #[schema(pattern = "^(active|disabled)$")]
    pub status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub disabled_reason: Option<String>,
    /// Since when deliveries have been failing, if they are.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub failing_since: Option<DateTime<Utc>>,
    /// Until when the previous secret still signs, after a rotation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_secret_until: Option<DateTime<Utc>>,
    #[schema(minimum = 1)]
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<SubscriptionRow> for WebhookView {
    fn from(row: SubscriptionRow) -> WebhookView {
        WebhookView {
            event_types: cases::types_of(&row).unwrap_or_default(),
            id: row.id.into_string(),
            organization_id: row.organization_id.into_string(),
            url: row.url,
            description: row.description,
            status: row.status,
            disabled_reason: row.disabled_reason,
            failing_since: row.failing_since.map(utc),
            previous_secret_until: row.previous_secret_until.map(utc),
            version: row.version,
            created_at: utc(row.created_at),
            updated_at: utc(row.updated_at),
        }
    }
}

/// A subscription with its signing secret: shown now only.
#[derive(Serialize, ToSchema)]
pub struct WebhookWithSecret {
    #[serde(flatten)]
    pub webhook: WebhookView,
    /// The key deliveries are signed with (`whsec_` and base64), for the receiver's verifier.
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

impl From<SubscriptionRow> for WebhookWithSecret {
    fn from(row: SubscriptionRow) -> WebhookWithSecret {
        let secret = row.secret.clone();
        WebhookWithSecret {
            webhook: row.into(),
            secret,
        }
    }
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct CreateWebhook {
    /// An `https` URL on the public internet.
    #[schema(example = "https://hajj.example.id/etrack/events", max_length = 2000)]
    pub url: String,
    /// Event types to deliver; none or empty for every type.
    #[serde(default)]
    #[schema(max_items = 18)]
    pub event_types: Vec<String>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub description: String,
}

#[derive(Deserialize, ToSchema, Clone)]
#[serde(deny_unknown_fields)]
pub struct UpdateWebhook {
    #[schema(max_length = 2000)]
    pub url: String,
    #[serde(default)]
    #[schema(max_items = 18)]
    pub event_types: Vec<String>,
    #[serde(default)]
    #[schema(max_length = 200)]
    pub description: String,
    /// Whether deliveries go out; turning a disabled webhook back on forgets its failures.
    pub active: bool,
}

fn respond(view: WebhookView) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(etag(view.version))
        .json(view)
}

/// Subscribes a URL to the events the caller's organisation may read (its admins).
#[utoipa::path(
    operation_id = "createWebhook",
    tag = "webhooks",
    request_body = CreateWebhook,
    params(("id" = String, Path, description = "Organisation id (the caller's own)")),
    responses(
        (status = 201, description = "Subscribed; the signing secret is in the body, once", body = WebhookWithSecret),
        (status = 409, description = "Already ten webhooks (`too_many_subscriptions`)", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[post("/{id}/webhooks")]
pub async fn create(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
    body: Json<CreateWebhook>,
) -> Result<HttpResponse, Error> {
    let org: OrganizationId = path_id(&id)?;
    let policy = state.settings.webhooks.policy;
    let new = body
        .into_inner()
        .and_then(|b| Subscription::parse(&b.url, &b.event_types, &b.description, policy));
    let view = state
        .write(auth, move |conn, caller| {
            cases::subscribe(conn, caller, &org, new.clone()).map(WebhookWithSecret::from)
        })
        .await?;
    Ok(HttpResponse::Created()
        .insert_header((
            actix_web::http::header::LOCATION,
            format!("/api/v1/webhooks/{}", view.webhook.id),
        ))
        .json(view))
}

/// An organisation's webhooks (its admins).
#[utoipa::path(
    operation_id = "listWebhooks",
    tag = "webhooks",
    params(("id" = String, Path, description = "Organisation id (the caller's own)")),
    responses((status = 200, description = "All of them", body = Page<WebhookView>))
)]
#[get("/{id}/webhooks")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let org: OrganizationId = path_id(&id)?;
    let rows = state
        .read(auth, move |conn, caller| cases::list(conn, caller, &org))
        .await?;
    let views = rows.into_iter().map(WebhookView::from).collect();
    Ok(lists::whole(&req, "webhooks", views))
}

/// One webhook, with its version as `ETag`.
#[utoipa::path(
    operation_id = "getWebhook",
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id")),
    responses((status = 200, description = "The webhook", body = WebhookView))
)]
#[get("/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: WebhookId = path_id(&id)?;
    let row = state
        .read(auth, move |conn, caller| cases::find(conn, caller, &id))
        .await?;
    Ok(respond(row.into()))
}

/// Changes a webhook's target, types or description, or turns it off or back on.
#[utoipa::path(
    operation_id = "updateWebhook",
    tag = "webhooks",
    request_body = UpdateWebhook,
    params(
        ("id" = String, Path, description = "Webhook id"),
        ("If-Match" = String, Header, description = "The version being changed, as its ETag (`*`: whatever version is current)"),
    ),
    responses(
        (status = 200, description = "Updated", body = WebhookView),
        (status = 412, description = "Stale version", body = ProblemDetails, content_type = "application/problem+json"),
        (status = 428, description = "If-Match missing", body = ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[patch("/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    body: Json<UpdateWebhook>,
) -> Result<HttpResponse, Error> {
    let id: WebhookId = path_id(&id)?;
    let version = if_match(&req);
    let policy = state.settings.webhooks.policy;
    let edit = body.into_inner().and_then(|b| {
        Ok(SubscriptionEdit {
            subscription: Subscription::parse(&b.url, &b.event_types, &b.description, policy)?,
            active: b.active,
        })
    });
    let view = state
        .write(auth, move |conn, caller| {
            cases::change(conn, caller, &id, version.clone(), edit.clone()).map(WebhookView::from)
        })
        .await?;
    Ok(respond(view))
}

/// Removes a webhook and its delivery log.
#[utoipa::path(
    operation_id = "deleteWebhook",
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id")),
    responses((status = 204, description = "Removed"))
)]
#[delete("/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: WebhookId = path_id(&id)?;
    state
        .write(auth, move |conn, caller| cases::remove(conn, caller, &id))
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Gives a webhook a new signing secret; the previous one keeps signing alongside it for a day
/// (a delivery then carries both signatures), so that the receiver switches without a gap.
#[utoipa::path(
    operation_id = "rotateWebhookSecret",
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id")),
    responses((status = 200, description = "The webhook and its new secret, once", body = WebhookWithSecret))
)]
#[post("/{id}/rotate-secret")]
pub async fn rotate(
    state: web::Data<AppState>,
    auth: Authenticated,
    id: web::Path<String>,
) -> Result<HttpResponse, Error> {
    let id: WebhookId = path_id(&id)?;
    let view = state
        .write(auth, move |conn, caller| {
            cases::rotate(conn, caller, &id).map(WebhookWithSecret::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[derive(Serialize, ToSchema)]
pub struct DeliveryView {
    /// The `webhook-id` every attempt carries.
    #[schema(example = "msg_01a2b3c4d5e6f7081920a1b2c3d4e5f6")]
    pub id: String,
    /// The event delivered (its id in the change feed).
    #[schema(format = Uuid)]
    pub event_id: String,
    pub event_type: EventType,
    /// `pending` (due, or waiting for a retry), `delivered`, or `failed` (retries spent).
    #[schema(pattern = "^(pending|delivered|failed)$")]
    pub status: String,
    pub attempts: i32,
    /// The receiver's last HTTP status, if it answered.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_status: Option<i32>,
    /// Why the last attempt failed without an answer.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub last_error: Option<String>,
    /// When the next attempt is due (pending deliveries).
    pub next_attempt_at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub delivered_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl DeliveryView {
    fn from_row(row: DeliveryRow) -> Result<DeliveryView, Error> {
        Ok(DeliveryView {
            event_type: EventType::parse(&row.event_type).ok_or_else(Error::internal)?,
            id: row.id,
            event_id: row.event_id,
            status: row.status,
            attempts: row.attempts,
            last_status: row.last_status,
            last_error: row.last_error,
            next_attempt_at: utc(row.next_attempt_at),
            delivered_at: row.delivered_at.map(utc),
            created_at: utc(row.created_at),
        })
    }
}

/// A webhook's delivery log, newest first.
#[utoipa::path(
    operation_id = "listWebhookDeliveries",
    tag = "webhooks",
    params(("id" = String, Path, description = "Webhook id"), PageQuery),
    responses((status = 200, description = "One page", body = Page<DeliveryView>))
)]
#[get("/{id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    id: web::Path<String>,
    query: super::extract::Query<PageQuery>,
) -> Result<HttpResponse, Error> {
    let id: WebhookId = path_id(&id)?;
    let page = query.parse()?;
    lists::answer(
        &state,
        auth,
        &req,
        page,
        "webhook-deliveries",
        move |conn, caller, page| {
            // The cursor carries the UUID digits of a delivery's `msg_` id.
            let before = page.after.as_ref().map(|digits| format!("msg_{digits}"));
            let rows = cases::deliveries(conn, caller, &id, before.as_deref(), page.fetch())?;
            page.try_show(
                rows,
                |r| r.id.trim_start_matches("msg_"),
                DeliveryView::from_row,
            )
        },
    )
    .await
}

/// Sends a delivery again, with the same `webhook-id`, whatever became of it before.
#[utoipa::path(
    operation_id = "redeliverWebhook",
    tag = "webhooks",
    params(
        ("id" = String, Path, description = "Webhook id"),
        ("delivery_id" = String, Path, description = "Delivery id (`msg_...`)"),
    ),
    responses((status = 200, description = "Queued again, due now", body = DeliveryView))
)]
#[post("/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    auth: Authenticated,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, Error> {
    let (id, delivery) = path.into_inner();
    let id: WebhookId = path_id(&id)?;
    if !delivery.starts_with("msg_") || delivery.len() > 40 {
        return Err(Error::not_found());
    }
    let view = state
        .write(auth, move |conn, caller| {
            cases::redeliver(conn, caller, &id, &delivery).and_then(DeliveryView::from_row)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

impl crate::audit::AuditEntity for WebhookWithSecret {
    fn audit_entity(&self) -> Option<String> {
        Some(self.webhook.id.clone())
    }
}
