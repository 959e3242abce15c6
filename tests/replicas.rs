//! Scale-out for real: two `upturn serve` OS processes on one PostgreSQL
//! database, as in production behind a load balancer (`live.rs` runs the
//! same checks on two in-process `Application`s; here each replica is its
//! own binary, with its own runtime, pool, sweeper and `LISTEN`
//! connection, and nothing shared but the database and the JWT secret).
//!
//! - both processes sweep every second, yet each passed deadline is
//!   flagged once: one `sla_breached` event and one inbox item per owner;
//! - a filing made through one process reaches a stream open on the other
//!   within a second, and a client reconnecting to the other process with
//!   `Last-Event-ID` gets exactly what it missed.
//!
//! PostgreSQL only (SQLite serves one process). Run with `-- --nocapture`
//! to see the figures.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/process.rs"]
#[allow(dead_code, reason = "this file needs only part of the process harness")]
mod process;

use std::collections::{HashMap, HashSet};
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use common::sse::{Sse, assert_consecutive};
use common::{Backend, Member, PASSWORD, Resp, Scratch, filing, read};
use futures_util::StreamExt;
use process::{Log, Serve};
use serde_json::{Value, json};

const ADMIN_EMAIL: &str = "admin@replicas.upturn";
const JWT_SECRET: &str = "replicas-test-secret-0123456789abcdef";

// ---------------------------------------------------------------------------
// Processes

/// `upturn serve` as a child process (a `process::Serve`, which it derefs
/// to), named for messages. Its output goes to a log file, printed if the
/// test fails and removed otherwise.
struct Server {
    name: &'static str,
    process: Serve,
    /// For streams: no overall timeout.
    streams: reqwest::Client,
}

impl Server {
    /// Starts `upturn serve` on `database_url` and waits until it is ready.
    async fn start(name: &'static str, database_url: &str) -> Server {
        Server::start_logging(name, database_url, "warn").await
    }

