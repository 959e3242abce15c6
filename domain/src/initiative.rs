//! Initiatives: the outer loop. When many customers ask for the same thing,
//! a manager, a service or a leader gathers their requests under one
//! initiative ("stock size 44 in every store"); its progress reaches every
//! linked request at once, and completing it answers them all.
//!
//! As for requests, this is data plus functions: [`crate::policy::permit`]
//! says who may do what, [`TRANSITIONS`] how an initiative moves, and [`create`], [`patch`]
//! and [`link`] answer the new state (of the initiative and of every request
//! it touches, each with its event) or a typed refusal. Persistence stores
//! what they return, all of it in one transaction, or nothing.
//!
//! ```text
//! planned ──▶ in_progress ──▶ done     (final: every linked open request resolved)
//!    │             │
//!    ├─────────────┴────────▶ dropped  (final: every request the initiative holds
//!    └──────────────────────▶ done      goes back to its previous owner)
//! ```
//!
//! **Linking hands a request over.** A linked open request is worked by the
//! initiative's unit from then on: it moves to that unit, at that unit's
//! level, `in_progress` (linking is acting on it). As routing does, this only
//! goes down the pyramid, or stays where it is: a request already further
//! down than the initiative's unit, or held beside it (another team), cannot
//! be linked. An answered request may be linked as it is: it does not move,
//! and hears the initiative's news on its timeline.
//!
//! **The previous owner** of a linked request is the level and unit that held
//! it just before it was linked ([`Holder`], kept with the link). Dropping the
//! initiative sends every request the initiative's unit still holds back
//! there, `new` again with a fresh acknowledge deadline, as if routed: its
//! previous owner has to answer the customer some other way.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::lifecycle::{self, NewEvent, Outcome, Request};
use crate::model::{EventType, Level, Status, UnitKind, wire_enum};
use crate::policy::{self, Action, Denied};
use crate::values::{Errors, FieldError, Note, Text, Title};
use crate::visibility::{Actor, Scope};

wire_enum!(
    /// Where an initiative is. `done` and `dropped` are final.
    InitiativeStatus {
        Planned => "planned",
        InProgress => "in_progress",
        Done => "done",
        Dropped => "dropped",
    }
);

impl InitiativeStatus {
    /// Nothing changes a done or dropped initiative any more.
    pub const fn is_final(self) -> bool {
        matches!(self, InitiativeStatus::Done | InitiativeStatus::Dropped)
    }

    /// Reaching this status needs a public note, given in the same change:
    /// it is what every linked request's customer is told.
    pub const fn needs_note(self) -> bool {
        self.is_final()
    }
}

/// Every allowed change of status. Planned work may be completed or dropped
/// without being marked in progress first: the notes tell the story, and a
/// compulsory intermediate step would only be clicked through. Nothing goes
/// back to `planned`, and nothing leaves `done` or `dropped`.
#[rustfmt::skip]
pub const TRANSITIONS: &[(InitiativeStatus, InitiativeStatus)] = &[
    (InitiativeStatus::Planned,    InitiativeStatus::InProgress),
    (InitiativeStatus::Planned,    InitiativeStatus::Done),
    (InitiativeStatus::Planned,    InitiativeStatus::Dropped),
    (InitiativeStatus::InProgress, InitiativeStatus::Done),
    (InitiativeStatus::InProgress, InitiativeStatus::Dropped),
];

/// Whether an initiative may go from one status to another.
pub fn may_move(from: InitiativeStatus, to: InitiativeStatus) -> bool {
    TRANSITIONS.contains(&(from, to))
}

/// A unit, with the kind that places it in the pyramid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct UnitRef {
    pub id: Uuid,
    pub kind: UnitKind,
}

/// Who held a request: a level and a unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Holder {
    pub level: Level,
    pub unit_id: Uuid,
}

impl Holder {
    /// Who holds `request` now.
    pub fn of(request: &Request) -> Holder {
        Holder {
            level: request.level,
            unit_id: request.unit_id,
        }
    }
}

