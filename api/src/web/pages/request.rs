//! `/app/requests/{id}`: one request — its receipt (tracking code and QR
//! code), its deadlines, its timeline, and the actions the domain allows the
//! reader now; `POST /app/requests/{id}/{action}` carries them out through
//! the same commands as the JSON API.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use upturn_domain::customer_data::erase_on_demand;
use upturn_domain::lifecycle::{Command, Event, FollowUpInput, Request, RouteTarget};
use upturn_domain::model::UnitKind;
use upturn_domain::values::Note;
use upturn_domain::{Actor, decide};
use upturn_persistence::{Expectation, StoreError};
use uuid::Uuid;

use super::{error_words, form, render, whole_number};
use crate::error::ApiError;
use crate::routes::requests::follow_up::FollowUpBody;
use crate::routes::requests::optional_note;
use crate::routes::requests::route::route_command;
use crate::routes::requests::status::StatusBody;
use crate::startup::AppState;
use crate::web::context::{Ctx, PageError};
use crate::web::i18n::Tr;
use crate::web::shell::Shell;

/// A unit a request may be routed to.
pub struct Target {
    pub id: Uuid,
    pub name: String,
}

/// What the reader may do now, as the domain answers it.
#[derive(Default)]
pub struct Allowed {
    pub acknowledge: bool,
    pub start: bool,
    pub resolve: bool,
    pub decline: bool,
    pub follow_up: bool,
    pub comment: bool,
    pub route: Vec<Target>,
    /// A leader, and the customer's name or contact is still there.
    pub erase_customer: bool,
}

/// A timeline entry as shown.
pub struct Line {
    pub at: chrono::DateTime<chrono::Utc>,
    pub what: String,
    pub who: String,
    pub note: Option<String>,
    pub internal: bool,
}

#[derive(Template)]
#[template(path = "web/request.html")]
struct RequestPage<'a> {
    shell: Shell<'a>,
    r: Request,
    unit_name: String,
    filed_by: String,
    qr: Option<String>,
    tracking_url: Option<String>,
    just_filed: bool,
    overdue: bool,
    allowed: Allowed,
    watching: bool,
    timeline: Vec<Line>,
    error: Option<String>,
    error_fields: Vec<String>,
}

#[derive(Template)]
#[template(path = "web/request_partial.html")]
struct RequestPartial<'a> {
    shell: Shell<'a>,
    just_filed: bool,
    r: Request,
    unit_name: String,
    filed_by: String,
    overdue: bool,
    allowed: Allowed,
    watching: bool,
    timeline: Vec<Line>,
}

/// The QR code of a URL, drawn as SVG by the server.
pub fn qr_svg(url: &str, label: &str) -> Option<String> {
    let code = qrcode::QrCode::new(url.as_bytes()).ok()?;
    let svg = code
        .render::<qrcode::render::svg::Color<'_>>()
        .min_dimensions(180, 180)
        .quiet_zone(true)
        .build();
    let start = svg.find("<svg")?;
    let label = askama::filters::escape(label, askama::filters::Html)
        .map(|l| l.to_string())
        .unwrap_or_default();
    Some(svg[start..].replacen(
        "<svg ",
        &format!("<svg role=\"img\" aria-label=\"{label}\" class=\"qr\" "),
        1,
    ))
}

fn allowed(
    record: &upturn_persistence::RequestRecord,
    actor: &Actor,
    units: &[upturn_domain::org::Unit],
    now: chrono::DateTime<chrono::Utc>,
) -> Allowed {
    let r = &record.request;
    let routed = &record.routed_units;
    let Ok(note) = Note::parse("note", "…") else {
        return Allowed::default();
    };
    let may = |command: Command| decide(r, routed, actor, command, now).is_ok();
    Allowed {
        acknowledge: may(Command::Acknowledge { note: None }),
        start: may(Command::Start { note: None }),
        resolve: may(Command::Resolve { note: note.clone() }),
        decline: may(Command::Decline { note: note.clone() }),
        follow_up: may(Command::FollowUp(FollowUpInput {
            customer_reached: false,
            satisfaction: None,
            would_recommend: None,
            note: None,
            reopen: false,
        })),
        comment: may(Command::Comment {
            body: note.clone(),
            internal: false,
        }),
        erase_customer: erase_on_demand(r, routed, actor, now).is_ok_and(|erased| erased.is_some()),
        route: units
            .iter()
            .filter(|u| u.kind != UnitKind::Team)
            .filter(|u| {
                may(Command::Route {
                    to: RouteTarget {
                        unit_id: u.id,
                        kind: u.kind,
                    },
                    note: note.clone(),
                })
            })
            .map(|u| Target {
                id: u.id,
                name: u.name.clone(),
            })
            .collect(),
    }
}

