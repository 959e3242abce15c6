//! The request lifecycle as data plus one function.
//!
//! [`file`] creates a request; [`decide`] takes a request, the actor and a
//! command and answers either the new state of the request with exactly one
//! event, or a typed [`Refusal`]. Persistence stores what these return and
//! nothing else, so "who may do what to a request" lives in this file only
//! (who may file one, like every operation outside the lifecycle, is
//! [`crate::policy`]).
//!
//! ```text
//! new ──ack──▶ acknowledged ──▶ in_progress ──▶ resolved ──follow-up──▶ closed
//!  └── route down (manager → service → leadership) ──┘   └─ reopen ─▶ in_progress
//! declined (with an explanation, which flows back up like a resolution)
//! ```

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::model::{Channel, EventType, Kind, Level, Role, Status, UnitKind, Urgency};
use crate::policy::{self, Action, Denied};
use crate::sla::SlaPolicy;
use crate::values::{Category, Contact, Name, Note, Satisfaction, Text, Title, WouldRecommend};
use crate::visibility::{Actor, Scope};

/// The customer a request was filed for. Contact details are optional.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Customer {
    pub name: Option<Name>,
    pub contact: Option<Contact>,
    pub consent_follow_up: bool,
}

/// A request as the domain sees it: everything needed to decide and to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Request {
    pub id: Uuid,
    pub number: i64,
    pub kind: Kind,
    pub category: String,
    pub urgency: Urgency,
    pub channel: Channel,
    pub title: String,
    pub description: String,
    pub customer_expectation: String,
    pub customer_name: Option<String>,
    pub customer_contact: Option<String>,
    pub customer_consent: bool,
    pub status: Status,
    pub level: Level,
    /// The unit that holds the request now.
    pub unit_id: Uuid,
    /// The team whose member filed it.
    pub team_id: Uuid,
    pub filed_by: Uuid,
    pub assignee_id: Option<Uuid>,
    pub version: i64,
    pub tracking_code: Option<String>,
    /// The policy in force when it was filed; later changes do not apply.
    pub sla_acknowledge_seconds: i64,
    pub sla_resolve_seconds: i64,
    pub acknowledge_by: DateTime<Utc>,
    pub resolve_by: DateTime<Utc>,
    /// When the acknowledge deadline of the current level was found passed
    /// (cleared when the request arrives at a new level).
    pub acknowledge_breached_at: Option<DateTime<Utc>>,
    /// When the resolve deadline was found passed.
    pub resolve_breached_at: Option<DateTime<Utc>>,
    /// Where it was resolved or declined, and by which unit.
    pub resolved_level: Option<Level>,
    pub resolved_unit_id: Option<Uuid>,
    pub resolution_note: Option<String>,
    pub reopen_count: i32,
    pub filed_at: DateTime<Utc>,
    /// When it arrived at the level it sits at now.
    pub arrived_at: DateTime<Utc>,
    pub acknowledged_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
    /// The initiative it was last linked to, if any (see `initiative`).
    pub initiative_id: Option<Uuid>,
}

impl Request {
    /// The reference people use, `UP-000123`.
    pub fn reference(&self) -> String {
        crate::values::reference(self.number)
    }

    /// Whether a deadline that applies now has passed (the acknowledge one
    /// only while the current level has not acknowledged).
    pub fn sla_breached(&self) -> bool {
        (self.status == Status::New && self.acknowledge_breached_at.is_some())
            || (self.status.is_open() && self.resolve_breached_at.is_some())
    }

    /// The deadline that comes next for an open request, if any.
    pub fn next_deadline(&self) -> Option<(Deadline, DateTime<Utc>)> {
        if !self.status.is_open() {
            return None;
        }
        if self.status == Status::New && self.acknowledge_by < self.resolve_by {
            Some((Deadline::Acknowledge, self.acknowledge_by))
        } else {
            Some((Deadline::Resolve, self.resolve_by))
        }
    }
}

/// The two SLA clocks of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deadline {
    /// The level holding the request must acknowledge it.
    Acknowledge,
    /// The request must be resolved.
    Resolve,
}