/// An initiative as the domain sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Initiative {
    pub id: Uuid,
    pub title: String,
    pub description: String,
    /// The unit that owns it and works the requests linked to it.
    pub unit_id: Uuid,
    pub unit_kind: UnitKind,
    pub target_date: Option<NaiveDate>,
    pub status: InitiativeStatus,
    /// What customers and filers read about it; the answer to every linked
    /// request once it is done.
    pub public_note: Option<String>,
    pub created_by: Uuid,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Initiative {
    /// The owning unit.
    pub fn unit(&self) -> UnitRef {
        UnitRef {
            id: self.unit_id,
            kind: self.unit_kind,
        }
    }

    /// The level its unit sits at: where linked requests are worked, and
    /// the level they count as resolved at.
    pub fn level(&self) -> Level {
        Level::of_unit(self.unit_kind)
    }

    /// Whether it holds `request` now: the request sits with its unit, at
    /// its level.
    pub fn holds(&self, request: &Request) -> bool {
        request.status.is_open() && request.level == self.level() && request.unit_id == self.unit_id
    }
}

// ───────────────────────────────────────────────────────────── parsing

/// A target date as written on the wire: `YYYY-MM-DD`, a real date.
pub fn parse_target_date(field: &str, raw: &str) -> Result<NaiveDate, FieldError> {
    let raw = raw.trim();
    let shaped = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| match i {
            4 | 7 => b == b'-',
            _ => b.is_ascii_digit(),
        });
    shaped
        .then(|| NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok())
        .flatten()
        .ok_or_else(|| FieldError::new(field, "must be a date written YYYY-MM-DD"))
}

/// The body of `POST /initiatives`, as received.
#[derive(Debug, Clone, Copy, Default)]
pub struct InitiativeInput<'a> {
    pub title: &'a str,
    pub description: Option<&'a str>,
    /// `None`: the creator's own unit.
    pub unit_id: Option<Uuid>,
    pub target_date: Option<&'a str>,
}

/// A parsed new initiative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInitiative {
    pub title: Title,
    pub description: Text,
    pub unit_id: Option<Uuid>,
    pub target_date: Option<NaiveDate>,
}

impl NewInitiative {
    /// Parses every field, reporting every mistake at once.
    pub fn parse(input: InitiativeInput<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Errors::default();
        let title = errors.take(Title::parse("title", input.title));
        let description = errors.take(Text::parse("description", input.description.unwrap_or("")));
        let target_date = errors.take(
            input
                .target_date
                .map(|raw| parse_target_date("target_date", raw))
                .transpose(),
        );
        match (title, description, target_date) {
            (Some(title), Some(description), Some(target_date)) if errors.is_empty() => Ok(Self {
                title,
                description,
                unit_id: input.unit_id,
                target_date,
            }),
            _ => Err(errors.into_vec()),
        }
    }

    /// The unit that is to own it: the one named, or the creator's.
    pub fn owner_id(&self, actor: &Actor) -> Option<Uuid> {
        self.unit_id.or(actor.unit_id)
    }
}

/// The body of `PATCH /initiatives/{id}`, as received. `target_date` tells
/// absent (`None`) from `null` (`Some(None)`, which clears it).
#[derive(Debug, Clone, Copy, Default)]
pub struct PatchInput<'a> {
    pub title: Option<&'a str>,
    pub description: Option<&'a str>,
    pub target_date: Option<Option<&'a str>>,
    pub status: Option<&'a str>,
    pub public_note: Option<&'a str>,
}

/// A parsed change to an initiative. Only [`InitiativePatch::parse`] makes
/// one, so a patch to `done` or `dropped` always carries its note.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct InitiativePatch {
    title: Option<Title>,
    description: Option<Text>,
    target_date: Option<Option<NaiveDate>>,
    status: Option<InitiativeStatus>,
    public_note: Option<Note>,
}

