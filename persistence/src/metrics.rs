//! The metric roll-ups (decision 0006) and the queries that read them.
//!
//! Writing: every change to a request recomputes that request's facts with
//! the domain's [`facts_of`] and [`Counts::of`], replaces its rows in
//! `metric_facts` (one per unit that sees it, plus the whole organisation
//! under the nil id) and moves the sums in `metric_days` and
//! `metric_histogram` by the difference, all in the change's transaction.
//!
//! Reading: whole UTC days come from the sums, the ragged ends of a window
//! from `metric_facts`; percentiles find their bucket in the histogram and
//! read the exact value inside it. The formulas stay in the domain.

use std::collections::{BTreeMap, BTreeSet};

use anyhow::Context;
use chrono::{DateTime, Utc};
use futures_util::StreamExt;
use sea_orm::{
    AccessMode, ConnectionTrait, DatabaseBackend, IsolationLevel, QueryResult, Statement,
    StreamTrait, TransactionTrait, Value,
};
use upturn_domain::lifecycle::Request;
use upturn_domain::metrics::{
    AgeStats, FollowUpFacts, MEDIAN, Overview, P90, RequestFacts, SilentMultiplier, Spread,
    TimelineStep, Window, age, facts_of,
};
use upturn_domain::model::{EventType, Status};
use upturn_domain::rollup::{
    Counts, TALLIES, bucket, day_of, locate, overview_from_parts, rank, split,
};
use upturn_domain::values::{Satisfaction, WouldRecommend};
use uuid::Uuid;

use crate::error::StoreError;
use crate::store::{Backend, Store};

/// The scope that stands for the whole organisation.
pub const ORGANISATION: Uuid = Uuid::nil();

/// Which duration a histogram counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Measure {
    Acknowledge = 0,
    Resolve = 1,
}

impl Measure {
    fn column(self) -> &'static str {
        match self {
            Measure::Acknowledge => "ack",
            Measure::Resolve => "resolve",
        }
    }
}

/// Rows of these sizes keep a statement under PostgreSQL's 65,535 binds.
const CHUNK: usize = 500;

/// `?` placeholders as the backend spells them.
pub(crate) fn statement(backend: Backend, sql: &str, values: Vec<Value>) -> Statement {
    match backend {
        Backend::Sqlite => Statement::from_sql_and_values(DatabaseBackend::Sqlite, sql, values),
        Backend::Postgres => {
            let mut out = String::with_capacity(sql.len() + 16);
            let mut n = 0;
            for c in sql.chars() {
                if c == '?' {
                    n += 1;
                    out.push('$');
                    out.push_str(&n.to_string());
                } else {
                    out.push(c);
                }
            }
            Statement::from_sql_and_values(DatabaseBackend::Postgres, out, values)
        }
    }
}

fn placeholders(n: usize) -> String {
    let mut s = "?,".repeat(n);
    s.pop();
    s
}

fn signed(value: u64) -> i64 {
    i64::try_from(value).unwrap_or(i64::MAX)
}

fn unsigned(value: i64) -> u64 {
    u64::try_from(value).unwrap_or(0)
}

// ─────────────────────────────────────────────────────────────── writing

/// One request's facts and every scope they count in.
pub(crate) struct Contribution {
    pub request_id: Uuid,
    pub filed_at: DateTime<Utc>,
    pub category: String,
    pub scopes: BTreeSet<Uuid>,
    pub facts: RequestFacts,
}

impl Contribution {
    /// `routed_units` are the units the request was ever routed to.
    pub(crate) fn new(request: &Request, routed_units: &[Uuid], facts: RequestFacts) -> Self {
        let mut scopes: BTreeSet<Uuid> = routed_units.iter().copied().collect();
        scopes.insert(ORGANISATION);
        scopes.insert(request.team_id);
        scopes.insert(request.unit_id);
        Contribution {
            request_id: request.id,
            filed_at: request.filed_at,
            category: request.category.clone(),
            scopes,
            facts,
        }
    }

    /// A request just filed: its timeline is its `filed` event.
    pub(crate) fn filed(request: &Request, routed_units: &[Uuid]) -> Self {
        let timeline = [TimelineStep {
            kind: EventType::Filed,
            from_status: None,
            at: request.filed_at,
        }];
        Contribution::new(request, routed_units, facts_of(request, &timeline, vec![]))
    }
}

type Timelines = BTreeMap<Uuid, (Vec<TimelineStep>, Vec<FollowUpFacts>)>;

