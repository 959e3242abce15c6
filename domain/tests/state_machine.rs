#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The request lifecycle, exhaustively.
//!
//! Every status, at every level where that status can occur, × every kind of
//! actor × every command is run through `decide` and compared with an oracle
//! written in this file from SPEC.md (Users, Core objects, Lifecycle) as plain
//! tables. The oracle never calls the crate's own helpers (`Scope`, `holds`,
//! `Level::depth`, `Level::of_unit`, `Status::is_open`): it reasons about *who
//! the actor is to the request* (own team, holding service, past service…),
//! not about unit ids, so a mistake in the crate's id comparisons shows up.
//!
//! `file` is tested at the bottom.

use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use upturn_domain::lifecycle::{
    Customer, Filing, FollowUpInput, NewRequest, Outcome, Request, RouteTarget,
};
use upturn_domain::model::DEFAULT_CATEGORIES;
use upturn_domain::sla::SlaPolicy;
use upturn_domain::values::{Category, Contact, Name, Note, Satisfaction, Text, Title};
use upturn_domain::{
    Actor, Channel, Command, EventType, Kind, Level, Refusal, Role, Status, UnitKind, Urgency,
    decide, file,
};

// ─────────────────────────────────────────────────────────── the organisation

/// The front-line team whose member filed the request.
const TEAM: Uuid = Uuid::from_u128(0x01);
const OTHER_TEAM: Uuid = Uuid::from_u128(0x02);
/// The service the request goes through in the scenarios below.
const SERVICE: Uuid = Uuid::from_u128(0x10);
/// Where the "route to a service" command sends the request.
const TARGET_SERVICE: Uuid = Uuid::from_u128(0x11);
/// A service the request never reaches.
const UNRELATED_SERVICE: Uuid = Uuid::from_u128(0x12);
const LEADERSHIP: Uuid = Uuid::from_u128(0x20);

const ACK_SECONDS: i64 = 4 * 3600;
const RESOLVE_SECONDS: i64 = 72 * 3600;

fn filed_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 9, 0, 0).unwrap()
}

/// When the command under test is decided.
fn now() -> DateTime<Utc> {
    filed_at() + Duration::hours(2)
}

/// Who the actor is, relative to the request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    FrontlineOfTeam,
    ManagerOfTeam,
    FrontlineOfOtherTeam,
    ManagerOfOtherTeam,
    /// A service member of the service unit that holds the request now.
    MemberOfHoldingService,
    /// A service member of a service the request was routed to in the past.
    MemberOfPastService,
    MemberOfUnrelatedService,
    Leader,
    Admin,
}

impl Who {
    const ALL: [Who; 9] = [
        Who::FrontlineOfTeam,
        Who::ManagerOfTeam,
        Who::FrontlineOfOtherTeam,
        Who::ManagerOfOtherTeam,
        Who::MemberOfHoldingService,
        Who::MemberOfPastService,
        Who::MemberOfUnrelatedService,
        Who::Leader,
        Who::Admin,
    ];
}

fn member(n: u128, role: Role, unit: Option<Uuid>) -> Actor {
    Actor {
        id: Uuid::from_u128(0x1000 + n),
        role,
        unit_id: unit,
    }
}

/// The filer: a front-line member of `TEAM`.
fn filer() -> Actor {
    member(1, Role::Frontline, Some(TEAM))
}

/// The actor playing `who` for a request sitting at `place`, if such an actor
/// exists there (there is no holding service while managers hold it, no past
/// service before a service was involved).
fn actor_for(who: Who, place: &Placement) -> Option<Actor> {
    let actor = match who {
        Who::FrontlineOfTeam => filer(),
        Who::ManagerOfTeam => member(2, Role::Manager, Some(TEAM)),
        Who::FrontlineOfOtherTeam => member(3, Role::Frontline, Some(OTHER_TEAM)),
        Who::ManagerOfOtherTeam => member(4, Role::Manager, Some(OTHER_TEAM)),
        Who::MemberOfHoldingService if place.level == Level::Service => {
            member(5, Role::Service, Some(place.unit))
        }
        Who::MemberOfHoldingService => return None,
        Who::MemberOfPastService if place.routed.contains(&SERVICE) && place.unit != SERVICE => {
            member(6, Role::Service, Some(SERVICE))
        }
        Who::MemberOfPastService => return None,
        Who::MemberOfUnrelatedService => member(7, Role::Service, Some(UNRELATED_SERVICE)),
        Who::Leader => member(8, Role::Leader, Some(LEADERSHIP)),
        Who::Admin => member(9, Role::Admin, None),
    };
    Some(actor)
}

// ─────────────────────────────────────────── where each status can occur

/// A reachable state of a request: its status, where it sits, the units it
/// was ever routed to and, once answered, the level and unit that answered.
#[derive(Debug, Clone)]
struct Placement {
    story: &'static str,
    status: Status,
    level: Level,
    unit: Uuid,
    routed: &'static [Uuid],
    answered: Option<(Level, Uuid)>,
}

