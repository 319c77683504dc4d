//! `aami-tui topology NODE [--refresh] [--json]` and
//! `aami-tui topology --file CAPTURE`: a node's GPU/NIC link matrix and
//! NVLinks, from the cache the TUI keeps, read again over SSH, or from a
//! saved `nvidia-smi topo -m` / `nvlink --status` capture.

use std::path::{Path, PathBuf};

use clap::Args;
use serde::Serialize;

use super::{CliError, output};
use crate::config::{self, locate};
use crate::domain::topology::{GpuLinkReport, NodeTopology};
use crate::runtime::{state_dir::state_dir, topology as cache};

#[derive(Debug, Args)]
pub struct TopologyArgs {
    /// The node (by name) whose topology to show.
    pub node: Option<String>,
    /// Read it over SSH now (and update the cache) instead of the cache.
    #[arg(long)]
    pub refresh: bool,
    /// Parse a saved capture instead (`-` for standard input): `topo -m`
    /// output, optionally followed by `==== nvlink` and `nvlink --status`.
    #[arg(long, conflicts_with_all = ["node", "refresh"])]
    pub file: Option<PathBuf>,
    /// Print JSON.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
struct Report<'a> {
    node: &'a str,
    #[serde(flatten)]
    topology: &'a NodeTopology,
    links: Vec<GpuLinkReport>,
    cross_socket_pairs: Vec<(u32, u32)>,
}

/// Whether `text` is `nvidia-smi topo -m`, `nvlink --status` or
/// `nvlink -e` output (or a capture of them together).
pub fn looks_like_capture(text: &str) -> bool {
    use crate::sources::topology as t;
    let parts = t::split_capture(text);
    t::parse_topo_matrix(parts.topo).is_ok()
        || t::parse_nvlink_status(parts.status.unwrap_or(text)).is_ok()
        || t::parse_nvlink_errors(parts.errors.unwrap_or(text)).is_ok()
}

/// Prints a capture read by `inspect`.
pub fn print_capture(label: &str, text: &str, json: bool) -> color_eyre::Result<i32> {
    use crate::sources::topology as tp;
    let parts = tp::split_capture(text);
    let mut t = cache::parse(text, "from a file", label);
    // A bare `nvlink --status` or `nvlink -e` has no matrix: not a problem
    // here.
    if parts.status.is_none() && parts.errors.is_none() && t.matrix.is_none() {
        if let Ok(s) = tp::parse_nvlink_status(parts.topo) {
            t.nvlink = Some(s);
            t.problem = None;
        } else if let Ok(e) = tp::parse_nvlink_errors(parts.topo) {
            t.nvlink_errors = Some(e);
            t.problem = None;
        }
    }
    show(label, &t, json)
}

pub fn run(flag: Option<&Path>, args: TopologyArgs) -> color_eyre::Result<i32> {
    let (name, topology) = match (&args.file, &args.node) {
        (Some(f), _) => {
            let text = if f == Path::new("-") {
                std::io::read_to_string(std::io::stdin())
            } else {
                std::fs::read_to_string(f)
            }
            .map_err(|e| CliError::usage(format!("cannot read {}: {e}", f.display())))?;
            let label = f.display().to_string();
            let t = cache::parse(&text, "from a file", &label);
            (label, t)
        }
        (None, None) => {
            return Err(
                CliError::usage("which node? `aami-tui topology NODE`, or --file CAPTURE").into(),
            );
        }
        (None, Some(node)) => (node.clone(), for_node(flag, node, args.refresh)?),
    };
    show(&name, &topology, args.json)
}

fn show(name: &str, topology: &NodeTopology, json: bool) -> color_eyre::Result<i32> {
    if let Some(p) = &topology.problem {
        if topology.matrix.is_none()
            && topology.nvlink.is_none()
            && topology.nvlink_errors.is_none()
        {
            return Err(CliError::usage(format!("{name}: {p}")).into());
        }
        output::note(&format!("warning: {name}: {p}"));
    }
    let links = topology.reports();
    let pairs = topology
        .matrix
        .as_ref()
        .map(|m| m.cross_socket_pairs())
        .unwrap_or_default();
    if json {
        let r = Report {
            node: name,
            topology,
            links,
            cross_socket_pairs: pairs,
        };
        output::println(&serde_json::to_string_pretty(&r)?)?;
        return Ok(0);
    }
    output::print(&plain(name, topology, &links, &pairs))?;
    Ok(0)
}

