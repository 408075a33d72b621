//! `dropgate-local`: the whole pipeline on one machine. Prints one JSON ready line on stdout;
//! logs go to stderr. SIGINT/SIGTERM stop it and the emulator it started.

use std::time::Duration;

use clap::Parser;
use dropgate_local::{Options, Stack};

#[derive(Parser)]
#[command(
    name = "dropgate-local",
    about = "Run Dropgate on an emulated AWS on this machine"
)]
struct Args {
    /// Address for the API and web client.
    #[arg(long, default_value = "127.0.0.1:3000")]
    listen: String,
    /// Use this already running emulator instead of starting one.
    #[arg(long)]
    aws_endpoint: Option<String>,
    /// Seconds between janitor runs.
    #[arg(long, default_value_t = 30)]
    janitor_every: u64,
    /// Milliseconds the queue pump waits to fill a batch of 10 (Lambda's batching window;
    /// default 0, the template's: each poll's messages go to the worker at once).
    #[arg(long, default_value_t = 0)]
    batch_window_ms: u64,
    /// Put a fault-injecting proxy between the functions and the emulator, e.g.
    /// "dynamodb:throttle=0.1,s3:error500=0.05,reset=0.02,latency=20,seed=7"
    /// (rules `[service:]kind=value`; kinds error500, throttle, reset, reset_after (rates 0..1),
    /// latency (ms), seed).
    #[arg(long, value_name = "SPEC", value_parser = fault_spec)]
    inject_faults: Option<String>,
    /// The malware scanner playing GuardDuty: clamd (ClamAV's daemon, installed by
    /// scripts/install-scanner.sh) or off (files accepted on their type alone, `scan: off`).
    #[arg(long, default_value = "clamd", value_parser = dropgate_local::scanner::Mode::parse)]
    scanner: dropgate_local::scanner::Mode,
    /// Make the local scanner misbehave, e.g. "failed=0.1,unsupported=0.1,duplicate=0.2,
    /// drop=0.05,delay_ms=500,seed=7" (rates 0..1; drop: never answer).
    #[arg(long, value_name = "SPEC", value_parser = scanner_faults)]
    scanner_faults: Option<String>,
    /// Make this account an admin (the Cognito group `admins`) at start, creating it if it does
    /// not exist, with the password in DROPGATE_LOCAL_ADMIN_PASSWORD; repeatable.
    #[arg(long = "admin", value_name = "EMAIL")]
    admins: Vec<String>,
    /// Allow webhooks at exactly `http://127.0.0.1:<port>/...` (receivers in tests and demos);
    /// every other loopback or private address stays refused.
    #[arg(long)]
    allow_loopback_webhooks: bool,
    /// Refuse admin routes to an admin without two-factor sign-in (TOTP) on, as AWS does by
    /// default (`REQUIRE_ADMIN_MFA`); off here unless given.
    #[arg(long)]
    require_admin_mfa: bool,
}

fn scanner_faults(s: &str) -> Result<String, String> {
    dropgate_local::scanner::ScannerFaults::parse(s)
        .map(|_| s.to_owned())
        .map_err(|e| e.to_string())
}

/// Checks SPEC at argument parsing, so a typo is an error before anything starts.
fn fault_spec(s: &str) -> Result<String, String> {
    dropgate_local::faults::Spec::parse(s)
        .map(|_| s.to_owned())
        .map_err(|e| e.to_string())
}

#[tokio::main]
async fn main() -> std::process::ExitCode {
    dropgate_infra::logging::init();
    let args = Args::parse();
    let opts = Options {
        listen: args.listen,
        aws_endpoint: args.aws_endpoint,
        janitor_every: Duration::from_secs(args.janitor_every.max(1)),
        batch_window: Duration::from_millis(args.batch_window_ms),
        inject_faults: args.inject_faults,
        scanner: args.scanner,
        scanner_faults: args.scanner_faults,
        admins: args.admins,
        admin_password: std::env::var("DROPGATE_LOCAL_ADMIN_PASSWORD").ok(),
        allow_loopback_webhooks: args.allow_loopback_webhooks,
        require_admin_mfa: args.require_admin_mfa,
    };
    // Listening before the stack starts: a SIGTERM or SIGINT that arrives while it starts, or
    // right after its ready line, stops it cleanly (with its emulator) rather than killing it.
    let signals = Signals::listen();
    let stack = match Stack::start(opts).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("dropgate-local: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    match serde_json::to_string(&stack.ready) {
        Ok(line) => println!("{line}"),
        Err(e) => eprintln!("dropgate-local: {e}"),
    }
    tracing::info!(api = stack.ready.api, "ready");
    signals.wait().await;
    tracing::info!("stopping");
    stack.stop().await;
    std::process::ExitCode::SUCCESS
}

/// SIGINT and SIGTERM, caught from the moment they are installed.
struct Signals(Option<(tokio::signal::unix::Signal, tokio::signal::unix::Signal)>);

impl Signals {
    fn listen() -> Self {
        use tokio::signal::unix::{SignalKind, signal};
        match (
            signal(SignalKind::interrupt()),
            signal(SignalKind::terminate()),
        ) {
            (Ok(i), Ok(t)) => Self(Some((i, t))),
            _ => Self(None),
        }
    }

    async fn wait(self) {
        match self.0 {
            Some((mut i, mut t)) => {
                tokio::select! { _ = i.recv() => {}, _ = t.recv() => {} }
            }
            None => {
                if let Err(e) = tokio::signal::ctrl_c().await {
                    tracing::error!(error = %e, "cannot wait for a signal; stopping");
                }
            }
        }
    }
}
