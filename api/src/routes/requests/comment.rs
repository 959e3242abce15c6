//! `POST /api/v1/requests/{id}/comments`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use upturn_domain::Command;
use upturn_domain::lifecycle::{Event, Request};
use upturn_domain::values::Note;
use upturn_persistence::Expectation;
use utoipa::ToSchema;
use uuid::Uuid;

use super::EventResponse;
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http;
use crate::startup::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct CommentBody {
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub body: String,
    /// Internal comments are for staff only (never on the tracking page).
    #[serde(default)]
    pub internal: bool,
}

fn location(request_id: Uuid, event_id: Uuid) -> String {
    format!("/api/v1/requests/{request_id}/events/{event_id}")
}

fn answer((_, event): &(Request, Event)) -> http::Answer<EventResponse> {
    http::Answer {
        location: location(event.request_id, event.id),
        version: None,
        body: EventResponse::from(event),
    }
}

/// Comment on a request you can see. Honours `Idempotency-Key`.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/comments", tag = "requests",
    params(("id" = Uuid, Path), ("Idempotency-Key" = Option<String>, Header)),
    request_body = CommentBody,
    responses(
        (status = 201, description = "The comment's event", body = EventResponse, headers(("Location" = String))),
        (status = 404, description = "Not visible", body = Problem),
        (status = 422, description = "Empty comment, or idempotency key reused", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn comment(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: CommentBody = http::json(&request, &body)?;
    let text = Note::parse("body", &input.body).map_err(|e| ApiError::Validation(vec![e]))?;
    let actor = caller.actor();
    let id = *id;
    let operation = format!("POST /api/v1/requests/{id}/comments");
    let store = state.store.clone();
    http::create(
        &store,
        &request,
        actor.id,
        &operation,
        &body,
        answer,
        |idem| async move {
            let command = Command::Comment {
                body: text,
                internal: input.internal,
            };
            Ok(state
                .store
                .apply(&actor, id, command, Expectation::default(), idem)
                .await?)
        },
    )
    .await
}
