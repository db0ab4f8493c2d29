//! # thumbing-avatar-service
//!
//! The whole avatar system on one machine: a user signs in, picks a photo, previews the
//! avatar in the browser (thumbing's WebAssembly package), uploads it through a presigned
//! S3 POST, the upload is processed by the same code as the AWS Lambda function
//! ([`thumbing_lambda::handler`]), and the avatar is served with cache validators and a
//! versioned URL. Profiles (handle, display name, bio) live in SQLite or PostgreSQL.
//!
//! ```text
//! cargo run --release -p thumbing-avatar-service      # then open http://127.0.0.1:8080
//! ```
//!
//! Without configuration everything is embedded: a development issuer with demo users,
//! local folders as buckets, SQLite in `data/avatar-service/`. Environment variables switch
//! each part to its production form (Cognito or another OIDC issuer, S3 or an
//! S3-compatible server, PostgreSQL); see [`config`].
//!
//! Modules:
//!
//! - [`presign`]: S3 presigned POST policies, Signature Version 4, and the checks S3
//!   applies to a posted form. Always built; the upload-URL Lambda function uses it alone.
//! - [`auth`]: access-token verification (RS256, JWKS by `kid`, issuer, `token_use`,
//!   `client_id`, expiry) and the development issuer.
//! - [`db`]: the `users` table and its migrations.
//! - [`config`]: the settings, from the environment.
//! - [`app`]: the HTTP service (API in `API.md`), one module per concern: start-up, router,
//!   auth extractor, profiles, development sign-in, uploads, the local S3 stand-in,
//!   background processing, avatars and static files. Start reading there.
//! - [`upload_url`]: the API Gateway Lambda handler that hands out upload forms (the
//!   binary `avatar-upload-url`, feature `lambda`).
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod presign;

#[cfg(feature = "server")]
pub mod app;
#[cfg(feature = "server")]
pub mod auth;
#[cfg(feature = "server")]
pub mod config;
#[cfg(feature = "server")]
pub mod db;

#[cfg(any(feature = "lambda", feature = "server"))]
pub mod upload_url;
