//! The folder-backed store: the same behaviour as S3 for everything the avatar services
//! use, and no way out of its root. Listings are checked here for the memory store too.

use std::path::{Path, PathBuf};

use thumbing_storage::{LocalStore, PutOptions, Store, StoreErrorKind};

/// An empty folder for one test, under Cargo's temporary folder for integration tests.
fn fresh_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[tokio::test]
async fn objects_round_trip_with_headers_metadata_and_tags() {
    let root = fresh_dir("local-round-trip");
    let store = LocalStore::new(&root);
    let options = PutOptions::default().content_type("image/jpeg").cache_control("no-cache").metadata("a", "1");
    store.put("assets", "avatars/me.jpg", b"abc".to_vec(), options).await.unwrap();
    assert_eq!(std::fs::read(root.join("assets/avatars/me.jpg")).unwrap(), b"abc");

    let object = store.get("assets", "avatars/me.jpg", 3).await.unwrap();
    assert_eq!(object.data, b"abc");
    assert_eq!(object.meta.content_type.as_deref(), Some("image/jpeg"));
    assert_eq!(object.meta.cache_control.as_deref(), Some("no-cache"));
    assert_eq!(object.meta.metadata["a"], "1");
    assert_eq!(object.meta.size, 3);
    assert_eq!(store.get("assets", "avatars/me.jpg", 2).await.unwrap_err().kind(), StoreErrorKind::TooLarge);

    // Replacing an object changes its ETag and drops its old headers.
    let before = object.meta.etag.unwrap();
    store.put("assets", "avatars/me.jpg", b"abcd".to_vec(), PutOptions::default()).await.unwrap();
    let meta = store.head("assets", "avatars/me.jpg").await.unwrap().unwrap();
    assert_ne!(meta.etag.unwrap(), before);
    assert_eq!(meta.content_type, None);

    store.set_tags("assets", "avatars/me.jpg", vec![("k".into(), "v".into())]).await.unwrap();
    assert_eq!(store.tags("assets", "avatars/me.jpg").await.unwrap(), [("k".to_owned(), "v".to_owned())]);
    let eleven: Vec<_> = (0..11).map(|i| (format!("k{i}"), String::new())).collect();
    assert_eq!(store.set_tags("assets", "avatars/me.jpg", eleven).await.unwrap_err().kind(), StoreErrorKind::Invalid);

    store.copy("assets", "avatars/me.jpg", "backup", "me copy.jpg").await.unwrap();
    assert_eq!(store.get("backup", "me copy.jpg", 10).await.unwrap().data, b"abcd");
    assert!(store.tags("backup", "me copy.jpg").await.unwrap().is_empty(), "a copy starts without tags");

    store.delete("assets", "avatars/me.jpg").await.unwrap();
    store.delete("assets", "avatars/me.jpg").await.unwrap();
    assert!(store.head("assets", "avatars/me.jpg").await.unwrap().is_none());
    assert_eq!(store.get("assets", "avatars/me.jpg", 10).await.unwrap_err().kind(), StoreErrorKind::NotFound);
    assert_eq!(store.tags("assets", "avatars/me.jpg").await.unwrap_err().kind(), StoreErrorKind::NotFound);
}

#[tokio::test]
async fn keys_cannot_leave_the_root() {
    let root = fresh_dir("local-escape");
    let store = LocalStore::new(root.join("inner"));
    for (bucket, key) in [
        ("b", "../x"),
        ("b", "a/../../x"),
        ("b", "/etc/passwd"),
        ("b", "a//b"),
        ("b", "a/./b"),
        ("b", ""),
        ("b", "a\\..\\x"),
        ("..", "x"),
        (".meta", "x"),
        ("B", "x"),
        ("a/b", "x"),
    ] {
        let err = store.put(bucket, key, b"x".to_vec(), PutOptions::default()).await.unwrap_err();
        assert_eq!(err.kind(), StoreErrorKind::Invalid, "{bucket}/{key}");
    }
    assert!(!root.join("x").exists());
}

mod common;

#[tokio::test]
async fn listing_is_in_key_order_and_resumable() {
    let root = fresh_dir("local-list");
    let store = LocalStore::new(&root);
    common::listing_follows_s3(&store, "uploads").await;
    // A bucket that was never written to is empty, as buckets need no creating here.
    assert!(store.list("never-written", "", None, 10).await.unwrap().objects.is_empty());
    // The store's own bookkeeping (headers, staged writes) is not listed.
    store.put("uploads", "uploads/meta.jpg", vec![1], PutOptions::default().content_type("image/jpeg")).await.unwrap();
    let listed = thumbing_storage::list_all(&store, "uploads", "", None).await.unwrap();
    assert!(listed.iter().all(|o| !o.key.contains(".meta") && !o.key.contains(".tmp")), "{listed:?}");
}

#[tokio::test]
async fn the_memory_store_lists_the_same_way() {
    let store = thumbing_storage::MemoryStore::new();
    common::listing_follows_s3(&store, "uploads").await;
    assert!(store.list("never-written", "", None, 10).await.unwrap().objects.is_empty());
}
