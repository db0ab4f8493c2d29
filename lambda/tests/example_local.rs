//! The `local` example as the README runs it: `cargo run --release -p thumbing-lambda
//! --example local -- photo.jpg`. `cargo test` builds the example; these tests run that build.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The example binary `cargo test` built beside this test (target/<profile>/examples/local).
fn example() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let profile_dir = exe.parent().and_then(Path::parent).unwrap();
    profile_dir.join("examples").join(format!("local{}", std::env::consts::EXE_SUFFIX))
}

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

#[test]
fn a_missing_photo_is_named_in_the_error() {
    let root = std::env::temp_dir().join(format!("thumbing-lambda-example-test-{}", std::process::id()));
    let out = Command::new(example())
        .arg(repo().join("fixtures/landscape_3.jpg"))
        .arg("no-such-photo.jpg")
        .env("THUMBING_EXAMPLE_ROOT", &root)
        .output()
        .unwrap_or_else(|e| {
            panic!("cannot run {} ({e}): `cargo test -p thumbing-lambda` builds it", example().display())
        });
    let _ = std::fs::remove_dir_all(&root);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("no-such-photo.jpg"), "the error names the file: {stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn makes_the_avatar_of_a_photo() {
    let root = std::env::temp_dir().join(format!("thumbing-lambda-example-ok-{}", std::process::id()));
    let out = Command::new(example())
        .arg(repo().join("fixtures/landscape_3.jpg"))
        .env("THUMBING_EXAMPLE_ROOT", &root)
        .env_remove("SIZES")
        .env_remove("OUTPUT_FORMAT")
        .env_remove("FOLDER_OUTPUT")
        .output()
        .unwrap();
    let avatar = std::fs::read(root.join("assets/avatars/landscape_3.jpg"));
    let _ = std::fs::remove_dir_all(&root);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(avatar.is_ok_and(|a| a.starts_with(&[0xFF, 0xD8, 0xFF])), "{}", String::from_utf8_lossy(&out.stdout));
}

/// A debug build of the handler and its image crates takes minutes to compile and is ~20×
/// slower on a photo: every documented `cargo run` of the example is a release build.
#[test]
fn the_documented_commands_are_release_builds() {
    let mut commands = 0;
    for doc in ["README.md", "lambda/README.md", "lambda/examples/local.rs"] {
        let text = std::fs::read_to_string(repo().join(doc)).unwrap();
        for line in text.lines().filter(|l| l.contains("--example local")) {
            commands += 1;
            assert!(line.contains("--release"), "{doc}: {line}");
        }
    }
    assert!(commands >= 3, "the example's command was not found in the docs");
}

/// `local regenerate` over the example's folder, as a person runs it after changing the
/// settings: stopped by `--limit`, then run again to go on.
#[test]
fn regenerate_goes_on_where_a_stopped_run_ended() {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("example-regenerate");
    let _ = std::fs::remove_dir_all(&root);
    let local = |args: &[&str], sizes: Option<&str>| {
        let mut command = Command::new(example());
        command.args(args).env("THUMBING_EXAMPLE_ROOT", &root);
        for name in
            ["SIZES", "OUTPUT_FORMAT", "FOLDER_INPUT", "FOLDER_OUTPUT", "PROCESS_WIDTH", "PROCESS_HEIGHT", "QUALITY"]
        {
            command.env_remove(name);
        }
        if let Some(sizes) = sizes {
            command.env("SIZES", sizes);
        }
        let out = command.output().unwrap();
        (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
    };
    let photos: Vec<String> = ["landscape_1.jpg", "landscape_2.jpg", "gray.png"]
        .iter()
        .map(|f| repo().join("fixtures").join(f).display().to_string())
        .collect();
    let photos: Vec<&str> = photos.iter().map(String::as_str).collect();
    let (status, stderr) = local(&photos, None);
    assert_eq!(status, Some(0), "{stderr}");
    let small = |stem: &str| root.join(format!("assets/avatars/{stem}-64.jpg"));
    let checkpoint = root.join("regenerate-checkpoint.json");

    // A second size from now on: two uploads (in key order), then stop.
    let (status, stderr) = local(&["regenerate", "--limit", "2", "--concurrency", "1"], Some("512,64"));
    assert_eq!(status, Some(0), "{stderr}");
    assert!(stderr.contains("stopped with 2 of 3 uploads done"), "{stderr}");
    assert!(stderr.contains("run the same command again"), "{stderr}");
    assert!(small("gray").is_file() && small("landscape_1").is_file() && !small("landscape_2").exists(), "{stderr}");
    assert!(checkpoint.is_file());

    let (status, stderr) = local(&["regenerate"], Some("512,64"));
    assert_eq!(status, Some(0), "{stderr}");
    assert!(stderr.contains("resuming: 2 of 3 uploads were done by an earlier run"), "{stderr}");
    assert!(stderr.contains("done: 3 uploads in all; this run: 1 processed, 0 up to date"), "{stderr}");
    assert!(small("landscape_2").is_file() && !checkpoint.exists(), "{stderr}");
    let info = thumbing::probe(&std::fs::read(small("landscape_2")).unwrap()).unwrap();
    assert_eq!((info.width, info.height), (64, 64));

    let (status, stderr) = local(&["regenerate", "--limit", "none"], None);
    assert_eq!(status, Some(1));
    assert!(stderr.contains("--limit \"none\" is not a whole number"), "{stderr}");
    let _ = std::fs::remove_dir_all(&root);
}
