//! Customers' personal data (GDPR), black box on both backends: a leader
//! erases a customer's name and contact at once, and they go on their own
//! `UPTURN_CUSTOMER_DATA_DAYS` after the request is closed. Figures,
//! timeline and tracking stay; the export, webhooks and a replayed filing
//! never give the erased data back.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/receiver.rs"]
#[allow(dead_code, reason = "this file needs only part of the receiver")]
mod receiver;

use std::time::{Duration, Instant};

use chrono::{DateTime, TimeZone, Utc};
use common::{Member, Org, TestApp, filing, org};
use receiver::Receiver;
use serde_json::{Value, json};
use upturn_domain::customer_data::KeepDays;

const NAME: &str = "Lefèvre";
const CONTACT: &str = "34 56 78";

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

fn erase_path(id: &str) -> String {
    format!("/api/v1/requests/{id}/erase-customer")
}

async fn events(app: &TestApp, who: &Member, id: &str) -> Vec<Value> {
    app.get(&format!("/api/v1/requests/{id}/events"), &who.token)
        .await
        .expect(200)
        .body["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

/// Resolves at the front line and records the follow-up: closed.
async fn close(app: &TestApp, o: &Org, id: &str) -> Value {
    app.post(
        &format!("/api/v1/requests/{id}/status"),
        &o.front_a.token,
        json!({"status": "resolved", "note": "Found a pair in the back store"}),
    )
    .await
    .expect(200);
    let closed = app
        .post(
            &format!("/api/v1/requests/{id}/follow-up"),
            &o.front_a.token,
            json!({"customer_reached": true, "satisfaction": 5, "note": "Delighted"}),
        )
        .await
        .expect(200);
    assert_eq!(closed.body["status"], "closed");
    closed.body
}

on_both_backends!(with receiver::allow_loopback; a_leader_erases_the_customer_at_once);

async fn a_leader_erases_the_customer_at_once(app: TestApp) {
    // Arrange: a webhook for filings and erasures, and a request filed with
    // an Idempotency-Key for a customer who consented to follow-up.
    let o = org(&app).await;
    let receiver = Receiver::start(0, Duration::ZERO).await;
    let created = app
        .post(
            "/api/v1/webhooks",
            &o.leader.token,
            json!({"url": receiver.url(), "events": ["filed", "customer_data_erased"]}),
        )
        .await
        .expect(201);
    receiver.set_secret(created.body["secret"].as_str().unwrap());
    let key = [("Idempotency-Key", "erase-0001")];
    let filed = app
        .post_with(
            "/api/v1/requests",
            &o.front_a.token,
            &key,
            filing("Trousers"),
        )
        .await
        .expect(201);
    let id = filed.id();
    assert!(
        filed.body["customer"]["name"]
            .as_str()
            .unwrap()
            .contains(NAME)
    );
    let code = filed.body["tracking_code"].as_str().unwrap().to_owned();
    let version = filed.body["version"].as_i64().unwrap();

    // Act
    let erased = app.post(&erase_path(&id), &o.leader.token, json!({})).await;

    // Assert: 200 with the whole request, its version bumped and its ETag.
    let erased = erased.expect(200);
    assert_eq!(erased.body["id"], id.as_str());
    assert_eq!(erased.body["version"], version + 1);
    assert_eq!(
        erased.header("etag").as_deref(),
        Some(format!("\"{}\"", version + 1).as_str())
    );
    assert_eq!(
        erased.body["customer"],
        json!({"name": null, "contact": null, "consent_follow_up": true})
    );
    assert_eq!(erased.body["title"], "Trousers", "the rest stays");
    assert_eq!(erased.body["tracking_code"], code.as_str());

    // Everyone who reads it sees it without the name and contact.
    let read = app
        .get(&format!("/api/v1/requests/{id}"), &o.front_a.token)
        .await
        .expect(200);
    assert_eq!(read.body["customer"]["name"], Value::Null);
    assert_eq!(read.body["customer"]["contact"], Value::Null);
    assert!(!read.body.to_string().contains(NAME) && !read.body.to_string().contains(CONTACT));

    // One event says it happened, by whom, and not what was erased.
    let timeline = events(&app, &o.manager_a, &id).await;
    let said = of_type(&timeline, "customer_data_erased");
    assert_eq!(said.len(), 1, "{timeline:?}");
    assert_eq!(said[0]["actor_id"], o.leader.id.as_str());
    assert_eq!(said[0]["note"], Value::Null);
    assert_eq!(said[0]["internal"], false);
    let text = serde_json::to_string(&timeline).unwrap();
    assert!(!text.contains(NAME) && !text.contains(CONTACT), "{text}");
    assert_eq!(
        timeline.first().unwrap()["type"],
        "filed",
        "the timeline stays"
    );

    // The customer's tracking page still works.
    let tracked = app
        .get_public(&format!("/api/v1/track/{code}"))
        .await
        .expect(200);
    assert_eq!(tracked.body["status"], "new");

    // The export never carries a name or a contact.
    let export = app
        .client
        .get(app.url("/api/v1/requests/export.csv"))
        .bearer_auth(&o.leader.token)
        .send()
        .await
        .unwrap();
    assert_eq!(export.status(), 200);
    let csv = export.text().await.unwrap();
    assert!(csv.contains("Trousers"), "{csv}");
    assert!(!csv.contains(NAME) && !csv.contains(CONTACT), "{csv}");

    // A retry of the filing with its key replays the request, without the
    // erased data, and files nothing new.
    let replayed = app
        .post_with(
            "/api/v1/requests",
            &o.front_a.token,
            &key,
            filing("Trousers"),
        )
        .await
        .expect(201);
    assert_eq!(replayed.id(), id);
    assert!(
        !replayed.body.to_string().contains(NAME) && !replayed.body.to_string().contains(CONTACT),
        "{}",
        replayed.body.to_string()
    );
    assert_eq!(replayed.body["customer"]["consent_follow_up"], true);
    assert_eq!(app.count("SELECT COUNT(*) AS n FROM requests").await, 1);

    // Erasing again is harmless: no change, no second event.
    let again = app
        .post(&erase_path(&id), &o.leader.token, json!({}))
        .await
        .expect(200);
    assert_eq!(again.body["version"], version + 1);
    let timeline = events(&app, &o.leader, &id).await;
    assert_eq!(of_type(&timeline, "customer_data_erased").len(), 1);

    // Nobody's inbox is filled with it.
    let inbox = app.get("/api/v1/inbox", &o.front_a.token).await.expect(200);
    assert!(
        !inbox.body.to_string().contains("customer_data_erased"),
        "{}",
        inbox.body.to_string()
    );

    // Webhooks: the erasure is delivered, and no delivery carries the data.
    let receiver = &receiver;
    until(
        "the filing and the erasure delivered",
        Duration::from_secs(30),
        || async move { receiver.accepted().len() >= 2 },
    )
    .await;
    let delivered = receiver.accepted();
    assert!(
        delivered.iter().any(|d| d.kind == "customer_data_erased"),
        "{delivered:?}"
    );
    for d in &delivered {
        assert!(
            !d.body.contains(NAME) && !d.body.contains(CONTACT),
            "{}",
            d.body
        );
    }
}

on_both_backends!(only_leaders_erase_and_others_are_told_as_they_see_the_request);

async fn only_leaders_erase_and_others_are_told_as_they_see_the_request(app: TestApp) {
    // Arrange: a request of team A, routed to service 1.
    let o = org(&app).await;
    let id = app.file(&o.front_a).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/requests/{id}/route"),
        &o.manager_a.token,
        json!({"to_unit_id": o.service_1, "note": "Stock question"}),
    )
    .await
    .expect(200);
    let admin = Member {
        id: String::new(),
        token: o.admin.clone(),
    };

    // Who sees it but is not a leader: 403. Who does not see it: 404.
    // (the front line and the manager of its team, the service it was
    // routed to)
    for who in [&o.front_a, &o.manager_a, &o.service1] {
        app.post(&erase_path(&id), &who.token, json!({}))
            .await
            .expect_problem(403, "forbidden");
    }
    for who in [&o.front_b, &o.manager_b, &o.service2, &admin] {
        app.post(&erase_path(&id), &who.token, json!({}))
            .await
            .expect_problem(404, "not_found");
    }
    let unknown = uuid::Uuid::now_v7();
    app.post(
        &erase_path(&unknown.to_string()),
        &o.leader.token,
        json!({}),
    )
    .await
    .expect_problem(404, "not_found");

    // A stale version or ETag is refused like every action.
    let current = app
        .get(&format!("/api/v1/requests/{id}"), &o.leader.token)
        .await
        .expect(200);
    let version = current.body["version"].as_i64().unwrap();
    app.post(
        &erase_path(&id),
        &o.leader.token,
        json!({"version": version - 1}),
    )
    .await
    .expect_problem(409, "version_conflict");
    app.post_with(
        &erase_path(&id),
        &o.leader.token,
        &[("If-Match", "\"1\"")],
        json!({}),
    )
    .await
    .expect_problem(412, "precondition_failed");

    // Nothing was erased by the refusals.
    let after = app
        .get(&format!("/api/v1/requests/{id}"), &o.leader.token)
        .await
        .expect(200);
    assert_eq!(after.body["version"], version);
    assert!(after.body.to_string().contains(NAME));

    // An open request is erased at a leader's demand too, with no body.
    let erased = app
        .client
        .post(app.url(&erase_path(&id)))
        .bearer_auth(&o.leader.token)
        .header("If-Match", format!("\"{version}\""))
        .send()
        .await
        .unwrap();
    assert_eq!(erased.status(), 200);
    let body: Value = erased.json().await.unwrap();
    assert_eq!(body["status"], "new");
    assert_eq!(body["level"], "service");
    assert_eq!(body["customer"]["name"], Value::Null);
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 6, 1, 9, 0, 0).unwrap()
}

