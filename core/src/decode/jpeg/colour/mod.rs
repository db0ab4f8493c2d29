//! From component samples at output resolution to pixels, one row at a time: YCbCr → RGB,
//! RGB-coded components interleaved, gray copied, CMYK and YCCK to ink amounts.
//!
//! YCbCr is BT.601 full range (JFIF): `R = Y + 1.402 Cr'`, `G = Y − 0.344136 Cb' −
//! 0.714136 Cr'`, `B = Y + 1.772 Cb'` with `Cb' = Cb − 128`. The arithmetic is 16-bit with
//! one Q15 rounding multiply per term ([`q15`]), the operation that SSSE3 (`pmulhrsw`), NEON
//! (`sqrdmulh`) and WebAssembly (`i16x8.q15mulr_sat_s`) all have: R and B come out exactly
//! as libjpeg's rounding gives them, G within one level of it (for 0.6 % of inputs).
//!
//! [`ycc_pixel`] is the reference; the YCbCr conversion also exists for x86-64 (SSSE3,
//! chosen at run time), aarch64 (NEON) and wasm32 (simd128, when the module is built with
//! it), sixteen pixels at a time, with output bit-identical to the reference (tested for
//! every back end the machine has).

/// The Q15 rounding multiply: `(a·b + 2¹⁴) >> 15`.
#[inline(always)]
pub(crate) fn q15(a: i16, b: i16) -> i16 {
    ((i32::from(a) * i32::from(b) + (1 << 14)) >> 15) as i16
}

/// 0.402 (the fractional part of 1.402) in Q15.
pub(crate) const CR_R: i16 = 13173;
/// 0.228 (2 − 1.772) in Q15.
pub(crate) const CB_B: i16 = 7471;
/// 0.344136 in Q15, applied to `Cb' << G_SHIFT`.
pub(crate) const CB_G: i16 = 11277;
/// 0.714136 in Q15, applied to `Cr' << G_SHIFT`.
pub(crate) const CR_G: i16 = 23401;
/// Extra precision of the green term.
pub(crate) const G_SHIFT: u32 = 6;

/// One pixel: the reference for every vectorised version.
#[inline(always)]
pub(crate) fn ycc_pixel(y: u8, cb: u8, cr: u8) -> [u8; 3] {
    let y = i16::from(y);
    let cb = i16::from(cb) - 128;
    let cr = i16::from(cr) - 128;
    let r = y + cr + q15(cr, CR_R);
    let b = y + 2 * cb - q15(cb, CB_B);
    let g = y + ((-q15(cb << G_SHIFT, CB_G) - q15(cr << G_SHIFT, CR_G) + (1 << (G_SHIFT - 1))) >> G_SHIFT);
    [r.clamp(0, 255) as u8, g.clamp(0, 255) as u8, b.clamp(0, 255) as u8]
}

#[cfg(target_arch = "aarch64")]
mod arm;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm;
#[cfg(target_arch = "x86_64")]
mod x86;

/// Converts one row of YCbCr samples to RGB with the best back end the CPU has. `y`, `cb`
/// and `cr` hold at least `out.len() / 3` samples.
pub(crate) fn ycc_to_rgb(y: &[u8], cb: &[u8], cr: &[u8], out: &mut [u8]) {
    let n = out.len() / 3;
    let (y, cb, cr) = (&y[..n], &cb[..n], &cr[..n]);
    #[cfg(target_arch = "x86_64")]
    let done = x86::ycc_to_rgb(y, cb, cr, out);
    #[cfg(target_arch = "aarch64")]
    let done = arm::ycc_to_rgb(y, cb, cr, out);
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    let done = wasm::ycc_to_rgb(y, cb, cr, out);
    #[cfg(not(any(
        target_arch = "x86_64",
        target_arch = "aarch64",
        all(target_arch = "wasm32", target_feature = "simd128")
    )))]
    let done = 0;
    scalar_ycc_to_rgb(&y[done..], &cb[done..], &cr[done..], &mut out[done * 3..]);
}

/// The reference conversion of a row.
pub(crate) fn scalar_ycc_to_rgb(y: &[u8], cb: &[u8], cr: &[u8], out: &mut [u8]) {
    for (((px, &y), &cb), &cr) in out.chunks_exact_mut(3).zip(y).zip(cb).zip(cr) {
        px.copy_from_slice(&ycc_pixel(y, cb, cr));
    }
}

/// For the vector back ends: the byte of each 16-byte output vector `k` of an RGB row that
/// comes from channel `c`'s vector, as a shuffle index (0x80: none).
#[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")))]
const fn interleave_mask(k: usize, c: usize) -> [u8; 16] {
    let mut mask = [0x80u8; 16];
    let mut j = 0;
    while j < 16 {
        let p = 16 * k + j;
        if p % 3 == c {
            mask[j] = (p / 3) as u8;
        }
        j += 1;
    }
    mask
}

