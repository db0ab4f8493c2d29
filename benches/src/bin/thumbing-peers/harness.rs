//! The orchestrator: starts one worker per library, runs every case interleaved, measures
//! memory in fresh processes, scores every output against the reference.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::time::{Duration, Instant};

use thumbing_benches::protocol::{self, Format, Job, Request, Response, Task};
use thumbing_benches::reference::{self, FloatImage};
use thumbing_benches::ssim::{self, Score};
use thumbing_benches::stats::Summary;

/// A hang guard: a single request taking longer than this is a failure, not a measurement.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// Which libraries are compared, and where the report goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Suite {
    /// thumbing (Rust, in-process) against sharp, Pillow and pyvips: `peers.*`.
    Main,
    /// thumbing's Python module (worker `benches/peers/python_worker.py`) against Pillow and
    /// pyvips: `python-harness.*`.
    Python,
    /// thumbing's WASM build under Node (worker `benches/peers/wasm/worker.mjs`) against
    /// sharp: `wasm-harness.*`.
    Wasm,
}

impl Suite {
    /// The file prefix of the report in the output directory.
    pub fn prefix(self) -> &'static str {
        match self {
            Suite::Main => "peers",
            Suite::Python => "python-harness",
            Suite::Wasm => "wasm-harness",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Suite::Main => "thumbing vs sharp, Pillow and pyvips",
            Suite::Python => "thumbing's Python module vs Pillow and pyvips",
            Suite::Wasm => "thumbing's WASM build under Node vs sharp",
        }
    }
}

/// Everything a run needs to know.
#[derive(Debug, Clone)]
pub struct Config {
    pub suite: Suite,
    pub root: PathBuf,
    pub corpus: PathBuf,
    pub peers_dir: PathBuf,
    pub out_dir: PathBuf,
    pub runs: usize,
    pub warmup: usize,
    pub quick: bool,
    pub libs: Option<Vec<String>>,
    pub cases: Option<String>,
    pub command_line: String,
}

/// How to start one library's worker.
#[derive(Debug, Clone)]
pub struct LibSpec {
    pub name: String,
    pub program: PathBuf,
    pub args: Vec<String>,
}

impl LibSpec {
    fn new(name: &str, program: impl Into<PathBuf>, args: &[&str]) -> LibSpec {
        LibSpec { name: name.into(), program: program.into(), args: args.iter().map(|s| s.to_string()).collect() }
    }

    fn command(&self, config: &Config) -> Command {
        let mut cmd = Command::new(&self.program);
        cmd.args(&self.args)
            .current_dir(&config.root)
            // Single-threaded everywhere, as the comparison promises.
            .env("VIPS_CONCURRENCY", "1")
            .env("OMP_NUM_THREADS", "1")
            .env("RAYON_NUM_THREADS", "1")
            .env("UV_THREADPOOL_SIZE", "1")
            .env("PEERS_DIR", &config.peers_dir)
            .env("PYTHONDONTWRITEBYTECODE", "1");
        cmd
    }
}

fn python(config: &Config) -> PathBuf {
    config.peers_dir.join("venv").join("bin").join("python")
}

/// The libraries of `config.suite`; the first one is the baseline of every ratio.
pub fn libraries(config: &Config) -> Result<Vec<LibSpec>, String> {
    let me = std::env::current_exe().map_err(|e| format!("cannot find this executable: {e}"))?;
    let peers = config.root.join("benches").join("peers");
    let script = |name: &str| peers.join(name).to_string_lossy().into_owned();
    let thumbing = LibSpec::new("thumbing", &me, &["worker"]);
    // thumbing without shrink-on-load: the before/after of its scaled JPEG decoder, in the
    // same run. A variant of the baseline, not a peer (see `report::is_variant`).
    let full_decode = LibSpec::new("thumbing-full-decode", &me, &["worker", "--full-decode"]);
    let sharp = LibSpec::new("sharp", "node", &[&script("sharp_worker.js")]);
    let pillow = LibSpec::new("pillow", python(config), &[&script("pillow_pyvips.py"), "--lib", "pillow"]);
    let pyvips = LibSpec::new("pyvips", python(config), &[&script("pillow_pyvips.py"), "--lib", "pyvips"]);
    let all = match config.suite {
        Suite::Main => vec![thumbing, sharp, pillow, pyvips, full_decode],
        Suite::Python => {
            let hook = peers.join("python_module.py");
            if !hook.is_file() {
                return Err(format!("the Python suite needs {} (not present yet)", hook.display()));
            }
            vec![
                LibSpec::new("thumbing-python", python(config), &[&script("python_module.py")]),
                pillow,
                pyvips,
                thumbing,
            ]
        }
        Suite::Wasm => {
            let hook = ["worker.mjs", "worker.js"].iter().map(|f| peers.join("wasm").join(f)).find(|p| p.is_file());
            let Some(hook) = hook else {
                return Err(format!("the WASM suite needs the worker {}/wasm/worker.mjs", peers.display()));
            };
            vec![LibSpec::new("thumbing-wasm", "node", &[&hook.to_string_lossy()]), sharp, thumbing]
        }
    };
    Ok(match &config.libs {
        Some(keep) => all.into_iter().filter(|l| keep.contains(&l.name)).collect(),
        None => all,
    })
}

