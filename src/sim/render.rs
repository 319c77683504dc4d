//! Renders simulated exporter pages in the exposition format of the real
//! exporters.

use std::fmt::Write;
use std::sync::LazyLock;

use super::dynamics::{self, GpuState, Roles};
use super::profile::{self, Profile};

/// One metric family from dcgm-exporter's default counters.
#[derive(Debug, Clone)]
pub struct Family {
    pub name: String,
    pub kind: String,
    pub help: String,
}

const DEFAULT_COUNTERS: &str = include_str!("data/dcgm-exporter_etc_default-counters.csv");

/// Families listed commented-out in the same CSV that the demo turns on.
const EXTRA: &[(&str, &str, &str)] = &[
    (
        "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS",
        "gauge",
        "Current clock throttle reasons.",
    ),
    (
        "DCGM_FI_DEV_POWER_MGMT_LIMIT",
        "gauge",
        "Power management limit (in W).",
    ),
    (
        "DCGM_FI_DEV_ECC_SBE_VOL_TOTAL",
        "counter",
        "Total number of single-bit volatile ECC errors.",
    ),
    (
        "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
        "counter",
        "Total number of double-bit volatile ECC errors.",
    ),
];

pub static FAMILIES: LazyLock<Vec<Family>> = LazyLock::new(|| {
    let mut v: Vec<Family> = DEFAULT_COUNTERS
        .lines()
        .filter(|l| !l.trim_start().starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| {
            let mut parts = l.splitn(3, ',');
            let name = parts.next()?.trim().to_string();
            let kind = parts.next()?.trim().to_string();
            let help = parts.next()?.trim().to_string();
            (kind != "label").then_some(Family { name, kind, help })
        })
        .collect();
    v.extend(EXTRA.iter().map(|(n, k, h)| Family {
        name: n.to_string(),
        kind: k.to_string(),
        help: h.to_string(),
    }));
    v
});

/// Pod labels of the H100 capture's GPU 0.
const POD_LABELS: &str = ",container=\"main\",namespace=\"dynamo-workload\",pod=\"vllm-agg-0-vllmdecodeworker-s65j5\",pod_uid=\"\"";

/// The inputs of one node's pages.
#[derive(Debug, Clone, Copy)]
pub struct NodePage<'a> {
    pub profile: &'a Profile,
    pub seed: u64,
    pub node: usize,
    pub hostname: &'a str,
    pub gpus: u32,
    pub roles: &'a Roles,
    pub t: f64,
}

fn labels(page: &NodePage, gpu: u32) -> String {
    let p = page.profile;
    let mut s = format!(
        "gpu=\"{gpu}\",UUID=\"{}\"",
        profile::uuid(p, page.node, gpu)
    );
    if let Some(bus) = profile::bus_id(p, gpu) {
        write!(s, ",pci_bus_id=\"{bus}\"").ok();
    }
    write!(s, ",device=\"nvidia{gpu}\"").ok();
    if let Some(m) = p.model_label {
        write!(s, ",modelName=\"{m}\"").ok();
    }
    write!(s, ",Hostname=\"{}\"", page.hostname).ok();
    if let Some(d) = p.driver {
        write!(s, ",DCGM_FI_DRIVER_VERSION=\"{d}\"").ok();
    }
    if p.kind == profile::GpuKind::H100 && gpu == 0 && page.node.is_multiple_of(2) {
        s.push_str(POD_LABELS);
    }
    s
}

