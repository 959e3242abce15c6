//! Search (`GET /api/v1/requests?q=…`), black box, on both databases: word
//! forms in French and English, accents optional, prefixes while typing,
//! the most relevant first, paging through a ranked list, and only what
//! the caller may see (docs/decisions/0015-search-index.md).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Member, TestApp, org};
use serde_json::json;

on_both_backends!(words_match_their_forms_and_rank_by_relevance);

async fn file(app: &TestApp, who: &Member, title: &str, description: &str) -> String {
    app.post(
        "/api/v1/requests",
        &who.token,
        json!({"kind": "need", "category": "product", "channel": "in_person",
               "title": title, "description": description,
               "customer_expectation": "Une solution"}),
    )
    .await
    .expect(201)
    .id()
}

async fn found(app: &TestApp, who: &Member, q: &str) -> Vec<String> {
    let path = format!("/api/v1/requests?limit=200&q={}", q.replace(' ', "%20"));
    let page = app.get(&path, &who.token).await.expect(200);
    page.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["id"].as_str().unwrap().to_owned())
        .collect()
}

async fn words_match_their_forms_and_rank_by_relevance(app: TestApp) {
    let org = org(&app).await;
    let sizes = file(&app, &org.front_a, "Pantalon chino en tailles 42 et 44", "").await;
    let hem = file(
        &app,
        &org.front_a,
        "Taille du pantalon : ourlet trop court",
        "",
    )
    .await;
    let loyalty = file(
        &app,
        &org.front_a,
        "Réduction fidélité oubliée en caisse",
        "",
    )
    .await;
    let kettle = file(&app, &org.front_a, "Kettle returned twice", "").await;
    // Newest, but the word only in its description.
    let shoes = file(
        &app,
        &org.front_a,
        "Chaussures de randonnée",
        "avec un pantalon assorti",
    )
    .await;
    // Another team's: never found by team A.
    let other = file(&app, &org.front_b, "Pantalon taille 44", "").await;
    let manager = &org.manager_a;

    // Forms, both languages, accents optional, prefixes.
    let mut forms = found(&app, manager, "taille").await;
    forms.sort();
    let mut expected = vec![sizes.clone(), hem.clone()];
    expected.sort();
    assert_eq!(forms, expected, "taille finds tailles");
    assert_eq!(
        found(&app, manager, "reduction").await,
        vec![loyalty.clone()]
    );
    assert_eq!(
        found(&app, manager, "réduc").await,
        vec![loyalty.clone()],
        "a word being typed"
    );
    assert_eq!(
        found(&app, manager, "return").await,
        vec![kettle.clone()],
        "returned ~ return"
    );
    assert_eq!(
        found(&app, manager, "FIDELITE caisse").await,
        vec![loyalty.clone()]
    );
    // Every word must match.
    assert_eq!(
        found(&app, manager, "pantalon ourlet").await,
        vec![hem.clone()]
    );
    assert!(found(&app, manager, "pantalon parapluie").await.is_empty());
    assert!(
        found(&app, manager, "le la les").await.is_empty(),
        "only common words"
    );

    // Relevance: the word in the title before the word in a description,
    // however new; among equals, the newest first.
    let ranked = found(&app, manager, "pantalon").await;
    assert_eq!(ranked, [hem.clone(), sizes.clone(), shoes.clone()]);
    assert!(!ranked.contains(&other), "another team's request");
    let leader = found(&app, &org.leader, "pantalon").await;
    assert_eq!(leader.len(), 4, "the leader sees every team's");

    // A ranked list pages without repeating or losing anything.
    let mut paged = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            None => "/api/v1/requests?limit=1&q=pantalon".to_owned(),
            Some(c) => format!("/api/v1/requests?limit=1&q=pantalon&cursor={c}"),
        };
        let page = app.get(&path, &manager.token).await.expect(200);
        for item in page.body["items"].as_array().unwrap() {
            paged.push(item["id"].as_str().unwrap().to_owned());
        }
        match page.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(paged, ranked);
    app.get(
        "/api/v1/requests?q=pantalon&cursor=nonsense",
        &manager.token,
    )
    .await
    .expect_problem(422, "validation_failed");
}

on_both_backends!(every_word_weighs_where_it_was_found);

/// Two words: the request with both in its title comes first, then the one
/// with the second word only in its description, though it is newer, and
/// the same with the words the other way round (whichever word leads the
/// search, the other is weighed where it was found).
async fn every_word_weighs_where_it_was_found(app: TestApp) {
    // Arrange
    let org = org(&app).await;
    let both = file(&app, &org.front_a, "Parapluie jaune cassé", "").await;
    let described = file(
        &app,
        &org.front_a,
        "Parapluie introuvable",
        "Le client voulait un modèle jaune",
    )
    .await;
    let other_word = file(&app, &org.front_a, "Ciré jaune", "").await;

    for q in ["parapluie jaune", "jaune parapluie"] {
        // Act
        let ranked = found(&app, &org.manager_a, q).await;

        // Assert
        assert_eq!(ranked, [both.clone(), described.clone()], "q={q}");
        assert!(!ranked.contains(&other_word));
    }
}

