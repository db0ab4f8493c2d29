//! Chroma upsampling: bringing a component sampled below the image's full resolution up to
//! it, one output row at a time.
//!
//! Doubling in either direction uses the triangle filter that libjpeg calls "fancy
//! upsampling": each output sample is ¾ of the nearest input sample and ¼ of the next
//! nearest, with libjpeg's exact arithmetic (the vertical blend kept unrounded, one rounding
//! at the end, the rounding bias alternating between neighbouring samples so that it does not
//! drift one way), so that full-size decodes agree with libjpeg-turbo's. Image edges repeat
//! the edge sample. Other integer ratios (3×, 4×, rare) replicate samples, as libjpeg does.

#[cfg(target_arch = "aarch64")]
mod arm;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm;
#[cfg(target_arch = "x86_64")]
mod x86;

/// Doubles a row horizontally (libjpeg's `h2v1_fancy_upsample`): `out` gets `2 * input.len()`
/// samples. The edge samples in scalar code, the rest eight at a time where the CPU allows.
pub(crate) fn h2(input: &[u8], out: &mut [u8]) {
    let n = input.len();
    let start = 1.min(n);
    h2_range(input, out, 0, start);
    let done = simd_h2(input, out, start);
    h2_range(input, out, done, n);
}

/// The reference for samples `from..to` of [`h2`].
pub(crate) fn h2_range(input: &[u8], out: &mut [u8], from: usize, to: usize) {
    let n = input.len();
    let s = |i: usize| u16::from(input[i]);
    for i in from..to {
        let centre = 3 * s(i);
        out[2 * i] = ((centre + s(i.saturating_sub(1)) + 1) >> 2) as u8;
        out[2 * i + 1] = ((centre + s((i + 1).min(n - 1)) + 2) >> 2) as u8;
    }
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
    let start = 1.min(n);
    h2v2_range(near, far, out, 0, start);
    let done = simd_h2v2(near, far, out, start);
    h2v2_range(near, far, out, done, n);
}

/// The reference for samples `from..to` of [`h2v2`].
pub(crate) fn h2v2_range(near: &[u8], far: &[u8], out: &mut [u8], from: usize, to: usize) {
    let n = near.len();
    let col = |i: usize| 3 * u16::from(near[i]) + u16::from(far[i]);
    for i in from..to {
        let this = 3 * col(i);
        out[2 * i] = ((this + col(i.saturating_sub(1)) + 8) >> 4) as u8;
        out[2 * i + 1] = ((this + col((i + 1).min(n - 1)) + 7) >> 4) as u8;
    }
}

/// The vector part of [`h2`] from sample `start` (at least 1): whole groups of eight whose
/// right neighbour exists; returns where it stopped.
#[inline]
fn simd_h2(input: &[u8], out: &mut [u8], start: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    return x86::h2(input, out, start);
    #[cfg(target_arch = "aarch64")]
    return arm::h2(input, out, start);
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return wasm::h2(input, out, start);
    #[allow(unreachable_code)]
    {
        let _ = (input, out);
        start
    }
}

/// The vector part of [`h2v2`] (see [`simd_h2`]).
#[inline]
fn simd_h2v2(near: &[u8], far: &[u8], out: &mut [u8], start: usize) -> usize {
    #[cfg(target_arch = "x86_64")]
    return x86::h2v2(near, far, out, start);
    #[cfg(target_arch = "aarch64")]
    return arm::h2v2(near, far, out, start);
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return wasm::h2v2(near, far, out, start);
    #[allow(unreachable_code)]
    {
        let _ = (near, far, out);
        start
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

    fn rows(n: usize, seed: u32) -> (Vec<u8>, Vec<u8>) {
        let mut state = seed | 1;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        };
        ((0..n).map(|_| next()).collect(), (0..n).map(|_| next()).collect())
    }

    /// Asserts that a vector part (called from sample 1) gives the reference's samples.
    pub(super) fn assert_same_as_scalar(
        h2_part: impl Fn(&[u8], &mut [u8], usize) -> usize,
        h2v2_part: impl Fn(&[u8], &[u8], &mut [u8], usize) -> usize,
    ) {
        for n in 1..=40 {
            for seed in 0..10 {
                let (a, b) = rows(n, seed * 7919 + n as u32);
                let mut expected = vec![0u8; 2 * n];
                h2_range(&a, &mut expected, 0, n);
                let mut got = vec![0u8; 2 * n];
                h2_range(&a, &mut got, 0, 1);
                let done = h2_part(&a, &mut got, 1);
                h2_range(&a, &mut got, done, n);
                assert_eq!(got, expected, "h2, {n} samples");

                h2v2_range(&a, &b, &mut expected, 0, n);
                let mut got = vec![0u8; 2 * n];
                h2v2_range(&a, &b, &mut got, 0, 1);
                let done = h2v2_part(&a, &b, &mut got, 1);
                h2v2_range(&a, &b, &mut got, done, n);
                assert_eq!(got, expected, "h2v2, {n} samples");
            }
        }
    }

    #[test]
    fn dispatched_upsampling_matches_the_scalar_one() {
        assert_same_as_scalar(simd_h2, simd_h2v2);
    }

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
