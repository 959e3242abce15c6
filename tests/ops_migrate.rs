//! Upgrades without downtime (docs/decisions/0014-rolling-upgrades.md):
//!
//! - `upturn migrate --check` exits 1 listing what is pending, 0 once the
//!   schema is up to date, and changes nothing;
//! - a release keeps serving on the schema of the next one (what a replica
//!   of the previous release does during a rolling upgrade): this binary is
//!   run on a database that a later release expanded;
//! - every migration only expands the schema of the one before: no table or
//!   column disappears or changes type, and a column added to an existing
//!   table is nullable or has a default, so the previous release's reads
//!   and inserts still work.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;
#[path = "common/process.rs"]
#[allow(dead_code, reason = "this file needs only part of the process harness")]
mod process;

use std::collections::BTreeMap;

use common::{ADMIN_EMAIL, Backend, PASSWORD, filing, read};
use process::{Log, Serve, run_upturn};
use sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use sea_orm_migration::MigratorTrait;
use serde_json::json;
use upturn_persistence::migrations::Migrator;
use upturn_persistence::schema::known_migrations;

macro_rules! on_both_databases {
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

on_both_databases!(
    migrate_check_lists_what_is_pending,
    a_release_serves_on_the_schema_of_the_next,
    every_migration_only_expands_the_schema,
);

async fn migrate_check_lists_what_is_pending(backend: Backend) {
    let (database_url, _scratch) = common::fresh_database(backend).await;
    let known = known_migrations();

    let ran = run_upturn(&database_url, &["migrate", "--check"]).await;
    assert_eq!(ran.code, Some(1), "a fresh database has pending: {ran:#?}");
    assert!(
        ran.stdout
            .contains(&format!("{} migrations pending", known.len())),
        "{ran:#?}"
    );
    for name in &known {
        assert!(
            ran.stdout.contains(name.as_str()),
            "{name} listed: {ran:#?}"
        );
    }
    if let common::Scratch::Dir(dir) = &_scratch {
        assert!(
            !dir.join("upturn.db").exists(),
            "--check creates no database"
        );
    }
    // Checking twice changes nothing.
    let again = run_upturn(&database_url, &["migrate", "--check"]).await;
    assert_eq!(again.code, Some(1));
    assert_eq!(again.stdout, ran.stdout);

    run_upturn(&database_url, &["migrate"])
        .await
        .assert_success();
    let ran = run_upturn(&database_url, &["migrate", "--check"]).await;
    ran.assert_success();
    assert!(ran.stdout.contains("up to date"), "{ran:#?}");
}

/// What the next release's migration might do under the expand rule: a
/// nullable column on a busy table, a table, an index.
const NEXT_RELEASE: &str = "m20991231_000001_next_release_expands";

async fn expand_as_the_next_release(db: &DatabaseConnection) {
    let backend = db.get_database_backend();
    for sql in [
        "ALTER TABLE requests ADD COLUMN next_release_note TEXT".to_owned(),
        "ALTER TABLE members ADD COLUMN next_release_flag BOOLEAN NOT NULL DEFAULT FALSE"
            .to_owned(),
        "CREATE TABLE next_release_things (id BIGINT PRIMARY KEY, note TEXT)".to_owned(),
        "CREATE INDEX idx_requests_next_release_note ON requests (next_release_note)".to_owned(),
        format!("INSERT INTO seaql_migrations (version, applied_at) VALUES ('{NEXT_RELEASE}', 0)"),
    ] {
        db.execute_raw(Statement::from_string(backend, sql))
            .await
            .unwrap();
    }
}

async fn a_release_serves_on_the_schema_of_the_next(backend: Backend) {
    // Arrange: the database migrated by this release, then by the next.
    let (database_url, _scratch) = common::fresh_database(backend).await;
    run_upturn(&database_url, &["migrate"])
        .await
        .assert_success();
    let db = sea_orm::Database::connect(&database_url).await.unwrap();
    expand_as_the_next_release(&db).await;
    db.close().await.unwrap();

    // Act / Assert: this release starts, migrates nothing, and serves.
    let ran = run_upturn(&database_url, &["migrate", "--check"]).await;
    ran.assert_success();
    assert!(
        ran.stdout.contains(NEXT_RELEASE) && ran.stdout.contains("up to date"),
        "{ran:#?}"
    );
    run_upturn(&database_url, &["migrate"])
        .await
        .assert_success();
    let env = [
        (
            "UPTURN_JWT_SECRET",
            "rolling-upgrade-secret-0123456789abcdef",
        ),
        ("UPTURN_BOOTSTRAP_ADMIN_EMAIL", ADMIN_EMAIL),
        ("UPTURN_BOOTSTRAP_ADMIN_PASSWORD", PASSWORD),
        ("UPTURN_LOG", "warn"),
    ];
    let server = Serve::start(
        "upturn serve",
        &database_url,
        &env,
        Log::Own(process::log_path("upturn-rolling")),
    )
    .await;
    let client = &server.client;
    let send =
        |builder: reqwest::RequestBuilder| async move { read(builder.send().await.unwrap()).await };
    let admin = send(
        client
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({"email": ADMIN_EMAIL, "password": PASSWORD})),
    )
    .await
    .expect(200)
    .body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let team = send(
        client
            .post(server.url("/api/v1/units"))
            .bearer_auth(&admin)
            .json(&json!({"name": "Rolling store", "kind": "team"})),
    )
    .await
    .expect(201)
    .id();
    send(
        client
            .post(server.url("/api/v1/members"))
            .bearer_auth(&admin)
            .json(&json!({"name": "Front", "email": "front@rolling.upturn",
                          "role": "frontline", "unit_id": team, "password": PASSWORD})),
    )
    .await
    .expect(201);
    let member = send(
        client
            .post(server.url("/api/v1/auth/login"))
            .json(&json!({"email": "front@rolling.upturn", "password": PASSWORD})),
    )
    .await
    .expect(200)
    .body["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let id = send(
        client
            .post(server.url("/api/v1/requests"))
            .bearer_auth(&member)
            .json(&filing("Filed during a rolling upgrade")),
    )
    .await
    .expect(201)
    .id();
    let request = send(
        client
            .get(server.url(&format!("/api/v1/requests/{id}")))
            .bearer_auth(&member),
    )
    .await
    .expect(200);
    assert_eq!(request.body["title"], "Filed during a rolling upgrade");
    send(
        client
            .get(server.url("/api/v1/requests?limit=10"))
            .bearer_auth(&admin),
    )
    .await
    .expect(200);
    assert!(
        server.log_text().contains("ahead of this release"),
        "the start says the schema is ahead: {}",
        server.log_text()
    );
}

