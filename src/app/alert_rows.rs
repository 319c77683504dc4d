//! The alerts pane's rows: the rule engine's alerts in every phase plus the
//! built-in ones, firing first by severity, then pending, no data, and
//! resolved in the last hour.

use std::collections::BTreeMap;
use std::time::Instant;

use super::App;
use crate::domain::rules::Phase;
use crate::domain::{NodeId, Severity};

/// One row of the alerts pane.
#[derive(Debug, Clone, PartialEq)]
pub struct AlertRow {
    /// The fleet node, when the alert names one we know.
    pub node: Option<NodeId>,
    /// The node as shown: its name, or the alert's instance.
    pub node_name: String,
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
    /// The labels of a Prometheus / Alertmanager alert (silence matchers).
    pub labels: BTreeMap<String, String>,
    /// `silenced` or `inhibited`, from Alertmanager.
    pub suppressed: Option<&'static str>,
    /// Where it came from: `in process`, `prometheus`, `alertmanager`.
    pub source: &'static str,
}

impl App {
    /// Every alert with its node: the alerts pane's rows.
    pub fn alert_rows(&self) -> Vec<AlertRow> {
        let mut rows: Vec<AlertRow> = Vec::new();
        for (id, n) in self.fleet.nodes.iter().enumerate() {
            for a in n.alerts.iter().filter(|a| a.rule.is_none()) {
                rows.push(AlertRow {
                    node: Some(id),
                    node_name: n.spec.name.clone(),
                    gpu: a.gpu,
                    severity: a.severity,
                    phase: Phase::Firing,
                    since: None,
                    value: None,
                    rule: "built-in".into(),
                    summary: a.summary.clone(),
                    xid: a.xid,
                    rule_index: None,
                    labels: BTreeMap::new(),
                    suppressed: None,
                    source: "in process",
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
                    node: Some(a.node),
                    node_name: node.spec.name.clone(),
                    gpu: a.gpu,
                    severity: rule.severity,
                    phase: a.phase,
                    since: Some(a.since),
                    value: a.value,
                    rule: rule.name.clone(),
                    summary: engine.summary(a, &node.spec.name),
                    xid: rule.is_xid().then(|| a.value.map(|v| v as u32)).flatten(),
                    rule_index: Some(a.rule),
                    labels: BTreeMap::new(),
                    suppressed: None,
                    source: "in process",
                });
            }
        }
        rows.extend(self.remote_rows());
        rows.sort_by(|a, b| {
            a.phase
                .cmp(&b.phase)
                .then_with(|| b.severity.cmp(&a.severity))
                .then_with(|| match (a.phase, a.since, b.since) {
                    (Phase::Resolved, Some(x), Some(y)) => y.cmp(&x),
                    _ => std::cmp::Ordering::Equal,
                })
                .then_with(|| a.suppressed.is_some().cmp(&b.suppressed.is_some()))
                .then_with(|| crate::domain::fleet::natural_cmp(&a.node_name, &b.node_name))
                .then_with(|| a.gpu.cmp(&b.gpu))
        });
        rows
    }
}

impl App {
    /// Rows for Prometheus's and Alertmanager's alerts. With Alertmanager
    /// answering, its alerts (with their silenced / inhibited state) stand
    /// for the firing ones and Prometheus adds only its pending ones.
    fn remote_rows(&self) -> Vec<AlertRow> {
        let mut out = Vec::new();
        let am_answers = matches!(self.remote.alertmanager, Some(Ok(_)));
        if let Some(Ok(list)) = &self.remote.alertmanager {
            for a in list {
                let suppressed = if !a.status.silenced_by.is_empty() {
                    Some("silenced")
                } else if !a.status.inhibited_by.is_empty() {
                    Some("inhibited")
                } else {
                    None
                };
                out.push(self.remote_row(
                    &a.labels,
                    &a.annotations,
                    Phase::Firing,
                    None,
                    suppressed,
                    "alertmanager",
                ));
            }
        }
        if let Some(Ok(list)) = &self.remote.prometheus {
            for a in list {
                let phase = if a.state == "pending" {
                    Phase::Pending
                } else {
                    Phase::Firing
                };
                if am_answers && phase == Phase::Firing {
                    continue;
                }
                let value = a.value.parse::<f64>().ok();
                out.push(self.remote_row(
                    &a.labels,
                    &a.annotations,
                    phase,
                    value,
                    None,
                    "prometheus",
                ));
            }
        }
        out
    }

    fn remote_row(
        &self,
        labels: &BTreeMap<String, String>,
        annotations: &BTreeMap<String, String>,
        phase: Phase,
        value: Option<f64>,
        suppressed: Option<&'static str>,
        source: &'static str,
    ) -> AlertRow {
        let instance = labels.get("instance").cloned().unwrap_or_default();
        let host = labels.get("Hostname").or_else(|| labels.get("node"));
        let node = self.fleet.nodes.iter().position(|n| {
            Some(&n.spec.name) == host
                || (!instance.is_empty()
                    && (n.spec.address == instance
                        || instance.split(':').next()
                            == Some(n.spec.address.split(':').next().unwrap_or(""))))
        });
        AlertRow {
            node,
            node_name: node
                .map(|i| self.fleet.nodes[i].spec.name.clone())
                .or_else(|| host.cloned())
                .unwrap_or(instance),
            gpu: labels.get("gpu").and_then(|g| g.parse().ok()),
            severity: labels
                .get("severity")
                .and_then(|s| Severity::parse(s))
                .unwrap_or(Severity::Warning),
            phase,
            since: None,
            value,
            rule: labels.get("alertname").cloned().unwrap_or_default(),
            summary: annotations
                .get("summary")
                .or_else(|| annotations.get("description"))
                .cloned()
                .unwrap_or_default(),
            xid: None,
            rule_index: None,
            labels: labels.clone(),
            suppressed,
            source,
        }
    }
}
