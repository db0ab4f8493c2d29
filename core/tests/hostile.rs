//! Generated hostile inputs (see `common/hostile.rs`): extreme sizes, zero sizes, chunk floods,
//! zlib bombs in metadata, lying lengths, thousands of JPEG scans, looping EXIF, huge and
//! malformed ICC profiles, GIF screens around tiny frames, inconsistent WebP canvases. Each
//! must give an avatar or the error category it is listed with, without a panic, quickly.

mod common;

use std::cell::Cell;
use std::time::{Duration, Instant};

use common::hostile::{Expect, cases, gif_frame, png_gray, png_with_size, webp_lossless, webp_with_vp8x};
use thumbing::{Fit, Options};

/// Not a performance assertion (the project has none): a hang-catcher far above any case's
/// time. The slowest case is printed by every run; see SECURITY.md for the measured times.
const HANG_GUARD: Duration = Duration::from_secs(10);

thread_local! {
    static PANICS: Cell<usize> = const { Cell::new(0) };
}

/// Counts panics on this thread, including those thumbing's decoder guard catches: a guarded
/// panic is still a bug (and with `panic = "abort"`, as in WebAssembly, the guard is gone).
fn count_panics() {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.with(|p| p.set(p.get() + 1));
        default(info);
    }));
}

#[test]
fn hostile_inputs_get_their_outcome_quickly_without_panics() {
    count_panics();
    let options = Options::new().size(512);
    let mut failures = Vec::new();
    let mut times = Vec::new();
    // To look at the files (or seed a fuzzer with them): THUMBING_HOSTILE_DIR=/some/dir.
    let dump = std::env::var_os("THUMBING_HOSTILE_DIR").map(std::path::PathBuf::from);
    for case in cases() {
        if let Some(dir) = &dump {
            std::fs::create_dir_all(dir).expect("THUMBING_HOSTILE_DIR");
            let file: String = case.name.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '-' }).collect();
            std::fs::write(dir.join(file), &case.bytes).expect("write a hostile case");
        }
        let panics_before = PANICS.with(Cell::get);
        let started = Instant::now();
        let _ = thumbing::probe(&case.bytes);
        let result = options.process(&case.bytes);
        let elapsed = started.elapsed();
        times.push((elapsed, case.name.clone()));
        let outcome = match &result {
            Ok(out) => format!("avatar {}x{}", out[0].width, out[0].height),
            Err(e) => format!("{:?}: {e}", e.kind()),
        };
        let ok = match (&result, case.expect) {
            (Ok(out), Expect::Avatar | Expect::AvatarOr(_)) => (out[0].width, out[0].height) == (512, 512),
            (Err(e), Expect::Error(kind) | Expect::AvatarOr(kind)) => e.kind() == kind,
            _ => false,
        };
        if !ok {
            failures.push(format!("{}: expected {:?}, got {outcome}", case.name, case.expect));
        }
        if PANICS.with(Cell::get) != panics_before {
            failures.push(format!("{}: panicked (caught by the decoder guard)", case.name));
        }
        if elapsed > HANG_GUARD {
            failures.push(format!("{}: took {elapsed:?}", case.name));
        }
        eprintln!("{:>9.1} ms  {:<50} {outcome}", elapsed.as_secs_f64() * 1e3, case.name);
    }
    times.sort();
    let (slowest, name) = times.last().expect("cases");
    eprintln!("{} hostile inputs; slowest: {name} in {slowest:?}", times.len());
    assert!(failures.is_empty(), "hostile inputs mishandled:\n{}", failures.join("\n"));
}

/// A one-pixel-wide image must fill every kind of box without a zero-sized intermediate.
#[test]
fn extreme_aspect_ratios_fit_every_box() {
    count_panics();
    for (w, h) in [(1, 65535), (65535, 1)] {
        let png = png_gray(w, h);
        for fit in [Fit::Cover, Fit::Contain, Fit::Inside] {
            for (bw, bh) in [(512, 512), (1, 1), (1, 300), (300, 1)] {
                let out = Options::new().boxes([(bw, bh)]).fit(fit).render(&png);
                let out = out.unwrap_or_else(|e| panic!("{w}x{h} into {bw}x{bh} {fit:?}: {e}")).remove(0);
                let (ow, oh) = (out.width, out.height);
                assert!(ow >= 1 && oh >= 1 && ow <= bw && oh <= bh, "{w}x{h} into {bw}x{bh} {fit:?}: {ow}x{oh}");
                if fit != Fit::Inside {
                    assert_eq!((ow, oh), (bw, bh), "{w}x{h} {fit:?}");
                }
            }
        }
    }
    assert_eq!(PANICS.with(Cell::get), 0, "a panic was caught by the decoder guard");
}

/// `probe` applies no limits: it must report what a bomb declares, for every format, so that
/// a caller can show it, while decoding rejects it as too large. The fuzzer found a WebP
/// whose canvas image-webp refused outright, which `probe` reported as an error.
#[test]
fn probe_reports_a_bombs_declared_size() {
    let bombs = [
        (png_with_size(&png_gray(16, 16), 100_000, 100_000), (100_000, 100_000)),
        (gif_frame(65535, 65535, 0, 0, 1, 1), (65535, 65535)),
        (webp_with_vp8x(&webp_lossless(16, 16), 1 << 24, 1 << 24), (1 << 24, 1 << 24)),
        // The fuzzer's input: a VP8X header and the start of a VP8 frame, 31 bytes.
        (b"RIFF\xb8L\x02\0WEBPVP8X 8\xb3\x02\0RW\x06\x9d\x01*\0\x04%\xff".to_vec(), (0x002a_019d + 1, 0x0025_0400 + 1)),
    ];
    for (bytes, (w, h)) in bombs {
        let info = thumbing::probe(&bytes).unwrap_or_else(|e| panic!("probe of a {w}x{h} bomb: {e}"));
        assert_eq!((info.width, info.height), (w, h));
        let err = thumbing::avatar(&bytes, 64).unwrap_err();
        assert_eq!(err.kind(), thumbing::ErrorKind::TooLarge, "{w}x{h}: {err}");
    }
}
