//! `/app/requests`: the team's requests for the front line (with what is
//! to call back), the triage board for managers, services and leaders —
//! columns by status, the open ones nearest deadline first and the
//! answered ones newest first, overdue marked, filters, and live updates
//! (the page's script swaps the fragment when news arrives).

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use upturn_domain::lifecycle::Request;
use upturn_domain::model::{Role, Status, Urgency};
use upturn_persistence::{RequestFilter, RequestSort};

use super::intake::Choice;
use super::render;
use crate::startup::AppState;
use crate::web::context::{Ctx, PageError};
use crate::web::shell::Shell;

/// The filters a reader may set (all optional).
#[derive(Debug, Default, Deserialize)]
pub struct BoardQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    urgency: String,
    overdue: Option<String>,
    #[serde(default)]
    q: String,
}

/// A request as a card shows it.
pub struct Card {
    pub r: Request,
    pub overdue: bool,
}

/// A column of the board.
pub struct Column {
    pub status: &'static str,
    pub cards: Vec<Card>,
}

#[derive(Template)]
#[template(path = "web/board.html")]
struct BoardPage<'a> {
    shell: Shell<'a>,
    frontline: bool,
    query: BoardQuery,
    statuses: Vec<Choice>,
    categories: Vec<Choice>,
    urgencies: Vec<Choice>,
    columns: Vec<Column>,
    call_back: Vec<Card>,
    filtered: bool,
}

#[derive(Template)]
#[template(path = "web/board_partial.html")]
struct BoardPartial<'a> {
    shell: Shell<'a>,
    frontline: bool,
    columns: Vec<Column>,
    call_back: Vec<Card>,
}

const BOARD: [Status; 3] = [Status::New, Status::Acknowledged, Status::InProgress];
const ANSWERED: [Status; 3] = [Status::Resolved, Status::Declined, Status::Closed];

/// Cards per column. Each column is its own query, so that the open ones
/// are not crowded out by years of answered requests (one list sorted by
/// deadline put the oldest answered requests first), and each is an
/// ordered walk of an index that stops after this many.
const PER_COLUMN: u64 = 40;

fn choice(value: &str, label: String, chosen: &str) -> Choice {
    Choice {
        value: value.to_owned(),
        label,
        hint: None,
        selected: value == chosen,
    }
}

pub async fn page(
    state: web::Data<AppState>,
    ctx: Ctx,
    query: web::Query<BoardQuery>,
) -> Result<HttpResponse, PageError> {
    let member = ctx.member()?;
    let actor = member.actor();
    let query = query.into_inner();
    let frontline = member.role == Role::Frontline;
    let tr = ctx.tr;
    let chosen_status = query.status.parse::<Status>().ok();
    let urgency = query.urgency.parse::<Urgency>().ok();
    let filtered = chosen_status.is_some()
        || urgency.is_some()
        || !query.category.is_empty()
        || query.overdue.is_some()
        || !query.q.trim().is_empty();
    let shown: Vec<Status> = match chosen_status {
        Some(status) => vec![status],
        None => BOARD
            .iter()
            .chain(ANSWERED.iter().take(2))
            .copied()
            .collect(),
    };
    let filter = RequestFilter {
        categories: query
            .category
            .split(',')
            .filter(|c| !c.is_empty())
            .map(str::to_owned)
            .collect(),
        urgencies: urgency.into_iter().collect(),
        overdue: query.overdue.is_some(),
        q: upturn_domain::values::search_words("q", Some(&query.q))
            .map_err(|e| ctx.fail(crate::error::ApiError::Validation(vec![e])))?,
        ..RequestFilter::default()
    };
    let now = state.store.clock().now();
    let card = |r: Request| Card {
        overdue: r.status.is_open() && r.next_deadline().is_some_and(|(_, at)| at < now),
        r,
    };
    let mut columns: Vec<Column> = Vec::with_capacity(shown.len());
    for status in &shown {
        let column = RequestFilter {
            statuses: vec![*status],
            // The open ones by what is due first; the answered ones by
            // what came back last.
            sort: if status.is_open() {
                RequestSort::Deadline
            } else {
                RequestSort::Newest
            },
            ..filter.clone()
        };
        let page = state
            .store
            .list_requests(&actor, &column, None, PER_COLUMN)
            .await
            .map_err(|e| ctx.fail(e))?;
        columns.push(Column {
            status: status.as_str(),
            cards: page.items.into_iter().map(card).collect(),
        });
    }
    // What came back up and waits for the front line to call the customer.
    let call_back = columns
        .iter()
        .flat_map(|c| c.cards.iter())
        .filter(|c| {
            c.r.status == Status::Resolved && c.r.level == upturn_domain::model::Level::Frontline
        })
        .map(|c| card(c.r.clone()))
        .collect();
    let shell = Shell::new(&state, &ctx, "/app/requests")
        .await
        .map_err(|e| ctx.fail(e))?;
    let body = if ctx.fragment {
        render(&BoardPartial {
            shell,
            frontline,
            columns,
            call_back,
        })
    } else {
        render(&BoardPage {
            shell,
            frontline,
            statuses: BOARD
                .iter()
                .chain(ANSWERED.iter())
                .map(|s| choice(s.as_str(), tr.label("status", s.as_str()), &query.status))
                .collect(),
            categories: state
                .categories
                .iter()
                .map(|c| choice(c, tr.category(c), &query.category))
                .collect(),
            urgencies: Urgency::ALL
                .iter()
                .map(|u| choice(u.as_str(), tr.label("urgency", u.as_str()), &query.urgency))
                .collect(),
            query,
            columns,
            call_back,
            filtered,
        })
    }
    .map_err(|e| ctx.fail(e))?;
    Ok(ctx.html(StatusCode::OK, body))
}
