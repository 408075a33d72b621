//! The AWS emulator (moto server): installed into `.venv/` when missing, started on a free
//! loopback port, stopped with its parent (it exits when its stdin closes).

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

use crate::error::LocalError;

/// The launcher: the Cognito and TOTP mends, the HTTP server's handler, the direct item read,
/// then the rest and `main` (joined, as `python -c` runs one text).
const LAUNCHER: &str = concat!(
    include_str!("../emulator_cognito.py"),
    "\n",
    include_str!("../emulator_totp.py"),
    "\n",
    include_str!("../emulator_http.py"),
    "\n",
    include_str!("../emulator_reads.py"),
    "\n",
    include_str!("../emulator.py")
);
const REQUIREMENTS: &str = "requirements-emulator.txt";

/// The project root: `DROPGATE_ROOT`, else the workspace this binary was built from.
pub fn project_root() -> PathBuf {
    std::env::var_os("DROPGATE_ROOT")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
}

fn venv_python(root: &Path) -> PathBuf {
    root.join(".venv").join("bin").join("python")
}

async fn has_moto(python: &Path) -> bool {
    Command::new(python)
        .args(["-c", "import moto.server"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .is_ok_and(|s| s.success())
}

async fn run(cmd: &mut Command, what: &str) -> Result<(), LocalError> {
    let status = cmd
        .stdout(Stdio::null())
        .status()
        .await
        .map_err(|e| LocalError::Emulator(format!("{what}: {e}")))?;
    if status.success() {
        Ok(())
    } else {
        Err(LocalError::Emulator(format!("{what} failed ({status})")))
    }
}

/// Installs moto into `.venv/` unless it is there. Concurrent callers wait for one another
/// through a lock directory.
pub async fn ensure_installed(root: &Path) -> Result<PathBuf, LocalError> {
    let python = venv_python(root);
    if has_moto(&python).await {
        return Ok(python);
    }
    let lock = root.join(".venv.lock");
    let mut waited = 0;
    while std::fs::create_dir(&lock).is_err() {
        if waited > 600 {
            return Err(LocalError::Emulator(format!(
                "{} is held; remove it if stale",
                lock.display()
            )));
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
        waited += 1;
        if has_moto(&python).await {
            return Ok(python);
        }
    }
    let result = async {
        tracing::info!("installing the AWS emulator into .venv/ (once)");
        if !python.exists() {
            run(
                Command::new("python3")
                    .args(["-m", "venv"])
                    .arg(root.join(".venv")),
                "python3 -m venv .venv",
            )
            .await?;
        }
        run(
            Command::new(&python)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "-r",
                ])
                .arg(root.join(REQUIREMENTS)),
            "pip install -r requirements-emulator.txt",
        )
        .await
    }
    .await;
    if let Err(e) = std::fs::remove_dir(&lock) {
        tracing::warn!(lock = %lock.display(), error = %e, "cannot remove the install lock; remove it by hand");
    }
    result.map(|_| python)
}

/// A running emulator; dropping it stops it.
pub struct Emulator {
    pub endpoint: String,
    child: Child,
}

impl Emulator {
    pub async fn start(root: &Path) -> Result<Self, LocalError> {
        let python = ensure_installed(root).await?;
        let mut child = Command::new(python)
            .args(["-c", LAUNCHER, "127.0.0.1"])
            // moto checks TOTP codes only with this (against its one fixed secret).
            .env("MOTO_COGNITO_IDP_USER_POOL_ENABLE_TOTP", "true")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| LocalError::Emulator(format!("cannot start the emulator: {e}")))?;
        let stdout = child
            .stdout
            .take()
            .ok_or_else(|| LocalError::Emulator("no stdout".into()))?;
        let mut lines = BufReader::new(stdout).lines();
        let line = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
            .await
            .map_err(|_| LocalError::Emulator("the emulator did not start within 60 s".into()))?
            .map_err(|e| LocalError::Emulator(e.to_string()))?
            .ok_or_else(|| LocalError::Emulator("the emulator exited at start".into()))?;
        let port = serde_json::from_str::<serde_json::Value>(&line)
            .ok()
            .and_then(|v| v["port"].as_u64())
            .ok_or_else(|| LocalError::Emulator(format!("unexpected emulator output: {line}")))?;
        Ok(Self {
            endpoint: format!("http://127.0.0.1:{port}"),
            child,
        })
    }

    /// The emulator's process id (for tests that freeze it with SIGSTOP).
    pub fn pid(&self) -> Option<u32> {
        self.child.id()
    }

    pub async fn stop(mut self) {
        if let Err(e) = self.child.kill().await {
            tracing::warn!(pid = ?self.child.id(), error = %e, "cannot stop the emulator");
        }
    }
}