async fn load_timelines<C: ConnectionTrait>(
    conn: &C,
    backend: Backend,
    ids: &[Uuid],
) -> anyhow::Result<Timelines> {
    let mut out = Timelines::new();
    for chunk in ids.chunks(CHUNK) {
        let values: Vec<Value> = chunk.iter().map(|id| Value::from(*id)).collect();
        let rows = conn
            .query_all_raw(statement(
                backend,
                &format!(
                    "SELECT request_id, type, from_status, at FROM events \
                     WHERE request_id IN ({}) ORDER BY at, id",
                    placeholders(chunk.len())
                ),
                values.clone(),
            ))
            .await
            .context("Failed to load timelines for the metrics")?;
        for row in rows {
            let id: Uuid = row.try_get("", "request_id")?;
            let kind: String = row.try_get("", "type")?;
            let from_status: Option<String> = row.try_get("", "from_status")?;
            let step = TimelineStep {
                kind: kind
                    .parse()
                    .map_err(|_| anyhow::anyhow!("unknown event type {kind}"))?,
                from_status: from_status.and_then(|s| s.parse::<Status>().ok()),
                at: row.try_get("", "at")?,
            };
            out.entry(id).or_default().0.push(step);
        }
        let rows = conn
            .query_all_raw(statement(
                backend,
                &format!(
                    "SELECT request_id, customer_reached, satisfaction, would_recommend, reopen \
                     FROM follow_ups WHERE request_id IN ({}) ORDER BY at, id",
                    placeholders(chunk.len())
                ),
                values,
            ))
            .await
            .context("Failed to load follow-ups for the metrics")?;
        for row in rows {
            let id: Uuid = row.try_get("", "request_id")?;
            let satisfaction: Option<i16> = row.try_get("", "satisfaction")?;
            let would_recommend: Option<i16> = row.try_get("", "would_recommend")?;
            let follow_up = FollowUpFacts {
                reached: row.try_get("", "customer_reached")?,
                satisfaction: satisfaction
                    .and_then(|s| Satisfaction::new("satisfaction", i64::from(s)).ok()),
                would_recommend: would_recommend
                    .and_then(|w| WouldRecommend::new("would_recommend", i64::from(w)).ok()),
                reopened: row.try_get("", "reopen")?,
            };
            out.entry(id).or_default().1.push(follow_up);
        }
    }
    Ok(out)
}

/// The contributions of stored requests: their timelines, follow-ups and
/// routings loaded in a few queries, their facts computed by the domain.
async fn contributions<C: ConnectionTrait>(
    conn: &C,
    backend: Backend,
    rows: Vec<crate::entities::request::Model>,
) -> anyhow::Result<Vec<Contribution>> {
    use crate::entities::request_unit;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
    let ids: Vec<Uuid> = rows.iter().map(|r| r.id).collect();
    let mut routed: BTreeMap<Uuid, Vec<Uuid>> = BTreeMap::new();
    for chunk in ids.chunks(CHUNK) {
        for r in request_unit::Entity::find()
            .filter(request_unit::Column::RequestId.is_in(chunk.to_vec()))
            .all(conn)
            .await
            .context("Failed to read routings for the metrics")?
        {
            routed.entry(r.request_id).or_default().push(r.unit_id);
        }
    }
    let requests = rows
        .into_iter()
        .map(|row| {
            let request = crate::requests::request_from_row(row)?;
            let units = routed.remove(&request.id).unwrap_or_default();
            anyhow::Ok((request, units))
        })
        .collect::<anyhow::Result<Vec<_>>>()?;
    let with_units: Vec<(&Request, &[Uuid])> = requests
        .iter()
        .map(|(request, units)| (request, units.as_slice()))
        .collect();
    contributions_of(conn, backend, &with_units).await
}

/// The contributions of requests changed in the caller's transaction
/// (their events already written), with the units each was ever routed to:
/// every timeline loaded in a few queries.
pub(crate) async fn contributions_of<C: ConnectionTrait>(
    conn: &C,
    backend: Backend,
    requests: &[(&Request, &[Uuid])],
) -> anyhow::Result<Vec<Contribution>> {
    let ids: Vec<Uuid> = requests.iter().map(|(r, _)| r.id).collect();
    let mut timelines = load_timelines(conn, backend, &ids).await?;
    Ok(requests
        .iter()
        .map(|(request, units)| {
            let (timeline, follow_ups) = timelines.remove(&request.id).unwrap_or_default();
            Contribution::new(request, units, facts_of(request, &timeline, follow_ups))
        })
        .collect())
}

/// What a request's rows in `metric_facts` hold, for the sums to move.
struct Row {
    scope: Uuid,
    day: i64,
    category: String,
    ack_bucket: Option<i64>,
    resolve_bucket: Option<i64>,
    counts: Counts,
}

