//! The connection to the database and the write transaction discipline.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use sea_orm_migration::MigratorTrait;
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::migrations::Migrator;

/// Which database the store talks to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// How to connect.
#[derive(Debug, Clone)]
pub struct StoreOptions {
    pub url: String,
    pub max_connections: u32,
}

/// The repositories' handle on the database. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pub(crate) db: DatabaseConnection,
    backend: Backend,
    /// SQLite allows one writer at a time. Taking this lock before `BEGIN
    /// IMMEDIATE` queues writers in the process instead of in SQLite's busy
    /// handler, which sleeps and turns load into timeouts.
    write_lock: Option<Arc<Mutex<()>>>,
}

/// A write transaction; on SQLite it also holds the writer lock.
pub(crate) struct WriteTx {
    pub(crate) txn: DatabaseTransaction,
    _writer: Option<OwnedMutexGuard<()>>,
}

impl WriteTx {
    pub(crate) async fn commit(self) -> anyhow::Result<()> {
        self.txn
            .commit()
            .await
            .context("Failed to commit a transaction")
    }
}

impl std::ops::Deref for WriteTx {
    type Target = DatabaseTransaction;
    fn deref(&self) -> &Self::Target {
        &self.txn
    }
}

impl Store {
    /// Connects to `sqlite://…` or `postgres://…` and runs the migrations.
    #[tracing::instrument(name = "connect to the database", skip_all)]
    pub async fn connect(options: &StoreOptions) -> anyhow::Result<Store> {
        let backend = if options.url.starts_with("sqlite:") {
            Backend::Sqlite
        } else if options.url.starts_with("postgres:") || options.url.starts_with("postgresql:") {
            Backend::Postgres
        } else {
            anyhow::bail!("UPTURN_DATABASE_URL must start with sqlite: or postgres:");
        };
        let mut connect = ConnectOptions::new(options.url.clone());
        connect
            .max_connections(options.max_connections.max(1))
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        if backend == Backend::Sqlite {
            connect.map_sqlx_sqlite_opts(|opts| {
                opts.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // NORMAL in WAL mode: a commit survives a killed process.
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(Duration::from_secs(10))
                    .foreign_keys(true)
                    // Truncate the WAL back to 64 MiB after checkpoints.
                    .pragma("journal_size_limit", "67108864")
            });
        }
        let db = Database::connect(connect)
            .await
            .context("Failed to connect to the database")?;
        let store = Store {
            db,
            backend,
            write_lock: (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(()))),
        };
        store.migrate().await?;
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// Brings the schema up to date.
    pub async fn migrate(&self) -> anyhow::Result<()> {
        Migrator::up(&self.db, None)
            .await
            .context("Failed to run the database migrations")
    }

    /// Whether the database answers.
    pub async fn ping(&self) -> anyhow::Result<()> {
        self.db.ping().await.context("Failed to reach the database")
    }

    /// Starts a write transaction: `BEGIN IMMEDIATE` behind the writer lock
    /// on SQLite, a plain transaction on PostgreSQL.
    pub(crate) async fn write(&self) -> anyhow::Result<WriteTx> {
        let writer = match &self.write_lock {
            Some(lock) => Some(Arc::clone(lock).lock_owned().await),
            None => None,
        };
        let txn = match self.backend {
            Backend::Sqlite => {
                self.db
                    .begin_with_options(TransactionOptions {
                        sqlite_transaction_mode: Some(SqliteTransactionMode::Immediate),
                        ..Default::default()
                    })
                    .await
            }
            Backend::Postgres => self.db.begin().await,
        }
        .context("Failed to begin a transaction")?;
        Ok(WriteTx {
            txn,
            _writer: writer,
        })
    }

    /// Folds the SQLite write-ahead log back into the database file and
    /// truncates it, so it stays bounded under sustained writes. A no-op on
    /// PostgreSQL.
    pub async fn checkpoint(&self) -> anyhow::Result<()> {
        if let Some(lock) = &self.write_lock {
            let _writer = lock.lock().await;
            self.db
                .execute_unprepared("PRAGMA wal_checkpoint(TRUNCATE)")
                .await
                .context("Failed to checkpoint the SQLite WAL")?;
        }
        Ok(())
    }

    /// Closes the pool (and, on SQLite, checkpoints first).
    pub async fn close(self) -> anyhow::Result<()> {
        self.checkpoint().await?;
        self.db
            .close()
            .await
            .context("Failed to close the database")
    }
}
