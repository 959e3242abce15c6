#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Properties of the lifecycle over random histories.
//!
//! A request is filed, then a random sequence of (actor, command, wait) is
//! played against it: every accepted outcome is applied (its request kept,
//! its `routed_to` added to the routed units), every refusal ignored. The
//! properties below must hold for every step of every such history.

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use uuid::Uuid;

use upturn_domain::lifecycle::{Filing, FollowUpInput, NewRequest, Outcome, Request, RouteTarget};
use upturn_domain::model::DEFAULT_CATEGORIES;
use upturn_domain::sla::{MAX_SECONDS, SlaPolicy};
use upturn_domain::values::{Category, Note, Text, Title};
use upturn_domain::{
    Actor, Channel, Command, EventType, Kind, Level, Refusal, Role, Scope, Status, UnitKind,
    Urgency, decide, file,
};

// ─────────────────────────────────────────────────────────── the organisation

const TEAM: Uuid = Uuid::from_u128(0x01);
const OTHER_TEAM: Uuid = Uuid::from_u128(0x02);
const SERVICE_A: Uuid = Uuid::from_u128(0x10);
const SERVICE_B: Uuid = Uuid::from_u128(0x11);
const LEADERSHIP: Uuid = Uuid::from_u128(0x20);

fn member(n: u128, role: Role, unit: Option<Uuid>) -> Actor {
    Actor {
        id: Uuid::from_u128(0x1000 + n),
        role,
        unit_id: unit,
    }
}

/// Everyone who may try something: both teams, two services, a leader and an admin.
fn cast() -> [Actor; 8] {
    [
        member(1, Role::Frontline, Some(TEAM)),
        member(2, Role::Manager, Some(TEAM)),
        member(3, Role::Frontline, Some(OTHER_TEAM)),
        member(4, Role::Manager, Some(OTHER_TEAM)),
        member(5, Role::Service, Some(SERVICE_A)),
        member(6, Role::Service, Some(SERVICE_B)),
        member(7, Role::Leader, Some(LEADERSHIP)),
        member(8, Role::Admin, None),
    ]
}

/// Every unit a request can be routed to, teams included (always refused).
const TARGETS: [(Uuid, UnitKind); 5] = [
    (SERVICE_A, UnitKind::Service),
    (SERVICE_B, UnitKind::Service),
    (LEADERSHIP, UnitKind::Leadership),
    (TEAM, UnitKind::Team),
    (OTHER_TEAM, UnitKind::Team),
];

/// How far down the pyramid a level is (written here, not `Level::depth`).
fn depth(level: Level) -> u8 {
    match level {
        Level::Frontline => 0,
        Level::Manager => 1,
        Level::Service => 2,
        Level::Leadership => 3,
    }
}

/// The level a request reaches when routed to a unit of `kind`.
fn arrives_at(kind: UnitKind) -> Level {
    match kind {
        UnitKind::Team => Level::Manager,
        UnitKind::Service => Level::Service,
        UnitKind::Leadership => Level::Leadership,
    }
}

// ───────────────────────────────────────────────────────────── the commands

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    Acknowledge,
    Start,
    /// Index into `TARGETS`.
    Route(usize),
    Resolve,
    Decline,
    Close,
    Reopen,
    Comment,
}

fn note(text: &str) -> Note {
    Note::parse("note", text).unwrap()
}

fn command(cmd: Cmd) -> Command {
    let follow_up = |reopen| {
        Command::FollowUp(FollowUpInput {
            customer_reached: true,
            satisfaction: None,
            would_recommend: None,
            note: None,
            reopen,
        })
    };
    match cmd {
        Cmd::Acknowledge => Command::Acknowledge { note: None },
        Cmd::Start => Command::Start { note: None },
        Cmd::Route(i) => {
            let (unit_id, kind) = TARGETS[i];
            Command::Route {
                to: RouteTarget { unit_id, kind },
                note: note("over to you"),
            }
        }
        Cmd::Resolve => Command::Resolve { note: note("done") },
        Cmd::Decline => Command::Decline {
            note: note("not this season"),
        },
        Cmd::Close => follow_up(false),
        Cmd::Reopen => follow_up(true),
        Cmd::Comment => Command::Comment {
            body: note("noted"),
            internal: false,
        },
    }
}

