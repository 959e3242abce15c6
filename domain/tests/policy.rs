#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Who may do what, exhaustively: every role against every action, as one
//! table written from SPEC.md ("Users" and the "who" column of the HTTP
//! API), then properties over random actions and units.
//!
//! Inactive members do not appear: they never become an `Actor` (the API
//! refuses their token with `401` before any action is asked for).

use proptest::prelude::*;
use uuid::Uuid;

use upturn_domain::initiative::UnitRef;
use upturn_domain::policy::{Action, Denied, MetricsView, permit};
use upturn_domain::{Actor, Role, UnitKind};

// ─────────────────────────────────────────────────────────── the organisation

const TEAM: Uuid = Uuid::from_u128(0x01);
const OTHER_TEAM: Uuid = Uuid::from_u128(0x02);
const SERVICE: Uuid = Uuid::from_u128(0x10);
const LEADERSHIP: Uuid = Uuid::from_u128(0x20);

const fn unit(id: Uuid, kind: UnitKind) -> UnitRef {
    UnitRef { id, kind }
}

/// The columns of the table, each member in its home unit.
const WHO: [(Role, Option<Uuid>); 5] = [
    (Role::Frontline, Some(TEAM)),
    (Role::Manager, Some(TEAM)),
    (Role::Service, Some(SERVICE)),
    (Role::Leader, Some(LEADERSHIP)),
    (Role::Admin, None),
];

fn actor(role: Role, unit_id: Option<Uuid>) -> Actor {
    Actor {
        id: Uuid::from_u128(0x99),
        role,
        unit_id,
    }
}

const Y: bool = true;
const N: bool = false;

const OVERVIEW: MetricsView = MetricsView::Overview;
const BY_UNIT: MetricsView = MetricsView::ByUnit;
const BY_CATEGORY: MetricsView = MetricsView::ByCategory;
const TREND: MetricsView = MetricsView::Trend;

