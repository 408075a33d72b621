//! What the local HTTP server allows a client, from raw TCP clients: a request body that never
//! arrives is cut after LOCAL_BODY_TIMEOUT_MS (408 body_timeout) while the server keeps
//! answering others; a client that never reads its answer is cut after the same time; beyond
//! LOCAL_MAX_CONNECTIONS a connection is answered 503 busy at once and closed. Every wait is
//! bounded.

use crate::common;
use crate::e2e_server::{assert_ok, authority, connect, health, read_response, until_closed};

use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use common::LocalStack;
use dropgate_local::server::{self, Limits};
use hyper::body::Frame;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::sync::watch;

/// Room for a loaded machine on top of a timeout.
const SLACK: Duration = Duration::from_secs(3);

/// Sends the headers of a 1000-byte JSON body and 8 bytes of it, then nothing.
async fn start_slow_body(api: &str, host: &str) -> (TcpStream, Instant) {
    let mut conn = connect(api).await;
    let req = format!(
        "POST /files HTTP/1.1\r\nHost: {host}\r\nContent-Type: application/json\r\n\
         Content-Length: 1000\r\n\r\n{{\"name\":"
    );
    conn.write_all(req.as_bytes()).await.expect("write");
    (conn, Instant::now())
}

/// True while `conn` has neither an answer nor an end waiting to be read.
fn still_waiting(conn: &TcpStream) -> bool {
    let mut buf = [0u8; 64];
    matches!(conn.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

/// One `GET /health` on a new connection, timed.
async fn timed_health(api: &str, host: &str) -> Duration {
    let started = Instant::now();
    let mut conn = connect(api).await;
    let (head, body) = health(&mut conn, host).await;
    assert_ok(&head, &body);
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_bodies_are_cut_and_health_answers_while_300_hang() {
    // Long enough that all 300 are surely still hanging while /health is asked.
    const BODY_MS: u64 = 4000;
    const HANGING: usize = 300;
    let body_timeout = Duration::from_millis(BODY_MS);
    let stack = LocalStack::start_with(&[("LOCAL_BODY_TIMEOUT_MS", &BODY_MS.to_string())]).await;
    let host = authority(&stack.api);

    let idle = timed_health(&stack.api, &host).await;

    let mut hanging = Vec::with_capacity(HANGING);
    for _ in 0..HANGING {
        hanging.push(start_slow_body(&stack.api, &host).await);
    }
    let first_sent = hanging[0].1;
    println!(
        "{HANGING} slow bodies started in {:?}",
        first_sent.elapsed()
    );

    let busy = timed_health(&stack.api, &host).await;
    println!(
        "GET /health: {idle:?} idle, {busy:?} while {HANGING} bodies hang ({:.1}x)",
        busy.as_secs_f64() / idle.as_secs_f64().max(1e-6)
    );
    // Within a second, unless the machine is so loaded that an idle /health is slow too (then
    // twenty idle ones); never past 5 s, a generous bound for a shared CI machine.
    let bound = Duration::from_secs(1)
        .max(idle * 20)
        .min(Duration::from_secs(5));
    assert!(
        busy < bound,
        "GET /health took {busy:?} (bound {bound:?}) while {HANGING} bodies hang"
    );
    assert!(
        first_sent.elapsed() < body_timeout,
        "the test was too slow: the first slow body may have been cut before /health was asked"
    );
    let waiting = hanging.iter().filter(|(c, _)| still_waiting(c)).count();
    assert_eq!(waiting, HANGING, "all slow bodies were still hanging then");

    // Each is answered 408 and closed after the timeout, not before.
    let mut cut = tokio::task::JoinSet::new();
    for (mut conn, sent) in hanging {
        cut.spawn(async move {
            let (_, got) = until_closed(&mut conn, body_timeout + SLACK).await;
            (sent.elapsed(), String::from_utf8_lossy(&got).into_owned())
        });
    }
    let mut slowest = Duration::ZERO;
    while let Some(done) = cut.join_next().await {
        let (took, got) = done.expect("join");
        assert!(
            took >= body_timeout,
            "cut after {took:?}, before the timeout"
        );
        assert!(got.starts_with("HTTP/1.1 408"), "{got}");
        assert!(got.contains("\"code\":\"body_timeout\""), "{got}");
        assert!(
            got.to_ascii_lowercase().contains("connection: close"),
            "{got}"
        );
        slowest = slowest.max(took);
    }
    println!("{HANGING} slow bodies cut with 408, the last after {slowest:?}");

    // And the server serves on.
    timed_health(&stack.api, &host).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_the_connection_cap_a_connection_gets_503_at_once() {
    const CAP: usize = 3;
    let stack = LocalStack::start_with(&[("LOCAL_MAX_CONNECTIONS", &CAP.to_string())]).await;
    let host = authority(&stack.api);

    // CAP keep-alive connections, each served once, so each surely holds its slot.
    let mut held = Vec::new();
    for _ in 0..CAP {
        let mut conn = connect(&stack.api).await;
        let (head, body) = health(&mut conn, &host).await;
        assert_ok(&head, &body);
        held.push(conn);
    }

    // One more: answered without even asking, at once, and closed.
    let mut extra = connect(&stack.api).await;
    let (took, got) = until_closed(&mut extra, Duration::from_secs(2)).await;
    let got = String::from_utf8_lossy(&got).into_owned();
    println!("connection beyond the cap: answered and closed after {took:?}");
    let (head, body) = got.split_once("\r\n\r\n").expect("a whole answer");
    let head = head.to_ascii_lowercase();
    assert!(head.starts_with("http/1.1 503"), "{got}");
    assert!(head.contains("retry-after: 1"), "{got}");
    assert!(head.contains("content-type: application/json"), "{got}");
    let v: serde_json::Value = serde_json::from_str(body).expect("JSON body");
    assert_eq!(v["error"]["code"], "busy", "{v}");
    assert!(v["error"]["message"].is_string(), "{v}");

    // One that asks reads the same answer, as an HTTP client would.
    let mut asking = connect(&stack.api).await;
    asking
        .write_all(format!("GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
        .await
        .expect("write");
    let (head, body) = tokio::time::timeout(Duration::from_secs(2), read_response(&mut asking))
        .await
        .expect("answered within 2 s");
    assert!(head.starts_with("http/1.1 503"), "{head}");
    assert!(body.contains("\"busy\""), "{body}");

    // The held ones still work; closing one frees its slot.
    let (head, body) = health(&mut held[0], &host).await;
    assert_ok(&head, &body);
    drop(held.pop());
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let mut conn = connect(&stack.api).await;
        conn.write_all(format!("GET /health HTTP/1.1\r\nHost: {host}\r\n\r\n").as_bytes())
            .await
            .expect("write");
        let (head, body) = tokio::time::timeout(Duration::from_secs(5), read_response(&mut conn))
            .await
            .expect("answered within 5 s");
        if head.starts_with("http/1.1 200") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "no slot freed within 10 s: {head}{body}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// An endless response body that records when it is dropped (its connection closed).
struct Endless {
    sent: Arc<AtomicUsize>,
    dropped: Arc<Mutex<Option<Instant>>>,
}

static CHUNK: [u8; 64 * 1024] = [b'x'; 64 * 1024];

impl hyper::body::Body for Endless {
    type Data = Bytes;
    type Error = std::convert::Infallible;

    fn poll_frame(
        self: Pin<&mut Self>,
        _: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        self.sent.fetch_add(CHUNK.len(), Ordering::Relaxed);
        Poll::Ready(Some(Ok(Frame::data(Bytes::from_static(&CHUNK)))))
    }
}

impl Drop for Endless {
    fn drop(&mut self) {
        *self.dropped.lock().unwrap() = Some(Instant::now());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_that_reads_nothing_is_cut_after_the_body_timeout() {
    // The server alone, in this process, over a router that answers with an endless body: no
    // route of the API answers with enough bytes to fill the sockets' buffers.
    let body_timeout = Duration::from_millis(500);
    let sent = Arc::new(AtomicUsize::new(0));
    let dropped = Arc::new(Mutex::new(None));
    let (s, d) = (sent.clone(), dropped.clone());
    let app = axum::Router::new()
        .route(
            "/endless",
            axum::routing::get(move || {
                let (sent, dropped) = (s.clone(), d.clone());
                async move { Body::new(Endless { sent, dropped }) }
            }),
        )
        .route(
            "/finite",
            axum::routing::get(|| async { vec![b'y'; 4 << 20] }),
        );
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (stop, stopped) = watch::channel(false);
    let limits = Limits {
        body: body_timeout,
        ..Limits::default()
    };
    let served = tokio::spawn(server::run(listener, app, limits, stopped));

    // A reader slower than the timeout in all, but never stalled that long, gets all of it.
    let mut reader = TcpStream::connect(addr).await.expect("connect");
    reader
        .write_all(b"GET /finite HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        .await
        .expect("write");
    let started = Instant::now();
    let mut got = Vec::new();
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = tokio::time::timeout(Duration::from_secs(10), reader.read(&mut buf))
            .await
            .expect("read within 10 s")
            .expect("read");
        if n == 0 {
            break;
        }
        got.extend_from_slice(&buf[..n]);
        tokio::time::sleep(body_timeout / 5).await;
    }
    assert!(got.ends_with(&[b'y'; 1024]), "the finite answer was cut");
    assert!(got.len() > 4 << 20, "{} bytes", got.len());
    println!(
        "a slow reader got {} bytes over {:?}",
        got.len(),
        started.elapsed()
    );

    // A client with a small receive window that asks and never reads.
    let socket = TcpSocket::new_v4().expect("socket");
    socket.set_recv_buffer_size(4096).expect("rcvbuf");
    let mut deaf = socket.connect(addr).await.expect("connect");
    deaf.write_all(b"GET /endless HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .expect("write");
    let asked = Instant::now();
    let within = body_timeout + SLACK + Duration::from_secs(2);
    let closed_at = loop {
        if let Some(at) = *dropped.lock().unwrap() {
            break at;
        }
        assert!(
            asked.elapsed() < within,
            "the connection of a client that reads nothing is still open after {within:?} \
             ({} bytes produced)",
            sent.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let took = closed_at - asked;
    println!(
        "a client that reads nothing: cut after {took:?}, {} bytes produced",
        sent.load(Ordering::Relaxed)
    );
    assert!(
        took >= body_timeout,
        "cut after {took:?}, before the timeout"
    );
    drop(deaf);

    stop.send(true).expect("stop");
    tokio::time::timeout(Duration::from_secs(10), served)
        .await
        .expect("stops within 10 s")
        .expect("join");
}
