//! Two things the searches and lists at a million requests need:
//!
//! - A search reads its leading word's requests along the primary key and
//!   asks, for each, whether the request has the other words; the ranking
//!   then reads the matched terms' weights of a page of requests. The index
//!   by request becomes `(request_id, term, weight)`, so that both are
//!   answered from the index alone (PostgreSQL read every term row of the
//!   request from the table to test its term); it replaces the index on
//!   `request_id` alone.
//! - "Overdue" is read from `next_deadline_at` (the nearest deadline of an
//!   open request) through the `(status, next_deadline_at, id)` index; rows
//!   written before that column existed get it here.

use sea_orm::ConnectionTrait;
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000016_search_probes_and_deadlines"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            r#"CREATE INDEX "idx_search_terms_request_term" ON "search_terms" ("request_id", "term", "weight")"#,
        )
        .await?;
        db.execute_unprepared(r#"DROP INDEX "idx_search_terms_request""#)
            .await?;
        db.execute_unprepared(
            r#"UPDATE "requests" SET "next_deadline_at" = CASE WHEN "status" = 'new' AND "acknowledge_by" < "resolve_by" THEN "acknowledge_by" ELSE "resolve_by" END WHERE "next_deadline_at" IS NULL"#,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        db.execute_unprepared(
            r#"CREATE INDEX "idx_search_terms_request" ON "search_terms" ("request_id")"#,
        )
        .await?;
        db.execute_unprepared(r#"DROP INDEX "idx_search_terms_request_term""#)
            .await?;
        Ok(())
    }
}
