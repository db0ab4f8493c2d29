//! The band resampler: the same resize as [`resize::resize`](crate::resize::resize), fed one
//! source row at a time, so that a decoder that produces rows in order (PNG) never has to
//! hold the whole image.
//!
//! `fast_image_resize` resamples 8-bit images in two passes, vertical first: each row of an
//! intermediate image (the source columns the output needs, `out_h` rows tall) is a weighted
//! sum of a few source rows, in 16-bit fixed point; then each intermediate row is resampled
//! horizontally. [`BandResizer`] does the vertical pass itself, with the same weights in the
//! same fixed point (computed here exactly as `fast_image_resize` computes them), adding each
//! source row into the few output rows it contributes to as it arrives. Integer sums do not
//! depend on their order, so every intermediate row is the same, byte for byte. The
//! horizontal pass is `fast_image_resize`'s own, on a handful of finished rows at a time.
//! Alpha is premultiplied row by row and divided out at the end, as `fast_image_resize` does
//! for the whole image.
//!
//! Memory: one accumulator row (4 bytes a sample) for each output row open at a time —
//! about twice the filter's support, whatever the reduction — plus a few rows of the source
//! width, instead of the whole decoded image and its premultiplied copy.

use std::collections::VecDeque;

use fast_image_resize::images::{TypedImage, TypedImageRef};
use fast_image_resize::pixels::{U8, U8x3, U8x4};
use fast_image_resize::{MulDiv, PixelTrait, ResizeOptions, Resizer};

use crate::bitmap::{Bitmap, PixelLayout};
use crate::error::{Error, Result};
use crate::resize::Filter;

/// Finished intermediate rows handed to the horizontal pass at a time.
const BATCH_ROWS: usize = 16;

/// Vertical weights in `fast_image_resize`'s 16-bit fixed point: for output row `j`, source
/// rows `bounds[j].0 .. bounds[j].0 + bounds[j].1` with weights `values[j * window ..]`.
#[derive(Debug, Clone)]
struct Weights {
    precision: u32,
    window: usize,
    bounds: Vec<(u32, u32)>,
    values: Vec<i16>,
}

impl Weights {
    /// `fast_image_resize`'s `precompute_coefficients` (with the adaptive kernel size of its
    /// `Convolution` algorithm) followed by its `Normalizer16`, step for step, so that every
    /// weight and the precision come out the same.
    fn new(in_size: u32, in0: f64, in1: f64, out_size: u32, filter: Filter) -> Option<Weights> {
        let scale = (in1 - in0) / f64::from(out_size);
        if in_size == 0 || out_size == 0 || scale <= 0.0 {
            return None;
        }
        let (func, support) = kernel(filter)?;
        let filter_scale = scale.max(1.0);
        let radius = support * filter_scale;
        let window = radius.ceil() as usize * 2 + 1;
        let recip = 1.0 / filter_scale;
        let mut coeffs: Vec<f64> = Vec::with_capacity(window * out_size as usize);
        let mut bounds = Vec::with_capacity(out_size as usize);
        for out in 0..out_size {
            let in_center = in0 + (f64::from(out) + 0.5) * scale;
            let x_min = (in_center - radius).floor().max(0.0) as u32;
            let x_max = (in_center + radius).ceil().min(f64::from(in_size)) as u32;
            let cur = coeffs.len();
            let mut ww = 0.0;
            let center = in_center - 0.5;
            let (mut start, mut end) = (x_min, x_max);
            for x in x_min..x_max {
                let w = func((f64::from(x) - center) * recip);
                if x == start && w == 0.0 {
                    start += 1;
                } else {
                    coeffs.push(w);
                    ww += w;
                }
            }
            for &c in coeffs.iter().rev() {
                if end <= start || c != 0.0 {
                    break;
                }
                end -= 1;
            }
            if ww != 0.0 {
                coeffs[cur..].iter_mut().for_each(|w| *w /= ww);
            }
            coeffs.resize(cur + window, 0.0);
            bounds.push((start, end - start));
        }
        // Normalizer16: the largest precision whose rounded largest weight still fits i16.
        // (`max_by` over every value, the zero padding included, as `fast_image_resize` does.)
        let max_weight = coeffs.iter().copied().reduce(f64::max).unwrap_or(0.0);
        let mut precision = 0u32;
        for p in 0..22u32 {
            precision = p;
            let next = (max_weight * f64::from(1u32 << (p + 1))).round() as i32;
            if next >= 1 << 15 {
                break;
            }
        }
        let fixed = f64::from(1u32 << precision);
        let mut values = vec![0i16; window * out_size as usize];
        for (j, &(_, size)) in bounds.iter().enumerate() {
            for k in 0..size as usize {
                values[j * window + k] = (coeffs[j * window + k] * fixed).round() as i16;
            }
        }
        Some(Weights { precision, window, bounds, values })
    }

