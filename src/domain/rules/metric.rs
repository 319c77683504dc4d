//! The metrics a rule may name: one table that says, for each, where the
//! in-process engine reads it in the fleet model and how it is written in
//! PromQL under each dcgm-exporter naming.

use crate::domain::fleet::{NodeState, NodeStatus};
use crate::domain::gpu::GpuSample;

/// What a rule's alerts are keyed by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Scope {
    /// One alert per GPU (`instance`, `gpu` in Prometheus).
    Gpu,
    /// One alert per node (`instance`).
    Node,
}

impl Scope {
    /// The labels two conditions of a rule are joined on in PromQL.
    pub fn join_labels(self) -> &'static str {
        match self {
            Scope::Gpu => "instance, gpu",
            Scope::Node => "instance",
        }
    }
}

/// dcgm-exporter's two metric namings (see shared/reference/README.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Naming {
    /// Every exporter up to 4.8 / DCGM 4.6.
    Classic,
    /// DCGM 4.7 / dcgm-exporter 4.9 (GPU_TEMP_CELSIUS, GPU_UTIL_RATIO 0–1, …).
    Dcgm47,
    /// Either: each expression is `classic or dcgm47`.
    Both,
}

impl Naming {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "classic" => Some(Naming::Classic),
            "dcgm47" => Some(Naming::Dcgm47),
            "both" => Some(Naming::Both),
            _ => None,
        }
    }
    pub fn word(self) -> &'static str {
        match self {
            Naming::Classic => "classic",
            Naming::Dcgm47 => "dcgm47",
            Naming::Both => "both",
        }
    }
}

/// How a metric is written in PromQL; `{fn}` forms take a window function.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PromForm {
    /// One family per naming. Classic families are in the fleet model's
    /// units; the dcgm47 one is multiplied by `dcgm47_scale` (GPU_UTIL_RATIO
    /// is 0–1 where GPU_UTIL was percent).
    Family {
        classic: &'static str,
        dcgm47: &'static str,
        dcgm47_scale: f64,
    },
    /// A sum over several families per GPU (e.g. the NVLink error kinds).
    SumOf {
        classic: &'static [&'static str],
        dcgm47: &'static [&'static str],
    },
    /// A bit of a reason mask: 1 when set, 0 when clear. No window.
    Bit {
        classic: &'static str,
        dcgm47: &'static str,
        bit: u64,
    },
    /// A fixed expression per naming; no window.
    Expr {
        classic: &'static str,
        dcgm47: &'static str,
    },
    /// A gauge published by dcgm-exporter (one family per naming) or by
    /// nvidia_gpu_exporter: `nvidia_smi` is an expression giving its series
    /// the `gpu` label dcgm-exporter's carry. No window.
    OrNvidiaSmi {
        classic: &'static str,
        dcgm47: &'static str,
        nvidia_smi: &'static str,
    },
}

impl PromForm {
    /// Whether a window function may be applied to this form.
    pub fn takes_window(&self) -> bool {
        matches!(self, PromForm::Family { .. } | PromForm::SumOf { .. })
    }

    /// The families whose absence means the metric has no data, per naming.
    pub fn families(&self, naming: Naming) -> Vec<&'static str> {
        let pick = |c: &'static str, d: &'static str| match naming {
            Naming::Classic => vec![c],
            Naming::Dcgm47 => vec![d],
            Naming::Both => vec![c, d],
        };
        match self {
            PromForm::Family {
                classic, dcgm47, ..
            }
            | PromForm::Bit {
                classic, dcgm47, ..
            }
            | PromForm::OrNvidiaSmi {
                classic, dcgm47, ..
            } => pick(classic, dcgm47),
            PromForm::SumOf { classic, dcgm47 } => match naming {
                Naming::Classic => vec![classic[0]],
                Naming::Dcgm47 => vec![dcgm47[0]],
                Naming::Both => vec![classic[0], dcgm47[0]],
            },
            PromForm::Expr { .. } => Vec::new(),
        }
    }
}

/// Reads a GPU metric from one scrape's sample.
pub type GpuRead = fn(&GpuSample) -> Option<f64>;
/// Reads a node metric from the node's state.
pub type NodeRead = fn(&NodeState) -> Option<f64>;

