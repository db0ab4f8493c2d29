//! The whole pipeline, decode to encode, with options (size, fit, crop, filter, format,
//! quality, progressive, fail_on) read from the first 8 bytes of the input.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| thumbing_fuzz::avatar(data));
