//! The handler: an S3 event in, avatars out, a [`Report`] back.
//!
//! [`handle_event`] is a plain async function over a [`Store`], so it runs the same under
//! the Lambda runtime, in tests with a [`MemoryStore`](thumbing_storage::MemoryStore), and in
//! the examples with a [`LocalStore`](thumbing_storage::LocalStore).
//!
//! Every record of the event is handled, each on its own:
//!
//! 1. Records that are not `ObjectCreated:*`, folder markers, keys outside `FOLDER_INPUT`,
//!    keys under `FOLDER_FAILED`, and the function's own output (the destination bucket
//!    under `FOLDER_OUTPUT`) are skipped — the last is the loop guard.
//! 2. If the main avatar already exists and records the same source key, source ETag and
//!    settings, the record is already done (a retried event costs one `HEAD`).
//! 3. The upload is fetched (refused unread above `MAX_INPUT_BYTES`), processed once for
//!    every size, and written: extra sizes first, the main avatar last.
//!
//! Failures come in two kinds. An upload that is not a usable image (corrupt, unsupported,
//! too large) is **rejected**: logged as structured JSON with its key and error category,
//! tagged or moved as configured, and the event still succeeds — retrying cannot fix it. A
//! storage failure (network, throttling, permissions) is **transient**: the other records
//! are still handled, then [`handle_event`] returns an error so Lambda retries the event,
//! and step 2 makes the retry cheap for the records that had succeeded.

use std::time::Instant;

use aws_lambda_events::event::s3::{S3Event, S3EventRecord};
use serde::Serialize;
use tracing::{error, info, warn};

pub use crate::config::{Config, ConfigError, DEFAULT_CACHE_CONTROL, FailureAction, OutputSpec};
use thumbing_storage::{PutOptions, Store, StoreError, StoreErrorKind, normalize_etag};

/// User-metadata name of the source `bucket/key` stored with each avatar.
pub const META_SOURCE: &str = "thumbing-source";
/// User-metadata name of the source ETag stored with each avatar.
pub const META_SOURCE_ETAG: &str = "thumbing-source-etag";
/// User-metadata name of the [`Config::fingerprint`] stored with each avatar.
pub const META_SETTINGS: &str = "thumbing-settings";
/// The tag put on rejected uploads; its value is the error category.
pub const REJECTED_TAG: &str = "thumbing-rejected";

/// What happened to every record of an event, in order. Serialized, it is the function's
/// response.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// One entry per record.
    pub records: Vec<RecordReport>,
}

impl Report {
    /// How many records ended with an outcome matching `pred`.
    fn count(&self, pred: impl Fn(&Outcome) -> bool) -> usize {
        self.records.iter().filter(|r| pred(&r.outcome)).count()
    }

    /// Records whose avatars were written by this call.
    ///
    /// ```
    /// assert_eq!(thumbing_lambda::handler::Report::default().processed(), 0);
    /// ```
    pub fn processed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Processed { .. }))
    }

    /// Records rejected as unusable images.
    ///
    /// ```
    /// assert_eq!(thumbing_lambda::handler::Report::default().rejected(), 0);
    /// ```
    pub fn rejected(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Rejected { .. }))
    }

    /// Records that failed with a transient storage error.
    ///
    /// ```
    /// assert_eq!(thumbing_lambda::handler::Report::default().failed(), 0);
    /// ```
    pub fn failed(&self) -> usize {
        self.count(|o| matches!(o, Outcome::Failed { .. }))
    }
}

/// What happened to one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RecordReport {
    /// The source bucket.
    pub bucket: String,
    /// The source key, URL-decoded.
    pub key: String,
    /// The outcome.
    #[serde(flatten)]
    pub outcome: Outcome,
}

