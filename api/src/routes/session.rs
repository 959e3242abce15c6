//! `POST /api/v1/auth/login` and `GET /api/v1/me`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::auth::{Authenticated, verify_password};
use crate::client_address::client_address;
use crate::error::{ApiError, Problem};
use crate::http;
use crate::routes::members::MemberResponse;
use crate::startup::AppState;

#[derive(Debug, Deserialize, ToSchema)]
pub struct LoginBody {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: i64,
    pub member: MemberResponse,
}

/// Log in with email and password. An unknown email and a wrong password
/// get the same `401`; too many attempts get `429` with `Retry-After`.
#[utoipa::path(post, path = "/api/v1/auth/login", tag = "session", request_body = LoginBody,
    responses((status = 200, description = "Logged in", body = LoginResponse),
        (status = 401, description = "Unknown email or wrong password", body = Problem),
        (status = 429, description = "Too many attempts", body = Problem)))]
#[tracing::instrument(name = "log in", skip_all)]
pub async fn login(
    state: web::Data<AppState>,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    let input: LoginBody = http::json(&request, &body)?;
    let member = sign_in(&state, &request, &input.email, input.password).await?;
    let token = state.tokens.issue(&member)?;
    tracing::info!(member = %member.id, "Logged in");
    Ok(HttpResponse::Ok().json(LoginResponse {
        access_token: token,
        token_type: "Bearer".to_owned(),
        expires_in: state.tokens.ttl_seconds(),
        member: MemberResponse::from(&member),
    }))
}

/// The member an email and password name, for the API's login and the
/// sign-in page alike: rate-limited per client address and email, the same
/// `401` for an unknown email and a wrong password (both take as long).
pub async fn sign_in(
    state: &AppState,
    request: &HttpRequest,
    email: &str,
    password: String,
) -> Result<upturn_domain::org::Member, ApiError> {
    let email = email.trim().to_lowercase();
    let client = client_address(request, &state.trusted_proxies);
    state.login_limiter.check(format!("{client} {email}"))?;
    // An email no member could have (a NUL, say, which PostgreSQL refuses in
    // a query) is looked up by no one, and answered like an unknown one.
    let found = match upturn_domain::values::Email::parse("email", &email) {
        Ok(parsed) => state.store.member_for_login(parsed.as_str()).await?,
        Err(_) => None,
    };
    let (member, hash) = match found {
        Some((member, hash)) => (Some(member), hash),
        None => (None, state.tokens.dummy_hash.as_str().to_owned()),
    };
    // Verify even for an unknown email, so both answers take as long.
    let valid = verify_password(password, hash).await?;
    match member {
        Some(member) if valid && member.active => Ok(member),
        _ => Err(ApiError::InvalidCredentials),
    }
}

/// The caller.
#[utoipa::path(get, path = "/api/v1/me", tag = "session",
    responses((status = 200, description = "The caller", body = MemberResponse), (status = 401, description = "Not authenticated", body = Problem)),
    security(("bearer" = [])))]
pub async fn me(caller: Authenticated) -> HttpResponse {
    HttpResponse::Ok().json(MemberResponse::from(&caller.0))
}
