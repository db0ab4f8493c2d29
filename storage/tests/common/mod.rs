//! Behaviour every [`Store`] shares, checked the same way on each of them.

use thumbing_storage::{ListedObject, PutOptions, Store, list_all};

/// Keys out of order, with a space, a non-ASCII name, a folder and a name that only shares a
/// prefix with it, so that order and prefix matching are both put to the test.
const KEYS: &[&str] =
    &["uploads/b.jpg", "uploads/a b.png", "uploads/é.jpg", "uploads-old/x.jpg", "uploads/sub/c.gif", "z.jpg"];

/// Lists `bucket` (empty, or missing where the store allows it) in pages and checks order,
/// prefixes, `start_after`, sizes and ETags against what was written.
pub async fn listing_follows_s3(store: &dyn Store, bucket: &str) {
    for (i, key) in KEYS.iter().enumerate() {
        store.put(bucket, key, vec![7; i + 1], PutOptions::default()).await.unwrap();
    }
    let keys = |objects: &[ListedObject]| objects.iter().map(|o| o.key.clone()).collect::<Vec<_>>();

    // Byte order: ' ' < '/' < 'a' … and 'é' (0xC3 0xA9) after every ASCII letter.
    let all = list_all(store, bucket, "uploads/", None).await.unwrap();
    assert_eq!(keys(&all), ["uploads/a b.png", "uploads/b.jpg", "uploads/sub/c.gif", "uploads/é.jpg"]);
    for object in &all {
        let written = KEYS.iter().position(|k| *k == object.key).unwrap();
        assert_eq!(object.size, written as u64 + 1, "{}", object.key);
        if let Some(etag) = &object.etag {
            let head = store.head(bucket, &object.key).await.unwrap().unwrap();
            assert_eq!(Some(etag), head.etag.as_ref(), "the listed ETag is the object's");
        }
    }

    // Pages of two, each resuming after the previous page's last key.
    let first = store.list(bucket, "uploads/", None, 2).await.unwrap();
    assert_eq!(keys(&first.objects), ["uploads/a b.png", "uploads/b.jpg"]);
    assert!(first.truncated);
    let second = store.list(bucket, "uploads/", Some("uploads/b.jpg"), 2).await.unwrap();
    assert_eq!(keys(&second.objects), ["uploads/sub/c.gif", "uploads/é.jpg"]);
    assert!(!second.truncated);

    // A position between keys, the whole bucket, and a prefix with no match.
    let rest = list_all(store, bucket, "", Some("uploads/c")).await.unwrap();
    assert_eq!(keys(&rest), ["uploads/sub/c.gif", "uploads/é.jpg", "z.jpg"]);
    assert_eq!(list_all(store, bucket, "", None).await.unwrap().len(), KEYS.len());
    assert!(store.list(bucket, "nothing/", None, 10).await.unwrap().objects.is_empty());
}
