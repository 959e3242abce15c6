//! Leadership metrics through the real HTTP server. One seeded fortnight
//! with every timestamp fixed by the store's clock, and every figure of the
//! overview checked against a value worked out by hand from
//! docs/metrics.md: for the organisation over a period that cuts through
//! days (whole days from the roll-ups, ragged ends from the requests), for
//! a service's scope, per category, per unit, per ISO week and over the
//! default period. The same literals hold on SQLite and PostgreSQL, so the
//! two backends agree to the second. Also: who may read the figures, the
//! refusals, the empty case (`null`, never NaN) and the configurable
//! silent-dissatisfaction multiplier.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use common::{Member, Org, TestApp, org};
use serde_json::{Value, json};
use upturn_api::config::Settings;

on_both_backends!(
    who_may_read_the_metrics,
    bad_periods_and_units_are_refused,
    an_empty_period_is_null_never_nan
);

on_both_backends!(with quiet_sweeper; every_figure_of_a_seeded_fortnight);
on_both_backends!(with multiplier_7; the_silent_multiplier_is_configurable);

/// The sweeper stays out of the way: deadlines are flagged by hand.
fn quiet_sweeper(settings: &mut Settings) {
    settings.sla_sweep_seconds = 3600;
}

fn multiplier_7(settings: &mut Settings) {
    settings.silent_multiplier = 7;
}

/// docs/metrics.md: the sentence that always comes with the estimate.
const SILENT_NOTE: &str = "Estimate, not a measurement: expressed dissatisfaction times the multiplier, a rule of thumb that only about one dissatisfied customer in that many speaks up.";

/// The overview's period: Monday 2 March 2026 06:00 to Friday 6 March 18:00
/// (ISO week 2026-W10). Whole days 3, 4 and 5 March come from the roll-ups;
/// 2 March 06:00–24:00 and 6 March 00:00–18:00 from the requests.
const FROM: &str = "2026-03-02T06:00:00Z";
const TO: &str = "2026-03-06T18:00:00Z";
/// When the figures are read: ages the backlog.
const NOW: &str = "2026-03-12T12:00:00Z";

fn t(at: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(at)
        .unwrap_or_else(|e| panic!("{at}: {e}"))
        .with_timezone(&Utc)
}

// ───────────────────────────────────────────────────────── comparing figures

/// Asserts `actual` is `expected`: the same keys everywhere (so a volume
/// map holds only values that occur), integers equal, fractions equal
/// exactly when they have a short binary expansion (0.25, 0.8 is not one)
/// and within 1e-12 otherwise. Lists every difference at once.
#[track_caller]
fn assert_figures(actual: &Value, expected: &Value, what: &str) {
    let mut diffs = Vec::new();
    compare("", actual, expected, &mut diffs);
    assert!(
        diffs.is_empty(),
        "{what}: {} figure(s) differ from docs/metrics.md\n  {}\nthe answer: {actual:#}",
        diffs.len(),
        diffs.join("\n  ")
    );
}

fn compare(path: &str, actual: &Value, expected: &Value, diffs: &mut Vec<String>) {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => {
            let keys: BTreeSet<&String> = a.keys().chain(e.keys()).collect();
            for key in keys {
                let here = format!("{path}.{key}");
                match (a.get(key), e.get(key)) {
                    (Some(a), Some(e)) => compare(&here, a, e, diffs),
                    (None, Some(e)) => diffs.push(format!("{here}: missing, expected {e}")),
                    (Some(a), None) => diffs.push(format!("{here}: {a}, expected no such key")),
                    (None, None) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(e)) => {
            if a.len() != e.len() {
                diffs.push(format!("{path}: {} items, expected {}", a.len(), e.len()));
            }
            for (i, (a, e)) in a.iter().zip(e).enumerate() {
                compare(&format!("{path}[{i}]"), a, e, diffs);
            }
        }
        (Value::Number(a), Value::Number(e)) if e.is_f64() => {
            let (Some(x), Some(y)) = (a.as_f64().filter(|_| a.is_f64()), e.as_f64()) else {
                diffs.push(format!("{path}: {a}, expected the fraction {e}"));
                return;
            };
            let exact = (y * 1024.0).fract() == 0.0;
            let equal = if exact {
                x == y
            } else {
                (x - y).abs() <= 1e-12
            };
            if !equal {
                diffs.push(format!("{path}: {x}, expected {y}"));
            }
        }
        (a, e) => {
            if a != e {
                diffs.push(format!("{path}: {a}, expected {e}"));
            }
        }
    }
}

/// `head` (period, unit_id, week…) followed by the figures.
fn merged(head: Value, figures: Value) -> Value {
    let mut out = head;
    let (Value::Object(out_map), Value::Object(figures)) = (&mut out, figures) else {
        panic!("objects only");
    };
    out_map.extend(figures);
    out
}

fn silent(expressed: u64, multiplier: u64) -> Value {
    json!({
        "expressed": expressed,
        "multiplier": multiplier,
        "estimated": expressed * multiplier,
        "note": SILENT_NOTE
    })
}

/// The figures of no requests at all: counts 0, everything else `null`.
fn empty_figures() -> Value {
    json!({
        "volume": {"total": 0, "by_kind": {}, "by_category": {}, "by_status": {}, "by_level": {}},
        "backlog": {"open": 0, "age_seconds": {"median": null, "p90": null, "max": null}},
        "time_to_acknowledge_seconds": {"median": null, "p90": null},
        "time_to_resolve_seconds": {"median": null, "p90": null},
        "sla_compliance": null,
        "frontline_resolution_share": null,
        "follow_up_rate": null,
        "satisfaction": {"mean": null, "share_4_or_more": null, "responses": 0},
        "nps": {"score": null, "responses": 0},
        "reopen_rate": null,
        "declined_share": null,
        "silent_dissatisfaction": silent(0, 10)
    })
}

async fn read_figures(app: &TestApp, token: &str, path: &str) -> Value {
    app.get(path, token).await.expect(200).body
}

/// Every item of `/metrics/by-unit`, page after page of `limit` units.
async fn every_unit(app: &TestApp, token: &str, query: &str, limit: u32) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..20 {
        let page_query = match &cursor {
            Some(c) => format!("{query}&limit={limit}&cursor={c}"),
            None => format!("{query}&limit={limit}"),
        };
        let page = read_figures(app, token, &format!("/api/v1/metrics/by-unit?{page_query}")).await;
        let got = page["items"].as_array().unwrap();
        assert!(got.len() <= limit as usize, "a page holds at most `limit`");
        items.extend(got.iter().cloned());
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return items,
        }
    }
    panic!("by-unit never reached its last page");
}

fn by_key(items: &[Value], key: &str) -> BTreeMap<String, Value> {
    items
        .iter()
        .map(|item| (item[key].as_str().unwrap().to_owned(), item.clone()))
        .collect()
}

// ───────────────────────────────────────────────────────────── the seeding

/// Acts on requests with the store's clock stopped at the instant given, so
/// every timestamp the server writes is known.
struct Desk<'a> {
    app: &'a TestApp,
}

fn body_of(kind: &str, category: &str, urgency: &str) -> Value {
    json!({
        "kind": kind,
        "category": category,
        "urgency": urgency,
        "channel": "in_person",
        "title": format!("A {kind} about {category}"),
        "description": "What the customer said.",
        "customer_expectation": "An answer",
        "customer": {"name": "A customer", "contact": "+33 6 00 00 00 00", "consent_follow_up": true}
    })
}

