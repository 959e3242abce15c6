#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Suggestions: how texts become words, how alike two are, and the ranking.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use uuid::Uuid;

use upturn_domain::suggest::{Candidate, Similarity, suggest, words};

fn set(words: &[&str]) -> BTreeSet<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

#[test]
fn texts_become_folded_words() {
    // The search's words and stems (upturn_domain::search), once each.
    assert_eq!(
        words("Les PANTALONS en taillé 44, s'il vous plaît !"),
        set(&["pantalon", "taill", "44", "plait"])
    );
    assert_eq!(
        words("The customer asked for trousers in size 44 — again."),
        set(&["trouser", "siz", "44"])
    );
    assert_eq!(
        words("Cœur, ÆSOP, Straße"),
        set(&["coeur", "aesop", "strass"])
    );
    // Word forms are one word: a plural, a verb form.
    assert_eq!(words("dress dresses bus"), set(&["dress", "bus"]));
    assert_eq!(words("taille tailles Taillé"), set(&["taill"]));
    assert_eq!(words("Ça, où, là : 7 !"), set(&["7"]));
    assert_eq!(words(""), BTreeSet::new());
    assert_eq!(words("a an of to in le la du"), BTreeSet::new());
}

#[test]
fn similarity_is_the_share_of_words_in_common() {
    let s = Similarity::of_texts("trousers size 44", "size 44 jeans");
    assert_eq!(s.shared(), 2);
    assert_eq!(s.score(), 0.5);
    assert_eq!(s, Similarity::of_texts("alpha beta", "alpha"));
    assert!(Similarity::of_texts("alpha beta gamma", "alpha beta gamma delta") > s);
    assert!(Similarity::of_texts("alpha beta", "beta gamma") < s);
    assert!(Similarity::of_texts("", "").is_none());
    assert_eq!(Similarity::of_texts("", ""), Similarity::NONE);
    assert_eq!(Similarity::of_texts("the and", "size"), Similarity::NONE);
}

fn at(hours: i64) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 2, 9, 0, 0).unwrap() + Duration::hours(hours)
}

fn candidate(n: u128, category: &str, title: &str, filed: i64) -> Candidate {
    Candidate {
        id: Uuid::from_u128(n),
        category: category.to_owned(),
        title: title.to_owned(),
        description: String::new(),
        filed_at: at(filed),
    }
}

fn ids(suggestions: &[upturn_domain::suggest::Suggestion]) -> Vec<u128> {
    suggestions.iter().map(|s| s.id.as_u128()).collect()
}

#[test]
fn suggestions_share_words_and_rank_by_likeness_then_recency() {
    let candidates = [
        candidate(1, "product", "Trousers in size 44", 1),
        candidate(2, "product", "Size 44 trousers, please", 5),
        candidate(3, "product", "Jeans in size 44", 3),
        candidate(4, "premises", "Fitting rooms too small", 4),
        candidate(5, "product", "Nothing in common", 6),
    ];
    let found = suggest("Stock trousers size 44", &[], &candidates, 10);
    // 1 and 2 tie (3 of 4 words); 2 was filed later.
    assert_eq!(ids(&found), [2, 1, 3]);
    assert_eq!(found[0].similarity.score(), 0.75);
    assert_eq!(
        ids(&suggest("Stock trousers size 44", &[], &candidates, 2)),
        [2, 1]
    );
    assert!(suggest("Stock trousers size 44", &[], &candidates, 0).is_empty());
}

#[test]
fn once_requests_are_linked_only_their_categories_count_and_they_are_not_suggested_again() {
    let linked = [candidate(1, "availability", "Trousers in size 44", 1)];
    let candidates = [
        candidate(1, "availability", "Trousers in size 44", 1),
        candidate(2, "product", "Trousers in size 44", 2),
        candidate(3, "availability", "Size 44 for trousers", 3),
        // Shares nothing with the initiative's words but is like the
        // linked request.
        candidate(4, "availability", "No 44 trousers in stock", 4),
    ];
    let found = suggest("Big sizes everywhere", &linked, &candidates, 10);
    assert_eq!(ids(&found), [3, 4]);
}

