//! The HTTP service: routes, state, upload handling and processing.

use std::collections::HashMap;
use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use axum::body::Bytes;
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::PathRejection;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Multipart, Path as UrlPath, RawQuery, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use thumbing_lambda::handler::{Outcome, handle_event};
use thumbing_storage::{LocalStore, PutOptions, S3Store, Store, StoreErrorKind};
use tokio::net::TcpListener;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tracing::{error, info, warn};

use crate::auth::{AuthError, Claims, DevIssuer, SigningKey, Verifier};
use crate::config::{IssuerConfig, ServiceConfig, StorageConfig};
use crate::db::{Db, DbError, User};
use crate::presign::{self, Credentials, PostPolicy, iso8601, unix_seconds};

/// Longest display name, in characters.
pub const MAX_DISPLAY_NAME_CHARS: usize = 64;
/// Longest bio, in characters.
pub const MAX_BIO_CHARS: usize = 500;

/// An error answered as `{"error": code, "message": …}` with a status code; a validation
/// error lists every problem in `errors` (`[{"error": code, "message": …}, …]`), the first of
/// them also being `error` and `message`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: StatusCode,
    code: &'static str,
    message: String,
    errors: Vec<(&'static str, String)>,
}

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError { status, code, message: message.into(), errors: Vec::new() }
    }

    /// A 422 naming every problem; `None` when there is none.
    fn unprocessable_all(mut problems: Vec<(&'static str, String)>) -> Option<Self> {
        if problems.is_empty() {
            return None;
        }
        let (code, message) = problems[0].clone();
        let mut error = Self::unprocessable(code, message);
        error.errors = std::mem::take(&mut problems);
        Some(error)
    }

    fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    fn unprocessable(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, code, message)
    }

    fn internal(what: &str, e: impl std::fmt::Display) -> Self {
        error!(error = %e, "{what}");
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", format!("{what} failed"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut body = json!({"error": self.code, "message": self.message});
        if !self.errors.is_empty() {
            body["errors"] =
                self.errors.iter().map(|(code, message)| json!({"error": code, "message": message})).collect();
        }
        let mut response = (self.status, Json(body)).into_response();
        if self.status == StatusCode::UNAUTHORIZED {
            response.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        ApiError::internal("database", e)
    }
}

/// What the service knows about a user's latest upload.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Processing {
    Running,
    Done,
    Rejected { error: String, message: String },
    Failed { message: String },
}

/// Shared state of the running service.
struct AppState {
    config: ServiceConfig,
    public_url: String,
    store: Arc<dyn Store>,
    db: Db,
    verifier: Verifier,
    dev: Option<DevIssuer>,
    upload_credentials: Credentials,
    upload_region: String,
    /// Per user: a generation counter and the state of the newest upload.
    processing: Mutex<HashMap<String, (u64, Processing)>>,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address.
        addr: SocketAddr,
        /// The error.
        source: std::io::Error,
    },
    /// The data directory or a key in it could not be created.
    #[error("data directory {path}: {message}")]
    DataDir {
        /// The path.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
    /// The database could not be opened or migrated.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The S3 client could not be built.
    #[error("storage: {0}")]
    Storage(String),
}

/// A bound, ready-to-run service.
pub struct Service {
    listener: TcpListener,
    addr: SocketAddr,
    state: Arc<AppState>,
}

impl std::fmt::Debug for Service {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Service").field("addr", &self.addr).field("public_url", &self.state.public_url).finish()
    }
}