async fn names(
    state: &AppState,
    ids: impl Iterator<Item = Uuid>,
) -> Result<HashMap<Uuid, String>, ApiError> {
    let mut names = HashMap::new();
    for id in ids {
        if names.contains_key(&id) {
            continue;
        }
        match state.store.member(id).await {
            Ok(member) => {
                names.insert(id, member.name);
            }
            Err(StoreError::NotFound) => {}
            Err(other) => return Err(other.into()),
        }
    }
    Ok(names)
}

fn line(tr: &Tr, event: &Event, names: &HashMap<Uuid, String>) -> Line {
    let e = &event.event;
    let what = match (e.kind.as_str(), e.to_status, e.to_level) {
        ("routed" | "escalated", _, Some(level)) => tr.t1(
            "event-routed-to",
            "level",
            tr.label("level", level.as_str()),
        ),
        ("status_changed", Some(status), _) => tr.t1(
            "event-status-to",
            "status",
            tr.label("status", status.as_str()),
        ),
        (kind, _, _) => tr.label("event", kind),
    };
    Line {
        at: e.at,
        what,
        who: e
            .actor_id
            .and_then(|id| names.get(&id).cloned())
            .unwrap_or_default(),
        note: e.note.clone(),
        internal: e.internal,
    }
}

/// Everything the page shows, loaded once.
struct Loaded {
    r: Request,
    unit_name: String,
    filed_by: String,
    overdue: bool,
    allowed: Allowed,
    watching: bool,
    timeline: Vec<Line>,
}

async fn load(state: &AppState, ctx: &Ctx, id: Uuid) -> Result<Loaded, ApiError> {
    let actor = ctx
        .member
        .as_ref()
        .map(|m| m.actor())
        .ok_or(ApiError::Unauthenticated)?;
    let record = state.store.record_for(&actor, id).await?;
    let units = state.store.list_units(None, 200).await?.items;
    let now = state.store.clock().now();
    let events = state.store.events_for(&actor, id, None, 200).await?.items;
    let names = names(
        state,
        events
            .iter()
            .filter_map(|e| e.event.actor_id)
            .chain([record.request.filed_by]),
    )
    .await?;
    let r = record.request.clone();
    Ok(Loaded {
        unit_name: units
            .iter()
            .find(|u| u.id == r.unit_id)
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        filed_by: names.get(&r.filed_by).cloned().unwrap_or_default(),
        overdue: r.status.is_open() && r.next_deadline().is_some_and(|(_, at)| at < now),
        allowed: allowed(&record, &actor, &units, now),
        watching: state.store.watching(actor.id, id).await?,
        timeline: events.iter().map(|e| line(&ctx.tr, e, &names)).collect(),
        r,
    })
}

async fn show(
    state: &AppState,
    ctx: &Ctx,
    request: &HttpRequest,
    id: Uuid,
    just_filed: bool,
    error: Option<ApiError>,
) -> Result<HttpResponse, PageError> {
    let loaded = load(state, ctx, id).await.map_err(|e| ctx.fail(e))?;
    let shell = Shell::new(state, ctx, "/app/requests")
        .await
        .map_err(|e| ctx.fail(e))?;
    if ctx.fragment {
        let body = render(&RequestPartial {
            shell,
            just_filed: false,
            r: loaded.r,
            unit_name: loaded.unit_name,
            filed_by: loaded.filed_by,
            overdue: loaded.overdue,
            allowed: loaded.allowed,
            watching: loaded.watching,
            timeline: loaded.timeline,
        })
        .map_err(|e| ctx.fail(e))?;
        return Ok(ctx.html(StatusCode::OK, body));
    }
    let tracking_url = loaded.r.tracking_code.as_ref().map(|code| {
        let info = request.connection_info();
        format!("{}://{}/t/{code}", info.scheme(), info.host())
    });
    let qr = tracking_url
        .as_deref()
        .and_then(|url| qr_svg(url, &ctx.tr.t("receipt-qr-label")));
    let status = error
        .as_ref()
        .map(actix_web::ResponseError::status_code)
        .unwrap_or(StatusCode::OK);
    let (message, fields) = match &error {
        Some(e) => {
            let (m, f) = error_words(&ctx.tr, e);
            (Some(m), f)
        }
        None => (None, Vec::new()),
    };
    let body = render(&RequestPage {
        shell,
        r: loaded.r,
        unit_name: loaded.unit_name,
        filed_by: loaded.filed_by,
        qr,
        tracking_url,
        just_filed,
        overdue: loaded.overdue,
        allowed: loaded.allowed,
        watching: loaded.watching,
        timeline: loaded.timeline,
        error: message,
        error_fields: fields,
    })
    .map_err(|e| ctx.fail(e))?;
    Ok(ctx.html(status, body))
}

#[derive(Debug, Deserialize)]
pub struct PageQuery {
    filed: Option<String>,
}

