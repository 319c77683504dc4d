//! Parsers for `nvidia-smi topo -m`, `nvidia-smi nvlink --status` and
//! `nvidia-smi nvlink -e`, as operators capture them: tab- or
//! space-separated, with or without NIC columns (`NIC0` with a NIC legend,
//! or `mlx5_0` on older drivers), with ANSI underline escapes from a
//! terminal. Pure functions; a malformed input is an error that names its
//! line.

use crate::domain::topology::{
    Device, DeviceKind, GpuLinkErrors, GpuLinks, LinkErrorCount, LinkKind, NvLink, NvLinkErrors,
    NvLinkStatus, TopoMatrix,
};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TopologyError {
    #[error("line {line}: {message}")]
    Malformed { line: usize, message: String },
    #[error("no topology matrix (a header line naming GPU0 …) found")]
    NoMatrix,
    #[error("no NVLink status (lines like `GPU 0: … (UUID: …)`) found")]
    NoNvLink,
    #[error("no NVLink error counters (lines like `GPU 0: … (UUID: …)`) found")]
    NoNvLinkErrors,
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

/// A matrix column or row name: `GPU12` → (Gpu, 12), `NIC0` → (Nic, 0).
/// Older drivers name NIC columns by device (`mlx5_0`): those are NICs
/// too, numbered by the caller. `None` for the affinity headers.
fn device_name(tok: &str) -> Option<(DeviceKind, Option<u32>)> {
    if let Some(n) = tok.strip_prefix("GPU") {
        return n.parse().ok().map(|i| (DeviceKind::Gpu, Some(i)));
    }
    if let Some(n) = tok.strip_prefix("NIC")
        && let Ok(i) = n.parse()
    {
        return Some((DeviceKind::Nic, Some(i)));
    }
    let named_nic = tok.len() <= 32
        && tok.starts_with(|c: char| c.is_ascii_alphabetic())
        && tok.ends_with(|c: char| c.is_ascii_digit())
        && tok.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    named_nic.then_some((DeviceKind::Nic, None))
}

/// A line's cells: by tab when the matrix is tab-separated (so an empty
/// cell, such as a blank CPU affinity, stays a cell), else by spaces.
fn cells(line: &str, tabbed: bool) -> Vec<&str> {
    if tabbed {
        line.split('\t').map(str::trim).collect()
    } else {
        line.split_whitespace().collect()
    }
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
    let tabbed = head.contains('\t');
    let head_cells: Vec<&str> = cells(head, tabbed)
        .into_iter()
        .filter(|c| !c.is_empty())
        .collect();
    // (name, kind, index) of each column, in order.
    let mut columns: Vec<(String, DeviceKind, u32)> = Vec::new();
    let mut nics = 0;
    for c in &head_cells {
        let Some((kind, index)) = device_name(c) else {
            break;
        };
        let index = match (kind, index) {
            (_, Some(i)) => i,
            (_, None) => nics,
        };
        if kind == DeviceKind::Nic {
            nics = index + 1;
        }
        columns.push((c.to_string(), kind, index));
    }
    let rest_head = head_cells[columns.len()..].join(" ");
    let has_cpu = rest_head.contains("CPU Affinity");
    let has_numa = rest_head.contains("NUMA Affinity");
    let has_gpu_numa = rest_head.contains("GPU NUMA ID");
    let mut devices = Vec::new();
    let mut links = Vec::new();
    for (k, line) in lines.iter().enumerate().skip(head_at + 1) {
        let no = k + 1;
        let toks = cells(line, tabbed);
        let Some(first) = toks.first().filter(|t| !t.is_empty()) else {
            // A blank line ends the matrix (the legend follows).
            if !devices.is_empty() {
                break;
            }
            continue;
        };
        let Some(&(ref name, kind, index)) = columns.get(devices.len()) else {
            break;
        };
        if device_name(first).is_none() || *first == "Legend:" {
            break;
        }
        if *first != name.as_str() {
            return Err(bad(
                no,
                format!("row {first} where column {} is {name}", devices.len()),
            ));
        }
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
        // After the links: CPU affinity, NUMA affinity, then (after an
        // empty alignment cell in tab-separated output) the GPU NUMA ID.
        let rest = &toks[1 + columns.len()..];
        let value = |s: Option<&&str>| {
            s.map(|v| v.trim())
                .filter(|v| !v.is_empty())
                .map(|v| crate::text::sanitize_max(v, 64))
        };
        let (mut cpu, mut numa, mut gpu_numa) = (None, None, None);
        if kind == DeviceKind::Gpu {
            let mut at = 0;
            if has_cpu {
                cpu = value(rest.get(at));
                at += 1;
            }
            if has_numa {
                numa = value(rest.get(at));
                at += 1;
            }
            if has_gpu_numa {
                gpu_numa = rest
                    .iter()
                    .skip(at)
                    .find(|v| !v.is_empty())
                    .and_then(|v| value(Some(v)));
            }
        }
        devices.push(Device {
            name: name.clone(),
            kind,
            index,
            cpu_affinity: cpu,
            numa_affinity: numa,
            gpu_numa_id: gpu_numa,
            nic_name: (kind == DeviceKind::Nic && !name.starts_with("NIC"))
                .then(|| crate::text::sanitize_max(name, 32)),
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
            && let Some(name) = name.trim().strip_prefix("NIC")
            && let Ok(idx) = name.parse::<u32>()
            && let Some(d) = devices
                .iter_mut()
                .find(|d| d.kind == DeviceKind::Nic && d.index == idx && d.name.starts_with("NIC"))
        {
            d.nic_name = Some(crate::text::sanitize_max(dev.trim(), 32));
        }
    }
    Ok(TopoMatrix { devices, links })
}

/// What the driver prints for a GPU without NVLink to report, instead of
/// its links (as real captures show them).
const NO_NVLINK: [&str; 2] = [
    "Device does not have or support Nvlink",
    "Nvlink queries are not supported for Devices in MIG mode",
];

fn no_nvlink(line: &str) -> Option<&'static str> {
    NO_NVLINK
        .iter()
        .find(|m| line.eq_ignore_ascii_case(m))
        .copied()
}

/// A `GPU 0: NVIDIA A100-SXM4-80GB (UUID: …)` line: (index, model, and
/// what follows the index when it is not a model, the flattened form's
/// `Link 3: 25 GB/s`).
fn gpu_line(line: &str, no: usize) -> Result<Option<(u32, &str)>, TopologyError> {
    let Some(rest) = line.strip_prefix("GPU ") else {
        return Ok(None);
    };
    let (num, after) = rest.split_once([':', ' ']).unwrap_or((rest, ""));
    let gpu: u32 = num
        .trim()
        .parse()
        .map_err(|_| bad(no, format!("{line:?}: no GPU index")))?;
    Ok(Some((gpu, after)))
}

fn model_of(after: &str) -> String {
    let model = after.split(" (UUID").next().unwrap_or("").trim();
    crate::text::sanitize_max(model, 64)
}

/// Parses `nvidia-smi nvlink --status` (or `-s`), including the flattened
/// `GPU 0 Link 0: 25 GB/s` form, the "all links are inactive" message and
/// the driver's word for a GPU without NVLink (PCIe cards, MIG mode).
pub fn parse_nvlink_status(text: &str) -> Result<NvLinkStatus, TopologyError> {
    let clean = strip_ansi(text);
    let mut gpus: Vec<GpuLinks> = Vec::new();
    for (k, raw) in clean.lines().enumerate() {
        let no = k + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        if let Some((gpu, after)) = gpu_line(line, no)? {
            if let Some(link_part) = after.trim_start().strip_prefix("Link ") {
                // Flattened: GPU 0 Link 3: 25 GB/s
                let g = gpu_entry(&mut gpus, gpu);
                g.links.push(parse_link(link_part, no)?);
                continue;
            }
            let g = gpu_entry(&mut gpus, gpu);
            g.model = model_of(after);
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
        if let Some(m) = no_nvlink(line) {
            let g = gpus
                .last_mut()
                .ok_or_else(|| bad(no, "a link message before any GPU line"))?;
            g.unsupported = Some(m.to_string());
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

/// Parses `nvidia-smi nvlink -e` (`--errorcounters`): per GPU, per link,
/// `Link 0: Replay Errors: 0`, `… Recovery Errors: 0`, `… CRC Errors: 0`
/// (other counter names are kept as printed), with blank lines between
/// links, and the driver's word for a GPU without NVLink.
pub fn parse_nvlink_errors(text: &str) -> Result<NvLinkErrors, TopologyError> {
    let clean = strip_ansi(text);
    let mut gpus: Vec<GpuLinkErrors> = Vec::new();
    for (k, raw) in clean.lines().enumerate() {
        let no = k + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let (gpu_here, counter) = match gpu_line(line, no)? {
            Some((gpu, after)) => match after.trim_start().strip_prefix("Link ") {
                // Flattened: GPU 0 Link 3: Replay Errors: 0
                Some(link_part) => (Some(gpu), Some(link_part)),
                None => {
                    let at = match gpus.iter().position(|g| g.gpu == gpu) {
                        Some(at) => at,
                        None => {
                            gpus.push(GpuLinkErrors {
                                gpu,
                                ..GpuLinkErrors::default()
                            });
                            gpus.len() - 1
                        }
                    };
                    gpus[at].model = model_of(after);
                    continue;
                }
            },
            None => (None, line.strip_prefix("Link ")),
        };
        if let Some(part) = counter {
            let g = match gpu_here {
                Some(gpu) => match gpus.iter().position(|g| g.gpu == gpu) {
                    Some(at) => &mut gpus[at],
                    None => {
                        gpus.push(GpuLinkErrors {
                            gpu,
                            ..GpuLinkErrors::default()
                        });
                        let at = gpus.len() - 1;
                        &mut gpus[at]
                    }
                },
                None => gpus
                    .last_mut()
                    .ok_or_else(|| bad(no, "a link before any GPU line"))?,
            };
            add_counter(g, part, no)?;
            continue;
        }
        if let Some(m) = no_nvlink(line) {
            let g = gpus
                .last_mut()
                .ok_or_else(|| bad(no, "a link message before any GPU line"))?;
            g.unsupported = Some(m.to_string());
            continue;
        }
        return Err(bad(no, format!("{line:?} is not part of nvlink -e")));
    }
    if gpus.is_empty() {
        return Err(TopologyError::NoNvLinkErrors);
    }
    Ok(NvLinkErrors { gpus })
}

/// `3: Replay Errors: 0` into GPU `g`'s link 3.
fn add_counter(g: &mut GpuLinkErrors, part: &str, no: usize) -> Result<(), TopologyError> {
    let (n, rest) = part
        .split_once(':')
        .ok_or_else(|| bad(no, format!("{part:?}: expected `Link N: Name: count`")))?;
    let link: u32 = n
        .trim()
        .parse()
        .map_err(|_| bad(no, format!("{n:?} is not a link number")))?;
    let (name, value) = rest
        .rsplit_once(':')
        .ok_or_else(|| bad(no, format!("link {link}: {rest:?} has no `Name: count`")))?;
    let name = name.trim();
    let value = value.trim();
    let count: Option<u64> = if value == "N/A" {
        None
    } else {
        Some(
            value
                .parse()
                .map_err(|_| bad(no, format!("link {link}: {name}: {value:?} is not a count")))?,
        )
    };
    if name.is_empty() {
        return Err(bad(no, format!("link {link}: a count without a name")));
    }
    let at = match g.links.iter().position(|l| l.link == link) {
        Some(at) => at,
        None => {
            g.links.push(LinkErrorCount {
                link,
                ..LinkErrorCount::default()
            });
            g.links.len() - 1
        }
    };
    let l = &mut g.links[at];
    match name.to_ascii_lowercase().as_str() {
        "replay errors" => l.replay = count,
        "recovery errors" => l.recovery = count,
        "crc errors" => l.crc = count,
        _ => {
            if let Some(c) = count {
                l.other.push((crate::text::sanitize_max(name, 40), c));
            }
        }
    }
    Ok(())
}

/// The outputs in one capture, as the SSH job and the demo write them: the
/// matrix, a line `==== nvlink`, the link status, then a line
/// `==== nvlink errors` and the error counters.
pub const SEPARATOR: &str = "==== nvlink";
/// Introduces `nvidia-smi nvlink -e` in a capture.
pub const ERRORS_SEPARATOR: &str = "==== nvlink errors";

/// A capture's parts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Capture<'a> {
    pub topo: &'a str,
    pub status: Option<&'a str>,
    pub errors: Option<&'a str>,
}

/// Splits `text` at the first line that ends with `marker` (what came
/// before it on that line stays with the first part: output without a
/// final newline runs into the echoed marker).
fn split_at_line<'a>(text: &'a str, marker: &str) -> Option<(&'a str, &'a str)> {
    let mut at = 0;
    for line in text.split_inclusive('\n') {
        let body = line.trim_end();
        if let Some(before) = body.strip_suffix(marker) {
            let cut = at + before.len();
            return Some((&text[..cut], &text[at + line.len()..]));
        }
        at += line.len();
    }
    None
}

/// Splits a capture into its `topo -m`, `nvlink --status` and `nvlink -e`
/// parts.
pub fn split_capture(text: &str) -> Capture<'_> {
    let (head, errors) = match split_at_line(text, ERRORS_SEPARATOR) {
        Some((a, b)) => (a, Some(b)),
        None => (text, None),
    };
    let (topo, status) = match split_at_line(head, SEPARATOR) {
        Some((a, b)) => (a, Some(b)),
        None => (head, None),
    };
    Capture {
        topo,
        status,
        errors,
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
    fn h100_with_nics_tab_separated_with_empty_cpu_affinity() {
        let m = parse_topo_matrix(&fixture(
            "princeton-gpu-intro_topo-m_H100x8_NV18_6NIC_tabs.txt",
        ))
        .expect("parses");
        assert_eq!(m.devices.len(), 14);
        assert_eq!(m.gpus().count(), 8);
        // GPU0's CPU affinity cell is empty: it stays empty, and NUMA and
        // GPU NUMA ID stay in their columns.
        assert_eq!(m.devices[0].cpu_affinity, None);
        assert_eq!(m.devices[0].numa_affinity.as_deref(), Some("0"));
        assert_eq!(m.devices[0].gpu_numa_id.as_deref(), Some("N/A"));
        assert_eq!(m.devices[4].cpu_affinity.as_deref(), Some("1"));
        assert_eq!(m.devices[4].numa_affinity.as_deref(), Some("1"));
        assert_eq!(m.devices[13].nic_name.as_deref(), Some("mlx5_5"));
        assert_eq!(m.links[0][8], LinkKind::Pix);
        assert_eq!(m.links[0][7], LinkKind::NvLink(18));
        assert!(m.cross_socket_pairs().is_empty());
        let near = m.nearest_nics();
        assert_eq!(
            near[0],
            (
                0,
                LinkKind::Pix,
                vec!["NIC0 mlx5_0".to_string(), "NIC1 mlx5_1".to_string()]
            )
        );
        assert_eq!(near[1].1, LinkKind::Node);
    }

    #[test]
    fn nic_columns_named_by_device_on_older_drivers() {
        let m = parse_topo_matrix(&fixture(
            "jdh4-della-gpu-A100_topo-m_V100x4_NV3_mlx5-columns_traverse.txt",
        ))
        .expect("parses");
        assert_eq!(m.devices.len(), 8);
        assert_eq!(m.gpus().count(), 4);
        let nic = &m.devices[6];
        assert_eq!((nic.kind, nic.index), (DeviceKind::Nic, 2));
        assert_eq!(nic.nic_name.as_deref(), Some("mlx5_2"));
        assert_eq!(m.devices[2].numa_affinity.as_deref(), Some("8"));
        assert_eq!(m.links[0][1], LinkKind::NvLink(3));
        assert_eq!(m.cross_socket_pairs(), [(0, 2), (0, 3), (1, 2), (1, 3)]);
        let pairs = m.pairs_by_kind();
        assert_eq!(pairs[0], (LinkKind::NvLink(3), vec![(0, 1), (2, 3)]));
        assert_eq!(pairs[1].0, LinkKind::Sys);
    }

    #[test]
    fn l40s_pcie_only_one_gpu_and_no_nvlink() {
        let m = parse_topo_matrix(&fixture("nvgpuexp_topo-m_L40Sx1_595.80_PCIe-only.txt"))
            .expect("parses");
        assert_eq!(m.devices.len(), 1);
        assert_eq!(m.devices[0].cpu_affinity.as_deref(), Some("0-7"));
        assert!(m.pairs_by_kind().is_empty() && m.nearest_nics().is_empty());
        let s = parse_nvlink_status(&fixture("nvgpuexp_nvlink-s_L40Sx1_595.80_no-nvlink.txt"))
            .expect("status");
        assert_eq!(s.gpus[0].model, "NVIDIA L40S");
        assert_eq!(
            s.gpus[0].unsupported.as_deref(),
            Some("Device does not have or support Nvlink")
        );
        assert!(!s.has_links());
        let mig = parse_nvlink_status(&fixture(
            "nvgpuexp_nvlink-s_H100-MIG_590.48.01_mig-mode.txt",
        ))
        .expect("mig");
        assert!(
            mig.gpus[0]
                .unsupported
                .as_deref()
                .is_some_and(|u| u.contains("MIG mode"))
        );
        assert!(
            mig.reports()
                .iter()
                .all(|r| r.health == crate::domain::topology::LinkHealth::Ok)
        );
    }

    #[test]
    fn l40s_four_gpus_pcie_only_with_nics() {
        let m = parse_topo_matrix(&fixture(
            "miss-alignment-issue106_topo-m_L40Sx4_PCIe_2NIC.txt",
        ))
        .expect("parses");
        assert_eq!((m.devices.len(), m.gpus().count()), (6, 4));
        assert!(
            m.links
                .iter()
                .flatten()
                .all(|k| !matches!(k, LinkKind::NvLink(_))),
            "no NVLink"
        );
        assert_eq!(m.cross_socket_pairs(), [(0, 2), (0, 3), (1, 2), (1, 3)]);
        assert_eq!(m.devices[2].cpu_affinity.as_deref(), Some("96-191,288-383"));
        assert_eq!(m.devices[2].gpu_numa_id.as_deref(), Some("N/A"));
        assert_eq!(m.devices[5].nic_name.as_deref(), Some("mlx5_1"));
        // GPU 0 and 1 reach no NIC without crossing the socket.
        let near = m.nearest_nics();
        assert_eq!(near[0].1, LinkKind::Sys);
        assert_eq!(near[2].1, LinkKind::Node);
    }

    #[test]
    fn nvlink_error_counters() {
        let text = fixture("ml-engineering_nvidia-smi-nvlink-e_H100_excerpt.txt");
        // The author elided links 2-16 with a `[...]` line: not nvidia-smi's.
        let e = parse_nvlink_errors(&text).expect_err("the elision");
        assert_eq!(e.to_string(), "line 10: \"[...]\" is not part of nvlink -e");
        let real: String = text
            .lines()
            .filter(|l| l.trim() != "[...]")
            .map(|l| format!("{l}\n"))
            .collect();
        let e = parse_nvlink_errors(&real).expect("parses");
        assert_eq!(e.gpus.len(), 1);
        let g = &e.gpus[0];
        assert_eq!(g.model, "NVIDIA H100 80GB HBM3");
        assert_eq!(
            g.links.iter().map(|l| l.link).collect::<Vec<_>>(),
            [0, 1, 17]
        );
        assert!(
            g.links
                .iter()
                .all(|l| l.replay == Some(0) && l.recovery == Some(0) && l.crc == Some(0))
        );
        assert!(e.troubled().is_empty());
        // Counts above zero, other names, the flattened form, N/A.
        let e = parse_nvlink_errors(
            "GPU 0: X (UUID: u)\n\t Link 3: Replay Errors: 2\n\t Link 3: Recovery Errors: N/A\n\t Link 3: CRC Errors: 14\n\t Link 3: Effective Errors: 1\nGPU 1 Link 0: CRC Errors: 0\n",
        )
        .expect("parses");
        assert_eq!(e.gpus[0].links[0].recovery, None);
        assert_eq!(
            e.gpus[0].links[0].other,
            [("Effective Errors".to_string(), 1)]
        );
        assert_eq!(
            e.troubled()[&0],
            ["link 3: 2 replay, 14 CRC, 1 Effective Errors"]
        );
        assert_eq!(e.gpus[1].links[0].crc, Some(0));
        let bad = parse_nvlink_errors("GPU 0: X (UUID: u)\n  Link 0: Replay Errors: lots\n")
            .expect_err("bad count");
        assert_eq!(
            bad.to_string(),
            "line 2: link 0: Replay Errors: \"lots\" is not a count"
        );
        let none = parse_nvlink_errors(&fixture("nvgpuexp_nvlink-s_L40Sx1_595.80_no-nvlink.txt"))
            .expect("no nvlink");
        assert!(none.gpus[0].unsupported.is_some() && none.gpus[0].links.is_empty());
    }

    #[test]
    fn a_capture_splits_into_three_parts() {
        let c = split_capture("T\n==== nvlink\nS\n==== nvlink errors\nE\n");
        assert_eq!(
            (c.topo, c.status, c.errors),
            ("T\n", Some("S\n"), Some("E\n"))
        );
        let c = split_capture("T\n==== nvlink\nS\n");
        assert_eq!((c.topo, c.status, c.errors), ("T\n", Some("S\n"), None));
        assert_eq!(split_capture("T").status, None);
        // Output without a final newline runs into the echoed marker.
        let c = split_capture("T\n==== nvlink\nLink 11: 25 GB/s==== nvlink errors\nE\n");
        assert_eq!(
            (c.status, c.errors),
            (Some("Link 11: 25 GB/s"), Some("E\n"))
        );
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
