//! One model for every exporter dialect that writes Prometheus text: which
//! labels name the node, which metric families it reads and what each one
//! fills, how its pages are recognised, and how samples become GPUs.
//!
//! Detection (`detect`), scraping (`collector`), Prometheus API answers
//! (`prom_api`) and query mode (`query`) all walk [`GPU_DIALECTS`], so a
//! family added to a dialect's table is scraped, detected and queried alike.

use super::exposition::{self, MetricSample};
use super::{all_smi, amd, dcgm, nvidia_gpu_exporter};
use crate::domain::GpuSample;

/// Implements [`ExpositionDialect`] for a dialect module's unit type by
/// forwarding to the module's own `NODE_LABELS`, `FIELDS`, `wanted`,
/// `looks_like` and `from_samples`: every exposition dialect is the same
/// shape, so the shape is written once.
macro_rules! exposition_dialect {
    ($ty:ident, $dialect:expr) => {
        impl $crate::sources::dialect::ExpositionDialect for $ty {
            fn dialect(&self) -> $crate::sources::dialect::Dialect {
                $dialect
            }
            fn node_labels(&self) -> &'static [&'static str] {
                NODE_LABELS
            }
            fn families(&self) -> Vec<&'static str> {
                FIELDS.families()
            }
            fn wanted(&self, name: &str) -> bool {
                wanted(name)
            }
            fn looks_like(&self, text: &str) -> bool {
                looks_like(text)
            }
            fn gpus_from_samples(
                &self,
                samples: &[$crate::sources::exposition::MetricSample],
            ) -> Vec<$crate::domain::GpuSample> {
                from_samples(samples)
            }
        }
    };
}
pub(crate) use exposition_dialect;

pub use crate::config::Dialect;

/// What one exporter dialect reads and how.
pub trait ExpositionDialect: Sync {
    /// Which dialect this is.
    fn dialect(&self) -> Dialect;
    /// Labels naming the host a series is from, most specific first.
    fn node_labels(&self) -> &'static [&'static str];
    /// Every metric family this dialect reads (its field table's names).
    fn families(&self) -> Vec<&'static str>;
    /// Whether this dialect reads the family `name`.
    fn wanted(&self, name: &str) -> bool;
    /// Whether a page is this dialect's.
    fn looks_like(&self, text: &str) -> bool;
    /// GPUs from one host's samples, ordered by index.
    fn gpus_from_samples(&self, samples: &[MetricSample]) -> Vec<GpuSample>;

    /// Parses a page of this dialect into GPUs.
    fn parse(&self, text: &str) -> Vec<GpuSample> {
        self.gpus_from_samples(&exposition::parse_filtered(text, |n| self.wanted(n)))
    }
}

/// The GPU exporter dialects, in the order a page is tried and a node's
/// GPUs are listed.
pub static GPU_DIALECTS: [&dyn ExpositionDialect; 4] = [
    &dcgm::DcgmExporter,
    &all_smi::AllSmi,
    &nvidia_gpu_exporter::NvidiaGpuExporter,
    &amd::DeviceMetricsExporter,
];

/// Whether any GPU dialect reads the family `name`.
pub fn is_gpu_metric(name: &str) -> bool {
    GPU_DIALECTS.iter().any(|d| d.wanted(name))
}

/// Every family of every GPU dialect, each once.
pub fn gpu_families() -> Vec<&'static str> {
    let mut all: Vec<&'static str> = Vec::new();
    for d in GPU_DIALECTS {
        for f in d.families() {
            if !all.contains(&f) {
                all.push(f);
            }
        }
    }
    all
}

/// A dialect's field mapping: metric family → the field it fills. The
/// names are the dialect's family table.
pub struct FieldTable<F: Copy + 'static>(pub &'static [(&'static str, F)]);

impl<F: Copy + 'static> FieldTable<F> {
    pub fn field_of(&self, name: &str) -> Option<F> {
        self.0.iter().find(|(n, _)| *n == name).map(|(_, f)| *f)
    }

    pub fn families(&self) -> Vec<&'static str> {
        self.0.iter().map(|(n, _)| *n).collect()
    }
}

impl Dialect {
    /// What a person calls it.
    pub fn label(self) -> &'static str {
        match self {
            Self::Dcgm => "dcgm-exporter page",
            Self::AllSmi => "all-smi page",
            Self::NvidiaGpuExporter => "nvidia_gpu_exporter page",
            Self::Amd => "AMD device-metrics-exporter page",
            Self::NodeExporter => "node_exporter page",
            Self::CustomJson => "custom /v1/collect JSON answer",
            Self::PrometheusApi => "Prometheus API answer",
        }
    }

    /// The exposition reader of a GPU exporter dialect; `None` for
    /// node_exporter (no GPUs) and the JSON dialects.
    pub fn exposition(self) -> Option<&'static dyn ExpositionDialect> {
        GPU_DIALECTS.iter().copied().find(|d| d.dialect() == self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_gpu_dialect_is_listed_once_under_its_own_kind() {
        for d in [
            Dialect::Dcgm,
            Dialect::AllSmi,
            Dialect::NvidiaGpuExporter,
            Dialect::Amd,
        ] {
            assert_eq!(d.exposition().map(|e| e.dialect()), Some(d));
        }
        for d in [
            Dialect::NodeExporter,
            Dialect::CustomJson,
            Dialect::PrometheusApi,
        ] {
            assert!(d.exposition().is_none(), "{d:?}");
        }
    }

    #[test]
    fn every_family_is_wanted_by_its_dialect() {
        for d in GPU_DIALECTS {
            let families = d.families();
            assert!(!families.is_empty(), "{:?}", d.dialect());
            for f in families {
                assert!(d.wanted(f), "{:?} {f}", d.dialect());
                assert!(is_gpu_metric(f));
            }
        }
        assert!(!is_gpu_metric("node_cpu_seconds_total"));
    }

    #[test]
    fn dcgm_reads_both_namings() {
        let all = gpu_families();
        for f in [
            "DCGM_FI_DEV_GPU_UTIL",
            "DCGM_FI_DEV_GPU_UTIL_RATIO",
            "DCGM_FI_DEV_RETIRED_SBE",
            "DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_TOTAL",
            "DCGM_FI_DEV_SLOWDOWN_TEMP",
            "DCGM_FI_DEV_FB_TOTAL",
            "DCGM_FI_DEV_GET_GPU_RECOVERY_ACTION",
            "DCGM_FI_DEV_GPU_RECOVERY_ACTION",
        ] {
            assert!(all.contains(&f), "{f}");
        }
        assert_eq!(
            Dialect::Dcgm.exposition().map(|d| d.families().len()),
            Some(54)
        );
    }

    #[test]
    fn names_match_the_json_and_config_spelling() {
        for d in [
            Dialect::Dcgm,
            Dialect::AllSmi,
            Dialect::NvidiaGpuExporter,
            Dialect::Amd,
            Dialect::NodeExporter,
            Dialect::CustomJson,
            Dialect::PrometheusApi,
        ] {
            let json = serde_json::to_string(&d).unwrap_or_default();
            assert_eq!(json, format!("\"{}\"", d.name()));
        }
        // The config pins only what it always could.
        for name in ["dcgm", "all_smi", "nvidia_gpu_exporter", "custom_json"] {
            assert_eq!(
                serde_yaml::from_str::<Dialect>(name)
                    .map(Dialect::name)
                    .ok(),
                Some(name)
            );
        }
        for name in ["amd", "node_exporter", "prometheus_api"] {
            assert!(serde_yaml::from_str::<Dialect>(name).is_err(), "{name}");
        }
    }
}
