//! # thumbing-lambda
//!
//! An AWS Lambda function (runtime `provided.al2023`, x86_64 or arm64) that turns every
//! image uploaded to an S3 bucket into an avatar in another bucket, with
//! [thumbing](thumbing): `uploads/<user>.png` → `avatars/<user>.jpg`, 512×512, centre
//! crop, upright, sRGB, JPEG quality 80, no EXIF.
//!
//! The crate is a library with a thin binary. The library's [`handler`] module, which an
//! avatar web service can reuse, has the [`Config`](handler::Config) read from the
//! environment and [`handle_event`](handler::handle_event), a plain async function from an
//! [`S3Event`](aws_lambda_events::event::s3::S3Event) to a [`Report`](handler::Report). It
//! reads and writes through any [`thumbing_storage::Store`]: S3 in production, memory in
//! tests, a folder in the examples.
//!
//! The binary (`src/main.rs`) only reads the configuration, sets up JSON logging and hands
//! the handler to [`lambda_runtime`].
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
//! ## Contract
//!
//! The function keeps the environment and output layout of the Node.js + sharp function it
//! replaces (`DEST_BUCKET_NAME`, `FOLDER_INPUT`, `FOLDER_OUTPUT`, `PROCESS_WIDTH`,
//! `PROCESS_HEIGHT`; `FOLDER_OUTPUT/<stem>.jpg` with `Content-Type: image/jpeg`) and adds
//! optional settings; the table is on [`Config`](handler::Config). Unlike its predecessor it
//! handles every record of an event, applies EXIF orientation and colour profiles, never
//! processes its own output, tells unusable images (rejected, tagged or moved, not retried)
//! from storage failures (retried), and does nothing twice when an event is retried. The
//! [`handler`] module docs describe each step.
//!
//! Invalid configuration stops the function at cold start with one message listing every
//! problem, for example `invalid configuration: QUALITY="0" is not a quality: expected a
//! whole number from 1 to 100`.
//!
//! ## Dependencies
//!
//! Build time, package size and cold start decided the dependencies. The S3 client is
//! `thumbing-storage`'s [`S3Store`](thumbing_storage::S3Store) (its docs say why it uses
//! `aws-sdk-s3` with `rustls-ring` and no `aws-config`); `lambda_runtime` and
//! `aws_lambda_events` come without default features (only the `s3` events), and
//! `tracing-subscriber` with its JSON formatter but without `env-filter` (and so without
//! `regex`).
//!
//! The result, measured by `benches/peers/lambda/run.sh` (see `docs/benchmarks/lambda.md`):
//! a 4.9 MB deployment zip on x86_64 and 3.9 MB on arm64 (the Node.js + sharp original:
//! 10.8 MB), and a cold start — process start to the first answered event, against S3 on
//! the same machine — around 0.2 s, a third of the original's, with a peak of about
//! 50 MiB where the original needs about 150 MiB. The dependency tree has about 200
//! crates; `aws-sdk-s3` is the longest single compile.
//!
//! ## Deployment
//!
//! `lambda/build.sh` builds `bootstrap.zip` for x86_64 and arm64 with
//! [cargo-lambda](https://www.cargo-lambda.info) (`pip install cargo-lambda`, which brings
//! `zig` for cross-compiling):
//!
//! ```text
//! cargo lambda build --release -p thumbing-lambda --arm64 --output-format zip
//! ```
//!
//! The function needs `s3:GetObject`, `s3:GetObjectTagging` and `s3:PutObjectTagging` on
//! the uploads bucket (plus `s3:PutObject` and `s3:DeleteObject` there for
//! `ON_FAILURE=move`) and `s3:GetObject` and `s3:PutObject` on the destination bucket
//! (`GetObject` lets the retry check see the existing avatar). 512 MB of memory and a
//! 15-second timeout handle 24-megapixel photos comfortably.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod config;
pub mod handler;
