//! `aami-tui explain xid N` and `aami-tui xid scan`.

use std::path::{Path, PathBuf};

use clap::Subcommand;

#[derive(Debug, Subcommand)]
pub enum ExplainCommand {
    /// Explain an Xid code.
    Xid {
        code: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum XidCommand {
    /// Scan a kernel log (dmesg, journalctl -k, syslog) for Xid events.
    Scan {
        /// Log file, or - for standard input.
        file: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

pub fn run_explain(_flag: Option<&Path>, _cmd: ExplainCommand) -> color_eyre::Result<i32> {
    eprintln!("error: the Xid catalogue is not built yet");
    Ok(2)
}

pub fn run_xid(_flag: Option<&Path>, _cmd: XidCommand) -> color_eyre::Result<i32> {
    eprintln!("error: the Xid scanner is not built yet");
    Ok(2)
}
