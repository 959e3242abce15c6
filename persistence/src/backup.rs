//! `upturn backup` and `upturn restore` for the SQLite database.
//!
//! A backup is `VACUUM INTO` from a connection of its own: one read
//! transaction over a snapshot, which in WAL mode blocks no writer, so the
//! service keeps filing meanwhile; it holds exactly what was committed when
//! the snapshot was taken. A restore copies the backup next to the database,
//! checks the copy (`PRAGMA integrity_check`, an Upturn migrations table this
//! release knows), and renames it into place; it refuses while another
//! connection has the database open. PostgreSQL has `pg_dump` and
//! `pg_restore` for this (docs/operations.md).

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::Context;
use sea_orm::sqlx::sqlite::{SqliteConnectOptions, SqliteConnection, SqliteLockingMode};
use sea_orm::sqlx::{AssertSqlSafe, ConnectOptions, Connection};

use crate::schema::{SchemaStatus, compare};

/// What a backup or a restore did.
#[derive(Debug, Clone)]
pub struct Copied {
    /// The file written.
    pub path: PathBuf,
    pub bytes: u64,
    /// How long the copy took (`VACUUM INTO`, or copying the backup).
    pub copying: Duration,
    /// How long checking the copy took.
    pub checking: Duration,
    /// The copy's schema against this release.
    pub schema: SchemaStatus,
}

/// The database file an `sqlite:` URL names; other URLs are refused with
/// what to use instead.
pub fn sqlite_file(url: &str) -> anyhow::Result<PathBuf> {
    if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        anyhow::bail!(
            "UPTURN_DATABASE_URL names a PostgreSQL database: back it up with pg_dump and \
             restore it with pg_restore (see docs/operations.md); `upturn backup` and \
             `upturn restore` work on SQLite only"
        );
    }
    anyhow::ensure!(
        url.starts_with("sqlite:"),
        "UPTURN_DATABASE_URL must start with sqlite: or postgres:"
    );
    let options = SqliteConnectOptions::from_str(url).context("Failed to read the SQLite URL")?;
    let file = options.get_filename();
    anyhow::ensure!(
        !file.as_os_str().is_empty() && !url.contains(":memory:") && !url.contains("mode=memory"),
        "UPTURN_DATABASE_URL names an in-memory database: there is no file to back up or restore"
    );
    Ok(file.to_owned())
}

/// A file next to `target`, hidden, that only this process writes.
fn partial_path(target: &Path) -> anyhow::Result<PathBuf> {
    let name = target
        .file_name()
        .with_context(|| format!("{} is not a file name", target.display()))?;
    Ok(target.with_file_name(format!(
        ".{}.partial-{}",
        name.to_string_lossy(),
        std::process::id()
    )))
}

/// The `-wal` and `-shm` files SQLite keeps beside `database`.
fn sidecars(database: &Path) -> [PathBuf; 2] {
    ["-wal", "-shm"].map(|suffix| {
        let mut name = database.as_os_str().to_owned();
        name.push(suffix);
        PathBuf::from(name)
    })
}

fn remove_with_sidecars(database: &Path) {
    let _ = std::fs::remove_file(database);
    for sidecar in sidecars(database) {
        let _ = std::fs::remove_file(sidecar);
    }
}

/// Flushes `file`, then the folder holding it, so a rename survives a crash.
fn sync(file: &Path) -> anyhow::Result<()> {
    std::fs::File::open(file)
        .and_then(|f| f.sync_all())
        .with_context(|| format!("Failed to flush {}", file.display()))?;
    if let Some(folder) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        // Not every platform can open a folder to flush it; the rename is
        // still atomic there.
        if let Ok(folder) = std::fs::File::open(folder) {
            let _ = folder.sync_all();
        }
    }
    Ok(())
}

async fn open(file: &Path, busy: Duration) -> anyhow::Result<SqliteConnection> {
    SqliteConnectOptions::new()
        .filename(file)
        .create_if_missing(false)
        .busy_timeout(busy)
        // A long `VACUUM INTO` or `integrity_check` is expected, not news.
        .disable_statement_logging()
        .connect()
        .await
        .with_context(|| format!("Failed to open {}", file.display()))
}

/// The migrations an SQLite file has applied; an error when it has none
/// (it is not an Upturn database).
async fn applied(conn: &mut SqliteConnection, file: &Path) -> anyhow::Result<Vec<String>> {
    let tables: i64 = sea_orm::sqlx::query_scalar(
        "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'seaql_migrations'",
    )
    .fetch_one(&mut *conn)
    .await
    .with_context(|| format!("Failed to read {}", file.display()))?;
    anyhow::ensure!(
        tables == 1,
        "{} is not an Upturn database (it has no migrations table)",
        file.display()
    );
    sea_orm::sqlx::query_scalar("SELECT version FROM seaql_migrations ORDER BY version")
        .fetch_all(&mut *conn)
        .await
        .with_context(|| format!("Failed to read the migrations of {}", file.display()))
}

/// Checks that `file` is a sound Upturn database this release can run:
/// `PRAGMA integrity_check` answers `ok`, and no migration is unknown.
async fn check(file: &Path) -> anyhow::Result<SchemaStatus> {
    let mut conn = open(file, Duration::from_secs(10)).await?;
    let checked = async {
        let problems: Vec<String> = sea_orm::sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_all(&mut conn)
            .await
            .with_context(|| format!("Failed to check {}", file.display()))?;
        anyhow::ensure!(
            problems == ["ok"],
            "{} fails SQLite's integrity check: {}",
            file.display(),
            problems
                .iter()
                .take(5)
                .cloned()
                .collect::<Vec<_>>()
                .join("; ")
        );
        let schema = compare(&applied(&mut conn, file).await?);
        anyhow::ensure!(
            schema.ahead.is_empty(),
            "{} comes from a later release of Upturn (migrations {} are unknown to this one): \
             use that release",
            file.display(),
            schema.ahead.join(", ")
        );
        Ok(schema)
    }
    .await;
    let _ = conn.close().await;
    checked
}

