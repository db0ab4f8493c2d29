//! wasm32 back end: simd128 (four lanes), compiled in when the module is built with
//! `-C target-feature=+simd128` (as `bindings-wasm/build.sh` does). The intrinsics are safe
//! functions there; no `unsafe` is needed.

use std::arch::wasm32::*;

use super::lanes::{self, Lanes, Lanes4};

pub(super) fn idct4(coefs: &[i32; 64], quant: &[i32; 64], out: &mut [u8], stride: usize) {
    lanes::idct4::<Simd>(coefs, quant, out, stride);
}

/// Four `i32` lanes in a `v128`.
#[derive(Clone, Copy)]
struct Simd(v128);

impl Lanes for Simd {
    #[inline(always)]
    fn splat(v: i32) -> Self {
        Simd(i32x4_splat(v))
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Simd(i32x4_add(self.0, other.0))
    }
    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        Simd(i32x4_sub(self.0, other.0))
    }
    #[inline(always)]
    fn mul(self, k: i32) -> Self {
        Simd(i32x4_mul(self.0, i32x4_splat(k)))
    }
    #[inline(always)]
    fn mul_lanes(self, other: Self) -> Self {
        Simd(i32x4_mul(self.0, other.0))
    }
    #[inline(always)]
    fn shr<const N: i32>(self) -> Self {
        Simd(i32x4_shr(self.0, N as u32))
    }
    #[inline(always)]
    fn shl<const N: i32>(self) -> Self {
        Simd(i32x4_shl(self.0, N as u32))
    }
    #[inline(always)]
    fn clamp(self, limit: i32) -> Self {
        Simd(i32x4_min(i32x4_max(self.0, i32x4_splat(-limit)), i32x4_splat(limit)))
    }
}

impl Lanes4 for Simd {
    #[inline(always)]
    fn load(values: &[i32; 4]) -> Self {
        Simd(i32x4(values[0], values[1], values[2], values[3]))
    }
    #[inline(always)]
    fn transpose(m: [Self; 4]) -> [Self; 4] {
        let t0 = i32x4_shuffle::<0, 4, 1, 5>(m[0].0, m[1].0); // a0 b0 a1 b1
        let t1 = i32x4_shuffle::<2, 6, 3, 7>(m[0].0, m[1].0); // a2 b2 a3 b3
        let t2 = i32x4_shuffle::<0, 4, 1, 5>(m[2].0, m[3].0); // c0 d0 c1 d1
        let t3 = i32x4_shuffle::<2, 6, 3, 7>(m[2].0, m[3].0); // c2 d2 c3 d3
        [
            Simd(i64x2_shuffle::<0, 2>(t0, t2)),
            Simd(i64x2_shuffle::<1, 3>(t0, t2)),
            Simd(i64x2_shuffle::<0, 2>(t1, t3)),
            Simd(i64x2_shuffle::<1, 3>(t1, t3)),
        ]
    }
    #[inline(always)]
    fn store_pixels(self, out: &mut [u8; 4]) {
        let words = i16x8_narrow_i32x4(self.0, self.0);
        let bytes = u8x16_narrow_i16x8(words, words);
        *out = i32x4_extract_lane::<0>(bytes).to_le_bytes();
    }
}
