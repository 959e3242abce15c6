//! `GET /api/v1/initiatives/{id}`.

use actix_web::{HttpResponse, web};
use upturn_domain::policy::Action;
use upturn_persistence::initiatives::InitiativeView;
use uuid::Uuid;

use super::{InitiativeResponse, ok};
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

/// Read one initiative and its counts (managers, services, leaders).
#[utoipa::path(
    get, path = "/api/v1/initiatives/{id}", tag = "initiatives",
    params(("id" = Uuid, Path)),
    responses(
        (status = 200, description = "The initiative", body = InitiativeResponse, headers(("ETag" = String))),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Front line and admins have no access to initiatives", body = Problem),
        (status = 404, description = "No such initiative", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn get_initiative(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(ok(&initiative_of(&state, &caller, *id).await?))
}

/// One initiative and its counts.
pub async fn initiative_of(
    state: &AppState,
    caller: &Authenticated,
    id: Uuid,
) -> Result<InitiativeView, ApiError> {
    caller.may(Action::ReadInitiative)?;
    Ok(state.store.initiative_for(&caller.actor(), id).await?)
}
