//! One pulse answer: unit, week and scores, never the member.
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "pulse_answers")]
pub struct Model {
    /// Random (v4), so it says nothing about when the answer was given.
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub unit_id: Uuid,
    /// The ISO week, like `2026-W47`.
    pub period: String,
    pub happiness: i16,
    pub pleasure: i16,
    pub engagement: i16,
    pub comment: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
