//! `aami-tui nodes list | add | remove | import`; `add` and `import` with
//! `--onboard` look at each node over SSH first, print the preview and
//! write only the reachable nodes (see [`crate::onboard`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Subcommand;

use super::{CliError, output};
use crate::config::{self, ConfigError, NodeConfig, hosts, locate, write};

#[derive(Debug, Subcommand)]
pub enum NodesCommand {
    /// List configured nodes.
    List,
    /// Add a node.
    Add {
        name: String,
        /// Address the exporters and SSH are reached at.
        #[arg(long)]
        ip: String,
        /// SSH user.
        #[arg(long)]
        user: Option<String>,
        /// SSH private key.
        #[arg(long)]
        key: Option<String>,
        /// SSH port.
        #[arg(long)]
        port: Option<u16>,
        /// A label, `key=value`; repeat for more.
        #[arg(long = "label", value_parser = parse_label)]
        labels: Vec<(String, String)>,
        #[command(flatten)]
        onboard: OnboardArgs,
    },
    /// Remove a node by name.
    Remove { name: String },
    /// Import AAMI's hosts.txt (`name ip` per line; the address may be
    /// `user@ip:port`).
    Import {
        file: PathBuf,
        #[command(flatten)]
        onboard: OnboardArgs,
    },
}

#[derive(Debug, Clone, Copy, Default, clap::Args)]
pub struct OnboardArgs {
    /// Look at each node over SSH first (host key, system, GPUs and driver,
    /// DCGM, exporters), print the preview, and write only the reachable
    /// nodes.
    #[arg(long)]
    pub onboard: bool,
    /// With --onboard: trust and remember host keys not yet known (as
    /// StrictHostKeyChecking=accept-new).
    #[arg(long, requires = "onboard")]
    pub accept_new: bool,
    /// With --onboard: write the unreachable nodes too.
    #[arg(long, requires = "onboard")]
    pub include_unreachable: bool,
}

fn parse_label(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) if !k.trim().is_empty() => Ok((k.trim().to_string(), v.trim().to_string())),
        _ => Err(format!("{s:?} is not key=value")),
    }
}

pub fn run(flag: Option<&Path>, cmd: NodesCommand) -> color_eyre::Result<i32> {
    let src = locate(flag);
    let report = |r: Result<config::Config, ConfigError>,
                  ok: &dyn Fn(&config::Config) -> String|
     -> color_eyre::Result<i32> {
        let c = r.map_err(CliError::usage)?;
        output::println(&ok(&c))?;
        // The stack's target files follow the node list.
        if let Some(line) = super::stack::sync_targets(&c) {
            output::println(&line)?;
        }
        Ok(0)
    };
    match cmd {
        NodesCommand::List => {
            let c = match config::load_file(&src.path) {
                Ok(c) => c,
                Err(ConfigError::Missing { .. }) => config::Config::default(),
                Err(e) => return Err(CliError::usage(e).into()),
            };
            let rows: Vec<Vec<String>> = c
                .nodes
                .iter()
                .map(|n| {
                    vec![
                        n.name.clone(),
                        n.ip.clone(),
                        n.ssh_user.clone().unwrap_or_else(|| "-".into()),
                        n.labels
                            .iter()
                            .map(|(k, v)| format!("{k}={v}"))
                            .collect::<Vec<_>>()
                            .join(","),
                    ]
                })
                .collect();
            output::print(&super::table::render(
                &["NAME", "IP", "USER", "LABELS"],
                &rows,
            ))?;
            Ok(0)
        }
        NodesCommand::Add {
            name,
            ip,
            user,
            key,
            port,
            labels,
            onboard,
        } => {
            let node = NodeConfig {
                name: name.clone(),
                ip,
                ssh_user: user,
                ssh_key: key,
                ssh_port: port,
                labels: labels.into_iter().collect::<BTreeMap<_, _>>(),
                ..NodeConfig::default()
            };
            if onboard.onboard {
                return onboard_nodes(&src.path, vec![node], onboard);
            }
            report(write::add_nodes(&src.path, &[node]), &|c| {
                format!(
                    "added {name} ({} node(s) in {})",
                    c.nodes.len(),
                    src.path.display()
                )
            })
        }
        NodesCommand::Remove { name } => report(write::remove_node(&src.path, &name), &|c| {
            format!("removed {name} ({} node(s) left)", c.nodes.len())
        }),
        NodesCommand::Import { file, onboard } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::usage(format!("{}: {e}", file.display())))?;
            let new = hosts::parse_hosts(&text, &file).map_err(CliError::usage)?;
            if onboard.onboard {
                return onboard_nodes(&src.path, new, onboard);
            }
            let count = new.len();
            report(write::add_nodes(&src.path, &new), &|c| {
                format!(
                    "imported {count} node(s) ({} in {})",
                    c.nodes.len(),
                    src.path.display()
                )
            })
        }
    }
}

