//! The run's findings: checks (pass/fail), measured figures, per-route latency tables and
//! memory traces, written as Markdown with an SVG plot beside it.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::Path;
use std::time::Duration;

use crate::client::{RouteSamples, quantile};

/// Resident memory of the service over time.
#[derive(Debug, Clone, Default)]
pub struct MemoryTrace {
    /// (seconds since the start, RSS bytes, peak RSS bytes so far)
    points: Vec<(f64, u64, u64)>,
}

impl MemoryTrace {
    pub fn push(&mut self, t: f64, rss: u64, peak: u64) {
        self.points.push((t, rss, peak));
    }

    /// The highest peak seen.
    pub fn peak(&self) -> u64 {
        self.points.iter().map(|p| p.2.max(p.1)).max().unwrap_or(0)
    }
}

#[derive(Default)]
pub struct Report {
    quick: bool,
    /// The command that ran, as the report shows it.
    command: String,
    /// When the run started, `YYYY-MM-DD HH:MM UTC`.
    date: String,
    checks: Vec<(bool, String)>,
    figures: Vec<(String, String)>,
    tables: Vec<String>,
    traces: Vec<(String, MemoryTrace)>,
    notes: Vec<String>,
}

impl Report {
    /// A report of a run started now by `command`.
    pub fn new(quick: bool, command: String) -> Report {
        use thumbing_avatar_service::presign::{iso8601, unix_seconds};
        let now = iso8601(unix_seconds(std::time::SystemTime::now()));
        let date = format!("{} {} UTC", &now[..10], &now[11..16]);
        Report { quick, command, date, ..Report::default() }
    }

    /// Records a check; prints it at once.
    pub fn check(&mut self, ok: bool, what: String) {
        println!("{} {what}", if ok { "ok  " } else { "FAIL" });
        self.checks.push((ok, what));
    }

    pub fn fail(&mut self, what: String) {
        self.check(false, what);
    }

    pub fn figure(&mut self, what: &str, value: String) {
        println!("     {what}: {value}");
        self.figures.push((what.to_owned(), value));
    }

    pub fn note(&mut self, what: String) {
        println!("     {what}");
        self.notes.push(what);
    }

    /// A table of requests/s and latency per route over `elapsed`.
    pub fn routes(&mut self, title: &str, routes: &BTreeMap<String, RouteSamples>, elapsed: Duration) {
        let mut table = format!(
            "**{title}**\n\n| route | requests | requests/s | p50 ms | p99 ms | unexpected answers |\n|---|--:|--:|--:|--:|---|\n"
        );
        for (route, samples) in routes {
            let unexpected = if samples.unexpected.is_empty() {
                "—".to_string()
            } else {
                samples.unexpected.iter().map(|(s, n)| format!("{n}× {s}")).collect::<Vec<_>>().join(", ")
            };
            let _ = writeln!(
                table,
                "| {route} | {} | {:.0} | {:.1} | {:.1} | {unexpected} |",
                samples.millis.len(),
                samples.millis.len() as f64 / elapsed.as_secs_f64().max(1e-3),
                quantile(&samples.millis, 0.5),
                quantile(&samples.millis, 0.99),
            );
        }
        println!("{table}");
        self.tables.push(table);
    }

    pub fn trace(&mut self, title: &str, trace: MemoryTrace) {
        self.traces.push((title.to_owned(), trace));
    }

    pub fn failed(&self) -> bool {
        self.checks.iter().any(|(ok, _)| !ok)
    }

    pub fn summary(&self) -> String {
        let failed = self.checks.iter().filter(|(ok, _)| !ok).count();
        format!("avatar-load: {} checks, {failed} failed", self.checks.len())
    }

    /// Writes `path` (Markdown) and, beside it, `<stem>.svg` with the memory traces.
    pub fn write(&self, path: &Path) -> std::io::Result<()> {
        let svg_name = format!("{}.svg", path.file_stem().and_then(|s| s.to_str()).unwrap_or("service"));
        let mut md = String::from("# The avatar service under load and faults\n\n");
        md.push_str(
            "Written by `bash scripts/bench-service.sh` (the `avatar-load` tool, \
             examples/avatar-service/src/bin/avatar-load/): the release build of `avatar-service` driven on \
             127.0.0.1 by simulated users, in local mode (folders and SQLite) and against moto (S3) and \
             PostgreSQL. Do not edit by hand.\n\n",
        );
        let _ = writeln!(md, "Command: `{}`\n", self.command);
        let _ = writeln!(
            md,
            "Machine: {}; run: {}, {}.\n",
            machine(),
            if self.quick { "quick" } else { "full" },
            self.date
        );
        md.push_str("## Figures\n\n| measure | value |\n|---|---|\n");
        for (what, value) in &self.figures {
            let _ = writeln!(md, "| {what} | {value} |");
        }
        md.push_str("\n## Latency per route\n\n");
        for table in &self.tables {
            md.push_str(table);
            md.push('\n');
        }
        if !self.traces.is_empty() {
            let _ = writeln!(md, "## Memory during the bursts\n\n![resident memory of the service]({svg_name})\n");
        }
        md.push_str("## Checks\n\n");
        for (ok, what) in &self.checks {
            let _ = writeln!(md, "- {} {what}", if *ok { "✅" } else { "❌" });
        }
        if !self.notes.is_empty() {
            md.push('\n');
            for note in &self.notes {
                let _ = writeln!(md, "- {note}");
            }
        }
        std::fs::write(path, md)?;
        if !self.traces.is_empty() {
            std::fs::write(path.with_file_name(svg_name), plot(&self.traces))?;
        }
        Ok(())
    }
}

