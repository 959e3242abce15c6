//! Webhooks, black box: registration and its rules through the API, and
//! delivery end to end to a real receiver on 127.0.0.1 that verifies every
//! signature, fails at random and goes down for a while. At the end, after
//! dropping duplicates by `Upturn-Event-Id`, the receiver holds every event
//! exactly once, each request's events in timeline order.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/process.rs"]
#[allow(dead_code, reason = "this file needs only part of the process harness")]
mod process;
#[path = "common/receiver.rs"]
mod receiver;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use common::{Backend, Member, Org, Resp, TestApp, filing, org};
use process::{Log, Serve};
use receiver::{Accepted, Receiver};
use serde_json::{Value, json};
use upturn_api::config::Settings;

const ALL_EVENTS: [&str; 14] = [
    "filed",
    "acknowledged",
    "routed",
    "escalated",
    "status_changed",
    "comment",
    "resolved",
    "declined",
    "follow_up_recorded",
    "reopened",
    "sla_breached",
    "initiative_linked",
    "initiative_progress",
    "initiative_dropped",
];

/// What the scenarios call: an in-process app or an `upturn serve` process.
trait Api {
    async fn get(&self, path: &str, token: &str) -> Resp;
    async fn post(&self, path: &str, token: &str, body: Value) -> Resp;
}

impl Api for TestApp {
    async fn get(&self, path: &str, token: &str) -> Resp {
        TestApp::get(self, path, token).await
    }
    async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        TestApp::post(self, path, token, body).await
    }
}

/// Registers a webhook for every event type; the receiver gets the secret.
async fn register(app: &impl Api, leader: &Member, receiver: &Receiver) -> String {
    register_with_secret(app, leader, receiver).await.0
}

/// The same; answers the webhook's id and its secret.
async fn register_with_secret(
    app: &impl Api,
    leader: &Member,
    receiver: &Receiver,
) -> (String, String) {
    let created = app
        .post(
            "/api/v1/webhooks",
            &leader.token,
            json!({"url": receiver.url(), "events": ALL_EVENTS, "description": "test receiver"}),
        )
        .await
        .expect(201);
    let secret = created.body["secret"].as_str().unwrap();
    assert!(secret.starts_with("whsec_") && secret.len() == 6 + 64);
    receiver.set_secret(secret);
    (created.id(), secret.to_owned())
}

/// A request's life: filed, acknowledged, in progress, a comment, resolved.
async fn life(app: &impl Api, front: &Member, manager: &Member, n: usize) -> String {
    life_across(&[app], front, manager, n).await
}

/// The same, each step through the next of `apps` in turn.
async fn life_across(apps: &[&impl Api], front: &Member, manager: &Member, n: usize) -> String {
    let app = |step: usize| apps[(n + step) % apps.len()];
    let id = app(0)
        .post(
            "/api/v1/requests",
            &front.token,
            filing(&format!("Request {n}")),
        )
        .await
        .expect(201)
        .id();
    let on = |what: &str| format!("/api/v1/requests/{id}/{what}");
    app(1)
        .post(&on("acknowledge"), &manager.token, json!({}))
        .await
        .expect(200);
    app(2)
        .post(
            &on("status"),
            &manager.token,
            json!({"status": "in_progress", "note": "looking"}),
        )
        .await
        .expect(200);
    app(3)
        .post(
            &on("comments"),
            &front.token,
            json!({"body": "She called again", "internal": false}),
        )
        .await
        .expect(201);
    app(4)
        .post(
            &on("status"),
            &manager.token,
            json!({"status": "resolved", "note": "Found a pair"}),
        )
        .await
        .expect(200);
    id
}

/// The request's timeline, oldest first: event ids.
async fn timeline(app: &impl Api, leader: &Member, request: &str) -> Vec<String> {
    let events = app
        .get(&format!("/api/v1/requests/{request}/events"), &leader.token)
        .await
        .expect(200);
    events.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["id"].as_str().unwrap().to_owned())
        .collect()
}

