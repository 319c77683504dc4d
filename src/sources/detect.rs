//! Telling exporter dialects apart from a page's content, and parsing any
//! of them into GPUs grouped by node, with a reason when there are none.
//!
//! Detection looks at the page, not at where it came from: JSON is a
//! Prometheus API answer (`status` + `data`) or a custom `/v1/collect`
//! answer (nodes → `devices`); text is Prometheus exposition, told apart by
//! its metric families (`DCGM_FI_*`, `all_smi_*`, `nvidia_smi_*`, AMD's
//! `gpu_gfx_activity`…, `node_*`).

use serde::Serialize;
use serde_json::Value;

use super::dialect::GPU_DIALECTS;
use super::exposition::{self, MetricSample, strict_sample_name};
use super::{custom_json, node_exporter, prom_api};
use crate::domain::GpuSample;

pub use super::dialect::Dialect;

/// One node's GPUs. `node` is `None` when the page does not name its host
/// (nvidia_gpu_exporter, or a dcgm-exporter page without `Hostname`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NodeGpus {
    pub node: Option<String>,
    pub gpus: Vec<GpuSample>,
}

/// A page parsed into GPUs.
#[derive(Debug, Clone, PartialEq)]
pub struct Parsed {
    pub kind: Dialect,
    /// Nodes with at least one GPU; never empty.
    pub nodes: Vec<NodeGpus>,
    /// Things skipped on the way (values that are not numbers…).
    pub warnings: Vec<String>,
}

impl Parsed {
    pub fn gpu_count(&self) -> usize {
        self.nodes.iter().map(|n| n.gpus.len()).sum()
    }
}

/// Why a page gave no GPUs. `Display` is the reason shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InspectError {
    #[error("empty page")]
    Empty,
    #[error("HTML, not a metrics page")]
    Html,
    #[error("malformed JSON: {0}")]
    Json(String),
    #[error("not a metrics page: {0}")]
    NotMetrics(String),
    #[error("{0}")]
    Api(String),
    /// A page of a known (or no known) kind with no GPU series.
    #[error("{reason}")]
    NoGpus {
        kind: Option<Dialect>,
        reason: String,
    },
    /// GPUs are listed but every reading failed to parse.
    #[error("{}: {gpus} GPU(s) listed but no readings: {detail}", .kind.label())]
    NoReadings {
        kind: Dialect,
        gpus: usize,
        detail: String,
    },
}

impl InspectError {
    /// The kind of page, where it was recognised.
    pub fn kind(&self) -> Option<Dialect> {
        match self {
            Self::NoGpus { kind, .. } => *kind,
            Self::NoReadings { kind, .. } => Some(*kind),
            _ => None,
        }
    }
}

fn strip_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

fn is_json(t: &str) -> bool {
    t.starts_with('{') || t.starts_with('[')
}

/// The exposition dialects whose families appear on the page, GPU
/// exporters first, node_exporter last.
fn exposition_kinds(text: &str) -> Vec<Dialect> {
    let mut kinds: Vec<Dialect> = GPU_DIALECTS
        .iter()
        .filter(|d| d.looks_like(text))
        .map(|d| d.dialect())
        .collect();
    if node_exporter::looks_like(text) && exposition::has_family_prefix(text, "node_") {
        kinds.push(Dialect::NodeExporter);
    }
    kinds
}

/// What a page is, from its content; `None` for an empty page, HTML,
/// unknown JSON or text without a known metric family.
pub fn detect(text: &str) -> Option<Dialect> {
    let t = strip_bom(text).trim_start();
    if t.is_empty() || t.starts_with('<') {
        return None;
    }
    if is_json(t) {
        let v: Value = serde_json::from_str(t).ok()?;
        return json_kind(&v);
    }
    exposition_kinds(t).first().copied()
}

fn json_kind(v: &Value) -> Option<Dialect> {
    if prom_api::is_api_value(v) {
        Some(Dialect::PrometheusApi)
    } else if custom_json::is_collect_value(v) {
        Some(Dialect::CustomJson)
    } else {
        None
    }
}

