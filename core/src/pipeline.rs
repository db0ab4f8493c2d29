//! The whole pipeline, top-down: decode → (plan the crop in upright coordinates) → resize
//! → colour-manage → orient → fit onto the canvas → encode.
//!
//! PNGs that are neither interlaced nor animated skip the full decode: their rows go from the
//! decoder straight into one band resampler per size ([`crate::bands`]), which gives the same
//! pixels while holding only a few rows ([`Options::bands`]). An optional memory budget
//! ([`Options::memory_budget`]) refuses, from the headers, images that would need more.
//!
//! Everything that is per-pixel and order-independent (colour conversion, orientation,
//! flattening) runs on the small resized image rather than on the full decode; see the
//! module docs of [`orient`](crate::orient) and [`color`](crate::color) for why that gives
//! the same avatar.

use crate::bands::{self, BandResizer};
use crate::bitmap::{Bitmap, PixelLayout};
use crate::color::{self, SourceProfile};
use crate::crop::{self, Saliency};
use crate::decode::{self, Decoded, ImageInfo, Request};
use crate::encode::{self, EncodeSettings, OutputFormat};
use crate::error::{self, Error, Result};
use crate::options::Options;
use crate::resize::{self, Filter};
use crate::warning::Warning;

/// One encoded output image.
///
/// ```
/// let out = thumbing::Options::new().size(64).process(include_bytes!("../../fixtures/gray.png"))?;
/// assert_eq!(out[0].width, 64);
/// assert!(out[0].data.starts_with(&[0xFF, 0xD8]));
/// # Ok::<(), thumbing::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct Avatar {
    /// The encoded file.
    pub data: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The format of `data`.
    pub format: OutputFormat,
    /// The damage in the input that thumbing recovered from to make this avatar (empty for
    /// an intact file); see [`FailOn`](crate::FailOn).
    pub warnings: Vec<Warning>,
}

impl std::fmt::Debug for Avatar {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Avatar")
            .field("width", &self.width)
            .field("height", &self.height)
            .field("format", &self.format)
            .field("bytes", &self.data.len())
            .field("warnings", &self.warnings)
            .finish()
    }
}

impl Options {
    /// Runs the pipeline and encodes one [`Avatar`] per requested size, decoding once.
    ///
    /// ```
    /// let out = thumbing::Options::new().size(100).process(include_bytes!("../../fixtures/landscape_6.jpg"))?;
    /// assert_eq!((out[0].width, out[0].height), (100, 100));
    /// # Ok::<(), thumbing::Error>(())
    /// ```
    pub fn process(&self, bytes: &[u8]) -> Result<Vec<Avatar>> {
        let settings = EncodeSettings {
            quality: self.quality,
            progressive: self.progressive,
            png_compression: self.png_compression,
        };
        let (images, warnings) = self.render_with_warnings(bytes)?;
        images
            .into_iter()
            .map(|image| {
                let data = encode::encode(&image, self.format, &settings)?;
                let warnings = warnings.clone();
                Ok(Avatar { data, width: image.width, height: image.height, format: self.format, warnings })
            })
            .collect()
    }

    /// Runs the pipeline up to, but not including, encoding: the final sRGB pixels of each
    /// size (for previews, or to hand to another encoder). With JPEG as the output format
    /// alpha is already flattened, so these are exactly the pixels the encoder receives.
    ///
    /// ```
    /// let px = thumbing::Options::new().size(32).render(include_bytes!("../../fixtures/gray.png"))?;
    /// assert_eq!(px[0].layout, thumbing::PixelLayout::Gray);
    /// # Ok::<(), thumbing::Error>(())
    /// ```
    pub fn render(&self, bytes: &[u8]) -> Result<Vec<Bitmap>> {
        self.render_with_warnings(bytes).map(|(images, _)| images)
    }