// ────────────────────────────────────────────────────────────── strategies

#[derive(Debug, Clone)]
struct Step {
    actor: usize,
    cmd: Cmd,
    wait_seconds: i64,
}

fn cmd_strategy() -> impl Strategy<Value = Cmd> {
    prop_oneof![
        Just(Cmd::Acknowledge),
        Just(Cmd::Start),
        (0..TARGETS.len()).prop_map(Cmd::Route),
        Just(Cmd::Resolve),
        Just(Cmd::Decline),
        Just(Cmd::Close),
        Just(Cmd::Reopen),
        Just(Cmd::Comment),
    ]
}

fn step_strategy() -> impl Strategy<Value = Step> {
    (0..cast().len(), cmd_strategy(), 0..100_000i64).prop_map(|(actor, cmd, wait_seconds)| Step {
        actor,
        cmd,
        wait_seconds,
    })
}

fn policy_strategy() -> impl Strategy<Value = SlaPolicy> {
    (
        prop::sample::select(Urgency::ALL),
        0..=MAX_SECONDS,
        0..=MAX_SECONDS,
    )
        .prop_map(|(urgency, acknowledge, resolve)| SlaPolicy {
            urgency,
            acknowledge_within_seconds: acknowledge,
            resolve_within_seconds: resolve,
        })
}

/// From 1970 to about 2096.
fn instant_strategy() -> impl Strategy<Value = DateTime<Utc>> {
    (0..4_000_000_000i64).prop_map(|seconds| DateTime::from_timestamp(seconds, 0).unwrap())
}

/// How a history starts: who files (front line or manager), whether it was
/// resolved on the spot, the SLA policy and the filing time.
#[derive(Debug, Clone)]
struct Start {
    filer: usize,
    on_the_spot: bool,
    policy: SlaPolicy,
    filed_at: DateTime<Utc>,
}

fn start_strategy() -> impl Strategy<Value = Start> {
    (
        0..2usize,
        prop::bool::weighted(0.1),
        policy_strategy(),
        instant_strategy(),
    )
        .prop_map(|(filer, on_the_spot, policy, filed_at)| Start {
            filer,
            on_the_spot,
            policy,
            filed_at,
        })
}

fn history_strategy() -> impl Strategy<Value = (Start, Vec<Step>)> {
    (
        start_strategy(),
        prop::collection::vec(step_strategy(), 0..80),
    )
}

// ─────────────────────────────────────────────────────────── playing history

/// One accepted command: the state before and the outcome.
#[derive(Debug)]
struct Transition {
    before: Request,
    actor: Actor,
    cmd: Cmd,
    now: DateTime<Utc>,
    outcome: Outcome,
}

#[derive(Debug)]
struct History {
    filed: Request,
    transitions: Vec<Transition>,
    /// Each state the request went through, with the units it had been routed
    /// to then (the filed state first).
    states: Vec<(Request, Vec<Uuid>)>,
    refused: usize,
}

impl History {
    fn last(&self) -> &(Request, Vec<Uuid>) {
        self.states.last().unwrap()
    }
}

fn file_for(start: &Start) -> Request {
    let input = NewRequest {
        kind: Kind::Need,
        category: Category::parse("category", "product", DEFAULT_CATEGORIES).unwrap(),
        urgency: start.policy.urgency,
        channel: Channel::Phone,
        title: Title::parse("title", "Gluten-free bread on Sundays").unwrap(),
        description: Text::parse("description", "").unwrap(),
        customer_expectation: note("bread on Sunday mornings"),
        customer: None,
        resolved_on_the_spot: start.on_the_spot.then(|| note("baked an extra batch")),
    };
    let filing = Filing {
        id: Uuid::from_u128(0xF11E),
        number: 1,
        tracking_code: None,
        policy: start.policy,
        now: start.filed_at,
        route: None,
    };
    file(&cast()[start.filer], input, filing).unwrap().0
}

