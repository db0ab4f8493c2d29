//! Resampling with `fast_image_resize`: separable convolution filters with run-time SIMD
//! dispatch (AVX2/SSE4.1 on x86-64, NEON on aarch64, simd128 on wasm32 when compiled with it).
//! Images with alpha are resampled premultiplied, so transparent pixels don't bleed dark
//! fringes into the edges.

use fast_image_resize::PixelTrait;
use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::{U8, U8x2, U8x3, U8x4};
use fast_image_resize::{FilterType, ResizeAlg, ResizeOptions, Resizer};

use crate::bitmap::{Bitmap, PixelLayout};
use crate::error::{Error, Result};

/// The resampling filter.
///
/// ```
/// assert_eq!("lanczos3".parse::<thumbing::Filter>().unwrap(), thumbing::Filter::Lanczos3);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Filter {
    /// Nearest neighbour: fastest, blocky.
    Nearest,
    /// Box (area average).
    Box,
    /// Bilinear (triangle).
    Bilinear,
    /// Catmull-Rom bicubic.
    CatmullRom,
    /// Mitchell–Netravali bicubic.
    Mitchell,
    /// Lanczos with a 3-lobe window: the sharpest, and the default.
    #[default]
    Lanczos3,
}

impl std::str::FromStr for Filter {
    type Err = Error;

    fn from_str(s: &str) -> Result<Filter> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "nearest" => Filter::Nearest,
            "box" => Filter::Box,
            "bilinear" | "triangle" => Filter::Bilinear,
            "catmullrom" | "catmull-rom" | "cubic" => Filter::CatmullRom,
            "mitchell" => Filter::Mitchell,
            "lanczos3" | "lanczos" => Filter::Lanczos3,
            _ => return Err(Error::invalid(format!("unknown filter {s:?}"))),
        })
    }
}

impl Filter {
    fn alg(self) -> ResizeAlg {
        match self {
            Filter::Nearest => ResizeAlg::Nearest,
            Filter::Box => ResizeAlg::Convolution(FilterType::Box),
            Filter::Bilinear => ResizeAlg::Convolution(FilterType::Bilinear),
            Filter::CatmullRom => ResizeAlg::Convolution(FilterType::CatmullRom),
            Filter::Mitchell => ResizeAlg::Convolution(FilterType::Mitchell),
            Filter::Lanczos3 => ResizeAlg::Convolution(FilterType::Lanczos3),
        }
    }
}

/// Resamples the fractional `window` (left, top, width, height) of `src` to `out_w` × `out_h`.
pub(crate) fn resize(
    src: &Bitmap,
    window: (f64, f64, f64, f64),
    out_w: u32,
    out_h: u32,
    filter: Filter,
) -> Result<Bitmap> {
    let (l, t, w, h) = window;
    let options = ResizeOptions::new()
        .resize_alg(filter.alg())
        .crop(l, t, w, h)
        // CMYK's fourth channel is black ink, not alpha.
        .use_alpha(src.layout.has_alpha());
    let mut out = vec![0u8; out_w as usize * out_h as usize * src.layout.channels()];
    // Only the four pixel types thumbing uses are instantiated: the resizer's generic entry
    // point would compile its kernels for every pixel type it knows.
    match src.layout {
        PixelLayout::Gray => resize_typed::<U8>(src, &mut out, out_w, out_h, &options)?,
        PixelLayout::GrayAlpha => resize_typed::<U8x2>(src, &mut out, out_w, out_h, &options)?,
        PixelLayout::Rgb => resize_typed::<U8x3>(src, &mut out, out_w, out_h, &options)?,
        PixelLayout::Rgba | PixelLayout::Cmyk => resize_typed::<U8x4>(src, &mut out, out_w, out_h, &options)?,
    }
    Ok(Bitmap { width: out_w, height: out_h, layout: src.layout, data: out })
}

fn resize_typed<P: PixelTrait>(
    src: &Bitmap,
    out: &mut [u8],
    out_w: u32,
    out_h: u32,
    options: &ResizeOptions,
) -> Result<()> {
    let failed = |e: &dyn std::fmt::Display| Error::Encode(format!("resize failed: {e}"));
    let src_view = TypedImageRef::<P>::from_buffer(src.width, src.height, &src.data).map_err(|e| failed(&e))?;
    let mut dst = TypedImage::<P>::from_buffer(out_w, out_h, out).map_err(|e| failed(&e))?;
    Resizer::new().resize_typed(&src_view, &mut dst, options).map_err(|e| failed(&e))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transparent_pixels_do_not_darken_edges() {
        // Left half opaque white, right half fully transparent black.
        let mut data = Vec::new();
        for _ in 0..8 {
            for x in 0..8 {
                data.extend_from_slice(if x < 4 { &[255, 255, 255, 255] } else { &[0, 0, 0, 0] });
            }
        }
        let img = Bitmap::new(8, 8, PixelLayout::Rgba, data).unwrap();
        let out = resize(&img, (0.0, 0.0, 8.0, 8.0), 3, 3, Filter::Lanczos3).unwrap();
        for px in out.data.chunks_exact(4).filter(|p| p[3] > 0) {
            assert!(px[0] >= 250, "colour of a visible pixel darkened: {px:?}");
        }
    }

    #[test]
    fn uniform_image_stays_uniform() {
        let img = Bitmap::new(37, 23, PixelLayout::Rgb, vec![77; 37 * 23 * 3]).unwrap();
        let out = resize(&img, (1.5, 0.25, 30.0, 20.0), 11, 7, Filter::Lanczos3).unwrap();
        assert!(out.data.iter().all(|&v| v == 77));
    }
}
