//! Generated inputs of chosen sizes, for benchmarks that need a 0.5, 2, 12 or 24 megapixel
//! image in a given format.
//!
//! Each one starts from a real photo, resampled to the wanted size with thumbing, plus a fixed
//! luminance grain so that the upscaled sizes carry fine detail (and so cost about as much to
//! entropy-decode per pixel) like a camera image rather than a smooth enlargement. JPEG is
//! written by the `jpeg-encoder` crate as a camera would (baseline, interleaved, 4:2:0),
//! lossless WebP by thumbing, PNG by the `png` crate and GIF by the `gif` crate.

use thumbing::{Bitmap, Fit, Options, OutputFormat, PixelLayout};

/// Width and height of a 3:2 image of about `megapixels` million pixels, both multiples of 16.
///
/// ```
/// assert_eq!(thumbing_benches::synth::size_for_megapixels(24.0), (6000, 4000));
/// ```
pub fn size_for_megapixels(megapixels: f64) -> (u32, u32) {
    let w = (megapixels * 1e6 * 1.5).sqrt();
    let round16 = |v: f64| ((v / 16.0).round() as u32).max(1) * 16;
    (round16(w), round16(w / 1.5))
}

/// A photo-like RGB bitmap of `width` × `height`: `source` (any image thumbing decodes)
/// cover-resized to that size with Lanczos3, plus deterministic luminance grain of ±`grain`
/// levels (the same on R, G and B).
///
/// ```
/// let photo = std::fs::read(thumbing_benches::corpus::fixtures_dir().join("landscape_1.jpg")).unwrap();
/// let b = thumbing_benches::synth::photo(&photo, 96, 64, 4)?;
/// assert_eq!((b.width, b.height, b.layout), (96, 64, thumbing::PixelLayout::Rgb));
/// # Ok::<(), thumbing::Error>(())
/// ```
pub fn photo(source: &[u8], width: u32, height: u32, grain: u8) -> thumbing::Result<Bitmap> {
    let mut out = Options::new()
        .boxes([(width, height)])
        .fit(Fit::Cover)
        .format(OutputFormat::Jpeg) // flattens any alpha
        .render(source)?;
    let mut bitmap = out.pop().ok_or_else(|| thumbing::Error::InvalidOptions("render produced no image".into()))?;
    if bitmap.layout != PixelLayout::Rgb {
        let rgba = bitmap.to_rgba();
        let data = rgba.data.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect();
        bitmap = Bitmap { width: rgba.width, height: rgba.height, layout: PixelLayout::Rgb, data };
    }
    if grain > 0 {
        let span = u64::from(grain) * 2 + 1;
        let mut state = 0x9E37_79B9_7F4A_7C15_u64;
        for px in bitmap.data.chunks_exact_mut(3) {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let delta = (state % span) as i16 - i16::from(grain);
            for v in px {
                *v = (i16::from(*v) + delta).clamp(0, 255) as u8;
            }
        }
    }
    Ok(bitmap)
}

/// Adds an alpha channel: opaque in the middle, fading to fully transparent towards the
/// corners (a cut-out logo or sticker), so PNG-with-alpha paths can be benchmarked at any size.
///
/// ```
/// use thumbing::{Bitmap, PixelLayout};
/// let rgb = Bitmap::new(10, 10, PixelLayout::Rgb, vec![200; 300]).unwrap();
/// let rgba = thumbing_benches::synth::with_alpha(&rgb);
/// assert_eq!(rgba.pixel(5, 5)[3], 255);
/// assert_eq!(rgba.pixel(0, 0)[3], 0);
/// ```
pub fn with_alpha(bitmap: &Bitmap) -> Bitmap {
    let rgba = bitmap.to_rgba();
    let (w, h) = (f64::from(rgba.width), f64::from(rgba.height));
    let mut data = rgba.data;
    for (i, p) in data.chunks_exact_mut(4).enumerate() {
        let x = (i % rgba.width as usize) as f64 + 0.5;
        let y = (i / rgba.width as usize) as f64 + 0.5;
        let d = (((x / w - 0.5) * 2.0).powi(2) + ((y / h - 0.5) * 2.0).powi(2)).sqrt();
        p[3] = ((1.2 - d) * 4.0 * 255.0).clamp(0.0, 255.0) as u8;
    }
    Bitmap { width: rgba.width, height: rgba.height, layout: PixelLayout::Rgba, data }
}

