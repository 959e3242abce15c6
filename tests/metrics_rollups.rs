//! The roll-ups say what the definition says. After a random history of
//! filings, acknowledgements, routings, answers, follow-ups, reopens and SLA
//! sweeps (through the real server, with the clock moved by hand), the
//! figures read from the roll-ups equal the figures the domain computes from
//! the requests themselves, for windows that cut through days and for every
//! scope; and throwing the roll-ups away and rebuilding them from the
//! requests gives the same figures again.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, Duration, Utc};
use sea_orm_migration::MigratorTrait;
use serde_json::{Value, json};
use upturn_domain::metrics::{AgeStats, Backlog, Overview, SilentMultiplier, Spread, Window};
use upturn_persistence::migrations::Migrator;
use upturn_persistence::{Detail, MetricsQuery};
use uuid::Uuid;

use common::{Member, Org, TestApp, filing};

/// A small deterministic generator (xorshift), so both backends replay the
/// same history.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The member who works a request where it sits now.
fn owner<'a>(org: &'a Org, request: &Value) -> &'a Member {
    let unit = request["unit_id"].as_str().unwrap();
    match unit {
        u if u == org.team_a => &org.manager_a,
        u if u == org.team_b => &org.manager_b,
        u if u == org.service_1 => &org.service1,
        u if u == org.service_2 => &org.service2,
        _ => &org.leader,
    }
}

fn filer<'a>(org: &'a Org, request: &Value) -> &'a Member {
    if request["team_id"].as_str().unwrap() == org.team_a {
        &org.front_a
    } else {
        &org.front_b
    }
}

/// One step of the history on a random request.
async fn act(app: &TestApp, org: &Org, rng: &mut Rng, ids: &[String]) {
    let id = rng.pick(ids).clone();
    let request = app
        .get(&format!("/api/v1/requests/{id}"), &org.leader.token)
        .await
        .expect(200)
        .body;
    let path = |verb: &str| format!("/api/v1/requests/{id}/{verb}");
    let status = request["status"].as_str().unwrap();
    let level = request["level"].as_str().unwrap();
    match status {
        "new" | "acknowledged" | "in_progress" => {
            let who = owner(org, &request);
            match rng.below(10) {
                0..=2 if status == "new" => {
                    app.post(&path("acknowledge"), &who.token, json!({})).await;
                }
                3..=4 if level != "leadership" => {
                    let to = if level == "service" || rng.chance(30) {
                        &org.leadership
                    } else if rng.chance(50) {
                        &org.service_1
                    } else {
                        &org.service_2
                    };
                    app.post(
                        &path("route"),
                        &who.token,
                        json!({"to_unit_id": to, "note": "down"}),
                    )
                    .await;
                }
                5 if level == "manager" => {
                    let front = filer(org, &request);
                    app.post(
                        &path("status"),
                        &front.token,
                        json!({"status": "resolved", "note": "done at the front"}),
                    )
                    .await;
                }
                6 => {
                    app.post(
                        &path("status"),
                        &who.token,
                        json!({"status": "declined", "note": "not now"}),
                    )
                    .await;
                }
                7 if status != "in_progress" => {
                    app.post(
                        &path("status"),
                        &who.token,
                        json!({"status": "in_progress", "note": "on it"}),
                    )
                    .await;
                }
                _ => {
                    app.post(
                        &path("status"),
                        &who.token,
                        json!({"status": "resolved", "note": "done"}),
                    )
                    .await;
                }
            }
        }
        "resolved" | "declined" => {
            let mut body = json!({
                "customer_reached": rng.chance(80),
                "note": "called back",
                "reopen": rng.chance(20),
            });
            if rng.chance(70) {
                body["satisfaction"] = json!(1 + rng.below(5));
            }
            if rng.chance(50) {
                body["would_recommend"] = json!(rng.below(11));
            }
            app.post(&path("follow-up"), &filer(org, &request).token, body)
                .await;
        }
        _ => {}
    }
}

async fn random_history(app: &TestApp, org: &Org, seed: u64) -> (DateTime<Utc>, DateTime<Utc>) {
    let mut rng = Rng(seed);
    let start = at("2026-03-02T08:00:00Z");
    let clock = app.store.clock();
    clock.set(start);
    let kinds = ["improvement", "need", "unmet_need", "idea", "praise"];
    let categories = ["product", "price", "staff"];
    let urgencies = ["low", "normal", "high", "critical"];
    let mut ids: Vec<String> = Vec::new();
    for step in 0..220 {
        clock.advance(Duration::seconds(rng.below(8 * 3600) as i64));
        if ids.len() < 8 || rng.chance(30) {
            let who = if rng.chance(50) {
                &org.front_a
            } else {
                &org.front_b
            };
            let mut body = filing(&format!("request {step}"));
            body["kind"] = json!(rng.pick(&kinds));
            body["category"] = json!(rng.pick(&categories));
            body["urgency"] = json!(rng.pick(&urgencies));
            if rng.chance(15) {
                body["resolved_on_the_spot"] = json!({"note": "done on the spot"});
            }
            let filed = app
                .post("/api/v1/requests", &who.token, body)
                .await
                .expect(201);
            ids.push(filed.id());
        } else {
            act(app, org, &mut rng, &ids).await;
        }
        if rng.chance(10) {
            app.store.sweep_sla(clock.now()).await.unwrap();
        }
    }
    (start, clock.now())
}

