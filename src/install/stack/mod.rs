//! Prometheus and Alertmanager, installed from the bundle on the stack's
//! host (over SSH, or this machine through [`Runner::Local`]).
//!
//! The same versioned layout as the exporters: `<prefix>/<name>/<version>/`,
//! `current` and `previous` links, a systemd unit or `run.sh` + `run.pid`.
//! The configuration (`stack render`'s output) lives in one folder on the
//! host; a file is replaced whole (written beside it, then renamed), the one
//! it replaces kept in `.previous/` until the change has taken. Target files
//! change without a reload (Prometheus watches them); `prometheus.yml` and
//! the rules are reloaded through `POST /-/reload`, `alertmanager.yml` the
//! same on Alertmanager. A start waits for `/-/ready` and checks the
//! version the server reports.
//!
//! Nothing is touched until the checks that can be made beforehand pass
//! (the port is free, the storage folder can be written). After that, any
//! failure undoes what this run did, in reverse: the configuration files
//! come back, each switched server goes back to its version and launcher
//! and is started and checked again, each reloaded one is reloaded on the
//! restored files. So the stack that ran before keeps running.
//!
//! Prometheus and Alertmanager are not [`super::ComponentKind`]s: those are
//! exporters on fleet nodes, their port from the node's `exporters.*` and
//! their check a metrics page; these run on the stack's host with a
//! configuration folder and a storage folder, and are checked by
//! `/-/ready`.

use std::time::{Duration, Instant};

use data_encoding::HEXLOWER;
use sha2::{Digest, Sha256};

use super::runner::Runner;
use super::{InstallError, failed, host_port};
use crate::bundle::{Bundle, Component};
use crate::config::Config;
use crate::ssh::RemoteCommand;
use crate::stack::StackFile;

mod component;
mod host;

pub use component::{STACK_USER, StackComponent, run_script, unit, unit_name};
use host::Host;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackAction {
    Install,
    Upgrade,
    /// The configuration only: upload what changed, reload; never a restart.
    Reload,
}

impl StackAction {
    pub fn name(self) -> &'static str {
        match self {
            Self::Install => "install",
            Self::Upgrade => "upgrade",
            Self::Reload => "reload",
        }
    }
}

/// What one run asks for.
pub struct StackJob<'a> {
    pub action: StackAction,
    pub config: &'a Config,
    /// The configuration files, paths relative to `dir`.
    pub files: &'a [StackFile],
    pub bundle: Option<&'a Bundle>,
    /// The bundle entry per component (install, upgrade).
    pub alertmanager: Option<&'a Component>,
    pub prometheus: Option<&'a Component>,
    pub prefix: &'a str,
    /// The configuration folder on the host.
    pub dir: &'a str,
    /// The host's address as this machine reaches its HTTP ports.
    pub http_host: &'a str,
    /// How long a started server gets to answer `/-/ready`.
    pub verify_timeout: Duration,
}

impl StackJob<'_> {
    fn wanted(&self, c: StackComponent) -> Option<&Component> {
        match c {
            StackComponent::Alertmanager => self.alertmanager,
            StackComponent::Prometheus | StackComponent::Shard(_) => self.prometheus,
        }
    }
}

/// What happened to one server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServerChange {
    Installed {
        version: String,
        from: Option<String>,
    },
    /// Same version started again: new flags (port, storage, retention),
    /// or it was not running or not ready.
    Restarted {
        version: String,
        why: &'static str,
    },
    Reloaded {
        version: String,
    },
    Unchanged {
        version: String,
    },
}

impl std::fmt::Display for ServerChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Installed {
                version,
                from: None,
            } => write!(f, "installed {version}, ready"),
            Self::Installed {
                version,
                from: Some(old),
            } => write!(f, "upgraded {old} → {version}, ready"),
            Self::Restarted { version, why } => write!(f, "restarted ({why}; {version}), ready"),
            Self::Reloaded { version } => write!(f, "reloaded ({version})"),
            Self::Unchanged { version } => write!(f, "unchanged ({version})"),
        }
    }
}

/// What one run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackReport {
    /// Configuration files written, relative to the folder.
    pub changed_files: Vec<String>,
    /// Files under `rules/` and `targets/` the new set no longer has.
    pub removed_files: Vec<String>,
    pub servers: Vec<(StackComponent, ServerChange)>,
}