/// `GET /app/requests/{id}`: `404` for a request the reader may not see.
pub async fn page(
    state: web::Data<AppState>,
    ctx: Ctx,
    request: HttpRequest,
    id: web::Path<String>,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, PageError> {
    ctx.member()?;
    let id = Uuid::parse_str(&id).map_err(|_| ctx.fail(ApiError::NotFound))?;
    show(&state, &ctx, &request, id, query.filed.is_some(), None).await
}

/// The fields of every action form (each uses some).
#[derive(Debug, Default, Deserialize)]
pub struct ActionForm {
    csrf: Option<String>,
    version: Option<i64>,
    note: Option<String>,
    /// `in_progress`, `resolved` or `declined`.
    status: Option<String>,
    /// A unit id, or `rules` for the first matching routing rule.
    to: Option<String>,
    body: Option<String>,
    internal: Option<String>,
    reached: Option<String>,
    satisfaction: Option<String>,
    would_recommend: Option<String>,
    reopen: Option<String>,
}

/// The command a form asks for, parsed as the API parses its bodies.
async fn command(
    state: &AppState,
    actor: &Actor,
    id: Uuid,
    action: &str,
    input: &ActionForm,
) -> Result<Command, ApiError> {
    let note =
        || optional_note("note", input.note.as_deref()).map_err(|e| ApiError::Validation(vec![e]));
    match action {
        "acknowledge" => Ok(Command::Acknowledge { note: note()? }),
        "status" => StatusBody {
            status: input.status.clone().unwrap_or_default(),
            note: input.note.clone(),
            version: input.version,
        }
        .try_into_command(),
        "route" => {
            let note = Note::parse("note", input.note.as_deref().unwrap_or(""))
                .map_err(|e| ApiError::Validation(vec![e]))?;
            let to = match input.to.as_deref().map(str::trim) {
                None | Some("") | Some("rules") => None,
                Some(raw) => Some(
                    Uuid::parse_str(raw)
                        .map_err(|_| ApiError::field("to_unit_id", "no such unit"))?,
                ),
            };
            route_command(state, actor, id, to, note).await
        }
        "comment" => Ok(Command::Comment {
            body: Note::parse("body", input.body.as_deref().unwrap_or(""))
                .map_err(|e| ApiError::Validation(vec![e]))?,
            internal: input.internal.is_some(),
        }),
        "follow-up" => {
            let reached = input.reached.as_deref() == Some("yes");
            let body = FollowUpBody {
                customer_reached: reached,
                satisfaction: if reached {
                    whole_number("satisfaction", input.satisfaction.as_deref())?
                } else {
                    None
                },
                would_recommend: if reached {
                    whole_number("would_recommend", input.would_recommend.as_deref())?
                } else {
                    None
                },
                note: input.note.clone(),
                reopen: input.reopen.is_some(),
                version: input.version,
            };
            Ok(Command::FollowUp(body.try_into_domain()?))
        }
        _ => Err(ApiError::NotFound),
    }
}

/// `POST /app/requests/{id}/{action}`: then back to the request, or the
/// request again with the refusal in words.
pub async fn act(
    state: web::Data<AppState>,
    ctx: Ctx,
    request: HttpRequest,
    path: web::Path<(String, String)>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let actor = ctx.actor()?;
    let (id, action) = path.into_inner();
    let id = Uuid::parse_str(&id).map_err(|_| ctx.fail(ApiError::NotFound))?;
    let input: ActionForm = form(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.csrf.as_deref())?;
    let done: Result<(), ApiError> = match action.as_str() {
        "watch" | "unwatch" => {
            async {
                state.store.request_for(&actor, id).await?;
                if action == "watch" {
                    state.store.watch(actor.id, id).await?;
                } else {
                    state.store.unwatch(actor.id, id).await?;
                }
                Ok(())
            }
            .await
        }
        "erase-customer" => {
            let expect = Expectation {
                if_match: None,
                version: input.version,
            };
            state
                .store
                .erase_customer(&actor, id, expect)
                .await
                .map(|_| ())
                .map_err(ApiError::from)
        }
        _ => {
            async {
                let command = command(&state, &actor, id, &action, &input).await?;
                let expect = Expectation {
                    if_match: None,
                    version: input.version,
                };
                state.store.apply(&actor, id, command, expect, None).await?;
                Ok(())
            }
            .await
        }
    };
    match done {
        Ok(()) => Ok(ctx.redirect(&format!("/app/requests/{id}"))),
        Err(error @ (ApiError::NotFound | ApiError::Unauthenticated)) => Err(ctx.fail(error)),
        Err(ApiError::Internal(cause)) => Err(ctx.fail(ApiError::Internal(cause))),
        Err(refused) => show(&state, &ctx, &request, id, false, Some(refused)).await,
    }
}
