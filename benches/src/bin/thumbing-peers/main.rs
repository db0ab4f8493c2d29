//! `thumbing-peers`: times thumbing side by side with sharp, Pillow and pyvips on the same
//! files and tasks, single-threaded, and writes the report into `docs/benchmarks/`.
//!
//! ```text
//! thumbing-peers run [--suite main|python|wasm] [--quick] [--runs 15]   # the harness
//! thumbing-peers worker [--once '<request>']                              # thumbing's worker
//! thumbing-peers score --task cover512 --input photo.jpg out1.jpg ...     # score outputs
//! thumbing-peers criterion-report                                         # cargo bench -> markdown
//! ```
//!
//! Normally started by `scripts/bench-peers.sh`, which installs the peers first.

mod criterion_report;
mod harness;
mod report;
mod worker;

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use clap::{Parser, Subcommand};
use thumbing_benches::protocol::{self, Format};
use thumbing_benches::{corpus, reference, ssim};

#[derive(Parser)]
#[command(
    name = "thumbing-peers",
    version,
    about = "Side-by-side benchmark of thumbing against sharp, Pillow and pyvips"
)]
struct Cli {
    #[command(subcommand)]
    command: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Runs the harness and writes CSV, SVG and markdown into the output directory.
    Run {
        /// Which comparison to run.
        #[arg(long, value_enum, default_value = "main")]
        suite: harness::Suite,
        /// Timed runs per library and case (the median is reported).
        #[arg(long, default_value_t = 15)]
        runs: usize,
        /// Untimed warm-up runs per library and case (at least 1).
        #[arg(long, default_value_t = 1)]
        warmup: usize,
        /// Two cases and 3 runs: checks the set-up end to end in well under a minute.
        #[arg(long)]
        quick: bool,
        /// Only these libraries (comma-separated names).
        #[arg(long, value_delimiter = ',')]
        libs: Option<Vec<String>>,
        /// Only cases whose `task/file` contains this text.
        #[arg(long)]
        cases: Option<String>,
        /// The image corpus [default: $THUMBING_CORPUS or ../shared/corpus].
        #[arg(long)]
        corpus: Option<PathBuf>,
        /// Where the peers are installed [default: <repo>/.peers].
        #[arg(long)]
        peers_dir: Option<PathBuf>,
        /// Where the report goes [default: <repo>/docs/benchmarks].
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Serves thumbing jobs on stdin/stdout (the worker protocol), or runs one with --once.
    Worker {
        /// Run this one request (JSON) in this process and report memory figures.
        #[arg(long)]
        once: Option<String>,
        /// Shrink-on-load off: every JPEG decoded at full size (thumbing before its scaled
        /// decoder), reported as `thumbing-full-decode`.
        #[arg(long)]
        full_decode: bool,
    },
    /// Scores output images against the reference for a task and input.
    Score {
        /// The task the outputs were made for (cover512, cover128, alpha512).
        #[arg(long)]
        task: String,
        /// The original input image.
        #[arg(long)]
        input: PathBuf,
        /// Output images to score.
        #[arg(required = true)]
        outputs: Vec<PathBuf>,
    },
    /// Writes the results of the last `cargo bench -p thumbing-benches` as a markdown table.
    CriterionReport {
        /// Criterion's output [default: $CARGO_TARGET_DIR/criterion or <repo>/target/criterion].
        #[arg(long)]
        criterion_dir: Option<PathBuf>,
        /// The markdown file to write [default: <repo>/docs/benchmarks/criterion.md].
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

fn version_of(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    let text =
        String::from_utf8_lossy(if out.stdout.is_empty() { &out.stderr } else { &out.stdout }).trim().to_string();
    (out.status.success() && !text.is_empty()).then_some(text)
}

fn environment(config: &harness::Config) -> Vec<(String, String)> {
    let mut env = Vec::new();
    if let Some(v) = version_of("rustc", &["--version"]) {
        env.push(("rustc".into(), v.trim_start_matches("rustc ").to_string()));
    }
    if let Some(v) = version_of("node", &["--version"]) {
        env.push(("node".into(), v));
    }
    let python = config.peers_dir.join("venv").join("bin").join("python");
    if let Some(v) = version_of(&python.to_string_lossy(), &["--version"]) {
        env.push(("python".into(), v.trim_start_matches("Python ").to_string()));
    }
    let root = config.root.to_string_lossy().into_owned();
    if let Some(commit) = version_of("git", &["-C", &root, "rev-parse", "--short", "HEAD"]) {
        let dirty = Command::new("git")
            .args(["-C", &root, "status", "--porcelain", "--", "core"])
            .output()
            .is_ok_and(|o| !o.stdout.is_empty());
        env.push((
            "thumbing git".into(),
            if dirty { format!("{commit} (+ uncommitted changes in core/)") } else { commit },
        ));
    }
    env
}

fn run_harness(config: harness::Config) -> Result<(), String> {
    let result = harness::run(&config)?;
    let ctx = report::Context {
        machine: thumbing_benches::machine::Machine::current(),
        environment: environment(&config),
        config: &config,
    };
    for path in report::write_all(&result, &ctx)? {
        eprintln!("wrote {}", path.display());
    }
    let failures: Vec<String> = result
        .cases
        .iter()
        .flat_map(|c| {
            c.rows
                .iter()
                .filter_map(move |m| m.error.as_ref().map(|e| format!("{} {}: {e}", c.case.task.name, c.case.file)))
        })
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} run(s) failed:\n{}", failures.len(), failures.join("\n")))
    }
}

fn score(task: &str, input: &Path, outputs: &[PathBuf]) -> Result<(), String> {
    let task = protocol::task(task).ok_or_else(|| format!("unknown task {task:?}"))?;
    let bytes = corpus::read(input)?;
    let reference = reference::cover(&bytes, task.width, task.height).map_err(|e| format!("reference: {e}"))?;
    let background = (task.format == Format::Jpeg).then_some([255.0, 255.0, 255.0]);
    for output in outputs {
        let decoded =
            reference::decode_output(&corpus::read(output)?).map_err(|e| format!("{}: {e}", output.display()))?;
        let s = ssim::compare(&reference, &reference::FloatImage::from_bitmap(&decoded), background)
            .map_err(|e| format!("{}: {e}", output.display()))?;
        println!("{}\tssim {:.5}\tpsnr {:.2} dB", output.display(), s.ssim, s.psnr_db);
    }
    Ok(())
}

fn criterion_markdown(criterion_dir: Option<PathBuf>, out: Option<PathBuf>) -> Result<(), String> {
    let root = corpus::repo_root();
    let dir = criterion_dir.unwrap_or_else(|| {
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from).join("criterion")
    });
    let out = out.unwrap_or_else(|| root.join("docs").join("benchmarks").join("criterion.md"));
    let machine = thumbing_benches::machine::Machine::current();
    let rustc = version_of("rustc", &["--version"]).unwrap_or_else(|| "rustc ?".into());
    let commit =
        version_of("git", &["-C", &root.to_string_lossy(), "rev-parse", "--short", "HEAD"]).unwrap_or_default();
    let written = std::time::SystemTime::now();
    let header = format!(
        "# Criterion results\n\nThe last `cargo bench -p thumbing-benches` on this machine, collected by \
         `thumbing-peers criterion-report` on {}. Groups and inputs: [README.md](README.md#criterion-benches).\n\n\
         - **Machine:** {}\n- **Toolchain:** {rustc}; thumbing at git {commit}\n\
         - **Settings:** 10 samples per benchmark (flat sampling for the decoding groups), 1 s warm-up, 3 s measurement; \
         the median and its 95% bootstrap confidence interval are shown.\n",
        report::utc_timestamp(written),
        machine.summary()
    );
    let markdown = criterion_report::render(&dir, &header)?;
    std::fs::write(&out, markdown).map_err(|e| format!("cannot write {}: {e}", out.display()))?;
    eprintln!("wrote {}", out.display());
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Cmd::Worker { once: Some(request), full_decode } => worker::once(&request, full_decode),
        Cmd::Worker { once: None, full_decode } => worker::serve(full_decode),
        Cmd::Score { task, input, outputs } => score(&task, &input, &outputs),
        Cmd::CriterionReport { criterion_dir, out } => criterion_markdown(criterion_dir, out),
        Cmd::Run { suite, runs, warmup, quick, libs, cases, corpus: corpus_dir, peers_dir, out } => {
            let root = corpus::repo_root();
            let corpus_dir = corpus_dir.unwrap_or_else(corpus::corpus_location);
            if !corpus_dir.join("MANIFEST.tsv").is_file() {
                eprintln!(
                    "error: the image corpus is missing at {} (set {} or pass --corpus)",
                    corpus_dir.display(),
                    corpus::CORPUS_ENV
                );
                return ExitCode::FAILURE;
            }
            let config = harness::Config {
                suite,
                corpus: corpus_dir,
                peers_dir: peers_dir.unwrap_or_else(|| root.join(".peers")),
                out_dir: out.unwrap_or_else(|| root.join("docs").join("benchmarks")),
                runs: if quick { runs.min(3) } else { runs }.max(1),
                warmup,
                quick,
                libs,
                cases,
                command_line: std::env::var("THUMBING_PEERS_COMMAND").unwrap_or_else(|_| {
                    let args: Vec<String> = std::env::args().skip(1).collect();
                    format!("thumbing-peers {}", args.join(" "))
                }),
                root,
            };
            run_harness(config)
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
