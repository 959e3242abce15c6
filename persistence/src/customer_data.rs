//! Erasing customers' personal data: at a leader's demand
//! ([`Store::erase_customer`]) and on its own once due
//! ([`Store::erase_due_customer_data`]). The domain decides
//! (`upturn_domain::customer_data`); this file carries it out.
//!
//! Each erasure is one short write transaction: the request row with its
//! version bumped (`WHERE version = <read>`, so of several replicas erasing
//! the same request only one writes, and only one event is written), the
//! `customer_data_erased` event, its webhook outbox rows, and the copies of
//! the customer's data kept elsewhere. The only such copy is the answer
//! stored for an `Idempotency-Key` retry of the filing, which holds the
//! whole request: its `customer` loses its name and contact too. Webhook
//! bodies, inbox summaries, the search text and the CSV export never hold
//! them.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use serde_json::Value;
use upturn_domain::Actor;
use upturn_domain::audit::AuditAction;
use upturn_domain::customer_data::{KeepDays, erase_on_demand, erase_when_due};
use upturn_domain::lifecycle::{Event, Outcome, Request};
use upturn_domain::model::Status;
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::entities::{idempotency_key, request};
use crate::error::StoreError;
use crate::inbox::{Notice, Told, fan_out};
use crate::org::check_version;
use crate::requests::{Expectation, RequestRecord, insert_event, request_to_row};
use crate::store::Store;

/// Candidates looked at per query of the automatic erasure.
const BATCH: u64 = 500;

impl Store {
    /// Erases the customer's name and contact of a request now, for a
    /// leader: the request as it is afterwards. `NotFound` when the actor
    /// may not see it, `Refused(Forbidden)` when they see it but are not a
    /// leader. Nothing left to erase: the request unchanged, no event.
    #[tracing::instrument(skip(self), fields(actor = %actor.id))]
    pub async fn erase_customer(
        &self,
        actor: &Actor,
        id: Uuid,
        expect: Expectation,
    ) -> Result<Request, StoreError> {
        let tx = self.write().await?;
        let RequestRecord {
            request,
            routed_units,
        } = self.load_with(&*tx, id, true).await?;
        let decided = erase_on_demand(&request, &routed_units, actor, self.now())
            .map_err(StoreError::Refused)?;
        check_version(request.version, expect.if_match, expect.version)?;
        let Some(outcome) = decided else {
            return Ok(request);
        };
        let Some(told) = self
            .write_erasure(&*tx, Some(actor.id), &request, &outcome)
            .await?
        else {
            return Err(StoreError::VersionConflict {
                current: request.version,
            });
        };
        tx.commit().await?;
        self.wake(told);
        Ok(outcome.request)
    }

    /// Erases the customer data of every request closed at least `keep`
    /// days before `now`, each in its own short transaction, [`BATCH`]
    /// candidates per query until none is left; answers how many this call
    /// erased. Safe in every replica at once: a request erased by another
    /// one meanwhile is skipped, without a second event.
    #[tracing::instrument(skip(self))]
    pub async fn erase_due_customer_data(
        &self,
        keep: KeepDays,
        now: DateTime<Utc>,
    ) -> Result<u64, StoreError> {
        let mut erased = 0;
        let mut after: Option<Uuid> = None;
        loop {
            // Walks the candidates by id, so one that stays (changed by
            // someone else meanwhile) is not read again in this call.
            let mut query = request::Entity::find()
                .select_only()
                .column(request::Column::Id)
                .filter(request::Column::Status.eq(Status::Closed.as_str()))
                .filter(request::Column::ClosedAt.lte(keep.cutoff(now)))
                .filter(
                    sea_orm::Condition::any()
                        .add(request::Column::CustomerName.is_not_null())
                        .add(request::Column::CustomerContact.is_not_null()),
                );
            if let Some(after) = after {
                query = query.filter(request::Column::Id.gt(after));
            }
            let candidates: Vec<Uuid> = query
                .order_by_asc(request::Column::Id)
                .limit(BATCH)
                .into_tuple()
                .all(&self.db)
                .await
                .context("Failed to find customer data past its retention")?;
            for id in &candidates {
                if self.erase_if_due(*id, keep, now).await? {
                    erased += 1;
                }
            }
            if u64::try_from(candidates.len()).unwrap_or(u64::MAX) < BATCH {
                return Ok(erased);
            }
            after = candidates.last().copied();
        }
    }

