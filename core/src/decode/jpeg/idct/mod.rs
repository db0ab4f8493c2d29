//! Inverse DCTs that produce a `w`×`h` block of pixels (each side 1 to 8) from the
//! low-frequency corner of an 8×8 block of coefficients: decoding at any scale M/8.
//!
//! The 8-point inverse DCT of T.81 A.3.3, written per dimension, is
//! `g(x) = ½ Σ C(u) F(u) cos((2x + 1)uπ/16)` with `C(0) = 1/√2`, `C(u) = 1` otherwise. The
//! N-point reduced transform keeps the N lowest coefficients and evaluates the same cosines
//! at the centres of the N groups of 8/N samples, `cos((2x + 1)uπ/2N)`: the DC term (the
//! block mean) is unchanged and frequencies the smaller block cannot hold are dropped, which
//! band-limits before the sampling, as a downscale should.
//!
//! The 8×8 transform is libjpeg's accurate integer one (`jidctint.c`, the Loeffler,
//! Ligtenberg and Moschytz factorisation: 12 multiplies per 8 points), operation for
//! operation, so full-size decodes agree with libjpeg-turbo's to the bit wherever the
//! upsampling and colour conversion do. The 4×4 transform uses the even/odd symmetry
//! `g(N-1-x) = E(x) - O(x)` with 13-bit constants, the other sizes a plain separable product
//! ([`generic`]). The 8×8 and 4×4 transforms, which dequantise as they load, exist twice:
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

// round(½ cos(kπ/16) · 2^13) for the 4×4 transform, checked by
// `constants_match_their_definition`.
const K2: i32 = 3784;
const K4: i32 = 2896;
const K6: i32 = 1567;

// libjpeg's constants for the 8×8 transform: round(x · 2^13), `x` named by the FIX_ macro.
const FIX_0_298631336: i32 = 2446;
const FIX_0_390180644: i32 = 3196;
const FIX_0_541196100: i32 = 4433;
const FIX_0_765366865: i32 = 6270;
const FIX_0_899976223: i32 = 7373;
const FIX_1_175875602: i32 = 9633;
const FIX_1_501321110: i32 = 12299;
const FIX_1_847759065: i32 = 15137;
const FIX_1_961570560: i32 = 16069;
const FIX_2_053119869: i32 = 16819;
const FIX_2_562915447: i32 = 20995;
const FIX_3_072711026: i32 = 25172;
/// The 8×8 transform's second pass also divides by 8.
const LLM_SHIFT2: u32 = CONST_BITS + PASS1_BITS + 3;

/// Largest dequantised coefficient magnitude kept. Real 8-bit data stays below about 1200
/// (DC at most 1024 plus half a quantiser step).
const COEF_LIMIT: i32 = 4095;
/// Largest magnitude the 8×8 transform's first pass hands to the second. Real data stays
/// below about 6000; the bound keeps every intermediate of the second pass within `i32`
/// (at most 61·2^13 times it) for hostile input.
const PASS1_LIMIT: i32 = 16384;

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

