//! [`S3Store`] against a real S3-compatible server on 127.0.0.1: every [`Store`] operation.
//!
//! `scripts/test-lambda.sh` starts `moto_server` and passes its address in
//! `THUMBING_TEST_S3_ENDPOINT`. Without it the test says it skipped — and fails instead
//! when `CI=true`.

use thumbing_storage::{PutOptions, S3Store, Store, StoreErrorKind};

/// The store on the test server, or `None` (after saying why) when there is none.
fn test_store() -> Option<S3Store> {
    let Some(endpoint) = std::env::var("THUMBING_TEST_S3_ENDPOINT").ok().filter(|v| !v.is_empty()) else {
        let why = "THUMBING_TEST_S3_ENDPOINT is not set; run scripts/test-lambda.sh, which starts moto_server";
        assert!(std::env::var("CI").map_or(true, |v| v != "true"), "{why} (CI=true: this test must run)");
        eprintln!("SKIPPED: {why}");
        return None;
    };
    let store = S3Store::builder().region("us-east-1").credentials("testing", "testing", None).endpoint_url(endpoint);
    Some(store.build().expect("a region and credentials are set"))
}

/// A new bucket whose name is unique to this run, so a long-lived server can be reused.
async fn new_bucket(store: &S3Store, name: &str) -> String {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().subsec_nanos();
    let bucket = format!("{name}-{}-{nanos}", std::process::id());
    let created = store.client().create_bucket().bucket(&bucket).send().await;
    created.unwrap_or_else(|e| panic!("creating bucket {bucket}: {}", aws_sdk_s3::error::DisplayErrorContext(e)));
    bucket
}

#[tokio::test]
async fn store_operations_round_trip() {
    let Some(store) = test_store() else { return };
    let bucket = new_bucket(&store, "store").await;
    let options = PutOptions::default().content_type("image/png").cache_control("no-cache").metadata("origin", "test");
    store.put(&bucket, "a/b c.png", b"12345".to_vec(), options).await.unwrap();

    let object = store.get(&bucket, "a/b c.png", 5).await.unwrap();
    assert_eq!(object.data, b"12345");
    assert_eq!(object.meta.content_type.as_deref(), Some("image/png"));
    assert_eq!(object.meta.cache_control.as_deref(), Some("no-cache"));
    assert_eq!(object.meta.metadata["origin"], "test");
    assert!(!object.meta.etag.as_deref().unwrap().contains('"'));
    let err = store.get(&bucket, "a/b c.png", 4).await.unwrap_err();
    assert_eq!(err.kind(), StoreErrorKind::TooLarge);
    assert_eq!(store.get(&bucket, "nope", 10).await.unwrap_err().kind(), StoreErrorKind::NotFound);
    let missing_bucket = format!("{bucket}-missing");
    assert_eq!(store.get(&missing_bucket, "x", 10).await.unwrap_err().kind(), StoreErrorKind::NotFound);
    assert!(store.head(&bucket, "nope").await.unwrap().is_none());

    store.copy(&bucket, "a/b c.png", &bucket, "d/e+f.png").await.unwrap();
    assert_eq!(store.get(&bucket, "d/e+f.png", 10).await.unwrap().data, b"12345");
    store.set_tags(&bucket, "d/e+f.png", vec![("k".into(), "v".into())]).await.unwrap();
    assert_eq!(store.tags(&bucket, "d/e+f.png").await.unwrap(), [("k".to_owned(), "v".to_owned())]);
    store.delete(&bucket, "a/b c.png").await.unwrap();
    store.delete(&bucket, "a/b c.png").await.unwrap();
    let listed = store.client().list_objects_v2().bucket(&bucket).send().await.unwrap();
    let keys: Vec<_> = listed.contents().iter().filter_map(|o| o.key()).collect();
    assert_eq!(keys, ["d/e+f.png"]);
}

mod common;

#[tokio::test]
async fn listing_is_in_key_order_and_resumable() {
    let Some(store) = test_store() else { return };
    let bucket = new_bucket(&store, "list").await;
    common::listing_follows_s3(&store, &bucket).await;
    let missing = format!("{bucket}-missing");
    assert_eq!(store.list(&missing, "", None, 10).await.unwrap_err().kind(), StoreErrorKind::NotFound);
}
