//! The demo fleet's topology captures, so the topology pane works in
//! `aami-tui demo`. Derived from real captures (tests/fixtures/nvidia_smi,
//! see its PROVENANCE.md): the 8×H100 NV18 matrix is the published one; its
//! link status repeats the real H100 `nvlink -s` speed (26.562 GB/s, 18
//! links) per GPU; one H100 node in every 16 has two links of GPU 3 down;
//! other GPU counts get an NV18 all-to-all matrix of their size; single-GPU
//! nodes get the real single-GPU (PCIe, no NVLink) matrix.

use super::SimSpec;
use super::profile::GpuKind;
use crate::sources::topology::SEPARATOR;

const H100X8: &str = include_str!(
    "../../tests/fixtures/nvidia_smi/ml-engineering_topo-m_H100x8_NV18_space-formatted.txt"
);
const H100_LINK_GBPS: &str = "26.562";

/// The capture for node `i`: `topo -m`, the separator, `nvlink --status`.
pub fn capture(spec: &SimSpec, i: usize) -> String {
    let n = &spec.nodes[i];
    let gpus = n.gpus as usize;
    let model = n.profile.model_label.unwrap_or("NVIDIA GPU");
    if gpus == 1 || n.profile.kind != GpuKind::H100 {
        let mut s = String::from("\tGPU0\tCPU Affinity\tNUMA Affinity\tGPU NUMA ID\n");
        s.push_str("GPU0\t X \t0-19\t0\t\tN/A\n");
        return s;
    }
    let mut s = if gpus == 8 {
        H100X8.to_string()
    } else {
        let mut s = String::from("      ");
        for g in 0..gpus {
            s.push_str(&format!("GPU{g:<3}"));
        }
        s.push_str("CPU Affinity  NUMA Affinity\n");
        for r in 0..gpus {
            s.push_str(&format!("GPU{r:<3}"));
            for c in 0..gpus {
                s.push_str(if r == c { "  X   " } else { " NV18 " });
            }
            let numa = usize::from(r >= gpus / 2);
            s.push_str(&format!(
                " {}  {numa}\n",
                if numa == 0 { "0-51" } else { "52-103" }
            ));
        }
        s
    };
    s.push_str(&format!("\n{SEPARATOR}\n"));
    // One node in sixteen has a GPU with two NVLinks down.
    let degraded = i % 16 == 9;
    for g in 0..gpus {
        s.push_str(&format!(
            "GPU {g}: {model} (UUID: {})\n",
            super::profile::uuid(n.profile, i, g as u32)
        ));
        for link in 0..18 {
            if degraded && g == 3 && (link == 4 || link == 11) {
                s.push_str(&format!("\t Link {link}: <inactive>\n"));
            } else {
                s.push_str(&format!("\t Link {link}: {H100_LINK_GBPS} GB/s\n"));
            }
        }
    }
    s
}