/// Every action, and whether each member may do it:
/// front line, manager, service, leader, admin.
#[rustfmt::skip]
const MATRIX: &[(Action, [bool; 5])] = &[
    //                                                                         front  mgr  svc  lead admin
    (Action::ListUnits,                                                         [Y,    Y,   Y,   Y,   Y]),
    (Action::ReadUnit,                                                          [Y,    Y,   Y,   Y,   Y]),
    (Action::CreateUnit,                                                        [N,    N,   N,   N,   Y]),
    (Action::UpdateUnit,                                                        [N,    N,   N,   N,   Y]),
    (Action::ListMembers,                                                       [N,    N,   N,   N,   Y]),
    (Action::ReadMember,                                                        [N,    N,   N,   N,   Y]),
    (Action::CreateMember,                                                      [N,    N,   N,   N,   Y]),
    (Action::UpdateMember,                                                      [N,    N,   N,   N,   Y]),
    (Action::FileRequest,                                                       [Y,    Y,   N,   N,   N]),
    (Action::ExportRequests,                                                    [N,    N,   N,   Y,   N]),
    (Action::ListRoutingRules,                                                  [N,    N,   N,   Y,   N]),
    (Action::ReadRoutingRule,                                                   [N,    N,   N,   Y,   N]),
    (Action::CreateRoutingRule,                                                 [N,    N,   N,   Y,   N]),
    (Action::ReplaceRoutingRule,                                                [N,    N,   N,   Y,   N]),
    (Action::DeleteRoutingRule,                                                 [N,    N,   N,   Y,   N]),
    (Action::ReadSlaPolicies,                                                   [N,    N,   N,   Y,   N]),
    (Action::ReplaceSlaPolicies,                                                [N,    N,   N,   Y,   N]),
    (Action::Metrics { view: OVERVIEW, unit: None },                            [N,    Y,   N,   Y,   N]),
    (Action::Metrics { view: OVERVIEW, unit: Some(TEAM) },                      [N,    Y,   N,   Y,   N]),
    (Action::Metrics { view: OVERVIEW, unit: Some(OTHER_TEAM) },                [N,    N,   N,   Y,   N]),
    (Action::Metrics { view: OVERVIEW, unit: Some(SERVICE) },                   [N,    N,   N,   Y,   N]),
    (Action::Metrics { view: OVERVIEW, unit: Some(LEADERSHIP) },                [N,    N,   N,   Y,   N]),
    (Action::Metrics { view: BY_UNIT, unit: None },                             [N,    Y,   N,   Y,   N]),
    (Action::Metrics { view: BY_UNIT, unit: Some(TEAM) },                       [N,    Y,   N,   Y,   N]),
    (Action::Metrics { view: BY_UNIT, unit: Some(OTHER_TEAM) },                 [N,    N,   N,   Y,   N]),
    (Action::Metrics { view: BY_UNIT, unit: Some(SERVICE) },                    [N,    N,   N,   Y,   N]),
    (Action::Metrics { view: BY_CATEGORY, unit: None },                         [N,    Y,   N,   Y,   N]),
    (Action::Metrics { view: BY_CATEGORY, unit: Some(TEAM) },                   [N,    Y,   N,   Y,   N]),
    (Action::Metrics { view: BY_CATEGORY, unit: Some(OTHER_TEAM) },             [N,    N,   N,   Y,   N]),
    (Action::Metrics { view: TREND, unit: None },                               [N,    Y,   N,   Y,   N]),
    (Action::Metrics { view: TREND, unit: Some(TEAM) },                         [N,    Y,   N,   Y,   N]),
    (Action::Metrics { view: TREND, unit: Some(OTHER_TEAM) },                   [N,    N,   N,   Y,   N]),
    (Action::Engagement,                                                        [N,    N,   N,   Y,   N]),
    (Action::CurrentPulse,                                                      [Y,    Y,   Y,   Y,   N]),
    (Action::AnswerPulse,                                                       [Y,    Y,   Y,   Y,   N]),
    (Action::ListInitiatives,                                                   [N,    Y,   Y,   Y,   N]),
    (Action::ReadInitiative,                                                    [N,    Y,   Y,   Y,   N]),
    (Action::CreateInitiative { unit: None },                                   [N,    Y,   Y,   Y,   N]),
    (Action::CreateInitiative { unit: Some(unit(TEAM, UnitKind::Team)) },       [N,    Y,   N,   Y,   N]),
    (Action::CreateInitiative { unit: Some(unit(OTHER_TEAM, UnitKind::Team)) }, [N,    N,   N,   Y,   N]),
    (Action::CreateInitiative { unit: Some(unit(SERVICE, UnitKind::Service)) }, [N,    N,   Y,   Y,   N]),
    (Action::CreateInitiative { unit: Some(unit(LEADERSHIP, UnitKind::Leadership)) }, [N, N, N,   Y,   N]),
    // The kind is checked as well as the id.
    (Action::CreateInitiative { unit: Some(unit(TEAM, UnitKind::Service)) },    [N,    N,   N,   Y,   N]),
    (Action::CreateInitiative { unit: Some(unit(SERVICE, UnitKind::Team)) },    [N,    N,   N,   Y,   N]),
    (Action::UpdateInitiative { unit_id: None },                                [N,    Y,   Y,   Y,   N]),
    (Action::UpdateInitiative { unit_id: Some(TEAM) },                          [N,    Y,   N,   Y,   N]),
    (Action::UpdateInitiative { unit_id: Some(OTHER_TEAM) },                    [N,    N,   N,   Y,   N]),
    (Action::UpdateInitiative { unit_id: Some(SERVICE) },                       [N,    N,   Y,   Y,   N]),
    (Action::UpdateInitiative { unit_id: Some(LEADERSHIP) },                    [N,    N,   N,   Y,   N]),
    (Action::LinkToInitiative,                                                  [N,    Y,   Y,   Y,   N]),
    (Action::InitiativeSuggestions,                                             [N,    Y,   Y,   Y,   N]),
    (Action::ListWebhooks,                                                      [N,    N,   N,   Y,   N]),
    (Action::ReadWebhook,                                                       [N,    N,   N,   Y,   N]),
    (Action::CreateWebhook,                                                     [N,    N,   N,   Y,   N]),
    (Action::DeleteWebhook,                                                     [N,    N,   N,   Y,   N]),
    (Action::ListDeliveries,                                                    [N,    N,   N,   Y,   N]),
    (Action::Inbox,                                                             [Y,    Y,   Y,   Y,   Y]),
    (Action::StreamTicket,                                                      [Y,    Y,   Y,   Y,   Y]),
    (Action::EraseCustomerData,                                                 [N,    N,   N,   Y,   N]),
    (Action::ReadAudit,                                                         [N,    N,   N,   Y,   Y]),
    (Action::Knowledge,                                                         [Y,    Y,   Y,   Y,   N]),
];

