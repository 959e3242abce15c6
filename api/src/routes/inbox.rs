//! `/api/v1/inbox`, `/api/v1/stream` and `/api/v1/requests/{id}/watch`:
//! what each member is told about the requests they filed, hold or watch.

use std::time::Duration;

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use upturn_domain::policy::{self, Action};
use upturn_persistence::inbox::InboxItem;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

/// Heartbeats keep idle streams open through proxies.
const HEARTBEAT: Duration = Duration::from_secs(15);

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxItemResponse {
    pub id: Uuid,
    pub request_id: Uuid,
    #[schema(value_type = crate::openapi::EventTypeName)]
    pub event_type: String,
    /// A one-line summary, e.g. `UP-000042 resolved by Purchasing: Trousers in size 44`.
    pub summary: String,
    pub at: DateTime<Utc>,
    pub read: bool,
}

impl From<&InboxItem> for InboxItemResponse {
    fn from(i: &InboxItem) -> Self {
        InboxItemResponse {
            id: i.id,
            request_id: i.request_id,
            event_type: i.event_type.clone(),
            summary: i.summary.clone(),
            at: i.at,
            read: i.read,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxPageResponse {
    pub items: Vec<InboxItemResponse>,
    pub next_cursor: Option<String>,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxParams {
    #[param(value_type = Option<u64>, minimum = 1, maximum = 200)]
    pub limit: Option<String>,
    pub cursor: Option<String>,
}

/// The caller's inbox, newest first.
#[utoipa::path(get, path = "/api/v1/inbox", tag = "inbox", params(InboxParams),
    responses((status = 200, description = "A page of items", body = InboxPageResponse), (status = 401, description = "Not authenticated", body = Problem)),
    security(("bearer" = [])))]
pub async fn inbox(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: web::Query<InboxParams>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::Inbox)?;
    let limit = match params.limit.as_deref().map(str::parse::<u64>) {
        None => 50,
        Some(Ok(limit @ 1..=200)) => limit,
        Some(_) => {
            return Err(ApiError::field(
                "limit",
                "must be a number between 1 and 200",
            ));
        }
    };
    let cursor = params
        .cursor
        .as_deref()
        .filter(|c| !c.is_empty())
        .map(|c| {
            c.parse::<i64>()
                .map_err(|_| ApiError::field("cursor", "is not a cursor this list gave"))
        })
        .transpose()?;
    let page = state.store.inbox(caller.0.id, cursor, limit).await?;
    Ok(HttpResponse::Ok().json(InboxPageResponse {
        items: page.items.iter().map(InboxItemResponse::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

/// Mark one of your inbox items read.
#[utoipa::path(post, path = "/api/v1/inbox/{id}/read", tag = "inbox", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The item, read", body = InboxItemResponse), (status = 404, description = "Not one of your items", body = Problem)),
    security(("bearer" = [])))]
pub async fn mark_read(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::Inbox)?;
    let item = state.store.mark_read(caller.0.id, *id).await?;
    Ok(HttpResponse::Ok().json(InboxItemResponse::from(&item)))
}

/// Follow a request you can see: its changes reach your inbox.
#[utoipa::path(post, path = "/api/v1/requests/{id}/watch", tag = "inbox", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Watching"), (status = 404, description = "Not visible", body = Problem)),
    security(("bearer" = [])))]
pub async fn watch(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.store.request_for(&caller.actor(), *id).await?;
    state.store.watch(caller.0.id, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Stop following a request.
#[utoipa::path(delete, path = "/api/v1/requests/{id}/watch", tag = "inbox", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Not watching any more"), (status = 404, description = "Not visible", body = Problem)),
    security(("bearer" = [])))]
pub async fn unwatch(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    state.store.request_for(&caller.actor(), *id).await?;
    state.store.unwatch(caller.0.id, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TicketResponse {
    /// Pass it as `GET /api/v1/stream?ticket=…` (EventSource cannot send headers).
    pub ticket: String,
    pub expires_in: i64,
}

/// A short-lived ticket to open the live stream from a browser.
#[utoipa::path(post, path = "/api/v1/stream/ticket", tag = "inbox",
    responses((status = 201, description = "A ticket valid for 60 seconds", body = TicketResponse), (status = 401, description = "Not authenticated", body = Problem)),
    security(("bearer" = [])))]
pub async fn ticket(
    state: web::Data<AppState>,
    caller: Authenticated,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::StreamTicket)?;
    let (ticket, expires_in) = state.tokens.issue_stream_ticket(&caller.0)?;
    Ok(HttpResponse::Created().json(TicketResponse { ticket, expires_in }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StreamParams {
    /// From `POST /api/v1/stream/ticket`, instead of a bearer token.
    pub ticket: Option<String>,
}

/// The live stream (Server-Sent Events) of the caller's inbox items.
///
/// Each item is an SSE `message` whose `id:` is a cursor valid on every
/// replica and whose `data:` is the inbox item JSON. Reconnect with
/// `Last-Event-ID` to get what was missed. A `: heartbeat` comment comes at
/// least every 15 s.
#[utoipa::path(get, path = "/api/v1/stream", tag = "inbox",
    params(StreamParams, ("Last-Event-ID" = Option<String>, Header, description = "Resume after this event")),
    responses((status = 200, description = "An event stream", content_type = "text/event-stream", body = String),
        (status = 401, description = "Not authenticated", body = Problem)),
    security(("bearer" = []), ()))]
pub async fn stream(
    state: web::Data<AppState>,
    request: HttpRequest,
    params: web::Query<StreamParams>,
) -> Result<HttpResponse, ApiError> {
    let member = match &params.ticket {
        Some(ticket) => {
            let (id, generation) = state
                .tokens
                .verify_stream_ticket(ticket)
                .ok_or(ApiError::Unauthenticated)?;
            crate::auth::member_of_generation(&state, id, generation).await?
        }
        None => {
            use actix_web::FromRequest;
            Authenticated::extract(&request).await?.0
        }
    };
    policy::permit(&member.actor(), &Action::Inbox)?;
    let last_event = request
        .headers()
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.trim()
                .parse::<i64>()
                .map_err(|_| ApiError::field("Last-Event-ID", "is not an id this stream gave"))
        })
        .transpose()?;
    let cursor = match last_event {
        Some(seq) => seq,
        None => state.store.inbox_cursor(member.id).await?,
    };
    let (sender, mut receiver) = tokio::sync::mpsc::channel::<Bytes>(16);
    tokio::spawn(feed(state.into_inner(), member.id, cursor, sender));
    let body = futures_util::stream::poll_fn(move |cx| {
        receiver
            .poll_recv(cx)
            .map(|b| b.map(Ok::<_, actix_web::Error>))
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// Sends a member's items after `cursor` into one stream until the client
/// goes away or the server shuts down. The channel is bounded: a slow client
/// holds back its own feed, never memory.
async fn feed(
    state: std::sync::Arc<AppState>,
    member: Uuid,
    mut cursor: i64,
    out: tokio::sync::mpsc::Sender<Bytes>,
) {
    let notify = state.hub.subscribe(member);
    let mut shutdown = state.shutdown.clone();
    if out
        .send(Bytes::from_static(b"retry: 2000\n: connected\n\n"))
        .await
        .is_err()
    {
        return;
    }
    loop {
        if *shutdown.borrow() {
            return;
        }
        // Boxed: an idle stream then keeps only a small task, not the
        // database call's state (this is what 5,000 open streams cost).
        let items = match Box::pin(state.store.inbox_after(member, cursor, 100)).await {
            Ok(items) => items,
            Err(error) => {
                tracing::warn!(error = %error, "A stream could not read its inbox");
                vec![]
            }
        };
        let full = items.len() == 100;
        for item in &items {
            let data = serde_json::to_string(&InboxItemResponse::from(item)).unwrap_or_default();
            let frame = format!("id: {}\nevent: message\ndata: {}\n\n", item.seq, data);
            if out.send(Bytes::from(frame)).await.is_err() {
                return;
            }
            cursor = item.seq;
        }
        if full {
            continue;
        }
        tokio::select! {
            () = notify.notified() => {}
            () = tokio::time::sleep(HEARTBEAT) => {
                if out.send(Bytes::from_static(b": heartbeat\n\n")).await.is_err() {
                    return;
                }
            }
            _ = shutdown.changed() => return,
        }
    }
}
