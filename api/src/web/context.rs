//! Who is reading a page, in which language, and the CSRF token their forms
//! carry: the `Ctx` every page handler takes, and how a page answers
//! (HTML with the security headers, redirects, errors shown in words).

use std::future::Future;
use std::pin::Pin;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::dev::Payload;
use actix_web::http::{StatusCode, header};
use actix_web::{FromRequest, HttpRequest, HttpResponse, HttpResponseBuilder, web};
use upturn_domain::Actor;
use upturn_domain::model::Role;
use upturn_domain::org::Member;

use super::i18n::{Lang, Tr};
use crate::auth::{Authenticated, member_for_token};
use crate::error::ApiError;
use crate::startup::AppState;

/// The page session: the same signed token the API issues, in an
/// `HttpOnly` cookie.
pub const SESSION_COOKIE: &str = "upturn_session";
/// A signed-out visitor's random value, which their sign-in form's CSRF
/// token is bound to.
pub const VISITOR_COOKIE: &str = "upturn_visitor";
/// The language chosen with the switch (a year, on this device).
pub const LANG_COOKIE: &str = "upturn_lang";

/// Scripts and styles from this server only, no inline script, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
     object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// A page's reader.
pub struct Ctx {
    pub tr: Tr,
    pub member: Option<Member>,
    /// The token every form of this page carries.
    pub csrf: String,
    /// What the CSRF token is bound to (the session token or the visitor's value).
    binding: String,
    /// A visitor value to set, when this visitor had none.
    new_visitor: Option<String>,
    /// Cookies go `Secure` when the page was reached over https.
    pub secure: bool,
    /// The path and query of this page, to come back to.
    pub here: String,
    /// `true` when the request asked only for the live part of the page.
    pub fragment: bool,
}

fn random_value() -> String {
    format!(
        "{}{}",
        uuid::Uuid::new_v4().simple(),
        uuid::Uuid::new_v4().simple()
    )
}

impl FromRequest for Ctx {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(request: &HttpRequest, _: &mut Payload) -> Self::Future {
        let state = request.app_data::<web::Data<AppState>>().cloned();
        let session = request.cookie(SESSION_COOKIE).map(|c| c.value().to_owned());
        let visitor = request.cookie(VISITOR_COOKIE).map(|c| c.value().to_owned());
        let chosen = request
            .cookie(LANG_COOKIE)
            .and_then(|c| Lang::from_code(c.value()));
        let browser = request
            .headers()
            .get(header::ACCEPT_LANGUAGE)
            .and_then(|v| v.to_str().ok())
            .map(Lang::negotiate)
            .unwrap_or_default();
        let secure = request.connection_info().scheme() == "https";
        let here = request
            .uri()
            .path_and_query()
            .map(|p| p.as_str().to_owned())
            .unwrap_or_else(|| "/".to_owned());
        let fragment = request.headers().contains_key("x-upturn-fragment");
        Box::pin(async move {
            let state =
                state.ok_or_else(|| ApiError::Internal(anyhow::anyhow!("no application state")))?;
            let member = match session.as_deref() {
                Some(token) => match member_for_token(&state, Some(token)).await {
                    Ok(member) => Some(member),
                    Err(ApiError::Unauthenticated) => None,
                    Err(other) => return Err(other),
                },
                None => None,
            };
            let (binding, new_visitor) = match (&member, session, visitor) {
                (Some(_), Some(token), _) => (token, None),
                (_, _, Some(visitor)) if visitor.len() == 64 => (visitor, None),
                _ => {
                    let fresh = random_value();
                    (fresh.clone(), Some(fresh))
                }
            };
            Ok(Ctx {
                tr: Tr::new(chosen.unwrap_or(browser)),
                csrf: state.tokens.csrf_token(&binding),
                member,
                binding,
                new_visitor,
                secure,
                here,
                fragment,
            })
        })
    }
}

impl Ctx {
    /// The signed-in member, or a page error that sends them to sign in.
    pub fn member(&self) -> Result<&Member, PageError> {
        self.member.as_ref().ok_or_else(|| PageError::SignIn {
            next: self.here.clone(),
        })
    }

    /// The signed-in member as the API's operations take them.
    pub fn caller(&self) -> Result<Authenticated, PageError> {
        self.member().cloned().map(Authenticated)
    }

    pub fn actor(&self) -> Result<Actor, PageError> {
        self.member().map(Member::actor)
    }

    pub fn role(&self) -> Option<Role> {
        self.member.as_ref().map(|m| m.role)
    }

