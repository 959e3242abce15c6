//! `POST /api/v1/pulse/responses`: a member answers this week's pulse.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use upturn_domain::pulse::{Period, PulseAnswer};
use upturn_domain::values::{Errors, PulseComment};
use utoipa::ToSchema;

use super::{PulseStatusResponse, answering_unit};
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http;
use crate::startup::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct PulseAnswerBody {
    /// 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    pub happiness: i64,
    /// 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    pub pleasure: i64,
    /// 1 to 5.
    #[schema(minimum = 1, maximum = 5)]
    pub engagement: i64,
    /// Optional, at most 1,000 characters; trimmed, and left out when blank.
    /// Shown verbatim to leaders when the unit's figures are shown.
    #[schema(
        max_length = 1000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub comment: Option<String>,
}

impl PulseAnswerBody {
    pub fn try_into_domain(self) -> Result<(PulseAnswer, Option<PulseComment>), ApiError> {
        let mut errors = Errors::default();
        let answer = match PulseAnswer::parse(self.happiness, self.pleasure, self.engagement) {
            Ok(answer) => Some(answer),
            Err(fields) => {
                fields.into_iter().for_each(|e| errors.push(e));
                None
            }
        };
        let comment = errors.take(
            self.comment
                .as_deref()
                .filter(|c| !c.trim().is_empty())
                .map(|c| PulseComment::parse("comment", c))
                .transpose(),
        );
        match (answer, comment) {
            (Some(answer), Some(comment)) => Ok((answer, comment)),
            _ => Err(ApiError::Validation(errors.into_vec())),
        }
    }
}

/// Answer this week's pulse (any member of a unit), once per week.
///
/// The answer is stored with the caller's unit and the ISO week only, never
/// with the caller; that the caller answered is recorded apart and cannot
/// be linked to the answer. A second answer in the same week is `409
/// already_answered`.
///
/// `Idempotency-Key` is deliberately not supported here: honouring it means
/// storing the key and a hash of the body beside the member id, which would
/// link the member to their answer. A retry after a lost response safely
/// gets `409 already_answered`; `GET /pulse/current` then says `answered: true`.
#[utoipa::path(
    post, path = "/api/v1/pulse/responses", tag = "pulse",
    request_body = PulseAnswerBody,
    responses(
        (status = 201, description = "Answered", body = PulseStatusResponse, headers(("Location" = String, description = "/api/v1/pulse/current"))),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Members of a unit only (not admins)", body = Problem),
        (status = 409, description = "Already answered this week (`already_answered`)", body = Problem),
        (status = 415, description = "Not JSON", body = Problem),
        (status = 422, description = "A score is not 1 to 5, or the comment is too long", body = Problem),
    ),
    security(("bearer" = []))
)]
// Neither the member nor the answer goes to the log.
#[tracing::instrument(name = "answer the pulse", skip_all)]
pub async fn answer(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let unit_id = answering_unit(&caller)?;
    let input: PulseAnswerBody = http::json(&request, &body)?;
    let period = answer_of(&state, &caller, unit_id, input).await?;
    Ok(http::created("/api/v1/pulse/current").json(PulseStatusResponse::new(period, true)))
}

/// Records the caller's answer for this week, for the API and the pulse
/// page alike; answers the week it counts for.
pub async fn answer_of(
    state: &AppState,
    caller: &Authenticated,
    unit_id: uuid::Uuid,
    input: PulseAnswerBody,
) -> Result<Period, ApiError> {
    let (answer, comment) = input.try_into_domain()?;
    let period = Period::of(state.store.clock().now());
    state
        .store
        .answer_pulse(caller.0.id, unit_id, period, answer, comment)
        .await?;
    Ok(period)
}
