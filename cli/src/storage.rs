//! One PUT of a byte range of a local file to a presigned storage URL. The body is streamed
//! from disk in 64 KiB chunks, never a whole part in memory; a watchdog ends a request that
//! moved no byte for a minute (a dead network otherwise hangs a PUT for as long as TCP lets it).

use std::collections::BTreeMap;
use std::io::SeekFrom;
use std::ops::Range;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures_util::stream;
use reqwest::header::{CONTENT_LENGTH, HeaderMap, HeaderName, HeaderValue};
use tokio::io::{AsyncReadExt, AsyncSeekExt};

use crate::api::{cause, header};
use crate::error::{CliError, Result};
use crate::progress::FileBar;
use crate::retry;

/// Read from disk and handed to the network this much at a time.
pub const CHUNK: usize = 64 * 1024;
/// No byte sent (or, once all are, no answer) for this long: the attempt is given up.
pub const STALL: Duration = Duration::from_secs(60);

/// What one attempt came to.
pub enum Attempt {
    /// Storage answered.
    Answer {
        status: u16,
        etag: Option<String>,
        retry_after: Option<Duration>,
    },
    /// No answer: the connection failed or stalled. `retries` says whether another try can help.
    Lost { error: CliError, retries: bool },
}

/// What follows an attempt, for a caller that sends the same bytes again.
pub enum Next {
    /// Stored; the ETag, when storage gave one.
    Stored(Option<String>),
    /// The presigned URL expired or was refused (403).
    NewUrl,
    /// Wait this long, then try again; `why` says so in words.
    Again { wait: Duration, why: String },
}

impl Attempt {
    /// What try number `attempt` under `policy` leads to; an error when nothing more can help.
    pub fn next(self, attempt: u32, policy: &retry::Backoff) -> Result<Next> {
        match self {
            Attempt::Answer {
                status,
                etag,
                retry_after,
            } => match retry::storage_answer(status) {
                retry::StorageAnswer::Done => Ok(Next::Stored(etag)),
                retry::StorageAnswer::NewUrl => Ok(Next::NewUrl),
                retry::StorageAnswer::Retry if policy.allows_another(attempt) => {
                    let wait =
                        retry_after.unwrap_or_else(|| policy.delay(attempt, fastrand::f64()));
                    let why = format!(
                        "storage answered HTTP {status}; trying again in {:.1} s",
                        wait.as_secs_f64()
                    );
                    Ok(Next::Again { wait, why })
                }
                _ => Err(CliError::Storage { status }),
            },
            Attempt::Lost { error, retries } => {
                if !(retries && policy.allows_another(attempt)) {
                    return Err(error);
                }
                let wait = policy.delay(attempt, fastrand::f64());
                let why = format!("{error} Trying again in {:.1} s", wait.as_secs_f64());
                Ok(Next::Again { wait, why })
            }
        }
    }
}

/// When a body last moved, shared by its stream and the watchdog.
struct Activity {
    start: Instant,
    last_ms: AtomicU64,
    sent: AtomicU64,
}

impl Activity {
    fn new() -> Arc<Self> {
        Arc::new(Self {
            start: Instant::now(),
            last_ms: AtomicU64::new(0),
            sent: AtomicU64::new(0),
        })
    }

    fn touch(&self, n: u64) {
        self.sent.fetch_add(n, Ordering::Relaxed);
        let ms = self.start.elapsed().as_millis() as u64;
        self.last_ms.store(ms, Ordering::Relaxed);
    }

    fn idle(&self) -> Duration {
        let last = Duration::from_millis(self.last_ms.load(Ordering::Relaxed));
        self.start.elapsed().saturating_sub(last)
    }
}

/// PUTs `range` of the file at `path` to `url` with exactly `headers` (plus the range's
/// `content-length` when they leave it out). Progress goes to `bar`; what this attempt added is
/// taken back when it fails, since those bytes will be sent again.
pub async fn put_range(
    http: &reqwest::Client,
    url: &str,
    headers: &BTreeMap<String, String>,
    path: &Path,
    range: Range<u64>,
    bar: &FileBar,
) -> Result<Attempt> {
    let len = range.end - range.start;
    let mut file = tokio::fs::File::open(path)
        .await
        .map_err(|e| CliError::io(path, e))?;
    file.seek(SeekFrom::Start(range.start))
        .await
        .map_err(|e| CliError::io(path, e))?;
    let activity = Activity::new();
    let body = body_stream(file, len, bar.clone(), activity.clone());

    let mut map = HeaderMap::new();
    for (k, v) in headers {
        let name = HeaderName::from_bytes(k.as_bytes());
        let value = HeaderValue::from_str(v);
        let (Ok(name), Ok(value)) = (name, value) else {
            return Err(CliError::Protocol {
                api: "storage".into(),
                status: 0,
            });
        };
        map.insert(name, value);
    }
    // With a known length hyper sends the stream as is, not chunked (S3 signs the length).
    map.entry(CONTENT_LENGTH).or_insert(HeaderValue::from(len));

    let request = http.put(url).headers(map).body(body).send();
    let outcome = watch(request, &activity).await;
    let attempt = match outcome {
        Some(Ok(resp)) => {
            let status = resp.status().as_u16();
            let etag = header(&resp, "etag").map(|e| e.trim_matches('"').to_owned());
            let retry_after = retry::retry_after(header(&resp, "retry-after"));
            // Drain the (small) answer so the connection can be reused.
            let _ = resp.bytes().await;
            Attempt::Answer {
                status,
                etag,
                retry_after,
            }
        }
        Some(Err(e)) => Attempt::Lost {
            retries: retry::network_error_retries(&e),
            error: CliError::StorageUnreachable { cause: cause(&e) },
        },
        None => Attempt::Lost {
            error: CliError::Stalled {
                secs: STALL.as_secs(),
            },
            retries: true,
        },
    };
    let succeeded =
        matches!(attempt, Attempt::Answer { status, .. } if (200..300).contains(&status));
    if !succeeded {
        bar.take_back(activity.sent.load(Ordering::Relaxed));
    }
    Ok(attempt)
}

/// `len` bytes from `file`'s current position, `CHUNK` at a time.
fn body_stream(
    file: tokio::fs::File,
    len: u64,
    bar: FileBar,
    activity: Arc<Activity>,
) -> reqwest::Body {
    let chunks = stream::try_unfold((file, len), move |(mut file, left)| {
        let bar = bar.clone();
        let activity = activity.clone();
        async move {
            if left == 0 {
                return Ok(None);
            }
            let want = usize::try_from(left).unwrap_or(CHUNK).min(CHUNK);
            let mut buf = vec![0u8; want];
            let n = file.read(&mut buf).await?;
            if n == 0 {
                return Err(std::io::Error::new(
                    std::io::ErrorKind::UnexpectedEof,
                    "the file got shorter during the upload",
                ));
            }
            buf.truncate(n);
            bar.add(n as u64);
            activity.touch(n as u64);
            Ok::<_, std::io::Error>(Some((buf, (file, left - n as u64))))
        }
    });
    reqwest::Body::wrap_stream(chunks)
}

/// Runs `fut` until it ends or the body has been idle for [`STALL`].
async fn watch<F: Future>(fut: F, activity: &Activity) -> Option<F::Output> {
    tokio::pin!(fut);
    loop {
        let left = STALL.saturating_sub(activity.idle());
        if left.is_zero() {
            return None;
        }
        tokio::select! {
            out = &mut fut => return Some(out),
            _ = tokio::time::sleep(left) => {}
        }
    }
}
