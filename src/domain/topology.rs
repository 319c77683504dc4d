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

    /// GPU pairs grouped by how they connect, fastest first (`NV18` and
    /// `NV12` apart).
    pub fn pairs_by_kind(&self) -> Vec<(LinkKind, Vec<(u32, u32)>)> {
        let gpus: Vec<(usize, u32)> = self.gpus().map(|(i, d)| (i, d.index)).collect();
        let mut out: Vec<(LinkKind, Vec<(u32, u32)>)> = Vec::new();
        for (a, (i, gi)) in gpus.iter().enumerate() {
            for (j, gj) in gpus.iter().skip(a + 1) {
                let k = self.links[*i][*j];
                match out.iter_mut().find(|(kk, _)| *kk == k) {
                    Some((_, v)) => v.push((*gi, *gj)),
                    None => out.push((k, vec![(*gi, *gj)])),
                }
            }
        }
        // NV18 before NV12: more bonded links first.
        out.sort_by_key(|(k, _)| match k {
            LinkKind::NvLink(n) => (0, u32::MAX - n),
            other => (other.class().unwrap_or(9), 0),
        });
        out
    }

    /// Each GPU's nearest NICs (by link class) and how it reaches them;
    /// empty without NIC columns.
    pub fn nearest_nics(&self) -> Vec<(u32, LinkKind, Vec<String>)> {
        let nics: Vec<(usize, &Device)> = self
            .devices
            .iter()
            .enumerate()
            .filter(|(_, d)| d.kind == DeviceKind::Nic)
            .collect();
        if nics.is_empty() {
            return Vec::new();
        }
        self.gpus()
            .filter_map(|(i, g)| {
                let best = nics
                    .iter()
                    .map(|(j, _)| self.links[i][*j])
                    .min_by_key(|k| k.class())?;
                let names = nics
                    .iter()
                    .filter(|(j, _)| self.links[i][*j] == best)
                    .map(|(_, d)| match &d.nic_name {
                        Some(n) if *n != d.name => format!("{} {n}", d.name),
                        _ => d.name.clone(),
                    })
                    .collect();
                Some((g.index, best, names))
            })
            .collect()
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
    /// The driver's word when the GPU has no NVLink to report ("Device
    /// does not have or support Nvlink", "… not supported for Devices in
    /// MIG mode"): not a fault.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<String>,
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
    /// Whether any GPU reports NVLinks at all (a PCIe-only box says
    /// "Device does not have or support Nvlink" for each GPU).
    pub fn has_links(&self) -> bool {
        self.gpus
            .iter()
            .any(|g| !g.links.is_empty() || g.all_inactive)
    }

    /// Each GPU against the node's norm: the most links any GPU has, and
    /// the fastest speed seen. A GPU without NVLink support is fine.
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
                if g.unsupported.is_some() && g.links.is_empty() {
                    return GpuLinkReport {
                        gpu: g.gpu,
                        active: 0,
                        expected: 0,
                        health: LinkHealth::Ok,
                        reasons: Vec::new(),
                    };
                }
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

/// One NVLink's counters from `nvidia-smi nvlink -e`: since the driver
/// loaded (or the counters were reset), not per refresh.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct LinkErrorCount {
    pub link: u32,
    pub replay: Option<u64>,
    pub recovery: Option<u64>,
    pub crc: Option<u64>,
    /// Counters under other names some drivers print, as printed.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub other: Vec<(String, u64)>,
}

