//! `GET /api/v1/metrics/…`: leadership figures over a period, for the whole
//! organisation, a unit, each unit, each category or each week.
//!
//! Every figure is defined in `docs/metrics.md` (one sentence, one formula)
//! and computed by the domain; the roll-ups behind them are decision 0006.
//! Leaders read everything; a manager reads their own team only (`403` for
//! another unit); anyone else gets `403` (`upturn_domain::policy::permit`).

pub mod by_category;
pub mod by_unit;
pub mod overview;
pub mod trend;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use upturn_domain::metrics::{Overview, Window};
use upturn_domain::policy::{Action, MetricsView};
use upturn_domain::values::{Errors, FieldError};
use upturn_domain::visibility::figures_unit;
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::error::ApiError;
use crate::http::time_param;

/// The default period: the last 30 days.
const DEFAULT_DAYS: i64 = 30;
/// The longest period one answer covers (about ten years).
const MAX_DAYS: i64 = 3_660;

/// The period and the unit. Times are RFC 3339; `from` counts, `to` does not.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MetricsParams {
    /// Start of the period (inclusive), by filing time. Default: `to` − 30 days.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub from: Option<String>,
    /// End of the period (exclusive). Default: now.
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub to: Option<String>,
    /// Only the requests this unit sees (filed by that team or ever routed
    /// to that unit). A manager's default and only choice is their team.
    #[param(value_type = Option<uuid::Uuid>)]
    pub unit_id: Option<String>,
}

/// What a metrics query asks for, checked against the caller.
pub struct Asked {
    pub window: Window,
    /// The unit to compute over; `None` for the whole organisation.
    pub unit_id: Option<Uuid>,
}

impl MetricsParams {
    /// Parses the period and checks the caller may read the unit.
    pub fn ask(
        &self,
        view: MetricsView,
        caller: &Authenticated,
        now: DateTime<Utc>,
    ) -> Result<Asked, ApiError> {
        // A member without figures is `403` whatever the parameters say.
        caller.may(Action::Metrics { view, unit: None })?;
        let mut errors = Errors::default();
        let from = errors
            .take(time_param("from", self.from.as_deref()))
            .flatten();
        let to = errors.take(time_param("to", self.to.as_deref())).flatten();
        let unit = errors
            .take(
                self.unit_id
                    .as_deref()
                    .map(|u| {
                        Uuid::parse_str(u)
                            .map_err(|_| FieldError::new("unit_id", "must be a unit id"))
                    })
                    .transpose(),
            )
            .flatten();
        if !errors.is_empty() {
            return Err(errors.into_vec().into());
        }
        let to = to.unwrap_or(now);
        let from = from.unwrap_or(to - Duration::days(DEFAULT_DAYS));
        let window =
            Window::new(from, to).map_err(|_| ApiError::field("from", "must be before `to`"))?;
        if to - from > Duration::days(MAX_DAYS) {
            return Err(ApiError::field(
                "to",
                format!("a period covers at most {MAX_DAYS} days"),
            ));
        }
        caller.may(Action::Metrics { view, unit })?;
        Ok(Asked {
            window,
            unit_id: figures_unit(&caller.actor(), unit),
        })
    }
}

impl Asked {
    /// `404` when the unit asked for does not exist (a leader may ask for
    /// any unit; a manager was already limited to their own team).
    pub async fn existing(self, state: &crate::startup::AppState) -> Result<Asked, ApiError> {
        if let Some(unit) = self.unit_id {
            state.store.unit(unit).await?;
        }
        Ok(self)
    }
}

/// `[from, to)` as the answer echoes it.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeriodResponse {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl From<Window> for PeriodResponse {
    fn from(w: Window) -> Self {
        PeriodResponse {
            from: w.from(),
            to: w.to(),
        }
    }
}

/// Requests filed in the period, counted four ways; only values that occur are keys.
#[derive(Debug, Serialize, ToSchema)]
pub struct VolumeResponse {
    pub total: u64,
    pub by_kind: BTreeMap<String, u64>,
    pub by_category: BTreeMap<String, u64>,
    pub by_status: BTreeMap<String, u64>,
    pub by_level: BTreeMap<String, u64>,
}

/// Seconds, nearest-rank; `null` without data.
#[derive(Debug, Serialize, ToSchema)]
pub struct AgeResponse {
    pub median: Option<i64>,
    pub p90: Option<i64>,
    pub max: Option<i64>,
}

