//! `GET /api/v1/requests`: what the caller may see, filtered, newest first.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use upturn_domain::values::{Category, Errors, FieldError};
use upturn_persistence::{RequestFilter, RequestSort};
use utoipa::IntoParams;
use uuid::Uuid;

use super::RequestResponse;
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http::{PageParams, Paged, time_param};
use crate::startup::AppState;

/// Filters; list values are comma-separated (`status=new,acknowledged`).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    #[param(value_type = Option<Vec<crate::openapi::StatusName>>, style = Form, explode = false, min_items = 1)]
    pub status: Option<String>,
    #[param(value_type = Option<Vec<crate::openapi::LevelName>>, style = Form, explode = false, min_items = 1)]
    pub level: Option<String>,
    /// The unit that holds the request now.
    #[param(value_type = Option<uuid::Uuid>)]
    pub unit_id: Option<String>,
    #[param(value_type = Option<Vec<crate::openapi::CategoryName>>, style = Form, explode = false, min_items = 1)]
    pub category: Option<String>,
    #[param(value_type = Option<Vec<crate::openapi::KindName>>, style = Form, explode = false, min_items = 1)]
    pub kind: Option<String>,
    #[param(value_type = Option<Vec<crate::openapi::UrgencyName>>, style = Form, explode = false, min_items = 1)]
    pub urgency: Option<String>,
    /// Only requests I filed.
    #[param(value_type = Option<bool>)]
    pub mine: Option<String>,
    #[param(value_type = Option<bool>)]
    pub assigned_to_me: Option<String>,
    /// Only open requests past a deadline.
    #[param(value_type = Option<bool>)]
    pub overdue: Option<String>,
    /// Words in the title, description or expectation, or a reference `UP-000123`.
    #[param(max_length = 200, pattern = r"^[^\u0000-\u001F\u007F-\u009F]*$")]
    pub q: Option<String>,
    /// RFC 3339; inclusive.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub filed_after: Option<String>,
    /// RFC 3339; exclusive.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub filed_before: Option<String>,
    /// `newest` (default) or `deadline` (the nearest deadline first).
    #[param(pattern = "^(newest|deadline)$")]
    pub sort: Option<String>,
}

fn list<T: std::str::FromStr<Err = upturn_domain::model::UnknownValue>>(
    field: &str,
    raw: &Option<String>,
) -> Result<Vec<T>, FieldError> {
    raw.as_deref()
        .map(|raw| {
            // Every item names a value, as the contract's enum says: `?kind=`
            // is refused, not read as no filter.
            raw.split(',')
                .map(str::trim)
                .map(|s| {
                    s.parse::<T>().map_err(|e| {
                        FieldError::new(field, format!("must be one of: {}", e.expected))
                    })
                })
                .collect()
        })
        .unwrap_or_else(|| Ok(vec![]))
}

fn flag(field: &str, raw: &Option<String>) -> Result<bool, FieldError> {
    match raw.as_deref() {
        None | Some("false") | Some("0") => Ok(false),
        Some("true") | Some("1") => Ok(true),
        Some(_) => Err(FieldError::new(field, "must be true or false")),
    }
}

impl ListParams {
    pub(crate) fn try_into_filter(&self, categories: &[String]) -> Result<RequestFilter, ApiError> {
        let mut errors = Errors::default();
        let filter = RequestFilter {
            statuses: errors
                .take(list("status", &self.status))
                .unwrap_or_default(),
            levels: errors.take(list("level", &self.level)).unwrap_or_default(),
            unit_id: errors
                .take(
                    self.unit_id
                        .as_deref()
                        .map(|u| {
                            Uuid::parse_str(u)
                                .map_err(|_| FieldError::new("unit_id", "must be a unit id"))
                        })
                        .transpose(),
                )
                .flatten(),
            categories: errors
                .take(
                    self.category
                        .as_deref()
                        .into_iter()
                        .flat_map(|c| c.split(','))
                        .map(str::trim)
                        .map(|c| {
                            Category::parse("category", c, categories)
                                .map(|c| c.as_str().to_owned())
                        })
                        .collect::<Result<Vec<_>, _>>(),
                )
                .unwrap_or_default(),
            kinds: errors.take(list("kind", &self.kind)).unwrap_or_default(),
            urgencies: errors
                .take(list("urgency", &self.urgency))
                .unwrap_or_default(),
            mine: errors.take(flag("mine", &self.mine)).unwrap_or(false),
            assigned_to_me: errors
                .take(flag("assigned_to_me", &self.assigned_to_me))
                .unwrap_or(false),
            overdue: errors.take(flag("overdue", &self.overdue)).unwrap_or(false),
            q: errors
                .take(upturn_domain::values::search_words("q", self.q.as_deref()))
                .flatten(),
            filed_after: errors
                .take(time_param("filed_after", self.filed_after.as_deref()))
                .flatten(),
            filed_before: errors
                .take(time_param("filed_before", self.filed_before.as_deref()))
                .flatten(),
            sort: errors
                .take(match self.sort.as_deref() {
                    None | Some("newest") => Ok(RequestSort::Newest),
                    Some("deadline") => Ok(RequestSort::Deadline),
                    Some(_) => Err(FieldError::new("sort", "must be one of: newest, deadline")),
                })
                .unwrap_or_default(),
        };
        if errors.is_empty() {
            Ok(filter)
        } else {
            Err(ApiError::Validation(errors.into_vec()))
        }
    }
}

/// List the requests the caller may see.
///
/// A team sees what its members filed; a service what was ever routed to
/// it; leaders everything; admins nothing. Newest first, cursor-paginated.
#[utoipa::path(
    get, path = "/api/v1/requests", tag = "requests",
    params(ListParams, PageParams),
    responses(
        (status = 200, description = "A page of requests", body = Paged<RequestResponse>),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 422, description = "A filter is not valid", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn list_requests(
    state: web::Data<AppState>,
    caller: Authenticated,
    filters: web::Query<ListParams>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    let filter = filters.try_into_filter(&state.categories)?;
    let page = state
        .store
        .list_requests(
            &caller.actor(),
            &filter,
            page.cursor.as_deref().filter(|c| !c.is_empty()),
            page.limit()?,
        )
        .await?;
    Ok(HttpResponse::Ok().json(Paged::<RequestResponse>::new(page)))
}
