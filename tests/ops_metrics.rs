//! What an operator sees at `GET /metrics` (docs/operations.md, "Monitoring
//! and alerts"): requests filed by kind and category, request events
//! (follow-ups, reopens…), SLA breaches by deadline, open and overdue
//! requests by level, live streams, the connection pool and background
//! job runs, read through the real server after real changes.
//!
//! Prometheus' recorder is one per process and this binary's tests would
//! share it: they take turns (`TURN`; the other backend's server idles
//! meanwhile) and compare counters before and after.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{Member, TestApp, org};
use serde_json::{Value, json};

static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

on_both_backends!(with |s| s.sla_sweep_seconds = 1; metrics_show_the_domain_the_pool_and_the_jobs);

/// One scrape: every sample by name and labels (`kind=improvement,…`,
/// sorted), ignoring comments.
struct Scrape(BTreeMap<(String, String), f64>);

impl Scrape {
    async fn of(app: &TestApp) -> Scrape {
        let answer = app.client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(answer.status().as_u16(), 200);
        let text = answer.text().await.unwrap();
        let mut samples = BTreeMap::new();
        for line in text
            .lines()
            .filter(|l| !l.starts_with('#') && !l.is_empty())
        {
            let (series, value) = line.rsplit_once(' ').unwrap();
            let (name, labels) = match series.split_once('{') {
                Some((name, rest)) => {
                    let mut labels: Vec<&str> = rest
                        .trim_end_matches('}')
                        .split("\",")
                        .map(|l| l.trim_end_matches('"'))
                        .collect();
                    labels.sort_unstable();
                    (name, labels.join(",").replace("=\"", "="))
                }
                None => (series, String::new()),
            };
            samples.insert((name.to_owned(), labels), value.parse().unwrap());
        }
        Scrape(samples)
    }

    /// A sample; `labels` sorted by name, as `a=x,b=y`. Absent is `None`.
    fn get(&self, name: &str, labels: &str) -> Option<f64> {
        self.0.get(&(name.to_owned(), labels.to_owned())).copied()
    }

    /// A counter, absent counting as zero (not yet incremented).
    fn counter(&self, name: &str, labels: &str) -> f64 {
        self.get(name, labels).unwrap_or(0.0)
    }

    fn gauge(&self, name: &str, labels: &str) -> f64 {
        self.get(name, labels)
            .unwrap_or_else(|| panic!("no {name}{{{labels}}} in {:?}", self.0.keys()))
    }
}

fn filing(kind: &str, category: &str) -> Value {
    json!({
        "kind": kind, "category": category, "urgency": "normal", "channel": "in_person",
        "title": "Trousers in size 44", "customer_expectation": "Find size 44 in store"
    })
}

async fn file(app: &TestApp, who: &Member, kind: &str, category: &str) -> String {
    app.post("/api/v1/requests", &who.token, filing(kind, category))
        .await
        .expect(201)
        .id()
}

