//! `AppError`: the one error type at the HTTP edge. Handlers return it; `ResponseError` gives the
//! status and the JSON body, and `web::middleware::error_pages` re-renders it in the client's
//! language, as an HTML page for pages and as `{"error": {...}}` for `/api`.

use std::sync::Arc;

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::cache::CacheError;
use crate::db::tx::is_in_doubt;
use crate::db::{is_connection_error, DbError};
use crate::web::i18n::Lang;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A field failed validation; `detail` is already in the client's words (see `Invalid`).
    #[error("validation failed: {0:?}")]
    Validation(Invalid),
    #[error("malformed request: {0}")]
    BadRequest(String),
    #[error("not signed in")]
    Unauthenticated,
    #[error("bad credentials")]
    BadCredentials,
    #[error("session replaced by a newer sign-in")]
    SessionReplaced,
    #[error("forbidden")]
    Forbidden,
    #[error("csrf token missing or wrong")]
    Csrf,
    #[error("not found")]
    NotFound,
    #[error("method not allowed")]
    MethodNotAllowed,
    #[error("payload too large")]
    PayloadTooLarge,
    #[error("rate limited for {retry_after}s")]
    RateLimited { retry_after: u64 },
    /// The waiting room is on and the student holds no admission pass yet.
    #[error("waiting room: position {position:?}")]
    QueueRequired {
        position: Option<u64>,
        retry_after: u64,
    },
    #[error("backing service unavailable: {0}")]
    Unavailable(String),
    /// The database lost the connection while committing: the change may or may not have been
    /// made. A retry with the same `Idempotency-Key` settles it.
    #[error("outcome unknown: {0}")]
    OutcomeUnknown(String),
    #[error("internal error: {0:#}")]
    Internal(anyhow::Error),
    /// A registration rule refused the attempt (409 with the rule's code).
    #[error("refused: {}", .0.code())]
    Refused(Arc<dyn Reason>),
    #[error("idempotency key reused with a different request")]
    IdempotencyMismatch,
    #[error("a request with this idempotency key is still running")]
    IdempotencyInProgress,
    /// An account request was refused (wrong current password, a weak new password, ...).
    #[error("account: {}", .0.code())]
    Account(Arc<dyn Reason>),
}

/// A capability's refusal as the HTTP edge tells it: a stable code, a message in the reader's
/// language, the status, and the field it belongs beside. Registration's rules and the account
/// errors implement it, so the edge names neither.
pub trait Reason: std::fmt::Debug + Send + Sync {
    fn code(&self) -> &'static str;
    fn message(&self, lang: Lang) -> String;
    fn status(&self) -> StatusCode;
    fn field(&self) -> Option<&'static str> {
        None
    }
    /// True when the refusal also ends the session (the answer removes its cookie).
    fn ends_session(&self) -> bool {
        false
    }
}

/// A validation failure: which field and what is wrong, as catalog keys with arguments.
#[derive(Debug, Clone)]
pub struct Invalid {
    pub field: &'static str,
    pub key: &'static str,
    pub args: Vec<(&'static str, String)>,
}

impl Invalid {
    pub fn new(field: &'static str, key: &'static str) -> Self {
        Invalid {
            field,
            key,
            args: Vec::new(),
        }
    }

    pub fn arg(mut self, name: &'static str, value: impl ToString) -> Self {
        self.args.push((name, value.to_string()));
        self
    }

    pub fn message(&self, lang: Lang) -> String {
        let field_label = lang.text(&format!("field.{}", self.field));
        let mut args: Vec<(&str, String)> = vec![("field", field_label.to_string())];
        args.extend(self.args.iter().map(|(k, v)| (*k, v.clone())));
        lang.format(self.key, &args)
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
}

impl AppError {
    /// A registration rule refused the attempt.
    pub fn refused(reason: impl Reason + 'static) -> AppError {
        AppError::Refused(Arc::new(reason))
    }

