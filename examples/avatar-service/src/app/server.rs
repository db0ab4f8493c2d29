//! The HTTP/1 server: hyper serving the router over each accepted connection, with limits a
//! client cannot outlast (every one from [`ConnectionConfig`]):
//!
//! - **Connections**: at most `max_connections` open; one more is answered
//!   `503 {"error": "unavailable"}` with `Retry-After` and closed at once.
//! - **Header read timeout**: from the first byte of a request to the end of its headers.
//!   A client trickling header lines is disconnected.
//! - **Idle timeout**: a connection with no request in progress and no traffic either way is
//!   closed (a keep-alive connection between requests, or one that never sends anything).
//! - **Body read timeout**: a request's body must have arrived in full this long after its
//!   headers; a slower one is cut off and answered `408 {"error": "request_timeout"}`, and
//!   the connection is closed.
//!
//! The timeouts are watched per connection by one timer that sleeps until the next moment
//! one could expire; traffic moves that moment, it does not wake the timer.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::Request;
use axum::response::IntoResponse;
use http_body::{Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Semaphore, watch};
use tokio::time::{Instant, Sleep};
use tower::ServiceExt as _;
use tracing::{debug, warn};

use super::ApiError;
use crate::config::ConnectionConfig;

/// How long connections may take to finish their requests once the service stops.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(10);

/// Serves `router` on `listener` until `shutdown` completes, then lets open connections
/// finish their requests (at most [`SHUTDOWN_GRACE`]).
pub(super) async fn serve(
    listener: TcpListener,
    router: Router,
    limits: ConnectionConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let (stop_tx, stop_rx) = watch::channel(false);
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(e) => {
                    // Out of file descriptors and the like: wait instead of spinning.
                    warn!(error = %e, "accepting a connection failed");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let _ = stream.set_nodelay(true);
        match slots.clone().try_acquire_owned() {
            Ok(slot) => {
                let (router, limits, stop) = (router.clone(), limits.clone(), stop_rx.clone());
                tokio::spawn(async move {
                    serve_connection(stream, router, &limits, stop).await;
                    drop(slot);
                });
            }
            Err(_) => {
                warn!(%peer, max = limits.max_connections, "connection refused: too many open connections");
                tokio::spawn(refuse(stream));
            }
        }
    }
    drop(listener);
    let _ = stop_tx.send(true);
    let all = u32::try_from(limits.max_connections).unwrap_or(u32::MAX);
    if tokio::time::timeout(SHUTDOWN_GRACE, slots.acquire_many(all)).await.is_err() {
        warn!("connections still open after {} s: closed", SHUTDOWN_GRACE.as_secs());
    }
    Ok(())
}

/// Answers a connection over the limit with a 503 and closes it.
async fn refuse(mut stream: TcpStream) {
    let body = r#"{"error":"unavailable","message":"too many open connections; try again shortly"}"#;
    let response = format!(
        "HTTP/1.1 503 Service Unavailable\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\
         retry-after: 1\r\ncache-control: no-store\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    let write = async {
        stream.write_all(response.as_bytes()).await?;
        stream.shutdown().await
    };
    let _ = tokio::time::timeout(Duration::from_secs(1), write).await;
}

/// Why the watchdog closed a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expired {
    /// The headers of a request took too long.
    Headers,
    /// Nothing happened for too long.
    Idle,
}

async fn serve_connection(
    stream: TcpStream,
    router: Router,
    limits: &ConnectionConfig,
    mut stop: watch::Receiver<bool>,
) {
    let activity = Arc::new(Activity::new());
    let io = TokioIo::new(Tracked { inner: stream, activity: activity.clone() });
    let body_timeout = limits.body_read_timeout;
    let on_request = activity.clone();
    let service = hyper::service::service_fn(move |request: Request<Incoming>| {
        let in_flight = on_request.begin_request();
        let cut_off = Arc::new(AtomicBool::new(false));
        let request = request.map(|body| Body::new(DeadlineBody::new(Body::new(body), body_timeout, cut_off.clone())));
        let router = router.clone();
        async move {
            let response = router.oneshot(request).await.unwrap_or_else(|never| match never {});
            drop(in_flight);
            if cut_off.load(Ordering::Relaxed) {
                debug!("request body too slow: cut off");
                return Ok::<_, Infallible>(
                    ApiError::request_timeout(format!(
                        "the request body did not arrive within {} s",
                        body_timeout.as_secs()
                    ))
                    .into_response(),
                );
            }
            Ok(response)
        }
    });
    let mut builder = hyper::server::conn::http1::Builder::new();
    // The header timeout is the watchdog's: hyper's own would also close keep-alive
    // connections between requests, which is the idle timeout's business.
    builder.keep_alive(true).header_read_timeout(None);
    let connection = builder.serve_connection(io, service);
    tokio::pin!(connection);

    let watchdog = activity.watchdog(limits.header_read_timeout, limits.idle_timeout);
    // The guard `wait_for` returns must not live across an await: drop it in here.
    let stopping = async move {
        let _ = stop.wait_for(|stopped| *stopped).await;
    };
    tokio::select! {
        result = connection.as_mut() => {
            if let Err(e) = result {
                debug!(error = %e, "connection ended with an error");
            }
        }
        expired = watchdog => {
            debug!(?expired, "connection closed by its timeout");
            if expired == Expired::Idle {
                // Nothing is in progress: this ends the connection at once, or after a
                // response still being written (bounded by the same timeout).
                connection.as_mut().graceful_shutdown();
                let _ = tokio::time::timeout(limits.idle_timeout, connection).await;
            }
            // Headers too slow: the connection is dropped, without an answer.
        }
        () = stopping => {
            connection.as_mut().graceful_shutdown();
            let _ = tokio::time::timeout(SHUTDOWN_GRACE, connection).await;
        }
    }
}

