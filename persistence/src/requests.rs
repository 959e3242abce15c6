//! Requests and their timeline.

use std::collections::HashMap;

use anyhow::Context;
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
};
use upturn_domain::lifecycle::{Event, Filing, NewEvent, NewRequest, Request};
use upturn_domain::model::{Kind, Level, Status, Urgency};
use upturn_domain::sla::SlaPolicy;
use upturn_domain::values::tracking_code;
use upturn_domain::{Actor, Command, Scope};
use uuid::Uuid;

use crate::entities::{event, follow_up, request, request_unit, sla_policy};
use crate::error::{StoreError, is_unique_violation};
use crate::idempotency::{Idem, remember};
use crate::inbox::{Notice, fan_out};
use crate::org::check_version;
use crate::search::{Found, Needed, newest_with_words, search_reader};
use crate::store::Store;

/// One page of a keyset-paginated list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<T> {
    pub items: Vec<T>,
    /// Opaque: pass it back to get the next page.
    pub next_cursor: Option<String>,
}

impl<T> Page<T> {
    /// Builds a page from `limit + 1` fetched rows: the extra row only
    /// says that there is more.
    pub(crate) fn from_overfetch(
        mut items: Vec<T>,
        limit: u64,
        key: impl Fn(&T) -> String,
    ) -> Page<T> {
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let more = items.len() > limit;
        items.truncate(limit);
        let next_cursor = if more { items.last().map(key) } else { None };
        Page { items, next_cursor }
    }
}

/// Which way a keyset-paginated list runs along its key.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Along {
    /// Ascending; a page starts after the cursor.
    Up,
    /// Descending; a page starts before the cursor.
    Down,
}

/// `query` ordered along `key`, from just past `cursor`, cut at `limit`
/// rows and one more (which only says there is more: see
/// [`Page::from_overfetch`]).
pub(crate) fn keyset_page<E: EntityTrait>(
    query: Select<E>,
    key: E::Column,
    along: Along,
    cursor: Option<impl Into<sea_orm::Value>>,
    limit: u64,
) -> Select<E> {
    let query = match along {
        Along::Up => query.order_by_asc(key),
        Along::Down => query.order_by_desc(key),
    };
    let query = match (cursor, along) {
        (None, _) => query,
        (Some(cursor), Along::Up) => query.filter(key.gt(cursor)),
        (Some(cursor), Along::Down) => query.filter(key.lt(cursor)),
    };
    query.limit(limit + 1)
}

/// The filters of `GET /requests`; empty lists and `None` mean "any".
#[derive(Debug, Clone, Default)]
pub struct RequestFilter {
    pub statuses: Vec<Status>,
    pub levels: Vec<Level>,
    pub unit_id: Option<Uuid>,
    pub categories: Vec<String>,
    pub kinds: Vec<Kind>,
    pub urgencies: Vec<Urgency>,
    pub mine: bool,
    pub assigned_to_me: bool,
    pub overdue: bool,
    pub q: Option<String>,
    pub filed_after: Option<DateTime<Utc>>,
    pub filed_before: Option<DateTime<Utc>>,
    pub sort: RequestSort,
}

/// The order of `GET /requests`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RequestSort {
    /// Newest first (the default).
    #[default]
    Newest,
    /// The nearest deadline first (passed ones first of all).
    Deadline,
}

/// The version a caller expects a request to be at.
#[derive(Debug, Clone, Copy, Default)]
pub struct Expectation {
    /// From `If-Match`: stale → `412`.
    pub if_match: Option<i64>,
    /// From a `version` field in the body: stale → `409`.
    pub version: Option<i64>,
}

/// A request and the units it was ever routed to.
#[derive(Debug, Clone)]
pub struct RequestRecord {
    pub request: Request,
    pub routed_units: Vec<Uuid>,
}

/// What a customer's tracking page is built from.
#[derive(Debug, Clone)]
pub struct TrackedRequest {
    pub request: Request,
    /// `(status, at)` for each status the request went through, oldest first.
    pub history: Vec<(Status, DateTime<Utc>)>,
    /// The initiative the request is linked to, as its customer may see it.
    pub initiative: Option<crate::initiatives::PublicInitiative>,
}

fn parse<T: std::str::FromStr>(what: &str, value: &str) -> anyhow::Result<T>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    value
        .parse()
        .with_context(|| format!("Failed to read {what} `{value}`"))
}

fn parse_opt<T: std::str::FromStr>(what: &str, value: Option<&str>) -> anyhow::Result<Option<T>>
where
    T::Err: std::error::Error + Send + Sync + 'static,
{
    value.map(|v| parse(what, v)).transpose()
}