impl Deadline {
    pub const fn as_str(self) -> &'static str {
        match self {
            Deadline::Acknowledge => "acknowledge",
            Deadline::Resolve => "resolve",
        }
    }
}

/// Flags a passed deadline: the request with the flag set and its version
/// bumped, and one `sla_breached` event. `None` when the deadline does not
/// apply, has not passed, or was already flagged: each deadline is flagged
/// at most once.
pub fn breach(request: &Request, deadline: Deadline, now: DateTime<Utc>) -> Option<Outcome> {
    let (due, flagged) = match deadline {
        Deadline::Acknowledge => (
            request.status == Status::New && request.acknowledge_by <= now,
            request.acknowledge_breached_at.is_some(),
        ),
        Deadline::Resolve => (
            request.status.is_open() && request.resolve_by <= now,
            request.resolve_breached_at.is_some(),
        ),
    };
    if !due || flagged {
        return None;
    }
    let mut next = request.clone();
    next.version = request.version + 1;
    next.updated_at = now;
    match deadline {
        Deadline::Acknowledge => next.acknowledge_breached_at = Some(now),
        Deadline::Resolve => next.resolve_breached_at = Some(now),
    }
    let event = NewEvent {
        kind: EventType::SlaBreached,
        actor_id: None,
        from_level: Some(request.level),
        to_level: Some(request.level),
        from_status: Some(request.status),
        to_status: Some(request.status),
        note: Some(format!("{} deadline passed", deadline.as_str())),
        internal: false,
        at: now,
    };
    Some(Outcome {
        request: next,
        event,
        follow_up: None,
        routed_to: None,
    })
}

/// A timeline entry to append.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEvent {
    pub kind: EventType,
    pub actor_id: Option<Uuid>,
    pub from_level: Option<Level>,
    pub to_level: Option<Level>,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub note: Option<String>,
    pub internal: bool,
    pub at: DateTime<Utc>,
}

/// What the front line heard back from the customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowUpInput {
    pub customer_reached: bool,
    pub satisfaction: Option<Satisfaction>,
    pub would_recommend: Option<WouldRecommend>,
    pub note: Option<Note>,
    /// The customer is not satisfied: send the request back to work.
    pub reopen: bool,
}

/// A unit a request may be routed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RouteTarget {
    pub unit_id: Uuid,
    pub kind: UnitKind,
}

/// Everything a member can do to an existing request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    Acknowledge { note: Option<Note> },
    Route { to: RouteTarget, note: Note },
    Start { note: Option<Note> },
    Resolve { note: Note },
    Decline { note: Note },
    FollowUp(FollowUpInput),
    Comment { body: Note, internal: bool },
}

/// Why a command is refused. Each maps to one stable API error.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// The actor may not see the request: for them it does not exist.
    #[error("request not found")]
    NotFound,
    /// The actor sees the request but their role or unit may not do this.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The request's status or level does not allow this now.
    #[error("{0}")]
    InvalidTransition(&'static str),
}

impl From<Denied> for Refusal {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::Forbidden(why) => Refusal::Forbidden(why),
        }
    }
}

/// A decided change: the request as it is after the command, and its event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    pub request: Request,
    pub event: NewEvent,
    /// Set when a follow-up is recorded.
    pub follow_up: Option<FollowUpInput>,
    /// Set when the request is routed: the unit it reaches.
    pub routed_to: Option<Uuid>,
}

/// What a front-line member or manager files for a customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewRequest {
    pub kind: Kind,
    pub category: Category,
    pub urgency: Urgency,
    pub channel: Channel,
    pub title: Title,
    pub description: Text,
    pub customer_expectation: Note,
    pub customer: Option<Customer>,
    /// "I did it because it mattered": resolved at the front line on filing.
    pub resolved_on_the_spot: Option<Note>,
}

/// The values filing needs from outside: identity, numbering and the clock.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filing {
    pub id: Uuid,
    pub number: i64,
    /// Given only to customers who consented to follow-up.
    pub tracking_code: Option<String>,
    pub policy: SlaPolicy,
    pub now: DateTime<Utc>,
    /// Leadership's rule to route it as soon as it is filed: the target and
    /// the rule's name.
    pub route: Option<(RouteTarget, String)>,
}