/// The outcome of one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum Outcome {
    /// Avatars written.
    Processed {
        /// The files written, main avatar first.
        outputs: Vec<WrittenAvatar>,
    },
    /// The avatars for this exact upload and settings already exist (a retried event).
    UpToDate {
        /// The main avatar's key.
        output: String,
    },
    /// Not for this function.
    Skipped {
        /// Why.
        reason: SkipReason,
    },
    /// Not a usable image: a permanent failure, not retried.
    Rejected {
        /// The error category: one of thumbing's [`ErrorKind`](thumbing::ErrorKind) codes
        /// (`corrupt`, `unsupported_format`, `too_large`, …), `invalid_key` for a key the
        /// store cannot hold, or `internal` if image processing stopped unexpectedly.
        error_kind: String,
        /// The error message.
        message: String,
        /// What was done with the upload.
        action: ActionTaken,
    },
    /// A storage failure: the event as a whole fails so that Lambda retries it.
    Failed {
        /// The error message.
        message: String,
    },
}

/// One avatar written by the handler.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WrittenAvatar {
    /// Its key in the destination bucket.
    pub key: String,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Size of the file.
    pub bytes: usize,
}

/// Why a record was skipped.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The event is not an `ObjectCreated:*` event.
    NotACreateEvent,
    /// The record has no bucket name or no key, or the key is not valid URL-encoded UTF-8.
    MalformedRecord,
    /// The key ends in `/`: a folder marker, not a file.
    FolderMarker,
    /// The key is outside `FOLDER_INPUT`.
    OutsideInputFolder,
    /// The key is under `FOLDER_FAILED`: an upload rejected earlier.
    RejectedFolder,
    /// The object is the function's own output: processing it would loop.
    OwnOutput,
    /// The object no longer exists.
    Missing,
}

/// What was done with a rejected upload.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionTaken {
    /// Tagged `thumbing-rejected=<error category>`.
    Tagged,
    /// Moved to this key.
    Moved(String),
    /// Left alone (`ON_FAILURE=none`, or the upload is already gone).
    None,
    /// The tag or move failed (logged); the rejection stands.
    ActionFailed(String),
}

/// Why the handler failed as a whole. Lambda retries the event.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HandlerError {
    /// The payload is not an S3 event notification.
    #[error("the payload is not an S3 event notification: {0}")]
    InvalidEvent(String),
    /// Some records hit storage errors; the others were handled.
    #[error("{failed} of {total} records hit storage errors and will be retried; first: {first}")]
    Transient {
        /// How many records failed.
        failed: usize,
        /// How many records the event had.
        total: usize,
        /// The first failure's message.
        first: String,
        /// The whole report.
        report: Report,
    },
}

impl From<HandlerError> for lambda_runtime::Diagnostic {
    fn from(e: HandlerError) -> Self {
        let error_type = match e {
            HandlerError::InvalidEvent(_) => "InvalidEvent",
            HandlerError::Transient { .. } => "TransientStorageError",
        };
        lambda_runtime::Diagnostic { error_type: error_type.into(), error_message: e.to_string() }
    }
}

/// Handles a raw Lambda payload: an S3 event notification, or the `s3:TestEvent` that S3
/// sends when notifications are first configured (answered with an empty report).
///
/// ```
/// use thumbing_lambda::handler::{handle_payload, Config};
/// use thumbing_storage::MemoryStore;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let test_event = serde_json::json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Bucket": "uploads"});
/// let report = handle_payload(&MemoryStore::new(), &Config::new("assets"), test_event).await?;
/// assert!(report.records.is_empty());
/// # Ok::<(), thumbing_lambda::handler::HandlerError>(())
/// # }).unwrap();
/// ```
pub async fn handle_payload(
    store: &dyn Store,
    config: &Config,
    payload: serde_json::Value,
) -> Result<Report, HandlerError> {
    if payload.get("Event").and_then(|e| e.as_str()) == Some("s3:TestEvent") {
        info!("S3 test event received");
        return Ok(Report::default());
    }
    let event: S3Event = serde_json::from_value(payload).map_err(|e| HandlerError::InvalidEvent(e.to_string()))?;
    handle_event(store, config, event).await
}

