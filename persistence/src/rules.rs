//! Leadership's settings: routing rules and SLA policies.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use upturn_domain::audit::AuditAction;
use upturn_domain::lifecycle::RouteTarget;
use upturn_domain::model::{Kind, UnitKind, Urgency};
use upturn_domain::routing::{RoutingRule, RuleMatch};
use upturn_domain::sla::SlaPolicy;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::entities::{routing_rule, sla_policy, unit};
use crate::error::StoreError;
use crate::org::check_version;
use crate::store::Store;

/// A routing rule to create or to replace one with.
#[derive(Debug, Clone)]
pub struct RuleInput {
    pub name: String,
    pub position: i64,
    pub matches: RuleMatch,
    pub target_unit_id: Uuid,
    pub on_filing: bool,
    pub active: bool,
}

impl RuleInput {
    /// The rule this input makes, as rule `id` at `version`, targeting a
    /// unit of `kind`.
    fn rule(&self, id: Uuid, kind: UnitKind, version: i64) -> RoutingRule {
        RoutingRule {
            id,
            name: self.name.clone(),
            position: self.position,
            matches: self.matches.clone(),
            target: RouteTarget {
                unit_id: self.target_unit_id,
                kind,
            },
            on_filing: self.on_filing,
            active: self.active,
            version,
        }
    }
}

fn json<T: serde::Serialize>(value: &T) -> anyhow::Result<String> {
    serde_json::to_string(value).context("Failed to encode a rule")
}

fn rule_from_row(
    row: routing_rule::Model,
    kinds: &HashMap<Uuid, UnitKind>,
) -> anyhow::Result<RoutingRule> {
    let strings =
        |raw: &str| serde_json::from_str::<Vec<String>>(raw).context("Failed to read a rule");
    Ok(RoutingRule {
        id: row.id,
        name: row.name,
        position: row.position,
        matches: RuleMatch {
            categories: strings(&row.categories)?,
            kinds: strings(&row.kinds)?
                .iter()
                .map(|k| k.parse::<Kind>())
                .collect::<Result<_, _>>()
                .context("Failed to read a rule's kinds")?,
            urgencies: strings(&row.urgencies)?
                .iter()
                .map(|u| u.parse::<Urgency>())
                .collect::<Result<_, _>>()
                .context("Failed to read a rule's urgencies")?,
            keywords: strings(&row.keywords)?,
        },
        target: RouteTarget {
            unit_id: row.target_unit_id,
            // A deleted unit cannot be a target; a leadership kind routes nowhere wrong.
            kind: kinds
                .get(&row.target_unit_id)
                .copied()
                .unwrap_or(UnitKind::Leadership),
        },
        on_filing: row.on_filing,
        active: row.active,
        version: row.version,
    })
}

