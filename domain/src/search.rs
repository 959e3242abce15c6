//! Text search, decided here once and the same on SQLite and PostgreSQL:
//! how a request's text becomes index terms, how what a member types
//! becomes words to look up, and how matches are ranked. The database only
//! stores terms and finds them by prefix; it never analyses text, so both
//! backends give the same results (docs/decisions/0015-search-index.md).
//!
//! - **Folding**: lower case, accents removed (`réduction` → `reduction`),
//!   split on anything that is not a letter or a digit (`l'ourlet` →
//!   `l`, `ourlet`); common French and English words dropped.
//! - **Word forms**: each word is stemmed by the French and by the English
//!   Snowball stemmers and indexed under both stems (the language of a
//!   request is not known, and shops write both): `tailles` and `taille`
//!   share `taill`, `returned` and `return` share `return`.
//! - **Prefixes**: a query word matches every term that starts with one of
//!   its stems (`reduc` finds `reduct`, from `réduction`), so results come
//!   while a word is being typed. Numbers and words under three letters
//!   match exactly (`44` does not find `440`).
//! - **Ranking**: each query word weighs by how rare it is (inverse document
//!   frequency) times where it was found (title 3, the customer's
//!   expectation 2, the description 1).

use std::collections::{BTreeMap, BTreeSet};
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};

/// Terms are cut to this many characters (longer "words" are noise).
pub const MAX_TERM_CHARS: usize = 40;
/// A query keeps its first this many distinct words.
pub const MAX_QUERY_WORDS: usize = 12;
/// Query words shorter than this match only exactly, never as a prefix.
const MIN_PREFIX_CHARS: usize = 3;

/// Common words that say nothing about what was asked, as folded. "client"
/// and "customer" are here because nearly every request mentions one.
const STOP_WORDS: &[&str] = &[
    // English
    "a", "about", "after", "again", "all", "also", "an", "and", "any", "are", "as", "asked", "at",
    "be", "because", "been", "being", "but", "by", "can", "could", "customer", "did", "do", "does",
    "doing", "for", "from", "had", "has", "have", "he", "her", "him", "his", "how", "i", "if",
    "in", "into", "is", "it", "its", "just", "me", "more", "most", "my", "no", "not", "now", "of",
    "on", "only", "or", "other", "our", "out", "over", "please", "she", "should", "so", "some",
    "such", "than", "that", "the", "their", "them", "then", "there", "these", "they", "this",
    "those", "to", "very", "want", "wanted", "wants", "was", "we", "were", "what", "when", "where",
    "which", "who", "why", "will", "with", "would", "you", "your", // French
    "au", "aussi", "aux", "avait", "avec", "avoir", "bien", "c", "car", "ce", "ces", "cet",
    "cette", "chez", "client", "cliente", "comme", "d", "dans", "de", "deja", "demande", "des",
    "du", "elle", "elles", "en", "encore", "entre", "est", "et", "etait", "ete", "etre", "fait",
    "faire", "il", "ils", "j", "je", "l", "la", "le", "les", "leur", "leurs", "lui", "m", "ma",
    "mais", "me", "meme", "mes", "moins", "n", "ne", "nos", "notre", "nous", "on", "ont", "ou",
    "par", "pas", "peut", "plus", "pour", "qu", "quand", "que", "qui", "quoi", "s", "sa", "se",
    "ses", "son", "sont", "sous", "sur", "t", "ta", "tes", "tous", "tout", "toute", "toutes",
    "tres", "un", "une", "vos", "votre", "vous", "y",
];

static FRENCH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::French));
static ENGLISH: LazyLock<Stemmer> = LazyLock::new(|| Stemmer::create(Algorithm::English));

/// Where a word was found, and how much a match there counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Field {
    Description = 1,
    Expectation = 2,
    Title = 3,
}

impl Field {
    /// How much a match in this field counts (and how the index stores it).
    pub const fn weight(self) -> u8 {
        self as u8
    }

    /// The field a stored weight stands for (an unknown one counts least).
    pub const fn of_weight(weight: i16) -> Field {
        match weight {
            3 => Field::Title,
            2 => Field::Expectation,
            _ => Field::Description,
        }
    }
}

