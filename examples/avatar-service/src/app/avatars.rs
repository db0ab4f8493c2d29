//! Avatar URLs (`/avatars/<file>?v=<etag>`) and the CDN stand-in that serves them.

use std::sync::Arc;

use axum::extract::rejection::PathRejection;
use axum::extract::{Path as UrlPath, RawQuery, State};
use axum::http::StatusCode;
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use thumbing_storage::StoreErrorKind;

use super::{ApiError, AppState};

impl AppState {
    /// The key of a user's main avatar in the assets bucket.
    pub(super) fn avatar_key(&self, sub: &str) -> Option<String> {
        self.config.handler.outputs(&format!("{sub}.upload")).and_then(|o| o.into_iter().next()).map(|o| o.key)
    }

    /// `/avatars/<file>?v=<etag>` when the user's avatar exists.
    pub(super) async fn avatar_url(&self, sub: &str) -> Result<Option<String>, ApiError> {
        let Some(key) = self.avatar_key(sub) else { return Ok(None) };
        let meta = self
            .store
            .head(&self.config.assets_bucket, &key)
            .await
            .map_err(|e| ApiError::internal("reading the avatar", e))?;
        let Some(meta) = meta else { return Ok(None) };
        let file = key.strip_prefix(&self.config.handler.output_prefix).unwrap_or(&key);
        let version: String =
            meta.etag.unwrap_or_default().chars().filter(|c| c.is_ascii_alphanumeric()).take(32).collect();
        Ok(Some(format!("/avatars/{file}?v={version}")))
    }
}

/// The CDN stand-in: avatars from the assets bucket with ETag, Cache-Control and 304.
pub(super) async fn avatar_file(
    State(state): State<Arc<AppState>>,
    file: Result<UrlPath<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let UrlPath(file) = file.map_err(|_| ApiError::not_found("no such avatar"))?;
    let versioned = query.is_some_and(|q| q.split('&').any(|pair| pair.starts_with("v=") && pair.len() > 2));
    let valid = !file.starts_with('.')
        && file.len() <= 128
        && file.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && [".jpg", ".png", ".webp"].iter().any(|ext| file.ends_with(ext));
    if !valid {
        return Err(ApiError::not_found("no such avatar"));
    }
    let key = format!("{}{file}", state.config.handler.output_prefix);
    let bucket = &state.config.assets_bucket;
    let meta = state.store.head(bucket, &key).await.map_err(|e| ApiError::internal("reading the avatar", e))?;
    let Some(meta) = meta else { return Err(ApiError::not_found("no such avatar")) };
    let etag = format!("\"{}\"", meta.etag.clone().unwrap_or_default());
    let cache_control = if versioned { "public, max-age=31536000, immutable" } else { "public, no-cache" };
    let mut out = HeaderMap::new();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    let not_modified = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').any(|t| t.trim() == etag || t.trim() == "*" || t.trim().strip_prefix("W/") == Some(&etag))
    });
    if not_modified {
        return Ok((StatusCode::NOT_MODIFIED, out).into_response());
    }
    let object = match state.store.get(bucket, &key, 64 * 1024 * 1024).await {
        Ok(object) => object,
        Err(e) if e.kind() == StoreErrorKind::NotFound => return Err(ApiError::not_found("no such avatar")),
        Err(e) => return Err(ApiError::internal("reading the avatar", e)),
    };
    let content_type = object.meta.content_type.unwrap_or_else(|| "image/jpeg".into());
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        out.insert(header::CONTENT_TYPE, value);
    }
    out.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok((StatusCode::OK, out, object.data).into_response())
}
