//! The `regenerate` command: every stored upload through the current processing settings
//! again (after `SIZES`, `OUTPUT_FORMAT`, `QUALITY`, … changed), with progress, resumable.
//! The walk itself is [`thumbing_lambda::regenerate`], over the store the service serves
//! from; the checkpoint is kept in the data directory.

use std::path::PathBuf;

use thumbing_lambda::regenerate::{RegenerateError, RegenerateOptions, Summary, regenerate_in_terminal};

use super::startup::{StartError, open_store};
use crate::config::ServiceConfig;

/// The file a regeneration keeps its position in between runs.
///
/// ```
/// let config = thumbing_avatar_service::config::ServiceConfig::local("127.0.0.1:8080".parse().unwrap(), "data");
/// assert!(thumbing_avatar_service::app::regenerate_checkpoint(&config).ends_with("regenerate-checkpoint.json"));
/// ```
pub fn regenerate_checkpoint(config: &ServiceConfig) -> PathBuf {
    config.data_dir.join("regenerate-checkpoint.json")
}

/// Why a regeneration could not run.
#[derive(Debug, thiserror::Error)]
pub enum RegenerateCommandError {
    /// The data directory or the store could not be set up.
    #[error(transparent)]
    Start(#[from] StartError),
    /// The uploads could not be listed, or the checkpoint not kept.
    #[error(transparent)]
    Regenerate(#[from] RegenerateError),
}

/// Runs every upload of the uploads bucket through the processing handler with the current
/// settings, `concurrency` at a time, stopping after `limit` uploads when given, with
/// progress on stderr; Ctrl-C stops after the uploads in progress. The next call goes on
/// from where this one stopped ([`regenerate_checkpoint`]). The summary's
/// [`exit_code`](Summary::exit_code) is the command's status.
pub async fn regenerate_uploads(
    config: &ServiceConfig,
    concurrency: Option<usize>,
    limit: Option<usize>,
) -> Result<Summary, RegenerateCommandError> {
    std::fs::create_dir_all(&config.data_dir)
        .map_err(|e| StartError::DataDir { path: config.data_dir.clone(), message: e.to_string() })?;
    let (store, _, _) = open_store(config)?;
    let mut options =
        RegenerateOptions { limit, checkpoint: Some(regenerate_checkpoint(config)), ..Default::default() };
    if let Some(concurrency) = concurrency {
        options.concurrency = concurrency;
    }
    Ok(regenerate_in_terminal(store.as_ref(), &config.handler, &config.uploads_bucket, &options).await?)
}
