//! libjpeg-turbo's command-line tools (`cjpeg`, `djpeg`, `jpegtran` from Debian's
//! `libjpeg-turbo-progs`) as the reference JPEG encoder and decoder of the tests.

use std::io::Write;
use std::process::{Command, Stdio};

use thumbing::{Bitmap, PixelLayout};

/// Whether the tools are installed. Missing tools fail the test under CI (`scripts/test.sh`
/// installs them) and are reported as a skip elsewhere.
pub fn available() -> bool {
    let found = Command::new("djpeg").arg("-version").output().is_ok_and(|o| o.status.success())
        && Command::new("cjpeg").arg("-version").output().is_ok_and(|o| o.status.success());
    if found {
        return true;
    }
    if std::env::var("CI").is_ok_and(|v| v == "true" || v == "1") {
        panic!("cjpeg/djpeg are missing (Debian package libjpeg-turbo-progs); CI must not skip these tests");
    }
    eprintln!("SKIPPED: cjpeg/djpeg are not installed (apt-get install libjpeg-turbo-progs)");
    false
}

/// Runs `tool` with `args`, `input` on stdin; returns stdout, panicking with stderr on failure.
pub fn run(tool: &str, args: &[&str], input: &[u8]) -> Vec<u8> {
    let mut child = Command::new(tool)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{tool}: {e}"));
    let mut stdin = child.stdin.take().expect("stdin");
    let data = input.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(&data);
    });
    let out = child.wait_with_output().expect("tool output");
    let _ = writer.join();
    assert!(out.status.success(), "{tool} {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

/// `cjpeg` with `args` on a PPM or PGM.
pub fn cjpeg(pnm: &[u8], args: &[&str]) -> Vec<u8> {
    run("cjpeg", args, pnm)
}

/// `djpeg -pnm` with `args`: libjpeg-turbo's decode (accurate integer IDCT, fancy
/// upsampling: its defaults, as Pillow and sharp use them).
pub fn djpeg(jpeg: &[u8], args: &[&str]) -> Bitmap {
    let mut all = vec!["-pnm"];
    all.extend_from_slice(args);
    parse_pnm(&run("djpeg", &all, jpeg))
}

/// A binary PGM (P5) or PPM (P6) with 8-bit samples.
pub fn parse_pnm(data: &[u8]) -> Bitmap {
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while data[i].is_ascii_whitespace() {
            i += 1;
        }
        if data[i] == b'#' {
            while data[i] != b'\n' {
                i += 1;
            }
            continue;
        }
        let start = i;
        while !data[i].is_ascii_whitespace() {
            i += 1;
        }
        fields.push(String::from_utf8_lossy(&data[start..i]).into_owned());
    }
    let layout = match fields[0].as_str() {
        "P5" => PixelLayout::Gray,
        "P6" => PixelLayout::Rgb,
        other => panic!("not a binary PGM/PPM: {other}"),
    };
    let (w, h): (u32, u32) = (fields[1].parse().unwrap(), fields[2].parse().unwrap());
    assert_eq!(fields[3], "255", "8-bit samples");
    Bitmap::new(w, h, layout, data[i + 1..].to_vec()).expect("PNM size")
}

/// A PPM of `bitmap` (RGB) or PGM (gray).
pub fn to_pnm(bitmap: &Bitmap) -> Vec<u8> {
    let magic = if bitmap.layout == PixelLayout::Gray { "P5" } else { "P6" };
    let mut out = format!("{magic}\n{} {}\n255\n", bitmap.width, bitmap.height).into_bytes();
    out.extend_from_slice(&bitmap.data);
    out
}

/// Writes `text` to a temporary file (for `cjpeg -scans`) and returns its path.
pub fn temp_file(name: &str, text: &str) -> std::path::PathBuf {
    let path = std::env::temp_dir().join(format!("thumbing-test-{}-{name}", std::process::id()));
    std::fs::write(&path, text).expect("temp file");
    path
}

/// How two bitmaps of the same size differ: the largest difference, the count of samples
/// more than 2 apart, and the PSNR.
pub struct Difference {
    pub max: u8,
    pub over_2: usize,
    pub psnr: f64,
}

pub fn difference(a: &Bitmap, b: &Bitmap) -> Difference {
    assert_eq!((a.width, a.height, a.layout), (b.width, b.height, b.layout), "sizes or layouts differ");
    let (mut max, mut over_2, mut squares) = (0u8, 0usize, 0f64);
    for (x, y) in a.data.iter().zip(&b.data) {
        let d = x.abs_diff(*y);
        max = max.max(d);
        over_2 += usize::from(d > 2);
        squares += f64::from(d) * f64::from(d);
    }
    let mse = squares / a.data.len().max(1) as f64;
    let psnr = if mse == 0.0 { f64::INFINITY } else { 10.0 * (255.0f64 * 255.0 / mse).log10() };
    Difference { max, over_2, psnr }
}
