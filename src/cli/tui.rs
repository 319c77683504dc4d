//! Starting the TUI: on the configured fleet, or on the demo fleet.

use std::path::Path;

use clap::Args;

use crate::app::{App, Origin};
use crate::config::{self, Config, ConfigError, locate};
use crate::domain::{Fleet, NodeSpec};
use crate::sim::{PortMode, SimFleet, SimOptions};
use crate::sources::{Collector, FleetSource};

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Number of simulated nodes (up to 16,000).
    #[arg(long, default_value_t = 16, value_parser = clap::value_parser!(u32).range(1..=16000))]
    pub nodes: u32,
    /// GPUs per node (default: each node kind's own count, 8 for H100).
    #[arg(long, value_parser = clap::value_parser!(u32).range(1..=64))]
    pub gpus: Option<u32>,
    /// Refresh interval, e.g. 1s.
    #[arg(long, default_value = "2s")]
    pub refresh: String,
    /// Serve the simulated exporters without the TUI (for benchmarks): print
    /// a config for them, then serve until interrupted.
    #[arg(long)]
    pub serve_only: bool,
    /// With --serve-only, write the config to this file instead of stdout.
    #[arg(long, value_name = "PATH", requires = "serve_only")]
    pub write_config: Option<std::path::PathBuf>,
}

/// The Xid catalogue with the user's `xids.yaml` applied; a broken file is
/// reported in the status line and the built-in catalogue is used.
fn xid_catalogue() -> (std::sync::Arc<crate::xid::Catalogue>, Option<String>) {
    let builtin = || std::sync::Arc::new(crate::xid::Catalogue::builtin().clone());
    match locate::user_dir() {
        Some(dir) => match crate::xid::Catalogue::with_user_overrides(&dir) {
            Ok(c) => (std::sync::Arc::new(c), None),
            Err(e) => (builtin(), Some(format!("xids.yaml not used: {e}"))),
        },
        None => (builtin(), None),
    }
}

/// Builds the fleet the app starts with from a config.
pub fn fleet_from_config(c: &Config) -> Fleet {
    let specs = c
        .nodes
        .iter()
        .map(|n| NodeSpec {
            name: n.name.clone(),
            address: n.ip.clone(),
            labels: n.labels.clone(),
        })
        .collect();
    Fleet::new(c.cluster.name.clone(), specs, c.history_len())
}

pub fn run_configured(flag: Option<&Path>) -> color_eyre::Result<i32> {
    let src = locate(flag);
    let (config, notice) = match config::load_file(&src.path) {
        Ok(c) => (c, None),
        Err(ConfigError::Missing { path }) => (
            Config::default(),
            Some(format!(
                "no config at {}: `aami-tui config init`, `aami-tui nodes add`, or try `aami-tui demo`",
                path.display()
            )),
        ),
        Err(e) => {
            // A broken file is reported before the screen takes over.
            return Err(super::CliError::usage(e).into());
        }
    };
    let rt = super::runtime()?;
    rt.block_on(async move {
        let mut app = App::new(
            fleet_from_config(&config),
            Origin::Live,
            std::time::Instant::now(),
        );
        let (xids, xid_problem) = xid_catalogue();
        let rules_problem = match crate::alerts::library::configured_rules(
            &config,
            locate::user_dir().as_deref(),
            &xids,
        ) {
            Ok(rules) => {
                app.fleet.set_rules(rules);
                None
            }
            Err(e) => Some(format!("alert presets not used: {e}")),
        };
        app.xids = xids;
        app.notice = notice.or(xid_problem).or(rules_problem);
        let source = FleetSource::from_config(&config)?;
        let ssh = crate::runtime::SshContext::from_config(&config);
        crate::runtime::run(crate::runtime::Setup {
            app,
            source,
            refresh: config.refresh_interval(),
            theme_name: config.tui.theme.clone(),
            ssh,
            config_path: Some(src.path.clone()),
            config: Some(config.clone()),
            topologies: Vec::new(),
        })
        .await
    })
}

/// The simulated fleet the demo flags ask for, and its config.
pub async fn start_sim(args: &DemoArgs) -> color_eyre::Result<(SimFleet, Config)> {
    let sim = SimFleet::start(SimOptions {
        nodes: args.nodes as usize,
        gpus: args.gpus,
        ports: PortMode::Standard,
        ..SimOptions::default()
    })
    .await?;
    let mut config = sim.config();
    config.tui.refresh = args.refresh.clone();
    Ok((sim, config))
}

pub fn run_demo(args: DemoArgs) -> color_eyre::Result<i32> {
    let refresh = config::parse_duration(&args.refresh)
        .filter(|d| d.as_millis() >= 100)
        .ok_or_else(|| {
            color_eyre::eyre::eyre!("--refresh {:?}: write it like 2s or 500ms", args.refresh)
        })?;
    if args.serve_only {
        return super::demo_serve::run(&args);
    }
    let rt = super::runtime()?;
    rt.block_on(async move {
        let (sim, mut config) = start_sim(&args).await?;
        // The demo shows what the production preset catches.
        config.alerts.presets = vec!["gpu-production".into(), "xid".into()];
        let mut app = App::new(
            fleet_from_config(&config),
            Origin::Demo,
            std::time::Instant::now(),
        );
        let xids = xid_catalogue().0;
        if let Ok(rules) = crate::alerts::library::configured_rules(&config, None, &xids) {
            app.fleet.set_rules(rules);
        }
        app.xids = xids;
        let source = FleetSource::Scrape(Collector::from_config(&config));
        let ssh = crate::runtime::SshContext::from_config(&config);
        let result = crate::runtime::run(crate::runtime::Setup {
            app,
            source,
            refresh,
            theme_name: config.tui.theme.clone(),
            ssh,
            config_path: None,
            config: None,
            topologies: (0..sim.spec.nodes.len())
                .map(|i| (i, crate::sim::topology::capture(&sim.spec, i)))
                .collect(),
        })
        .await;
        drop(sim);
        result
    })
}