#[test]
fn the_same_request_twice_is_suggested_once() {
    let candidates = [
        candidate(1, "product", "Trousers in size 44", 1),
        candidate(1, "product", "Trousers in size 44", 1),
    ];
    assert_eq!(ids(&suggest("trousers", &[], &candidates, 10)), [1]);
}

// ───────────────────────────────────────────────────────────── properties

/// Words over two disjoint alphabets, so texts from each share nothing.
fn text(alphabet: &'static str) -> impl Strategy<Value = String> {
    let word = proptest::string::string_regex(&format!("[{alphabet}]{{3,8}}")).unwrap();
    prop::collection::vec(word, 1..8).prop_map(|w| w.join(" "))
}

/// The same text with letters capitalised or accented at random.
fn disguised(text: &str, seed: &[u8]) -> String {
    text.chars()
        .zip(seed.iter().cycle())
        .map(|(c, s)| match (c, s % 4) {
            ('a', 1) => 'à',
            ('a', 2) => 'Â',
            ('e', 1) => 'é',
            ('e', 2) => 'È',
            ('e', 3) => 'ë',
            ('c', 1) => 'Ç',
            ('i', 1) => 'î',
            ('o', 1) => 'Ô',
            ('u', 1) => 'ù',
            ('u', 2) => 'Ü',
            (c, 3) => c.to_ascii_uppercase(),
            (c, _) => c,
        })
        .collect()
}

proptest! {
    #[test]
    fn similarity_is_symmetric(a in ".{0,80}", b in ".{0,80}") {
        prop_assert_eq!(Similarity::of_texts(&a, &b), Similarity::of_texts(&b, &a));
        let s = Similarity::of_texts(&a, &b).score();
        prop_assert!((0.0..=1.0).contains(&s));
    }

    #[test]
    fn identical_texts_score_one(a in text("a-m")) {
        prop_assume!(!words(&a).is_empty());
        prop_assert_eq!(Similarity::of_texts(&a, &a).score(), 1.0);
    }

    #[test]
    fn texts_without_a_common_word_score_zero(a in text("a-m"), b in text("n-z")) {
        prop_assert!(Similarity::of_texts(&a, &b).is_none());
        prop_assert_eq!(Similarity::of_texts(&a, &b).score(), 0.0);
    }

    #[test]
    fn case_and_accents_are_ignored(a in text("a-z"), seed in prop::collection::vec(any::<u8>(), 1..16)) {
        prop_assert_eq!(words(&disguised(&a, &seed)), words(&a));
    }

    #[test]
    fn the_ranking_is_sorted_filtered_and_bounded(
        titles in prop::collection::vec((text("a-f"), 0u8..3, 0i64..100), 0..30),
        initiative in text("a-f"),
        limit in 0usize..12,
    ) {
        let categories = ["product", "price", "staff"];
        let candidates: Vec<Candidate> = titles
            .iter()
            .enumerate()
            .map(|(i, (title, cat, filed))| {
                candidate(i as u128, categories[usize::from(*cat)], title, *filed)
            })
            .collect();
        let linked: Vec<Candidate> = candidates.iter().take(2).cloned().collect();
        let found = suggest(&initiative, &linked, &candidates, limit);
        prop_assert!(found.len() <= limit);
        let linked_categories: BTreeSet<&str> = linked.iter().map(|c| c.category.as_str()).collect();
        for pair in found.windows(2) {
            let (a, b) = (&pair[0], &pair[1]);
            let filed = |id: Uuid| candidates.iter().find(|c| c.id == id).unwrap().filed_at;
            prop_assert!(
                a.similarity > b.similarity
                    || (a.similarity == b.similarity && filed(a.id) >= filed(b.id))
            );
        }
        for s in &found {
            let c = candidates.iter().find(|c| c.id == s.id).unwrap();
            prop_assert!(!s.similarity.is_none());
            prop_assert!(!linked.iter().any(|l| l.id == s.id));
            prop_assert!(linked_categories.is_empty() || linked_categories.contains(c.category.as_str()));
        }
    }
}
