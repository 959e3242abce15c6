//! The additive part of the metrics, so the database can keep it summed.
//!
//! Every figure of the overview but the percentiles is a sum over requests
//! (counts, sums of scores) or a ratio of two such sums. [`Counts::of`] is
//! what one request adds; roll-ups hold the sums per unit, day and category,
//! kept up to date in the transaction of each change, and
//! [`overview_from_parts`] turns summed counts and the percentiles the
//! database looked up by rank into the same [`Overview`] that
//! [`crate::metrics::overview`] computes from the requests themselves (a
//! property test holds the two together).
//!
//! Percentiles are not sums. The database keeps a histogram of each duration
//! by [`bucket`], finds the bucket that holds the rank [`rank`] asks for, and
//! reads the exact value inside it: still the nearest-rank value, never an
//! approximation.

use std::collections::BTreeMap;
use std::ops::{Add, AddAssign};

use chrono::{DateTime, TimeZone, Utc};

use crate::metrics::{
    self, AgeStats, AnswerKind, Backlog, Nps, Overview, RequestFacts, SatisfactionSummary,
    SilentMultiplier, Spread, Volume,
};
use crate::model::{Kind, Level, Status};

/// How many tallies [`Counts`] holds, in the order of [`Counts::NAMES`].
pub const TALLIES: usize = 35;

/// Sums over a set of requests. Each field is a count or a sum of scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Counts {
    pub total: u64,
    /// In the order of [`Kind::ALL`], [`Status::ALL`], [`Level::ALL`].
    pub by_kind: [u64; 5],
    pub by_status: [u64; 6],
    pub by_level: [u64; 4],
    pub open: u64,
    /// Requests with a time to acknowledge.
    pub acknowledged: u64,
    /// Standing resolutions (declines excluded).
    pub resolved: u64,
    pub declined: u64,
    pub resolved_frontline: u64,
    pub followed_up_reached: u64,
    pub answered_ever: u64,
    pub reopened_ever: u64,
    pub sla_kept: u64,
    pub sla_missed: u64,
    pub satisfaction_sum: u64,
    pub satisfaction_responses: u64,
    pub satisfaction_high: u64,
    pub satisfaction_low: u64,
    pub nps_promoters: u64,
    pub nps_detractors: u64,
    pub nps_responses: u64,
    pub unmet_needs: u64,
    pub reopens: u64,
}

fn position<T: PartialEq>(all: &[T], value: &T) -> usize {
    all.iter().position(|v| v == value).unwrap_or(0)
}

impl Counts {
    /// The tallies' names, as the roll-up tables name their columns.
    pub const NAMES: [&'static str; TALLIES] = [
        "total",
        "kind_improvement",
        "kind_need",
        "kind_unmet_need",
        "kind_idea",
        "kind_praise",
        "status_new",
        "status_acknowledged",
        "status_in_progress",
        "status_resolved",
        "status_declined",
        "status_closed",
        "level_frontline",
        "level_manager",
        "level_service",
        "level_leadership",
        "open",
        "acknowledged",
        "resolved",
        "declined",
        "resolved_frontline",
        "followed_up_reached",
        "answered_ever",
        "reopened_ever",
        "sla_kept",
        "sla_missed",
        "satisfaction_sum",
        "satisfaction_responses",
        "satisfaction_high",
        "satisfaction_low",
        "nps_promoters",
        "nps_detractors",
        "nps_responses",
        "unmet_needs",
        "reopens",
    ];

