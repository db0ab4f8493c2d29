//! The handler against an in-memory store: records, keys, filters, the loop guard, and
//! the two kinds of failure.

mod common;

use std::sync::atomic::Ordering;

use aws_lambda_events::event::s3::S3Event;
use common::CountingStore;
use serde_json::json;
use thumbing_lambda::handler::{
    ActionTaken, Config, FailureAction, HandlerError, META_SETTINGS, META_SOURCE, META_SOURCE_ETAG, Outcome,
    REJECTED_TAG, Report, SkipReason, WARNINGS_TAG, WrittenAvatar, handle_event, handle_payload,
};
use thumbing_storage::{MemoryStore, Store};

const PHOTO_A: &[u8] = include_bytes!("../../fixtures/landscape_1.jpg");
const PHOTO_B: &[u8] = include_bytes!("../../fixtures/landscape_6.jpg");
const PHOTO_C: &[u8] = include_bytes!("../../fixtures/landscape_8.jpg");
const GRAY_PNG: &[u8] = include_bytes!("../../fixtures/gray.png");
const BOMB_PNG: &[u8] = include_bytes!("../../fixtures/bomb-100000x100000.png");

/// A JPEG cut short: its header is fine, its entropy-coded data ends early.
fn truncated_jpeg() -> Vec<u8> {
    PHOTO_A[..PHOTO_A.len() / 3].to_vec()
}

/// The first bytes of a little-endian TIFF: a real image format thumbing does not read.
fn tiff_header() -> Vec<u8> {
    let mut tiff = b"II*\0\x08\0\0\0".to_vec();
    tiff.resize(256, 0);
    tiff
}

/// One S3 `ObjectCreated:Put` record, shaped like the notifications S3 sends.
fn record(bucket: &str, raw_key: &str) -> serde_json::Value {
    record_with(bucket, raw_key, "ObjectCreated:Put", None, None)
}

fn record_with(
    bucket: &str,
    raw_key: &str,
    event_name: &str,
    etag: Option<&str>,
    size: Option<u64>,
) -> serde_json::Value {
    json!({
        "eventVersion": "2.1",
        "eventSource": "aws:s3",
        "awsRegion": "us-east-1",
        "eventTime": "2024-05-01T12:00:00.000Z",
        "eventName": event_name,
        "userIdentity": {"principalId": "AWS:AIDAEXAMPLE"},
        "requestParameters": {"sourceIPAddress": "127.0.0.1"},
        "responseElements": {"x-amz-request-id": "C3D13FE58DE4C810", "x-amz-id-2": "FMyUVURIY8/IgAtTv8xRjskZQpcIZ9KG4V5Wp6S7S/JRWeUWerMUE5JgHvANOjpD"},
        "s3": {
            "s3SchemaVersion": "1.0",
            "configurationId": "avatar-uploads",
            "bucket": {"name": bucket, "ownerIdentity": {"principalId": "A3NL1KOZZKExample"}, "arn": format!("arn:aws:s3:::{bucket}")},
            "object": {"key": raw_key, "size": size.unwrap_or(1024), "eTag": etag.unwrap_or(""), "sequencer": "0055AED6DCD90281E5"}
        }
    })
}

fn event(records: Vec<serde_json::Value>) -> S3Event {
    serde_json::from_value(json!({ "Records": records })).expect("a valid S3 event")
}

fn config() -> Config {
    Config::new("assets")
}

fn outcome_of<'a>(report: &'a Report, key: &str) -> &'a Outcome {
    &report.records.iter().find(|r| r.key == key).unwrap_or_else(|| panic!("no record for {key}: {report:?}")).outcome
}

fn assert_avatar(store: &MemoryStore, key: &str, size: u32) {
    let avatar =
        store.object("assets", key).unwrap_or_else(|| panic!("{key} was not written: {:?}", store.keys("assets")));
    let info = thumbing::probe(&avatar.data).expect("the avatar is a readable image");
    assert_eq!(info.format, thumbing::ImageFormat::Jpeg, "{key}");
    assert_eq!((info.width, info.height), (size, size), "{key}");
    assert_eq!(avatar.content_type.as_deref(), Some("image/jpeg"), "{key}");
    assert_eq!(avatar.cache_control.as_deref(), Some(thumbing_lambda::handler::DEFAULT_CACHE_CONTROL), "{key}");
}