    /// An account request was refused.
    pub fn account(reason: impl Reason + 'static) -> AppError {
        AppError::Account(Arc::new(reason))
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::Validation(_) => "validation",
            AppError::BadRequest(_) => "bad_request",
            AppError::Unauthenticated => "unauthenticated",
            AppError::BadCredentials => "bad_credentials",
            AppError::SessionReplaced => "session_replaced",
            AppError::Forbidden => "forbidden",
            AppError::Csrf => "csrf",
            AppError::NotFound => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::RateLimited { .. } => "rate_limited",
            AppError::QueueRequired { .. } => "queue_required",
            AppError::Unavailable(_) => "unavailable",
            AppError::OutcomeUnknown(_) => "outcome_unknown",
            AppError::Internal(_) => "internal",
            AppError::Refused(r) => r.code(),
            AppError::IdempotencyMismatch => "idempotency_mismatch",
            AppError::IdempotencyInProgress => "idempotency_in_progress",
            AppError::Account(e) => e.code(),
        }
    }

    /// The client-facing message in `lang`. Internal details never reach the client.
    pub fn message(&self, lang: Lang, request_id: &str) -> String {
        match self {
            AppError::Validation(invalid) => {
                lang.format("error.validation", &[("detail", invalid.message(lang))])
            }
            AppError::BadRequest(detail) => {
                lang.format("error.bad_request", &[("detail", detail.clone())])
            }
            AppError::RateLimited { retry_after } => lang.format(
                "error.rate_limited",
                &[("seconds", retry_after.to_string())],
            ),
            AppError::Internal(_) => {
                lang.format("error.internal", &[("request_id", request_id.to_string())])
            }
            AppError::Refused(r) => r.message(lang),
            AppError::Account(e) => e.message(lang),
            AppError::QueueRequired { position, .. } => lang.format(
                "error.queue_required",
                &[(
                    "position",
                    position
                        .map(|p| p.to_string())
                        .unwrap_or_else(|| "-".into()),
                )],
            ),
            other => lang.text(&format!("error.{}", other.code())).to_string(),
        }
    }

    pub fn body(&self, lang: Lang, request_id: &str) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code(),
                message: self.message(lang, request_id),
                field: match self {
                    AppError::Validation(i) => Some(i.field),
                    AppError::Refused(r) | AppError::Account(r) => r.field(),
                    _ => None,
                },
                retry_after: match self {
                    AppError::RateLimited { retry_after }
                    | AppError::QueueRequired { retry_after, .. } => Some(*retry_after),
                    _ => None,
                },
            },
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated | AppError::BadCredentials | AppError::SessionReplaced => {
                StatusCode::UNAUTHORIZED
            }
            AppError::Forbidden | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::RateLimited { .. } | AppError::QueueRequired { .. } => {
                StatusCode::TOO_MANY_REQUESTS
            }
            AppError::Unavailable(_) | AppError::OutcomeUnknown(_) => {
                StatusCode::SERVICE_UNAVAILABLE
            }
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::IdempotencyInProgress => StatusCode::CONFLICT,
            AppError::IdempotencyMismatch => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Refused(r) | AppError::Account(r) => r.status(),
        }
    }

    /// The language-neutral fallback; `error_pages` replaces it with the localized form.
    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(e) => tracing::error!(error = %format!("{e:#}"), "internal error"),
            AppError::Unavailable(e) => tracing::warn!(error = %e, "backing service unavailable"),
            AppError::OutcomeUnknown(e) => tracing::warn!(error = %e, "commit outcome unknown"),
            _ => {}
        }
        let mut res = HttpResponse::build(self.status_code());
        match self {
            AppError::RateLimited { retry_after } | AppError::QueueRequired { retry_after, .. } => {
                res.insert_header((header::RETRY_AFTER, retry_after.to_string()));
            }
            AppError::Unavailable(_) | AppError::OutcomeUnknown(_) => {
                res.insert_header((header::RETRY_AFTER, "1"));
            }
            _ => {}
        }
        res.json(self.body(Lang::Ko, ""))
    }
}

impl From<DbError> for AppError {
    fn from(e: DbError) -> Self {
        match e {
            DbError::Unavailable(m) => AppError::Unavailable(m),
            DbError::Query(diesel::result::Error::NotFound) => AppError::NotFound,
            DbError::Query(q) if is_in_doubt(&q) => AppError::OutcomeUnknown(q.to_string()),
            DbError::Query(q) if is_connection_error(&q) => AppError::Unavailable(q.to_string()),
            DbError::Query(q) => AppError::Internal(q.into()),
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        DbError::Query(e).into()
    }
}

impl From<CacheError> for AppError {
    fn from(e: CacheError) -> Self {
        match e {
            CacheError::Unavailable(m) => AppError::Unavailable(m),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(e.into())
    }
}