/// Requests of the period still open, and how long they have waited since filing.
#[derive(Debug, Serialize, ToSchema)]
pub struct BacklogResponse {
    pub open: u64,
    pub age_seconds: AgeResponse,
}

/// Seconds, nearest-rank; `null` without data.
#[derive(Debug, Serialize, ToSchema)]
pub struct SpreadResponse {
    pub median: Option<i64>,
    pub p90: Option<i64>,
}

/// Customer satisfaction (1–5) from follow-ups.
#[derive(Debug, Serialize, ToSchema)]
pub struct SatisfactionResponse {
    /// Σ satisfaction ÷ responses.
    pub mean: Option<f64>,
    /// Answers of 4 or 5 ÷ responses.
    pub share_4_or_more: Option<f64>,
    pub responses: u64,
}

/// Net Promoter Score, in points from −100 to 100.
#[derive(Debug, Serialize, ToSchema)]
pub struct NpsResponse {
    /// 100 × (promoters (9–10) − detractors (0–6)) ÷ responses.
    pub score: Option<f64>,
    pub responses: u64,
}

/// An estimate, always with its multiplier and note.
#[derive(Debug, Serialize, ToSchema)]
pub struct SilentResponse {
    /// Follow-ups with satisfaction ≤ 2 + `unmet_need` requests + reopens.
    pub expressed: u64,
    /// `UPTURN_SILENT_MULTIPLIER` (default 10): a rule of thumb.
    pub multiplier: u32,
    /// expressed × multiplier.
    pub estimated: u64,
    pub note: String,
}

/// Every figure of the overview; each is defined in docs/metrics.md. Ratios
/// are fractions 0–1, durations seconds, `null` where there is no data.
#[derive(Debug, Serialize, ToSchema)]
pub struct Figures {
    pub volume: VolumeResponse,
    pub backlog: BacklogResponse,
    /// From arrival at the level that first acknowledged to that acknowledgement.
    pub time_to_acknowledge_seconds: SpreadResponse,
    /// From filing to the standing resolution (declines excluded).
    pub time_to_resolve_seconds: SpreadResponse,
    /// kept ÷ (kept + missed), over requests whose SLA is decided.
    pub sla_compliance: Option<f64>,
    /// Resolved at level frontline ÷ resolved.
    pub frontline_resolution_share: Option<f64>,
    /// Resolved and followed up with the customer reached ÷ resolved.
    pub follow_up_rate: Option<f64>,
    pub satisfaction: SatisfactionResponse,
    pub nps: NpsResponse,
    /// Reopened at least once ÷ answered at least once.
    pub reopen_rate: Option<f64>,
    /// Declined ÷ (resolved + declined), standing answers.
    pub declined_share: Option<f64>,
    pub silent_dissatisfaction: SilentResponse,
}

impl From<Overview> for Figures {
    fn from(o: Overview) -> Self {
        Figures {
            volume: VolumeResponse {
                total: o.volume.total,
                by_kind: o.volume.by_kind,
                by_category: o.volume.by_category,
                by_status: o.volume.by_status,
                by_level: o.volume.by_level,
            },
            backlog: BacklogResponse {
                open: o.backlog.open,
                age_seconds: AgeResponse {
                    median: o.backlog.age_seconds.median,
                    p90: o.backlog.age_seconds.p90,
                    max: o.backlog.age_seconds.max,
                },
            },
            time_to_acknowledge_seconds: SpreadResponse {
                median: o.time_to_acknowledge_seconds.median,
                p90: o.time_to_acknowledge_seconds.p90,
            },
            time_to_resolve_seconds: SpreadResponse {
                median: o.time_to_resolve_seconds.median,
                p90: o.time_to_resolve_seconds.p90,
            },
            sla_compliance: o.sla_compliance,
            frontline_resolution_share: o.frontline_resolution_share,
            follow_up_rate: o.follow_up_rate,
            satisfaction: SatisfactionResponse {
                mean: o.satisfaction.mean,
                share_4_or_more: o.satisfaction.share_4_or_more,
                responses: o.satisfaction.responses,
            },
            nps: NpsResponse {
                score: o.nps.score,
                responses: o.nps.responses,
            },
            reopen_rate: o.reopen_rate,
            declined_share: o.declined_share,
            silent_dissatisfaction: SilentResponse {
                expressed: o.silent_dissatisfaction.expressed,
                multiplier: o.silent_dissatisfaction.multiplier,
                estimated: o.silent_dissatisfaction.estimated,
                note: o.silent_dissatisfaction.note.to_owned(),
            },
        }
    }
}
