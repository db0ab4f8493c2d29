//! Inverse DCTs that produce an 8×8, 4×4, 2×2 or 1×1 block of pixels from the low-frequency
//! corner of an 8×8 block of coefficients: decoding at 1/1, 1/2, 1/4 or 1/8 scale.
//!
//! The 8-point inverse DCT of T.81 A.3.3, written per dimension, is
//! `g(x) = ½ Σ C(u) F(u) cos((2x + 1)uπ/16)` with `C(0) = 1/√2`, `C(u) = 1` otherwise. The
//! N-point reduced transform keeps the N lowest coefficients and evaluates the same cosines
//! at the centres of the N groups of 8/N samples, `cos((2x + 1)uπ/2N)`: the DC term (the
//! block mean) is unchanged and frequencies the smaller block cannot hold are dropped, which
//! band-limits before the sampling, as a downscale should.
//!
//! Both passes use the even/odd symmetry `g(N-1-x) = E(x) - O(x)` with 13-bit fixed-point
//! constants. The 8×8 and 4×4 transforms exist twice:
//!
//! - [`scalar`]: plain Rust over arrays, the reference for every SIMD back end and the path
//!   on CPUs without one. The tests compare it with [`reference`], the floating-point
//!   definition.
//! - [`lanes`]: the same arithmetic over SIMD vectors, with explicit back ends for x86-64
//!   (AVX2 for 8×8, SSE4.1 for 4×4 and as the 8×8 fallback, chosen at run time), aarch64
//!   (NEON) and wasm32 (simd128, when the module is built with it). Their output is
//!   bit-identical to [`scalar`]'s, which the tests check for every back end the machine
//!   has.
//!
//! The SIMD back ends are the only `unsafe` code in the crate: calls into functions compiled
//! for a CPU feature after detecting it, and vector loads from fixed-size arrays.

/// Fixed-point precision of the constants.
const CONST_BITS: u32 = 13;
/// Extra fractional bits kept between the two passes.
const PASS1_BITS: u32 = 2;

// round(½ cos(kπ/16) · 2^13), checked by `constants_match_their_definition`.
const K1: i32 = 4017;
const K2: i32 = 3784;
const K3: i32 = 3406;
const K4: i32 = 2896;
const K5: i32 = 2276;
const K6: i32 = 1567;
const K7: i32 = 799;

/// Largest dequantised coefficient magnitude kept. Real 8-bit data stays below about 1200
/// (DC at most 1024 plus half a quantiser step); the bound keeps every intermediate within
/// `i32` for hostile input.
const COEF_LIMIT: i32 = 4095;

/// Dequantises one coefficient, clamped to what the transforms can hold. `coef` is within
/// the `i16` range and `q` within `u16`, so the product fits in `i32`.
#[inline]
pub(crate) fn dequantise(coef: i32, q: i32) -> i32 {
    debug_assert!(i32::from(i16::MIN) <= coef && coef <= i32::from(i16::MAX) && (0..=65535).contains(&q));
    (coef * q).clamp(-COEF_LIMIT, COEF_LIMIT)
}

#[inline]
fn clamp_pixel(v: i32) -> u8 {
    v.clamp(0, 255) as u8
}

/// One 8-point pass over eight lanes: `out[x][lane]` from `inp[u][lane]`, descaled by `shift`
/// with rounding, plus `bias` (already scaled) added before the shift.
#[inline(always)]
fn pass8(inp: &[[i32; 8]; 8], out: &mut [[i32; 8]; 8], shift: u32, bias: i32) {
    let round = (1 << (shift - 1)) + bias;
    for l in 0..8 {
        let (f0, f1, f2, f3) = (inp[0][l], inp[1][l], inp[2][l], inp[3][l]);
        let (f4, f5, f6, f7) = (inp[4][l], inp[5][l], inp[6][l], inp[7][l]);
        let ee0 = K4 * (f0 + f4);
        let ee1 = K4 * (f0 - f4);
        let eo0 = K2 * f2 + K6 * f6;
        let eo1 = K6 * f2 - K2 * f6;
        let e0 = ee0 + eo0 + round;
        let e3 = ee0 - eo0 + round;
        let e1 = ee1 + eo1 + round;
        let e2 = ee1 - eo1 + round;
        let o0 = K1 * f1 + K3 * f3 + K5 * f5 + K7 * f7;
        let o1 = K3 * f1 - K7 * f3 - K1 * f5 - K5 * f7;
        let o2 = K5 * f1 - K1 * f3 + K7 * f5 + K3 * f7;
        let o3 = K7 * f1 - K5 * f3 + K3 * f5 - K1 * f7;
        out[0][l] = (e0 + o0) >> shift;
        out[7][l] = (e0 - o0) >> shift;
        out[1][l] = (e1 + o1) >> shift;
        out[6][l] = (e1 - o1) >> shift;
        out[2][l] = (e2 + o2) >> shift;
        out[5][l] = (e2 - o2) >> shift;
        out[3][l] = (e3 + o3) >> shift;
        out[4][l] = (e3 - o3) >> shift;
    }
}

