//! Geometry: which part of the upright image becomes the output, and at what size.
//!
//! All positions are kept in floating point and handed to the resampler as a fractional
//! source window, so a centred crop is centred to the sub-pixel, not rounded to whole pixels.

use crate::bitmap::{Bitmap, PixelLayout};

/// How the image is fitted into the requested box.
///
/// ```
/// let o = thumbing::Options::new().fit(thumbing::Fit::Contain);
/// # let _ = o;
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Fit {
    /// Fill the box exactly, cropping what sticks out (placed by [`Crop`]). The default.
    #[default]
    Cover,
    /// Fit the whole image in the box and fill the rest with the background colour
    /// (letterbox). The output is exactly the box size.
    Contain,
    /// Fit the whole image in the box without cropping or padding; the output may be smaller
    /// than the box in one dimension.
    Inside,
}

/// Where a [`Fit::Cover`] crop window is placed.
///
/// ```
/// use thumbing::Crop;
/// assert_eq!("smart".parse::<Crop>().unwrap(), Crop::Smart);
/// assert_eq!("0.25,0.5".parse::<Crop>().unwrap(), Crop::Focal { x: 0.25, y: 0.5 });
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum Crop {
    /// Centred. The default.
    #[default]
    Centre,
    /// Centred on a focal point given as fractions of the upright width and height (0..=1),
    /// then moved as little as needed to stay inside the image.
    Focal {
        /// Horizontal position, 0 = left edge, 1 = right edge.
        x: f32,
        /// Vertical position, 0 = top edge, 1 = bottom edge.
        y: f32,
    },
    /// Content-aware: the window with the most detail, colour and skin tones, like sharp's
    /// `attention` strategy.
    Smart,
}

/// A resampling plan: the source window (upright coordinates) scaled to `resized` pixels,
/// drawn at `offset` on a `canvas`-sized output.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Plan {
    pub window: (f64, f64, f64, f64),
    pub resized: (u32, u32),
    pub canvas: (u32, u32),
    pub offset: (u32, u32),
}

/// Plans the output for an upright `src_w` × `src_h` image fitted into `box_w` × `box_h`.
/// `saliency` is consulted only for [`Crop::Smart`].
pub(crate) fn plan(
    src_w: u32,
    src_h: u32,
    box_w: u32,
    box_h: u32,
    fit: Fit,
    crop: Crop,
    saliency: impl FnOnce() -> Option<Saliency>,
) -> Plan {
    let (sw, sh) = (f64::from(src_w), f64::from(src_h));
    let (bw, bh) = (f64::from(box_w), f64::from(box_h));
    match fit {
        Fit::Cover => {
            let scale = (bw / sw).max(bh / sh);
            let (ww, wh) = ((bw / scale).min(sw), (bh / scale).min(sh));
            let (fx, fy) = match crop {
                Crop::Centre => (0.5, 0.5),
                Crop::Focal { x, y } => (f64::from(x), f64::from(y)),
                Crop::Smart => saliency().map(|s| s.best_centre(ww / sw, wh / sh)).unwrap_or((0.5, 0.5)),
            };
            let left = (fx * sw - ww / 2.0).clamp(0.0, sw - ww);
            let top = (fy * sh - wh / 2.0).clamp(0.0, sh - wh);
            Plan { window: (left, top, ww, wh), resized: (box_w, box_h), canvas: (box_w, box_h), offset: (0, 0) }
        }
        Fit::Contain | Fit::Inside => {
            let scale = (bw / sw).min(bh / sh);
            let rw = ((sw * scale).round() as u32).clamp(1, box_w);
            let rh = ((sh * scale).round() as u32).clamp(1, box_h);
            let (canvas, offset) = if fit == Fit::Contain {
                ((box_w, box_h), ((box_w - rw) / 2, (box_h - rh) / 2))
            } else {
                ((rw, rh), (0, 0))
            };
            Plan { window: (0.0, 0.0, sw, sh), resized: (rw, rh), canvas, offset }
        }
    }
}

/// A coarse map of where the interesting content of an upright image is.
#[derive(Debug, Clone)]
pub(crate) struct Saliency {
    width: usize,
    height: usize,
    /// Summed-area table of per-pixel interest, (width + 1) × (height + 1).
    integral: Vec<f64>,
}

impl Saliency {
    /// Builds the map from a small upright RGB(A)/gray image (a few hundred pixels across).
    pub fn from_thumbnail(img: &Bitmap) -> Option<Saliency> {
        let (w, h) = (img.width as usize, img.height as usize);
        if w < 3 || h < 3 {
            return None;
        }
        let c = img.layout.channels();
        let px = |x: usize, y: usize| {
            let p = &img.data[(y * w + x) * c..(y * w + x + 1) * c];
            match img.layout {
                PixelLayout::Gray | PixelLayout::GrayAlpha => (f64::from(p[0]), f64::from(p[0]), f64::from(p[0])),
                _ => (f64::from(p[0]), f64::from(p[1]), f64::from(p[2])),
            }
        };
        let luma: Vec<f64> = (0..w * h)
            .map(|i| {
                let (r, g, b) = px(i % w, i / w);
                0.299 * r + 0.587 * g + 0.114 * b
            })
            .collect();
        let mut interest = vec![0.0; w * h];
        for y in 1..h - 1 {
            for x in 1..w - 1 {
                let l = |dx: isize, dy: isize| luma[(y as isize + dy) as usize * w + (x as isize + dx) as usize];
                let gx = l(1, -1) + 2.0 * l(1, 0) + l(1, 1) - l(-1, -1) - 2.0 * l(-1, 0) - l(-1, 1);
                let gy = l(-1, 1) + 2.0 * l(0, 1) + l(1, 1) - l(-1, -1) - 2.0 * l(0, -1) - l(1, -1);
                let edge = (gx * gx + gy * gy).sqrt() / 4.0;
                let (r, g, b) = px(x, y);
                let max = r.max(g).max(b);
                let min = r.min(g).min(b);
                let saturation = if max > 0.0 { (max - min) / max } else { 0.0 };
                // Skin tones: red above green above blue, in a moderate brightness range.
                let skin = r > 95.0 && g > 40.0 && b > 20.0 && r > g && r > b && (r - g) > 15.0 && max - min > 15.0;
                interest[y * w + x] = edge + 40.0 * saturation + if skin { 60.0 } else { 0.0 };
            }
        }
        let mut integral = vec![0.0; (w + 1) * (h + 1)];
        for y in 0..h {
            let mut row = 0.0;
            for x in 0..w {
                row += interest[y * w + x];
                integral[(y + 1) * (w + 1) + x + 1] = integral[y * (w + 1) + x + 1] + row;
            }
        }
        Some(Saliency { width: w, height: h, integral })
    }