/// Interleaves three planes (RGB-coded JPEGs).
pub(crate) fn interleave3(a: &[u8], b: &[u8], c: &[u8], out: &mut [u8]) {
    for (((px, &a), &b), &c) in out.chunks_exact_mut(3).zip(a).zip(b).zip(c) {
        px.copy_from_slice(&[a, b, c]);
    }
}

/// Four stored components to ink amounts (255 = full ink).
///
/// Adobe applications write CMYK inverted (255 = no ink), and virtually every CMYK JPEG in
/// the wild comes from them, so, like libjpeg-based readers, the samples are always taken as
/// inverted. YCCK (Adobe transform 2) stores those inverted C, M, Y as YCbCr: converted to
/// RGB, they are the ink amounts.
pub(crate) fn to_ink(c: [&[u8]; 4], ycck: bool, out: &mut [u8]) {
    for (i, px) in out.chunks_exact_mut(4).enumerate() {
        let [a, b, d] = if ycck { ycc_pixel(c[0][i], c[1][i], c[2][i]) } else { [!c[0][i], !c[1][i], !c[2][i]] };
        px.copy_from_slice(&[a, b, d, !c[3][i]]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rows of every length up to 40 (vector bodies and scalar tails) over varied samples.
    pub(super) fn assert_same_as_scalar(run: impl Fn(&[u8], &[u8], &[u8], &mut [u8]) -> usize) {
        let mut state = 0x2545_F491u32;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state as u8
        };
        for n in 0..=40 {
            for round in 0..20 {
                let y: Vec<u8> = (0..n).map(|i| if round == 0 { (i * 37) as u8 } else { next() }).collect();
                let cb: Vec<u8> = (0..n).map(|i| if round == 1 { [0, 255][i % 2] } else { next() }).collect();
                let cr: Vec<u8> = (0..n).map(|i| if round == 1 { [255, 0][i % 2] } else { next() }).collect();
                let mut expected = vec![0u8; 3 * n];
                scalar_ycc_to_rgb(&y, &cb, &cr, &mut expected);
                let mut got = vec![0u8; 3 * n];
                let done = run(&y, &cb, &cr, &mut got);
                scalar_ycc_to_rgb(&y[done..], &cb[done..], &cr[done..], &mut got[3 * done..]);
                assert_eq!(got, expected, "{n} pixels");
            }
        }
    }

    #[test]
    fn dispatched_conversion_matches_the_scalar_one() {
        assert_same_as_scalar(|y, cb, cr, out| {
            ycc_to_rgb(y, cb, cr, out);
            y.len()
        });
    }

    /// libjpeg's conversion (`jdcolor.c`: 16-bit fixed point, each term rounded, green's two
    /// terms summed before rounding).
    fn libjpeg(y: u8, cb: u8, cr: u8) -> [i32; 3] {
        let fix = |x: f64| (x * 65536.0 + 0.5) as i32;
        let (y, cb, cr) = (i32::from(y), i32::from(cb) - 128, i32::from(cr) - 128);
        let half = 1 << 15;
        let r = y + ((fix(1.40200) * cr + half) >> 16);
        let b = y + ((fix(1.77200) * cb + half) >> 16);
        let g = y + ((-fix(0.34414) * cb - fix(0.71414) * cr + half) >> 16);
        [r, g, b].map(|v| v.clamp(0, 255))
    }

    #[test]
    fn conversion_matches_libjpeg() {
        let (mut off, mut total) = (0, 0);
        for y in 0..=255u8 {
            for cb in 0..=255u8 {
                for cr in (0..=255u8).step_by(3) {
                    let ours = ycc_pixel(y, cb, cr);
                    let theirs = libjpeg(y, cb, cr);
                    assert_eq!(i32::from(ours[0]), theirs[0], "R of {y} {cb} {cr}");
                    assert_eq!(i32::from(ours[2]), theirs[2], "B of {y} {cb} {cr}");
                    assert!((i32::from(ours[1]) - theirs[1]).abs() <= 1, "G of {y} {cb} {cr}");
                    off += usize::from(i32::from(ours[1]) != theirs[1]);
                    total += 1;
                }
            }
        }
        assert!(off * 100 < total, "{off} of {total} greens differ");
    }

    #[test]
    fn ink_amounts() {
        let mut out = [0u8; 4];
        to_ink([&[255], &[0], &[128], &[200]], false, &mut out);
        assert_eq!(out, [0, 255, 127, 55]);
        // YCCK: neutral chroma makes all three inks equal to Y.
        to_ink([&[90], &[128], &[128], &[0]], true, &mut out);
        assert_eq!(out, [90, 90, 90, 255]);
    }
}
