//! `avatar-service regenerate`, the real binary, as an operator runs it after changing the
//! processing settings: over local folders, and over an S3-compatible server (moto, started by
//! `scripts/test-service.sh`, `THUMBING_TEST_S3_ENDPOINT`). Each run is stopped halfway with
//! `--limit` and started again, and must go on where it stopped.

mod common;

use std::path::Path;
use std::process::Command;

use common::*;
use thumbing_storage::{LocalStore, PutOptions, Store};

/// The uploads: two photos, a PNG, and a file that is not an image.
fn uploads() -> Vec<(&'static str, Vec<u8>)> {
    vec![
        ("ada-sub.jpg", fixture("landscape_1.jpg")),
        ("alan-sub.png", fixture("gray.png")),
        ("grace-sub.jpg", fixture("landscape_6.jpg")),
        ("mallory-sub.jpg", b"not a photo at all".to_vec()),
    ]
}

/// Runs `avatar-service regenerate ARGS` with `env` (and nothing from the caller's AWS or
/// processing settings); returns the exit status and stderr.
fn regenerate(data_dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (Option<i32>, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_avatar-service"));
    command.arg("regenerate").arg("--data-dir").arg(data_dir).args(args);
    for (name, _) in std::env::vars() {
        if name.starts_with("AWS_")
            || ["SIZES", "OUTPUT_FORMAT", "QUALITY", "CROP", "S3_ENDPOINT", "STORAGE"].contains(&name.as_str())
        {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    let out = command.output().expect("avatar-service runs");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned())
}

/// The scenario, the same on every store: avatars made with the old settings; then a second
/// size, stopped after two uploads and resumed; then a run that finds everything up to date.
async fn stop_and_resume(store: &dyn Store, data_dir: &Path, uploads_bucket: &str, assets: &str, env: &[(&str, &str)]) {
    for (key, data) in uploads() {
        store.put(uploads_bucket, key, data, PutOptions::default()).await.unwrap();
    }
    let (status, stderr) = regenerate(data_dir, &[], env);
    // The file that is not an image is rejected, which is not a failure of the command.
    assert_eq!(status, Some(0), "{stderr}");
    assert!(stderr.contains("rejected mallory-sub.jpg: unsupported_format"), "{stderr}");
    assert!(stderr.contains("done: 4 uploads in all; this run: 3 processed, 0 up to date, 1 rejected"), "{stderr}");
    let small = |stem: &str| format!("avatars/{stem}-64.jpg");
    assert_eq!(store.head(assets, &small("ada-sub")).await.unwrap(), None);

    let with_sizes: Vec<(&str, &str)> = env.iter().copied().chain([("SIZES", "512,64")]).collect();
    let (status, stderr) = regenerate(data_dir, &["--limit", "2", "--concurrency", "1"], &with_sizes);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(stderr.contains("stopped with 2 of 4 uploads done"), "{stderr}");
    assert!(data_dir.join("regenerate-checkpoint.json").is_file());
    assert!(store.head(assets, &small("alan-sub")).await.unwrap().is_some(), "{stderr}");
    assert_eq!(store.head(assets, &small("grace-sub")).await.unwrap(), None, "{stderr}");

    let (status, stderr) = regenerate(data_dir, &[], &with_sizes);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(stderr.contains("resuming: 2 of 4 uploads were done by an earlier run"), "{stderr}");
    assert!(stderr.contains("this run: 1 processed, 0 up to date, 1 rejected"), "{stderr}");
    assert!(!data_dir.join("regenerate-checkpoint.json").exists(), "{stderr}");
    for stem in ["ada-sub", "alan-sub", "grace-sub"] {
        let avatar = store.get(assets, &small(stem), u64::MAX).await.unwrap_or_else(|e| panic!("{stem}: {e}"));
        assert_eq!(dimensions(&avatar.data), (64, 64), "{stem}");
    }

    let (status, stderr) = regenerate(data_dir, &[], &with_sizes);
    assert_eq!(status, Some(0), "{stderr}");
    assert!(stderr.contains("this run: 0 processed, 3 up to date, 1 rejected"), "{stderr}");
}

#[tokio::test]
async fn regenerate_over_local_folders_stops_and_resumes() {
    let data_dir = temp_dir("regenerate-local");
    let store = LocalStore::new(data_dir.join("storage"));
    stop_and_resume(&store, &data_dir, "uploads", "assets", &[]).await;

    let (status, stderr) = regenerate(&data_dir, &["--limit", "0"], &[]);
    assert_eq!(status, Some(2));
    assert!(stderr.contains("--limit \"0\" is not a whole number above 0"), "{stderr}");
    let _ = std::fs::remove_dir_all(&data_dir);
}

#[tokio::test]
async fn regenerate_over_s3_stops_and_resumes() {
    let suffix = std::process::id();
    let (uploads, assets) = (format!("regen-uploads-{suffix}"), format!("regen-assets-{suffix}"));
    let Some((endpoint, store)) = test_s3(&[&uploads, &assets]).await else { return };
    let data_dir = temp_dir("regenerate-s3");
    let env = [
        ("S3_ENDPOINT", endpoint.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing-secret"),
        ("UPLOADS_BUCKET", uploads.as_str()),
        ("ASSETS_BUCKET", assets.as_str()),
    ];
    stop_and_resume(&store, &data_dir, &uploads, &assets, &env).await;
    let _ = std::fs::remove_dir_all(&data_dir);
}
