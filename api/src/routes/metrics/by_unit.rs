//! `GET /api/v1/metrics/by-unit`: the overview's figures per unit, a page
//! of units at a time.

use actix_web::{HttpResponse, web};
use serde::Serialize;
use upturn_domain::policy::{Action, MetricsView};
use upturn_persistence::{Detail, MetricsQuery};
use utoipa::ToSchema;
use uuid::Uuid;

use super::{Figures, MetricsParams, PeriodResponse};
use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::http::PageParams;
use crate::startup::AppState;

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitFigures {
    pub unit_id: Uuid,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ByUnitResponse {
    pub period: PeriodResponse,
    /// Units in id order; a request counts in its team and in every unit it
    /// was routed to, so the items do not add up to the organisation.
    pub items: Vec<UnitFigures>,
    /// Pass it as `cursor` for the next units; `null` on the last page.
    pub next_cursor: Option<String>,
}

/// Leadership figures per unit.
///
/// The figures of `GET /metrics/overview` for each unit's scope: the
/// requests its team filed, or that were ever routed to it. Leaders get
/// every unit (`unit_id` narrows to one); a manager gets their team only.
#[utoipa::path(
    get, path = "/api/v1/metrics/by-unit", tag = "metrics",
    params(MetricsParams, PageParams),
    responses(
        (status = 200, description = "The figures per unit", body = ByUnitResponse),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Leaders; managers for their own team only", body = Problem),
        (status = 404, description = "No such unit", body = Problem),
        (status = 422, description = "A parameter is not valid", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn by_unit(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: web::Query<MetricsParams>,
    page: web::Query<PageParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(by_unit_of(&state, &caller, &params, &page, Detail::Full).await?))
}

/// The figures themselves, for the API and the leadership dashboard alike.
pub async fn by_unit_of(
    state: &AppState,
    caller: &Authenticated,
    params: &MetricsParams,
    page: &PageParams,
    detail: Detail,
) -> Result<ByUnitResponse, ApiError> {
    let now = state.store.clock().now();
    let asked = params
        .ask(MetricsView::ByUnit, caller, now)?
        .existing(state)
        .await?;
    // Read whether they are used or not: a bad `limit` is a bad request.
    let (after, limit) = (page.cursor()?, page.limit()?);
    let (units, next_cursor) = match asked.unit_id {
        Some(unit) => (vec![unit], None),
        None => {
            let units = state.store.list_units(after, limit).await?;
            (
                units.items.iter().map(|u| u.id).collect(),
                units.next_cursor,
            )
        }
    };
    let units: Vec<Uuid> = units
        .into_iter()
        .filter(|unit| {
            caller
                .may(Action::Metrics {
                    view: MetricsView::ByUnit,
                    unit: Some(*unit),
                })
                .is_ok()
        })
        .collect();
    let queries: Vec<MetricsQuery> = units
        .iter()
        .map(|unit_id| MetricsQuery {
            window: asked.window,
            unit_id: Some(*unit_id),
            category: None,
        })
        .collect();
    let overviews = state
        .store
        .metrics_each(&queries, now, state.multiplier, detail)
        .await?;
    let items = units
        .into_iter()
        .zip(overviews)
        .map(|(unit_id, overview)| UnitFigures {
            unit_id,
            figures: overview.into(),
        })
        .collect();
    Ok(ByUnitResponse {
        period: asked.window.into(),
        items,
        next_cursor,
    })
}