    /// What one request adds to every sum.
    pub fn of(facts: &RequestFacts) -> Counts {
        let mut counts = Counts {
            total: 1,
            ..Counts::default()
        };
        counts.by_kind[position(Kind::ALL, &facts.kind)] = 1;
        counts.by_status[position(Status::ALL, &facts.status)] = 1;
        counts.by_level[position(Level::ALL, &facts.level)] = 1;
        counts.open = u64::from(facts.status.is_open());
        counts.acknowledged = u64::from(facts.acknowledge_seconds.is_some());
        if let Some(answer) = facts.answer {
            match answer.kind {
                AnswerKind::Resolved => {
                    counts.resolved = 1;
                    counts.resolved_frontline = u64::from(answer.level == Level::Frontline);
                    counts.followed_up_reached = u64::from(facts.closed_reached());
                }
                AnswerKind::Declined => counts.declined = 1,
            }
        }
        let reopens = facts.reopens();
        counts.answered_ever = u64::from(facts.answer.is_some() || reopens > 0);
        counts.reopened_ever = u64::from(reopens > 0);
        counts.reopens = reopens;
        match facts.sla_met {
            Some(true) => counts.sla_kept = 1,
            Some(false) => counts.sla_missed = 1,
            None => {}
        }
        for follow_up in &facts.follow_ups {
            if let Some(s) = follow_up.satisfaction {
                let s = u64::from(s.get());
                counts.satisfaction_sum += s;
                counts.satisfaction_responses += 1;
                counts.satisfaction_high += u64::from(s >= 4);
                counts.satisfaction_low += u64::from(s <= 2);
            }
            if let Some(r) = follow_up.would_recommend {
                counts.nps_responses += 1;
                counts.nps_promoters += u64::from(r.get() >= 9);
                counts.nps_detractors += u64::from(r.get() <= 6);
            }
        }
        counts.unmet_needs = u64::from(facts.kind == Kind::UnmetNeed);
        counts
    }

    /// The tallies in the order of [`Counts::NAMES`].
    pub fn to_array(&self) -> [u64; TALLIES] {
        let mut out = [0; TALLIES];
        let head = [self.total];
        let tail = [
            self.open,
            self.acknowledged,
            self.resolved,
            self.declined,
            self.resolved_frontline,
            self.followed_up_reached,
            self.answered_ever,
            self.reopened_ever,
            self.sla_kept,
            self.sla_missed,
            self.satisfaction_sum,
            self.satisfaction_responses,
            self.satisfaction_high,
            self.satisfaction_low,
            self.nps_promoters,
            self.nps_detractors,
            self.nps_responses,
            self.unmet_needs,
            self.reopens,
        ];
        let parts: [&[u64]; 5] = [&head, &self.by_kind, &self.by_status, &self.by_level, &tail];
        for (slot, value) in out.iter_mut().zip(parts.into_iter().flatten()) {
            *slot = *value;
        }
        out
    }

    /// The inverse of [`Counts::to_array`].
    pub fn from_array(values: [u64; TALLIES]) -> Counts {
        let mut v = values.into_iter();
        let mut next = || v.next().unwrap_or(0);
        let total = next();
        let by_kind = [next(), next(), next(), next(), next()];
        let by_status = [next(), next(), next(), next(), next(), next()];
        let by_level = [next(), next(), next(), next()];
        Counts {
            total,
            by_kind,
            by_status,
            by_level,
            open: next(),
            acknowledged: next(),
            resolved: next(),
            declined: next(),
            resolved_frontline: next(),
            followed_up_reached: next(),
            answered_ever: next(),
            reopened_ever: next(),
            sla_kept: next(),
            sla_missed: next(),
            satisfaction_sum: next(),
            satisfaction_responses: next(),
            satisfaction_high: next(),
            satisfaction_low: next(),
            nps_promoters: next(),
            nps_detractors: next(),
            nps_responses: next(),
            unmet_needs: next(),
            reopens: next(),
        }
    }

    /// Each tally of `self` minus the same of `before`, for a roll-up to
    /// move from one state of a request to the next.
    pub fn delta(&self, before: &Counts) -> [i64; TALLIES] {
        let (after, before) = (self.to_array(), before.to_array());
        let mut out = [0; TALLIES];
        for ((slot, a), b) in out.iter_mut().zip(after).zip(before) {
            *slot = i64::try_from(a).unwrap_or(i64::MAX) - i64::try_from(b).unwrap_or(i64::MAX);
        }
        out
    }
}

impl AddAssign for Counts {
    fn add_assign(&mut self, other: Counts) {
        let mut sum = self.to_array();
        for (slot, value) in sum.iter_mut().zip(other.to_array()) {
            *slot += value;
        }
        *self = Counts::from_array(sum);
    }
}

impl Add for Counts {
    type Output = Counts;

    fn add(mut self, other: Counts) -> Counts {
        self += other;
        self
    }
}

impl std::iter::Sum for Counts {
    fn sum<I: Iterator<Item = Counts>>(iter: I) -> Counts {
        iter.fold(Counts::default(), Add::add)
    }
}

fn keyed<T: Copy>(
    all: &[T],
    counts: &[u64],
    name: impl Fn(T) -> &'static str,
) -> BTreeMap<String, u64> {
    all.iter()
        .zip(counts)
        .filter(|(_, n)| **n > 0)
        .map(|(v, n)| (name(*v).to_owned(), *n))
        .collect()
}

