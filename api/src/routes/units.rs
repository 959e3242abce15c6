//! `/api/v1/units`: the organisation's teams, services and leadership.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use upturn_domain::model::UnitKind;
use upturn_domain::org::Unit;
use upturn_domain::policy::Action;
use upturn_domain::values::{Errors, FieldError, Name};
use upturn_persistence::{Idem, NewUnit, Page, UnitPatch};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http::{self, PageParams, Paged, etag};
use crate::startup::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitResponse {
    pub id: Uuid,
    pub name: String,
    /// `team`, `service` or `leadership`.
    #[schema(value_type = crate::openapi::UnitKindName)]
    pub kind: String,
    #[schema(value_type = Vec<crate::openapi::CategoryName>)]
    pub categories: Vec<String>,
}

impl From<&Unit> for UnitResponse {
    fn from(u: &Unit) -> Self {
        UnitResponse {
            id: u.id,
            name: u.name.clone(),
            kind: u.kind.as_str().to_owned(),
            categories: u.categories.clone(),
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateUnitBody {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    /// `team`, `service` or `leadership` (only one leadership unit).
    #[schema(value_type = crate::openapi::UnitKindName)]
    pub kind: String,
    /// The categories this unit handles.
    #[schema(value_type = Option<Vec<crate::openapi::CategoryName>>)]
    pub categories: Option<Vec<String>>,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateUnitBody {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    #[schema(value_type = Option<Vec<crate::openapi::CategoryName>>)]
    pub categories: Option<Vec<String>>,
    pub version: Option<i64>,
}

fn categories(
    raw: Option<&[String]>,
    allowed: &[String],
) -> Result<Option<Vec<String>>, FieldError> {
    raw.map(|list| {
        let mut kept: Vec<String> = Vec::new();
        for category in list {
            upturn_domain::values::Category::parse("categories", category, allowed)?;
            if !kept.contains(category) {
                kept.push(category.clone());
            }
        }
        Ok(kept)
    })
    .transpose()
}

impl CreateUnitBody {
    /// The unit to create, or every field that does not parse.
    pub fn try_into_domain(&self, allowed: &[String]) -> Result<NewUnit, ApiError> {
        let mut errors = Errors::default();
        let name = errors.take(Name::parse("name", &self.name));
        let kind = errors.take(
            self.kind
                .parse::<UnitKind>()
                .map_err(|e| FieldError::new("kind", format!("must be one of: {}", e.expected))),
        );
        let categories = errors.take(categories(self.categories.as_deref(), allowed));
        let (Some(name), Some(kind), Some(categories)) = (name, kind, categories) else {
            return Err(ApiError::Validation(errors.into_vec()));
        };
        Ok(NewUnit {
            name: name.into_inner(),
            kind,
            categories: categories.unwrap_or_default(),
        })
    }
}

impl UpdateUnitBody {
    /// The change to make, or every field that does not parse.
    pub fn try_into_domain(&self, allowed: &[String]) -> Result<UnitPatch, ApiError> {
        let mut errors = Errors::default();
        let name = errors.take(
            self.name
                .as_deref()
                .map(|n| Name::parse("name", n))
                .transpose(),
        );
        let categories = errors.take(categories(self.categories.as_deref(), allowed));
        let (Some(name), Some(categories)) = (name, categories) else {
            return Err(ApiError::Validation(errors.into_vec()));
        };
        Ok(UnitPatch {
            name: name.map(Name::into_inner),
            categories,
        })
    }
}

/// The units, a page at a time (any member).
pub async fn units_of(
    state: &AppState,
    caller: &Authenticated,
    page: &PageParams,
) -> Result<Page<Unit>, ApiError> {
    caller.may(Action::ListUnits)?;
    Ok(state
        .store
        .list_units(page.cursor()?, page.limit()?)
        .await?)
}

/// Creates a unit (admins), for the API and the organisation page alike.
pub async fn create_unit_of(
    state: &AppState,
    caller: &Authenticated,
    input: &CreateUnitBody,
    idem: Option<Idem<Unit>>,
) -> Result<Unit, ApiError> {
    caller.may(Action::CreateUnit)?;
    let new = input.try_into_domain(&state.categories)?;
    Ok(state
        .store
        .create_unit(Some(caller.0.id), new, idem)
        .await?)
}

/// Renames a unit or changes its categories (admins); `if_match` and the
/// body's `version` are the versions the caller saw.
pub async fn update_unit_of(
    state: &AppState,
    caller: &Authenticated,
    id: Uuid,
    input: &UpdateUnitBody,
    if_match: Option<i64>,
) -> Result<Unit, ApiError> {
    caller.may(Action::UpdateUnit)?;
    let patch = input.try_into_domain(&state.categories)?;
    Ok(state
        .store
        .update_unit(Some(caller.0.id), id, patch, if_match, input.version)
        .await?)
}

fn location(id: Uuid) -> String {
    format!("/api/v1/units/{id}")
}

fn answer(unit: &Unit) -> http::Answer<UnitResponse> {
    http::Answer {
        location: location(unit.id),
        version: Some(unit.version),
        body: UnitResponse::from(unit),
    }
}

fn ok(unit: &Unit) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(etag(unit.version))
        .json(UnitResponse::from(unit))
}

/// List units (any member).
#[utoipa::path(get, path = "/api/v1/units", tag = "organisation", params(PageParams),
    responses((status = 200, description = "A page of units", body = Paged<UnitResponse>), (status = 401, description = "Not authenticated", body = Problem)),
    security(("bearer" = [])))]
pub async fn list_units(
    state: web::Data<AppState>,
    caller: Authenticated,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let page = units_of(&state, &caller, &page).await?;
    Ok(HttpResponse::Ok().json(Paged::<UnitResponse>::new(page)))
}

/// Read a unit (any member).
#[utoipa::path(get, path = "/api/v1/units/{id}", tag = "organisation", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The unit", body = UnitResponse), (status = 404, description = "No such unit", body = Problem)),
    security(("bearer" = [])))]
pub async fn get_unit(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::ReadUnit)?;
    Ok(ok(&state.store.unit(*id).await?))
}

/// Create a unit (admin). Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/units", tag = "organisation", request_body = CreateUnitBody,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, description = "Created", body = UnitResponse, headers(("Location" = String))),
        (status = 403, description = "Admins only", body = Problem), (status = 422, description = "Validation failed", body = Problem)),
    security(("bearer" = [])))]
pub async fn create_unit(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // Before the body is read: a refused role never learns what is wrong with it.
    caller.may(Action::CreateUnit)?;
    let input: CreateUnitBody = http::json(&request, &body)?;
    let store = state.store.clone();
    http::create(
        &store,
        &request,
        caller.0.id,
        "POST /api/v1/units",
        &body,
        answer,
        |idem| async move { create_unit_of(&state, &caller, &input, idem).await },
    )
    .await
}

/// Rename a unit or change its categories (admin).
#[utoipa::path(patch, path = "/api/v1/units/{id}", tag = "organisation", request_body = UpdateUnitBody,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "Updated", body = UnitResponse), (status = 403, description = "Admins only", body = Problem),
        (status = 404, description = "No such unit", body = Problem), (status = 409, description = "Stale version", body = Problem),
        (status = 412, description = "Stale If-Match", body = Problem), (status = 422, description = "Validation failed", body = Problem)),
    security(("bearer" = [])))]
pub async fn update_unit(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::UpdateUnit)?;
    let input: UpdateUnitBody = http::json(&request, &body)?;
    let unit = update_unit_of(&state, &caller, *id, &input, http::if_match(&request)?).await?;
    Ok(ok(&unit))
}
