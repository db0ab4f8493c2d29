//! Runs the Lambda handler on your own files, with a folder standing in for S3.
//!
//! ```text
//! cargo run --release -p thumbing-lambda --example local -- photo.jpg other.png
//! SIZES=512,128 cargo run --release -p thumbing-lambda --example local -- regenerate
//! ```
//!
//! Each file is copied to `<root>/uploads/<name>` (the root is `thumbing-lambda-example`
//! in the system's temporary folder, or `THUMBING_EXAMPLE_ROOT`), an S3 `ObjectCreated:Put`
//! event naming all of them is handed to the handler, and the avatars land in
//! `<root>/assets/avatars/`. The settings come from the same environment variables as the
//! Lambda function, so `SIZES=512,128 OUTPUT_FORMAT=webp cargo run --release …` works too.
//! (A release build: a debug build of the image crates is many times slower on a photo.)
//!
//! `regenerate [--concurrency N] [--limit N]` makes the avatars of every upload in
//! `<root>/uploads` again with the current settings, as an S3 Batch Operations job does on
//! AWS: avatars already made with these settings are skipped, progress goes to stderr, and a
//! run stopped by Ctrl-C or `--limit` goes on where it stopped (the position is kept in
//! `<root>/regenerate-checkpoint.json`).

use std::path::PathBuf;
use std::process::ExitCode;

use thumbing_lambda::handler::{Config, encode_key, handle_payload};
use thumbing_lambda::regenerate::{RegenerateOptions, regenerate_in_terminal};
use thumbing_storage::{LocalStore, PutOptions, Store};

const USAGE: &str = "usage: cargo run --release -p thumbing-lambda --example local -- IMAGE...
       cargo run --release -p thumbing-lambda --example local -- regenerate [--concurrency N] [--limit N]";

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    tracing_subscriber::fmt().with_target(false).with_writer(std::io::stderr).init();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        None => {
            eprintln!("{USAGE}");
            return ExitCode::from(2);
        }
        Some("regenerate") => regenerate(&args[1..]).await,
        Some(_) => run(std::env::args_os().skip(1).map(PathBuf::from).collect()).await.map(|()| ExitCode::SUCCESS),
    };
    result.unwrap_or_else(|e| {
        eprintln!("local: {e}");
        ExitCode::FAILURE
    })
}

/// The folder standing in for S3, and the function's settings from the environment.
fn setup() -> Result<(PathBuf, LocalStore, Config), Box<dyn std::error::Error>> {
    let root = std::env::var_os("THUMBING_EXAMPLE_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| std::env::temp_dir().join("thumbing-lambda-example"));
    let store = LocalStore::new(&root);
    let config = Config::from_lookup(|name| match name {
        "DEST_BUCKET_NAME" => Some(std::env::var(name).unwrap_or_else(|_| "assets".into())),
        _ => std::env::var(name).ok(),
    })?;
    Ok((root, store, config))
}

/// `regenerate [--concurrency N] [--limit N]`: every upload in `<root>/uploads` again.
async fn regenerate(args: &[String]) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let (root, store, config) = setup()?;
    let mut options =
        RegenerateOptions { checkpoint: Some(root.join("regenerate-checkpoint.json")), ..Default::default() };
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut count = || -> Result<usize, String> {
            let value = it.next().ok_or_else(|| format!("{arg} needs a value\n{USAGE}"))?;
            value
                .parse()
                .ok()
                .filter(|&n| n > 0)
                .ok_or_else(|| format!("{arg} {value:?} is not a whole number above 0"))
        };
        match arg.as_str() {
            "--concurrency" => options.concurrency = count()?,
            "--limit" => options.limit = Some(count()?),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}").into()),
        }
    }
    let summary = regenerate_in_terminal(&store, &config, "uploads", &options).await?;
    println!("avatars are in {}", root.join(&config.dest_bucket).join(&config.output_prefix).display());
    Ok(ExitCode::from(summary.exit_code()))
}

/// `IMAGE...`: the files as uploads, and one S3 event naming all of them.
async fn run(files: Vec<PathBuf>) -> Result<(), Box<dyn std::error::Error>> {
    let (root, store, config) = setup()?;

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
            "s3": {"bucket": {"name": "uploads"}, "object": {"key": encode_key(name), "size": size}}
        }));
    }

    let report = handle_payload(&store, &config, serde_json::json!({ "Records": records })).await?;
    println!("{}", serde_json::to_string_pretty(&report)?);
    println!("avatars are in {}", root.join(&config.dest_bucket).join(&config.output_prefix).display());
    Ok(())
}