pub(crate) fn request_from_row(row: request::Model) -> anyhow::Result<Request> {
    Ok(Request {
        id: row.id,
        number: row.number,
        kind: parse("kind", &row.kind)?,
        category: row.category,
        urgency: parse("urgency", &row.urgency)?,
        channel: parse("channel", &row.channel)?,
        title: row.title,
        description: row.description,
        customer_expectation: row.customer_expectation,
        customer_name: row.customer_name,
        customer_contact: row.customer_contact,
        customer_consent: row.customer_consent,
        status: parse("status", &row.status)?,
        level: parse("level", &row.level)?,
        unit_id: row.unit_id,
        team_id: row.team_id,
        filed_by: row.filed_by,
        assignee_id: row.assignee_id,
        version: row.version,
        tracking_code: row.tracking_code,
        sla_acknowledge_seconds: row.sla_acknowledge_seconds,
        sla_resolve_seconds: row.sla_resolve_seconds,
        acknowledge_by: row.acknowledge_by,
        resolve_by: row.resolve_by,
        acknowledge_breached_at: row.acknowledge_breached_at,
        resolve_breached_at: row.resolve_breached_at,
        resolved_level: parse_opt("resolved level", row.resolved_level.as_deref())?,
        resolved_unit_id: row.resolved_unit_id,
        resolution_note: row.resolution_note,
        reopen_count: row.reopen_count,
        filed_at: row.filed_at,
        arrived_at: row.arrived_at,
        acknowledged_at: row.acknowledged_at,
        resolved_at: row.resolved_at,
        closed_at: row.closed_at,
        updated_at: row.updated_at,
        initiative_id: row.initiative_id,
    })
}

/// What `q` searches: the texts of a request, lower-cased here rather than
/// by the database (SQLite's `lower()` only knows ASCII: "Écharpe").
/// The lower-cased text the previous release searches with `LIKE`: still
/// written while a rolling upgrade may run it beside this one
/// (docs/decisions/0014); this release searches `search_terms`.
fn search_text(r: &Request) -> String {
    format!("{}\n{}\n{}", r.title, r.description, r.customer_expectation).to_lowercase()
}

/// Which requests `actor` may see and `filter` keeps, for the list and the
/// CSV export alike; `None` when the actor may see none at all.
pub(crate) fn request_condition(
    actor: &Actor,
    filter: &RequestFilter,
    now: DateTime<Utc>,
) -> Option<Condition> {
    let mut condition = Condition::all();
    match Scope::of(actor) {
        Scope::Everything => {}
        Scope::Nothing => return None,
        Scope::Team(team) => condition = condition.add(request::Column::TeamId.eq(team)),
        // A look-up of the `(request_id, unit_id)` key for each request the
        // query walks: `id IN (every request routed to the unit)` made
        // SQLite build that whole list (100,000 ids at a million requests)
        // before each query, even one that stops at a page's 40 cards.
        Scope::RoutedTo(unit) => {
            condition = condition.add(Expr::exists(
                Query::select()
                    .expr(Expr::val(1))
                    .from(request_unit::Entity)
                    .and_where(
                        Expr::col((request_unit::Entity, request_unit::Column::RequestId))
                            .equals((request::Entity, request::Column::Id)),
                    )
                    .and_where(request_unit::Column::UnitId.eq(unit))
                    .to_owned(),
            ))
        }
    }
    fn strings<T: Copy>(values: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
        values.iter().map(|v| f(*v)).collect()
    }
    if !filter.statuses.is_empty() {
        condition =
            condition.add(request::Column::Status.is_in(strings(&filter.statuses, Status::as_str)));
    }
    if !filter.levels.is_empty() {
        condition =
            condition.add(request::Column::Level.is_in(strings(&filter.levels, Level::as_str)));
    }
    if !filter.kinds.is_empty() {
        condition =
            condition.add(request::Column::Kind.is_in(strings(&filter.kinds, Kind::as_str)));
    }
    if !filter.urgencies.is_empty() {
        condition = condition
            .add(request::Column::Urgency.is_in(strings(&filter.urgencies, Urgency::as_str)));
    }
    if !filter.categories.is_empty() {
        condition = condition.add(request::Column::Category.is_in(filter.categories.clone()));
    }
    if let Some(unit) = filter.unit_id {
        condition = condition.add(request::Column::UnitId.eq(unit));
    }
    if filter.mine {
        condition = condition.add(request::Column::FiledBy.eq(actor.id));
    }
    if filter.assigned_to_me {
        condition = condition.add(request::Column::AssigneeId.eq(actor.id));
    }
    if filter.overdue {
        condition = condition.add(overdue_at(now));
    }
    if let Some(q) = &filter.q {
        // Every word of the query (in any of its forms, see
        // `upturn_domain::search`), or the request's reference.
        let words = upturn_domain::search::query_words(q);
        let mut any = Condition::any();
        if !words.is_empty() {
            any = any.add(words.iter().fold(Condition::all(), |all, w| {
                all.add(crate::search::has_word(w))
            }));
        }
        if let Some(number) = reference_number(q) {
            any = any.add(request::Column::Number.eq(number));
        }
        if any.is_empty() {
            // Only common words: nothing to look for.
            any = any.add(request::Column::Id.is_in(Vec::<Uuid>::new()));
        }
        condition = condition.add(any);
    }
    if let Some(after) = filter.filed_after {
        condition = condition.add(request::Column::FiledAt.gte(after));
    }
    if let Some(before) = filter.filed_before {
        condition = condition.add(request::Column::FiledAt.lt(before));
    }
    Some(condition)
}

