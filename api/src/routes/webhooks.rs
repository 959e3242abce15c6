//! `/api/v1/webhooks`: where leadership wants request events sent, and the
//! log of every delivery attempt. Leaders only (`403` for anyone else).
//! The secret is in the `201` of the `POST` and nowhere else.

use actix_web::{HttpRequest, HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use upturn_domain::policy::Action;
use upturn_domain::values::{Errors, FieldError};
use upturn_domain::webhook::{WebhookEvents, WebhookSecret, WebhookUrl};
use upturn_persistence::webhooks::{CreatedWebhook, DeliveryAttempt, NewWebhook, Webhook};
use upturn_persistence::{Idem, Page};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http::{self, PageParams, Paged};
use crate::startup::AppState;

/// Characters of a description, at most.
const MAX_DESCRIPTION_CHARS: usize = 500;

#[derive(Debug, Deserialize, ToSchema)]
pub struct WebhookBody {
    /// An absolute `https` URL (or `http` to loopback where allowed).
    #[schema(max_length = 2048, pattern = "^https?://")]
    pub url: String,
    /// Timeline event types to deliver, e.g. `["filed", "resolved"]`.
    #[schema(value_type = Vec<crate::openapi::EventTypeName>, min_items = 1)]
    pub events: Vec<String>,
    #[schema(
        max_length = 500,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub description: Option<String>,
}

/// A webhook as listed (never its secret).
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookResponse {
    pub id: Uuid,
    pub url: String,
    #[schema(value_type = Vec<crate::openapi::EventTypeName>)]
    pub events: Vec<String>,
    pub description: Option<String>,
    /// `false` once disabled after 24 hours of failed deliveries.
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Since when deliveries fail; `null` while they succeed.
    pub failing_since: Option<DateTime<Utc>>,
    pub disabled_at: Option<DateTime<Utc>>,
}

impl From<&Webhook> for WebhookResponse {
    fn from(w: &Webhook) -> Self {
        WebhookResponse {
            id: w.id,
            url: w.url.clone(),
            events: w.events.clone(),
            description: w.description.clone(),
            active: w.active,
            created_at: w.created_at,
            failing_since: w.failing_since,
            disabled_at: w.disabled_at,
        }
    }
}

/// The answer to `POST /webhooks`: the only one that holds `secret`.
#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedWebhookResponse {
    pub id: Uuid,
    pub url: String,
    #[schema(value_type = Vec<crate::openapi::EventTypeName>)]
    pub events: Vec<String>,
    pub description: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// `whsec_…`: the HMAC-SHA256 key of `Upturn-Signature`. Shown once.
    pub secret: String,
}

/// One delivery attempt.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryResponse {
    pub event_id: Uuid,
    /// 1 for the first attempt at this event.
    pub attempt: i32,
    /// The receiver's status, `null` when none came back.
    pub status_code: Option<i32>,
    /// Why the attempt failed; `null` on success.
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}

impl From<&DeliveryAttempt> for DeliveryResponse {
    fn from(d: &DeliveryAttempt) -> Self {
        DeliveryResponse {
            event_id: d.event_id,
            attempt: d.attempt,
            status_code: d.status_code,
            error: d.error.clone(),
            at: d.at,
        }
    }
}

fn answer(created: &CreatedWebhook) -> http::Answer<CreatedWebhookResponse> {
    let w = &created.webhook;
    http::Answer {
        location: format!("/api/v1/webhooks/{}", w.id),
        version: None,
        body: CreatedWebhookResponse {
            id: w.id,
            url: w.url.clone(),
            events: w.events.clone(),
            description: w.description.clone(),
            active: w.active,
            created_at: w.created_at,
            secret: created.secret.expose().to_owned(),
        },
    }
}

fn new_secret() -> Result<WebhookSecret, ApiError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("no randomness for a secret: {e}")))?;
    Ok(WebhookSecret::from_random(bytes))
}

impl WebhookBody {
    /// The webhook to store, with a fresh secret, or every field that does
    /// not parse.
    pub fn try_into_domain(
        &self,
        state: &AppState,
        created_by: Uuid,
    ) -> Result<NewWebhook, ApiError> {
        let mut errors = Errors::default();
        let url = errors.take(
            WebhookUrl::parse(&self.url, state.webhooks.policy).map_err(|e| e.for_field("url")),
        );
        let events = errors.take(WebhookEvents::parse("events", &self.events));
        let description = self
            .description
            .as_deref()
            .map(str::trim)
            .filter(|d| !d.is_empty())
            .map(str::to_owned);
        if description
            .as_deref()
            .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION_CHARS)
        {
            errors.push(FieldError::new(
                "description",
                format!("must be at most {MAX_DESCRIPTION_CHARS} characters"),
            ));
        }
        if description.as_deref().is_some_and(|d| {
            d.chars()
                .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
        }) {
            errors.push(FieldError::new(
                "description",
                "must not contain control characters",
            ));
        }
        match (url, events) {
            (Some(url), Some(events)) if errors.is_empty() => Ok(NewWebhook {
                url,
                events,
                description,
                secret: new_secret()?,
                created_by,
            }),
            _ => Err(ApiError::Validation(errors.into_vec())),
        }
    }
}

