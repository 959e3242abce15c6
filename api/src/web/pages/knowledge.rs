//! `/app/knowledge?text=…`: how it was solved before, as a fragment the
//! intake page shows under what the member is typing (fetched by its script
//! a moment after typing stops). Each resolution can be taken as the note of
//! "I solved it on the spot" with one tap. The same operation as `GET
//! /api/v1/knowledge`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use upturn_persistence::KnownResolution;

use super::render;
use crate::routes::knowledge::knowledge_of;
use crate::startup::AppState;
use crate::web::context::{Ctx, PageError};
use crate::web::i18n::Tr;

/// Resolutions shown at intake.
const SHOWN: usize = 5;

#[derive(Debug, Deserialize)]
pub struct KnowledgeQuery {
    #[serde(default)]
    text: String,
}

#[derive(Template)]
#[template(path = "web/knowledge_partial.html")]
struct KnowledgePartial {
    tr: Tr,
    items: Vec<KnownResolution>,
}

pub async fn fragment(
    state: web::Data<AppState>,
    ctx: Ctx,
    query: web::Query<KnowledgeQuery>,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    // Words typed so far, as the search bounds them (a long paste is cut,
    // not refused: this is a hint, not a form).
    let text: String = query
        .text
        .chars()
        .filter(|c| !c.is_control())
        .take(200)
        .collect();
    let items = knowledge_of(&state, &caller, &text, SHOWN)
        .await
        .map_err(|e| ctx.fail(e))?;
    if items.is_empty() {
        return Ok(HttpResponse::NoContent().finish());
    }
    let body = render(&KnowledgePartial { tr: ctx.tr, items }).map_err(|e| ctx.fail(e))?;
    Ok(ctx.html(StatusCode::OK, body))
}
