//! The search index (`upturn_domain::search`, docs/decisions/0015): one row
//! per term of a request, keyed `(term, request_id)` so that a prefix is one
//! ordered range of the key, plus `request_id` to find a request's rows.
//! SQLite keeps it `WITHOUT ROWID` (the key is the table: no second copy);
//! PostgreSQL compares `term` with the `"C"` collation, byte by byte like
//! SQLite, so a range `[from, to)` holds the same terms on both. Existing
//! requests are indexed after the migrations run (`Store::migrate`).

use sea_orm::{ConnectionTrait, DbBackend};
use sea_orm_migration::prelude::*;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261205_000013_create_search_terms"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let db = manager.get_connection();
        let table = match manager.get_database_backend() {
            DbBackend::Postgres => {
                r#"CREATE TABLE "search_terms" ("term" text COLLATE "C" NOT NULL, "request_id" uuid NOT NULL, "weight" smallint NOT NULL, PRIMARY KEY ("term", "request_id"))"#
            }
            _ => {
                r#"CREATE TABLE "search_terms" ("term" text NOT NULL, "request_id" uuid_text NOT NULL, "weight" smallint NOT NULL, PRIMARY KEY ("term", "request_id")) WITHOUT ROWID"#
            }
        };
        db.execute_unprepared(table).await?;
        db.execute_unprepared(
            r#"CREATE INDEX "idx_search_terms_request" ON "search_terms" ("request_id")"#,
        )
        .await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared(r#"DROP TABLE "search_terms""#)
            .await?;
        Ok(())
    }
}
