//! Token verification against a real JWKS endpoint on 127.0.0.1: every way a token can be
//! wrong, and the JWKS cache (fetched once, again on an unknown kid, rate limited).

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use axum::Router;
use axum::routing::get;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use common::*;
use serde_json::{Value, json};
use thumbing_avatar_service::auth::SigningKey;
use thumbing_avatar_service::config::IssuerConfig;

const CLIENT: &str = "test-client";

/// A JWKS server: serves whatever set is current and counts the requests.
struct Jwks {
    url: String,
    keys: Arc<std::sync::Mutex<Value>>,
    hits: Arc<AtomicUsize>,
}

async fn jwks_server(initial: &[&SigningKey]) -> Jwks {
    let keys = Arc::new(std::sync::Mutex::new(json!({"keys": []})));
    let hits = Arc::new(AtomicUsize::new(0));
    let (k, h) = (keys.clone(), hits.clone());
    let app = Router::new().route(
        "/.well-known/jwks.json",
        get(move || {
            let (k, h) = (k.clone(), h.clone());
            async move {
                h.fetch_add(1, Ordering::SeqCst);
                axum::Json(k.lock().unwrap().clone())
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    let jwks = Jwks { url, keys, hits };
    jwks.publish(initial);
    jwks
}

impl Jwks {
    fn publish(&self, keys: &[&SigningKey]) {
        let all: Vec<Value> = keys
            .iter()
            .flat_map(|k| serde_json::to_value(k.jwks()).unwrap()["keys"].as_array().unwrap().clone())
            .collect();
        *self.keys.lock().unwrap() = json!({ "keys": all });
    }
}

fn now() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs()
}

fn claims(issuer: &str) -> Value {
    let t = now();
    json!({"sub": "6f1c2d3e-0000-4000-8000-00000000abcd", "iss": issuer, "client_id": CLIENT,
           "token_use": "access", "username": "tester", "iat": t, "nbf": t, "exp": t + 600})
}

fn with(mut claims: Value, edit: impl FnOnce(&mut serde_json::Map<String, Value>)) -> Value {
    edit(claims.as_object_mut().unwrap());
    claims
}

/// A token with an arbitrary header and a signature made by `sign` over `header.payload`.
fn raw_token(header: Value, claims: &Value, sign: impl Fn(&[u8]) -> Vec<u8>) -> String {
    let h = URL_SAFE_NO_PAD.encode(header.to_string());
    let p = URL_SAFE_NO_PAD.encode(claims.to_string());
    let signing_input = format!("{h}.{p}");
    format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sign(signing_input.as_bytes())))
}

async fn service_for(jwks: &Jwks, min_refresh: Duration, leeway: u64) -> TestServer {
    let mut config = local_config("auth");
    config.issuer = IssuerConfig::Oidc {
        issuer: jwks.url.clone(),
        client_id: CLIENT.into(),
        jwks_url: format!("{}/.well-known/jwks.json", jwks.url),
    };
    config.jwks_min_refresh = min_refresh;
    config.jwt_leeway = leeway;
    start(config).await
}

async fn me_status(server: &TestServer, token: &str) -> u16 {
    let (status, body) = server.get_json("/api/me", Some(token)).await;
    if status == 401 {
        assert_eq!(body["error"], "unauthorized");
    }
    status
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_bad_token_is_refused() {
    let key = SigningKey::generate("k1").unwrap();
    let other = SigningKey::generate("k1").unwrap(); // same kid, different key
    let stranger = SigningKey::generate("k-unknown").unwrap();
    let jwks = jwks_server(&[&key]).await;
    let server = service_for(&jwks, Duration::from_secs(3600), 5).await;
    let iss = jwks.url.clone();
    let good = claims(&iss);

    // The development routes do not exist with a production issuer.
    assert_eq!(server.post_json("/dev/sign-in", None, &json!({"username": "ada"})).await.0, 404);

    let valid = key.sign(&good).unwrap();
    assert_eq!(me_status(&server, &valid).await, 200);
    let (_, me) = server.get_json("/api/me", Some(&valid)).await;
    assert_eq!(me["handle"], "tester");

    // No token, or not a bearer token.
    assert_eq!(server.get_json("/api/me", None).await.0, 401);
    let r =
        server.http.get(server.at("/api/me")).header("authorization", format!("Basic {valid}")).send().await.unwrap();
    assert_eq!(r.status(), 401);
    assert_eq!(r.headers()["www-authenticate"], "Bearer");
    assert_eq!(me_status(&server, "a.b.c").await, 401);
    assert_eq!(me_status(&server, "not-a-token").await, 401);

    let cases: Vec<(&str, String)> = vec![
        ("bad signature (same kid, other key)", other.sign(&good).unwrap()),
        ("unknown kid", stranger.sign(&good).unwrap()),
        (
            "wrong iss",
            key.sign(&with(good.clone(), |c| drop(c.insert("iss".into(), json!("https://evil.example"))))).unwrap(),
        ),
        ("no iss", key.sign(&with(good.clone(), |c| drop(c.remove("iss")))).unwrap()),
        ("ID token", key.sign(&with(good.clone(), |c| drop(c.insert("token_use".into(), json!("id"))))).unwrap()),
        ("no token_use", key.sign(&with(good.clone(), |c| drop(c.remove("token_use")))).unwrap()),
        (
            "wrong client_id",
            key.sign(&with(good.clone(), |c| drop(c.insert("client_id".into(), json!("other-client"))))).unwrap(),
        ),
        (
            "client only in aud (ID-token style)",
            key.sign(&with(good.clone(), |c| {
                c.remove("client_id");
                c.insert("aud".into(), json!(CLIENT));
            }))
            .unwrap(),
        ),
        ("expired", key.sign(&with(good.clone(), |c| drop(c.insert("exp".into(), json!(now() - 60))))).unwrap()),
        ("no exp", key.sign(&with(good.clone(), |c| drop(c.remove("exp")))).unwrap()),
        ("not yet valid", key.sign(&with(good.clone(), |c| drop(c.insert("nbf".into(), json!(now() + 120))))).unwrap()),
        (
            "sub with a path",
            key.sign(&with(good.clone(), |c| drop(c.insert("sub".into(), json!("../../etc"))))).unwrap(),
        ),
        ("alg none", raw_token(json!({"alg": "none", "kid": "k1", "typ": "JWT"}), &good, |_| Vec::new())),
        ("alg None with a signature", raw_token(json!({"alg": "None", "kid": "k1"}), &good, |_| vec![1, 2, 3])),
        (
            "HS256 keyed with the public JWKS",
            raw_token(json!({"alg": "HS256", "kid": "k1", "typ": "JWT"}), &good, |input| {
                use hmac::Mac;
                let secret = serde_json::to_vec(&key.jwks()).unwrap();
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(&secret).unwrap();
                mac.update(input);
                mac.finalize().into_bytes().to_vec()
            }),
        ),
        (
            "HS256 keyed with the modulus",
            raw_token(json!({"alg": "HS256", "kid": "k1"}), &good, |input| {
                use hmac::Mac;
                let n = serde_json::to_value(key.jwks()).unwrap()["keys"][0]["n"].as_str().unwrap().to_owned();
                let mut mac = hmac::Hmac::<sha2::Sha256>::new_from_slice(n.as_bytes()).unwrap();
                mac.update(input);
                mac.finalize().into_bytes().to_vec()
            }),
        ),
        ("RS256 signature relabelled RS512", {
            let t = key.sign(&good).unwrap();
            let mut parts: Vec<String> = t.split('.').map(str::to_owned).collect();
            parts[0] = URL_SAFE_NO_PAD.encode(json!({"alg": "RS512", "kid": "k1", "typ": "JWT"}).to_string());
            parts.join(".")
        }),
    ];
    for (what, token) in cases {
        assert_eq!(me_status(&server, &token).await, 401, "{what}");
    }
    // Only the valid token created a user.
    assert_eq!(server.get_json("/api/profile/@tester", None).await.0, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn leeway_is_configurable_and_small() {
    let key = SigningKey::generate("k1").unwrap();
    let jwks = jwks_server(&[&key]).await;
    let server = service_for(&jwks, Duration::from_secs(3600), 120).await;
    let good = claims(&jwks.url);
    // Expired 30 s ago: inside a 120 s leeway.
    let recent = key.sign(&with(good.clone(), |c| drop(c.insert("exp".into(), json!(now() - 30))))).unwrap();
    assert_eq!(me_status(&server, &recent).await, 200);
    let old = key.sign(&with(good, |c| drop(c.insert("exp".into(), json!(now() - 600))))).unwrap();
    assert_eq!(me_status(&server, &old).await, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn jwks_is_cached_and_refreshed_on_an_unknown_kid() {
    let k1 = SigningKey::generate("k1").unwrap();
    let k2 = SigningKey::generate("k2").unwrap();
    let jwks = jwks_server(&[&k1]).await;
    let server = service_for(&jwks, Duration::ZERO, 5).await;
    let good = claims(&jwks.url);

    assert_eq!(jwks.hits.load(Ordering::SeqCst), 0, "fetched lazily");
    assert_eq!(me_status(&server, &k1.sign(&good).unwrap()).await, 200);
    assert_eq!(me_status(&server, &k1.sign(&good).unwrap()).await, 200);
    assert_eq!(jwks.hits.load(Ordering::SeqCst), 1, "the second token used the cache");

    // Key rotation: a token with the new kid makes the service fetch again.
    jwks.publish(&[&k1, &k2]);
    assert_eq!(me_status(&server, &k2.sign(&good).unwrap()).await, 200);
    assert_eq!(jwks.hits.load(Ordering::SeqCst), 2);
    assert_eq!(me_status(&server, &k1.sign(&good).unwrap()).await, 200);
    assert_eq!(jwks.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_kids_cannot_make_the_service_hammer_the_issuer() {
    let k1 = SigningKey::generate("k1").unwrap();
    let k2 = SigningKey::generate("k2").unwrap();
    let jwks = jwks_server(&[&k1]).await;
    let server = service_for(&jwks, Duration::from_secs(3600), 5).await;
    let good = claims(&jwks.url);
    assert_eq!(me_status(&server, &k1.sign(&good).unwrap()).await, 200);
    assert_eq!(jwks.hits.load(Ordering::SeqCst), 1);
    jwks.publish(&[&k1, &k2]);
    for _ in 0..5 {
        assert_eq!(me_status(&server, &k2.sign(&good).unwrap()).await, 401);
    }
    assert_eq!(jwks.hits.load(Ordering::SeqCst), 1, "no refetch within JWKS_MIN_REFRESH_SECONDS");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dev_tokens_look_like_cognito_access_tokens() {
    let server = start(local_config("devtoken")).await;
    let (token, sub) = server.sign_in("ada").await;
    let parts: Vec<&str> = token.split('.').collect();
    let header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[0]).unwrap()).unwrap();
    let payload: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[1]).unwrap()).unwrap();
    assert_eq!(header["alg"], "RS256");
    assert_eq!(payload["iss"], server.at("/dev"));
    assert_eq!(payload["token_use"], "access");
    assert_eq!(payload["client_id"], "thumbing-dev-client");
    assert_eq!(payload["sub"], sub.as_str());
    assert_eq!(payload["username"], "ada");
    assert!(payload.get("aud").is_none());
    let (status, jwks) = server.get_json("/dev/.well-known/jwks.json", None).await;
    assert_eq!(status, 200);
    assert_eq!(jwks["keys"][0]["kid"], header["kid"]);
    assert_eq!(jwks["keys"][0]["alg"], "RS256");

    // The same token verified through the production path: the dev JWKS over HTTP.
    let mut config = local_config("devtoken-remote");
    config.issuer = IssuerConfig::Oidc {
        issuer: server.at("/dev"),
        client_id: "thumbing-dev-client".into(),
        jwks_url: server.at("/dev/.well-known/jwks.json"),
    };
    let verifier_only = start(config).await;
    assert_eq!(me_status(&verifier_only, &token).await, 200);
    // A token of another development issuer (another key) is refused.
    let other = start(local_config("devtoken-other")).await;
    let (foreign, _) = other.sign_in("ada").await;
    assert_eq!(me_status(&server, &foreign).await, 401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_kid_is_echoed_short_and_escaped() {
    let server = start(local_config("kid-echo")).await;
    let claims = claims(&format!("{}/dev", server.url));
    for kid in ["k".repeat(200_000), "<script>alert(1)</script>\u{202e}\n\u{1b}[31m".to_owned()] {
        let token = raw_token(json!({"alg": "RS256", "typ": "JWT", "kid": kid}), &claims, |_| vec![7; 256]);
        let r = server.http.get(server.at("/api/me")).bearer_auth(&token).send().await.unwrap();
        assert_eq!(r.status(), 401);
        let body = r.text().await.unwrap();
        assert!(body.len() < 300, "{} bytes: {}", body.len(), &body[..body.len().min(300)]);
        let message = serde_json::from_str::<Value>(&body).unwrap()["message"].as_str().unwrap().to_owned();
        assert!(message.contains("unknown signing key"), "{message}");
        for raw in ['<', '>', '\u{202e}', '\n', '\u{1b}'] {
            assert!(!message.contains(raw), "{raw:?} echoed raw in {message:?}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_authorization_headers_are_refused() {
    let server = start(local_config("two-auth")).await;
    let (ada, _) = server.sign_in("ada").await;
    let (grace, _) = server.sign_in("grace").await;
    let r = server
        .http
        .get(server.at("/api/me"))
        .header("authorization", format!("Bearer {ada}"))
        .header("authorization", format!("Bearer {grace}"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 400);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "bad_request", "{body}");
    // One is fine.
    assert_eq!(me_status(&server, &ada).await, 200);
}
