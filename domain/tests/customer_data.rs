#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Customers' personal data: who may erase it, what erasing changes and
//! what it keeps, and when the automatic erasure is due.

use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use upturn_domain::customer_data::{KeepDays, due, erase_on_demand, erase_when_due};
use upturn_domain::lifecycle::Request;
use upturn_domain::{Actor, Channel, EventType, Kind, Level, Refusal, Role, Status, Urgency};

const TEAM: Uuid = Uuid::from_u128(0x01);
const OTHER_TEAM: Uuid = Uuid::from_u128(0x02);
const SERVICE: Uuid = Uuid::from_u128(0x10);
const OTHER_SERVICE: Uuid = Uuid::from_u128(0x11);
const LEADERSHIP: Uuid = Uuid::from_u128(0x20);

fn at(day: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 9, 0, 0).unwrap() + Duration::days(i64::from(day))
}

fn actor(role: Role, unit_id: Option<Uuid>) -> Actor {
    Actor {
        id: Uuid::from_u128(0x99),
        role,
        unit_id,
    }
}

/// A request of `TEAM`, routed to `SERVICE`, closed on day 10.
fn closed_request() -> Request {
    Request {
        id: Uuid::from_u128(0x500),
        number: 42,
        kind: Kind::UnmetNeed,
        category: "availability".to_owned(),
        urgency: Urgency::High,
        channel: Channel::InPerson,
        title: "Trousers in size 44".to_owned(),
        description: "She left without them.".to_owned(),
        customer_expectation: "Find size 44 in store".to_owned(),
        customer_name: Some("Mme Lefèvre".to_owned()),
        customer_contact: Some("+33 6 12 34 56 78".to_owned()),
        customer_consent: true,
        status: Status::Closed,
        level: Level::Frontline,
        unit_id: TEAM,
        team_id: TEAM,
        filed_by: Uuid::from_u128(0x1001),
        assignee_id: None,
        version: 7,
        tracking_code: Some("K7QF-2M9X".to_owned()),
        sla_acknowledge_seconds: 3600,
        sla_resolve_seconds: 86_400,
        acknowledge_by: at(0) + Duration::hours(1),
        resolve_by: at(1),
        acknowledge_breached_at: None,
        resolve_breached_at: None,
        resolved_level: Some(Level::Service),
        resolved_unit_id: Some(SERVICE),
        resolution_note: Some("Ordered for every store".to_owned()),
        reopen_count: 0,
        filed_at: at(0),
        arrived_at: at(0),
        acknowledged_at: Some(at(0)),
        resolved_at: Some(at(2)),
        closed_at: Some(at(10)),
        updated_at: at(10),
        initiative_id: None,
    }
}

const ROUTED: &[Uuid] = &[SERVICE];

#[test]
fn a_leader_erases_the_name_and_contact_and_nothing_else() {
    let before = closed_request();
    let leader = actor(Role::Leader, Some(LEADERSHIP));
    let outcome = erase_on_demand(&before, ROUTED, &leader, at(11))
        .unwrap()
        .expect("there was something to erase");

    let mut expected = before.clone();
    expected.customer_name = None;
    expected.customer_contact = None;
    expected.version = 8;
    expected.updated_at = at(11);
    assert_eq!(
        outcome.request, expected,
        "consent, texts, times and code stay"
    );

    let event = outcome.event;
    assert_eq!(event.kind, EventType::CustomerDataErased);
    assert_eq!(event.actor_id, Some(leader.id));
    assert_eq!(event.note, None, "the event never says what was erased");
    assert_eq!((event.from_status, event.to_status), (None, None));
    assert_eq!((event.from_level, event.to_level), (None, None));
    assert_eq!(event.at, at(11));
    assert!(outcome.follow_up.is_none() && outcome.routed_to.is_none());
}

#[test]
fn an_open_request_is_erased_on_demand_too() {
    let mut open = closed_request();
    open.status = Status::InProgress;
    open.closed_at = None;
    let leader = actor(Role::Leader, Some(LEADERSHIP));
    let outcome = erase_on_demand(&open, ROUTED, &leader, at(3))
        .unwrap()
        .unwrap();
    assert_eq!(outcome.request.status, Status::InProgress);
    assert_eq!(outcome.request.customer_name, None);
}

