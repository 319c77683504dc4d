//! NVIDIA dcgm-exporter pages, in both metric namings seen in the field:
//! the classic one and the DCGM 4.7 / exporter 4.9 one (GPU_UTIL_RATIO 0–1,
//! GPU_TEMP_CELSIUS, BOARD_POWER_WATTS, XID_ERROR, …).
//!
//! The per-link NVLink fields (`_L0`…`_L17`), when the exporter is
//! configured for them, are read per GPU per link, also in both namings:
//! `NVLINK_CRC_FLIT_ERROR_COUNT_L3` / `NVLINK_CRC_FLIT_ERROR_L3_TOTAL`, and
//! `NVLINK_BANDWIDTH_L3` / `NVLINK_THROUGHPUT_L3` (field names from DCGM's
//! `dcgm_fields`).

use super::dialect::{Dialect, FieldTable};
use super::exposition::{self, MetricSample};
use super::gpu_table::GpuTable;
use crate::domain::gpu::{LinkCounter, NvLinkCounters};
use crate::domain::{GpuSample, MigInstance, Workload};

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
    RemapPending,
    RetiredPending,
    PcieReplay,
    NvlinkBandwidth,
    NvlinkErrors,
    Xid,
    RecoveryAction,
}

/// Every family read, in both namings.
const FIELDS: FieldTable<Field> = FieldTable(&[
    ("DCGM_FI_DEV_GPU_UTIL", Field::UtilPct),
    ("DCGM_FI_DEV_GPU_UTIL_RATIO", Field::UtilRatio),
    ("DCGM_FI_DEV_FB_USED", Field::FbUsed),
    ("DCGM_FI_DEV_FB_USED_MIB", Field::FbUsed),
    ("DCGM_FI_DEV_FB_FREE", Field::FbFree),
    ("DCGM_FI_DEV_FB_FREE_MIB", Field::FbFree),
    ("DCGM_FI_DEV_FB_TOTAL", Field::FbTotal),
    ("DCGM_FI_DEV_FB_TOTAL_MIB", Field::FbTotal),
    ("DCGM_FI_DEV_FB_RESERVED", Field::FbReserved),
    ("DCGM_FI_DEV_FB_RESERVED_MIB", Field::FbReserved),
    ("DCGM_FI_DEV_GPU_TEMP", Field::Temp),
    ("DCGM_FI_DEV_GPU_TEMP_CELSIUS", Field::Temp),
    ("DCGM_FI_DEV_MEMORY_TEMP", Field::MemTemp),
    ("DCGM_FI_DEV_MEMORY_TEMP_CELSIUS", Field::MemTemp),
    ("DCGM_FI_DEV_SLOWDOWN_TEMP", Field::SlowdownTemp),
    ("DCGM_FI_DEV_SLOWDOWN_TEMP_CELSIUS", Field::SlowdownTemp),
    ("DCGM_FI_DEV_POWER_USAGE", Field::Power),
    ("DCGM_FI_DEV_BOARD_POWER_WATTS", Field::Power),
    ("DCGM_FI_DEV_POWER_MGMT_LIMIT", Field::PowerLimit),
    ("DCGM_FI_DEV_ENFORCED_POWER_LIMIT", Field::PowerLimit),
    ("DCGM_FI_DEV_SM_CLOCK", Field::SmClock),
    ("DCGM_FI_DEV_SM_CLOCK_MHZ", Field::SmClock),
    ("DCGM_FI_DEV_MEM_CLOCK", Field::MemClock),
    ("DCGM_FI_DEV_MEM_CLOCK_MHZ", Field::MemClock),
    ("DCGM_FI_DEV_CLOCK_THROTTLE_REASONS", Field::Throttle),
    ("DCGM_FI_DEV_CLOCKS_EVENT_REASONS", Field::Throttle),
    ("DCGM_FI_DEV_ECC_SBE_VOL_TOTAL", Field::EccSbe),
    ("DCGM_FI_DEV_ECC_SBE_AGG_TOTAL", Field::EccSbe),
    ("DCGM_FI_DEV_ECC_DBE_VOL_TOTAL", Field::EccDbe),
    ("DCGM_FI_DEV_ECC_DBE_AGG_TOTAL", Field::EccDbe),
    ("DCGM_FI_DEV_RETIRED_SBE", Field::RetiredPages),
    ("DCGM_FI_DEV_RETIRED_DBE", Field::RetiredPages),
    (
        "DCGM_FI_DEV_UNCORRECTABLE_REMAPPED_ROWS",
        Field::RemapUncorrectable,
    ),
    (
        "DCGM_FI_DEV_ROW_REMAP_UNCORRECTABLE_TOTAL",
        Field::RemapUncorrectable,
    ),
    ("DCGM_FI_DEV_ROW_REMAP_FAILURE", Field::RemapFailed),
    ("DCGM_FI_DEV_ROW_REMAP_FAILED", Field::RemapFailed),
    ("DCGM_FI_DEV_ROW_REMAP_PENDING", Field::RemapPending),
    ("DCGM_FI_DEV_RETIRED_PENDING", Field::RetiredPending),
    ("DCGM_FI_DEV_PCIE_REPLAY_COUNTER", Field::PcieReplay),
    ("DCGM_FI_DEV_PCIE_REPLAY_TOTAL", Field::PcieReplay),
    ("DCGM_FI_DEV_NVLINK_BANDWIDTH_TOTAL", Field::NvlinkBandwidth),
    (
        "DCGM_FI_DEV_NVLINK_THROUGHPUT_TOTAL",
        Field::NvlinkBandwidth,
    ),
    (
        "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_TOTAL",
        Field::NvlinkErrors,
    ),
    (
        "DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_TOTAL",
        Field::NvlinkErrors,
    ),
    (
        "DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_TOTAL",
        Field::NvlinkErrors,
    ),
    (
        "DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_TOTAL",
        Field::NvlinkErrors,
    ),
    (
        "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_TOTAL",
        Field::NvlinkErrors,
    ),
    (
        "DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_TOTAL",
        Field::NvlinkErrors,
    ),
    ("DCGM_FI_DEV_NVLINK_REPLAY_ERROR_TOTAL", Field::NvlinkErrors),
    (
        "DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_TOTAL",
        Field::NvlinkErrors,
    ),
    ("DCGM_FI_DEV_XID_ERRORS", Field::Xid),
    ("DCGM_FI_DEV_XID_ERROR", Field::Xid),
    // Field 1523, not in the default counters: a site adds it to its CSV.
    // DCGM 4.7 dropped the GET_ (NVIDIA/DCGM dcgm_fields.py aliases).
    ("DCGM_FI_DEV_GET_GPU_RECOVERY_ACTION", Field::RecoveryAction),
    ("DCGM_FI_DEV_GPU_RECOVERY_ACTION", Field::RecoveryAction),
]);