/// One input and task.
#[derive(Debug, Clone)]
pub struct Case {
    pub task: Task,
    /// Path relative to the corpus, as shown in reports.
    pub file: String,
    pub path: PathBuf,
    pub width: u32,
    pub height: u32,
    pub input_bytes: u64,
}

impl Case {
    pub fn megapixels(&self) -> f64 {
        f64::from(self.width) * f64::from(self.height) / 1e6
    }

    pub fn short_name(&self) -> &str {
        self.file.rsplit('/').next().unwrap_or(&self.file)
    }
}

/// Photos for `--quick` runs and when the photo set is missing: real camera files of 2–9
/// megapixels, one with an EXIF rotation.
const PHOTOS: [&str; 5] = [
    "photos-exif-samples/HMD_Nokia_8.3_5G.jpg",
    "photos-exif-samples/iphone_hdr_NO.jpg",
    "sharp-fixtures/2569067123_aca715a2ee_o.jpg",
    "sharp-fixtures/flowers.jpeg",
    "exif-orientation-examples/Landscape_6.jpg",
];
/// PNGs with alpha.
const ALPHA: [&str; 2] = ["sharp-fixtures/blackbug.png", "sharp-fixtures/test-pattern.png"];

/// The benchmark photo set that `benches/peers/photos.py` makes from the corpus (2–24 MP,
/// baseline and progressive, 4:2:0, 4:2:2 and 4:4:4, portrait, panoramic; recipes in its
/// `photos.tsv`), in the order of that file; empty when it has not been made.
fn photo_set(config: &Config) -> Vec<String> {
    let dir = config.peers_dir.join("photos");
    let Ok(manifest) = std::fs::read_to_string(dir.join("photos.tsv")) else {
        return Vec::new();
    };
    manifest
        .lines()
        .skip(1)
        .filter_map(|line| line.split('\t').next())
        .filter(|name| !name.is_empty())
        .map(|name| dir.join(name).to_string_lossy().into_owned())
        .collect()
}

