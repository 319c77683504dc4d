//! `aami-tui stack render --output DIR`: the Prometheus + Alertmanager
//! configuration for the fleet in the config file (see `crate::stack`).

use std::path::{Path, PathBuf};

use clap::{Args, Subcommand};

use super::{CliError, output};
use crate::domain::rules::{Naming, promql};

#[derive(Debug, Subcommand)]
pub enum StackCommand {
    /// Write prometheus.yml, its target files, the rule file of the
    /// configured presets, alertmanager.yml and Prometheus's flags.
    Render(RenderArgs),
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The folder to write into (created when missing).
    #[arg(long, short)]
    pub output: PathBuf,
}

pub fn run(flag: Option<&Path>, cmd: StackCommand) -> color_eyre::Result<i32> {
    let StackCommand::Render(args) = cmd;
    let src = crate::config::locate(flag);
    let config = crate::config::load_file(&src.path).map_err(CliError::usage)?;
    let dir = crate::config::locate::user_dir();
    let cat = crate::xid::Catalogue::builtin();
    let lib =
        crate::alerts::library::Library::load(dir.as_deref(), cat).map_err(CliError::usage)?;
    let mut presets = Vec::new();
    for name in &config.alerts.presets {
        presets.push(lib.get(name).map_err(CliError::usage)?);
    }
    // Both dcgm namings: the rules work whichever exporter version answers.
    let rules = promql::render_yaml(&presets, Naming::Both)
        .map_err(|e| CliError::unavailable(format!("rules: {e}")))?;
    // With no channel configured, Alertmanager still runs (the TUI and
    // silences use it) with a receiver that sends nowhere.
    let alertmanager = if crate::alerts::notify::enabled(&config.notifications).is_empty() {
        crate::stack::silent_alertmanager_yml()
    } else {
        crate::alerts::notify::alertmanager_yaml(&config).map_err(CliError::usage)?
    };
    for f in crate::stack::render(&config, &rules, &alertmanager) {
        let path = args.output.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| {
                CliError::unavailable(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        super::alerts::write_atomic(&path, &f.text)?;
        output::println(&format!("wrote {}", path.display()))?;
    }
    Ok(0)
}
