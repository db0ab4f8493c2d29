//! The slow, high-quality reference that every library's output is scored against.
//!
//! 1. Full decode at the native size through thumbing's own decoder (`render` with
//!    [`Fit::Inside`] and a box equal to the upright size, which copies the pixels without
//!    resampling): upright, colour-managed to sRGB, alpha kept.
//! 2. Conversion to `f64`, alpha premultiplied.
//! 3. The exact centred cover window, kept fractional (no rounding to whole pixels).
//! 4. A separable Lanczos3 resample in `f64`, the kernel widened by the downscale factor so it
//!    is a proper low-pass filter, with no shrink-on-load, no integer pre-reduction, no
//!    intermediate 8-bit rounding. Like the libraries under test it filters the sRGB-encoded
//!    values (not linear light), so the score measures accuracy rather than a choice of
//!    colour space.

use thumbing::{Bitmap, Fit, Options, OutputFormat};

/// An RGBA image in `f64`, 0–255 scale, colour premultiplied by alpha, row-major with four
/// interleaved channels.
///
/// ```
/// use thumbing::{Bitmap, PixelLayout};
/// let px = Bitmap::new(1, 1, PixelLayout::Rgba, vec![200, 100, 0, 51]).unwrap();
/// let f = thumbing_benches::reference::FloatImage::from_bitmap(&px);
/// assert_eq!(f.pixel(0, 0), [40.0, 20.0, 0.0, 51.0]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct FloatImage {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height * 4` values: premultiplied R, G, B, then alpha.
    pub data: Vec<f64>,
}

impl FloatImage {
    /// Converts any 8-bit bitmap (gray, RGB, RGBA, ...) to premultiplied RGBA.
    ///
    /// ```
    /// use thumbing::{Bitmap, PixelLayout};
    /// let gray = Bitmap::new(2, 1, PixelLayout::Gray, vec![10, 20]).unwrap();
    /// let f = thumbing_benches::reference::FloatImage::from_bitmap(&gray);
    /// assert_eq!(f.pixel(1, 0), [20.0, 20.0, 20.0, 255.0]);
    /// ```
    pub fn from_bitmap(bitmap: &Bitmap) -> FloatImage {
        let rgba = bitmap.to_rgba();
        let mut data = Vec::with_capacity(rgba.data.len());
        for p in rgba.data.chunks_exact(4) {
            let a = f64::from(p[3]);
            let k = a / 255.0;
            data.extend_from_slice(&[f64::from(p[0]) * k, f64::from(p[1]) * k, f64::from(p[2]) * k, a]);
        }
        FloatImage { width: bitmap.width as usize, height: bitmap.height as usize, data }
    }

    /// The four values (premultiplied R, G, B, alpha) at (`x`, `y`).
    ///
    /// ```
    /// let f = thumbing_benches::reference::FloatImage::filled(3, 2, [1.0, 2.0, 3.0, 255.0]);
    /// assert_eq!(f.pixel(2, 1), [1.0, 2.0, 3.0, 255.0]);
    /// ```
    pub fn pixel(&self, x: usize, y: usize) -> [f64; 4] {
        let i = (y * self.width + x) * 4;
        [self.data[i], self.data[i + 1], self.data[i + 2], self.data[i + 3]]
    }

    /// An image of one colour (given premultiplied).
    ///
    /// ```
    /// let f = thumbing_benches::reference::FloatImage::filled(4, 4, [0.0, 0.0, 0.0, 0.0]);
    /// assert!(f.has_transparency());
    /// ```
    pub fn filled(width: usize, height: usize, rgba: [f64; 4]) -> FloatImage {
        FloatImage { width, height, data: rgba.iter().copied().cycle().take(width * height * 4).collect() }
    }

    /// Whether any pixel is less than fully opaque (alpha below 254.5).
    ///
    /// ```
    /// let f = thumbing_benches::reference::FloatImage::filled(1, 1, [9.0, 9.0, 9.0, 255.0]);
    /// assert!(!f.has_transparency());
    /// ```
    pub fn has_transparency(&self) -> bool {
        self.data.chunks_exact(4).any(|p| p[3] < 254.5)
    }

