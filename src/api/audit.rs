//! The audit log, for the ministry: browse it, and verify its hash chain.

use super::extract::Query;
use super::lists;
use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::credentials::Authenticated;
use crate::error::Error;
use crate::state::AppState;
use crate::storage::audit::{AuditFilter, AuditRow};
use crate::usecases::audit as audit_cases;

use super::extract::page;
use super::{Page, utc};

#[derive(Serialize, ToSchema)]
pub struct AuditEventView {
    #[schema(format = Uuid)]
    pub id: String,
    /// Position in the hash chain; absent until the event is sealed (within seconds).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    pub at: DateTime<Utc>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub actor_user_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub actor_api_key_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub organization_id: Option<String>,
    /// The request, as method and route: `POST /api/v1/contracts/{id}/approve`.
    pub action: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Uuid)]
    pub entity_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hash: Option<String>,
}

impl From<AuditRow> for AuditEventView {
    fn from(r: AuditRow) -> AuditEventView {
        AuditEventView {
            id: r.id,
            seq: r.seq,
            at: utc(r.at),
            actor_user_id: r.actor_user_id,
            actor_api_key_id: r.actor_api_key_id,
            organization_id: r.organization_id,
            action: r.action,
            entity_id: r.entity_id,
            request_id: r.request_id,
            hash: r.hash,
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// Events about this resource.
    pub entity_id: Option<String>,
    /// Events of this organisation's users and keys.
    pub organization_id: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u32>,
    pub cursor: Option<String>,
}

/// Audit events, oldest first (the ministry).
#[utoipa::path(operation_id = "listAuditEvents", tag = "audit", params(AuditQuery), responses((status = 200, description = "One page", body = Page<AuditEventView>)))]
#[get("")]
pub async fn list(
    state: web::Data<AppState>,
    auth: Authenticated,
    req: HttpRequest,
    query: Query<AuditQuery>,
) -> Result<HttpResponse, Error> {
    let query = query.into_inner();
    // A bad page is refused only once the caller may read the log (403 before 400).
    let asked = page(query.limit, query.cursor);
    let first = asked.clone().or_else(|_| page(None, None))?;
    let filter = AuditFilter {
        entity_id: query.entity_id,
        organization_id: query.organization_id,
    };
    lists::answer(
        &state,
        auth,
        &req,
        first,
        "audit",
        move |conn, caller, page| {
            let window = asked
                .as_ref()
                .map(|_| (page.after.as_deref(), page.fetch()))
                .map_err(Clone::clone);
            let rows = audit_cases::list(conn, caller, &filter, window)?;
            Ok(page.show(rows, |r| &r.id, AuditEventView::from))
        },
    )
    .await
}

#[derive(Serialize, ToSchema)]
pub struct Verification {
    /// Whether every sealed event's hash and link are as recorded.
    pub ok: bool,
    /// Sealed events checked.
    pub events: i64,
    /// Events written but not sealed yet.
    pub pending: i64,
    /// The first broken link: its position in the chain (and the event's id, if it still exists).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_broken: Option<BrokenLink>,
}

#[derive(Serialize, ToSchema)]
pub struct BrokenLink {
    pub seq: i64,
    #[serde(skip_serializing_if = "String::is_empty")]
    #[schema(format = Uuid)]
    pub id: String,
}

/// Seals what is pending, then recomputes the whole chain (the ministry).
#[utoipa::path(operation_id = "verifyAuditChain", tag = "audit", responses((status = 200, description = "The result", body = Verification)))]
#[get("/verify")]
pub async fn verify(
    state: web::Data<AppState>,
    auth: Authenticated,
) -> Result<HttpResponse, Error> {
    let v = state.read(auth, audit_cases::verify).await?;
    Ok(HttpResponse::Ok().json(Verification {
        ok: v.first_broken.is_none(),
        events: v.events,
        pending: v.pending,
        first_broken: v.first_broken.map(|(seq, id)| BrokenLink { seq, id }),
    }))
}
