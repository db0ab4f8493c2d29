//! The service's settings: command-line options plus environment variables, checked at
//! start-up with one error listing every problem.
//!
//! | variable | default | meaning |
//! |---|---|---|
//! | `PUBLIC_URL` | `http://<bind address>` | the URL browsers use; base of upload URLs and of the development issuer |
//! | `ALLOWED_ORIGINS` | `http://127.0.0.1:8080,http://localhost:8080` | CORS origins, comma-separated (`*` refused) |
//! | `STORAGE` | `local` (`s3` when `S3_ENDPOINT` is set) | `local`: folders under the data directory; `s3`: S3 or an S3-compatible server |
//! | `UPLOADS_BUCKET`, `ASSETS_BUCKET` | `uploads`, `assets` | bucket names |
//! | `S3_ENDPOINT` | AWS | an S3-compatible server (path-style addressing) |
//! | `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN` | | S3 credentials (presigned POSTs are signed with them) |
//! | `DATABASE_URL` | `sqlite:<data dir>/avatar-service.sqlite3` | `sqlite:<path>` or `postgres://…` |
//! | `USER_POOL_ID` + `CLIENT_ID` (+ `AWS_REGION`) | | verify Cognito access tokens |
//! | `OIDC_ISSUER` + `CLIENT_ID` (+ `JWKS_URL`) | | verify tokens of another issuer; JWKS at `<issuer>/.well-known/jwks.json` unless `JWKS_URL` is set |
//! | `JWT_LEEWAY_SECONDS` | 5 | clock skew allowed on `exp`/`nbf` (at most 300) |
//! | `JWKS_MIN_REFRESH_SECONDS` | 60 | fetch the JWKS again on an unknown `kid` at most this often |
//! | `MAX_UPLOAD_BYTES` | 10485760 | largest upload |
//! | `UPLOAD_URL_TTL_SECONDS` | 300 | validity of an upload form (60–3600) |
//! | `ALLOWED_EXTENSIONS` | `jpg,jpeg,png,webp,gif` | extensions accepted by `/avatars/key_upload` |
//! | `PROCESSING_WORKERS` | the number of cores | uploads processed at once |
//! | `PROCESSING_QUEUE_MAX` | 64 | uploads waiting for a worker; beyond it new uploads get 503 with `Retry-After` |
//! | `PROCESSING_MAX_ATTEMPTS` | 20 | tries of an upload whose storage keeps failing (backoff 1 s doubling to 60 s) |
//! | `NOTIFY_RATE_PER_MINUTE` | 10 | `POST /avatars/uploaded` calls per user and minute (429 beyond) |
//! | `MAX_CONNECTIONS` | 512 | open connections; one more is answered 503 and closed |
//! | `HEADER_READ_TIMEOUT_SECONDS` | 10 | from a request's first byte to the end of its headers |
//! | `IDLE_TIMEOUT_SECONDS` | 30 | a connection with no request in progress and no traffic is closed |
//! | `BODY_READ_TIMEOUT_SECONDS` | 60 | a request body must arrive in full within this time (408 beyond) |
//! | `S3_TIMEOUT_SECONDS` | 30 | one attempt of one S3 request |
//! | `DEV_ISSUER_ON_NETWORK` | `false` | `true` lets the development issuer listen on a non-loopback address |
//! | `DEV_EXTRA_USERS` | 0 | numbered demo users `user1`…`userN` besides ada, grace and alan (load tests) |
//!
//! With neither `USER_POOL_ID` nor `OIDC_ISSUER` the built-in development issuer is used.
//! The processing settings of the Lambda handler (`PROCESS_WIDTH`, `SIZES`, `QUALITY`,
//! `MAX_PIXELS`, …) are read as the Lambda reads them.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use crate::presign::{Credentials, IMAGE_EXTENSIONS};