/// Every event of `requests` reached the receiver exactly once after
/// de-duplication, each request's in timeline order; answers how many
/// duplicates there were.
async fn assert_all_delivered_in_order(
    app: &impl Api,
    leader: &Member,
    requests: &[String],
    accepted: &[Accepted],
) -> usize {
    let mut seen = HashSet::new();
    let mut per_request: HashMap<&str, Vec<&str>> = HashMap::new();
    let mut duplicates = 0;
    for a in accepted {
        if seen.insert(a.event_id.as_str()) {
            per_request
                .entry(a.request_id.as_str())
                .or_default()
                .push(a.event_id.as_str());
        } else {
            duplicates += 1;
        }
    }
    let mut expected_total = 0;
    for request in requests {
        let expected = timeline(app, leader, request).await;
        expected_total += expected.len();
        let got: Vec<String> = per_request
            .get(request.as_str())
            .map(|v| v.iter().map(|s| (*s).to_owned()).collect())
            .unwrap_or_default();
        assert_eq!(
            got, expected,
            "request {request}: delivered out of order or incompletely"
        );
    }
    assert_eq!(
        seen.len(),
        expected_total,
        "events delivered that no request has"
    );
    duplicates
}

/// Waits until the outbox is empty and the receiver holds `events` distinct events.
async fn wait_delivered(app: &TestApp, receiver: &Receiver, events: usize, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let distinct: HashSet<String> = receiver
            .accepted()
            .into_iter()
            .map(|a| a.event_id)
            .collect();
        let backlog = app.store.webhook_backlog().await.unwrap();
        if backlog == 0 && distinct.len() >= events {
            eprintln!(
                "delivered {events} events in {:?}",
                within - (deadline - Instant::now())
            );
            return;
        }
        if Instant::now() >= deadline {
            panic!(
                "not delivered in time: {} of {events} events, backlog {backlog}; owed: {}",
                distinct.len(),
                owed(app).await
            );
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The undelivered outbox rows, for a failure message.
async fn owed(app: &TestApp) -> String {
    use sea_orm::ConnectionTrait;
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    let rows = db
        .query_all_raw(sea_orm::Statement::from_string(
            db.get_database_backend(),
            "SELECT CAST(request_id AS TEXT) AS r, seq, attempts, \
             CAST(next_attempt_at AS TEXT) AS n, CAST(lease_until AS TEXT) AS l \
             FROM webhook_outbox WHERE delivered_at IS NULL",
        ))
        .await
        .unwrap();
    let text: Vec<String> = rows
        .iter()
        .map(|r| {
            format!(
                "({} v{} attempts {} next {} lease {:?})",
                r.try_get::<String>("", "r").unwrap_or_default(),
                r.try_get::<i64>("", "seq").unwrap_or_default(),
                r.try_get::<i32>("", "attempts").unwrap_or_default(),
                r.try_get::<String>("", "n").unwrap_or_default(),
                r.try_get::<Option<String>>("", "l").unwrap_or_default(),
            )
        })
        .collect();
    format!("{} at {}", text.join(", "), chrono::Utc::now())
}

async fn deliveries(app: &impl Api, leader: &Member, hook: &str) -> Vec<Value> {
    let mut all = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/webhooks/{hook}/deliveries?limit=200&cursor={c}"),
            None => format!("/api/v1/webhooks/{hook}/deliveries?limit=200"),
        };
        let page = app.get(&path, &leader.token).await.expect(200);
        all.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return all,
        }
    }
}

async fn lives(app: &TestApp, org: &Org, from: usize, count: usize) -> Vec<String> {
    let runs = (from..from + count).map(|n| {
        let (front, manager) = if n % 2 == 0 {
            (&org.front_a, &org.manager_a)
        } else {
            (&org.front_b, &org.manager_b)
        };
        life(app, front, manager, n)
    });
    futures_util::future::join_all(runs).await
}

// ---------------------------------------------------------------------------

