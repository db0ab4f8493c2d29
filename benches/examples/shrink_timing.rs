//! Quick timings for shrink-on-load, for notes (not a benchmark suite): JPEG decode time at
//! each scale against zune-jpeg's full decode, and whole-pipeline time for 512 and 128
//! avatars with shrink-on-load on and off. Medians of several runs.
//!
//! ```text
//! cargo run --release -p thumbing-benches --example shrink_timing -- photo.jpg [more.jpg ...]
//! ```

use std::time::{Duration, Instant};

use thumbing::Options;
use thumbing_benches::stats;
use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

const RUNS: usize = 7;

/// The median time of `RUNS` calls of `f`, after one untimed call.
fn median(mut f: impl FnMut()) -> Duration {
    f();
    let times: Vec<f64> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64()
        })
        .collect();
    Duration::from_secs_f64(stats::median(&times).unwrap_or_default())
}

fn ms(d: Duration) -> String {
    format!("{:7.1} ms", d.as_secs_f64() * 1000.0)
}

fn zune_rgb(bytes: &[u8]) -> Vec<u8> {
    let options = DecoderOptions::default().jpeg_set_out_colorspace(ColorSpace::RGB);
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), options);
    decoder.decode().expect("zune-jpeg decodes the file")
}

fn main() {
    let files: Vec<String> = std::env::args().skip(1).collect();
    if files.is_empty() {
        eprintln!("usage: shrink_timing FILE.jpg...");
        std::process::exit(2);
    }
    // For profiling: `SHRINK_TIMING_LOOP=1` only decodes each file at 1/8, many times.
    if let Some(scale) = std::env::var("SHRINK_TIMING_LOOP").ok().and_then(|v| v.parse().ok()) {
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            let time = median(|| {
                for _ in 0..10 {
                    drop(thumbing::decode_jpeg_scaled(&bytes, scale).unwrap());
                }
            });
            println!("{path}: 10 decodes at {scale}/8 {}", ms(time));
        }
        return;
    }
    for path in files {
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
        let info = thumbing::probe(&bytes).expect("probe");
        let kind = if info.progressive { "progressive" } else { "baseline" };
        println!("{path}: {}x{} {kind}", info.width, info.height);
        println!("  decode  zune-jpeg 1/1 {}", ms(median(|| drop(zune_rgb(&bytes)))));
        for scale in (1..=8).rev() {
            let mut accepted = true;
            let time = median(|| accepted = thumbing::decode_jpeg_scaled(&bytes, scale).unwrap().is_some());
            let note = if accepted { "" } else { " (declined)" };
            println!("  decode  thumbing  {scale}/8 {}{note}", ms(time));
        }
        for size in [512, 128] {
            let on = Options::new().size(size);
            let off = on.clone().shrink_on_load(false);
            let scale = on.decode_scale(&info);
            let before = median(|| drop(off.process(&bytes).unwrap()));
            let after = median(|| drop(on.process(&bytes).unwrap()));
            println!(
                "  avatar {size:3}  full decode {}  shrink-on-load ({scale}/8) {}  {:.1}x",
                ms(before),
                ms(after),
                before.as_secs_f64() / after.as_secs_f64()
            );
        }
    }
}
