//! thumbing's JPEG decoder against libjpeg-turbo, the decoder behind Pillow and sharp.
//!
//! The test files are made by libjpeg-turbo's own encoder (`cjpeg`) in every sampling layout
//! and scan structure it offers, from a photo; the reference pixels come from its decoder
//! (`djpeg`, with its defaults: the accurate integer inverse DCT and fancy upsampling).
//!
//! - At full size thumbing computes what libjpeg does, the same inverse DCT and upsampling
//!   to the bit, so pixels may differ only through the colour conversion's rounding: by at
//!   most one level (measured: max 1, 99.7 % of samples identical on camera photos). The
//!   bound is ±2, as the project promises.
//! - At 3/8 both keep the 3×3 corner of each block (and 6×6 of 4:2:0 chroma), and differ
//!   only by the rounding of their fixed-point transforms (at most 3 levels), for 4:4:4,
//!   4:2:0 and gray.
//! - At the other reduced scales libjpeg-turbo uses other filters by design (at 1/2 and 1/4
//!   the average of the full-size pixels, at 5/8–7/8 10- to 14-point transforms for
//!   subsampled components where thumbing upsamples), so the check is a PSNR bound that any
//!   misplaced block, swapped channel or shift would break (measured values are printed).
//!
//! Every file must be decoded by thumbing's decoder itself: a fallback to another decoder
//! would hide a bug as slowness.

mod common;

use common::{corpus, fixture, libjpeg};
use thumbing::Bitmap;

/// Reduced scales other than 3/8: PSNR against `djpeg -scale M/8` (measured 32–58 dB; the
/// lowest, 27.8 dB, is luma sampled below chroma at 5/8, whose luma thumbing interpolates with
/// the triangle filter where libjpeg-turbo uses a 10-point transform: the frequencies that
/// differ are above what the later resize to a smaller avatar keeps).
const REDUCED_MIN_PSNR: f64 = 26.0;
/// 3/8 of 4:4:4, 4:2:0 and gray, where both keep the same coefficients and differ only by
/// the rounding of their fixed-point transforms (at most 3 levels).
const SAME_DEFINITION_MIN_PSNR: f64 = 45.0;

/// The source picture: a detailed photo (a waterfall, rocks, sky), 299×197 (sizes that are
/// not multiples of any MCU), as a PPM.
fn source() -> Vec<u8> {
    let cut = libjpeg::djpeg(&fixture("landscape_1.jpg"), &[]);
    let (w, h) = (cut.width.min(299), cut.height.min(197));
    let mut rgb = Vec::with_capacity((w * h * 3) as usize);
    for y in 0..h {
        let start = (y * cut.width * 3) as usize;
        rgb.extend_from_slice(&cut.data[start..start + (w * 3) as usize]);
    }
    libjpeg::to_pnm(&Bitmap::new(w, h, thumbing::PixelLayout::Rgb, rgb).unwrap())
}

/// Decodes with thumbing's decoder at `scale`/8 (a decline fails the test) and compares with
/// djpeg at the same scale.
fn compare(name: &str, jpeg: &[u8], scale: u32) -> libjpeg::Difference {
    let ours = thumbing::decode_jpeg_scaled(jpeg, scale)
        .unwrap_or_else(|e| panic!("{name}: {e}"))
        .unwrap_or_else(|| panic!("{name}: declined by thumbing's decoder at {scale}/8"));
    let scale_arg = format!("{scale}/8");
    let theirs = libjpeg::djpeg(jpeg, &["-scale", &scale_arg]);
    libjpeg::difference(&ours, &theirs)
}

/// Checks one file at every scale.
fn check(name: &str, jpeg: &[u8], exact_at_3: bool) {
    let full = compare(name, jpeg, 8);
    assert!(full.max <= 2, "{name}: full size differs from libjpeg-turbo by up to {}", full.max);
    let mut line = format!("{name:44} 8/8 max {} ({:.1} dB)", full.max, full.psnr);
    for scale in 1..8 {
        let d = compare(name, jpeg, scale);
        if scale == 3 && exact_at_3 {
            assert!(d.psnr >= SAME_DEFINITION_MIN_PSNR, "{name}: 3/8 is {:.1} dB from libjpeg-turbo", d.psnr);
        } else {
            assert!(d.psnr >= REDUCED_MIN_PSNR, "{name}: {scale}/8 is {:.1} dB from libjpeg-turbo", d.psnr);
        }
        line.push_str(&format!("  {scale}/8 {:.0}", d.psnr));
    }
    eprintln!("{line}");
}

