#![allow(clippy::unwrap_used, clippy::expect_used)]
//! Properties of the metric formulas and of the pulse release rule over
//! random inputs: percentiles are values of the input and grow with `p`,
//! ratios are fractions, NPS stays within ±100, and the release never shows
//! a group below the minimum nor leaves one recoverable from the total.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use proptest::prelude::*;
use uuid::Uuid;

use upturn_domain::metrics::{
    self, Answer, AnswerKind, FollowUpFacts, RequestFacts, SilentMultiplier, percentile,
};
use upturn_domain::pulse::{MinGroup, Period, RELEASE_GRACE, Release, Suppression, Tally, release};
use upturn_domain::values::{Satisfaction, WouldRecommend};
use upturn_domain::{Kind, Level, Status};

// ──────────────────────────────────────────────────────────── strategies

/// Instants between 2000 and 2100.
fn instant() -> impl Strategy<Value = DateTime<Utc>> {
    (946_684_800_i64..4_102_444_800).prop_map(|s| DateTime::from_timestamp(s, 0).unwrap())
}

fn follow_up() -> impl Strategy<Value = FollowUpFacts> {
    (
        any::<bool>(),
        proptest::option::of(1_i64..=5),
        proptest::option::of(0_i64..=10),
        any::<bool>(),
    )
        .prop_map(|(reached, s, r, reopened)| FollowUpFacts {
            reached,
            satisfaction: s.map(|v| Satisfaction::new("s", v).unwrap()),
            would_recommend: r.map(|v| WouldRecommend::new("r", v).unwrap()),
            reopened,
        })
}

fn answer() -> impl Strategy<Value = Answer> {
    (
        prop_oneof![Just(AnswerKind::Resolved), Just(AnswerKind::Declined)],
        proptest::sample::select(Level::ALL),
        -10_i64..10_000_000,
    )
        .prop_map(|(kind, level, after_seconds)| Answer {
            kind,
            level,
            after_seconds,
        })
}

/// Facts need not be consistent with each other: the formulas must keep
/// their ranges whatever the database hands them.
fn facts() -> impl Strategy<Value = RequestFacts> {
    (
        proptest::sample::select(Kind::ALL),
        proptest::sample::select(&["product", "price", "staff"][..]),
        proptest::sample::select(Status::ALL),
        proptest::sample::select(Level::ALL),
        instant(),
        proptest::option::of(-10_i64..1_000_000),
        proptest::option::of(answer()),
        proptest::option::of(any::<bool>()),
        proptest::collection::vec(follow_up(), 0..4),
    )
        .prop_map(
            |(kind, category, status, level, filed_at, ack, answer, sla_met, follow_ups)| {
                RequestFacts {
                    kind,
                    category: category.to_owned(),
                    status,
                    level,
                    filed_at,
                    acknowledge_seconds: ack,
                    answer,
                    sla_met,
                    follow_ups,
                }
            },
        )
}

/// A unit's tally: a count and three sums each between n and 5n.
fn tally() -> impl Strategy<Value = Tally> {
    prop_oneof![0_u64..12, 0_u64..40].prop_flat_map(|n| {
        (n..=5 * n, n..=5 * n, n..=5 * n)
            .prop_map(move |(h, p, e)| Tally::from_sums(n, h, p, e).unwrap())
    })
}

fn tallies() -> impl Strategy<Value = BTreeMap<Uuid, Tally>> {
    proptest::collection::vec(tally(), 0..10).prop_map(|ts| {
        ts.into_iter()
            .enumerate()
            .map(|(i, t)| (Uuid::from_u128(i as u128 + 1), t))
            .collect()
    })
}

fn in_unit(x: Option<f64>) -> bool {
    x.is_none_or(|x| (0.0..=1.0).contains(&x))
}

// ──────────────────────────────────────────────────────────── percentiles

proptest! {
    #[test]
    fn a_percentile_is_a_value_of_the_input(
        values in proptest::collection::vec(any::<i64>(), 1..60),
        p in any::<u8>(),
    ) {
        let got = percentile(&values, p);
        prop_assert!(got.is_some_and(|v| values.contains(&v)));
    }

    #[test]
    fn percentiles_grow_with_p(
        values in proptest::collection::vec(-1_000_i64..1_000, 0..60),
        p in 0_u8..=100,
        q in 0_u8..=100,
    ) {
        let (lo, hi) = (p.min(q), p.max(q));
        prop_assert!(percentile(&values, lo) <= percentile(&values, hi));
        prop_assert_eq!(percentile(&values, 100), values.iter().max().copied());
        prop_assert_eq!(percentile(&values, 0), values.iter().min().copied());
    }

    /// Nearest rank, said another way: the smallest value with at least p %
    /// of the values at or below it.
    #[test]
    fn nearest_rank_is_the_smallest_value_covering_p_percent(
        values in proptest::collection::vec(-50_i64..50, 1..60),
        p in 1_u8..=100,
    ) {
        let n = values.len();
        let covering = values
            .iter()
            .copied()
            .filter(|v| values.iter().filter(|x| *x <= v).count() * 100 >= usize::from(p) * n)
            .min();
        prop_assert_eq!(percentile(&values, p), covering);
    }

    #[test]
    fn the_input_order_does_not_matter(
        mut values in proptest::collection::vec(any::<i64>(), 0..40),
        p in 0_u8..=100,
    ) {
        let before = percentile(&values, p);
        values.reverse();
        prop_assert_eq!(percentile(&values, p), before);
    }
}

