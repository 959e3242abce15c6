//! Durability, through the real binary and the real database:
//!
//! - a server killed with SIGKILL while requests are being filed loses none
//!   of the requests it answered `201` for: after a restart on the same
//!   database each one is readable and has its `filed` event;
//! - under sustained writes the SQLite write-ahead log stays bounded (see the
//!   WAL pitfall in the stack notes: without checkpoints it grows to hundreds
//!   of MB).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/process.rs"]
#[allow(dead_code, reason = "this file needs only part of the process harness")]
mod process;

use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{Backend, PASSWORD, TestApp, filing, read};
use futures_util::StreamExt;
use process::{Log, Serve};
use serde_json::{Value, json};

const ADMIN_EMAIL: &str = "admin@durability.upturn";
const MEMBER_EMAIL: &str = "front@durability.upturn";
const JWT_SECRET: &str = "durability-test-secret-0123456789abcdef";

/// Concurrent filers in the crash test.
const FILERS: usize = 8;
/// How long they file before the server is killed…
const FILING_BEFORE_KILL: Duration = Duration::from_secs(2);
/// …and how many `201`s they must have had by then (waiting a little longer
/// on a slow machine), so the kill lands in a real stream of filings.
const ACKNOWLEDGED_BEFORE_KILL: usize = 50;

mod killed_server_loses_no_acknowledged_request {
    use super::Backend;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        super::killed_server_loses_no_acknowledged_request(Backend::Sqlite).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[cfg_attr(
        not(upturn_postgres),
        ignore = "PostgreSQL suite skipped: set UPTURN_TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/test to run it"
    )]
    async fn postgres() {
        super::killed_server_loses_no_acknowledged_request(Backend::Postgres).await;
    }
}