#[test]
fn every_sampling_layout_matches_libjpeg_turbo() {
    if !libjpeg::available() {
        return;
    }
    let source = source();
    // Per-component factors, luma first: the usual layouts, asymmetric ones, luma sampled
    // below chroma, and ratios of three and four.
    let layouts = [
        ("4:4:4", "1x1", true),
        ("4:2:2", "2x1", false),
        ("4:4:0", "1x2", false),
        ("4:2:0", "2x2", true),
        ("4:1:1", "4x1", false),
        ("1x4", "1x4", false),
        ("4x2", "4x2", false),
        ("3x1", "3x1", false),
        ("luma below chroma", "1x1,2x2,2x2", false),
        ("asymmetric chroma", "2x2,2x1,1x2", false),
        ("mixed", "2x1,1x2,1x1", false),
    ];
    for (label, sample, exact_at_3) in layouts {
        for (variant, extra) in [
            ("baseline", &[][..]),
            ("progressive", &["-progressive"][..]),
            ("restart", &["-restart", "1"][..]),
            ("q95 optimised", &["-quality", "95", "-optimize"][..]),
        ] {
            let mut args = vec!["-sample", sample];
            args.extend_from_slice(extra);
            let jpeg = libjpeg::cjpeg(&source, &args);
            check(&format!("{label} {variant}"), &jpeg, exact_at_3);
        }
    }
}

#[test]
fn gray_rgb_and_scan_structures_match_libjpeg_turbo() {
    if !libjpeg::available() {
        return;
    }
    let source = source();
    let scripts = [
        // One sequential scan per component.
        ("one component per scan", "0;\n1;\n2;\n", "2x2"),
        // Luma alone, then both chroma components interleaved.
        ("Y then CbCr", "0;\n1 2;\n", "2x2"),
        // Progressive with every component's DC in its own scan, then AC bands refined bit by
        // bit.
        (
            "progressive, separate DC scans",
            "0: 0 0 0 1;\n1: 0 0 0 1;\n2: 0 0 0 1;\n0: 1 5 0 2;\n0: 6 63 0 2;\n1: 1 63 0 1;\n2: 1 63 0 1;\n\
             0: 1 63 2 1;\n0 1 2: 0 0 1 0;\n0: 1 63 1 0;\n1: 1 63 1 0;\n2: 1 63 1 0;\n",
            "2x1",
        ),
    ];
    for (label, script, sample) in scripts {
        let path = libjpeg::temp_file(&label.replace([' ', ','], "-"), script);
        let path_arg = path.to_string_lossy().into_owned();
        let jpeg = libjpeg::cjpeg(&source, &["-sample", sample, "-scans", &path_arg]);
        let _ = std::fs::remove_file(&path);
        check(label, &jpeg, sample == "2x2");
    }
    for (label, args) in [
        ("gray", &["-grayscale"][..]),
        ("gray progressive", &["-grayscale", "-progressive"][..]),
        ("gray restart", &["-grayscale", "-restart", "3B"][..]),
        ("RGB", &["-rgb"][..]),
        ("RGB progressive", &["-rgb", "-progressive"][..]),
    ] {
        let jpeg = libjpeg::cjpeg(&source, args);
        check(label, &jpeg, true);
    }
    // A picture smaller than one block.
    let tiny =
        libjpeg::to_pnm(&Bitmap::new(5, 3, thumbing::PixelLayout::Rgb, (0..45).map(|i| i * 5).collect()).unwrap());
    check("5x3", &libjpeg::cjpeg(&tiny, &["-sample", "2x2"]), true);
}

