//! Making avatars again after the settings change, on an in-memory store: S3 Batch Operations
//! invocations (the fixtures in `tests/events/batch-*.json` follow the documented invocation
//! and response documents) and the resumable local regeneration.
//!
//! Every response is checked against `tests/events/batch-response.schema.json` (JSON Schema
//! 2020-12, validated by Python's `jsonschema`, the reference implementation, from the venv
//! `scripts/test-lambda.sh` installs and names in `THUMBING_TEST_PYTHON`; without it the
//! check says it skipped, and fails under `CI=true`), and against the invocation: the same
//! invocation id and schema, one result per task, in order.

mod common;

use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::Ordering;

use common::CountingStore;
use serde_json::{Value, json};
use thumbing_lambda::handler::{
    Config, HandlerError, META_SETTINGS, META_SOURCE_ETAG, Outcome, Response, handle_invocation,
};
use thumbing_lambda::regenerate::{RegenerateOptions, Stop, regenerate};
use thumbing_storage::{MemoryStore, Store};

const PHOTO_A: &[u8] = include_bytes!("../../fixtures/landscape_1.jpg");
const PHOTO_B: &[u8] = include_bytes!("../../fixtures/landscape_6.jpg");
const GRAY_PNG: &[u8] = include_bytes!("../../fixtures/gray.png");
const INVOCATION_2: &str = include_str!("events/batch-invocation-2.0.json");
const INVOCATION_1: &str = include_str!("events/batch-invocation-1.0.json");
const RESPONSE_EXAMPLE: &str = include_str!("events/batch-response-example.json");
const SCHEMA: &str = "tests/events/batch-response.schema.json";
const UPLOADS: &str = "thumbing-uploads-example";

/// Every response document produced by the tests of this file, checked against the schema
/// at the end of each test that made one.
static RESPONSES: Mutex<Vec<Value>> = Mutex::new(Vec::new());

/// The fixture invocation (schema 2.0) with these tasks, as (task id, URL-encoded key), and
/// these `userArguments` (`None`: none at all).
fn invocation(tasks: &[(&str, &str)], user_arguments: Option<Value>) -> Value {
    let mut event: Value = serde_json::from_str(INVOCATION_2).unwrap();
    let template = event["tasks"][0].clone();
    event["tasks"] = tasks
        .iter()
        .map(|(id, key)| {
            let mut task = template.clone();
            task["taskId"] = json!(id);
            task["s3Key"] = json!(key);
            task
        })
        .collect();
    match user_arguments {
        Some(arguments) => event["job"]["userArguments"] = arguments,
        None => drop(event["job"].as_object_mut().unwrap().remove("userArguments")),
    }
    event
}

/// Invokes the handler with a Batch Operations payload; checks the response against the
/// invocation and keeps it for the schema check; returns (result code, result string) per task.
async fn invoke(store: &dyn Store, config: &Config, event: Value) -> Vec<(String, String)> {
    let response = match handle_invocation(store, config, event.clone()).await {
        Ok(Response::Batch(response)) => serde_json::to_value(response).unwrap(),
        other => panic!("expected a Batch Operations response, got {other:?}"),
    };
    assert_eq!(response["invocationId"], event["invocationId"]);
    let version = event["invocationSchemaVersion"].as_str().unwrap();
    let answered = if ["1.0", "2.0"].contains(&version) { version } else { "2.0" };
    assert_eq!(response["invocationSchemaVersion"], answered);
    let task_ids: Vec<&Value> = event["tasks"].as_array().unwrap().iter().map(|t| &t["taskId"]).collect();
    let results = response["results"].as_array().unwrap();
    assert_eq!(results.iter().map(|r| &r["taskId"]).collect::<Vec<_>>(), task_ids, "one result per task, in order");
    RESPONSES.lock().unwrap().push(response.clone());
    results
        .iter()
        .map(|r| (r["resultCode"].as_str().unwrap().to_owned(), r["resultString"].as_str().unwrap().to_owned()))
        .collect()
}

