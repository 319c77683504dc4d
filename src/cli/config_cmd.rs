//! `aami-tui config check | path | init`.

use std::path::Path;

use clap::Subcommand;

use super::CliError;
use super::output::{self, note};
use crate::config::{self, ConfigError, locate, starter, theme_file};

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Validate the config file; names file, line and field on error.
    Check,
    /// Show which config file is used and why.
    Path,
    /// Write a commented starter config file.
    Init {
        /// Overwrite an existing file (the old one is kept as .bak).
        #[arg(long)]
        force: bool,
    },
}

pub fn run(flag: Option<&Path>, cmd: ConfigCommand) -> color_eyre::Result<i32> {
    let src = locate(flag);
    match cmd {
        ConfigCommand::Path => {
            output::println(&src.path.display().to_string())?;
            note(&format!(
                "(from {}; {})",
                src.origin.describe(),
                if src.exists {
                    "exists"
                } else {
                    "does not exist yet"
                }
            ));
            Ok(0)
        }
        ConfigCommand::Check => {
            let c = config::load_file(&src.path).map_err(CliError::usage)?;
            check_user_theme(&c.tui.theme)?;
            output::println(&config::load::summary(&c, &src.path))?;
            Ok(0)
        }
        ConfigCommand::Init { force } => {
            if src.exists && !force {
                return Err(CliError::usage(format!(
                    "{} already exists; use --force to replace it (the old file is kept as {})",
                    src.path.display(),
                    config::write::backup_path(&src.path).display()
                ))
                .into());
            }
            let _lock = config::write::lock(&src.path)?;
            config::write::save_atomic(&src.path, starter::STARTER, false)
                .map_err(|e: ConfigError| color_eyre::eyre::eyre!(e))?;
            output::println(&format!("wrote {}", src.path.display()))?;
            Ok(0)
        }
    }
}

/// The user's file for the configured theme, if there is one: the TUI
/// would fall back to the dark theme on any error in it.
fn check_user_theme(name: &str) -> Result<(), CliError> {
    let Some(dir) = locate::user_dir() else {
        return Ok(());
    };
    let path = theme_file::user_theme_path(&dir, name);
    if !path.exists() {
        return Ok(());
    }
    theme_file::check_file(&path).map_err(|e| {
        CliError::usage(format!("theme file {e}"))
            .note("(the TUI falls back to the dark theme until this is fixed)")
    })
}
