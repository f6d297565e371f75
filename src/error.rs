//! One error type for the whole service, and its two faces in the API: top-level GraphQL errors
//! with `extensions.code`, and `UserError`s inside mutation payloads for expected failures.

use async_graphql::{Enum, ErrorExtensions, SimpleObject};
use sea_orm::{DbErr, SqlErr};

/// Every code a client may see, in `extensions.code` or in `UserError.code`.
#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum ErrorCode {
    /// No valid access token, or an expired one.
    Unauthenticated,
    /// Signed in, but the viewer's roles or scope do not allow this.
    Forbidden,
    /// The thing does not exist, or the viewer may not know that it does.
    NotFound,
    /// The request or an argument is malformed.
    BadUserInput,
    /// Too many requests; `extensions.retryAfter` says how many seconds to wait.
    RateLimited,
    /// The query is too deep, too expensive, or has too many aliases or root mutations.
    QueryTooComplex,
    /// The request took longer than the server allows.
    Timeout,
    /// A dependency (the database) is unreachable for now; retry shortly.
    Unavailable,
    /// Something broke on our side; details are in the server log, not in the response.
    Internal,
    /// A field's value is not acceptable.
    Invalid,
    /// The thing already exists (a username, a membership, a grant).
    Duplicate,
    /// The password is too short, too common or too like the username.
    WeakPassword,
    /// Wrong username or password.
    InvalidCredentials,
    /// The account is disabled.
    AccountDisabled,
    /// The refresh token is unknown, expired, revoked or was already used.
    InvalidToken,
    /// The thing is not in a state that allows this (reviewed twice, already published…).
    InvalidState,
    /// Not enough stock for this change.
    InsufficientStock,
    /// The producer is unverified or suspended.
    NotInGoodStanding,
    /// The region exists but is of the wrong level here (e.g. a village where a county is needed).
    WrongRegionLevel,
    /// Below what the jurisdiction's policy requires (e.g. the reserved share).
    BelowPolicyMinimum,
    /// More than a directed procurement agreement's remaining volume.
    AgreementExceeded,
    /// An idempotency key already used for a different request.
    IdempotencyKeyReused,
    /// More than the allocating region holds (or would leave a region below over-allocated).
    OverAllocated,
    /// The region or unit named lies outside the region acted from.
    OutOfScope,
    /// Nothing to rank: no unit or region of the kind or level asked for in the region.
    NoUnits,
    /// The reporting period is already closed for this region.
    AlreadyClosed,
    /// The reporting period has not ended yet, so it cannot be closed.
    PeriodNotOver,
    /// A quoted price above the need's price ceiling.
    AboveCeiling,
    /// Dates outside the period they must fall in (a quote's delivery outside its need's).
    OutsidePeriod,
    /// The need asks for certified poverty-alleviation products and this one is not.
    NotCertified,
    /// More than the order still owes (payments recorded and awaiting confirmation count).
    Overpaid,
    /// The order is not paid in full (a pay-first order before shipping, any before settling).
    Unpaid,
    /// A file over the size cap (`FILE_MAX_BYTES`), or an image over the pixel limit.
    FileTooLarge,
    /// A file whose content is not of an allowed type (JPEG, PNG, WebP, PDF, XLSX, CSV).
    ForbiddenFileType,
    /// A file whose declared `Content-Type` is not what its content is.
    FileTypeMismatch,
    /// A persisted query's hash this server has not been sent the text of: send it again with
    /// `query` (Apollo's automatic persisted queries).
    PersistedQueryNotFound,
    /// `extensions.persistedQuery.sha256Hash` is not the SHA-256 of the `query` sent with it.
    PersistedQueryHashMismatch,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Unauthenticated => "UNAUTHENTICATED",
            Self::Forbidden => "FORBIDDEN",
            Self::NotFound => "NOT_FOUND",
            Self::BadUserInput => "BAD_USER_INPUT",
            Self::RateLimited => "RATE_LIMITED",
            Self::QueryTooComplex => "QUERY_TOO_COMPLEX",
            Self::Timeout => "TIMEOUT",
            Self::Unavailable => "UNAVAILABLE",
            Self::Internal => "INTERNAL",
            Self::Invalid => "INVALID",
            Self::Duplicate => "DUPLICATE",
            Self::WeakPassword => "WEAK_PASSWORD",
            Self::InvalidCredentials => "INVALID_CREDENTIALS",
            Self::AccountDisabled => "ACCOUNT_DISABLED",
            Self::InvalidToken => "INVALID_TOKEN",
            Self::InvalidState => "INVALID_STATE",
            Self::InsufficientStock => "INSUFFICIENT_STOCK",
            Self::NotInGoodStanding => "NOT_IN_GOOD_STANDING",
            Self::WrongRegionLevel => "WRONG_REGION_LEVEL",
            Self::BelowPolicyMinimum => "BELOW_POLICY_MINIMUM",
            Self::AgreementExceeded => "AGREEMENT_EXCEEDED",
            Self::IdempotencyKeyReused => "IDEMPOTENCY_KEY_REUSED",
            Self::OverAllocated => "OVER_ALLOCATED",
            Self::OutOfScope => "OUT_OF_SCOPE",
            Self::NoUnits => "NO_UNITS",
            Self::AlreadyClosed => "ALREADY_CLOSED",
            Self::PeriodNotOver => "PERIOD_NOT_OVER",
            Self::AboveCeiling => "ABOVE_CEILING",
            Self::OutsidePeriod => "OUTSIDE_PERIOD",
            Self::NotCertified => "NOT_CERTIFIED",
            Self::Overpaid => "OVERPAID",
            Self::Unpaid => "UNPAID",
            Self::FileTooLarge => "FILE_TOO_LARGE",
            Self::ForbiddenFileType => "FORBIDDEN_FILE_TYPE",
            Self::FileTypeMismatch => "FILE_TYPE_MISMATCH",
            Self::PersistedQueryNotFound => "PERSISTED_QUERY_NOT_FOUND",
            Self::PersistedQueryHashMismatch => "PERSISTED_QUERY_HASH_MISMATCH",
        }
    }
}