impl Service {
    /// Binds the address, opens and migrates the database, prepares storage and the token
    /// verifier.
    pub async fn bind(config: ServiceConfig) -> Result<Service, StartError> {
        let listener =
            TcpListener::bind(config.bind).await.map_err(|source| StartError::Bind { addr: config.bind, source })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.bind, source })?;
        let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        let data_dir = config.data_dir.clone();
        let dir_error = |message: String| StartError::DataDir { path: data_dir.clone(), message };
        std::fs::create_dir_all(&config.data_dir).map_err(|e| dir_error(e.to_string()))?;

        let db = Db::connect(&config.database_url()).await?;
        let applied = db.migrate().await?;
        if !applied.is_empty() {
            info!(?applied, "database migrations applied");
        }

        let (store, upload_credentials, upload_region): (Arc<dyn Store>, Credentials, String) = match &config.storage {
            StorageConfig::Local => {
                let secret =
                    load_or_create_secret(&config.data_dir.join("upload-signing-secret")).map_err(dir_error)?;
                (
                    Arc::new(LocalStore::new(config.data_dir.join("storage"))),
                    Credentials::new("thumbing-local", secret, None),
                    "local".to_owned(),
                )
            }
            StorageConfig::S3 { endpoint, region, credentials } => {
                let mut builder = S3Store::builder().region(region.clone()).credentials(
                    credentials.access_key_id.clone(),
                    credentials.secret_access_key.clone(),
                    credentials.session_token.clone(),
                );
                if let Some(endpoint) = endpoint {
                    builder = builder.endpoint_url(endpoint.clone());
                }
                let store = builder.build().map_err(|e| StartError::Storage(e.to_string()))?;
                (Arc::new(store), credentials.clone(), region.clone())
            }
        };

        let (verifier, dev) = match &config.issuer {
            IssuerConfig::Dev => {
                let key = SigningKey::load_or_generate(&config.data_dir.join("dev-issuer-key.der"))
                    .map_err(|e| dir_error(e.to_string()))?;
                let dev = DevIssuer::new(format!("{public_url}/dev"), key);
                (dev.verifier(config.jwt_leeway), Some(dev))
            }
            IssuerConfig::Cognito { issuer, client_id } => (
                Verifier::remote(
                    issuer,
                    client_id,
                    format!("{issuer}/.well-known/jwks.json"),
                    config.jwt_leeway,
                    config.jwks_min_refresh,
                ),
                None,
            ),
            IssuerConfig::Oidc { issuer, client_id, jwks_url } => {
                (Verifier::remote(issuer, client_id, jwks_url, config.jwt_leeway, config.jwks_min_refresh), None)
            }
        };

        let state = Arc::new(AppState {
            config,
            public_url,
            store,
            db,
            verifier,
            dev,
            upload_credentials,
            upload_region,
            processing: Mutex::new(HashMap::new()),
        });
        Ok(Service { listener, addr, state })
    }

    /// The address the service listens on.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// The URL browsers use.
    pub fn public_url(&self) -> &str {
        &self.state.public_url
    }

    /// Serves until `shutdown` completes.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send + 'static) -> std::io::Result<()> {
        let state = self.state.clone();
        if !state.config.wasm_pkg_dir.join("thumbing_wasm_bg.wasm").is_file() {
            warn!(
                dir = %state.config.wasm_pkg_dir.display(),
                "the WebAssembly package is not built: the page works without the avatar preview; build it with `bash bindings-wasm/build.sh`"
            );
        }
        info!(
            url = %state.public_url,
            issuer = state.verifier.issuer(),
            storage = if matches!(state.config.storage, StorageConfig::Local) { "local" } else { "s3" },
            "avatar service listening"
        );
        let app = router(state.clone());
        let result = axum::serve(self.listener, app).with_graceful_shutdown(shutdown).await;
        state.db.close().await;
        result
    }
}

