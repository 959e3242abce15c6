//! Leadership metrics as pure formulas over plain values.
//!
//! The database filters (requests filed in `[from, to)`, optionally one unit)
//! and groups (by unit, by category); each group arrives here as a slice of
//! [`RequestFacts`], and [`overview`] computes every figure of the overview
//! from it. [`trend`] cuts the same facts into ISO weeks.
//!
//! Each figure is defined in one sentence and one formula in `docs/metrics.md`;
//! the doc comments below repeat the formula. Where a figure has no data it is
//! `None` (JSON `null`), never 0 and never NaN.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

use crate::model::{EventType, Kind, Level, Status};
use crate::pulse::Period;
use crate::values::{Satisfaction, WouldRecommend};

// ───────────────────────────────────────────────────────────────── inputs

/// One request filed in the period, as the metrics need it. The database
/// builds these; nothing here reads a clock or a table.
#[derive(Debug, Clone, PartialEq)]
pub struct RequestFacts {
    pub kind: Kind,
    pub category: String,
    pub status: Status,
    /// Where the request sits now.
    pub level: Level,
    pub filed_at: DateTime<Utc>,
    /// Seconds from the request's arrival at the level that first
    /// acknowledged it to that acknowledgement (see
    /// [`first_acknowledge_seconds`]); `None` if no level ever acknowledged it.
    pub acknowledge_seconds: Option<i64>,
    /// The answer that stands now; `None` while the request is open
    /// (including after a reopen).
    pub answer: Option<Answer>,
    /// Whether the request kept its SLA (see [`sla_outcome`]); `None` while
    /// that is not decided yet.
    pub sla_met: Option<bool>,
    /// Every follow-up recorded on the request, oldest first.
    pub follow_ups: Vec<FollowUpFacts>,
}

/// How a request was answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AnswerKind {
    Resolved,
    Declined,
}

/// The standing answer of a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Answer {
    pub kind: AnswerKind,
    /// The level that answered (`resolved_level`): `frontline` for a
    /// front-line resolution.
    pub level: Level,
    /// Seconds from filing to this answer (`resolved_at − filed_at`).
    pub after_seconds: i64,
}

/// One follow-up, as recorded by the front line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FollowUpFacts {
    pub reached: bool,
    pub satisfaction: Option<Satisfaction>,
    pub would_recommend: Option<WouldRecommend>,
    /// The customer was not satisfied and the request went back to work.
    pub reopened: bool,
}

impl RequestFacts {
    fn resolved(&self) -> bool {
        matches!(
            self.answer,
            Some(Answer {
                kind: AnswerKind::Resolved,
                ..
            })
        )
    }

    fn declined(&self) -> bool {
        matches!(
            self.answer,
            Some(Answer {
                kind: AnswerKind::Declined,
                ..
            })
        )
    }

    /// How many times a follow-up sent the request back to work.
    pub fn reopens(&self) -> u64 {
        count(self.follow_ups.iter().filter(|f| f.reopened))
    }

    /// The follow-up that closed the standing answer, if any: the last one,
    /// unless it reopened the request (a reopen ends that answer).
    fn closing_follow_up(&self) -> Option<&FollowUpFacts> {
        self.follow_ups.last().filter(|f| !f.reopened)
    }

    /// The standing resolution was followed up with the customer reached.
    pub fn closed_reached(&self) -> bool {
        self.closing_follow_up().is_some_and(|c| c.reached)
    }

    /// Answered (resolved or declined) at least once: it has an answer now,
    /// or was reopened, which only ever follows an answer.
    fn answered_at_least_once(&self) -> bool {
        self.answer.is_some() || self.reopens() > 0
    }
}

// ─────────────────────────────────────────────── deriving facts from a request

/// One entry of a request's timeline, as much of it as the metrics need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimelineStep {
    pub kind: EventType,
    pub from_status: Option<Status>,
    pub at: DateTime<Utc>,
}

/// Seconds from a request's arrival at a level to the first acknowledgement,
/// counted from the arrival at the level that gave it. `timeline` is oldest
/// first. An acknowledgement is an `acknowledged` event or a status change
/// out of `new` (putting a new request in progress acknowledges it, as in
/// [`crate::lifecycle::decide`]; so does linking a new request to an
/// initiative, which sets `acknowledged_at` too); an arrival is `filed`,
/// `routed`, `escalated`, or an initiative taking an acknowledged request or
/// handing one back.
/// Wall-clock seconds: business hours are out of scope.
///
/// The database may compute the same in SQL; this is the definition to test
/// it against.
pub fn first_acknowledge_seconds(timeline: &[TimelineStep]) -> Option<i64> {
    let mut arrived: Option<DateTime<Utc>> = None;
    for step in timeline {
        let out_of_new = step.from_status == Some(Status::New);
        match step.kind {
            EventType::StatusChanged | EventType::InitiativeLinked if out_of_new => {
                return arrived.map(|a| (step.at - a).num_seconds().max(0));
            }
            EventType::Filed
            | EventType::Routed
            | EventType::Escalated
            | EventType::InitiativeLinked
            | EventType::InitiativeDropped => arrived = Some(step.at),
            EventType::Acknowledged => {
                return arrived.map(|a| (step.at - a).num_seconds().max(0));
            }
            _ => {}
        }
    }
    None
}

/// Whether a request kept its SLA: `Some(false)` once any deadline was
/// recorded as breached (`sla_breached` events, which survive a new level
/// clearing the flag) or the answer came after `resolve_by`; `Some(true)` once
/// answered (resolved or declined) in time with no breach; `None` while open
/// and not breached, because it can still go either way.
pub fn sla_outcome(
    breaches: u64,
    answered_at: Option<DateTime<Utc>>,
    resolve_by: DateTime<Utc>,
) -> Option<bool> {
    if breaches > 0 {
        return Some(false);
    }
    answered_at.map(|at| at <= resolve_by)
}