    /// Composites over an opaque background colour: the result is opaque.
    ///
    /// ```
    /// let clear = thumbing_benches::reference::FloatImage::filled(1, 1, [0.0, 0.0, 0.0, 0.0]);
    /// assert_eq!(clear.flattened([255.0, 255.0, 255.0]).pixel(0, 0), [255.0, 255.0, 255.0, 255.0]);
    /// ```
    pub fn flattened(&self, background: [f64; 3]) -> FloatImage {
        let mut data = self.data.clone();
        for p in data.chunks_exact_mut(4) {
            let uncovered = 1.0 - p[3] / 255.0;
            for c in 0..3 {
                p[c] += background[c] * uncovered;
            }
            p[3] = 255.0;
        }
        FloatImage { width: self.width, height: self.height, data }
    }

    /// One channel (0–3) as its own plane.
    ///
    /// ```
    /// let f = thumbing_benches::reference::FloatImage::filled(2, 1, [1.0, 2.0, 3.0, 4.0]);
    /// assert_eq!(f.channel(2), vec![3.0, 3.0]);
    /// ```
    pub fn channel(&self, c: usize) -> Vec<f64> {
        self.data.chunks_exact(4).map(|p| p[c]).collect()
    }

    /// Rounds back to an 8-bit straight-alpha RGBA bitmap (for looking at a reference).
    ///
    /// ```
    /// let f = thumbing_benches::reference::FloatImage::filled(1, 1, [50.0, 25.0, 0.0, 127.5]);
    /// assert_eq!(f.to_rgba8().data, vec![100, 50, 0, 128]);
    /// ```
    pub fn to_rgba8(&self) -> Bitmap {
        let to8 = |v: f64| v.round().clamp(0.0, 255.0) as u8;
        let data = self
            .data
            .chunks_exact(4)
            .flat_map(|p| {
                let a = p[3];
                let un = |v: f64| if a > 0.0 { v * 255.0 / a } else { 0.0 };
                [to8(un(p[0])), to8(un(p[1])), to8(un(p[2])), to8(a)]
            })
            .collect();
        Bitmap { width: self.width as u32, height: self.height as u32, layout: thumbing::PixelLayout::Rgba, data }
    }
}

/// Decodes an image completely at its native size with thumbing: upright, sRGB, alpha kept.
///
/// ```
/// let bytes = std::fs::read(thumbing_benches::corpus::fixtures_dir().join("landscape_6.jpg")).unwrap();
/// let upright = thumbing_benches::reference::decode_upright(&bytes)?;
/// assert!(upright.width > upright.height); // stored portrait, shown landscape
/// # Ok::<(), thumbing::Error>(())
/// ```
pub fn decode_upright(bytes: &[u8]) -> thumbing::Result<Bitmap> {
    let info = thumbing::probe(bytes)?;
    let (w, h) = info.upright_size();
    let mut out = Options::new().fit(Fit::Inside).boxes([(w, h)]).format(OutputFormat::Png).render(bytes)?;
    out.pop().ok_or_else(|| thumbing::Error::InvalidOptions("render produced no image".into()))
}

/// Decodes a library's *output* for scoring, with decoders independent of thumbing's: the
/// `jpeg-decoder` crate for JPEG and the `png` crate for PNG, so a defect in thumbing's own
/// decoder can neither flatter nor hurt any library's score.
///
/// Outputs carrying an ICC profile are decoded through [`decode_upright`] instead, so that
/// the profile is honoured; an output still carrying an EXIF rotation is an error (the task
/// asks for upright pixels).
///
/// ```
/// let photo = std::fs::read(thumbing_benches::corpus::fixtures_dir().join("landscape_1.jpg")).unwrap();
/// let jpeg = thumbing::avatar(&photo, 64).unwrap();
/// let decoded = thumbing_benches::reference::decode_output(&jpeg).unwrap();
/// assert_eq!((decoded.width, decoded.height), (64, 64));
/// ```
pub fn decode_output(bytes: &[u8]) -> Result<Bitmap, String> {
    use thumbing::{ImageFormat, Orientation, PixelLayout};
    let info = thumbing::probe(bytes).map_err(|e| format!("unreadable output: {e}"))?;
    if info.orientation != Orientation::default() {
        return Err(format!("the output still has EXIF orientation {}", info.orientation.exif_value()));
    }
    if info.has_icc {
        return decode_upright(bytes).map_err(|e| format!("cannot decode the output: {e}"));
    }
    match info.format {
        ImageFormat::Jpeg => {
            let mut decoder = jpeg_decoder::Decoder::new(bytes);
            let data = decoder.decode().map_err(|e| format!("jpeg-decoder: {e}"))?;
            let meta = decoder.info().ok_or("jpeg-decoder returned no image info")?;
            let layout = match meta.pixel_format {
                jpeg_decoder::PixelFormat::L8 => PixelLayout::Gray,
                jpeg_decoder::PixelFormat::RGB24 => PixelLayout::Rgb,
                other => return Err(format!("unexpected JPEG output pixel format {other:?}")),
            };
            Bitmap::new(u32::from(meta.width), u32::from(meta.height), layout, data)
                .ok_or_else(|| "jpeg-decoder returned a buffer of the wrong size".to_string())
        }
        ImageFormat::Png => {
            let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
            decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
            let mut reader = decoder.read_info().map_err(|e| format!("png: {e}"))?;
            let mut data = vec![0; reader.output_buffer_size().ok_or("PNG output too large")?];
            let frame = reader.next_frame(&mut data).map_err(|e| format!("png: {e}"))?;
            data.truncate(frame.buffer_size());
            let layout = match frame.color_type {
                png::ColorType::Grayscale => PixelLayout::Gray,
                png::ColorType::GrayscaleAlpha => PixelLayout::GrayAlpha,
                png::ColorType::Rgb => PixelLayout::Rgb,
                png::ColorType::Rgba => PixelLayout::Rgba,
                png::ColorType::Indexed => return Err("indexed PNG was not expanded".into()),
            };
            Bitmap::new(frame.width, frame.height, layout, data)
                .ok_or_else(|| "png returned a buffer of the wrong size".to_string())
        }
        other => decode_upright(bytes).map_err(|e| format!("cannot decode the {other} output: {e}")),
    }
}