#[test]
fn erasing_again_changes_nothing_and_writes_no_event() {
    let leader = actor(Role::Leader, Some(LEADERSHIP));
    let erased = erase_on_demand(&closed_request(), ROUTED, &leader, at(11))
        .unwrap()
        .unwrap()
        .request;
    assert_eq!(erase_on_demand(&erased, ROUTED, &leader, at(12)), Ok(None));
    assert_eq!(
        erase_when_due(&erased, KeepDays::new(0).unwrap(), at(500)),
        None
    );

    // A request filed without a customer has nothing to erase either.
    let mut anonymous = closed_request();
    anonymous.customer_name = None;
    anonymous.customer_contact = None;
    anonymous.customer_consent = false;
    assert_eq!(
        erase_on_demand(&anonymous, ROUTED, &leader, at(11)),
        Ok(None)
    );

    // A name alone, or a contact alone, is still personal data.
    let mut contact_only = closed_request();
    contact_only.customer_name = None;
    assert!(
        erase_on_demand(&contact_only, ROUTED, &leader, at(11))
            .unwrap()
            .is_some()
    );
}

#[test]
fn who_sees_the_request_is_told_forbidden_who_does_not_is_told_not_found() {
    let request = closed_request();
    let forbidden = Refusal::Forbidden("this needs the role leader");
    let cases = [
        (actor(Role::Frontline, Some(TEAM)), Err(forbidden)),
        (actor(Role::Manager, Some(TEAM)), Err(forbidden)),
        (actor(Role::Service, Some(SERVICE)), Err(forbidden)),
        (
            actor(Role::Frontline, Some(OTHER_TEAM)),
            Err(Refusal::NotFound),
        ),
        (
            actor(Role::Manager, Some(OTHER_TEAM)),
            Err(Refusal::NotFound),
        ),
        (
            actor(Role::Service, Some(OTHER_SERVICE)),
            Err(Refusal::NotFound),
        ),
        (actor(Role::Admin, None), Err(Refusal::NotFound)),
    ];
    for (who, expected) in cases {
        assert_eq!(
            erase_on_demand(&request, ROUTED, &who, at(11)).map(|_| ()),
            expected,
            "{who:?}"
        );
    }
}

#[test]
fn the_automatic_erasure_is_due_the_set_number_of_days_after_closing() {
    let request = closed_request();
    let ninety = KeepDays::DEFAULT;
    assert_eq!(ninety.get(), 90);
    let closed = request.closed_at.unwrap();

    assert!(!due(
        &request,
        ninety,
        closed + Duration::days(90) - Duration::seconds(1)
    ));
    assert_eq!(
        erase_when_due(&request, ninety, closed + Duration::days(89)),
        None
    );
    assert!(due(&request, ninety, closed + Duration::days(90)));

    let outcome = erase_when_due(&request, ninety, closed + Duration::days(91)).unwrap();
    assert_eq!(outcome.event.kind, EventType::CustomerDataErased);
    assert_eq!(
        outcome.event.actor_id, None,
        "the service erases on its own"
    );
    assert_eq!(outcome.request.customer_contact, None);
    assert_eq!(outcome.request.version, request.version + 1);

    // Zero days: due as soon as it is closed.
    assert!(due(&request, KeepDays::new(0).unwrap(), closed));
}

#[test]
fn a_request_that_is_not_closed_is_never_erased_automatically() {
    let keep = KeepDays::new(0).unwrap();
    for status in [
        Status::New,
        Status::Acknowledged,
        Status::InProgress,
        Status::Resolved,
        Status::Declined,
    ] {
        let mut request = closed_request();
        request.status = status;
        request.closed_at = None;
        assert_eq!(erase_when_due(&request, keep, at(1_000)), None, "{status}");
    }
    // Reopened after a close would clear `closed_at`; a stale one alone
    // does not make an open request due.
    let mut reopened = closed_request();
    reopened.status = Status::InProgress;
    assert!(!due(&reopened, keep, at(1_000)));
}

#[test]
fn the_number_of_days_is_bounded() {
    assert!(KeepDays::new(0).is_ok());
    assert!(KeepDays::new(KeepDays::MAX).is_ok());
    let too_long = KeepDays::new(KeepDays::MAX + 1).unwrap_err();
    assert_eq!(too_long.got, KeepDays::MAX + 1);
    assert!(too_long.to_string().contains("at most"));
}
