//! One error type for every use case, whatever the interface: what went wrong as a [`Kind`], a
//! stable machine-readable `code` and the refused fields. It knows nothing of HTTP; the API turns
//! it into a problem document in one place (`api::problem`), and any other interface does the same
//! from the same value.

use crate::domain::Invalid;

/// A refused field: which one (a JSON path such as `stays[2].from`) and why, and what it would
/// take where that is a list or a format (`draft, pending_provider, ...`, `YYYY-MM-DD`).
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: String,
    pub invalid: Invalid,
    pub expected: Option<String>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, invalid: Invalid) -> FieldError {
        FieldError {
            field: field.into(),
            invalid,
            expected: None,
        }
    }

    /// The same refusal, saying what would be accepted.
    pub fn expecting(mut self, expected: impl Into<String>) -> FieldError {
        self.expected = Some(expected.into());
        self
    }
}

/// What kind of failure: each interface decides how to show it (an HTTP status, a console message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The request itself is malformed (syntax, headers, parameters).
    BadRequest,
    /// No valid credentials.
    Unauthorized,
    /// The caller sees the thing but may not do this to it.
    Forbidden,
    /// It does not exist, or the caller may not see it.
    NotFound,
    /// The operation exists for the resource, not with this method.
    MethodNotAllowed,
    /// The request conflicts with the current state (a rule of the portal).
    Conflict,
    /// A change did not name the version it changes.
    PreconditionRequired,
    /// A change named a version that is no longer current.
    PreconditionFailed,
    PayloadTooLarge,
    UnsupportedMediaType,
    /// Well-formed, but fields are refused (see `errors`).
    Invalid,
    /// Too many attempts; `retry_after_seconds` says when to try again.
    TooManyRequests,
    HeadersTooLarge,
    /// Our fault.
    Internal,
    /// Temporarily unable (the database is unreachable); worth retrying.
    Unavailable,
    /// The database gave up a change because of concurrent ones (a deadlock, a serialisation
    /// failure, a lock held too long); nothing of it was kept, and it is worth retrying.
    Contended,
}

#[derive(Debug, Clone)]
pub struct Error {
    pub kind: Kind,
    /// Stable, machine-readable; partner systems branch on it.
    pub code: &'static str,
    pub errors: Vec<FieldError>,
    pub retry_after_seconds: Option<u64>,
    /// What the caller needs to put the request right, where a rule refused it.
    pub details: Option<Box<Details>>,
}

/// The facts behind a refusal, for a caller to fix its request from the answer alone. Only what
/// the caller may know: its own request, a count of free units the facility list shows anyway,
/// its own allocation, the season's dates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Details {
    /// The record's status now (`invalid_transition`).
    pub current_status: Option<&'static str>,
    /// What the caller may do from that status (`invalid_transition`).
    pub allowed_actions: Option<Vec<&'static str>>,
    /// The first day that does not fit (`capacity_exceeded`, `quota_exceeded`).
    pub day: Option<chrono::NaiveDate>,
    /// Units the request asks for on that day.
    pub requested: Option<i64>,
    /// Units free on that day (`capacity_exceeded`), pilgrims left (`quota_exceeded`).
    pub available: Option<i64>,
    /// The last day of filing (`deadline_passed`).
    pub deadline: Option<chrono::NaiveDate>,
    /// What a step would commit and what the wallet has free (`insufficient_funds`).
    pub amount_required: Option<crate::domain::money::Money>,
    pub amount_available: Option<crate::domain::money::Money>,
    /// The document kinds a submission lacks (`documents_missing`).
    pub missing_documents: Option<Vec<&'static str>>,
}

impl std::fmt::Display for Error {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?} {}", self.kind, self.code)
    }
}

impl Error {
    /// The same error, with the facts that explain it.
    pub fn with_details(mut self, details: Details) -> Error {
        self.details = Some(Box::new(details));
        self
    }

    pub fn new(kind: Kind, code: &'static str) -> Error {
        debug_assert!(
            crate::i18n::knows_problem(code),
            "no catalogue entry for {code}"
        );
        Error {
            kind,
            code,
            errors: Vec::new(),
            retry_after_seconds: None,
            details: None,
        }
    }