    /// [`Options::render`], with the warnings about damage in the input that was recovered
    /// from (the same as each [`Avatar::warnings`] of [`Options::process`]).
    ///
    /// ```
    /// let (px, warnings) = thumbing::Options::new().size(32).render_with_warnings(include_bytes!("../../fixtures/gray.png"))?;
    /// assert_eq!(px.len(), 1);
    /// assert!(warnings.is_empty());
    /// # Ok::<(), thumbing::Error>(())
    /// ```
    pub fn render_with_warnings(&self, bytes: &[u8]) -> Result<(Vec<Bitmap>, Vec<Warning>)> {
        self.validate()?;
        let (info, decoded) = match error::guard(|| {
            let probed = decode::open(bytes, &self.limits)?;
            self.limits.check_dimensions(probed.info.width, probed.info.height)?;
            self.check_budget(&probed.info)?;
            if self.in_bands(&probed.info)
                && let Some(outputs) = self.render_bands(bytes, &probed)?
            {
                return Ok(Path::Bands(outputs));
            }
            let request = self.decode_request(&probed.info);
            let decoded = decode::decode(bytes, &probed, &self.limits, self.fail_on, &request)?;
            Ok(Path::Whole(probed.info, decoded))
        })? {
            Path::Bands(outputs) => return Ok((outputs, Vec::new())),
            Path::Whole(info, decoded) => (info, decoded),
        };
        let profile = decoded.icc.as_deref().and_then(SourceProfile::parse);
        let orientation = decoded.orientation;
        let source = &decoded.bitmap;
        // Geometry is planned at the stored size, then mapped onto the decoded bitmap.
        let (full_w, full_h) = (info.width, info.height);
        let (up_w, up_h) = orientation.upright_size(full_w, full_h);

        // Content analysis for smart crops is done once, on a small upright copy (the decode
        // then holds the whole image: see `decode_request`).
        let mut saliency: Option<Option<Saliency>> = None;
        let mut analyse = || -> Option<Saliency> {
            saliency
                .get_or_insert_with(|| {
                    let scale = (256.0 / f64::from(source.width.max(source.height))).min(1.0);
                    let (tw, th) = (
                        ((f64::from(source.width) * scale).round() as u32).max(1),
                        ((f64::from(source.height) * scale).round() as u32).max(1),
                    );
                    let full = (0.0, 0.0, f64::from(source.width), f64::from(source.height));
                    let thumb = resize::resize(source, full, tw, th, Filter::Bilinear).ok()?;
                    Saliency::from_thumbnail(&orientation.apply(color::to_srgb(thumb, profile.as_ref())))
                })
                .clone()
        };

        let mut outputs = Vec::with_capacity(self.sizes.len());
        for &(box_w, box_h) in &self.sizes {
            let plan = crop::plan(up_w, up_h, box_w, box_h, self.fit, self.crop, &mut analyse);
            let window = orientation.source_rect(plan.window, f64::from(full_w), f64::from(full_h));
            let window = onto_bitmap(window, &decoded);
            let (rw, rh) = orientation.upright_size(plan.resized.0, plan.resized.1);
            let resized = resize::resize(source, window, rw, rh, self.filter)?;
            outputs.push(self.finish(resized, orientation, profile.as_ref(), &plan));
        }
        Ok((outputs, decoded.warnings.into_vec()))
    }

    /// The stages after resampling, the same for the whole-image and the band path: sRGB,
    /// upright, onto the canvas, flattened when the format has no alpha.
    fn finish(
        &self,
        resized: Bitmap,
        orientation: crate::Orientation,
        profile: Option<&SourceProfile>,
        plan: &crop::Plan,
    ) -> Bitmap {
        let upright = orientation.apply(color::to_srgb(resized, profile));
        let placed = place_on_canvas(upright, plan.canvas, plan.offset, self.background);
        if self.format.supports_alpha() { placed } else { flatten(placed, self.background) }
    }

    /// Whether this image is decoded and resampled in bands of rows ([`crate::bands`]):
    /// PNGs the `png` crate reads row by row, with a convolution filter and a crop window
    /// that does not depend on the whole image (smart crops analyse all of it first).
    fn in_bands(&self, info: &ImageInfo) -> bool {
        self.bands
            && decode::streams(info)
            && bands::supports(self.filter)
            && !(self.crop == crop::Crop::Smart && self.fit == crop::Fit::Cover)
    }