/// Encodes a gray, gray+alpha, RGB or RGBA bitmap as an 8-bit PNG.
///
/// ```
/// use thumbing::{Bitmap, PixelLayout};
/// let b = Bitmap::new(3, 2, PixelLayout::Rgb, vec![7; 18]).unwrap();
/// let png = thumbing_benches::synth::png(&b, png::Compression::Fast);
/// assert_eq!(thumbing::probe(&png).unwrap().width, 3);
/// ```
pub fn png(bitmap: &Bitmap, compression: png::Compression) -> Vec<u8> {
    let color = match bitmap.layout {
        PixelLayout::Gray => png::ColorType::Grayscale,
        PixelLayout::GrayAlpha => png::ColorType::GrayscaleAlpha,
        PixelLayout::Rgb => png::ColorType::Rgb,
        PixelLayout::Rgba => png::ColorType::Rgba,
        PixelLayout::Cmyk => return png(&bitmap.to_rgba(), compression),
    };
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, bitmap.width, bitmap.height);
        encoder.set_color(color);
        encoder.set_depth(png::BitDepth::Eight);
        encoder.set_compression(compression);
        // Writing into a Vec cannot fail, and the header matches the data by construction.
        let mut writer = encoder.write_header().expect("PNG header");
        writer.write_image_data(&bitmap.data).expect("PNG data");
    }
    out
}

/// Encodes with thumbing at the bitmap's own size: `OutputFormat::Jpeg` at `quality`, or
/// lossless `OutputFormat::WebPLossless` / `OutputFormat::Png`.
///
/// ```
/// use thumbing::{Bitmap, OutputFormat, PixelLayout};
/// let b = Bitmap::new(16, 16, PixelLayout::Rgb, vec![90; 768]).unwrap();
/// let jpeg = thumbing_benches::synth::encode(&b, OutputFormat::Jpeg, 90)?;
/// assert!(jpeg.starts_with(&[0xFF, 0xD8]));
/// # Ok::<(), thumbing::Error>(())
/// ```
pub fn encode(bitmap: &Bitmap, format: OutputFormat, quality: u8) -> thumbing::Result<Vec<u8>> {
    let carrier = png(bitmap, png::Compression::Fast);
    let mut out = Options::new()
        .fit(Fit::Inside)
        .boxes([(bitmap.width, bitmap.height)])
        .format(format)
        .quality(quality)
        .process(&carrier)?;
    Ok(out.pop().map(|a| a.data).unwrap_or_default())
}

/// Encodes a gray or RGB bitmap as a baseline JPEG the way cameras write them: interleaved
/// scans, standard Huffman tables, 4:2:0 below quality 90 (with the `jpeg-encoder` crate).
///
/// ```
/// use thumbing::{Bitmap, PixelLayout};
/// let b = Bitmap::new(16, 16, PixelLayout::Rgb, vec![90; 768]).unwrap();
/// let jpeg = thumbing_benches::synth::jpeg(&b, 88).unwrap();
/// assert_eq!(thumbing::probe(&jpeg).unwrap().width, 16);
/// ```
pub fn jpeg(bitmap: &Bitmap, quality: u8) -> Result<Vec<u8>, String> {
    let (w, h) = (
        u16::try_from(bitmap.width).map_err(|_| "a JPEG is at most 65535 pixels wide")?,
        u16::try_from(bitmap.height).map_err(|_| "a JPEG is at most 65535 pixels high")?,
    );
    let (data, color) = match bitmap.layout {
        PixelLayout::Gray => (bitmap.data.clone(), jpeg_encoder::ColorType::Luma),
        PixelLayout::Rgb => (bitmap.data.clone(), jpeg_encoder::ColorType::Rgb),
        _ => (
            bitmap.to_rgba().data.chunks_exact(4).flat_map(|p| [p[0], p[1], p[2]]).collect(),
            jpeg_encoder::ColorType::Rgb,
        ),
    };
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, quality).encode(&data, w, h, color).map_err(|e| e.to_string())?;
    Ok(out)
}

