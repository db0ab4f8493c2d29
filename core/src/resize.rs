//! Resampling with `fast_image_resize`: separable convolution filters with run-time SIMD
//! dispatch (AVX2/SSE4.1 on x86-64, NEON on aarch64, simd128 on wasm32 when compiled with it).
//! Images with alpha are resampled premultiplied, so transparent pixels don't bleed dark
//! fringes into the edges.

use fast_image_resize::PixelTrait;
use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::{U8, U8x3, U8x4};
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

impl Filter {
    /// How far the filter reaches from an output pixel's centre, in source pixels at a
    /// reduction of one (it widens in proportion when reducing).
    pub(crate) fn support(self) -> f64 {
        match self {
            Filter::Nearest => 0.5,
            Filter::Box => 0.5,
            Filter::Bilinear => 1.0,
            Filter::CatmullRom | Filter::Mitchell => 2.0,
            Filter::Lanczos3 => 3.0,
        }
    }

    pub(crate) fn alg(self) -> ResizeAlg {
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
    if src.layout == PixelLayout::GrayAlpha {
        return resize_gray_alpha(src, out_w, out_h, &options);
    }
    let mut out = vec![0u8; out_w as usize * out_h as usize * src.layout.channels()];
    // Only the three pixel types thumbing resamples are instantiated: the resizer's generic
    // entry point would compile its kernels for every pixel type it knows.
    match src.layout {
        PixelLayout::Gray => resize_typed::<U8>(src, &mut out, out_w, out_h, &options)?,
        PixelLayout::Rgb => resize_typed::<U8x3>(src, &mut out, out_w, out_h, &options)?,
        PixelLayout::Rgba | PixelLayout::Cmyk | PixelLayout::GrayAlpha => {
            resize_typed::<U8x4>(src, &mut out, out_w, out_h, &options)?
        }
    }
    Ok(Bitmap { width: out_w, height: out_h, layout: src.layout, data: out })
}

/// Gray with alpha (rare in photos) goes through the RGBA kernels, gray in all three colour
/// channels, and comes back as gray with alpha: every channel is resampled on its own, so the
/// result is the same, and the WebAssembly module carries one set of SIMD kernels fewer.
fn resize_gray_alpha(src: &Bitmap, out_w: u32, out_h: u32, options: &ResizeOptions) -> Result<Bitmap> {
    let rgba: Vec<u8> = src.data.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]).collect();
    let wide = Bitmap { width: src.width, height: src.height, layout: PixelLayout::Rgba, data: rgba };
    let mut out = vec![0u8; out_w as usize * out_h as usize * 4];
    resize_typed::<U8x4>(&wide, &mut out, out_w, out_h, options)?;
    let data = out.chunks_exact(4).flat_map(|p| [p[0], p[3]]).collect();
    Ok(Bitmap { width: out_w, height: out_h, layout: PixelLayout::GrayAlpha, data })
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
    fn gray_alpha_through_rgba_kernels_matches_the_two_channel_kernels() {
        // A pseudo-random gray + alpha image with fully transparent, opaque and partial pixels.
        let (w, h) = (53u32, 41u32);
        let mut state = 0x2545_f491u32;
        let data: Vec<u8> = (0..w * h * 2)
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 24) as u8
            })
            .collect();
        let img = Bitmap::new(w, h, PixelLayout::GrayAlpha, data).unwrap();
        for filter in [Filter::Lanczos3, Filter::Bilinear, Filter::Nearest] {
            let options = ResizeOptions::new().resize_alg(filter.alg()).crop(1.25, 2.5, 47.0, 33.5).use_alpha(true);
            let mut two = vec![0u8; 19 * 13 * 2];
            resize_typed::<fast_image_resize::pixels::U8x2>(&img, &mut two, 19, 13, &options).unwrap();
            let four = resize_gray_alpha(&img, 19, 13, &options).unwrap();
            let worst = two.iter().zip(&four.data).map(|(a, b)| a.abs_diff(*b)).max().unwrap();
            assert_eq!(worst, 0, "{filter:?}: the two paths differ by up to {worst}");
        }
    }

    #[test]
    fn uniform_image_stays_uniform() {
        let img = Bitmap::new(37, 23, PixelLayout::Rgb, vec![77; 37 * 23 * 3]).unwrap();
        let out = resize(&img, (1.5, 0.25, 30.0, 20.0), 11, 7, Filter::Lanczos3).unwrap();
        assert!(out.data.iter().all(|&v| v == 77));
    }
}
