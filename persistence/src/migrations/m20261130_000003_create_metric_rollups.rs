//! The metric roll-ups (decision 0006): what each request adds to the
//! figures, per unit that sees it, and those contributions summed per day
//! and category, plus duration histograms. Kept in the transaction of every
//! change; rebuilt from the requests when empty (see `metrics.rs`).

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use upturn_domain::rollup::Counts;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000003_create_metric_rollups"
    }
}

#[derive(DeriveIden)]
enum MetricFacts {
    Table,
    RequestId,
    ScopeId,
    FiledAt,
    Day,
    Category,
    IsOpen,
    AckSeconds,
    AckBucket,
    ResolveSeconds,
    ResolveBucket,
}

#[derive(DeriveIden)]
enum MetricDays {
    Table,
    ScopeId,
    Day,
    Category,
}

#[derive(DeriveIden)]
enum MetricHistogram {
    Table,
    ScopeId,
    Measure,
    Day,
    Bucket,
    Count,
}

/// One `BIGINT NOT NULL DEFAULT 0` column per tally.
fn tallies(table: &mut TableCreateStatement) -> &mut TableCreateStatement {
    for name in Counts::NAMES {
        table.col(big_integer(Alias::new(name)).default(0));
    }
    table
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let mut facts = Table::create();
        facts
            .table(MetricFacts::Table)
            .col(uuid(MetricFacts::RequestId))
            .col(uuid(MetricFacts::ScopeId))
            .col(timestamp_with_time_zone(MetricFacts::FiledAt))
            .col(big_integer(MetricFacts::Day))
            .col(string(MetricFacts::Category))
            .col(boolean(MetricFacts::IsOpen))
            .col(big_integer_null(MetricFacts::AckSeconds))
            .col(big_integer_null(MetricFacts::AckBucket))
            .col(big_integer_null(MetricFacts::ResolveSeconds))
            .col(big_integer_null(MetricFacts::ResolveBucket))
            .primary_key(
                Index::create()
                    .col(MetricFacts::RequestId)
                    .col(MetricFacts::ScopeId),
            );
        manager.create_table(tallies(&mut facts).to_owned()).await?;
        let indexes: [(&str, Vec<MetricFacts>); 4] = [
            ("idx_metric_facts_filed", vec![MetricFacts::FiledAt]),
            (
                "idx_metric_facts_open",
                vec![MetricFacts::IsOpen, MetricFacts::FiledAt],
            ),
            (
                "idx_metric_facts_ack",
                vec![MetricFacts::AckBucket, MetricFacts::FiledAt],
            ),
            (
                "idx_metric_facts_resolve",
                vec![MetricFacts::ResolveBucket, MetricFacts::FiledAt],
            ),
        ];
        for (name, columns) in indexes {
            let mut index = Index::create();
            index
                .name(name)
                .table(MetricFacts::Table)
                .col(MetricFacts::ScopeId);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        let mut days = Table::create();
        days.table(MetricDays::Table)
            .col(uuid(MetricDays::ScopeId))
            .col(big_integer(MetricDays::Day))
            .col(string(MetricDays::Category))
            .primary_key(
                Index::create()
                    .col(MetricDays::ScopeId)
                    .col(MetricDays::Day)
                    .col(MetricDays::Category),
            );
        manager.create_table(tallies(&mut days).to_owned()).await?;
        manager
            .create_table(
                Table::create()
                    .table(MetricHistogram::Table)
                    .col(uuid(MetricHistogram::ScopeId))
                    .col(small_integer(MetricHistogram::Measure))
                    .col(big_integer(MetricHistogram::Day))
                    .col(big_integer(MetricHistogram::Bucket))
                    .col(big_integer(MetricHistogram::Count))
                    .primary_key(
                        Index::create()
                            .col(MetricHistogram::ScopeId)
                            .col(MetricHistogram::Measure)
                            .col(MetricHistogram::Day)
                            .col(MetricHistogram::Bucket),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            MetricHistogram::Table.into_iden(),
            MetricDays::Table.into_iden(),
            MetricFacts::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
