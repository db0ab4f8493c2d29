//! Benchmark support for [thumbing](https://docs.rs/thumbing): every timing of thumbing lives
//! in this crate. Start at `src/bin/thumbing-peers/main.rs` (the peer harness and its
//! commands) or `benches/` (the criterion benches); the library below is what they share.
//!
//! | command | measures |
//! |---|---|
//! | `cargo bench -p thumbing-benches` | each stage and the whole pipeline (criterion) |
//! | `bash scripts/bench-peers.sh` | thumbing against sharp, Pillow, pyvips, its Python module, its WebAssembly build and the Lambda function's Node.js original |
//! | `thumbing-peers worker` | thumbing's avatar timed in-process, one JSON request per line ([`protocol`]); the Python and WebAssembly benchmarks use it for the native figure |
//! | `cargo run --release -p thumbing-benches --example shrink_timing -- photo.jpg` | shrink-on-load: scaled decodes against zune-jpeg, avatars with and without it |
//!
//! * [`reference`]: a slow `f64` Lanczos3 pipeline that every library's output is scored
//!   against, and [`ssim`]: the SSIM / PSNR scores.
//! * [`synth`]: generated inputs of chosen sizes and formats for the criterion benches.
//! * [`protocol`]: the worker protocol of the peer harness (`thumbing-peers`), which times
//!   thumbing, sharp, Pillow and pyvips side by side, each in its own process.
//! * [`inputs`]: the real and generated inputs of the criterion benches.
//! * [`corpus`], [`stats`], [`svg`], [`machine`]: inputs, order statistics, the report's chart
//!   and the machine description.
//!
//! ```
//! use thumbing_benches::{corpus, reference, ssim};
//! let photo = std::fs::read(corpus::fixtures_dir().join("landscape_1.jpg")).unwrap();
//! let ideal = reference::cover(&photo, 96, 96)?;
//! let avatar = thumbing::Options::new().size(96).format(thumbing::OutputFormat::Png).render(&photo)?;
//! let score = ssim::compare(&ideal, &reference::FloatImage::from_bitmap(&avatar[0]), None).unwrap();
//! assert!(score.ssim > 0.9, "{score:?}");
//! # Ok::<(), thumbing::Error>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

pub mod corpus;
pub mod inputs;
pub mod machine;
pub mod protocol;
pub mod reference;
pub mod ssim;
pub mod stats;
pub mod svg;
pub mod synth;