/// Labels that name the host a series is from.
pub const NODE_LABELS: &[&str] = &["Hostname"];

/// The dcgm-exporter dialect.
pub struct DcgmExporter;

super::dialect::exposition_dialect!(DcgmExporter, Dialect::Dcgm);

/// Whether a metric family is one this parser reads.
pub fn wanted(name: &str) -> bool {
    FIELDS.field_of(name).is_some() || per_link(name).is_some()
}

/// What a per-link NVLink family fills.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkField {
    Error(LinkCounter),
    Bandwidth,
}

/// Links a GPU can have in DCGM's per-link fields (`_L0`…`_L17`), with
/// room for later parts.
const MAX_LINKS: u32 = 64;

/// The per-link families as PromQL name regexes (one alternative each),
/// for query mode: [`per_link`] reads exactly what these match.
pub const PER_LINK_PATTERNS: [&str; 10] = [
    "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_COUNT_L[0-9]+",
    "DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_COUNT_L[0-9]+",
    "DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_L[0-9]+",
    "DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_COUNT_L[0-9]+",
    "DCGM_FI_DEV_NVLINK_BANDWIDTH_L[0-9]+",
    "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_L[0-9]+_TOTAL",
    "DCGM_FI_DEV_NVLINK_CRC_DATA_ERROR_L[0-9]+_TOTAL",
    "DCGM_FI_DEV_NVLINK_REPLAY_ERROR_L[0-9]+_TOTAL",
    "DCGM_FI_DEV_NVLINK_RECOVERY_ERROR_L[0-9]+_TOTAL",
    "DCGM_FI_DEV_NVLINK_THROUGHPUT_L[0-9]+",
];

