//! node_exporter pages: host CPU, memory, root filesystem, uptime.

use super::exposition;
use crate::domain::HostSample;

/// The families read for host figures (also queried in query mode).
pub const FAMILIES: &[&str] = &[
    "node_cpu_seconds_total",
    "node_memory_MemTotal_bytes",
    "node_memory_MemAvailable_bytes",
    "node_filesystem_size_bytes",
    "node_filesystem_avail_bytes",
    "node_boot_time_seconds",
    "node_time_seconds",
    "node_uname_info",
    // Written whatever `collect[]` asks for: the version costs no request.
    "node_exporter_build_info",
];

/// The node_exporter collectors that write [`FAMILIES`], as the query
/// string that asks for them alone (node_exporter ≥ 0.16; `stat` writes
/// the boot time, `time` the clock, `uname` the host name).
pub const COLLECT_QUERY: &str = "collect[]=cpu&collect[]=meminfo&collect[]=filesystem&collect[]=loadavg&collect[]=stat&collect[]=time&collect[]=uname";

pub fn wanted(name: &str) -> bool {
    FAMILIES.contains(&name)
}

pub fn looks_like(text: &str) -> bool {
    text.contains("node_cpu_seconds_total") || text.contains("node_uname_info")
}

/// Parses a node_exporter page. `None` when none of the families is there.
pub fn parse(text: &str) -> Option<HostSample> {
    from_samples(&exposition::parse_filtered(text, wanted))
}

/// Host figures from already-parsed samples (a page or an API answer).
pub fn from_samples(samples: &[exposition::MetricSample]) -> Option<HostSample> {
    if samples.is_empty() {
        return None;
    }
    let mut h = HostSample::default();
    // Borrowed names: one CPU's eight modes are counted once, without a
    // String per line.
    let mut cpus: std::collections::HashSet<&str> = std::collections::HashSet::new();
    for s in samples {
        let v = s.value;
        if !v.is_finite() {
            continue;
        }
        match s.name.as_ref() {
            "node_cpu_seconds_total" => {
                *h.cpu_seconds_total.get_or_insert(0.0) += v;
                let [mode, cpu] = s.labels.get_each(["mode", "cpu"]);
                if matches!(mode, Some("idle" | "iowait")) {
                    *h.cpu_seconds_idle.get_or_insert(0.0) += v;
                }
                if let Some(c) = cpu {
                    cpus.insert(c);
                }
            }
            "node_memory_MemTotal_bytes" => h.mem_total_bytes = Some(v),
            "node_memory_MemAvailable_bytes" => h.mem_available_bytes = Some(v),
            "node_filesystem_size_bytes" if s.label("mountpoint") == Some("/") => {
                h.root_fs_size_bytes = Some(v)
            }
            "node_filesystem_avail_bytes" if s.label("mountpoint") == Some("/") => {
                h.root_fs_avail_bytes = Some(v)
            }
            "node_boot_time_seconds" => h.boot_time_seconds = Some(v),
            "node_time_seconds" => h.time_seconds = Some(v),
            "node_uname_info" => h.hostname = s.label("nodename").map(str::to_string),
            "node_exporter_build_info" => {
                h.exporter_version = s.label("version").map(str::to_string)
            }
            _ => {}
        }
    }
    if !cpus.is_empty() {
        h.cpu_count = Some(cpus.len() as u32);
    }
    Some(h)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Debian's node_exporter 1.5.0 asked for `collect[]=cpu` alone: the
    /// build-info line is still there.
    const DEBIAN_CPU_ONLY: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/node_exporter/node_exporter_debian_1.5.0_collect_cpu.txt"
    ));
    /// The upstream end-to-end capture: its build-info family has HELP and
    /// TYPE but no sample (the test strips the varying version).
    const E2E: &str = include_str!(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/fixtures/node_exporter/node_exporter_e2e-output_linux.txt"
    ));

    #[test]
    fn version_from_build_info_of_a_real_page() {
        let h = parse(DEBIAN_CPU_ONLY).expect("host figures");
        assert_eq!(h.exporter_version.as_deref(), Some("1.5.0"));
        assert!(h.cpu_count.is_some_and(|c| c >= 1));
        let e2e = parse(E2E).expect("host figures");
        assert_eq!(e2e.exporter_version, None, "no sample, no version");
        assert!(e2e.mem_total_bytes.is_some());
    }
}
