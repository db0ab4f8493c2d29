//! What the fuzz targets share: the checks every result must pass, and the options the
//! `avatar` target reads from the first bytes of its input. The targets themselves are in
//! `fuzz_targets/`, one per decoder and one for the whole pipeline; `fuzz/README.md` says how
//! to run them.
//!
//! A check that fails panics, and libFuzzer reports the input as a crash. So does any panic
//! inside thumbing, even one its decoder guard would catch: the guard is a last line of
//! defence (it does nothing in builds with `panic = "abort"`, such as WebAssembly), not a
//! licence to panic.

use thumbing::{Bitmap, Crop, ErrorKind, FailOn, Filter, Fit, ImageFormat, Limits, Options, OutputFormat};

/// The pixel limit the targets decode under. Far below the 100-megapixel default so that a
/// *valid* large image cannot exceed libFuzzer's per-input timeout; the memory and hostile
/// input tests in `core/tests` cover the default limits.
pub const MAX_PIXELS: u64 = 1 << 22;

/// The input-size limit the targets decode under (libFuzzer's `-max_len` is smaller still).
pub const MAX_INPUT_BYTES: usize = 4 << 20;

/// The bytes of options the `avatar` target reads before the image.
pub const OPTION_BYTES: usize = 8;

fn limits() -> Limits {
    Limits::default().with_max_pixels(MAX_PIXELS).with_max_input_bytes(MAX_INPUT_BYTES)
}

/// Checks one outcome of the pipeline: every output fits its box and is consistent, and every
/// failure is one of the categories that input (not options or encoders) can cause.
fn check(options: &Options, result: &thumbing::Result<Vec<Bitmap>>) {
    match result {
        Ok(images) => {
            assert_eq!(images.len(), options.output_sizes().len(), "one image per requested size");
            for (image, &(w, h)) in images.iter().zip(options.output_sizes()) {
                assert!(image.width >= 1 && image.height >= 1, "empty output {image:?}");
                assert!(image.width <= w && image.height <= h, "{image:?} is larger than the {w}x{h} box");
                let expected = image.width as usize * image.height as usize * image.layout.channels();
                assert_eq!(image.data.len(), expected, "{image:?} has a buffer of the wrong size");
            }
        }
        Err(e) => assert!(
            matches!(e.kind(), ErrorKind::Corrupt | ErrorKind::UnsupportedFormat | ErrorKind::TooLarge),
            "input-dependent failure with category {:?}: {e}",
            e.kind()
        ),
    }
}

/// Decodes `data` through the public pipeline when it is sniffed as `format`: a small output,
/// so the time goes into the decoder. Damaged files are tried again in best-effort mode.
pub fn decode_as(format: ImageFormat, data: &[u8]) {
    if ImageFormat::sniff(data).ok() != Some(format) {
        return;
    }
    let strict = Options::new().boxes([(32, 32)]).fit(Fit::Inside).limits(limits());
    let result = strict.render(data);
    check(&strict, &result);
    let info = thumbing::probe(data);
    if result.is_ok() {
        let info = info.expect("an image that renders must probe");
        assert_eq!(info.format, format);
    }
    if matches!(&result, Err(e) if e.kind() == ErrorKind::Corrupt) {
        let best_effort = strict.clone().fail_on(FailOn::Never);
        let again = best_effort.render(data);
        check(&best_effort, &again);
    }
}

/// Probes `data` (headers only, no limits) and checks what it reports.
pub fn probe(data: &[u8]) {
    match thumbing::probe(data) {
        Ok(info) => {
            assert_eq!(ImageFormat::sniff(data).ok(), Some(info.format), "probe and sniff disagree");
            let (w, h) = info.upright_size();
            assert_eq!(u64::from(w) * u64::from(h), u64::from(info.width) * u64::from(info.height));
        }
        Err(e) => assert!(
            matches!(e.kind(), ErrorKind::Corrupt | ErrorKind::UnsupportedFormat),
            "probe failed with category {:?}: {e}",
            e.kind()
        ),
    }
}

/// The fit that [`options_from`] chooses for a given geometry byte (the third byte of the
/// header).
fn fit_from(geometry: u8) -> Fit {
    match geometry % 3 {
        0 => Fit::Cover,
        1 => Fit::Contain,
        _ => Fit::Inside,
    }
}