impl Desk<'_> {
    async fn file_body(&self, who: &Member, at: &str, body: Value) -> String {
        self.app.store.clock().set(t(at));
        let filed = self
            .app
            .post("/api/v1/requests", &who.token, body)
            .await
            .expect(201);
        assert_eq!(
            t(filed.body["filed_at"].as_str().unwrap()),
            t(at),
            "filed at the clock's time"
        );
        filed.id()
    }

    /// Files a request; it waits, `new`, with the filer's managers.
    async fn file(
        &self,
        who: &Member,
        at: &str,
        kind: &str,
        category: &str,
        urgency: &str,
    ) -> String {
        self.file_body(who, at, body_of(kind, category, urgency))
            .await
    }

    /// Files a request the front line resolved on the spot.
    async fn file_resolved(
        &self,
        who: &Member,
        at: &str,
        kind: &str,
        category: &str,
        urgency: &str,
    ) -> String {
        let mut body = body_of(kind, category, urgency);
        body["resolved_on_the_spot"] = json!({"note": "Done on the spot"});
        self.file_body(who, at, body).await
    }

    async fn act(&self, who: &Member, at: &str, id: &str, action: &str, body: Value) -> Value {
        self.app.store.clock().set(t(at));
        self.app
            .post(&format!("/api/v1/requests/{id}/{action}"), &who.token, body)
            .await
            .expect(200)
            .body
    }

    async fn acknowledge(&self, who: &Member, at: &str, id: &str) {
        let done = self.act(who, at, id, "acknowledge", json!({})).await;
        assert_eq!(done["status"], "acknowledged");
    }

    async fn route(&self, who: &Member, at: &str, id: &str, unit: &str) {
        let body = json!({"to_unit_id": unit, "note": "For the unit below"});
        let done = self.act(who, at, id, "route", body).await;
        assert_eq!(done["status"], "new");
    }

    async fn start(&self, who: &Member, at: &str, id: &str) {
        let body = json!({"status": "in_progress"});
        let done = self.act(who, at, id, "status", body).await;
        assert_eq!(done["status"], "in_progress");
    }

    /// Resolves (or declines) and answers the level that answered.
    async fn answer(&self, who: &Member, at: &str, id: &str, status: &str) -> String {
        let body = json!({"status": status, "note": "The answer"});
        let done = self.act(who, at, id, "status", body).await;
        assert_eq!(done["status"], status);
        assert_eq!(t(done["resolved_at"].as_str().unwrap()), t(at));
        done["resolved_level"].as_str().unwrap().to_owned()
    }

    async fn follow_up(&self, who: &Member, at: &str, id: &str, body: Value) -> Value {
        self.act(who, at, id, "follow-up", body).await
    }
}

/// The ids of the seeded requests, by the letters the expected values use.
struct Seeded {
    r_old: String,
    x0: String,
    x1: String,
    x2: String,
    y: String,
    others: BTreeMap<char, String>,
}

