//! Prometheus HTTP API answers (`/api/v1/query`, `/api/v1/query_range`):
//! each series becomes a [`MetricSample`] and is handed to the exporter
//! dialect that owns its metric name (dcgm-exporter, all-smi,
//! nvidia_gpu_exporter, AMD), per node.
//!
//! Nodes are told apart by the exporter's own host label (`Hostname` for
//! dcgm-exporter, `hostname`) or else Prometheus's `instance`. A matrix
//! answer contributes each series' last point.
//!
//! Prometheus adds its target labels to every series. For an exporter
//! scraped through a Kubernetes ServiceMonitor those include `pod`,
//! `namespace` and `container` naming the *exporter's* pod, and the
//! exporter's own workload labels are renamed `exported_pod` etc. Those are
//! put back the way the exporter wrote them before the dialect sees them,
//! so the exporter pod is never taken for the GPU's workload.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use super::dialect::{self, GPU_DIALECTS};
use super::exposition::{Labels, MetricSample};
use crate::domain::GpuSample;

const WORKLOAD_LABELS: &[&str] = &["pod", "namespace", "container", "pod_uid"];

/// Why an answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PromApiError {
    #[error("malformed JSON: {0}")]
    Malformed(String),
    #[error("Prometheus API error ({kind}): {message}")]
    Api { kind: String, message: String },
    #[error("not a Prometheus API answer ({0})")]
    NotApi(String),
    #[error("Prometheus API answer of type {0}, not a vector or matrix")]
    ResultType(String),
    #[error(
        "Prometheus API answer, but not a query result (no data.resultType); use /api/v1/query"
    )]
    NotQuery,
}

/// Whether a parsed JSON value is an API answer: `{"status": ..., "data"
/// | "error": ...}`.
pub fn is_api_value(v: &Value) -> bool {
    v.get("status").is_some_and(Value::is_string)
        && (v.get("data").is_some() || v.get("error").is_some())
}

/// Whether `text` is a Prometheus API answer.
pub fn looks_like(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with('{') && serde_json::from_str::<Value>(t).is_ok_and(|v| is_api_value(&v))
}

fn parse_value(v: &Value) -> Option<f64> {
    // [ <unix time>, "<value>" ]
    let s = v.as_array()?.get(1)?.as_str()?;
    s.trim().parse::<f64>().ok()
}

/// The series of a vector or matrix answer as samples (name from
/// `__name__`, which a computed query drops: such series have an empty name).
pub fn samples(text: &str) -> Result<Vec<MetricSample<'static>>, PromApiError> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| PromApiError::Malformed(e.to_string()))?;
    samples_from_value(&v)
}

/// Like [`samples`], from an already-parsed value.
pub fn samples_from_value(v: &Value) -> Result<Vec<MetricSample<'static>>, PromApiError> {
    if !is_api_value(v) {
        return Err(PromApiError::NotApi("no \"status\" and \"data\"".into()));
    }
    let text_of = |k: &str| {
        v.get(k)
            .and_then(Value::as_str)
            .map(|s| crate::text::sanitize_max(s, 200))
    };
    if v.get("status").and_then(Value::as_str) != Some("success") {
        return Err(PromApiError::Api {
            kind: text_of("errorType").unwrap_or_else(|| "error".into()),
            message: text_of("error").unwrap_or_default(),
        });
    }
    let data = &v["data"];
    let result_type = data.get("resultType").and_then(Value::as_str).unwrap_or("");
    let matrix = match result_type {
        "vector" => false,
        "matrix" => true,
        "" => return Err(PromApiError::NotQuery),
        other => {
            return Err(PromApiError::ResultType(crate::text::sanitize_max(
                other, 40,
            )));
        }
    };
    let Some(result) = data.get("result").and_then(Value::as_array) else {
        return Err(PromApiError::NotApi("no data.result array".into()));
    };
    let mut out = Vec::with_capacity(result.len());
    for series in result {
        let value = if matrix {
            series
                .get("values")
                .and_then(Value::as_array)
                .and_then(|pts| pts.last())
                .and_then(parse_value)
        } else {
            series.get("value").and_then(parse_value)
        };
        let Some(value) = value else { continue };
        let mut labels: HashMap<String, String> = series
            .get("metric")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| {
                        Some((k.trim().to_string(), crate::text::sanitize(v.as_str()?)))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let name = labels.remove("__name__").unwrap_or_default();
        restore_exporter_labels(&mut labels);
        out.push(MetricSample {
            name: name.into(),
            labels: Labels::from_pairs(labels),
            value,
        });
    }
    Ok(out)
}

