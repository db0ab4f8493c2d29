//! JPEG output through `jpeg-encoder`.

use jpeg_encoder::{ChromaSubsamplingMethod, ColorType, Encoder, SamplingFactor};

use crate::bitmap::{Bitmap, PixelLayout};
use crate::error::{Error, Result};

/// Below this quality, chroma is subsampled 4:2:0 (invisible at these rates and ~25 %
/// smaller); from it on, 4:4:4 keeps colour edges crisp.
const FULL_CHROMA_FROM_QUALITY: u8 = 90;

pub(super) fn encode(image: &Bitmap, quality: u8, progressive: bool) -> Result<Vec<u8>> {
    let color = match image.layout {
        PixelLayout::Gray => ColorType::Luma,
        PixelLayout::Rgb => ColorType::Rgb,
        other => return Err(Error::Encode(format!("JPEG cannot store {other:?} pixels"))),
    };
    let (w, h) = (u16::try_from(image.width), u16::try_from(image.height));
    let (Ok(w), Ok(h)) = (w, h) else {
        return Err(Error::Encode(format!("{}x{} is larger than JPEG's 65535x65535", image.width, image.height)));
    };
    let mut out = Vec::with_capacity(image.data.len() / 8 + 1024);
    let mut encoder = Encoder::new(&mut out, quality);
    encoder.set_sampling_factor(if quality < FULL_CHROMA_FROM_QUALITY {
        SamplingFactor::R_4_2_0
    } else {
        SamplingFactor::R_4_4_4
    });
    // Averaging each 2x2 chroma block, as libjpeg does, instead of taking its top-left sample.
    encoder.set_chroma_subsampling_method(ChromaSubsamplingMethod::Average);
    encoder.set_optimized_huffman_tables(true);
    encoder.set_progressive(progressive);
    encoder.encode(&image.data, w, h, color).map_err(|e| Error::Encode(format!("jpeg: {e}")))?;
    Ok(out)
}
