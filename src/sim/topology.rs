//! The demo fleet's topology captures, so the topology pane works in
//! `aami-tui demo`: every node kind serves one, derived from the real
//! captures in tests/fixtures/nvidia_smi (see its PROVENANCE.md).
//!
//! - 8×H100 (NV18, 6 NICs): the published della-k17g3 `topo -m` verbatim;
//!   `nvlink --status` repeats the real H100 `nvlink -s` speed (26.562 GB/s,
//!   18 links) per GPU; `nvlink -e` repeats the real H100 `nvlink -e` form
//!   (three counters per link, a blank line between links) with zeros. One
//!   H100 node in 16 (the first is node 9) has two links of GPU 3 down, and
//!   recovery errors on one of them.
//! - 8×A100 (NV12): the published A100 `topo -m` and the gpud A100
//!   `nvlink --status` verbatim, except that every A100 node has two links
//!   of one GPU `<inactive>` (which GPU depends on the node); `nvlink -e` as
//!   for the H100, 12 links.
//! - L4 and T4 (PCIe only): the real single-GPU L40S `topo -m` and its
//!   "Device does not have or support Nvlink", with the kind's model name.
//! - A100 with MIG: the single-GPU matrix and the real MIG-mode H100
//!   "Nvlink queries are not supported for Devices in MIG mode".
//!
//! Other GPU counts (`--gpus N`) get an all-to-all NVLink matrix of their
//! size (H100, A100) or a PCIe one (PHB within a socket, SYS across).

use super::SimSpec;
use super::profile::{GpuKind, Profile};
use crate::sources::topology::{ERRORS_SEPARATOR, SEPARATOR};

const H100X8: &str = include_str!(
    "../../tests/fixtures/nvidia_smi/princeton-gpu-intro_topo-m_H100x8_NV18_6NIC_tabs.txt"
);
const A100X8: &str = include_str!(
    "../../tests/fixtures/nvidia_smi/ml-engineering_topo-m_A100x8_NV12_space-formatted.txt"
);
const A100X8_STATUS: &str =
    include_str!("../../tests/fixtures/nvidia_smi/gpud_nvidia-smi-nvlink-status_A100x8.txt");
/// The L40S capture's one-GPU matrix (tabs, ANSI underline and all).
const ONE_GPU: &str =
    include_str!("../../tests/fixtures/nvidia_smi/nvgpuexp_topo-m_L40Sx1_595.80_PCIe-only.txt");
const H100_LINK_GBPS: &str = "26.562";
const NO_NVLINK: &str = "Device does not have or support Nvlink";
const MIG_MODE: &str = "Nvlink queries are not supported for Devices in MIG mode";

/// The capture for node `i`: `topo -m`, `==== nvlink`, `nvlink --status`,
/// `==== nvlink errors`, `nvlink -e`.
pub fn capture(spec: &SimSpec, i: usize) -> String {
    let n = &spec.nodes[i];
    let gpus = n.gpus as usize;
    let p = n.profile;
    let model = p.model_label.unwrap_or("NVIDIA GPU");
    // NVLinks per GPU, or what the driver says instead.
    let (links, no_links) = match p.kind {
        GpuKind::H100 => (Some(18), ""),
        GpuKind::A100 => (Some(12), ""),
        GpuKind::L4 | GpuKind::T4 => (None, NO_NVLINK),
        GpuKind::A100Mig => (None, MIG_MODE),
    };
    let mut s = match (p.kind, gpus) {
        (_, 1) => ONE_GPU.to_string(),
        (GpuKind::H100, 8) => H100X8.to_string(),
        (GpuKind::A100, 8) => A100X8.to_string(),
        (_, _) => generated_matrix(gpus, links),
    };
    let uuid = |g: usize| super::profile::uuid(p, i, g as u32);
    s.push_str(&format!("\n{SEPARATOR}\n"));
    match (p.kind, links) {
        (GpuKind::A100, Some(_)) if gpus == 8 => {
            // The real status, with two links of one GPU down.
            let down_gpu = (i / 16) % 8;
            let mut gpu = None;
            for line in A100X8_STATUS.lines() {
                if let Some(rest) = line.strip_prefix("GPU ") {
                    gpu = rest.split(':').next().and_then(|g| g.parse::<usize>().ok());
                    // This node's UUIDs, not the capture's.
                    if let Some(g) = gpu {
                        s.push_str(&format!("GPU {g}: {model} (UUID: {})\n", uuid(g)));
                        continue;
                    }
                }
                let t = line.trim();
                if gpu == Some(down_gpu) && (t.starts_with("Link 5:") || t.starts_with("Link 9:")) {
                    s.push_str(&line.replace("25 GB/s", "<inactive>"));
                } else {
                    s.push_str(line);
                }
                s.push('\n');
            }
        }
        (_, Some(count)) => {
            let gbps = if p.kind == GpuKind::A100 {
                "25"
            } else {
                H100_LINK_GBPS
            };
            for g in 0..gpus {
                s.push_str(&format!("GPU {g}: {model} (UUID: {})\n", uuid(g)));
                for link in 0..count {
                    if h100_link_down(p, i, g, link) {
                        s.push_str(&format!("\t Link {link}: <inactive>\n"));
                    } else {
                        s.push_str(&format!("\t Link {link}: {gbps} GB/s\n"));
                    }
                }
            }
        }
        (_, None) => {
            for g in 0..gpus {
                s.push_str(&format!(
                    "GPU {g}: {model} (UUID: {})\n{no_links}\n",
                    uuid(g)
                ));
            }
        }
    }
    s.push_str(&format!("{ERRORS_SEPARATOR}\n"));
    for g in 0..gpus {
        s.push_str(&format!("GPU {g}: {model} (UUID: {})\n", uuid(g)));
        match links {
            Some(count) => {
                for link in 0..count {
                    // The first link down on the troubled H100 went through
                    // recoveries before it stayed down.
                    let recovery = if h100_link_down(p, i, g, link) && link == 4 {
                        3
                    } else {
                        0
                    };
                    s.push_str(&format!(
                        "\t Link {link}: Replay Errors: 0\n\t Link {link}: Recovery Errors: {recovery}\n\t Link {link}: CRC Errors: 0\n\n"
                    ));
                }
            }
            None => {
                s.push_str(no_links);
                s.push('\n');
            }
        }
    }
    s
}

