//! Shrink-on-load: thumbing's scaled JPEG decoder against zune-jpeg.
//!
//! - At 1/1 the scaled decoder must give zune-jpeg's pixels within rounding: both use the
//!   same colour conversion and upsampling, but the integer IDCTs differ (zune-jpeg's uses
//!   other fixed-point constants), so a level of difference in Y, Cb and Cr adds up to 3 in a
//!   few RGB samples (about 1 in 2000 on photos). The bound is therefore: ±3, at most 0.1 %
//!   of samples beyond ±2, and ≥ 45 dB PSNR (measured 56–64 dB).
//! - At 1/2, 1/4 and 1/8 there is no "same" output to compare with: the reference is
//!   zune-jpeg's full decode box-averaged by the same factor, and the bound is a PSNR. The
//!   DCT-domain reduction is not a box filter (it keeps the frequencies below the new Nyquist
//!   limit unattenuated and drops the others), so on detailed photos the two differ by a few
//!   levels; 30 dB (RMS error ≈ 8 levels) flags anything structurally wrong (a misplaced
//!   block, a wrong coefficient, a colour swap, a half-pixel shift) with room to spare, while
//!   measured values (printed) are well above it.

mod common;

use common::corpus;
use jpeg_encoder::{ColorType, Encoder, SamplingFactor};
use thumbing::{Bitmap, PixelLayout};
use zune_core::bytestream::ZCursor;
use zune_core::colorspace::ColorSpace;
use zune_core::options::DecoderOptions;
use zune_jpeg::JpegDecoder;

/// Bounds at 1/1 (see the module docs): at most 3 levels apart, more than 2 for at most one
/// sample in a thousand, and 45 dB overall (measured: 56–64 dB).
const FULL_MIN_PSNR: f64 = 45.0;

/// PSNR bounds for reduced decodes against the box-averaged full decode (see the module
/// docs). Camera photos: measured 37.8–47.5 dB.
const PHOTO_MIN_PSNR: f64 = 35.0;
/// The generated test pictures (noise, 2-pixel stripes, hard edges): measured 33.0–60 dB.
const GENERATED_MIN_PSNR: f64 = 30.0;
/// Any other file, including pixel-level patterns (RGB noise: 22.7 dB at 1/2; a test card of
/// 1-pixel lines: 26.7 dB) and
/// images under 32 pixels on a side, where nearly every block touches an edge or holds detail
/// near the new Nyquist limit, where a box filter and the DCT-domain reduction disagree most
/// (a 32×23 file: 24.4 dB at 1/4). Still far above what a misplaced block or a colour error
/// gives.
const ANY_MIN_PSNR: f64 = 20.0;

/// zune-jpeg's full-size decode, RGB or gray like the scaled decoder's output; `None` for
/// files it does not decode (lossless, 12-bit).
fn zune(bytes: &[u8]) -> Option<Bitmap> {
    let mut decoder = JpegDecoder::new_with_options(ZCursor::new(bytes), DecoderOptions::default());
    decoder.decode_headers().ok()?;
    let gray = decoder.input_colorspace() == Some(ColorSpace::Luma);
    let out = if gray { ColorSpace::Luma } else { ColorSpace::RGB };
    decoder.set_options(DecoderOptions::default().jpeg_set_out_colorspace(out));
    let data = decoder.decode().ok()?;
    let (w, h) = decoder.dimensions()?;
    Bitmap::new(w as u32, h as u32, if gray { PixelLayout::Gray } else { PixelLayout::Rgb }, data)
}

/// Averages `factor` × `factor` cells (partial at the right and bottom edges).
fn box_reduce(img: &Bitmap, factor: u32) -> Bitmap {
    let c = img.layout.channels();
    let (w, h) = (img.width.div_ceil(factor), img.height.div_ceil(factor));
    let mut data = Vec::with_capacity((w * h) as usize * c);
    for y in 0..h {
        for x in 0..w {
            let (x0, y0) = (x * factor, y * factor);
            let (x1, y1) = ((x0 + factor).min(img.width), (y0 + factor).min(img.height));
            for ch in 0..c {
                let mut sum = 0u32;
                for sy in y0..y1 {
                    for sx in x0..x1 {
                        sum += u32::from(img.pixel(sx, sy)[ch]);
                    }
                }
                let n = (x1 - x0) * (y1 - y0);
                data.push(((sum + n / 2) / n) as u8);
            }
        }
    }
    Bitmap::new(w, h, img.layout, data).unwrap()
}

