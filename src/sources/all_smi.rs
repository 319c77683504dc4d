//! all-smi API mode (`all-smi api`): `all_smi_*` families, one page per
//! host. Every accelerator kind all-smi knows (NVIDIA, AMD, Apple Silicon,
//! Intel Gaudi, TPU, NPU) is published under the same `all_smi_gpu_*`
//! names, keyed by `gpu_index` (Gaudi's extra families by `npu_index`).
//!
//! all-smi writes `, ` between labels; [`exposition::parse_filtered`]
//! trims the keys. Values that are not numbers (the 0.28.1 mock server's
//! unrendered `{{UTIL_0}}` placeholders) are skipped by the parser, so such
//! a GPU comes out with its identity and no readings.

use super::dialect::{Dialect, FieldTable};
use super::exposition::{self, MetricSample};
use super::gpu_table::GpuTable;
use crate::domain::{GpuSample, MigInstance};

const MIB: f64 = 1024.0 * 1024.0;

/// Labels that name the host a series is from, most specific first.
pub const NODE_LABELS: &[&str] = &["instance", "hostname", "host"];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Field {
    Util,
    MemUsed,
    MemTotal,
    Temp,
    Power,
    PowerLimit,
    /// Gaudi's maximum power; used when no current limit is published.
    PowerMax,
    Freq,
    Slowdown,
    Info,
    MigUtil,
    MigMemUsed,
    MigMemTotal,
}

const FIELDS: FieldTable<Field> = FieldTable(&[
    ("all_smi_gpu_utilization", Field::Util),
    ("all_smi_gpu_memory_used_bytes", Field::MemUsed),
    ("all_smi_gpu_memory_total_bytes", Field::MemTotal),
    ("all_smi_gpu_temperature_celsius", Field::Temp),
    ("all_smi_gpu_power_consumption_watts", Field::Power),
    ("all_smi_gpu_power_limit_current_watts", Field::PowerLimit),
    ("all_smi_gaudi_power_max_watts", Field::PowerMax),
    ("all_smi_gpu_frequency_mhz", Field::Freq),
    (
        "all_smi_gpu_temperature_threshold_slowdown_celsius",
        Field::Slowdown,
    ),
    ("all_smi_gpu_info", Field::Info),
    ("all_smi_mig_instance_utilization_gpu", Field::MigUtil),
    ("all_smi_mig_instance_memory_used_bytes", Field::MigMemUsed),
    (
        "all_smi_mig_instance_memory_total_bytes",
        Field::MigMemTotal,
    ),
]);

/// The all-smi dialect.
pub struct AllSmi;

super::dialect::exposition_dialect!(AllSmi, Dialect::AllSmi);

/// Whether a metric family is one this parser reads.
pub fn wanted(name: &str) -> bool {
    FIELDS.field_of(name).is_some()
}

/// Whether a page looks like all-smi's (any `all_smi_` family, GPUs or not).
pub fn looks_like(text: &str) -> bool {
    exposition::has_family_prefix(text, "all_smi_")
}

/// Parses an all-smi page into GPUs, ordered by index.
pub fn parse(text: &str) -> Vec<GpuSample> {
    from_samples(&exposition::parse_filtered(text, wanted))
}

#[derive(Default)]
struct Partial {
    gpu: GpuSample,
    power_max: Option<f64>,
}

fn first_label<'a>(s: &'a MetricSample, keys: &[&str]) -> Option<&'a str> {
    keys.iter()
        .find_map(|k| s.label(k))
        .filter(|v| !v.is_empty())
}

