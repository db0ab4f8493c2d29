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