fn value(f: &str, p: &Profile, st: &GpuState) -> Option<String> {
    let usable = p.fb_total_mib - p.fb_reserved_mib;
    Some(match f {
        "DCGM_FI_DEV_SM_CLOCK" => format!("{}", st.sm_clock),
        "DCGM_FI_DEV_MEM_CLOCK" => format!("{}", p.mem_clock),
        "DCGM_FI_DEV_MEMORY_TEMP" => format!("{}", st.mem_temp),
        "DCGM_FI_DEV_GPU_TEMP" => format!("{}", st.temp),
        "DCGM_FI_DEV_POWER_USAGE" => format!("{:.6}", st.power),
        "DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION" => format!("{}", st.energy_mj),
        "DCGM_FI_DEV_PCIE_REPLAY_COUNTER" => format!("{}", st.pcie_replays),
        "DCGM_FI_DEV_GPU_UTIL" => format!("{}", st.util),
        "DCGM_FI_DEV_MEM_COPY_UTIL" => format!("{}", (st.util * 0.6).round()),
        "DCGM_FI_DEV_ENC_UTIL" | "DCGM_FI_DEV_DEC_UTIL" => "0".into(),
        "DCGM_FI_DEV_XID_ERRORS" => format!("{}", st.xid),
        "DCGM_FI_DEV_FB_FREE" => format!("{}", usable - st.mem_used),
        "DCGM_FI_DEV_FB_USED" => format!("{}", st.mem_used),
        "DCGM_FI_DEV_FB_RESERVED" => format!("{}", p.fb_reserved_mib),
        "DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL" => {
            if matches!(p.kind, profile::GpuKind::H100 | profile::GpuKind::A100) {
                format!("{}", (st.util * 1.0e7).round())
            } else {
                "0".into()
            }
        }
        "DCGM_FI_DEV_VGPU_LICENSE_STATUS" => "0".into(),
        "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS" | "DCGM_FI_DEV_CORRECTABLE_REMAPPED_ROWS" => {
            "0".into()
        }
        "DCGM_FI_DEV_ROW_REMAP_FAILURE" => "0".into(),
        "DCGM_FI_PROF_GR_ENGINE_ACTIVE" => format!("{:.6}", st.util / 100.0),
        "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE" => format!("{:.6}", st.util / 110.0),
        "DCGM_FI_PROF_DRAM_ACTIVE" => format!("{:.6}", st.util / 140.0),
        "DCGM_FI_PROF_PCIE_TX_BYTES" => format!("{}", (st.util * 331_000.0).round()),
        "DCGM_FI_PROF_PCIE_RX_BYTES" => format!("{}", (st.util * 978_000.0).round()),
        "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS" => format!("{}", st.throttle),
        "DCGM_FI_DEV_POWER_MGMT_LIMIT" => format!("{}", p.power_limit_w),
        "DCGM_FI_DEV_ECC_SBE_VOL_TOTAL" => "0".into(),
        "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL" => format!("{}", st.ecc_dbe),
        _ => return None,
    })
}

/// Whether this node's exporter is configured for DCGM's per-link NVLink
/// fields: one H100 node in 64 (the first is node 9, whose GPU 3 also has
/// two NVLinks down).
pub fn per_link_node(page: &NodePage) -> bool {
    page.profile.kind == profile::GpuKind::H100 && page.node % 64 == 9 && page.gpus > 3
}

/// The per-link families (classic names, as dcgm-exporter prints DCGM's
/// `_L0`…`_L17` fields), each with the link it is for.
const PER_LINK: [(&str, &str, &str); 5] = [
    (
        "CRC_FLIT_ERROR_COUNT",
        "counter",
        "NVLink flow-control CRC errors on link",
    ),
    (
        "CRC_DATA_ERROR_COUNT",
        "counter",
        "NVLink data CRC errors on link",
    ),
    ("REPLAY_ERROR_COUNT", "counter", "NVLink replays on link"),
    (
        "RECOVERY_ERROR_COUNT",
        "counter",
        "NVLink recoveries on link",
    ),
    (
        "BANDWIDTH",
        "counter",
        "NVLink bytes (header and payload) on link",
    ),
];

