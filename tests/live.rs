//! The live side, across replicas: the SLA sweeper flags each passed
//! deadline exactly once however many processes sweep, the inbox items it
//! writes reach their owners once, and the SSE stream pushes the same items
//! live, on any replica, resuming with `Last-Event-ID` without loss or
//! duplicates.
//!
//! A "replica" is an in-process `Application` built on the same database
//! URL: its own pool, sweeper, hub and (on PostgreSQL) `LISTEN` connection.
//! On PostgreSQL every test runs two of them on one fresh database; on
//! SQLite, one. Replica A is the first, replica B the last (the same one on
//! SQLite). Every replica sweeps every second.
//!
//! Run with `-- --nocapture` to see the figures (breach lateness, SSE
//! latency).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use common::sse::{Sse, assert_consecutive};
use common::{Backend, Member, Resp, Scratch, TestApp, filing, org, read};
use futures_util::StreamExt;
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt;
use upturn_api::config::Settings;
use upturn_api::hub::Hub;
use upturn_api::startup::Application;

/// Runs one test body against SQLite (one replica) and, when the suite was
/// built with `UPTURN_TEST_POSTGRES_URL`, PostgreSQL (two replicas).
macro_rules! live_tests {
    ($($name:ident),+ $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name(super::Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[cfg_attr(
                not(upturn_postgres),
                ignore = "PostgreSQL suite skipped: set UPTURN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run it"
            )]
            async fn postgres() {
                super::$name(super::Backend::Postgres).await;
            }
        }
    )+};
}

live_tests!(
    sweeper_flags_each_passed_deadline_exactly_once,
    breach_items_name_the_deadline_that_passed,
    a_change_through_one_replica_reaches_a_stream_on_another,
    a_client_that_reconnects_gets_exactly_what_it_missed,
    a_stream_ticket_opens_the_stream_and_nothing_else,
    a_client_that_stops_reading_does_not_hold_the_server,
);

// ---------------------------------------------------------------------------
// Replicas

/// One server process: the harness's app, plus its hub (to count streams).
struct Replica {
    app: TestApp,
    hub: Arc<Hub>,
}

impl std::ops::Deref for Replica {
    type Target = TestApp;

    fn deref(&self) -> &TestApp {
        &self.app
    }
}

/// Starts one more server on `database_url` (sweeping every second), with
/// settings adjusted by `tweak`. It does not own the database.
async fn spawn_replica(
    database_url: &str,
    backend: Backend,
    tweak: impl FnOnce(&mut Settings),
) -> Replica {
    let mut settings = common::test_settings(database_url);
    settings.sla_sweep_seconds = 1;
    tweak(&mut settings);
    let application = Application::build(settings)
        .await
        .expect("the replica starts");
    let base = format!("http://127.0.0.1:{}", application.port());
    let store = application.store().clone();
    let hub = Arc::clone(&application.state().hub);
    let server = tokio::spawn(async move {
        let _ = application.run_until_stopped().await;
    });
    Replica {
        app: TestApp {
            base,
            backend,
            database_url: database_url.to_owned(),
            client: common::client(),
            store,
            server,
            // The database belongs to the cluster: an empty folder here.
            _scratch: Scratch::Dir(common::scratch_dir()),
        },
        hub,
    }
}

/// The replicas sharing one fresh database (dropped before it).
struct Cluster {
    replicas: Vec<Replica>,
    _scratch: Scratch,
}

impl Cluster {
    fn a(&self) -> &Replica {
        &self.replicas[0]
    }

    fn b(&self) -> &Replica {
        self.replicas.last().unwrap()
    }

    /// Round robin, for spreading work over the replicas.
    fn at(&self, i: usize) -> &Replica {
        &self.replicas[i % self.replicas.len()]
    }
}

async fn cluster(backend: Backend) -> Cluster {
    if std::env::var_os("TEST_LOG").is_some() {
        upturn_api::telemetry::init("info", upturn_api::config::LogFormat::Pretty);
    }
    let (url, scratch) = common::fresh_database(backend).await;
    let count = match backend {
        Backend::Sqlite => 1,
        Backend::Postgres => 2,
    };
    let mut replicas = Vec::new();
    // One after the other: the first migrates and creates the admin.
    for _ in 0..count {
        replicas.push(spawn_replica(&url, backend, |_| {}).await);
    }
    Cluster {
        replicas,
        _scratch: scratch,
    }
}

