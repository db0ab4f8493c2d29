//! # thumbing
//!
//! Fast, safe avatars and thumbnails from untrusted photos, in pure Rust.
//!
//! One call takes the bytes of a JPEG, PNG, WebP or GIF and returns a square avatar:
//!
//! ```
//! let photo = include_bytes!("../../fixtures/landscape_6.jpg");
//! let jpeg: Vec<u8> = thumbing::avatar(photo, 512)?;
//! assert!(jpeg.starts_with(&[0xFF, 0xD8]));
//! # Ok::<(), thumbing::Error>(())
//! ```
//!
//! ## The pipeline
//!
//! Each stage is a module, in the order the data flows:
//!
//! 1. [`decode`](crate::ImageFormat::sniff) — sniff the format from the bytes, read the
//!    headers, check [`Limits`] *before* allocating pixels (decompression bombs are rejected
//!    from the header), decode to 8-bit.
//! 2. `orient` — the EXIF [`Orientation`] makes the result upright.
//! 3. `color` — embedded ICC profiles (Display P3, Adobe RGB, ProPhoto, CMYK) are converted
//!    to sRGB; untagged images are taken as sRGB.
//! 4. `crop` — [`Fit::Cover`] with a centred, focal or content-aware ([`Crop::Smart`])
//!    window, or [`Fit::Contain`] / [`Fit::Inside`]. Windows are placed to the sub-pixel.
//! 5. `resize` — SIMD convolution ([`Filter::Lanczos3`] by default), alpha premultiplied.
//! 6. `encode` — JPEG (default quality 80, 4:2:0 below 90, optimised Huffman tables),
//!    PNG, or lossless WebP. No metadata is written: no EXIF or GPS leaks from phones.
//!
//! Several sizes come from a single decode, and everything the builder can set is in
//! [`Options`]:
//!
//! ```
//! use thumbing::{Crop, Options, OutputFormat};
//!
//! let photo = include_bytes!("../../fixtures/landscape_1.jpg");
//! let avatars = Options::new()
//!     .sizes([512, 128])
//!     .crop(Crop::Smart)
//!     .format(OutputFormat::WebP)
//!     .process(photo)?;
//! for a in &avatars {
//!     println!("{}x{} {} bytes of {}", a.width, a.height, a.data.len(), a.format);
//! }
//! # Ok::<(), thumbing::Error>(())
//! ```
//!
//! ## Errors
//!
//! Every failure is an [`Error`] with a category ([`ErrorKind`]): unsupported format,
//! corrupt data, too large, invalid options, encode failure. No input makes thumbing panic.
//!
//! ```
//! let err = thumbing::avatar(b"\x89PNG\r\n\x1a\n truncated", 64).unwrap_err();
//! assert_eq!(err.kind(), thumbing::ErrorKind::Corrupt);
//! ```
//!
//! ## Features
//!
//! - `jpeg-extended` (default): lossless (SOF3) and 12-bit JPEGs, through `jpeg-decoder`.
//!   Without it they are [`Error::UnsupportedFormat`]; the WebAssembly build leaves it out
//!   to stay small.
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod bitmap;
mod color;
mod crop;
mod decode;
mod encode;
mod error;
mod limits;
mod orient;
mod pipeline;
mod resize;

pub use bitmap::{Bitmap, PixelLayout};
pub use crop::{Crop, Fit};
pub use decode::{ColorModel, FailOn, ImageFormat, ImageInfo};
pub use encode::{OutputFormat, PngCompression};
pub use error::{Error, ErrorKind, Result};
pub use limits::Limits;
pub use orient::Orientation;
pub use pipeline::{Avatar, MAX_OUTPUT_SIDE, Options};
pub use resize::Filter;

/// Makes one `size` × `size` avatar: centre-cropped, upright, sRGB, JPEG at quality 80,
/// with default [`Limits`]. The shortcut for `Options::new().size(size).process(bytes)`.
///
/// ```
/// let jpeg = thumbing::avatar(include_bytes!("../../fixtures/gray.png"), 128)?;
/// let info = thumbing::probe(&jpeg)?;
/// assert_eq!((info.width, info.height), (128, 128));
/// # Ok::<(), thumbing::Error>(())
/// ```
pub fn avatar(bytes: &[u8], size: u32) -> Result<Vec<u8>> {
    let mut out = Options::new().size(size).process(bytes)?;
    Ok(out.pop().map(|a| a.data).unwrap_or_default())
}

/// Reads an image's headers without decoding pixels: format, stored size, orientation,
/// alpha, colour model, ICC presence. It does not apply [`Limits`], so it reports a bomb's
/// declared size; decoding through [`Options`] rejects it.
///
/// ```
/// let info = thumbing::probe(include_bytes!("../../fixtures/landscape_6.jpg"))?;
/// assert_eq!(info.format, thumbing::ImageFormat::Jpeg);
/// assert_eq!(info.orientation.exif_value(), 6);
/// # Ok::<(), thumbing::Error>(())
/// ```
pub fn probe(bytes: &[u8]) -> Result<ImageInfo> {
    let unlimited = Limits { max_input_bytes: usize::MAX, max_pixels: u64::MAX };
    std::panic::catch_unwind(|| decode::probe(bytes, &unlimited))
        .unwrap_or_else(|_| Err(Error::Corrupt("the header parser failed on malformed data".into())))
}
