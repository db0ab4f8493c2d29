//! `avatar-load`: drives the real `avatar-service` binary with simulated users and faults, on
//! 127.0.0.1 only, and checks what must hold:
//!
//! 1. **flow** (local mode): users sign in, ask for an upload form, upload, poll and fetch
//!    their avatar; then plain GETs. Requests/s and p50/p99 latency per route, uploads
//!    processed per second.
//! 2. **burst + kill -9** (local mode): a burst of uploads; once a third are acknowledged the
//!    service is killed with SIGKILL and started again. Every acknowledged upload must end
//!    with its avatar. Peak RSS of the service under the burst.
//! 3. **moto stopped** (S3 mode, with `--moto-server`): moto is frozen (SIGSTOP) in the middle
//!    of a burst and let go after `--freeze-seconds`. No acknowledged upload may be lost, and
//!    processing must catch up.
//! 4. **database unavailable**: SQLite write-locked by another connection, and PostgreSQL
//!    (with `--database-url`) behind a proxy that cuts every connection. Requests get 503
//!    with a JSON error; the service never crashes and recovers.
//! 5. **big burst** (`--big-burst N`): N concurrent uploads of a PNG at the 100-megapixel
//!    limit, with room for `--queue-max` waiting jobs; resident memory of the service before,
//!    at its peak and after, the uploads refused with 503, and every acknowledged one
//!    processed.
//! 6. **slow clients** (`--slow-clients N`, not in `--quick`): N connections trickling header
//!    lines, N sending nothing and N trickling a request body, against the default timeouts,
//!    while a well-behaved client keeps asking `/healthz`; when each was cut off.
//!
//! Every loop is bounded in count and time. The report (Markdown, with an SVG plot of the
//! service's memory during the bursts) goes to `--report`; the exit status is non-zero when a
//! check failed.
//!
//! ```text
//! avatar-load --service-bin target/release/avatar-service [--quick] [--moto-server PATH]
//!             [--database-url postgres://…] [--work DIR] [--report FILE.md]
//!             [--users N] [--burst N] [--big-burst N] [--queue-max N] [--slow-clients N]
//!             [--seconds S] [--freeze-seconds S] [--workers N]
//! ```

mod client;
mod procs;
mod report;
mod slow;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use client::{Recorder, Upload, User};
use procs::{Moto, Proxy, ServiceProcess};
use report::{MemoryTrace, Report};

const USAGE: &str = "usage: avatar-load --service-bin PATH [--quick] [--moto-server PATH] [--database-url URL] \
                     [--work DIR] [--report FILE] [--users N] [--burst N] [--big-burst N] [--queue-max N] \
                     [--slow-clients N] [--seconds S] [--freeze-seconds S] [--workers N]";