impl InitiativePatch {
    pub fn parse(input: PatchInput<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Errors::default();
        let title = errors.take(input.title.map(|t| Title::parse("title", t)).transpose());
        let description = errors.take(
            input
                .description
                .map(|d| Text::parse("description", d))
                .transpose(),
        );
        let target_date = errors.take(
            input
                .target_date
                .map(|d| d.map(|d| parse_target_date("target_date", d)).transpose())
                .transpose(),
        );
        let status = errors.take(
            input
                .status
                .map(|s| {
                    s.parse::<InitiativeStatus>().map_err(|e| {
                        FieldError::new("status", format!("must be one of: {}", e.expected))
                    })
                })
                .transpose(),
        );
        let public_note = errors.take(
            input
                .public_note
                .map(|n| Note::parse("public_note", n))
                .transpose(),
        );
        if let (Some(Some(status)), Some(None)) = (status, &public_note)
            && status.needs_note()
        {
            errors.push(FieldError::new(
                "public_note",
                format!(
                    "is required to mark an initiative {status}: it is what every linked request's customer is told"
                ),
            ));
        }
        match (title, description, target_date, status, public_note) {
            (
                Some(title),
                Some(description),
                Some(target_date),
                Some(status),
                Some(public_note),
            ) if errors.is_empty() => Ok(Self {
                title,
                description,
                target_date,
                status,
                public_note,
            }),
            _ => Err(errors.into_vec()),
        }
    }

    pub fn status(&self) -> Option<InitiativeStatus> {
        self.status
    }

    pub fn public_note(&self) -> Option<&Note> {
        self.public_note.as_ref()
    }
}

// ──────────────────────────────────────────────────────────────── create

/// Why an initiative cannot be created.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CreateRefusal {
    #[error("{0}")]
    Forbidden(&'static str),
}

/// Creates an initiative owned by `unit` (persistence looked it up from
/// [`NewInitiative::owner_id`]): `planned`, no public note yet.
pub fn create(
    actor: &Actor,
    input: NewInitiative,
    unit: UnitRef,
    id: Uuid,
    now: DateTime<Utc>,
) -> Result<Initiative, CreateRefusal> {
    policy::permit(actor, &Action::CreateInitiative { unit: Some(unit) }).map_err(|denied| {
        match denied {
            Denied::Forbidden(why) => CreateRefusal::Forbidden(why),
        }
    })?;
    Ok(Initiative {
        id,
        title: input.title.into_inner(),
        description: input.description.into_inner(),
        unit_id: unit.id,
        unit_kind: unit.kind,
        target_date: input.target_date,
        status: InitiativeStatus::Planned,
        public_note: None,
        created_by: actor.id,
        version: 1,
        created_at: now,
        updated_at: now,
    })
}

// ───────────────────────────────────────────────────────────────── patch

/// A request linked to the initiative, and who held it before it was linked
/// (`None` when it was linked already answered: it never moved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkedRequest {
    pub request: Request,
    pub previous: Option<Holder>,
}

/// Why a patch is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PatchRefusal {
    /// The actor's role or unit may not change this initiative.
    #[error("{0}")]
    Forbidden(&'static str),
    /// The initiative's status does not allow this.
    #[error("{0}")]
    InvalidTransition(&'static str),
}

/// A decided patch: the initiative after it, and what happens to each
/// linked request (in the order given; empty when the news reaches none).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatchOutcome {
    pub initiative: Initiative,
    pub requests: Vec<Outcome>,
}

const FINAL: &str = "a done or dropped initiative is final";

