//! Turns the JSON that `cargo bench` leaves under `target/criterion/` into a markdown table.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde::Deserialize;

#[derive(Deserialize)]
struct BenchmarkId {
    group_id: String,
    function_id: Option<String>,
    #[serde(default)]
    throughput: Option<Throughput>,
}

#[derive(Deserialize)]
enum Throughput {
    Elements(u64),
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct Estimate {
    point_estimate: f64,
    confidence_interval: Interval,
}

#[derive(Deserialize)]
struct Interval {
    lower_bound: f64,
    upper_bound: f64,
}

#[derive(Deserialize)]
struct Estimates {
    median: Estimate,
}

/// The group prefixes of this crate's benches; other crates' criterion results in the same
/// target directory are left out.
const GROUPS: [&str; 6] = ["probe", "decode/", "orient", "render/", "encode", "pipeline/"];

/// One benchmark's result.
struct Row {
    function: String,
    median_ns: f64,
    low_ns: f64,
    high_ns: f64,
    elements: Option<u64>,
}

fn find_results(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            if path.file_name().is_some_and(|n| n == "new") {
                if path.join("benchmark.json").is_file() && path.join("estimates.json").is_file() {
                    out.push(path);
                }
            } else {
                find_results(&path, out);
            }
        }
    }
}

/// A sort key that orders embedded numbers by value: `jpeg-2MP` before `jpeg-12MP`.
fn natural_key(s: &str) -> String {
    let mut key = String::new();
    let mut number = String::new();
    let flush = |number: &mut String, key: &mut String| {
        if !number.is_empty() {
            let value: f64 = number.trim_end_matches('.').parse().unwrap_or(0.0);
            key.push_str(&format!("{value:016.4}"));
            number.clear();
        }
    };
    for c in s.chars() {
        if c.is_ascii_digit() || (c == '.' && !number.is_empty()) {
            number.push(c);
        } else {
            flush(&mut number, &mut key);
            key.push(c);
        }
    }
    flush(&mut number, &mut key);
    key
}

fn time(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else if ns >= 1e3 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{ns:.0} ns")
    }
}

/// Reads every result under `criterion_dir` and returns the markdown report.
pub fn render(criterion_dir: &Path, header: &str) -> Result<String, String> {
    let mut dirs = Vec::new();
    find_results(criterion_dir, &mut dirs);
    if dirs.is_empty() {
        return Err(format!(
            "no criterion results under {} (run `cargo bench -p thumbing-benches` first)",
            criterion_dir.display()
        ));
    }
    let mut groups: BTreeMap<String, Vec<Row>> = BTreeMap::new();
    for dir in dirs {
        let read = |name: &str| std::fs::read_to_string(dir.join(name)).map_err(|e| format!("{}: {e}", dir.display()));
        let id: BenchmarkId =
            serde_json::from_str(&read("benchmark.json")?).map_err(|e| format!("{}: {e}", dir.display()))?;
        if !GROUPS.iter().any(|g| id.group_id.starts_with(g)) {
            continue;
        }
        let est: Estimates =
            serde_json::from_str(&read("estimates.json")?).map_err(|e| format!("{}: {e}", dir.display()))?;
        groups.entry(id.group_id).or_default().push(Row {
            function: id.function_id.unwrap_or_default(),
            median_ns: est.median.point_estimate,
            low_ns: est.median.confidence_interval.lower_bound,
            high_ns: est.median.confidence_interval.upper_bound,
            elements: match id.throughput {
                Some(Throughput::Elements(n)) => Some(n),
                _ => None,
            },
        });
    }
    if groups.is_empty() {
        return Err(format!("no thumbing-benches results under {}", criterion_dir.display()));
    }
    let mut s = String::new();
    s.push_str(header);
    for (group, mut rows) in groups {
        rows.sort_by_key(|r| natural_key(&r.function));
        let with_rate = rows.iter().any(|r| r.elements.is_some());
        let _ = writeln!(s, "\n### `{group}`\n");
        if with_rate {
            s.push_str("| input | median | 95% CI | input MP/s |\n|---|--:|--:|--:|\n");
        } else {
            s.push_str("| input | median | 95% CI |\n|---|--:|--:|\n");
        }
        for r in rows {
            let _ = write!(s, "| {} | {} | {} – {} |", r.function, time(r.median_ns), time(r.low_ns), time(r.high_ns));
            if with_rate {
                let rate =
                    r.elements.map(|n| format!("{:.1}", n as f64 / 1e6 / (r.median_ns / 1e9))).unwrap_or_default();
                let _ = write!(s, " {rate} |");
            }
            s.push('\n');
        }
    }
    Ok(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_sort_by_value() {
        let mut names = vec!["jpeg-24MP", "jpeg-2MP", "jpeg-0.5MP", "jpeg-12MP", "gif-2MP"];
        names.sort_by_key(|n| natural_key(n));
        assert_eq!(names, ["gif-2MP", "jpeg-0.5MP", "jpeg-2MP", "jpeg-12MP", "jpeg-24MP"]);
    }

    #[test]
    fn reads_criterion_json() {
        let dir = std::env::temp_dir().join(format!("thumbing-criterion-report-{}", std::process::id()));
        let new = dir.join("pipeline_jpeg-512").join("photo").join("new");
        std::fs::create_dir_all(&new).unwrap();
        std::fs::write(
            new.join("benchmark.json"),
            r#"{"group_id":"pipeline/jpeg-512","function_id":"photo","value_str":null,"throughput":{"Elements":6000000},"full_id":"pipeline/jpeg-512/photo","directory_name":"x","title":"x"}"#,
        )
        .unwrap();
        std::fs::write(
            new.join("estimates.json"),
            r#"{"mean":{"point_estimate":1.0,"standard_error":0.1,"confidence_interval":{"confidence_level":0.95,"lower_bound":1.0,"upper_bound":1.0}},
               "median":{"point_estimate":60000000.0,"standard_error":1.0,"confidence_interval":{"confidence_level":0.95,"lower_bound":59000000.0,"upper_bound":61000000.0}}}"#,
        )
        .unwrap();
        let md = render(&dir, "# t\n").unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(md.contains("### `pipeline/jpeg-512`"), "{md}");
        assert!(md.contains("| photo | 60.00 ms | 59.00 ms – 61.00 ms | 100.0 |"), "{md}");
    }
}
