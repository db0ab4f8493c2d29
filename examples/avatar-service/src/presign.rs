//! S3 presigned POST: the policy document, its AWS Signature Version 4, and the checks S3
//! applies to a form posted with it.
//!
//! A presigned POST is a form the browser sends straight to a bucket. The server writes a
//! *policy* — an expiry time and a list of conditions every form field must meet — encodes
//! it in base64 and signs that text with a key derived from its secret access key. S3
//! recomputes the signature and refuses a form that breaks any condition. Unlike a
//! presigned PUT URL, a POST policy can limit the **size** (`content-length-range`), so an
//! upload URL cannot be abused to store gigabytes.
//!
//! [`presign_post`] writes the policy the avatar service hands out: exactly one key
//! (`<sub>.<ext>`), exactly one content type (the one of the extension), a size range, and a
//! few minutes of validity. [`verify_post`] applies S3's rules to a posted form; the service
//! uses it for its local stand-in of S3 (`POST /uploads`), and the tests use it to check the
//! policies given out for real S3.
//!
//! This module depends only on `hmac`, `sha2`, `base64`, `hex`, `time` and `serde_json`, so
//! the upload-URL Lambda function links it without the web server.
//!
//! ```
//! use std::time::{Duration, UNIX_EPOCH};
//! use thumbing_avatar_service::presign::{presign_post, verify_post, Credentials, PostPolicy};
//!
//! let credentials = Credentials::new("AKIDEXAMPLE", "secret", None);
//! let now = UNIX_EPOCH + Duration::from_secs(1_700_000_000);
//! let policy = PostPolicy {
//!     url: "http://127.0.0.1:8080/uploads".into(),
//!     bucket: "uploads".into(),
//!     key: "1234.png".into(),
//!     content_type: "image/png".into(),
//!     max_bytes: 10 << 20,
//!     region: "us-east-1".into(),
//!     expires_in: Duration::from_secs(300),
//! };
//! let post = presign_post(&credentials, &policy, now);
//! assert_eq!(post.fields["key"], "1234.png");
//!
//! // The form the browser sends back: the fields, then the file.
//! let form: Vec<(String, String)> = post.fields.clone().into_iter().collect();
//! let upload = verify_post(&credentials, "uploads", &form, now)?;
//! assert_eq!(upload.key, "1234.png");
//! assert_eq!(upload.max_bytes, 10 << 20);
//!
//! // Five minutes later the same form is refused.
//! assert!(verify_post(&credentials, "uploads", &form, now + Duration::from_secs(301)).is_err());
//! # Ok::<(), thumbing_avatar_service::presign::PostError>(())
//! ```

use std::collections::BTreeMap;
use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use time::OffsetDateTime;
use time::format_description::BorrowedFormatItem;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

/// The only signing algorithm S3 accepts for Signature Version 4.
pub const ALGORITHM: &str = "AWS4-HMAC-SHA256";

/// AWS credentials: an access key id, its secret, and for temporary credentials (a Lambda
/// role, an assumed role) the session token.
#[derive(Clone, PartialEq, Eq)]
pub struct Credentials {
    /// The access key id (public).
    pub access_key_id: String,
    /// The secret access key.
    pub secret_access_key: String,
    /// The session token of temporary credentials.
    pub session_token: Option<String>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"<redacted>")
            .field("session_token", &self.session_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

impl Credentials {
    /// Credentials from their parts.
    ///
    /// ```
    /// let c = thumbing_avatar_service::presign::Credentials::new("AKID", "secret", None);
    /// assert!(!format!("{c:?}").contains("secret\""));
    /// ```
    pub fn new(
        access_key_id: impl Into<String>,
        secret_access_key: impl Into<String>,
        session_token: Option<String>,
    ) -> Self {
        Credentials { access_key_id: access_key_id.into(), secret_access_key: secret_access_key.into(), session_token }
    }
}

/// What a presigned POST allows: one key in one bucket, one content type, at most
/// `max_bytes`, for `expires_in`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PostPolicy {
    /// Where the form is posted: the bucket's URL (`https://<bucket>.s3.<region>.amazonaws.com/`,
    /// or `<endpoint>/<bucket>` for path-style servers), or the local upload endpoint.
    pub url: String,
    /// The bucket.
    pub bucket: String,
    /// The exact object key.
    pub key: String,
    /// The exact `Content-Type` the form must declare.
    pub content_type: String,
    /// The largest allowed file, in bytes (the smallest is 1).
    pub max_bytes: u64,
    /// The region the signature is scoped to.
    pub region: String,
    /// How long the form stays valid.
    pub expires_in: Duration,
}