on_both_backends!(requests_from_before_the_index_are_indexed_at_migration);

/// A database whose requests predate the index (or were loaded around it)
/// is indexed when the service migrates it, and then searched like any.
async fn requests_from_before_the_index_are_indexed_at_migration(app: TestApp) {
    let org = org(&app).await;
    let scarf = file(&app, &org.front_a, "Écharpe rouge en laine", "").await;
    let belt = file(&app, &org.front_a, "Ceinture en cuir", "").await;
    let db = sea_orm::Database::connect(&app.database_url).await.unwrap();
    use sea_orm::ConnectionTrait;
    db.execute_unprepared("DELETE FROM search_terms")
        .await
        .unwrap();
    db.close().await.unwrap();
    assert!(found(&app, &org.manager_a, "echarpe").await.is_empty());

    app.store.migrate(&app.database_url).await.unwrap();

    assert_eq!(found(&app, &org.manager_a, "echarpes").await, vec![scarf]);
    assert_eq!(found(&app, &org.manager_a, "cuir").await, vec![belt]);
    assert!(app.count("SELECT COUNT(*) AS n FROM search_terms").await > 4);
}

on_both_backends!(many_matches_are_found_whole_whichever_word_leads);

/// Enough requests that a search reads its words' index rows over several
/// pages, merges the terms of a prefix and checks the caller's scope: what
/// it finds is exactly what a plain reading of the filed texts finds, for a
/// common word, a rare one, two common ones, a common and a rare one, and a
/// prefix that stands for three words.
async fn many_matches_are_found_whole_whichever_word_leads(app: TestApp) {
    let org = org(&app).await;
    // A fixed sequence, so that a failure can be replayed.
    let mut state: u64 = 0x5eed;
    let mut next = move |n: u64| {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) % n
    };
    let cart = ["carte", "carton", "cartouche"];
    // (id, team A?, words)
    let mut filed: Vec<(String, bool, Vec<&str>)> = Vec::new();
    // More than a page (512) of index rows for "manteau" and "bleu".
    for i in 0..700 {
        let mut words = vec!["manteau"];
        if next(10) < 8 {
            words.push("bleu");
        }
        if next(10) < 7 {
            words.push(cart[next(3) as usize]);
        }
        if next(10) == 0 {
            words.push("rouge");
        }
        let team_a = i % 3 != 0;
        let who = if team_a { &org.front_a } else { &org.front_b };
        let id = file(&app, who, &words.join(" "), "").await;
        filed.push((id, team_a, words));
    }
    let expect = |all: &[&str], team_a_only: bool| {
        let mut ids: Vec<String> = filed
            .iter()
            .filter(|(_, a, _)| *a || !team_a_only)
            .filter(|(_, _, words)| {
                all.iter().all(|w| match *w {
                    "cart" => words.iter().any(|x| x.starts_with("cart")),
                    w => words.contains(&w),
                })
            })
            .map(|(id, _, _)| id.clone())
            .collect();
        ids.sort();
        ids
    };
    let everything = |q: &'static str, who: &'static str| {
        let app = &app;
        let token = match who {
            "leader" => org.leader.token.clone(),
            _ => org.manager_a.token.clone(),
        };
        async move {
            let mut ids = Vec::new();
            let mut cursor: Option<String> = None;
            loop {
                let path = match &cursor {
                    None => format!("/api/v1/requests?limit=200&q={q}"),
                    Some(c) => format!("/api/v1/requests?limit=200&q={q}&cursor={c}"),
                };
                let page = app.get(&path, &token).await.expect(200);
                for item in page.body["items"].as_array().unwrap() {
                    ids.push(item["id"].as_str().unwrap().to_owned());
                }
                match page.body["next_cursor"].as_str() {
                    Some(c) => cursor = Some(c.to_owned()),
                    None => break,
                }
            }
            let count = ids.len();
            ids.sort();
            ids.dedup();
            assert_eq!(ids.len(), count, "{q}: a request came twice");
            ids
        }
    };
    for (q, words) in [
        ("manteau", vec!["manteau"]),
        ("rouge", vec!["rouge"]),
        ("manteau%20rouge", vec!["manteau", "rouge"]),
        ("cart", vec!["cart"]),
        ("cart%20rouge", vec!["cart", "rouge"]),
        ("bleu%20manteau", vec!["bleu", "manteau"]),
        ("bleu%20cart", vec!["bleu", "cart"]),
    ] {
        let leader = everything(q, "leader").await;
        assert_eq!(leader, expect(&words, false), "{q}, the leader");
        assert!(!leader.is_empty(), "{q}: the sequence files some");
        let manager = everything(q, "manager").await;
        assert_eq!(manager, expect(&words, true), "{q}, team A's manager");
    }
}