/// A random secret stored in `path` (created with mode 0600 on first use).
fn load_or_create_secret(path: &Path) -> Result<String, String> {
    if let Ok(text) = std::fs::read_to_string(path) {
        let text = text.trim().to_owned();
        if text.len() >= 32 {
            return Ok(text);
        }
    }
    let mut bytes = [0u8; 32];
    getrandom::getrandom(&mut bytes).map_err(|e| format!("random secret: {e}"))?;
    let secret = hex::encode(bytes);
    #[cfg(unix)]
    {
        use std::io::Write as _;
        use std::os::unix::fs::OpenOptionsExt as _;
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(0o600)
            .open(path)
            .map_err(|e| format!("writing {}: {e}", path.display()))?;
        file.write_all(secret.as_bytes()).map_err(|e| format!("writing {}: {e}", path.display()))?;
    }
    #[cfg(not(unix))]
    std::fs::write(path, &secret).map_err(|e| format!("writing {}: {e}", path.display()))?;
    Ok(secret)
}

fn router(state: Arc<AppState>) -> Router {
    let origins: Vec<HeaderValue> =
        state.config.allowed_origins.iter().filter_map(|o| HeaderValue::from_str(o).ok()).collect();
    let cors = CorsLayer::new()
        .allow_origin(AllowOrigin::list(origins))
        .allow_methods([Method::GET, Method::POST, Method::OPTIONS])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .expose_headers([header::ETAG])
        .max_age(std::time::Duration::from_secs(600));
    // A multipart form is the fields (a few KiB) plus the file.
    let upload_limit = usize::try_from(state.config.max_upload_bytes).unwrap_or(usize::MAX).saturating_add(64 * 1024);

    let mut app = Router::new()
        .route("/", get(index))
        .route("/static/{*path}", get(static_file))
        .route("/pkg/{*path}", get(wasm_file))
        .route("/api/config", get(api_config))
        .route("/api/me", get(me))
        .route("/api/profile/update", post(update_profile))
        .route("/api/profile/{handle}", get(profile_by_handle))
        .route("/api/avatar/status", get(avatar_status))
        .route("/avatars/key_upload", post(key_upload))
        .route("/avatars/uploaded", post(uploaded))
        .route("/avatars/{file}", get(avatar_file));
    if matches!(state.config.storage, StorageConfig::Local) {
        app = app.route("/uploads", post(local_upload).layer(DefaultBodyLimit::max(upload_limit)));
    }
    if state.dev.is_some() {
        app = app
            .route("/dev/users", get(dev_users))
            .route("/dev/sign-in", post(dev_sign_in))
            .route("/dev/.well-known/jwks.json", get(dev_jwks));
    }
    app.fallback(|| async { ApiError::not_found("no such route") }).layer(cors).with_state(state)
}

// ---------------------------------------------------------------- request helpers

/// The verified claims of the caller.
struct Caller(Claims);

impl FromRequestParts<Arc<AppState>> for Caller {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let unauthorized = |e: AuthError| {
            info!(reason = %e, "request refused: bad token");
            ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", e.to_string())
        };
        let value = parts.headers.get(header::AUTHORIZATION).ok_or_else(|| unauthorized(AuthError::Missing))?;
        let value = value.to_str().map_err(|_| unauthorized(AuthError::Missing))?;
        let token = match value.split_once(' ') {
            Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => token.trim(),
            _ => return Err(unauthorized(AuthError::Missing)),
        };
        let claims = state.verifier.verify(token).await.map_err(unauthorized)?;
        if !claims.sub.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
            || claims.sub.is_empty()
            || claims.sub.len() > 64
        {
            return Err(unauthorized(AuthError::Malformed("sub must be a UUID-like identifier".into())));
        }
        Ok(Caller(claims))
    }
}

/// Parses a JSON body: 415 without a JSON content type, 400 when it does not parse.
fn json_body<T: DeserializeOwned>(headers: &HeaderMap, body: &Bytes) -> Result<T, ApiError> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"));
    if !is_json {
        return Err(ApiError::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            "send the body as application/json",
        ));
    }
    serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

fn now() -> SystemTime {
    SystemTime::now()
}

// ---------------------------------------------------------------- profiles