fn psnr(a: &Bitmap, b: &Bitmap) -> f64 {
    assert_eq!((a.width, a.height, a.layout), (b.width, b.height, b.layout));
    let se: f64 = a.data.iter().zip(&b.data).map(|(&x, &y)| (f64::from(x) - f64::from(y)).powi(2)).sum();
    let mse = se / a.data.len() as f64;
    if mse == 0.0 { f64::INFINITY } else { 10.0 * (255.0 * 255.0 / mse).log10() }
}

/// PSNR over the cells that lie wholly inside the image: at the right and bottom edges a
/// partial cell of the reduced decode also averages the encoder's padding, which the
/// box-averaged reference does not see.
fn psnr_interior(a: &Bitmap, b: &Bitmap, full: (u32, u32), factor: u32) -> f64 {
    let (w, h) = (full.0 / factor, full.1 / factor);
    if w == 0 || h == 0 {
        return f64::INFINITY;
    }
    let crop = |img: &Bitmap| {
        let c = img.layout.channels();
        let data = (0..h).flat_map(|y| img.data[(y * img.width) as usize * c..][..w as usize * c].to_vec()).collect();
        Bitmap::new(w, h, img.layout, data).unwrap()
    };
    psnr(&crop(a), &crop(b))
}

fn max_diff(a: &Bitmap, b: &Bitmap) -> u8 {
    assert_eq!((a.width, a.height, a.layout), (b.width, b.height, b.layout));
    a.data.iter().zip(&b.data).map(|(x, y)| x.abs_diff(*y)).max().unwrap_or(0)
}

/// Checks every scale of one file; returns the PSNR at 1/1, 1/2, 1/4, 1/8, or `None` when
/// the scaled decoder declines the file.
fn check(name: &str, bytes: &[u8], min_psnr: f64) -> Option<[f64; 4]> {
    let Some(reference) = zune(bytes) else {
        assert!(thumbing::decode_jpeg_reduced(bytes, 1).unwrap().is_none(), "{name}: decoded, zune-jpeg could not");
        return None;
    };
    let mut figures = [0.0; 4];
    for (i, factor) in [1u32, 2, 4, 8].into_iter().enumerate() {
        let Some(ours) = thumbing::decode_jpeg_reduced(bytes, factor).unwrap() else {
            assert_eq!(factor, 1, "{name}: accepted at 1/1 but declined at 1/{factor}");
            return None;
        };
        assert_eq!((ours.width, ours.height), (reference.width.div_ceil(factor), reference.height.div_ceil(factor)));
        if factor == 1 {
            let diff = max_diff(&ours, &reference);
            figures[i] = psnr(&ours, &reference);
            let over = ours.data.iter().zip(&reference.data).filter(|(x, y)| x.abs_diff(**y) > 2).count();
            assert!(
                diff <= 3 && over * 1000 <= ours.data.len() && figures[i] >= FULL_MIN_PSNR,
                "{name}: 1/1 differs from zune-jpeg by up to {diff} ({over} samples by more than 2), {:.1} dB",
                figures[i]
            );
        } else {
            let boxed = box_reduce(&reference, factor);
            figures[i] = psnr_interior(&ours, &boxed, (reference.width, reference.height), factor);
            assert!(
                figures[i] >= min_psnr,
                "{name}: 1/{factor} is {:.1} dB from the box-averaged full decode",
                figures[i]
            );
        }
    }
    eprintln!(
        "{name:60} 1/1 {:6.1} dB  1/2 {:5.1} dB  1/4 {:5.1} dB  1/8 {:5.1} dB",
        figures[0], figures[1], figures[2], figures[3]
    );
    Some(figures)
}