/// Seeds the fortnight, in the order things happen. Inside the period
/// `[FROM, TO)` (13 requests):
///
/// | | filed (March) | by | kind, category, urgency | what happens | ends |
/// |---|---|---|---|---|---|
/// | A | 2nd 06:00 = `from` | front_a | improvement, product, normal | ack +1800 s, resolved by manager +14400 s, follow-up reached 5 / 10 | closed |
/// | B | 2nd 09:00 | front_a | praise, staff, low | resolved on the spot (0 s), follow-up reached 4 / 8 | closed |
/// | C | 2nd 14:00 | front_b | need, availability, high | resolved by the front line at manager level +3600 s, customer not reached | closed |
/// | K | 2nd 20:00 | front_a | unmet_need, other, low | ack +43200 s | open, acknowledged |
/// | D | 3rd 09:00 | front_a | unmet_need, availability, normal | routed to service 1 at 10:00 before any ack, acked 10:29:55 (+1795 s from the routing), resolved by service +21600 s, reached 3 / 7 | closed |
/// | E | 3rd 11:00 | front_b | idea, product, normal | ack +2700 s, service 2, escalated to leadership, resolved by leadership +86400 s, reached 4 / 9 | closed |
/// | F | 3rd 16:00 | front_a | improvement, price, normal | ack +600 s, declined by manager, reached 2 / 3 | closed (declined) |
/// | G | 4th 09:00 | front_a | need, service, normal | ack +300 s, service 1, resolved, follow-up 1 / 2 reopens it, resolved again +87000 s, reached 4 / 10 | closed |
/// | H | 4th 10:00 | front_b | improvement, premises, critical | ack +720 s, resolved 15:00 after `resolve_by` 14:00 (no sweep), not reached | closed, SLA missed |
/// | I | 5th 08:00 | front_a | need, product, high | ack +2400 s, service 1 acks; the sweep on the 6th 09:00 flags `resolve_by` | open, breached |
/// | N | 5th 11:00 | front_b | idea, service, high | ack +2100 s, service 1 declines | declined, no follow-up |
/// | L | 5th 14:00 | front_b | improvement, price, low | escalated straight to leadership 15:00, put in progress 15:50 (+3000 s) | open, in progress |
/// | J | 6th 10:00 | front_b | praise, staff, low | nothing | open, new |
///
/// Outside it: R_old (10 February 11:00, before the default period), X0
/// (2nd 05:00, an hour before `from`), X1 (6th 18:00, exactly `to`), X2
/// (6th 20:00) and Y (10th, week 11).
async fn seed(app: &TestApp, org: &Org) -> Seeded {
    let desk = Desk { app };
    let (fa, ma, fb, mb) = (&org.front_a, &org.manager_a, &org.front_b, &org.manager_b);
    let (s1, s2, leader) = (&org.service1, &org.service2, &org.leader);
    let reached = |satisfaction: u8, would_recommend: u8| {
        json!({"customer_reached": true, "satisfaction": satisfaction,
               "would_recommend": would_recommend, "note": "Called back"})
    };
    let not_reached = json!({"customer_reached": false, "note": "No answer"});
    let mut others = BTreeMap::new();

    let r_old = desk
        .file_resolved(fa, "2026-02-10T11:00:00Z", "need", "other", "normal")
        .await;
    let x0 = desk
        .file_resolved(fa, "2026-03-02T05:00:00Z", "need", "product", "normal")
        .await;

    // Monday 2 March, the ragged head of the period.
    let a = desk
        .file(
            fa,
            "2026-03-02T06:00:00Z",
            "improvement",
            "product",
            "normal",
        )
        .await;
    desk.acknowledge(ma, "2026-03-02T06:30:00Z", &a).await;
    let b = desk
        .file_resolved(fa, "2026-03-02T09:00:00Z", "praise", "staff", "low")
        .await;
    desk.follow_up(fa, "2026-03-02T09:30:00Z", &b, reached(4, 8))
        .await;
    let level = desk
        .answer(ma, "2026-03-02T10:00:00Z", &a, "resolved")
        .await;
    assert_eq!(level, "manager");
    desk.follow_up(fa, "2026-03-02T12:00:00Z", &a, reached(5, 10))
        .await;
    let c = desk
        .file(fb, "2026-03-02T14:00:00Z", "need", "availability", "high")
        .await;
    let level = desk
        .answer(fb, "2026-03-02T15:00:00Z", &c, "resolved")
        .await;
    assert_eq!(
        level, "frontline",
        "a team member resolved it at manager level"
    );
    desk.follow_up(fb, "2026-03-02T16:00:00Z", &c, not_reached.clone())
        .await;
    let k = desk
        .file(fa, "2026-03-02T20:00:00Z", "unmet_need", "other", "low")
        .await;

    // Tuesday 3 March.
    desk.acknowledge(ma, "2026-03-03T08:00:00Z", &k).await;
    let d = desk
        .file(
            fa,
            "2026-03-03T09:00:00Z",
            "unmet_need",
            "availability",
            "normal",
        )
        .await;
    desk.route(ma, "2026-03-03T10:00:00Z", &d, &org.service_1)
        .await;
    desk.acknowledge(s1, "2026-03-03T10:29:55Z", &d).await;
    let e = desk
        .file(fb, "2026-03-03T11:00:00Z", "idea", "product", "normal")
        .await;
    desk.acknowledge(mb, "2026-03-03T11:45:00Z", &e).await;
    desk.route(mb, "2026-03-03T12:00:00Z", &e, &org.service_2)
        .await;
    desk.acknowledge(s2, "2026-03-03T12:30:00Z", &e).await;
    desk.route(s2, "2026-03-03T13:00:00Z", &e, &org.leadership)
        .await;
    let level = desk
        .answer(s1, "2026-03-03T15:00:00Z", &d, "resolved")
        .await;
    assert_eq!(level, "service");
    desk.follow_up(fa, "2026-03-03T15:30:00Z", &d, reached(3, 7))
        .await;
    let f = desk
        .file(fa, "2026-03-03T16:00:00Z", "improvement", "price", "normal")
        .await;
    desk.acknowledge(ma, "2026-03-03T16:10:00Z", &f).await;
    desk.answer(ma, "2026-03-03T17:00:00Z", &f, "declined")
        .await;
    desk.follow_up(fa, "2026-03-03T18:00:00Z", &f, reached(2, 3))
        .await;

    // Wednesday 4 March.
    let g = desk
        .file(fa, "2026-03-04T09:00:00Z", "need", "service", "normal")
        .await;
    desk.acknowledge(ma, "2026-03-04T09:05:00Z", &g).await;
    desk.route(ma, "2026-03-04T09:30:00Z", &g, &org.service_1)
        .await;
    desk.start(s1, "2026-03-04T10:00:00Z", &g).await;
    let h = desk
        .file(
            fb,
            "2026-03-04T10:00:00Z",
            "improvement",
            "premises",
            "critical",
        )
        .await;
    desk.acknowledge(mb, "2026-03-04T10:12:00Z", &h).await;
    let level = desk
        .answer(leader, "2026-03-04T11:00:00Z", &e, "resolved")
        .await;
    assert_eq!(level, "leadership");
    desk.answer(s1, "2026-03-04T12:00:00Z", &g, "resolved")
        .await;
    desk.follow_up(fb, "2026-03-04T12:30:00Z", &e, reached(4, 9))
        .await;
    let mut reopen = reached(1, 2);
    reopen["reopen"] = json!(true);
    let reopened = desk.follow_up(fa, "2026-03-04T13:00:00Z", &g, reopen).await;
    assert_eq!(reopened["status"], "in_progress");
    assert_eq!(reopened["level"], "service");
    let resolved_late = desk
        .act(
            mb,
            "2026-03-04T15:00:00Z",
            &h,
            "status",
            json!({"status": "resolved", "note": "Fixed"}),
        )
        .await;
    assert_eq!(
        t(resolved_late["sla"]["resolve_by"].as_str().unwrap()),
        t("2026-03-04T14:00:00Z"),
        "critical: resolve within 4 h"
    );
    assert_eq!(resolved_late["sla"]["breached"], false, "never swept");
    desk.follow_up(fb, "2026-03-04T16:00:00Z", &h, not_reached.clone())
        .await;

    // Thursday 5 March.
    let i = desk
        .file(fa, "2026-03-05T08:00:00Z", "need", "product", "high")
        .await;
    desk.acknowledge(ma, "2026-03-05T08:40:00Z", &i).await;
    desk.route(ma, "2026-03-05T09:00:00Z", &i, &org.service_1)
        .await;
    let level = desk
        .answer(s1, "2026-03-05T09:10:00Z", &g, "resolved")
        .await;
    assert_eq!(level, "service");
    desk.acknowledge(s1, "2026-03-05T09:15:00Z", &i).await;
    let n = desk
        .file(fb, "2026-03-05T11:00:00Z", "idea", "service", "high")
        .await;
    desk.follow_up(fa, "2026-03-05T11:05:00Z", &g, reached(4, 10))
        .await;
    desk.acknowledge(mb, "2026-03-05T11:35:00Z", &n).await;
    desk.route(mb, "2026-03-05T11:40:00Z", &n, &org.service_1)
        .await;
    desk.answer(s1, "2026-03-05T12:00:00Z", &n, "declined")
        .await;
    let l = desk
        .file(fb, "2026-03-05T14:00:00Z", "improvement", "price", "low")
        .await;
    desk.route(mb, "2026-03-05T15:00:00Z", &l, &org.leadership)
        .await;
    desk.start(leader, "2026-03-05T15:50:00Z", &l).await;

    // Friday 6 March: only I is past a deadline (resolve_by 08:00).
    let flagged = app
        .store
        .sweep_sla(t("2026-03-06T09:00:00Z"))
        .await
        .unwrap();
    assert_eq!(
        flagged, 1,
        "the sweep flags I's resolve deadline and nothing else"
    );
    let breached = app
        .get(&format!("/api/v1/requests/{i}"), &leader.token)
        .await
        .expect(200);
    assert_eq!(breached.body["sla"]["breached"], true);
    let j = desk
        .file(fb, "2026-03-06T10:00:00Z", "praise", "staff", "low")
        .await;
    let x1 = desk
        .file(fa, "2026-03-06T18:00:00Z", "unmet_need", "price", "normal")
        .await;
    let x2 = desk
        .file(fb, "2026-03-06T20:00:00Z", "idea", "other", "normal")
        .await;
    desk.answer(mb, "2026-03-06T21:00:00Z", &x2, "declined")
        .await;

    // Week 11.
    let y = desk
        .file(
            fa,
            "2026-03-10T09:00:00Z",
            "improvement",
            "product",
            "normal",
        )
        .await;
    desk.acknowledge(ma, "2026-03-10T09:10:00Z", &y).await;
    desk.answer(ma, "2026-03-10T11:00:00Z", &y, "resolved")
        .await;
    desk.follow_up(fa, "2026-03-10T12:00:00Z", &y, reached(5, 6))
        .await;

    app.store.clock().set(t(NOW));
    for (letter, id) in [
        ('A', a),
        ('B', b),
        ('C', c),
        ('D', d),
        ('E', e),
        ('F', f),
        ('G', g),
        ('H', h),
        ('I', i),
        ('J', j),
        ('K', k),
        ('L', l),
        ('N', n),
    ] {
        others.insert(letter, id);
    }
    Seeded {
        r_old,
        x0,
        x1,
        x2,
        y,
        others,
    }
}

// ──────────────────────────────────────────────── the seeded fortnight

