//! Properties of routing rules: matched in order, never up.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use proptest::prelude::*;
use upturn_domain::lifecycle::RouteTarget;
use upturn_domain::model::{Kind, Level, UnitKind, Urgency};
use upturn_domain::routing::{RoutingRule, RuleMatch, Subject, first_match, on_filing};
use uuid::Uuid;

const CATEGORIES: &[&str] = &["product", "price", "premises"];
const WORDS: &[&str] = &["size", "door", "price", "queue"];

fn pick<T: Clone + std::fmt::Debug + 'static>(
    items: &'static [T],
) -> impl Strategy<Value = Vec<T>> {
    proptest::sample::subsequence(items.to_vec(), 0..=items.len())
}

fn rule() -> impl Strategy<Value = RoutingRule> {
    (
        0i64..20,
        pick(CATEGORIES),
        pick(Kind::ALL),
        pick(Urgency::ALL),
        pick(WORDS),
        prop_oneof![
            Just(UnitKind::Team),
            Just(UnitKind::Service),
            Just(UnitKind::Leadership)
        ],
        any::<bool>(),
        any::<bool>(),
        any::<u128>(),
    )
        .prop_map(
            |(position, categories, kinds, urgencies, keywords, kind, on_filing, active, id)| {
                RoutingRule {
                    id: Uuid::from_u128(id),
                    name: format!("rule {position}"),
                    position,
                    matches: RuleMatch {
                        categories: categories.iter().map(|c| (*c).to_owned()).collect(),
                        kinds,
                        urgencies,
                        keywords: keywords.iter().map(|w| w.to_uppercase()).collect(),
                    },
                    target: RouteTarget {
                        unit_id: Uuid::from_u128(id ^ 1),
                        kind,
                    },
                    on_filing,
                    active,
                    version: 1,
                }
            },
        )
}

#[derive(Debug, Clone)]
struct Facts {
    category: &'static str,
    kind: Kind,
    urgency: Urgency,
    title: String,
    level: Level,
}

fn facts() -> impl Strategy<Value = Facts> {
    (
        proptest::sample::select(CATEGORIES),
        proptest::sample::select(Kind::ALL),
        proptest::sample::select(Urgency::ALL),
        proptest::sample::select(WORDS),
        proptest::sample::select(&[Level::Manager, Level::Service, Level::Leadership][..]),
    )
        .prop_map(|(category, kind, urgency, word, level)| Facts {
            category,
            kind,
            urgency,
            title: format!("The {word} question"),
            level,
        })
}

fn subject(f: &Facts) -> Subject<'_> {
    Subject {
        category: f.category,
        kind: f.kind,
        urgency: f.urgency,
        title: &f.title,
        description: "",
        level: f.level,
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// Whatever rule is chosen routes strictly down from where the request is.
    #[test]
    fn a_rule_never_routes_up_or_sideways(rules in proptest::collection::vec(rule(), 0..12), f in facts()) {
        let s = subject(&f);
        for chosen in [first_match(&rules, &s), on_filing(&rules, &s)].into_iter().flatten() {
            prop_assert!(Level::of_unit(chosen.target.kind).depth() > f.level.depth());
            prop_assert!(chosen.active);
        }
    }

    /// The chosen rule is the lowest position among the rules that apply,
    /// and nothing is chosen when none applies.
    #[test]
    fn rules_are_matched_in_order(rules in proptest::collection::vec(rule(), 0..12), f in facts()) {
        let s = subject(&f);
        let applicable: Vec<&RoutingRule> = rules.iter().filter(|r| r.applies_to(&s)).collect();
        match first_match(&rules, &s) {
            None => prop_assert!(applicable.is_empty()),
            Some(chosen) => {
                let lowest = applicable.iter().map(|r| r.position).min().unwrap();
                prop_assert_eq!(chosen.position, lowest);
                // Among equal positions, the first given wins.
                let first = applicable.iter().find(|r| r.position == lowest).unwrap();
                prop_assert_eq!(chosen.id, first.id);
            }
        }
    }

    /// Routing on filing only ever uses rules marked for it.
    #[test]
    fn only_filing_rules_route_on_filing(rules in proptest::collection::vec(rule(), 0..12), f in facts()) {
        let s = subject(&f);
        if let Some(chosen) = on_filing(&rules, &s) {
            prop_assert!(chosen.on_filing);
        }
    }
}