/// One 4-point pass over four lanes (see [`pass8`]).
#[inline(always)]
fn pass4(inp: &[[i32; 4]; 4], out: &mut [[i32; 4]; 4], shift: u32, bias: i32) {
    let round = (1 << (shift - 1)) + bias;
    for l in 0..4 {
        let (f0, f1, f2, f3) = (inp[0][l], inp[1][l], inp[2][l], inp[3][l]);
        // cos(π/8) and cos(3π/8) are the K2 and K6 of the 8-point transform.
        let e0 = K4 * (f0 + f2) + round;
        let e1 = K4 * (f0 - f2) + round;
        let o0 = K2 * f1 + K6 * f3;
        let o1 = K6 * f1 - K2 * f3;
        out[0][l] = (e0 + o0) >> shift;
        out[3][l] = (e0 - o0) >> shift;
        out[1][l] = (e1 + o1) >> shift;
        out[2][l] = (e1 - o1) >> shift;
    }
}

fn transpose<const N: usize>(m: &[[i32; N]; N]) -> [[i32; N]; N] {
    let mut t = [[0; N]; N];
    for (i, row) in m.iter().enumerate() {
        for (j, &v) in row.iter().enumerate() {
            t[j][i] = v;
        }
    }
    t
}

/// The level shift (+128) of T.81 A.3.1, in pass-two units.
const fn level_shift(shift: u32) -> i32 {
    128 << shift
}

#[cfg(target_arch = "aarch64")]
mod arm;
mod lanes;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod wasm;
#[cfg(target_arch = "x86_64")]
mod x86;

/// 8×8 pixels from 64 dequantised coefficients in natural (row-major) order, with the best
/// back end the CPU has.
#[inline]
pub(crate) fn idct8(coefs: &[i32; 64], out: &mut [u8], stride: usize) {
    #[cfg(target_arch = "x86_64")]
    if x86::idct8(coefs, out, stride) {
        return;
    }
    #[cfg(target_arch = "aarch64")]
    return arm::idct8(coefs, out, stride);
    // wasm32 keeps the scalar 8×8 (which the compiler vectorises for simd128): it only runs
    // for full-size decodes through `decode_jpeg_reduced(…, 1)`, and the explicit version
    // would cost a kilobyte of the module's size budget.
    #[allow(unreachable_code)]
    scalar::idct8(coefs, out, stride)
}

/// 4×4 pixels from the 4×4 low-frequency corner, in natural order (`v * 4 + u`), with the
/// best back end the CPU has.
#[inline]
pub(crate) fn idct4(coefs: &[i32; 16], out: &mut [u8], stride: usize) {
    #[cfg(target_arch = "x86_64")]
    if x86::idct4(coefs, out, stride) {
        return;
    }
    #[cfg(target_arch = "aarch64")]
    return arm::idct4(coefs, out, stride);
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return wasm::idct4(coefs, out, stride);
    #[allow(unreachable_code)]
    scalar::idct4(coefs, out, stride)
}

/// The portable transforms: the reference for the SIMD back ends.
pub(crate) mod scalar {
    use super::*;

    /// 8×8 pixels from 64 dequantised coefficients in natural (row-major) order.
    pub(crate) fn idct8(coefs: &[i32; 64], out: &mut [u8], stride: usize) {
        let mut rows = [[0i32; 8]; 8];
        for (row, chunk) in rows.iter_mut().zip(coefs.chunks_exact(8)) {
            row.copy_from_slice(chunk);
        }
        // Pass 1 down the columns (lanes are columns u), keeping PASS1_BITS extra bits.
        let mut tmp = [[0i32; 8]; 8];
        pass8(&rows, &mut tmp, CONST_BITS - PASS1_BITS, 0);
        // Pass 2 along the rows: transpose so that lanes are the output rows y.
        let tmp = transpose(&tmp);
        let mut px = [[0i32; 8]; 8];
        let shift = CONST_BITS + PASS1_BITS;
        pass8(&tmp, &mut px, shift, level_shift(shift));
        // px[x][y]
        for y in 0..8 {
            let row = &mut out[y * stride..y * stride + 8];
            for (x, p) in row.iter_mut().enumerate() {
                *p = clamp_pixel(px[x][y]);
            }
        }
    }

