//! Routing rules: leadership's standing orders for where requests go.
//!
//! Rules are tried by ascending position; the first active rule that
//! matches the request and would send it strictly down the pyramid wins.
//! A rule can never route a request up: a rule whose target is not below
//! the request's level is skipped, whatever it matches.

use uuid::Uuid;

use crate::lifecycle::{Request, RouteTarget};
use crate::model::{Kind, Level, Urgency};

/// What a rule matches. An empty list matches anything.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleMatch {
    pub categories: Vec<String>,
    pub kinds: Vec<Kind>,
    pub urgencies: Vec<Urgency>,
    /// Matched case-insensitively in the title or the description; any one suffices.
    pub keywords: Vec<String>,
}

/// A routing rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoutingRule {
    pub id: Uuid,
    pub name: String,
    pub position: i64,
    pub matches: RuleMatch,
    pub target: RouteTarget,
    /// Route as soon as the request is filed, skipping the team's managers.
    pub on_filing: bool,
    pub active: bool,
    pub version: i64,
}

/// The facts of a request a rule looks at.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    pub category: &'a str,
    pub kind: Kind,
    pub urgency: Urgency,
    pub title: &'a str,
    pub description: &'a str,
    pub level: Level,
}

impl<'a> From<&'a Request> for Subject<'a> {
    fn from(r: &'a Request) -> Self {
        Subject {
            category: &r.category,
            kind: r.kind,
            urgency: r.urgency,
            title: &r.title,
            description: &r.description,
            level: r.level,
        }
    }
}

impl RuleMatch {
    /// Whether a request with these facts matches.
    pub fn admits(&self, subject: &Subject<'_>) -> bool {
        let keyword = || {
            let title = subject.title.to_lowercase();
            let description = subject.description.to_lowercase();
            self.keywords.iter().any(|k| {
                let k = k.to_lowercase();
                title.contains(&k) || description.contains(&k)
            })
        };
        (self.categories.is_empty() || self.categories.iter().any(|c| c == subject.category))
            && (self.kinds.is_empty() || self.kinds.contains(&subject.kind))
            && (self.urgencies.is_empty() || self.urgencies.contains(&subject.urgency))
            && (self.keywords.is_empty() || keyword())
    }
}

impl RoutingRule {
    /// Whether this rule applies to the request and would route it down.
    pub fn applies_to(&self, subject: &Subject<'_>) -> bool {
        self.active
            && Level::of_unit(self.target.kind).depth() > subject.level.depth()
            && self.matches.admits(subject)
    }
}

/// The first rule, by ascending position, that applies. Rules with equal
/// positions keep their given order.
pub fn first_match<'r>(rules: &'r [RoutingRule], subject: &Subject<'_>) -> Option<&'r RoutingRule> {
    let mut ordered: Vec<&RoutingRule> = rules.iter().collect();
    ordered.sort_by_key(|r| r.position);
    ordered.into_iter().find(|r| r.applies_to(subject))
}

/// The rule that routes a request as it is filed, if leadership set one.
pub fn on_filing<'r>(rules: &'r [RoutingRule], subject: &Subject<'_>) -> Option<&'r RoutingRule> {
    let mut ordered: Vec<&RoutingRule> = rules.iter().filter(|r| r.on_filing).collect();
    ordered.sort_by_key(|r| r.position);
    ordered.into_iter().find(|r| r.applies_to(subject))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::UnitKind;

    fn rule(position: i64, matches: RuleMatch, kind: UnitKind) -> RoutingRule {
        RoutingRule {
            id: Uuid::from_u128(position as u128),
            name: format!("rule {position}"),
            position,
            matches,
            target: RouteTarget {
                unit_id: Uuid::from_u128(1000 + position as u128),
                kind,
            },
            on_filing: false,
            active: true,
            version: 1,
        }
    }

    fn subject(level: Level) -> Subject<'static> {
        Subject {
            category: "premises",
            kind: Kind::Improvement,
            urgency: Urgency::Critical,
            title: "Broken Door at the entrance",
            description: "The automatic door is stuck",
            level,
        }
    }

    #[test]
    fn every_match_field_filters() {
        let s = subject(Level::Manager);
        let any = RuleMatch::default();
        assert!(any.admits(&s));
        let categories = |c: &[&str]| RuleMatch {
            categories: c.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        };
        assert!(categories(&["price", "premises"]).admits(&s));
        assert!(!categories(&["price"]).admits(&s));
        assert!(
            RuleMatch {
                kinds: vec![Kind::Improvement],
                ..Default::default()
            }
            .admits(&s)
        );
        assert!(
            !RuleMatch {
                kinds: vec![Kind::Praise],
                ..Default::default()
            }
            .admits(&s)
        );
        assert!(
            RuleMatch {
                urgencies: vec![Urgency::Critical],
                ..Default::default()
            }
            .admits(&s)
        );
        assert!(
            !RuleMatch {
                urgencies: vec![Urgency::Low],
                ..Default::default()
            }
            .admits(&s)
        );
        let keywords = |k: &[&str]| RuleMatch {
            keywords: k.iter().map(|s| (*s).to_owned()).collect(),
            ..Default::default()
        };
        assert!(
            keywords(&["DOOR"]).admits(&s),
            "keywords are case-insensitive, in the title"
        );
        assert!(keywords(&["stuck"]).admits(&s), "or in the description");
        assert!(!keywords(&["window"]).admits(&s));
    }

    #[test]
    fn rules_are_tried_by_position_and_never_route_up() {
        let s = subject(Level::Service);
        let rules = vec![
            rule(30, RuleMatch::default(), UnitKind::Leadership),
            rule(10, RuleMatch::default(), UnitKind::Service),
            rule(
                20,
                RuleMatch {
                    kinds: vec![Kind::Praise],
                    ..Default::default()
                },
                UnitKind::Leadership,
            ),
        ];
        // At service level, the service rule (position 10) would be sideways.
        assert_eq!(first_match(&rules, &s).map(|r| r.position), Some(30));
        assert_eq!(
            first_match(&rules, &subject(Level::Manager)).map(|r| r.position),
            Some(10)
        );
        assert!(first_match(&rules, &subject(Level::Leadership)).is_none());
    }

    #[test]
    fn inactive_rules_and_non_filing_rules_are_skipped() {
        let mut off = rule(1, RuleMatch::default(), UnitKind::Service);
        off.active = false;
        let plain = rule(2, RuleMatch::default(), UnitKind::Service);
        let mut filing = rule(3, RuleMatch::default(), UnitKind::Service);
        filing.on_filing = true;
        let rules = vec![off, plain, filing];
        let s = subject(Level::Manager);
        assert_eq!(first_match(&rules, &s).map(|r| r.position), Some(2));
        assert_eq!(on_filing(&rules, &s).map(|r| r.position), Some(3));
    }
}