/// The organisation over `[FROM, TO)`, worked out by hand.
fn organisation_in_period() -> Value {
    json!({
        "volume": {
            // A B C D E F G H I J K L N; not X0 (05:00 < from), X1 (= to), X2 (> to).
            "total": 13,
            // improvement A F H L; need C G I; unmet_need D K; idea E N; praise B J.
            "by_kind": {"improvement": 4, "need": 3, "unmet_need": 2, "idea": 2, "praise": 2},
            // product A E I; staff B J; availability C D; price F L; service G N; premises H; other K.
            "by_category": {"product": 3, "staff": 2, "availability": 2, "price": 2,
                            "service": 2, "premises": 1, "other": 1},
            // closed A–H; declined N; acknowledged I K; new J; in_progress L.
            "by_status": {"closed": 8, "declined": 1, "acknowledged": 2, "new": 1, "in_progress": 1},
            // frontline A–H N (answered); manager J K; service I; leadership L.
            "by_level": {"frontline": 9, "manager": 2, "service": 1, "leadership": 1}
        },
        "backlog": {
            "open": 4,
            // Now 12th 12:00. J 525600, L 597600, I 619200, K 835200
            // → median rank ceil(0.5×4)=2 → 597600; p90 rank ceil(0.9×4)=4 → 835200.
            "age_seconds": {"median": 597600, "p90": 835200, "max": 835200}
        },
        // G 300, F 600, H 720, D 1795 (from the routing, not 5395 from filing),
        // A 1800, N 2100, I 2400, E 2700, L 3000, K 43200 (B C J never acknowledged)
        // → median rank 5 → 1800 (after 1795 in the same histogram bucket);
        //   p90 rank ceil(9)=9 → 3000.
        "time_to_acknowledge_seconds": {"median": 1800, "p90": 3000},
        // B 0, C 3600, A 14400, H 18000, D 21600, E 86400, G 87000 (its standing
        // resolution; F and N declined) → median rank 4 → 18000; p90 rank ceil(6.3)=7 → 87000.
        "time_to_resolve_seconds": {"median": 18000, "p90": 87000},
        // kept A B C D E F G N; missed H (answered late) I (breached); J K L undecided → 8/10.
        "sla_compliance": 0.8,
        // resolved A B C D E G H; at the front line B C → 2/7.
        "frontline_resolution_share": 2.0 / 7.0,
        // closed reached A B D E G (C H not reached) → 5/7.
        "follow_up_rate": 5.0 / 7.0,
        // A5 B4 D3 E4 F2 G1 G4 → 23/7; ≥ 4: A B E G → 4/7.
        "satisfaction": {"mean": 23.0 / 7.0, "share_4_or_more": 4.0 / 7.0, "responses": 7},
        // A10 E9 G10 promoters, B8 D7 passives, F3 G2 detractors → 100 × (3 − 2)/7.
        "nps": {"score": 100.0 / 7.0, "responses": 7},
        // answered at least once A–H N = 9; reopened G → 1/9.
        "reopen_rate": 1.0 / 9.0,
        // standing answers A–H N = 9; declined F N → 2/9.
        "declined_share": 2.0 / 9.0,
        // low scores F2 G1 + unmet needs D K + reopens G = 5 → × 10.
        "silent_dissatisfaction": silent(5, 10)
    })
}

/// Service 1's scope over `[FROM, TO)`: D, G, I, N were routed to it.
fn service_1_in_period() -> Value {
    json!({
        "volume": {
            "total": 4,
            "by_kind": {"unmet_need": 1, "need": 2, "idea": 1},
            "by_category": {"availability": 1, "service": 2, "product": 1},
            "by_status": {"closed": 2, "acknowledged": 1, "declined": 1},
            "by_level": {"frontline": 3, "service": 1}
        },
        // I only: 7 days 4 h.
        "backlog": {"open": 1, "age_seconds": {"median": 619200, "p90": 619200, "max": 619200}},
        // G 300 (the managers' ack), D 1795, N 2100, I 2400 → rank 2 → 1795; rank 4 → 2400.
        "time_to_acknowledge_seconds": {"median": 1795, "p90": 2400},
        // D 21600, G 87000 → rank 1 → 21600; rank ceil(1.8)=2 → 87000.
        "time_to_resolve_seconds": {"median": 21600, "p90": 87000},
        // kept D G N, missed I → 3/4.
        "sla_compliance": 0.75,
        // D and G resolved by the service: 0 of 2, a fact, not null.
        "frontline_resolution_share": 0.0,
        "follow_up_rate": 1.0,
        // D3 G1 G4 → 8/3; ≥ 4: one.
        "satisfaction": {"mean": 8.0 / 3.0, "share_4_or_more": 1.0 / 3.0, "responses": 3},
        // D7 passive, G2 detractor, G10 promoter → 0.
        "nps": {"score": 0.0, "responses": 3},
        // answered D G N; reopened G.
        "reopen_rate": 1.0 / 3.0,
        "declined_share": 1.0 / 3.0,
        // G1 + D unmet + G's reopen.
        "silent_dissatisfaction": silent(3, 10)
    })
}

/// Team A's scope over `[FROM, TO)`: A B D F G I K.
fn team_a_in_period() -> Value {
    json!({
        "volume": {
            "total": 7,
            "by_kind": {"improvement": 2, "praise": 1, "unmet_need": 2, "need": 2},
            "by_category": {"product": 2, "staff": 1, "availability": 1, "price": 1,
                            "service": 1, "other": 1},
            "by_status": {"closed": 5, "acknowledged": 2},
            "by_level": {"frontline": 5, "service": 1, "manager": 1}
        },
        // I 619200, K 835200 → rank 1 → 619200; rank ceil(1.8)=2 → 835200.
        "backlog": {"open": 2, "age_seconds": {"median": 619200, "p90": 835200, "max": 835200}},
        // G 300, F 600, D 1795, A 1800, I 2400, K 43200 → rank 3 → 1795; rank ceil(5.4)=6 → 43200.
        "time_to_acknowledge_seconds": {"median": 1795, "p90": 43200},
        // B 0, A 14400, D 21600, G 87000 → rank 2 → 14400; rank 4 → 87000.
        "time_to_resolve_seconds": {"median": 14400, "p90": 87000},
        // kept A B D F G, missed I.
        "sla_compliance": 5.0 / 6.0,
        // resolved A B D G; front line B.
        "frontline_resolution_share": 0.25,
        "follow_up_rate": 1.0,
        // A5 B4 D3 F2 G1 G4 → 19/6; ≥ 4: three of six.
        "satisfaction": {"mean": 19.0 / 6.0, "share_4_or_more": 0.5, "responses": 6},
        // promoters A10 G10, detractors F3 G2, passives B8 D7.
        "nps": {"score": 0.0, "responses": 6},
        // answered A B D F G; reopened G; declined F.
        "reopen_rate": 0.2,
        "declined_share": 0.2,
        // F2 G1 + D K + G's reopen.
        "silent_dissatisfaction": silent(5, 10)
    })
}

/// Team B's scope over `[FROM, TO)`: C E H J L N.
fn team_b_in_period() -> Value {
    json!({
        "volume": {
            "total": 6,
            "by_kind": {"need": 1, "idea": 2, "improvement": 2, "praise": 1},
            "by_category": {"availability": 1, "product": 1, "premises": 1, "staff": 1,
                            "price": 1, "service": 1},
            "by_status": {"closed": 3, "new": 1, "in_progress": 1, "declined": 1},
            "by_level": {"frontline": 4, "manager": 1, "leadership": 1}
        },
        // J 525600, L 597600.
        "backlog": {"open": 2, "age_seconds": {"median": 525600, "p90": 597600, "max": 597600}},
        // H 720, N 2100, E 2700, L 3000 → rank 2 → 2100; rank 4 → 3000.
        "time_to_acknowledge_seconds": {"median": 2100, "p90": 3000},
        // C 3600, H 18000, E 86400 → rank 2 → 18000; rank 3 → 86400.
        "time_to_resolve_seconds": {"median": 18000, "p90": 86400},
        // kept C E N, missed H.
        "sla_compliance": 0.75,
        // resolved C E H; front line C.
        "frontline_resolution_share": 1.0 / 3.0,
        // reached E only.
        "follow_up_rate": 1.0 / 3.0,
        "satisfaction": {"mean": 4.0, "share_4_or_more": 1.0, "responses": 1},
        "nps": {"score": 100.0, "responses": 1},
        // answered C E H N, none reopened; declined N.
        "reopen_rate": 0.0,
        "declined_share": 0.25,
        "silent_dissatisfaction": silent(0, 10)
    })
}