/// `upturn backup --to`: a consistent copy of the SQLite database at `url`,
/// taken while the service keeps serving. An existing `to` is replaced only
/// with `force`; the copy is written beside it and renamed into place once
/// checked, so `to` never holds a partial backup.
pub async fn backup(url: &str, to: &Path, force: bool) -> anyhow::Result<Copied> {
    let database = sqlite_file(url)?;
    anyhow::ensure!(
        database.exists(),
        "There is no database at {}",
        database.display()
    );
    anyhow::ensure!(
        force || !to.exists(),
        "{} exists: pass --force to replace it",
        to.display()
    );
    let partial = partial_path(to)?;
    remove_with_sidecars(&partial);
    let copied = async {
        let mut conn = open(&database, Duration::from_secs(10)).await?;
        let copying = Instant::now();
        let vacuumed = async {
            applied(&mut conn, &database).await?;
            let target = partial.to_string_lossy().replace('\'', "''");
            // The path is ours, quoted as an SQL string literal.
            sea_orm::sqlx::query(AssertSqlSafe(format!("VACUUM INTO '{target}'")))
                .execute(&mut conn)
                .await
                .with_context(|| format!("Failed to copy the database into {}", to.display()))
        }
        .await;
        let _ = conn.close().await;
        vacuumed?;
        let copying = copying.elapsed();
        let checking = Instant::now();
        let schema = check(&partial).await?;
        let checking = checking.elapsed();
        sync(&partial)?;
        std::fs::rename(&partial, to)
            .with_context(|| format!("Failed to write {}", to.display()))?;
        sync(to)?;
        Ok(Copied {
            path: to.to_owned(),
            bytes: std::fs::metadata(to).map(|m| m.len()).unwrap_or(0),
            copying,
            checking,
            schema,
        })
    }
    .await;
    if copied.is_err() {
        remove_with_sidecars(&partial);
    }
    copied
}

/// Fails when another connection has the database at `database` open (a
/// running `upturn serve`): with exclusive locking, even a read needs every
/// other connection gone. Closing the probe folds any write-ahead log left
/// by a crash into the file, which the restore then replaces.
async fn ensure_not_in_use(database: &Path) -> anyhow::Result<()> {
    let mut probe = SqliteConnectOptions::new()
        .filename(database)
        .create_if_missing(false)
        .busy_timeout(Duration::ZERO)
        .locking_mode(SqliteLockingMode::Exclusive)
        .disable_statement_logging()
        .connect()
        .await
        .with_context(|| format!("Failed to open {}", database.display()))?;
    let taken = sea_orm::sqlx::query("BEGIN EXCLUSIVE")
        .execute(&mut probe)
        .await;
    let _ = sea_orm::sqlx::query("ROLLBACK").execute(&mut probe).await;
    let _ = probe.close().await;
    match taken {
        Ok(_) => Ok(()),
        Err(error) if error.to_string().contains("locked") => anyhow::bail!(
            "{} is in use (is `upturn serve` running on it?): stop the service, then restore",
            database.display()
        ),
        Err(error) => Err(anyhow::anyhow!(error))
            .with_context(|| format!("Failed to take {} for the restore", database.display())),
    }
}

/// `upturn restore --from`: puts a backup in place of the SQLite database
/// at `url`, on a stopped service. An existing database is replaced only
/// with `force`, and never while something has it open. A backup from an
/// older release is fine: `upturn migrate` (or the next start) brings it up
/// to date.
pub async fn restore(url: &str, from: &Path, force: bool) -> anyhow::Result<Copied> {
    let database = sqlite_file(url)?;
    anyhow::ensure!(from.is_file(), "There is no backup at {}", from.display());
    let exists = database.exists();
    anyhow::ensure!(
        force || !exists,
        "{} holds a database: pass --force to replace it with the backup",
        database.display()
    );
    if exists {
        ensure_not_in_use(&database).await?;
    }
    let partial = partial_path(&database)?;
    remove_with_sidecars(&partial);
    let copied = async {
        let copying = Instant::now();
        std::fs::copy(from, &partial).with_context(|| {
            format!(
                "Failed to copy {} next to {}",
                from.display(),
                database.display()
            )
        })?;
        let copying = copying.elapsed();
        let checking = Instant::now();
        let schema = check(&partial)
            .await
            .with_context(|| format!("{} is not a backup to restore", from.display()))?;
        let checking = checking.elapsed();
        sync(&partial)?;
        if database.exists() {
            ensure_not_in_use(&database).await?;
        }
        // A log left beside the old file must not be replayed into the new one.
        for sidecar in sidecars(&database) {
            match std::fs::remove_file(&sidecar) {
                Ok(()) => {}
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    return Err(anyhow::anyhow!(error))
                        .with_context(|| format!("Failed to remove {}", sidecar.display()));
                }
            }
        }
        std::fs::rename(&partial, &database)
            .with_context(|| format!("Failed to write {}", database.display()))?;
        sync(&database)?;
        Ok(Copied {
            path: database.clone(),
            bytes: std::fs::metadata(&database).map(|m| m.len()).unwrap_or(0),
            copying,
            checking,
            schema,
        })
    }
    .await;
    if copied.is_err() {
        remove_with_sidecars(&partial);
    }
    copied
}
