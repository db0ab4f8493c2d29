//! The [`Store`] for Amazon S3 and S3-compatible servers, on the official AWS SDK for Rust.
//!
//! Build time, package size and cold start of the AWS Lambda function decided the client:
//!
//! - **`aws-sdk-s3`**, the official SDK, with `default-features = false` and only
//!   `rt-tokio` + `behavior-version-latest`. It has every operation the avatar services
//!   need, including `PutObjectTagging` for rejected uploads, which `object_store` lacks (it
//!   can only tag an object while writing it).
//! - Its HTTP client is `aws-smithy-http-client` with **`rustls-ring`**: the SDK's default
//!   TLS provider, `aws-lc-rs`, compiles a large C library (slow on 2-core CI, and needs a
//!   C cross-compiler for arm64), where `ring` is small and cross-compiles with `zig`.
//! - **No `aws-config`.** It pulls in three more generated SDK clients (STS, SSO, SSO-OIDC)
//!   to support profiles, SSO and instance roles. A Lambda function gets its role's
//!   credentials and region as environment variables, which [`S3Store::from_env`] reads
//!   directly — which also skips the credential-chain probing at cold start. Programs that
//!   need the full chain build a client with `aws-config` themselves and pass it to
//!   [`S3Store::new`].

use std::collections::HashMap;
use std::fmt;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::http::HttpResponse;
use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use aws_sdk_s3::error::{DisplayErrorContext, SdkError};
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{Tag, Tagging};
use aws_smithy_http_client::tls;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::{
    BoxFuture, ListPage, ListedObject, Object, ObjectMeta, PutOptions, Store, StoreError, StoreErrorKind, StoreResult,
    Tags, display_location, normalize_etag,
};

/// A [`Store`] on Amazon S3 (or MinIO, moto, Ceph, … through a custom endpoint).
///
/// [`S3Store::from_env`] reads the environment that AWS Lambda gives every function:
/// `AWS_REGION`, and the role's `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY` and
/// `AWS_SESSION_TOKEN`. `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`) points it at another
/// server. For any other way of finding credentials (profiles, SSO, instance roles), build
/// an [`aws_sdk_s3::Client`] with the `aws-config` crate and hand it to [`S3Store::new`].
///
/// ```
/// use thumbing_storage::S3Store;
/// let store = S3Store::builder()
///     .region("eu-west-1")
///     .credentials("AKIDEXAMPLE", "secret", None)
///     .endpoint_url("http://127.0.0.1:9000")
///     .build()?;
/// let _client: &aws_sdk_s3::Client = store.client();
/// # Ok::<(), thumbing_storage::StoreError>(())
/// ```
#[derive(Clone)]
pub struct S3Store {
    client: Client,
}

impl fmt::Debug for S3Store {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let config = self.client.config();
        f.debug_struct("S3Store").field("region", &config.region()).finish_non_exhaustive()
    }
}

impl S3Store {
    /// Wraps a client configured elsewhere (for example with `aws-config`).
    ///
    /// ```
    /// let config = aws_sdk_s3::Config::builder()
    ///     .behavior_version(aws_sdk_s3::config::BehaviorVersion::latest())
    ///     .region(aws_sdk_s3::config::Region::new("us-east-1"))
    ///     .build();
    /// let store = thumbing_storage::S3Store::new(aws_sdk_s3::Client::from_conf(config));
    /// # let _ = store;
    /// ```
    pub fn new(client: Client) -> Self {
        S3Store { client }
    }

    /// A builder starting empty; see [`S3StoreBuilder`].
    ///
    /// ```
    /// assert!(thumbing_storage::S3Store::builder().build().is_err()); // no region
    /// ```
    pub fn builder() -> S3StoreBuilder {
        S3StoreBuilder::default()
    }

    /// A store configured from the process environment; see [`S3StoreBuilder::from_env`].
    ///
    /// ```no_run
    /// let store = thumbing_storage::S3Store::from_env()?;
    /// # Ok::<(), thumbing_storage::StoreError>(())
    /// ```
    pub fn from_env() -> StoreResult<Self> {
        S3StoreBuilder::from_env().build()
    }

    /// The SDK client, for operations the [`Store`] trait does not cover.
    ///
    /// ```
    /// # let store = thumbing_storage::S3Store::builder().region("us-east-1").credentials("a", "b", None).build()?;
    /// let request = store.client().list_buckets();
    /// # let _ = request;
    /// # Ok::<(), thumbing_storage::StoreError>(())
    /// ```
    pub fn client(&self) -> &Client {
        &self.client
    }
}