/// Service 2's scope over `[FROM, TO)`: E only.
fn service_2_in_period() -> Value {
    json!({
        "volume": {
            "total": 1,
            "by_kind": {"idea": 1},
            "by_category": {"product": 1},
            "by_status": {"closed": 1},
            "by_level": {"frontline": 1}
        },
        "backlog": {"open": 0, "age_seconds": {"median": null, "p90": null, "max": null}},
        "time_to_acknowledge_seconds": {"median": 2700, "p90": 2700},
        "time_to_resolve_seconds": {"median": 86400, "p90": 86400},
        "sla_compliance": 1.0,
        // resolved by leadership.
        "frontline_resolution_share": 0.0,
        "follow_up_rate": 1.0,
        "satisfaction": {"mean": 4.0, "share_4_or_more": 1.0, "responses": 1},
        "nps": {"score": 100.0, "responses": 1},
        "reopen_rate": 0.0,
        "declined_share": 0.0,
        "silent_dissatisfaction": silent(0, 10)
    })
}

/// Leadership's scope over `[FROM, TO)`: E and L were escalated to it.
fn leadership_in_period() -> Value {
    json!({
        "volume": {
            "total": 2,
            "by_kind": {"idea": 1, "improvement": 1},
            "by_category": {"product": 1, "price": 1},
            "by_status": {"closed": 1, "in_progress": 1},
            "by_level": {"frontline": 1, "leadership": 1}
        },
        "backlog": {"open": 1, "age_seconds": {"median": 597600, "p90": 597600, "max": 597600}},
        // E 2700, L 3000.
        "time_to_acknowledge_seconds": {"median": 2700, "p90": 3000},
        "time_to_resolve_seconds": {"median": 86400, "p90": 86400},
        // E kept, L undecided.
        "sla_compliance": 1.0,
        "frontline_resolution_share": 0.0,
        "follow_up_rate": 1.0,
        "satisfaction": {"mean": 4.0, "share_4_or_more": 1.0, "responses": 1},
        "nps": {"score": 100.0, "responses": 1},
        "reopen_rate": 0.0,
        "declined_share": 0.0,
        "silent_dissatisfaction": silent(0, 10)
    })
}

/// Category `product` over `[FROM, TO)`: A E I.
fn product_in_period() -> Value {
    json!({
        "volume": {
            "total": 3,
            "by_kind": {"improvement": 1, "idea": 1, "need": 1},
            "by_category": {"product": 3},
            "by_status": {"closed": 2, "acknowledged": 1},
            "by_level": {"frontline": 2, "service": 1}
        },
        "backlog": {"open": 1, "age_seconds": {"median": 619200, "p90": 619200, "max": 619200}},
        // A 1800, I 2400, E 2700 → rank 2 → 2400; rank 3 → 2700.
        "time_to_acknowledge_seconds": {"median": 2400, "p90": 2700},
        // A 14400, E 86400.
        "time_to_resolve_seconds": {"median": 14400, "p90": 86400},
        // kept A E, missed I.
        "sla_compliance": 2.0 / 3.0,
        "frontline_resolution_share": 0.0,
        "follow_up_rate": 1.0,
        // A5 E4.
        "satisfaction": {"mean": 4.5, "share_4_or_more": 1.0, "responses": 2},
        // A10 E9.
        "nps": {"score": 100.0, "responses": 2},
        "reopen_rate": 0.0,
        "declined_share": 0.0,
        "silent_dissatisfaction": silent(0, 10)
    })
}

/// Category `price` over `[FROM, TO)`: F L (not X1, filed exactly at `to`).
fn price_in_period() -> Value {
    json!({
        "volume": {
            "total": 2,
            "by_kind": {"improvement": 2},
            "by_category": {"price": 2},
            "by_status": {"closed": 1, "in_progress": 1},
            "by_level": {"frontline": 1, "leadership": 1}
        },
        "backlog": {"open": 1, "age_seconds": {"median": 597600, "p90": 597600, "max": 597600}},
        // F 600, L 3000.
        "time_to_acknowledge_seconds": {"median": 600, "p90": 3000},
        // nothing resolved: F was declined.
        "time_to_resolve_seconds": {"median": null, "p90": null},
        "sla_compliance": 1.0,
        "frontline_resolution_share": null,
        "follow_up_rate": null,
        "satisfaction": {"mean": 2.0, "share_4_or_more": 0.0, "responses": 1},
        "nps": {"score": -100.0, "responses": 1},
        "reopen_rate": 0.0,
        "declined_share": 1.0,
        "silent_dissatisfaction": silent(1, 10)
    })
}

/// Category `service` within service 1's scope: G N.
fn service_category_of_service_1() -> Value {
    json!({
        "volume": {
            "total": 2,
            "by_kind": {"need": 1, "idea": 1},
            "by_category": {"service": 2},
            "by_status": {"closed": 1, "declined": 1},
            "by_level": {"frontline": 2}
        },
        "backlog": {"open": 0, "age_seconds": {"median": null, "p90": null, "max": null}},
        // G 300, N 2100.
        "time_to_acknowledge_seconds": {"median": 300, "p90": 2100},
        "time_to_resolve_seconds": {"median": 87000, "p90": 87000},
        "sla_compliance": 1.0,
        "frontline_resolution_share": 0.0,
        "follow_up_rate": 1.0,
        // G1 G4.
        "satisfaction": {"mean": 2.5, "share_4_or_more": 0.5, "responses": 2},
        // G2 detractor, G10 promoter.
        "nps": {"score": 0.0, "responses": 2},
        "reopen_rate": 0.5,
        "declined_share": 0.5,
        "silent_dissatisfaction": silent(2, 10)
    })
}

/// ISO week 2026-W10 whole: the period's 13 requests, X0, X1 and X2.
fn week_10() -> Value {
    json!({
        "volume": {
            "total": 16,
            "by_kind": {"improvement": 4, "need": 4, "unmet_need": 3, "idea": 3, "praise": 2},
            "by_category": {"product": 4, "staff": 2, "availability": 2, "price": 3,
                            "service": 2, "premises": 1, "other": 2},
            // X0 resolved; X1 new; X2 declined.
            "by_status": {"closed": 8, "declined": 2, "resolved": 1, "acknowledged": 2,
                          "new": 2, "in_progress": 1},
            "by_level": {"frontline": 11, "manager": 3, "service": 1, "leadership": 1}
        },
        // X1 496800, J 525600, L 597600, I 619200, K 835200
        // → rank ceil(2.5)=3 → 597600; rank ceil(4.5)=5 → 835200.
        "backlog": {"open": 5, "age_seconds": {"median": 597600, "p90": 835200, "max": 835200}},
        "time_to_acknowledge_seconds": {"median": 1800, "p90": 3000},
        // X0 0, B 0, C 3600, A 14400, H 18000, D 21600, E 86400, G 87000
        // → rank 4 → 14400; rank ceil(7.2)=8 → 87000.
        "time_to_resolve_seconds": {"median": 14400, "p90": 87000},
        // kept + X0 X2 = 10, missed H I.
        "sla_compliance": 10.0 / 12.0,
        // resolved + X0 = 8; front line B C X0.
        "frontline_resolution_share": 0.375,
        "follow_up_rate": 0.625,
        "satisfaction": {"mean": 23.0 / 7.0, "share_4_or_more": 4.0 / 7.0, "responses": 7},
        "nps": {"score": 100.0 / 7.0, "responses": 7},
        // answered A–H N X0 X2 = 11.
        "reopen_rate": 1.0 / 11.0,
        // declined F N X2.
        "declined_share": 3.0 / 11.0,
        // F2 G1 + D K X1 + G's reopen.
        "silent_dissatisfaction": silent(6, 10)
    })
}