/// Reads [`Options`] from the first [`OPTION_BYTES`] of a fuzz input. Every setter is
/// reachable, including values that must be refused (zero sizes, quality 0, focal points
/// outside 0..=1 or NaN).
pub fn options_from(head: &[u8; OPTION_BYTES]) -> Options {
    let [size, shape, geometry, fx, fy, output, quality, extra] = *head;
    // Sides stay small (0..=255) so the time goes into decoding, not into resampling.
    let side = u32::from(size);
    let boxes: Vec<(u32, u32)> = match shape % 4 {
        0 => vec![(side, side)],
        1 => vec![(side, u32::from(shape >> 2))],
        2 => vec![(side, side), (side / 2 + 1, side / 3 + 1)],
        _ => vec![(u32::from(shape >> 2), side)],
    };
    let fit = fit_from(geometry);
    let focal = |v: u8| match v {
        255 => f32::NAN,
        254 => 1.5,
        253 => -0.25,
        v => f32::from(v) / 252.0,
    };
    let crop = match (geometry / 3) % 3 {
        0 => Crop::Centre,
        1 => Crop::Focal { x: focal(fx), y: focal(fy) },
        _ => Crop::Smart,
    };
    let filter = match (geometry / 9) % 6 {
        0 => Filter::Lanczos3,
        1 => Filter::Nearest,
        2 => Filter::Box,
        3 => Filter::Bilinear,
        4 => Filter::CatmullRom,
        _ => Filter::Mitchell,
    };
    // AVIF is left out: rav1e is far too slow per input for fuzzing, and it only ever sees
    // pixels that thumbing made.
    let format = match output % 4 {
        0 => OutputFormat::Jpeg,
        1 => OutputFormat::Png,
        2 => OutputFormat::WebPLossless,
        _ => OutputFormat::WebP,
    };
    let png_compression = match (output / 4) % 3 {
        0 => thumbing::PngCompression::Fast,
        1 => thumbing::PngCompression::Balanced,
        _ => thumbing::PngCompression::Smallest,
    };
    Options::new()
        .boxes(boxes)
        .fit(fit)
        .crop(crop)
        .filter(filter)
        .format(format)
        .png_compression(png_compression)
        .progressive(output & 0x20 != 0)
        .fail_on(if output & 0x40 != 0 { FailOn::Never } else { FailOn::Truncated })
        .quality(quality)
        .background([extra, extra.rotate_left(3), extra.rotate_left(5)])
        .limits(limits())
}

/// The whole pipeline, decode to encode, with options from the first bytes of `data`.
pub fn avatar(data: &[u8]) {
    let Some((head, image)) = data.split_first_chunk::<OPTION_BYTES>() else {
        return;
    };
    let options = options_from(head);
    let valid = options.validate();
    match options.process(image) {
        Ok(avatars) => {
            assert!(valid.is_ok(), "invalid options {options:?} produced avatars");
            assert_eq!(avatars.len(), options.output_sizes().len());
            for (avatar, &(w, h)) in avatars.iter().zip(options.output_sizes()) {
                if fit_from(head[2]) == Fit::Inside {
                    assert!(avatar.width <= w && avatar.height <= h, "{avatar:?} is larger than {w}x{h}");
                } else {
                    assert_eq!((avatar.width, avatar.height), (w, h), "cover and contain fill the box");
                }
                assert_eq!(avatar.format, options.output_format());
                // What thumbing writes, thumbing must read back at the size it reported.
                let info = thumbing::probe(&avatar.data).expect("an encoded avatar must probe");
                assert_eq!((info.width, info.height), (avatar.width, avatar.height));
            }
        }
        Err(e) if valid.is_err() => assert_eq!(e.kind(), ErrorKind::InvalidOptions, "{e}"),
        Err(e) => assert!(
            matches!(e.kind(), ErrorKind::Corrupt | ErrorKind::UnsupportedFormat | ErrorKind::TooLarge),
            "valid options {options:?} failed with category {:?}: {e}",
            e.kind()
        ),
    }
}

/// thumbing's JPEG decoder, called directly: the first byte picks the scale (1/8 to 8/8), the
/// rest is the file. Inputs that do not probe as a JPEG
/// within the targets' limits are skipped (the pipeline's limits check runs before this
/// decoder in every real call).
pub fn scaled_jpeg(data: &[u8]) {
    let Some((&selector, image)) = data.split_first() else {
        return;
    };
    let scale = u32::from(selector & 7) + 1;
    let Ok(info) = thumbing::probe(image) else {
        return;
    };
    if info.format != ImageFormat::Jpeg
        || u64::from(info.width) * u64::from(info.height) > MAX_PIXELS
        || image.len() > MAX_INPUT_BYTES
    {
        return;
    }
    match thumbing::decode_jpeg_scaled(image, scale) {
        Ok(Some(bitmap)) => {
            let expected = ((info.width * scale).div_ceil(8), (info.height * scale).div_ceil(8));
            assert_eq!((bitmap.width, bitmap.height), expected, "{scale}/8 of {info:?}");
            let len = bitmap.width as usize * bitmap.height as usize * bitmap.layout.channels();
            assert_eq!(bitmap.data.len(), len, "{bitmap:?} has a buffer of the wrong size");
            assert!(
                matches!(
                    bitmap.layout,
                    thumbing::PixelLayout::Rgb | thumbing::PixelLayout::Gray | thumbing::PixelLayout::Cmyk
                ),
                "thumbing's JPEG decoder gives RGB, gray or CMYK, not {:?}",
                bitmap.layout
            );
        }
        Ok(None) => {}
        Err(e) => assert!(
            matches!(e.kind(), ErrorKind::Corrupt | ErrorKind::UnsupportedFormat | ErrorKind::TooLarge),
            "scaled decode failed with category {:?}: {e}",
            e.kind()
        ),
    }
}
