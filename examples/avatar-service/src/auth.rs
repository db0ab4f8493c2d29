//! Bearer-token verification with the checks of an API Gateway JWT authorizer for Cognito
//! access tokens, and the built-in development issuer.
//!
//! [`Verifier::verify`] accepts a token only when all of these hold:
//!
//! - the header's `alg` is `RS256` (pinned: `none`, `HS256` and every other algorithm are
//!   refused before any key is looked at, so a public key can never be used as an HMAC
//!   secret);
//! - the header has a `kid` naming a key of the issuer's JWKS. The JWKS is fetched over
//!   HTTP(S), cached, and fetched again when a token names an unknown `kid` (key rotation),
//!   at most once per `JWKS_MIN_REFRESH_SECONDS`, so garbage tokens cannot make the service
//!   hammer the issuer;
//! - the RSA signature is valid;
//! - `iss` equals the configured issuer;
//! - `token_use` is `access` (Cognito ID tokens are refused);
//! - `client_id` equals the configured app client. Cognito access tokens carry the client
//!   in `client_id`, not in `aud`, so this is checked explicitly;
//! - `exp` is in the future and `nbf` (when present) in the past, with no more leeway than
//!   `JWT_LEEWAY_SECONDS` (default 5).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rsa::RsaPrivateKey;
use rsa::pkcs1::{DecodeRsaPrivateKey, EncodeRsaPrivateKey};
use rsa::traits::PublicKeyParts;
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::presign::unix_seconds;

/// The most characters of a token's own text (its `kid`, its `alg`) that an error repeats.
pub const ECHO_MAX_CHARS: usize = 32;

/// A short, printable rendering of text taken from a token, for error messages and logs:
/// at most [`ECHO_MAX_CHARS`] characters, anything but printable ASCII escaped, `…` when cut.
///
/// ```
/// use thumbing_avatar_service::auth::echo;
/// assert_eq!(echo("key-1"), "key-1");
/// assert_eq!(echo("a\u{202e}<b>\n"), "a\\u{202e}\\u{3c}b\\u{3e}\\n");
/// assert_eq!(echo(&"k".repeat(300_000)).chars().count(), 33);
/// ```
pub fn echo(text: &str) -> String {
    let mut out = String::new();
    for (i, c) in text.chars().enumerate() {
        if i == ECHO_MAX_CHARS {
            out.push('…');
            break;
        }
        match c {
            '\n' => out.push_str("\\n"),
            ' ' | '-' | '_' | '.' | ':' | '/' | '+' | '=' => out.push(c),
            c if c.is_ascii_alphanumeric() => out.push(c),
            c => out.push_str(&format!("\\u{{{:x}}}", c as u32)),
        }
    }
    out
}

/// Why a token was refused. Every variant is answered with 401; the message is logged.
/// Text taken from the token is kept short and escaped ([`echo`]).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuthError {
    /// No `Authorization: Bearer …` header.
    #[error("missing bearer token")]
    Missing,
    /// The token is not a JWT, or a claim has the wrong type.
    #[error("malformed token: {0}")]
    Malformed(String),
    /// The `alg` is not RS256.
    #[error("algorithm {0} is not allowed (only RS256)")]
    Algorithm(String),
    /// No `kid`, or no key with that `kid` in the issuer's JWKS.
    #[error("unknown signing key \"{0}\"")]
    UnknownKey(String),
    /// The JWKS could not be fetched.
    #[error("the issuer's keys could not be fetched: {0}")]
    Jwks(String),
    /// Bad signature, wrong issuer, expired or not yet valid.
    #[error("invalid token: {0}")]
    Invalid(String),
    /// `token_use` is not `access`.
    #[error("token_use must be \"access\"")]
    NotAccessToken,
    /// `client_id` is not the configured app client.
    #[error("token was issued to another client")]
    WrongClient,
}

/// The claims of a verified access token that the service uses.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// The user's subject: a UUID for Cognito.
    pub sub: String,
    /// The user name (`username` in Cognito access tokens).
    #[serde(default)]
    pub username: Option<String>,
    /// The app client the token was issued to.
    #[serde(default)]
    pub client_id: Option<String>,
    /// `access` or `id`.
    #[serde(default)]
    pub token_use: Option<String>,
    /// Expiry, seconds since the epoch.
    pub exp: u64,
}

/// Where the verification keys come from.
enum Keys {
    /// A fixed set (the development issuer, in memory).
    Static(HashMap<String, DecodingKey>),
    /// A JWKS URL, cached.
    Remote(JwksCache),
}

struct JwksCache {
    url: String,
    http: reqwest::Client,
    min_refresh: Duration,
    state: Mutex<CacheState>,
}

