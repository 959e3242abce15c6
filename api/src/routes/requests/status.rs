//! `POST /api/v1/requests/{id}/status`: start, resolve or decline.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use upturn_domain::Command;
use upturn_domain::values::Note;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{RequestResponse, act, optional_note};
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http;
use crate::startup::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusBody {
    /// `in_progress`, `resolved` or `declined`.
    #[schema(value_type = crate::openapi::TargetStatusName)]
    pub status: String,
    /// Required to resolve or decline: it goes back up to the front line.
    #[schema(
        max_length = 5000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
    pub version: Option<i64>,
}

/// Change a request's status. Resolving or declining sends it back up to
/// the filer's team (level `frontline`). While it is with the team's
/// managers, anyone of the filer's team may resolve it (front-line resolution).
impl StatusBody {
    /// The command this body asks for: the API's and the pages' one parse.
    pub fn try_into_command(&self) -> Result<Command, ApiError> {
        let required_note = || {
            Note::parse("note", self.note.as_deref().unwrap_or("")).map_err(|_| {
                ApiError::field(
                    "note",
                    "is required to resolve or decline: say what was done",
                )
            })
        };
        Ok(match self.status.as_str() {
            "in_progress" => Command::Start {
                note: optional_note("note", self.note.as_deref())
                    .map_err(|e| ApiError::Validation(vec![e]))?,
            },
            "resolved" => Command::Resolve {
                note: required_note()?,
            },
            "declined" => Command::Decline {
                note: required_note()?,
            },
            _ => {
                return Err(ApiError::field(
                    "status",
                    "must be one of: in_progress, resolved, declined",
                ));
            }
        })
    }
}

#[utoipa::path(
    post, path = "/api/v1/requests/{id}/status", tag = "requests",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = StatusBody,
    responses(
        (status = 200, description = "Changed", body = RequestResponse, headers(("ETag" = String))),
        (status = 403, description = "Your unit does not hold the request", body = Problem),
        (status = 404, description = "Not visible", body = Problem),
        (status = 409, description = "Stale version", body = Problem),
        (status = 412, description = "Stale If-Match", body = Problem),
        (status = 422, description = "Not allowed from the current status, or note missing", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn set_status(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: StatusBody = http::json(&request, &body)?;
    let command = input.try_into_command()?;
    act(&state, &caller, &request, *id, command, input.version).await
}
