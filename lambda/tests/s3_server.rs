//! The handler on an [`S3Store`] against a real S3-compatible server on 127.0.0.1.
//!
//! `scripts/test-lambda.sh` starts `moto_server` and passes its address in
//! `THUMBING_TEST_S3_ENDPOINT`. Photos come from the shared corpus (`THUMBING_CORPUS`,
//! default `../shared/corpus` beside the repository). Without either, the tests say they
//! skipped — and fail instead when `CI=true`.

use std::io::Write;
use std::ops::ControlFlow;
use std::path::PathBuf;

use aws_sdk_s3::primitives::ByteStream;
use serde_json::Value;
use thumbing_lambda::handler::{
    ActionTaken, Config, HandlerError, META_SETTINGS, META_SOURCE, META_SOURCE_ETAG, Outcome, REJECTED_TAG, Report,
    SkipReason, handle_payload,
};
use thumbing_lambda::regenerate::{RegenerateOptions, Stop, regenerate};
use thumbing_storage::{S3Store, Store};

const ENDPOINT_VAR: &str = "THUMBING_TEST_S3_ENDPOINT";

/// The photos uploaded, as (corpus path, key). One key has a space and a plus, which the
/// event spells `+` and `%2B`.
const PHOTOS: &[(&str, &str)] = &[
    ("photos-exif-samples/HMD_Nokia_8.3_5G.jpg", "3f9c2a1e-nokia.jpg"),
    ("photos-exif-samples/iphone_hdr_NO.jpg", "uploads/7d41 iphone+hdr.jpg"),
    ("sharp-fixtures/2569067123_aca715a2ee_o.jpg", "b5e0c6aa.jpeg"),
    ("sharp-fixtures/flowers.jpeg", "flowers.jpeg"),
];

/// Files that are not usable images, as (corpus path, key, expected error category).
const BAD: &[(&str, &str, &str)] = &[
    ("sharp-fixtures/corrupt-header.jpg", "corrupt header.jpg", "corrupt"),
    ("sharp-fixtures/truncated.jpg", "truncated.jpg", "corrupt"),
    ("sharp-fixtures/8bit_depth.tiff", "scan.tiff", "unsupported_format"),
];

fn ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true")
}

/// Returns the value of a required resource, or `None` after saying why the test is
/// skipped; panics instead under `CI=true`.
fn require<T>(what: Option<T>, missing: &str) -> Option<T> {
    if what.is_none() {
        if ci() {
            panic!("{missing} (CI=true: this test must run)");
        }
        // Written to the stream itself, past the test harness's output capture, so that
        // the skip shows in a normal `cargo test` run.
        let _ = writeln!(std::io::stderr(), "SKIPPED: {missing}");
    }
    what
}

fn endpoint() -> Option<String> {
    require(
        std::env::var(ENDPOINT_VAR).ok().filter(|v| !v.is_empty()),
        &format!("{ENDPOINT_VAR} is not set; run scripts/test-lambda.sh, which starts moto_server on 127.0.0.1"),
    )
}

fn corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("THUMBING_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    require(
        dir.join("MANIFEST.tsv").is_file().then_some(dir.clone()),
        &format!("the image corpus is not at {} (set THUMBING_CORPUS)", dir.display()),
    )
}

fn store(endpoint: &str) -> S3Store {
    S3Store::builder()
        .region("us-east-1")
        .credentials("testing", "testing", None)
        .endpoint_url(endpoint)
        .build()
        .unwrap()
}

/// Bucket names unique to this run, so a long-lived server can be reused.
fn unique(name: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    format!("{name}-{}-{nanos}", std::process::id())
}

async fn create_bucket(store: &S3Store, bucket: &str) {
    store
        .client()
        .create_bucket()
        .bucket(bucket)
        .send()
        .await
        .unwrap_or_else(|e| panic!("creating bucket {bucket}: {}", aws_sdk_s3::error::DisplayErrorContext(e)));
}

