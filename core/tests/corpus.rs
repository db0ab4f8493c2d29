//! The corpus sweep: every file of the shared test corpus either becomes an avatar of exactly
//! the requested size or fails with the error category its MANIFEST.tsv entry expects.

mod common;

use std::time::{Duration, Instant};

use common::{corpus, manifest, mean_abs_diff, tolerated};
use thumbing::{ErrorKind, FailOn, ImageFormat, Options};

/// Not a performance assertion: a guard against hangs and pathological slowness, far above
/// what any file takes (the slowest, a 9-megapixel photo, takes well under a second).
const HANG_GUARD: Duration = Duration::from_secs(20);

#[test]
fn corpus_sweep_matches_manifest() {
    let Some(root) = corpus() else { return };
    let entries = manifest(&root);
    // Rows marked `corrupt` that the tolerant default opens with a warning (the file says
    // why); `FailOn::Warning` still refuses each of them (checked below).
    let tolerated_paths = tolerated();
    assert!(entries.len() > 200, "manifest lists only {} files", entries.len());
    let options = Options::new().size(128);
    let best_effort = options.clone().fail_on(FailOn::Never);
    let strict = options.clone().fail_on(FailOn::Warning);
    let mut failures = Vec::new();
    let (mut ok, mut rejected) = (0, 0);
    for entry in &entries {
        let bytes = std::fs::read(root.join(&entry.path)).unwrap();
        let started = Instant::now();
        let result = options.process(&bytes);
        let elapsed = started.elapsed();
        if elapsed > HANG_GUARD {
            failures.push(format!("{}: took {elapsed:?}", entry.path));
        }
        let tolerated = tolerated_paths.contains(&entry.path);
        let verdict = match (&result, entry.expected.as_str()) {
            (Ok(out), "corrupt") if !tolerated => {
                Err(format!("expected corrupt, got an avatar with warnings {:?}", out[0].warnings))
            }
            (Ok(out), "corrupt") if out[0].warnings.is_empty() => Err("an avatar without a warning".into()),
            (Ok(out), "ok" | "corrupt") => {
                let info = thumbing::probe(&out[0].data).map(|i| (i.format, i.width, i.height));
                if matches!(info, Ok((ImageFormat::Jpeg, 128, 128))) {
                    Ok(())
                } else {
                    Err(format!("bad output {info:?}"))
                }
            }
            (Err(e), "corrupt") if e.kind() == ErrorKind::Corrupt => Ok(()),
            (Err(e), "bomb") if e.kind() == ErrorKind::TooLarge => Ok(()),
            (Err(e), "unsupported") if e.kind() == ErrorKind::UnsupportedFormat => Ok(()),
            (Err(e), expected) => Err(format!("expected {expected}, got {:?}: {e}", e.kind())),
            (Ok(_), expected) => Err(format!("expected {expected}, got an avatar")),
        };
        match verdict {
            Ok(()) if result.is_ok() => ok += 1,
            Ok(()) => rejected += 1,
            Err(why) => failures.push(format!("{}: {why}", entry.path)),
        }
        // Best effort must never panic either, whatever it returns.
        let _ = best_effort.process(&bytes);
        if tolerated && strict.process(&bytes).is_ok() {
            failures.push(format!("{}: FailOn::Warning made an avatar", entry.path));
        }
    }
    eprintln!("corpus sweep: {ok} avatars, {rejected} rejected as expected, {} failures", failures.len());
    assert!(failures.is_empty(), "corpus sweep failures:\n{}", failures.join("\n"));
}

#[test]
fn corpus_landscapes_are_upright() {
    let Some(root) = corpus() else { return };
    let dir = root.join("exif-orientation-examples");
    let avatar = |n: u32| {
        let bytes = std::fs::read(dir.join(format!("Landscape_{n}.jpg"))).unwrap();
        Options::new().size(256).render(&bytes).unwrap().remove(0)
    };
    let reference = avatar(1);
    for n in [0, 2, 3, 4, 5, 6, 7, 8] {
        let diff = mean_abs_diff(&reference, &avatar(n));
        assert!(diff < 3.0, "Landscape_{n}.jpg differs from Landscape_1.jpg by {diff:.2} on average");
    }
}

#[test]
fn corpus_bombs_are_rejected_from_the_header() {
    let Some(root) = corpus() else { return };
    for name in ["sharp-fixtures/giant-image.jpg", "sharp-fixtures/65536-uint32-limit.png"] {
        let bytes = std::fs::read(root.join(name)).unwrap();
        let err = thumbing::avatar(&bytes, 512).unwrap_err();
        assert_eq!(err.kind(), ErrorKind::TooLarge, "{name}: {err}");
    }
    // With the limit raised, the 280-megapixel JPEG is a valid image that decodes.
    let giant = std::fs::read(root.join("sharp-fixtures/giant-image.jpg")).unwrap();
    let out = Options::new().size(64).max_pixels(300_000_000).process(&giant).unwrap();
    assert_eq!(out[0].width, 64);
}

#[test]
fn corpus_cmyk_with_and_without_profile_agree() {
    let Some(root) = corpus() else { return };
    let dir = root.join("sharp-fixtures");
    let render =
        |name: &str| Options::new().size(128).render(&std::fs::read(dir.join(name)).unwrap()).unwrap().remove(0);
    let managed = render("Channel_digital_image_CMYK_color.jpg");
    let naive = render("Channel_digital_image_CMYK_color_no_profile.jpg");
    // Same picture; the press profile changes tones, but not beyond recognition.
    let diff = mean_abs_diff(&managed, &naive);
    assert!(diff < 30.0, "profiled and unprofiled CMYK differ by {diff:.1}");
}
