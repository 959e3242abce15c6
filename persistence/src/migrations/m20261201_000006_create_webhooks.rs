//! Webhooks: the endpoints leadership registered, the outbox of deliveries
//! still owed to them (written in the transaction of the change that made
//! the event), and the log of every delivery attempt.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000006_create_webhooks"
    }
}

#[derive(DeriveIden)]
enum Webhooks {
    Table,
    Id,
    Url,
    Events,
    Description,
    Secret,
    Active,
    CreatedBy,
    CreatedAt,
    FailingSince,
    DisabledAt,
}

#[derive(DeriveIden)]
enum WebhookOutbox {
    Table,
    Id,
    WebhookId,
    EventId,
    RequestId,
    Seq,
    Body,
    Attempts,
    NextAttemptAt,
    LeaseUntil,
    DeliveredAt,
}

#[derive(DeriveIden)]
enum WebhookDeliveries {
    Table,
    Id,
    WebhookId,
    EventId,
    Attempt,
    StatusCode,
    Error,
    At,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(Webhooks::Table)
                    .col(uuid(Webhooks::Id).primary_key())
                    .col(text(Webhooks::Url))
                    // Event type names, comma-separated.
                    .col(text(Webhooks::Events))
                    .col(text_null(Webhooks::Description))
                    .col(text(Webhooks::Secret))
                    .col(boolean(Webhooks::Active))
                    .col(uuid(Webhooks::CreatedBy))
                    .col(timestamp_with_time_zone(Webhooks::CreatedAt))
                    .col(timestamp_with_time_zone_null(Webhooks::FailingSince))
                    .col(timestamp_with_time_zone_null(Webhooks::DisabledAt))
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookOutbox::Table)
                    .col(uuid(WebhookOutbox::Id).primary_key())
                    .col(uuid(WebhookOutbox::WebhookId))
                    .col(uuid(WebhookOutbox::EventId))
                    .col(uuid(WebhookOutbox::RequestId))
                    // The request's version after the event: the order of a
                    // request's deliveries to one endpoint (then the event id).
                    .col(big_integer(WebhookOutbox::Seq))
                    // The exact bytes sent, fixed at enqueue: every retry
                    // sends the same body.
                    .col(text(WebhookOutbox::Body))
                    .col(integer(WebhookOutbox::Attempts))
                    .col(timestamp_with_time_zone(WebhookOutbox::NextAttemptAt))
                    .col(timestamp_with_time_zone_null(WebhookOutbox::LeaseUntil))
                    .col(timestamp_with_time_zone_null(WebhookOutbox::DeliveredAt))
                    .to_owned(),
            )
            .await?;
        // Due rows: undelivered, by time.
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_outbox_due")
                    .table(WebhookOutbox::Table)
                    .col(WebhookOutbox::DeliveredAt)
                    .col(WebhookOutbox::NextAttemptAt)
                    .to_owned(),
            )
            .await?;
        // "Is an older row of this (endpoint, request) still owed?"
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_outbox_order")
                    .table(WebhookOutbox::Table)
                    .col(WebhookOutbox::WebhookId)
                    .col(WebhookOutbox::RequestId)
                    .col(WebhookOutbox::Seq)
                    .to_owned(),
            )
            .await?;
        manager
            .create_table(
                Table::create()
                    .table(WebhookDeliveries::Table)
                    .col(uuid(WebhookDeliveries::Id).primary_key())
                    .col(uuid(WebhookDeliveries::WebhookId))
                    .col(uuid(WebhookDeliveries::EventId))
                    .col(integer(WebhookDeliveries::Attempt))
                    .col(integer_null(WebhookDeliveries::StatusCode))
                    .col(text_null(WebhookDeliveries::Error))
                    .col(timestamp_with_time_zone(WebhookDeliveries::At))
                    .to_owned(),
            )
            .await?;
        manager
            .create_index(
                Index::create()
                    .name("idx_webhook_deliveries_page")
                    .table(WebhookDeliveries::Table)
                    .col(WebhookDeliveries::WebhookId)
                    .col(WebhookDeliveries::Id)
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            WebhookDeliveries::Table.into_iden(),
            WebhookOutbox::Table.into_iden(),
            Webhooks::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}
