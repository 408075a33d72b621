//! The local HTTP server's connection handling, from a raw TCP client: the header-read timeout
//! (slowloris), the idle timeout of keep-alive connections, keep-alive itself, and stop closing
//! idle connections at once. The stack runs with small timeouts (LOCAL_HEADER_READ_TIMEOUT_MS,
//! LOCAL_IDLE_TIMEOUT_MS) so that the waits stay short; every wait is bounded.

use crate::common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::LocalStack;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::process::Command;

const HEADER_READ_MS: u64 = 500;
const IDLE_MS: u64 = 4000;
/// Room for a loaded machine on top of a timeout.
const SLACK: Duration = Duration::from_secs(3);

fn small_timeouts() -> [(&'static str, String); 2] {
    [
        ("LOCAL_HEADER_READ_TIMEOUT_MS", HEADER_READ_MS.to_string()),
        ("LOCAL_IDLE_TIMEOUT_MS", IDLE_MS.to_string()),
    ]
}

pub(crate) fn authority(api: &str) -> String {
    api.trim_start_matches("http://")
        .trim_end_matches('/')
        .to_owned()
}

pub(crate) async fn connect(api: &str) -> TcpStream {
    tokio::time::timeout(Duration::from_secs(5), TcpStream::connect(authority(api)))
        .await
        .expect("connects within 5 s")
        .expect("connect")
}

/// Reads until the server closes the connection (EOF or an error), at most `within`; returns
/// how long that took and whatever arrived meanwhile.
pub(crate) async fn until_closed(stream: &mut TcpStream, within: Duration) -> (Duration, Vec<u8>) {
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        let left = within
            .checked_sub(started.elapsed())
            .unwrap_or_else(|| panic!("connection still open after {within:?}"));
        match tokio::time::timeout(left, stream.read(&mut buf)).await {
            Err(_) => panic!(
                "connection still open after {within:?} (read so far: {:?})",
                String::from_utf8_lossy(&got)
            ),
            Ok(Ok(0)) | Ok(Err(_)) => return (started.elapsed(), got),
            Ok(Ok(n)) => got.extend_from_slice(&buf[..n]),
        }
    }
}

/// Sends `GET /health` (keep-alive) and reads one whole response; returns its status line and
/// headers (lowercased) and body.
pub(crate) async fn health(stream: &mut TcpStream, host: &str) -> (String, String) {
    let req = format!("GET /health HTTP/1.1\r\nHost: {host}\r\nUser-Agent: e2e-server\r\n\r\n");
    stream.write_all(req.as_bytes()).await.expect("write");
    tokio::time::timeout(Duration::from_secs(30), read_response(stream))
        .await
        .expect("a response within 30 s")
}

pub(crate) async fn read_response(stream: &mut TcpStream) -> (String, String) {
    let mut reader = BufReader::new(stream);
    let mut head = String::new();
    loop {
        let mut line = String::new();
        let n = reader.read_line(&mut line).await.expect("read head");
        assert!(n > 0, "closed mid-response; head so far: {head:?}");
        if line == "\r\n" {
            break;
        }
        head.push_str(&line.to_ascii_lowercase());
    }
    let length: usize = head
        .lines()
        .find_map(|l| l.strip_prefix("content-length:"))
        .map(|v| v.trim().parse().expect("content-length"))
        .unwrap_or_else(|| panic!("no content-length in {head:?}"));
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body).await.expect("read body");
    // The BufReader may only hold bytes of this response: nothing else was asked for.
    assert!(
        reader.buffer().is_empty(),
        "unexpected bytes after the body"
    );
    (head, String::from_utf8(body).expect("UTF-8 body"))
}

