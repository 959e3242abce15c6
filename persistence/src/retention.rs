//! What is kept for a while, then let go: delivered webhook events and the
//! log of delivery attempts ([`WEBHOOK_HISTORY`]), and the answers kept for
//! `Idempotency-Key` retries ([`IDEMPOTENCY_KEYS`]).
//!
//! Requests, events, follow-ups and metrics are never pruned; nor is an
//! outbox row still owed to an endpoint, however old.
//!
//! Rows go in batches of [`BATCH`], each in its own short write
//! transaction, so a first pruning of a large backlog never holds SQLite's
//! writer for long. Several replicas pruning at once delete disjoint or
//! already-deleted rows: harmless.

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::entities::{idempotency_key, webhook_delivery, webhook_outbox};
use crate::error::StoreError;
use crate::store::Store;

/// How long a delivered webhook event and each delivery attempt are kept.
pub const WEBHOOK_HISTORY: Duration = Duration::days(30);

/// How long a create's answer is kept for a retry with the same
/// `Idempotency-Key`.
pub const IDEMPOTENCY_KEYS: Duration = Duration::hours(24);

/// Rows deleted per transaction.
const BATCH: u64 = 1_000;

/// What one pruning removed.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    pub delivered_events: u64,
    pub delivery_attempts: u64,
    pub idempotency_keys: u64,
}

impl Pruned {
    pub fn is_empty(&self) -> bool {
        *self == Pruned::default()
    }
}

impl Store {
    /// Deletes what is older than its retention at `now`.
    #[tracing::instrument(skip(self))]
    pub async fn prune(&self, now: DateTime<Utc>) -> Result<Pruned, StoreError> {
        let history = now - WEBHOOK_HISTORY;
        let delivered_events = self
            .prune_batches(|| {
                webhook_outbox::Entity::delete_many().filter(
                    webhook_outbox::Column::Id.in_subquery(
                        Query::select()
                            .column(webhook_outbox::Column::Id)
                            .from(webhook_outbox::Entity)
                            .and_where(webhook_outbox::Column::DeliveredAt.lt(history))
                            .limit(BATCH)
                            .to_owned(),
                    ),
                )
            })
            .await
            .context("Failed to prune delivered webhook events")?;
        let delivery_attempts = self
            .prune_batches(|| {
                webhook_delivery::Entity::delete_many().filter(
                    webhook_delivery::Column::Id.in_subquery(
                        Query::select()
                            .column(webhook_delivery::Column::Id)
                            .from(webhook_delivery::Entity)
                            .and_where(webhook_delivery::Column::At.lt(history))
                            .limit(BATCH)
                            .to_owned(),
                    ),
                )
            })
            .await
            .context("Failed to prune webhook delivery attempts")?;
        let keys = now - IDEMPOTENCY_KEYS;
        let idempotency_keys = self
            .prune_batches(|| {
                let key = Expr::tuple([
                    Expr::col(idempotency_key::Column::MemberId),
                    Expr::col(idempotency_key::Column::Key),
                ]);
                idempotency_key::Entity::delete_many().filter(
                    key.in_subquery(
                        Query::select()
                            .columns([
                                idempotency_key::Column::MemberId,
                                idempotency_key::Column::Key,
                            ])
                            .from(idempotency_key::Entity)
                            .and_where(idempotency_key::Column::CreatedAt.lt(keys))
                            .limit(BATCH)
                            .to_owned(),
                    ),
                )
            })
            .await
            .context("Failed to prune idempotency keys")?;
        Ok(Pruned {
            delivered_events,
            delivery_attempts,
            idempotency_keys,
        })
    }

    /// Runs the delete `batch` builds, one transaction each, until one
    /// removes fewer than [`BATCH`] rows; answers how many went.
    async fn prune_batches<E: EntityTrait>(
        &self,
        batch: impl Fn() -> sea_orm::DeleteMany<E>,
    ) -> anyhow::Result<u64> {
        let mut removed = 0;
        loop {
            let tx = self.write().await?;
            let deleted = batch().exec(&*tx).await?.rows_affected;
            tx.commit().await?;
            removed += deleted;
            if deleted < BATCH {
                return Ok(removed);
            }
        }
    }
}