/// Decides a patch.
///
/// - Title, description, target date and public note may change while the
///   initiative is not final; these edits alone reach no request, except a
///   new public note, which is progress.
/// - A status change follows [`TRANSITIONS`]; asking for the status it
///   already has is no change.
/// - Progress (`in_progress`, or a new public note): an `initiative_progress`
///   event on every linked request.
/// - `done`: every linked open request is resolved with the public note, at
///   the initiative's level and by its unit (`resolved` event); the others
///   get an `initiative_progress` event.
/// - `dropped`: every request the initiative still holds goes back to its
///   previous owner (`initiative_dropped` event, with the explanation); the
///   others get the explanation on their timeline only.
///
/// A patch that changes nothing answers the initiative as it is: same
/// version, no event.
pub fn patch(
    initiative: &Initiative,
    linked: &[LinkedRequest],
    actor: &Actor,
    patch: InitiativePatch,
    now: DateTime<Utc>,
) -> Result<PatchOutcome, PatchRefusal> {
    policy::permit(
        actor,
        &Action::UpdateInitiative {
            unit_id: Some(initiative.unit_id),
        },
    )
    .map_err(|denied| match denied {
        Denied::Forbidden(why) => PatchRefusal::Forbidden(why),
    })?;
    if initiative.status.is_final() {
        return Err(PatchRefusal::InvalidTransition(FINAL));
    }
    let to = patch.status.filter(|s| *s != initiative.status);
    if let Some(to) = to
        && !may_move(initiative.status, to)
    {
        return Err(PatchRefusal::InvalidTransition(
            "an initiative goes from planned to in progress, then to done or dropped; never back",
        ));
    }
    let mut next = initiative.clone();
    if let Some(title) = patch.title {
        next.title = title.into_inner();
    }
    if let Some(description) = patch.description {
        next.description = description.into_inner();
    }
    if let Some(target_date) = patch.target_date {
        next.target_date = target_date;
    }
    let new_note = patch
        .public_note
        .as_ref()
        .filter(|n| initiative.public_note.as_deref() != Some(n.as_str()));
    if let Some(note) = new_note {
        next.public_note = Some(note.as_str().to_owned());
    }
    if let Some(to) = to {
        next.status = to;
    }
    if next == *initiative {
        return Ok(PatchOutcome {
            initiative: next,
            requests: vec![],
        });
    }
    next.version = initiative.version + 1;
    next.updated_at = now;

    let final_note = || {
        // InitiativePatch::parse never lets a final status through without
        // its note.
        patch
            .public_note
            .as_ref()
            .ok_or(PatchRefusal::InvalidTransition(
                "done and dropped need a public note",
            ))
    };
    let requests = match to {
        Some(InitiativeStatus::Done) => {
            let note = final_note()?;
            linked
                .iter()
                .map(|l| complete_one(&next, &l.request, actor, note, now))
                .collect()
        }
        Some(InitiativeStatus::Dropped) => {
            let note = final_note()?;
            linked
                .iter()
                .map(|l| drop_one(&next, l, actor, note, now))
                .collect()
        }
        Some(InitiativeStatus::InProgress | InitiativeStatus::Planned) => linked
            .iter()
            .map(|l| progress_one(&next, &l.request, actor, now))
            .collect(),
        None if new_note.is_some() => linked
            .iter()
            .map(|l| progress_one(&next, &l.request, actor, now))
            .collect(),
        None => vec![],
    };
    Ok(PatchOutcome {
        initiative: next,
        requests,
    })
}

/// The request with its version bumped, and an event of `kind` from its
/// state before to `next`'s.
fn outcome(
    before: &Request,
    mut next: Request,
    kind: EventType,
    actor: &Actor,
    note: String,
    now: DateTime<Utc>,
    routed_to: Option<Uuid>,
) -> Outcome {
    next.version = before.version + 1;
    next.updated_at = now;
    let event = NewEvent {
        kind,
        actor_id: Some(actor.id),
        from_level: Some(before.level),
        to_level: Some(next.level),
        from_status: Some(before.status),
        to_status: Some(next.status),
        note: Some(note),
        internal: false,
        at: now,
    };
    Outcome {
        request: next,
        event,
        follow_up: None,
        routed_to,
    }
}

