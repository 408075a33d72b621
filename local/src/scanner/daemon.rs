//! ClamAV's daemon as a child of the stack: its own config and socket in a fresh temporary
//! directory, the project's signature database (or one named by `DROPGATE_CLAMAV_DB`), killed
//! when the stack stops (and when this process dies: `kill_on_drop`).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use super::clamd;

/// How long clamd may take to load its signatures and answer PONG. A small database loads in a
/// second; the full public one takes about half a minute on a slow machine.
const READY_WITHIN: Duration = Duration::from_secs(120);

/// Where the daemon binary is: `CLAMD`, else `clamd` on PATH, else Debian's /usr/sbin/clamd.
pub fn binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("CLAMD") {
        return Some(PathBuf::from(p)).filter(|p| p.is_file());
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|d| d.join("clamd"))
        .find(|p| p.is_file())
}

/// The signature database: `DROPGATE_CLAMAV_DB` (e.g. /var/lib/clamav after freshclam), else the
/// one scripts/install-scanner.sh generates in `.scanner/db`.
pub fn database(root: &Path) -> PathBuf {
    std::env::var_os("DROPGATE_CLAMAV_DB")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join(".scanner").join("db"))
}

/// `sh -c WATCHDOG clamd conf`: clamd in the background, its pid on stdout, and a reader of
/// stdin (duplicated to fd 3: a background job's own stdin is /dev/null) that kills it at EOF.
const WATCHDOG: &str = r#"exec 3<&0
"$0" -c "$1" </dev/null >/dev/null 2>&1 &
pid=$!
echo "$pid"
{ while read -r _ <&3; do :; done; kill "$pid" 2>/dev/null; } &
wait "$pid""#;

pub struct Daemon {
    child: Child,
    pid: Option<u32>,
    dir: PathBuf,
    pub socket: PathBuf,
    /// Its configuration file, which `clamdscan --config-file` reads to find the socket.
    pub conf: PathBuf,
}

impl Daemon {
    pub async fn start(clamd: &Path, db: &Path) -> Result<Self, String> {
        let dir = std::env::temp_dir().join(format!(
            "dropgate-clamd-{}-{:016x}",
            std::process::id(),
            fastrand::u64(..)
        ));
        std::fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let socket = dir.join("clamd.sock");
        let conf = dir.join("clamd.conf");
        std::fs::write(&conf, config(&socket, db, &dir))
            .map_err(|e| format!("{}: {e}", conf.display()))?;
        // clamd does not notice its parent dying, so a small shell holds it: it kills clamd
        // when its stdin (a pipe from this process) closes, which the kernel does on any exit
        // of this process, even SIGKILL. It prints clamd's pid first.
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(WATCHDOG)
            .arg(clamd)
            .arg(&conf)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("sh for {}: {e}", clamd.display()))?;
        let stdout = child
            .stdout
            .take()
            .ok_or("no stdout from clamd's watchdog")?;
        let mut line = String::new();
        let read = tokio::time::timeout(
            Duration::from_secs(10),
            BufReader::new(stdout).read_line(&mut line),
        )
        .await;
        let pid = match read {
            Ok(Ok(_)) => line.trim().parse::<u32>().ok(),
            _ => None,
        };
        let mut daemon = Self {
            child,
            pid,
            dir,
            socket,
            conf,
        };
        if let Err(why) = daemon.ready().await {
            let log = std::fs::read_to_string(daemon.dir.join("clamd.log")).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(5).collect();
            daemon.stop().await;
            return Err(format!(
                "{why}; clamd's log ends: {}",
                tail.into_iter().rev().collect::<Vec<_>>().join(" | ")
            ));
        }
        Ok(daemon)
    }

    async fn ready(&mut self) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + READY_WITHIN;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(format!("clamd exited at start ({status})"));
            }
            if clamd::ping(&self.socket).await {
                return Ok(());
            }
            if tokio::time::Instant::now() >= deadline {
                return Err(format!(
                    "clamd did not answer PING within {}s",
                    READY_WITHIN.as_secs()
                ));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// clamd's own process id.
    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    pub async fn stop(mut self) {
        // Closing the watchdog's stdin stops clamd; then the watchdog ends.
        drop(self.child.stdin.take());
        match tokio::time::timeout(Duration::from_secs(5), self.child.wait()).await {
            Ok(Ok(_)) => {}
            _ => {
                tracing::warn!("clamd's watchdog did not end within 5 s; killed");
                if let Err(e) = self.child.kill().await {
                    tracing::warn!(error = %e, "could not stop clamd's watchdog");
                }
            }
        }
        if let Err(e) = std::fs::remove_dir_all(&self.dir) {
            tracing::warn!(error = %e, dir = %self.dir.display(), "could not remove clamd's directory");
        }
    }
}