// ─────────────────────────────────────────────────────────────── figures

proptest! {
    #[test]
    fn ratios_are_fractions(
        part in any::<u32>(),
        extra in any::<u32>(),
    ) {
        let whole = u64::from(part) + u64::from(extra);
        prop_assert!(in_unit(metrics::ratio(u64::from(part), whole)));
    }

    #[test]
    fn every_figure_keeps_its_range(
        facts in proptest::collection::vec(facts(), 0..30),
        now in instant(),
        multiplier in 1_u32..100,
    ) {
        let m = SilentMultiplier::new(multiplier).unwrap();
        let o = metrics::overview(&facts, now, m);
        prop_assert!(in_unit(o.sla_compliance));
        prop_assert!(in_unit(o.frontline_resolution_share));
        prop_assert!(in_unit(o.follow_up_rate));
        prop_assert!(in_unit(o.reopen_rate));
        prop_assert!(in_unit(o.declined_share));
        prop_assert!(in_unit(o.satisfaction.share_4_or_more));
        prop_assert!(o.satisfaction.mean.is_none_or(|m| (1.0..=5.0).contains(&m)));
        prop_assert!(o.nps.score.is_none_or(|s| (-100.0..=100.0).contains(&s)));
        prop_assert_eq!(o.nps.score.is_none(), o.nps.responses == 0);
        prop_assert_eq!(o.satisfaction.mean.is_none(), o.satisfaction.responses == 0);
        // Volume: every breakdown adds up to the total.
        let total = facts.len() as u64;
        prop_assert_eq!(o.volume.total, total);
        for by in [&o.volume.by_kind, &o.volume.by_category, &o.volume.by_status, &o.volume.by_level] {
            prop_assert_eq!(by.values().sum::<u64>(), total);
            prop_assert!(by.values().all(|n| *n > 0));
        }
        // Backlog: ages are never negative, and max bounds the percentiles.
        let ages = o.backlog.age_seconds;
        prop_assert!(ages.median <= ages.p90 && ages.p90 <= ages.max);
        prop_assert!(ages.median.is_none_or(|a| a >= 0));
        prop_assert_eq!(ages.max.is_none(), o.backlog.open == 0);
        prop_assert!(o.time_to_acknowledge_seconds.median <= o.time_to_acknowledge_seconds.p90);
        prop_assert!(o.time_to_resolve_seconds.median.is_none_or(|s| s >= 0));
        // Silent dissatisfaction is always its multiple, with its note.
        let s = o.silent_dissatisfaction;
        prop_assert_eq!(s.multiplier, multiplier);
        prop_assert_eq!(s.estimated, s.expressed * u64::from(multiplier));
        prop_assert_eq!(s.note, metrics::SILENT_DISSATISFACTION_NOTE);
    }

    #[test]
    fn the_trend_adds_up_to_the_window(
        facts in proptest::collection::vec(facts(), 0..30),
        from in instant(),
        days in 1_i64..120,
    ) {
        let window = metrics::Window::new(from, from + Duration::days(days)).unwrap();
        let buckets = metrics::trend(&facts, window, from, SilentMultiplier::DEFAULT);
        let inside = facts.iter().filter(|f| window.contains(f.filed_at)).count() as u64;
        prop_assert_eq!(buckets.iter().map(|b| b.overview.volume.total).sum::<u64>(), inside);
        // Consecutive ISO weeks, first and last touching the window.
        prop_assert!(buckets.windows(2).all(|w| w[0].week.next() == w[1].week));
        prop_assert_eq!(buckets.first().map(|b| b.week), Some(Period::of(window.from())));
        prop_assert!(buckets.last().is_some_and(|b| b.week.end() >= window.to()));
    }
}

// ─────────────────────────────────────────────────────────────── periods

proptest! {
    #[test]
    fn a_period_is_the_whole_iso_week_around_an_instant(t in instant()) {
        let p = Period::of(t);
        prop_assert!(p.contains(t));
        prop_assert_eq!(p.end() - p.start(), Duration::days(7));
        prop_assert_eq!(p.next().start(), p.end());
        prop_assert_eq!(p.next().previous(), p);
        prop_assert_eq!(p.to_string().parse::<Period>(), Ok(p));
        prop_assert_eq!(metrics::week_of(t), p.to_string());
        let iso = chrono::Datelike::iso_week(&t.date_naive());
        prop_assert_eq!((p.year(), p.week()), (iso.year(), iso.week()));
    }
}

// ─────────────────────────────────────────────────────────────── release

fn closed_now(p: Period) -> DateTime<Utc> {
    p.end() + RELEASE_GRACE
}