/// What a connection is doing, shared by its I/O wrapper, its service and its watchdog.
/// Times are milliseconds since `epoch`; 0 means "not set".
struct Activity {
    epoch: Instant,
    last_traffic: AtomicU64,
    head_started: AtomicU64,
    in_flight: AtomicUsize,
}

impl Activity {
    fn new() -> Activity {
        Activity {
            epoch: Instant::now(),
            last_traffic: AtomicU64::new(1),
            head_started: AtomicU64::new(0),
            in_flight: AtomicUsize::new(0),
        }
    }

    fn now(&self) -> u64 {
        (self.epoch.elapsed().as_millis() as u64).max(1)
    }

    fn at(&self, ms: u64) -> Instant {
        self.epoch + Duration::from_millis(ms)
    }

    /// Bytes arrived: when no request is in progress, they start the next request's headers.
    fn on_read(&self) {
        let now = self.now();
        self.last_traffic.store(now, Ordering::Relaxed);
        if self.in_flight.load(Ordering::Acquire) == 0 {
            let _ = self.head_started.compare_exchange(0, now, Ordering::AcqRel, Ordering::Relaxed);
        }
    }

    fn on_write(&self) {
        self.last_traffic.store(self.now(), Ordering::Relaxed);
    }

    /// hyper parsed a request's headers and hands it to the router.
    fn begin_request(self: &Arc<Self>) -> InFlight {
        self.in_flight.fetch_add(1, Ordering::AcqRel);
        self.head_started.store(0, Ordering::Release);
        InFlight(self.clone())
    }

    /// Completes when a timeout expires: sleeps until the next moment one could, and checks
    /// again then.
    async fn watchdog(&self, header_timeout: Duration, idle_timeout: Duration) -> Expired {
        loop {
            let now = Instant::now();
            // The first byte of a request starts its header clock without waking this timer:
            // looking again at least once a header timeout never oversleeps that deadline.
            let recheck = now + header_timeout;
            let expiry = if self.in_flight.load(Ordering::Acquire) > 0 {
                // A request is being handled: the body timeout watches it.
                None
            } else {
                match self.head_started.load(Ordering::Acquire) {
                    0 => Some((self.at(self.last_traffic.load(Ordering::Relaxed)) + idle_timeout, Expired::Idle)),
                    started => Some((self.at(started) + header_timeout, Expired::Headers)),
                }
            };
            match expiry {
                Some((deadline, reason)) if deadline <= now => return reason,
                Some((deadline, _)) => tokio::time::sleep_until(deadline.min(recheck)).await,
                None => tokio::time::sleep_until(recheck).await,
            }
        }
    }
}

/// A request in progress on a connection; dropped when its response is ready.
struct InFlight(Arc<Activity>);

impl Drop for InFlight {
    fn drop(&mut self) {
        self.0.last_traffic.store(self.0.now(), Ordering::Relaxed);
        self.0.in_flight.fetch_sub(1, Ordering::AcqRel);
    }
}

/// A socket that tells its [`Activity`] when bytes go through.
struct Tracked<T> {
    inner: T,
    activity: Arc<Activity>,
}

impl<T: AsyncRead + Unpin> AsyncRead for Tracked<T> {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<std::io::Result<()>> {
        let before = buf.filled().len();
        let result = Pin::new(&mut self.inner).poll_read(cx, buf);
        if matches!(result, Poll::Ready(Ok(()))) && buf.filled().len() > before {
            self.activity.on_read();
        }
        result
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Tracked<T> {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, data: &[u8]) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write(cx, data);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.on_write();
        }
        result
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        let result = Pin::new(&mut self.inner).poll_write_vectored(cx, bufs);
        if matches!(result, Poll::Ready(Ok(n)) if n > 0) {
            self.activity.on_write();
        }
        result
    }

    fn is_write_vectored(&self) -> bool {
        self.inner.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}

