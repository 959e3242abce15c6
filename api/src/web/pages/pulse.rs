//! `/app/pulse`: this week's team pulse — three questions, 1 to 5, and an
//! optional comment — answered once, counted for the member's unit and
//! never with their name (the same operation as `POST /pulse/responses`).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use upturn_domain::pulse::Period;

use super::{error_words, form, render};
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::routes::pulse::answer::{PulseAnswerBody, answer_of};
use crate::routes::pulse::answering_unit;
use crate::startup::AppState;
use crate::web::context::{Ctx, PageError};
use crate::web::shell::Shell;

#[derive(Template)]
#[template(path = "web/pulse.html")]
struct PulsePage<'a> {
    shell: Shell<'a>,
    period: String,
    answered: bool,
    thanks: bool,
    min_group: u64,
    questions: [&'static str; 3],
    error: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct PulseQuery {
    thanks: Option<String>,
}

async fn show(
    state: &AppState,
    ctx: &Ctx,
    thanks: bool,
    error: Option<ApiError>,
) -> Result<HttpResponse, PageError> {
    let member = ctx.member()?;
    let caller = Authenticated(member.clone());
    answering_unit(&caller).map_err(|e| ctx.fail(e))?;
    let period = Period::of(state.store.clock().now());
    let answered = state
        .store
        .pulse_answered(member.id, period)
        .await
        .map_err(|e| ctx.fail(e))?;
    let status = error
        .as_ref()
        .map(actix_web::ResponseError::status_code)
        .unwrap_or(StatusCode::OK);
    let shell = Shell::new(state, ctx, "/app/pulse")
        .await
        .map_err(|e| ctx.fail(e))?;
    let body = render(&PulsePage {
        shell,
        period: period.to_string(),
        answered,
        thanks,
        min_group: state.min_group.get(),
        questions: ["happiness", "pleasure", "engagement"],
        error: error.map(|e| error_words(&ctx.tr, &e).0),
    })
    .map_err(|e| ctx.fail(e))?;
    Ok(ctx.html(status, body))
}

/// `GET /app/pulse`.
pub async fn page(
    state: web::Data<AppState>,
    ctx: Ctx,
    query: web::Query<PulseQuery>,
) -> Result<HttpResponse, PageError> {
    show(&state, &ctx, query.thanks.is_some(), None).await
}

#[derive(Debug, Deserialize)]
pub struct PulseForm {
    csrf: Option<String>,
    happiness: Option<String>,
    pleasure: Option<String>,
    engagement: Option<String>,
    comment: Option<String>,
}

/// A scale answer; an unanswered question is 0, which the domain refuses
/// with the question named.
fn score(raw: Option<&str>) -> i64 {
    raw.and_then(|r| r.trim().parse().ok()).unwrap_or(0)
}

/// `POST /app/pulse`.
pub async fn submit(
    state: web::Data<AppState>,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let member = ctx.member()?.clone();
    let input: PulseForm = form(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.csrf.as_deref())?;
    let caller = Authenticated(member);
    let unit_id = answering_unit(&caller).map_err(|e| ctx.fail(e))?;
    let answer = PulseAnswerBody {
        happiness: score(input.happiness.as_deref()),
        pleasure: score(input.pleasure.as_deref()),
        engagement: score(input.engagement.as_deref()),
        comment: input.comment,
    };
    match answer_of(&state, &caller, unit_id, answer).await {
        Ok(_) => Ok(ctx.redirect("/app/pulse?thanks=1")),
        Err(error @ (ApiError::Validation(_) | ApiError::AlreadyAnswered)) => {
            show(&state, &ctx, false, Some(error)).await
        }
        Err(other) => Err(ctx.fail(other)),
    }
}