    fn of(&self, j: usize) -> &[i16] {
        let size = self.bounds[j].1 as usize;
        &self.values[j * self.window..j * self.window + size]
    }
}

/// A filter function: weight at a distance in source pixels (at a reduction of one).
type Kernel = fn(f64) -> f64;

/// The filter functions of `fast_image_resize`, and their support.
fn kernel(filter: Filter) -> Option<(Kernel, f64)> {
    fn box_filter(x: f64) -> f64 {
        if x > -0.5 && x <= 0.5 { 1.0 } else { 0.0 }
    }
    fn bilinear(x: f64) -> f64 {
        let x = x.abs();
        if x < 1.0 { 1.0 - x } else { 0.0 }
    }
    fn catmull_rom(x: f64) -> f64 {
        const A: f64 = -0.5;
        let x = x.abs();
        if x < 1.0 {
            ((A + 2.) * x - (A + 3.)) * x * x + 1.
        } else if x < 2.0 {
            (((x - 5.) * x + 8.) * x - 4.) * A
        } else {
            0.0
        }
    }
    fn mitchell(x: f64) -> f64 {
        let x = x.abs();
        if x < 1.0 {
            (7. * x / 6. - 2.) * x * x + 16. / 18.
        } else if x < 2.0 {
            ((2. - 7. * x / 18.) * x - 10. / 3.) * x + 16. / 9.
        } else {
            0.0
        }
    }
    fn sinc(x: f64) -> f64 {
        if x == 0.0 {
            1.0
        } else {
            let x = x * std::f64::consts::PI;
            x.sin() / x
        }
    }
    fn lanczos3(x: f64) -> f64 {
        if (-3.0..3.0).contains(&x) { sinc(x) * sinc(x / 3.) } else { 0.0 }
    }
    Some(match filter {
        Filter::Nearest => return None,
        Filter::Box => (box_filter, 0.5),
        Filter::Bilinear => (bilinear, 1.0),
        Filter::CatmullRom => (catmull_rom, 2.0),
        Filter::Mitchell => (mitchell, 2.0),
        Filter::Lanczos3 => (lanczos3, 3.0),
    })
}

/// Adds `row × weight` into `acc`, element by element.
fn accumulate(acc: &mut [i32], row: &[u8], weight: i32) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2, checked just above.
            #[allow(unsafe_code)]
            unsafe {
                accumulate_avx2(acc, row, weight)
            };
            return;
        }
    }
    accumulate_portable(acc, row, weight);
}

#[inline(always)]
fn accumulate_portable(acc: &mut [i32], row: &[u8], weight: i32) {
    for (a, &v) in acc.iter_mut().zip(row) {
        *a += i32::from(v) * weight;
    }
}

/// The same loop, compiled for AVX2 (the compiler vectorises it 8 samples wide).
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
fn accumulate_avx2(acc: &mut [i32], row: &[u8], weight: i32) {
    accumulate_portable(acc, row, weight);
}

/// The channel layout the resampler works in: gray with alpha goes through the RGBA kernels,
/// as in [`resize::resize`](crate::resize::resize).
fn work_channels(layout: PixelLayout) -> usize {
    match layout {
        PixelLayout::GrayAlpha => 4,
        other => other.channels(),
    }
}

/// Whether [`BandResizer`] can resample with `filter` (every filter but nearest neighbour,
/// which is not a convolution).
pub(crate) fn supports(filter: Filter) -> bool {
    kernel(filter).is_some()
}