/// Where the in-process engine reads a metric.
#[derive(Debug, Clone, Copy)]
pub enum Reader {
    Gpu(GpuRead),
    Node(NodeRead),
    /// Not in the fleet model: the rule runs only in Prometheus.
    PrometheusOnly(Scope),
}

/// One metric a rule may name.
#[derive(Debug, Clone, Copy)]
pub struct MetricDef {
    pub id: &'static str,
    pub unit: &'static str,
    pub help: &'static str,
    pub reader: Reader,
    pub prom: PromForm,
}

impl MetricDef {
    pub fn scope(&self) -> Scope {
        match self.reader {
            Reader::Gpu(_) => Scope::Gpu,
            Reader::Node(_) => Scope::Node,
            Reader::PrometheusOnly(s) => s,
        }
    }
}

impl PartialEq for MetricDef {
    fn eq(&self, other: &Self) -> bool {
        self.id == other.id
    }
}

fn bool_value(b: Option<bool>) -> Option<f64> {
    b.map(|b| if b { 1.0 } else { 0.0 })
}

fn throttle_bit(g: &GpuSample, bit: u64) -> Option<f64> {
    g.throttle_reasons
        .map(|m| if m & bit != 0 { 1.0 } else { 0.0 })
}

fn node_up(n: &NodeState) -> Option<f64> {
    match n.status {
        NodeStatus::Pending => None,
        NodeStatus::Down(_) => Some(0.0),
        NodeStatus::Up | NodeStatus::Degraded(_) => Some(1.0),
    }
}

fn gpus_missing(n: &NodeState) -> Option<f64> {
    if n.status.is_down() || n.gpus_expected == 0 {
        return None;
    }
    Some(n.gpus_expected.saturating_sub(n.gpus.len()) as f64)
}

const NVLINK_CLASSIC: &[&str] = &[
    "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL",
    "DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL",
    "DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL",
    "DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL",
];
const NVLINK_DCGM47: &[&str] = &[
    "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_TOTAL",
    "DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_TOTAL",
    "DCGM_FI_DEV_NVLINK_REPLAY_ERROR_TOTAL",
    "DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_TOTAL",
];
const RETIRED_CLASSIC: &[&str] = &["DCGM_FI_DEV_RETIRED_SBE", "DCGM_FI_DEV_RETIRED_DBE"];

const THROTTLE_CLASSIC: &str = "DCGM_FI_DEV_CLOCK_THROTTLE_REASONS";
const THROTTLE_DCGM47: &str = "DCGM_FI_DEV_CLOCKS_EVENT_REASONS";

/// GPUs a node had in the last day and does not list now (0 when all are
/// there, also when none are).
const GPUS_MISSING_CLASSIC: &str = "count by (instance) (max_over_time(DCGM_FI_DEV_GPU_TEMP[1d])) - (count by (instance) (DCGM_FI_DEV_GPU_TEMP) or count by (instance) (max_over_time(DCGM_FI_DEV_GPU_TEMP[1d])) * 0)";
const GPUS_MISSING_DCGM47: &str = "count by (instance) (max_over_time(DCGM_FI_DEV_GPU_TEMP_CELSIUS[1d])) - (count by (instance) (DCGM_FI_DEV_GPU_TEMP_CELSIUS) or count by (instance) (max_over_time(DCGM_FI_DEV_GPU_TEMP_CELSIUS[1d])) * 0)";
const FB_USED_PCT_CLASSIC: &str = "DCGM_FI_DEV_FB_USED / (DCGM_FI_DEV_FB_USED + DCGM_FI_DEV_FB_FREE + (DCGM_FI_DEV_FB_RESERVED or DCGM_FI_DEV_FB_USED * 0)) * 100";
const FB_USED_PCT_DCGM47: &str = "DCGM_FI_DEV_FB_USED_MIB / (DCGM_FI_DEV_FB_USED_MIB + DCGM_FI_DEV_FB_FREE_MIB + (DCGM_FI_DEV_FB_RESERVED_MIB or DCGM_FI_DEV_FB_USED_MIB * 0)) * 100";
const MEM_AVAIL_PCT: &str = "node_memory_MemAvailable_bytes / node_memory_MemTotal_bytes * 100";
const DISK_FREE_PCT: &str = "node_filesystem_avail_bytes{mountpoint=\"/\"} / node_filesystem_size_bytes{mountpoint=\"/\"} * 100";
const CPU_BUSY_PCT: &str =
    "(1 - avg by (instance) (rate(node_cpu_seconds_total{mode=~\"idle|iowait\"}[5m]))) * 100";
