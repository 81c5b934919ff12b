//! One error type for the whole API, mapped to `application/problem+json` in one place.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::Invalid;
use crate::domain::organization::Language;
use crate::i18n;

/// A refused field: which one (a JSON path such as `stays[2].from`) and why.
#[derive(Debug, Clone)]
pub struct FieldError {
    pub field: String,
    pub invalid: Invalid,
}

impl FieldError {
    pub fn new(field: impl Into<String>, invalid: Invalid) -> FieldError {
        FieldError {
            field: field.into(),
            invalid,
        }
    }
}

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable, machine-readable; partner systems branch on it.
    pub code: &'static str,
    pub errors: Vec<FieldError>,
    pub retry_after_seconds: Option<u64>,
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.code)
    }
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str) -> ApiError {
        debug_assert!(i18n::knows_problem(code), "no catalogue entry for {code}");
        ApiError {
            status,
            code,
            errors: Vec::new(),
            retry_after_seconds: None,
        }
    }

    pub fn bad_request(code: &'static str) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, code)
    }
    pub fn unauthorized() -> ApiError {
        ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized")
    }
    pub fn forbidden() -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden")
    }
    /// Also the answer for anything the caller may not see.
    pub fn not_found() -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found")
    }
    pub fn conflict(code: &'static str) -> ApiError {
        ApiError::new(StatusCode::CONFLICT, code)
    }
    pub fn precondition_required() -> ApiError {
        ApiError::new(StatusCode::PRECONDITION_REQUIRED, "precondition_required")
    }
    pub fn precondition_failed() -> ApiError {
        ApiError::new(StatusCode::PRECONDITION_FAILED, "precondition_failed")
    }
    pub fn payload_too_large() -> ApiError {
        ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
    }
    pub fn unsupported_media_type() -> ApiError {
        ApiError::new(StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    }
    pub fn unavailable() -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "service_unavailable")
    }
    pub fn internal() -> ApiError {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal_error")
    }

    /// 422 with the refused fields.
    pub fn invalid(errors: Vec<FieldError>) -> ApiError {
        ApiError {
            errors,
            ..ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "validation_failed")
        }
    }

    pub fn invalid_field(field: &str, invalid: Invalid) -> ApiError {
        ApiError::invalid(vec![FieldError::new(field, invalid)])
    }

    /// 400 for a bad query parameter, naming it.
    pub fn invalid_query(field: &str, invalid: Invalid) -> ApiError {
        ApiError {
            errors: vec![FieldError::new(field, invalid)],
            ..ApiError::bad_request("invalid_query")
        }
    }

    /// The problem document in the given language.
    pub fn to_problem(&self, lang: Language) -> ProblemDetails {
        let (title, detail) = i18n::problem_text(self.code, lang);
        ProblemDetails {
            problem_type: format!("urn:etrack:problem:{}", self.code),
            title: title.to_owned(),
            status: self.status.as_u16(),
            detail: detail.to_owned(),
            code: self.code.to_owned(),
            errors: self
                .errors
                .iter()
                .map(|e| ProblemField {
                    field: e.field.clone(),
                    code: e.invalid.code.to_owned(),
                    message: i18n::field_message(e.invalid.code, e.invalid.limit, lang),
                })
                .collect(),
        }
    }

    pub fn render(&self, lang: Language) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
        response.insert_header((header::CONTENT_LANGUAGE, lang.as_str()));
        if let Some(seconds) = self.retry_after_seconds {
            response.insert_header((header::RETRY_AFTER, HeaderValue::from(seconds)));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
        }
        let body = serde_json::to_string(&self.to_problem(lang))
            .unwrap_or_else(|_| format!("{{\"code\":\"{}\"}}", self.code));
        response.body(body)
    }
}

/// Rendered in English here; the localisation middleware re-renders it for Arabic readers.
impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }
    fn error_response(&self) -> HttpResponse {
        self.render(Language::English)
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(e: diesel::result::Error) -> ApiError {
        match e {
            diesel::result::Error::NotFound => ApiError::not_found(),
            // The database went away mid-request (a restart, a failover): worth retrying.
            diesel::result::Error::DatabaseError(
                diesel::result::DatabaseErrorKind::ClosedConnection,
                _,
            ) => {
                tracing::error!(error = %e, "database connection lost");
                let mut error = ApiError::unavailable();
                error.retry_after_seconds = Some(1);
                error
            }
            other => {
                tracing::error!(error = %other, "database error");
                ApiError::internal()
            }
        }
    }
}

impl From<crate::storage::StorageError> for ApiError {
    fn from(e: crate::storage::StorageError) -> ApiError {
        tracing::error!(error = %e, "storage error");
        ApiError::unavailable()
    }
}

/// An `application/problem+json` document (RFC 9457).
#[derive(Serialize, ToSchema, Debug)]
pub struct ProblemDetails {
    /// A URN naming the problem kind.
    #[serde(rename = "type")]
    #[schema(example = "urn:etrack:problem:validation_failed")]
    pub problem_type: String,
    /// Short summary, in the language of `Accept-Language`.
    pub title: String,
    pub status: u16,
    /// Explanation, in the language of `Accept-Language`.
    pub detail: String,
    /// Stable machine-readable code.
    #[schema(example = "validation_failed")]
    pub code: String,
    /// One entry per refused field (may be empty).
    pub errors: Vec<ProblemField>,
}

#[derive(Serialize, ToSchema, Debug)]
pub struct ProblemField {
    /// Path of the field in the request, e.g. `stays[1].from` or a query parameter name.
    pub field: String,
    pub code: String,
    pub message: String,
}