/// One 8-point pass of libjpeg's `jpeg_idct_islow` over eight lanes: `out[x][lane]` from
/// `inp[u][lane]`, descaled by `shift` with rounding, plus `bias` (already scaled) added
/// before the shift.
#[inline(always)]
fn llm8(inp: &[[i32; 8]; 8], out: &mut [[i32; 8]; 8], shift: u32, bias: i32) {
    let round = (1 << (shift - 1)) + bias;
    for l in 0..8 {
        // Even part: the rotator is sqrt(2)·c(-6).
        let (z2, z3) = (inp[2][l], inp[6][l]);
        let z1 = (z2 + z3) * FIX_0_541196100;
        let tmp2 = z1 - z3 * FIX_1_847759065;
        let tmp3 = z1 + z2 * FIX_0_765366865;
        let tmp0 = ((inp[0][l] + inp[4][l]) << CONST_BITS) + round;
        let tmp1 = ((inp[0][l] - inp[4][l]) << CONST_BITS) + round;
        let (tmp10, tmp13, tmp11, tmp12) = (tmp0 + tmp3, tmp0 - tmp3, tmp1 + tmp2, tmp1 - tmp2);
        // Odd part.
        let (t0, t1, t2, t3) = (inp[7][l], inp[5][l], inp[3][l], inp[1][l]);
        let (z1, z2, z3, z4) = (t0 + t3, t1 + t2, t0 + t2, t1 + t3);
        let z5 = (z3 + z4) * FIX_1_175875602;
        let z1 = z1 * -FIX_0_899976223;
        let z2 = z2 * -FIX_2_562915447;
        let z3 = z3 * -FIX_1_961570560 + z5;
        let z4 = z4 * -FIX_0_390180644 + z5;
        let t0 = t0 * FIX_0_298631336 + z1 + z3;
        let t1 = t1 * FIX_2_053119869 + z2 + z4;
        let t2 = t2 * FIX_3_072711026 + z2 + z3;
        let t3 = t3 * FIX_1_501321110 + z1 + z4;
        out[0][l] = (tmp10 + t3) >> shift;
        out[7][l] = (tmp10 - t3) >> shift;
        out[1][l] = (tmp11 + t2) >> shift;
        out[6][l] = (tmp11 - t2) >> shift;
        out[2][l] = (tmp12 + t1) >> shift;
        out[5][l] = (tmp12 - t1) >> shift;
        out[3][l] = (tmp13 + t0) >> shift;
        out[4][l] = (tmp13 - t0) >> shift;
    }
}

/// One 4-point pass over four lanes (see [`llm8`] for the layout).
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

/// 8×8 pixels from 64 coefficients and their quantisers in natural (row-major) order, with
/// the best back end the CPU has.
#[inline]
pub(crate) fn idct8(coefs: &[i32; 64], quant: &[i32; 64], out: &mut [u8], stride: usize) {
    #[cfg(target_arch = "x86_64")]
    if x86::idct8(coefs, quant, out, stride) {
        return;
    }
    #[cfg(target_arch = "aarch64")]
    return arm::idct8(coefs, quant, out, stride);
    // wasm32 keeps the scalar 8×8 (which the compiler vectorises for simd128), for the
    // module's size budget.
    #[allow(unreachable_code)]
    scalar::idct8(coefs, quant, out, stride)
}

/// 4×4 pixels from the 4×4 low-frequency corner of 64 coefficients and their quantisers in
/// natural order, with the best back end the CPU has.
#[inline]
pub(crate) fn idct4(coefs: &[i32; 64], quant: &[i32; 64], out: &mut [u8], stride: usize) {
    #[cfg(target_arch = "x86_64")]
    if x86::idct4(coefs, quant, out, stride) {
        return;
    }
    #[cfg(target_arch = "aarch64")]
    return arm::idct4(coefs, quant, out, stride);
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    return wasm::idct4(coefs, quant, out, stride);
    #[allow(unreachable_code)]
    scalar::idct4(coefs, quant, out, stride)
}

/// The portable transforms: the reference for the SIMD back ends.
pub(crate) mod scalar {
    use super::*;

    /// 8×8 pixels from 64 coefficients and their quantisers in natural (row-major) order:
    /// libjpeg's `jpeg_idct_islow`.
    pub(crate) fn idct8(coefs: &[i32; 64], quant: &[i32; 64], out: &mut [u8], stride: usize) {
        let mut rows = [[0i32; 8]; 8];
        for (i, (&c, &q)) in coefs.iter().zip(quant).enumerate() {
            rows[i / 8][i % 8] = dequantise(c, q);
        }
        // Pass 1 down the columns (lanes are columns u), keeping PASS1_BITS extra bits.
        let mut tmp = [[0i32; 8]; 8];
        llm8(&rows, &mut tmp, CONST_BITS - PASS1_BITS, 0);
        for v in tmp.iter_mut().flatten() {
            *v = (*v).clamp(-PASS1_LIMIT, PASS1_LIMIT);
        }
        // Pass 2 along the rows: transpose so that lanes are the output rows y.
        let tmp = transpose(&tmp);
        let mut px = [[0i32; 8]; 8];
        llm8(&tmp, &mut px, LLM_SHIFT2, level_shift(LLM_SHIFT2));
        // px[x][y]
        for y in 0..8 {
            let row = &mut out[y * stride..y * stride + 8];
            for (x, p) in row.iter_mut().enumerate() {
                *p = clamp_pixel(px[x][y]);
            }
        }
    }

