//! The auth extractor: a route that takes a [`Caller`] answers only requests with a valid
//! bearer token (exactly one `Authorization` header: 400 for two), and gets its verified
//! claims.

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
        let mut values = parts.headers.get_all(header::AUTHORIZATION).iter();
        let value = values.next().ok_or_else(|| unauthorized(AuthError::Missing))?;
        if values.next().is_some() {
            // Which one would count is a matter of who reads the request (a proxy, a cache,
            // this service): refuse instead of choosing.
            info!("request refused: more than one Authorization header");
            return Err(ApiError::bad_request("send exactly one Authorization header"));
        }
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
