//! The results in words: the table of sizes and cold inits against their budgets, the trust
//! store diagnosis, what is printed, and the section written into docs/BENCHMARKS.md.

use std::path::Path;
use std::time::Duration;

use dropgate_bench::docs::{wrap, write_section};
use dropgate_bench::machine::{command_line, machine};

use crate::measure::{BASELINE, CA_BUNDLES, Row};
use crate::stats::{Medians, min, p90, size_ratios};

const ZIP_BUDGET_BYTES: u64 = 4_000_000;
// The goal set once the api and the worker stopped building SNS and SES clients.
const INIT_BUDGET_RATIO: f64 = 1.3;
pub const SECTION: &str = "## Lambda packages and cold init";
const CA_DIRS: &[&str] = &["/etc/ssl/certs", "/etc/pki/tls/certs"];

pub struct Report {
    table: String,
    diagnosis: Option<String>,
    size_ratios: String,
    all_pass: bool,
    runs: usize,
}

impl Report {
    /// `rows` with their starts sorted by `Medians::of`, which gave `medians`.
    pub fn new(rows: &[Row], medians: &Medians, runs: usize) -> Self {
        let (table, all_pass) = table(rows, medians);
        Self {
            table,
            diagnosis: diagnosis(rows, medians),
            size_ratios: size_ratios(rows),
            all_pass,
            runs,
        }
    }

    pub fn print(&self) {
        println!("{}", self.table);
        if let Some(d) = &self.diagnosis {
            println!(
                "Diagnosis: the same starts with SSL_CERT_FILE = one certificate, SSL_CERT_DIR empty:\n"
            );
            println!("{d}");
        }
        println!(
            "Package sizes: the arm64 zips that are deployed. Cold init: the x86_64 builds of the same \
             code and profile (arm64 cannot run on this {} machine), median of {} starts each.",
            std::env::consts::ARCH,
            self.runs
        );
        println!(
            "Budgets: {}",
            if self.all_pass { "all pass" } else { "FAILED" }
        );
    }

    /// Replaces the section (its heading up to the next `## ` heading) in the markdown file at
    /// `path`, or appends it.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        write_section(path, SECTION, &self.section())
    }

    fn section(&self) -> String {
        let commit = command_line("git", &["rev-parse", "--short", "HEAD"]).unwrap_or_default();
        let date = command_line("date", &["-u", "+%Y-%m-%d"]).unwrap_or_default();
        let cargo_lambda = command_line(".venv-build/bin/cargo-lambda", &["lambda", "--version"])
            .unwrap_or_else(|| "cargo-lambda (requirements-build.txt)".into());
        let rustc = command_line("rustc", &["--version"]).unwrap_or_default();
        let runs = self.runs;
        let mut parts = vec![
            SECTION.to_owned(),
            wrap(&format!(
                "Measured on {date} at commit `{commit}`, on {}; {rustc}, {cargo_lambda}.",
                machine()
            )),
            format!(
                "```sh\nscripts/build-lambdas.sh --bench\n\
                 cargo run --profile bench-fast -p dropgate-bench --bin bench-lambda -- --runs {runs} \
                 --write docs/BENCHMARKS.md\n```"
            ),
            wrap(
                "The first command builds, with cargo-lambda and the workspace's release profile \
                 (opt-level \"z\", argon2 and blake2 at 3, fat LTO, one codegen unit, stripped, panic = abort), the six \
                 functions and `hello-lambda` (an empty `lambda_runtime` function, the baseline) for \
                 arm64, zipped as deployed (`target/lambda/<bin>/bootstrap.zip`), and the same seven \
                 for x86_64 (`target/lambda-x86_64/<bin>/bootstrap`).",
            ),
            wrap(&format!(
                "The second reports the zips' sizes and measures cold init: the time from exec of a \
                 bootstrap (a fresh copy in a directory of its own, as Lambda runs the one it \
                 unpacked from the package) to its first `GET /2018-06-01/runtime/invocation/next` on a minimal Lambda \
                 Runtime API that the bench serves on 127.0.0.1, with Lambda's environment variables, \
                 fake credentials, `AWS_REGION=us-east-1`, an empty `HOME`, \
                 `SMITHY_CLIENT_SDK_CUSTOM_PARTITION` at `infra/partitions/partitions.json` (as \
                 template.yaml sets it in the `aws` partition) and dummy values for the \
                 variables each handler requires (so its configuration check passes; nothing calls \
                 AWS). **Cold init is measured on the x86_64 builds**: the arm64 binaries cannot run \
                 on this x86_64 machine. Starts are interleaved across the seven binaries, {runs} \
                 counted per binary after one warm-up start; min and p90 beside the median."
            )),
            self.table.trim_end().to_owned(),
            wrap(&format!(
                "Budgets: package <= 4 MB (4,000,000 bytes) per function; cold init <= \
                 {INIT_BUDGET_RATIO}x hello-lambda's median. Result: **{}**.",
                if self.all_pass {
                    "all pass"
                } else {
                    "FAILED (see the table)"
                }
            )),
        ];
        if let Some(d) = &self.diagnosis {
            parts.push(wrap(
                "The system's TLS trust store no longer counts: the functions trust only the five \
                 roots AWS endpoints chain to, bundled in `infra/certs/` (`infra/src/aws.rs`); with \
                 the SDK's default they parsed the whole system store at start, about 2.1 ms here. \
                 The same starts (interleaved with the ones above) with `SSL_CERT_FILE` pointing at \
                 one certificate and `SSL_CERT_DIR` at an empty directory, to show it:",
            ));
            parts.push(d.trim_end().to_owned());
            parts.push(wrap(&format!(
                "The machine's store here: {}. `hello-lambda` loads no certificates: its difference \
                 is what starting second, right after the same binary, gives by itself. What is left \
                 of the gap to hello-lambda is the \
                 functions' own start: binaries {} larger (page faults; the x86_64 \
                 bootstraps timed here), the SDK's \
                 configuration loader, and one SDK client per service the handler uses (built once \
                 per cold start: DynamoDB and S3 for the api, the worker and the janitor; Cognito \
                 for auth; DynamoDB, SNS and SES for the notifier).",
                trust_store(),
                self.size_ratios
            )));
        }
        parts.join("\n\n") + "\n"
    }
}

