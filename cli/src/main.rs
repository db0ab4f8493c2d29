//! `thumbing`: make avatars from photos on the command line.
//!
//! ```text
//! thumbing avatar photos/ -o avatars/ --sizes 512,128
//! thumbing probe photo.jpg --json
//! ```

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use thumbing::{Crop, FailOn, Fit, Options, OutputFormat};

/// Fast, safe avatars and thumbnails from photos.
#[derive(Parser)]
#[command(name = "thumbing", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Make avatars from images and directories of images (searched recursively).
    Avatar(AvatarArgs),
    /// Show what the headers of images say, without decoding them.
    Probe(ProbeArgs),
}

#[derive(Args)]
struct AvatarArgs {
    /// Image files or directories.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output directory (created if missing).
    #[arg(short, long)]
    output: PathBuf,
    /// Side of the square avatar, in pixels.
    #[arg(long, default_value_t = 512, conflicts_with = "sizes")]
    size: u32,
    /// Several sizes from one decode, e.g. 512,256,128 (files are named <stem>-<size>.<ext>).
    #[arg(long, value_delimiter = ',')]
    sizes: Option<Vec<u32>>,
    /// Output format: jpeg, png or webp.
    #[arg(long, default_value = "jpeg")]
    format: OutputFormat,
    /// JPEG quality, 1-100.
    #[arg(long, default_value_t = 80)]
    quality: u8,
    /// Where to crop: centre, smart, or a focal point X,Y (fractions 0..1).
    #[arg(long, default_value = "centre")]
    crop: Crop,
    /// How to fit: cover (crop to fill), contain (letterbox) or inside (no crop, no padding).
    #[arg(long, default_value = "cover", value_parser = parse_fit)]
    fit: Fit,
    /// Make progressive JPEGs.
    #[arg(long)]
    progressive: bool,
    /// Reject images with more pixels than this.
    #[arg(long, default_value_t = thumbing::Limits::DEFAULT_MAX_PIXELS)]
    max_pixels: u64,
    /// Decode damaged (e.g. truncated) files as far as possible instead of failing.
    #[arg(long)]
    best_effort: bool,
    /// Files processed in parallel (default: one per core).
    #[arg(short, long)]
    jobs: Option<usize>,
    /// Print one JSON object per file and a summary, instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct ProbeArgs {
    /// Image files.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Print JSON lines instead of text.
    #[arg(long)]
    json: bool,
}

fn parse_fit(s: &str) -> Result<Fit, String> {
    match s {
        "cover" => Ok(Fit::Cover),
        "contain" => Ok(Fit::Contain),
        "inside" => Ok(Fit::Inside),
        _ => Err(format!("{s:?} is not one of cover, contain, inside")),
    }
}

/// File name extensions picked up when walking a directory. Files named explicitly are
/// always tried: the format is sniffed from the bytes, never from the name.
const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "jpe", "jfif", "png", "apng", "webp", "gif"];

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Avatar(args) => run_avatar(args),
        Command::Probe(args) => run_probe(args),
    }
}

#[derive(Serialize)]
struct OutputFile {
    path: PathBuf,
    width: u32,
    height: u32,
    bytes: usize,
}

#[derive(Serialize)]
struct ErrorReport {
    code: &'static str,
    message: String,
}

#[derive(Serialize)]
struct FileReport {
    input: PathBuf,
    ok: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    outputs: Vec<OutputFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorReport>,
    bytes_in: u64,
    ms: f64,
}

#[derive(Serialize)]
struct Summary {
    ok: usize,
    failed: usize,
    bytes_in: u64,
    bytes_out: u64,
    seconds: f64,
}

/// An input file and the directory its output goes to.
struct Job {
    input: PathBuf,
    out_dir: PathBuf,
}

