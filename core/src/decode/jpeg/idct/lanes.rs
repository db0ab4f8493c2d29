//! The 8×8 and 4×4 inverse DCTs written once over a vector of `i32` lanes, for the explicit
//! SIMD back ends (`x86`, `arm`, `wasm`). Each back end supplies the handful of lane
//! operations below; the arithmetic is the same, operation for operation, as the scalar
//! transforms in the parent module, so every back end's output is bit-identical to them (the
//! tests check it).
//!
//! The data flow of both sizes: load the coefficient rows (lanes are the columns u), pass 1
//! down the columns, transpose (lanes become the output rows y), pass 2 along the rows,
//! transpose back (lanes become the output columns x), clamp and narrow to bytes, store.

use super::{CONST_BITS, K2, K4, K6, PASS1_BITS};
#[cfg(not(target_arch = "wasm32"))]
use super::{
    FIX_0_298631336, FIX_0_390180644, FIX_0_541196100, FIX_0_765366865, FIX_0_899976223, FIX_1_175875602,
    FIX_1_501321110, FIX_1_847759065, FIX_1_961570560, FIX_2_053119869, FIX_2_562915447, FIX_3_072711026, PASS1_LIMIT,
};

/// Shift of pass 1, which keeps [`PASS1_BITS`] extra fractional bits.
const SHIFT1: i32 = (CONST_BITS - PASS1_BITS) as i32;
/// Shift of the 4×4 transform's pass 2.
const SHIFT2: i32 = (CONST_BITS + PASS1_BITS) as i32;
/// Rounding of pass 1.
const ROUND1: i32 = 1 << (SHIFT1 - 1);
/// Rounding of the 4×4 transform's pass 2 plus the level shift (+128) of T.81 A.3.1, in
/// pass-2 units.
const ROUND2: i32 = (1 << (SHIFT2 - 1)) + (128 << SHIFT2);
/// The same for the 8×8 transform, whose pass 2 also divides by 8.
#[cfg(not(target_arch = "wasm32"))]
const LLM2: i32 = super::LLM_SHIFT2 as i32;
#[cfg(not(target_arch = "wasm32"))]
const LLM_ROUND2: i32 = (1 << (LLM2 - 1)) + (128 << LLM2);

/// Lane-wise `i32` arithmetic, as the transforms use it. Products and sums never overflow:
/// the inputs are clamped as the scalar transforms clamp them.
pub(super) trait Lanes: Copy {
    fn splat(v: i32) -> Self;
    fn add(self, other: Self) -> Self;
    fn sub(self, other: Self) -> Self;
    /// Multiplies by a constant.
    fn mul(self, k: i32) -> Self;
    /// Multiplies lane by lane.
    fn mul_lanes(self, other: Self) -> Self;
    /// Arithmetic shift right by `N`.
    fn shr<const N: i32>(self) -> Self;
    /// Shift left by `N`.
    #[cfg_attr(target_arch = "wasm32", allow(dead_code))]
    fn shl<const N: i32>(self) -> Self;
    /// Clamps every lane to `-limit..=limit`.
    fn clamp(self, limit: i32) -> Self;
}

/// Four lanes: one 4×4 block, or half of an 8×8 one.
pub(super) trait Lanes4: Lanes {
    fn load(values: &[i32; 4]) -> Self;
    fn transpose(m: [Self; 4]) -> [Self; 4];
    /// Clamps to 0..=255 and writes the four lanes as bytes.
    fn store_pixels(self, out: &mut [u8; 4]);
}

/// Eight lanes: one row of an 8×8 block.
#[cfg(target_arch = "x86_64")]
pub(super) trait Lanes8: Lanes {
    fn load(values: &[i32; 8]) -> Self;
    fn transpose(m: [Self; 8]) -> [Self; 8];
    /// Clamps to 0..=255 and writes the eight lanes as bytes.
    fn store_pixels(self, out: &mut [u8; 8]);
}

