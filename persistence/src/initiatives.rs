//! Initiatives (the outer loop, decision 0008): storing what
//! `upturn_domain::initiative` decides.
//!
//! A patch or a link and everything it does to the linked requests commit
//! in one transaction or not at all: the initiative row and the requests'
//! rows are locked first (requests in id order, so two transactions never
//! deadlock), every request is written with its version guard, and the
//! events, the inbox fan-out and the metric roll-ups of every touched
//! request are written in the same transaction. Everything is batched
//! (a few statements per few hundred requests), so completing an
//! initiative with a thousand linked requests stays a short transaction.

use std::collections::{BTreeSet, HashMap};

use anyhow::Context;
use sea_orm::sea_query::{Alias, Expr, ExprTrait, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, Iterable, QueryFilter,
    QueryOrder, QuerySelect,
};
use upturn_domain::initiative::{
    self, Counts, CreateRefusal, CurrentLink, Holder, Initiative, InitiativePatch,
    InitiativeStatus, LinkCandidate, LinkRefusal, LinkedRequest, NewInitiative, PatchRefusal,
    UnitRef,
};
use upturn_domain::lifecycle::{Event, Outcome, Request};
use upturn_domain::model::UnitKind;
use upturn_domain::policy::{self, Action};
use upturn_domain::search::query_words;
use upturn_domain::suggest::{self, Candidate};
use upturn_domain::values::FieldError;
use upturn_domain::{Actor, Refusal};
use uuid::Uuid;

use crate::entities::{
    event, initiative as row, initiative_request as link, request, request_unit, unit,
};
use crate::error::StoreError;
use crate::idempotency::{Idem, remember};
use crate::inbox::{Notice, Told, fan_out};
use crate::org::check_version;
use crate::requests::{
    Expectation, Page, RequestFilter, event_row, request_condition, request_from_row,
    request_to_row,
};
use crate::store::{Backend, Store};

/// Request rows per statement: a request row has about 45 columns, so 300
/// rows stay well under SQLite's 32,766 bound variables.
const REQUEST_CHUNK: usize = 300;
/// Other rows (ids, events, links) per statement.
const CHUNK: usize = 1000;

/// Suggestions look at requests filed in this many days...
pub const SUGGESTION_WINDOW_DAYS: i64 = 90;
/// ...and at most this many of them, newest first.
pub const SUGGESTION_CANDIDATES: u64 = 500;
/// Words looked up for suggestions: the initiative's, then linked titles'.
const SUGGESTION_WORDS: usize = 40;

/// An initiative and how much it is asked for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InitiativeView {
    pub initiative: Initiative,
    pub counts: Counts,
}

/// What a customer tracking a linked request sees of its initiative.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PublicInitiative {
    pub status: InitiativeStatus,
    pub public_note: Option<String>,
}

/// A request worth linking to an initiative, and how alike it is.
#[derive(Debug, Clone)]
pub struct Suggested {
    pub request: Request,
    /// The Jaccard index of the words, 0 to 1.
    pub score: f64,
    /// Words it shares with its best match.
    pub shared_words: u64,
}

/// `403` for a member whose role has nothing to do with initiatives, before
/// anything is loaded; where the answer depends on the initiative's unit,
/// `upturn_domain::initiative` asks again.
fn permit(actor: &Actor, action: Action) -> Result<(), StoreError> {
    policy::permit(actor, &action).map_err(|denied| StoreError::Refused(denied.into()))
}

fn from_create(refusal: CreateRefusal) -> StoreError {
    match refusal {
        CreateRefusal::Forbidden(why) => StoreError::Refused(Refusal::Forbidden(why)),
    }
}

fn from_patch(refusal: PatchRefusal) -> StoreError {
    match refusal {
        PatchRefusal::Forbidden(why) => StoreError::Refused(Refusal::Forbidden(why)),
        PatchRefusal::InvalidTransition(why) => {
            StoreError::Refused(Refusal::InvalidTransition(why))
        }
    }
}