fn handle_from(username: Option<&str>, sub: &str) -> String {
    let cleaned: String = username
        .unwrap_or_default()
        .chars()
        .filter_map(|c| {
            let c = c.to_ascii_lowercase();
            (c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.').then_some(c)
        })
        .take(32)
        .collect();
    if cleaned.is_empty() { format!("user-{}", &sub[..sub.len().min(8)]) } else { cleaned }
}

impl AppState {
    async fn caller_user(&self, claims: &Claims) -> Result<User, ApiError> {
        let handle = handle_from(claims.username.as_deref(), &claims.sub);
        let display_name = self
            .dev
            .as_ref()
            .and_then(|d| d.users().iter().find(|u| u.sub == claims.sub))
            .map_or_else(|| claims.username.clone().unwrap_or_else(|| handle.clone()), |u| u.display_name.to_owned());
        Ok(self.db.ensure_user(&claims.sub, &handle, &display_name).await?)
    }

    /// The key of a user's main avatar in the assets bucket.
    fn avatar_key(&self, sub: &str) -> Option<String> {
        self.config.handler.outputs(&format!("{sub}.upload")).and_then(|o| o.into_iter().next()).map(|o| o.key)
    }

    /// `/avatars/<file>?v=<etag>` when the user's avatar exists.
    async fn avatar_url(&self, sub: &str) -> Result<Option<String>, ApiError> {
        let Some(key) = self.avatar_key(sub) else { return Ok(None) };
        let meta = self
            .store
            .head(&self.config.assets_bucket, &key)
            .await
            .map_err(|e| ApiError::internal("reading the avatar", e))?;
        let Some(meta) = meta else { return Ok(None) };
        let file = key.strip_prefix(&self.config.handler.output_prefix).unwrap_or(&key);
        let version: String =
            meta.etag.unwrap_or_default().chars().filter(|c| c.is_ascii_alphanumeric()).take(32).collect();
        Ok(Some(format!("/avatars/{file}?v={version}")))
    }

    async fn profile_json(&self, user: &User) -> Result<serde_json::Value, ApiError> {
        Ok(json!({
            "uuid": user.uuid,
            "handle": user.handle,
            "display_name": user.display_name,
            "bio": user.bio,
            "avatar_url": self.avatar_url(&user.cognito_user_id).await?,
        }))
    }
}

async fn api_config(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    let c = &state.config;
    Json(json!({
        "issuer_kind": c.issuer.kind(),
        "issuer": state.verifier.issuer(),
        "dev": state.dev.is_some(),
        "storage": if matches!(c.storage, StorageConfig::Local) { "local" } else { "s3" },
        "max_upload_bytes": c.max_upload_bytes,
        "allowed_extensions": c.allowed_extensions,
        "avatar_size": c.handler.width,
    }))
}

async fn me(State(state): State<Arc<AppState>>, Caller(claims): Caller) -> Result<Json<serde_json::Value>, ApiError> {
    let user = state.caller_user(&claims).await?;
    Ok(Json(state.profile_json(&user).await?))
}

async fn profile_by_handle(
    State(state): State<Arc<AppState>>,
    handle: Result<UrlPath<String>, PathRejection>,
) -> Result<Json<serde_json::Value>, ApiError> {
    let UrlPath(handle) = handle.map_err(|_| ApiError::not_found("no such profile"))?;
    let handle =
        handle.strip_prefix('@').ok_or_else(|| ApiError::not_found("profiles are at /api/profile/@<handle>"))?;
    let user =
        state.db.user_by_handle(handle).await?.ok_or_else(|| ApiError::not_found(format!("no user @{handle}")))?;
    Ok(Json(state.profile_json(&user).await?))
}

#[derive(Deserialize)]
struct ProfileUpdate {
    display_name: String,
    #[serde(default)]
    bio: Option<String>,
}

async fn update_profile(
    State(state): State<Arc<AppState>>,
    Caller(claims): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let update: ProfileUpdate = json_body(&headers, &body)?;
    // Every problem at once, so that a form can mark all its fields.
    let mut problems = Vec::new();
    let display_name = update.display_name.trim();
    if display_name.is_empty() {
        problems.push(("display_name_blank", "the display name must not be blank".to_string()));
    } else if display_name.chars().count() > MAX_DISPLAY_NAME_CHARS || display_name.chars().any(char::is_control) {
        problems.push((
            "display_name_too_long",
            format!("the display name must be at most {MAX_DISPLAY_NAME_CHARS} characters, without control characters"),
        ));
    }
    let bio = update.bio.as_deref().map(str::trim).filter(|b| !b.is_empty());
    if bio.is_some_and(|b| b.chars().count() > MAX_BIO_CHARS) {
        problems.push(("bio_too_long", format!("the bio must be at most {MAX_BIO_CHARS} characters")));
    }
    if let Some(error) = ApiError::unprocessable_all(problems) {
        return Err(error);
    }
    state.caller_user(&claims).await?;
    let user = state
        .db
        .update_profile(&claims.sub, display_name, bio)
        .await?
        .ok_or_else(|| ApiError::not_found("the user disappeared"))?;
    Ok(Json(state.profile_json(&user).await?))
}

// ---------------------------------------------------------------- development issuer

async fn dev_users(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(json!(state.dev.as_ref().map(|d| d.users()).unwrap_or_default()))
}

async fn dev_jwks(State(state): State<Arc<AppState>>) -> Json<serde_json::Value> {
    Json(json!(state.dev.as_ref().map(|d| d.jwks())))
}

#[derive(Deserialize)]
struct SignIn {
    username: String,
}

async fn dev_sign_in(
    State(state): State<Arc<AppState>>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let request: SignIn = json_body(&headers, &body)?;
    let dev = state.dev.as_ref().ok_or_else(|| ApiError::not_found("no development issuer"))?;
    let (token, user) = dev.sign_in(&request.username, now()).ok_or_else(|| {
        ApiError::new(StatusCode::NOT_FOUND, "unknown_user", format!("no demo user {:?}", request.username))
    })?;
    Ok(Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": crate::auth::DEV_TOKEN_SECONDS,
        "sub": user.sub,
        "handle": user.username,
    })))
}

