//! The upload-URL function for AWS Lambda behind an API Gateway HTTP API with a JWT
//! authorizer: `POST /avatars/key_upload` `{"extension": "png"}` → a presigned POST for
//! `<sub>.<ext>` in the uploads bucket.
//!
//! The authorizer has already verified the token (issuer, audience/client, expiry); the
//! function takes the caller's `sub` from `requestContext.authorizer.jwt.claims.sub` and
//! never from the body. Settings come from the environment: `UPLOADS_BUCKET`,
//! `AWS_REGION`, `MAX_UPLOAD_BYTES` (default 10485760), `UPLOAD_URL_TTL_SECONDS` (default
//! 300), `ALLOWED_EXTENSIONS` (default `jpg,jpeg,png,webp,gif`), and the role's
//! credentials `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, which
//! sign the form.

use std::time::{Duration, SystemTime};

use aws_lambda_events::apigw::{ApiGatewayV2httpRequest, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue};

use crate::presign::{Credentials, IMAGE_EXTENSIONS, PostPolicy, presign_post, validate_extension};

/// The function's settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadUrlConfig {
    /// The uploads bucket.
    pub bucket: String,
    /// Its region.
    pub region: String,
    /// The largest upload.
    pub max_bytes: u64,
    /// How long a form is valid.
    pub ttl: Duration,
    /// Accepted extensions.
    pub allowed_extensions: Vec<&'static str>,
    /// The folder of the uploads bucket the keys go into (`UPLOAD_PREFIX`): empty for the
    /// bucket root, else ending in `/`. It must match the processing function's input folder.
    pub upload_prefix: String,
}

impl UploadUrlConfig {
    /// Reads the settings through `lookup`, reporting every problem at once.
    ///
    /// ```
    /// use thumbing_avatar_service::upload_url::UploadUrlConfig;
    /// let c = UploadUrlConfig::from_lookup(|n| match n {
    ///     "UPLOADS_BUCKET" => Some("uploads".into()),
    ///     "AWS_REGION" => Some("eu-west-1".into()),
    ///     _ => None,
    /// }).unwrap();
    /// assert_eq!(c.max_bytes, 10 * 1024 * 1024);
    /// assert!(UploadUrlConfig::from_lookup(|_| None).is_err());
    /// ```
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let get = |name: &str| lookup(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
        let mut problems = Vec::new();
        let bucket = get("UPLOADS_BUCKET").unwrap_or_else(|| {
            problems.push("UPLOADS_BUCKET is required".to_owned());
            String::new()
        });
        let region = get("AWS_REGION").unwrap_or_else(|| {
            problems.push("AWS_REGION is required".to_owned());
            String::new()
        });
        let mut number = |name: &str, default: u64, min: u64, max: u64| match get(name) {
            None => default,
            Some(v) => v.parse().ok().filter(|n| (min..=max).contains(n)).unwrap_or_else(|| {
                problems.push(format!("{name}={v:?} must be a whole number from {min} to {max}"));
                default
            }),
        };
        let max_bytes = number("MAX_UPLOAD_BYTES", 10 * 1024 * 1024, 1, 5 * 1024 * 1024 * 1024);
        let ttl = Duration::from_secs(number("UPLOAD_URL_TTL_SECONDS", 300, 60, 3600));
        let mut allowed_extensions = IMAGE_EXTENSIONS.to_vec();
        if let Some(list) = get("ALLOWED_EXTENSIONS") {
            allowed_extensions.clear();
            for ext in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
                match IMAGE_EXTENSIONS.iter().find(|k| k.eq_ignore_ascii_case(ext)) {
                    Some(k) => allowed_extensions.push(*k),
                    None => problems.push(format!("ALLOWED_EXTENSIONS: {ext:?} is not an image extension")),
                }
            }
        }
        let upload_prefix = match get("UPLOAD_PREFIX") {
            None => String::new(),
            Some(p) => {
                let p = if p.ends_with('/') { p } else { format!("{p}/") };
                let safe = p.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b));
                if p.starts_with('/') || p.contains("//") || p.split('/').any(|s| s == "." || s == "..") || !safe {
                    problems.push(format!(
                        "UPLOAD_PREFIX={p:?} must be a relative folder of letters, digits, '-', '_', '.' and '/'"
                    ));
                }
                p
            }
        };
        if problems.is_empty() {
            Ok(UploadUrlConfig { bucket, region, max_bytes, ttl, allowed_extensions, upload_prefix })
        } else {
            Err(format!("invalid configuration: {}", problems.join("; ")))
        }
    }
}