/// `--onboard`: each node looked at over SSH (up to `ssh.max_parallel` at
/// once), the preview printed, the reachable nodes (all with
/// `--include-unreachable`) written in one atomic save, their topology
/// cached. Exits 1 when a node was left out.
fn onboard_nodes(
    path: &Path,
    nodes: Vec<NodeConfig>,
    args: OnboardArgs,
) -> color_eyre::Result<i32> {
    use futures::StreamExt;
    let config = match config::load_file(path) {
        Ok(c) => c,
        Err(ConfigError::Missing { .. }) => config::Config::default(),
        Err(e) => return Err(CliError::usage(e).into()),
    };
    let (fresh, known) = crate::onboard::split_known(nodes, &config);
    if let Some(k) = known.first() {
        let why = k.result.as_ref().err().cloned().unwrap_or_default();
        return Err(CliError::usage(format!("{}: {why}", k.node.name)).into());
    }
    let mut ssh = crate::ssh::SshOptions::from_config(&config, |k| std::env::var(k).ok());
    if args.accept_new {
        ssh.unknown_host_key = crate::ssh::UnknownHostKey::AcceptNew;
    }
    let parallel = config.ssh.max_parallel.max(1);
    let rt = super::runtime()?;
    let probes: Vec<crate::onboard::Probe> =
        rt.block_on(crate::onboard::probe_all(fresh, &ssh, parallel).collect::<Vec<_>>());
    let rows: Vec<Vec<String>> = probes.iter().map(|p| p.cells()).collect();
    output::print(&super::table::render(&crate::onboard::HEADERS, &rows))?;
    let write = crate::onboard::to_write(&probes, args.include_unreachable);
    let left_out: Vec<&str> = probes
        .iter()
        .filter(|p| !write.iter().any(|w| w.name == p.node.name))
        .map(|p| p.node.name.as_str())
        .collect();
    if write.is_empty() {
        output::println(
            "nothing written: no node was reachable (--include-unreachable writes them anyway)",
        )?;
        return Err(CliError::with_code(1, "no node onboarded").into());
    }
    let written = write::add_nodes(path, &write).map_err(CliError::usage)?;
    if let Some(dir) = crate::runtime::state_dir::state_dir() {
        let captured = crate::runtime::topology::now_text();
        for p in probes
            .iter()
            .filter(|p| write.iter().any(|w| w.name == p.node.name))
        {
            if let (Some(text), Some(file)) = (
                p.topology(),
                crate::runtime::topology::cache_path(&dir, &p.node.name),
            ) && crate::runtime::topology::parse(text, &captured, "onboarding")
                .matrix
                .is_some()
            {
                let _ = crate::runtime::topology::write_cache(&file, &captured, text);
            }
        }
    }
    output::println(&format!(
        "wrote {} node(s) to {} ({} in all): {}",
        write.len(),
        path.display(),
        written.nodes.len(),
        write
            .iter()
            .map(|n| n.name.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    ))?;
    // The stack's target files follow the node list.
    if let Some(line) = super::stack::sync_targets(&written) {
        output::println(&line)?;
    }
    if !left_out.is_empty() {
        output::println(&format!(
            "not written (unreachable): {}; fix SSH and run again, or --include-unreachable",
            left_out.join(", ")
        ))?;
        return Err(CliError::with_code(1, format!("{} node(s) left out", left_out.len())).into());
    }
    Ok(0)
}