/// Validates `documents` against the response schema with Python's `jsonschema`, and checks
/// that the schema does refuse what Batch Operations would not read.
fn check_against_schema(documents: Vec<Value>) {
    let Some(python) = std::env::var("THUMBING_TEST_PYTHON").ok().filter(|p| !p.is_empty()) else {
        let why = "THUMBING_TEST_PYTHON is not set (a Python with jsonschema; scripts/test-lambda.sh sets it)";
        assert!(std::env::var("CI").map_or(true, |v| v != "true"), "{why} (CI=true: this check must run)");
        let _ = writeln!(std::io::stderr(), "SKIPPED: the response schema check: {why}");
        return;
    };
    let example: Value = serde_json::from_str(RESPONSE_EXAMPLE).unwrap();
    let mut wrong_code = example.clone();
    wrong_code["results"][0]["resultCode"] = json!("Ok");
    let mut no_results = example.clone();
    no_results["results"] = json!([]);
    let mut extra = example.clone();
    extra["results"][0]["status"] = json!("processed");
    let cases = json!({
        "valid": [example, documents],
        "invalid": [wrong_code, no_results, extra, {"invocationSchemaVersion": "2.0", "invocationId": "x"}],
    });
    // One file per check: the tests of this file run at the same time.
    static CHECKS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let n = CHECKS.fetch_add(1, Ordering::SeqCst);
    let file = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("batch-responses-{}-{n}.json", std::process::id()));
    std::fs::write(&file, cases.to_string()).unwrap();
    let script = r#"
import json, sys
from jsonschema import Draft202012Validator
schema = json.load(open(sys.argv[1]))
Draft202012Validator.check_schema(schema)
validator = Draft202012Validator(schema)
cases = json.load(open(sys.argv[2]))
example, documents = cases["valid"]
for doc in [example] + documents:
    errors = [e.message for e in validator.iter_errors(doc)]
    if errors:
        sys.exit("refused %s: %s" % (json.dumps(doc), errors))
for doc in cases["invalid"]:
    if validator.is_valid(doc):
        sys.exit("accepted %s" % json.dumps(doc))
print("%d responses valid" % (len(documents) + 1))
"#;
    let out = std::process::Command::new(&python)
        .args(["-c", script, SCHEMA])
        .arg(&file)
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap_or_else(|e| panic!("running {python}: {e}"));
    let _ = std::fs::remove_file(&file);
    assert!(out.status.success(), "{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
}

/// The responses this test made so far, taken from the shared list.
fn responses_of_this_test(from: usize) -> Vec<Value> {
    RESPONSES.lock().unwrap()[from..].to_vec()
}

fn config() -> Config {
    Config::new("assets")
}

