//! Encoding the final pixels. Nothing from the input's metadata is written: no EXIF (GPS,
//! camera serial numbers), no XMP, no ICC (the pixels are sRGB, the web's default).

#[cfg(feature = "avif")]
mod avif;
mod jpeg;
mod png;
#[cfg(feature = "webp")]
mod webp;
mod webp_lossless;

use crate::bitmap::Bitmap;
use crate::error::{Error, Result};

/// An output format.
///
/// Every format is in the vocabulary of every build (`"avif".parse()` always works), but the
/// lossy WebP and AVIF encoders are cargo features (`webp`, on by default, and `avif`,
/// opt-in; the WebAssembly package is built without both). [`OutputFormat::is_available`] says
/// whether this build has a format's encoder; asking for one it lacks is an
/// [`Error::InvalidOptions`] that names the feature.
///
/// ```
/// use thumbing::OutputFormat;
/// assert_eq!("jpg".parse::<OutputFormat>().unwrap(), OutputFormat::Jpeg);
/// assert_eq!(OutputFormat::WebP.mime_type(), "image/webp");
/// assert_eq!(OutputFormat::WebPLossless.extension(), "webp");
/// assert_eq!(OutputFormat::Avif.extension(), "avif");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum OutputFormat {
    /// Baseline (or progressive) JPEG with optimised Huffman tables. The default.
    #[default]
    Jpeg,
    /// PNG, keeping alpha.
    Png,
    /// Lossy WebP at the [quality](crate::Options::quality) given, keeping alpha (encoded
    /// by libwebp; cargo feature `webp`).
    WebP,
    /// Lossless WebP, keeping alpha (pure Rust, always available): as exact as PNG and
    /// usually smaller, but several times the size of lossy WebP for photos.
    WebPLossless,
    /// AVIF (AV1 in HEIF) at the [quality](crate::Options::quality) given, keeping alpha
    /// (encoded by rav1e through ravif; cargo feature `avif`): the smallest files at a given
    /// quality, and the slowest encode.
    Avif,
}

/// Every output format, in the order of [`OptionWord`](crate::OptionWord)'s words.
pub(crate) const ALL_FORMATS: [OutputFormat; 5] =
    [OutputFormat::Jpeg, OutputFormat::Png, OutputFormat::WebP, OutputFormat::WebPLossless, OutputFormat::Avif];

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
            OutputFormat::WebP | OutputFormat::WebPLossless => "webp",
            OutputFormat::Avif => "avif",
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
            OutputFormat::WebP | OutputFormat::WebPLossless => "image/webp",
            OutputFormat::Avif => "image/avif",
        }
    }

    /// Lower-case name, the format's word in every interface: `jpeg`, `png`, `webp`,
    /// `webp-lossless`, `avif`.
    ///
    /// ```
    /// assert_eq!(thumbing::OutputFormat::Png.name(), "png");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            OutputFormat::Jpeg => "jpeg",
            OutputFormat::Png => "png",
            OutputFormat::WebP => "webp",
            OutputFormat::WebPLossless => "webp-lossless",
            OutputFormat::Avif => "avif",
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

    /// Whether [`quality`](crate::Options::quality) changes the output: JPEG, lossy WebP and
    /// AVIF.
    ///
    /// ```
    /// assert!(thumbing::OutputFormat::Avif.is_lossy());
    /// assert!(!thumbing::OutputFormat::WebPLossless.is_lossy());
    /// ```
    pub fn is_lossy(self) -> bool {
        matches!(self, OutputFormat::Jpeg | OutputFormat::WebP | OutputFormat::Avif)
    }

    /// The cargo feature of thumbing that holds this format's encoder, if it needs one:
    /// `webp` for lossy WebP, `avif` for AVIF.
    ///
    /// ```
    /// assert_eq!(thumbing::OutputFormat::Avif.feature(), Some("avif"));
    /// assert_eq!(thumbing::OutputFormat::WebPLossless.feature(), None);
    /// ```
    pub fn feature(self) -> Option<&'static str> {
        match self {
            OutputFormat::WebP => Some("webp"),
            OutputFormat::Avif => Some("avif"),
            _ => None,
        }
    }

    /// Whether this build of thumbing can write the format: JPEG, PNG and lossless WebP
    /// always; lossy WebP and AVIF with their cargo features (`webp` on by default, `avif`
    /// opt-in; both off in the WebAssembly package).
    ///
    /// ```
    /// assert!(thumbing::OutputFormat::Jpeg.is_available());
    /// assert_eq!(thumbing::OutputFormat::Avif.is_available(), cfg!(feature = "avif"));
    /// ```
    pub fn is_available(self) -> bool {
        // Written without a `match` of constants: with both features off (the WebAssembly
        // build) it would be a `matches!` in disguise, which clippy refuses.
        let left_out = (self == OutputFormat::WebP && !cfg!(feature = "webp"))
            || (self == OutputFormat::Avif && !cfg!(feature = "avif"));
        !left_out
    }

    /// The formats this build can write, in the order of their words.
    ///
    /// ```
    /// let formats = thumbing::OutputFormat::available();
    /// assert!(formats.contains(&thumbing::OutputFormat::Jpeg));
    /// assert!(formats.contains(&thumbing::OutputFormat::WebPLossless));
    /// ```
    pub fn available() -> Vec<OutputFormat> {
        ALL_FORMATS.into_iter().filter(|f| f.is_available()).collect()
    }

    /// `Ok` when this build can write the format, else the [`Error::InvalidOptions`] that
    /// names the missing cargo feature.
    ///
    /// ```
    /// assert!(thumbing::OutputFormat::Png.check_available().is_ok());
    /// if !thumbing::OutputFormat::Avif.is_available() {
    ///     let err = thumbing::OutputFormat::Avif.check_available().unwrap_err();
    ///     assert!(err.to_string().contains("`avif` feature"));
    /// }
    /// ```
    pub fn check_available(self) -> Result<()> {
        match self.feature() {
            Some(feature) if !self.is_available() => Err(Error::InvalidOptions(format!(
                "format {self} is not in this build of thumbing: it was built without the `{feature}` \
                 feature (formats available: {})",
                OutputFormat::available().iter().map(|f| f.name()).collect::<Vec<_>>().join(", ")
            ))),
            _ => Ok(()),
        }
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

/// Encoder settings taken from [`Options`](crate::Options): `quality` is used by JPEG, lossy
/// WebP and AVIF, `progressive` by JPEG, `png_compression` by PNG.
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
        OutputFormat::WebPLossless => webp_lossless::encode(image),
        #[cfg(feature = "webp")]
        OutputFormat::WebP => webp::encode(image, settings.quality),
        #[cfg(feature = "avif")]
        OutputFormat::Avif => avif::encode(image, settings.quality),
        #[allow(unreachable_patterns)]
        missing => missing
            .check_available()
            .and_then(|()| Err(Error::Encode(format!("no encoder for {missing} in this build of thumbing")))),
    }
}