/// Files a request for a customer. Who may file is [`policy::permit`]
/// (front-line members and managers of a team); the team is theirs. The
/// request starts `new` at level `manager`, or already `resolved` at the
/// front line.
pub fn file(
    actor: &Actor,
    input: NewRequest,
    filing: Filing,
) -> Result<(Request, NewEvent), Refusal> {
    policy::permit(actor, &Action::FileRequest)?;
    // `permit` lets only members of a team file, so the unit is there.
    let Some(team_id) = actor.unit_id else {
        return Err(Refusal::Forbidden(
            "a request is filed by a member of a team",
        ));
    };
    let now = filing.now;
    let (consent, name, contact) = match input.customer {
        Some(c) => (
            c.consent_follow_up,
            c.name.map(Name::into_inner),
            c.contact.map(Contact::into_inner),
        ),
        None => (false, None, None),
    };
    let mut request = Request {
        id: filing.id,
        number: filing.number,
        kind: input.kind,
        category: input.category.as_str().to_owned(),
        urgency: input.urgency,
        channel: input.channel,
        title: input.title.into_inner(),
        description: input.description.into_inner(),
        customer_expectation: input.customer_expectation.into_inner(),
        customer_name: name,
        customer_contact: contact,
        customer_consent: consent,
        status: Status::New,
        level: Level::Manager,
        unit_id: team_id,
        team_id,
        filed_by: actor.id,
        assignee_id: None,
        version: 1,
        tracking_code: if consent { filing.tracking_code } else { None },
        sla_acknowledge_seconds: filing.policy.acknowledge_within_seconds,
        sla_resolve_seconds: filing.policy.resolve_within_seconds,
        acknowledge_by: filing.policy.acknowledge_by(now),
        resolve_by: filing.policy.resolve_by(now),
        acknowledge_breached_at: None,
        resolve_breached_at: None,
        resolved_level: None,
        resolved_unit_id: None,
        resolution_note: None,
        reopen_count: 0,
        filed_at: now,
        arrived_at: now,
        acknowledged_at: None,
        resolved_at: None,
        closed_at: None,
        updated_at: now,
        initiative_id: None,
    };
    let mut event = NewEvent {
        kind: EventType::Filed,
        actor_id: Some(actor.id),
        from_level: None,
        to_level: Some(Level::Manager),
        from_status: None,
        to_status: Some(Status::New),
        note: None,
        internal: false,
        at: now,
    };
    if let (Some((target, rule)), None) = (&filing.route, &input.resolved_on_the_spot) {
        let level = Level::of_unit(target.kind);
        if level.depth() > Level::Manager.depth() {
            request.level = level;
            request.unit_id = target.unit_id;
            event.to_level = Some(level);
            event.note = Some(format!("routed on filing by the rule \"{rule}\""));
        }
    }
    if let Some(note) = input.resolved_on_the_spot {
        let note = note.into_inner();
        request.status = Status::Resolved;
        request.level = Level::Frontline;
        request.resolved_level = Some(Level::Frontline);
        request.resolved_unit_id = Some(team_id);
        request.resolution_note = Some(note.clone());
        request.resolved_at = Some(now);
        event.to_level = Some(Level::Frontline);
        event.to_status = Some(Status::Resolved);
        event.note = Some(note);
    }
    Ok((request, event))
}

/// Whether the actor's unit holds the request at the level it sits at now.
fn holds(actor: &Actor, request: &Request) -> bool {
    let in_owner_unit = actor.unit_id == Some(request.unit_id);
    match request.level {
        Level::Manager => actor.role == Role::Manager && in_owner_unit,
        Level::Service => actor.role == Role::Service && in_owner_unit,
        Level::Leadership => actor.role == Role::Leader && in_owner_unit,
        Level::Frontline => false,
    }
}

/// Whether the actor belongs to the team that filed the request.
fn in_filer_team(actor: &Actor, request: &Request) -> bool {
    matches!(actor.role, Role::Frontline | Role::Manager) && actor.unit_id == Some(request.team_id)
}