fn durations(facts: &RequestFacts) -> (Option<i64>, Option<i64>) {
    let ack = facts.acknowledge_seconds.map(|s| s.max(0));
    let resolve = facts.answer.and_then(|a| match a.kind {
        upturn_domain::metrics::AnswerKind::Resolved => Some(a.after_seconds.max(0)),
        upturn_domain::metrics::AnswerKind::Declined => None,
    });
    (ack, resolve)
}

type DayKey = (Uuid, i64, String);
type BucketKey = (Uuid, Measure, i64, i64);

#[derive(Default)]
struct Deltas {
    days: BTreeMap<DayKey, [i64; TALLIES]>,
    buckets: BTreeMap<BucketKey, i64>,
}

impl Deltas {
    fn add(&mut self, row: &Row, sign: i64) {
        let key = (row.scope, row.day, row.category.clone());
        let sums = self.days.entry(key).or_insert([0; TALLIES]);
        for (slot, value) in sums.iter_mut().zip(row.counts.to_array()) {
            *slot += sign * signed(value);
        }
        for (measure, b) in [
            (Measure::Acknowledge, row.ack_bucket),
            (Measure::Resolve, row.resolve_bucket),
        ] {
            if let Some(b) = b {
                *self
                    .buckets
                    .entry((row.scope, measure, row.day, b))
                    .or_default() += sign;
            }
        }
    }
}

/// Replaces the facts of these requests and moves the sums by the
/// difference. `fresh`: the requests were just filed and have no rows yet.
pub(crate) async fn record<C: ConnectionTrait>(
    conn: &C,
    backend: Backend,
    contributions: &[Contribution],
    fresh: bool,
) -> anyhow::Result<()> {
    if contributions.is_empty() {
        return Ok(());
    }
    let mut deltas = Deltas::default();
    if !fresh {
        let ids: Vec<Uuid> = contributions.iter().map(|c| c.request_id).collect();
        for chunk in ids.chunks(CHUNK) {
            let values: Vec<Value> = chunk.iter().map(|id| Value::from(*id)).collect();
            let rows = conn
                .query_all_raw(statement(
                    backend,
                    &format!(
                        "SELECT scope_id, day, category, ack_bucket, resolve_bucket, {} \
                         FROM metric_facts WHERE request_id IN ({})",
                        Counts::NAMES.join(", "),
                        placeholders(chunk.len())
                    ),
                    values.clone(),
                ))
                .await
                .context("Failed to read the metric facts of a request")?;
            for row in rows {
                let old = Row {
                    scope: row.try_get("", "scope_id")?,
                    day: row.try_get("", "day")?,
                    category: row.try_get("", "category")?,
                    ack_bucket: row.try_get("", "ack_bucket")?,
                    resolve_bucket: row.try_get("", "resolve_bucket")?,
                    counts: read_counts(&row, "")?,
                };
                deltas.add(&old, -1);
            }
            conn.execute_raw(statement(
                backend,
                &format!(
                    "DELETE FROM metric_facts WHERE request_id IN ({})",
                    placeholders(chunk.len())
                ),
                values,
            ))
            .await
            .context("Failed to clear the metric facts of a request")?;
        }
    }
    let mut inserts: Vec<Vec<Value>> = Vec::new();
    for c in contributions {
        let counts = Counts::of(&c.facts);
        let (ack, resolve) = durations(&c.facts);
        let day = day_of(c.filed_at);
        for scope in &c.scopes {
            let row = Row {
                scope: *scope,
                day,
                category: c.category.clone(),
                ack_bucket: ack.map(bucket),
                resolve_bucket: resolve.map(bucket),
                counts,
            };
            deltas.add(&row, 1);
            let mut values = vec![
                Value::from(c.request_id),
                Value::from(*scope),
                Value::from(c.filed_at),
                Value::from(day),
                Value::from(c.category.clone()),
                Value::from(c.facts.status.is_open()),
                Value::from(ack),
                Value::from(row.ack_bucket),
                Value::from(resolve),
                Value::from(row.resolve_bucket),
            ];
            values.extend(
                counts
                    .to_array()
                    .into_iter()
                    .map(|v| Value::from(signed(v))),
            );
            inserts.push(values);
        }
    }
    let columns = format!(
        "request_id, scope_id, filed_at, day, category, is_open, ack_seconds, ack_bucket, \
         resolve_seconds, resolve_bucket, {}",
        Counts::NAMES.join(", ")
    );
    insert_rows(conn, backend, "metric_facts", &columns, inserts, "").await?;

    let names = Counts::NAMES;
    let day_rows: Vec<Vec<Value>> = deltas
        .days
        .into_iter()
        .filter(|(_, sums)| sums.iter().any(|v| *v != 0))
        .map(|((scope, day, category), sums)| {
            let mut values = vec![Value::from(scope), Value::from(day), Value::from(category)];
            values.extend(sums.into_iter().map(Value::from));
            values
        })
        .collect();
    let update = names
        .iter()
        .map(|n| format!("{n} = metric_days.{n} + excluded.{n}"))
        .collect::<Vec<_>>()
        .join(", ");
    insert_rows(
        conn,
        backend,
        "metric_days",
        &format!("scope_id, day, category, {}", names.join(", ")),
        day_rows,
        &format!(" ON CONFLICT (scope_id, day, category) DO UPDATE SET {update}"),
    )
    .await?;
    let bucket_rows: Vec<Vec<Value>> = deltas
        .buckets
        .into_iter()
        .filter(|(_, n)| *n != 0)
        .map(|((scope, measure, day, b), n)| {
            vec![
                Value::from(scope),
                Value::from(measure as i16),
                Value::from(day),
                Value::from(b),
                Value::from(n),
            ]
        })
        .collect();
    insert_rows(
        conn,
        backend,
        "metric_histogram",
        "scope_id, measure, day, bucket, count",
        bucket_rows,
        " ON CONFLICT (scope_id, measure, day, bucket) \
         DO UPDATE SET count = metric_histogram.count + excluded.count",
    )
    .await
}

