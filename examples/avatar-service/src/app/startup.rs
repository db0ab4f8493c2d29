//! Start-up: binding the address, opening and migrating the database, choosing the store,
//! the upload-signing credentials and the token verifier; then serving until shut down.

use std::future::Future;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use thumbing_storage::{LocalStore, S3Store, Store};
use tokio::net::TcpListener;
use tracing::{error, info, warn};

use super::AppState;
use super::processing::{resume_unfinished, spawn_workers};
use super::queue::{JobQueue, RateLimiter};
use super::router::router;
use super::server::serve;
use crate::auth::{DevIssuer, SigningKey, Verifier};
use crate::config::{IssuerConfig, ServiceConfig, StorageConfig};
use crate::db::{Db, DbError};
use crate::presign::Credentials;

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
    /// The development issuer would hand out tokens beyond this machine.
    #[error(
        "refusing to start: the development issuer signs a token for anyone who asks, and {addr} is reachable \
         from other machines. Configure a real issuer (USER_POOL_ID or OIDC_ISSUER), or listen on a loopback \
         address (--bind 127.0.0.1:8080), or set DEV_ISSUER_ON_NETWORK=true to expose it anyway"
    )]
    DevIssuerOnNetwork {
        /// The address.
        addr: SocketAddr,
    },
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
        if matches!(config.issuer, IssuerConfig::Dev) && !config.bind.ip().is_loopback() {
            if !config.dev_issuer_on_network {
                return Err(StartError::DevIssuerOnNetwork { addr: config.bind });
            }
            warn_dev_issuer_on_network(config.bind);
        }
        let listener =
            TcpListener::bind(config.bind).await.map_err(|source| StartError::Bind { addr: config.bind, source })?;
        let addr = listener.local_addr().map_err(|source| StartError::Bind { addr: config.bind, source })?;
        let public_url = config.public_url.clone().unwrap_or_else(|| format!("http://{addr}"));
        std::fs::create_dir_all(&config.data_dir)
            .map_err(|e| StartError::DataDir { path: config.data_dir.clone(), message: e.to_string() })?;

        let db = Db::connect(&config.database_url()).await?;
        let applied = db.migrate().await?;
        if !applied.is_empty() {
            info!(?applied, "database migrations applied");
        }

        let (store, upload_credentials, upload_region) = open_store(&config)?;
        let (verifier, dev) = token_verifier(&config, &public_url)?;

        let queue = JobQueue::new(config.processing.workers, config.processing.max_queued);
        let notify_limiter = RateLimiter::new(config.processing.notify_per_minute);
        let state = Arc::new(AppState {
            config,
            public_url,
            store,
            db,
            verifier,
            dev,
            upload_credentials,
            upload_region,
            queue,
            notify_limiter,
        });
        // Uploads acknowledged before the last stop (or crash) and not yet processed.
        resume_unfinished(&state).await?;
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
        info!(
            workers = state.queue.workers(),
            max_queued = state.config.processing.max_queued,
            max_connections = state.config.connections.max_connections,
            "processing queue and connection limits"
        );
        let workers = spawn_workers(&state);
        let app = router(state.clone());
        let result = serve(self.listener, app, state.config.connections.clone(), shutdown).await;
        // Jobs still running are finished if they can be within the grace period; the rest
        // stay recorded and are resumed at the next start.
        state.queue.close();
        let all = futures_util::future::join_all(workers);
        if tokio::time::timeout(std::time::Duration::from_secs(10), all).await.is_err() {
            warn!("processing still running at shutdown: its jobs are resumed at the next start");
        }
        state.db.close().await;
        result
    }
}

/// The store, and the credentials and region upload forms are signed with: for local
/// storage a secret kept in the data directory, for S3 the configured credentials.
pub(super) fn open_store(config: &ServiceConfig) -> Result<(Arc<dyn Store>, Credentials, String), StartError> {
    match &config.storage {
        StorageConfig::Local => {
            let secret = load_or_create_secret(&config.data_dir.join("upload-signing-secret"))
                .map_err(|message| StartError::DataDir { path: config.data_dir.clone(), message })?;
            Ok((
                Arc::new(LocalStore::new(config.data_dir.join("storage"))),
                Credentials::new("thumbing-local", secret, None),
                "local".to_owned(),
            ))
        }
        StorageConfig::S3 { endpoint, region, credentials } => {
            let mut builder = S3Store::builder().region(region.clone()).attempt_timeout(config.s3_timeout).credentials(
                credentials.access_key_id.clone(),
                credentials.secret_access_key.clone(),
                credentials.session_token.clone(),
            );
            if let Some(endpoint) = endpoint {
                builder = builder.endpoint_url(endpoint.clone());
            }
            let store = builder.build().map_err(|e| StartError::Storage(e.to_string()))?;
            Ok((Arc::new(store), credentials.clone(), region.clone()))
        }
    }
}

/// The verifier of bearer tokens, and the development issuer when it is the one in use (its
/// key is kept in the data directory).
fn token_verifier(config: &ServiceConfig, public_url: &str) -> Result<(Verifier, Option<DevIssuer>), StartError> {
    Ok(match &config.issuer {
        IssuerConfig::Dev => {
            let key = SigningKey::load_or_generate(&config.data_dir.join("dev-issuer-key.der"))
                .map_err(|e| StartError::DataDir { path: config.data_dir.clone(), message: e.to_string() })?;
            let dev = DevIssuer::new(format!("{public_url}/dev"), key).with_numbered_users(config.dev_extra_users);
            (dev.verifier(config.jwt_leeway), Some(dev))
        }
        IssuerConfig::Cognito { issuer, client_id } => {
            let jwks_url = format!("{issuer}/.well-known/jwks.json");
            (Verifier::remote(issuer, client_id, jwks_url, config.jwt_leeway, config.jwks_min_refresh), None)
        }
        IssuerConfig::Oidc { issuer, client_id, jwks_url } => {
            (Verifier::remote(issuer, client_id, jwks_url, config.jwt_leeway, config.jwks_min_refresh), None)
        }
    })
}

/// Says loudly, on standard error and in the log, that anyone who reaches `addr` can sign in
/// as any demo user.
fn warn_dev_issuer_on_network(addr: SocketAddr) {
    let banner = "!".repeat(78);
    eprintln!(
        "{banner}\n!! DEV_ISSUER_ON_NETWORK=true: the development issuer listens on {addr}.\n\
         !! Anyone who can reach this address can sign in as any demo user (POST /dev/sign-in).\n\
         !! Never run it like this where strangers can connect.\n{banner}"
    );
    error!(%addr, "the development issuer is exposed beyond loopback (DEV_ISSUER_ON_NETWORK=true): anyone who reaches it can sign in as any demo user");
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
