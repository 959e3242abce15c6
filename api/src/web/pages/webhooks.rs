//! `/app/webhooks`: where leadership has request events sent — the list,
//! registering one (its signing secret shown on the answer and never
//! again), deleting one, and each one's recent deliveries — through the
//! same operations as `/api/v1/webhooks`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;
use serde::Deserialize;
use upturn_domain::model::EventType;
use upturn_persistence::webhooks::{DeliveryAttempt, Webhook};
use uuid::Uuid;

use super::intake::Choice;
use super::{Fields, Refused, correctable, render};
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::http::PageParams;
use crate::routes::webhooks::{
    WebhookBody, create_webhook_of, delete_webhook_of, deliveries_of, webhook_of, webhooks_of,
};
use crate::startup::AppState;
use crate::web::context::{Ctx, PageError};
use crate::web::i18n::Tr;
use crate::web::shell::Shell;

/// Deliveries shown per page.
const DELIVERIES_PER_PAGE: &str = "50";

/// A webhook as the pages show it, in words.
pub struct WebhookRow {
    pub w: Webhook,
    pub events: Vec<String>,
}

/// What the registration form holds, as typed.
#[derive(Default)]
pub struct WebhookValues {
    pub url: String,
    pub description: String,
}

#[derive(Template)]
#[template(path = "web/webhooks.html")]
struct WebhooksPage<'a> {
    shell: Shell<'a>,
    webhooks: Vec<WebhookRow>,
    more: Option<String>,
    values: WebhookValues,
    events: Vec<Choice>,
    error: Option<Refused>,
}

#[derive(Template)]
#[template(path = "web/webhook_created.html")]
struct CreatedPage<'a> {
    shell: Shell<'a>,
    row: WebhookRow,
    secret: String,
}

#[derive(Template)]
#[template(path = "web/webhook.html")]
struct WebhookPage<'a> {
    shell: Shell<'a>,
    row: WebhookRow,
    deliveries: Vec<DeliveryAttempt>,
    older: Option<String>,
}

fn row(tr: Tr, w: Webhook) -> WebhookRow {
    WebhookRow {
        events: w.events.iter().map(|e| tr.label("event", e)).collect(),
        w,
    }
}

fn event_choices(tr: Tr, ticked: &[String]) -> Vec<Choice> {
    EventType::ALL
        .iter()
        .map(|e| {
            let e = e.as_str();
            Choice {
                value: e.to_owned(),
                label: tr.label("event", e),
                hint: None,
                selected: ticked.iter().any(|t| t == e),
            }
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    after: Option<String>,
}

async fn webhooks_page(
    state: &AppState,
    ctx: &Ctx,
    caller: &Authenticated,
    after: Option<String>,
    typed: Option<(WebhookValues, Vec<String>, &ApiError)>,
) -> Result<String, ApiError> {
    let tr = ctx.tr;
    let page = PageParams {
        limit: Some("100".to_owned()),
        cursor: after,
    };
    let webhooks = webhooks_of(state, caller, &page).await?;
    let (values, ticked, error) = match typed {
        Some((values, ticked, error)) => (values, ticked, Some(Refused::new(&tr, error))),
        None => (WebhookValues::default(), Vec::new(), None),
    };
    let shell = Shell::new(state, ctx, "/app/webhooks").await?;
    render(&WebhooksPage {
        shell,
        webhooks: webhooks.items.into_iter().map(|w| row(tr, w)).collect(),
        more: webhooks.next_cursor,
        values,
        events: event_choices(tr, &ticked),
        error,
    })
}

/// `GET /app/webhooks` (leaders; anyone else gets the API's `403`).
pub async fn page(
    state: web::Data<AppState>,
    ctx: Ctx,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let body = webhooks_page(&state, &ctx, &caller, query.into_inner().after, None)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(ctx.html(StatusCode::OK, body))
}

/// `POST /app/webhooks`: registers a webhook and answers `201` with its
/// secret, this once (a reload does not show it again: the page is never
/// stored, and the secret is not kept anywhere a page could read it).
pub async fn create(
    state: web::Data<AppState>,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let input = Fields::parse(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.one("csrf"))?;
    let values = WebhookValues {
        url: input.text("url"),
        description: input.text("description"),
    };
    let events = input.all("events");
    let webhook = WebhookBody {
        url: values.url.clone(),
        events: events.clone(),
        description: Some(values.description.clone()),
    };
    match create_webhook_of(&state, &caller, &webhook, None).await {
        Ok(created) => {
            let secret = created.secret.expose().to_owned();
            let shell = Shell::new(&state, &ctx, "/app/webhooks")
                .await
                .map_err(|e| ctx.fail(e))?;
            let body = render(&CreatedPage {
                shell,
                row: row(ctx.tr, created.webhook),
                secret,
            })
            .map_err(|e| ctx.fail(e))?;
            Ok(ctx.html(StatusCode::CREATED, body))
        }
        Err(error) if correctable(&error) => {
            let body = webhooks_page(&state, &ctx, &caller, None, Some((values, events, &error)))
                .await
                .map_err(|e| ctx.fail(e))?;
            Ok(ctx.html(error.status_code(), body))
        }
        Err(error) => Err(ctx.fail(error)),
    }
}

fn path_id(ctx: &Ctx, raw: &str) -> Result<Uuid, PageError> {
    Uuid::parse_str(raw).map_err(|_| ctx.fail(ApiError::NotFound))
}

/// `GET /app/webhooks/{id}`: a webhook and its recent deliveries, newest
/// first (`?after=` for older ones).
pub async fn webhook(
    state: web::Data<AppState>,
    ctx: Ctx,
    id: web::Path<String>,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let id = path_id(&ctx, &id)?;
    let fail = |e| ctx.fail(e);
    let w = webhook_of(&state, &caller, id).await.map_err(fail)?;
    let page = PageParams {
        limit: Some(DELIVERIES_PER_PAGE.to_owned()),
        cursor: query.into_inner().after,
    };
    let deliveries = deliveries_of(&state, &caller, id, &page)
        .await
        .map_err(fail)?;
    let shell = Shell::new(&state, &ctx, "/app/webhooks")
        .await
        .map_err(fail)?;
    let body = render(&WebhookPage {
        shell,
        row: row(ctx.tr, w),
        deliveries: deliveries.items,
        older: deliveries.next_cursor,
    })
    .map_err(fail)?;
    Ok(ctx.html(StatusCode::OK, body))
}

/// `POST /app/webhooks/{id}/delete`.
pub async fn delete(
    state: web::Data<AppState>,
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let id = path_id(&ctx, &id)?;
    let input = Fields::parse(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.one("csrf"))?;
    delete_webhook_of(&state, &caller, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(ctx.redirect("/app/webhooks"))
}
