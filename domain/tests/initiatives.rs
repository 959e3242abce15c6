#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Initiatives, exhaustively.
//!
//! Who may do what, every status change, and linking every kind of request
//! (open at each level, beside, answered) by every kind of member to an
//! initiative of every kind of unit are compared with oracles written here
//! as plain tables from SPEC.md and the decisions of
//! docs/decisions/0008-initiatives-and-webhooks.md. The oracles do not call
//! the crate's helpers (`policy::permit`, `Scope`, `Level::depth`, `Level::of_unit`,
//! `Initiative::holds`). Then what completing and dropping do to every
//! request that was linked, and the counts.

use chrono::{DateTime, Duration, NaiveDate, TimeZone, Utc};
use uuid::Uuid;

use upturn_domain::initiative::{
    Counts, CreateRefusal, CurrentLink, Holder, Initiative, InitiativeInput, InitiativePatch,
    InitiativeStatus, LinkCandidate, LinkProblem, LinkRefusal, LinkedRequest, Linking,
    NewInitiative, PatchInput, PatchRefusal, TRANSITIONS, UnitRef, by_demand, create, link,
    may_move, patch,
};
use upturn_domain::lifecycle::Request;
use upturn_domain::notify::{Audience, recipients};
use upturn_domain::policy::{Action, permit};
use upturn_domain::{Actor, Channel, EventType, Kind, Level, Role, Status, UnitKind, Urgency};

// ─────────────────────────────────────────────────────────── the organisation

const TEAM: Uuid = Uuid::from_u128(0x01);
const OTHER_TEAM: Uuid = Uuid::from_u128(0x02);
const SERVICE: Uuid = Uuid::from_u128(0x10);
const OTHER_SERVICE: Uuid = Uuid::from_u128(0x11);
const LEADERSHIP: Uuid = Uuid::from_u128(0x20);

const ACK_SECONDS: i64 = 4 * 3600;

fn filed_at() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap()
}

fn now() -> DateTime<Utc> {
    filed_at() + Duration::days(3)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    FrontlineOfTeam,
    ManagerOfTeam,
    ManagerOfOtherTeam,
    MemberOfService,
    MemberOfOtherService,
    Leader,
    Admin,
}

impl Who {
    const ALL: [Who; 7] = [
        Who::FrontlineOfTeam,
        Who::ManagerOfTeam,
        Who::ManagerOfOtherTeam,
        Who::MemberOfService,
        Who::MemberOfOtherService,
        Who::Leader,
        Who::Admin,
    ];

    fn actor(self) -> Actor {
        let (n, role, unit) = match self {
            Who::FrontlineOfTeam => (1, Role::Frontline, Some(TEAM)),
            Who::ManagerOfTeam => (2, Role::Manager, Some(TEAM)),
            Who::ManagerOfOtherTeam => (3, Role::Manager, Some(OTHER_TEAM)),
            Who::MemberOfService => (4, Role::Service, Some(SERVICE)),
            Who::MemberOfOtherService => (5, Role::Service, Some(OTHER_SERVICE)),
            Who::Leader => (6, Role::Leader, Some(LEADERSHIP)),
            Who::Admin => (7, Role::Admin, None),
        };
        Actor {
            id: Uuid::from_u128(0x1000 + n),
            role,
            unit_id: unit,
        }
    }
}

/// The units an initiative can belong to.
const OWNERS: [(Uuid, UnitKind); 5] = [
    (TEAM, UnitKind::Team),
    (OTHER_TEAM, UnitKind::Team),
    (SERVICE, UnitKind::Service),
    (OTHER_SERVICE, UnitKind::Service),
    (LEADERSHIP, UnitKind::Leadership),
];

fn unit(id: Uuid) -> UnitRef {
    let (_, kind) = *OWNERS.iter().find(|(u, _)| *u == id).unwrap();
    UnitRef { id, kind }
}

// ──────────────────────────────────────────────────────────────── who may

/// Decision 0008: front line and admins nothing; managers and services read
/// and link anywhere, create and edit for their own unit; leaders all.
#[rustfmt::skip]
const MAY_CREATE_FOR: [(Who, &[Uuid]); 7] = [
    (Who::FrontlineOfTeam,      &[]),
    (Who::ManagerOfTeam,        &[TEAM]),
    (Who::ManagerOfOtherTeam,   &[OTHER_TEAM]),
    (Who::MemberOfService,      &[SERVICE]),
    (Who::MemberOfOtherService, &[OTHER_SERVICE]),
    (Who::Leader,               &[TEAM, OTHER_TEAM, SERVICE, OTHER_SERVICE, LEADERSHIP]),
    (Who::Admin,                &[]),
];

/// Reading and linking: the same members.
#[rustfmt::skip]
const MAY_READ_AND_LINK: [(Who, bool); 7] = [
    (Who::FrontlineOfTeam,      false),
    (Who::ManagerOfTeam,        true),
    (Who::ManagerOfOtherTeam,   true),
    (Who::MemberOfService,      true),
    (Who::MemberOfOtherService, true),
    (Who::Leader,               true),
    (Who::Admin,                false),
];

