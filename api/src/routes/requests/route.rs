//! `POST /api/v1/requests/{id}/route`: send a request down the pyramid.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use upturn_domain::Command;
use upturn_domain::lifecycle::RouteTarget;
use upturn_domain::values::Note;
use upturn_persistence::StoreError;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{RequestResponse, act};
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http;
use crate::startup::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct RouteBody {
    /// A service unit or the leadership unit, below the current level.
    /// Without it the first matching routing rule decides.
    pub to_unit_id: Option<Uuid>,
    /// Why it goes down, for the unit receiving it.
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: String,
    pub version: Option<i64>,
}

/// Route a request down: manager → service → leadership (skipping allowed).
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/route", tag = "requests",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = RouteBody,
    responses(
        (status = 200, description = "Routed: `new` at the target level", body = RequestResponse, headers(("ETag" = String))),
        (status = 403, description = "Your unit does not hold the request", body = Problem),
        (status = 404, description = "Not visible", body = Problem),
        (status = 409, description = "Stale version", body = Problem),
        (status = 412, description = "Stale If-Match", body = Problem),
        (status = 422, description = "Not down the pyramid, not open, no such unit or no matching rule", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn route(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: RouteBody = http::json(&request, &body)?;
    let note = Note::parse("note", &input.note).map_err(|e| ApiError::Validation(vec![e]))?;
    let command = route_command(&state, &caller.actor(), *id, input.to_unit_id, note).await?;
    act(&state, &caller, &request, *id, command, input.version).await
}

/// The command that routes request `id` down to `to_unit_id`, or, without
/// it, to the target of leadership's first matching rule: for the API and
/// the pages alike.
pub async fn route_command(
    state: &AppState,
    actor: &upturn_domain::Actor,
    id: Uuid,
    to_unit_id: Option<Uuid>,
    note: Note,
) -> Result<Command, ApiError> {
    // Visibility first: a request the caller cannot see is 404 whatever the body says.
    let record = state.store.record_for(actor, id).await?;
    upturn_domain::lifecycle::may_route(&record.request, &record.routed_units, actor)?;
    let current = record.request;
    let unit_id = match to_unit_id {
        Some(unit_id) => unit_id,
        None => {
            // No unit named: leadership's first matching rule decides.
            let rules = state.store.routing_rules().await?;
            let subject = upturn_domain::routing::Subject::from(&current);
            upturn_domain::routing::first_match(&rules, &subject)
                .map(|rule| rule.target.unit_id)
                .ok_or(ApiError::NoMatchingRule)?
        }
    };
    let unit = match state.store.unit(unit_id).await {
        Ok(unit) => unit,
        Err(StoreError::NotFound) => return Err(ApiError::field("to_unit_id", "no such unit")),
        Err(other) => return Err(other.into()),
    };
    Ok(Command::Route {
        to: RouteTarget {
            unit_id: unit.id,
            kind: unit.kind,
        },
        note,
    })
}