/// Resamples the fractional `window` (left, top, width, height) of a `src_w` × `src_h` image
/// to `out_w` × `out_h`, taking the source one row at a time, top to bottom, through
/// [`BandResizer::push_row`]. Gives exactly the pixels of
/// [`resize::resize`](crate::resize::resize) on the whole image.
pub(crate) struct BandResizer {
    layout: PixelLayout,
    channels: usize,
    src_w: u32,
    window: (f64, f64, f64, f64),
    out_w: u32,
    out_h: u32,
    filter: Filter,
    /// Vertical weights; `None` when the window's rows map one to one onto the output rows.
    vertical: Option<Weights>,
    /// The first source row of output row 0 when there is no vertical pass.
    top: u32,
    /// Whether alpha is premultiplied: `fast_image_resize` copies a window that needs no
    /// resampling at all as it is.
    premultiplied: bool,
    /// The source columns the output reads, `[x0, x1)`.
    x0: usize,
    x1: usize,
    /// The next source row expected.
    next_row: u32,
    /// Output rows whose intermediate row is finished.
    done: u32,
    /// Accumulators of the output rows `done ..`, in order.
    open: VecDeque<Vec<i32>>,
    spare: Vec<Vec<i32>>,
    /// Finished intermediate rows waiting for the horizontal pass, each `src_w` samples wide
    /// (only `[x0, x1)` is filled), and how many.
    batch: Vec<u8>,
    batched: usize,
    /// One source row in the working layout, alpha premultiplied (columns `[x0, x1)`).
    work: Vec<u8>,
    expanded: Vec<u8>,
    out: Vec<u8>,
    mul_div: MulDiv,
    resizer: Resizer,
}

impl BandResizer {
    /// A resampler for the given geometry, or `None` for a filter it does not implement
    /// (nearest neighbour) or an empty output.
    pub fn new(
        src_w: u32,
        src_h: u32,
        layout: PixelLayout,
        window: (f64, f64, f64, f64),
        out_w: u32,
        out_h: u32,
        filter: Filter,
    ) -> Option<BandResizer> {
        let (l, t, w, h) = window;
        if !supports(filter) || out_w == 0 || out_h == 0 || src_w == 0 || src_h == 0 || w <= 0.0 || h <= 0.0 {
            return None;
        }
        let need_vertical = f64::from(out_h) != h || t != t.round();
        let vertical = if need_vertical { Some(Weights::new(src_h, t, t + h, out_h, filter)?) } else { None };
        let need_horizontal = f64::from(out_w) != w || l != l.round();
        let (x0, x1) = if need_horizontal {
            let horizontal = Weights::new(src_w, l, l + w, out_w, filter)?;
            let first = horizontal.bounds.first()?.0 as usize;
            let last = horizontal.bounds.last().map(|&(s, n)| (s + n) as usize)?;
            (first.min(last), last)
        } else {
            (l as usize, l as usize + out_w as usize)
        };
        let channels = work_channels(layout);
        Some(BandResizer {
            layout,
            channels,
            src_w,
            window,
            out_w,
            out_h,
            filter,
            premultiplied: layout.has_alpha() && (need_vertical || need_horizontal),
            vertical,
            top: t as u32,
            x0,
            x1: x1.min(src_w as usize),
            next_row: 0,
            done: 0,
            open: VecDeque::new(),
            spare: Vec::new(),
            batch: Vec::new(),
            batched: 0,
            work: Vec::new(),
            expanded: Vec::new(),
            out: Vec::with_capacity(out_w as usize * out_h as usize * channels),
            mul_div: MulDiv::default(),
            resizer: Resizer::new(),
        })
    }

    /// The source rows the output depends on, `start..end`: rows outside are skipped.
    pub fn rows_needed(&self) -> std::ops::Range<u32> {
        match &self.vertical {
            Some(v) => {
                let start = v.bounds.iter().map(|b| b.0).min().unwrap_or(0);
                let end = v.bounds.iter().map(|b| b.0 + b.1).max().unwrap_or(0);
                start..end
            }
            None => self.top..self.top + self.out_h,
        }
    }