/// Multi-row INSERT in chunks, with an optional `ON CONFLICT` tail. Rows
/// arrive sorted by key, so concurrent writers lock rows in one order.
async fn insert_rows<C: ConnectionTrait>(
    conn: &C,
    backend: Backend,
    table: &str,
    columns: &str,
    rows: Vec<Vec<Value>>,
    tail: &str,
) -> anyhow::Result<()> {
    let Some(width) = rows.first().map(Vec::len) else {
        return Ok(());
    };
    let per_statement = (60_000 / width).clamp(1, CHUNK);
    let one = format!("({})", placeholders(width));
    let mut rows = rows.into_iter().peekable();
    while rows.peek().is_some() {
        let chunk: Vec<Vec<Value>> = rows.by_ref().take(per_statement).collect();
        let tuples = vec![one.as_str(); chunk.len()].join(", ");
        let values: Vec<Value> = chunk.into_iter().flatten().collect();
        conn.execute_raw(statement(
            backend,
            &format!("INSERT INTO {table} ({columns}) VALUES {tuples}{tail}"),
            values,
        ))
        .await
        .with_context(|| format!("Failed to write {table}"))?;
    }
    Ok(())
}

fn read_counts(row: &QueryResult, prefix: &str) -> anyhow::Result<Counts> {
    let mut values = [0_u64; TALLIES];
    for (slot, name) in values.iter_mut().zip(Counts::NAMES) {
        // SUM over no rows is NULL; SUM of BIGINT is NUMERIC on PostgreSQL,
        // cast back to BIGINT by the queries.
        let value: Option<i64> = row.try_get(prefix, name)?;
        *slot = unsigned(value.unwrap_or(0));
    }
    Ok(Counts::from_array(values))
}

impl Store {
    /// Recomputes the facts of one stored request inside `conn`'s
    /// transaction (after a change) and moves the sums.
    pub(crate) async fn record_metrics<C: ConnectionTrait>(
        &self,
        conn: &C,
        request: &Request,
        routed_units: &[Uuid],
    ) -> anyhow::Result<()> {
        let contributions =
            contributions_of(conn, self.backend(), &[(request, routed_units)]).await?;
        record(conn, self.backend(), &contributions, false).await
    }

