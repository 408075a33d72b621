//! `dropgate`, the command-line client of the Dropgate HTTP API (docs/CLI.md). It speaks HTTP
//! only: no dependency on the server's crates, so the binary stays small.

pub mod api;
pub mod args;
mod commands;
pub mod config;
pub mod detect;
pub mod endpoints;
pub mod error;
pub mod multipart;
pub mod output;
pub mod plan;
pub mod progress;
pub mod resume;
pub mod retention;
pub mod retry;
pub mod storage;
#[cfg(test)]
mod testdir;
pub mod units;
pub mod upload;
pub mod wire;

use std::process::ExitCode;

use crate::args::Cli;
use crate::error::CliError;
use crate::output::{Exit, Output};

/// Runs a parsed command line to its exit code. Ctrl-C stops it at once; an upload's resume
/// state stays on disk, so the same command picks up where it stopped.
pub fn run(cli: Cli) -> ExitCode {
    let out = Output::new(cli.json, cli.command.writes_bytes_to_stdout());
    let resumable = cli.command.uploads();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            let e = CliError::io("the async runtime", e);
            return out.fail(&e, &e.to_string()).into();
        }
    };
    let result = runtime.block_on(async {
        tokio::select! {
            r = commands::run(cli) => r,
            _ = tokio::signal::ctrl_c() => Err(CliError::Interrupted),
        }
    });
    // Part uploads still in flight are dropped, not awaited.
    runtime.shutdown_background();
    match result {
        Ok(exit) => exit.into(),
        Err(e) => {
            let sentence = match &e {
                CliError::Interrupted if resumable => {
                    "interrupted; run the same command again to resume".to_owned()
                }
                other => other.to_string(),
            };
            let exit: Exit = out.fail(&e, &sentence);
            exit.into()
        }
    }
}