/// The accented letters of French (and a few neighbours) and what they fold
/// to. Applied after lower-casing.
fn fold_char(c: char, out: &mut String) {
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

/// A text lower-cased with its accents folded.
pub fn fold(text: &str) -> String {
    let mut folded = String::with_capacity(text.len());
    for c in text.chars().flat_map(char::to_lowercase) {
        fold_char(c, &mut folded);
    }
    folded
}

/// The words of a text, folded, in order, stop words dropped, each cut to
/// [`MAX_TERM_CHARS`].
pub fn tokens(text: &str) -> Vec<String> {
    fold(text)
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty() && !STOP_WORDS.contains(word))
        .map(|word| word.chars().take(MAX_TERM_CHARS).collect())
        .collect()
}

fn is_number(word: &str) -> bool {
    word.chars().all(|c| c.is_ascii_digit())
}

/// The terms a folded word is indexed and looked up under: its French and
/// English stems (one when they agree). A number is its own term.
pub fn stems(word: &str) -> Vec<String> {
    if is_number(word) {
        return vec![word.to_owned()];
    }
    let french = fold(&FRENCH.stem(word));
    let english = fold(&ENGLISH.stem(word));
    let mut stems = vec![french];
    if english != stems[0] {
        stems.push(english);
    }
    stems
}

/// The index terms of a request, each with the weight of the best field it
/// appears in.
pub fn index_terms(fields: &[(Field, &str)]) -> BTreeMap<String, Field> {
    let mut terms: BTreeMap<String, Field> = BTreeMap::new();
    for (field, text) in fields {
        for word in tokens(text) {
            for stem in stems(&word) {
                let best = terms.entry(stem).or_insert(*field);
                *best = (*best).max(*field);
            }
        }
    }
    terms
}

/// How a query word is looked up: a term equal to `exact`, or starting
/// with one of `prefixes`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QueryWord {
    /// As typed (folded), for showing which words matched.
    pub word: String,
    /// Terms that match when a term starts with them.
    pub prefixes: Vec<String>,
    /// Terms that match only when equal (numbers, very short words).
    pub exact: Vec<String>,
}

impl QueryWord {
    /// Whether index term `term` is a form of this word.
    pub fn matches(&self, term: &str) -> bool {
        self.exact.iter().any(|e| e == term)
            || self.prefixes.iter().any(|p| term.starts_with(p.as_str()))
    }

    /// How the index is searched for this word: terms equal to one of
    /// [`QueryWord::exact`], or in the range `[prefix, prefix_end(prefix))`
    /// of one of [`QueryWord::prefixes`] (see [`prefix_end`]).
    pub fn lookups(&self) -> Vec<Lookup> {
        self.exact
            .iter()
            .map(|e| Lookup::Equal(e.clone()))
            .chain(self.prefixes.iter().map(|p| Lookup::Range {
                from: p.clone(),
                to: prefix_end(p),
            }))
            .collect()
    }
}

/// One way to find a query word's terms in an ordered index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Lookup {
    Equal(String),
    /// `from <= term < to`.
    Range {
        from: String,
        to: String,
    },
}

impl Lookup {
    pub fn holds(&self, term: &str) -> bool {
        match self {
            Lookup::Equal(e) => term == e,
            Lookup::Range { from, to } => term >= from.as_str() && term < to.as_str(),
        }
    }
}

/// The first string after every string that starts with `prefix`, in byte
/// order (what SQLite's default collation and PostgreSQL's `"C"` compare).
pub fn prefix_end(prefix: &str) -> String {
    let mut chars: Vec<char> = prefix.chars().collect();
    while let Some(last) = chars.pop() {
        if let Some(next) =
            char::from_u32(u32::from(last) + 1).or_else(|| char::from_u32(u32::from(last) + 0x801))
        {
            chars.push(next);
            return chars.into_iter().collect();
        }
    }
    // Only the last code point repeated: nothing comes after.
    char::MAX.to_string().repeat(MAX_TERM_CHARS + 1)
}

/// The distinct words of a query, in the order typed, at most
/// [`MAX_QUERY_WORDS`]. A word is looked up by its stems as prefixes (the
/// last one may be half typed); numbers and words under three letters
/// exactly.
pub fn query_words(query: &str) -> Vec<QueryWord> {
    let mut seen = BTreeSet::new();
    tokens(query)
        .into_iter()
        .filter(|word| seen.insert(word.clone()))
        .take(MAX_QUERY_WORDS)
        .map(|word| {
            if is_number(&word) {
                return QueryWord {
                    exact: vec![word.clone()],
                    prefixes: vec![],
                    word,
                };
            }
            let short = word.chars().count() < MIN_PREFIX_CHARS;
            let (mut prefixes, exact): (Vec<String>, Vec<String>) = stems(&word)
                .into_iter()
                .partition(|s| !short && s.chars().count() >= MIN_PREFIX_CHARS);
            // A stem that starts with another adds nothing as a prefix.
            prefixes.sort_by_key(|p| p.chars().count());
            let mut kept: Vec<String> = Vec::new();
            for p in prefixes {
                if !kept.iter().any(|k| p.starts_with(k.as_str())) {
                    kept.push(p);
                }
            }
            QueryWord {
                word,
                prefixes: kept,
                exact,
            }
        })
        .collect()
}

