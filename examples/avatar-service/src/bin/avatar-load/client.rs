//! Simulated users: sign in, ask for an upload form, upload, tell the service (S3 mode),
//! poll until the avatar is ready, fetch it. Every request is timed per route.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

/// Latencies per route, in milliseconds, and the failures.
#[derive(Default)]
pub struct Recorder {
    inner: Mutex<BTreeMap<String, RouteSamples>>,
}

#[derive(Default, Clone)]
pub struct RouteSamples {
    pub millis: Vec<f64>,
    /// Answers other than the expected status, by status (0: no answer).
    pub unexpected: BTreeMap<u16, usize>,
}

impl Recorder {
    pub fn record(&self, route: &str, elapsed: Duration, expected: bool, status: u16) {
        let mut map = self.inner.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.entry(route.to_owned()).or_default();
        entry.millis.push(elapsed.as_secs_f64() * 1000.0);
        if !expected {
            *entry.unexpected.entry(status).or_default() += 1;
        }
    }

    pub fn take(&self) -> BTreeMap<String, RouteSamples> {
        std::mem::take(&mut *self.inner.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// The `q`-quantile of samples (nearest rank).
pub fn quantile(samples: &[f64], q: f64) -> f64 {
    if samples.is_empty() {
        return f64::NAN;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_by(f64::total_cmp);
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// One simulated user's session with the service.
pub struct User {
    pub http: reqwest::Client,
    pub base: String,
    pub name: String,
    pub token: String,
    pub rec: Arc<Recorder>,
}

/// What happened to one upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Upload {
    /// The service acknowledged it (204 from `/uploads`, or 202 from `/avatars/uploaded`).
    Acknowledged,
    /// Refused with this status (503 when the queue is full, …).
    Refused(u16),
    /// No answer (connection closed, timeout).
    Lost(String),
}

async fn timed(
    rec: &Recorder,
    route: &str,
    expected: u16,
    request: reqwest::RequestBuilder,
) -> Result<(u16, Vec<u8>), String> {
    let started = Instant::now();
    match request.send().await {
        Ok(r) => {
            let status = r.status().as_u16();
            let body = r.bytes().await.map(|b| b.to_vec()).unwrap_or_default();
            rec.record(route, started.elapsed(), status == expected, status);
            Ok((status, body))
        }
        Err(e) => {
            rec.record(route, started.elapsed(), false, 0);
            Err(e.to_string())
        }
    }
}

impl User {
    /// Signs in as a demo user of the development issuer.
    pub async fn sign_in(http: &reqwest::Client, base: &str, name: &str, rec: Arc<Recorder>) -> Result<User, String> {
        let request = http.post(format!("{base}/dev/sign-in")).json(&json!({"username": name}));
        let (status, body) = timed(&rec, "POST /dev/sign-in", 200, request).await?;
        if status != 200 {
            return Err(format!("sign-in of {name}: {status}"));
        }
        let body: Value = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        Ok(User {
            http: http.clone(),
            base: base.to_owned(),
            name: name.to_owned(),
            token: body["access_token"].as_str().unwrap_or_default().to_owned(),
            rec,
        })
    }

    /// Asks for a form, uploads `data` with it, and in S3 mode tells the service.
    pub async fn upload(&self, extension: &str, data: &[u8]) -> Upload {
        let request = self
            .http
            .post(format!("{}/avatars/key_upload", self.base))
            .bearer_auth(&self.token)
            .json(&json!({"extension": extension}));
        let form: Value = match timed(&self.rec, "POST /avatars/key_upload", 200, request).await {
            Ok((200, body)) => serde_json::from_slice(&body).unwrap_or(Value::Null),
            Ok((status, _)) => return Upload::Refused(status),
            Err(e) => return Upload::Lost(e),
        };
        let url = form["url"].as_str().unwrap_or_default().to_owned();
        let local = url.starts_with(&self.base);
        let mut multipart = reqwest::multipart::Form::new();
        for (name, value) in form["fields"].as_object().into_iter().flatten() {
            multipart = multipart.text(name.clone(), value.as_str().unwrap_or_default().to_owned());
        }
        let content_type = form["content_type"].as_str().unwrap_or("application/octet-stream").to_owned();
        let part = match reqwest::multipart::Part::bytes(data.to_vec()).file_name("photo").mime_str(&content_type) {
            Ok(part) => part,
            Err(e) => return Upload::Lost(e.to_string()),
        };
        multipart = multipart.part("file", part);
        let (route, expected) = if local { ("POST /uploads", 204) } else { ("POST <bucket> (S3)", 204) };
        match timed(&self.rec, route, expected, self.http.post(&url).multipart(multipart)).await {
            Ok((status, _)) if local && status == 204 => return Upload::Acknowledged,
            Ok((status, _)) if local => return Upload::Refused(status),
            Ok((status, _)) if (200..300).contains(&status) => {}
            Ok((status, _)) => return Upload::Refused(status),
            Err(e) => return Upload::Lost(e),
        }
        // S3 mode: the notice, retried as the page does when the service is busy.
        let notice = || {
            self.http
                .post(form["notify_url"].as_str().unwrap_or_default())
                .bearer_auth(&self.token)
                .json(&json!({"key": form["key"]}))
        };
        for _ in 0..20 {
            match timed(&self.rec, "POST /avatars/uploaded", 202, notice()).await {
                Ok((202, _)) => return Upload::Acknowledged,
                Ok((503 | 429, _)) => tokio::time::sleep(Duration::from_secs(1)).await,
                Ok((status, _)) => return Upload::Refused(status),
                Err(e) => return Upload::Lost(e),
            }
        }
        Upload::Refused(503)
    }

    /// `GET path` with the user's token: (status, JSON body or null).
    pub async fn get_json(&self, path: &str) -> (u16, Value) {
        let request = self.http.get(format!("{}{path}", self.base)).bearer_auth(&self.token);
        match timed(&self.rec, &format!("GET {path}"), 200, request).await {
            Ok((status, body)) => (status, serde_json::from_slice(&body).unwrap_or(Value::Null)),
            Err(_) => (0, Value::Null),
        }
    }

    /// `POST /api/profile/update`: (status, JSON body, `Retry-After`).
    pub async fn put_profile(&self, display_name: &str, bio: &str) -> (u16, Value, Option<String>) {
        let started = Instant::now();
        let request = self
            .http
            .post(format!("{}/api/profile/update", self.base))
            .bearer_auth(&self.token)
            .json(&json!({"display_name": display_name, "bio": bio}));
        match request.send().await {
            Ok(r) => {
                let status = r.status().as_u16();
                let retry_after = r.headers().get("retry-after").and_then(|v| v.to_str().ok()).map(str::to_owned);
                let body = r.json().await.unwrap_or(Value::Null);
                self.rec.record("POST /api/profile/update", started.elapsed(), status == 200, status);
                (status, body, retry_after)
            }
            Err(_) => (0, Value::Null, None),
        }
    }

    /// `GET /api/avatar/status` once.
    pub async fn status(&self) -> Result<Value, String> {
        let request = self.http.get(format!("{}/api/avatar/status", self.base)).bearer_auth(&self.token);
        let (status, body) = timed(&self.rec, "GET /api/avatar/status", 200, request).await?;
        if status != 200 {
            return Err(format!("status {status}"));
        }
        serde_json::from_slice(&body).map_err(|e| e.to_string())
    }

    /// Polls until the state is no longer `processing` (at most `limit`), then returns it.
    pub async fn wait_processed(&self, limit: Duration, every: Duration) -> Result<Value, String> {
        let deadline = Instant::now() + limit;
        loop {
            match self.status().await {
                Ok(state) if state["state"] != "processing" => return Ok(state),
                Ok(_) | Err(_) if Instant::now() >= deadline => {
                    return Err(format!("{}: still processing after {} s", self.name, limit.as_secs()));
                }
                _ => tokio::time::sleep(every).await,
            }
        }
    }

    /// Fetches the avatar at `url` (a `/avatars/…?v=` path); returns its size.
    pub async fn fetch_avatar(&self, url: &str) -> Result<usize, String> {
        let (status, body) =
            timed(&self.rec, "GET /avatars/{file}", 200, self.http.get(format!("{}{url}", self.base))).await?;
        if status == 200 { Ok(body.len()) } else { Err(format!("avatar {url}: {status}")) }
    }

    /// The whole flow once: form, upload, notice, poll, fetch. `Ok(true)` when the avatar
    /// is served.
    pub async fn full_flow(&self, extension: &str, data: &[u8], limit: Duration) -> Result<bool, String> {
        match self.upload(extension, data).await {
            Upload::Acknowledged => {}
            other => return Err(format!("{}: upload {other:?}", self.name)),
        }
        let state = self.wait_processed(limit, Duration::from_millis(100)).await?;
        if state["state"] != "ready" {
            return Err(format!("{}: {state}", self.name));
        }
        let url = state["avatar_url"].as_str().unwrap_or_default();
        Ok(self.fetch_avatar(url).await? > 0)
    }
}

/// Plain GETs from `clients` concurrent clients for `duration` (and at most `max_requests`
/// in all), cycling through `paths`; recorded per route label.
pub async fn hammer(
    http: &reqwest::Client,
    base: &str,
    paths: &[(&str, String)],
    clients: usize,
    duration: Duration,
    max_requests: usize,
    rec: &Arc<Recorder>,
) -> Duration {
    let started = Instant::now();
    let count = Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (http, rec, count) = (http.clone(), rec.clone(), count.clone());
        let paths: Vec<(String, String)> =
            paths.iter().map(|(label, path)| (label.to_string(), format!("{base}{path}"))).collect();
        tasks.push(tokio::spawn(async move {
            let mut i = c;
            while started.elapsed() < duration
                && count.fetch_add(1, std::sync::atomic::Ordering::Relaxed) < max_requests
            {
                let (label, url) = &paths[i % paths.len()];
                let _ = timed(&rec, label, 200, http.get(url)).await;
                i += 1;
            }
        }));
    }
    for task in tasks {
        let _ = task.await;
    }
    started.elapsed()
}
