//! `POST /api/v1/initiatives`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use upturn_domain::initiative::{InitiativeInput, NewInitiative};
use upturn_domain::policy::Action;
use upturn_persistence::Idem;
use upturn_persistence::initiatives::InitiativeView;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{InitiativeResponse, answer};
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http;
use crate::startup::AppState;

/// A new initiative.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateInitiativeBody {
    #[schema(example = "Size 44 in every store")]
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub title: String,
    #[schema(
        max_length = 10000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub description: Option<String>,
    /// The owning unit; the creator's own when absent. Managers and services
    /// create for their own unit only, leaders for any.
    pub unit_id: Option<Uuid>,
    /// `YYYY-MM-DD`.
    #[schema(example = "2027-03-31")]
    #[schema(format = Date)]
    pub target_date: Option<String>,
}

impl CreateInitiativeBody {
    pub fn try_into_domain(&self) -> Result<NewInitiative, ApiError> {
        Ok(NewInitiative::parse(InitiativeInput {
            title: &self.title,
            description: self.description.as_deref(),
            unit_id: self.unit_id,
            target_date: self.target_date.as_deref(),
        })?)
    }
}

/// Create an initiative, `planned` (managers and services for their own
/// unit, leaders for any). Honours `Idempotency-Key`.
#[utoipa::path(
    post, path = "/api/v1/initiatives", tag = "initiatives", request_body = CreateInitiativeBody,
    params(("Idempotency-Key" = Option<String>, Header)),
    responses(
        (status = 201, description = "Created", body = InitiativeResponse, headers(("Location" = String), ("ETag" = String))),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Not this role, or another unit's initiative", body = Problem),
        (status = 422, description = "Validation failed (`validation_failed`, with field errors)", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn create_initiative(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    // Before the body is read: a refused role never learns what is wrong with it.
    caller.may(Action::CreateInitiative { unit: None })?;
    let input: CreateInitiativeBody = http::json(&request, &body)?;
    let store = state.store.clone();
    http::create(
        &store,
        &request,
        caller.0.id,
        "POST /api/v1/initiatives",
        &body,
        answer,
        |idem| async move { create_initiative_of(&state, &caller, &input, idem).await },
    )
    .await
}

/// Creates an initiative, `planned`, for the API and the initiatives page
/// alike (the store asks the policy again once it knows the unit).
pub async fn create_initiative_of(
    state: &AppState,
    caller: &Authenticated,
    input: &CreateInitiativeBody,
    idem: Option<Idem<InitiativeView>>,
) -> Result<InitiativeView, ApiError> {
    caller.may(Action::CreateInitiative { unit: None })?;
    let new = input.try_into_domain()?;
    Ok(state
        .store
        .create_initiative(&caller.actor(), new, idem)
        .await?)
}