    /// 4×4 pixels from the 4×4 low-frequency corner, in natural order (`v * 4 + u`).
    pub(crate) fn idct4(coefs: &[i32; 16], out: &mut [u8], stride: usize) {
        let mut rows = [[0i32; 4]; 4];
        for (row, chunk) in rows.iter_mut().zip(coefs.chunks_exact(4)) {
            row.copy_from_slice(chunk);
        }
        let mut tmp = [[0i32; 4]; 4];
        pass4(&rows, &mut tmp, CONST_BITS - PASS1_BITS, 0);
        let tmp = transpose(&tmp);
        let mut px = [[0i32; 4]; 4];
        let shift = CONST_BITS + PASS1_BITS;
        pass4(&tmp, &mut px, shift, level_shift(shift));
        for y in 0..4 {
            let row = &mut out[y * stride..y * stride + 4];
            for (x, p) in row.iter_mut().enumerate() {
                *p = clamp_pixel(px[x][y]);
            }
        }
    }
}

/// 2×2 pixels from the 2×2 corner `[F00, F01, F10, F11]`. With two points the cosines are
/// ±cos(π/4), so the transform is exact: sums and differences over 8.
pub(crate) fn idct2(coefs: &[i32; 4], out: &mut [u8], stride: usize) {
    let [f00, f01, f10, f11] = *coefs;
    let (a, b) = (f00 + f10, f00 - f10);
    let (c, d) = (f01 + f11, f01 - f11);
    let px = |s: i32| clamp_pixel(((s + 4) >> 3) + 128);
    out[0] = px(a + c);
    out[1] = px(a - c);
    out[stride] = px(b + d);
    out[stride + 1] = px(b - d);
}

/// The value of every pixel of a block whose only non-zero coefficient is the DC: the block
/// mean, `F00 / 8`. (Also the whole 1/8-scale transform.)
#[inline]
pub(crate) fn dc_value(dc: i32) -> u8 {
    clamp_pixel(((dc + 4) >> 3) + 128)
}

/// Fills an `n`×`n` block with one value.
#[inline]
pub(crate) fn fill(value: u8, n: usize, out: &mut [u8], stride: usize) {
    for y in 0..n {
        out[y * stride..y * stride + n].fill(value);
    }
}