async fn upload(store: &S3Store, bucket: &str, key: &str, data: Vec<u8>) {
    store
        .client()
        .put_object()
        .bucket(bucket)
        .key(key)
        .body(ByteStream::from(data))
        .send()
        .await
        .unwrap_or_else(|e| panic!("uploading {key}: {}", aws_sdk_s3::error::DisplayErrorContext(e)));
}

/// A key as S3 event notifications spell it: form-URL-encoded, `/` kept, space as `+`.
fn event_key(key: &str) -> String {
    let mut out = String::new();
    for byte in key.bytes() {
        match byte {
            b' ' => out.push('+'),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => out.push(byte as char),
            _ => out.push_str(&format!("%{byte:02X}")),
        }
    }
    out
}

/// An `ObjectCreated:Put` event for `keys`, built from the Lambda console's S3 test event
/// (`tests/events/s3-put.json`), with each object's real size and ETag.
async fn put_event(store: &S3Store, bucket: &str, keys: &[&str]) -> Value {
    let template: Value = serde_json::from_str(include_str!("events/s3-put.json")).unwrap();
    let mut records = Vec::new();
    for key in keys {
        let meta = store.head(bucket, key).await.unwrap().unwrap_or_else(|| panic!("{key} was not uploaded"));
        let mut record = template["Records"][0].clone();
        record["s3"]["bucket"]["name"] = bucket.into();
        record["s3"]["bucket"]["arn"] = format!("arn:aws:s3:::{bucket}").into();
        record["s3"]["object"]["key"] = event_key(key).into();
        record["s3"]["object"]["size"] = meta.size.into();
        record["s3"]["object"]["eTag"] = meta.etag.unwrap().into();
        records.push(record);
    }
    serde_json::json!({ "Records": records })
}

fn config(dest: &str, extra: &[(&str, &str)]) -> Config {
    // The original function's environment, plus `extra`.
    let mut vars = vec![
        ("DEST_BUCKET_NAME", dest.to_owned()),
        ("FOLDER_INPUT", String::new()),
        ("FOLDER_OUTPUT", "avatars".to_owned()),
        ("PROCESS_WIDTH", "512".to_owned()),
        ("PROCESS_HEIGHT", "512".to_owned()),
    ];
    vars.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
    Config::from_lookup(|name| vars.iter().rev().find(|(k, _)| *k == name).map(|(_, v)| v.clone())).unwrap()
}

fn outcome<'a>(report: &'a Report, key: &str) -> &'a Outcome {
    &report.records.iter().find(|r| r.key == key).unwrap_or_else(|| panic!("no record for {key}")).outcome
}

async fn list(store: &S3Store, bucket: &str) -> Vec<String> {
    let out = store.client().list_objects_v2().bucket(bucket).send().await.unwrap();
    let mut keys: Vec<String> = out.contents().iter().filter_map(|o| o.key().map(str::to_owned)).collect();
    keys.sort();
    keys
}

