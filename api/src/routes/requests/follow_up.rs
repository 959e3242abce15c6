//! `POST /api/v1/requests/{id}/follow-up`: what the customer said.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use upturn_domain::Command;
use upturn_domain::lifecycle::FollowUpInput;
use upturn_domain::values::{Errors, FieldError, Satisfaction, WouldRecommend};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{RequestResponse, act, optional_note};
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http;
use crate::startup::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct FollowUpBody {
    /// Whether the front line got back to the customer.
    pub customer_reached: bool,
    /// 1 to 5, when reached.
    #[schema(minimum = 1, maximum = 5)]
    pub satisfaction: Option<i64>,
    /// 0 to 10, when asked.
    #[schema(minimum = 0, maximum = 10)]
    pub would_recommend: Option<i64>,
    #[schema(
        max_length = 5000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: Option<String>,
    /// The customer is not satisfied: back to work at the level that answered.
    #[serde(default)]
    pub reopen: bool,
    pub version: Option<i64>,
}

impl FollowUpBody {
    pub fn try_into_domain(&self) -> Result<FollowUpInput, ApiError> {
        let mut errors = Errors::default();
        let satisfaction = errors.take(
            self.satisfaction
                .map(|s| Satisfaction::new("satisfaction", s))
                .transpose(),
        );
        let would_recommend = errors.take(
            self.would_recommend
                .map(|w| WouldRecommend::new("would_recommend", w))
                .transpose(),
        );
        let note = errors.take(optional_note("note", self.note.as_deref()));
        if !self.customer_reached {
            for (field, given) in [
                ("satisfaction", self.satisfaction.is_some()),
                ("would_recommend", self.would_recommend.is_some()),
            ] {
                if given {
                    errors.push(FieldError::new(
                        field,
                        "is only recorded when the customer was reached",
                    ));
                }
            }
        }
        match (satisfaction, would_recommend, note) {
            (Some(satisfaction), Some(would_recommend), Some(note)) if errors.is_empty() => {
                Ok(FollowUpInput {
                    customer_reached: self.customer_reached,
                    satisfaction,
                    would_recommend,
                    note,
                    reopen: self.reopen,
                })
            }
            _ => Err(ApiError::Validation(errors.into_vec())),
        }
    }
}

/// Record the customer follow-up: closes the request, or with `reopen`
/// puts it back `in_progress` where it was resolved.
#[utoipa::path(
    post, path = "/api/v1/requests/{id}/follow-up", tag = "requests",
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    request_body = FollowUpBody,
    responses(
        (status = 200, description = "Closed or reopened", body = RequestResponse, headers(("ETag" = String))),
        (status = 403, description = "Only the filer's team records follow-ups", body = Problem),
        (status = 404, description = "Not visible", body = Problem),
        (status = 409, description = "Stale version", body = Problem),
        (status = 412, description = "Stale If-Match", body = Problem),
        (status = 422, description = "Not resolved or declined, or invalid scores", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn follow_up(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: FollowUpBody = http::json(&request, &body)?;
    let command = Command::FollowUp(input.try_into_domain()?);
    act(&state, &caller, &request, *id, command, input.version).await
}
