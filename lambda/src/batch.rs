//! S3 Batch Operations: the function as the `LambdaInvoke` operation of a job that runs it
//! over every upload listed in a manifest — how every avatar is made again after the
//! settings change (`examples/aws-cdk/regenerate.sh` creates such a job).
//!
//! Batch Operations invokes the function with a [`BatchEvent`] (invocation schema 2.0, or
//! 1.0) naming one task — an object — or more, and reads one result per task from the
//! answer ([`S3BatchJobResponse`] of `aws_lambda_events`):
//!
//! | result code | when | Batch Operations |
//! | --- | --- | --- |
//! | `Succeeded` | the avatars were written, or are already up to date | done |
//! | `PermanentFailure` | the upload is not a usable image (`resultString` starts with its error kind: `corrupt: …`), is gone, is not an upload this function processes, or the job's `userArguments` are invalid | reported, not retried |
//! | `TemporaryFailure` | a storage error | retried |
//!
//! Each task goes through [`handle_stored_object`], the path of an S3 event, so an avatar
//! whose marker (source ETag, settings, `Cache-Control`) is current costs two `HEAD`s and
//! is not made again: running a job twice is cheap, and so is a job over uploads that were
//! processed since the manifest was written. Rejected uploads are tagged or moved as
//! `ON_FAILURE` says, as for an event.
//!
//! A job may change the output settings for its own tasks with `userArguments` (schema
//! 2.0), e.g. `{"SIZES": "512,128", "OUTPUT_FORMAT": "jpeg"}`: the names of
//! [`JOB_SETTINGS`](crate::handler::JOB_SETTINGS), each checked exactly as the variable of
//! that name ([`Config::with_overrides`]). Invalid arguments fail every task of the job
//! permanently, with the problems in `resultString`, so the job's completion report says
//! what to fix.
//!
//! `aws_lambda_events` 1.2 models the response but only schema 1.0 of the event (a bucket
//! ARN, no `userArguments`), so the event types are this module's own. Schema 2.0 names the
//! bucket (`s3Bucket`, also read as `s3BucketName`), schema 1.0 gives its ARN
//! (`s3BucketArn`); keys are URL-encoded, as in the manifest. A task's `s3VersionId` is not
//! used: the current version of the upload is what its avatars are made from.

use std::borrow::Cow;
use std::collections::BTreeMap;

use aws_lambda_events::s3::batch_job::{S3BatchJobResponse, S3BatchJobResult};
use serde::Deserialize;
use tracing::{Instrument, error, info, info_span};

use crate::handler::{Config, Outcome, decode_key, handle_stored_object};
use thumbing_storage::Store;

/// The invocation schemas this function reads.
pub const SCHEMA_VERSIONS: &[&str] = &["1.0", "2.0"];
/// Result code of a task that is done.
pub const SUCCEEDED: &str = "Succeeded";
/// Result code of a task that Batch Operations should try again.
pub const TEMPORARY_FAILURE: &str = "TemporaryFailure";
/// Result code of a task that cannot succeed as it is.
pub const PERMANENT_FAILURE: &str = "PermanentFailure";

/// An S3 Batch Operations invocation of the `LambdaInvoke` operation.
///
/// ```
/// let event: thumbing_lambda::batch::BatchEvent = serde_json::from_value(serde_json::json!({
///     "invocationSchemaVersion": "2.0", "invocationId": "aW52b2NhdGlvbg",
///     "job": {"id": "0f1e2d3c", "userArguments": {"SIZES": "512,128"}},
///     "tasks": [{"taskId": "dGFzaw", "s3Key": "uploads/me.jpg", "s3VersionId": null, "s3Bucket": "my-uploads"}]
/// }))?;
/// assert_eq!(event.tasks[0].bucket().as_deref(), Some("my-uploads"));
/// assert_eq!(event.user_arguments().unwrap()["SIZES"], "512,128");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchEvent {
    /// `1.0` or `2.0`.
    pub invocation_schema_version: String,
    /// Echoed in the response.
    pub invocation_id: String,
    /// The job.
    pub job: BatchJob,
    /// The objects to work on: one per invocation in practice.
    pub tasks: Vec<BatchTask>,
    /// `userArguments` given beside `job` rather than in it; [`BatchEvent::user_arguments`]
    /// reads either.
    #[serde(default)]
    pub user_arguments: Option<BTreeMap<String, String>>,
}

