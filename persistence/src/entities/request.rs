use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "requests")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    #[sea_orm(unique)]
    pub number: i64,
    pub kind: String,
    pub category: String,
    pub urgency: String,
    pub channel: String,
    pub title: String,
    pub description: String,
    pub customer_expectation: String,
    pub customer_name: Option<String>,
    pub customer_contact: Option<String>,
    pub customer_consent: bool,
    pub status: String,
    pub level: String,
    pub unit_id: Uuid,
    pub team_id: Uuid,
    pub filed_by: Uuid,
    pub assignee_id: Option<Uuid>,
    pub version: i64,
    #[sea_orm(unique)]
    pub tracking_code: Option<String>,
    pub sla_acknowledge_seconds: i64,
    pub sla_resolve_seconds: i64,
    pub acknowledge_by: DateTimeUtc,
    pub resolve_by: DateTimeUtc,
    pub sla_breached: bool,
    pub resolved_level: Option<String>,
    pub resolved_unit_id: Option<Uuid>,
    pub resolution_note: Option<String>,
    pub reopen_count: i32,
    pub filed_at: DateTimeUtc,
    pub arrived_at: DateTimeUtc,
    pub acknowledged_at: Option<DateTimeUtc>,
    pub resolved_at: Option<DateTimeUtc>,
    pub closed_at: Option<DateTimeUtc>,
    pub updated_at: DateTimeUtc,
    /// Lower-cased title, description and expectation, for `q`.
    pub search_text: String,
    pub acknowledge_breached_at: Option<DateTimeUtc>,
    pub resolve_breached_at: Option<DateTimeUtc>,
    /// What `sort=deadline` orders by.
    pub next_deadline_at: Option<DateTimeUtc>,
    /// The initiative it was last linked to.
    pub initiative_id: Option<Uuid>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
