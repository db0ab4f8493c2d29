//! The reference decoders of thumbing's lossy outputs, as browsers' own libraries decode them:
//! libwebp's `dwebp` (Debian package `webp`) and libavif's `avifdec` (`libavif-bin`, over
//! dav1d or libaom), plus an SSIM to score what they decode against the pixels thumbing
//! encoded.

use std::path::PathBuf;
use std::process::Command;

use thumbing::Bitmap;

/// Whether `tool` runs (asked for its version with `version_flag`). A missing tool fails the
/// test under CI (`scripts/test.sh` installs it) and is reported as a skip elsewhere.
pub fn available(tool: &str, version_flag: &str, package: &str) -> bool {
    if Command::new(tool).arg(version_flag).output().is_ok_and(|o| o.status.success()) {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("{tool} is missing (Debian package {package}); CI must not skip these tests");
    }
    eprintln!("SKIPPED: {tool} is not installed (apt-get install {package})");
    false
}

/// Decodes `encoded` with `tool` into a PNG (8 bits a sample) and reads that PNG back.
/// `args` builds the command line from the input and output paths.
fn decode_to_png(tool: &str, name: &str, encoded: &[u8], args: impl Fn(&str, &str) -> Vec<String>) -> Bitmap {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    let stem = format!("thumbing-{tool}-{}-{name}", std::process::id());
    let (input, output) = (dir.join(&stem), dir.join(format!("{stem}.png")));
    std::fs::write(&input, encoded).expect("writing the encoded file");
    let out = Command::new(tool)
        .args(args(input.to_str().unwrap(), output.to_str().unwrap()))
        .output()
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    assert!(out.status.success(), "{tool}: {}", String::from_utf8_lossy(&out.stderr));
    let png = std::fs::read(&output).expect("the decoded PNG");
    let _ = (std::fs::remove_file(&input), std::fs::remove_file(&output));
    super::pixels(&png)
}

/// libwebp's decoder (`dwebp`, with its default fancy upsampling).
pub fn dwebp(webp: &[u8], name: &str) -> Bitmap {
    decode_to_png("dwebp", &format!("{name}.webp"), webp, |i, o| vec![i.into(), "-o".into(), o.into()])
}

/// libavif's decoder (`avifdec`), at 8 bits a sample.
pub fn avifdec(avif: &[u8], name: &str) -> Bitmap {
    decode_to_png("avifdec", &format!("{name}.avif"), avif, |i, o| {
        vec!["--depth".into(), "8".into(), i.into(), o.into()]
    })
}

/// Mean SSIM (Wang et al. 2004, uniform 8×8 windows every 4 pixels, 8-bit constants) over
/// the R, G and B channels of two images of the same size, and alpha when either has it: 1
/// for identical images.
pub fn ssim(a: &Bitmap, b: &Bitmap) -> f64 {
    assert_eq!((a.width, a.height), (b.width, b.height), "sizes differ");
    let channels = if a.layout.has_alpha() || b.layout.has_alpha() { 4 } else { 3 };
    let (a, b) = (a.to_rgba(), b.to_rgba());
    let (w, h) = (a.width as usize, a.height as usize);
    const WIN: usize = 8;
    const C1: f64 = (0.01 * 255.0) * (0.01 * 255.0);
    const C2: f64 = (0.03 * 255.0) * (0.03 * 255.0);
    assert!(w >= WIN && h >= WIN, "at least {WIN}x{WIN} pixels");
    let (mut total, mut count) = (0.0, 0usize);
    for channel in 0..channels {
        for y0 in (0..=h - WIN).step_by(4) {
            for x0 in (0..=w - WIN).step_by(4) {
                let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
                for y in y0..y0 + WIN {
                    for x in x0..x0 + WIN {
                        let i = (y * w + x) * 4 + channel;
                        let (p, q) = (f64::from(a.data[i]), f64::from(b.data[i]));
                        (sa, sb, saa, sbb, sab) = (sa + p, sb + q, saa + p * p, sbb + q * q, sab + p * q);
                    }
                }
                let n = (WIN * WIN) as f64;
                let (ma, mb) = (sa / n, sb / n);
                let (va, vb, cov) = (saa / n - ma * ma, sbb / n - mb * mb, sab / n - ma * mb);
                total += ((2.0 * ma * mb + C1) * (2.0 * cov + C2)) / ((ma * ma + mb * mb + C1) * (va + vb + C2));
                count += 1;
            }
        }
    }
    total / count as f64
}
