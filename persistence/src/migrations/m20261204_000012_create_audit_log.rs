//! The audit trail: one row per change to the organisation and its
//! settings, written in the change's own transaction. Listed newest first
//! (by id, a UUID v7), for everything or filtered by entity kind or by
//! actor: one index per way of reading it, each ending in the id so that a
//! page is one ordered walk that stops at its limit.

use sea_orm_migration::prelude::*;
use sea_orm_migration::schema::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261204_000012_create_audit_log"
    }
}

#[derive(DeriveIden)]
enum AuditLog {
    Table,
    Id,
    At,
    ActorId,
    Action,
    Entity,
    EntityId,
    Before,
    After,
}

fn indexes() -> [(&'static str, [AuditLog; 2]); 2] {
    [
        ("idx_audit_log_entity_id", [AuditLog::Entity, AuditLog::Id]),
        ("idx_audit_log_actor_id", [AuditLog::ActorId, AuditLog::Id]),
    ]
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(AuditLog::Table)
                    .col(uuid(AuditLog::Id).primary_key())
                    .col(timestamp_with_time_zone(AuditLog::At))
                    // `null`: done by the service itself (a due erasure, a
                    // webhook disabled after a day of failures).
                    .col(uuid_null(AuditLog::ActorId))
                    .col(string_len(AuditLog::Action, 64))
                    .col(string_len(AuditLog::Entity, 32))
                    // `null` for the SLA policies, changed as a whole.
                    .col(uuid_null(AuditLog::EntityId))
                    // JSON objects; `null` before a creation, after a deletion.
                    .col(text_null(AuditLog::Before))
                    .col(text_null(AuditLog::After))
                    .to_owned(),
            )
            .await?;
        for (name, columns) in indexes() {
            let mut index = Index::create();
            index.name(name).table(AuditLog::Table);
            for column in columns {
                index.col(column);
            }
            manager.create_index(index.to_owned()).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(AuditLog::Table).to_owned())
            .await
    }
}
