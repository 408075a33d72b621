//! `--listen` on an address other machines may reach warns, on stderr and in the JSON log, that
//! anyone who can reach the port can mint tokens. The runs point `--aws-endpoint` at a closed
//! port, so the stack fails at provisioning, before it serves anything, and is killed as soon as
//! the warning is read: nothing is ever served beyond loopback.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Command;

/// A loopback port nothing listens on.
async fn closed_port() -> u16 {
    let l = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    l.local_addr().expect("addr").port()
}

/// Runs dropgate-local with `--listen listen`; returns its stderr lines, read until both the
/// plain and the logged warning came (then the process is killed at once) or it exited.
async fn stderr_of(listen: &str) -> Vec<String> {
    let endpoint = format!("http://127.0.0.1:{}", closed_port().await);
    let mut child = Command::new(env!("CARGO_BIN_EXE_dropgate-local"))
        .args(["--listen", listen, "--aws-endpoint", &endpoint])
        .env("AWS_LAMBDA_LOG_FORMAT", "JSON")
        .env("RUST_LOG", "info")
        .env_remove("AWS_LAMBDA_LOG_LEVEL")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stderr.take().expect("stderr")).lines();
    let mut got = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("read stderr") {
            got.push(line);
            let plain = got.iter().any(|l| l.starts_with("dropgate-local: WARNING"));
            let logged = got
                .iter()
                .any(|l| l.starts_with('{') && l.contains("mint tokens"));
            if plain && logged {
                break;
            }
        }
    })
    .await;
    child.start_kill().ok();
    let _ = tokio::time::timeout(Duration::from_secs(10), child.wait()).await;
    assert!(
        read.is_ok(),
        "neither a warning nor an exit within 60 s: {got:?}"
    );
    got
}

#[tokio::test]
async fn listening_beyond_loopback_warns_that_anyone_can_mint_tokens() {
    let lines = stderr_of("0.0.0.0:0").await;
    let plain = lines
        .iter()
        .find(|l| l.starts_with("dropgate-local: WARNING"))
        .unwrap_or_else(|| panic!("no warning on stderr: {lines:?}"));
    assert!(plain.contains("0.0.0.0:"), "{plain}");
    assert!(plain.contains("signing key is public"), "{plain}");
    assert!(
        plain.contains("anyone who can reach this port can mint tokens"),
        "{plain}"
    );
    let logged: serde_json::Value = lines
        .iter()
        .filter(|l| l.starts_with('{'))
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| {
            v["message"]
                .as_str()
                .is_some_and(|m| m.contains("mint tokens"))
        })
        .unwrap_or_else(|| panic!("no warning in the JSON log: {lines:?}"));
    assert_eq!(logged["level"], "WARN", "{logged}");
    assert!(
        logged["listen"]
            .as_str()
            .is_some_and(|a| a.starts_with("0.0.0.0:")),
        "{logged}"
    );
}

#[tokio::test]
async fn listening_on_loopback_warns_of_nothing() {
    let lines = stderr_of("127.0.0.1:0").await;
    // It ran to its provisioning error: the warning, had there been one, came before.
    assert!(
        lines.iter().any(|l| l.contains("provisioning")),
        "did not get as far as provisioning: {lines:?}"
    );
    assert!(
        !lines
            .iter()
            .any(|l| l.contains("WARNING") || l.contains("mint tokens")),
        "{lines:?}"
    );
}