/// Where an open request can sit: (story, level, holding unit, routed units).
/// Routing only goes down, so once routed a request never returns to its
/// managers, and at most one service is ever involved.
#[rustfmt::skip]
const OPEN_PLACES: &[(&str, Level, Uuid, &[Uuid])] = &[
    ("with its team's managers",         Level::Manager,    TEAM,       &[]),
    ("routed to a service",              Level::Service,    SERVICE,    &[SERVICE]),
    ("escalated straight to leadership", Level::Leadership, LEADERSHIP, &[LEADERSHIP]),
    ("escalated through a service",      Level::Leadership, LEADERSHIP, &[SERVICE, LEADERSHIP]),
];

/// Who can have answered a request: (story, answered at level, by unit,
/// routed units). An answered request is back with its team (level frontline).
#[rustfmt::skip]
const ANSWERS: &[(&str, Level, Uuid, &[Uuid])] = &[
    ("answered at the front line",             Level::Frontline,  TEAM,       &[]),
    ("answered by the managers",               Level::Manager,    TEAM,       &[]),
    ("answered by a service",                  Level::Service,    SERVICE,    &[SERVICE]),
    ("answered by leadership",                 Level::Leadership, LEADERSHIP, &[LEADERSHIP]),
    ("answered by leadership after a service", Level::Leadership, LEADERSHIP, &[SERVICE, LEADERSHIP]),
];

fn placements() -> Vec<Placement> {
    let mut places = Vec::new();
    for &status in Status::ALL {
        match status {
            Status::New | Status::Acknowledged | Status::InProgress => {
                for &(story, level, unit, routed) in OPEN_PLACES {
                    places.push(Placement {
                        story,
                        status,
                        level,
                        unit,
                        routed,
                        answered: None,
                    });
                }
            }
            Status::Resolved | Status::Declined | Status::Closed => {
                for &(story, at, by, routed) in ANSWERS {
                    // Only holders decline, and nobody holds at the front line.
                    if status == Status::Declined && at == Level::Frontline {
                        continue;
                    }
                    places.push(Placement {
                        story,
                        status,
                        level: Level::Frontline,
                        unit: TEAM,
                        routed,
                        answered: Some((at, by)),
                    });
                }
            }
        }
    }
    places
}

// ───────────────────────────────────────────────────────────── the commands

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    Acknowledge,
    RouteToService,
    RouteToLeadership,
    RouteToTeam,
    Start,
    Resolve,
    Decline,
    FollowUpClose,
    FollowUpReopen,
    Comment,
}

impl Cmd {
    const ALL: [Cmd; 10] = [
        Cmd::Acknowledge,
        Cmd::RouteToService,
        Cmd::RouteToLeadership,
        Cmd::RouteToTeam,
        Cmd::Start,
        Cmd::Resolve,
        Cmd::Decline,
        Cmd::FollowUpClose,
        Cmd::FollowUpReopen,
        Cmd::Comment,
    ];
}

const NOTE: &str = "size 44 ordered for every store";

fn note(text: &str) -> Note {
    Note::parse("note", text).unwrap()
}

fn follow_up(reopen: bool) -> FollowUpInput {
    FollowUpInput {
        customer_reached: true,
        satisfaction: Some(Satisfaction::new("satisfaction", if reopen { 1 } else { 5 }).unwrap()),
        would_recommend: None,
        note: Some(note(NOTE)),
        reopen,
    }
}

/// Where each route command sends the request: (unit kind, unit).
fn route_target(cmd: Cmd) -> Option<(UnitKind, Uuid)> {
    match cmd {
        Cmd::RouteToService => Some((UnitKind::Service, TARGET_SERVICE)),
        Cmd::RouteToLeadership => Some((UnitKind::Leadership, LEADERSHIP)),
        Cmd::RouteToTeam => Some((UnitKind::Team, TEAM)),
        _ => None,
    }
}

fn command(cmd: Cmd) -> Command {
    if let Some((kind, unit_id)) = route_target(cmd) {
        return Command::Route {
            to: RouteTarget { unit_id, kind },
            note: note(NOTE),
        };
    }
    match cmd {
        Cmd::Acknowledge => Command::Acknowledge { note: None },
        Cmd::Start => Command::Start {
            note: Some(note(NOTE)),
        },
        Cmd::Resolve => Command::Resolve { note: note(NOTE) },
        Cmd::Decline => Command::Decline { note: note(NOTE) },
        Cmd::FollowUpClose => Command::FollowUp(follow_up(false)),
        Cmd::FollowUpReopen => Command::FollowUp(follow_up(true)),
        Cmd::Comment => Command::Comment {
            body: note(NOTE),
            internal: true,
        },
        Cmd::RouteToService | Cmd::RouteToLeadership | Cmd::RouteToTeam => unreachable!(),
    }
}

// ─────────────────────────────────────────────────────────────── the oracle

/// What `decide` should answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    NotFound,
    Forbidden,
    InvalidTransition,
    Accepted(After),
}

/// The part of an accepted outcome the oracle predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct After {
    event: EventType,
    status: Status,
    level: Level,
    unit: Uuid,
    resolved_level: Option<Level>,
    resolved_unit: Option<Uuid>,
}

