//! `aami-tui stack render | install | upgrade | reload | status`: the
//! Prometheus + Alertmanager stack for the fleet in the config file (see
//! `crate::stack` for the files, `crate::install::stack` for the install).

use std::path::{Path, PathBuf};
use std::time::Duration;

use clap::{Args, Subcommand};

use super::{CliError, output};
use crate::config::Config;
use crate::install::stack::{self as installer, StackAction, StackHost};
use crate::ssh::{SshOptions, UnknownHostKey};
use crate::stack::StackFile;

#[derive(Debug, Subcommand)]
pub enum StackCommand {
    /// Write prometheus.yml, its target files, the rule file of the
    /// configured presets, alertmanager.yml and Prometheus's flags.
    Render(RenderArgs),
    /// Install Prometheus and Alertmanager from a bundle with the rendered
    /// configuration, start them and wait until ready (unchanged when
    /// already there).
    Install(InstallArgs),
    /// The same for a newer version in the bundle; the old one is kept and
    /// comes back when the new one fails.
    Upgrade(InstallArgs),
    /// Upload the configuration again and reload what changed (no restart).
    Reload(ReloadArgs),
    /// Each server: up or down, version, targets up against expected, rule
    /// errors, TSDB size and ingestion rate. Exits 1 when something is wrong.
    Status(StatusArgs),
}

#[derive(Debug, Args)]
pub struct RenderArgs {
    /// The folder to write into (created when missing).
    #[arg(long, short)]
    pub output: PathBuf,
}

#[derive(Debug, Args)]
pub struct HostArgs {
    /// The host to run the stack on: a configured node's name or an
    /// ssh-config host (default `stack.host`; unset: this machine).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// Trust and remember the host's key when not yet known.
    #[arg(long)]
    pub accept_new: bool,
    /// Upload this folder (a `stack render` output, perhaps edited)
    /// instead of rendering the config now.
    #[arg(long, value_name = "DIR")]
    pub from: Option<PathBuf>,
    /// Seconds a started server gets to answer /-/ready.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    pub verify_timeout: u64,
}

#[derive(Debug, Args)]
pub struct InstallArgs {
    #[command(flatten)]
    pub host: HostArgs,
    /// The air-gap bundle holding `prometheus` and `alertmanager`.
    #[arg(long, value_name = "FILE")]
    pub bundle: PathBuf,
    /// The bundle's Prometheus version (default: the newest).
    #[arg(long, value_name = "VERSION")]
    pub prometheus_version: Option<String>,
    /// The bundle's Alertmanager version (default: the newest).
    #[arg(long, value_name = "VERSION")]
    pub alertmanager_version: Option<String>,
}

#[derive(Debug, Args)]
pub struct ReloadArgs {
    #[command(flatten)]
    pub host: HostArgs,
}

#[derive(Debug, Args)]
pub struct StatusArgs {
    /// The stack's host (default `stack.host`; unset: this machine).
    #[arg(long, value_name = "NAME")]
    pub host: Option<String>,
    /// One JSON object instead of the table.
    #[arg(long)]
    pub json: bool,
}

pub fn run(flag: Option<&Path>, cmd: StackCommand) -> color_eyre::Result<i32> {
    let src = crate::config::locate(flag);
    let config = crate::config::load_file(&src.path).map_err(CliError::usage)?;
    match cmd {
        StackCommand::Render(args) => render(&config, &args),
        StackCommand::Install(args) => {
            install(&config, StackAction::Install, &args.host, Some(&args))
        }
        StackCommand::Upgrade(args) => {
            install(&config, StackAction::Upgrade, &args.host, Some(&args))
        }
        StackCommand::Reload(args) => install(&config, StackAction::Reload, &args.host, None),
        StackCommand::Status(args) => status(&config, &args),
    }
}

/// Every file for `config`, with the user's presets.
pub fn rendered(config: &Config) -> Result<Vec<StackFile>, CliError> {
    let dir = crate::config::locate::user_dir();
    crate::stack::render_config(config, dir.as_deref()).map_err(CliError::usage)
}

