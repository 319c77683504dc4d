//! A yes/no question before an action that reaches nodes: it lists the
//! targets, so marking 50 nodes never surprises anyone.

use crate::domain::NodeId;

/// What happens when the operator says yes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Pending {
    /// Read these nodes' kernel logs over SSH and scan them for Xids.
    ScanKernelLogs(Vec<NodeId>),
    /// Cancel a running background job.
    CancelJob(u64),
    /// Quit although jobs are still running (they are stopped).
    Quit,
    /// Run an exporter action on these nodes, one job each.
    Exporter(Vec<NodeId>, crate::app::jobs::ExporterRequest),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    /// The question, e.g. "Scan the kernel log of 3 nodes over SSH?".
    pub question: String,
    /// The targets, one per line (node names).
    pub targets: Vec<String>,
    pub pending: Pending,
    /// Which button has the focus; "no" by default so Enter alone is safe.
    pub yes_focused: bool,
    pub scroll: u16,
}

impl Confirm {
    pub fn new(question: String, targets: Vec<String>, pending: Pending) -> Self {
        Self {
            question,
            targets,
            pending,
            yes_focused: false,
            scroll: 0,
        }
    }
}
