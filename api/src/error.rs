//! One error type for the whole API, rendered as RFC 9457 problem+json with
//! a stable `code`. Server errors have an opaque body; their cause chain
//! goes to the log, with the request id that the body also carries.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{HttpMessage, HttpResponse, ResponseError};
use serde::Serialize;
use upturn_domain::Refusal;
use upturn_domain::policy::Denied;
use upturn_domain::values::FieldError;
use upturn_persistence::StoreError;
use utoipa::ToSchema;

/// Everything an endpoint can answer besides success.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{0}")]
    MalformedJson(String),
    #[error("the request is not valid")]
    Validation(Vec<FieldError>),
    #[error("authentication is required")]
    Unauthenticated,
    #[error("unknown email or wrong password")]
    InvalidCredentials,
    #[error("{0}")]
    Forbidden(String),
    #[error("not found")]
    NotFound,
    #[error("this email is already taken")]
    EmailTaken,
    #[error("you have already answered the pulse of this week")]
    AlreadyAnswered,
    #[error("at least one active admin must remain: make another member admin first")]
    LastAdmin,
    #[error("the resource was changed meanwhile; reload it (current version {0})")]
    VersionConflict(i64),
    #[error("the resource was changed meanwhile; reload it (current version {0})")]
    PreconditionFailed(i64),
    #[error("the If-Match header is not a version this resource has")]
    BadPrecondition,
    #[error("{0}")]
    InvalidTransition(String),
    #[error("no routing rule matches this request; name the unit to route it to")]
    NoMatchingRule,
    #[error("this Idempotency-Key was already used with a different request")]
    IdempotencyKeyReused,
    /// Internal signal: a concurrent create with the same key won.
    #[error("idempotency race")]
    IdempotencyRace,
    #[error("the request body is larger than 64 KiB")]
    PayloadTooLarge,
    #[error("the request body must be application/json")]
    UnsupportedMediaType,
    #[error("too many attempts; try again in {0} seconds")]
    RateLimited(u64),
    #[error("the service is not ready")]
    Unavailable,
    /// A known path asked with a method it does not serve; the methods it
    /// serves, for `Allow`.
    #[error("this path answers only {0}")]
    MethodNotAllowed(String),
    #[error("internal error")]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// One field that failed validation.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        ApiError::Validation(vec![FieldError::new(field, message)])
    }

    /// The stable machine code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::MalformedJson(_) => "malformed_json",
            ApiError::Validation(_) => "validation_failed",
            ApiError::Unauthenticated => "unauthenticated",
            ApiError::InvalidCredentials => "invalid_credentials",
            ApiError::Forbidden(_) => "forbidden",
            ApiError::NotFound => "not_found",
            ApiError::EmailTaken => "email_taken",
            ApiError::AlreadyAnswered => "already_answered",
            ApiError::LastAdmin => "last_admin",
            ApiError::VersionConflict(_) => "version_conflict",
            ApiError::PreconditionFailed(_) | ApiError::BadPrecondition => "precondition_failed",
            ApiError::InvalidTransition(_) => "invalid_transition",
            ApiError::NoMatchingRule => "no_matching_rule",
            ApiError::IdempotencyKeyReused => "idempotency_key_reused",
            ApiError::PayloadTooLarge => "payload_too_large",
            ApiError::UnsupportedMediaType => "unsupported_media_type",
            ApiError::RateLimited(_) => "rate_limited",
            ApiError::Unavailable => "unavailable",
            ApiError::MethodNotAllowed(_) => "method_not_allowed",
            ApiError::IdempotencyRace | ApiError::Internal(_) => "internal",
        }
    }

    fn title(&self) -> &'static str {
        match self {
            ApiError::MalformedJson(_) => "Malformed JSON",
            ApiError::Validation(_) => "Validation failed",
            ApiError::Unauthenticated => "Authentication required",
            ApiError::InvalidCredentials => "Invalid credentials",
            ApiError::Forbidden(_) => "Forbidden",
            ApiError::NotFound => "Not found",
            ApiError::EmailTaken => "Email taken",
            ApiError::AlreadyAnswered => "Already answered",
            ApiError::LastAdmin => "Last admin",
            ApiError::VersionConflict(_) => "Version conflict",
            ApiError::PreconditionFailed(_) | ApiError::BadPrecondition => "Precondition failed",
            ApiError::InvalidTransition(_) => "Invalid transition",
            ApiError::NoMatchingRule => "No matching routing rule",
            ApiError::IdempotencyKeyReused => "Idempotency key reused",
            ApiError::PayloadTooLarge => "Payload too large",
            ApiError::UnsupportedMediaType => "Unsupported media type",
            ApiError::RateLimited(_) => "Too many requests",
            ApiError::Unavailable => "Service unavailable",
            ApiError::MethodNotAllowed(_) => "Method not allowed",
            ApiError::IdempotencyRace | ApiError::Internal(_) => "Internal error",
        }
    }

    fn problem(&self) -> Problem {
        let status = self.status_code();
        Problem {
            kind: format!("urn:upturn:problem:{}", self.code()),
            title: self.title().to_owned(),
            status: status.as_u16(),
            detail: if status.is_server_error() {
                "Something went wrong on our side. Quote the request id when you report it."
                    .to_owned()
            } else {
                self.to_string()
            },
            code: self.code().to_owned(),
            request_id: None,
            errors: match self {
                ApiError::Validation(errors) => Some(
                    errors
                        .iter()
                        .map(|e| ProblemField {
                            field: e.field.clone(),
                            message: e.message.clone(),
                        })
                        .collect(),
                ),
                _ => None,
            },
        }
    }

    /// A problem for an error response that did not come from an `ApiError`
    /// (unknown route, wrong method, extractor errors of actix itself).
    fn for_status(status: StatusCode) -> ApiError {
        match status.as_u16() {
            400 => ApiError::MalformedJson("the request could not be read".to_owned()),
            401 => ApiError::Unauthenticated,
            403 => ApiError::Forbidden("you may not do this".to_owned()),
            404 | 405 => ApiError::NotFound,
            413 => ApiError::PayloadTooLarge,
            415 => ApiError::UnsupportedMediaType,
            _ => ApiError::Internal(anyhow::anyhow!("unexpected status {status}")),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::NotFound => ApiError::NotFound,
            StoreError::EmailTaken => ApiError::EmailTaken,
            StoreError::AlreadyAnswered => ApiError::AlreadyAnswered,
            StoreError::LastAdmin => ApiError::LastAdmin,
            StoreError::VersionConflict { current } => ApiError::VersionConflict(current),
            StoreError::PreconditionFailed { current } => ApiError::PreconditionFailed(current),
            StoreError::Refused(refusal) => refusal.into(),
            StoreError::Invalid { field, message } => ApiError::field(field, message),
            StoreError::Fields(errors) => ApiError::Validation(errors),
            StoreError::IdempotencyRace => ApiError::IdempotencyRace,
            StoreError::Unknown(error) => ApiError::Internal(error),
        }
    }
}

