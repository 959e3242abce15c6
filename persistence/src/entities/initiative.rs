//! Initiatives: the outer loop (decision 0008).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "initiatives")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub title: String,
    pub description: String,
    pub unit_id: Uuid,
    pub target_date: Option<Date>,
    pub status: String,
    pub public_note: Option<String>,
    pub version: i64,
    pub created_by: Uuid,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    /// The list's order (`upturn_domain::initiative::by_demand`), kept
    /// current by every change that moves it (`initiatives::DEMAND_SET`).
    pub linked_count: i64,
    pub waiting_count: i64,
    pub teams_count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