// ---------------------------------------------------------------------------
// HTTP helpers

async fn put(app: &TestApp, path: &str, token: &str, body: Value) -> Resp {
    read(
        app.client
            .put(app.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// Every page of a cursor-paginated list.
async fn all_pages(app: &TestApp, token: &str, path: &str) -> Vec<Value> {
    let mut items = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("{path}?limit=200&cursor={c}"),
            None => format!("{path}?limit=200"),
        };
        let page = app.get(&url, token).await.expect(200);
        items.extend(page.body["items"].as_array().unwrap().iter().cloned());
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => return items,
        }
    }
}

async fn inbox_all(app: &TestApp, token: &str) -> Vec<Value> {
    all_pages(app, token, "/api/v1/inbox").await
}

fn sla_items(items: &[Value]) -> Vec<&Value> {
    items
        .iter()
        .filter(|i| i["event_type"] == "sla_breached")
        .collect()
}

/// Files every body as `who`, eight at a time, spread over the replicas;
/// answers the created requests in the order of `bodies`.
async fn file_many(cluster: &Cluster, who: &Member, bodies: Vec<Value>) -> Vec<Value> {
    let mut answers: Vec<(usize, Resp)> =
        futures_util::stream::iter(bodies.into_iter().enumerate().map(|(i, body)| {
            let app = cluster.at(i);
            async move { (i, app.post("/api/v1/requests", &who.token, body).await) }
        }))
        .buffer_unordered(8)
        .collect()
        .await;
    answers.sort_by_key(|(i, _)| *i);
    answers
        .into_iter()
        .map(|(_, answer)| answer.expect(201).body)
        .collect()
}

fn time(value: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a time")).expect("an RFC 3339 time")
}

fn str_of(value: &Value) -> String {
    value.as_str().expect("a string").to_owned()
}

// ---------------------------------------------------------------------------
// Server-Sent Events

#[derive(Clone, Copy)]
enum Auth<'a> {
    Bearer(&'a str),
    Ticket(&'a str),
    Nothing,
}

/// Opens `GET /api/v1/stream`; the error answer when it is refused.
async fn try_stream(
    app: &TestApp,
    auth: Auth<'_>,
    last_event_id: Option<i64>,
) -> Result<Sse, Resp> {
    let mut request = match auth {
        Auth::Ticket(ticket) => app
            .client
            .get(app.url(&format!("/api/v1/stream?ticket={ticket}"))),
        Auth::Bearer(token) => app.client.get(app.url("/api/v1/stream")).bearer_auth(token),
        Auth::Nothing => app.client.get(app.url("/api/v1/stream")),
    };
    request = request.header("Accept", "text/event-stream");
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id.to_string());
    }
    let response = request.send().await.unwrap();
    if response.status().as_u16() != 200 {
        return Err(read(response).await);
    }
    Ok(Sse::open(response).await)
}

async fn open_stream(app: &TestApp, auth: Auth<'_>, last_event_id: Option<i64>) -> Sse {
    match try_stream(app, auth, last_event_id).await {
        Ok(sse) => sse,
        Err(answer) => panic!(
            "the stream did not open: {} {:#}",
            answer.status, answer.body
        ),
    }
}

fn median_and_max(mut samples: Vec<Duration>) -> (Duration, Duration) {
    samples.sort();
    let median = samples[(samples.len() - 1) / 2];
    (median, *samples.last().unwrap())
}

// ---------------------------------------------------------------------------
// The SLA sweeper

/// The deadlines of `high` requests (seconds): they pass during the test.
const HIGH_ACK: i64 = 2;
const HIGH_RESOLVE: i64 = 4;
/// `low` requests: only the resolve deadline passes.
const LOW_RESOLVE: i64 = 4;
const LONG: i64 = 3600;

const HIGH_COUNT: usize = 180;
const LOW_COUNT: usize = 20;
/// Control group (`normal`): no deadline passes.
const NORMAL_COUNT: usize = 10;

