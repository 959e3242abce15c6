//! The board's columns without sorting the history: each column of
//! `/app/requests` lists one status, the open ones nearest deadline first,
//! so an index on `(status, next_deadline_at, id)` (everything, for
//! leaders and services) and one on `(team_id, status, next_deadline_at,
//! id)` (a team) give a column's first cards as one ordered walk that stops
//! at the page's limit. Without them a column sorted every request of the
//! scope in the status (over 60,000 rows for one team at a million
//! requests, a second for the whole organisation).

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000010_board_indexes"
    }
}

#[derive(DeriveIden)]
enum Requests {
    Table,
    TeamId,
    Status,
    NextDeadlineAt,
    Id,
}

fn indexes() -> [(&'static str, Vec<Requests>); 2] {
    use Requests::*;
    [
        (
            "idx_requests_status_deadline",
            vec![Status, NextDeadlineAt, Id],
        ),
        (
            "idx_requests_team_status_deadline",
            vec![TeamId, Status, NextDeadlineAt, Id],
        ),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, columns) in indexes() {
            let mut index = Index::create();
            index.name(name).table(Requests::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for (name, _) in indexes() {
            manager
                .drop_index(Index::drop().name(name).table(Requests::Table).to_owned())
                .await?;
        }
        Ok(())
    }
}