/// A signed form, ready to hand to a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedPost {
    /// Where to post the form.
    pub url: String,
    /// The form fields to send, in any order, before the `file` field.
    pub fields: BTreeMap<String, String>,
    /// The object key the upload will have.
    pub key: String,
    /// The largest file the policy allows.
    pub max_bytes: u64,
    /// When the form expires, as seconds since the Unix epoch.
    pub expires_at: u64,
    /// The same instant in ISO 8601 (`2026-01-01T12:00:00.000Z`), as in the policy.
    pub expiration: String,
}

/// Signs a POST policy for `policy` at time `now`.
///
/// The conditions: `bucket` and `key` exact, `Content-Type` exact,
/// `content-length-range` from 1 to `max_bytes`, the `x-amz-algorithm`,
/// `x-amz-credential` and `x-amz-date` of the signature, and `x-amz-security-token` when
/// the credentials have one. The returned fields carry all of them plus `policy` and
/// `x-amz-signature`.
///
/// ```
/// use std::time::{Duration, UNIX_EPOCH};
/// use thumbing_avatar_service::presign::{presign_post, Credentials, PostPolicy};
/// let policy = PostPolicy {
///     url: "https://uploads.s3.eu-west-1.amazonaws.com/".into(), bucket: "uploads".into(),
///     key: "me.jpg".into(), content_type: "image/jpeg".into(), max_bytes: 1000,
///     region: "eu-west-1".into(), expires_in: Duration::from_secs(600),
/// };
/// let post = presign_post(&Credentials::new("AKID", "s", Some("token".into())), &policy, UNIX_EPOCH);
/// assert_eq!(post.fields["x-amz-credential"], "AKID/19700101/eu-west-1/s3/aws4_request");
/// assert_eq!(post.fields["x-amz-security-token"], "token");
/// assert_eq!(post.expiration, "1970-01-01T00:10:00.000Z");
/// ```
pub fn presign_post(credentials: &Credentials, policy: &PostPolicy, now: SystemTime) -> PresignedPost {
    let now_secs = unix_seconds(now);
    let expires_at = now_secs.saturating_add(policy.expires_in.as_secs());
    let expiration = iso8601(expires_at);
    let date = compact_date(now_secs);
    let amz_date = compact_date_time(now_secs);
    let credential = format!("{}/{date}/{}/s3/aws4_request", credentials.access_key_id, policy.region);

    let mut conditions = vec![
        serde_json::json!({"bucket": policy.bucket}),
        serde_json::json!(["eq", "$key", policy.key]),
        serde_json::json!(["eq", "$Content-Type", policy.content_type]),
        serde_json::json!(["content-length-range", 1, policy.max_bytes]),
        serde_json::json!({"x-amz-algorithm": ALGORITHM}),
        serde_json::json!({"x-amz-credential": credential}),
        serde_json::json!({"x-amz-date": amz_date}),
    ];
    if let Some(token) = &credentials.session_token {
        conditions.push(serde_json::json!({"x-amz-security-token": token}));
    }
    let document = serde_json::json!({"expiration": expiration, "conditions": conditions});
    let encoded = BASE64.encode(document.to_string());
    let signature = sign_policy(&credentials.secret_access_key, &date, &policy.region, &encoded);

    let mut fields = BTreeMap::new();
    fields.insert("key".to_owned(), policy.key.clone());
    fields.insert("Content-Type".to_owned(), policy.content_type.clone());
    fields.insert("x-amz-algorithm".to_owned(), ALGORITHM.to_owned());
    fields.insert("x-amz-credential".to_owned(), credential);
    fields.insert("x-amz-date".to_owned(), amz_date);
    if let Some(token) = &credentials.session_token {
        fields.insert("x-amz-security-token".to_owned(), token.clone());
    }
    fields.insert("policy".to_owned(), encoded);
    fields.insert("x-amz-signature".to_owned(), signature);
    PresignedPost {
        url: policy.url.clone(),
        fields,
        key: policy.key.clone(),
        max_bytes: policy.max_bytes,
        expires_at,
        expiration,
    }
}