async fn delivers_everything_once_in_order_through_outages_and_errors(app: TestApp) {
    // Arrange: a receiver that answers 500 to one delivery in ten.
    let org = org(&app).await;
    let mut receiver = Receiver::start(10, Duration::ZERO).await;
    let hook = register(&app, &org.leader, &receiver).await;

    // Act: 40 requests' lives, then the receiver goes down for a second or
    // two (kept short: the back-off doubles) while 4 more are lived, then
    // comes back while 6 more are.
    let mut requests = lives(&app, &org, 0, 40).await;
    receiver.down();
    requests.extend(lives(&app, &org, 40, 4).await);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    receiver.up().await;
    requests.extend(lives(&app, &org, 44, 6).await);

    // Assert: 50 × 5 events, each once, in order per request.
    wait_delivered(&app, &receiver, 250, Duration::from_secs(55)).await;
    let accepted = receiver.accepted();
    let duplicates = assert_all_delivered_in_order(&app, &org.leader, &requests, &accepted).await;
    let (bad_signatures, failed_on_purpose) = {
        let record = receiver.record.lock().unwrap();
        (record.bad_signatures, record.failed_on_purpose)
    };
    assert_eq!(bad_signatures, 0, "every delivery is signed");
    assert!(failed_on_purpose > 0, "the receiver failed some");
    // No crash here: a 2xx is always recorded, so nothing comes twice.
    assert_eq!(duplicates, 0);

    // The attempt log shows the failures and the successes.
    let log = deliveries(&app, &org.leader, &hook).await;
    let ok = log.iter().filter(|d| d["status_code"] == 200).count();
    assert_eq!(ok, 250);
    assert!(
        log.iter()
            .all(|d| d["status_code"] == 200 || d["error"].is_string())
    );
    assert!(
        log.iter()
            .any(|d| d["status_code"] == 500 && d["error"] == "answered 500")
    );
    assert!(
        log.iter()
            .any(|d| d["status_code"].is_null() && d["error"].is_string()),
        "an attempt while the receiver was down is logged without a status"
    );
    assert!(log.iter().any(|d| d["attempt"].as_i64().unwrap() > 1));
    let hook_now = app
        .get(&format!("/api/v1/webhooks/{hook}"), &org.leader.token)
        .await
        .expect(200);
    assert_eq!(hook_now.body["active"], true);
    assert!(hook_now.body["failing_since"].is_null());

    // Operators see delivery in Prometheus (counters are per process and
    // other tests of this binary add to them: at least what this one did).
    let text = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let counter = |outcome: &str| -> f64 {
        let prefix = format!("upturn_webhook_attempts_total{{outcome=\"{outcome}\"}} ");
        text.lines()
            .find_map(|l| l.strip_prefix(prefix.as_str()))
            .unwrap_or_else(|| panic!("no {prefix} in:\n{text}"))
            .parse()
            .unwrap()
    };
    assert!(counter("delivered") >= 250.0);
    assert!(counter("failed") >= 1.0);
    assert!(
        text.contains("# TYPE upturn_webhook_backlog gauge"),
        "{text}"
    );
}

