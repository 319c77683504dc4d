//! utkuozdemir/nvidia_gpu_exporter pages: `nvidia_smi_*` families, one
//! series per GPU keyed by the `uuid` label, identity on
//! `nvidia_smi_gpu_info`. The exporter converts nvidia-smi's units to base
//! units: memory in bytes, clocks in Hz, utilisation as a 0–1 ratio.
//!
//! In MIG mode nvidia-smi reports no whole-GPU utilisation and the exporter
//! publishes no per-instance series, so such a GPU has `util_pct: None` and
//! no `mig` entries.

use super::dialect::{Dialect, FieldTable};
use super::exposition::{self, MetricSample};
use super::gpu_table::GpuTable;
use crate::domain::GpuSample;

const MIB: f64 = 1024.0 * 1024.0;
const MHZ: f64 = 1_000_000.0;

/// The exporter publishes no host label: a page is one host.
pub const NODE_LABELS: &[&str] = &[];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Info,
    Index,
    UtilRatio,
    MemUsed,
    MemTotal,
    Temp,
    MemTemp,
    Power,
    PowerInstant,
    PowerLimitEnforced,
    PowerLimit,
    SmClockHz,
    MemClockHz,
    Throttle,
    EccSbe,
    EccDbe,
    RemapUncorrectable,
    RemapFailed,
    RecoveryAction,
}

const FIELDS: FieldTable<Field> = FieldTable(&[
    ("nvidia_smi_gpu_info", Field::Info),
    ("nvidia_smi_index", Field::Index),
    ("nvidia_smi_utilization_gpu_ratio", Field::UtilRatio),
    ("nvidia_smi_memory_used_bytes", Field::MemUsed),
    ("nvidia_smi_memory_total_bytes", Field::MemTotal),
    ("nvidia_smi_temperature_gpu", Field::Temp),
    ("nvidia_smi_temperature_memory", Field::MemTemp),
    ("nvidia_smi_power_draw_watts", Field::Power),
    ("nvidia_smi_power_draw_instant_watts", Field::PowerInstant),
    (
        "nvidia_smi_enforced_power_limit_watts",
        Field::PowerLimitEnforced,
    ),
    ("nvidia_smi_power_limit_watts", Field::PowerLimit),
    ("nvidia_smi_clocks_current_sm_clock_hz", Field::SmClockHz),
    (
        "nvidia_smi_clocks_current_memory_clock_hz",
        Field::MemClockHz,
    ),
    ("nvidia_smi_clocks_event_reasons_active", Field::Throttle),
    ("nvidia_smi_clocks_throttle_reasons_active", Field::Throttle),
    (
        "nvidia_smi_ecc_errors_corrected_volatile_total",
        Field::EccSbe,
    ),
    (
        "nvidia_smi_ecc_errors_uncorrected_volatile_total",
        Field::EccDbe,
    ),
    (
        "nvidia_smi_remapped_rows_uncorrectable",
        Field::RemapUncorrectable,
    ),
    ("nvidia_smi_remapped_rows_failure", Field::RemapFailed),
    // nvidia-smi's gpu_recovery_action as NVML's enum (the exporter's
    // docs/METRICS.md); only recent drivers report it.
    ("nvidia_smi_gpu_recovery_action", Field::RecoveryAction),
]);

/// The utkuozdemir/nvidia_gpu_exporter dialect.
pub struct NvidiaGpuExporter;

super::dialect::exposition_dialect!(NvidiaGpuExporter, Dialect::NvidiaGpuExporter);

/// Whether a metric family is one this parser reads.
pub fn wanted(name: &str) -> bool {
    FIELDS.field_of(name).is_some()
}

/// Whether a page looks like nvidia_gpu_exporter's.
pub fn looks_like(text: &str) -> bool {
    exposition::has_family_prefix(text, "nvidia_smi_")
}

/// Parses an nvidia_gpu_exporter page into GPUs, ordered by index.
pub fn parse(text: &str) -> Vec<GpuSample> {
    from_samples(&exposition::parse_filtered(text, wanted))
}

#[derive(Default)]
struct Partial {
    gpu: GpuSample,
    index: Option<u32>,
    power_instant: Option<f64>,
    limit_enforced: Option<f64>,
    limit: Option<f64>,
}