/// A per-link NVLink family and its link: the classic
/// `DCGM_FI_DEV_NVLINK_REPLAY_ERROR_COUNT_L7` and `..._BANDWIDTH_L7`, or
/// the DCGM 4.7 `DCGM_FI_DEV_NVLINK_REPLAY_ERROR_L7_TOTAL` and
/// `..._THROUGHPUT_L7`. Totals (`..._TOTAL` without a link) are not.
pub fn per_link(name: &str) -> Option<(LinkField, u32)> {
    let rest = name.strip_prefix("DCGM_FI_DEV_NVLINK_")?;
    const KINDS: [(&str, LinkField); 6] = [
        ("CRC_FLIT_ERROR", LinkField::Error(LinkCounter::CrcFlit)),
        ("CRC_DATA_ERROR", LinkField::Error(LinkCounter::CrcData)),
        ("REPLAY_ERROR", LinkField::Error(LinkCounter::Replay)),
        ("RECOVERY_ERROR", LinkField::Error(LinkCounter::Recovery)),
        ("BANDWIDTH", LinkField::Bandwidth),
        ("THROUGHPUT", LinkField::Bandwidth),
    ];
    let (field, tail) = KINDS
        .iter()
        .find_map(|(p, f)| rest.strip_prefix(p).map(|t| (*f, t)))?;
    let digits = match field {
        LinkField::Error(_) => tail.strip_prefix("_COUNT_L").or_else(|| {
            tail.strip_prefix("_L")
                .and_then(|t| t.strip_suffix("_TOTAL"))
        })?,
        LinkField::Bandwidth => tail.strip_prefix("_L")?,
    };
    if digits.is_empty() || digits.len() > 2 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let link: u32 = digits.parse().ok()?;
    (link < MAX_LINKS).then_some((field, link))
}

/// Whether a page looks like dcgm-exporter's: a well-formed `DCGM_FI_`
/// sample or HELP/TYPE line (the exporter's CSV of counters is not one).
pub fn looks_like(text: &str) -> bool {
    text.contains("DCGM_FI_DEV_") && exposition::has_family_prefix(text, "DCGM_FI_")
}

/// Parses a dcgm-exporter page into GPUs, ordered by index.
pub fn parse(text: &str) -> Vec<GpuSample> {
    from_samples(&exposition::parse_filtered(text, wanted))
}

/// The per-GPU history series a family feeds (query mode's
/// `query_range`), and the factor to its unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistorySeries {
    Util,
    Temp,
    Power,
}

/// The history series `name` feeds, with its scale to percent/°C/W.
pub fn history_series(name: &str) -> Option<(HistorySeries, f64)> {
    match FIELDS.field_of(name)? {
        Field::UtilPct => Some((HistorySeries::Util, 1.0)),
        Field::UtilRatio => Some((HistorySeries::Util, 100.0)),
        Field::Temp => Some((HistorySeries::Temp, 1.0)),
        Field::Power => Some((HistorySeries::Power, 1.0)),
        _ => None,
    }
}

/// The families that feed a history series.
pub fn history_families() -> Vec<&'static str> {
    FIELDS
        .families()
        .into_iter()
        .filter(|n| history_series(n).is_some())
        .collect()
}

#[derive(Default)]
struct Partial {
    gpu: GpuSample,
    fb_free: Option<f64>,
    fb_total: Option<f64>,
    fb_reserved: Option<f64>,
    retired: Option<f64>,
    nvlink_err: Option<f64>,
    links: Vec<NvLinkCounters>,
}

/// What a family fills: a whole-GPU field, or a per-link one and its link.
type FamilyRole = (Option<Field>, Option<(LinkField, u32)>);