/// An expected failure of a mutation, returned in its payload's `errors`.
#[derive(SimpleObject, Clone, Debug, PartialEq, Eq)]
pub struct UserError {
    /// Path to the offending input field, e.g. `["input", "password"]`.
    pub field: Option<Vec<String>>,
    pub code: ErrorCode,
    pub message: String,
}

impl UserError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: None,
            code,
            message: message.into(),
        }
    }

    /// An error about `input.<field>`.
    pub fn on(field: &str, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            field: Some(vec!["input".to_owned(), field.to_owned()]),
            code,
            message: message.into(),
        }
    }
}

/// Deliberately not `Display`: async-graphql converts any `Display` error into a GraphQL error
/// without a code, so this type must go through `From<AppError>` below, which codes it and keeps
/// internal details out of the response.
/// Collects every problem with an input before refusing it, so a form can show them all.
#[derive(Default, Debug)]
pub struct Checks(Vec<UserError>);

impl Checks {
    pub fn require(
        &mut self,
        ok: bool,
        field: &str,
        code: ErrorCode,
        message: impl Into<String>,
    ) -> &mut Self {
        if !ok {
            self.0.push(UserError::on(field, code, message));
        }
        self
    }

    /// A text field of `min..=max` characters (after trimming).
    pub fn length(&mut self, value: &str, field: &str, min: usize, max: usize) -> &mut Self {
        let n = value.trim().chars().count();
        self.require(
            (min..=max).contains(&n),
            field,
            ErrorCode::Invalid,
            msg!(
                "error.needs_characters",
                field = field,
                min = min,
                max = max
            ),
        )
    }

    pub fn push(&mut self, error: UserError) -> &mut Self {
        self.0.push(error);
        self
    }

    /// The problems found so far, to merge into another `Checks`.
    pub fn into_errors(self) -> Vec<UserError> {
        self.0
    }

    pub fn finish(self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::User(self.0))
        }
    }
}

