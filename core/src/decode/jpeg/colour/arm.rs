//! aarch64 back end of the YCbCr conversion: NEON (`sqrdmulh` for the Q15 multiplies, `st3`
//! to interleave the channels), which every aarch64 CPU has.
//!
//! Safety: NEON is part of the aarch64 baseline, so every intrinsic is supported. Loads read
//! 16 bytes and stores write 48 at offsets the loop condition keeps within the slices.
#![allow(unsafe_code)]

use std::arch::aarch64::*;

use super::{CB_B, CB_G, CR_G, CR_R, G_SHIFT};

/// Converts as many whole groups of 16 pixels as the row holds; returns how many pixels it
/// converted (the caller does the rest).
pub(super) fn ycc_to_rgb(y: &[u8], cb: &[u8], cr: &[u8], out: &mut [u8]) -> usize {
    let n = y.len().min(cb.len()).min(cr.len()).min(out.len() / 3);
    // SAFETY (every block below): NEON is always available on aarch64; the offsets are
    // bounded as the module documentation says.
    unsafe {
        let bias = vdupq_n_s16(128);
        let convert = |yv: int16x8_t, cbv: int16x8_t, crv: int16x8_t| -> [uint8x8_t; 3] {
            let (cbv, crv) = (vsubq_s16(cbv, bias), vsubq_s16(crv, bias));
            let r = vaddq_s16(vaddq_s16(yv, crv), vqrdmulhq_n_s16(crv, CR_R));
            let b = vsubq_s16(vaddq_s16(yv, vaddq_s16(cbv, cbv)), vqrdmulhq_n_s16(cbv, CB_B));
            let g_cb = vqrdmulhq_n_s16(vshlq_n_s16::<{ G_SHIFT as i32 }>(cbv), CB_G);
            let g_cr = vqrdmulhq_n_s16(vshlq_n_s16::<{ G_SHIFT as i32 }>(crv), CR_G);
            let g_term = vsubq_s16(vsubq_s16(vdupq_n_s16(1 << (G_SHIFT - 1)), g_cb), g_cr);
            let g = vaddq_s16(yv, vshrq_n_s16::<{ G_SHIFT as i32 }>(g_term));
            [vqmovun_s16(r), vqmovun_s16(g), vqmovun_s16(b)]
        };
        let widen = |v: uint8x8_t| vreinterpretq_s16_u16(vmovl_u8(v));
        let mut i = 0;
        while i + 16 <= n {
            let (yv, cbv, crv) =
                (vld1q_u8(y.as_ptr().add(i)), vld1q_u8(cb.as_ptr().add(i)), vld1q_u8(cr.as_ptr().add(i)));
            let lo = convert(widen(vget_low_u8(yv)), widen(vget_low_u8(cbv)), widen(vget_low_u8(crv)));
            let hi = convert(widen(vget_high_u8(yv)), widen(vget_high_u8(cbv)), widen(vget_high_u8(crv)));
            let rgb = uint8x16x3_t(vcombine_u8(lo[0], hi[0]), vcombine_u8(lo[1], hi[1]), vcombine_u8(lo[2], hi[2]));
            vst3q_u8(out.as_mut_ptr().add(3 * i), rgb);
            i += 16;
        }
        i
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::assert_same_as_scalar;

    #[test]
    fn neon_matches_the_scalar_conversion() {
        assert_same_as_scalar(super::ycc_to_rgb);
    }
}
