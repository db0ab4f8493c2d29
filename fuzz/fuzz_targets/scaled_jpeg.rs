//! thumbing's own scaled JPEG decoder (shrink-on-load) at 1/1, 1/2, 1/4 and 1/8: the first
//! byte picks the scale, the rest is the file.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| thumbing_fuzz::scaled_jpeg(data));
