//! Sniffing, probing and decoding: bytes in, an 8-bit [`Bitmap`] plus its ICC profile and
//! EXIF orientation out.
//!
//! The format is always sniffed from the bytes, never taken from a file name. Every decoder
//! checks the declared dimensions against [`Limits`] before it allocates pixel memory.

mod gif;
mod jpeg;
mod png;
mod webp;

use crate::bitmap::Bitmap;
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::orient::Orientation;
use crate::warning::{WarningKind, Warnings};

/// An input format thumbing decodes.
///
/// ```
/// assert_eq!(thumbing::ImageFormat::Jpeg.name(), "jpeg");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ImageFormat {
    /// JPEG (baseline, progressive, lossless; 8-bit and 12-bit).
    Jpeg,
    /// PNG, including APNG (first frame).
    Png,
    /// WebP, lossy and lossless, animated (first frame).
    WebP,
    /// GIF (first frame).
    Gif,
}

impl ImageFormat {
    /// Lower-case name: `jpeg`, `png`, `webp`, `gif`.
    ///
    /// ```
    /// assert_eq!(thumbing::ImageFormat::WebP.name(), "webp");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ImageFormat::Jpeg => "jpeg",
            ImageFormat::Png => "png",
            ImageFormat::WebP => "webp",
            ImageFormat::Gif => "gif",
        }
    }

    /// Recognises the format from the first bytes of a file.
    ///
    /// PNGs whose 8-byte signature was damaged (in transfer, or on purpose) are still
    /// recognised as PNG, so that they are reported as [`Error::Corrupt`], not as an unknown
    /// format. Other formats (TIFF, BMP, HEIF, AVIF, ...) give [`Error::UnsupportedFormat`]
    /// naming the format when it is known.
    ///
    /// ```
    /// use thumbing::ImageFormat;
    /// assert_eq!(ImageFormat::sniff(b"\xff\xd8\xff\xe0....").unwrap(), ImageFormat::Jpeg);
    /// assert_eq!(ImageFormat::sniff(b"GIF89a......").unwrap(), ImageFormat::Gif);
    /// let err = ImageFormat::sniff(b"II*\0\x08\0\0\0").unwrap_err();
    /// assert!(err.to_string().contains("TIFF"));
    /// ```
    pub fn sniff(bytes: &[u8]) -> Result<ImageFormat> {
        const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";
        if bytes.starts_with(b"\xff\xd8\xff") {
            return Ok(ImageFormat::Jpeg);
        }
        if bytes.starts_with(PNG_SIGNATURE) {
            return Ok(ImageFormat::Png);
        }
        if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
            return Ok(ImageFormat::Gif);
        }
        if bytes.len() >= 12 && &bytes[0..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            return Ok(ImageFormat::WebP);
        }
        if bytes.get(1..4) == Some(b"PNG") || bytes.windows(4).take(16).any(|w| w == b"IHDR") {
            return Err(Error::corrupt("png", "the 8-byte PNG signature is damaged"));
        }
        let known = [
            (&b"II*\0"[..], "TIFF"),
            (b"MM\0*", "TIFF"),
            (b"BM", "BMP"),
            (b"\0\0\x01\0", "ICO"),
            (b"8BPS", "PSD"),
            (b"\xff\x0a", "JPEG XL"),
            (b"\0\0\0\x0cJXL ", "JPEG XL"),
            (b"%PDF", "PDF"),
            (b"<svg", "SVG"),
            (b"<?xml", "XML/SVG"),
        ];
        for (magic, name) in known {
            if bytes.starts_with(magic) {
                return Err(Error::UnsupportedFormat(format!(
                    "{name} is not a supported image format (supported: JPEG, PNG, WebP, GIF)"
                )));
            }
        }
        if bytes.len() >= 12 && &bytes[4..8] == b"ftyp" {
            let brand = String::from_utf8_lossy(&bytes[8..12]).into_owned();
            return Err(Error::UnsupportedFormat(format!(
                "ISO media file (brand {brand:?}, e.g. HEIC or AVIF) is not a supported image format (supported: JPEG, PNG, WebP, GIF)"
            )));
        }
        Err(Error::UnsupportedFormat(format!(
            "not a supported image: {} bytes with no JPEG, PNG, WebP or GIF signature",
            bytes.len()
        )))
    }
}

impl std::fmt::Display for ImageFormat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// The colour model of the stored pixels, as declared by the header.
///
/// ```
/// let info = thumbing::probe(include_bytes!("../../../fixtures/gray.png")).unwrap();
/// assert_eq!(info.color_model, thumbing::ColorModel::Gray);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ColorModel {
    /// Grayscale.
    Gray,
    /// RGB (or YCbCr, which decodes to RGB).
    Rgb,
    /// Indexed colour (PNG palette, GIF).
    Palette,
    /// CMYK or YCCK (JPEG only).
    Cmyk,
}

impl ColorModel {
    /// Lower-case name: `gray`, `rgb`, `palette`, `cmyk`.
    ///
    /// ```
    /// assert_eq!(thumbing::ColorModel::Cmyk.name(), "cmyk");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            ColorModel::Gray => "gray",
            ColorModel::Rgb => "rgb",
            ColorModel::Palette => "palette",
            ColorModel::Cmyk => "cmyk",
        }
    }
}