    /// Checks the CSRF token a form or a script sent.
    pub fn check_csrf(&self, state: &AppState, sent: Option<&str>) -> Result<(), PageError> {
        match sent {
            Some(token) if state.tokens.csrf_matches(&self.binding, token) => Ok(()),
            _ => Err(self.fail(ApiError::Forbidden(
                "the form has expired; reload the page".to_owned(),
            ))),
        }
    }

    /// An error shown as a page in the reader's language.
    pub fn fail(&self, error: impl Into<ApiError>) -> PageError {
        PageError::Shown {
            tr: self.tr,
            signed_in: self.member.is_some(),
            error: error.into(),
        }
    }

    fn cookie<'c>(&self, name: &'c str, value: String, max_age_seconds: i64) -> Cookie<'c> {
        Cookie::build(name, value)
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(actix_web::cookie::time::Duration::seconds(max_age_seconds))
            .finish()
    }

    /// The session cookie for a member who just signed in.
    pub fn session_cookie(&self, token: String, ttl_seconds: i64) -> Cookie<'static> {
        self.cookie(SESSION_COOKIE, token, ttl_seconds)
    }

    /// The cookie that ends the session.
    pub fn cleared_session(&self) -> Cookie<'static> {
        self.cookie(SESSION_COOKIE, String::new(), 0)
    }

    pub fn lang_cookie(&self, lang: Lang) -> Cookie<'static> {
        self.cookie(LANG_COOKIE, lang.code().to_owned(), 365 * 86_400)
    }

    fn respond(&self, mut builder: HttpResponseBuilder) -> HttpResponseBuilder {
        secure_headers(&mut builder);
        if let Some(value) = &self.new_visitor {
            builder.cookie(self.cookie(VISITOR_COOKIE, value.clone(), 86_400));
        }
        builder
    }

    /// A rendered page.
    pub fn html(&self, status: StatusCode, body: String) -> HttpResponse {
        self.respond(HttpResponse::build(status))
            .content_type("text/html; charset=utf-8")
            .body(body)
    }

    /// `303 See Other` to `to`.
    pub fn redirect(&self, to: &str) -> HttpResponse {
        self.redirect_with(to, Vec::new())
    }

    pub fn redirect_with(&self, to: &str, cookies: Vec<Cookie<'static>>) -> HttpResponse {
        let mut builder = self.respond(HttpResponse::SeeOther());
        builder.insert_header((header::LOCATION, to.to_owned()));
        for cookie in cookies {
            builder.cookie(cookie);
        }
        builder.finish()
    }
}

/// Headers every page answer carries.
pub fn secure_headers(builder: &mut HttpResponseBuilder) {
    builder
        .insert_header((header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"))
        .insert_header((header::REFERRER_POLICY, "same-origin"))
        .insert_header((header::CACHE_CONTROL, "no-store"));
}

/// Why a page could not be shown.
#[derive(Debug, thiserror::Error)]
pub enum PageError {
    /// Not signed in: go to the sign-in page, then come back.
    #[error("sign in first")]
    SignIn { next: String },
    /// An error of the operation, shown in words.
    #[error("{error}")]
    Shown {
        tr: Tr,
        signed_in: bool,
        error: ApiError,
    },
}

impl actix_web::ResponseError for PageError {
    fn status_code(&self) -> StatusCode {
        match self {
            PageError::SignIn { .. } => StatusCode::SEE_OTHER,
            PageError::Shown { error, .. } => error.status_code(),
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            PageError::SignIn { next } => {
                let mut builder = HttpResponse::SeeOther();
                secure_headers(&mut builder);
                let next: String = form_urlencoded_component(next);
                builder
                    .insert_header((header::LOCATION, format!("/?next={next}")))
                    .finish()
            }
            PageError::Shown {
                tr,
                signed_in,
                error,
            } => {
                if let ApiError::Internal(cause) = error {
                    tracing::error!(error.cause_chain = ?cause, error.message = %cause, "Page failed");
                }
                let mut builder = HttpResponse::build(error.status_code());
                secure_headers(&mut builder);
                builder
                    .content_type("text/html; charset=utf-8")
                    .body(super::pages::error_page(*tr, *signed_in, error))
            }
        }
    }
}

/// Percent-encodes a value for a query string.
pub fn form_urlencoded_component(value: &str) -> String {
    serde_urlencoded::to_string([("v", value)])
        .map(|s| s.trim_start_matches("v=").to_owned())
        .unwrap_or_default()
}
