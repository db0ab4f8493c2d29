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
//!    settings, and has the configured `Cache-Control`, the record is already done (a
//!    retried event, or an avatar a regeneration finds up to date, costs one `HEAD`).
//! 3. The upload is fetched (refused unread above `MAX_INPUT_BYTES`), processed once for
//!    every size, and written: extra sizes first, the main avatar last.
//!
//! Failures come in two kinds. An upload that is not a usable image (corrupt, unsupported,
//! too large) is **rejected**: logged as structured JSON with its key and error category,
//! tagged or moved as configured, and the event still succeeds — retrying cannot fix it. A
//! storage failure (network, throttling, permissions) is **transient**: the other records
//! are still handled, then [`handle_event`] returns an error so Lambda retries the event,
//! and step 2 makes the retry cheap for the records that had succeeded.
//!
//! Objects that are already stored — the tasks of an S3 Batch Operations job
//! ([`crate::batch`]) and the uploads a regeneration walks over ([`crate::regenerate`]) —
//! take the same path: [`handle_stored_object`] reads their size and ETag and hands them to
//! [`handle_record`] as the `ObjectCreated` record S3 would have sent. [`handle_invocation`]
//! is what the function runs: it tells the kinds of payload apart by their shape.

use std::time::Instant;

use aws_lambda_events::event::s3::{S3Event, S3EventRecord};
use aws_lambda_events::s3::batch_job::S3BatchJobResponse;
use serde::Serialize;
use tracing::{error, info, warn};

pub use crate::config::{
    Config, ConfigError, DEFAULT_CACHE_CONTROL, FailureAction, JOB_SETTINGS, LAMBDA_MEMORY_SHARE, OutputSpec,
};
use thumbing_storage::{PutOptions, Store, StoreError, StoreErrorKind, normalize_etag};

/// User-metadata name of the source `bucket/key` stored with each avatar.
pub const META_SOURCE: &str = "thumbing-source";
/// User-metadata name of the source ETag stored with each avatar.
pub const META_SOURCE_ETAG: &str = "thumbing-source-etag";
/// User-metadata name of the [`Config::fingerprint`] stored with each avatar.
pub const META_SETTINGS: &str = "thumbing-settings";
/// The tag put on rejected uploads; its value is the error category.
pub const REJECTED_TAG: &str = "thumbing-rejected";
/// The tag put on uploads that were damaged but still gave avatars; its value is the kinds
/// of damage ([`WarningKind::code`](thumbing::WarningKind::code)), separated by spaces.
pub const WARNINGS_TAG: &str = "thumbing-warnings";

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
        /// The damage in the upload that the avatars were made despite, one
        /// `code: message` line each (empty for an intact upload); the upload is then
        /// tagged [`WARNINGS_TAG`].
        #[serde(skip_serializing_if = "Vec::is_empty")]
        warnings: Vec<String>,
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
    match PayloadShape::of(&payload) {
        PayloadShape::TestEvent => {
            info!("S3 test event received");
            Ok(Report::default())
        }
        PayloadShape::S3Event => {
            let event: S3Event =
                serde_json::from_value(payload).map_err(|e| HandlerError::InvalidEvent(e.to_string()))?;
            handle_event(store, config, event).await
        }
        PayloadShape::Batch => Err(HandlerError::InvalidEvent(
            "this is an S3 Batch Operations invocation, which handle_invocation answers".into(),
        )),
        PayloadShape::Unknown(what) => Err(HandlerError::InvalidEvent(what)),
    }
}

/// What the function answers: the [`Report`] of an S3 event, or the response to an S3
/// Batch Operations invocation, whose `results` Batch Operations reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum Response {
    /// The answer to an S3 event notification (or test event).
    Event(Report),
    /// The answer to an S3 Batch Operations invocation.
    Batch(S3BatchJobResponse),
}

/// Handles whatever Lambda hands the function, told apart by its shape: an S3 event
/// notification (`Records`), the S3 test event, or an S3 Batch Operations invocation
/// (`invocationSchemaVersion`, `job`, `tasks`; see [`crate::batch`]). Any other payload is
/// [`HandlerError::InvalidEvent`], naming the keys it has.
///
/// ```
/// use thumbing_lambda::handler::{handle_invocation, Config, HandlerError, Response};
/// use thumbing_storage::MemoryStore;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// store.insert("uploads", "me.png", include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/gray.png")).to_vec());
/// let job = serde_json::json!({
///     "invocationSchemaVersion": "2.0", "invocationId": "inv-1",
///     "job": {"id": "job-1", "userArguments": {"SIZES": "256,64"}},
///     "tasks": [{"taskId": "t-1", "s3Key": "me.png", "s3VersionId": null, "s3Bucket": "uploads"}]
/// });
/// let Response::Batch(answer) = handle_invocation(&store, &Config::new("assets"), job).await? else { unreachable!() };
/// assert_eq!(answer.results[0].result_code.as_deref(), Some("Succeeded"));
/// assert!(store.object("assets", "avatars/me-64.jpg").is_some());
///
/// let err = handle_invocation(&store, &Config::new("assets"), serde_json::json!({"hello": 1})).await.unwrap_err();
/// assert!(matches!(err, HandlerError::InvalidEvent(ref m) if m.contains("hello")));
/// # Ok::<(), HandlerError>(())
/// # }).unwrap();
/// ```
pub async fn handle_invocation(
    store: &dyn Store,
    config: &Config,
    payload: serde_json::Value,
) -> Result<Response, HandlerError> {
    if matches!(PayloadShape::of(&payload), PayloadShape::Batch) {
        let event = serde_json::from_value(payload)
            .map_err(|e| HandlerError::InvalidEvent(format!("the S3 Batch Operations invocation is malformed: {e}")))?;
        return Ok(Response::Batch(crate::batch::handle_batch(store, config, event).await));
    }
    handle_payload(store, config, payload).await.map(Response::Event)
}

