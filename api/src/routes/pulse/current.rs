//! `GET /api/v1/pulse/current`: this week's pulse, and whether the caller
//! has answered it.

use actix_web::{HttpResponse, web};
use upturn_domain::policy::Action;
use upturn_domain::pulse::Period;

use super::PulseStatusResponse;
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

/// This week's pulse (any member of a unit).
///
/// `period` is the current ISO week (Monday 00:00 UTC to the next Monday).
#[utoipa::path(
    get, path = "/api/v1/pulse/current", tag = "pulse",
    responses(
        (status = 200, description = "The current week and whether the caller answered it", body = PulseStatusResponse),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Members of a unit only (not admins)", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn current(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::CurrentPulse)?;
    let period = Period::of(state.store.clock().now());
    let answered = state.store.pulse_answered(caller.0.id, period).await?;
    Ok(HttpResponse::Ok().json(PulseStatusResponse::new(period, answered)))
}
