//! The page (`web/`) and the WebAssembly package (`bindings-wasm/pkg/`), served from their
//! folders with no way out of them.

use std::path::Path;
use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path as UrlPath, State};
use axum::http::header::{self, HeaderValue};
use axum::response::{IntoResponse, Response};

use super::{ApiError, AppState};

/// `GET /`: the page.
pub(super) async fn index(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    serve_file(&state.config.web_dir, "index.html").await
}

/// `GET /static/<path>`: the page's scripts and styles.
pub(super) async fn static_file(
    State(state): State<Arc<AppState>>,
    path: Result<UrlPath<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let UrlPath(path) = path.map_err(|_| ApiError::not_found("no such file"))?;
    serve_file(&state.config.web_dir, &path).await
}

/// `GET /pkg/<path>`: the WebAssembly package the page previews avatars with.
pub(super) async fn wasm_file(
    State(state): State<Arc<AppState>>,
    path: Result<UrlPath<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let UrlPath(path) = path.map_err(|_| ApiError::not_found("no such file"))?;
    serve_file(&state.config.wasm_pkg_dir, &path).await
}

/// A file under `root`; paths with `..`, empty or hidden segments are refused.
async fn serve_file(root: &Path, path: &str) -> Result<Response, ApiError> {
    let safe = !path.is_empty()
        && path.split('/').all(|s| !s.is_empty() && !s.starts_with('.') && !s.contains('\\') && !s.contains(':'));
    if !safe {
        return Err(ApiError::not_found("no such file"));
    }
    let full = root.join(path);
    let data = tokio::fs::read(&full).await.map_err(|_| ApiError::not_found(format!("no such file: {path}")))?;
    let content_type = match full.extension().and_then(|e| e.to_str()).unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "txt" | "md" | "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        data,
    )
        .into_response())
}
