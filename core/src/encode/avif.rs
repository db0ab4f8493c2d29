//! AVIF output through `ravif`, the AVIF writer over rav1e (a pure-Rust AV1 encoder).
//!
//! Settings: the caller's quality on ravif's 1–100 scale (made to track JPEG's: quality 80
//! gives files that look like a JPEG at 80, several times smaller), 4:4:4 YCbCr at 10 bits
//! (what ravif writes; every AVIF decoder in browsers reads it), full range, alpha at the
//! same quality, invisible pixels cleaned. rav1e runs at [`SPEED`] on one thread.
//! Gray images are widened to RGB: AV1 monochrome would save little at avatar sizes.

use ravif::{Encoder, Img, RGB8, RGBA8};

use crate::bitmap::{Bitmap, PixelLayout};
use crate::error::{Error, Result};

/// rav1e's speed preset, 1 (slowest, smallest) to 10: 6 encodes a 512×512 avatar in a
/// fraction of a second on one core, within a few per cent of the size speed 4 reaches
/// (measured in docs/benchmarks/formats.md).
pub(crate) const SPEED: u8 = 6;

pub(super) fn encode(image: &Bitmap, quality: u8) -> Result<Vec<u8>> {
    let (width, height) = (image.width as usize, image.height as usize);
    if width == 0 || height == 0 || image.data.len() != width * height * image.layout.channels() {
        return Err(Error::Encode(format!(
            "avif: a {width}x{height} image with a buffer of {} bytes",
            image.data.len()
        )));
    }
    // rav1e is thumbing's own pixels in, but a large crate: should it ever panic on some
    // size, the caller gets an `Encode` error rather than an unwinding thread.
    std::panic::catch_unwind(|| encode_unguarded(image, width, height, quality))
        .unwrap_or_else(|_| Err(Error::Encode(format!("avif: the encoder failed on a {width}x{height} image"))))
}

fn encode_unguarded(image: &Bitmap, width: usize, height: usize, quality: u8) -> Result<Vec<u8>> {
    let quality = f32::from(quality.clamp(1, 100));
    let encoder = Encoder::new().with_quality(quality).with_alpha_quality(quality).with_speed(SPEED);
    let encoded = match image.layout {
        PixelLayout::Rgb => {
            let px: Vec<RGB8> = image.data.chunks_exact(3).map(|p| RGB8::new(p[0], p[1], p[2])).collect();
            encoder.encode_rgb(Img::new(&px[..], width, height))
        }
        PixelLayout::Gray => {
            let px: Vec<RGB8> = image.data.iter().map(|&v| RGB8::new(v, v, v)).collect();
            encoder.encode_rgb(Img::new(&px[..], width, height))
        }
        PixelLayout::Rgba => {
            let px: Vec<RGBA8> = image.data.chunks_exact(4).map(|p| RGBA8::new(p[0], p[1], p[2], p[3])).collect();
            encoder.encode_rgba(Img::new(&px[..], width, height))
        }
        PixelLayout::GrayAlpha => {
            let px: Vec<RGBA8> = image.data.chunks_exact(2).map(|p| RGBA8::new(p[0], p[0], p[0], p[1])).collect();
            encoder.encode_rgba(Img::new(&px[..], width, height))
        }
        PixelLayout::Cmyk => return Err(Error::Encode("AVIF cannot store CMYK pixels".into())),
    };
    encoded.map(|e| e.avif_file).map_err(|e| Error::Encode(format!("avif: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_an_avif_file_for_every_layout_but_cmyk() {
        for layout in [PixelLayout::Gray, PixelLayout::GrayAlpha, PixelLayout::Rgb, PixelLayout::Rgba] {
            let c = layout.channels();
            let data: Vec<u8> = (0..24 * 16 * c).map(|i| (i * 7 % 251) as u8).collect();
            let out = encode(&Bitmap::new(24, 16, layout, data).unwrap(), 70).unwrap();
            // ISO-BMFF: a `ftyp` box whose major brand is `avif`.
            assert_eq!(&out[4..12], b"ftypavif", "{layout:?}");
            // The alpha plane is an auxiliary image of its own.
            let has_aux = out.windows(4).any(|w| w == b"auxC");
            assert_eq!(has_aux, layout.has_alpha(), "{layout:?}");
        }
        let cmyk = Bitmap::new(2, 2, PixelLayout::Cmyk, vec![0; 16]).unwrap();
        assert!(matches!(encode(&cmyk, 80), Err(Error::Encode(_))));
    }
}
