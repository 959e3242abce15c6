//! Initiatives (the outer loop, decision 0008): the initiatives themselves,
//! the links that hand requests over to them (with the holder to give each
//! request back to if the initiative is dropped), and `requests.initiative_id`,
//! the initiative a request was last linked to, for the request's shape and
//! for "at most one live initiative per request".

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000005_create_initiatives"
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
enum Requests {
    Table,
    Id,
    InitiativeId,
}

#[derive(DeriveIden)]
enum Initiatives {
    Table,
    Id,
    Title,
    Description,
    UnitId,
    TargetDate,
    Status,
    PublicNote,
    Version,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden)]
enum InitiativeRequests {
    Table,
    InitiativeId,
    RequestId,
    LinkedAt,
    LinkedBy,
    PreviousLevel,
    PreviousUnitId,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Initiatives::Table)
                    .col(uuid(Initiatives::Id).primary_key())
                    .col(text(Initiatives::Title))
                    .col(text(Initiatives::Description))
                    .col(uuid(Initiatives::UnitId))
                    .col(date_null(Initiatives::TargetDate))
                    .col(string(Initiatives::Status))
                    .col(text_null(Initiatives::PublicNote))
                    .col(big_integer(Initiatives::Version))
                    .col(uuid(Initiatives::CreatedBy))
                    .col(timestamp_with_time_zone(Initiatives::CreatedAt))
                    .col(timestamp_with_time_zone(Initiatives::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(Initiatives::Table, Initiatives::UnitId)
                            .to(Units::Table, Units::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(Initiatives::Table, Initiatives::CreatedBy)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(InitiativeRequests::Table)
                    .col(uuid(InitiativeRequests::InitiativeId))
                    .col(uuid(InitiativeRequests::RequestId))
                    .col(timestamp_with_time_zone(InitiativeRequests::LinkedAt))
                    .col(uuid(InitiativeRequests::LinkedBy))
                    .col(string_null(InitiativeRequests::PreviousLevel))
                    .col(uuid_null(InitiativeRequests::PreviousUnitId))
                    .primary_key(
                        Index::create()
                            .col(InitiativeRequests::InitiativeId)
                            .col(InitiativeRequests::RequestId),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(InitiativeRequests::Table, InitiativeRequests::InitiativeId)
                            .to(Initiatives::Table, Initiatives::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(InitiativeRequests::Table, InitiativeRequests::RequestId)
                            .to(Requests::Table, Requests::Id),
                    )
                    .foreign_key(
                        ForeignKey::create()
                            .from(InitiativeRequests::Table, InitiativeRequests::LinkedBy)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await?;
        // The links of one request (the primary key serves one initiative's).
        manager
            .create_index(
                Index::create()
                    .name("idx_initiative_requests_request")
                    .table(InitiativeRequests::Table)
                    .col(InitiativeRequests::RequestId)
                    .to_owned(),
            )
            .await?;
        // SQLite cannot add a foreign key to an existing table; the links
        // table holds the checked reference, this column mirrors the last one.
        manager
            .alter_table(
                Table::alter()
                    .table(Requests::Table)
                    .add_column(uuid_null(Requests::InitiativeId))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_requests_initiative")
                    .table(Requests::Table)
                    .col(Requests::InitiativeId)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_requests_initiative")
                    .table(Requests::Table)
                    .to_owned(),
            )
            .await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Requests::Table)
                    .drop_column(Requests::InitiativeId)
                    .to_owned(),
            )
            .await?;
        for table in [
            InitiativeRequests::Table.into_iden(),
            Initiatives::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