/// The ETag the memory store reports for an object, for events that carry it.
async fn etag_of(store: &dyn Store, bucket: &str, key: &str) -> String {
    store.head(bucket, key).await.unwrap().unwrap().etag.unwrap()
}

#[tokio::test]
async fn every_record_of_an_event_is_processed() {
    let store = MemoryStore::new();
    store.insert("uploads", "a.jpg", PHOTO_A.to_vec());
    store.insert("uploads", "b.jpg", PHOTO_B.to_vec());
    store.insert("uploads", "c.png", GRAY_PNG.to_vec());
    let e = event(vec![record("uploads", "a.jpg"), record("uploads", "b.jpg"), record("uploads", "c.png")]);

    let report = handle_event(&store, &config(), e).await.unwrap();

    assert_eq!(report.processed(), 3, "{report:?}");
    assert_eq!(store.keys("assets"), ["avatars/a.jpg", "avatars/b.jpg", "avatars/c.jpg"]);
    for key in store.keys("assets") {
        assert_avatar(&store, &key, 512);
    }
    let meta = store.object("assets", "avatars/b.jpg").unwrap().metadata;
    assert_eq!(meta[META_SOURCE], "uploads/b.jpg");
    assert_eq!(meta[META_SETTINGS], config().fingerprint());
    assert!(!meta[META_SOURCE_ETAG].is_empty());
}

#[tokio::test]
async fn orientation_is_applied() {
    // landscape_6.jpg is stored rotated with EXIF orientation 6: an upright avatar of it
    // differs from a plain resize of the stored pixels.
    let store = MemoryStore::new();
    store.insert("uploads", "rotated.jpg", PHOTO_B.to_vec());
    handle_event(&store, &config(), event(vec![record("uploads", "rotated.jpg")])).await.unwrap();
    let written = store.object("assets", "avatars/rotated.jpg").unwrap().data;
    assert_eq!(written, thumbing::avatar(PHOTO_B, 512).unwrap(), "the handler must use thumbing's default pipeline");
}

#[tokio::test]
async fn url_encoded_keys_are_decoded() {
    let store = MemoryStore::new();
    store.insert("uploads", "user one+two.jpg", PHOTO_A.to_vec());
    store.insert("uploads", "dir/café ☕.jpg", PHOTO_C.to_vec());
    let e = event(vec![
        record("uploads", "user+one%2Btwo.jpg"),
        record("uploads", "dir/caf%C3%A9+%E2%98%95.jpg"),
        record("uploads", "bad%FF.jpg"),
    ]);

    let report = handle_event(&store, &config(), e).await.unwrap();

    assert!(matches!(outcome_of(&report, "user one+two.jpg"), Outcome::Processed { .. }), "{report:?}");
    assert!(matches!(outcome_of(&report, "dir/café ☕.jpg"), Outcome::Processed { .. }), "{report:?}");
    assert_eq!(*outcome_of(&report, "bad%FF.jpg"), Outcome::Skipped { reason: SkipReason::MalformedRecord });
    assert_avatar(&store, "avatars/user one+two.jpg", 512);
    assert_avatar(&store, "avatars/café ☕.jpg", 512);
}

#[tokio::test]
async fn only_keys_under_the_input_folder_are_processed() {
    let store = MemoryStore::new();
    store.insert("uploads", "incoming/me.jpg", PHOTO_A.to_vec());
    store.insert("uploads", "other/me2.jpg", PHOTO_A.to_vec());
    store.insert("uploads", "incoming-not/me3.jpg", PHOTO_A.to_vec());
    let mut c = config();
    c.input_prefix = "incoming/".into();
    let e = event(vec![
        record("uploads", "incoming/me.jpg"),
        record("uploads", "other/me2.jpg"),
        record("uploads", "incoming-not/me3.jpg"),
        record("uploads", "incoming/"),
    ]);

    let report = handle_event(&store, &c, e).await.unwrap();

    assert!(matches!(outcome_of(&report, "incoming/me.jpg"), Outcome::Processed { .. }));
    assert_eq!(*outcome_of(&report, "other/me2.jpg"), Outcome::Skipped { reason: SkipReason::OutsideInputFolder });
    assert_eq!(
        *outcome_of(&report, "incoming-not/me3.jpg"),
        Outcome::Skipped { reason: SkipReason::OutsideInputFolder }
    );
    assert_eq!(*outcome_of(&report, "incoming/"), Outcome::Skipped { reason: SkipReason::FolderMarker });
    assert_eq!(store.keys("assets"), ["avatars/me.jpg"]);
}