#[derive(Default)]
struct CacheState {
    keys: HashMap<String, DecodingKey>,
    last_fetch: Option<Instant>,
    fetches: u64,
}

/// Verifies bearer tokens; see the [module docs](self). Cheap to share behind an `Arc`.
pub struct Verifier {
    issuer: String,
    client_id: String,
    leeway: u64,
    keys: Keys,
}

impl std::fmt::Debug for Verifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Verifier")
            .field("issuer", &self.issuer)
            .field("client_id", &self.client_id)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

impl Verifier {
    /// A verifier that fetches the issuer's keys from `jwks_url`, fetching again on an
    /// unknown `kid` at most once per `min_refresh`.
    pub fn remote(
        issuer: impl Into<String>,
        client_id: impl Into<String>,
        jwks_url: impl Into<String>,
        leeway: u64,
        min_refresh: Duration,
    ) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .unwrap_or_else(|_| reqwest::Client::new());
        Verifier {
            issuer: issuer.into(),
            client_id: client_id.into(),
            leeway,
            keys: Keys::Remote(JwksCache {
                url: jwks_url.into(),
                http,
                min_refresh,
                state: Mutex::new(CacheState::default()),
            }),
        }
    }

    /// A verifier with a fixed key set (the development issuer).
    pub fn with_keys(issuer: impl Into<String>, client_id: impl Into<String>, keys: &JwkSet, leeway: u64) -> Self {
        let keys = keys_of(keys);
        Verifier { issuer: issuer.into(), client_id: client_id.into(), leeway, keys: Keys::Static(keys) }
    }

    /// The issuer tokens must name.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// How many times the JWKS was fetched (0 for a fixed key set).
    pub async fn jwks_fetches(&self) -> u64 {
        match &self.keys {
            Keys::Static(_) => 0,
            Keys::Remote(cache) => cache.state.lock().await.fetches,
        }
    }

    /// Verifies a bearer token and returns its claims.
    pub async fn verify(&self, token: &str) -> Result<Claims, AuthError> {
        let header = jsonwebtoken::decode_header(token).map_err(|e| {
            // `alg: none` and other unknown algorithms fail to parse as a header.
            if token_alg(token).is_some_and(|alg| alg != "RS256") {
                AuthError::Algorithm(echo(&token_alg(token).unwrap_or_default()))
            } else {
                AuthError::Malformed(echo_message(&e.to_string()))
            }
        })?;
        if header.alg != Algorithm::RS256 {
            return Err(AuthError::Algorithm(format!("{:?}", header.alg)));
        }
        let kid = header.kid.ok_or_else(|| AuthError::UnknownKey(String::new()))?;
        if kid.len() > 256 {
            // No issuer names its keys like this: refused without a JWKS look-up.
            return Err(AuthError::UnknownKey(echo(&kid)));
        }
        let key = self.key(&kid).await?;

        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[&self.issuer]);
        validation.validate_aud = false;
        validation.validate_nbf = true;
        validation.leeway = self.leeway;
        validation.set_required_spec_claims(&["exp", "iss", "sub"]);
        let data = jsonwebtoken::decode::<Claims>(token, &key, &validation).map_err(|e| match e.kind() {
            jsonwebtoken::errors::ErrorKind::Json(_) => AuthError::Malformed(echo_message(&e.to_string())),
            _ => AuthError::Invalid(echo_message(&e.to_string())),
        })?;
        let claims = data.claims;
        if claims.token_use.as_deref() != Some("access") {
            return Err(AuthError::NotAccessToken);
        }
        if claims.client_id.as_deref() != Some(self.client_id.as_str()) {
            return Err(AuthError::WrongClient);
        }
        Ok(claims)
    }

    async fn key(&self, kid: &str) -> Result<DecodingKey, AuthError> {
        match &self.keys {
            Keys::Static(keys) => keys.get(kid).cloned().ok_or_else(|| AuthError::UnknownKey(echo(kid))),
            Keys::Remote(cache) => {
                let mut state = cache.state.lock().await;
                if let Some(key) = state.keys.get(kid) {
                    return Ok(key.clone());
                }
                let may_fetch = state.last_fetch.is_none_or(|t| t.elapsed() >= cache.min_refresh);
                if !may_fetch {
                    return Err(AuthError::UnknownKey(echo(kid)));
                }
                state.last_fetch = Some(Instant::now());
                state.fetches += 1;
                let set = fetch_jwks(&cache.http, &cache.url).await?;
                state.keys = keys_of(&set);
                state.keys.get(kid).cloned().ok_or_else(|| AuthError::UnknownKey(echo(kid)))
            }
        }
    }
}

/// A library's error message, which may quote the token (a claim's value): at most 200
/// characters, control characters dropped.
fn echo_message(message: &str) -> String {
    let mut out: String = message.chars().filter(|c| !c.is_control()).take(200).collect();
    if message.chars().count() > 200 {
        out.push('…');
    }
    out
}

