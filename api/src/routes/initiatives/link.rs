//! `POST /api/v1/initiatives/{id}/requests`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use upturn_domain::policy::Action;
use upturn_persistence::initiatives::InitiativeView;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{InitiativeResponse, ok};
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http;
use crate::startup::AppState;

/// At most this many requests per call (a body of 1,000 ids is ~40 KiB).
pub const MAX_LINKED_PER_CALL: usize = 1000;

/// The requests to link.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkBody {
    /// Requests the caller can see; at most 1,000.
    #[schema(min_items = 1, max_items = 1000)]
    pub request_ids: Vec<Uuid>,
}

/// Link requests to an initiative (managers, services, leaders; any
/// initiative, requests they can see). All or nothing: one request the
/// caller cannot see makes the whole list `404`; requests that cannot be
/// linked are `422` with one field error each (`request_ids[i]`); requests
/// already linked to this initiative are skipped. A linked open request
/// moves to the initiative's unit, `in_progress`; an answered one only
/// hears of it.
#[utoipa::path(
    post, path = "/api/v1/initiatives/{id}/requests", tag = "initiatives", request_body = LinkBody,
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The initiative, with its new counts", body = InitiativeResponse, headers(("ETag" = String))),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Front line and admins link nothing", body = Problem),
        (status = 404, description = "No such initiative, or a request the caller cannot see", body = Problem),
        (status = 422, description = "Requests that cannot be linked (per index), or a done or dropped initiative (`invalid_transition`)", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn link_requests(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::LinkToInitiative)?;
    let input: LinkBody = http::json(&request, &body)?;
    Ok(ok(&link_requests_of(&state, &caller, *id, &input).await?))
}

/// Links requests to an initiative, for the API and the initiative's page
/// alike: all of them, or none.
pub async fn link_requests_of(
    state: &AppState,
    caller: &Authenticated,
    id: Uuid,
    input: &LinkBody,
) -> Result<InitiativeView, ApiError> {
    caller.may(Action::LinkToInitiative)?;
    if input.request_ids.is_empty() {
        return Err(ApiError::field(
            "request_ids",
            "must name at least one request",
        ));
    }
    if input.request_ids.len() > MAX_LINKED_PER_CALL {
        return Err(ApiError::field(
            "request_ids",
            format!("must name at most {MAX_LINKED_PER_CALL} requests per call"),
        ));
    }
    Ok(state
        .store
        .link_requests(&caller.actor(), id, &input.request_ids)
        .await?)
}