/// The request number a search names by its reference (`UP-000025`).
fn reference_number(q: &str) -> Option<i64> {
    q.trim()
        .to_uppercase()
        .strip_prefix("UP-")
        .and_then(|n| n.parse::<i64>().ok())
}

/// A searched list ranks the newest this many matches.
pub const RELEVANCE_WINDOW: usize = 1_000;

/// The deadline a list sorted by deadline orders by: the next one of an
/// open request, the resolve deadline of an answered one.
fn next_deadline_at(r: &Request) -> DateTime<Utc> {
    r.next_deadline().map(|(_, at)| at).unwrap_or(r.resolve_by)
}

pub(crate) fn request_to_row(r: &Request) -> request::ActiveModel {
    request::ActiveModel {
        next_deadline_at: Set(Some(next_deadline_at(r))),
        search_text: Set(search_text(r)),
        id: Set(r.id),
        number: Set(r.number),
        kind: Set(r.kind.as_str().to_owned()),
        category: Set(r.category.clone()),
        urgency: Set(r.urgency.as_str().to_owned()),
        channel: Set(r.channel.as_str().to_owned()),
        title: Set(r.title.clone()),
        description: Set(r.description.clone()),
        customer_expectation: Set(r.customer_expectation.clone()),
        customer_name: Set(r.customer_name.clone()),
        customer_contact: Set(r.customer_contact.clone()),
        customer_consent: Set(r.customer_consent),
        status: Set(r.status.as_str().to_owned()),
        level: Set(r.level.as_str().to_owned()),
        unit_id: Set(r.unit_id),
        team_id: Set(r.team_id),
        filed_by: Set(r.filed_by),
        assignee_id: Set(r.assignee_id),
        version: Set(r.version),
        tracking_code: Set(r.tracking_code.clone()),
        sla_acknowledge_seconds: Set(r.sla_acknowledge_seconds),
        sla_resolve_seconds: Set(r.sla_resolve_seconds),
        acknowledge_by: Set(r.acknowledge_by),
        resolve_by: Set(r.resolve_by),
        sla_breached: Set(r.sla_breached()),
        acknowledge_breached_at: Set(r.acknowledge_breached_at),
        resolve_breached_at: Set(r.resolve_breached_at),
        resolved_level: Set(r.resolved_level.map(|l| l.as_str().to_owned())),
        resolved_unit_id: Set(r.resolved_unit_id),
        resolution_note: Set(r.resolution_note.clone()),
        reopen_count: Set(r.reopen_count),
        filed_at: Set(r.filed_at),
        arrived_at: Set(r.arrived_at),
        acknowledged_at: Set(r.acknowledged_at),
        resolved_at: Set(r.resolved_at),
        closed_at: Set(r.closed_at),
        updated_at: Set(r.updated_at),
        initiative_id: Set(r.initiative_id),
    }
}

fn event_from_row(row: event::Model) -> anyhow::Result<Event> {
    Ok(Event {
        id: row.id,
        request_id: row.request_id,
        event: NewEvent {
            kind: parse("event type", &row.kind)?,
            actor_id: row.actor_id,
            from_level: parse_opt("level", row.from_level.as_deref())?,
            to_level: parse_opt("level", row.to_level.as_deref())?,
            from_status: parse_opt("status", row.from_status.as_deref())?,
            to_status: parse_opt("status", row.to_status.as_deref())?,
            note: row.note,
            internal: row.internal,
            at: row.at,
        },
    })
}

/// Open requests past a deadline at `at`: not resolved by the resolution
/// deadline, or still `new` past the acknowledgement deadline (the list's
/// `overdue` filter and the `upturn_requests_overdue` gauge).
pub(crate) fn overdue_at(at: DateTime<Utc>) -> Condition {
    // `next_deadline_at` is the nearest deadline of an open request
    // (`Request::next_deadline`): passed, the request is overdue. One range
    // of the `(status, next_deadline_at, id)` index, where "resolve by
    // passed, or new and acknowledge by passed" made SQLite gather every
    // open request twice over.
    Condition::all()
        .add(request::Column::Status.is_in(OPEN.map(Status::as_str)))
        .add(request::Column::NextDeadlineAt.lt(at))
}

