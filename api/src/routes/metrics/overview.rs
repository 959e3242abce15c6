//! `GET /api/v1/metrics/overview`: every figure over one period and scope.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use upturn_domain::policy::MetricsView;
use upturn_persistence::MetricsQuery;
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Figures, MetricsParams, PeriodResponse};
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct OverviewResponse {
    pub period: PeriodResponse,
    /// The unit the figures are for; `null` for the whole organisation.
    pub unit_id: Option<Uuid>,
    #[serde(flatten)]
    pub figures: Figures,
}

/// Leadership figures over a period.
///
/// Over the requests filed in `[from, to)` (default: the last 30 days) and,
/// optionally, one unit's scope. Every figure is defined in one sentence and
/// one formula in docs/metrics.md: ratios are fractions 0–1, durations
/// seconds of wall clock (business hours are out of scope), medians and p90
/// nearest-rank, `null` where there is no data. The estimated silent
/// dissatisfaction always comes with its multiplier, a rule of thumb.
#[utoipa::path(
    get, path = "/api/v1/metrics/overview", tag = "metrics",
    params(MetricsParams),
    responses(
        (status = 200, description = "The figures", body = OverviewResponse),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Leaders; managers for their own team only", body = Problem),
        (status = 404, description = "No such unit", body = Problem),
        (status = 422, description = "A parameter is not valid", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn overview(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: web::Query<MetricsParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(overview_of(&state, &caller, &params).await?))
}

/// The figures themselves, for the API and the leadership dashboard alike.
pub async fn overview_of(
    state: &AppState,
    caller: &Authenticated,
    params: &MetricsParams,
) -> Result<OverviewResponse, ApiError> {
    let now = state.store.clock().now();
    let asked = params
        .ask(MetricsView::Overview, caller, now)?
        .existing(state)
        .await?;
    let query = MetricsQuery {
        window: asked.window,
        unit_id: asked.unit_id,
        category: None,
    };
    let overview = state.store.metrics(&query, now, state.multiplier).await?;
    Ok(OverviewResponse {
        period: asked.window.into(),
        unit_id: asked.unit_id,
        figures: overview.into(),
    })
}