    /// Feeds source row `y` (the next one: rows come in order, top to bottom), `width ×
    /// channels` bytes in the layout given to [`BandResizer::new`].
    pub fn push_row(&mut self, y: u32, row: &[u8]) -> Result<()> {
        if y != self.next_row || row.len() != self.src_w as usize * self.layout.channels() {
            return Err(Error::Encode(format!("band resampler: row {y} out of order or of the wrong size")));
        }
        self.next_row += 1;
        if !self.rows_needed().contains(&y) || self.done == self.out_h {
            return Ok(());
        }
        self.prepare(row)?;
        let span = (self.x1 - self.x0) * self.channels;
        let Some(vertical) = self.vertical.take() else {
            // One source row is one intermediate row.
            self.finish_row_from_work()?;
            return Ok(());
        };
        // Open the output rows whose weights start at or before this row.
        while (self.done as usize + self.open.len()) < self.out_h as usize
            && vertical.bounds[self.done as usize + self.open.len()].0 <= y
        {
            let initial = 1i32 << (vertical.precision - 1);
            let mut acc = self.spare.pop().unwrap_or_default();
            acc.clear();
            acc.resize(span, initial);
            self.open.push_back(acc);
        }
        for (i, acc) in self.open.iter_mut().enumerate() {
            let j = self.done as usize + i;
            let (start, size) = vertical.bounds[j];
            if y >= start && y < start + size {
                let weight = i32::from(vertical.of(j)[(y - start) as usize]);
                accumulate(acc, &self.work, weight);
            }
        }
        // Close the rows whose weights end here (or that have none).
        while !self.open.is_empty() {
            let j = self.done as usize;
            let (start, size) = vertical.bounds[j];
            if start + size > y + 1 && size > 0 {
                break;
            }
            let acc = self.open.pop_front().unwrap_or_default();
            self.finish_row_from_acc(&acc, vertical.precision)?;
            self.spare.push(acc);
        }
        self.vertical = Some(vertical);
        Ok(())
    }

