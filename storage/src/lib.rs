//! Object storage for thumbing's services behind one small trait, [`Store`], so the same
//! avatar logic runs against Amazon S3 (or any S3-compatible server), a folder on disk, or
//! memory. The AWS Lambda handler (`thumbing-lambda`) and the avatar service
//! (`examples/avatar-service`) both store their files through it.
//!
//! Start with [`Store`]; then the implementation you need:
//!
//! | implementation | for |
//! | --- | --- |
//! | [`S3Store`] | production: Amazon S3, or an S3-compatible server (MinIO, moto, …) |
//! | [`LocalStore`] | examples and local development: `<root>/<bucket>/<key>` on disk |
//! | [`MemoryStore`] | tests: a map in memory |
//!
//! The trait speaks S3's vocabulary — buckets, keys, ETags, `Content-Type`, `Cache-Control`,
//! user metadata, object tags, listings in key order — and nothing more than the avatar
//! pipeline needs. Every
//! method returns a boxed future, so the trait is object-safe: a web service can hold an
//! `Arc<dyn Store>` and pick the implementation at start-up. Errors are one
//! [`StoreError`] whose [`kind`](StoreError::kind) tells a missing object, an oversized one
//! and an invalid request (permanent) from a backend failure (worth retrying).
//!
//! ```
//! use thumbing_storage::{MemoryStore, PutOptions, Store};
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let store = MemoryStore::new();
//! store.put("assets", "avatars/me.jpg", b"jpeg bytes".to_vec(), PutOptions::default().content_type("image/jpeg")).await?;
//! let object = store.get("assets", "avatars/me.jpg", u64::MAX).await?;
//! assert_eq!(object.data, b"jpeg bytes");
//! assert_eq!(object.meta.content_type.as_deref(), Some("image/jpeg"));
//! # Ok::<(), thumbing_storage::StoreError>(())
//! # }).unwrap();
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;

mod local;
mod memory;
mod s3;

pub use local::LocalStore;
pub use memory::{MemoryStore, StoredObject};
pub use s3::{S3Store, S3StoreBuilder};

/// A boxed, sendable future: what every [`Store`] method returns.
pub type BoxFuture<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// The result of a [`Store`] operation.
pub type StoreResult<T> = Result<T, StoreError>;

/// Object tags, as (key, value) pairs. S3 allows at most 10 per object.
pub type Tags = Vec<(String, String)>;

/// Object storage addressed by bucket and key.
///
/// Implementations must be safe to share between tasks. Writes replace whole objects and
/// are atomic from a reader's point of view (a reader sees the old or the new object, never
/// a mix), which is what makes retried avatar writes idempotent.
pub trait Store: Send + Sync {
    /// Reads a whole object. Fails with [`StoreErrorKind::TooLarge`] — without reading the
    /// body — when the object is larger than `max_bytes`, and with
    /// [`StoreErrorKind::NotFound`] when the bucket or the object does not exist.
    fn get<'a>(&'a self, bucket: &'a str, key: &'a str, max_bytes: u64) -> BoxFuture<'a, StoreResult<Object>>;

    /// Reads an object's metadata, or `None` when it does not exist.
    fn head<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, StoreResult<Option<ObjectMeta>>>;

    /// Creates or replaces an object.
    fn put<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        data: Vec<u8>,
        options: PutOptions,
    ) -> BoxFuture<'a, StoreResult<()>>;

    /// Copies an object, with its content type and metadata, within or across buckets.
    fn copy<'a>(
        &'a self,
        from_bucket: &'a str,
        from_key: &'a str,
        to_bucket: &'a str,
        to_key: &'a str,
    ) -> BoxFuture<'a, StoreResult<()>>;

    /// Deletes an object. Deleting an object that does not exist succeeds, as in S3.
    fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, StoreResult<()>>;

    /// Reads an object's tags.
    fn tags<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, StoreResult<Tags>>;

    /// Replaces an object's whole tag set.
    fn set_tags<'a>(&'a self, bucket: &'a str, key: &'a str, tags: Tags) -> BoxFuture<'a, StoreResult<()>>;

    /// Lists up to `max_keys` objects of `bucket` whose keys start with `prefix` and sort
    /// after `start_after` (when given), in ascending order of their UTF-8 bytes — S3's
    /// `ListObjectsV2` with `StartAfter`. A `max_keys` of 0 is taken as 1, and S3 answers at
    /// most 1000 keys a page whatever is asked. When [`ListPage::truncated`] is set, more objects
    /// follow: list again from the page's last key ([`list_all`] does). Because the order is
    /// fixed, a key is also a resumable position in a long walk over a bucket.
    ///
    /// A bucket that does not exist is [`StoreErrorKind::NotFound`] on S3, and empty for the
    /// stores whose buckets need not be created ([`LocalStore`], [`MemoryStore`]).
    fn list<'a>(
        &'a self,
        bucket: &'a str,
        prefix: &'a str,
        start_after: Option<&'a str>,
        max_keys: usize,
    ) -> BoxFuture<'a, StoreResult<ListPage>>;
}

