//! `GET /api/v1/metrics/engagement`: a week's pulse per unit, beside each
//! unit's customer outcomes, for leaders.
//!
//! The figures are exactly what `upturn_domain::pulse::release` returns for
//! the whole organisation (every unit, those without answers included):
//! `unit_id` picks one unit's item out of that release and never computes
//! anything over part of the organisation.

use std::collections::BTreeMap;

use actix_web::{HttpResponse, web};
use serde::{Deserialize, Serialize};
use upturn_domain::metrics::Window;
use upturn_domain::policy::Action;
use upturn_domain::pulse::{Period, PulseFigures, Tally, UnitRelease, release};
use upturn_domain::values::{Errors, FieldError};
use upturn_persistence::{Detail, MetricsQuery, Store};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::error::{ApiError, Problem};
use crate::startup::AppState;

/// Units listed per database round trip while collecting every unit.
const UNIT_PAGE: u64 = 200;

/// Only these two parameters exist: anything else (`from`, `to`, …) is
/// refused rather than silently ignored, since no other range is published.
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EngagementParams {
    /// One ISO week, like `2026-W47` (the only kind of period there is).
    /// Default: the latest week whose results are released.
    #[param(pattern = r"^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-3])$")]
    pub period: Option<String>,
    /// Only this unit's item of the week's results.
    #[param(value_type = Option<uuid::Uuid>)]
    pub unit_id: Option<String>,
}

/// The unit's customer figures over the requests filed that week.
#[derive(Debug, Serialize, ToSchema)]
pub struct OutcomesResponse {
    pub satisfaction_mean: Option<f64>,
    pub frontline_resolution_share: Option<f64>,
    pub sla_compliance: Option<f64>,
}

/// One unit's week. A group under `min_group` (or hidden so that the total
/// does not give one away) has `answers: null`, `null` means and no comments.
#[derive(Debug, Serialize, ToSchema)]
pub struct EngagementItem {
    pub unit_id: Uuid,
    pub period: String,
    pub answers: Option<u64>,
    /// Mean, 1 to 5.
    pub happiness: Option<f64>,
    /// Mean, 1 to 5.
    pub pleasure: Option<f64>,
    /// Mean, 1 to 5.
    pub engagement: Option<f64>,
    /// The unit's comments, in alphabetical order; only for shown units.
    pub comments: Vec<String>,
    pub outcomes: OutcomesResponse,
}

/// The whole organisation's week.
#[derive(Debug, Serialize, ToSchema)]
pub struct EngagementTotal {
    pub answers: u64,
    pub happiness: f64,
    pub pleasure: f64,
    pub engagement: f64,
}