/// What [`probe`](crate::probe) learns from an image's headers, without decoding pixels.
///
/// `width` and `height` are as stored; [`ImageInfo::upright_size`] applies the orientation.
///
/// ```
/// let info = thumbing::probe(include_bytes!("../../../fixtures/landscape_6.jpg")).unwrap();
/// assert_eq!(info.format, thumbing::ImageFormat::Jpeg);
/// assert_eq!(info.orientation, thumbing::Orientation::Rotate90);
/// assert_eq!(info.upright_size(), (info.height, info.width));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ImageInfo {
    /// The sniffed format.
    pub format: ImageFormat,
    /// Stored width in pixels.
    pub width: u32,
    /// Stored height in pixels.
    pub height: u32,
    /// EXIF orientation ([`Orientation::Normal`] when absent).
    pub orientation: Orientation,
    /// Whether the image has an alpha channel or transparency.
    pub has_alpha: bool,
    /// Colour model of the stored pixels.
    pub color_model: ColorModel,
    /// Whether an ICC profile is embedded.
    pub has_icc: bool,
    /// Bits per sample as stored (8 for most; 1–16 for PNG; 12 for some JPEGs).
    pub bit_depth: u8,
    /// Whether the file is animated (APNG, animated WebP, multi-frame GIF); thumbing uses the
    /// first frame.
    pub animated: bool,
    /// Whether the image is progressive (JPEG) or interlaced (PNG, GIF).
    pub progressive: bool,
}

impl ImageInfo {
    /// Width and height after the EXIF orientation is applied.
    ///
    /// ```
    /// let info = thumbing::probe(include_bytes!("../../../fixtures/gray.png")).unwrap();
    /// assert_eq!(info.upright_size(), (info.width, info.height));
    /// ```
    pub fn upright_size(&self) -> (u32, u32) {
        self.orientation.upright_size(self.width, self.height)
    }
}

/// How strictly damaged input is treated, like sharp's `failOn`.
///
/// Damage that a decoder can recover from (corrupt data inside a JPEG scan, junk between
/// markers, a malformed EXIF block, a bad PNG checksum, damaged data after a complete image)
/// gives an image plus [`Warning`](crate::Warning)s by default, as libjpeg and Pillow do.
/// What cannot give an image (no frame header, no image data, limits exceeded, an
/// unsupported format) is always an error.
///
/// ```
/// let opts = thumbing::Options::new().fail_on(thumbing::FailOn::Warning);
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FailOn {
    /// Strict, like sharp's default `failOn: 'warning'`: any damage, even recoverable, is an
    /// [`Error::Corrupt`] naming the first thing that was wrong.
    Warning,
    /// The default: recoverable damage gives an image with warnings; a file that ends
    /// before its image data does is an [`Error::Corrupt`] (Pillow refuses those too).
    #[default]
    Truncated,
    /// Best effort: truncated files too give the rows that arrived, the rest filled, with a
    /// [`WarningKind::Truncated`](crate::WarningKind::Truncated) warning; only files with no
    /// usable image data fail.
    Never,
}

impl FailOn {
    /// The error for the first warning this setting refuses, if any.
    pub(crate) fn check(self, warnings: &Warnings) -> Result<()> {
        let refused = warnings.iter().find(|w| match self {
            FailOn::Warning => true,
            FailOn::Truncated => w.kind == WarningKind::Truncated,
            FailOn::Never => false,
        });
        match refused {
            Some(w) => Err(Error::Corrupt(w.to_string())),
            None => Ok(()),
        }
    }
}

/// What the pipeline asks of a decoder: a scale, and the part of the image it will use.
/// Decoders that cannot do either decode the whole image at full size, and [`Decoded`] says
/// what they did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Request {
    /// Decode at `scale`/8 of the stored size (1..=8), where the format allows.
    pub scale: u32,
    /// The stored pixels the later stages read, as `[x0, y0, x1, y1]` (stored orientation,
    /// full-size coordinates); `None` for all of them.
    pub region: Option<[u32; 4]>,
}

/// A decoded image with what later stages need from its metadata.
#[derive(Debug)]
pub(crate) struct Decoded {
    /// A region of the image decoded at `scale`/8 of its stored size: the whole image at
    /// full size unless the decoder could do better with the [`Request`].
    pub bitmap: Bitmap,
    pub icc: Option<Vec<u8>>,
    pub orientation: Orientation,
    /// Eighths of the stored size the bitmap is at (8: full size).
    pub scale: u32,
    /// Where the bitmap's top-left pixel lies in the image decoded at `scale`/8.
    pub origin: (u32, u32),
    /// The damage the decoder recovered from.
    pub warnings: Warnings,
}

impl Decoded {
    /// A whole image at full size.
    pub fn whole(bitmap: Bitmap, icc: Option<Vec<u8>>, orientation: Orientation) -> Decoded {
        Decoded { bitmap, icc, orientation, scale: 8, origin: (0, 0), warnings: Warnings::default() }
    }
}

