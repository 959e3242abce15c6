//! `GET /api/v1/track/{code}`: what a customer sees with their tracking
//! code and no account. Public status only: never internal notes, staff
//! names, units or other customers' data.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use upturn_domain::model::Status;
use utoipa::ToSchema;

use crate::client_address::client_address;
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct TrackHistoryItem {
    #[schema(value_type = crate::openapi::StatusName)]
    pub status: String,
    pub at: DateTime<Utc>,
}

/// The initiative a request is part of, as its customer sees it.
#[derive(Debug, Serialize, ToSchema)]
pub struct TrackInitiative {
    /// `planned`, `in_progress`, `done` or `dropped`.
    #[schema(value_type = crate::openapi::InitiativeStatusName)]
    pub status: String,
    /// What the organisation tells every customer waiting on it.
    pub public_note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrackResponse {
    pub reference: String,
    #[schema(value_type = crate::openapi::StatusName)]
    pub status: String,
    pub updated_at: DateTime<Utc>,
    /// The answer given, once resolved or declined.
    pub resolution_note: Option<String>,
    pub history: Vec<TrackHistoryItem>,
    /// When the request was gathered with others under one initiative:
    /// its status and public note (never its title, unit or staff).
    pub initiative: Option<TrackInitiative>,
}

/// Follow a request as its customer.
#[utoipa::path(get, path = "/api/v1/track/{code}", tag = "public", params(("code" = String, Path, example = "K7QF-2M9X")),
    responses((status = 200, description = "The public status", body = TrackResponse),
        (status = 404, description = "Unknown code", body = Problem), (status = 429, description = "Too many lookups", body = Problem)))]
pub async fn track(
    state: web::Data<AppState>,
    request: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(lookup(&state, &request, &code).await?))
}

/// What a customer may see of the request behind `code`, for the API and
/// the tracking page alike (rate-limited per client address).
pub async fn lookup(
    state: &AppState,
    request: &HttpRequest,
    code: &str,
) -> Result<TrackResponse, ApiError> {
    let client = client_address(request, &state.trusted_proxies);
    state.track_limiter.check(client)?;
    let code = code.trim().to_uppercase();
    if code.len() > 16 {
        return Err(ApiError::NotFound);
    }
    let tracked = state.store.tracked(&code).await?;
    let r = &tracked.request;
    let public_note = matches!(
        r.status,
        Status::Resolved | Status::Declined | Status::Closed
    )
    .then(|| r.resolution_note.clone())
    .flatten();
    Ok(TrackResponse {
        reference: r.reference(),
        status: r.status.as_str().to_owned(),
        updated_at: r.updated_at,
        resolution_note: public_note,
        history: tracked
            .history
            .iter()
            .map(|(status, at)| TrackHistoryItem {
                status: status.as_str().to_owned(),
                at: *at,
            })
            .collect(),
        initiative: tracked.initiative.as_ref().map(|i| TrackInitiative {
            status: i.status.as_str().to_owned(),
            public_note: i.public_note.clone(),
        }),
    })
}
