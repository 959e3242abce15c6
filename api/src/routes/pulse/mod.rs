//! The team pulse: `GET /pulse/current` and `POST /pulse/responses` for
//! members, `GET /metrics/engagement` for leaders.
//!
//! An answer is stored under the member's unit and the ISO week only;
//! whether the member answered is stored apart (see
//! `persistence/src/pulse.rs`). What may be published of a week is decided
//! by `upturn_domain::pulse::release` alone (docs/metrics.md, "Engagement").

pub mod answer;
pub mod current;
pub mod engagement;

use serde::Serialize;
use upturn_domain::policy::Action;
use upturn_domain::pulse::Period;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Authenticated;
use crate::error::ApiError;

/// Where the caller stands with this week's pulse.
#[derive(Debug, Serialize, ToSchema)]
pub struct PulseStatusResponse {
    /// The current ISO week, like `2026-W47`.
    pub period: String,
    /// Whether the caller has answered it.
    pub answered: bool,
}

impl PulseStatusResponse {
    fn new(period: Period, answered: bool) -> Self {
        PulseStatusResponse {
            period: period.to_string(),
            answered,
        }
    }
}

/// The unit the caller answers for, once `policy::permit` has let them
/// answer (members of a unit; admins, who belong to none, get `403`).
pub(crate) fn answering_unit(caller: &Authenticated) -> Result<Uuid, ApiError> {
    caller.may(Action::AnswerPulse)?;
    caller.0.unit_id.ok_or_else(|| {
        ApiError::Internal(anyhow::anyhow!(
            "the policy let a member without a unit take part in the pulse"
        ))
    })
}
