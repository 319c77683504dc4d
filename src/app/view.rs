//! What the operator is looking at: selection, sort, filter, marks, and the
//! layout the last frame had.

use std::cmp::Ordering;
use std::collections::BTreeSet;

use super::filter::Filter;
use crate::domain::{Fleet, NodeId, NodeState, NodeStatus};

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

    pub const ALL: [SortKey; 7] = [
        SortKey::Name,
        SortKey::State,
        SortKey::Util,
        SortKey::Temp,
        SortKey::Power,
        SortKey::Health,
        SortKey::Alerts,
    ];

    pub fn parse(word: &str) -> Option<Self> {
        let w = word.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|k| k.word() == w)
    }
}

#[derive(Debug, Clone)]
pub struct UiState {
    pub selected: Option<NodeId>,
    pub sort: SortKey,
    pub sort_desc: bool,
    /// The filter in force (updated live while typing).
    pub filter: String,
    /// First visible row of the fleet table.
    pub scroll: usize,
    /// The GPU under the cursor in the node view.
    pub gpu_scroll: usize,
    pub heat: HeatState,
    /// Selected row of the alerts pane.
    pub alert_selected: usize,
    /// Selected row of the action log (newest first).
    pub log_selected: usize,
    /// First line shown in the topology pane.
    pub topo_scroll: usize,
    /// The topology pane shows GPU pairs in words instead of the matrix.
    pub topo_pairs: bool,
    /// Marked nodes: actions that target nodes target these when any.
    pub marks: BTreeSet<NodeId>,
    /// What the renderer last laid out.
    pub geometry: Geometry,
}

/// Sizes the renderer reports back after each frame, so keys move by what
/// is on screen without the app re-deriving the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// Rows of the list in the current view (fleet table, GPUs, alerts, jobs).
    pub list_rows: usize,
    /// Node blocks per heatmap row.
    pub heat_blocks_per_row: usize,
    /// Rows a popup shows at once (help, Xid, job output).
    pub popup_rows: usize,
}

impl Default for Geometry {
    fn default() -> Self {
        Self {
            list_rows: 20,
            heat_blocks_per_row: 1,
            popup_rows: 10,
        }
    }
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
    /// How much of the fleet one screen shows (`+` / `-`).
    pub zoom: HeatZoom,
}

/// The heatmap's zoom levels, closest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeatZoom {
    /// A cell per GPU, node blocks side by side.
    #[default]
    Gpu,
    /// A cell per node (its worst GPU), rows filled edge to edge.
    Node,
    /// A row per group (rack …), a cell per node.
    Group,
}

impl HeatZoom {
    pub fn out(self) -> Self {
        match self {
            HeatZoom::Gpu => HeatZoom::Node,
            _ => HeatZoom::Group,
        }
    }

    pub fn into_detail(self) -> Self {
        match self {
            HeatZoom::Group => HeatZoom::Node,
            _ => HeatZoom::Gpu,
        }
    }

    pub fn word(self) -> &'static str {
        match self {
            HeatZoom::Gpu => "GPUs",
            HeatZoom::Node => "nodes",
            HeatZoom::Group => "groups",
        }
    }
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
            selected: None,
            sort: SortKey::Name,
            sort_desc: false,
            filter: String::new(),
            scroll: 0,
            gpu_scroll: 0,
            heat: HeatState {
                group: Some("rack".into()),
                ..HeatState::default()
            },
            alert_selected: 0,
            log_selected: 0,
            topo_scroll: 0,
            topo_pairs: false,
            marks: BTreeSet::new(),
            geometry: Geometry::default(),
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
