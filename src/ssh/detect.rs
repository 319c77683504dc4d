//! What onboarding learns about a node in one SSH command: OS and
//! architecture, init system, GPUs and driver (`nvidia-smi --query-gpu`,
//! tolerant of `[N/A]` and `[Not Supported]`), whether DCGM is there, which
//! exporter ports listen, and the topology. The command is a fixed text; the
//! parser is a pure function of its output.

/// Sections are introduced by `== NAME` lines.
pub const COMMAND: &str = "echo '== os'; uname -sm; (. /etc/os-release 2>/dev/null && echo \"$PRETTY_NAME\"); \
echo '== init'; cat /proc/1/comm 2>/dev/null; \
echo '== gpus'; nvidia-smi --query-gpu=name,uuid,pci.bus_id,driver_version,memory.total --format=csv 2>&1; \
echo '== dcgm'; command -v nv-hostengine 2>/dev/null; ls /usr/lib/*/libdcgm.so* /usr/lib64/libdcgm.so* 2>/dev/null | head -1; \
echo '== listen'; (ss -ltnH 2>/dev/null || netstat -ltn 2>/dev/null) | awk '{print $4}'; \
echo '== topo'; nvidia-smi topo -m 2>&1; echo '==== nvlink'; nvidia-smi nvlink --status 2>&1; \
echo '==== nvlink errors'; nvidia-smi nvlink -e 2>&1";

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DetectedGpu {
    pub name: String,
    pub uuid: Option<String>,
    pub pci_bus_id: Option<String>,
    pub driver: Option<String>,
    pub memory: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Detection {
    /// `Linux x86_64`.
    pub kernel_arch: String,
    /// `Ubuntu 22.04.4 LTS`.
    pub os: Option<String>,
    /// `systemd`, `init`, …
    pub init: Option<String>,
    pub gpus: Vec<DetectedGpu>,
    /// What nvidia-smi said instead of a table (not installed, no devices).
    pub gpu_problem: Option<String>,
    pub dcgm: bool,
    /// Ports listening on the node.
    pub listening: Vec<u16>,
    /// The `topo -m`, `nvlink --status` and `nvlink -e` text, for the
    /// topology cache.
    pub topology: String,
}

/// A field value, `None` for `[N/A]`, `[Not Supported]` or empty.
fn value(v: &str) -> Option<String> {
    let v = v.trim();
    (!v.is_empty() && !v.starts_with('[')).then(|| crate::text::sanitize_max(v, 80))
}

/// Parses `nvidia-smi --query-gpu=… --format=csv` with its header, by
/// column name, so extra or reordered columns do not matter.
pub fn parse_gpu_csv(text: &str) -> Result<Vec<DetectedGpu>, String> {
    let mut lines = text.lines().filter(|l| !l.trim().is_empty());
    let Some(header) = lines.next() else {
        return Err("nvidia-smi printed nothing".into());
    };
    let cols: Vec<String> = header
        .split(',')
        .map(|c| c.trim().split(' ').next().unwrap_or("").to_string())
        .collect();
    let at = |name: &str| cols.iter().position(|c| c == name);
    let Some(name_at) = at("name") else {
        return Err(crate::text::sanitize_max(header.trim(), 120));
    };
    let mut gpus = Vec::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        let get = |i: Option<usize>| i.and_then(|i| cells.get(i)).and_then(|v| value(v));
        gpus.push(DetectedGpu {
            name: get(Some(name_at)).unwrap_or_else(|| "unknown GPU".into()),
            uuid: get(at("uuid")),
            pci_bus_id: get(at("pci.bus_id")),
            driver: get(at("driver_version")),
            memory: get(at("memory.total")),
        });
    }
    Ok(gpus)
}