/// The overview from summed counts (with the same sums per category for
/// `volume.by_category`) and the percentiles, looked up by rank.
pub fn overview_from_parts(
    counts: &Counts,
    by_category: &BTreeMap<String, u64>,
    backlog_age: AgeStats,
    time_to_acknowledge: Spread,
    time_to_resolve: Spread,
    multiplier: SilentMultiplier,
) -> Overview {
    let c = counts;
    Overview {
        volume: Volume {
            total: c.total,
            by_kind: keyed(Kind::ALL, &c.by_kind, Kind::as_str),
            by_category: by_category
                .iter()
                .filter(|(_, n)| **n > 0)
                .map(|(k, n)| (k.clone(), *n))
                .collect(),
            by_status: keyed(Status::ALL, &c.by_status, Status::as_str),
            by_level: keyed(Level::ALL, &c.by_level, Level::as_str),
        },
        backlog: Backlog {
            open: c.open,
            age_seconds: backlog_age,
        },
        time_to_acknowledge_seconds: time_to_acknowledge,
        time_to_resolve_seconds: time_to_resolve,
        sla_compliance: metrics::ratio(c.sla_kept, c.sla_kept + c.sla_missed),
        frontline_resolution_share: metrics::ratio(c.resolved_frontline, c.resolved),
        follow_up_rate: metrics::ratio(c.followed_up_reached, c.resolved),
        satisfaction: SatisfactionSummary {
            mean: metrics::mean(c.satisfaction_sum, c.satisfaction_responses),
            share_4_or_more: metrics::ratio(c.satisfaction_high, c.satisfaction_responses),
            responses: c.satisfaction_responses,
        },
        nps: Nps {
            score: (c.nps_responses > 0).then(|| {
                let net = c.nps_promoters as f64 - c.nps_detractors as f64;
                100.0 * net / c.nps_responses as f64
            }),
            responses: c.nps_responses,
        },
        reopen_rate: metrics::ratio(c.reopened_ever, c.answered_ever),
        declined_share: metrics::ratio(c.declined, c.resolved + c.declined),
        silent_dissatisfaction: metrics::silent_dissatisfaction(
            c.satisfaction_low + c.unmet_needs + c.reopens,
            multiplier,
        ),
    }
}

/// The 1-based rank the nearest-rank `p`-th percentile of `n` values sits
/// at: `ceil(p/100 × n)`, at least 1; `None` when `n` is 0.
pub fn rank(n: u64, p: u8) -> Option<u64> {
    (n > 0).then(|| {
        let p = u128::from(p.min(100));
        let rank = (p * u128::from(n)).div_ceil(100).max(1);
        u64::try_from(rank).unwrap_or(n).min(n)
    })
}

/// The histogram bucket of a duration: exact below 64 s, then 32 buckets per
/// doubling (each at most ~3 % wide). Never decreases as `seconds` grows, so
/// the bucket holding a rank holds the value at that rank.
pub fn bucket(seconds: i64) -> i64 {
    let s = seconds.max(0);
    if s < 64 {
        return s;
    }
    let exponent = 63 - i64::from(s.leading_zeros()); // ≥ 6
    let mantissa = (s >> (exponent - 5)) - 32; // 0..32
    64 + (exponent - 6) * 32 + mantissa
}

/// In a histogram of `(bucket, count)` sorted by bucket, the bucket that
/// holds the value at 1-based `rank` and that value's 0-based offset among
/// the bucket's values sorted ascending; `None` past the last value.
pub fn locate(histogram: &[(i64, u64)], rank: u64) -> Option<(i64, u64)> {
    let mut below = 0;
    for &(bucket, count) in histogram {
        if rank <= below + count {
            return Some((bucket, rank.checked_sub(below + 1)?));
        }
        below += count;
    }
    None
}

/// The UTC day an instant falls in, as days since 1970-01-01.
pub fn day_of(at: DateTime<Utc>) -> i64 {
    at.timestamp().div_euclid(86_400)
}

/// Where a day starts (00:00 UTC).
pub fn day_start(day: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(day.saturating_mul(86_400), 0)
        .single()
        .unwrap_or(DateTime::<Utc>::MIN_UTC)
}

