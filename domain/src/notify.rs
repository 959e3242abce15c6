//! Who is told about a change to a request: their inbox and live stream.

use uuid::Uuid;

use crate::lifecycle::Request;
use crate::model::{EventType, Level, Role};

/// The people around a request, as persistence found them.
#[derive(Debug, Clone, Default)]
pub struct Audience {
    /// Members of the unit holding the request now, with their roles.
    pub holding_unit: Vec<(Uuid, Role)>,
    /// Members of the filer's team.
    pub team: Vec<Uuid>,
    /// Members watching the request.
    pub watchers: Vec<Uuid>,
    /// Every leader (told about SLA breaches).
    pub leaders: Vec<Uuid>,
}

/// Whether a member with `role` in the holding unit works requests at `level`.
pub fn holds_at(role: Role, level: Level) -> bool {
    matches!(
        (level, role),
        (Level::Manager, Role::Manager)
            | (Level::Service, Role::Service)
            | (Level::Leadership, Role::Leader)
    )
}

/// The members to tell about an event on `request` (as it is after the
/// change): its filer, its current owners and its watchers; the filer's
/// whole team when it comes back up answered or when an initiative it is
/// linked to has news; leadership too when a deadline passed. Never the
/// member who made the change. Nobody for an erasure of customer data:
/// there is nothing to act on (webhooks still receive it). Sorted, unique.
pub fn recipients(
    kind: EventType,
    request: &Request,
    actor: Option<Uuid>,
    audience: &Audience,
) -> Vec<Uuid> {
    if kind == EventType::CustomerDataErased {
        return vec![];
    }
    let mut told: Vec<Uuid> = vec![request.filed_by];
    told.extend(
        audience
            .holding_unit
            .iter()
            .filter(|(_, role)| holds_at(*role, request.level))
            .map(|(id, _)| *id),
    );
    told.extend(&audience.watchers);
    if matches!(
        kind,
        EventType::Resolved
            | EventType::Declined
            | EventType::InitiativeLinked
            | EventType::InitiativeProgress
            | EventType::InitiativeDropped
    ) {
        told.extend(&audience.team);
    }
    if kind == EventType::SlaBreached {
        told.extend(&audience.leaders);
    }
    told.sort();
    told.dedup();
    told.retain(|id| Some(*id) != actor);
    told
}
