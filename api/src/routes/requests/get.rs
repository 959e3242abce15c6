//! `GET /api/v1/requests/{id}`.

use actix_web::{HttpResponse, web};
use uuid::Uuid;

use super::{RequestResponse, ok};
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

/// Read one request: its state, SLA deadlines and tracking code.
#[utoipa::path(
    get, path = "/api/v1/requests/{id}", tag = "requests",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The request", body = RequestResponse, headers(("ETag" = String))),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 404, description = "No such request, or not visible to the caller", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn get_request(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let request = state.store.request_for(&caller.actor(), *id).await?;
    Ok(ok(&request))
}
