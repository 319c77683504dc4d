//! Alerts the TUI derives on its own from the fleet, so an operator sees
//! trouble even with no Alertmanager configured.

use serde::Serialize;

use super::fleet::{NodeState, NodeStatus};
pub use super::severity::Severity;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LocalAlert {
    pub severity: Severity,
    pub gpu: Option<u32>,
    pub summary: String,
    /// The Xid this alert is about, so Enter can explain it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub xid: Option<u32>,
    /// The preset rule that raised it; `None` for the built-in checks.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<String>,
}

/// Temperature above which a GPU is flagged when its own slowdown limit is
/// not published.
pub const HOT_GPU_C: f64 = 85.0;

/// Derives the node's alerts from its current state.
pub fn evaluate(node: &NodeState) -> Vec<LocalAlert> {
    let mut out = status_alerts(node);
    if node.status.is_down() {
        return out;
    }
    for g in &node.gpus {
        let limit = g.slowdown_temp_c.unwrap_or(HOT_GPU_C);
        if let Some(t) = g.temp_c.filter(|t| *t >= limit) {
            out.push(LocalAlert {
                severity: Severity::Warning,
                gpu: Some(g.index),
                summary: format!("GPU {} at {t:.0} °C (limit {limit:.0})", g.index),
                xid: None,
                rule: None,
            });
        }
        if let Some(x) = g.xid() {
            out.push(LocalAlert {
                severity: Severity::Critical,
                gpu: Some(g.index),
                summary: format!("GPU {} reported Xid {x}", g.index),
                xid: Some(x),
                rule: None,
            });
        }
        out.extend(remembered_xids(node, g.index, g.xid()));
        if g.ecc_dbe.is_some_and(|v| v > 0.0) {
            out.push(LocalAlert {
                severity: Severity::Critical,
                gpu: Some(g.index),
                summary: format!("GPU {} double-bit ECC errors", g.index),
                xid: None,
                rule: None,
            });
        }
    }
    out
}

/// Node down or degraded.
fn status_alerts(node: &NodeState) -> Vec<LocalAlert> {
    let (severity, summary) = match &node.status {
        NodeStatus::Down(reason) => (Severity::Critical, format!("node down: {reason}")),
        NodeStatus::Degraded(reason) => (Severity::Warning, reason.clone()),
        _ => return Vec::new(),
    };
    vec![LocalAlert {
        severity,
        gpu: None,
        summary,
        xid: None,
        rule: None,
    }]
}

/// Xids the node remembers for GPU `gpu` (kernel log, or a gauge since
/// reset), other than the one the exporter shows now.
fn remembered_xids(node: &NodeState, gpu: u32, current: Option<u32>) -> Vec<LocalAlert> {
    node.xid_history
        .iter()
        .filter(|s| s.gpu == gpu && Some(s.xid) != current)
        .map(|seen| LocalAlert {
            severity: Severity::Critical,
            gpu: Some(gpu),
            summary: format!("GPU {} had Xid {} in the last 24h", gpu, seen.xid),
            xid: Some(seen.xid),
            rule: None,
        })
        .collect()
}

/// The node's alerts when a rule set is active: the presets replace the
/// built-in GPU checks, so only the node's status and the Xids it remembers
/// (kernel log, past gauges) stay built in, followed by the rules that fire.
pub fn evaluate_with_rules(
    node: &NodeState,
    id: super::fleet::NodeId,
    engine: &super::rules::RuleEngine,
) -> Vec<LocalAlert> {
    let mut out = status_alerts(node);
    if !node.status.is_down() {
        for g in &node.gpus {
            out.extend(remembered_xids(node, g.index, g.xid()));
        }
    }
    for a in engine.firing_on(id) {
        let Some(rule) = engine.rule(a.rule) else {
            continue;
        };
        out.push(LocalAlert {
            severity: rule.severity,
            gpu: a.gpu,
            summary: engine.summary(a, &node.spec.name),
            xid: rule.is_xid().then(|| a.value.map(|v| v as u32)).flatten(),
            rule: Some(rule.name.clone()),
        });
    }
    out
}
