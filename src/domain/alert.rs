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
}

/// Temperature above which a GPU is flagged when its own slowdown limit is
/// not published.
pub const HOT_GPU_C: f64 = 85.0;

/// Derives the node's alerts from its current state.
pub fn evaluate(node: &NodeState) -> Vec<LocalAlert> {
    let mut out = Vec::new();
    if let NodeStatus::Down(reason) = &node.status {
        out.push(LocalAlert {
            severity: Severity::Critical,
            gpu: None,
            summary: format!("node down: {reason}"),
            xid: None,
        });
        return out;
    }
    if let NodeStatus::Degraded(reason) = &node.status {
        out.push(LocalAlert {
            severity: Severity::Warning,
            gpu: None,
            summary: reason.clone(),
            xid: None,
        });
    }
    for g in &node.gpus {
        let limit = g.slowdown_temp_c.unwrap_or(HOT_GPU_C);
        if let Some(t) = g.temp_c.filter(|t| *t >= limit) {
            out.push(LocalAlert {
                severity: Severity::Warning,
                gpu: Some(g.index),
                summary: format!("GPU {} at {t:.0} °C (limit {limit:.0})", g.index),
                xid: None,
            });
        }
        if let Some(x) = g.xid() {
            out.push(LocalAlert {
                severity: Severity::Critical,
                gpu: Some(g.index),
                summary: format!("GPU {} reported Xid {x}", g.index),
                xid: Some(x),
            });
        }
        // Xids the node remembers (kernel log, or a gauge since reset).
        for seen in node
            .xid_history
            .iter()
            .filter(|s| s.gpu == g.index && Some(s.xid) != g.xid())
        {
            out.push(LocalAlert {
                severity: Severity::Critical,
                gpu: Some(g.index),
                summary: format!("GPU {} had Xid {} in the last 24h", g.index, seen.xid),
                xid: Some(seen.xid),
            });
        }
        if g.ecc_dbe.is_some_and(|v| v > 0.0) {
            out.push(LocalAlert {
                severity: Severity::Critical,
                gpu: Some(g.index),
                summary: format!("GPU {} double-bit ECC errors", g.index),
                xid: None,
            });
        }
    }
    out
}