#[tokio::test]
async fn uploads_become_avatars_in_the_assets_bucket() {
    let (Some(endpoint), Some(corpus)) = (endpoint(), corpus()) else { return };
    let store = store(&endpoint);
    let (uploads, assets) = (unique("uploads"), unique("assets"));
    create_bucket(&store, &uploads).await;
    create_bucket(&store, &assets).await;
    for (path, key) in PHOTOS {
        upload(&store, &uploads, key, std::fs::read(corpus.join(path)).unwrap()).await;
    }
    for (path, key, _) in BAD {
        upload(&store, &uploads, key, std::fs::read(corpus.join(path)).unwrap()).await;
    }
    // Bad files in the middle of the batch.
    let keys: Vec<&str> = [PHOTOS[0].1, BAD[0].1, PHOTOS[1].1, BAD[1].1, PHOTOS[2].1, BAD[2].1, PHOTOS[3].1].to_vec();
    let event = put_event(&store, &uploads, &keys).await;
    let config = config(&assets, &[]);

    let report = handle_payload(&store, &config, event.clone()).await.expect("bad files must not fail the batch");
    assert_eq!((report.processed(), report.rejected(), report.failed()), (PHOTOS.len(), BAD.len(), 0), "{report:#?}");

    let expected_avatars =
        ["avatars/3f9c2a1e-nokia.jpg", "avatars/7d41 iphone+hdr.jpg", "avatars/b5e0c6aa.jpg", "avatars/flowers.jpg"];
    assert_eq!(list(&store, &assets).await, expected_avatars);
    for (key, (_, source_key)) in expected_avatars.iter().zip(PHOTOS) {
        let head = store.client().head_object().bucket(&assets).key(*key).send().await.unwrap();
        assert_eq!(head.content_type(), Some("image/jpeg"), "{key}");
        assert_eq!(head.cache_control(), Some(config.cache_control.as_str()), "{key}");
        let meta = head.metadata().unwrap();
        assert_eq!(meta[META_SOURCE], format!("{uploads}/{source_key}"));
        let source_etag = store.head(&uploads, source_key).await.unwrap().unwrap().etag.unwrap();
        assert_eq!(meta[META_SOURCE_ETAG], source_etag);

        let avatar = store.get(&assets, key, u64::MAX).await.unwrap().data;
        let info = thumbing::probe(&avatar).unwrap();
        assert_eq!((info.format, info.width, info.height), (thumbing::ImageFormat::Jpeg, 512, 512), "{key}");
        assert!(!avatar.windows(4).any(|w| w == b"Exif"), "{key}: no EXIF may reach the avatar");
    }

    for (_, key, kind) in BAD {
        match outcome(&report, key) {
            Outcome::Rejected { error_kind, action, .. } => {
                assert_eq!((error_kind.as_str(), action), (*kind, &ActionTaken::Tagged), "{key}");
            }
            other => panic!("{key}: {other:?}"),
        }
        assert_eq!(store.tags(&uploads, key).await.unwrap(), [(REJECTED_TAG.to_owned(), (*kind).to_owned())]);
    }

    // A retry of the same event does nothing again.
    let retry = handle_payload(&store, &config, event).await.unwrap();
    for (_, key) in PHOTOS {
        assert!(matches!(outcome(&retry, key), Outcome::UpToDate { .. }), "{key}: {:?}", outcome(&retry, key));
    }

    // The notification for an avatar written to the assets bucket is refused.
    let own = put_event(&store, &assets, &["avatars/flowers.jpg"]).await;
    let report = handle_payload(&store, &config, own).await.unwrap();
    assert_eq!(report.records[0].outcome, Outcome::Skipped { reason: SkipReason::OwnOutput });
    assert_eq!(list(&store, &assets).await, expected_avatars);
}