/// Settings for an [`S3Store`]: region, static credentials, endpoint, addressing style.
///
/// ```
/// let builder = thumbing_storage::S3StoreBuilder::from_lookup(|name| match name {
///     "AWS_REGION" => Some("us-east-1".to_owned()),
///     "AWS_ACCESS_KEY_ID" => Some("AKID".to_owned()),
///     "AWS_SECRET_ACCESS_KEY" => Some("secret".to_owned()),
///     _ => None,
/// });
/// assert!(builder.build().is_ok());
/// ```
#[derive(Default, Clone)]
pub struct S3StoreBuilder {
    region: Option<String>,
    credentials: Option<Credentials>,
    endpoint_url: Option<String>,
    force_path_style: Option<bool>,
    attempt_timeout: Option<std::time::Duration>,
}

impl fmt::Debug for S3StoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3StoreBuilder")
            .field("region", &self.region)
            .field("credentials", &self.credentials.as_ref().map(|_| "<set>"))
            .field("endpoint_url", &self.endpoint_url)
            .field("force_path_style", &self.force_path_style)
            .finish()
    }
}

impl S3StoreBuilder {
    /// Reads the process environment: `AWS_REGION` (or `AWS_DEFAULT_REGION`),
    /// `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`,
    /// `AWS_ENDPOINT_URL_S3` (or `AWS_ENDPOINT_URL`) and `S3_FORCE_PATH_STYLE`
    /// (`true`/`false`; when unset, path-style addressing is used exactly when a custom
    /// endpoint is set, which is what S3-compatible servers expect).
    ///
    /// ```
    /// let builder = thumbing_storage::S3StoreBuilder::from_env();
    /// # let _ = builder;
    /// ```
    pub fn from_env() -> Self {
        S3StoreBuilder::from_lookup(|name| std::env::var(name).ok())
    }

    /// Like [`from_env`](S3StoreBuilder::from_env), with the variables read through
    /// `lookup` instead of the process environment.
    ///
    /// ```
    /// let b = thumbing_storage::S3StoreBuilder::from_lookup(|_| None);
    /// assert!(b.build().unwrap_err().to_string().contains("AWS_REGION"));
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Self {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());
        let mut builder = S3StoreBuilder {
            region: get("AWS_REGION").or_else(|| get("AWS_DEFAULT_REGION")),
            endpoint_url: get("AWS_ENDPOINT_URL_S3").or_else(|| get("AWS_ENDPOINT_URL")),
            force_path_style: get("S3_FORCE_PATH_STYLE").map(|v| matches!(v.trim(), "1" | "true" | "TRUE" | "True")),
            credentials: None,
            attempt_timeout: None,
        };
        if let (Some(id), Some(secret)) = (get("AWS_ACCESS_KEY_ID"), get("AWS_SECRET_ACCESS_KEY")) {
            builder = builder.credentials(id, secret, get("AWS_SESSION_TOKEN"));
        }
        builder
    }

    /// The AWS region, e.g. `us-east-1`. Required.
    ///
    /// ```
    /// let b = thumbing_storage::S3Store::builder().region("us-east-1");
    /// # let _ = b;
    /// ```
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Static credentials: an access key, its secret, and the session token that
    /// temporary (role) credentials come with. Required.
    ///
    /// ```
    /// let b = thumbing_storage::S3Store::builder().credentials("AKID", "secret", Some("token".into()));
    /// # let _ = b;
    /// ```
    pub fn credentials(
        mut self,
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        self.credentials = Some(Credentials::new(access_key_id, secret_access_key, session_token, None, "thumbing"));
        self
    }

    /// A custom endpoint, e.g. `http://127.0.0.1:9000` for a local S3-compatible server.
    ///
    /// ```
    /// let b = thumbing_storage::S3Store::builder().endpoint_url("http://127.0.0.1:9000");
    /// # let _ = b;
    /// ```
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Path-style (`endpoint/bucket/key`) instead of virtual-hosted-style
    /// (`bucket.endpoint/key`) addressing. Defaults to on exactly when a custom endpoint is
    /// set.
    ///
    /// ```
    /// let b = thumbing_storage::S3Store::builder().force_path_style(true);
    /// # let _ = b;
    /// ```
    pub fn force_path_style(mut self, on: bool) -> Self {
        self.force_path_style = Some(on);
        self
    }

    /// Limits each attempt of a request (connecting, sending, reading the answer) to
    /// `timeout`, so that a stalled server makes the request fail — and the SDK retry it —
    /// instead of hanging. Unset, an attempt waits as long as the server does.
    ///
    /// ```
    /// let b = thumbing_storage::S3Store::builder().attempt_timeout(std::time::Duration::from_secs(30));
    /// # let _ = b;
    /// ```
    pub fn attempt_timeout(mut self, timeout: std::time::Duration) -> Self {
        self.attempt_timeout = Some(timeout);
        self
    }

    /// Builds the store: an SDK client over hyper and rustls (with the `ring` provider and
    /// the system's root certificates), with the SDK's standard retries.
    ///
    /// ```
    /// let err = thumbing_storage::S3Store::builder().region("us-east-1").build().unwrap_err();
    /// assert!(err.to_string().contains("AWS_ACCESS_KEY_ID"));
    /// ```
    pub fn build(self) -> StoreResult<S3Store> {
        let region = self.region.ok_or_else(|| {
            StoreError::new(
                StoreErrorKind::Invalid,
                "no AWS region: set AWS_REGION (Lambda sets it for every function)",
            )
        })?;
        let credentials = self.credentials.ok_or_else(|| {
            StoreError::new(
                StoreErrorKind::Invalid,
                "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (and AWS_SESSION_TOKEN for \
                 temporary credentials; Lambda sets all three from the function's role)",
            )
        })?;
        let http_client = aws_smithy_http_client::Builder::new()
            .tls_provider(tls::Provider::Rustls(tls::rustls_provider::CryptoMode::Ring))
            .build_https();
        let mut config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new(region))
            .credentials_provider(credentials)
            .http_client(http_client)
            .force_path_style(self.force_path_style.unwrap_or(self.endpoint_url.is_some()));
        if let Some(url) = self.endpoint_url {
            config = config.endpoint_url(url);
        }
        if let Some(timeout) = self.attempt_timeout {
            config = config.timeout_config(
                aws_sdk_s3::config::timeout::TimeoutConfig::builder()
                    .connect_timeout(timeout.min(std::time::Duration::from_secs(5)))
                    .operation_attempt_timeout(timeout)
                    .build(),
            );
        }
        Ok(S3Store::new(Client::from_conf(config.build())))
    }
}

