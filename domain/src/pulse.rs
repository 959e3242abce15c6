//! The team pulse: what members answer once a week, and which of it may be
//! shown without anyone's answer being recoverable.
//!
//! Answers are kept per unit and ISO week only. Results are released by one
//! function, [`release`], for one whole, finished ISO week ([`Period`]) over
//! the whole organisation at once:
//!
//! - there is no way to ask for an arbitrary range of days, so two published
//!   periods never overlap and none can be subtracted from another;
//! - a week is released only once it is over (plus [`RELEASE_GRACE`]), when no
//!   answer can join it any more, so the same week never shows two different
//!   counts (the figures before and after one more answer would reveal it);
//! - a unit with fewer than [`MinGroup`] answers shows nothing, and if the
//!   organisation total would then give its answers away by subtraction,
//!   another unit is hidden with it (see [`release`]).
//!
//! The API publishes what [`release`] returns and nothing else: a filter
//! (one unit) picks items out of it, it never recomputes a total over a
//! subset of units.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Datelike, Days, Duration, NaiveDate, NaiveTime, Utc, Weekday};
use uuid::Uuid;

use crate::values::FieldError;

// ─────────────────────────────────────────────────────────────── periods

/// One ISO week, Monday 00:00 UTC to the next Monday 00:00 UTC, written like
/// `2026-W47`. Always a whole week: there is no other kind of pulse period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Period {
    /// The week's Monday.
    monday: NaiveDate,
}

/// How long after a week ends before its results are released: covers
/// answers in flight and clocks that differ a little between replicas.
pub const RELEASE_GRACE: Duration = Duration::hours(1);

impl Period {
    /// The week an instant falls in, in UTC.
    pub fn of(at: DateTime<Utc>) -> Period {
        let day = at.date_naive();
        let back = Days::new(u64::from(day.weekday().num_days_from_monday()));
        // Only the first days chrono can represent have no Monday before them.
        Period {
            monday: day.checked_sub_days(back).unwrap_or(day),
        }
    }

    /// Parses `YYYY-Www` (ISO week-numbering year, week 01 to 52 or 53).
    pub fn parse(field: &str, raw: &str) -> Result<Period, FieldError> {
        let invalid = || FieldError::new(field, "must be an ISO week like 2026-W47");
        let bytes = raw.as_bytes();
        let shaped = bytes.len() == 8
            && bytes[4] == b'-'
            && bytes[5] == b'W'
            && bytes[..4].iter().chain(&bytes[6..]).all(u8::is_ascii_digit);
        if !shaped {
            return Err(invalid());
        }
        let year: i32 = raw[..4].parse().map_err(|_| invalid())?;
        let week: u32 = raw[6..].parse().map_err(|_| invalid())?;
        NaiveDate::from_isoywd_opt(year, week, Weekday::Mon)
            .map(|monday| Period { monday })
            .ok_or_else(invalid)
    }

    /// The ISO week-numbering year (not always the calendar year of every day).
    pub fn year(self) -> i32 {
        self.monday.iso_week().year()
    }

    /// 1 to 53.
    pub fn week(self) -> u32 {
        self.monday.iso_week().week()
    }

    /// The first instant of the week.
    pub fn start(self) -> DateTime<Utc> {
        self.monday.and_time(NaiveTime::MIN).and_utc()
    }

    /// The first instant after the week: the next week's start.
    pub fn end(self) -> DateTime<Utc> {
        self.next().start()
    }

    pub fn contains(self, at: DateTime<Utc>) -> bool {
        self.start() <= at && at < self.end()
    }

    pub fn next(self) -> Period {
        Period {
            monday: self
                .monday
                .checked_add_days(Days::new(7))
                .unwrap_or(self.monday),
        }
    }

    pub fn previous(self) -> Period {
        Period {
            monday: self
                .monday
                .checked_sub_days(Days::new(7))
                .unwrap_or(self.monday),
        }
    }

