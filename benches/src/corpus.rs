//! Where the benchmark inputs live: the committed `fixtures/` and the shared corpus of public
//! images (`THUMBING_CORPUS`, by default `../shared/corpus` next to the repository).
//!
//! Benchmarks and tests that need the corpus call [`require_corpus`]: when it is missing it
//! fails under `CI=true` and otherwise says plainly that the caller is skipping.

use std::path::{Path, PathBuf};

/// The environment variable that overrides the corpus location.
pub const CORPUS_ENV: &str = "THUMBING_CORPUS";

/// The repository root (the workspace directory holding `core/`, `fixtures/`, `benches/`).
///
/// ```
/// assert!(thumbing_benches::corpus::repo_root().join("fixtures").is_dir());
/// ```
pub fn repo_root() -> PathBuf {
    let here = Path::new(env!("CARGO_MANIFEST_DIR"));
    here.parent().map(Path::to_path_buf).unwrap_or_else(|| here.to_path_buf())
}

/// The committed test images, `<repo>/fixtures`.
///
/// ```
/// let gray = thumbing_benches::corpus::fixtures_dir().join("gray.png");
/// assert!(gray.is_file());
/// ```
pub fn fixtures_dir() -> PathBuf {
    repo_root().join("fixtures")
}

/// Where the corpus is expected: `$THUMBING_CORPUS` when set (and non-empty), else
/// `<repo>/../shared/corpus`. The directory may not exist; see [`corpus_dir`].
///
/// ```
/// let p = thumbing_benches::corpus::corpus_location();
/// assert!(p.is_absolute() || std::env::var_os("THUMBING_CORPUS").is_some());
/// ```
pub fn corpus_location() -> PathBuf {
    match std::env::var_os(CORPUS_ENV) {
        Some(p) if !p.is_empty() => PathBuf::from(p),
        _ => repo_root().join("..").join("shared").join("corpus"),
    }
}

/// The corpus directory when it exists (it must hold `MANIFEST.tsv`).
///
/// ```
/// if let Some(dir) = thumbing_benches::corpus::corpus_dir() {
///     assert!(dir.join("MANIFEST.tsv").is_file());
/// }
/// ```
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = corpus_location();
    dir.join("MANIFEST.tsv").is_file().then_some(dir)
}

/// Whether `CI` is set to `true` (or `1`) in the environment.
///
/// ```
/// let _ = thumbing_benches::corpus::is_ci();
/// ```
pub fn is_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The corpus directory, for a test or benchmark named `who` that needs it.
///
/// When the corpus is missing this panics under `CI=true` (a CI run must not silently test
/// less), and otherwise prints a line saying that `who` is skipped and returns `None`.
///
/// ```
/// match thumbing_benches::corpus::require_corpus("doc example") {
///     Some(dir) => assert!(dir.is_dir()),
///     None => {} // skipped, and said so on stderr
/// }
/// ```
pub fn require_corpus(who: &str) -> Option<PathBuf> {
    if let Some(dir) = corpus_dir() {
        return Some(dir);
    }
    let location = corpus_location();
    if is_ci() {
        panic!(
            "{who}: the image corpus is missing at {} (set {CORPUS_ENV} to its directory); with CI=true this is an error",
            location.display()
        );
    }
    eprintln!(
        "SKIPPED {who}: the image corpus is missing at {} (set {CORPUS_ENV} to its directory)",
        location.display()
    );
    None
}

/// Reads a file, with the path in the error message.
///
/// ```
/// let bytes = thumbing_benches::corpus::read(&thumbing_benches::corpus::fixtures_dir().join("gray.png")).unwrap();
/// assert!(bytes.starts_with(b"\x89PNG"));
/// ```
pub fn read(path: &Path) -> Result<Vec<u8>, String> {
    std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))
}
