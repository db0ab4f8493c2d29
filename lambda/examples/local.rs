//! Runs the Lambda handler on your own files, with a folder standing in for S3.
//!
//! ```text
//! cargo run --release -p thumbing-lambda --example local -- photo.jpg other.png
//! ```
//!
//! Each file is copied to `<root>/uploads/<name>` (the root is `thumbing-lambda-example`
//! in the system's temporary folder, or `THUMBING_EXAMPLE_ROOT`), an S3 `ObjectCreated:Put`
//! event naming all of them is handed to the handler, and the avatars land in
//! `<root>/assets/avatars/`. The settings come from the same environment variables as the
//! Lambda function, so `SIZES=512,128 OUTPUT_FORMAT=webp cargo run --release …` works too.
//! (A release build: a debug build of the image crates is many times slower on a photo.)

use std::path::PathBuf;

use thumbing_lambda::handler::{Config, handle_payload};
use thumbing_storage::{LocalStore, PutOptions, Store};

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt().with_target(false).init();
    match run().await {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("local: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run() -> Result<(), Box<dyn std::error::Error>> {
    let files: Vec<PathBuf> = std::env::args_os().skip(1).map(PathBuf::from).collect();
    if files.is_empty() {
        eprintln!("usage: cargo run --release -p thumbing-lambda --example local -- IMAGE...");
        std::process::exit(2);
    }
    let root = std::env::var_os("THUMBING_EXAMPLE_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("thumbing-lambda-example"));
    let store = LocalStore::new(&root);
    let config = Config::from_lookup(|name| match name {
        "DEST_BUCKET_NAME" => Some(std::env::var(name).unwrap_or_else(|_| "assets".into())),
        _ => std::env::var(name).ok(),
    })?;

    let mut records = Vec::new();
    for file in &files {
        let name = file
            .file_name()
            .and_then(|n| n.to_str())
            .ok_or_else(|| format!("{} has no usable name", file.display()))?;
        let data = std::fs::read(file).map_err(|e| format!("cannot read {}: {e}", file.display()))?;
        let size = data.len();
        store.put("uploads", name, data, PutOptions::default()).await?;
        records.push(serde_json::json!({
            "eventName": "ObjectCreated:Put",
            "eventTime": "2024-05-01T12:00:00.000Z",
            "userIdentity": {"principalId": "EXAMPLE"},
            "requestParameters": {"sourceIPAddress": "127.0.0.1"},
            "responseElements": {},
            "s3": {"bucket": {"name": "uploads"}, "object": {"key": event_key(name), "size": size}}
        }));
    }

    let report = handle_payload(&store, &config, serde_json::json!({ "Records": records })).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    println!("avatars are in {}", root.join(&config.dest_bucket).join(&config.output_prefix).display());
    Ok(())
}

/// A key as S3 event notifications spell it: URL-encoded, with `+` for a space.
fn event_key(key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'-')
        .remove(b'.')
        .remove(b'_')
        .remove(b'~')
        .remove(b'/')
        .remove(b' ');
    percent_encoding::utf8_percent_encode(key, KEEP).to_string().replace(' ', "+")
}