const NOT_OWNER: &str = "only the unit that holds the request at its level may do this";
const NOT_OPEN: &str = "the request is no longer open";

/// Whether the actor may route this request down now, before a target is
/// chosen (e.g. by a routing rule): the same checks, in the same order, as
/// [`decide`] makes for [`Command::Route`].
pub fn may_route(request: &Request, routed_units: &[Uuid], actor: &Actor) -> Result<(), Refusal> {
    if !Scope::of(actor).admits(request.team_id, routed_units) {
        return Err(Refusal::NotFound);
    }
    if !request.status.is_open() {
        return Err(Refusal::InvalidTransition(NOT_OPEN));
    }
    if !holds(actor, request) {
        return Err(Refusal::Forbidden(NOT_OWNER));
    }
    Ok(())
}

/// Decides what a command does to a request.
///
/// `routed_units` are the units the request was ever routed to, for the
/// visibility check. The answer carries the request with its version bumped
/// by one and exactly one event.
pub fn decide(
    request: &Request,
    routed_units: &[Uuid],
    actor: &Actor,
    command: Command,
    now: DateTime<Utc>,
) -> Result<Outcome, Refusal> {
    if !Scope::of(actor).admits(request.team_id, routed_units) {
        return Err(Refusal::NotFound);
    }
    let acts_on_open_request = matches!(
        command,
        Command::Acknowledge { .. }
            | Command::Start { .. }
            | Command::Route { .. }
            | Command::Resolve { .. }
            | Command::Decline { .. }
    );
    if acts_on_open_request && !request.status.is_open() {
        // Answered requests sit with nobody: say why, not who.
        return Err(Refusal::InvalidTransition(NOT_OPEN));
    }
    let mut next = request.clone();
    next.version = request.version + 1;
    next.updated_at = now;
    let mut follow_up = None;
    let mut routed_to = None;
    let (kind, note, internal) = match command {
        Command::Comment { body, internal } => {
            (EventType::Comment, Some(body.into_inner()), internal)
        }
        Command::Acknowledge { note } => {
            if !holds(actor, request) {
                return Err(Refusal::Forbidden(NOT_OWNER));
            }
            if request.status != Status::New {
                return Err(Refusal::InvalidTransition(
                    "only a new request can be acknowledged",
                ));
            }
            next.status = Status::Acknowledged;
            next.acknowledged_at = request.acknowledged_at.or(Some(now));
            next.assignee_id = Some(actor.id);
            (EventType::Acknowledged, note.map(Note::into_inner), false)
        }
        Command::Start { note } => {
            if !holds(actor, request) {
                return Err(Refusal::Forbidden(NOT_OWNER));
            }
            if !matches!(request.status, Status::New | Status::Acknowledged) {
                return Err(Refusal::InvalidTransition(
                    "only a new or acknowledged request can be put in progress",
                ));
            }
            next.status = Status::InProgress;
            next.acknowledged_at = request.acknowledged_at.or(Some(now));
            next.assignee_id = request.assignee_id.or(Some(actor.id));
            (EventType::StatusChanged, note.map(Note::into_inner), false)
        }
        Command::Route { to, note } => {
            if !holds(actor, request) {
                return Err(Refusal::Forbidden(NOT_OWNER));
            }
            if !request.status.is_open() {
                return Err(Refusal::InvalidTransition(NOT_OPEN));
            }
            let target = Level::of_unit(to.kind);
            if target.depth() <= request.level.depth() {
                return Err(Refusal::InvalidTransition(
                    "routing only goes down the pyramid: manager, then service, then leadership",
                ));
            }
            arrive(&mut next, target, to.unit_id, now);
            routed_to = Some(to.unit_id);
            let kind = if target == Level::Leadership {
                EventType::Escalated
            } else {
                EventType::Routed
            };
            (kind, Some(note.into_inner()), false)
        }
        Command::Resolve { note } => {
            let resolved_level = if holds(actor, request) {
                request.level
            } else if in_filer_team(actor, request) && request.level == Level::Manager {
                // Front-line resolution: anyone of the team, while the
                // request is still with the team's managers.
                if actor.role == Role::Frontline {
                    Level::Frontline
                } else {
                    Level::Manager
                }
            } else {
                return Err(Refusal::Forbidden(NOT_OWNER));
            };
            if !request.status.is_open() {
                return Err(Refusal::InvalidTransition(NOT_OPEN));
            }
            answer(
                &mut next,
                Status::Resolved,
                resolved_level,
                request.unit_id,
                &note,
                now,
            );
            (EventType::Resolved, Some(note.into_inner()), false)
        }
        Command::Decline { note } => {
            if !holds(actor, request) {
                return Err(Refusal::Forbidden(NOT_OWNER));
            }
            if !request.status.is_open() {
                return Err(Refusal::InvalidTransition(NOT_OPEN));
            }
            answer(
                &mut next,
                Status::Declined,
                request.level,
                request.unit_id,
                &note,
                now,
            );
            (EventType::Declined, Some(note.into_inner()), false)
        }
        Command::FollowUp(input) => {
            if !in_filer_team(actor, request) {
                return Err(Refusal::Forbidden(
                    "only the filer's team records the customer's follow-up",
                ));
            }
            if !matches!(request.status, Status::Resolved | Status::Declined) {
                return Err(Refusal::InvalidTransition(
                    "a follow-up is recorded once the request is resolved or declined",
                ));
            }
            let note = input.note.clone().map(Note::into_inner);
            let kind = if input.reopen {
                // Back to work at the level, and in the unit, that answered.
                let level = match request.resolved_level {
                    Some(Level::Frontline) | None => Level::Manager,
                    Some(level) => level,
                };
                next.status = Status::InProgress;
                next.level = level;
                next.unit_id = request.resolved_unit_id.unwrap_or(request.team_id);
                next.arrived_at = now;
                next.reopen_count = request.reopen_count + 1;
                // The answer did not satisfy the customer: it is no longer the answer.
                next.resolved_level = None;
                next.resolved_unit_id = None;
                next.resolution_note = None;
                next.resolved_at = None;
                EventType::Reopened
            } else {
                next.status = Status::Closed;
                next.closed_at = Some(now);
                EventType::FollowUpRecorded
            };
            follow_up = Some(input);
            (kind, note, false)
        }
    };
    let event = NewEvent {
        kind,
        actor_id: Some(actor.id),
        from_level: Some(request.level),
        to_level: Some(next.level),
        from_status: Some(request.status),
        to_status: Some(next.status),
        note,
        internal,
        at: now,
    };
    Ok(Outcome {
        request: next,
        event,
        follow_up,
        routed_to,
    })
}