impl BatchEvent {
    /// The job's `userArguments` (schema 2.0), if any.
    ///
    /// ```
    /// let event: thumbing_lambda::batch::BatchEvent = serde_json::from_str(
    ///     r#"{"invocationSchemaVersion": "1.0", "invocationId": "i", "job": {"id": "j"}, "tasks": []}"#)?;
    /// assert!(event.user_arguments().is_none());
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn user_arguments(&self) -> Option<&BTreeMap<String, String>> {
        self.job.user_arguments.as_ref().or(self.user_arguments.as_ref())
    }
}

/// The job an invocation belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchJob {
    /// The job id.
    pub id: String,
    /// Settings for this job's tasks (schema 2.0): see the [module docs](self).
    #[serde(default)]
    pub user_arguments: Option<BTreeMap<String, String>>,
}

/// One object of the manifest.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BatchTask {
    /// Echoed in the task's result.
    pub task_id: String,
    /// The object key, URL-encoded as in the manifest.
    pub s3_key: String,
    /// The object version named by the manifest (not used: the current version is read).
    #[serde(default)]
    pub s3_version_id: Option<String>,
    /// The bucket's name (schema 2.0, `s3Bucket`).
    #[serde(default, alias = "s3Bucket")]
    pub s3_bucket_name: Option<String>,
    /// The bucket's ARN (schema 1.0).
    #[serde(default)]
    pub s3_bucket_arn: Option<String>,
}

impl BatchTask {
    /// The bucket: its name, or the name in its ARN.
    ///
    /// ```
    /// let task: thumbing_lambda::batch::BatchTask = serde_json::from_str(
    ///     r#"{"taskId": "t", "s3Key": "k", "s3BucketArn": "arn:aws:s3:::my-uploads"}"#)?;
    /// assert_eq!(task.bucket().as_deref(), Some("my-uploads"));
    /// # Ok::<(), serde_json::Error>(())
    /// ```
    pub fn bucket(&self) -> Option<String> {
        let from_arn = || {
            let arn = self.s3_bucket_arn.as_deref()?;
            arn.strip_prefix("arn:").and_then(|rest| rest.split_once(":s3:::")).map(|(_, name)| name.to_owned())
        };
        self.s3_bucket_name.clone().or_else(from_arn).filter(|b| !b.is_empty())
    }
}

/// Runs every task of a Batch Operations invocation and answers with one result per task,
/// in order. Never fails: a problem is a task's result (see the [module docs](self)).
///
/// ```
/// use thumbing_lambda::batch::{handle_batch, BatchEvent};
/// use thumbing_lambda::handler::Config;
/// use thumbing_storage::MemoryStore;
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// store.insert("uploads", "broken.jpg", b"\xFF\xD8\xFF\xE0 not really".to_vec());
/// let event: BatchEvent = serde_json::from_value(serde_json::json!({
///     "invocationSchemaVersion": "2.0", "invocationId": "inv", "job": {"id": "job"},
///     "tasks": [{"taskId": "t1", "s3Key": "broken.jpg", "s3Bucket": "uploads"}]
/// })).unwrap();
/// let response = handle_batch(&store, &Config::new("assets"), event).await;
/// assert_eq!(response.invocation_id.as_deref(), Some("inv"));
/// let result = &response.results[0];
/// assert_eq!(result.result_code.as_deref(), Some("PermanentFailure"));
/// assert!(result.result_string.as_deref().unwrap().starts_with("corrupt: "));
/// # });
/// ```
pub async fn handle_batch(store: &dyn Store, config: &Config, event: BatchEvent) -> S3BatchJobResponse {
    let job_id = event.job.id.as_str();
    let settings: Result<Cow<'_, Config>, String> =
        if !SCHEMA_VERSIONS.contains(&event.invocation_schema_version.as_str()) {
            Err(format!(
                "unsupported_schema: invocation schema {:?} is not one of {}",
                event.invocation_schema_version,
                SCHEMA_VERSIONS.join(", ")
            ))
        } else {
            match event.user_arguments() {
                Some(arguments) if !arguments.is_empty() => config
                    .with_overrides(arguments)
                    .map(Cow::Owned)
                    .map_err(|e| format!("invalid_user_arguments: {}", e.problems().join("; "))),
                _ => Ok(Cow::Borrowed(config)),
            }
        };
    match &settings {
        Ok(settings) => info!(
            job_id,
            invocation_id = event.invocation_id,
            schema = event.invocation_schema_version,
            tasks = event.tasks.len(),
            settings = settings.fingerprint(),
            "S3 Batch Operations invocation"
        ),
        Err(problem) => error!(job_id, invocation_id = event.invocation_id, error = problem, "job refused"),
    }

    let mut results = Vec::with_capacity(event.tasks.len());
    for task in &event.tasks {
        let (code, text) = match &settings {
            Err(problem) => (PERMANENT_FAILURE, problem.clone()),
            Ok(settings) => {
                let span = info_span!("batch_task", job_id, task_id = task.task_id);
                run_task(store, settings, task).instrument(span).await
            }
        };
        let mut result = S3BatchJobResult::default();
        result.task_id = Some(task.task_id.clone());
        result.result_code = Some(code.to_owned());
        result.result_string = Some(text);
        results.push(result);
    }
    let mut response = S3BatchJobResponse::default();
    // The invocation's schema, or for one this function cannot read, the latest it can: a
    // response in a schema Batch Operations does not know could not be read at all.
    let version = if SCHEMA_VERSIONS.contains(&event.invocation_schema_version.as_str()) {
        event.invocation_schema_version
    } else {
        SCHEMA_VERSIONS[SCHEMA_VERSIONS.len() - 1].to_owned()
    };
    response.invocation_schema_version = Some(version);
    response.treat_missing_keys_as = Some(PERMANENT_FAILURE.to_owned());
    response.invocation_id = Some(event.invocation_id);
    response.results = results;
    response
}

