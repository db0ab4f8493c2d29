//! x86-64 back ends: AVX2 (eight lanes) for 8×8, SSE4.1 (four lanes) for 4×4 and as the
//! 8×8 fallback. Chosen at run time; CPUs with neither use the scalar transforms.
//!
//! Safety: the vector types [`Sse`] and [`Avx`] are only created inside the
//! `#[target_feature]` functions of this module, which [`idct8`] and [`idct4`] call only
//! after `is_x86_feature_detected!` confirmed the feature, so every intrinsic they run is
//! supported by the CPU. Loads read from references to fixed-size arrays of the loaded
//! size; stores go through `i32`/`i64` values, not pointers.
#![allow(unsafe_code)]

use std::arch::x86_64::*;

use super::lanes::{self, Lanes, Lanes4, Lanes8};

/// Runs the 8×8 transform with AVX2 or SSE4.1; `false` when the CPU has neither.
#[inline]
pub(super) fn idct8(coefs: &[i32; 64], quant: &[i32; 64], out: &mut [u8], stride: usize) -> bool {
    if is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is available (checked just above).
        unsafe { idct8_avx2(coefs, quant, out, stride) };
        true
    } else if is_x86_feature_detected!("sse4.1") {
        // SAFETY: SSE4.1 is available (checked just above).
        unsafe { idct8_sse41(coefs, quant, out, stride) };
        true
    } else {
        false
    }
}

/// Runs the 4×4 transform with SSE4.1; `false` when the CPU does not have it.
#[inline]
pub(super) fn idct4(coefs: &[i32; 64], quant: &[i32; 64], out: &mut [u8], stride: usize) -> bool {
    if is_x86_feature_detected!("sse4.1") {
        // SAFETY: SSE4.1 is available (checked just above).
        unsafe { idct4_sse41(coefs, quant, out, stride) };
        true
    } else {
        false
    }
}

/// Runs the generic transform with AVX2; `false` when the CPU does not have it.
#[inline]
pub(super) fn generic(coefs: &[i32; 64], quant: &[i32; 64], w: usize, h: usize, out: &mut [u8], stride: usize) -> bool {
    if is_x86_feature_detected!("avx2") {
        // SAFETY: AVX2 is available (checked just above).
        unsafe { generic_avx2(coefs, quant, w, h, out, stride) };
        true
    } else {
        false
    }
}

#[target_feature(enable = "avx2")]
pub(super) fn generic_avx2(coefs: &[i32; 64], quant: &[i32; 64], w: usize, h: usize, out: &mut [u8], stride: usize) {
    lanes::generic::<Avx>(coefs, quant, w, h, out, stride);
}

#[target_feature(enable = "avx2")]
pub(super) fn idct8_avx2(coefs: &[i32; 64], quant: &[i32; 64], out: &mut [u8], stride: usize) {
    lanes::idct8::<Avx>(coefs, quant, out, stride);
}

#[target_feature(enable = "sse4.1")]
pub(super) fn idct8_sse41(coefs: &[i32; 64], quant: &[i32; 64], out: &mut [u8], stride: usize) {
    lanes::idct8_halves::<Sse>(coefs, quant, out, stride);
}

#[target_feature(enable = "sse4.1")]
pub(super) fn idct4_sse41(coefs: &[i32; 64], quant: &[i32; 64], out: &mut [u8], stride: usize) {
    lanes::idct4::<Sse>(coefs, quant, out, stride);
}

/// Four `i32` lanes in an SSE register.
#[derive(Clone, Copy)]
struct Sse(__m128i);