/// A photo-like test picture: smooth shading, a sharp-edged disc, fine stripes and noise.
fn picture(w: u32, h: u32, channels: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9u32;
    let mut data = Vec::with_capacity((w * h) as usize * channels);
    for y in 0..h {
        for x in 0..w {
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            let noise = (state % 17) as f64 - 8.0;
            let (fx, fy) = (f64::from(x), f64::from(y));
            let disc =
                ((fx - 0.6 * f64::from(w)).powi(2) + (fy - 0.4 * f64::from(h)).powi(2)).sqrt() < 0.25 * f64::from(h);
            let stripes = if x > w * 3 / 4 && (x / 2) % 2 == 0 { 40.0 } else { 0.0 };
            let base = 60.0 + 120.0 * fx / f64::from(w) + 30.0 * (fy / 13.0).sin() + stripes + noise;
            let px = [
                base + if disc { 70.0 } else { 0.0 },
                base * 0.8 + 40.0 * (fx / 29.0).cos(),
                255.0 - base * 0.7 - if disc { 50.0 } else { 0.0 },
            ];
            data.extend(px[..channels].iter().map(|v| v.round().clamp(0.0, 255.0) as u8));
        }
    }
    data
}

fn encode(w: u16, h: u16, gray: bool, sampling: SamplingFactor, progressive: bool, restart: u16) -> Vec<u8> {
    let mut out = Vec::new();
    let mut encoder = Encoder::new(&mut out, 85);
    encoder.set_sampling_factor(sampling);
    encoder.set_progressive(progressive);
    if restart > 0 {
        encoder.set_restart_interval(restart);
    }
    let (channels, color) = if gray { (1, ColorType::Luma) } else { (3, ColorType::Rgb) };
    encoder.encode(&picture(u32::from(w), u32::from(h), channels), w, h, color).unwrap();
    out
}

#[test]
fn generated_jpegs_in_every_sampling_mode() {
    let samplings = [
        ("4:4:4", SamplingFactor::R_4_4_4),
        ("4:2:2", SamplingFactor::R_4_2_2),
        ("4:2:0", SamplingFactor::R_4_2_0),
        ("4:4:0", SamplingFactor::R_4_4_0),
    ];
    for (label, sampling) in samplings {
        for progressive in [false, true] {
            for restart in [0, 3] {
                // Odd sizes: partial MCUs on the right and at the bottom.
                let bytes = encode(203, 149, false, sampling, progressive, restart);
                let name = format!("{label} progressive={progressive} restart={restart}");
                assert!(check(&name, &bytes, GENERATED_MIN_PSNR).is_some(), "{name}: declined");
            }
        }
    }
    for progressive in [false, true] {
        let bytes = encode(117, 90, true, SamplingFactor::R_4_4_4, progressive, 0);
        assert!(check(&format!("gray progressive={progressive}"), &bytes, GENERATED_MIN_PSNR).is_some());
    }
    // A single MCU, smaller than a block.
    let bytes = encode(5, 3, false, SamplingFactor::R_4_2_0, false, 0);
    assert!(check("5x3", &bytes, ANY_MIN_PSNR).is_some());
}

#[test]
fn progressive_with_successive_approximation() {
    // libjpeg's standard progressive script: DC and AC bands refined bit by bit, bands that
    // straddle the 1/2 and 1/4 corners.
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/../fixtures/progressive-cat.jpg")).unwrap();
    assert!(check("fixtures/progressive-cat.jpg", &bytes, PHOTO_MIN_PSNR).is_some());
}

