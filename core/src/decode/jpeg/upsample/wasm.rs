//! wasm32 back end of the triangle upsampling: simd128, compiled in when the module is
//! built with `-C target-feature=+simd128`, eight input samples (sixteen output) at a time.
//! Loads and stores go through safe byte arrays.

use std::arch::wasm32::*;

/// Eight samples of a row, widened to 16 bits.
#[inline(always)]
fn load8(s: &[u8], at: usize) -> v128 {
    let b: [u8; 8] = s[at..at + 8].try_into().unwrap_or([0; 8]);
    u16x8(
        u16::from(b[0]),
        u16::from(b[1]),
        u16::from(b[2]),
        u16::from(b[3]),
        u16::from(b[4]),
        u16::from(b[5]),
        u16::from(b[6]),
        u16::from(b[7]),
    )
}

/// Narrows and interleaves the even and odd outputs (16-bit lanes holding bytes) and stores
/// sixteen at `2 * i`.
#[inline(always)]
fn store16(out: &mut [u8], i: usize, even: v128, odd: v128) {
    let bytes = u8x16_narrow_i16x8(even, odd); // e0..e7 o0..o7
    let v = i8x16_shuffle::<0, 8, 1, 9, 2, 10, 3, 11, 4, 12, 5, 13, 6, 14, 7, 15>(bytes, bytes);
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&i64x2_extract_lane::<0>(v).to_le_bytes());
    b[8..].copy_from_slice(&i64x2_extract_lane::<1>(v).to_le_bytes());
    out[2 * i..2 * i + 16].copy_from_slice(&b);
}

#[inline(always)]
fn times3(v: v128) -> v128 {
    i16x8_add(i16x8_add(v, v), v)
}

/// See `upsample::h2`: from sample `i` (at least 1), while the right neighbour of eight
/// exists; returns where it stopped.
pub(super) fn h2(input: &[u8], out: &mut [u8], mut i: usize) -> usize {
    let n = input.len().min(out.len() / 2);
    while i >= 1 && i + 9 <= n {
        let centre = times3(load8(input, i));
        let even = u16x8_shr(i16x8_add(i16x8_add(centre, load8(input, i - 1)), i16x8_splat(1)), 2);
        let odd = u16x8_shr(i16x8_add(i16x8_add(centre, load8(input, i + 1)), i16x8_splat(2)), 2);
        store16(out, i, even, odd);
        i += 8;
    }
    i
}

/// See `upsample::h2v2` and [`h2`].
pub(super) fn h2v2(near: &[u8], far: &[u8], out: &mut [u8], mut i: usize) -> usize {
    let n = near.len().min(far.len()).min(out.len() / 2);
    let col = |at: usize| i16x8_add(times3(load8(near, at)), load8(far, at));
    while i >= 1 && i + 9 <= n {
        let this = times3(col(i));
        let even = u16x8_shr(i16x8_add(i16x8_add(this, col(i - 1)), i16x8_splat(8)), 4);
        let odd = u16x8_shr(i16x8_add(i16x8_add(this, col(i + 1)), i16x8_splat(7)), 4);
        store16(out, i, even, odd);
        i += 8;
    }
    i
}
