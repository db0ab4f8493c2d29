//! Memory bounds: the peak of live heap memory while making a 512 px avatar is bounded by what
//! the *header declares* (within the limits) and by the input's length, never by what a bomb
//! declares beyond the limits.
//!
//! The bound, for an input of `input` bytes whose header declares `pixels` = width × height:
//!
//! ```text
//! peak ≤ BYTES_PER_PIXEL × pixels + BYTES_PER_INPUT_BYTE × input + FIXED
//! ```
//!
//! where `pixels` counts only if it is within `Limits::max_pixels` (a larger image must be
//! rejected from its header, allocating less than `REJECTION` bytes).

mod common;
#[path = "common/counting.rs"]
mod counting;

use std::collections::BTreeMap;

use common::{corpus, fixture, manifest};
use counting::peak_during;
use thumbing::{ErrorKind, Limits, Options};

/// Decoded pixels plus the decoders' working copies: a progressive JPEG keeps every DCT
/// coefficient (2 bytes per sample) besides the output, a PNG with alpha gets a premultiplied
/// copy for resampling, and the resampler keeps one intermediate pass.
const BYTES_PER_PIXEL: usize = 16;
/// Metadata copied out of the input (ICC profile, EXIF) and decoders' input buffering.
const BYTES_PER_INPUT_BYTE: usize = 2;
/// Everything of fixed size: the 512×512 output and its encoder, colour transform tables,
/// the smart-crop thumbnail, Huffman and quantisation tables.
const FIXED: usize = 16 << 20;
/// What rejecting an image from its header may allocate: a message and a copied header.
const REJECTION: usize = 1 << 20;

/// The pixels the pipeline may need for `bytes`: the declared size when within the limits.
fn declared_pixels(bytes: &[u8], limits: &Limits) -> usize {
    match thumbing::probe(bytes) {
        Ok(info) if u64::from(info.width) * u64::from(info.height) <= limits.max_pixels => {
            info.width as usize * info.height as usize
        }
        _ => 0,
    }
}

/// The worst case seen in one class of files.
#[derive(Default)]
struct Worst {
    files: usize,
    /// Largest peak / bound, and its file.
    ratio: f64,
    ratio_file: String,
    /// Largest (peak - input-proportional - fixed) / pixels: what a pixel really costs.
    per_pixel: f64,
    largest_peak: usize,
}