const CLOCK_SKEW: &str = "abs(node_timex_offset_seconds)";
/// nvidia_gpu_exporter's recovery action, keyed by `uuid`, with the GPU's
/// index from `nvidia_smi_gpu_info` as the `gpu` label (the value stays the
/// action: the info series reads 1).
const RECOVERY_NVIDIA_SMI: &str = "nvidia_smi_gpu_recovery_action * on(instance, uuid) group_left(gpu) label_replace(nvidia_smi_gpu_info, \"gpu\", \"$1\", \"index\", \"(.+)\")";

/// Every metric rules may name.
pub const METRICS: &[MetricDef] = &[
    MetricDef {
        id: "gpu_temp_c",
        unit: "°C",
        help: "GPU core temperature",
        reader: Reader::Gpu(|g| g.temp_c),
        prom: PromForm::Family {
            classic: "DCGM_FI_DEV_GPU_TEMP",
            dcgm47: "DCGM_FI_DEV_GPU_TEMP_CELSIUS",
            dcgm47_scale: 1.0,
        },
    },
    MetricDef {
        id: "gpu_slowdown_temp_c",
        unit: "°C",
        help: "temperature at which the GPU slows itself down",
        reader: Reader::Gpu(|g| g.slowdown_temp_c),
        prom: PromForm::Family {
            classic: "DCGM_FI_DEV_SLOWDOWN_TEMP",
            dcgm47: "DCGM_FI_DEV_SLOWDOWN_TEMP_CELSIUS",
            dcgm47_scale: 1.0,
        },
    },
    MetricDef {
        id: "mem_temp_c",
        unit: "°C",
        help: "GPU memory (HBM) temperature",
        reader: Reader::Gpu(|g| g.mem_temp_c),
        prom: PromForm::Family {
            classic: "DCGM_FI_DEV_MEMORY_TEMP",
            dcgm47: "DCGM_FI_DEV_MEMORY_TEMP_CELSIUS",
            dcgm47_scale: 1.0,
        },
    },
    MetricDef {
        id: "gpu_util_pct",
        unit: "%",
        help: "GPU utilisation, 0–100",
        reader: Reader::Gpu(|g| g.util_pct),
        prom: PromForm::Family {
            classic: "DCGM_FI_DEV_GPU_UTIL",
            dcgm47: "DCGM_FI_DEV_GPU_UTIL_RATIO",
            dcgm47_scale: 100.0,
        },
    },
    MetricDef {
        id: "fb_used_pct",
        unit: "%",
        help: "GPU memory used, percent of total",
        reader: Reader::Gpu(GpuSample::mem_pct),
        prom: PromForm::Expr {
            classic: FB_USED_PCT_CLASSIC,
            dcgm47: FB_USED_PCT_DCGM47,
        },
    },
    MetricDef {
        id: "fb_used_mib",
        unit: "MiB",
        help: "GPU memory used",
        reader: Reader::Gpu(|g| g.mem_used_mib),
        prom: PromForm::Family {
            classic: "DCGM_FI_DEV_FB_USED",
            dcgm47: "DCGM_FI_DEV_FB_USED_MIB",
            dcgm47_scale: 1.0,
        },
    },
    MetricDef {
        id: "power_w",
        unit: "W",
        help: "board power draw",
        reader: Reader::Gpu(|g| g.power_w),
        prom: PromForm::Family {
            classic: "DCGM_FI_DEV_POWER_USAGE",
            dcgm47: "DCGM_FI_DEV_BOARD_POWER_WATTS",
            dcgm47_scale: 1.0,
        },
    },
    MetricDef {
        id: "ecc_dbe_total",
        unit: "",
        help: "double-bit (uncorrectable) ECC errors since the driver loaded",
        reader: Reader::Gpu(|g| g.ecc_dbe),
        prom: PromForm::Family {
            classic: "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
            dcgm47: "DCGM_FI_DEV_ECC_DBE_VOL_TOTAL",
            dcgm47_scale: 1.0,
        },
    },
    MetricDef {
        id: "ecc_sbe_total",
        unit: "",
        help: "single-bit (corrected) ECC errors since the driver loaded",
        reader: Reader::Gpu(|g| g.ecc_sbe),
        prom: PromForm::Family {
            classic: "DCGM_FI_DEV_ECC_SBE_VOL_TOTAL",
            dcgm47: "DCGM_FI_DEV_ECC_SBE_VOL_TOTAL",
            dcgm47_scale: 1.0,
        },
    },
    MetricDef {
        id: "retired_pages",
        unit: "",
        help: "pages retired for single- and double-bit errors",
        reader: Reader::Gpu(|g| g.retired_pages),
        prom: PromForm::SumOf {
            classic: RETIRED_CLASSIC,
            dcgm47: RETIRED_CLASSIC,
        },
    },
    MetricDef {
        id: "retired_pages_pending",
        unit: "",
        help: "pages waiting to be retired at the next GPU reset",
        reader: Reader::Gpu(|g| g.retired_pages_pending),
        prom: PromForm::Family {
            classic: "DCGM_FI_DEV_RETIRED_PENDING",
            dcgm47: "DCGM_FI_DEV_RETIRED_PENDING",
            dcgm47_scale: 1.0,
        },
    },
    MetricDef {
        id: "row_remap_failed",
        unit: "",
        help: "1 when a row remap failed (the GPU needs replacing)",
        reader: Reader::Gpu(|g| bool_value(g.row_remap_failed)),
        prom: PromForm::Family {
            classic: "DCGM_FI_DEV_ROW_REMAP_FAILURE",
            dcgm47: "DCGM_FI_DEV_ROW_REMAP_FAILED",
            dcgm47_scale: 1.0,
        },
    },
    MetricDef {
        id: "row_remap_pending",
        unit: "",
        help: "1 when a row remap waits for a GPU reset",
        reader: Reader::Gpu(|g| bool_value(g.row_remap_pending)),
        prom: PromForm::Family {
            classic: "DCGM_FI_DEV_ROW_REMAP_PENDING",
            dcgm47: "DCGM_FI_DEV_ROW_REMAP_PENDING",
            dcgm47_scale: 1.0,
        },
    },
    MetricDef {
        id: "row_remap_uncorrectable",
        unit: "rows",
        help: "rows remapped for uncorrectable errors",
        reader: Reader::Gpu(|g| g.remapped_rows_uncorrectable),
        prom: PromForm::Family {
            classic: "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS",
            dcgm47: "DCGM_FI_DEV_ROW_REMAP_UNCORRECTABLE_TOTAL",
            dcgm47_scale: 1.0,
        },
    },
    MetricDef {
        id: "pcie_replays_total",
        unit: "",
        help: "PCIe replay counter",
        reader: Reader::Gpu(|g| g.pcie_replays),
        prom: PromForm::Family {
            classic: "DCGM_FI_DEV_PCIE_REPLAY_COUNTER",
            dcgm47: "DCGM_FI_DEV_PCIE_REPLAY_TOTAL",
            dcgm47_scale: 1.0,
        },
    },
    MetricDef {
        id: "nvlink_errors_total",
        unit: "",
        help: "NVLink CRC, replay and recovery errors, all links",
        reader: Reader::Gpu(|g| g.nvlink_errors),
        prom: PromForm::SumOf {
            classic: NVLINK_CLASSIC,
            dcgm47: NVLINK_DCGM47,
        },
    },
    MetricDef {
        id: "xid_last",
        unit: "",
        help: "the last Xid the GPU reported (a gauge, not a counter)",
        reader: Reader::Gpu(|g| g.last_xid.map(f64::from)),
        prom: PromForm::Family {
            classic: "DCGM_FI_DEV_XID_ERRORS",
            dcgm47: "DCGM_FI_DEV_XID_ERROR",
            dcgm47_scale: 1.0,
        },
    },
    MetricDef {
        id: "recovery_action",
        unit: "",
        help: "the recovery action the driver asks for: 0 none, 1 GPU reset, 2 node reboot, 3 drain P2P, 4 drain and reset (recent drivers only)",
        reader: Reader::Gpu(|g| g.recovery_action.map(f64::from)),
        prom: PromForm::OrNvidiaSmi {
            classic: "DCGM_FI_DEV_GET_GPU_RECOVERY_ACTION",
            dcgm47: "DCGM_FI_DEV_GPU_RECOVERY_ACTION",
            nvidia_smi: RECOVERY_NVIDIA_SMI,
        },
    },
    MetricDef {
        id: "throttle_hw_thermal",
        unit: "",
        help: "1 while the GPU is held back by HW thermal slowdown (reason bit 0x40)",
        reader: Reader::Gpu(|g| throttle_bit(g, 0x40)),
        prom: PromForm::Bit {
            classic: THROTTLE_CLASSIC,
            dcgm47: THROTTLE_DCGM47,
            bit: 0x40,
        },
    },
    MetricDef {
        id: "throttle_power_brake",
        unit: "",
        help: "1 while the GPU is held back by the HW power brake (reason bit 0x80)",
        reader: Reader::Gpu(|g| throttle_bit(g, 0x80)),
        prom: PromForm::Bit {
            classic: THROTTLE_CLASSIC,
            dcgm47: THROTTLE_DCGM47,
            bit: 0x80,
        },
    },
    MetricDef {
        id: "throttle_hw_slowdown",
        unit: "",
        help: "1 while the GPU is held back by HW slowdown (reason bit 0x8)",
        reader: Reader::Gpu(|g| throttle_bit(g, 0x8)),
        prom: PromForm::Bit {
            classic: THROTTLE_CLASSIC,
            dcgm47: THROTTLE_DCGM47,
            bit: 0x8,
        },
    },
    MetricDef {
        id: "exporter_up",
        unit: "",
        help: "1 when the node's exporter answers, 0 when it does not",
        reader: Reader::Node(node_up),
        prom: PromForm::Expr {
            classic: "up",
            dcgm47: "up",
        },
    },
    MetricDef {
        id: "gpus_missing",
        unit: "GPUs",
        help: "GPUs the node had and no longer lists",
        reader: Reader::Node(gpus_missing),
        prom: PromForm::Expr {
            classic: GPUS_MISSING_CLASSIC,
            dcgm47: GPUS_MISSING_DCGM47,
        },
    },
    MetricDef {
        id: "node_mem_available_pct",
        unit: "%",
        help: "host memory available, percent of total",
        reader: Reader::Node(|n| {
            let h = n.host.as_ref()?;
            let total = h.mem_total_bytes.filter(|t| *t > 0.0)?;
            Some(h.mem_available_bytes? / total * 100.0)
        }),
        prom: PromForm::Expr {
            classic: MEM_AVAIL_PCT,
            dcgm47: MEM_AVAIL_PCT,
        },
    },
    MetricDef {
        id: "node_disk_free_pct",
        unit: "%",
        help: "root filesystem free, percent of its size",
        reader: Reader::Node(|n| n.host.as_ref()?.disk_used_pct().map(|u| 100.0 - u)),
        prom: PromForm::Expr {
            classic: DISK_FREE_PCT,
            dcgm47: DISK_FREE_PCT,
        },
    },
    MetricDef {
        id: "node_cpu_busy_pct",
        unit: "%",
        help: "host CPU busy, percent",
        reader: Reader::Node(|n| n.cpu_busy_pct),
        prom: PromForm::Expr {
            classic: CPU_BUSY_PCT,
            dcgm47: CPU_BUSY_PCT,
        },
    },
    MetricDef {
        id: "node_clock_skew_s",
        unit: "s",
        help: "host clock offset from NTP (node_timex_offset_seconds)",
        reader: Reader::PrometheusOnly(Scope::Node),
        prom: PromForm::Expr {
            classic: CLOCK_SKEW,
            dcgm47: CLOCK_SKEW,
        },
    },
];

/// The metric called `id`.
pub fn lookup(id: &str) -> Option<&'static MetricDef> {
    METRICS.iter().find(|m| m.id == id)
}

/// Every metric id, for error messages.
pub fn ids() -> Vec<&'static str> {
    METRICS.iter().map(|m| m.id).collect()
}

/// Metrics dcgm-exporter publishes with its default counters (4.8.3's
/// etc/default-counters.csv), so their absence means the exporter or the
/// GPU went missing, not that the site left a counter out. Only these get an
/// `absent()` guard in the Prometheus rules.
pub const IN_DEFAULT_COUNTERS: &[&str] = &[
    "gpu_temp_c",
    "mem_temp_c",
    "power_w",
    "gpu_util_pct",
    "fb_used_pct",
    "fb_used_mib",
    "pcie_replays_total",
    "xid_last",
    "row_remap_failed",
    "row_remap_uncorrectable",
];