/// clamd's configuration. The limits: objects up to StreamMaxLength are streamed to it; what
/// exceeds its scan limits, like an encrypted archive or document, raises a `Heuristics.*`
/// alert instead of passing unscanned (GuardDuty's UNSUPPORTED).
fn config(socket: &Path, db: &Path, dir: &Path) -> String {
    format!(
        "Foreground yes\n\
         LocalSocket {socket}\n\
         LocalSocketMode 600\n\
         DatabaseDirectory {db}\n\
         TemporaryDirectory {dir}\n\
         LogFile {log}\n\
         LogTime yes\n\
         MaxThreads 8\n\
         StreamMaxLength 4000M\n\
         MaxScanSize 4000M\n\
         MaxFileSize 2000M\n\
         AlertEncrypted yes\n\
         AlertEncryptedArchive yes\n\
         AlertEncryptedDoc yes\n\
         AlertExceedsMax yes\n",
        socket = socket.display(),
        db = db.display(),
        dir = dir.display(),
        log = dir.join("clamd.log").display(),
    )
}

#[cfg(test)]
mod tests {
    use super::super::clamd::{Instream, Reply, ping};
    use super::super::{EICAR, TEST_HEADER, TEST_MARKER, preflight};
    use super::*;

    async fn scan(d: &Daemon, chunks: &[&[u8]]) -> Reply {
        let mut s = Instream::open(&d.socket).await.unwrap();
        for c in chunks {
            s.send(c).await.unwrap();
        }
        s.finish().await.unwrap()
    }

    /// A password-protected ZIP of one stored file (as `zip -P pw`), built here: the traditional
    /// PKWARE encryption flag is what clamd's encrypted-archive alert looks at.
    fn encrypted_zip() -> Vec<u8> {
        let name = b"a.txt";
        let data = [0u8; 13]; // the 12-byte encryption header and one byte, contents irrelevant
        let mut z = Vec::new();
        z.extend_from_slice(b"PK\x03\x04\x14\x00\x01\x00\x00\x00\x00\x00\x00\x00");
        z.extend_from_slice(&0u32.to_le_bytes()); // crc
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&1u32.to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z.extend_from_slice(name);
        z.extend_from_slice(&data);
        let central = z.len() as u32;
        z.extend_from_slice(b"PK\x01\x02\x14\x00\x14\x00\x01\x00\x00\x00\x00\x00\x00\x00");
        z.extend_from_slice(&0u32.to_le_bytes());
        z.extend_from_slice(&(data.len() as u32).to_le_bytes());
        z.extend_from_slice(&1u32.to_le_bytes());
        z.extend_from_slice(&(name.len() as u16).to_le_bytes());
        z.extend_from_slice(&[0u8; 12]);
        z.extend_from_slice(&0u32.to_le_bytes()); // local header offset
        z.extend_from_slice(name);
        let size = z.len() as u32 - central;
        z.extend_from_slice(b"PK\x05\x06\x00\x00\x00\x00\x01\x00\x01\x00");
        z.extend_from_slice(&size.to_le_bytes());
        z.extend_from_slice(&central.to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z
    }

    /// The real daemon on the project's database (scripts/install-scanner.sh, which the test
    /// script runs first): what each kind of content gets, through the streaming client.
    #[tokio::test]
    async fn clamd_judges_streamed_bytes() {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let (clamd, db) = preflight(&root).expect("scripts/install-scanner.sh has run");
        let d = Daemon::start(&clamd, &db).await.unwrap();
        let eicar = EICAR.as_bytes();
        assert_eq!(scan(&d, &[b"just text\n"]).await, Reply::Clean);
        assert_eq!(scan(&d, &[]).await, Reply::Clean);
        assert_eq!(
            scan(&d, &[eicar]).await,
            Reply::Found("Dropgate.Test.EICAR.UNOFFICIAL".into())
        );
        // Split across chunks: the signature is matched on the stream, not per chunk.
        assert_eq!(
            scan(&d, &[&eicar[..30], &eicar[30..]]).await,
            Reply::Found("Dropgate.Test.EICAR.UNOFFICIAL".into())
        );
        let marked = format!("{}{TEST_MARKER} in the middle", "x".repeat(100_000));
        assert_eq!(
            scan(&d, &[marked.as_bytes()]).await,
            Reply::Found("Dropgate.Test.Marker.UNOFFICIAL".into())
        );
        assert_eq!(
            scan(&d, &[TEST_HEADER.as_bytes(), b" at the start"]).await,
            Reply::Found("Dropgate.Test.Header.UNOFFICIAL".into())
        );
        let late_header = format!("not first: {TEST_HEADER}");
        assert_eq!(scan(&d, &[late_header.as_bytes()]).await, Reply::Clean);
        match scan(&d, &[&encrypted_zip()]).await {
            Reply::Found(name) => assert!(name.starts_with("Heuristics.Encrypted"), "{name}"),
            other => panic!("an encrypted archive is flagged, got {other:?}"),
        }
        let socket = d.socket.clone();
        d.stop().await;
        assert!(!ping(&socket).await, "stopped");
    }
}
