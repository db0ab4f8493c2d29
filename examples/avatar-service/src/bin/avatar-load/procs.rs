//! The processes a scenario drives: the real `avatar-service` binary (started, killed with
//! SIGKILL, restarted on the same data), a moto S3 server (stopped with SIGSTOP and
//! continued), and a TCP proxy in front of PostgreSQL that can cut every connection. Each is
//! started here and stopped here; signals go only to these children, by their pid.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

/// A free TCP port on 127.0.0.1.
pub fn free_port() -> std::io::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// Sends `signal` (`STOP`, `CONT`) to a child this tool started.
fn signal(child: &Child, signal: &str) -> Result<(), String> {
    let status = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg(child.id().to_string())
        .status()
        .map_err(|e| format!("kill -{signal}: {e}"))?;
    if status.success() { Ok(()) } else { Err(format!("kill -{signal} {} failed", child.id())) }
}

/// The avatar service, as a child process with its own data folder and settings.
pub struct ServiceProcess {
    bin: PathBuf,
    pub data_dir: PathBuf,
    pub addr: SocketAddr,
    env: BTreeMap<String, String>,
    log: PathBuf,
    child: Option<Child>,
    starts: u32,
}

impl ServiceProcess {
    /// A service on a free loopback port with `env` (nothing is inherited from this
    /// process's environment but `PATH`).
    pub fn new(bin: &Path, work: &Path, name: &str, env: BTreeMap<String, String>) -> Result<Self, String> {
        let data_dir = work.join(name);
        std::fs::create_dir_all(&data_dir).map_err(|e| format!("{}: {e}", data_dir.display()))?;
        let port = free_port().map_err(|e| e.to_string())?;
        Ok(ServiceProcess {
            bin: bin.to_owned(),
            log: work.join(format!("{name}.log")),
            data_dir,
            addr: SocketAddr::from(([127, 0, 0, 1], port)),
            env,
            child: None,
            starts: 0,
        })
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Starts the service (again, on the same port and data) and waits until `/healthz` answers.
    pub async fn start(&mut self, http: &reqwest::Client) -> Result<(), String> {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(|e| format!("{}: {e}", self.log.display()))?;
        let log2 = log.try_clone().map_err(|e| e.to_string())?;
        let mut command = Command::new(&self.bin);
        command
            .args(["serve", "--bind", &self.addr.to_string(), "--data-dir"])
            .arg(&self.data_dir)
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .envs(&self.env)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        let child = command.spawn().map_err(|e| format!("starting {}: {e}", self.bin.display()))?;
        self.child = Some(child);
        self.starts += 1;
        let deadline = Instant::now() + Duration::from_secs(60);
        let health = format!("{}/healthz", self.url());
        while Instant::now() < deadline {
            if let Some(status) = self.child.as_mut().and_then(|c| c.try_wait().ok().flatten()) {
                return Err(format!("the service exited at start ({status}); log: {}", self.log.display()));
            }
            if let Ok(r) = http.get(&health).timeout(Duration::from_secs(2)).send().await
                && r.status().is_success()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(format!("the service did not answer /healthz within 60 s; log: {}", self.log.display()))
    }

    /// Kills the service with SIGKILL: no shutdown, no flush, as a crash or an OOM kill.
    pub fn kill9(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Whether the service is still running (it never exits by itself).
    pub fn alive(&mut self) -> bool {
        self.child.as_mut().is_some_and(|c| matches!(c.try_wait(), Ok(None)))
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Peak and current resident memory, in bytes (`VmHWM`, `VmRSS` of /proc/<pid>/status).
    pub fn memory(&self) -> Option<(u64, u64)> {
        memory_of(self.pid()?)
    }

    /// How many log lines contain `needle`.
    pub fn log_count(&self, needle: &str) -> usize {
        std::fs::read_to_string(&self.log).map(|t| t.lines().filter(|l| l.contains(needle)).count()).unwrap_or(0)
    }

    /// Stops the service with SIGTERM-free means: SIGKILL (its state is on disk).
    pub fn stop(&mut self) {
        self.kill9();
    }
}

impl Drop for ServiceProcess {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// Peak and current resident memory of process `pid`, in bytes (`VmHWM`, `VmRSS` of
/// /proc/<pid>/status).
pub fn memory_of(pid: u32) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
            .map(|kb| kb * 1024)
    };
    Some((field("VmHWM:")?, field("VmRSS:")?))
}

/// A moto S3 server on a free loopback port, with two buckets.
pub struct Moto {
    child: Child,
    pub endpoint: String,
    stopped: bool,
}

impl Moto {
    pub async fn start(moto_server: &Path, log: &Path, http: &reqwest::Client) -> Result<Moto, String> {
        let port = free_port().map_err(|e| e.to_string())?;
        let out = std::fs::File::create(log).map_err(|e| e.to_string())?;
        let child = Command::new(moto_server)
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(out.try_clone().map_err(|e| e.to_string())?)
            .stderr(out)
            .spawn()
            .map_err(|e| format!("starting {}: {e}", moto_server.display()))?;
        let moto = Moto { child, endpoint: format!("http://127.0.0.1:{port}"), stopped: false };
        let deadline = Instant::now() + Duration::from_secs(30);
        while Instant::now() < deadline {
            if let Ok(r) = http.get(format!("{}/moto-api/", moto.endpoint)).send().await
                && r.status().is_success()
            {
                return Ok(moto);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(format!("moto_server did not answer on {}", moto.endpoint))
    }

    /// Creates the buckets the service uses.
    pub async fn create_buckets(&self, buckets: &[&str]) -> Result<(), String> {
        let store = thumbing_storage::S3Store::builder()
            .region("us-east-1")
            .credentials("testing", "testing-secret", None)
            .endpoint_url(self.endpoint.clone())
            .build()
            .map_err(|e| e.to_string())?;
        for bucket in buckets {
            store.client().create_bucket().bucket(*bucket).send().await.map_err(|e| format!("bucket {bucket}: {e}"))?;
        }
        Ok(())
    }

    /// Freezes moto (SIGSTOP): connections stay open, nothing answers.
    pub fn freeze(&mut self) -> Result<(), String> {
        signal(&self.child, "STOP")?;
        self.stopped = true;
        Ok(())
    }

    /// Lets moto run again (SIGCONT).
    pub fn thaw(&mut self) -> Result<(), String> {
        signal(&self.child, "CONT")?;
        self.stopped = false;
        Ok(())
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        if self.stopped {
            let _ = signal(&self.child, "CONT");
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP proxy on 127.0.0.1 in front of `target`, which can be cut: every open connection is
/// closed and new ones are closed at once, until it is restored.
pub struct Proxy {
    pub addr: SocketAddr,
    down: Arc<AtomicBool>,
    cut: watch::Sender<u64>,
    task: tokio::task::JoinHandle<()>,
}

impl Proxy {
    pub async fn start(target: SocketAddr) -> Result<Proxy, String> {
        let listener = TcpListener::bind("127.0.0.1:0").await.map_err(|e| e.to_string())?;
        let addr = listener.local_addr().map_err(|e| e.to_string())?;
        let down = Arc::new(AtomicBool::new(false));
        let (cut, cuts) = watch::channel(0u64);
        let flag = down.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut client, _)) = listener.accept().await {
                if flag.load(Ordering::SeqCst) {
                    drop(client);
                    continue;
                }
                // Only a cut after this connection was opened ends it: a clone has seen what
                // the original had seen, which is none of the cuts so far.
                let mut cuts = cuts.clone();
                cuts.mark_unchanged();
                tokio::spawn(async move {
                    let Ok(mut server) = TcpStream::connect(target).await else { return };
                    tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut client, &mut server) => {}
                        _ = cuts.changed() => {}
                    }
                });
            }
        });
        Ok(Proxy { addr, down, cut, task })
    }

    /// Cuts every connection and refuses new ones.
    pub fn cut(&self) {
        self.down.store(true, Ordering::SeqCst);
        self.cut.send_modify(|n| *n += 1);
    }

    /// Lets connections through again.
    pub fn restore(&self) {
        self.down.store(false, Ordering::SeqCst);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}
