//! End-to-end behaviour on the committed fixtures.

mod common;

use common::{fixture, mean_abs_diff, pixels};
use thumbing::{
    ColorModel, Crop, ErrorKind, FailOn, Fit, ImageFormat, Options, Orientation, OutputFormat, PixelLayout,
};

#[test]
fn all_orientations_give_the_same_upright_avatar() {
    let reference = Options::new().size(128).render(&fixture("landscape_1.jpg")).unwrap().remove(0);
    for n in 2..=8 {
        let name = format!("landscape_{n}.jpg");
        let bytes = fixture(&name);
        assert_eq!(thumbing::probe(&bytes).unwrap().orientation, Orientation::from_exif_value(n));
        let avatar = Options::new().size(128).render(&bytes).unwrap().remove(0);
        let diff = mean_abs_diff(&reference, &avatar);
        assert!(diff < 2.0, "{name}: mean difference {diff:.2} from landscape_1");
    }
    // A deliberately wrong orientation is far off, so the comparison above can fail.
    let upside_down = Orientation::Rotate180.apply(reference.clone());
    assert!(mean_abs_diff(&reference, &upside_down) > 10.0);
}

#[test]
fn probe_reads_headers() {
    let cases: &[(&str, ImageFormat, u32, u32, bool, ColorModel)] = &[
        ("landscape_6.jpg", ImageFormat::Jpeg, 200, 300, false, ColorModel::Rgb),
        ("concert.jpg", ImageFormat::Jpeg, 400, 267, false, ColorModel::Gray),
        ("cmyk.jpg", ImageFormat::Jpeg, 500, 333, false, ColorModel::Cmyk),
        ("grey-8bit-alpha.png", ImageFormat::Png, 400, 300, true, ColorModel::Gray),
        ("d.png", ImageFormat::Png, 48, 48, true, ColorModel::Palette),
        ("grey-plus-alpha.gif", ImageFormat::Gif, 2, 1, true, ColorModel::Palette),
        ("landscape.webp", ImageFormat::WebP, 150, 100, false, ColorModel::Rgb),
        ("bomb-100000x100000.png", ImageFormat::Png, 100_000, 100_000, true, ColorModel::Rgb),
    ];
    for &(name, format, w, h, alpha, model) in cases {
        let info = thumbing::probe(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(
            (info.format, info.width, info.height, info.has_alpha, info.color_model),
            (format, w, h, alpha, model),
            "{name}"
        );
    }
    let info = thumbing::probe(&fixture("progressive-cat.jpg")).unwrap();
    assert!(info.progressive && info.has_icc);
    assert_eq!(thumbing::probe(&fixture("Flag_of_the_Netherlands-16bit.png")).unwrap().bit_depth, 16);
}

#[test]
fn every_input_format_makes_an_avatar() {
    for name in [
        "flowers.jpeg",
        "low-contrast.jpg",
        "progressive-cat.jpg",
        "portrait_2.jpg",
        "cmyk.jpg",
        "landscape.webp",
        "grey-plus-alpha.gif",
        "with-alpha.png",
        "d.png",
        "Flag_of_the_Netherlands-16bit.png",
        "p3.png",
        "prophoto.png",
    ] {
        let out = Options::new().size(96).process(&fixture(name)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let info = thumbing::probe(&out[0].data).unwrap();
        assert_eq!((info.format, info.width, info.height), (ImageFormat::Jpeg, 96, 96), "{name}");
    }
}

#[test]
fn errors_have_the_right_category() {
    let kind = |name: &str| thumbing::avatar(&fixture(name), 64).unwrap_err().kind();
    assert_eq!(kind("bomb-100000x100000.png"), ErrorKind::TooLarge);
    assert_eq!(kind("truncated.png"), ErrorKind::Corrupt);
    assert_eq!(kind("corrupt-header.jpg"), ErrorKind::Corrupt);
    assert_eq!(kind("8bit_depth.tiff"), ErrorKind::UnsupportedFormat);
    let msg = thumbing::avatar(&fixture("8bit_depth.tiff"), 64).unwrap_err().to_string();
    assert!(msg.contains("TIFF"), "{msg}");
    // Best effort keeps what arrived of a truncated file.
    let out = Options::new().size(64).fail_on(FailOn::Never).process(&fixture("truncated.png")).unwrap();
    assert_eq!(out[0].width, 64);
    // Limits are configurable.
    let err = Options::new().max_pixels(1000).process(&fixture("flowers.jpeg")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge);
    let err = Options::new().max_input_bytes(100).process(&fixture("flowers.jpeg")).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::TooLarge);
}

#[test]
fn gray_stays_gray_and_alpha_is_handled() {
    let out = Options::new().size(64).process(&fixture("concert.jpg")).unwrap();
    assert_eq!(thumbing::probe(&out[0].data).unwrap().color_model, ColorModel::Gray);
    let png = Options::new().size(64).format(OutputFormat::Png).render(&fixture("grey-8bit-alpha.png")).unwrap();
    assert_eq!(png[0].layout, PixelLayout::GrayAlpha);
    // JPEG output flattens alpha onto the background colour.
    let flat = Options::new().size(8).background([255, 0, 0]).render(&fixture("with-alpha.png")).unwrap();
    assert_eq!(flat[0].layout, PixelLayout::Rgb);
    let transparent_corner =
        Options::new().size(8).format(OutputFormat::Png).render(&fixture("with-alpha.png")).unwrap();
    let a = transparent_corner[0].pixel(0, 0)[3];
    let px = flat[0].pixel(0, 0);
    if a == 0 {
        assert_eq!(px, &[255, 0, 0]);
    }
}

#[test]
fn metadata_is_stripped() {
    let input = fixture("portrait_2.jpg");
    assert!(input.windows(6).any(|w| w == b"Exif\0\0"));
    let out = thumbing::avatar(&input, 64).unwrap();
    assert!(!out.windows(4).any(|w| w == b"Exif"), "EXIF leaked into the output");
    assert!(!out.windows(11).any(|w| w == b"ICC_PROFILE"), "ICC leaked into the output");
    let info = thumbing::probe(&out).unwrap();
    assert_eq!(info.orientation, Orientation::Normal);
}

#[test]
fn several_sizes_and_fits() {
    let photo = fixture("flowers.jpeg");
    let out = Options::new().sizes([512, 256, 32]).process(&photo).unwrap();
    let dims: Vec<_> = out.iter().map(|a| (a.width, a.height)).collect();
    assert_eq!(dims, [(512, 512), (256, 256), (32, 32)]);
    let contain = Options::new().size(100).fit(Fit::Contain).render(&photo).unwrap().remove(0);
    assert_eq!((contain.width, contain.height), (100, 100));
    assert_eq!(contain.pixel(50, 0), &[255, 255, 255], "letterbox is the background colour");
    let inside = Options::new().size(100).fit(Fit::Inside).render(&photo).unwrap().remove(0);
    assert_eq!((inside.width, inside.height), (100, 56));
    let non_square = Options::new().boxes([(160, 90)]).process(&photo).unwrap();
    assert_eq!((non_square[0].width, non_square[0].height), (160, 90));
}

#[test]
fn focal_and_smart_crops_move_the_window() {
    let photo = fixture("flowers.jpeg");
    let left = Options::new().size(64).crop(Crop::Focal { x: 0.0, y: 0.5 }).render(&photo).unwrap().remove(0);
    let right = Options::new().size(64).crop(Crop::Focal { x: 1.0, y: 0.5 }).render(&photo).unwrap().remove(0);
    assert!(mean_abs_diff(&left, &right) > 5.0);
    let smart = Options::new().size(64).crop(Crop::Smart).render(&photo).unwrap().remove(0);
    assert_eq!((smart.width, smart.height), (64, 64));
}

/// Reads the component sampling factors of a JPEG's SOF marker.
fn sampling(jpeg: &[u8]) -> (bool, Vec<u8>) {
    let pos = jpeg.windows(2).position(|w| w == [0xFF, 0xC0] || w == [0xFF, 0xC2]).expect("SOF");
    let n = usize::from(jpeg[pos + 9]);
    (jpeg[pos + 1] == 0xC2, (0..n).map(|i| jpeg[pos + 11 + i * 3]).collect())
}

#[test]
fn jpeg_encoder_settings() {
    let photo = fixture("flowers.jpeg");
    let q80 = Options::new().size(64).process(&photo).unwrap().remove(0).data;
    assert_eq!(sampling(&q80), (false, vec![0x22, 0x11, 0x11]), "4:2:0 below quality 90");
    let q95 = Options::new().size(64).quality(95).progressive(true).process(&photo).unwrap().remove(0).data;
    assert_eq!(sampling(&q95), (true, vec![0x11, 0x11, 0x11]), "4:4:4 and progressive");
    assert!(q95.len() > q80.len());
}

#[test]
fn png_and_lossless_webp_outputs_round_trip() {
    let photo = fixture("landscape_1.jpg");
    for format in [OutputFormat::Png, OutputFormat::WebPLossless] {
        let opts = Options::new().size(48).format(format);
        let pixels_before = opts.render(&photo).unwrap().remove(0);
        let encoded = opts.process(&photo).unwrap().remove(0);
        assert_eq!(encoded.format, format);
        let decoded = pixels(&encoded.data);
        assert_eq!(mean_abs_diff(&pixels_before, &decoded), 0.0, "{format} is lossless");
    }
}

/// The `ispe` (image spatial extent) box of an AVIF file: the coded width and height.
#[cfg(feature = "avif")]
fn avif_size(avif: &[u8]) -> (u32, u32) {
    let at = avif.windows(4).position(|w| w == b"ispe").expect("an ispe box");
    let be = |i: usize| u32::from_be_bytes(avif[i..i + 4].try_into().unwrap());
    (be(at + 8), be(at + 12))
}

#[test]
fn lossy_webp_is_a_fraction_of_lossless_and_close_to_the_pixels() {
    let photo = fixture("flowers.jpeg");
    let opts = Options::new().size(160);
    let rendered = opts.render(&photo).unwrap().remove(0);
    let lossless = opts.clone().format(OutputFormat::WebPLossless).process(&photo).unwrap().remove(0);
    let lossy = opts.clone().format(OutputFormat::WebP).process(&photo).unwrap().remove(0);
    assert_eq!((lossy.format.mime_type(), lossy.format.extension()), ("image/webp", "webp"));
    assert!(lossy.data.windows(4).any(|w| w == b"VP8 "), "a lossy VP8 bitstream");
    assert!(lossless.data.windows(4).any(|w| w == b"VP8L"), "a lossless VP8L bitstream");
    assert!(
        lossy.data.len() * 3 < lossless.data.len(),
        "lossy {} bytes, lossless {} bytes",
        lossy.data.len(),
        lossless.data.len()
    );
    // thumbing reads its own lossy WebP back: the same picture, within the loss of quality 80.
    let decoded = pixels(&lossy.data);
    let diff = mean_abs_diff(&rendered, &decoded);
    assert!(diff > 0.0 && diff < 4.0, "mean difference {diff:.2}");
    // Quality is honoured.
    let low = opts.clone().format(OutputFormat::WebP).quality(20).process(&photo).unwrap().remove(0);
    let high = opts.clone().format(OutputFormat::WebP).quality(95).process(&photo).unwrap().remove(0);
    assert!(low.data.len() < lossy.data.len() && lossy.data.len() < high.data.len());
    assert!(mean_abs_diff(&rendered, &pixels(&high.data)) < diff);
}

#[cfg(feature = "avif")]
#[test]
fn avif_output_has_the_size_asked_for_and_follows_quality() {
    let photo = fixture("flowers.jpeg");
    let opts = Options::new().boxes([(96, 64)]).format(OutputFormat::Avif);
    let q80 = opts.process(&photo).unwrap().remove(0);
    assert_eq!((q80.width, q80.height, q80.format.mime_type()), (96, 64, "image/avif"));
    assert_eq!(&q80.data[4..12], b"ftypavif");
    assert_eq!(avif_size(&q80.data), (96, 64));
    let q30 = opts.clone().quality(30).process(&photo).unwrap().remove(0);
    assert!(q30.data.len() < q80.data.len(), "q30 {} bytes, q80 {} bytes", q30.data.len(), q80.data.len());
    // No metadata: neither EXIF nor XMP items, and no colour profile (the pixels are sRGB).
    for marker in [&b"Exif"[..], b"mime", b"prof"] {
        assert!(!q80.data.windows(4).any(|w| w == marker), "{}", String::from_utf8_lossy(marker));
    }
    // Alpha is kept as an auxiliary image.
    let with_alpha = fixture("with-alpha.png");
    let avif = Options::new().size(32).format(OutputFormat::Avif).process(&with_alpha).unwrap().remove(0);
    assert!(avif.data.windows(4).any(|w| w == b"auxC"), "an alpha plane");
}

#[test]
fn several_formats_from_one_decode_match_each_format_alone() {
    let mut formats = vec![OutputFormat::Jpeg, OutputFormat::WebP, OutputFormat::Png];
    if OutputFormat::Avif.is_available() {
        formats.insert(2, OutputFormat::Avif);
    }
    // A photo, and an image with alpha (which JPEG flattens and the others keep).
    for name in ["landscape_6.jpg", "with-alpha.png"] {
        let photo = fixture(name);
        let opts = Options::new().sizes([48, 24]).background([0, 0, 255]);
        let all = opts.process_formats(&photo, &formats).unwrap();
        let got: Vec<(u32, OutputFormat)> = all.iter().map(|a| (a.width, a.format)).collect();
        let expected: Vec<(u32, OutputFormat)> =
            [48, 24].into_iter().flat_map(|s| formats.iter().map(move |&f| (s, f))).collect();
        assert_eq!(got, expected, "{name}");
        for &format in &formats {
            let alone = opts.clone().format(format).process(&photo).unwrap();
            let together: Vec<&Vec<u8>> = all.iter().filter(|a| a.format == format).map(|a| &a.data).collect();
            assert_eq!(together, alone.iter().map(|a| &a.data).collect::<Vec<_>>(), "{name} {format}");
        }
    }
    let photo = fixture("landscape_1.jpg");
    let err = Options::new().process_formats(&photo, &[]).unwrap_err();
    assert_eq!(err.kind(), ErrorKind::InvalidOptions);
    let err = Options::new().process_formats(&photo, &[OutputFormat::Png, OutputFormat::Png]).unwrap_err();
    assert!(err.to_string().contains("format png is listed twice"), "{err}");
}

#[cfg(not(feature = "avif"))]
#[test]
fn avif_without_its_feature_is_invalid_options_naming_it() {
    let photo = fixture("landscape_1.jpg");
    assert!(!OutputFormat::Avif.is_available());
    assert!(!OutputFormat::available().contains(&OutputFormat::Avif));
    for err in [
        Options::new().size(32).format(OutputFormat::Avif).process(&photo).unwrap_err(),
        Options::new().size(32).process_formats(&photo, &[OutputFormat::Jpeg, OutputFormat::Avif]).unwrap_err(),
    ] {
        assert_eq!(err.kind(), ErrorKind::InvalidOptions);
        assert!(err.to_string().contains("without the `avif` feature"), "{err}");
    }
}

/// Lossy outputs as browsers' own libraries decode them (libwebp's `dwebp`, libavif's
/// `avifdec`): the size asked for, alpha kept, and an SSIM against the pixels thumbing
/// encoded that only a faithful encode reaches (and that a wrong picture fails).
#[test]
fn lossy_outputs_decode_in_the_reference_decoders_close_to_the_encoded_pixels() {
    use common::decoders::{self, ssim};
    type Decoder = fn(&[u8], &str) -> thumbing::Bitmap;
    let mut cases: Vec<(OutputFormat, Decoder)> = Vec::new();
    if decoders::available("dwebp", "-version", "webp") {
        cases.push((OutputFormat::WebP, decoders::dwebp));
    }
    if OutputFormat::Avif.is_available() && decoders::available("avifdec", "--version", "libavif-bin") {
        cases.push((OutputFormat::Avif, decoders::avifdec));
    }
    let photo = fixture("landscape_1.jpg");
    let alpha = fixture("with-alpha.png");
    for (format, decode) in cases {
        let opts = Options::new().boxes([(150, 100)]).format(format);
        let rendered = opts.render(&photo).unwrap().remove(0);
        let encoded = opts.process(&photo).unwrap().remove(0);
        let decoded = decode(&encoded.data, &format!("{format}-photo"));
        assert_eq!((decoded.width, decoded.height), (150, 100), "{format}");
        let score = ssim(&rendered, &decoded);
        assert!(score > 0.94 && score < 1.0, "{format}: SSIM {score:.4} at quality 80");
        // Lower quality, lower score: the setting reaches the encoder.
        let low = opts.clone().quality(10).process(&photo).unwrap().remove(0);
        let low_score = ssim(&rendered, &decode(&low.data, &format!("{format}-low")));
        eprintln!(
            "{format} 150x100: SSIM {score:.4} at quality 80 ({} bytes), {low_score:.4} at 10",
            encoded.data.len()
        );
        assert!(low_score < score - 0.05, "{format}: SSIM {low_score:.4} at 10, {score:.4} at 80");
        // The score tells pictures apart: the photo upside down is far off.
        let flipped = thumbing::Orientation::Rotate180.apply(rendered.clone());
        assert!(ssim(&flipped, &decoded) < 0.5, "{format}");
        // thumbing reads its own lossy WebP as libwebp does.
        if format == OutputFormat::WebP {
            assert!(ssim(&pixels(&encoded.data), &decoded) > 0.98, "thumbing's WebP decoder");
        }

        // Alpha survives, with the colour under it.
        let opts = Options::new().size(64).format(format);
        let rendered = opts.render(&alpha).unwrap().remove(0);
        assert!(rendered.layout.has_alpha());
        let decoded = decode(&opts.process(&alpha).unwrap().remove(0).data, &format!("{format}-alpha"));
        assert!(decoded.layout.has_alpha(), "{format}: {:?}", decoded.layout);
        let score = ssim(&rendered, &decoded);
        assert!(score > 0.9, "{format} with alpha: SSIM {score:.4}");
    }
}
