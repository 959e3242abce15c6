//! Probes and Prometheus metrics, outside `/api/v1`.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::{ApiError, Problem};
use crate::startup::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct HealthResponse {
    pub status: String,
}

/// The process is up.
#[utoipa::path(get, path = "/healthz", tag = "operations", responses((status = 200, description = "Alive", body = HealthResponse)))]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(HealthResponse {
        status: "ok".to_owned(),
    })
}

/// The database answers.
#[utoipa::path(get, path = "/readyz", tag = "operations", responses(
    (status = 200, description = "Ready", body = HealthResponse), (status = 503, description = "The database is unreachable", body = Problem)))]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match state.store.ping().await {
        Ok(()) => Ok(HttpResponse::Ok().json(HealthResponse {
            status: "ready".to_owned(),
        })),
        Err(error) => {
            tracing::warn!(error = %error, "Readiness check failed");
            Err(ApiError::Unavailable)
        }
    }
}

/// Prometheus text: request counts and latencies by route and status; the
/// domain (requests filed, events, SLA breaches, open and overdue requests
/// by level); live streams, the connection pool and background jobs;
/// webhook delivery. docs/operations.md lists them all.
#[utoipa::path(get, path = "/metrics", tag = "operations", responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    state
        .scrape_gauges
        .refresh(&state.store, state.hub.open_streams())
        .await;
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4; charset=utf-8")
        .body(state.prometheus.render())
}