    /// Like `start`, with the given `UPTURN_LOG` filter, in JSON.
    async fn start_logging(name: &'static str, database_url: &str, filter: &str) -> Server {
        let env = [
            ("UPTURN_JWT_SECRET", JWT_SECRET),
            ("UPTURN_BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL),
            ("UPTURN_BOOTSTRAP_ADMIN_PASSWORD", PASSWORD),
            ("UPTURN_SLA_SWEEP_SECONDS", "1"),
            ("UPTURN_LOG", filter),
            ("UPTURN_LOG_FORMAT", "json"),
        ];
        let log = Log::Own(process::log_path(&format!("upturn-replicas-{name}")));
        let process =
            Serve::start(&format!("upturn serve ({name})"), database_url, &env, log).await;
        Server {
            name,
            process,
            streams: common::client(),
        }
    }

    async fn get(&self, path: &str, token: &str) -> Resp {
        read(
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
        read(
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

    async fn put(&self, path: &str, token: &str, body: Value) -> Resp {
        read(
            self.client
                .put(self.url(path))
                .bearer_auth(token)
                .json(&body)
                .send()
                .await
                .unwrap(),
        )
        .await
    }

    async fn token(&self, email: &str) -> String {
        let answer = read(
            self.client
                .post(self.url("/api/v1/auth/login"))
                .json(&json!({"email": email, "password": PASSWORD}))
                .send()
                .await
                .unwrap(),
        )
        .await
        .expect(200);
        str_of(&answer.body["access_token"])
    }

    async fn create_unit(&self, admin: &str, name: &str, kind: &str) -> String {
        self.post("/api/v1/units", admin, json!({"name": name, "kind": kind}))
            .await
            .expect(201)
            .id()
    }

    /// Creates a member and logs them in.
    async fn member(&self, admin: &str, email: &str, role: &str, unit_id: &str) -> Member {
        let body = json!({"name": email, "email": email, "role": role,
                          "unit_id": unit_id, "password": PASSWORD});
        let id = self
            .post("/api/v1/members", admin, body)
            .await
            .expect(201)
            .id();
        Member {
            id,
            token: self.token(email).await,
        }
    }

    /// Every page of a cursor-paginated list.
    async fn all_pages(&self, token: &str, path: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let url = match &cursor {
                Some(c) => format!("{path}?limit=200&cursor={c}"),
                None => format!("{path}?limit=200"),
            };
            let page = self.get(&url, token).await.expect(200);
            items.extend(page.body["items"].as_array().unwrap().iter().cloned());
            match page.body["next_cursor"].as_str() {
                Some(c) => cursor = Some(c.to_owned()),
                None => return items,
            }
        }
    }

    /// The request's `sla_breached` events.
    async fn breaches(&self, token: &str, request_id: &str) -> Vec<Value> {
        self.all_pages(token, &format!("/api/v1/requests/{request_id}/events"))
            .await
            .into_iter()
            .filter(|e| e["type"] == "sla_breached")
            .collect()
    }
}

impl std::ops::Deref for Server {
    type Target = Serve;

    fn deref(&self) -> &Serve {
        &self.process
    }
}

impl std::ops::DerefMut for Server {
    fn deref_mut(&mut self) -> &mut Serve {
        &mut self.process
    }
}

/// Two processes on one fresh database; the servers go before the database.
struct Pair {
    a: Server,
    b: Server,
    _scratch: Scratch,
}

impl Pair {
    /// A first (it migrates and creates the admin), then B.
    async fn start() -> Pair {
        let (database_url, scratch) = common::fresh_database(Backend::Postgres).await;
        let a = Server::start("A", &database_url).await;
        let b = Server::start("B", &database_url).await;
        Pair {
            a,
            b,
            _scratch: scratch,
        }
    }

    /// A for even `i`, B for odd.
    fn at(&self, i: usize) -> &Server {
        if i.is_multiple_of(2) {
            &self.a
        } else {
            &self.b
        }
    }

    /// Both still running, with no warning of a failed sweep in their logs.
    fn assert_healthy(&mut self) {
        for server in [&mut self.a, &mut self.b] {
            server.assert_running();
            let log = server.log_text();
            assert!(
                !log.contains("SLA sweep failed"),
                "a sweep failed on {}:\n{log}",
                server.name
            );
        }
    }
}

fn str_of(value: &Value) -> String {
    value.as_str().expect("a string").to_owned()
}

fn time(value: &Value) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(value.as_str().expect("a time")).expect("an RFC 3339 time")
}

// ---------------------------------------------------------------------------
// The SLA sweeper, in two processes

const REQUESTS: usize = 100;
/// The `high` deadlines (seconds): they pass during the test.
const HIGH_ACK: i64 = 2;
const HIGH_RESOLVE: i64 = 4;
const LONG: i64 = 3600;

/// 100 `high` requests filed through both processes while both sweep every
/// second: each gets one `sla_breached` event per deadline (two), and the
/// team's manager and the leader one inbox item per deadline, whichever
/// process flagged it and however often both looked again.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(upturn_postgres),
    ignore = "PostgreSQL suite skipped: set UPTURN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run it"
)]
async fn two_processes_flag_each_deadline_once() {
    let booted = Instant::now();
    let mut pair = Pair::start().await;
    let boot_took = booted.elapsed();
    let (a, b) = (&pair.a, &pair.b);
    let admin = a.token(ADMIN_EMAIL).await;
    let team = a.create_unit(&admin, "Lyon store", "team").await;
    let leadership = a.create_unit(&admin, "Leadership", "leadership").await;
    let front = a
        .member(&admin, "front@replicas.upturn", "frontline", &team)
        .await;
    let manager = a
        .member(&admin, "manager@replicas.upturn", "manager", &team)
        .await;
    let leader = a
        .member(&admin, "leader@replicas.upturn", "leader", &leadership)
        .await;

    let policy = |urgency: &str, ack: i64, resolve: i64| {
        json!({"urgency": urgency, "acknowledge_within_seconds": ack,
               "resolve_within_seconds": resolve})
    };
    a.put(
        "/api/v1/sla-policies",
        &leader.token,
        json!({"policies": [
            policy("critical", LONG, 2 * LONG),
            policy("high", HIGH_ACK, HIGH_RESOLVE),
            policy("normal", LONG, 2 * LONG),
            policy("low", LONG, 2 * LONG),
        ]}),
    )
    .await
    .expect(200);
    // The other process reads the same policies (and takes A's token).
    let policies = b
        .get("/api/v1/sla-policies", &leader.token)
        .await
        .expect(200);
    let high = policies.body["policies"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["urgency"] == "high")
        .cloned()
        .unwrap();
    assert_eq!(high["acknowledge_within_seconds"], HIGH_ACK);
    assert_eq!(high["resolve_within_seconds"], HIGH_RESOLVE);

    // File 100 `high` requests, alternately through A and B, 8 at a time.
    let started = Instant::now();
    let mut answers: Vec<(usize, Resp)> = futures_util::stream::iter((0..REQUESTS).map(|i| {
        let server = pair.at(i);
        let mut body = filing(&format!("Deadline {i}"));
        body["urgency"] = json!("high");
        let token = front.token.clone();
        async move { (i, server.post("/api/v1/requests", &token, body).await) }
    }))
    .buffer_unordered(8)
    .collect()
    .await;
    let filing_took = started.elapsed();
    answers.sort_by_key(|(i, _)| *i);
    let filed: Vec<Value> = answers
        .into_iter()
        .map(|(_, answer)| answer.expect(201).body)
        .collect();
    for (i, request) in filed.iter().enumerate() {
        let filed_at = time(&request["filed_at"]);
        assert_eq!(
            (time(&request["sla"]["acknowledge_by"]) - filed_at).num_seconds(),
            HIGH_ACK,
            "request {i} (filed on {}) got the policy in force",
            pair.at(i).name
        );
        assert_eq!(
            (time(&request["sla"]["resolve_by"]) - filed_at).num_seconds(),
            HIGH_RESOLVE,
            "request {i} (filed on {}) got the policy in force",
            pair.at(i).name
        );
    }
    let ids: Vec<String> = filed.iter().map(|r| str_of(&r["id"])).collect();
    assert_eq!(
        ids.iter().collect::<HashSet<_>>().len(),
        REQUESTS,
        "every filing made its own request"
    );

    // Wait until every request has its two `sla_breached` events…
    let give_up = started + Duration::from_secs(30);
    let mut pending: Vec<usize> = (0..REQUESTS).collect();
    let mut rounds = 0;
    while !pending.is_empty() {
        assert!(
            Instant::now() < give_up,
            "after 30 s, {} of {REQUESTS} requests still lacked their two sla_breached events, e.g. request {}",
            pending.len(),
            ids[pending[0]]
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        rounds += 1;
        let counts: Vec<(usize, usize)> = futures_util::stream::iter(pending.iter().map(|&i| {
            let (server, id, token) = (pair.at(i + rounds), &ids[i], &manager.token);
            async move { (i, server.breaches(token, id).await.len()) }
        }))
        .buffer_unordered(8)
        .collect()
        .await;
        pending = counts
            .into_iter()
            .filter(|(_, n)| *n < 2)
            .map(|(i, _)| i)
            .collect();
        pending.sort_unstable();
    }
    let all_flagged_after = started.elapsed();

    // …then let both processes sweep twice more: nothing may be added.
    tokio::time::sleep(Duration::from_secs(2)).await;
    pair.assert_healthy();
    let (a, b) = (&pair.a, &pair.b);

    // Exactly two events per request: each deadline once, at or after it.
    let mut latest = chrono::Duration::zero();
    for (i, request) in filed.iter().enumerate() {
        let breaches = pair.at(i + 1).breaches(&leader.token, &ids[i]).await;
        assert_eq!(
            breaches.len(),
            2,
            "request {i}: one sla_breached event per deadline, got {breaches:#?}"
        );
        let mut notes: Vec<String> = breaches.iter().map(|e| str_of(&e["note"])).collect();
        notes.sort();
        assert_eq!(
            notes,
            ["acknowledge deadline passed", "resolve deadline passed"],
            "request {i}: each deadline once"
        );
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
    }

    // Exactly two inbox items per request for the manager and the leader.
    for (name, server, member) in [("manager", a, &manager), ("leader", b, &leader)] {
        let items = server.all_pages(&member.token, "/api/v1/inbox").await;
        let item_ids: HashSet<&str> = items.iter().map(|i| i["id"].as_str().unwrap()).collect();
        assert_eq!(
            item_ids.len(),
            items.len(),
            "{name}: inbox item ids are unique"
        );
        let mut per_request: HashMap<String, Vec<String>> = HashMap::new();
        for item in items.iter().filter(|i| i["event_type"] == "sla_breached") {
            per_request
                .entry(str_of(&item["request_id"]))
                .or_default()
                .push(str_of(&item["summary"]));
        }
        for (i, id) in ids.iter().enumerate() {
            let mut summaries = per_request.remove(id).unwrap_or_default();
            assert_eq!(
                summaries.len(),
                2,
                "{name}: request {i} has {} sla_breached inbox items, want 2: {summaries:?}",
                summaries.len()
            );
            summaries.sort();
            assert!(
                summaries[0].contains("acknowledge deadline passed")
                    && summaries[1].contains("resolve deadline passed"),
                "{name}: request {i}: one item per deadline: {summaries:?}"
            );
        }
        assert!(
            per_request.is_empty(),
            "{name}: sla_breached items for requests never filed: {per_request:?}"
        );
    }
    pair.assert_healthy();

    eprintln!(
        "[2 processes] started both in {boot_took:?}; filed {REQUESTS} high requests in {filing_took:?}; \
         all {} deadlines flagged {all_flagged_after:?} after the first filing ({rounds} polls); \
         latest flag {} ms after its deadline; nothing more after 2 s",
        2 * REQUESTS,
        latest.num_milliseconds(),
    );
}

// ---------------------------------------------------------------------------
// Server-Sent Events, across processes (the reader of `live.rs`)

/// Opens `GET /api/v1/stream` on `server` as the bearer of `token`.
async fn open_stream(server: &Server, token: &str, last_event_id: Option<i64>) -> Sse {
    let mut request = server
        .streams
        .get(server.url("/api/v1/stream"))
        .bearer_auth(token)
        .header("Accept", "text/event-stream");
    if let Some(id) = last_event_id {
        request = request.header("Last-Event-ID", id.to_string());
    }
    let response = request.send().await.unwrap();
    if response.status().as_u16() != 200 {
        let answer = read(response).await;
        panic!(
            "the stream on {} did not open: {} {:#}",
            server.name, answer.status, answer.body
        );
    }
    Sse::open(response).await
}

const LIVE_FILINGS: usize = 20;
const MISSED_FILINGS: usize = 10;

/// The manager's stream is open on process A; the front line files through
/// process B: each filing reaches the stream within a second. The manager
/// then goes away while 10 more are filed through B, and comes back to B
/// with `Last-Event-ID`: exactly those 10, in order, ids increasing by one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(upturn_postgres),
    ignore = "PostgreSQL suite skipped: set UPTURN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run it"
)]
async fn a_change_on_one_process_reaches_a_stream_on_the_other() {
    let mut pair = Pair::start().await;
    let (a, b) = (&pair.a, &pair.b);
    let admin = a.token(ADMIN_EMAIL).await;
    let team = a.create_unit(&admin, "Paris store", "team").await;
    let front = a
        .member(&admin, "front@replicas.upturn", "frontline", &team)
        .await;
    let manager = a
        .member(&admin, "manager@replicas.upturn", "manager", &team)
        .await;

    // Live: on A, what is filed through B.
    let mut live = open_stream(a, &manager.token, None).await;
    let within = Duration::from_secs(1);
    let mut latencies = Vec::new();
    let mut seen = Vec::new();
    for round in 0..LIVE_FILINGS {
        let sent = Instant::now();
        let id = b
            .post(
                "/api/v1/requests",
                &front.token,
                filing(&format!("Live {round}")),
            )
            .await
            .expect(201)
            .id();
        let item = live.next_item(within).await.unwrap_or_else(|| {
            panic!(
                "filing {round}: the manager's stream on A did not see the filing made on B within {within:?}"
            )
        });
        assert_eq!(item.event, "message", "filing {round}");
        assert_eq!(item.data["event_type"], "filed", "filing {round}");
        assert_eq!(item.data["request_id"], id.as_str(), "filing {round}");
        assert_eq!(item.data["read"], false, "filing {round}");
        latencies.push(item.at.saturating_duration_since(sent));
        seen.push(item);
    }
    assert!(
        live.drain(Duration::from_millis(300)).await.is_empty(),
        "one item per filing"
    );
    assert_consecutive(&seen, "live on A");
    let last_seen = seen.last().unwrap().id;
    drop(live);

    // Missed: filed through B while nobody listens.
    let mut missed = Vec::new();
    for n in 0..MISSED_FILINGS {
        let id = b
            .post(
                "/api/v1/requests",
                &front.token,
                filing(&format!("Missed {n}")),
            )
            .await
            .expect(201)
            .id();
        missed.push(id);
    }

    // Back, on B, from the last item seen on A.
    let reconnected = Instant::now();
    let mut again = open_stream(b, &manager.token, Some(last_seen)).await;
    let replay = again.take(MISSED_FILINGS, Duration::from_secs(5)).await;
    let replay_took = reconnected.elapsed();
    assert_eq!(replay[0].id, last_seen + 1, "the replay starts right after");
    assert_consecutive(&replay, "replay on B");
    assert!(replay.iter().all(|i| i.data["event_type"] == "filed"));
    let replayed: Vec<String> = replay
        .iter()
        .map(|i| str_of(&i.data["request_id"]))
        .collect();
    assert_eq!(replayed, missed, "exactly the missed filings, in order");
    assert!(
        again.drain(Duration::from_millis(500)).await.is_empty(),
        "nothing after the {MISSED_FILINGS} missed"
    );
    drop(again);
    pair.assert_healthy();

    latencies.sort();
    eprintln!(
        "[2 processes] filing on B → item on A's stream ({LIVE_FILINGS} samples, from the request sent): \
         median {:?}, max {:?}; {MISSED_FILINGS} missed items replayed on B in {replay_took:?}",
        latencies[(latencies.len() - 1) / 2],
        latencies.last().unwrap()
    );
}

