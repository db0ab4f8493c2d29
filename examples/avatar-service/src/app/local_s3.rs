//! The local stand-in for S3 when uploads go to a folder: `POST /uploads` takes the same
//! presigned form as S3, applies the same checks, stores the file and queues its processing
//! (where S3 would send an event notification). The answer (204) comes only once the job is
//! recorded, so an acknowledged upload is processed even if the service crashes.

use std::sync::Arc;
use std::time::SystemTime;

use axum::extract::multipart::{MultipartError, MultipartRejection};
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use thumbing_storage::PutOptions;
use tracing::info;

use super::{ApiError, AppState};
use crate::presign;

/// The local stand-in for an S3 presigned POST: the same form, the same checks.
pub(super) async fn local_upload(
    State(state): State<Arc<AppState>>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<StatusCode, ApiError> {
    let mut form =
        form.map_err(|e| ApiError::bad_request(format!("expected a multipart/form-data body: {}", e.body_text())))?;
    let result = receive(&state, &mut form).await;
    if result.is_err() {
        // Read the rest of what the client sends (at most the route's body limit) before
        // refusing: a client cut off in the middle of its upload sees a broken connection
        // instead of the refusal.
        while let Ok(Some(mut field)) = form.next_field().await {
            while let Ok(Some(_)) = field.chunk().await {}
        }
    }
    result
}

/// Reads and checks the form, stores the file and starts processing.
async fn receive(state: &Arc<AppState>, form: &mut Multipart) -> Result<StatusCode, ApiError> {
    let multipart_error = |e: MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the upload is larger than allowed")
        } else {
            ApiError::bad_request(format!("invalid multipart form: {}", e.body_text()))
        }
    };
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut file = loop {
        let Some(field) = form.next_field().await.map_err(multipart_error)? else {
            return Err(ApiError::bad_request("the form has no file field"));
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            break field;
        }
        if fields.len() >= 32 {
            return Err(ApiError::bad_request("too many form fields"));
        }
        let value = field.text().await.map_err(multipart_error)?;
        if value.len() > 16 * 1024 {
            return Err(ApiError::bad_request(format!("the form field {name} is too long")));
        }
        fields.push((name, value));
    };
    let verified =
        presign::verify_post(&state.upload_credentials, &state.config.uploads_bucket, &fields, SystemTime::now())
            .map_err(|e| ApiError::forbidden(e.to_string()))?;
    // Defence in depth: the policy was signed by this service for `<sub>.<ext>`.
    let Some((sub, _)) = verified.key.split_once('.') else {
        return Err(ApiError::forbidden("the key is not an avatar upload key"));
    };
    if verified.key.contains('/') || !sub.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(ApiError::forbidden("the key is not an avatar upload key"));
    }
    if !verified.content_type.starts_with("image/") {
        return Err(ApiError::forbidden("only images may be uploaded"));
    }
    // A place in the processing queue before anything is stored: a refused upload (503)
    // changes nothing.
    let reservation = state.reserve_job(sub)?;

    let mut data = Vec::new();
    while let Some(chunk) = file.chunk().await.map_err(multipart_error)? {
        if (data.len() + chunk.len()) as u64 > verified.max_bytes {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the upload is larger than {} bytes", verified.max_bytes),
            ));
        }
        data.extend_from_slice(&chunk);
    }
    if (data.len() as u64) < verified.min_bytes {
        return Err(ApiError::bad_request(format!("the upload is smaller than {} bytes", verified.min_bytes)));
    }
    drop(file);
    state
        .store
        .put(
            &state.config.uploads_bucket,
            &verified.key,
            data,
            PutOptions::default().content_type(verified.content_type.clone()),
        )
        .await
        .map_err(|e| {
            if e.is_transient() {
                ApiError::unavailable(
                    "the storage is unavailable; try again shortly",
                    std::time::Duration::from_secs(2),
                )
            } else {
                ApiError::internal("storing the upload", e)
            }
        })?;
    info!(key = verified.key, "upload stored");
    state.enqueue(reservation, sub, &verified.key).await?;
    Ok(StatusCode::NO_CONTENT)
}