impl LinkErrorCount {
    /// The counters that are not zero, in words: `2 replay, 14 CRC`.
    pub fn nonzero(&self) -> Vec<String> {
        let mut v = Vec::new();
        for (n, what) in [
            (self.replay, "replay"),
            (self.recovery, "recovery"),
            (self.crc, "CRC"),
        ] {
            if let Some(n) = n.filter(|n| *n > 0) {
                v.push(format!("{n} {what}"));
            }
        }
        for (name, n) in &self.other {
            if *n > 0 {
                v.push(format!("{n} {name}"));
            }
        }
        v
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct GpuLinkErrors {
    pub gpu: u32,
    pub model: String,
    pub links: Vec<LinkErrorCount>,
    /// The driver's word when the GPU has no NVLink to count.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unsupported: Option<String>,
}

/// `nvidia-smi nvlink -e`.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct NvLinkErrors {
    pub gpus: Vec<GpuLinkErrors>,
}

impl NvLinkErrors {
    /// Per GPU, the links with counters above zero, in words: `link 7: 2
    /// replay, 14 CRC`.
    pub fn troubled(&self) -> BTreeMap<u32, Vec<String>> {
        let mut out = BTreeMap::new();
        for g in &self.gpus {
            let words: Vec<String> = g
                .links
                .iter()
                .filter_map(|l| {
                    let nz = l.nonzero();
                    (!nz.is_empty()).then(|| format!("link {}: {}", l.link, nz.join(", ")))
                })
                .collect();
            if !words.is_empty() {
                out.insert(g.gpu, words);
            }
        }
        out
    }
}

/// `YYYY-MM-DD HH:MM:SS UTC` (as the cache writes it) in seconds since the
/// Unix epoch; `None` for anything else.
pub fn parse_utc_stamp(s: &str) -> Option<i64> {
    let s = s.trim().strip_suffix("UTC")?.trim();
    let (date, time) = s.split_once(' ')?;
    let mut d = date.split('-').map(|p| p.parse::<i64>().ok());
    let (y, m, day) = (d.next()??, d.next()??, d.next()??);
    let mut t = time.split(':').map(|p| p.parse::<i64>().ok());
    let (hh, mm, ss) = (t.next()??, t.next()??, t.next()??);
    if d.next().is_some()
        || t.next().is_some()
        || !(1..=12).contains(&m)
        || !(1..=31).contains(&day)
        || hh > 23
        || mm > 59
        || ss > 60
    {
        return None;
    }
    // Days from 1970-01-01 to the civil date (Howard Hinnant's algorithm).
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(days * 86_400 + hh * 3600 + mm * 60 + ss)
}

/// Seconds since the Unix epoch as `YYYY-MM-DD HH:MM:SS UTC`, the way the
/// cache writes a capture time.
pub fn format_utc_stamp(secs: i64) -> String {
    let (y, m, d) = civil_date(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// (year, month, day) of a day count since 1970-01-01 (Howard Hinnant's
/// algorithm).
pub fn civil_date(days: i64) -> (i64, i64, i64) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

/// What is known of a node's topology, and when it was read.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct NodeTopology {
    pub matrix: Option<TopoMatrix>,
    pub nvlink: Option<NvLinkStatus>,
    /// `nvidia-smi nvlink -e`, when the capture has it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nvlink_errors: Option<NvLinkErrors>,
    /// When it was captured, as written in the cache
    /// (`YYYY-MM-DD HH:MM:SS UTC`, or a note).
    pub captured: String,
    /// The same in seconds since the Unix epoch, when it is a time.
    #[serde(skip)]
    pub captured_unix: Option<i64>,
    /// Where it came from: "ssh", "cache", "demo".
    pub source: String,
    /// A parse problem, shown instead of hiding the pane.
    pub problem: Option<String>,
}

impl NodeTopology {
    /// Each GPU's links: `nvlink --status` against the node's norm, with
    /// the links `nvlink -e` counts errors on (a GPU with any is degraded).
    pub fn reports(&self) -> Vec<GpuLinkReport> {
        let mut reports: Vec<GpuLinkReport> =
            self.nvlink.iter().flat_map(|s| s.reports()).collect();
        let troubled = self
            .nvlink_errors
            .as_ref()
            .map(NvLinkErrors::troubled)
            .unwrap_or_default();
        for (gpu, words) in troubled {
            let reason = format!("errors since boot (nvlink -e): {}", words.join("; "));
            match reports.iter_mut().find(|r| r.gpu == gpu) {
                Some(r) => {
                    r.reasons.push(reason);
                    r.health = r.health.max(LinkHealth::Degraded);
                }
                None => {
                    let n = self
                        .nvlink_errors
                        .iter()
                        .flat_map(|e| e.gpus.iter())
                        .find(|g| g.gpu == gpu)
                        .map(|g| g.links.len())
                        .unwrap_or(0);
                    reports.push(GpuLinkReport {
                        gpu,
                        active: n,
                        expected: n,
                        health: LinkHealth::Degraded,
                        reasons: vec![reason],
                    });
                }
            }
        }
        reports.sort_by_key(|r| r.gpu);
        reports
    }

    /// The worst link state of the node, with reasons per GPU.
    pub fn link_problems(&self) -> BTreeMap<u32, GpuLinkReport> {
        self.reports()
            .into_iter()
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
            ..GpuLinks::default()
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
    fn a_gpu_without_nvlink_is_fine() {
        let g = GpuLinks {
            gpu: 0,
            unsupported: Some("Device does not have or support Nvlink".into()),
            ..GpuLinks::default()
        };
        let s = NvLinkStatus { gpus: vec![g] };
        assert!(!s.has_links());
        assert_eq!(s.reports()[0].health, LinkHealth::Ok);
    }

    #[test]
    fn error_counts_degrade_a_gpu_with_all_links_up() {
        let t = NodeTopology {
            nvlink: Some(NvLinkStatus {
                gpus: vec![links(12, &[])],
            }),
            nvlink_errors: Some(NvLinkErrors {
                gpus: vec![GpuLinkErrors {
                    gpu: 0,
                    links: vec![
                        LinkErrorCount {
                            link: 0,
                            replay: Some(0),
                            recovery: Some(0),
                            crc: Some(0),
                            other: Vec::new(),
                        },
                        LinkErrorCount {
                            link: 4,
                            replay: Some(2),
                            recovery: Some(0),
                            crc: Some(14),
                            other: Vec::new(),
                        },
                    ],
                    ..GpuLinkErrors::default()
                }],
            }),
            ..NodeTopology::default()
        };
        let p = t.link_problems();
        assert_eq!(p[&0].health, LinkHealth::Degraded);
        assert_eq!(
            p[&0].reasons,
            ["errors since boot (nvlink -e): link 4: 2 replay, 14 CRC"]
        );
        assert_eq!((p[&0].active, p[&0].expected), (12, 12));
    }

    #[test]
    fn the_cache_stamp_is_a_unix_time() {
        assert_eq!(parse_utc_stamp("1970-01-01 00:00:00 UTC"), Some(0));
        assert_eq!(
            parse_utc_stamp("2026-11-30 21:00:00 UTC"),
            Some(1_796_072_400)
        );
        assert_eq!(
            parse_utc_stamp("2024-02-29 12:00:00 UTC"),
            Some(1_709_208_000)
        );
        assert_eq!(parse_utc_stamp("from a file"), None);
        for t in [0, 1_709_208_000, 1_796_072_400, 4_102_444_799] {
            assert_eq!(parse_utc_stamp(&format_utc_stamp(t)), Some(t));
        }
        assert_eq!(parse_utc_stamp("2026-13-01 00:00:00 UTC"), None);
    }

    #[test]
    fn cells_parse_and_rank() {
        assert_eq!(LinkKind::parse("NV18"), Some(LinkKind::NvLink(18)));
        assert_eq!(LinkKind::parse("SOC"), Some(LinkKind::Sys));
        assert_eq!(LinkKind::parse("NVX"), None);
        assert!(LinkKind::NvLink(1).class() < LinkKind::Sys.class());
    }
}