/// ISO week 2026-W11: Y, acknowledged +600 s, resolved by the managers
/// +7200 s, reached 5 / 6.
fn week_11() -> Value {
    json!({
        "volume": {
            "total": 1,
            "by_kind": {"improvement": 1},
            "by_category": {"product": 1},
            "by_status": {"closed": 1},
            "by_level": {"frontline": 1}
        },
        "backlog": {"open": 0, "age_seconds": {"median": null, "p90": null, "max": null}},
        "time_to_acknowledge_seconds": {"median": 600, "p90": 600},
        "time_to_resolve_seconds": {"median": 7200, "p90": 7200},
        "sla_compliance": 1.0,
        "frontline_resolution_share": 0.0,
        "follow_up_rate": 1.0,
        "satisfaction": {"mean": 5.0, "share_4_or_more": 1.0, "responses": 1},
        // 6 is a detractor.
        "nps": {"score": -100.0, "responses": 1},
        "reopen_rate": 0.0,
        "declined_share": 0.0,
        "silent_dissatisfaction": silent(0, 10)
    })
}

/// The default period at `NOW`: 10 February 12:00 to 12 March 12:00, so
/// every request but R_old (10 February 11:00): week 10 and Y.
fn default_period() -> Value {
    json!({
        "volume": {
            "total": 17,
            "by_kind": {"improvement": 5, "need": 4, "unmet_need": 3, "idea": 3, "praise": 2},
            "by_category": {"product": 5, "staff": 2, "availability": 2, "price": 3,
                            "service": 2, "premises": 1, "other": 2},
            "by_status": {"closed": 9, "declined": 2, "resolved": 1, "acknowledged": 2,
                          "new": 2, "in_progress": 1},
            "by_level": {"frontline": 12, "manager": 3, "service": 1, "leadership": 1}
        },
        "backlog": {"open": 5, "age_seconds": {"median": 597600, "p90": 835200, "max": 835200}},
        // week 10's ten and Y 600 → rank ceil(5.5)=6 → 1800; rank ceil(9.9)=10 → 3000.
        "time_to_acknowledge_seconds": {"median": 1800, "p90": 3000},
        // week 10's eight and Y 7200 → rank 5 → 14400; rank ceil(8.1)=9 → 87000.
        "time_to_resolve_seconds": {"median": 14400, "p90": 87000},
        "sla_compliance": 11.0 / 13.0,
        // resolved 9, front line B C X0.
        "frontline_resolution_share": 1.0 / 3.0,
        // reached A B D E G Y.
        "follow_up_rate": 6.0 / 9.0,
        // 23 + 5 over 8; ≥ 4: five.
        "satisfaction": {"mean": 3.5, "share_4_or_more": 0.625, "responses": 8},
        // promoters 3, detractors F3 G2 Y6.
        "nps": {"score": 0.0, "responses": 8},
        "reopen_rate": 1.0 / 12.0,
        "declined_share": 0.25,
        "silent_dissatisfaction": silent(6, 10)
    })
}