/// Replicas started at the same moment on an empty database (as
/// `docker-compose up` does) take turns at the migrations: both come up,
/// and the schema is there once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[cfg_attr(
    not(upturn_postgres),
    ignore = "PostgreSQL suite skipped: set UPTURN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run it"
)]
async fn two_processes_starting_together_both_come_up() {
    let (database_url, _scratch) = common::fresh_database(Backend::Postgres).await;
    let (mut a, mut b) = tokio::join!(
        Server::start("A", &database_url),
        Server::start("B", &database_url)
    );
    a.assert_running();
    b.assert_running();
    for server in [&a, &b] {
        let ready = reqwest::get(format!("{}/readyz", server.base))
            .await
            .unwrap();
        assert_eq!(ready.status().as_u16(), 200, "{} is not ready", server.name);
    }
}

/// SIGTERM ends every live stream at once and the process exits cleanly:
/// a rolling restart never waits on idle streams (SQLite, no PostgreSQL needed).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_drains_live_streams_and_exits() {
    let dir = common::scratch_dir();
    let url = format!("sqlite://{}?mode=rwc", dir.join("upturn.db").display());
    let mut server = Server::start("A", &url).await;
    let login = server
        .client
        .post(server.url("/api/v1/auth/login"))
        .json(&serde_json::json!({"email": ADMIN_EMAIL, "password": PASSWORD}))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let token = login["access_token"].as_str().unwrap().to_owned();
    let mut streams = Vec::new();
    for _ in 0..3 {
        let response = server
            .streams
            .get(server.url("/api/v1/stream"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        streams.push(response);
    }
    // Each stream says it is connected before anything else.
    for stream in &mut streams {
        let first = stream.chunk().await.unwrap().unwrap();
        assert!(String::from_utf8_lossy(&first).contains(": connected"));
    }

    let stopping = Instant::now();
    let pid = server.child.id().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());

    // Every stream ends (no heartbeat wait), well before the 15 s heartbeat.
    for mut stream in streams {
        let ended = tokio::time::timeout(Duration::from_secs(5), async {
            while let Ok(Some(_)) = stream.chunk().await {}
        })
        .await;
        assert!(ended.is_ok(), "a stream was still open 5 s after SIGTERM");
    }
    let exit = loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            break status;
        }
        assert!(
            stopping.elapsed() < Duration::from_secs(10),
            "upturn did not exit within 10 s of SIGTERM:\n{}",
            server.log_text()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        exit.success(),
        "upturn exited with {exit}:\n{}",
        server.log_text()
    );
    let _ = std::fs::remove_dir_all(dir);
}

