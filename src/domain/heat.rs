//! Heatmap values: one number per GPU for the chosen metric, the fleet's
//! spread, and the node order (grouped by a label).

use super::fleet::{Fleet, NodeId, NodeState};
use super::gpu::GpuSample;
use super::health;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HeatMetric {
    #[default]
    Util,
    Memory,
    Temperature,
    Power,
    Errors,
    Health,
}

impl HeatMetric {
    pub fn next(self) -> Self {
        use HeatMetric::*;
        match self {
            Util => Memory,
            Memory => Temperature,
            Temperature => Power,
            Power => Errors,
            Errors => Health,
            Health => Util,
        }
    }

    pub const ALL: [HeatMetric; 6] = [
        HeatMetric::Util,
        HeatMetric::Memory,
        HeatMetric::Temperature,
        HeatMetric::Power,
        HeatMetric::Errors,
        HeatMetric::Health,
    ];

    /// The one word `:heatmap WORD` takes.
    pub fn word(self) -> &'static str {
        match self {
            HeatMetric::Util => "util",
            HeatMetric::Memory => "memory",
            HeatMetric::Temperature => "temp",
            HeatMetric::Power => "power",
            HeatMetric::Errors => "errors",
            HeatMetric::Health => "health",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        let w = word.trim().to_ascii_lowercase();
        Self::ALL.into_iter().find(|m| {
            m.word() == w
                || (m == &HeatMetric::Temperature && w == "temperature")
                || (m == &HeatMetric::Memory && w == "mem")
        })
    }

    pub fn title(self) -> &'static str {
        match self {
            HeatMetric::Util => "utilisation %",
            HeatMetric::Memory => "memory used %",
            HeatMetric::Temperature => "temperature °C",
            HeatMetric::Power => "power % of limit",
            HeatMetric::Errors => "error signals",
            HeatMetric::Health => "health 0–100",
        }
    }

    /// The GPU's value for this metric.
    pub fn value(self, g: &GpuSample) -> Option<f64> {
        match self {
            HeatMetric::Util => g.util_pct,
            HeatMetric::Memory => g.mem_pct(),
            HeatMetric::Temperature => g.temp_c,
            HeatMetric::Power => match (g.power_w, g.power_limit_w) {
                (Some(p), Some(l)) if l > 0.0 => Some(p / l * 100.0),
                _ => None,
            },
            HeatMetric::Errors => Some(error_signals(g) as f64),
            HeatMetric::Health => Some(health::gpu_health(g).score as f64),
        }
    }

    /// The GPU's value on its node: the errors metric also counts NVLinks
    /// the last topology read found down or slow on this GPU.
    pub fn value_on(self, g: &GpuSample, n: &NodeState) -> Option<f64> {
        let v = self.value(g)?;
        if self == HeatMetric::Errors && n.link_problems.iter().any(|r| r.gpu == g.index) {
            return Some(v + 1.0);
        }
        Some(v)
    }

    /// Where a value sits on the colour scale, 0 (cool) to 1 (alarming).
    pub fn level(self, v: f64) -> f64 {
        let l = match self {
            HeatMetric::Util | HeatMetric::Memory | HeatMetric::Power => v / 100.0,
            HeatMetric::Temperature => (v - 30.0) / 60.0,
            HeatMetric::Errors => v / 4.0,
            HeatMetric::Health => (100.0 - v) / 100.0,
        };
        l.clamp(0.0, 1.0)
    }

    /// The scale's band edges for the legend (5 bands).
    pub fn band_edges(self) -> [f64; 4] {
        match self {
            HeatMetric::Temperature => [42.0, 54.0, 66.0, 78.0],
            HeatMetric::Errors => [1.0, 2.0, 3.0, 4.0],
            HeatMetric::Health => [80.0, 60.0, 40.0, 20.0],
            _ => [20.0, 40.0, 60.0, 80.0],
        }
    }
}

