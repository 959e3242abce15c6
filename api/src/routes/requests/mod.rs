//! `/api/v1/requests`: filing, reading and moving requests through the pyramid.

pub mod acknowledge;
pub mod comment;
pub mod erase_customer;
pub mod events;
pub mod export;
pub mod file;
pub mod follow_up;
pub mod get;
pub mod list;
pub mod route;
pub mod status;

use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use upturn_domain::lifecycle::{Event, Request};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::etag;

/// The customer a request was filed for. Once erased (on a leader's
/// demand, or `UPTURN_CUSTOMER_DATA_DAYS` after closing) `name` and
/// `contact` are `null`.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CustomerBody {
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    /// Phone or email, to get back to the customer.
    #[schema(
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub contact: Option<String>,
    /// The customer agreed to be followed up; only then is a tracking code given.
    #[serde(default)]
    pub consent_follow_up: bool,
}

/// A request's SLA state.
#[derive(Debug, Serialize, ToSchema)]
pub struct SlaResponse {
    /// When the level holding the request must acknowledge it (the clock
    /// restarts at each level).
    pub acknowledge_by: DateTime<Utc>,
    /// When the request must be resolved (counted from filing).
    pub resolve_by: DateTime<Utc>,
    /// A deadline that applies now has passed.
    pub breached: bool,
    /// The next deadline of an open request; `null` once answered.
    pub next: Option<NextDeadline>,
}

/// Which deadline comes next, and how long remains.
#[derive(Debug, Serialize, ToSchema)]
pub struct NextDeadline {
    /// `acknowledge` or `resolve`.
    #[schema(value_type = String, pattern = "^(acknowledge|resolve)$")]
    pub deadline: String,
    pub at: DateTime<Utc>,
    /// Negative once passed.
    pub remaining_seconds: i64,
}

/// A request, as every endpoint shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RequestResponse {
    pub id: Uuid,
    /// Human reference, `UP-000123`.
    pub reference: String,
    #[schema(example = "improvement")]
    #[schema(value_type = crate::openapi::KindName)]
    pub kind: String,
    #[schema(value_type = crate::openapi::CategoryName)]
    pub category: String,
    #[schema(value_type = crate::openapi::UrgencyName)]
    pub urgency: String,
    #[schema(value_type = crate::openapi::ChannelName)]
    pub channel: String,
    pub title: String,
    pub description: String,
    pub customer_expectation: String,
    pub customer: Option<CustomerBody>,
    /// `new`, `acknowledged`, `in_progress`, `resolved`, `declined` or `closed`.
    #[schema(value_type = crate::openapi::StatusName)]
    pub status: String,
    /// `frontline`, `manager`, `service` or `leadership`.
    #[schema(value_type = crate::openapi::LevelName)]
    pub level: String,
    /// The unit that holds the request now.
    pub unit_id: Uuid,
    /// The team that filed it.
    pub team_id: Uuid,
    pub filed_by: Uuid,
    pub assignee_id: Option<Uuid>,
    pub version: i64,
    /// For the customer's tracking page; only with their consent.
    pub tracking_code: Option<String>,
    pub sla: SlaResponse,
    /// Where it was resolved or declined.
    #[schema(value_type = Option<crate::openapi::LevelName>)]
    pub resolved_level: Option<String>,
    pub resolution_note: Option<String>,
    pub filed_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// The initiative it was last linked to (see `/initiatives`), if any.
    pub initiative_id: Option<Uuid>,
}

