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

/// The formats worth serving in place of the main one, by their words, best first: smaller
/// files for the same look. PNG and lossless WebP are served only under their own names.
const NEGOTIATED: [&str; 2] = ["avif", "webp"];

/// Whether the `Accept` header names `mime` with a quality above zero. Wildcards do not count:
/// browsers name the image formats they decode (`image/avif,image/webp,…`), while `*/*` from
/// any client says nothing about AVIF.
fn accepts(accept: &str, mime: &str) -> bool {
    accept.split(',').any(|range| {
        let mut parts = range.split(';');
        let media = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q=").or_else(|| p.trim().strip_prefix("Q=")))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        media.eq_ignore_ascii_case(mime) && q > 0.0
    })
}

/// The keys that may answer a request for `file` (a key under the avatar folder), best first:
/// for the main format's name (`<sub>.jpg`) with more formats written by the handler, the AVIF
/// and WebP files the `Accept` header allows, then the file itself. The flag says whether the
/// answer depends on `Accept` (then it carries `Vary: Accept`).
fn candidates(handler: &thumbing_lambda::handler::Config, file: &str, accept: &str) -> (Vec<String>, bool) {
    let prefix = &handler.output_prefix;
    let main_ext = format!(".{}", handler.format.extension());
    let Some(stem) = file.strip_suffix(&main_ext) else { return (vec![format!("{prefix}{file}")], false) };
    let alternatives: Vec<_> = NEGOTIATED
        .iter()
        .filter_map(|&name| handler.extra_formats.iter().find(|f| f.name() == name))
        .filter(|f| f.extension() != handler.format.extension())
        .collect();
    if alternatives.is_empty() {
        return (vec![format!("{prefix}{file}")], false);
    }
    let mut keys: Vec<String> = alternatives
        .into_iter()
        .filter(|f| accepts(accept, f.mime_type()))
        .map(|f| format!("{prefix}{stem}.{}", f.extension()))
        .collect();
    keys.push(format!("{prefix}{file}"));
    (keys, true)
}

/// The CDN stand-in: avatars from the assets bucket with ETag, Cache-Control and 304. When the
/// handler writes more formats than the main one (`OUTPUT_FORMAT=jpeg,webp,avif`), the main
/// avatar's URL is answered with the best of them that the browser's `Accept` header names
/// (AVIF, then WebP, then the main format), with `Vary: Accept`: what CloudFront does with a
/// cache policy on `Accept` (examples/aws-cdk).
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
        && [".jpg", ".png", ".webp", ".avif"].iter().any(|ext| file.ends_with(ext));
    if !valid {
        return Err(ApiError::not_found("no such avatar"));
    }
    let accept = headers.get(header::ACCEPT).and_then(|v| v.to_str().ok()).unwrap_or("");
    let (keys, negotiated) = candidates(&state.config.handler, &file, accept);
    let bucket = &state.config.assets_bucket;
    // The first that exists: avatars made before a format was added have only the others.
    let mut found = None;
    for key in keys {
        let meta = state.store.head(bucket, &key).await.map_err(|e| ApiError::internal("reading the avatar", e))?;
        if let Some(meta) = meta {
            found = Some((key, meta));
            break;
        }
    }
    let Some((key, meta)) = found else { return Err(ApiError::not_found("no such avatar")) };
    let etag = format!("\"{}\"", meta.etag.clone().unwrap_or_default());
    let cache_control = if versioned { "public, max-age=31536000, immutable" } else { "public, no-cache" };
    let mut out = HeaderMap::new();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    if negotiated {
        out.insert(header::VARY, HeaderValue::from_static("Accept"));
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    const CHROME: &str = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";

    #[test]
    fn accept_names_formats_explicitly() {
        assert!(accepts(CHROME, "image/avif"));
        assert!(accepts("image/webp;q=0.5, image/png", "image/webp"));
        assert!(accepts(" IMAGE/AVIF ", "image/avif"));
        assert!(!accepts("image/avif;q=0, image/webp", "image/avif"));
        assert!(!accepts("*/*", "image/avif"), "a wildcard says nothing about AVIF");
        assert!(!accepts("image/*", "image/webp"));
        assert!(!accepts("", "image/jpeg"));
    }

    #[test]
    fn the_main_avatar_url_is_negotiated_when_more_formats_are_written() {
        let mut handler = thumbing_lambda::handler::Config::new("assets");
        // One format: nothing to choose from, no Vary.
        assert_eq!(candidates(&handler, "me.jpg", CHROME), (vec!["avatars/me.jpg".to_owned()], false));

        handler.extra_formats = ["webp", "avif", "png"].map(|w| w.parse().unwrap()).to_vec();
        let keys = |file: &str, accept: &str| candidates(&handler, file, accept);
        assert_eq!(
            keys("me.jpg", CHROME),
            (vec!["avatars/me.avif".into(), "avatars/me.webp".into(), "avatars/me.jpg".into()], true)
        );
        assert_eq!(keys("me.jpg", "image/webp,*/*"), (vec!["avatars/me.webp".into(), "avatars/me.jpg".into()], true));
        assert_eq!(keys("me.jpg", "*/*"), (vec!["avatars/me.jpg".into()], true), "varies even when the JPEG is chosen");
        assert_eq!(keys("me-128.jpg", CHROME).0[0], "avatars/me-128.avif");
        // Other names are files of their own.
        assert_eq!(keys("me.webp", CHROME), (vec!["avatars/me.webp".into()], false));
        assert_eq!(keys("me.png", CHROME), (vec!["avatars/me.png".into()], false));
    }
}
