//! WebP (lossy, lossless, first frame of animations) through `image-webp`.

use std::io::Cursor;

use image_webp::{DecodingError, WebPDecoder};

use super::{ColorModel, Decoded, FailOn, ImageFormat, ImageInfo};
use crate::bitmap::{Bitmap, PixelLayout};
use crate::color::MAX_ICC_BYTES;
use crate::error::{Error, Result};
use crate::limits::Limits;
use crate::orient::Orientation;

fn map_err(e: DecodingError) -> Error {
    match e {
        DecodingError::ImageTooLarge | DecodingError::MemoryLimitExceeded => Error::TooLarge(format!("webp: {e}")),
        DecodingError::UnsupportedFeature(what) => {
            Error::UnsupportedFormat(format!("WebP feature not supported: {what}"))
        }
        other => Error::corrupt("webp", other),
    }
}

fn open(bytes: &[u8]) -> Result<WebPDecoder<Cursor<&[u8]>>> {
    let mut decoder = WebPDecoder::new(Cursor::new(bytes)).map_err(map_err)?;
    // The decoder's memory limit applies to metadata chunks (ICC, EXIF, XMP), which it
    // allocates at their *declared* length before reading them. No chunk can be longer than
    // the file: without this, a 30-byte file declaring a 4 GiB ICCP chunk allocates 4 GiB.
    decoder.set_memory_limit(bytes.len().min(MAX_ICC_BYTES));
    Ok(decoder)
}

/// The declared canvas of an extended (VP8X) file, read from its header alone.
///
/// image-webp refuses a canvas whose pixel count overflows its arithmetic before it reads
/// anything else, but `probe` applies no limits and reports a bomb's declared size, as it
/// does for the other formats; decoding then rejects it as [`Error::TooLarge`].
fn vp8x_canvas(bytes: &[u8]) -> Option<ImageInfo> {
    // "VP8X", chunk size, flags, 3 reserved bytes, canvas width - 1 and height - 1 (24 bits).
    let vp8x = bytes.get(12..30).filter(|h| h.starts_with(b"VP8X"))?;
    let flags = vp8x[8];
    let width = 1 + u32::from_le_bytes([vp8x[12], vp8x[13], vp8x[14], 0]);
    let height = 1 + u32::from_le_bytes([vp8x[15], vp8x[16], vp8x[17], 0]);
    Some(ImageInfo {
        format: ImageFormat::WebP,
        width,
        height,
        orientation: Orientation::Normal,
        has_alpha: flags & 0x10 != 0,
        color_model: ColorModel::Rgb,
        has_icc: flags & 0x20 != 0,
        bit_depth: 8,
        animated: flags & 0x02 != 0,
        progressive: false,
    })
}

pub(super) fn probe(bytes: &[u8]) -> Result<ImageInfo> {
    let mut decoder = match open(bytes) {
        Ok(decoder) => decoder,
        Err(Error::TooLarge(why)) => return vp8x_canvas(bytes).ok_or(Error::TooLarge(why)),
        Err(e) => return Err(e),
    };
    let (width, height) = decoder.dimensions();
    let has_icc = decoder.icc_profile().ok().flatten().is_some();
    let orientation = decoder.exif_metadata().ok().flatten().map(|e| Orientation::from_exif(&e)).unwrap_or_default();
    Ok(ImageInfo {
        format: ImageFormat::WebP,
        width,
        height,
        orientation,
        has_alpha: decoder.has_alpha(),
        color_model: ColorModel::Rgb,
        has_icc,
        bit_depth: 8,
        animated: decoder.is_animated(),
        progressive: false,
    })
}

pub(super) fn decode(bytes: &[u8], info: &ImageInfo, _limits: &Limits, _fail_on: FailOn) -> Result<Decoded> {
    let mut decoder = open(bytes)?;
    let icc = decoder.icc_profile().ok().flatten();
    let size = decoder.output_buffer_size().ok_or_else(|| Error::TooLarge("WebP output buffer overflows".into()))?;
    let mut data = vec![0u8; size];
    decoder.read_image(&mut data).map_err(map_err)?;
    let (w, h) = decoder.dimensions();
    let layout = if decoder.has_alpha() { PixelLayout::Rgba } else { PixelLayout::Rgb };
    let bitmap = Bitmap::new(w, h, layout, data)
        .ok_or_else(|| Error::corrupt("webp", "decoder returned a buffer of the wrong size"))?;
    Ok(Decoded::whole(bitmap, icc, info.orientation))
}