/// The cases to run, in order: the cover tasks over the photo set (or the corpus photos
/// without it), the decode-only rows over the photo set's baseline files, then the alpha
/// PNGs.
pub fn cases(config: &Config) -> Result<Vec<Case>, String> {
    let t = |name: &str| protocol::task(name).expect("known task");
    let set = photo_set(config);
    let photos: Vec<String> = if set.is_empty() { PHOTOS.iter().map(|f| f.to_string()).collect() } else { set.clone() };
    let list: Vec<(Task, String)> = if config.quick {
        vec![(t("cover512"), PHOTOS[2].to_string()), (t("alpha512"), ALPHA[0].to_string())]
    } else {
        let mut v: Vec<(Task, String)> = Vec::new();
        for task in ["cover512", "cover128"] {
            v.extend(photos.iter().map(|f| (t(task), f.clone())));
        }
        for task in ["decode1", "decode2", "decode4", "decode8"] {
            v.extend(set.iter().map(|f| (t(task), f.clone())));
        }
        v.extend(ALPHA.iter().map(|f| (t("alpha512"), f.to_string())));
        v
    };
    let set_dir = config.peers_dir.join("photos");
    let mut out = Vec::new();
    for (task, file) in list {
        if let Some(filter) = &config.cases
            && !format!("{}/{file}", task.name).contains(filter.as_str())
        {
            continue;
        }
        // Corpus files by their path in the corpus; the photo set's (absolute paths) as
        // `photos/<name>`.
        let path = config.corpus.join(&file);
        let file = match file.strip_prefix(&*set_dir.to_string_lossy()) {
            Some(name) => format!("photos{name}"),
            None => file,
        };
        let bytes = std::fs::read(&path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let info = thumbing::probe(&bytes).map_err(|e| format!("{}: {e}", path.display()))?;
        let (width, height) = info.upright_size();
        out.push(Case { task, file, path, width, height, input_bytes: bytes.len() as u64 });
    }
    if out.is_empty() {
        return Err("no case matches the --cases filter".into());
    }
    Ok(out)
}

/// A running worker process.
struct Worker {
    spec: LibSpec,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: Receiver<String>,
    info: Response,
}

impl Worker {
    fn start(spec: &LibSpec, config: &Config, log_dir: &Path) -> Result<Worker, String> {
        let log_path = log_dir.join(format!("{}.log", spec.name));
        let log = std::fs::File::create(&log_path).map_err(|e| format!("cannot create {}: {e}", log_path.display()))?;
        let mut child = spec
            .command(config)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::from(log))
            .spawn()
            .map_err(|e| format!("cannot start {} ({}): {e}", spec.name, spec.program.display()))?;
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        let mut worker = Worker { spec: spec.clone(), child, stdin, lines, info: Response::default() };
        let info = worker.call(&Request::Info).map_err(|e| {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(15).collect::<Vec<_>>().into_iter().rev().collect();
            format!("{e}\n--- {} ---\n{}", log_path.display(), tail.join("\n"))
        })?;
        worker.info = info;
        Ok(worker)
    }

    fn call(&mut self, request: &Request) -> Result<Response, String> {
        let name = &self.spec.name;
        let line = serde_json::to_string(request).map_err(|e| e.to_string())?;
        let stdin = self.stdin.as_mut().ok_or_else(|| format!("{name}: worker already closed"))?;
        writeln!(stdin, "{line}").and_then(|()| stdin.flush()).map_err(|e| format!("{name}: worker is gone ({e})"))?;
        loop {
            match self.lines.recv_timeout(REQUEST_TIMEOUT) {
                Ok(reply) => {
                    let reply = reply.trim();
                    // Anything a library prints on stdout that is not a JSON object is noise.
                    if !reply.starts_with('{') {
                        continue;
                    }
                    let response: Response =
                        serde_json::from_str(reply).map_err(|e| format!("{name}: bad reply {reply:?}: {e}"))?;
                    return match response.error {
                        Some(error) => Err(format!("{name}: {error}")),
                        None => Ok(response),
                    };
                }
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    return Err(format!("{name}: no answer within {}s; worker killed", REQUEST_TIMEOUT.as_secs()));
                }
                Err(RecvTimeoutError::Disconnected) => return Err(format!("{name}: worker exited")),
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `request` in a fresh worker process (`--once`) for its memory figures.
fn once(spec: &LibSpec, config: &Config, job: &Job) -> Result<Response, String> {
    let request = serde_json::to_string(&Request::Run(job.clone())).map_err(|e| e.to_string())?;
    let mut child = spec
        .command(config)
        .arg("--once")
        .arg(&request)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot start {}: {e}", spec.name))?;
    let deadline = Instant::now() + REQUEST_TIMEOUT;
    loop {
        if child.try_wait().map_err(|e| e.to_string())?.is_some() {
            break;
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{}: one-shot run did not finish within {}s", spec.name, REQUEST_TIMEOUT.as_secs()));
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().map_err(|e| e.to_string())?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout.lines().rev().find(|l| l.trim_start().starts_with('{')).ok_or_else(|| {
        format!(
            "{}: one-shot run printed no result; stderr: {}",
            spec.name,
            String::from_utf8_lossy(&output.stderr).trim()
        )
    })?;
    let response: Response =
        serde_json::from_str(line).map_err(|e| format!("{}: bad reply {line:?}: {e}", spec.name))?;
    match response.error {
        Some(error) => Err(format!("{}: {error}", spec.name)),
        None => Ok(response),
    }
}

/// One library's figures for one case.
#[derive(Debug, Clone, Default)]
pub struct Measurement {
    pub lib: String,
    pub samples: Vec<f64>,
    pub summary: Option<Summary>,
    pub output_bytes: Option<u64>,
    pub idle_kb: Option<u64>,
    pub peak_kb: Option<u64>,
    /// Against the exact centred crop.
    pub score: Option<Score>,
    /// The best over crop windows moved by up to half an output pixel, and that move.
    pub aligned: Option<(Score, Shift)>,
    pub error: Option<String>,
    pub note: Option<String>,
}

/// All libraries' figures for one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    pub case: Case,
    pub rows: Vec<Measurement>,
}

/// Library name and version as reported by its worker.
#[derive(Debug, Clone)]
pub struct LibInfo {
    pub name: String,
    pub version: String,
    pub detail: String,
}

/// The whole run.
#[derive(Debug, Clone)]
pub struct RunResult {
    pub libs: Vec<LibInfo>,
    pub cases: Vec<CaseResult>,
    pub load_before: Option<[f64; 3]>,
    pub load_after: Option<[f64; 3]>,
    pub started: std::time::SystemTime,
    pub elapsed: Duration,
}

/// A move of the crop window in output pixels (x, y).
pub type Shift = (f64, f64);

/// A reference for one crop-window move.
type ShiftedReference = (Shift, FloatImage);

/// Crop-window moves, in output pixels, over which the aligned score is taken.
const SHIFTS: [f64; 5] = [-0.5, -0.25, 0.0, 0.25, 0.5];

/// The references for a case: the exact centred crop first, then the crop moved by every
/// combination of [`SHIFTS`].
fn references_for(case: &Case) -> Result<Vec<ShiftedReference>, String> {
    let bytes = std::fs::read(&case.path).map_err(|e| format!("cannot read {}: {e}", case.path.display()))?;
    let full = FloatImage::from_bitmap(&reference::decode_upright(&bytes).map_err(|e| format!("reference: {e}"))?);
    let (w, h) = (case.task.width, case.task.height);
    let mut refs = vec![((0.0, 0.0), reference::cover_shifted(&full, w, h, (0.0, 0.0)))];
    for dy in SHIFTS {
        for dx in SHIFTS {
            if (dx, dy) != (0.0, 0.0) {
                refs.push(((dx, dy), reference::cover_shifted(&full, w, h, (dx, dy))));
            }
        }
    }
    Ok(refs)
}

/// Scores an output file: exact, and best-aligned.
fn score(references: &[ShiftedReference], output: &Path, format: Format) -> Result<(Score, (Score, Shift)), String> {
    let bytes = std::fs::read(output).map_err(|e| format!("cannot read {}: {e}", output.display()))?;
    let decoded = FloatImage::from_bitmap(&reference::decode_output(&bytes)?);
    let background = (format == Format::Jpeg).then_some([255.0, 255.0, 255.0]);
    let mut exact = None;
    let mut best: Option<(Score, Shift)> = None;
    for (shift, reference) in references {
        let s = ssim::compare(reference, &decoded, background).map_err(|e| e.to_string())?;
        if *shift == (0.0, 0.0) {
            exact = Some(s);
        }
        if best.is_none_or(|(b, _)| s.ssim > b.ssim) {
            best = Some((s, *shift));
        }
    }
    Ok((exact.ok_or("no exact reference")?, best.ok_or("no reference")?))
}

/// Runs every case of the suite.
pub fn run(config: &Config) -> Result<RunResult, String> {
    let started = std::time::SystemTime::now();
    let clock = Instant::now();
    let specs = libraries(config)?;
    if specs.is_empty() {
        return Err("no library selected".into());
    }
    let cases = cases(config)?;
    let out_root = config.peers_dir.join("out").join(config.suite.prefix());
    let log_dir = config.peers_dir.join("logs");
    std::fs::create_dir_all(&log_dir).map_err(|e| format!("cannot create {}: {e}", log_dir.display()))?;

    let load_before = thumbing_benches::machine::load_average();
    let mut workers = Vec::new();
    for spec in &specs {
        eprintln!("starting {} ...", spec.name);
        workers.push(Worker::start(spec, config, &log_dir)?);
    }
    let libs: Vec<LibInfo> = workers
        .iter()
        .map(|w| LibInfo {
            name: w.spec.name.clone(),
            version: w.info.version.clone().unwrap_or_else(|| "?".into()),
            detail: w.info.detail.clone().unwrap_or_default(),
        })
        .collect();
    for l in &libs {
        eprintln!("  {} {} {}", l.name, l.version, l.detail);
    }

    let mut results = Vec::new();
    for case in &cases {
        let dir = out_root.join(case.task.name);
        std::fs::create_dir_all(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let input = case.path.to_string_lossy().into_owned();
        let stem = case.short_name().rsplit_once('.').map_or(case.short_name(), |(s, _)| s).to_string();
        let output_path = |lib: &str| dir.join(format!("{stem}.{lib}.{}", case.task.format.extension()));
        let mut rows: Vec<Measurement> =
            workers.iter().map(|w| Measurement { lib: w.spec.name.clone(), ..Measurement::default() }).collect();
        // Decode-only rows compare thumbing's decoder with libjpeg-turbo through Pillow, the
        // one peer whose API decodes without resizing (sharp and pyvips always resize).
        if case.task.format == Format::Raw {
            for row in &mut rows {
                if !matches!(row.lib.as_str(), "thumbing" | "pillow") {
                    row.error = Some("not applicable (no decode-only API)".into());
                }
            }
        }

        // Warm-up; the first run also writes the output that is scored.
        for (w, row) in workers.iter_mut().zip(rows.iter_mut()) {
            if row.error.is_some() {
                continue;
            }
            for i in 0..config.warmup.max(1) {
                // Decode-only rows keep no output (it would be the whole decoded image).
                let keep = i == 0 && case.task.format != Format::Raw;
                let out = keep.then(|| output_path(&w.spec.name).to_string_lossy().into_owned());
                match w.call(&Request::Run(Job::new(&case.task, &input, out))) {
                    Ok(r) => row.output_bytes = r.bytes,
                    Err(e) => {
                        row.error = Some(e);
                        break;
                    }
                }
            }
        }
        // Timed rounds, interleaved, the starting library rotating from round to round.
        let n = workers.len();
        for round in 0..config.runs {
            for k in 0..n {
                let i = (k + round) % n;
                if rows[i].error.is_some() {
                    continue;
                }
                match workers[i].call(&Request::Run(Job::new(&case.task, &input, None))) {
                    Ok(r) => rows[i].samples.push(r.ms.unwrap_or(f64::NAN)),
                    Err(e) => rows[i].error = Some(e),
                }
            }
        }
        // Memory, one fresh process per library; then quality (not for decode-only rows).
        let references =
            if case.task.format == Format::Raw { Err("decode only".to_string()) } else { references_for(case) };
        // (A decode-only row has no output to score.)
        for (spec, row) in specs.iter().zip(rows.iter_mut()) {
            row.summary = Summary::of(&row.samples);
            if row.error.is_some() {
                continue;
            }
            match once(spec, config, &Job::new(&case.task, &input, None)) {
                Ok(r) => {
                    row.idle_kb = r.idle_kb;
                    row.peak_kb = r.peak_kb;
                }
                Err(e) => row.note = Some(format!("memory not measured: {e}")),
            }
            if case.task.format == Format::Raw {
                continue;
            }
            match &references {
                Ok(references) => match score(references, &output_path(&spec.name), case.task.format) {
                    Ok((exact, aligned)) => {
                        row.score = Some(exact);
                        row.aligned = Some(aligned);
                    }
                    Err(e) => row.note = Some(format!("not scored: {e}")),
                },
                Err(e) => row.note = Some(format!("not scored: {e}")),
            }
        }
        let line: Vec<String> = rows
            .iter()
            .map(|r| match (&r.summary, &r.error) {
                (_, Some(e)) => format!("{} FAILED ({e})", r.lib),
                (Some(s), None) => format!(
                    "{} {:.1} ms{}",
                    r.lib,
                    s.median,
                    match (r.score, r.aligned) {
                        (Some(e), Some((a, _))) => format!(" ssim {:.4}/{:.4}", e.ssim, a.ssim),
                        _ => String::new(),
                    }
                ),
                (None, None) => format!("{} -", r.lib),
            })
            .collect();
        eprintln!("{:<9} {:<40} {}", case.task.name, case.file, line.join(" | "));
        results.push(CaseResult { case: case.clone(), rows });
    }
    drop(workers);
    Ok(RunResult {
        libs,
        cases: results,
        load_before,
        load_after: thumbing_benches::machine::load_average(),
        started,
        elapsed: clock.elapsed(),
    })
}