// ---------------------------------------------------------------- uploads

#[derive(Deserialize)]
struct KeyUploadRequest {
    extension: String,
}

async fn key_upload(
    State(state): State<Arc<AppState>>,
    Caller(claims): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, ApiError> {
    let request: KeyUploadRequest = json_body(&headers, &body)?;
    let c = &state.config;
    let (extension, content_type) =
        presign::validate_extension(&request.extension, &c.allowed_extensions).ok_or_else(|| {
            ApiError::unprocessable(
                "unsupported_extension",
                format!("the extension must be one of {}", c.allowed_extensions.join(", ")),
            )
        })?;
    let key = format!("{}.{extension}", claims.sub);
    let url = match &c.storage {
        StorageConfig::Local => format!("{}/uploads", state.public_url),
        StorageConfig::S3 { endpoint: Some(endpoint), .. } => format!("{endpoint}/{}", c.uploads_bucket),
        StorageConfig::S3 { endpoint: None, region, .. } => {
            format!("https://{}.s3.{region}.amazonaws.com/", c.uploads_bucket)
        }
    };
    let policy = PostPolicy {
        url,
        bucket: c.uploads_bucket.clone(),
        key: key.clone(),
        content_type: content_type.to_owned(),
        max_bytes: c.max_upload_bytes,
        region: state.upload_region.clone(),
        expires_in: c.upload_url_ttl,
    };
    let post = presign::presign_post(&state.upload_credentials, &policy, now());
    let notify_url =
        (!matches!(c.storage, StorageConfig::Local)).then(|| format!("{}/avatars/uploaded", state.public_url));
    Ok(Json(json!({
        "url": post.url,
        "fields": post.fields,
        "key": post.key,
        "content_type": content_type,
        "max_bytes": post.max_bytes,
        "expires_at": post.expires_at,
        "notify_url": notify_url,
    })))
}

/// The local stand-in for an S3 presigned POST: the same form, the same checks.
async fn local_upload(
    State(state): State<Arc<AppState>>,
    form: Result<Multipart, MultipartRejection>,
) -> Result<StatusCode, ApiError> {
    let mut form =
        form.map_err(|e| ApiError::bad_request(format!("expected a multipart/form-data body: {}", e.body_text())))?;
    let multipart_error = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::new(StatusCode::PAYLOAD_TOO_LARGE, "too_large", "the upload is larger than allowed")
        } else {
            ApiError::bad_request(format!("invalid multipart form: {}", e.body_text()))
        }
    };
    let mut fields: Vec<(String, String)> = Vec::new();
    let mut file = loop {
        let Some(field) = form.next_field().await.map_err(multipart_error)? else {
            return Err(ApiError::bad_request("the form has no file field"));
        };
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            break field;
        }
        if fields.len() >= 32 {
            return Err(ApiError::bad_request("too many form fields"));
        }
        let value = field.text().await.map_err(multipart_error)?;
        if value.len() > 16 * 1024 {
            return Err(ApiError::bad_request(format!("the form field {name} is too long")));
        }
        fields.push((name, value));
    };
    let verified = presign::verify_post(&state.upload_credentials, &state.config.uploads_bucket, &fields, now())
        .map_err(|e| ApiError::forbidden(e.to_string()))?;
    // Defence in depth: the policy was signed by this service for `<sub>.<ext>`.
    let Some((sub, _)) = verified.key.split_once('.') else {
        return Err(ApiError::forbidden("the key is not an avatar upload key"));
    };
    if verified.key.contains('/') || !sub.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
        return Err(ApiError::forbidden("the key is not an avatar upload key"));
    }
    if !verified.content_type.starts_with("image/") {
        return Err(ApiError::forbidden("only images may be uploaded"));
    }

    let mut data = Vec::new();
    while let Some(chunk) = file.chunk().await.map_err(multipart_error)? {
        if (data.len() + chunk.len()) as u64 > verified.max_bytes {
            return Err(ApiError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                "too_large",
                format!("the upload is larger than {} bytes", verified.max_bytes),
            ));
        }
        data.extend_from_slice(&chunk);
    }
    if (data.len() as u64) < verified.min_bytes {
        return Err(ApiError::bad_request(format!("the upload is smaller than {} bytes", verified.min_bytes)));
    }
    drop(file);
    state
        .store
        .put(
            &state.config.uploads_bucket,
            &verified.key,
            data,
            PutOptions::default().content_type(verified.content_type.clone()),
        )
        .await
        .map_err(|e| ApiError::internal("storing the upload", e))?;
    info!(key = verified.key, "upload stored");
    start_processing(state.clone(), sub.to_owned(), verified.key.clone());
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
struct Uploaded {
    key: String,
}