fn render(config: &Config, args: &RenderArgs) -> color_eyre::Result<i32> {
    for f in rendered(config)? {
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

/// The files of a rendered folder: every file under it but dotfiles and
/// the partial files of an interrupted write.
fn read_folder(dir: &Path) -> Result<Vec<StackFile>, CliError> {
    fn walk(root: &Path, rel: &str, out: &mut Vec<StackFile>) -> Result<(), CliError> {
        let here = if rel.is_empty() {
            root.to_path_buf()
        } else {
            root.join(rel)
        };
        let entries = std::fs::read_dir(&here)
            .map_err(|e| CliError::usage(format!("{}: {e}", here.display())))?;
        let mut names: Vec<_> = entries.filter_map(Result::ok).collect();
        names.sort_by_key(std::fs::DirEntry::file_name);
        for e in names {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') || name.contains(".tmp.") || name.ends_with(".part") {
                continue;
            }
            let path = if rel.is_empty() {
                name.clone()
            } else {
                format!("{rel}/{name}")
            };
            let ft = e
                .file_type()
                .map_err(|err| CliError::usage(format!("{}: {err}", e.path().display())))?;
            if ft.is_dir() {
                walk(root, &path, out)?;
            } else if ft.is_file() {
                let text = std::fs::read_to_string(e.path())
                    .map_err(|err| CliError::usage(format!("{}: {err}", e.path().display())))?;
                out.push(StackFile { path, text });
            }
        }
        Ok(())
    }
    let mut out = Vec::new();
    walk(dir, "", &mut out)?;
    if !out.iter().any(|f| f.path == "prometheus.yml") {
        return Err(CliError::usage(format!(
            "{} has no prometheus.yml: give a folder `aami-tui stack render` wrote",
            dir.display()
        )));
    }
    Ok(out)
}

/// `promtool check config` and `amtool check-config` on the files, here,
/// before anything reaches the host. Skipped (and said so) where the tools
/// are not installed; the server's own reload check still stands.
fn check_locally(files: &[StackFile], say: &mut dyn FnMut(String)) -> Result<(), CliError> {
    let tmp = tempdir()?;
    for f in files {
        let path = tmp.0.join(&f.path);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .map_err(|e| CliError::unavailable(format!("{}: {e}", parent.display())))?;
        }
        std::fs::write(&path, &f.text)
            .map_err(|e| CliError::unavailable(format!("{}: {e}", path.display())))?;
    }
    // Every Prometheus's file: the single or global one, and each shard's.
    let checks: Vec<(&str, &[&str], &str)> = files
        .iter()
        .filter(|f| f.path == "prometheus.yml" || f.path.ends_with("/prometheus.yml"))
        .map(|f| ("promtool", &["check", "config"][..], f.path.as_str()))
        .chain(
            files
                .iter()
                .filter(|f| f.path == "alertmanager.yml")
                .map(|f| ("amtool", &["check-config"][..], f.path.as_str())),
        )
        .collect();
    let mut checked = Vec::new();
    for (tool, args, file) in checks {
        let out = match std::process::Command::new(tool)
            .args(args)
            .arg(file)
            .current_dir(&tmp.0)
            .output()
        {
            Ok(o) => o,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                say(format!(
                    "{tool} is not installed here: {file} is checked by the server when it loads it"
                ));
                continue;
            }
            Err(e) => return Err(CliError::unavailable(format!("{tool}: {e}"))),
        };
        if !out.status.success() {
            let said = format!(
                "{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr)
            );
            let lines: Vec<&str> = said
                .lines()
                .map(str::trim)
                .filter(|l| l.contains("FAILED") || l.contains("error") || l.contains("rror:"))
                .collect();
            return Err(CliError::usage(format!(
                "{tool} rejects {file}: {}",
                crate::text::sanitize_max(&lines.join(" | "), 600)
            ))
            .note("nothing was uploaded and the running stack is unchanged: fix the file (or the aami config it is rendered from) and run again"));
        }
        checked.push(format!("{tool} accepts {file}"));
    }
    if !checked.is_empty() {
        say(checked.join(", "));
    }
    Ok(())
}

