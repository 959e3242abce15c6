//! Which requests to suggest linking to an initiative: the same category,
//! similar words, ranked.
//!
//! Words are compared as sets (Jaccard: shared words ÷ words in either), so a
//! long description does not outweigh a short one by repeating itself, and
//! the measure is symmetric. Texts are reduced to words by [`words`], the
//! same terms search uses (`crate::search`): accents folded, word forms
//! stemmed in French and English, numbers kept (`44` in "size 44" is the
//! point), short and common words dropped.
//!
//! The caller passes only the requests the member may see; this module only
//! ranks them.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Words shorter than this are dropped (unless they are numbers).
pub const MIN_WORD_CHARS: usize = 3;

/// The words of a text, as compared: the search's words and stems
/// ([`crate::search::tokens`], [`crate::search::stems`]: lower-cased,
/// accents folded, common French and English words dropped), numbers kept,
/// other words from [`MIN_WORD_CHARS`] characters, each counted once by the
/// shorter of its French and English stems. Suggestions and search so agree
/// on what a word is: `tailles` is `taille`, `Réduction` is `reduction`.
pub fn words(text: &str) -> BTreeSet<String> {
    crate::search::tokens(text)
        .into_iter()
        .filter(|word| {
            word.chars().all(|c| c.is_ascii_digit()) || word.chars().count() >= MIN_WORD_CHARS
        })
        .filter_map(|word| {
            crate::search::stems(&word)
                .into_iter()
                .min_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)))
        })
        .collect()
}

/// How alike two sets of words are: the Jaccard index `shared ÷ union`, kept
/// as a fraction so that comparisons are exact. Two empty sets share
/// nothing: 0.
#[derive(Debug, Clone, Copy)]
pub struct Similarity {
    shared: u64,
    union: u64,
}

impl Similarity {
    pub const NONE: Similarity = Similarity {
        shared: 0,
        union: 1,
    };

    /// The similarity of two sets of words.
    pub fn of(a: &BTreeSet<String>, b: &BTreeSet<String>) -> Similarity {
        let shared = a.intersection(b).count() as u64;
        let union = (a.len() + b.len()) as u64 - shared;
        if union == 0 {
            Similarity::NONE
        } else {
            Similarity { shared, union }
        }
    }

    /// The similarity of two texts.
    pub fn of_texts(a: &str, b: &str) -> Similarity {
        Similarity::of(&words(a), &words(b))
    }

    /// Words the two have in common.
    pub fn shared(self) -> u64 {
        self.shared
    }

    /// As a number between 0 and 1, for display.
    pub fn score(self) -> f64 {
        self.shared as f64 / self.union as f64
    }

    pub fn is_none(self) -> bool {
        self.shared == 0
    }
}

impl PartialEq for Similarity {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Similarity {}

impl PartialOrd for Similarity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Similarity {
    fn cmp(&self, other: &Self) -> Ordering {
        // a/b against c/d as a·d against c·b; both unions are at least 1.
        (u128::from(self.shared) * u128::from(other.union))
            .cmp(&(u128::from(other.shared) * u128::from(self.union)))
    }
}

/// A request as the ranking sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: Uuid,
    pub category: String,
    pub title: String,
    pub description: String,
    pub filed_at: DateTime<Utc>,
}

impl Candidate {
    fn words(&self) -> BTreeSet<String> {
        let mut words = words(&self.title);
        words.extend(self::words(&self.description));
        words
    }
}

/// A request worth linking, and how alike it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Suggestion {
    pub id: Uuid,
    pub similarity: Similarity,
}

/// Ranks the requests to suggest for an initiative.
///
/// - `initiative` is its title and description; `linked` the requests
///   already linked to it (never suggested again).
/// - Same category: once requests are linked, only candidates in one of
///   their categories; before any is, the words alone decide (an initiative
///   has no category of its own).
/// - A candidate's similarity is its best match with the initiative's text
///   or with any linked request: a new request like one already linked is a
///   good suggestion even if it shares no word with the initiative's title.
/// - Only candidates sharing at least one word; most similar first, then
///   most recently filed, then by id; at most `limit`.
pub fn suggest(
    initiative: &str,
    linked: &[Candidate],
    candidates: &[Candidate],
    limit: usize,
) -> Vec<Suggestion> {
    let categories: BTreeSet<&str> = linked.iter().map(|c| c.category.as_str()).collect();
    let linked_ids: BTreeSet<Uuid> = linked.iter().map(|c| c.id).collect();
    let references: Vec<BTreeSet<String>> = std::iter::once(words(initiative))
        .chain(linked.iter().map(Candidate::words))
        .collect();
    let mut ranked: Vec<(Similarity, &Candidate)> = candidates
        .iter()
        .filter(|c| !linked_ids.contains(&c.id))
        .filter(|c| categories.is_empty() || categories.contains(c.category.as_str()))
        .filter_map(|c| {
            let own = c.words();
            let best = references
                .iter()
                .map(|reference| Similarity::of(&own, reference))
                .max()
                .unwrap_or(Similarity::NONE);
            (!best.is_none()).then_some((best, c))
        })
        .collect();
    ranked.sort_by(|(sa, a), (sb, b)| {
        sb.cmp(sa)
            .then_with(|| b.filed_at.cmp(&a.filed_at))
            .then_with(|| a.id.cmp(&b.id))
    });
    let mut seen = BTreeSet::new();
    ranked
        .into_iter()
        .filter(|(_, c)| seen.insert(c.id))
        .take(limit)
        .map(|(similarity, c)| Suggestion {
            id: c.id,
            similarity,
        })
        .collect()
}
