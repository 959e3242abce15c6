//! The inbox: who is told about each change, in the change's transaction.
//!
//! Each member's items carry a sequence number that is gapless and in
//! commit order: the fan-out locks the recipients' member rows (in id
//! order, so two fan-outs never deadlock) before numbering, so a second
//! transaction numbering for the same member waits for the first to commit.
//! That number is the live stream's cursor (`Last-Event-ID`), valid on
//! every replica. On PostgreSQL a `NOTIFY upturn_inbox` (sent at commit)
//! wakes the streams of the other replicas.

use std::collections::{BTreeSet, HashMap};

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Statement,
};
use upturn_domain::lifecycle::{Deadline, Event, Request};
use upturn_domain::model::{EventType, Role};
use upturn_domain::notify::{Audience, recipients};
use uuid::Uuid;

use crate::entities::{inbox_item, member, unit, watcher};
use crate::error::StoreError;
use crate::requests::{Along, Page, keyset_page};
use crate::store::{Backend, Store};

/// The PostgreSQL channel that carries "these members have new items".
pub const CHANNEL: &str = "upturn_inbox";

/// An inbox item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxItem {
    pub id: Uuid,
    pub member_id: Uuid,
    /// The member's stream cursor.
    pub seq: i64,
    pub request_id: Uuid,
    pub event_id: Uuid,
    pub event_type: String,
    pub summary: String,
    pub at: DateTime<Utc>,
    pub read: bool,
}

fn item_from_row(row: inbox_item::Model) -> InboxItem {
    InboxItem {
        id: row.id,
        member_id: row.member_id,
        seq: row.seq,
        request_id: row.request_id,
        event_id: row.event_id,
        event_type: row.event_type,
        summary: row.summary,
        at: row.at,
        read: row.read_at.is_some(),
    }
}

/// One change to tell people about.
pub(crate) struct Notice<'a> {
    /// The request as the change left it.
    pub request: &'a Request,
    /// The change's event, as stored.
    pub event: &'a Event,
    /// For `sla_breached`: the deadline that passed.
    pub deadline: Option<Deadline>,
}

fn summary(
    kind: EventType,
    deadline: Option<Deadline>,
    request: &Request,
    units: &HashMap<Uuid, String>,
) -> String {
    let unit = |id: Option<Uuid>| {
        id.and_then(|id| units.get(&id).cloned())
            .unwrap_or_else(|| "a unit".to_owned())
    };
    let what = match kind {
        EventType::Filed => "filed".to_owned(),
        EventType::Acknowledged => format!("acknowledged by {}", unit(Some(request.unit_id))),
        EventType::Routed => format!("routed to {}", unit(Some(request.unit_id))),
        EventType::Escalated => format!("escalated to {}", unit(Some(request.unit_id))),
        EventType::StatusChanged => format!("in progress at {}", unit(Some(request.unit_id))),
        EventType::Comment => "new comment".to_owned(),
        EventType::Resolved => format!("resolved by {}", unit(request.resolved_unit_id)),
        EventType::Declined => format!("declined by {}", unit(request.resolved_unit_id)),
        EventType::FollowUpRecorded => "closed after the customer's follow-up".to_owned(),
        EventType::Reopened => "reopened: the customer is not satisfied".to_owned(),
        EventType::SlaBreached => format!(
            "{} deadline passed",
            deadline.unwrap_or(Deadline::Resolve).as_str()
        ),
        EventType::InitiativeLinked => format!("taken up by {}", unit(Some(request.unit_id))),
        EventType::InitiativeProgress => "news from its initiative".to_owned(),
        EventType::InitiativeDropped => format!("handed back to {}", unit(Some(request.unit_id))),
        // Nobody is told (see `notify::recipients`); kept for completeness.
        EventType::CustomerDataErased => "customer's name and contact erased".to_owned(),
    };
    format!("{} {}: {}", request.reference(), what, request.title)
}

/// What a change wrote, for after its commit: whose live streams to wake,
/// and which events to count (see `Store::wake`).
#[derive(Debug, Default)]
pub(crate) struct Told {
    members: Vec<Uuid>,
    written: Vec<crate::observe::Written>,
}

impl Told {
    /// Only members to wake (a change that wrote no request event).
    pub(crate) fn members(members: Vec<Uuid>) -> Told {
        Told {
            members,
            written: vec![],
        }
    }
}