/// The table of sizes and cold inits against their budgets, and whether every function (the
/// baseline aside) is within both.
fn table(rows: &[Row], medians: &Medians) -> (String, bool) {
    let baseline = medians.baseline();
    let mut table = String::new();
    table.push_str(&format!(
        "| function | package (arm64 zip) | size budget (4 MB) | cold init, median (x86_64) | min | p90 | vs hello-lambda | init budget ({INIT_BUDGET_RATIO}x) |\n"
    ));
    table.push_str("| --- | ---: | --- | ---: | ---: | ---: | ---: | --- |\n");
    let mut all_pass = true;
    for row in rows {
        let m = medians.init[row.bin];
        let ratio = m.as_secs_f64() / baseline.as_secs_f64();
        let is_baseline = row.bin == BASELINE;
        let size_ok = row.zip_bytes <= ZIP_BUDGET_BYTES;
        let init_ok = ratio <= INIT_BUDGET_RATIO;
        if !is_baseline {
            all_pass &= size_ok && init_ok;
        }
        table.push_str(&format!(
            "| `{}` | {} ({} bytes) | {} | {} ms | {} ms | {} ms | {:.2}x | {} |\n",
            row.bin,
            mb(row.zip_bytes),
            row.zip_bytes,
            if is_baseline {
                "(baseline)"
            } else {
                verdict(size_ok)
            },
            ms(m),
            ms(min(row)),
            ms(p90(row)),
            ratio,
            if is_baseline {
                "(baseline)"
            } else {
                verdict(init_ok)
            },
        ));
    }
    (table, all_pass)
}

/// The same starts with a trust store of one certificate, beside the others; `None` when they
/// were not made (no CA bundle on this machine).
fn diagnosis(rows: &[Row], medians: &Medians) -> Option<String> {
    medians.one_ca.get(BASELINE).map(|&base| {
        let mut t = String::from(
            "| function | cold init, median | same, trust store of one certificate | difference | vs hello-lambda (one certificate) |\n\
             | --- | ---: | ---: | ---: | ---: |\n",
        );
        for row in rows {
            let (m, m1) = (medians.init[row.bin], medians.one_ca[row.bin]);
            t.push_str(&format!(
                "| `{}` | {} ms | {} ms | {} ms | {:.2}x |\n",
                row.bin,
                ms(m),
                ms(m1),
                ms(m.saturating_sub(m1)),
                m1.as_secs_f64() / base.as_secs_f64(),
            ));
        }
        t
    })
}

/// This machine's trust store, in words: the bundle, its certificates, the directory's entries.
fn trust_store() -> String {
    let bundle = CA_BUNDLES.iter().find_map(|p| {
        let text = std::fs::read_to_string(p).ok()?;
        Some(format!(
            "`{p}` ({} certificates)",
            text.matches("-----BEGIN CERTIFICATE-----").count()
        ))
    });
    let dir = CA_DIRS.iter().find_map(|d| {
        let n = std::fs::read_dir(d).ok()?.count();
        Some(format!("`{d}/` ({n} entries)"))
    });
    match (bundle, dir) {
        (Some(b), Some(d)) => format!("{b} and {d}"),
        (Some(x), None) | (None, Some(x)) => x,
        (None, None) => "none found".into(),
    }
}

fn ms(d: Duration) -> String {
    format!("{:.2}", d.as_secs_f64() * 1000.0)
}

fn mb(bytes: u64) -> String {
    format!("{:.2} MB", bytes as f64 / 1_000_000.0)
}

fn verdict(ok: bool) -> &'static str {
    if ok { "pass" } else { "FAIL" }
}
