//! A description of the machine a benchmark ran on, read from `/proc` and `/etc/os-release`.

/// What the report says about the machine.
#[derive(Debug, Clone, PartialEq)]
pub struct Machine {
    /// `model name` from `/proc/cpuinfo` (or "unknown CPU").
    pub cpu_model: String,
    /// Logical CPUs visible to this process.
    pub logical_cpus: usize,
    /// Total memory in GiB, from `/proc/meminfo`.
    pub memory_gib: f64,
    /// The OS name (`PRETTY_NAME` from `/etc/os-release`).
    pub os: String,
    /// The kernel release.
    pub kernel: String,
}

fn read(path: &str) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The value after the first `key:` (cpuinfo/meminfo style) or `key=` (os-release style).
fn field<'a>(text: &'a str, key: &str, sep: char) -> Option<&'a str> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(sep)?;
        (k.trim() == key).then(|| v.trim().trim_matches('"'))
    })
}

impl Machine {
    /// Reads the current machine.
    ///
    /// ```
    /// let m = thumbing_benches::machine::Machine::current();
    /// assert!(m.logical_cpus >= 1);
    /// ```
    pub fn current() -> Machine {
        let cpuinfo = read("/proc/cpuinfo");
        let meminfo = read("/proc/meminfo");
        let os_release = read("/etc/os-release");
        let mem_kb: f64 =
            field(&meminfo, "MemTotal", ':').and_then(|v| v.trim_end_matches("kB").trim().parse().ok()).unwrap_or(0.0);
        Machine {
            cpu_model: field(&cpuinfo, "model name", ':').unwrap_or("unknown CPU").to_string(),
            logical_cpus: std::thread::available_parallelism().map_or(1, usize::from),
            memory_gib: mem_kb / (1024.0 * 1024.0),
            os: field(&os_release, "PRETTY_NAME", '=').unwrap_or(std::env::consts::OS).to_string(),
            kernel: read("/proc/sys/kernel/osrelease").trim().to_string(),
        }
    }

    /// One line for a report: `AMD EPYC, 2 logical CPUs, 24.0 GiB, Debian ..., Linux 6.1`.
    ///
    /// ```
    /// let line = thumbing_benches::machine::Machine::current().summary();
    /// assert!(line.contains("logical CPU"));
    /// ```
    pub fn summary(&self) -> String {
        format!(
            "{}, {} logical CPU{}, {:.1} GiB RAM, {}, kernel {}",
            self.cpu_model,
            self.logical_cpus,
            if self.logical_cpus == 1 { "" } else { "s" },
            self.memory_gib,
            self.os,
            self.kernel
        )
    }
}

/// The 1, 5 and 15 minute load averages from `/proc/loadavg`.
///
/// ```
/// if cfg!(target_os = "linux") {
///     assert!(thumbing_benches::machine::load_average().is_some());
/// }
/// ```
pub fn load_average() -> Option<[f64; 3]> {
    let text = read("/proc/loadavg");
    let mut it = text.split_whitespace().map(|v| v.parse::<f64>());
    Some([it.next()?.ok()?, it.next()?.ok()?, it.next()?.ok()?])
}
