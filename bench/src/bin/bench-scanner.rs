//! Scanner throughput benchmark (a command, not a test): one large object streamed from the
//! emulator's bucket through the local scanner into clamd (what the local stack does for every
//! upload), and the same bytes from a file through `clamdscan --stream` into the same clamd,
//! alternating in one run. Reports MiB/s both ways, their ratio, and the peak memory of this
//! process (which runs the scanner code as the stack does) and of clamd.
//!
//! scripts/install-scanner.sh
//! cargo run --profile bench-fast -p dropgate-bench --bin bench-scanner -- --mib 1024 --rounds 2

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use clap::Parser;
use dropgate_bench::machine::{command_line, machine};
use dropgate_local::emulator::{Emulator, project_root};
use dropgate_local::scanner::{Daemon, Outcome, preflight, read_and_scan};

#[derive(Parser)]
struct Args {
    /// Size of the object, in MiB.
    #[arg(long, default_value_t = 1024)]
    mib: u64,
    /// Rounds; each scans the object once each way.
    #[arg(long, default_value_t = 2)]
    rounds: usize,
}

const BUCKET: &str = "bench-scanner";
const KEY: &str = "uploads/bench";

/// `VmHWM` (peak resident set) of a process, in KiB.
fn peak_kib(pid: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

/// Text of numbered lines: content clamd must really parse (zeros would be skimmed).
fn write_file(path: &Path, bytes: u64) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    let (mut written, mut i) = (0u64, 0u64);
    while written < bytes {
        let line = format!(
            "{i:012} the quick brown fox jumps over the lazy dog {}\n",
            i * 7919
        );
        let take = line.len().min((bytes - written) as usize);
        out.write_all(&line.as_bytes()[..take]).expect("write");
        written += take as u64;
        i += 1;
    }
    out.flush().expect("flush");
}

fn mib_s(bytes: u64, d: Duration) -> f64 {
    bytes as f64 / 1048576.0 / d.as_secs_f64()
}

#[tokio::main]
async fn main() {
    let args = Args::parse();
    let root = project_root();
    let found = preflight(&root).expect("scanner prerequisites (scripts/install-scanner.sh)");
    let clamdscan = command_line("sh", &["-c", "command -v clamdscan"]).expect("clamdscan");
    let emulator = Emulator::start(&root).await.expect("emulator");
    let daemon = Daemon::start(&found.0, &found.1).await.expect("clamd");
    let clamd_pid = daemon.pid().expect("clamd pid").to_string();
    let sdk = dropgate_local::provision::sdk_config(&emulator.endpoint).await;
    let s3 = aws_sdk_s3::Client::from_conf(
        aws_sdk_s3::config::Builder::from(&sdk)
            .force_path_style(true)
            .build(),
    );
    s3.create_bucket()
        .bucket(BUCKET)
        .send()
        .await
        .expect("bucket");
    let bytes = args.mib * 1048576;
    let file: PathBuf = std::env::temp_dir().join(format!("bench-scanner-{}", std::process::id()));
    write_file(&file, bytes);
    s3.put_object()
        .bucket(BUCKET)
        .key(KEY)
        .body(
            aws_sdk_s3::primitives::ByteStream::from_path(&file)
                .await
                .expect("body"),
        )
        .send()
        .await
        .expect("put");
    let before = peak_kib("self");
    let (mut ours, mut theirs) = (Vec::new(), Vec::new());
    for round in 1..=args.rounds {
        let started = Instant::now();
        let (_, outcome) = read_and_scan(&s3, BUCKET, KEY, &daemon.socket)
            .await
            .expect("object");
        let local = started.elapsed();
        assert_eq!(
            outcome,
            Outcome::NoThreatsFound,
            "the local scanner's verdict"
        );
        let started = Instant::now();
        let out = std::process::Command::new(&clamdscan)
            .arg(format!("--config-file={}", daemon.conf.display()))
            .args(["--stream", "--no-summary"])
            .arg(&file)
            .output()
            .expect("clamdscan");
        let direct = started.elapsed();
        assert!(
            out.status.success(),
            "clamdscan: {}",
            String::from_utf8_lossy(&out.stdout)
        );
        println!(
            "round {round}: local scanner {:.1} MiB/s ({:.1} s), clamdscan --stream {:.1} MiB/s ({:.1} s)",
            mib_s(bytes, local),
            local.as_secs_f64(),
            mib_s(bytes, direct),
            direct.as_secs_f64()
        );
        ours.push(mib_s(bytes, local));
        theirs.push(mib_s(bytes, direct));
    }
    let mean = |v: &[f64]| v.iter().sum::<f64>() / v.len() as f64;
    let (ours, theirs) = (mean(&ours), mean(&theirs));
    println!(
        "{} MiB, {} rounds on {}: local scanner {ours:.1} MiB/s, clamdscan --stream {theirs:.1} \
         MiB/s, ratio {:.2} (budget >= 0.8); peak RSS of the scanning process {:.1} MiB before \
         the scans, {:.1} MiB after; clamd {:.1} MiB",
        args.mib,
        args.rounds,
        machine(),
        ours / theirs,
        before as f64 / 1024.0,
        peak_kib("self") as f64 / 1024.0,
        peak_kib(&clamd_pid) as f64 / 1024.0,
    );
    if let Err(e) = std::fs::remove_file(&file) {
        eprintln!("{}: {e}", file.display());
    }
    daemon.stop().await;
    emulator.stop().await;
}
