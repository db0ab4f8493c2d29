//! The band path (PNG read row by row straight into the resampler) gives exactly the pixels of
//! the whole-image path, for every PNG colour type and bit depth, every EXIF orientation,
//! every fit and filter, several sizes at once, damaged files, and every PNG of the fixtures
//! and the shared corpus; and the memory budget refuses from the header.

mod common;

use common::{corpus, fixture, manifest};
use thumbing::{Crop, ErrorKind, FailOn, Filter, Fit, Options};

/// A PNG of `w` × `h` pseudo-random pixels (smooth enough to be realistic, noisy enough to
/// catch a misplaced row), with an optional eXIf chunk carrying `orientation`.
fn png(w: u32, h: u32, color: png::ColorType, depth: png::BitDepth, orientation: Option<u16>, seed: u32) -> Vec<u8> {
    let samples = color.samples();
    let bytes_per_sample = if depth == png::BitDepth::Sixteen { 2 } else { 1 };
    let mut state = seed | 1;
    let mut data = Vec::new();
    for y in 0..h {
        for x in 0..w {
            for c in 0..samples {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let smooth = (x * 7 + y * 5 + c as u32 * 40) as u8;
                let v = smooth.wrapping_add((state >> 28) as u8);
                let v = match (color, depth) {
                    (png::ColorType::Indexed, _) => v % 16,
                    (_, png::BitDepth::Four) => v >> 4,
                    (_, png::BitDepth::Two) => v >> 6,
                    (_, png::BitDepth::One) => v >> 7,
                    _ => v,
                };
                for _ in 0..bytes_per_sample {
                    data.push(v);
                }
            }
        }
    }
    // Pack sub-byte samples.
    let bits = match depth {
        png::BitDepth::One => 1,
        png::BitDepth::Two => 2,
        png::BitDepth::Four => 4,
        _ => 8,
    };
    if bits < 8 {
        let per_row = (w as usize * samples).div_ceil(8 / bits);
        let mut packed = Vec::new();
        for row in data.chunks_exact(w as usize * samples) {
            let mut out = vec![0u8; per_row];
            for (i, &v) in row.iter().enumerate() {
                let shift = 8 - bits * (i % (8 / bits) + 1);
                out[i / (8 / bits)] |= (v & ((1 << bits) - 1) as u8) << shift;
            }
            packed.extend(out);
        }
        data = packed;
    }
    let mut out = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut out, w, h);
        encoder.set_color(color);
        encoder.set_depth(depth);
        if color == png::ColorType::Indexed {
            let palette: Vec<u8> = (0..16u8).flat_map(|i| [i * 16, 255 - i * 16, i * 7]).collect();
            encoder.set_palette(palette);
            encoder.set_trns((0..16u8).map(|i| i * 17).collect::<Vec<_>>());
        }
        let mut writer = encoder.write_header().expect("header");
        if let Some(o) = orientation {
            let exif =
                [b'M', b'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, (o >> 8) as u8, o as u8, 0, 0];
            writer.write_chunk(png::chunk::ChunkType(*b"eXIf"), &exif).expect("eXIf");
        }
        writer.write_image_data(&data).expect("data");
    }
    out
}

fn both(options: &Options, bytes: &[u8]) -> (Vec<thumbing::Bitmap>, Vec<thumbing::Bitmap>) {
    let bands = options.clone().render(bytes).expect("band path");
    let whole = options.clone().bands(false).render(bytes).expect("whole-image path");
    (bands, whole)
}

#[test]
fn every_colour_type_and_orientation_gives_the_same_pixels() {
    use png::{BitDepth as D, ColorType as C};
    let kinds = [
        (C::Grayscale, D::One),
        (C::Grayscale, D::Eight),
        (C::Grayscale, D::Sixteen),
        (C::GrayscaleAlpha, D::Eight),
        (C::Rgb, D::Eight),
        (C::Rgb, D::Sixteen),
        (C::Rgba, D::Eight),
        (C::Rgba, D::Sixteen),
        (C::Indexed, D::Four),
        (C::Indexed, D::Eight),
    ];
    for (i, (color, depth)) in kinds.into_iter().enumerate() {
        for orientation in 1..=8u16 {
            let bytes = png(61, 37, color, depth, Some(orientation), 7 + i as u32 * 8 + u32::from(orientation));
            let info = thumbing::probe(&bytes).expect("probe");
            assert_eq!(info.orientation.exif_value(), orientation);
            for format in [thumbing::OutputFormat::Png, thumbing::OutputFormat::Jpeg] {
                let options = Options::new().boxes([(16, 16), (40, 23), (61, 37)]).format(format);
                let (bands, whole) = both(&options, &bytes);
                assert_eq!(bands, whole, "{color:?} {depth:?}, orientation {orientation}, {format:?}");
            }
        }
    }
}

#[test]
fn every_fit_filter_and_crop_gives_the_same_pixels() {
    let bytes = png(83, 59, png::ColorType::Rgba, png::BitDepth::Eight, Some(6), 99);
    for fit in [Fit::Cover, Fit::Contain, Fit::Inside] {
        for filter in [Filter::Lanczos3, Filter::Mitchell, Filter::CatmullRom, Filter::Bilinear, Filter::Box] {
            for crop in [Crop::Centre, Crop::Focal { x: 0.1, y: 0.9 }] {
                let options = Options::new()
                    .boxes([(32, 32), (100, 20), (7, 50)])
                    .fit(fit)
                    .filter(filter)
                    .crop(crop)
                    .format(thumbing::OutputFormat::Png);
                let (bands, whole) = both(&options, &bytes);
                assert_eq!(bands, whole, "{fit:?} {filter:?} {crop:?}");
            }
        }
    }
    // Enlarging.
    let options = Options::new().size(200).format(thumbing::OutputFormat::Png);
    let (bands, whole) = both(&options, &bytes);
    assert_eq!(bands, whole, "enlarged");
}

