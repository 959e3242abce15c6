//! The search index: each request's terms (`upturn_domain::search`) in
//! `search_terms`, written in the transaction that files the request, and
//! looked up by prefix ranges (`term >= from AND term < to`), which the
//! primary key `(term, request_id)` answers in order on both databases
//! (PostgreSQL compares the column with the `"C"` collation, byte by byte,
//! as SQLite does). docs/decisions/0015-search-index.md says why.

use std::collections::{HashMap, HashSet, VecDeque};

use anyhow::Context;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sea_orm::sea_query::{Alias, DynIden, Expr, ExprTrait, IntoIden, Query, SimpleExpr};
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
    term_condition_of(word, search_term::Entity.into_iden())
}

/// The terms of `word` as a condition on the `term` of `table` (a name
/// `search_terms` goes by in a query).
fn term_condition_of(word: &QueryWord, table: DynIden) -> Condition {
    lookups_on(word, || {
        Expr::col((table.clone(), search_term::Column::Term))
    })
}

/// The terms of `word` as a condition on `search_terms.term` that no index
/// answers, for a PostgreSQL query that names its requests: it then reads
/// each request's rows (the `(request_id, term, weight)` index) instead of
/// the whole range of a common word's terms, which it misjudges as small
/// (SQLite plans the plain condition well, and is slower with this one).
fn term_condition_per_request(word: &QueryWord) -> Condition {
    lookups_on(word, || Expr::cust(r#"("search_terms"."term" || '')"#))
}

fn lookups_on(word: &QueryWord, term: impl Fn() -> Expr) -> Condition {
    word.lookups()
        .into_iter()
        .fold(Condition::any(), |any, lookup| match lookup {
            Lookup::Equal(t) => any.add(term().eq(t)),
            Lookup::Range { from, to } => {
                any.add(Condition::all().add(term().gte(from)).add(term().lt(to)))
            }
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

/// The index rows of the same request as the `search_terms` row of the
/// outer query that have a term of `word`, for each row the outer query
/// reads. With the word's `terms` listed, one seek of the primary key
/// `(term, request_id)` each, next to the previous row's (the outer query
/// reads its requests in order): two to three times faster than the
/// word's ranges in the `(request_id, term, weight)` index, which serve
/// when the terms are too many to list. [`has_word`] instead would read
/// every request with the word.
fn probe(word: &QueryWord, terms: Option<&[String]>) -> sea_orm::sea_query::SelectStatement {
    let probe = Alias::new("probe");
    let term = match terms {
        Some(terms) => Condition::all().add(
            Expr::col((probe.clone(), search_term::Column::Term)).is_in(terms.iter().cloned()),
        ),
        None => term_condition_of(word, probe.clone().into_iden()),
    };
    Query::select()
        .from_as(search_term::Entity, probe.clone())
        .cond_where(
            Condition::all()
                .add(
                    Expr::col((probe, search_term::Column::RequestId)).eq(Expr::col((
                        search_term::Entity,
                        search_term::Column::RequestId,
                    ))),
                )
                .add(term),
        )
        .to_owned()
}

/// "The index row's request also has a term of `word`" (see [`probe`]).
fn also_has_word(word: &QueryWord, terms: Option<&[String]>) -> SimpleExpr {
    Expr::exists(probe(word, terms).expr(Expr::val(1)).to_owned())
}

/// The best weight among the index row's request's terms of `word`, `NULL`
/// without one (see [`probe`]).
fn best_weight(word: &QueryWord, terms: Option<&[String]>) -> SimpleExpr {
    Expr::from(
        probe(word, terms)
            .expr(Expr::col((Alias::new("probe"), search_term::Column::Weight)).max())
            .to_owned(),
    )
}

/// A request a search found, with the best field each query word matched
/// in (`None`: the request has no term of that word).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Found {
    pub id: Uuid,
    pub fields: Vec<Option<Field>>,
}

impl Found {
    /// The best of both for each word: the same request read twice, once
    /// for each of two terms of its leading word.
    fn merge(&mut self, other: &Found) {
        for (mine, theirs) in self.fields.iter_mut().zip(&other.fields) {
            *mine = Ord::max(*mine, *theirs);
        }
    }
}

/// Which words a found request must have.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Needed {
    /// Every word of the search.
    Every,
    /// This word; the others are weighed where the request has them.
    One(usize),
}

/// Ids read from one term's index rows at a time, newest first, at most.
const TERM_PAGE: u64 = 512;
/// Terms a word may stand for (its prefixes' terms) before a search stops
/// reading them one by one and asks the database for the word instead.
const MAX_TERMS_PER_WORD: usize = 32;
/// Requests checked against the rest of a search in one statement, at most.
const MAX_CHECKED: usize = 4_096;

/// The terms of the index that `word` stands for: its exact terms and the
/// terms in its prefix ranges, one seek of the primary key each; `None`
/// when there are more than [`MAX_TERMS_PER_WORD`].
async fn terms_of<C: ConnectionTrait>(
    conn: &C,
    word: &QueryWord,
) -> anyhow::Result<Option<Vec<String>>> {
    let mut terms = Vec::new();
    for lookup in word.lookups() {
        match lookup {
            Lookup::Equal(term) => terms.push(term),
            Lookup::Range { from, to } => {
                let mut after: Option<String> = None;
                loop {
                    let next = match &after {
                        None => search_term::Column::Term.gte(from.clone()),
                        Some(last) => search_term::Column::Term.gt(last.clone()),
                    };
                    let term: Option<String> = search_term::Entity::find()
                        .select_only()
                        .column(search_term::Column::Term)
                        .filter(next)
                        .filter(search_term::Column::Term.lt(to.clone()))
                        .order_by_asc(search_term::Column::Term)
                        .limit(1)
                        .into_tuple()
                        .one(conn)
                        .await
                        .context("Failed to read a word's terms")?;
                    let Some(term) = term else { break };
                    if terms.len() >= MAX_TERMS_PER_WORD {
                        return Ok(None);
                    }
                    terms.push(term.clone());
                    after = Some(term);
                }
            }
        }
    }
    terms.sort_unstable();
    terms.dedup();
    Ok(Some(terms))
}

/// One term's requests that have the search's needed words, newest first,
/// read [`TERM_PAGE`] at a time along the primary key `(term, request_id)`.
/// With every word needed, the other words are probed by the database for
/// each row read and weighed for each row found, in the same statement;
/// with one, the term's row gives its own word's weight only.
struct TermRequests {
    term: String,
    /// The word the term is of.
    word: usize,
    /// `SELECT request_id, weight, <best weight of each other word>`.
    select: sea_orm::sea_query::SelectStatement,
    /// The other words, in the order of the selected weights.
    others: Vec<usize>,
    words: usize,
    /// Rows a page reads.
    page: u64,
    /// Read and not taken yet, newest first.
    read: VecDeque<Found>,
    /// The next page starts below this request.
    below: Option<Uuid>,
    exhausted: bool,
}

impl TermRequests {
    fn new(
        term: String,
        words: &[QueryWord],
        terms: &[Option<Vec<String>>],
        word: usize,
        needed: Needed,
        page: u64,
        backend: sea_orm::DbBackend,
    ) -> Self {
        let others: Vec<usize> = (0..words.len()).filter(|&i| i != word).collect();
        // SQLite keeps `weight` in the primary key's tree (the table is
        // WITHOUT ROWID); PostgreSQL's key has no weight, and would read
        // it from a table page per row (36 ms instead of 15 for one
        // page of `carte fidelite` at a million requests): there the row
        // is weighed through the `(request_id, term, weight)` index.
        let weight = match (needed, backend) {
            // Weighed afterwards, with the other words.
            (Needed::One(_), _) => Expr::val(Option::<i16>::None),
            (Needed::Every, sea_orm::DbBackend::Postgres) => {
                best_weight(&words[word], Some(std::slice::from_ref(&term)))
            }
            (Needed::Every, _) => Expr::col((search_term::Entity, search_term::Column::Weight)),
        };
        let mut select = Query::select();
        select
            .column((search_term::Entity, search_term::Column::RequestId))
            .expr(weight)
            .from(search_term::Entity)
            .and_where(
                Expr::col((search_term::Entity, search_term::Column::Term)).eq(term.clone()),
            );
        // With every word needed, each row read is found (but for the
        // caller's condition) and weighed here; with one, most rows read
        // lack the others, and the few kept are weighed afterwards.
        let others = match needed {
            Needed::Every => others,
            Needed::One(_) => vec![],
        };
        for &i in &others {
            let listed = terms[i].as_deref();
            select.expr(best_weight(&words[i], listed));
            select.and_where(also_has_word(&words[i], listed));
        }
        TermRequests {
            term,
            word,
            select,
            others,
            words: words.len(),
            page,
            read: VecDeque::new(),
            below: None,
            exhausted: false,
        }
    }

    /// The newest request not taken yet.
    async fn head<C: ConnectionTrait>(&mut self, conn: &C) -> anyhow::Result<Option<Uuid>> {
        if self.read.is_empty() && !self.exhausted {
            let mut query = self.select.clone();
            if let Some(below) = self.below {
                query.and_where(
                    Expr::col((search_term::Entity, search_term::Column::RequestId)).lt(below),
                );
            }
            query
                .order_by(
                    (search_term::Entity, search_term::Column::RequestId),
                    sea_orm::Order::Desc,
                )
                .limit(self.page);
            let rows = conn
                .query_all_raw(conn.get_database_backend().build(&query))
                .await
                .with_context(|| {
                    format!("Failed to read the requests of the term {}", self.term)
                })?;
            self.exhausted = (rows.len() as u64) < self.page;
            for row in rows {
                let mut fields = vec![None; self.words];
                let id: Uuid = row.try_get_by_index(0)?;
                let weight: Option<i16> = row.try_get_by_index(1)?;
                fields[self.word] = weight.map(Field::of_weight);
                for (column, &i) in self.others.iter().enumerate() {
                    let weight: Option<i16> = row.try_get_by_index(column + 2)?;
                    fields[i] = weight.map(Field::of_weight);
                }
                self.below = Some(id);
                self.read.push_back(Found { id, fields });
            }
        }
        Ok(self.read.front().map(|found| found.id))
    }
}

/// How far back a term's [`TERM_PAGE`] newest requests go: the older, the
/// rarer the term lately; `None` when it has fewer.
async fn reach<C: ConnectionTrait>(conn: &C, term: &str) -> anyhow::Result<Option<Uuid>> {
    search_term::Entity::find()
        .select_only()
        .column(search_term::Column::RequestId)
        .filter(search_term::Column::Term.eq(term))
        .order_by_desc(search_term::Column::RequestId)
        .offset(TERM_PAGE - 1)
        .limit(1)
        .into_tuple()
        .one(conn)
        .await
        .context("Failed to weigh a term")
}

/// The newest `limit` requests, newest first, that meet `condition`
/// and have a term of each `needed` word, with the best field each word
/// matched in.
///
/// One needed word leads (of several, the one rarest lately): its
/// terms' requests are read newest first along the index, with the
/// other needed words probed by the database on the way and every word
/// weighed, merged, and checked against `condition` in batches. The
/// work follows the requests shown, not every request with a common
/// word. See docs/decisions/0015-search-index.md.
pub(crate) async fn newest_with_words<C: ConnectionTrait>(
    conn: &C,
    words: &[QueryWord],
    needed: Needed,
    condition: Condition,
    limit: usize,
) -> anyhow::Result<Vec<Found>> {
    let mut found: Vec<Found> = Vec::new();
    if words.is_empty() || limit == 0 {
        return Ok(found);
    }
    let Some((lead, mut terms)) = leader(conn, words, needed).await? else {
        return newest_by_subqueries(conn, words, needed, condition, limit).await;
    };
    let lead_terms = terms[lead].take().unwrap_or_default();
    // What the search wants and a little more (some will not meet the
    // condition), shared among the terms, up to a full page each.
    let share = (limit + limit / 4) / lead_terms.len().max(1);
    let page = (share as u64).clamp(64, TERM_PAGE);
    let mut streams: Vec<TermRequests> = lead_terms
        .into_iter()
        .map(|term| {
            TermRequests::new(
                term,
                words,
                &terms,
                lead,
                needed,
                page,
                conn.get_database_backend(),
            )
        })
        .collect();
    let checked = !condition.is_empty();
    let mut batch_size = (2 * limit).clamp(64, MAX_CHECKED);
    let mut ended = false;
    while !ended && found.len() < limit {
        let mut batch: Vec<Found> = Vec::with_capacity(batch_size);
        let wanted = if checked {
            batch_size
        } else {
            limit - found.len()
        };
        while batch.len() < wanted {
            let mut newest: Option<(usize, Uuid)> = None;
            for (i, stream) in streams.iter_mut().enumerate() {
                if let Some(id) = stream.head(conn).await?
                    && newest.is_none_or(|(_, n)| id > n)
                {
                    newest = Some((i, id));
                }
            }
            let Some(next) = newest.and_then(|(i, _)| streams[i].read.pop_front()) else {
                ended = true;
                break;
            };
            // A request with two of the word's terms comes once.
            match batch.last_mut() {
                Some(last) if last.id == next.id => last.merge(&next),
                _ => batch.push(next),
            }
        }
        if checked && !batch.is_empty() {
            let kept: HashSet<Uuid> = request::Entity::find()
                .select_only()
                .column(request::Column::Id)
                .filter(request::Column::Id.is_in(batch.iter().map(|f| f.id)))
                .filter(condition.clone())
                .into_tuple::<Uuid>()
                .all(conn)
                .await
                .context("Failed to search requests")?
                .into_iter()
                .collect();
            batch.retain(|f| kept.contains(&f.id));
        }
        found.extend(batch.into_iter().take(limit - found.len()));
        batch_size = (batch_size * 2).min(MAX_CHECKED);
    }
    // With one word needed the rows were read without any weight, even
    // their own word's (a lone word included): every word is weighed here.
    if matches!(needed, Needed::One(_)) {
        return weighed(conn, words, found.into_iter().map(|f| f.id).collect()).await;
    }
    Ok(found)
}

/// The needed word a search leads with, and the terms of each needed
/// word (`None`: too many to list): of those whose terms are listed,
/// the one whose newest requests reach back furthest; `None` when no
/// word's terms are.
async fn leader<C: ConnectionTrait>(
    conn: &C,
    words: &[QueryWord],
    needed: Needed,
) -> anyhow::Result<Option<(usize, Vec<Option<Vec<String>>>)>> {
    let candidates: Vec<usize> = match needed {
        Needed::Every => (0..words.len()).collect(),
        Needed::One(i) => vec![i],
    };
    let mut terms = vec![None; words.len()];
    let mut leader: Option<(usize, Option<Uuid>)> = None;
    for i in candidates.iter().copied() {
        let Some(listed) = terms_of(conn, &words[i]).await? else {
            continue;
        };
        let mut newest_reach = None;
        if candidates.len() > 1 {
            for term in &listed {
                match reach(conn, term).await? {
                    None => {}
                    some => newest_reach = Ord::max(newest_reach, some),
                }
            }
        }
        if leader.is_none_or(|(_, best)| newest_reach < best) {
            leader = Some((i, newest_reach));
        }
        terms[i] = Some(listed);
    }
    Ok(leader.map(|(i, _)| (i, terms)))
}

/// [`newest_with_words`] for words of too many terms to read one
/// by one: the database finds the requests with each word, then their
/// matched terms are read.
async fn newest_by_subqueries<C: ConnectionTrait>(
    conn: &C,
    words: &[QueryWord],
    needed: Needed,
    condition: Condition,
    limit: usize,
) -> anyhow::Result<Vec<Found>> {
    let with_words = match needed {
        Needed::Every => words
            .iter()
            .fold(Condition::all(), |all, w| all.add(has_word(w))),
        Needed::One(i) => Condition::all().add(has_word(&words[i])),
    };
    let ids: Vec<Uuid> = request::Entity::find()
        .select_only()
        .column(request::Column::Id)
        .filter(condition)
        .filter(with_words)
        .order_by_desc(request::Column::Id)
        .limit(limit as u64)
        .into_tuple()
        .all(conn)
        .await
        .context("Failed to search requests")?;
    weighed(conn, words, ids).await
}

/// `ids` as found, each weighed for every word by reading its matched terms.
async fn weighed<C: ConnectionTrait>(
    conn: &C,
    words: &[QueryWord],
    ids: Vec<Uuid>,
) -> anyhow::Result<Vec<Found>> {
    let mut matched = matches(conn, words, &ids).await?;
    Ok(ids
        .into_iter()
        .map(|id| Found {
            id,
            fields: matched
                .remove(&id)
                .unwrap_or_else(|| vec![None; words.len()]),
        })
        .collect())
}

/// A read-only transaction for one search's statements. On PostgreSQL each
/// is planned for its own values: run five times on a connection, a
/// statement would otherwise be planned once for any values (a "generic
/// plan"), and a search's term has one request or 170,000 (at a million
/// requests the generic plan of `q=size 44` took 190-330 ms instead of
/// 28 ms). Only list searches are planned each time: filing keeps its
/// plans, and so does knowledge, whose statements read one word at a time
/// (planning them each time cost it more than it saved).
pub(crate) async fn search_reader(
    db: &sea_orm::DatabaseConnection,
) -> anyhow::Result<sea_orm::DatabaseTransaction> {
    use sea_orm::TransactionTrait;
    let txn = db.begin().await.context("Failed to begin a search")?;
    if txn.get_database_backend() == sea_orm::DbBackend::Postgres {
        txn.execute_unprepared("SET LOCAL plan_cache_mode = force_custom_plan")
            .await
            .context("Failed to plan a search for its values")?;
    }
    Ok(txn)
}

/// For each of `ids`, the best field each query word matched in (for
/// requests found without their words' weights: see [`weighed`]).
async fn matches<C: ConnectionTrait>(
    conn: &C,
    words: &[QueryWord],
    ids: &[Uuid],
) -> anyhow::Result<HashMap<Uuid, Vec<Option<Field>>>> {
    let mut matched: HashMap<Uuid, Vec<Option<Field>>> = HashMap::new();
    if ids.is_empty() || words.is_empty() {
        return Ok(matched);
    }
    let postgres = conn.get_database_backend() == sea_orm::DbBackend::Postgres;
    let any_word = words.iter().fold(Condition::any(), |any, w| {
        any.add(if postgres {
            term_condition_per_request(w)
        } else {
            term_condition(w)
        })
    });
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
        if self.backend() == crate::store::Backend::Postgres {
            // Until the table is vacuumed, PostgreSQL reads every index hit
            // from the table (no page is known all-visible yet) and plans
            // without statistics: autovacuum would see to both, minutes later.
            self.db
                .execute_unprepared(r#"VACUUM (ANALYZE) "search_terms""#)
                .await
                .context("Failed to vacuum the search index")?;
        }
        tracing::info!(requests = done, "Search index built");
        Ok(done)
    }
}

/// Candidates taken per query word for the knowledge shown at intake: the
/// newest answered requests with a form of the word...
const KNOWLEDGE_CANDIDATES_PER_WORD: usize = 60;
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
        let resolved = Condition::all()
            .add(request::Column::Status.is_in(answered))
            .add(request::Column::ResolutionNote.is_not_null());
        let mut matched: HashMap<Uuid, Vec<Option<Field>>> = HashMap::new();
        for &i in by_rarity.iter().take(KNOWLEDGE_CANDIDATE_WORDS) {
            let found = newest_with_words(
                &self.db,
                &words,
                Needed::One(i),
                resolved.clone(),
                KNOWLEDGE_CANDIDATES_PER_WORD,
            )
            .await?;
            matched.extend(found.into_iter().map(|f| (f.id, f.fields)));
        }
        let candidates: Vec<Uuid> = matched.keys().copied().collect();
        let mut past = Vec::with_capacity(candidates.len());
        for chunk in candidates.chunks(1_000) {
            #[allow(clippy::type_complexity)]
            let rows: Vec<(
                Uuid,
                String,
                i32,
                Option<chrono::DateTime<chrono::Utc>>,
                Option<String>,
            )> = request::Entity::find()
                .select_only()
                .column(request::Column::Id)
                .column(request::Column::Category)
                .column(request::Column::ReopenCount)
                .column(request::Column::ResolvedAt)
                .column(request::Column::ResolutionNote)
                .filter(request::Column::Id.is_in(chunk.iter().copied()))
                .into_tuple()
                .all(&self.db)
                .await
                .context("Failed to read past resolutions")?;
            let satisfaction = self.last_satisfaction(chunk).await?;
            for (id, category, reopens, resolved_at, note) in rows {
                let (Some(resolved_at), Some(note)) = (resolved_at, note) else {
                    continue;
                };
                past.push(Past {
                    id,
                    category,
                    outcome: Outcome::of(reopens > 0, satisfaction.get(&id).copied()),
                    resolved_at,
                    note,
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