/// Encodes an RGB(A) bitmap as a single-frame GIF (NeuQuant palette).
///
/// ```
/// use thumbing::{Bitmap, PixelLayout};
/// let b = Bitmap::new(4, 4, PixelLayout::Rgb, vec![128; 48]).unwrap();
/// let gif = thumbing_benches::synth::gif(&b).unwrap();
/// assert!(gif.starts_with(b"GIF89a"));
/// ```
pub fn gif(bitmap: &Bitmap) -> Result<Vec<u8>, String> {
    let (w, h) = (
        u16::try_from(bitmap.width).map_err(|_| "a GIF is at most 65535 pixels wide")?,
        u16::try_from(bitmap.height).map_err(|_| "a GIF is at most 65535 pixels high")?,
    );
    let mut rgba = bitmap.to_rgba().data;
    let frame = gif::Frame::from_rgba_speed(w, h, &mut rgba, 10);
    let mut out = Vec::new();
    {
        let mut encoder = gif::Encoder::new(&mut out, w, h, &[]).map_err(|e| e.to_string())?;
        encoder.write_frame(&frame).map_err(|e| e.to_string())?;
    }
    Ok(out)
}

/// The encoded formats [`generate`] can produce.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Baseline interleaved JPEG, quality 88, 4:2:0 (see [`jpeg`]).
    Jpeg,
    /// PNG, RGB.
    Png,
    /// PNG, RGBA with a transparent surround.
    PngAlpha,
    /// Lossless WebP.
    WebP,
    /// GIF, 256 colours.
    Gif,
}

impl Kind {
    /// A short name for benchmark ids: `jpeg`, `png`, `png-alpha`, `webp`, `gif`.
    ///
    /// ```
    /// assert_eq!(thumbing_benches::synth::Kind::PngAlpha.name(), "png-alpha");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Kind::Jpeg => "jpeg",
            Kind::Png => "png",
            Kind::PngAlpha => "png-alpha",
            Kind::WebP => "webp",
            Kind::Gif => "gif",
        }
    }
}

/// A generated `kind` file of about `megapixels` (3:2) made from `source`.
///
/// ```
/// use thumbing_benches::synth::{generate, Kind};
/// let photo = std::fs::read(thumbing_benches::corpus::fixtures_dir().join("landscape_1.jpg")).unwrap();
/// let png = generate(&photo, 0.01, Kind::PngAlpha).unwrap();
/// assert!(thumbing::probe(&png).unwrap().has_alpha);
/// ```
pub fn generate(source: &[u8], megapixels: f64, kind: Kind) -> Result<Vec<u8>, String> {
    let (w, h) = size_for_megapixels(megapixels);
    let base = photo(source, w, h, 3).map_err(|e| e.to_string())?;
    let encoded = match kind {
        Kind::Jpeg => return jpeg(&base, 88),
        Kind::WebP => encode(&base, OutputFormat::WebPLossless, 100),
        Kind::Png => Ok(png(&base, png::Compression::Balanced)),
        Kind::PngAlpha => Ok(png(&with_alpha(&base), png::Compression::Balanced)),
        Kind::Gif => return gif(&base),
    };
    encoded.map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::reference::{FloatImage, decode_upright};
    use crate::ssim::compare;

    fn source() -> Vec<u8> {
        std::fs::read(crate::corpus::fixtures_dir().join("landscape_1.jpg")).unwrap()
    }

    #[test]
    fn every_kind_decodes_back_to_its_pixels() {
        let base = photo(&source(), 240, 160, 3).unwrap();
        let expected = FloatImage::from_bitmap(&base);
        for kind in [Kind::Jpeg, Kind::Png, Kind::WebP, Kind::Gif] {
            let encoded = match kind {
                Kind::Jpeg => jpeg(&base, 88).unwrap(),
                Kind::Png => png(&base, png::Compression::Fast),
                Kind::WebP => encode(&base, OutputFormat::WebPLossless, 100).unwrap(),
                _ => gif(&base).unwrap(),
            };
            // Through thumbing's decoder, as the benches use them.
            let decoded = FloatImage::from_bitmap(&decode_upright(&encoded).unwrap());
            let score = compare(&expected, &decoded, None).unwrap();
            let floor = if matches!(kind, Kind::Png | Kind::WebP) { 1.0 } else { 0.8 };
            assert!(score.ssim >= floor - 1e-12, "{}: {score:?}", kind.name());
        }
    }

    #[test]
    fn sizes_and_alpha() {
        assert_eq!(size_for_megapixels(0.5), (864, 576));
        assert_eq!(size_for_megapixels(12.0), (4240, 2832));
        let rgba = with_alpha(&photo(&source(), 60, 40, 0).unwrap());
        assert_eq!(rgba.pixel(30, 20)[3], 255);
        assert_eq!(rgba.pixel(0, 0)[3], 0);
    }
}
