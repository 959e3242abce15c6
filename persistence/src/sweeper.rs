//! The SLA sweeper: flags passed deadlines, exactly once each, however
//! many processes sweep the same database.
//!
//! Each candidate is handled in its own transaction that locks the request
//! row (PostgreSQL `FOR UPDATE`; SQLite's single writer), asks the domain
//! whether the deadline is due and not yet flagged, and writes the flag with
//! `WHERE version = <read>`. A second sweeper waiting on the lock reads the
//! flagged row and does nothing.

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
use upturn_domain::Status;
use upturn_domain::lifecycle::Deadline;
use uuid::Uuid;

use crate::entities::request;
use crate::error::StoreError;
use crate::inbox::{Notice, fan_out};
use crate::requests::{RequestRecord, request_to_row};
use crate::store::Store;

/// Candidates looked at per sweep, at most.
const BATCH: u64 = 500;

impl Store {
    /// Flags every deadline passed at `now`; answers how many were flagged
    /// by this call.
    #[tracing::instrument(skip(self))]
    pub async fn sweep_sla(&self, now: DateTime<Utc>) -> Result<usize, StoreError> {
        let open = [Status::New, Status::Acknowledged, Status::InProgress].map(Status::as_str);
        let candidates: Vec<Uuid> = request::Entity::find()
            .select_only()
            .column(request::Column::Id)
            .filter(request::Column::Status.is_in(open))
            .filter(
                Condition::any()
                    .add(
                        Condition::all()
                            .add(request::Column::Status.eq(Status::New.as_str()))
                            .add(request::Column::AcknowledgeBy.lte(now))
                            .add(request::Column::AcknowledgeBreachedAt.is_null()),
                    )
                    .add(
                        Condition::all()
                            .add(request::Column::ResolveBy.lte(now))
                            .add(request::Column::ResolveBreachedAt.is_null()),
                    ),
            )
            .order_by_asc(request::Column::ResolveBy)
            .limit(BATCH)
            .into_tuple()
            .all(&self.db)
            .await
            .context("Failed to find passed deadlines")?;
        let mut flagged = 0;
        for id in candidates {
            for deadline in [Deadline::Acknowledge, Deadline::Resolve] {
                if self.flag_breach(id, deadline, now).await? {
                    flagged += 1;
                }
            }
        }
        Ok(flagged)
    }

    async fn flag_breach(
        &self,
        id: Uuid,
        deadline: Deadline,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let tx = self.write().await?;
        let RequestRecord {
            request,
            routed_units,
        } = self.load_with(&*tx, id, true).await?;
        let Some(outcome) = upturn_domain::lifecycle::breach(&request, deadline, now) else {
            return Ok(false);
        };
        let mut row = request_to_row(&outcome.request);
        row.id = sea_orm::ActiveValue::NotSet;
        let changed = request::Entity::update_many()
            .set(row)
            .filter(request::Column::Id.eq(id))
            .filter(request::Column::Version.eq(request.version))
            .exec(&*tx)
            .await
            .context("Failed to flag a breach")?;
        if changed.rows_affected != 1 {
            return Ok(false);
        }
        let event = crate::requests::insert_event(&*tx, id, &outcome.event).await?;
        self.record_metrics(&*tx, &outcome.request, &routed_units)
            .await?;
        let notice = Notice {
            request: &outcome.request,
            event: &event,
            deadline: Some(deadline),
        };
        let told = fan_out(&*tx, self.backend(), &[notice]).await?;
        tx.commit().await?;
        self.wake(told);
        Ok(true)
    }
}