/// Builds GPUs from already-parsed samples (one host's).
pub fn from_samples(samples: &[MetricSample]) -> Vec<GpuSample> {
    let mut table: GpuTable<u32, Partial> = GpuTable::default();
    for s in samples {
        let Some(field) = FIELDS.field_of(&s.name) else {
            continue;
        };
        let Some(index) =
            first_label(s, &["gpu_index", "npu_index"]).and_then(|g| g.parse::<u32>().ok())
        else {
            continue;
        };
        let p = table.entry(index);
        fill_identity(&mut p.gpu, index, s);
        if field == Field::Info {
            if p.gpu.driver.is_none() {
                p.gpu.driver = s
                    .label("driver_version")
                    .filter(|v| !v.is_empty())
                    .map(str::to_string);
            }
            continue;
        }
        let v = s.value;
        if !v.is_finite() {
            continue;
        }
        if matches!(
            field,
            Field::MigUtil | Field::MigMemUsed | Field::MigMemTotal
        ) {
            let key = first_label(s, &["mig_uuid", "mig_instance", "gpu_instance_id"])
                .unwrap_or("")
                .to_string();
            let (_, m) = table.mig(
                index,
                |_| Partial::default(),
                key,
                || MigInstance {
                    instance_id: first_label(s, &["gpu_instance_id", "mig_instance"])
                        .unwrap_or("")
                        .to_string(),
                    profile: s.label("mig_profile").unwrap_or("").to_string(),
                    ..Default::default()
                },
            );
            let m = &mut m.instance;
            match field {
                Field::MigUtil => m.util_pct = Some(v),
                Field::MigMemUsed => m.mem_used_mib = Some(v / MIB),
                _ => m.mem_total_mib = Some(v / MIB),
            }
            continue;
        }
        let g = &mut p.gpu;
        match field {
            Field::Util => g.util_pct = Some(v),
            Field::MemUsed => g.mem_used_mib = Some(v / MIB),
            Field::MemTotal => g.mem_total_mib = Some(v / MIB),
            Field::Temp => g.temp_c = Some(v),
            Field::Power => g.power_w = Some(v),
            Field::PowerLimit => g.power_limit_w = Some(v).filter(|w| *w > 0.0),
            Field::PowerMax => p.power_max = Some(v).filter(|w| *w > 0.0),
            Field::Freq => g.sm_clock_mhz = Some(v),
            Field::Slowdown => g.slowdown_temp_c = Some(v).filter(|t| *t > 0.0),
            Field::Info | Field::MigUtil | Field::MigMemUsed | Field::MigMemTotal => {}
        }
    }
    table.finish(|p, _| {
        let mut g = p.gpu;
        if g.power_limit_w.is_none() {
            g.power_limit_w = p.power_max;
        }
        g
    })
}

