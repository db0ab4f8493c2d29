//! Helpers shared by the integration tests: a real service on 127.0.0.1, sign-in, uploads.
#![allow(dead_code)]

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;
use thumbing_avatar_service::app::Service;
use thumbing_avatar_service::config::ServiceConfig;

pub const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../fixtures");

pub fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(format!("{FIXTURES}/{name}")).unwrap_or_else(|e| panic!("fixture {name}: {e}"))
}

/// A fresh, empty data directory.
pub fn temp_dir(label: &str) -> PathBuf {
    static COUNTER: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("thumbing-avatar-{label}-{}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The embedded defaults on a free port and a fresh data directory.
pub fn local_config(label: &str) -> ServiceConfig {
    ServiceConfig::local("127.0.0.1:0".parse().unwrap(), temp_dir(label))
}

pub struct TestServer {
    pub url: String,
    pub http: reqwest::Client,
    pub data_dir: PathBuf,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
    }
}

pub async fn start(config: ServiceConfig) -> TestServer {
    let data_dir = config.data_dir.clone();
    let service = Service::bind(config).await.expect("service starts");
    let url = service.public_url().to_owned();
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(service.run(async move {
        let _ = stopped.await;
    }));
    let http = reqwest::Client::builder().timeout(Duration::from_secs(60)).build().unwrap();
    TestServer { url, http, data_dir, stop: Some(stop) }
}

impl TestServer {
    pub fn at(&self, path: &str) -> String {
        format!("{}{path}", self.url)
    }

    /// Signs in a demo user of the development issuer: (token, sub).
    pub async fn sign_in(&self, username: &str) -> (String, String) {
        let r = self
            .http
            .post(self.at("/dev/sign-in"))
            .json(&serde_json::json!({"username": username}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let body: Value = r.json().await.unwrap();
        (body["access_token"].as_str().unwrap().to_owned(), body["sub"].as_str().unwrap().to_owned())
    }

    pub async fn get_json(&self, path: &str, token: Option<&str>) -> (u16, Value) {
        let mut request = self.http.get(self.at(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let r = request.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    pub async fn post_json(&self, path: &str, token: Option<&str>, body: &Value) -> (u16, Value) {
        let mut request = self.http.post(self.at(path)).json(body);
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let r = request.send().await.unwrap();
        let status = r.status().as_u16();
        (status, r.json().await.unwrap_or(Value::Null))
    }

    /// Asks for an upload form.
    pub async fn key_upload(&self, token: &str, extension: &str) -> Value {
        let (status, body) =
            self.post_json("/avatars/key_upload", Some(token), &serde_json::json!({"extension": extension})).await;
        assert_eq!(status, 200, "{body}");
        body
    }

    /// Waits until the avatar state is no longer `processing`, and returns it.
    pub async fn wait_processed(&self, token: &str) -> Value {
        for _ in 0..600 {
            let (status, body) = self.get_json("/api/avatar/status", Some(token)).await;
            assert_eq!(status, 200);
            if body["state"] != "processing" {
                return body;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("the avatar was still processing after a minute");
    }
}

/// Posts a presigned form (its fields, then `file`) the way a browser does.
pub async fn post_form(
    http: &reqwest::Client,
    form: &Value,
    fields: &serde_json::Map<String, Value>,
    data: Vec<u8>,
    file_type: &str,
) -> reqwest::Response {
    let mut multipart = reqwest::multipart::Form::new();
    for (name, value) in fields {
        multipart = multipart.text(name.clone(), value.as_str().unwrap().to_owned());
    }
    let part = reqwest::multipart::Part::bytes(data).file_name("photo").mime_str(file_type).unwrap();
    multipart = multipart.part("file", part);
    http.post(form["url"].as_str().unwrap()).multipart(multipart).send().await.unwrap()
}

/// Whether a test that needs an external resource must fail instead of skipping.
pub fn required() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// (width, height) of a JPEG, PNG or WebP.
pub fn dimensions(data: &[u8]) -> (u32, u32) {
    let info = thumbing::probe(data).expect("an image");
    (info.width, info.height)
}

/// The S3-compatible test server of `scripts/test-service.sh` (`THUMBING_TEST_S3_ENDPOINT`),
/// or `None` when it is not running (a failure under `CI=true`), and a store on it with
/// these fresh buckets.
pub async fn test_s3(buckets: &[&str]) -> Option<(String, thumbing_storage::S3Store)> {
    let Ok(endpoint) = std::env::var("THUMBING_TEST_S3_ENDPOINT") else {
        assert!(!required(), "THUMBING_TEST_S3_ENDPOINT is not set (CI=true): run scripts/test-service.sh");
        println!("skipped: THUMBING_TEST_S3_ENDPOINT is not set (scripts/test-service.sh starts moto)");
        return None;
    };
    let store = thumbing_storage::S3Store::builder()
        .region("us-east-1")
        .credentials("testing", "testing-secret", None)
        .endpoint_url(endpoint.clone())
        .build()
        .unwrap();
    for bucket in buckets {
        store.client().create_bucket().bucket(*bucket).send().await.unwrap();
    }
    Some((endpoint, store))
}
