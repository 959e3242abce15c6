//! Reading the roll-ups without visiting rows one by one (decision 0006,
//! "Speed"): the metric facts' indexes carry the columns their queries
//! read, so the ragged ends' histograms, the percentile look-ups and the
//! by-category pass over a window are answered from the index alone; and on SQLite the daily sums and
//! histograms become `WITHOUT ROWID` tables, stored in key order, so a
//! period's rows are one range of the key instead of an index walk plus a
//! table look-up per row.

use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000007_cover_metric_indexes"
    }
}

#[derive(DeriveIden)]
enum MetricFacts {
    Table,
    ScopeId,
    FiledAt,
    Category,
    IsOpen,
    AckSeconds,
    AckBucket,
    ResolveSeconds,
    ResolveBucket,
}

type Columns = Vec<MetricFacts>;

/// `(old name, old columns, new name, new columns)`; every index leads
/// with the scope.
fn indexes() -> [(&'static str, Columns, &'static str, Columns); 3] {
    use MetricFacts::*;
    [
        (
            "idx_metric_facts_filed",
            vec![FiledAt],
            "idx_metric_facts_filed_buckets",
            vec![
                FiledAt,
                AckBucket,
                ResolveBucket,
                Category,
                IsOpen,
                AckSeconds,
                ResolveSeconds,
            ],
        ),
        (
            "idx_metric_facts_ack",
            vec![AckBucket, FiledAt],
            "idx_metric_facts_ack_seconds",
            vec![AckBucket, FiledAt, AckSeconds],
        ),
        (
            "idx_metric_facts_resolve",
            vec![ResolveBucket, FiledAt],
            "idx_metric_facts_resolve_seconds",
            vec![ResolveBucket, FiledAt, ResolveSeconds],
        ),
    ]
}

async fn swap(
    manager: &SchemaManager<'_>,
    drop: &str,
    name: &str,
    columns: Columns,
) -> Result<(), DbErr> {
    let mut index = Index::create();
    index
        .name(name)
        .table(MetricFacts::Table)
        .col(MetricFacts::ScopeId);
    for column in columns {
        index.col(column);
    }
    manager.create_index(index.to_owned()).await?;
    manager
        .drop_index(
            Index::drop()
                .name(drop)
                .table(MetricFacts::Table)
                .to_owned(),
        )
        .await
}

/// The tables whose rows are read by ranges of their key.
const KEYED: [&str; 2] = ["metric_days", "metric_histogram"];

/// SQLite: moves `table` aside, creates it again from its own definition
/// with or without `WITHOUT ROWID`, and copies the rows over. These tables
/// have no index but their primary key.
async fn store_by_key(manager: &SchemaManager<'_>, table: &str, by_key: bool) -> Result<(), DbErr> {
    let db = manager.get_connection();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Sqlite,
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?",
            [table.into()],
        ))
        .await?
        .ok_or_else(|| DbErr::Custom(format!("table {table} not found")))?;
    let sql: String = row.try_get("", "sql")?;
    let body = sql
        .trim_end()
        .trim_end_matches("WITHOUT ROWID")
        .trim_end()
        .to_owned();
    let previous = format!("{table}_previous");
    let suffix = if by_key { " WITHOUT ROWID" } else { "" };
    for statement in [
        format!("ALTER TABLE \"{table}\" RENAME TO \"{previous}\""),
        format!("{body}{suffix}"),
        format!("INSERT INTO \"{table}\" SELECT * FROM \"{previous}\""),
        format!("DROP TABLE \"{previous}\""),
    ] {
        db.execute_unprepared(&statement).await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (old, _, new, columns) in indexes() {
            swap(manager, old, new, columns).await?;
        }
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            for table in KEYED {
                store_by_key(manager, table, true).await?;
            }
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Sqlite {
            for table in KEYED {
                store_by_key(manager, table, false).await?;
            }
        }
        for (old, columns, new, _) in indexes() {
            swap(manager, new, old, columns).await?;
        }
        Ok(())
    }
}