/// The webhooks, oldest first, a page at a time (leaders).
pub async fn webhooks_of(
    state: &AppState,
    caller: &Authenticated,
    page: &PageParams,
) -> Result<Page<Webhook>, ApiError> {
    caller.may(Action::ListWebhooks)?;
    Ok(state.store.webhooks(page.cursor()?, page.limit()?).await?)
}

/// One webhook, never its secret (leaders).
pub async fn webhook_of(
    state: &AppState,
    caller: &Authenticated,
    id: Uuid,
) -> Result<Webhook, ApiError> {
    caller.may(Action::ReadWebhook)?;
    Ok(state.store.webhook(id).await?)
}

/// Registers a webhook (leaders), for the API and the webhooks page alike:
/// the answer holds its secret, which nothing shows again.
pub async fn create_webhook_of(
    state: &AppState,
    caller: &Authenticated,
    input: &WebhookBody,
    idem: Option<Idem<CreatedWebhook>>,
) -> Result<CreatedWebhook, ApiError> {
    caller.may(Action::CreateWebhook)?;
    let new = input.try_into_domain(state, caller.0.id)?;
    crate::delivery::check_resolves(&new.url, state.webhooks.policy)
        .await
        .map_err(|e| ApiError::Validation(vec![e.for_field("url")]))?;
    Ok(state.store.create_webhook(new, idem).await?)
}

/// Deletes a webhook and its pending deliveries (leaders).
pub async fn delete_webhook_of(
    state: &AppState,
    caller: &Authenticated,
    id: Uuid,
) -> Result<(), ApiError> {
    caller.may(Action::DeleteWebhook)?;
    Ok(state.store.delete_webhook(Some(caller.0.id), id).await?)
}

/// A webhook's delivery attempts, newest first, a page at a time (leaders).
pub async fn deliveries_of(
    state: &AppState,
    caller: &Authenticated,
    id: Uuid,
    page: &PageParams,
) -> Result<Page<DeliveryAttempt>, ApiError> {
    caller.may(Action::ListDeliveries)?;
    Ok(state
        .store
        .webhook_deliveries(id, page.cursor()?, page.limit()?)
        .await?)
}

/// List the webhooks, oldest first (leaders). Secrets are never shown.
#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks", params(PageParams),
    responses((status = 200, description = "A page of webhooks", body = Paged<WebhookResponse>),
        (status = 403, description = "Leaders only", body = Problem)),
    security(("bearer" = [])))]
pub async fn list_webhooks(
    state: web::Data<AppState>,
    caller: Authenticated,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = webhooks_of(&state, &caller, &page).await?;
    Ok(HttpResponse::Ok().json(Paged::<WebhookResponse>::new(page)))
}

/// Read one webhook (leaders). Its secret is never shown.
#[utoipa::path(get, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The webhook", body = WebhookResponse),
        (status = 403, description = "Leaders only", body = Problem), (status = 404, description = "No such webhook", body = Problem)),
    security(("bearer" = [])))]
pub async fn get_webhook(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let webhook = webhook_of(&state, &caller, *id).await?;
    Ok(HttpResponse::Ok().json(WebhookResponse::from(&webhook)))
}

/// Register a webhook (leaders). The answer holds the signing secret, shown
/// this once.
#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = WebhookBody,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, description = "Created; the only answer with the secret", body = CreatedWebhookResponse, headers(("Location" = String))),
        (status = 403, description = "Leaders only", body = Problem),
        (status = 422, description = "URL refused by the policy, or an unknown event type", body = Problem)),
    security(("bearer" = [])))]
pub async fn create_webhook(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // Before the body is read: a refused role never learns what is wrong with it.
    caller.may(Action::CreateWebhook)?;
    let input: WebhookBody = http::json(&request, &body)?;
    let store = state.store.clone();
    http::create(
        &store,
        &request,
        caller.0.id,
        "POST /api/v1/webhooks",
        &body,
        answer,
        |idem| async move { create_webhook_of(&state, &caller, &input, idem).await },
    )
    .await
}

/// Delete a webhook (leaders): its pending deliveries are dropped.
#[utoipa::path(delete, path = "/api/v1/webhooks/{id}", tag = "webhooks", params(("id" = Uuid, Path)),
    responses((status = 204, description = "Deleted"), (status = 403, description = "Leaders only", body = Problem),
        (status = 404, description = "No such webhook", body = Problem)),
    security(("bearer" = [])))]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    delete_webhook_of(&state, &caller, *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// A webhook's delivery attempts, newest first (leaders).
#[utoipa::path(get, path = "/api/v1/webhooks/{id}/deliveries", tag = "webhooks",
    params(("id" = Uuid, Path), PageParams),
    responses((status = 200, description = "A page of attempts", body = Paged<DeliveryResponse>),
        (status = 403, description = "Leaders only", body = Problem), (status = 404, description = "No such webhook", body = Problem)),
    security(("bearer" = [])))]
pub async fn list_deliveries(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<Uuid>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = deliveries_of(&state, &caller, *id, &page).await?;
    Ok(HttpResponse::Ok().json(Paged::<DeliveryResponse>::new(page)))
}
