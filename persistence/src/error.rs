//! What a repository call can answer besides success.

use upturn_domain::Refusal;

/// Errors of the repositories. Each variant is a real, expected outcome
/// the API maps to one stable error code; `Unknown` is everything else.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("this email is already taken")]
    EmailTaken,
    /// The `version` given in a body is not the current one.
    #[error("the resource was changed meanwhile (current version {current})")]
    VersionConflict { current: i64 },
    /// The `If-Match` given is not the current one.
    #[error("the resource was changed meanwhile (current version {current})")]
    PreconditionFailed { current: i64 },
    #[error("{0}")]
    Refused(Refusal),
    /// A field refers to something that does not fit (e.g. a unit of the wrong kind).
    #[error("{field}: {message}")]
    Invalid {
        field: &'static str,
        message: String,
    },
    /// Several fields refer to something that does not fit (e.g. the
    /// requests at some indexes of a list cannot be linked).
    #[error("{}", .0.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; "))]
    Fields(Vec<upturn_domain::values::FieldError>),
    /// The change would leave no active admin.
    #[error("at least one active admin must remain")]
    LastAdmin,
    /// The member has already answered this week's pulse.
    #[error("the pulse of this week is already answered")]
    AlreadyAnswered,
    /// Another request with the same idempotency key committed first.
    #[error("a request with this idempotency key is being processed")]
    IdempotencyRace,
    #[error(transparent)]
    Unknown(#[from] anyhow::Error),
}

impl StoreError {
    pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        StoreError::Invalid {
            field,
            message: message.into(),
        }
    }
}

/// Whether a database error is a unique-constraint violation mentioning `needle`.
pub(crate) fn is_unique_violation(error: &sea_orm::DbErr, needle: &str) -> bool {
    matches!(
        error.sql_err(),
        Some(sea_orm::SqlErr::UniqueConstraintViolation(message)) if message.contains(needle)
    )
}