/// SPEC, Lifecycle: "a team sees the requests its members filed; a service
/// unit sees the requests that were ever routed to it; leaders see all;
/// admins see none."
const SEES: [(Who, bool); 9] = [
    (Who::FrontlineOfTeam, true),
    (Who::ManagerOfTeam, true),
    (Who::FrontlineOfOtherTeam, false),
    (Who::ManagerOfOtherTeam, false),
    (Who::MemberOfHoldingService, true),
    (Who::MemberOfPastService, true),
    (Who::MemberOfUnrelatedService, false),
    (Who::Leader, true),
    (Who::Admin, false),
];

/// Who holds the request at each level (and may work it there).
const HOLDER: [(Level, Option<Who>); 4] = [
    (Level::Frontline, None),
    (Level::Manager, Some(Who::ManagerOfTeam)),
    (Level::Service, Some(Who::MemberOfHoldingService)),
    (Level::Leadership, Some(Who::Leader)),
];

/// The filer's team: its front line and its managers.
const FILER_TEAM: [Who; 2] = [Who::FrontlineOfTeam, Who::ManagerOfTeam];

/// How far down the pyramid each level is.
const DEPTH: [(Level, u8); 4] = [
    (Level::Frontline, 0),
    (Level::Manager, 1),
    (Level::Service, 2),
    (Level::Leadership, 3),
];

/// The level a request reaches when routed to a unit of each kind.
const ARRIVES_AT: [(UnitKind, Level); 3] = [
    (UnitKind::Team, Level::Manager),
    (UnitKind::Service, Level::Service),
    (UnitKind::Leadership, Level::Leadership),
];

/// Where a reopened request goes back to, by the level that answered it: a
/// front-line resolution goes back to the team's managers.
const REOPENS_AT: [(Level, Level); 4] = [
    (Level::Frontline, Level::Manager),
    (Level::Manager, Level::Manager),
    (Level::Service, Level::Service),
    (Level::Leadership, Level::Leadership),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Authority {
    /// Anyone who sees the request.
    Viewer,
    /// The holder at the request's level.
    Holder,
    /// The holder, or anyone of the filer's team while the managers hold it
    /// (front-line resolution).
    HolderOrTeamWhileWithManagers,
    /// The filer's team only.
    FilerTeam,
}

const OPEN: &[Status] = &[Status::New, Status::Acknowledged, Status::InProgress];
/// An answered or closed request sits with nobody: working it is refused as
/// an invalid transition to anyone who sees it, before any authority check.
const NO_LONGER_OPEN: &[Status] = &[Status::Resolved, Status::Declined, Status::Closed];
const NEW_OR_ACKED: &[Status] = &[Status::New, Status::Acknowledged];
const ANSWERED: &[Status] = &[Status::Resolved, Status::Declined];

/// Who may issue each command, from which statuses, and the event it writes.
#[rustfmt::skip]
const RULES: [(Cmd, Authority, &[Status], EventType); 10] = [
    (Cmd::Acknowledge,       Authority::Holder,    &[Status::New],   EventType::Acknowledged),
    (Cmd::RouteToService,    Authority::Holder,    OPEN,             EventType::Routed),
    (Cmd::RouteToLeadership, Authority::Holder,    OPEN,             EventType::Escalated),
    (Cmd::RouteToTeam,       Authority::Holder,    OPEN,             EventType::Routed),
    (Cmd::Start,             Authority::Holder,    NEW_OR_ACKED,     EventType::StatusChanged),
    (Cmd::Resolve,           Authority::HolderOrTeamWhileWithManagers, OPEN, EventType::Resolved),
    (Cmd::Decline,           Authority::Holder,    OPEN,             EventType::Declined),
    (Cmd::FollowUpClose,     Authority::FilerTeam, ANSWERED,         EventType::FollowUpRecorded),
    (Cmd::FollowUpReopen,    Authority::FilerTeam, ANSWERED,         EventType::Reopened),
    (Cmd::Comment,           Authority::Viewer,    Status::ALL,      EventType::Comment),
];

/// Whether each command works an open request (and so is refused on one that
/// is no longer open, whoever asks), or records something on any request.
const WORKS_AN_OPEN_REQUEST: [(Cmd, bool); 10] = [
    (Cmd::Acknowledge, true),
    (Cmd::RouteToService, true),
    (Cmd::RouteToLeadership, true),
    (Cmd::RouteToTeam, true),
    (Cmd::Start, true),
    (Cmd::Resolve, true),
    (Cmd::Decline, true),
    (Cmd::FollowUpClose, false),
    (Cmd::FollowUpReopen, false),
    (Cmd::Comment, false),
];

fn lookup<K: PartialEq + std::fmt::Debug, V: Copy>(table: &[(K, V)], key: K) -> V {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("no row for {key:?}"))
}

