//! Retention, black box: delivered webhook events and delivery attempts go
//! after 30 days, `Idempotency-Key` answers after 24 hours; an event still
//! owed to an endpoint stays however old, and nothing goes early.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/receiver.rs"]
#[allow(dead_code, reason = "this file needs only part of the receiver")]
mod receiver;

use std::time::{Duration, Instant};

use common::{Member, TestApp, filing, org};
use receiver::Receiver;
use serde_json::{Value, json};

async fn register(app: &TestApp, leader: &Member, url: &str) -> (String, String) {
    let created = app
        .post(
            "/api/v1/webhooks",
            &leader.token,
            json!({"url": url, "events": ["filed"]}),
        )
        .await
        .expect(201);
    let secret = created.body["secret"].as_str().unwrap().to_owned();
    (created.id(), secret)
}

async fn attempts(app: &TestApp, leader: &Member, hook: &str) -> Vec<Value> {
    let page = app
        .get(
            &format!("/api/v1/webhooks/{hook}/deliveries?limit=200"),
            &leader.token,
        )
        .await
        .expect(200);
    page.body["items"].as_array().unwrap().clone()
}

/// Waits until `done` holds, for at most `within`.
async fn until<F: Future<Output = bool>>(
    what: &str,
    within: Duration,
    mut done: impl FnMut() -> F,
) {
    let deadline = Instant::now() + within;
    while !done().await {
        assert!(Instant::now() < deadline, "not in time: {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

const OWED: &str = "SELECT COUNT(*) AS n FROM webhook_outbox WHERE delivered_at IS NULL";
const DELIVERED: &str = "SELECT COUNT(*) AS n FROM webhook_outbox WHERE delivered_at IS NOT NULL";
const ATTEMPTS: &str = "SELECT COUNT(*) AS n FROM webhook_deliveries";

on_both_backends!(with receiver::allow_loopback; prunes_only_what_is_past_its_retention);

async fn prunes_only_what_is_past_its_retention(app: TestApp) {
    // Arrange: one endpoint that answers, one that is down (a closed port),
    // and a filing with an Idempotency-Key.
    let org = org(&app).await;
    let receiver = Receiver::start(0, Duration::ZERO).await;
    let (up, secret) = register(&app, &org.leader, &receiver.url()).await;
    receiver.set_secret(&secret);
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let down_url = format!(
        "http://127.0.0.1:{}/hook",
        closed.local_addr().unwrap().port()
    );
    drop(closed);
    let (down, _) = register(&app, &org.leader, &down_url).await;
    let front = &org.front_a.token;
    let key = [("Idempotency-Key", "prune-0001")];
    let first = app
        .post_with("/api/v1/requests", front, &key, filing("Trousers"))
        .await
        .expect(201);
    app.post("/api/v1/requests", front, filing("Shoes"))
        .await
        .expect(201);
    // The waits below poll through these references.
    let (app, receiver, leader, down) = (&app, &receiver, &org.leader, down.as_str());
    until(
        "two events delivered and the down endpoint tried",
        Duration::from_secs(30),
        || async move {
            receiver.accepted().len() >= 2 && !attempts(app, leader, down).await.is_empty()
        },
    )
    .await;
    assert_eq!(app.count(DELIVERED).await, 2);
    assert_eq!(
        app.count(OWED).await,
        2,
        "both filings owed to the down endpoint"
    );
    let now = app.store.clock().now();

    // Inside every retention: nothing goes, and a retry replays.
    let pruned = app
        .store
        .prune(now + chrono::Duration::hours(23))
        .await
        .unwrap();
    assert!(pruned.is_empty(), "{pruned:?}");
    let again = app
        .post_with("/api/v1/requests", front, &key, filing("Trousers"))
        .await
        .expect(201);
    assert_eq!(again.id(), first.id());
    assert_eq!(attempts(app, leader, &up).await.len(), 2);

    // Past a day: the key's answer goes (a retry now files anew); the
    // webhook history stays.
    let pruned = app
        .store
        .prune(now + chrono::Duration::hours(25))
        .await
        .unwrap();
    assert_eq!(pruned.idempotency_keys, 1);
    assert_eq!((pruned.delivered_events, pruned.delivery_attempts), (0, 0));
    let anew = app
        .post_with("/api/v1/requests", front, &key, filing("Trousers"))
        .await
        .expect(201);
    assert_ne!(anew.id(), first.id());
    // The receiver answers before the worker notes the delivery: wait for
    // the note, not the answer.
    until(
        "the third filing delivered and noted",
        Duration::from_secs(30),
        || async { receiver.accepted().len() >= 3 && app.count(DELIVERED).await == 3 },
    )
    .await;

    // Past thirty days: delivered events and every attempt go; the events
    // still owed to the down endpoint stay.
    let delivered = app.count(DELIVERED).await;
    assert_eq!(delivered, 3);
    let pruned = app
        .store
        .prune(now + chrono::Duration::days(31))
        .await
        .unwrap();
    assert_eq!(pruned.delivered_events, 3);
    assert!(pruned.delivery_attempts >= 4, "{pruned:?}");
    assert_eq!(app.count(DELIVERED).await, 0);
    assert_eq!(app.count(OWED).await, 3, "owed events are never pruned");
    assert!(attempts(app, leader, &up).await.is_empty());
    // The owed events are still tried.
    until(
        "the down endpoint tried again",
        Duration::from_secs(30),
        || async move { app.count(ATTEMPTS).await > 0 },
    )
    .await;
}

on_both_backends!(a_kept_answer_is_as_old_as_the_store_clock_says);

/// An `Idempotency-Key` answer is dated by the store's clock like everything
/// else it writes: one kept two days ago (by that clock) is past its day.
async fn a_kept_answer_is_as_old_as_the_store_clock_says(app: TestApp) {
    let org = org(&app).await;
    let clock = app.store.clock();
    let then = chrono::Utc::now() - chrono::Duration::days(2);
    clock.set(then);
    let key = [("Idempotency-Key", "clock-0001")];
    let first = app
        .post_with("/api/v1/requests", &org.front_a.token, &key, filing("Belt"))
        .await
        .expect(201);
    assert_eq!(
        first.body["filed_at"],
        json!(then.to_rfc3339_opts(chrono::SecondsFormat::Micros, true))
    );
    clock.follow_system();

    let pruned = app.store.prune(clock.now()).await.unwrap();

    assert_eq!(pruned.idempotency_keys, 1, "{pruned:?}");
    let anew = app
        .post_with("/api/v1/requests", &org.front_a.token, &key, filing("Belt"))
        .await
        .expect(201);
    assert_ne!(anew.id(), first.id(), "the key was forgotten: filed anew");
}