async fn metrics_show_the_domain_the_pool_and_the_jobs(app: TestApp) {
    // Arrange (one test of this binary at a time: see TURN): a sweep every
    // second, and a scrape before anything happens.
    let _turn = TURN.lock().await;
    let org = org(&app).await;
    let before = Scrape::of(&app).await;
    let sampled_at = Instant::now();

    // Act. Two days ago (the clock stands still, so the sweeper finds
    // nothing due meanwhile): three filings, one acknowledged.
    let clock = app.store.clock();
    clock.set(chrono::Utc::now() - chrono::Duration::days(2));
    file(&app, &org.front_a, "improvement", "product").await;
    let acknowledged = file(&app, &org.front_a, "improvement", "product").await;
    file(&app, &org.front_b, "unmet_need", "price").await;
    app.post(
        &format!("/api/v1/requests/{acknowledged}/acknowledge"),
        &org.manager_a.token,
        json!({}),
    )
    .await
    .expect(200);
    clock.follow_system();
    // Now: one filed, acknowledged and routed down to a service; the
    // acknowledged one resolved, then reopened at the follow-up.
    let routed = file(&app, &org.front_a, "improvement", "product").await;
    let path = |id: &str, action: &str| format!("/api/v1/requests/{id}/{action}");
    app.post(
        &path(&routed, "acknowledge"),
        &org.manager_a.token,
        json!({}),
    )
    .await
    .expect(200);
    app.post(
        &path(&routed, "route"),
        &org.manager_a.token,
        json!({"to_unit_id": org.service_1, "note": "Purchasing decides"}),
    )
    .await
    .expect(200);
    app.post(
        &path(&acknowledged, "status"),
        &org.manager_a.token,
        json!({"status": "resolved", "note": "Ordered for Friday"}),
    )
    .await
    .expect(200);
    app.post(
        &path(&acknowledged, "follow-up"),
        &org.front_a.token,
        json!({"customer_reached": true, "satisfaction": 2, "note": "Still waiting", "reopen": true}),
    )
    .await
    .expect(200);
    // A live stream held open by a member.
    let stream = app
        .client
        .get(app.url("/api/v1/stream"))
        .bearer_auth(&org.front_a.token)
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    // The sweeper flags the two requests left `new` past their first-response
    // deadline (each once); the database-wide gauges are read again five
    // seconds after the first scrape.
    let deadline = Instant::now() + Duration::from_secs(30);
    let after = loop {
        let scrape = Scrape::of(&app).await;
        let breached = scrape.counter("upturn_sla_breaches_total", "deadline=acknowledge")
            - before.counter("upturn_sla_breaches_total", "deadline=acknowledge");
        if breached >= 2.0 && sampled_at.elapsed() > Duration::from_secs(6) {
            break scrape;
        }
        assert!(
            Instant::now() < deadline,
            "the sweeper flagged {breached} of 2"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    };

    // Assert: counters moved by exactly what happened.
    let delta =
        |name: &str, labels: &str| after.counter(name, labels) - before.counter(name, labels);
    let filed = "upturn_requests_filed_total";
    assert_eq!(delta(filed, "category=product,kind=improvement"), 3.0);
    assert_eq!(delta(filed, "category=price,kind=unmet_need"), 1.0);
    let events = "upturn_request_events_total";
    for (kind, n) in [
        ("filed", 4.0),
        ("acknowledged", 2.0),
        ("routed", 1.0),
        ("resolved", 1.0),
        ("reopened", 1.0),
        ("sla_breached", 2.0),
    ] {
        assert_eq!(delta(events, &format!("type={kind}")), n, "{kind} events");
    }
    assert_eq!(
        delta("upturn_sla_breaches_total", "deadline=acknowledge"),
        2.0
    );
    assert_eq!(delta("upturn_sla_breaches_total", "deadline=resolve"), 0.0);

    // Database-wide gauges: with the managers, the one left new, the
    // reopened one and the other team's (two of them past their first
    // response); with Purchasing, the routed one, on time.
    for (level, open, overdue) in [
        ("manager", 3.0, 2.0),
        ("service", 1.0, 0.0),
        ("leadership", 0.0, 0.0),
    ] {
        let labels = format!("level={level}");
        assert_eq!(
            after.gauge("upturn_requests_open", &labels),
            open,
            "{level}"
        );
        assert_eq!(
            after.gauge("upturn_requests_overdue", &labels),
            overdue,
            "{level}"
        );
    }

    // This process: the stream held open, the pool, the jobs.
    assert_eq!(after.gauge("upturn_live_streams", ""), 1.0);
    let max = after.gauge("upturn_db_pool_max_connections", "");
    let in_use = after.gauge("upturn_db_pool_connections", "state=in_use");
    let idle = after.gauge("upturn_db_pool_connections", "state=idle");
    assert!(
        max >= 1.0 && in_use + idle <= max,
        "pool {in_use} + {idle} of {max}"
    );
    let now = chrono::Utc::now().timestamp() as f64;
    for job in ["sla_sweep", "webhook_delivery"] {
        let labels = format!("task={job}");
        assert!(delta("upturn_job_runs_total", &labels) >= 1.0, "{job} ran");
        assert_eq!(
            delta("upturn_job_failures_total", &labels),
            0.0,
            "{job} failed"
        );
        let last = after.gauge("upturn_job_last_run_timestamp_seconds", &labels);
        assert!(
            (now - last).abs() < 60.0,
            "{job} last ran at {last}, now {now}"
        );
    }
    // Jobs that have not run yet are there from the start, at zero runs.
    assert!(
        before
            .get("upturn_job_runs_total", "task=retention")
            .is_some()
    );
    drop(stream);
}
