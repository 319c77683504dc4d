//! `aami-tui nodes list | add | remove | import`.

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
    },
    /// Remove a node by name.
    Remove { name: String },
    /// Import AAMI's hosts.txt (`name ip` per line).
    Import { file: PathBuf },
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
        NodesCommand::Import { file } => {
            let text = std::fs::read_to_string(&file)
                .map_err(|e| CliError::usage(format!("{}: {e}", file.display())))?;
            let new = hosts::parse_hosts(&text, &file).map_err(CliError::usage)?;
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
