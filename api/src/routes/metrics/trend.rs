//! `GET /api/v1/metrics/trend`: the overview's figures per ISO week.

use actix_web::{HttpResponse, web};
use chrono::{DateTime, Utc};
use serde::Serialize;
use upturn_domain::metrics::Window;
use upturn_domain::policy::MetricsView;
use upturn_persistence::{Detail, MetricsQuery};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Figures, MetricsParams, PeriodResponse};
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

/// The most weeks one trend shows (about five years).
const MAX_WEEKS: usize = 261;

#[derive(Debug, Serialize, ToSchema)]
pub struct WeekFigures {
    /// The ISO week, like `2026-W47` (Monday 00:00 UTC to the next Monday).
    pub week: String,
    /// The part of the week inside the period.
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TrendResponse {
    pub period: PeriodResponse,
    pub unit_id: Option<Uuid>,
    /// Every week that shares an instant with the period, oldest first,
    /// empty weeks included.
    pub items: Vec<WeekFigures>,
}

/// Leadership figures per week.
///
/// The figures of `GET /metrics/overview` for the requests filed in each
/// ISO week of the period; the first and last weeks count only their part
/// inside it.
#[utoipa::path(
    get, path = "/api/v1/metrics/trend", tag = "metrics",
    params(MetricsParams),
    responses(
        (status = 200, description = "The figures per week", body = TrendResponse),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Leaders; managers for their own team only", body = Problem),
        (status = 404, description = "No such unit", body = Problem),
        (status = 422, description = "A parameter is not valid", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn trend(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: web::Query<MetricsParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(trend_of(&state, &caller, &params, Detail::Full).await?))
}

/// The figures themselves, for the API and the leadership dashboard alike.
pub async fn trend_of(
    state: &AppState,
    caller: &Authenticated,
    params: &MetricsParams,
    detail: Detail,
) -> Result<TrendResponse, ApiError> {
    let now = state.store.clock().now();
    let asked = params
        .ask(MetricsView::Trend, caller, now)?
        .existing(state)
        .await?;
    let weeks: Vec<_> = asked.window.weeks().take(MAX_WEEKS + 1).collect();
    if weeks.len() > MAX_WEEKS {
        return Err(ApiError::field(
            "from",
            format!("a trend covers at most {MAX_WEEKS} weeks"),
        ));
    }
    let weeks: Vec<_> = weeks
        .into_iter()
        .filter_map(|week| {
            let from = week.start().max(asked.window.from());
            let to = week.end().min(asked.window.to());
            Window::new(from, to).ok().map(|window| (week, window))
        })
        .collect();
    let queries: Vec<MetricsQuery> = weeks
        .iter()
        .map(|(_, window)| MetricsQuery {
            window: *window,
            unit_id: asked.unit_id,
            category: None,
        })
        .collect();
    let overviews = state
        .store
        .metrics_each(&queries, now, state.multiplier, detail)
        .await?;
    let items = weeks
        .into_iter()
        .zip(overviews)
        .map(|((week, window), overview)| WeekFigures {
            week: week.to_string(),
            from: window.from(),
            to: window.to(),
            figures: overview.into(),
        })
        .collect();
    Ok(TrendResponse {
        period: asked.window.into(),
        unit_id: asked.unit_id,
        items,
    })
}
