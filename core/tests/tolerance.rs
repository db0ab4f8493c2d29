//! Damaged files: what the default recovers from (an avatar plus a warning saying what and
//! where), what `FailOn::Warning` refuses, what stays an error, and that the recovery keeps
//! the undamaged part of the image exactly.

mod common;

use common::fixture;
use thumbing::{ErrorKind, FailOn, Options, WarningKind};

/// A 128×96 JPEG (4:2:0, so MCU rows of 16 pixels) with a restart marker after every MCU row.
fn jpeg_with_restarts() -> Vec<u8> {
    let (w, h) = (128u16, 96u16);
    let mut rgb = Vec::new();
    for y in 0..u32::from(h) {
        for x in 0..u32::from(w) {
            rgb.extend_from_slice(&[(x * 2) as u8, (y * 2) as u8, ((x + y) * 3) as u8]);
        }
    }
    let mut out = Vec::new();
    let mut encoder = jpeg_encoder::Encoder::new(&mut out, 90);
    encoder.set_sampling_factor(jpeg_encoder::SamplingFactor::F_2_2);
    encoder.set_restart_interval(8);
    encoder.encode(&rgb, w, h, jpeg_encoder::ColorType::Rgb).unwrap();
    out
}

/// Where each restart marker (RST0-7) starts.
fn restart_markers(jpeg: &[u8]) -> Vec<usize> {
    jpeg.windows(2).enumerate().filter(|(_, w)| w[0] == 0xFF && (0xD0..=0xD7).contains(&w[1])).map(|(i, _)| i).collect()
}

fn kinds(warnings: &[thumbing::Warning]) -> Vec<WarningKind> {
    warnings.iter().map(|w| w.kind).collect()
}

#[test]
fn intact_files_have_no_warnings() {
    for name in ["landscape_6.jpg", "progressive-cat.jpg", "with-alpha.png", "landscape.webp"] {
        let out = Options::new().size(64).process(&fixture(name)).unwrap();
        assert!(out[0].warnings.is_empty(), "{name}: {:?}", out[0].warnings);
    }
}

#[test]
fn corrupt_scan_data_loses_one_restart_interval_and_keeps_the_rest_exactly() {
    let intact = jpeg_with_restarts();
    let markers = restart_markers(&intact);
    assert_eq!(markers.len(), 5, "one marker between each of the six MCU rows");
    // Garbage in the middle of MCU row 2 (between RST1 and RST2): a run of 0xFE bytes is no
    // valid sequence of codes.
    let mut damaged = intact.clone();
    let middle = (markers[1] + markers[2]) / 2;
    damaged[middle..middle + 6].fill(0xFE);

    let (pixels, warnings) = Options::new().size(128).render_with_warnings(&damaged).unwrap();
    assert_eq!(kinds(&warnings), [WarningKind::CorruptData], "{warnings:?}");
    let offset = warnings[0].offset.unwrap() as usize;
    assert!((markers[1]..markers[2]).contains(&offset), "{offset} not in interval 2 ({markers:?})");
    assert!(warnings[0].to_string().contains("restart interval"), "{}", warnings[0]);

    // Below the damaged interval (and its upsampling context) the pixels are exactly the
    // intact file's: decoding resumed at the next restart marker.
    let reference = thumbing::decode_jpeg_scaled(&intact, 8).unwrap().unwrap();
    let recovered = thumbing::decode_jpeg_scaled(&damaged, 8).unwrap().expect("the decoder recovers");
    let row = 128 * 3;
    assert_eq!(recovered.data[..row * 31], reference.data[..row * 31], "rows above the damage");
    assert_eq!(recovered.data[row * 49..], reference.data[row * 49..], "rows below the damage");
    // The lost part is flat grey (zero coefficients), as libjpeg fills it.
    let lost = &recovered.data[row * 40 - 3..row * 40];
    assert!(lost.iter().all(|&v| v.abs_diff(128) <= 2), "{lost:?}");
    assert_eq!(pixels[0].width, 128);

    // Strict: the same file is refused, naming the damage.
    let err = Options::new().size(64).fail_on(FailOn::Warning).process(&damaged).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::Corrupt);
    assert!(err.to_string().contains("corrupt data in scan 1"), "{err}");
}

#[test]
fn lost_restart_markers_are_resynchronised() {
    let intact = jpeg_with_restarts();
    let markers = restart_markers(&intact);
    // RST1 overwritten: its interval's data runs into the next one.
    let mut damaged = intact.clone();
    damaged[markers[1] + 1] = 0x00;
    let out = Options::new().size(64).process(&damaged).unwrap();
    assert!(!out[0].warnings.is_empty());
    let reference = thumbing::decode_jpeg_scaled(&intact, 8).unwrap().unwrap();
    let recovered = thumbing::decode_jpeg_scaled(&damaged, 8).unwrap().unwrap();
    let row = 128 * 3;
    assert_eq!(recovered.data[row * 65..], reference.data[row * 65..], "rows after the next marker");
}

