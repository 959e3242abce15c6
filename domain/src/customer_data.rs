//! Customers' personal data (GDPR): the name and contact a request was
//! filed with are erased at a leader's demand, and on their own a set
//! number of days after the request is closed.
//!
//! Erasing empties `customer_name` and `customer_contact` and nothing else:
//! the consent flag (a fact about the request, not about the person, and
//! what keeps the tracking code working), the texts, the figures and the
//! timeline stay. The `customer_data_erased` event says that it happened,
//! never what was erased. Who may ask is [`crate::policy`]
//! ([`Action::EraseCustomerData`]); a request the actor may not see does
//! not exist for them.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use crate::lifecycle::{NewEvent, Outcome, Refusal, Request};
use crate::model::{EventType, Status};
use crate::policy::{self, Action};
use crate::visibility::{Actor, Scope};

/// How many days after its request is closed a customer's name and contact
/// are kept (`UPTURN_CUSTOMER_DATA_DAYS`). `0` erases them at the first
/// erasure run after closing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeepDays(u32);

/// A number of days past [`KeepDays::MAX`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("customer data may be kept at most {max} days (about ten years), got {got}", max = KeepDays::MAX)]
pub struct KeepDaysTooLong {
    pub got: u32,
}

impl KeepDays {
    pub const DEFAULT: KeepDays = KeepDays(90);
    /// About ten years: longer is not a retention, it is keeping.
    pub const MAX: u32 = 3_660;

    pub fn new(days: u32) -> Result<Self, KeepDaysTooLong> {
        if days <= Self::MAX {
            Ok(Self(days))
        } else {
            Err(KeepDaysTooLong { got: days })
        }
    }

    pub const fn get(self) -> u32 {
        self.0
    }

    /// Requests closed at or before this instant are due at `now`.
    pub fn cutoff(self, now: DateTime<Utc>) -> DateTime<Utc> {
        now - Duration::days(i64::from(self.0))
    }
}

/// Whether a request still holds a customer's name or contact.
pub fn holds_customer_data(request: &Request) -> bool {
    request.customer_name.is_some() || request.customer_contact.is_some()
}

/// Whether the automatic erasure is due for a request at `now`: closed at
/// or before [`KeepDays::cutoff`], and still holding customer data.
pub fn due(request: &Request, keep: KeepDays, now: DateTime<Utc>) -> bool {
    request.status == Status::Closed
        && request
            .closed_at
            .is_some_and(|closed| closed <= keep.cutoff(now))
        && holds_customer_data(request)
}

/// Erases at a leader's demand. `Ok(None)` when there is nothing left to
/// erase: no change, no event (a retry is harmless).
pub fn erase_on_demand(
    request: &Request,
    routed_units: &[Uuid],
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Option<Outcome>, Refusal> {
    if !Scope::of(actor).admits(request.team_id, routed_units) {
        return Err(Refusal::NotFound);
    }
    policy::permit(actor, &Action::EraseCustomerData)?;
    Ok(erase(request, Some(actor.id), now))
}

/// Erases once [`due`]: the event has no actor, like every change the
/// service makes on its own. `None` when not due.
pub fn erase_when_due(request: &Request, keep: KeepDays, now: DateTime<Utc>) -> Option<Outcome> {
    if !due(request, keep, now) {
        return None;
    }
    erase(request, None, now)
}

/// The request without its customer's name and contact, its version
/// bumped, and one `customer_data_erased` event; `None` when nothing is
/// left to erase.
fn erase(request: &Request, actor_id: Option<Uuid>, now: DateTime<Utc>) -> Option<Outcome> {
    if !holds_customer_data(request) {
        return None;
    }
    let mut next = request.clone();
    next.customer_name = None;
    next.customer_contact = None;
    next.version = request.version + 1;
    next.updated_at = now;
    Some(Outcome {
        request: next,
        event: NewEvent {
            kind: EventType::CustomerDataErased,
            actor_id,
            from_level: None,
            to_level: None,
            from_status: None,
            to_status: None,
            note: None,
            internal: false,
            at: now,
        },
        follow_up: None,
        routed_to: None,
    })
}
