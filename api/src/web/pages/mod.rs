//! One module per page (or family of forms), each a handler that parses,
//! calls the store and the domain like the JSON API does, and renders.

pub mod audit;
pub mod board;
pub mod dashboard;
pub mod inbox;
pub mod initiatives;
pub mod intake;
pub mod knowledge;
pub mod org;
pub mod pulse;
pub mod request;
pub mod rules;
pub mod sign_in;
pub mod track;
pub mod webhooks;

use askama::Template;
use serde::de::DeserializeOwned;

use upturn_domain::org::Unit;

use super::i18n::Tr;
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::http::PageParams;
use crate::routes::units::units_of;
use crate::startup::AppState;

/// A form body, or `422` naming what did not parse.
pub fn form<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    serde_urlencoded::from_bytes(body).map_err(|e| ApiError::field("form", e.to_string()))
}

/// A rendered template, or the error of rendering it.
pub fn render(template: &impl Template) -> Result<String, ApiError> {
    template
        .render()
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("Failed to render a page: {e}")))
}

/// Every unit, for a page's lists of units (an organisation has a few
/// dozen; the API pages them by 200).
pub async fn all_units(state: &AppState, caller: &Authenticated) -> Result<Vec<Unit>, ApiError> {
    let page = PageParams {
        limit: Some("200".to_owned()),
        cursor: None,
    };
    Ok(units_of(state, caller, &page).await?.items)
}

/// A form whose fields may repeat (a group of checkboxes sends one value
/// per box ticked), read as the browser sent it.
pub struct Fields(Vec<(String, String)>);

impl Fields {
    /// A form body, or `422` naming what did not parse.
    pub fn parse(body: &[u8]) -> Result<Fields, ApiError> {
        form::<Vec<(String, String)>>(body).map(Fields)
    }

    /// The first value of `name`, if sent.
    pub fn one(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// The first value of `name`, or nothing.
    pub fn text(&self, name: &str) -> String {
        self.one(name).unwrap_or_default().to_owned()
    }

    /// Every value of `name`, in the order sent.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

/// A whole number typed in a form field; empty is `None`.
pub fn whole_number(field: &str, raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(text) => text
            .parse()
            .map(Some)
            .map_err(|_| ApiError::field(field, "must be a whole number")),
    }
}

/// The words for an error: what happened and, for a refused form, which
/// fields to look at.
pub fn error_words(tr: &Tr, error: &ApiError) -> (String, Vec<String>) {
    error_words_in(tr, error, None)
}

/// [`error_words`] for one form of a page: a field is first looked up as
/// `field-{form}-{field}` (a unit's `kind` is not a request's), then as
/// `field-{field}`. A field of a list (`policies[2].urgency`) is named like
/// the field of any item (`field-policies-urgency`).
pub fn error_words_in(tr: &Tr, error: &ApiError, form: Option<&str>) -> (String, Vec<String>) {
    let message = tr.t(&format!("error-{}", error.code()));
    let fields = match error {
        ApiError::Validation(errors) => {
            let mut fields: Vec<String> = Vec::new();
            for e in errors {
                let name = without_indexes(&e.field.replace('.', "-"));
                let words = form
                    .and_then(|form| tr.try_t(&format!("field-{form}-{name}")))
                    .or_else(|| tr.try_t(&format!("field-{name}")))
                    .unwrap_or_else(|| e.field.clone());
                if !fields.contains(&words) {
                    fields.push(words);
                }
            }
            fields
        }
        _ => Vec::new(),
    };
    (message, fields)
}

/// `policies[2]-urgency` → `policies-urgency`.
fn without_indexes(key: &str) -> String {
    let mut out = String::with_capacity(key.len());
    let mut depth = 0;
    for c in key.chars() {
        match c {
            '[' => depth += 1,
            ']' => depth -= 1,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    out
}

/// A refusal in words, shown beside the form that caused it.
pub struct Refused {
    pub message: String,
    pub fields: Vec<String>,
}

impl Refused {
    pub fn new(tr: &Tr, error: &ApiError) -> Refused {
        Refused::in_form(tr, error, None)
    }

    /// The refusal of one form of a page (see [`error_words_in`]).
    pub fn in_form(tr: &Tr, error: &ApiError, form: Option<&str>) -> Refused {
        let (message, fields) = error_words_in(tr, error, form);
        Refused { message, fields }
    }
}

/// Whether a refused form is shown again with its error and what was typed
/// (the reader can put it right), rather than as an error page (not signed
/// in, not theirs, gone, or our fault).
pub fn correctable(error: &ApiError) -> bool {
    !matches!(
        error,
        ApiError::Unauthenticated
            | ApiError::Forbidden(_)
            | ApiError::NotFound
            | ApiError::IdempotencyRace
            | ApiError::Internal(_)
    )
}

/// Whether a refusal says the thing changed meanwhile: the page shows the
/// latest then, not what was typed over an older version.
pub fn stale(error: &ApiError) -> bool {
    matches!(
        error,
        ApiError::VersionConflict(_) | ApiError::PreconditionFailed(_)
    )
}

#[derive(Template)]
#[template(path = "web/error.html")]
struct ErrorPage {
    tr: Tr,
    signed_in: bool,
    status: u16,
    message: String,
    fields: Vec<String>,
}

/// The page shown for an error, in the reader's language.
pub fn error_page(tr: Tr, signed_in: bool, error: &ApiError) -> String {
    use actix_web::ResponseError;
    let (message, fields) = error_words(&tr, error);
    ErrorPage {
        tr,
        signed_in,
        status: error.status_code().as_u16(),
        message,
        fields,
    }
    .render()
    .unwrap_or_else(|_| "Upturn: error".to_owned())
}
