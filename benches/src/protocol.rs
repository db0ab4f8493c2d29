//! The peer-harness worker protocol, and thumbing's side of it.
//!
//! Every library under test runs in its own long-lived worker process that reads one JSON
//! request per line on stdin and answers with one JSON line on stdout. The worker times the
//! work itself (bytes in memory to encoded bytes in memory), so start-up, IPC and file I/O are
//! never measured. Requests:
//!
//! ```text
//! {"op":"info"}
//!   -> {"lib":"sharp","version":"0.35.5","detail":"libvips 8.18.7"}
//! {"op":"run","task":"cover512","input":"/abs/photo.jpg","output":"/abs/out.jpg",
//!  "width":512,"height":512,"format":"jpeg","quality":80}
//!   -> {"ms":12.5,"bytes":40211}         (or {"error":"..."})
//! ```
//!
//! `output` is optional (null): when present the worker writes the encoded result there.
//! The worker caches input bytes per path and exits at end of input.
//!
//! For memory, the orchestrator starts a fresh worker per library and case with
//! `--once '<run request>'`: it performs the request a single time and prints the answer with
//! `idle_kb` (VmRSS once the library is loaded, before the input is read) and `peak_kb`
//! (VmHWM at the end), read from `/proc/self/status`.

use serde::{Deserialize, Serialize};
use thumbing::{Fit, Options, OutputFormat};

/// The output format of a task.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Format {
    /// JPEG at the task's quality.
    Jpeg,
    /// PNG, alpha kept.
    Png,
    /// Decoded pixels, not encoded: the decode-only rows.
    Raw,
}

impl Format {
    /// The file extension.
    ///
    /// ```
    /// assert_eq!(thumbing_benches::protocol::Format::Jpeg.extension(), "jpg");
    /// ```
    pub fn extension(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::Raw => "raw",
        }
    }
}

/// One benchmark task: cover-crop (centred) into a box and encode, or (format
/// [`Format::Raw`]) only decode a JPEG at `1/decode` of its size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Task {
    /// Short name used in files and tables, e.g. `cover512`.
    pub name: &'static str,
    /// What it does, for the report.
    pub description: &'static str,
    /// Box width.
    pub width: u32,
    /// Box height.
    pub height: u32,
    /// Output format.
    pub format: Format,
    /// JPEG quality (ignored for PNG).
    pub quality: u8,
    /// Decode-only tasks: the reduction (1, 2, 4 or 8); 0 for the others.
    pub decode: u32,
}

/// A decode-only task at `1/decode` of the stored size.
const fn decode_task(name: &'static str, description: &'static str, decode: u32) -> Task {
    Task { name, description, width: 0, height: 0, format: Format::Raw, quality: 0, decode }
}

/// The tasks of the peer harness.
pub const TASKS: [Task; 7] = [
    Task {
        name: "cover512",
        description: "512×512 cover (centre crop), JPEG quality 80",
        width: 512,
        height: 512,
        format: Format::Jpeg,
        quality: 80,
        decode: 0,
    },
    Task {
        name: "cover128",
        description: "128×128 cover (centre crop), JPEG quality 80",
        width: 128,
        height: 128,
        format: Format::Jpeg,
        quality: 80,
        decode: 0,
    },
    Task {
        name: "alpha512",
        description: "PNG with alpha to a 512×512 cover (centre crop) PNG",
        width: 512,
        height: 512,
        format: Format::Png,
        quality: 80,
        decode: 0,
    },
    decode_task("decode1", "decode only, full size (JPEG)", 1),
    decode_task("decode2", "decode only, at 1/2 (JPEG: Pillow's draft, thumbing's scaled decoder)", 2),
    decode_task("decode4", "decode only, at 1/4", 4),
    decode_task("decode8", "decode only, at 1/8", 8),
];

/// Looks a task up by name.
///
/// ```
/// assert_eq!(thumbing_benches::protocol::task("cover128").unwrap().width, 128);
/// assert!(thumbing_benches::protocol::task("nope").is_none());
/// ```
pub fn task(name: &str) -> Option<Task> {
    TASKS.iter().copied().find(|t| t.name == name)
}

/// A request to a worker.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "lowercase")]
pub enum Request {
    /// Asks for the library name and version.
    Info,
    /// Runs a task once.
    Run(Job),
}

/// One timed unit of work.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Job {
    /// The task name (informational; the fields below are authoritative).
    pub task: String,
    /// Absolute path of the input file.
    pub input: String,
    /// Where to write the encoded output, if anywhere.
    #[serde(default)]
    pub output: Option<String>,
    /// Box width.
    pub width: u32,
    /// Box height.
    pub height: u32,
    /// Output format.
    pub format: Format,
    /// JPEG quality.
    pub quality: u8,
    /// Decode-only jobs: the reduction (1, 2, 4 or 8); 0 otherwise.
    #[serde(default)]
    pub decode: u32,
}