fn collect_jobs(inputs: &[PathBuf], output: &Path) -> Result<Vec<Job>, String> {
    let mut jobs = Vec::new();
    for input in inputs {
        if input.is_dir() {
            for entry in walkdir::WalkDir::new(input).sort_by_file_name() {
                let entry = entry.map_err(|e| format!("{}: {e}", input.display()))?;
                let path = entry.path();
                let is_image = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
                if entry.file_type().is_file() && is_image {
                    // Keep the directory structure, so same-named files don't collide.
                    let rel = path.parent().and_then(|p| p.strip_prefix(input).ok()).unwrap_or(Path::new(""));
                    jobs.push(Job { input: path.to_path_buf(), out_dir: output.join(rel) });
                }
            }
        } else if input.exists() {
            jobs.push(Job { input: input.clone(), out_dir: output.to_path_buf() });
        } else {
            return Err(format!("{}: no such file or directory", input.display()));
        }
    }
    Ok(jobs)
}

fn run_avatar(args: AvatarArgs) -> ExitCode {
    let sizes = args.sizes.clone().unwrap_or_else(|| vec![args.size]);
    let options = Options::new()
        .sizes(sizes.iter().copied())
        .format(args.format)
        .quality(args.quality)
        .crop(args.crop)
        .fit(args.fit)
        .progressive(args.progressive)
        .max_pixels(args.max_pixels)
        .fail_on(if args.best_effort { FailOn::Never } else { FailOn::Truncated });
    if let Err(e) = options.validate() {
        eprintln!("thumbing: {e}");
        return ExitCode::from(2);
    }
    let jobs = match collect_jobs(&args.inputs, &args.output) {
        Ok(jobs) => jobs,
        Err(e) => {
            eprintln!("thumbing: {e}");
            return ExitCode::from(2);
        }
    };
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(args.jobs.unwrap_or(0)).build() {
        Ok(pool) => pool,
        Err(e) => {
            eprintln!("thumbing: cannot start worker threads: {e}");
            return ExitCode::from(2);
        }
    };
    let bar = if !args.json && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(jobs.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed_precise} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let started = Instant::now();
    let (bytes_in, bytes_out) = (AtomicU64::new(0), AtomicU64::new(0));
    let several = sizes.len() > 1;
    let reports: Vec<FileReport> = pool.install(|| {
        jobs.par_iter()
            .map(|job| {
                let report = process_file(job, &options, &sizes, several);
                bytes_in.fetch_add(report.bytes_in, Ordering::Relaxed);
                bytes_out.fetch_add(report.outputs.iter().map(|o| o.bytes as u64).sum(), Ordering::Relaxed);
                if args.json {
                    println!("{}", serde_json::to_string(&report).unwrap_or_default());
                } else if let Some(e) = &report.error {
                    bar.suspend(|| eprintln!("failed  {}: {} ({})", report.input.display(), e.message, e.code));
                }
                bar.inc(1);
                report
            })
            .collect()
    });
    bar.finish_and_clear();
    let failed = reports.iter().filter(|r| !r.ok).count();
    let summary = Summary {
        ok: reports.len() - failed,
        failed,
        bytes_in: bytes_in.into_inner(),
        bytes_out: bytes_out.into_inner(),
        seconds: started.elapsed().as_secs_f64(),
    };
    if args.json {
        println!("{}", serde_json::json!({ "summary": summary }));
    } else {
        eprintln!(
            "{} ok, {} failed; {} in, {} out; {:.2} s",
            summary.ok,
            summary.failed,
            human_bytes(summary.bytes_in),
            human_bytes(summary.bytes_out),
            summary.seconds
        );
    }
    if failed > 0 { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}

fn process_file(job: &Job, options: &Options, sizes: &[u32], several: bool) -> FileReport {
    let started = Instant::now();
    let mut report =
        FileReport { input: job.input.clone(), ok: false, outputs: vec![], error: None, bytes_in: 0, ms: 0.0 };
    let fail = |report: &mut FileReport, code: &'static str, message: String| {
        report.error = Some(ErrorReport { code, message });
    };
    match std::fs::read(&job.input) {
        Err(e) => fail(&mut report, "io", e.to_string()),
        Ok(bytes) => {
            report.bytes_in = bytes.len() as u64;
            match options.process(&bytes) {
                Err(e) => fail(&mut report, e.kind().code(), e.to_string()),
                Ok(avatars) => {
                    let stem = job.input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
                    let written = std::fs::create_dir_all(&job.out_dir).and_then(|()| {
                        for (avatar, size) in avatars.iter().zip(sizes) {
                            let name = if several {
                                format!("{stem}-{size}.{}", avatar.format.extension())
                            } else {
                                format!("{stem}.{}", avatar.format.extension())
                            };
                            let path = job.out_dir.join(name);
                            std::fs::write(&path, &avatar.data)?;
                            report.outputs.push(OutputFile {
                                path,
                                width: avatar.width,
                                height: avatar.height,
                                bytes: avatar.data.len(),
                            });
                        }
                        Ok(())
                    });
                    match written {
                        Ok(()) => report.ok = true,
                        Err(e) => fail(&mut report, "io", format!("cannot write output: {e}")),
                    }
                }
            }
        }
    }
    report.ms = duration_ms(started.elapsed());
    report
}