// SAFETY (every block below): see the module documentation; `Sse` values exist only inside
// functions compiled with SSE4.1, on CPUs that have it.
impl Lanes for Sse {
    #[inline(always)]
    fn splat(v: i32) -> Self {
        Sse(unsafe { _mm_set1_epi32(v) })
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Sse(unsafe { _mm_add_epi32(self.0, other.0) })
    }
    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        Sse(unsafe { _mm_sub_epi32(self.0, other.0) })
    }
    #[inline(always)]
    fn mul(self, k: i32) -> Self {
        Sse(unsafe { _mm_mullo_epi32(self.0, _mm_set1_epi32(k)) })
    }
    #[inline(always)]
    fn mul_lanes(self, other: Self) -> Self {
        Sse(unsafe { _mm_mullo_epi32(self.0, other.0) })
    }
    #[inline(always)]
    fn shr<const N: i32>(self) -> Self {
        Sse(unsafe { _mm_srai_epi32::<N>(self.0) })
    }
    #[inline(always)]
    fn shl<const N: i32>(self) -> Self {
        Sse(unsafe { _mm_slli_epi32::<N>(self.0) })
    }
    #[inline(always)]
    fn clamp(self, limit: i32) -> Self {
        Sse(unsafe { _mm_min_epi32(_mm_max_epi32(self.0, _mm_set1_epi32(-limit)), _mm_set1_epi32(limit)) })
    }
}

impl Lanes4 for Sse {
    #[inline(always)]
    fn load(values: &[i32; 4]) -> Self {
        // SAFETY: `values` is 16 readable bytes; the load is unaligned.
        Sse(unsafe { _mm_loadu_si128(values.as_ptr().cast()) })
    }
    #[inline(always)]
    fn transpose(m: [Self; 4]) -> [Self; 4] {
        unsafe {
            let t0 = _mm_unpacklo_epi32(m[0].0, m[1].0); // a0 b0 a1 b1
            let t1 = _mm_unpacklo_epi32(m[2].0, m[3].0); // c0 d0 c1 d1
            let t2 = _mm_unpackhi_epi32(m[0].0, m[1].0); // a2 b2 a3 b3
            let t3 = _mm_unpackhi_epi32(m[2].0, m[3].0); // c2 d2 c3 d3
            [
                Sse(_mm_unpacklo_epi64(t0, t1)),
                Sse(_mm_unpackhi_epi64(t0, t1)),
                Sse(_mm_unpacklo_epi64(t2, t3)),
                Sse(_mm_unpackhi_epi64(t2, t3)),
            ]
        }
    }
    #[inline(always)]
    fn store_pixels(self, out: &mut [u8; 4]) {
        let bytes = unsafe {
            let words = _mm_packs_epi32(self.0, self.0);
            _mm_cvtsi128_si32(_mm_packus_epi16(words, words))
        };
        *out = bytes.to_le_bytes();
    }
}

/// Eight `i32` lanes in an AVX2 register.
#[derive(Clone, Copy)]
struct Avx(__m256i);

// SAFETY (every block below): see the module documentation; `Avx` values exist only inside
// functions compiled with AVX2, on CPUs that have it.
impl Lanes for Avx {
    #[inline(always)]
    fn splat(v: i32) -> Self {
        Avx(unsafe { _mm256_set1_epi32(v) })
    }
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Avx(unsafe { _mm256_add_epi32(self.0, other.0) })
    }
    #[inline(always)]
    fn sub(self, other: Self) -> Self {
        Avx(unsafe { _mm256_sub_epi32(self.0, other.0) })
    }
    #[inline(always)]
    fn mul(self, k: i32) -> Self {
        Avx(unsafe { _mm256_mullo_epi32(self.0, _mm256_set1_epi32(k)) })
    }
    #[inline(always)]
    fn mul_lanes(self, other: Self) -> Self {
        Avx(unsafe { _mm256_mullo_epi32(self.0, other.0) })
    }
    #[inline(always)]
    fn shr<const N: i32>(self) -> Self {
        Avx(unsafe { _mm256_srai_epi32::<N>(self.0) })
    }
    #[inline(always)]
    fn shl<const N: i32>(self) -> Self {
        Avx(unsafe { _mm256_slli_epi32::<N>(self.0) })
    }
    #[inline(always)]
    fn clamp(self, limit: i32) -> Self {
        Avx(unsafe { _mm256_min_epi32(_mm256_max_epi32(self.0, _mm256_set1_epi32(-limit)), _mm256_set1_epi32(limit)) })
    }
}

