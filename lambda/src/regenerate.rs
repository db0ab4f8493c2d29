//! Regeneration: every stored upload through the current settings again, after they
//! changed (a new size, another format, a better crop), without AWS — for the avatar service
//! (`avatar-service regenerate`), the Lambda's local example (`local regenerate`), or any
//! program with a [`Store`]. On AWS, an S3 Batch Operations job does the same at scale
//! ([`crate::batch`]).
//!
//! [`regenerate`] lists the uploads (under `FOLDER_INPUT`) in key order and hands each to
//! [`handle_stored_object`], the path of an S3 event, a few at a time. So an avatar whose
//! marker (source ETag, settings, `Cache-Control`) is already current costs a `HEAD` and is
//! not made again; unusable images are rejected (tagged or moved as `ON_FAILURE` says);
//! storage failures are reported and retried by the next run.
//!
//! A run can stop at any point — [`RegenerateOptions::limit`], the progress callback, an
//! interruption — and the next run goes on where it stopped. The position is a key: the
//! checkpoint file ([`RegenerateOptions::checkpoint`]) records the last key before which every
//! upload is done, with the settings it was made with, at most a second late. A run with the
//! same settings resumes after that key; with other settings it starts over; a run that
//! handled every upload removes the file. Even without a checkpoint a second run is cheap:
//! what the first one finished is up to date.
//!
//! [`regenerate_in_terminal`] is the same for a person at a terminal: progress about once a
//! second, Ctrl-C to stop after the uploads in progress, and a summary.

use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures_util::StreamExt;
use serde::{Deserialize, Serialize};
use thumbing_storage::{Store, StoreError, list_all};
use tracing::warn;

use crate::handler::{Config, Outcome, RecordReport, handle_stored_object};

/// How a regeneration runs.
///
/// ```
/// let options = thumbing_lambda::regenerate::RegenerateOptions::default();
/// assert!(options.concurrency >= 1);
/// assert_eq!(options.limit, None);
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegenerateOptions {
    /// Uploads handled at once (at least 1). The default is the number of CPUs: the work is
    /// decoding and encoding images.
    pub concurrency: usize,
    /// Stop after this many uploads in this run; the next run goes on from there.
    pub limit: Option<usize>,
    /// The checkpoint file that lets the next run resume; `None`: no file, every run starts
    /// from the first upload (and finds the finished ones up to date).
    pub checkpoint: Option<PathBuf>,
}

impl Default for RegenerateOptions {
    fn default() -> Self {
        RegenerateOptions {
            concurrency: std::thread::available_parallelism().map_or(2, |n| n.get()),
            limit: None,
            checkpoint: None,
        }
    }
}

/// How many uploads ended each way.
///
/// ```
/// let tally = thumbing_lambda::regenerate::Tally { processed: 2, up_to_date: 1, ..Default::default() };
/// assert_eq!(tally.total(), 3);
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    /// Avatars made again.
    pub processed: u64,
    /// Avatars already made from this upload with these settings.
    pub up_to_date: u64,
    /// Uploads that are not usable images.
    pub rejected: u64,
    /// Storage failures: retried by the next run.
    pub failed: u64,
    /// Objects that are not uploads this configuration processes (or that vanished).
    pub skipped: u64,
}

impl Tally {
    /// Uploads counted.
    ///
    /// ```
    /// assert_eq!(thumbing_lambda::regenerate::Tally::default().total(), 0);
    /// ```
    pub fn total(&self) -> u64 {
        self.processed + self.up_to_date + self.rejected + self.failed + self.skipped
    }

    fn add(&mut self, outcome: &Outcome) {
        match outcome {
            Outcome::Processed { .. } => self.processed += 1,
            Outcome::UpToDate { .. } => self.up_to_date += 1,
            Outcome::Rejected { .. } => self.rejected += 1,
            Outcome::Failed { .. } => self.failed += 1,
            Outcome::Skipped { .. } => self.skipped += 1,
        }
    }
}