    /// Whether the week is over, grace included: no answer can join it any
    /// more and its results may be released.
    pub fn is_closed(self, now: DateTime<Utc>) -> bool {
        now >= self.end() + RELEASE_GRACE
    }

    /// The latest week that is closed at `now`: the one before the current
    /// week, or the one before that during the first [`RELEASE_GRACE`] of a
    /// week.
    pub fn last_closed(now: DateTime<Utc>) -> Period {
        let last = Period::of(now).previous();
        if last.is_closed(now) {
            last
        } else {
            last.previous()
        }
    }
}

impl fmt::Display for Period {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-W{:02}", self.year(), self.week())
    }
}

impl FromStr for Period {
    type Err = FieldError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Period::parse("period", s)
    }
}

// ─────────────────────────────────────────────────────────────── answers

/// One pulse score, 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct PulseScore(u8);

impl PulseScore {
    pub fn new(field: &str, value: i64) -> Result<Self, FieldError> {
        match u8::try_from(value) {
            Ok(v @ 1..=5) => Ok(Self(v)),
            _ => Err(FieldError::new(field, "must be between 1 and 5")),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// One member's answer for one week. It carries no member: who answered is
/// recorded apart, and must never be linkable to the answer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PulseAnswer {
    pub happiness: PulseScore,
    pub pleasure: PulseScore,
    pub engagement: PulseScore,
}

impl PulseAnswer {
    /// Parses the three scores, reporting every one out of range.
    pub fn parse(happiness: i64, pleasure: i64, engagement: i64) -> Result<Self, Vec<FieldError>> {
        let mut errors = crate::values::Errors::default();
        let h = errors.take(PulseScore::new("happiness", happiness));
        let p = errors.take(PulseScore::new("pleasure", pleasure));
        let e = errors.take(PulseScore::new("engagement", engagement));
        match (h, p, e) {
            (Some(happiness), Some(pleasure), Some(engagement)) => Ok(Self {
                happiness,
                pleasure,
                engagement,
            }),
            _ => Err(errors.into_vec()),
        }
    }
}

// ──────────────────────────────────────────────────────────── minimum group

/// The fewest answers a group must have for any figure of it to be shown
/// (`UPTURN_PULSE_MIN_GROUP`, default 5, never below 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct MinGroup(u64);

/// Below 3, one person's answer can be read off a group with their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the pulse minimum group must be at least {floor}, got {got}", floor = MinGroup::FLOOR)]
pub struct MinGroupTooSmall {
    pub got: u64,
}

impl MinGroup {
    pub const DEFAULT: MinGroup = MinGroup(5);
    pub const FLOOR: u64 = 3;

    pub fn new(value: u64) -> Result<Self, MinGroupTooSmall> {
        if value >= Self::FLOOR {
            Ok(Self(value))
        } else {
            Err(MinGroupTooSmall { got: value })
        }
    }

    pub fn get(self) -> u64 {
        self.0
    }

    fn admits(self, answers: u64) -> bool {
        answers >= self.0
    }
}

impl Default for MinGroup {
    fn default() -> Self {
        Self::DEFAULT
    }
}

// ───────────────────────────────────────────────────────────────── tallies

/// The answers of one group for one week: a count and three sums.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Tally {
    answers: u64,
    happiness: u64,
    pleasure: u64,
    engagement: u64,
}

/// Sums that no set of 1-to-5 answers of that count could give.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("each sum of {answers} pulse answers must lie between {answers} and 5 × {answers}")]
pub struct InvalidTally {
    pub answers: u64,
}

impl Tally {
    /// From the database's `COUNT(*)` and `SUM(…)` of one unit and week.
    pub fn from_sums(
        answers: u64,
        happiness: u64,
        pleasure: u64,
        engagement: u64,
    ) -> Result<Self, InvalidTally> {
        let range = answers..=answers.saturating_mul(5);
        if [happiness, pleasure, engagement]
            .iter()
            .all(|sum| range.contains(sum))
        {
            Ok(Self {
                answers,
                happiness,
                pleasure,
                engagement,
            })
        } else {
            Err(InvalidTally { answers })
        }
    }

