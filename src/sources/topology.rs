//! Parsers for `nvidia-smi topo -m` and `nvidia-smi nvlink --status`, as
//! operators capture them: tab- or space-separated, with or without NIC
//! columns and legends, with ANSI underline escapes from a terminal. Pure
//! functions; a malformed input is an error that names its line.

use crate::domain::topology::{
    Device, DeviceKind, GpuLinks, LinkKind, NvLink, NvLinkStatus, TopoMatrix,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopologyError {
    #[error("line {line}: {message}")]
    Malformed { line: usize, message: String },
    #[error("no topology matrix (a header line naming GPU0 …) found")]
    NoMatrix,
    #[error("no NVLink status (lines like `GPU 0: … (UUID: …)`) found")]
    NoNvLink,
}

fn bad(line: usize, message: impl Into<String>) -> TopologyError {
    TopologyError::Malformed {
        line,
        message: message.into(),
    }
}

/// Removes ANSI escape sequences (`ESC [ … letter`).
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// `GPU12` → (Gpu, 12), `NIC0` → (Nic, 0).
fn device_name(tok: &str) -> Option<(DeviceKind, u32)> {
    if let Some(n) = tok.strip_prefix("GPU") {
        return n.parse().ok().map(|i| (DeviceKind::Gpu, i));
    }
    if let Some(n) = tok.strip_prefix("NIC") {
        return n.parse().ok().map(|i| (DeviceKind::Nic, i));
    }
    None
}

/// Parses `nvidia-smi topo -m`.
pub fn parse_topo_matrix(text: &str) -> Result<TopoMatrix, TopologyError> {
    let clean = strip_ansi(text);
    let lines: Vec<&str> = clean.lines().collect();
    // The header: the first line whose first token is GPU0.
    let (head_at, head) = lines
        .iter()
        .enumerate()
        .find(|(_, l)| l.split_whitespace().next() == Some("GPU0"))
        .ok_or(TopologyError::NoMatrix)?;
    let columns: Vec<(DeviceKind, u32)> = head.split_whitespace().map_while(device_name).collect();
    let has_cpu = head.contains("CPU Affinity");
    let has_numa = head.contains("NUMA Affinity");
    let has_gpu_numa = head.contains("GPU NUMA ID");
    let mut devices = Vec::new();
    let mut links = Vec::new();
    for (k, line) in lines.iter().enumerate().skip(head_at + 1) {
        let no = k + 1;
        let toks: Vec<&str> = line.split_whitespace().collect();
        let Some(first) = toks.first() else {
            // A blank line ends the matrix (the legend follows).
            if !devices.is_empty() {
                break;
            }
            continue;
        };
        let Some((kind, index)) = device_name(first) else {
            break;
        };
        if toks.len() < 1 + columns.len() {
            return Err(bad(
                no,
                format!(
                    "{first}: {} link cells for {} columns",
                    toks.len() - 1,
                    columns.len()
                ),
            ));
        }
        let mut row = Vec::with_capacity(columns.len());
        for cell in &toks[1..=columns.len()] {
            row.push(
                LinkKind::parse(cell)
                    .ok_or_else(|| bad(no, format!("{first}: {cell:?} is not a link type")))?,
            );
        }
        let mut rest = toks[1 + columns.len()..].iter().map(|s| s.to_string());
        let (mut cpu, mut numa, mut gpu_numa) = (None, None, None);
        if kind == DeviceKind::Gpu {
            if has_cpu {
                cpu = rest.next();
            }
            if has_numa {
                numa = rest.next();
            }
            if has_gpu_numa {
                gpu_numa = rest.next();
            }
        }
        devices.push(Device {
            name: first.to_string(),
            kind,
            index,
            cpu_affinity: cpu,
            numa_affinity: numa,
            gpu_numa_id: gpu_numa,
            nic_name: None,
        });
        links.push(row);
    }
    if devices.len() != columns.len() {
        return Err(bad(
            head_at + 1,
            format!("{} columns but {} rows", columns.len(), devices.len()),
        ));
    }
    for (i, d) in devices.iter().enumerate() {
        if (d.kind, d.index) != columns[i] {
            return Err(bad(
                head_at + 2 + i,
                format!("row {} where column {i} is {:?}", d.name, columns[i]),
            ));
        }
        if links[i][i] != LinkKind::SelfLink {
            return Err(bad(
                head_at + 2 + i,
                format!("{} is not X against itself", d.name),
            ));
        }
    }
    // NIC legend: "  NIC0: mlx5_0".
    for line in &lines {
        let t = line.trim();
        if let Some((name, dev)) = t.split_once(':')
            && let Some((DeviceKind::Nic, idx)) = device_name(name.trim())
            && let Some(d) = devices
                .iter_mut()
                .find(|d| d.kind == DeviceKind::Nic && d.index == idx)
        {
            d.nic_name = Some(crate::text::sanitize_max(dev.trim(), 32));
        }
    }
    Ok(TopoMatrix { devices, links })
}

/// Parses `nvidia-smi nvlink --status` (or `-s`), including the flattened
/// `GPU 0 Link 0: 25 GB/s` form and the "all links are inactive" message.
pub fn parse_nvlink_status(text: &str) -> Result<NvLinkStatus, TopologyError> {
    let clean = strip_ansi(text);
    let mut gpus: Vec<GpuLinks> = Vec::new();
    for (k, raw) in clean.lines().enumerate() {
        let no = k + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some(rest) = line.strip_prefix("GPU ") {
            let (num, after) = rest.split_once([':', ' ']).unwrap_or((rest, ""));
            let gpu: u32 = num
                .trim()
                .parse()
                .map_err(|_| bad(no, format!("{line:?}: no GPU index")))?;
            if let Some(link_part) = after.trim_start().strip_prefix("Link ") {
                // Flattened: GPU 0 Link 3: 25 GB/s
                let g = gpu_entry(&mut gpus, gpu);
                g.links.push(parse_link(link_part, no)?);
                continue;
            }
            let model = after
                .split(" (UUID")
                .next()
                .unwrap_or("")
                .trim()
                .to_string();
            let g = gpu_entry(&mut gpus, gpu);
            g.model = crate::text::sanitize_max(&model, 64);
            continue;
        }
        if let Some(link_part) = line.strip_prefix("Link ") {
            let link = parse_link(link_part, no)?;
            let g = gpus
                .last_mut()
                .ok_or_else(|| bad(no, "a link before any GPU line"))?;
            g.links.push(link);
            continue;
        }
        if line.contains("all links are inactive") {
            let g = gpus
                .last_mut()
                .ok_or_else(|| bad(no, "a link message before any GPU line"))?;
            g.all_inactive = true;
            continue;
        }
        return Err(bad(no, format!("{line:?} is not part of nvlink --status")));
    }
    if gpus.is_empty() {
        return Err(TopologyError::NoNvLink);
    }
    Ok(NvLinkStatus { gpus })
}

fn gpu_entry(gpus: &mut Vec<GpuLinks>, gpu: u32) -> &mut GpuLinks {
    let pos = match gpus.iter().position(|g| g.gpu == gpu) {
        Some(p) => p,
        None => {
            gpus.push(GpuLinks {
                gpu,
                ..GpuLinks::default()
            });
            gpus.len() - 1
        }
    };
    &mut gpus[pos]
}

/// `3: 25 GB/s` or `3: <inactive>`.
fn parse_link(s: &str, no: usize) -> Result<NvLink, TopologyError> {
    let (n, speed) = s
        .split_once(':')
        .ok_or_else(|| bad(no, format!("{s:?}: expected `Link N: speed`")))?;
    let link: u32 = n
        .trim()
        .parse()
        .map_err(|_| bad(no, format!("{n:?} is not a link number")))?;
    let speed = speed.trim();
    if speed.contains("inactive") {
        return Ok(NvLink { link, gbps: None });
    }
    let gbps: f64 = speed
        .split_whitespace()
        .next()
        .and_then(|v| v.parse().ok())
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| bad(no, format!("link {link}: {speed:?} is not a speed")))?;
    Ok(NvLink {
        link,
        gbps: Some(gbps),
    })
}