/// How bearer tokens are verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssuerConfig {
    /// The built-in development issuer at `<PUBLIC_URL>/dev`.
    Dev,
    /// A Cognito user pool.
    Cognito {
        /// `https://cognito-idp.<region>.amazonaws.com/<pool id>`.
        issuer: String,
        /// The app client id.
        client_id: String,
    },
    /// Any OpenID Connect issuer.
    Oidc {
        /// The issuer URL, exactly as in the tokens' `iss`.
        issuer: String,
        /// The app client id expected in `client_id`.
        client_id: String,
        /// Where its JWKS is.
        jwks_url: String,
    },
}

impl IssuerConfig {
    /// `dev`, `cognito` or `oidc`.
    pub fn kind(&self) -> &'static str {
        match self {
            IssuerConfig::Dev => "dev",
            IssuerConfig::Cognito { .. } => "cognito",
            IssuerConfig::Oidc { .. } => "oidc",
        }
    }
}

/// Where uploads and avatars are stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StorageConfig {
    /// Folders `<data dir>/storage/<bucket>/`.
    Local,
    /// S3 or an S3-compatible server.
    S3 {
        /// A custom endpoint (path-style addressing), or `None` for AWS.
        endpoint: Option<String>,
        /// The region.
        region: String,
        /// Static credentials.
        credentials: Credentials,
    },
}

/// Every setting of the service.
#[derive(Debug, Clone)]
pub struct ServiceConfig {
    /// The address to listen on.
    pub bind: SocketAddr,
    /// Local state: database, local buckets, keys.
    pub data_dir: PathBuf,
    /// The web page's folder.
    pub web_dir: PathBuf,
    /// The WebAssembly package's folder.
    pub wasm_pkg_dir: PathBuf,
    /// The URL browsers use, without a trailing slash; `None` means `http://<bound address>`.
    pub public_url: Option<String>,
    /// CORS origins.
    pub allowed_origins: Vec<String>,
    /// Storage.
    pub storage: StorageConfig,
    /// The uploads bucket.
    pub uploads_bucket: String,
    /// The assets bucket.
    pub assets_bucket: String,
    /// The database URL; `None` means SQLite in the data directory.
    pub database_url: Option<String>,
    /// Token verification.
    pub issuer: IssuerConfig,
    /// Allowed clock skew, seconds.
    pub jwt_leeway: u64,
    /// Minimum time between two JWKS fetches.
    pub jwks_min_refresh: Duration,
    /// The largest upload.
    pub max_upload_bytes: u64,
    /// Validity of an upload form.
    pub upload_url_ttl: Duration,
    /// Accepted extensions.
    pub allowed_extensions: Vec<&'static str>,
    /// The Lambda handler's settings (destination: the assets bucket).
    pub handler: thumbing_lambda::handler::Config,
    /// The processing queue.
    pub processing: ProcessingConfig,
    /// Connection limits and timeouts.
    pub connections: ConnectionConfig,
    /// One attempt of one S3 request may take at most this long.
    pub s3_timeout: Duration,
    /// Let the development issuer listen on a non-loopback address (`DEV_ISSUER_ON_NETWORK`).
    pub dev_issuer_on_network: bool,
    /// Numbered demo users (`user1`…) of the development issuer besides the named ones.
    pub dev_extra_users: u32,
}

/// The processing queue: how many uploads are processed at once, how many may wait.
///
/// Memory is bounded by the workers: each holds one upload (at most `MAX_INPUT_BYTES`) and
/// its decoded image (at most `MAX_PIXELS` pixels), so the service's processing memory is
/// about `workers × (MAX_INPUT_BYTES + 4 × MAX_PIXELS)` bytes in the worst case, or
/// `workers × (MAX_INPUT_BYTES + MEMORY_BUDGET_MB)` with a memory budget (images over it are
/// refused from their header); waiting jobs hold only their key.
///
/// ```
/// let p = thumbing_avatar_service::config::ProcessingConfig::default();
/// assert!(p.workers >= 1 && p.max_queued == 64);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessingConfig {
    /// Uploads processed at once (`PROCESSING_WORKERS`, default: the number of cores).
    pub workers: usize,
    /// Uploads waiting for a worker (`PROCESSING_QUEUE_MAX`); beyond it, new uploads are
    /// refused with 503 and `Retry-After`.
    pub max_queued: usize,
    /// Tries of an upload whose storage keeps failing before it is recorded as failed.
    pub max_attempts: u32,
    /// The first retry's delay; each further one doubles, up to `retry_max`.
    pub retry_base: Duration,
    /// The longest delay between two tries.
    pub retry_max: Duration,
    /// `POST /avatars/uploaded` calls allowed per user and minute (a burst of as many).
    pub notify_per_minute: u32,
}

