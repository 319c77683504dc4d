//! Which exporter versions each node runs, as far as the cockpit knows
//! without asking: node_exporter names its own version on every scrape
//! (`node_exporter_build_info`), and the TUI's exporter jobs report what
//! they left running on their node. dcgm-exporter and all-smi pages carry
//! no version, so for them only a job's word exists.

use std::collections::BTreeMap;

use super::jobs::ExporterReport;
use crate::domain::{Fleet, NodeId};

/// A version an exporter job reported when it ended well.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobVersion {
    pub version: String,
    /// What the job did: `installed`, `upgraded`, `verified`, `rolled back`.
    pub word: String,
    /// When the job ended, seconds since the Unix epoch (`None` before the
    /// runtime's first tick).
    pub at_unix: Option<i64>,
}

/// Job-reported versions: node → component → version.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ExporterVersions {
    by_node: BTreeMap<NodeId, BTreeMap<String, JobVersion>>,
}

impl ExporterVersions {
    /// Records what an exporter job that ended OK left on `node`; an
    /// uninstall (no version) forgets the component.
    pub fn record(&mut self, node: NodeId, report: &ExporterReport, at_unix: Option<i64>) {
        let on_node = self.by_node.entry(node).or_default();
        match &report.version {
            Some(v) => {
                on_node.insert(
                    report.component.clone(),
                    JobVersion {
                        version: v.clone(),
                        word: report.word.clone(),
                        at_unix,
                    },
                );
            }
            None => {
                on_node.remove(&report.component);
            }
        }
    }

    pub fn get(&self, node: NodeId, component: &str) -> Option<&JobVersion> {
        self.by_node.get(&node)?.get(component)
    }

    fn components(&self, node: NodeId) -> impl Iterator<Item = (&String, &JobVersion)> {
        self.by_node.get(&node).into_iter().flatten()
    }
}

/// One exporter's version on a node, as the panes show it (unsanitised:
/// the version may come from the network).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShownVersion {
    pub component: String,
    pub version: String,
    /// The job that reported this version, when one did.
    pub job: Option<JobVersion>,
}

/// The components in the order the panes list them.
const ORDER: [&str; 3] = ["node_exporter", "dcgm-exporter", "all-smi"];

/// Every exporter version known for `node`: node_exporter's from its page
/// (what answers now wins over an older job's word), the others from jobs.
pub fn shown(fleet: &Fleet, jobs: &ExporterVersions, node: NodeId) -> Vec<ShownVersion> {
    let mut out = Vec::new();
    let scraped = fleet
        .nodes
        .get(node)
        .and_then(|n| n.host.as_ref())
        .and_then(|h| h.exporter_version.clone());
    if let Some(v) = scraped {
        let job = jobs
            .get(node, "node_exporter")
            .filter(|j| j.version == v)
            .cloned();
        out.push(ShownVersion {
            component: "node_exporter".into(),
            version: v,
            job,
        });
    }
    for (c, j) in jobs.components(node) {
        if out.iter().all(|s| &s.component != c) {
            out.push(ShownVersion {
                component: c.clone(),
                version: j.version.clone(),
                job: Some(j.clone()),
            });
        }
    }
    out.sort_by_key(|s| {
        (
            ORDER
                .iter()
                .position(|o| *o == s.component)
                .unwrap_or(ORDER.len()),
            s.component.clone(),
        )
    });
    out
}