/// One column as the database describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Column {
    kind: String,
    not_null: bool,
    has_default: bool,
}

type Schema = BTreeMap<String, BTreeMap<String, Column>>;

async fn schema_of(db: &DatabaseConnection) -> Schema {
    let backend = db.get_database_backend();
    let sql = match backend {
        sea_orm::DbBackend::Sqlite => {
            "SELECT m.name AS table_name, p.name AS column_name, lower(p.type) AS kind, \
                    p.\"notnull\" <> 0 AS not_null, p.dflt_value IS NOT NULL AS has_default \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'"
        }
        _ => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
                    data_type::text AS kind, is_nullable = 'NO' AS not_null, \
                    column_default IS NOT NULL AS has_default \
             FROM information_schema.columns WHERE table_schema = current_schema()"
        }
    };
    let rows = db
        .query_all_raw(Statement::from_string(backend, sql))
        .await
        .unwrap();
    let mut schema = Schema::new();
    for row in rows {
        let table: String = row.try_get("", "table_name").unwrap();
        let column: String = row.try_get("", "column_name").unwrap();
        schema.entry(table).or_default().insert(
            column,
            Column {
                kind: row.try_get("", "kind").unwrap(),
                not_null: row.try_get("", "not_null").unwrap(),
                has_default: row.try_get("", "has_default").unwrap(),
            },
        );
    }
    schema
}

/// What the previous release could trip over, going from `before` to `after`.
fn breaks(before: &Schema, after: &Schema) -> Vec<String> {
    let mut broken = Vec::new();
    for (table, columns) in before {
        let Some(now) = after.get(table) else {
            broken.push(format!("table {table} dropped or renamed"));
            continue;
        };
        for (name, column) in columns {
            match now.get(name) {
                None => broken.push(format!("column {table}.{name} dropped or renamed")),
                Some(new) if new.kind != column.kind => broken.push(format!(
                    "column {table}.{name} changed type from {} to {}",
                    column.kind, new.kind
                )),
                Some(new) if new.not_null && !column.not_null => {
                    broken.push(format!("column {table}.{name} became NOT NULL"))
                }
                Some(_) => {}
            }
        }
        for (name, column) in now {
            if !columns.contains_key(name) && column.not_null && !column.has_default {
                broken.push(format!(
                    "column {table}.{name} added NOT NULL without a default"
                ));
            }
        }
    }
    broken
}

async fn every_migration_only_expands_the_schema(backend: Backend) {
    let (database_url, _scratch) = common::fresh_database(backend).await;
    let db = sea_orm::Database::connect(&database_url).await.unwrap();
    let mut before = schema_of(&db).await;
    let mut broken = Vec::new();
    for name in known_migrations() {
        Migrator::up(&db, Some(1)).await.unwrap();
        let after = schema_of(&db).await;
        broken.extend(
            breaks(&before, &after)
                .into_iter()
                .map(|problem| format!("{name}: {problem}")),
        );
        before = after;
    }
    db.close().await.unwrap();
    assert!(
        broken.is_empty(),
        "{backend:?}: migrations that would break the previous release during a rolling \
         upgrade (expand now, contract a release later):\n{}",
        broken.join("\n")
    );
}

/// The check itself sees what it must: a dropped table and column, a
/// renamed column, a changed type, a new NOT NULL column without default.
#[test]
fn the_expand_check_sees_what_would_break_the_previous_release() {
    let column = |kind: &str, not_null: bool, has_default: bool| Column {
        kind: kind.to_owned(),
        not_null,
        has_default,
    };
    let before: Schema = BTreeMap::from([
        (
            "requests".to_owned(),
            BTreeMap::from([
                ("id".to_owned(), column("text", true, false)),
                ("title".to_owned(), column("text", true, false)),
                ("note".to_owned(), column("text", false, false)),
                ("rank".to_owned(), column("integer", false, false)),
            ]),
        ),
        ("old".to_owned(), BTreeMap::new()),
    ]);
    let after: Schema = BTreeMap::from([(
        "requests".to_owned(),
        BTreeMap::from([
            ("id".to_owned(), column("text", true, false)),
            ("heading".to_owned(), column("text", true, false)),
            ("note".to_owned(), column("text", true, false)),
            ("rank".to_owned(), column("text", false, false)),
            ("added".to_owned(), column("text", false, false)),
            ("flag".to_owned(), column("boolean", true, true)),
        ]),
    )]);
    let mut found = breaks(&before, &after);
    found.sort();
    assert_eq!(
        found,
        [
            "column requests.heading added NOT NULL without a default",
            "column requests.note became NOT NULL",
            "column requests.rank changed type from integer to text",
            "column requests.title dropped or renamed",
            "table old dropped or renamed",
        ]
    );
    assert!(breaks(&before, &before).is_empty());
}
