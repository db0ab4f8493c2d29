//! The same flow against an S3-compatible server (moto, started by
//! `scripts/test-service.sh`, `THUMBING_TEST_S3_ENDPOINT`) instead of local folders: the
//! presigned POST is really posted to the server, processing runs through the S3 store.
//!
//! moto does not enforce POST policy conditions (size, content type, key), so nothing here
//! claims a limit is enforced by it; the policy itself is checked with `verify_post`.

mod common;

use std::time::{Duration, SystemTime};

use common::*;
use serde_json::{Value, json};
use thumbing_avatar_service::config::StorageConfig;
use thumbing_avatar_service::presign::{Credentials, verify_post};
use thumbing_storage::Store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_to_s3_process_and_serve() {
    let suffix = std::process::id();
    let (uploads, assets) = (format!("uploads-{suffix}"), format!("assets-{suffix}"));
    let Some((endpoint, store)) = test_s3(&[&uploads, &assets]).await else { return };
    let credentials = Credentials::new("testing", "testing-secret", None);

    let mut config = local_config("s3");
    config.storage = StorageConfig::S3 {
        endpoint: Some(endpoint.clone()),
        region: "us-east-1".into(),
        credentials: credentials.clone(),
    };
    config.uploads_bucket = uploads.clone();
    config.assets_bucket = assets.clone();
    config.handler = thumbing_lambda::handler::Config::new(assets.clone());
    let server = start(config).await;
    let (status, cfg) = server.get_json("/api/config", None).await;
    assert_eq!((status, cfg["storage"].as_str()), (200, Some("s3")));

    let (token, sub) = server.sign_in("ada").await;
    let form = server.key_upload(&token, "jpg").await;
    assert_eq!(form["url"], format!("{endpoint}/{uploads}"));
    assert_eq!(form["notify_url"], server.at("/avatars/uploaded"));

    // The policy handed out is exactly what it should be (moto will not check it).
    let fields: Vec<(String, String)> =
        form["fields"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_str().unwrap().to_owned())).collect();
    let verified = verify_post(&credentials, &uploads, &fields, SystemTime::now()).unwrap();
    assert_eq!(verified.key, format!("{sub}.jpg"));
    assert_eq!((verified.min_bytes, verified.max_bytes), (1, 10 * 1024 * 1024));
    assert_eq!(verified.content_type, "image/jpeg");
    assert!(verify_post(&credentials, &uploads, &fields, SystemTime::now() + Duration::from_secs(301)).is_err());

    // The browser's POST, to the S3 server.
    let jpeg = fixture("landscape_6.jpg");
    let r = post_form(&server.http, &form, form["fields"].as_object().unwrap(), jpeg.clone(), "image/jpeg").await;
    assert!(r.status().is_success(), "{} {}", r.status(), r.text().await.unwrap());
    let stored = store.get(&uploads, &format!("{sub}.jpg"), u64::MAX).await.unwrap();
    assert_eq!(stored.data, jpeg);

    // The notification stand-in: only for the caller's own key, only once uploaded.
    let (alan, _) = server.sign_in("alan").await;
    let (status, _) = server.post_json("/avatars/uploaded", Some(&alan), &json!({"key": format!("{sub}.jpg")})).await;
    assert_eq!(status, 403);
    let (status, _) = server.post_json("/avatars/uploaded", Some(&token), &json!({"key": format!("{sub}.png")})).await;
    assert_eq!(status, 404);
    let (status, body) =
        server.post_json("/avatars/uploaded", Some(&token), &json!({"key": format!("{sub}.jpg")})).await;
    assert_eq!((status, body["state"].as_str()), (202, Some("processing")));

    let done = server.wait_processed(&token).await;
    assert_eq!(done["state"], "ready", "{done}");
    let avatar = store.get(&assets, &format!("avatars/{sub}.jpg"), u64::MAX).await.unwrap();
    assert_eq!(avatar.meta.content_type.as_deref(), Some("image/jpeg"));
    let url = done["avatar_url"].as_str().unwrap();
    let r = server.http.get(server.at(url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let body = r.bytes().await.unwrap();
    assert_eq!(body.as_ref(), avatar.data.as_slice());
    assert_eq!(dimensions(&body), (512, 512));
    let r = server.http.get(server.at(url)).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(r.status(), 304);

    // An upload that is not an image is reported through S3 too, and tagged in the bucket by the handler.
    let form = server.key_upload(&token, "png").await;
    let r =
        post_form(&server.http, &form, form["fields"].as_object().unwrap(), b"not a png".to_vec(), "image/png").await;
    assert!(r.status().is_success());
    let (status, _) = server.post_json("/avatars/uploaded", Some(&token), &json!({"key": format!("{sub}.png")})).await;
    assert_eq!(status, 202);
    let state: Value = server.wait_processed(&token).await;
    assert_eq!(
        (state["state"].as_str(), state["error"].as_str()),
        (Some("rejected"), Some("unsupported_format")),
        "{state}"
    );
    let tags = store.tags(&uploads, &format!("{sub}.png")).await.unwrap();
    assert!(tags.iter().any(|(k, v)| k == "thumbing-rejected" && v == "unsupported_format"), "{tags:?}");

    // Upload notices are limited per user (10 a minute by default; ada sent 3): each costs a
    // HEAD and may queue a job.
    let mut answers = Vec::new();
    for _ in 0..10 {
        let r = server
            .http
            .post(server.at("/avatars/uploaded"))
            .bearer_auth(&token)
            .json(&json!({"key": format!("{sub}.gif")}))
            .send()
            .await
            .unwrap();
        let retry_after = r.headers().get("retry-after").map(|v| v.to_str().unwrap().to_owned());
        answers.push((r.status().as_u16(), retry_after));
    }
    let statuses: Vec<u16> = answers.iter().map(|a| a.0).collect();
    assert_eq!(statuses, [404, 404, 404, 404, 404, 404, 404, 429, 429, 429]);
    assert!(answers[7].1.as_deref().is_some_and(|s| s.parse::<u64>().unwrap() >= 1), "{answers:?}");
    // Per user: alan's allowance is his own.
    let (status, _) = server.post_json("/avatars/uploaded", Some(&alan), &json!({"key": format!("{sub}.gif")})).await;
    assert_eq!(status, 403);
}
