//! The Lambda entry point: reads the configuration, sets up logging and runs
//! [`thumbing_lambda::handler::handle_invocation`] under `lambda_runtime`: S3 event
//! notifications and S3 Batch Operations invocations alike. Everything else is in the
//! library.

use std::process::ExitCode;
use std::str::FromStr;

use lambda_runtime::{LambdaEvent, service_fn};
use thumbing_lambda::handler::{Config, handle_invocation};
use thumbing_storage::S3Store;
use tracing_subscriber::filter::LevelFilter;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    init_logging();
    let config = match Config::from_env() {
        Ok(config) => config,
        Err(e) => return cold_start_failure(&e),
    };
    let store = match S3Store::from_env() {
        Ok(store) => store,
        Err(e) => return cold_start_failure(&e),
    };
    tracing::info!(
        dest_bucket = config.dest_bucket,
        input = config.input_prefix,
        output = config.output_prefix,
        settings = config.fingerprint(),
        "thumbing-lambda ready"
    );
    let (store, config) = (&store, &config);
    let handler =
        service_fn(move |event: LambdaEvent<serde_json::Value>| handle_invocation(store, config, event.payload));
    match lambda_runtime::run(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!(error = %e, "the Lambda runtime loop stopped");
            ExitCode::FAILURE
        }
    }
}

/// Logs why the function cannot start, and exits: Lambda reports the init failure with
/// this message in the function's log.
fn cold_start_failure(e: &dyn std::error::Error) -> ExitCode {
    tracing::error!(error = %e, "thumbing-lambda cannot start");
    ExitCode::from(2)
}

/// JSON lines on stdout, one object per event with its fields at the top level (so
/// CloudWatch Logs Insights can filter on `key` or `error_kind`). The level comes from
/// `AWS_LAMBDA_LOG_LEVEL` (Lambda's advanced logging controls) or `RUST_LOG`, default
/// `INFO`; `LOG_FORMAT=text` switches to plain text for local runs.
fn init_logging() {
    let level = std::env::var("AWS_LAMBDA_LOG_LEVEL")
        .or_else(|_| std::env::var("RUST_LOG"))
        .ok()
        .and_then(|v| LevelFilter::from_str(v.trim()).ok())
        .unwrap_or(LevelFilter::INFO);
    let builder = tracing_subscriber::fmt().with_max_level(level).with_target(false).with_ansi(false);
    if std::env::var("LOG_FORMAT").is_ok_and(|f| f.eq_ignore_ascii_case("text")) {
        builder.init();
    } else {
        builder.json().flatten_event(true).with_current_span(true).with_span_list(false).init();
    }
}