    fn sum(&self, x0: usize, y0: usize, x1: usize, y1: usize) -> f64 {
        let s = self.width + 1;
        self.integral[y1 * s + x1] - self.integral[y0 * s + x1] - self.integral[y1 * s + x0]
            + self.integral[y0 * s + x0]
    }

    /// The centre (as fractions) of the most interesting window whose size is the given
    /// fraction of the image. Ties go to the window nearest the centre.
    pub fn best_centre(&self, frac_w: f64, frac_h: f64) -> (f64, f64) {
        let ww = ((frac_w * self.width as f64).round() as usize).clamp(1, self.width);
        let wh = ((frac_h * self.height as f64).round() as usize).clamp(1, self.height);
        let (mut best, mut best_score) = ((0.5, 0.5), f64::NEG_INFINITY);
        let total = self.sum(0, 0, self.width, self.height).max(1.0);
        for y in 0..=self.height - wh {
            for x in 0..=self.width - ww {
                let cx = (x as f64 + ww as f64 / 2.0) / self.width as f64;
                let cy = (y as f64 + wh as f64 / 2.0) / self.height as f64;
                let off_centre = (cx - 0.5).abs() + (cy - 0.5).abs();
                let score = self.sum(x, y, x + ww, y + wh) / total - 0.02 * off_centre;
                if score > best_score {
                    best_score = score;
                    best = (cx, cy);
                }
            }
        }
        best
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cover_centre_is_exact() {
        // 950x634 into 512x512: the window is 634x634, left edge at (950-634)/2 = 158 exactly.
        let p = plan(950, 634, 512, 512, Fit::Cover, Crop::Centre, || None);
        assert_eq!(p.window, (158.0, 0.0, 634.0, 634.0));
        // Odd difference: 951 wide gives a half-pixel offset, kept as is.
        let p = plan(951, 634, 512, 512, Fit::Cover, Crop::Centre, || None);
        assert_eq!(p.window.0, 158.5);
    }

    #[test]
    fn focal_point_is_clamped_inside() {
        let p = plan(1000, 500, 100, 100, Fit::Cover, Crop::Focal { x: 1.0, y: 0.5 }, || None);
        assert_eq!(p.window, (500.0, 0.0, 500.0, 500.0));
        let p = plan(1000, 500, 100, 100, Fit::Cover, Crop::Focal { x: 0.25, y: 0.5 }, || None);
        assert_eq!(p.window, (0.0, 0.0, 500.0, 500.0));
        let p = plan(1000, 500, 100, 100, Fit::Cover, Crop::Focal { x: 0.375, y: 0.5 }, || None);
        assert_eq!(p.window, (125.0, 0.0, 500.0, 500.0));
    }

    #[test]
    fn contain_and_inside() {
        let p = plan(1000, 500, 100, 100, Fit::Contain, Crop::Centre, || None);
        assert_eq!((p.resized, p.canvas, p.offset), ((100, 50), (100, 100), (0, 25)));
        let p = plan(1000, 500, 100, 100, Fit::Inside, Crop::Centre, || None);
        assert_eq!((p.resized, p.canvas, p.offset), ((100, 50), (100, 50), (0, 0)));
        // Extreme aspect ratios never give a zero-sized image.
        let p = plan(65535, 1, 100, 100, Fit::Inside, Crop::Centre, || None);
        assert_eq!(p.resized, (100, 1));
    }

    #[test]
    fn smart_crop_finds_the_detail() {
        // A flat image with a textured patch on the right: the window should move right.
        let (w, h) = (120u32, 60u32);
        let mut data = vec![128u8; (w * h * 3) as usize];
        for y in 10..50 {
            for x in 90..115 {
                let v = if (x + y) % 2 == 0 { 0 } else { 255 };
                let i = ((y * w + x) * 3) as usize;
                data[i..i + 3].copy_from_slice(&[v, v, v]);
            }
        }
        let img = Bitmap::new(w, h, PixelLayout::Rgb, data).unwrap();
        let p = plan(w, h, 64, 64, Fit::Cover, Crop::Smart, || Saliency::from_thumbnail(&img));
        assert!(p.window.0 >= 55.0, "{:?}", p.window);
        // A featureless image stays centred.
        let flat = Bitmap::new(w, h, PixelLayout::Rgb, vec![90; (w * h * 3) as usize]).unwrap();
        let p = plan(w, h, 64, 64, Fit::Cover, Crop::Smart, || Saliency::from_thumbnail(&flat));
        assert_eq!(p.window.0, 30.0);
    }

    #[test]
    fn crop_parsing_errors() {
        assert!("0.5".parse::<Crop>().is_err());
        assert!("2,0.5".parse::<Crop>().is_err());
        assert!("middle".parse::<Crop>().is_err());
    }
}
