//! Follow-ups are read by request: the metric roll-ups after every action
//! on a request, and the knowledge shown at intake (each past resolution's
//! last satisfaction). Without this index each of those read every
//! follow-up ever recorded.

use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000015_index_follow_ups_by_request"
    }
}

#[derive(DeriveIden)]
enum FollowUps {
    Table,
    RequestId,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_index(
                Index::create()
                    .name("idx_follow_ups_request")
                    .table(FollowUps::Table)
                    .col(FollowUps::RequestId)
                    .col(FollowUps::At)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_follow_ups_request")
                    .table(FollowUps::Table)
                    .to_owned(),
            )
            .await
    }
}
