//! `/`: signing in (with the demo logins in demo mode), signing out, the
//! language switch, and `/app`, which opens each member's home.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::{error_words, form, render};
use crate::error::ApiError;
use crate::startup::AppState;
use crate::web::context::{Ctx, PageError};
use crate::web::i18n::Lang;
use crate::web::shell::{Shell, home_of};

/// A demo login, as the sign-in page lists it.
pub struct DemoLogin {
    pub email: String,
    pub role: String,
    pub unit: String,
}

#[derive(Template)]
#[template(path = "web/sign_in.html")]
struct SignInPage<'a> {
    shell: Shell<'a>,
    next: String,
    email: String,
    error: Option<String>,
    demo: Vec<DemoLogin>,
    demo_password: &'static str,
}

#[derive(Debug, Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// Only a path of this site: never somewhere else after signing in.
fn safe_next(next: Option<&str>) -> Option<String> {
    next.filter(|n| n.starts_with('/') && !n.starts_with("//") && !n.contains('\\'))
        .map(str::to_owned)
}

fn sign_in_page(
    state: &AppState,
    ctx: &Ctx,
    shell: Shell<'_>,
    next: String,
    email: String,
    error: Option<String>,
) -> Result<String, ApiError> {
    let demo = state
        .demo_logins
        .get()
        .map(|logins| {
            logins
                .iter()
                .map(|l| DemoLogin {
                    email: l.email.clone(),
                    role: ctx.tr.label("role", &l.role),
                    unit: l.unit.clone(),
                })
                .collect()
        })
        .unwrap_or_default();
    render(&SignInPage {
        shell,
        next,
        email,
        error,
        demo,
        demo_password: crate::demo::PASSWORD,
    })
}

/// `GET /`: the sign-in page, or the member's home when signed in.
pub async fn page(
    state: web::Data<AppState>,
    ctx: Ctx,
    query: web::Query<NextQuery>,
) -> Result<HttpResponse, PageError> {
    if let Some(member) = &ctx.member {
        return Ok(ctx.redirect(home_of(member.role)));
    }
    let shell = Shell::new(&state, &ctx, "/")
        .await
        .map_err(|e| ctx.fail(e))?;
    let next = safe_next(query.next.as_deref()).unwrap_or_default();
    let body =
        sign_in_page(&state, &ctx, shell, next, String::new(), None).map_err(|e| ctx.fail(e))?;
    Ok(ctx.html(StatusCode::OK, body))
}

#[derive(Debug, Deserialize)]
pub struct SignInForm {
    email: String,
    password: String,
    csrf: Option<String>,
    next: Option<String>,
}

/// `POST /sign-in`: the same check as the API's login; the session is the
/// API's token in an `HttpOnly` cookie.
pub async fn submit(
    state: web::Data<AppState>,
    ctx: Ctx,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let input: SignInForm = form(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.csrf.as_deref())?;
    let next = safe_next(input.next.as_deref());
    match crate::routes::session::sign_in(&state, &request, &input.email, input.password).await {
        Ok(member) => {
            let token = state.tokens.issue(&member).map_err(|e| ctx.fail(e))?;
            tracing::info!(member = %member.id, "Signed in to the pages");
            let mut cookies = vec![ctx.session_cookie(token, state.tokens.ttl_seconds())];
            // The language the member chose follows them to this device.
            let chosen = state
                .store
                .member_language(member.id)
                .await
                .map_err(|e| ctx.fail(e))?;
            if let Some(lang) = chosen.as_deref().and_then(Lang::from_code) {
                cookies.push(ctx.lang_cookie(lang));
            }
            let to = next.unwrap_or_else(|| home_of(member.role).to_owned());
            Ok(ctx.redirect_with(&to, cookies))
        }
        Err(error @ (ApiError::InvalidCredentials | ApiError::RateLimited(_))) => {
            let status = actix_web::ResponseError::status_code(&error);
            let (message, _) = error_words(&ctx.tr, &error);
            let shell = Shell::new(&state, &ctx, "/")
                .await
                .map_err(|e| ctx.fail(e))?;
            let body = sign_in_page(
                &state,
                &ctx,
                shell,
                next.unwrap_or_default(),
                input.email,
                Some(message),
            )
            .map_err(|e| ctx.fail(e))?;
            Ok(ctx.html(status, body))
        }
        Err(other) => Err(ctx.fail(other)),
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfForm {
    pub csrf: Option<String>,
}

/// `POST /sign-out`.
pub async fn sign_out(
    state: web::Data<AppState>,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let input: CsrfForm = form(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.csrf.as_deref())?;
    Ok(ctx.redirect_with("/", vec![ctx.cleared_session()]))
}

#[derive(Debug, Deserialize)]
pub struct LanguageForm {
    csrf: Option<String>,
    lang: String,
    back: Option<String>,
}

/// `POST /language`: the switch; the choice is kept on this device and, for
/// a signed-in member, remembered for every device they sign in on.
pub async fn language(
    state: web::Data<AppState>,
    ctx: Ctx,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let input: LanguageForm = form(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.csrf.as_deref())?;
    let lang = Lang::from_code(&input.lang)
        .ok_or_else(|| ctx.fail(ApiError::field("lang", "must be en or fr")))?;
    if let Some(member) = &ctx.member {
        state
            .store
            .set_member_language(member.id, lang.code())
            .await
            .map_err(|e| ctx.fail(e))?;
    }
    let back = safe_next(input.back.as_deref()).unwrap_or_else(|| "/".to_owned());
    Ok(ctx.redirect_with(&back, vec![ctx.lang_cookie(lang)]))
}

/// `GET /app`: the member's home.
pub async fn home(ctx: Ctx) -> Result<HttpResponse, PageError> {
    let member = ctx.member()?;
    Ok(ctx.redirect(home_of(member.role)))
}
