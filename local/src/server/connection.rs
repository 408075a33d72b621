//! Serving connections: accepting under the connection cap, one task per connection, each
//! watched by its timeouts ([`Limits`]), and the graceful stop. What each limit means is in the
//! parent module's doc.

use std::convert::Infallible;
use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::Body;
use axum::extract::ConnectInfo;
use hyper::body::{Frame, Incoming, SizeHint};
use hyper::server::conn::http1;
use hyper::service::Service as _;
use hyper_util::rt::TokioIo;
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, OwnedSemaphorePermit, Semaphore, watch};
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::limits::{BodyDeadline, Limits, SHUTDOWN_GRACE};
use super::refusal;

/// Serves `app` on `listener` until `stop` turns true (or its sender is gone), at most
/// `limits.max_connections` connections at once, each with `limits`' timeouts as the parent
/// module's doc describes; then shuts down gracefully, within [`SHUTDOWN_GRACE`]. Handlers see
/// the peer's address as `ConnectInfo<SocketAddr>` and the body's deadline as [`BodyDeadline`].
pub async fn run(
    listener: TcpListener,
    app: axum::Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
) {
    let mut connections = JoinSet::new();
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let refusing = Arc::new(Semaphore::new(refusal::AT_ONCE));
    loop {
        let accepted = tokio::select! {
            // An error means the sender is gone, which also means: stop.
            _ = stop.wait_for(|s| *s) => break,
            Some(_) = connections.join_next(), if !connections.is_empty() => continue,
            a = listener.accept() => a,
        };
        match accepted {
            Ok((stream, peer)) => match slots.clone().try_acquire_owned() {
                Ok(slot) => {
                    connections.spawn(connection(
                        stream,
                        peer,
                        app.clone(),
                        limits,
                        stop.clone(),
                        slot,
                    ));
                }
                // At the cap: answered at once rather than left waiting for a slot.
                Err(_) => match refusing.clone().try_acquire_owned() {
                    Ok(answering) => {
                        tracing::warn!(
                            %peer,
                            max_connections = limits.max_connections,
                            "API server: at the connection cap; 503 busy, connection closed"
                        );
                        // Bounded by refusal::LINGER; not joined at stop, it ends by itself.
                        tokio::spawn(async move {
                            refusal::answer(stream).await;
                            drop(answering);
                        });
                    }
                    Err(_) => {
                        tracing::warn!(
                            %peer,
                            "API server: at the connection cap, and answering as many refusals \
                             as it does at once; connection closed unanswered"
                        );
                        drop(stream);
                    }
                },
            },
            // The peer gave up before we accepted: nothing to do.
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::ConnectionAborted
                        | io::ErrorKind::ConnectionReset
                        | io::ErrorKind::ConnectionRefused
                ) => {}
            // Out of file descriptors and the like: back off rather than spin (as axum::serve).
            Err(e) => {
                tracing::error!(error = %e, "API server: accept failed");
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => break,
                    _ = tokio::time::sleep(Duration::from_secs(1)) => {}
                }
            }
        }
    }
    drop(listener);
    let drained = tokio::time::timeout(SHUTDOWN_GRACE, async {
        while connections.join_next().await.is_some() {}
    })
    .await;
    if drained.is_err() {
        tracing::warn!(
            connections = connections.len(),
            grace = ?SHUTDOWN_GRACE,
            "API server: requests still in flight after the grace period; dropped"
        );
        connections.shutdown().await;
    }
}

/// Serves one connection until it ends, a timeout closes it, or shutdown is done with it; its
/// `slot` under the connection cap is given back when it ends.
async fn connection(
    stream: TcpStream,
    peer: SocketAddr,
    app: axum::Router,
    limits: Limits,
    mut stop: watch::Receiver<bool>,
    slot: OwnedSemaphorePermit,
) {
    let _slot = slot;
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Watched {
        stream,
        activity: activity.clone(),
    });
    let app = TowerToHyperService::new(app);
    let in_flight = activity.clone();
    let svc = hyper::service::service_fn(move |mut req: axum::http::Request<Incoming>| {
        req.extensions_mut().insert(ConnectInfo(peer));
        req.extensions_mut()
            .insert(BodyDeadline(Instant::now() + limits.body));
        let done = in_flight.request_started();
        let response = app.call(req);
        async move {
            let response = response.await?;
            Ok::<_, Infallible>(response.map(|body| Tracked { body, _done: done }))
        }
    });
    // Timed here (module doc), so hyper's own header timer, on by default once a timer is set,
    // stays off.
    let conn = http1::Builder::new()
        .keep_alive(true)
        .header_read_timeout(None)
        .serve_connection(io, svc);
    tokio::pin!(conn);
    let mut stopping = false;
    loop {
        tokio::select! {
            ended = conn.as_mut() => {
                if let Err(e) = ended {
                    tracing::debug!(%peer, error = %e, "API connection ended");
                }
                return;
            }
            why = activity.expired(limits) => {
                if why == WRITE_TIMEOUT {
                    tracing::info!(%peer, why, "API connection closed: the client reads nothing");
                } else {
                    tracing::debug!(%peer, why, "API connection closed");
                }
                return;
            }
            _ = stop.wait_for(|s| *s), if !stopping => {
                stopping = true;
                if matches!(activity.phase(), Phase::Idle { .. }) {
                    return;
                }
                // Finishes the request in flight (or whose headers are arriving), then closes.
                conn.as_mut().graceful_shutdown();
            }
        }
    }
}