/// The `alg` of a token's header, read leniently (for the error message only).
fn token_alg(token: &str) -> Option<String> {
    let header = token.split('.').next()?;
    let bytes = URL_SAFE_NO_PAD.decode(header.trim_end_matches('=')).ok()?;
    let value: serde_json::Value = serde_json::from_slice(&bytes).ok()?;
    value.get("alg")?.as_str().map(str::to_owned)
}

async fn fetch_jwks(http: &reqwest::Client, url: &str) -> Result<JwkSet, AuthError> {
    let response = http.get(url).send().await.map_err(|e| AuthError::Jwks(e.to_string()))?;
    if !response.status().is_success() {
        return Err(AuthError::Jwks(format!("{url} answered {}", response.status())));
    }
    let body = response.bytes().await.map_err(|e| AuthError::Jwks(e.to_string()))?;
    if body.len() > 256 * 1024 {
        return Err(AuthError::Jwks(format!("{url} sent more than 256 KiB")));
    }
    serde_json::from_slice(&body).map_err(|e| AuthError::Jwks(format!("{url} is not a JWKS: {e}")))
}

/// The RSA signature keys of a JWKS, by `kid`. Keys of other types, or meant for
/// encryption, or for another algorithm, are left out.
fn keys_of(set: &JwkSet) -> HashMap<String, DecodingKey> {
    use jsonwebtoken::jwk::{AlgorithmParameters, PublicKeyUse};
    let mut keys = HashMap::new();
    for jwk in &set.keys {
        let Some(kid) = &jwk.common.key_id else { continue };
        if matches!(jwk.common.public_key_use, Some(PublicKeyUse::Encryption)) {
            continue;
        }
        if jwk.common.key_algorithm.is_some_and(|a| a != jsonwebtoken::jwk::KeyAlgorithm::RS256) {
            continue;
        }
        if let AlgorithmParameters::RSA(rsa) = &jwk.algorithm
            && let Ok(key) = DecodingKey::from_rsa_components(&rsa.n, &rsa.e)
        {
            keys.insert(kid.clone(), key);
        }
    }
    keys
}

/// An RSA signing key with its `kid`: the development issuer's key, and the key tests sign
/// their tokens with.
#[derive(Clone)]
pub struct SigningKey {
    kid: String,
    private: RsaPrivateKey,
    encoding: EncodingKey,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey").field("kid", &self.kid).finish_non_exhaustive()
    }
}

/// A key could not be generated, read or written.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct KeyError(String);

impl SigningKey {
    /// Generates a new RSA 2048 key.
    pub fn generate(kid: impl Into<String>) -> Result<Self, KeyError> {
        let mut rng = rsa::rand_core::OsRng;
        let private = RsaPrivateKey::new(&mut rng, 2048).map_err(|e| KeyError(format!("RSA key generation: {e}")))?;
        Self::from_private(kid.into(), private)
    }

    fn from_private(kid: String, private: RsaPrivateKey) -> Result<Self, KeyError> {
        let der = private.to_pkcs1_der().map_err(|e| KeyError(format!("encoding the key: {e}")))?;
        let encoding = EncodingKey::from_rsa_der(der.as_bytes());
        Ok(SigningKey { kid, private, encoding })
    }

    /// Reads the key stored at `path` (PKCS#1 DER), or generates one and stores it there
    /// (mode 0600), so tokens stay valid across restarts.
    pub fn load_or_generate(path: &std::path::Path) -> Result<Self, KeyError> {
        if let Ok(der) = std::fs::read(path) {
            let private = RsaPrivateKey::from_pkcs1_der(&der)
                .map_err(|e| KeyError(format!("{} is not an RSA key: {e}", path.display())))?;
            return Self::from_private(kid_for(&private), private);
        }
        let key = Self::generate("")?;
        let kid = kid_for(&key.private);
        let der = key.private.to_pkcs1_der().map_err(|e| KeyError(format!("encoding the key: {e}")))?;
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| KeyError(format!("creating {}: {e}", dir.display())))?;
        }
        write_private(path, der.as_bytes()).map_err(|e| KeyError(format!("writing {}: {e}", path.display())))?;
        Ok(SigningKey { kid, ..key })
    }

    /// The key id.
    pub fn kid(&self) -> &str {
        &self.kid
    }

    /// The public key as a one-key JWKS.
    pub fn jwks(&self) -> JwkSet {
        let public = self.private.to_public_key();
        let value = serde_json::json!({"keys": [{
            "kty": "RSA", "use": "sig", "alg": "RS256", "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(public.n().to_bytes_be()),
            "e": URL_SAFE_NO_PAD.encode(public.e().to_bytes_be()),
        }]});
        serde_json::from_value(value).unwrap_or_else(|_| JwkSet { keys: Vec::new() })
    }

    /// Signs `claims` with RS256 and this key's `kid`.
    pub fn sign(&self, claims: &serde_json::Value) -> Result<String, KeyError> {
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(self.kid.clone());
        jsonwebtoken::encode(&header, claims, &self.encoding).map_err(|e| KeyError(format!("signing: {e}")))
    }
}