/// The facts of a request from its current state, its timeline (oldest
/// first) and its follow-ups (oldest first). A closed request keeps the kind
/// of the answer it was closed on: the last resolution or decline of its
/// timeline (a request filed resolved on the spot has none: resolved).
pub fn facts_of(
    request: &crate::lifecycle::Request,
    timeline: &[TimelineStep],
    follow_ups: Vec<FollowUpFacts>,
) -> RequestFacts {
    let answer = match (request.resolved_at, request.resolved_level) {
        (Some(at), Some(level)) => {
            let kind = match request.status {
                Status::Declined => AnswerKind::Declined,
                Status::Resolved => AnswerKind::Resolved,
                _ => timeline
                    .iter()
                    .rev()
                    .find_map(|step| match step.kind {
                        EventType::Declined => Some(AnswerKind::Declined),
                        EventType::Resolved => Some(AnswerKind::Resolved),
                        _ => None,
                    })
                    .unwrap_or(AnswerKind::Resolved),
            };
            Some(Answer {
                kind,
                level,
                after_seconds: (at - request.filed_at).num_seconds(),
            })
        }
        _ => None,
    };
    let breaches = count(
        timeline
            .iter()
            .filter(|step| step.kind == EventType::SlaBreached),
    );
    RequestFacts {
        kind: request.kind,
        category: request.category.clone(),
        status: request.status,
        level: request.level,
        filed_at: request.filed_at,
        acknowledge_seconds: first_acknowledge_seconds(timeline),
        answer,
        sla_met: sla_outcome(
            breaches,
            answer.and(request.resolved_at),
            request.resolve_by,
        ),
        follow_ups,
    }
}

// ──────────────────────────────────────────────────────── generic formulas

/// The median is the 50th percentile.
pub const MEDIAN: u8 = 50;
/// Nine in ten values are at or below the 90th percentile.
pub const P90: u8 = 90;

/// The `p`-th percentile by the nearest-rank method: the value at 1-based rank
/// `ceil(p/100 × n)` of the values sorted ascending (rank 1 when that is 0).
/// Always one of the values; `None` when there are none. `p` above 100 is
/// read as 100. The input need not be sorted.
pub fn percentile(values: &[i64], p: u8) -> Option<i64> {
    let mut sorted = values.to_vec();
    sorted.sort_unstable();
    nearest_rank(&sorted, p)
}

/// [`percentile`] over values already sorted ascending.
fn nearest_rank(sorted: &[i64], p: u8) -> Option<i64> {
    let n = sorted.len();
    if n == 0 {
        return None;
    }
    // In integers: with floats, 90/100 × 10 is 9.000000000000002 and its
    // ceiling 10, one rank too high.
    let p = u128::from(p.min(100));
    let rank = (p * n as u128).div_ceil(100).max(1);
    let index = usize::try_from(rank - 1).unwrap_or(n - 1).min(n - 1);
    sorted.get(index).copied()
}

/// `part ÷ whole` as a fraction, `None` when `whole` is 0. Callers pass a
/// part that is a subset of the whole, so the answer lies in `[0, 1]`.
pub fn ratio(part: u64, whole: u64) -> Option<f64> {
    (whole > 0).then(|| part as f64 / whole as f64)
}

/// `sum ÷ count`, `None` when `count` is 0.
pub fn mean(sum: u64, count: u64) -> Option<f64> {
    (count > 0).then(|| sum as f64 / count as f64)
}

fn count<I: Iterator>(items: I) -> u64 {
    items.fold(0, |n, _| n + 1)
}

/// Median and 90th percentile of a set of durations, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Spread {
    pub median: Option<i64>,
    pub p90: Option<i64>,
}

impl Spread {
    pub fn of(values: &[i64]) -> Spread {
        let mut sorted = values.to_vec();
        sorted.sort_unstable();
        Spread {
            median: nearest_rank(&sorted, MEDIAN),
            p90: nearest_rank(&sorted, P90),
        }
    }
}

/// Net Promoter Score over would-recommend answers.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Nps {
    /// `100 × (promoters − detractors) ÷ responses`, in points from −100 to
    /// 100; `None` without answers.
    pub score: Option<f64>,
    pub responses: u64,
}

/// NPS = % promoters (9–10) − % detractors (0–6), in points.
pub fn nps(answers: impl IntoIterator<Item = WouldRecommend>) -> Nps {
    let (mut promoters, mut detractors, mut responses) = (0_i64, 0_i64, 0_u64);
    for answer in answers {
        responses += 1;
        match answer.get() {
            9..=10 => promoters += 1,
            0..=6 => detractors += 1,
            _ => {}
        }
    }
    Nps {
        score: (responses > 0).then(|| 100.0 * (promoters - detractors) as f64 / responses as f64),
        responses,
    }
}

/// Customer satisfaction (1–5) over follow-up answers.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SatisfactionSummary {
    /// Σ satisfaction ÷ responses.
    pub mean: Option<f64>,
    /// Answers of 4 or 5 ÷ responses.
    pub share_4_or_more: Option<f64>,
    pub responses: u64,
}

pub fn satisfaction(answers: impl IntoIterator<Item = Satisfaction>) -> SatisfactionSummary {
    let (mut sum, mut high, mut responses) = (0_u64, 0_u64, 0_u64);
    for answer in answers {
        let value = answer.get();
        sum += u64::from(value);
        high += u64::from(value >= 4);
        responses += 1;
    }
    SatisfactionSummary {
        mean: mean(sum, responses),
        share_4_or_more: ratio(high, responses),
        responses,
    }
}

// ─────────────────────────────────────────────── figures over request facts

/// Requests filed in the period, counted four ways by their wire spelling.
/// Only values that occur are keys, so an empty period has empty maps.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Volume {
    pub total: u64,
    pub by_kind: BTreeMap<String, u64>,
    pub by_category: BTreeMap<String, u64>,
    pub by_status: BTreeMap<String, u64>,
    pub by_level: BTreeMap<String, u64>,
}

