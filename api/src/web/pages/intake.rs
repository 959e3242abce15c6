//! `/app/file`: the front line files what a customer asked, on a phone, in
//! under thirty seconds; the form is kept on the device and sent with an
//! `Idempotency-Key` when the network is back (see `assets/app.js`).

use actix_web::http::{StatusCode, header};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::{Deserialize, Serialize};
use upturn_domain::lifecycle::Request;
use upturn_domain::model::{Channel, Kind, Urgency};

use super::{error_words, form, render};
use crate::error::ApiError;
use crate::http;
use crate::routes::requests::CustomerBody;
use crate::routes::requests::file::{FileRequestBody, OnTheSpotBody};
use crate::startup::AppState;
use crate::web::context::{Ctx, PageError};
use crate::web::i18n::Tr;
use crate::web::shell::Shell;

/// One option of a closed list.
pub struct Choice {
    pub value: String,
    pub label: String,
    pub hint: Option<String>,
    pub selected: bool,
}

/// What was typed, to show again after a refusal.
#[derive(Debug, Default, Deserialize)]
pub struct IntakeForm {
    #[serde(default)]
    customer_expectation: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    urgency: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    customer_name: String,
    #[serde(default)]
    customer_contact: String,
    consent: Option<String>,
    on_the_spot: Option<String>,
    #[serde(default)]
    on_the_spot_note: String,
    csrf: Option<String>,
}

#[derive(Template)]
#[template(path = "web/intake.html")]
struct IntakePage<'a> {
    shell: Shell<'a>,
    form: IntakeForm,
    kinds: Vec<Choice>,
    categories: Vec<Choice>,
    urgencies: Vec<Choice>,
    channels: Vec<Choice>,
    error: Option<String>,
    error_fields: Vec<String>,
}

fn choices<'v>(
    values: impl Iterator<Item = &'v str>,
    chosen: &str,
    label: impl Fn(&str) -> String,
    hint: impl Fn(&str) -> Option<String>,
) -> Vec<Choice> {
    values
        .map(|value| Choice {
            value: value.to_owned(),
            label: label(value),
            hint: hint(value),
            selected: value == chosen,
        })
        .collect()
}

fn intake_page(
    state: &AppState,
    tr: Tr,
    shell: Shell<'_>,
    mut form: IntakeForm,
    error: Option<&ApiError>,
) -> Result<String, ApiError> {
    for (field, default) in [
        (&mut form.kind, Kind::Need.as_str()),
        (&mut form.urgency, Urgency::Normal.as_str()),
        (&mut form.channel, Channel::InPerson.as_str()),
    ] {
        if field.is_empty() {
            *field = default.to_owned();
        }
    }
    let (message, fields) = match error {
        Some(e) => {
            let (message, fields) = error_words(&tr, e);
            (Some(message), fields)
        }
        None => (None, Vec::new()),
    };
    render(&IntakePage {
        kinds: choices(
            Kind::ALL.iter().map(|k| k.as_str()),
            &form.kind,
            |v| tr.label("kind", v),
            |v| tr.try_t(&format!("kind-{v}-hint")),
        ),
        categories: choices(
            state.categories.iter().map(String::as_str),
            &form.category,
            |v| tr.category(v),
            |_| None,
        ),
        urgencies: choices(
            Urgency::ALL.iter().map(|u| u.as_str()),
            &form.urgency,
            |v| tr.label("urgency", v),
            |_| None,
        ),
        channels: choices(
            Channel::ALL.iter().map(|c| c.as_str()),
            &form.channel,
            |v| tr.label("channel", v),
            |_| None,
        ),
        shell,
        form,
        error: message,
        error_fields: fields,
    })
}

/// `GET /app/file`.
pub async fn page(state: web::Data<AppState>, ctx: Ctx) -> Result<HttpResponse, PageError> {
    ctx.member()?;
    let shell = Shell::new(&state, &ctx, "/app/file")
        .await
        .map_err(|e| ctx.fail(e))?;
    let body =
        intake_page(&state, ctx.tr, shell, IntakeForm::default(), None).map_err(|e| ctx.fail(e))?;
    Ok(ctx.html(StatusCode::OK, body))
}