#[test]
fn arithmetic_coded_files_match_libjpeg_turbo() {
    if !libjpeg::available() {
        return;
    }
    let source = source();
    // Sequential (SOF9) and progressive (SOF10) arithmetic coding, as `cjpeg -arithmetic`
    // writes it: its DAC segment, the default conditioning, one statistics area per table.
    for (label, args, exact_at_3) in [
        ("arithmetic 4:2:0", &["-sample", "2x2"][..], true),
        ("arithmetic 4:2:2", &["-sample", "2x1"][..], false),
        ("arithmetic 4:4:4", &["-sample", "1x1"][..], true),
        ("arithmetic gray", &["-grayscale"][..], true),
        ("arithmetic RGB", &["-rgb"][..], true),
        ("arithmetic restart", &["-sample", "2x2", "-restart", "1"][..], true),
        ("arithmetic q95 4:4:4", &["-sample", "1x1", "-quality", "95"][..], true),
        ("arithmetic progressive 4:2:0", &["-progressive", "-sample", "2x2"][..], true),
        ("arithmetic progressive 4:2:2", &["-progressive", "-sample", "2x1"][..], false),
        ("arithmetic progressive gray", &["-progressive", "-grayscale"][..], true),
        ("arithmetic progressive restart", &["-progressive", "-sample", "2x2", "-restart", "2B"][..], true),
    ] {
        let mut all = vec!["-arithmetic"];
        all.extend_from_slice(args);
        let jpeg = libjpeg::cjpeg(&source, &all);
        assert!(
            jpeg.windows(2).any(|w| w == [0xFF, 0xC9] || w == [0xFF, 0xCA]),
            "{label}: cjpeg wrote no arithmetic frame"
        );
        check(label, &jpeg, exact_at_3);
        // The entropy coding is lossless: the same coefficients Huffman-coded decode to the
        // same pixels, at every scale.
        let huffman = libjpeg::cjpeg(&source, args);
        for scale in 1..=8 {
            let decode = |bytes: &[u8]| thumbing::decode_jpeg_scaled(bytes, scale).unwrap().unwrap();
            assert!(decode(&jpeg) == decode(&huffman), "{label}: differs from its Huffman twin at {scale}/8");
        }
        // Through the pipeline, at a reduced scale and for a crop.
        let avatar = thumbing::Options::new().size(48).render(&jpeg).unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!((avatar[0].width, avatar[0].height), (48, 48), "{label}");
    }
    // Scan scripts: sequential scans of one component each (the statistics areas start over
    // with each scan), and progressive DC scans per component with bit-by-bit refinement.
    for (label, script, sample) in [
        ("arithmetic one component per scan", "0;\n1;\n2;\n", "2x2"),
        (
            "arithmetic progressive, separate DC scans",
            "0: 0 0 0 1;\n1: 0 0 0 1;\n2: 0 0 0 1;\n0: 1 5 0 2;\n0: 6 63 0 2;\n1: 1 63 0 1;\n2: 1 63 0 1;\n\
             0: 1 63 2 1;\n0 1 2: 0 0 1 0;\n0: 1 63 1 0;\n1: 1 63 1 0;\n2: 1 63 1 0;\n",
            "2x1",
        ),
    ] {
        let path = libjpeg::temp_file(&label.replace([' ', ','], "-"), script);
        let path_arg = path.to_string_lossy().into_owned();
        let jpeg = libjpeg::cjpeg(&source, &["-arithmetic", "-sample", sample, "-scans", &path_arg]);
        let _ = std::fs::remove_file(&path);
        check(label, &jpeg, sample == "2x2");
    }
}