/// The kinds of payload the function is invoked with, told apart by their top-level keys.
enum PayloadShape {
    S3Event,
    TestEvent,
    Batch,
    /// Anything else, with a sentence saying what it is.
    Unknown(String),
}

impl PayloadShape {
    fn of(payload: &serde_json::Value) -> PayloadShape {
        let expected = "expected an S3 event notification (\"Records\"), the S3 test event, or an S3 Batch \
                        Operations invocation (\"invocationSchemaVersion\", \"job\", \"tasks\")";
        let Some(object) = payload.as_object() else {
            return PayloadShape::Unknown(format!("{expected}; got a JSON {}", json_kind(payload)));
        };
        if object.contains_key("Records") {
            PayloadShape::S3Event
        } else if object.get("Event").and_then(|e| e.as_str()) == Some("s3:TestEvent") {
            PayloadShape::TestEvent
        } else if object.contains_key("invocationSchemaVersion") && object.contains_key("tasks") {
            PayloadShape::Batch
        } else {
            let keys: Vec<&str> = object.keys().map(String::as_str).take(10).collect();
            PayloadShape::Unknown(format!("{expected}; got an object with the keys {keys:?}"))
        }
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
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
        Outcome::Processed { outputs, warnings } if !warnings.is_empty() => {
            let written: Vec<&str> = outputs.iter().map(|o| o.key.as_str()).collect();
            warn!(
                bucket,
                key,
                status = "processed",
                outputs = ?written,
                warnings = ?warnings,
                elapsed_ms,
                "avatar written from a damaged upload"
            );
        }
        Outcome::Processed { outputs, .. } => {
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

/// Handles an object that is already stored rather than announced by an S3 event: a task of
/// an S3 Batch Operations job, or an upload found by a regeneration. Its size and ETag come
/// from `known` (a listing) or a `HEAD`; then it is handled by [`handle_record`] exactly as
/// the `ObjectCreated` record of [`object_created_record`], so the same filters, limits,
/// failure handling and up-to-date check apply. A vanished object is
/// [`SkipReason::Missing`]; a failed `HEAD` is a storage failure.
///
/// ```
/// use thumbing_lambda::handler::{handle_stored_object, Config, Outcome};
/// use thumbing_storage::MemoryStore;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// store.insert("uploads", "me.png", include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/gray.png")).to_vec());
/// let first = handle_stored_object(&store, &Config::new("assets"), "uploads", "me.png", None).await;
/// assert!(matches!(first.outcome, Outcome::Processed { .. }));
/// // Nothing changed: the avatar records this upload and these settings.
/// let again = handle_stored_object(&store, &Config::new("assets"), "uploads", "me.png", None).await;
/// assert_eq!(again.outcome, Outcome::UpToDate { output: "avatars/me.jpg".into() });
/// # });
/// ```
pub async fn handle_stored_object(
    store: &dyn Store,
    config: &Config,
    bucket: &str,
    key: &str,
    known: Option<(u64, String)>,
) -> RecordReport {
    let known = match known {
        Some(known) => Some(known),
        None => match store.head(bucket, key).await {
            Ok(Some(meta)) => meta.etag.map(|etag| (meta.size, etag)),
            Ok(None) => {
                let outcome = Outcome::Skipped { reason: SkipReason::Missing };
                info!(bucket, key, status = "skipped", reason = ?SkipReason::Missing, "the object no longer exists");
                return RecordReport { bucket: bucket.to_owned(), key: key.to_owned(), outcome };
            }
            Err(e) if e.is_transient() => {
                error!(bucket, key, status = "failed", error = %e, "storage failure (transient, retried)");
                let outcome = Outcome::Failed { message: e.to_string() };
                return RecordReport { bucket: bucket.to_owned(), key: key.to_owned(), outcome };
            }
            // A key the store cannot hold: handle_record rejects it with the store's words.
            Err(_) => None,
        },
    };
    let (size, etag) = known.map_or((None, None), |(size, etag)| (Some(size), Some(etag)));
    handle_record(store, config, &object_created_record(bucket, key, size, etag.as_deref())).await
}

/// The `ObjectCreated:Put` record S3 would send for `bucket`/`key` (the key URL-encoded as S3
/// spells it), with the object's size and ETag when known.
///
/// ```
/// let record = thumbing_lambda::handler::object_created_record("uploads", "a b+c.jpg", Some(10), Some("abc"));
/// assert_eq!(record.s3.object.key.as_deref(), Some("a+b%2Bc.jpg"));
/// assert_eq!(record.s3.object.e_tag.as_deref(), Some("abc"));
/// assert_eq!(record.event_name.as_deref(), Some("ObjectCreated:Put"));
/// ```
pub fn object_created_record(bucket: &str, key: &str, size: Option<u64>, etag: Option<&str>) -> S3EventRecord {
    let mut record = S3EventRecord::default();
    record.event_source = Some("aws:s3".into());
    record.event_name = Some("ObjectCreated:Put".into());
    record.s3.bucket.name = Some(bucket.to_owned());
    record.s3.object.key = Some(encode_key(key));
    record.s3.object.size = size.and_then(|s| i64::try_from(s).ok());
    record.s3.object.e_tag = etag.map(str::to_owned);
    record
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
                    && meta.metadata.get(META_SETTINGS) == Some(&settings)
                    && meta.cache_control.as_deref() == Some(config.cache_control.as_str()) =>
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
    let formats = config.formats();
    let data = object.data;
    // One decode and resize for every format (`OUTPUT_FORMAT=jpeg,webp,avif`), in the order
    // of `outputs`.
    let processed = tokio::task::spawn_blocking(move || options.process_formats(&data, &formats)).await;
    let avatars = match processed {
        Ok(Ok(avatars)) => avatars,
        Ok(Err(e)) => return reject(store, config, bucket, key, e.kind().code(), e.to_string()).await,
        Err(join) => {
            return reject(store, config, bucket, key, "internal", format!("image processing stopped: {join}")).await;
        }
    };

    let mut put_options = PutOptions::default()
        .cache_control(config.cache_control.clone())
        .metadata(META_SOURCE, source)
        .metadata(META_SETTINGS, settings);
    if let Some(etag) = object.meta.etag.as_deref().or(record.s3.object.e_tag.as_deref()) {
        put_options = put_options.metadata(META_SOURCE_ETAG, normalize_etag(etag));
    }
    let damage = avatars.first().map(|a| a.warnings.clone()).unwrap_or_default();
    let mut written: Vec<WrittenAvatar> = Vec::with_capacity(avatars.len());
    // Extra sizes and formats first, the main avatar last: its presence means the set is
    // complete.
    for (spec, avatar) in outputs.iter().zip(avatars).rev() {
        let bytes = avatar.data.len();
        let put = put_options.clone().content_type(spec.format.mime_type());
        if let Err(e) = store.put(&config.dest_bucket, &spec.key, avatar.data, put).await {
            return Outcome::Failed { message: e.to_string() };
        }
        written.push(WrittenAvatar { key: spec.key.clone(), width: avatar.width, height: avatar.height, bytes });
    }
    written.reverse();
    if !damage.is_empty() {
        let mut codes: Vec<&str> = damage.iter().map(|w| w.kind.code()).collect();
        codes.dedup();
        if let ActionTaken::ActionFailed(why) = set_tag(store, bucket, key, WARNINGS_TAG, &codes.join(" ")).await {
            error!(bucket, key, error = %why, "could not tag the damaged upload");
        }
    }
    let warnings = damage.iter().map(|w| format!("{}: {w}", w.kind.code())).collect();
    Outcome::Processed { outputs: written, warnings }
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
    set_tag(store, bucket, key, REJECTED_TAG, kind).await
}

/// Sets the tag `name` of an upload to `value`, keeping its other tags.
async fn set_tag(store: &dyn Store, bucket: &str, key: &str, name: &str, value: &str) -> ActionTaken {
    let mut tags = match store.tags(bucket, key).await {
        Ok(tags) => tags,
        Err(e) if e.kind() == StoreErrorKind::NotFound => return ActionTaken::None,
        Err(e) => return ActionTaken::ActionFailed(e.to_string()),
    };
    tags.retain(|(k, _)| k != name);
    if tags.len() >= 10 {
        return ActionTaken::ActionFailed("the upload already has 10 tags, the most S3 allows".into());
    }
    tags.push((name.to_owned(), value.to_owned()));
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

/// Encodes an object key as S3 event notifications and Batch Operations manifests spell it:
/// form-URL-encoded, `/` kept, a space as `+`. [`decode_key`] reverses it.
///
/// ```
/// use thumbing_lambda::handler::{decode_key, encode_key};
/// assert_eq!(encode_key("dir/Happy Face+1.jpg"), "dir/Happy+Face%2B1.jpg");
/// assert_eq!(decode_key(&encode_key("café ☕/x.png")).as_deref(), Some("café ☕/x.png"));
/// ```
pub fn encode_key(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'/')
        .remove(b' ');
    percent_encoding::utf8_percent_encode(key, KEEP).to_string().replace(' ', "+")
}