    /// Whether the failure is the server's (or its database's), not the caller's.
    pub fn is_server_fault(&self) -> bool {
        matches!(self.kind, Kind::Internal | Kind::Unavailable)
    }

    pub fn bad_request(code: &'static str) -> Error {
        Error::new(Kind::BadRequest, code)
    }
    pub fn unauthorized() -> Error {
        Error::new(Kind::Unauthorized, "unauthorized")
    }
    pub fn forbidden() -> Error {
        Error::new(Kind::Forbidden, "forbidden")
    }
    /// Also the answer for anything the caller may not see.
    pub fn not_found() -> Error {
        Error::new(Kind::NotFound, "not_found")
    }
    pub fn conflict(code: &'static str) -> Error {
        Error::new(Kind::Conflict, code)
    }
    pub fn precondition_required() -> Error {
        Error::new(Kind::PreconditionRequired, "precondition_required")
    }
    pub fn precondition_failed() -> Error {
        Error::new(Kind::PreconditionFailed, "precondition_failed")
    }
    pub fn payload_too_large() -> Error {
        Error::new(Kind::PayloadTooLarge, "payload_too_large")
    }
    pub fn unsupported_media_type() -> Error {
        Error::new(Kind::UnsupportedMediaType, "unsupported_media_type")
    }
    pub fn unavailable() -> Error {
        Error::new(Kind::Unavailable, "service_unavailable")
    }
    /// A change the database aborted for concurrent ones, after its retries (see `state`).
    pub fn contended() -> Error {
        Error {
            retry_after_seconds: Some(1),
            ..Error::new(Kind::Contended, "contention")
        }
    }
    pub fn internal() -> Error {
        Error::new(Kind::Internal, "internal_error")
    }

    /// Fields refused.
    pub fn invalid(errors: Vec<FieldError>) -> Error {
        Error {
            errors,
            ..Error::new(Kind::Invalid, "validation_failed")
        }
    }

    pub fn invalid_field(field: &str, invalid: Invalid) -> Error {
        Error::invalid(vec![FieldError::new(field, invalid)])
    }

    /// A bad query parameter, naming it.
    pub fn invalid_query(field: &str, invalid: Invalid) -> Error {
        Error::refused_query(FieldError::new(field, invalid))
    }

    /// A bad query parameter, as refused (with what it takes, where known).
    pub fn refused_query(refused: FieldError) -> Error {
        Error {
            errors: vec![refused],
            ..Error::bad_request("invalid_query")
        }
    }

    /// Too many attempts: try again in `seconds`.
    pub fn rate_limited(seconds: u64) -> Error {
        Error {
            retry_after_seconds: Some(seconds),
            ..Error::new(Kind::TooManyRequests, "rate_limited")
        }
    }

    /// The same error with the refused fields named.
    pub fn with_fields(mut self, errors: Vec<FieldError>) -> Error {
        self.errors = errors;
        self
    }
}

impl From<diesel::result::Error> for Error {
    fn from(e: diesel::result::Error) -> Error {
        match e {
            diesel::result::Error::NotFound => Error::not_found(),
            // The database went away mid-request (a restart, a failover): worth retrying.
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection,
                _,
            ) => {
                tracing::error!(error = %e, "database connection lost");
                let mut error = Error::unavailable();
                error.retry_after_seconds = Some(1);
                error
            }
            e if is_contention(&e) => {
                tracing::warn!(error = %e, "change aborted by a concurrent one");
                Error::contended()
            }
            other => {
                tracing::error!(error = %other, "database error");
                Error::internal()
            }
        }
    }
}

/// Whether the database aborted a statement because of concurrent transactions: PostgreSQL's
/// serialisation failures (40001) and deadlocks (40P01), SQLite's lock still held after its wait.
fn is_contention(e: &diesel::result::Error) -> bool {
    use diesel::result::DatabaseErrorKind as K;
    match e {
        diesel::result::Error::DatabaseError(K::SerializationFailure, _) => true,
        diesel::result::Error::DatabaseError(K::Unknown, info) => {
            let message = info.message();
            message.starts_with("deadlock detected") || message.starts_with("database is locked")
        }
        _ => false,
    }
}

impl From<crate::storage::StorageError> for Error {
    fn from(e: crate::storage::StorageError) -> Error {
        tracing::error!(error = %e, "storage error");
        Error::unavailable()
    }
}