/// The settings of one run.
#[derive(Debug, Clone)]
struct Args {
    service_bin: PathBuf,
    moto_server: Option<PathBuf>,
    database_url: Option<String>,
    work: PathBuf,
    report: Option<PathBuf>,
    quick: bool,
    /// Users of the flow scenario.
    users: usize,
    /// Uploads of the kill -9 and moto bursts.
    burst: usize,
    /// Uploads of the 100-megapixel burst (0: skipped).
    big_burst: usize,
    /// The service's `PROCESSING_QUEUE_MAX` in the 100-megapixel burst (default: room for all).
    queue_max: Option<usize>,
    /// Connections of each slow kind (0: skipped).
    slow_clients: usize,
    /// Seconds of plain GETs.
    seconds: u64,
    /// Seconds moto stays frozen.
    freeze_seconds: u64,
    /// The service's processing workers.
    workers: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        service_bin: PathBuf::new(),
        moto_server: None,
        database_url: None,
        work: std::env::temp_dir().join(format!("avatar-load-{}", std::process::id())),
        report: None,
        quick: false,
        users: 50,
        burst: 50,
        big_burst: 0,
        queue_max: None,
        slow_clients: 20,
        seconds: 10,
        freeze_seconds: 10,
        workers: 2,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value\n{USAGE}"));
        let number = |v: String| v.parse::<u64>().map_err(|_| format!("{v:?} is not a number"));
        match flag.as_str() {
            "--service-bin" => args.service_bin = value()?.into(),
            "--moto-server" => args.moto_server = Some(value()?.into()),
            "--database-url" => args.database_url = Some(value()?),
            "--work" => args.work = value()?.into(),
            "--report" => args.report = Some(value()?.into()),
            "--users" => args.users = number(value()?)?.clamp(1, 1000) as usize,
            "--burst" => args.burst = number(value()?)?.clamp(3, 1000) as usize,
            "--big-burst" => args.big_burst = number(value()?)?.min(200) as usize,
            "--queue-max" => args.queue_max = Some(number(value()?)?.clamp(1, 1000) as usize),
            "--slow-clients" => args.slow_clients = number(value()?)?.min(200) as usize,
            "--seconds" => args.seconds = number(value()?)?.clamp(1, 600),
            "--freeze-seconds" => args.freeze_seconds = number(value()?)?.clamp(1, 120),
            "--workers" => args.workers = number(value()?)?.clamp(1, 64) as usize,
            "--quick" => {
                args.quick = true;
                args.users = 12;
                args.burst = 24;
                args.seconds = 3;
                args.slow_clients = 0;
            }
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    if args.service_bin.as_os_str().is_empty() {
        return Err(format!("--service-bin is required\n{USAGE}"));
    }
    Ok(args)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(args) => args,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = std::fs::create_dir_all(&args.work) {
        eprintln!("{}: {e}", args.work.display());
        return ExitCode::FAILURE;
    }
    // The command the report names: the benchmark script says how it was called.
    let command =
        std::env::var("AVATAR_LOAD_COMMAND").unwrap_or_else(|_| std::env::args().collect::<Vec<_>>().join(" "));
    let mut report = Report::new(args.quick, command);
    let started = Instant::now();
    // Each scenario is bounded on its own; this is the bound of the whole run.
    let limit = Duration::from_secs(if args.quick { 240 } else { 1800 });
    let outcome = tokio::time::timeout(limit, run(&args, &mut report)).await;
    match outcome {
        Ok(Ok(())) => {}
        Ok(Err(e)) => report.fail(format!("aborted: {e}")),
        Err(_) => report.fail(format!("the run took longer than {} s", limit.as_secs())),
    }
    report.note(format!("total time: {:.0} s", started.elapsed().as_secs_f64()));
    if let Some(path) = &args.report
        && let Err(e) = report.write(path)
    {
        eprintln!("{}: {e}", path.display());
        return ExitCode::FAILURE;
    }
    println!("{}", report.summary());
    if report.failed() {
        eprintln!("avatar-load: checks failed (service logs in {})", args.work.display());
        ExitCode::FAILURE
    } else {
        let _ = std::fs::remove_dir_all(&args.work);
        ExitCode::SUCCESS
    }
}

async fn run(args: &Args, report: &mut Report) -> Result<(), String> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .pool_max_idle_per_host(64)
        .build()
        .map_err(|e| e.to_string())?;
    let photo = std::fs::read(fixture("landscape_1.jpg")).map_err(|e| format!("fixture: {e}"))?;

    step("flow: sign-in, upload form, upload, poll, avatar; then plain GETs");
    flow(args, &http, &photo, report).await?;
    step("burst of uploads, kill -9 of the service, restart");
    burst_and_kill(args, &http, &photo, report).await?;
    match &args.moto_server {
        Some(moto) => {
            step("S3 mode: moto stopped in the middle of a burst");
            moto_stopped(args, moto, &http, &photo, report).await?;
        }
        None => report.note("moto: skipped (no --moto-server)".into()),
    }
    step("database unavailable: SQLite write-locked");
    sqlite_locked(args, &http, &photo, report).await?;
    match &args.database_url {
        Some(url) => {
            step("database unavailable: PostgreSQL cut off");
            postgres_cut(args, url, &http, report).await?;
        }
        None => report.note("PostgreSQL: skipped (no --database-url)".into()),
    }
    if args.big_burst > 0 {
        step(&format!("{} uploads of a 100-megapixel PNG at once", args.big_burst));
        big_burst(args, &http, report).await?;
    }
    if args.slow_clients > 0 {
        step(&format!("{} slow clients of each kind (headers, idle, body)", args.slow_clients));
        slow_clients(args, &http, report).await?;
    }
    Ok(())
}

