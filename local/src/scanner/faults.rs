//! `--scanner-faults SPEC`: the local scanner misbehaving on purpose, so that tests can prove the
//! gate stays shut when the scanner errors, cannot judge, repeats itself or never answers.
//!
//! SPEC is comma-separated `name=value`: rates 0..1 `failed`, `unsupported`, `duplicate` (send
//! the result twice), `drop` (never answer: no tag, no event); `delay_ms=N` before answering;
//! `seed=N` for a repeatable run.

use std::fmt;
use std::sync::Mutex;
use std::time::Duration;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScannerFaults {
    pub failed: f64,
    pub unsupported: f64,
    pub duplicate: f64,
    pub drop: f64,
    pub delay: Duration,
    pub seed: Option<u64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FaultSpecError(String);

impl fmt::Display for FaultSpecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for FaultSpecError {}

impl ScannerFaults {
    pub fn parse(spec: &str) -> Result<Self, FaultSpecError> {
        let mut faults = Self::default();
        for rule in spec.split(',').map(str::trim).filter(|r| !r.is_empty()) {
            let (name, value) = rule
                .split_once('=')
                .ok_or_else(|| FaultSpecError(format!("`{rule}`: expected name=value")))?;
            let (name, value) = (name.trim(), value.trim());
            match name {
                "failed" => faults.failed = rate(name, value)?,
                "unsupported" => faults.unsupported = rate(name, value)?,
                "duplicate" => faults.duplicate = rate(name, value)?,
                "drop" => faults.drop = rate(name, value)?,
                "delay_ms" => faults.delay = Duration::from_millis(number(name, value)?),
                "seed" => faults.seed = Some(number(name, value)?),
                _ => {
                    return Err(FaultSpecError(format!(
                        "unknown fault `{name}` (known: failed, unsupported, duplicate, drop, \
                         delay_ms, seed)"
                    )));
                }
            }
        }
        Ok(faults)
    }
}

fn rate(name: &str, value: &str) -> Result<f64, FaultSpecError> {
    match value.parse::<f64>() {
        Ok(r) if (0.0..=1.0).contains(&r) => Ok(r),
        _ => Err(FaultSpecError(format!(
            "`{name}={value}`: a rate between 0 and 1"
        ))),
    }
}

fn number(name: &str, value: &str) -> Result<u64, FaultSpecError> {
    value
        .parse::<u64>()
        .map_err(|_| FaultSpecError(format!("`{name}={value}`: a whole number")))
}

/// What the faults make of one scan, drawn once per object.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Draw {
    pub drop: bool,
    pub failed: bool,
    pub unsupported: bool,
    pub duplicate: bool,
}

/// The faults with their random source: one generator, so a seed replays the same run when the
/// objects arrive in the same order.
pub struct Dice {
    faults: ScannerFaults,
    rng: Mutex<fastrand::Rng>,
}

impl Dice {
    pub fn new(faults: ScannerFaults) -> Self {
        let rng = match faults.seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        };
        Self {
            faults,
            rng: Mutex::new(rng),
        }
    }

    pub fn delay(&self) -> Duration {
        self.faults.delay
    }

    pub fn draw(&self) -> Draw {
        let mut rng = match self.rng.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut hit = |rate: f64| rate > 0.0 && rng.f64() < rate;
        Draw {
            drop: hit(self.faults.drop),
            failed: hit(self.faults.failed),
            unsupported: hit(self.faults.unsupported),
            duplicate: hit(self.faults.duplicate),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_fault_is_read() {
        let f = ScannerFaults::parse(
            "failed=0.5, unsupported=1,duplicate=0.25,drop=0,delay_ms=40,seed=7",
        )
        .unwrap();
        assert_eq!(
            f,
            ScannerFaults {
                failed: 0.5,
                unsupported: 1.0,
                duplicate: 0.25,
                drop: 0.0,
                delay: Duration::from_millis(40),
                seed: Some(7),
            }
        );
    }

    #[test]
    fn an_empty_spec_is_no_fault() {
        assert_eq!(ScannerFaults::parse("").unwrap(), ScannerFaults::default());
    }

    #[test]
    fn mistakes_are_named() {
        for (spec, says) in [
            ("failed", "name=value"),
            ("failed=1.5", "between 0 and 1"),
            ("drop=-0.1", "between 0 and 1"),
            ("drop=often", "between 0 and 1"),
            ("delay_ms=1.5", "whole number"),
            ("seed=-1", "whole number"),
            ("explode=1", "unknown fault `explode`"),
        ] {
            let e = ScannerFaults::parse(spec).unwrap_err().to_string();
            assert!(e.contains(says), "{spec}: {e}");
        }
    }

    #[test]
    fn certain_faults_always_hit_and_absent_ones_never() {
        let dice = Dice::new(ScannerFaults::parse("failed=1,duplicate=1,seed=3").unwrap());
        for _ in 0..50 {
            assert_eq!(
                dice.draw(),
                Draw {
                    drop: false,
                    failed: true,
                    unsupported: false,
                    duplicate: true
                }
            );
        }
    }

    #[test]
    fn a_seed_replays_the_same_draws() {
        let spec = ScannerFaults::parse("failed=0.5,drop=0.5,seed=11").unwrap();
        let (a, b) = (Dice::new(spec.clone()), Dice::new(spec));
        let draws = |d: &Dice| (0..32).map(|_| d.draw()).collect::<Vec<_>>();
        let first = draws(&a);
        assert_eq!(first, draws(&b));
        assert!(first.iter().any(|d| d.failed) && first.iter().any(|d| !d.failed));
    }
}