#[tokio::test]
async fn a_job_over_mixed_uploads_answers_each_task() {
    let start = RESPONSES.lock().unwrap().len();
    let store = CountingStore::new(MemoryStore::new());
    store.inner.insert(UPLOADS, "uploads/3f9c2a1e-ada.jpg", PHOTO_A.to_vec());
    store.inner.insert(UPLOADS, "uploads/grace hopper+1.png", GRAY_PNG.to_vec());
    store.inner.insert(UPLOADS, "uploads/broken.jpg", PHOTO_A[..PHOTO_A.len() / 3].to_vec());
    store.inner.insert(UPLOADS, "uploads/notes.txt", b"not an image".to_vec());
    let event = invocation(
        &[
            ("t-ada", "uploads/3f9c2a1e-ada.jpg"),
            ("t-grace", "uploads/grace+hopper%2B1.png"),
            ("t-broken", "uploads/broken.jpg"),
            ("t-text", "uploads/notes.txt"),
            ("t-gone", "uploads/deleted.jpg"),
        ],
        Some(json!({"SIZES": "256,64"})),
    );

    let results = invoke(&store, &config(), event.clone()).await;
    let codes: Vec<&str> = results.iter().map(|(code, _)| code.as_str()).collect();
    assert_eq!(codes, ["Succeeded", "Succeeded", "PermanentFailure", "PermanentFailure", "PermanentFailure"]);
    assert_eq!(results[0].1, "processed: avatars/3f9c2a1e-ada.jpg, avatars/3f9c2a1e-ada-64.jpg");
    assert!(results[2].1.starts_with("corrupt: "), "{}", results[2].1);
    assert!(results[3].1.starts_with("unsupported_format: "), "{}", results[3].1);
    assert_eq!(results[4].1, "skipped: missing");
    // The job's sizes, not the function's, and the key decoded as S3 spells it.
    for (key, size) in [("avatars/3f9c2a1e-ada.jpg", 256), ("avatars/grace hopper+1-64.jpg", 64)] {
        let avatar =
            store.inner.object("assets", key).unwrap_or_else(|| panic!("{key}: {:?}", store.inner.keys("assets")));
        assert_eq!(thumbing::probe(&avatar.data).unwrap().width, size, "{key}");
    }
    // Unusable uploads are tagged, as for an S3 event.
    assert_eq!(store.inner.object(UPLOADS, "uploads/broken.jpg").unwrap().tags[0].1, "corrupt");

    // The same job again: everything that succeeded is up to date, nothing is written.
    let puts = store.puts.load(Ordering::SeqCst);
    let again = invoke(&store, &config(), event).await;
    assert_eq!(again[0], ("Succeeded".into(), "up_to_date: avatars/3f9c2a1e-ada.jpg".into()));
    assert_eq!(again[1].0, "Succeeded");
    assert_eq!(store.puts.load(Ordering::SeqCst), puts, "a rerun writes nothing");
    check_against_schema(responses_of_this_test(start));
}

#[tokio::test]
async fn storage_failures_are_temporary_and_succeed_when_retried() {
    let start = RESPONSES.lock().unwrap().len();
    let store = CountingStore::new(MemoryStore::new());
    store.inner.insert(UPLOADS, "uploads/3f9c2a1e-ada.jpg", PHOTO_A.to_vec());
    store.inner.insert(UPLOADS, "uploads/b.jpg", PHOTO_B.to_vec());
    store.fail_puts_to("avatars/b.jpg");
    let event = invocation(&[("t-a", "uploads/3f9c2a1e-ada.jpg"), ("t-b", "uploads/b.jpg")], None);

    let results = invoke(&store, &config(), event.clone()).await;
    assert_eq!(results[0].0, "Succeeded");
    assert_eq!(results[1].0, "TemporaryFailure");
    assert!(results[1].1.starts_with("storage: ") && results[1].1.contains("avatars/b.jpg"), "{}", results[1].1);

    // Batch Operations retries the task once storage is back.
    store.heal();
    let retried = invoke(&store, &config(), event).await;
    assert_eq!(retried[0].1, "up_to_date: avatars/3f9c2a1e-ada.jpg");
    assert_eq!(retried[1], ("Succeeded".into(), "processed: avatars/b.jpg".into()));

    store.fail_gets.store(true, Ordering::SeqCst);
    store.inner.insert(UPLOADS, "uploads/c.jpg", PHOTO_A.to_vec());
    let failed = invoke(&store, &config(), invocation(&[("t-c", "uploads/c.jpg")], None)).await;
    assert_eq!(failed[0].0, "TemporaryFailure", "a failed download is temporary too");
    check_against_schema(responses_of_this_test(start));
}

