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
/// ```
/// let opts = thumbing::Options::new().fail_on(thumbing::FailOn::Never);
/// # let _ = opts;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum FailOn {
    /// Any damage, including truncated data, is an [`Error::Corrupt`]. The default: an avatar
    /// that is half gray is worse than a clear error.
    #[default]
    Truncated,
    /// Best effort: decode what can be decoded (a truncated JPEG or PNG gives the rows that
    /// arrived, the rest filled) and fail only when nothing usable is there.
    Never,
}

/// A decoded image with what later stages need from its metadata.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub bitmap: Bitmap,
    pub icc: Option<Vec<u8>>,
    pub orientation: Orientation,
    /// The bitmap is `1/shrink` of the stored size (1 unless a scaled decode was asked for
    /// and the format's decoder could do it).
    pub shrink: u32,
}

/// Reads the headers of `bytes` and checks them against `limits`.
pub(crate) fn probe(bytes: &[u8], limits: &Limits) -> Result<ImageInfo> {
    limits.check_input_len(bytes.len())?;
    let info = match ImageFormat::sniff(bytes)? {
        ImageFormat::Jpeg => jpeg::probe(bytes)?,
        ImageFormat::Png => png::probe(bytes)?,
        ImageFormat::WebP => webp::probe(bytes)?,
        ImageFormat::Gif => gif::probe(bytes)?,
    };
    Ok(info)
}

/// Decodes `bytes` to an 8-bit bitmap, after checking the header against `limits`. With
/// `shrink` 2, 4 or 8, formats that can decode at reduced size directly (JPEG) may do so;
/// [`Decoded::shrink`] tells.
pub(crate) fn decode(bytes: &[u8], limits: &Limits, fail_on: FailOn, shrink: u32) -> Result<Decoded> {
    let info = probe(bytes, limits)?;
    limits.check_dimensions(info.width, info.height)?;
    let decoded = match info.format {
        ImageFormat::Jpeg => jpeg::decode(bytes, &info, fail_on, shrink)?,
        ImageFormat::Png => png::decode(bytes, &info, limits, fail_on)?,
        ImageFormat::WebP => webp::decode(bytes, &info, limits, fail_on)?,
        ImageFormat::Gif => gif::decode(bytes, &info, limits, fail_on)?,
    };
    debug_assert_eq!(
        decoded.bitmap.data.len(),
        decoded.bitmap.width as usize * decoded.bitmap.height as usize * decoded.bitmap.layout.channels()
    );
    Ok(decoded)
}

/// The scaled JPEG decoder on its own: `None` when the file needs the general decoder.
pub(crate) fn decode_jpeg_reduced(bytes: &[u8], limits: &Limits, denominator: u32) -> Result<Option<Bitmap>> {
    let info = probe(bytes, limits)?;
    if info.format != ImageFormat::Jpeg {
        return Err(Error::UnsupportedFormat(format!("{} is not JPEG", info.format)));
    }
    limits.check_dimensions(info.width, info.height)?;
    let header = jpeg::read_header(bytes)?;
    Ok(jpeg::decode_scaled(bytes, &header, denominator))
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
