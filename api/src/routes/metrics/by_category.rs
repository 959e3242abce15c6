//! `GET /api/v1/metrics/by-category`: the overview's figures per category.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use upturn_domain::policy::MetricsView;
use upturn_persistence::{Detail, MetricsQuery};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Figures, MetricsParams, PeriodResponse};
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct CategoryFigures {
    pub category: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ByCategoryResponse {
    pub period: PeriodResponse,
    pub unit_id: Option<Uuid>,
    /// Every configured category, and any other that has requests in the
    /// period, in alphabetical order.
    pub items: Vec<CategoryFigures>,
}

/// Leadership figures per category.
///
/// The figures of `GET /metrics/overview`, for the requests of each category.
#[utoipa::path(
    get, path = "/api/v1/metrics/by-category", tag = "metrics",
    params(MetricsParams),
    responses(
        (status = 200, description = "The figures per category", body = ByCategoryResponse),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Leaders; managers for their own team only", body = Problem),
        (status = 404, description = "No such unit", body = Problem),
        (status = 422, description = "A parameter is not valid", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn by_category(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: web::Query<MetricsParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(by_category_of(&state, &caller, &params, Detail::Full).await?))
}

/// The figures themselves, for the API and the leadership dashboard alike.
pub async fn by_category_of(
    state: &AppState,
    caller: &Authenticated,
    params: &MetricsParams,
    detail: Detail,
) -> Result<ByCategoryResponse, ApiError> {
    let now = state.store.clock().now();
    let asked = params
        .ask(MetricsView::ByCategory, caller, now)?
        .existing(state)
        .await?;
    let query = MetricsQuery {
        window: asked.window,
        unit_id: asked.unit_id,
        category: None,
    };
    let items = state
        .store
        .metrics_by_category(&query, &state.categories, now, state.multiplier, detail)
        .await?
        .into_iter()
        .map(|(category, overview)| CategoryFigures {
            category,
            figures: overview.into(),
        })
        .collect();
    Ok(ByCategoryResponse {
        period: asked.window.into(),
        unit_id: asked.unit_id,
        items,
    })
}