pub(crate) fn assert_ok(head: &str, body: &str) {
    assert!(head.starts_with("http/1.1 200"), "{head}{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_get_header_read_and_idle_timeouts() {
    let env = small_timeouts();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let stack = LocalStack::start_with(&env).await;
    let host = authority(&stack.api);
    let header_read = Duration::from_millis(HEADER_READ_MS);
    let idle = Duration::from_millis(IDLE_MS);
    let test_started = Instant::now();

    // Run concurrently: the whole test then lasts about one idle timeout.
    let normal = async {
        // An ordinary client still works (the handler sees the peer address, ConnectInfo).
        let (s, b) = stack
            .call(reqwest::Method::GET, "/health", None, None)
            .await;
        assert_eq!(s, 200, "{b}");
        // Keep-alive: one connection serves a second request after a pause longer than the
        // header-read timeout (the idle one applies between requests, not the header one).
        let mut conn = connect(&stack.api).await;
        let (head, body) = health(&mut conn, &host).await;
        assert_ok(&head, &body);
        tokio::time::sleep(header_read * 3).await;
        let (head, body) = health(&mut conn, &host).await;
        assert_ok(&head, &body);
        println!(
            "keep-alive: second request served after {:?} idle",
            header_read * 3
        );
    };

    let slowloris = async {
        // Half a request line, then nothing.
        let mut conn = connect(&stack.api).await;
        let sent = Instant::now();
        conn.write_all(b"GET /health HT").await.expect("write");
        let (_, got) = until_closed(&mut conn, header_read + SLACK).await;
        let took = sent.elapsed();
        assert!(
            took >= header_read,
            "closed after {took:?}, before the timeout"
        );
        assert!(
            !String::from_utf8_lossy(&got).contains("200 OK"),
            "answered a half request: {got:?}"
        );
        println!("half a request line: closed after {took:?}");
    };

    let trickle = async {
        // Headers one byte every 100 ms: each byte is in time, the whole head is not.
        let conn = connect(&stack.api).await;
        let (mut read, mut write) = conn.into_split();
        let sent = Instant::now();
        let writer = tokio::spawn(async move {
            let req = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\r\n\r\n";
            for b in req {
                if write.write_all(&[*b]).await.is_err() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        });
        let mut buf = [0u8; 1024];
        let outcome = tokio::time::timeout(header_read + SLACK, read.read(&mut buf)).await;
        let took = sent.elapsed();
        writer.abort();
        match outcome {
            Err(_) => panic!("trickled head: still open after {:?}", header_read + SLACK),
            Ok(Ok(0)) | Ok(Err(_)) => {}
            Ok(Ok(n)) => panic!(
                "trickled head answered: {:?}",
                String::from_utf8_lossy(&buf[..n])
            ),
        }
        assert!(
            took >= header_read,
            "closed after {took:?}, before the timeout"
        );
        assert!(
            took < idle,
            "closed after {took:?}: not by the header timeout"
        );
        println!("head trickled a byte per 100 ms: closed after {took:?}");
    };

    let idle_after_request = async {
        // One complete request, then an idle keep-alive connection.
        let mut conn = connect(&stack.api).await;
        let (head, body) = health(&mut conn, &host).await;
        assert_ok(&head, &body);
        let (took, got) = until_closed(&mut conn, idle + SLACK).await;
        assert!(got.is_empty(), "unexpected bytes: {got:?}");
        // The server's clock starts when the response ends, a little before ours.
        assert!(
            took + Duration::from_millis(250) >= idle,
            "closed after {took:?}, before the idle timeout"
        );
        println!("keep-alive idle after one request: closed after {took:?}");
    };

    let silent = async {
        // A connection that never sends a byte is idle, not a slow head.
        let mut conn = connect(&stack.api).await;
        let (took, _) = until_closed(&mut conn, idle + SLACK).await;
        assert!(
            took + Duration::from_millis(250) >= idle,
            "closed after {took:?}, before the idle timeout"
        );
        println!("silent connection: closed after {took:?}");
    };

    tokio::join!(normal, slowloris, trickle, idle_after_request, silent);
    println!("timeout checks took {:?}", test_started.elapsed());

    // The server is still serving after all that. On a new connection: the client's pooled
    // one went idle with the others and is being closed right now.
    let mut conn = connect(&stack.api).await;
    let (head, body) = health(&mut conn, &host).await;
    assert_ok(&head, &body);
}

/// Waits (at most 30 s) until process `pid` catches SIGTERM: dropgate-local installs its
/// handler only after printing the ready line, and a SIGTERM before that kills it outright.
async fn catches_sigterm(pid: u32) {
    let status = format!("/proc/{pid}/status");
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let Ok(text) = tokio::fs::read_to_string(&status).await else {
            // No procfs: give the handler a moment instead.
            tokio::time::sleep(Duration::from_secs(1)).await;
            return;
        };
        let caught = text
            .lines()
            .find_map(|l| l.strip_prefix("SigCgt:"))
            .and_then(|mask| u64::from_str_radix(mask.trim(), 16).ok())
            .is_some_and(|mask| mask & (1 << (15 - 1)) != 0);
        if caught {
            return;
        }
        assert!(Instant::now() < deadline, "no SIGTERM handler within 30 s");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_closes_idle_connections_at_once() {
    // Default timeouts: only the stop can close these connections within the test.
    let mut child = Command::new(env!("CARGO_BIN_EXE_dropgate-local"))
        .args(["--listen", "127.0.0.1:0"])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let line = tokio::time::timeout(Duration::from_secs(180), lines.next_line())
        .await
        .expect("ready within 180 s")
        .expect("read stdout")
        .expect("a ready line");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    let ready: serde_json::Value = serde_json::from_str(&line).expect("JSON ready line");
    let api = ready["api"].as_str().expect("api").to_owned();
    let host = authority(&api);

    let mut silent = connect(&api).await;
    let mut kept = connect(&api).await;
    let (head, body) = health(&mut kept, &host).await;
    assert_ok(&head, &body);

    let pid = child.id().expect("pid");
    catches_sigterm(pid).await;
    let pid = pid.to_string();
    let signalled = Instant::now();
    let status = Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .await
        .expect("kill");
    assert!(status.success());
    // Well within dropgate_local::server::SHUTDOWN_GRACE: not left to the grace period.
    let within = dropgate_local::server::SHUTDOWN_GRACE / 2;
    let (took_silent, _) = until_closed(&mut silent, within).await;
    let (took_kept, got) = until_closed(&mut kept, within).await;
    assert!(got.is_empty(), "unexpected bytes: {got:?}");
    println!(
        "after SIGTERM: silent connection closed after {took_silent:?}, idle keep-alive one \
         after {:?}",
        took_kept.max(took_silent)
    );
    let exit = tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("stops within 30 s")
        .expect("wait");
    assert!(exit.success(), "{exit:?}");
    println!("process exited {:?} after SIGTERM", signalled.elapsed());
}

#[tokio::test]
async fn a_malformed_timeout_variable_is_refused_at_start() {
    let out = tokio::time::timeout(
        Duration::from_secs(60),
        Command::new(env!("CARGO_BIN_EXE_dropgate-local"))
            .args(["--listen", "127.0.0.1:0"])
            .env("LOCAL_IDLE_TIMEOUT_MS", "soon")
            .stdin(Stdio::null())
            .kill_on_drop(true)
            .output(),
    )
    .await
    .expect("exits within 60 s")
    .expect("run");
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "printed a ready line");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("LOCAL_IDLE_TIMEOUT_MS"), "{stderr}");
}
