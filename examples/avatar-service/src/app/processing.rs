//! Background processing: an upload runs through the AWS Lambda handler
//! ([`thumbing_lambda::handler::handle_event`]) with the S3 event S3 would send, off the
//! request; the [`Tracker`] keeps each user's latest outcome for `/api/avatar/status`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::Json;
use axum::extract::State;
use serde_json::json;
use thumbing_lambda::handler::{Outcome, handle_event};

use super::caller::Caller;
use super::{ApiError, AppState};
use crate::presign::{iso8601, unix_seconds};

/// What the service knows about a user's latest upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Processing {
    Running,
    Done,
    Rejected { error: String, message: String },
    Failed { message: String },
}

/// The state of each user's newest upload. A generation counter per user makes sure a
/// slow, older job never overwrites the outcome of a newer upload.
#[derive(Default)]
pub(super) struct Tracker {
    by_user: Mutex<HashMap<String, (u64, Processing)>>,
}

impl Tracker {
    /// Marks `sub`'s newest upload as running; returns its generation.
    fn begin(&self, sub: &str) -> u64 {
        let mut map = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.entry(sub.to_owned()).or_insert((0, Processing::Done));
        entry.0 += 1;
        entry.1 = Processing::Running;
        entry.0
    }

    /// Records the outcome of generation `generation`, unless a newer upload started since.
    fn finish(&self, sub: &str, generation: u64, outcome: Processing) {
        let mut map = self.by_user.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = map.get_mut(sub)
            && entry.0 == generation
        {
            entry.1 = outcome;
        }
    }

    /// The state of `sub`'s newest upload, if any was made since start-up.
    fn current(&self, sub: &str) -> Option<Processing> {
        self.by_user.lock().unwrap_or_else(|e| e.into_inner()).get(sub).map(|e| e.1.clone())
    }
}

/// Marks the user's avatar as processing and runs the Lambda handler in the background.
pub(super) fn start_processing(state: Arc<AppState>, sub: String, key: String) {
    let generation = state.processing.begin(&sub);
    tokio::spawn(async move {
        let outcome = process(&state, &key).await;
        state.processing.finish(&sub, generation, outcome);
    });
}

/// Runs the Lambda handler on one upload, with the event S3 would send for it.
async fn process(state: &AppState, key: &str) -> Processing {
    let bucket = &state.config.uploads_bucket;
    let meta = match state.store.head(bucket, key).await {
        Ok(Some(meta)) => meta,
        Ok(None) => return Processing::Failed { message: "the upload disappeared".into() },
        Err(e) => return Processing::Failed { message: e.to_string() },
    };
    // The S3 event notification S3 would send; the key is URL-encoded as S3 does.
    let encoded: String = key
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    let event = json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Post",
        "eventTime": iso8601(unix_seconds(SystemTime::now())), "userIdentity": {}, "requestParameters": {},
        "responseElements": {},
        "s3": {"bucket": {"name": bucket}, "object": {"key": encoded, "size": meta.size, "eTag": meta.etag}},
    }]});
    let event = match serde_json::from_value(event) {
        Ok(event) => event,
        Err(e) => return Processing::Failed { message: format!("building the event: {e}") },
    };
    match handle_event(state.store.as_ref(), &state.config.handler, event).await {
        Ok(report) => match report.records.into_iter().next().map(|r| r.outcome) {
            Some(Outcome::Processed { .. } | Outcome::UpToDate { .. }) => Processing::Done,
            Some(Outcome::Rejected { error_kind, message, .. }) => Processing::Rejected { error: error_kind, message },
            Some(other) => Processing::Failed { message: format!("not processed: {other:?}") },
            None => Processing::Failed { message: "no record".into() },
        },
        Err(e) => Processing::Failed { message: e.to_string() },
    }
}

/// `GET /api/avatar/status`: the state of the caller's newest upload, and the avatar URL.
pub(super) async fn avatar_status(
    State(state): State<Arc<AppState>>,
    Caller(claims): Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let current = state.processing.current(&claims.sub);
    let avatar_url = state.avatar_url(&claims.sub).await?;
    let body = match current {
        Some(Processing::Running) => json!({"state": "processing", "avatar_url": avatar_url}),
        Some(Processing::Rejected { error, message }) => {
            json!({"state": "rejected", "avatar_url": avatar_url, "error": error, "message": message})
        }
        Some(Processing::Failed { message }) => {
            json!({"state": "rejected", "avatar_url": avatar_url, "error": "processing_failed", "message": message})
        }
        Some(Processing::Done) | None => {
            json!({"state": if avatar_url.is_some() { "ready" } else { "none" }, "avatar_url": avatar_url})
        }
    };
    Ok(Json(body))
}
