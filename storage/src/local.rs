//! A [`Store`] in a folder: `<root>/<bucket>/<key>`.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use serde::{Deserialize, Serialize};

use crate::{
    BoxFuture, ListPage, ListedObject, Object, ObjectMeta, PutOptions, Store, StoreError, StoreErrorKind, StoreResult,
    Tags, content_etag, display_location,
};

/// Where headers, metadata and tags are kept, beside the bucket folders. Bucket names
/// cannot start with a dot, so this never clashes with a bucket.
const META_DIR: &str = ".meta";
/// Where writes are staged before being renamed into place.
const TMP_DIR: &str = ".tmp";

/// A [`Store`] backed by a folder, for examples and local development.
///
/// Object `key` of `bucket` is the file `<root>/<bucket>/<key>`, so a key's `/` separators
/// become folders and the files can be opened with any image viewer. Headers, metadata and
/// tags live in `<root>/.meta/<bucket>/<key>.json`. Writes go to a temporary file first and
/// are renamed into place, so readers never see a partial object.
///
/// Unlike S3, a key cannot be both an object and the folder of another object (`a` and
/// `a/b`), and keys with empty, `.` or `..` segments are refused so that no key can reach
/// outside the root.
///
/// ```
/// use thumbing_storage::{LocalStore, PutOptions, Store};
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let dir = std::env::temp_dir().join(format!("thumbing-local-doc-{}", std::process::id()));
/// let store = LocalStore::new(&dir);
/// store.put("assets", "avatars/me.jpg", vec![0xFF, 0xD8], PutOptions::default().content_type("image/jpeg")).await?;
/// assert!(dir.join("assets/avatars/me.jpg").is_file());
/// let meta = store.head("assets", "avatars/me.jpg").await?.unwrap();
/// assert_eq!(meta.content_type.as_deref(), Some("image/jpeg"));
/// assert!(store.put("assets", "../escape", vec![], PutOptions::default()).await.is_err());
/// # std::fs::remove_dir_all(&dir).unwrap();
/// # Ok::<(), thumbing_storage::StoreError>(())
/// # }).unwrap();
/// ```
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

/// The sidecar file's content.
#[derive(Debug, Default, Serialize, Deserialize)]
struct Sidecar {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    content_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    cache_control: Option<String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    metadata: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    tags: Tags,
}

impl LocalStore {
    /// A store rooted at `root`. The folder is created on the first write.
    ///
    /// ```
    /// let store = thumbing_storage::LocalStore::new("/tmp/avatars-dev");
    /// assert_eq!(store.root(), std::path::Path::new("/tmp/avatars-dev"));
    /// ```
    pub fn new(root: impl Into<PathBuf>) -> Self {
        LocalStore { root: root.into() }
    }

    /// The root folder.
    ///
    /// ```
    /// # let store = thumbing_storage::LocalStore::new("x");
    /// let _ = store.root();
    /// ```
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file that holds `bucket`/`key`, after checking both names.
    ///
    /// ```
    /// let store = thumbing_storage::LocalStore::new("/data");
    /// assert_eq!(store.path_of("uploads", "a/b.png")?, std::path::Path::new("/data/uploads/a/b.png"));
    /// assert!(store.path_of("uploads", "a/../../etc/passwd").is_err());
    /// assert!(store.path_of(".meta", "x").is_err());
    /// # Ok::<(), thumbing_storage::StoreError>(())
    /// ```
    pub fn path_of(&self, bucket: &str, key: &str) -> StoreResult<PathBuf> {
        check_bucket(bucket)?;
        check_key(bucket, key)?;
        Ok(self.root.join(bucket).join(key))
    }

    fn sidecar_of(&self, bucket: &str, key: &str) -> PathBuf {
        self.root.join(META_DIR).join(bucket).join(format!("{key}.json"))
    }