#[test]
fn files_outside_the_fast_path_are_declined() {
    let fixture = |name: &str| std::fs::read(format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    // CMYK.
    assert!(thumbing::decode_jpeg_reduced(&fixture("cmyk.jpg"), 2).unwrap().is_none());
    // Truncated: the general decoder decides (error or partial image, by FailOn).
    let whole = fixture("flowers.jpeg");
    for cut in [whole.len() / 3, whole.len() - 10] {
        assert!(thumbing::decode_jpeg_reduced(&whole[..cut], 4).unwrap().is_none(), "cut at {cut}");
    }
    // Not a JPEG at all is an error, not a decline.
    assert!(thumbing::decode_jpeg_reduced(&fixture("gray.png"), 2).is_err());
}

#[test]
fn damaged_data_never_panics() {
    let bytes = encode(64, 48, false, SamplingFactor::R_4_2_0, true, 2);
    let mut state = 12345u32;
    for i in 0..300 {
        let mut damaged = bytes.clone();
        for _ in 0..1 + i % 4 {
            state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
            let at = 20 + (state as usize >> 8) % (damaged.len() - 20);
            damaged[at] = (state >> 3) as u8;
        }
        for factor in [1, 2, 4, 8] {
            let _ = thumbing::decode_jpeg_reduced(&damaged, factor);
        }
    }
}

#[test]
fn corpus_jpegs_match_zune_jpeg() {
    let Some(root) = corpus() else { return };
    // Camera photos, held to the tighter bound; all must take the fast path.
    let photos = [
        "photos-exif-samples/HMD_Nokia_8.3_5G.jpg",
        "photos-exif-samples/iphone_hdr_NO.jpg",
        "sharp-fixtures/2569067123_aca715a2ee_o.jpg",
        "image-rs-image/progressive-cat.jpg",
        "exif-orientation-examples/Landscape_6.jpg",
    ];
    let mut accepted = Vec::new();
    for entry in common::manifest(&root) {
        if entry.expected != "ok" || !(entry.path.ends_with(".jpg") || entry.path.ends_with(".jpeg")) {
            continue;
        }
        let bytes = std::fs::read(root.join(&entry.path)).unwrap();
        let photo = photos.contains(&entry.path.as_str()) || entry.path.starts_with("exif-orientation-examples/");
        if check(&entry.path, &bytes, if photo { PHOTO_MIN_PSNR } else { ANY_MIN_PSNR }).is_some() {
            accepted.push(entry.path);
        }
    }
    for must in photos.iter().chain(&["image-rs-image/progressive-3.jpg", "image-rs-image/progressive-test.jpg"]) {
        assert!(accepted.iter().any(|p| p == must), "{must} was declined by the scaled decoder");
    }
    eprintln!("{} corpus JPEGs decoded by the scaled decoder", accepted.len());
}

/// Avatars from a reduced decode against avatars from the full decode: the same picture,
/// within what the different low-pass filtering changes. Measured 40.6–58.5 dB; the lowest is
/// a 4:2:0 photo at 1/8, where chroma comes from one DC value per 16×16 pixels.
const AVATAR_MIN_PSNR: f64 = 38.0;

fn avatar_psnr(bytes: &[u8], size: u32, crop: thumbing::Crop) -> (u32, f64) {
    let options = thumbing::Options::new().size(size).crop(crop);
    let shrink = options.shrink_factor(&thumbing::probe(bytes).unwrap());
    let fast = options.render(bytes).unwrap().remove(0);
    let full = options.clone().shrink_on_load(false).render(bytes).unwrap().remove(0);
    (shrink, psnr(&fast, &full))
}

#[test]
fn avatars_from_reduced_decodes_match_full_decodes() {
    // Oriented (EXIF 6) and focal crops: windows are mapped into the reduced image.
    let fixture = |name: &str| std::fs::read(format!("{}/../fixtures/{name}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    for (name, crop) in [
        ("flowers.jpeg", thumbing::Crop::Centre),
        ("flowers.jpeg", thumbing::Crop::Focal { x: 0.8, y: 0.3 }),
        ("landscape_6.jpg", thumbing::Crop::Focal { x: 0.2, y: 0.5 }),
        ("progressive-cat.jpg", thumbing::Crop::Centre),
    ] {
        let bytes = fixture(name);
        for size in [16, 32] {
            let (shrink, db) = avatar_psnr(&bytes, size, crop);
            eprintln!("{name} {crop:?} {size}: 1/{shrink}, {db:.1} dB");
            assert!(shrink > 1, "{name} at {size} should decode reduced");
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
            let (shrink, db) = avatar_psnr(&bytes, size, thumbing::Crop::Centre);
            eprintln!("{name} {size}: 1/{shrink}, {db:.1} dB");
            assert!(db >= AVATAR_MIN_PSNR, "{name} at {size}: {db:.1} dB");
        }
    }
}
