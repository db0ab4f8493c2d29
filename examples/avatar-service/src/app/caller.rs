//! The auth extractor: a route that takes a [`Caller`] answers only requests with a valid
//! bearer token, and gets its verified claims.

use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header;
use axum::http::request::Parts;
use tracing::info;

use super::{ApiError, AppState};
use crate::auth::{AuthError, Claims};

/// The verified claims of the caller.
pub(super) struct Caller(pub(super) Claims);

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let unauthorized = |e: AuthError| {
            info!(reason = %e, "request refused: bad token");
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string())
        };
        let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| unauthorized(AuthError::Missing))?;
        let value = value.to_str().map_err(|_| unauthorized(AuthError::Missing))?;
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => token.trim(),
            _ => return Err(unauthorized(AuthError::Missing)),
        };
        let claims = state.verifier.verify(token).await.map_err(unauthorized)?;
        if !claims.sub.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            || claims.sub.is_empty()
            || claims.sub.len() > 64
        {
            return Err(unauthorized(AuthError::Malformed("sub must be a UUID-like identifier".into())));
        }
        Ok(Caller(claims))
    }
}