fn progress_one(
    initiative: &Initiative,
    request: &Request,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Outcome {
    let state = match initiative.status {
        InitiativeStatus::Planned => "is planned",
        InitiativeStatus::InProgress => "is in progress",
        InitiativeStatus::Done => "is done",
        InitiativeStatus::Dropped => "was dropped",
    };
    let mut note = format!("The initiative \"{}\" {state}", initiative.title);
    match &initiative.public_note {
        Some(public) => {
            note.push_str(": ");
            note.push_str(public);
        }
        None => note.push('.'),
    }
    outcome(
        request,
        request.clone(),
        EventType::InitiativeProgress,
        actor,
        note,
        now,
        None,
    )
}

/// Completion, for one linked request: an open one is answered with the
/// initiative's note, as a resolution by its unit at its level.
fn complete_one(
    initiative: &Initiative,
    request: &Request,
    actor: &Actor,
    note: &Note,
    now: DateTime<Utc>,
) -> Outcome {
    if !request.status.is_open() {
        return progress_one(initiative, request, actor, now);
    }
    let mut next = request.clone();
    lifecycle::answer(
        &mut next,
        Status::Resolved,
        initiative.level(),
        initiative.unit_id,
        note,
        now,
    );
    outcome(
        request,
        next,
        EventType::Resolved,
        actor,
        note.as_str().to_owned(),
        now,
        None,
    )
}

/// Dropping, for one linked request: if the initiative still holds it, back
/// to the level and unit that held it before, `new` there.
fn drop_one(
    initiative: &Initiative,
    linked: &LinkedRequest,
    actor: &Actor,
    note: &Note,
    now: DateTime<Utc>,
) -> Outcome {
    let request = &linked.request;
    let mut next = request.clone();
    if let Some(previous) = linked.previous
        && initiative.holds(request)
        && previous.level != Level::Frontline
    {
        lifecycle::arrive(&mut next, previous.level, previous.unit_id, now);
    }
    let explanation = format!(
        "The initiative \"{}\" was dropped: {}",
        initiative.title,
        note.as_str()
    );
    outcome(
        request,
        next,
        EventType::InitiativeDropped,
        actor,
        explanation,
        now,
        None,
    )
}

// ────────────────────────────────────────────────────────────────── link

/// The link a request has now, if any.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CurrentLink {
    pub initiative_id: Uuid,
    pub status: InitiativeStatus,
}

/// A request the actor asked to link, as persistence found it.
#[derive(Debug, Clone, Copy)]
pub struct LinkCandidate<'a> {
    pub request: &'a Request,
    /// The units it was ever routed to (for visibility).
    pub routed_units: &'a [Uuid],
    pub current: Option<CurrentLink>,
}

/// Why one request of the list cannot be linked.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum LinkProblem {
    #[error("is already linked to another initiative that is not finished")]
    LinkedElsewhere,
    #[error(
        "is open further down the pyramid than the initiative's unit, or beside it: \
         link it to an initiative of a unit at its level or below"
    )]
    OutOfReach,
}

/// Why a link is refused. All or nothing: one bad request refuses the list.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkRefusal {
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0}")]
    InvalidTransition(&'static str),
    /// The request at this index of the list does not exist for the actor
    /// (`404`, as for any request they may not see).
    #[error("request not found")]
    NotFound { index: usize },
    /// The requests at these indexes cannot be linked (`422`).
    #[error("some requests cannot be linked")]
    Problems(Vec<(usize, LinkProblem)>),
}

/// One request linked: its new state and event, and the holder to restore
/// if the initiative is dropped (`None` for an answered request).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Linking {
    pub outcome: Outcome,
    pub previous: Option<Holder>,
}

