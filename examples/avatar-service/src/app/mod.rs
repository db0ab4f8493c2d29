//! The HTTP service, one module per concern.
//!
//! Start reading at [`Service`] (start-up: storage, database, token verifier) and the
//! router, which lists every route and the module that answers it:
//!
//! | module | concern |
//! |---|---|
//! | `startup` | [`Service::bind`] and [`Service::run`]: everything built once at start-up |
//! | `router` | the routes, CORS, and the page's configuration (`/api/config`) |
//! | `api_error` | [`ApiError`], the JSON error body every route answers with, and JSON request bodies |
//! | `caller` | the auth extractor: the verified claims of a bearer token |
//! | `profiles` | the profile API (`/api/me`, `/api/profile/…`) |
//! | `dev_sign_in` | the development issuer's sign-in, users and JWKS (`/dev/…`) |
//! | `uploads` | upload forms (`/avatars/key_upload`) and upload notices (`/avatars/uploaded`) |
//! | `local_s3` | the local stand-in for S3's presigned POST (`/uploads`) |
//! | `regenerate` | the `regenerate` command: every stored upload through the current settings again |
//! | `queue` | the bounded job queue both upload routes feed, and the per-user rate limit |
//! | `processing` | the workers: durable jobs run through the Lambda handler, retried, and their status |
//! | `server` | the HTTP/1 server: connection cap, header, idle and body timeouts |
//! | `avatars` | avatar URLs and the CDN stand-in that serves them (`/avatars/<file>`) |
//! | `static_files` | the page, its assets and the WebAssembly package |

use std::sync::Arc;

use thumbing_storage::Store;

use crate::auth::{DevIssuer, Verifier};
use crate::config::ServiceConfig;
use crate::db::Db;
use crate::presign::Credentials;

mod api_error;
mod avatars;
mod caller;
mod dev_sign_in;
mod local_s3;
mod processing;
mod profiles;
mod queue;
mod regenerate;
mod router;
mod server;
mod startup;
mod static_files;
mod uploads;

pub use api_error::ApiError;
pub use profiles::{MAX_BIO_CHARS, MAX_DISPLAY_NAME_CHARS};
pub use regenerate::{RegenerateCommandError, regenerate_checkpoint, regenerate_uploads};
pub use startup::{Service, StartError};

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
    queue: Arc<queue::JobQueue>,
    notify_limiter: queue::RateLimiter,
}
