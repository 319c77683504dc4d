//! The command line. `main` parses [`Cli`] and calls [`dispatch`]; each
//! subcommand lives in its own module. New capabilities add a variant to
//! [`Command`] and a module.

pub mod alerts;
pub mod alerts_config;
pub mod alerts_silence;
pub mod bundle;
pub mod config_cmd;
pub mod demo_serve;
pub mod exit;
pub mod inspect;
pub mod install;
pub mod nodes;
pub mod notify;
pub mod output;
pub mod stack;
pub mod status;
pub mod table;
pub mod topology;
pub mod tui;
pub mod xid;

pub use exit::CliError;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(
    name = "aami-tui",
    version,
    about = "A full-screen terminal cockpit for GPU clusters without Kubernetes",
    long_about = "A full-screen terminal cockpit for GPU clusters without Kubernetes.\n\n\
        With no command, opens the TUI on the fleet in your config file. \
        `aami-tui demo` opens it on a simulated fleet that needs no GPU and no server.",
    after_help = "Config lookup: --config, $AAMI_CONFIG, /etc/aami/config.yaml, then the user config directory \
        (~/.config/aami/config.yaml). `aami-tui config path` shows which one is used."
)]
pub struct Cli {
    /// Config file to use instead of the usual lookup.
    #[arg(long, short = 'c', global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Option<Command>,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Open the TUI on a simulated fleet (no GPU or server needed).
    Demo(tui::DemoArgs),
    /// Scrape every node once and print the fleet; exits 1 when a node is down.
    Status(status::StatusArgs),
    /// List, add, remove or import nodes.
    #[command(subcommand)]
    Nodes(nodes::NodesCommand),
    /// Check, locate or create the config file.
    #[command(subcommand)]
    Config(config_cmd::ConfigCommand),
    /// Explain an Xid error code (offline catalogue).
    #[command(subcommand)]
    Explain(xid::ExplainCommand),
    /// Xid tools: scan kernel logs for Xid events.
    #[command(subcommand)]
    Xid(xid::XidCommand),
    /// Read one exporter page (file, URL or `-`), detect its dialect and print its GPUs.
    Inspect(inspect::InspectArgs),
    /// A node's GPU/NIC link matrix and NVLinks (cached, --refresh over SSH,
    /// or --file CAPTURE).
    Topology(topology::TopologyArgs),
    /// Air-gap bundles of exporter binaries: create, inspect, verify.
    #[command(subcommand)]
    Bundle(bundle::BundleCommand),
    /// Install an exporter on nodes from a bundle (unchanged when already there).
    Install(install::ActionArgs),
    /// Upgrade an exporter on nodes from a bundle; the old version is kept for rollback.
    Upgrade(install::ActionArgs),
    /// Stop and remove an exporter from nodes.
    Uninstall(install::ActionArgs),
    /// Check that an installed exporter answers with its families and version.
    Verify(install::ActionArgs),
    /// Switch nodes back to the previous version of an exporter.
    Rollback(install::ActionArgs),
    /// Alert presets: list, render to Prometheus rules, apply, test on pages.
    #[command(subcommand)]
    Alerts(alerts::AlertsCommand),
    /// Notifications: render alertmanager.yml, send a test message.
    #[command(subcommand)]
    Notify(notify::NotifyCommand),
    /// The monitoring stack's configuration from the config file.
    #[command(subcommand)]
    Stack(stack::StackCommand),
    /// Print shell completions.
    Completions {
        /// bash, zsh, fish, elvish or powershell.
        shell: clap_complete::Shell,
    },
}

/// Runs the parsed command; returns the process exit code. A command that
/// fails with a [`CliError`] has its message printed here and exits with
/// its code.
pub fn dispatch(cli: Cli) -> color_eyre::Result<i32> {
    exit::finish(run_command(cli))
}

fn run_command(cli: Cli) -> color_eyre::Result<i32> {
    let config_flag = cli.config.as_deref();
    match cli.command {
        None => tui::run_configured(config_flag),
        Some(Command::Demo(args)) => tui::run_demo(args),
        Some(Command::Status(args)) => status::run(config_flag, args),
        Some(Command::Nodes(cmd)) => nodes::run(config_flag, cmd),
        Some(Command::Config(cmd)) => config_cmd::run(config_flag, cmd),
        Some(Command::Explain(cmd)) => xid::run_explain(config_flag, cmd),
        Some(Command::Xid(cmd)) => xid::run_xid(config_flag, cmd),
        Some(Command::Inspect(args)) => inspect::run(config_flag, args),
        Some(Command::Topology(args)) => topology::run(config_flag, args),
        Some(Command::Stack(cmd)) => stack::run(config_flag, cmd),
        Some(Command::Bundle(cmd)) => bundle::run(cmd),
        Some(Command::Install(a)) => install::run(config_flag, crate::install::Action::Install, a),
        Some(Command::Upgrade(a)) => install::run(config_flag, crate::install::Action::Upgrade, a),
        Some(Command::Uninstall(a)) => {
            install::run(config_flag, crate::install::Action::Uninstall, a)
        }
        Some(Command::Verify(a)) => install::run(config_flag, crate::install::Action::Verify, a),
        Some(Command::Rollback(a)) => {
            install::run(config_flag, crate::install::Action::Rollback, a)
        }
        Some(Command::Alerts(cmd)) => alerts::run(config_flag, cmd),
        Some(Command::Notify(cmd)) => notify::run(config_flag, cmd),
        Some(Command::Completions { shell }) => {
            let mut cmd = <Cli as clap::CommandFactory>::command();
            clap_complete::generate(shell, &mut cmd, "aami-tui", &mut output::Stdout);
            Ok(0)
        }
    }
}

/// A multi-thread runtime for commands that do network work.
pub fn runtime() -> color_eyre::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}