/// Builds GPUs from already-parsed samples (one host's), ordered by index
/// (GPUs without one in the order first seen).
pub fn from_samples(samples: &[MetricSample]) -> Vec<GpuSample> {
    let mut table: GpuTable<String, Partial> = GpuTable::default();
    for s in samples {
        let Some(field) = FIELDS.field_of(&s.name) else {
            continue;
        };
        let Some(uuid) = s.label("uuid") else {
            continue;
        };
        let p = table.entry(uuid.to_string());
        p.gpu.uuid = uuid.to_string();
        if field == Field::Info {
            let g = &mut p.gpu;
            let known = |k: &str| {
                s.label(k)
                    .filter(|v| !v.is_empty() && !v.starts_with('['))
                    .map(str::to_string)
            };
            g.model = known("name").unwrap_or_default();
            g.pci_bus_id = known("pci_bus_id");
            g.driver = known("driver_version");
            if let Some(i) = s.label("index").and_then(|i| i.parse::<u32>().ok()) {
                p.index = Some(i);
            }
            continue;
        }
        let v = s.value;
        if !v.is_finite() {
            continue;
        }
        let g = &mut p.gpu;
        match field {
            Field::Info => {}
            Field::Index => {
                if p.index.is_none() && v >= 0.0 {
                    p.index = Some(v as u32);
                }
            }
            Field::UtilRatio => g.util_pct = Some(v * 100.0),
            Field::MemUsed => g.mem_used_mib = Some(v / MIB),
            Field::MemTotal => g.mem_total_mib = Some(v / MIB),
            Field::Temp => g.temp_c = Some(v),
            Field::MemTemp => g.mem_temp_c = Some(v).filter(|t| *t > 0.0),
            Field::Power => g.power_w = Some(v),
            Field::PowerInstant => p.power_instant = Some(v),
            Field::PowerLimitEnforced => p.limit_enforced = Some(v).filter(|w| *w > 0.0),
            Field::PowerLimit => p.limit = Some(v).filter(|w| *w > 0.0),
            Field::SmClockHz => g.sm_clock_mhz = Some(v / MHZ),
            Field::MemClockHz => g.mem_clock_mhz = Some(v / MHZ),
            Field::Throttle => g.throttle_reasons = Some(v as u64),
            Field::EccSbe => g.ecc_sbe = Some(v),
            Field::EccDbe => g.ecc_dbe = Some(v),
            Field::RemapUncorrectable => g.remapped_rows_uncorrectable = Some(v),
            Field::RemapFailed => g.row_remap_failed = Some(v > 0.0),
            Field::RecoveryAction => g.recovery_action = (v >= 0.0).then_some(v as u32),
        }
    }
    table.finish(|p, seen| {
        let mut g = p.gpu;
        g.index = p.index.unwrap_or(seen as u32);
        if g.power_w.is_none() {
            g.power_w = p.power_instant;
        }
        g.power_limit_w = p.limit_enforced.or(p.limit);
        if g.model.is_empty() {
            g.model = "NVIDIA GPU".to_string();
        }
        g
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const H100_LOAD: &str = include_str!(
        "../../tests/fixtures/nvidia_gpu_exporter/nvgpuexp_metrics_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.prom"
    );
    const H100_MIG: &str = include_str!(
        "../../tests/fixtures/nvidia_gpu_exporter/nvgpuexp_metrics_linux-x86_64__nvidia-h100-mig__590.48.01__load.prom"
    );
    const WINDOWS: &str = include_str!(
        "../../tests/fixtures/nvidia_gpu_exporter/nvgpuexp_metrics_windows-x86_64__nvidia-geforce-rtx-2080-super__610.62__load.prom"
    );
    const L40S: &str = include_str!(
        "../../tests/fixtures/nvidia_gpu_exporter/nvgpuexp_metrics_linux-x86_64__nvidia-l40s__595.80__load.prom"
    );

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-6)
    }

    #[test]
    fn h100_under_load() {
        let g = parse(H100_LOAD);
        assert_eq!(g.len(), 1);
        let g = &g[0];
        assert_eq!(g.index, 0);
        assert_eq!(g.model, "NVIDIA H100 80GB HBM3");
        assert_eq!(g.uuid, "00000000-0000-0000-0000-000000000000");
        assert_eq!(g.pci_bus_id.as_deref(), Some("00000000:00:09.0"));
        assert_eq!(g.driver.as_deref(), Some("590.48.01"));
        assert!(close(g.util_pct, 100.0), "ratio 1 is 100 %");
        assert!(close(g.temp_c, 59.0));
        assert!(close(g.mem_temp_c, 54.0));
        assert!(close(g.power_w, 631.95));
        assert!(close(g.power_limit_w, 700.0));
        assert!(close(g.mem_used_mib, 19818.0), "{:?}", g.mem_used_mib);
        assert!(close(g.mem_total_mib, 81559.0), "{:?}", g.mem_total_mib);
        assert!(close(g.sm_clock_mhz, 1980.0));
        assert!(close(g.mem_clock_mhz, 2619.0));
        assert_eq!(g.throttle_reasons, Some(0));
        assert_eq!(g.row_remap_failed, Some(false));
        assert_eq!(g.recovery_action, Some(0), "None, on driver 590");
        assert!(g.mig.is_empty());
    }

    #[test]
    fn the_drivers_recovery_action() {
        let g = parse(include_str!(
            "../../tests/fixtures/nvidia_gpu_exporter/derived_H100_590.48.01_load_recovery-action-2.prom"
        ));
        assert_eq!(g[0].recovery_action, Some(2));
        assert_eq!(g[0].recovery_needed(), Some(2));
        let h = crate::domain::health::gpu_health(&g[0]);
        assert!(
            h.reasons
                .iter()
                .any(|(_, r)| r == "driver: node reboot required"),
            "{:?}",
            h.reasons
        );
        // Older drivers publish no such series: unknown, not "none".
        let old = parse("nvidia_smi_gpu_info{index=\"0\",name=\"A\",uuid=\"GPU-a\"} 1\n");
        assert_eq!(old[0].recovery_action, None);
    }

    #[test]
    fn mig_mode_has_no_whole_gpu_utilisation() {
        let g = parse(H100_MIG);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].util_pct, None);
        assert!(close(g[0].mem_used_mib, 11125.0), "{:?}", g[0].mem_used_mib);
        assert!(close(g[0].temp_c, 53.0));
    }

    #[test]
    fn windows_capture_with_escaped_process_paths() {
        let g = parse(WINDOWS);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].model, "NVIDIA GeForce RTX 2080 SUPER");
        assert!(close(g[0].util_pct, 7.0));
        assert!(close(g[0].mem_total_mib, 8192.0));
        assert!(close(g[0].power_w, 97.99));
        assert!(close(g[0].temp_c, 44.0));
    }

    #[test]
    fn idle_h100_and_consumer_card() {
        let idle = parse(include_str!(
            "../../tests/fixtures/nvidia_gpu_exporter/nvgpuexp_metrics_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__idle.prom"
        ));
        assert_eq!(idle.len(), 1);
        assert!(close(idle[0].util_pct, 0.0));
        assert!(close(idle[0].temp_c, 41.0));
        let rtx = parse(include_str!(
            "../../tests/fixtures/nvidia_gpu_exporter/nvgpuexp_metrics_linux-x86_64__nvidia-geforce-rtx-4080-super__595.71.05__load.prom"
        ));
        assert_eq!(rtx[0].model, "NVIDIA GeForce RTX 4080 SUPER");
        assert!(close(rtx[0].util_pct, 7.0));
        assert!(close(rtx[0].temp_c, 46.0));
    }

    #[test]
    fn l40s_capture() {
        let g = parse(L40S);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].model, "NVIDIA L40S");
        assert!(close(g[0].temp_c, 54.0));
        assert!(looks_like(L40S));
        assert!(!looks_like(
            "node_cpu_seconds_total{cpu=\"0\",mode=\"idle\"} 1\n"
        ));
    }

    #[test]
    fn gpus_are_ordered_by_index_and_not_applicable_labels_dropped() {
        let text = "nvidia_smi_gpu_info{index=\"1\",name=\"B\",pci_bus_id=\"[N/A]\",uuid=\"GPU-b\"} 1\n\
                    nvidia_smi_gpu_info{index=\"0\",name=\"A\",uuid=\"GPU-a\"} 1\n\
                    nvidia_smi_utilization_gpu_ratio{uuid=\"GPU-b\"} 0.5\n";
        let g = parse(text);
        assert_eq!(
            g.iter().map(|g| g.model.as_str()).collect::<Vec<_>>(),
            ["A", "B"]
        );
        assert_eq!(g[1].pci_bus_id, None);
        assert!(close(g[1].util_pct, 50.0));
    }
}