#[tokio::test]
async fn user_arguments_change_the_settings_for_one_job_only() {
    let start = RESPONSES.lock().unwrap().len();
    let store = MemoryStore::new();
    store.insert(UPLOADS, "uploads/3f9c2a1e-ada.jpg", PHOTO_A.to_vec());
    let key = "uploads/3f9c2a1e-ada.jpg";

    let job = json!({"SIZES": "128,32", "OUTPUT_FORMAT": "png", "CACHE_CONTROL": "public, max-age=60"});
    let results = invoke(&store, &config(), invocation(&[("t", key)], Some(job.clone()))).await;
    assert_eq!(results[0].1, "processed: avatars/3f9c2a1e-ada.png, avatars/3f9c2a1e-ada-32.png");
    let avatar = store.object("assets", "avatars/3f9c2a1e-ada.png").unwrap();
    assert_eq!(avatar.content_type.as_deref(), Some("image/png"));
    assert_eq!(avatar.cache_control.as_deref(), Some("public, max-age=60"));
    let with_job = config().with_overrides(&serde_json::from_value(job).unwrap()).unwrap();
    assert_eq!(avatar.metadata[META_SETTINGS], with_job.fingerprint());
    assert!(!avatar.metadata[META_SOURCE_ETAG].is_empty());

    // Another Cache-Control alone is a change too: the avatar is written again.
    let job = json!({"SIZES": "128,32", "OUTPUT_FORMAT": "png", "CACHE_CONTROL": "public, max-age=600"});
    let results = invoke(&store, &config(), invocation(&[("t", key)], Some(job))).await;
    assert!(results[0].1.starts_with("processed: "), "{}", results[0].1);

    // A job without arguments uses the function's settings.
    let results = invoke(&store, &config(), invocation(&[("t", key)], Some(json!({})))).await;
    assert_eq!(results[0].1, "processed: avatars/3f9c2a1e-ada.jpg");
    assert_eq!(thumbing::probe(&store.object("assets", "avatars/3f9c2a1e-ada.jpg").unwrap().data).unwrap().width, 512);
    check_against_schema(responses_of_this_test(start));
}

#[tokio::test]
async fn invalid_user_arguments_fail_every_task_and_write_nothing() {
    let start = RESPONSES.lock().unwrap().len();
    let store = MemoryStore::new();
    store.insert(UPLOADS, "uploads/a.jpg", PHOTO_A.to_vec());
    let arguments = json!({"SIZES": "512,512", "OUTPUT_FORMAT": "bmp", "FOLDER_OUTPUT": "elsewhere"});
    let results =
        invoke(&store, &config(), invocation(&[("t1", "uploads/a.jpg"), ("t2", "uploads/b.jpg")], Some(arguments)))
            .await;
    for (code, text) in &results {
        assert_eq!(code, "PermanentFailure");
        assert!(text.starts_with("invalid_user_arguments: "), "{text}");
        for name in ["SIZES", "OUTPUT_FORMAT \"bmp\" is not one of", "FOLDER_OUTPUT cannot be set for one job"] {
            assert!(text.contains(name), "{name:?} missing from {text}");
        }
    }
    assert!(store.keys("assets").is_empty());

    let mut future = invocation(&[("t1", "uploads/a.jpg")], None);
    future["invocationSchemaVersion"] = json!("3.0");
    let results = invoke(&store, &config(), future).await;
    assert!(results[0].1.starts_with("unsupported_schema: "), "{:?}", results[0]);
    check_against_schema(responses_of_this_test(start));
}

#[tokio::test]
async fn schema_1_0_names_the_bucket_by_its_arn() {
    let start = RESPONSES.lock().unwrap().len();
    let store = MemoryStore::new();
    store.insert(UPLOADS, "uploads/7d41 grace hopper.png", GRAY_PNG.to_vec());
    let event: Value = serde_json::from_str(INVOCATION_1).unwrap();
    let results = invoke(&store, &config(), event).await;
    assert_eq!(results[0], ("Succeeded".into(), "processed: avatars/7d41 grace hopper.jpg".into()));
    check_against_schema(responses_of_this_test(start));
}

