//! Header parsing of every format: `thumbing::probe`, which applies no limits.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| thumbing_fuzz::probe(data));