/// The stand-in for the S3 event notification when uploads go to S3.
async fn uploaded(
    State(state): State<Arc<AppState>>,
    Caller(claims): Caller,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<serde_json::Value>), ApiError> {
    let request: Uploaded = json_body(&headers, &body)?;
    let owned = request
        .key
        .split_once('.')
        .is_some_and(|(stem, ext)| stem == claims.sub && state.config.allowed_extensions.contains(&ext));
    if !owned {
        return Err(ApiError::forbidden("the key is not one of your upload keys"));
    }
    let exists = state
        .store
        .head(&state.config.uploads_bucket, &request.key)
        .await
        .map_err(|e| ApiError::internal("reading the upload", e))?;
    if exists.is_none() {
        return Err(ApiError::not_found("nothing was uploaded under that key"));
    }
    start_processing(state.clone(), claims.sub.clone(), request.key);
    Ok((StatusCode::ACCEPTED, Json(json!({"state": "processing"}))))
}

/// Marks the user's avatar as processing and runs the Lambda handler in the background.
fn start_processing(state: Arc<AppState>, sub: String, key: String) {
    let generation = {
        let mut map = state.processing.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.entry(sub.clone()).or_insert((0, Processing::Done));
        entry.0 += 1;
        entry.1 = Processing::Running;
        entry.0
    };
    tokio::spawn(async move {
        let outcome = process(&state, &key).await;
        let mut map = state.processing.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = map.get_mut(&sub)
            && entry.0 == generation
        {
            entry.1 = outcome;
        }
    });
}

