//! `thumbing`: make avatars from photos on the command line, a thin layer over the
//! [`thumbing`] crate. Start reading at `AvatarArgs` (one flag per option of
//! [`thumbing::Options`], parsed through [`thumbing::OptionWord`]), then `run_avatar`;
//! `plan.rs` decides what a batch reads and writes before anything is decoded.
//!
//! ```text
//! thumbing avatar photos/ -o avatars/ --sizes 512,128
//! thumbing probe photo.jpg --json
//! ```

mod console;
mod plan;

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use rayon::prelude::*;
use serde::Serialize;
use thumbing::{Crop, FailOn, Filter, Fit, OptionWord, Options, OutputFormat, PngCompression};

use crate::console::Console;
use crate::plan::{Job, Naming};

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
    ///
    /// A file named here goes straight into the output directory; a file found inside a
    /// directory keeps its path below it (photos/2024/a.jpg -> OUT/2024/a.jpg). Nothing is
    /// written over an input, a batch in which two inputs would get the same output name is
    /// refused before it starts, and existing outputs are skipped unless --overwrite is given.
    /// Exit status: 0 when no file failed, 1 when some did (or no image was found), 2 for a
    /// usage error or a refused batch, 141 when stdout is closed early (`| head`).
    Avatar(AvatarArgs),
    /// Show what the headers of images say, without decoding them: the stored size and the
    /// upright size (after the EXIF orientation), the format, colour model and more.
    Probe(ProbeArgs),
}

#[derive(Args)]
struct AvatarArgs {
    /// Image files or directories.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output directory (created if missing). It must not be where an output would replace an input.
    #[arg(short, long)]
    output: PathBuf,
    /// Replace outputs that exist already (by default their inputs are skipped and reported).
    #[arg(long)]
    overwrite: bool,
    /// Side of the square avatar, in pixels.
    #[arg(long, default_value_t = 512, conflicts_with = "sizes")]
    size: u32,
    /// Several outputs from one decode: square sides and WIDTHxHEIGHT boxes, e.g.
    /// 512,256,640x360 (files are named <stem>-<size>.<ext> and <stem>-<width>x<height>.<ext>).
    #[arg(long, value_delimiter = ',', value_parser = parse_box)]
    sizes: Option<Vec<(u32, u32)>>,
    /// Output format: jpeg, png, webp (lossy), webp-lossless or avif.
    #[arg(long, default_value = "jpeg", value_parser = Word::<OutputFormat>::new())]
    format: OutputFormat,
    /// Quality of jpeg, webp and avif, 1-100.
    #[arg(long, default_value_t = 80)]
    quality: u8,
    /// Where to crop: centre, smart, or a focal point X,Y (fractions 0..1).
    #[arg(long, default_value = "centre", value_parser = Word::<Crop>::new())]
    crop: Crop,
    /// How to fit: cover (crop to fill), contain (letterbox) or inside (no crop, no padding).
    #[arg(long, default_value = "cover", value_parser = Word::<Fit>::new())]
    fit: Fit,
    /// Resampling filter.
    #[arg(long, default_value = "lanczos3", value_parser = Word::<Filter>::new())]
    filter: Filter,
    /// What transparency is flattened onto for JPEG, and what --fit contain pads with: R,G,B.
    #[arg(long, default_value = "255,255,255", value_parser = parse_rgb)]
    background: [u8; 3],
    /// Make progressive JPEGs.
    #[arg(long)]
    progressive: bool,
    /// PNG compression effort.
    #[arg(long, default_value = "balanced", value_parser = Word::<PngCompression>::new())]
    png_compression: PngCompression,
    /// Reject images with more pixels than this.
    #[arg(long, default_value_t = thumbing::Limits::DEFAULT_MAX_PIXELS)]
    max_pixels: u64,
    /// Reject files larger than this many bytes.
    #[arg(long, default_value_t = thumbing::Limits::DEFAULT_MAX_INPUT_BYTES)]
    max_input_bytes: usize,
    /// Refuse, from its header, an image whose decode and resize would need more memory than
    /// this many bytes (default: no budget).
    #[arg(long)]
    memory_budget: Option<u64>,
    /// Decode every image whole instead of in bands of rows (same pixels, more memory; for
    /// comparisons).
    #[arg(long)]
    no_bands: bool,
    /// Damaged input: truncated (the default: recoverable damage gives an avatar and a
    /// warning, a truncated file fails), warning (any damage fails the file) or never (decode
    /// what is there).
    #[arg(long, default_value = "truncated", value_parser = Word::<FailOn>::new())]
    fail_on: FailOn,
    /// The same as --fail-on never.
    #[arg(long, conflicts_with = "fail_on")]
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

/// Parses an option word through thumbing's vocabulary ([`OptionWord`]), so the command
/// accepts exactly the words of every other interface; `--help` lists the canonical ones.
#[derive(Clone)]
struct Word<T>(std::marker::PhantomData<T>);

impl<T> Word<T> {
    fn new() -> Self {
        Word(std::marker::PhantomData)
    }
}

impl<T: OptionWord + Send + Sync> TypedValueParser for Word<T> {
    type Value = T;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<T, clap::Error> {
        let option = arg.and_then(|a| a.get_long()).map_or_else(|| T::OPTION.to_owned(), |long| format!("--{long}"));
        let text = value.to_string_lossy();
        T::parse_named(&text, &option).map_err(|e| cmd.clone().error(clap::error::ErrorKind::ValueValidation, e))
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        // An option that also takes other forms (a focal point) describes them in its help.
        if T::OTHER.is_some() {
            return None;
        }
        let names = T::names();
        Some(Box::new(T::WORDS.iter().map(move |&(word, _)| PossibleValue::new(word).hide(!names.contains(&word)))))
    }
}

/// `512` (a square) or `640x360` (a box).
fn parse_box(s: &str) -> Result<(u32, u32), String> {
    let side = |v: &str| v.trim().parse::<u32>().map_err(|_| format!("{s:?} is not a size like 512 or 640x360"));
    match s.split_once(['x', 'X']) {
        Some((w, h)) => Ok((side(w)?, side(h)?)),
        None => side(s).map(|v| (v, v)),
    }
}

/// `R,G,B`, each 0-255.
fn parse_rgb(s: &str) -> Result<[u8; 3], String> {
    let channels: Option<Vec<u8>> = s.split(',').map(|c| c.trim().parse::<u8>().ok()).collect();
    channels
        .and_then(|c| <[u8; 3]>::try_from(c).ok())
        .ok_or_else(|| format!("{s:?} is not a colour R,G,B (0-255 each)"))
}

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
    /// Not processed because outputs exist (and `--overwrite` was not given).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    skipped: bool,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    existing: Vec<PathBuf>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    outputs: Vec<OutputFile>,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<ErrorReport>,
    /// Damage in the input that the avatar was made despite.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<WarningReport>,
    bytes_in: u64,
    ms: f64,
}

