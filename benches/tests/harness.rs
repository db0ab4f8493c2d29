//! End-to-end checks of `thumbing-peers`: the worker protocol, the one-shot memory run, the
//! scorer, and a whole (thumbing-only) harness run writing its report.

use std::io::{BufRead, BufReader, Write};
use std::path::PathBuf;
use std::process::{Command, Stdio};

use thumbing_benches::corpus;
use thumbing_benches::protocol::{Job, Request, Response, task};

const BIN: &str = env!("CARGO_BIN_EXE_thumbing-peers");

fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("thumbing-benches-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn fixture(name: &str) -> String {
    corpus::fixtures_dir().join(name).to_string_lossy().into_owned()
}

#[test]
fn worker_speaks_the_protocol() {
    let dir = scratch("worker");
    let mut child =
        Command::new(BIN).arg("worker").stdin(Stdio::piped()).stdout(Stdio::piped()).spawn().expect("start the worker");
    let mut stdin = child.stdin.take().unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut ask = |request: &Request| -> Response {
        writeln!(stdin, "{}", serde_json::to_string(request).unwrap()).unwrap();
        stdin.flush().unwrap();
        let mut line = String::new();
        stdout.read_line(&mut line).unwrap();
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("bad reply {line:?}: {e}"))
    };

    let info = ask(&Request::Info);
    assert_eq!(info.lib.as_deref(), Some("thumbing"));
    assert_eq!(info.version.as_deref(), Some(env!("CARGO_PKG_VERSION")));

    let out = dir.join("out.jpg");
    let cover128 = task("cover128").unwrap();
    let job = Job::new(&cover128, &fixture("landscape_6.jpg"), Some(out.to_string_lossy().into_owned()));
    let r = ask(&Request::Run(job));
    assert!(r.error.is_none(), "{r:?}");
    assert!(r.ms.unwrap() >= 0.0);
    let written = std::fs::read(&out).unwrap();
    assert_eq!(r.bytes, Some(written.len() as u64));
    let info = thumbing::probe(&written).unwrap();
    assert_eq!((info.width, info.height), (128, 128));

    // Errors are answers, not crashes: the worker keeps serving.
    let missing = Job::new(&cover128, "/nonexistent/photo.jpg", None);
    assert!(ask(&Request::Run(missing)).error.unwrap().contains("/nonexistent/photo.jpg"));
    let truncated = dir.join("truncated.png");
    std::fs::write(&truncated, b"\x89PNG\r\n\x1a\n truncated").unwrap();
    let corrupt = Job::new(&cover128, &truncated.to_string_lossy(), None);
    assert!(ask(&Request::Run(corrupt)).error.is_some());
    assert_eq!(ask(&Request::Info).lib.as_deref(), Some("thumbing"));

    drop(stdin);
    assert!(child.wait().unwrap().success());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn once_reports_memory() {
    let dir = scratch("once");
    let photo = std::fs::read(fixture("landscape_1.jpg")).unwrap();
    let rgba = thumbing_benches::synth::with_alpha(&thumbing_benches::synth::photo(&photo, 600, 400, 2).unwrap());
    let input = dir.join("alpha.png");
    std::fs::write(&input, thumbing_benches::synth::png(&rgba, png::Compression::Fast)).unwrap();
    let job = Job::new(&task("alpha512").unwrap(), &input.to_string_lossy(), None);
    let out = Command::new(BIN)
        .args(["worker", "--once", &serde_json::to_string(&Request::Run(job)).unwrap()])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let r: Response = serde_json::from_slice(&out.stdout).unwrap();
    let (idle, peak) = (r.idle_kb.unwrap(), r.peak_kb.unwrap());
    assert!(idle > 0 && peak >= idle, "idle {idle} KiB, peak {peak} KiB");
    assert!(r.bytes.unwrap() > 0);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn score_ranks_a_good_output_above_a_bad_one() {
    let dir = scratch("score");
    let input = fixture("landscape_1.jpg");
    let bytes = std::fs::read(&input).unwrap();
    let good = thumbing::Options::new().size(128).process(&bytes).unwrap().remove(0).data;
    // Nearest-neighbour at low quality: visibly worse.
    let bad = thumbing::Options::new().size(128).filter(thumbing::Filter::Nearest).quality(5).process(&bytes).unwrap();
    std::fs::write(dir.join("good.jpg"), good).unwrap();
    std::fs::write(dir.join("bad.jpg"), &bad[0].data).unwrap();
    let out = Command::new(BIN)
        .args(["score", "--task", "cover128", "--input", &input])
        .arg(dir.join("good.jpg"))
        .arg(dir.join("bad.jpg"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).unwrap();
    let scores: Vec<f64> = text
        .lines()
        .map(|l| l.split("ssim ").nth(1).unwrap().split_whitespace().next().unwrap().parse().unwrap())
        .collect();
    assert_eq!(scores.len(), 2, "{text}");
    assert!(scores[0] > 0.9, "{text}");
    assert!(scores[0] > scores[1] + 0.05, "{text}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn harness_runs_end_to_end_with_thumbing_alone() {
    let Some(corpus_dir) = corpus::require_corpus("harness_runs_end_to_end_with_thumbing_alone") else { return };
    let dir = scratch("harness");
    let out = Command::new(BIN)
        .args(["run", "--quick", "--libs", "thumbing", "--runs", "2"])
        .arg("--corpus")
        .arg(&corpus_dir)
        .arg("--peers-dir")
        .arg(dir.join("peers"))
        .arg("--out")
        .arg(dir.join("report"))
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let report = dir.join("report");
    let csv = std::fs::read_to_string(report.join("peers.csv")).unwrap();
    let rows: Vec<&str> = csv.lines().skip(1).collect();
    assert_eq!(rows.len(), 2, "{csv}");
    for row in rows {
        let f: Vec<&str> = row.split(',').collect();
        assert_eq!(f[7], "thumbing");
        assert_eq!(f[9], "2", "two timed runs: {row}");
        let ssim: f64 = f[20].parse().unwrap_or_else(|_| panic!("no SSIM in {row}"));
        assert!(ssim > 0.9, "{row}");
        assert!(f[18].parse::<u64>().unwrap() > 0, "peak RSS: {row}");
    }
    let md = std::fs::read_to_string(report.join("peers.md")).unwrap();
    assert!(md.contains("**Machine:**") && md.contains("2569067123_aca715a2ee_o.jpg"), "{md}");
    let svg = std::fs::read_to_string(report.join("peers.svg")).unwrap();
    assert!(svg.starts_with("<svg") && svg.contains("thumbing"));
    assert_eq!(std::fs::read_to_string(report.join("peers-runs.csv")).unwrap().lines().count(), 1 + 2 * 2);
    std::fs::remove_dir_all(&dir).unwrap();
}