#[test]
fn junk_between_markers_is_skipped_with_a_warning() {
    let intact = fixture("landscape_6.jpg");
    for marker in [0xDBu8, 0xC4, 0xDA] {
        let at = intact.windows(2).position(|w| w == [0xFF, marker]).unwrap();
        let mut damaged = intact.clone();
        damaged.splice(at..at, *b"\x00\x12junk");
        let out = Options::new().size(64).process(&damaged).unwrap();
        assert_eq!(kinds(&out[0].warnings), [WarningKind::ExtraneousBytes], "marker {marker:02X}");
        assert_eq!(out[0].warnings[0].offset, Some(at as u64));
        assert_eq!(out[0].data, Options::new().size(64).process(&intact).unwrap()[0].data, "same pixels");
        assert!(Options::new().size(64).fail_on(FailOn::Warning).process(&damaged).is_err());
    }
}

#[test]
fn a_malformed_exif_block_is_ignored_with_a_warning() {
    let intact = fixture("landscape_6.jpg");
    let at = intact.windows(6).position(|w| w == b"Exif\0\0").unwrap();
    let mut damaged = intact.clone();
    damaged[at + 6..at + 8].copy_from_slice(b"XX"); // not a TIFF byte order
    let out = Options::new().size(64).process(&damaged).unwrap();
    assert_eq!(kinds(&out[0].warnings), [WarningKind::Metadata]);
    assert_eq!(thumbing::probe(&damaged).unwrap().orientation, thumbing::Orientation::Normal);
}

#[test]
fn truncated_files_are_errors_unless_best_effort() {
    for name in ["landscape_1.jpg", "progressive-cat.jpg", "with-alpha.png"] {
        let intact = fixture(name);
        let cut = &intact[..intact.len() * 2 / 3];
        let err = Options::new().size(64).process(cut).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::Corrupt, "{name}: {err}");
        let out = Options::new().size(64).fail_on(FailOn::Never).process(cut).unwrap();
        assert!(kinds(&out[0].warnings).contains(&WarningKind::Truncated), "{name}: {:?}", out[0].warnings);
    }
}

/// The PNG's chunks as (type, start, end).
fn chunks(png: &[u8]) -> Vec<([u8; 4], usize, usize)> {
    let mut out = Vec::new();
    let mut pos = 8;
    while pos + 8 <= png.len() {
        let len = u32::from_be_bytes(png[pos..pos + 4].try_into().unwrap()) as usize;
        out.push((png[pos + 4..pos + 8].try_into().unwrap(), pos, pos + 12 + len));
        pos += 12 + len;
    }
    out
}

#[test]
fn png_checksums_and_cut_off_trailers_are_warnings() {
    let intact = fixture("grey-8bit-alpha.png");
    let reference = Options::new().size(64).process(&intact).unwrap().remove(0);
    let (_, _, idat_end) = *chunks(&intact).iter().find(|c| &c.0 == b"IDAT").unwrap();

    let mut bad_crc = intact.clone();
    bad_crc[idat_end - 1] ^= 0x5A;
    let out = Options::new().size(64).process(&bad_crc).unwrap().remove(0);
    assert_eq!(kinds(&out.warnings), [WarningKind::Checksum]);
    assert!(out.warnings[0].message.contains("IDAT"), "{}", out.warnings[0]);
    assert_eq!(out.data, reference.data);
    assert!(Options::new().size(64).fail_on(FailOn::Warning).process(&bad_crc).is_err());

    // Cut off inside the IEND chunk, after all the image data.
    let cut = &intact[..intact.len() - 5];
    let out = Options::new().size(64).process(cut).unwrap().remove(0);
    assert_eq!(kinds(&out.warnings), [WarningKind::TrailingData], "{:?}", out.warnings);
    assert_eq!(out.data, reference.data);
}

#[test]
fn what_cannot_give_an_image_stays_an_error_whatever_the_setting() {
    let no_frame = fixture("corrupt-header.jpg");
    let bomb = fixture("bomb-100000x100000.png");
    for fail_on in [FailOn::Warning, FailOn::Truncated, FailOn::Never] {
        let options = Options::new().size(64).fail_on(fail_on);
        assert_eq!(options.process(&no_frame).unwrap_err().kind(), ErrorKind::Corrupt);
        assert_eq!(options.process(&bomb).unwrap_err().kind(), ErrorKind::TooLarge);
        assert_eq!(options.process(b"II*\0\x08\0\0\0").unwrap_err().kind(), ErrorKind::UnsupportedFormat);
    }
}

/// Files that once failed the damage generator (bindings-python/tests/test_damage.py): each
/// gives its typed outcome, quickly.
#[test]
fn damage_regressions() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/damaged");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "md") {
            continue;
        }
        let bytes = std::fs::read(&path).unwrap();
        let started = std::time::Instant::now();
        let default = Options::new().size(64).process(&bytes);
        let best = Options::new().size(64).fail_on(FailOn::Never).process(&bytes);
        assert!(started.elapsed() < std::time::Duration::from_secs(10), "{}: hang", path.display());
        if let Err(e) = &default {
            assert_eq!(e.kind(), ErrorKind::Corrupt, "{}: {e}", path.display());
        }
        if let Ok(out) = &best {
            assert_eq!((out[0].width, out[0].height), (64, 64));
        }
        seen += 1;
    }
    assert!(seen > 0);
}