/// The oracle: what `who` doing `cmd` to a request at `place` must give.
/// Checks, in order: visibility (NotFound), working a request that is no
/// longer open (InvalidTransition), authority (Forbidden), status and
/// direction (InvalidTransition).
fn expected(place: &Placement, who: Who, cmd: Cmd) -> Answer {
    if !lookup(&SEES, who) {
        return Answer::NotFound;
    }
    if lookup(&WORKS_AN_OPEN_REQUEST, cmd) && NO_LONGER_OPEN.contains(&place.status) {
        return Answer::InvalidTransition;
    }
    let (_, authority, valid_from, event) = *RULES.iter().find(|rule| rule.0 == cmd).unwrap();
    let is_holder = lookup(&HOLDER, place.level) == Some(who);
    let in_team = FILER_TEAM.contains(&who);
    let allowed = match authority {
        Authority::Viewer => true,
        Authority::Holder => is_holder,
        Authority::HolderOrTeamWhileWithManagers => {
            is_holder || (in_team && place.level == Level::Manager)
        }
        Authority::FilerTeam => in_team,
    };
    if !allowed {
        return Answer::Forbidden;
    }
    if !valid_from.contains(&place.status) {
        return Answer::InvalidTransition;
    }
    let same = After {
        event,
        status: place.status,
        level: place.level,
        unit: place.unit,
        resolved_level: place.answered.map(|(level, _)| level),
        resolved_unit: place.answered.map(|(_, unit)| unit),
    };
    let after = match cmd {
        Cmd::Comment => same,
        Cmd::Acknowledge => After {
            status: Status::Acknowledged,
            ..same
        },
        Cmd::Start => After {
            status: Status::InProgress,
            ..same
        },
        Cmd::RouteToService | Cmd::RouteToLeadership | Cmd::RouteToTeam => {
            let (kind, unit) = route_target(cmd).unwrap();
            let target = lookup(&ARRIVES_AT, kind);
            if lookup(&DEPTH, target) <= lookup(&DEPTH, place.level) {
                return Answer::InvalidTransition;
            }
            After {
                status: Status::New,
                level: target,
                unit,
                ..same
            }
        }
        Cmd::Resolve | Cmd::Decline => {
            let status = if cmd == Cmd::Resolve {
                Status::Resolved
            } else {
                Status::Declined
            };
            // A front-line member resolving for the managers resolves at the front line.
            let at = if is_holder {
                place.level
            } else {
                Level::Frontline
            };
            After {
                status,
                level: Level::Frontline,
                unit: TEAM,
                resolved_level: Some(at),
                resolved_unit: Some(place.unit),
                ..same
            }
        }
        Cmd::FollowUpClose => After {
            status: Status::Closed,
            ..same
        },
        Cmd::FollowUpReopen => {
            let (answered_at, by) = place.answered.unwrap();
            // Back to whoever answered; the answer did not satisfy the
            // customer, so it is no longer the answer.
            After {
                status: Status::InProgress,
                level: lookup(&REOPENS_AT, answered_at),
                unit: by,
                resolved_level: None,
                resolved_unit: None,
                ..same
            }
        }
    };
    Answer::Accepted(after)
}

// ──────────────────────────────────────────────────────────────── fixtures

fn new_request(customer: Option<Customer>, on_the_spot: Option<&str>) -> NewRequest {
    NewRequest {
        kind: Kind::UnmetNeed,
        category: Category::parse("category", "availability", DEFAULT_CATEGORIES).unwrap(),
        urgency: Urgency::Normal,
        channel: Channel::InPerson,
        title: Title::parse("title", "Shoes in size 44").unwrap(),
        description: Text::parse("description", "Asked twice this week.").unwrap(),
        customer_expectation: note("to find size 44 in store"),
        customer,
        resolved_on_the_spot: on_the_spot.map(note),
    }
}

fn customer(consent: bool) -> Customer {
    Customer {
        name: Some(Name::parse("name", "Ana").unwrap()),
        contact: Some(Contact::parse("contact", "ana@example.com").unwrap()),
        consent_follow_up: consent,
    }
}

fn policy(acknowledge: i64, resolve: i64) -> SlaPolicy {
    SlaPolicy {
        urgency: Urgency::Normal,
        acknowledge_within_seconds: acknowledge,
        resolve_within_seconds: resolve,
    }
}

fn filing(policy: SlaPolicy, at: DateTime<Utc>) -> Filing {
    Filing {
        id: Uuid::from_u128(0xABC),
        number: 123,
        tracking_code: Some("K7QF-2M9X".to_owned()),
        policy,
        now: at,
        route: None,
    }
}

/// A request filed by `filer()`, then put by hand into the state `place`.
fn request_at(place: &Placement) -> Request {
    let (mut request, _) = file(
        &filer(),
        new_request(Some(customer(true)), None),
        filing(policy(ACK_SECONDS, RESOLVE_SECONDS), filed_at()),
    )
    .unwrap();
    request.status = place.status;
    request.level = place.level;
    request.unit_id = place.unit;
    request.version = 7;
    if place.status != Status::New {
        request.acknowledged_at = Some(filed_at() + Duration::minutes(5));
    }
    if let Some((level, unit)) = place.answered {
        request.resolved_level = Some(level);
        request.resolved_unit_id = Some(unit);
        request.resolution_note = Some("earlier answer".to_owned());
        request.resolved_at = Some(filed_at() + Duration::minutes(30));
    }
    if place.status == Status::Closed {
        request.closed_at = Some(filed_at() + Duration::minutes(45));
    }
    request
}