async fn roll_ups_say_what_the_definition_says(app: TestApp) {
    let org = common::org(&app).await;
    let (start, end) = random_history(&app, &org, 0x5eed_cafe_f00d_0001).await;
    let now = end + Duration::hours(5);
    let multiplier = SilentMultiplier::DEFAULT;
    let mut rng = Rng(42);
    let mut windows = vec![
        Window::new(start - Duration::days(1), now).unwrap(),
        Window::new(at("2026-03-03T00:00:00Z"), at("2026-03-10T00:00:00Z")).unwrap(),
        Window::new(at("2026-03-04T10:30:00Z"), at("2026-03-04T18:00:00Z")).unwrap(),
    ];
    let span = (end - start).num_seconds() as u64;
    for _ in 0..6 {
        let a = start + Duration::seconds(rng.below(span) as i64);
        let b = a + Duration::seconds(1 + rng.below(span) as i64);
        windows.push(Window::new(a, b).unwrap());
    }
    let units: Vec<Option<Uuid>> = std::iter::once(None)
        .chain(
            [&org.team_a, &org.team_b, &org.service_1, &org.leadership]
                .into_iter()
                .map(|u| Some(u.parse().unwrap())),
        )
        .collect();
    let mut queries = Vec::new();
    for window in &windows {
        for unit_id in &units {
            for category in [None, Some("product".to_owned())] {
                queries.push(MetricsQuery {
                    window: *window,
                    unit_id: *unit_id,
                    category,
                });
            }
        }
    }
    let mut before = Vec::new();
    let mut non_empty = 0;
    for query in &queries {
        let rolled = app.store.metrics(query, now, multiplier).await.unwrap();
        let defined = app
            .store
            .metrics_from_requests(query, now, multiplier)
            .await
            .unwrap();
        assert_eq!(rolled, defined, "{query:?}");
        non_empty += usize::from(rolled.volume.total > 0);
        before.push(rolled);
    }
    assert!(
        non_empty > queries.len() / 2,
        "the history is too thin to test much"
    );
    // By category (one pass over the window's facts) says what the
    // definition says of each category, and lists the categories asked for.
    let mut categories_seen = 0;
    for query in queries.iter().filter(|q| q.category.is_none()) {
        let asked = ["no-such-category".to_owned()];
        let each = app
            .store
            .metrics_by_category(query, &asked, now, multiplier, Detail::Full)
            .await
            .unwrap();
        let sums = app
            .store
            .metrics_by_category(query, &asked, now, multiplier, Detail::Sums)
            .await
            .unwrap();
        assert_eq!(sums.len(), each.len());
        for ((name, full), (sum_name, sums)) in each.iter().zip(sums) {
            assert_eq!(&sum_name, name);
            assert_eq!(
                sums,
                sums_of(full),
                "sums only, by category {name}: {query:?}"
            );
        }
        assert!(each.iter().any(|(name, _)| name == "no-such-category"));
        for (name, overview) in each {
            let one = MetricsQuery {
                category: Some(name.clone()),
                ..query.clone()
            };
            let defined = app
                .store
                .metrics_from_requests(&one, now, multiplier)
                .await
                .unwrap();
            assert_eq!(overview, defined, "by category {name}: {query:?}");
            categories_seen += usize::from(overview.volume.total > 0);
        }
    }
    assert!(categories_seen > 10, "too few categories with requests");
    // Sums only: every figure the same but the percentiles and ages, empty.
    let sums = app
        .store
        .metrics_each(&queries, now, multiplier, Detail::Sums)
        .await
        .unwrap();
    for ((query, full), sums) in queries.iter().zip(&before).zip(sums) {
        assert_eq!(sums, sums_of(full), "sums only: {query:?}");
    }
    let whole = &before[0];
    assert!(whole.time_to_acknowledge_seconds.median.is_some());
    assert!(whole.time_to_resolve_seconds.p90.is_some());
    assert!(whole.backlog.open > 0 && whole.satisfaction.responses > 0);
    assert!(
        whole.reopen_rate.is_some_and(|r| r > 0.0),
        "no reopen happened"
    );

    let rebuilt = app.store.rebuild_metrics().await.unwrap();
    assert!(rebuilt > 50);
    for (query, expected) in queries.iter().zip(&before) {
        let again = app.store.metrics(query, now, multiplier).await.unwrap();
        assert_eq!(&again, expected, "after a rebuild: {query:?}");
    }

    // The latest migration goes down and up again without changing a figure
    // (the roll-ups' storage and indexes change, not what they hold).
    let db = sea_orm::Database::connect(app.database_url.as_str())
        .await
        .unwrap();
    for step in ["down", "up"] {
        match step {
            "down" => Migrator::down(&db, Some(1)).await.unwrap(),
            _ => Migrator::up(&db, None).await.unwrap(),
        }
        for (query, expected) in queries.iter().zip(&before) {
            let again = app.store.metrics(query, now, multiplier).await.unwrap();
            assert_eq!(&again, expected, "after migrating {step}: {query:?}");
        }
    }
    db.close().await.unwrap();
}

/// What `Detail::Sums` answers of a full overview: no percentile, no age.
fn sums_of(full: &Overview) -> Overview {
    Overview {
        time_to_acknowledge_seconds: Spread::default(),
        time_to_resolve_seconds: Spread::default(),
        backlog: Backlog {
            open: full.backlog.open,
            age_seconds: AgeStats::default(),
        },
        ..full.clone()
    }
}

on_both_backends!(roll_ups_say_what_the_definition_says);