impl Job {
    /// The job for `task` on `input`.
    ///
    /// ```
    /// let t = thumbing_benches::protocol::task("cover512").unwrap();
    /// let job = thumbing_benches::protocol::Job::new(&t, "/x.jpg", None);
    /// let line = serde_json::to_string(&thumbing_benches::protocol::Request::Run(job)).unwrap();
    /// assert!(line.starts_with(r#"{"op":"run","task":"cover512""#), "{line}");
    /// ```
    pub fn new(task: &Task, input: &str, output: Option<String>) -> Job {
        Job {
            task: task.name.to_string(),
            input: input.to_string(),
            output,
            width: task.width,
            height: task.height,
            format: task.format,
            quality: task.quality,
            decode: task.decode,
        }
    }
}

/// A worker's answer. Which fields are set depends on the request.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Response {
    /// `info`: the library's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lib: Option<String>,
    /// `info`: the library's version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// `info`: anything else worth reporting (underlying libvips version, build flags).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// `run`: wall-clock milliseconds of the work.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ms: Option<f64>,
    /// `run`: encoded output size.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bytes: Option<u64>,
    /// `--once`: resident memory once loaded, before reading the input, in KiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle_kb: Option<u64>,
    /// `--once`: peak resident memory of the process, in KiB.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub peak_kb: Option<u64>,
    /// Set when the request failed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Reads a `kB` field (`VmRSS`, `VmHWM`, ...) of `/proc/self/status`; `None` off Linux.
///
/// ```
/// if cfg!(target_os = "linux") {
///     assert!(thumbing_benches::protocol::proc_status_kb("VmHWM").unwrap() > 0);
/// }
/// ```
pub fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|line| {
        let rest = line.strip_prefix(field)?.strip_prefix(':')?;
        rest.trim().trim_end_matches("kB").trim().parse().ok()
    })
}

/// thumbing's implementation of a job: the documented one-call use of [`Options`].
///
/// ```
/// let t = thumbing_benches::protocol::task("cover128").unwrap();
/// let job = thumbing_benches::protocol::Job::new(&t, "", None);
/// let photo = std::fs::read(thumbing_benches::corpus::fixtures_dir().join("landscape_6.jpg")).unwrap();
/// let jpeg = thumbing_benches::protocol::thumbing_job(&job, &photo)?;
/// assert_eq!(thumbing::probe(&jpeg)?.width, 128);
/// # Ok::<(), thumbing::Error>(())
/// ```
pub fn thumbing_job(job: &Job, bytes: &[u8]) -> thumbing::Result<Vec<u8>> {
    thumbing_job_with(job, bytes, true)
}

/// [`thumbing_job`] with shrink-on-load on or off: off is thumbing as it was before its
/// scaled JPEG decoder (every JPEG decoded at full size), the before/after of that feature.
///
/// ```
/// let t = thumbing_benches::protocol::task("cover128").unwrap();
/// let job = thumbing_benches::protocol::Job::new(&t, "", None);
/// let photo = std::fs::read(thumbing_benches::corpus::fixtures_dir().join("landscape_6.jpg")).unwrap();
/// let full = thumbing_benches::protocol::thumbing_job_with(&job, &photo, false)?;
/// assert_eq!(thumbing::probe(&full)?.width, 128);
/// # Ok::<(), thumbing::Error>(())
/// ```
pub fn thumbing_job_with(job: &Job, bytes: &[u8], shrink_on_load: bool) -> thumbing::Result<Vec<u8>> {
    let format = match job.format {
        Format::Jpeg => OutputFormat::Jpeg,
        Format::Png => OutputFormat::Png,
        Format::Raw => return thumbing_decode(job, bytes),
    };
    let mut options = Options::new()
        .boxes([(job.width, job.height)])
        .fit(Fit::Cover)
        .format(format)
        .quality(job.quality)
        .shrink_on_load(shrink_on_load);
    // For tuning the default: `THUMBING_SHRINK_MARGIN=1.25 scripts/bench-peers.sh ...`.
    if let Some(margin) = std::env::var("THUMBING_SHRINK_MARGIN").ok().and_then(|m| m.parse().ok()) {
        options = options.shrink_on_load_margin(margin);
    }
    let mut out = options.process(bytes)?;
    Ok(out.pop().map(|a| a.data).unwrap_or_default())
}

/// thumbing's decode-only job: its own JPEG decoder at `1/job.decode`, pixels as stored
/// (what Pillow's `draft` + `load` gives). A file its decoder declines is an error here: these
/// rows measure the decoder, not a fallback.
///
/// ```
/// let t = thumbing_benches::protocol::task("decode4").unwrap();
/// let job = thumbing_benches::protocol::Job::new(&t, "", None);
/// let photo = std::fs::read(thumbing_benches::corpus::fixtures_dir().join("landscape_6.jpg")).unwrap();
/// let pixels = thumbing_benches::protocol::thumbing_job(&job, &photo)?;
/// assert_eq!(pixels.len(), 50 * 75 * 3);
/// # Ok::<(), thumbing::Error>(())
/// ```
pub fn thumbing_decode(job: &Job, bytes: &[u8]) -> thumbing::Result<Vec<u8>> {
    let scale = 8 / job.decode.clamp(1, 8);
    match thumbing::decode_jpeg_scaled(bytes, scale)? {
        Some(bitmap) => Ok(bitmap.data),
        None => Err(thumbing::Error::UnsupportedFormat("declined by thumbing's JPEG decoder".into())),
    }
}
