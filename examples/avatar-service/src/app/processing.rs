//! Processing: the workers that take jobs from the [queue](super::queue) and run each upload
//! through the AWS Lambda handler ([`thumbing_lambda::handler::handle_event`]) with the S3
//! event S3 would send, and the outcome recorded per user in `avatar_jobs` for
//! `/api/avatar/status`.
//!
//! A job is recorded before its upload is acknowledged and marked done only after the
//! avatar is written, so a crash loses nothing: the jobs still pending are resumed at
//! start-up. Storage failures are retried with a growing pause (1 s doubling to 60 s, at
//! most `PROCESSING_MAX_ATTEMPTS` tries); a file that is not a usable image is rejected
//! once and never retried.

use std::sync::Arc;
use std::time::SystemTime;

use axum::Json;
use axum::extract::State;
use serde_json::json;
use thumbing_lambda::handler::{HandlerError, Outcome, handle_event};

use tracing::{error, info, warn};

use super::caller::Caller;
use super::queue::{Job, Reservation, backoff};
use super::{ApiError, AppState};
use crate::db::JobState;
use crate::presign::{iso8601, unix_seconds};

/// How one try of processing an upload ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Processing {
    /// The avatar of this upload is written (now, or already by an earlier try).
    Done,
    /// Not a usable image: permanent, recorded once, not retried.
    Rejected { error: String, message: String },
    /// Not processed for a reason no retry can fix (the upload is gone).
    Failed { message: String },
    /// Storage failed: worth another try after a pause.
    Retry { message: String },
}

impl AppState {
    /// A place in the processing queue for `sub`'s upload: 503 with `Retry-After` when the
    /// queue is full. Taken before the upload is stored, so a refused upload changes nothing.
    pub(super) fn reserve_job(&self, sub: &str) -> Result<Reservation, ApiError> {
        self.queue.reserve(sub).map_err(|full| {
            warn!(sub, queued = self.queue.stats().queued, "upload refused: the processing queue is full");
            ApiError::unavailable("the service is busy processing other uploads; try again shortly", full.retry_after)
        })
    }

    /// Records the job of `sub`'s upload `key` in the database and queues it. The upload may
    /// be acknowledged once this returns: from then on it survives a crash (the job is
    /// resumed at start-up) until its avatar is written.
    pub(super) async fn enqueue(&self, reservation: Reservation, sub: &str, key: &str) -> Result<(), ApiError> {
        let job_id = uuid::Uuid::new_v4().to_string();
        self.db.record_job(sub, &job_id, key).await?;
        reservation.commit(Job::new(sub, key, job_id));
        Ok(())
    }
}

/// Queues every job recorded but not finished before the service stopped (or crashed).
pub(super) async fn resume_unfinished(state: &AppState) -> Result<usize, crate::db::DbError> {
    let pending = state.db.pending_jobs().await?;
    let count = pending.len();
    for row in pending {
        state.queue.resume(Job::new(row.sub, row.upload_key, row.job_id));
    }
    if count > 0 {
        info!(count, "resuming unfinished processing jobs");
    }
    Ok(count)
}

/// Starts the workers: each takes the next job from the queue until the queue is closed.
pub(super) fn spawn_workers(state: &Arc<AppState>) -> Vec<tokio::task::JoinHandle<()>> {
    (0..state.queue.workers())
        .map(|_| {
            let state = state.clone();
            tokio::spawn(async move {
                while let Some(job) = state.queue.next().await {
                    let sub = job.sub.clone();
                    run_job(&state, job).await;
                    state.queue.finished(&sub);
                }
            })
        })
        .collect()
}

