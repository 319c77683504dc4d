//! The alerts pane's rows: the rule engine's alerts in every phase plus the
//! built-in ones, firing first by severity, then pending, no data, and
//! resolved in the last hour.

use std::time::Instant;

use super::App;
use crate::domain::rules::Phase;
use crate::domain::{NodeId, Severity};

/// One row of the alerts pane.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    pub node: NodeId,
    pub gpu: Option<u32>,
    pub severity: Severity,
    pub phase: Phase,
    /// When the current phase began; `None` for built-in alerts, which
    /// have no history.
    pub since: Option<Instant>,
    pub value: Option<f64>,
    /// The rule's name, or `built-in`.
    pub rule: String,
    pub summary: String,
    /// The Xid to explain on Enter.
    pub xid: Option<u32>,
    /// Index of the rule in the engine, for the detail overlay.
    pub rule_index: Option<usize>,
}

impl App {
    /// Every alert with its node: the alerts pane's rows.
    pub fn alert_rows(&self) -> Vec<AlertRow> {
        let mut rows: Vec<AlertRow> = Vec::new();
        for (id, n) in self.fleet.nodes.iter().enumerate() {
            for a in n.alerts.iter().filter(|a| a.rule.is_none()) {
                rows.push(AlertRow {
                    node: id,
                    gpu: a.gpu,
                    severity: a.severity,
                    phase: Phase::Firing,
                    since: None,
                    value: None,
                    rule: "built-in".into(),
                    summary: a.summary.clone(),
                    xid: a.xid,
                    rule_index: None,
                });
            }
        }
        if let Some(engine) = &self.fleet.rules {
            for a in engine.alerts() {
                let (Some(rule), Some(node)) = (engine.rule(a.rule), self.fleet.nodes.get(a.node))
                else {
                    continue;
                };
                rows.push(AlertRow {
                    node: a.node,
                    gpu: a.gpu,
                    severity: rule.severity,
                    phase: a.phase,
                    since: Some(a.since),
                    value: a.value,
                    rule: rule.name.clone(),
                    summary: engine.summary(a, &node.spec.name),
                    xid: rule.is_xid().then(|| a.value.map(|v| v as u32)).flatten(),
                    rule_index: Some(a.rule),
                });
            }
        }
        rows.sort_by(|a, b| {
            a.phase
                .cmp(&b.phase)
                .then_with(|| b.severity.cmp(&a.severity))
                .then_with(|| match (a.phase, a.since, b.since) {
                    (Phase::Resolved, Some(x), Some(y)) => y.cmp(&x),
                    _ => std::cmp::Ordering::Equal,
                })
                .then_with(|| {
                    crate::domain::fleet::natural_cmp(
                        &self.fleet.nodes[a.node].spec.name,
                        &self.fleet.nodes[b.node].spec.name,
                    )
                })
                .then_with(|| a.gpu.cmp(&b.gpu))
        });
        rows
    }
}
