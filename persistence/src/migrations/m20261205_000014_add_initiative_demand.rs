//! The initiatives list's order kept in the database: each initiative's
//! demand (requests linked, customers waiting to hear back, teams) stored
//! on its row, written in the transaction of every change that moves it,
//! and one index in list order, so a page is one ordered walk however many
//! initiatives there are. Existing initiatives are counted here. The
//! columns default to 0, so the previous release keeps inserting
//! (decision 0014).

use sea_orm::ConnectionTrait;
use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

/// The demand of every initiative, as `upturn_domain::initiative::Counts`
/// defines it (kept here as it was when this migration was written; the
/// service keeps it current with `initiatives::DEMAND_SET`).
const COUNT_EVERY_INITIATIVE: &str = "UPDATE initiatives SET \
    linked_count = (SELECT COUNT(*) FROM initiative_requests l WHERE l.initiative_id = initiatives.id), \
    waiting_count = (SELECT COUNT(*) FROM initiative_requests l JOIN requests r ON r.id = l.request_id \
        WHERE l.initiative_id = initiatives.id AND r.status IN ('new', 'acknowledged', 'in_progress') AND r.customer_consent), \
    teams_count = (SELECT COUNT(DISTINCT r.team_id) FROM initiative_requests l JOIN requests r ON r.id = l.request_id \
        WHERE l.initiative_id = initiatives.id)";

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000014_add_initiative_demand"
    }
}

#[derive(DeriveIden)]
enum Initiatives {
    Table,
    LinkedCount,
    WaitingCount,
    TeamsCount,
    CreatedAt,
    Id,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for column in [
            Initiatives::LinkedCount,
            Initiatives::WaitingCount,
            Initiatives::TeamsCount,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Initiatives::Table)
                        .add_column(big_integer(column).default(0))
                        .to_owned(),
                )
                .await?;
        }
        manager
            .create_index(
                Index::create()
                    .name("idx_initiatives_demand")
                    .table(Initiatives::Table)
                    .col(Initiatives::LinkedCount)
                    .col(Initiatives::WaitingCount)
                    .col(Initiatives::TeamsCount)
                    .col(Initiatives::CreatedAt)
                    .col(Initiatives::Id)
                    .to_owned(),
            )
            .await?;
        manager
            .get_connection()
            .execute_unprepared(COUNT_EVERY_INITIATIVE)
            .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(
                Index::drop()
                    .name("idx_initiatives_demand")
                    .table(Initiatives::Table)
                    .to_owned(),
            )
            .await?;
        for column in [
            Initiatives::LinkedCount,
            Initiatives::WaitingCount,
            Initiatives::TeamsCount,
        ] {
            manager
                .alter_table(
                    Table::alter()
                        .table(Initiatives::Table)
                        .drop_column(column)
                        .to_owned(),
                )
                .await?;
        }
        Ok(())
    }
}
