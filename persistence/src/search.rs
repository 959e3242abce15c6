//! The search index: each request's terms (`upturn_domain::search`) in
//! `search_terms`, written in the transaction that files the request, and
//! looked up by prefix ranges (`term >= from AND term < to`), which the
//! primary key `(term, request_id)` answers in order on both databases
//! (PostgreSQL compares the column with the `"C"` collation, byte by byte,
//! as SQLite does). docs/decisions/0015-search-index.md says why.

use std::collections::HashMap;

use anyhow::Context;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::sea_query::{Alias, Expr, Query, SimpleExpr};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
};
use upturn_domain::lifecycle::Request;
use upturn_domain::search::{Field, Lookup, QueryWord, index_terms};
use uuid::Uuid;

use crate::entities::{request, search_term};
use crate::store::Store;

/// Rows per insert: three values a row, under SQLite's 32,766 parameters.
const CHUNK: usize = 5_000;
/// Requests indexed per transaction when the index is rebuilt.
const REBUILD_BATCH: u64 = 1_000;

/// The index rows of a request.
fn rows_of(request: &Request) -> impl Iterator<Item = search_term::ActiveModel> + '_ {
    index_terms(&[
        (Field::Title, &request.title),
        (Field::Expectation, &request.customer_expectation),
        (Field::Description, &request.description),
    ])
    .into_iter()
    .map(|(term, field)| search_term::ActiveModel {
        term: sea_orm::Set(term),
        request_id: sea_orm::Set(request.id),
        weight: sea_orm::Set(i16::from(field.weight())),
    })
}

/// Writes the index rows of `requests` in the caller's transaction.
pub(crate) async fn index<C: ConnectionTrait>(
    conn: &C,
    requests: &[&Request],
) -> anyhow::Result<()> {
    let rows: Vec<search_term::ActiveModel> = requests.iter().flat_map(|r| rows_of(r)).collect();
    for chunk in rows.chunks(CHUNK) {
        search_term::Entity::insert_many(chunk.to_vec())
            .exec_without_returning(conn)
            .await
            .context("Failed to index requests for search")?;
    }
    Ok(())
}

/// The terms of `word` as a condition on `search_terms.term`.
fn term_condition(word: &QueryWord) -> Condition {
    word.lookups()
        .into_iter()
        .fold(Condition::any(), |any, lookup| match lookup {
            Lookup::Equal(term) => any.add(search_term::Column::Term.eq(term)),
            Lookup::Range { from, to } => any.add(
                Condition::all()
                    .add(search_term::Column::Term.gte(from))
                    .add(search_term::Column::Term.lt(to)),
            ),
        })
}

/// "The request has a term of `word`", for a request query: its id among
/// the index rows in the word's ranges.
pub(crate) fn has_word(word: &QueryWord) -> SimpleExpr {
    request::Column::Id.in_subquery(
        Query::select()
            .column(search_term::Column::RequestId)
            .from(search_term::Entity)
            .cond_where(term_condition(word))
            .to_owned(),
    )
}

/// For each of `ids`, the best field each query word matched in.
pub(crate) async fn matches<C: ConnectionTrait>(
    conn: &C,
    words: &[QueryWord],
    ids: &[Uuid],
) -> anyhow::Result<HashMap<Uuid, Vec<Option<Field>>>> {
    let mut matched: HashMap<Uuid, Vec<Option<Field>>> = HashMap::new();
    if ids.is_empty() || words.is_empty() {
        return Ok(matched);
    }
    let any_word = words
        .iter()
        .fold(Condition::any(), |any, w| any.add(term_condition(w)));
    for chunk in ids.chunks(1_000) {
        let rows: Vec<(String, Uuid, i16)> = search_term::Entity::find()
            .select_only()
            .column(search_term::Column::Term)
            .column(search_term::Column::RequestId)
            .column(search_term::Column::Weight)
            .filter(search_term::Column::RequestId.is_in(chunk.iter().copied()))
            .filter(any_word.clone())
            .into_tuple()
            .all(conn)
            .await
            .context("Failed to read the matched terms")?;
        for (term, id, weight) in rows {
            let field = Field::of_weight(weight);
            let best = matched.entry(id).or_insert_with(|| vec![None; words.len()]);
            for (i, word) in words.iter().enumerate() {
                if word.matches(&term) && best[i].is_none_or(|b| b < field) {
                    best[i] = Some(field);
                }
            }
        }
    }
    Ok(matched)
}

