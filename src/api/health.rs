//! Liveness and readiness, for load balancers and orchestrators (no credentials needed), and the
//! metrics for the operators' scraper (its own token).

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::error::Error;
use crate::state::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    pub status: &'static str,
    /// `sqlite` or `postgres` (readiness only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub database: Option<&'static str>,
}

/// The process is up.
#[utoipa::path(operation_id = "healthLive", tag = "health", responses((status = 200, description = "Alive", body = Health)))]
#[get("/health/live")]
pub async fn live() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        database: None,
    })
}

/// The process can serve: its database answers.
#[utoipa::path(
    operation_id = "healthReady",
    tag = "health",
    responses(
        (status = 200, description = "Ready", body = Health),
        (status = 503, description = "The database is unreachable", body = crate::api::problem::ProblemDetails, content_type = "application/problem+json"),
    )
)]
#[get("/health/ready")]
pub async fn ready(state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    state
        .db(|conn| crate::storage::ping(conn).map_err(|_| Error::unavailable()))
        .await
        .map_err(|_| Error::unavailable())?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok",
        database: Some(state.settings.database_url.backend_name()),
    }))
}

/// `GET /metrics`, in the Prometheus text format, for the bearer of `ETRACK_METRICS_TOKEN` only
/// (not part of the API: no OpenAPI entry). Without a token configured there is no such page.
pub async fn metrics(req: HttpRequest, state: web::Data<AppState>) -> Result<HttpResponse, Error> {
    let Some(token) = &state.settings.metrics_token else {
        return Err(Error::not_found());
    };
    let given = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    // Compared as digests, so the time taken says nothing about the token.
    if Sha256::digest(given.as_bytes()) != Sha256::digest(token.expose().as_bytes()) {
        return Err(Error::unauthorized());
    }
    let state = state.into_inner();
    let pool = state.pool.state();
    let mut gauges = state
        .db(|conn| crate::storage::metrics::gauges(conn).map_err(Error::from))
        .await?;
    gauges.pool_size = state.pool.max_size();
    gauges.pool_connections = pool.connections;
    gauges.pool_idle = pool.idle_connections;
    Ok(HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.metrics.render(&gauges)))
}