    /// Builds the roll-ups from the requests when there are requests and no
    /// roll-ups (a database that predates them, or one seeded directly).
    pub async fn rebuild_metrics_if_missing(&self) -> anyhow::Result<u64> {
        let has = |sql: &'static str| async move {
            let row = self
                .db
                .query_one_raw(statement(self.backend(), sql, vec![]))
                .await
                .context("Failed to look for metric roll-ups")?;
            anyhow::Ok(row.is_some())
        };
        if has("SELECT 1 AS one FROM metric_facts LIMIT 1").await?
            || !has("SELECT 1 AS one FROM requests LIMIT 1").await?
        {
            return Ok(0);
        }
        self.rebuild_metrics().await
    }

    /// Throws the roll-ups away and builds them again from the requests, in
    /// transactions of 1,000 requests. For a database whose roll-ups are
    /// missing, and for tests that compare both ways of getting there.
    pub async fn rebuild_metrics(&self) -> anyhow::Result<u64> {
        tracing::info!("Building the metric roll-ups from the stored requests");
        {
            let tx = self.write().await?;
            for table in ["metric_facts", "metric_days", "metric_histogram"] {
                tx.execute_unprepared(&format!("DELETE FROM {table}"))
                    .await
                    .with_context(|| format!("Failed to clear {table}"))?;
            }
            tx.commit().await?;
        }
        let mut after: Option<Uuid> = None;
        let mut done = 0_u64;
        loop {
            let tx = self.write().await?;
            let mut query = crate::entities::request::Entity::find();
            use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};
            if let Some(after) = after {
                query = query.filter(crate::entities::request::Column::Id.gt(after));
            }
            let rows = query
                .order_by_asc(crate::entities::request::Column::Id)
                .limit(1_000)
                .all(&*tx)
                .await
                .context("Failed to read requests for the metrics")?;
            let Some(last) = rows.last().map(|r| r.id) else {
                break;
            };
            let contributions = contributions(&*tx, self.backend(), rows).await?;
            done += contributions.len() as u64;
            record(&*tx, self.backend(), &contributions, true).await?;
            tx.commit().await?;
            after = Some(last);
        }
        tracing::info!(requests = done, "Metric roll-ups built");
        Ok(done)
    }
}

// ─────────────────────────────────────────────────────────────── reading

/// How much of an overview a reader needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    /// Every figure: the percentiles of the durations and the backlog's
    /// ages included.
    Full,
    /// The figures that are sums or ratios of sums (volumes, shares,
    /// rates, means, NPS); percentiles and ages stay empty. They read the
    /// roll-ups only, where each percentile or age reads the facts.
    Sums,
}

/// What a set of figures is computed over.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricsQuery {
    pub window: Window,
    /// A unit's scope (filed by that team or ever routed to that unit), or
    /// `None` for the whole organisation.
    pub unit_id: Option<Uuid>,
    pub category: Option<String>,
}

impl Store {
    /// The same figures the slow way, as the definition says them: every
    /// request of the query loaded and handed to the domain's
    /// [`upturn_domain::metrics::overview`]. For tests and consistency
    /// checks; the API reads the roll-ups.
    pub async fn metrics_from_requests(
        &self,
        query: &MetricsQuery,
        now: DateTime<Utc>,
        multiplier: SilentMultiplier,
    ) -> Result<Overview, StoreError> {
        use crate::entities::request;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
        let rows = request::Entity::find()
            .filter(request::Column::FiledAt.gte(query.window.from()))
            .filter(request::Column::FiledAt.lt(query.window.to()))
            .all(&self.db)
            .await
            .context("Failed to load requests")?;
        let scope = query.unit_id.unwrap_or(ORGANISATION);
        let facts: Vec<RequestFacts> = contributions(&self.db, self.backend(), rows)
            .await?
            .into_iter()
            .filter(|c| c.scopes.contains(&scope))
            .filter(|c| query.category.as_deref().is_none_or(|k| k == c.category))
            .map(|c| c.facts)
            .collect();
        Ok(upturn_domain::metrics::overview(&facts, now, multiplier))
    }
}

/// A read-only snapshot: every query of one answer sees the same state.
pub(crate) async fn snapshot(store: &Store) -> anyhow::Result<sea_orm::DatabaseTransaction> {
    let tx = match store.backend() {
        Backend::Postgres => {
            store
                .db
                .begin_with_config(
                    Some(IsolationLevel::RepeatableRead),
                    Some(AccessMode::ReadOnly),
                )
                .await
        }
        Backend::Sqlite => store.db.begin().await,
    };
    tx.context("Failed to open a read transaction")
}

/// The filters shared by every query on one query's facts.
struct Filter<'a> {
    backend: Backend,
    scope: Uuid,
    category: Option<&'a str>,
}

impl Filter<'_> {
    /// ` AND category = ?` when filtered, with its value.
    fn category(&self, values: &mut Vec<Value>) -> &'static str {
        match self.category {
            Some(c) => {
                values.push(Value::from(c.to_owned()));
                " AND category = ?"
            }
            None => "",
        }
    }
}

fn sums() -> String {
    Counts::NAMES
        .iter()
        .map(|n| format!("CAST(SUM({n}) AS BIGINT) AS {n}"))
        .collect::<Vec<_>>()
        .join(", ")
}

impl Store {
    /// Every overview figure over one query. `now` ages the backlog.
    pub async fn metrics(
        &self,
        query: &MetricsQuery,
        now: DateTime<Utc>,
        multiplier: SilentMultiplier,
    ) -> Result<Overview, StoreError> {
        let mut each = self
            .metrics_each(std::slice::from_ref(query), now, multiplier, Detail::Full)
            .await?;
        each.pop()
            .ok_or_else(|| anyhow::anyhow!("no figures for a query").into())
    }

