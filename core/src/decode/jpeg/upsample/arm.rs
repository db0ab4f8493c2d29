//! aarch64 back end of the triangle upsampling: NEON, which every aarch64 CPU has, eight
//! input samples (sixteen output, interleaved by `st2`) at a time.
//!
//! Safety: NEON is part of the aarch64 baseline. Loads read 8 bytes at `i - 1`, `i` and
//! `i + 1` with `i + 9 <= n` (the loop condition), stores write 16 bytes at `2 * i`, within
//! an output of `2 * n`.
#![allow(unsafe_code)]

use std::arch::aarch64::*;

/// Eight samples of a row, widened to 16 bits.
#[inline(always)]
fn load8(s: &[u8], at: usize) -> uint16x8_t {
    debug_assert!(at + 8 <= s.len());
    // SAFETY: see the module documentation; `at + 8 <= s.len()`.
    unsafe { vmovl_u8(vld1_u8(s.as_ptr().add(at))) }
}

#[inline(always)]
fn store16(out: &mut [u8], i: usize, even: uint8x8_t, odd: uint8x8_t) {
    debug_assert!(2 * i + 16 <= out.len());
    // SAFETY: see the module documentation; `2 * i + 16 <= out.len()`.
    unsafe { vst2_u8(out.as_mut_ptr().add(2 * i), uint8x8x2_t(even, odd)) };
}

#[inline(always)]
fn times3(v: uint16x8_t) -> uint16x8_t {
    // SAFETY: NEON is always available on aarch64.
    unsafe { vaddq_u16(vaddq_u16(v, v), v) }
}

/// See `upsample::h2`: from sample `i` (at least 1), while the right neighbour of eight
/// exists; returns where it stopped.
pub(super) fn h2(input: &[u8], out: &mut [u8], mut i: usize) -> usize {
    let n = input.len().min(out.len() / 2);
    // SAFETY (every block below): NEON is always available on aarch64.
    while i >= 1 && i + 9 <= n {
        let centre = times3(load8(input, i));
        let (even, odd) = unsafe {
            let even = vshrn_n_u16::<2>(vaddq_u16(vaddq_u16(centre, load8(input, i - 1)), vdupq_n_u16(1)));
            let odd = vshrn_n_u16::<2>(vaddq_u16(vaddq_u16(centre, load8(input, i + 1)), vdupq_n_u16(2)));
            (even, odd)
        };
        store16(out, i, even, odd);
        i += 8;
    }
    i
}

/// See `upsample::h2v2` and [`h2`].
pub(super) fn h2v2(near: &[u8], far: &[u8], out: &mut [u8], mut i: usize) -> usize {
    let n = near.len().min(far.len()).min(out.len() / 2);
    // SAFETY (every block below): NEON is always available on aarch64.
    let col = |at: usize| unsafe { vaddq_u16(times3(load8(near, at)), load8(far, at)) };
    while i >= 1 && i + 9 <= n {
        let this = times3(col(i));
        let (even, odd) = unsafe {
            let even = vshrn_n_u16::<4>(vaddq_u16(vaddq_u16(this, col(i - 1)), vdupq_n_u16(8)));
            let odd = vshrn_n_u16::<4>(vaddq_u16(vaddq_u16(this, col(i + 1)), vdupq_n_u16(7)));
            (even, odd)
        };
        store16(out, i, even, odd);
        i += 8;
    }
    i
}

#[cfg(test)]
mod tests {
    #[test]
    fn neon_matches_the_scalar_upsampling() {
        super::super::tests::assert_same_as_scalar(super::h2, super::h2v2);
    }
}
