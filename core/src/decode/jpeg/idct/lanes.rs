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
use super::{K1, K3, K5, K7};

/// Shift of pass 1, which keeps [`PASS1_BITS`] extra fractional bits.
const SHIFT1: i32 = (CONST_BITS - PASS1_BITS) as i32;
/// Shift of pass 2.
const SHIFT2: i32 = (CONST_BITS + PASS1_BITS) as i32;
/// Rounding of pass 1.
const ROUND1: i32 = 1 << (SHIFT1 - 1);
/// Rounding of pass 2 plus the level shift (+128) of T.81 A.3.1, in pass-2 units.
const ROUND2: i32 = (1 << (SHIFT2 - 1)) + (128 << SHIFT2);

/// Lane-wise `i32` arithmetic, as the transforms use it. Products and sums never overflow:
/// the inputs are dequantised coefficients within `±COEF_LIMIT`.
pub(super) trait Lanes: Copy {
    fn splat(v: i32) -> Self;
    fn add(self, other: Self) -> Self;
    fn sub(self, other: Self) -> Self;
    /// Multiplies by a constant.
    fn mul(self, k: i32) -> Self;
    /// Arithmetic shift right by `N`.
    fn shr<const N: i32>(self) -> Self;
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

/// One 8-point pass (see the scalar `pass8`): `out[x]` from `f[u]`, lane by lane.
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
fn pass8<L: Lanes, const SHIFT: i32>(f: [L; 8], round: L) -> [L; 8] {
    let ee0 = f[0].add(f[4]).mul(K4);
    let ee1 = f[0].sub(f[4]).mul(K4);
    let eo0 = f[2].mul(K2).add(f[6].mul(K6));
    let eo1 = f[2].mul(K6).sub(f[6].mul(K2));
    let e0 = ee0.add(eo0).add(round);
    let e3 = ee0.sub(eo0).add(round);
    let e1 = ee1.add(eo1).add(round);
    let e2 = ee1.sub(eo1).add(round);
    let o0 = f[1].mul(K1).add(f[3].mul(K3)).add(f[5].mul(K5)).add(f[7].mul(K7));
    let o1 = f[1].mul(K3).sub(f[3].mul(K7)).sub(f[5].mul(K1)).sub(f[7].mul(K5));
    let o2 = f[1].mul(K5).sub(f[3].mul(K1)).add(f[5].mul(K7)).add(f[7].mul(K3));
    let o3 = f[1].mul(K7).sub(f[3].mul(K5)).add(f[5].mul(K3)).sub(f[7].mul(K1));
    [
        e0.add(o0).shr::<SHIFT>(),
        e1.add(o1).shr::<SHIFT>(),
        e2.add(o2).shr::<SHIFT>(),
        e3.add(o3).shr::<SHIFT>(),
        e3.sub(o3).shr::<SHIFT>(),
        e2.sub(o2).shr::<SHIFT>(),
        e1.sub(o1).shr::<SHIFT>(),
        e0.sub(o0).shr::<SHIFT>(),
    ]
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
pub(super) fn idct4<L: Lanes4>(coefs: &[i32; 16], out: &mut [u8], stride: usize) {
    let rows: [L; 4] = std::array::from_fn(|v| L::load(row(coefs, v)));
    let columns = L::transpose(pass4::<L, SHIFT1>(rows, L::splat(ROUND1)));
    let pixels = L::transpose(pass4::<L, SHIFT2>(columns, L::splat(ROUND2)));
    for (y, p) in pixels.into_iter().enumerate() {
        p.store_pixels(pixel_row(out, y * stride));
    }
}

/// 8×8 pixels from 64 coefficients in natural order, with four lanes: each row is two
/// halves, and the transposes work on 4×4 quarters.
#[cfg(not(target_arch = "wasm32"))]
#[inline(always)]
pub(super) fn idct8_halves<L: Lanes4>(coefs: &[i32; 64], out: &mut [u8], stride: usize) {
    let round1 = L::splat(ROUND1);
    // tmp[h][y]: pass 1 of the columns 4h..4h+4.
    let tmp: [[L; 8]; 2] =
        std::array::from_fn(|h| pass8::<L, SHIFT1>(std::array::from_fn(|v| L::load(quarter_row(coefs, v, h))), round1));
    // columns[h][u]: lanes are the rows 4h..4h+4.
    let columns = transpose_halves(&tmp);
    let round2 = L::splat(ROUND2);
    let pass2 = [pass8::<L, SHIFT2>(columns[0], round2), pass8::<L, SHIFT2>(columns[1], round2)];
    // pixels[h][y]: lanes are the columns 4h..4h+4.
    let pixels = transpose_halves(&pass2);
    for (y, (&left, &right)) in pixels[0].iter().zip(&pixels[1]).enumerate() {
        let (left_out, right_out) = pixel_row8(out, y * stride);
        left.store_pixels(left_out);
        right.store_pixels(right_out);
    }
}

/// 8×8 pixels from 64 coefficients in natural order, with eight lanes.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
pub(super) fn idct8<L: Lanes8>(coefs: &[i32; 64], out: &mut [u8], stride: usize) {
    let rows: [L; 8] = std::array::from_fn(|v| {
        let start = v * 8;
        L::load(coefs[start..start + 8].try_into().unwrap_or(&[0; 8]))
    });
    let columns = L::transpose(pass8::<L, SHIFT1>(rows, L::splat(ROUND1)));
    let pixels = L::transpose(pass8::<L, SHIFT2>(columns, L::splat(ROUND2)));
    for (y, p) in pixels.into_iter().enumerate() {
        let start = y * stride;
        p.store_pixels((&mut out[start..start + 8]).try_into().unwrap_or_else(|_| unreachable!()));
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

#[inline(always)]
fn row(coefs: &[i32; 16], v: usize) -> &[i32; 4] {
    coefs[v * 4..v * 4 + 4].try_into().unwrap_or(&[0; 4])
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
