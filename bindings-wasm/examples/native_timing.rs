//! Times the native thumbing library on the task the WebAssembly benchmark runs
//! (`benches/peers/wasm/bench.mjs`): encoded photo in memory → 512×512 cover → JPEG quality 80,
//! on one thread, so the two builds of the same code can be compared.
//!
//! ```text
//! cargo run --release -p thumbing-wasm --example native_timing -- RUNS FILE...
//! ```
//!
//! Prints one JSON object per file: `{"file": "...", "bytes": <output size>, "ms": [<RUNS samples>]}`,
//! after one untimed warm-up run.

use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let Some(runs) = args.next().and_then(|r| r.parse::<usize>().ok()).filter(|&r| r > 0) else {
        eprintln!("usage: native_timing RUNS FILE...");
        return ExitCode::from(2);
    };
    let options = thumbing::Options::new().size(512).quality(80);
    for file in args {
        let bytes = match std::fs::read(&file) {
            Ok(bytes) => bytes,
            Err(e) => {
                eprintln!("native_timing: {file}: {e}");
                return ExitCode::FAILURE;
            }
        };
        let mut output_len = 0;
        let mut samples = Vec::with_capacity(runs);
        for run in 0..=runs {
            let started = Instant::now();
            match options.process(&bytes) {
                Ok(out) => output_len = out.first().map_or(0, |a| a.data.len()),
                Err(e) => {
                    eprintln!("native_timing: {file}: {e}");
                    return ExitCode::FAILURE;
                }
            }
            if run > 0 {
                samples.push(format!("{:.3}", started.elapsed().as_secs_f64() * 1e3));
            }
        }
        let name = file.replace('\\', "\\\\").replace('"', "\\\"");
        println!("{{\"file\": \"{name}\", \"bytes\": {output_len}, \"ms\": [{}]}}", samples.join(", "));
    }
    ExitCode::SUCCESS
}
