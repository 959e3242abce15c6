//! `PATCH /api/v1/initiatives/{id}`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Deserializer};
use upturn_domain::initiative::{InitiativePatch, PatchInput};
use upturn_domain::policy::Action;
use upturn_persistence::Expectation;
use upturn_persistence::initiatives::InitiativeView;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{InitiativeResponse, ok};
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http;
use crate::startup::AppState;

/// A field that may be absent (`None`), `null` (`Some(None)`) or a value.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(d).map(Some)
}

/// A change to an initiative; absent fields stay as they are.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PatchInitiativeBody {
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub title: Option<String>,
    #[schema(
        max_length = 10000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub description: Option<String>,
    /// `YYYY-MM-DD`, or `null` to clear it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>, example = "2027-03-31")]
    pub target_date: Option<Option<String>>,
    /// `in_progress`, `done` or `dropped`: planned → in progress → done or
    /// dropped (planned may go straight to done or dropped); never back.
    #[schema(value_type = Option<crate::openapi::InitiativeStatusName>)]
    pub status: Option<String>,
    /// A new note is progress: every linked request hears it. Required in
    /// the same `PATCH` that sets `done` or `dropped`.
    #[schema(
        min_length = 1,
        max_length = 5000,
        pattern = r"^[^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*[^\s\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F][^\u0000-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]*$"
    )]
    pub public_note: Option<String>,
    /// The version you saw; stale → `409` (or use `If-Match` → `412`).
    pub version: Option<i64>,
}

impl PatchInitiativeBody {
    pub fn try_into_domain(&self) -> Result<InitiativePatch, ApiError> {
        Ok(InitiativePatch::parse(PatchInput {
            title: self.title.as_deref(),
            description: self.description.as_deref(),
            target_date: self.target_date.as_ref().map(Option::as_deref),
            status: self.status.as_deref(),
            public_note: self.public_note.as_deref(),
        })?)
    }
}

/// Change an initiative (its unit's managers or service members, leaders).
/// Progress reaches every linked request; `done` resolves every linked
/// open request with the public note; `dropped` hands the requests the
/// initiative still holds back to their previous owner. All or nothing.
#[utoipa::path(
    patch, path = "/api/v1/initiatives/{id}", tag = "initiatives", request_body = PatchInitiativeBody,
    params(("id" = Uuid, Path), ("If-Match" = Option<String>, Header)),
    responses(
        (status = 200, description = "The initiative after the change", body = InitiativeResponse, headers(("ETag" = String))),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Not this role, or another unit's initiative", body = Problem),
        (status = 404, description = "No such initiative", body = Problem),
        (status = 409, description = "Stale `version` (`version_conflict`)", body = Problem),
        (status = 412, description = "Stale `If-Match`", body = Problem),
        (status = 422, description = "Validation failed, or a move the status does not allow (`invalid_transition`)", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn patch_initiative(
    state: web::Data<AppState>,
    caller: Authenticated,
    request: HttpRequest,
    id: web::Path<Uuid>,
    body: web::Bytes,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::UpdateInitiative { unit_id: None })?;
    let input: PatchInitiativeBody = http::json(&request, &body)?;
    let view = patch_initiative_of(&state, &caller, *id, &input, http::if_match(&request)?).await?;
    Ok(ok(&view))
}

/// Changes an initiative, for the API and the initiative's page alike;
/// `if_match` and the body's `version` are the versions the caller saw.
pub async fn patch_initiative_of(
    state: &AppState,
    caller: &Authenticated,
    id: Uuid,
    input: &PatchInitiativeBody,
    if_match: Option<i64>,
) -> Result<InitiativeView, ApiError> {
    caller.may(Action::UpdateInitiative { unit_id: None })?;
    let patch = input.try_into_domain()?;
    let expect = Expectation {
        if_match,
        version: input.version,
    };
    Ok(state
        .store
        .patch_initiative(&caller.actor(), id, patch, expect)
        .await?)
}