/// Parses a page of any known kind; `pinned` skips detection (the node's
/// `exporters.dialect` setting, `inspect --dialect`).
pub fn parse_any(text: &str, pinned: Option<Dialect>) -> Result<Parsed, InspectError> {
    let text = strip_bom(text);
    let t = text.trim_start();
    if t.trim_end().is_empty() {
        return Err(InspectError::Empty);
    }
    if t.starts_with("<?xml") {
        return Err(InspectError::NotMetrics(
            "XML (nvidia-smi -q -x output?), not an exporter page".into(),
        ));
    }
    if t.starts_with('<') {
        return Err(InspectError::Html);
    }
    if let Some(want) = pinned {
        return parse_as(t, want).map_err(|e| match (e, detect(t)) {
            (InspectError::NoGpus { kind, reason }, Some(seen)) if seen != want => {
                InspectError::NoGpus {
                    kind,
                    reason: format!("{reason} (the page looks like a {})", seen.label()),
                }
            }
            (e, _) => e,
        });
    }
    if is_json(t) {
        let v: Value = match serde_json::from_str(t) {
            Ok(v) => v,
            // `[Mon Nov 23 …] NVRM: …` (dmesg -T) is text, not broken JSON.
            Err(_) if t.starts_with('[') => return Err(unknown_text(t)),
            Err(e) => return Err(InspectError::Json(e.to_string())),
        };
        return match json_kind(&v) {
            Some(Dialect::PrometheusApi) => prometheus_api(&v),
            Some(_) => custom(&v),
            None => Err(InspectError::NotMetrics(
                "JSON, but neither a Prometheus API answer nor a /v1/collect answer".into(),
            )),
        };
    }
    let kinds = exposition_kinds(t);
    let mut first_err = None;
    for kind in kinds
        .iter()
        .copied()
        .filter(|k| *k != Dialect::NodeExporter)
    {
        match parse_exposition(t, kind) {
            Ok(p) => return Ok(p),
            Err(e) => {
                first_err.get_or_insert(e);
            }
        }
    }
    if let Some(e) = first_err {
        return Err(e);
    }
    if kinds.contains(&Dialect::NodeExporter) {
        return Err(no_gpus(
            Dialect::NodeExporter,
            "host metrics only, no GPU series",
        ));
    }
    Err(unknown_text(t))
}

/// Parses `text` as `kind`, without detection.
pub fn parse_as(text: &str, kind: Dialect) -> Result<Parsed, InspectError> {
    match kind {
        Dialect::Dcgm | Dialect::AllSmi | Dialect::NvidiaGpuExporter | Dialect::Amd => {
            parse_exposition(text, kind)
        }
        Dialect::NodeExporter => Err(no_gpus(kind, "host metrics only, no GPU series")),
        Dialect::CustomJson | Dialect::PrometheusApi => {
            let v: Value =
                serde_json::from_str(text).map_err(|e| InspectError::Json(e.to_string()))?;
            if kind == Dialect::CustomJson {
                custom(&v)
            } else {
                prometheus_api(&v)
            }
        }
    }
}

fn no_gpus(kind: Dialect, why: &str) -> InspectError {
    InspectError::NoGpus {
        kind: Some(kind),
        reason: format!("{}: {why}", kind.label()),
    }
}

fn custom(v: &Value) -> Result<Parsed, InspectError> {
    let kind = Dialect::CustomJson;
    let nodes = custom_json::from_value(v).map_err(|e| match e {
        custom_json::CustomJsonError::Malformed(m) => InspectError::Json(m),
        other => InspectError::NoGpus {
            kind: Some(kind),
            reason: format!("{}: {other}", kind.label()),
        },
    })?;
    let count = nodes.len();
    let nodes: Vec<NodeGpus> = nodes
        .into_iter()
        .filter(|(_, g)| !g.is_empty())
        .map(|(node, gpus)| NodeGpus {
            node: Some(node),
            gpus,
        })
        .collect();
    if nodes.is_empty() {
        return Err(no_gpus(
            kind,
            &format!("{count} node(s), no devices listed"),
        ));
    }
    Ok(Parsed {
        kind,
        nodes,
        warnings: Vec::new(),
    })
}

