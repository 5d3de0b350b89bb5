//! One error policy: a 4xx says what to do next; a 5xx says sorry, and the cause chain goes
//! to the log once, here at the boundary.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// Every error code the API can answer, so that a test can check each is documented and used.
pub const ERROR_CODES: &[&str] = &[
    // Per request.
    "invalid_body",
    "invalid_query",
    "invalid_field",
    "batch_too_large",
    "unauthorized",
    "forbidden",
    "not_found",
    "unknown_site",
    "unknown_type",
    "invalid_code",
    "future_time",
    "conflict",
    "wrong_site_kind",
    "internal_error",
    "service_unavailable",
    "invalid_row",
    "too_many_attempts",
    "nothing_recorded",
    "request_timeout",
    // Per scan, in a rejected result.
    "unknown_code",
    "invalid_id",
    "id_reused",
    "invalid_action",
    "invalid_reason",
    "invalid_time",
    "forbidden_site",
    "forbidden_container",
    "wrong_site",
    "invalid_transition",
    "container_retired",
    "before_commissioning",
    "conflicts_with_later_event",
    "not_on_shipment",
    "not_in_batch",
    "not_undoable",
    // Per captured EPCIS event.
    "invalid_event",
    "unsupported_event",
    "unknown_step",
];

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A request a person can correct: status, stable code, message.
    #[error("{message}")]
    Client {
        status: StatusCode,
        code: &'static str,
        message: String,
    },
    /// Anything else: the caller learns nothing of it.
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
    #[error("the database is unavailable: {0}")]
    Unavailable(String),
}

#[derive(Serialize)]
pub struct ErrorBody<'a> {
    pub error: &'a str,
    pub message: &'a str,
}

impl AppError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> AppError {
        AppError::Client {
            status,
            code,
            message: message.into(),
        }
    }
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::BAD_REQUEST, code, message)
    }
    pub fn unprocessable(code: &'static str, message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }
    pub fn not_found(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::NOT_FOUND, "not_found", message)
    }
    pub fn forbidden(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }
    pub fn conflict(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::CONFLICT, "conflict", message)
    }
    pub fn unauthorized(message: impl Into<String>) -> AppError {
        AppError::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> AppError {
        AppError::Internal(anyhow::Error::new(e).context("database query failed"))
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> AppError {
        AppError::Unavailable(e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> AppError {
        AppError::Internal(anyhow::anyhow!("blocking task failed: {e}"))
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::Client { status, .. } => *status,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let (code, message) = match self {
            AppError::Client { code, message, .. } => (*code, message.as_str()),
            AppError::Internal(cause) => {
                tracing::error!(error.cause_chain = ?cause, "request failed");
                ("internal_error", "Sorry, something went wrong on our side. Please try again; if it persists, tell your coordinator.")
            }
            AppError::Unavailable(cause) => {
                tracing::error!(error.cause = %cause, "database unavailable");
                ("service_unavailable", "The service cannot reach its database right now. Please try again in a moment.")
            }
        };
        HttpResponse::build(self.status_code()).json(ErrorBody {
            error: code,
            message,
        })
    }
}