fn lookup<K: PartialEq + std::fmt::Debug, V: Copy>(table: &[(K, V)], key: K) -> V {
    table
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, v)| *v)
        .unwrap_or_else(|| panic!("no row for {key:?}"))
}

fn may(actor: &Actor, action: Action) -> bool {
    permit(actor, &action).is_ok()
}

#[test]
fn who_may_do_what() {
    for who in Who::ALL {
        let actor = who.actor();
        let reads = lookup(&MAY_READ_AND_LINK, who);
        assert_eq!(may(&actor, Action::ReadInitiative), reads, "{who:?} read");
        assert_eq!(may(&actor, Action::LinkToInitiative), reads, "{who:?} link");
        for (id, _) in OWNERS {
            let own = lookup(&MAY_CREATE_FOR, who).contains(&id);
            assert_eq!(
                may(
                    &actor,
                    Action::CreateInitiative {
                        unit: Some(unit(id))
                    }
                ),
                own,
                "{who:?} create for {id}"
            );
            assert_eq!(
                may(&actor, Action::UpdateInitiative { unit_id: Some(id) }),
                own,
                "{who:?} edit for {id}"
            );
        }
    }
}

#[test]
fn a_manager_cannot_create_for_a_unit_of_another_kind_with_its_id() {
    // Ids are unique, but the kind is checked too.
    let manager = Who::ManagerOfTeam.actor();
    let odd = UnitRef {
        id: TEAM,
        kind: UnitKind::Service,
    };
    assert!(!may(&manager, Action::CreateInitiative { unit: Some(odd) }));
}

// ────────────────────────────────────────────────────────────── fixtures

fn new_initiative(title: &str) -> NewInitiative {
    NewInitiative::parse(InitiativeInput {
        title,
        description: Some("Customers ask for it in every store."),
        unit_id: None,
        target_date: Some("2027-03-31"),
    })
    .unwrap()
}

fn initiative(owner: Uuid, status: InitiativeStatus) -> Initiative {
    let mut initiative = create(
        &Who::Leader.actor(),
        new_initiative("Size 44 in every store"),
        unit(owner),
        Uuid::from_u128(0x500),
        filed_at(),
    )
    .unwrap();
    initiative.status = status;
    initiative
}

/// A request of `team`, filed by its front line, sitting with `holder` in
/// `status`.
fn request(n: u128, team: Uuid, status: Status, holder: (Level, Uuid)) -> Request {
    let (level, unit_id) = holder;
    let answered = !matches!(
        status,
        Status::New | Status::Acknowledged | Status::InProgress
    );
    Request {
        id: Uuid::from_u128(0x9000 + n),
        number: 100 + n as i64,
        kind: Kind::UnmetNeed,
        category: "availability".to_owned(),
        urgency: Urgency::Normal,
        channel: Channel::InPerson,
        title: "Trousers in size 44".to_owned(),
        description: String::new(),
        customer_expectation: "to find them in store".to_owned(),
        customer_name: None,
        customer_contact: None,
        customer_consent: true,
        status,
        level,
        unit_id,
        team_id: team,
        filed_by: Uuid::from_u128(0x1001),
        assignee_id: (status == Status::Acknowledged).then_some(Uuid::from_u128(0x1002)),
        version: 3,
        tracking_code: Some("K7QF-2M9X".to_owned()),
        sla_acknowledge_seconds: ACK_SECONDS,
        sla_resolve_seconds: 72 * 3600,
        acknowledge_by: filed_at() + Duration::seconds(ACK_SECONDS),
        resolve_by: filed_at() + Duration::hours(72),
        acknowledge_breached_at: None,
        resolve_breached_at: None,
        resolved_level: answered.then_some(Level::Service),
        resolved_unit_id: answered.then_some(SERVICE),
        resolution_note: answered.then(|| "not stocked".to_owned()),
        reopen_count: 0,
        filed_at: filed_at(),
        arrived_at: filed_at(),
        acknowledged_at: (status != Status::New).then(filed_at),
        resolved_at: answered.then(filed_at),
        closed_at: None,
        updated_at: filed_at(),
        initiative_id: None,
    }
}

fn patch_of(input: PatchInput<'_>) -> InitiativePatch {
    InitiativePatch::parse(input).unwrap()
}

fn to_status(status: InitiativeStatus, note: &str) -> InitiativePatch {
    patch_of(PatchInput {
        status: Some(status.as_str()),
        public_note: Some(note),
        ..PatchInput::default()
    })
}

// ─────────────────────────────────────────────────────────────── parsing