    /// See [`super::generic`]: the reference for its vectorised versions (which may also
    /// write the rest of each row's 8 bytes).
    pub(crate) fn generic(coefs: &[i32; 64], quant: &[i32; 64], w: usize, h: usize, out: &mut [u8], stride: usize) {
        debug_assert!((1..=8).contains(&w) && (1..=8).contains(&h));
        let (bw, bh) = (&BASIS[w - 1], &BASIS[h - 1]);
        let mut dequantised = [0i32; 64];
        for v in 0..h {
            for u in 0..w {
                dequantised[v * 8 + u] = dequantise(coefs[v * 8 + u], quant[v * 8 + u]);
            }
        }
        let coefs = dequantised;
        let shift1 = CONST_BITS - PASS1_BITS;
        // Pass 1 down the columns: tmp[y][u]. Sums stay within i32 (see COEF_LIMIT: the
        // weights of a row add up to at most 21641 in magnitude).
        let mut tmp = [[0i32; 8]; 8];
        for (y, row) in tmp.iter_mut().enumerate().take(h) {
            for (u, t) in row.iter_mut().enumerate().take(w) {
                let mut sum = 1 << (shift1 - 1);
                for v in 0..h {
                    sum += i32::from(bh[y][v]) * coefs[v * 8 + u];
                }
                *t = sum >> shift1;
            }
        }
        // Pass 2 along the rows, with the level shift.
        let shift2 = CONST_BITS + PASS1_BITS;
        let round2 = (1 << (shift2 - 1)) + level_shift(shift2);
        for (y, row) in tmp.iter().enumerate().take(h) {
            let line = &mut out[y * stride..y * stride + w];
            for (x, p) in line.iter_mut().enumerate() {
                let mut sum = round2;
                for u in 0..w {
                    sum += i32::from(bw[x][u]) * row[u];
                }
                *p = clamp_pixel(sum >> shift2);
            }
        }
    }

    /// [`generic`] for an `N`×`N` block, with the size known at compile time: the same
    /// arithmetic (bit-identical), unrolled, for the small sizes whose vector version would
    /// spend more on transposes than on products.
    #[inline]
    pub(crate) fn square<const N: usize>(coefs: &[i32; 64], quant: &[i32; 64], out: &mut [u8], stride: usize) {
        let b = &BASIS[N - 1];
        let mut d = [[0i32; N]; N];
        for (v, row) in d.iter_mut().enumerate() {
            for (u, c) in row.iter_mut().enumerate() {
                *c = dequantise(coefs[v * 8 + u], quant[v * 8 + u]);
            }
        }
        let shift1 = CONST_BITS - PASS1_BITS;
        let mut tmp = [[0i32; N]; N];
        for (y, row) in tmp.iter_mut().enumerate() {
            for (u, t) in row.iter_mut().enumerate() {
                let mut sum = 1 << (shift1 - 1);
                for (v, drow) in d.iter().enumerate() {
                    sum += i32::from(b[y][v]) * drow[u];
                }
                *t = sum >> shift1;
            }
        }
        let shift2 = CONST_BITS + PASS1_BITS;
        let round2 = (1 << (shift2 - 1)) + level_shift(shift2);
        for (y, row) in tmp.iter().enumerate() {
            let line = &mut out[y * stride..y * stride + N];
            for (x, p) in line.iter_mut().enumerate() {
                let mut sum = round2;
                for (u, &t) in row.iter().enumerate() {
                    sum += i32::from(b[x][u]) * t;
                }
                *p = clamp_pixel(sum >> shift2);
            }
        }
    }