    pub fn add(&mut self, answer: PulseAnswer) {
        self.answers += 1;
        self.happiness += u64::from(answer.happiness.get());
        self.pleasure += u64::from(answer.pleasure.get());
        self.engagement += u64::from(answer.engagement.get());
    }

    pub fn answers(self) -> u64 {
        self.answers
    }

    fn merge(self, other: Tally) -> Tally {
        Tally {
            answers: self.answers + other.answers,
            happiness: self.happiness + other.happiness,
            pleasure: self.pleasure + other.pleasure,
            engagement: self.engagement + other.engagement,
        }
    }

    /// The group's means; `None` without answers.
    fn figures(self) -> Option<PulseFigures> {
        let n = self.answers;
        (n > 0).then(|| PulseFigures {
            answers: n,
            happiness: self.happiness as f64 / n as f64,
            pleasure: self.pleasure as f64 / n as f64,
            engagement: self.engagement as f64 / n as f64,
        })
    }
}

impl FromIterator<PulseAnswer> for Tally {
    fn from_iter<I: IntoIterator<Item = PulseAnswer>>(answers: I) -> Self {
        let mut tally = Tally::default();
        for answer in answers {
            tally.add(answer);
        }
        tally
    }
}

/// What may be shown of one group: its answer count and mean scores.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PulseFigures {
    pub answers: u64,
    pub happiness: f64,
    pub pleasure: f64,
    pub engagement: f64,
}

// ──────────────────────────────────────────────────────────────── release

/// Why a unit's figures are hidden. For tests and logs: the API shows only
/// `null`, since even the reason says something about the count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// Fewer answers than the minimum group (no answers included).
    BelowMinimum,
    /// Enough answers, but hidden so that the organisation total minus the
    /// shown units does not reveal a group below the minimum.
    Complementary,
}

/// One unit's line of the engagement results.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitRelease {
    pub unit_id: Uuid,
    /// `None`: shown as `answers: null` and null means.
    pub figures: Option<PulseFigures>,
    pub suppressed: Option<Suppression>,
}

/// Everything that may be published about one week.
#[derive(Debug, Clone, PartialEq)]
pub struct Release {
    pub period: Period,
    pub min_group: MinGroup,
    /// In unit id order.
    pub units: Vec<UnitRelease>,
    /// The whole organisation; `None` below the minimum group.
    pub total: Option<PulseFigures>,
}

/// Results of a week are released only once it is over.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the results of {period} are released at {released_at}, once the week is over")]
pub struct PeriodNotClosed {
    pub period: Period,
    pub released_at: DateTime<Utc>,
}