/// The Signature Version 4 signing key for S3: HMAC-SHA256 chained over
/// `AWS4<secret>`, the date (`YYYYMMDD`), the region, `s3` and `aws4_request`.
///
/// ```
/// // The key of the POST example in the S3 documentation.
/// let key = thumbing_avatar_service::presign::signing_key("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "20151229", "us-east-1");
/// assert_eq!(hex::encode(key), "cbcef1ebeaefc82cce6530b9f0a9ae598846065f5c5bae0674bd5ebc4ba52d28");
/// ```
pub fn signing_key(secret_access_key: &str, date: &str, region: &str) -> [u8; 32] {
    let k_date = hmac_sha256(format!("AWS4{secret_access_key}").as_bytes(), date.as_bytes());
    let k_region = hmac_sha256(&k_date, region.as_bytes());
    let k_service = hmac_sha256(&k_region, b"s3");
    hmac_sha256(&k_service, b"aws4_request")
}

/// The hex signature of a base64 policy: HMAC-SHA256 of the policy text with the
/// [`signing_key`].
///
/// ```
/// let sig = thumbing_avatar_service::presign::sign_policy("secret", "20240101", "us-east-1", "e30=");
/// assert_eq!(sig.len(), 64);
/// ```
pub fn sign_policy(secret_access_key: &str, date: &str, region: &str, policy_base64: &str) -> String {
    hex::encode(hmac_sha256(&signing_key(secret_access_key, date, region), policy_base64.as_bytes()))
}

fn hmac_sha256(key: &[u8], data: &[u8]) -> [u8; 32] {
    // HMAC accepts keys of any length, so `new_from_slice` cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).unwrap_or_else(|_| unreachable!());
    mac.update(data);
    mac.finalize().into_bytes().into()
}

/// Why a posted form was refused, as S3 would refuse it.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum PostError {
    /// A required field (`policy`, `x-amz-signature`, `key`, …) is missing.
    MissingField(&'static str),
    /// The algorithm, credential or date fields are malformed or name another key.
    BadCredential(String),
    /// The signature does not match the policy.
    SignatureMismatch,
    /// The policy is not base64 JSON with an `expiration` and `conditions`.
    MalformedPolicy(String),
    /// The policy has expired.
    Expired,
    /// A field breaks a condition, or a field is not covered by any condition.
    ConditionFailed(String),
}

impl fmt::Display for PostError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            PostError::MissingField(name) => write!(f, "the form has no {name} field"),
            PostError::BadCredential(m) => write!(f, "bad credential: {m}"),
            PostError::SignatureMismatch => f.write_str("the signature does not match the policy"),
            PostError::MalformedPolicy(m) => write!(f, "malformed policy: {m}"),
            PostError::Expired => f.write_str("the upload form has expired"),
            PostError::ConditionFailed(m) => write!(f, "policy condition failed: {m}"),
        }
    }
}

impl std::error::Error for PostError {}

