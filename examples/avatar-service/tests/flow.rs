//! The whole flow on the embedded defaults (development issuer, local folders, SQLite),
//! through real HTTP on 127.0.0.1: sign-in, profile, upload form, upload, processing by the
//! Lambda handler, serving with cache validators, and the limits on every step.

mod common;

use common::*;
use serde_json::{Value, json};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_upload_process_and_serve() {
    let server = start(local_config("flow")).await;

    let (status, config) = server.get_json("/api/config", None).await;
    assert_eq!(status, 200);
    assert_eq!(config["dev"], true);
    assert_eq!(config["issuer_kind"], "dev");
    assert_eq!(config["max_upload_bytes"], 10 * 1024 * 1024);
    assert_eq!(config["avatar_size"], 512);

    let (status, users) = server.get_json("/dev/users", None).await;
    assert_eq!(status, 200);
    let names: Vec<&str> = users.as_array().unwrap().iter().map(|u| u["username"].as_str().unwrap()).collect();
    assert_eq!(names, ["ada", "grace", "alan"]);
    let (status, _) = server.post_json("/dev/sign-in", None, &json!({"username": "mallory"})).await;
    assert_eq!(status, 404);

    let (token, sub) = server.sign_in("ada").await;
    let (status, me) = server.get_json("/api/me", Some(&token)).await;
    assert_eq!(status, 200, "{me}");
    assert_eq!(me["handle"], "ada");
    assert_eq!(me["display_name"], "Ada Lovelace");
    assert_eq!(me["avatar_url"], Value::Null);
    let (_, status_before) = server.get_json("/api/avatar/status", Some(&token)).await;
    assert_eq!(status_before["state"], "none");

    // Upload form: key bound to the caller, content type from the extension.
    let form = server.key_upload(&token, "JPG").await;
    assert_eq!(form["key"], format!("{sub}.jpg"));
    assert_eq!(form["fields"]["key"], format!("{sub}.jpg"));
    assert_eq!(form["fields"]["Content-Type"], "image/jpeg");
    assert_eq!(form["url"], server.at("/uploads"));
    assert_eq!(form["notify_url"], Value::Null);

    let response =
        post_form(&server.http, &form, form["fields"].as_object().unwrap(), fixture("landscape_6.jpg"), "image/jpeg")
            .await;
    assert_eq!(response.status(), 204, "{}", response.text().await.unwrap());
    let done = server.wait_processed(&token).await;
    assert_eq!(done["state"], "ready", "{done}");
    let avatar_url = done["avatar_url"].as_str().unwrap().to_owned();
    assert!(avatar_url.starts_with(&format!("/avatars/{sub}.jpg?v=")), "{avatar_url}");
    // Stored where the Lambda writes: assets/avatars/<sub>.jpg under the data directory.
    assert!(server.data_dir.join(format!("storage/assets/avatars/{sub}.jpg")).is_file());

    // Serving: versioned URL cached for good, validators, 304.
    let r = server.http.get(server.at(&avatar_url)).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/jpeg");
    assert_eq!(r.headers()["cache-control"], "public, max-age=31536000, immutable");
    let etag = r.headers()["etag"].to_str().unwrap().to_owned();
    let avatar = r.bytes().await.unwrap();
    assert_eq!(dimensions(&avatar), (512, 512));
    let r = server.http.get(server.at(&avatar_url)).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(r.status(), 304);
    assert_eq!(r.headers()["etag"].to_str().unwrap(), etag);
    let r = server.http.get(server.at(&format!("/avatars/{sub}.jpg"))).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["cache-control"], "public, no-cache");

    // The public profile shows the same avatar URL.
    let (status, profile) = server.get_json("/api/profile/@ada", None).await;
    assert_eq!(status, 200);
    assert_eq!(profile["avatar_url"], avatar_url.as_str());
    let (status, missing) = server.get_json("/api/profile/@nobody", None).await;
    assert_eq!((status, missing["error"].as_str()), (404, Some("not_found")));

    // A new avatar gets a new URL, so no cache can hide it.
    let form = server.key_upload(&token, "png").await;
    let response =
        post_form(&server.http, &form, form["fields"].as_object().unwrap(), fixture("gray.png"), "image/png").await;
    assert_eq!(response.status(), 204);
    let done = server.wait_processed(&token).await;
    assert_eq!(done["state"], "ready");
    assert_ne!(done["avatar_url"].as_str().unwrap(), avatar_url);
    let r = server.http.get(server.at(&avatar_url)).header("if-none-match", &etag).send().await.unwrap();
    assert_eq!(r.status(), 200, "the old ETag no longer matches");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn profile_update_validates_its_input() {
    let server = start(local_config("profile")).await;
    let (token, _) = server.sign_in("grace").await;

    let (status, body) = server.post_json("/api/profile/update", None, &json!({"display_name": "x"})).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("unauthorized")));
    let (status, body) =
        server.post_json("/api/profile/update", Some("not-a-jwt"), &json!({"display_name": "x"})).await;
    assert_eq!((status, body["error"].as_str()), (401, Some("unauthorized")));

    let ok = json!({"display_name": "  Rear Admiral Hopper ", "bio": "COBOL, compilers, nanoseconds."});
    let (status, body) = server.post_json("/api/profile/update", Some(&token), &ok).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["display_name"], "Rear Admiral Hopper");
    assert_eq!(body["bio"], "COBOL, compilers, nanoseconds.");
    assert_eq!(body["handle"], "grace");
    let (_, profile) = server.get_json("/api/profile/@grace", None).await;
    assert_eq!(profile["bio"], "COBOL, compilers, nanoseconds.");

    for (body, code) in [
        (json!({"display_name": "   "}), "display_name_blank"),
        (json!({"display_name": ""}), "display_name_blank"),
        (json!({"display_name": "x".repeat(65)}), "display_name_too_long"),
        (json!({"display_name": "ok", "bio": "b".repeat(501)}), "bio_too_long"),
    ] {
        let (status, answer) = server.post_json("/api/profile/update", Some(&token), &body).await;
        assert_eq!((status, answer["error"].as_str()), (422, Some(code)), "{body}");
        assert!(answer["message"].is_string());
    }
    // Every problem at once: `errors` lists them all, the first is also `error`.
    let body = json!({"display_name": " ", "bio": "b".repeat(501)});
    let (status, answer) = server.post_json("/api/profile/update", Some(&token), &body).await;
    assert_eq!((status, answer["error"].as_str()), (422, Some("display_name_blank")));
    let codes: Vec<_> = answer["errors"].as_array().expect("errors").iter().map(|e| e["error"].clone()).collect();
    assert_eq!(codes, [json!("display_name_blank"), json!("bio_too_long")]);
    assert!(answer["errors"][1]["message"].is_string());
    // The failed updates changed nothing.
    let (_, profile) = server.get_json("/api/profile/@grace", None).await;
    assert_eq!(profile["display_name"], "Rear Admiral Hopper");

    // Bad bodies: 400 or 415, never 500.
    let url = server.at("/api/profile/update");
    for (content_type, body, status) in [
        ("application/json", "{not json", 400),
        ("application/json", "[]", 400),
        ("application/json", r#"{"display_name": 5}"#, 400),
        ("application/json", r#"{"bio": "no name"}"#, 400),
        ("application/json", "", 400),
        ("text/plain", r#"{"display_name": "x"}"#, 415),
    ] {
        let r = server
            .http
            .post(&url)
            .bearer_auth(&token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), status, "{content_type} {body}");
        let answer: Value = r.json().await.unwrap();
        assert!(answer["error"].is_string() && answer["message"].is_string());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn upload_forms_are_bound_to_the_caller_and_limited() {
    let mut config = local_config("limits");
    config.max_upload_bytes = 40_000;
    let server = start(config).await;
    let (ada, ada_sub) = server.sign_in("ada").await;
    let (_alan, alan_sub) = server.sign_in("alan").await;
    let jpeg = fixture("landscape_6.jpg");
    assert!(jpeg.len() < 40_000, "fixture small enough for the limit");

    // Extensions are checked against the list, never trusted.
    for ext in ["svg", "exe", "png/../../x", "", "html", "jpg\u{0}"] {
        let (status, body) = server.post_json("/avatars/key_upload", Some(&ada), &json!({"extension": ext})).await;
        assert_eq!((status, body["error"].as_str()), (422, Some("unsupported_extension")), "{ext:?}");
    }
    let (status, _) = server.post_json("/avatars/key_upload", None, &json!({"extension": "png"})).await;
    assert_eq!(status, 401);
    let (status, _) = server.post_json("/avatars/key_upload", Some(&ada), &json!({"ext": "png"})).await;
    assert_eq!(status, 400);

    let form = server.key_upload(&ada, "jpg").await;
    assert_eq!(form["max_bytes"], 40_000);
    let fields = form["fields"].as_object().unwrap();

    // Ada's form cannot write Alan's avatar: the key is in the signed policy.
    let mut other_key = fields.clone();
    other_key.insert("key".into(), json!(format!("{alan_sub}.jpg")));
    let r = post_form(&server.http, &form, &other_key, jpeg.clone(), "image/jpeg").await;
    assert_eq!(r.status(), 403);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "forbidden");
    assert!(!server.data_dir.join(format!("storage/uploads/{alan_sub}.jpg")).exists());
    // Nor ask the service to process Alan's upload: in local mode there is no upload notice
    // at all (S3 mode refuses another user's key with 403, tests/s3.rs).
    let (status, _) =
        server.post_json("/avatars/uploaded", Some(&ada), &json!({"key": format!("{alan_sub}.jpg")})).await;
    assert_eq!(status, 404);

    // Content type is fixed by the policy.
    let mut html = fields.clone();
    html.insert("Content-Type".into(), json!("text/html"));
    let r = post_form(&server.http, &form, &html, b"<script>".to_vec(), "text/html").await;
    assert_eq!(r.status(), 403);

    // A forged signature, a missing policy, an extra field.
    let mut forged = fields.clone();
    forged.insert("x-amz-signature".into(), json!("0".repeat(64)));
    assert_eq!(post_form(&server.http, &form, &forged, jpeg.clone(), "image/jpeg").await.status(), 403);
    let mut no_policy = fields.clone();
    no_policy.remove("policy");
    assert_eq!(post_form(&server.http, &form, &no_policy, jpeg.clone(), "image/jpeg").await.status(), 403);
    let mut extra = fields.clone();
    extra.insert("acl".into(), json!("public-read"));
    assert_eq!(post_form(&server.http, &form, &extra, jpeg.clone(), "image/jpeg").await.status(), 403);

    // Size: one byte over the limit is refused with 413 and nothing is stored.
    let r = post_form(&server.http, &form, fields, vec![0xFF; 40_001], "image/jpeg").await;
    assert_eq!(r.status(), 413);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "too_large");
    assert!(!server.data_dir.join(format!("storage/uploads/{ada_sub}.jpg")).exists());
    // Empty file: below content-length-range.
    assert_eq!(post_form(&server.http, &form, fields, Vec::new(), "image/jpeg").await.status(), 400);

    // Not a multipart body at all.
    let r = server
        .http
        .post(server.at("/uploads"))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);

    // The untouched form works.
    let r = post_form(&server.http, &form, fields, jpeg, "image/jpeg").await;
    assert_eq!(r.status(), 204);
    assert_eq!(server.wait_processed(&ada).await["state"], "ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn corrupt_and_hostile_uploads_are_reported_and_break_nothing() {
    let server = start(local_config("hostile")).await;
    let (token, sub) = server.sign_in("alan").await;

    let mut hostile = vec![
        (
            "truncated JPEG",
            "jpg",
            {
                let j = fixture("landscape_6.jpg");
                j[..j.len() / 3].to_vec()
            },
            "corrupt",
        ),
        ("random bytes", "png", (0..5000u32).map(|i| (i * 7919 % 251) as u8).collect(), "unsupported_format"),
        ("decompression bomb", "png", fixture("bomb-100000x100000.png"), "too_large"),
    ];
    let corpus = std::env::var("THUMBING_CORPUS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| std::path::PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/corpus")));
    let corpus_bomb = corpus.join("sharp-fixtures/65536-uint32-limit.png");
    if corpus_bomb.is_file() {
        hostile.push(("corpus bomb 65536x65536", "png", std::fs::read(&corpus_bomb).unwrap(), "too_large"));
    } else if required() {
        panic!("the corpus is missing at {} (CI=true)", corpus.display());
    } else {
        println!("skipped the corpus decompression bomb: {} not found", corpus_bomb.display());
    }

    for (what, ext, data, kind) in hostile {
        let form = server.key_upload(&token, ext).await;
        let content_type = form["content_type"].as_str().unwrap().to_owned();
        let r = post_form(&server.http, &form, form["fields"].as_object().unwrap(), data, &content_type).await;
        assert_eq!(r.status(), 204, "{what}: stored, then judged by the handler");
        let state = server.wait_processed(&token).await;
        assert_eq!(state["state"], "rejected", "{what}: {state}");
        assert_eq!(state["error"], kind, "{what}: {state}");
        assert!(state["message"].is_string());
        assert_eq!(state["avatar_url"], Value::Null, "{what}: no avatar was written");
    }
    assert!(!server.data_dir.join(format!("storage/assets/avatars/{sub}.jpg")).exists());

    // The service still works: a good photo goes through.
    let form = server.key_upload(&token, "jpg").await;
    let r =
        post_form(&server.http, &form, form["fields"].as_object().unwrap(), fixture("landscape_6.jpg"), "image/jpeg")
            .await;
    assert_eq!(r.status(), 204);
    assert_eq!(server.wait_processed(&token).await["state"], "ready");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cors_allows_only_the_configured_origins() {
    let mut config = local_config("cors");
    config.allowed_origins = vec!["http://app.example".into()];
    let server = start(config).await;

    let preflight = |origin: &'static str| {
        server
            .http
            .request(reqwest::Method::OPTIONS, server.at("/avatars/key_upload"))
            .header("origin", origin)
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, content-type")
            .send()
    };
    let r = preflight("http://app.example").await.unwrap();
    assert!(r.status().is_success(), "{}", r.status());
    assert_eq!(r.headers()["access-control-allow-origin"], "http://app.example");
    let methods = r.headers()["access-control-allow-methods"].to_str().unwrap().to_ascii_uppercase();
    assert!(methods.contains("POST"), "{methods}");
    let headers = r.headers()["access-control-allow-headers"].to_str().unwrap().to_ascii_lowercase();
    assert!(headers.contains("authorization"), "{headers}");
    assert!(r.headers().get("access-control-allow-credentials").is_none());

    let r = preflight("http://evil.example").await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());

    let r = server.http.get(server.at("/api/config")).header("origin", "http://app.example").send().await.unwrap();
    assert_eq!(r.headers()["access-control-allow-origin"], "http://app.example");
    let r = server.http.get(server.at("/api/config")).header("origin", "http://evil.example").send().await.unwrap();
    assert!(r.headers().get("access-control-allow-origin").is_none());
    // Errors carry CORS headers too, so the page can read them.
    let r = server.http.get(server.at("/api/me")).header("origin", "http://app.example").send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["access-control-allow-origin"], "http://app.example");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn static_files_stay_inside_their_folders() {
    let mut config = local_config("static");
    let web = temp_dir("static-web");
    std::fs::write(web.join("index.html"), "<!doctype html><title>avatars</title>").unwrap();
    std::fs::write(web.join("app.js"), "export {}").unwrap();
    let pkg = temp_dir("static-pkg");
    std::fs::write(pkg.join("thumbing_wasm_bg.wasm"), b"\0asm").unwrap();
    config.web_dir = web;
    config.wasm_pkg_dir = pkg;
    let server = start(config).await;

    let r = server.http.get(server.at("/")).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/html"));
    let r = server.http.get(server.at("/static/app.js")).send().await.unwrap();
    assert!(r.headers()["content-type"].to_str().unwrap().starts_with("text/javascript"));
    let r = server.http.get(server.at("/pkg/thumbing_wasm_bg.wasm")).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "application/wasm");
    for path in ["/static/../Cargo.toml", "/static/%2e%2e/Cargo.toml", "/static/.hidden", "/pkg/missing.js", "/nope"] {
        let r = server.http.get(server.at(path)).send().await.unwrap();
        assert_eq!(r.status(), 404, "{path}");
        let body: Value = r.json().await.unwrap();
        assert_eq!(body["error"], "not_found");
    }
    let r = server.http.get(server.at("/avatars/..%2fdev-issuer-key.der")).send().await.unwrap();
    assert_eq!(r.status(), 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn several_formats_per_upload_are_served_by_accept() {
    let mut config = local_config("formats");
    config.handler.extra_formats = ["webp", "avif"].map(|w| w.parse().unwrap()).to_vec();
    let server = start(config).await;
    let (token, sub) = server.sign_in("grace").await;
    let form = server.key_upload(&token, "jpg").await;
    let response =
        post_form(&server.http, &form, form["fields"].as_object().unwrap(), fixture("landscape_6.jpg"), "image/jpeg")
            .await;
    assert_eq!(response.status(), 204);
    let done = server.wait_processed(&token).await;
    assert_eq!(done["state"], "ready", "{done}");
    let avatar_url = done["avatar_url"].as_str().unwrap().to_owned();
    assert!(avatar_url.starts_with(&format!("/avatars/{sub}.jpg?v=")), "{avatar_url}");
    for ext in ["jpg", "webp", "avif"] {
        assert!(server.data_dir.join(format!("storage/assets/avatars/{sub}.{ext}")).is_file(), "{ext}");
    }

    // One URL, the best format the browser names, and caches told that it depends on Accept.
    let chrome = "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8";
    let mut etags = Vec::new();
    for (accept, mime) in [(chrome, "image/avif"), ("image/webp,*/*", "image/webp"), ("*/*", "image/jpeg")] {
        let r = server.http.get(server.at(&avatar_url)).header("accept", accept).send().await.unwrap();
        assert_eq!(r.status(), 200, "{accept}");
        assert_eq!(r.headers()["content-type"], mime, "{accept}");
        assert_eq!(r.headers()["vary"], "Accept", "{accept}");
        let etag = r.headers()["etag"].to_str().unwrap().to_owned();
        let body = r.bytes().await.unwrap();
        match mime {
            "image/avif" => assert_eq!(&body[4..12], b"ftypavif"),
            _ => assert_eq!(dimensions(&body), (512, 512), "{accept}"),
        }
        // Each representation has its own validator.
        let r = server.http.get(server.at(&avatar_url)).header("accept", accept).header("if-none-match", &etag);
        assert_eq!(r.send().await.unwrap().status(), 304, "{accept}");
        etags.push(etag);
    }
    etags.dedup();
    assert_eq!(etags.len(), 3, "{etags:?}");
    // The other formats' own names are plain files.
    let r = server.http.get(server.at(&format!("/avatars/{sub}.webp"))).header("accept", chrome).send().await.unwrap();
    assert_eq!(r.headers()["content-type"], "image/webp");
    // Not negotiated: no `Vary: Accept` (the service may vary on other headers).
    let vary = r.headers().get("vary").map(|v| v.to_str().unwrap().to_ascii_lowercase()).unwrap_or_default();
    assert!(!vary.contains("accept"), "{vary}");

    // An avatar made before AVIF was added has no AVIF file: the next format the browser
    // names answers, still varying on Accept.
    std::fs::remove_file(server.data_dir.join(format!("storage/assets/avatars/{sub}.avif"))).unwrap();
    let r = server.http.get(server.at(&avatar_url)).header("accept", chrome).send().await.unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["content-type"], "image/webp");
    assert_eq!(r.headers()["vary"], "Accept");
}
