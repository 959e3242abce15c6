//! The words people read, in their language: the Fluent catalogues under
//! `api/locales/` (compiled into the binary), the language each reader gets
//! (their choice, else the browser's), and dates and numbers written the
//! way that language writes them.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};
use fluent_templates::fluent_bundle::FluentValue;
use fluent_templates::{LanguageIdentifier, Loader, langid};

fluent_templates::static_loader! {
    static LOCALES = {
        locales: "./locales",
        fallback_language: "en",
        // No Unicode isolation marks around arguments: they would show up
        // in titles and `<option>`s as stray characters.
        customise: |bundle| bundle.set_use_isolating(false),
    };
}

/// A language the pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    En,
    Fr,
}

impl Lang {
    pub const ALL: [Lang; 2] = [Lang::En, Lang::Fr];

    pub fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Fr => "fr",
        }
    }

    fn id(self) -> LanguageIdentifier {
        match self {
            Lang::En => langid!("en"),
            Lang::Fr => langid!("fr"),
        }
    }

    pub fn from_code(code: &str) -> Option<Lang> {
        match code.trim().get(..2).map(str::to_ascii_lowercase).as_deref() {
            Some("en") => Some(Lang::En),
            Some("fr") => Some(Lang::Fr),
            _ => None,
        }
    }

    /// The reader's best language from an `Accept-Language` header
    /// (weights honoured; English when nothing fits).
    pub fn negotiate(accept_language: &str) -> Lang {
        let mut best: Option<(f32, Lang)> = None;
        for part in accept_language.split(',') {
            let mut pieces = part.split(';');
            let tag = pieces.next().unwrap_or("");
            let weight = pieces
                .find_map(|p| p.trim().strip_prefix("q="))
                .and_then(|q| q.parse::<f32>().ok())
                .unwrap_or(1.0);
            if let Some(lang) = Lang::from_code(tag)
                && best.is_none_or(|(w, _)| weight > w)
            {
                best = Some((weight, lang));
            }
        }
        best.map(|(_, lang)| lang).unwrap_or_default()
    }
}

/// A value given to a message.
pub trait Arg {
    fn value(&self) -> FluentValue<'static>;
}

macro_rules! number_arg {
    ($($t:ty),*) => {$(
        impl Arg for $t {
            fn value(&self) -> FluentValue<'static> {
                FluentValue::from(*self as f64)
            }
        }
    )*};
}
number_arg!(i16, u16, i32, i64, u32, u64, usize, f64);

impl Arg for str {
    fn value(&self) -> FluentValue<'static> {
        FluentValue::from(self.to_owned())
    }
}

impl Arg for String {
    fn value(&self) -> FluentValue<'static> {
        FluentValue::from(self.clone())
    }
}

impl<T: Arg + ?Sized> Arg for &T {
    fn value(&self) -> FluentValue<'static> {
        (**self).value()
    }
}

/// A value a template hands over, behind however many references.
pub trait Given<T: Copy> {
    fn given(&self) -> T;
}

impl<T: Copy> Given<T> for T {
    fn given(&self) -> T {
        *self
    }
}

impl<T: Copy> Given<T> for &T {
    fn given(&self) -> T {
        **self
    }
}

impl<T: Copy> Given<T> for &&T {
    fn given(&self) -> T {
        ***self
    }
}

/// A unit a person types and reads a duration in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeUnit {
    Seconds,
    Minutes,
    Hours,
    Days,
}

impl TimeUnit {
    pub const ALL: [TimeUnit; 4] = [
        TimeUnit::Seconds,
        TimeUnit::Minutes,
        TimeUnit::Hours,
        TimeUnit::Days,
    ];

    pub fn seconds(self) -> i64 {
        match self {
            TimeUnit::Seconds => 1,
            TimeUnit::Minutes => 60,
            TimeUnit::Hours => 3_600,
            TimeUnit::Days => 86_400,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            TimeUnit::Seconds => "seconds",
            TimeUnit::Minutes => "minutes",
            TimeUnit::Hours => "hours",
            TimeUnit::Days => "days",
        }
    }

