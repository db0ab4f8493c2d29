//! thumbing's worker: the Rust side of the protocol in `thumbing_benches::protocol`, timing
//! the library in-process.

use std::collections::HashMap;
use std::io::{BufRead, Write};
use std::time::Instant;

use thumbing_benches::protocol::{Job, Request, Response, proc_status_kb, thumbing_job_with};

/// The library name a worker reports: `thumbing`, or `thumbing-full-decode` with
/// shrink-on-load off.
pub fn name(full_decode: bool) -> &'static str {
    if full_decode { "thumbing-full-decode" } else { "thumbing" }
}

fn info(full_decode: bool) -> Response {
    Response {
        lib: Some(name(full_decode).into()),
        version: Some(env!("CARGO_PKG_VERSION").into()),
        detail: Some(format!(
            "in-process, {} build",
            if cfg!(debug_assertions) { "debug (timings are not meaningful)" } else { "release" }
        )),
        ..Response::default()
    }
}

/// Runs `job` once on `bytes`, writing the output when asked.
fn run(job: &Job, bytes: &[u8], full_decode: bool) -> Response {
    let start = Instant::now();
    let result = thumbing_job_with(job, bytes, !full_decode);
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    match result {
        Ok(data) => {
            if let Some(path) = &job.output
                && let Err(e) = std::fs::write(path, &data)
            {
                return Response { error: Some(format!("cannot write {path}: {e}")), ..Response::default() };
            }
            Response { ms: Some(ms), bytes: Some(data.len() as u64), ..Response::default() }
        }
        Err(e) => Response { error: Some(format!("{} ({})", e, e.kind().code())), ..Response::default() },
    }
}

/// Serves requests from stdin until it closes; `full_decode` turns shrink-on-load off.
pub fn serve(full_decode: bool) -> Result<(), String> {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    let mut cache: HashMap<String, Vec<u8>> = HashMap::new();
    for line in stdin.lock().lines() {
        let line = line.map_err(|e| format!("reading stdin: {e}"))?;
        if line.trim().is_empty() {
            continue;
        }
        let response = match serde_json::from_str::<Request>(&line) {
            Ok(Request::Info) => info(full_decode),
            Ok(Request::Run(job)) => {
                if !cache.contains_key(&job.input) {
                    match std::fs::read(&job.input) {
                        Ok(bytes) => {
                            cache.insert(job.input.clone(), bytes);
                        }
                        Err(e) => {
                            let error = format!("cannot read {}: {e}", job.input);
                            write_line(&mut stdout, &Response { error: Some(error), ..Response::default() })?;
                            continue;
                        }
                    }
                }
                run(&job, &cache[&job.input], full_decode)
            }
            Err(e) => Response { error: Some(format!("bad request {line:?}: {e}")), ..Response::default() },
        };
        write_line(&mut stdout, &response)?;
    }
    Ok(())
}

/// Runs one request in a fresh process and reports its memory.
pub fn once(request: &str, full_decode: bool) -> Result<(), String> {
    let job = match serde_json::from_str::<Request>(request).map_err(|e| format!("bad request {request:?}: {e}"))? {
        Request::Run(job) => job,
        Request::Info => return write_line(&mut std::io::stdout().lock(), &info(full_decode)),
    };
    let idle_kb = proc_status_kb("VmRSS");
    let bytes = std::fs::read(&job.input).map_err(|e| format!("cannot read {}: {e}", job.input))?;
    let mut response = run(&job, &bytes, full_decode);
    drop(bytes);
    response.idle_kb = idle_kb;
    response.peak_kb = proc_status_kb("VmHWM");
    write_line(&mut std::io::stdout().lock(), &response)
}

fn write_line(out: &mut impl Write, response: &Response) -> Result<(), String> {
    let line = serde_json::to_string(response).map_err(|e| e.to_string())?;
    writeln!(out, "{line}").and_then(|()| out.flush()).map_err(|e| format!("writing stdout: {e}"))
}
