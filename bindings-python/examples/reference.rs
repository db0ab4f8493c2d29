//! The Rust side of the Python module's parity tests and benchmark: the same pipeline, called
//! directly from Rust.
//!
//! ```text
//! reference render INPUT OUT_DIR [key=value ...]   # writes OUT_DIR/0.<ext>, 1.<ext>, ...
//! reference time ROUNDS SIZE FILE...               # median ms of `avatar(bytes, SIZE)` per file
//! reference serve SIZE FILE...                     # per line on stdin: one timed round, ms per file
//! ```
//!
//! `serve` lets a benchmark interleave the Rust rounds with its own, so that background load
//! falls on both alike.
//!
//! `render` keys mirror the Python keyword arguments: `size=64` or `size=640x360` (repeatable,
//! in order), `format`, `quality`, `crop` (`centre`, `smart` or `x,y`), `fit`, `filter`,
//! `background=r,g,b`, `progressive=true`, `png_compression`, `max_pixels`, `max_input_bytes`,
//! `fail_on`. On an image error it prints `error <code>: <message>` and exits with status 3.

use std::process::ExitCode;
use std::time::Instant;

use thumbing::Options;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("render") if args.len() >= 3 => render(&args[1], &args[2], &args[3..]),
        Some("time") if args.len() >= 4 => time(&args[1], &args[2], &args[3..]),
        Some("serve") if args.len() >= 3 => serve(&args[1], &args[2..]),
        _ => Err("usage: reference render INPUT OUT_DIR [key=value ...] | reference time ROUNDS SIZE FILE... \
                  | reference serve SIZE FILE..."
            .into()),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("reference: {message}");
            ExitCode::from(2)
        }
    }
}

fn render(input: &str, out_dir: &str, settings: &[String]) -> Result<ExitCode, String> {
    let mut options = Options::new();
    let mut boxes = Vec::new();
    for setting in settings {
        let (key, value) = setting.split_once('=').ok_or_else(|| format!("{setting:?} is not key=value"))?;
        let bad = |e: &dyn std::fmt::Display| format!("{key}={value}: {e}");
        let int = |v: &str| v.parse::<u64>().map_err(|e| bad(&e));
        options = match key {
            "size" => {
                let (w, h) = value.split_once('x').unwrap_or((value, value));
                boxes.push((int(w)? as u32, int(h)? as u32));
                options
            }
            "format" => options.format(value.parse().map_err(|e| bad(&e))?),
            "quality" => options.quality(int(value)? as u8),
            "crop" => options.crop(value.parse().map_err(|e| bad(&e))?),
            "filter" => options.filter(value.parse().map_err(|e| bad(&e))?),
            "fit" => options.fit(value.parse().map_err(|e| bad(&e))?),
            "png_compression" => options.png_compression(value.parse().map_err(|e| bad(&e))?),
            "fail_on" => options.fail_on(value.parse().map_err(|e| bad(&e))?),
            "background" => {
                let rgb: Vec<u8> =
                    value.split(',').map(|c| c.parse::<u8>().map_err(|e| bad(&e))).collect::<Result<_, _>>()?;
                options.background(rgb.try_into().map_err(|_| bad(&"expected r,g,b"))?)
            }
            "progressive" => options.progressive(value == "true"),
            "max_pixels" => options.max_pixels(int(value)?),
            "max_input_bytes" => options.max_input_bytes(int(value)? as usize),
            _ => return Err(format!("unknown key {key:?}")),
        };
    }
    if !boxes.is_empty() {
        options = options.boxes(boxes);
    }
    let bytes = std::fs::read(input).map_err(|e| format!("{input}: {e}"))?;
    match options.process(&bytes) {
        Ok(avatars) => {
            std::fs::create_dir_all(out_dir).map_err(|e| format!("{out_dir}: {e}"))?;
            for (i, avatar) in avatars.iter().enumerate() {
                let path = format!("{out_dir}/{i}.{}", avatar.format.extension());
                std::fs::write(&path, &avatar.data).map_err(|e| format!("{path}: {e}"))?;
            }
            Ok(ExitCode::SUCCESS)
        }
        Err(e) => {
            println!("error {}: {e}", e.kind().code());
            Ok(ExitCode::from(3))
        }
    }
}

/// The files' bytes, by name.
fn read_all(files: &[String]) -> Result<Vec<(String, Vec<u8>)>, String> {
    files.iter().map(|f| std::fs::read(f).map(|b| (f.clone(), b)).map_err(|e| format!("{f}: {e}"))).collect()
}

/// Milliseconds taken by one `thumbing::avatar` call.
fn timed_avatar(bytes: &[u8], size: u32) -> Result<f64, String> {
    let started = Instant::now();
    let out = thumbing::avatar(bytes, size).map_err(|e| e.to_string())?;
    let ms = started.elapsed().as_secs_f64() * 1e3;
    std::hint::black_box(out);
    Ok(ms)
}

fn serve(size: &str, files: &[String]) -> Result<ExitCode, String> {
    let size: u32 = size.parse().map_err(|e| format!("SIZE {size:?}: {e}"))?;
    let inputs = read_all(files)?;
    for line in std::io::stdin().lines() {
        line.map_err(|e| format!("stdin: {e}"))?;
        let times: Vec<String> =
            inputs.iter().map(|(_, b)| timed_avatar(b, size).map(|ms| format!("{ms:.3}"))).collect::<Result<_, _>>()?;
        println!("{}", times.join("\t"));
    }
    Ok(ExitCode::SUCCESS)
}

fn time(rounds: &str, size: &str, files: &[String]) -> Result<ExitCode, String> {
    let rounds: usize = rounds.parse().map_err(|e| format!("ROUNDS {rounds:?}: {e}"))?;
    let size: u32 = size.parse().map_err(|e| format!("SIZE {size:?}: {e}"))?;
    let inputs = read_all(files)?;
    let mut samples: Vec<Vec<f64>> = vec![Vec::with_capacity(rounds); inputs.len()];
    // Interleaved like the Python benchmark: one call per file per round.
    for _ in 0..rounds {
        for ((_, bytes), times) in inputs.iter().zip(&mut samples) {
            times.push(timed_avatar(bytes, size)?);
        }
    }
    for ((file, _), mut times) in inputs.iter().zip(samples) {
        times.sort_by(f64::total_cmp);
        println!("{file}\t{:.3}", times[times.len() / 2]);
    }
    Ok(ExitCode::SUCCESS)
}