    /// Runs blocking file-system work off the async runtime.
    async fn blocking<T: Send + 'static>(
        &self,
        f: impl FnOnce(LocalStore) -> StoreResult<T> + Send + 'static,
    ) -> StoreResult<T> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || f(store))
            .await
            .map_err(|e| StoreError::new(StoreErrorKind::Backend, format!("file-system task failed: {e}")))?
    }

    fn read_sidecar(&self, bucket: &str, key: &str) -> StoreResult<Sidecar> {
        match std::fs::read(self.sidecar_of(bucket, key)) {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(|e| {
                StoreError::new(
                    StoreErrorKind::Backend,
                    format!("metadata of {} is unreadable: {e}", display_location(bucket, key)),
                )
            }),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(Sidecar::default()),
            Err(e) => Err(io_error(bucket, key, &e)),
        }
    }

    fn write_sidecar(&self, bucket: &str, key: &str, sidecar: &Sidecar) -> StoreResult<()> {
        let json = serde_json::to_vec_pretty(sidecar).expect("plain strings always serialize");
        self.write_atomically(&self.sidecar_of(bucket, key), &json).map_err(|e| io_error(bucket, key, &e))
    }

    fn write_atomically(&self, path: &Path, data: &[u8]) -> io::Result<()> {
        static COUNTER: AtomicU64 = AtomicU64::new(0);
        let tmp_dir = self.root.join(TMP_DIR);
        std::fs::create_dir_all(&tmp_dir)?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let tmp = tmp_dir.join(format!("{}-{}", std::process::id(), COUNTER.fetch_add(1, Ordering::Relaxed)));
        std::fs::write(&tmp, data)?;
        std::fs::rename(&tmp, path).inspect_err(|_| {
            let _ = std::fs::remove_file(&tmp);
        })
    }

    fn meta_of(&self, bucket: &str, key: &str, data: &[u8]) -> StoreResult<ObjectMeta> {
        let sidecar = self.read_sidecar(bucket, key)?;
        Ok(ObjectMeta {
            size: data.len() as u64,
            etag: Some(content_etag(data)),
            content_type: sidecar.content_type,
            cache_control: sidecar.cache_control,
            metadata: sidecar.metadata,
        })
    }

    /// Every key of `bucket` under `prefix` with its size, sorted. Folders that cannot hold
    /// such a key are not entered; names that are not UTF-8 cannot be keys and are left out.
    fn keys_under(&self, bucket: &str, prefix: &str) -> StoreResult<Vec<(String, u64)>> {
        check_bucket(bucket)?;
        let mut keys = Vec::new();
        let mut folders = vec![(self.root.join(bucket), String::new())];
        while let Some((dir, key_prefix)) = folders.pop() {
            let entries = match std::fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if e.kind() == io::ErrorKind::NotFound => continue,
                Err(e) => return Err(io_error(bucket, &key_prefix, &e)),
            };
            for entry in entries {
                let entry = entry.map_err(|e| io_error(bucket, &key_prefix, &e))?;
                let Ok(name) = entry.file_name().into_string() else { continue };
                let key = format!("{key_prefix}{name}");
                let file_type = entry.file_type().map_err(|e| io_error(bucket, &key, &e))?;
                if file_type.is_dir() {
                    let folder = format!("{key}/");
                    if folder.starts_with(prefix) || prefix.starts_with(&folder) {
                        folders.push((entry.path(), folder));
                    }
                } else if file_type.is_file() && key.starts_with(prefix) {
                    let size = entry.metadata().map_err(|e| io_error(bucket, &key, &e))?.len();
                    keys.push((key, size));
                }
            }
        }
        keys.sort_unstable();
        Ok(keys)
    }

    fn read_existing(&self, bucket: &str, key: &str) -> StoreResult<Vec<u8>> {
        let path = self.path_of(bucket, key)?;
        std::fs::read(&path).map_err(|e| io_error(bucket, key, &e))
    }
}

