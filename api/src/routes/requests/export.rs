//! `GET /api/v1/requests/export.csv`: every request the list would show,
//! as one CSV download for leaders.
//!
//! The body is pulled page by page (keyset pages of the list itself, so the
//! filters, visibility and order are the list's): the next page is read only
//! when the client has taken the previous one, so a million rows cost one
//! page of memory, and a client that goes away stops the reading.

use actix_web::http::header;
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use chrono::{DateTime, SecondsFormat, Utc};
use std::sync::Arc;
use upturn_domain::Actor;
use upturn_domain::lifecycle::Request;
use upturn_domain::policy::Action;
use upturn_persistence::RequestFilter;

use super::list::ListParams;
use crate::auth::Authenticated;
use crate::csv::push_record;
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

/// Rows read from the database per chunk of the body.
const PAGE_SIZE: u64 = 1_000;

const COLUMNS: [&str; 20] = [
    "reference",
    "id",
    "filed_at",
    "kind",
    "category",
    "urgency",
    "channel",
    "status",
    "level",
    "team_id",
    "unit_id",
    "title",
    "description",
    "customer_expectation",
    "resolved_level",
    "resolution_note",
    "acknowledged_at",
    "resolved_at",
    "closed_at",
    "sla_breached",
];

fn time(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
}

fn push_request(out: &mut String, r: &Request) {
    let optional_time = |at: Option<DateTime<Utc>>| at.map(time).unwrap_or_default();
    let cells: [String; 20] = [
        r.reference(),
        r.id.to_string(),
        time(r.filed_at),
        r.kind.as_str().to_owned(),
        r.category.clone(),
        r.urgency.as_str().to_owned(),
        r.channel.as_str().to_owned(),
        r.status.as_str().to_owned(),
        r.level.as_str().to_owned(),
        r.team_id.to_string(),
        r.unit_id.to_string(),
        r.title.clone(),
        r.description.clone(),
        r.customer_expectation.clone(),
        r.resolved_level
            .map(|l| l.as_str().to_owned())
            .unwrap_or_default(),
        r.resolution_note.clone().unwrap_or_default(),
        optional_time(r.acknowledged_at),
        optional_time(r.resolved_at),
        optional_time(r.closed_at),
        r.sla_breached().to_string(),
    ];
    push_record(out, cells.iter().map(String::as_str));
}

/// Where the download is: the header still to send, then the cursor of the
/// next page, until the last page was sent.
enum Progress {
    Header,
    After(Option<String>),
    Done,
}

struct Export {
    state: Arc<AppState>,
    actor: Actor,
    filter: RequestFilter,
    progress: Progress,
}

impl Export {
    /// The next chunk of the body, or `None` once everything was sent.
    async fn next_chunk(mut self) -> Option<(Result<Bytes, actix_web::Error>, Self)> {
        let mut out = String::new();
        let cursor = match std::mem::replace(&mut self.progress, Progress::Done) {
            Progress::Done => return None,
            Progress::Header => {
                push_record(&mut out, COLUMNS);
                None
            }
            Progress::After(cursor) => cursor,
        };
        let page = match self
            .state
            .store
            .list_requests(&self.actor, &self.filter, cursor.as_deref(), PAGE_SIZE)
            .await
        {
            Ok(page) => page,
            Err(error) => {
                // The status line is gone already: log, and cut the body
                // short so the client sees an incomplete download.
                let error = ApiError::from(error);
                tracing::error!(error = ?error, "CSV export failed part-way");
                return Some((Err(error.into()), self));
            }
        };
        for request in &page.items {
            push_request(&mut out, request);
        }
        if let Some(next) = page.next_cursor {
            self.progress = Progress::After(Some(next));
        }
        Some((Ok(Bytes::from(out)), self))
    }
}

/// Download the requests as CSV.
///
/// Leaders only. Takes the filters of `GET /api/v1/requests`; UTF-8, a
/// header row, RFC 4180 quoting, CRLF line endings. A cell that starts with
/// `=`, `+`, `-`, `@`, a tab or a carriage return gets a leading `'` so that
/// a spreadsheet never runs it as a formula.
#[utoipa::path(
    get, path = "/api/v1/requests/export.csv", tag = "requests",
    params(ListParams),
    responses(
        (status = 200, description = "The requests, one row each", content_type = "text/csv", body = String),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Leaders only", body = Problem),
        (status = 422, description = "A filter is not valid", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn export_requests(
    state: web::Data<AppState>,
    caller: Authenticated,
    filters: web::Query<ListParams>,
) -> Result<HttpResponse, ApiError> {
    export_of(state.into_inner(), &caller, &filters)
}

/// The download itself, for the API and the dashboard's link alike.
pub fn export_of(
    state: Arc<AppState>,
    caller: &Authenticated,
    filters: &ListParams,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::ExportRequests)?;
    let export = Export {
        filter: filters.try_into_filter(&state.categories)?,
        actor: caller.actor(),
        state,
        progress: Progress::Header,
    };
    let body = futures_util::stream::unfold(export, Export::next_chunk);
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            header::CONTENT_DISPOSITION,
            "attachment; filename=\"upturn-requests.csv\"",
        ))
        .insert_header((header::CACHE_CONTROL, "no-store"))
        .streaming(body))
}
