//! The rest of a real node_exporter page. Real pages are 100–400 KB (the
//! project's e2e capture is 377 KB); the simulator's own families are a few
//! KB. Every simulated node_exporter page carries the capture's other
//! families unchanged, so scraping the demo costs what scraping a real
//! host does (see data/PROVENANCE.md).

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

/// node_exporter's end-to-end test output (prometheus/node_exporter
/// `collector/fixtures/e2e-output.txt`, see data/PROVENANCE.md).
const CAPTURE: &str = include_str!("data/node_exporter_e2e-output_linux.txt");

/// Families the simulator renders itself, with changing values.
pub const SIMULATED: &[&str] = &[
    "node_boot_time_seconds",
    "node_cpu_seconds_total",
    "node_filesystem_avail_bytes",
    "node_filesystem_size_bytes",
    "node_load1",
    "node_memory_MemAvailable_bytes",
    "node_memory_MemTotal_bytes",
    "node_time_seconds",
    "node_uname_info",
];

/// Which families a node_exporter collector writes, by name prefix
/// (node_exporter's collector sources; approximate, enough for `collect[]`).
const COLLECTOR_PREFIXES: &[(&str, &[&str])] = &[
    ("cpu", &["node_cpu_"]),
    ("meminfo", &["node_memory_"]),
    ("filesystem", &["node_filesystem_"]),
    ("loadavg", &["node_load"]),
    (
        "stat",
        &[
            "node_boot_time_seconds",
            "node_context_switches_total",
            "node_forks_total",
            "node_intr_total",
            "node_procs_",
        ],
    ),
    ("time", &["node_time_"]),
    ("uname", &["node_uname_"]),
];

/// Families node_exporter serves whatever collectors are asked for: its own
/// process, Go runtime and build info (the capture has the build info's
/// HELP and TYPE but no sample, so the demo reports no version).
const ALWAYS: &[&str] = &["go_", "process_", "promhttp_", "node_exporter_build_info"];

/// The family a line belongs to: a sample's metric name, or the name a
/// `# HELP` / `# TYPE` line gives.
fn family_of(line: &str) -> &str {
    let rest = line
        .strip_prefix("# HELP ")
        .or_else(|| line.strip_prefix("# TYPE "))
        .unwrap_or(line);
    let end = rest
        .find(|c: char| c == '{' || c.is_whitespace())
        .unwrap_or(rest.len());
    &rest[..end]
}

fn filler(keep: impl Fn(&str) -> bool) -> String {
    let mut out = String::with_capacity(CAPTURE.len());
    for line in CAPTURE.lines() {
        let family = family_of(line);
        if !SIMULATED.contains(&family) && keep(family) {
            out.push_str(line);
            out.push('\n');
        }
    }
    out
}

/// The capture less the simulated families: what a full scrape adds.
pub static FULL: LazyLock<String> = LazyLock::new(|| filler(|_| true));

/// What a scrape limited with `collect[]` to `collectors` adds. An unknown
/// collector name gives `None`, as node_exporter answers 400 to it. Each
/// set asked for is filtered once.
pub fn collected_cached(collectors: &[&str]) -> Option<Arc<String>> {
    static CACHE: LazyLock<Mutex<HashMap<Vec<String>, Arc<String>>>> =
        LazyLock::new(|| Mutex::new(HashMap::new()));
    let key: Vec<String> = collectors.iter().map(|c| c.to_string()).collect();
    let mut cache = CACHE.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(hit) = cache.get(&key) {
        return Some(Arc::clone(hit));
    }
    let text = Arc::new(collected(collectors)?);
    cache.insert(key, Arc::clone(&text));
    Some(text)
}

fn collected(collectors: &[&str]) -> Option<String> {
    let mut prefixes: Vec<&str> = ALWAYS.to_vec();
    for c in collectors {
        let (_, p) = COLLECTOR_PREFIXES.iter().find(|(name, _)| name == c)?;
        prefixes.extend_from_slice(p);
    }
    Some(filler(|f| prefixes.iter().any(|p| f.starts_with(p))))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn full_filler_is_page_sized_and_has_no_simulated_family() {
        assert!(FULL.len() > 300_000, "{}", FULL.len());
        for line in FULL.lines() {
            assert!(!SIMULATED.contains(&family_of(line)), "{line}");
        }
    }

    #[test]
    fn collect_keeps_only_the_named_collectors() {
        let some = collected(&["cpu", "meminfo"]).expect("known collectors");
        assert!(some.len() < FULL.len() / 5, "{}", some.len());
        assert!(some.contains("node_memory_Buffers_bytes"));
        assert!(some.contains("# TYPE go_goroutines gauge"));
        assert!(!some.contains("node_network_"));
        assert!(collected(&["cpu", "nonesuch"]).is_none());
    }
}
