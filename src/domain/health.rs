//! The health score: 0–100 per GPU, node and cluster, with its reasons.
//!
//! One place for the formula (README documents it). A GPU starts at 100 and
//! loses points for each thing wrong with it now; the score never drops
//! below 0. A node scores as its worst GPU, less 10 when degraded; a node
//! whose exporter does not answer scores 0. The cluster scores as the mean
//! of its nodes.

use serde::Serialize;

use super::alert::HOT_GPU_C;
use super::fleet::{NodeState, NodeStatus};
use super::gpu::GpuSample;

/// Xids NVIDIA's DCGM health watch treats as fatal.
pub const FATAL_XIDS: &[u32] = &[48, 64, 74, 79, 95, 119, 120, 140];
/// Xids the device plugin treats as application errors (the job, not the GPU).
pub const APPLICATION_XIDS: &[u32] = &[13, 31, 43, 45, 68, 109];

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Band {
    Healthy,
    Degraded,
    Critical,
}

impl Band {
    pub fn of(score: u8) -> Self {
        match score {
            80..=100 => Band::Healthy,
            50..=79 => Band::Degraded,
            _ => Band::Critical,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Health {
    pub score: u8,
    pub band: Band,
    /// (points lost, why), biggest first.
    pub reasons: Vec<(u8, String)>,
}

impl Health {
    fn from_penalties(mut reasons: Vec<(u8, String)>) -> Self {
        reasons.sort_by_key(|r| std::cmp::Reverse(r.0));
        let lost: u32 = reasons.iter().map(|r| r.0 as u32).sum();
        let score = 100u32.saturating_sub(lost) as u8;
        Self {
            score,
            band: Band::of(score),
            reasons,
        }
    }

    /// "−40 Xid 79, −20 temperature 91 °C"
    pub fn explain(&self) -> String {
        self.reasons
            .iter()
            .map(|(p, why)| format!("−{p} {why}"))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn xid_penalty(x: u32) -> u8 {
    if FATAL_XIDS.contains(&x) {
        40
    } else if APPLICATION_XIDS.contains(&x) {
        5
    } else {
        15
    }
}

/// A GPU's health from its current sample and the Xids its node saw on it
/// in the last 24 hours (which the exporter's gauge may have forgotten).
pub fn gpu_health_on(g: &GpuSample, n: &NodeState) -> Health {
    let mut h = gpu_health(g);
    let current = g.xid();
    let worst_past = n
        .xid_history
        .iter()
        .filter(|s| s.gpu == g.index && Some(s.xid) != current)
        .max_by_key(|s| xid_penalty(s.xid));
    if let Some(s) = worst_past {
        let mut reasons = std::mem::take(&mut h.reasons);
        reasons.push((xid_penalty(s.xid), format!("Xid {} in last 24h", s.xid)));
        h = Health::from_penalties(reasons);
    }
    h
}

/// A GPU's health from its current sample.
pub fn gpu_health(g: &GpuSample) -> Health {
    let mut r: Vec<(u8, String)> = Vec::new();
    if let Some(x) = g.xid() {
        r.push((xid_penalty(x), format!("Xid {x}")));
    }
    if g.ecc_dbe.is_some_and(|v| v > 0.0) {
        r.push((30, "double-bit ECC errors".into()));
    } else if g.ecc_sbe.is_some_and(|v| v > 0.0) {
        r.push((5, "single-bit ECC errors".into()));
    }
    if let Some(a) = g.recovery_needed() {
        r.push((
            40,
            format!("driver: {}", crate::domain::gpu::recovery_action_word(a)),
        ));
    }
    if g.row_remap_failed == Some(true) {
        r.push((40, "row remapping failed".into()));
    } else if let Some(rows) = g.remapped_rows_uncorrectable.filter(|v| *v > 0.0) {
        // DCGM marks a GPU bad at 512 uncorrectable remapped rows.
        let p = if rows >= 512.0 { 40 } else { 10 };
        r.push((p, format!("{rows:.0} uncorrectable remapped rows")));
    }
    if let Some(t) = g.temp_c {
        let limit = g.slowdown_temp_c.unwrap_or(HOT_GPU_C);
        if t >= limit {
            r.push((20, format!("temperature {t:.0} °C")));
        } else if t >= limit - 5.0 {
            r.push((10, format!("temperature {t:.0} °C near limit")));
        }
    }
    if let Some(mask) = g.throttle_reasons {
        if mask & (0x8 | 0x40 | 0x80) != 0 {
            r.push((15, "hardware throttling".into()));
        } else if mask & (0x4 | 0x20) != 0 {
            r.push((5, "software throttling".into()));
        }
    }
    if g.nvlink_errors.is_some_and(|v| v > 0.0) {
        r.push((10, "NVLink errors".into()));
    }
    if g.pcie_replays.is_some_and(|v| v > 0.0) {
        r.push((5, "PCIe replays".into()));
    }
    Health::from_penalties(r)
}

/// A node's health: its worst GPU, with node-level problems on top.
pub fn node_health(n: &NodeState) -> Health {
    match &n.status {
        NodeStatus::Down(why) => {
            return Health {
                score: 0,
                band: Band::Critical,
                reasons: vec![(100, format!("exporter down: {why}"))],
            };
        }
        NodeStatus::Pending => return Health::from_penalties(Vec::new()),
        _ => {}
    }
    let worst = n
        .gpus
        .iter()
        .map(|g| (g.index, gpu_health_on(g, n)))
        .min_by_key(|(_, h)| h.score);
    let mut reasons: Vec<(u8, String)> = match worst {
        Some((idx, h)) => h
            .reasons
            .into_iter()
            .map(|(p, why)| (p, format!("GPU {idx}: {why}")))
            .collect(),
        None => Vec::new(),
    };
    if let NodeStatus::Degraded(why) = &n.status {
        reasons.push((10, why.clone()));
    }
    // NVLinks down cost bandwidth for every collective on the node.
    for r in &n.link_problems {
        let penalty = match r.health {
            super::topology::LinkHealth::Critical => 40,
            _ => 15,
        };
        // Links down say how many; links all up but erroring say where.
        let what = if r.active < r.expected {
            format!("NVLink {}/{} active", r.active, r.expected)
        } else {
            r.reasons
                .first()
                .cloned()
                .unwrap_or_else(|| "NVLink trouble".into())
        };
        reasons.push((penalty, format!("GPU {}: {what}", r.gpu)));
    }
    Health::from_penalties(reasons)
}

/// The cluster's health: the mean of its nodes' scores.
pub fn cluster_score(nodes: &[NodeState]) -> Option<u8> {
    let scores: Vec<u32> = nodes
        .iter()
        .filter(|n| n.status != NodeStatus::Pending)
        .map(|n| node_health(n).score as u32)
        .collect();
    (!scores.is_empty()).then(|| (scores.iter().sum::<u32>() / scores.len() as u32) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{Fleet, NodeSpec, ScrapeOutcome};
    use std::time::{Duration, Instant};

    #[test]
    fn xid_counts_for_24h_after_the_gauge_forgets_it() {
        let mut f = Fleet::new(
            "c",
            vec![NodeSpec {
                name: "a".into(),
                ..Default::default()
            }],
            4,
        );
        let t0 = Instant::now();
        let gpu = |xid| GpuSample {
            index: 3,
            last_xid: Some(xid),
            ..Default::default()
        };
        let refresh = |f: &mut Fleet, xid, at| {
            f.apply_refresh(
                vec![ScrapeOutcome {
                    node: 0,
                    gpus: Ok(vec![gpu(xid)]),
                    host: None,
                }],
                at,
                Duration::ZERO,
            )
        };
        refresh(&mut f, 79, t0);
        assert_eq!(node_health(&f.nodes[0]).score, 60);
        // The exporter restarts: its gauge reads 0 again.
        refresh(&mut f, 0, t0 + Duration::from_secs(3600));
        let h = node_health(&f.nodes[0]);
        assert_eq!(h.score, 60);
        assert_eq!(h.explain(), "−40 GPU 3: Xid 79 in last 24h");
        refresh(&mut f, 0, t0 + Duration::from_secs(25 * 3600));
        assert_eq!(node_health(&f.nodes[0]).score, 100);
    }

    #[test]
    fn penalties_add_up_with_reasons() {
        let g = GpuSample {
            last_xid: Some(79),
            temp_c: Some(91.0),
            throttle_reasons: Some(0x40),
            ..Default::default()
        };
        let h = gpu_health(&g);
        assert_eq!(h.score, 25);
        assert_eq!(h.band, Band::Critical);
        assert_eq!(
            h.explain(),
            "−40 Xid 79, −20 temperature 91 °C, −15 hardware throttling"
        );
        assert_eq!(gpu_health(&GpuSample::default()).score, 100);
        let app_error = GpuSample {
            last_xid: Some(13),
            ..Default::default()
        };
        assert_eq!(gpu_health(&app_error).band, Band::Healthy);
    }

    #[test]
    fn link_trouble_costs_health_with_its_reason() {
        use crate::domain::topology::{GpuLinkReport, LinkHealth};
        let mut f = Fleet::new("c", vec![NodeSpec::default()], 4);
        f.apply_refresh(
            vec![ScrapeOutcome {
                node: 0,
                gpus: Ok(vec![GpuSample::default()]),
                host: None,
            }],
            Instant::now(),
            Duration::ZERO,
        );
        let report = |gpu, active, health, reason: &str| GpuLinkReport {
            gpu,
            active,
            expected: 18,
            health,
            reasons: vec![reason.to_string()],
        };
        f.set_link_problems(
            0,
            vec![
                report(3, 16, LinkHealth::Degraded, "2 of 18 NVLinks inactive"),
                report(
                    5,
                    18,
                    LinkHealth::Degraded,
                    "errors since boot (nvlink -e): link 4: 3 recovery",
                ),
            ],
        );
        let h = node_health(&f.nodes[0]);
        assert_eq!(h.score, 70);
        assert_eq!(
            h.explain(),
            "−15 GPU 3: NVLink 16/18 active, −15 GPU 5: errors since boot (nvlink -e): link 4: 3 recovery"
        );
        f.set_link_problems(
            0,
            vec![report(
                1,
                2,
                LinkHealth::Critical,
                "16 of 18 NVLinks inactive",
            )],
        );
        assert_eq!(node_health(&f.nodes[0]).score, 60);
    }
}