#[tokio::test]
async fn the_function_never_processes_its_own_output() {
    // Uploads and avatars in one bucket, with no input folder: the worst case for loops.
    let store = MemoryStore::new();
    store.insert("assets", "me.jpg", PHOTO_A.to_vec());
    let c = config();

    let first = handle_event(&store, &c, event(vec![record("assets", "me.jpg")])).await.unwrap();
    assert_eq!(first.processed(), 1);
    assert!(store.object("assets", "avatars/me.jpg").is_some());

    // Writing avatars/me.jpg triggers a notification for it; it must be refused.
    let second = handle_event(&store, &c, event(vec![record("assets", "avatars/me.jpg")])).await.unwrap();
    assert_eq!(second.records[0].outcome, Outcome::Skipped { reason: SkipReason::OwnOutput });
    assert_eq!(store.keys("assets"), ["avatars/me.jpg", "me.jpg"], "nothing new may be written");

    // The same key in another bucket is an ordinary upload.
    store.insert("uploads", "avatars/me.jpg", PHOTO_B.to_vec());
    let third = handle_event(&store, &c, event(vec![record("uploads", "avatars/me.jpg")])).await.unwrap();
    assert_eq!(third.processed(), 1);
}

#[tokio::test]
async fn without_an_output_folder_nothing_in_the_destination_bucket_is_processed() {
    let store = MemoryStore::new();
    store.insert("assets", "me.jpg", PHOTO_A.to_vec());
    let mut c = config();
    c.output_prefix = String::new();
    let report = handle_event(&store, &c, event(vec![record("assets", "me.jpg")])).await.unwrap();
    assert_eq!(report.records[0].outcome, Outcome::Skipped { reason: SkipReason::OwnOutput });
    assert_eq!(store.keys("assets"), ["me.jpg"]);
}

#[tokio::test]
async fn events_other_than_object_created_are_skipped() {
    let store = MemoryStore::new();
    store.insert("uploads", "me.jpg", PHOTO_A.to_vec());
    let e = event(vec![record_with("uploads", "me.jpg", "ObjectRemoved:Delete", None, None)]);
    let report = handle_event(&store, &config(), e).await.unwrap();
    assert_eq!(report.records[0].outcome, Outcome::Skipped { reason: SkipReason::NotACreateEvent });
    assert!(store.keys("assets").is_empty());
}

#[tokio::test]
async fn bad_images_are_rejected_tagged_and_do_not_break_the_batch() {
    let store = MemoryStore::new();
    store.insert("uploads", "good-1.jpg", PHOTO_A.to_vec());
    store.insert("uploads", "truncated.jpg", truncated_jpeg());
    store.insert("uploads", "scan.tiff", tiff_header());
    store.insert("uploads", "bomb.png", BOMB_PNG.to_vec());
    store.insert("uploads", "good-2.jpg", PHOTO_C.to_vec());
    let e = event(vec![
        record("uploads", "good-1.jpg"),
        record("uploads", "truncated.jpg"),
        record("uploads", "scan.tiff"),
        record("uploads", "bomb.png"),
        record("uploads", "good-2.jpg"),
    ]);

    let report = handle_event(&store, &config(), e).await.expect("bad images must not fail the invocation");

    assert_eq!((report.processed(), report.rejected(), report.failed()), (2, 3, 0), "{report:?}");
    for (key, kind) in [("truncated.jpg", "corrupt"), ("scan.tiff", "unsupported_format"), ("bomb.png", "too_large")] {
        match outcome_of(&report, key) {
            Outcome::Rejected { error_kind, action, message } => {
                assert_eq!(error_kind, kind, "{key}: {message}");
                assert_eq!(*action, ActionTaken::Tagged, "{key}");
            }
            other => panic!("{key}: expected a rejection, got {other:?}"),
        }
        let tags = store.object("uploads", key).unwrap().tags;
        assert_eq!(tags, [(REJECTED_TAG.to_owned(), kind.to_owned())], "{key}");
    }
    assert_eq!(store.keys("assets"), ["avatars/good-1.jpg", "avatars/good-2.jpg"]);
}