/// The role's credentials from the environment Lambda provides.
pub fn credentials_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Credentials, String> {
    match (lookup("AWS_ACCESS_KEY_ID"), lookup("AWS_SECRET_ACCESS_KEY")) {
        (Some(id), Some(secret)) if !id.is_empty() && !secret.is_empty() => {
            Ok(Credentials::new(id, secret, lookup("AWS_SESSION_TOKEN").filter(|t| !t.is_empty())))
        }
        _ => Err("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are required".into()),
    }
}

fn response(status: i64, body: serde_json::Value) -> ApiGatewayV2httpResponse {
    let mut headers = HeaderMap::new();
    headers.insert("content-type", HeaderValue::from_static("application/json"));
    headers.insert("cache-control", HeaderValue::from_static("no-store"));
    // The struct is non-exhaustive: fill a default one.
    let mut response = ApiGatewayV2httpResponse::default();
    response.status_code = status;
    response.headers = headers;
    response.body = Some(Body::Text(body.to_string()));
    response.is_base64_encoded = false;
    response
}

fn error(status: i64, code: &str, message: &str) -> ApiGatewayV2httpResponse {
    response(status, serde_json::json!({"error": code, "message": message}))
}

/// Answers one request: 401 without a usable `sub` claim, 400 for a body that is not
/// `{"extension": "…"}`, 422 for an extension that is not allowed, else 200 with
/// `{url, fields, key, content_type, max_bytes, expires_at}`.
pub fn handle(
    config: &UploadUrlConfig,
    credentials: &Credentials,
    request: &ApiGatewayV2httpRequest,
    now: SystemTime,
) -> ApiGatewayV2httpResponse {
    let sub = request
        .request_context
        .authorizer
        .as_ref()
        .and_then(|a| a.jwt.as_ref())
        .and_then(|jwt| jwt.claims.get("sub"))
        .map(String::as_str)
        .unwrap_or_default();
    if sub.is_empty() || sub.len() > 64 || !sub.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return error(401, "unauthorized", "no valid sub claim from the authorizer");
    }
    let body = match (&request.body, request.is_base64_encoded) {
        (Some(text), false) => text.as_bytes().to_vec(),
        (Some(text), true) => {
            use base64::Engine as _;
            match base64::engine::general_purpose::STANDARD.decode(text) {
                Ok(bytes) => bytes,
                Err(_) => return error(400, "bad_request", "the body is not valid base64"),
            }
        }
        (None, _) => return error(400, "bad_request", "send {\"extension\": \"png\"}"),
    };
    #[derive(serde::Deserialize)]
    struct Request {
        extension: String,
    }
    let parsed: Request = match serde_json::from_slice(&body) {
        Ok(r) => r,
        Err(e) => return error(400, "bad_request", &format!("invalid JSON body: {e}")),
    };
    let Some((ext, content_type)) = validate_extension(&parsed.extension, &config.allowed_extensions) else {
        let message = format!("the extension must be one of {}", config.allowed_extensions.join(", "));
        return error(422, "unsupported_extension", &message);
    };
    let policy = PostPolicy {
        url: format!("https://{}.s3.{}.amazonaws.com/", config.bucket, config.region),
        bucket: config.bucket.clone(),
        key: format!("{}{sub}.{ext}", config.upload_prefix),
        content_type: content_type.to_owned(),
        max_bytes: config.max_bytes,
        region: config.region.clone(),
        expires_in: config.ttl,
    };
    let post = presign_post(credentials, &policy, now);
    response(
        200,
        serde_json::json!({
            "url": post.url, "fields": post.fields, "key": post.key, "content_type": content_type,
            "max_bytes": post.max_bytes, "expires_at": post.expires_at,
        }),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::UNIX_EPOCH;

    fn event(sub: Option<&str>, body: Option<&str>) -> ApiGatewayV2httpRequest {
        let claims = match sub {
            Some(sub) => serde_json::json!({"sub": sub, "client_id": "abc", "token_use": "access"}),
            None => serde_json::json!({}),
        };
        // A trimmed sample of what API Gateway (HTTP API, payload 2.0) sends.
        let value = serde_json::json!({
            "version": "2.0", "routeKey": "POST /avatars/key_upload", "rawPath": "/avatars/key_upload",
            "rawQueryString": "", "headers": {"content-type": "application/json"},
            "requestContext": {
                "accountId": "123456789012", "apiId": "api", "domainName": "api.example.com",
                "domainPrefix": "api", "http": {"method": "POST", "path": "/avatars/key_upload",
                "protocol": "HTTP/1.1", "sourceIp": "192.0.2.1", "userAgent": "test"},
                "requestId": "id", "routeKey": "POST /avatars/key_upload", "stage": "$default",
                "time": "01/Jan/2026:00:00:00 +0000", "timeEpoch": 1767225600000u64,
                "authorizer": {"jwt": {"claims": claims, "scopes": null}}
            },
            "body": body, "isBase64Encoded": false
        });
        serde_json::from_value(value).unwrap()
    }

    fn config() -> UploadUrlConfig {
        UploadUrlConfig::from_lookup(|n| match n {
            "UPLOADS_BUCKET" => Some("uploads".into()),
            "AWS_REGION" => Some("eu-west-1".into()),
            "ALLOWED_EXTENSIONS" => Some("jpg,png".into()),
            _ => None,
        })
        .unwrap()
    }

    fn body(r: &ApiGatewayV2httpResponse) -> serde_json::Value {
        match &r.body {
            Some(Body::Text(t)) => serde_json::from_str(t).unwrap(),
            other => panic!("unexpected body {other:?}"),
        }
    }

    #[test]
    fn signs_a_form_for_the_callers_key() {
        let creds = Credentials::new("AKID", "secret", Some("session".into()));
        let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let r = handle(&config(), &creds, &event(Some("1b2c-33"), Some(r#"{"extension": ".PNG"}"#)), now);
        assert_eq!(r.status_code, 200);
        let b = body(&r);
        assert_eq!(b["key"], "1b2c-33.png");
        assert_eq!(b["url"], "https://uploads.s3.eu-west-1.amazonaws.com/");
        assert_eq!(b["fields"]["Content-Type"], "image/png");
        assert_eq!(b["fields"]["x-amz-security-token"], "session");
        assert_eq!(b["expires_at"], 1_767_225_900);
        let form: Vec<(String, String)> =
            b["fields"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect();
        let verified = crate::presign::verify_post(&creds, "uploads", &form, now).unwrap();
        assert_eq!((verified.key.as_str(), verified.max_bytes), ("1b2c-33.png", 10 * 1024 * 1024));
    }

    #[test]
    fn keys_go_into_the_configured_upload_folder() {
        let lookup = |prefix: &'static str| {
            move |n: &str| match n {
                "UPLOADS_BUCKET" => Some("uploads".to_owned()),
                "AWS_REGION" => Some("eu-west-1".to_owned()),
                "UPLOAD_PREFIX" => Some(prefix.to_owned()),
                _ => None,
            }
        };
        let c = UploadUrlConfig::from_lookup(lookup("incoming")).unwrap();
        assert_eq!(c.upload_prefix, "incoming/");
        let creds = Credentials::new("AKID", "secret", None);
        let now = UNIX_EPOCH + Duration::from_secs(1_767_225_600);
        let r = handle(&c, &creds, &event(Some("1b2c-33"), Some(r#"{"extension": "jpg"}"#)), now);
        assert_eq!(body(&r)["key"], "incoming/1b2c-33.jpg");
        for bad in ["/abs", "a/../b", "a//b", "sp ace"] {
            let e = UploadUrlConfig::from_lookup(lookup(bad)).unwrap_err();
            assert!(e.contains("UPLOAD_PREFIX"), "{bad}: {e}");
        }
    }

    #[test]
    fn refuses_bad_requests_with_json_errors() {
        let creds = Credentials::new("AKID", "secret", None);
        let c = config();
        let cases = [
            (None, Some(r#"{"extension": "png"}"#), 401),
            (Some("../x"), Some(r#"{"extension": "png"}"#), 401),
            (Some("abc"), None, 400),
            (Some("abc"), Some("not json"), 400),
            (Some("abc"), Some(r#"{"ext": "png"}"#), 400),
            (Some("abc"), Some(r#"{"extension": "webp"}"#), 422),
            (Some("abc"), Some(r#"{"extension": "png/../../etc"}"#), 422),
        ];
        for (sub, b, status) in cases {
            let r = handle(&c, &creds, &event(sub, b), UNIX_EPOCH);
            assert_eq!(r.status_code, status, "{sub:?} {b:?}");
            assert!(body(&r)["error"].is_string());
        }
    }
}
