//! Uploads: the presigned form a signed-in user uploads with, and the notice that an
//! upload to S3 is complete.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::json;

use super::api_error::json_body;
use super::caller::Caller;
use super::{ApiError, AppState};
use crate::config::StorageConfig;
use crate::presign::{self, PostPolicy};

#[derive(Deserialize)]
struct KeyUploadRequest {
    extension: String,
}

/// `POST /avatars/key_upload`: a presigned POST form for the caller's upload key
/// (`<sub>.<ext>`), to the local stand-in or to S3.
pub(super) async fn key_upload(
    State(state): State<Arc<AppState>>,
    Caller(claims): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let request: KeyUploadRequest = json_body(&headers, &body)?;
    let c = &state.config;
    let (extension, content_type) =
        presign::validate_extension(&request.extension, &c.allowed_extensions).ok_or_else(|| {
            ApiError::unprocessable(
                "unsupported_extension",
                format!("the extension must be one of {}", c.allowed_extensions.join(", ")),
            )
        })?;
    let key = format!("{}.{extension}", claims.sub);
    let url = match &c.storage {
        StorageConfig::Local => format!("{}/uploads", state.public_url),
        StorageConfig::S3 { endpoint: Some(endpoint), .. } => format!("{endpoint}/{}", c.uploads_bucket),
        StorageConfig::S3 { endpoint: None, region, .. } => {
            format!("https://{}.s3.{region}.amazonaws.com/", c.uploads_bucket)
        }
    };
    let policy = PostPolicy {
        url,
        bucket: c.uploads_bucket.clone(),
        key: key.clone(),
        content_type: content_type.to_owned(),
        max_bytes: c.max_upload_bytes,
        region: state.upload_region.clone(),
        expires_in: c.upload_url_ttl,
    };
    let post = presign::presign_post(&state.upload_credentials, &policy, SystemTime::now());
    let notify_url =
        (!matches!(c.storage, StorageConfig::Local)).then(|| format!("{}/avatars/uploaded", state.public_url));
    Ok(Json(json!({
        "url": post.url,
        "fields": post.fields,
        "key": post.key,
        "content_type": content_type,
        "max_bytes": post.max_bytes,
        "expires_at": post.expires_at,
        "notify_url": notify_url,
    })))
}

#[derive(Deserialize)]
struct Uploaded {
    key: String,
}

/// `POST /avatars/uploaded`: the stand-in for the S3 event notification when uploads go to
/// S3. Routed only in S3 mode (in local mode `POST /uploads` queues the job itself), and
/// limited per user (`NOTIFY_RATE_PER_MINUTE`): each call costs a `HEAD` and may queue a job.
pub(super) async fn uploaded(
    State(state): State<Arc<AppState>>,
    Caller(claims): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    if let Err(wait) = state.notify_limiter.check(&claims.sub) {
        return Err(ApiError::rate_limited("too many upload notices; try again shortly", wait));
    }
    let request: Uploaded = json_body(&headers, &body)?;
    let owned = request
        .key
        .split_once('.')
        .is_some_and(|(stem, ext)| stem == claims.sub && state.config.allowed_extensions.contains(&ext));
    if !owned {
        return Err(ApiError::forbidden("the key is not one of your upload keys"));
    }
    let exists = state.store.head(&state.config.uploads_bucket, &request.key).await.map_err(|e| {
        if e.is_transient() {
            ApiError::unavailable("the storage is unavailable; try again shortly", std::time::Duration::from_secs(2))
        } else {
            ApiError::internal("reading the upload", e)
        }
    })?;
    if exists.is_none() {
        return Err(ApiError::not_found("nothing was uploaded under that key"));
    }
    let reservation = state.reserve_job(&claims.sub)?;
    state.enqueue(reservation, &claims.sub, &request.key).await?;
    Ok((StatusCode::ACCEPTED, Json(json!({"state": "processing"}))))
}
