//! The development issuer's routes: its demo users, sign-in, and the JWKS its tokens are
//! verified with. Routed only when no real issuer is configured.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::api_error::json_body;
use super::{ApiError, AppState};

/// `GET /dev/users`: the demo users one can sign in as.
pub(super) async fn dev_users(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(json!(state.dev.as_ref().map(|d| d.users()).unwrap_or_default()))
}

/// `GET /dev/.well-known/jwks.json`: the public key the development tokens are signed with.
pub(super) async fn dev_jwks(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(json!(state.dev.as_ref().map(|d| d.jwks())))
}

#[derive(Deserialize)]
struct SignIn {
    username: String,
}

/// `POST /dev/sign-in`: an access token for a demo user, as a real issuer would hand out.
pub(super) async fn dev_sign_in(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let request: SignIn = json_body(&headers, &body)?;
    let dev = state.dev.as_ref().ok_or_else(|| ApiError::not_found("no development issuer"))?;
    let (token, user) = dev.sign_in(&request.username, SystemTime::now()).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "unknown_user", format!("no demo user {:?}", request.username))
    })?;
    Ok(Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": crate::auth::DEV_TOKEN_SECONDS,
        "sub": user.sub,
        "handle": user.username,
    })))
}