fn answer_of(result: &Result<Outcome, Refusal>) -> Answer {
    match result {
        Err(Refusal::NotFound) => Answer::NotFound,
        Err(Refusal::Forbidden(_)) => Answer::Forbidden,
        Err(Refusal::InvalidTransition(_)) => Answer::InvalidTransition,
        Ok(outcome) => Answer::Accepted(After {
            event: outcome.event.kind,
            status: outcome.request.status,
            level: outcome.request.level,
            unit: outcome.request.unit_id,
            resolved_level: outcome.request.resolved_level,
            resolved_unit: outcome.request.resolved_unit_id,
        }),
    }
}

/// Everything an accepted outcome must also satisfy, beyond the oracle's
/// prediction. Returns what is wrong, if anything.
fn bookkeeping_problems(
    before: &Request,
    actor: &Actor,
    cmd: Cmd,
    outcome: &Outcome,
) -> Vec<String> {
    let after = &outcome.request;
    let event = &outcome.event;
    let mut problems = Vec::new();
    let mut check = |ok: bool, what: &str| {
        if !ok {
            problems.push(what.to_owned());
        }
    };
    check(
        after.version == before.version + 1,
        "version bumped by exactly 1",
    );
    check(after.updated_at == now(), "updated_at = now");
    check(
        event.from_level == Some(before.level) && event.to_level == Some(after.level),
        "event from/to level",
    );
    check(
        event.from_status == Some(before.status) && event.to_status == Some(after.status),
        "event from/to status",
    );
    check(
        event.actor_id == Some(actor.id) && event.at == now(),
        "event actor and time",
    );
    check(
        event.internal == (cmd == Cmd::Comment),
        "only the internal comment is internal",
    );
    check(
        (
            after.id,
            after.number,
            after.team_id,
            after.filed_by,
            after.filed_at,
            after.resolve_by,
        ) == (
            before.id,
            before.number,
            before.team_id,
            before.filed_by,
            before.filed_at,
            before.resolve_by,
        ),
        "identity, filer and resolve deadline unchanged",
    );
    let routed_to = route_target(cmd).map(|(_, unit)| unit);
    check(
        outcome.routed_to == routed_to,
        "routed_to set by a route only",
    );
    check(
        outcome.follow_up.is_some() == matches!(cmd, Cmd::FollowUpClose | Cmd::FollowUpReopen),
        "follow_up carried by a follow-up only",
    );
    match cmd {
        Cmd::Acknowledge => {
            check(after.acknowledged_at.is_some(), "acknowledged_at set");
            check(
                after.assignee_id == Some(actor.id),
                "acknowledger becomes the assignee",
            );
        }
        Cmd::Start => check(
            after.acknowledged_at.is_some(),
            "started implies acknowledged",
        ),
        Cmd::RouteToService | Cmd::RouteToLeadership | Cmd::RouteToTeam => {
            check(after.arrived_at == now(), "arrived_at = now after routing");
            check(
                after.acknowledge_by == now() + Duration::seconds(ACK_SECONDS),
                "acknowledge clock restarts",
            );
            check(after.assignee_id.is_none(), "no assignee at the new level");
            check(
                event.note.as_deref() == Some(NOTE),
                "routing note on the event",
            );
        }
        Cmd::Resolve | Cmd::Decline => {
            check(after.resolved_at == Some(now()), "resolved_at = now");
            check(
                after.resolution_note.as_deref() == Some(NOTE),
                "resolution note kept",
            );
            check(
                event.note.as_deref() == Some(NOTE),
                "resolution note on the event",
            );
            check(after.assignee_id.is_none(), "no assignee once answered");
        }
        Cmd::FollowUpClose => check(after.closed_at == Some(now()), "closed_at = now"),
        Cmd::FollowUpReopen => {
            check(
                after.reopen_count == before.reopen_count + 1,
                "reopen counted",
            );
            check(
                after.arrived_at == now(),
                "arrived_at = now after reopening",
            );
            check(
                after.resolution_note.is_none() && after.resolved_at.is_none(),
                "the unsatisfying answer's note and time are cleared",
            );
        }
        Cmd::Comment => {
            check(
                event.note.as_deref() == Some(NOTE),
                "comment body on the event",
            );
            check(
                after.status == before.status && after.level == before.level,
                "a comment changes nothing",
            );
        }
    }
    problems
}

// ──────────────────────────────────────────────────────── the exhaustive test

