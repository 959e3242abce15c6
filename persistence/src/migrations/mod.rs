//! Schema migrations, run at start-up and by `upturn migrate`.

use sea_orm_migration::prelude::*;

mod m20261123_000001_create_core_tables;
mod m20261123_000002_create_routing_and_inbox;
mod m20261130_000003_create_metric_rollups;
mod m20261130_000004_create_pulse;
mod m20261201_000005_create_initiatives;
mod m20261201_000006_create_webhooks;
mod m20261201_000007_cover_metric_indexes;
mod m20261204_000008_create_member_preferences;
mod m20261204_000009_add_member_token_generation;
mod m20261204_000010_board_indexes;
mod m20261204_000012_create_audit_log;
mod m20261205_000013_create_search_terms;
mod m20261205_000014_add_initiative_demand;
mod m20261205_000015_index_follow_ups_by_request;
mod m20261205_000016_search_probes_and_deadlines;
mod m20261206_000017_index_team_answers;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261123_000001_create_core_tables::Migration),
            Box::new(m20261123_000002_create_routing_and_inbox::Migration),
            Box::new(m20261130_000003_create_metric_rollups::Migration),
            Box::new(m20261130_000004_create_pulse::Migration),
            Box::new(m20261201_000005_create_initiatives::Migration),
            Box::new(m20261201_000006_create_webhooks::Migration),
            Box::new(m20261201_000007_cover_metric_indexes::Migration),
            Box::new(m20261204_000008_create_member_preferences::Migration),
            Box::new(m20261204_000009_add_member_token_generation::Migration),
            Box::new(m20261204_000010_board_indexes::Migration),
            Box::new(m20261204_000012_create_audit_log::Migration),
            Box::new(m20261205_000013_create_search_terms::Migration),
            Box::new(m20261205_000014_add_initiative_demand::Migration),
            Box::new(m20261205_000015_index_follow_ups_by_request::Migration),
            Box::new(m20261205_000016_search_probes_and_deadlines::Migration),
            Box::new(m20261206_000017_index_team_answers::Migration),
        ]
    }
}