/// Characters escaped in the `x-amz-copy-source` header: everything but unreserved
/// characters and `/`.
const COPY_SOURCE: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'.').remove(b'_').remove(b'~').remove(b'/');

/// Maps an SDK error to a [`StoreError`]: HTTP 404 is [`StoreErrorKind::NotFound`],
/// everything else [`StoreErrorKind::Backend`].
fn sdk_error<E>(what: &str, bucket: &str, key: &str, err: SdkError<E, HttpResponse>) -> StoreError
where
    E: std::error::Error + 'static,
{
    if err.raw_response().map(|r| r.status().as_u16()) == Some(404) {
        return StoreError::not_found(bucket, key);
    }
    StoreError::new(
        StoreErrorKind::Backend,
        format!("{what} {} failed: {}", display_location(bucket, key), DisplayErrorContext(&err)),
    )
}

fn meta_from(
    size: Option<i64>,
    etag: Option<&str>,
    content_type: Option<&str>,
    cache_control: Option<&str>,
    metadata: Option<&HashMap<String, String>>,
) -> ObjectMeta {
    ObjectMeta {
        size: size.and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
        etag: etag.map(|e| normalize_etag(e).to_owned()),
        content_type: content_type.map(str::to_owned),
        cache_control: cache_control.map(str::to_owned),
        metadata: metadata
            .map(|m| m.iter().map(|(k, v)| (k.to_ascii_lowercase(), v.clone())).collect())
            .unwrap_or_default(),
    }
}

