//! wasm32 back end of the YCbCr conversion: simd128 (`i16x8.q15mulr_sat_s` for the Q15
//! multiplies, `i8x16.swizzle` to interleave the channels), compiled in when the module is
//! built with `-C target-feature=+simd128`. Loads and stores go through safe byte arrays.

use std::arch::wasm32::*;

use super::{CB_B, CB_G, CR_G, CR_R, G_SHIFT, interleave_mask};

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

fn load(s: &[u8], i: usize) -> v128 {
    let bytes: [u8; 16] = s[i..i + 16].try_into().unwrap_or([0; 16]);
    u8x16(
        bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9], bytes[10],
        bytes[11], bytes[12], bytes[13], bytes[14], bytes[15],
    )
}

fn mask(m: &[u8; 16]) -> v128 {
    load(m, 0)
}

/// Converts as many whole groups of 16 pixels as the row holds; returns how many pixels it
/// converted (the caller does the rest).
pub(super) fn ycc_to_rgb(y: &[u8], cb: &[u8], cr: &[u8], out: &mut [u8]) -> usize {
    let n = y.len().min(cb.len()).min(cr.len()).min(out.len() / 3);
    let bias = i16x8_splat(128);
    let convert = |yv: v128, cbv: v128, crv: v128| -> [v128; 3] {
        let (cbv, crv) = (i16x8_sub(cbv, bias), i16x8_sub(crv, bias));
        let r = i16x8_add(i16x8_add(yv, crv), i16x8_q15mulr_sat(crv, i16x8_splat(CR_R)));
        let b = i16x8_sub(i16x8_add(yv, i16x8_add(cbv, cbv)), i16x8_q15mulr_sat(cbv, i16x8_splat(CB_B)));
        let g_cb = i16x8_q15mulr_sat(i16x8_shl(cbv, G_SHIFT), i16x8_splat(CB_G));
        let g_cr = i16x8_q15mulr_sat(i16x8_shl(crv, G_SHIFT), i16x8_splat(CR_G));
        let g_term = i16x8_sub(i16x8_sub(i16x8_splat(1 << (G_SHIFT - 1)), g_cb), g_cr);
        let g = i16x8_add(yv, i16x8_shr(g_term, G_SHIFT));
        [r, g, b]
    };
    let masks = MASKS.map(|k| k.map(|c| mask(&c)));
    let mut i = 0;
    while i + 16 <= n {
        let (yv, cbv, crv) = (load(y, i), load(cb, i), load(cr, i));
        let lo = convert(u16x8_extend_low_u8x16(yv), u16x8_extend_low_u8x16(cbv), u16x8_extend_low_u8x16(crv));
        let hi = convert(u16x8_extend_high_u8x16(yv), u16x8_extend_high_u8x16(cbv), u16x8_extend_high_u8x16(crv));
        let channels = [0, 1, 2].map(|c| u8x16_narrow_i16x8(lo[c], hi[c]));
        for (k, m) in masks.iter().enumerate() {
            let v = v128_or(
                v128_or(i8x16_swizzle(channels[0], m[0]), i8x16_swizzle(channels[1], m[1])),
                i8x16_swizzle(channels[2], m[2]),
            );
            let at = 3 * i + 16 * k;
            let bytes: [u8; 16] = bytes_of(v);
            out[at..at + 16].copy_from_slice(&bytes);
        }
        i += 16;
    }
    i
}

/// The 16 bytes of a vector, through its lanes (no memory access).
fn bytes_of(v: v128) -> [u8; 16] {
    let lo = i64x2_extract_lane::<0>(v).to_le_bytes();
    let hi = i64x2_extract_lane::<1>(v).to_le_bytes();
    let mut out = [0u8; 16];
    out[..8].copy_from_slice(&lo);
    out[8..].copy_from_slice(&hi);
    out
}