fn prometheus_api(v: &Value) -> Result<Parsed, InspectError> {
    let kind = Dialect::PrometheusApi;
    let samples = prom_api::samples_from_value(v).map_err(|e| match e {
        prom_api::PromApiError::Malformed(m) => InspectError::Json(m),
        prom_api::PromApiError::ResultType(_) | prom_api::PromApiError::NotQuery => {
            InspectError::NoGpus {
                kind: Some(kind),
                reason: e.to_string(),
            }
        }
        other => InspectError::Api(other.to_string()),
    })?;
    let nodes: Vec<NodeGpus> = prom_api::gpus_from_samples(&samples)
        .into_iter()
        .map(|(node, gpus)| NodeGpus {
            node: (!node.is_empty()).then_some(node),
            gpus,
        })
        .collect();
    if nodes.is_empty() {
        return Err(no_gpus(kind, &api_without_gpus(&samples)));
    }
    Ok(Parsed {
        kind,
        nodes,
        warnings: Vec::new(),
    })
}

fn api_without_gpus(samples: &[MetricSample]) -> String {
    if samples.is_empty() {
        return "no series (the query matched nothing)".into();
    }
    let mut names: Vec<&str> = samples
        .iter()
        .map(|s| s.name.as_ref())
        .filter(|n| !n.is_empty())
        .collect();
    names.sort_unstable();
    names.dedup();
    if names.is_empty() {
        return format!(
            "{} series without a metric name (a computed query?); query raw exporter series such as DCGM_FI_DEV_GPU_UTIL",
            samples.len()
        );
    }
    let shown = names.iter().take(3).copied().collect::<Vec<_>>().join(", ");
    let more = if names.len() > 3 { ", …" } else { "" };
    format!(
        "{} series, none a GPU metric this tool reads ({shown}{more})",
        samples.len()
    )
}

/// Groups samples by the first node label present (a federated page can
/// hold several hosts), in order of first appearance.
fn group_by_node<'a>(
    samples: Vec<MetricSample<'a>>,
    node_labels: &[&str],
) -> Vec<(Option<String>, Vec<MetricSample<'a>>)> {
    let mut groups: Vec<(Option<String>, Vec<MetricSample<'a>>)> = Vec::new();
    for s in samples {
        let node = node_labels
            .iter()
            .find_map(|k| s.label(k).filter(|v| !v.is_empty()))
            .map(str::to_string);
        match groups.iter_mut().find(|(n, _)| *n == node) {
            Some((_, v)) => v.push(s),
            None => groups.push((node, vec![s])),
        }
    }
    groups
}

fn has_reading(g: &GpuSample) -> bool {
    [
        g.util_pct,
        g.mem_used_mib,
        g.mem_total_mib,
        g.temp_c,
        g.power_w,
        g.sm_clock_mhz,
    ]
    .iter()
    .any(Option::is_some)
}

fn parse_exposition(text: &str, kind: Dialect) -> Result<Parsed, InspectError> {
    let Some(reader) = kind.exposition() else {
        return Err(no_gpus(kind, "no GPU series"));
    };
    let wanted = |n: &str| reader.wanted(n);
    let samples = exposition::parse_filtered(text, wanted);
    let nodes: Vec<NodeGpus> = group_by_node(samples, reader.node_labels())
        .into_iter()
        .map(|(node, s)| NodeGpus {
            node,
            gpus: reader.gpus_from_samples(&s),
        })
        .filter(|n| !n.gpus.is_empty())
        .collect();
    let bad = unparsed_values(text, wanted);
    let gpus: usize = nodes.iter().map(|n| n.gpus.len()).sum();
    if gpus == 0 {
        let why = match kind {
            Dialect::AllSmi => "host metrics only (CPU, memory, disk), no GPU series",
            Dialect::Amd => {
                "no GPU families this tool reads (gpu_gfx_activity, gpu_*_temperature, gpu_*power*, gpu_*_vram, gpu_clock)"
            }
            _ => "no per-GPU series",
        };
        let why = match &bad {
            Some(b) => format!("{why}; {}", b.describe()),
            None => why.to_string(),
        };
        return Err(no_gpus(kind, &why));
    }
    let mut warnings = Vec::new();
    if let Some(b) = bad {
        if !nodes.iter().flat_map(|n| &n.gpus).any(has_reading) {
            return Err(InspectError::NoReadings {
                kind,
                gpus,
                detail: b.describe(),
            });
        }
        warnings.push(b.describe());
    }
    Ok(Parsed {
        kind,
        nodes,
        warnings,
    })
}

/// Sample lines of wanted families whose value is not a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BadValues {
    pub count: usize,
    pub first_metric: String,
    pub first_value: String,
}

