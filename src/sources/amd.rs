//! ROCm device-metrics-exporter pages (AMD Instinct), where they map onto
//! the GPU model cleanly: GFX activity, power, temperatures, VRAM, clocks,
//! ECC totals and PCIe replays. Series are keyed by `gpu_id`; the early
//! exporter format (upper-case `GPU_UUID` labels, `gpu_usage`,
//! `gpu_total_memory`) is keyed by its UUID instead.
//!
//! Units: VRAM is published in MB, which the exporter takes from amdsmi's
//! MiB figures, so it is used as MiB unchanged.

use super::dialect::{Dialect, FieldTable};
use super::exposition::{self, MetricSample};
use super::gpu_table::GpuTable;
use crate::domain::{GpuSample, Workload};

/// Labels that name the host a series is from.
pub const NODE_LABELS: &[&str] = &["hostname"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Util,
    MemUsed,
    MemTotal,
    MemFree,
    TempJunction,
    TempEdge,
    MemTemp,
    PackagePower,
    PowerUsage,
    AveragePower,
    Clock,
    EccCorrectable,
    EccUncorrectable,
    PcieReplay,
}

const FIELDS: FieldTable<Field> = FieldTable(&[
    ("gpu_gfx_activity", Field::Util),
    ("gpu_usage", Field::Util),
    ("gpu_used_vram", Field::MemUsed),
    ("gpu_total_vram", Field::MemTotal),
    ("gpu_total_memory", Field::MemTotal),
    ("gpu_free_vram", Field::MemFree),
    ("gpu_junction_temperature", Field::TempJunction),
    ("gpu_edge_temperature", Field::TempEdge),
    ("gpu_memory_temperature", Field::MemTemp),
    ("gpu_package_power", Field::PackagePower),
    ("gpu_power_usage", Field::PowerUsage),
    ("gpu_average_package_power", Field::AveragePower),
    ("gpu_clock", Field::Clock),
    ("gpu_ecc_correct_total", Field::EccCorrectable),
    ("gpu_ecc_uncorrect_total", Field::EccUncorrectable),
    ("pcie_replay_count", Field::PcieReplay),
]);

/// The ROCm device-metrics-exporter dialect.
pub struct DeviceMetricsExporter;

super::dialect::exposition_dialect!(DeviceMetricsExporter, Dialect::Amd);

/// Whether a metric family is one this parser reads.
pub fn wanted(name: &str) -> bool {
    FIELDS.field_of(name).is_some()
}

/// Whether a page looks like device-metrics-exporter's: one of the GPU
/// families above at the start of a line, or AMD's card labels.
pub fn looks_like(text: &str) -> bool {
    text.contains("card_vendor=\"AMD\"")
        || text.lines().any(|l| {
            let l = l.trim_start();
            let rest = l
                .strip_prefix("# HELP ")
                .or_else(|| l.strip_prefix("# TYPE "))
                .unwrap_or(l);
            let end = rest
                .find(|c: char| c == '{' || c.is_whitespace())
                .unwrap_or(rest.len());
            wanted(&rest[..end])
        })
}

/// Parses a device-metrics-exporter page into GPUs, ordered by index.
pub fn parse(text: &str) -> Vec<GpuSample> {
    from_samples(&exposition::parse_filtered(text, wanted))
}

#[derive(Default)]
struct Partial {
    gpu: GpuSample,
    index: Option<u32>,
    junction: Option<f64>,
    edge: Option<f64>,
    package_power: Option<f64>,
    power_usage: Option<f64>,
    average_power: Option<f64>,
    mem_free: Option<f64>,
    sys_clocks: Vec<f64>,
    mem_clocks: Vec<f64>,
}

fn label<'a>(s: &'a MetricSample, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| s.label(k))
        .filter(|v| !v.is_empty())
}

fn mean(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| v.iter().sum::<f64>() / v.len() as f64)
}

/// The key a GPU's series share: its `gpu_id`, or in the early format its
/// UUID.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
enum GpuKey {
    Id(u32),
    Uuid(String),
}

/// Builds GPUs from already-parsed samples (one host's).
pub fn from_samples(samples: &[MetricSample]) -> Vec<GpuSample> {
    let mut table: GpuTable<GpuKey, Partial> = GpuTable::default();
    for s in samples {
        let Some(field) = FIELDS.field_of(&s.name) else {
            continue;
        };
        let id = s.label("gpu_id").and_then(|g| g.parse::<u32>().ok());
        let key = match (id, label(s, &["gpu_uuid", "GPU_UUID"])) {
            (Some(i), _) => GpuKey::Id(i),
            (None, Some(u)) => GpuKey::Uuid(u.to_string()),
            (None, None) => continue,
        };
        let p = table.entry_with(key, |_| Partial {
            index: id,
            ..Default::default()
        });
        fill_identity(&mut p.gpu, s);
        let v = s.value;
        if !v.is_finite() {
            continue;
        }
        let g = &mut p.gpu;
        match field {
            Field::Util => g.util_pct = Some(v),
            Field::MemUsed => g.mem_used_mib = Some(v),
            Field::MemTotal => g.mem_total_mib = Some(v).filter(|t| *t > 0.0),
            Field::MemFree => p.mem_free = Some(v),
            Field::TempJunction => p.junction = Some(v).filter(|t| *t > 0.0),
            Field::TempEdge => p.edge = Some(v).filter(|t| *t > 0.0),
            Field::MemTemp => g.mem_temp_c = Some(v).filter(|t| *t > 0.0),
            Field::PackagePower => p.package_power = Some(v),
            Field::PowerUsage => p.power_usage = Some(v),
            Field::AveragePower => p.average_power = Some(v),
            Field::Clock => match s.label("clock_type") {
                Some("system") => p.sys_clocks.push(v),
                Some("memory") => p.mem_clocks.push(v),
                _ => {}
            },
            Field::EccCorrectable => g.ecc_sbe = Some(v),
            Field::EccUncorrectable => g.ecc_dbe = Some(v),
            Field::PcieReplay => g.pcie_replays = Some(v),
        }
    }
    table.finish(|p, seen| {
        let mut g = p.gpu;
        g.index = p.index.unwrap_or(seen as u32);
        // MI3xx publishes the junction (hotspot) temperature, MI2xx the edge one.
        g.temp_c = p.junction.or(p.edge);
        g.power_w = p.package_power.or(p.power_usage).or(p.average_power);
        if g.mem_used_mib.is_none()
            && let (Some(total), Some(free)) = (g.mem_total_mib, p.mem_free)
        {
            g.mem_used_mib = Some((total - free).max(0.0));
        }
        g.sm_clock_mhz = mean(&p.sys_clocks);
        g.mem_clock_mhz = mean(&p.mem_clocks);
        if g.model.is_empty() {
            g.model = "AMD GPU".to_string();
        }
        g
    })
}

