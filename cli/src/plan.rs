//! What `thumbing avatar` will read and write, decided before any image is decoded.
//!
//! The plan finds the image files among the inputs, names every output, and refuses a batch
//! that would lose a file: two inputs whose outputs have the same name, or an output that is
//! one of the inputs. Existing outputs are kept (the input is skipped) unless `--overwrite`.
//!
//! Output layout: a file named on the command line goes straight into the output directory;
//! a file found inside a directory keeps its path below that directory, so
//! `thumbing avatar photos/ -o out/` turns `photos/2024/a.jpg` into `out/2024/a.jpg`.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

/// File name extensions picked up when walking a directory. Files named explicitly are
/// always tried: the format is sniffed from the bytes, never from the name.
pub const IMAGE_EXTENSIONS: &[&str] = &["jpg", "jpeg", "jpe", "jfif", "png", "apng", "webp", "gif"];

/// How outputs are named: `<stem>.<ext>`, or with several sizes `<stem>-<size>.<ext>` for a
/// square and `<stem>-<width>x<height>.<ext>` for another box.
pub struct Naming<'a> {
    /// The requested output boxes (width, height), in order.
    pub sizes: &'a [(u32, u32)],
    /// The extension of the output format, e.g. `jpg`.
    pub extension: &'a str,
}

impl Naming<'_> {
    fn outputs(&self, input: &Path, out_dir: &Path) -> Vec<PathBuf> {
        let stem = input.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        if self.sizes.len() > 1 {
            let name = |&(w, h): &(u32, u32)| if w == h { format!("{stem}-{w}") } else { format!("{stem}-{w}x{h}") };
            self.sizes.iter().map(|size| out_dir.join(format!("{}.{}", name(size), self.extension))).collect()
        } else {
            vec![out_dir.join(format!("{stem}.{}", self.extension))]
        }
    }
}

/// One input to make avatars of, and the files it will be written to (one per size).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Job {
    /// The image file.
    pub input: PathBuf,
    /// Its outputs, in the order of the sizes.
    pub outputs: Vec<PathBuf>,
}

/// An input that cannot be read at all (missing, or a directory that cannot be listed).
#[derive(Debug)]
pub struct Unreadable {
    /// The path as given (or as found inside a directory).
    pub input: PathBuf,
    /// Why.
    pub message: String,
}

/// The batch, ready to run.
#[derive(Debug, Default)]
pub struct Plan {
    /// The inputs to process.
    pub jobs: Vec<Job>,
    /// Inputs kept because one of their outputs exists (and `--overwrite` was not given), with
    /// the outputs that exist.
    pub skipped: Vec<(Job, Vec<PathBuf>)>,
    /// Inputs that cannot be read: reported as failed, the rest of the batch goes on.
    pub unreadable: Vec<Unreadable>,
    /// Directories given as inputs in which no image file was found.
    pub empty_dirs: Vec<PathBuf>,
}

/// Why a batch is refused before anything is written.
#[derive(Debug, PartialEq, Eq)]
pub enum Refusal {
    /// Several inputs would be written to the same output file.
    Collision {
        /// The output file.
        output: PathBuf,
        /// The inputs that would all be written there.
        inputs: Vec<PathBuf>,
    },
    /// An output would replace an input of the batch.
    OverwritesInput {
        /// The input whose avatar it is.
        input: PathBuf,
        /// The output file, which is an input (`clobbered`).
        output: PathBuf,
        /// The input it would replace.
        clobbered: PathBuf,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::Collision { output, inputs } => {
                let names: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
                write!(f, "{} would all be written to {}", names.join(", "), output.display())
            }
            Refusal::OverwritesInput { input, output, clobbered } if input == clobbered => {
                write!(f, "{} would be written over itself (output {})", input.display(), output.display())
            }
            Refusal::OverwritesInput { input, output, clobbered } => {
                write!(f, "the avatar of {} would be written over the input {}", input.display(), output.display())?;
                if output != clobbered {
                    write!(f, " ({})", clobbered.display())?;
                }
                Ok(())
            }
        }
    }
}

