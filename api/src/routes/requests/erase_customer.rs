//! `POST /api/v1/requests/{id}/erase-customer`: a leader erases the
//! customer's name and contact now (GDPR), rather than waiting for
//! `UPTURN_CUSTOMER_DATA_DAYS` after the request is closed.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{RequestResponse, ok};
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http;
use crate::startup::AppState;

#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct EraseCustomerBody {
    /// The version you saw; stale → `409`.
    pub version: Option<i64>,
}

/// Erase the customer's name and contact (leaders).
///
/// The request keeps everything else: its texts, figures, timeline and
/// tracking code (the consent flag stays, so the customer can still follow
/// it). A `customer_data_erased` event says it happened, never what was
/// erased. Nothing left to erase: `200` with the request unchanged.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/erase-customer", tag = "requests",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header, description = "The ETag you saw; stale → 412")),
    request_body(content = Option<EraseCustomerBody>),
    responses(
        (status = 200, description = "Erased", body = RequestResponse, headers(("ETag" = String))),
        (status = 403, description = "Leaders only", body = Problem),
        (status = 404, description = "Not visible", body = Problem),
        (status = 409, description = "Stale version", body = Problem),
        (status = 412, description = "Stale If-Match", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn erase_customer(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: EraseCustomerBody = http::optional_json(&request, &body)?;
    let expect = upturn_persistence::Expectation {
        if_match: http::if_match(&request)?,
        version: input.version,
    };
    let erased = state
        .store
        .erase_customer(&caller.actor(), *id, expect)
        .await?;
    Ok(ok(&erased))
}