#[derive(Debug)]
pub enum AppError {
    Unauthenticated,
    /// Why, as a key of the message catalogue (`forbidden.…`).
    Forbidden(&'static str),
    /// What, as a key of the message catalogue (`not_found.…`).
    NotFound(&'static str),
    BadInput(String),
    RateLimited {
        retry_after: u64,
    },
    /// Expected failures: mutations put these in their payload.
    User(Vec<UserError>),
    /// The database cannot be reached (restarting, failing over).
    Unavailable(anyhow::Error),
    Internal(anyhow::Error),
}

pub type AppResult<T> = std::result::Result<T, AppError>;

/// What resolvers return. Named `Result` on purpose: async-graphql treats any return type whose
/// last path segment is `Result` as fallible and converts its error with
/// `Into<async_graphql::Error>`, so a resolver's error is always an `AppError`, coded and with its
/// detail kept in the log. A bare `?` on a database error then goes through `From<DbErr>`, never
/// through async-graphql's blanket conversion of any `Display` error, which would send SQL text
/// to the client without a code. (`tests/api/layout.rs` refuses `async_graphql::Result` in
/// resolvers.)
pub type Result<T, E = AppError> = std::result::Result<T, E>;

impl AppError {
    pub fn user(error: UserError) -> Self {
        Self::User(vec![error])
    }

    /// An expected failure about `input.<field>`.
    pub fn field(field: &str, code: ErrorCode, message: impl Into<String>) -> Self {
        Self::user(UserError::on(field, code, message))
    }

    /// An expected failure about the whole input.
    pub fn state(code: ErrorCode, message: impl Into<String>) -> Self {
        Self::user(UserError::new(code, message))
    }

    pub fn internal(error: impl Into<anyhow::Error>) -> Self {
        Self::Internal(error.into())
    }

    /// What the client is told, in the request's language.
    pub fn message(&self) -> String {
        match self {
            Self::Unauthenticated => msg!("error.sign_in_first"),
            Self::Forbidden(key) | Self::NotFound(key) => crate::i18n::text(key),
            Self::BadInput(why) => why.clone(),
            Self::RateLimited { retry_after } => {
                msg!("error.too_many_requests", retry_after = retry_after)
            }
            Self::User(errors) => errors
                .iter()
                .map(|e| e.message.as_str())
                .collect::<Vec<_>>()
                .join("; "),
            Self::Unavailable(_) => msg!("error.database_unavailable"),
            Self::Internal(_) => msg!("error.internal"),
        }
    }

    /// For command-line use, where the whole cause chain may be shown.
    pub fn into_anyhow(self) -> anyhow::Error {
        match self {
            Self::Internal(source) => source,
            Self::Unavailable(source) => source,
            other => anyhow::anyhow!(other.message()),
        }
    }

    pub fn code(&self) -> ErrorCode {
        match self {
            Self::Unauthenticated => ErrorCode::Unauthenticated,
            Self::Forbidden(_) => ErrorCode::Forbidden,
            Self::NotFound(_) => ErrorCode::NotFound,
            Self::BadInput(_) | Self::User(_) => ErrorCode::BadUserInput,
            Self::RateLimited { .. } => ErrorCode::RateLimited,
            Self::Unavailable(_) => ErrorCode::Unavailable,
            Self::Internal(_) => ErrorCode::Internal,
        }
    }
}

impl From<DbErr> for AppError {
    fn from(error: DbErr) -> Self {
        if is_connection_error(&error) {
            Self::Unavailable(error.into())
        } else {
            Self::Internal(error.into())
        }
    }
}

/// A batch loader's error, shared by every field that waited on the batch.
impl From<std::sync::Arc<DbErr>> for AppError {
    fn from(error: std::sync::Arc<DbErr>) -> Self {
        let detail = anyhow::anyhow!("{error}");
        if is_connection_error(&error) {
            Self::Unavailable(detail)
        } else {
            Self::Internal(detail)
        }
    }
}

/// Whether the database could not be reached, as opposed to refusing a statement.
fn is_connection_error(error: &DbErr) -> bool {
    use sea_orm::{RuntimeErr, sqlx::Error as Sqlx};
    match error {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => true,
        DbErr::Exec(RuntimeErr::SqlxError(e)) | DbErr::Query(RuntimeErr::SqlxError(e)) => {
            matches!(
                e.as_ref(),
                Sqlx::Io(_) | Sqlx::PoolTimedOut | Sqlx::PoolClosed | Sqlx::WorkerCrashed
            )
        }
        _ => false,
    }
}

/// Whether a database error is a unique-constraint violation (a lost race on an insert).
pub fn is_unique_violation(error: &DbErr) -> bool {
    matches!(error.sql_err(), Some(SqlErr::UniqueConstraintViolation(_)))
}

impl From<AppError> for async_graphql::Error {
    fn from(error: AppError) -> Self {
        let code = error.code();
        match &error {
            // The detail stays in the log; the client learns only that it was our fault.
            AppError::Internal(source) => tracing::error!(error = ?source, "internal error"),
            AppError::Unavailable(source) => {
                tracing::warn!(error = %source, "database unavailable");
            }
            _ => {}
        }
        let message = error.message();
        async_graphql::Error::new(message).extend_with(|_, ext| {
            ext.set("code", code.as_str());
            if let AppError::RateLimited { retry_after } = error {
                ext.set("retryAfter", retry_after);
            }
            // A query has no payload: its expected failures keep their own codes here.
            if let AppError::User(errors) = &error {
                let coded: Vec<async_graphql::Value> = errors
                    .iter()
                    .map(|e| {
                        let mut fields = async_graphql::indexmap::IndexMap::new();
                        fields.insert(
                            async_graphql::Name::new("code"),
                            async_graphql::Value::from(e.code.as_str()),
                        );
                        fields.insert(
                            async_graphql::Name::new("message"),
                            async_graphql::Value::from(e.message.as_str()),
                        );
                        if let Some(path) = &e.field {
                            fields.insert(
                                async_graphql::Name::new("field"),
                                async_graphql::Value::List(
                                    path.iter()
                                        .map(|p| async_graphql::Value::from(p.as_str()))
                                        .collect(),
                                ),
                            );
                        }
                        async_graphql::Value::Object(fields)
                    })
                    .collect();
                ext.set("userErrors", coded);
            }
        })
    }
}

/// A mutation payload: the changed object on success, `errors` on an expected failure.
pub trait Payload: Sized {
    type Success;
    fn success(value: Self::Success) -> Self;
    fn failure(errors: Vec<UserError>) -> Self;
}

/// Declares a mutation payload: one result field, `errors`, and its `Payload` impl.
///
/// ```ignore
/// payload! {
///     /// What `shipOrder` answers.
///     OrderPayload { order: Option<Order> } from order::Model => |m| Some(Order::from(m))
/// }
/// ```
#[macro_export]
macro_rules! payload {
    (
        $(#[$meta:meta])*
        $name:ident { $(#[$field_meta:meta])* $field:ident: $ty:ty } from $success:ty => $wrap:expr
    ) => {
        $(#[$meta])*
        #[derive(async_graphql::SimpleObject, Default)]
        pub struct $name {
            $(#[$field_meta])*
            pub $field: $ty,
            pub errors: Vec<$crate::error::UserError>,
        }

        impl $crate::error::Payload for $name {
            type Success = $success;

            fn success(value: $success) -> Self {
                #[allow(clippy::redundant_closure_call)]
                let $field = ($wrap)(value);
                Self { $field, errors: Vec::new() }
            }

            fn failure(errors: Vec<$crate::error::UserError>) -> Self {
                Self { errors, ..Self::default() }
            }
        }
    };
}

/// Turns a service result into a payload; unexpected errors stay top-level GraphQL errors.
pub fn payload<P: Payload>(result: AppResult<P::Success>) -> Result<P> {
    match result {
        Ok(value) => Ok(P::success(value)),
        Err(AppError::User(errors)) => Ok(P::failure(errors)),
        Err(other) => Err(other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn internal_errors_hide_their_detail() {
        let error: async_graphql::Error =
            AppError::internal(anyhow::anyhow!("relation \"users\" does not exist")).into();
        assert_eq!(error.message, crate::i18n::text("error.internal"));
        assert!(!error.message.contains("relation"));
        let ext = error.extensions.expect("extensions");
        assert_eq!(
            ext.get("code"),
            Some(&async_graphql::Value::from("INTERNAL"))
        );
    }

    #[test]
    fn rate_limited_errors_say_when_to_retry() {
        let error: async_graphql::Error = AppError::RateLimited { retry_after: 7 }.into();
        let ext = error.extensions.expect("extensions");
        assert_eq!(ext.get("retryAfter"), Some(&async_graphql::Value::from(7)));
    }
}