    /// The band path: every row of the PNG goes through one [`BandResizer`] per size as it is
    /// decoded, so only a few rows are held at a time. `None` when a size's geometry is one
    /// the band resampler does not take (the whole-image path then runs).
    fn render_bands(&self, bytes: &[u8], probed: &decode::Probed<'_>) -> Result<Option<Vec<Bitmap>>> {
        let Some(mut rows) = decode::rows(bytes, probed, &self.limits, self.fail_on)? else {
            return Ok(None);
        };
        let (w, h) = rows.size();
        let orientation = rows.orientation;
        let (up_w, up_h) = orientation.upright_size(w, h);
        let mut jobs = Vec::with_capacity(self.sizes.len());
        for &(box_w, box_h) in &self.sizes {
            let plan = crop::plan(up_w, up_h, box_w, box_h, self.fit, self.crop, || None);
            let window = orientation.source_rect(plan.window, f64::from(w), f64::from(h));
            let window = clamp_window(window, (f64::from(w), f64::from(h)));
            let (rw, rh) = orientation.upright_size(plan.resized.0, plan.resized.1);
            let Some(resizer) = BandResizer::new(w, h, rows.layout(), window, rw, rh, self.filter) else {
                return Ok(None);
            };
            jobs.push((plan, resizer));
        }
        let mut y = 0;
        while let Some(row) = rows.next_row()? {
            for (_, resizer) in &mut jobs {
                resizer.push_row(y, row)?;
            }
            y += 1;
        }
        let profile = rows.icc.as_deref().and_then(SourceProfile::parse);
        let outputs = jobs
            .into_iter()
            .map(|(plan, resizer)| Ok(self.finish(resizer.finish()?, orientation, profile.as_ref(), &plan)))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(outputs))
    }

    /// Refuses, with [`Error::TooLarge`], an image whose decode would need more than the
    /// memory budget.
    fn check_budget(&self, info: &ImageInfo) -> Result<()> {
        let Some(budget) = self.memory_budget else {
            return Ok(());
        };
        let needed = self.memory_needed(info);
        if needed > budget {
            return Err(Error::TooLarge(format!(
                "a {}x{} {} needs about {} of memory to process, more than the budget of {}",
                info.width,
                info.height,
                info.format,
                mebibytes(needed),
                mebibytes(budget)
            )));
        }
        Ok(())
    }

    /// An upper estimate, from the headers, of the memory that decoding and resampling an
    /// image takes with these options (the input and the encoded outputs not counted): what
    /// [`Options::memory_budget`] is compared with.
    ///
    /// ```
    /// let png = include_bytes!("../../fixtures/gray.png");
    /// let needed = thumbing::Options::new().size(64).estimate_memory(png)?;
    /// assert!(needed > 0 && needed < 16 << 20);
    /// # Ok::<(), thumbing::Error>(())
    /// ```
    pub fn estimate_memory(&self, bytes: &[u8]) -> Result<u64> {
        self.validate()?;
        let info = error::guard(|| decode::probe(bytes, &self.limits))?;
        Ok(self.memory_needed(&info))
    }

    fn memory_needed(&self, info: &ImageInfo) -> u64 {
        // In floating point: a hostile header's sizes must not overflow (the result saturates).
        // Bytes a pixel of the decoded image (PNG and GIF palettes expand to RGB or RGBA).
        let alpha = f64::from(u8::from(info.has_alpha));
        let channels = match info.color_model {
            decode::ColorModel::Gray => 1.0 + alpha,
            decode::ColorModel::Cmyk => 4.0,
            _ => 3.0 + alpha,
        };
        let layout = match channels as u32 {
            1 => PixelLayout::Gray,
            2 => PixelLayout::GrayAlpha,
            3 => PixelLayout::Rgb,
            _ => PixelLayout::Rgba,
        };
        let (w, h) = (info.width, info.height);
        let (up_w, up_h) = info.upright_size();
        let plans: Vec<_> = self
            .sizes
            .iter()
            .map(|&(bw, bh)| {
                let plan = crop::plan(up_w, up_h, bw, bh, self.fit, crop::Crop::Centre, || None);
                let window = info.orientation.source_rect(plan.window, f64::from(w), f64::from(h));
                (window, info.orientation.upright_size(plan.resized.0, plan.resized.1))
            })
            .collect();
        // The outputs on their way to the encoder: resized, turned, on the canvas.
        let outputs: f64 = self.sizes.iter().map(|&(bw, bh)| 3.0 * f64::from(bw) * f64::from(bh) * 4.0).sum();
        // Fixed costs, and an embedded ICC profile, which may inflate to MAX_ICC_BYTES.
        let icc = if info.has_icc { color::MAX_ICC_BYTES as f64 } else { 0.0 };
        let slack = (1 << 20) as f64 + icc;
        if self.in_bands(info) {
            // The png crate's rows (16-bit samples at most, this row and the previous one).
            let rows = 3.0 * f64::from(w) * 8.0;
            let resizers: u64 =
                plans.iter().map(|&(window, out)| bands::footprint(w, layout, window, out, self.filter)).sum();
            return (rows + resizers as f64 + outputs + slack) as u64;
        }
        // The whole decode: for JPEG the region at the decode scale, else every pixel.
        let jpeg = info.format == decode::ImageFormat::Jpeg;
        let request = self.decode_request(info);
        let eighths = if jpeg { f64::from(request.scale) / 8.0 } else { 1.0 };
        let [x0, y0, x1, y1] = if jpeg { request.region.unwrap_or([0, 0, w, h]) } else { [0, 0, w, h] };
        let region = |a: u32, b: u32| (f64::from(b.saturating_sub(a)) * eighths).ceil() + 1.0;
        let pixels = region(x0, x1) * region(y0, y1);
        let mut total = pixels * channels;
        if jpeg && info.progressive {
            // Progressive JPEG keeps the coefficients it needs: two bytes a sample.
            total += pixels * channels * 2.0;
        }
        if info.has_alpha {
            // The resampler's premultiplied copy (gray with alpha widened to four channels).
            total += pixels * 4.0 * if channels == 2.0 { 2.0 } else { 1.0 };
        }
        // The resampler's intermediate image: the window's columns, the output's rows.
        let temp: f64 = plans
            .iter()
            .map(|&((_, _, ww, _), (_, oh))| ((ww * eighths).ceil() + 16.0) * f64::from(oh) * channels.max(3.0))
            .sum();
        (total + temp + outputs + slack) as u64
    }
    /// What to ask of the decoder for an image with these headers: the scale
    /// ([`Options::decode_scale`]) and the stored pixels the resampler will read, which are
    /// the crop windows of every size plus the filter's reach beyond them. Smart crops place
    /// their window from the whole image, so they ask for all of it.
    fn decode_request(&self, info: &ImageInfo) -> Request {
        let scale = self.decode_scale(info);
        if self.crop == crop::Crop::Smart && self.fit == crop::Fit::Cover {
            return Request { scale, region: None };
        }
        let (w, h) = (f64::from(info.width), f64::from(info.height));
        let (up_w, up_h) = info.upright_size();
        let eighths = f64::from(scale) / 8.0;
        let (mut x0, mut y0, mut x1, mut y1) = (w, h, 0.0f64, 0.0f64);
        for &(box_w, box_h) in &self.sizes {
            let plan = crop::plan(up_w, up_h, box_w, box_h, self.fit, self.crop, || None);
            let (l, t, ww, wh) = info.orientation.source_rect(plan.window, w, h);
            let (ow, oh) = info.orientation.upright_size(plan.resized.0, plan.resized.1);
            // The filter's reach in decoded pixels (it widens with the reduction), plus two
            // for rounding, in stored pixels.
            let reach = |window: f64, out: u32| {
                (self.filter.support() * (window * eighths / f64::from(out.max(1))).max(1.0) + 2.0) / eighths
            };
            let (rx, ry) = (reach(ww, ow), reach(wh, oh));
            x0 = x0.min(l - rx);
            y0 = y0.min(t - ry);
            x1 = x1.max(l + ww + rx);
            y1 = y1.max(t + wh + ry);
        }
        let clamp = |v: f64, max: f64| v.clamp(0.0, max) as u32;
        let region = [clamp(x0.floor(), w), clamp(y0.floor(), h), clamp(x1.ceil(), w), clamp(y1.ceil(), h)];
        Request { scale, region: Some(region) }
    }
}

