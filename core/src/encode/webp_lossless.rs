//! Lossless WebP output through `image-webp`.

use image_webp::{ColorType, WebPEncoder};

use crate::bitmap::{Bitmap, PixelLayout};
use crate::error::{Error, Result};

pub(super) fn encode(image: &Bitmap) -> Result<Vec<u8>> {
    let color = match image.layout {
        PixelLayout::Gray => ColorType::L8,
        PixelLayout::GrayAlpha => ColorType::La8,
        PixelLayout::Rgb => ColorType::Rgb8,
        PixelLayout::Rgba => ColorType::Rgba8,
        PixelLayout::Cmyk => return Err(Error::Encode("WebP cannot store CMYK pixels".into())),
    };
    let mut out = Vec::with_capacity(image.data.len() / 2 + 1024);
    WebPEncoder::new(&mut out)
        .encode(&image.data, image.width, image.height, color)
        .map_err(|e| Error::Encode(format!("webp: {e}")))?;
    Ok(out)
}
