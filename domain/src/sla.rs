//! SLA clocks: how long each level has to acknowledge a request, and how
//! long the organisation has to resolve it.

use chrono::{DateTime, Duration, Utc};

use crate::model::Urgency;

/// The deadlines that apply to requests of one urgency.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlaPolicy {
    pub urgency: Urgency,
    /// Counted from each arrival at a level (filing, then every route).
    pub acknowledge_within_seconds: i64,
    /// Counted from filing.
    pub resolve_within_seconds: i64,
}

/// The longest deadline a policy may set: one year.
pub const MAX_SECONDS: i64 = 366 * 24 * 3600;

impl SlaPolicy {
    /// The defaults of the product: critical 15 min / 4 h, high 1 h / 24 h,
    /// normal 4 h / 72 h, low 24 h / 14 days.
    pub const fn default_for(urgency: Urgency) -> SlaPolicy {
        let (acknowledge, resolve) = match urgency {
            Urgency::Critical => (15 * 60, 4 * 3600),
            Urgency::High => (3600, 24 * 3600),
            Urgency::Normal => (4 * 3600, 72 * 3600),
            Urgency::Low => (24 * 3600, 14 * 24 * 3600),
        };
        SlaPolicy {
            urgency,
            acknowledge_within_seconds: acknowledge,
            resolve_within_seconds: resolve,
        }
    }

    /// When the level the request arrived at must acknowledge it.
    pub fn acknowledge_by(&self, arrived_at: DateTime<Utc>) -> DateTime<Utc> {
        arrived_at + Duration::seconds(self.acknowledge_within_seconds)
    }

    /// When the request must be resolved.
    pub fn resolve_by(&self, filed_at: DateTime<Utc>) -> DateTime<Utc> {
        filed_at + Duration::seconds(self.resolve_within_seconds)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_match_the_spec() {
        let critical = SlaPolicy::default_for(Urgency::Critical);
        assert_eq!(
            (
                critical.acknowledge_within_seconds,
                critical.resolve_within_seconds
            ),
            (900, 14_400)
        );
        let low = SlaPolicy::default_for(Urgency::Low);
        assert_eq!(
            (low.acknowledge_within_seconds, low.resolve_within_seconds),
            (86_400, 1_209_600)
        );
    }

    #[test]
    fn deadlines_count_from_the_right_instant() {
        let filed = DateTime::<Utc>::from_timestamp(1_000_000, 0).unwrap_or_default();
        let arrived = filed + Duration::seconds(500);
        let normal = SlaPolicy::default_for(Urgency::Normal);
        assert_eq!(normal.acknowledge_by(arrived), arrived + Duration::hours(4));
        assert_eq!(normal.resolve_by(filed), filed + Duration::hours(72));
    }
}