impl Default for ProcessingConfig {
    fn default() -> Self {
        ProcessingConfig {
            workers: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_queued: 64,
            max_attempts: 20,
            retry_base: Duration::from_secs(1),
            retry_max: Duration::from_secs(60),
            notify_per_minute: 10,
        }
    }
}

/// Connection limits: how many, and how long a client may take to send.
///
/// ```
/// let c = thumbing_avatar_service::config::ConnectionConfig::default();
/// assert_eq!((c.max_connections, c.header_read_timeout.as_secs()), (512, 10));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConnectionConfig {
    /// Open connections at most (`MAX_CONNECTIONS`); one more is answered 503 and closed.
    pub max_connections: usize,
    /// From the first byte of a request to the end of its headers (`HEADER_READ_TIMEOUT_SECONDS`).
    pub header_read_timeout: Duration,
    /// A connection without a request in progress and without traffic for this long is
    /// closed (`IDLE_TIMEOUT_SECONDS`); behind a load balancer, set it above the balancer's.
    pub idle_timeout: Duration,
    /// A request's body must have arrived in full this long after its headers
    /// (`BODY_READ_TIMEOUT_SECONDS`); a slower one is cut off with 408.
    pub body_read_timeout: Duration,
}

impl Default for ConnectionConfig {
    fn default() -> Self {
        ConnectionConfig {
            max_connections: 512,
            header_read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            body_read_timeout: Duration::from_secs(60),
        }
    }
}

/// One or more invalid settings.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid configuration:\n  - {}", .problems.join("\n  - "))]
pub struct ConfigError {
    /// Every problem found.
    pub problems: Vec<String>,
}

/// The environment being read, and the problems found so far.
struct Env<'a> {
    lookup: &'a dyn Fn(&str) -> Option<String>,
    problems: Vec<String>,
}

impl Env<'_> {
    /// A variable's value, trimmed; `None` when unset or blank.
    fn get(&self, name: &str) -> Option<String> {
        (self.lookup)(name).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty())
    }

    /// `AWS_REGION`, or else `AWS_DEFAULT_REGION`.
    fn region(&self) -> Option<String> {
        self.get("AWS_REGION").or_else(|| self.get("AWS_DEFAULT_REGION"))
    }

    fn problem(&mut self, message: String) {
        self.problems.push(message);
    }

    /// Sets `target` from a whole number in `min..=max`, when the variable is set.
    fn number(&mut self, name: &str, min: u64, max: u64, target: &mut u64) {
        if let Some(v) = self.get(name) {
            match v.parse::<u64>() {
                Ok(n) if (min..=max).contains(&n) => *target = n,
                _ => self.problem(format!("{name}={v:?} must be a whole number from {min} to {max}")),
            }
        }
    }
}

/// The repository root as seen at compile time (for the default web and package folders).
fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