fn step(what: &str) {
    println!("\n==> avatar-load: {what}");
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures").join(name)
}

/// The environment of a service in local mode with `users` numbered demo users.
fn local_env(args: &Args, users: usize, queue_max: usize) -> BTreeMap<String, String> {
    [
        ("DEV_EXTRA_USERS", users.to_string()),
        ("PROCESSING_WORKERS", args.workers.to_string()),
        ("PROCESSING_QUEUE_MAX", queue_max.to_string()),
        ("RUST_LOG", "info".to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect()
}

/// Signs in `user1`…`user<count>`, at most 16 at a time.
async fn sign_in_all(
    http: &reqwest::Client,
    base: &str,
    count: usize,
    rec: &Arc<Recorder>,
) -> Result<Vec<Arc<User>>, String> {
    let mut users = Vec::with_capacity(count);
    let names: Vec<String> = (1..=count).map(|n| format!("user{n}")).collect();
    for chunk in names.chunks(16) {
        let signed = futures_util::future::join_all(chunk.iter().map(|n| User::sign_in(http, base, n, rec.clone())));
        for user in signed.await {
            users.push(Arc::new(user?));
        }
    }
    Ok(users)
}

async fn flow(args: &Args, http: &reqwest::Client, photo: &[u8], report: &mut Report) -> Result<(), String> {
    let mut service =
        ServiceProcess::new(&args.service_bin, &args.work, "flow", local_env(args, args.users, args.users.max(64)))?;
    service.start(http).await?;
    let rec = Arc::new(Recorder::default());
    let users = sign_in_all(http, &service.url(), args.users, &rec).await?;
    let started = Instant::now();
    let tasks: Vec<_> = users
        .iter()
        .map(|user| {
            let (user, photo) = (user.clone(), photo.to_vec());
            tokio::spawn(async move { user.full_flow("jpg", &photo, Duration::from_secs(120)).await })
        })
        .collect();
    let mut served = 0;
    let mut errors = Vec::new();
    for task in tasks {
        match task.await {
            Ok(Ok(true)) => served += 1,
            Ok(Ok(false)) => errors.push("an empty avatar".to_string()),
            Ok(Err(e)) => errors.push(e),
            Err(e) => errors.push(e.to_string()),
        }
    }
    let flow_time = started.elapsed();
    let mut routes = rec.take();

    // Plain GETs: the page's configuration, the health check, a served avatar, the page.
    let avatar = users[0].status().await.ok().and_then(|s| s["avatar_url"].as_str().map(str::to_owned));
    let mut paths = vec![("GET /api/config", "/api/config".to_string()), ("GET /healthz", "/healthz".to_string())];
    if let Some(avatar) = avatar {
        paths.push(("GET /avatars/{file}", avatar));
    }
    paths.push(("GET /", "/".to_string()));
    let hammer_time =
        client::hammer(http, &service.url(), &paths, 16, Duration::from_secs(args.seconds), 500_000, &rec).await;
    let gets = rec.take();
    let (peak, _) = service.memory().unwrap_or_default();
    if !service.alive() {
        report.fail("flow: the service died".into());
    }
    service.stop();

    report.check(
        served == users.len(),
        format!("flow: {served} of {} users got their avatar ({} errors{})", users.len(), errors.len(), first(&errors)),
    );
    report.routes(
        &format!(
            "Flow: {} users at once, each sign-in → upload form → upload → poll → avatar ({:.1} s)",
            users.len(),
            flow_time.as_secs_f64()
        ),
        &routes,
        flow_time,
    );
    routes.clear();
    report.routes(&format!("Plain GETs: 16 clients for {:.1} s", hammer_time.as_secs_f64()), &gets, hammer_time);
    report.figure(
        "uploads processed per second (flow, end to end)",
        format!("{:.1}", served as f64 / flow_time.as_secs_f64()),
    );
    report.figure("peak RSS of the service during the flow", mb(peak));
    for (route, samples) in gets.iter() {
        let unexpected: usize = samples.unexpected.values().sum();
        report.check(unexpected == 0, format!("{route}: {unexpected} unexpected answers {:?}", samples.unexpected));
    }
    Ok(())
}

/// Uploads `data` for every user at once; calls `fault` once `trigger` uploads are
/// acknowledged (or all answered). Returns each user's outcome.
async fn burst<F, Fut>(users: &[Arc<User>], extension: &str, data: &[u8], trigger: usize, fault: F) -> Vec<Upload>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let acked = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicUsize::new(0));
    let data = Arc::new(data.to_vec());
    let tasks: Vec<_> = users
        .iter()
        .map(|user| {
            let (user, data, acked, answered, ext) =
                (user.clone(), data.clone(), acked.clone(), answered.clone(), extension.to_owned());
            tokio::spawn(async move {
                let outcome = user.upload(&ext, &data).await;
                if outcome == Upload::Acknowledged {
                    acked.fetch_add(1, Ordering::SeqCst);
                }
                answered.fetch_add(1, Ordering::SeqCst);
                outcome
            })
        })
        .collect();
    let deadline = Instant::now() + Duration::from_secs(120);
    while acked.load(Ordering::SeqCst) < trigger
        && answered.load(Ordering::SeqCst) < users.len()
        && Instant::now() < deadline
    {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    fault().await;
    let mut outcomes = Vec::with_capacity(tasks.len());
    for task in tasks {
        outcomes.push(task.await.unwrap_or_else(|e| Upload::Lost(e.to_string())));
    }
    outcomes
}

/// Polls every acknowledged user until their upload is processed; returns how many got
/// their avatar, and the first problems.
async fn count_avatars(users: &[Arc<User>], outcomes: &[Upload], limit: Duration) -> (usize, Vec<String>) {
    let tasks: Vec<_> = users
        .iter()
        .zip(outcomes)
        .filter(|(_, o)| **o == Upload::Acknowledged)
        .map(|(user, _)| {
            let user = user.clone();
            tokio::spawn(async move {
                let state = user.wait_processed(limit, Duration::from_millis(250)).await?;
                if state["state"] != "ready" {
                    return Err(format!("{}: {state}", user.name));
                }
                user.fetch_avatar(state["avatar_url"].as_str().unwrap_or_default()).await.map(|n| n > 0)
            })
        })
        .collect();
    let (mut ready, mut problems) = (0, Vec::new());
    for task in tasks {
        match task.await {
            Ok(Ok(true)) => ready += 1,
            Ok(Ok(false)) => problems.push("empty avatar".into()),
            Ok(Err(e)) => problems.push(e),
            Err(e) => problems.push(e.to_string()),
        }
    }
    (ready, problems)
}

fn tally(outcomes: &[Upload]) -> (usize, usize, usize) {
    let acked = outcomes.iter().filter(|o| **o == Upload::Acknowledged).count();
    let refused = outcomes.iter().filter(|o| matches!(o, Upload::Refused(_))).count();
    (acked, refused, outcomes.len() - acked - refused)
}

/// Samples the service's resident memory every 50 ms until `stop` is set.
fn sample_memory(pid: u32, stop: Arc<AtomicBool>) -> tokio::task::JoinHandle<MemoryTrace> {
    tokio::spawn(async move {
        let mut trace = MemoryTrace::default();
        let started = Instant::now();
        while !stop.load(Ordering::SeqCst) && started.elapsed() < Duration::from_secs(900) {
            if let Some((peak, rss)) = procs::memory_of(pid) {
                trace.push(started.elapsed().as_secs_f64(), rss, peak);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        trace
    })
}

async fn burst_and_kill(args: &Args, http: &reqwest::Client, photo: &[u8], report: &mut Report) -> Result<(), String> {
    let n = args.burst;
    let mut service = ServiceProcess::new(&args.service_bin, &args.work, "kill9", local_env(args, n, n))?;
    service.start(http).await?;
    let rec = Arc::new(Recorder::default());
    let users = sign_in_all(http, &service.url(), n, &rec).await?;
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_memory(service.pid().unwrap_or(0), stop.clone());
    let service = Arc::new(tokio::sync::Mutex::new(service));
    let killed_at = Arc::new(std::sync::Mutex::new(None));
    let outcomes = burst(&users, "jpg", photo, n / 3, || {
        let (service, killed_at) = (service.clone(), killed_at.clone());
        async move {
            service.lock().await.kill9();
            *killed_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        }
    })
    .await;
    stop.store(true, Ordering::SeqCst);
    let trace = sampler.await.unwrap_or_default();
    let (acked, refused, lost) = tally(&outcomes);

    let mut service = Arc::try_unwrap(service).map_err(|_| "service still shared")?.into_inner();
    let restarted = Instant::now();
    service.start(http).await?;
    let (ready, problems) = count_avatars(&users, &outcomes, Duration::from_secs(180)).await;
    let caught_up = restarted.elapsed();
    let resumed = service.log_count("resuming unfinished processing jobs");
    if !service.alive() {
        report.fail("kill -9: the restarted service died".into());
    }
    service.stop();

    recovered(
        report,
        ("kill -9", "during a burst", "restart"),
        (ready, acked),
        format!("{refused} refused, {lost} cut off by the kill, unacknowledged"),
        caught_up,
        &problems,
    );
    report
        .check(resumed > 0 || acked == 0, format!("kill -9: the restarted service resumed jobs ({resumed} log lines)"));
    report.figure(&format!("peak RSS of the service under a burst of {n} uploads (until the kill)"), mb(trace.peak()));
    report.trace(&format!("burst of {n} uploads, killed after {acked} acknowledgements"), trace);
    Ok(())
}

async fn moto_stopped(
    args: &Args,
    moto_server: &Path,
    http: &reqwest::Client,
    photo: &[u8],
    report: &mut Report,
) -> Result<(), String> {
    let n = args.burst;
    let moto = Moto::start(moto_server, &args.work.join("moto.log"), http).await?;
    moto.create_buckets(&["uploads", "assets"]).await?;
    let mut env = local_env(args, n, n);
    for (k, v) in [
        ("STORAGE", "s3"),
        ("S3_ENDPOINT", moto.endpoint.as_str()),
        ("AWS_REGION", "us-east-1"),
        ("AWS_ACCESS_KEY_ID", "testing"),
        ("AWS_SECRET_ACCESS_KEY", "testing-secret"),
        ("S3_TIMEOUT_SECONDS", "2"),
        ("NOTIFY_RATE_PER_MINUTE", "120"),
    ] {
        env.insert(k.into(), v.into());
    }
    let mut service = ServiceProcess::new(&args.service_bin, &args.work, "moto", env)?;
    service.start(http).await?;
    let rec = Arc::new(Recorder::default());
    let users = sign_in_all(http, &service.url(), n, &rec).await?;
    let freeze = Duration::from_secs(args.freeze_seconds);
    let moto = Arc::new(tokio::sync::Mutex::new(moto));
    let thawed_at = Arc::new(std::sync::Mutex::new(Instant::now()));
    let outcomes = burst(&users, "jpg", photo, n / 3, || {
        let (moto, thawed_at) = (moto.clone(), thawed_at.clone());
        async move {
            if moto.lock().await.freeze().is_ok() {
                tokio::time::sleep(freeze).await;
                let _ = moto.lock().await.thaw();
            }
            *thawed_at.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
        }
    })
    .await;
    let thawed = *thawed_at.lock().unwrap_or_else(|e| e.into_inner());
    let (acked, refused, lost) = tally(&outcomes);
    let (ready, problems) = count_avatars(&users, &outcomes, Duration::from_secs(180)).await;
    let caught_up = thawed.elapsed();
    let retried = service.log_count("processing will be retried");
    if !service.alive() {
        report.fail("moto stopped: the service died".into());
    }
    service.stop();
    drop(moto);

    recovered(
        report,
        ("moto stopped", &format!("for {} s during a burst of {n}", freeze.as_secs()), "moto's return"),
        (ready, acked),
        format!("{refused} refused, {lost} without an answer; {retried} retries logged"),
        caught_up,
        &problems,
    );
    report.check(lost == 0, format!("moto stopped: {lost} uploads got no answer"));
    Ok(())
}

/// A write-locked SQLite database: writes wait for the busy timeout and are answered 503;
/// reads go on; after the lock, everything works again.
async fn sqlite_locked(args: &Args, http: &reqwest::Client, photo: &[u8], report: &mut Report) -> Result<(), String> {
    use sqlx::Connection as _;
    let mut service = ServiceProcess::new(&args.service_bin, &args.work, "sqlite-lock", local_env(args, 2, 8))?;
    service.start(http).await?;
    let rec = Arc::new(Recorder::default());
    let users = sign_in_all(http, &service.url(), 2, &rec).await?;
    let database = service.data_dir.join("avatar-service.sqlite3");
    let mut lock = sqlx::SqliteConnection::connect(&format!("sqlite:{}", database.display()))
        .await
        .map_err(|e| format!("opening {}: {e}", database.display()))?;
    sqlx::query("BEGIN IMMEDIATE").execute(&mut lock).await.map_err(|e| format!("locking: {e}"))?;

    // Both wait for SQLite's busy timeout (5 s), at the same time.
    let (locked, (status, body, retry_after), health) =
        tokio::join!(users[0].upload("jpg", photo), users[1].put_profile("Locked Out", ""), async {
            http.get(format!("{}/healthz", service.url()))
                .send()
                .await
                .map(|r| r.status().as_u16())
                .map_err(|e| e.to_string())
        },);
    sqlx::query("ROLLBACK").execute(&mut lock).await.map_err(|e| format!("unlocking: {e}"))?;
    drop(lock);
    let alive_while_locked = service.alive();
    let after = users[0].full_flow("jpg", photo, Duration::from_secs(60)).await;
    let alive = service.alive();
    service.stop();

    report.check(
        locked == Upload::Refused(503),
        format!("SQLite locked: an upload is answered {locked:?} (503 expected)"),
    );
    report.check(
        status == 503 && body["error"] == "unavailable" && retry_after.is_some(),
        format!("SQLite locked: a profile update is answered {status} {body} (Retry-After {retry_after:?})"),
    );
    report.check(health == Ok(200), format!("SQLite locked: /healthz (a read) answers {health:?}"));
    report.check(alive_while_locked && alive, "SQLite locked: the service kept running".into());
    report.check(after == Ok(true), format!("SQLite unlocked: the next upload gets its avatar ({after:?})"));
    Ok(())
}

/// PostgreSQL behind a proxy that cuts every connection: 503 with JSON while cut, 200 after.
async fn postgres_cut(args: &Args, url: &str, http: &reqwest::Client, report: &mut Report) -> Result<(), String> {
    use sqlx::Connection as _;
    // A database of its own, so that the tests sharing this server are not disturbed.
    let name = format!("avatar_load_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(url).await.map_err(|e| format!("PostgreSQL {url}: {e}"))?;
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut admin).await.map_err(|e| e.to_string())?;
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.map_err(|e| e.to_string())?;
    let (target, own_url) = postgres_target(url, &name)?;
    let proxy = Proxy::start(target).await?;
    let via_proxy = own_url.replace(&target.to_string(), &proxy.addr.to_string());
    let mut env = local_env(args, 1, 8);
    env.insert("DATABASE_URL".into(), via_proxy);
    let mut service = ServiceProcess::new(&args.service_bin, &args.work, "postgres-cut", env)?;
    let result = async {
        service.start(http).await?;
        let rec = Arc::new(Recorder::default());
        let users = sign_in_all(http, &service.url(), 1, &rec).await?;
        let (before, _) = users[0].get_json("/api/me").await;
        proxy.cut();
        let (during, body) = users[0].get_json("/api/me").await;
        let health = http
            .get(format!("{}/healthz", service.url()))
            .send()
            .await
            .map(|r| r.status().as_u16())
            .map_err(|e| e.to_string());
        proxy.restore();
        let mut after = 0;
        for _ in 0..40 {
            after = users[0].get_json("/api/me").await.0;
            if after == 200 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let alive = service.alive();
        report.check(before == 200, format!("PostgreSQL: the profile answers {before} before the cut"));
        report.check(
            during == 503 && body["error"] == "unavailable",
            format!("PostgreSQL cut off: the profile is answered {during} {body} (503 expected)"),
        );
        report.check(health == Ok(503), format!("PostgreSQL cut off: /healthz answers {health:?} (503 expected)"));
        report.check(
            alive && after == 200,
            format!("PostgreSQL back: the profile answers {after}, service running: {alive}"),
        );
        Ok::<_, String>(())
    }
    .await;
    service.stop();
    drop(proxy);
    let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin).await;
    result
}

/// The host:port of a `postgres://user@host:port/db` URL, and the URL of database `name`.
fn postgres_target(url: &str, name: &str) -> Result<(std::net::SocketAddr, String), String> {
    let rest = url.split_once("://").map(|(_, r)| r).ok_or("a postgres:// URL")?;
    let after_user = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let host_port = after_user.split(['/', '?']).next().unwrap_or_default();
    let target: std::net::SocketAddr =
        host_port.parse().map_err(|_| format!("{host_port:?}: give PostgreSQL as 127.0.0.1:port"))?;
    let base = &url[..url.find(host_port).unwrap_or(0) + host_port.len()];
    Ok((target, format!("{base}/{name}")))
}

async fn big_burst(args: &Args, http: &reqwest::Client, report: &mut Report) -> Result<(), String> {
    let n = args.big_burst;
    let png = args.work.join("100mp.png");
    report::write_flat_png(&png, 10_000, 10_000).map_err(|e| format!("{}: {e}", png.display()))?;
    let data = std::fs::read(&png).map_err(|e| e.to_string())?;
    let queue_max = args.queue_max.unwrap_or(n.max(64));
    let mut service = ServiceProcess::new(&args.service_bin, &args.work, "big", local_env(args, n, queue_max))?;
    service.start(http).await?;
    let rec = Arc::new(Recorder::default());
    let users = sign_in_all(http, &service.url(), n, &rec).await?;
    let (_, before) = service.memory().unwrap_or_default();
    let stop = Arc::new(AtomicBool::new(false));
    let sampler = sample_memory(service.pid().unwrap_or(0), stop.clone());
    let started = Instant::now();
    let outcomes = burst(&users, "png", &data, n, || async {}).await;
    let (acked, refused, lost) = tally(&outcomes);
    let (ready, problems) = count_avatars(&users, &outcomes, Duration::from_secs(900)).await;
    let elapsed = started.elapsed();
    stop.store(true, Ordering::SeqCst);
    let trace = sampler.await.unwrap_or_default();
    let (peak, after) = service.memory().unwrap_or((trace.peak(), 0));
    let busy = outcomes.iter().filter(|o| **o == Upload::Refused(503)).count();
    service.stop();
    let _ = std::fs::remove_file(&png);

    report.figure(
        &format!(
            "peak RSS of the service under a burst of {n} uploads of a 10000×10000 PNG ({} KB)",
            data.len() / 1024
        ),
        format!("{} (before the burst: {}; after it: {})", mb(peak), mb(before), mb(after)),
    );
    report.figure(
        &format!("100-megapixel burst: answers with {} workers and room for {queue_max} waiting", args.workers),
        format!("{acked} acknowledged, {busy} refused with 503 (queue full), {} otherwise refused", refused - busy),
    );
    report.figure(
        "100-megapixel burst: uploads processed per second",
        format!(
            "{:.2} ({ready} in {:.1} s; {refused} refused, {lost} lost)",
            ready as f64 / elapsed.as_secs_f64(),
            elapsed.as_secs_f64()
        ),
    );
    report.check(
        ready == acked,
        format!("100 MP burst: {ready} of {acked} acknowledged uploads processed{}", first(&problems)),
    );
    report.check(peak <= 512 << 20, format!("100 MP burst: peak RSS {} (target ≤ 512 MB)", mb(peak)));
    report.trace(&format!("burst of {n} uploads of a 100-megapixel PNG"), trace);
    Ok(())
}

/// Slow clients of three kinds against the service's default timeouts, while a well-behaved
/// client asks `/healthz` every 250 ms: when each slow one was cut off, and what it was told.
async fn slow_clients(args: &Args, http: &reqwest::Client, report: &mut Report) -> Result<(), String> {
    use slow::Slow;
    let n = args.slow_clients;
    let mut service = ServiceProcess::new(&args.service_bin, &args.work, "slow", local_env(args, 1, 8))?;
    service.start(http).await?;
    let (addr, url) = (service.addr, service.url());
    // Well past the longest default timeout (60 s for a body).
    let bound = Duration::from_secs(120);
    let started = Instant::now();
    let kinds = [
        (Slow::Headers, "a header line a second, never the end of the headers", "HEADER_READ_TIMEOUT_SECONDS", 10),
        (Slow::Idle, "connected, sending nothing", "IDLE_TIMEOUT_SECONDS", 30),
        (Slow::Body, "a request body at one byte a second", "BODY_READ_TIMEOUT_SECONDS", 60),
    ];
    let tasks: Vec<Vec<_>> =
        kinds.iter().map(|&(how, ..)| (0..n).map(|_| tokio::spawn(slow::hold(addr, how, bound))).collect()).collect();
    let rec = Arc::new(Recorder::default());
    let done = Arc::new(AtomicBool::new(false));
    let prober = tokio::spawn({
        let (http, rec, done) = (http.clone(), rec.clone(), done.clone());
        async move {
            while !done.load(Ordering::SeqCst) && started.elapsed() < bound {
                let sent = Instant::now();
                let status = http.get(format!("{url}/healthz")).send().await.map_or(0, |r| r.status().as_u16());
                rec.record("GET /healthz", sent.elapsed(), status == 200, status);
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
        }
    });
    let mut results = Vec::new();
    for kind in tasks {
        let mut ends = Vec::new();
        for task in kind {
            ends.push(task.await.map_err(|e| e.to_string())??);
        }
        results.push(ends);
    }
    done.store(true, Ordering::SeqCst);
    let _ = prober.await;
    let elapsed = started.elapsed();
    if !service.alive() {
        report.fail("slow clients: the service died".into());
    }
    service.stop();

    for ((_, what, setting, default), ends) in kinds.iter().zip(&results) {
        let mut times: Vec<f64> = ends.iter().filter_map(|e| e.after).map(|d| d.as_secs_f64()).collect();
        times.sort_by(f64::total_cmp);
        let mut answers: BTreeMap<String, usize> = BTreeMap::new();
        for end in ends {
            *answers.entry(end.status.clone().unwrap_or_else(|| "no answer".into())).or_default() += 1;
        }
        let answers: Vec<String> = answers.iter().map(|(a, k)| format!("{k}× {a}")).collect();
        let span = match (times.first(), times.last()) {
            (Some(lo), Some(hi)) => format!("after {lo:.1}–{hi:.1} s (median {:.1} s)", client::quantile(&times, 0.5)),
            _ => "never".into(),
        };
        report.figure(
            &format!("{n} connections: {what} ({setting}, default {default} s)"),
            format!("{} of {n} cut off {span}; {}", times.len(), answers.join(", ")),
        );
        report.check(times.len() == n, format!("slow clients ({what}): {} of {n} cut off", times.len()));
    }
    let probes = rec.take();
    report.routes(
        &format!("A well-behaved client during {} slow connections ({:.0} s)", 3 * n, elapsed.as_secs_f64()),
        &probes,
        elapsed,
    );
    for (route, samples) in &probes {
        let unexpected: usize = samples.unexpected.values().sum();
        report.check(
            unexpected == 0,
            format!("slow clients: {route} answered beside them ({unexpected} unexpected {:?})", samples.unexpected),
        );
    }
    Ok(())
}

/// The figures and the check of a fault that must lose no acknowledged upload: `fault`,
/// `when` it struck, and the `event` after which processing caught up in `caught_up`.
fn recovered(
    report: &mut Report,
    (fault, when, event): (&str, &str, &str),
    (ready, acked): (usize, usize),
    detail: String,
    caught_up: Duration,
    problems: &[String],
) {
    report.figure(
        &format!("{fault} {when}: acknowledged uploads with their avatar"),
        format!("{ready} of {acked} ({detail})"),
    );
    report.figure(
        &format!("{fault}: time from {event} until every acknowledged upload was processed"),
        format!("{:.1} s", caught_up.as_secs_f64()),
    );
    report.check(
        ready == acked && acked > 0,
        format!("{fault}: {ready} of {acked} acknowledged uploads ended with their avatar{}", first(problems)),
    );
}

fn mb(bytes: u64) -> String {
    format!("{:.0} MB", bytes as f64 / (1 << 20) as f64)
}

fn first(problems: &[String]) -> String {
    problems.first().map(|p| format!("; first: {p}")).unwrap_or_default()
}
