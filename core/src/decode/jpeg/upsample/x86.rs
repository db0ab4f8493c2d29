//! x86-64 back end of the triangle upsampling: SSE2, which every x86-64 CPU has, eight input
//! samples (sixteen output) at a time.
//!
//! Safety: SSE2 is part of the x86-64 baseline. Loads read 8 bytes at `i - 1`, `i` and
//! `i + 1` with `i + 9 <= n` (the loop condition), stores write 16 bytes at `2 * i`, within
//! an output of `2 * n`.
#![allow(unsafe_code)]

use std::arch::x86_64::*;

/// Eight samples of a row, widened to 16 bits.
#[inline(always)]
fn load8(s: &[u8], at: usize) -> __m128i {
    debug_assert!(at + 8 <= s.len());
    // SAFETY: see the module documentation; `at + 8 <= s.len()`.
    unsafe { _mm_unpacklo_epi8(_mm_loadl_epi64(s.as_ptr().add(at).cast()), _mm_setzero_si128()) }
}

/// Interleaves the even and odd outputs, narrows them to bytes and stores sixteen at
/// `2 * i`.
#[inline(always)]
fn store16(out: &mut [u8], i: usize, even: __m128i, odd: __m128i) {
    debug_assert!(2 * i + 16 <= out.len());
    // SAFETY: see the module documentation; `2 * i + 16 <= out.len()`.
    unsafe {
        let bytes = _mm_packus_epi16(_mm_unpacklo_epi16(even, odd), _mm_unpackhi_epi16(even, odd));
        _mm_storeu_si128(out.as_mut_ptr().add(2 * i).cast(), bytes);
    }
}

#[inline(always)]
fn times3(v: __m128i) -> __m128i {
    // SAFETY: SSE2 is part of the x86-64 baseline.
    unsafe { _mm_add_epi16(_mm_add_epi16(v, v), v) }
}

/// `(a + b + c) >> N`, lane by lane (the sums stay below 2^13).
#[inline(always)]
fn sum_shift<const N: i32>(a: __m128i, b: __m128i, c: i16) -> __m128i {
    // SAFETY: SSE2 is part of the x86-64 baseline.
    unsafe { _mm_srli_epi16::<N>(_mm_add_epi16(_mm_add_epi16(a, b), _mm_set1_epi16(c))) }
}

/// See `upsample::h2`: from sample `i` (at least 1), while the right neighbour of eight
/// exists; returns where it stopped.
pub(super) fn h2(input: &[u8], out: &mut [u8], mut i: usize) -> usize {
    let n = input.len().min(out.len() / 2);
    while i >= 1 && i + 9 <= n {
        let centre = times3(load8(input, i));
        let even = sum_shift::<2>(centre, load8(input, i - 1), 1);
        let odd = sum_shift::<2>(centre, load8(input, i + 1), 2);
        store16(out, i, even, odd);
        i += 8;
    }
    i
}

/// See `upsample::h2v2` and [`h2`].
pub(super) fn h2v2(near: &[u8], far: &[u8], out: &mut [u8], mut i: usize) -> usize {
    let n = near.len().min(far.len()).min(out.len() / 2);
    // SAFETY: SSE2 is part of the x86-64 baseline.
    let col = |at: usize| unsafe { _mm_add_epi16(times3(load8(near, at)), load8(far, at)) };
    while i >= 1 && i + 9 <= n {
        let this = times3(col(i));
        let even = sum_shift::<4>(this, col(i - 1), 8);
        let odd = sum_shift::<4>(this, col(i + 1), 7);
        store16(out, i, even, odd);
        i += 8;
    }
    i
}

#[cfg(test)]
mod tests {
    #[test]
    fn sse2_matches_the_scalar_upsampling() {
        super::super::tests::assert_same_as_scalar(super::h2, super::h2v2);
    }
}
