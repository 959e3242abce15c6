//! `/t/{code}`: the customer's tracking page (the QR code's target), in the
//! customer's language, with nothing of the staff's: the same public view
//! as `GET /api/v1/track/{code}`.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::render;
use crate::routes::track::{TrackResponse, lookup};
use crate::startup::AppState;
use crate::web::context::{Ctx, PageError};
use crate::web::shell::Shell;

#[derive(Template)]
#[template(path = "web/track.html")]
struct TrackPage<'a> {
    shell: Shell<'a>,
    code: String,
    tracked: TrackResponse,
    /// Steps done, out of the four a customer sees.
    step: usize,
}

fn step(status: &str) -> usize {
    match status {
        "new" => 1,
        "acknowledged" | "in_progress" => 2,
        "resolved" | "declined" => 3,
        _ => 4,
    }
}

pub async fn page(
    state: web::Data<AppState>,
    ctx: Ctx,
    request: HttpRequest,
    code: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let tracked = lookup(&state, &request, &code)
        .await
        .map_err(|e| ctx.fail(e))?;
    // The customer's page: no staff navigation even for a signed-in member.
    let mut shell = Shell::new(&state, &ctx, "")
        .await
        .map_err(|e| ctx.fail(e))?;
    shell.me = None;
    shell.nav.clear();
    let body = render(&TrackPage {
        shell,
        code: code.trim().to_uppercase(),
        step: step(&tracked.status),
        tracked,
    })
    .map_err(|e| ctx.fail(e))?;
    Ok(ctx.html(StatusCode::OK, body))
}