impl StackReport {
    pub fn unchanged(&self) -> bool {
        self.changed_files.is_empty()
            && self.removed_files.is_empty()
            && self
                .servers
                .iter()
                .all(|(_, c)| matches!(c, ServerChange::Unchanged { .. }))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Init {
    Systemd,
    Pidfile,
}

/// What a server's folder holds on the host now.
#[derive(Debug, Clone, Default)]
struct State {
    current: Option<String>,
    previous: Option<String>,
    running: bool,
    /// sha256 of the launcher (unit or run.sh), if there is one.
    launcher_sum: Option<String>,
    /// The port its launcher listens on.
    port: Option<u16>,
}

/// A step this run took, undone in reverse on a failure.
enum Undo {
    /// Launcher and links of a server switched (or restarted).
    Switched {
        c: StackComponent,
        old: State,
    },
    Reloaded(StackComponent),
}

fn sha256_hex(bytes: &[u8]) -> String {
    HEXLOWER.encode(&Sha256::digest(bytes))
}

/// Runs `job` on the host behind `runner`.
pub async fn run(
    runner: &Runner,
    job: &StackJob<'_>,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<StackReport, InstallError> {
    crate::ssh::command::validate_remote_dir(job.prefix).map_err(|e| failed(e.to_string()))?;
    crate::ssh::command::validate_remote_dir(job.dir).map_err(|e| failed(e.to_string()))?;
    for f in job.files {
        check_file_path(&f.path)?;
    }
    check_flag_value("prometheus.retention", &job.config.prometheus.retention)?;
    let host = Host {
        r: runner,
        prefix: job.prefix,
        dir: job.dir,
        http_host: job.http_host,
        verify_timeout: job.verify_timeout,
        init: Init::Pidfile,
    };
    let init = host.init().await?;
    let host = Host { init, ..host };
    progress(format!(
        "{}: init {}",
        runner.place(),
        match init {
            Init::Systemd => "systemd",
            Init::Pidfile => "none (pidfile)",
        }
    ));
    host.act(job, progress).await
}

/// A configuration file's path: relative, plain names, no `..`.
fn check_file_path(path: &str) -> Result<(), InstallError> {
    crate::ssh::command::validate_remote_dir(&format!("/{path}"))
        .map_err(|_| failed(format!("configuration file name {path:?} is not allowed")))?;
    if path.starts_with('.') || path.contains("/.") {
        return Err(failed(format!(
            "configuration file name {path:?} is not allowed"
        )));
    }
    Ok(())
}

/// A config value that becomes a flag must stay one word.
fn check_flag_value(key: &str, value: &str) -> Result<(), InstallError> {
    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(failed(format!(
            "{key} {:?} must be a duration like 15d or 30d",
            crate::text::sanitize_max(value, 40)
        )));
    }
    Ok(())
}

/// A bundle version matches what the server reports: equal, or equal
/// before a `+suffix` on either side (Debian's prometheus reports
/// `2.42.0+ds`; `bundle create` reads `2.42.0`).
pub fn version_matches(bundle: &str, reported: &str) -> bool {
    let base = |v: &str| v.split_once('+').map_or(v, |(b, _)| b).to_string();
    bundle == reported || base(bundle) == base(reported)
}

/// Where the stack runs: a configured node by name (its address, SSH user,
/// port and key), another name as an ssh-config host or address, or, with
/// no name, this machine.
pub enum StackHost {
    Local,
    Remote(crate::ssh::SshTarget),
}

impl StackHost {
    /// `name` (or `stack.host` when none is given).
    pub fn resolve(config: &Config, name: Option<&str>) -> Result<Self, InstallError> {
        let Some(name) = name.or(config.stack.host.as_deref()) else {
            return Ok(Self::Local);
        };
        if let Some(node) = config.nodes.iter().find(|n| n.name == name) {
            return Ok(Self::Remote(crate::ssh::SshTarget::from_node(node)));
        }
        crate::ssh::validate_address(name).map_err(|e| failed(e.to_string()))?;
        Ok(Self::Remote(crate::ssh::SshTarget {
            host: name.to_string(),
            ..Default::default()
        }))
    }

    /// Logs in (or not, for this machine): the runner, and the address
    /// this machine reaches the stack's HTTP ports at.
    pub async fn connect(
        &self,
        config: &Config,
        ssh: &crate::ssh::SshOptions,
    ) -> Result<(Runner, String), InstallError> {
        match self {
            Self::Local => Ok((
                Runner::Local {
                    command_timeout: Duration::from_secs(config.ssh.command_timeout.max(1)),
                },
                "127.0.0.1".into(),
            )),
            Self::Remote(target) => {
                let session = crate::ssh::Session::connect(target, ssh).await?;
                let http = session.host.clone();
                Ok((Runner::Ssh(session), http))
            }
        }
    }