/// Where a regeneration stands, after each upload.
#[derive(Debug)]
pub struct Progress<'a> {
    /// Uploads in all, those done by earlier runs included.
    pub total: u64,
    /// Uploads done so far, earlier runs included.
    pub done: u64,
    /// How they ended, earlier runs included.
    pub tally: Tally,
    /// The upload just handled.
    pub record: &'a RecordReport,
    /// Uploads done by this run.
    pub done_this_run: u64,
    /// Time since this run started.
    pub elapsed: Duration,
}

/// Why a run ended before every upload was handled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// [`RegenerateOptions::limit`] was reached.
    Limit,
    /// The progress callback asked to stop (an interruption).
    Requested,
}

/// The end of a run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Uploads in all, those done by earlier runs included.
    pub total: u64,
    /// How they ended, over this run and the earlier ones it resumed.
    pub tally: Tally,
    /// How this run's uploads ended.
    pub this_run: Tally,
    /// The key this run resumed after, if it resumed.
    pub resumed_after: Option<String>,
    /// Set when the run ended before handling every upload.
    pub stopped: Option<Stop>,
    /// This run's rejected uploads.
    pub rejected: Vec<RecordReport>,
    /// This run's storage failures: the next run starts again at the first of them.
    pub failed: Vec<RecordReport>,
}

impl Summary {
    /// Every upload was handled and none hit a storage failure: the regeneration is over.
    ///
    /// ```
    /// # use thumbing_lambda::regenerate::{Summary, Tally};
    /// let s = Summary { total: 0, tally: Tally::default(), this_run: Tally::default(), resumed_after: None, stopped: None, rejected: vec![], failed: vec![] };
    /// assert!(s.complete());
    /// ```
    pub fn complete(&self) -> bool {
        self.stopped.is_none() && self.failed.is_empty()
    }

    /// The exit status for a command: 0 when complete or stopped at its limit, 1 after
    /// storage failures, 130 when interrupted (as a shell reports Ctrl-C).
    ///
    /// ```
    /// # use thumbing_lambda::regenerate::{Stop, Summary, Tally};
    /// let mut s = Summary { total: 0, tally: Tally::default(), this_run: Tally::default(), resumed_after: None, stopped: Some(Stop::Limit), rejected: vec![], failed: vec![] };
    /// assert_eq!(s.exit_code(), 0);
    /// s.stopped = Some(Stop::Requested);
    /// assert_eq!(s.exit_code(), 130);
    /// ```
    pub fn exit_code(&self) -> u8 {
        match (self.failed.is_empty(), self.stopped) {
            (false, _) => 1,
            (true, Some(Stop::Requested)) => 130,
            (true, _) => 0,
        }
    }
}

/// Why a regeneration could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RegenerateError {
    /// The uploads could not be listed.
    #[error("cannot list the uploads in s3://{bucket}/{prefix}: {source}")]
    List {
        /// The uploads bucket.
        bucket: String,
        /// `FOLDER_INPUT`.
        prefix: String,
        /// The store's error.
        source: StoreError,
    },
    /// The checkpoint file could not be read or written.
    #[error("checkpoint {}: {message}", path.display())]
    Checkpoint {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        message: String,
    },
}

/// The checkpoint file's content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Checkpoint {
    bucket: String,
    prefix: String,
    /// [`settings_id`] of the configuration the avatars were made with.
    settings: String,
    /// Every upload up to and including this key is done.
    after: String,
    /// How the uploads up to `after` ended.
    tally: Tally,
}

/// Everything about a configuration that a finished avatar depends on.
fn settings_id(config: &Config) -> String {
    format!(
        "{} -> {}/{} (Cache-Control: {})",
        config.fingerprint(),
        config.dest_bucket,
        config.output_prefix,
        config.cache_control
    )
}