impl BadValues {
    pub fn describe(&self) -> String {
        let hint = if self.first_value.contains("{{") {
            " (unrendered template placeholders?)"
        } else {
            ""
        };
        format!(
            "{} sample value(s) are not numbers and were skipped, first: {} = `{}`{hint}",
            self.count,
            crate::text::sanitize_max(&self.first_metric, 80),
            crate::text::sanitize_max(&self.first_value, 40),
        )
    }
}

/// Finds sample lines of families passing `wanted` whose value the
/// exposition parser would drop (it skips them silently).
pub fn unparsed_values(text: &str, wanted: impl Fn(&str) -> bool) -> Option<BadValues> {
    let mut found: Option<BadValues> = None;
    for line in text.lines() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') {
            continue;
        }
        let Some((name, rest)) = super::exposition_parse::split_sample(l) else {
            continue;
        };
        if !wanted(name) {
            continue;
        }
        let Some(value) = rest.split_whitespace().next() else {
            continue;
        };
        if value.parse::<f64>().is_ok() {
            continue;
        }
        match &mut found {
            Some(b) => b.count += 1,
            None => {
                found = Some(BadValues {
                    count: 1,
                    first_metric: name.to_string(),
                    first_value: value.to_string(),
                })
            }
        }
    }
    found
}

