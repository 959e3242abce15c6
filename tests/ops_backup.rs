//! `upturn backup` and `upturn restore`, through the real binary:
//!
//! - a backup taken while 64 clients keep filing holds every request that
//!   was answered `201` before the backup began, and a service restored
//!   from it serves each of them;
//! - both refuse what they must (a PostgreSQL URL, an existing file without
//!   `--force`, a database in use, a file that is not an Upturn database);
//! - a backup from an older schema restores, and `upturn migrate` brings it
//!   up to date.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/process.rs"]
#[allow(dead_code, reason = "this file needs only part of the process harness")]
mod process;

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use common::{PASSWORD, filing, read};
use futures_util::StreamExt;
use process::{Log, Serve, run_upturn};
use sea_orm_migration::MigratorTrait;
use serde_json::{Value, json};

const ADMIN_EMAIL: &str = "admin@backup.upturn";
const MEMBER_EMAIL: &str = "front@backup.upturn";
const JWT_SECRET: &str = "backup-test-secret-0123456789abcdef0123";

/// Concurrent filers while the backup runs.
const FILERS: usize = 64;
/// Filings acknowledged before the backup starts, so it lands in a stream.
const FILED_BEFORE_BACKUP: usize = 200;
/// How long the filers go on after the backup finished.
const FILING_AFTER_BACKUP: Duration = Duration::from_millis(500);

async fn start(database_url: &str) -> Serve {
    let env = [
        ("UPTURN_JWT_SECRET", JWT_SECRET),
        ("UPTURN_BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL),
        ("UPTURN_BOOTSTRAP_ADMIN_PASSWORD", PASSWORD),
        ("UPTURN_LOG", "warn"),
    ];
    Serve::start(
        "upturn serve",
        database_url,
        &env,
        Log::Own(process::log_path("upturn-backup")),
    )
    .await
}

fn sqlite_url(path: &Path) -> String {
    format!("sqlite://{}?mode=rwc", path.display())
}

async fn login(server: &Serve, email: &str) -> String {
    let answer = read(
        server
            .client
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({"email": email, "password": PASSWORD}))
            .send()
            .await
            .unwrap(),
    )
    .await
    .expect(200);
    answer.body["access_token"].as_str().unwrap().to_owned()
}

async fn post(server: &Serve, path: &str, token: &str, body: Value) -> common::Resp {
    read(
        server
            .client
            .post(server.url(path))
            .bearer_auth(token)
            .json(&body)
            .send()
            .await
            .unwrap(),
    )
    .await
}

/// A team and a front-line member in it: the member's token.
async fn arrange(server: &Serve) -> String {
    let admin = login(server, ADMIN_EMAIL).await;
    let team = post(
        server,
        "/api/v1/units",
        &admin,
        json!({"name": "Backup store", "kind": "team"}),
    )
    .await
    .expect(201)
    .id();
    post(
        server,
        "/api/v1/members",
        &admin,
        json!({"name": "Front", "email": MEMBER_EMAIL, "role": "frontline",
               "unit_id": team, "password": PASSWORD}),
    )
    .await
    .expect(201);
    login(server, MEMBER_EMAIL).await
}

/// What one filer saw: each `201` with when its answer came, and any other
/// answer.
#[derive(Default)]
struct Filed {
    created: Vec<(String, Instant)>,
    refused: Vec<String>,
}

async fn file_until_stopped(
    client: reqwest::Client,
    base: String,
    token: String,
    filer: usize,
    acknowledged: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
) -> Filed {
    let mut seen = Filed::default();
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let answer = client
            .post(format!("{base}/api/v1/requests"))
            .bearer_auth(&token)
            .json(&filing(&format!("Backup filer {filer} request {n}")))
            .send()
            .await;
        match answer {
            Ok(answer) if answer.status().as_u16() == 201 => {
                let id = answer.json::<Value>().await.unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned();
                seen.created.push((id, Instant::now()));
                acknowledged.fetch_add(1, Ordering::Relaxed);
            }
            Ok(answer) => seen.refused.push(format!(
                "{}: {}",
                answer.status(),
                answer.text().await.unwrap_or_default()
            )),
            Err(error) => seen.refused.push(error.to_string()),
        }
    }
    seen
}

