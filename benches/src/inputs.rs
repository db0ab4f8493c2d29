//! The inputs of the criterion benches: real photos from the corpus, a PNG with alpha, and
//! generated files of fixed sizes.

use std::path::Path;

use crate::corpus;
use crate::synth::{self, Kind};

/// A named, encoded benchmark input.
#[derive(Clone)]
pub struct Input {
    /// The id used in benchmark names, e.g. `photo-9.1MP-HMD_Nokia_8.3_5G`.
    pub name: String,
    /// The encoded file.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Input {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Input").field("name", &self.name).field("bytes", &self.bytes.len()).finish()
    }
}

/// The real photos (JPEG), relative to the corpus.
pub const PHOTOS: [&str; 4] = [
    "photos-exif-samples/HMD_Nokia_8.3_5G.jpg",
    "photos-exif-samples/iphone_hdr_NO.jpg",
    "sharp-fixtures/2569067123_aca715a2ee_o.jpg",
    "sharp-fixtures/flowers.jpeg",
];

/// A real PNG with alpha (2048×1536 RGBA), relative to the corpus.
pub const ALPHA_PNG: &str = "sharp-fixtures/blackbug.png";

/// A real lossy WebP (1024×772), relative to the corpus.
pub const WEBP: &str = "sharp-fixtures/4.webp";

/// The sizes of the generated inputs, in megapixels.
pub const GENERATED_MEGAPIXELS: [f64; 4] = [0.5, 2.0, 12.0, 24.0];

fn file_stem(rel: &str) -> &str {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.rsplit_once('.').map_or(name, |(s, _)| s)
}

/// Loads `rel` from the corpus, named `<prefix>-<MP>MP-<stem>`.
///
/// ```
/// if let Some(dir) = thumbing_benches::corpus::corpus_dir() {
///     let i = thumbing_benches::inputs::from_corpus(&dir, "sharp-fixtures/flowers.jpeg", "photo").unwrap();
///     assert_eq!(i.name, "photo-2.1MP-flowers");
/// }
/// ```
pub fn from_corpus(corpus_dir: &Path, rel: &str, prefix: &str) -> Result<Input, String> {
    let bytes = corpus::read(&corpus_dir.join(rel))?;
    let info = thumbing::probe(&bytes).map_err(|e| format!("{rel}: {e}"))?;
    let mp = f64::from(info.width) * f64::from(info.height) / 1e6;
    Ok(Input { name: format!("{prefix}-{mp:.1}MP-{}", file_stem(rel)), bytes })
}

/// The real photos of [`PHOTOS`]; empty without a corpus.
pub fn photos(corpus_dir: Option<&Path>) -> Result<Vec<Input>, String> {
    let Some(dir) = corpus_dir else { return Ok(Vec::new()) };
    PHOTOS.iter().map(|rel| from_corpus(dir, rel, "photo")).collect()
}

/// The photo the generated inputs are made from: the 6 MP corpus photo when there is a
/// corpus, else the committed `fixtures/flowers.jpeg` (or `landscape_1.jpg`).
pub fn generator_source(corpus_dir: Option<&Path>) -> Result<Vec<u8>, String> {
    if let Some(dir) = corpus_dir {
        return corpus::read(&dir.join(PHOTOS[2]));
    }
    let fixtures = corpus::fixtures_dir();
    corpus::read(&fixtures.join("flowers.jpeg")).or_else(|_| corpus::read(&fixtures.join("landscape_1.jpg")))
}

/// Generated `kind` inputs of each of `megapixels`, named `<kind>-<MP>MP`.
///
/// ```
/// use thumbing_benches::{inputs, synth::Kind};
/// let source = inputs::generator_source(None).unwrap();
/// let g = inputs::generated(&source, Kind::WebP, &[0.02]).unwrap();
/// assert_eq!(g[0].name, "webp-0.02MP");
/// ```
pub fn generated(source: &[u8], kind: Kind, megapixels: &[f64]) -> Result<Vec<Input>, String> {
    megapixels
        .iter()
        .map(|&mp| {
            let label = if mp >= 1.0 && mp.fract() == 0.0 { format!("{mp:.0}") } else { format!("{mp}") };
            Ok(Input { name: format!("{}-{label}MP", kind.name()), bytes: synth::generate(source, mp, kind)? })
        })
        .collect()
}

/// Every input of the criterion benches, loaded and generated once per process.
#[derive(Debug)]
pub struct Set {
    /// The real photos ([`PHOTOS`]); empty without a corpus.
    pub photos: Vec<Input>,
    /// The real PNG with alpha ([`ALPHA_PNG`]), with a corpus.
    pub alpha_png: Option<Input>,
    /// The real lossy WebP ([`WEBP`]), with a corpus.
    pub webp: Option<Input>,
    /// The eight EXIF orientations of one 1800×1200 photo, with a corpus.
    pub orientations: Vec<Input>,
    /// Generated JPEGs of [`GENERATED_MEGAPIXELS`].
    pub jpeg: Vec<Input>,
    /// Generated 2 MP PNG (RGB), PNG with alpha, lossless WebP and GIF.
    pub other: Vec<Input>,
}

/// The shared [`Set`]. Without a corpus this fails under `CI=true` and otherwise says that
/// the real-photo benches are skipped (`who` names the caller).
pub fn set(who: &str) -> &'static Set {
    static SET: std::sync::OnceLock<Set> = std::sync::OnceLock::new();
    SET.get_or_init(|| {
        let dir = corpus::require_corpus(who);
        let dir = dir.as_deref();
        let source = generator_source(dir).expect("the photo the generated inputs are made from");
        let real = |rel: &str, prefix: &str| dir.map(|d| from_corpus(d, rel, prefix).expect("corpus file"));
        let orientations = match dir {
            Some(d) => (1..=8)
                .map(|n| {
                    let rel = format!("exif-orientation-examples/Landscape_{n}.jpg");
                    Ok(Input { name: n.to_string(), bytes: corpus::read(&d.join(rel))? })
                })
                .collect::<Result<Vec<_>, String>>()
                .expect("orientation examples"),
            None => Vec::new(),
        };
        let mut other = Vec::new();
        for kind in [Kind::Png, Kind::PngAlpha, Kind::WebP, Kind::Gif] {
            other.extend(generated(&source, kind, &[2.0]).expect("generated input"));
        }
        Set {
            photos: photos(dir).expect("photos"),
            alpha_png: real(ALPHA_PNG, "png-alpha"),
            webp: real(WEBP, "webp-lossy"),
            orientations,
            jpeg: generated(&source, Kind::Jpeg, &GENERATED_MEGAPIXELS).expect("generated JPEG"),
            other,
        }
    })
}
