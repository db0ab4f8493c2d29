//! A [`Store`] in memory, for tests.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard};

use crate::{
    BoxFuture, ListPage, ListedObject, Object, ObjectMeta, PutOptions, Store, StoreError, StoreResult, Tags,
    content_etag, display_location,
};

/// One object held by a [`MemoryStore`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct StoredObject {
    /// The bytes.
    pub data: Vec<u8>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `Cache-Control` header.
    pub cache_control: Option<String>,
    /// User metadata.
    pub metadata: BTreeMap<String, String>,
    /// Object tags.
    pub tags: Tags,
}

impl StoredObject {
    fn meta(&self) -> ObjectMeta {
        ObjectMeta {
            size: self.data.len() as u64,
            etag: Some(content_etag(&self.data)),
            content_type: self.content_type.clone(),
            cache_control: self.cache_control.clone(),
            metadata: self.metadata.clone(),
        }
    }
}

/// A [`Store`] that keeps objects in a map. Buckets need not be created first. Besides the
/// trait's async methods it has synchronous helpers to seed and inspect it in tests.
///
/// ```
/// use thumbing_storage::MemoryStore;
/// let store = MemoryStore::new();
/// store.insert("uploads", "me.png", b"not really a png".to_vec());
/// assert_eq!(store.keys("uploads"), ["me.png"]);
/// assert_eq!(store.object("uploads", "me.png").unwrap().data.len(), 16);
/// ```
#[derive(Debug, Default)]
pub struct MemoryStore {
    objects: Mutex<BTreeMap<(String, String), StoredObject>>,
}

impl MemoryStore {
    /// An empty store.
    ///
    /// ```
    /// assert!(thumbing_storage::MemoryStore::new().keys("any").is_empty());
    /// ```
    pub fn new() -> Self {
        MemoryStore::default()
    }

    /// Stores `data` at `bucket`/`key` with no headers, replacing what was there.
    ///
    /// ```
    /// let store = thumbing_storage::MemoryStore::new();
    /// store.insert("b", "k", vec![1, 2, 3]);
    /// assert_eq!(store.object("b", "k").unwrap().data, [1, 2, 3]);
    /// ```
    pub fn insert(&self, bucket: &str, key: &str, data: Vec<u8>) {
        self.lock().insert((bucket.to_owned(), key.to_owned()), StoredObject { data, ..StoredObject::default() });
    }

    /// A copy of the object at `bucket`/`key`, if any.
    ///
    /// ```
    /// assert!(thumbing_storage::MemoryStore::new().object("b", "k").is_none());
    /// ```
    pub fn object(&self, bucket: &str, key: &str) -> Option<StoredObject> {
        self.lock().get(&(bucket.to_owned(), key.to_owned())).cloned()
    }

    /// The keys in `bucket`, sorted.
    ///
    /// ```
    /// let store = thumbing_storage::MemoryStore::new();
    /// store.insert("b", "z", vec![]);
    /// store.insert("b", "a", vec![]);
    /// assert_eq!(store.keys("b"), ["a", "z"]);
    /// ```
    pub fn keys(&self, bucket: &str) -> Vec<String> {
        self.lock().keys().filter(|(b, _)| b == bucket).map(|(_, k)| k.clone()).collect()
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<(String, String), StoredObject>> {
        // A panic while holding the lock cannot leave the map half-updated (every update
        // is a single insert or remove), so a poisoned lock is still safe to use.
        self.objects.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn with_object<T>(&self, bucket: &str, key: &str, f: impl FnOnce(&mut StoredObject) -> T) -> StoreResult<T> {
        let mut objects = self.lock();
        match objects.get_mut(&(bucket.to_owned(), key.to_owned())) {
            Some(object) => Ok(f(object)),
            None => Err(StoreError::not_found(bucket, key)),
        }
    }
}

impl Store for MemoryStore {
    fn get<'a>(&'a self, bucket: &'a str, key: &'a str, max_bytes: u64) -> BoxFuture<'a, StoreResult<Object>> {
        Box::pin(async move {
            let object = self.object(bucket, key).ok_or_else(|| StoreError::not_found(bucket, key))?;
            let size = object.data.len() as u64;
            if size > max_bytes {
                return Err(StoreError::too_large(bucket, key, size, max_bytes));
            }
            let meta = object.meta();
            Ok(Object { data: object.data, meta })
        })
    }

    fn head<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, StoreResult<Option<ObjectMeta>>> {
        Box::pin(async move { Ok(self.object(bucket, key).map(|o| o.meta())) })
    }

    fn put<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        data: Vec<u8>,
        options: PutOptions,
    ) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            let object = StoredObject {
                data,
                content_type: options.content_type,
                cache_control: options.cache_control,
                metadata: options.metadata,
                tags: Tags::new(),
            };
            self.lock().insert((bucket.to_owned(), key.to_owned()), object);
            Ok(())
        })
    }

    fn copy<'a>(
        &'a self,
        from_bucket: &'a str,
        from_key: &'a str,
        to_bucket: &'a str,
        to_key: &'a str,
    ) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            let mut objects = self.lock();
            let object = objects
                .get(&(from_bucket.to_owned(), from_key.to_owned()))
                .cloned()
                .ok_or_else(|| StoreError::not_found(from_bucket, from_key))?;
            objects.insert((to_bucket.to_owned(), to_key.to_owned()), object);
            Ok(())
        })
    }

    fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            self.lock().remove(&(bucket.to_owned(), key.to_owned()));
            Ok(())
        })
    }

    fn tags<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, StoreResult<Tags>> {
        Box::pin(async move { self.with_object(bucket, key, |o| o.tags.clone()) })
    }

    fn set_tags<'a>(&'a self, bucket: &'a str, key: &'a str, tags: Tags) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            if tags.len() > 10 {
                return Err(StoreError::new(
                    crate::StoreErrorKind::Invalid,
                    format!("{} would get {} tags; at most 10 are allowed", display_location(bucket, key), tags.len()),
                ));
            }
            self.with_object(bucket, key, |o| o.tags = tags)
        })
    }

    fn list<'a>(
        &'a self,
        bucket: &'a str,
        prefix: &'a str,
        start_after: Option<&'a str>,
        max_keys: usize,
    ) -> BoxFuture<'a, StoreResult<ListPage>> {
        Box::pin(async move {
            let objects = self.lock();
            let mut matching = objects
                .iter()
                .filter(|((b, k), _)| {
                    b == bucket && k.starts_with(prefix) && start_after.is_none_or(|a| k.as_str() > a)
                })
                .map(|((_, key), o)| ListedObject {
                    key: key.clone(),
                    size: o.data.len() as u64,
                    etag: Some(content_etag(&o.data)),
                });
            let page: Vec<ListedObject> = matching.by_ref().take(max_keys.max(1)).collect();
            Ok(ListPage { objects: page, truncated: matching.next().is_some() })
        })
    }
}
