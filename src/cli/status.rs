//! `aami-tui status [--json]`: one scrape of every node, printed.

use std::path::Path;
use std::time::Instant;

use clap::Args;
use serde::Serialize;

use super::{CliError, output};
use crate::config::{self, locate};
use crate::domain::{Fleet, NodeStatus};
use crate::sources::FleetSource;

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Debug, Serialize)]
pub struct NodeReport {
    pub name: String,
    pub address: String,
    pub gpus: usize,
    pub status: &'static str,
    pub reason: Option<String>,
    pub util_pct: Option<f64>,
    pub hottest_c: Option<f64>,
    pub power_w: Option<f64>,
    pub alerts: Vec<crate::domain::LocalAlert>,
}

#[derive(Debug, Serialize)]
pub struct StatusReport {
    pub cluster: String,
    pub nodes_up: usize,
    pub nodes_total: usize,
    pub nodes: Vec<NodeReport>,
}

pub fn report(fleet: &Fleet) -> StatusReport {
    StatusReport {
        cluster: fleet.cluster_name.clone(),
        nodes_up: fleet.up_count(),
        nodes_total: fleet.nodes.len(),
        nodes: fleet
            .nodes
            .iter()
            .map(|n| NodeReport {
                name: n.spec.name.clone(),
                address: n.spec.address.clone(),
                gpus: n.gpus.len(),
                status: n.status.word(),
                reason: n.status.reason().map(str::to_string),
                util_pct: n.avg_util(),
                hottest_c: n.hottest().map(|h| h.1),
                power_w: n.power_w(),
                alerts: n.alerts.clone(),
            })
            .collect(),
    }
}

pub fn run(flag: Option<&Path>, args: StatusArgs) -> color_eyre::Result<i32> {
    let src = locate(flag);
    let config = config::load_file(&src.path).map_err(CliError::usage)?;
    let mut fleet = super::tui::fleet_from_config(&config);
    let source = FleetSource::from_config(&config).map_err(CliError::usage)?;
    let rt = super::runtime()?;
    let started = Instant::now();
    let outcomes = rt.block_on(source.refresh());
    fleet.apply_refresh(outcomes, Instant::now(), started.elapsed());
    let r = report(&fleet);
    if args.json {
        output::println(&serde_json::to_string_pretty(&r)?)?;
    } else {
        let rows: Vec<Vec<String>> = r
            .nodes
            .iter()
            .map(|n| {
                let status = match &n.reason {
                    Some(why) => format!("{} ({})", n.status, why),
                    None => n.status.to_string(),
                };
                let alerts = if n.alerts.is_empty() {
                    "-".to_string()
                } else {
                    n.alerts
                        .iter()
                        .map(|a| a.summary.clone())
                        .collect::<Vec<_>>()
                        .join("; ")
                };
                vec![
                    crate::text::sanitize(&n.name),
                    n.address.clone(),
                    n.gpus.to_string(),
                    crate::text::sanitize(&status),
                    crate::text::sanitize(&alerts),
                ]
            })
            .collect();
        output::print(&super::table::render(
            &["NAME", "ADDRESS", "GPUS", "STATUS", "ALERTS"],
            &rows,
        ))?;
        output::println(&format!("{}/{} nodes up", r.nodes_up, r.nodes_total))?;
    }
    let any_down = fleet
        .nodes
        .iter()
        .any(|n| matches!(n.status, NodeStatus::Down(_)));
    Ok(if any_down { 1 } else { 0 })
}