async fn process(state: &AppState, key: &str) -> Processing {
    let bucket = &state.config.uploads_bucket;
    let meta = match state.store.head(bucket, key).await {
        Ok(Some(meta)) => meta,
        Ok(None) => return Processing::Failed { message: "the upload disappeared".into() },
        Err(e) => return Processing::Failed { message: e.to_string() },
    };
    // The S3 event notification S3 would send; the key is URL-encoded as S3 does.
    let encoded: String = key
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-_.".contains(&b) { (b as char).to_string() } else { format!("%{b:02X}") }
        })
        .collect();
    let event = json!({"Records": [{
        "eventVersion": "2.1", "eventSource": "aws:s3", "eventName": "ObjectCreated:Post",
        "eventTime": iso8601(unix_seconds(now())), "userIdentity": {}, "requestParameters": {},
        "responseElements": {},
        "s3": {"bucket": {"name": bucket}, "object": {"key": encoded, "size": meta.size, "eTag": meta.etag}},
    }]});
    let event = match serde_json::from_value(event) {
        Ok(event) => event,
        Err(e) => return Processing::Failed { message: format!("building the event: {e}") },
    };
    match handle_event(state.store.as_ref(), &state.config.handler, event).await {
        Ok(report) => match report.records.into_iter().next().map(|r| r.outcome) {
            Some(Outcome::Processed { .. } | Outcome::UpToDate { .. }) => Processing::Done,
            Some(Outcome::Rejected { error_kind, message, .. }) => Processing::Rejected { error: error_kind, message },
            Some(other) => Processing::Failed { message: format!("not processed: {other:?}") },
            None => Processing::Failed { message: "no record".into() },
        },
        Err(e) => Processing::Failed { message: e.to_string() },
    }
}

async fn avatar_status(
    State(state): State<Arc<AppState>>,
    Caller(claims): Caller,
) -> Result<Json<serde_json::Value>, ApiError> {
    let current = state.processing.lock().unwrap_or_else(|e| e.into_inner()).get(&claims.sub).map(|e| e.1.clone());
    let avatar_url = state.avatar_url(&claims.sub).await?;
    let body = match current {
        Some(Processing::Running) => json!({"state": "processing", "avatar_url": avatar_url}),
        Some(Processing::Rejected { error, message }) => {
            json!({"state": "rejected", "avatar_url": avatar_url, "error": error, "message": message})
        }
        Some(Processing::Failed { message }) => {
            json!({"state": "rejected", "avatar_url": avatar_url, "error": "processing_failed", "message": message})
        }
        Some(Processing::Done) | None => {
            json!({"state": if avatar_url.is_some() { "ready" } else { "none" }, "avatar_url": avatar_url})
        }
    };
    Ok(Json(body))
}

// ---------------------------------------------------------------- serving