/// One object of a [`Store::list`] page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedObject {
    /// The key.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// The entity tag, without quotes, when the store knows it without reading the object
    /// (S3 and [`MemoryStore`]); `None` from a [`LocalStore`], whose ETags are content hashes:
    /// [`Store::head`] computes it.
    pub etag: Option<String>,
}

/// A page of [`Store::list`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListPage {
    /// The objects, in ascending key order.
    pub objects: Vec<ListedObject>,
    /// More objects follow the last one.
    pub truncated: bool,
}

/// The most keys [`list_all`] asks for in one [`Store::list`] call: S3's own limit.
pub const LIST_PAGE_SIZE: usize = 1000;

/// Every object of `bucket` under `prefix` after `start_after`, in key order, page by page.
///
/// ```
/// use thumbing_storage::{MemoryStore, list_all};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// for key in ["uploads/b.jpg", "uploads/a.jpg", "avatars/a.jpg", "uploads/c.png"] {
///     store.insert("bucket", key, vec![1, 2, 3]);
/// }
/// let all = list_all(&store, "bucket", "uploads/", None).await?;
/// let keys: Vec<&str> = all.iter().map(|o| o.key.as_str()).collect();
/// assert_eq!(keys, ["uploads/a.jpg", "uploads/b.jpg", "uploads/c.png"]);
/// let rest = list_all(&store, "bucket", "uploads/", Some("uploads/a.jpg")).await?;
/// assert_eq!(rest.len(), 2);
/// # Ok::<(), thumbing_storage::StoreError>(())
/// # }).unwrap();
/// ```
pub async fn list_all(
    store: &dyn Store,
    bucket: &str,
    prefix: &str,
    start_after: Option<&str>,
) -> StoreResult<Vec<ListedObject>> {
    let mut all: Vec<ListedObject> = Vec::new();
    let mut after = start_after.map(str::to_owned);
    loop {
        let page = store.list(bucket, prefix, after.as_deref(), LIST_PAGE_SIZE).await?;
        let last = page.objects.last().map(|o| o.key.clone());
        all.extend(page.objects);
        match last {
            Some(last) if page.truncated => after = Some(last),
            _ => return Ok(all),
        }
    }
}

/// An object's data and metadata, as returned by [`Store::get`].
#[derive(Clone, PartialEq, Eq)]
pub struct Object {
    /// The object's bytes.
    pub data: Vec<u8>,
    /// Its metadata.
    pub meta: ObjectMeta,
}

impl fmt::Debug for Object {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Object").field("bytes", &self.data.len()).field("meta", &self.meta).finish()
    }
}

/// What a store knows about an object besides its bytes.
///
/// ```
/// let meta = thumbing_storage::ObjectMeta::default();
/// assert_eq!(meta.size, 0);
/// assert!(meta.metadata.is_empty());
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Size in bytes.
    pub size: u64,
    /// The entity tag, without surrounding quotes (as S3 events spell it).
    pub etag: Option<String>,
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `Cache-Control` header.
    pub cache_control: Option<String>,
    /// User metadata (`x-amz-meta-*` in S3), with lower-case names.
    pub metadata: BTreeMap<String, String>,
}

/// Headers and metadata for [`Store::put`], built with chained setters.
///
/// ```
/// use thumbing_storage::PutOptions;
/// let options = PutOptions::default()
///     .content_type("image/jpeg")
///     .cache_control("public, max-age=300")
///     .metadata("source", "uploads/me.png");
/// assert_eq!(options.metadata["source"], "uploads/me.png");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PutOptions {
    /// The `Content-Type` header.
    pub content_type: Option<String>,
    /// The `Cache-Control` header.
    pub cache_control: Option<String>,
    /// User metadata; names should be lower-case ASCII.
    pub metadata: BTreeMap<String, String>,
}

impl PutOptions {
    /// Sets the `Content-Type` header.
    ///
    /// ```
    /// let o = thumbing_storage::PutOptions::default().content_type("image/png");
    /// assert_eq!(o.content_type.as_deref(), Some("image/png"));
    /// ```
    pub fn content_type(mut self, value: impl Into<String>) -> Self {
        self.content_type = Some(value.into());
        self
    }

    /// Sets the `Cache-Control` header.
    ///
    /// ```
    /// let o = thumbing_storage::PutOptions::default().cache_control("no-cache");
    /// assert_eq!(o.cache_control.as_deref(), Some("no-cache"));
    /// ```
    pub fn cache_control(mut self, value: impl Into<String>) -> Self {
        self.cache_control = Some(value.into());
        self
    }

    /// Adds one user-metadata entry.
    ///
    /// ```
    /// let o = thumbing_storage::PutOptions::default().metadata("a", "1");
    /// assert_eq!(o.metadata.len(), 1);
    /// ```
    pub fn metadata(mut self, name: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.insert(name.into(), value.into());
        self
    }
}

