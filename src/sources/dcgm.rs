//! NVIDIA dcgm-exporter pages, in both metric namings seen in the field:
//! the classic one and the DCGM 4.7 / exporter 4.9 one (GPU_UTIL_RATIO 0–1,
//! GPU_TEMP_CELSIUS, BOARD_POWER_WATTS, XID_ERROR, …).

use std::collections::BTreeMap;

use super::exposition::{self, MetricSample};
use crate::domain::{GpuSample, MigInstance, Workload};

const PREFIX: &str = "DCGM_FI_";

/// Which field a DCGM metric fills, and how to scale it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    UtilPct,
    UtilRatio,
    FbUsed,
    FbFree,
    FbTotal,
    FbReserved,
    Temp,
    MemTemp,
    SlowdownTemp,
    Power,
    PowerLimit,
    SmClock,
    MemClock,
    Throttle,
    EccSbe,
    EccDbe,
    RetiredPages,
    RemapUncorrectable,
    RemapFailed,
    PcieReplay,
    NvlinkBandwidth,
    NvlinkErrors,
    Xid,
}

fn field_of(name: &str) -> Option<Field> {
    use Field::*;
    let short = name.strip_prefix(PREFIX)?;
    Some(match short {
        "DEV_GPU_UTIL" => UtilPct,
        "DEV_GPU_UTIL_RATIO" => UtilRatio,
        "DEV_FB_USED" | "DEV_FB_USED_MIB" => FbUsed,
        "DEV_FB_FREE" | "DEV_FB_FREE_MIB" => FbFree,
        "DEV_FB_TOTAL" | "DEV_FB_TOTAL_MIB" => FbTotal,
        "DEV_FB_RESERVED" | "DEV_FB_RESERVED_MIB" => FbReserved,
        "DEV_GPU_TEMP" | "DEV_GPU_TEMP_CELSIUS" => Temp,
        "DEV_MEMORY_TEMP" | "DEV_MEMORY_TEMP_CELSIUS" => MemTemp,
        "DEV_SLOWDOWN_TEMP" | "DEV_SLOWDOWN_TEMP_CELSIUS" => SlowdownTemp,
        "DEV_POWER_USAGE" | "DEV_BOARD_POWER_WATTS" => Power,
        "DEV_POWER_MGMT_LIMIT" | "DEV_ENFORCED_POWER_LIMIT" => PowerLimit,
        "DEV_SM_CLOCK" | "DEV_SM_CLOCK_MHZ" => SmClock,
        "DEV_MEM_CLOCK" | "DEV_MEM_CLOCK_MHZ" => MemClock,
        "DEV_CLOCK_THROTTLE_REASONS" | "DEV_CLOCKS_EVENT_REASONS" => Throttle,
        "DEV_ECC_SBE_VOL_TOTAL" | "DEV_ECC_SBE_AGG_TOTAL" => EccSbe,
        "DEV_ECC_DBE_VOL_TOTAL" | "DEV_ECC_DBE_AGG_TOTAL" => EccDbe,
        "DEV_RETIRED_SBE" | "DEV_RETIRED_DBE" => RetiredPages,
        "DEV_UNCORRECTABLE_REMAPPED_ROWS" | "DEV_ROW_REMAP_UNCORRECTABLE_TOTAL" => {
            RemapUncorrectable
        }
        "DEV_ROW_REMAP_FAILURE" | "DEV_ROW_REMAP_FAILED" => RemapFailed,
        "DEV_PCIE_REPLAY_COUNTER" | "DEV_PCIE_REPLAY_TOTAL" => PcieReplay,
        "DEV_NVLINK_BANDWIDTH_TOTAL" => NvlinkBandwidth,
        "DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL"
        | "DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL"
        | "DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL"
        | "DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL"
        | "DEV_NVLINK_CRC_FLIT_ERROR_TOTAL"
        | "DEV_NVLINK_CRC_DATA_ERROR_TOTAL"
        | "DEV_NVLINK_REPLAY_ERROR_TOTAL"
        | "DEV_NVLINK_RECOVERY_ERROR_TOTAL" => NvlinkErrors,
        "DEV_XID_ERRORS" | "DEV_XID_ERROR" => Xid,
        _ => return None,
    })
}

/// Whether a metric family is one this parser reads.
pub fn wanted(name: &str) -> bool {
    field_of(name).is_some()
}

/// Whether a page looks like dcgm-exporter's.
pub fn looks_like(text: &str) -> bool {
    text.contains("DCGM_FI_DEV_")
}

/// Parses a dcgm-exporter page into GPUs, ordered by index.
pub fn parse(text: &str) -> Vec<GpuSample> {
    from_samples(&exposition::parse_filtered(text, wanted))
}

#[derive(Default)]
struct Partial {
    gpu: GpuSample,
    fb_free: Option<f64>,
    fb_total: Option<f64>,
    fb_reserved: Option<f64>,
    retired: Option<f64>,
    nvlink_err: Option<f64>,
}

