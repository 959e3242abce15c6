//! The connection to the database and the write transaction discipline.

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use sea_orm::sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DatabaseTransaction,
    SqliteTransactionMode, TransactionOptions, TransactionTrait,
};
use tokio::sync::{Mutex, OwnedMutexGuard};

/// The PostgreSQL advisory lock key that serialises migrations ("UPTURN").
const MIGRATION_LOCK: i64 = 0x5550_5455_524E;

/// How long an SQLite connection waits for a lock before it gives up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// How long the timed checkpoint waits for readers on an old snapshot (a
/// backup's `VACUUM INTO` holds one for as long as it copies) before it
/// settles for what it could copy. Writers wait for the checkpoint, so this
/// bounds the pause it can cause.
const CHECKPOINT_BUSY_TIMEOUT: Duration = Duration::from_millis(200);

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
    pub(crate) policies: PolicyCache,
    pub(crate) rules: RuleCache,
    /// How many requests have each searched word, kept a minute.
    pub(crate) word_counts: crate::search::WordCounts,
    /// SQLite only: the last request number given, read from the database
    /// on first use, then counted here under the writer lock (SQLite serves
    /// one process).
    pub(crate) last_number: Arc<std::sync::Mutex<Option<i64>>>,
    /// The queue of the group-commit filing task (`filing.rs`).
    pub(crate) filings: Option<crate::filing::Queue>,
    /// Members with new inbox items, for this process's live streams.
    pub(crate) wakeups: tokio::sync::broadcast::Sender<Arc<Vec<uuid::Uuid>>>,
    /// Signalled after every committed change that wrote events (and so,
    /// maybe, webhook outbox rows), for this process's delivery worker.
    pub(crate) committed: Arc<tokio::sync::Notify>,
    /// What every timestamp the store writes is read from.
    pub(crate) clock: crate::clock::Clock,
}

/// The SLA policies, kept for a few seconds between reads.
#[derive(Clone, Default)]
pub(crate) struct PolicyCache(Arc<std::sync::RwLock<Option<CachedPolicies>>>);

type CachedPolicies = (std::time::Instant, Vec<upturn_domain::sla::SlaPolicy>);

impl PolicyCache {
    const TTL: Duration = Duration::from_secs(5);

    pub(crate) fn get(
        &self,
        urgency: upturn_domain::model::Urgency,
    ) -> Option<upturn_domain::sla::SlaPolicy> {
        let guard = self.0.read().ok()?;
        let (at, policies) = guard.as_ref()?;
        if at.elapsed() > Self::TTL {
            return None;
        }
        policies.iter().find(|p| p.urgency == urgency).copied()
    }

    pub(crate) fn put(&self, policies: Vec<upturn_domain::sla::SlaPolicy>) {
        if let Ok(mut guard) = self.0.write() {
            *guard = Some((std::time::Instant::now(), policies));
        }
    }

    /// Forgets the cached policies after a change.
    pub(crate) fn clear(&self) {
        if let Ok(mut guard) = self.0.write() {
            *guard = None;
        }
    }
}

/// The routing rules, kept for a few seconds between reads (another
/// replica's change is seen within that time; this process's at once).
#[derive(Clone, Default)]
pub(crate) struct RuleCache(Arc<std::sync::RwLock<Option<CachedRules>>>);

type CachedRules = (std::time::Instant, Vec<upturn_domain::routing::RoutingRule>);

impl RuleCache {
    const TTL: Duration = Duration::from_secs(5);

    pub(crate) fn get(&self) -> Option<Vec<upturn_domain::routing::RoutingRule>> {
        let guard = self.0.read().ok()?;
        let (at, rules) = guard.as_ref()?;
        (at.elapsed() <= Self::TTL).then(|| rules.clone())
    }

    pub(crate) fn put(&self, rules: Vec<upturn_domain::routing::RoutingRule>) {
        if let Ok(mut guard) = self.0.write() {
            *guard = Some((std::time::Instant::now(), rules));
        }
    }