/// The CDN stand-in: avatars from the assets bucket with ETag, Cache-Control and 304.
async fn avatar_file(
    State(state): State<Arc<AppState>>,
    file: Result<UrlPath<String>, PathRejection>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let UrlPath(file) = file.map_err(|_| ApiError::not_found("no such avatar"))?;
    let versioned = query.is_some_and(|q| q.split('&').any(|pair| pair.starts_with("v=") && pair.len() > 2));
    let valid = !file.starts_with('.')
        && file.len() <= 128
        && file.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_.".contains(&b))
        && [".jpg", ".png", ".webp"].iter().any(|ext| file.ends_with(ext));
    if !valid {
        return Err(ApiError::not_found("no such avatar"));
    }
    let key = format!("{}{file}", state.config.handler.output_prefix);
    let bucket = &state.config.assets_bucket;
    let meta = state.store.head(bucket, &key).await.map_err(|e| ApiError::internal("reading the avatar", e))?;
    let Some(meta) = meta else { return Err(ApiError::not_found("no such avatar")) };
    let etag = format!("\"{}\"", meta.etag.clone().unwrap_or_default());
    let cache_control = if versioned { "public, max-age=31536000, immutable" } else { "public, no-cache" };
    let mut out = HeaderMap::new();
    out.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache_control));
    if let Ok(value) = HeaderValue::from_str(&etag) {
        out.insert(header::ETAG, value);
    }
    let not_modified = headers.get(header::IF_NONE_MATCH).and_then(|v| v.to_str().ok()).is_some_and(|v| {
        v.split(',').any(|t| t.trim() == etag || t.trim() == "*" || t.trim().strip_prefix("W/") == Some(&etag))
    });
    if not_modified {
        return Ok((StatusCode::NOT_MODIFIED, out).into_response());
    }
    let object = match state.store.get(bucket, &key, 64 * 1024 * 1024).await {
        Ok(object) => object,
        Err(e) if e.kind() == StoreErrorKind::NotFound => return Err(ApiError::not_found("no such avatar")),
        Err(e) => return Err(ApiError::internal("reading the avatar", e)),
    };
    let content_type = object.meta.content_type.unwrap_or_else(|| "image/jpeg".into());
    if let Ok(value) = HeaderValue::from_str(&content_type) {
        out.insert(header::CONTENT_TYPE, value);
    }
    out.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    Ok((StatusCode::OK, out, object.data).into_response())
}

async fn index(State(state): State<Arc<AppState>>) -> Result<Response, ApiError> {
    serve_file(&state.config.web_dir, "index.html").await
}

async fn static_file(
    State(state): State<Arc<AppState>>,
    path: Result<UrlPath<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let UrlPath(path) = path.map_err(|_| ApiError::not_found("no such file"))?;
    serve_file(&state.config.web_dir, &path).await
}

async fn wasm_file(
    State(state): State<Arc<AppState>>,
    path: Result<UrlPath<String>, PathRejection>,
) -> Result<Response, ApiError> {
    let UrlPath(path) = path.map_err(|_| ApiError::not_found("no such file"))?;
    serve_file(&state.config.wasm_pkg_dir, &path).await
}

/// A file under `root`; paths with `..`, empty or hidden segments are refused.
async fn serve_file(root: &Path, path: &str) -> Result<Response, ApiError> {
    let safe = !path.is_empty()
        && path.split('/').all(|s| !s.is_empty() && !s.starts_with('.') && !s.contains('\\') && !s.contains(':'));
    if !safe {
        return Err(ApiError::not_found("no such file"));
    }
    let full = root.join(path);
    let data = tokio::fs::read(&full).await.map_err(|_| ApiError::not_found(format!("no such file: {path}")))?;
    let content_type = match full.extension().and_then(|e| e.to_str()).unwrap_or_default() {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        "css" => "text/css; charset=utf-8",
        "wasm" => "application/wasm",
        "json" | "map" => "application/json",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "jpg" | "jpeg" => "image/jpeg",
        "webp" => "image/webp",
        "ico" => "image/x-icon",
        "txt" | "md" | "ts" => "text/plain; charset=utf-8",
        _ => "application/octet-stream",
    };
    Ok((
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        data,
    )
        .into_response())
}
