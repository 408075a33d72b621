use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    // clap exits 2 on a bad command line, 0 after --help and --version.
    dropgate_cli::run(dropgate_cli::args::Cli::parse())
}
