//! `/api/v1/initiatives`: the outer loop. Many customers' requests gathered
//! under one initiative, whose progress reaches every one of them at once
//! (decision 0008). Managers, services and leaders only; who may do what
//! is `upturn_domain::policy::permit`.

pub mod create;
pub mod get;
pub mod link;
pub mod list;
pub mod patch;
pub mod suggestions;

use actix_web::HttpResponse;
use chrono::{DateTime, Utc};
use serde::Serialize;
use upturn_persistence::initiatives::InitiativeView;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::http::{self, etag};

/// How much an initiative is asked for.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountsResponse {
    /// Requests linked: each is a customer who asked.
    pub linked: u64,
    /// Distinct teams that filed them.
    pub teams: u64,
    /// Linked requests still open whose customer consented to hear back.
    pub customers_waiting: u64,
}

/// An initiative.
#[derive(Debug, Serialize, ToSchema)]
pub struct InitiativeResponse {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    /// The unit that owns it and works the requests linked to it.
    pub unit_id: Uuid,
    /// `YYYY-MM-DD`, if any.
    #[schema(example = "2027-03-31")]
    pub target_date: Option<String>,
    /// `planned`, `in_progress`, `done` or `dropped` (the last two are final).
    #[schema(value_type = crate::openapi::InitiativeStatusName)]
    pub status: String,
    /// What every linked request's filer and customer reads; the answer to
    /// every linked open request once the initiative is done.
    pub public_note: Option<String>,
    pub counts: CountsResponse,
    /// For `If-Match` or the `version` field of a `PATCH`.
    pub version: i64,
    pub created_by: Uuid,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl From<&InitiativeView> for InitiativeResponse {
    fn from(view: &InitiativeView) -> Self {
        let i = &view.initiative;
        InitiativeResponse {
            id: i.id,
            title: i.title.clone(),
            description: i.description.clone(),
            unit_id: i.unit_id,
            target_date: i.target_date.map(|d| d.format("%Y-%m-%d").to_string()),
            status: i.status.as_str().to_owned(),
            public_note: i.public_note.clone(),
            counts: CountsResponse {
                linked: view.counts.linked,
                teams: view.counts.teams,
                customers_waiting: view.counts.customers_waiting,
            },
            version: i.version,
            created_by: i.created_by,
            created_at: i.created_at,
            updated_at: i.updated_at,
        }
    }
}

pub fn location(id: Uuid) -> String {
    format!("/api/v1/initiatives/{id}")
}

pub(crate) fn answer(view: &InitiativeView) -> http::Answer<InitiativeResponse> {
    http::Answer {
        location: location(view.initiative.id),
        version: Some(view.initiative.version),
        body: InitiativeResponse::from(view),
    }
}

/// `200` with the initiative and its `ETag`.
pub fn ok(view: &InitiativeView) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(etag(view.initiative.version))
        .json(InitiativeResponse::from(view))
}