    /// The overview of each query, all read from one snapshot (a trend's
    /// weeks, each unit of a page), so the figures agree with each other.
    pub async fn metrics_each(
        &self,
        queries: &[MetricsQuery],
        now: DateTime<Utc>,
        multiplier: SilentMultiplier,
        detail: Detail,
    ) -> Result<Vec<Overview>, StoreError> {
        let tx = snapshot(self).await?;
        let mut out = Vec::with_capacity(queries.len());
        for query in queries {
            let filter = Filter {
                backend: self.backend(),
                scope: query.unit_id.unwrap_or(ORGANISATION),
                category: query.category.as_deref(),
            };
            out.push(overview_in(&tx, &filter, query.window, now, multiplier, detail).await?);
        }
        tx.commit().await.context("Failed to end a metrics read")?;
        Ok(out)
    }

    /// The overview of each category that has requests in the window, plus
    /// each of `categories` (which show with their empty figures). The sums
    /// come from the roll-ups as for one overview; the percentiles from one
    /// pass over the window's facts, grouped here (the histograms are kept
    /// across categories), unless only the sums are asked for.
    pub async fn metrics_by_category(
        &self,
        query: &MetricsQuery,
        categories: &[String],
        now: DateTime<Utc>,
        multiplier: SilentMultiplier,
        detail: Detail,
    ) -> Result<Vec<(String, Overview)>, StoreError> {
        let tx = snapshot(self).await?;
        let all = Filter {
            backend: self.backend(),
            scope: query.unit_id.unwrap_or(ORGANISATION),
            category: None,
        };
        let counts = counts_by_category(&tx, &all, query.window).await?;
        let mut values = match detail {
            Detail::Full => values_by_category(&tx, &all, query.window, now).await?,
            Detail::Sums => BTreeMap::new(),
        };
        tx.commit().await.context("Failed to end a metrics read")?;
        let mut names: BTreeSet<String> = categories.iter().cloned().collect();
        names.extend(counts.keys().cloned());
        Ok(names
            .into_iter()
            .map(|name| {
                let counts = counts.get(&name).copied().unwrap_or_default();
                let volume: BTreeMap<String, u64> = [(name.clone(), counts.total)]
                    .into_iter()
                    .filter(|(_, total)| *total > 0)
                    .collect();
                let values = values.remove(&name).unwrap_or_default();
                let overview = overview_from_parts(
                    &counts,
                    &volume,
                    AgeStats::of(&values.open_ages),
                    Spread::of(&values.acknowledge),
                    Spread::of(&values.resolve),
                    multiplier,
                );
                (name, overview)
            })
            .collect())
    }
}

/// One category's durations and open requests' ages in a window.
#[derive(Default)]
struct Values {
    open_ages: Vec<i64>,
    acknowledge: Vec<i64>,
    resolve: Vec<i64>,
}

/// The window's facts in one pass, grouped by category. Rows are streamed:
/// only the values stay in memory (a few bytes per request).
async fn values_by_category<C: ConnectionTrait + StreamTrait>(
    conn: &C,
    filter: &Filter<'_>,
    window: Window,
    now: DateTime<Utc>,
) -> anyhow::Result<BTreeMap<String, Values>> {
    let rows = conn
        .stream_raw(statement(
            filter.backend,
            "SELECT category, is_open, filed_at, ack_seconds, resolve_seconds \
             FROM metric_facts WHERE scope_id = ? AND filed_at >= ? AND filed_at < ?",
            vec![
                Value::from(filter.scope),
                Value::from(window.from()),
                Value::from(window.to()),
            ],
        ))
        .await
        .context("Failed to read the facts of a window")?;
    let mut rows = std::pin::pin!(rows);
    let mut out: BTreeMap<String, Values> = BTreeMap::new();
    while let Some(row) = rows.next().await {
        let row = row.context("Failed to read the facts of a window")?;
        let category: String = row.try_get("", "category")?;
        let values = match out.get_mut(&category) {
            Some(values) => values,
            None => out.entry(category).or_default(),
        };
        if row.try_get::<bool>("", "is_open")? {
            values
                .open_ages
                .push(age(now, row.try_get("", "filed_at")?));
        }
        if let Some(s) = row.try_get::<Option<i64>>("", "ack_seconds")? {
            values.acknowledge.push(s);
        }
        if let Some(s) = row.try_get::<Option<i64>>("", "resolve_seconds")? {
            values.resolve.push(s);
        }
    }
    Ok(out)
}

