//! `/api/v1/members`: who works where (admins only). Members are
//! deactivated, never deleted.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use upturn_domain::model::Role;
use upturn_domain::org::Member;
use upturn_domain::policy::Action;
use upturn_domain::values::{Email, Errors, FieldError, Name, Password};
use upturn_persistence::{MemberPatch, NewMember};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::{Authenticated, hash_password};
use crate::error::{ApiError, Problem};
use crate::http::{self, PageParams, Paged, etag};
use crate::startup::AppState;

/// A member (never their password or its hash).
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberResponse {
    pub id: Uuid,
    pub name: String,
    pub email: String,
    /// `frontline`, `manager`, `service`, `leader` or `admin`.
    pub role: String,
    pub unit_id: Option<Uuid>,
    pub active: bool,
}

impl From<&Member> for MemberResponse {
    fn from(m: &Member) -> Self {
        MemberResponse {
            id: m.id,
            name: m.name.clone(),
            email: m.email.clone(),
            role: m.role.as_str().to_owned(),
            unit_id: m.unit_id,
            active: m.active,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateMemberBody {
    pub name: String,
    pub email: String,
    /// Must fit the unit: `frontline`/`manager` → a team, `service` → a
    /// service unit, `leader` → the leadership unit, `admin` → no unit.
    pub role: String,
    pub unit_id: Option<Uuid>,
    /// At least 8 characters.
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateMemberBody {
    pub name: Option<String>,
    pub email: Option<String>,
    pub role: Option<String>,
    /// Give `null` explicitly to move an admin out of any unit.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub unit_id: Option<Option<Uuid>>,
    /// `false` deactivates: the member can no longer log in.
    pub active: Option<bool>,
    pub password: Option<String>,
    pub version: Option<i64>,
}

fn double_option<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<Uuid>>, D::Error> {
    Option::<Uuid>::deserialize(d).map(Some)
}

fn role(raw: &str) -> Result<Role, FieldError> {
    raw.parse()
        .map_err(|e: upturn_domain::model::UnknownValue| {
            FieldError::new("role", format!("must be one of: {}", e.expected))
        })
}

fn location(id: Uuid) -> String {
    format!("/api/v1/members/{id}")
}

fn answer(member: &Member) -> http::Answer<MemberResponse> {
    http::Answer {
        location: location(member.id),
        version: Some(member.version),
        body: MemberResponse::from(member),
    }
}

fn ok(member: &Member) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(etag(member.version))
        .json(MemberResponse::from(member))
}

/// List members (admin).
#[utoipa::path(get, path = "/api/v1/members", tag = "organisation", params(PageParams),
    responses((status = 200, description = "A page of members", body = Paged<MemberResponse>), (status = 403, description = "Admins only", body = Problem)),
    security(("bearer" = [])))]
pub async fn list_members(
    state: web::Data<AppState>,
    caller: Authenticated,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::ListMembers)?;
    let page = state
        .store
        .list_members(page.cursor()?, page.limit()?)
        .await?;
    Ok(HttpResponse::Ok().json(Paged::<MemberResponse>::new(page)))
}

/// Read a member (admin).
#[utoipa::path(get, path = "/api/v1/members/{id}", tag = "organisation", params(("id" = Uuid, Path)),
    responses((status = 200, description = "The member", body = MemberResponse), (status = 403, description = "Admins only", body = Problem), (status = 404, description = "No such member", body = Problem)),
    security(("bearer" = [])))]
pub async fn get_member(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::ReadMember)?;
    Ok(ok(&state.store.member(*id).await?))
}

/// Create a member (admin). Honours `Idempotency-Key`.
#[utoipa::path(post, path = "/api/v1/members", tag = "organisation", request_body = CreateMemberBody,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses((status = 201, description = "Created", body = MemberResponse, headers(("Location" = String))),
        (status = 403, description = "Admins only", body = Problem), (status = 409, description = "Email taken", body = Problem),
        (status = 422, description = "Validation failed, or role does not fit the unit", body = Problem)),
    security(("bearer" = [])))]
pub async fn create_member(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::CreateMember)?;
    let input: CreateMemberBody = http::json(&request, &body)?;
    let mut errors = Errors::default();
    let name = errors.take(Name::parse("name", &input.name));
    let email = errors.take(Email::parse("email", &input.email));
    let role = errors.take(role(&input.role));
    let password = errors.take(Password::parse("password", &input.password));
    let (Some(name), Some(email), Some(role), Some(password)) = (name, email, role, password)
    else {
        return Err(ApiError::Validation(errors.into_vec()));
    };
    let store = state.store.clone();
    http::create(
        &store,
        &request,
        caller.0.id,
        "POST /api/v1/members",
        &body,
        answer,
        |idem| async move {
            let new = NewMember {
                name: name.into_inner(),
                email: email.as_str().to_owned(),
                role,
                unit_id: input.unit_id,
                password_hash: hash_password(password.expose().to_owned()).await?,
            };
            Ok(state.store.create_member(new, idem).await?)
        },
    )
    .await
}

/// Change a member, deactivate them (`active: false`) or reset their
/// password (admin).
#[utoipa::path(patch, path = "/api/v1/members/{id}", tag = "organisation", request_body = UpdateMemberBody,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses((status = 200, description = "Updated", body = MemberResponse), (status = 403, description = "Admins only", body = Problem),
        (status = 404, description = "No such member", body = Problem), (status = 409, description = "Email taken or stale version", body = Problem),
        (status = 412, description = "Stale If-Match", body = Problem), (status = 422, description = "Validation failed", body = Problem)),
    security(("bearer" = [])))]
pub async fn update_member(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::UpdateMember)?;
    let input: UpdateMemberBody = http::json(&request, &body)?;
    let mut errors = Errors::default();
    let name = errors.take(
        input
            .name
            .as_deref()
            .map(|n| Name::parse("name", n))
            .transpose(),
    );
    let email = errors.take(
        input
            .email
            .as_deref()
            .map(|e| Email::parse("email", e))
            .transpose(),
    );
    let new_role = errors.take(input.role.as_deref().map(role).transpose());
    let password = errors.take(
        input
            .password
            .as_deref()
            .map(|p| Password::parse("password", p))
            .transpose(),
    );
    let (Some(name), Some(email), Some(new_role), Some(password)) =
        (name, email, new_role, password)
    else {
        return Err(ApiError::Validation(errors.into_vec()));
    };
    if *id == caller.0.id && input.active == Some(false) {
        return Err(ApiError::field("active", "you cannot deactivate yourself"));
    }
    let password_hash = match password {
        Some(p) => Some(hash_password(p.expose().to_owned()).await?),
        None => None,
    };
    let patch = MemberPatch {
        name: name.map(Name::into_inner),
        email: email.map(|e| e.as_str().to_owned()),
        role: new_role,
        unit_id: input.unit_id,
        active: input.active,
        password_hash,
    };
    let member = state
        .store
        .update_member(*id, patch, http::if_match(&request)?, input.version)
        .await?;
    state.members.forget(member.id);
    Ok(ok(&member))
}