/// Decides what may be published about one week, given each unit's tally
/// (units without answers may be left out or given an empty tally).
///
/// What is published is each shown unit's figures and the organisation
/// total, which is the sum of all units. From those, the only thing anyone
/// can compute about the hidden units is their combined tally: total − Σ
/// shown. So the rule is:
///
/// 1. a unit with fewer answers than `min` is hidden;
/// 2. the total is shown when it has at least `min` answers;
/// 3. if the total is shown and the hidden units together hold between 1 and
///    `min − 1` answers, the shown unit with the fewest answers (the lowest
///    unit id among equals) is hidden too. One is always enough: every shown
///    unit has at least `min` answers.
///
/// After this, whatever is hidden holds no answers or at least `min`
/// together. Nothing is released for a week that is not over
/// ([`Period::is_closed`]): until then its counts could still change, and
/// two snapshots one answer apart would reveal that answer.
pub fn release(
    period: Period,
    now: DateTime<Utc>,
    min: MinGroup,
    tallies: &BTreeMap<Uuid, Tally>,
) -> Result<Release, PeriodNotClosed> {
    if !period.is_closed(now) {
        return Err(PeriodNotClosed {
            period,
            released_at: period.end() + RELEASE_GRACE,
        });
    }
    let mut suppressed: BTreeMap<Uuid, Suppression> = tallies
        .iter()
        .filter(|(_, tally)| !min.admits(tally.answers))
        .map(|(id, _)| (*id, Suppression::BelowMinimum))
        .collect();
    let total = tallies
        .values()
        .fold(Tally::default(), |sum, tally| sum.merge(*tally));
    let total_shown = min.admits(total.answers);
    let hidden_answers: u64 = suppressed
        .keys()
        .filter_map(|id| tallies.get(id))
        .map(|tally| tally.answers)
        .sum();
    if total_shown && hidden_answers > 0 && !min.admits(hidden_answers) {
        let smallest_shown = tallies
            .iter()
            .filter(|(id, _)| !suppressed.contains_key(id))
            .min_by_key(|(id, tally)| (tally.answers, **id));
        // There is one: the total has at least `min` answers and the hidden
        // units fewer, so some shown unit holds the rest.
        if let Some((id, _)) = smallest_shown {
            suppressed.insert(*id, Suppression::Complementary);
        }
    }
    let units = tallies
        .iter()
        .map(|(id, tally)| {
            let hidden = suppressed.get(id).copied();
            UnitRelease {
                unit_id: *id,
                figures: if hidden.is_some() {
                    None
                } else {
                    tally.figures()
                },
                suppressed: hidden,
            }
        })
        .collect();
    Ok(Release {
        period,
        min_group: min,
        units,
        total: if total_shown { total.figures() } else { None },
    })
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

    fn week(s: &str) -> Period {
        match s.parse() {
            Ok(p) => p,
            Err(e) => panic!("{s}: {e:?}"),
        }
    }

    fn unit(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    /// `answers` answers all scoring `score` on the three questions.
    fn tally(answers: u64, score: u64) -> Tally {
        match Tally::from_sums(answers, answers * score, answers * score, answers * score) {
            Ok(t) => t,
            Err(e) => panic!("{e}"),
        }
    }

    fn after_w47() -> DateTime<Utc> {
        at("2026-11-23T01:00:00Z")
    }

    fn released(tallies: &[(u128, Tally)], min: MinGroup) -> Release {
        let map = tallies.iter().map(|(n, t)| (unit(*n), *t)).collect();
        match release(week("2026-W47"), after_w47(), min, &map) {
            Ok(r) => r,
            Err(e) => panic!("{e}"),
        }
    }

    fn shown(r: &Release) -> Vec<(Uuid, u64)> {
        r.units
            .iter()
            .filter_map(|u| u.figures.map(|f| (u.unit_id, f.answers)))
            .collect()
    }

    /// What an attacker learns: total minus every shown unit.
    fn residual(r: &Release) -> Option<u64> {
        let shown: u64 = shown(r).iter().map(|(_, n)| n).sum();
        r.total.map(|t| t.answers - shown)
    }

    #[test]
    fn periods_parse_and_print_as_iso_weeks() {
        let p = week("2026-W47");
        assert_eq!((p.year(), p.week()), (2026, 47));
        assert_eq!(p.to_string(), "2026-W47");
        assert_eq!(p.start(), at("2026-11-16T00:00:00Z"));
        assert_eq!(p.end(), at("2026-11-23T00:00:00Z"));
        assert_eq!(week("2026-W01").start(), at("2025-12-29T00:00:00Z"));
        assert_eq!(week("2026-W53").to_string(), "2026-W53");
        assert_eq!(week("2026-W53").next().to_string(), "2027-W01");
        assert_eq!(week("2027-W01").previous(), week("2026-W53"));
        assert_eq!(Period::of(at("2026-11-22T23:59:59Z")), p);
        assert_eq!(Period::of(at("2026-11-23T00:00:00Z")), p.next());
        assert!(p.contains(p.start()));
        assert!(!p.contains(p.end()));
        // 2025 has 52 weeks; malformed text is refused with the field named.
        for bad in [
            "2025-W53",
            "2026-W00",
            "2026-W54",
            "2026-W7",
            "2026W47",
            "26-W47",
            "2026-w47",
            "+026-W47",
            "2026-W4x",
            "",
            "2026-W47 ",
        ] {
            assert_eq!(
                bad.parse::<Period>(),
                Err(FieldError::new(
                    "period",
                    "must be an ISO week like 2026-W47"
                )),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_week_closes_an_hour_after_it_ends() {
        let p = week("2026-W47");
        assert!(!p.is_closed(at("2026-11-20T12:00:00Z")));
        assert!(!p.is_closed(at("2026-11-23T00:59:59Z")));
        assert!(p.is_closed(at("2026-11-23T01:00:00Z")));
    }

    #[test]
    fn the_last_closed_week_waits_for_the_grace() {
        assert_eq!(
            Period::last_closed(at("2026-11-23T00:59:59Z")),
            week("2026-W46")
        );
        assert_eq!(
            Period::last_closed(at("2026-11-23T01:00:00Z")),
            week("2026-W47")
        );
        assert_eq!(
            Period::last_closed(at("2026-11-29T23:59:59Z")),
            week("2026-W47")
        );
        let now = at("2026-11-25T10:00:00Z");
        assert!(Period::last_closed(now).is_closed(now));
        assert!(!Period::last_closed(now).next().is_closed(now));
    }

    #[test]
    fn scores_are_one_to_five_and_all_errors_are_reported() {
        assert!(PulseScore::new("happiness", 0).is_err());
        assert_eq!(PulseScore::new("happiness", 5).map(PulseScore::get), Ok(5));
        assert!(PulseScore::new("happiness", 6).is_err());
        let errors = PulseAnswer::parse(0, 3, 9).err().unwrap_or_default();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, vec!["happiness", "engagement"]);
        assert!(PulseAnswer::parse(1, 3, 5).is_ok());
    }

    #[test]
    fn the_minimum_group_defaults_to_five_and_refuses_below_three() {
        assert_eq!(MinGroup::default().get(), 5);
        assert_eq!(MinGroup::new(2), Err(MinGroupTooSmall { got: 2 }));
        assert_eq!(MinGroup::new(0), Err(MinGroupTooSmall { got: 0 }));
        assert_eq!(MinGroup::new(3).map(MinGroup::get), Ok(3));
    }

    #[test]
    fn tallies_add_answers_and_check_sums() {
        let answers = [(5, 4, 3), (3, 2, 1)].map(|(h, p, e)| PulseAnswer::parse(h, p, e));
        let t: Tally = answers.into_iter().flatten().collect();
        assert_eq!(Tally::from_sums(2, 8, 6, 4), Ok(t));
        assert_eq!(
            t.figures(),
            Some(PulseFigures {
                answers: 2,
                happiness: 4.0,
                pleasure: 3.0,
                engagement: 2.0
            })
        );
        assert_eq!(Tally::default().figures(), None);
        assert_eq!(
            Tally::from_sums(2, 1, 6, 4),
            Err(InvalidTally { answers: 2 })
        );
        assert_eq!(
            Tally::from_sums(2, 8, 11, 4),
            Err(InvalidTally { answers: 2 })
        );
        assert_eq!(Tally::from_sums(0, 0, 0, 0), Ok(Tally::default()));
    }

    #[test]
    fn an_open_week_releases_nothing() {
        let map = BTreeMap::from([(unit(1), tally(20, 4))]);
        let p = week("2026-W47");
        assert_eq!(
            release(p, at("2026-11-22T18:00:00Z"), MinGroup::DEFAULT, &map),
            Err(PeriodNotClosed {
                period: p,
                released_at: at("2026-11-23T01:00:00Z")
            })
        );
    }

    #[test]
    fn large_units_are_all_shown_with_the_total() {
        let r = released(&[(1, tally(5, 4)), (2, tally(8, 2))], MinGroup::DEFAULT);
        assert_eq!(shown(&r), vec![(unit(1), 5), (unit(2), 8)]);
        // (5 × 4 + 8 × 2) / 13
        let total = r.total.map(|t| (t.answers, t.happiness));
        assert_eq!(total, Some((13, 36.0 / 13.0)));
        assert_eq!(residual(&r), Some(0));
    }

    #[test]
    fn attack_a_unit_of_four_alone() {
        // The only unit has 4 answers: neither it nor the total is shown.
        let r = released(&[(1, tally(4, 1))], MinGroup::DEFAULT);
        assert_eq!(shown(&r), vec![]);
        assert_eq!(r.total, None);
        assert_eq!(r.units[0].suppressed, Some(Suppression::BelowMinimum));
    }

    #[test]
    fn attack_a_unit_of_four_and_one_larger_sibling() {
        // Showing the sibling (6) and the total (10) would give the four
        // answers away by subtraction: the sibling is hidden too, the total
        // of 10 still shown.
        let r = released(&[(1, tally(4, 1)), (2, tally(6, 5))], MinGroup::DEFAULT);
        assert_eq!(shown(&r), vec![]);
        assert_eq!(r.total.map(|t| t.answers), Some(10));
        assert_eq!(r.units[1].suppressed, Some(Suppression::Complementary));
        assert_eq!(residual(&r), Some(10));
    }

    #[test]
    fn attack_one_small_unit_among_several_hides_the_smallest_large_one() {
        let r = released(
            &[
                (1, tally(4, 1)),
                (2, tally(9, 3)),
                (3, tally(6, 3)),
                (4, tally(6, 2)),
            ],
            MinGroup::DEFAULT,
        );
        // Units 3 and 4 tie at 6 answers: the lower id, 3, is hidden.
        assert_eq!(shown(&r), vec![(unit(2), 9), (unit(4), 6)]);
        assert_eq!(r.units[2].suppressed, Some(Suppression::Complementary));
        assert_eq!(residual(&r), Some(10));
    }

    #[test]
    fn small_units_that_together_reach_the_minimum_need_no_help() {
        // 2 + 3 hidden = 5: the total gives away only a group of five.
        let r = released(
            &[(1, tally(2, 1)), (2, tally(3, 1)), (3, tally(7, 4))],
            MinGroup::DEFAULT,
        );
        assert_eq!(shown(&r), vec![(unit(3), 7)]);
        assert_eq!(residual(&r), Some(5));
    }

    #[test]
    fn units_without_answers_hide_nothing_and_show_nothing() {
        let r = released(
            &[(1, Tally::default()), (2, tally(5, 3)), (3, tally(5, 3))],
            MinGroup::DEFAULT,
        );
        assert_eq!(r.units[0].figures, None);
        assert_eq!(r.units[0].suppressed, Some(Suppression::BelowMinimum));
        assert_eq!(shown(&r), vec![(unit(2), 5), (unit(3), 5)]);
        assert_eq!(residual(&r), Some(0));
    }

    #[test]
    fn attack_two_periods_one_answer_apart() {
        // The same unit read before and after one more answer would give
        // that answer away: results exist only for whole weeks that are
        // over, which no later answer can join.
        let before = BTreeMap::from([(unit(1), tally(5, 4))]);
        let p = week("2026-W47");
        assert!(release(p, at("2026-11-19T12:00:00Z"), MinGroup::DEFAULT, &before).is_err());
        // Consecutive weeks share no instant, so no week is inside another.
        assert_eq!(p.end(), p.next().start());
        assert_eq!(p.end() - p.start(), Duration::days(7));
        assert!(!p.next().contains(p.end() - Duration::nanoseconds(1)));
    }

    #[test]
    fn a_lower_minimum_shows_smaller_groups() {
        let min = MinGroup::new(3).unwrap_or_default();
        let r = released(&[(1, tally(3, 2)), (2, tally(4, 4))], min);
        assert_eq!(shown(&r), vec![(unit(1), 3), (unit(2), 4)]);
        let r = released(&[(1, tally(2, 2)), (2, tally(4, 4))], min);
        assert_eq!(shown(&r), vec![]);
        assert_eq!(r.total.map(|t| t.answers), Some(6));
    }
}
