//! The routes: which module answers which path, with CORS, the upload size limit and the
//! headers every response carries:
//!
//! - `Cache-Control: no-store` on every answer that does not set its own (tokens, profiles,
//!   upload forms and errors are never cached); avatars and static files set theirs;
//! - `X-Content-Type-Options: nosniff` and `Referrer-Policy: no-referrer` everywhere;
//! - on HTML pages a Content-Security-Policy: scripts, styles, images and connections from
//!   this origin only (plus the uploads bucket in S3 mode), WebAssembly compilation for the
//!   preview (`'wasm-unsafe-eval'`), no plugins, and `frame-ancestors 'none'` (with
//!   `X-Frame-Options: DENY` for older browsers): the page cannot be framed.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Request, State};
use axum::http::Method;
use axum::http::header::{self, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
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
        .route("/avatars/{file}", get(avatar_file))
        .route("/healthz", get(health));
    if matches!(state.config.storage, StorageConfig::Local) {
        app = app
            .route("/uploads", post(local_upload).layer(DefaultBodyLimit::max(upload_limit)))
            .route("/avatars/uploaded", post(uploaded_in_local_mode));
    } else {
        app = app.route("/avatars/uploaded", post(uploaded));
    }
    if state.dev.is_some() {
        app = app
            .route("/dev/users", get(dev_users))
            .route("/dev/sign-in", post(dev_sign_in))
            .route("/dev/.well-known/jwks.json", get(dev_jwks));
    }
    let page_policy = HeaderValue::from_str(&page_csp(&state)).unwrap_or(HeaderValue::from_static(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; frame-ancestors 'none'",
    ));
    app.fallback(|| async { ApiError::not_found("no such route") })
        .layer(cors)
        .layer(middleware::from_fn(move |request: Request, next: Next| {
            let page_policy = page_policy.clone();
            async move { response_headers(next.run(request).await, page_policy) }
        }))
        .with_state(state)
}

/// The Content-Security-Policy of the page: everything from this origin, WebAssembly for the
/// preview, the uploads bucket as a place to POST the form to in S3 mode, no framing.
fn page_csp(state: &AppState) -> String {
    let upload_origin = match &state.config.storage {
        StorageConfig::Local => String::new(),
        StorageConfig::S3 { endpoint: Some(endpoint), .. } => format!(" {}", origin_of(endpoint)),
        StorageConfig::S3 { endpoint: None, region, .. } => {
            format!(" https://{}.s3.{region}.amazonaws.com", state.config.uploads_bucket)
        }
    };
    format!(
        "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; img-src 'self' data: blob:; \
         connect-src 'self'{upload_origin}; worker-src 'self'; object-src 'none'; base-uri 'none'; \
         form-action 'self'{upload_origin}; frame-ancestors 'none'"
    )
}

/// `scheme://host[:port]` of a URL.
fn origin_of(url: &str) -> &str {
    let after_scheme = url.find("://").map_or(0, |i| i + 3);
    url[after_scheme..].find('/').map_or(url, |i| &url[..after_scheme + i])
}

/// The headers every response carries (see the module docs).
fn response_headers(mut response: Response, page_policy: HeaderValue) -> Response {
    let headers = response.headers_mut();
    if !headers.contains_key(header::CACHE_CONTROL) {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    let html =
        headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.starts_with("text/html"));
    if html {
        headers.insert(header::CONTENT_SECURITY_POLICY, page_policy);
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    }
    response
}

/// `POST /avatars/uploaded` in local mode: the upload endpoint queued the job already.
async fn uploaded_in_local_mode() -> ApiError {
    ApiError::not_found(
        "/avatars/uploaded is for S3 mode only: in local mode an upload to /uploads is processed without a notice",
    )
}

/// `GET /healthz`: whether the database answers, and the processing queue's numbers. 503
/// when the database does not answer.
async fn health(State(state): State<Arc<AppState>>) -> Result<Json<serde_json::Value>, ApiError> {
    state.db.ping().await?;
    Ok(Json(json!({"status": "ok", "queue": state.queue.stats()})))
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

#[cfg(test)]
mod tests {
    use super::origin_of;

    #[test]
    fn origins_of_endpoints() {
        assert_eq!(origin_of("http://127.0.0.1:5000"), "http://127.0.0.1:5000");
        assert_eq!(origin_of("http://127.0.0.1:5000/uploads"), "http://127.0.0.1:5000");
        assert_eq!(origin_of("https://s3.example.com/a/b"), "https://s3.example.com");
    }
}
