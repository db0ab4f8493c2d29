//! Encoding the final pixels. Nothing from the input's metadata is written: no EXIF (GPS,
//! camera serial numbers), no XMP, no ICC (the pixels are sRGB, the web's default).

mod jpeg;
mod png;
mod webp;

use crate::bitmap::Bitmap;
use crate::error::Result;

/// An output format.
///
/// ```
/// use thumbing::OutputFormat;
/// assert_eq!("jpg".parse::<OutputFormat>().unwrap(), OutputFormat::Jpeg);
/// assert_eq!(OutputFormat::WebP.mime_type(), "image/webp");
/// assert_eq!(OutputFormat::Png.extension(), "png");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OutputFormat {
    /// Baseline (or progressive) JPEG with optimised Huffman tables. The default.
    #[default]
    Jpeg,
    /// PNG, keeping alpha.
    Png,
    /// Lossless WebP, keeping alpha.
    WebP,
}

impl OutputFormat {
    /// The usual file extension, without a dot.
    ///
    /// ```
    /// assert_eq!(thumbing::OutputFormat::Jpeg.extension(), "jpg");
    /// ```
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "jpg",
            OutputFormat::Png => "png",
            OutputFormat::WebP => "webp",
        }
    }

    /// The MIME type for `Content-Type` headers.
    ///
    /// ```
    /// assert_eq!(thumbing::OutputFormat::Jpeg.mime_type(), "image/jpeg");
    /// ```
    pub fn mime_type(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "image/jpeg",
            OutputFormat::Png => "image/png",
            OutputFormat::WebP => "image/webp",
        }
    }

    /// Lower-case name: `jpeg`, `png`, `webp`.
    ///
    /// ```
    /// assert_eq!(thumbing::OutputFormat::Png.name(), "png");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "jpeg",
            OutputFormat::Png => "png",
            OutputFormat::WebP => "webp",
        }
    }

    /// Whether the format can store an alpha channel.
    ///
    /// ```
    /// assert!(!thumbing::OutputFormat::Jpeg.supports_alpha());
    /// ```
    pub fn supports_alpha(self) -> bool {
        self != OutputFormat::Jpeg
    }
}

/// PNG compression effort: faster encodes or smaller files.
///
/// ```
/// let o = thumbing::Options::new().format(thumbing::OutputFormat::Png).png_compression(thumbing::PngCompression::Smallest);
/// # let _ = o;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PngCompression {
    /// Fastest encode, larger files.
    Fast,
    /// A good trade-off. The default.
    #[default]
    Balanced,
    /// Smallest files, slowest encode.
    Smallest,
}

/// Encoder settings taken from [`Options`](crate::Options).
#[derive(Debug, Clone, Copy)]
pub(crate) struct EncodeSettings {
    pub quality: u8,
    pub progressive: bool,
    pub png_compression: PngCompression,
}

/// Encodes `image` (Gray, GrayAlpha, Rgb or Rgba; alpha already flattened for JPEG).
pub(crate) fn encode(image: &Bitmap, format: OutputFormat, settings: &EncodeSettings) -> Result<Vec<u8>> {
    match format {
        OutputFormat::Jpeg => jpeg::encode(image, settings.quality, settings.progressive),
        OutputFormat::Png => png::encode(image, settings.png_compression),
        OutputFormat::WebP => webp::encode(image),
    }
}