/// Builds GPUs from already-parsed samples.
pub fn from_samples(samples: &[MetricSample]) -> Vec<GpuSample> {
    let mut gpus: BTreeMap<u32, Partial> = BTreeMap::new();
    let mut migs: BTreeMap<(u32, String), MigInstance> = BTreeMap::new();
    for s in samples {
        let Some(field) = field_of(&s.name) else {
            continue;
        };
        let Some(index) = s.label("gpu").and_then(|g| g.parse::<u32>().ok()) else {
            continue;
        };
        if !s.value.is_finite() {
            continue;
        }
        if let Some(instance) = s.label("GPU_I_ID") {
            let m = migs
                .entry((index, instance.to_string()))
                .or_insert_with(|| MigInstance {
                    instance_id: instance.to_string(),
                    profile: s.label("GPU_I_PROFILE").unwrap_or("").to_string(),
                    ..Default::default()
                });
            match field {
                Field::UtilPct => m.util_pct = Some(s.value),
                Field::UtilRatio => m.util_pct = Some(s.value * 100.0),
                Field::FbUsed => m.mem_used_mib = Some(s.value),
                Field::FbFree => m.mem_total_mib = Some(m.mem_used_mib.unwrap_or(0.0) + s.value),
                _ => {}
            }
            // MIG series still identify the parent GPU.
            let p = gpus.entry(index).or_default();
            fill_identity(&mut p.gpu, index, s);
            continue;
        }
        let p = gpus.entry(index).or_default();
        fill_identity(&mut p.gpu, index, s);
        let g = &mut p.gpu;
        let v = s.value;
        match field {
            Field::UtilPct => g.util_pct = Some(v),
            Field::UtilRatio => g.util_pct = Some(v * 100.0),
            Field::FbUsed => g.mem_used_mib = Some(v),
            Field::FbFree => p.fb_free = Some(v),
            Field::FbTotal => p.fb_total = Some(v),
            Field::FbReserved => p.fb_reserved = Some(v),
            Field::Temp => g.temp_c = Some(v),
            Field::MemTemp => g.mem_temp_c = Some(v).filter(|t| *t > 0.0),
            Field::SlowdownTemp => g.slowdown_temp_c = Some(v).filter(|t| *t > 0.0),
            Field::Power => g.power_w = Some(v),
            Field::PowerLimit => g.power_limit_w = Some(v),
            Field::SmClock => g.sm_clock_mhz = Some(v),
            Field::MemClock => g.mem_clock_mhz = Some(v),
            Field::Throttle => g.throttle_reasons = Some(v as u64),
            Field::EccSbe => g.ecc_sbe = Some(v),
            Field::EccDbe => g.ecc_dbe = Some(v),
            Field::RetiredPages => p.retired = Some(p.retired.unwrap_or(0.0) + v),
            Field::RemapUncorrectable => g.remapped_rows_uncorrectable = Some(v),
            Field::RemapFailed => g.row_remap_failed = Some(v > 0.0),
            Field::PcieReplay => g.pcie_replays = Some(v),
            Field::NvlinkBandwidth => g.nvlink_bandwidth = Some(v),
            Field::NvlinkErrors => p.nvlink_err = Some(p.nvlink_err.unwrap_or(0.0) + v),
            Field::Xid => g.last_xid = Some(v as u32),
        }
    }
    for ((index, _), m) in migs {
        if let Some(p) = gpus.get_mut(&index) {
            p.gpu.mig.push(m);
        }
    }
    gpus.into_values()
        .map(|p| {
            let mut g = p.gpu;
            g.mem_total_mib = p.fb_total.or_else(|| {
                let used = g.mem_used_mib?;
                Some(used + p.fb_free? + p.fb_reserved.unwrap_or(0.0))
            });
            g.retired_pages = p.retired;
            g.nvlink_errors = p.nvlink_err;
            g
        })
        .collect()
}

fn fill_identity(g: &mut GpuSample, index: u32, s: &MetricSample) {
    if !g.uuid.is_empty() {
        return;
    }
    g.index = index;
    g.uuid = s.label("UUID").unwrap_or("").to_string();
    g.model = s
        .label("modelName")
        .filter(|m| !m.is_empty())
        .unwrap_or("NVIDIA GPU")
        .to_string();
    g.pci_bus_id = s.label("pci_bus_id").map(str::to_string);
    g.driver = s.label("DCGM_FI_DRIVER_VERSION").map(str::to_string);
    let w = Workload {
        namespace: s
            .label("namespace")
            .filter(|v| !v.is_empty())
            .map(str::to_string),
        pod: s.label("pod").filter(|v| !v.is_empty()).map(str::to_string),
        container: s
            .label("container")
            .filter(|v| !v.is_empty())
            .map(str::to_string),
        job: s
            .label("hpc_job")
            .filter(|v| !v.is_empty())
            .map(str::to_string),
    };
    if w != Workload::default() {
        g.workload = Some(w);
    }
}