pub fn volume(facts: &[RequestFacts]) -> Volume {
    let mut volume = Volume::default();
    for f in facts {
        volume.total += 1;
        *volume
            .by_kind
            .entry(f.kind.as_str().to_owned())
            .or_default() += 1;
        *volume.by_category.entry(f.category.clone()).or_default() += 1;
        *volume
            .by_status
            .entry(f.status.as_str().to_owned())
            .or_default() += 1;
        *volume
            .by_level
            .entry(f.level.as_str().to_owned())
            .or_default() += 1;
    }
    volume
}

/// Median, 90th percentile and maximum age of the open backlog, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct AgeStats {
    pub median: Option<i64>,
    pub p90: Option<i64>,
    pub max: Option<i64>,
}

/// The requests still open (`new`, `acknowledged`, `in_progress`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Backlog {
    pub open: u64,
    pub age_seconds: AgeStats,
}

/// Open requests and their age `now − filed_at` (a clock a little behind
/// another replica's counts 0, never negative).
pub fn backlog(facts: &[RequestFacts], now: DateTime<Utc>) -> Backlog {
    let ages: Vec<i64> = facts
        .iter()
        .filter(|f| f.status.is_open())
        .map(|f| age(now, f.filed_at))
        .collect();
    Backlog {
        open: count(ages.iter()),
        age_seconds: AgeStats::of(&ages),
    }
}

/// An open request's age: `now − filed_at` in seconds, never negative.
pub fn age(now: DateTime<Utc>, filed_at: DateTime<Utc>) -> i64 {
    (now - filed_at).num_seconds().max(0)
}

impl AgeStats {
    /// Median, p90 (nearest rank) and maximum of some ages, in any order.
    pub fn of(ages: &[i64]) -> AgeStats {
        let mut sorted = ages.to_vec();
        sorted.sort_unstable();
        AgeStats {
            median: nearest_rank(&sorted, MEDIAN),
            p90: nearest_rank(&sorted, P90),
            max: sorted.last().copied(),
        }
    }
}

/// Over requests that were acknowledged: seconds from arrival at the level
/// that acknowledged to the acknowledgement.
pub fn time_to_acknowledge(facts: &[RequestFacts]) -> Spread {
    let values: Vec<i64> = facts
        .iter()
        .filter_map(|f| f.acknowledge_seconds)
        .map(|s| s.max(0))
        .collect();
    Spread::of(&values)
}

/// Over requests resolved now (not declined): seconds from filing to the
/// standing resolution.
pub fn time_to_resolve(facts: &[RequestFacts]) -> Spread {
    let values: Vec<i64> = facts
        .iter()
        .filter_map(|f| match f.answer {
            Some(Answer {
                kind: AnswerKind::Resolved,
                after_seconds,
                ..
            }) => Some(after_seconds.max(0)),
            _ => None,
        })
        .collect();
    Spread::of(&values)
}

/// Requests that kept their SLA ÷ requests whose SLA outcome is decided.
pub fn sla_compliance(facts: &[RequestFacts]) -> Option<f64> {
    let decided = facts.iter().filter_map(|f| f.sla_met);
    let (met, all) = decided.fold((0, 0), |(met, all), m| (met + u64::from(m), all + 1));
    ratio(met, all)
}

/// Resolved at level `frontline` ÷ resolved (standing resolutions).
pub fn frontline_resolution_share(facts: &[RequestFacts]) -> Option<f64> {
    let resolved = facts.iter().filter(|f| f.resolved());
    let frontline = resolved
        .clone()
        .filter(|f| matches!(f.answer, Some(a) if a.level == Level::Frontline));
    ratio(count(frontline), count(resolved))
}

/// Resolved with a closing follow-up where the customer was reached ÷
/// resolved.
pub fn follow_up_rate(facts: &[RequestFacts]) -> Option<f64> {
    let resolved = facts.iter().filter(|f| f.resolved());
    let reached = resolved
        .clone()
        .filter(|f| f.closing_follow_up().is_some_and(|c| c.reached));
    ratio(count(reached), count(resolved))
}

/// Reopened at least once ÷ answered (resolved or declined) at least once.
pub fn reopen_rate(facts: &[RequestFacts]) -> Option<f64> {
    let answered = facts.iter().filter(|f| f.answered_at_least_once());
    let reopened = answered.clone().filter(|f| f.reopens() > 0);
    ratio(count(reopened), count(answered))
}

/// Declined ÷ (resolved + declined), standing answers.
pub fn declined_share(facts: &[RequestFacts]) -> Option<f64> {
    let answered = facts.iter().filter(|f| f.answer.is_some());
    let declined = answered.clone().filter(|f| f.declined());
    ratio(count(declined), count(answered))
}

/// Every follow-up recorded on the requests, each counted once.
fn follow_ups(facts: &[RequestFacts]) -> impl Iterator<Item = &FollowUpFacts> + Clone {
    facts.iter().flat_map(|f| f.follow_ups.iter())
}

/// Satisfaction over every follow-up answer (a request reopened and followed
/// up twice contributes two answers).
pub fn satisfaction_of(facts: &[RequestFacts]) -> SatisfactionSummary {
    satisfaction(follow_ups(facts).filter_map(|f| f.satisfaction))
}

/// NPS over every follow-up where would-recommend was asked.
pub fn nps_of(facts: &[RequestFacts]) -> Nps {
    nps(follow_ups(facts).filter_map(|f| f.would_recommend))
}

// ──────────────────────────────────────────────────── silent dissatisfaction

/// The rule-of-thumb factor between expressed and total dissatisfaction
/// (`UPTURN_SILENT_MULTIPLIER`, default 10, at least 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct SilentMultiplier(u32);