#[derive(Serialize)]
struct WarningReport {
    code: &'static str,
    message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    offset: Option<u64>,
}

impl FileReport {
    fn new(input: PathBuf) -> Self {
        FileReport {
            input,
            ok: false,
            skipped: false,
            existing: vec![],
            outputs: vec![],
            error: None,
            warnings: vec![],
            bytes_in: 0,
            ms: 0.0,
        }
    }

    fn failed(input: PathBuf, code: &'static str, message: String) -> Self {
        FileReport { error: Some(ErrorReport { code, message }), ..FileReport::new(input) }
    }
}

#[derive(Serialize)]
struct Summary {
    ok: usize,
    skipped: usize,
    failed: usize,
    bytes_in: u64,
    bytes_out: u64,
    seconds: f64,
}

/// Prints one file's report: a JSON line, or a line on stderr for a skipped or failed file.
fn print_report(console: &Console, json: bool, bar: &ProgressBar, report: &FileReport) {
    if json {
        console.out(&serde_json::to_string(report).unwrap_or_default());
    } else if let Some(e) = &report.error {
        bar.suspend(|| console.err(&format!("failed  {}: {} ({})", report.input.display(), e.message, e.code)));
    } else if report.skipped {
        let existing: Vec<String> = report.existing.iter().map(|p| p.display().to_string()).collect();
        bar.suspend(|| {
            console.err(&format!(
                "skipped {}: {} exists (--overwrite replaces it)",
                report.input.display(),
                existing.join(", ")
            ))
        });
    } else {
        for w in &report.warnings {
            let at = w.offset.map(|o| format!(" (at byte {o})")).unwrap_or_default();
            bar.suspend(|| {
                console.err(&format!("warning: {}: {}{at} ({})", report.input.display(), w.message, w.code))
            });
        }
    }
}

