//! The last stages of a decode, band by band: component samples (the inverse DCT's output,
//! one MCU row at a time) are upsampled to the output resolution where a component was
//! sampled below it, converted to pixels, and written into the output bitmap, for the
//! requested region only.
//!
//! Each component keeps its last three MCU rows of samples in a ring: the row being emitted,
//! plus the one above and the one below, which the triangle upsampling filter reads at band
//! edges. So the decoded image is never stored whole at component resolution, and the
//! samples a band needs stay in the cache between the inverse DCT and the colour conversion.

use super::colour;
use super::upsample;
use crate::bitmap::PixelLayout;

/// How stored components become pixels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Transform {
    /// One component: gray.
    Gray,
    /// YCbCr → RGB (JFIF).
    Ycc,
    /// Components stored as R, G, B.
    Rgb,
    /// Adobe CMYK (inverted), to ink amounts.
    Cmyk,
    /// Adobe YCCK, to ink amounts.
    Ycck,
}

impl Transform {
    /// The layout of the pixels it produces.
    pub fn layout(self) -> PixelLayout {
        match self {
            Transform::Gray => PixelLayout::Gray,
            Transform::Ycc | Transform::Rgb => PixelLayout::Rgb,
            Transform::Cmyk | Transform::Ycck => PixelLayout::Cmyk,
        }
    }
}

/// A rectangle of output pixels: columns `x0..x1`, rows `y0..y1`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Region {
    pub x0: usize,
    pub y0: usize,
    pub x1: usize,
    pub y1: usize,
}

impl Region {
    pub fn width(&self) -> usize {
        self.x1 - self.x0
    }

    pub fn height(&self) -> usize {
        self.y1 - self.y0
    }
}

/// One component's geometry as the output stage sees it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Layout {
    /// Rows of samples one MCU row holds (`v * block height`).
    pub band_rows: usize,
    /// Samples per ring row: the decoded MCU columns' worth.
    pub stride: usize,
    /// The component sample of the ring's first column.
    pub first_col: usize,
    /// The component's true size in samples at this scale (edges repeat beyond it).
    pub samples_w: usize,
    pub samples_h: usize,
    /// Output pixels per sample, across and down.
    pub rh: usize,
    pub rv: usize,
    /// Whether doubling interpolates (libjpeg's "fancy upsampling") rather than repeats.
    pub fancy: bool,
}

/// Bytes after each ring row, so that inverse DCTs can store whole rows of 8 bytes.
const ROW_PADDING: usize = 8;

/// One component's ring of sample rows.
struct Ring {
    layout: Layout,
    /// Distance between rows: the samples and [`ROW_PADDING`].
    pitch: usize,
    data: Vec<u8>,
    /// Upsampled row scratch, `stride * rh` long.
    scratch: Vec<u8>,
}

impl Ring {
    /// The stored row `y` (component sample coordinates), which must be in the ring.
    fn row(&self, y: usize) -> &[u8] {
        let l = &self.layout;
        let band = y / l.band_rows;
        let at = ((band % 3) * l.band_rows + y % l.band_rows) * self.pitch;
        &self.data[at..at + l.stride]
    }

    /// The valid samples of row `y`, clamped to the component's height.
    fn valid_row(&self, y: usize) -> &[u8] {
        let l = &self.layout;
        let n = l.samples_w.saturating_sub(l.first_col).min(l.stride);
        &self.row(y.min(l.samples_h - 1))[..n]
    }
}

/// Receives MCU rows of samples and writes the region's pixels into `pixels`.
pub(crate) struct Assembler {
    rings: Vec<Ring>,
    transform: Transform,
    region: Region,
    /// Output rows per MCU row.
    mcu_rows: usize,
    /// Output rows (of the whole scaled image).
    out_h: usize,
    /// The band received last, not yet emitted (its rows need the next band's first rows).
    pending: Option<usize>,
    pub pixels: Vec<u8>,
}