fn duration_ms(d: Duration) -> f64 {
    (d.as_secs_f64() * 1e5).round() / 100.0
}

fn human_bytes(n: u64) -> String {
    match n {
        n if n >= 1 << 20 => format!("{:.1} MiB", n as f64 / f64::from(1 << 20)),
        n if n >= 1 << 10 => format!("{:.1} KiB", n as f64 / 1024.0),
        n => format!("{n} B"),
    }
}

#[derive(Serialize)]
struct ProbeReport {
    file: PathBuf,
    #[serde(skip_serializing_if = "Option::is_none")]
    format: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    orientation: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    has_alpha: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    color_model: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    has_icc: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    bit_depth: Option<u8>,
    #[serde(skip_serializing_if = "Option::is_none")]
    animated: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    progressive: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorReport>,
}

fn run_probe(args: ProbeArgs) -> ExitCode {
    let mut failed = false;
    for file in &args.files {
        let result =
            std::fs::read(file).map_err(|e| ErrorReport { code: "io", message: e.to_string() }).and_then(|b| {
                thumbing::probe(&b).map_err(|e| ErrorReport { code: e.kind().code(), message: e.to_string() })
            });
        let mut report = ProbeReport {
            file: file.clone(),
            format: None,
            width: None,
            height: None,
            orientation: None,
            has_alpha: None,
            color_model: None,
            has_icc: None,
            bit_depth: None,
            animated: None,
            progressive: None,
            error: None,
        };
        match result {
            Ok(info) => {
                report.format = Some(info.format.name());
                report.width = Some(info.width);
                report.height = Some(info.height);
                report.orientation = Some(info.orientation.exif_value());
                report.has_alpha = Some(info.has_alpha);
                report.color_model = Some(info.color_model.name());
                report.has_icc = Some(info.has_icc);
                report.bit_depth = Some(info.bit_depth);
                report.animated = Some(info.animated);
                report.progressive = Some(info.progressive);
            }
            Err(e) => {
                failed = true;
                report.error = Some(e);
            }
        }
        if args.json {
            println!("{}", serde_json::to_string(&report).unwrap_or_default());
        } else if let Some(e) = &report.error {
            println!("{}: error: {} ({})", file.display(), e.message, e.code);
        } else {
            println!(
                "{}: {} {}x{}, orientation {}, {}{}, {}-bit{}{}{}",
                file.display(),
                report.format.unwrap_or_default(),
                report.width.unwrap_or_default(),
                report.height.unwrap_or_default(),
                report.orientation.unwrap_or_default(),
                report.color_model.unwrap_or_default(),
                if report.has_alpha == Some(true) { " + alpha" } else { "" },
                report.bit_depth.unwrap_or_default(),
                if report.has_icc == Some(true) { ", ICC profile" } else { "" },
                if report.progressive == Some(true) { ", progressive" } else { "" },
                if report.animated == Some(true) { ", animated" } else { "" },
            );
        }
    }
    if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS }
}