async fn overview_in<C: ConnectionTrait>(
    conn: &C,
    filter: &Filter<'_>,
    window: Window,
    now: DateTime<Utc>,
    multiplier: SilentMultiplier,
    detail: Detail,
) -> anyhow::Result<Overview> {
    let by_category = counts_by_category(conn, filter, window).await?;
    let counts: Counts = by_category.values().copied().sum();
    let volume_by_category: BTreeMap<String, u64> = by_category
        .iter()
        .map(|(k, c)| (k.clone(), c.total))
        .collect();
    let (backlog, ack, resolve) = match detail {
        Detail::Full => (
            backlog_age(conn, filter, window, counts.open, now).await?,
            spread(conn, filter, window, Measure::Acknowledge).await?,
            spread(conn, filter, window, Measure::Resolve).await?,
        ),
        Detail::Sums => Default::default(),
    };
    Ok(overview_from_parts(
        &counts,
        &volume_by_category,
        backlog,
        ack,
        resolve,
        multiplier,
    ))
}

/// Summed counts per category over the window: whole days from
/// `metric_days`, the ragged ends from `metric_facts`.
async fn counts_by_category<C: ConnectionTrait>(
    conn: &C,
    filter: &Filter<'_>,
    window: Window,
) -> anyhow::Result<BTreeMap<String, Counts>> {
    let cut = split(window);
    let mut out: BTreeMap<String, Counts> = BTreeMap::new();
    let mut statements = Vec::new();
    if cut.days.0 < cut.days.1 {
        let mut values = vec![
            Value::from(filter.scope),
            Value::from(cut.days.0),
            Value::from(cut.days.1),
        ];
        let category = filter.category(&mut values);
        statements.push(statement(
            filter.backend,
            &format!(
                "SELECT category, {} FROM metric_days \
                 WHERE scope_id = ? AND day >= ? AND day < ?{category} GROUP BY category",
                sums()
            ),
            values,
        ));
    }
    for (from, to) in cut.edges.into_iter().flatten() {
        let mut values = vec![
            Value::from(filter.scope),
            Value::from(from),
            Value::from(to),
        ];
        let category = filter.category(&mut values);
        statements.push(statement(
            filter.backend,
            &format!(
                "SELECT category, {} FROM metric_facts \
                 WHERE scope_id = ? AND filed_at >= ? AND filed_at < ?{category} GROUP BY category",
                sums()
            ),
            values,
        ));
    }
    for statement in statements {
        let rows = conn
            .query_all_raw(statement)
            .await
            .context("Failed to sum the metric roll-ups")?;
        for row in rows {
            let category: String = row.try_get("", "category")?;
            *out.entry(category).or_default() += read_counts(&row, "")?;
        }
    }
    Ok(out)
}

