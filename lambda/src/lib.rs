//! # thumbing-lambda
//!
//! An AWS Lambda function (runtime `provided.al2023`, x86_64 or arm64) that turns every
//! image uploaded to an S3 bucket into an avatar in another bucket with [`thumbing`]
//! (`uploads/<user>.png` → `avatars/<user>.jpg`, 512×512, centre crop, upright, sRGB, JPEG
//! quality 80, no EXIF).
//!
//! Start reading at the [`handler`] module: [`handle_event`](handler::handle_event) is a
//! plain async function from an [`S3Event`](aws_lambda_events::event::s3::S3Event) to a
//! [`Report`](handler::Report). It reads and writes through any [`thumbing_storage::Store`]
//! (S3 in production, memory in tests, a folder in the examples), as the
//! [`Config`](handler::Config) read from the environment says; the table of variables is on
//! `Config`. The binary (`src/main.rs`) only reads the configuration, sets up JSON logging
//! and hands the handler to [`lambda_runtime`].
//!
//! ```
//! use thumbing_lambda::handler::{handle_event, Config};
//! use thumbing_storage::MemoryStore;
//!
//! # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
//! let store = MemoryStore::new();
//! store.insert("uploads", "user 1.jpg", include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/landscape_6.jpg")).to_vec());
//! let event = serde_json::from_str(r#"{"Records": [{
//!     "eventName": "ObjectCreated:Put", "eventTime": "2024-05-01T12:00:00Z",
//!     "userIdentity": {}, "requestParameters": {}, "responseElements": {},
//!     "s3": {"bucket": {"name": "uploads"}, "object": {"key": "user+1.jpg"}}}]}"#).unwrap();
//! let report = handle_event(&store, &Config::new("assets"), event).await?;
//! assert_eq!(report.processed(), 1);
//! let avatar = store.object("assets", "avatars/user 1.jpg").unwrap();
//! let info = thumbing::probe(&avatar.data).unwrap();
//! assert_eq!((info.width, info.height), (512, 512));
//! # Ok::<(), thumbing_lambda::handler::HandlerError>(())
//! # }).unwrap();
//! ```
//!
//! The function keeps the environment and output layout of the Node.js + sharp function it
//! replaces and adds optional settings. It handles every record of an event, never processes
//! its own output, tells unusable images (rejected: tagged or moved, not retried) from
//! storage failures (the event fails and is retried), and does nothing twice when an event
//! is retried; the [`handler`] module docs describe each step. Invalid configuration stops
//! the function at cold start with one [`ConfigError`](handler::ConfigError) listing every
//! problem.
//!
//! The same binary answers S3 Batch Operations jobs ([`batch`]): an avatar for every upload
//! listed in a manifest, with settings the job may change, which is how every avatar is
//! made again after the settings change. [`handler::handle_invocation`] tells the two kinds of
//! invocation apart by their shape. Without AWS, [`regenerate`] does the same over a
//! [`thumbing_storage::Store`], resumably (the avatar service's and the local example's
//! `regenerate` commands).
//!
//! Building, deploying, the permissions the function needs and why its dependencies are what
//! they are: `lambda/README.md`. Measured package size, cold start and memory:
//! `docs/benchmarks/lambda.md`.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod batch;
mod config;
pub mod handler;
pub mod regenerate;