impl Assembler {
    pub fn new(layouts: &[Layout], transform: Transform, region: Region, mcu_rows: usize, out_h: usize) -> Assembler {
        let rings = layouts
            .iter()
            .map(|&layout| Ring {
                layout,
                pitch: layout.stride + ROW_PADDING,
                data: vec![0; 3 * layout.band_rows * (layout.stride + ROW_PADDING)],
                scratch: vec![0; layout.stride * layout.rh],
            })
            .collect();
        let channels = transform.layout().channels();
        Assembler {
            rings,
            transform,
            region,
            mcu_rows,
            out_h,
            pending: None,
            pixels: vec![0; region.width() * region.height() * channels],
        }
    }

    /// Where MCU row `band` of component `c` is to be written: the ring's rows for it, and
    /// the distance between them (each row has 8 bytes of room past its samples).
    pub fn band_mut(&mut self, c: usize, band: usize) -> (&mut [u8], usize) {
        let ring = &mut self.rings[c];
        let size = ring.layout.band_rows * ring.pitch;
        let at = (band % 3) * size;
        (&mut ring.data[at..at + size], ring.pitch)
    }

    /// Takes note that MCU row `band` is complete in every ring, and emits the rows of the
    /// band before it.
    pub fn push(&mut self, band: usize) {
        if let Some(previous) = self.pending.replace(band) {
            self.emit(previous);
        }
    }

    /// Emits the last band; returns the pixels.
    pub fn finish(mut self) -> Vec<u8> {
        if let Some(last) = self.pending.take() {
            self.emit(last);
        }
        self.pixels
    }

    /// Writes the output rows of MCU row `band` that fall in the region.
    fn emit(&mut self, band: usize) {
        let first = (band * self.mcu_rows).max(self.region.y0);
        let end = ((band + 1) * self.mcu_rows).min(self.out_h).min(self.region.y1);
        for y in first..end {
            self.emit_row(y);
        }
    }

    fn emit_row(&mut self, y: usize) {
        let Region { x0, x1, y0, .. } = self.region;
        for ring in &mut self.rings {
            upsample_row(ring, y);
        }
        let channels = self.transform.layout().channels();
        let width = x1 - x0;
        let out = &mut self.pixels[(y - y0) * width * channels..(y - y0 + 1) * width * channels];
        let rings = &self.rings;
        let samples = |c: usize| -> &[u8] {
            let ring = &rings[c];
            let l = &ring.layout;
            if l.rh == 1 && l.rv == 1 {
                let at = x0 - l.first_col;
                &ring.row(y)[at..at + width]
            } else {
                let at = x0 - l.first_col * l.rh;
                &ring.scratch[at..at + width]
            }
        };
        match self.transform {
            Transform::Gray => out.copy_from_slice(samples(0)),
            Transform::Ycc => colour::ycc_to_rgb(samples(0), samples(1), samples(2), out),
            Transform::Rgb => colour::interleave3(samples(0), samples(1), samples(2), out),
            Transform::Cmyk | Transform::Ycck => {
                colour::to_ink([samples(0), samples(1), samples(2), samples(3)], self.transform == Transform::Ycck, out)
            }
        }
    }
}

/// Brings output row `y` of an upsampled component into its scratch row (components at the
/// output resolution are read straight from the ring).
fn upsample_row(ring: &mut Ring, y: usize) {
    let l = ring.layout;
    if l.rh == 1 && l.rv == 1 {
        return;
    }
    let mut scratch = std::mem::take(&mut ring.scratch);
    match (l.rh, l.rv) {
        (rh, rv) if !l.fancy => upsample::replicate(ring.valid_row(y / rv), rh, &mut scratch),
        (2, 1) => upsample::h2(ring.valid_row(y), &mut scratch),
        (1, 2) | (2, 2) => {
            let near = y / 2;
            let lower = y % 2 == 1;
            let far = if lower { near + 1 } else { near.saturating_sub(1) };
            let (near, far) = (ring.valid_row(near), ring.valid_row(far));
            if l.rh == 2 {
                upsample::h2v2(near, far, &mut scratch);
            } else {
                upsample::v2(near, far, lower, &mut scratch);
            }
        }
        (rh, rv) => upsample::replicate(ring.valid_row(y / rv), rh, &mut scratch),
    }
    ring.scratch = scratch;
}