    /// 4×4 pixels from the 4×4 low-frequency corner of 64 coefficients and their quantisers
    /// in natural order.
    pub(crate) fn idct4(coefs: &[i32; 64], quant: &[i32; 64], out: &mut [u8], stride: usize) {
        let mut rows = [[0i32; 4]; 4];
        for (v, row) in rows.iter_mut().enumerate() {
            for (u, r) in row.iter_mut().enumerate() {
                *r = dequantise(coefs[v * 8 + u], quant[v * 8 + u]);
            }
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

/// `BASIS[n - 1][x][u]`: the `n`-point inverse DCT's weight of coefficient `u` at output
/// sample `x`, `round(½ C(u) cos((2x + 1)uπ/2n) · 2^13)`, for `x, u < n` (zero elsewhere).
/// Checked by `basis_matches_its_definition`.
static BASIS: [[[i16; 8]; 8]; 8] = basis();

/// Computes [`BASIS`] at compile time (with a Taylor series for the cosine, exact to far
/// better than the rounding needs).
const fn basis() -> [[[i16; 8]; 8]; 8] {
    const PI: f64 = std::f64::consts::PI;
    /// cos(x) for x in 0..=π (the caller folds other angles into that range).
    const fn cos_0_pi(x: f64) -> f64 {
        let x2 = x * x;
        let (mut term, mut sum, mut k) = (1.0, 1.0, 1);
        while k < 30 {
            term = -term * x2 / ((2 * k - 1) * (2 * k)) as f64;
            sum += term;
            k += 1;
        }
        sum
    }
    let mut table = [[[0i16; 8]; 8]; 8];
    let mut n = 1;
    while n <= 8 {
        let mut x = 0;
        while x < n {
            let mut u = 0;
            while u < n {
                // The angle (2x + 1)uπ/2n, folded into 0..=π: cos is even and 2π-periodic.
                let half_turns = ((2 * x + 1) * u) % (4 * n); // in units of π/2n
                let folded = if half_turns > 2 * n { 4 * n - half_turns } else { half_turns };
                let c = cos_0_pi(folded as f64 * PI / (2 * n) as f64);
                let scale = if u == 0 { std::f64::consts::FRAC_1_SQRT_2 } else { 1.0 };
                let v = 0.5 * scale * c * 8192.0;
                table[n - 1][x][u] = if v >= 0.0 { (v + 0.5) as i16 } else { (v - 0.5) as i16 };
                u += 1;
            }
            x += 1;
        }
        n += 1;
    }
    table
}

/// `w`×`h` pixels (each 1..=8) from the `h`×`w` low-frequency corner of 64 coefficients and
/// their quantisers in natural order: the reduced transform for any scale M/8. A separable
/// product with the [`BASIS`] weights; vectorised on x86-64 with AVX2 (the same arithmetic:
/// bit-identical, tested), plain elsewhere. The vectorised version writes whole rows of 8
/// bytes, so `out` must hold 8 bytes from the start of each of the `h` rows (the pixels
/// past `w` are then overwritten by the block to the right). The sizes with a fast
/// transform of their own use it instead (see [`block`]).
#[inline]
pub(crate) fn generic(coefs: &[i32; 64], quant: &[i32; 64], w: usize, h: usize, out: &mut [u8], stride: usize) {
    #[cfg(target_arch = "x86_64")]
    if x86::generic(coefs, quant, w, h, out, stride) {
        return;
    }
    scalar::generic(coefs, quant, w, h, out, stride);
}

/// Dequantises a block (coefficients and quantisers in natural order, `v * 8 + u`) and
/// writes its `w`×`h` pixels with the fastest transform for that size. `any_ac` false means
/// only the DC coefficient can be non-zero: the block is flat. `out` must hold 8 bytes from
/// the start of each row (see [`generic`]).
#[inline]
pub(crate) fn block(
    coefs: &[i32; 64],
    quant: &[i32; 64],
    any_ac: bool,
    w: usize,
    h: usize,
    out: &mut [u8],
    stride: usize,
) {
    if !any_ac {
        fill(dc_value(dequantise(coefs[0], quant[0])), w, h, out, stride);
        return;
    }
    match (w, h) {
        (8, 8) => idct8(coefs, quant, out, stride),
        (4, 4) => idct4(coefs, quant, out, stride),
        (2, 2) => idct2(&[0, 1, 8, 9].map(|i| dequantise(coefs[i], quant[i])), out, stride),
        (1, 1) => out[0] = dc_value(dequantise(coefs[0], quant[0])),
        // Unrolled at compile time: cheaper than the vector version's transposes at 3×3, and
        // than the plain loops at every size where there is no vector version.
        (3, 3) => scalar::square::<3>(coefs, quant, out, stride),
        #[cfg(not(target_arch = "x86_64"))]
        (5, 5) => scalar::square::<5>(coefs, quant, out, stride),
        #[cfg(not(target_arch = "x86_64"))]
        (6, 6) => scalar::square::<6>(coefs, quant, out, stride),
        #[cfg(not(target_arch = "x86_64"))]
        (7, 7) => scalar::square::<7>(coefs, quant, out, stride),
        _ => generic(coefs, quant, w, h, out, stride),
    }
}

/// 2×2 pixels from the 2×2 corner `[F00, F01, F10, F11]`, dequantised. With two points the
/// cosines are ±cos(π/4), so the transform is exact: sums and differences over 8.
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

/// Fills a `w`×`h` block with one value.
#[inline]
pub(crate) fn fill(value: u8, w: usize, h: usize, out: &mut [u8], stride: usize) {
    for y in 0..h {
        out[y * stride..y * stride + w].fill(value);
    }
}

/// The floating-point definition: `n`×`n` pixels (before rounding and clamping, without the
/// level shift) from the `n`×`n` low-frequency corner in natural order.
#[cfg(test)]
pub(crate) fn reference(coefs: &[f64], n: usize) -> Vec<f64> {
    reference_rect(coefs, n, n)
}

/// The floating-point definition for a `w`×`h` block from its `w`×`h` corner.
#[cfg(test)]
pub(crate) fn reference_rect(coefs: &[f64], w: usize, h: usize) -> Vec<f64> {
    use std::f64::consts::{FRAC_1_SQRT_2, PI};
    let c = |u: usize| if u == 0 { FRAC_1_SQRT_2 } else { 1.0 };
    let mut out = vec![0.0; w * h];
    for y in 0..h {
        for x in 0..w {
            let mut sum = 0.0;
            for v in 0..h {
                for u in 0..w {
                    let cx = ((2 * x + 1) as f64 * u as f64 * PI / (2 * w) as f64).cos();
                    let cy = ((2 * y + 1) as f64 * v as f64 * PI / (2 * h) as f64).cos();
                    sum += c(u) * c(v) * coefs[v * w + u] * cx * cy;
                }
            }
            out[y * w + x] = sum / 4.0;
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

    #[allow(dead_code)]
    fn corner(b: &[i32; 64], n: usize) -> Vec<i32> {
        (0..n * n).map(|i| b[(i / n) * 8 + i % n]).collect()
    }

    /// Checks a transform against the float definition on blocks of real-data magnitudes,
    /// and that the extreme ones (every coefficient near the clamp) go through without
    /// overflowing (which debug builds would report).
    fn check(n: usize, run: impl Fn(&[i32], &mut [u8])) {
        let mut worst = 0.0f64;
        for (i, b) in blocks().into_iter().enumerate() {
            let c = corner(&b, n);
            if i % 50 == 0 {
                run(&c, &mut vec![0u8; n * n]);
                continue;
            }
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

    /// Quantisers of one: the test blocks are already dequantised.
    const ONES: [i32; 64] = [1; 64];

    /// The test blocks as stored coefficients and quantisers: once with quantisers of one,
    /// once divided by a table of real quantisers (what `block` hands over).
    fn quantised_blocks() -> Vec<([i32; 64], [i32; 64])> {
        let steps: [i32; 64] = std::array::from_fn(|i| 2 + (i as i32 * 7) % 23);
        blocks().into_iter().flat_map(|b| [(b, ONES), (std::array::from_fn(|i| b[i] / steps[i]), steps)]).collect()
    }

    /// Asserts that an 8×8 transform's output equals [`scalar::idct8`]'s, byte for byte,
    /// over every test block (including the extremes of the coefficient range).
    pub(super) fn assert_same_as_scalar8(run: impl Fn(&[i32; 64], &[i32; 64], &mut [u8])) {
        for (i, (b, q)) in quantised_blocks().iter().enumerate() {
            let (mut expected, mut got) = ([0u8; 64], [0u8; 64]);
            scalar::idct8(b, q, &mut expected, 8);
            run(b, q, &mut got);
            assert_eq!(got, expected, "block {i}: {b:?} / {q:?}");
        }
    }

    /// Asserts that a 4×4 transform's output equals [`scalar::idct4`]'s, byte for byte.
    pub(super) fn assert_same_as_scalar4(run: impl Fn(&[i32; 64], &[i32; 64], &mut [u8])) {
        for (i, (b, q)) in quantised_blocks().iter().enumerate() {
            let (mut expected, mut got) = ([0u8; 16], [0u8; 16]);
            scalar::idct4(b, q, &mut expected, 4);
            run(b, q, &mut got);
            assert_eq!(got, expected, "block {i}: {b:?} / {q:?}");
        }
    }

    #[test]
    fn dispatched_transforms_match_the_scalar_ones() {
        // Whatever back end this machine picks; the per-back-end tests are in their modules.
        assert_same_as_scalar8(|c, q, out| idct8(c, q, out, 8));
        assert_same_as_scalar4(|c, q, out| idct4(c, q, out, 4));
    }

    #[test]
    fn transforms_respect_the_stride() {
        let b = &blocks()[1];
        let mut packed = [0u8; 64];
        idct8(b, &ONES, &mut packed, 8);
        let mut wide = vec![7u8; 8 * 13 + 8];
        idct8(b, &ONES, &mut wide, 13);
        for y in 0..8 {
            assert_eq!(&wide[y * 13..y * 13 + 8], &packed[y * 8..y * 8 + 8]);
            if y < 7 {
                assert!(wide[y * 13 + 8..(y + 1) * 13].iter().all(|&p| p == 7), "bytes between rows untouched");
            }
        }
    }

    #[test]
    fn libjpeg_constants_are_rounded_from_their_names() {
        let named = [
            (FIX_0_298631336, 0.298631336),
            (FIX_0_390180644, 0.390180644),
            (FIX_0_541196100, 0.541196100),
            (FIX_0_765366865, 0.765366865),
            (FIX_0_899976223, 0.899976223),
            (FIX_1_175875602, 1.175875602),
            (FIX_1_501321110, 1.501321110),
            (FIX_1_847759065, 1.847759065),
            (FIX_1_961570560, 1.961570560),
            (FIX_2_053119869, 2.053119869),
            (FIX_2_562915447, 2.562915447),
            (FIX_3_072711026, 3.072711026),
        ];
        for (c, x) in named {
            assert_eq!(c, (x * 8192.0_f64).round() as i32, "{x}");
        }
    }

    #[test]
    fn basis_matches_its_definition() {
        use std::f64::consts::{FRAC_1_SQRT_2, PI};
        for (n, table) in (1..=8).zip(&BASIS) {
            for (x, row) in table.iter().enumerate() {
                for (u, &weight) in row.iter().enumerate() {
                    let exact = if x < n && u < n {
                        let c = if u == 0 { FRAC_1_SQRT_2 } else { 1.0 };
                        (0.5 * c * ((2 * x + 1) as f64 * u as f64 * PI / (2 * n) as f64).cos() * 8192.0).round()
                    } else {
                        0.0
                    };
                    assert_eq!(f64::from(weight), exact, "n {n} x {x} u {u}");
                }
            }
        }
    }

    /// `w`×`h` corner of a test block in rows of 8, zero elsewhere.
    fn rows8(b: &[i32; 64], w: usize, h: usize) -> [i32; 64] {
        std::array::from_fn(|i| if i / 8 < h && i % 8 < w { b[i] } else { 0 })
    }

    #[test]
    fn generic_transforms_match_the_float_definition() {
        for n in 1..=8 {
            check(n, |c, out| {
                let rows: [i32; 64] =
                    std::array::from_fn(|i| if i / 8 < n && i % 8 < n { c[(i / 8) * n + i % 8] } else { 0 });
                let mut padded = vec![0u8; n * 8 + 8];
                generic(&rows, &ONES, n, n, &mut padded, 8);
                for y in 0..n {
                    out[y * n..y * n + n].copy_from_slice(&padded[y * 8..y * 8 + n]);
                }
            });
        }
        // Rectangular blocks: each direction is its own 1-D transform.
        for (w, h) in [(8, 4), (4, 8), (6, 3), (3, 6), (2, 1), (1, 2), (8, 7), (5, 7)] {
            for b in blocks().iter().skip(1).step_by(7) {
                let c: Vec<i32> = (0..w * h).map(|i| b[(i / w) * 8 + i % w]).collect();
                let mut out = vec![0u8; w * h];
                scalar::generic(&rows8(b, w, h), &ONES, w, h, &mut out, w);
                let exact = reference_rect(&c.iter().map(|&v| f64::from(v)).collect::<Vec<_>>(), w, h);
                for (o, e) in out.iter().zip(&exact) {
                    let e = (e + 128.0).clamp(0.0, 255.0);
                    assert!((f64::from(*o) - e).abs() <= 1.0, "{w}x{h}: {o} vs {e}");
                }
            }
        }
    }

    /// Asserts that a generic transform's pixels equal [`scalar::generic`]'s for every size,
    /// and that it writes nothing past each row's 8 bytes.
    pub(super) fn assert_same_as_scalar_generic(run: impl Fn(&[i32; 64], &[i32; 64], usize, usize, &mut [u8], usize)) {
        for (i, (b, q)) in quantised_blocks().iter().enumerate() {
            for w in 1..=8 {
                for h in 1..=8 {
                    let rows = rows8(b, w, h);
                    let (mut expected, mut got) = ([7u8; 96], [7u8; 96]);
                    scalar::generic(&rows, q, w, h, &mut expected, 12);
                    run(&rows, q, w, h, &mut got, 12);
                    for y in 0..12 {
                        let row = y * 12;
                        if y < h {
                            assert_eq!(got[row..row + w], expected[row..row + w], "block {i} at {w}x{h}, row {y}");
                            assert!(got[row + 8..row + 12].iter().all(|&p| p == 7), "past 8 bytes: {w}x{h}");
                        } else if row < 96 {
                            assert!(got[row..(row + 12).min(96)].iter().all(|&p| p == 7), "below the block: {w}x{h}");
                        }
                    }
                }
            }
        }
    }

    #[test]
    fn fixed_size_transforms_match_the_generic_one() {
        for (b, q) in quantised_blocks() {
            let (mut expected, mut got) = ([0u8; 64], [0u8; 64]);
            scalar::generic(&b, &q, 3, 3, &mut expected, 8);
            scalar::square::<3>(&b, &q, &mut got, 8);
            assert_eq!(got, expected);
            scalar::generic(&b, &q, 6, 6, &mut expected, 8);
            scalar::square::<6>(&b, &q, &mut got, 8);
            assert_eq!(got, expected);
        }
    }

    #[test]
    fn dispatched_generic_matches_the_scalar_one() {
        assert_same_as_scalar_generic(generic);
    }

    #[test]
    fn constants_match_their_definition() {
        for (k, c) in [(2, K2), (4, K4), (6, K6)] {
            let exact = 0.5 * (k as f64 * std::f64::consts::PI / 16.0).cos() * f64::from(1 << CONST_BITS);
            assert_eq!(c, exact.round() as i32, "K{k}");
        }
    }

    #[test]
    fn idct8_matches_the_float_definition() {
        check(8, |c, out| idct8(c.try_into().unwrap(), &ONES, out, 8));
    }

    #[test]
    fn idct4_matches_the_float_definition() {
        check(4, |c, out| {
            idct4(
                &rows8(&std::array::from_fn(|i| if i / 8 < 4 && i % 8 < 4 { c[(i / 8) * 4 + i % 8] } else { 0 }), 4, 4),
                &ONES,
                out,
                4,
            )
        });
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
            idct8(&b, &ONES, &mut out, 8);
            assert!(out.iter().all(|&p| p.abs_diff(dc_value(dc)) <= 1), "dc {dc}: {out:?}");
        }
    }

    #[test]
    fn reduced_transforms_average_like_the_full_one() {
        // The mean of a reduced block equals the mean of the full block (the DC term).
        for b in blocks().iter().filter(|b| b[0].abs() < 300 && b[1..].iter().map(|v| v.abs()).sum::<i32>() < 300) {
            let mut full = [0u8; 64];
            idct8(b, &ONES, &mut full, 8);
            let mut small = [0u8; 16];
            idct4(&rows8(b, 4, 4), &ONES, &mut small, 4);
            let mean = |p: &[u8]| p.iter().map(|&v| f64::from(v)).sum::<f64>() / p.len() as f64;
            assert!((mean(&full) - mean(&small)).abs() < 2.0);
        }
    }
}