#[test]
fn damaged_files_give_the_same_result() {
    let bytes = png(64, 64, png::ColorType::Rgb, png::BitDepth::Eight, None, 5);
    for cut in [bytes.len() / 3, bytes.len() / 2, bytes.len() - 20, bytes.len() - 4] {
        let truncated = &bytes[..cut];
        for fail_on in [FailOn::Truncated, FailOn::Never] {
            let options = Options::new().size(24).fail_on(fail_on).format(thumbing::OutputFormat::Png);
            let bands = options.clone().render(truncated);
            let whole = options.clone().bands(false).render(truncated);
            match (&bands, &whole) {
                (Ok(b), Ok(w)) => assert_eq!(b, w, "cut at {cut}, {fail_on:?}"),
                (Err(b), Err(w)) => assert_eq!(b.kind(), w.kind(), "cut at {cut}, {fail_on:?}"),
                _ => panic!("cut at {cut}, {fail_on:?}: bands {bands:?}, whole {whole:?}"),
            }
        }
    }
    let damaged = fixture("truncated.png");
    for fail_on in [FailOn::Truncated, FailOn::Never] {
        let options = Options::new().size(64).fail_on(fail_on);
        let bands = options.clone().render(&damaged).map_err(|e| e.kind());
        let whole = options.clone().bands(false).render(&damaged).map_err(|e| e.kind());
        assert_eq!(bands, whole, "fixtures/truncated.png, {fail_on:?}");
    }
}

#[test]
fn every_fixture_and_corpus_png_gives_the_same_pixels() {
    // Every fixture, whatever its format (JPEG in all eight orientations, WebP, GIF: these
    // take the same path either way), and every PNG of the corpus.
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(&dir)
        .expect("fixtures/")
        .map(|e| e.expect("fixture"))
        .filter(|e| e.file_type().is_ok_and(|t| t.is_file()))
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|name| !name.ends_with(".md"))
        .map(|name| (format!("fixtures/{name}"), fixture(&name)))
        .collect();
    if let Some(root) = corpus() {
        for entry in manifest(&root) {
            if entry.path.ends_with(".png") {
                let bytes = std::fs::read(root.join(&entry.path)).expect("corpus file");
                files.push((entry.path, bytes));
            }
        }
    }
    let options = Options::new().boxes([(32, 32), (20, 48)]).format(thumbing::OutputFormat::Png);
    let mut compared = 0;
    for (name, bytes) in &files {
        let bands = options.render(bytes).map_err(|e| e.kind());
        let whole = options.clone().bands(false).render(bytes).map_err(|e| e.kind());
        assert_eq!(bands, whole, "{name}");
        compared += usize::from(bands.is_ok());
    }
    assert!(compared >= 20, "only {compared} files compared");
}

#[test]
fn the_memory_budget_refuses_from_the_header() {
    // A header declaring 20000 × 20000 RGBA, and no image data at all: refused as too large
    // (not as corrupt), so nothing was decoded.
    let mut bytes = png(1, 1, png::ColorType::Rgba, png::BitDepth::Eight, None, 1);
    bytes[16..20].copy_from_slice(&20_000u32.to_be_bytes());
    bytes[20..24].copy_from_slice(&20_000u32.to_be_bytes());
    let interlaced = {
        let mut b = bytes.clone();
        b[28] = 1;
        b
    };
    let options = Options::new().max_pixels(500_000_000).memory_budget(64 << 20);
    // Streamed, a 512-pixel avatar of it fits in 64 MiB: the header passes, the missing data
    // is then found corrupt.
    let streamed = options.estimate_memory(&bytes).expect("estimate");
    assert!(streamed < 64 << 20, "{streamed}");
    assert!(options.process(&bytes).is_err_and(|e| e.kind() == ErrorKind::Corrupt));
    // Interlaced, or without bands, it needs the whole image: refused from the header.
    let whole = options.estimate_memory(&interlaced).expect("estimate");
    assert!(whole > 1_600_000_000, "{whole}");
    let err = options.process(&interlaced).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge, "{err}");
    assert!(err.to_string().contains("budget"), "{err}");
    let err = options.clone().bands(false).process(&bytes).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge, "{err}");
    // Every format is estimated: a JPEG, a WebP, a GIF of the fixtures within a generous
    // budget, and refused under a tiny one.
    for name in ["landscape_1.jpg", "progressive-cat.jpg", "landscape.webp", "grey-plus-alpha.gif", "gray.png"] {
        let bytes = fixture(name);
        assert!(Options::new().memory_budget(256 << 20).process(&bytes).is_ok(), "{name}");
        let err = Options::new().memory_budget(1 << 16).process(&bytes).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TooLarge, "{name}: {err}");
    }
    assert_eq!(Options::new().memory_budget(0).validate().unwrap_err().kind(), ErrorKind::InvalidOptions);
}
