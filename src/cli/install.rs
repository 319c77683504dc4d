//! `aami-tui install | upgrade | uninstall | verify | rollback COMPONENT
//! --node NAME… | --all [--bundle FILE] [--accept-new]`.

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::Args;
use futures::StreamExt;

use super::{CliError, output};
use crate::install::{self, Action, ComponentKind};
use crate::ssh::{SshOptions, UnknownHostKey};

#[derive(Debug, Args)]
pub struct ActionArgs {
    /// node_exporter, dcgm-exporter or all-smi.
    pub component: String,
    /// A configured node; repeat for more.
    #[arg(long = "node", value_name = "NAME", required_unless_present = "all")]
    pub nodes: Vec<String>,
    /// Every configured node.
    #[arg(long, conflicts_with = "nodes")]
    pub all: bool,
    /// The air-gap bundle to install from (install, upgrade).
    #[arg(long, value_name = "FILE")]
    pub bundle: Option<PathBuf>,
    /// The bundle version to install (default: the newest in the bundle).
    #[arg(long = "version", value_name = "VERSION")]
    pub version: Option<String>,
    /// Trust and remember host keys not yet known (as StrictHostKeyChecking=accept-new).
    #[arg(long)]
    pub accept_new: bool,
    /// dcgm-exporter on a node without DCGM: install the bundle's DCGM
    /// packages (`dcgm` entries, .deb or .rpm) with the node's dpkg or rpm.
    #[arg(long)]
    pub install_dcgm: bool,
    /// Seconds an exporter gets to answer after it is started.
    #[arg(long, default_value_t = 20, value_name = "SECONDS")]
    pub verify_timeout: u64,
}

pub fn run(flag: Option<&Path>, action: Action, args: ActionArgs) -> color_eyre::Result<i32> {
    let src = crate::config::locate(flag);
    let config = crate::config::load_file(&src.path).map_err(CliError::usage)?;
    let kind = ComponentKind::parse(&args.component).ok_or_else(|| {
        CliError::usage(format!(
            "unknown component {:?}: one of node_exporter, dcgm-exporter, all-smi",
            crate::text::sanitize_max(&args.component, 60)
        ))
    })?;
    let nodes: Vec<&crate::config::NodeConfig> = if args.all {
        config.nodes.iter().collect()
    } else {
        let mut picked = Vec::new();
        for name in &args.nodes {
            crate::ssh::validate_name("node name", name).map_err(CliError::usage)?;
            let node = config
                .nodes
                .iter()
                .find(|n| n.name == *name)
                .ok_or_else(|| {
                    CliError::usage(format!("no node named {name:?} in {}", src.path.display()))
                })?;
            picked.push(node);
        }
        picked
    };
    if nodes.is_empty() {
        return Err(CliError::usage("no nodes to act on").into());
    }
    let bundle = match (action, &args.bundle) {
        (Action::Install | Action::Upgrade, None) => {
            return Err(CliError::usage(format!("{} needs --bundle FILE", action.name())).into());
        }
        // Checked whole before anything is copied.
        (_, Some(path)) => {
            Some(crate::bundle::open_verified(path).map_err(|e| CliError::with_code(1, e))?)
        }
        (_, None) => None,
    };
    let component = match (&bundle, action) {
        (Some(b), Action::Install | Action::Upgrade) => Some(
            b.manifest
                .find(kind.name(), args.version.as_deref())
                .ok_or_else(|| {
                    CliError::usage(format!(
                        "the bundle has no {}{}",
                        kind.name(),
                        args.version
                            .as_deref()
                            .map(|v| format!(" {v}"))
                            .unwrap_or_default()
                    ))
                })?,
        ),
        _ => None,
    };
    let mut ssh = SshOptions::from_config(&config, |k| std::env::var(k).ok());
    if args.accept_new {
        ssh.unknown_host_key = UnknownHostKey::AcceptNew;
    }
    let prefix = config.install.prefix.clone();
    let parallel = config.ssh.max_parallel.max(1);
    let rt = super::runtime()?;
    let results = rt.block_on(async {
        futures::stream::iter(nodes.iter().map(|node| {
            let job = install::Job {
                action,
                kind,
                node,
                prefix: &prefix,
                component,
                bundle: bundle.as_ref(),
                ssh: &ssh,
                verify_timeout: Duration::from_secs(args.verify_timeout),
                install_dcgm: args.install_dcgm,
            };
            async move {
                let mut quiet = |_: String| {};
                (node.name.clone(), install::run(&job, &mut quiet).await)
            }
        }))
        .buffered(parallel)
        .collect::<Vec<_>>()
        .await
    });
    let mut failures = 0;
    for (name, result) in results {
        let line = match result {
            Ok(outcome) => format!("{name}  {}  {outcome}", kind.name()),
            Err(e) => {
                failures += 1;
                format!("{name}  {}  FAILED: {e}", kind.name())
            }
        };
        output::println(&line)?;
    }
    if failures > 0 {
        return Err(CliError::with_code(1, format!("{failures} of the nodes failed")).into());
    }
    Ok(0)
}