/// A JPEG with junk bytes before one of its markers: damage that thumbing recovers from.
fn junk_between_markers() -> Vec<u8> {
    let at = PHOTO_A.windows(2).position(|w| w == [0xFF, 0xDB]).unwrap();
    let mut jpeg = PHOTO_A.to_vec();
    jpeg.splice(at..at, *b"junk");
    jpeg
}

#[tokio::test]
async fn a_damaged_upload_that_gives_an_avatar_is_logged_and_tagged() {
    let store = MemoryStore::new();
    store.insert("uploads", "junk.jpg", junk_between_markers());
    let report = handle_event(&store, &config(), event(vec![record("uploads", "junk.jpg")])).await.unwrap();
    let Outcome::Processed { outputs, warnings } = outcome_of(&report, "junk.jpg") else { panic!("{report:?}") };
    assert_eq!(outputs.len(), 1);
    assert_eq!(warnings.len(), 1, "{warnings:?}");
    assert!(warnings[0].starts_with("extraneous_bytes: jpeg: 4 extraneous bytes"), "{warnings:?}");
    let tags = store.object("uploads", "junk.jpg").unwrap().tags;
    assert_eq!(tags, [(WARNINGS_TAG.to_owned(), "extraneous_bytes".to_owned())]);
    // An intact upload is not tagged, and its report has no warnings.
    store.insert("uploads", "good.jpg", PHOTO_A.to_vec());
    let report = handle_event(&store, &config(), event(vec![record("uploads", "good.jpg")])).await.unwrap();
    assert!(matches!(outcome_of(&report, "good.jpg"), Outcome::Processed { warnings, .. } if warnings.is_empty()));
    assert!(store.object("uploads", "good.jpg").unwrap().tags.is_empty());
}

#[tokio::test]
async fn tagging_keeps_the_uploads_other_tags() {
    let store = MemoryStore::new();
    store.insert("uploads", "bad.jpg", truncated_jpeg());
    store.set_tags("uploads", "bad.jpg", vec![("owner".into(), "u-1".into())]).await.unwrap();
    handle_event(&store, &config(), event(vec![record("uploads", "bad.jpg")])).await.unwrap();
    // A retried rejection leaves one rejection tag, not two.
    handle_event(&store, &config(), event(vec![record("uploads", "bad.jpg")])).await.unwrap();
    let tags = store.object("uploads", "bad.jpg").unwrap().tags;
    assert_eq!(tags, [("owner".to_owned(), "u-1".to_owned()), (REJECTED_TAG.to_owned(), "corrupt".to_owned())]);
}

#[tokio::test]
async fn rejected_uploads_can_be_moved_and_are_not_reprocessed() {
    let store = MemoryStore::new();
    store.insert("uploads", "in/bad.jpg", truncated_jpeg());
    let mut c = config();
    c.on_failure = FailureAction::Move;

    let report = handle_event(&store, &c, event(vec![record("uploads", "in/bad.jpg")])).await.unwrap();
    match &report.records[0].outcome {
        Outcome::Rejected { action: ActionTaken::Moved(to), .. } => assert_eq!(to, "failed/in/bad.jpg"),
        other => panic!("expected a move, got {other:?}"),
    }
    assert_eq!(store.keys("uploads"), ["failed/in/bad.jpg"]);
    assert_eq!(store.object("uploads", "failed/in/bad.jpg").unwrap().data, truncated_jpeg());

    // The copy into failed/ triggers a notification too: it must not be processed again.
    let again = handle_event(&store, &c, event(vec![record("uploads", "failed/in/bad.jpg")])).await.unwrap();
    assert_eq!(again.records[0].outcome, Outcome::Skipped { reason: SkipReason::RejectedFolder });
    assert_eq!(store.keys("uploads"), ["failed/in/bad.jpg"]);
}

#[tokio::test]
async fn ignore_action_leaves_the_upload_alone() {
    let store = MemoryStore::new();
    store.insert("uploads", "bad.jpg", truncated_jpeg());
    let mut c = config();
    c.on_failure = FailureAction::Ignore;
    let report = handle_event(&store, &c, event(vec![record("uploads", "bad.jpg")])).await.unwrap();
    assert!(matches!(report.records[0].outcome, Outcome::Rejected { action: ActionTaken::None, .. }));
    assert!(store.object("uploads", "bad.jpg").unwrap().tags.is_empty());
}