/// A request body that fails once its deadline passes, and says so in `cut_off`.
struct DeadlineBody {
    inner: Body,
    deadline: Pin<Box<Sleep>>,
    cut_off: Arc<AtomicBool>,
}

impl DeadlineBody {
    fn new(inner: Body, timeout: Duration, cut_off: Arc<AtomicBool>) -> DeadlineBody {
        DeadlineBody { inner, deadline: Box::pin(tokio::time::sleep(timeout)), cut_off }
    }
}

/// The error a [`DeadlineBody`] fails with.
#[derive(Debug, thiserror::Error)]
#[error("the request body did not arrive in time")]
struct BodyTimeout;

impl http_body::Body for DeadlineBody {
    type Data = Bytes;
    type Error = axum::BoxError;

    fn poll_frame(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Result<Frame<Bytes>, Self::Error>>> {
        if let Poll::Ready(frame) = Pin::new(&mut self.inner).poll_frame(cx) {
            return Poll::Ready(frame.map(|f| f.map_err(Into::into)));
        }
        if self.deadline.as_mut().poll(cx).is_ready() {
            self.cut_off.store(true, Ordering::Relaxed);
            return Poll::Ready(Some(Err(BodyTimeout.into())));
        }
        Poll::Pending
    }

    fn is_end_stream(&self) -> bool {
        self.inner.is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.inner.size_hint()
    }
}

#[cfg(test)]
mod tests {
    use http_body::Body as _;

    use super::*;

    #[tokio::test(start_paused = true)]
    async fn the_watchdog_tells_idle_from_slow_headers() {
        let activity = Arc::new(Activity::new());
        let (header, idle) = (Duration::from_secs(2), Duration::from_secs(5));
        let started = Instant::now();
        assert_eq!(activity.watchdog(header, idle).await, Expired::Idle);
        assert!(started.elapsed() >= idle);

        // A request's first byte while the watchdog waits for the idle timeout: the header
        // clock still cuts the connection off at its own deadline.
        let activity = Arc::new(Activity::new());
        let watch = tokio::spawn({
            let activity = activity.clone();
            async move { activity.watchdog(header, idle).await }
        });
        tokio::time::sleep(Duration::from_secs(1)).await;
        let started = Instant::now();
        activity.on_read();
        assert_eq!(watch.await.unwrap(), Expired::Headers);
        assert_eq!(started.elapsed(), header, "cut off at the header deadline, not at the idle one");

        // A byte of a request starts the header clock.
        let activity = Arc::new(Activity::new());
        activity.on_read();
        let started = Instant::now();
        assert_eq!(activity.watchdog(header, idle).await, Expired::Headers);
        assert!(started.elapsed() >= header && started.elapsed() < idle);

        // While a request is handled neither runs; afterwards the idle clock does.
        let in_flight = activity.begin_request();
        let watch = tokio::spawn({
            let activity = activity.clone();
            async move { activity.watchdog(header, idle).await }
        });
        tokio::time::sleep(Duration::from_secs(30)).await;
        assert!(!watch.is_finished());
        drop(in_flight);
        assert_eq!(watch.await.unwrap(), Expired::Idle);
    }

    #[tokio::test(start_paused = true)]
    async fn a_slow_body_is_cut_off_at_its_deadline() {
        let (tx, rx) = tokio::sync::mpsc::channel::<Bytes>(1);
        let stream = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|chunk| (Ok::<_, Infallible>(chunk), rx))
        });
        let cut_off = Arc::new(AtomicBool::new(false));
        let mut body = DeadlineBody::new(Body::from_stream(stream), Duration::from_secs(3), cut_off.clone());
        async fn next(body: &mut DeadlineBody) -> Option<Result<Frame<Bytes>, axum::BoxError>> {
            std::future::poll_fn(|cx| Pin::new(&mut *body).poll_frame(cx)).await
        }
        tx.send(Bytes::from_static(b"abc")).await.unwrap();
        assert_eq!(next(&mut body).await.unwrap().unwrap().into_data().unwrap(), "abc");
        assert!(!cut_off.load(Ordering::Relaxed));
        // The sender stays open and sends nothing more: the deadline cuts the body off.
        let err = next(&mut body).await.unwrap().unwrap_err();
        assert!(err.to_string().contains("in time"), "{err}");
        assert!(cut_off.load(Ordering::Relaxed));
        drop(tx);
    }
}