/// Builds GPUs from already-parsed samples (one host's, in any order).
pub fn from_samples(samples: &[MetricSample]) -> Vec<GpuSample> {
    let mut table: GpuTable<u32, Partial> = GpuTable::default();
    // A family's samples come together (one per GPU): the previous name's
    // field is reused rather than looked up again.
    let mut last: Option<(&str, FamilyRole)> = None;
    for s in samples {
        let (field, link) = match last {
            Some((name, role)) if name == s.name => role,
            _ => {
                let field = FIELDS.field_of(&s.name);
                let link = match field {
                    Some(_) => None,
                    None => per_link(&s.name),
                };
                last = Some((&s.name, (field, link)));
                (field, link)
            }
        };
        if field.is_none() && link.is_none() {
            continue;
        }
        if !s.value.is_finite() {
            continue;
        }
        let [gpu, mig_instance] = s.labels.get_each(["gpu", "GPU_I_ID"]);
        let Some(index) = gpu.and_then(|g| g.parse::<u32>().ok()) else {
            continue;
        };
        if let Some((what, link)) = link {
            // Per-link fields are whole-GPU fields; MIG series do not carry them.
            if mig_instance.is_some() {
                continue;
            }
            let p = table.entry(index);
            fill_identity(&mut p.gpu, index, s);
            let at = match p.links.iter().position(|l| l.link == link) {
                Some(at) => at,
                None => {
                    p.links.push(NvLinkCounters {
                        link,
                        ..NvLinkCounters::default()
                    });
                    p.links.len() - 1
                }
            };
            let l = &mut p.links[at];
            match what {
                LinkField::Error(c) => *l.slot(c) = Some(s.value),
                LinkField::Bandwidth => l.bandwidth = Some(s.value),
            }
            continue;
        }
        let Some(field) = field else {
            continue;
        };
        if let Some(instance) = mig_instance {
            let (p, m) = table.mig(
                index,
                |_| Partial::default(),
                instance.to_string(),
                || MigInstance {
                    instance_id: instance.to_string(),
                    profile: s.label("GPU_I_PROFILE").unwrap_or("").to_string(),
                    ..Default::default()
                },
            );
            // MIG series still identify the parent GPU.
            fill_identity(&mut p.gpu, index, s);
            match field {
                Field::UtilPct => m.instance.util_pct = Some(s.value),
                Field::UtilRatio => m.instance.util_pct = Some(s.value * 100.0),
                Field::FbUsed => m.instance.mem_used_mib = Some(s.value),
                Field::FbFree => m.mem_free_mib = Some(s.value),
                _ => {}
            }
            continue;
        }
        let p = table.entry(index);
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
            Field::RemapPending => g.row_remap_pending = Some(v > 0.0),
            Field::RetiredPending => g.retired_pages_pending = Some(v),
            Field::PcieReplay => g.pcie_replays = Some(v),
            Field::NvlinkBandwidth => g.nvlink_bandwidth = Some(v),
            Field::NvlinkErrors => p.nvlink_err = Some(p.nvlink_err.unwrap_or(0.0) + v),
            Field::Xid => g.last_xid = Some(v as u32),
            Field::RecoveryAction => g.recovery_action = (v >= 0.0).then_some(v as u32),
        }
    }
    table.finish(|p, _| {
        let mut g = p.gpu;
        g.mem_total_mib = p.fb_total.or_else(|| {
            let used = g.mem_used_mib?;
            Some(used + p.fb_free? + p.fb_reserved.unwrap_or(0.0))
        });
        g.retired_pages = p.retired;
        let mut links = p.links;
        links.sort_by_key(|l| l.link);
        // Without the exporter's totals, the links' counters add up to them.
        g.nvlink_errors = p.nvlink_err.or_else(|| {
            links
                .iter()
                .filter_map(NvLinkCounters::errors)
                .fold(None, |acc, v| Some(acc.unwrap_or(0.0) + v))
        });
        if g.nvlink_bandwidth.is_none() && links.iter().any(|l| l.bandwidth.is_some()) {
            g.nvlink_bandwidth = Some(links.iter().filter_map(|l| l.bandwidth).sum());
        }
        g.nvlink_links = links;
        g
    })
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