/// Single test in this binary, so no other test's allocations are counted.
#[test]
fn peak_memory_is_bounded_by_declared_pixels_and_input_size() {
    let options = Options::new().size(512);
    let limits = options.input_limits();
    let mut inputs: Vec<(String, String, Vec<u8>)> = Vec::new();
    let fixtures = std::fs::read_dir(std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures"))
        .expect("fixtures/")
        .map(|e| e.expect("fixture"))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".md"));
    for name in fixtures {
        inputs.push((format!("fixtures/{name}"), "fixtures".into(), fixture(&name)));
    }
    if let Some(root) = corpus() {
        for entry in manifest(&root) {
            let bytes = std::fs::read(root.join(&entry.path)).expect("corpus file");
            inputs.push((entry.path, format!("corpus {}", entry.expected), bytes));
        }
    }
    for case in common::hostile::cases() {
        inputs.push((case.name, "generated hostile".into(), case.bytes));
    }

    let mut failures = Vec::new();
    let mut classes: BTreeMap<String, Worst> = BTreeMap::new();
    for (name, class, bytes) in &inputs {
        let pixels = declared_pixels(bytes, &limits);
        let (result, peak) = peak_during(|| options.process(bytes));
        let format = thumbing::ImageFormat::sniff(bytes).map(|f| f.name()).unwrap_or("other");
        let worst = classes.entry(format!("{class}, {format}")).or_default();
        worst.files += 1;
        worst.largest_peak = worst.largest_peak.max(peak);
        if let Err(e) = &result
            && e.kind() == ErrorKind::TooLarge
        {
            // Rejected for its size: nothing in proportion to what it declared.
            if peak >= REJECTION {
                failures.push(format!("{name}: rejecting it as too large allocated {peak} bytes"));
            }
        }
        let bound = BYTES_PER_PIXEL * pixels + BYTES_PER_INPUT_BYTE * bytes.len() + FIXED;
        let ratio = peak as f64 / bound as f64;
        if ratio > worst.ratio {
            worst.ratio = ratio;
            worst.ratio_file = name.clone();
        }
        if pixels > 0 {
            let beyond = peak.saturating_sub(BYTES_PER_INPUT_BYTE * bytes.len() + FIXED);
            worst.per_pixel = worst.per_pixel.max(beyond as f64 / pixels as f64);
        }
        // The memory budget's estimate, from the headers, covers what processing took.
        if let Ok(estimate) = options.estimate_memory(bytes)
            && result.is_ok()
            && peak as u64 > estimate + (BYTES_PER_INPUT_BYTE * bytes.len()) as u64
        {
            failures.push(format!("{name}: peak {peak} bytes > estimate {estimate} + 2 × {} input bytes", bytes.len()));
        }
        if peak > bound {
            failures.push(format!(
                "{name}: peak {peak} bytes > bound {bound} ({pixels} declared pixels, {} input bytes)",
                bytes.len()
            ));
        }
    }
    eprintln!(
        "peak ≤ {BYTES_PER_PIXEL} × pixels + {BYTES_PER_INPUT_BYTE} × input bytes + {} MiB; worst per class:",
        FIXED >> 20
    );
    for (class, w) in &classes {
        eprintln!(
            "  {class:<34} {:>4} files: worst peak/bound {:.3} ({}), worst {:.2} bytes/pixel beyond input and fixed, largest peak {:.1} MiB",
            w.files,
            w.ratio,
            w.ratio_file,
            w.per_pixel,
            w.largest_peak as f64 / (1 << 20) as f64
        );
    }
    failures.extend(bands_do_not_hold_the_image());
    assert!(failures.is_empty(), "memory bounds exceeded:\n{}", failures.join("\n"));
}

/// A 2000 × 2000 RGBA PNG (16 MB decoded) made into a 64 px avatar: in bands the peak stays
/// below one byte per pixel; decoded whole it holds the image and its premultiplied copy.
fn bands_do_not_hold_the_image() -> Vec<String> {
    let (w, h) = (2000u32, 2000u32);
    let mut data = Vec::with_capacity((w * h * 4) as usize);
    for y in 0..h {
        for x in 0..w {
            data.extend_from_slice(&[(x / 8) as u8, (y / 8) as u8, (x ^ y) as u8, (x + y) as u8]);
        }
    }
    let mut bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut bytes, w, h);
        encoder.set_color(png::ColorType::Rgba);
        encoder.set_compression(png::Compression::Fast);
        encoder.write_header().and_then(|mut writer| writer.write_image_data(&data)).expect("PNG");
    }
    drop(data);
    let pixels = (w * h) as usize;
    let options = Options::new().size(64);
    let (bands, bands_peak) = peak_during(|| options.process(&bytes));
    let (whole, whole_peak) = peak_during(|| options.clone().bands(false).process(&bytes));
    eprintln!(
        "2000x2000 RGBA PNG to 64 px: peak {:.1} MiB in bands, {:.1} MiB whole",
        bands_peak as f64 / f64::from(1 << 20),
        whole_peak as f64 / f64::from(1 << 20)
    );
    let mut failures = Vec::new();
    if bands.is_err() || whole.is_err() || bands.ok() != whole.ok() {
        failures.push("2000x2000 PNG: the band and whole-image paths disagree".to_string());
    }
    if bands_peak >= pixels {
        failures.push(format!("2000x2000 PNG in bands: peak {bands_peak} bytes, not below one byte a pixel"));
    }
    if whole_peak < 8 * pixels {
        failures.push(format!("2000x2000 PNG decoded whole: peak {whole_peak} bytes, expected the image twice"));
    }
    let estimate = options.estimate_memory(&bytes).unwrap_or(0);
    if bands_peak as u64 > estimate {
        failures.push(format!("2000x2000 PNG in bands: peak {bands_peak} bytes > estimate {estimate}"));
    }
    failures
}