/// One H100 node in sixteen has GPU 3's links 4 and 11 down.
fn h100_link_down(p: &Profile, node: usize, gpu: usize, link: u32) -> bool {
    p.kind == GpuKind::H100 && node % 16 == 9 && gpu == 3 && (link == 4 || link == 11)
}

/// A matrix for `gpus` GPUs: all-to-all `NV#` with `links`, else PCIe
/// (PHB within a half, SYS across); the first half on NUMA node 0.
fn generated_matrix(gpus: usize, links: Option<u32>) -> String {
    let mut s = String::from("      ");
    for g in 0..gpus {
        s.push_str(&format!("GPU{g:<3}"));
    }
    s.push_str("CPU Affinity  NUMA Affinity\n");
    let half = gpus.div_ceil(2);
    for r in 0..gpus {
        s.push_str(&format!("GPU{r:<3}"));
        for c in 0..gpus {
            let cell = match links {
                _ if r == c => "X".to_string(),
                Some(n) => format!("NV{n}"),
                None if (r < half) == (c < half) => "PHB".to_string(),
                None => "SYS".to_string(),
            };
            s.push_str(&format!(" {cell:<5}"));
        }
        let numa = usize::from(r >= half);
        s.push_str(&format!(
            " {}  {numa}\n",
            if numa == 0 { "0-51" } else { "52-103" }
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::topology::LinkHealth;
    use crate::sim::SimOptions;

    fn parsed(spec: &SimSpec, i: usize) -> crate::domain::topology::NodeTopology {
        let t =
            crate::runtime::topology::parse(&capture(spec, i), "2026-11-30 21:00:00 UTC", "demo");
        assert!(t.problem.is_none(), "node {i}: {:?}", t.problem);
        t
    }

    #[test]
    fn every_kind_serves_a_topology_that_parses() {
        let spec = SimSpec::new(&SimOptions {
            nodes: 16,
            ..SimOptions::default()
        });
        for i in 0..16 {
            let t = parsed(&spec, i);
            let m = t.matrix.as_ref().expect("a matrix");
            assert_eq!(m.gpus().count(), spec.nodes[i].gpus as usize, "node {i}");
            assert!(t.nvlink.is_some() && t.nvlink_errors.is_some(), "node {i}");
        }
        // H100: NV18 with NICs; node 9 has GPU 3 degraded.
        let h = parsed(&spec, 0);
        let m = h.matrix.as_ref().expect("matrix");
        assert!(
            m.devices
                .iter()
                .any(|d| d.nic_name.as_deref() == Some("mlx5_5"))
        );
        assert!(h.link_problems().is_empty());
        let p = parsed(&spec, 9).link_problems();
        assert_eq!(p[&3].health, LinkHealth::Degraded, "{p:?}");
        assert!(p[&3].reasons.iter().any(|r| r.contains("2 of 18")), "{p:?}");
        assert!(
            p[&3]
                .reasons
                .iter()
                .any(|r| r.contains("link 4: 3 recovery")),
            "{p:?}"
        );
        // A100 (node 13): NV12, two links of one GPU down.
        let a = parsed(&spec, 13);
        assert_eq!(
            a.matrix.as_ref().expect("matrix").links[0][1],
            crate::domain::topology::LinkKind::NvLink(12)
        );
        let p = a.link_problems();
        assert_eq!(p.len(), 1, "{p:?}");
        assert!(p.values().all(|r| r.active == 10 && r.expected == 12));
        // L4, T4 and the MIG A100: no NVLink, and that is fine.
        for i in [2, 3, 4] {
            let t = parsed(&spec, i);
            let s = t.nvlink.as_ref().expect("status");
            assert!(!s.has_links(), "node {i}");
            assert!(t.link_problems().is_empty(), "node {i}");
        }
    }

    #[test]
    fn other_gpu_counts_get_a_matrix_of_their_size() {
        for gpus in [2, 4, 16] {
            let spec = SimSpec::new(&SimOptions {
                nodes: 14,
                gpus: Some(gpus),
                ..SimOptions::default()
            });
            for i in [0, 3, 13] {
                let t = parsed(&spec, i);
                assert_eq!(
                    t.matrix.expect("matrix").gpus().count(),
                    gpus as usize,
                    "node {i}"
                );
            }
        }
    }
}
