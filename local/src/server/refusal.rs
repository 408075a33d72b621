//! The answer to a connection beyond the cap: a whole `503 busy` in the API's error shape, right
//! away, then the connection closed, so that a client at the cap learns it at once instead of
//! waiting in the accept queue.

use std::io;
use std::time::Duration;

use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// The longest a refused connection is kept: to write the answer, then to read what the client
/// had sent until it closes (closing with unread bytes would reset the connection and could lose
/// the answer on the client's side).
pub const LINGER: Duration = Duration::from_secs(2);
/// Refused connections being answered at once; beyond, a new one is closed without an answer, so
/// that a flood of them costs bounded memory.
pub const AT_ONCE: usize = 64;
/// At most this much of a refused client's request is read (and thrown away).
const DRAIN_BYTES: usize = 64 * 1024;
/// What `Retry-After` asks of a refused client, in seconds.
pub const RETRY_AFTER_SECS: u64 = 1;

/// The whole HTTP/1.1 answer: status line, headers, JSON body.
pub fn busy_response() -> Vec<u8> {
    let body = json!({"error": {
        "code": "busy",
        "message": "the server is serving as many connections as it allows; retry shortly",
        "retry_after": RETRY_AFTER_SECS,
    }})
    .to_string();
    format!(
        "HTTP/1.1 503 Service Unavailable\r\n\
         content-type: application/json\r\n\
         content-length: {}\r\n\
         retry-after: {RETRY_AFTER_SECS}\r\n\
         cache-control: no-store\r\n\
         x-content-type-options: nosniff\r\n\
         connection: close\r\n\
         \r\n\
         {body}",
        body.len()
    )
    .into_bytes()
}

/// Answers `503 busy` and closes, within [`LINGER`] whatever the client does.
pub async fn answer(mut stream: TcpStream) {
    let answered = tokio::time::timeout(LINGER, async {
        stream.write_all(&busy_response()).await?;
        stream.shutdown().await?;
        let mut buf = [0u8; 4096];
        let mut read = 0;
        while read < DRAIN_BYTES {
            match stream.read(&mut buf).await? {
                0 => break,
                n => read += n,
            }
        }
        Ok::<_, io::Error>(())
    })
    .await;
    if let Ok(Err(e)) = answered {
        tracing::debug!(error = %e, "refused connection ended early");
    }
}

#[cfg(test)]
mod tests {
    use super::busy_response;

    #[test]
    fn the_answer_is_a_whole_503_in_the_api_error_shape() {
        let r = String::from_utf8(busy_response()).unwrap();
        let (head, body) = r.split_once("\r\n\r\n").unwrap();
        assert!(head.starts_with("HTTP/1.1 503 "), "{head}");
        assert!(head.contains("\r\nconnection: close"), "{head}");
        assert!(head.contains("\r\nretry-after: 1"), "{head}");
        assert!(
            head.contains(&format!("\r\ncontent-length: {}", body.len())),
            "{head}"
        );
        let v: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(v["error"]["code"], "busy");
        assert_eq!(v["error"]["retry_after"], 1);
        assert!(v["error"]["message"].is_string());
    }
}
