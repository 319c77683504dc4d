//! A custom accelerator's JSON answer to `GET /v1/collect` (the shape
//! Baidu Intelligent Edge documents for custom accelerator metrics):
//!
//! ```json
//! { "<node>": { "deviceNum": 2,
//!               "devices": [ { "usedMemory": 100, "totalMemory": 1000, "percent": 0.1 } ],
//!               "usedMemory": 201, "totalMemory": 2001, "percent": 0.1004 } }
//! ```
//!
//! Memory is in bytes (converted to MiB), `percent` is a 0–1 ratio
//! (converted to %). The node-level totals are sums of the devices and are
//! not kept. A device carries no model, UUID or index: devices are numbered
//! in the order listed.

use serde_json::{Map, Value};

use crate::domain::GpuSample;

const MIB: f64 = 1024.0 * 1024.0;

/// Why an answer could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CustomJsonError {
    #[error("malformed JSON: {0}")]
    Malformed(String),
    #[error("expected an object of nodes, found {0}")]
    NotAnObject(&'static str),
    #[error("node {node:?}: {why}")]
    BadNode { node: String, why: String },
}

fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// Whether a parsed JSON value has the `/v1/collect` shape: an object whose
/// entries are objects with `devices` or `deviceNum`.
pub fn is_collect_value(v: &Value) -> bool {
    let Some(nodes) = v.as_object() else {
        return false;
    };
    !nodes.is_empty()
        && nodes.values().all(|n| {
            n.as_object()
                .is_some_and(|o| o.contains_key("devices") || o.contains_key("deviceNum"))
        })
}

/// Whether `text` is a `/v1/collect` answer.
pub fn looks_like(text: &str) -> bool {
    let t = text.trim_start();
    t.starts_with('{') && serde_json::from_str::<Value>(t).is_ok_and(|v| is_collect_value(&v))
}

/// Parses an answer into (node name, GPUs) pairs, nodes in name order.
pub fn parse(text: &str) -> Result<Vec<(String, Vec<GpuSample>)>, CustomJsonError> {
    let v: Value =
        serde_json::from_str(text).map_err(|e| CustomJsonError::Malformed(e.to_string()))?;
    from_value(&v)
}

/// Like [`parse`], from an already-parsed value.
pub fn from_value(v: &Value) -> Result<Vec<(String, Vec<GpuSample>)>, CustomJsonError> {
    let nodes = v
        .as_object()
        .ok_or(CustomJsonError::NotAnObject(kind_of(v)))?;
    nodes
        .iter()
        .map(|(name, entry)| {
            let node = crate::text::sanitize(name);
            let bad = |why: String| CustomJsonError::BadNode {
                node: node.clone(),
                why,
            };
            let obj = entry
                .as_object()
                .ok_or_else(|| bad(format!("expected an object, found {}", kind_of(entry))))?;
            let devices = match obj.get("devices") {
                None | Some(Value::Null) => &[][..],
                Some(Value::Array(a)) => a.as_slice(),
                Some(other) => {
                    return Err(bad(format!(
                        "\"devices\" is {}, not an array",
                        kind_of(other)
                    )));
                }
            };
            let gpus = devices
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let d = d.as_object().ok_or_else(|| {
                        bad(format!("device {i} is {}, not an object", kind_of(d)))
                    })?;
                    Ok(device(i as u32, d))
                })
                .collect::<Result<Vec<_>, _>>()?;
            Ok((node, gpus))
        })
        .collect()
}

/// A number, or a string holding one; anything else (or a negative or
/// non-finite figure) is unknown.
fn number(o: &Map<String, Value>, key: &str) -> Option<f64> {
    let v = match o.get(key)? {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse::<f64>().ok()?,
        _ => return None,
    };
    (v.is_finite() && v >= 0.0).then_some(v)
}

fn device(index: u32, d: &Map<String, Value>) -> GpuSample {
    GpuSample {
        index,
        util_pct: number(d, "percent").map(|r| r * 100.0),
        mem_used_mib: number(d, "usedMemory").map(|b| b / MIB),
        mem_total_mib: number(d, "totalMemory").map(|b| b / MIB),
        ..Default::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEMO: &str =
        include_str!("../../tests/fixtures/custom_json/bie_v1_collect_demo-app.json");

    #[test]
    fn demo_app_answer() {
        assert!(looks_like(DEMO));
        let nodes = parse(DEMO).unwrap();
        assert_eq!(nodes.len(), 1);
        let (name, gpus) = &nodes[0];
        assert_eq!(name, "docker-desktop");
        assert_eq!(gpus.len(), 2);
        assert_eq!(gpus[1].index, 1);
        assert!((gpus[0].util_pct.unwrap() - 10.0).abs() < 1e-9);
        assert!((gpus[1].util_pct.unwrap() - 10.08991008991009).abs() < 1e-9);
        assert!((gpus[1].mem_total_mib.unwrap() - 1001.0 / MIB).abs() < 1e-12);
        assert!((gpus[1].mem_used_mib.unwrap() - 101.0 / MIB).abs() < 1e-12);
        assert_eq!(gpus[0].temp_c, None, "the answer carries no temperature");
        assert_eq!(gpus[0].model, "");
    }

    #[test]
    fn malformed_answers_are_errors_not_panics() {
        assert!(matches!(
            parse("{\"n\": {\"devices\": [1,"),
            Err(CustomJsonError::Malformed(_))
        ));
        assert_eq!(
            parse("[1, 2]"),
            Err(CustomJsonError::NotAnObject("an array"))
        );
        assert!(matches!(
            parse("{\"n\": 3}"),
            Err(CustomJsonError::BadNode { .. })
        ));
        assert!(matches!(
            parse("{\"n\": {\"devices\": {}}}"),
            Err(CustomJsonError::BadNode { .. })
        ));
        assert!(matches!(
            parse("{\"n\": {\"devices\": [\"x\"]}}"),
            Err(CustomJsonError::BadNode { .. })
        ));
        assert!(!looks_like("{\"status\": \"success\", \"data\": {}}"));
        assert!(!looks_like("not json"));
    }

    #[test]
    fn odd_values_are_unknown_and_names_sanitised() {
        let nodes = parse(r#"{"n\u001b[2J": {"devices": [{"percent": "0.5", "usedMemory": -1, "totalMemory": null}]}}"#).unwrap();
        assert_eq!(nodes[0].0, "n\u{fffd}[2J");
        let g = &nodes[0].1[0];
        assert_eq!(g.util_pct, Some(50.0));
        assert_eq!(g.mem_used_mib, None);
        assert_eq!(g.mem_total_mib, None);
    }
}
