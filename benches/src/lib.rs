//! Benchmark support for [thumbing](https://docs.rs/thumbing).
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