fn fill_identity(g: &mut GpuSample, index: u32, s: &MetricSample) {
    g.index = index;
    if g.uuid.is_empty() {
        g.uuid = first_label(s, &["gpu_uuid", "npu_uuid"])
            .unwrap_or("")
            .to_string();
    }
    if g.model.is_empty() {
        g.model = first_label(s, &["gpu", "gpu_name", "npu"])
            .unwrap_or("")
            .to_string();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIG: &str =
        include_str!("../../tests/fixtures/all_smi/allsmi-mock-0.28.1_nvidia_mig.prom");
    const AMDGPU: &str =
        include_str!("../../tests/fixtures/all_smi/allsmi-mock-0.28.1_amdgpu.prom");
    const APPLE: &str = include_str!("../../tests/fixtures/all_smi/allsmi-mock-0.28.1_apple.prom");
    const GAUDI: &str = include_str!("../../tests/fixtures/all_smi/allsmi-mock-0.28.1_gaudi.prom");
    const HW: &str = include_str!(
        "../../tests/fixtures/all_smi/allsmi-mock-0.28.1_nvidia_processes-topology-hwdetails.prom"
    );
    const PLACEHOLDERS: &str = include_str!(
        "../../tests/fixtures/all_smi/allsmi-mock-0.28.1_amd-cpu_unrendered-placeholders.prom"
    );
    const CPU_ONLY: &str =
        include_str!("../../tests/fixtures/all_smi/all-smi_api-mode_metrics_docker-cpu-only.prom");

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-6)
    }

    #[test]
    fn nvidia_mig_capture() {
        let g = parse(MIG);
        assert_eq!(g.len(), 8);
        let g0 = &g[0];
        assert_eq!(g0.index, 0);
        assert_eq!(g0.model, "NVIDIA B200 192GB HBM3");
        assert_eq!(g0.uuid, "F63E929C-EF3A-3858-F04D-747E4DFF82E3");
        assert_eq!(g0.driver.as_deref(), Some("580.82.07"));
        assert!(close(g0.util_pct, 81.95));
        assert!(close(g0.temp_c, 83.0));
        assert!(close(g0.power_w, 541.337));
        assert!(close(g0.sm_clock_mhz, 1763.0));
        assert!(close(g0.mem_total_mib, 196608.0), "{:?}", g0.mem_total_mib);
        assert!(close(g0.mem_used_mib, 109542393073.0 / MIB));
        // Five MIG instances per GPU, profile and GI id from the labels.
        assert_eq!(g0.mig.len(), 5);
        assert_eq!(g0.mig[0].profile, "1g.5gb");
        assert_eq!(g0.mig[0].instance_id, "1");
        assert!(close(g0.mig[0].mem_total_mib, 5120.0));
        assert!(close(g0.mig[1].util_pct, 68.0));
        assert_eq!(g.iter().map(|g| g.mig.len()).sum::<usize>(), 40);
        // all-smi publishes no PCI bus id or Xid.
        assert_eq!(g0.pci_bus_id, None);
        assert_eq!(g0.last_xid, None);
    }

    #[test]
    fn amd_gpu_capture() {
        let g = parse(AMDGPU);
        assert_eq!(g.len(), 8);
        assert_eq!(g[0].model, "AMD Instinct MI355X 288GB HBM3");
        assert_eq!(g[0].driver.as_deref(), Some("30.10.1"));
        assert!(close(g[0].util_pct, 45.43));
        assert!(close(g[0].temp_c, 68.0));
        assert!(close(g[0].mem_total_mib, 294912.0));
    }

    #[test]
    fn apple_and_gaudi_captures() {
        let a = parse(APPLE);
        assert_eq!(a.len(), 8);
        assert!(close(a[0].util_pct, 13.35));
        assert_eq!(a[0].driver, None, "Metal lists no driver version");
        let g = parse(GAUDI);
        assert_eq!(g.len(), 8);
        assert!(close(g[0].util_pct, 15.21));
        // Gaudi's maximum power stands in for the limit.
        assert!(close(g[0].power_limit_w, 850.0));
    }

    #[test]
    fn hardware_details_capture_gives_slowdown_threshold() {
        let g = parse(HW);
        assert_eq!(g.len(), 8);
        assert!(close(g[0].slowdown_temp_c, 90.0));
        assert!(close(g[0].util_pct, 34.34));
    }

    #[test]
    fn label_keys_with_a_leading_space_are_read() {
        let text = "all_smi_gpu_utilization{gpu=\"X\", instance=\"h\", gpu_uuid=\"U\", gpu_index=\"3\"} 12.5\n";
        let g = parse(text);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].index, 3);
        assert_eq!(g[0].uuid, "U");
        assert!(close(g[0].util_pct, 12.5));
    }

    #[test]
    fn unrendered_placeholders_are_skipped_not_fatal() {
        let g = parse(PLACEHOLDERS);
        assert_eq!(g.len(), 8, "GPUs still known from all_smi_gpu_info");
        assert!(
            g.iter()
                .all(|g| g.util_pct.is_none() && g.mem_used_mib.is_none() && g.temp_c.is_none())
        );
        assert_eq!(g[0].driver.as_deref(), Some("580.82.07"));
    }

    #[test]
    fn cpu_only_host_has_no_gpus_but_looks_like_all_smi() {
        assert!(looks_like(CPU_ONLY));
        assert!(parse(CPU_ONLY).is_empty());
        assert!(!looks_like("DCGM_FI_DEV_GPU_UTIL{gpu=\"0\"} 1\n"));
    }
}