/// Files, then plays every step: accepted outcomes are applied, refusals ignored.
fn play(start: &Start, steps: &[Step]) -> History {
    let cast = cast();
    let filed = file_for(start);
    let mut request = filed.clone();
    let mut routed: Vec<Uuid> = Vec::new();
    let mut now = start.filed_at;
    let mut history = History {
        filed,
        transitions: Vec::new(),
        states: vec![(request.clone(), Vec::new())],
        refused: 0,
    };
    for step in steps {
        now += Duration::seconds(step.wait_seconds);
        let actor = cast[step.actor];
        match decide(&request, &routed, &actor, command(step.cmd), now) {
            Ok(outcome) => {
                let before = std::mem::replace(&mut request, outcome.request.clone());
                if let Some(unit) = outcome.routed_to
                    && !routed.contains(&unit)
                {
                    routed.push(unit);
                }
                history.states.push((request.clone(), routed.clone()));
                history.transitions.push(Transition {
                    before,
                    actor,
                    cmd: step.cmd,
                    now,
                    outcome,
                });
            }
            Err(_) => history.refused += 1,
        }
    }
    history
}

/// Where a reopened request goes back to, from the level that answered it.
fn reopens_at(answered_at: Option<Level>) -> Level {
    match answered_at {
        None | Some(Level::Frontline) => Level::Manager,
        Some(level) => level,
    }
}