/// Per-link counters: all zero but GPU 3's link 7 (CRC flit errors from a
/// minute in, one every 2 s) and link 9 (a replay every 40 s); the
/// bandwidth is the GPU's total spread over its 18 links.
fn per_link_lines(page: &NodePage, states: &[(String, GpuState)], out: &mut String) {
    let t = page.t;
    let after = |every: f64| {
        if t < 60.0 {
            0.0
        } else {
            ((t - 60.0) / every).floor()
        }
    };
    for (suffix, kind, help) in PER_LINK {
        for link in 0..18u32 {
            let name = format!("DCGM_FI_DEV_NVLINK_{suffix}_L{link}");
            writeln!(out, "# HELP {name} {help} {link}.").ok();
            writeln!(out, "# TYPE {name} {kind}").ok();
            for (gpu, (l, st)) in states.iter().enumerate() {
                let v = match (suffix, gpu, link) {
                    ("CRC_FLIT_ERROR_COUNT", 3, 7) => after(2.0),
                    ("REPLAY_ERROR_COUNT", 3, 9) => after(40.0),
                    ("BANDWIDTH", _, _) => (st.util * 1.0e7 / 18.0).round(),
                    _ => 0.0,
                };
                writeln!(out, "{name}{{{l}}} {v}").ok();
            }
        }
    }
}

/// MIG instance series of the A100 capture.
const MIG_FAMILIES: &[&str] = &[
    "DCGM_FI_DEV_XID_ERRORS",
    "DCGM_FI_PROF_GR_ENGINE_ACTIVE",
    "DCGM_FI_PROF_PIPE_TENSOR_ACTIVE",
    "DCGM_FI_PROF_DRAM_ACTIVE",
];

/// The dcgm-exporter page of one node at `page.t`.
pub fn dcgm_page(page: &NodePage) -> String {
    let p = page.profile;
    let states: Vec<(String, GpuState)> = (0..page.gpus)
        .map(|g| {
            (
                labels(page, g),
                dynamics::gpu_state(p, page.seed, page.node, g, page.gpus, page.roles, page.t),
            )
        })
        .collect();
    let mut out = String::with_capacity(256 * FAMILIES.len() * page.gpus as usize);
    for fam in FAMILIES.iter() {
        if p.with_help {
            writeln!(out, "# HELP {} {}", fam.name, fam.help).ok();
            writeln!(out, "# TYPE {} {}", fam.name, fam.kind).ok();
        }
        for (l, st) in &states {
            if let Some(v) = value(&fam.name, p, st) {
                writeln!(out, "{}{{{}}} {}", fam.name, l, v).ok();
            }
        }
    }
    if per_link_node(page) {
        per_link_lines(page, &states, &mut out);
    }
    if let Some(mig) = p.mig_profile {
        out.push('\n');
        for (l, st) in &states {
            // Instance labels sit before Hostname, as in the capture.
            let (head, tail) = l.split_once(",Hostname=").unwrap_or((l.as_str(), ""));
            for fam in MIG_FAMILIES {
                if let Some(v) = value(fam, p, st) {
                    writeln!(out, "{fam}{{{head},GPU_I_PROFILE=\"{mig}\",GPU_I_ID=\"13\",Hostname={tail}}} {v}").ok();
                }
            }
        }
    }
    out
}

/// The node_exporter page of one node at `page.t`: the simulated families,
/// then the rest of a real page ([`super::node_filler`]).
pub fn node_page(page: &NodePage) -> String {
    let mut out = node_families(page);
    out.push_str(&super::node_filler::FULL);
    out
}

/// The page node_exporter serves when asked for `collect[]=…` of
/// `collectors` only; `None` (HTTP 400) when one of them is unknown.
pub fn node_page_collecting(page: &NodePage, collectors: &[&str]) -> Option<String> {
    let rest = super::node_filler::collected_cached(collectors)?;
    let mut out = node_families(page);
    out.push_str(&rest);
    Some(out)
}