#[tokio::test]
async fn payloads_of_no_known_shape_are_clear_errors() {
    let store = MemoryStore::new();
    for (payload, expected) in [
        (json!({"detail-type": "Object Created"}), r#"got an object with the keys ["detail-type"]"#),
        (json!([1, 2]), "got a JSON array"),
        (json!("hello"), "got a JSON string"),
    ] {
        let err = handle_invocation(&store, &config(), payload).await.unwrap_err();
        let HandlerError::InvalidEvent(message) = &err else { panic!("{err:?}") };
        assert!(message.contains("S3 Batch Operations invocation") && message.contains(expected), "{message}");
        let diagnostic: lambda_runtime::Diagnostic = err.into();
        assert_eq!(diagnostic.error_type, "InvalidEvent");
    }
    let mut no_task_id = invocation(&[("t", "uploads/a.jpg")], None);
    no_task_id["tasks"][0].as_object_mut().unwrap().remove("taskId");
    let err = handle_invocation(&store, &config(), no_task_id).await.unwrap_err();
    assert!(err.to_string().contains("malformed") && err.to_string().contains("taskId"), "{err}");

    // S3 events still go the way they always went.
    store.insert("uploads", "me.png", GRAY_PNG.to_vec());
    let event = json!({"Records": [{
        "eventName": "ObjectCreated:Put", "eventTime": "2024-05-01T12:00:00Z",
        "userIdentity": {}, "requestParameters": {}, "responseElements": {},
        "s3": {"bucket": {"name": "uploads"}, "object": {"key": "me.png"}}}]});
    let Response::Event(report) = handle_invocation(&store, &config(), event).await.unwrap() else { panic!() };
    assert_eq!(report.processed(), 1);
}

/// Five uploads, and a store that counts what is written.
fn five_uploads() -> CountingStore {
    let store = CountingStore::new(MemoryStore::new());
    for (i, photo) in [PHOTO_A, GRAY_PNG, PHOTO_B, GRAY_PNG, PHOTO_A].iter().enumerate() {
        store.inner.insert("uploads", &format!("in/user-{i}.jpg"), photo.to_vec());
    }
    store.inner.insert("uploads", "elsewhere/not-an-upload.jpg", PHOTO_A.to_vec());
    store
}

fn regenerating_config() -> Config {
    let mut c = config();
    c.input_prefix = "in/".into();
    c.extra_sizes = vec![64];
    c
}

fn checkpoint_file(name: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}.json", std::process::id()));
    let _ = std::fs::remove_file(&path);
    path
}