impl Store for LocalStore {
    fn get<'a>(&'a self, bucket: &'a str, key: &'a str, max_bytes: u64) -> BoxFuture<'a, StoreResult<Object>> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        Box::pin(self.blocking(move |store| {
            let path = store.path_of(&bucket, &key)?;
            let size = std::fs::metadata(&path).map_err(|e| io_error(&bucket, &key, &e))?.len();
            if size > max_bytes {
                return Err(StoreError::too_large(&bucket, &key, size, max_bytes));
            }
            let data = store.read_existing(&bucket, &key)?;
            let meta = store.meta_of(&bucket, &key, &data)?;
            Ok(Object { data, meta })
        }))
    }

    fn head<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, StoreResult<Option<ObjectMeta>>> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        Box::pin(self.blocking(move |store| match store.read_existing(&bucket, &key) {
            Ok(data) => store.meta_of(&bucket, &key, &data).map(Some),
            Err(e) if e.kind() == StoreErrorKind::NotFound => Ok(None),
            Err(e) => Err(e),
        }))
    }

    fn put<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        data: Vec<u8>,
        options: PutOptions,
    ) -> BoxFuture<'a, StoreResult<()>> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        Box::pin(self.blocking(move |store| {
            let path = store.path_of(&bucket, &key)?;
            let sidecar = Sidecar {
                content_type: options.content_type,
                cache_control: options.cache_control,
                metadata: options.metadata,
                tags: Tags::new(),
            };
            // The data is renamed into place last: a reader that sees the new file also
            // sees its new headers.
            store.write_sidecar(&bucket, &key, &sidecar)?;
            store.write_atomically(&path, &data).map_err(|e| io_error(&bucket, &key, &e))
        }))
    }

    fn copy<'a>(
        &'a self,
        from_bucket: &'a str,
        from_key: &'a str,
        to_bucket: &'a str,
        to_key: &'a str,
    ) -> BoxFuture<'a, StoreResult<()>> {
        let names = (from_bucket.to_owned(), from_key.to_owned(), to_bucket.to_owned(), to_key.to_owned());
        Box::pin(self.blocking(move |store| {
            let (from_bucket, from_key, to_bucket, to_key) = names;
            let data = store.read_existing(&from_bucket, &from_key)?;
            let mut sidecar = store.read_sidecar(&from_bucket, &from_key)?;
            sidecar.tags.clear();
            let to_path = store.path_of(&to_bucket, &to_key)?;
            store.write_sidecar(&to_bucket, &to_key, &sidecar)?;
            store.write_atomically(&to_path, &data).map_err(|e| io_error(&to_bucket, &to_key, &e))
        }))
    }

    fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        Box::pin(self.blocking(move |store| {
            let path = store.path_of(&bucket, &key)?;
            for file in [path, store.sidecar_of(&bucket, &key)] {
                match std::fs::remove_file(&file) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                    Err(e) => return Err(io_error(&bucket, &key, &e)),
                }
            }
            Ok(())
        }))
    }

    fn tags<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, StoreResult<Tags>> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        Box::pin(self.blocking(move |store| {
            let path = store.path_of(&bucket, &key)?;
            if !path.is_file() {
                return Err(StoreError::not_found(&bucket, &key));
            }
            Ok(store.read_sidecar(&bucket, &key)?.tags)
        }))
    }

    fn set_tags<'a>(&'a self, bucket: &'a str, key: &'a str, tags: Tags) -> BoxFuture<'a, StoreResult<()>> {
        let (bucket, key) = (bucket.to_owned(), key.to_owned());
        Box::pin(self.blocking(move |store| {
            if tags.len() > 10 {
                return Err(StoreError::new(
                    StoreErrorKind::Invalid,
                    format!(
                        "{} would get {} tags; at most 10 are allowed",
                        display_location(&bucket, &key),
                        tags.len()
                    ),
                ));
            }
            let path = store.path_of(&bucket, &key)?;
            if !path.is_file() {
                return Err(StoreError::not_found(&bucket, &key));
            }
            let mut sidecar = store.read_sidecar(&bucket, &key)?;
            sidecar.tags = tags;
            store.write_sidecar(&bucket, &key, &sidecar)
        }))
    }

    fn list<'a>(
        &'a self,
        bucket: &'a str,
        prefix: &'a str,
        start_after: Option<&'a str>,
        max_keys: usize,
    ) -> BoxFuture<'a, StoreResult<ListPage>> {
        let (bucket, prefix, start_after) = (bucket.to_owned(), prefix.to_owned(), start_after.map(str::to_owned));
        Box::pin(self.blocking(move |store| {
            let mut keys = store
                .keys_under(&bucket, &prefix)?
                .into_iter()
                .filter(|(key, _)| start_after.as_deref().is_none_or(|after| key.as_str() > after))
                .map(|(key, size)| ListedObject { key, size, etag: None });
            let objects: Vec<ListedObject> = keys.by_ref().take(max_keys.max(1)).collect();
            Ok(ListPage { objects, truncated: keys.next().is_some() })
        }))
    }
}

fn check_bucket(bucket: &str) -> StoreResult<()> {
    let valid = !bucket.is_empty()
        && bucket.len() <= 63
        && !bucket.starts_with('.')
        && bucket.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-._".contains(&b));
    if valid {
        Ok(())
    } else {
        Err(StoreError::new(
            StoreErrorKind::Invalid,
            format!(
                "bucket name {bucket:?} is not valid: use 1-63 lower-case letters, digits, '-', '.' or '_', not starting with '.'"
            ),
        ))
    }
}

fn check_key(bucket: &str, key: &str) -> StoreResult<()> {
    let valid = !key.is_empty()
        && !key.contains('\0')
        && !key.contains('\\')
        && key.split('/').all(|segment| !segment.is_empty() && segment != "." && segment != "..");
    if valid {
        Ok(())
    } else {
        Err(StoreError::new(
            StoreErrorKind::Invalid,
            format!(
                "{} cannot be stored in a folder: keys must not be empty or contain empty, '.' or '..' segments, backslashes or NUL",
                display_location(bucket, key)
            ),
        ))
    }
}

fn io_error(bucket: &str, key: &str, e: &io::Error) -> StoreError {
    match e.kind() {
        io::ErrorKind::NotFound => StoreError::not_found(bucket, key),
        io::ErrorKind::NotADirectory | io::ErrorKind::IsADirectory => StoreError::new(
            StoreErrorKind::Invalid,
            format!("{} clashes with a folder or file of another key: {e}", display_location(bucket, key)),
        ),
        _ => StoreError::new(StoreErrorKind::Backend, format!("{}: {e}", display_location(bucket, key))),
    }
}
