//! Lambda packages and cold init (a command, not a test: nothing here asserts, it reports).
//!
//! 1. The size of each function's deployment package, `target/lambda/<bin>/bootstrap.zip`
//!    (arm64, as deployed), against a budget of 4 MB.
//! 2. The cold init of each function: the time from exec of its bootstrap to its first
//!    `GET /2018-06-01/runtime/invocation/next` on a minimal Lambda Runtime API that this command
//!    serves on 127.0.0.1, median of `--runs` starts, beside an empty lambda_runtime function
//!    (`hello-lambda`) built the same way, against a budget of 1.3x that baseline. The arm64
//!    binaries cannot run on an x86_64 machine, so this part runs the x86_64 builds of the same
//!    code and profile (`target/lambda-x86_64/<bin>/bootstrap`, each run from a fresh copy in a
//!    directory of its own); the table says so.
//!
//! Each start gets what Lambda gives a function (AWS_LAMBDA_RUNTIME_API, AWS_LAMBDA_FUNCTION_*,
//! AWS_REGION, credentials as environment variables: fake ones, nothing is called) and dummy
//! values for the variables its handler requires, and nothing of this process's environment.
//!
//! scripts/build-lambdas.sh --bench
//! cargo run --profile bench-fast -p dropgate-bench --bin bench-lambda -- --runs 50 --write docs/BENCHMARKS.md

mod measure;
mod report;
mod stats;

use std::path::PathBuf;
use std::time::Duration;

use clap::Parser;

use crate::report::{Report, SECTION};
use crate::stats::Medians;

#[derive(Parser)]
struct Args {
    /// Starts of each bootstrap (after one warm-up start that is not counted).
    #[arg(long, default_value_t = 50)]
    runs: usize,
    /// Where scripts/build-lambdas.sh puts the arm64 packages.
    #[arg(long, default_value = "target/lambda")]
    lambda_dir: PathBuf,
    /// Where scripts/build-lambdas.sh --bench puts the x86_64 builds.
    #[arg(long, default_value = "target/lambda-x86_64")]
    x86_dir: PathBuf,
    /// Give up on a start that has not asked for an invocation after this many seconds.
    #[arg(long, default_value_t = 10)]
    timeout_secs: u64,
    /// Also write the results into this markdown file, under "## Lambda packages and cold init"
    /// (that section replaced or appended; the rest of the file left as it is).
    #[arg(long)]
    write: Option<PathBuf>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = Args::parse();
    let scratch = std::env::temp_dir().join(format!("bench-lambda-{}", std::process::id()));
    let mut rows = measure::packages(&args.lambda_dir, &args.x86_dir, &scratch)?;
    let timeout = Duration::from_secs(args.timeout_secs);
    measure::cold_inits(&mut rows, args.runs, timeout, &scratch).await?;
    if let Err(e) = std::fs::remove_dir_all(&scratch) {
        eprintln!("cannot remove {}: {e}", scratch.display());
    }

    let medians = Medians::of(&mut rows);
    let report = Report::new(&rows, &medians, args.runs);
    report.print();
    if let Some(path) = &args.write {
        report.write(path)?;
        eprintln!("wrote {SECTION:?} into {}", path.display());
    }
    Ok(())
}