/// Why text with no known family is not usable.
fn unknown_text(text: &str) -> InspectError {
    if exposition::sample_line_count(text) == 0 {
        return InspectError::NotMetrics("no metric samples, only comments".into());
    }
    let names: Vec<&str> = text.lines().filter_map(strict_sample_name).collect();
    if names.is_empty() {
        return InspectError::NotMetrics("no line parses as a metric sample".into());
    }
    let mut families: Vec<&str> = names
        .iter()
        .map(|n| n.split('_').next().unwrap_or(""))
        .collect();
    families.sort_unstable();
    families.dedup();
    let shown = families
        .iter()
        .take(4)
        .map(|f| format!("{f}_*"))
        .collect::<Vec<_>>()
        .join(", ");
    InspectError::NoGpus {
        kind: None,
        reason: format!(
            "metrics page without GPU series: {} samples from {shown}; none from dcgm-exporter, all-smi, \
             nvidia_gpu_exporter or AMD device-metrics-exporter",
            names.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    macro_rules! fixture {
        ($p:literal) => {
            include_str!(concat!("../../tests/fixtures/", $p))
        };
    }

    const DCGM_L4: &str = fixture!("dcgm/cncf-aiconf_kops_L4x1_dcgm-exporter_metrics.prom");
    const DCGM_T4: &str =
        fixture!("dcgm/cncf-aiconf_ericsson_TeslaT4x1_dcgm-exporter_metrics_noHELP.prom");
    const DCGM_T4_NEW: &str = fixture!("dcgm/derived_TeslaT4x1_dcgm-4.7-metric-names.prom");
    const DCGM_XID: &str = fixture!("dcgm/derived_A100x1_MIG-1g.5gb_xid79.prom");
    const DCGM_AICR: &str =
        fixture!("dcgm/nvidia-aicr_H100x8_pod-labels_dcgm-exporter_sampled-lines.prom");
    const ALL_SMI: &str = fixture!("all_smi/allsmi-mock-0.28.1_nvidia_mig.prom");
    const ALL_SMI_CPU: &str = fixture!("all_smi/all-smi_api-mode_metrics_docker-cpu-only.prom");
    const PLACEHOLDERS: &str =
        fixture!("all_smi/allsmi-mock-0.28.1_amd-cpu_unrendered-placeholders.prom");
    const NVGPU: &str = fixture!(
        "nvidia_gpu_exporter/nvgpuexp_metrics_linux-x86_64__nvidia-h200__590.48.01__load.prom"
    );
    const AMD: &str = fixture!("amd/rocm-dme_pr236_MI300X-OAM_gpu_gfx_activity_k8s_1line.prom");
    const AMD_XGMI: &str = fixture!(
        "amd/rocm-dme_issue162_MI200-HPE_xgmi_neighbor_5_tx_throughput_slurm-labels_excerpt.prom"
    );
    const NODE: &str = fixture!("node_exporter/node_exporter_e2e-output_linux.txt");
    const CUSTOM: &str = fixture!("custom_json/bie_v1_collect_demo-app.json");
    const API: &str = fixture!(
        "prometheus_api/nvidia-aicr_api-v1-query_vector_DCGM_FI_DEV_GPU_TEMP_H100x16.json"
    );
    const API_UP: &str = fixture!("prometheus_api/promdocs_api-v1-query_vector_up.json");

    #[test]
    fn detects_each_kind() {
        use Dialect::*;
        let cases: [(&str, Option<Dialect>); 14] = [
            (DCGM_L4, Some(Dcgm)),
            (DCGM_T4_NEW, Some(Dcgm)),
            (ALL_SMI, Some(AllSmi)),
            (ALL_SMI_CPU, Some(AllSmi)),
            (NVGPU, Some(NvidiaGpuExporter)),
            (AMD, Some(Amd)),
            (NODE, Some(NodeExporter)),
            (CUSTOM, Some(CustomJson)),
            (API, Some(PrometheusApi)),
            (API_UP, Some(PrometheusApi)),
            ("", None),
            ("<!DOCTYPE html><html></html>", None),
            ("[1, 2]", None),
            ("go_goroutines 7\n", None),
        ];
        for (text, want) in cases {
            assert_eq!(detect(text), want, "{}", &text[..text.len().min(60)]);
        }
    }

    #[test]
    fn dcgm_page_grouped_under_its_hostname() {
        let p = parse_any(DCGM_L4, None).unwrap();
        assert_eq!(p.kind, Dialect::Dcgm);
        assert_eq!(p.nodes.len(), 1);
        assert_eq!(p.nodes[0].node.as_deref(), Some("i-030791dc5a37cd257"));
        let g = &p.nodes[0].gpus[0];
        assert_eq!(g.model, "NVIDIA L4");
        assert_eq!(g.temp_c, Some(31.0));
        assert_eq!(g.mem_total_mib, Some(0.0 + 22563.0 + 470.0));
        assert!(p.warnings.is_empty());
        let aicr = parse_any(DCGM_AICR, None).unwrap();
        assert_eq!(aicr.gpu_count(), 8);
        let w = aicr.nodes[0].gpus[0].workload.clone().unwrap();
        assert_eq!(w.pod.as_deref(), Some("vllm-agg-0-vllmdecodeworker-s65j5"));
    }

    #[test]
    fn classic_and_dcgm_47_names_give_the_same_gpu() {
        let old = parse_any(DCGM_T4, None).unwrap();
        let new = parse_any(DCGM_T4_NEW, None).unwrap();
        let (a, b) = (&old.nodes[0].gpus[0], &new.nodes[0].gpus[0]);
        assert_eq!(a.util_pct, Some(91.0));
        assert!(
            (b.util_pct.unwrap() - 91.0).abs() < 1e-9,
            "ratio 0.91 is 91 %"
        );
        assert_eq!(a.temp_c, Some(74.0));
        assert_eq!(b.temp_c, a.temp_c);
        assert_eq!(b.power_w, Some(68.244));
        assert_eq!(b.power_w, a.power_w);
        assert_eq!(b.pcie_replays, a.pcie_replays);
        assert_eq!(b.mem_total_mib, a.mem_total_mib);
    }

    #[test]
    fn vgpu_guest_page_without_power_or_temperature() {
        let p = parse_any(
            fixture!("dcgm/cncf-aiconf_vks_GRID-A100-10C-vGPUx1_dcgm-exporter_metrics.prom"),
            None,
        )
        .unwrap();
        assert_eq!(
            p.nodes[0].node.as_deref(),
            Some("conformance-test-np1-qcqc8-bpdtl-wv2gs")
        );
        let g = &p.nodes[0].gpus[0];
        assert_eq!(g.model, "GRID A100-10C");
        assert_eq!((g.temp_c, g.power_w, g.mem_temp_c), (None, None, None));
        assert_eq!(g.sm_clock_mhz, Some(1410.0));
        assert_eq!(g.mem_total_mib, Some(0.0 + 9323.0 + 916.0));
    }

    #[test]
    fn derived_nonzero_xid_and_mig_instance() {
        let p = parse_any(DCGM_XID, None).unwrap();
        let g = &p.nodes[0].gpus[0];
        assert_eq!(g.xid(), Some(79));
        assert_eq!(g.mig.len(), 1);
        assert_eq!(g.mig[0].profile, "1g.5gb");
        assert_eq!(g.mig[0].instance_id, "13");
        assert_eq!(p.nodes[0].node.as_deref(), Some("ub20-a100-k8s"));
    }

    #[test]
    fn reasons_when_there_are_no_gpus() {
        assert_eq!(parse_any("", None), Err(InspectError::Empty));
        assert_eq!(parse_any(" \n\n", None), Err(InspectError::Empty));
        assert_eq!(
            parse_any("<html><body>login</body></html>", None),
            Err(InspectError::Html)
        );
        let e = parse_any(NODE, None).unwrap_err();
        assert_eq!(
            e.to_string(),
            "node_exporter page: host metrics only, no GPU series"
        );
        assert_eq!(e.kind(), Some(Dialect::NodeExporter));
        let e = parse_any(ALL_SMI_CPU, None).unwrap_err();
        assert!(
            e.to_string().starts_with("all-smi page: host metrics only"),
            "{e}"
        );
        let e = parse_any(AMD_XGMI, None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("AMD device-metrics-exporter page: no GPU families"),
            "{e}"
        );
        // Link counters without card labels: an unknown metrics page.
        let e = parse_any(
            fixture!("amd/rocm-dme_docs_gpu_xgmi_link_rx-tx_MI300X-gpu0_redacted.prom"),
            None,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("metrics page without GPU series: 16 samples from gpu_*"),
            "{e}"
        );
        assert_eq!(e.kind(), None);
        let e = parse_any(API_UP, None).unwrap_err();
        assert!(
            e.to_string()
                .contains("2 series, none a GPU metric this tool reads (up)"),
            "{e}"
        );
        let e = parse_any("go_goroutines 7\ngo_threads 9\n", None).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("metrics page without GPU series: 2 samples from go_*"),
            "{e}"
        );
        let e = parse_any("Nov 23 kernel: NVRM: Xid 79\n", None).unwrap_err();
        assert_eq!(
            e,
            InspectError::NotMetrics("no line parses as a metric sample".into())
        );
        let csv = "DCGM_FI_DEV_SM_CLOCK,  gauge, SM clock (in MHz).\nDCGM_FI_DEV_DEC_UTIL ,     gauge, Decoder utilization (in %).\n";
        assert_eq!(detect(csv), None);
        assert_eq!(
            parse_any(csv, None),
            Err(InspectError::NotMetrics(
                "no line parses as a metric sample".into()
            ))
        );
        assert_eq!(
            parse_any("GPU: 0\n    SOCKET_POWER: 10 W\n", None),
            Err(InspectError::NotMetrics(
                "no line parses as a metric sample".into()
            ))
        );
        assert!(matches!(
            parse_any("<?xml version=\"1.0\" ?>\n<nvidia_smi_log/>", None),
            Err(InspectError::NotMetrics(m)) if m.starts_with("XML")
        ));
        let dmesg = "[Mon Nov 23 09:44:01 2026] NVRM: Xid (PCI:0000:53:00): 79, pid=1\n";
        assert_eq!(
            parse_any(dmesg, None),
            Err(InspectError::NotMetrics(
                "no line parses as a metric sample".into()
            ))
        );
        assert!(matches!(
            parse_any("{\"a\": ", None),
            Err(InspectError::Json(_))
        ));
        assert!(matches!(
            parse_any("{\"a\": 1}", None),
            Err(InspectError::NotMetrics(_))
        ));
        let err = r#"{"status":"error","errorType":"timeout","error":"query timed out"}"#;
        assert_eq!(
            parse_any(err, None).unwrap_err().to_string(),
            "Prometheus API error (timeout): query timed out"
        );
    }

    #[test]
    fn placeholder_values_are_a_clear_error() {
        let e = parse_any(PLACEHOLDERS, None).unwrap_err();
        let InspectError::NoReadings { kind, gpus, detail } = &e else {
            panic!("{e:?}")
        };
        assert_eq!(*kind, Dialect::AllSmi);
        assert_eq!(*gpus, 8);
        assert!(
            detail.starts_with("48 sample value(s) are not numbers"),
            "{detail}"
        );
        assert!(
            detail.contains("all_smi_gpu_utilization = `{{UTIL_0}}`"),
            "{detail}"
        );
        assert!(detail.contains("placeholders"), "{detail}");
        // One bad value among good ones is a warning.
        let text = "all_smi_gpu_utilization{gpu_index=\"0\"} 5\nall_smi_gpu_temperature_celsius{gpu_index=\"0\"} x\n";
        let p = parse_any(text, None).unwrap();
        assert_eq!(p.warnings.len(), 1);
        assert!(
            p.warnings[0].contains("all_smi_gpu_temperature_celsius = `x`"),
            "{:?}",
            p.warnings
        );
    }

    #[test]
    fn pinned_dialect_skips_detection() {
        let p = parse_any(DCGM_L4, Some(Dialect::Dcgm)).unwrap();
        assert_eq!(p.gpu_count(), 1);
        let e = parse_any(DCGM_L4, Some(Dialect::AllSmi)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "all-smi page: host metrics only (CPU, memory, disk), no GPU series (the page looks like a dcgm-exporter page)"
        );
        let p = parse_any(CUSTOM, Some(Dialect::CustomJson)).unwrap();
        assert_eq!(p.nodes[0].node.as_deref(), Some("docker-desktop"));
        let p = parse_any(API, Some(Dialect::PrometheusApi)).unwrap();
        assert_eq!(p.gpu_count(), 16);
    }

    #[test]
    fn a_page_with_two_dialects_uses_the_one_with_gpus() {
        let text = format!("{ALL_SMI_CPU}\n{NVGPU}");
        let p = parse_any(&text, None).unwrap();
        assert_eq!(p.kind, Dialect::NvidiaGpuExporter);
        assert_eq!(p.nodes[0].node, None);
        assert_eq!(p.nodes[0].gpus[0].model, "NVIDIA H200");
    }
}