/// Measured on the 2-core development machine (debug build, 2026-12, with
/// other builds sharing the cores): see the figures the test prints.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_under_load_holds_every_request_acknowledged_before_it() {
    let dir = common::scratch_dir();
    let database = sqlite_url(&dir.join("upturn.db"));
    let backup = dir.join("backup.db");
    let server = start(&database).await;
    let member = arrange(&server).await;
    let client = common::client_builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(FILERS)
        .build()
        .unwrap();

    // Act: 64 clients file; once they are well under way, back up.
    let acknowledged = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let filers: Vec<_> = (0..FILERS)
        .map(|filer| {
            tokio::spawn(file_until_stopped(
                client.clone(),
                server.base.clone(),
                member.clone(),
                filer,
                Arc::clone(&acknowledged),
                Arc::clone(&stop),
            ))
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(60);
    while acknowledged.load(Ordering::Relaxed) < FILED_BEFORE_BACKUP {
        assert!(Instant::now() < deadline, "the filers never got going");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let backup_began = Instant::now();
    let ran = run_upturn(&database, &["backup", "--to", backup.to_str().unwrap()]).await;
    let backup_ended = Instant::now();
    tokio::time::sleep(FILING_AFTER_BACKUP).await;
    stop.store(true, Ordering::Relaxed);
    let mut created = Vec::new();
    let mut refused = Vec::new();
    for filer in filers {
        let seen = filer.await.unwrap();
        created.extend(seen.created);
        refused.extend(seen.refused);
    }
    drop(server);
    ran.assert_success();

    let before: Vec<&str> = created
        .iter()
        .filter(|(_, at)| *at < backup_began)
        .map(|(id, _)| id.as_str())
        .collect();
    let mut during: Vec<Instant> = created
        .iter()
        .map(|(_, at)| *at)
        .filter(|at| (backup_began..backup_ended).contains(at))
        .collect();
    during.sort();
    let longest_pause = [backup_began]
        .into_iter()
        .chain(during.iter().copied())
        .chain([backup_ended])
        .collect::<Vec<_>>()
        .windows(2)
        .map(|pair| pair[1] - pair[0])
        .max()
        .unwrap_or_default();
    println!(
        "{} filed in all, {} before the backup began; the backup took {:.2?} ({}), \
         {} filings were answered meanwhile, the longest wait between two: {longest_pause:.2?}",
        created.len(),
        before.len(),
        backup_ended - backup_began,
        ran.stdout.trim(),
        during.len()
    );
    assert!(
        refused.is_empty(),
        "every filing during the backup is answered 201, got {} others, first: {:?}",
        refused.len(),
        refused.first()
    );
    assert!(
        created.len() > before.len(),
        "filings went on while the backup ran"
    );

    // Assert: restored into a fresh place and served, every request
    // acknowledged before the backup began is there.
    let restored_dir = dir.join("restored");
    std::fs::create_dir_all(&restored_dir).unwrap();
    let restored = sqlite_url(&restored_dir.join("upturn.db"));
    run_upturn(&restored, &["restore", "--from", backup.to_str().unwrap()])
        .await
        .assert_success();
    let server = start(&restored).await;
    let member = login(&server, MEMBER_EMAIL).await;
    let missing: Vec<String> = futures_util::stream::iter(before.iter())
        .map(|id| {
            let (client, url, member) = (
                server.client.clone(),
                server.url(&format!("/api/v1/requests/{id}")),
                member.clone(),
            );
            async move {
                let status = client
                    .get(url)
                    .bearer_auth(member)
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16();
                (status != 200).then(|| format!("{id}: {status}"))
            }
        })
        .buffer_unordered(16)
        .filter_map(|missing| async move { missing })
        .collect()
        .await;
    assert!(
        missing.is_empty(),
        "{} of the {} requests acknowledged before the backup are missing after the \
         restore, e.g. {:?}",
        missing.len(),
        before.len(),
        &missing[..missing.len().min(5)]
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_and_restore_refuse_what_they_must() {
    let dir = common::scratch_dir();
    let database = sqlite_url(&dir.join("upturn.db"));
    let backup = dir.join("backup.db");
    let backup_arg = backup.to_str().unwrap();
    let postgres = "postgres://postgres@127.0.0.1:5432/upturn";

    // PostgreSQL has its own tools.
    run_upturn(postgres, &["backup", "--to", backup_arg])
        .await
        .assert_refused("pg_dump");
    run_upturn(postgres, &["restore", "--from", backup_arg])
        .await
        .assert_refused("pg_restore");
    // Nothing to back up yet, and nothing created by trying.
    run_upturn(&database, &["backup", "--to", backup_arg])
        .await
        .assert_refused("no database");
    assert!(!dir.join("upturn.db").exists());

    let mut server = start(&database).await;
    run_upturn(&database, &["backup", "--to", backup_arg])
        .await
        .assert_success();
    // An existing backup is replaced only when asked.
    run_upturn(&database, &["backup", "--to", backup_arg])
        .await
        .assert_refused("--force");
    run_upturn(&database, &["backup", "--to", backup_arg, "--force"])
        .await
        .assert_success();
    // No restore over a database in use, even with --force.
    run_upturn(&database, &["restore", "--from", backup_arg, "--force"])
        .await
        .assert_refused("in use");
    server.assert_running();
    drop(server);
    // Stopped: an existing database is replaced only when asked.
    run_upturn(&database, &["restore", "--from", backup_arg])
        .await
        .assert_refused("--force");
    run_upturn(&database, &["restore", "--from", backup_arg, "--force"])
        .await
        .assert_success();

    // Only a sound Upturn database is restored.
    let fresh = sqlite_url(&dir.join("fresh.db"));
    let not_sqlite = dir.join("notes.txt");
    std::fs::write(
        &not_sqlite,
        "not a database at all, just some words ".repeat(200),
    )
    .unwrap();
    run_upturn(&fresh, &["restore", "--from", not_sqlite.to_str().unwrap()])
        .await
        .assert_refused("notes.txt");
    let other = dir.join("other.db");
    {
        use sea_orm::ConnectionTrait;
        let db = sea_orm::Database::connect(sqlite_url(&other))
            .await
            .unwrap();
        db.execute_unprepared("CREATE TABLE things (id INTEGER PRIMARY KEY)")
            .await
            .unwrap();
        db.close().await.unwrap();
    }
    run_upturn(&fresh, &["restore", "--from", other.to_str().unwrap()])
        .await
        .assert_refused("not an Upturn database");
    assert!(
        !dir.join("fresh.db").exists(),
        "a refused restore leaves nothing behind"
    );
    let leftovers: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.contains("partial"))
        .collect();
    assert!(leftovers.is_empty(), "partial files left: {leftovers:?}");
    let _ = std::fs::remove_dir_all(&dir);
}

/// A backup made before the last two migrations existed restores as it is;
/// `upturn migrate --check` lists the two, `upturn migrate` applies them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_from_an_older_schema_restores_and_migrates() {
    let dir = common::scratch_dir();
    let old = sqlite_url(&dir.join("old.db"));
    let known = upturn_persistence::schema::known_migrations();
    let older = u32::try_from(known.len() - 2).unwrap();
    let db = sea_orm::Database::connect(&old).await.unwrap();
    upturn_persistence::migrations::Migrator::up(&db, Some(older))
        .await
        .unwrap();
    db.close().await.unwrap();
    let backup = dir.join("old-backup.db");
    run_upturn(&old, &["backup", "--to", backup.to_str().unwrap()])
        .await
        .assert_success();

    let restored = sqlite_url(&dir.join("restored.db"));
    let ran = run_upturn(&restored, &["restore", "--from", backup.to_str().unwrap()]).await;
    ran.assert_success();
    assert!(ran.stdout.contains("2 migrations pending"), "{ran:#?}");
    let ran = run_upturn(&restored, &["migrate", "--check"]).await;
    assert_eq!(ran.code, Some(1), "{ran:#?}");
    for name in &known[known.len() - 2..] {
        assert!(
            ran.stdout.contains(name.as_str()),
            "{name} pending: {ran:#?}"
        );
    }
    run_upturn(&restored, &["migrate"]).await.assert_success();
    let ran = run_upturn(&restored, &["migrate", "--check"]).await;
    ran.assert_success();
    assert!(ran.stdout.contains("up to date"), "{ran:#?}");
    let server = start(&restored).await;
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}
