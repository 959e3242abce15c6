//! `GET /api/v1/requests/{id}/events`: the timeline, oldest first.

use actix_web::{HttpResponse, web};
use uuid::Uuid;

use super::EventResponse;
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http::{PageParams, Paged};
use crate::startup::AppState;

/// Read a request's timeline: every change, append-only, oldest first.
#[utoipa::path(
    get, path = "/api/v1/requests/{id}/events", tag = "requests",
    params(("id" = Uuid, Path), PageParams),
    responses(
        (status = 200, description = "A page of events", body = Paged<EventResponse>),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 404, description = "No such request, or not visible to the caller", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn list_events(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = state
        .store
        .events_for(&caller.actor(), *id, page.cursor()?, page.limit()?)
        .await?;
    Ok(HttpResponse::Ok().json(Paged::<EventResponse>::new(page)))
}

/// Read one event of a request's timeline.
#[utoipa::path(
    get, path = "/api/v1/requests/{id}/events/{event_id}", tag = "requests",
    params(("id" = Uuid, Path), ("event_id" = Uuid, Path)),
    responses(
        (status = 200, description = "The event", body = EventResponse),
        (status = 404, description = "No such event, or not visible to the caller", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn get_event(
    state: web::Data<AppState>,
    caller: Authenticated,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, event_id) = path.into_inner();
    let event = state.store.event_for(&caller.actor(), id, event_id).await?;
    Ok(HttpResponse::Ok().json(EventResponse::from(&event)))
}