impl AvatarArgs {
    /// The output boxes, in order.
    fn boxes(&self) -> Vec<(u32, u32)> {
        self.sizes.clone().unwrap_or_else(|| vec![(self.size, self.size)])
    }

    /// The library's options these flags ask for.
    fn options(&self) -> Options {
        let options = Options::new()
            .boxes(self.boxes())
            .format(self.format)
            .quality(self.quality)
            .crop(self.crop)
            .fit(self.fit)
            .filter(self.filter)
            .background(self.background)
            .progressive(self.progressive)
            .png_compression(self.png_compression)
            .max_pixels(self.max_pixels)
            .max_input_bytes(self.max_input_bytes)
            .fail_on(if self.best_effort { FailOn::Never } else { self.fail_on })
            .bands(!self.no_bands);
        match self.memory_budget {
            Some(bytes) => options.memory_budget(bytes),
            None => options,
        }
    }
}

fn run_avatar(args: AvatarArgs) -> ExitCode {
    let console = Console::default();
    let sizes = args.boxes();
    let options = args.options();
    if let Err(e) = options.validate() {
        console.err(&format!("thumbing: {e}"));
        return ExitCode::from(2);
    }
    let naming = Naming { sizes: &sizes, extension: args.format.extension() };
    let plan = match plan::plan(&args.inputs, &args.output, &naming, args.overwrite) {
        Ok(plan) => plan,
        Err(refusals) => {
            console.err("thumbing: nothing was written, because files would be lost:");
            for refusal in &refusals {
                console.err(&format!("  {refusal}"));
            }
            if refusals.iter().any(|r| matches!(r, plan::Refusal::OverwritesInput { .. })) {
                console.err("Choose an output directory that holds none of the inputs.");
            }
            if refusals.iter().any(|r| matches!(r, plan::Refusal::Collision { .. })) {
                console.err("Inputs with the same name need separate output directories: run them separately, or pass the directory that holds them all.");
            }
            return ExitCode::from(2);
        }
    };
    for dir in &plan.empty_dirs {
        console.err(&format!(
            "thumbing: warning: no image files in {} (looked for .{})",
            dir.display(),
            plan::IMAGE_EXTENSIONS.join(", .")
        ));
    }
    let pool = match rayon::ThreadPoolBuilder::new().num_threads(args.jobs.unwrap_or(0)).build() {
        Ok(pool) => pool,
        Err(e) => {
            console.err(&format!("thumbing: cannot start worker threads: {e}"));
            return ExitCode::from(2);
        }
    };
    let bar = if !args.json && std::io::stderr().is_terminal() {
        let bar = ProgressBar::new(plan.jobs.len() as u64);
        bar.set_style(
            ProgressStyle::with_template("{bar:40} {pos}/{len} {elapsed_precise} {msg}")
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
        );
        bar
    } else {
        ProgressBar::hidden()
    };
    let started = Instant::now();
    let mut reports = Vec::new();
    // Inputs that cannot be read, and inputs whose outputs exist, are reported first.
    for missing in &plan.unreadable {
        reports.push(FileReport::failed(missing.input.clone(), "io", missing.message.clone()));
    }
    for (job, existing) in &plan.skipped {
        reports.push(FileReport { skipped: true, existing: existing.clone(), ..FileReport::new(job.input.clone()) });
    }
    for report in &reports {
        print_report(&console, args.json, &bar, report);
    }
    let (bytes_in, bytes_out) = (AtomicU64::new(0), AtomicU64::new(0));
    let processed: Vec<FileReport> = pool.install(|| {
        plan.jobs
            .par_iter()
            .filter_map(|job| {
                // Once stdout is closed (`| head`), stop as a Unix tool would.
                if console.closed() {
                    return None;
                }
                let report = process_file(job, &options, args.overwrite);
                bytes_in.fetch_add(report.bytes_in, Ordering::Relaxed);
                bytes_out.fetch_add(report.outputs.iter().map(|o| o.bytes as u64).sum(), Ordering::Relaxed);
                print_report(&console, args.json, &bar, &report);
                bar.inc(1);
                Some(report)
            })
            .collect()
    });
    bar.finish_and_clear();
    if console.closed() {
        return console.exit(ExitCode::FAILURE);
    }
    reports.extend(processed);
    let failed = reports.iter().filter(|r| r.error.is_some()).count();
    let skipped = reports.iter().filter(|r| r.skipped).count();
    let summary = Summary {
        ok: reports.len() - failed - skipped,
        skipped,
        failed,
        bytes_in: bytes_in.into_inner(),
        bytes_out: bytes_out.into_inner(),
        seconds: started.elapsed().as_secs_f64(),
    };
    if args.json {
        console.out(&serde_json::json!({ "summary": summary }).to_string());
    } else {
        console.err(&format!(
            "{} ok, {} skipped, {} failed; {} in, {} out; {:.2} s",
            summary.ok,
            summary.skipped,
            summary.failed,
            human_bytes(summary.bytes_in),
            human_bytes(summary.bytes_out),
            summary.seconds
        ));
    }
    let nothing_found = reports.is_empty();
    if nothing_found {
        console.err("thumbing: no image files found");
    }
    console.exit(if failed > 0 || nothing_found { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

/// Writes an output file: never over an existing file unless `overwrite` (the plan skipped
/// those; this catches one created since).
fn write_output(path: &std::path::Path, data: &[u8], overwrite: bool) -> std::io::Result<()> {
    use std::io::Write;
    let mut file = if overwrite {
        std::fs::File::create(path)?
    } else {
        std::fs::OpenOptions::new().write(true).create_new(true).open(path)?
    };
    file.write_all(data)
}

fn process_file(job: &Job, options: &Options, overwrite: bool) -> FileReport {
    let started = Instant::now();
    let mut report = FileReport::new(job.input.clone());
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
                    if let Some(first) = avatars.first() {
                        report.warnings = first
                            .warnings
                            .iter()
                            .map(|w| WarningReport {
                                code: w.kind.code(),
                                message: w.message.clone(),
                                offset: w.offset,
                            })
                            .collect();
                    }
                    let written = (|| {
                        for (avatar, path) in avatars.iter().zip(&job.outputs) {
                            if let Some(dir) = path.parent() {
                                std::fs::create_dir_all(dir)?;
                            }
                            write_output(path, &avatar.data, overwrite)
                                .map_err(|e| std::io::Error::new(e.kind(), format!("{}: {e}", path.display())))?;
                            report.outputs.push(OutputFile {
                                path: path.clone(),
                                width: avatar.width,
                                height: avatar.height,
                                bytes: avatar.data.len(),
                            });
                        }
                        Ok::<(), std::io::Error>(())
                    })();
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
    /// The size as stored in the file.
    #[serde(skip_serializing_if = "Option::is_none")]
    width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    height: Option<u32>,
    /// The size once turned upright by the EXIF orientation: what avatars are cut from.
    #[serde(skip_serializing_if = "Option::is_none")]
    upright_width: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    upright_height: Option<u32>,
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

impl ProbeReport {
    fn new(file: PathBuf, result: Result<thumbing::ImageInfo, ErrorReport>) -> Self {
        let mut report = ProbeReport {
            file,
            format: None,
            width: None,
            height: None,
            upright_width: None,
            upright_height: None,
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
                let (upright_width, upright_height) = info.upright_size();
                report.format = Some(info.format.name());
                report.width = Some(info.width);
                report.height = Some(info.height);
                report.upright_width = Some(upright_width);
                report.upright_height = Some(upright_height);
                report.orientation = Some(info.orientation.exif_value());
                report.has_alpha = Some(info.has_alpha);
                report.color_model = Some(info.color_model.name());
                report.has_icc = Some(info.has_icc);
                report.bit_depth = Some(info.bit_depth);
                report.animated = Some(info.animated);
                report.progressive = Some(info.progressive);
            }
            Err(e) => report.error = Some(e),
        }
        report
    }

    /// One line of text, e.g. `a.jpg: jpeg 3000x4000 upright (stored 4000x3000, orientation 6), …`.
    fn text(&self) -> String {
        let file = self.file.display();
        if let Some(e) = &self.error {
            return format!("{file}: error: {} ({})", e.message, e.code);
        }
        let n = |v: Option<u32>| v.unwrap_or_default();
        format!(
            "{file}: {} {}x{} upright (stored {}x{}, orientation {}), {}{}, {}-bit{}{}{}",
            self.format.unwrap_or_default(),
            n(self.upright_width),
            n(self.upright_height),
            n(self.width),
            n(self.height),
            self.orientation.unwrap_or_default(),
            self.color_model.unwrap_or_default(),
            if self.has_alpha == Some(true) { " + alpha" } else { "" },
            self.bit_depth.unwrap_or_default(),
            if self.has_icc == Some(true) { ", ICC profile" } else { "" },
            if self.progressive == Some(true) { ", progressive" } else { "" },
            if self.animated == Some(true) { ", animated" } else { "" },
        )
    }
}

fn run_probe(args: ProbeArgs) -> ExitCode {
    let console = Console::default();
    let mut failed = false;
    for file in &args.files {
        let result =
            std::fs::read(file).map_err(|e| ErrorReport { code: "io", message: e.to_string() }).and_then(|b| {
                thumbing::probe(&b).map_err(|e| ErrorReport { code: e.kind().code(), message: e.to_string() })
            });
        let report = ProbeReport::new(file.clone(), result);
        failed |= report.error.is_some();
        let line = if args.json { serde_json::to_string(&report).unwrap_or_default() } else { report.text() };
        if !console.out(&line) {
            break;
        }
    }
    console.exit(if failed { ExitCode::FAILURE } else { ExitCode::SUCCESS })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn avatar_args(extra: &[&str]) -> Result<AvatarArgs, clap::Error> {
        let args = ["thumbing", "avatar", "in.jpg", "-o", "out"].iter().chain(extra);
        match Cli::try_parse_from(args)?.command {
            Command::Avatar(args) => Ok(args),
            Command::Probe(_) => unreachable!("the avatar subcommand was given"),
        }
    }

    /// Every word of every option, each option's words in upper case, and words that other
    /// tools use or that once slipped into one of thumbing's interfaces.
    fn candidates() -> Vec<String> {
        let mut words: Vec<String> =
            thumbing::option_words().into_iter().flat_map(|(_, words)| words).map(str::to_owned).collect();
        words.extend(words.clone().iter().map(|w| w.to_uppercase()));
        words.extend(["none", "error", "default", "best", "fill", "lanczos4", "gif"].map(str::to_owned));
        words
    }

    #[test]
    fn option_words_are_exactly_the_core_vocabulary() {
        for (option, words) in thumbing::option_words() {
            let flag = format!("--{}", option.replace('_', "-"));
            for candidate in candidates() {
                let expected = words.iter().any(|w| w.eq_ignore_ascii_case(&candidate));
                let accepted = avatar_args(&[&flag, &candidate]).is_ok();
                assert_eq!(accepted, expected, "{flag} {candidate:?}");
            }
        }
        assert!(avatar_args(&["--crop", "0.25,0.75"]).is_ok());
        assert!(avatar_args(&["--crop", "2,0"]).is_err());
    }

    #[test]
    fn defaults_are_the_core_defaults() {
        assert_eq!(avatar_args(&[]).unwrap().options(), Options::new());
        let best_effort = avatar_args(&["--best-effort"]).unwrap().options();
        assert_eq!(best_effort, Options::new().fail_on(FailOn::Never));
    }

    #[test]
    fn sizes_take_squares_and_boxes() {
        let args = avatar_args(&["--sizes", "512,640x360,48"]).unwrap();
        assert_eq!(args.sizes, Some(vec![(512, 512), (640, 360), (48, 48)]));
        assert!(avatar_args(&["--sizes", "512,wide"]).is_err());
        assert!(avatar_args(&["--background", "1,2"]).is_err());
        assert_eq!(avatar_args(&["--background", "1, 2,3"]).unwrap().background, [1, 2, 3]);
        assert!(avatar_args(&["--best-effort"]).unwrap().best_effort);
        assert!(avatar_args(&["--best-effort", "--fail-on", "never"]).is_err());
    }
}