/// A multiplier of 0 would say nobody is dissatisfied, whatever they said.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the silent-dissatisfaction multiplier must be at least 1, got {0}")]
pub struct MultiplierTooSmall(pub u32);

impl SilentMultiplier {
    /// About one dissatisfied customer in ten speaks up.
    pub const DEFAULT: SilentMultiplier = SilentMultiplier(10);

    pub fn new(value: u32) -> Result<Self, MultiplierTooSmall> {
        if value >= 1 {
            Ok(Self(value))
        } else {
            Err(MultiplierTooSmall(value))
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for SilentMultiplier {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Shown with every silent-dissatisfaction figure, whatever the multiplier.
pub const SILENT_DISSATISFACTION_NOTE: &str = "Estimate, not a measurement: expressed dissatisfaction times the multiplier, a rule of thumb that only about one dissatisfied customer in that many speaks up.";

/// What customers (or the front line on their behalf) expressed, by source.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ExpressedDissatisfaction {
    /// Follow-ups with satisfaction 1 or 2.
    pub low_satisfaction: u64,
    /// Requests of kind `unmet_need`.
    pub unmet_needs: u64,
    /// Follow-ups that reopened a request.
    pub reopens: u64,
}

impl ExpressedDissatisfaction {
    pub fn total(self) -> u64 {
        self.low_satisfaction + self.unmet_needs + self.reopens
    }
}

/// Follow-ups with satisfaction ≤ 2 + `unmet_need` requests + reopens, each
/// counted as SPEC.md adds them (a reopening follow-up that also scored ≤ 2
/// counts in both).
pub fn expressed_dissatisfaction(facts: &[RequestFacts]) -> ExpressedDissatisfaction {
    ExpressedDissatisfaction {
        low_satisfaction: count(
            follow_ups(facts).filter(|f| f.satisfaction.is_some_and(|s| s.get() <= 2)),
        ),
        unmet_needs: count(facts.iter().filter(|f| f.kind == Kind::UnmetNeed)),
        reopens: facts.iter().map(RequestFacts::reopens).sum(),
    }
}

/// The estimate, always with its multiplier and its note.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SilentDissatisfaction {
    pub expressed: u64,
    pub multiplier: u32,
    /// `expressed × multiplier`.
    pub estimated: u64,
    pub note: &'static str,
}

pub fn silent_dissatisfaction(
    expressed: u64,
    multiplier: SilentMultiplier,
) -> SilentDissatisfaction {
    SilentDissatisfaction {
        expressed,
        multiplier: multiplier.get(),
        estimated: expressed.saturating_mul(u64::from(multiplier.get())),
        note: SILENT_DISSATISFACTION_NOTE,
    }
}

// ─────────────────────────────────────────────────────────────── overview

/// Every figure of `GET /metrics/overview` but the echoed `period` and
/// `unit_id`, which the API adds from the query.
#[derive(Debug, Clone, PartialEq)]
pub struct Overview {
    pub volume: Volume,
    pub backlog: Backlog,
    pub time_to_acknowledge_seconds: Spread,
    pub time_to_resolve_seconds: Spread,
    pub sla_compliance: Option<f64>,
    pub frontline_resolution_share: Option<f64>,
    pub follow_up_rate: Option<f64>,
    pub satisfaction: SatisfactionSummary,
    pub nps: Nps,
    pub reopen_rate: Option<f64>,
    pub declined_share: Option<f64>,
    pub silent_dissatisfaction: SilentDissatisfaction,
}

/// The overview of a set of requests (those filed in one period, one unit,
/// one category…). `now` ages the backlog.
pub fn overview(
    facts: &[RequestFacts],
    now: DateTime<Utc>,
    multiplier: SilentMultiplier,
) -> Overview {
    Overview {
        volume: volume(facts),
        backlog: backlog(facts, now),
        time_to_acknowledge_seconds: time_to_acknowledge(facts),
        time_to_resolve_seconds: time_to_resolve(facts),
        sla_compliance: sla_compliance(facts),
        frontline_resolution_share: frontline_resolution_share(facts),
        follow_up_rate: follow_up_rate(facts),
        satisfaction: satisfaction_of(facts),
        nps: nps_of(facts),
        reopen_rate: reopen_rate(facts),
        declined_share: declined_share(facts),
        silent_dissatisfaction: silent_dissatisfaction(
            expressed_dissatisfaction(facts).total(),
            multiplier,
        ),
    }
}

// ────────────────────────────────────────────────────────────────── trend

/// A half-open interval of time `[from, to)`: `from` counts, `to` does not,
/// so consecutive windows never share an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    from: DateTime<Utc>,
    to: DateTime<Utc>,
}

/// `from` must come strictly before `to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("`from` must be before `to`")]
pub struct EmptyWindow;

impl Window {
    pub fn new(from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Self, EmptyWindow> {
        if from < to {
            Ok(Self { from, to })
        } else {
            Err(EmptyWindow)
        }
    }

    /// The last `days` whole UTC days: today so far and the days before
    /// it, up to tomorrow's midnight. Whole days are what the roll-ups
    /// keep, so such a window is read from their sums alone.
    pub fn last_days(now: DateTime<Utc>, days: u32) -> Self {
        let today = now.date_naive();
        let tomorrow = today
            .checked_add_days(chrono::Days::new(1))
            .unwrap_or(today)
            .and_time(chrono::NaiveTime::MIN)
            .and_utc();
        Self {
            from: tomorrow - chrono::Duration::days(i64::from(days.max(1))),
            to: tomorrow,
        }
    }

    pub fn from(self) -> DateTime<Utc> {
        self.from
    }

    pub fn to(self) -> DateTime<Utc> {
        self.to
    }

    pub fn contains(self, at: DateTime<Utc>) -> bool {
        self.from <= at && at < self.to
    }

    /// Every ISO week that shares an instant with the window, in order. The
    /// first and last may be cut by the window. Lazy: the API bounds how many
    /// it takes.
    pub fn weeks(self) -> impl Iterator<Item = Period> {
        let last = Period::of(self.to - chrono::Duration::nanoseconds(1));
        std::iter::successors(Some(Period::of(self.from)), move |week| {
            (*week < last).then(|| week.next())
        })
    }
}

/// The ISO week an instant falls in (UTC), like `2026-W47`.
pub fn week_of(at: DateTime<Utc>) -> String {
    Period::of(at).to_string()
}

/// One weekly bucket of the trend.
#[derive(Debug, Clone, PartialEq)]
pub struct TrendBucket {
    pub week: Period,
    pub overview: Overview,
}

/// The overview of each ISO week of the window, by week of filing, empty
/// weeks included (with their null figures). Facts filed outside the window
/// are left out. The first and last weeks count only their part inside the
/// window.
pub fn trend(
    facts: &[RequestFacts],
    window: Window,
    now: DateTime<Utc>,
    multiplier: SilentMultiplier,
) -> Vec<TrendBucket> {
    let mut by_week: BTreeMap<Period, Vec<RequestFacts>> = BTreeMap::new();
    for f in facts.iter().filter(|f| window.contains(f.filed_at)) {
        by_week
            .entry(Period::of(f.filed_at))
            .or_default()
            .push(f.clone());
    }
    window
        .weeks()
        .map(|week| TrendBucket {
            week,
            overview: overview(
                by_week.get(&week).map(Vec::as_slice).unwrap_or_default(),
                now,
                multiplier,
            ),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        match s.parse() {
            Ok(t) => t,
            Err(e) => panic!("{s}: {e}"),
        }
    }

    #[test]
    fn the_last_days_are_whole_days_up_to_tomorrow() {
        let window = Window::last_days(at("2026-12-06T04:41:53Z"), 30);
        assert_eq!(window.from(), at("2026-11-07T00:00:00Z"));
        assert_eq!(window.to(), at("2026-12-07T00:00:00Z"));
        assert!(window.contains(at("2026-12-06T23:59:59Z")));
        assert!(!window.contains(at("2026-11-06T23:59:59Z")));
        let today = Window::last_days(at("2026-12-06T00:00:00Z"), 1);
        assert_eq!(today.from(), at("2026-12-06T00:00:00Z"));
        assert_eq!(today.to(), at("2026-12-07T00:00:00Z"));
        assert_eq!(Window::last_days(at("2026-12-06T12:00:00Z"), 0), today);
    }

    fn sat(v: i64) -> Satisfaction {
        match Satisfaction::new("satisfaction", v) {
            Ok(s) => s,
            Err(e) => panic!("{e:?}"),
        }
    }

    fn rec(v: i64) -> WouldRecommend {
        match WouldRecommend::new("would_recommend", v) {
            Ok(w) => w,
            Err(e) => panic!("{e:?}"),
        }
    }

    /// A new request of kind `need`, category `product`, filed at `filed`.
    fn open(filed: &str) -> RequestFacts {
        RequestFacts {
            kind: Kind::Need,
            category: "product".to_owned(),
            status: Status::New,
            level: Level::Manager,
            filed_at: at(filed),
            acknowledge_seconds: None,
            answer: None,
            sla_met: None,
            follow_ups: vec![],
        }
    }

    fn answered(kind: AnswerKind, level: Level, after_seconds: i64) -> RequestFacts {
        RequestFacts {
            status: match kind {
                AnswerKind::Resolved => Status::Resolved,
                AnswerKind::Declined => Status::Declined,
            },
            level: Level::Frontline,
            answer: Some(Answer {
                kind,
                level,
                after_seconds,
            }),
            ..open("2026-11-16T09:00:00Z")
        }
    }

    fn follow_up(reached: bool, s: Option<i64>, r: Option<i64>, reopened: bool) -> FollowUpFacts {
        FollowUpFacts {
            reached,
            satisfaction: s.map(sat),
            would_recommend: r.map(rec),
            reopened,
        }
    }

    #[test]
    fn nearest_rank_follows_its_definition() {
        let ten = [10, 20, 30, 40, 50, 60, 70, 80, 90, 100];
        // rank = ceil(p/100 × 10): p50 → 5, p90 → 9 (not 10), p91 → 10.
        assert_eq!(percentile(&ten, 50), Some(50));
        assert_eq!(percentile(&ten, 90), Some(90));
        assert_eq!(percentile(&ten, 91), Some(100));
        assert_eq!(percentile(&ten, 100), Some(100));
        assert_eq!(percentile(&ten, 0), Some(10));
        assert_eq!(percentile(&ten, 255), Some(100));
        // Unsorted input, n = 5: p50 → rank 3, p90 → rank 5.
        assert_eq!(percentile(&[7, 1, 5, 3, 9], 50), Some(5));
        assert_eq!(percentile(&[7, 1, 5, 3, 9], 90), Some(9));
        // n = 4: p50 → rank 2 (no averaging of the middle pair).
        assert_eq!(percentile(&[4, 1, 3, 2], 50), Some(2));
        assert_eq!(percentile(&[42], 90), Some(42));
        assert_eq!(percentile(&[], 50), None);
        assert_eq!(
            Spread::of(&[300, 60, 120]),
            Spread {
                median: Some(120),
                p90: Some(300)
            }
        );
        assert_eq!(Spread::of(&[]), Spread::default());
    }

    #[test]
    fn ratios_and_means_are_null_without_a_denominator() {
        assert_eq!(ratio(1, 4), Some(0.25));
        assert_eq!(ratio(0, 3), Some(0.0));
        assert_eq!(ratio(0, 0), None);
        assert_eq!(mean(7, 2), Some(3.5));
        assert_eq!(mean(0, 0), None);
    }

    #[test]
    fn nps_is_promoters_minus_detractors_in_points() {
        // 10, 9 promoters; 8, 7 passive; 6, 0 detractors: (2 − 2)/6 = 0.
        let n = nps([10, 9, 8, 7, 6, 0].map(rec));
        assert_eq!(n.score, Some(0.0));
        assert_eq!(n.responses, 6);
        // 3 promoters, 1 detractor of 4: 100 × 2/4 = 50.
        assert_eq!(nps([9, 10, 10, 3].map(rec)).score, Some(50.0));
        assert_eq!(nps([0, 6].map(rec)).score, Some(-100.0));
        assert_eq!(nps([7, 8].map(rec)).score, Some(0.0));
        assert_eq!(nps([]), Nps::default());
    }

    #[test]
    fn satisfaction_has_a_mean_and_a_top_share() {
        // 5 + 4 + 2 + 1 = 12 over 4 → 3.0; two of four ≥ 4 → 0.5.
        let s = satisfaction([5, 4, 2, 1].map(sat));
        assert_eq!(s.mean, Some(3.0));
        assert_eq!(s.share_4_or_more, Some(0.5));
        assert_eq!(s.responses, 4);
        assert_eq!(satisfaction([]), SatisfactionSummary::default());
    }

    #[test]
    fn volume_counts_by_wire_spelling_and_only_what_occurs() {
        let mut praise = open("2026-11-16T09:00:00Z");
        praise.kind = Kind::Praise;
        praise.category = "staff".to_owned();
        let resolved = answered(AnswerKind::Resolved, Level::Manager, 60);
        let v = volume(&[open("2026-11-16T09:00:00Z"), praise, resolved]);
        assert_eq!(v.total, 3);
        assert_eq!(
            v.by_kind,
            BTreeMap::from([("need".to_owned(), 2), ("praise".to_owned(), 1)])
        );
        assert_eq!(
            v.by_category,
            BTreeMap::from([("product".to_owned(), 2), ("staff".to_owned(), 1)])
        );
        assert_eq!(
            v.by_status,
            BTreeMap::from([("new".to_owned(), 2), ("resolved".to_owned(), 1)])
        );
        assert_eq!(
            v.by_level,
            BTreeMap::from([("frontline".to_owned(), 1), ("manager".to_owned(), 2)])
        );
        assert_eq!(volume(&[]), Volume::default());
    }

    #[test]
    fn backlog_ages_open_requests_from_filing() {
        let now = at("2026-11-20T12:00:00Z");
        let mut in_progress = open("2026-11-20T11:00:00Z");
        in_progress.status = Status::InProgress;
        let facts = [
            open("2026-11-20T11:59:00Z"),                      // 60 s
            in_progress,                                       // 3,600 s
            open("2026-11-19T12:00:00Z"),                      // 86,400 s
            answered(AnswerKind::Resolved, Level::Manager, 1), // not open
            open("2026-11-20T12:00:05Z"),                      // ahead of `now`: 0 s
        ];
        let b = backlog(&facts, now);
        assert_eq!(b.open, 4);
        // Sorted ages 0, 60, 3600, 86400: p50 → rank 2, p90 → rank 4.
        assert_eq!(
            b.age_seconds,
            AgeStats {
                median: Some(60),
                p90: Some(86_400),
                max: Some(86_400)
            }
        );
        assert_eq!(backlog(&[], now), Backlog::default());
    }

    #[test]
    fn times_count_acknowledged_and_resolved_requests_only() {
        let mut a = open("2026-11-16T09:00:00Z");
        a.acknowledge_seconds = Some(600);
        let mut b = open("2026-11-16T09:00:00Z");
        b.acknowledge_seconds = Some(60);
        let facts = [
            a,
            b,
            open("2026-11-16T09:00:00Z"),
            answered(AnswerKind::Resolved, Level::Manager, 7_200),
            answered(AnswerKind::Resolved, Level::Frontline, 0),
            answered(AnswerKind::Declined, Level::Service, 99_999),
        ];
        assert_eq!(
            time_to_acknowledge(&facts),
            Spread {
                median: Some(60),
                p90: Some(600)
            }
        );
        // Declines are not resolutions: 0 and 7,200 only.
        assert_eq!(
            time_to_resolve(&facts),
            Spread {
                median: Some(0),
                p90: Some(7_200)
            }
        );
    }

    #[test]
    fn first_acknowledgement_counts_from_arrival_at_its_level() {
        let step = |kind, from_status, t: &str| TimelineStep {
            kind,
            from_status,
            at: at(t),
        };
        // Filed 09:00, routed to a service at 10:00 unacknowledged, which
        // acknowledges at 10:05: 300 s, not 3,900 s.
        let routed = [
            step(EventType::Filed, None, "2026-11-16T09:00:00Z"),
            step(
                EventType::Comment,
                Some(Status::New),
                "2026-11-16T09:30:00Z",
            ),
            step(EventType::Routed, Some(Status::New), "2026-11-16T10:00:00Z"),
            step(
                EventType::Acknowledged,
                Some(Status::New),
                "2026-11-16T10:05:00Z",
            ),
            step(
                EventType::Escalated,
                Some(Status::Acknowledged),
                "2026-11-16T11:00:00Z",
            ),
            step(
                EventType::Acknowledged,
                Some(Status::New),
                "2026-11-16T11:01:00Z",
            ),
        ];
        assert_eq!(first_acknowledge_seconds(&routed), Some(300));
        // Put straight in progress from new: that acknowledges.
        let started = [
            step(EventType::Filed, None, "2026-11-16T09:00:00Z"),
            step(
                EventType::StatusChanged,
                Some(Status::New),
                "2026-11-16T09:02:00Z",
            ),
        ];
        assert_eq!(first_acknowledge_seconds(&started), Some(120));
        // Linked to an initiative while new: that acknowledges too; linked
        // once acknowledged, it arrives at the initiative's unit.
        let linked_new = [
            step(EventType::Filed, None, "2026-11-16T09:00:00Z"),
            step(
                EventType::InitiativeLinked,
                Some(Status::New),
                "2026-11-16T09:03:00Z",
            ),
        ];
        assert_eq!(first_acknowledge_seconds(&linked_new), Some(180));
        let linked_later = [
            step(EventType::Filed, None, "2026-11-16T09:00:00Z"),
            step(
                EventType::InitiativeLinked,
                Some(Status::InProgress),
                "2026-11-16T09:03:00Z",
            ),
        ];
        assert_eq!(first_acknowledge_seconds(&linked_later), None);
        // Resolved without anyone acknowledging: no figure.
        let resolved = [
            step(EventType::Filed, None, "2026-11-16T09:00:00Z"),
            step(
                EventType::Resolved,
                Some(Status::New),
                "2026-11-16T09:02:00Z",
            ),
        ];
        assert_eq!(first_acknowledge_seconds(&resolved), None);
        assert_eq!(first_acknowledge_seconds(&[]), None);
    }

    #[test]
    fn sla_outcome_is_decided_by_a_breach_or_an_answer() {
        let due = at("2026-11-19T09:00:00Z");
        assert_eq!(sla_outcome(0, None, due), None);
        assert_eq!(sla_outcome(1, None, due), Some(false));
        assert_eq!(sla_outcome(0, Some(due), due), Some(true));
        assert_eq!(
            sla_outcome(0, Some(at("2026-11-19T09:00:01Z")), due),
            Some(false)
        );
        assert_eq!(
            sla_outcome(2, Some(at("2026-11-18T09:00:00Z")), due),
            Some(false)
        );
    }

    #[test]
    fn sla_compliance_counts_decided_requests_only() {
        let with = |met| RequestFacts {
            sla_met: met,
            ..open("2026-11-16T09:00:00Z")
        };
        let facts = [
            with(Some(true)),
            with(Some(true)),
            with(Some(false)),
            with(None),
        ];
        assert_eq!(sla_compliance(&facts), Some(2.0 / 3.0));
        assert_eq!(sla_compliance(&[with(None)]), None);
    }

    #[test]
    fn answer_shares_use_standing_answers() {
        let mut reopened_then_resolved = answered(AnswerKind::Resolved, Level::Service, 10);
        reopened_then_resolved.follow_ups = vec![follow_up(true, Some(1), None, true)];
        let mut reopened_open = open("2026-11-16T09:00:00Z");
        reopened_open.status = Status::InProgress;
        reopened_open.follow_ups = vec![follow_up(true, Some(2), Some(3), true)];
        let mut closed_reached = answered(AnswerKind::Resolved, Level::Frontline, 10);
        closed_reached.status = Status::Closed;
        closed_reached.follow_ups = vec![follow_up(true, Some(5), Some(10), false)];
        let mut closed_unreached = answered(AnswerKind::Resolved, Level::Manager, 10);
        closed_unreached.status = Status::Closed;
        closed_unreached.follow_ups = vec![follow_up(false, None, None, false)];
        let facts = [
            reopened_then_resolved,
            reopened_open,
            closed_reached,
            closed_unreached,
            answered(AnswerKind::Resolved, Level::Frontline, 10),
            answered(AnswerKind::Declined, Level::Manager, 10),
            open("2026-11-16T09:00:00Z"),
        ];
        // Resolved now: 4 (the reopened-and-open one and the decline are not).
        // At the front line: 2 of 4.
        assert_eq!(frontline_resolution_share(&facts), Some(0.5));
        // Closed with the customer reached: 1 of 4 (the first request's
        // follow-up reopened it, so it belongs to an answer that no longer
        // stands).
        assert_eq!(follow_up_rate(&facts), Some(0.25));
        // Answered at least once: 6 (all but the open one); reopened: 2.
        assert_eq!(reopen_rate(&facts), Some(2.0 / 6.0));
        // Standing answers: 5, one declined.
        assert_eq!(declined_share(&facts), Some(0.2));
        let nothing = [open("2026-11-16T09:00:00Z")];
        assert_eq!(frontline_resolution_share(&nothing), None);
        assert_eq!(follow_up_rate(&nothing), None);
        assert_eq!(reopen_rate(&nothing), None);
        assert_eq!(declined_share(&nothing), None);
    }

    #[test]
    fn silent_dissatisfaction_adds_the_three_sources_and_multiplies() {
        let mut unmet = open("2026-11-16T09:00:00Z");
        unmet.kind = Kind::UnmetNeed;
        let mut twice = answered(AnswerKind::Resolved, Level::Manager, 10);
        twice.follow_ups = vec![
            follow_up(true, Some(2), None, true), // low and a reopen: counts twice
            follow_up(true, Some(1), None, true), // idem
            follow_up(true, Some(3), None, false),
        ];
        let mut fine = answered(AnswerKind::Resolved, Level::Manager, 10);
        fine.follow_ups = vec![follow_up(true, Some(5), None, false)];
        let expressed = expressed_dissatisfaction(&[unmet, twice, fine]);
        assert_eq!(
            expressed,
            ExpressedDissatisfaction {
                low_satisfaction: 2,
                unmet_needs: 1,
                reopens: 2
            }
        );
        assert_eq!(expressed.total(), 5);
        let silent = silent_dissatisfaction(5, SilentMultiplier::DEFAULT);
        assert_eq!(
            silent,
            SilentDissatisfaction {
                expressed: 5,
                multiplier: 10,
                estimated: 50,
                note: SILENT_DISSATISFACTION_NOTE
            }
        );
        assert!(SILENT_DISSATISFACTION_NOTE.contains("rule of thumb"));
        assert_eq!(SilentMultiplier::new(0), Err(MultiplierTooSmall(0)));
        assert_eq!(
            SilentMultiplier::new(1).map(|m| silent_dissatisfaction(3, m).estimated),
            Ok(3)
        );
        assert_eq!(SilentMultiplier::default().get(), 10);
    }

    #[test]
    fn an_empty_overview_is_all_null_and_zero_counts() {
        let o = overview(&[], at("2026-11-20T12:00:00Z"), SilentMultiplier::DEFAULT);
        assert_eq!(o.volume, Volume::default());
        assert_eq!(o.backlog, Backlog::default());
        assert_eq!(o.time_to_acknowledge_seconds, Spread::default());
        assert_eq!(o.time_to_resolve_seconds, Spread::default());
        assert_eq!(o.sla_compliance, None);
        assert_eq!(o.frontline_resolution_share, None);
        assert_eq!(o.follow_up_rate, None);
        assert_eq!(o.satisfaction, SatisfactionSummary::default());
        assert_eq!(o.nps, Nps::default());
        assert_eq!(o.reopen_rate, None);
        assert_eq!(o.declined_share, None);
        assert_eq!(o.silent_dissatisfaction.expressed, 0);
        assert_eq!(o.silent_dissatisfaction.estimated, 0);
        assert_eq!(o.silent_dissatisfaction.multiplier, 10);
    }

    #[test]
    fn an_overview_puts_the_figures_together() {
        let now = at("2026-11-20T12:00:00Z");
        let mut waiting = open("2026-11-20T11:00:00Z");
        waiting.acknowledge_seconds = Some(120);
        let mut closed = answered(AnswerKind::Resolved, Level::Frontline, 0);
        closed.status = Status::Closed;
        closed.sla_met = Some(true);
        closed.follow_ups = vec![follow_up(true, Some(4), Some(9), false)];
        let mut unmet = answered(AnswerKind::Declined, Level::Service, 3_600);
        unmet.kind = Kind::UnmetNeed;
        unmet.sla_met = Some(false);
        let o = overview(&[waiting, closed, unmet], now, SilentMultiplier::DEFAULT);
        assert_eq!(o.volume.total, 3);
        assert_eq!(o.backlog.open, 1);
        assert_eq!(o.backlog.age_seconds.max, Some(3_600));
        assert_eq!(o.time_to_acknowledge_seconds.median, Some(120));
        assert_eq!(o.time_to_resolve_seconds.p90, Some(0));
        assert_eq!(o.sla_compliance, Some(0.5));
        assert_eq!(o.frontline_resolution_share, Some(1.0));
        assert_eq!(o.follow_up_rate, Some(1.0));
        assert_eq!(o.satisfaction.mean, Some(4.0));
        assert_eq!(o.nps.score, Some(100.0));
        assert_eq!(o.reopen_rate, Some(0.0));
        assert_eq!(o.declined_share, Some(0.5));
        assert_eq!(o.silent_dissatisfaction.expressed, 1);
        assert_eq!(o.silent_dissatisfaction.estimated, 10);
    }

    #[test]
    fn weeks_are_iso_weeks_in_utc() {
        assert_eq!(week_of(at("2026-11-16T00:00:00Z")), "2026-W47"); // Monday
        assert_eq!(week_of(at("2026-11-22T23:59:59Z")), "2026-W47"); // Sunday
        assert_eq!(week_of(at("2026-11-23T00:00:00Z")), "2026-W48");
        // 1 January 2027 is a Friday: still week 53 of ISO year 2026.
        assert_eq!(week_of(at("2027-01-01T12:00:00Z")), "2026-W53");
        // 29 December 2025 is the Monday of week 1 of 2026.
        assert_eq!(week_of(at("2025-12-29T00:00:00Z")), "2026-W01");
    }

    #[test]
    fn windows_are_half_open() {
        let from = at("2026-11-16T00:00:00Z");
        let to = at("2026-11-23T00:00:00Z");
        assert_eq!(Window::new(to, from), Err(EmptyWindow));
        assert_eq!(Window::new(from, from), Err(EmptyWindow));
        let w = Window::new(from, to).unwrap_or_else(|e| panic!("{e}"));
        assert!(w.contains(from));
        assert!(!w.contains(to));
        // Exactly one ISO week: `to` itself is the next week's first instant.
        let weeks: Vec<String> = w.weeks().map(|p| p.to_string()).collect();
        assert_eq!(weeks, vec!["2026-W47"]);
        let w = Window::new(at("2026-11-20T00:00:00Z"), at("2026-12-01T00:00:00Z"))
            .unwrap_or_else(|e| panic!("{e}"));
        let weeks: Vec<String> = w.weeks().map(|p| p.to_string()).collect();
        assert_eq!(weeks, vec!["2026-W47", "2026-W48", "2026-W49"]);
    }

    #[test]
    fn trend_buckets_by_week_of_filing_with_empty_weeks() {
        let window = Window::new(at("2026-11-18T00:00:00Z"), at("2026-12-01T00:00:00Z"))
            .unwrap_or_else(|e| panic!("{e}"));
        let facts = [
            open("2026-11-17T10:00:00Z"), // before the window: left out
            open("2026-11-18T10:00:00Z"), // W47
            open("2026-11-22T23:59:59Z"), // W47
            open("2026-11-30T10:00:00Z"), // W49
            open("2026-12-01T00:00:00Z"), // `to`: left out
        ];
        let now = at("2026-12-02T00:00:00Z");
        let buckets = trend(&facts, window, now, SilentMultiplier::DEFAULT);
        let totals: Vec<(String, u64)> = buckets
            .iter()
            .map(|b| (b.week.to_string(), b.overview.volume.total))
            .collect();
        assert_eq!(
            totals,
            vec![
                ("2026-W47".to_owned(), 2),
                ("2026-W48".to_owned(), 0),
                ("2026-W49".to_owned(), 1),
            ]
        );
        assert_eq!(buckets[1].overview.backlog.age_seconds.median, None);
    }
}
