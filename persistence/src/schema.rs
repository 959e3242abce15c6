//! Where a database's schema stands against this binary's migrations:
//! what `upturn migrate --check` reports, and what lets a replica of the
//! previous release keep running on a schema one release ahead during a
//! rolling upgrade (docs/decisions/0014-rolling-upgrades.md).

use anyhow::Context;
use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use sea_orm_migration::{MigratorTrait, SchemaManager};

use crate::migrations::Migrator;

/// The table sea-orm-migration records applied migrations in.
const MIGRATIONS_TABLE: &str = "seaql_migrations";

/// The schema of one database, seen by this binary.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaStatus {
    /// This binary's migrations the database has not had, in order.
    pub pending: Vec<String>,
    /// Migrations the database has had that this binary does not know: it
    /// was migrated by a later release.
    pub ahead: Vec<String>,
}

impl SchemaStatus {
    /// Nothing of this binary's is missing (the database may be ahead).
    pub fn is_current(&self) -> bool {
        self.pending.is_empty()
    }
}

/// This binary's migrations, oldest first.
pub fn known_migrations() -> Vec<String> {
    Migrator::migrations()
        .iter()
        .map(|migration| migration.name().to_owned())
        .collect()
}

/// Compares the versions a database has applied with this binary's.
pub fn compare(applied: &[String]) -> SchemaStatus {
    let known = known_migrations();
    SchemaStatus {
        pending: known
            .iter()
            .filter(|name| !applied.contains(name))
            .cloned()
            .collect(),
        ahead: applied
            .iter()
            .filter(|name| !known.contains(name))
            .cloned()
            .collect(),
    }
}

/// The migrations a database has applied, read only (no table is created
/// on a fresh database, unlike sea-orm-migration's own status calls).
pub(crate) async fn applied(db: &DatabaseConnection) -> anyhow::Result<Vec<String>> {
    if !has_migrations_table(db).await? {
        return Ok(vec![]);
    }
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT version FROM {MIGRATIONS_TABLE} ORDER BY version"),
        ))
        .await
        .context("Failed to read the applied migrations")?;
    rows.iter()
        .map(|row| {
            row.try_get::<String>("", "version")
                .context("Failed to read a migration's version")
        })
        .collect()
}

/// Whether the database has a migrations table at all.
pub(crate) async fn has_migrations_table(db: &DatabaseConnection) -> anyhow::Result<bool> {
    SchemaManager::new(db)
        .has_table(MIGRATIONS_TABLE)
        .await
        .context("Failed to look for the migrations table")
}

/// The status of the database at `url`, without changing it: a missing
/// SQLite file is reported as a fresh database, not created.
pub async fn status(url: &str) -> anyhow::Result<SchemaStatus> {
    if url.starts_with("sqlite:") {
        let file = crate::backup::sqlite_file(url)?;
        if !file.exists() {
            return Ok(compare(&[]));
        }
    }
    let mut options = sea_orm::ConnectOptions::new(url.to_owned());
    // An operator's command: its own answer, not every statement it ran.
    options.max_connections(1).sqlx_logging(false);
    let db = Database::connect(options)
        .await
        .context("Failed to connect to the database")?;
    let applied = applied(&db).await;
    let _ = db.close().await;
    Ok(compare(&applied?))
}

/// Runs this binary's pending migrations on `db`, unless the database is
/// ahead of it (a later release migrated it): then it runs as it is, as the
/// expand/contract rule allows for one release. A database both ahead and
/// behind is refused: it was migrated by a release that skipped ours.
pub(crate) async fn migrate(db: &DatabaseConnection) -> anyhow::Result<()> {
    let status = compare(&applied(db).await?);
    if !status.ahead.is_empty() {
        anyhow::ensure!(
            status.is_current(),
            "The database has migrations this release does not know ({}) and lacks some it \
             does ({}): upgrade one release at a time",
            status.ahead.join(", "),
            status.pending.join(", ")
        );
        tracing::warn!(
            ahead = %status.ahead.join(", "),
            "The database schema is ahead of this release (a rolling upgrade in progress?): \
             running on it without migrating"
        );
        return Ok(());
    }
    Migrator::up(db, None)
        .await
        .context("Failed to run the database migrations")
}