/// How [`Options::render`] went on after reading the headers.
enum Path {
    /// Decoded and resampled in bands: the finished outputs.
    Bands(Vec<Bitmap>),
    /// Decoded whole (or the JPEG region): the image, to resample.
    Whole(ImageInfo, Decoded),
}

/// Maps a fractional window in stored full-size coordinates onto the decoded bitmap: scaled
/// by the decode's `scale`/8 (each decoded pixel covers 8/`scale` stored pixels, starting at
/// the image's edge) and moved by the decoded region's origin. The clamp only absorbs float
/// noise at the image's far edges, where the scaled size was rounded up.
fn onto_bitmap(window: (f64, f64, f64, f64), decoded: &Decoded) -> (f64, f64, f64, f64) {
    let f = f64::from(decoded.scale) / 8.0;
    let (ox, oy) = (f64::from(decoded.origin.0), f64::from(decoded.origin.1));
    let scaled = (window.0 * f - ox, window.1 * f - oy, window.2 * f, window.3 * f);
    clamp_window(scaled, (f64::from(decoded.bitmap.width), f64::from(decoded.bitmap.height)))
}

/// Keeps a window inside a `size.0` × `size.1` bitmap (absorbing float noise at the edges).
fn clamp_window(window: (f64, f64, f64, f64), size: (f64, f64)) -> (f64, f64, f64, f64) {
    let (bw, bh) = size;
    let (l, t) = (window.0.clamp(0.0, bw), window.1.clamp(0.0, bh));
    (l, t, window.2.min(bw - l), window.3.min(bh - t))
}