/// Handles every record of an S3 event (see the [module docs](self)). Fails only when
/// some record hit a transient storage error, after handling all the others.
///
/// ```
/// use thumbing_lambda::handler::{handle_event, Config};
/// use thumbing_storage::MemoryStore;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// store.insert("uploads", "me.png", include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/gray.png")).to_vec());
/// let event = serde_json::from_value(serde_json::json!({"Records": [{
///     "eventName": "ObjectCreated:Put", "eventTime": "2024-01-01T00:00:00Z",
///     "userIdentity": {}, "requestParameters": {}, "responseElements": {},
///     "s3": {"bucket": {"name": "uploads"}, "object": {"key": "me.png", "size": 100}}
/// }]})).unwrap();
/// let report = handle_event(&store, &Config::new("assets"), event).await?;
/// assert_eq!(report.processed(), 1);
/// let avatar = store.object("assets", "avatars/me.jpg").unwrap();
/// assert_eq!(avatar.content_type.as_deref(), Some("image/jpeg"));
/// # Ok::<(), thumbing_lambda::handler::HandlerError>(())
/// # }).unwrap();
/// ```
pub async fn handle_event(store: &dyn Store, config: &Config, event: S3Event) -> Result<Report, HandlerError> {
    let mut report = Report::default();
    for record in &event.records {
        report.records.push(handle_record(store, config, record).await);
    }
    let failed = report.failed();
    if failed > 0 {
        let first = report
            .records
            .iter()
            .find_map(|r| match &r.outcome {
                Outcome::Failed { message } => Some(message.clone()),
                _ => None,
            })
            .unwrap_or_default();
        return Err(HandlerError::Transient { failed, total: report.records.len(), first, report });
    }
    Ok(report)
}

/// Handles one record and logs its outcome. Never fails: the outcome says what happened.
///
/// ```
/// use thumbing_lambda::handler::{handle_record, Config, Outcome, SkipReason};
/// use thumbing_storage::MemoryStore;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let record = serde_json::from_value(serde_json::json!({
///     "eventName": "ObjectRemoved:Delete", "eventTime": "2024-01-01T00:00:00Z",
///     "userIdentity": {}, "requestParameters": {}, "responseElements": {},
///     "s3": {"bucket": {"name": "uploads"}, "object": {"key": "me.png"}}
/// })).unwrap();
/// let report = handle_record(&MemoryStore::new(), &Config::new("assets"), &record).await;
/// assert_eq!(report.outcome, Outcome::Skipped { reason: SkipReason::NotACreateEvent });
/// # });
/// ```
pub async fn handle_record(store: &dyn Store, config: &Config, record: &S3EventRecord) -> RecordReport {
    let started = Instant::now();
    let bucket = record.s3.bucket.name.clone().unwrap_or_default();
    let key = record.s3.object.key.as_deref().and_then(decode_key);
    let Some(key) = key.filter(|_| !bucket.is_empty()) else {
        warn!(bucket, raw_key = record.s3.object.key.as_deref(), "record without a usable bucket or key skipped");
        return RecordReport {
            bucket,
            key: record.s3.object.key.clone().unwrap_or_default(),
            outcome: Outcome::Skipped { reason: SkipReason::MalformedRecord },
        };
    };

    let outcome = run_record(store, config, record, &bucket, &key).await;
    let elapsed_ms = started.elapsed().as_millis() as u64;
    match &outcome {
        Outcome::Processed { outputs } => {
            let written: Vec<&str> = outputs.iter().map(|o| o.key.as_str()).collect();
            info!(bucket, key, status = "processed", outputs = ?written, elapsed_ms, "avatar written");
        }
        Outcome::UpToDate { output } => {
            info!(bucket, key, status = "up_to_date", output, elapsed_ms, "avatar already up to date");
        }
        Outcome::Skipped { reason: SkipReason::OwnOutput } => {
            warn!(
                bucket,
                key,
                status = "skipped",
                reason = "own_output",
                "refusing to process the function's own output"
            );
        }
        Outcome::Skipped { reason } => {
            info!(bucket, key, status = "skipped", reason = ?reason, "record skipped");
        }
        Outcome::Rejected { error_kind, message, action } => {
            warn!(
                bucket,
                key,
                status = "rejected",
                error_kind,
                error = message,
                action = ?action,
                elapsed_ms,
                "upload rejected: not a usable image (permanent, not retried)"
            );
        }
        Outcome::Failed { message } => {
            error!(bucket, key, status = "failed", error = message, elapsed_ms, "storage failure (transient, retried)");
        }
    }
    RecordReport { bucket, key, outcome }
}