#[test]
fn decide_matches_the_oracle_for_every_status_level_actor_and_command() {
    let mut cases = 0;
    let mut seen_answers = [false; 4];
    let mut failures = Vec::new();

    for place in placements() {
        for who in Who::ALL {
            let Some(actor) = actor_for(who, &place) else {
                continue;
            };
            for cmd in Cmd::ALL {
                // Arrange
                let before = request_at(&place);
                let want = expected(&place, who, cmd);

                // Act
                let result = decide(&before, place.routed, &actor, command(cmd), now());

                // Assert
                cases += 1;
                let got = answer_of(&result);
                let context = format!(
                    "{:?} {} ({:?}) × {who:?} × {cmd:?}",
                    place.status, place.story, place.level
                );
                if got != want {
                    failures.push(format!("{context}: expected {want:?}, got {got:?}"));
                }
                if let Ok(outcome) = &result {
                    for problem in bookkeeping_problems(&before, &actor, cmd, outcome) {
                        failures.push(format!("{context}: {problem}"));
                    }
                }
                let index = match want {
                    Answer::NotFound => 0,
                    Answer::Forbidden => 1,
                    Answer::InvalidTransition => 2,
                    Answer::Accepted(_) => 3,
                };
                seen_answers[index] = true;
            }
        }
    }

    assert!(
        failures.is_empty(),
        "{} of {cases} cases disagree:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // 26 placements × 7 ever-present actors + 3 holding-service and 9
    // past-service actors, × 10 commands.
    assert_eq!(cases, (26 * 7 + 3 + 9) * 10);
    assert_eq!(seen_answers, [true; 4], "every kind of answer is exercised");
}

#[test]
fn the_placements_cover_every_status_at_every_level_where_it_can_occur() {
    let places = placements();
    let levels_of = |status: Status| {
        let mut levels: Vec<Level> = places
            .iter()
            .filter(|p| p.status == status)
            .map(|p| p.level)
            .collect();
        levels.sort();
        levels.dedup();
        levels
    };
    for &status in Status::ALL {
        let expected = match status {
            Status::New | Status::Acknowledged | Status::InProgress => {
                vec![Level::Manager, Level::Service, Level::Leadership]
            }
            Status::Resolved | Status::Declined | Status::Closed => vec![Level::Frontline],
        };
        assert_eq!(levels_of(status), expected, "{status}");
    }
    assert_eq!(places.len(), 26);
}

// ───────────────────────────────── a few cases spelled out, as documentation

fn at(status: Status, story: &str) -> Placement {
    placements()
        .into_iter()
        .find(|p| p.status == status && p.story == story)
        .unwrap()
}

fn run(place: &Placement, who: Who, cmd: Cmd) -> Result<Outcome, Refusal> {
    let actor = actor_for(who, place).unwrap();
    decide(
        &request_at(place),
        place.routed,
        &actor,
        command(cmd),
        now(),
    )
}

#[test]
fn a_front_line_member_resolves_while_the_managers_hold_it_and_it_counts_at_the_front_line() {
    let place = at(Status::Acknowledged, "with its team's managers");

    let outcome = run(&place, Who::FrontlineOfTeam, Cmd::Resolve).unwrap();

    assert_eq!(outcome.request.status, Status::Resolved);
    assert_eq!(outcome.request.level, Level::Frontline);
    assert_eq!(outcome.request.resolved_level, Some(Level::Frontline));
    assert_eq!(outcome.event.kind, EventType::Resolved);
}

#[test]
fn once_routed_the_front_line_can_no_longer_resolve_it() {
    let place = at(Status::New, "routed to a service");

    let result = run(&place, Who::FrontlineOfTeam, Cmd::Resolve);

    assert!(matches!(result, Err(Refusal::Forbidden(_))), "{result:?}");
}

#[test]
fn routing_back_up_or_sideways_is_an_invalid_transition() {
    let service = at(Status::InProgress, "routed to a service");
    let leadership = at(Status::Acknowledged, "escalated through a service");

    let sideways = run(&service, Who::MemberOfHoldingService, Cmd::RouteToService);
    let up = run(&leadership, Who::Leader, Cmd::RouteToTeam);

    assert!(
        matches!(sideways, Err(Refusal::InvalidTransition(_))),
        "{sideways:?}"
    );
    assert!(matches!(up, Err(Refusal::InvalidTransition(_))), "{up:?}");
}

#[test]
fn a_manager_may_skip_the_services_and_escalate_to_leadership() {
    let place = at(Status::New, "with its team's managers");

    let outcome = run(&place, Who::ManagerOfTeam, Cmd::RouteToLeadership).unwrap();

    assert_eq!(
        (outcome.request.status, outcome.request.level),
        (Status::New, Level::Leadership)
    );
    assert_eq!(outcome.request.unit_id, LEADERSHIP);
    assert_eq!(outcome.event.kind, EventType::Escalated);
    assert_eq!(outcome.routed_to, Some(LEADERSHIP));
}

#[test]
fn a_past_service_still_sees_and_comments_but_may_not_act() {
    let place = at(Status::New, "escalated through a service");

    let comment = run(&place, Who::MemberOfPastService, Cmd::Comment);
    let resolve = run(&place, Who::MemberOfPastService, Cmd::Resolve);

    assert_eq!(comment.unwrap().event.kind, EventType::Comment);
    assert!(matches!(resolve, Err(Refusal::Forbidden(_))), "{resolve:?}");
}

#[test]
fn requests_of_other_teams_do_not_exist_for_them_and_admins_see_nothing() {
    let place = at(Status::New, "with its team's managers");

    for who in [
        Who::FrontlineOfOtherTeam,
        Who::ManagerOfOtherTeam,
        Who::MemberOfUnrelatedService,
        Who::Admin,
    ] {
        let result = run(&place, who, Cmd::Comment);

        assert_eq!(result, Err(Refusal::NotFound), "{who:?}");
    }
}

#[test]
fn an_answered_or_closed_request_can_no_longer_be_worked_even_by_who_answered_it() {
    for status in [Status::Resolved, Status::Declined, Status::Closed] {
        let place = at(status, "answered by leadership after a service");
        for who in [Who::Leader, Who::MemberOfPastService, Who::ManagerOfTeam] {
            for cmd in [Cmd::Acknowledge, Cmd::Start, Cmd::Resolve, Cmd::Decline] {
                let result = run(&place, who, cmd);

                assert!(
                    matches!(result, Err(Refusal::InvalidTransition(_))),
                    "{status} × {who:?} × {cmd:?}: {result:?}"
                );
            }
        }
        // Outsiders are still told it does not exist.
        let outsider = run(&place, Who::MemberOfUnrelatedService, Cmd::Resolve);
        assert_eq!(outsider, Err(Refusal::NotFound), "{status}");
    }
}

#[test]
fn reopening_a_front_line_resolution_sends_it_to_the_managers() {
    let place = at(Status::Resolved, "answered at the front line");

    let outcome = run(&place, Who::FrontlineOfTeam, Cmd::FollowUpReopen).unwrap();

    assert_eq!(outcome.request.status, Status::InProgress);
    assert_eq!(
        (outcome.request.level, outcome.request.unit_id),
        (Level::Manager, TEAM)
    );
    assert_eq!(outcome.event.kind, EventType::Reopened);
    assert_eq!(
        (
            outcome.request.resolved_level,
            outcome.request.resolved_unit_id,
            outcome.request.resolution_note,
            outcome.request.resolved_at,
        ),
        (None, None, None, None),
        "the answer that did not satisfy is no longer the answer"
    );
}

#[test]
fn reopening_a_service_answer_sends_it_back_to_that_service() {
    let place = at(Status::Declined, "answered by a service");

    let outcome = run(&place, Who::ManagerOfTeam, Cmd::FollowUpReopen).unwrap();

    assert_eq!(
        (outcome.request.level, outcome.request.unit_id),
        (Level::Service, SERVICE)
    );
    assert_eq!(outcome.request.status, Status::InProgress);
    assert_eq!(
        (
            outcome.request.resolved_level,
            outcome.request.resolved_unit_id
        ),
        (None, None)
    );
}

#[test]
fn a_whole_journey_down_the_pyramid_and_back_up() {
    // Arrange: a front-line member files for a customer.
    let (mut request, filed) = file(
        &filer(),
        new_request(None, None),
        filing(policy(ACK_SECONDS, RESOLVE_SECONDS), filed_at()),
    )
    .unwrap();
    assert_eq!(filed.kind, EventType::Filed);
    let mut routed: Vec<Uuid> = Vec::new();
    let manager = member(2, Role::Manager, Some(TEAM));
    let service = member(5, Role::Service, Some(SERVICE));
    let leader = member(8, Role::Leader, Some(LEADERSHIP));
    let to_service = Command::Route {
        to: RouteTarget {
            unit_id: SERVICE,
            kind: UnitKind::Service,
        },
        note: note(NOTE),
    };
    let to_leadership = Command::Route {
        to: RouteTarget {
            unit_id: LEADERSHIP,
            kind: UnitKind::Leadership,
        },
        note: note(NOTE),
    };
    let steps: Vec<(Actor, Command, EventType, Status, Level)> = vec![
        (
            manager,
            Command::Acknowledge { note: None },
            EventType::Acknowledged,
            Status::Acknowledged,
            Level::Manager,
        ),
        (
            manager,
            to_service,
            EventType::Routed,
            Status::New,
            Level::Service,
        ),
        (
            service,
            Command::Start { note: None },
            EventType::StatusChanged,
            Status::InProgress,
            Level::Service,
        ),
        (
            service,
            to_leadership,
            EventType::Escalated,
            Status::New,
            Level::Leadership,
        ),
        (
            leader,
            Command::Resolve { note: note(NOTE) },
            EventType::Resolved,
            Status::Resolved,
            Level::Frontline,
        ),
        (
            filer(),
            Command::FollowUp(follow_up(true)),
            EventType::Reopened,
            Status::InProgress,
            Level::Leadership,
        ),
        (
            leader,
            Command::Decline { note: note(NOTE) },
            EventType::Declined,
            Status::Declined,
            Level::Frontline,
        ),
        (
            filer(),
            Command::FollowUp(follow_up(false)),
            EventType::FollowUpRecorded,
            Status::Closed,
            Level::Frontline,
        ),
    ];

    for (i, (actor, cmd, event, status, level)) in steps.into_iter().enumerate() {
        // Act
        let outcome = decide(&request, &routed, &actor, cmd, now()).unwrap();

        // Assert
        assert_eq!(
            (
                outcome.event.kind,
                outcome.request.status,
                outcome.request.level
            ),
            (event, status, level),
            "step {i}"
        );
        assert_eq!(outcome.request.version, request.version + 1, "step {i}");
        if let Some(unit) = outcome.routed_to {
            routed.push(unit);
        }
        if event == EventType::Reopened {
            assert_eq!(
                (
                    outcome.request.resolved_level,
                    outcome.request.resolution_note.as_deref()
                ),
                (None, None),
                "step {i}: reopening clears the answer"
            );
        }
        request = outcome.request;
    }
    assert_eq!(routed, vec![SERVICE, LEADERSHIP]);
    assert_eq!(request.resolved_level, Some(Level::Leadership));
    assert_eq!(request.reopen_count, 1);
    assert_eq!(request.version, 9);
}

// ──────────────────────────────────────────────────────────────────── filing

#[test]
fn front_line_members_and_managers_file_new_requests_for_their_managers() {
    for role in [Role::Frontline, Role::Manager] {
        for &urgency in Urgency::ALL {
            // Arrange
            let actor = member(42, role, Some(TEAM));
            let policy = SlaPolicy::default_for(urgency);
            let at = filed_at();

            // Act
            let (request, event) =
                file(&actor, new_request(None, None), filing(policy, at)).unwrap();

            // Assert
            let context = format!("{role} / {urgency}");
            assert_eq!(
                (request.status, request.level),
                (Status::New, Level::Manager),
                "{context}"
            );
            assert_eq!(
                (request.unit_id, request.team_id, request.filed_by),
                (TEAM, TEAM, actor.id),
                "{context}"
            );
            assert_eq!(request.version, 1, "{context}");
            assert_eq!(
                request.acknowledge_by,
                at + Duration::seconds(policy.acknowledge_within_seconds),
                "{context}"
            );
            assert_eq!(
                request.resolve_by,
                at + Duration::seconds(policy.resolve_within_seconds),
                "{context}"
            );
            assert_eq!(
                (request.sla_acknowledge_seconds, request.sla_resolve_seconds),
                (
                    policy.acknowledge_within_seconds,
                    policy.resolve_within_seconds
                ),
                "{context}"
            );
            assert_eq!(
                (request.filed_at, request.arrived_at, request.updated_at),
                (at, at, at),
                "{context}"
            );
            assert_eq!(request.resolved_level, None, "{context}");
            assert_eq!(event.kind, EventType::Filed, "{context}");
            assert_eq!(
                (event.from_level, event.to_level),
                (None, Some(Level::Manager)),
                "{context}"
            );
            assert_eq!(
                (event.from_status, event.to_status),
                (None, Some(Status::New)),
                "{context}"
            );
            assert_eq!(
                (event.actor_id, event.at),
                (Some(actor.id), at),
                "{context}"
            );
        }
    }
}

#[test]
fn deadlines_come_from_the_policy_given_not_from_the_defaults() {
    let (request, _) = file(
        &filer(),
        new_request(None, None),
        filing(policy(7, 11), filed_at()),
    )
    .unwrap();

    assert_eq!(request.acknowledge_by, filed_at() + Duration::seconds(7));
    assert_eq!(request.resolve_by, filed_at() + Duration::seconds(11));
}

#[test]
fn other_roles_may_not_file() {
    let outsiders = [
        member(50, Role::Service, Some(SERVICE)),
        member(51, Role::Leader, Some(LEADERSHIP)),
        member(52, Role::Admin, None),
        member(53, Role::Frontline, None),
    ];
    for actor in outsiders {
        let result = file(
            &actor,
            new_request(None, None),
            filing(policy(60, 120), filed_at()),
        );

        assert!(
            matches!(result, Err(Refusal::Forbidden(_))),
            "{actor:?}: {result:?}"
        );
    }
}

#[test]
fn a_request_resolved_on_the_spot_is_resolved_at_the_front_line() {
    for role in [Role::Frontline, Role::Manager] {
        let actor = member(42, role, Some(TEAM));

        let (request, event) = file(
            &actor,
            new_request(None, Some("gave a voucher")),
            filing(policy(60, 120), filed_at()),
        )
        .unwrap();

        assert_eq!(
            (request.status, request.level, request.unit_id),
            (Status::Resolved, Level::Frontline, TEAM)
        );
        assert_eq!(
            (request.resolved_level, request.resolved_unit_id),
            (Some(Level::Frontline), Some(TEAM))
        );
        assert_eq!(request.resolution_note.as_deref(), Some("gave a voucher"));
        assert_eq!(request.resolved_at, Some(filed_at()));
        assert_eq!(event.kind, EventType::Filed);
        assert_eq!(
            (event.to_level, event.to_status),
            (Some(Level::Frontline), Some(Status::Resolved))
        );
        assert_eq!(event.note.as_deref(), Some("gave a voucher"));
    }
}

#[test]
fn a_tracking_code_is_given_only_with_consent() {
    let cases = [
        (None, None),
        (Some(customer(false)), None),
        (Some(customer(true)), Some("K7QF-2M9X")),
    ];
    for (who, code) in cases {
        let consent = who.as_ref().is_some_and(|c| c.consent_follow_up);

        let (request, _) = file(
            &filer(),
            new_request(who, None),
            filing(policy(60, 120), filed_at()),
        )
        .unwrap();

        assert_eq!(request.tracking_code.as_deref(), code);
        assert_eq!(request.customer_consent, consent);
    }
}
