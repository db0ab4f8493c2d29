//! The routes: which module answers which path, with CORS and the upload size limit.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::Method;
use axum::http::header::{self, HeaderValue};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::json;
use tower_http::cors::{AllowOrigin, CorsLayer};

use super::avatars::avatar_file;
use super::dev_sign_in::{dev_jwks, dev_sign_in, dev_users};
use super::local_s3::local_upload;
use super::processing::avatar_status;
use super::profiles::{me, profile_by_handle, update_profile};
use super::static_files::{index, static_file, wasm_file};
use super::uploads::{key_upload, uploaded};
use super::{ApiError, AppState};
use crate::config::StorageConfig;

/// The service's routes on `state`.
pub(super) fn router(state: Arc<AppState>) -> Router {
    let origins: Vec<HeaderValue> =
        state.config.allowed_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::ETAG])
        .max_age(std::time::Duration::from_secs(600));
    // A multipart form is the fields (a few KiB) plus the file.
    let upload_limit = usize::try_from(state.config.max_upload_bytes).unwrap_or(usize::MAX).saturating_add(64 * 1024);

    let mut app = Router::new()
        .route("/", get(index))
        .route("/static/{*path}", get(static_file))
        .route("/pkg/{*path}", get(wasm_file))
        .route("/api/config", get(api_config))
        .route("/api/me", get(me))
        .route("/api/profile/update", post(update_profile))
        .route("/api/profile/{handle}", get(profile_by_handle))
        .route("/api/avatar/status", get(avatar_status))
        .route("/avatars/key_upload", post(key_upload))
        .route("/avatars/uploaded", post(uploaded))
        .route("/avatars/{file}", get(avatar_file));
    if matches!(state.config.storage, StorageConfig::Local) {
        app = app.route("/uploads", post(local_upload).layer(DefaultBodyLimit::max(upload_limit)));
    }
    if state.dev.is_some() {
        app = app
            .route("/dev/users", get(dev_users))
            .route("/dev/sign-in", post(dev_sign_in))
            .route("/dev/.well-known/jwks.json", get(dev_jwks));
    }
    app.fallback(|| async { ApiError::not_found("no such route") }).layer(cors).with_state(state)
}

/// What the page needs to know: how users sign in, where uploads go, their limits.
async fn api_config(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let c = &state.config;
    Json(json!({
        "issuer_kind": c.issuer.kind(),
        "issuer": state.verifier.issuer(),
        "dev": state.dev.is_some(),
        "storage": if matches!(c.storage, StorageConfig::Local) { "local" } else { "s3" },
        "max_upload_bytes": c.max_upload_bytes,
        "allowed_extensions": c.allowed_extensions,
        "avatar_size": c.handler.width,
    }))
}