/// A title from the customer's words when none was typed: their first line,
/// cut at a word near 80 characters.
fn title_from(expectation: &str) -> String {
    let line = expectation.trim().lines().next().unwrap_or("").trim();
    if line.chars().count() <= 80 {
        return line.to_owned();
    }
    let cut: String = line.chars().take(80).collect();
    match cut.rsplit_once(' ') {
        Some((head, _)) if head.len() > 40 => format!("{head}…"),
        _ => format!("{cut}…"),
    }
}

impl IntakeForm {
    fn body(&self) -> FileRequestBody {
        let given = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        let customer = (given(&self.customer_name).is_some()
            || given(&self.customer_contact).is_some()
            || self.consent.is_some())
        .then(|| CustomerBody {
            name: given(&self.customer_name),
            contact: given(&self.customer_contact),
            consent_follow_up: self.consent.is_some(),
        });
        FileRequestBody {
            kind: self.kind.clone(),
            category: self.category.clone(),
            urgency: given(&self.urgency),
            channel: self.channel.clone(),
            title: given(&self.title).unwrap_or_else(|| title_from(&self.customer_expectation)),
            description: given(&self.description),
            customer_expectation: self.customer_expectation.clone(),
            customer,
            resolved_on_the_spot: self.on_the_spot.as_ref().map(|_| OnTheSpotBody {
                note: self.on_the_spot_note.clone(),
            }),
        }
    }
}

/// Where the receipt of a filed request is.
#[derive(Serialize)]
struct Receipt {
    receipt: String,
}

fn answer(request: &Request) -> http::Answer<Receipt> {
    let receipt = format!("/app/requests/{}?filed=1", request.id);
    http::Answer {
        location: receipt.clone(),
        version: Some(request.version),
        body: Receipt { receipt },
    }
}

/// `POST /app/file`: from the form (answered with `303` to the receipt) or
/// from the page's script (`Accept: application/json`, with an
/// `Idempotency-Key`: `201` and where the receipt is, once per key).
pub async fn submit(
    state: web::Data<AppState>,
    ctx: Ctx,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, PageError> {
    let actor = ctx.actor()?;
    let input: IntakeForm = form(&body).map_err(|e| ctx.fail(e))?;
    ctx.check_csrf(&state, input.csrf.as_deref())?;
    let scripted = request
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/json"));
    let filed = match input.body().try_into_domain(&state.categories) {
        Ok(new_request) => {
            let store = state.store.clone();
            let filer = state.clone();
            // The key covers the form without its CSRF token, which changes
            // with the session: a retry after signing in again is the same.
            let fingerprint_body = serde_urlencoded::to_string(
                serde_urlencoded::from_bytes::<Vec<(String, String)>>(&body)
                    .unwrap_or_default()
                    .into_iter()
                    .filter(|(k, _)| k != "csrf")
                    .collect::<Vec<_>>(),
            )
            .unwrap_or_default();
            http::create(
                &store,
                &request,
                actor.id,
                "POST /app/file",
                fingerprint_body.as_bytes(),
                answer,
                |idem| async move { Ok(filer.store.file_request(&actor, new_request, idem).await?) },
            )
            .await
        }
        Err(error) => Err(error),
    };
    match filed {
        Ok(response) if scripted => Ok(response),
        Ok(response) => {
            let to = response
                .headers()
                .get(header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("/app/requests")
                .to_owned();
            Ok(ctx.redirect(&to))
        }
        Err(error @ ApiError::Validation(_)) => {
            let shell = Shell::new(&state, &ctx, "/app/file")
                .await
                .map_err(|e| ctx.fail(e))?;
            let page =
                intake_page(&state, ctx.tr, shell, input, Some(&error)).map_err(|e| ctx.fail(e))?;
            Ok(ctx.html(StatusCode::UNPROCESSABLE_ENTITY, page))
        }
        Err(other) => Err(ctx.fail(other)),
    }
}

#[cfg(test)]
mod tests {
    use super::title_from;

    #[test]
    fn a_title_is_the_first_line_cut_at_a_word() {
        assert_eq!(title_from("Size 44\nin blue"), "Size 44");
        let long = "word ".repeat(30);
        let title = title_from(&long);
        assert!(
            title.ends_with('…') && title.chars().count() <= 81,
            "{title}"
        );
        assert!(!title.contains("wor…"), "{title}");
    }
}