/// `upturn serve` on `database_url`, its output appended to `log` (kept
/// across the restart), once it is ready.
async fn start(database_url: &str, log: &Path) -> Serve {
    let env = [
        ("UPTURN_JWT_SECRET", JWT_SECRET),
        ("UPTURN_BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL),
        ("UPTURN_BOOTSTRAP_ADMIN_PASSWORD", PASSWORD),
        ("UPTURN_LOG", "warn"),
    ];
    Serve::start("upturn serve", database_url, &env, Log::Kept(log)).await
}

/// What one filer saw until the server went away.
#[derive(Default)]
struct Filed {
    /// `(id, title)` of every request answered `201`.
    created: Vec<(String, String)>,
    /// Answers other than `201` (there should be none).
    refused: Vec<(u16, String)>,
    /// Its last request was under way when the server died (as opposed to
    /// refused at connect time).
    cut_in_flight: bool,
}

async fn file_until_the_server_dies(
    client: reqwest::Client,
    base: String,
    token: String,
    filer: usize,
    acknowledged: Arc<AtomicUsize>,
) -> Filed {
    let mut seen = Filed::default();
    for n in 0.. {
        let title = format!("Crash filer {filer} request {n}");
        let sent = client
            .post(format!("{base}/api/v1/requests"))
            .bearer_auth(&token)
            .json(&filing(&title))
            .send()
            .await;
        let answer = match sent {
            Ok(answer) => answer,
            Err(error) => {
                seen.cut_in_flight = !error.is_connect();
                break;
            }
        };
        let status = answer.status().as_u16();
        if status == 201 {
            // The status line is the acknowledgement: take the id from
            // `Location`, in case the body is cut off by the kill.
            let location = answer
                .headers()
                .get("location")
                .and_then(|v| v.to_str().ok())
                .expect("a 201 carries a Location")
                .to_owned();
            let id = location
                .strip_prefix("/api/v1/requests/")
                .expect("Location names the request")
                .to_owned();
            seen.created.push((id, title));
            acknowledged.fetch_add(1, Ordering::Relaxed);
            if answer.bytes().await.is_err() {
                seen.cut_in_flight = true;
                break;
            }
        } else {
            let body = answer.text().await.unwrap_or_default();
            seen.refused.push((status, body));
        }
    }
    seen
}

/// Every page of `GET /api/v1/requests` as `token`: how many it lists.
async fn count_visible(client: &reqwest::Client, base: &str, token: &str) -> usize {
    let mut count = 0;
    let mut cursor = String::new();
    loop {
        let page = read(
            client
                .get(format!("{base}/api/v1/requests?limit=200&cursor={cursor}"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap(),
        )
        .await
        .expect(200);
        count += page.body["items"].as_array().unwrap().len();
        match page.body["next_cursor"].as_str() {
            Some(next) => cursor = next.to_owned(),
            None => return count,
        }
    }
}

/// Measured on the 2-core development machine (debug build, 2026-11): in the
/// 2 s before the kill the 8 filers got 411 requests filed on SQLite and 259
/// on PostgreSQL when the test ran alone (119–433 and 52–144 with the other
/// tests and other builds sharing the cores); after the restart every one of
/// them was readable with its `filed` event, and at most one more request had
/// been committed whose answer the kill cut off.
async fn killed_server_loses_no_acknowledged_request(backend: Backend) {
    // Declared first, dropped last: the database outlives the servers.
    let (database_url, _scratch) = common::fresh_database(backend).await;
    let log = process::log_path("upturn-durability");
    let client = common::client_builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();

    // Arrange: a server, a team and a front-line member in it.
    let mut server = start(&database_url, &log).await;
    let base = server.base.clone();
    let login = |email: &'static str| {
        let client = client.clone();
        let base = base.clone();
        async move {
            let answer = read(
                client
                    .post(format!("{base}/api/v1/auth/login"))
                    .json(&json!({"email": email, "password": PASSWORD}))
                    .send()
                    .await
                    .unwrap(),
            )
            .await
            .expect(200);
            answer.body["access_token"].as_str().unwrap().to_owned()
        }
    };
    let admin = login(ADMIN_EMAIL).await;
    let post = |path: &str, token: &str, body: Value| {
        client
            .post(format!("{base}{path}"))
            .bearer_auth(token)
            .json(&body)
    };
    let team = read(
        post(
            "/api/v1/units",
            &admin,
            json!({"name": "Crash store", "kind": "team"}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await
    .expect(201)
    .id();
    let member_id = read(
        post(
            "/api/v1/members",
            &admin,
            json!({"name": "Front", "email": MEMBER_EMAIL, "role": "frontline",
                   "unit_id": team, "password": PASSWORD}),
        )
        .send()
        .await
        .unwrap(),
    )
    .await
    .expect(201)
    .id();
    let member = login(MEMBER_EMAIL).await;

    // Act: file from 8 concurrent tasks, then SIGKILL the server mid-flight.
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let filers: Vec<_> = (0..FILERS)
        .map(|filer| {
            tokio::spawn(file_until_the_server_dies(
                client.clone(),
                base.clone(),
                member.clone(),
                filer,
                Arc::clone(&acknowledged),
            ))
        })
        .collect();
    let started = Instant::now();
    tokio::time::sleep(FILING_BEFORE_KILL).await;
    while acknowledged.load(Ordering::Relaxed) < ACKNOWLEDGED_BEFORE_KILL
        && started.elapsed() < Duration::from_secs(20)
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let filing_for = started.elapsed();
    server.kill();
    let mut created = Vec::new();
    let mut refused = Vec::new();
    let mut cut_in_flight = 0;
    for filer in filers {
        let seen = filer.await.unwrap();
        created.extend(seen.created);
        refused.extend(seen.refused);
        cut_in_flight += usize::from(seen.cut_in_flight);
    }
    println!(
        "{backend:?}: {} requests answered 201 in {filing_for:.1?} before the kill; \
         {cut_in_flight} of {FILERS} filers had a request in flight when it died",
        created.len()
    );
    assert!(
        refused.is_empty(),
        "every filing answered before the kill is 201, got {} others, first: {:?}",
        refused.len(),
        refused.first()
    );
    assert!(
        created.len() >= ACKNOWLEDGED_BEFORE_KILL,
        "the filers got going before the kill: only {} filed",
        created.len()
    );
    assert!(
        cut_in_flight > 0,
        "the kill caught at least one filing under way"
    );
    let ids: HashSet<&str> = created.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids.len(), created.len(), "every 201 names its own request");

    // Assert: restarted on the same database, every acknowledged request is
    // there, readable by its filer, with its `filed` event.
    let server = start(&database_url, &log).await;
    let base = server.base.clone();
    let lost: Vec<String> = futures_util::stream::iter(created.iter())
        .map(|(id, title)| {
            let client = client.clone();
            let base = base.clone();
            let member = member.clone();
            let member_id = member_id.clone();
            async move {
                let request = read(
                    client
                        .get(format!("{base}/api/v1/requests/{id}"))
                        .bearer_auth(&member)
                        .send()
                        .await
                        .unwrap(),
                )
                .await;
                if request.status != 200 {
                    return Some(format!("{id}: GET answered {}", request.status));
                }
                if request.body["title"] != title.as_str()
                    || request.body["filed_by"] != member_id.as_str()
                {
                    return Some(format!("{id}: not as filed: {}", request.body));
                }
                let events = read(
                    client
                        .get(format!("{base}/api/v1/requests/{id}/events"))
                        .bearer_auth(&member)
                        .send()
                        .await
                        .unwrap(),
                )
                .await;
                let filed = events.body["items"]
                    .as_array()
                    .is_some_and(|items| items.iter().any(|e| e["type"] == "filed"));
                (events.status != 200 || !filed)
                    .then(|| format!("{id}: no filed event ({}): {}", events.status, events.body))
            }
        })
        .buffer_unordered(FILERS)
        .filter_map(|lost| async move { lost })
        .collect()
        .await;
    assert!(
        lost.is_empty(),
        "{backend:?}: {} of {} requests answered 201 are missing after the restart, e.g. {:?}",
        lost.len(),
        created.len(),
        &lost[..lost.len().min(5)]
    );
    // No phantoms either: beyond the acknowledged ones, at most the filings
    // whose answer the kill cut off may have been committed.
    let stored = count_visible(&client, &base, &member).await;
    println!(
        "{backend:?}: after the restart all {} are readable with their filed event; \
         {stored} requests stored in all",
        created.len()
    );
    assert!(
        stored >= created.len() && stored <= created.len() + FILERS,
        "{backend:?}: {stored} requests stored for {} acknowledged and {FILERS} filers",
        created.len()
    );
    drop(server);
    let _ = std::fs::remove_file(&log);
}

/// The WAL must stay under this while requests keep coming.
const WAL_LIMIT_BYTES: u64 = 32 * 1024 * 1024;
const WAL_FILINGS: usize = 5_000;
const WAL_FILERS: usize = 16;
const WAL_SAMPLE_EVERY: usize = 250;

fn wal_path(app: &TestApp) -> PathBuf {
    let path = app
        .database_url
        .strip_prefix("sqlite://")
        .and_then(|rest| rest.split('?').next())
        .expect("an SQLite URL");
    PathBuf::from(format!("{path}-wal"))
}

fn file_size(path: &Path) -> u64 {
    std::fs::metadata(path).map(|m| m.len()).unwrap_or(0)
}

/// Measured on the 2-core development machine (debug build, 2026-11): 5,000
/// filings take 17–37 s and the WAL peaks at 4.0 MiB (SQLite's automatic
/// checkpoint every 1,000 pages keeps up; the 30 s checkpoint timer is not
/// what holds it). With checkpoints blocked by a reader holding a snapshot
/// open in a side experiment (the effect the stack notes describe for
/// `RETURNING` inserts), the WAL passed 32 MiB after about 600 filings and
/// reached 269 MiB at 5,000.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_wal_stays_bounded_under_sustained_writes() {
    let app = Arc::new(common::spawn_app_with(Backend::Sqlite, |_| {}).await);
    let admin = app.admin_token().await;
    let team = app.create_unit(&admin, "WAL store", "team").await;
    let member = app
        .member(&admin, "front@wal.upturn", "frontline", &team)
        .await;
    let wal = wal_path(&app);
    assert!(wal.exists(), "the database runs in WAL mode: {wal:?}");

    let next = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let largest = Arc::new(AtomicU64::new(0));
    let samples = Arc::new(Mutex::new(Vec::<(usize, u64)>::new()));
    let started = Instant::now();
    let filers: Vec<_> = (0..WAL_FILERS)
        .map(|_| {
            let (app, member, wal) = (Arc::clone(&app), member.clone(), wal.clone());
            let (next, done) = (Arc::clone(&next), Arc::clone(&done));
            let (largest, samples) = (Arc::clone(&largest), Arc::clone(&samples));
            tokio::spawn(async move {
                loop {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= WAL_FILINGS {
                        break;
                    }
                    app.post(
                        "/api/v1/requests",
                        &member.token,
                        filing(&format!("Sustained write {n}")),
                    )
                    .await
                    .expect(201);
                    let filed = done.fetch_add(1, Ordering::Relaxed) + 1;
                    if filed.is_multiple_of(WAL_SAMPLE_EVERY) {
                        let size = file_size(&wal);
                        largest.fetch_max(size, Ordering::Relaxed);
                        samples.lock().unwrap().push((filed, size));
                    }
                }
            })
        })
        .collect();
    for filer in filers {
        filer.await.unwrap();
    }
    let elapsed = started.elapsed();
    let at_end = file_size(&wal);
    let largest = largest.load(Ordering::Relaxed).max(at_end);
    let samples = samples.lock().unwrap().clone();
    let database = file_size(&wal.with_extension("db"));
    println!(
        "SQLite: {WAL_FILINGS} requests filed by {WAL_FILERS} tasks in {elapsed:.1?}; \
         WAL largest {:.1} MiB over {} samples, {:.1} MiB at the end; database {:.1} MiB",
        largest as f64 / 1048576.0,
        samples.len(),
        at_end as f64 / 1048576.0,
        database as f64 / 1048576.0,
    );
    assert_eq!(done.load(Ordering::Relaxed), WAL_FILINGS);
    assert!(
        samples.len() >= WAL_FILINGS / WAL_SAMPLE_EVERY,
        "the WAL was sampled every {WAL_SAMPLE_EVERY} filings"
    );
    assert!(
        largest < WAL_LIMIT_BYTES,
        "the WAL grew to {largest} bytes (limit {WAL_LIMIT_BYTES}); samples (filed, bytes): {samples:?}"
    );
}
