//! Test helpers shared by the handler's and the regeneration's tests.
#![allow(dead_code)]

use std::collections::HashSet;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use thumbing_storage::{
    BoxFuture, ListPage, MemoryStore, Object, ObjectMeta, PutOptions, Store, StoreError, StoreErrorKind, StoreResult,
    Tags,
};

/// A [`Store`] around a [`MemoryStore`] that counts requests and can be told to fail
/// some of them the way a network or S3 outage would.
pub struct CountingStore {
    pub inner: MemoryStore,
    pub gets: AtomicUsize,
    pub puts: AtomicUsize,
    pub fail_gets: AtomicBool,
    failing_put_keys: Mutex<HashSet<String>>,
}

impl CountingStore {
    pub fn new(inner: MemoryStore) -> Self {
        CountingStore {
            inner,
            gets: AtomicUsize::new(0),
            puts: AtomicUsize::new(0),
            fail_gets: Default::default(),
            failing_put_keys: Mutex::default(),
        }
    }

    pub fn fail_puts_to(&self, key: &str) {
        self.failing_put_keys.lock().unwrap().insert(key.to_owned());
    }

    pub fn heal(&self) {
        self.failing_put_keys.lock().unwrap().clear();
        self.fail_gets.store(false, Ordering::SeqCst);
    }

    fn outage(what: &str, key: &str) -> StoreError {
        StoreError::new(StoreErrorKind::Backend, format!("{what} {key} failed: connection reset by peer"))
    }
}

impl Store for CountingStore {
    fn get<'a>(&'a self, bucket: &'a str, key: &'a str, max_bytes: u64) -> BoxFuture<'a, StoreResult<Object>> {
        self.gets.fetch_add(1, Ordering::SeqCst);
        if self.fail_gets.load(Ordering::SeqCst) {
            return Box::pin(async move { Err(CountingStore::outage("GET", key)) });
        }
        self.inner.get(bucket, key, max_bytes)
    }

    fn head<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, StoreResult<Option<ObjectMeta>>> {
        self.inner.head(bucket, key)
    }

    fn put<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        data: Vec<u8>,
        options: PutOptions,
    ) -> BoxFuture<'a, StoreResult<()>> {
        self.puts.fetch_add(1, Ordering::SeqCst);
        if self.failing_put_keys.lock().unwrap().contains(key) {
            return Box::pin(async move { Err(CountingStore::outage("PUT", key)) });
        }
        self.inner.put(bucket, key, data, options)
    }

    fn copy<'a>(
        &'a self,
        from_bucket: &'a str,
        from_key: &'a str,
        to_bucket: &'a str,
        to_key: &'a str,
    ) -> BoxFuture<'a, StoreResult<()>> {
        self.inner.copy(from_bucket, from_key, to_bucket, to_key)
    }

    fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        self.inner.delete(bucket, key)
    }

    fn tags<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, StoreResult<Tags>> {
        self.inner.tags(bucket, key)
    }

    fn set_tags<'a>(&'a self, bucket: &'a str, key: &'a str, tags: Tags) -> BoxFuture<'a, StoreResult<()>> {
        self.inner.set_tags(bucket, key, tags)
    }

    fn list<'a>(
        &'a self,
        bucket: &'a str,
        prefix: &'a str,
        start_after: Option<&'a str>,
        max_keys: usize,
    ) -> BoxFuture<'a, StoreResult<ListPage>> {
        self.inner.list(bucket, prefix, start_after, max_keys)
    }
}
