//! `/app/initiatives`: the outer loop for managers, services and leaders —
//! the initiatives, most asked for first; creating one; an initiative's page
//! with its counts, the requests worth linking to it, progress, completion
//! and dropping — through the same operations as `/api/v1/initiatives`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;
use serde::Deserialize;
use upturn_domain::initiative::{InitiativeStatus, UnitRef, may_move};
use upturn_domain::org::Unit;
use upturn_domain::policy::Action;
use upturn_persistence::initiatives::{InitiativeView, Suggested};
use uuid::Uuid;

use super::intake::Choice;
use super::{Fields, Refused, all_units, correctable, render, whole_number};
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::http::PageParams;
use crate::routes::initiatives::create::{CreateInitiativeBody, create_initiative_of};
use crate::routes::initiatives::get::initiative_of;
use crate::routes::initiatives::link::{LinkBody, link_requests_of};
use crate::routes::initiatives::list::initiatives_of;
use crate::routes::initiatives::patch::{PatchInitiativeBody, patch_initiative_of};
use crate::routes::initiatives::suggestions::suggestions_of;
use crate::startup::AppState;
use crate::web::context::{Ctx, PageError};
use crate::web::i18n::Tr;
use crate::web::shell::Shell;

/// Initiatives shown per page of the list.
const PER_PAGE: &str = "100";
/// Suggestions shown on an initiative's page.
const SUGGESTIONS: usize = 20;

/// An initiative as the pages show it.
pub struct Card {
    pub v: InitiativeView,
    pub status: String,
    pub unit: String,
}

/// What the new initiative form holds, as typed.
#[derive(Default)]
pub struct NewValues {
    pub title: String,
    pub description: String,
    pub target_date: String,
}

#[derive(Template)]
#[template(path = "web/initiatives.html")]
struct ListPage<'a> {
    shell: Shell<'a>,
    cards: Vec<Card>,
    more: Option<String>,
    paged: bool,
    /// Units the reader may create an initiative for (none: no form).
    units: Vec<Choice>,
    values: NewValues,
    error: Option<Refused>,
}

/// Which form of an initiative's page was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Which {
    Progress,
    Finish,
    Link,
}

#[derive(Template)]
#[template(path = "web/initiative.html")]
struct InitiativePage<'a> {
    shell: Shell<'a>,
    card: Card,
    /// The reader may post progress, complete or drop.
    may_update: bool,
    /// The reader may link requests.
    may_link: bool,
    statuses: Vec<Choice>,
    suggestions: Vec<Suggested>,
    /// The refused form, its error and the note it carried.
    refused: Option<(Which, Refused)>,
    note: String,
    ticked: Vec<String>,
}

impl InitiativePage<'_> {
    fn refused_in(&self, which: Which) -> Option<&Refused> {
        match &self.refused {
            Some((w, r)) if *w == which => Some(r),
            _ => None,
        }
    }

    fn note_of(&self, which: Which) -> &str {
        match &self.refused {
            Some((w, _)) if *w == which => &self.note,
            _ => "",
        }
    }

    fn is_ticked(&self, id: &Uuid) -> bool {
        let id = id.to_string();
        self.ticked.contains(&id)
    }
}

fn card(tr: Tr, v: InitiativeView, units: &[Unit]) -> Card {
    let i = &v.initiative;
    Card {
        status: tr.label("initiative", i.status.as_str()),
        unit: units
            .iter()
            .find(|u| u.id == i.unit_id)
            .map(|u| u.name.clone())
            .unwrap_or_default(),
        v,
    }
}

/// The units the reader may create an initiative for, as the policy
/// answers it unit by unit; their own first.
fn creatable(caller: &Authenticated, units: &[Unit], chosen: Option<&str>) -> Vec<Choice> {
    let own = caller.0.unit_id;
    let mut fit: Vec<&Unit> = units
        .iter()
        .filter(|u| {
            caller
                .may(Action::CreateInitiative {
                    unit: Some(UnitRef {
                        id: u.id,
                        kind: u.kind,
                    }),
                })
                .is_ok()
        })
        .collect();
    fit.sort_by_key(|u| Some(u.id) != own);
    fit.iter()
        .enumerate()
        .map(|(i, u)| {
            let id = u.id.to_string();
            Choice {
                selected: chosen.map_or(i == 0, |c| c == id),
                value: id,
                label: u.name.clone(),
                hint: None,
            }
        })
        .collect()
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    after: Option<String>,
}