impl Store for S3Store {
    fn get<'a>(&'a self, bucket: &'a str, key: &'a str, max_bytes: u64) -> BoxFuture<'a, StoreResult<Object>> {
        Box::pin(async move {
            let out = self
                .client
                .get_object()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| sdk_error("GET", bucket, key, e))?;
            let meta =
                meta_from(out.content_length, out.e_tag(), out.content_type(), out.cache_control(), out.metadata());
            if meta.size > max_bytes {
                // Dropping the body closes the connection without downloading it.
                return Err(StoreError::too_large(bucket, key, meta.size, max_bytes));
            }
            let data = out.body.collect().await.map_err(|e| {
                StoreError::new(
                    StoreErrorKind::Backend,
                    format!(
                        "reading the body of {} failed: {}",
                        display_location(bucket, key),
                        DisplayErrorContext(&e)
                    ),
                )
            })?;
            Ok(Object { data: data.into_bytes().into(), meta })
        })
    }

    fn head<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, StoreResult<Option<ObjectMeta>>> {
        Box::pin(async move {
            match self.client.head_object().bucket(bucket).key(key).send().await {
                Ok(out) => Ok(Some(meta_from(
                    out.content_length,
                    out.e_tag(),
                    out.content_type(),
                    out.cache_control(),
                    out.metadata(),
                ))),
                Err(e) => match sdk_error("HEAD", bucket, key, e) {
                    e if e.kind() == StoreErrorKind::NotFound => Ok(None),
                    e => Err(e),
                },
            }
        })
    }

    fn put<'a>(
        &'a self,
        bucket: &'a str,
        key: &'a str,
        data: Vec<u8>,
        options: PutOptions,
    ) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            let metadata = (!options.metadata.is_empty()).then(|| options.metadata.into_iter().collect());
            self.client
                .put_object()
                .bucket(bucket)
                .key(key)
                .body(ByteStream::from(data))
                .set_content_type(options.content_type)
                .set_cache_control(options.cache_control)
                .set_metadata(metadata)
                .send()
                .await
                .map_err(|e| sdk_error("PUT", bucket, key, e))?;
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
            let source = format!("{from_bucket}/{}", utf8_percent_encode(from_key, COPY_SOURCE));
            self.client
                .copy_object()
                .copy_source(source)
                .bucket(to_bucket)
                .key(to_key)
                .send()
                .await
                .map_err(|e| sdk_error("COPY", from_bucket, from_key, e))?;
            Ok(())
        })
    }

    fn delete<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            match self.client.delete_object().bucket(bucket).key(key).send().await {
                Ok(_) => Ok(()),
                Err(e) => match sdk_error("DELETE", bucket, key, e) {
                    e if e.kind() == StoreErrorKind::NotFound => Ok(()),
                    e => Err(e),
                },
            }
        })
    }

    fn tags<'a>(&'a self, bucket: &'a str, key: &'a str) -> BoxFuture<'a, StoreResult<Tags>> {
        Box::pin(async move {
            let out = self
                .client
                .get_object_tagging()
                .bucket(bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| sdk_error("GET tagging of", bucket, key, e))?;
            Ok(out.tag_set().iter().map(|t| (t.key().to_owned(), t.value().to_owned())).collect())
        })
    }

    fn set_tags<'a>(&'a self, bucket: &'a str, key: &'a str, tags: Tags) -> BoxFuture<'a, StoreResult<()>> {
        Box::pin(async move {
            let invalid = |e: aws_sdk_s3::error::BuildError| {
                StoreError::new(StoreErrorKind::Invalid, format!("tags for {}: {e}", display_location(bucket, key)))
            };
            let tag_set = tags
                .into_iter()
                .map(|(k, v)| Tag::builder().key(k).value(v).build())
                .collect::<Result<Vec<_>, _>>()
                .map_err(invalid)?;
            let tagging = Tagging::builder().set_tag_set(Some(tag_set)).build().map_err(invalid)?;
            self.client
                .put_object_tagging()
                .bucket(bucket)
                .key(key)
                .tagging(tagging)
                .send()
                .await
                .map_err(|e| sdk_error("PUT tagging of", bucket, key, e))?;
            Ok(())
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
            let out = self
                .client
                .list_objects_v2()
                .bucket(bucket)
                .prefix(prefix)
                .set_start_after(start_after.map(str::to_owned))
                .max_keys(i32::try_from(max_keys.clamp(1, 1000)).unwrap_or(1000))
                .send()
                .await
                .map_err(|e| sdk_error("LIST", bucket, prefix, e))?;
            let objects = out
                .contents()
                .iter()
                .filter_map(|o| {
                    Some(ListedObject {
                        key: o.key()?.to_owned(),
                        size: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                        etag: o.e_tag().map(|e| normalize_etag(e).to_owned()),
                    })
                })
                .collect();
            Ok(ListPage { objects, truncated: out.is_truncated().unwrap_or(false) })
        })
    }
}