#[tokio::test]
async fn a_regeneration_stopped_halfway_resumes_where_it_stopped() {
    let store = five_uploads();
    let config = regenerating_config();
    let options = RegenerateOptions { concurrency: 2, limit: None, checkpoint: Some(checkpoint_file("halfway")) };

    // Interrupted after the second upload: the one in flight beside it still finishes.
    let mut seen = Vec::new();
    let first = regenerate(&store, &config, "uploads", &options, &mut |p| {
        seen.push((p.done, p.total, p.record.key.clone()));
        if p.done == 2 { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    })
    .await
    .unwrap();
    assert_eq!(first.stopped, Some(Stop::Requested));
    assert_eq!(seen[0], (1, 5, "in/user-0.jpg".to_owned()), "in key order, under FOLDER_INPUT only");
    let done_first = first.this_run.processed;
    assert!((2..=3).contains(&done_first), "{first:?}");
    let saved: Value = serde_json::from_slice(&std::fs::read(options.checkpoint.as_ref().unwrap()).unwrap()).unwrap();
    assert_eq!(saved["after"], format!("in/user-{}.jpg", done_first - 1));

    // The next run lists only what follows the checkpoint and writes each avatar once.
    let puts = store.puts.load(Ordering::SeqCst);
    let second = regenerate(&store, &config, "uploads", &options, &mut |_| ControlFlow::Continue(())).await.unwrap();
    assert_eq!(second.resumed_after.as_deref(), Some(format!("in/user-{}.jpg", done_first - 1).as_str()));
    assert!(second.complete(), "{second:?}");
    assert_eq!(second.this_run.processed, 5 - done_first);
    assert_eq!(second.this_run.up_to_date, 0, "nothing done before is looked at again");
    assert_eq!(second.tally.processed, 5);
    assert_eq!(store.puts.load(Ordering::SeqCst) - puts, 2 * (5 - done_first) as usize, "two sizes per upload");
    assert!(!options.checkpoint.as_ref().unwrap().exists(), "a finished regeneration removes its checkpoint");
    for i in 0..5 {
        let small = store.inner.object("assets", &format!("avatars/user-{i}-64.jpg")).expect("every upload");
        assert_eq!(thumbing::probe(&small.data).unwrap().width, 64);
    }

    // Run again with the same settings: all up to date, nothing written.
    let puts = store.puts.load(Ordering::SeqCst);
    let third = regenerate(&store, &config, "uploads", &options, &mut |_| ControlFlow::Continue(())).await.unwrap();
    assert_eq!((third.this_run.up_to_date, third.resumed_after), (5, None));
    assert_eq!(store.puts.load(Ordering::SeqCst), puts);
}

#[tokio::test]
async fn a_storage_failure_holds_the_checkpoint_back_until_it_is_retried() {
    let store = five_uploads();
    let config = regenerating_config();
    let options = RegenerateOptions { concurrency: 1, limit: None, checkpoint: Some(checkpoint_file("failure")) };
    store.fail_puts_to("avatars/user-1.jpg");

    let first = regenerate(&store, &config, "uploads", &options, &mut |_| ControlFlow::Continue(())).await.unwrap();
    assert_eq!((first.this_run.processed, first.this_run.failed), (4, 1));
    assert_eq!(first.failed[0].key, "in/user-1.jpg");
    assert_eq!(first.exit_code(), 1);
    let saved: Value = serde_json::from_slice(&std::fs::read(options.checkpoint.as_ref().unwrap()).unwrap()).unwrap();
    assert_eq!(saved["after"], "in/user-0.jpg", "not past the failed upload");

    store.heal();
    let second = regenerate(&store, &config, "uploads", &options, &mut |_| ControlFlow::Continue(())).await.unwrap();
    assert!(second.complete());
    assert_eq!((second.this_run.processed, second.this_run.up_to_date), (1, 3));
    assert_eq!((second.tally.processed, second.tally.up_to_date, second.tally.failed), (2, 3, 0));
}

#[tokio::test]
async fn new_settings_start_over_and_a_limit_stops_a_run() {
    let store = five_uploads();
    let mut config = regenerating_config();
    let options = RegenerateOptions { concurrency: 3, limit: Some(2), checkpoint: Some(checkpoint_file("limit")) };

    let first = regenerate(&store, &config, "uploads", &options, &mut |_| ControlFlow::Continue(())).await.unwrap();
    assert_eq!((first.stopped, first.this_run.processed, first.exit_code()), (Some(Stop::Limit), 2, 0));

    // The checkpoint was made for 512+64: with another quality it does not apply.
    config.quality = 60;
    let second = regenerate(&store, &config, "uploads", &options, &mut |_| ControlFlow::Continue(())).await.unwrap();
    assert_eq!((second.resumed_after.as_deref(), second.this_run.processed), (None, 2));
    let avatar = store.inner.object("assets", "avatars/user-0.jpg").unwrap();
    assert_eq!(avatar.metadata[META_SETTINGS], config.fingerprint());

    let rest = RegenerateOptions { limit: None, ..options.clone() };
    let third = regenerate(&store, &config, "uploads", &rest, &mut |_| ControlFlow::Continue(())).await.unwrap();
    assert_eq!((third.resumed_after.as_deref(), third.this_run.processed), (Some("in/user-1.jpg"), 3));
    assert!(third.complete());
    assert!(matches!(
        thumbing_lambda::handler::handle_stored_object(&store, &config, "uploads", "in/user-4.jpg", None).await.outcome,
        Outcome::UpToDate { .. }
    ));

    std::fs::write(options.checkpoint.as_ref().unwrap(), b"{ not json").unwrap();
    let err = regenerate(&store, &config, "uploads", &options, &mut |_| ControlFlow::Continue(())).await.unwrap_err();
    assert!(err.to_string().contains("delete it to start the regeneration over"), "{err}");
}
