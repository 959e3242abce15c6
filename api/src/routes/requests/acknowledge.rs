//! `POST /api/v1/requests/{id}/acknowledge`: the level holding the request
//! says "we have it".

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use upturn_domain::Command;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{RequestResponse, act, optional_note};
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http;
use crate::startup::AppState;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AcknowledgeBody {
    #[schema(
        max_length = 5000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
    /// The version you saw; stale → `409`.
    pub version: Option<i64>,
}

/// Acknowledge a new request at your level (it becomes yours).
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/acknowledge", tag = "requests",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you saw; stale → 412")),
    request_body(content = Option<AcknowledgeBody>),
    responses(
        (status = 200, description = "Acknowledged", body = RequestResponse, headers(("ETag" = String))),
        (status = 403, description = "Your unit does not hold the request", body = Problem),
        (status = 404, description = "Not visible", body = Problem),
        (status = 409, description = "Stale version", body = Problem),
        (status = 412, description = "Stale If-Match", body = Problem),
        (status = 422, description = "Not new", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn acknowledge(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: AcknowledgeBody = http::optional_json(&request, &body)?;
    let note =
        optional_note("note", input.note.as_deref()).map_err(|e| ApiError::Validation(vec![e]))?;
    act(
        &state,
        &caller,
        &request,
        *id,
        Command::Acknowledge { note },
        input.version,
    )
    .await
}