fn for_node(flag: Option<&Path>, node: &str, refresh: bool) -> Result<NodeTopology, CliError> {
    let dir = state_dir()
        .ok_or_else(|| CliError::unavailable("no state directory (set AAMI_STATE_DIR)"))?;
    let path = cache::cache_path(&dir, node)
        .ok_or_else(|| CliError::usage(format!("{node:?} is not a node name")))?;
    if !refresh {
        return match cache::read_cache(&path) {
            Some((when, text)) => Ok(cache::parse(&text, &when, "cache")),
            None => Err(CliError::unavailable(format!(
                "no topology cached for {node} ({}): run with --refresh to read it over SSH",
                path.display()
            ))),
        };
    }
    let src = locate(flag);
    let config = config::load_file(&src.path).map_err(CliError::usage)?;
    let n = config
        .nodes
        .iter()
        .find(|n| n.name == node)
        .ok_or_else(|| CliError::usage(format!("no node {node:?} in {}", src.path.display())))?;
    let target = crate::ssh::SshTarget::from_node(n);
    let rt = super::runtime().map_err(|e| CliError::unavailable(e.to_string()))?;
    let out = rt
        .block_on(crate::ssh::run(
            &target,
            cache::COMMAND,
            &crate::ssh::default_known_hosts(),
            std::time::Duration::from_secs(config.ssh.connect_timeout),
            std::time::Duration::from_secs(config.ssh.command_timeout),
        ))
        .map_err(|e| CliError::unavailable(format!("{node}: {e}")))?;
    let when = cache::now_text();
    if let Err(e) = cache::write_cache(&path, &when, &out.stdout) {
        output::note(&format!("warning: cache {}: {e}", path.display()));
    }
    Ok(cache::parse(&out.stdout, &when, "ssh"))
}

/// The matrix, the links and the pairs as plain text.
fn plain(name: &str, t: &NodeTopology, links: &[GpuLinkReport], pairs: &[(u32, u32)]) -> String {
    let mut s = format!("{name}: topology captured {} ({})\n", t.captured, t.source);
    if let Some(m) = &t.matrix {
        s.push_str("\n      ");
        for d in &m.devices {
            s.push_str(&format!("{:<6}", d.name));
        }
        s.push_str("CPU          NUMA\n");
        for (i, d) in m.devices.iter().enumerate() {
            s.push_str(&format!("{:<6}", d.name));
            for k in &m.links[i] {
                s.push_str(&format!("{:<6}", k.code()));
            }
            // A blank CPU affinity (some drivers print none) is a dash, and
            // the NUMA node still shows.
            if d.kind == crate::domain::topology::DeviceKind::Gpu {
                s.push_str(&format!(
                    "{:<13}{}",
                    crate::text::sanitize(d.cpu_affinity.as_deref().unwrap_or("-")),
                    crate::text::sanitize(d.numa_affinity.as_deref().unwrap_or("-"))
                ));
            }
            if let Some(nic) = &d.nic_name {
                s.push_str(nic);
            }
            s.push('\n');
        }
        let gpus = m.gpus().count();
        s.push('\n');
        if gpus < 2 {
            s.push_str("One GPU: no GPU pairs.\n");
        } else if pairs.is_empty() {
            s.push_str("No GPU pair crosses the CPU socket.\n");
        } else {
            let list: Vec<String> = pairs.iter().map(|(a, b)| format!("{a}-{b}")).collect();
            s.push_str(&format!(
                "GPU pairs across the CPU socket (SYS): {}\n",
                list.join(" ")
            ));
        }
    }
    let unsupported: Vec<(u32, &str)> = t
        .nvlink
        .iter()
        .flat_map(|n| n.gpus.iter())
        .filter(|g| g.links.is_empty())
        .filter_map(|g| g.unsupported.as_deref().map(|u| (g.gpu, u)))
        .collect();
    if !unsupported.is_empty() {
        s.push_str("\nNVLink per GPU\n");
        for (gpu, why) in &unsupported {
            s.push_str(&format!("GPU{gpu:<3} no NVLink: {why}\n"));
        }
    }
    let links: Vec<&GpuLinkReport> = links
        .iter()
        .filter(|r| !unsupported.iter().any(|(g, _)| *g == r.gpu))
        .collect();
    if !links.is_empty() {
        s.push_str("\nNVLink per GPU\n");
        for r in links {
            let health = match r.health {
                crate::domain::topology::LinkHealth::Ok => "ok",
                crate::domain::topology::LinkHealth::Degraded => "degraded",
                crate::domain::topology::LinkHealth::Critical => "critical",
            };
            s.push_str(&format!(
                "GPU{:<3} {:>2}/{:<2} active  {health}",
                r.gpu, r.active, r.expected
            ));
            if !r.reasons.is_empty() {
                s.push_str(&format!(": {}", r.reasons.join(", ")));
            }
            s.push('\n');
        }
    }
    if let Some(e) = &t.nvlink_errors {
        let counted: usize = e.gpus.iter().map(|g| g.links.len()).sum();
        if counted > 0 {
            let troubled = e.troubled();
            s.push_str(&format!(
                "\nNVLink error counters (nvlink -e, {counted} links): {}\n",
                if troubled.is_empty() {
                    "all 0".to_string()
                } else {
                    format!("{} GPUs with errors", troubled.len())
                }
            ));
            for (gpu, words) in troubled {
                s.push_str(&format!("GPU{gpu:<3} {}\n", words.join("; ")));
            }
        }
    }
    s
}
