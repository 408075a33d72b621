//! The local stand-in for GuardDuty Malware Protection for S3: ClamAV's daemon scans each new
//! object under `uploads/`, and the result reaches the worker the way GuardDuty's does (an object
//! tag, and an event of GuardDuty's shape on the scan-results queue), so the consumer that runs
//! is the deployed one.
//!
//! GuardDuty watches the bucket itself; locally the uploads queue pump hands each new object to
//! [`Feed::scan`]. At most [`CONCURRENT_SCANS`] objects are scanned at once, each streamed.

mod clamd;
mod daemon;
mod event;
mod faults;
mod scan;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::{Semaphore, mpsc, watch};
use tokio::task::JoinHandle;

pub use clamd::{Instream, Reply, ping};
pub use daemon::{Daemon, binary as clamd_binary, database};
pub use event::{DETAIL_TYPE, Outcome, STATUS_TAG, Scanned, result_event};
pub use faults::{Dice, Draw, FaultSpecError, ScannerFaults};
pub use scan::{Target, read_and_scan};

/// The local malware protection plan: the `resources[0]` of every result the local scanner
/// sends, and the worker's `SCAN_PLAN_ARN`.
pub const PLAN_ARN: &str =
    "arn:aws:guardduty:us-east-1:123456789012:malware-protection-plan/dropgate-local";

/// The test strings of the project's signature database (scripts/install-scanner.sh writes
/// it), for tests that need the scanner to find something: EICAR's test file, a marker found
/// anywhere in a file, and a header found only at a file's first byte.
pub const EICAR: &str = r"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";
pub const TEST_MARKER: &str = "DROPGATE-TEST-MALWARE-MARKER-5b1e0c";
pub const TEST_HEADER: &str = "DROPGATE-TEST-MALWARE-HEADER-9d27f4";

/// Objects scanned at once: more would only queue inside clamd and share the same cores.
pub const CONCURRENT_SCANS: usize = 4;

/// `--scanner`: the real scanner, or none (files judged on their type alone, and saying so).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Mode {
    #[default]
    Clamd,
    Off,
}

impl Mode {
    pub fn parse(s: &str) -> Result<Self, String> {
        match s {
            "clamd" => Ok(Self::Clamd),
            "off" => Ok(Self::Off),
            _ => Err(format!("`{s}`: expected clamd or off")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Clamd => "clamd",
            Self::Off => "off",
        }
    }
}

/// Hands new objects to the scanner without waiting for it.
#[derive(Clone)]
pub struct Feed(mpsc::UnboundedSender<String>);

impl Feed {
    pub fn scan(&self, key: String) {
        if self.0.send(key).is_err() {
            tracing::warn!("the scanner has stopped; an object goes unscanned (it will time out)");
        }
    }
}

pub struct Scanner {
    daemon: Daemon,
    task: JoinHandle<()>,
}

/// The daemon and the signature database to start it on, or why scanning cannot start. Checked
/// before anything else starts: fail closed, never "scanning" without a scanner.
pub fn preflight(root: &Path) -> Result<(PathBuf, PathBuf), String> {
    let clamd = daemon::binary().ok_or(
        "clamd (ClamAV's daemon) is not installed: run scripts/install-scanner.sh, or start \
         with --scanner off (files are then accepted on their type alone and say scan: off)",
    )?;
    let db = database(root);
    let has_signatures = std::fs::read_dir(&db)
        .map(|entries| entries.flatten().next().is_some())
        .unwrap_or(false);
    if !has_signatures {
        return Err(format!(
            "no signature database in {}: run scripts/install-scanner.sh (or set \
             DROPGATE_CLAMAV_DB), or start with --scanner off",
            db.display()
        ));
    }
    Ok((clamd, db))
}

impl Scanner {
    /// Starts clamd (from [`preflight`]), then the loop that scans what the returned [`Feed`]
    /// is given.
    pub async fn start(
        (clamd, db): (PathBuf, PathBuf),
        target: Target,
        faults: ScannerFaults,
        stop: watch::Receiver<bool>,
    ) -> Result<(Self, Feed), String> {
        let daemon = Daemon::start(&clamd, &db).await?;
        tracing::info!(pid = daemon.pid(), db = %db.display(), "clamd ready");
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(
            Arc::new(target),
            daemon.socket.clone(),
            Arc::new(Dice::new(faults)),
            rx,
            stop,
        ));
        Ok((Self { daemon, task }, Feed(tx)))
    }

    /// clamd's process id (for measuring its memory).
    pub fn clamd_pid(&self) -> Option<u32> {
        self.daemon.pid()
    }

    /// Stops taking objects (scans under way are abandoned: their files time out), then clamd.
    pub async fn stop(self) {
        self.task.abort();
        // Aborted on purpose: its result says only that.
        let _ = self.task.await;
        self.daemon.stop().await;
    }
}

async fn run(
    target: Arc<Target>,
    socket: std::path::PathBuf,
    dice: Arc<Dice>,
    mut objects: mpsc::UnboundedReceiver<String>,
    mut stop: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(CONCURRENT_SCANS));
    loop {
        let key = tokio::select! {
            k = objects.recv() => match k { Some(k) => k, None => return },
            _ = stop.wait_for(|s| *s) => return,
        };
        let Ok(slot) = slots.clone().acquire_owned().await else {
            return;
        };
        // Drawn in arrival order, so a seeded run repeats.
        let draw = dice.draw();
        let (target, socket, delay) = (target.clone(), socket.clone(), dice.delay());
        tokio::spawn(async move {
            scan::scan_and_answer(&target, &socket, &key, draw, delay).await;
            drop(slot);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_install_script_signs_the_test_strings() {
        let script = include_str!("../../../scripts/install-scanner.sh");
        assert_eq!(EICAR.len(), 68);
        for s in [EICAR, TEST_MARKER, TEST_HEADER] {
            assert!(script.contains(&format!("'{s}'")), "{s}");
        }
    }

    #[test]
    fn without_a_database_the_scanner_refuses_and_says_what_to_do() {
        if std::env::var_os("DROPGATE_CLAMAV_DB").is_some() {
            return; // the database is named by the environment, not by the root
        }
        let e = preflight(Path::new("/nonexistent/dropgate")).unwrap_err();
        assert!(e.contains("scripts/install-scanner.sh"), "{e}");
        assert!(e.contains("--scanner off"), "{e}");
    }

    #[test]
    fn modes_are_read() {
        assert_eq!(Mode::parse("clamd"), Ok(Mode::Clamd));
        assert_eq!(Mode::parse("off"), Ok(Mode::Off));
        assert!(Mode::parse("guardduty").is_err());
        assert_eq!(Mode::default().as_str(), "clamd");
    }
}