    async fn erase_if_due(
        &self,
        id: Uuid,
        keep: KeepDays,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let tx = self.write().await?;
        let request = match self.load_with(&*tx, id, true).await {
            Ok(record) => record.request,
            Err(StoreError::NotFound) => return Ok(false),
            Err(other) => return Err(other),
        };
        let Some(outcome) = erase_when_due(&request, keep, now) else {
            return Ok(false);
        };
        let Some(told) = self.write_erasure(&*tx, None, &request, &outcome).await? else {
            return Ok(false);
        };
        tx.commit().await?;
        self.wake(told);
        Ok(true)
    }

    /// Writes a decided erasure in the caller's transaction: the row if it
    /// is still at the version read (`None` otherwise: someone else changed
    /// or erased it first), its event, the webhook outbox, and the stored
    /// idempotent answers, and the audit row (`actor` `None`: erased because
    /// it was due). Answers who was told.
    async fn write_erasure<C: ConnectionTrait>(
        &self,
        conn: &C,
        actor: Option<Uuid>,
        before: &Request,
        outcome: &Outcome,
    ) -> Result<Option<Told>, StoreError> {
        let id = before.id;
        let mut row = request_to_row(&outcome.request);
        row.id = sea_orm::ActiveValue::NotSet;
        let changed = request::Entity::update_many()
            .set(row)
            .filter(request::Column::Id.eq(id))
            .filter(request::Column::Version.eq(before.version))
            .exec(conn)
            .await
            .context("Failed to erase a customer's data")?;
        if changed.rows_affected != 1 {
            return Ok(None);
        }
        let event: Event = insert_event(conn, id, &outcome.event).await?;
        forget_stored_customer(conn, id).await?;
        let change = Change {
            action: AuditAction::CustomerDataErased,
            entity_id: Some(id),
            before: Some(audit::customer_shape(before)),
            after: Some(audit::customer_shape(&outcome.request)),
        };
        audit::record(conn, outcome.event.at, actor, change).await?;
        crate::initiatives::refresh_demand(
            conn,
            self.backend(),
            crate::initiatives::DemandOf::Request(id),
        )
        .await?;
        let notice = Notice {
            request: &outcome.request,
            event: &event,
            deadline: None,
        };
        Ok(Some(fan_out(conn, self.backend(), &[notice]).await?))
    }
}

/// Empties the customer's name and contact in the answers kept for
/// `Idempotency-Key` retries that show request `id` (a retry of the filing
/// then replays the request without them, and still does not file twice).
async fn forget_stored_customer<C: ConnectionTrait>(conn: &C, id: Uuid) -> anyhow::Result<()> {
    let rows = idempotency_key::Entity::find()
        .filter(idempotency_key::Column::Location.like(format!("%{id}%")))
        .all(conn)
        .await
        .context("Failed to find the stored answers of a request")?;
    for row in rows {
        let Ok(mut body) = serde_json::from_str::<Value>(&row.body) else {
            continue;
        };
        let Some(customer) = body.get_mut("customer") else {
            continue;
        };
        let Some(fields) = customer.as_object_mut() else {
            continue;
        };
        fields.insert("name".to_owned(), Value::Null);
        fields.insert("contact".to_owned(), Value::Null);
        // As the request shows it now: no customer at all without consent.
        if fields.get("consent_follow_up") != Some(&Value::Bool(true)) {
            *customer = Value::Null;
        }
        idempotency_key::Entity::update_many()
            .col_expr(
                idempotency_key::Column::Body,
                sea_orm::sea_query::Expr::value(body.to_string()),
            )
            .filter(idempotency_key::Column::MemberId.eq(row.member_id))
            .filter(idempotency_key::Column::Key.eq(row.key.clone()))
            .exec(conn)
            .await
            .context("Failed to erase a customer from a stored answer")?;
    }
    Ok(())
}