    pub fn parse(raw: &str) -> Option<TimeUnit> {
        TimeUnit::ALL.into_iter().find(|u| u.as_str() == raw)
    }

    /// The largest unit that holds `seconds` exactly, and how many of it:
    /// a setting is shown as it was meant ("90 minutes", not "2 h").
    pub fn exact(seconds: i64) -> (TimeUnit, i64) {
        TimeUnit::ALL
            .into_iter()
            .rev()
            .find(|u| seconds != 0 && seconds % u.seconds() == 0)
            .map(|u| (u, seconds / u.seconds()))
            .unwrap_or((TimeUnit::Seconds, seconds))
    }
}

/// Looks messages up for one reader.
#[derive(Debug, Clone, Copy, Default)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    /// The `<html lang>` code.
    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// A message without arguments.
    pub fn t(&self, key: &str) -> String {
        LOCALES.lookup(&self.lang.id(), key)
    }

    /// A message, if the catalogue has it.
    pub fn try_t(&self, key: &str) -> Option<String> {
        LOCALES.try_lookup_complete(&self.lang.id(), key, None)
    }

    /// A category's name: the catalogue's words for the default ones, the
    /// configured name for others.
    pub fn category(&self, name: impl AsRef<str>) -> String {
        let name = name.as_ref();
        self.try_t(&format!("category-{name}"))
            .unwrap_or_else(|| name.to_owned())
    }

    /// A message with named arguments.
    pub fn with(&self, key: &str, args: &[(&'static str, &dyn Arg)]) -> String {
        let args: HashMap<Cow<'static, str>, FluentValue> = args
            .iter()
            .map(|(name, value)| (Cow::Borrowed(*name), value.value()))
            .collect();
        LOCALES.lookup_with_args(&self.lang.id(), key, &args)
    }

    /// A message with one argument (the common case in templates).
    pub fn t1(&self, key: &str, name: &'static str, value: impl Arg) -> String {
        self.with(key, &[(name, &value)])
    }

    /// A message with two arguments.
    pub fn t2(
        &self,
        key: &str,
        first: &'static str,
        first_value: impl Arg,
        second: &'static str,
        second_value: impl Arg,
    ) -> String {
        self.with(key, &[(first, &first_value), (second, &second_value)])
    }

    /// A closed value's label, e.g. `status-in_progress`.
    pub fn label(&self, family: &str, value: impl AsRef<str>) -> String {
        self.t(&format!("{family}-{}", value.as_ref()))
    }

    /// A date and time in UTC, as the language writes it (the page's script
    /// rewrites it in the reader's own time zone).
    pub fn datetime(&self, at: impl Given<DateTime<Utc>>) -> String {
        let at = at.given();
        let month = self.t(&format!("month-{}", at.month()));
        self.with(
            "datetime",
            &[
                ("day", &at.day()),
                ("month", &month),
                ("year", &at.year()),
                ("time", &format!("{:02}:{:02}", at.hour(), at.minute())),
            ],
        )
    }

    /// A calendar date, as the language writes it.
    pub fn date(&self, on: impl Given<NaiveDate>) -> String {
        let on = on.given();
        let month = self.t(&format!("month-{}", on.month()));
        self.with(
            "date",
            &[("day", &on.day()), ("month", &month), ("year", &on.year())],
        )
    }

    /// A ratio 0–1 as a whole percentage, or a dash without data.
    pub fn percent(&self, ratio: impl Given<Option<f64>>) -> String {
        match ratio.given() {
            None => "–".to_owned(),
            Some(r) => self.t1("percent", "value", (r * 100.0).round()),
        }
    }

    /// A decimal with one digit after the separator the language uses.
    pub fn decimal(&self, value: impl Given<Option<f64>>) -> String {
        match value.given() {
            None => "–".to_owned(),
            Some(v) => {
                let text = format!("{v:.1}");
                match self.lang {
                    Lang::En => text,
                    Lang::Fr => text.replace('.', ","),
                }
            }
        }
    }

    /// A duration in seconds, exactly, in words ("90 minutes", "14 days").
    pub fn exact_duration(&self, seconds: impl Given<i64>) -> String {
        let (unit, count) = TimeUnit::exact(seconds.given());
        self.t1(&format!("within-{}", unit.as_str()), "count", count)
    }

    /// A duration in seconds as the largest sensible unit ("3 h", "2 j").
    pub fn duration(&self, seconds: impl Given<Option<i64>>) -> String {
        let Some(seconds) = seconds.given() else {
            return "–".to_owned();
        };
        let seconds = seconds.max(0) as f64;
        let (key, amount) = if seconds < 3_600.0 {
            ("duration-minutes", (seconds / 60.0).round())
        } else if seconds < 172_800.0 {
            ("duration-hours", (seconds / 3_600.0).round())
        } else {
            ("duration-days", (seconds / 86_400.0).round())
        };
        self.t1(key, "count", amount)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_honours_weights_and_falls_back_to_english() {
        assert_eq!(Lang::negotiate("fr-FR,fr;q=0.9,en;q=0.8"), Lang::Fr);
        assert_eq!(Lang::negotiate("de-DE,en;q=0.5,fr;q=0.7"), Lang::Fr);
        assert_eq!(Lang::negotiate("en-GB"), Lang::En);
        assert_eq!(Lang::negotiate("de"), Lang::En);
        assert_eq!(Lang::negotiate(""), Lang::En);
    }

    #[test]
    fn every_english_message_has_a_french_twin_and_back() {
        let keys = |text: &str| -> std::collections::BTreeSet<String> {
            text.lines()
                .filter(|l| !l.starts_with([' ', '#', '-', '\t', '.', '*', '[', '}']))
                .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim().to_owned()))
                .collect()
        };
        let en = keys(include_str!("../../locales/en/main.ftl"));
        let fr = keys(include_str!("../../locales/fr/main.ftl"));
        let only_en: Vec<_> = en.difference(&fr).collect();
        let only_fr: Vec<_> = fr.difference(&en).collect();
        assert!(only_en.is_empty(), "missing in French: {only_en:?}");
        assert!(only_fr.is_empty(), "missing in English: {only_fr:?}");
        assert!(en.len() > 100, "the catalogue was not read: {}", en.len());
    }

    #[test]
    fn dates_and_numbers_follow_the_language() {
        let at = DateTime::parse_from_rfc3339("2026-12-04T09:05:00Z")
            .map(|d| d.with_timezone(&Utc))
            .unwrap_or_default();
        assert_eq!(Tr::new(Lang::En).datetime(at), "4 Dec 2026, 09:05");
        assert_eq!(Tr::new(Lang::Fr).datetime(at), "4 déc. 2026, 09:05");
        assert_eq!(Tr::new(Lang::Fr).decimal(Some(4.25)), "4,2");
        let on = NaiveDate::from_ymd_opt(2027, 3, 31).unwrap_or_default();
        assert_eq!(Tr::new(Lang::En).date(on), "31 Mar 2027");
        assert_eq!(Tr::new(Lang::Fr).date(on), "31 mars 2027");
        assert_eq!(Tr::new(Lang::En).percent(Some(0.5)), "50%");
        assert_eq!(Tr::new(Lang::Fr).percent(Some(0.5)), "50 %");
    }

    #[test]
    fn settings_are_written_exactly_in_their_largest_unit() {
        assert_eq!(TimeUnit::exact(900), (TimeUnit::Minutes, 15));
        assert_eq!(TimeUnit::exact(5_400), (TimeUnit::Minutes, 90));
        assert_eq!(TimeUnit::exact(14 * 86_400), (TimeUnit::Days, 14));
        assert_eq!(TimeUnit::exact(61), (TimeUnit::Seconds, 61));
        assert_eq!(Tr::new(Lang::En).exact_duration(3_600), "1 hour");
        assert_eq!(Tr::new(Lang::Fr).exact_duration(4 * 3_600), "4 heures");
    }
}
