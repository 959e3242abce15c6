//! `POST /api/v1/requests`: a front-line member files what a customer asked.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use upturn_domain::lifecycle::{Customer, NewRequest, Request};
use upturn_domain::model::{Channel, Kind, Urgency};
use upturn_domain::values::{Category, Contact, Errors, FieldError, Name, Note, Text, Title};
use utoipa::ToSchema;

use super::{CustomerBody, RequestResponse, location};
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http;
use crate::startup::AppState;

/// Resolved on the spot: "I did it because it mattered".
#[derive(Debug, Deserialize, ToSchema)]
pub struct OnTheSpotBody {
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub note: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct FileRequestBody {
    /// `improvement`, `need`, `unmet_need`, `idea` or `praise`.
    #[schema(value_type = crate::openapi::KindName)]
    pub kind: String,
    /// One of the organisation's categories.
    #[schema(value_type = crate::openapi::CategoryName)]
    pub category: String,
    /// `low`, `normal` (default), `high` or `critical`.
    #[schema(value_type = Option<crate::openapi::UrgencyName>)]
    pub urgency: Option<String>,
    /// `in_person`, `phone`, `email`, `web` or `social`.
    #[schema(value_type = crate::openapi::ChannelName)]
    pub channel: String,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub title: String,
    #[schema(
        max_length = 10000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub description: Option<String>,
    /// What the customer hoped for: always asked.
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub customer_expectation: String,
    pub customer: Option<CustomerBody>,
    pub resolved_on_the_spot: Option<OnTheSpotBody>,
}

fn closed<T: std::str::FromStr<Err = upturn_domain::model::UnknownValue>>(
    field: &str,
    raw: &str,
) -> Result<T, FieldError> {
    raw.parse()
        .map_err(|e: upturn_domain::model::UnknownValue| {
            FieldError::new(field, format!("must be one of: {}", e.expected))
        })
}

impl FileRequestBody {
    pub fn try_into_domain(self, categories: &[String]) -> Result<NewRequest, ApiError> {
        let mut errors = Errors::default();
        let kind = errors.take(closed::<Kind>("kind", &self.kind));
        let category = errors.take(Category::parse("category", &self.category, categories));
        let urgency = errors.take(match self.urgency.as_deref() {
            None => Ok(Urgency::Normal),
            Some(raw) => closed::<Urgency>("urgency", raw),
        });
        let channel = errors.take(closed::<Channel>("channel", &self.channel));
        let title = errors.take(Title::parse("title", &self.title));
        let description = errors.take(Text::parse(
            "description",
            self.description.as_deref().unwrap_or(""),
        ));
        let expectation = errors.take(Note::parse(
            "customer_expectation",
            &self.customer_expectation,
        ));
        let customer = match self.customer {
            None => Some(None),
            Some(c) => {
                let name = errors.take(
                    c.name
                        .as_deref()
                        .filter(|n| !n.trim().is_empty())
                        .map(|n| Name::parse("customer.name", n))
                        .transpose(),
                );
                let contact = errors.take(
                    c.contact
                        .as_deref()
                        .filter(|n| !n.trim().is_empty())
                        .map(|n| Contact::parse("customer.contact", n))
                        .transpose(),
                );
                match (name, contact) {
                    (Some(name), Some(contact)) => Some(Some(Customer {
                        name,
                        contact,
                        consent_follow_up: c.consent_follow_up,
                    })),
                    _ => None,
                }
            }
        };
        let on_the_spot = errors.take(
            self.resolved_on_the_spot
                .map(|spot| Note::parse("resolved_on_the_spot.note", &spot.note))
                .transpose(),
        );
        match (
            kind,
            category,
            urgency,
            channel,
            title,
            description,
            expectation,
            customer,
            on_the_spot,
        ) {
            (
                Some(kind),
                Some(category),
                Some(urgency),
                Some(channel),
                Some(title),
                Some(description),
                Some(customer_expectation),
                Some(customer),
                Some(resolved_on_the_spot),
            ) if errors.is_empty() => Ok(NewRequest {
                kind,
                category,
                urgency,
                channel,
                title,
                description,
                customer_expectation,
                customer,
                resolved_on_the_spot,
            }),
            _ => Err(ApiError::Validation(errors.into_vec())),
        }
    }
}

fn answer(request: &Request) -> http::Answer<RequestResponse> {
    http::Answer {
        location: location(request.id),
        version: Some(request.version),
        body: RequestResponse::from(request),
    }
}

/// File a request for a customer.
///
/// The team is the filer's unit. The request starts `new` at level
/// `manager`, or already `resolved` at the front line with
/// `resolved_on_the_spot`. Honours `Idempotency-Key`.
#[utoipa::path(
    post, path = "/api/v1/requests", tag = "requests",
    request_body = FileRequestBody,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retry-safe key: same key and body give the same answer")),
    responses(
        (status = 201, description = "Filed", body = RequestResponse, headers(("Location" = String), ("ETag" = String))),
        (status = 400, description = "Malformed JSON", body = Problem),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Only front-line members and managers file", body = Problem),
        (status = 413, description = "Body over 64 KiB", body = Problem),
        (status = 415, description = "Not JSON", body = Problem),
        (status = 422, description = "Validation failed, or idempotency key reused", body = Problem),
    ),
    security(("bearer" = []))
)]
#[tracing::instrument(name = "file a request", skip_all, fields(member = %caller.0.id))]
pub async fn file(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: FileRequestBody = http::json(&request, &body)?;
    let new_request = input.try_into_domain(&state.categories)?;
    let actor = caller.actor();
    let store = state.store.clone();
    http::create(
        &store,
        &request,
        actor.id,
        "POST /api/v1/requests",
        &body,
        answer,
        |idem| async move { Ok(state.store.file_request(&actor, new_request, idem).await?) },
    )
    .await
}