async fn set_policies(app: &TestApp, leader: &str, high: (i64, i64), low: (i64, i64)) {
    let policy = |urgency: &str, (ack, resolve): (i64, i64)| json!({"urgency": urgency, "acknowledge_within_seconds": ack, "resolve_within_seconds": resolve});
    put(
        app,
        "/api/v1/sla-policies",
        leader,
        json!({"policies": [
            policy("critical", (LONG, 2 * LONG)),
            policy("high", high),
            policy("normal", (LONG, 2 * LONG)),
            policy("low", low),
        ]}),
    )
    .await
    .expect(200);
}

/// 200 requests whose deadlines pass during the test (180 both deadlines,
/// 20 only the resolve one) and 10 whose deadlines do not, filed through
/// every replica while every replica sweeps each second (and two extra
/// sweepers per replica every 100 ms, for contention): one `sla_breached`
/// event per passed deadline, one inbox item per passed deadline for each
/// of the team's managers and each leader, the request flagged, and the
/// live streams of leadership on both replicas see the same items once.
async fn sweeper_flags_each_passed_deadline_exactly_once(backend: Backend) {
    let cluster = cluster(backend).await;
    let (a, b) = (cluster.a(), cluster.b());
    let org = org(a).await;
    let manager_a2 = a
        .member(&org.admin, "manager.a2@test.upturn", "manager", &org.team_a)
        .await;
    let leader2 = a
        .member(
            &org.admin,
            "leader.2@test.upturn",
            "leader",
            &org.leadership,
        )
        .await;
    set_policies(
        a,
        &org.leader.token,
        (HIGH_ACK, HIGH_RESOLVE),
        (LONG, LOW_RESOLVE),
    )
    .await;
    // The other replica reads the same policies.
    let policies = b
        .get("/api/v1/sla-policies", &leader2.token)
        .await
        .expect(200);
    let high = policies.body["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["urgency"] == "high")
        .unwrap()
        .clone();
    assert_eq!(high["acknowledge_within_seconds"], HIGH_ACK);

    // Leadership listens live: one leader on each replica.
    let mut live_a = open_stream(a, Auth::Bearer(&org.leader.token), None).await;
    let mut live_b = open_stream(b, Auth::Bearer(&leader2.token), None).await;

    let urgency = |i: usize| {
        if i < HIGH_COUNT {
            "high"
        } else if i < HIGH_COUNT + LOW_COUNT {
            "low"
        } else {
            "normal"
        }
    };
    let total_requests = HIGH_COUNT + LOW_COUNT + NORMAL_COUNT;
    let bodies: Vec<Value> = (0..total_requests)
        .map(|i| {
            let mut body = filing(&format!("Deadline {i}"));
            body["urgency"] = json!(urgency(i));
            body
        })
        .collect();
    // Besides each replica's own sweeper (every second), two more sweepers
    // per replica sweep every 100 ms on its store: more contention.
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let extra_sweepers: Vec<_> = cluster
        .replicas
        .iter()
        .flat_map(|r| [r.store.clone(), r.store.clone()])
        .map(|store| {
            let stop = Arc::clone(&stop);
            tokio::spawn(async move {
                let (mut flagged, mut errors) = (0, Vec::new());
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    match store.sweep_sla(chrono::Utc::now()).await {
                        Ok(n) => flagged += n,
                        Err(error) => errors.push(format!("{error:#}")),
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
                (flagged, errors)
            })
        })
        .collect();
    let started = Instant::now();
    let filed = file_many(&cluster, &org.front_a, bodies).await;
    let filing_took = started.elapsed();

    // What each request must end with: the deadlines that pass.
    let mut expected: HashMap<String, Vec<&'static str>> = HashMap::new();
    for (i, request) in filed.iter().enumerate() {
        let (ack, resolve, passes) = match urgency(i) {
            "high" => (HIGH_ACK, HIGH_RESOLVE, vec!["acknowledge", "resolve"]),
            "low" => (LONG, LOW_RESOLVE, vec!["resolve"]),
            _ => (LONG, 2 * LONG, vec![]),
        };
        let filed_at = time(&request["filed_at"]);
        assert_eq!(
            (time(&request["sla"]["acknowledge_by"]) - filed_at).num_seconds(),
            ack,
            "request {i} got the policy in force"
        );
        assert_eq!(
            (time(&request["sla"]["resolve_by"]) - filed_at).num_seconds(),
            resolve,
            "request {i} got the policy in force"
        );
        expected.insert(str_of(&request["id"]), passes);
    }
    let passed: usize = expected.values().map(Vec::len).sum();
    assert_eq!(passed, 2 * HIGH_COUNT + LOW_COUNT);

    // Wait until leadership has heard of every passed deadline…
    let give_up = Instant::now() + Duration::from_secs(30);
    let mut seen = 0;
    while Instant::now() < give_up {
        seen = sla_items(&inbox_all(a, &org.leader.token).await).len();
        if seen >= passed {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let all_told_after = started.elapsed();
    assert!(
        seen >= passed,
        "after 30 s leadership was told of {seen} of {passed} passed deadlines"
    );
    // …then let every replica sweep twice more: nothing may be added.
    tokio::time::sleep(Duration::from_millis(2500)).await;
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let mut by_extra = Vec::new();
    let mut sweep_errors = Vec::new();
    for sweeper in extra_sweepers {
        let (flagged, errors) = sweeper.await.unwrap();
        by_extra.push(flagged);
        sweep_errors.extend(errors);
    }
    assert!(
        by_extra.iter().sum::<usize>() <= passed,
        "the sweepers say they flagged {by_extra:?} of {passed} deadlines"
    );

    // One event per passed deadline, the request flagged.
    let mut latest = chrono::Duration::zero();
    for (i, request) in filed.iter().enumerate() {
        let id = str_of(&request["id"]);
        let app = cluster.at(i);
        let events = all_pages(
            app,
            &org.leader.token,
            &format!("/api/v1/requests/{id}/events"),
        )
        .await;
        let breaches: Vec<&Value> = events
            .iter()
            .filter(|e| e["type"] == "sla_breached")
            .collect();
        let want = &expected[&id];
        assert_eq!(
            breaches.len(),
            want.len(),
            "request {i} ({}): one sla_breached event per passed deadline, got {breaches:#?}",
            urgency(i)
        );
        let mut notes: Vec<String> = breaches.iter().map(|e| str_of(&e["note"])).collect();
        notes.sort();
        let mut want_notes: Vec<String> = want
            .iter()
            .map(|d| format!("{d} deadline passed"))
            .collect();
        want_notes.sort();
        assert_eq!(notes, want_notes, "request {i}: each deadline once");
        for event in &breaches {
            let due = if str_of(&event["note"]).starts_with("acknowledge") {
                time(&request["sla"]["acknowledge_by"])
            } else {
                time(&request["sla"]["resolve_by"])
            };
            let at = time(&event["at"]);
            assert!(at >= due, "request {i}: flagged at {at}, before {due}");
            latest = latest.max(at - due);
            assert!(event["actor_id"].is_null(), "the sweeper is nobody");
        }
        let now = app
            .get(&format!("/api/v1/requests/{id}"), &org.leader.token)
            .await
            .expect(200);
        assert_eq!(
            now.body["sla"]["breached"],
            !want.is_empty(),
            "request {i} ({}): sla.breached",
            urgency(i)
        );
    }

    // One inbox item per passed deadline for each owner and each leader.
    let owners = [
        ("manager A", &org.manager_a),
        ("second manager A", &manager_a2),
        ("leader", &org.leader),
        ("second leader", &leader2),
    ];
    for (n, (name, member)) in owners.iter().enumerate() {
        let items = inbox_all(cluster.at(n), &member.token).await;
        let ids: HashSet<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(ids.len(), items.len(), "{name}: inbox item ids are unique");
        let mut per_request: HashMap<String, usize> = HashMap::new();
        for item in sla_items(&items) {
            *per_request.entry(str_of(&item["request_id"])).or_default() += 1;
        }
        for (id, want) in &expected {
            assert_eq!(
                per_request.remove(id).unwrap_or(0),
                want.len(),
                "{name}: sla_breached items for request {id} (deadlines {want:?})"
            );
        }
        assert!(per_request.is_empty(), "{name}: items for unknown requests");
    }
    // The filer may be told too, but never twice.
    let filer_items = inbox_all(a, &org.front_a.token).await;
    let mut filer_told: HashMap<String, usize> = HashMap::new();
    for item in sla_items(&filer_items) {
        *filer_told.entry(str_of(&item["request_id"])).or_default() += 1;
    }
    for (id, told) in &filer_told {
        assert!(
            *told <= expected[id].len(),
            "the filer was told {told} times of {:?} for {id}",
            expected[id]
        );
    }
    // Nobody else hears of them.
    for (name, member) in [
        ("other team's manager", &org.manager_b),
        ("other team's front line", &org.front_b),
        ("a service", &org.service1),
    ] {
        let items = inbox_all(b, &member.token).await;
        assert!(
            sla_items(&items).is_empty(),
            "{name} was told of another team's deadlines"
        );
    }

    // The live streams carried the same items, each once, in order.
    for (name, live, member) in [
        ("leader on A", &mut live_a, &org.leader),
        ("second leader on B", &mut live_b, &leader2),
    ] {
        let items = live.drain(Duration::from_millis(750)).await;
        assert_eq!(
            items.len(),
            passed,
            "{name}: one live item per passed deadline"
        );
        assert_consecutive(&items, name);
        let live_ids: HashSet<String> = items.iter().map(|i| str_of(&i.data["id"])).collect();
        let inbox_ids: HashSet<String> = inbox_all(a, &member.token)
            .await
            .iter()
            .map(|i| str_of(&i["id"]))
            .collect();
        assert_eq!(
            live_ids, inbox_ids,
            "{name}: the stream sends the inbox items"
        );
        let mut per_request: HashMap<String, usize> = HashMap::new();
        for item in &items {
            assert_eq!(item.event, "message");
            assert_eq!(item.data["event_type"], "sla_breached");
            *per_request
                .entry(str_of(&item.data["request_id"]))
                .or_default() += 1;
        }
        for (id, want) in &expected {
            assert_eq!(
                per_request.get(id).copied().unwrap_or(0),
                want.len(),
                "{name}: live items for request {id}"
            );
        }
    }

    eprintln!(
        "[{backend:?}, {} replica(s)] filed {total_requests} requests in {filing_took:?}; \
         {passed} deadlines told after {all_told_after:?}; latest flag {} ms after its deadline; \
         filer told of {} breaches; flagged by the extra sweepers: {by_extra:?}, \
         the rest by the replicas' own; sweep errors: {sweep_errors:?}",
        cluster.replicas.len(),
        latest.num_milliseconds(),
        filer_told.values().sum::<usize>(),
    );
}

/// A request still `new` whose acknowledge deadline and then its resolve
/// deadline pass: the two inbox items say which deadline passed, like the
/// two events do.
async fn breach_items_name_the_deadline_that_passed(backend: Backend) {
    let cluster = cluster(backend).await;
    let a = cluster.a();
    let org = org(a).await;
    set_policies(a, &org.leader.token, (1, 2), (LONG, 2 * LONG)).await;
    let request = a.file(&org.front_a).await;
    let id = str_of(&request["id"]);
    let give_up = Instant::now() + Duration::from_secs(15);
    let mut items = Vec::new();
    while Instant::now() < give_up {
        items = inbox_all(a, &org.manager_a.token).await;
        if sla_items(&items).len() >= 2 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let events = all_pages(
        a,
        &org.manager_a.token,
        &format!("/api/v1/requests/{id}/events"),
    )
    .await;
    let mut notes: Vec<String> = events
        .iter()
        .filter(|e| e["type"] == "sla_breached")
        .map(|e| str_of(&e["note"]))
        .collect();
    notes.sort();
    assert_eq!(
        notes,
        ["acknowledge deadline passed", "resolve deadline passed"]
    );
    let mut summaries: Vec<String> = sla_items(&items)
        .iter()
        .map(|i| str_of(&i["summary"]))
        .collect();
    summaries.sort();
    assert_eq!(summaries.len(), 2, "one item per deadline: {summaries:?}");
    assert!(
        summaries[0].contains("acknowledge deadline passed")
            && summaries[1].contains("resolve deadline passed"),
        "each item names its own deadline: {summaries:?}"
    );
}

// ---------------------------------------------------------------------------
// Live across replicas

/// Streams open on replica A see, within a second, what is done through
/// replica B: a filing reaches the team's manager, the managers'
/// acknowledgement and status change reach the filer; nobody is told of
/// their own change.
async fn a_change_through_one_replica_reaches_a_stream_on_another(backend: Backend) {
    let cluster = cluster(backend).await;
    let (a, b) = (cluster.a(), cluster.b());
    let org = org(a).await;
    let mut manager_live = open_stream(a, Auth::Bearer(&org.manager_a.token), None).await;
    let mut filer_live = open_stream(a, Auth::Bearer(&org.front_a.token), None).await;
    let within = Duration::from_secs(1);
    let mut latencies = Vec::new();
    let mut manager_items = Vec::new();
    let mut filer_items = Vec::new();
    for round in 0..10 {
        let sent = Instant::now();
        let id = b
            .post(
                "/api/v1/requests",
                &org.front_a.token,
                filing(&format!("Live {round}")),
            )
            .await
            .expect(201)
            .id();
        let item = manager_live.next_item(within).await.unwrap_or_else(|| {
            panic!("round {round}: the manager's stream on A did not see the filing made on B within {within:?}")
        });
        assert_eq!(item.event, "message");
        assert_eq!(item.data["request_id"], id.as_str());
        assert_eq!(item.data["event_type"], "filed");
        assert_eq!(item.data["read"], false);
        latencies.push(item.at.saturating_duration_since(sent));
        manager_items.push(item);

        let path = format!("/api/v1/requests/{id}");
        let changes = [
            ("acknowledge", json!({}), "acknowledged"),
            ("status", json!({"status": "in_progress"}), "status_changed"),
        ];
        for (action, body, event_type) in changes {
            let sent = Instant::now();
            b.post(&format!("{path}/{action}"), &org.manager_a.token, body)
                .await
                .expect(200);
            let item = filer_live.next_item(within).await.unwrap_or_else(|| {
                panic!("round {round}: the filer's stream on A did not see `{action}` made on B within {within:?}")
            });
            assert_eq!(item.data["request_id"], id.as_str());
            assert_eq!(item.data["event_type"], event_type);
            latencies.push(item.at.saturating_duration_since(sent));
            filer_items.push(item);
        }
    }
    assert!(
        manager_live
            .drain(Duration::from_millis(300))
            .await
            .is_empty(),
        "the manager is not told of its own changes"
    );
    assert!(
        filer_live
            .drain(Duration::from_millis(300))
            .await
            .is_empty(),
        "the filer is not told of its own filings"
    );
    assert_consecutive(&manager_items, "manager");
    assert_consecutive(&filer_items, "filer");
    let (median, max) = median_and_max(latencies);
    eprintln!(
        "[{backend:?}, {} replica(s)] change on B → item on A's stream (30 samples, from the request sent): median {median:?}, max {max:?}",
        cluster.replicas.len()
    );
}

/// A client reads one item, goes away while 50 more are written (through
/// both replicas, several at a time), and comes back to the other replica
/// with `Last-Event-ID`: exactly those 50, in order, ids increasing by one,
/// the same as its inbox; then the stream goes on live.
async fn a_client_that_reconnects_gets_exactly_what_it_missed(backend: Backend) {
    let cluster = cluster(backend).await;
    let (a, b) = (cluster.a(), cluster.b());
    let org = org(a).await;
    let manager = &org.manager_a.token;

    let mut live = open_stream(a, Auth::Bearer(manager), None).await;
    let first = b.file(&org.front_a).await;
    let seen = live
        .next_item(Duration::from_secs(2))
        .await
        .expect("the first item");
    assert_eq!(seen.data["request_id"], first["id"]);
    drop(live);

    let bodies: Vec<Value> = (0..50).map(|i| filing(&format!("Missed {i}"))).collect();
    let missed = file_many(&cluster, &org.front_a, bodies).await;

    let reconnected = Instant::now();
    let mut again = open_stream(b, Auth::Bearer(manager), Some(seen.id)).await;
    let replay = again.take(50, Duration::from_secs(5)).await;
    let replay_took = reconnected.elapsed();
    assert_eq!(replay[0].id, seen.id + 1, "the replay starts right after");
    assert_consecutive(&replay, "replay");
    let replayed: Vec<String> = replay
        .iter()
        .map(|i| str_of(&i.data["request_id"]))
        .collect();
    let unique: HashSet<&String> = replayed.iter().collect();
    assert_eq!(unique.len(), 50, "no request twice");
    let missed_ids: HashSet<String> = missed.iter().map(|r| str_of(&r["id"])).collect();
    assert_eq!(
        unique.into_iter().cloned().collect::<HashSet<_>>(),
        missed_ids,
        "exactly the missed ones"
    );
    assert!(replay.iter().all(|i| i.data["event_type"] == "filed"));
    assert!(
        again.drain(Duration::from_millis(500)).await.is_empty(),
        "nothing after the 50"
    );

    // The same items, in the same order, as the inbox (newest first there).
    let inbox = a
        .get("/api/v1/inbox?limit=50", manager)
        .await
        .expect(200)
        .body;
    let mut inbox_ids: Vec<String> = inbox["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| str_of(&i["id"]))
        .collect();
    inbox_ids.reverse();
    let replay_ids: Vec<String> = replay.iter().map(|i| str_of(&i.data["id"])).collect();
    assert_eq!(
        replay_ids, inbox_ids,
        "the stream replays the inbox in order"
    );

    // The resumed stream goes on live.
    let next = a.file(&org.front_a).await;
    let item = again
        .next_item(Duration::from_secs(1))
        .await
        .expect("the next change, live");
    assert_eq!(item.id, seen.id + 51);
    assert_eq!(item.data["request_id"], next["id"]);

    // From the very beginning, on the first replica: all 52.
    let mut from_start = open_stream(a, Auth::Bearer(manager), Some(0)).await;
    let all = from_start.take(52, Duration::from_secs(5)).await;
    assert_eq!(all[0].id, 1);
    assert_consecutive(&all, "from the start");
    assert!(
        from_start
            .drain(Duration::from_millis(300))
            .await
            .is_empty()
    );

    eprintln!(
        "[{backend:?}, {} replica(s)] 50 missed items replayed in {replay_took:?} after reconnecting",
        cluster.replicas.len()
    );
}

// ---------------------------------------------------------------------------
// Stream tickets

/// A ticket opens the stream without an `Authorization` header (on any
/// replica), and nothing else: it is no bearer token; a bearer token, a
/// garbage ticket, no credentials, or the ticket of a member deactivated
/// since, are `401`.
async fn a_stream_ticket_opens_the_stream_and_nothing_else(backend: Backend) {
    let cluster = cluster(backend).await;
    let (a, b) = (cluster.a(), cluster.b());
    let org = org(a).await;

    let answer = a
        .post("/api/v1/stream/ticket", &org.manager_a.token, json!({}))
        .await
        .expect(201);
    let ticket = str_of(&answer.body["ticket"]);
    let expires_in = answer.body["expires_in"].as_i64().unwrap();
    assert!(
        (1..=300).contains(&expires_in),
        "a ticket is short-lived: {expires_in} s"
    );

    let mut live = open_stream(b, Auth::Ticket(&ticket), None).await;
    let filed = a.file(&org.front_a).await;
    let item = live
        .next_item(Duration::from_secs(1))
        .await
        .expect("the ticket's member gets its items");
    assert_eq!(item.data["request_id"], filed["id"]);
    drop(live);

    // A ticket is not a bearer token.
    let me = read(
        a.client
            .get(a.url("/api/v1/me"))
            .bearer_auth(&ticket)
            .send()
            .await
            .unwrap(),
    )
    .await;
    me.expect_problem(401, "unauthenticated");
    let me = read(
        a.client
            .get(a.url(&format!("/api/v1/me?ticket={ticket}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    me.expect_problem(401, "unauthenticated");

    for (what, auth) in [
        ("a garbage ticket", Auth::Ticket("not-a-ticket")),
        (
            "a bearer token as a ticket",
            Auth::Ticket(&org.manager_a.token),
        ),
        ("no credentials", Auth::Nothing),
    ] {
        match try_stream(a, auth, None).await {
            Ok(_) => panic!("{what} opened the stream"),
            Err(answer) => {
                answer.expect_problem(401, "unauthenticated");
            }
        }
    }

    // The ticket of a member deactivated since then no longer opens it.
    let ticket_b = str_of(
        &a.post("/api/v1/stream/ticket", &org.manager_b.token, json!({}))
            .await
            .expect(201)
            .body["ticket"],
    );
    a.patch(
        &format!("/api/v1/members/{}", org.manager_b.id),
        &org.admin,
        json!({"active": false}),
    )
    .await
    .expect(200);
    match try_stream(b, Auth::Ticket(&ticket_b), None).await {
        Ok(_) => panic!("a deactivated member's ticket opened the stream"),
        Err(answer) => {
            answer.expect_problem(401, "unauthenticated");
        }
    }
}

// ---------------------------------------------------------------------------
// A client that stops reading

/// A client opens the stream and never reads it while 300 items are
/// written for its member: the server keeps answering at once, another
/// client of the same member gets all 300, and once the stalled client
/// goes away its feed ends.
async fn a_client_that_stops_reading_does_not_hold_the_server(backend: Backend) {
    let cluster = cluster(backend).await;
    let (a, b) = (cluster.a(), cluster.b());
    let org = org(a).await;
    let manager = &org.manager_a.token;
    let before = a.hub.open_streams();

    // A raw connection with a small receive buffer, never read.
    let address: SocketAddr = a.base.trim_start_matches("http://").parse().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let mut stalled = socket.connect(address).await.unwrap();
    stalled
        .write_all(
            format!(
                "GET /api/v1/stream HTTP/1.1\r\nHost: {address}\r\nAuthorization: Bearer {manager}\r\nAccept: text/event-stream\r\n\r\n"
            )
            .as_bytes(),
        )
        .await
        .unwrap();
    let give_up = Instant::now() + Duration::from_secs(5);
    while a.hub.open_streams() == before {
        assert!(Instant::now() < give_up, "the stalled stream never opened");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }

    let mut reader = open_stream(b, Auth::Bearer(manager), None).await;
    let with_both = a.hub.open_streams();

    let bodies: Vec<Value> = (0..300).map(|i| filing(&format!("Flood {i}"))).collect();
    let filing_done = std::sync::atomic::AtomicBool::new(false);
    let probe = async {
        let mut worst = Duration::ZERO;
        let mut probes = 0;
        loop {
            let done = filing_done.load(std::sync::atomic::Ordering::SeqCst);
            for replica in &cluster.replicas {
                let started = Instant::now();
                let health = replica.get_public("/healthz").await;
                assert_eq!(health.status, 200);
                worst = worst.max(started.elapsed());
                probes += 1;
            }
            if done {
                return (worst, probes);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    };
    let flood = async {
        let filed = file_many(&cluster, &org.front_a, bodies).await;
        filing_done.store(true, std::sync::atomic::Ordering::SeqCst);
        filed
    };
    let started = Instant::now();
    let (filed, (worst, probes)) = tokio::join!(flood, probe);
    let flood_took = started.elapsed();
    assert_eq!(filed.len(), 300);
    assert!(
        worst < Duration::from_millis(500),
        "GET /healthz took {worst:?} while a client was stalled"
    );
    let started = Instant::now();
    a.get("/api/v1/inbox?limit=1", manager).await.expect(200);
    let inbox_took = started.elapsed();
    assert!(
        inbox_took < Duration::from_secs(1),
        "GET /inbox took {inbox_took:?}"
    );

    // The other client of the same member is not held back.
    let items = reader.take(300, Duration::from_secs(10)).await;
    assert_consecutive(&items, "reading client");
    assert!(reader.drain(Duration::from_millis(300)).await.is_empty());

    // The stalled client goes away: its feed ends (at its next item).
    drop(stalled);
    let give_up = Instant::now() + Duration::from_secs(10);
    let mut extra = 0;
    while a.hub.open_streams() >= with_both {
        assert!(
            Instant::now() < give_up,
            "the feed of a client that went away is still open after 10 s ({} streams)",
            a.hub.open_streams()
        );
        a.file(&org.front_a).await;
        extra += 1;
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let rest = reader.take(extra, Duration::from_secs(5)).await;
    assert_eq!(rest[0].id, items.last().unwrap().id + 1);

    eprintln!(
        "[{backend:?}, {} replica(s)] 300 items with a stalled client in {flood_took:?}; \
         worst GET /healthz {worst:?} over {probes} probes; GET /inbox {inbox_took:?}; \
         stalled feed ended after {extra} more item(s)",
        cluster.replicas.len()
    );
}