/// The families the simulator writes with changing values.
fn node_families(page: &NodePage) -> String {
    let cpus = match page.profile.kind {
        profile::GpuKind::H100 | profile::GpuKind::A100 => 32,
        _ => 8,
    };
    let n = page.node as u64;
    let uptime = 86_400.0 * (3.0 + (page.node % 40) as f64) + page.t;
    let boot = 1_763_900_000.0 - 86_400.0 * (3.0 + (page.node % 40) as f64);
    let busy = 0.15 + 0.5 * dynamics::noise(page.seed, n, 99, page.t as u64 / 60);
    let mem_total: f64 = if cpus == 32 {
        2_164_142_604_288.0
    } else {
        67_430_608_896.0
    };
    let mem_avail =
        mem_total * (0.35 + 0.4 * dynamics::noise(page.seed, n, 98, page.t as u64 / 120));
    let fs_size = 1_967_317_549_056.0;
    let fs_avail = fs_size * (0.2 + 0.6 * dynamics::noise(page.seed, n, 97, 0));
    let mut out = String::with_capacity(4096);
    out.push_str("# HELP node_boot_time_seconds Node boot time, in unixtime.\n# TYPE node_boot_time_seconds gauge\n");
    writeln!(out, "node_boot_time_seconds {boot}").ok();
    out.push_str("# HELP node_cpu_seconds_total Seconds the CPUs spent in each mode.\n# TYPE node_cpu_seconds_total counter\n");
    let modes = [
        ("idle", 1.0 - busy),
        ("iowait", 0.002),
        ("irq", 0.0005),
        ("nice", 0.0002),
        ("softirq", 0.003),
        ("steal", 0.0),
        ("system", busy * 0.3),
        ("user", busy * 0.7),
    ];
    for c in 0..cpus {
        for (mode, frac) in modes {
            writeln!(
                out,
                "node_cpu_seconds_total{{cpu=\"{c}\",mode=\"{mode}\"}} {:.2}",
                uptime * frac
            )
            .ok();
        }
    }
    out.push_str("# HELP node_filesystem_avail_bytes Filesystem space available to non-root users in bytes.\n# TYPE node_filesystem_avail_bytes gauge\n");
    writeln!(out, "node_filesystem_avail_bytes{{device=\"/dev/nvme0n1p2\",fstype=\"ext4\",mountpoint=\"/\"}} {fs_avail:.0}").ok();
    out.push_str("# HELP node_filesystem_size_bytes Filesystem size in bytes.\n# TYPE node_filesystem_size_bytes gauge\n");
    writeln!(out, "node_filesystem_size_bytes{{device=\"/dev/nvme0n1p2\",fstype=\"ext4\",mountpoint=\"/\"}} {fs_size:.0}").ok();
    out.push_str("# HELP node_load1 1m load average.\n# TYPE node_load1 gauge\n");
    writeln!(out, "node_load1 {:.2}", busy * cpus as f64).ok();
    out.push_str("# HELP node_memory_MemAvailable_bytes Memory information field MemAvailable_bytes.\n# TYPE node_memory_MemAvailable_bytes gauge\n");
    writeln!(out, "node_memory_MemAvailable_bytes {mem_avail:.0}").ok();
    out.push_str("# HELP node_memory_MemTotal_bytes Memory information field MemTotal_bytes.\n# TYPE node_memory_MemTotal_bytes gauge\n");
    writeln!(out, "node_memory_MemTotal_bytes {mem_total:.0}").ok();
    out.push_str("# HELP node_time_seconds System time in seconds since epoch (1970).\n# TYPE node_time_seconds gauge\n");
    writeln!(out, "node_time_seconds {:.3}", boot + uptime).ok();
    out.push_str("# HELP node_uname_info Labeled system information as provided by the uname system call.\n# TYPE node_uname_info gauge\n");
    writeln!(
        out,
        "node_uname_info{{domainname=\"(none)\",machine=\"x86_64\",nodename=\"{}\",release=\"6.1.0-27-amd64\",sysname=\"Linux\",version=\"#1 SMP PREEMPT_DYNAMIC Debian 6.1.115-1\"}} 1",
        page.hostname
    )
    .ok();
    out
}
