//! The audit trail: who changed the organisation and its settings, when,
//! and what it looked like before and after.
//!
//! Every write of units, members, routing rules, SLA policies, webhooks and
//! every customer data erasure calls [`record`] with its own transaction,
//! so a change and its row commit together or not at all (a refused change
//! writes none). `before` and `after` are the entity's public shape, the
//! fields `GET` answers for it (`tests/api_audit.rs` holds them to the
//! API's answers), `null` before a creation and after a deletion. They never
//! hold a secret: a member's password shows as `"password_changed": true`,
//! a webhook never shows its secret, and an erasure records that the
//! customer's name and contact were there, never what they were (the row
//! would otherwise keep what the erasure removed).

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde_json::{Value, json};
use upturn_domain::audit::{AuditAction, AuditEntity};
use upturn_domain::lifecycle::Request;
use upturn_domain::org::{Member, Unit};
use upturn_domain::routing::RoutingRule;
use upturn_domain::sla::SlaPolicy;
use uuid::Uuid;

use crate::entities::{audit_entry, member};
use crate::error::StoreError;
use crate::requests::{Along, Page, keyset_page};
use crate::store::Store;
use crate::webhooks::Webhook;

/// One recorded change, as `GET /audit` lists it.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// `None`: done by the service itself.
    pub actor_id: Option<Uuid>,
    pub action: AuditAction,
    pub entity: AuditEntity,
    /// `None` for the SLA policies, changed as a whole.
    pub entity_id: Option<Uuid>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Which rows of the trail to list; `None` means any.
#[derive(Debug, Clone, Copy, Default)]
pub struct AuditFilter {
    pub entity: Option<AuditEntity>,
    pub actor_id: Option<Uuid>,
}

/// A change to record.
pub(crate) struct Change {
    pub action: AuditAction,
    pub entity_id: Option<Uuid>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

/// Writes `change`, done by `actor` at `at`, in the caller's transaction.
pub(crate) async fn record<C: ConnectionTrait>(
    conn: &C,
    at: DateTime<Utc>,
    actor: Option<Uuid>,
    change: Change,
) -> anyhow::Result<()> {
    audit_entry::Entity::insert(audit_entry::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(at),
        actor_id: Set(actor),
        action: Set(change.action.as_str().to_owned()),
        entity: Set(change.action.entity().as_str().to_owned()),
        entity_id: Set(change.entity_id),
        before: Set(change.before.map(|v| v.to_string())),
        after: Set(change.after.map(|v| v.to_string())),
    })
    .exec_without_returning(conn)
    .await
    .context("Failed to record a change in the audit trail")?;
    Ok(())
}

fn entry_from_row(row: audit_entry::Model) -> anyhow::Result<AuditEntry> {
    let object = |raw: Option<String>| {
        raw.map(|raw| serde_json::from_str::<Value>(&raw))
            .transpose()
            .context("Failed to read an audit row's JSON")
    };
    Ok(AuditEntry {
        id: row.id,
        at: row.at,
        actor_id: row.actor_id,
        action: row
            .action
            .parse()
            .context("Failed to read an audit action")?,
        entity: row
            .entity
            .parse()
            .context("Failed to read an audit entity")?,
        entity_id: row.entity_id,
        before: object(row.before)?,
        after: object(row.after)?,
    })
}

impl Store {
    /// The audit trail, newest first; `before` is a previous page's cursor.
    pub async fn audit_trail(
        &self,
        filter: AuditFilter,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Page<AuditEntry>, StoreError> {
        let mut query = audit_entry::Entity::find();
        if let Some(entity) = filter.entity {
            query = query.filter(audit_entry::Column::Entity.eq(entity.as_str()));
        }
        if let Some(actor) = filter.actor_id {
            query = query.filter(audit_entry::Column::ActorId.eq(actor));
        }
        let items = keyset_page(query, audit_entry::Column::Id, Along::Down, before, limit)
            .all(&self.db)
            .await
            .context("Failed to list the audit trail")?
            .into_iter()
            .map(entry_from_row)
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, limit, |e| e.id.to_string()))
    }

    /// Every member who ever made a recorded change, with their name, by
    /// name: who the trail can be filtered by (a few admins and leaders).
    pub async fn audit_actors(&self) -> Result<Vec<(Uuid, String)>, StoreError> {
        let ids: Vec<Option<Uuid>> = audit_entry::Entity::find()
            .select_only()
            .column(audit_entry::Column::ActorId)
            .filter(audit_entry::Column::ActorId.is_not_null())
            .distinct()
            .into_tuple()
            .all(&self.db)
            .await
            .context("Failed to list who changed the organisation")?;
        let actors = member::Entity::find()
            .select_only()
            .column(member::Column::Id)
            .column(member::Column::Name)
            .filter(member::Column::Id.is_in(ids.into_iter().flatten()))
            .order_by_asc(member::Column::Name)
            .order_by_asc(member::Column::Id)
            .into_tuple()
            .all(&self.db)
            .await
            .context("Failed to load the names of who changed the organisation")?;
        Ok(actors)
    }
}

// ───────────────────────────── the public shapes (as `GET` answers them)

/// `GET /units/{id}`.
pub(crate) fn unit_shape(unit: &Unit) -> Value {
    json!({
        "id": unit.id,
        "name": unit.name,
        "kind": unit.kind.as_str(),
        "categories": unit.categories,
    })
}

/// `GET /members/{id}`: never the password or its hash.
pub(crate) fn member_shape(member: &Member) -> Value {
    json!({
        "id": member.id,
        "name": member.name,
        "email": member.email,
        "role": member.role.as_str(),
        "unit_id": member.unit_id,
        "active": member.active,
    })
}

/// `GET /routing-rules/{id}`.
pub(crate) fn rule_shape(rule: &RoutingRule) -> Value {
    json!({
        "id": rule.id,
        "name": rule.name,
        "position": rule.position,
        "match": {
            "categories": rule.matches.categories,
            "kinds": rule.matches.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>(),
            "urgencies": rule.matches.urgencies.iter().map(|u| u.as_str()).collect::<Vec<_>>(),
            "keywords": rule.matches.keywords,
        },
        "target_unit_id": rule.target.unit_id,
        "on_filing": rule.on_filing,
        "active": rule.active,
        "version": rule.version,
    })
}

/// `GET /sla-policies`.
pub(crate) fn policies_shape(policies: &[SlaPolicy]) -> Value {
    json!({
        "policies": policies.iter().map(|p| json!({
            "urgency": p.urgency.as_str(),
            "acknowledge_within_seconds": p.acknowledge_within_seconds,
            "resolve_within_seconds": p.resolve_within_seconds,
        })).collect::<Vec<_>>(),
    })
}

/// `GET /webhooks/{id}`: never the secret.
pub(crate) fn webhook_shape(webhook: &Webhook) -> Value {
    json!({
        "id": webhook.id,
        "url": webhook.url,
        "events": webhook.events,
        "description": webhook.description,
        "active": webhook.active,
        "created_at": webhook.created_at,
        "failing_since": webhook.failing_since,
        "disabled_at": webhook.disabled_at,
    })
}

/// A request's customer data, as far as the trail may say: whether a name
/// and a contact were held, never what they were.
pub(crate) fn customer_shape(request: &Request) -> Value {
    json!({
        "reference": request.reference(),
        "customer_name": request.customer_name.is_some(),
        "customer_contact": request.customer_contact.is_some(),
    })
}
