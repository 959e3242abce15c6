//! The team pulse: answers (unit, week, scores, comment — never the
//! member) and, apart, who has answered which week. Nothing joins the two:
//! no shared column, a random (not time-ordered) answer id, no timestamp.
//!
//! On SQLite both tables are `WITHOUT ROWID`, so rows are stored in key
//! order (a random id; member then week) rather than in insertion order,
//! which would let someone pair them by position. PostgreSQL keeps rows in
//! its heap; see `persistence/src/pulse.rs` for what is done about that.

use sea_orm::{ConnectionTrait, DatabaseBackend};
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261130_000004_create_pulse"
    }
}

#[derive(DeriveIden)]
enum Units {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum PulseAnswers {
    Table,
    Id,
    UnitId,
    Period,
    Happiness,
    Pleasure,
    Engagement,
    Comment,
}

#[derive(DeriveIden)]
enum PulseParticipation {
    Table,
    MemberId,
    Period,
}

/// Creates `table`, as `WITHOUT ROWID` on SQLite (sea-query has no word
/// for it, so the generated statement is completed by hand).
async fn create_keyed(
    manager: &SchemaManager<'_>,
    table: TableCreateStatement,
) -> Result<(), DbErr> {
    match manager.get_database_backend() {
        DatabaseBackend::Sqlite => {
            let statement = DatabaseBackend::Sqlite.build(&table);
            manager
                .get_connection()
                .execute_unprepared(&format!("{} WITHOUT ROWID", statement.sql))
                .await
                .map(|_| ())
        }
        _ => manager.create_table(table).await,
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_keyed(
            manager,
            Table::create()
                .table(PulseAnswers::Table)
                .col(uuid(PulseAnswers::Id).primary_key())
                .col(uuid(PulseAnswers::UnitId))
                .col(string_len(PulseAnswers::Period, 8))
                .col(small_integer(PulseAnswers::Happiness))
                .col(small_integer(PulseAnswers::Pleasure))
                .col(small_integer(PulseAnswers::Engagement))
                .col(text_null(PulseAnswers::Comment))
                .foreign_key(
                    ForeignKey::create()
                        .from(PulseAnswers::Table, PulseAnswers::UnitId)
                        .to(Units::Table, Units::Id),
                )
                .to_owned(),
        )
        .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_pulse_answers_period_unit")
                    .table(PulseAnswers::Table)
                    .col(PulseAnswers::Period)
                    .col(PulseAnswers::UnitId)
                    .to_owned(),
            )
            .await?;
        create_keyed(
            manager,
            Table::create()
                .table(PulseParticipation::Table)
                .col(uuid(PulseParticipation::MemberId))
                .col(string_len(PulseParticipation::Period, 8))
                .primary_key(
                    Index::create()
                        .col(PulseParticipation::MemberId)
                        .col(PulseParticipation::Period),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(PulseParticipation::Table, PulseParticipation::MemberId)
                        .to(Members::Table, Members::Id),
                )
                .to_owned(),
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PulseParticipation::Table.into_iden(),
            PulseAnswers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