/// The position of an action's variant. The match has no wildcard, so a new
/// variant does not compile until it is named here, and then fails
/// [`the_table_names_every_action`] until it has a row.
fn variant(action: &Action) -> usize {
    match action {
        Action::ListUnits => 0,
        Action::ReadUnit => 1,
        Action::CreateUnit => 2,
        Action::UpdateUnit => 3,
        Action::ListMembers => 4,
        Action::ReadMember => 5,
        Action::CreateMember => 6,
        Action::UpdateMember => 7,
        Action::FileRequest => 8,
        Action::ExportRequests => 9,
        Action::ListRoutingRules => 10,
        Action::ReadRoutingRule => 11,
        Action::CreateRoutingRule => 12,
        Action::ReplaceRoutingRule => 13,
        Action::DeleteRoutingRule => 14,
        Action::ReadSlaPolicies => 15,
        Action::ReplaceSlaPolicies => 16,
        Action::Metrics { .. } => 17,
        Action::Engagement => 18,
        Action::CurrentPulse => 19,
        Action::AnswerPulse => 20,
        Action::ListInitiatives => 21,
        Action::ReadInitiative => 22,
        Action::CreateInitiative { .. } => 23,
        Action::UpdateInitiative { .. } => 24,
        Action::LinkToInitiative => 25,
        Action::InitiativeSuggestions => 26,
        Action::ListWebhooks => 27,
        Action::ReadWebhook => 28,
        Action::CreateWebhook => 29,
        Action::DeleteWebhook => 30,
        Action::ListDeliveries => 31,
        Action::Inbox => 32,
        Action::StreamTicket => 33,
        Action::EraseCustomerData => 34,
        Action::ReadAudit => 35,
        Action::Knowledge => 36,
    }
}

const VARIANTS: usize = 37;

#[test]
fn the_table_names_every_action() {
    let named: std::collections::BTreeSet<usize> =
        MATRIX.iter().map(|(action, _)| variant(action)).collect();
    let missing: Vec<usize> = (0..VARIANTS).filter(|v| !named.contains(v)).collect();
    assert!(missing.is_empty(), "variants without a row: {missing:?}");
}