/// The two outputs in one capture, as the SSH job and the demo write them:
/// the matrix, a line `==== nvlink`, then the link status.
pub const SEPARATOR: &str = "==== nvlink";

/// Splits a capture into (topo -m text, nvlink text).
pub fn split_capture(text: &str) -> (&str, Option<&str>) {
    match text.split_once(SEPARATOR) {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixture(name: &str) -> String {
        let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/nvidia_smi")
            .join(name);
        std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
    }

    #[test]
    fn h100_nv18_space_formatted() {
        let m = parse_topo_matrix(&fixture(
            "ml-engineering_topo-m_H100x8_NV18_space-formatted.txt",
        ))
        .expect("parses");
        assert_eq!(m.devices.len(), 8);
        assert_eq!(m.links[0][7], LinkKind::NvLink(18));
        assert_eq!(m.devices[4].cpu_affinity.as_deref(), Some("52-103"));
        assert_eq!(m.devices[4].numa_affinity.as_deref(), Some("1"));
        assert!(m.cross_socket_pairs().is_empty());
    }

    #[test]
    fn pcie_box_with_nics_and_legend() {
        let m = parse_topo_matrix(&fixture(
            "stelline_topo-m_RTX6000Ada-x4_PCIe_ASUS-ESC8000A-E12.txt",
        ))
        .expect("parses");
        assert_eq!(m.devices.len(), 8);
        assert_eq!(m.gpus().count(), 4);
        assert_eq!(m.devices[4].nic_name.as_deref(), Some("mlx5_0"));
        assert_eq!(m.devices[2].gpu_numa_id.as_deref(), Some("N/A"));
        assert_eq!(m.cross_socket_pairs(), [(0, 2), (0, 3), (1, 2), (1, 3)]);
        assert_eq!(m.links[4][5], LinkKind::Pix);
    }

    #[test]
    fn raw_capture_with_tabs_and_ansi() {
        let text = fixture("nvgpuexp_capture_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01.txt");
        let at = text.find("# $ nvidia-smi topo -m").expect("section");
        let m = parse_topo_matrix(&text[at..]).expect("parses");
        assert_eq!(m.devices.len(), 1);
        assert_eq!(m.devices[0].cpu_affinity.as_deref(), Some("0-19"));
        assert_eq!(m.devices[0].gpu_numa_id.as_deref(), Some("N/A"));
    }

    #[test]
    fn nvlink_status_forms() {
        let s = parse_nvlink_status(&fixture("gpud_nvidia-smi-nvlink-status_A100x8.txt"))
            .expect("a100");
        assert_eq!(s.gpus.len(), 8);
        assert!(
            s.gpus
                .iter()
                .all(|g| g.links.len() == 12 && g.active() == 12)
        );
        let dead = parse_nvlink_status(&fixture(
            "azurehpc_nvidia-smi-nvlink-status_A100-80GB_GPU6_all-links-inactive.txt",
        ))
        .expect("inactive");
        assert!(dead.gpus.iter().any(|g| g.gpu == 6 && g.all_inactive));
        let flat =
            parse_nvlink_status("GPU 0 Link 0: 25 GB/s\nGPU 0 Link 1: <inactive>\n").expect("flat");
        assert_eq!(flat.gpus[0].links.len(), 2);
        assert_eq!(flat.gpus[0].active(), 1);
    }

    #[test]
    fn errors_name_the_line() {
        let e = parse_topo_matrix("\tGPU0\tGPU1\nGPU0\t X \tNV4\nGPU1\tNV4\t WAT\n")
            .expect_err("bad cell");
        assert_eq!(e.to_string(), "line 3: GPU1: \"WAT\" is not a link type");
        let e =
            parse_nvlink_status("GPU 0: A100 (UUID: x)\n Link 0: fast\n").expect_err("bad speed");
        assert!(e.to_string().starts_with("line 2: link 0"), "{e}");
        assert_eq!(parse_topo_matrix("hello"), Err(TopologyError::NoMatrix));
    }
}