impl From<&Request> for RequestResponse {
    fn from(r: &Request) -> Self {
        let customer = (r.customer_name.is_some()
            || r.customer_contact.is_some()
            || r.customer_consent)
            .then(|| CustomerBody {
                name: r.customer_name.clone(),
                contact: r.customer_contact.clone(),
                consent_follow_up: r.customer_consent,
            });
        RequestResponse {
            id: r.id,
            reference: r.reference(),
            kind: r.kind.as_str().to_owned(),
            category: r.category.clone(),
            urgency: r.urgency.as_str().to_owned(),
            channel: r.channel.as_str().to_owned(),
            title: r.title.clone(),
            description: r.description.clone(),
            customer_expectation: r.customer_expectation.clone(),
            customer,
            status: r.status.as_str().to_owned(),
            level: r.level.as_str().to_owned(),
            unit_id: r.unit_id,
            team_id: r.team_id,
            filed_by: r.filed_by,
            assignee_id: r.assignee_id,
            version: r.version,
            tracking_code: r.tracking_code.clone(),
            sla: SlaResponse {
                acknowledge_by: r.acknowledge_by,
                resolve_by: r.resolve_by,
                breached: r.sla_breached(),
                next: r.next_deadline().map(|(deadline, at)| NextDeadline {
                    deadline: deadline.as_str().to_owned(),
                    at,
                    remaining_seconds: (at - Utc::now()).num_seconds(),
                }),
            },
            resolved_level: r.resolved_level.map(|l| l.as_str().to_owned()),
            resolution_note: r.resolution_note.clone(),
            filed_at: r.filed_at,
            acknowledged_at: r.acknowledged_at,
            resolved_at: r.resolved_at,
            closed_at: r.closed_at,
            updated_at: r.updated_at,
            initiative_id: r.initiative_id,
        }
    }
}

/// A timeline entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventResponse {
    pub id: Uuid,
    pub request_id: Uuid,
    /// `filed`, `acknowledged`, `routed`, `escalated`, `status_changed`,
    /// `comment`, `resolved`, `declined`, `follow_up_recorded`, `reopened`,
    /// `sla_breached`, `initiative_linked`, `initiative_progress`,
    /// `initiative_dropped`, `customer_data_erased`.
    #[serde(rename = "type")]
    #[schema(value_type = crate::openapi::EventTypeName)]
    pub kind: String,
    pub actor_id: Option<Uuid>,
    #[schema(value_type = Option<crate::openapi::LevelName>)]
    pub from_level: Option<String>,
    #[schema(value_type = Option<crate::openapi::LevelName>)]
    pub to_level: Option<String>,
    #[schema(value_type = Option<crate::openapi::StatusName>)]
    pub from_status: Option<String>,
    #[schema(value_type = Option<crate::openapi::StatusName>)]
    pub to_status: Option<String>,
    pub note: Option<String>,
    /// Internal comments are for staff only.
    pub internal: bool,
    pub at: DateTime<Utc>,
}

impl From<&Event> for EventResponse {
    fn from(e: &Event) -> Self {
        EventResponse {
            id: e.id,
            request_id: e.request_id,
            kind: e.event.kind.as_str().to_owned(),
            actor_id: e.event.actor_id,
            from_level: e.event.from_level.map(|l| l.as_str().to_owned()),
            to_level: e.event.to_level.map(|l| l.as_str().to_owned()),
            from_status: e.event.from_status.map(|s| s.as_str().to_owned()),
            to_status: e.event.to_status.map(|s| s.as_str().to_owned()),
            note: e.event.note.clone(),
            internal: e.event.internal,
            at: e.event.at,
        }
    }
}

/// `200` with the whole request and its `ETag`.
pub fn ok(request: &Request) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(etag(request.version))
        .json(RequestResponse::from(request))
}

pub fn location(id: Uuid) -> String {
    format!("/api/v1/requests/{id}")
}

/// Parses an optional note field.
pub(crate) fn optional_note(
    field: &str,
    raw: Option<&str>,
) -> Result<Option<upturn_domain::values::Note>, upturn_domain::values::FieldError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        Some(text) => upturn_domain::values::Note::parse(field, text).map(Some),
        None => Ok(None),
    }
}

/// Carries out a command on a request and answers `200` with it.
pub(crate) async fn act(
    state: &crate::startup::AppState,
    caller: &crate::auth::Authenticated,
    http_request: &actix_web::HttpRequest,
    id: Uuid,
    command: upturn_domain::Command,
    version: Option<i64>,
) -> Result<HttpResponse, crate::error::ApiError> {
    let expect = upturn_persistence::Expectation {
        if_match: crate::http::if_match(http_request)?,
        version,
    };
    let (request, _event) = state
        .store
        .apply(&caller.actor(), id, command, expect, None)
        .await?;
    Ok(ok(&request))
}
