//! `/app/org`: the admins' organisation — units (create, rename, change
//! their categories) and members (create, edit, deactivate, reactivate) —
//! through the same operations as `/api/v1/units` and `/api/v1/members`.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError, web};
use askama::Template;
use serde::Deserialize;
use upturn_domain::model::{Role, UnitKind};
use upturn_domain::org::{Member, Unit};
use uuid::Uuid;

use super::intake::Choice;
use super::{Fields, Refused, all_units, correctable, render, stale, whole_number};
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::http::PageParams;
use crate::routes::members::{
    CreateMemberBody, UpdateMemberBody, create_member_of, member_of, members_of, update_member_of,
};
use crate::routes::units::{CreateUnitBody, UpdateUnitBody, create_unit_of, update_unit_of};
use crate::startup::AppState;
use crate::web::context::{Ctx, PageError};
use crate::web::i18n::Tr;
use crate::web::shell::Shell;

/// Members shown per page of the list.
const MEMBERS_PER_PAGE: &str = "100";

/// A unit as the list shows it.
pub struct UnitRow {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub categories: Vec<String>,
}

/// A member as the list shows it.
pub struct MemberRow {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    pub role: String,
    pub unit: String,
    pub active: bool,
}

/// What was typed in the new unit form.
#[derive(Default)]
pub struct UnitValues {
    pub name: String,
    pub kind: String,
    pub categories: Vec<String>,
}

/// What was typed in a member form (never the password).
#[derive(Default)]
pub struct MemberValues {
    pub name: String,
    pub email: String,
    pub role: String,
    pub unit: String,
}

#[derive(Template)]
#[template(path = "web/org.html")]
struct OrgPage<'a> {
    shell: Shell<'a>,
    units: Vec<UnitRow>,
    members: Vec<MemberRow>,
    more_members: Option<String>,
    /// Not the first page of members.
    paged: bool,
    new_unit: UnitValues,
    kinds: Vec<Choice>,
    unit_categories: Vec<Choice>,
    unit_error: Option<Refused>,
    new_member: MemberValues,
    roles: Vec<Choice>,
    member_units: Vec<Choice>,
    member_error: Option<Refused>,
}

#[derive(Template)]
#[template(path = "web/org_unit.html")]
struct UnitPage<'a> {
    shell: Shell<'a>,
    unit: Unit,
    kind: String,
    name: String,
    categories: Vec<Choice>,
    error: Option<Refused>,
}

#[derive(Template)]
#[template(path = "web/org_member.html")]
struct MemberPage<'a> {
    shell: Shell<'a>,
    member: Member,
    values: MemberValues,
    version: i64,
    roles: Vec<Choice>,
    units: Vec<Choice>,
    error: Option<Refused>,
}

fn choice(value: &str, label: String, selected: bool) -> Choice {
    Choice {
        value: value.to_owned(),
        label,
        hint: None,
        selected,
    }
}

fn category_choices(state: &AppState, tr: Tr, ticked: &[String]) -> Vec<Choice> {
    state
        .categories
        .iter()
        .map(|c| choice(c, tr.category(c), ticked.contains(c)))
        .collect()
}

fn role_choices(tr: Tr, chosen: &str) -> Vec<Choice> {
    Role::ALL
        .iter()
        .map(|r| {
            choice(
                r.as_str(),
                tr.label("role", r.as_str()),
                r.as_str() == chosen,
            )
        })
        .collect()
}

fn unit_choices(tr: Tr, units: &[Unit], chosen: &str) -> Vec<Choice> {
    units
        .iter()
        .map(|u| {
            let id = u.id.to_string();
            let label = tr.t2(
                "org-unit-option",
                "name",
                u.name.as_str(),
                "kind",
                tr.label("unit-kind", u.kind.as_str()),
            );
            choice(&id, label, id == chosen)
        })
        .collect()
}

/// What the organisation page shows besides its two forms.
struct Forms {
    new_unit: UnitValues,
    unit_error: Option<Refused>,
    new_member: MemberValues,
    member_error: Option<Refused>,
}

