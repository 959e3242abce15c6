//! `/api/v1/members`: who works where (admins only). Members are
//! deactivated, never deleted.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use upturn_domain::model::Role;
use upturn_domain::org::Member;
use upturn_domain::policy::Action;
use upturn_domain::values::{Email, Errors, FieldError, Name, Password};
use upturn_persistence::{Idem, MemberPatch, NewMember, Page};
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
    #[schema(value_type = crate::openapi::RoleName)]
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
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub name: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// Must fit the unit: `frontline`/`manager` → a team, `service` → a
    /// service unit, `leader` → the leadership unit, `admin` → no unit.
    #[schema(value_type = crate::openapi::RoleName)]
    pub role: String,
    pub unit_id: Option<Uuid>,
    /// At least 8 characters.
    #[schema(min_length = 8, max_length = 1024)]
    pub password: String,
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateMemberBody {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub name: Option<String>,
    #[schema(format = Email, max_length = 254)]
    pub email: Option<String>,
    #[schema(value_type = Option<crate::openapi::RoleName>)]
    pub role: Option<String>,
    /// Give `null` explicitly to move an admin out of any unit.
    #[serde(default, deserialize_with = "double_option")]
    #[schema(value_type = Option<Uuid>)]
    pub unit_id: Option<Option<Uuid>>,
    /// `false` deactivates: the member can no longer log in.
    pub active: Option<bool>,
    #[schema(min_length = 8, max_length = 1024)]
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

/// A member to create, parsed; the password is hashed only when the member
/// is created.
struct ParsedMember {
    name: Name,
    email: Email,
    role: Role,
    unit_id: Option<Uuid>,
    password: Password,
}

impl CreateMemberBody {
    /// The member to create, or every field that does not parse.
    fn try_into_domain(&self) -> Result<ParsedMember, ApiError> {
        let mut errors = Errors::default();
        let name = errors.take(Name::parse("name", &self.name));
        let email = errors.take(Email::parse("email", &self.email));
        let role = errors.take(role(&self.role));
        let password = errors.take(Password::parse("password", &self.password));
        let (Some(name), Some(email), Some(role), Some(password)) = (name, email, role, password)
        else {
            return Err(ApiError::Validation(errors.into_vec()));
        };
        Ok(ParsedMember {
            name,
            email,
            role,
            unit_id: self.unit_id,
            password,
        })
    }
}

impl UpdateMemberBody {
    /// The change to make, its password still in clear, or every field that
    /// does not parse.
    fn try_into_domain(&self) -> Result<(MemberPatch, Option<Password>), ApiError> {
        let mut errors = Errors::default();
        let name = errors.take(
            self.name
                .as_deref()
                .map(|n| Name::parse("name", n))
                .transpose(),
        );
        let email = errors.take(
            self.email
                .as_deref()
                .map(|e| Email::parse("email", e))
                .transpose(),
        );
        let new_role = errors.take(self.role.as_deref().map(role).transpose());
        let password = errors.take(
            self.password
                .as_deref()
                .map(|p| Password::parse("password", p))
                .transpose(),
        );
        let (Some(name), Some(email), Some(new_role), Some(password)) =
            (name, email, new_role, password)
        else {
            return Err(ApiError::Validation(errors.into_vec()));
        };
        let patch = MemberPatch {
            name: name.map(Name::into_inner),
            email: email.map(|e| e.as_str().to_owned()),
            role: new_role,
            unit_id: self.unit_id,
            active: self.active,
            password_hash: None,
        };
        Ok((patch, password))
    }
}

/// The members, a page at a time (admins).
pub async fn members_of(
    state: &AppState,
    caller: &Authenticated,
    page: &PageParams,
) -> Result<Page<Member>, ApiError> {
    caller.may(Action::ListMembers)?;
    Ok(state
        .store
        .list_members(page.cursor()?, page.limit()?)
        .await?)
}

/// One member (admins).
pub async fn member_of(
    state: &AppState,
    caller: &Authenticated,
    id: Uuid,
) -> Result<Member, ApiError> {
    caller.may(Action::ReadMember)?;
    Ok(state.store.member(id).await?)
}

/// Creates a member (admins), for the API and the organisation page alike.
pub async fn create_member_of(
    state: &AppState,
    caller: &Authenticated,
    input: &CreateMemberBody,
    idem: Option<Idem<Member>>,
) -> Result<Member, ApiError> {
    caller.may(Action::CreateMember)?;
    let parsed = input.try_into_domain()?;
    let new = NewMember {
        name: parsed.name.into_inner(),
        email: parsed.email.as_str().to_owned(),
        role: parsed.role,
        unit_id: parsed.unit_id,
        password_hash: hash_password(parsed.password.expose().to_owned()).await?,
    };
    Ok(state
        .store
        .create_member(Some(caller.0.id), new, idem)
        .await?)
}

/// Changes a member, deactivates or reactivates them, or resets their
/// password (admins); `if_match` and the body's `version` are the versions
/// the caller saw. Their older tokens end with the change.
pub async fn update_member_of(
    state: &AppState,
    caller: &Authenticated,
    id: Uuid,
    input: &UpdateMemberBody,
    if_match: Option<i64>,
) -> Result<Member, ApiError> {
    caller.may(Action::UpdateMember)?;
    let (mut patch, password) = input.try_into_domain()?;
    if id == caller.0.id && input.active == Some(false) {
        return Err(ApiError::field("active", "you cannot deactivate yourself"));
    }
    if let Some(password) = password {
        patch.password_hash = Some(hash_password(password.expose().to_owned()).await?);
    }
    let member = state
        .store
        .update_member(Some(caller.0.id), id, patch, if_match, input.version)
        .await?;
    state.members.forget(member.id);
    Ok(member)
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
    let page = members_of(&state, &caller, &page).await?;
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
    Ok(ok(&member_of(&state, &caller, *id).await?))
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
    // Before the body is read: a refused role never learns what is wrong with it.
    caller.may(Action::CreateMember)?;
    let input: CreateMemberBody = http::json(&request, &body)?;
    let store = state.store.clone();
    http::create(
        &store,
        &request,
        caller.0.id,
        "POST /api/v1/members",
        &body,
        answer,
        |idem| async move { create_member_of(&state, &caller, &input, idem).await },
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
    let member = update_member_of(&state, &caller, *id, &input, http::if_match(&request)?).await?;
    Ok(ok(&member))
}
