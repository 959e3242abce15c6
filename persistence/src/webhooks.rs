//! Webhooks: the endpoints, the outbox and the attempt log.
//!
//! - **Outbox.** [`enqueue`] runs inside `inbox::fan_out`, so every write
//!   path that makes events (filings, actions, the SLA sweeper) writes one
//!   `webhook_outbox` row per (active endpoint subscribed to the type,
//!   event) in the change's own transaction: no event without its rows, no
//!   row without its event. The body is fixed then, so every retry sends
//!   the same bytes.
//! - **One replica per row.** [`Store::claim_webhook_deliveries`] takes due
//!   rows and leases them (PostgreSQL `FOR UPDATE … SKIP LOCKED`; SQLite's
//!   single writer serialises). The worker delivers outside any
//!   transaction, then [`Store::record_webhook_attempt`] writes the result.
//!   A worker killed mid-delivery leaves a lease that runs out: the row is
//!   then delivered again (at least once; receivers drop duplicates by
//!   `Upturn-Event-Id`).
//! - **Order per request.** A row is not due while an older undelivered row
//!   of the same (endpoint, request) exists; "older" is the request's
//!   version after the event, then the event id.
//! - **Giving up.** An endpoint failing for 24 hours since its first
//!   failure (`Backoff::give_up`) is disabled, and every active leader gets
//!   an inbox item (`event_type` `webhook_disabled`) naming it, on the
//!   request whose delivery failed last.

use std::collections::BTreeSet;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::ActiveValue::Set;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use serde_json::json;
use upturn_domain::audit::AuditAction;
use upturn_domain::model::Role;
use upturn_domain::webhook::{Backoff, Jitter, Retry, WebhookEvents, WebhookSecret, WebhookUrl};
use uuid::Uuid;

use crate::audit::{self, Change};
use crate::entities::{inbox_item, member, webhook, webhook_delivery, webhook_outbox};
use crate::error::StoreError;
use crate::inbox::{Notice, Told};
use crate::requests::{Along, Page, keyset_page};
use crate::store::{Backend, Store};

/// The inbox item type that tells leaders an endpoint was disabled.
pub const DISABLED_EVENT_TYPE: &str = "webhook_disabled";

/// A registered endpoint, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Webhook {
    pub id: Uuid,
    pub url: String,
    pub events: Vec<String>,
    pub description: Option<String>,
    pub active: bool,
    pub created_at: DateTime<Utc>,
    /// Since when deliveries fail (cleared by a success).
    pub failing_since: Option<DateTime<Utc>>,
    /// When it was disabled after failing for 24 hours.
    pub disabled_at: Option<DateTime<Utc>>,
}

/// What `POST /webhooks` stores.
#[derive(Debug, Clone)]
pub struct NewWebhook {
    pub url: WebhookUrl,
    pub events: WebhookEvents,
    pub description: Option<String>,
    pub secret: WebhookSecret,
    pub created_by: Uuid,
}

/// A webhook just created: the only time its secret is handed out.
#[derive(Debug, Clone)]
pub struct CreatedWebhook {
    pub webhook: Webhook,
    pub secret: WebhookSecret,
}

/// One attempt, as `GET /webhooks/{id}/deliveries` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryAttempt {
    pub id: Uuid,
    pub event_id: Uuid,
    pub attempt: i32,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub at: DateTime<Utc>,
}

/// A due row, leased to this worker until `lease_until`.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub outbox_id: Uuid,
    pub webhook_id: Uuid,
    pub event_id: Uuid,
    pub request_id: Uuid,
    pub url: String,
    pub secret: WebhookSecret,
    pub body: String,
    /// Attempts made before this one.
    pub attempts: i32,
}

/// How an attempt went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttemptResult {
    /// The response status, if one came back.
    pub status_code: Option<u16>,
    /// Why it failed, when it did (never holds the secret).
    pub error: Option<String>,
}

impl AttemptResult {
    /// Any 2xx is a delivery.
    pub fn delivered(&self) -> bool {
        self.error.is_none() && self.status_code.is_some_and(|s| (200..300).contains(&s))
    }
}

/// What recording an attempt did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    Delivered,
    RetryAt(DateTime<Utc>),
    /// The endpoint failed for 24 hours: disabled, leaders told.
    Disabled,
    /// The row was delivered or removed meanwhile (lease ran out, endpoint
    /// deleted): nothing changed.
    Stale,
}