impl From<Refusal> for ApiError {
    fn from(refusal: Refusal) -> Self {
        match refusal {
            Refusal::NotFound => ApiError::NotFound,
            Refusal::Forbidden(why) => ApiError::Forbidden(why.to_owned()),
            Refusal::InvalidTransition(why) => ApiError::InvalidTransition(why.to_owned()),
        }
    }
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::Forbidden(why) => ApiError::Forbidden(why.to_owned()),
        }
    }
}

impl From<Vec<FieldError>> for ApiError {
    fn from(errors: Vec<FieldError>) -> Self {
        ApiError::Validation(errors)
    }
}

/// An RFC 9457 problem document.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem: `urn:upturn:problem:<code>`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine code, e.g. `validation_failed`.
    pub code: String,
    /// Quote it when reporting a problem: it is in the server's logs too.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_id: Option<String>,
    /// Per-field errors, on `validation_failed`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<ProblemField>>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::MalformedJson(_) => StatusCode::BAD_REQUEST,
            ApiError::Validation(_)
            | ApiError::InvalidTransition(_)
            | ApiError::NoMatchingRule
            | ApiError::IdempotencyKeyReused => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::Unauthenticated | ApiError::InvalidCredentials => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::EmailTaken
            | ApiError::AlreadyAnswered
            | ApiError::LastAdmin
            | ApiError::VersionConflict(_) => StatusCode::CONFLICT,
            ApiError::PreconditionFailed(_) | ApiError::BadPrecondition => {
                StatusCode::PRECONDITION_FAILED
            }
            ApiError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::RateLimited(_) => StatusCode::TOO_MANY_REQUESTS,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::IdempotencyRace | ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        render(self, None)
    }
}

fn render(error: &ApiError, request_id: Option<String>) -> HttpResponse {
    let mut problem = error.problem();
    problem.request_id = request_id;
    let mut response = HttpResponse::build(error.status_code());
    response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
    match error {
        ApiError::RateLimited(seconds) => {
            response.insert_header((header::RETRY_AFTER, seconds.to_string()));
        }
        ApiError::Unauthenticated => {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        ApiError::MethodNotAllowed(allow) => {
            response.insert_header((header::ALLOW, allow.as_str()));
        }
        _ => {}
    }
    response.body(serde_json::to_string(&problem).unwrap_or_default())
}

/// Middleware: every error response leaves as problem+json with the request
/// id, whoever produced it; server errors are logged with their cause chain.
pub async fn problem_details(
    request: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let request_id = request
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .map(ToString::to_string);
    let response = next.call(request).await?;
    let status = response.status();
    let header_value = request_id
        .as_deref()
        .and_then(|id| HeaderValue::from_str(id).ok());
    // Pages answer their errors in words, as HTML, themselves.
    let is_page = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if is_page || !(status.is_client_error() || status.is_server_error()) {
        let mut response = response.map_into_boxed_body();
        if let Some(value) = header_value {
            response
                .headers_mut()
                .insert(header::HeaderName::from_static("x-request-id"), value);
        }
        return Ok(response);
    }
    let (request, response) = response.into_parts();
    let api_error = response.error().and_then(|e| e.as_error::<ApiError>());
    let mut rendered = match api_error {
        Some(error) => {
            if let ApiError::Internal(cause) = error {
                tracing::error!(error.cause_chain = ?cause, error.message = %cause, "Request failed");
            }
            render(error, request_id)
        }
        None => {
            if let Some(error) = response.error() {
                tracing::warn!(error = %error, status = %status, "Request refused by the framework");
            }
            let error = ApiError::for_status(status);
            let mut rendered = render(&error, request_id);
            if status == StatusCode::METHOD_NOT_ALLOWED {
                *rendered.status_mut() = status;
            }
            rendered
        }
    };
    for (name, value) in response.headers() {
        if name == header::ALLOW {
            rendered.headers_mut().insert(name.clone(), value.clone());
        }
    }
    if let Some(value) = header_value {
        rendered
            .headers_mut()
            .insert(header::HeaderName::from_static("x-request-id"), value);
    }
    Ok(ServiceResponse::new(request, rendered))
}