/// A temp folder removed when dropped.
struct TempDir(PathBuf);

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn tempdir() -> Result<TempDir, CliError> {
    let base = std::env::temp_dir();
    for i in 0..100u32 {
        let p = base.join(format!("aami-stack-check.{}.{i}", std::process::id()));
        match std::fs::create_dir(&p) {
            Ok(()) => return Ok(TempDir(p)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(CliError::unavailable(format!("{}: {e}", p.display()))),
        }
    }
    Err(CliError::unavailable("no free temp folder name"))
}

fn ssh_options(config: &Config, accept_new: bool) -> SshOptions {
    let mut ssh = SshOptions::from_config(config, |k| std::env::var(k).ok());
    if accept_new {
        ssh.unknown_host_key = UnknownHostKey::AcceptNew;
    }
    ssh
}

fn install(
    config: &Config,
    action: StackAction,
    host_args: &HostArgs,
    install: Option<&InstallArgs>,
) -> color_eyre::Result<i32> {
    let layout = crate::stack::layout(config).map_err(CliError::usage)?;
    if let Some(name) = &host_args.host {
        crate::ssh::validate_address(name).map_err(CliError::usage)?;
    }
    let place = StackHost::resolve(config, host_args.host.as_deref()).map_err(CliError::usage)?;
    let mut say = |line: String| {
        let _ = output::println(&format!("  {line}"));
    };
    let dir = crate::stack::stack_dir(config);
    output::println(&format!(
        "stack {}: configuration for {} (kept in {dir} on the stack's host)",
        action.name(),
        match &place {
            StackHost::Local => "this machine".to_string(),
            StackHost::Remote(t) => t.to_string(),
        }
    ))?;
    let files = match &host_args.from {
        Some(dir) => read_folder(dir)?,
        None => rendered(config)?,
    };
    check_locally(&files, &mut say)?;
    let bundle = match install {
        Some(a) => {
            Some(crate::bundle::open_verified(&a.bundle).map_err(|e| CliError::with_code(1, e))?)
        }
        None => None,
    };
    let pick = |name: &str,
                version: Option<&str>|
     -> Result<Option<&crate::bundle::Component>, CliError> {
        let Some(b) = &bundle else { return Ok(None) };
        b.manifest.find(name, version).map(Some).ok_or_else(|| {
            CliError::usage(format!(
                "the bundle has no {name}{}",
                version.map(|v| format!(" {v}")).unwrap_or_default()
            ))
            .note(format!(
                "pack it with `aami-tui bundle create --component {name}=/usr/bin/{}`",
                if name == "alertmanager" {
                    "prometheus-alertmanager"
                } else {
                    "prometheus"
                }
            ))
        })
    };
    let prometheus = pick(
        "prometheus",
        install.and_then(|a| a.prometheus_version.as_deref()),
    )?;
    let alertmanager = pick(
        "alertmanager",
        install.and_then(|a| a.alertmanager_version.as_deref()),
    )?;
    let ssh = ssh_options(config, host_args.accept_new);
    let rt = super::runtime()?;
    let result = rt.block_on(async {
        let (runner, http_host) = place.connect(config, &ssh).await?;
        let job = installer::StackJob {
            action,
            config,
            files: &files,
            bundle: bundle.as_ref(),
            alertmanager,
            prometheus,
            prefix: &config.install.prefix,
            dir: &dir,
            http_host: &http_host,
            verify_timeout: Duration::from_secs(host_args.verify_timeout),
        };
        let r = installer::run(&runner, &job, &mut say).await;
        runner.close().await;
        r.map(|report| (report, http_host))
    });
    let (report, http_host) =
        result.map_err(|e| CliError::with_code(1, format!("stack {}: {e}", action.name())))?;
    let mut parts = Vec::new();
    if !report.changed_files.is_empty() {
        parts.push(format!("{} written", report.changed_files.join(", ")));
    }
    if !report.removed_files.is_empty() {
        parts.push(format!("{} removed", report.removed_files.join(", ")));
    }
    let config_line = if parts.is_empty() {
        "unchanged".to_string()
    } else {
        parts.join("; ")
    };
    output::println(&format!("configuration  {config_line}"))?;
    // One column for the names, shards' included.
    let width = report
        .servers
        .iter()
        .map(|(c, _)| c.name().len())
        .max()
        .unwrap_or(0)
        .max(13);
    for (c, change) in &report.servers {
        output::println(&format!("{:<width$}  {change}", c.name()))?;
    }
    if report.unchanged() {
        output::println("unchanged: nothing to do")?;
    }
    if config.prometheus.url.is_none() {
        // The single or global Prometheus, or VictoriaMetrics.
        let url = crate::stack::status::query_url(
            config,
            &layout,
            if http_host == "127.0.0.1" {
                "localhost"
            } else {
                &http_host
            },
        );
        output::println(&format!(
            "query mode: set prometheus.url: {url} to read the fleet and its history from this stack (or press Q in the TUI's stack pane, S)"
        ))?;
    }
    if host_args.host.is_some() && host_args.host != config.stack.host {
        output::println(&format!(
            "note: set stack.host: {} in the config so `nodes add` keeps this stack's targets and `stack status` finds it",
            host_args.host.as_deref().unwrap_or_default()
        ))?;
    }
    Ok(0)
}

fn status(config: &Config, args: &StatusArgs) -> color_eyre::Result<i32> {
    let layout = crate::stack::layout(config).map_err(CliError::usage)?;
    let place = StackHost::resolve(config, args.host.as_deref()).map_err(CliError::usage)?;
    let http_host = place.http_host();
    let rt = super::runtime()?;
    let st = rt.block_on(crate::stack::status::read(config, &layout, &http_host));
    if args.json {
        output::println(&serde_json::to_string_pretty(&st)?)?;
    } else {
        output::print(&status_table(&st))?;
    }
    Ok(if st.healthy() { 0 } else { 1 })
}

fn mib(bytes: f64) -> String {
    format!("{:.1} MiB", bytes / (1024.0 * 1024.0))
}

pub fn status_table(st: &crate::stack::status::StackStatus) -> String {
    let dash = || "-".to_string();
    let rows: Vec<Vec<String>> = st
        .servers
        .iter()
        .map(|s| {
            let tsdb = s.tsdb.as_ref();
            vec![
                s.name.clone(),
                if s.up { "up".into() } else { "DOWN".into() },
                s.version.clone().unwrap_or_else(dash),
                s.targets
                    .as_ref()
                    .map(|t| format!("{}/{}", t.up, t.known))
                    .unwrap_or_else(dash),
                s.rules
                    .as_ref()
                    .map(|r| format!("{}/{}", r.errors.len(), r.count))
                    .unwrap_or_else(dash),
                tsdb.and_then(|t| t.head_series)
                    .map(|n| n.to_string())
                    .unwrap_or_else(dash),
                tsdb.and_then(|t| t.bytes).map(mib).unwrap_or_else(dash),
                tsdb.and_then(|t| t.samples_per_second.map(|r| (r, t.rate_over)))
                    .map(|(r, over)| format!("{r:.0}/s ({})", over.unwrap_or("?")))
                    .unwrap_or_else(dash),
                s.url.clone(),
            ]
        })
        .collect();
    let mut out = super::table::render(
        &[
            "SERVER",
            "STATE",
            "VERSION",
            "TARGETS",
            "RULE ERRORS",
            "SERIES",
            "TSDB",
            "INGESTION",
            "URL",
        ],
        &rows,
    );
    out.push_str(&format!(
        "targets up: {} of {} expected from the config\n",
        st.targets_up, st.targets_expected
    ));
    for (_, line) in st.problems() {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// After `nodes add | remove | import`: rewrites the target files of the
/// installed stack (on `stack.host`, or on this machine) so Prometheus
/// scrapes the new node list without a restart. `None` when no stack is
/// installed there; a line to print otherwise (a warning when the host
/// could not be reached).
pub fn sync_targets(config: &Config) -> Option<String> {
    let ssh = ssh_options(config, false);
    let rt = super::runtime().ok()?;
    rt.block_on(installer::sync_targets(config, &ssh))
}