/// Writes the inbox items for `notices` in the caller's transaction and
/// answers who was told (to wake their streams after commit).
pub(crate) async fn fan_out<C: ConnectionTrait>(
    conn: &C,
    backend: Backend,
    notices: &[Notice<'_>],
) -> anyhow::Result<Told> {
    let written = notices.iter().map(crate::observe::Written::of).collect();
    let members = tell(conn, backend, notices).await?;
    Ok(Told { members, written })
}

async fn tell<C: ConnectionTrait>(
    conn: &C,
    backend: Backend,
    notices: &[Notice<'_>],
) -> anyhow::Result<Vec<Uuid>> {
    if notices.is_empty() {
        return Ok(vec![]);
    }
    crate::webhooks::enqueue(conn, notices).await?;
    let units: BTreeSet<Uuid> = notices
        .iter()
        .flat_map(|n| {
            [
                Some(n.request.unit_id),
                Some(n.request.team_id),
                n.request.resolved_unit_id,
            ]
        })
        .flatten()
        .collect();
    let members = member::Entity::find()
        .filter(member::Column::Active.eq(true))
        .filter(member::Column::UnitId.is_in(units.iter().copied()))
        .all(conn)
        .await
        .context("Failed to load who to tell")?;
    let names: HashMap<Uuid, String> = unit::Entity::find()
        .filter(unit::Column::Id.is_in(units.iter().copied()))
        .all(conn)
        .await
        .context("Failed to load unit names")?
        .into_iter()
        .map(|u| (u.id, u.name))
        .collect();
    let filed_only = notices
        .iter()
        .all(|n| n.event.event.kind == EventType::Filed);
    let watchers = if filed_only {
        vec![]
    } else {
        watcher::Entity::find()
            .filter(watcher::Column::RequestId.is_in(notices.iter().map(|n| n.request.id)))
            .all(conn)
            .await
            .context("Failed to load watchers")?
    };
    let leaders: Vec<Uuid> = if notices
        .iter()
        .any(|n| n.event.event.kind == EventType::SlaBreached)
    {
        member::Entity::find()
            .filter(member::Column::Active.eq(true))
            .filter(member::Column::Role.eq(Role::Leader.as_str()))
            .all(conn)
            .await
            .context("Failed to load leaders")?
            .into_iter()
            .map(|m| m.id)
            .collect()
    } else {
        vec![]
    };
    let mut planned: Vec<(Uuid, &Notice<'_>, String)> = Vec::new();
    for notice in notices {
        let request = notice.request;
        let audience = Audience {
            holding_unit: members
                .iter()
                .filter(|m| m.unit_id == Some(request.unit_id))
                .filter_map(|m| m.role.parse::<Role>().ok().map(|role| (m.id, role)))
                .collect(),
            team: members
                .iter()
                .filter(|m| m.unit_id == Some(request.team_id))
                .map(|m| m.id)
                .collect(),
            watchers: watchers
                .iter()
                .filter(|w| w.request_id == request.id)
                .map(|w| w.member_id)
                .collect(),
            leaders: leaders.clone(),
        };
        let text = summary(notice.event.event.kind, notice.deadline, request, &names);
        for member_id in recipients(
            notice.event.event.kind,
            request,
            notice.event.event.actor_id,
            &audience,
        ) {
            planned.push((member_id, notice, text.clone()));
        }
    }
    if planned.is_empty() {
        return Ok(vec![]);
    }
    let told: BTreeSet<Uuid> = planned.iter().map(|(m, _, _)| *m).collect();
    if backend == Backend::Postgres {
        // Lock the recipients in id order: numbering per member is serial.
        // `FOR NO KEY UPDATE`, not `FOR UPDATE`: the key-share locks that
        // foreign keys take when a request or an item names a member must
        // not wait for it (two filings, each naming the other's recipient,
        // would deadlock).
        member::Entity::find()
            .select_only()
            .column(member::Column::Id)
            .filter(member::Column::Id.is_in(told.iter().copied()))
            .order_by_asc(member::Column::Id)
            .lock(sea_orm::sea_query::LockType::NoKeyUpdate)
            .into_tuple::<Uuid>()
            .all(conn)
            .await
            .context("Failed to lock inbox owners")?;
    }
    let mut last: HashMap<Uuid, i64> = inbox_item::Entity::find()
        .select_only()
        .column(inbox_item::Column::MemberId)
        .column_as(inbox_item::Column::Seq.max(), "seq")
        .filter(inbox_item::Column::MemberId.is_in(told.iter().copied()))
        .group_by(inbox_item::Column::MemberId)
        .into_tuple::<(Uuid, i64)>()
        .all(conn)
        .await
        .context("Failed to read inbox cursors")?
        .into_iter()
        .collect();
    let rows: Vec<inbox_item::ActiveModel> = planned
        .into_iter()
        .map(|(member_id, notice, text)| {
            let seq = last.entry(member_id).or_insert(0);
            *seq += 1;
            inbox_item::ActiveModel {
                id: Set(Uuid::now_v7()),
                member_id: Set(member_id),
                seq: Set(*seq),
                request_id: Set(notice.request.id),
                event_id: Set(notice.event.id),
                event_type: Set(notice.event.event.kind.as_str().to_owned()),
                summary: Set(text),
                at: Set(notice.event.event.at),
                read_at: Set(None),
            }
        })
        .collect();
    // In chunks: an initiative tells a thousand requests' teams at once, and
    // SQLite binds at most 32,766 values per statement.
    for chunk in rows.chunks(1000) {
        inbox_item::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await
            .context("Failed to write inbox items")?;
    }
    let told: Vec<Uuid> = told.into_iter().collect();
    if backend == Backend::Postgres {
        let payload = told
            .iter()
            .map(Uuid::to_string)
            .collect::<Vec<_>>()
            .join(",");
        // NOTIFY payloads are limited to 8000 bytes: past that, say "everyone
        // look" and let each stream check its own cursor.
        let payload = if payload.len() > 7000 {
            "*".to_owned()
        } else {
            payload
        };
        conn.execute_raw(Statement::from_sql_and_values(
            sea_orm::DatabaseBackend::Postgres,
            "SELECT pg_notify($1, $2)",
            [CHANNEL.into(), payload.into()],
        ))
        .await
        .context("Failed to notify the other replicas")?;
    }
    Ok(told)
}

/// The PostgreSQL channel that carries "leadership changed the rules or the
/// SLA policies": every replica forgets its cached copy.
pub const SETTINGS_CHANNEL: &str = "upturn_settings";

/// What another replica said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum News {
    /// These members have new inbox items.
    Members(Vec<Uuid>),
    /// Every stream should look.
    Everyone,
    /// Routing rules or SLA policies changed.
    Settings,
}

/// Hears the other replicas' news (PostgreSQL).
pub struct InboxListener(sea_orm::sqlx::postgres::PgListener);

impl InboxListener {
    pub async fn connect(url: &str) -> anyhow::Result<InboxListener> {
        let mut listener = sea_orm::sqlx::postgres::PgListener::connect(url)
            .await
            .context("Failed to connect the inbox listener")?;
        listener
            .listen_all([CHANNEL, SETTINGS_CHANNEL])
            .await
            .context("Failed to listen for inbox news")?;
        Ok(InboxListener(listener))
    }

    /// The next news.
    pub async fn recv(&mut self) -> anyhow::Result<News> {
        let notification = self.0.recv().await.context("Lost the inbox listener")?;
        if notification.channel() == SETTINGS_CHANNEL {
            return Ok(News::Settings);
        }
        let payload = notification.payload();
        Ok(if payload == "*" {
            News::Everyone
        } else {
            News::Members(
                payload
                    .split(',')
                    .filter_map(|m| Uuid::parse_str(m).ok())
                    .collect(),
            )
        })
    }
}

impl Store {
    /// After a change with events committed: counts the events it wrote
    /// (`observe.rs`), tells this process's live streams that members have
    /// new items, and its delivery worker that the outbox may have grown.
    pub(crate) fn wake(&self, told: Told) {
        crate::observe::count(&told.written);
        self.committed.notify_one();
        let members = told.members;
        if !members.is_empty() {
            // Nobody listening is fine: no stream is open.
            let _ = self.wakeups.send(std::sync::Arc::new(members));
        }
    }

    /// Notified after a change with events committed in this process (one
    /// stored permit stands for any number of changes).
    pub fn committed_changes(&self) -> std::sync::Arc<tokio::sync::Notify> {
        std::sync::Arc::clone(&self.committed)
    }

    /// Wake-ups for this process's live streams: the members with new items.
    pub fn wakeups(&self) -> tokio::sync::broadcast::Receiver<std::sync::Arc<Vec<Uuid>>> {
        self.wakeups.subscribe()
    }

    /// A member's inbox, newest first; `before` is a previous page's cursor.
    pub async fn inbox(
        &self,
        member_id: Uuid,
        before: Option<i64>,
        limit: u64,
    ) -> Result<Page<InboxItem>, StoreError> {
        let query = inbox_item::Entity::find().filter(inbox_item::Column::MemberId.eq(member_id));
        let key = inbox_item::Column::Seq;
        let items: Vec<InboxItem> = keyset_page(query, key, Along::Down, before, limit)
            .all(&self.db)
            .await
            .context("Failed to read an inbox")?
            .into_iter()
            .map(item_from_row)
            .collect();
        Ok(Page::from_overfetch(items, limit, |i| i.seq.to_string()))
    }

    /// How many of a member's newest `limit` items are unread: the count
    /// beside every page's inbox link. Reads whether each was read, not the
    /// items.
    pub async fn unread_count(&self, member_id: Uuid, limit: u64) -> Result<usize, StoreError> {
        let newest: Vec<Option<DateTime<Utc>>> = inbox_item::Entity::find()
            .select_only()
            .column(inbox_item::Column::ReadAt)
            .filter(inbox_item::Column::MemberId.eq(member_id))
            .order_by_desc(inbox_item::Column::Seq)
            .limit(limit)
            .into_tuple()
            .all(&self.db)
            .await
            .context("Failed to count an inbox's unread items")?;
        Ok(newest.iter().filter(|read_at| read_at.is_none()).count())
    }

    /// A member's items after `seq`, oldest first: what a stream sends next.
    pub async fn inbox_after(
        &self,
        member_id: Uuid,
        seq: i64,
        limit: u64,
    ) -> Result<Vec<InboxItem>, StoreError> {
        Ok(inbox_item::Entity::find()
            .filter(inbox_item::Column::MemberId.eq(member_id))
            .filter(inbox_item::Column::Seq.gt(seq))
            .order_by_asc(inbox_item::Column::Seq)
            .limit(limit)
            .all(&self.db)
            .await
            .context("Failed to read an inbox")?
            .into_iter()
            .map(item_from_row)
            .collect())
    }

    /// The member's latest cursor (0 for an empty inbox).
    pub async fn inbox_cursor(&self, member_id: Uuid) -> Result<i64, StoreError> {
        let last = inbox_item::Entity::find()
            .select_only()
            .column_as(inbox_item::Column::Seq.max(), "seq")
            .filter(inbox_item::Column::MemberId.eq(member_id))
            .into_tuple::<Option<i64>>()
            .one(&self.db)
            .await
            .context("Failed to read an inbox cursor")?;
        Ok(last.flatten().unwrap_or(0))
    }

    /// Marks one of the member's items read.
    pub async fn mark_read(&self, member_id: Uuid, item_id: Uuid) -> Result<InboxItem, StoreError> {
        let tx = self.write().await?;
        let row = inbox_item::Entity::find_by_id(item_id)
            .filter(inbox_item::Column::MemberId.eq(member_id))
            .one(&*tx)
            .await
            .context("Failed to load an inbox item")?
            .ok_or(StoreError::NotFound)?;
        if row.read_at.is_none() {
            inbox_item::Entity::update_many()
                .col_expr(inbox_item::Column::ReadAt, Expr::value(self.now()))
                .filter(inbox_item::Column::Id.eq(item_id))
                .exec(&*tx)
                .await
                .context("Failed to mark an item read")?;
        }
        tx.commit().await?;
        Ok(InboxItem {
            read: true,
            ..item_from_row(row)
        })
    }

    /// Follows a request (idempotent).
    pub async fn watch(&self, member_id: Uuid, request_id: Uuid) -> Result<(), StoreError> {
        let tx = self.write().await?;
        let exists = watcher::Entity::find_by_id((request_id, member_id))
            .one(&*tx)
            .await
            .context("Failed to look up a watch")?
            .is_some();
        if !exists {
            watcher::Entity::insert(watcher::ActiveModel {
                request_id: Set(request_id),
                member_id: Set(member_id),
                created_at: Set(self.now()),
            })
            .exec_without_returning(&*tx)
            .await
            .context("Failed to watch a request")?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// `true` when the member follows the request.
    pub async fn watching(&self, member_id: Uuid, request_id: Uuid) -> Result<bool, StoreError> {
        Ok(watcher::Entity::find_by_id((request_id, member_id))
            .one(&self.db)
            .await
            .context("Failed to look up a watch")?
            .is_some())
    }

    /// Stops following a request (idempotent).
    pub async fn unwatch(&self, member_id: Uuid, request_id: Uuid) -> Result<(), StoreError> {
        let tx = self.write().await?;
        watcher::Entity::delete_many()
            .filter(watcher::Column::RequestId.eq(request_id))
            .filter(watcher::Column::MemberId.eq(member_id))
            .exec(&*tx)
            .await
            .context("Failed to unwatch a request")?;
        tx.commit().await?;
        Ok(())
    }
}
