//! `GET /api/v1/initiatives`.

use actix_web::{HttpResponse, web};
use upturn_domain::policy::Action;
use upturn_persistence::Page;
use upturn_persistence::initiatives::InitiativeView;

use super::InitiativeResponse;
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http::{PageParams, Paged};
use crate::startup::AppState;

/// List initiatives, most asked for first: by linked requests, then
/// customers waiting, then teams, then newest (managers, services, leaders).
#[utoipa::path(
    get, path = "/api/v1/initiatives", tag = "initiatives", params(PageParams),
    responses(
        (status = 200, description = "A page of initiatives", body = Paged<InitiativeResponse>),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Front line and admins have no access to initiatives", body = Problem),
        (status = 422, description = "Bad limit or cursor", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn list_initiatives(
    state: web::Data<AppState>,
    caller: Authenticated,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = initiatives_of(&state, &caller, &page).await?;
    Ok(HttpResponse::Ok().json(Paged::<InitiativeResponse>::new(page)))
}

/// The initiatives, most asked for first (`upturn_domain::initiative::by_demand`),
/// a page at a time: for the API and the initiatives page alike.
pub async fn initiatives_of(
    state: &AppState,
    caller: &Authenticated,
    page: &PageParams,
) -> Result<Page<InitiativeView>, ApiError> {
    caller.may(Action::ListInitiatives)?;
    let cursor = page.cursor.as_deref().filter(|c| !c.is_empty());
    Ok(state
        .store
        .list_initiatives(&caller.actor(), cursor, page.limit()?)
        .await?)
}
