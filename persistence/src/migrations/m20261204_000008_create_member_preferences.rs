//! Each member's preferences for the pages (today their language), apart
//! from the member row so the API's member shape does not change.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000008_create_member_preferences"
    }
}

#[derive(DeriveIden)]
enum Members {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum MemberPreferences {
    Table,
    MemberId,
    Language,
    UpdatedAt,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(MemberPreferences::Table)
                    .col(uuid(MemberPreferences::MemberId).primary_key())
                    .col(string_len_null(MemberPreferences::Language, 8))
                    .col(timestamp_with_time_zone(MemberPreferences::UpdatedAt))
                    .foreign_key(
                        ForeignKey::create()
                            .from(MemberPreferences::Table, MemberPreferences::MemberId)
                            .to(Members::Table, Members::Id),
                    )
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(MemberPreferences::Table).to_owned())
            .await
    }
}
