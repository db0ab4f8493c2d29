//! PNG output through the `png` crate.

use super::PngCompression;
use crate::bitmap::{Bitmap, PixelLayout};
use crate::error::{Error, Result};

pub(super) fn encode(image: &Bitmap, compression: PngCompression) -> Result<Vec<u8>> {
    let err = |e: png::EncodingError| Error::Encode(format!("png: {e}"));
    let mut out = Vec::with_capacity(image.data.len() / 2 + 1024);
    {
        let mut encoder = png::Encoder::new(&mut out, image.width, image.height);
        encoder.set_color(match image.layout {
            PixelLayout::Gray => png::ColorType::Grayscale,
            PixelLayout::GrayAlpha => png::ColorType::GrayscaleAlpha,
            PixelLayout::Rgb => png::ColorType::Rgb,
            PixelLayout::Rgba => png::ColorType::Rgba,
            PixelLayout::Cmyk => return Err(Error::Encode("PNG cannot store CMYK pixels".into())),
        });
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(match compression {
            PngCompression::Fast => png::Compression::Fast,
            PngCompression::Balanced => png::Compression::Balanced,
            PngCompression::Smallest => png::Compression::High,
        });
        let mut writer = encoder.write_header().map_err(err)?;
        writer.write_image_data(&image.data).map_err(err)?;
        writer.finish().map_err(err)?;
    }
    Ok(out)
}
