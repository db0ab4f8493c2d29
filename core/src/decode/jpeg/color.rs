//! Chroma upsampling and YCbCr → RGB, one output row at a time.
//!
//! Chroma planes with half the luma resolution are interpolated with the triangle filter
//! that libjpeg calls "fancy upsampling" (each output sample is ¾ of the nearest input and ¼
//! of the next nearest), vertically first, then horizontally, rounding after each step, which
//! is also what zune-jpeg does: at 1/1 scale our pixels agree with its output.
//!
//! The conversion is BT.601 full range (JFIF): `R = Y + 1.402 Cr'`,
//! `G = Y - 0.344136 Cb' - 0.714136 Cr'`, `B = Y + 1.772 Cb'` with `Cb' = Cb - 128`, in
//! 14-bit fixed point. The rounding constant is one below a half, as in zune-jpeg, so that
//! ties round the same way.

/// A decoded component plane: `stride` × `rows` samples (the padded block grid, scaled).
pub(crate) struct Plane {
    pub data: Vec<u8>,
    pub stride: usize,
    pub rows: usize,
}

impl Plane {
    fn row(&self, y: usize) -> &[u8] {
        let y = y.min(self.rows - 1);
        &self.data[y * self.stride..(y + 1) * self.stride]
    }
}

const PREC: u32 = 14;
// round(c · 2^14) for the BT.601 full-range coefficients.
const CR_TO_R: i32 = 22970; // 1.402
const CB_TO_B: i32 = 29032; // 1.772
const CR_TO_G: i32 = 11700; // 0.714136
const CB_TO_G: i32 = 5638; // 0.344136
const ROUND: i32 = (1 << (PREC - 1)) - 1;

/// Converts one row. `y`, `cb`, `cr` hold at least `out.len() / 3` samples.
pub(crate) fn ycbcr_row_to_rgb(y: &[u8], cb: &[i16], cr: &[i16], out: &mut [u8]) {
    for (((px, &y), &cb), &cr) in out.chunks_exact_mut(3).zip(y).zip(cb).zip(cr) {
        let y = (i32::from(y) << PREC) + ROUND;
        let cb = i32::from(cb) - 128;
        let cr = i32::from(cr) - 128;
        let r = (y + CR_TO_R * cr) >> PREC;
        let g = (y - CB_TO_G * cb - CR_TO_G * cr) >> PREC;
        let b = (y + CB_TO_B * cb) >> PREC;
        px[0] = r.clamp(0, 255) as u8;
        px[1] = g.clamp(0, 255) as u8;
        px[2] = b.clamp(0, 255) as u8;
    }
}

/// Row `y` of a chroma plane brought to luma rows: with `vertical` 2, blends the nearest
/// chroma row (¾) with the next nearest (¼).
pub(crate) fn chroma_row_vertical(plane: &Plane, y: usize, vertical: usize, out: &mut [i16]) {
    if vertical == 1 {
        for (o, &s) in out.iter_mut().zip(plane.row(y)) {
            *o = i16::from(s);
        }
        return;
    }
    let cy = y / 2;
    let near = plane.row(cy);
    let far = if y.is_multiple_of(2) { plane.row(cy.saturating_sub(1)) } else { plane.row(cy + 1) };
    for ((o, &n), &f) in out.iter_mut().zip(near).zip(far) {
        *o = (3 * i16::from(n) + i16::from(f) + 2) >> 2;
    }
}

/// Doubles a row horizontally with the triangle filter; edge samples are repeated.
pub(crate) fn upsample_row_horizontal(input: &[i16], out: &mut [i16]) {
    let n = input.len();
    if n == 0 {
        return;
    }
    if n == 1 {
        out[..2].fill(input[0]);
        return;
    }
    out[0] = input[0];
    out[1] = (3 * input[0] + input[1] + 2) >> 2;
    for (o, w) in out[2..2 * n - 2].chunks_exact_mut(2).zip(input.windows(3)) {
        let centre = 3 * w[1] + 2;
        o[0] = (centre + w[0]) >> 2;
        o[1] = (centre + w[2]) >> 2;
    }
    out[2 * n - 2] = (3 * input[n - 1] + input[n - 2] + 2) >> 2;
    out[2 * n - 1] = input[n - 1];
}

/// Writes `width` × `height` RGB pixels from a Y plane and two chroma planes subsampled by
/// `h_factor` × `v_factor` (1 or 2 each).
pub(crate) fn planes_to_rgb(
    y: &Plane,
    cb: &Plane,
    cr: &Plane,
    (h_factor, v_factor): (usize, usize),
    (width, height): (usize, usize),
    out: &mut [u8],
) {
    let chroma_w = cb.stride;
    let mut vertical = [vec![0i16; chroma_w], vec![0i16; chroma_w]];
    let mut full = [vec![0i16; chroma_w * h_factor], vec![0i16; chroma_w * h_factor]];
    for (row, out_row) in out.chunks_exact_mut(width * 3).take(height).enumerate() {
        for (i, plane) in [cb, cr].into_iter().enumerate() {
            chroma_row_vertical(plane, row, v_factor, &mut vertical[i]);
            if h_factor == 2 {
                upsample_row_horizontal(&vertical[i], &mut full[i]);
            } else {
                full[i].copy_from_slice(&vertical[i]);
            }
        }
        ycbcr_row_to_rgb(&y.row(row)[..width], &full[0], &full[1], out_row);
    }
}

/// Copies `width` × `height` samples of a gray plane.
pub(crate) fn plane_to_gray(y: &Plane, (width, height): (usize, usize), out: &mut [u8]) {
    for (row, out_row) in out.chunks_exact_mut(width).take(height).enumerate() {
        out_row.copy_from_slice(&y.row(row)[..width]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversion_matches_the_float_formula() {
        let mut worst = 0.0f64;
        for y in (0..=255u8).step_by(5) {
            for cb in (0..=255i16).step_by(15) {
                for cr in (0..=255i16).step_by(15) {
                    let mut out = [0u8; 3];
                    ycbcr_row_to_rgb(&[y], &[cb], &[cr], &mut out);
                    let (yf, cbf, crf) = (f64::from(y), f64::from(cb) - 128.0, f64::from(cr) - 128.0);
                    let exact = [yf + 1.402 * crf, yf - 0.344_136 * cbf - 0.714_136 * crf, yf + 1.772 * cbf];
                    for (o, e) in out.iter().zip(exact) {
                        worst = worst.max((f64::from(*o) - e.clamp(0.0, 255.0)).abs());
                    }
                }
            }
        }
        assert!(worst < 1.0, "worst error {worst}");
    }

    #[test]
    fn triangle_upsampling() {
        let mut out = [0i16; 8];
        upsample_row_horizontal(&[0, 100, 200, 40], &mut out);
        assert_eq!(out, [0, 25, 75, 125, 175, 160, 80, 40]);
        let plane = Plane { data: vec![0, 0, 100, 100, 200, 200], stride: 2, rows: 3 };
        let mut row = [0i16; 2];
        let expected = [0, 25, 75, 125, 175, 200];
        for (y, e) in expected.iter().enumerate() {
            chroma_row_vertical(&plane, y, 2, &mut row);
            assert_eq!(row, [*e; 2], "row {y}");
        }
    }
}