async fn list_page(
    state: &AppState,
    ctx: &Ctx,
    caller: &Authenticated,
    after: Option<String>,
    typed: Option<(NewValues, String, &ApiError)>,
) -> Result<String, ApiError> {
    let tr = ctx.tr;
    let paged = after.is_some();
    let page = PageParams {
        limit: Some(PER_PAGE.to_owned()),
        cursor: after,
    };
    let found = initiatives_of(state, caller, &page).await?;
    let units = all_units(state, caller).await?;
    let (values, chosen, error) = match typed {
        Some((values, unit, error)) => (
            values,
            Some(unit),
            Some(Refused::in_form(&tr, error, Some("initiative"))),
        ),
        None => (NewValues::default(), None, None),
    };
    let shell = Shell::new(state, ctx, "/app/initiatives").await?;
    render(&ListPage {
        shell,
        units: creatable(caller, &units, chosen.as_deref()),
        cards: found
            .items
            .into_iter()
            .map(|v| card(tr, v, &units))
            .collect(),
        more: found.next_cursor,
        paged,
        values,
        error,
    })
}

/// `GET /app/initiatives` (managers, services, leaders; anyone else gets
/// the API's `403`): most asked for first, in the API's order.
pub async fn page(
    state: web::Data<AppState>,
    ctx: Ctx,
    query: web::Query<ListQuery>,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let body = list_page(&state, &ctx, &caller, query.into_inner().after, None)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(ctx.html(StatusCode::OK, body))
}

