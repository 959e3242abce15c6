//! Parsed values: each newtype can only hold a valid value, so code that
//! receives one never checks again ("parse, don't validate").

use std::fmt;

/// One field that failed to parse, with a message a person can act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// Collects field errors while a whole input is parsed, so the caller gets
/// every mistake at once rather than one per round trip.
#[derive(Debug, Default)]
pub struct Errors(Vec<FieldError>);

impl Errors {
    /// Keeps the value, or records why it could not be parsed.
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(error) => {
                self.0.push(error);
                None
            }
        }
    }

    pub fn push(&mut self, error: FieldError) {
        self.0.push(error);
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<FieldError> {
        self.0
    }
}

/// Trimmed text with a character count between `min` (once trimmed) and
/// `max` (as sent: the published contract's `maxLength` counts what is sent).
fn bounded(field: &str, raw: &str, min: usize, max: usize) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.chars().count() < min {
        return Err(FieldError::new(
            field,
            if min == 1 {
                "must not be empty".to_owned()
            } else {
                format!("must be at least {min} characters")
            },
        ));
    }
    if raw.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\r' && c != '\t')
    {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

macro_rules! text_type {
    ($(#[$meta:meta])* $name:ident, $min:expr, $max:expr) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, Eq)]
        pub struct $name(String);

        impl $name {
            pub const MAX_CHARS: usize = $max;

            /// Parses `raw` for the named field.
            pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
                bounded(field, raw, $min, $max).map(Self)
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }

            pub fn into_inner(self) -> String {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

text_type!(
    /// A short title: what the customer asked, in a line.
    Title, 1, 200
);
text_type!(
    /// A free text that may be empty (a description).
    Text, 0, 10_000
);
text_type!(
    /// A note that must say something: resolutions, declines, routing, comments.
    Note, 1, 5_000
);
text_type!(
    /// The name of a person or a unit.
    Name, 1, 200
);
text_type!(
    /// How to reach a customer back.
    Contact, 1, 200
);
text_type!(
    /// What a member adds to their pulse answer, shown verbatim (only for
    /// units whose figures are shown).
    PulseComment, 1, 1_000
);

/// The words a list is searched for: trimmed, at most 200 characters,
/// without control characters (a NUL would end the pattern early in
/// SQLite and be refused by PostgreSQL). Empty means no search.
pub fn search_words(field: &str, raw: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(raw) = raw else {
        return Ok(None);
    };
    if raw.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    if raw.chars().count() > 200 {
        return Err(FieldError::new(field, "must be at most 200 characters"));
    }
    let words = raw.trim();
    Ok((!words.is_empty()).then(|| words.to_owned()))
}

/// A login email: lower-cased, one `@`, something on both sides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim().to_lowercase();
        let valid = email.len() <= 254
            && !email.chars().any(|c| c.is_whitespace() || c.is_control())
            && matches!(email.split_once('@'), Some((local, domain))
                if !local.is_empty() && !domain.is_empty() && !domain.contains('@'));
        if valid {
            Ok(Self(email))
        } else {
            Err(FieldError::new(field, "must be an email address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password as typed: at least 8 characters (hashed by the caller).
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 8;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let count = raw.chars().count();
        if count < Self::MIN_CHARS {
            Err(FieldError::new(
                field,
                format!("must be at least {} characters", Self::MIN_CHARS),
            ))
        } else if count > 1024 {
            Err(FieldError::new(field, "must be at most 1024 characters"))
        } else {
            Ok(Self(raw.to_owned()))
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

/// How satisfied the customer said they were, 1 to 5.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Satisfaction(u8);

impl Satisfaction {
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

/// How likely the customer is to recommend us, 0 to 10.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WouldRecommend(u8);

impl WouldRecommend {
    pub fn new(field: &str, value: i64) -> Result<Self, FieldError> {
        match u8::try_from(value) {
            Ok(v @ 0..=10) => Ok(Self(v)),
            _ => Err(FieldError::new(field, "must be between 0 and 10")),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

/// A category from the organisation's configured list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Category(String);

impl Category {
    pub fn parse<S: AsRef<str>>(field: &str, raw: &str, allowed: &[S]) -> Result<Self, FieldError> {
        if allowed.iter().any(|c| c.as_ref() == raw) {
            Ok(Self(raw.to_owned()))
        } else {
            let list: Vec<&str> = allowed.iter().map(AsRef::as_ref).collect();
            Err(FieldError::new(
                field,
                format!("must be one of: {}", list.join(", ")),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The human reference of a request, `UP-000123`.
pub fn reference(number: i64) -> String {
    format!("UP-{number:06}")
}

/// The alphabet of tracking codes: no 0/O, 1/I/L, so a code read aloud in a
/// shop or copied from a receipt is not misread.
pub const TRACKING_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// Turns 8 random bytes into a tracking code like `K7QF-2M9X`.
pub fn tracking_code(random: [u8; 8]) -> String {
    let mut code = String::with_capacity(9);
    for (i, byte) in random.iter().enumerate() {
        if i == 4 {
            code.push('-');
        }
        let index = usize::from(*byte) % TRACKING_ALPHABET.len();
        code.push(char::from(TRACKING_ALPHABET[index]));
    }
    code
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_trimmed_and_bounded() {
        assert_eq!(
            Title::parse("title", "  Size 44 ").map(|t| t.into_inner()),
            Ok("Size 44".to_owned())
        );
        assert!(Title::parse("title", "   ").is_err());
        assert!(Title::parse("title", &"x".repeat(201)).is_err());
        assert!(Text::parse("description", "").is_ok());
        assert!(Note::parse("note", "bell\u{7}").is_err());
    }

    #[test]
    fn emails_are_normalised() {
        assert_eq!(
            Email::parse("email", " Ana@Shop.Example ").map(|e| e.0),
            Ok("ana@shop.example".to_owned())
        );
        for bad in ["", "ana", "@shop", "ana@", "a b@c", "a@b@c"] {
            assert!(Email::parse("email", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scores_are_range_checked() {
        assert!(Satisfaction::new("s", 0).is_err());
        assert!(Satisfaction::new("s", 1).is_ok());
        assert!(Satisfaction::new("s", 5).is_ok());
        assert!(Satisfaction::new("s", 6).is_err());
        assert!(WouldRecommend::new("w", -1).is_err());
        assert!(WouldRecommend::new("w", 10).is_ok());
        assert!(WouldRecommend::new("w", 11).is_err());
    }

    #[test]
    fn passwords_never_print() {
        let password = Password::parse("password", "correct horse").ok();
        assert_eq!(format!("{password:?}"), "Some(Password(<redacted>))");
        assert!(Password::parse("password", "short").is_err());
    }

    #[test]
    fn references_and_codes_have_their_shape() {
        assert_eq!(reference(123), "UP-000123");
        assert_eq!(reference(1_234_567), "UP-1234567");
        let code = tracking_code([0, 1, 2, 3, 250, 251, 252, 255]);
        assert_eq!(code.len(), 9);
        assert_eq!(code.as_bytes()[4], b'-');
        assert!(
            code.bytes()
                .filter(|b| *b != b'-')
                .all(|b| TRACKING_ALPHABET.contains(&b))
        );
    }
}
