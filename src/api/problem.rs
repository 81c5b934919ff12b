//! The HTTP edge of [`Error`]: its status, and the `application/problem+json` document (RFC 9457)
//! in the reader's language.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use chrono::NaiveDate;
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::calendar::hijri;
use crate::domain::organization::Language;
use crate::error::{Details, Error, Kind};
use crate::i18n;

/// The HTTP status of each kind of failure.
pub fn status(kind: Kind) -> StatusCode {
    match kind {
        Kind::BadRequest => StatusCode::BAD_REQUEST,
        Kind::Unauthorized => StatusCode::UNAUTHORIZED,
        Kind::Forbidden => StatusCode::FORBIDDEN,
        Kind::NotFound => StatusCode::NOT_FOUND,
        Kind::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        Kind::Conflict => StatusCode::CONFLICT,
        Kind::PreconditionRequired => StatusCode::PRECONDITION_REQUIRED,
        Kind::PreconditionFailed => StatusCode::PRECONDITION_FAILED,
        Kind::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        Kind::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        Kind::Invalid => StatusCode::UNPROCESSABLE_ENTITY,
        Kind::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
        Kind::HeadersTooLarge => StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        Kind::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        Kind::Unavailable | Kind::Contended => StatusCode::SERVICE_UNAVAILABLE,
    }
}

/// The problem document in the given language.
pub fn problem(e: &Error, lang: Language) -> ProblemDetails {
    let (title, detail) = i18n::problem_text(e.code, lang);
    ProblemDetails {
        problem_type: format!("urn:etrack:problem:{}", e.code),
        title: title.to_owned(),
        status: status(e.kind).as_u16(),
        detail: detail.to_owned(),
        code: e.code.to_owned(),
        errors: e
            .errors
            .iter()
            .map(|f| ProblemField {
                field: f.field.clone(),
                code: f.invalid.code.to_owned(),
                message: i18n::field_message(f.invalid.code, f.invalid.limit, lang),
                expected: f
                    .expected
                    .clone()
                    .or_else(|| i18n::field_expects(f.invalid.code).map(str::to_owned)),
            })
            .collect(),
        explanation: e
            .details
            .as_deref()
            .map(Explanation::from)
            .unwrap_or_default(),
    }
}

/// The whole answer: status, headers and the problem document.
pub fn render(e: &Error, lang: Language) -> HttpResponse {
    let status = status(e.kind);
    let mut response = HttpResponse::build(status);
    response.insert_header((header::CONTENT_TYPE, "application/problem+json"));
    response.insert_header((header::CONTENT_LANGUAGE, lang.as_str()));
    if let Some(seconds) = e.retry_after_seconds {
        response.insert_header((header::RETRY_AFTER, HeaderValue::from(seconds)));
    }
    if status == StatusCode::UNAUTHORIZED {
        response.insert_header((header::WWW_AUTHENTICATE, "Bearer"));
    }
    let body = serde_json::to_string(&problem(e, lang))
        .unwrap_or_else(|_| format!("{{\"code\":\"{}\"}}", e.code));
    response.body(body)
}

/// A method the path does not take: `405` with the methods it does in `Allow`.
pub fn method_not_allowed(methods: &str, lang: Language) -> HttpResponse {
    let mut response = render(
        &Error::new(crate::error::Kind::MethodNotAllowed, "method_not_allowed"),
        lang,
    );
    if let Ok(value) = HeaderValue::from_str(methods) {
        response.headers_mut().insert(header::ALLOW, value);
    }
    response
}

/// Rendered in English here; the localisation middleware re-renders it in the reader's language.
impl ResponseError for Error {
    fn status_code(&self) -> StatusCode {
        status(self.kind)
    }
    fn error_response(&self) -> HttpResponse {
        render(self, Language::English)
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
    #[serde(flatten)]
    pub explanation: Explanation,
}

/// What a rule's refusal adds, so that the caller can fix its request from the answer alone;
/// present only where it applies.
#[derive(Serialize, ToSchema, Debug, Default)]
pub struct Explanation {
    /// `invalid_transition`: the record's status now.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "approved")]
    pub current_status: Option<&'static str>,
    /// `invalid_transition`: the actions the caller may take from that status (may be empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed_actions: Option<Vec<&'static str>>,
    /// `capacity_exceeded`, `quota_exceeded`: the first day that does not fit.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub day_hijri: Option<String>,
    /// Units the request asks for on that day.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub requested: Option<i64>,
    /// `capacity_exceeded`: units still free on that day; `quota_exceeded`: pilgrims left.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available: Option<i64>,
    /// `deadline_passed`: the last day of filing (Makkah time).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline: Option<NaiveDate>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deadline_hijri: Option<String>,
    /// `insufficient_funds`: what the step would commit (SAR, a decimal string).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "45000.00")]
    pub amount_required: Option<String>,
    /// `insufficient_funds`: what the wallet has free.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "12500.00")]
    pub amount_available: Option<String>,
    /// `documents_missing`: the document kinds the submission lacks, valid over the contract's
    /// dates, on the contract or its facility.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_documents: Option<Vec<&'static str>>,
}

impl From<&Details> for Explanation {
    fn from(d: &Details) -> Explanation {
        Explanation {
            current_status: d.current_status,
            allowed_actions: d.allowed_actions.clone(),
            day: d.day,
            day_hijri: d.day.map(hijri),
            requested: d.requested,
            available: d.available,
            deadline: d.deadline,
            deadline_hijri: d.deadline.map(hijri),
            amount_required: d.amount_required.map(|m| m.to_string()),
            amount_available: d.amount_available.map(|m| m.to_string()),
            missing_documents: d.missing_documents.clone(),
        }
    }
}

#[derive(Serialize, ToSchema, Debug)]
pub struct ProblemField {
    /// Path of the field in the request, e.g. `stays[1].from` or a query parameter name.
    pub field: String,
    pub code: String,
    pub message: String,
    /// What the field takes, where that is a list or a format: `draft, pending_provider, ...`,
    /// `YYYY-MM-DD`, a decimal string.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected: Option<String>,
}