/// Finds the image files among `inputs` and names their outputs under `output`.
///
/// Returns every reason to refuse the batch, not only the first.
pub fn plan(inputs: &[PathBuf], output: &Path, naming: &Naming<'_>, overwrite: bool) -> Result<Plan, Vec<Refusal>> {
    let mut plan = Plan::default();
    // Inputs by their canonical path: the same file named twice is processed once, and no
    // output may replace any of them.
    let mut seen: HashSet<PathBuf> = HashSet::new();
    let mut input_files: HashMap<PathBuf, PathBuf> = HashMap::new();
    let mut add = |plan: &mut Plan, input: PathBuf, out_dir: &Path| {
        let canonical = std::fs::canonicalize(&input).unwrap_or_else(|_| input.clone());
        if !seen.insert(canonical.clone()) {
            return;
        }
        input_files.insert(canonical, input.clone());
        let outputs = naming.outputs(&input, out_dir);
        plan.jobs.push(Job { input, outputs });
    };
    for input in inputs {
        if input.is_dir() {
            let mut found = false;
            for entry in walkdir::WalkDir::new(input).sort_by_file_name() {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => {
                        let path = e.path().unwrap_or(input).to_path_buf();
                        plan.unreadable.push(Unreadable { input: path, message: io_message(&e.to_string()) });
                        continue;
                    }
                };
                let path = entry.path();
                let is_image = path
                    .extension()
                    .and_then(|e| e.to_str())
                    .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
                if entry.file_type().is_file() && is_image {
                    found = true;
                    // Keep the directory structure below the input directory.
                    let rel = path.parent().and_then(|p| p.strip_prefix(input).ok()).unwrap_or(Path::new(""));
                    add(&mut plan, path.to_path_buf(), &output.join(rel));
                }
            }
            if !found {
                plan.empty_dirs.push(input.clone());
            }
        } else {
            match std::fs::metadata(input) {
                Ok(_) => add(&mut plan, input.clone(), output),
                Err(e) => {
                    plan.unreadable.push(Unreadable { input: input.clone(), message: io_message(&e.to_string()) })
                }
            }
        }
    }

    let mut refusals = Vec::new();
    // Two inputs, one output name: `a/x.jpg b/x.jpg`, or `x.jpg x.png` in one directory.
    let mut by_output: HashMap<String, (PathBuf, Vec<PathBuf>)> = HashMap::new();
    let mut order = Vec::new();
    for job in &plan.jobs {
        for out in &job.outputs {
            let key = collision_key(out);
            let entry = by_output.entry(key.clone()).or_insert_with(|| {
                order.push(key);
                (out.clone(), Vec::new())
            });
            if !entry.1.contains(&job.input) {
                entry.1.push(job.input.clone());
            }
        }
    }
    for key in order {
        let (output, inputs) = by_output.remove(&key).unwrap_or_default();
        if inputs.len() > 1 {
            refusals.push(Refusal::Collision { output, inputs });
        }
    }
    // An output that is an input, e.g. `thumbing avatar photos/ -o photos/`: never, not even
    // with --overwrite.
    for job in &plan.jobs {
        for out in &job.outputs {
            if let Ok(canonical) = std::fs::canonicalize(out)
                && let Some(clobbered) = input_files.get(&canonical)
            {
                refusals.push(Refusal::OverwritesInput {
                    input: job.input.clone(),
                    output: out.clone(),
                    clobbered: clobbered.clone(),
                });
            }
        }
    }
    if !refusals.is_empty() {
        return Err(refusals);
    }

    if !overwrite {
        for job in std::mem::take(&mut plan.jobs) {
            let existing = existing(&job);
            if existing.is_empty() {
                plan.jobs.push(job);
            } else {
                plan.skipped.push((job, existing));
            }
        }
    }
    Ok(plan)
}

/// The outputs of `job` that exist already (files, links, anything with that name).
fn existing(job: &Job) -> Vec<PathBuf> {
    job.outputs.iter().filter(|p| std::fs::symlink_metadata(p).is_ok()).cloned().collect()
}

/// Output names compared as the file system compares them: case-insensitively where the
/// usual file systems are (macOS, Windows).
fn collision_key(path: &Path) -> String {
    let text = path.to_string_lossy();
    if cfg!(any(target_os = "macos", windows)) { text.to_lowercase() } else { text.into_owned() }
}

/// `No such file or directory (os error 2)` → `no such file or directory`.
fn io_message(message: &str) -> String {
    let message = message.split(" (os error").next().unwrap_or(message);
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_size_is_named_by_the_stem_several_by_stem_and_size() {
        let one = Naming { sizes: &[(512, 512)], extension: "jpg" };
        assert_eq!(one.outputs(Path::new("in/a.b.png"), Path::new("out")), vec![PathBuf::from("out/a.b.jpg")]);
        let several = Naming { sizes: &[(512, 512), (128, 128), (640, 360)], extension: "webp" };
        assert_eq!(
            several.outputs(Path::new("x.jpg"), Path::new("o")),
            vec![PathBuf::from("o/x-512.webp"), PathBuf::from("o/x-128.webp"), PathBuf::from("o/x-640x360.webp")]
        );
    }

    #[test]
    fn io_messages_lose_the_os_error_number() {
        assert_eq!(io_message("No such file or directory (os error 2)"), "no such file or directory");
        assert_eq!(io_message(""), "");
    }

    #[test]
    fn refusals_name_the_files() {
        let collision = Refusal::Collision {
            output: PathBuf::from("out/x.jpg"),
            inputs: vec![PathBuf::from("a/x.jpg"), PathBuf::from("b/x.jpg")],
        };
        assert_eq!(collision.to_string(), "a/x.jpg, b/x.jpg would all be written to out/x.jpg");
        let itself = Refusal::OverwritesInput {
            input: PathBuf::from("p/x.jpg"),
            output: PathBuf::from("p/x.jpg"),
            clobbered: PathBuf::from("p/x.jpg"),
        };
        assert_eq!(itself.to_string(), "p/x.jpg would be written over itself (output p/x.jpg)");
    }
}