/// One 8-point pass of libjpeg's `jpeg_idct_islow` (see the scalar `llm8`): `out[x]` from
/// `f[u]`, lane by lane; `round` holds the rounding (and level shift) of the descale.
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn llm8<L: Lanes, const SHIFT: i32>(f: [L; 8], round: L) -> [L; 8] {
    let (z2, z3) = (f[2], f[6]);
    let z1 = z2.add(z3).mul(FIX_0_541196100);
    let tmp2 = z1.sub(z3.mul(FIX_1_847759065));
    let tmp3 = z1.add(z2.mul(FIX_0_765366865));
    let tmp0 = f[0].add(f[4]).shl::<{ CONST_BITS as i32 }>().add(round);
    let tmp1 = f[0].sub(f[4]).shl::<{ CONST_BITS as i32 }>().add(round);
    let (tmp10, tmp13, tmp11, tmp12) = (tmp0.add(tmp3), tmp0.sub(tmp3), tmp1.add(tmp2), tmp1.sub(tmp2));
    let (t0, t1, t2, t3) = (f[7], f[5], f[3], f[1]);
    let (z1, z2, z3, z4) = (t0.add(t3), t1.add(t2), t0.add(t2), t1.add(t3));
    let z5 = z3.add(z4).mul(FIX_1_175875602);
    let z1 = z1.mul(-FIX_0_899976223);
    let z2 = z2.mul(-FIX_2_562915447);
    let z3 = z3.mul(-FIX_1_961570560).add(z5);
    let z4 = z4.mul(-FIX_0_390180644).add(z5);
    let t0 = t0.mul(FIX_0_298631336).add(z1).add(z3);
    let t1 = t1.mul(FIX_2_053119869).add(z2).add(z4);
    let t2 = t2.mul(FIX_3_072711026).add(z2).add(z3);
    let t3 = t3.mul(FIX_1_501321110).add(z1).add(z4);
    [
        tmp10.add(t3).shr::<SHIFT>(),
        tmp11.add(t2).shr::<SHIFT>(),
        tmp12.add(t1).shr::<SHIFT>(),
        tmp13.add(t0).shr::<SHIFT>(),
        tmp13.sub(t0).shr::<SHIFT>(),
        tmp12.sub(t1).shr::<SHIFT>(),
        tmp11.sub(t2).shr::<SHIFT>(),
        tmp10.sub(t3).shr::<SHIFT>(),
    ]
}

/// Pass 1 of the 8×8 transform, with its output clamped (see the scalar `idct8`).
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn llm8_pass1<L: Lanes>(f: [L; 8]) -> [L; 8] {
    llm8::<L, SHIFT1>(f, L::splat(ROUND1)).map(|v| v.clamp(PASS1_LIMIT))
}

/// Dequantises one vector of coefficients.
#[inline(always)]
fn dequantise<L: Lanes>(coefs: L, quant: L) -> L {
    coefs.mul_lanes(quant).clamp(super::COEF_LIMIT)
}

/// One 4-point pass (see the scalar `pass4`).
#[inline(always)]
fn pass4<L: Lanes, const SHIFT: i32>(f: [L; 4], round: L) -> [L; 4] {
    let e0 = f[0].add(f[2]).mul(K4).add(round);
    let e1 = f[0].sub(f[2]).mul(K4).add(round);
    let o0 = f[1].mul(K2).add(f[3].mul(K6));
    let o1 = f[1].mul(K6).sub(f[3].mul(K2));
    [e0.add(o0).shr::<SHIFT>(), e1.add(o1).shr::<SHIFT>(), e1.sub(o1).shr::<SHIFT>(), e0.sub(o0).shr::<SHIFT>()]
}

/// 4×4 pixels from the 4×4 corner, in natural order.
#[inline(always)]
pub(super) fn idct4<L: Lanes4>(coefs: &[i32; 64], quant: &[i32; 64], out: &mut [u8], stride: usize) {
    let rows: [L; 4] = std::array::from_fn(|v| dequantise(L::load(row(coefs, v)), L::load(row(quant, v))));
    let columns = L::transpose(pass4::<L, SHIFT1>(rows, L::splat(ROUND1)));
    let pixels = L::transpose(pass4::<L, SHIFT2>(columns, L::splat(ROUND2)));
    for (y, p) in pixels.into_iter().enumerate() {
        p.store_pixels(pixel_row(out, y * stride));
    }
}

/// 8×8 pixels from 64 coefficients and quantisers in natural order, with four lanes: each
/// row is two halves, and the transposes work on 4×4 quarters.
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
pub(super) fn idct8_halves<L: Lanes4>(coefs: &[i32; 64], quant: &[i32; 64], out: &mut [u8], stride: usize) {
    // tmp[h][y]: pass 1 of the columns 4h..4h+4.
    let tmp: [[L; 8]; 2] = std::array::from_fn(|h| {
        llm8_pass1(std::array::from_fn(|v| {
            dequantise(L::load(quarter_row(coefs, v, h)), L::load(quarter_row(quant, v, h)))
        }))
    });
    // columns[h][u]: lanes are the rows 4h..4h+4.
    let columns = transpose_halves(&tmp);
    let round2 = L::splat(LLM_ROUND2);
    let pass2 = [llm8::<L, LLM2>(columns[0], round2), llm8::<L, LLM2>(columns[1], round2)];
    // pixels[h][y]: lanes are the columns 4h..4h+4.
    let pixels = transpose_halves(&pass2);
    for (y, (&left, &right)) in pixels[0].iter().zip(&pixels[1]).enumerate() {
        let (left_out, right_out) = pixel_row8(out, y * stride);
        left.store_pixels(left_out);
        right.store_pixels(right_out);
    }
}