/// `bytes` in MiB, for messages.
fn mebibytes(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / f64::from(1u32 << 20))
}

/// Pads `image` to `canvas` with the background colour (for [`Fit::Contain`]).
fn place_on_canvas(image: Bitmap, canvas: (u32, u32), offset: (u32, u32), background: [u8; 3]) -> Bitmap {
    if (image.width, image.height) == canvas {
        return image;
    }
    let image = if image.layout.is_gray() && !(background[0] == background[1] && background[1] == background[2]) {
        image.to_rgba()
    } else {
        image
    };
    let c = image.layout.channels();
    let fill: Vec<u8> = match image.layout {
        PixelLayout::Gray => vec![background[0]],
        PixelLayout::GrayAlpha => vec![background[0], 255],
        PixelLayout::Rgb => background.to_vec(),
        _ => vec![background[0], background[1], background[2], 255],
    };
    let (cw, ch) = (canvas.0 as usize, canvas.1 as usize);
    let mut data: Vec<u8> = fill.iter().copied().cycle().take(cw * ch * c).collect();
    let (ox, oy) = (offset.0 as usize, offset.1 as usize);
    let row = image.width as usize * c;
    for (y, src) in image.data.chunks_exact(row).enumerate() {
        let start = ((oy + y) * cw + ox) * c;
        data[start..start + row].copy_from_slice(src);
    }
    Bitmap { width: canvas.0, height: canvas.1, layout: image.layout, data }
}

/// Composites straight alpha over an opaque background. Gray stays gray when the
/// background is a gray.
pub(crate) fn flatten(image: Bitmap, background: [u8; 3]) -> Bitmap {
    let blend = |v: u8, bg: u8, a: u8| -> u8 {
        let (v, bg, a) = (u32::from(v), u32::from(bg), u32::from(a));
        ((v * a + bg * (255 - a) + 127) / 255) as u8
    };
    let gray_bg = background[0] == background[1] && background[1] == background[2];
    let (layout, data) = match image.layout {
        PixelLayout::Gray | PixelLayout::Rgb | PixelLayout::Cmyk => return image,
        PixelLayout::GrayAlpha if gray_bg => {
            (PixelLayout::Gray, image.data.chunks_exact(2).map(|p| blend(p[0], background[0], p[1])).collect())
        }
        PixelLayout::GrayAlpha => (
            PixelLayout::Rgb,
            image.data.chunks_exact(2).flat_map(|p| [0, 1, 2].map(|i| blend(p[0], background[i], p[1]))).collect(),
        ),
        PixelLayout::Rgba => (
            PixelLayout::Rgb,
            image.data.chunks_exact(4).flat_map(|p| [0, 1, 2].map(|i| blend(p[i], background[i], p[3]))).collect(),
        ),
    };
    Bitmap { width: image.width, height: image.height, layout, data }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flatten_onto_white() {
        let img = Bitmap::new(2, 1, PixelLayout::Rgba, vec![0, 0, 0, 0, 10, 20, 30, 255]).unwrap();
        let flat = flatten(img, [255, 255, 255]);
        assert_eq!(flat.layout, PixelLayout::Rgb);
        assert_eq!(flat.data, vec![255, 255, 255, 10, 20, 30]);
        let gray = Bitmap::new(1, 1, PixelLayout::GrayAlpha, vec![0, 128]).unwrap();
        assert_eq!(flatten(gray, [255, 255, 255]).data, vec![127]);
    }

    #[test]
    fn canvas_padding() {
        let img = Bitmap::new(2, 1, PixelLayout::Rgb, vec![1; 6]).unwrap();
        let out = place_on_canvas(img, (2, 3), (0, 1), [9, 9, 9]);
        assert_eq!(out.data, vec![9, 9, 9, 9, 9, 9, 1, 1, 1, 1, 1, 1, 9, 9, 9, 9, 9, 9]);
    }
}