pub fn parse(text: &str) -> Detection {
    let mut d = Detection::default();
    let mut section = "";
    let mut gpu_text = String::new();
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("== ") {
            section = match name.trim() {
                "os" => "os",
                "init" => "init",
                "gpus" => "gpus",
                "dcgm" => "dcgm",
                "listen" => "listen",
                "topo" => "topo",
                _ => section,
            };
            continue;
        }
        match section {
            "os" if d.kernel_arch.is_empty() => {
                d.kernel_arch = crate::text::sanitize_max(line.trim(), 60)
            }
            "os" => d.os = value(line).or(d.os.take()),
            "init" => d.init = value(line).or(d.init.take()),
            "gpus" => {
                gpu_text.push_str(line);
                gpu_text.push('\n');
            }
            "dcgm" => d.dcgm |= !line.trim().is_empty(),
            "listen" => {
                if let Some(p) = line.trim().rsplit(':').next().and_then(|p| p.parse().ok())
                    && !d.listening.contains(&p)
                {
                    d.listening.push(p);
                }
            }
            "topo" => {
                d.topology.push_str(line);
                d.topology.push('\n');
            }
            _ => {}
        }
    }
    match parse_gpu_csv(&gpu_text) {
        Ok(g) => d.gpus = g,
        Err(e) => d.gpu_problem = Some(e),
    }
    d
}

impl Detection {
    /// The preview, a line each, as the action log shows it.
    pub fn summary(&self, ports: &[(&str, Option<u16>)]) -> Vec<String> {
        let mut out = vec![format!(
            "system: {}{}, init {}",
            self.kernel_arch,
            self.os
                .as_deref()
                .map(|o| format!(" ({o})"))
                .unwrap_or_default(),
            self.init.as_deref().unwrap_or("unknown")
        )];
        match (&self.gpu_problem, self.gpus.first()) {
            (Some(p), _) => out.push(format!("GPUs: none found: {p}")),
            (None, None) => out.push("GPUs: none".into()),
            (None, Some(first)) => out.push(format!(
                "GPUs: {} × {}, driver {}{}",
                self.gpus.len(),
                first.name,
                first.driver.as_deref().unwrap_or("unknown"),
                first
                    .memory
                    .as_deref()
                    .map(|m| format!(", {m} each"))
                    .unwrap_or_default()
            )),
        }
        out.push(format!(
            "DCGM: {}",
            if self.dcgm {
                "present"
            } else {
                "not found (dcgm-exporter needs it)"
            }
        ));
        for (name, port) in ports {
            if let Some(p) = port {
                let state = if self.listening.contains(p) {
                    "answering"
                } else {
                    "not running"
                };
                out.push(format!("{name} :{p} {state}"));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_real_query_gpu_capture_parses_by_column_name() {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/nvidia_smi/nvgpuexp_query-gpu_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__idle.csv");
        let text = std::fs::read_to_string(&p).expect("fixture");
        let gpus = parse_gpu_csv(&text).expect("parses");
        assert_eq!(gpus.len(), 1);
        assert_eq!(gpus[0].name, "NVIDIA H100 80GB HBM3");
        assert_eq!(gpus[0].driver.as_deref(), Some("590.48.01"));
        assert!(
            gpus[0]
                .pci_bus_id
                .as_deref()
                .is_some_and(|b| b.contains(':'))
        );
    }

    #[test]
    fn not_applicable_values_and_a_missing_nvidia_smi() {
        let g = parse_gpu_csv("name, uuid, pci.bus_id, driver_version, memory.total [MiB]\nNVIDIA L4, [N/A], 00000000:01:00.0, [Not Supported], 23034 MiB\n")
            .expect("parses");
        assert_eq!(g[0].uuid, None);
        assert_eq!(g[0].driver, None);
        assert_eq!(g[0].memory.as_deref(), Some("23034 MiB"));
        let d = parse(
            "== os\nLinux x86_64\nDebian GNU/Linux 12\n== init\nsystemd\n== gpus\nsh: 1: nvidia-smi: not found\n== dcgm\n== listen\n0.0.0.0:22\n[::]:9100\n== topo\n",
        );
        assert_eq!(d.init.as_deref(), Some("systemd"));
        assert_eq!(d.listening, [22, 9100]);
        assert!(
            d.gpu_problem
                .as_deref()
                .is_some_and(|p| p.contains("not found")),
            "{d:?}"
        );
        let s = d.summary(&[("node_exporter", Some(9100)), ("dcgm-exporter", Some(9400))]);
        assert_eq!(
            s[0],
            "system: Linux x86_64 (Debian GNU/Linux 12), init systemd"
        );
        assert!(
            s.contains(&"node_exporter :9100 answering".to_string()),
            "{s:?}"
        );
        assert!(
            s.contains(&"dcgm-exporter :9400 not running".to_string()),
            "{s:?}"
        );
    }
}