/// The Lanczos kernel with three lobes.
///
/// ```
/// use thumbing_benches::reference::lanczos3;
/// assert_eq!(lanczos3(0.0), 1.0);
/// assert!(lanczos3(1.0).abs() < 1e-12 && lanczos3(3.5) == 0.0);
/// ```
pub fn lanczos3(x: f64) -> f64 {
    let x = x.abs();
    if x < 1e-12 {
        return 1.0;
    }
    if x >= 3.0 {
        return 0.0;
    }
    let px = std::f64::consts::PI * x;
    3.0 * px.sin() * (px / 3.0).sin() / (px * px)
}

/// The centred window (left, top, width, height) of an `src_w` × `src_h` image that a
/// cover fit into `box_w` × `box_h` keeps. Fractional, never rounded.
///
/// ```
/// use thumbing_benches::reference::cover_window;
/// assert_eq!(cover_window(951, 634, 512, 512), (158.5, 0.0, 634.0, 634.0));
/// ```
pub fn cover_window(src_w: usize, src_h: usize, box_w: u32, box_h: u32) -> (f64, f64, f64, f64) {
    let (sw, sh) = (src_w as f64, src_h as f64);
    let (bw, bh) = (f64::from(box_w), f64::from(box_h));
    let scale = (bw / sw).max(bh / sh);
    let (ww, wh) = ((bw / scale).min(sw), (bh / scale).min(sh));
    ((sw - ww) / 2.0, (sh - wh) / 2.0, ww, wh)
}

/// The taps of one output sample: the first source index and the normalised weights.
struct Taps {
    first: usize,
    weights: Vec<f64>,
}

/// Lanczos3 taps mapping the source span `[start, start + len)` of a `src_len` axis onto
/// `out` samples. Pixel `j` covers `[j, j + 1)`; taps falling outside the image are dropped
/// and the rest renormalised.
fn taps(src_len: usize, start: f64, len: f64, out: usize) -> Vec<Taps> {
    let scale = len / out as f64;
    let widen = scale.max(1.0);
    let support = 3.0 * widen;
    (0..out)
        .map(|i| {
            let centre = start + (i as f64 + 0.5) * scale;
            let lo = ((centre - support).floor().max(0.0) as usize).min(src_len.saturating_sub(1));
            let hi = ((centre + support).ceil().max(0.0) as usize).clamp(lo + 1, src_len);
            let mut weights: Vec<f64> = (lo..hi).map(|j| lanczos3((j as f64 + 0.5 - centre) / widen)).collect();
            let sum: f64 = weights.iter().sum();
            if sum.abs() > 1e-12 {
                weights.iter_mut().for_each(|w| *w /= sum);
            }
            Taps { first: lo, weights }
        })
        .collect()
}