#[tokio::test]
async fn oversized_uploads_are_rejected_without_downloading() {
    let store = CountingStore::new(MemoryStore::new());
    store.inner.insert("uploads", "huge.jpg", PHOTO_A.to_vec());
    let mut c = config();
    c.max_input_bytes = 1000;

    // The event says how big the object is: not even a GET.
    let e = event(vec![record_with("uploads", "huge.jpg", "ObjectCreated:Put", None, Some(PHOTO_A.len() as u64))]);
    let report = handle_event(&store, &c, e).await.unwrap();
    assert!(matches!(&report.records[0].outcome, Outcome::Rejected { error_kind, .. } if error_kind == "too_large"));
    assert_eq!(store.gets.load(Ordering::SeqCst), 0);

    // An event that understates the size: the store refuses the body.
    let e = event(vec![record_with("uploads", "huge.jpg", "ObjectCreated:Put", None, Some(10))]);
    let report = handle_event(&store, &c, e).await.unwrap();
    assert!(matches!(&report.records[0].outcome, Outcome::Rejected { error_kind, .. } if error_kind == "too_large"));
    assert!(store.inner.keys("assets").is_empty());
}

#[tokio::test]
async fn an_image_over_the_memory_budget_is_refused_from_its_header() {
    let store = MemoryStore::new();
    store.insert("uploads", "big.jpg", PHOTO_A.to_vec());
    let mut c = config();
    // Less than even the reduced-scale decode of a 512 px avatar needs.
    c.memory_budget = Some(1 << 20);
    let report = handle_event(&store, &c, event(vec![record("uploads", "big.jpg")])).await.unwrap();
    let Outcome::Rejected { error_kind, message, .. } = &report.records[0].outcome else { panic!("{report:?}") };
    assert_eq!(error_kind, "too_large");
    assert!(message.contains("more than the budget of 1.0 MiB"), "{message}");
    assert_eq!(store.object("uploads", "big.jpg").unwrap().tags, [(REJECTED_TAG.to_owned(), "too_large".to_owned())]);
    assert!(store.keys("assets").is_empty());

    // A budget the photo fits in: processed as without one.
    c.memory_budget = Some(256 << 20);
    let report = handle_event(&store, &c, event(vec![record("uploads", "big.jpg")])).await.unwrap();
    assert!(matches!(report.records[0].outcome, Outcome::Processed { .. }), "{report:?}");
}

#[tokio::test]
async fn a_vanished_upload_is_skipped() {
    let store = MemoryStore::new();
    let report = handle_event(&store, &config(), event(vec![record("uploads", "gone.jpg")])).await.unwrap();
    assert_eq!(report.records[0].outcome, Outcome::Skipped { reason: SkipReason::Missing });
}

#[tokio::test]
async fn storage_failures_fail_the_event_after_the_other_records_are_done() {
    let store = CountingStore::new(MemoryStore::new());
    store.inner.insert("uploads", "ok.jpg", PHOTO_A.to_vec());
    store.inner.insert("uploads", "unlucky.jpg", PHOTO_B.to_vec());
    store.inner.insert("uploads", "bad.jpg", truncated_jpeg());
    store.fail_puts_to("avatars/unlucky.jpg");
    let records = vec![
        record_with(
            "uploads",
            "ok.jpg",
            "ObjectCreated:Put",
            Some(&etag_of(&store.inner, "uploads", "ok.jpg").await),
            None,
        ),
        record_with(
            "uploads",
            "unlucky.jpg",
            "ObjectCreated:Put",
            Some(&etag_of(&store.inner, "uploads", "unlucky.jpg").await),
            None,
        ),
        record("uploads", "bad.jpg"),
    ];

    let err = handle_event(&store, &config(), event(records.clone())).await.unwrap_err();
    let HandlerError::Transient { failed, total, first, report } = &err else { panic!("unexpected {err:?}") };
    assert_eq!((*failed, *total), (1, 3));
    assert!(first.contains("avatars/unlucky.jpg"), "{first}");
    assert!(matches!(outcome_of(report, "ok.jpg"), Outcome::Processed { .. }));
    assert!(matches!(outcome_of(report, "unlucky.jpg"), Outcome::Failed { .. }));
    assert!(matches!(outcome_of(report, "bad.jpg"), Outcome::Rejected { .. }));
    let diagnostic: lambda_runtime::Diagnostic = err.clone().into();
    assert_eq!(diagnostic.error_type, "TransientStorageError");

    // Lambda retries the whole event once storage is back: the finished record is not
    // redone, the failed one is.
    store.heal();
    let puts_before = store.puts.load(Ordering::SeqCst);
    let report = handle_event(&store, &config(), event(records)).await.unwrap();
    assert_eq!(*outcome_of(&report, "ok.jpg"), Outcome::UpToDate { output: "avatars/ok.jpg".into() });
    assert!(matches!(outcome_of(&report, "unlucky.jpg"), Outcome::Processed { .. }));
    assert_eq!(store.puts.load(Ordering::SeqCst) - puts_before, 1, "only the failed avatar is written again");
    assert_avatar(&store.inner, "avatars/unlucky.jpg", 512);
}

