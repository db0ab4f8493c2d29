//! x86-64 back end of the YCbCr conversion: SSSE3 (`pmulhrsw` for the Q15 multiplies,
//! `pshufb` to interleave the channels), chosen at run time.
//!
//! Safety: [`ycc_to_rgb_ssse3`] is only called after `is_x86_feature_detected!` confirmed
//! SSSE3, so every intrinsic it runs is supported by the CPU. Loads read 16 bytes at offsets
//! the loop condition keeps within the slices; stores write 16 bytes the same way.
#![allow(unsafe_code)]

use std::arch::x86_64::*;

use super::{CB_B, CB_G, CR_G, CR_R, G_SHIFT, interleave_mask};

/// Converts as many whole groups of 16 pixels as the row holds; returns how many pixels it
/// converted (the caller does the rest), 0 on CPUs without SSSE3.
#[inline]
pub(super) fn ycc_to_rgb(y: &[u8], cb: &[u8], cr: &[u8], out: &mut [u8]) -> usize {
    if is_x86_feature_detected!("ssse3") {
        // SAFETY: SSSE3 is available (checked just above).
        unsafe { ycc_to_rgb_ssse3(y, cb, cr, out) }
    } else {
        0
    }
}

const MASKS: [[[u8; 16]; 3]; 3] = {
    let mut m = [[[0u8; 16]; 3]; 3];
    let mut k = 0;
    while k < 3 {
        let mut c = 0;
        while c < 3 {
            m[k][c] = interleave_mask(k, c);
            c += 1;
        }
        k += 1;
    }
    m
};

#[target_feature(enable = "ssse3")]
pub(super) fn ycc_to_rgb_ssse3(y: &[u8], cb: &[u8], cr: &[u8], out: &mut [u8]) -> usize {
    let n = y.len().min(cb.len()).min(cr.len()).min(out.len() / 3);
    let load = |s: &[u8], i: usize| -> __m128i {
        debug_assert!(i + 16 <= s.len());
        // SAFETY: `i + 16 <= n <= s.len()` (loop condition below); unaligned load.
        unsafe { _mm_loadu_si128(s.as_ptr().add(i).cast()) }
    };
    let zero = _mm_setzero_si128();
    let bias = _mm_set1_epi16(128);
    let (cr_r, cb_b) = (_mm_set1_epi16(CR_R), _mm_set1_epi16(CB_B));
    let (cb_g, cr_g) = (_mm_set1_epi16(CB_G), _mm_set1_epi16(CR_G));
    let g_round = _mm_set1_epi16(1 << (G_SHIFT - 1));
    let masks: [[__m128i; 3]; 3] = MASKS.map(|k| {
        // SAFETY: each mask is 16 readable bytes.
        k.map(|c| unsafe { _mm_loadu_si128(c.as_ptr().cast()) })
    });
    // Eight pixels' worth of one channel, from i16 lanes.
    let convert = |yv: __m128i, cbv: __m128i, crv: __m128i| -> [__m128i; 3] {
        let (cbv, crv) = (_mm_sub_epi16(cbv, bias), _mm_sub_epi16(crv, bias));
        let r = _mm_add_epi16(_mm_add_epi16(yv, crv), _mm_mulhrs_epi16(crv, cr_r));
        let b = _mm_sub_epi16(_mm_add_epi16(yv, _mm_add_epi16(cbv, cbv)), _mm_mulhrs_epi16(cbv, cb_b));
        let g_cb = _mm_mulhrs_epi16(_mm_slli_epi16::<{ G_SHIFT as i32 }>(cbv), cb_g);
        let g_cr = _mm_mulhrs_epi16(_mm_slli_epi16::<{ G_SHIFT as i32 }>(crv), cr_g);
        let g_term = _mm_sub_epi16(_mm_sub_epi16(g_round, g_cb), g_cr);
        let g = _mm_add_epi16(yv, _mm_srai_epi16::<{ G_SHIFT as i32 }>(g_term));
        [r, g, b]
    };
    let mut i = 0;
    while i + 16 <= n {
        let (yv, cbv, crv) = (load(y, i), load(cb, i), load(cr, i));
        let lo = convert(_mm_unpacklo_epi8(yv, zero), _mm_unpacklo_epi8(cbv, zero), _mm_unpacklo_epi8(crv, zero));
        let hi = convert(_mm_unpackhi_epi8(yv, zero), _mm_unpackhi_epi8(cbv, zero), _mm_unpackhi_epi8(crv, zero));
        let channels = [0, 1, 2].map(|c| _mm_packus_epi16(lo[c], hi[c]));
        for (k, mask) in masks.iter().enumerate() {
            let v = _mm_or_si128(
                _mm_or_si128(_mm_shuffle_epi8(channels[0], mask[0]), _mm_shuffle_epi8(channels[1], mask[1])),
                _mm_shuffle_epi8(channels[2], mask[2]),
            );
            let at = 3 * i + 16 * k;
            debug_assert!(at + 16 <= out.len());
            // SAFETY: `at + 16 <= 3 * (i + 16) <= 3 * n <= out.len()`; unaligned store.
            unsafe { _mm_storeu_si128(out.as_mut_ptr().add(at).cast(), v) };
        }
        i += 16;
    }
    i
}

#[cfg(test)]
mod tests {
    use super::super::tests::assert_same_as_scalar;
    use super::*;

    #[test]
    fn ssse3_matches_the_scalar_conversion() {
        if !is_x86_feature_detected!("ssse3") {
            eprintln!("skipped: this CPU has no SSSE3");
            return;
        }
        // SAFETY: SSSE3 is available (checked above).
        assert_same_as_scalar(|y, cb, cr, out| unsafe { ycc_to_rgb_ssse3(y, cb, cr, out) });
    }
}