impl From<PulseFigures> for EngagementTotal {
    fn from(f: PulseFigures) -> Self {
        EngagementTotal {
            answers: f.answers,
            happiness: f.happiness,
            pleasure: f.pleasure,
            engagement: f.engagement,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EngagementResponse {
    /// `UPTURN_PULSE_MIN_GROUP`: the fewest answers a shown group has.
    pub min_group: u64,
    pub period: String,
    /// Every unit of the organisation in id order (or the one `unit_id` names).
    pub items: Vec<EngagementItem>,
    /// `null` when the organisation gave fewer than `min_group` answers.
    pub total: Option<EngagementTotal>,
}

impl EngagementParams {
    fn parse(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(Period, Option<Uuid>), ApiError> {
        let mut errors = Errors::default();
        let period = errors.take(
            self.period
                .as_deref()
                .map(|raw| Period::parse("period", raw))
                .transpose(),
        );
        let unit_id = errors.take(
            self.unit_id
                .as_deref()
                .map(|raw| {
                    Uuid::parse_str(raw)
                        .map_err(|_| FieldError::new("unit_id", "must be a unit id"))
                })
                .transpose(),
        );
        match (period, unit_id) {
            (Some(period), Some(unit_id)) => {
                Ok((period.unwrap_or_else(|| Period::last_closed(now)), unit_id))
            }
            _ => Err(ApiError::Validation(errors.into_vec())),
        }
    }
}

/// Every unit's id, page by page.
async fn all_units(store: &Store) -> Result<Vec<Uuid>, ApiError> {
    let mut ids = Vec::new();
    let mut after = None;
    loop {
        let page = store.list_units(after, UNIT_PAGE).await?;
        ids.extend(page.items.iter().map(|u| u.id));
        match (page.next_cursor, ids.last()) {
            (Some(_), Some(last)) => after = Some(*last),
            _ => return Ok(ids),
        }
    }
}

/// Each unit's customer outcomes over the week, from one snapshot. They
/// are sums of the roll-ups: no percentile is read.
async fn outcomes(
    state: &AppState,
    period: Period,
    units: &[Uuid],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Vec<OutcomesResponse>, ApiError> {
    let window = Window::new(period.start(), period.end())
        .map_err(|_| ApiError::Internal(anyhow::anyhow!("a week ends before it starts")))?;
    let queries: Vec<MetricsQuery> = units
        .iter()
        .map(|unit_id| MetricsQuery {
            window,
            unit_id: Some(*unit_id),
            category: None,
        })
        .collect();
    let overviews = state
        .store
        .metrics_each(&queries, now, state.multiplier, Detail::Sums)
        .await?;
    Ok(overviews
        .into_iter()
        .map(|overview| OutcomesResponse {
            satisfaction_mean: overview.satisfaction.mean,
            frontline_resolution_share: overview.frontline_resolution_share,
            sla_compliance: overview.sla_compliance,
        })
        .collect())
}

/// Team pulse results per unit for one week (leaders).
///
/// One whole, finished ISO week (`period=2026-W47`, default the latest
/// released one); a week is released an hour after it ends, and asking
/// for one not released yet is `422`. No other range exists. A unit with
/// fewer than `min_group` answers shows `answers: null` and `null` means,
/// and when the total minus the shown units would give such a group away,
/// the smallest shown unit is hidden too; the total shows only with at least
/// `min_group` answers. Customer outcomes show for every unit. `unit_id`
/// picks one unit's item from the same results. See docs/metrics.md.
#[utoipa::path(
    get, path = "/api/v1/metrics/engagement", tag = "metrics",
    params(EngagementParams),
    responses(
        (status = 200, description = "The week's pulse per unit", body = EngagementResponse),
        (status = 401, description = "Not authenticated", body = Problem),
        (status = 403, description = "Leaders only", body = Problem),
        (status = 404, description = "No such unit", body = Problem),
        (status = 422, description = "Not an ISO week, not released yet, or an unknown parameter", body = Problem),
    ),
    security(("bearer" = []))
)]
pub async fn engagement(
    state: web::Data<AppState>,
    caller: Authenticated,
    params: web::Query<EngagementParams>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(engagement_of(&state, &caller, &params).await?))
}

/// The figures themselves, for the API and the leadership dashboard alike.
pub async fn engagement_of(
    state: &AppState,
    caller: &Authenticated,
    params: &EngagementParams,
) -> Result<EngagementResponse, ApiError> {
    caller.may(Action::Engagement)?;
    let now = state.store.clock().now();
    let (period, unit_id) = params.parse(now)?;
    let week = state.store.pulse_week(period).await?;
    let mut tallies: BTreeMap<Uuid, Tally> = all_units(&state.store)
        .await?
        .into_iter()
        .map(|id| (id, Tally::default()))
        .collect();
    tallies.extend(week.iter().map(|(id, (tally, _))| (*id, *tally)));
    let released = release(period, now, state.min_group, &tallies)
        .map_err(|not_closed| ApiError::field("period", not_closed.to_string()))?;
    let chosen: Vec<&UnitRelease> = match unit_id {
        None => released.units.iter().collect(),
        Some(id) => vec![
            released
                .units
                .iter()
                .find(|u| u.unit_id == id)
                .ok_or(ApiError::NotFound)?,
        ],
    };
    let units: Vec<Uuid> = chosen.iter().map(|unit| unit.unit_id).collect();
    let outcomes = outcomes(state, period, &units, now).await?;
    let mut items = Vec::with_capacity(chosen.len());
    for (unit, outcomes) in chosen.into_iter().zip(outcomes) {
        let figures = unit.figures;
        let comments = match figures {
            Some(_) => week
                .get(&unit.unit_id)
                .map(|(_, comments)| comments.clone())
                .unwrap_or_default(),
            None => Vec::new(),
        };
        items.push(EngagementItem {
            unit_id: unit.unit_id,
            period: period.to_string(),
            answers: figures.map(|f| f.answers),
            happiness: figures.map(|f| f.happiness),
            pleasure: figures.map(|f| f.pleasure),
            engagement: figures.map(|f| f.engagement),
            comments,
            outcomes,
        });
    }
    Ok(EngagementResponse {
        min_group: released.min_group.get(),
        period: period.to_string(),
        items,
        total: released.total.map(EngagementTotal::from),
    })
}