/// An image whose headers have been read: what [`probe`](crate::probe) reports, plus what
/// its decoder starts from (for JPEG the parsed markers), so that one call reads the headers
/// once.
pub(crate) struct Probed<'a> {
    pub info: ImageInfo,
    jpeg: Option<jpeg::Header<'a>>,
}

/// Reads the headers of `bytes` and checks them against `limits`.
pub(crate) fn open<'a>(bytes: &'a [u8], limits: &Limits) -> Result<Probed<'a>> {
    limits.check_input_len(bytes.len())?;
    Ok(match ImageFormat::sniff(bytes)? {
        ImageFormat::Jpeg => {
            let header = jpeg::read_header(bytes)?;
            Probed { info: jpeg::info(&header), jpeg: Some(header) }
        }
        ImageFormat::Png => Probed { info: png::probe(bytes)?, jpeg: None },
        ImageFormat::WebP => Probed { info: webp::probe(bytes)?, jpeg: None },
        ImageFormat::Gif => Probed { info: gif::probe(bytes)?, jpeg: None },
    })
}

/// Reads the headers of `bytes` and checks them against `limits`.
pub(crate) fn probe(bytes: &[u8], limits: &Limits) -> Result<ImageInfo> {
    open(bytes, limits).map(|p| p.info)
}

/// Decodes `bytes`, whose headers `probed` holds, to an 8-bit bitmap after checking the
/// dimensions against `limits`: the whole image, or as much of the [`Request`] as the
/// format's decoder can do (JPEG: any scale M/8 and a region); [`Decoded`] says which.
pub(crate) fn decode(
    bytes: &[u8],
    probed: &Probed<'_>,
    limits: &Limits,
    fail_on: FailOn,
    request: &Request,
) -> Result<Decoded> {
    let info = &probed.info;
    limits.check_dimensions(info.width, info.height)?;
    let decoded = match (&probed.jpeg, info.format) {
        (Some(header), _) => jpeg::decode(bytes, header, info, limits, fail_on, request)?,
        (None, ImageFormat::Png) => png::decode(bytes, info, limits, fail_on)?,
        (None, ImageFormat::WebP) => webp::decode(bytes, info, limits, fail_on)?,
        (None, ImageFormat::Gif) => gif::decode(bytes, info, limits, fail_on)?,
        (None, ImageFormat::Jpeg) => return Err(Error::Corrupt("jpeg: header not read".into())),
    };
    fail_on.check(&decoded.warnings)?;
    debug_assert_eq!(
        decoded.bitmap.data.len(),
        decoded.bitmap.width as usize * decoded.bitmap.height as usize * decoded.bitmap.layout.channels()
    );
    Ok(decoded)
}

/// Whether [`rows`] reads this image row by row (PNG that is neither interlaced nor
/// animated); everything else is decoded whole by [`decode`].
pub(crate) fn streams(info: &ImageInfo) -> bool {
    info.format == ImageFormat::Png && png::streams(info)
}

/// Opens `bytes`, whose headers `probed` holds, for reading one row at a time after checking
/// the dimensions against `limits`: the same rows, in the same layout and with the same
/// handling of damage as [`decode`] gives as a whole. `None` when the format or the file does
/// not stream ([`streams`]).
pub(crate) fn rows<'a>(
    bytes: &'a [u8],
    probed: &Probed<'_>,
    limits: &Limits,
    fail_on: FailOn,
) -> Result<Option<png::Rows<'a>>> {
    if !streams(&probed.info) {
        return Ok(None);
    }
    limits.check_dimensions(probed.info.width, probed.info.height)?;
    png::rows(bytes, &probed.info, fail_on)
}

/// thumbing's JPEG decoder on its own, at `scale`/8: `None` when the file needs the general
/// decoder.
pub(crate) fn decode_jpeg_scaled(bytes: &[u8], limits: &Limits, scale: u32) -> Result<Option<Bitmap>> {
    let probed = open(bytes, limits)?;
    let Some(header) = &probed.jpeg else {
        return Err(Error::UnsupportedFormat(format!("{} is not JPEG", probed.info.format)));
    };
    limits.check_dimensions(probed.info.width, probed.info.height)?;
    Ok(jpeg::decode_own(bytes, header, &Request { scale, region: None }).map(|(bitmap, _, _)| bitmap))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_png_signatures_are_corrupt() {
        let mut png = b"\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR".to_vec();
        png[1] = b'Q';
        assert!(matches!(ImageFormat::sniff(&png), Err(Error::Corrupt(_))));
        png[1] = b'P';
        png[0] = 0x09;
        assert!(matches!(ImageFormat::sniff(&png), Err(Error::Corrupt(_))));
    }

    #[test]
    fn unknown_formats_are_unsupported() {
        for bytes in [&b""[..], b"hello world", b"\0\0\0\x1cftypavif\0\0\0\0", b"BM6\0\0\0"] {
            assert!(matches!(ImageFormat::sniff(bytes), Err(Error::UnsupportedFormat(_))), "{bytes:?}");
        }
    }
}
