//! Host figures from node_exporter.

use serde::Serialize;

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct HostSample {
    /// Sum of node_cpu_seconds_total over all CPUs and modes.
    pub cpu_seconds_total: Option<f64>,
    /// Sum of node_cpu_seconds_total{mode="idle"} (and iowait).
    pub cpu_seconds_idle: Option<f64>,
    pub cpu_count: Option<u32>,
    pub mem_total_bytes: Option<f64>,
    pub mem_available_bytes: Option<f64>,
    pub root_fs_size_bytes: Option<f64>,
    pub root_fs_avail_bytes: Option<f64>,
    pub boot_time_seconds: Option<f64>,
    pub time_seconds: Option<f64>,
    pub hostname: Option<String>,
    /// The `version` label of `node_exporter_build_info`: the node_exporter
    /// that answered (text from the network: sanitise before display).
    pub exporter_version: Option<String>,
}

impl HostSample {
    /// CPU busy percentage between two samples of the counters.
    pub fn cpu_busy_pct_since(&self, prev: &HostSample) -> Option<f64> {
        let dt = self.cpu_seconds_total? - prev.cpu_seconds_total?;
        let di = self.cpu_seconds_idle? - prev.cpu_seconds_idle?;
        (dt > 0.0).then(|| ((dt - di) / dt * 100.0).clamp(0.0, 100.0))
    }

    pub fn mem_used_bytes(&self) -> Option<f64> {
        Some(self.mem_total_bytes? - self.mem_available_bytes?)
    }

    pub fn disk_used_pct(&self) -> Option<f64> {
        let size = self.root_fs_size_bytes?;
        (size > 0.0).then(|| (size - self.root_fs_avail_bytes.unwrap_or(0.0)) / size * 100.0)
    }

    pub fn uptime_seconds(&self) -> Option<f64> {
        Some(self.time_seconds? - self.boot_time_seconds?)
    }
}