#[test]
fn new_initiatives_are_parsed_with_every_error_at_once() {
    let parsed = new_initiative("  Size 44  ");
    assert_eq!(parsed.title.as_str(), "Size 44");
    assert_eq!(parsed.target_date, NaiveDate::from_ymd_opt(2027, 3, 31));
    assert_eq!(parsed.owner_id(&Who::ManagerOfTeam.actor()), Some(TEAM));
    let named = NewInitiative::parse(InitiativeInput {
        title: "x",
        unit_id: Some(SERVICE),
        ..InitiativeInput::default()
    })
    .unwrap();
    assert_eq!(named.owner_id(&Who::Leader.actor()), Some(SERVICE));
    assert_eq!(named.target_date, None);

    let errors = NewInitiative::parse(InitiativeInput {
        title: "  ",
        description: Some("bell\u{7}"),
        unit_id: None,
        target_date: Some("2027-02-30"),
    })
    .unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["title", "description", "target_date"]);
    for bad in [
        "31/03/2027",
        "2027-3-31",
        "+2027-03-31",
        "2027-03-31T00:00:00Z",
        "",
    ] {
        let input = InitiativeInput {
            title: "x",
            target_date: Some(bad),
            ..InitiativeInput::default()
        };
        assert!(NewInitiative::parse(input).is_err(), "{bad}");
    }
}

#[test]
fn patches_are_parsed_and_final_statuses_need_a_note() {
    for status in ["done", "dropped"] {
        let errors = InitiativePatch::parse(PatchInput {
            status: Some(status),
            ..PatchInput::default()
        })
        .unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "public_note");
        assert!(errors[0].message.contains(status), "{}", errors[0].message);
    }
    let errors = InitiativePatch::parse(PatchInput {
        title: Some(""),
        status: Some("finished"),
        target_date: Some(Some("soon")),
        public_note: Some("  "),
        ..PatchInput::default()
    })
    .unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
    assert_eq!(fields, ["title", "target_date", "status", "public_note"]);
    assert!(
        errors[2]
            .message
            .contains("planned, in_progress, done, dropped")
    );
    let ok = patch_of(PatchInput {
        status: Some("in_progress"),
        ..PatchInput::default()
    });
    assert_eq!(ok.status(), Some(InitiativeStatus::InProgress));
    assert_eq!(ok.public_note(), None);
    assert!(InitiativePatch::parse(PatchInput::default()).is_ok());
}

#[test]
fn statuses_have_their_wire_spelling() {
    let spelled: Vec<&str> = InitiativeStatus::ALL.iter().map(|s| s.as_str()).collect();
    assert_eq!(spelled, ["planned", "in_progress", "done", "dropped"]);
    for status in InitiativeStatus::ALL {
        assert_eq!(status.as_str().parse::<InitiativeStatus>(), Ok(*status));
    }
    for kind in [
        "initiative_linked",
        "initiative_progress",
        "initiative_dropped",
    ] {
        assert_eq!(kind.parse::<EventType>().unwrap().as_str(), kind);
    }
}

// ─────────────────────────────────────────────────────────── transitions

/// Decision 0008, as a plain list: (from, to) pairs a patch may make.
#[rustfmt::skip]
const ALLOWED: [(&str, &str); 5] = [
    ("planned",     "in_progress"),
    ("planned",     "done"),
    ("planned",     "dropped"),
    ("in_progress", "done"),
    ("in_progress", "dropped"),
];

#[test]
fn every_status_change_against_the_table() {
    let leader = Who::Leader.actor();
    for &from in InitiativeStatus::ALL {
        for &to in InitiativeStatus::ALL {
            let listed = ALLOWED.contains(&(from.as_str(), to.as_str()));
            assert_eq!(may_move(from, to), listed, "{from} → {to}");
            let initiative = initiative(SERVICE, from);
            let answer = patch(&initiative, &[], &leader, to_status(to, "news"), now());
            let is_final = matches!(from.as_str(), "done" | "dropped");
            match answer {
                Ok(outcome) => {
                    assert!(!is_final && (listed || from == to), "{from} → {to}");
                    assert_eq!(outcome.initiative.status, to);
                    assert_eq!(outcome.initiative.public_note.as_deref(), Some("news"));
                    assert_eq!(outcome.initiative.version, initiative.version + 1);
                    assert_eq!(outcome.initiative.updated_at, now());
                }
                Err(PatchRefusal::InvalidTransition(_)) => {
                    assert!(is_final || !(listed || from == to), "{from} → {to}")
                }
                Err(other) => panic!("{from} → {to}: {other:?}"),
            }
        }
    }
    assert_eq!(TRANSITIONS.len(), ALLOWED.len());
}

#[test]
fn only_the_owning_unit_and_leaders_patch() {
    let initiative = initiative(SERVICE, InitiativeStatus::Planned);
    for who in Who::ALL {
        let answer = patch(
            &initiative,
            &[],
            &who.actor(),
            to_status(InitiativeStatus::InProgress, "ordering"),
            now(),
        );
        let allowed = matches!(who, Who::MemberOfService | Who::Leader);
        assert_eq!(answer.is_ok(), allowed, "{who:?}");
        if !allowed {
            assert!(matches!(answer, Err(PatchRefusal::Forbidden(_))));
        }
    }
}

