//! What a hostile or unlucky client meets: the processing queue (503 with `Retry-After` when
//! full), jobs that survive a stop, the connection limits and timeouts, the response headers,
//! the profile rules and the development issuer's refusal to leave loopback.

mod common;

use std::io::Write as _;
use std::time::{Duration, Instant};

use common::*;
use serde_json::{Value, json};
use thumbing_avatar_service::app::{Service, StartError};
use thumbing_avatar_service::db::Db;
use thumbing_storage::{LocalStore, PutOptions, Store};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A `width`×`height` PNG of one grey (small on disk, slow to decode when large).
fn flat_png(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    let mut writer = encoder.write_header().unwrap();
    let mut stream = writer.stream_writer().unwrap();
    let row = vec![0x60u8; width as usize * 3];
    for _ in 0..height {
        stream.write_all(&row).unwrap();
    }
    stream.finish().unwrap();
    drop(writer);
    out
}

/// Uploads `data` through the local form; the status and the answer's `Retry-After`.
async fn upload(server: &TestServer, token: &str, data: Vec<u8>) -> (u16, Option<String>, Value) {
    let form = server.key_upload(token, "png").await;
    let fields = form["fields"].as_object().unwrap().clone();
    let r = post_form(&server.http, &form, &fields, data, "image/png").await;
    let status = r.status().as_u16();
    let retry_after = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
    (status, retry_after, r.json().await.unwrap_or(Value::Null))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_queue_answers_503_and_every_acknowledged_upload_is_processed() {
    let mut config = local_config("queue");
    config.processing.workers = 1;
    config.processing.max_queued = 1;
    config.dev_extra_users = 8;
    let server = start(config).await;
    let mut tokens = Vec::new();
    for n in 1..=8 {
        tokens.push(server.sign_in(&format!("user{n}")).await.0);
    }
    // 25 megapixels each: the one worker is busy long after all eight have arrived.
    let photo = flat_png(5000, 5000);
    let answers = futures_util::future::join_all(tokens.iter().map(|t| upload(&server, t, photo.clone()))).await;
    let mut acknowledged = Vec::new();
    let mut refused = 0;
    for ((status, retry_after, body), token) in answers.into_iter().zip(&tokens) {
        match status {
            204 => acknowledged.push(token),
            503 => {
                refused += 1;
                assert_eq!(body["error"], "unavailable", "{body}");
                let seconds: u64 = retry_after.expect("Retry-After").parse().unwrap();
                assert!((1..=30).contains(&seconds));
            }
            other => panic!("unexpected {other}: {body}"),
        }
    }
    // A place is taken before the upload is stored: with one place, the uploads arriving
    // while it is taken are refused, before anything is stored.
    assert!(refused >= 1 && !acknowledged.is_empty(), "{refused} refused, {} acknowledged", acknowledged.len());
    for token in &acknowledged {
        assert_eq!(server.wait_processed(token).await["state"], "ready");
    }
    // Once the queue has drained, a refused user's upload is taken.
    let refused_user = tokens.iter().find(|t| !acknowledged.contains(t)).unwrap();
    let (status, _, body) = upload(&server, refused_user, fixture("with-alpha.png")).await;
    assert_eq!(status, 204, "{body}");
    assert_eq!(server.wait_processed(refused_user).await["state"], "ready");
    let (status, health) = server.get_json("/healthz", None).await;
    assert_eq!(status, 200);
    assert_eq!(health["queue"]["max_queued"], 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_job_recorded_before_a_stop_is_resumed_at_start() {
    let config = local_config("resume");
    let data_dir = config.data_dir.clone();
    // A first run creates the database and signs ada in.
    let server = start(config.clone()).await;
    let (_, sub) = server.sign_in("ada").await;
    drop(server);
    tokio::time::sleep(Duration::from_millis(200)).await;

    // What an upload acknowledged just before a crash leaves behind: the stored file and
    // its job, pending.
    let key = format!("{sub}.jpg");
    let store = LocalStore::new(data_dir.join("storage"));
    store
        .put("uploads", &key, fixture("landscape_1.jpg"), PutOptions::default().content_type("image/jpeg"))
        .await
        .unwrap();
    let db = Db::connect(&config.database_url()).await.unwrap();
    db.migrate().await.unwrap();
    db.record_job(&sub, "0b6a0d4e-2a61-4d3b-9f8e-6f6c1b9d0a11", &key).await.unwrap();
    db.close().await;

    // On a new port, so a new issuer URL: ada signs in again (her subject is the same).
    let server = start(config).await;
    let (token, again) = server.sign_in("ada").await;
    assert_eq!(again, sub);
    let state = server.wait_processed(&token).await;
    assert_eq!(state["state"], "ready", "{state}");
    let avatar = server.http.get(server.at(state["avatar_url"].as_str().unwrap())).send().await.unwrap();
    assert_eq!(avatar.status(), 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_notices_are_refused_in_local_mode() {
    let server = start(local_config("notice-local")).await;
    let (token, sub) = server.sign_in("ada").await;
    let (status, body) =
        server.post_json("/avatars/uploaded", Some(&token), &json!({"key": format!("{sub}.png")})).await;
    assert_eq!(status, 404, "{body}");
    assert!(body["message"].as_str().unwrap().contains("S3 mode only"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_forbid_framing_and_answers_are_not_cached() {
    let server = start(local_config("headers")).await;
    let page = server.http.get(server.at("/")).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let h = page.headers();
    let csp = h["content-security-policy"].to_str().unwrap();
    for part in ["frame-ancestors 'none'", "script-src 'self' 'wasm-unsafe-eval'", "object-src 'none'"] {
        assert!(csp.contains(part), "{part} missing in {csp}");
    }
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert_eq!(h["referrer-policy"], "no-referrer");
    assert_eq!(h["x-frame-options"], "DENY");

    let sign_in = server.http.post(server.at("/dev/sign-in")).json(&json!({"username": "ada"})).send().await.unwrap();
    assert_eq!(sign_in.headers()["cache-control"], "no-store");
    let token = sign_in.json::<Value>().await.unwrap()["access_token"].as_str().unwrap().to_owned();
    for path in ["/api/me", "/api/avatar/status"] {
        let r = server.http.get(server.at(path)).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 200, "{path}");
        assert_eq!(r.headers()["cache-control"], "no-store", "{path}");
        assert_eq!(r.headers()["referrer-policy"], "no-referrer", "{path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn display_names_and_bios_refuse_hidden_characters() {
    let server = start(local_config("profile-chars")).await;
    let (token, _) = server.sign_in("ada").await;
    let update = |name: &str, bio: &str| json!({"display_name": name, "bio": bio});
    for (body, code) in [
        (update("evil\u{202e}gpj.exe", ""), "display_name_invalid"),
        (update("ad\u{200b}a", ""), "display_name_invalid"),
        (update("Ada", "nul\u{0}byte"), "bio_invalid"),
        (update("Ada", "colour \u{1b}[31mred"), "bio_invalid"),
    ] {
        let (status, answer) = server.post_json("/api/profile/update", Some(&token), &body).await;
        assert_eq!(status, 422, "{body} → {answer}");
        assert_eq!(answer["errors"][0]["error"], code, "{answer}");
    }
    let (status, answer) =
        server.post_json("/api/profile/update", Some(&token), &update("Ada 👩\u{200d}💻", "line one\nline two")).await;
    assert_eq!(status, 200, "{answer}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_development_issuer_refuses_a_non_loopback_address() {
    let mut config = local_config("dev-network");
    config.bind = "0.0.0.0:0".parse().unwrap();
    // Refused before anything is bound.
    match Service::bind(config.clone()).await {
        Err(e @ StartError::DevIssuerOnNetwork { .. }) => {
            let text = e.to_string();
            assert!(text.contains("DEV_ISSUER_ON_NETWORK") && text.contains("127.0.0.1"), "{text}");
        }
        Err(e) => panic!("refused for another reason: {e}"),
        Ok(_) => panic!("the development issuer started on 0.0.0.0"),
    }
}

/// Reads until the server closes the connection (or `limit` passes); the bytes read and
/// whether it closed.
async fn read_until_closed(stream: &mut TcpStream, limit: Duration) -> (String, bool) {
    let mut text = Vec::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + limit;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return (String::from_utf8_lossy(&text).into_owned(), true),
            Ok(Ok(n)) => text.extend_from_slice(&buf[..n]),
            Err(_) => return (String::from_utf8_lossy(&text).into_owned(), false),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_cut_off() {
    let mut config = local_config("timeouts");
    config.connections.header_read_timeout = Duration::from_secs(1);
    config.connections.idle_timeout = Duration::from_secs(1);
    config.connections.body_read_timeout = Duration::from_secs(1);
    let server = start(config).await;
    let addr = server.url.trim_start_matches("http://").to_owned();

    // Header lines trickled one every 300 ms: closed without an answer, long before 40 lines.
    let mut trickle = TcpStream::connect(&addr).await.unwrap();
    trickle.write_all(b"GET /api/config HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    let mut closed = false;
    for n in 0..40 {
        tokio::time::sleep(Duration::from_millis(300)).await;
        if trickle.write_all(format!("X-Slow-{n}: 1\r\n").as_bytes()).await.is_err() {
            closed = true;
            break;
        }
        let mut byte = [0u8; 1];
        if let Ok(Ok(0) | Err(_)) = tokio::time::timeout(Duration::from_millis(1), trickle.read(&mut byte)).await {
            closed = true;
            break;
        }
    }
    assert!(closed, "a connection trickling its headers stayed open");

    // A connection that sends nothing is closed.
    let mut idle = TcpStream::connect(&addr).await.unwrap();
    let (_, closed) = read_until_closed(&mut idle, Duration::from_secs(10)).await;
    assert!(closed, "an idle connection stayed open");

    // A keep-alive connection is closed once idle after its request.
    let mut keep = TcpStream::connect(&addr).await.unwrap();
    keep.write_all(b"GET /api/config HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
    let (text, closed) = read_until_closed(&mut keep, Duration::from_secs(10)).await;
    assert!(text.starts_with("HTTP/1.1 200"), "{text}");
    assert!(closed, "an idle keep-alive connection stayed open");

    // A body that stops arriving: 408 and the connection closed.
    let (token, _) = server.sign_in("ada").await;
    let mut slow = TcpStream::connect(&addr).await.unwrap();
    let head = format!(
        "POST /api/profile/update HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\n\
         Content-Type: application/json\r\nContent-Length: 200\r\n\r\n{{\"display_name\""
    );
    slow.write_all(head.as_bytes()).await.unwrap();
    let (text, closed) = read_until_closed(&mut slow, Duration::from_secs(10)).await;
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("request_timeout"), "{text}");
    assert!(closed, "the connection of a cut-off body stayed open");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_beyond_the_cap_are_answered_503() {
    let mut config = local_config("max-connections");
    config.connections.max_connections = 3;
    let server = start(config).await;
    let addr = server.url.trim_start_matches("http://").to_owned();
    let mut held = Vec::new();
    for _ in 0..3 {
        let mut c = TcpStream::connect(&addr).await.unwrap();
        c.write_all(b"GET /api/config HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut buf = [0u8; 12];
        c.read_exact(&mut buf).await.unwrap();
        assert_eq!(&buf, b"HTTP/1.1 200");
        held.push(c);
    }
    let mut extra = TcpStream::connect(&addr).await.unwrap();
    let (text, closed) = read_until_closed(&mut extra, Duration::from_secs(10)).await;
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.to_ascii_lowercase().contains("retry-after: 1") && text.contains("\"unavailable\""), "{text}");
    assert!(closed);
    drop(held);
    // Places are given back when connections close.
    let mut ok = false;
    for _ in 0..50 {
        if let Ok(r) = server.http.get(server.at("/api/config")).send().await
            && r.status() == 200
        {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(ok, "no connection accepted after the others closed");
}