/// Secrets never reach the logs, even at `debug`: not the password sent to
/// log in, not the bearer token, not a stream ticket, not a tracking code;
/// and every line written while serving a request carries its request id.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_never_reach_the_logs() {
    let dir = common::scratch_dir();
    let url = format!("sqlite://{}?mode=rwc", dir.join("upturn.db").display());
    let server = Server::start_logging("A", &url, "debug").await;
    let login = |password: &'static str| {
        server
            .client
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({"email": ADMIN_EMAIL, "password": password}))
            .send()
    };
    let wrong = login("a-wrong-password-123").await.unwrap();
    assert_eq!(wrong.status().as_u16(), 401);
    let token = login(PASSWORD)
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let ticket = server
        .client
        .post(server.url("/api/v1/stream/ticket"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap()["ticket"]
        .as_str()
        .unwrap()
        .to_owned();
    let stream = server
        .streams
        .get(server.url(&format!("/api/v1/stream?ticket={ticket}")))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status().as_u16(), 200);
    drop(stream);
    let tracked = server
        .client
        .get(server.url("/api/v1/track/ZZZZ-9999"))
        .send()
        .await
        .unwrap();
    assert_eq!(tracked.status().as_u16(), 404);
    tokio::time::sleep(Duration::from_millis(300)).await;

    let log = server.log_text();
    for secret in [
        PASSWORD,
        "a-wrong-password-123",
        token.as_str(),
        ticket.as_str(),
        "ZZZZ-9999",
        JWT_SECRET,
    ] {
        assert!(
            !log.contains(secret),
            "the log holds a secret ({}…):\n{log}",
            &secret[..6]
        );
    }
    let handled: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("Request handled"))
        .collect();
    assert!(handled.len() >= 5, "one access line per request:\n{log}");
    for line in log
        .lines()
        .filter(|l| l.contains("\"HTTP request\"") || l.contains("Request handled"))
    {
        assert!(
            line.contains("\"request_id\""),
            "a request's log line without its id: {line}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}