/// How a window splits: whole UTC days the roll-ups answer for, and up to
/// two ragged ends read from the requests themselves.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Split {
    /// Days `first..end` (end excluded); empty when `first == end`.
    pub days: (i64, i64),
    /// `[from, to)` ranges outside those days, inside the window.
    pub edges: [Option<(DateTime<Utc>, DateTime<Utc>)>; 2],
}

/// Cuts `[from, to)` into whole days and the rest.
pub fn split(window: metrics::Window) -> Split {
    let (from, to) = (window.from(), window.to());
    let first = day_of(from) + i64::from(day_start(day_of(from)) < from);
    let end = day_of(to);
    if first >= end {
        return Split {
            days: (first, first),
            edges: [Some((from, to)), None],
        };
    }
    let head = (from < day_start(first)).then(|| (from, day_start(first)));
    let tail = (day_start(end) < to).then(|| (day_start(end), to));
    Split {
        days: (first, end),
        edges: [head, tail],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arrays_round_trip_and_names_match_the_tallies() {
        let mut counts = Counts::default();
        let mut values = [0; TALLIES];
        for (i, v) in values.iter_mut().enumerate() {
            *v = i as u64 + 1;
        }
        counts = Counts::from_array(values) + counts;
        assert_eq!(counts.to_array(), values);
        assert_eq!(counts.reopens, TALLIES as u64);
        assert_eq!(counts.by_level[3], 16);
        assert_eq!(Counts::NAMES[15], "level_leadership");
        let kinds: Vec<String> = Kind::ALL
            .iter()
            .map(|k| format!("kind_{}", k.as_str()))
            .collect();
        assert_eq!(&Counts::NAMES[1..6], kinds.as_slice());
        let statuses: Vec<String> = Status::ALL
            .iter()
            .map(|s| format!("status_{}", s.as_str()))
            .collect();
        assert_eq!(&Counts::NAMES[6..12], statuses.as_slice());
        let levels: Vec<String> = Level::ALL
            .iter()
            .map(|l| format!("level_{}", l.as_str()))
            .collect();
        assert_eq!(&Counts::NAMES[12..16], levels.as_slice());
    }

    #[test]
    fn buckets_never_decrease_and_stay_narrow() {
        let mut last = bucket(0);
        for s in 0..200_000 {
            let b = bucket(s);
            assert!(b >= last, "bucket({s}) = {b} < {last}");
            last = b;
        }
        assert_eq!(bucket(63), 63);
        assert_eq!(bucket(64), 64);
        assert_eq!(bucket(-5), 0);
        assert!(bucket(i64::MAX) < 2_000);
    }

    #[test]
    fn ranks_are_nearest_rank() {
        assert_eq!(rank(0, 50), None);
        assert_eq!(rank(10, 50), Some(5));
        assert_eq!(rank(10, 90), Some(9));
        assert_eq!(rank(1, 90), Some(1));
        assert_eq!(rank(3, 0), Some(1));
        assert_eq!(rank(7, 100), Some(7));
    }

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap_or_default()
    }

    #[test]
    fn a_window_splits_into_whole_days_and_ragged_ends() {
        let w = metrics::Window::new(at("2026-11-02T10:00:00Z"), at("2026-11-05T06:00:00Z"))
            .unwrap_or_else(|_| unreachable!());
        let s = split(w);
        assert_eq!(day_start(s.days.0), at("2026-11-03T00:00:00Z"));
        assert_eq!(day_start(s.days.1), at("2026-11-05T00:00:00Z"));
        assert_eq!(
            s.edges,
            [
                Some((at("2026-11-02T10:00:00Z"), at("2026-11-03T00:00:00Z"))),
                Some((at("2026-11-05T00:00:00Z"), at("2026-11-05T06:00:00Z"))),
            ]
        );
        let aligned = metrics::Window::new(at("2026-11-02T00:00:00Z"), at("2026-11-04T00:00:00Z"))
            .unwrap_or_else(|_| unreachable!());
        assert_eq!(split(aligned).edges, [None, None]);
        let inside = metrics::Window::new(at("2026-11-02T01:00:00Z"), at("2026-11-02T02:00:00Z"))
            .unwrap_or_else(|_| unreachable!());
        let s = split(inside);
        assert_eq!(s.days.0, s.days.1);
        assert_eq!(
            s.edges[0],
            Some((at("2026-11-02T01:00:00Z"), at("2026-11-02T02:00:00Z")))
        );
    }
}