// ───────────────────────────────────────────────────────────── the properties

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// (a) A request only goes deeper through a route to a strictly deeper
    /// level, and a route never goes up or sideways. The one other way down
    /// is a reopen, which returns the request to the level that answered it,
    /// never deeper than it had already been (an answer given at the front
    /// line, even on the spot, goes back to the team's managers).
    #[test]
    fn the_level_only_deepens_through_a_downward_route((start, steps) in history_strategy()) {
        let history = play(&start, &steps);

        let mut deepest = depth(history.filed.level).max(depth(Level::Manager));
        for t in &history.transitions {
            let (from, to) = (depth(t.before.level), depth(t.outcome.request.level));
            match t.cmd {
                Cmd::Route(i) => {
                    prop_assert!(to > from, "routed from {:?} to {:?}", t.before.level, t.outcome.request.level);
                    prop_assert_eq!(t.outcome.request.level, arrives_at(TARGETS[i].1));
                    prop_assert_eq!(t.outcome.request.unit_id, TARGETS[i].0);
                }
                Cmd::Reopen => {
                    prop_assert_eq!(t.outcome.request.level, reopens_at(t.before.resolved_level));
                    prop_assert_eq!(t.outcome.request.unit_id, t.before.resolved_unit_id.unwrap_or(t.before.team_id));
                    prop_assert!(to <= deepest, "reopened deeper than it ever was");
                }
                _ => prop_assert!(to <= from, "{:?} took it from {:?} down to {:?}", t.cmd, t.before.level, t.outcome.request.level),
            }
            deepest = deepest.max(to);
        }
    }

    /// (b) The version only grows, by exactly one per accepted command.
    #[test]
    fn the_version_grows_by_one_per_accepted_command((start, steps) in history_strategy()) {
        let history = play(&start, &steps);

        prop_assert_eq!(history.filed.version, 1);
        for t in &history.transitions {
            prop_assert_eq!(t.outcome.request.version, t.before.version + 1);
            prop_assert_eq!(t.outcome.request.updated_at, t.now);
        }
        let (last, _) = history.last();
        prop_assert_eq!(last.version, 1 + i64::try_from(history.transitions.len()).unwrap());
        prop_assert_eq!(history.transitions.len() + history.refused, steps.len());
    }

    /// (c) Every accepted command yields exactly one event (an `Outcome`
    /// holds one), whose from/to status and level are the state before and
    /// after, and whose kind fits the command.
    #[test]
    fn every_accepted_command_yields_one_matching_event((start, steps) in history_strategy()) {
        let history = play(&start, &steps);

        for t in &history.transitions {
            let (before, after, event) = (&t.before, &t.outcome.request, &t.outcome.event);
            prop_assert_eq!(event.from_status, Some(before.status));
            prop_assert_eq!(event.to_status, Some(after.status));
            prop_assert_eq!(event.from_level, Some(before.level));
            prop_assert_eq!(event.to_level, Some(after.level));
            prop_assert_eq!(event.actor_id, Some(t.actor.id));
            prop_assert_eq!(event.at, t.now);
            let kinds: &[EventType] = match t.cmd {
                Cmd::Acknowledge => &[EventType::Acknowledged],
                Cmd::Start => &[EventType::StatusChanged],
                Cmd::Route(_) => &[EventType::Routed, EventType::Escalated],
                Cmd::Resolve => &[EventType::Resolved],
                Cmd::Decline => &[EventType::Declined],
                Cmd::Close => &[EventType::FollowUpRecorded],
                Cmd::Reopen => &[EventType::Reopened],
                Cmd::Comment => &[EventType::Comment],
            };
            prop_assert!(kinds.contains(&event.kind), "{:?} wrote {:?}", t.cmd, event.kind);
            prop_assert_eq!(event.kind == EventType::Escalated, after.level == Level::Leadership && matches!(t.cmd, Cmd::Route(_)));
        }
    }

    /// (d) Nobody outside the filer's team and the units it was routed to sees
    /// the request (leaders, who see everything, are left out): `decide`
    /// answers `NotFound` to anything they try, and their scope does not
    /// admit it, at every step of the history.
    #[test]
    fn outsiders_never_see_the_request(
        (start, steps) in history_strategy(),
        outsiders in prop::collection::vec(outsider_strategy(), 1..12),
        cmd in cmd_strategy(),
    ) {
        let history = play(&start, &steps);

        let mut checked = 0;
        for (request, routed) in &history.states {
            for outsider in &outsiders {
                if outsider.unit_id == Some(request.team_id) || outsider.unit_id.is_some_and(|u| routed.contains(&u)) {
                    continue;
                }
                checked += 1;
                prop_assert!(!Scope::of(outsider).admits(request.team_id, routed), "{:?} admitted", outsider);
                let result = decide(request, routed, outsider, command(cmd), request.updated_at);
                prop_assert_eq!(result, Err(Refusal::NotFound), "{:?} {:?}", outsider, cmd);
            }
        }
        prop_assert!(checked <= outsiders.len() * history.states.len());
    }

    /// (e) With any policy of non-negative durations, no deadline ever falls
    /// before filing; the resolve deadline never moves; and while a request
    /// waits to be acknowledged its deadline counts from its arrival.
    #[test]
    fn deadlines_never_fall_before_filing((start, steps) in history_strategy()) {
        let history = play(&start, &steps);
        let filed = &history.filed;

        prop_assert_eq!(filed.filed_at, start.filed_at);
        prop_assert_eq!(filed.acknowledge_by, start.filed_at + Duration::seconds(start.policy.acknowledge_within_seconds));
        prop_assert_eq!(filed.resolve_by, start.filed_at + Duration::seconds(start.policy.resolve_within_seconds));
        for (request, _) in &history.states {
            prop_assert!(request.acknowledge_by >= request.filed_at);
            prop_assert!(request.resolve_by >= request.filed_at);
            prop_assert!(request.arrived_at >= request.filed_at);
            prop_assert_eq!(request.resolve_by, filed.resolve_by);
            if request.status == Status::New {
                prop_assert_eq!(request.acknowledge_by, request.arrived_at + Duration::seconds(start.policy.acknowledge_within_seconds));
            }
        }
    }

    /// (f) The shape of every reachable state: open requests sit with a
    /// holder (never at the front line), answered ones are back with their
    /// team, and a request held below the managers is held by a unit it was
    /// routed to. An answer is on record exactly while the request is not
    /// open: a reopen clears the answer that did not satisfy the customer.
    #[test]
    fn every_reachable_state_is_well_formed((start, steps) in history_strategy()) {
        let history = play(&start, &steps);

        for (request, routed) in &history.states {
            let open = matches!(request.status, Status::New | Status::Acknowledged | Status::InProgress);
            prop_assert_eq!(open, request.level != Level::Frontline, "{:?} at {:?}", request.status, request.level);
            match request.level {
                Level::Frontline | Level::Manager => prop_assert_eq!(request.unit_id, request.team_id),
                Level::Service | Level::Leadership => prop_assert!(routed.contains(&request.unit_id)),
            }
            let answer_on_record = [
                request.resolved_level.is_some(),
                request.resolved_unit_id.is_some(),
                request.resolution_note.is_some(),
                request.resolved_at.is_some(),
            ];
            prop_assert_eq!(answer_on_record, [!open; 4], "{:?} with {:?}", request.status, answer_on_record);
        }
        for t in history.transitions.iter().filter(|t| t.cmd == Cmd::Reopen) {
            let after = &t.outcome.request;
            prop_assert_eq!(
                (after.resolved_level, after.resolved_unit_id, after.resolution_note.as_deref(), after.resolved_at),
                (None, None, None, None)
            );
        }
    }

    /// (g) A request that is no longer open (resolved, declined or closed) is
    /// worked by nobody: acknowledging, starting, routing, resolving or
    /// declining it is an invalid transition for everyone who sees it, and
    /// stays `NotFound` for everyone who does not.
    #[test]
    fn a_request_no_longer_open_is_worked_by_nobody((start, steps) in history_strategy()) {
        let history = play(&start, &steps);
        let work = [Cmd::Acknowledge, Cmd::Start, Cmd::Resolve, Cmd::Decline]
            .into_iter()
            .chain((0..TARGETS.len()).map(Cmd::Route));

        let work: Vec<Cmd> = work.collect();
        for (request, routed) in &history.states {
            if !matches!(request.status, Status::Resolved | Status::Declined | Status::Closed) {
                continue;
            }
            for actor in &cast() {
                for &cmd in &work {
                    let result = decide(request, routed, actor, command(cmd), request.updated_at);
                    if sees(actor, request, routed) {
                        prop_assert!(
                            matches!(result, Err(Refusal::InvalidTransition(_))),
                            "{:?} × {:?} × {:?}: {:?}", request.status, actor.role, cmd, result
                        );
                    } else {
                        prop_assert_eq!(result, Err(Refusal::NotFound));
                    }
                }
            }
        }
    }
}

