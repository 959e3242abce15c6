//! Which requests to suggest linking to an initiative: the same category,
//! similar words, ranked.
//!
//! Words are compared as sets (Jaccard: shared words ÷ words in either), so a
//! long description does not outweigh a short one by repeating itself, and
//! the measure is symmetric. Texts are reduced to words by [`words`]: lower
//! case, French accents folded (`taille` matches `Taillé`), numbers kept
//! (`44` in "size 44" is the point), short words and common English and
//! French words dropped, a plural `s` removed.
//!
//! The caller passes only the requests the member may see; this module only
//! ranks them.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Words shorter than this are dropped (unless they are numbers).
pub const MIN_WORD_CHARS: usize = 3;

/// Common words that say nothing about what was asked, folded as [`words`]
/// folds them. "customer" and "client" are here because nearly every request
/// mentions one.
const STOP_WORDS: &[&str] = &[
    // English
    "about", "after", "again", "all", "also", "and", "any", "are", "asked", "because", "been",
    "being", "but", "can", "could", "customer", "did", "does", "doing", "for", "from", "had",
    "has", "have", "her", "him", "his", "how", "into", "its", "just", "more", "most", "not", "now",
    "only", "other", "our", "out", "over", "please", "she", "should", "some", "such", "than",
    "that", "the", "their", "them", "then", "there", "these", "they", "this", "those", "very",
    "want", "wanted", "wants", "was", "were", "what", "when", "where", "which", "who", "why",
    "will", "with", "would", "you", "your", // French
    "aussi", "aux", "avait", "avec", "avoir", "bien", "car", "ces", "cet", "cette", "chez",
    "client", "cliente", "comme", "dans", "deja", "demande", "des", "donc", "elle", "elles",
    "encore", "entre", "est", "les", "etait", "ete", "etre", "fait", "faire", "ils", "leur",
    "leurs", "lui", "mais", "meme", "mes", "moins", "nos", "notre", "nous", "ont", "par", "pas",
    "peut", "plus", "pour", "quand", "que", "qui", "quoi", "ses", "son", "sont", "sous", "sur",
    "tes", "tous", "tout", "toute", "toutes", "tres", "une", "vos", "votre", "vous",
];

/// The accented letters of French (and a few neighbours) and what they fold
/// to. Applied after lower-casing.
fn fold(c: char, out: &mut String) {
    let folded = match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' => "a",
        'ç' => "c",
        'è' | 'é' | 'ê' | 'ë' => "e",
        'ì' | 'í' | 'î' | 'ï' => "i",
        'ñ' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' => "o",
        'ù' | 'ú' | 'û' | 'ü' => "u",
        'ý' | 'ÿ' => "y",
        'œ' => "oe",
        'æ' => "ae",
        'ß' => "ss",
        _ => {
            out.push(c);
            return;
        }
    };
    out.push_str(folded);
}

/// Removes a plural `s` (`sizes` → `size`, `tailles` → `taille`) from words
/// of four letters or more, except `ss` endings (`dress`).
fn singular(word: &str) -> &str {
    match word.strip_suffix('s') {
        Some(stem) if word.chars().count() >= 4 && !stem.ends_with('s') => stem,
        _ => word,
    }
}

/// The words of a text, as compared: lower-cased, accents folded, split on
/// anything that is not a letter or a digit; numbers kept, other words kept
/// from [`MIN_WORD_CHARS`] characters, stop words dropped, plurals made
/// singular.
pub fn words(text: &str) -> BTreeSet<String> {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        fold(c, &mut folded);
    }
    folded
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .filter_map(|word| {
            if word.chars().all(|c| c.is_ascii_digit()) {
                return Some(word.to_owned());
            }
            if word.chars().count() < MIN_WORD_CHARS || STOP_WORDS.contains(&word) {
                return None;
            }
            let word = singular(word);
            (!STOP_WORDS.contains(&word)).then(|| word.to_owned())
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