/// `POST /app/initiatives`: a new initiative, then its page.
pub async fn create(
    state: web::Data<AppState>,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let input = Fields::parse(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.one("csrf"))?;
    let values = NewValues {
        title: input.text("title"),
        description: input.text("description"),
        target_date: input.text("target_date"),
    };
    let unit = input.text("unit");
    let given = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let created = match given(&unit).map(|u| Uuid::parse_str(&u)).transpose() {
        Ok(unit_id) => {
            let new = CreateInitiativeBody {
                title: values.title.clone(),
                description: given(&values.description),
                unit_id,
                target_date: given(&values.target_date),
            };
            create_initiative_of(&state, &caller, &new, None).await
        }
        Err(_) => Err(ApiError::field("unit_id", "no such unit")),
    };
    match created {
        Ok(view) => Ok(ctx.redirect(&format!("/app/initiatives/{}", view.initiative.id))),
        Err(error) if correctable(&error) => {
            let body = list_page(&state, &ctx, &caller, None, Some((values, unit, &error)))
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

/// What a refused form of an initiative's page carried.
struct Typed<'e> {
    which: Which,
    error: &'e ApiError,
    note: String,
    ticked: Vec<String>,
}

async fn initiative_page(
    state: &AppState,
    ctx: &Ctx,
    caller: &Authenticated,
    id: Uuid,
    typed: Option<Typed<'_>>,
) -> Result<HttpResponse, PageError> {
    let tr = ctx.tr;
    let fail = |e| ctx.fail(e);
    let view = initiative_of(state, caller, id).await.map_err(fail)?;
    let units = all_units(state, caller).await.map_err(fail)?;
    let i = &view.initiative;
    let live = !i.status.is_final();
    let may_update = live
        && caller
            .may(Action::UpdateInitiative {
                unit_id: Some(i.unit_id),
            })
            .is_ok();
    let may_link = live && caller.may(Action::LinkToInitiative).is_ok();
    let suggestions = if may_link {
        suggestions_of(state, caller, id, SUGGESTIONS)
            .await
            .map_err(fail)?
    } else {
        Vec::new()
    };
    // Progress keeps the status or moves it on, as far as `in_progress`;
    // done and dropped have their own form, with the note they need.
    let statuses = InitiativeStatus::ALL
        .iter()
        .filter(|s| **s == i.status || (may_move(i.status, **s) && !s.needs_note()))
        .map(|s| Choice {
            value: s.as_str().to_owned(),
            label: tr.label("initiative", s.as_str()),
            hint: None,
            selected: *s == i.status,
        })
        .collect();
    let status = typed
        .as_ref()
        .map(|t| t.error.status_code())
        .unwrap_or(StatusCode::OK);
    let (refused, note, ticked) = match typed {
        Some(t) => {
            let refused = Refused::in_form(&tr, t.error, Some("initiative"));
            (Some((t.which, refused)), t.note, t.ticked)
        }
        None => (None, String::new(), Vec::new()),
    };
    let shell = Shell::new(state, ctx, "/app/initiatives")
        .await
        .map_err(fail)?;
    let body = render(&InitiativePage {
        shell,
        card: card(tr, view, &units),
        may_update,
        may_link,
        statuses,
        suggestions,
        refused,
        note,
        ticked,
    })
    .map_err(fail)?;
    Ok(ctx.html(status, body))
}

/// `GET /app/initiatives/{id}`.
pub async fn initiative(
    state: web::Data<AppState>,
    ctx: Ctx,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let id = path_id(&ctx, &id)?;
    initiative_page(&state, &ctx, &caller, id, None).await
}

/// `POST /app/initiatives/{id}`: progress (a public note, in progress), or
/// done or dropped with the note every linked request's customer reads.
pub async fn update(
    state: web::Data<AppState>,
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let id = path_id(&ctx, &id)?;
    let input = Fields::parse(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.one("csrf"))?;
    let status = input.text("status");
    let note = input.text("public_note");
    let which = if ["done", "dropped"].contains(&status.as_str()) {
        Which::Finish
    } else {
        Which::Progress
    };
    let updated = match whole_number("version", input.one("version")) {
        Ok(version) => {
            let change = PatchInitiativeBody {
                status: Some(status),
                // An empty note is no news on progress, and the missing
                // note the API names when completing or dropping.
                public_note: match which {
                    Which::Progress => Some(note.clone()).filter(|n| !n.trim().is_empty()),
                    _ => Some(note.clone()),
                },
                version,
                ..PatchInitiativeBody::default()
            };
            patch_initiative_of(&state, &caller, id, &change, None).await
        }
        Err(error) => Err(error),
    };
    match updated {
        Ok(_) => Ok(ctx.redirect(&format!("/app/initiatives/{id}"))),
        Err(error) if correctable(&error) => {
            let typed = Typed {
                which,
                error: &error,
                // Even after a change made meanwhile (the page then shows
                // the latest), the note is kept: it is news still to give.
                note,
                ticked: Vec::new(),
            };
            initiative_page(&state, &ctx, &caller, id, Some(typed)).await
        }
        Err(error) => Err(ctx.fail(error)),
    }
}

/// `POST /app/initiatives/{id}/link`: link the ticked requests.
pub async fn link(
    state: web::Data<AppState>,
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let id = path_id(&ctx, &id)?;
    let input = Fields::parse(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.one("csrf"))?;
    let ticked = input.all("request");
    let ids: Result<Vec<Uuid>, _> = ticked.iter().map(|r| Uuid::parse_str(r)).collect();
    let linked = match ids {
        Ok(request_ids) => link_requests_of(&state, &caller, id, &LinkBody { request_ids }).await,
        Err(_) => Err(ApiError::field("request_ids", "no such request")),
    };
    match linked {
        Ok(_) => Ok(ctx.redirect(&format!("/app/initiatives/{id}"))),
        Err(error) if correctable(&error) => {
            let typed = Typed {
                which: Which::Link,
                error: &error,
                note: String::new(),
                ticked,
            };
            initiative_page(&state, &ctx, &caller, id, Some(typed)).await
        }
        Err(error) => Err(ctx.fail(error)),
    }
}