async fn run_record(store: &dyn Store, config: &Config, record: &S3EventRecord, bucket: &str, key: &str) -> Outcome {
    let skip = |reason| Outcome::Skipped { reason };
    if record.event_name.as_deref().is_some_and(|name| !name.starts_with("ObjectCreated:")) {
        return skip(SkipReason::NotACreateEvent);
    }
    if key.ends_with('/') {
        return skip(SkipReason::FolderMarker);
    }
    if bucket == config.dest_bucket && key.starts_with(&config.output_prefix) {
        return skip(SkipReason::OwnOutput);
    }
    if key.starts_with(&config.failed_prefix) {
        return skip(SkipReason::RejectedFolder);
    }
    if !key.starts_with(&config.input_prefix) {
        return skip(SkipReason::OutsideInputFolder);
    }
    let Some(outputs) = config.outputs(key) else {
        return skip(SkipReason::FolderMarker);
    };

    // Known too large from the event alone: reject without downloading.
    if let Some(size) = record.s3.object.size.and_then(|s| u64::try_from(s).ok())
        && size > config.max_input_bytes
    {
        let e = StoreError::too_large(bucket, key, size, config.max_input_bytes);
        return reject(store, config, bucket, key, "too_large", e.to_string()).await;
    }

    let source = format!("{bucket}/{key}");
    let settings = config.fingerprint();
    let main_key = &outputs[0].key;
    // A retried event: skip the work when the main avatar (written last) already records
    // this upload and these settings.
    if let Some(etag) = record.s3.object.e_tag.as_deref().map(normalize_etag).filter(|e| !e.is_empty()) {
        match store.head(&config.dest_bucket, main_key).await {
            Ok(Some(meta))
                if meta.metadata.get(META_SOURCE) == Some(&source)
                    && meta.metadata.get(META_SOURCE_ETAG).map(String::as_str) == Some(etag)
                    && meta.metadata.get(META_SETTINGS) == Some(&settings) =>
            {
                return Outcome::UpToDate { output: main_key.clone() };
            }
            Ok(_) => {}
            Err(e) if e.is_transient() => return Outcome::Failed { message: e.to_string() },
            Err(_) => {}
        }
    }

    let object = match store.get(bucket, key, config.max_input_bytes).await {
        Ok(object) => object,
        Err(e) => {
            return match e.kind() {
                StoreErrorKind::NotFound => skip(SkipReason::Missing),
                StoreErrorKind::TooLarge => reject(store, config, bucket, key, "too_large", e.to_string()).await,
                StoreErrorKind::Invalid => reject(store, config, bucket, key, "invalid_key", e.to_string()).await,
                _ => Outcome::Failed { message: e.to_string() },
            };
        }
    };

    let options = config.options();
    let data = object.data;
    let processed = tokio::task::spawn_blocking(move || options.process(&data)).await;
    let avatars = match processed {
        Ok(Ok(avatars)) => avatars,
        Ok(Err(e)) => return reject(store, config, bucket, key, e.kind().code(), e.to_string()).await,
        Err(join) => {
            return reject(store, config, bucket, key, "internal", format!("image processing stopped: {join}")).await;
        }
    };

    let mut put_options = PutOptions::default()
        .content_type(config.format.mime_type())
        .cache_control(config.cache_control.clone())
        .metadata(META_SOURCE, source)
        .metadata(META_SETTINGS, settings);
    if let Some(etag) = object.meta.etag.as_deref().or(record.s3.object.e_tag.as_deref()) {
        put_options = put_options.metadata(META_SOURCE_ETAG, normalize_etag(etag));
    }
    let mut written: Vec<WrittenAvatar> = Vec::with_capacity(avatars.len());
    // Extra sizes first, the main avatar last: its presence means the set is complete.
    for (spec, avatar) in outputs.iter().zip(avatars).rev() {
        let bytes = avatar.data.len();
        if let Err(e) = store.put(&config.dest_bucket, &spec.key, avatar.data, put_options.clone()).await {
            return Outcome::Failed { message: e.to_string() };
        }
        written.push(WrittenAvatar { key: spec.key.clone(), width: avatar.width, height: avatar.height, bytes });
    }
    written.reverse();
    Outcome::Processed { outputs: written }
}

