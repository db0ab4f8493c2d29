//! Clients that hold connections open without finishing a request: a slowloris trickling
//! header lines, a connection that never sends a byte, and a request body trickled one byte a
//! second. Each reports how long the service let it stay connected, and what it answered.

use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// One way of holding a connection open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Slow {
    /// Sends a request line, then one header line a second, never the blank line.
    Headers,
    /// Connects and sends nothing.
    Idle,
    /// Sends complete headers announcing a body, then one byte of it a second.
    Body,
}

/// How one slow client ended.
#[derive(Debug, Clone)]
pub struct CutOff {
    /// From the connection until the service closed it; `None`: still open at the bound.
    pub after: Option<Duration>,
    /// The status line the service answered with, if any.
    pub status: Option<String>,
}

/// Opens a connection to `addr` and holds it open the `how` way until the service closes
/// it, or `bound` passes.
pub async fn hold(addr: std::net::SocketAddr, how: Slow, bound: Duration) -> Result<CutOff, String> {
    let started = Instant::now();
    let mut stream = TcpStream::connect(addr).await.map_err(|e| format!("connect {addr}: {e}"))?;
    let head = match how {
        Slow::Headers => "GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n".to_string(),
        Slow::Idle => String::new(),
        Slow::Body => "POST /dev/sign-in HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-type: application/json\r\n\
                       content-length: 100000\r\n\r\n{\"username\": \""
            .to_string(),
    };
    if !head.is_empty() && stream.write_all(head.as_bytes()).await.is_err() {
        return Ok(CutOff { after: Some(started.elapsed()), status: None });
    }
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    let mut tick = tokio::time::interval(Duration::from_secs(1));
    tick.tick().await;
    let mut n = 0u64;
    while started.elapsed() < bound {
        tokio::select! {
            read = stream.read(&mut buf) => match read {
                Ok(0) | Err(_) => return Ok(CutOff { after: Some(started.elapsed()), status: status_line(&answer) }),
                Ok(len) => answer.extend_from_slice(&buf[..len]),
            },
            _ = tick.tick() => {
                n += 1;
                let more = match how {
                    Slow::Headers => format!("x-trickle-{n}: {n}\r\n"),
                    Slow::Idle => continue,
                    Slow::Body => "a".to_string(),
                };
                if stream.write_all(more.as_bytes()).await.is_err() {
                    // The service closed its side; read what it said first.
                    let _ = tokio::time::timeout(Duration::from_secs(1), stream.read_to_end(&mut answer)).await;
                    return Ok(CutOff { after: Some(started.elapsed()), status: status_line(&answer) });
                }
            }
        }
    }
    Ok(CutOff { after: None, status: status_line(&answer) })
}

/// `HTTP/1.1 408 Request Timeout` of an answer, if it has one.
fn status_line(answer: &[u8]) -> Option<String> {
    let text = String::from_utf8_lossy(answer);
    text.lines().next().filter(|l| l.starts_with("HTTP/")).map(str::to_owned)
}