/// Resamples the fractional `window` (left, top, width, height) of `src` to `out_w` ×
/// `out_h` with a separable Lanczos3 filter in `f64` (premultiplied, so transparent pixels
/// add no colour).
///
/// ```
/// use thumbing_benches::reference::{FloatImage, resample};
/// let flat = FloatImage::filled(37, 23, [70.0, 80.0, 90.0, 255.0]);
/// let small = resample(&flat, (1.5, 0.25, 30.0, 20.0), 11, 7);
/// assert!(small.data.iter().zip([70.0, 80.0, 90.0, 255.0].iter().cycle()).all(|(a, b)| (a - b).abs() < 1e-9));
/// ```
pub fn resample(src: &FloatImage, window: (f64, f64, f64, f64), out_w: usize, out_h: usize) -> FloatImage {
    let (left, top, width, height) = window;
    let xs = taps(src.width, left, width, out_w);
    let ys = taps(src.height, top, height, out_h);
    let row_lo = ys.iter().map(|t| t.first).min().unwrap_or(0);
    let row_hi = ys.iter().map(|t| t.first + t.weights.len()).max().unwrap_or(0);

    // Horizontal pass over the rows the vertical pass needs.
    let mut mid = vec![0.0; (row_hi - row_lo) * out_w * 4];
    for y in row_lo..row_hi {
        let src_row = &src.data[y * src.width * 4..(y + 1) * src.width * 4];
        let dst_row = &mut mid[(y - row_lo) * out_w * 4..(y - row_lo + 1) * out_w * 4];
        for (x, t) in xs.iter().enumerate() {
            let mut acc = [0.0; 4];
            for (k, w) in t.weights.iter().enumerate() {
                let p = &src_row[(t.first + k) * 4..(t.first + k) * 4 + 4];
                for c in 0..4 {
                    acc[c] += w * p[c];
                }
            }
            dst_row[x * 4..x * 4 + 4].copy_from_slice(&acc);
        }
    }

    // Vertical pass.
    let mut data = vec![0.0; out_w * out_h * 4];
    for (y, t) in ys.iter().enumerate() {
        let dst_row = &mut data[y * out_w * 4..(y + 1) * out_w * 4];
        for (k, w) in t.weights.iter().enumerate() {
            let r = t.first + k - row_lo;
            let mid_row = &mid[r * out_w * 4..(r + 1) * out_w * 4];
            for (d, s) in dst_row.iter_mut().zip(mid_row) {
                *d += w * s;
            }
        }
    }
    FloatImage { width: out_w, height: out_h, data }
}

/// The reference avatar: `bytes` decoded fully, covered into `box_w` × `box_h` with an exact
/// centred window, resampled with Lanczos3 in `f64`.
///
/// ```
/// let bytes = std::fs::read(thumbing_benches::corpus::fixtures_dir().join("landscape_1.jpg")).unwrap();
/// let r = thumbing_benches::reference::cover(&bytes, 64, 64)?;
/// assert_eq!((r.width, r.height), (64, 64));
/// # Ok::<(), thumbing::Error>(())
/// ```
pub fn cover(bytes: &[u8], box_w: u32, box_h: u32) -> thumbing::Result<FloatImage> {
    let full = FloatImage::from_bitmap(&decode_upright(bytes)?);
    Ok(cover_shifted(&full, box_w, box_h, (0.0, 0.0)))
}

/// The reference cover of an already decoded image, with the crop window moved by `shift`
/// output pixels (x, y). A shift of (0, 0) is the exact centred crop of [`cover`]; small
/// shifts model libraries that snap the crop to whole pixels of a reduced image.
///
/// ```
/// use thumbing_benches::reference::{FloatImage, cover_shifted};
/// let full = FloatImage::filled(300, 200, [10.0, 20.0, 30.0, 255.0]);
/// let moved = cover_shifted(&full, 50, 50, (0.5, 0.0));
/// assert_eq!((moved.width, moved.height), (50, 50));
/// ```
pub fn cover_shifted(full: &FloatImage, box_w: u32, box_h: u32, shift: (f64, f64)) -> FloatImage {
    let (left, top, w, h) = cover_window(full.width, full.height, box_w, box_h);
    let (sx, sy) = (w / f64::from(box_w), h / f64::from(box_h));
    resample(full, (left + shift.0 * sx, top + shift.1 * sy, w, h), box_w as usize, box_h as usize)
}

#[cfg(test)]
mod tests {
    use super::*;
    use thumbing::PixelLayout;

    #[test]
    fn kernel_is_an_interpolator() {
        // Lanczos3 is 1 at 0 and 0 at every other integer, and integrates to about 1.
        for k in 1..=3 {
            assert!(lanczos3(k as f64).abs() < 1e-12);
        }
        let integral: f64 = (-3000..3000).map(|i| lanczos3(f64::from(i) / 1000.0) / 1000.0).sum();
        assert!((integral - 1.0).abs() < 0.01, "integral {integral}");
    }