/// Who sees a request (written here, not `Scope`): the filer's team, the
/// services and leadership it was routed to, and every leader; never admins.
fn sees(actor: &Actor, request: &Request, routed: &[Uuid]) -> bool {
    match actor.role {
        Role::Frontline | Role::Manager => actor.unit_id == Some(request.team_id),
        Role::Service => actor.unit_id.is_some_and(|unit| routed.contains(&unit)),
        Role::Leader => true,
        Role::Admin => false,
    }
}

/// Anyone but a leader, in any unit (the known ones included) or none.
fn outsider_strategy() -> impl Strategy<Value = Actor> {
    let roles = prop::sample::select(vec![
        Role::Frontline,
        Role::Manager,
        Role::Service,
        Role::Admin,
    ]);
    let known = prop::sample::select(vec![TEAM, OTHER_TEAM, SERVICE_A, SERVICE_B, LEADERSHIP])
        .prop_map(Some);
    let random = any::<u128>().prop_map(|n| Some(Uuid::from_u128(n)));
    let unit = prop_oneof![known, random, Just(None)];
    (roles, unit, any::<u128>()).prop_map(|(role, unit_id, id)| Actor {
        id: Uuid::from_u128(id),
        role,
        unit_id,
    })
}

// ──────────────────────────────────── the generator is not vacuous

/// The random histories above do reach every status at every level where it
/// can occur, and reopen answers from every level, so the properties are
/// checked on deep states too, not only on a freshly filed request.
#[test]
fn random_histories_reach_every_corner_of_the_lifecycle() {
    let mut runner = TestRunner::deterministic();
    let strategy = history_strategy();
    let mut reached = std::collections::BTreeSet::new();
    let mut reopened_from = std::collections::BTreeSet::new();
    for _ in 0..512 {
        let (start, steps) = strategy.new_tree(&mut runner).unwrap().current();
        let history = play(&start, &steps);
        for (request, _) in &history.states {
            reached.insert((request.status, request.level));
        }
        for t in history.transitions.iter().filter(|t| t.cmd == Cmd::Reopen) {
            reopened_from.insert(t.before.resolved_level);
        }
    }

    let open = [Status::New, Status::Acknowledged, Status::InProgress];
    let deep = [Level::Manager, Level::Service, Level::Leadership];
    for status in open {
        for level in deep {
            assert!(
                reached.contains(&(status, level)),
                "{status} at {level} never reached"
            );
        }
    }
    for status in [Status::Resolved, Status::Declined, Status::Closed] {
        assert!(
            reached.contains(&(status, Level::Frontline)),
            "{status} never reached"
        );
    }
    assert_eq!(
        reached.len(),
        12,
        "no state outside the lifecycle: {reached:?}"
    );
    for level in Level::ALL {
        assert!(
            reopened_from.contains(&Some(*level)),
            "never reopened an answer given at {level}"
        );
    }
}