fn check_release(
    r: &Release,
    tallies: &BTreeMap<Uuid, Tally>,
    min: u64,
) -> Result<(), TestCaseError> {
    let total: u64 = tallies.values().map(|t| t.answers()).sum();
    let mut shown = 0;
    for u in &r.units {
        let answers = tallies[&u.unit_id].answers();
        prop_assert_eq!(u.figures.is_none(), u.suppressed.is_some());
        if let Some(f) = u.figures {
            // Never a group below the minimum, and the unit's own count.
            prop_assert!(f.answers >= min);
            prop_assert_eq!(f.answers, answers);
            shown += f.answers;
        } else if answers < min {
            prop_assert_eq!(u.suppressed, Some(Suppression::BelowMinimum));
        }
    }
    prop_assert_eq!(r.units.len(), tallies.len());
    prop_assert_eq!(r.total.is_some(), total >= min);
    if let Some(t) = r.total {
        prop_assert_eq!(t.answers, total);
        // What the hidden units hold together, the only thing the total
        // gives away about them: nothing, or a group of at least `min`.
        let residual = total - shown;
        prop_assert!(
            residual == 0 || residual >= min,
            "residual {} < {}",
            residual,
            min
        );
    }
    let complementary = r
        .units
        .iter()
        .filter(|u| u.suppressed == Some(Suppression::Complementary))
        .count();
    prop_assert!(complementary <= 1);
    Ok(())
}

proptest! {
    #[test]
    fn the_release_never_shows_or_leaks_a_small_group(
        tallies in tallies(),
        min in 3_u64..9,
        t in instant(),
    ) {
        let p = Period::of(t);
        let min_group = MinGroup::new(min).unwrap();
        let r = release(p, closed_now(p), min_group, &tallies).unwrap();
        check_release(&r, &tallies, min)?;
    }

    /// Any one unit: whichever unit an attacker targets, it is either shown
    /// with at least `min` answers or lost in a hidden group of at least
    /// `min` (or nothing at all is shown about the organisation).
    #[test]
    fn no_single_small_unit_is_recoverable(
        tallies in tallies(),
        min in 3_u64..9,
    ) {
        let p: Period = "2026-W47".parse().unwrap();
        let r = release(p, closed_now(p), MinGroup::new(min).unwrap(), &tallies).unwrap();
        let hidden: Vec<u64> = r
            .units
            .iter()
            .filter(|u| u.figures.is_none())
            .map(|u| tallies[&u.unit_id].answers())
            .filter(|n| *n > 0)
            .collect();
        if r.total.is_some() && hidden.len() == 1 {
            prop_assert!(hidden[0] >= min);
        }
    }

    #[test]
    fn nothing_is_released_before_the_week_is_over(
        tallies in tallies(),
        before in 1_i64..(8 * 24 * 3600),
        t in instant(),
    ) {
        let p = Period::of(t);
        let now = closed_now(p) - Duration::seconds(before);
        prop_assert!(release(p, now, MinGroup::DEFAULT, &tallies).is_err());
    }
}

// ──────────────────────────────────────────────────────────── roll-ups

proptest! {
    /// Summing what each request adds, then computing the figures, gives
    /// exactly the overview computed from the requests themselves: what the
    /// roll-up tables keep is enough, and means the same.
    #[test]
    fn the_overview_from_summed_counts_is_the_overview(
        facts in proptest::collection::vec(facts(), 0..40),
        now in instant(),
        m in 1_u32..20,
    ) {
        use upturn_domain::rollup::{Counts, overview_from_parts};
        let multiplier = SilentMultiplier::new(m).unwrap();
        let counts: Counts = facts.iter().map(Counts::of).sum();
        let mut by_category = BTreeMap::new();
        for f in &facts {
            *by_category.entry(f.category.clone()).or_insert(0) += 1;
        }
        let expected = metrics::overview(&facts, now, multiplier);
        let got = overview_from_parts(
            &counts,
            &by_category,
            metrics::backlog(&facts, now).age_seconds,
            metrics::time_to_acknowledge(&facts),
            metrics::time_to_resolve(&facts),
            multiplier,
        );
        prop_assert_eq!(got, expected);
    }

    /// Finding the bucket that holds a rank, then the value at the offset
    /// inside it, is the nearest-rank percentile: the histogram only says
    /// where to look.
    #[test]
    fn a_percentile_found_through_the_histogram_is_exact(
        values in proptest::collection::vec(prop_oneof![0_i64..200, 0_i64..5_000_000], 1..80),
        p in 0_u8..=100,
    ) {
        use upturn_domain::rollup::{bucket, locate, rank};
        let mut histogram = BTreeMap::new();
        for v in &values {
            *histogram.entry(bucket(*v)).or_insert(0_u64) += 1;
        }
        let histogram: Vec<(i64, u64)> = histogram.into_iter().collect();
        let r = rank(values.len() as u64, p).unwrap();
        let (b, offset) = locate(&histogram, r).unwrap();
        let mut inside: Vec<i64> = values.iter().copied().filter(|v| bucket(*v) == b).collect();
        inside.sort_unstable();
        prop_assert_eq!(Some(inside[offset as usize]), percentile(&values, p));
    }
}
