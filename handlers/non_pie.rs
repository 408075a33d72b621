//! Links the Lambda functions' executables as non-PIE (fixed-address) ones: the linker then
//! resolves every pointer in their static data, so the loader applies no relocations at a cold
//! start and those pages stay read-only and file-backed (docs/BENCHMARKS.md, "Non-PIE"; what it
//! trades: docs/DESIGN.md, "Known limits and deliberate choices").
//!
//! The build script of the function crates (`build = "../non_pie.rs"`; the api's `build.rs` and
//! the bench's hello-lambda use it too). Only their binaries get the flag, never tests, build
//! scripts or proc-macros, and only in Lambda builds: every `aarch64-unknown-linux-gnu` build
//! (what `sam build` and scripts/build-lambdas.sh make), and the x86_64 builds that
//! scripts/build-lambdas.sh makes for the bench (`DROPGATE_NON_PIE=1`).
//!
//! A link argument rather than `-C relocation-model=static` in rustflags: crc-fast (under the
//! S3 SDK) also builds a cdylib, which cannot link non-PIC code, and rustflags for the target
//! would reach proc-macros on an arm64 host and replace the target CPU cargo-lambda sets.

#[allow(dead_code)] // The api's build.rs includes this file as a module and has its own main.
fn main() {
    link_bins_non_pie();
}

pub fn link_bins_non_pie() {
    println!("cargo::rerun-if-env-changed=DROPGATE_NON_PIE");
    let lambda = std::env::var("TARGET").is_ok_and(|t| t == "aarch64-unknown-linux-gnu")
        || std::env::var_os("DROPGATE_NON_PIE").is_some_and(|v| v == "1");
    if lambda {
        println!("cargo::rustc-link-arg-bins=-no-pie");
    }
}
