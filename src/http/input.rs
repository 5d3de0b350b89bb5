//! Checking what a request gives: times, client ids, listing limits, numbers, and the
//! refusals of the database layer as answers.

use crate::domain::bounds::Bound;
use chrono::{DateTime, NaiveDateTime};

use crate::domain::time::{too_far_ahead, truncate};
use crate::error::AppError;

/// Reads an optional RFC 3339 time named `field`; none means now. Refuses a time too far
/// ahead of the server's clock.
pub fn time_or_now(
    field: &str,
    value: Option<&str>,
    now: NaiveDateTime,
) -> Result<NaiveDateTime, AppError> {
    let Some(text) = value else { return Ok(now) };
    let at = parse_time(field, text)?;
    if too_far_ahead(at, now) {
        return Err(AppError::unprocessable(
            "future_time",
            format!("{field} {text} is more than 5 minutes ahead of the server's clock ({now} UTC); check the device's clock"),
        ));
    }
    Ok(at)
}

pub fn parse_time(field: &str, text: &str) -> Result<NaiveDateTime, AppError> {
    DateTime::parse_from_rfc3339(text)
        .map(|t| truncate(t.naive_utc()))
        .map_err(|_| AppError::bad_request("invalid_field", format!("{field} {text:?} is not a date and time; give RFC 3339, e.g. 2026-11-28T14:05:00Z")))
}

/// Checks an optional client id is a UUID, and gives it in canonical form.
pub fn client_id(field: &str, value: Option<&str>) -> Result<Option<String>, AppError> {
    value
        .map(|v| {
            uuid::Uuid::parse_str(v)
                .map(|u| u.to_string())
                .map_err(|_| AppError::bad_request("invalid_field", format!("{field} {v:?} is not a UUID; generate one per request, e.g. with crypto.randomUUID()")))
        })
        .transpose()
}

/// Maps a refusal of the database layer to the answer a person reads.
pub fn refused(r: crate::db::scans::Rejection) -> AppError {
    use actix_web::http::StatusCode;
    let status = match r.code {
        "not_found" => StatusCode::NOT_FOUND,
        "conflict" => StatusCode::CONFLICT,
        "forbidden" => StatusCode::FORBIDDEN,
        _ => StatusCode::UNPROCESSABLE_ENTITY,
    };
    AppError::new(status, r.code, r.message)
}

/// The `limit` of a listing: 1 to 1,000, 100 when absent.
pub fn page_limit(limit: Option<i64>) -> Result<i64, AppError> {
    let limit = limit.unwrap_or(100);
    if (1..=1000).contains(&limit) {
        Ok(limit)
    } else {
        Err(AppError::bad_request(
            "invalid_query",
            format!("limit={limit} is out of range; give 1 to 1000"),
        ))
    }
}

/// A number that must fall within its kind's bounds (`domain::bounds`).
pub fn check_number(field: &str, value: f64, bound: &Bound) -> Result<f64, AppError> {
    bound
        .check(field, value)
        .map_err(|message| AppError::unprocessable("invalid_field", message))
}
