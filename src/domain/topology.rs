//! A node's GPU topology: how every pair of devices is connected (the
//! `nvidia-smi topo -m` matrix), CPU and NUMA affinity, and each GPU's
//! NVLinks with their speeds. Plus what is wrong with it, in words.

use std::collections::BTreeMap;

use serde::Serialize;

/// How two devices talk, fastest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(into = "String")]
pub enum LinkKind {
    /// A bonded set of this many NVLinks.
    NvLink(u32),
    /// At most one PCIe bridge.
    Pix,
    /// Several PCIe bridges, no host bridge.
    Pxb,
    /// Through a PCIe host bridge (the CPU).
    Phb,
    /// Between host bridges inside one NUMA node.
    Node,
    /// Across the socket interconnect (QPI/UPI): the slow one.
    Sys,
    /// The device itself.
    SelfLink,
}

/// JSON writes a link as nvidia-smi does (`NV18`, `SYS`).
impl From<LinkKind> for String {
    fn from(k: LinkKind) -> String {
        k.code()
    }
}

impl LinkKind {
    /// Parses a matrix cell: `X`, `NV18`, `PIX`, `PXB`, `PHB`, `NODE`,
    /// `SYS` (and the old `SOC` for `SYS`).
    pub fn parse(cell: &str) -> Option<Self> {
        match cell {
            "X" => Some(LinkKind::SelfLink),
            "PIX" => Some(LinkKind::Pix),
            "PXB" => Some(LinkKind::Pxb),
            "PHB" => Some(LinkKind::Phb),
            "NODE" => Some(LinkKind::Node),
            "SYS" | "SOC" => Some(LinkKind::Sys),
            c => c
                .strip_prefix("NV")
                .and_then(|n| n.parse().ok())
                .map(LinkKind::NvLink),
        }
    }

    /// The cell as nvidia-smi writes it.
    pub fn code(self) -> String {
        match self {
            LinkKind::NvLink(n) => format!("NV{n}"),
            LinkKind::Pix => "PIX".into(),
            LinkKind::Pxb => "PXB".into(),
            LinkKind::Phb => "PHB".into(),
            LinkKind::Node => "NODE".into(),
            LinkKind::Sys => "SYS".into(),
            LinkKind::SelfLink => "X".into(),
        }
    }

    /// Bandwidth class, 0 (NVLink) to 5 (across sockets); `None` for self.
    pub fn class(self) -> Option<usize> {
        match self {
            LinkKind::NvLink(_) => Some(0),
            LinkKind::Pix => Some(1),
            LinkKind::Pxb => Some(2),
            LinkKind::Phb => Some(3),
            LinkKind::Node => Some(4),
            LinkKind::Sys => Some(5),
            LinkKind::SelfLink => None,
        }
    }

    /// What it means, for the legend.
    pub fn words(self) -> &'static str {
        match self {
            LinkKind::NvLink(_) => "NVLink (the number is the bonded link count)",
            LinkKind::Pix => "PCIe, at most one bridge",
            LinkKind::Pxb => "PCIe, several bridges",
            LinkKind::Phb => "PCIe through the CPU's host bridge",
            LinkKind::Node => "PCIe between host bridges, same NUMA node",
            LinkKind::Sys => "across the CPU socket interconnect (slowest)",
            LinkKind::SelfLink => "itself",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum DeviceKind {
    Gpu,
    Nic,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Device {
    /// `GPU3`, `NIC0`.
    pub name: String,
    pub kind: DeviceKind,
    pub index: u32,
    /// GPUs only.
    pub cpu_affinity: Option<String>,
    pub numa_affinity: Option<String>,
    pub gpu_numa_id: Option<String>,
    /// NICs: the device name from the NIC legend (`mlx5_0`).
    pub nic_name: Option<String>,
}

/// The `nvidia-smi topo -m` matrix.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct TopoMatrix {
    pub devices: Vec<Device>,
    /// `links[i][j]`: how device i reaches device j.
    pub links: Vec<Vec<LinkKind>>,
}

impl TopoMatrix {
    pub fn gpus(&self) -> impl Iterator<Item = (usize, &Device)> {
        self.devices
            .iter()
            .enumerate()
            .filter(|(_, d)| d.kind == DeviceKind::Gpu)
    }

    /// GPU pairs whose traffic crosses the CPU socket interconnect.
    pub fn cross_socket_pairs(&self) -> Vec<(u32, u32)> {
        let gpus: Vec<(usize, u32)> = self.gpus().map(|(i, d)| (i, d.index)).collect();
        let mut out = Vec::new();
        for (a, (i, gi)) in gpus.iter().enumerate() {
            for (j, gj) in gpus.iter().skip(a + 1) {
                if self.links[*i][*j] == LinkKind::Sys {
                    out.push((*gi, *gj));
                }
            }
        }
        out
    }
}

/// One NVLink of a GPU: its speed, or inactive.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct NvLink {
    pub link: u32,
    /// GB/s; `None` when inactive.
    pub gbps: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct GpuLinks {
    pub gpu: u32,
    pub model: String,
    pub links: Vec<NvLink>,
    /// "all links are inactive": the driver lists none.
    pub all_inactive: bool,
}

impl GpuLinks {
    pub fn active(&self) -> usize {
        self.links.iter().filter(|l| l.gbps.is_some()).count()
    }
}

/// `nvidia-smi nvlink --status`.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct NvLinkStatus {
    pub gpus: Vec<GpuLinks>,
}

/// How a GPU's links are doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkHealth {
    Ok,
    /// Some links inactive, or slower than the node's others.
    Degraded,
    /// Most (or all) links inactive.
    Critical,
}