#[tokio::test]
async fn rejected_uploads_can_be_moved_aside() {
    let (Some(endpoint), Some(corpus)) = (endpoint(), corpus()) else { return };
    let store = store(&endpoint);
    let (uploads, assets) = (unique("uploads"), unique("assets"));
    create_bucket(&store, &uploads).await;
    create_bucket(&store, &assets).await;
    let bad_key = "in/bad upload+1 é.jpg";
    upload(&store, &uploads, bad_key, std::fs::read(corpus.join("sharp-fixtures/truncated.jpg")).unwrap()).await;
    upload(&store, &uploads, "in/ok.jpg", std::fs::read(corpus.join("sharp-fixtures/flowers.jpeg")).unwrap()).await;
    let event = put_event(&store, &uploads, &[bad_key, "in/ok.jpg"]).await;
    let config = config(&assets, &[("ON_FAILURE", "move"), ("FOLDER_INPUT", "in"), ("SIZES", "512,128")]);

    let report = handle_payload(&store, &config, event).await.unwrap();

    let moved = format!("failed/{bad_key}");
    match outcome(&report, bad_key) {
        Outcome::Rejected { error_kind, action, .. } => {
            assert_eq!((error_kind.as_str(), action), ("corrupt", &ActionTaken::Moved(moved.clone())));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(list(&store, &uploads).await, [moved.as_str(), "in/ok.jpg"]);
    assert_eq!(list(&store, &assets).await, ["avatars/ok-128.jpg", "avatars/ok.jpg"]);
    let small = store.get(&assets, "avatars/ok-128.jpg", u64::MAX).await.unwrap().data;
    assert_eq!(thumbing::probe(&small).unwrap().width, 128);
}

#[tokio::test]
async fn an_unreachable_server_is_a_transient_failure() {
    let Some(_) = endpoint() else { return };
    // Nothing listens on port 1 of the loopback interface: connections are refused.
    let down = store("http://127.0.0.1:1");
    let template: Value = serde_json::from_str(include_str!("events/s3-put.json")).unwrap();
    let err = handle_payload(&down, &config("assets", &[]), template).await.unwrap_err();
    let HandlerError::Transient { failed, report, .. } = &err else { panic!("{err:?}") };
    assert_eq!(*failed, 1);
    assert_eq!(report.records[0].key, "test/key");
    assert!(err.to_string().contains("127.0.0.1") || err.to_string().contains("dispatch failure"), "{err}");
}

#[tokio::test]
async fn a_regeneration_over_s3_stops_and_resumes() {
    let Some(endpoint) = endpoint() else { return };
    let store = store(&endpoint);
    let (uploads, assets) = (unique("regen-uploads"), unique("regen-assets"));
    create_bucket(&store, &uploads).await;
    create_bucket(&store, &assets).await;
    let photo = |n: u8| std::fs::read(format!("{}/../fixtures/landscape_{n}.jpg", env!("CARGO_MANIFEST_DIR"))).unwrap();
    for (key, data) in [
        ("in/a user.jpg", photo(1)),
        ("in/b+c.jpg", photo(2)),
        ("in/broken.jpg", photo(3)[..4000].to_vec()),
        ("in/d.jpg", photo(4)),
        ("other/e.jpg", photo(5)),
    ] {
        upload(&store, &uploads, key, data).await;
    }
    // The avatars as they were made before the settings changed.
    let before = config(&assets, &[("FOLDER_INPUT", "in")]);
    let made = regenerate(&store, &before, &uploads, &RegenerateOptions::default(), &mut |_| ControlFlow::Continue(()))
        .await
        .unwrap();
    assert_eq!((made.this_run.processed, made.this_run.rejected), (3, 1), "{made:?}");

    // New settings: a second size. A run stopped after two uploads, then the rest.
    let after = config(&assets, &[("FOLDER_INPUT", "in"), ("SIZES", "512,96")]);
    let checkpoint = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{uploads}.json"));
    let options = RegenerateOptions { concurrency: 2, limit: Some(2), checkpoint: Some(checkpoint.clone()) };
    let first = regenerate(&store, &after, &uploads, &options, &mut |_| ControlFlow::Continue(())).await.unwrap();
    assert_eq!((first.stopped, first.this_run.processed), (Some(Stop::Limit), 2));
    let options = RegenerateOptions { limit: None, ..options };
    let second = regenerate(&store, &after, &uploads, &options, &mut |_| ControlFlow::Continue(())).await.unwrap();
    assert_eq!(second.resumed_after.as_deref(), Some("in/b+c.jpg"));
    assert_eq!((second.this_run.processed, second.this_run.rejected), (1, 1), "{second:?}");
    assert!(second.complete() && !checkpoint.exists());

    assert_eq!(
        list(&store, &assets).await,
        [
            "avatars/a user-96.jpg",
            "avatars/a user.jpg",
            "avatars/b+c-96.jpg",
            "avatars/b+c.jpg",
            "avatars/d-96.jpg",
            "avatars/d.jpg"
        ]
    );
    for key in ["avatars/a user.jpg", "avatars/b+c.jpg", "avatars/d.jpg"] {
        let head = store.head(&assets, key).await.unwrap().unwrap();
        assert_eq!(head.metadata[META_SETTINGS], after.fingerprint(), "{key}");
    }
    let small = store.get(&assets, "avatars/d-96.jpg", u64::MAX).await.unwrap().data;
    assert_eq!(thumbing::probe(&small).unwrap().width, 96);
}