impl ServiceConfig {
    /// The defaults: local storage and SQLite under `data_dir`, the development issuer.
    pub fn local(bind: SocketAddr, data_dir: impl Into<PathBuf>) -> Self {
        let root = repo_root();
        ServiceConfig {
            bind,
            data_dir: data_dir.into(),
            web_dir: root.join("examples/avatar-service/web"),
            wasm_pkg_dir: root.join("bindings-wasm/pkg"),
            public_url: None,
            allowed_origins: vec!["http://127.0.0.1:8080".into(), "http://localhost:8080".into()],
            storage: StorageConfig::Local,
            uploads_bucket: "uploads".into(),
            assets_bucket: "assets".into(),
            database_url: None,
            issuer: IssuerConfig::Dev,
            jwt_leeway: 5,
            jwks_min_refresh: Duration::from_secs(60),
            max_upload_bytes: 10 * 1024 * 1024,
            upload_url_ttl: Duration::from_secs(300),
            allowed_extensions: IMAGE_EXTENSIONS.to_vec(),
            handler: thumbing_lambda::handler::Config::new("assets"),
            processing: ProcessingConfig::default(),
            connections: ConnectionConfig::default(),
            s3_timeout: Duration::from_secs(30),
            dev_issuer_on_network: false,
            dev_extra_users: 0,
        }
    }

    /// The defaults, then the environment read through `lookup` (unset and blank
    /// variables keep their defaults).
    pub fn from_lookup(
        bind: SocketAddr,
        data_dir: impl Into<PathBuf>,
        lookup: impl Fn(&str) -> Option<String>,
    ) -> Result<Self, ConfigError> {
        let mut env = Env { lookup: &lookup, problems: Vec::new() };
        let mut c = ServiceConfig::local(bind, data_dir);
        c.read_urls(&mut env);
        c.read_buckets_and_database(&mut env);
        c.read_storage(&mut env);
        c.read_issuer(&mut env);
        c.read_limits(&mut env);
        c.read_extensions(&mut env);
        c.read_handler(&mut env);
        c.read_service_limits(&mut env);
        if env.problems.is_empty() { Ok(c) } else { Err(ConfigError { problems: env.problems }) }
    }

    /// `PUBLIC_URL` and `ALLOWED_ORIGINS`.
    fn read_urls(&mut self, env: &mut Env<'_>) {
        if let Some(url) = env.get("PUBLIC_URL") {
            if url.starts_with("http://") || url.starts_with("https://") {
                self.public_url = Some(url.trim_end_matches('/').to_owned());
            } else {
                env.problem(format!("PUBLIC_URL={url:?} must start with http:// or https://"));
            }
        }
        if let Some(list) = env.get("ALLOWED_ORIGINS") {
            self.allowed_origins =
                list.split(',').map(|o| o.trim().trim_end_matches('/').to_owned()).filter(|o| !o.is_empty()).collect();
            for origin in &self.allowed_origins {
                if origin == "*" {
                    env.problem("ALLOWED_ORIGINS must list origins; \"*\" is not allowed".into());
                } else if !(origin.starts_with("http://") || origin.starts_with("https://"))
                    || origin.split('/').nth(3).is_some()
                    || origin.split('/').nth(2).is_none_or(str::is_empty)
                {
                    env.problem(format!("ALLOWED_ORIGINS: {origin:?} is not an origin like https://example.com"));
                }
            }
        }
    }

    /// `UPLOADS_BUCKET`, `ASSETS_BUCKET` and `DATABASE_URL`.
    fn read_buckets_and_database(&mut self, env: &mut Env<'_>) {
        if let Some(b) = env.get("UPLOADS_BUCKET") {
            self.uploads_bucket = b;
        }
        if let Some(b) = env.get("ASSETS_BUCKET") {
            self.assets_bucket = b;
        }
        if self.uploads_bucket == self.assets_bucket {
            env.problem("UPLOADS_BUCKET and ASSETS_BUCKET must differ".into());
        }
        self.database_url = env.get("DATABASE_URL");
        if let Some(url) = &self.database_url
            && !(url.starts_with("sqlite:") || url.starts_with("postgres://") || url.starts_with("postgresql://"))
        {
            env.problem("DATABASE_URL must start with sqlite:, postgres:// or postgresql://".into());
        }
    }