#[test]
fn damaged_arithmetic_data_is_recovered_as_huffman_data_is() {
    // A truncated file: an error by default, an avatar with a `truncated` warning under
    // `FailOn::Never`, never a panic.
    for name in ["arithmetic.jpg", "arithmetic-progressive.jpg"] {
        let whole = fixture(name);
        for cut in [whole.len() / 3, whole.len() * 2 / 3] {
            let truncated = &whole[..cut];
            let err = thumbing::Options::new().size(32).process(truncated).unwrap_err();
            assert_eq!(err.kind(), thumbing::ErrorKind::Corrupt, "{name} cut at {cut}: {err}");
            let out = thumbing::Options::new()
                .size(32)
                .fail_on(thumbing::FailOn::Never)
                .process(truncated)
                .unwrap_or_else(|e| panic!("{name} cut at {cut}: {e}"));
            assert!(
                out[0].warnings.iter().any(|w| w.kind == thumbing::WarningKind::Truncated),
                "{name} cut at {cut}: {:?}",
                out[0].warnings
            );
        }
    }
    if !libjpeg::available() {
        return;
    }
    // A lost restart marker (one interval per MCU row of 16 pixels): the decoder finds the
    // next marker, leaves the interval whose start was lost grey and decodes the rest exactly.
    // (Damage inside arithmetic-coded data decodes to other values, not to an error: only
    // lost markers and truncation can be noticed.)
    let intact = libjpeg::cjpeg(&source(), &["-arithmetic", "-sample", "2x2", "-restart", "1"]);
    let markers: Vec<usize> = intact
        .windows(2)
        .enumerate()
        .filter(|(_, w)| w[0] == 0xFF && (0xD0..=0xD7).contains(&w[1]))
        .map(|(i, _)| i)
        .collect();
    assert!(markers.len() >= 8, "{} restart markers", markers.len());
    let mut damaged = intact.clone();
    damaged[markers[1] + 1] = 0x00; // RST1 becomes a stuffed 0xFF data byte
    let out = thumbing::Options::new().size(64).process(&damaged).unwrap();
    assert_eq!(
        out[0].warnings.iter().map(|w| w.kind).collect::<Vec<_>>(),
        [thumbing::WarningKind::CorruptData],
        "{:?}",
        out[0].warnings
    );
    let reference = thumbing::decode_jpeg_scaled(&intact, 8).unwrap().unwrap();
    let recovered = thumbing::decode_jpeg_scaled(&damaged, 8).unwrap().expect("the decoder recovers");
    let row = reference.width as usize * 3;
    // The interval before the lost marker ran on into the next one's data: its last
    // decisions may differ (the arithmetic decoder reads ahead), the interval before it not.
    assert_eq!(recovered.data[..row * 15], reference.data[..row * 15], "the interval before the damage");
    assert_eq!(recovered.data[row * 49..], reference.data[row * 49..], "every interval after the lost one");
    let err = thumbing::Options::new().size(64).fail_on(thumbing::FailOn::Warning).process(&damaged).unwrap_err();
    assert_eq!(err.kind(), thumbing::ErrorKind::Corrupt, "{err}");
}

#[test]
fn corpus_jpegs_are_decoded_by_thumbing_and_match_libjpeg_turbo() {
    let Some(root) = corpus() else { return };
    if !libjpeg::available() {
        return;
    }
    let mut decoded = 0;
    for entry in common::manifest(&root) {
        if entry.expected != "ok" || !(entry.path.ends_with(".jpg") || entry.path.ends_with(".jpeg")) {
            continue;
        }
        let bytes = std::fs::read(root.join(&entry.path)).unwrap();
        let info = thumbing::probe(&bytes).unwrap();
        // 12-bit and lossless frames go to the general decoder by design.
        if info.bit_depth != 8 || info.color_model == thumbing::ColorModel::Cmyk || is_lossless(&bytes) {
            continue;
        }
        let d = compare(&entry.path, &bytes, 8);
        assert!(d.max <= 2, "{}: differs from libjpeg-turbo by up to {}", entry.path, d.max);
        decoded += 1;
    }
    eprintln!("{decoded} corpus JPEGs decoded by thumbing's decoder, all within ±2 of libjpeg-turbo");
    assert!(decoded >= 20, "only {decoded} corpus JPEGs checked");
}

/// Whether the first frame header is SOF3 (lossless).
fn is_lossless(bytes: &[u8]) -> bool {
    bytes.windows(2).any(|w| w == [0xFF, 0xC3])
}