    /// The address `stack status` reads the HTTP ports at, without
    /// logging in: the node's or the name's own.
    pub fn http_host(&self) -> String {
        match self {
            Self::Local => "127.0.0.1".into(),
            Self::Remote(t) => t.host.clone(),
        }
    }
}

/// After the node list changed (`nodes add | remove | import`, the TUI's
/// add form and onboarding): rewrites the installed stack's target files
/// (on `stack.host`, or on this machine) so Prometheus scrapes the new node
/// list without a restart. `None` when no stack is installed there; a line
/// to show otherwise (a warning when the host could not be reached).
pub async fn sync_targets(config: &Config, ssh: &crate::ssh::SshOptions) -> Option<String> {
    let place = StackHost::resolve(config, None).ok()?;
    let dir = crate::stack::stack_dir(config);
    let files = crate::stack::target_files(config);
    let result = async {
        let (runner, _) = place.connect(config, ssh).await?;
        let r = sync_files(&runner, &dir, &files).await;
        runner.close().await;
        r
    }
    .await;
    match result {
        Ok(None) => None,
        Ok(Some(changed)) if changed.is_empty() => Some(format!(
            "stack: the target files in {dir} already list these nodes"
        )),
        Ok(Some(changed)) => Some(format!(
            "stack: {} rewritten in {dir}; Prometheus picks the change up without a restart",
            changed.join(", ")
        )),
        Err(e) => Some(format!(
            "warning: the stack's target files were not updated ({e}): run `aami-tui stack reload` once the stack's host answers"
        )),
    }
}

/// Writes the target files that differ from what the host holds into the
/// stack folder `dir` there, each whole then renamed over the old one, so
/// Prometheus (which watches them) never reads half a file and needs no
/// reload. `None` when no stack is installed there (no `prometheus.yml`).
pub async fn sync_files(
    runner: &Runner,
    dir: &str,
    files: &[StackFile],
) -> Result<Option<Vec<String>>, InstallError> {
    crate::ssh::command::validate_remote_dir(dir).map_err(|e| failed(e.to_string()))?;
    for f in files {
        check_file_path(&f.path)?;
    }
    let installed = runner
        .sh(
            RemoteCommand::template(
                "if [ -f {} ]; then echo yes; else echo no; fi",
                &[&format!("{dir}/prometheus.yml")],
            ),
            None,
        )
        .await?;
    if installed.trim() != "yes" {
        return Ok(None);
    }
    let host = Host {
        r: runner,
        prefix: "/",
        dir,
        http_host: "",
        verify_timeout: Duration::ZERO,
        init: Init::Pidfile,
    };
    let changed = host.changed_files(files).await?;
    for f in files.iter().filter(|f| changed.contains(&f.path)) {
        runner
            .sh(
                RemoteCommand::template(
                    "umask 022; d={}; f={}; mkdir -p \"$(dirname \"$d/$f\")\" && cat > \"$d/$f.part\" && mv -f \"$d/$f.part\" \"$d/$f\"",
                    &[dir, &f.path],
                ),
                Some(f.text.as_bytes()),
            )
            .await?;
    }
    Ok(Some(changed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debian_versions_match_the_bundle() {
        assert!(version_matches("2.42.0", "2.42.0+ds"));
        assert!(version_matches("2.42.0+r2", "2.42.0+ds"));
        assert!(!version_matches("2.43.0", "2.42.0+ds"));
    }

    #[test]
    fn flags_carry_the_config() {
        let mut c = Config::default();
        c.prometheus.retention = "30d".into();
        c.prometheus.port = 9191;
        let args = StackComponent::Prometheus.args(&c, "/opt/aami/stack");
        assert!(args.contains(&"--storage.tsdb.retention.time=30d".to_string()));
        assert!(args.contains(&"--web.listen-address=:9191".to_string()));
        assert!(args.contains(&"--web.enable-lifecycle".to_string()));
        let am = StackComponent::Alertmanager.args(&c, "/opt/aami/stack");
        assert!(am.contains(&"--cluster.listen-address=".to_string()));
        assert!(check_flag_value("prometheus.retention", "15d").is_ok());
        assert!(check_flag_value("prometheus.retention", "15d --x").is_err());
        assert!(check_file_path("targets/node_exporter.json").is_ok());
        assert!(check_file_path("../etc/passwd").is_err());
        assert!(check_file_path(".previous/x").is_err());
    }
}