/// How many index rows have a term of `word`, counting up to `cap` (enough
/// to tell a rare word from a common one; a request matched by two forms of
/// a word counts twice, which rarity can bear), in the database.
async fn count_rows<C: ConnectionTrait>(
    conn: &C,
    word: &QueryWord,
    cap: u64,
) -> anyhow::Result<u64> {
    let capped = Query::select()
        .expr(Expr::val(1))
        .from(search_term::Entity)
        .cond_where(term_condition(word))
        .limit(cap)
        .to_owned();
    let count = Query::select()
        .expr_as(Expr::cust("COUNT(*)"), Alias::new("n"))
        .from_subquery(capped, Alias::new("capped"))
        .to_owned();
    let row = conn
        .query_one_raw(conn.get_database_backend().build(&count))
        .await
        .context("Failed to count a word's requests")?;
    let n: i64 = row.map_or(Ok(0), |r| r.try_get("", "n"))?;
    Ok(u64::try_from(n).unwrap_or(0))
}

/// How long a word's count is kept: rarity moves slowly, and a member
/// typing at intake asks for the same words again and again.
const WORD_COUNT_TTL: Duration = Duration::from_secs(60);
/// Words kept at most; past that the cache starts again.
const WORD_COUNTS_KEPT: usize = 10_000;

/// Words' counts, kept a minute.
#[derive(Clone, Default)]
pub(crate) struct WordCounts(Arc<Mutex<HashMap<String, (Instant, u64)>>>);

/// How far a word's requests are counted to weigh its rarity.
const RARITY_CAP: u64 = 10_000;

impl Store {
    /// How rare each of `words` is (`upturn_domain::search::rarity`), for
    /// ranking a list search and the knowledge shown at intake alike.
    pub(crate) async fn rarities(&self, words: &[QueryWord]) -> anyhow::Result<Vec<f64>> {
        let documents = self.requests_ever_filed().await?;
        let mut rarities = Vec::with_capacity(words.len());
        for word in words {
            let containing = self.containing(word).await?;
            rarities.push(upturn_domain::search::rarity(documents, containing));
        }
        Ok(rarities)
    }

    /// How many requests were ever filed: the highest request number (one
    /// look-up of its unique index, where a count would read them all).
    async fn requests_ever_filed(&self) -> anyhow::Result<u64> {
        let highest: Option<i64> = request::Entity::find()
            .select_only()
            .column(request::Column::Number)
            .order_by_desc(request::Column::Number)
            .limit(1)
            .into_tuple()
            .one(&self.db)
            .await
            .context("Failed to read the highest request number")?;
        Ok(highest.map_or(0, |n| u64::try_from(n).unwrap_or(0)))
    }

    /// How many requests have a term of `word`, up to [`RARITY_CAP`] (from
    /// the cache when counted less than a minute ago).
    async fn containing(&self, word: &QueryWord) -> anyhow::Result<u64> {
        let key = format!("{:?}", word.lookups());
        if let Ok(counts) = self.word_counts.0.lock()
            && let Some((at, n)) = counts.get(&key)
            && at.elapsed() < WORD_COUNT_TTL
        {
            return Ok(*n);
        }
        let n = count_rows(&self.db, word, RARITY_CAP).await?;
        if let Ok(mut counts) = self.word_counts.0.lock() {
            if counts.len() >= WORD_COUNTS_KEPT {
                counts.clear();
            }
            counts.insert(key, (Instant::now(), n));
        }
        Ok(n)
    }
}