    /// `STORAGE`, `S3_ENDPOINT` and the AWS credentials and region that sign upload forms.
    fn read_storage(&mut self, env: &mut Env<'_>) {
        let endpoint = env.get("S3_ENDPOINT");
        let storage =
            env.get("STORAGE").unwrap_or_else(|| if endpoint.is_some() { "s3".into() } else { "local".into() });
        match storage.as_str() {
            "local" => {}
            "s3" => {
                let id = env.get("AWS_ACCESS_KEY_ID");
                let secret = env.get("AWS_SECRET_ACCESS_KEY");
                if id.is_none() || secret.is_none() {
                    env.problem(
                        "STORAGE=s3 needs AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (they sign the upload forms)"
                            .into(),
                    );
                }
                let region = env.region();
                if region.is_none() {
                    env.problem("STORAGE=s3 needs AWS_REGION".into());
                }
                self.storage = StorageConfig::S3 {
                    endpoint: endpoint.map(|e| e.trim_end_matches('/').to_owned()),
                    region: region.unwrap_or_default(),
                    credentials: Credentials::new(
                        id.unwrap_or_default(),
                        secret.unwrap_or_default(),
                        env.get("AWS_SESSION_TOKEN"),
                    ),
                };
            }
            other => env.problem(format!("STORAGE={other:?} must be local or s3")),
        }
    }

    /// `USER_POOL_ID` or `OIDC_ISSUER` (with `CLIENT_ID` and `JWKS_URL`); neither means the
    /// development issuer.
    fn read_issuer(&mut self, env: &mut Env<'_>) {
        let client_id = env.get("CLIENT_ID");
        match (env.get("USER_POOL_ID"), env.get("OIDC_ISSUER")) {
            (Some(_), Some(_)) => env.problem("set USER_POOL_ID or OIDC_ISSUER, not both".into()),
            (Some(pool), None) => {
                let pool_region = pool.split_once('_').map(|(r, _)| r.to_owned());
                match (env.region().or(pool_region), client_id) {
                    (Some(region), Some(client_id)) => {
                        self.issuer = IssuerConfig::Cognito {
                            issuer: format!("https://cognito-idp.{region}.amazonaws.com/{pool}"),
                            client_id,
                        }
                    }
                    (None, _) => env.problem("USER_POOL_ID needs AWS_REGION".into()),
                    (_, None) => {
                        env.problem("USER_POOL_ID needs CLIENT_ID (the app client tokens must be issued to)".into())
                    }
                }
            }
            (None, Some(issuer)) => {
                let issuer = issuer.trim_end_matches('/').to_owned();
                if !(issuer.starts_with("https://") || issuer.starts_with("http://")) {
                    env.problem(format!("OIDC_ISSUER={issuer:?} must be an http(s) URL"));
                }
                match client_id {
                    Some(client_id) => {
                        let jwks_url = env.get("JWKS_URL").unwrap_or_else(|| format!("{issuer}/.well-known/jwks.json"));
                        self.issuer = IssuerConfig::Oidc { issuer, client_id, jwks_url };
                    }
                    None => env.problem("OIDC_ISSUER needs CLIENT_ID (the app client tokens must be issued to)".into()),
                }
            }
            (None, None) => {
                if client_id.is_some() {
                    env.problem("CLIENT_ID is set but neither USER_POOL_ID nor OIDC_ISSUER is".into());
                }
            }
        }
    }

    /// The numbers: token leeway, JWKS refresh, upload size and form validity.
    fn read_limits(&mut self, env: &mut Env<'_>) {
        env.number("JWT_LEEWAY_SECONDS", 0, 300, &mut self.jwt_leeway);
        let mut refresh = self.jwks_min_refresh.as_secs();
        env.number("JWKS_MIN_REFRESH_SECONDS", 0, 86_400, &mut refresh);
        self.jwks_min_refresh = Duration::from_secs(refresh);
        env.number("MAX_UPLOAD_BYTES", 1, 5 * 1024 * 1024 * 1024, &mut self.max_upload_bytes);
        let mut ttl = self.upload_url_ttl.as_secs();
        env.number("UPLOAD_URL_TTL_SECONDS", 60, 3600, &mut ttl);
        self.upload_url_ttl = Duration::from_secs(ttl);
    }

