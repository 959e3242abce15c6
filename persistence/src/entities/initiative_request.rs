//! A request linked to an initiative, and who held it before (to give it
//! back if the initiative is dropped; none for a request linked answered).
use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "initiative_requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub initiative_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub request_id: Uuid,
    pub linked_at: DateTimeUtc,
    pub linked_by: Uuid,
    pub previous_level: Option<String>,
    pub previous_unit_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