/// How rare a word is among `documents`, when `containing` of them match
/// it: `ln(1 + documents ÷ containing)`, at least a little above 0.
pub fn rarity(documents: u64, containing: u64) -> f64 {
    (1.0 + documents.max(1) as f64 / containing.max(1) as f64).ln()
}

/// A document's relevance to a query: for each query word it matches, the
/// word's rarity times the weight of the best field it matched in.
/// `matched[i]` is the best field where query word `i` matched, if any.
pub fn relevance(rarities: &[f64], matched: &[Option<Field>]) -> f64 {
    rarities
        .iter()
        .zip(matched)
        .filter_map(|(rarity, field)| field.map(|f| rarity * f64::from(f.weight())))
        .sum()
}

/// What the customer said of a resolution, as far as the follow-up tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Satisfaction 4 or 5, never reopened.
    Satisfied,
    /// No follow-up, or satisfaction 3.
    Unknown,
    /// Satisfaction 1 or 2.
    Unsatisfied,
    /// The customer was not satisfied and the request was reopened.
    Reopened,
}

impl Outcome {
    /// From a request's reopen count and its last follow-up's satisfaction.
    pub fn of(reopened: bool, satisfaction: Option<u8>) -> Outcome {
        match (reopened, satisfaction) {
            (true, _) => Outcome::Reopened,
            (false, Some(4..)) => Outcome::Satisfied,
            (false, Some(..=2)) => Outcome::Unsatisfied,
            (false, _) => Outcome::Unknown,
        }
    }

    /// How a resolution's relevance is weighed: one that satisfied the
    /// customer is the better example, one that had to be reopened the worse.
    fn factor(self) -> f64 {
        match self {
            Outcome::Satisfied => 1.3,
            Outcome::Unknown => 1.0,
            Outcome::Unsatisfied => 0.7,
            Outcome::Reopened => 0.4,
        }
    }
}

/// A past resolution as the knowledge ranking sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Past {
    pub id: uuid::Uuid,
    pub category: String,
    pub outcome: Outcome,
    pub resolved_at: chrono::DateTime<chrono::Utc>,
    /// The resolution note: a note said again (the same answer to the
    /// same need) is shown once.
    pub note: String,
    /// For each query word, the best field it matched in.
    pub matched: Vec<Option<Field>>,
}

/// A past resolution worth showing, and how many like it there were.
#[derive(Debug, Clone, PartialEq)]
pub struct Known {
    pub id: uuid::Uuid,
    pub score: f64,
    /// Past resolutions of the same category that fit the text at least
    /// half as well as this one (itself included).
    pub similar_count: u64,
}

/// A past resolution must match words carrying at least this share of the
/// query's weight (by rarity) to be shown: one common word is not a fit.
pub const MIN_COVERAGE: f64 = 0.3;