/// Processes one job and records its outcome; puts it back with a backoff when storage or
/// the database failed.
async fn run_job(state: &AppState, mut job: Job) {
    let p = &state.config.processing;
    let retry = |state: &AppState, mut job: Job, message: String| {
        job.attempts += 1;
        let delay = backoff(job.attempts - 1, p.retry_base, p.retry_max);
        warn!(
            sub = job.sub,
            key = job.key,
            attempts = job.attempts,
            retry_in_ms = delay.as_millis() as u64,
            error = message,
            "processing will be retried"
        );
        state.queue.retry_later(job, delay);
    };
    // A job superseded while it waited for its retry is dropped.
    match state.db.job(&job.sub).await {
        Ok(Some(row)) if row.job_id == job.job_id && row.state == JobState::Pending => {}
        Ok(_) => {
            info!(sub = job.sub, job_id = job.job_id, "job superseded or finished elsewhere: skipped");
            return;
        }
        Err(e) => return retry(state, job, e.to_string()),
    }
    let outcome = process(state, &job.key).await;
    let (job_state, error, message) = match &outcome {
        Processing::Done => (JobState::Done, None, None),
        Processing::Rejected { error, message } => (JobState::Rejected, Some(error.as_str()), Some(message.as_str())),
        Processing::Failed { message } => (JobState::Failed, Some("processing_failed"), Some(message.as_str())),
        Processing::Retry { message } if job.attempts + 1 >= p.max_attempts => {
            error!(
                sub = job.sub,
                key = job.key,
                attempts = job.attempts + 1,
                error = message,
                "processing given up: storage kept failing"
            );
            (JobState::Failed, Some("processing_failed"), Some(message.as_str()))
        }
        Processing::Retry { message } => {
            if let Err(e) = state.db.note_attempt(&job.sub, &job.job_id, message).await {
                warn!(error = %e, "could not record a failed try");
            }
            return retry(state, job, message.clone());
        }
    };
    match state.db.finish_job(&job.sub, &job.job_id, job_state, error, message).await {
        Ok(true) => {}
        Ok(false) => info!(sub = job.sub, job_id = job.job_id, "outcome not recorded: a newer upload superseded it"),
        // The avatar is written but the database did not take the outcome: try again later;
        // the handler then finds the avatar up to date with one HEAD.
        Err(e) => {
            job.attempts = job.attempts.min(p.max_attempts.saturating_sub(2));
            retry(state, job, e.to_string());
        }
    }
}

/// Runs the Lambda handler on one upload, with the event S3 would send for it.
async fn process(state: &AppState, key: &str) -> Processing {
    let bucket = &state.config.uploads_bucket;
    let meta = match state.store.head(bucket, key).await {
        Ok(Some(meta)) => meta,
        Ok(None) => return Processing::Failed { message: "the upload disappeared".into() },
        Err(e) if e.is_transient() => return Processing::Retry { message: e.to_string() },
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
            Some(Outcome::Failed { message }) => Processing::Retry { message },
            Some(other) => Processing::Failed { message: format!("not processed: {other:?}") },
            None => Processing::Failed { message: "no record".into() },
        },
        Err(HandlerError::Transient { first, .. }) => Processing::Retry { message: first },
        Err(e) => Processing::Failed { message: e.to_string() },
    }
}

/// `GET /api/avatar/status`: the state of the caller's newest upload, and the avatar URL.
pub(super) async fn avatar_status(
    State(state): State<Arc<AppState>>,
    Caller(claims): Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let job = state.db.job(&claims.sub).await?;
    let avatar_url = state.avatar_url(&claims.sub).await?;
    let body = match job {
        Some(job) => match job.state {
            JobState::Pending => {
                json!({"state": "processing", "avatar_url": avatar_url, "attempts": job.attempts})
            }
            JobState::Rejected | JobState::Failed => json!({
                "state": "rejected",
                "avatar_url": avatar_url,
                "error": job.error.unwrap_or_else(|| "processing_failed".into()),
                "message": job.message.unwrap_or_default(),
            }),
            JobState::Done => ready(avatar_url),
        },
        None => ready(avatar_url),
    };
    Ok(Json(body))
}

fn ready(avatar_url: Option<String>) -> serde_json::Value {
    json!({"state": if avatar_url.is_some() { "ready" } else { "none" }, "avatar_url": avatar_url})
}