/// Links requests to an initiative. Requests already linked to it are
/// skipped (linking twice is not an error); a request linked to a finished
/// initiative moves to this one. Answers one [`Linking`] per request
/// actually linked, in the order given, or refuses them all.
pub fn link(
    initiative: &Initiative,
    actor: &Actor,
    candidates: &[LinkCandidate<'_>],
    now: DateTime<Utc>,
) -> Result<Vec<Linking>, LinkRefusal> {
    policy::permit(actor, &Action::LinkToInitiative).map_err(|denied| match denied {
        Denied::Forbidden(why) => LinkRefusal::Forbidden(why),
    })?;
    if initiative.status.is_final() {
        return Err(LinkRefusal::InvalidTransition(
            "a done or dropped initiative takes no more requests",
        ));
    }
    let scope = Scope::of(actor);
    if let Some(index) = candidates
        .iter()
        .position(|c| !scope.admits(c.request.team_id, c.routed_units))
    {
        return Err(LinkRefusal::NotFound { index });
    }
    let mut problems = Vec::new();
    let mut linkings = Vec::new();
    let mut seen = BTreeSet::new();
    for (index, candidate) in candidates.iter().enumerate() {
        let request = candidate.request;
        if !seen.insert(request.id) {
            continue;
        }
        match candidate.current {
            Some(link) if link.initiative_id == initiative.id => continue,
            Some(link) if !link.status.is_final() => {
                problems.push((index, LinkProblem::LinkedElsewhere));
                continue;
            }
            _ => {}
        }
        match link_one(initiative, request, actor, now) {
            Ok(linking) => linkings.push(linking),
            Err(problem) => problems.push((index, problem)),
        }
    }
    if problems.is_empty() {
        Ok(linkings)
    } else {
        Err(LinkRefusal::Problems(problems))
    }
}

fn link_one(
    initiative: &Initiative,
    request: &Request,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<Linking, LinkProblem> {
    let note = format!("Linked to the initiative \"{}\".", initiative.title);
    if !request.status.is_open() {
        let mut next = request.clone();
        next.initiative_id = Some(initiative.id);
        let linked = outcome(
            request,
            next,
            EventType::InitiativeLinked,
            actor,
            note,
            now,
            None,
        );
        return Ok(Linking {
            outcome: linked,
            previous: None,
        });
    }
    let level = initiative.level();
    let mut next = request.clone();
    next.initiative_id = Some(initiative.id);
    let mut routed_to = None;
    if !initiative.holds(request) {
        if level.depth() <= request.level.depth() {
            return Err(LinkProblem::OutOfReach);
        }
        lifecycle::arrive(&mut next, level, initiative.unit_id, now);
        routed_to = Some(initiative.unit_id);
    }
    // Taking it on is acting on it: no acknowledge clock runs any more.
    next.status = Status::InProgress;
    next.acknowledged_at = request.acknowledged_at.or(Some(now));
    let linked = outcome(
        request,
        next,
        EventType::InitiativeLinked,
        actor,
        note,
        now,
        routed_to,
    );
    Ok(Linking {
        outcome: linked,
        previous: Some(Holder::of(request)),
    })
}

// ──────────────────────────────────────────────────────────────── counts

/// How much an initiative is asked for.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Requests linked: each is a customer who asked.
    pub linked: u64,
    /// Distinct teams that filed them.
    pub teams: u64,
    /// Linked requests still open whose customer consented to hear back.
    pub customers_waiting: u64,
}

impl Counts {
    /// The counts over an initiative's linked requests.
    pub fn of<'a>(linked: impl IntoIterator<Item = &'a Request>) -> Counts {
        let mut teams = BTreeSet::new();
        let mut counts = Counts::default();
        for request in linked {
            counts.linked += 1;
            teams.insert(request.team_id);
            if request.status.is_open() && request.customer_consent {
                counts.customers_waiting += 1;
            }
        }
        counts.teams = teams.len() as u64;
        counts
    }
}

/// The order of the initiatives list: most asked for first (linked
/// requests), then most customers waiting, then most teams touched, then
/// newest, then by id so that the order is total.
pub fn by_demand(a: (&Initiative, &Counts), b: (&Initiative, &Counts)) -> Ordering {
    let ((ia, ca), (ib, cb)) = (a, b);
    cb.linked
        .cmp(&ca.linked)
        .then(cb.customers_waiting.cmp(&ca.customers_waiting))
        .then(cb.teams.cmp(&ca.teams))
        .then(ib.created_at.cmp(&ia.created_at))
        .then(ib.id.cmp(&ia.id))
}