/// Ranks past resolutions for a text typed at intake: relevance (see
/// [`relevance`]) times the outcome's weight, best first, then most recent;
/// only those covering [`MIN_COVERAGE`] of the text's weight; each note
/// once (the best placed of those that give it, up to case and accents);
/// at most `limit`.
pub fn rank_resolutions(rarities: &[f64], past: &[Past], limit: usize) -> Vec<Known> {
    let total: f64 = rarities.iter().sum();
    if total <= 0.0 {
        return vec![];
    }
    let fits: Vec<(&Past, f64)> = past
        .iter()
        .filter_map(|p| {
            let covered: f64 = rarities
                .iter()
                .zip(&p.matched)
                .filter(|(_, m)| m.is_some())
                .map(|(r, _)| r)
                .sum();
            (covered / total >= MIN_COVERAGE).then(|| (p, relevance(rarities, &p.matched)))
        })
        .collect();
    let mut ranked: Vec<Known> = fits
        .iter()
        .map(|(p, base)| Known {
            id: p.id,
            score: base * p.outcome.factor(),
            similar_count: fits
                .iter()
                .filter(|(other, other_base)| {
                    other.category == p.category && *other_base >= base * 0.5
                })
                .count() as u64,
        })
        .collect();
    let when: std::collections::HashMap<uuid::Uuid, chrono::DateTime<chrono::Utc>> =
        past.iter().map(|p| (p.id, p.resolved_at)).collect();
    ranked.sort_by(|a, b| {
        b.score
            .total_cmp(&a.score)
            .then_with(|| when.get(&b.id).cmp(&when.get(&a.id)))
            .then_with(|| a.id.cmp(&b.id))
    });
    let notes: std::collections::HashMap<uuid::Uuid, String> =
        past.iter().map(|p| (p.id, fold(p.note.trim()))).collect();
    let mut said = std::collections::HashSet::new();
    ranked.retain(|k| {
        notes
            .get(&k.id)
            .is_none_or(|note| said.insert(note.clone()))
    });
    ranked.truncate(limit);
    ranked
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use proptest::prelude::*;

    use super::*;

    fn one(query: &str) -> QueryWord {
        let mut words = query_words(query);
        assert_eq!(words.len(), 1, "{words:?}");
        words.remove(0)
    }

    fn finds(query: &str, text: &str) -> bool {
        let terms = index_terms(&[(Field::Title, text)]);
        let word = one(query);
        terms.keys().any(|t| word.matches(t))
    }

    #[test]
    fn word_forms_in_french_and_english_find_each_other() {
        assert!(finds("taille", "Pantalon disponible en plusieurs tailles"));
        assert!(finds("tailles", "taille 44"));
        assert!(finds("returned", "Return of a faulty kettle"));
        assert!(finds("return", "The parcel was returned"));
        assert!(finds("livraison", "livraisons en retard"));
        assert!(finds("remboursement", "rembourser la cliente"));
    }

    #[test]
    fn accents_are_optional_both_ways() {
        assert!(finds("reduction", "Réduction fidélité"));
        assert!(finds("réduction", "reduction fidelite"));
        assert!(finds("velo", "Vélo de ville"));
        assert!(finds("noël", "decorations de noel"));
    }

    #[test]
    fn a_word_being_typed_finds_its_forms() {
        assert!(finds("reduc", "Réduction fidélité"));
        assert!(finds("rembours", "Remboursement sans ticket"));
        assert!(finds("pantal", "Pantalon chino"));
    }

    #[test]
    fn numbers_and_short_words_match_exactly() {
        assert!(finds("44", "Taille 44"));
        assert!(!finds("44", "Référence 440"));
        assert!(!finds("4", "Taille 44"));
    }

    #[test]
    fn unrelated_words_do_not_match() {
        assert!(!finds("chaussure", "Pantalon taille 44"));
        assert!(!finds("parking", "Parasol de jardin"));
    }

    #[test]
    fn stop_words_are_not_looked_up() {
        assert!(query_words("le la les de the of a").is_empty());
        assert_eq!(query_words("la taille du pantalon").len(), 2);
    }

    #[test]
    fn the_best_field_weighs_a_term() {
        let terms = index_terms(&[
            (Field::Description, "pantalon beige"),
            (Field::Title, "Pantalon"),
            (Field::Expectation, "beige"),
        ]);
        assert_eq!(terms["pantalon"], Field::Title);
        assert_eq!(terms["beig"], Field::Expectation);
        for field in [Field::Title, Field::Expectation, Field::Description] {
            assert_eq!(Field::of_weight(i16::from(field.weight())), field);
        }
    }

    #[test]
    fn rarer_words_and_better_fields_rank_higher() {
        let rare = rarity(1_000, 10);
        let common = rarity(1_000, 500);
        assert!(rare > common && common > 0.0);
        let title_rare = relevance(&[rare, common], &[Some(Field::Title), None]);
        let description_rare = relevance(&[rare, common], &[Some(Field::Description), None]);
        let common_only = relevance(&[rare, common], &[None, Some(Field::Title)]);
        assert!(title_rare > description_rare);
        assert!(description_rare > common_only);
    }

    #[test]
    fn prefix_end_bounds_exactly_the_prefixed_terms() {
        assert_eq!(prefix_end("reduc"), "redud");
        assert_eq!(prefix_end("taz"), "ta{");
        let end = prefix_end("abc");
        for term in ["abc", "abcd", "abczzzz", "abc9"] {
            assert!(term >= "abc" && term < end.as_str(), "{term}");
        }
        for term in ["abb", "abd", "ab", "b"] {
            assert!(!(term >= "abc" && term < end.as_str()), "{term}");
        }
    }

    fn past(n: u128, category: &str, outcome: Outcome, matched: &[Option<Field>]) -> Past {
        Past {
            id: uuid::Uuid::from_u128(n),
            category: category.to_owned(),
            outcome,
            resolved_at: chrono::DateTime::from_timestamp(1_800_000_000 + n as i64, 0).unwrap(),
            note: format!("Note {n}"),
            matched: matched.to_vec(),
        }
    }

    #[test]
    fn a_satisfied_resolution_outranks_a_reopened_one_that_fits_as_well() {
        let rarities = [2.0, 1.0];
        let both = [Some(Field::Title), Some(Field::Title)];
        let ranked = rank_resolutions(
            &rarities,
            &[
                past(1, "product", Outcome::Reopened, &both),
                past(2, "product", Outcome::Satisfied, &both),
                past(3, "product", Outcome::Unknown, &both),
            ],
            5,
        );
        let order: Vec<u128> = ranked.iter().map(|k| k.id.as_u128()).collect();
        assert_eq!(order, [2, 3, 1]);
        assert!(ranked.iter().all(|k| k.similar_count == 3));
    }

    #[test]
    fn the_same_note_given_again_is_shown_once_where_it_ranks_best() {
        let rarities = [1.0];
        let title = [Some(Field::Title)];
        let mut again = past(3, "product", Outcome::Unknown, &title);
        again.note = "  NOTE 1 ".to_owned();
        let ranked = rank_resolutions(
            &rarities,
            &[
                past(1, "product", Outcome::Satisfied, &title),
                past(2, "product", Outcome::Unknown, &title),
                again,
            ],
            5,
        );
        let order: Vec<u128> = ranked.iter().map(|k| k.id.as_u128()).collect();
        assert_eq!(order, [1, 2], "3 says what 1 says, and 1 ranks better");
        assert_eq!(ranked[0].similar_count, 3, "repeats still count as similar");
    }

    #[test]
    fn a_resolution_matching_only_a_common_word_is_not_shown() {
        let rarities = [5.0, 0.5];
        let ranked = rank_resolutions(
            &rarities,
            &[
                past(
                    1,
                    "product",
                    Outcome::Satisfied,
                    &[None, Some(Field::Title)],
                ),
                past(
                    2,
                    "price",
                    Outcome::Unknown,
                    &[Some(Field::Description), None],
                ),
            ],
            5,
        );
        assert_eq!(ranked.len(), 1);
        assert_eq!(ranked[0].id.as_u128(), 2);
        assert_eq!(
            ranked[0].similar_count, 1,
            "the other category is not similar"
        );
    }

    #[test]
    fn outcomes_come_from_the_follow_up() {
        assert_eq!(Outcome::of(true, Some(5)), Outcome::Reopened);
        assert_eq!(Outcome::of(false, Some(4)), Outcome::Satisfied);
        assert_eq!(Outcome::of(false, Some(3)), Outcome::Unknown);
        assert_eq!(Outcome::of(false, Some(2)), Outcome::Unsatisfied);
        assert_eq!(Outcome::of(false, None), Outcome::Unknown);
    }

    proptest! {
        /// Every term of a text is found by a query of that text's own
        /// words: what is indexed can be searched, whatever the text.
        #[test]
        fn every_indexed_word_finds_its_text(text in "[a-zA-Zéèàçôû' ]{1,60}") {
            let terms = index_terms(&[(Field::Description, &text)]);
            for word in query_words(&text) {
                prop_assert!(terms.keys().any(|t| word.matches(t)), "{word:?} in {terms:?}");
                for t in terms.keys() {
                    let looked_up = word.lookups().iter().any(|l| l.holds(t));
                    prop_assert_eq!(looked_up, word.matches(t), "{} for {:?}", t, word);
                }
            }
        }

        /// Folding is idempotent and removes every accent it knows.
        #[test]
        fn folding_twice_changes_nothing(text in "\\PC{0,40}") {
            let once = fold(&text);
            prop_assert_eq!(fold(&once), once.clone());
            prop_assert!(!once.contains(['é', 'è', 'à', 'ç', 'ô', 'û', 'œ']));
        }
    }
}
