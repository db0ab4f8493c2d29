//! The JSON error body every route answers with, and JSON request bodies.

use std::time::Duration;

use axum::Json;
use axum::body::Bytes;
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use serde::de::DeserializeOwned;
use serde_json::json;
use tracing::{error, warn};

use crate::db::DbError;

/// An error answered as `{"error": code, "message": …}` with a status code; a validation
/// error lists every problem in `errors` (`[{"error": code, "message": …}, …]`), the first of
/// them also being `error` and `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    errors: Vec<(&'static str, String)>,
    retry_after: Option<Duration>,
    close: bool,
}

impl ApiError {
    pub(super) fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), errors: Vec::new(), retry_after: None, close: false }
    }

    /// A 422 naming every problem; `None` when there is none.
    pub(super) fn unprocessable_all(mut problems: Vec<(&'static str, String)>) -> Option<Self> {
        if problems.is_empty() {
            return None;
        }
        let (code, message) = problems[0].clone();
        let mut error = Self::unprocessable(code, message);
        error.errors = std::mem::take(&mut problems);
        Some(error)
    }

    pub(super) fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub(super) fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub(super) fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub(super) fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    /// 503 `unavailable` with `Retry-After`: a full queue, a locked or unreachable database.
    pub(super) fn unavailable(message: impl Into<String>, retry_after: Duration) -> Self {
        let mut error = Self::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message);
        error.retry_after = Some(retry_after);
        error
    }

    /// 429 `rate_limited` with `Retry-After`.
    pub(super) fn rate_limited(message: impl Into<String>, retry_after: Duration) -> Self {
        let mut error = Self::new(StatusCode::TOO_MANY_REQUESTS, "rate_limited", message);
        error.retry_after = Some(retry_after);
        error
    }

    /// 408 `request_timeout`; the connection is closed after the answer.
    pub(super) fn request_timeout(message: impl Into<String>) -> Self {
        let mut error = Self::new(StatusCode::REQUEST_TIMEOUT, "request_timeout", message);
        error.close = true;
        error
    }

    /// The status code.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The error code of the body (`"not_found"`, `"unavailable"`, …).
    pub fn code(&self) -> &'static str {
        self.code
    }

    pub(super) fn internal(what: &str, e: impl std::fmt::Display) -> Self {
        error!(error = %e, "{what}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("{what} failed"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": self.code, "message": self.message});
        if !self.errors.is_empty() {
            body["errors"] =
                self.errors.iter().map(|(code, message)| json!({"error": code, "message": message})).collect();
        }
        let mut response = (self.status, Json(body)).into_response();
        let headers = response.headers_mut();
        if self.status == StatusCode::UNAUTHORIZED {
            headers.insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        if let Some(after) = self.retry_after {
            headers.insert(header::RETRY_AFTER, HeaderValue::from(after.as_secs().max(1)));
        }
        if self.close {
            headers.insert(header::CONNECTION, HeaderValue::from_static("close"));
        }
        response
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        if e.is_unavailable() {
            warn!(error = %e, "database unavailable");
            return ApiError::unavailable("the database is unavailable; try again shortly", Duration::from_secs(2));
        }
        ApiError::internal("database", e)
    }
}

/// Parses a JSON body: 415 without a JSON content type, 400 when it does not parse.
pub(super) fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}
