//! `/app/dashboard`: leadership's figures over a chosen period and unit —
//! the same computations as `/api/v1/metrics/*` — with the weekly trend
//! drawn by the server as SVG and every figure defined in words.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use upturn_domain::Role;
use upturn_domain::metrics::Window;
use upturn_domain::policy::Action;
use upturn_persistence::Detail;
use uuid::Uuid;

use super::intake::Choice;
use super::render;
use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::http::PageParams;
use crate::routes::metrics::MetricsParams;
use crate::routes::metrics::by_category::{ByCategoryResponse, by_category_of};
use crate::routes::metrics::by_unit::{ByUnitResponse, by_unit_of};
use crate::routes::metrics::overview::{OverviewResponse, overview_of};
use crate::routes::metrics::trend::{TrendResponse, trend_of};
use crate::routes::pulse::engagement::{EngagementParams, EngagementResponse, engagement_of};
use crate::routes::requests::export::export_of;
use crate::routes::requests::list::ListParams;
use crate::startup::AppState;
use crate::web::context::{Ctx, PageError};
use crate::web::recent::Recent;
use crate::web::shell::Shell;

#[derive(Debug, Default, Deserialize)]
pub struct DashboardQuery {
    days: Option<i64>,
    #[serde(default)]
    unit: String,
}

/// A bar of a weekly chart.
pub struct Bar {
    pub label: String,
    pub value: String,
    pub x: usize,
    pub y: usize,
    pub height: usize,
}

/// A unit's line of the table.
pub struct UnitRow {
    pub name: String,
    pub total: u64,
    pub open: u64,
    pub frontline: Option<f64>,
    pub sla: Option<f64>,
    pub satisfaction: Option<f64>,
}

/// A unit's week of the pulse, beside its customers' outcomes.
pub struct PulseRow {
    pub name: String,
    /// `None` when the group is under the minimum (hidden).
    pub answers: Option<u64>,
    pub happiness: Option<f64>,
    pub pleasure: Option<f64>,
    pub engagement: Option<f64>,
    pub satisfaction: Option<f64>,
    pub frontline: Option<f64>,
    pub sla: Option<f64>,
}

/// The latest released week of the pulse.
pub struct PulseWeek {
    pub period: String,
    pub min_group: u64,
    pub rows: Vec<PulseRow>,
}

#[derive(Template)]
#[template(path = "web/dashboard.html")]
struct DashboardPage<'a> {
    shell: Shell<'a>,
    periods: Vec<Choice>,
    units: Vec<Choice>,
    o: &'a OverviewResponse,
    /// When the figures were computed.
    as_of: chrono::DateTime<chrono::Utc>,
    volume_bars: Vec<Bar>,
    share_bars: Vec<Bar>,
    chart_width: usize,
    by_unit: Vec<UnitRow>,
    by_category: Vec<UnitRow>,
    pulse: Option<PulseWeek>,
    /// The period shown, in days.
    days: u32,
    /// The reader may download the requests (leaders).
    can_export: bool,
}

const CHART_HEIGHT: usize = 120;
const BAR: usize = 28;

fn bars(values: &[(String, Option<f64>, String)], max: f64) -> Vec<Bar> {
    values
        .iter()
        .enumerate()
        .map(|(i, (label, value, text))| {
            let height = match value {
                Some(v) if max > 0.0 => ((v / max) * CHART_HEIGHT as f64).round() as usize,
                _ => 0,
            };
            Bar {
                label: label.clone(),
                value: text.clone(),
                x: i * (BAR + 8),
                y: CHART_HEIGHT - height,
                height,
            }
        })
        .collect()
}

/// The periods the dashboard offers, in whole UTC days up to today.
const PERIODS: [u32; 4] = [7, 30, 90, 365];

/// The period asked for, or the last 30 days.
fn period_days(asked: Option<i64>) -> u32 {
    PERIODS
        .into_iter()
        .find(|d| asked == Some(i64::from(*d)))
        .unwrap_or(30)
}

/// Everything the dashboard shows of one period and unit, as the metrics
/// endpoints compute it (sums only where the page shows no percentile).
pub struct Figures {
    o: OverviewResponse,
    trend: TrendResponse,
    by_unit: ByUnitResponse,
    by_category: ByCategoryResponse,
    /// Leadership's alone: `None` for anyone else.
    engagement: Option<EngagementResponse>,
}

/// Whose figures: what they cover depends only on the reader's role and
/// unit (`upturn_domain::policy`), the period and the unit asked for.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FiguresKey {
    role: Role,
    reader_unit: Option<Uuid>,
    days: u32,
    unit: Option<Uuid>,
}

/// The dashboard's figures, kept for a minute (decision 0016).
pub type KeptFigures = Recent<FiguresKey, Figures>;

/// How long computed figures are shown before they are computed again.
pub const FIGURES_KEPT_FOR: chrono::Duration = chrono::Duration::seconds(60);

async fn figures(
    state: &AppState,
    caller: &Authenticated,
    window: Window,
    unit_id: Option<Uuid>,
) -> Result<Figures, ApiError> {
    let params = MetricsParams {
        from: Some(window.from().to_rfc3339()),
        to: Some(window.to().to_rfc3339()),
        unit_id: unit_id.map(|u| u.to_string()),
    };
    let o = overview_of(state, caller, &params).await?;
    let trend = trend_of(state, caller, &params, Detail::Sums).await?;
    let by_unit = by_unit_of(
        state,
        caller,
        &params,
        &PageParams {
            limit: Some("200".to_owned()),
            cursor: None,
        },
        Detail::Sums,
    )
    .await?;
    let by_category = by_category_of(state, caller, &params, Detail::Sums).await?;
    let engagement = match engagement_of(
        state,
        caller,
        &EngagementParams {
            period: None,
            unit_id: None,
        },
    )
    .await
    {
        Ok(week) => Some(week),
        Err(ApiError::Forbidden(_)) => None,
        Err(other) => return Err(other),
    };
    Ok(Figures {
        o,
        trend,
        by_unit,
        by_category,
        engagement,
    })
}