    /// Takes columns `[x0, x1)` of a source row into `work`, in the working layout with alpha
    /// premultiplied exactly as `fast_image_resize` does it.
    fn prepare(&mut self, row: &[u8]) -> Result<()> {
        let c = self.layout.channels();
        let cols = &row[self.x0 * c..self.x1 * c];
        let n = (self.x1 - self.x0) as u32;
        self.work.clear();
        match self.layout {
            PixelLayout::GrayAlpha if !self.premultiplied => {
                self.work.extend(cols.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]));
            }
            PixelLayout::GrayAlpha => {
                self.expanded.clear();
                self.expanded.extend(cols.chunks_exact(2).flat_map(|p| [p[0], p[0], p[0], p[1]]));
                self.work.resize(self.expanded.len(), 0);
                premultiply(&self.mul_div, &self.expanded, &mut self.work, n)?;
            }
            PixelLayout::Rgba if self.premultiplied => {
                self.work.resize(cols.len(), 0);
                premultiply(&self.mul_div, cols, &mut self.work, n)?;
            }
            _ => self.work.extend_from_slice(cols),
        }
        Ok(())
    }

    fn finish_row_from_acc(&mut self, acc: &[i32], precision: u32) -> Result<()> {
        let row = self.batch_row();
        for (dst, &v) in row.iter_mut().zip(acc) {
            *dst = (v >> precision).clamp(0, 255) as u8;
        }
        self.row_batched()
    }

    fn finish_row_from_work(&mut self) -> Result<()> {
        let work = std::mem::take(&mut self.work);
        self.batch_row().copy_from_slice(&work);
        self.work = work;
        self.row_batched()
    }

    /// The columns `[x0, x1)` of the next row of the batch.
    fn batch_row(&mut self) -> &mut [u8] {
        let stride = self.src_w as usize * self.channels;
        let need = (self.batched + 1) * stride;
        if self.batch.len() < need {
            self.batch.resize(need, 0);
        }
        let start = self.batched * stride;
        &mut self.batch[start + self.x0 * self.channels..start + self.x1 * self.channels]
    }

    fn row_batched(&mut self) -> Result<()> {
        self.batched += 1;
        self.done += 1;
        if self.batched == BATCH_ROWS || self.done == self.out_h {
            self.flush()?;
        }
        Ok(())
    }

    /// The horizontal pass over the batch, by `fast_image_resize` itself: the batch is as
    /// wide as the source, so the weights are computed from the same numbers as on the whole
    /// image.
    fn flush(&mut self) -> Result<()> {
        let rows = self.batched as u32;
        if rows == 0 {
            return Ok(());
        }
        let (l, _, w, _) = self.window;
        let options =
            ResizeOptions::new().resize_alg(self.filter.alg()).crop(l, 0.0, w, f64::from(rows)).use_alpha(false);
        let start = self.out.len();
        self.out.resize(start + self.out_w as usize * rows as usize * self.channels, 0);
        let src = &self.batch[..self.src_w as usize * rows as usize * self.channels];
        let dst = &mut self.out[start..];
        match self.channels {
            1 => horizontal::<U8>(&mut self.resizer, src, self.src_w, dst, self.out_w, rows, &options)?,
            3 => horizontal::<U8x3>(&mut self.resizer, src, self.src_w, dst, self.out_w, rows, &options)?,
            _ => horizontal::<U8x4>(&mut self.resizer, src, self.src_w, dst, self.out_w, rows, &options)?,
        }
        self.batched = 0;
        Ok(())
    }

    /// The resampled image, once every needed row has been pushed.
    pub fn finish(mut self) -> Result<Bitmap> {
        // Output rows with no source rows at all (every weight zero) are the rounding
        // constant alone, as in `fast_image_resize`.
        if let Some(vertical) = self.vertical.take() {
            while self.done < self.out_h && vertical.bounds[self.done as usize].1 == 0 {
                let acc = vec![1i32 << (vertical.precision - 1); (self.x1 - self.x0) * self.channels];
                self.open.pop_front();
                self.finish_row_from_acc(&acc, vertical.precision)?;
            }
        }
        if self.done != self.out_h {
            return Err(Error::Encode(format!(
                "band resampler: {} of {} output rows after {} source rows",
                self.done, self.out_h, self.next_row
            )));
        }
        self.flush()?;
        let (w, h) = (self.out_w, self.out_h);
        let failed = |e: &dyn std::fmt::Display| Error::Encode(format!("resize failed: {e}"));
        if self.premultiplied {
            let mut view = TypedImage::<U8x4>::from_buffer(w, h, &mut self.out).map_err(|e| failed(&e))?;
            self.mul_div.divide_alpha_inplace_typed(&mut view).map_err(|e| failed(&e))?;
        }
        let data = if self.layout == PixelLayout::GrayAlpha {
            self.out.chunks_exact(4).flat_map(|p| [p[0], p[3]]).collect()
        } else {
            self.out
        };
        Bitmap::new(w, h, self.layout, data).ok_or_else(|| Error::Encode("band resampler: wrong output size".into()))
    }
}

fn premultiply(mul_div: &MulDiv, src: &[u8], dst: &mut [u8], width: u32) -> Result<()> {
    let failed = |e: &dyn std::fmt::Display| Error::Encode(format!("resize failed: {e}"));
    let src = TypedImageRef::<U8x4>::from_buffer(width, 1, src).map_err(|e| failed(&e))?;
    let mut dst = TypedImage::<U8x4>::from_buffer(width, 1, dst).map_err(|e| failed(&e))?;
    mul_div.multiply_alpha_typed(&src, &mut dst).map_err(|e| failed(&e))
}

fn horizontal<P: PixelTrait>(
    resizer: &mut Resizer,
    src: &[u8],
    src_w: u32,
    dst: &mut [u8],
    out_w: u32,
    rows: u32,
    options: &ResizeOptions,
) -> Result<()> {
    let failed = |e: &dyn std::fmt::Display| Error::Encode(format!("resize failed: {e}"));
    let src = TypedImageRef::<P>::from_buffer(src_w, rows, src).map_err(|e| failed(&e))?;
    let mut dst = TypedImage::<P>::from_buffer(out_w, rows, dst).map_err(|e| failed(&e))?;
    resizer.resize_typed(&src, &mut dst, options).map_err(|e| failed(&e))
}

