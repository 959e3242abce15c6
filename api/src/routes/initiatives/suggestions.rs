//! `GET /api/v1/initiatives/{id}/suggestions`.

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use upturn_domain::policy::Action;
use upturn_persistence::initiatives::{SUGGESTION_CANDIDATES, SUGGESTION_WINDOW_DAYS, Suggested};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::routes::requests::RequestResponse;
use crate::startup::AppState;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestionParams {
    /// 1 to 100, default 20.
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
}

impl SuggestionParams {
    /// How many suggestions: 1 to 100, default 20.
    pub fn limit(&self) -> Result<usize, ApiError> {
        match self.limit.as_deref().map(str::parse::<usize>) {
            None => Ok(20),
            Some(Ok(limit @ 1..=100)) => Ok(limit),
            Some(_) => Err(ApiError::field(
                "limit",
                "must be a number between 1 and 100",
            )),
        }
    }
}

/// Requests worth linking to an initiative, most alike first, for the API
/// and the initiative's page alike.
pub async fn suggestions_of(
    state: &AppState,
    caller: &Authenticated,
    id: Uuid,
    limit: usize,
) -> Result<Vec<Suggested>, ApiError> {
    caller.may(Action::InitiativeSuggestions)?;
    Ok(state.store.suggestions(&caller.actor(), id, limit).await?)
}

/// A request worth linking.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionResponse {
    /// How alike its words are (Jaccard index, 0 to 1) to the initiative's
    /// title and description or to a request already linked, whichever is best.
    pub score: f64,
    /// Words it shares with that best match.
    pub shared_words: u64,
    pub request: RequestResponse,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionList {
    pub items: Vec<SuggestionResponse>,
}

/// Requests worth linking to an initiative: among the requests the caller
/// can see, filed in the last 90 days (the newest 500), not linked to a
/// live initiative, in a category of the requests already linked (if any),
/// sharing words with the initiative or its requests; most alike first.
#[utoipa::path(
    get, path = "/api/v1/initiatives/{id}/suggestions", tag = "initiatives",
    params(("id" = Uuid, Path), SuggestionParams),
    responses(
        (status = 200, description = "Suggestions, most alike first", body = SuggestionList),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Front line and admins have no access to initiatives", body = Problem),
        (status = 404, description = "No such initiative", body = Problem),
        (status = 422, description = "Bad limit", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn suggestions(
    state: web::Data<AppState>,
    caller: Authenticated,
    id: web::Path<Uuid>,
    params: web::Query<SuggestionParams>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::InitiativeSuggestions)?;
    // The description above states these figures: keep them together.
    const _: () = assert!(SUGGESTION_WINDOW_DAYS == 90 && SUGGESTION_CANDIDATES == 500);
    let found = suggestions_of(&state, &caller, *id, params.limit()?).await?;
    Ok(HttpResponse::Ok().json(SuggestionList {
        items: found
            .iter()
            .map(|s| SuggestionResponse {
                score: s.score,
                shared_words: s.shared_words,
                request: RequestResponse::from(&s.request),
            })
            .collect(),
    }))
}