#[test]
fn edits_change_fields_and_reach_requests_only_when_there_is_news() {
    let owner = Who::MemberOfService.actor();
    let mut initiative = initiative(SERVICE, InitiativeStatus::InProgress);
    initiative.public_note = Some("ordering".to_owned());
    let linked = [LinkedRequest {
        request: request(1, TEAM, Status::InProgress, (Level::Service, SERVICE)),
        previous: Some(Holder {
            level: Level::Manager,
            unit_id: TEAM,
        }),
    }];

    // Nothing new: the initiative as it is.
    let same = patch(
        &initiative,
        &linked,
        &owner,
        patch_of(PatchInput {
            status: Some("in_progress"),
            public_note: Some("ordering"),
            ..PatchInput::default()
        }),
        now(),
    )
    .unwrap();
    assert_eq!(same.initiative, initiative);
    assert!(same.requests.is_empty());

    // Title, description, date: a new version, no news for the requests.
    let edited = patch(
        &initiative,
        &linked,
        &owner,
        patch_of(PatchInput {
            title: Some("Sizes 44 to 48"),
            description: Some(""),
            target_date: Some(None),
            ..PatchInput::default()
        }),
        now(),
    )
    .unwrap();
    assert_eq!(edited.initiative.title, "Sizes 44 to 48");
    assert_eq!(edited.initiative.description, "");
    assert_eq!(edited.initiative.target_date, None);
    assert_eq!(edited.initiative.version, initiative.version + 1);
    assert!(edited.requests.is_empty());

    // A new public note is progress, on every linked request.
    let noted = patch(
        &initiative,
        &linked,
        &owner,
        patch_of(PatchInput {
            public_note: Some("first deliveries on Monday"),
            ..PatchInput::default()
        }),
        now(),
    )
    .unwrap();
    assert_eq!(noted.requests.len(), 1);
    let outcome = &noted.requests[0];
    assert_eq!(outcome.event.kind, EventType::InitiativeProgress);
    assert_eq!(
        outcome.event.note.as_deref(),
        Some(
            "The initiative \"Size 44 in every store\" is in progress: first deliveries on Monday"
        )
    );
    assert!(!outcome.event.internal);
    assert_eq!(outcome.request.version, linked[0].request.version + 1);
    assert_eq!(
        Request {
            version: linked[0].request.version,
            updated_at: linked[0].request.updated_at,
            ..outcome.request.clone()
        },
        linked[0].request,
        "progress changes nothing else"
    );

    // Starting is progress too, even without a note.
    let planned = self::initiative(SERVICE, InitiativeStatus::Planned);
    let started = patch(
        &planned,
        &linked,
        &owner,
        patch_of(PatchInput {
            status: Some("in_progress"),
            ..PatchInput::default()
        }),
        now(),
    )
    .unwrap();
    assert_eq!(
        started.requests[0].event.note.as_deref(),
        Some("The initiative \"Size 44 in every store\" is in progress.")
    );
}

// ──────────────────────────────────────────────────────────────── linking

/// Where a request can be when someone tries to link it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Place {
    WithItsManagers,
    AtService,
    AtOtherService,
    AtLeadership,
    Answered,
    OfOtherTeamWithItsManagers,
}

impl Place {
    const ALL: [Place; 6] = [
        Place::WithItsManagers,
        Place::AtService,
        Place::AtOtherService,
        Place::AtLeadership,
        Place::Answered,
        Place::OfOtherTeamWithItsManagers,
    ];

    /// (team, holder, routed units, open).
    fn facts(self) -> (Uuid, (Level, Uuid), &'static [Uuid], bool) {
        match self {
            Place::WithItsManagers => (TEAM, (Level::Manager, TEAM), &[], true),
            Place::AtService => (TEAM, (Level::Service, SERVICE), &[SERVICE], true),
            Place::AtOtherService => (
                TEAM,
                (Level::Service, OTHER_SERVICE),
                &[OTHER_SERVICE],
                true,
            ),
            Place::AtLeadership => (
                TEAM,
                (Level::Leadership, LEADERSHIP),
                &[SERVICE, LEADERSHIP],
                true,
            ),
            Place::Answered => (TEAM, (Level::Frontline, TEAM), &[SERVICE], false),
            Place::OfOtherTeamWithItsManagers => {
                (OTHER_TEAM, (Level::Manager, OTHER_TEAM), &[], true)
            }
        }
    }

    fn request(self, status: Status) -> Request {
        let (team, holder, _, open) = self.facts();
        let status = if open { status } else { Status::Resolved };
        request(1, team, status, holder)
    }
}