#[test]
fn cmyk_is_decoded_by_thumbing() {
    // Adobe CMYK (inverted, as Adobe writes it): ink amounts, as the colour stage expects.
    let bytes = fixture("cmyk.jpg");
    let ours = thumbing::decode_jpeg_scaled(&bytes, 8).unwrap().expect("decoded by thumbing's decoder");
    assert_eq!(ours.layout, thumbing::PixelLayout::Cmyk);
    let small = thumbing::decode_jpeg_scaled(&bytes, 2).unwrap().expect("and at 2/8");
    assert_eq!((small.width, small.height), (ours.width.div_ceil(4), ours.height.div_ceil(4)));
}

#[test]
fn damaged_files_are_declined_never_misdecoded() {
    let whole = fixture("landscape_1.jpg");
    // Truncated: thumbing's decoder fills the rest with grey; the pipeline's FailOn decides
    // whether that is an error (by default it is).
    for cut in [whole.len() / 3, whole.len() - 10] {
        assert!(thumbing::decode_jpeg_scaled(&whole[..cut], 2).unwrap().is_some(), "cut at {cut}");
        let err = thumbing::Options::new().size(32).process(&whole[..cut]).unwrap_err();
        assert_eq!(err.kind(), thumbing::ErrorKind::Corrupt, "cut at {cut}");
    }
    // Not a JPEG at all is an error, not a decline.
    assert!(thumbing::decode_jpeg_scaled(&fixture("gray.png"), 4).is_err());
    // Bytes flipped anywhere: a result or a decline, never a panic.
    let bytes = fixture("progressive-cat.jpg");
    let mut state = 12345u32;
    for i in 0..300 {
        let mut damaged = bytes.clone();
        for _ in 0..1 + i % 4 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let at = 20 + (state as usize >> 8) % (damaged.len() - 20);
            damaged[at] = (state >> 3) as u8;
        }
        for scale in [8, 3, 1] {
            let _ = thumbing::decode_jpeg_scaled(&damaged, scale);
        }
    }
}

/// Avatars from a reduced decode against avatars from the full decode: the same picture,
/// within what the different low-pass filtering changes. Measured 40–58 dB.
const AVATAR_MIN_PSNR: f64 = 38.0;

fn avatar_psnr(bytes: &[u8], size: u32, crop: thumbing::Crop) -> (u32, f64) {
    let options = thumbing::Options::new().size(size).crop(crop);
    let scale = options.decode_scale(&thumbing::probe(bytes).unwrap());
    let fast = options.render(bytes).unwrap().remove(0);
    let full = options.clone().shrink_on_load(false).render(bytes).unwrap().remove(0);
    (scale, libjpeg::difference(&fast, &full).psnr)
}

#[test]
fn avatars_from_reduced_decodes_match_full_decodes() {
    // Oriented (EXIF 6) and focal crops: windows are mapped into the reduced region.
    for (name, crop) in [
        ("landscape_1.jpg", thumbing::Crop::Centre),
        ("landscape_1.jpg", thumbing::Crop::Focal { x: 0.8, y: 0.3 }),
        ("landscape_6.jpg", thumbing::Crop::Focal { x: 0.2, y: 0.5 }),
        ("progressive-cat.jpg", thumbing::Crop::Centre),
    ] {
        let bytes = fixture(name);
        for size in [16, 32, 48] {
            let (scale, db) = avatar_psnr(&bytes, size, crop);
            eprintln!("{name} {crop:?} {size}: {scale}/8, {db:.1} dB");
            assert!(scale < 8, "{name} at {size} should decode reduced");
            assert!(db >= AVATAR_MIN_PSNR, "{name} {crop:?} at {size}: {db:.1} dB");
        }
    }
    let Some(root) = corpus() else { return };
    for name in [
        "photos-exif-samples/HMD_Nokia_8.3_5G.jpg",
        "photos-exif-samples/iphone_hdr_NO.jpg",
        "sharp-fixtures/2569067123_aca715a2ee_o.jpg",
    ] {
        let bytes = std::fs::read(root.join(name)).unwrap();
        for size in [512, 128] {
            let (scale, db) = avatar_psnr(&bytes, size, thumbing::Crop::Centre);
            eprintln!("{name} {size}: {scale}/8, {db:.1} dB");
            assert!(db >= AVATAR_MIN_PSNR, "{name} at {size}: {db:.1} dB");
        }
    }
}
