//! The PNG decoder, through the public pipeline: inputs that sniff as PNG are rendered
//! small, and damaged ones again in best-effort mode.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| thumbing_fuzz::decode_as(thumbing::ImageFormat::Png, data));
