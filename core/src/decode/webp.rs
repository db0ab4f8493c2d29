//! WebP (lossy, lossless, first frame of animations) through `image-webp`.

use std::io::Cursor;

use image_webp::{DecodingError, WebPDecoder};

use super::{ColorModel, Decoded, FailOn, ImageFormat, ImageInfo};
use crate::bitmap::{Bitmap, PixelLayout};
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
    WebPDecoder::new(Cursor::new(bytes)).map_err(map_err)
}

pub(super) fn probe(bytes: &[u8]) -> Result<ImageInfo> {
    let mut decoder = open(bytes)?;
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

pub(super) fn decode(bytes: &[u8], info: &ImageInfo, limits: &Limits, _fail_on: FailOn) -> Result<Decoded> {
    let mut decoder = open(bytes)?;
    let budget = (info.width as usize).saturating_mul(info.height as usize).saturating_mul(8);
    decoder.set_memory_limit(budget.saturating_add(limits.max_input_bytes));
    let icc = decoder.icc_profile().ok().flatten();
    let size = decoder.output_buffer_size().ok_or_else(|| Error::TooLarge("WebP output buffer overflows".into()))?;
    let mut data = vec![0u8; size];
    decoder.read_image(&mut data).map_err(map_err)?;
    let (w, h) = decoder.dimensions();
    let layout = if decoder.has_alpha() { PixelLayout::Rgba } else { PixelLayout::Rgb };
    let bitmap = Bitmap::new(w, h, layout, data)
        .ok_or_else(|| Error::corrupt("webp", "decoder returned a buffer of the wrong size"))?;
    Ok(Decoded { bitmap, icc, orientation: info.orientation, shrink: 1 })
}