/// Median and p90 of a duration: the histogram says which bucket holds
/// each rank, then the value is read inside that bucket.
async fn spread<C: ConnectionTrait>(
    conn: &C,
    filter: &Filter<'_>,
    window: Window,
    measure: Measure,
) -> anyhow::Result<Spread> {
    if filter.category.is_some() {
        return spread_of_values(conn, filter, window, measure).await;
    }
    let cut = split(window);
    let mut histogram: BTreeMap<i64, u64> = BTreeMap::new();
    let mut statements = Vec::new();
    if cut.days.0 < cut.days.1 {
        let values = vec![
            Value::from(filter.scope),
            Value::from(measure as i16),
            Value::from(cut.days.0),
            Value::from(cut.days.1),
        ];
        statements.push(statement(
            filter.backend,
            "SELECT bucket, CAST(SUM(count) AS BIGINT) AS n FROM metric_histogram \
             WHERE scope_id = ? AND measure = ? AND day >= ? AND day < ? GROUP BY bucket",
            values,
        ));
    }
    let column = measure.column();
    for (from, to) in cut.edges.into_iter().flatten() {
        let mut values = vec![
            Value::from(filter.scope),
            Value::from(from),
            Value::from(to),
        ];
        let category = filter.category(&mut values);
        statements.push(statement(
            filter.backend,
            // `+ 0`: grouping by the bare column lets SQLite walk the whole
            // scope in the bucket index instead of the window in the filing
            // index (2.5 s instead of 2 ms at 1M requests). Rows without a
            // duration group under NULL and are skipped below.
            &format!(
                "SELECT {column}_bucket + 0 AS bucket, CAST(COUNT(*) AS BIGINT) AS n \
                 FROM metric_facts WHERE scope_id = ? AND filed_at >= ? AND filed_at < ?{category} \
                 GROUP BY {column}_bucket + 0"
            ),
            values,
        ));
    }
    for statement in statements {
        let rows = conn
            .query_all_raw(statement)
            .await
            .context("Failed to read a duration histogram")?;
        for row in rows {
            let Some(b) = row.try_get::<Option<i64>>("", "bucket")? else {
                continue;
            };
            let n: Option<i64> = row.try_get("", "n")?;
            *histogram.entry(b).or_default() += unsigned(n.unwrap_or(0));
        }
    }
    let histogram: Vec<(i64, u64)> = histogram.into_iter().filter(|(_, n)| *n > 0).collect();
    let n: u64 = histogram.iter().map(|(_, n)| n).sum();
    let at = |p: u8| {
        let histogram = &histogram;
        async move {
            let Some((b, offset)) = rank(n, p).and_then(|r| locate(histogram, r)) else {
                return anyhow::Ok(None);
            };
            let mut values = vec![
                Value::from(filter.scope),
                Value::from(b),
                Value::from(window.from()),
                Value::from(window.to()),
            ];
            let category = filter.category(&mut values);
            values.push(Value::from(signed(offset)));
            let row = conn
                .query_one_raw(statement(
                    filter.backend,
                    &format!(
                        "SELECT {column}_seconds AS v FROM metric_facts \
                         WHERE scope_id = ? AND {column}_bucket = ? AND filed_at >= ? \
                         AND filed_at < ?{category} ORDER BY {column}_seconds LIMIT 1 OFFSET ?"
                    ),
                    values,
                ))
                .await
                .context("Failed to read a percentile")?;
            match row {
                Some(row) => Ok(row.try_get::<Option<i64>>("", "v")?),
                None => Ok(None),
            }
        }
    };
    let median = at(MEDIAN).await?;
    let p90 = at(P90).await?;
    Ok(Spread { median, p90 })
}

/// Median and p90 of a duration over one category's requests: the
/// histogram is kept across categories (one category's share of it would
/// cost as many rows again), so these values are read and ranked here.
async fn spread_of_values<C: ConnectionTrait>(
    conn: &C,
    filter: &Filter<'_>,
    window: Window,
    measure: Measure,
) -> anyhow::Result<Spread> {
    let column = measure.column();
    let mut values = vec![
        Value::from(filter.scope),
        Value::from(window.from()),
        Value::from(window.to()),
    ];
    let category = filter.category(&mut values);
    let rows = conn
        .query_all_raw(statement(
            filter.backend,
            &format!(
                "SELECT {column}_seconds AS v FROM metric_facts \
                 WHERE scope_id = ? AND filed_at >= ? AND filed_at < ?{category} \
                 AND {column}_seconds IS NOT NULL"
            ),
            values,
        ))
        .await
        .context("Failed to read durations")?;
    let values = rows
        .iter()
        .map(|row| row.try_get::<i64>("", "v"))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Spread::of(&values))
}

/// Median, p90 and maximum age of the open requests: ages ascend as filing
/// times descend, so the rank is read in that order.
async fn backlog_age<C: ConnectionTrait>(
    conn: &C,
    filter: &Filter<'_>,
    window: Window,
    open: u64,
    now: DateTime<Utc>,
) -> anyhow::Result<AgeStats> {
    let filed_at = |order: &'static str, offset: u64| async move {
        let mut values = vec![
            Value::from(filter.scope),
            Value::from(true),
            Value::from(window.from()),
            Value::from(window.to()),
        ];
        let category = filter.category(&mut values);
        values.push(Value::from(signed(offset)));
        let row = conn
            .query_one_raw(statement(
                filter.backend,
                &format!(
                    "SELECT filed_at FROM metric_facts WHERE scope_id = ? AND is_open = ? \
                     AND filed_at >= ? AND filed_at < ?{category} \
                     ORDER BY filed_at {order} LIMIT 1 OFFSET ?"
                ),
                values,
            ))
            .await
            .context("Failed to read the backlog's age")?;
        let age = match row {
            Some(row) => Some(age(now, row.try_get("", "filed_at")?)),
            None => None,
        };
        anyhow::Ok(age)
    };
    let by_rank = |p: u8| rank(open, p).map(|r| r - 1);
    Ok(AgeStats {
        median: match by_rank(MEDIAN) {
            Some(offset) => filed_at("DESC", offset).await?,
            None => None,
        },
        p90: match by_rank(P90) {
            Some(offset) => filed_at("DESC", offset).await?,
            None => None,
        },
        max: if open > 0 {
            filed_at("ASC", 0).await?
        } else {
            None
        },
    })
}