    /// `ALLOWED_EXTENSIONS`, each one of [`IMAGE_EXTENSIONS`].
    fn read_extensions(&mut self, env: &mut Env<'_>) {
        let Some(list) = env.get("ALLOWED_EXTENSIONS") else { return };
        self.allowed_extensions.clear();
        for ext in list.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            match IMAGE_EXTENSIONS.iter().find(|known| known.eq_ignore_ascii_case(ext)) {
                Some(known) => self.allowed_extensions.push(known),
                None => {
                    env.problem(format!("ALLOWED_EXTENSIONS: {ext:?} is not one of {}", IMAGE_EXTENSIONS.join(", ")))
                }
            }
        }
        if self.allowed_extensions.is_empty() {
            env.problem("ALLOWED_EXTENSIONS is empty".into());
        }
    }

    /// The Lambda handler's settings, read as the Lambda reads them, writing to the assets
    /// bucket.
    fn read_handler(&mut self, env: &mut Env<'_>) {
        let assets = self.assets_bucket.clone();
        let lookup = env.lookup;
        match thumbing_lambda::handler::Config::from_lookup(|name| {
            if name == "DEST_BUCKET_NAME" { Some(assets.clone()) } else { lookup(name) }
        }) {
            Ok(handler) => self.handler = handler,
            Err(e) => env.problems.extend(e.problems().iter().cloned()),
        }
    }

    /// The queue, the connection limits, the S3 timeout and the development issuer's options.
    fn read_service_limits(&mut self, env: &mut Env<'_>) {
        let p = &mut self.processing;
        let mut n = p.workers as u64;
        env.number("PROCESSING_WORKERS", 1, 256, &mut n);
        p.workers = n as usize;
        let mut n = p.max_queued as u64;
        env.number("PROCESSING_QUEUE_MAX", 1, 1_000_000, &mut n);
        p.max_queued = n as usize;
        let mut n = u64::from(p.max_attempts);
        env.number("PROCESSING_MAX_ATTEMPTS", 1, 1000, &mut n);
        p.max_attempts = n as u32;
        let mut n = u64::from(p.notify_per_minute);
        env.number("NOTIFY_RATE_PER_MINUTE", 1, 100_000, &mut n);
        p.notify_per_minute = n as u32;

        let c = &mut self.connections;
        let mut n = c.max_connections as u64;
        env.number("MAX_CONNECTIONS", 1, 1_000_000, &mut n);
        c.max_connections = n as usize;
        for (name, target) in [
            ("HEADER_READ_TIMEOUT_SECONDS", &mut c.header_read_timeout),
            ("IDLE_TIMEOUT_SECONDS", &mut c.idle_timeout),
            ("BODY_READ_TIMEOUT_SECONDS", &mut c.body_read_timeout),
            ("S3_TIMEOUT_SECONDS", &mut self.s3_timeout),
        ] {
            let mut seconds = target.as_secs();
            env.number(name, 1, 3600, &mut seconds);
            *target = Duration::from_secs(seconds);
        }

        if let Some(v) = env.get("DEV_ISSUER_ON_NETWORK") {
            match v.to_ascii_lowercase().as_str() {
                "true" | "1" | "yes" => self.dev_issuer_on_network = true,
                "false" | "0" | "no" => self.dev_issuer_on_network = false,
                _ => env.problem(format!("DEV_ISSUER_ON_NETWORK={v:?} must be true or false")),
            }
        }
        let mut n = u64::from(self.dev_extra_users);
        env.number("DEV_EXTRA_USERS", 0, 100_000, &mut n);
        self.dev_extra_users = n as u32;
    }

    /// The database URL to use.
    pub fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite:{}", self.data_dir.join("avatar-service.sqlite3").display()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(vars: &[(&str, &str)]) -> Result<ServiceConfig, ConfigError> {
        let vars: Vec<(String, String)> = vars.iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        ServiceConfig::from_lookup("127.0.0.1:8080".parse().unwrap(), "data", move |n| {
            vars.iter().find(|(k, _)| k == n).map(|(_, v)| v.clone())
        })
    }

    #[test]
    fn defaults_are_local_and_dev() {
        let c = parse(&[]).unwrap();
        assert_eq!(c.issuer, IssuerConfig::Dev);
        assert_eq!(c.storage, StorageConfig::Local);
        assert_eq!(c.max_upload_bytes, 10 * 1024 * 1024);
        assert_eq!(
            c.database_url(),
            format!("sqlite:{}", std::path::Path::new("data/avatar-service.sqlite3").display())
        );
    }

    #[test]
    fn queue_and_connection_limits_are_read() {
        let c = parse(&[
            ("PROCESSING_WORKERS", "3"),
            ("PROCESSING_QUEUE_MAX", "7"),
            ("NOTIFY_RATE_PER_MINUTE", "2"),
            ("MAX_CONNECTIONS", "9"),
            ("HEADER_READ_TIMEOUT_SECONDS", "4"),
            ("IDLE_TIMEOUT_SECONDS", "5"),
            ("BODY_READ_TIMEOUT_SECONDS", "6"),
            ("DEV_ISSUER_ON_NETWORK", "true"),
            ("DEV_EXTRA_USERS", "50"),
        ])
        .unwrap();
        assert_eq!((c.processing.workers, c.processing.max_queued, c.processing.notify_per_minute), (3, 7, 2));
        assert_eq!(c.connections.max_connections, 9);
        assert_eq!(
            [c.connections.header_read_timeout, c.connections.idle_timeout, c.connections.body_read_timeout],
            [4, 5, 6].map(Duration::from_secs)
        );
        assert!(c.dev_issuer_on_network);
        assert_eq!(c.dev_extra_users, 50);
        let d = parse(&[]).unwrap();
        assert!(!d.dev_issuer_on_network);
        assert_eq!(d.connections, ConnectionConfig::default());
    }

    #[test]
    fn the_memory_budget_of_each_job_is_the_lambdas_variable() {
        assert_eq!(parse(&[]).unwrap().handler.options().memory_budget_bytes(), None);
        let c = parse(&[("MEMORY_BUDGET_MB", "200")]).unwrap();
        assert_eq!(c.handler.options().memory_budget_bytes(), Some(200 << 20));
        let err = parse(&[("MEMORY_BUDGET_MB", "0")]).unwrap_err();
        assert!(err.to_string().contains("MEMORY_BUDGET_MB"), "{err}");
    }

    #[test]
    fn cognito_issuer_is_built_from_the_pool() {
        let c = parse(&[("USER_POOL_ID", "eu-west-1_AbC"), ("CLIENT_ID", "client")]).unwrap();
        assert_eq!(
            c.issuer,
            IssuerConfig::Cognito {
                issuer: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbC".into(),
                client_id: "client".into()
            }
        );
    }

    #[test]
    fn every_problem_is_reported() {
        let e = parse(&[
            ("ALLOWED_ORIGINS", "*"),
            ("USER_POOL_ID", "eu-west-1_x"),
            ("MAX_UPLOAD_BYTES", "lots"),
            ("STORAGE", "s3"),
            ("ALLOWED_EXTENSIONS", "exe"),
            ("QUALITY", "0"),
            ("PROCESSING_WORKERS", "0"),
            ("IDLE_TIMEOUT_SECONDS", "never"),
            ("DEV_ISSUER_ON_NETWORK", "maybe"),
        ])
        .unwrap_err();
        let text = e.to_string();
        for needle in [
            "ALLOWED_ORIGINS",
            "CLIENT_ID",
            "MAX_UPLOAD_BYTES",
            "AWS_ACCESS_KEY_ID",
            "ALLOWED_EXTENSIONS",
            "QUALITY",
            "PROCESSING_WORKERS",
            "IDLE_TIMEOUT_SECONDS",
            "DEV_ISSUER_ON_NETWORK",
        ] {
            assert!(text.contains(needle), "{needle} missing in {text}");
        }
    }
}