/// Why a storage operation failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum StoreErrorKind {
    /// The bucket or the object does not exist.
    NotFound,
    /// The object is larger than the caller's limit; its body was not read.
    TooLarge,
    /// The request cannot be carried out as asked: a key that would escape a
    /// [`LocalStore`]'s root, more than 10 tags, a malformed name. Retrying will not help.
    Invalid,
    /// Anything else: network, throttling, server errors, permissions. Worth retrying.
    Backend,
}

impl StoreErrorKind {
    /// A short, stable name for logs and metrics.
    ///
    /// ```
    /// assert_eq!(thumbing_storage::StoreErrorKind::NotFound.code(), "not_found");
    /// ```
    pub fn code(self) -> &'static str {
        match self {
            StoreErrorKind::NotFound => "not_found",
            StoreErrorKind::TooLarge => "too_large",
            StoreErrorKind::Invalid => "invalid",
            StoreErrorKind::Backend => "storage",
        }
    }
}

/// A failed storage operation: a category and a human-readable message naming the object.
///
/// ```
/// use thumbing_storage::{StoreError, StoreErrorKind};
/// let e = StoreError::new(StoreErrorKind::NotFound, "s3://b/k does not exist");
/// assert_eq!(e.kind(), StoreErrorKind::NotFound);
/// assert!(!e.is_transient());
/// assert_eq!(e.to_string(), "s3://b/k does not exist");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct StoreError {
    kind: StoreErrorKind,
    message: String,
}

impl StoreError {
    /// Makes an error of the given kind.
    ///
    /// ```
    /// let e = thumbing_storage::StoreError::new(thumbing_storage::StoreErrorKind::Backend, "timeout");
    /// assert!(e.is_transient());
    /// ```
    pub fn new(kind: StoreErrorKind, message: impl Into<String>) -> Self {
        StoreError { kind, message: message.into() }
    }

    /// The category.
    ///
    /// ```
    /// use thumbing_storage::{StoreError, StoreErrorKind};
    /// assert_eq!(StoreError::new(StoreErrorKind::TooLarge, "x").kind(), StoreErrorKind::TooLarge);
    /// ```
    pub fn kind(&self) -> StoreErrorKind {
        self.kind
    }

    /// Whether trying again later may succeed: true only for [`StoreErrorKind::Backend`].
    ///
    /// ```
    /// use thumbing_storage::{StoreError, StoreErrorKind};
    /// assert!(!StoreError::new(StoreErrorKind::Invalid, "x").is_transient());
    /// ```
    pub fn is_transient(&self) -> bool {
        self.kind == StoreErrorKind::Backend
    }

    /// The [`StoreErrorKind::NotFound`] error for an object, with the message every store
    /// uses.
    ///
    /// ```
    /// let e = thumbing_storage::StoreError::not_found("assets", "avatars/me.jpg");
    /// assert_eq!(e.to_string(), "s3://assets/avatars/me.jpg does not exist");
    /// ```
    pub fn not_found(bucket: &str, key: &str) -> Self {
        StoreError::new(StoreErrorKind::NotFound, format!("{} does not exist", display_location(bucket, key)))
    }

    /// The [`StoreErrorKind::TooLarge`] error for an object of `size` bytes over a limit of
    /// `max` bytes.
    ///
    /// ```
    /// let e = thumbing_storage::StoreError::too_large("uploads", "me.jpg", 10, 5);
    /// assert_eq!(e.to_string(), "s3://uploads/me.jpg is 10 bytes, more than the limit of 5 bytes");
    /// ```
    pub fn too_large(bucket: &str, key: &str, size: u64, max: u64) -> Self {
        StoreError::new(
            StoreErrorKind::TooLarge,
            format!("{} is {size} bytes, more than the limit of {max} bytes", display_location(bucket, key)),
        )
    }
}

/// `s3://bucket/key`: how messages name an object, whatever the store.
///
/// ```
/// assert_eq!(thumbing_storage::display_location("assets", "avatars/me.jpg"), "s3://assets/avatars/me.jpg");
/// ```
pub fn display_location(bucket: &str, key: &str) -> String {
    format!("s3://{bucket}/{key}")
}

/// Removes the quotes S3 puts around ETags in HTTP headers, so ETags compare equal to the
/// ones in S3 event notifications.
///
/// ```
/// assert_eq!(thumbing_storage::normalize_etag("\"abc\""), "abc");
/// assert_eq!(thumbing_storage::normalize_etag("abc"), "abc");
/// ```
pub fn normalize_etag(etag: &str) -> &str {
    etag.trim().trim_matches('"')
}

/// A content hash used as the ETag by the stores that do not get one from a server
/// (FNV-1a, 64 bits, hex). Stable across runs and platforms.
pub(crate) fn content_etag(data: &[u8]) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for &byte in data {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
    }
    format!("{hash:016x}-{}", data.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_etag_is_stable_and_content_sensitive() {
        assert_eq!(content_etag(b""), "cbf29ce484222325-0");
        assert_eq!(content_etag(b"a"), content_etag(b"a"));
        assert_ne!(content_etag(b"a"), content_etag(b"b"));
    }
}