/// CPU model and core count, from /proc.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|t| {
            t.lines()
                .find_map(|l| l.strip_prefix("model name").map(|v| v.trim_start_matches([' ', '\t', ':']).to_owned()))
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cpu}, {cores} cores")
}

/// One line chart per trace: RSS (MB) over time (s).
fn plot(traces: &[(String, MemoryTrace)]) -> String {
    const W: f64 = 720.0;
    const H: f64 = 220.0;
    const PAD: f64 = 48.0;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{}\" font-family=\"sans-serif\" font-size=\"12\">\n",
        H * traces.len() as f64
    );
    for (i, (title, trace)) in traces.iter().enumerate() {
        let top = H * i as f64;
        let t_max = trace.points.last().map_or(1.0, |p| p.0).max(1.0);
        let mb_max = (trace.peak() as f64 / (1 << 20) as f64 * 1.1).max(16.0);
        let x = |t: f64| PAD + t / t_max * (W - 2.0 * PAD);
        let y = |mb: f64| top + H - PAD + 10.0 - mb / mb_max * (H - 2.0 * PAD);
        let _ = writeln!(svg, "<text x=\"{PAD}\" y=\"{}\" font-weight=\"bold\">{}</text>", top + 18.0, escape(title));
        let _ = writeln!(
            svg,
            "<line x1=\"{PAD}\" y1=\"{0}\" x2=\"{1}\" y2=\"{0}\" stroke=\"#888\"/><line x1=\"{PAD}\" y1=\"{2}\" x2=\"{PAD}\" y2=\"{0}\" stroke=\"#888\"/>",
            y(0.0),
            W - PAD,
            y(mb_max)
        );
        for k in 0..=4 {
            let mb = mb_max * f64::from(k) / 4.0;
            let _ = writeln!(svg, "<text x=\"4\" y=\"{:.1}\">{mb:.0} MB</text>", y(mb) + 4.0);
            let t = t_max * f64::from(k) / 4.0;
            let _ = writeln!(svg, "<text x=\"{:.1}\" y=\"{:.1}\">{t:.0} s</text>", x(t) - 8.0, y(0.0) + 16.0);
        }
        let line: Vec<String> = trace
            .points
            .iter()
            .map(|&(t, rss, _)| format!("{:.1},{:.1}", x(t), y(rss as f64 / (1 << 20) as f64)))
            .collect();
        let _ = writeln!(
            svg,
            "<polyline fill=\"none\" stroke=\"#1f6feb\" stroke-width=\"1.5\" points=\"{}\"/>",
            line.join(" ")
        );
        let limit = 512.0;
        if limit <= mb_max {
            let _ = writeln!(
                svg,
                "<line x1=\"{PAD}\" y1=\"{0:.1}\" x2=\"{1}\" y2=\"{0:.1}\" stroke=\"#d1242f\" stroke-dasharray=\"4 3\"/><text x=\"{2}\" y=\"{3:.1}\" fill=\"#d1242f\">512 MB target</text>",
                y(limit),
                W - PAD,
                W - PAD - 90.0,
                y(limit) - 4.0
            );
        }
    }
    svg.push_str("</svg>\n");
    svg
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

/// Writes a `width`×`height` RGB PNG of one grey: tiny on disk, `width × height` pixels to
/// decode.
pub fn write_flat_png(path: &Path, width: u32, height: u32) -> std::io::Result<()> {
    let file = std::io::BufWriter::new(std::fs::File::create(path)?);
    let mut encoder = png::Encoder::new(file, width, height);
    encoder.set_color(png::ColorType::Rgb);
    encoder.set_depth(png::BitDepth::Eight);
    encoder.set_compression(png::Compression::High);
    let mut writer = encoder.write_header().map_err(std::io::Error::other)?;
    let mut stream = writer.stream_writer().map_err(std::io::Error::other)?;
    let row = vec![0x80u8; width as usize * 3];
    for _ in 0..height {
        stream.write_all(&row)?;
    }
    stream.finish().map_err(std::io::Error::other)?;
    Ok(())
}