/// Bytes [`BandResizer`] holds at most for this geometry, for the memory budget: the open
/// accumulators, the batch, the working rows and the output.
pub(crate) fn footprint(
    src_w: u32,
    layout: PixelLayout,
    window: (f64, f64, f64, f64),
    out: (u32, u32),
    filter: Filter,
) -> u64 {
    // In floating point: a hostile header's sizes must not overflow (the result saturates).
    let c = work_channels(layout) as f64;
    let (_, _, w, h) = window;
    let support = kernel(filter).map_or(0.5, |k| k.1);
    let radius = |scale: f64| support * scale.max(1.0);
    let sy = h / f64::from(out.1.max(1));
    let sx = w / f64::from(out.0.max(1));
    let open = ((2.0 * radius(sy) + 2.0) / sy).ceil() + 2.0;
    let span = (w + 2.0 * radius(sx) + 2.0).ceil().min(f64::from(src_w));
    let accumulators = open * span * c * 4.0;
    let batch = BATCH_ROWS as f64 * f64::from(src_w) * c;
    let rows = 3.0 * span * c;
    let output = f64::from(out.0) * f64::from(out.1) * c;
    (accumulators + batch + rows + output) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::resize::resize;

    fn noise(w: u32, h: u32, layout: PixelLayout, seed: u32) -> Bitmap {
        let mut state = seed | 1;
        let data = (0..w as usize * h as usize * layout.channels())
            .map(|_| {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                (state >> 24) as u8
            })
            .collect();
        Bitmap::new(w, h, layout, data).unwrap()
    }

    fn banded(src: &Bitmap, window: (f64, f64, f64, f64), ow: u32, oh: u32, filter: Filter) -> Bitmap {
        let mut r = BandResizer::new(src.width, src.height, src.layout, window, ow, oh, filter).unwrap();
        for (y, row) in src.data.chunks_exact(src.stride()).enumerate() {
            r.push_row(y as u32, row).unwrap();
        }
        r.finish().unwrap()
    }

    #[test]
    fn same_pixels_as_the_whole_image_resize() {
        let layouts =
            [PixelLayout::Gray, PixelLayout::GrayAlpha, PixelLayout::Rgb, PixelLayout::Rgba, PixelLayout::Cmyk];
        let filters = [Filter::Box, Filter::Bilinear, Filter::CatmullRom, Filter::Mitchell, Filter::Lanczos3];
        // Reductions, enlargements, fractional and integer windows, one axis unchanged.
        type Case = ((f64, f64, f64, f64), u32, u32);
        let cases: [Case; 7] = [
            ((0.0, 0.0, 97.0, 61.0), 13, 9),
            ((10.5, 3.25, 60.0, 50.5), 17, 17),
            ((0.0, 0.0, 97.0, 61.0), 97, 20),
            ((5.0, 0.0, 40.0, 61.0), 13, 61),
            ((7.0, 2.0, 30.0, 20.0), 30, 20),
            ((20.3, 11.7, 9.5, 7.25), 31, 23),
            ((0.0, 0.0, 97.0, 61.0), 1, 1),
        ];
        for (i, layout) in layouts.into_iter().enumerate() {
            let src = noise(97, 61, layout, 0x9e37_79b9 + i as u32);
            for filter in filters {
                for (window, ow, oh) in cases {
                    let whole = resize(&src, window, ow, oh, filter).unwrap();
                    let bands = banded(&src, window, ow, oh, filter);
                    assert_eq!(bands, whole, "{layout:?} {filter:?} {window:?} -> {ow}x{oh}");
                }
            }
        }
    }

    #[test]
    fn rows_outside_the_window_are_not_needed() {
        let r = BandResizer::new(100, 1000, PixelLayout::Rgb, (0.0, 400.0, 100.0, 100.0), 10, 10, Filter::Lanczos3)
            .unwrap();
        let rows = r.rows_needed();
        assert!(rows.start >= 370 && rows.end <= 530, "{rows:?}");
        assert!(BandResizer::new(10, 10, PixelLayout::Rgb, (0.0, 0.0, 10.0, 10.0), 5, 5, Filter::Nearest).is_none());
    }

    #[test]
    fn rows_out_of_order_are_an_error() {
        let mut r = BandResizer::new(4, 4, PixelLayout::Gray, (0.0, 0.0, 4.0, 4.0), 2, 2, Filter::Bilinear).unwrap();
        assert!(r.push_row(1, &[0; 4]).is_err());
        assert!(r.push_row(0, &[0; 3]).is_err());
    }
}