/// SPEC, Lifecycle: who sees a request (its team; services it was routed
/// to; leaders), written out per place.
#[rustfmt::skip]
const SEES: [(Who, &[Place]); 7] = [
    (Who::FrontlineOfTeam,      &[Place::WithItsManagers, Place::AtService, Place::AtOtherService, Place::AtLeadership, Place::Answered]),
    (Who::ManagerOfTeam,        &[Place::WithItsManagers, Place::AtService, Place::AtOtherService, Place::AtLeadership, Place::Answered]),
    (Who::ManagerOfOtherTeam,   &[Place::OfOtherTeamWithItsManagers]),
    (Who::MemberOfService,      &[Place::AtService, Place::AtLeadership, Place::Answered]),
    (Who::MemberOfOtherService, &[Place::AtOtherService]),
    (Who::Leader,               &[Place::WithItsManagers, Place::AtService, Place::AtOtherService, Place::AtLeadership, Place::Answered, Place::OfOtherTeamWithItsManagers]),
    (Who::Admin,                &[]),
];

const DEPTH: [(Level, u8); 4] = [
    (Level::Frontline, 0),
    (Level::Manager, 1),
    (Level::Service, 2),
    (Level::Leadership, 3),
];

const WORKED_AT: [(UnitKind, Level); 3] = [
    (UnitKind::Team, Level::Manager),
    (UnitKind::Service, Level::Service),
    (UnitKind::Leadership, Level::Leadership),
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected {
    Forbidden,
    NotFound,
    OutOfReach,
    /// Linked: where it sits after, and whether it moved there.
    Linked {
        status: Status,
        holder: (Level, Uuid),
        moved: bool,
    },
}

fn expected(who: Who, place: Place, owner: Uuid) -> Expected {
    if !lookup(&MAY_READ_AND_LINK, who) {
        return Expected::Forbidden;
    }
    if !lookup(&SEES, who).contains(&place) {
        return Expected::NotFound;
    }
    let (_, holder, _, open) = place.facts();
    if !open {
        return Expected::Linked {
            status: Status::Resolved,
            holder,
            moved: false,
        };
    }
    let owner_level = lookup(&WORKED_AT, unit(owner).kind);
    if holder == (owner_level, owner) {
        return Expected::Linked {
            status: Status::InProgress,
            holder,
            moved: false,
        };
    }
    if lookup(&DEPTH, owner_level) > lookup(&DEPTH, holder.0) {
        return Expected::Linked {
            status: Status::InProgress,
            holder: (owner_level, owner),
            moved: true,
        };
    }
    Expected::OutOfReach
}

fn link_one(
    who: Who,
    place: Place,
    status: Status,
    owner: Uuid,
) -> (Request, Result<Vec<Linking>, LinkRefusal>) {
    let initiative = initiative(owner, InitiativeStatus::InProgress);
    let request = place.request(status);
    let (_, _, routed, _) = place.facts();
    let candidates = [LinkCandidate {
        request: &request,
        routed_units: routed,
        current: None,
    }];
    let answer = link(&initiative, &who.actor(), &candidates, now());
    (request, answer)
}

#[test]
fn linking_every_request_to_every_kind_of_initiative() {
    let mut linked = 0;
    for who in Who::ALL {
        for place in Place::ALL {
            for status in [Status::New, Status::Acknowledged, Status::InProgress] {
                for (owner, _) in OWNERS {
                    let case = format!("{who:?} links {place:?} ({status}) to {owner}");
                    let (before, answer) = link_one(who, place, status, owner);
                    match (expected(who, place, owner), answer) {
                        (Expected::Forbidden, Err(LinkRefusal::Forbidden(_))) => {}
                        (Expected::NotFound, Err(LinkRefusal::NotFound { index: 0 })) => {}
                        (Expected::OutOfReach, Err(LinkRefusal::Problems(problems))) => {
                            assert_eq!(problems, [(0, LinkProblem::OutOfReach)], "{case}");
                        }
                        (
                            Expected::Linked {
                                status,
                                holder,
                                moved,
                            },
                            Ok(linkings),
                        ) => {
                            linked += 1;
                            assert_eq!(linkings.len(), 1, "{case}");
                            let Linking { outcome, previous } = &linkings[0];
                            let after = &outcome.request;
                            assert_eq!(after.status, status, "{case}");
                            assert_eq!((after.level, after.unit_id), holder, "{case}");
                            assert_eq!(after.version, before.version + 1, "{case}");
                            assert_eq!(after.updated_at, now(), "{case}");
                            assert_eq!(outcome.routed_to, moved.then_some(owner), "{case}");
                            let open = before.status.is_open();
                            let was = Holder {
                                level: before.level,
                                unit_id: before.unit_id,
                            };
                            assert_eq!(*previous, open.then_some(was), "{case}");
                            if moved {
                                assert_eq!(after.arrived_at, now(), "{case}");
                                assert_eq!(after.assignee_id, None, "{case}");
                            } else {
                                assert_eq!(after.arrived_at, before.arrived_at, "{case}");
                                assert_eq!(after.assignee_id, before.assignee_id, "{case}");
                            }
                            if open {
                                assert_eq!(
                                    after.acknowledged_at,
                                    before.acknowledged_at.or(Some(now())),
                                    "{case}"
                                );
                            } else {
                                assert_eq!(
                                    *after,
                                    Request {
                                        version: after.version,
                                        updated_at: after.updated_at,
                                        initiative_id: Some(Uuid::from_u128(0x500)),
                                        ..before.clone()
                                    },
                                    "{case}"
                                );
                            }
                            assert_eq!(after.initiative_id, Some(Uuid::from_u128(0x500)), "{case}");
                            let event = &outcome.event;
                            assert_eq!(event.kind, EventType::InitiativeLinked, "{case}");
                            assert_eq!(event.actor_id, Some(who.actor().id), "{case}");
                            assert_eq!(event.from_level, Some(before.level), "{case}");
                            assert_eq!(event.to_level, Some(after.level), "{case}");
                            assert_eq!(event.from_status, Some(before.status), "{case}");
                            assert_eq!(event.to_status, Some(after.status), "{case}");
                            assert_eq!(
                                event.note.as_deref(),
                                Some("Linked to the initiative \"Size 44 in every store\"."),
                                "{case}"
                            );
                            assert!(!event.internal, "{case}");
                        }
                        (expected, answer) => {
                            panic!("{case}: expected {expected:?}, got {answer:?}")
                        }
                    }
                }
            }
        }
    }
    assert!(
        linked > 50,
        "the table links enough to mean something: {linked}"
    );
}

#[test]
fn a_finished_initiative_takes_no_more_requests() {
    let request = Place::WithItsManagers.request(Status::New);
    let candidates = [LinkCandidate {
        request: &request,
        routed_units: &[],
        current: None,
    }];
    for status in [InitiativeStatus::Done, InitiativeStatus::Dropped] {
        let answer = link(
            &initiative(TEAM, status),
            &Who::ManagerOfTeam.actor(),
            &candidates,
            now(),
        );
        assert!(
            matches!(answer, Err(LinkRefusal::InvalidTransition(_))),
            "{answer:?}"
        );
    }
    let planned = link(
        &initiative(TEAM, InitiativeStatus::Planned),
        &Who::ManagerOfTeam.actor(),
        &candidates,
        now(),
    );
    assert_eq!(planned.map(|l| l.len()), Ok(1));
}

#[test]
fn a_request_belongs_to_one_live_initiative_at_a_time() {
    let initiative = initiative(SERVICE, InitiativeStatus::InProgress);
    let manager = Who::ManagerOfTeam.actor();
    let requests: Vec<Request> = (1..=4)
        .map(|n| request(n, TEAM, Status::New, (Level::Manager, TEAM)))
        .collect();
    let current = |id: u128, status| {
        Some(CurrentLink {
            initiative_id: Uuid::from_u128(id),
            status,
        })
    };
    let candidate = |i: usize, current| LinkCandidate {
        request: &requests[i],
        routed_units: &[],
        current,
    };
    // Already here: skipped. Linked to a finished one: moves here.
    let answer = link(
        &initiative,
        &manager,
        &[
            candidate(0, current(0x500, InitiativeStatus::InProgress)),
            candidate(1, current(0x501, InitiativeStatus::Dropped)),
            candidate(2, current(0x502, InitiativeStatus::Done)),
            candidate(3, None),
            candidate(3, None),
        ],
        now(),
    )
    .unwrap();
    let ids: Vec<Uuid> = answer.iter().map(|l| l.outcome.request.id).collect();
    assert_eq!(ids, [requests[1].id, requests[2].id, requests[3].id]);

    // Linked to another live initiative: the whole list is refused.
    let refused = link(
        &initiative,
        &manager,
        &[
            candidate(3, None),
            candidate(0, current(0x501, InitiativeStatus::Planned)),
            candidate(1, current(0x502, InitiativeStatus::InProgress)),
        ],
        now(),
    );
    assert_eq!(
        refused,
        Err(LinkRefusal::Problems(vec![
            (1, LinkProblem::LinkedElsewhere),
            (2, LinkProblem::LinkedElsewhere)
        ]))
    );

    // One request the linker may not see: 404 for the list, naming it.
    let other = request(9, OTHER_TEAM, Status::New, (Level::Manager, OTHER_TEAM));
    let hidden = link(
        &initiative,
        &manager,
        &[
            candidate(3, None),
            LinkCandidate {
                request: &other,
                routed_units: &[],
                current: None,
            },
        ],
        now(),
    );
    assert_eq!(hidden, Err(LinkRefusal::NotFound { index: 1 }));
}

// ───────────────────────────────────────────────────── completing, dropping

/// Links every place's request (as the leader, who sees them all) to an
/// initiative of `owner`, and keeps what was linked with its previous holder.
fn linked_to(owner: Uuid) -> (Initiative, Vec<LinkedRequest>, Vec<Request>) {
    let initiative = initiative(owner, InitiativeStatus::InProgress);
    let mut linked = Vec::new();
    let mut originals = Vec::new();
    for (n, place) in Place::ALL.iter().enumerate() {
        let mut original = place.request(Status::Acknowledged);
        original.id = Uuid::from_u128(0x9100 + n as u128);
        original.customer_consent = n % 2 == 0;
        let (_, _, routed, _) = place.facts();
        let candidates = [LinkCandidate {
            request: &original,
            routed_units: routed,
            current: None,
        }];
        if let Ok(mut linkings) = link(&initiative, &Who::Leader.actor(), &candidates, now()) {
            let Linking { outcome, previous } = linkings.remove(0);
            linked.push(LinkedRequest {
                request: outcome.request,
                previous,
            });
            originals.push(original);
        }
    }
    (initiative, linked, originals)
}

fn later() -> DateTime<Utc> {
    now() + Duration::days(30)
}

#[test]
fn completing_resolves_every_linked_open_request_with_the_note() {
    let mut resolved = 0;
    for (owner, kind) in OWNERS {
        let (initiative, mut linked, _) = linked_to(owner);
        assert!(!linked.is_empty());
        // Even a request its unit routed further down after linking is
        // answered by the initiative, at the initiative's level.
        if let Some(l) = linked
            .iter_mut()
            .find(|l| l.request.status.is_open() && l.request.level != Level::Leadership)
        {
            l.request.level = Level::Leadership;
            l.request.unit_id = LEADERSHIP;
        }
        let done = patch(
            &initiative,
            &linked,
            &Who::Leader.actor(),
            to_status(InitiativeStatus::Done, "Size 44 is now in every store."),
            later(),
        )
        .unwrap();
        assert_eq!(done.initiative.status, InitiativeStatus::Done);
        assert_eq!(done.requests.len(), linked.len(), "one outcome per request");
        let resolved_level = lookup(&WORKED_AT, kind);
        for (before, outcome) in linked.iter().map(|l| &l.request).zip(&done.requests) {
            let after = &outcome.request;
            assert_eq!(after.id, before.id);
            assert_eq!(after.version, before.version + 1);
            if before.status.is_open() {
                resolved += 1;
                assert_eq!(after.status, Status::Resolved);
                assert_eq!(after.level, Level::Frontline);
                assert_eq!(after.unit_id, before.team_id);
                assert_eq!(after.resolved_level, Some(resolved_level), "{kind}");
                assert_eq!(after.resolved_unit_id, Some(owner));
                assert_eq!(
                    after.resolution_note.as_deref(),
                    Some("Size 44 is now in every store.")
                );
                assert_eq!(after.resolved_at, Some(later()));
                assert_eq!(after.assignee_id, None);
                assert_eq!(outcome.event.kind, EventType::Resolved);
                assert_eq!(outcome.event.to_status, Some(Status::Resolved));
                assert_eq!(outcome.event.to_level, Some(Level::Frontline));
                assert_eq!(
                    outcome.event.note.as_deref(),
                    Some("Size 44 is now in every store.")
                );
            } else {
                assert_eq!(after.status, before.status);
                assert_eq!(after.resolution_note, before.resolution_note);
                assert_eq!(outcome.event.kind, EventType::InitiativeProgress);
                assert_eq!(
                    outcome.event.note.as_deref(),
                    Some(
                        "The initiative \"Size 44 in every store\" is done: Size 44 is now in every store."
                    )
                );
            }
        }
    }
    assert!(resolved >= 8, "{resolved}");
}

#[test]
fn dropping_sends_what_the_initiative_holds_back_to_its_previous_owner() {
    let mut sent_back = 0;
    for (owner, _) in OWNERS {
        let (initiative, mut linked, originals) = linked_to(owner);
        // One request moved on after linking: the initiative's unit routed it
        // further down on its own. It is not the initiative's to send back.
        let moved_on = linked
            .iter()
            .position(|l| l.request.status.is_open() && l.request.level != Level::Leadership);
        if let Some(i) = moved_on {
            linked[i].request.level = Level::Leadership;
            linked[i].request.unit_id = LEADERSHIP;
        }
        let dropped = patch(
            &initiative,
            &linked,
            &Who::Leader.actor(),
            to_status(
                InitiativeStatus::Dropped,
                "The supplier stopped making them.",
            ),
            later(),
        )
        .unwrap();
        assert_eq!(dropped.initiative.status, InitiativeStatus::Dropped);
        for (i, ((l, original), outcome)) in linked
            .iter()
            .zip(&originals)
            .zip(&dropped.requests)
            .enumerate()
        {
            let (before, after) = (&l.request, &outcome.request);
            let held = before.status.is_open() && Some(i) != moved_on;
            assert_eq!(outcome.event.kind, EventType::InitiativeDropped);
            assert_eq!(
                outcome.event.note.as_deref(),
                Some(
                    "The initiative \"Size 44 in every store\" was dropped: The supplier stopped making them."
                )
            );
            assert_eq!(after.version, before.version + 1);
            if held {
                sent_back += 1;
                assert_eq!(
                    (after.level, after.unit_id),
                    (original.level, original.unit_id)
                );
                assert_eq!(after.status, Status::New);
                assert_eq!(after.arrived_at, later());
                assert_eq!(
                    after.acknowledge_by,
                    later() + Duration::seconds(ACK_SECONDS)
                );
                assert_eq!(after.acknowledge_breached_at, None);
                assert_eq!(after.assignee_id, None);
                assert_eq!(outcome.event.from_level, Some(before.level));
                assert_eq!(outcome.event.to_level, Some(original.level));
            } else {
                assert_eq!(
                    *after,
                    Request {
                        version: after.version,
                        updated_at: after.updated_at,
                        ..before.clone()
                    }
                );
            }
        }
    }
    assert!(sent_back >= 5, "{sent_back}");
}

#[test]
fn done_and_dropped_are_final() {
    let (initiative, linked, _) = linked_to(SERVICE);
    let done = patch(
        &initiative,
        &linked,
        &Who::Leader.actor(),
        to_status(InitiativeStatus::Done, "Done."),
        later(),
    )
    .unwrap()
    .initiative;
    let edit = patch_of(PatchInput {
        title: Some("Another title"),
        ..PatchInput::default()
    });
    assert!(matches!(
        patch(&done, &linked, &Who::Leader.actor(), edit, later()),
        Err(PatchRefusal::InvalidTransition(_))
    ));
}

// ──────────────────────────────────────────────────────── create, counts

#[test]
fn a_created_initiative_is_planned_for_its_unit() {
    let created = create(
        &Who::MemberOfService.actor(),
        new_initiative("Train weekend staff"),
        unit(SERVICE),
        Uuid::from_u128(0x501),
        now(),
    )
    .unwrap();
    assert_eq!(created.status, InitiativeStatus::Planned);
    assert_eq!(created.unit(), unit(SERVICE));
    assert_eq!(created.level(), Level::Service);
    assert_eq!(created.public_note, None);
    assert_eq!(created.created_by, Who::MemberOfService.actor().id);
    assert_eq!(created.version, 1);
    assert_eq!((created.created_at, created.updated_at), (now(), now()));
    assert!(matches!(
        create(
            &Who::MemberOfService.actor(),
            new_initiative("x"),
            unit(OTHER_SERVICE),
            Uuid::from_u128(0x502),
            now(),
        ),
        Err(CreateRefusal::Forbidden(_))
    ));
}

#[test]
fn counts_are_linked_teams_and_customers_waiting() {
    let open_consent = request(1, TEAM, Status::New, (Level::Manager, TEAM));
    let mut open_silent = request(2, TEAM, Status::InProgress, (Level::Service, SERVICE));
    open_silent.customer_consent = false;
    let answered = request(
        3,
        OTHER_TEAM,
        Status::Resolved,
        (Level::Frontline, OTHER_TEAM),
    );
    let open_other = request(
        4,
        OTHER_TEAM,
        Status::Acknowledged,
        (Level::Manager, OTHER_TEAM),
    );
    let counts = Counts::of([&open_consent, &open_silent, &answered, &open_other]);
    assert_eq!(
        counts,
        Counts {
            linked: 4,
            teams: 2,
            customers_waiting: 2,
        }
    );
    assert_eq!(Counts::of([]), Counts::default());
}

#[test]
fn the_list_puts_the_most_asked_for_first() {
    let make = |n: u128, days: i64| Initiative {
        id: Uuid::from_u128(n),
        created_at: filed_at() + Duration::days(days),
        ..initiative(SERVICE, InitiativeStatus::Planned)
    };
    let counts = |linked, customers_waiting, teams| Counts {
        linked,
        teams,
        customers_waiting,
    };
    let mut list = [
        (make(1, 0), counts(3, 1, 1)),
        (make(2, 0), counts(5, 0, 1)),
        (make(3, 0), counts(3, 2, 1)),
        (make(4, 0), counts(3, 2, 2)),
        (make(5, 1), counts(3, 2, 2)),
        (make(6, 1), counts(3, 2, 2)),
    ];
    list.sort_by(|a, b| by_demand((&a.0, &a.1), (&b.0, &b.1)));
    let order: Vec<u128> = list.iter().map(|(i, _)| i.id.as_u128()).collect();
    assert_eq!(order, [2, 6, 5, 4, 3, 1]);
}

#[test]
fn the_filers_team_hears_the_initiative_news() {
    let request = request(1, TEAM, Status::InProgress, (Level::Service, SERVICE));
    let audience = Audience {
        holding_unit: vec![(Uuid::from_u128(0x1004), Role::Service)],
        team: vec![
            Uuid::from_u128(0x1001),
            Uuid::from_u128(0x1002),
            Uuid::from_u128(0x1003),
        ],
        watchers: vec![],
        leaders: vec![Uuid::from_u128(0x1006)],
    };
    for kind in [
        EventType::InitiativeLinked,
        EventType::InitiativeProgress,
        EventType::InitiativeDropped,
        EventType::Resolved,
    ] {
        let told = recipients(kind, &request, Some(Uuid::from_u128(0x1006)), &audience);
        let expected: Vec<Uuid> = [0x1001, 0x1002, 0x1003, 0x1004]
            .into_iter()
            .map(Uuid::from_u128)
            .collect();
        assert_eq!(told, expected, "{kind}");
    }
}