    #[test]
    fn same_size_is_the_identity() {
        let data: Vec<u8> = (0..5 * 4 * 3).map(|i| (i * 37 % 251) as u8).collect();
        let img = FloatImage::from_bitmap(&Bitmap::new(5, 4, PixelLayout::Rgb, data).unwrap());
        let out = resample(&img, (0.0, 0.0, 5.0, 4.0), 5, 4);
        for (a, b) in img.data.iter().zip(&out.data) {
            assert!((a - b).abs() < 1e-9, "{a} vs {b}");
        }
    }

    #[test]
    fn halving_a_checkerboard_gives_mid_gray() {
        let (w, h) = (64, 64);
        let data: Vec<u8> = (0..w * h).map(|i| if (i % w + i / w) % 2 == 0 { 0 } else { 255 }).collect();
        let img = FloatImage::from_bitmap(&Bitmap::new(w as u32, h as u32, PixelLayout::Gray, data).unwrap());
        let out = resample(&img, (0.0, 0.0, 64.0, 64.0), 16, 16);
        // Away from the borders, the pattern is far above the new Nyquist limit: it averages out.
        for y in 3..13 {
            for x in 3..13 {
                let v = out.pixel(x, y)[0];
                assert!((v - 127.5).abs() < 2.0, "({x},{y}) = {v}");
            }
        }
    }

    #[test]
    fn window_offset_moves_content() {
        // A vertical edge at x = 10; a window starting at 5 puts it at x = 5 of the output.
        let (w, h) = (20usize, 8usize);
        let data: Vec<u8> = (0..w * h).map(|i| if i % w < 10 { 0 } else { 200 }).collect();
        let img = FloatImage::from_bitmap(&Bitmap::new(w as u32, h as u32, PixelLayout::Gray, data).unwrap());
        let out = resample(&img, (5.0, 0.0, 10.0, 8.0), 10, 8);
        assert!(out.pixel(3, 4)[0] < 10.0 && out.pixel(6, 4)[0] > 190.0);
        assert!((out.pixel(4, 4)[0] + out.pixel(5, 4)[0] - 200.0).abs() < 1.0);
    }

    #[test]
    fn transparent_pixels_add_no_colour() {
        // Left opaque white, right transparent red: the edge must not turn pink.
        let mut data = Vec::new();
        for _ in 0..8 {
            for x in 0..8 {
                data.extend_from_slice(if x < 4 { &[255, 255, 255, 255] } else { &[255, 0, 0, 0] });
            }
        }
        let img = FloatImage::from_bitmap(&Bitmap::new(8, 8, PixelLayout::Rgba, data).unwrap());
        let out = resample(&img, (0.0, 0.0, 8.0, 8.0), 3, 3).to_rgba8();
        for p in out.data.chunks_exact(4).filter(|p| p[3] > 8) {
            assert!(p[1] >= 250 && p[2] >= 250, "colour bled from transparent pixels: {p:?}");
        }
    }

    #[test]
    fn outputs_decode_to_what_was_encoded() {
        let photo = std::fs::read(crate::corpus::fixtures_dir().join("landscape_1.jpg")).unwrap();
        for format in [OutputFormat::Jpeg, OutputFormat::Png] {
            let options = Options::new().size(96).quality(95).format(format);
            let rendered = FloatImage::from_bitmap(&options.render(&photo).unwrap()[0]);
            let encoded = options.process(&photo).unwrap().remove(0).data;
            let decoded = FloatImage::from_bitmap(&decode_output(&encoded).unwrap());
            let score = crate::ssim::compare(&rendered, &decoded, None).unwrap();
            assert!(score.ssim > 0.97 && score.psnr_db > 30.0, "{format}: {score:?}");
        }
    }

    #[test]
    fn cover_window_is_centred_and_fractional() {
        assert_eq!(cover_window(2725, 2225, 512, 512), (250.0, 0.0, 2225.0, 2225.0));
        assert_eq!(cover_window(100, 300, 50, 50), (0.0, 100.0, 100.0, 100.0));
        let (l, t, w, h) = cover_window(1000, 1000, 640, 360);
        assert_eq!((l, w), (0.0, 1000.0));
        assert!((h - 562.5).abs() < 1e-9 && (t - 218.75).abs() < 1e-9);
    }
}