/// The floating-point definition: `n`×`n` pixels (before rounding and clamping, without the
/// level shift) from the `n`×`n` low-frequency corner in natural order.
#[cfg(test)]
pub(crate) fn reference(coefs: &[f64], n: usize) -> Vec<f64> {
    use std::f64::consts::{FRAC_1_SQRT_2, PI};
    let c = |u: usize| if u == 0 { FRAC_1_SQRT_2 } else { 1.0 };
    let mut out = vec![0.0; n * n];
    for y in 0..n {
        for x in 0..n {
            let mut sum = 0.0;
            for v in 0..n {
                for u in 0..n {
                    let cx = ((2 * x + 1) as f64 * u as f64 * PI / (2 * n) as f64).cos();
                    let cy = ((2 * y + 1) as f64 * v as f64 * PI / (2 * n) as f64).cos();
                    sum += c(u) * c(v) * coefs[v * n + u] * cx * cy;
                }
            }
            out[y * n + x] = sum / 4.0;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator: coefficients shaped like real blocks (large DC,
    /// decaying AC), plus some at the extremes.
    fn blocks() -> Vec<[i32; 64]> {
        let mut state = 0x1234_5678_u32;
        let mut next = move || {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            state
        };
        let mut out = Vec::new();
        for i in 0..400 {
            let mut b = [0i32; 64];
            for (k, c) in b.iter_mut().enumerate() {
                let (u, v) = (k % 8, k / 8);
                let range = if i % 50 == 0 { 2 * COEF_LIMIT } else { 1200 / (1 + (u + v) as i32 * 2) };
                *c = (next() % (2 * range as u32 + 1)) as i32 - range;
                *c = (*c).clamp(-COEF_LIMIT, COEF_LIMIT);
                if i % 3 == 0 && k > 10 {
                    *c = 0;
                }
            }
            out.push(b);
        }
        out
    }

    fn corner(b: &[i32; 64], n: usize) -> Vec<i32> {
        (0..n * n).map(|i| b[(i / n) * 8 + i % n]).collect()
    }

    fn check(n: usize, run: impl Fn(&[i32], &mut [u8])) {
        let mut worst = 0.0f64;
        for b in blocks() {
            let c = corner(&b, n);
            let reference = reference(&c.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(), n);
            let mut out = vec![0u8; n * n];
            run(&c, &mut out);
            for (o, r) in out.iter().zip(&reference) {
                let expected = (r + 128.0).clamp(0.0, 255.0);
                worst = worst.max((f64::from(*o) - expected).abs());
            }
        }
        // Within one grey level of the exact value (rounding of the 13-bit constants).
        assert!(worst <= 1.0, "{n}x{n}: worst error {worst}");
    }

    /// Asserts that an 8×8 transform's output equals [`scalar::idct8`]'s, byte for byte,
    /// over every test block (including the extremes of the coefficient range).
    pub(super) fn assert_same_as_scalar8(run: impl Fn(&[i32; 64], &mut [u8])) {
        for (i, b) in blocks().iter().enumerate() {
            let (mut expected, mut got) = ([0u8; 64], [0u8; 64]);
            scalar::idct8(b, &mut expected, 8);
            run(b, &mut got);
            assert_eq!(got, expected, "block {i}: {b:?}");
        }
    }

    /// Asserts that a 4×4 transform's output equals [`scalar::idct4`]'s, byte for byte.
    pub(super) fn assert_same_as_scalar4(run: impl Fn(&[i32; 16], &mut [u8])) {
        for (i, b) in blocks().iter().enumerate() {
            let c: [i32; 16] = corner(b, 4).try_into().unwrap();
            let (mut expected, mut got) = ([0u8; 16], [0u8; 16]);
            scalar::idct4(&c, &mut expected, 4);
            run(&c, &mut got);
            assert_eq!(got, expected, "block {i}: {c:?}");
        }
    }

    #[test]
    fn dispatched_transforms_match_the_scalar_ones() {
        // Whatever back end this machine picks; the per-back-end tests are in their modules.
        assert_same_as_scalar8(|c, out| idct8(c, out, 8));
        assert_same_as_scalar4(|c, out| idct4(c, out, 4));
    }

    #[test]
    fn transforms_respect_the_stride() {
        let b = &blocks()[1];
        let mut packed = [0u8; 64];
        idct8(b, &mut packed, 8);
        let mut wide = vec![7u8; 8 * 13 + 8];
        idct8(b, &mut wide, 13);
        for y in 0..8 {
            assert_eq!(&wide[y * 13..y * 13 + 8], &packed[y * 8..y * 8 + 8]);
            if y < 7 {
                assert!(wide[y * 13 + 8..(y + 1) * 13].iter().all(|&p| p == 7), "bytes between rows untouched");
            }
        }
    }

    #[test]
    fn constants_match_their_definition() {
        let k = [K1, K2, K3, K4, K5, K6, K7];
        for (i, &c) in k.iter().enumerate() {
            let exact = 0.5 * ((i + 1) as f64 * std::f64::consts::PI / 16.0).cos() * f64::from(1 << CONST_BITS);
            assert_eq!(c, exact.round() as i32, "K{}", i + 1);
        }
    }

    #[test]
    fn idct8_matches_the_float_definition() {
        check(8, |c, out| idct8(c.try_into().unwrap(), out, 8));
    }

    #[test]
    fn idct4_matches_the_float_definition() {
        check(4, |c, out| idct4(c.try_into().unwrap(), out, 4));
    }

    #[test]
    fn idct2_matches_the_float_definition() {
        check(2, |c, out| idct2(c.try_into().unwrap(), out, 2));
    }

    #[test]
    fn dc_only_matches_the_float_definition() {
        check(1, |c, out| out[0] = dc_value(c[0]));
        // And a DC-only 8x8 block is flat at the same value.
        for dc in [-1024, -517, -3, 0, 4, 5, 12, 700, 1023] {
            let mut b = [0; 64];
            b[0] = dc;
            let mut out = [0u8; 64];
            idct8(&b, &mut out, 8);
            assert!(out.iter().all(|&p| p.abs_diff(dc_value(dc)) <= 1), "dc {dc}: {out:?}");
        }
    }

    #[test]
    fn reduced_transforms_average_like_the_full_one() {
        // The mean of a reduced block equals the mean of the full block (the DC term).
        for b in blocks().iter().filter(|b| b[0].abs() < 300 && b[1..].iter().map(|v| v.abs()).sum::<i32>() < 300) {
            let mut full = [0u8; 64];
            idct8(b, &mut full, 8);
            let mut small = [0u8; 16];
            idct4(corner(b, 4).as_slice().try_into().unwrap(), &mut small, 4);
            let mean = |p: &[u8]| p.iter().map(|&v| f64::from(v)).sum::<f64>() / p.len() as f64;
            assert!((mean(&full) - mean(&small)).abs() < 2.0);
        }
    }
}
