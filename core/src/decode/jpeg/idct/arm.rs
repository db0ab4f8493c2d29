//! aarch64 back end: NEON (four lanes), which every aarch64 CPU has.
//!
//! Safety: NEON is part of the aarch64 baseline, so every intrinsic is supported (Rust still
//! asks for `unsafe` to call them outside a `#[target_feature]` function); loads read from
//! references to fixed-size arrays of the loaded size.
#![allow(unsafe_code)]

use std::arch::aarch64::*;

use super::lanes::{self, Lanes, Lanes4};

pub(super) fn idct8(coefs: &[i32; 64], quant: &[i32; 64], out: &mut [u8], stride: usize) {
    lanes::idct8_halves::<Neon>(coefs, quant, out, stride);
}

pub(super) fn idct4(coefs: &[i32; 64], quant: &[i32; 64], out: &mut [u8], stride: usize) {
    lanes::idct4::<Neon>(coefs, quant, out, stride);
}

/// Four `i32` lanes in a NEON register.
#[derive(Clone, Copy)]
struct Neon(int32x4_t);

// SAFETY (every block below): NEON is always available on aarch64.
impl Lanes for Neon {
    #[inline(always)]
    fn splat(v: i32) -> Self {
        Neon(unsafe { vdupq_n_s32(v) })
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Neon(unsafe { vaddq_s32(self.0, other.0) })
    }
    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        Neon(unsafe { vsubq_s32(self.0, other.0) })
    }
    #[inline(always)]
    fn mul(self, k: i32) -> Self {
        Neon(unsafe { vmulq_n_s32(self.0, k) })
    }
    #[inline(always)]
    fn mul_lanes(self, other: Self) -> Self {
        Neon(unsafe { vmulq_s32(self.0, other.0) })
    }
    #[inline(always)]
    fn shr<const N: i32>(self) -> Self {
        Neon(unsafe { vshrq_n_s32::<N>(self.0) })
    }
    #[inline(always)]
    fn shl<const N: i32>(self) -> Self {
        Neon(unsafe { vshlq_n_s32::<N>(self.0) })
    }
    #[inline(always)]
    fn clamp(self, limit: i32) -> Self {
        Neon(unsafe { vminq_s32(vmaxq_s32(self.0, vdupq_n_s32(-limit)), vdupq_n_s32(limit)) })
    }
}

impl Lanes4 for Neon {
    #[inline(always)]
    fn load(values: &[i32; 4]) -> Self {
        // SAFETY: `values` is 16 readable bytes.
        Neon(unsafe { vld1q_s32(values.as_ptr()) })
    }
    #[inline(always)]
    fn transpose(m: [Self; 4]) -> [Self; 4] {
        // SAFETY: NEON is always available on aarch64.
        unsafe {
            let t0 = vtrn1q_s32(m[0].0, m[1].0); // a0 b0 a2 b2
            let t1 = vtrn2q_s32(m[0].0, m[1].0); // a1 b1 a3 b3
            let t2 = vtrn1q_s32(m[2].0, m[3].0); // c0 d0 c2 d2
            let t3 = vtrn2q_s32(m[2].0, m[3].0); // c1 d1 c3 d3
            let pairs = |x: int32x4_t, y: int32x4_t, high: bool| {
                let (x, y) = (vreinterpretq_s64_s32(x), vreinterpretq_s64_s32(y));
                vreinterpretq_s32_s64(if high { vtrn2q_s64(x, y) } else { vtrn1q_s64(x, y) })
            };
            [
                Neon(pairs(t0, t2, false)),
                Neon(pairs(t1, t3, false)),
                Neon(pairs(t0, t2, true)),
                Neon(pairs(t1, t3, true)),
            ]
        }
    }
    #[inline(always)]
    fn store_pixels(self, out: &mut [u8; 4]) {
        // SAFETY: NEON is always available on aarch64.
        let bytes = unsafe {
            let words = vqmovun_s32(self.0);
            let bytes = vqmovn_u16(vcombine_u16(words, words));
            vget_lane_u32::<0>(vreinterpret_u32_u8(bytes))
        };
        *out = bytes.to_le_bytes();
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assert_same_as_scalar4, assert_same_as_scalar8};

    #[test]
    fn neon_matches_the_scalar_transform() {
        assert_same_as_scalar8(|c, q, out| super::idct8(c, q, out, 8));
        assert_same_as_scalar4(|c, q, out| super::idct4(c, q, out, 4));
    }
}