/// Sends an answer (resolution or decline) given at level `at` by unit `by`
/// back up to the filer's team. Initiatives answer their linked requests
/// through here too.
pub(crate) fn answer(
    next: &mut Request,
    status: Status,
    at: Level,
    by: Uuid,
    note: &Note,
    now: DateTime<Utc>,
) {
    next.status = status;
    next.level = Level::Frontline;
    next.resolved_level = Some(at);
    next.resolved_unit_id = Some(by);
    next.unit_id = next.team_id;
    next.resolution_note = Some(note.as_str().to_owned());
    next.resolved_at = Some(now);
    next.assignee_id = None;
}

/// Makes a request arrive at `level` in `unit`: `new` there, nobody assigned,
/// and a new acknowledge deadline (the clock restarts at every arrival).
/// Routing goes through here; so do an initiative taking a request and
/// handing it back when dropped.
pub(crate) fn arrive(next: &mut Request, level: Level, unit: Uuid, now: DateTime<Utc>) {
    next.status = Status::New;
    next.level = level;
    next.unit_id = unit;
    next.assignee_id = None;
    next.arrived_at = now;
    next.acknowledge_by = now + chrono::Duration::seconds(next.sla_acknowledge_seconds);
    next.acknowledge_breached_at = None;
}

/// A timeline entry as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub id: Uuid,
    pub request_id: Uuid,
    pub event: NewEvent,
}