#[tokio::test]
async fn a_failed_download_is_transient() {
    let store = CountingStore::new(MemoryStore::new());
    store.inner.insert("uploads", "me.jpg", PHOTO_A.to_vec());
    store.fail_gets.store(true, std::sync::atomic::Ordering::SeqCst);
    let err = handle_event(&store, &config(), event(vec![record("uploads", "me.jpg")])).await.unwrap_err();
    assert!(err.to_string().contains("connection reset"), "{err}");
}

#[tokio::test]
async fn retries_are_idempotent() {
    let store = CountingStore::new(MemoryStore::new());
    store.inner.insert("uploads", "me.jpg", PHOTO_A.to_vec());
    let etag = etag_of(&store.inner, "uploads", "me.jpg").await;
    let e = || event(vec![record_with("uploads", "me.jpg", "ObjectCreated:Put", Some(&format!("\"{etag}\"")), None)]);

    handle_event(&store, &config(), e()).await.unwrap();
    let written = store.inner.object("assets", "avatars/me.jpg").unwrap();
    let (gets, puts) = (store.gets.load(Ordering::SeqCst), store.puts.load(Ordering::SeqCst));
    let report = handle_event(&store, &config(), e()).await.unwrap();
    assert!(matches!(report.records[0].outcome, Outcome::UpToDate { .. }));
    assert_eq!((store.gets.load(Ordering::SeqCst), store.puts.load(Ordering::SeqCst)), (gets, puts));
    assert_eq!(store.inner.object("assets", "avatars/me.jpg").unwrap(), written);

    // A new upload under the same key, or new settings, is processed again.
    store.inner.insert("uploads", "me.jpg", PHOTO_B.to_vec());
    let etag = etag_of(&store.inner, "uploads", "me.jpg").await;
    let e = event(vec![record_with("uploads", "me.jpg", "ObjectCreated:Put", Some(&etag), None)]);
    assert_eq!(handle_event(&store, &config(), e).await.unwrap().processed(), 1);
    let mut c = config();
    c.quality = 60;
    let e = event(vec![record_with("uploads", "me.jpg", "ObjectCreated:Put", Some(&etag), None)]);
    assert_eq!(handle_event(&store, &c, e).await.unwrap().processed(), 1);
}

/// A store holding `uploads/me.jpg`, processed with the function's environment `vars` (and
/// `DEST_BUCKET_NAME=assets`): the store and the avatars written, main first.
async fn process_me(vars: &[(&str, &str)]) -> (MemoryStore, Vec<WrittenAvatar>) {
    let store = MemoryStore::new();
    store.insert("uploads", "me.jpg", PHOTO_A.to_vec());
    let c = Config::from_lookup(|name| match name {
        "DEST_BUCKET_NAME" => Some("assets".into()),
        _ => vars.iter().find(|(k, _)| *k == name).map(|(_, v)| (*v).to_owned()),
    })
    .unwrap();
    let report = handle_event(&store, &c, event(vec![record("uploads", "me.jpg")])).await.unwrap();
    let Outcome::Processed { outputs, .. } = &report.records[0].outcome else { panic!("{report:?}") };
    (store, outputs.clone())
}