/// The statuses of a request still being worked on.
pub(crate) const OPEN: [Status; 3] = [Status::New, Status::Acknowledged, Status::InProgress];

/// The row of a new event, with its fresh id.
pub(crate) fn event_row(request_id: Uuid, new: &NewEvent) -> (Uuid, event::ActiveModel) {
    let id = Uuid::now_v7();
    let row = event::ActiveModel {
        id: Set(id),
        request_id: Set(request_id),
        kind: Set(new.kind.as_str().to_owned()),
        actor_id: Set(new.actor_id),
        from_level: Set(new.from_level.map(|l| l.as_str().to_owned())),
        to_level: Set(new.to_level.map(|l| l.as_str().to_owned())),
        from_status: Set(new.from_status.map(|s| s.as_str().to_owned())),
        to_status: Set(new.to_status.map(|s| s.as_str().to_owned())),
        note: Set(new.note.clone()),
        internal: Set(new.internal),
        at: Set(new.at),
    };
    (id, row)
}

pub(crate) async fn insert_event<C: ConnectionTrait>(
    conn: &C,
    request_id: Uuid,
    new: &NewEvent,
) -> anyhow::Result<Event> {
    let (id, row) = event_row(request_id, new);
    event::Entity::insert(row)
        .exec_without_returning(conn)
        .await
        .context("Failed to insert an event")?;
    Ok(Event {
        id,
        request_id,
        event: new.clone(),
    })
}

/// Eight random bytes for a tracking code.
fn random_bytes() -> [u8; 8] {
    let random = Uuid::new_v4();
    let mut bytes = [0u8; 8];
    bytes.copy_from_slice(&random.as_bytes()[8..16]);
    // The variant bits of a v4 uuid sit in byte 8: take from the first half instead.
    bytes[0] = random.as_bytes()[0];
    bytes
}

impl Store {
    /// The SLA policy in force for an urgency (cached for a few seconds:
    /// it is read on every filing and changes rarely).
    pub async fn sla_policy(&self, urgency: Urgency) -> Result<SlaPolicy, StoreError> {
        if let Some(policy) = self.policies.get(urgency) {
            return Ok(policy);
        }
        let rows = sla_policy::Entity::find()
            .all(&self.db)
            .await
            .context("Failed to load the SLA policies")?;
        let mut policies: Vec<SlaPolicy> = Urgency::ALL
            .iter()
            .map(|u| SlaPolicy::default_for(*u))
            .collect();
        for row in rows {
            let urgency: Urgency = parse("urgency", &row.urgency)?;
            if let Some(policy) = policies.iter_mut().find(|p| p.urgency == urgency) {
                policy.acknowledge_within_seconds = row.acknowledge_within_seconds;
                policy.resolve_within_seconds = row.resolve_within_seconds;
            }
        }
        self.policies.put(policies.clone());
        Ok(policies
            .into_iter()
            .find(|p| p.urgency == urgency)
            .unwrap_or_else(|| SlaPolicy::default_for(urgency)))
    }

    /// The next request number: a sequence on PostgreSQL (no lock held
    /// until commit), a counter under the writer lock on SQLite, started from
    /// the highest number stored. A rolled-back filing leaves a gap.
    pub(crate) async fn next_request_number<C: ConnectionTrait>(
        &self,
        conn: &C,
    ) -> anyhow::Result<i64> {
        self.next_request_numbers(conn, 1)
            .await?
            .pop()
            .context("No request number")
    }