/// Undoes Prometheus's target labels clobbering the exporter's workload
/// labels (see the module docs).
fn restore_exporter_labels(labels: &mut HashMap<String, String>) {
    let exported = WORKLOAD_LABELS
        .iter()
        .any(|k| labels.contains_key(&format!("exported_{k}")));
    let job = labels.get("job").cloned().unwrap_or_default();
    let target_pod = !job.is_empty()
        && (labels.get("pod").is_some_and(|p| p.starts_with(&job))
            || labels.get("container") == Some(&job));
    if exported || target_pod {
        for k in WORKLOAD_LABELS {
            labels.remove(*k);
        }
    }
    for k in WORKLOAD_LABELS {
        if let Some(v) = labels.remove(&format!("exported_{k}")) {
            labels.insert((*k).to_string(), v);
        }
    }
}

/// The node a series belongs to.
fn node_of(s: &MetricSample) -> String {
    ["Hostname", "hostname", "instance"]
        .iter()
        .find_map(|k| s.label(k).filter(|v| !v.is_empty()))
        .unwrap_or("")
        .to_string()
}

/// Whether any dialect reads this metric.
pub fn is_gpu_metric(name: &str) -> bool {
    dialect::is_gpu_metric(name)
}

/// Groups samples by node and builds each node's GPUs; nodes without GPUs
/// are left out. Nodes in name order.
pub fn gpus_from_samples(samples: &[MetricSample]) -> Vec<(String, Vec<GpuSample>)> {
    let mut by_node: BTreeMap<String, Vec<MetricSample>> = BTreeMap::new();
    for s in samples.iter().filter(|s| is_gpu_metric(&s.name)) {
        by_node.entry(node_of(s)).or_default().push(s.clone());
    }
    by_node
        .into_iter()
        .map(|(node, samples)| {
            let gpus = GPU_DIALECTS
                .iter()
                .flat_map(|d| {
                    let mine: Vec<MetricSample> = samples
                        .iter()
                        .filter(|s| d.wanted(&s.name))
                        .cloned()
                        .collect();
                    if mine.is_empty() {
                        Vec::new()
                    } else {
                        d.gpus_from_samples(&mine)
                    }
                })
                .collect::<Vec<_>>();
            (node, gpus)
        })
        .filter(|(_, gpus)| !gpus.is_empty())
        .collect()
}

