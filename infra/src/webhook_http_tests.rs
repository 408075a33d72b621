use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use std::str::FromStr;

use super::*;

/// A receiver on loopback that answers every request with `answer` and counts connections;
/// the last request's head (request line and headers) is kept.
async fn receiver(answer: &'static str) -> (u16, Arc<AtomicUsize>, Arc<std::sync::Mutex<String>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let count = Arc::new(AtomicUsize::new(0));
    let seen = Arc::new(std::sync::Mutex::new(String::new()));
    let (c, s) = (count.clone(), seen.clone());
    tokio::spawn(async move {
        while let Ok((mut sock, _)) = listener.accept().await {
            c.fetch_add(1, Ordering::SeqCst);
            let mut buf = vec![0u8; 16 * 1024];
            let n = sock.read(&mut buf).await.unwrap_or(0);
            *s.lock().unwrap() = String::from_utf8_lossy(&buf[..n]).into_owned();
            let _ = sock.write_all(answer.as_bytes()).await;
            let _ = sock.shutdown().await;
        }
    });
    (port, count, seen)
}

const OK: &str = "HTTP/1.1 200 OK\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok";

#[tokio::test]
async fn a_loopback_receiver_gets_the_body_and_headers() {
    let (port, count, seen) = receiver(OK).await;
    let http = WebhookHttp::new(true).unwrap();
    let headers = [
        ("webhook-id", "e1".to_owned()),
        ("webhook-timestamp", "5".to_owned()),
    ];
    let a = http
        .post(
            &format!("http://127.0.0.1:{port}/hook"),
            &headers,
            "{\"x\":1}".into(),
        )
        .await;
    assert_eq!((a.status_code, a.error), (Some(200), None));
    assert_eq!(count.load(Ordering::SeqCst), 1);
    let head = seen.lock().unwrap().to_ascii_lowercase();
    assert!(head.starts_with("post /hook "), "{head}");
    assert!(head.contains("webhook-id: e1"), "{head}");
    assert!(head.contains("{\"x\":1}"), "{head}");
}

#[tokio::test]
async fn a_redirect_is_never_followed() {
    let (inside, inside_count, _) = receiver(OK).await;
    let redirect: &'static str = Box::leak(
        format!(
            "HTTP/1.1 302 Found\r\nlocation: http://127.0.0.1:{inside}/\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
        )
        .into_boxed_str(),
    );
    let (port, _, _) = receiver(redirect).await;
    let http = WebhookHttp::new(true).unwrap();
    let a = http
        .post(&format!("http://127.0.0.1:{port}/"), &[], String::new())
        .await;
    assert_eq!(a.status_code, Some(302));
    assert!(
        !a.unanswered,
        "an answer, even a failing one, does not stall"
    );
    assert_eq!(
        inside_count.load(Ordering::SeqCst),
        0,
        "the target was never reached"
    );
}

#[tokio::test]
async fn addresses_inside_are_refused_before_any_connection() {
    let (port, count, _) = receiver(OK).await;
    let refused = WebhookHttp::new(false).unwrap();
    for url in [
        format!("http://127.0.0.1:{port}/"),
        format!("https://127.0.0.1:{port}/"),
        format!("https://[::ffff:127.0.0.1]:{port}/"),
        format!("https://2130706433:{port}/"),
        format!("https://localhost:{port}/"),
    ] {
        let a = refused.post(&url, &[], String::new()).await;
        assert_eq!(a.status_code, None, "{url}");
        assert!(!a.unanswered, "{url}: refused before sending");
        assert!(a.error.unwrap().starts_with("refused"), "{url}");
    }
    assert_eq!(count.load(Ordering::SeqCst), 0, "no connection was made");
}

#[tokio::test]
async fn the_resolver_refuses_a_name_that_resolves_inside() {
    let r = CheckingResolver;
    let err = match r.resolve(Name::from_str("localhost").unwrap()).await {
        Ok(_) => panic!("localhost resolved through the checking resolver"),
        Err(e) => e.to_string(),
    };
    assert!(err.contains("loopback"), "{err}");
}

#[tokio::test]
async fn a_connection_that_fails_is_unanswered() {
    // A port nobody listens on any more: the connection is refused.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let a = WebhookHttp::new(true)
        .unwrap()
        .post(&format!("http://127.0.0.1:{port}/"), &[], String::new())
        .await;
    assert_eq!(a.status_code, None);
    assert!(a.unanswered, "{:?}", a.error);
    assert!(a.error.unwrap().starts_with("could not connect"));
}