    /// `count` request numbers in one round trip.
    pub(crate) async fn next_request_numbers<C: ConnectionTrait>(
        &self,
        conn: &C,
        count: usize,
    ) -> anyhow::Result<Vec<i64>> {
        let count = i64::try_from(count).context("Too many numbers")?;
        if self.backend() == crate::store::Backend::Postgres {
            let rows = conn
                .query_all_raw(sea_orm::Statement::from_sql_and_values(
                    sea_orm::DatabaseBackend::Postgres,
                    "SELECT nextval('request_number') AS n FROM generate_series(1, $1)",
                    [count.into()],
                ))
                .await
                .context("Failed to number requests")?;
            return rows
                .iter()
                .map(|row| {
                    row.try_get::<i64>("", "n")
                        .context("Failed to read a request number")
                })
                .collect();
        }
        let cached = *self
            .last_number
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))?;
        let last = match cached {
            Some(last) => last,
            None => conn
                .query_one_raw(sea_orm::Statement::from_string(
                    sea_orm::DatabaseBackend::Sqlite,
                    "SELECT COALESCE(MAX(number), 0) AS n FROM requests",
                ))
                .await
                .context("Failed to number a request")?
                .context("No request number")?
                .try_get::<i64>("", "n")
                .context("Failed to read the request number")?,
        };
        *self
            .last_number
            .lock()
            .map_err(|_| anyhow::anyhow!("poisoned"))? = Some(last + count);
        Ok((last + 1..=last + count).collect())
    }

    /// Files one request in a transaction of its own: numbers it, gives it
    /// deadlines and (with the customer's consent) a tracking code, and
    /// writes its `filed` event. See `filing.rs` for the batched path.
    pub(crate) async fn file_one(
        &self,
        actor: &Actor,
        input: NewRequest,
        idem: Option<Idem<Request>>,
    ) -> Result<Request, StoreError> {
        let policy = self.sla_policy(input.urgency).await?;
        let tx = self.write().await?;
        let number = self.next_request_number(&*tx).await?;
        let rules = self.routing_rules().await?;
        let filing = self.filing(number, policy, &input, &rules);
        let (request, event) =
            upturn_domain::file(actor, input, filing).map_err(StoreError::Refused)?;
        let inserted = request::Entity::insert(request_to_row(&request))
            .exec_without_returning(&*tx)
            .await;
        match inserted {
            Ok(_) => {}
            // 2^40 codes: a clash is rare enough to ask the caller to retry.
            Err(error) if is_unique_violation(&error, "tracking_code") => {
                return Err(anyhow::anyhow!("tracking code clash").into());
            }
            Err(error) => {
                // Another process may have written to this SQLite file: read
                // the highest number again next time.
                self.forget_last_number();
                return Err(anyhow::Error::new(error)
                    .context("Failed to insert a request")
                    .into());
            }
        }
        let event = insert_event(&*tx, request.id, &event).await?;
        if request.unit_id != request.team_id {
            request_unit::Entity::insert(request_unit::ActiveModel {
                request_id: Set(request.id),
                unit_id: Set(request.unit_id),
            })
            .exec_without_returning(&*tx)
            .await
            .context("Failed to record a routing on filing")?;
        }
        crate::search::index(&*tx, &[&request]).await?;
        crate::metrics::record(
            &*tx,
            self.backend(),
            &[crate::metrics::Contribution::filed(&request, &[])],
            true,
        )
        .await?;
        let notice = Notice {
            request: &request,
            event: &event,
            deadline: None,
        };
        let told = fan_out(&*tx, self.backend(), &[notice]).await?;
        remember(&*tx, idem, &request, self.now()).await?;
        tx.commit().await?;
        self.wake(told);
        Ok(request)
    }

    /// The values filing takes from outside the domain.
    pub(crate) fn filing(
        &self,
        number: i64,
        policy: SlaPolicy,
        input: &NewRequest,
        rules: &[upturn_domain::routing::RoutingRule],
    ) -> Filing {
        let subject = upturn_domain::routing::Subject {
            category: input.category.as_str(),
            kind: input.kind,
            urgency: input.urgency,
            title: input.title.as_str(),
            description: input.description.as_str(),
            level: upturn_domain::model::Level::Manager,
        };
        Filing {
            id: Uuid::now_v7(),
            number,
            tracking_code: Some(tracking_code(random_bytes())),
            policy,
            now: self.now(),
            route: upturn_domain::routing::on_filing(rules, &subject)
                .map(|rule| (rule.target, rule.name.clone())),
        }
    }

    /// Forgets the SQLite request number counted in memory, so the next
    /// filing reads the highest stored number again.
    pub(crate) fn forget_last_number(&self) {
        if let Ok(mut last) = self.last_number.lock() {
            *last = None;
        }
    }

    async fn routed_units<C: ConnectionTrait>(
        &self,
        conn: &C,
        request_id: Uuid,
    ) -> anyhow::Result<Vec<Uuid>> {
        Ok(request_unit::Entity::find()
            .filter(request_unit::Column::RequestId.eq(request_id))
            .all(conn)
            .await
            .context("Failed to load the units a request was routed to")?
            .into_iter()
            .map(|row| row.unit_id)
            .collect())
    }

    async fn load<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: Uuid,
    ) -> Result<RequestRecord, StoreError> {
        self.load_with(conn, id, false).await
    }

    /// Loads a request; with `lock` (inside a write transaction) the row is
    /// locked on PostgreSQL until commit, so concurrent commands on one
    /// request queue and each decides on the state the previous one left.
    /// SQLite needs no lock: its writers are already serialised.
    pub(crate) async fn load_with<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: Uuid,
        lock: bool,
    ) -> Result<RequestRecord, StoreError> {
        let mut query = request::Entity::find_by_id(id);
        if lock && self.backend() == crate::store::Backend::Postgres {
            query = query.lock_exclusive();
        }
        let row = query
            .one(conn)
            .await
            .context("Failed to load a request")?
            .ok_or(StoreError::NotFound)?;
        Ok(RequestRecord {
            request: request_from_row(row)?,
            routed_units: self.routed_units(conn, id).await?,
        })
    }

    /// A request the actor may see, with the units it was routed to;
    /// `NotFound` otherwise.
    pub async fn record_for(&self, actor: &Actor, id: Uuid) -> Result<RequestRecord, StoreError> {
        let record = self.load(&self.db, id).await?;
        if Scope::of(actor).admits(record.request.team_id, &record.routed_units) {
            Ok(record)
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// A request the actor may see; `NotFound` otherwise.
    pub async fn request_for(&self, actor: &Actor, id: Uuid) -> Result<Request, StoreError> {
        let record = self.load(&self.db, id).await?;
        if Scope::of(actor).admits(record.request.team_id, &record.routed_units) {
            Ok(record.request)
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// The requests among `ids` the actor may see, by id, in one query (the
    /// scope is part of it, as for a list): what [`Store::request_for`]
    /// answers for each, without a query per request. Ids it may not see,
    /// or that do not exist, are left out.
    pub async fn requests_for(
        &self,
        actor: &Actor,
        ids: &[Uuid],
    ) -> Result<HashMap<Uuid, Request>, StoreError> {
        let mut ids = ids.to_vec();
        ids.sort_unstable();
        ids.dedup();
        let mut out = HashMap::with_capacity(ids.len());
        let Some(visible) = request_condition(actor, &RequestFilter::default(), self.now()) else {
            return Ok(out);
        };
        // Under PostgreSQL's limit of binds, whatever the page asks for.
        for chunk in ids.chunks(500) {
            let rows = request::Entity::find()
                .filter(visible.clone())
                .filter(request::Column::Id.is_in(chunk.to_vec()))
                .all(&self.db)
                .await
                .context("Failed to load requests by id")?;
            for row in rows {
                let request = request_from_row(row)?;
                out.insert(request.id, request);
            }
        }
        Ok(out)
    }

    /// Carries out a command on a request in one transaction: the change,
    /// its event and the version bump together.
    #[tracing::instrument(skip(self, command, idem), fields(actor = %actor.id))]
    pub async fn apply(
        &self,
        actor: &Actor,
        id: Uuid,
        command: Command,
        expect: Expectation,
        idem: Option<Idem<(Request, Event)>>,
    ) -> Result<(Request, Event), StoreError> {
        let tx = self.write().await?;
        let RequestRecord {
            request,
            routed_units,
        } = self.load_with(&*tx, id, true).await?;
        if !Scope::of(actor).admits(request.team_id, &routed_units) {
            return Err(StoreError::NotFound);
        }
        check_version(request.version, expect.if_match, expect.version)?;
        let outcome = upturn_domain::decide(&request, &routed_units, actor, command, self.now())
            .map_err(StoreError::Refused)?;
        let mut row = request_to_row(&outcome.request);
        row.id = sea_orm::ActiveValue::NotSet;
        let changed = request::Entity::update_many()
            .set(row)
            .filter(request::Column::Id.eq(id))
            .filter(request::Column::Version.eq(request.version))
            .exec(&*tx)
            .await
            .context("Failed to update a request")?;
        if changed.rows_affected != 1 {
            return Err(StoreError::VersionConflict {
                current: request.version,
            });
        }
        let event = insert_event(&*tx, id, &outcome.event).await?;
        if let Some(unit_id) = outcome.routed_to
            && !routed_units.contains(&unit_id)
        {
            request_unit::Entity::insert(request_unit::ActiveModel {
                request_id: Set(id),
                unit_id: Set(unit_id),
            })
            .exec_without_returning(&*tx)
            .await
            .context("Failed to record a routing")?;
        }
        if let Some(input) = &outcome.follow_up {
            follow_up::Entity::insert(follow_up::ActiveModel {
                id: Set(Uuid::now_v7()),
                request_id: Set(id),
                event_id: Set(event.id),
                customer_reached: Set(input.customer_reached),
                satisfaction: Set(input.satisfaction.map(|s| i16::from(s.get()))),
                would_recommend: Set(input.would_recommend.map(|w| i16::from(w.get()))),
                note: Set(input.note.as_ref().map(|n| n.as_str().to_owned())),
                reopen: Set(input.reopen),
                recorded_by: Set(actor.id),
                at: Set(event.event.at),
            })
            .exec_without_returning(&*tx)
            .await
            .context("Failed to record a follow-up")?;
        }
        let mut units = routed_units;
        if let Some(unit_id) = outcome.routed_to {
            units.push(unit_id);
        }
        self.record_metrics(&*tx, &outcome.request, &units).await?;
        // Its status or consent may move an initiative it is linked to.
        crate::initiatives::refresh_demand(
            &*tx,
            self.backend(),
            crate::initiatives::DemandOf::Request(outcome.request.id),
        )
        .await?;
        let answer = (outcome.request, event);
        let notice = Notice {
            request: &answer.0,
            event: &answer.1,
            deadline: None,
        };
        let told = fan_out(&*tx, self.backend(), &[notice]).await?;
        remember(&*tx, idem, &answer, self.now()).await?;
        tx.commit().await?;
        self.wake(told);
        Ok(answer)
    }

    /// The requests the actor may see, newest first, filtered.
    pub async fn list_requests(
        &self,
        actor: &Actor,
        filter: &RequestFilter,
        cursor: Option<&str>,
        limit: u64,
    ) -> Result<Page<Request>, StoreError> {
        let bad_cursor = || StoreError::invalid("cursor", "is not a cursor this list gave");
        let none = || Page {
            items: vec![],
            next_cursor: None,
        };
        if let (Some(q), RequestSort::Newest) = (&filter.q, filter.sort) {
            let words = upturn_domain::search::query_words(q);
            if !words.is_empty() {
                let unsearched = RequestFilter {
                    q: None,
                    ..filter.clone()
                };
                let Some(condition) = request_condition(actor, &unsearched, self.now()) else {
                    return Ok(none());
                };
                return self
                    .list_by_relevance(condition, &words, reference_number(q), cursor, limit)
                    .await;
            }
        }
        let Some(mut condition) = request_condition(actor, filter, self.now()) else {
            return Ok(none());
        };
        let mut query = request::Entity::find();
        match filter.sort {
            RequestSort::Newest => {
                if let Some(cursor) = cursor {
                    let id = Uuid::parse_str(cursor).map_err(|_| bad_cursor())?;
                    condition = condition.add(request::Column::Id.lt(id));
                }
                query = query.order_by_desc(request::Column::Id);
            }
            RequestSort::Deadline => {
                if let Some(cursor) = cursor {
                    let (micros, id) = cursor.split_once('_').ok_or_else(bad_cursor)?;
                    let at = micros
                        .parse::<i64>()
                        .ok()
                        .and_then(DateTime::<Utc>::from_timestamp_micros)
                        .ok_or_else(bad_cursor)?;
                    let id = Uuid::parse_str(id).map_err(|_| bad_cursor())?;
                    condition = condition.add(
                        Condition::any()
                            .add(request::Column::NextDeadlineAt.gt(at))
                            .add(
                                Condition::all()
                                    .add(request::Column::NextDeadlineAt.eq(at))
                                    .add(request::Column::Id.gt(id)),
                            ),
                    );
                }
                query = query
                    .order_by_asc(request::Column::NextDeadlineAt)
                    .order_by_asc(request::Column::Id);
            }
        }
        // The page's ids first, then their rows: where an index answers the
        // filter, the database sorts ids, not whole rows (to show 50 overdue
        // requests it sorted every overdue request's row).
        let ids: Vec<Uuid> = query
            .select_only()
            .column(request::Column::Id)
            .filter(condition)
            .limit(limit + 1)
            .into_tuple()
            .all(&self.db)
            .await
            .context("Failed to list requests")?;
        let items = self.requests_in_order(&ids).await?;
        let sort = filter.sort;
        Ok(Page::from_overfetch(items, limit, move |r| match sort {
            RequestSort::Newest => r.id.to_string(),
            RequestSort::Deadline => format!("{}_{}", next_deadline_at(r).timestamp_micros(), r.id),
        }))
    }

    /// A searched list, most relevant first (then newest): the request
    /// the search names by its reference, if any, then the newest
    /// [`RELEVANCE_WINDOW`] requests that match every word, ranked by
    /// `upturn_domain::search::relevance`; the cursor is the position of
    /// the next page in that ranking (`r<offset>`).
    async fn list_by_relevance(
        &self,
        condition: Condition,
        words: &[upturn_domain::search::QueryWord],
        reference: Option<i64>,
        cursor: Option<&str>,
        limit: u64,
    ) -> Result<Page<Request>, StoreError> {
        let offset = match cursor {
            None => 0,
            Some(cursor) => cursor
                .strip_prefix('r')
                .and_then(|n| n.parse::<usize>().ok())
                .ok_or_else(|| StoreError::invalid("cursor", "is not a cursor this list gave"))?,
        };
        let named: Option<Uuid> = match reference {
            None => None,
            Some(number) => request::Entity::find()
                .select_only()
                .column(request::Column::Id)
                .filter(condition.clone())
                .filter(request::Column::Number.eq(number))
                .into_tuple()
                .one(&self.db)
                .await
                .context("Failed to find a request by its reference")?,
        };
        let reader = search_reader(&self.db).await?;
        let mut found =
            newest_with_words(&reader, words, Needed::Every, condition, RELEVANCE_WINDOW).await?;
        reader.commit().await.context("Failed to end a search")?;
        found.retain(|f| Some(f.id) != named);
        let ranked: Vec<Uuid> = named
            .into_iter()
            .chain(self.rank(words, found).await?)
            .collect();
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        let page: Vec<Uuid> = ranked.iter().skip(offset).take(limit).copied().collect();
        let next_cursor =
            (ranked.len() > offset + page.len()).then(|| format!("r{}", offset + page.len()));
        Ok(Page {
            items: self.requests_in_order(&page).await?,
            next_cursor,
        })
    }

    /// The requests of `ids`, in that order.
    async fn requests_in_order(&self, ids: &[Uuid]) -> anyhow::Result<Vec<Request>> {
        let mut rows: HashMap<Uuid, Request> = request::Entity::find()
            .filter(request::Column::Id.is_in(ids.iter().copied()))
            .all(&self.db)
            .await
            .context("Failed to load listed requests")?
            .into_iter()
            .map(|row| request_from_row(row).map(|r| (r.id, r)))
            .collect::<anyhow::Result<_>>()?;
        Ok(ids.iter().filter_map(|id| rows.remove(id)).collect())
    }

    /// What a search found, most relevant to `words` first, then newest
    /// first.
    async fn rank(
        &self,
        words: &[upturn_domain::search::QueryWord],
        found: Vec<Found>,
    ) -> anyhow::Result<Vec<Uuid>> {
        let rarities = self.rarities(words).await?;
        let mut scored: Vec<(f64, Uuid)> = found
            .into_iter()
            .map(|f| (upturn_domain::search::relevance(&rarities, &f.fields), f.id))
            .collect();
        scored.sort_by(|(a, ida), (b, idb)| b.total_cmp(a).then_with(|| idb.cmp(ida)));
        Ok(scored.into_iter().map(|(_, id)| id).collect())
    }

    /// The timeline of a request the actor may see, oldest first.
    pub async fn events_for(
        &self,
        actor: &Actor,
        id: Uuid,
        after: Option<Uuid>,
        limit: u64,
    ) -> Result<Page<Event>, StoreError> {
        self.request_for(actor, id).await?;
        let query = event::Entity::find().filter(event::Column::RequestId.eq(id));
        let rows = keyset_page(query, event::Column::Id, Along::Up, after, limit)
            .all(&self.db)
            .await
            .context("Failed to load a timeline")?;
        let items = rows
            .into_iter()
            .map(event_from_row)
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Page::from_overfetch(items, limit, |e| e.id.to_string()))
    }

    /// One event of a request the actor may see.
    pub async fn event_for(
        &self,
        actor: &Actor,
        request_id: Uuid,
        event_id: Uuid,
    ) -> Result<Event, StoreError> {
        self.request_for(actor, request_id).await?;
        let row = event::Entity::find_by_id(event_id)
            .filter(event::Column::RequestId.eq(request_id))
            .one(&self.db)
            .await
            .context("Failed to load an event")?
            .ok_or(StoreError::NotFound)?;
        Ok(event_from_row(row)?)
    }

    /// The request behind a customer's tracking code, with its public history.
    pub async fn tracked(&self, code: &str) -> Result<TrackedRequest, StoreError> {
        let row = request::Entity::find()
            .filter(request::Column::TrackingCode.eq(code))
            .one(&self.db)
            .await
            .context("Failed to look up a tracking code")?
            .ok_or(StoreError::NotFound)?;
        let request = request_from_row(row)?;
        let events = event::Entity::find()
            .filter(event::Column::RequestId.eq(request.id))
            .filter(event::Column::ToStatus.is_not_null())
            .order_by_asc(event::Column::Id)
            .all(&self.db)
            .await
            .context("Failed to load a public history")?;
        let mut history: Vec<(Status, DateTime<Utc>)> = Vec::new();
        for row in events {
            let Some(status) = parse_opt::<Status>("status", row.to_status.as_deref())? else {
                continue;
            };
            // Only changes of status are public: not comments, not routing
            // between units (a routed request is `new` again, which the
            // customer sees as "in progress" having restarted).
            if history.last().map(|(last, _)| *last) != Some(status) {
                history.push((status, row.at));
            }
        }
        let initiative = match request.initiative_id {
            Some(id) => self.public_initiative(id).await?,
            None => None,
        };
        Ok(TrackedRequest {
            request,
            history,
            initiative,
        })
    }
}