/// Runs every upload of `bucket` (under `config.input_prefix`) through the handler again,
/// calling `on_progress` after each; it returns [`ControlFlow::Break`] to stop after the
/// uploads in progress. See the [module docs](self).
///
/// ```
/// use std::ops::ControlFlow;
/// use thumbing_lambda::handler::Config;
/// use thumbing_lambda::regenerate::{regenerate, RegenerateOptions};
/// use thumbing_storage::MemoryStore;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let store = MemoryStore::new();
/// let photo = include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/gray.png"));
/// store.insert("uploads", "ada.png", photo.to_vec());
/// store.insert("uploads", "grace.png", photo.to_vec());
/// let mut config = Config::new("assets");
/// config.extra_sizes = vec![64];
/// let summary = regenerate(&store, &config, "uploads", &RegenerateOptions::default(), &mut |_| ControlFlow::Continue(())).await?;
/// assert!(summary.complete());
/// assert_eq!(summary.tally.processed, 2);
/// assert!(store.object("assets", "avatars/grace-64.jpg").is_some());
/// # Ok::<(), thumbing_lambda::regenerate::RegenerateError>(())
/// # }).unwrap();
/// ```
pub async fn regenerate(
    store: &dyn Store,
    config: &Config,
    bucket: &str,
    options: &RegenerateOptions,
    on_progress: &mut (dyn FnMut(&Progress<'_>) -> ControlFlow<()> + Send),
) -> Result<Summary, RegenerateError> {
    let started = Instant::now();
    let settings = settings_id(config);
    let prefix = config.input_prefix.as_str();
    let saved = match &options.checkpoint {
        Some(path) => read_checkpoint(path)?,
        None => None,
    };
    let (resumed_after, earlier) = match saved {
        Some(c) if c.bucket == bucket && c.prefix == prefix && c.settings == settings => (Some(c.after), c.tally),
        Some(c) => {
            warn!(
                checkpoint = ?options.checkpoint,
                was = c.settings,
                now = settings,
                "the checkpoint is of another regeneration (other bucket, folder or settings): starting over"
            );
            (None, Tally::default())
        }
        None => (None, Tally::default()),
    };
    let objects = list_all(store, bucket, prefix, resumed_after.as_deref())
        .await
        .map_err(|source| RegenerateError::List { bucket: bucket.to_owned(), prefix: prefix.to_owned(), source })?;
    let total = earlier.total() + objects.len() as u64;
    let limit = options.limit.unwrap_or(usize::MAX);

    let stop = AtomicBool::new(false);
    let mut results = futures_util::stream::iter(objects.iter().take(limit))
        .take_while(|_| std::future::ready(!stop.load(Ordering::SeqCst)))
        .map(|o| handle_stored_object(store, config, bucket, &o.key, o.etag.clone().map(|etag| (o.size, etag))))
        .buffered(options.concurrency.max(1));

    // `results` come in key order: the checkpoint is the last key before the first failure.
    let mut tally = earlier;
    let mut this_run = Tally::default();
    let mut checkpoint = resumed_after.clone().map(|after| (after, earlier));
    let mut blocked = false;
    let mut saved_at = Instant::now();
    let (mut rejected, mut failed) = (Vec::new(), Vec::new());
    let mut handled = 0usize;
    while let Some(report) = results.next().await {
        handled += 1;
        tally.add(&report.outcome);
        this_run.add(&report.outcome);
        match &report.outcome {
            Outcome::Failed { .. } => {
                blocked = true;
                failed.push(report.clone());
            }
            Outcome::Rejected { .. } => rejected.push(report.clone()),
            _ => {}
        }
        if !blocked {
            let mut done = checkpoint.as_ref().map_or_else(Tally::default, |(_, t)| *t);
            done.add(&report.outcome);
            checkpoint = Some((report.key.clone(), done));
        }
        if let (Some(path), Some((after, done))) = (&options.checkpoint, &checkpoint)
            && saved_at.elapsed() >= Duration::from_secs(1)
        {
            write_checkpoint(path, bucket, prefix, &settings, after, *done)?;
            saved_at = Instant::now();
        }
        let progress = Progress {
            total,
            done: earlier.total() + handled as u64,
            tally,
            record: &report,
            done_this_run: handled as u64,
            elapsed: started.elapsed(),
        };
        if on_progress(&progress).is_break() {
            stop.store(true, Ordering::SeqCst);
        }
    }

    let stopped = match () {
        _ if handled == objects.len() => None,
        _ if stop.load(Ordering::SeqCst) => Some(Stop::Requested),
        _ => Some(Stop::Limit),
    };
    let summary = Summary { total, tally, this_run, resumed_after, stopped, rejected, failed };
    if let Some(path) = &options.checkpoint {
        if summary.complete() {
            match std::fs::remove_file(path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(RegenerateError::Checkpoint { path: path.clone(), message: e.to_string() }),
            }
        } else if let Some((after, done)) = &checkpoint {
            write_checkpoint(path, bucket, prefix, &settings, after, *done)?;
        }
    }
    Ok(summary)
}

fn read_checkpoint(path: &Path) -> Result<Option<Checkpoint>, RegenerateError> {
    let error = |message: String| RegenerateError::Checkpoint { path: path.to_owned(), message };
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| error(format!("unreadable ({e}); delete it to start the regeneration over"))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(error(e.to_string())),
    }
}

/// Writes the checkpoint atomically: a reader (or a run after a crash) sees the old file or
/// the new one.
fn write_checkpoint(
    path: &Path,
    bucket: &str,
    prefix: &str,
    settings: &str,
    after: &str,
    tally: Tally,
) -> Result<(), RegenerateError> {
    let checkpoint = Checkpoint {
        bucket: bucket.to_owned(),
        prefix: prefix.to_owned(),
        settings: settings.to_owned(),
        after: after.to_owned(),
        tally,
    };
    let json = serde_json::to_vec_pretty(&checkpoint).expect("plain strings and numbers always serialize");
    let mut staged = path.as_os_str().to_owned();
    staged.push(".tmp");
    let staged = PathBuf::from(staged);
    let write = || -> std::io::Result<()> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&staged, &json)?;
        std::fs::rename(&staged, path)
    };
    write().map_err(|e| RegenerateError::Checkpoint { path: path.to_owned(), message: e.to_string() })
}