fn fill_identity(g: &mut GpuSample, s: &MetricSample) {
    if g.uuid.is_empty() {
        g.uuid = label(s, &["gpu_uuid", "GPU_UUID"])
            .unwrap_or("")
            .to_string();
    }
    if g.model.is_empty() {
        // "xxxx" is how AMD's docs redact labels.
        g.model = label(s, &["card_series", "card_model"])
            .filter(|m| *m != "xxxx")
            .unwrap_or("")
            .to_string();
    }
    if g.driver.is_none() {
        g.driver = label(s, &["driver_version"]).map(str::to_string);
    }
    if g.workload.is_none() {
        let get = |k: &str| label(s, &[k]).map(str::to_string);
        let w = Workload {
            namespace: get("namespace"),
            pod: get("pod"),
            container: get("container"),
            job: get("job_id"),
        };
        if w != Workload::default() {
            g.workload = Some(w);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const GFX_K8S: &str = include_str!(
        "../../tests/fixtures/amd/rocm-dme_pr236_MI300X-OAM_gpu_gfx_activity_k8s_1line.prom"
    );
    const EARLY: &str = include_str!(
        "../../tests/fixtures/amd/rocm-dme_tools-metricutil_metrics_mini_early-format.prom"
    );
    const CLOCKS: &str =
        include_str!("../../tests/fixtures/amd/rocm-dme_docs_gpu_clock_clock_type_redacted.prom");
    const APU: &str = include_str!(
        "../../tests/fixtures/amd/rocm-dme_issue353_RyzenAI-395_gpu_average_package_power_empty-labels_excerpt.prom"
    );
    const XGMI: &str = include_str!(
        "../../tests/fixtures/amd/rocm-dme_issue162_MI200-HPE_xgmi_neighbor_5_tx_throughput_slurm-labels_excerpt.prom"
    );

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-6)
    }

    #[test]
    fn mi300x_gfx_activity_line_with_k8s_labels() {
        let g = parse(GFX_K8S);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].index, 0);
        assert_eq!(g[0].model, "AMD Instinct MI300X OAM");
        assert_eq!(g[0].uuid, "a8ff74a1-0000-1000-807e-843c9b9a1d73");
        assert_eq!(g[0].driver.as_deref(), Some("6.14.14"));
        assert!(close(g[0].util_pct, 0.0));
        // Empty pod/namespace/job labels are no workload.
        assert_eq!(g[0].workload, None);
        assert!(looks_like(GFX_K8S));
    }

    #[test]
    fn early_format_keyed_by_uuid() {
        let g = parse(EARLY);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].uuid, "6699c0a8-4200-4242-037f-f97e6cae0f09");
        assert_eq!(g[0].model, "AMD GPU");
        assert!(close(g[0].power_w, 41.0));
        assert!(close(g[0].mem_total_mib, 68702.0));
        assert!(close(g[0].util_pct, 0.0));
    }

    #[test]
    fn clocks_by_type() {
        let g = parse(CLOCKS);
        assert_eq!(g.iter().map(|g| g.index).collect::<Vec<_>>(), [0, 3, 5]);
        assert!(close(g[0].sm_clock_mhz, 132.0));
        assert!(close(g[0].mem_clock_mhz, 900.0));
        assert_eq!(g[0].model, "AMD GPU", "redacted card_model is not a model");
        assert_eq!(g[1].sm_clock_mhz, None, "a data clock is not the GFX clock");
    }

    #[test]
    fn apu_with_empty_labels_and_xgmi_only_page() {
        let g = parse(APU);
        assert_eq!(g.len(), 1);
        assert!(close(g[0].power_w, 0.0));
        assert_eq!(g[0].model, "AMD GPU");
        assert!(looks_like(XGMI), "card_vendor=AMD marks the page");
        assert!(
            parse(XGMI).is_empty(),
            "link counters alone are no GPU reading"
        );
    }

    #[test]
    fn junction_temperature_and_vram_from_free() {
        let text = "gpu_junction_temperature{gpu_id=\"1\"} 71\n\
                    gpu_edge_temperature{gpu_id=\"1\"} 50\n\
                    gpu_total_vram{gpu_id=\"1\"} 196592\n\
                    gpu_free_vram{gpu_id=\"1\"} 196000\n\
                    gpu_package_power{gpu_id=\"1\"} 180\n\
                    gpu_power_usage{gpu_id=\"1\"} 170\n";
        let g = parse(text);
        assert_eq!(g[0].index, 1);
        assert!(close(g[0].temp_c, 71.0));
        assert!(close(g[0].mem_used_mib, 592.0));
        assert!(close(g[0].power_w, 180.0));
    }
}
