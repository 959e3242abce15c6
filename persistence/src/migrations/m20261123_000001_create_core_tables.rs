//! The core of the pyramid: units, members, requests, their timeline,
//! follow-ups, idempotency keys, SLA policies and counters.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;
use upturn_domain::model::Urgency;
use upturn_domain::sla::SlaPolicy;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261123_000001_create_core_tables"
    }
}

#[derive(DeriveIden)]
enum Units {
    Table,
    Id,
    Name,
    Kind,
    Categories,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
    Name,
    Email,
    Role,
    UnitId,
    Active,
    PasswordHash,
    Version,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum Requests {
    Table,
    Id,
    Number,
    Kind,
    Category,
    Urgency,
    Channel,
    Title,
    Description,
    CustomerExpectation,
    CustomerName,
    CustomerContact,
    CustomerConsent,
    Status,
    Level,
    UnitId,
    TeamId,
    FiledBy,
    AssigneeId,
    Version,
    TrackingCode,
    SlaAcknowledgeSeconds,
    SlaResolveSeconds,
    AcknowledgeBy,
    ResolveBy,
    SlaBreached,
    ResolvedLevel,
    ResolvedUnitId,
    ResolutionNote,
    ReopenCount,
    FiledAt,
    ArrivedAt,
    AcknowledgedAt,
    ResolvedAt,
    ClosedAt,
    UpdatedAt,
    SearchText,
}

#[derive(DeriveIden)]
enum RequestUnits {
    Table,
    RequestId,
    UnitId,
}

#[derive(DeriveIden)]
enum Events {
    Table,
    Id,
    RequestId,
    #[sea_orm(iden = "type")]
    Kind,
    ActorId,
    FromLevel,
    ToLevel,
    FromStatus,
    ToStatus,
    Note,
    Internal,
    At,
}

#[derive(DeriveIden)]
enum FollowUps {
    Table,
    Id,
    RequestId,
    EventId,
    CustomerReached,
    Satisfaction,
    WouldRecommend,
    Note,
    Reopen,
    RecordedBy,
    At,
}

#[derive(DeriveIden)]
enum IdempotencyKeys {
    Table,
    MemberId,
    Key,
    Fingerprint,
    StatusCode,
    Location,
    Etag,
    Body,
    CreatedAt,
}

#[derive(DeriveIden)]
enum SlaPolicies {
    Table,
    Urgency,
    AcknowledgeWithinSeconds,
    ResolveWithinSeconds,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Units::Table)
                    .col(uuid(Units::Id).primary_key())
                    .col(string(Units::Name))
                    .col(string(Units::Kind))
                    .col(text(Units::Categories))
                    .col(big_integer(Units::Version))
                    .col(timestamp_with_time_zone(Units::CreatedAt))
                    .col(timestamp_with_time_zone(Units::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Members::Table)
                    .col(uuid(Members::Id).primary_key())
                    .col(string(Members::Name))
                    .col(string_uniq(Members::Email))
                    .col(string(Members::Role))
                    .col(uuid_null(Members::UnitId))
                    .col(boolean(Members::Active))
                    .col(string(Members::PasswordHash))
                    .col(big_integer(Members::Version))
                    .col(timestamp_with_time_zone(Members::CreatedAt))
                    .col(timestamp_with_time_zone(Members::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Members::Table, Members::UnitId)
                            .to(Units::Table, Units::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Requests::Table)
                    .col(uuid(Requests::Id).primary_key())
                    .col(big_integer_uniq(Requests::Number))
                    .col(string(Requests::Kind))
                    .col(string(Requests::Category))
                    .col(string(Requests::Urgency))
                    .col(string(Requests::Channel))
                    .col(text(Requests::Title))
                    .col(text(Requests::Description))
                    .col(text(Requests::CustomerExpectation))
                    .col(text_null(Requests::CustomerName))
                    .col(text_null(Requests::CustomerContact))
                    .col(boolean(Requests::CustomerConsent))
                    .col(string(Requests::Status))
                    .col(string(Requests::Level))
                    .col(uuid(Requests::UnitId))
                    .col(uuid(Requests::TeamId))
                    .col(uuid(Requests::FiledBy))
                    .col(uuid_null(Requests::AssigneeId))
                    .col(big_integer(Requests::Version))
                    .col(string_null(Requests::TrackingCode).unique_key())
                    .col(big_integer(Requests::SlaAcknowledgeSeconds))
                    .col(big_integer(Requests::SlaResolveSeconds))
                    .col(timestamp_with_time_zone(Requests::AcknowledgeBy))
                    .col(timestamp_with_time_zone(Requests::ResolveBy))
                    .col(boolean(Requests::SlaBreached))
                    .col(string_null(Requests::ResolvedLevel))
                    .col(uuid_null(Requests::ResolvedUnitId))
                    .col(text_null(Requests::ResolutionNote))
                    .col(integer(Requests::ReopenCount))
                    .col(timestamp_with_time_zone(Requests::FiledAt))
                    .col(timestamp_with_time_zone(Requests::ArrivedAt))
                    .col(timestamp_with_time_zone_null(Requests::AcknowledgedAt))
                    .col(timestamp_with_time_zone_null(Requests::ResolvedAt))
                    .col(timestamp_with_time_zone_null(Requests::ClosedAt))
                    .col(timestamp_with_time_zone(Requests::UpdatedAt))
                    .col(text(Requests::SearchText))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Requests::Table, Requests::UnitId)
                            .to(Units::Table, Units::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Requests::Table, Requests::TeamId)
                            .to(Units::Table, Units::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Requests::Table, Requests::FiledBy)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await?;
        for (name, columns) in [
            ("idx_requests_team", vec![Requests::TeamId, Requests::Id]),
            ("idx_requests_unit", vec![Requests::UnitId, Requests::Id]),
            ("idx_requests_status", vec![Requests::Status, Requests::Id]),
            ("idx_requests_filed_at", vec![Requests::FiledAt]),
        ] {
            let mut index = Index::create();
            index.name(name).table(Requests::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        manager
            .create_table(
                Table::create()
                    .table(RequestUnits::Table)
                    .col(uuid(RequestUnits::RequestId))
                    .col(uuid(RequestUnits::UnitId))
                    .primary_key(
                        Index::create()
                            .col(RequestUnits::RequestId)
                            .col(RequestUnits::UnitId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(RequestUnits::Table, RequestUnits::RequestId)
                            .to(Requests::Table, Requests::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_request_units_unit")
                    .table(RequestUnits::Table)
                    .col(RequestUnits::UnitId)
                    .col(RequestUnits::RequestId)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(Events::Table)
                    .col(uuid(Events::Id).primary_key())
                    .col(uuid(Events::RequestId))
                    .col(string(Events::Kind))
                    .col(uuid_null(Events::ActorId))
                    .col(string_null(Events::FromLevel))
                    .col(string_null(Events::ToLevel))
                    .col(string_null(Events::FromStatus))
                    .col(string_null(Events::ToStatus))
                    .col(text_null(Events::Note))
                    .col(boolean(Events::Internal))
                    .col(timestamp_with_time_zone(Events::At))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Events::Table, Events::RequestId)
                            .to(Requests::Table, Requests::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_events_request")
                    .table(Events::Table)
                    .col(Events::RequestId)
                    .col(Events::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(FollowUps::Table)
                    .col(uuid(FollowUps::Id).primary_key())
                    .col(uuid(FollowUps::RequestId))
                    .col(uuid(FollowUps::EventId))
                    .col(boolean(FollowUps::CustomerReached))
                    .col(small_integer_null(FollowUps::Satisfaction))
                    .col(small_integer_null(FollowUps::WouldRecommend))
                    .col(text_null(FollowUps::Note))
                    .col(boolean(FollowUps::Reopen))
                    .col(uuid(FollowUps::RecordedBy))
                    .col(timestamp_with_time_zone(FollowUps::At))
                    .foreign_key(
                        ForeignKey::create()
                            .from(FollowUps::Table, FollowUps::RequestId)
                            .to(Requests::Table, Requests::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(IdempotencyKeys::Table)
                    .col(uuid(IdempotencyKeys::MemberId))
                    .col(string(IdempotencyKeys::Key))
                    .col(string(IdempotencyKeys::Fingerprint))
                    .col(integer(IdempotencyKeys::StatusCode))
                    .col(text_null(IdempotencyKeys::Location))
                    .col(string_null(IdempotencyKeys::Etag))
                    .col(text(IdempotencyKeys::Body))
                    .col(timestamp_with_time_zone(IdempotencyKeys::CreatedAt))
                    .primary_key(
                        Index::create()
                            .col(IdempotencyKeys::MemberId)
                            .col(IdempotencyKeys::Key),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(SlaPolicies::Table)
                    .col(string(SlaPolicies::Urgency).primary_key())
                    .col(big_integer(SlaPolicies::AcknowledgeWithinSeconds))
                    .col(big_integer(SlaPolicies::ResolveWithinSeconds))
                    .col(timestamp_with_time_zone(SlaPolicies::UpdatedAt))
                    .to_owned(),
            )
            .await?;
        let now = chrono::Utc::now();
        let mut policies = Query::insert();
        policies.into_table(SlaPolicies::Table).columns([
            SlaPolicies::Urgency,
            SlaPolicies::AcknowledgeWithinSeconds,
            SlaPolicies::ResolveWithinSeconds,
            SlaPolicies::UpdatedAt,
        ]);
        for urgency in Urgency::ALL {
            let policy = SlaPolicy::default_for(*urgency);
            policies.values_panic([
                urgency.as_str().into(),
                policy.acknowledge_within_seconds.into(),
                policy.resolve_within_seconds.into(),
                now.into(),
            ]);
        }
        manager.exec_stmt(policies).await?;
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            // Request numbers (UP-000123) on PostgreSQL; SQLite takes the
            // highest number plus one under its single writer.
            manager
                .get_connection()
                .execute_unprepared("CREATE SEQUENCE request_number START 1")
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == sea_orm::DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared("DROP SEQUENCE IF EXISTS request_number")
                .await?;
        }
        for table in [
            SlaPolicies::Table.into_iden(),
            IdempotencyKeys::Table.into_iden(),
            FollowUps::Table.into_iden(),
            Events::Table.into_iden(),
            RequestUnits::Table.into_iden(),
            Requests::Table.into_iden(),
            Members::Table.into_iden(),
            Units::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