/// Applies the failure action to a rejected upload.
async fn reject(store: &dyn Store, config: &Config, bucket: &str, key: &str, kind: &str, message: String) -> Outcome {
    let action = match config.on_failure {
        FailureAction::Ignore => ActionTaken::None,
        FailureAction::Tag => tag_rejected(store, bucket, key, kind).await,
        FailureAction::Move => {
            let to = format!("{}{key}", config.failed_prefix);
            match store.copy(bucket, key, bucket, &to).await {
                Ok(()) => match store.delete(bucket, key).await {
                    Ok(()) => ActionTaken::Moved(to),
                    Err(e) => ActionTaken::ActionFailed(format!("copied to {to} but not deleted: {e}")),
                },
                Err(e) if e.kind() == StoreErrorKind::NotFound => ActionTaken::None,
                Err(e) => ActionTaken::ActionFailed(e.to_string()),
            }
        }
    };
    if let ActionTaken::ActionFailed(why) = &action {
        error!(bucket, key, action = config.on_failure.name(), error = why, "could not mark the rejected upload");
    }
    Outcome::Rejected { error_kind: kind.to_owned(), message, action }
}

async fn tag_rejected(store: &dyn Store, bucket: &str, key: &str, kind: &str) -> ActionTaken {
    let mut tags = match store.tags(bucket, key).await {
        Ok(tags) => tags,
        Err(e) if e.kind() == StoreErrorKind::NotFound => return ActionTaken::None,
        Err(e) => return ActionTaken::ActionFailed(e.to_string()),
    };
    tags.retain(|(k, _)| k != REJECTED_TAG);
    if tags.len() >= 10 {
        return ActionTaken::ActionFailed("the upload already has 10 tags, the most S3 allows".into());
    }
    tags.push((REJECTED_TAG.to_owned(), kind.to_owned()));
    match store.set_tags(bucket, key, tags).await {
        Ok(()) => ActionTaken::Tagged,
        Err(e) if e.kind() == StoreErrorKind::NotFound => ActionTaken::None,
        Err(e) => ActionTaken::ActionFailed(e.to_string()),
    }
}

/// Decodes an object key as S3 event notifications spell it: form-URL-encoded, with `+`
/// for a space. `None` when the result is not UTF-8 or is empty.
///
/// ```
/// use thumbing_lambda::handler::decode_key;
/// assert_eq!(decode_key("Happy+Face%2B1.jpg").as_deref(), Some("Happy Face+1.jpg"));
/// assert_eq!(decode_key("caf%C3%A9.png").as_deref(), Some("café.png"));
/// assert_eq!(decode_key("%FF"), None);
/// ```
pub fn decode_key(raw: &str) -> Option<String> {
    let spaced = raw.replace('+', " ");
    let decoded = percent_encoding::percent_decode_str(&spaced).decode_utf8().ok()?;
    (!decoded.is_empty()).then(|| decoded.into_owned())
}