fn webhook_from_row(row: webhook::Model) -> Webhook {
    Webhook {
        id: row.id,
        url: row.url,
        events: split_events(&row.events),
        description: row.description,
        active: row.active,
        created_at: row.created_at,
        failing_since: row.failing_since,
        disabled_at: row.disabled_at,
    }
}

fn split_events(raw: &str) -> Vec<String> {
    raw.split(',')
        .filter(|e| !e.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `?` placeholders as the backend wants them.
fn sql(backend: Backend, text: &str) -> Statement {
    sql_with(backend, text, Vec::<sea_orm::Value>::new())
}

fn sql_with(
    backend: Backend,
    text: &str,
    values: impl IntoIterator<Item = sea_orm::Value>,
) -> Statement {
    match backend {
        Backend::Sqlite => Statement::from_sql_and_values(DatabaseBackend::Sqlite, text, values),
        Backend::Postgres => {
            let mut out = String::with_capacity(text.len() + 8);
            let mut n = 0;
            for c in text.chars() {
                if c == '?' {
                    n += 1;
                    out.push_str(&format!("${n}"));
                } else {
                    out.push(c);
                }
            }
            Statement::from_sql_and_values(DatabaseBackend::Postgres, out, values)
        }
    }
}

/// The delivery body of an event: `{id, type, at, request_id, data}`.
fn body(notice: &Notice<'_>) -> String {
    let event = &notice.event.event;
    let request = notice.request;
    json!({
        "id": notice.event.id,
        "type": event.kind.as_str(),
        "at": event.at,
        "request_id": request.id,
        "data": {
            "actor_id": event.actor_id,
            "from_level": event.from_level.map(|l| l.as_str()),
            "to_level": event.to_level.map(|l| l.as_str()),
            "from_status": event.from_status.map(|s| s.as_str()),
            "to_status": event.to_status.map(|s| s.as_str()),
            "note": event.note,
            "internal": event.internal,
            "deadline": notice.deadline.map(|d| d.as_str()),
            "request": {
                "id": request.id,
                "reference": request.reference(),
                "kind": request.kind.as_str(),
                "category": request.category,
                "urgency": request.urgency.as_str(),
                "title": request.title,
                "status": request.status.as_str(),
                "level": request.level.as_str(),
                "unit_id": request.unit_id,
                "team_id": request.team_id,
                "version": request.version,
            },
        },
    })
    .to_string()
}

/// Writes the outbox rows for `notices` in the caller's transaction: one
/// query for the active endpoints, one multi-row insert.
pub(crate) async fn enqueue<C: ConnectionTrait>(
    conn: &C,
    notices: &[Notice<'_>],
) -> anyhow::Result<()> {
    let hooks: Vec<(Uuid, String)> = webhook::Entity::find()
        .select_only()
        .column(webhook::Column::Id)
        .column(webhook::Column::Events)
        .filter(webhook::Column::Active.eq(true))
        .into_tuple()
        .all(conn)
        .await
        .context("Failed to load the active webhooks")?;
    if hooks.is_empty() {
        return Ok(());
    }
    let mut rows = Vec::new();
    for (hook, events) in &hooks {
        let events = split_events(events);
        for notice in notices {
            let kind = notice.event.event.kind.as_str();
            if !events.iter().any(|e| e == kind) {
                continue;
            }
            rows.push(webhook_outbox::ActiveModel {
                id: Set(Uuid::now_v7()),
                webhook_id: Set(*hook),
                event_id: Set(notice.event.id),
                request_id: Set(notice.request.id),
                seq: Set(notice.request.version),
                body: Set(body(notice)),
                attempts: Set(0),
                next_attempt_at: Set(notice.event.event.at),
                lease_until: Set(None),
                delivered_at: Set(None),
            });
        }
    }
    // Ten values a row: chunks stay far under SQLite's 32,766 variables
    // (an initiative tells a thousand requests at once).
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        webhook_outbox::Entity::insert_many(rows.by_ref().take(1_000).collect::<Vec<_>>())
            .exec_without_returning(conn)
            .await
            .context("Failed to write the webhook outbox")?;
    }
    Ok(())
}

impl Store {
    /// Registers an endpoint.
    #[tracing::instrument(skip_all, fields(url = %input.url))]
    pub async fn create_webhook(
        &self,
        input: NewWebhook,
        idem: Option<crate::idempotency::Idem<CreatedWebhook>>,
    ) -> Result<CreatedWebhook, StoreError> {
        let id = Uuid::now_v7();
        let now = self.now();
        let events: Vec<String> = input
            .events
            .as_slice()
            .iter()
            .map(|e| e.as_str().to_owned())
            .collect();
        let created = CreatedWebhook {
            webhook: Webhook {
                id,
                url: input.url.as_str().to_owned(),
                events: events.clone(),
                description: input.description.clone(),
                active: true,
                created_at: now,
                failing_since: None,
                disabled_at: None,
            },
            secret: input.secret.clone(),
        };
        let tx = self.write().await?;
        webhook::Entity::insert(webhook::ActiveModel {
            id: Set(id),
            url: Set(input.url.as_str().to_owned()),
            events: Set(events.join(",")),
            description: Set(input.description),
            secret: Set(input.secret.expose().to_owned()),
            active: Set(true),
            created_by: Set(input.created_by),
            created_at: Set(now),
            failing_since: Set(None),
            disabled_at: Set(None),
        })
        .exec_without_returning(&*tx)
        .await
        .context("Failed to insert a webhook")?;
        let change = Change {
            action: AuditAction::WebhookCreated,
            entity_id: Some(id),
            before: None,
            after: Some(audit::webhook_shape(&created.webhook)),
        };
        audit::record(&*tx, now, Some(input.created_by), change).await?;
        crate::idempotency::remember(&*tx, idem, &created, self.now()).await?;
        tx.commit().await?;
        Ok(created)
    }

    /// The endpoints, oldest first; `after` is a previous page's cursor.
    pub async fn webhooks(
        &self,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Page<Webhook>, StoreError> {
        let query = webhook::Entity::find();
        let items: Vec<Webhook> = keyset_page(query, webhook::Column::Id, Along::Up, after, limit)
            .all(&self.db)
            .await
            .context("Failed to list webhooks")?
            .into_iter()
            .map(webhook_from_row)
            .collect();
        Ok(Page::from_overfetch(items, limit, |w| w.id.to_string()))
    }

    pub async fn webhook(&self, id: Uuid) -> Result<Webhook, StoreError> {
        webhook::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .context("Failed to load a webhook")?
            .map(webhook_from_row)
            .ok_or(StoreError::NotFound)
    }

    /// Removes an endpoint with its pending deliveries and its attempt log:
    /// nothing more is sent to it (a delivery in flight may still land).
    pub async fn delete_webhook(&self, actor: Option<Uuid>, id: Uuid) -> Result<(), StoreError> {
        let tx = self.write().await?;
        let before = webhook::Entity::find_by_id(id)
            .one(&*tx)
            .await
            .context("Failed to load a webhook")?
            .map(webhook_from_row)
            .ok_or(StoreError::NotFound)?;
        let removed = webhook::Entity::delete_by_id(id)
            .exec(&*tx)
            .await
            .context("Failed to delete a webhook")?;
        if removed.rows_affected == 0 {
            return Err(StoreError::NotFound);
        }
        webhook_outbox::Entity::delete_many()
            .filter(webhook_outbox::Column::WebhookId.eq(id))
            .exec(&*tx)
            .await
            .context("Failed to drop a webhook's outbox")?;
        webhook_delivery::Entity::delete_many()
            .filter(webhook_delivery::Column::WebhookId.eq(id))
            .exec(&*tx)
            .await
            .context("Failed to drop a webhook's attempts")?;
        crate::idempotency::forget_answers_about(&*tx, id).await?;
        let change = Change {
            action: AuditAction::WebhookDeleted,
            entity_id: Some(id),
            before: Some(audit::webhook_shape(&before)),
            after: None,
        };
        audit::record(&*tx, self.now(), actor, change).await?;
        tx.commit().await?;
        Ok(())
    }

    /// An endpoint's attempts, newest first; `before` is a previous page's
    /// cursor.
    pub async fn webhook_deliveries(
        &self,
        webhook_id: Uuid,
        before: Option<Uuid>,
        limit: u64,
    ) -> Result<Page<DeliveryAttempt>, StoreError> {
        self.webhook(webhook_id).await?;
        let query = webhook_delivery::Entity::find()
            .filter(webhook_delivery::Column::WebhookId.eq(webhook_id));
        let key = webhook_delivery::Column::Id;
        let items: Vec<DeliveryAttempt> = keyset_page(query, key, Along::Down, before, limit)
            .all(&self.db)
            .await
            .context("Failed to list webhook deliveries")?
            .into_iter()
            .map(|row| DeliveryAttempt {
                id: row.id,
                event_id: row.event_id,
                attempt: row.attempt,
                status_code: row.status_code,
                error: row.error,
                at: row.at,
            })
            .collect();
        Ok(Page::from_overfetch(items, limit, |d| d.id.to_string()))
    }

    /// Takes up to `limit` due rows and leases them for `lease`: due means
    /// undelivered, its time come, not leased (or the lease ran out), its
    /// endpoint active, and no older undelivered row of the same (endpoint,
    /// request).
    pub async fn claim_webhook_deliveries(
        &self,
        limit: u64,
        lease: chrono::Duration,
    ) -> Result<Vec<Claimed>, StoreError> {
        let now = self.now();
        let backend = self.backend();
        let lock = match backend {
            Backend::Postgres => " FOR UPDATE OF o SKIP LOCKED",
            Backend::Sqlite => "",
        };
        let text = format!(
            "SELECT o.id FROM webhook_outbox o JOIN webhooks w ON w.id = o.webhook_id \
             WHERE o.delivered_at IS NULL AND w.active = ? AND o.next_attempt_at <= ? \
             AND (o.lease_until IS NULL OR o.lease_until <= ?) \
             AND NOT EXISTS (SELECT 1 FROM webhook_outbox p \
                 WHERE p.webhook_id = o.webhook_id AND p.request_id = o.request_id \
                 AND p.delivered_at IS NULL \
                 AND (p.seq < o.seq OR (p.seq = o.seq AND p.event_id < o.event_id))) \
             ORDER BY o.next_attempt_at LIMIT {limit}{lock}"
        );
        let tx = self.write().await?;
        let rows = tx
            .query_all_raw(sql_with(
                backend,
                &text,
                [true.into(), now.into(), now.into()],
            ))
            .await
            .context("Failed to find due webhook deliveries")?;
        let ids: Vec<Uuid> = rows
            .iter()
            .map(|row| row.try_get::<Uuid>("", "id"))
            .collect::<Result<_, _>>()
            .context("Failed to read due webhook deliveries")?;
        if ids.is_empty() {
            return Ok(vec![]);
        }
        webhook_outbox::Entity::update_many()
            .col_expr(webhook_outbox::Column::LeaseUntil, Expr::value(now + lease))
            .filter(webhook_outbox::Column::Id.is_in(ids.iter().copied()))
            .exec(&*tx)
            .await
            .context("Failed to lease webhook deliveries")?;
        let rows = webhook_outbox::Entity::find()
            .filter(webhook_outbox::Column::Id.is_in(ids.iter().copied()))
            .all(&*tx)
            .await
            .context("Failed to load leased deliveries")?;
        let hook_ids: BTreeSet<Uuid> = rows.iter().map(|r| r.webhook_id).collect();
        let hooks = webhook::Entity::find()
            .filter(webhook::Column::Id.is_in(hook_ids))
            .all(&*tx)
            .await
            .context("Failed to load the webhooks of due deliveries")?;
        tx.commit().await?;
        Ok(rows
            .into_iter()
            .filter_map(|row| {
                let hook = hooks.iter().find(|h| h.id == row.webhook_id)?;
                Some(Claimed {
                    outbox_id: row.id,
                    webhook_id: row.webhook_id,
                    event_id: row.event_id,
                    request_id: row.request_id,
                    url: hook.url.clone(),
                    secret: WebhookSecret::from_stored(hook.secret.clone()),
                    body: row.body,
                    attempts: row.attempts,
                })
            })
            .collect())
    }

    /// Records an attempt: a success marks the row delivered; a failure
    /// sets the next attempt by `backoff` and `jitter`, or, once the
    /// endpoint has failed for 24 hours, disables it and tells leadership.
    #[tracing::instrument(skip_all, fields(webhook = %claimed.webhook_id, event = %claimed.event_id))]
    pub async fn record_webhook_attempt(
        &self,
        claimed: &Claimed,
        result: &AttemptResult,
        backoff: Backoff,
        jitter: Jitter,
    ) -> Result<Recorded, StoreError> {
        let now = self.now();
        let tx = self.write().await?;
        let Some(hook) = webhook::Entity::find_by_id(claimed.webhook_id)
            .one(&*tx)
            .await
            .context("Failed to load a webhook")?
        else {
            return Ok(Recorded::Stale);
        };
        let attempt = claimed.attempts + 1;
        // What the attempt stamps on the outbox row, since when the endpoint
        // has been failing, and (on failure) what the back-off says.
        let (stamp, failing_since, retry) = if result.delivered() {
            ((webhook_outbox::Column::DeliveredAt, now), None, None)
        } else {
            let first_failure = hook.failing_since.unwrap_or(now);
            let retry = backoff.after_failure(
                u32::try_from(attempt).unwrap_or(u32::MAX),
                first_failure,
                now,
                jitter,
            );
            let next = match retry {
                Retry::At(at) => at,
                // Kept for the record; an inactive endpoint is never due.
                Retry::GiveUp => now,
            };
            (
                (webhook_outbox::Column::NextAttemptAt, next),
                Some(first_failure),
                Some(retry),
            )
        };
        let changed = webhook_outbox::Entity::update_many()
            .col_expr(stamp.0, Expr::value(stamp.1))
            .col_expr(webhook_outbox::Column::Attempts, Expr::value(attempt))
            .col_expr(
                webhook_outbox::Column::LeaseUntil,
                Expr::value(Option::<DateTime<Utc>>::None),
            )
            .filter(webhook_outbox::Column::Id.eq(claimed.outbox_id))
            .filter(webhook_outbox::Column::DeliveredAt.is_null())
            .exec(&*tx)
            .await
            .context("Failed to record a delivery attempt on the outbox")?;
        if changed.rows_affected == 0 {
            return Ok(Recorded::Stale);
        }
        if failing_since.is_some() || hook.failing_since.is_some() {
            webhook::Entity::update_many()
                .col_expr(webhook::Column::FailingSince, Expr::value(failing_since))
                .filter(webhook::Column::Id.eq(hook.id))
                .exec(&*tx)
                .await
                .context("Failed to note since when a webhook fails")?;
        }
        let outcome = match retry {
            None => Recorded::Delivered,
            Some(Retry::At(next)) => Recorded::RetryAt(next),
            Some(Retry::GiveUp) => {
                // Several rows in flight may each find the day over: the one
                // whose update turns the endpoint off tells leadership.
                let disabled_now = webhook::Entity::update_many()
                    .col_expr(webhook::Column::Active, Expr::value(false))
                    .col_expr(webhook::Column::DisabledAt, Expr::value(now))
                    .filter(webhook::Column::Id.eq(hook.id))
                    .filter(webhook::Column::Active.eq(true))
                    .exec(&*tx)
                    .await
                    .context("Failed to disable a webhook")?
                    .rows_affected
                    == 1;
                if disabled_now {
                    let before = webhook_from_row(hook.clone());
                    let after = Webhook {
                        active: false,
                        failing_since,
                        disabled_at: Some(now),
                        ..before.clone()
                    };
                    // Done by nobody: the service gave up on the endpoint.
                    let change = Change {
                        action: AuditAction::WebhookDisabled,
                        entity_id: Some(hook.id),
                        before: Some(audit::webhook_shape(&before)),
                        after: Some(audit::webhook_shape(&after)),
                    };
                    audit::record(&*tx, now, None, change).await?;
                    Recorded::Disabled
                } else {
                    Recorded::RetryAt(now)
                }
            }
        };
        webhook_delivery::Entity::insert(webhook_delivery::ActiveModel {
            id: Set(Uuid::now_v7()),
            webhook_id: Set(claimed.webhook_id),
            event_id: Set(claimed.event_id),
            attempt: Set(attempt),
            status_code: Set(result.status_code.map(i32::from)),
            error: Set(result.error.clone()),
            at: Set(now),
        })
        .exec_without_returning(&*tx)
        .await
        .context("Failed to log a delivery attempt")?;
        let told = if outcome == Recorded::Disabled {
            Told::members(
                self.tell_leaders_disabled(&*tx, claimed, &hook.url, now)
                    .await?,
            )
        } else {
            Told::default()
        };
        tx.commit().await?;
        self.wake(told);
        Ok(outcome)
    }

    /// One inbox item per active leader: the endpoint was disabled. Numbered
    /// as `inbox::fan_out` numbers (recipients locked in id order first).
    async fn tell_leaders_disabled<C: ConnectionTrait>(
        &self,
        conn: &C,
        claimed: &Claimed,
        url: &str,
        now: DateTime<Utc>,
    ) -> anyhow::Result<Vec<Uuid>> {
        let leaders: Vec<Uuid> = member::Entity::find()
            .select_only()
            .column(member::Column::Id)
            .filter(member::Column::Active.eq(true))
            .filter(member::Column::Role.eq(Role::Leader.as_str()))
            .order_by_asc(member::Column::Id)
            .into_tuple()
            .all(conn)
            .await
            .context("Failed to load leaders")?;
        if leaders.is_empty() {
            return Ok(vec![]);
        }
        if self.backend() == Backend::Postgres {
            member::Entity::find()
                .select_only()
                .column(member::Column::Id)
                .filter(member::Column::Id.is_in(leaders.iter().copied()))
                .order_by_asc(member::Column::Id)
                .lock(sea_orm::sea_query::LockType::NoKeyUpdate)
                .into_tuple::<Uuid>()
                .all(conn)
                .await
                .context("Failed to lock inbox owners")?;
        }
        let last: std::collections::HashMap<Uuid, i64> = inbox_item::Entity::find()
            .select_only()
            .column(inbox_item::Column::MemberId)
            .column_as(inbox_item::Column::Seq.max(), "seq")
            .filter(inbox_item::Column::MemberId.is_in(leaders.iter().copied()))
            .group_by(inbox_item::Column::MemberId)
            .into_tuple::<(Uuid, i64)>()
            .all(conn)
            .await
            .context("Failed to read inbox cursors")?
            .into_iter()
            .collect();
        let summary = format!(
            "Webhook {url} disabled: its deliveries failed for {} hours",
            Backoff::GIVE_UP_AFTER_SECONDS / 3600
        );
        let rows: Vec<inbox_item::ActiveModel> = leaders
            .iter()
            .map(|leader| inbox_item::ActiveModel {
                id: Set(Uuid::now_v7()),
                member_id: Set(*leader),
                seq: Set(last.get(leader).copied().unwrap_or(0) + 1),
                request_id: Set(claimed.request_id),
                event_id: Set(claimed.event_id),
                event_type: Set(DISABLED_EVENT_TYPE.to_owned()),
                summary: Set(summary.clone()),
                at: Set(now),
                read_at: Set(None),
            })
            .collect();
        inbox_item::Entity::insert_many(rows)
            .exec_without_returning(conn)
            .await
            .context("Failed to tell leadership")?;
        if self.backend() == Backend::Postgres {
            let payload = leaders
                .iter()
                .map(Uuid::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let payload = if payload.len() > 7000 {
                "*".to_owned()
            } else {
                payload
            };
            conn.execute_raw(sql_with(
                Backend::Postgres,
                "SELECT pg_notify(?, ?)",
                [crate::inbox::CHANNEL.into(), payload.into()],
            ))
            .await
            .context("Failed to notify the other replicas")?;
        }
        Ok(leaders)
    }

    /// Whether any row may be due: a cheap read, so that an idle worker
    /// never takes SQLite's writer lock.
    pub async fn webhooks_due(&self) -> Result<bool, StoreError> {
        let now = self.now();
        let found = self
            .db
            .query_one_raw(sql_with(
                self.backend(),
                "SELECT o.id FROM webhook_outbox o JOIN webhooks w ON w.id = o.webhook_id \
                 WHERE o.delivered_at IS NULL AND o.next_attempt_at <= ? AND w.active = ? LIMIT 1",
                [now.into(), true.into()],
            ))
            .await
            .context("Failed to look for due webhook deliveries")?;
        Ok(found.is_some())
    }

    /// How many outbox rows are still owed (tests, operations).
    pub async fn webhook_backlog(&self) -> Result<u64, StoreError> {
        let rows = self
            .db
            .query_one_raw(sql(
                self.backend(),
                "SELECT COUNT(*) AS n FROM webhook_outbox o JOIN webhooks w ON w.id = o.webhook_id \
                 WHERE o.delivered_at IS NULL AND w.active",
            ))
            .await
            .context("Failed to count the webhook backlog")?;
        let n: i64 = match rows {
            Some(row) => row.try_get("", "n").context("Failed to read a count")?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }
}