impl Lanes8 for Avx {
    #[inline(always)]
    fn load(values: &[i32; 8]) -> Self {
        // SAFETY: `values` is 32 readable bytes; the load is unaligned.
        Avx(unsafe { _mm256_loadu_si256(values.as_ptr().cast()) })
    }
    #[inline(always)]
    fn transpose(m: [Self; 8]) -> [Self; 8] {
        unsafe {
            // Within each 128-bit half: pairs, then quads; then swap the halves across rows.
            let t0 = _mm256_unpacklo_epi32(m[0].0, m[1].0);
            let t1 = _mm256_unpackhi_epi32(m[0].0, m[1].0);
            let t2 = _mm256_unpacklo_epi32(m[2].0, m[3].0);
            let t3 = _mm256_unpackhi_epi32(m[2].0, m[3].0);
            let t4 = _mm256_unpacklo_epi32(m[4].0, m[5].0);
            let t5 = _mm256_unpackhi_epi32(m[4].0, m[5].0);
            let t6 = _mm256_unpacklo_epi32(m[6].0, m[7].0);
            let t7 = _mm256_unpackhi_epi32(m[6].0, m[7].0);
            let u0 = _mm256_unpacklo_epi64(t0, t2);
            let u1 = _mm256_unpackhi_epi64(t0, t2);
            let u2 = _mm256_unpacklo_epi64(t1, t3);
            let u3 = _mm256_unpackhi_epi64(t1, t3);
            let u4 = _mm256_unpacklo_epi64(t4, t6);
            let u5 = _mm256_unpackhi_epi64(t4, t6);
            let u6 = _mm256_unpacklo_epi64(t5, t7);
            let u7 = _mm256_unpackhi_epi64(t5, t7);
            [
                Avx(_mm256_permute2x128_si256::<0x20>(u0, u4)),
                Avx(_mm256_permute2x128_si256::<0x20>(u1, u5)),
                Avx(_mm256_permute2x128_si256::<0x20>(u2, u6)),
                Avx(_mm256_permute2x128_si256::<0x20>(u3, u7)),
                Avx(_mm256_permute2x128_si256::<0x31>(u0, u4)),
                Avx(_mm256_permute2x128_si256::<0x31>(u1, u5)),
                Avx(_mm256_permute2x128_si256::<0x31>(u2, u6)),
                Avx(_mm256_permute2x128_si256::<0x31>(u3, u7)),
            ]
        }
    }
    #[inline(always)]
    fn store_pixels(self, out: &mut [u8; 8]) {
        let bytes = unsafe {
            // Narrow each 128-bit half to four bytes, then join the halves.
            let low = _mm256_castsi256_si128(self.0);
            let high = _mm256_extracti128_si256::<1>(self.0);
            let words = _mm_packs_epi32(low, high);
            _mm_cvtsi128_si64(_mm_packus_epi16(words, words))
        };
        *out = bytes.to_le_bytes();
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{assert_same_as_scalar4, assert_same_as_scalar8};
    use super::*;

    #[test]
    fn avx2_matches_the_scalar_transform() {
        if !is_x86_feature_detected!("avx2") {
            eprintln!("skipped: this CPU has no AVX2");
            return;
        }
        // SAFETY: AVX2 is available (checked above).
        assert_same_as_scalar8(|c, q, out| unsafe { idct8_avx2(c, q, out, 8) });
    }

    #[test]
    fn avx2_generic_matches_the_scalar_transform() {
        if !is_x86_feature_detected!("avx2") {
            eprintln!("skipped: this CPU has no AVX2");
            return;
        }
        // SAFETY: AVX2 is available (checked above).
        super::super::tests::assert_same_as_scalar_generic(|c, q, w, h, out, stride| unsafe {
            generic_avx2(c, q, w, h, out, stride)
        });
    }

    #[test]
    fn sse41_matches_the_scalar_transform() {
        if !is_x86_feature_detected!("sse4.1") {
            eprintln!("skipped: this CPU has no SSE4.1");
            return;
        }
        // SAFETY: SSE4.1 is available (checked above).
        assert_same_as_scalar8(|c, q, out| unsafe { idct8_sse41(c, q, out, 8) });
        assert_same_as_scalar4(|c, q, out| unsafe { idct4_sse41(c, q, out, 4) });
    }
}