impl crate::Options {
    /// Like [`Options::process`](crate::Options::process), once per format: every requested
    /// size in each of `formats` (the format set on the options is not used), from a single
    /// decode and resize. The result is ordered by size, then by format: for sizes
    /// `[512, 128]` and formats `[Jpeg, Avif]`, the 512 JPEG, the 512 AVIF, the 128 JPEG,
    /// the 128 AVIF. Each avatar is byte for byte what `process` makes with that format.
    ///
    /// Every format is checked first ([`OutputFormat::check_available`]): one this build
    /// cannot write fails the call before any decoding. An empty list, or a format listed
    /// twice, is [`Error::InvalidOptions`].
    ///
    /// ```
    /// use thumbing::{Options, OutputFormat};
    /// let photo = include_bytes!("../../../fixtures/landscape_1.jpg");
    /// let formats = [OutputFormat::Jpeg, OutputFormat::WebPLossless];
    /// let avatars = Options::new().sizes([64, 32]).process_formats(photo, &formats)?;
    /// let got: Vec<(u32, &str)> = avatars.iter().map(|a| (a.width, a.format.name())).collect();
    /// assert_eq!(got, [(64, "jpeg"), (64, "webp-lossless"), (32, "jpeg"), (32, "webp-lossless")]);
    /// # Ok::<(), thumbing::Error>(())
    /// ```
    pub fn process_formats(&self, bytes: &[u8], formats: &[OutputFormat]) -> Result<Vec<crate::Avatar>> {
        if formats.is_empty() {
            return Err(Error::invalid("at least one output format is needed"));
        }
        for (i, format) in formats.iter().enumerate() {
            format.check_available()?;
            if formats[..i].contains(format) {
                return Err(Error::invalid(format!("format {format} is listed twice")));
            }
        }
        // Rendered once for a format that keeps alpha. The output format changes only the last
        // step of a render (a format without alpha is flattened onto the background after
        // resampling), so flattening these pixels gives exactly JPEG's own render.
        let keeps_alpha = formats.iter().copied().find(|f| f.supports_alpha()).unwrap_or(formats[0]);
        let (rendered, warnings) = self.clone().format(keeps_alpha).render_with_warnings(bytes)?;
        let settings = EncodeSettings {
            quality: self.quality,
            progressive: self.progressive,
            png_compression: self.png_compression,
        };
        let mut avatars = Vec::with_capacity(rendered.len() * formats.len());
        for image in &rendered {
            let mut flattened: Option<Bitmap> = None;
            for &format in formats {
                let image = if image.layout.has_alpha() && !format.supports_alpha() {
                    flattened.get_or_insert_with(|| crate::pipeline::flatten(image.clone(), self.background))
                } else {
                    image
                };
                let data = encode(image, format, &settings)?;
                let (width, height, warnings) = (image.width, image.height, warnings.clone());
                avatars.push(crate::Avatar { data, width, height, format, warnings });
            }
        }
        Ok(avatars)
    }
}
