//! Routing rules, SLA breach flags, watchers and the inbox.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000002_create_routing_and_inbox"
    }
}

#[derive(DeriveIden)]
enum Requests {
    Table,
    AcknowledgeBreachedAt,
    ResolveBreachedAt,
    NextDeadlineAt,
}

#[derive(DeriveIden)]
enum RoutingRules {
    Table,
    Id,
    Name,
    Position,
    Categories,
    Kinds,
    Urgencies,
    Keywords,
    TargetUnitId,
    OnFiling,
    Active,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Watchers {
    Table,
    RequestId,
    MemberId,
    CreatedAt,
}

#[derive(DeriveIden)]
enum InboxItems {
    Table,
    Id,
    MemberId,
    Seq,
    RequestId,
    EventId,
    EventType,
    Summary,
    At,
    ReadAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // SQLite adds one column per ALTER TABLE.
        for column in [
            Requests::AcknowledgeBreachedAt,
            Requests::ResolveBreachedAt,
            Requests::NextDeadlineAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Requests::Table)
                        .add_column(timestamp_with_time_zone_null(column))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_requests_next_deadline")
                    .table(Requests::Table)
                    .col(Requests::NextDeadlineAt)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(RoutingRules::Table)
                    .col(uuid(RoutingRules::Id).primary_key())
                    .col(string(RoutingRules::Name))
                    .col(big_integer(RoutingRules::Position))
                    .col(text(RoutingRules::Categories))
                    .col(text(RoutingRules::Kinds))
                    .col(text(RoutingRules::Urgencies))
                    .col(text(RoutingRules::Keywords))
                    .col(uuid(RoutingRules::TargetUnitId))
                    .col(boolean(RoutingRules::OnFiling))
                    .col(boolean(RoutingRules::Active))
                    .col(big_integer(RoutingRules::Version))
                    .col(timestamp_with_time_zone(RoutingRules::CreatedAt))
                    .col(timestamp_with_time_zone(RoutingRules::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Watchers::Table)
                    .col(uuid(Watchers::RequestId))
                    .col(uuid(Watchers::MemberId))
                    .col(timestamp_with_time_zone(Watchers::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(Watchers::RequestId)
                            .col(Watchers::MemberId),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InboxItems::Table)
                    .col(uuid(InboxItems::Id).primary_key())
                    .col(uuid(InboxItems::MemberId))
                    .col(big_integer(InboxItems::Seq))
                    .col(uuid(InboxItems::RequestId))
                    .col(uuid(InboxItems::EventId))
                    .col(string(InboxItems::EventType))
                    .col(text(InboxItems::Summary))
                    .col(timestamp_with_time_zone(InboxItems::At))
                    .col(timestamp_with_time_zone_null(InboxItems::ReadAt))
                    .to_owned(),
            )
            .await?;
        // The per-member sequence is the stream's cursor: unique per member.
        manager
            .create_index(
                Index::create()
                    .name("idx_inbox_member_seq")
                    .table(InboxItems::Table)
                    .col(InboxItems::MemberId)
                    .col(InboxItems::Seq)
                    .unique()
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_requests_open_deadlines")
                    .table(Requests::Table)
                    .col(Alias::new("status"))
                    .col(Alias::new("resolve_by"))
                    .to_owned(),
            )
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_requests_open_deadlines")
                    .table(Requests::Table)
                    .to_owned(),
            )
            .await?;
        for table in [
            InboxItems::Table.into_iden(),
            Watchers::Table.into_iden(),
            RoutingRules::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        manager
            .drop_index(
                Index::drop()
                    .name("idx_requests_next_deadline")
                    .table(Requests::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Requests::NextDeadlineAt,
            Requests::ResolveBreachedAt,
            Requests::AcknowledgeBreachedAt,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Requests::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