async fn every_figure_of_a_seeded_fortnight(app: TestApp) {
    // Arrange
    let org = org(&app).await;
    let seeded = seed(&app, &org).await;
    let leader = &org.leader.token;
    let period = format!("from={FROM}&to={TO}");
    let head = json!({"period": {"from": FROM, "to": TO}});

    // Act and assert: the organisation.
    let overview = read_figures(&app, leader, &format!("/api/v1/metrics/overview?{period}")).await;
    let mut expected = merged(head.clone(), organisation_in_period());
    expected["unit_id"] = Value::Null;
    assert_figures(&overview, &expected, "organisation over the period");

    // A service's scope: only what was routed to it.
    let scoped = read_figures(
        &app,
        leader,
        &format!(
            "/api/v1/metrics/overview?{period}&unit_id={}",
            org.service_1
        ),
    )
    .await;
    let mut expected = merged(head.clone(), service_1_in_period());
    expected["unit_id"] = json!(org.service_1);
    assert_figures(&scoped, &expected, "service 1 over the period");

    // A manager reads their own team without naming it.
    let team = read_figures(
        &app,
        &org.manager_a.token,
        &format!("/api/v1/metrics/overview?{period}"),
    )
    .await;
    let mut expected = merged(head.clone(), team_a_in_period());
    expected["unit_id"] = json!(org.team_a);
    assert_figures(&team, &expected, "team A, as its manager reads it");

    // Every unit, two to a page.
    let units = every_unit(&app, leader, &period, 2).await;
    let units = by_key(&units, "unit_id");
    let expected_units = [
        (&org.team_a, team_a_in_period()),
        (&org.team_b, team_b_in_period()),
        (&org.service_1, service_1_in_period()),
        (&org.service_2, service_2_in_period()),
        (&org.leadership, leadership_in_period()),
    ];
    assert_eq!(
        units.keys().collect::<BTreeSet<_>>(),
        expected_units
            .iter()
            .map(|(u, _)| *u)
            .collect::<BTreeSet<_>>(),
        "one item per unit"
    );
    for (unit, figures) in expected_units {
        let expected = merged(json!({"unit_id": unit}), figures);
        assert_figures(&units[unit], &expected, &format!("by-unit {unit}"));
    }
    let one = read_figures(
        &app,
        leader,
        &format!("/api/v1/metrics/by-unit?{period}&unit_id={}", org.service_1),
    )
    .await;
    assert_eq!(one["next_cursor"], Value::Null);
    assert_eq!(
        one["items"].as_array().unwrap().len(),
        1,
        "unit_id narrows to one"
    );
    let expected = merged(json!({"unit_id": org.service_1}), service_1_in_period());
    assert_figures(&one["items"][0], &expected, "by-unit narrowed to service 1");
    let mine = read_figures(
        &app,
        &org.manager_a.token,
        &format!("/api/v1/metrics/by-unit?{period}"),
    )
    .await;
    assert_eq!(
        mine["items"].as_array().unwrap().len(),
        1,
        "a manager's own team only"
    );
    let expected = merged(json!({"unit_id": org.team_a}), team_a_in_period());
    assert_figures(&mine["items"][0], &expected, "by-unit as team A's manager");

    // Per category: every configured one, alphabetically.
    let categories = read_figures(
        &app,
        leader,
        &format!("/api/v1/metrics/by-category?{period}"),
    )
    .await;
    assert_eq!(categories["unit_id"], Value::Null);
    let items = categories["items"].as_array().unwrap();
    let names: Vec<&str> = items
        .iter()
        .map(|i| i["category"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        [
            "availability",
            "other",
            "premises",
            "price",
            "product",
            "service",
            "staff"
        ]
    );
    let items = by_key(items, "category");
    let totals: BTreeMap<&str, u64> = items
        .iter()
        .map(|(name, item)| (name.as_str(), item["volume"]["total"].as_u64().unwrap()))
        .collect();
    assert_eq!(
        totals,
        BTreeMap::from([
            ("availability", 2),
            ("other", 1),
            ("premises", 1),
            ("price", 2),
            ("product", 3),
            ("service", 2),
            ("staff", 2),
        ])
    );
    let expected = merged(json!({"category": "product"}), product_in_period());
    assert_figures(&items["product"], &expected, "category product");
    let expected = merged(json!({"category": "price"}), price_in_period());
    assert_figures(&items["price"], &expected, "category price");

    // Per category within service 1's scope: empty categories are listed too.
    let categories = read_figures(
        &app,
        leader,
        &format!(
            "/api/v1/metrics/by-category?{period}&unit_id={}",
            org.service_1
        ),
    )
    .await;
    assert_eq!(categories["unit_id"], json!(org.service_1));
    let items = by_key(categories["items"].as_array().unwrap(), "category");
    assert_eq!(items.len(), 7);
    let expected = merged(
        json!({"category": "service"}),
        service_category_of_service_1(),
    );
    assert_figures(&items["service"], &expected, "category service, service 1");
    for empty in ["other", "premises", "price", "staff"] {
        let expected = merged(json!({"category": empty}), empty_figures());
        assert_figures(
            &items[empty],
            &expected,
            &format!("category {empty}, service 1"),
        );
    }

    // Per ISO week, from a Wednesday of week 8 to a Wednesday of week 12.
    let trend = read_figures(
        &app,
        leader,
        "/api/v1/metrics/trend?from=2026-02-18T12:00:00Z&to=2026-03-18T12:00:00Z",
    )
    .await;
    let week = |week: &str, from: &str, to: &str, figures: Value| {
        merged(json!({"week": week, "from": from, "to": to}), figures)
    };
    let expected = json!({
        "period": {"from": "2026-02-18T12:00:00Z", "to": "2026-03-18T12:00:00Z"},
        "unit_id": null,
        "items": [
            week("2026-W08", "2026-02-18T12:00:00Z", "2026-02-23T00:00:00Z", empty_figures()),
            week("2026-W09", "2026-02-23T00:00:00Z", "2026-03-02T00:00:00Z", empty_figures()),
            week("2026-W10", "2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z", week_10()),
            week("2026-W11", "2026-03-09T00:00:00Z", "2026-03-16T00:00:00Z", week_11()),
            week("2026-W12", "2026-03-16T00:00:00Z", "2026-03-18T12:00:00Z", empty_figures()),
        ]
    });
    assert_figures(&trend, &expected, "trend, weeks 8 to 12");

    // A trend inside one week counts only the week's part inside the period.
    let trend = read_figures(&app, leader, &format!("/api/v1/metrics/trend?{period}")).await;
    let expected = json!({
        "period": {"from": FROM, "to": TO},
        "unit_id": null,
        "items": [week("2026-W10", FROM, TO, organisation_in_period())]
    });
    assert_figures(&trend, &expected, "trend over the period");
    let trend = read_figures(
        &app,
        leader,
        &format!("/api/v1/metrics/trend?{period}&unit_id={}", org.service_1),
    )
    .await;
    let expected = json!({
        "period": {"from": FROM, "to": TO},
        "unit_id": org.service_1,
        "items": [week("2026-W10", FROM, TO, service_1_in_period())]
    });
    assert_figures(&trend, &expected, "trend over the period, service 1");

    // The default period: the last 30 days by the clock.
    let default = read_figures(&app, leader, "/api/v1/metrics/overview").await;
    let expected = merged(
        json!({"period": {"from": "2026-02-10T12:00:00Z", "to": NOW}, "unit_id": null}),
        default_period(),
    );
    assert_figures(&default, &expected, "default period");
    let explicit = read_figures(
        &app,
        leader,
        &format!("/api/v1/metrics/overview?from=2026-02-10T12:00:00Z&to={NOW}"),
    )
    .await;
    assert_eq!(default, explicit, "the default is the last 30 days");

    // The cut: each request outside the period counts once moved inside it.
    let narrow = |from: &str, to: &str| format!("/api/v1/metrics/overview?from={from}&to={to}");
    for (from, to, id, what) in [
        (
            "2026-02-10T11:00:00Z",
            "2026-02-10T11:00:01Z",
            &seeded.r_old,
            "R_old",
        ),
        ("2026-03-02T05:00:00Z", FROM, &seeded.x0, "X0"),
        (TO, "2026-03-06T18:00:01Z", &seeded.x1, "X1"),
        (
            "2026-03-06T19:00:00Z",
            "2026-03-07T00:00:00Z",
            &seeded.x2,
            "X2",
        ),
        (
            "2026-03-09T00:00:00Z",
            "2026-03-16T00:00:00Z",
            &seeded.y,
            "Y",
        ),
    ] {
        let one = read_figures(&app, leader, &narrow(from, to)).await;
        assert_eq!(one["volume"]["total"], 1, "{what} ({id}) in [{from}, {to})");
    }
    for (letter, from, to) in [
        ('A', FROM, "2026-03-02T06:00:01Z"),
        ('J', "2026-03-06T10:00:00Z", TO),
    ] {
        let one = read_figures(&app, leader, &narrow(from, to)).await;
        assert_eq!(
            one["volume"]["total"], 1,
            "{letter} ({}) in [{from}, {to})",
            seeded.others[&letter]
        );
    }
    let before = read_figures(&app, leader, &narrow("2026-03-02T05:00:01Z", FROM)).await;
    assert_figures(
        &before,
        &merged(
            json!({"period": {"from": "2026-03-02T05:00:01Z", "to": FROM}, "unit_id": null}),
            empty_figures(),
        ),
        "nothing between X0 and A",
    );
}

// ─────────────────────────────────────────────────────────────── access

const ENDPOINTS: [&str; 4] = ["overview", "by-unit", "by-category", "trend"];

async fn who_may_read_the_metrics(app: TestApp) {
    // Arrange
    let org = org(&app).await;
    app.store.clock().set(t(NOW));
    let period = "from=2026-03-01T00:00:00Z&to=2026-03-12T00:00:00Z";

    for endpoint in ENDPOINTS {
        let path = format!("/api/v1/metrics/{endpoint}?{period}");

        // Leaders read everything, any unit.
        app.get(&path, &org.leader.token).await.expect(200);
        app.get(&format!("{path}&unit_id={}", org.team_b), &org.leader.token)
            .await
            .expect(200);

        // A manager reads their own team, named or not.
        let mine = app.get(&path, &org.manager_a.token).await.expect(200);
        if endpoint != "by-unit" {
            assert_eq!(mine.body["unit_id"], json!(org.team_a), "{endpoint}");
        }
        app.get(
            &format!("{path}&unit_id={}", org.team_a),
            &org.manager_a.token,
        )
        .await
        .expect(200);
        // Not another team, a service, leadership, a unit that does not
        // exist or the nil id.
        for unit in [
            org.team_b.clone(),
            org.service_1.clone(),
            org.leadership.clone(),
            uuid::Uuid::new_v4().to_string(),
            uuid::Uuid::nil().to_string(),
        ] {
            app.get(&format!("{path}&unit_id={unit}"), &org.manager_a.token)
                .await
                .expect_problem(403, "forbidden");
        }

        // Front line, services and the admin read no figures at all.
        for token in [&org.front_a.token, &org.service1.token, &org.admin] {
            app.get(&path, token).await.expect_problem(403, "forbidden");
        }

        // Without a token: 401.
        app.get_public(&path)
            .await
            .expect_problem(401, "unauthenticated");
    }

    // By unit: a leader gets every unit, a manager their team only.
    let all = every_unit(&app, &org.leader.token, period, 50).await;
    assert_eq!(all.len(), 5);
    let mine = app
        .get(
            &format!("/api/v1/metrics/by-unit?{period}"),
            &org.manager_a.token,
        )
        .await
        .expect(200);
    let ids: Vec<&str> = mine.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["unit_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [org.team_a.as_str()]);
}

async fn bad_periods_and_units_are_refused(app: TestApp) {
    // Arrange
    let org = org(&app).await;
    app.store.clock().set(t(NOW));
    let leader = &org.leader.token;

    for endpoint in ENDPOINTS {
        for (query, field) in [
            // `from` after `to`, and an empty period.
            ("from=2026-03-06T00:00:00Z&to=2026-03-02T00:00:00Z", "from"),
            ("from=2026-03-02T00:00:00Z&to=2026-03-02T00:00:00Z", "from"),
            // Not RFC 3339.
            ("from=yesterday&to=2026-03-02T00:00:00Z", "from"),
            ("from=2026-03-01&to=2026-03-02T00:00:00Z", "from"),
            ("from=2026-03-01T00:00:00Z&to=2026-03-02%2010:00", "to"),
            ("to=not-a-time", "to"),
            // Not a unit id.
            ("unit_id=team-a", "unit_id"),
        ] {
            let refused = app
                .get(&format!("/api/v1/metrics/{endpoint}?{query}"), leader)
                .await
                .expect_problem(422, "validation_failed");
            let fields: Vec<&str> = refused.body["errors"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["field"].as_str().unwrap())
                .collect();
            assert_eq!(fields, [field], "{endpoint}?{query}");
        }
    }

    // A period that ends before it starts is refused for a manager too,
    // and a unit that does not exist is theirs to be refused, not to learn about.
    app.get(
        "/api/v1/metrics/overview?from=2026-03-06T00:00:00Z&to=2026-03-02T00:00:00Z",
        &org.manager_a.token,
    )
    .await
    .expect_problem(422, "validation_failed");
    app.get(
        &format!("/api/v1/metrics/overview?unit_id={}", uuid::Uuid::new_v4()),
        &org.manager_a.token,
    )
    .await
    .expect_problem(403, "forbidden");
}

// ─────────────────────────────────────────────────────────────── edges

async fn an_empty_period_is_null_never_nan(app: TestApp) {
    // Arrange: an organisation without a single request.
    let org = org(&app).await;
    app.store.clock().set(t(NOW));
    let leader = &org.leader.token;
    let period = "from=2026-03-02T06:00:00Z&to=2026-03-06T18:00:00Z";
    let head = json!({"period": {"from": FROM, "to": TO}, "unit_id": null});

    // Act and assert: counts 0, everything else null, on every endpoint.
    let overview = read_figures(&app, leader, &format!("/api/v1/metrics/overview?{period}")).await;
    assert_figures(
        &overview,
        &merged(head.clone(), empty_figures()),
        "empty overview",
    );
    let default = read_figures(&app, leader, "/api/v1/metrics/overview").await;
    let expected = merged(
        json!({"period": {"from": "2026-02-10T12:00:00Z", "to": NOW}, "unit_id": null}),
        empty_figures(),
    );
    assert_figures(&default, &expected, "empty default period");
    let scoped = read_figures(
        &app,
        leader,
        &format!("/api/v1/metrics/overview?{period}&unit_id={}", org.team_a),
    )
    .await;
    let mut expected = merged(head.clone(), empty_figures());
    expected["unit_id"] = json!(org.team_a);
    assert_figures(&scoped, &expected, "empty unit");

    let units = every_unit(&app, leader, period, 3).await;
    assert_eq!(units.len(), 5);
    for item in &units {
        let expected = merged(json!({"unit_id": item["unit_id"]}), empty_figures());
        assert_figures(item, &expected, "empty by-unit item");
    }
    let categories = read_figures(
        &app,
        leader,
        &format!("/api/v1/metrics/by-category?{period}"),
    )
    .await;
    let items = categories["items"].as_array().unwrap();
    assert_eq!(items.len(), 7, "every configured category, even empty");
    for item in items {
        let expected = merged(json!({"category": item["category"]}), empty_figures());
        assert_figures(item, &expected, "empty by-category item");
    }
    let trend = read_figures(
        &app,
        leader,
        "/api/v1/metrics/trend?from=2026-02-25T00:00:00Z&to=2026-03-09T00:00:00Z",
    )
    .await;
    let expected = json!({
        "period": {"from": "2026-02-25T00:00:00Z", "to": "2026-03-09T00:00:00Z"},
        "unit_id": null,
        "items": [
            merged(json!({"week": "2026-W09", "from": "2026-02-25T00:00:00Z",
                          "to": "2026-03-02T00:00:00Z"}), empty_figures()),
            merged(json!({"week": "2026-W10", "from": "2026-03-02T00:00:00Z",
                          "to": "2026-03-09T00:00:00Z"}), empty_figures()),
        ]
    });
    assert_figures(&trend, &expected, "empty trend");

    // An empty period in an organisation that has requests: one filed and
    // answered at `TO` leaves `[FROM, TO)` empty.
    let desk = Desk { app: &app };
    let id = desk
        .file(&org.front_a, TO, "unmet_need", "product", "normal")
        .await;
    desk.answer(&org.manager_a, "2026-03-06T19:00:00Z", &id, "resolved")
        .await;
    app.store.clock().set(t(NOW));
    let overview = read_figures(&app, leader, &format!("/api/v1/metrics/overview?{period}")).await;
    assert_figures(
        &overview,
        &merged(head, empty_figures()),
        "empty period, busy organisation",
    );
    let next = read_figures(
        &app,
        leader,
        &format!("/api/v1/metrics/overview?from={TO}&to=2026-03-07T00:00:00Z"),
    )
    .await;
    assert_eq!(next["volume"]["total"], 1);
    assert_eq!(next["silent_dissatisfaction"], silent(1, 10));
}

async fn the_silent_multiplier_is_configurable(app: TestApp) {
    // Arrange: an unmet need, answered, and a follow-up scoring 2.
    let org = org(&app).await;
    let desk = Desk { app: &app };
    let id = desk
        .file(
            &org.front_a,
            "2026-03-03T09:00:00Z",
            "unmet_need",
            "product",
            "normal",
        )
        .await;
    desk.answer(&org.manager_a, "2026-03-03T10:00:00Z", &id, "resolved")
        .await;
    desk.follow_up(
        &org.front_a,
        "2026-03-03T11:00:00Z",
        &id,
        json!({"customer_reached": true, "satisfaction": 2, "note": "Meh"}),
    )
    .await;
    app.store.clock().set(t(NOW));

    // Act
    let overview = read_figures(
        &app,
        &org.leader.token,
        &format!("/api/v1/metrics/overview?from={FROM}&to={TO}"),
    )
    .await;

    // Assert: (one low score + one unmet need) × 7, always with its note.
    assert_eq!(overview["silent_dissatisfaction"], silent(2, 7));
    let empty = read_figures(
        &app,
        &org.leader.token,
        "/api/v1/metrics/overview?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z",
    )
    .await;
    assert_eq!(empty["silent_dissatisfaction"], silent(0, 7));
    let trend = read_figures(
        &app,
        &org.leader.token,
        &format!("/api/v1/metrics/trend?from={FROM}&to={TO}"),
    )
    .await;
    assert_eq!(trend["items"][0]["silent_dissatisfaction"], silent(2, 7));
}

#[test]
fn the_comparison_is_strict_where_it_should_be() {
    let mut diffs = Vec::new();
    compare(
        "",
        &json!({"a": 0.8}),
        &json!({"a": 8.0 / 10.0}),
        &mut diffs,
    );
    compare(
        "",
        &json!({"a": 1.0 / 3.0 + 1e-13}),
        &json!({"a": 1.0 / 3.0}),
        &mut diffs,
    );
    assert!(diffs.is_empty(), "{diffs:?}");
    compare(
        "",
        &json!({"a": 0.25 + 1e-15}),
        &json!({"a": 0.25}),
        &mut diffs,
    );
    compare("", &json!({"a": 1}), &json!({"a": 1.0}), &mut diffs);
    compare("", &json!({"a": {}}), &json!({"a": {"x": 0}}), &mut diffs);
    compare("", &json!({"a": null}), &json!({"a": 0}), &mut diffs);
    assert_eq!(diffs.len(), 4, "{diffs:?}");
}

/// A leader asking for a unit that does not exist gets `404` from every
/// metrics endpoint, not empty figures.
async fn an_unknown_unit_is_not_found(app: TestApp) {
    let org = common::org(&app).await;
    let unknown = uuid::Uuid::new_v4();
    for endpoint in ["overview", "by-unit", "by-category", "trend"] {
        app.get(
            &format!("/api/v1/metrics/{endpoint}?unit_id={unknown}"),
            &org.leader.token,
        )
        .await
        .expect_problem(404, "not_found");
    }
    app.get("/api/v1/metrics/by-unit?cursor=", &org.leader.token)
        .await
        .expect(200);
}

on_both_backends!(an_unknown_unit_is_not_found);