fn from_link(refusal: LinkRefusal) -> StoreError {
    match refusal {
        LinkRefusal::Forbidden(why) => StoreError::Refused(Refusal::Forbidden(why)),
        LinkRefusal::InvalidTransition(why) => StoreError::Refused(Refusal::InvalidTransition(why)),
        LinkRefusal::NotFound { .. } => StoreError::NotFound,
        LinkRefusal::Problems(problems) => StoreError::Fields(
            problems
                .into_iter()
                .map(|(index, problem)| {
                    FieldError::new(format!("request_ids[{index}]"), problem.to_string())
                })
                .collect(),
        ),
    }
}

fn initiative_from_row(row: row::Model, unit_kind: UnitKind) -> anyhow::Result<Initiative> {
    Ok(Initiative {
        id: row.id,
        title: row.title,
        description: row.description,
        unit_id: row.unit_id,
        unit_kind,
        target_date: row.target_date,
        status: row
            .status
            .parse()
            .with_context(|| format!("Failed to read initiative status `{}`", row.status))?,
        public_note: row.public_note,
        created_by: row.created_by,
        version: row.version,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn initiative_to_row(i: &Initiative) -> row::ActiveModel {
    row::ActiveModel {
        id: Set(i.id),
        title: Set(i.title.clone()),
        description: Set(i.description.clone()),
        unit_id: Set(i.unit_id),
        target_date: Set(i.target_date),
        status: Set(i.status.as_str().to_owned()),
        public_note: Set(i.public_note.clone()),
        version: Set(i.version),
        created_by: Set(i.created_by),
        created_at: Set(i.created_at),
        updated_at: Set(i.updated_at),
        // The demand is counted by the database (`refresh_demand`).
        ..Default::default()
    }
}

/// An initiative's demand, as `upturn_domain::initiative::Counts` defines
/// it, counted by the database from its links and their requests.
pub(crate) const DEMAND_SET: &str = "linked_count = (SELECT COUNT(*) FROM initiative_requests l WHERE l.initiative_id = initiatives.id), \
    waiting_count = (SELECT COUNT(*) FROM initiative_requests l JOIN requests r ON r.id = l.request_id \
        WHERE l.initiative_id = initiatives.id AND r.status IN ('new', 'acknowledged', 'in_progress') AND r.customer_consent), \
    teams_count = (SELECT COUNT(DISTINCT r.team_id) FROM initiative_requests l JOIN requests r ON r.id = l.request_id \
        WHERE l.initiative_id = initiatives.id)";

/// Counts again, in the caller's transaction, the demand of `initiative`
/// (its links changed) or of every initiative `request` is linked to (its
/// status or consent may have changed).
pub(crate) async fn refresh_demand<C: ConnectionTrait>(
    conn: &C,
    backend: Backend,
    of: DemandOf,
) -> anyhow::Result<()> {
    let (filter, id) = match of {
        DemandOf::Initiative(id) => ("id = ?", id),
        DemandOf::Request(id) => (
            "id IN (SELECT initiative_id FROM initiative_requests WHERE request_id = ?)",
            id,
        ),
    };
    conn.execute_raw(crate::metrics::statement(
        backend,
        &format!("UPDATE initiatives SET {DEMAND_SET} WHERE {filter}"),
        vec![id.into()],
    ))
    .await
    .context("Failed to count an initiative's demand")?;
    Ok(())
}

/// Whose demand to count again.
#[derive(Debug, Clone, Copy)]
pub(crate) enum DemandOf {
    Initiative(Uuid),
    Request(Uuid),
}

fn holder_of(l: &link::Model) -> anyhow::Result<Option<Holder>> {
    Ok(match (&l.previous_level, l.previous_unit_id) {
        (Some(level), Some(unit_id)) => Some(Holder {
            level: level
                .parse()
                .with_context(|| format!("Failed to read level `{level}`"))?,
            unit_id,
        }),
        _ => None,
    })
}

async fn unit_kinds<C: ConnectionTrait>(
    conn: &C,
    ids: impl IntoIterator<Item = Uuid>,
) -> anyhow::Result<HashMap<Uuid, UnitKind>> {
    let ids: BTreeSet<Uuid> = ids.into_iter().collect();
    unit::Entity::find()
        .filter(unit::Column::Id.is_in(ids))
        .all(conn)
        .await
        .context("Failed to load units of initiatives")?
        .into_iter()
        .map(|u| {
            let kind = u.kind.parse().context("Failed to read a unit kind")?;
            Ok((u.id, kind))
        })
        .collect()
}

async fn initiatives_from_rows<C: ConnectionTrait>(
    conn: &C,
    rows: Vec<row::Model>,
) -> anyhow::Result<Vec<Initiative>> {
    let kinds = unit_kinds(conn, rows.iter().map(|r| r.unit_id)).await?;
    rows.into_iter()
        .map(|r| {
            let kind = *kinds
                .get(&r.unit_id)
                .context("An initiative's unit is missing")?;
            initiative_from_row(r, kind)
        })
        .collect()
}

/// The links of these initiatives, by request id.
async fn links_of<C: ConnectionTrait>(
    conn: &C,
    initiative_ids: &[Uuid],
) -> anyhow::Result<Vec<link::Model>> {
    let mut out = Vec::new();
    for chunk in initiative_ids.chunks(CHUNK) {
        out.extend(
            link::Entity::find()
                .filter(link::Column::InitiativeId.is_in(chunk.to_vec()))
                .order_by_asc(link::Column::RequestId)
                .all(conn)
                .await
                .context("Failed to load the requests linked to initiatives")?,
        );
    }
    Ok(out)
}

/// The units each of these requests was ever routed to.
async fn routed_units_of<C: ConnectionTrait>(
    conn: &C,
    ids: &[Uuid],
) -> anyhow::Result<HashMap<Uuid, Vec<Uuid>>> {
    let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for chunk in ids.chunks(CHUNK) {
        for r in request_unit::Entity::find()
            .filter(request_unit::Column::RequestId.is_in(chunk.to_vec()))
            .all(conn)
            .await
            .context("Failed to load the units requests were routed to")?
        {
            out.entry(r.request_id).or_default().push(r.unit_id);
        }
    }
    Ok(out)
}

/// The cursor of the demand-ordered list: the last item's sort key.
fn demand_cursor(view: &InitiativeView) -> String {
    let c = &view.counts;
    format!(
        "{}_{}_{}_{}_{}",
        c.linked,
        c.customers_waiting,
        c.teams,
        view.initiative.created_at.timestamp_micros(),
        view.initiative.id
    )
}

fn parse_demand_cursor(cursor: &str) -> Option<(Counts, chrono::DateTime<chrono::Utc>, Uuid)> {
    let mut parts = cursor.split('_');
    let linked = parts.next()?.parse().ok()?;
    let customers_waiting = parts.next()?.parse().ok()?;
    let teams = parts.next()?.parse().ok()?;
    let created_at = chrono::DateTime::from_timestamp_micros(parts.next()?.parse().ok()?)?;
    let id = Uuid::parse_str(parts.next()?).ok()?;
    parts.next().is_none().then_some((
        Counts {
            linked,
            teams,
            customers_waiting,
        },
        created_at,
        id,
    ))
}

impl Store {
    /// Loads requests by id (sorted), locking them in that order on
    /// PostgreSQL when `lock` (SQLite's writers are serialised already).
    async fn requests_by_id<C: ConnectionTrait>(
        &self,
        conn: &C,
        ids: &[Uuid],
        lock: bool,
    ) -> anyhow::Result<HashMap<Uuid, Request>> {
        let mut out = HashMap::with_capacity(ids.len());
        for chunk in ids.chunks(CHUNK) {
            let mut query = request::Entity::find()
                .filter(request::Column::Id.is_in(chunk.to_vec()))
                .order_by_asc(request::Column::Id);
            if lock && self.backend() == Backend::Postgres {
                query = query.lock_exclusive();
            }
            for r in query
                .all(conn)
                .await
                .context("Failed to load linked requests")?
            {
                let request = request_from_row(r)?;
                out.insert(request.id, request);
            }
        }
        Ok(out)
    }

    /// One initiative; locked until commit on PostgreSQL when `lock`.
    async fn load_initiative<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: Uuid,
        lock: bool,
    ) -> Result<Initiative, StoreError> {
        let mut query = row::Entity::find_by_id(id);
        if lock && self.backend() == Backend::Postgres {
            query = query.lock_exclusive();
        }
        let found = query
            .one(conn)
            .await
            .context("Failed to load an initiative")?
            .ok_or(StoreError::NotFound)?;
        Ok(initiatives_from_rows(conn, vec![found])
            .await?
            .pop()
            .context("An initiative vanished")?)
    }

    /// The initiatives with their counts over their linked requests.
    async fn views<C: ConnectionTrait>(
        &self,
        conn: &C,
        initiatives: Vec<Initiative>,
    ) -> anyhow::Result<Vec<InitiativeView>> {
        let ids: Vec<Uuid> = initiatives.iter().map(|i| i.id).collect();
        let links = links_of(conn, &ids).await?;
        let request_ids: Vec<Uuid> = links
            .iter()
            .map(|l| l.request_id)
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let requests = self.requests_by_id(conn, &request_ids, false).await?;
        let mut linked: HashMap<Uuid, Vec<&Request>> = HashMap::new();
        for l in &links {
            if let Some(r) = requests.get(&l.request_id) {
                linked.entry(l.initiative_id).or_default().push(r);
            }
        }
        Ok(initiatives
            .into_iter()
            .map(|initiative| {
                let counts = Counts::of(linked.remove(&initiative.id).unwrap_or_default());
                InitiativeView { initiative, counts }
            })
            .collect())
    }

    async fn view<C: ConnectionTrait>(
        &self,
        conn: &C,
        id: Uuid,
    ) -> Result<InitiativeView, StoreError> {
        let initiative = self.load_initiative(conn, id, false).await?;
        Ok(self
            .views(conn, vec![initiative])
            .await?
            .pop()
            .context("An initiative vanished")?)
    }

    /// Creates an initiative, `planned`, owned by the unit named or the
    /// creator's own.
    #[tracing::instrument(skip(self, input, idem), fields(actor = %actor.id))]
    pub async fn create_initiative(
        &self,
        actor: &Actor,
        input: NewInitiative,
        idem: Option<Idem<InitiativeView>>,
    ) -> Result<InitiativeView, StoreError> {
        permit(actor, Action::CreateInitiative { unit: None })?;
        let owner = input
            .owner_id(actor)
            .ok_or_else(|| StoreError::invalid("unit_id", "is required"))?;
        let kind = unit_kinds(&self.db, [owner])
            .await?
            .remove(&owner)
            .ok_or_else(|| StoreError::invalid("unit_id", "is not a unit"))?;
        let created = initiative::create(
            actor,
            input,
            UnitRef { id: owner, kind },
            Uuid::now_v7(),
            self.now(),
        )
        .map_err(from_create)?;
        let tx = self.write().await?;
        row::Entity::insert(initiative_to_row(&created))
            .exec_without_returning(&*tx)
            .await
            .context("Failed to insert an initiative")?;
        let view = InitiativeView {
            initiative: created,
            counts: Counts::default(),
        };
        remember(&*tx, idem, &view, self.now()).await?;
        tx.commit()
            .await
            .context("Failed to commit an initiative")?;
        Ok(view)
    }

    /// One initiative and its counts.
    pub async fn initiative_for(
        &self,
        actor: &Actor,
        id: Uuid,
    ) -> Result<InitiativeView, StoreError> {
        permit(actor, Action::ReadInitiative)?;
        self.view(&self.db, id).await
    }

    /// The initiatives, most asked for first (`by_demand`), a page at a
    /// time, in the order kept on their rows. The cursor is the last item's
    /// sort key, so a page never repeats an item of an earlier page whose
    /// counts did not change.
    pub async fn list_initiatives(
        &self,
        actor: &Actor,
        cursor: Option<&str>,
        limit: u64,
    ) -> Result<Page<InitiativeView>, StoreError> {
        permit(actor, Action::ListInitiatives)?;
        let after = cursor
            .map(|c| {
                parse_demand_cursor(c)
                    .ok_or_else(|| StoreError::invalid("cursor", "is not a cursor this list gave"))
            })
            .transpose()?;
        // One walk of `idx_initiatives_demand`, backwards: the order of
        // `initiative::by_demand`, kept on the rows.
        let mut query = row::Entity::find()
            .order_by_desc(row::Column::LinkedCount)
            .order_by_desc(row::Column::WaitingCount)
            .order_by_desc(row::Column::TeamsCount)
            .order_by_desc(row::Column::CreatedAt)
            .order_by_desc(row::Column::Id)
            .limit(limit.saturating_add(1));
        if let Some((counts, created_at, id)) = after {
            let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            query = query.filter(
                Condition::any()
                    .add(row::Column::LinkedCount.lt(count(counts.linked)))
                    .add(
                        Condition::all()
                            .add(row::Column::LinkedCount.eq(count(counts.linked)))
                            .add(
                                Condition::any()
                                    .add(row::Column::WaitingCount.lt(count(counts.customers_waiting)))
                                    .add(
                                        Condition::all()
                                            .add(row::Column::WaitingCount.eq(count(counts.customers_waiting)))
                                            .add(
                                                Condition::any()
                                                    .add(row::Column::TeamsCount.lt(count(counts.teams)))
                                                    .add(
                                                        Condition::all()
                                                            .add(row::Column::TeamsCount.eq(count(counts.teams)))
                                                            .add(
                                                                Condition::any()
                                                                    .add(row::Column::CreatedAt.lt(created_at))
                                                                    .add(
                                                                        Condition::all()
                                                                            .add(row::Column::CreatedAt.eq(created_at))
                                                                            .add(row::Column::Id.lt(id)),
                                                                    ),
                                                            ),
                                                    ),
                                            ),
                                    ),
                            ),
                    ),
            );
        }
        let rows = query
            .all(&self.db)
            .await
            .context("Failed to list initiatives")?;
        let counts: Vec<Counts> = rows
            .iter()
            .map(|r| Counts {
                linked: u64::try_from(r.linked_count).unwrap_or(0),
                customers_waiting: u64::try_from(r.waiting_count).unwrap_or(0),
                teams: u64::try_from(r.teams_count).unwrap_or(0),
            })
            .collect();
        let initiatives = initiatives_from_rows(&self.db, rows).await?;
        let views: Vec<InitiativeView> = initiatives
            .into_iter()
            .zip(counts)
            .map(|(initiative, counts)| InitiativeView { initiative, counts })
            .collect();
        Ok(Page::from_overfetch(views, limit, demand_cursor))
    }

    /// Changes an initiative; progress, completion or dropping reach every
    /// linked request in the same transaction.
    #[tracing::instrument(skip(self, patch), fields(actor = %actor.id))]
    pub async fn patch_initiative(
        &self,
        actor: &Actor,
        id: Uuid,
        patch: InitiativePatch,
        expect: Expectation,
    ) -> Result<InitiativeView, StoreError> {
        permit(actor, Action::UpdateInitiative { unit_id: None })?;
        let tx = self.write().await?;
        let current = self.load_initiative(&*tx, id, true).await?;
        check_version(current.version, expect.if_match, expect.version)?;
        let links = links_of(&*tx, &[id]).await?;
        let ids: Vec<Uuid> = links.iter().map(|l| l.request_id).collect();
        let mut requests = self.requests_by_id(&*tx, &ids, true).await?;
        let linked = links
            .iter()
            .map(|l| {
                Ok(LinkedRequest {
                    request: requests
                        .remove(&l.request_id)
                        .context("A linked request is missing")?,
                    previous: holder_of(l)?,
                })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let decided =
            initiative::patch(&current, &linked, actor, patch, self.now()).map_err(from_patch)?;
        if decided.initiative.version == current.version {
            // Nothing changed: no write, no event.
            drop(tx);
            return self.view(&self.db, id).await;
        }
        let mut update = initiative_to_row(&decided.initiative);
        update.id = sea_orm::ActiveValue::NotSet;
        let changed = row::Entity::update_many()
            .set(update)
            .filter(row::Column::Id.eq(id))
            .filter(row::Column::Version.eq(current.version))
            .exec(&*tx)
            .await
            .context("Failed to update an initiative")?;
        if changed.rows_affected != 1 {
            return Err(StoreError::VersionConflict {
                current: current.version,
            });
        }
        let routed = routed_units_of(&*tx, &ids).await?;
        let told = self
            .store_outcomes(&*tx, &decided.requests, routed, current.version)
            .await?;
        refresh_demand(&*tx, self.backend(), DemandOf::Initiative(id)).await?;
        tx.commit()
            .await
            .context("Failed to commit an initiative")?;
        self.wake(told);
        self.view(&self.db, id).await
    }

    /// Links the requests (ids as the caller gave them) to an initiative:
    /// all of them, or none.
    #[tracing::instrument(skip(self, request_ids), fields(actor = %actor.id, count = request_ids.len()))]
    pub async fn link_requests(
        &self,
        actor: &Actor,
        id: Uuid,
        request_ids: &[Uuid],
    ) -> Result<InitiativeView, StoreError> {
        permit(actor, Action::LinkToInitiative)?;
        let tx = self.write().await?;
        let current = self.load_initiative(&*tx, id, true).await?;
        let sorted: Vec<Uuid> = request_ids
            .iter()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let requests = self.requests_by_id(&*tx, &sorted, true).await?;
        if request_ids.iter().any(|r| !requests.contains_key(r)) {
            return Err(StoreError::NotFound);
        }
        let routed = routed_units_of(&*tx, &sorted).await?;
        let linked_to: BTreeSet<Uuid> = requests.values().filter_map(|r| r.initiative_id).collect();
        let statuses: HashMap<Uuid, InitiativeStatus> = row::Entity::find()
            .filter(row::Column::Id.is_in(linked_to))
            .all(&*tx)
            .await
            .context("Failed to load the initiatives requests are linked to")?
            .into_iter()
            .map(|r| {
                let status = r
                    .status
                    .parse()
                    .context("Failed to read an initiative status")?;
                Ok((r.id, status))
            })
            .collect::<anyhow::Result<_>>()?;
        let mut candidates = Vec::with_capacity(request_ids.len());
        for request_id in request_ids {
            let request = requests.get(request_id).ok_or(StoreError::NotFound)?;
            candidates.push(LinkCandidate {
                request,
                routed_units: routed.get(request_id).map(Vec::as_slice).unwrap_or(&[]),
                current: request.initiative_id.and_then(|initiative_id| {
                    statuses.get(&initiative_id).map(|status| CurrentLink {
                        initiative_id,
                        status: *status,
                    })
                }),
            });
        }
        let now = self.now();
        let linkings = initiative::link(&current, actor, &candidates, now).map_err(from_link)?;
        if linkings.is_empty() {
            drop(tx);
            return self.view(&self.db, id).await;
        }
        let rows: Vec<link::ActiveModel> = linkings
            .iter()
            .map(|l| link::ActiveModel {
                initiative_id: Set(id),
                request_id: Set(l.outcome.request.id),
                linked_at: Set(now),
                linked_by: Set(actor.id),
                previous_level: Set(l.previous.map(|h| h.level.as_str().to_owned())),
                previous_unit_id: Set(l.previous.map(|h| h.unit_id)),
            })
            .collect();
        for chunk in rows.chunks(CHUNK) {
            link::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(&*tx)
                .await
                .context("Failed to link requests")?;
        }
        let outcomes: Vec<Outcome> = linkings.into_iter().map(|l| l.outcome).collect();
        let told = self
            .store_outcomes(&*tx, &outcomes, routed, current.version)
            .await?;
        refresh_demand(&*tx, self.backend(), DemandOf::Initiative(id)).await?;
        tx.commit().await.context("Failed to commit links")?;
        self.wake(told);
        self.view(&self.db, id).await
    }

    /// Writes what the domain decided for each request, in the caller's
    /// transaction: the rows (version-guarded, batched), the events, new
    /// routings, the metric roll-ups and the inbox fan-out. Answers who was
    /// told. Any request changed meanwhile fails the whole transaction.
    async fn store_outcomes<C: ConnectionTrait>(
        &self,
        conn: &C,
        outcomes: &[Outcome],
        mut routed: HashMap<Uuid, Vec<Uuid>>,
        initiative_version: i64,
    ) -> Result<Told, StoreError> {
        if outcomes.is_empty() {
            return Ok(Told::default());
        }
        // One statement per chunk: an upsert whose update only applies to a
        // row still at the version read (the domain bumped it by one). The
        // rows exist and are locked, so nothing is ever inserted.
        let guard = Expr::col((request::Entity, request::Column::Version)).eq(Expr::col((
            Alias::new("excluded"),
            request::Column::Version,
        ))
        .sub(1));
        let columns = request::Column::iter().filter(|c| !matches!(c, request::Column::Id));
        let on_conflict = OnConflict::column(request::Column::Id)
            .update_columns(columns)
            .action_and_where(guard)
            .to_owned();
        let mut written = 0;
        for chunk in outcomes.chunks(REQUEST_CHUNK) {
            written +=
                request::Entity::insert_many(chunk.iter().map(|o| request_to_row(&o.request)))
                    .on_conflict(on_conflict.clone())
                    .exec_without_returning(conn)
                    .await
                    .context("Failed to update linked requests")?;
        }
        if written != outcomes.len() as u64 {
            return Err(StoreError::VersionConflict {
                current: initiative_version,
            });
        }
        let mut events = Vec::with_capacity(outcomes.len());
        let mut rows = Vec::with_capacity(outcomes.len());
        for outcome in outcomes {
            let (event_id, row) = event_row(outcome.request.id, &outcome.event);
            rows.push(row);
            events.push(Event {
                id: event_id,
                request_id: outcome.request.id,
                event: outcome.event.clone(),
            });
        }
        let mut rows = rows.into_iter().peekable();
        while rows.peek().is_some() {
            let chunk: Vec<event::ActiveModel> = rows.by_ref().take(CHUNK).collect();
            event::Entity::insert_many(chunk)
                .exec_without_returning(conn)
                .await
                .context("Failed to write the events of linked requests")?;
        }
        let mut routings = Vec::new();
        for outcome in outcomes {
            if let Some(unit_id) = outcome.routed_to {
                let units = routed.entry(outcome.request.id).or_default();
                if !units.contains(&unit_id) {
                    units.push(unit_id);
                    routings.push(request_unit::ActiveModel {
                        request_id: Set(outcome.request.id),
                        unit_id: Set(unit_id),
                    });
                }
            }
        }
        for chunk in routings.chunks(CHUNK) {
            request_unit::Entity::insert_many(chunk.to_vec())
                .exec_without_returning(conn)
                .await
                .context("Failed to record routings to an initiative's unit")?;
        }
        let with_units: Vec<(&Request, &[Uuid])> = outcomes
            .iter()
            .map(|o| {
                let units = routed.get(&o.request.id).map(Vec::as_slice).unwrap_or(&[]);
                (&o.request, units)
            })
            .collect();
        let contributions =
            crate::metrics::contributions_of(conn, self.backend(), &with_units).await?;
        crate::metrics::record(conn, self.backend(), &contributions, false).await?;
        let notices: Vec<Notice<'_>> = outcomes
            .iter()
            .zip(&events)
            .map(|(outcome, event)| Notice {
                request: &outcome.request,
                event,
                deadline: None,
            })
            .collect();
        Ok(fan_out(conn, self.backend(), &notices).await?)
    }

    /// Requests worth linking: from what the caller may see, filed in the
    /// last [`SUGGESTION_WINDOW_DAYS`], not linked to a live initiative, with
    /// a word of the initiative or of a linked request's title in the search
    /// index (at most [`SUGGESTION_CANDIDATES`], newest first), ranked by
    /// `upturn_domain::suggest`.
    pub async fn suggestions(
        &self,
        actor: &Actor,
        id: Uuid,
        limit: usize,
    ) -> Result<Vec<Suggested>, StoreError> {
        permit(actor, Action::InitiativeSuggestions)?;
        let initiative = self.load_initiative(&self.db, id, false).await?;
        let now = self.now();
        let filter = RequestFilter {
            filed_after: Some(now - chrono::Duration::days(SUGGESTION_WINDOW_DAYS)),
            ..RequestFilter::default()
        };
        let Some(visible) = request_condition(actor, &filter, now) else {
            return Ok(vec![]);
        };
        let live: Vec<&'static str> = InitiativeStatus::ALL
            .iter()
            .filter(|s| !s.is_final())
            .map(|s| s.as_str())
            .collect();
        let not_linked_live = Condition::any()
            .add(request::Column::InitiativeId.is_null())
            .add(
                request::Column::InitiativeId.not_in_subquery(
                    Query::select()
                        .column(row::Column::Id)
                        .from(row::Entity)
                        .and_where(row::Column::Status.is_in(live))
                        .to_owned(),
                ),
            );
        let link_ids: Vec<Uuid> = links_of(&self.db, &[id])
            .await?
            .into_iter()
            .map(|l| l.request_id)
            .collect();
        let linked = self.requests_by_id(&self.db, &link_ids, false).await?;
        // Only requests with a word of the initiative or of a linked
        // request's title, found through the search index.
        let mut words = query_words(&format!("{}\n{}", initiative.title, initiative.description));
        for request in linked.values() {
            for word in query_words(&request.title) {
                if words.len() < SUGGESTION_WORDS && !words.iter().any(|w| w.word == word.word) {
                    words.push(word);
                }
            }
        }
        if words.is_empty() {
            return Ok(vec![]);
        }
        let sharing = words.iter().fold(Condition::any(), |any, w| {
            any.add(crate::search::has_word(w))
        });
        let rows = request::Entity::find()
            .filter(visible)
            .filter(not_linked_live)
            .filter(sharing)
            .order_by_desc(request::Column::Id)
            .limit(SUGGESTION_CANDIDATES)
            .all(&self.db)
            .await
            .context("Failed to load requests to suggest")?;
        let candidates: Vec<Request> = rows
            .into_iter()
            .map(request_from_row)
            .collect::<anyhow::Result<_>>()?;
        let as_candidate = |r: &Request| Candidate {
            id: r.id,
            category: r.category.clone(),
            title: r.title.clone(),
            description: r.description.clone(),
            filed_at: r.filed_at,
        };
        let linked: Vec<Candidate> = linked.values().map(as_candidate).collect();
        let ranked = suggest::suggest(
            &format!("{}\n{}", initiative.title, initiative.description),
            &linked,
            &candidates.iter().map(as_candidate).collect::<Vec<_>>(),
            limit,
        );
        let mut by_id: HashMap<Uuid, Request> = candidates.into_iter().map(|r| (r.id, r)).collect();
        Ok(ranked
            .into_iter()
            .filter_map(|s| {
                by_id.remove(&s.id).map(|request| Suggested {
                    request,
                    score: s.similarity.score(),
                    shared_words: s.similarity.shared(),
                })
            })
            .collect())
    }

    /// What a customer tracking a request linked to `id` may see of it.
    pub(crate) async fn public_initiative(
        &self,
        id: Uuid,
    ) -> Result<Option<PublicInitiative>, StoreError> {
        let Some(found) = row::Entity::find_by_id(id)
            .one(&self.db)
            .await
            .context("Failed to load a request's initiative")?
        else {
            return Ok(None);
        };
        Ok(Some(PublicInitiative {
            status: found
                .status
                .parse()
                .context("Failed to read an initiative status")?,
            public_note: found.public_note,
        }))
    }
}