#[tokio::test]
async fn extra_sizes_and_formats() {
    let (store, outputs) = process_me(&[("SIZES", "256,64"), ("CACHE_CONTROL", "public, max-age=60")]).await;
    let sizes: Vec<_> = outputs.iter().map(|o| (o.key.as_str(), o.width, o.height)).collect();
    assert_eq!(sizes, [("avatars/me.jpg", 256, 256), ("avatars/me-64.jpg", 64, 64)]);
    for (key, size) in [("avatars/me.jpg", 256), ("avatars/me-64.jpg", 64)] {
        let o = store.object("assets", key).unwrap();
        assert_eq!(
            (thumbing::probe(&o.data).unwrap().width, o.cache_control.as_deref()),
            (size, Some("public, max-age=60"))
        );
    }

    let mut webp = Config::new("assets");
    webp.format = thumbing::OutputFormat::WebP;
    handle_event(&store, &webp, event(vec![record("uploads", "me.jpg")])).await.unwrap();
    let o = store.object("assets", "avatars/me.webp").unwrap();
    assert_eq!(o.content_type.as_deref(), Some("image/webp"));
    assert_eq!(thumbing::probe(&o.data).unwrap().format, thumbing::ImageFormat::WebP);

    // Several formats per upload: every size in each, with its own Content-Type.
    let (store, outputs) = process_me(&[("SIZES", "128,32"), ("OUTPUT_FORMAT", "jpeg, webp,avif")]).await;
    let keys: Vec<_> = outputs.iter().map(|o| o.key.as_str()).collect();
    let expected =
        ["me.jpg", "me.webp", "me.avif", "me-32.jpg", "me-32.webp", "me-32.avif"].map(|k| format!("avatars/{k}"));
    assert_eq!(keys, expected);
    for key in &expected {
        let o = store.object("assets", key).unwrap();
        let mime = match &key[key.rfind('.').unwrap()..] {
            ".jpg" => "image/jpeg",
            ".webp" => "image/webp",
            _ => "image/avif",
        };
        assert_eq!(o.content_type.as_deref(), Some(mime), "{key}");
        if mime == "image/avif" {
            assert_eq!(&o.data[4..12], b"ftypavif", "{key}");
        } else {
            let info = thumbing::probe(&o.data).unwrap();
            assert_eq!(info.width, if key.contains("-32") { 32 } else { 128 }, "{key}");
        }
    }
}

#[tokio::test]
async fn payloads_test_events_and_garbage() {
    let store = MemoryStore::new();
    store.insert("uploads", "me.jpg", PHOTO_A.to_vec());
    let payload = json!({"Records": [record("uploads", "me.jpg")]});
    assert_eq!(handle_payload(&store, &config(), payload).await.unwrap().processed(), 1);
    let test_event = json!({"Service": "Amazon S3", "Event": "s3:TestEvent", "Time": "2024-05-01T12:00:00.000Z", "Bucket": "uploads"});
    assert!(handle_payload(&store, &config(), test_event).await.unwrap().records.is_empty());
    let err = handle_payload(&store, &config(), json!({"hello": "world"})).await.unwrap_err();
    assert!(matches!(err, HandlerError::InvalidEvent(_)), "{err:?}");
}

#[tokio::test]
async fn the_report_serializes_as_the_function_response() {
    let store = MemoryStore::new();
    store.insert("uploads", "me.jpg", PHOTO_A.to_vec());
    store.insert("uploads", "bad.jpg", truncated_jpeg());
    let e = event(vec![record("uploads", "me.jpg"), record("uploads", "bad.jpg"), record("assets", "avatars/x.jpg")]);
    let report = handle_event(&store, &config(), e).await.unwrap();
    let value = serde_json::to_value(&report).unwrap();
    let records = value["records"].as_array().unwrap();
    assert_eq!(records[0]["status"], "processed");
    assert_eq!(records[0]["outputs"][0]["key"], "avatars/me.jpg");
    assert_eq!(records[0]["outputs"][0]["width"], 512);
    assert_eq!(records[1]["status"], "rejected");
    assert_eq!(records[1]["error_kind"], "corrupt");
    assert_eq!(records[1]["action"], "tagged");
    assert_eq!(records[2]["status"], "skipped");
    assert_eq!(records[2]["reason"], "own_output");
}