#[cfg(unix)]
fn write_private(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(path)?;
    file.write_all(data)
}

#[cfg(not(unix))]
fn write_private(path: &std::path::Path, data: &[u8]) -> std::io::Result<()> {
    std::fs::write(path, data)
}

/// A stable key id: the start of the SHA-256 of the modulus.
fn kid_for(private: &RsaPrivateKey) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(private.n().to_bytes_be());
    format!("dev-{}", hex::encode(&digest[..8]))
}

/// A demo user of the development issuer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DevUser {
    /// The user name, also the handle.
    pub username: String,
    /// The display name given to the profile on first sign-in.
    pub display_name: String,
    /// The subject: a UUID derived from the user name, stable across restarts.
    pub sub: String,
}

/// The app client id in development tokens.
pub const DEV_CLIENT_ID: &str = "thumbing-dev-client";

/// How long development tokens are valid.
pub const DEV_TOKEN_SECONDS: u64 = 3600;

/// The development issuer: a key pair, three demo users, and tokens shaped like Cognito
/// access tokens.
#[derive(Debug, Clone)]
pub struct DevIssuer {
    issuer: String,
    key: Arc<SigningKey>,
    users: Vec<DevUser>,
}

impl DevIssuer {
    /// An issuer named `issuer` (`http://<host>/dev`) signing with `key`.
    pub fn new(issuer: impl Into<String>, key: SigningKey) -> Self {
        let users = [("ada", "Ada Lovelace"), ("grace", "Grace Hopper"), ("alan", "Alan Turing")]
            .into_iter()
            .map(|(username, display_name)| DevUser {
                username: username.into(),
                display_name: display_name.into(),
                sub: dev_sub(username),
            })
            .collect();
        DevIssuer { issuer: issuer.into(), key: Arc::new(key), users }
    }

    /// Adds the demo users `user1` … `user<count>` (display names "Demo User 1" …), for load
    /// tests that need many users.
    ///
    /// ```
    /// # let key = thumbing_avatar_service::auth::SigningKey::generate("k").unwrap();
    /// let dev = thumbing_avatar_service::auth::DevIssuer::new("http://127.0.0.1:8080/dev", key).with_numbered_users(2);
    /// let names: Vec<&str> = dev.users().iter().map(|u| u.username.as_str()).collect();
    /// assert_eq!(names, ["ada", "grace", "alan", "user1", "user2"]);
    /// ```
    pub fn with_numbered_users(mut self, count: u32) -> Self {
        self.users.extend((1..=count).map(|n| {
            let username = format!("user{n}");
            DevUser { sub: dev_sub(&username), display_name: format!("Demo User {n}"), username }
        }));
        self
    }

    /// The issuer URL.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The demo users.
    pub fn users(&self) -> &[DevUser] {
        &self.users
    }

    /// The public keys.
    pub fn jwks(&self) -> JwkSet {
        self.key.jwks()
    }

    /// A verifier for this issuer's tokens, keys from memory.
    pub fn verifier(&self, leeway: u64) -> Verifier {
        Verifier::with_keys(self.issuer.clone(), DEV_CLIENT_ID, &self.jwks(), leeway)
    }

    /// Signs an access token for a demo user, or `None` for an unknown name.
    pub fn sign_in(&self, username: &str, now: SystemTime) -> Option<(String, &DevUser)> {
        let user = self.users.iter().find(|u| u.username == username)?;
        let now = unix_seconds(now);
        let claims = serde_json::json!({
            "sub": user.sub, "iss": self.issuer, "client_id": DEV_CLIENT_ID, "token_use": "access",
            "scope": "aws.cognito.signin.user.admin", "auth_time": now, "iat": now, "nbf": now,
            "exp": now + DEV_TOKEN_SECONDS, "jti": uuid::Uuid::new_v4().to_string(), "username": user.username,
        });
        self.key.sign(&claims).ok().map(|token| (token, user))
    }
}

/// A UUID-shaped subject derived from a user name.
fn dev_sub(username: &str) -> String {
    use sha2::Digest as _;
    let digest = sha2::Sha256::digest(format!("thumbing development user {username}"));
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&digest[..16]);
    uuid::Builder::from_random_bytes(bytes).into_uuid().to_string()
}
