//! A client of clamd's socket protocol: `zPING`, and `zINSTREAM` fed chunk by chunk (each
//! length-prefixed, u32 big-endian; a zero length ends the stream), so an object of any size
//! passes through with one chunk in memory at a time.

use std::path::Path;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

/// What clamd said of a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    Clean,
    Found(String),
    /// clamd refused the stream for its size (`StreamMaxLength`).
    TooLarge,
    Error(String),
}

impl Reply {
    pub fn parse(raw: &str) -> Self {
        let line = raw.trim_end_matches(['\0', '\n']).trim();
        let body = line.strip_prefix("stream:").map(str::trim).unwrap_or(line);
        if body == "OK" {
            Self::Clean
        } else if let Some(name) = body.strip_suffix(" FOUND") {
            Self::Found(name.trim().to_owned())
        } else if body.contains("size limit exceeded") {
            Self::TooLarge
        } else {
            Self::Error(body.trim_end_matches(" ERROR").to_owned())
        }
    }
}

/// Whether clamd answers `PONG` on `socket`.
pub async fn ping(socket: &Path) -> bool {
    async {
        let mut s = UnixStream::connect(socket).await?;
        s.write_all(b"zPING\0").await?;
        read_reply(&mut s).await
    }
    .await
    .is_ok_and(|r| r.trim_end_matches('\0') == "PONG")
}

/// One `zINSTREAM` session: `send` each chunk, then `finish` for the verdict.
pub struct Instream {
    socket: UnixStream,
}

impl Instream {
    pub async fn open(socket: &Path) -> std::io::Result<Self> {
        let mut socket = UnixStream::connect(socket).await?;
        socket.write_all(b"zINSTREAM\0").await?;
        Ok(Self { socket })
    }

    /// Sends one chunk. An error may mean clamd closed the stream early with a reply (its size
    /// limit): `finish` still reads it.
    pub async fn send(&mut self, chunk: &[u8]) -> std::io::Result<()> {
        // clamd takes chunks up to its StreamMaxLength; a u32 prefix bounds each one anyway.
        for piece in chunk.chunks(u32::MAX as usize) {
            self.socket
                .write_all(&(piece.len() as u32).to_be_bytes())
                .await?;
            self.socket.write_all(piece).await?;
        }
        Ok(())
    }

    pub async fn finish(mut self) -> std::io::Result<Reply> {
        // Ignored: when clamd already replied and closed, the reply below is what counts.
        let _ = self.socket.write_all(&0u32.to_be_bytes()).await;
        read_reply(&mut self.socket).await.map(|r| Reply::parse(&r))
    }

    /// After a failed `send`: whatever clamd said before closing, if anything.
    pub async fn reply_after_failure(mut self) -> Option<Reply> {
        read_reply(&mut self.socket)
            .await
            .ok()
            .filter(|r| !r.is_empty())
            .map(|r| Reply::parse(&r))
    }
}

/// Reads up to the terminating NUL (or the end); replies are one short line.
async fn read_reply(s: &mut UnixStream) -> std::io::Result<String> {
    let mut reply = Vec::new();
    let mut buf = [0u8; 512];
    loop {
        let n = s.read(&mut buf).await?;
        reply.extend_from_slice(&buf[..n]);
        if n == 0 || reply.contains(&0) || reply.len() > 64 * 1024 {
            break;
        }
    }
    Ok(String::from_utf8_lossy(&reply).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replies_are_read() {
        assert_eq!(Reply::parse("stream: OK\0"), Reply::Clean);
        assert_eq!(
            Reply::parse("stream: Dropgate.Test.EICAR.UNOFFICIAL FOUND\0"),
            Reply::Found("Dropgate.Test.EICAR.UNOFFICIAL".into())
        );
        assert_eq!(
            Reply::parse("INSTREAM size limit exceeded. ERROR\0"),
            Reply::TooLarge
        );
        assert_eq!(
            Reply::parse("stream: Can't allocate memory ERROR\0"),
            Reply::Error("Can't allocate memory".into())
        );
        assert_eq!(Reply::parse(""), Reply::Error(String::new()));
    }
}
