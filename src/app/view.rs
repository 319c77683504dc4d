//! What the operator is looking at: pane, selection, sort, filter.

use std::cmp::Ordering;

use super::filter::Filter;
use crate::domain::{Fleet, NodeId, NodeState, NodeStatus};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Pane {
    #[default]
    Fleet,
    Heatmap,
    Alerts,
}

impl Pane {
    pub const ALL: [Pane; 3] = [Pane::Fleet, Pane::Heatmap, Pane::Alerts];

    pub fn title(self) -> &'static str {
        match self {
            Pane::Fleet => "Fleet",
            Pane::Heatmap => "Heatmap",
            Pane::Alerts => "Alerts",
        }
    }

    fn index(self) -> usize {
        Self::ALL.iter().position(|p| *p == self).unwrap_or(0)
    }

    pub fn next(self) -> Self {
        Self::ALL[(self.index() + 1) % Self::ALL.len()]
    }

    pub fn prev(self) -> Self {
        Self::ALL[(self.index() + Self::ALL.len() - 1) % Self::ALL.len()]
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortKey {
    #[default]
    Name,
    State,
    Util,
    Temp,
    Power,
    Health,
    Alerts,
}

impl SortKey {
    pub fn next(self) -> Self {
        use SortKey::*;
        match self {
            Name => State,
            State => Util,
            Util => Temp,
            Temp => Power,
            Power => Health,
            Health => Alerts,
            Alerts => Name,
        }
    }

    /// Numbers sort biggest first; names A→Z.
    pub fn default_desc(self) -> bool {
        // Worst health first: ascending scores.
        !matches!(self, SortKey::Name | SortKey::Health)
    }

    pub fn word(self) -> &'static str {
        match self {
            SortKey::Name => "name",
            SortKey::State => "state",
            SortKey::Util => "util",
            SortKey::Temp => "temp",
            SortKey::Power => "power",
            SortKey::Health => "health",
            SortKey::Alerts => "alerts",
        }
    }
}

#[derive(Debug, Clone)]
pub struct UiState {
    pub pane: Pane,
    pub selected: Option<NodeId>,
    pub sort: SortKey,
    pub sort_desc: bool,
    /// The filter in force (updated live while typing).
    pub filter: String,
    pub filter_draft: String,
    pub filter_editing: bool,
    pub show_help: bool,
    /// Rows a page key moves; set from the terminal height.
    pub page_rows: usize,
    /// First visible row of the fleet table.
    pub scroll: usize,
    /// The node whose GPUs fill the screen (Enter on a node; Esc closes).
    pub open_node: Option<NodeId>,
    /// First GPU row shown in the node pane.
    pub gpu_scroll: usize,
    pub heat: HeatState,
    /// The Xid popup, when open.
    pub xid_popup: Option<XidPopup>,
    /// Selected row of the alerts pane.
    pub alert_selected: usize,
    /// Terminal width, for layouts that move by screen columns.
    pub width: u16,
}

/// The Xid lookup / explain popup.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct XidPopup {
    /// Digits typed so far (lookup mode).
    pub input: String,
    /// The GPU the Xid was seen on, when opened from an alert or a GPU.
    pub context: Option<XidContext>,
    pub scroll: u16,
}

impl XidPopup {
    pub fn code(&self) -> Option<u32> {
        self.input.parse().ok()
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XidContext {
    pub node: String,
    pub gpu: u32,
    pub pci_bus_id: Option<String>,
    pub uuid: String,
    pub model: String,
}

/// What the heatmap shows and where its cursor is.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct HeatState {
    pub metric: crate::domain::heat::HeatMetric,
    /// Label rows are grouped by; `None` for plain name order.
    pub group: Option<String>,
    /// Position of the cursor in the heatmap's node order.
    pub node_pos: usize,
    pub gpu: u32,
    /// One character per GPU instead of two; `None` chooses by fleet size.
    pub dense: Option<bool>,
}

impl HeatState {
    /// Dense cells by default past 256 nodes, so more nodes fit a screen.
    pub fn is_dense(&self, nodes: usize) -> bool {
        self.dense.unwrap_or(nodes > 256)
    }
}

impl Default for UiState {
    fn default() -> Self {
        Self {
            pane: Pane::Fleet,
            selected: None,
            sort: SortKey::Name,
            sort_desc: false,
            filter: String::new(),
            filter_draft: String::new(),
            filter_editing: false,
            show_help: false,
            page_rows: 20,
            scroll: 0,
            open_node: None,
            gpu_scroll: 0,
            heat: HeatState {
                group: Some("rack".into()),
                ..HeatState::default()
            },
            width: 80,
            xid_popup: None,
            alert_selected: 0,
        }
    }
}

fn state_rank(s: &NodeStatus) -> u8 {
    match s {
        NodeStatus::Down(_) => 3,
        NodeStatus::Degraded(_) => 2,
        NodeStatus::Pending => 1,
        NodeStatus::Up => 0,
    }
}

fn alert_rank(n: &NodeState) -> (usize, usize) {
    use crate::domain::Severity;
    let crit = n
        .alerts
        .iter()
        .filter(|a| a.severity == Severity::Critical)
        .count();
    (crit, n.alerts.len())
}

fn cmp_opt(a: Option<f64>, b: Option<f64>) -> Ordering {
    // Unknown values go last whichever way the sort runs.
    match (a, b) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => Ordering::Greater,
        (None, Some(_)) => Ordering::Less,
        (None, None) => Ordering::Equal,
    }
}

/// Filtered and sorted node ids.
pub fn visible_nodes(fleet: &Fleet, ui: &UiState) -> Vec<NodeId> {
    let filter = Filter::parse(&ui.filter);
    let mut ids: Vec<NodeId> = (0..fleet.nodes.len())
        .filter(|&i| filter.matches(&fleet.nodes[i]))
        .collect();
    // One key per node, computed once: the comparator runs n·log n times
    // and health in particular walks every GPU.
    let key = |n: &NodeState| -> Option<f64> {
        match ui.sort {
            SortKey::Name => Some(0.0),
            SortKey::State => Some(state_rank(&n.status) as f64),
            SortKey::Util => n.avg_util(),
            SortKey::Temp => n.hottest().map(|h| h.1),
            SortKey::Power => n.power_w(),
            SortKey::Health => Some(crate::domain::health::node_health(n).score as f64),
            SortKey::Alerts => {
                let (crit, all) = alert_rank(n);
                Some(crit as f64 * 1e6 + all as f64)
            }
        }
    };
    let mut keyed: Vec<(Option<f64>, NodeId)> =
        ids.iter().map(|&i| (key(&fleet.nodes[i]), i)).collect();
    keyed.sort_by(|(ka, x), (kb, y)| {
        let primary = if ui.sort_desc {
            cmp_opt(*kb, *ka)
        } else {
            cmp_opt(*ka, *kb)
        };
        primary.then_with(|| natural_cmp(&fleet.nodes[*x].spec.name, &fleet.nodes[*y].spec.name))
    });
    ids = keyed.into_iter().map(|(_, i)| i).collect();
    ids
}

pub use crate::domain::fleet::natural_cmp;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn natural_order() {
        let mut v = vec!["node-10", "node-9", "node-1", "alpha"];
        v.sort_by(|a, b| natural_cmp(a, b));
        assert_eq!(v, ["alpha", "node-1", "node-9", "node-10"]);
    }
}