impl Store {
    /// Builds the index from the stored requests when there are requests
    /// and no index (a database from before it, or one seeded directly).
    pub async fn rebuild_search_if_missing(&self) -> anyhow::Result<u64> {
        let indexed = search_term::Entity::find()
            .select_only()
            .column(search_term::Column::RequestId)
            .limit(1)
            .into_tuple::<Uuid>()
            .one(&self.db)
            .await
            .context("Failed to look for the search index")?;
        let filed = request::Entity::find()
            .select_only()
            .column(request::Column::Id)
            .limit(1)
            .into_tuple::<Uuid>()
            .one(&self.db)
            .await
            .context("Failed to look for requests")?;
        if indexed.is_some() || filed.is_none() {
            return Ok(0);
        }
        self.rebuild_search().await
    }

    /// Throws the index away and builds it again from the requests, in
    /// transactions of 1,000 requests.
    pub async fn rebuild_search(&self) -> anyhow::Result<u64> {
        tracing::info!("Building the search index from the stored requests");
        {
            let tx = self.write().await?;
            search_term::Entity::delete_many()
                .exec(&*tx)
                .await
                .context("Failed to clear the search index")?;
            tx.commit().await?;
        }
        let mut after: Option<Uuid> = None;
        let mut done = 0_u64;
        loop {
            let tx = self.write().await?;
            let mut query = request::Entity::find();
            if let Some(after) = after {
                query = query.filter(request::Column::Id.gt(after));
            }
            let rows = query
                .order_by_asc(request::Column::Id)
                .limit(REBUILD_BATCH)
                .all(&*tx)
                .await
                .context("Failed to read requests to index")?;
            let Some(last) = rows.last().map(|r| r.id) else {
                break;
            };
            let requests = rows
                .into_iter()
                .map(crate::requests::request_from_row)
                .collect::<anyhow::Result<Vec<_>>>()?;
            index(&*tx, &requests.iter().collect::<Vec<_>>()).await?;
            done += requests.len() as u64;
            tx.commit().await?;
            after = Some(last);
        }
        tracing::info!(requests = done, "Search index built");
        Ok(done)
    }
}

/// Candidates taken per query word for the knowledge shown at intake: the
/// newest answered requests with a form of the word...
const KNOWLEDGE_CANDIDATES_PER_WORD: u64 = 200;
/// ...for the text's rarest words, at most this many.
const KNOWLEDGE_CANDIDATE_WORDS: usize = 3;

/// A past resolution shown at intake: nothing of the customer, of the
/// members, of comments.
#[derive(Debug, Clone, PartialEq)]
pub struct KnownResolution {
    pub title: String,
    pub category: String,
    pub resolution_note: String,
    pub resolved_level: upturn_domain::Level,
    pub resolved_unit: Option<(Uuid, String)>,
    pub resolved_at: chrono::DateTime<chrono::Utc>,
    pub similar_count: u64,
}

