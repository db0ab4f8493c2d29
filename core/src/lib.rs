//! # thumbing
//!
//! Fast, safe avatars and thumbnails from untrusted photos, in pure Rust. This crate holds all
//! of thumbing's image logic; the command-line tool, the Python and WebAssembly packages and
//! the AWS Lambda function are thin layers over it.
//!
//! Start reading at [`Options`] (everything a caller can set, and the option words every
//! interface accepts: [`OptionWord`]) and at "The pipeline" below, which names the module of
//! each stage; `docs/architecture.md` in the repository lists every module.
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
//! [`Options::process`] runs these stages, in this order (`pipeline.rs` reads the same way);
//! each is a module:
//!
//! 1. `decode` — sniff the format from the bytes ([`ImageFormat::sniff`]), read the headers,
//!    check [`Limits`] *before* allocating pixels (decompression bombs are rejected from the
//!    header), decode to 8-bit. JPEGs may be decoded at a reduced scale straight from the
//!    DCT coefficients ([`Options::shrink_on_load`]).
//! 2. `crop` — plan the window in upright coordinates: [`Fit::Cover`] with a centred, focal
//!    or content-aware ([`Crop::Smart`]) window, or [`Fit::Contain`] / [`Fit::Inside`].
//!    Windows are placed to the sub-pixel.
//! 3. `resize` — resample the window, still as stored, to the output size: SIMD convolution
//!    ([`Filter::Lanczos3`] by default), alpha premultiplied.
//! 4. `color` — embedded ICC profiles (Display P3, Adobe RGB, ProPhoto, CMYK) are converted
//!    to sRGB; untagged images are taken as sRGB.
//! 5. `orient` — the EXIF [`Orientation`] makes the result upright.
//! 6. `encode` — JPEG (default quality 80, 4:2:0 below 90, optimised Huffman tables),
//!    PNG, lossy WebP (libwebp), lossless WebP, or AVIF (rav1e); one module per format.
//!    No metadata is written: no EXIF or GPS leaks from phones.
//!
//! Colour conversion and orientation are per-pixel and commute with resampling, so they
//! run on the small resized image rather than the full decode (the `color` and `orient`
//! module docs say why that gives the same avatar).
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
//! - `webp` (default): lossy WebP output ([`OutputFormat::WebP`]) with libwebp's encoder,
//!   built from C (needs a C compiler). Lossless WebP ([`OutputFormat::WebPLossless`]) is
//!   pure Rust and always there.
//! - `avif` (opt-in): AVIF output ([`OutputFormat::Avif`]) with rav1e, pure Rust but slow to
//!   compile; the command, the Python module and the Lambda function turn it on.
//!
//! Without `webp` or `avif`, asking for that format is an [`Error::InvalidOptions`] naming
//! the feature ([`OutputFormat::is_available`] tells beforehand); the WebAssembly package
//! is built without both.
#![deny(missing_docs)]
// Allowed only where each use states its invariant: the JPEG decoder's SIMD kernels
// (`decode/jpeg/{idct,colour,upsample}/{x86,arm}.rs`), the AVX2 row accumulation in
// `bands.rs`, and the calls into libwebp's C encoder (`encode/webp.rs`).
#![deny(unsafe_code)]

mod bands;
mod bitmap;
mod color;
mod crop;
mod decode;
mod encode;
mod error;
mod limits;
mod options;
mod orient;
mod pipeline;
mod resize;
mod warning;

pub use bitmap::{Bitmap, PixelLayout};
pub use crop::{Crop, Fit};
pub use decode::{ColorModel, FailOn, ImageFormat, ImageInfo};
pub use encode::{OutputFormat, PngCompression};
pub use error::{Error, ErrorKind, Result};
pub use limits::Limits;
pub use options::{MAX_OUTPUT_SIDE, OptionWord, Options, SHRINK_ON_LOAD_MARGIN, option_words};
pub use orient::Orientation;
pub use pipeline::Avatar;
pub use resize::Filter;
pub use warning::{Warning, WarningKind};

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
    error::guard(|| decode::probe(bytes, &unlimited))
}

/// Decodes a JPEG at `scale`/8 of its stored size (`scale` 1 to 8) with thumbing's own
/// decoder, the one behind [`Options::process`] for JPEG: the reduction happens in the DCT
/// domain (libjpeg's scaled decoding), so a 1/8 decode costs little more than reading the
/// file.
///
/// Baseline, extended and progressive frames, Huffman- or arithmetic-coded. Returns
/// `Ok(None)` when the file is outside what thumbing's decoder covers (12-bit or lossless
/// frames, non-integer sampling ratios, unusable tables); [`Options`] then decodes it at
/// full size with the general decoder (arithmetic-coded ones it reports as corrupt).
/// Damaged scan data is recovered from as in [`Options::process`] (the warnings are not
/// returned here). The size is
/// rounded up (`ceil(width * scale / 8)`); pixels are as stored: RGB, gray or CMYK ink, not
/// turned upright and not colour-managed. Default [`Limits`] apply.
///
/// ```
/// let photo = include_bytes!("../../fixtures/landscape_1.jpg");
/// let info = thumbing::probe(photo)?;
/// let small = thumbing::decode_jpeg_scaled(photo, 3)?.expect("a baseline YCbCr JPEG");
/// assert_eq!(small.width, (info.width * 3).div_ceil(8));
/// assert_eq!(small.layout, thumbing::PixelLayout::Rgb);
/// assert!(thumbing::decode_jpeg_scaled(photo, 9).is_err());
/// # Ok::<(), thumbing::Error>(())
/// ```
pub fn decode_jpeg_scaled(bytes: &[u8], scale: u32) -> Result<Option<Bitmap>> {
    if !(1..=8).contains(&scale) {
        return Err(Error::invalid(format!("JPEG scale {scale}/8 is out of range: the scale is 1 to 8 eighths")));
    }
    error::guard(|| decode::decode_jpeg_scaled(bytes, &Limits::default(), scale))
}

// The crate's README (its page on crates.io) is compiled as a doc test, so its example stays right.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