/// How many independent things are wrong with a GPU right now.
pub fn error_signals(g: &GpuSample) -> u32 {
    [
        g.xid().is_some(),
        g.ecc_dbe.is_some_and(|v| v > 0.0),
        g.remapped_rows_uncorrectable.is_some_and(|v| v > 0.0) || g.row_remap_failed == Some(true),
        g.pcie_replays.is_some_and(|v| v > 0.0),
        g.nvlink_errors.is_some_and(|v| v > 0.0),
    ]
    .iter()
    .filter(|b| **b)
    .count() as u32
}

/// Min, median and max of the metric over every GPU of nodes that answer.
pub fn spread(fleet: &Fleet, metric: HeatMetric) -> Option<(f64, f64, f64)> {
    let mut v: Vec<f64> = fleet
        .nodes
        .iter()
        .filter(|n| !n.status.is_down())
        .flat_map(|n| n.gpus.iter().filter_map(|g| metric.value_on(g, n)))
        .filter(|v| v.is_finite())
        .collect();
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    Some((v[0], v[v.len() / 2], v[v.len() - 1]))
}

/// Columns: the highest GPU index seen plus one (at most 16).
pub fn gpu_columns(fleet: &Fleet) -> usize {
    fleet
        .nodes
        .iter()
        .map(|n| {
            n.gpus_expected.max(
                n.gpus
                    .iter()
                    .map(|g| g.index as usize + 1)
                    .max()
                    .unwrap_or(0),
            )
        })
        .max()
        .unwrap_or(1)
        .clamp(1, 16)
}

fn group_value<'a>(n: &'a NodeState, label: Option<&str>) -> &'a str {
    label
        .and_then(|l| n.spec.labels.get(l))
        .map(String::as_str)
        .unwrap_or("")
}

/// Node order: grouped by `label`'s value, then natural name order.
pub fn order(fleet: &Fleet, label: Option<&str>, keep: impl Fn(&NodeState) -> bool) -> Vec<NodeId> {
    let mut ids: Vec<NodeId> = (0..fleet.nodes.len())
        .filter(|&i| keep(&fleet.nodes[i]))
        .collect();
    ids.sort_by(|&a, &b| {
        let (x, y) = (&fleet.nodes[a], &fleet.nodes[b]);
        super::fleet::natural_cmp(group_value(x, label), group_value(y, label))
            .then_with(|| super::fleet::natural_cmp(&x.spec.name, &y.spec.name))
    });
    ids
}

/// The group a node is in, for row labels.
pub fn group_of<'a>(n: &'a NodeState, label: Option<&str>) -> &'a str {
    group_value(n, label)
}

/// The heatmap's rows: positions in the node order, at most `per_row` to a
/// row, and a new row whenever the group changes, so a group label only
/// ever starts a row.
pub fn grid(
    fleet: &Fleet,
    order: &[NodeId],
    label: Option<&str>,
    per_row: usize,
) -> Vec<std::ops::Range<usize>> {
    let per_row = per_row.max(1);
    let mut rows = Vec::new();
    let mut start = 0;
    for pos in 0..order.len() {
        let new_group = pos > start
            && group_value(&fleet.nodes[order[pos]], label)
                != group_value(&fleet.nodes[order[pos - 1]], label);
        if pos - start == per_row || new_group {
            rows.push(start..pos);
            start = pos;
        }
    }
    if start < order.len() {
        rows.push(start..order.len());
    }
    rows
}

/// The position `rows` rows down (up when negative) from `pos`, in the same
/// column where the row has one, else its last node.
pub fn grid_step(rows: &[std::ops::Range<usize>], pos: usize, rows_down: isize) -> usize {
    let Some(r) = rows.iter().position(|r| r.contains(&pos)) else {
        return pos;
    };
    let col = pos - rows[r].start;
    let target = (r as isize + rows_down).clamp(0, rows.len() as isize - 1) as usize;
    let row = &rows[target];
    (row.start + col).min(row.end - 1)
}
