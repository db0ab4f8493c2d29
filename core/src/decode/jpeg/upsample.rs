//! Chroma upsampling: bringing a component sampled below the image's full resolution up to
//! it, one output row at a time.
//!
//! Doubling in either direction uses the triangle filter that libjpeg calls "fancy
//! upsampling": each output sample is ¾ of the nearest input sample and ¼ of the next
//! nearest, with libjpeg's exact arithmetic (the vertical blend kept unrounded, one rounding
//! at the end, the rounding bias alternating between neighbouring samples so that it does not
//! drift one way), so that full-size decodes agree with libjpeg-turbo's. Image edges repeat
//! the edge sample. Other integer ratios (3×, 4×, rare) replicate samples, as libjpeg does.

/// Doubles a row horizontally (libjpeg's `h2v1_fancy_upsample`): `out` gets `2 * input.len()`
/// samples.
pub(crate) fn h2(input: &[u8], out: &mut [u8]) {
    let n = input.len();
    if n == 0 {
        return;
    }
    if n == 1 {
        out[..2].fill(input[0]);
        return;
    }
    let s = |i: usize| u16::from(input[i]);
    out[0] = input[0];
    out[1] = ((3 * s(0) + s(1) + 2) >> 2) as u8;
    for i in 1..n - 1 {
        let centre = 3 * s(i);
        out[2 * i] = ((centre + s(i - 1) + 1) >> 2) as u8;
        out[2 * i + 1] = ((centre + s(i + 1) + 2) >> 2) as u8;
    }
    out[2 * n - 2] = ((3 * s(n - 1) + s(n - 2) + 1) >> 2) as u8;
    out[2 * n - 1] = input[n - 1];
}

/// One output row of a component doubled vertically only (libjpeg-turbo's
/// `h1v2_fancy_upsample`): ¾ of the `near` input row and ¼ of the `far` one, which is the row
/// above for the upper output row of a pair (`lower` false) and the row below for the lower.
pub(crate) fn v2(near: &[u8], far: &[u8], lower: bool, out: &mut [u8]) {
    let bias = if lower { 2 } else { 1 };
    for ((o, &n), &f) in out.iter_mut().zip(near).zip(far) {
        *o = ((3 * u16::from(n) + u16::from(f) + bias) >> 2) as u8;
    }
}

/// One output row of a component doubled in both directions (libjpeg's
/// `h2v2_fancy_upsample`): the vertical blend of `near` (¾) and `far` (¼) as in [`v2`] but
/// unrounded, then the horizontal one of [`h2`], rounded once. `out` gets
/// `2 * near.len()` samples.
pub(crate) fn h2v2(near: &[u8], far: &[u8], out: &mut [u8]) {
    let n = near.len();
    if n == 0 {
        return;
    }
    let col = |i: usize| 3 * u16::from(near[i]) + u16::from(far[i]);
    let (mut last, mut this) = (col(0), col(0));
    for i in 0..n {
        let next = if i + 1 < n { col(i + 1) } else { this };
        out[2 * i] = ((3 * this + last + 8) >> 4) as u8;
        out[2 * i + 1] = ((3 * this + next + 7) >> 4) as u8;
        last = this;
        this = next;
    }
}

/// Replicates each sample `factor` times.
pub(crate) fn replicate(input: &[u8], factor: usize, out: &mut [u8]) {
    for (chunk, &s) in out.chunks_exact_mut(factor).zip(input) {
        chunk.fill(s);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn horizontal_doubling_is_libjpegs() {
        let mut out = [0u8; 8];
        h2(&[0, 100, 200, 40], &mut out);
        // 3/4 near + 1/4 far, biases 1 and 2 alternating; edges repeated.
        assert_eq!(out, [0, 25, 75, 125, 175, 160, 80, 40]);
        let mut one = [0u8; 2];
        h2(&[7], &mut one);
        assert_eq!(one, [7, 7]);
    }

    #[test]
    fn both_directions_round_once() {
        let near = [100u8, 200, 50];
        let far = [0u8, 0, 255];
        let mut out = [0u8; 6];
        h2v2(&near, &far, &mut out);
        // Column sums 3·near + far: 300, 600, 405.
        let col = [300u16, 600, 405];
        let expect = [
            (3 * col[0] + col[0] + 8) >> 4,
            (3 * col[0] + col[1] + 7) >> 4,
            (3 * col[1] + col[0] + 8) >> 4,
            (3 * col[1] + col[2] + 7) >> 4,
            (3 * col[2] + col[1] + 8) >> 4,
            (3 * col[2] + col[2] + 7) >> 4,
        ];
        assert_eq!(out.map(u16::from), expect);
        // A flat area stays flat, whatever the rounding.
        let mut flat = [0u8; 8];
        h2v2(&[9; 4], &[9; 4], &mut flat);
        assert_eq!(flat, [9; 8]);
    }

    #[test]
    fn vertical_doubling_and_replication() {
        let mut out = [0u8; 2];
        v2(&[100, 0], &[0, 255], false, &mut out);
        assert_eq!(out, [75, 64]);
        v2(&[100, 0], &[0, 255], true, &mut out);
        assert_eq!(out, [75, 64]);
        let mut wide = [0u8; 6];
        replicate(&[1, 2], 3, &mut wide);
        assert_eq!(wide, [1, 1, 1, 2, 2, 2]);
    }
}
