//! `/api/v1/knowledge`: how it was solved before. Past resolutions from the
//! whole organisation that fit what a member is typing at intake, best
//! first (`upturn_domain::search`). Never the customer's data, a member's id
//! or name, a comment, or a request not yet resolved.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use upturn_domain::policy::Action;
use upturn_domain::values::{Errors, FieldError};
use upturn_persistence::KnownResolution;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

/// What `GET /knowledge` is asked.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct KnowledgeParams {
    /// What the customer asked, as typed so far (words in French or
    /// English, any form, accents optional; the last one may be half typed).
    #[param(max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub text: Option<String>,
    /// How many resolutions, at most (default 5).
    #[param(value_type = Option<u32>, minimum = 1, maximum = 10)]
    pub limit: Option<String>,
}

impl KnowledgeParams {
    /// The text (empty when only spaces) and the limit, or every parameter
    /// that does not parse (`422`).
    pub fn parse(&self) -> Result<(String, usize), ApiError> {
        let mut errors = Errors::default();
        let text = errors
            .take(upturn_domain::values::search_words(
                "text",
                self.text.as_deref(),
            ))
            .flatten()
            .unwrap_or_default();
        let limit = errors.take(match self.limit.as_deref().map(str::parse::<usize>) {
            None => Ok(5),
            Some(Ok(limit @ 1..=10)) => Ok(limit),
            Some(_) => Err(FieldError::new(
                "limit",
                "must be a number between 1 and 10",
            )),
        });
        match limit {
            Some(limit) if errors.is_empty() => Ok((text, limit)),
            _ => Err(ApiError::Validation(errors.into_vec())),
        }
    }
}

/// The unit that resolved a request.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResolvedUnit {
    pub id: Uuid,
    pub name: String,
}

/// A past resolution.
#[derive(Debug, Serialize, ToSchema)]
pub struct KnowledgeItem {
    pub title: String,
    #[schema(value_type = crate::openapi::CategoryName)]
    pub category: String,
    pub resolution_note: String,
    /// Where it was resolved: `frontline` when the front line did it.
    #[schema(value_type = crate::openapi::LevelName)]
    pub resolved_level: String,
    pub resolved_unit: Option<ResolvedUnit>,
    pub resolved_at: DateTime<Utc>,
    /// Past resolutions of the same category that fit the text at least
    /// half as well as this one, itself included.
    pub similar_count: u64,
}

impl From<&KnownResolution> for KnowledgeItem {
    fn from(k: &KnownResolution) -> Self {
        KnowledgeItem {
            title: k.title.clone(),
            category: k.category.clone(),
            resolution_note: k.resolution_note.clone(),
            resolved_level: k.resolved_level.as_str().to_owned(),
            resolved_unit: k.resolved_unit.as_ref().map(|(id, name)| ResolvedUnit {
                id: *id,
                name: name.clone(),
            }),
            resolved_at: k.resolved_at,
            similar_count: k.similar_count,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct KnowledgeList {
    pub items: Vec<KnowledgeItem>,
}

/// Past resolutions that fit `text`, for the API and the intake page alike.
pub async fn knowledge_of(
    state: &AppState,
    caller: &Authenticated,
    text: &str,
    limit: usize,
) -> Result<Vec<KnownResolution>, ApiError> {
    caller.may(Action::Knowledge)?;
    Ok(state.store.knowledge(text, limit).await?)
}

/// How it was solved before: past resolutions from the whole organisation
/// that fit a text, best first (a resolution the customer was satisfied
/// with ranks higher, one that had to be reopened lower). Any member of a
/// unit.
#[utoipa::path(
    get, path = "/api/v1/knowledge", tag = "requests",
    params(KnowledgeParams),
    responses(
        (status = 200, description = "Past resolutions, best first (none for an empty text)", body = KnowledgeList),
        (status = 403, description = "Admins see no request content", body = Problem),
        (status = 422, description = "The text or the limit is not valid", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn knowledge(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: web::Query<KnowledgeParams>,
) -> Result<HttpResponse, ApiError> {
    caller.may(Action::Knowledge)?;
    let (text, limit) = params.parse()?;
    let found = knowledge_of(&state, &caller, &text, limit).await?;
    Ok(HttpResponse::Ok().json(KnowledgeList {
        items: found.iter().map(KnowledgeItem::from).collect(),
    }))
}