#[test]
fn who_may_do_what() {
    let mut wrong = Vec::new();
    for (action, expected) in MATRIX {
        for ((role, unit_id), expected) in WHO.iter().zip(expected) {
            let answer = permit(&actor(*role, *unit_id), action);
            if answer.is_ok() != *expected {
                wrong.push(format!("{role} {action:?}: {answer:?}"));
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
}

#[test]
fn a_refusal_says_why() {
    for (action, _) in MATRIX {
        for (role, unit_id) in WHO {
            if let Err(Denied::Forbidden(why)) = permit(&actor(role, unit_id), action) {
                assert!(!why.trim().is_empty(), "{role} {action:?}");
            }
        }
    }
}

#[test]
fn only_leaders_erase_a_customers_data_and_the_others_are_told_why() {
    for (role, unit_id) in WHO {
        let answer = permit(&actor(role, unit_id), &Action::EraseCustomerData);
        if role == Role::Leader {
            assert_eq!(answer, Ok(()));
        } else {
            assert_eq!(
                answer,
                Err(Denied::Forbidden("this needs the role leader")),
                "{role}"
            );
        }
    }
}

#[test]
fn only_admins_and_leaders_read_the_audit_trail_and_the_others_are_told_why() {
    for (role, unit_id) in WHO {
        let answer = permit(&actor(role, unit_id), &Action::ReadAudit);
        if matches!(role, Role::Admin | Role::Leader) {
            assert_eq!(answer, Ok(()), "{role}");
        } else {
            assert_eq!(
                answer,
                Err(Denied::Forbidden(
                    "the audit trail is for admins and leaders"
                )),
                "{role}"
            );
        }
    }
}

#[test]
fn a_manager_asking_for_another_units_figures_is_told_so() {
    // Two refusals, two explanations: no figures at all, or not this unit.
    let manager = actor(Role::Manager, Some(TEAM));
    let frontline = actor(Role::Frontline, Some(TEAM));
    let other = Action::Metrics {
        view: OVERVIEW,
        unit: Some(OTHER_TEAM),
    };
    assert_eq!(
        permit(&manager, &other),
        Err(Denied::Forbidden(
            "a manager reads their own team's figures only"
        ))
    );
    assert_eq!(
        permit(&frontline, &other),
        Err(Denied::Forbidden(
            "leaders read the metrics; managers their own team's"
        ))
    );
}

// ──────────────────────────────────────────────────────────────── properties

/// A few units, so that random ones often are the actor's own.
fn any_unit() -> impl Strategy<Value = Uuid> {
    prop_oneof![
        Just(TEAM),
        Just(OTHER_TEAM),
        Just(SERVICE),
        Just(LEADERSHIP)
    ]
}

fn any_kind() -> impl Strategy<Value = UnitKind> {
    proptest::sample::select(UnitKind::ALL)
}

fn any_view() -> impl Strategy<Value = MetricsView> {
    prop_oneof![
        Just(MetricsView::Overview),
        Just(MetricsView::ByUnit),
        Just(MetricsView::ByCategory),
        Just(MetricsView::Trend),
    ]
}

fn any_action() -> impl Strategy<Value = Action> {
    let plain = proptest::sample::select(
        MATRIX
            .iter()
            .map(|(action, _)| *action)
            .filter(|a| {
                !matches!(
                    a,
                    Action::Metrics { .. }
                        | Action::CreateInitiative { .. }
                        | Action::UpdateInitiative { .. }
                )
            })
            .collect::<Vec<_>>(),
    );
    prop_oneof![
        plain,
        (any_view(), proptest::option::of(any_unit()))
            .prop_map(|(view, unit)| Action::Metrics { view, unit }),
        proptest::option::of((any_unit(), any_kind())).prop_map(|u| Action::CreateInitiative {
            unit: u.map(|(id, kind)| UnitRef { id, kind }),
        }),
        proptest::option::of(any_unit()).prop_map(|unit_id| Action::UpdateInitiative { unit_id }),
    ]
}

fn any_member() -> impl Strategy<Value = Actor> {
    (
        any::<u128>(),
        proptest::sample::select(Role::ALL),
        any_unit(),
    )
        .prop_map(|(id, role, unit)| Actor {
            id: Uuid::from_u128(id),
            role,
            unit_id: (role != Role::Admin).then_some(unit),
        })
}

/// What shows requests or figures.
fn shows_requests_or_figures(action: &Action) -> bool {
    matches!(
        action,
        Action::ExportRequests
            | Action::Metrics { .. }
            | Action::Engagement
            | Action::ListInitiatives
            | Action::ReadInitiative
            | Action::CreateInitiative { .. }
            | Action::UpdateInitiative { .. }
            | Action::LinkToInitiative
            | Action::InitiativeSuggestions
            | Action::ListWebhooks
            | Action::ReadWebhook
            | Action::CreateWebhook
            | Action::DeleteWebhook
            | Action::ListDeliveries
            | Action::EraseCustomerData
    )
}

proptest! {
    #[test]
    fn an_admin_never_reads_request_content_or_figures(
        id in any::<u128>(),
        action in any_action(),
    ) {
        let admin = Actor { id: Uuid::from_u128(id), role: Role::Admin, unit_id: None };
        if shows_requests_or_figures(&action) {
            prop_assert!(permit(&admin, &action).is_err(), "{action:?}");
        }
    }

    #[test]
    fn a_manager_reads_the_figures_of_their_team_and_of_no_other_unit(
        team in any_unit(),
        asked in any_unit(),
        view in any_view(),
    ) {
        let manager = actor(Role::Manager, Some(team));
        let answer = permit(&manager, &Action::Metrics { view, unit: Some(asked) });
        prop_assert_eq!(answer.is_ok(), asked == team);
    }

    #[test]
    fn only_leaders_and_managers_read_figures(
        member in any_member(),
        view in any_view(),
        unit in proptest::option::of(any_unit()),
    ) {
        let answer = permit(&member, &Action::Metrics { view, unit });
        if answer.is_ok() {
            prop_assert!(matches!(member.role, Role::Leader | Role::Manager));
        }
    }

    #[test]
    fn who_the_member_is_never_matters_only_their_role_and_unit(
        member in any_member(),
        other_id in any::<u128>(),
        action in any_action(),
    ) {
        let twin = Actor { id: Uuid::from_u128(other_id), ..member };
        prop_assert_eq!(permit(&member, &action), permit(&twin, &action));
    }

    #[test]
    fn whatever_a_member_may_do_for_a_unit_they_may_ask_before_it_is_known(
        member in any_member(),
        unit in any_unit(),
        kind in any_kind(),
    ) {
        // The API asks with `None` before it reads the body: that gate must
        // never refuse what the answer with the unit would allow.
        let pairs = [
            (
                Action::CreateInitiative { unit: Some(UnitRef { id: unit, kind }) },
                Action::CreateInitiative { unit: None },
            ),
            (
                Action::UpdateInitiative { unit_id: Some(unit) },
                Action::UpdateInitiative { unit_id: None },
            ),
            (
                Action::Metrics { view: OVERVIEW, unit: Some(unit) },
                Action::Metrics { view: OVERVIEW, unit: None },
            ),
        ];
        for (known, before) in pairs {
            let allowed = permit(&member, &known).is_ok();
            let gate = permit(&member, &before).is_ok();
            prop_assert!(!allowed || gate, "{:?} allowed but {:?} refused", known, before);
        }
    }
}
