//! Share password verify time (a command, not a test): Argon2id with the production
//! parameters (`dropgate_core::shares::verify_password`), a right and a wrong password in
//! turn, on one core. The api function verifies at most one password per request; the budget
//! is 100 ms per verify, so that a password never makes a download feel slow. Results:
//! docs/BENCHMARKS.md, "Share passwords".
//!
//! cargo run --profile bench-fast -p dropgate-bench --bin bench-password -- --rounds 50

use std::time::Instant;

use clap::Parser;
use dropgate_core::shares::{hash_password, verify_password};

#[derive(Parser)]
struct Args {
    /// Verifies of each kind (right, wrong).
    #[arg(long, default_value_t = 50)]
    rounds: usize,
}

fn stats(mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |q: f64| ms[((ms.len() as f64 - 1.0) * q).round() as usize];
    (at(0.5), at(0.9), ms[ms.len() - 1])
}

fn main() {
    let args = Args::parse();
    let started = Instant::now();
    let phc = hash_password("correct horse battery staple", &[7; 16]).expect("hash");
    let hash_ms = started.elapsed().as_secs_f64() * 1e3;
    let (mut right, mut wrong) = (Vec::new(), Vec::new());
    for _ in 0..args.rounds.max(1) {
        let t = Instant::now();
        assert!(verify_password("correct horse battery staple", &phc).expect("verify"));
        right.push(t.elapsed().as_secs_f64() * 1e3);
        let t = Instant::now();
        assert!(!verify_password("correct horse battery stapler", &phc).expect("verify"));
        wrong.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let (r50, r90, rmax) = stats(right);
    let (w50, w90, wmax) = stats(wrong);
    let params: Vec<&str> = phc.split('$').skip(1).take(3).collect();
    println!("parameters: {}", params.join(" "));
    println!("hash: {hash_ms:.1} ms");
    println!("verify right: median {r50:.1} ms, p90 {r90:.1} ms, max {rmax:.1} ms");
    println!("verify wrong: median {w50:.1} ms, p90 {w90:.1} ms, max {wmax:.1} ms");
    println!("budget: 100 ms per verify");
}