async fn registration_follows_the_url_policy_and_is_for_leaders_only(app: TestApp) {
    // Default settings: no loopback, no private networks.
    let org = org(&app).await;
    let leader = &org.leader.token;
    let refused_urls = [
        "http://example.com/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://10.0.0.1/hook",
        "https://192.168.1.10/hook",
        "https://127.0.0.1/hook",
        "http://localhost:9/hook",
        "https://0x7f.1/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://user:pw@example.com/hook",
        "https://example.com/hook#part",
        "ftp://example.com/hook",
        "not a url",
    ];
    for url in refused_urls {
        let answer = app
            .post(
                "/api/v1/webhooks",
                leader,
                json!({"url": url, "events": ["filed"]}),
            )
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(answer.body["errors"][0]["field"], "url", "{url}");
    }
    for events in [json!([]), json!(["filed", "nope"])] {
        let answer = app
            .post(
                "/api/v1/webhooks",
                leader,
                json!({"url": "https://hooks.example.com/upturn", "events": events}),
            )
            .await
            .expect_problem(422, "validation_failed");
        assert_eq!(answer.body["errors"][0]["field"], "events");
    }
    app.post(
        "/api/v1/webhooks",
        leader,
        json!({"url": "https://hooks.example.com/upturn"}),
    )
    .await
    .expect_problem(422, "validation_failed");

    // Others may not.
    for who in [
        &org.admin,
        &org.front_a.token,
        &org.manager_a.token,
        &org.service1.token,
    ] {
        app.post(
            "/api/v1/webhooks",
            who,
            json!({"url": "https://hooks.example.com/upturn", "events": ["filed"]}),
        )
        .await
        .expect_problem(403, "forbidden");
        app.get("/api/v1/webhooks", who)
            .await
            .expect_problem(403, "forbidden");
    }

    // A leader may; the secret is in that answer only.
    let created = app
        .post(
            "/api/v1/webhooks",
            leader,
            json!({"url": "https://hooks.example.com/upturn", "events": ["resolved", "filed", "filed"]}),
        )
        .await
        .expect(201);
    let id = created.id();
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    assert_eq!(created.body["events"], json!(["filed", "resolved"]));
    assert_eq!(
        created.header("location").unwrap(),
        format!("/api/v1/webhooks/{id}")
    );
    let one = app
        .get(&format!("/api/v1/webhooks/{id}"), leader)
        .await
        .expect(200);
    let list = app.get("/api/v1/webhooks", leader).await.expect(200);
    for body in [&one.body, &list.body] {
        let text = body.to_string();
        assert!(!text.contains(&secret) && !text.contains("\"secret\""));
    }
    assert_eq!(list.body["items"].as_array().unwrap().len(), 1);
    assert_eq!(one.body["active"], true);
    app.get(&format!("/api/v1/webhooks/{id}/deliveries"), leader)
        .await
        .expect(200);
    app.get(
        &format!("/api/v1/webhooks/{id}/deliveries"),
        &org.manager_a.token,
    )
    .await
    .expect_problem(403, "forbidden");

    // Deleting it drops what it was owed.
    app.file(&org.front_a).await;
    assert_eq!(app.store.webhook_backlog().await.unwrap(), 1);
    let gone = app
        .client
        .delete(app.url(&format!("/api/v1/webhooks/{id}")))
        .bearer_auth(leader)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status().as_u16(), 204);
    assert_eq!(app.store.webhook_backlog().await.unwrap(), 0);
    app.get(&format!("/api/v1/webhooks/{id}"), leader)
        .await
        .expect_problem(404, "not_found");
    app.get(&format!("/api/v1/webhooks/{id}/deliveries"), leader)
        .await
        .expect_problem(404, "not_found");
}