async fn org_page(
    state: &AppState,
    ctx: &Ctx,
    after: Option<String>,
    forms: Forms,
) -> Result<String, ApiError> {
    let tr = ctx.tr;
    let paged = after.is_some();
    let caller = ctx
        .member
        .clone()
        .map(Authenticated)
        .ok_or(ApiError::Unauthenticated)?;
    let page = PageParams {
        limit: Some(MEMBERS_PER_PAGE.to_owned()),
        cursor: after,
    };
    let members = members_of(state, &caller, &page).await?;
    let units = all_units(state, &caller).await?;
    let unit_name = |id: Option<Uuid>| {
        id.and_then(|id| units.iter().find(|u| u.id == id))
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    let shell = Shell::new(state, ctx, "/app/org").await?;
    let kind = if forms.new_unit.kind.is_empty() {
        UnitKind::Team.as_str()
    } else {
        forms.new_unit.kind.as_str()
    };
    render(&OrgPage {
        kinds: UnitKind::ALL
            .iter()
            .map(|k| {
                choice(
                    k.as_str(),
                    tr.label("unit-kind", k.as_str()),
                    k.as_str() == kind,
                )
            })
            .collect(),
        unit_categories: category_choices(state, tr, &forms.new_unit.categories),
        roles: role_choices(tr, &forms.new_member.role),
        member_units: unit_choices(tr, &units, &forms.new_member.unit),
        members: members
            .items
            .iter()
            .map(|m| MemberRow {
                id: m.id,
                name: m.name.clone(),
                email: m.email.clone(),
                role: tr.label("role", m.role.as_str()),
                unit: unit_name(m.unit_id),
                active: m.active,
            })
            .collect(),
        more_members: members.next_cursor,
        paged,
        units: units
            .iter()
            .map(|u| UnitRow {
                id: u.id,
                name: u.name.clone(),
                kind: tr.label("unit-kind", u.kind.as_str()),
                categories: u.categories.iter().map(|c| tr.category(c)).collect(),
            })
            .collect(),
        shell,
        new_unit: forms.new_unit,
        unit_error: forms.unit_error,
        new_member: forms.new_member,
        member_error: forms.member_error,
    })
}

#[derive(Debug, Default, Deserialize)]
pub struct OrgQuery {
    after: Option<String>,
}

/// `GET /app/org` (admins; anyone else gets the API's `403`).
pub async fn page(
    state: web::Data<AppState>,
    ctx: Ctx,
    query: web::Query<OrgQuery>,
) -> Result<HttpResponse, PageError> {
    ctx.member()?;
    let forms = Forms {
        new_unit: UnitValues::default(),
        unit_error: None,
        new_member: MemberValues::default(),
        member_error: None,
    };
    let body = org_page(&state, &ctx, query.into_inner().after, forms)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(ctx.html(StatusCode::OK, body))
}

/// The organisation page again, with a refused form's error beside it.
async fn org_refused(
    state: &AppState,
    ctx: &Ctx,
    error: ApiError,
    forms: Forms,
) -> Result<HttpResponse, PageError> {
    if !correctable(&error) {
        return Err(ctx.fail(error));
    }
    let body = org_page(state, ctx, None, forms)
        .await
        .map_err(|e| ctx.fail(e))?;
    Ok(ctx.html(error.status_code(), body))
}

/// `POST /app/org/units`: a new unit.
pub async fn create_unit(
    state: web::Data<AppState>,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let input = Fields::parse(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.one("csrf"))?;
    let values = UnitValues {
        name: input.text("name"),
        kind: input.text("kind"),
        categories: input.all("categories"),
    };
    let unit = CreateUnitBody {
        name: values.name.clone(),
        kind: values.kind.clone(),
        categories: Some(values.categories.clone()),
    };
    match create_unit_of(&state, &caller, &unit, None).await {
        Ok(_) => Ok(ctx.redirect("/app/org")),
        Err(error) => {
            let forms = Forms {
                unit_error: Some(Refused::in_form(&ctx.tr, &error, Some("unit"))),
                new_unit: values,
                new_member: MemberValues::default(),
                member_error: None,
            };
            org_refused(&state, &ctx, error, forms).await
        }
    }
}

/// `POST /app/org/members`: a new member.
pub async fn create_member(
    state: web::Data<AppState>,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let input = Fields::parse(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.one("csrf"))?;
    let values = MemberValues {
        name: input.text("name"),
        email: input.text("email"),
        role: input.text("role"),
        unit: input.text("unit"),
    };
    let created = match unit_field(&values.unit) {
        Ok(unit_id) => {
            let member = CreateMemberBody {
                name: values.name.clone(),
                email: values.email.clone(),
                role: values.role.clone(),
                unit_id,
                password: input.text("password"),
            };
            create_member_of(&state, &caller, &member, None).await
        }
        Err(error) => Err(error),
    };
    match created {
        Ok(_) => Ok(ctx.redirect("/app/org")),
        Err(error) => {
            let forms = Forms {
                new_unit: UnitValues::default(),
                unit_error: None,
                member_error: Some(Refused::new(&ctx.tr, &error)),
                new_member: values,
            };
            org_refused(&state, &ctx, error, forms).await
        }
    }
}

/// The unit a form chose: empty is none (administrators have no unit).
fn unit_field(raw: &str) -> Result<Option<Uuid>, ApiError> {
    match raw.trim() {
        "" => Ok(None),
        id => Uuid::parse_str(id)
            .map(Some)
            .map_err(|_| ApiError::field("unit_id", "no such unit")),
    }
}

fn path_id(ctx: &Ctx, raw: &str) -> Result<Uuid, PageError> {
    Uuid::parse_str(raw).map_err(|_| ctx.fail(ApiError::NotFound))
}

// ───────────────────────────────────────────────────────────────── a unit

async fn unit_page(
    state: &AppState,
    ctx: &Ctx,
    caller: &Authenticated,
    id: Uuid,
    typed: Option<(String, Vec<String>)>,
    error: Option<&ApiError>,
) -> Result<HttpResponse, PageError> {
    let tr = ctx.tr;
    let unit = all_units(state, caller)
        .await
        .map_err(|e| ctx.fail(e))?
        .into_iter()
        .find(|u| u.id == id)
        .ok_or_else(|| ctx.fail(ApiError::NotFound))?;
    let (name, ticked) = typed.unwrap_or_else(|| (unit.name.clone(), unit.categories.clone()));
    let shell = Shell::new(state, ctx, "/app/org")
        .await
        .map_err(|e| ctx.fail(e))?;
    let body = render(&UnitPage {
        shell,
        kind: tr.label("unit-kind", unit.kind.as_str()),
        name,
        categories: category_choices(state, tr, &ticked),
        error: error.map(|e| Refused::in_form(&tr, e, Some("unit"))),
        unit,
    })
    .map_err(|e| ctx.fail(e))?;
    let status = error.map(|e| e.status_code()).unwrap_or(StatusCode::OK);
    Ok(ctx.html(status, body))
}

/// `GET /app/org/units/{id}`: a unit's form. Only admins change units, so
/// only they are shown it (the API's `403` for anyone else).
pub async fn unit(
    state: web::Data<AppState>,
    ctx: Ctx,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    caller
        .may(upturn_domain::policy::Action::UpdateUnit)
        .map_err(|e| ctx.fail(e))?;
    let id = path_id(&ctx, &id)?;
    unit_page(&state, &ctx, &caller, id, None, None).await
}

/// `POST /app/org/units/{id}`: rename a unit or change its categories.
pub async fn update_unit(
    state: web::Data<AppState>,
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let id = path_id(&ctx, &id)?;
    let input = Fields::parse(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.one("csrf"))?;
    let (name, categories) = (input.text("name"), input.all("categories"));
    let updated = match whole_number("version", input.one("version")) {
        Ok(version) => {
            let change = UpdateUnitBody {
                name: Some(name.clone()),
                categories: Some(categories.clone()),
                version,
            };
            update_unit_of(&state, &caller, id, &change, None).await
        }
        Err(error) => Err(error),
    };
    match updated {
        Ok(_) => Ok(ctx.redirect("/app/org")),
        Err(error) if correctable(&error) => {
            let typed = (!stale(&error)).then_some((name, categories));
            unit_page(&state, &ctx, &caller, id, typed, Some(&error)).await
        }
        Err(error) => Err(ctx.fail(error)),
    }
}

// ─────────────────────────────────────────────────────────────── a member

async fn member_page(
    state: &AppState,
    ctx: &Ctx,
    caller: &Authenticated,
    id: Uuid,
    typed: Option<(MemberValues, i64)>,
    error: Option<&ApiError>,
) -> Result<HttpResponse, PageError> {
    let tr = ctx.tr;
    let member = member_of(state, caller, id)
        .await
        .map_err(|e| ctx.fail(e))?;
    let units = all_units(state, caller).await.map_err(|e| ctx.fail(e))?;
    let (values, version) = typed.unwrap_or_else(|| {
        (
            MemberValues {
                name: member.name.clone(),
                email: member.email.clone(),
                role: member.role.as_str().to_owned(),
                unit: member.unit_id.map(|u| u.to_string()).unwrap_or_default(),
            },
            member.version,
        )
    });
    let shell = Shell::new(state, ctx, "/app/org")
        .await
        .map_err(|e| ctx.fail(e))?;
    let body = render(&MemberPage {
        shell,
        roles: role_choices(tr, &values.role),
        units: unit_choices(tr, &units, &values.unit),
        values,
        version,
        error: error.map(|e| Refused::new(&tr, e)),
        member,
    })
    .map_err(|e| ctx.fail(e))?;
    let status = error.map(|e| e.status_code()).unwrap_or(StatusCode::OK);
    Ok(ctx.html(status, body))
}

/// `GET /app/org/members/{id}`: a member's form.
pub async fn member(
    state: web::Data<AppState>,
    ctx: Ctx,
    id: web::Path<String>,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let id = path_id(&ctx, &id)?;
    member_page(&state, &ctx, &caller, id, None, None).await
}

/// `POST /app/org/members/{id}`: change a member's name, email, role or
/// unit.
pub async fn update_member(
    state: web::Data<AppState>,
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let id = path_id(&ctx, &id)?;
    let input = Fields::parse(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.one("csrf"))?;
    let values = MemberValues {
        name: input.text("name"),
        email: input.text("email"),
        role: input.text("role"),
        unit: input.text("unit"),
    };
    let version = whole_number("version", input.one("version"));
    let updated = match (unit_field(&values.unit), &version) {
        (Ok(unit_id), Ok(version)) => {
            let change = UpdateMemberBody {
                name: Some(values.name.clone()),
                email: Some(values.email.clone()),
                role: Some(values.role.clone()),
                unit_id: Some(unit_id),
                active: None,
                password: None,
                version: *version,
            };
            update_member_of(&state, &caller, id, &change, None).await
        }
        (Err(error), _) => Err(error),
        (_, Err(_)) => Err(ApiError::field("version", "must be a whole number")),
    };
    match updated {
        Ok(_) => Ok(ctx.redirect("/app/org")),
        Err(error) if correctable(&error) => {
            let typed = match version {
                Ok(Some(v)) if !stale(&error) => Some((values, v)),
                _ => None,
            };
            member_page(&state, &ctx, &caller, id, typed, Some(&error)).await
        }
        Err(error) => Err(ctx.fail(error)),
    }
}

/// `POST /app/org/members/{id}/active`: `active=no` deactivates a member
/// (they can no longer sign in), `active=yes` brings them back.
pub async fn set_active(
    state: web::Data<AppState>,
    ctx: Ctx,
    id: web::Path<String>,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let id = path_id(&ctx, &id)?;
    let input = Fields::parse(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.one("csrf"))?;
    let updated = match whole_number("version", input.one("version")) {
        Ok(version) => {
            let change = UpdateMemberBody {
                name: None,
                email: None,
                role: None,
                unit_id: None,
                active: Some(input.one("active") == Some("yes")),
                password: None,
                version,
            };
            update_member_of(&state, &caller, id, &change, None).await
        }
        Err(error) => Err(error),
    };
    match updated {
        Ok(_) => Ok(ctx.redirect("/app/org")),
        Err(error) if correctable(&error) => {
            member_page(&state, &ctx, &caller, id, None, Some(&error)).await
        }
        Err(error) => Err(ctx.fail(error)),
    }
}