/// Parses an answer into (node, GPUs) pairs.
pub fn parse(text: &str) -> Result<Vec<(String, Vec<GpuSample>)>, PromApiError> {
    Ok(gpus_from_samples(&samples(text)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    const UTIL: &str = include_str!(
        "../../tests/fixtures/prometheus_api/nvidia-aicr_api-v1-query_vector_DCGM_FI_DEV_GPU_UTIL_H100x16.json"
    );
    const TEMP: &str = include_str!(
        "../../tests/fixtures/prometheus_api/nvidia-aicr_api-v1-query_vector_DCGM_FI_DEV_GPU_TEMP_H100x16.json"
    );
    const FB: &str = include_str!(
        "../../tests/fixtures/prometheus_api/nvidia-aicr_api-v1-query_vector_DCGM_FI_DEV_FB_USED_H100x16.json"
    );
    const UP: &str =
        include_str!("../../tests/fixtures/prometheus_api/promdocs_api-v1-query_vector_up.json");
    const MATRIX: &str = include_str!(
        "../../tests/fixtures/prometheus_api/promdocs_api-v1-query_range_matrix_up.json"
    );

    #[test]
    fn temperature_vector_two_nodes_of_eight() {
        assert!(looks_like(TEMP));
        let nodes = parse(TEMP).unwrap();
        assert_eq!(
            nodes
                .iter()
                .map(|(n, g)| (n.as_str(), g.len()))
                .collect::<Vec<_>>(),
            [("gpu-node-1", 8), ("gpu-node-2", 8)]
        );
        let n1 = &nodes[0].1;
        assert_eq!(n1[0].index, 0);
        assert_eq!(n1[0].temp_c, Some(30.0));
        assert_eq!(n1[2].temp_c, Some(26.0));
        assert_eq!(n1[0].model, "NVIDIA H100 80GB HBM3");
        assert_eq!(n1[1].uuid, "GPU-bc5610b9-79c8-fedd-8899-07539c7f868a");
        assert_eq!(n1[1].pci_bus_id.as_deref(), Some("00000000:64:00.0"));
        assert_eq!(n1[0].driver.as_deref(), Some("580.105.08"));
        assert_eq!(nodes[1].1[6].temp_c, Some(30.0));
        // GPU 0 on node 1 runs a vLLM pod (labels kept by honor_labels); on
        // the other 15 the pod/namespace labels name the exporter's own pod,
        // which is not a workload.
        let w = n1[0].workload.clone().unwrap();
        assert_eq!(w.pod.as_deref(), Some("vllm-agg-0-vllmdecodeworker-s65j5"));
        assert_eq!(w.namespace.as_deref(), Some("dynamo-workload"));
        let without = nodes
            .iter()
            .flat_map(|(_, g)| g)
            .filter(|g| g.workload.is_none());
        assert_eq!(without.count(), 15);
    }

    #[test]
    fn util_and_memory_vectors() {
        let nodes = parse(UTIL).unwrap();
        assert_eq!(nodes.iter().map(|(_, g)| g.len()).sum::<usize>(), 16);
        assert!(
            nodes
                .iter()
                .flat_map(|(_, g)| g)
                .all(|g| g.util_pct == Some(0.0))
        );
        let fb = parse(FB).unwrap();
        assert_eq!(fb[0].1[0].mem_used_mib, Some(74166.0));
        assert_eq!(fb[0].1[1].mem_used_mib, Some(0.0));
    }

    #[test]
    fn non_gpu_series_give_no_gpus() {
        let s = samples(UP).unwrap();
        assert_eq!(s.len(), 2);
        assert_eq!(s[0].name, "up");
        assert!(parse(UP).unwrap().is_empty());
        // A range query: the last point of each series.
        let m = samples(MATRIX).unwrap();
        assert_eq!(m.len(), 2);
        assert!(m.iter().all(|s| s.value == 1.0));
    }

    #[test]
    fn errors_and_other_result_types() {
        let err = r#"{"status":"error","errorType":"bad_data","error":"parse error at char 5"}"#;
        assert_eq!(
            parse(err),
            Err(PromApiError::Api {
                kind: "bad_data".into(),
                message: "parse error at char 5".into()
            })
        );
        let scalar = r#"{"status":"success","data":{"resultType":"scalar","result":[1,"2"]}}"#;
        assert_eq!(
            parse(scalar),
            Err(PromApiError::ResultType("scalar".into()))
        );
        assert!(matches!(
            parse("{\"status\":"),
            Err(PromApiError::Malformed(_))
        ));
        assert!(!looks_like("{\"n\": {\"devices\": []}}"));
    }

    #[test]
    fn exported_workload_labels_are_restored() {
        let text = r#"{"status":"success","data":{"resultType":"vector","result":[
            {"metric":{"__name__":"DCGM_FI_DEV_GPU_UTIL","gpu":"0","Hostname":"h","job":"dcgm","pod":"dcgm-abc",
                       "namespace":"gpu-operator","exported_pod":"train-0","exported_namespace":"ml"},
             "value":[1,"55"]}]}}"#;
        let nodes = parse(text).unwrap();
        let w = nodes[0].1[0].workload.clone().unwrap();
        assert_eq!(w.pod.as_deref(), Some("train-0"));
        assert_eq!(w.namespace.as_deref(), Some("ml"));
        assert_eq!(nodes[0].1[0].util_pct, Some(55.0));
    }
}
