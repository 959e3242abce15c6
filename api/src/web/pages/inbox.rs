//! `/app/inbox`: what came back up the pyramid to the reader, in their
//! language (built from the event and the request, not from the stored
//! English summary), and the ticket the page's script opens the live
//! stream with.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use uuid::Uuid;

use super::render;
use super::sign_in::CsrfForm;
use crate::error::ApiError;
use crate::startup::AppState;
use crate::web::context::{Ctx, PageError};
use crate::web::shell::Shell;

pub struct Item {
    pub request_id: Uuid,
    pub reference: String,
    pub title: String,
    pub what: String,
    pub at: chrono::DateTime<chrono::Utc>,
    pub read: bool,
}

#[derive(Template)]
#[template(path = "web/inbox.html")]
struct InboxPage<'a> {
    shell: Shell<'a>,
    items: Vec<Item>,
}

pub async fn page(state: web::Data<AppState>, ctx: Ctx) -> Result<HttpResponse, PageError> {
    let member = ctx.member()?;
    let actor = member.actor();
    let page = state
        .store
        .inbox(member.id, None, 50)
        .await
        .map_err(|e| ctx.fail(e))?;
    // The page's requests in one query, not one per item.
    let ids: Vec<Uuid> = page.items.iter().map(|i| i.request_id).collect();
    let requests = state
        .store
        .requests_for(&actor, &ids)
        .await
        .map_err(|e| ctx.fail(e))?;
    let items = page
        .items
        .iter()
        .filter_map(|i| {
            let r = requests.get(&i.request_id)?;
            Some(Item {
                request_id: i.request_id,
                reference: r.reference(),
                title: r.title.clone(),
                what: ctx.tr.label("event", &i.event_type),
                at: i.at,
                read: i.read,
            })
        })
        .collect();
    let shell = Shell::new(&state, &ctx, "/app/inbox")
        .await
        .map_err(|e| ctx.fail(e))?;
    let body = render(&InboxPage { shell, items }).map_err(|e| ctx.fail(e))?;
    Ok(ctx.html(StatusCode::OK, body))
}

/// `POST /app/inbox/read`: every item read.
pub async fn read_all(
    state: web::Data<AppState>,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let member = ctx.member()?;
    let input: CsrfForm = super::form(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.csrf.as_deref())?;
    let page = state
        .store
        .inbox(member.id, None, 200)
        .await
        .map_err(|e| ctx.fail(e))?;
    for item in page.items.iter().filter(|i| !i.read) {
        state
            .store
            .mark_read(member.id, item.id)
            .await
            .map_err(|e| ctx.fail(e))?;
    }
    Ok(ctx.redirect("/app/inbox"))
}

/// `POST /app/stream-ticket` (with the CSRF token in `X-CSRF-Token`): a
/// one-minute ticket for `GET /api/v1/stream?ticket=…`.
pub async fn stream_ticket(
    state: web::Data<AppState>,
    ctx: Ctx,
    request: HttpRequest,
) -> Result<HttpResponse, PageError> {
    let member = ctx.member()?;
    let sent = request
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok());
    ctx.check_csrf(&state, sent)?;
    let (ticket, expires_in) = state
        .tokens
        .issue_stream_ticket(member)
        .map_err(|e| ctx.fail(ApiError::Internal(e)))?;
    Ok(HttpResponse::Created()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(serde_json::json!({ "ticket": ticket, "expires_in": expires_in })))
}