async fn an_endpoint_failing_for_a_day_is_disabled_and_leadership_told(app: TestApp) {
    // Arrange: a receiver that always answers 500.
    let org = org(&app).await;
    let receiver = Receiver::start(100, Duration::ZERO).await;
    let hook = register(&app, &org.leader, &receiver).await;
    app.file(&org.front_a).await;
    let deadline = Instant::now() + Duration::from_secs(20);
    while deliveries(&app, &org.leader, &hook).await.len() < 2 {
        assert!(Instant::now() < deadline, "no failed attempts logged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let failing = app
        .get(&format!("/api/v1/webhooks/{hook}"), &org.leader.token)
        .await
        .expect(200);
    assert_eq!(failing.body["active"], true, "not after a few seconds");
    assert!(failing.body["failing_since"].is_string());

    // Act: a day and an hour later, the next attempt fails too.
    app.store
        .clock()
        .set(app.store.clock().now() + chrono::Duration::hours(25));

    // Assert: disabled, every leader told, nothing delivered any more.
    let deadline = Instant::now() + Duration::from_secs(20);
    let disabled = loop {
        let now = app
            .get(&format!("/api/v1/webhooks/{hook}"), &org.leader.token)
            .await
            .expect(200);
        if now.body["active"] == false {
            break now;
        }
        assert!(Instant::now() < deadline, "not disabled");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(disabled.body["disabled_at"].is_string());
    // Recorded in the audit trail, done by nobody, as `GET` shows it.
    let trail = app
        .get("/api/v1/audit?entity=webhook", &org.leader.token)
        .await
        .expect(200);
    let row = &trail.body["items"][0];
    assert_eq!(row["action"], "webhook.disabled", "{row}");
    assert_eq!(row["actor_id"], Value::Null);
    assert_eq!(row["entity_id"], json!(hook));
    assert_eq!(row["before"]["active"], true);
    assert_eq!(row["after"], disabled.body);
    let inbox = app
        .get("/api/v1/inbox", &org.leader.token)
        .await
        .expect(200);
    let told: Vec<&Value> = inbox.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["event_type"] == "webhook_disabled")
        .collect();
    assert_eq!(told.len(), 1);
    assert!(
        told[0]["summary"]
            .as_str()
            .unwrap()
            .contains(&receiver.url())
    );
    let attempts = deliveries(&app, &org.leader, &hook).await.len();
    app.file(&org.front_a).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert_eq!(deliveries(&app, &org.leader, &hook).await.len(), attempts);
    assert_eq!(receiver.accepted().len(), 0);
}

async fn a_ten_minute_outage_loses_nothing(app: TestApp) {
    // Arrange: a receiver that is down while three requests are lived.
    let org = org(&app).await;
    let mut receiver = Receiver::start(0, Duration::ZERO).await;
    let hook = register(&app, &org.leader, &receiver).await;
    receiver.down();
    let requests = lives(&app, &org, 0, 3).await;

    // Act: ten minutes pass on the store's clock, thirty seconds at a
    // time, each step giving the worker time to try what is due; then the
    // receiver is back and the longest back-off passes.
    let started = app.store.clock().now();
    for step in 1..=20 {
        app.store
            .clock()
            .set(started + chrono::Duration::seconds(30 * step));
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let during = deliveries(&app, &org.leader, &hook).await;
    let failing = app
        .get(&format!("/api/v1/webhooks/{hook}"), &org.leader.token)
        .await
        .expect(200);
    receiver.up().await;
    app.store
        .clock()
        .set(started + chrono::Duration::minutes(10) + chrono::Duration::hours(1));

    // Assert: retried all along, still active, then every event once, in
    // order per request.
    assert!(during.iter().all(|d| d["status_code"].is_null()));
    assert!(
        during.iter().any(|d| d["attempt"].as_i64().unwrap() >= 5),
        "retried through the outage: {during:#?}"
    );
    assert_eq!(failing.body["active"], true);
    assert!(failing.body["failing_since"].is_string());
    assert_eq!(
        app.store.webhook_backlog().await.unwrap(),
        15,
        "nothing dropped"
    );
    wait_delivered(&app, &receiver, 15, Duration::from_secs(30)).await;
    let duplicates =
        assert_all_delivered_in_order(&app, &org.leader, &requests, &receiver.accepted()).await;
    assert_eq!(duplicates, 0);
    let healed = app
        .get(&format!("/api/v1/webhooks/{hook}"), &org.leader.token)
        .await
        .expect(200);
    assert!(healed.body["failing_since"].is_null());
}

on_both_backends!(
    with receiver::allow_loopback;
    a_ten_minute_outage_loses_nothing,
    delivers_everything_once_in_order_through_outages_and_errors,
    an_endpoint_failing_for_a_day_is_disabled_and_leadership_told,
    an_untrusted_certificate_is_a_failed_attempt,
);

on_both_backends!(registration_follows_the_url_policy_and_is_for_leaders_only);

#[tokio::test]
async fn a_retry_base_out_of_range_refuses_to_start() {
    for base in [0, 3601] {
        let settings = Settings {
            webhook_retry_base_seconds: base,
            ..Settings::default()
        };
        assert!(settings.webhook_delivery().is_err());
    }
}

#[test]
fn a_webhook_ca_file_that_cannot_be_used_refuses_to_start() {
    // Arrange: a file that is not there, a PEM file holding only a key, a
    // file that is not PEM, and a certificate section that is no certificate.
    let dir = common::scratch_dir();
    let missing = dir.join("missing.pem");
    let not_pem = dir.join("not-pem.pem");
    std::fs::write(&not_pem, "not a certificate\n").unwrap();
    let broken = dir.join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .unwrap();
    let cases = [
        (missing, "the file cannot be read"),
        (
            receiver::fixture("leaf.key"),
            "the file holds no PEM certificate",
        ),
        (not_pem, "the file holds no PEM certificate"),
        (broken, "certificate 1 of the file is not valid"),
    ];

    for (path, why) in cases {
        // Act
        let settings = Settings {
            webhook_ca_file: Some(path.clone()),
            ..Settings::default()
        };
        let refused = settings.webhook_delivery().unwrap_err();

        // Assert: the setting, the path and the reason.
        let message = format!("{refused:#}");
        let expected = format!(
            "UPTURN_WEBHOOK_CA_FILE: cannot use {}: {why}",
            path.display()
        );
        assert!(message.starts_with(&expected), "{message}");
    }
    // The fixture CA itself is accepted.
    let settings = Settings {
        webhook_ca_file: Some(receiver::test_ca_file()),
        ..Settings::default()
    };
    assert_eq!(settings.webhook_delivery().unwrap().extra_roots.len(), 1);
    let _ = std::fs::remove_dir_all(dir);
}

// ---------------------------------------------------------------------------
// HTTPS: the delivery client's real path (rustls, the roots it trusts),
// against a receiver whose certificate a test CA signed.

/// `allow_loopback`, and the test CA trusted for delivery.
fn trusting_test_ca(s: &mut Settings) {
    receiver::allow_loopback(s);
    s.webhook_ca_file = Some(receiver::test_ca_file());
}

async fn delivers_over_https_when_the_receivers_ca_is_trusted(app: TestApp) {
    // Arrange: an HTTPS receiver; the server trusts the CA that signed it.
    let org = org(&app).await;
    let receiver = Receiver::start_https(0, Duration::ZERO).await;
    assert!(receiver.url().starts_with("https://127.0.0.1:"));
    let hook = register(&app, &org.leader, &receiver).await;

    // Act: a request's life (5 events).
    let request = life(&app, &org.front_a, &org.manager_a, 0).await;

    // Assert: every event, signed, in order, each at the first attempt.
    wait_delivered(&app, &receiver, 5, Duration::from_secs(30)).await;
    let duplicates =
        assert_all_delivered_in_order(&app, &org.leader, &[request], &receiver.accepted()).await;
    assert_eq!(duplicates, 0);
    {
        let record = receiver.record.lock().unwrap();
        assert_eq!(record.bad_signatures, 0, "every delivery is signed");
        assert_eq!(record.failed_handshakes, 0);
    }
    let log = deliveries(&app, &org.leader, &hook).await;
    assert_eq!(log.len(), 5);
    assert!(
        log.iter()
            .all(|d| d["status_code"] == 200 && d["error"].is_null())
    );
}

async fn an_untrusted_certificate_is_a_failed_attempt(app: TestApp) {
    // Arrange: the same receiver; the server trusts the built-in roots only.
    let org = org(&app).await;
    let receiver = Receiver::start_https(0, Duration::ZERO).await;
    let (hook, secret) = register_with_secret(&app, &org.leader, &receiver).await;

    // Act
    app.file(&org.front_a).await;

    // Assert: failed attempts, each saying the certificate is not trusted;
    // the receiver never got a request through.
    let deadline = Instant::now() + Duration::from_secs(20);
    let log = loop {
        let log = deliveries(&app, &org.leader, &hook).await;
        if log.len() >= 2 {
            break log;
        }
        assert!(Instant::now() < deadline, "no failed attempts logged");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    for attempt in &log {
        assert!(attempt["status_code"].is_null(), "{attempt}");
        let error = attempt["error"].as_str().unwrap();
        assert!(
            error.starts_with("could not connect: the receiver's TLS certificate is not trusted: ")
                && error.contains("UPTURN_WEBHOOK_CA_FILE"),
            "{error}"
        );
        assert!(!error.contains(&secret) && !error.contains("whsec_"));
    }
    let record = receiver.record.lock().unwrap();
    assert_eq!(record.received, 0);
    assert!(record.accepted.is_empty());
    assert!(record.failed_handshakes >= 1);
}

on_both_backends!(with trusting_test_ca; delivers_over_https_when_the_receivers_ca_is_trusted);

// ---------------------------------------------------------------------------
// Real `upturn serve` processes: killed with SIGKILL, or two on one database.

const JWT_SECRET: &str = "webhooks-test-secret-0123456789abcdef";

/// `upturn serve` on `database_url`, delivering to loopback receivers with
/// a 1 s retry base and logging at `debug`, once it is ready.
async fn serve(database_url: &str) -> Serve {
    let env = [
        ("UPTURN_JWT_SECRET", JWT_SECRET),
        ("UPTURN_BOOTSTRAP_ADMIN_EMAIL", common::ADMIN_EMAIL),
        ("UPTURN_BOOTSTRAP_ADMIN_PASSWORD", common::PASSWORD),
        ("UPTURN_WEBHOOK_ALLOW_HTTP_LOOPBACK", "true"),
        ("UPTURN_WEBHOOK_RETRY_BASE_SECONDS", "1"),
        (
            "UPTURN_LOG",
            "info,upturn_api=debug,upturn_persistence=debug",
        ),
        ("UPTURN_LOG_FORMAT", "json"),
    ];
    let log = Log::Own(process::log_path("upturn-webhooks"));
    Serve::start("upturn serve", database_url, &env, log).await
}

/// What the scenarios ask of an `upturn serve` process, on top of `Api`.
impl Serve {
    async fn token(&self, email: &str) -> String {
        let answer = common::read(
            self.client
                .post(self.url("/api/v1/auth/login"))
                .json(&json!({"email": email, "password": common::PASSWORD}))
                .send()
                .await
                .unwrap(),
        )
        .await
        .expect(200);
        answer.body["access_token"].as_str().unwrap().to_owned()
    }

    async fn member(&self, admin: &str, email: &str, role: &str, unit: &str) -> Member {
        let id = self
            .post(
                "/api/v1/members",
                admin,
                json!({"name": email, "email": email, "role": role, "unit_id": unit, "password": common::PASSWORD}),
            )
            .await
            .expect(201)
            .id();
        Member {
            id,
            token: self.token(email).await,
        }
    }

    /// A team with a front-line member and a manager, and a leader.
    async fn people(&self) -> (Member, Member, Member) {
        let admin = self.token(common::ADMIN_EMAIL).await;
        let team = self
            .post(
                "/api/v1/units",
                &admin,
                json!({"name": "Lyon store", "kind": "team"}),
            )
            .await
            .expect(201)
            .id();
        let leadership = self
            .post(
                "/api/v1/units",
                &admin,
                json!({"name": "Leadership", "kind": "leadership"}),
            )
            .await
            .expect(201)
            .id();
        (
            self.member(&admin, "front@p.upturn", "frontline", &team)
                .await,
            self.member(&admin, "manager@p.upturn", "manager", &team)
                .await,
            self.member(&admin, "leader@p.upturn", "leader", &leadership)
                .await,
        )
    }
}

impl Api for Serve {
    async fn get(&self, path: &str, token: &str) -> Resp {
        common::read(
            self.client
                .get(self.url(path))
                .bearer_auth(token)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn post(&self, path: &str, token: &str, body: Value) -> Resp {
        common::read(
            self.client
                .post(self.url(path))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }
}

/// Waits until the receiver holds `events` distinct events.
async fn wait_distinct(receiver: &Receiver, events: usize, within: Duration) {
    let deadline = Instant::now() + within;
    loop {
        let distinct: HashSet<String> = receiver
            .accepted()
            .into_iter()
            .map(|a| a.event_id)
            .collect();
        if distinct.len() >= events {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "not delivered in time: {} of {events} events",
            distinct.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// SIGKILL with deliveries in flight, restart on the same database:
/// nothing is lost (rows leased by the dead process are taken again once
/// their lease runs out), and a duplicate is possible only for what was in
/// flight.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_is_lost_when_the_server_is_killed_mid_delivery() {
    // Arrange: a slow receiver, so deliveries are in flight when the kill comes.
    let (database_url, _scratch) = common::fresh_database(Backend::Sqlite).await;
    let receiver = Receiver::start(0, Duration::from_millis(1000)).await;
    let mut first = serve(&database_url).await;
    let (front, manager, leader) = first.people().await;
    let (hook, secret) = register_with_secret(&first, &leader, &receiver).await;
    let mut requests = Vec::new();
    for n in 0..20 {
        requests.push(life(&first, &front, &manager, n).await);
    }

    // Act: kill -9 while deliveries are in flight, then start again.
    let deadline = Instant::now() + Duration::from_secs(20);
    while receiver.accepted().len() < 3 || receiver.in_flight() == 0 {
        assert!(Instant::now() < deadline, "nothing in flight");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    first.kill();
    let in_flight = receiver.in_flight();
    let first_log = first.log_text();
    assert!(first_log.contains("POST"), "the log is written");
    assert!(!first_log.contains(&secret), "the secret is never logged");
    let second = serve(&database_url).await;
    for n in 20..24 {
        requests.push(life(&second, &front, &manager, n).await);
    }

    // Assert: every event, once after de-duplication, in order per request;
    // what was in flight comes again once its lease runs out.
    wait_distinct(&receiver, 24 * 5, Duration::from_secs(55)).await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let duplicates =
        assert_all_delivered_in_order(&second, &leader, &requests, &receiver.accepted()).await;
    eprintln!("killed with {in_flight} in flight; {duplicates} duplicate(s) after the restart");
    assert!(
        (1..=32).contains(&duplicates),
        "what was in flight comes again, and only that"
    );
    let log = deliveries(&second, &leader, &hook).await;
    assert!(log.iter().filter(|d| d["status_code"] == 200).count() >= 24 * 5);
}

/// Two `upturn serve` processes on one PostgreSQL database, both
/// delivering: every event once, in order per request, and never the same
/// row by both at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(not(upturn_postgres), ignore = "set UPTURN_TEST_POSTGRES_URL")]
async fn two_replicas_share_the_outbox_without_delivering_a_row_twice() {
    // Arrange: a receiver that is a little slow and fails one in ten.
    let (database_url, _scratch) = common::fresh_database(Backend::Postgres).await;
    let receiver = Receiver::start(10, Duration::from_millis(20)).await;
    let a = serve(&database_url).await;
    let b = serve(&database_url).await;
    let (front, manager, leader) = a.people().await;
    let (hook, secret) = register_with_secret(&a, &leader, &receiver).await;

    // Act: 30 lives, each step through the other replica in turn, 6 at a time.
    let both = [&a, &b];
    let mut requests = Vec::new();
    for chunk in 0..5 {
        let runs = (chunk * 6..chunk * 6 + 6).map(|n| life_across(&both, &front, &manager, n));
        requests.extend(futures_util::future::join_all(runs).await);
    }

    // Assert
    wait_distinct(&receiver, 30 * 5, Duration::from_secs(55)).await;
    tokio::time::sleep(Duration::from_millis(1000)).await;
    let duplicates =
        assert_all_delivered_in_order(&b, &leader, &requests, &receiver.accepted()).await;
    let concurrent = receiver.record.lock().unwrap().concurrent_same_event;
    eprintln!("two replicas: {duplicates} duplicate(s), {concurrent} concurrent");
    assert_eq!(
        concurrent, 0,
        "a row was delivered by both replicas at once"
    );
    assert_eq!(duplicates, 0, "no crash, so no event twice");
    let log = deliveries(&a, &leader, &hook).await;
    assert_eq!(log.iter().filter(|d| d["status_code"] == 200).count(), 150);
    for replica in [&a, &b] {
        assert!(
            !replica.log_text().contains(&secret),
            "the secret is never logged"
        );
    }
}

/// `upturn serve` with a CA file that is not there: it exits at once with
/// the message, and no panic.
#[test]
fn upturn_serve_refuses_to_start_without_its_ca_file() {
    // Arrange
    let dir = common::scratch_dir();
    let missing = dir.join("missing-ca.pem");
    let mut child = process::serve_command()
        .env(
            "UPTURN_DATABASE_URL",
            format!("sqlite://{}?mode=rwc", dir.join("upturn.db").display()),
        )
        .env("UPTURN_BIND", "127.0.0.1:0")
        .env("UPTURN_WEBHOOK_CA_FILE", &missing)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("upturn runs");

    // Act
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            panic!("upturn serve started with a missing UPTURN_WEBHOOK_CA_FILE");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let output = child.wait_with_output().unwrap();

    // Assert
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success());
    assert!(
        stderr.contains(&format!(
            "upturn: UPTURN_WEBHOOK_CA_FILE: cannot use {}: the file cannot be read",
            missing.display()
        )),
        "{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    let _ = std::fs::remove_dir_all(dir);
}