/// `GET /app/dashboard?days=…&unit=…` (leaders, and managers for their
/// team; anyone else gets the API's `403`): the figures of the minute for
/// that period and unit, computed on the first visit after it.
pub async fn page(
    state: web::Data<AppState>,
    ctx: Ctx,
    query: web::Query<DashboardQuery>,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let tr = ctx.tr;
    let days = period_days(query.days);
    let now = state.store.clock().now();
    let unit_id = Uuid::parse_str(&query.unit).ok();
    let actor = caller.actor();
    let key = FiguresKey {
        role: actor.role,
        reader_unit: actor.unit_id,
        days,
        unit: unit_id,
    };
    let kept = state
        .dashboard
        .get_or_compute(key, now, || {
            figures(&state, &caller, Window::last_days(now, days), unit_id)
        })
        .await
        .map_err(|e| ctx.fail(e))?;
    let Figures {
        o,
        trend,
        by_unit,
        by_category,
        engagement,
    } = &*kept.value;
    let all_units = state
        .store
        .list_units(None, 200)
        .await
        .map_err(|e| ctx.fail(e))?
        .items;
    let weeks: Vec<_> = trend.items.iter().rev().take(12).rev().collect();
    let max_volume = weeks
        .iter()
        .map(|w| w.figures.volume.total as f64)
        .fold(0.0, f64::max);
    let volume_bars = bars(
        &weeks
            .iter()
            .map(|w| {
                let total = w.figures.volume.total;
                (w.week.clone(), Some(total as f64), total.to_string())
            })
            .collect::<Vec<_>>(),
        max_volume,
    );
    let share_bars = bars(
        &weeks
            .iter()
            .map(|w| {
                let share = w.figures.frontline_resolution_share;
                (w.week.clone(), share, tr.percent(share))
            })
            .collect::<Vec<_>>(),
        1.0,
    );
    let name_of = |id: Uuid| {
        all_units
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.name.clone())
            .unwrap_or_default()
    };
    let shell = Shell::new(&state, &ctx, "/app/dashboard")
        .await
        .map_err(|e| ctx.fail(e))?;
    let body = render(&DashboardPage {
        shell,
        can_export: caller.may(Action::ExportRequests).is_ok(),
        days,
        periods: PERIODS
            .iter()
            .map(|d| Choice {
                value: d.to_string(),
                label: tr.t1("period-days", "count", *d),
                hint: None,
                selected: *d == days,
            })
            .collect(),
        units: all_units
            .iter()
            .map(|u| Choice {
                value: u.id.to_string(),
                label: u.name.clone(),
                hint: None,
                selected: Some(u.id) == unit_id,
            })
            .collect(),
        chart_width: weeks.len().max(1) * (BAR + 8),
        volume_bars,
        share_bars,
        by_unit: by_unit
            .items
            .iter()
            .map(|u| UnitRow {
                name: name_of(u.unit_id),
                total: u.figures.volume.total,
                open: u.figures.backlog.open,
                frontline: u.figures.frontline_resolution_share,
                sla: u.figures.sla_compliance,
                satisfaction: u.figures.satisfaction.mean,
            })
            .collect(),
        by_category: by_category
            .items
            .iter()
            .filter(|c| c.figures.volume.total > 0)
            .map(|c| UnitRow {
                name: tr.category(&c.category),
                total: c.figures.volume.total,
                open: c.figures.backlog.open,
                frontline: c.figures.frontline_resolution_share,
                sla: c.figures.sla_compliance,
                satisfaction: c.figures.satisfaction.mean,
            })
            .collect(),
        pulse: engagement.as_ref().map(|week| PulseWeek {
            period: week.period.clone(),
            min_group: week.min_group,
            rows: week
                .items
                .iter()
                .map(|i| PulseRow {
                    name: name_of(i.unit_id),
                    answers: i.answers,
                    happiness: i.happiness,
                    pleasure: i.pleasure,
                    engagement: i.engagement,
                    satisfaction: i.outcomes.satisfaction_mean,
                    frontline: i.outcomes.frontline_resolution_share,
                    sla: i.outcomes.sla_compliance,
                })
                .collect(),
        }),
        as_of: kept.at,
        o,
    })
    .map_err(|e| ctx.fail(e))?;
    Ok(ctx.html(StatusCode::OK, body))
}

#[derive(Debug, Default, Deserialize)]
pub struct ExportQuery {
    days: Option<i64>,
}

/// `GET /app/export.csv?days=…`: the requests filed in the dashboard's
/// period, exactly as `GET /api/v1/requests/export.csv?filed_after=…`
/// answers them (leaders; anyone else gets the API's `403`, as a page).
pub async fn export(
    state: web::Data<AppState>,
    ctx: Ctx,
    query: web::Query<ExportQuery>,
) -> Result<HttpResponse, PageError> {
    let caller = ctx.caller()?;
    let now = state.store.clock().now();
    let filters = ListParams {
        filed_after: Some(
            Window::last_days(now, period_days(query.days))
                .from()
                .to_rfc3339(),
        ),
        ..ListParams::default()
    };
    export_of(state.into_inner(), &caller, &filters).map_err(|e| ctx.fail(e))
}