/// One GPU's link summary, in numbers and words.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuLinkReport {
    pub gpu: u32,
    pub active: usize,
    pub expected: usize,
    pub health: LinkHealth,
    /// Empty when healthy: "2 of 12 NVLinks inactive", "link 3 at 12.5 GB/s
    /// (others 25)".
    pub reasons: Vec<String>,
}

impl NvLinkStatus {
    /// Each GPU against the node's norm: the most links any GPU has, and
    /// the fastest speed seen.
    pub fn reports(&self) -> Vec<GpuLinkReport> {
        let expected = self.gpus.iter().map(|g| g.links.len()).max().unwrap_or(0);
        let top = self
            .gpus
            .iter()
            .flat_map(|g| g.links.iter().filter_map(|l| l.gbps))
            .fold(0.0_f64, f64::max);
        self.gpus
            .iter()
            .map(|g| {
                let active = if g.all_inactive { 0 } else { g.active() };
                let mut reasons = Vec::new();
                let inactive = expected.saturating_sub(active);
                if expected > 0 && inactive > 0 {
                    reasons.push(format!("{inactive} of {expected} NVLinks inactive"));
                }
                for l in &g.links {
                    if let Some(s) = l.gbps
                        && top > 0.0
                        && s < top * 0.95
                    {
                        reasons.push(format!("link {} at {s} GB/s (others {top})", l.link));
                    }
                }
                if g.all_inactive {
                    return GpuLinkReport {
                        gpu: g.gpu,
                        active: 0,
                        expected,
                        health: LinkHealth::Critical,
                        reasons: vec!["all NVLinks inactive (the driver lists none)".into()],
                    };
                }
                let health = if expected > 0 && active * 2 < expected {
                    LinkHealth::Critical
                } else if reasons.is_empty() {
                    LinkHealth::Ok
                } else {
                    LinkHealth::Degraded
                };
                GpuLinkReport {
                    gpu: g.gpu,
                    active,
                    expected,
                    health,
                    reasons,
                }
            })
            .collect()
    }
}

/// What is known of a node's topology, and when it was read.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct NodeTopology {
    pub matrix: Option<TopoMatrix>,
    pub nvlink: Option<NvLinkStatus>,
    /// When it was captured, as written in the cache (RFC 3339 or a note).
    pub captured: String,
    /// Where it came from: "ssh", "cache", "demo".
    pub source: String,
    /// A parse problem, shown instead of hiding the pane.
    pub problem: Option<String>,
}

impl NodeTopology {
    /// The worst link state of the node, with reasons per GPU.
    pub fn link_problems(&self) -> BTreeMap<u32, GpuLinkReport> {
        self.nvlink
            .iter()
            .flat_map(|s| s.reports())
            .filter(|r| r.health != LinkHealth::Ok)
            .map(|r| (r.gpu, r))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn links(n: usize, down: &[u32]) -> GpuLinks {
        GpuLinks {
            gpu: 0,
            model: "A100".into(),
            links: (0..n as u32)
                .map(|link| NvLink {
                    link,
                    gbps: (!down.contains(&link)).then_some(25.0),
                })
                .collect(),
            all_inactive: false,
        }
    }

    #[test]
    fn inactive_links_degrade_then_go_critical() {
        let mut s = NvLinkStatus {
            gpus: vec![
                links(12, &[]),
                links(12, &[3, 7]),
                links(12, &[0, 1, 2, 3, 4, 5, 6]),
            ],
        };
        s.gpus[1].gpu = 1;
        s.gpus[2].gpu = 2;
        let r = s.reports();
        assert_eq!(r[0].health, LinkHealth::Ok);
        assert_eq!(r[1].health, LinkHealth::Degraded);
        assert_eq!(r[1].reasons, ["2 of 12 NVLinks inactive"]);
        assert_eq!(r[2].health, LinkHealth::Critical);
    }

    #[test]
    fn all_inactive_is_critical_even_alone() {
        let g = GpuLinks {
            gpu: 6,
            all_inactive: true,
            ..GpuLinks::default()
        };
        let r = NvLinkStatus { gpus: vec![g] }.reports();
        assert_eq!(r[0].health, LinkHealth::Critical);
    }

    #[test]
    fn a_slow_link_is_named() {
        let mut g = links(4, &[]);
        g.links[2].gbps = Some(12.5);
        let r = NvLinkStatus { gpus: vec![g] }.reports();
        assert_eq!(r[0].health, LinkHealth::Degraded);
        assert!(
            r[0].reasons[0].contains("link 2 at 12.5 GB/s"),
            "{:?}",
            r[0].reasons
        );
    }

    #[test]
    fn cells_parse_and_rank() {
        assert_eq!(LinkKind::parse("NV18"), Some(LinkKind::NvLink(18)));
        assert_eq!(LinkKind::parse("SOC"), Some(LinkKind::Sys));
        assert_eq!(LinkKind::parse("NVX"), None);
        assert!(LinkKind::NvLink(1).class() < LinkKind::Sys.class());
    }
}