/// [`regenerate`] for a person at a terminal, as the commands run it. On stderr: what is
/// regenerated and from where, each rejected or failed upload as it happens, a progress line
/// about once a second (done, how each ended, rate, time left) and a summary that says how
/// to go on. The first Ctrl-C stops after the uploads in progress (the checkpoint is
/// written); a second one quits at once. [`Summary::exit_code`] is the status to exit with.
///
/// ```no_run
/// use thumbing_lambda::handler::Config;
/// use thumbing_lambda::regenerate::{regenerate_in_terminal, RegenerateOptions};
/// use thumbing_storage::LocalStore;
///
/// # tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap().block_on(async {
/// let store = LocalStore::new("data");
/// let options = RegenerateOptions { checkpoint: Some("data/regenerate.json".into()), ..Default::default() };
/// let summary = regenerate_in_terminal(&store, &Config::from_env()?, "uploads", &options).await?;
/// std::process::exit(summary.exit_code().into());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// # }).unwrap();
/// ```
pub async fn regenerate_in_terminal(
    store: &dyn Store,
    config: &Config,
    bucket: &str,
    options: &RegenerateOptions,
) -> Result<Summary, RegenerateError> {
    let interrupted = Arc::new(AtomicBool::new(false));
    let watcher = {
        let interrupted = interrupted.clone();
        tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                interrupted.store(true, Ordering::SeqCst);
                eprintln!("regenerate: stopping after the uploads in progress (Ctrl-C again to quit at once)");
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        })
    };
    eprintln!(
        "regenerate: s3://{bucket}/{} → s3://{}/{} with {} (Cache-Control: {}), {} at a time",
        config.input_prefix,
        config.dest_bucket,
        config.output_prefix,
        config.fingerprint(),
        config.cache_control,
        options.concurrency.max(1)
    );
    let mut printed_at: Option<Instant> = None;
    let mut first = true;
    let result = regenerate(store, config, bucket, options, &mut |p| {
        if first {
            first = false;
            let before = p.done - p.done_this_run;
            if before > 0 {
                eprintln!("regenerate: resuming: {before} of {} uploads were done by an earlier run", p.total);
            } else {
                eprintln!("regenerate: {} uploads", p.total);
            }
        }
        match &p.record.outcome {
            Outcome::Rejected { error_kind, message, .. } => {
                eprintln!("regenerate: rejected {}: {error_kind}: {message}", p.record.key)
            }
            Outcome::Failed { message } => eprintln!("regenerate: failed {}: {message}", p.record.key),
            _ => {}
        }
        if printed_at.is_none_or(|t| t.elapsed() >= Duration::from_secs(1)) || p.done == p.total {
            eprintln!("regenerate: {}", progress_line(p));
            printed_at = Some(Instant::now());
        }
        if interrupted.load(Ordering::SeqCst) { ControlFlow::Break(()) } else { ControlFlow::Continue(()) }
    })
    .await;
    watcher.abort();
    let summary = result?;
    eprintln!("regenerate: {}", summary_line(&summary));
    Ok(summary)
}