/// What a verified form allows: its key and content type, and the size range the file
/// must then be checked against while it is read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedPost {
    /// The object key.
    pub key: String,
    /// The declared content type.
    pub content_type: String,
    /// Smallest allowed file size (`content-length-range`), or 0.
    pub min_bytes: u64,
    /// Largest allowed file size, or `u64::MAX` when the policy has no range.
    pub max_bytes: u64,
}

/// Checks a posted form (the fields before `file`, names compared case-insensitively) the
/// way S3 does: algorithm, credential scope and access key, signature (in constant time),
/// expiry, and every condition of the policy; and refuses fields that no condition covers.
/// The file's size is the caller's to check against [`VerifiedPost::max_bytes`].
///
/// ```
/// use std::time::UNIX_EPOCH;
/// use thumbing_avatar_service::presign::{verify_post, Credentials, PostError};
/// let form = vec![("key".to_owned(), "x.png".to_owned())];
/// let err = verify_post(&Credentials::new("a", "b", None), "uploads", &form, UNIX_EPOCH).unwrap_err();
/// assert_eq!(err, PostError::MissingField("policy"));
/// ```
pub fn verify_post(
    credentials: &Credentials,
    bucket: &str,
    form: &[(String, String)],
    now: SystemTime,
) -> Result<VerifiedPost, PostError> {
    let mut fields: BTreeMap<String, &str> = BTreeMap::new();
    for (name, value) in form {
        let lower = name.to_ascii_lowercase();
        if fields.insert(lower, value.as_str()).is_some() {
            return Err(PostError::ConditionFailed(format!("the field {name} is given twice")));
        }
    }
    let field = |name: &'static str| fields.get(name).copied().ok_or(PostError::MissingField(name));
    let policy = field("policy")?;
    let signature = field("x-amz-signature")?;
    if field("x-amz-algorithm")? != ALGORITHM {
        return Err(PostError::BadCredential(format!("x-amz-algorithm must be {ALGORITHM}")));
    }
    let credential = field("x-amz-credential")?;
    let parts: Vec<&str> = credential.split('/').collect();
    let [access_key, date, region, "s3", "aws4_request"] = parts.as_slice() else {
        return Err(PostError::BadCredential("x-amz-credential is not <key>/<date>/<region>/s3/aws4_request".into()));
    };
    if *access_key != credentials.access_key_id {
        return Err(PostError::BadCredential("unknown access key".into()));
    }
    let amz_date = field("x-amz-date")?;
    if !amz_date.starts_with(date) {
        return Err(PostError::BadCredential("x-amz-date and the credential's date differ".into()));
    }
    let expected = sign_policy(&credentials.secret_access_key, date, region, policy);
    if !constant_time_eq(expected.as_bytes(), signature.to_ascii_lowercase().as_bytes()) {
        return Err(PostError::SignatureMismatch);
    }
    if credentials.session_token.as_deref().is_some_and(|t| fields.get("x-amz-security-token") != Some(&t)) {
        return Err(PostError::BadCredential("x-amz-security-token is missing or wrong".into()));
    }

    let decoded = BASE64.decode(policy).map_err(|e| PostError::MalformedPolicy(format!("not base64: {e}")))?;
    let document: serde_json::Value =
        serde_json::from_slice(&decoded).map_err(|e| PostError::MalformedPolicy(format!("not JSON: {e}")))?;
    let expiration = document
        .get("expiration")
        .and_then(|e| e.as_str())
        .ok_or_else(|| PostError::MalformedPolicy("no expiration".into()))?;
    let expires_at = parse_iso8601(expiration)
        .ok_or_else(|| PostError::MalformedPolicy(format!("expiration {expiration:?} is not an ISO 8601 UTC time")))?;
    if unix_seconds(now) >= expires_at {
        return Err(PostError::Expired);
    }
    let conditions = document
        .get("conditions")
        .and_then(|c| c.as_array())
        .ok_or_else(|| PostError::MalformedPolicy("no conditions".into()))?;

    let mut covered: Vec<String> = vec!["policy".into(), "x-amz-signature".into(), "file".into()];
    let (mut min_bytes, mut max_bytes) = (0, u64::MAX);
    let value_of = |name: &str| -> &str { fields.get(name).copied().unwrap_or("") };
    for condition in conditions {
        let (name, op, expected) = match condition {
            serde_json::Value::Object(map) if map.len() == 1 => {
                let (name, value) = map.iter().next().unwrap_or_else(|| unreachable!());
                (name.to_ascii_lowercase(), "eq", value.as_str().unwrap_or_default().to_owned())
            }
            serde_json::Value::Array(items) if items.len() == 3 => {
                let op = items[0].as_str().unwrap_or_default().to_ascii_lowercase();
                if op == "content-length-range" {
                    let (Some(lo), Some(hi)) = (items[1].as_u64(), items[2].as_u64()) else {
                        return Err(PostError::MalformedPolicy("content-length-range needs two numbers".into()));
                    };
                    (min_bytes, max_bytes) = (lo, hi);
                    continue;
                }
                let name = items[1].as_str().unwrap_or_default();
                let Some(name) = name.strip_prefix('$') else {
                    return Err(PostError::MalformedPolicy(format!("condition field {name:?} does not start with $")));
                };
                let op = match op.as_str() {
                    "eq" => "eq",
                    "starts-with" => "starts-with",
                    other => return Err(PostError::MalformedPolicy(format!("unknown condition {other:?}"))),
                };
                (name.to_ascii_lowercase(), op, items[2].as_str().unwrap_or_default().to_owned())
            }
            other => return Err(PostError::MalformedPolicy(format!("unknown condition {other}"))),
        };
        let actual = if name == "bucket" { bucket } else { value_of(&name) };
        let ok = match op {
            "eq" => actual == expected,
            _ => actual.starts_with(&expected),
        };
        if !ok {
            return Err(PostError::ConditionFailed(format!("{name} must {op} {expected:?}")));
        }
        covered.push(name);
    }
    for name in fields.keys() {
        if !covered.contains(name) && !name.starts_with("x-ignore-") {
            return Err(PostError::ConditionFailed(format!("the field {name} is not allowed by the policy")));
        }
    }
    Ok(VerifiedPost {
        key: field("key")?.to_owned(),
        content_type: value_of("content-type").to_owned(),
        min_bytes,
        max_bytes,
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Seconds since the Unix epoch (0 for times before it).
pub fn unix_seconds(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).map(|d| d.as_secs()).unwrap_or(0)
}

/// 9999-12-31T23:59:59Z: the last second the four-digit years of these formats can write.
const LAST_SECOND: u64 = 253_402_300_799;

/// A time in seconds since the epoch as a UTC date-time (clamped to [`LAST_SECOND`]).
fn utc(secs: u64) -> OffsetDateTime {
    // In range by the clamp, so the conversion cannot fail.
    OffsetDateTime::from_unix_timestamp(secs.min(LAST_SECOND) as i64).unwrap_or(OffsetDateTime::UNIX_EPOCH)
}

fn format_utc(secs: u64, format: &[BorrowedFormatItem<'_>]) -> String {
    // Every component these formats name is known for a UTC date-time of year 0000-9999:
    // formatting cannot fail.
    utc(secs).format(format).unwrap_or_else(|_| unreachable!("a UTC date-time formats"))
}

/// `2015-12-30T12:00:00.000Z`: the expiration format of S3 POST policies.
///
/// ```
/// assert_eq!(thumbing_avatar_service::presign::iso8601(1_451_476_800), "2015-12-30T12:00:00.000Z");
/// ```
pub fn iso8601(secs: u64) -> String {
    format_utc(secs, format_description!("[year]-[month]-[day]T[hour]:[minute]:[second].[subsecond digits:3]Z"))
}

/// `20151230`: the date of a Signature Version 4 credential scope.
fn compact_date(secs: u64) -> String {
    format_utc(secs, format_description!("[year][month][day]"))
}

/// `20151230T120000Z`: the `x-amz-date` of Signature Version 4.
fn compact_date_time(secs: u64) -> String {
    format_utc(secs, format_description!("[year][month][day]T[hour][minute][second]Z"))
}

/// Parses an RFC 3339 (ISO 8601) time such as `2015-12-30T12:00:00.000Z` into seconds since
/// the epoch (fractions dropped); `None` for other text or times before the epoch.
///
/// ```
/// use thumbing_avatar_service::presign::parse_iso8601;
/// assert_eq!(parse_iso8601("2015-12-30T12:00:00.000Z"), Some(1_451_476_800));
/// assert_eq!(parse_iso8601("2015-12-30 12:00"), None);
/// ```
pub fn parse_iso8601(text: &str) -> Option<u64> {
    let time = OffsetDateTime::parse(text, &Rfc3339).ok()?;
    u64::try_from(time.unix_timestamp()).ok()
}

/// The content type of an allowed image extension (case-insensitive), or `None`.
///
/// ```
/// use thumbing_avatar_service::presign::content_type_for_extension;
/// assert_eq!(content_type_for_extension("JPG"), Some("image/jpeg"));
/// assert_eq!(content_type_for_extension("svg"), None);
/// ```
pub fn content_type_for_extension(extension: &str) -> Option<&'static str> {
    match extension.to_ascii_lowercase().as_str() {
        "jpg" | "jpeg" => Some("image/jpeg"),
        "png" => Some("image/png"),
        "webp" => Some("image/webp"),
        "gif" => Some("image/gif"),
        _ => None,
    }
}

/// The extensions [`content_type_for_extension`] knows, in their canonical spelling.
pub const IMAGE_EXTENSIONS: [&str; 5] = ["jpg", "jpeg", "png", "webp", "gif"];

/// Checks a client-supplied extension against an allow-list and returns its canonical
/// lower-case spelling and content type. The extension is never used as given: only a
/// listed value comes back.
///
/// ```
/// use thumbing_avatar_service::presign::validate_extension;
/// let allowed = ["jpg", "png"];
/// assert_eq!(validate_extension(".PNG", &allowed), Some(("png", "image/png")));
/// assert_eq!(validate_extension("png/../../x", &allowed), None);
/// assert_eq!(validate_extension("webp", &allowed), None);
/// ```
pub fn validate_extension<'a>(extension: &str, allowed: &[&'a str]) -> Option<(&'a str, &'static str)> {
    let wanted = extension.strip_prefix('.').unwrap_or(extension);
    if wanted.is_empty() || wanted.len() > 8 {
        return None;
    }
    let canonical = allowed.iter().find(|a| a.eq_ignore_ascii_case(wanted))?;
    Some((canonical, content_type_for_extension(canonical)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The worked example "Browser-Based Upload using HTTP POST (Using AWS Signature
    /// Version 4)" of the Amazon S3 API reference: its base64 policy, credentials and
    /// published signature.
    const DOC_POLICY: &str = "eyAiZXhwaXJhdGlvbiI6ICIyMDE1LTEyLTMwVDEyOjAwOjAwLjAwMFoiLA0KICAiY29uZGl0aW9ucyI6IFsNCiAgICB7ImJ1Y2tldCI6ICJzaWd2NGV4YW1wbGVidWNrZXQifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRrZXkiLCAidXNlci91c2VyMS8iXSwNCiAgICB7ImFjbCI6ICJwdWJsaWMtcmVhZCJ9LA0KICAgIHsic3VjY2Vzc19hY3Rpb25fcmVkaXJlY3QiOiAiaHR0cDovL3NpZ3Y0ZXhhbXBsZWJ1Y2tldC5zMy5hbWF6b25hd3MuY29tL3N1Y2Nlc3NmdWxfdXBsb2FkLmh0bWwifSwNCiAgICBbInN0YXJ0cy13aXRoIiwgIiRDb250ZW50LVR5cGUiLCAiaW1hZ2UvIl0sDQogICAgeyJ4LWFtei1tZXRhLXV1aWQiOiAiMTQzNjUxMjM2NTEyNzQifSwNCiAgICB7IngtYW16LXNlcnZlci1zaWRlLWVuY3J5cHRpb24iOiAiQUVTMjU2In0sDQogICAgWyJzdGFydHMtd2l0aCIsICIkeC1hbXotbWV0YS10YWciLCAiIl0sDQoNCiAgICB7IngtYW16LWNyZWRlbnRpYWwiOiAiQUtJQUlPU0ZPRE5ON0VYQU1QTEUvMjAxNTEyMjkvdXMtZWFzdC0xL3MzL2F3czRfcmVxdWVzdCJ9LA0KICAgIHsieC1hbXotYWxnb3JpdGhtIjogIkFXUzQtSE1BQy1TSEEyNTYifSwNCiAgICB7IngtYW16LWRhdGUiOiAiMjAxNTEyMjlUMDAwMDAwWiIgfQ0KICBdDQp9";
    const DOC_SECRET: &str = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY";
    const DOC_SIGNATURE: &str = "8afdbf4008c03f22c2cd3cdb72e4afbb1f6a588f3255ac628749a66d7f09699e";

    fn doc_form() -> Vec<(String, String)> {
        [
            ("key", "user/user1/photo.jpg"),
            ("acl", "public-read"),
            ("success_action_redirect", "http://sigv4examplebucket.s3.amazonaws.com/successful_upload.html"),
            ("Content-Type", "image/jpeg"),
            ("x-amz-meta-uuid", "14365123651274"),
            ("x-amz-server-side-encryption", "AES256"),
            ("X-Amz-Credential", "AKIAIOSFODNN7EXAMPLE/20151229/us-east-1/s3/aws4_request"),
            ("X-Amz-Algorithm", "AWS4-HMAC-SHA256"),
            ("X-Amz-Date", "20151229T000000Z"),
            ("x-amz-meta-tag", ""),
            ("Policy", DOC_POLICY),
            ("X-Amz-Signature", DOC_SIGNATURE),
        ]
        .into_iter()
        .map(|(a, b)| (a.to_owned(), b.to_owned()))
        .collect()
    }

    #[test]
    fn signature_matches_the_s3_documentation_example() {
        assert_eq!(sign_policy(DOC_SECRET, "20151229", "us-east-1", DOC_POLICY), DOC_SIGNATURE);
    }

    #[test]
    fn the_documentation_form_verifies_before_expiry_only() {
        let creds = Credentials::new("AKIAIOSFODNN7EXAMPLE", DOC_SECRET, None);
        let before = UNIX_EPOCH + Duration::from_secs(parse_iso8601("2015-12-29T12:00:00Z").unwrap());
        let ok = verify_post(&creds, "sigv4examplebucket", &doc_form(), before).unwrap();
        assert_eq!(ok.key, "user/user1/photo.jpg");
        assert_eq!(ok.content_type, "image/jpeg");
        assert_eq!((ok.min_bytes, ok.max_bytes), (0, u64::MAX));
        let after = UNIX_EPOCH + Duration::from_secs(parse_iso8601("2015-12-30T12:00:00Z").unwrap());
        assert_eq!(verify_post(&creds, "sigv4examplebucket", &doc_form(), after), Err(PostError::Expired));
        assert!(matches!(verify_post(&creds, "otherbucket", &doc_form(), before), Err(PostError::ConditionFailed(_))));
    }

    fn sample() -> (Credentials, PostPolicy, SystemTime) {
        let creds = Credentials::new("AKIDLOCAL", "local-secret", None);
        let policy = PostPolicy {
            url: "http://127.0.0.1/uploads".into(),
            bucket: "uploads".into(),
            key: "abc.png".into(),
            content_type: "image/png".into(),
            max_bytes: 1000,
            region: "us-east-1".into(),
            expires_in: Duration::from_secs(300),
        };
        (creds, policy, UNIX_EPOCH + Duration::from_secs(1_800_000_000))
    }

    #[test]
    fn generated_policy_has_exactly_the_intended_conditions() {
        let (creds, policy, now) = sample();
        let creds = Credentials { session_token: Some("tok".into()), ..creds };
        let post = presign_post(&creds, &policy, now);
        let doc: serde_json::Value = serde_json::from_slice(&BASE64.decode(&post.fields["policy"]).unwrap()).unwrap();
        assert_eq!(doc["expiration"], iso8601(1_800_000_300));
        let conditions = doc["conditions"].as_array().unwrap();
        assert!(conditions.contains(&serde_json::json!({"bucket": "uploads"})));
        assert!(conditions.contains(&serde_json::json!(["eq", "$key", "abc.png"])));
        assert!(conditions.contains(&serde_json::json!(["eq", "$Content-Type", "image/png"])));
        assert!(conditions.contains(&serde_json::json!(["content-length-range", 1, 1000])));
        assert!(conditions.contains(&serde_json::json!({"x-amz-security-token": "tok"})));
        assert!(conditions.contains(&serde_json::json!({"x-amz-algorithm": ALGORITHM})));
        assert_eq!(conditions.len(), 8);
        // The signature is over the base64 text, with the date of `now`.
        assert_eq!(
            post.fields["x-amz-signature"],
            sign_policy("local-secret", &compact_date(1_800_000_000), "us-east-1", &post.fields["policy"])
        );
    }

    #[test]
    fn tampered_forms_are_refused() {
        let (creds, policy, now) = sample();
        let post = presign_post(&creds, &policy, now);
        let form = |edit: &dyn Fn(&mut BTreeMap<String, String>)| {
            let mut f = post.fields.clone();
            edit(&mut f);
            f.into_iter().collect::<Vec<_>>()
        };
        let ok = verify_post(&creds, "uploads", &form(&|_| {}), now).unwrap();
        assert_eq!((ok.min_bytes, ok.max_bytes), (1, 1000));
        let other_key = form(&|f| {
            f.insert("key".into(), "someone-else.png".into());
        });
        assert!(matches!(verify_post(&creds, "uploads", &other_key, now), Err(PostError::ConditionFailed(_))));
        let other_type = form(&|f| {
            f.insert("Content-Type".into(), "text/html".into());
        });
        assert!(matches!(verify_post(&creds, "uploads", &other_type, now), Err(PostError::ConditionFailed(_))));
        let extra = form(&|f| {
            f.insert("acl".into(), "public-read".into());
        });
        assert!(matches!(verify_post(&creds, "uploads", &extra, now), Err(PostError::ConditionFailed(_))));
        let bad_sig = form(&|f| {
            f.insert("x-amz-signature".into(), "0".repeat(64));
        });
        assert_eq!(verify_post(&creds, "uploads", &bad_sig, now), Err(PostError::SignatureMismatch));
        let wrong_secret = Credentials::new("AKIDLOCAL", "other", None);
        assert_eq!(verify_post(&wrong_secret, "uploads", &form(&|_| {}), now), Err(PostError::SignatureMismatch));
        let wrong_key = Credentials::new("AKIDOTHER", "local-secret", None);
        assert!(matches!(verify_post(&wrong_key, "uploads", &form(&|_| {}), now), Err(PostError::BadCredential(_))));
        assert_eq!(
            verify_post(&creds, "uploads", &form(&|_| {}), now + Duration::from_secs(300)),
            Err(PostError::Expired)
        );
    }

    #[test]
    fn dates_round_trip() {
        for secs in [0, 951_782_400, 1_451_476_800, 4_102_444_799] {
            assert_eq!(parse_iso8601(&iso8601(secs)), Some(secs));
        }
        assert_eq!(compact_date_time(1_451_347_200), "20151229T000000Z");
    }
}