fn thirty_days(s: &mut upturn_api::config::Settings) {
    s.customer_data_days = 30;
}

on_both_backends!(with thirty_days; closed_requests_lose_their_customer_data_after_the_set_days);

async fn closed_requests_lose_their_customer_data_after_the_set_days(app: TestApp) {
    // Arrange: on a stopped clock, one request closed, one resolved but not
    // closed, one still open.
    let o = org(&app).await;
    let clock = app.store.clock();
    clock.set(t0());
    let keep = KeepDays::new(30).unwrap();
    let closed = app.file(&o.front_a).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let closed_at = close(&app, &o, &closed).await["closed_at"].clone();
    assert_eq!(closed_at, json!("2026-06-01T09:00:00Z"));
    let resolved = app.file(&o.front_a).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.post(
        &format!("/api/v1/requests/{resolved}/status"),
        &o.front_a.token,
        json!({"status": "resolved", "note": "Ordered"}),
    )
    .await
    .expect(200);
    let open = app.file(&o.front_a).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let code = app
        .get(&format!("/api/v1/requests/{closed}"), &o.front_a.token)
        .await
        .body["tracking_code"]
        .as_str()
        .unwrap()
        .to_owned();
    let name_of = |id: String| {
        let app = &app;
        let token = o.front_a.token.clone();
        async move {
            app.get(&format!("/api/v1/requests/{id}"), &token)
                .await
                .expect(200)
                .body["customer"]["name"]
                .clone()
        }
    };

    // A day short of thirty: nothing goes.
    clock.advance(chrono::Duration::days(30) - chrono::Duration::seconds(1));
    let erased = app
        .store
        .erase_due_customer_data(keep, clock.now())
        .await
        .unwrap();
    assert_eq!(erased, 0);
    assert!(
        name_of(closed.clone())
            .await
            .as_str()
            .unwrap()
            .contains(NAME)
    );

    // Thirty days after closing: the closed one goes, by itself (no
    // actor), and only it.
    clock.advance(chrono::Duration::seconds(1));
    let erased = app
        .store
        .erase_due_customer_data(keep, clock.now())
        .await
        .unwrap();
    assert_eq!(erased, 1);
    assert_eq!(name_of(closed.clone()).await, Value::Null);
    assert!(
        name_of(resolved.clone())
            .await
            .as_str()
            .unwrap()
            .contains(NAME)
    );
    assert!(name_of(open.clone()).await.as_str().unwrap().contains(NAME));
    let timeline = events(&app, &o.leader, &closed).await;
    let said = of_type(&timeline, "customer_data_erased");
    assert_eq!(said.len(), 1);
    assert_eq!(said[0]["actor_id"], Value::Null);
    assert_eq!(said[0]["at"], "2026-07-01T09:00:00Z");
    assert!(!of_type(&timeline, "follow_up_recorded").is_empty());

    // The tracking page and the figures stay.
    app.get_public(&format!("/api/v1/track/{code}"))
        .await
        .expect(200);
    let overview = app
        .get(
            "/api/v1/metrics/overview?from=2026-05-01T00:00:00Z&to=2026-08-01T00:00:00Z",
            &o.leader.token,
        )
        .await
        .expect(200);
    assert_eq!(overview.body["volume"]["total"], 3);
    assert_eq!(overview.body["satisfaction"]["responses"], 1);

    // Much later, the request that was never closed still keeps its data;
    // a second run finds nothing more.
    clock.advance(chrono::Duration::days(365));
    let erased = app
        .store
        .erase_due_customer_data(keep, clock.now())
        .await
        .unwrap();
    assert_eq!(erased, 0);
    assert!(name_of(open.clone()).await.as_str().unwrap().contains(NAME));

    // Several replicas erasing at once write one event between them.
    let another = app.file(&o.front_a).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    close(&app, &o, &another).await;
    clock.advance(chrono::Duration::days(31));
    let runs = (0..4).map(|_| {
        let store = app.store.clone();
        let now = clock.now();
        tokio::spawn(async move { store.erase_due_customer_data(keep, now).await.unwrap() })
    });
    let mut total = 0;
    for run in runs.collect::<Vec<_>>() {
        total += run.await.unwrap();
    }
    assert_eq!(total, 1);
    let timeline = events(&app, &o.leader, &another).await;
    assert_eq!(of_type(&timeline, "customer_data_erased").len(), 1);
    assert_eq!(
        app.count("SELECT COUNT(*) AS n FROM events WHERE \"type\" = 'customer_data_erased'")
            .await,
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retention_over_ten_years_refuses_to_start_and_zero_is_allowed() {
    let (url, _scratch) = common::fresh_database(common::Backend::Sqlite).await;
    let mut settings = common::test_settings(&url);
    settings.customer_data_days = KeepDays::MAX + 1;
    let refused = upturn_api::startup::Application::build(settings).await;
    let error = refused.err().expect("the application refuses to start");
    assert!(
        format!("{error:#}").contains("UPTURN_CUSTOMER_DATA_DAYS"),
        "{error:#}"
    );
    let mut settings = common::test_settings(&url);
    settings.customer_data_days = 0;
    assert_eq!(
        settings.customer_data_days().map(KeepDays::get).ok(),
        Some(0)
    );
    assert_eq!(
        upturn_api::config::Settings::default().customer_data_days,
        90
    );
}

on_both_backends!(the_openapi_document_describes_the_erasure);

async fn the_openapi_document_describes_the_erasure(app: TestApp) {
    let openapi = app.get_public("/api/openapi.json").await.expect(200);
    let post = &openapi.body["paths"]["/api/v1/requests/{id}/erase-customer"]["post"];
    assert!(post.is_object(), "{}", openapi.body["paths"]);
    for status in ["200", "403", "404", "409", "412"] {
        assert!(post["responses"][status].is_object(), "{status}: {post}");
    }
}