/// `120/500 (24%): 100 processed, 15 up to date, 3 rejected, 2 failed; 8.1/s, about 47 s left`
fn progress_line(p: &Progress<'_>) -> String {
    let t = &p.tally;
    let percent = if p.total == 0 { 100.0 } else { p.done as f64 * 100.0 / p.total as f64 };
    let mut line = format!(
        "{}/{} ({percent:.0}%): {} processed, {} up to date, {} rejected, {} failed",
        p.done, p.total, t.processed, t.up_to_date, t.rejected, t.failed
    );
    if t.skipped > 0 {
        line.push_str(&format!(", {} skipped", t.skipped));
    }
    let seconds = p.elapsed.as_secs_f64();
    if seconds > 0.0 && p.done_this_run > 0 {
        let rate = p.done_this_run as f64 / seconds;
        let left = (p.total - p.done) as f64 / rate;
        line.push_str(&format!("; {rate:.1}/s, about {} left", human_duration(left)));
    }
    line
}

fn human_duration(seconds: f64) -> String {
    let s = seconds.round() as u64;
    match s {
        0..60 => format!("{s} s"),
        60..3600 => format!("{} min {} s", s / 60, s % 60),
        _ => format!("{} h {} min", s / 3600, (s % 3600) / 60),
    }
}

fn summary_line(s: &Summary) -> String {
    let t = &s.this_run;
    let counts = format!(
        "{} processed, {} up to date, {} rejected, {} failed, {} skipped",
        t.processed, t.up_to_date, t.rejected, t.failed, t.skipped
    );
    let done = s.tally.total() - s.tally.failed;
    match (s.stopped, s.failed.is_empty()) {
        (None, true) => format!("done: {} uploads in all; this run: {counts}", s.total),
        (_, false) => format!(
            "this run: {counts}; {} uploads hit storage errors: run the same command again to retry them",
            s.failed.len()
        ),
        (Some(_), true) => format!(
            "stopped with {done} of {} uploads done; this run: {counts}; run the same command again to go on",
            s.total
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_naturally() {
        assert_eq!(human_duration(4.4), "4 s");
        assert_eq!(human_duration(125.0), "2 min 5 s");
        assert_eq!(human_duration(7300.0), "2 h 1 min");
    }

    #[test]
    fn the_settings_id_changes_with_anything_that_changes_an_avatar() {
        let base = Config::new("assets");
        let mut other = base.clone();
        other.cache_control = "no-cache".into();
        assert_ne!(settings_id(&base), settings_id(&other));
        let mut other = base.clone();
        other.output_prefix = "small/".into();
        assert_ne!(settings_id(&base), settings_id(&other));
        let mut other = base.clone();
        other.extra_sizes = vec![64];
        assert_ne!(settings_id(&base), settings_id(&other));
    }
}