fn rule_row(
    id: Uuid,
    input: &RuleInput,
    version: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<routing_rule::ActiveModel> {
    Ok(routing_rule::ActiveModel {
        id: Set(id),
        name: Set(input.name.clone()),
        position: Set(input.position),
        categories: Set(json(&input.matches.categories)?),
        kinds: Set(json(
            &input
                .matches
                .kinds
                .iter()
                .map(|k| k.as_str())
                .collect::<Vec<_>>(),
        )?),
        urgencies: Set(json(
            &input
                .matches
                .urgencies
                .iter()
                .map(|u| u.as_str())
                .collect::<Vec<_>>(),
        )?),
        keywords: Set(json(&input.matches.keywords)?),
        target_unit_id: Set(input.target_unit_id),
        on_filing: Set(input.on_filing),
        active: Set(input.active),
        version: Set(version),
        created_at: Set(now),
        updated_at: Set(now),
    })
}

impl Store {
    /// Forgets the cached routing rules and SLA policies (another replica
    /// changed them).
    pub fn forget_settings(&self) {
        self.rules.clear();
        self.policies.clear();
    }

    /// Forgets this process's cached settings and tells the other replicas.
    async fn settings_changed(&self) -> anyhow::Result<()> {
        self.forget_settings();
        if self.backend() == crate::store::Backend::Postgres {
            use sea_orm::ConnectionTrait;
            self.db
                .execute_unprepared(&format!(
                    "SELECT pg_notify('{}', '')",
                    crate::inbox::SETTINGS_CHANNEL
                ))
                .await
                .context("Failed to tell the other replicas about new settings")?;
        }
        Ok(())
    }

    async fn unit_kinds(&self) -> anyhow::Result<HashMap<Uuid, UnitKind>> {
        unit::Entity::find()
            .all(&self.db)
            .await
            .context("Failed to load units")?
            .into_iter()
            .map(|u| {
                Ok((
                    u.id,
                    u.kind
                        .parse::<UnitKind>()
                        .context("Failed to read a unit kind")?,
                ))
            })
            .collect()
    }

    /// Every routing rule, by ascending position.
    pub async fn routing_rules(&self) -> Result<Vec<RoutingRule>, StoreError> {
        if let Some(rules) = self.rules.get() {
            return Ok(rules);
        }
        let kinds = self.unit_kinds().await?;
        let rules = routing_rule::Entity::find()
            .order_by_asc(routing_rule::Column::Position)
            .order_by_asc(routing_rule::Column::Id)
            .all(&self.db)
            .await
            .context("Failed to load routing rules")?
            .into_iter()
            .map(|row| rule_from_row(row, &kinds))
            .collect::<anyhow::Result<Vec<_>>>()?;
        self.rules.put(rules.clone());
        Ok(rules)
    }

    pub async fn routing_rule(&self, id: Uuid) -> Result<RoutingRule, StoreError> {
        self.routing_rules()
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or(StoreError::NotFound)
    }

    async fn check_target(&self, target: Uuid) -> Result<UnitKind, StoreError> {
        match self.unit(target).await {
            Ok(unit) if unit.kind != UnitKind::Team => Ok(unit.kind),
            Ok(_) => Err(StoreError::invalid(
                "target_unit_id",
                "must be a service unit or the leadership unit: rules route down from the managers",
            )),
            Err(StoreError::NotFound) => Err(StoreError::invalid("target_unit_id", "no such unit")),
            Err(other) => Err(other),
        }
    }

    pub async fn create_routing_rule(
        &self,
        actor: Option<Uuid>,
        input: RuleInput,
        idem: Option<crate::idempotency::Idem<RoutingRule>>,
    ) -> Result<RoutingRule, StoreError> {
        let kind = self.check_target(input.target_unit_id).await?;
        let id = Uuid::now_v7();
        let created = input.rule(id, kind, 1);
        let now = self.now();
        let tx = self.write().await?;
        routing_rule::Entity::insert(rule_row(id, &input, 1, now)?)
            .exec_without_returning(&*tx)
            .await
            .context("Failed to insert a routing rule")?;
        let change = Change {
            action: AuditAction::RoutingRuleCreated,
            entity_id: Some(id),
            before: None,
            after: Some(audit::rule_shape(&created)),
        };
        audit::record(&*tx, now, actor, change).await?;
        crate::idempotency::remember(&*tx, idem, &created, now).await?;
        tx.commit().await?;
        self.settings_changed().await?;
        Ok(created)
    }

    /// Replaces a rule (`PUT`).
    pub async fn replace_routing_rule(
        &self,
        actor: Option<Uuid>,
        id: Uuid,
        input: RuleInput,
        if_match: Option<i64>,
        body_version: Option<i64>,
    ) -> Result<RoutingRule, StoreError> {
        let kind = self.check_target(input.target_unit_id).await?;
        let tx = self.write().await?;
        let row = routing_rule::Entity::find_by_id(id)
            .one(&*tx)
            .await
            .context("Failed to load a routing rule")?
            .ok_or(StoreError::NotFound)?;
        check_version(row.version, if_match, body_version)?;
        let version = row.version;
        // The target's kind is not part of the public shape.
        let before = rule_from_row(row.clone(), &HashMap::new())?;
        let after = input.rule(id, kind, version + 1);
        let mut next = rule_row(id, &input, row.version + 1, self.now())?;
        next.created_at = Set(row.created_at);
        next.id = sea_orm::ActiveValue::NotSet;
        let changed = routing_rule::Entity::update_many()
            .set(next)
            .filter(routing_rule::Column::Id.eq(id))
            .filter(routing_rule::Column::Version.eq(row.version))
            .exec(&*tx)
            .await
            .context("Failed to replace a routing rule")?;
        if changed.rows_affected != 1 {
            return Err(StoreError::VersionConflict { current: version });
        }
        let change = Change {
            action: AuditAction::RoutingRuleReplaced,
            entity_id: Some(id),
            before: Some(audit::rule_shape(&before)),
            after: Some(audit::rule_shape(&after)),
        };
        audit::record(&*tx, self.now(), actor, change).await?;
        tx.commit().await?;
        self.settings_changed().await?;
        self.routing_rule(id).await
    }

    pub async fn delete_routing_rule(
        &self,
        actor: Option<Uuid>,
        id: Uuid,
    ) -> Result<(), StoreError> {
        let tx = self.write().await?;
        let row = routing_rule::Entity::find_by_id(id)
            .one(&*tx)
            .await
            .context("Failed to load a routing rule")?
            .ok_or(StoreError::NotFound)?;
        let before = rule_from_row(row, &HashMap::new())?;
        let deleted = routing_rule::Entity::delete_by_id(id)
            .exec(&*tx)
            .await
            .context("Failed to delete a routing rule")?;
        if deleted.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        crate::idempotency::forget_answers_about(&*tx, id).await?;
        let change = Change {
            action: AuditAction::RoutingRuleDeleted,
            entity_id: Some(id),
            before: Some(audit::rule_shape(&before)),
            after: None,
        };
        audit::record(&*tx, self.now(), actor, change).await?;
        tx.commit().await?;
        self.settings_changed().await?;
        Ok(())
    }

    /// The policies of the four urgencies.
    pub async fn sla_policies(&self) -> Result<Vec<SlaPolicy>, StoreError> {
        let mut policies = Vec::with_capacity(Urgency::ALL.len());
        for urgency in Urgency::ALL {
            policies.push(self.sla_policy(*urgency).await?);
        }
        Ok(policies)
    }

    /// Replaces the policies; requests filed from now on get the new deadlines.
    pub async fn set_sla_policies(
        &self,
        actor: Option<Uuid>,
        policies: &[SlaPolicy],
    ) -> Result<Vec<SlaPolicy>, StoreError> {
        let tx = self.write().await?;
        let before = policies_in(&*tx).await?;
        for policy in policies {
            sla_policy::Entity::delete_by_id(policy.urgency.as_str().to_owned())
                .exec(&*tx)
                .await
                .context("Failed to replace an SLA policy")?;
            sla_policy::Entity::insert(sla_policy::ActiveModel {
                urgency: Set(policy.urgency.as_str().to_owned()),
                acknowledge_within_seconds: Set(policy.acknowledge_within_seconds),
                resolve_within_seconds: Set(policy.resolve_within_seconds),
                updated_at: Set(self.now()),
            })
            .exec_without_returning(&*tx)
            .await
            .context("Failed to store an SLA policy")?;
        }
        let after = policies_in(&*tx).await?;
        let change = Change {
            action: AuditAction::SlaPoliciesReplaced,
            // The policies as a whole: no id.
            entity_id: None,
            before: Some(audit::policies_shape(&before)),
            after: Some(audit::policies_shape(&after)),
        };
        audit::record(&*tx, self.now(), actor, change).await?;
        tx.commit().await?;
        self.settings_changed().await?;
        self.sla_policies().await
    }
}

/// The policies of the four urgencies as `conn` sees them (the defaults
/// where none is stored), in `Urgency::ALL` order, bypassing the cache.
async fn policies_in<C: sea_orm::ConnectionTrait>(conn: &C) -> anyhow::Result<Vec<SlaPolicy>> {
    let rows = sla_policy::Entity::find()
        .all(conn)
        .await
        .context("Failed to load the SLA policies")?;
    Urgency::ALL
        .iter()
        .map(|urgency| {
            let mut policy = SlaPolicy::default_for(*urgency);
            if let Some(row) = rows.iter().find(|r| r.urgency == urgency.as_str()) {
                policy.acknowledge_within_seconds = row.acknowledge_within_seconds;
                policy.resolve_within_seconds = row.resolve_within_seconds;
            }
            Ok(policy)
        })
        .collect()
}