async fn run_task(store: &dyn Store, config: &Config, task: &BatchTask) -> (&'static str, String) {
    let Some(bucket) = task.bucket() else {
        return (PERMANENT_FAILURE, "malformed_task: the task names no bucket (s3Bucket or s3BucketArn)".into());
    };
    let Some(key) = decode_key(&task.s3_key) else {
        return (PERMANENT_FAILURE, format!("malformed_task: the key {:?} is not URL-encoded UTF-8", task.s3_key));
    };
    let report = handle_stored_object(store, config, &bucket, &key, None).await;
    task_result(&report.outcome)
}

/// The Batch Operations result code and result string of a record's outcome.
///
/// ```
/// use thumbing_lambda::batch::task_result;
/// use thumbing_lambda::handler::{Outcome, SkipReason, WrittenAvatar};
/// let (code, text) = task_result(&Outcome::UpToDate { output: "avatars/me.jpg".into() });
/// assert_eq!((code, text.as_str()), ("Succeeded", "up_to_date: avatars/me.jpg"));
/// let (code, text) = task_result(&Outcome::Failed { message: "timeout".into() });
/// assert_eq!((code, text.as_str()), ("TemporaryFailure", "storage: timeout"));
/// let (code, text) = task_result(&Outcome::Skipped { reason: SkipReason::OwnOutput });
/// assert_eq!((code, text.as_str()), ("PermanentFailure", "skipped: own_output"));
/// // An avatar made from a damaged upload succeeds, naming the kinds of damage.
/// let written = WrittenAvatar { key: "avatars/me.jpg".into(), width: 512, height: 512, bytes: 40_000 };
/// let warnings = vec!["checksum: png: CRC mismatch in the \"IDAT\" chunk".to_owned()];
/// let (code, text) = task_result(&Outcome::Processed { outputs: vec![written], warnings });
/// assert_eq!((code, text.as_str()), ("Succeeded", "processed: avatars/me.jpg (warnings: checksum)"));
/// ```
pub fn task_result(outcome: &Outcome) -> (&'static str, String) {
    match outcome {
        Outcome::Processed { outputs, warnings } => {
            let keys: Vec<&str> = outputs.iter().map(|o| o.key.as_str()).collect();
            let mut text = format!("processed: {}", keys.join(", "));
            if !warnings.is_empty() {
                // The codes only: the upload's tag and the log line carry the messages.
                let mut codes: Vec<&str> = warnings.iter().map(|w| w.split(':').next().unwrap_or(w)).collect();
                codes.dedup();
                text.push_str(&format!(" (warnings: {})", codes.join(", ")));
            }
            (SUCCEEDED, text)
        }
        Outcome::UpToDate { output } => (SUCCEEDED, format!("up_to_date: {output}")),
        Outcome::Rejected { error_kind, message, .. } => (PERMANENT_FAILURE, format!("{error_kind}: {message}")),
        Outcome::Failed { message } => (TEMPORARY_FAILURE, format!("storage: {message}")),
        Outcome::Skipped { reason } => {
            let name = serde_json::to_value(reason).ok().and_then(|v| v.as_str().map(str::to_owned));
            (PERMANENT_FAILURE, format!("skipped: {}", name.unwrap_or_else(|| format!("{reason:?}"))))
        }
    }
}