    pub(crate) fn clear(&self) {
        if let Ok(mut guard) = self.0.write() {
            *guard = None;
        }
    }
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
        // SQLite has one writer and a thread per connection: a few readers
        // are plenty, more only add context switches.
        let max_connections = match backend {
            Backend::Sqlite => options.max_connections.clamp(1, 4),
            Backend::Postgres => options.max_connections.max(1),
        };
        connect
            .max_connections(max_connections)
            .min_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .sqlx_logging(false);
        if backend == Backend::Sqlite {
            connect.map_sqlx_sqlite_opts(|opts| {
                opts.create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    // NORMAL in WAL mode: a commit survives a killed process.
                    .synchronous(SqliteSynchronous::Normal)
                    .busy_timeout(BUSY_TIMEOUT)
                    .foreign_keys(true)
                    // Truncate the WAL back to 64 MiB after checkpoints.
                    .pragma("journal_size_limit", "67108864")
                    // Rows the database thread may hand over before the
                    // reader takes them: the default 50 made a search's
                    // 1,000 rows wait on thread switches (one search at a
                    // million requests, alone: 25 -> 17 ms).
                    .row_buffer_size(4096)
            });
        }
        let db = Database::connect(connect)
            .await
            .context("Failed to connect to the database")?;
        let store = Store {
            db,
            backend,
            write_lock: (backend == Backend::Sqlite).then(|| Arc::new(Mutex::new(()))),
            policies: PolicyCache::default(),
            rules: RuleCache::default(),
            word_counts: crate::search::WordCounts::default(),
            last_number: Arc::default(),
            filings: None,
            wakeups: tokio::sync::broadcast::channel(1024).0,
            committed: Arc::default(),
            clock: crate::clock::Clock::default(),
        };
        store.migrate(&options.url).await?;
        let filings = crate::filing::start(store.clone());
        Ok(Store {
            filings: Some(filings),
            ..store
        })
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The clock the store stamps changes with; tests stop and move it.
    pub fn clock(&self) -> &crate::clock::Clock {
        &self.clock
    }

    pub(crate) fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// What is derived from the stored requests and built after a
    /// migration adds it: the metric roll-ups and the search index.
    async fn rebuild_derived_if_missing(&self) -> anyhow::Result<()> {
        self.rebuild_metrics_if_missing().await?;
        self.rebuild_search_if_missing().await?;
        Ok(())
    }

    /// Brings the schema up to date. On PostgreSQL, replicas starting
    /// together take turns: the migrations run on one connection holding an
    /// advisory lock, so the second replica waits, then finds nothing to do.
    pub async fn migrate(&self, url: &str) -> anyhow::Result<()> {
        if self.backend != Backend::Postgres {
            crate::schema::migrate(&self.db).await?;
            return self.rebuild_derived_if_missing().await;
        }
        let mut options = ConnectOptions::new(url.to_owned());
        options
            .max_connections(1)
            .min_connections(1)
            .sqlx_logging(false);
        let session = Database::connect(options)
            .await
            .context("Failed to connect to run the migrations")?;
        session
            .execute_unprepared(&format!("SELECT pg_advisory_lock({MIGRATION_LOCK})"))
            .await
            .context("Failed to take the migration lock")?;
        let migrated = match crate::schema::migrate(&session).await {
            // Under the lock too: one replica builds, the others find it done.
            Ok(()) => self.rebuild_derived_if_missing().await,
            Err(error) => Err(error),
        };
        let unlocked = session
            .execute_unprepared(&format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})"))
            .await;
        let _ = session.close().await;
        migrated?;
        unlocked.context("Failed to release the migration lock")?;
        Ok(())
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
    /// truncates it, holding writers off meanwhile. A no-op on PostgreSQL.
    ///
    /// `TRUNCATE` waits in the busy handler for every reader to leave the
    /// log; with the connections' 10 s timeout a backup reading a snapshot
    /// would stop filings for 10 s at each checkpoint. So the checkpoint's
    /// connection waits at most `CHECKPOINT_BUSY_TIMEOUT`, after which
    /// SQLite copies what it can (as `PASSIVE` would) and the log is
    /// truncated at a later tick.
    pub async fn checkpoint(&self) -> anyhow::Result<()> {
        let Some(lock) = &self.write_lock else {
            return Ok(());
        };
        let _writer = lock.lock().await;
        let mut conn = self
            .db
            .get_sqlite_connection_pool()
            .acquire()
            .await
            .context("Failed to get a connection to checkpoint the SQLite WAL")?;
        let busy = |timeout: Duration| {
            sea_orm::sqlx::AssertSqlSafe(format!("PRAGMA busy_timeout = {}", timeout.as_millis()))
        };
        let checkpointed = async {
            sea_orm::sqlx::query(busy(CHECKPOINT_BUSY_TIMEOUT))
                .execute(&mut *conn)
                .await?;
            sea_orm::sqlx::query("PRAGMA wal_checkpoint(TRUNCATE)")
                .execute(&mut *conn)
                .await
        }
        .await;
        let restored = sea_orm::sqlx::query(busy(BUSY_TIMEOUT))
            .execute(&mut *conn)
            .await;
        if restored.is_err() {
            // Never hand the pool a connection that gives up too soon.
            conn.close_on_drop();
        }
        checkpointed.context("Failed to checkpoint the SQLite WAL")?;
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
