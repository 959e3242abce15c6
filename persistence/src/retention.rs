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
            .prune_before(
                webhook_outbox::Entity,
                &[webhook_outbox::Column::Id],
                webhook_outbox::Column::DeliveredAt,
                history,
            )
            .await
            .context("Failed to prune delivered webhook events")?;
        let delivery_attempts = self
            .prune_before(
                webhook_delivery::Entity,
                &[webhook_delivery::Column::Id],
                webhook_delivery::Column::At,
                history,
            )
            .await
            .context("Failed to prune webhook delivery attempts")?;
        let idempotency_keys = self
            .prune_before(
                idempotency_key::Entity,
                &[
                    idempotency_key::Column::MemberId,
                    idempotency_key::Column::Key,
                ],
                idempotency_key::Column::CreatedAt,
                now - IDEMPOTENCY_KEYS,
            )
            .await
            .context("Failed to prune idempotency keys")?;
        Ok(Pruned {
            delivered_events,
            delivery_attempts,
            idempotency_keys,
        })
    }

    /// Deletes the rows of `E` whose `at` is before `cutoff`, [`BATCH`] at
    /// a time (the first rows found, by primary `key`), one transaction
    /// each, until a batch comes short; answers how many went.
    async fn prune_before<E: EntityTrait>(
        &self,
        entity: E,
        key: &[E::Column],
        at: E::Column,
        cutoff: DateTime<Utc>,
    ) -> anyhow::Result<u64> {
        let batch = || {
            let first = Query::select()
                .columns(key.iter().copied())
                .from(entity)
                .and_where(at.lt(cutoff))
                .limit(BATCH)
                .to_owned();
            E::delete_many()
                .filter(Expr::tuple(key.iter().map(|c| Expr::col(*c))).in_subquery(first))
        };
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
