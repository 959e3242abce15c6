//! One module per page (or family of forms), each a handler that parses,
//! calls the store and the domain like the JSON API does, and renders.

pub mod board;
pub mod dashboard;
pub mod inbox;
pub mod intake;
pub mod pulse;
pub mod request;
pub mod sign_in;
pub mod track;

use askama::Template;
use serde::de::DeserializeOwned;

use super::i18n::Tr;
use crate::error::ApiError;

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

/// The words for an error: what happened and, for a refused form, which
/// fields to look at.
pub fn error_words(tr: &Tr, error: &ApiError) -> (String, Vec<String>) {
    let message = tr.t(&format!("error-{}", error.code()));
    let fields = match error {
        ApiError::Validation(errors) => errors
            .iter()
            .map(|e| {
                tr.try_t(&format!("field-{}", e.field.replace('.', "-")))
                    .unwrap_or_else(|| e.field.clone())
            })
            .collect(),
        _ => Vec::new(),
    };
    (message, fields)
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
