//! Helpers shared by the integration tests.
#![allow(dead_code)]

pub mod decoders;
pub mod hostile;
pub mod libjpeg;

use std::path::{Path, PathBuf};

use thumbing::{Bitmap, Fit, Options, OutputFormat};

/// A file of the repository's `fixtures/` folder.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures").join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The shared test corpus: `$THUMBING_CORPUS`, else `../shared/corpus` beside the repository.
/// Returns `None` (after saying so) when it is missing, except under CI, where a missing
/// corpus is a failure: CI must never pass by skipping.
pub fn corpus() -> Option<PathBuf> {
    let path = std::env::var_os("THUMBING_CORPUS")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/corpus"));
    if path.join("MANIFEST.tsv").is_file() {
        return Some(path);
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("the test corpus is missing at {} (set THUMBING_CORPUS); CI must not skip it", path.display());
    }
    eprintln!("SKIPPED: the test corpus is not at {} (set THUMBING_CORPUS to run this test)", path.display());
    None
}

/// One row of the corpus's MANIFEST.tsv.
pub struct Entry {
    pub path: String,
    pub expected: String,
}

/// The corpus files that MANIFEST.tsv marks `corrupt` (its `expected` column describes a
/// strict decoder) and that the tolerant default turns into an avatar with a warning:
/// `fixtures/corpus-tolerated.tsv`, shared with the Python tests.
pub fn tolerated() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/corpus-tolerated.tsv");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    text.lines().skip(1).filter_map(|l| l.split('\t').next()).filter(|p| !p.is_empty()).map(str::to_owned).collect()
}

pub fn manifest(corpus: &Path) -> Vec<Entry> {
    let text = std::fs::read_to_string(corpus.join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    text.lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let cols: Vec<&str> = l.split('\t').collect();
            Entry { path: cols[0].to_string(), expected: cols[4].to_string() }
        })
        .collect()
}

/// Decodes any image to upright sRGB RGBA pixels at its own size.
pub fn pixels(bytes: &[u8]) -> Bitmap {
    let info = thumbing::probe(bytes).expect("probe");
    let (w, h) = info.upright_size();
    Options::new().fit(Fit::Inside).boxes([(w, h)]).format(OutputFormat::Png).render(bytes).expect("decode").remove(0)
}

/// Mean absolute difference per channel between two images of the same size (RGBA-expanded).
pub fn mean_abs_diff(a: &Bitmap, b: &Bitmap) -> f64 {
    assert_eq!((a.width, a.height), (b.width, b.height), "sizes differ");
    let (a, b) = (a.to_rgba(), b.to_rgba());
    let sum: u64 = a.data.iter().zip(&b.data).map(|(x, y)| u64::from(x.abs_diff(*y))).sum();
    sum as f64 / a.data.len() as f64
}