impl Store {
    /// Past resolutions from the whole organisation that fit `text`, best
    /// first (`upturn_domain::search::rank_resolutions`): only requests
    /// resolved or closed with a resolution note.
    pub async fn knowledge(
        &self,
        text: &str,
        limit: usize,
    ) -> anyhow::Result<Vec<KnownResolution>> {
        use upturn_domain::Status;
        use upturn_domain::search::{Outcome, Past, query_words, rank_resolutions};

        let words = query_words(text);
        if words.is_empty() {
            return Ok(vec![]);
        }
        let answered = [Status::Resolved.as_str(), Status::Closed.as_str()];
        let rarities = self.rarities(&words).await?;
        // Candidates come from the rarest words: they carry most of the
        // text's weight, so a resolution without any of them cannot cover
        // enough of it to be shown.
        let mut by_rarity: Vec<usize> = (0..words.len()).collect();
        by_rarity.sort_by(|&a, &b| rarities[b].total_cmp(&rarities[a]));
        let mut candidates: Vec<Uuid> = Vec::new();
        for &i in by_rarity.iter().take(KNOWLEDGE_CANDIDATE_WORDS) {
            let ids: Vec<Uuid> = request::Entity::find()
                .select_only()
                .column(request::Column::Id)
                .filter(has_word(&words[i]))
                .filter(request::Column::Status.is_in(answered))
                .filter(request::Column::ResolutionNote.is_not_null())
                .order_by_desc(request::Column::Id)
                .limit(KNOWLEDGE_CANDIDATES_PER_WORD)
                .into_tuple()
                .all(&self.db)
                .await
                .context("Failed to find past resolutions")?;
            candidates.extend(ids);
        }
        candidates.sort_unstable();
        candidates.dedup();
        let mut matched = matches(&self.db, &words, &candidates).await?;
        let mut past = Vec::with_capacity(candidates.len());
        for chunk in candidates.chunks(1_000) {
            let rows: Vec<(Uuid, String, i32, Option<chrono::DateTime<chrono::Utc>>)> =
                request::Entity::find()
                    .select_only()
                    .column(request::Column::Id)
                    .column(request::Column::Category)
                    .column(request::Column::ReopenCount)
                    .column(request::Column::ResolvedAt)
                    .filter(request::Column::Id.is_in(chunk.iter().copied()))
                    .into_tuple()
                    .all(&self.db)
                    .await
                    .context("Failed to read past resolutions")?;
            let satisfaction = self.last_satisfaction(chunk).await?;
            for (id, category, reopens, resolved_at) in rows {
                let Some(resolved_at) = resolved_at else {
                    continue;
                };
                past.push(Past {
                    id,
                    category,
                    outcome: Outcome::of(reopens > 0, satisfaction.get(&id).copied()),
                    resolved_at,
                    matched: matched
                        .remove(&id)
                        .unwrap_or_else(|| vec![None; words.len()]),
                });
            }
        }
        let ranked = rank_resolutions(&rarities, &past, limit);
        let rows: HashMap<Uuid, request::Model> = request::Entity::find()
            .filter(request::Column::Id.is_in(ranked.iter().map(|k| k.id)))
            .all(&self.db)
            .await
            .context("Failed to load past resolutions")?
            .into_iter()
            .map(|r| (r.id, r))
            .collect();
        let units: HashMap<Uuid, String> = crate::entities::unit::Entity::find()
            .filter(
                crate::entities::unit::Column::Id
                    .is_in(rows.values().filter_map(|r| r.resolved_unit_id)),
            )
            .all(&self.db)
            .await
            .context("Failed to load the units that resolved")?
            .into_iter()
            .map(|u| (u.id, u.name))
            .collect();
        Ok(ranked
            .into_iter()
            .filter_map(|known| {
                let row = rows.get(&known.id)?;
                Some(KnownResolution {
                    title: row.title.clone(),
                    category: row.category.clone(),
                    resolution_note: row.resolution_note.clone()?,
                    resolved_level: row.resolved_level.as_deref()?.parse().ok()?,
                    resolved_unit: row
                        .resolved_unit_id
                        .map(|id| (id, units.get(&id).cloned().unwrap_or_default())),
                    resolved_at: row.resolved_at?,
                    similar_count: known.similar_count,
                })
            })
            .collect())
    }

    /// The satisfaction of each request's last follow-up that gave one.
    async fn last_satisfaction(&self, ids: &[Uuid]) -> anyhow::Result<HashMap<Uuid, u8>> {
        use crate::entities::follow_up;
        let rows: Vec<(Uuid, Option<i16>)> = follow_up::Entity::find()
            .select_only()
            .column(follow_up::Column::RequestId)
            .column(follow_up::Column::Satisfaction)
            .filter(follow_up::Column::RequestId.is_in(ids.iter().copied()))
            .filter(follow_up::Column::Satisfaction.is_not_null())
            .order_by_asc(follow_up::Column::At)
            .into_tuple()
            .all(&self.db)
            .await
            .context("Failed to read follow-ups")?;
        Ok(rows
            .into_iter()
            .filter_map(|(id, s)| Some((id, u8::try_from(s?).ok()?)))
            .collect())
    }
}