/// 8×8 pixels from 64 coefficients and quantisers in natural order, with eight lanes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn idct8<L: Lanes8>(coefs: &[i32; 64], quant: &[i32; 64], out: &mut [u8], stride: usize) {
    let load = |values: &[i32; 64], v: usize| L::load(values[v * 8..v * 8 + 8].try_into().unwrap_or(&[0; 8]));
    let rows: [L; 8] = std::array::from_fn(|v| dequantise(load(coefs, v), load(quant, v)));
    let columns = L::transpose(llm8_pass1(rows));
    let pixels = L::transpose(llm8::<L, LLM2>(columns, L::splat(LLM_ROUND2)));
    for (y, p) in pixels.into_iter().enumerate() {
        let start = y * stride;
        p.store_pixels((&mut out[start..start + 8]).try_into().unwrap_or_else(|_| unreachable!()));
    }
}

/// `w`×`h` pixels from a block's coefficients and quantisers in natural order, with eight
/// lanes, writing whole rows of 8 bytes:
/// the separable product of the scalar `generic`, one row (pass 1) or column (pass 2) of
/// eight lanes per multiply-add.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn generic<L: Lanes8>(
    coefs: &[i32; 64],
    quant: &[i32; 64],
    w: usize,
    h: usize,
    out: &mut [u8],
    stride: usize,
) {
    let (bw, bh) = (&super::BASIS[w - 1], &super::BASIS[h - 1]);
    let load = |values: &[i32; 64], v: usize| L::load(values[v * 8..v * 8 + 8].try_into().unwrap_or(&[0; 8]));
    let rows: [L; 8] = std::array::from_fn(|v| dequantise(load(coefs, v), load(quant, v)));
    // Pass 1: tmp[y] (lanes are the columns u).
    let mut tmp = [L::splat(0); 8];
    for (t, weights) in tmp.iter_mut().zip(bh).take(h) {
        let mut sum = L::splat(ROUND1);
        for (&row, &k) in rows.iter().zip(weights).take(h) {
            sum = sum.add(row.mul(i32::from(k)));
        }
        *t = sum.shr::<SHIFT1>();
    }
    // Pass 2 over the transpose (lanes are the rows y): px[x].
    let columns = L::transpose(tmp);
    let mut px = [L::splat(0); 8];
    for (p, weights) in px.iter_mut().zip(bw).take(w) {
        let mut sum = L::splat(ROUND2);
        for (&column, &k) in columns.iter().zip(weights).take(w) {
            sum = sum.add(column.mul(i32::from(k)));
        }
        *p = sum.shr::<SHIFT2>();
    }
    for (y, row) in L::transpose(px).into_iter().enumerate().take(h) {
        // Whole rows of 8 bytes (the caller leaves room): no per-row copy of `w` bytes.
        row.store_pixels((&mut out[y * stride..y * stride + 8]).try_into().unwrap_or_else(|_| unreachable!()));
    }
}

/// The 8×8 transpose of a matrix held as `m[h][r]`: row `r`, columns `4h..4h+4`. Returns
/// the same layout for the transposed matrix.
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn transpose_halves<L: Lanes4>(m: &[[L; 8]; 2]) -> [[L; 8]; 2] {
    // Quarter (row half a, column half b) of the result is the transpose of quarter (b, a).
    let quarter = |row_half: usize, h: usize| -> [L; 4] { std::array::from_fn(|i| m[h][row_half * 4 + i]) };
    let mut result = m.to_owned();
    for (b, half) in result.iter_mut().enumerate() {
        for (a, rows) in half.chunks_exact_mut(4).enumerate() {
            rows.copy_from_slice(&L::transpose(quarter(b, a)));
        }
    }
    result
}

/// The first four entries of row `v` of a natural-order block.
#[inline(always)]
fn row(coefs: &[i32; 64], v: usize) -> &[i32; 4] {
    coefs[v * 8..v * 8 + 4].try_into().unwrap_or(&[0; 4])
}

#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn quarter_row(coefs: &[i32; 64], v: usize, h: usize) -> &[i32; 4] {
    let start = v * 8 + h * 4;
    coefs[start..start + 4].try_into().unwrap_or(&[0; 4])
}

#[inline(always)]
fn pixel_row(out: &mut [u8], start: usize) -> &mut [u8; 4] {
    (&mut out[start..start + 4]).try_into().unwrap_or_else(|_| unreachable!())
}

#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn pixel_row8(out: &mut [u8], start: usize) -> (&mut [u8; 4], &mut [u8; 4]) {
    let (left, right) = out[start..start + 8].split_at_mut(4);
    (left.try_into().unwrap_or_else(|_| unreachable!()), right.try_into().unwrap_or_else(|_| unreachable!()))
}