/// Why [`Activity::expired`] closes a connection whose response cannot be written.
const WRITE_TIMEOUT: &str = "write timeout";

/// Where a connection stands, for the timeouts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// No request in flight, no byte of a next one, since then.
    Idle { since: Instant },
    /// The first byte of a request arrived then; its headers are not complete yet.
    Head { since: Instant },
    /// This many requests are in flight (headers read, response body not yet written).
    Busy { requests: usize },
}

/// What the timeouts watch: the phase, and since when the socket has refused to take more of a
/// response (the client reads nothing), whatever the phase.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct State {
    phase: Phase,
    write_blocked: Option<Instant>,
}

struct Activity {
    state: Mutex<State>,
    changed: Notify,
}

impl Activity {
    fn new() -> Self {
        Self {
            state: Mutex::new(State {
                phase: Phase::Idle {
                    since: Instant::now(),
                },
                write_blocked: None,
            }),
            changed: Notify::new(),
        }
    }

    fn state(&self) -> State {
        *self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn phase(&self) -> Phase {
        self.state().phase
    }

    fn update(&self, f: impl FnOnce(State) -> State) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let next = f(*state);
        if next != *state {
            *state = next;
            drop(state);
            self.changed.notify_waiters();
        }
    }

    fn update_phase(&self, f: impl FnOnce(Phase) -> Phase) {
        self.update(|s| State {
            phase: f(s.phase),
            ..s
        });
    }

    /// Bytes arrived: when idle, they are the start of a request.
    fn bytes_read(&self) {
        self.update_phase(|p| match p {
            Phase::Idle { .. } => Phase::Head {
                since: Instant::now(),
            },
            p => p,
        });
    }

    /// A write could not go through (`blocked`), or went through: a stall is timed from the
    /// first write that could not.
    fn write_polled(&self, blocked: bool) {
        self.update(|s| State {
            write_blocked: match (blocked, s.write_blocked) {
                (false, _) => None,
                (true, Some(since)) => Some(since),
                (true, None) => Some(Instant::now()),
            },
            ..s
        });
    }

    /// A request's headers are read; it is in flight until the returned guard drops (with the
    /// response body, once written).
    fn request_started(self: &Arc<Self>) -> InFlight {
        self.update_phase(|p| match p {
            Phase::Busy { requests } => Phase::Busy {
                requests: requests + 1,
            },
            _ => Phase::Busy { requests: 1 },
        });
        InFlight(self.clone())
    }

    /// Resolves with the reason once the current phase outlives its timeout, or a write has
    /// been blocked for the body timeout.
    async fn expired(&self, limits: Limits) -> &'static str {
        loop {
            // Created before the state is read, so no change slips between the two.
            let changed = self.changed.notified();
            let state = self.state();
            let phase = match state.phase {
                Phase::Busy { .. } => None,
                Phase::Idle { since } => Some((since + limits.idle, "idle timeout")),
                Phase::Head { since } => Some((since + limits.header_read, "header read timeout")),
            };
            let write = state
                .write_blocked
                .map(|since| (since + limits.body, WRITE_TIMEOUT));
            let Some((deadline, why)) = phase.into_iter().chain(write).min_by_key(|(d, _)| *d)
            else {
                changed.await;
                continue;
            };
            tokio::select! {
                _ = changed => {}
                _ = tokio::time::sleep_until(deadline) => {
                    if self.state() == state {
                        return why;
                    }
                }
            }
        }
    }
}

/// A request in flight; dropping it ends it.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.update_phase(|p| match p {
            Phase::Busy { requests } if requests > 1 => Phase::Busy {
                requests: requests - 1,
            },
            _ => Phase::Idle {
                since: Instant::now(),
            },
        });
    }
}

/// A response body that ends its request when hyper is done with it.
struct Tracked {
    body: Body,
    _done: InFlight,
}

impl hyper::body::Body for Tracked {
    type Data = axum::body::Bytes;
    type Error = axum::Error;

    fn poll_frame(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Self::Data>, Self::Error>>> {
        hyper::body::Body::poll_frame(Pin::new(&mut self.body), cx)
    }

    fn is_end_stream(&self) -> bool {
        hyper::body::Body::is_end_stream(&self.body)
    }

    fn size_hint(&self) -> SizeHint {
        hyper::body::Body::size_hint(&self.body)
    }
}

/// The connection's socket, telling [`Activity`] when bytes arrive and when writes stall.
struct Watched {
    stream: TcpStream,
    activity: Arc<Activity>,
}

impl Watched {
    fn watch_write<T>(&self, polled: Poll<io::Result<T>>) -> Poll<io::Result<T>> {
        self.activity.write_polled(polled.is_pending());
        polled
    }
}

impl AsyncRead for Watched {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let before = buf.filled().len();
        let polled = Pin::new(&mut self.stream).poll_read(cx, buf);
        if matches!(polled, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.bytes_read();
        }
        polled
    }
}

impl AsyncWrite for Watched {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write(cx, buf);
        self.watch_write(polled)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        let polled = Pin::new(&mut self.stream).poll_write_vectored(cx, bufs);
        self.watch_write(polled)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.stream).poll_flush(cx);
        self.watch_write(polled)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let polled = Pin::new(&mut self.stream).poll_shutdown(cx);
        self.watch_write(polled)
    }
}
