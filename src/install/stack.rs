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
use crate::ssh::{RemoteCommand, quote};
use crate::stack::StackFile;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackComponent {
    Alertmanager,
    Prometheus,
}

impl StackComponent {
    /// Alertmanager first: Prometheus sends to it.
    pub const ALL: [Self; 2] = [Self::Alertmanager, Self::Prometheus];

    /// The name in bundles, folders and unit names.
    pub fn name(self) -> &'static str {
        match self {
            Self::Alertmanager => "alertmanager",
            Self::Prometheus => "prometheus",
        }
    }

    pub fn port(self, config: &Config) -> u16 {
        match self {
            Self::Alertmanager => config.alertmanager.port,
            Self::Prometheus => config.prometheus.port,
        }
    }

    pub fn storage(self, config: &Config) -> &str {
        match self {
            Self::Alertmanager => &config.alertmanager.storage_path,
            Self::Prometheus => &config.prometheus.storage_path,
        }
    }

    /// The config key naming its port, for messages.
    fn port_key(self) -> &'static str {
        match self {
            Self::Alertmanager => "alertmanager.port",
            Self::Prometheus => "prometheus.port",
        }
    }

    fn storage_key(self) -> &'static str {
        match self {
            Self::Alertmanager => "alertmanager.storage_path",
            Self::Prometheus => "prometheus.storage_path",
        }
    }

    /// Its command-line flags, reading its configuration from `dir`.
    /// Retention and storage are flags, not configuration; the lifecycle
    /// API makes `/-/reload` answer; Alertmanager runs alone (no cluster
    /// port).
    pub fn args(self, config: &Config, dir: &str) -> Vec<String> {
        let port = self.port(config);
        match self {
            Self::Prometheus => vec![
                format!("--config.file={dir}/prometheus.yml"),
                format!("--storage.tsdb.path={}", config.prometheus.storage_path),
                format!(
                    "--storage.tsdb.retention.time={}",
                    config.prometheus.retention
                ),
                format!("--web.listen-address=:{port}"),
                "--web.enable-lifecycle".into(),
            ],
            Self::Alertmanager => vec![
                format!("--config.file={dir}/alertmanager.yml"),
                format!("--storage.path={}", config.alertmanager.storage_path),
                format!("--web.listen-address=:{port}"),
                "--cluster.listen-address=".into(),
            ],
        }
    }

    /// The `*_build_info` family whose `version` label is what runs.
    fn build_info(self) -> &'static str {
        match self {
            Self::Alertmanager => "alertmanager_build_info",
            Self::Prometheus => "prometheus_build_info",
        }
    }

    /// Whether a change to the configuration file `path` needs this
    /// server reloaded. Target files need nothing: Prometheus watches them.
    pub fn reloads_for(self, path: &str) -> bool {
        match self {
            Self::Alertmanager => path == "alertmanager.yml",
            Self::Prometheus => path == "prometheus.yml" || path.starts_with("rules/"),
        }
    }
}

/// The unit's file name: `aami-<name>.service`.
pub fn unit_name(c: StackComponent) -> String {
    format!("aami-{}.service", c.name())
}

/// The system user the stack runs as under systemd.
pub const STACK_USER: &str = "aami-stack";

/// The hardened unit (as the exporters': no login shell, no new
/// privileges, a read-only system but its storage folder).
pub fn unit(c: StackComponent, config: &Config, prefix: &str, dir: &str) -> String {
    let name = c.name();
    let exec = std::iter::once(format!("{prefix}/{name}/current/{name}"))
        .chain(c.args(config, dir))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "# Written by aami-tui stack install; reinstalling replaces it.\n\
         [Unit]\n\
         Description=aami {name}\n\
         Wants=network-online.target\n\
         After=network-online.target\n\
         \n\
         [Service]\n\
         Type=simple\n\
         User={STACK_USER}\n\
         Group={STACK_USER}\n\
         ExecStart={exec}\n\
         ExecReload=/bin/kill -HUP $MAINPID\n\
         Restart=always\n\
         RestartSec=5s\n\
         TimeoutStopSec=60s\n\
         LimitNOFILE=65536\n\
         NoNewPrivileges=yes\n\
         ProtectSystem=strict\n\
         ReadWritePaths={storage}\n\
         ProtectHome=yes\n\
         PrivateTmp=yes\n\
         PrivateDevices=yes\n\
         ProtectProc=invisible\n\
         ProtectKernelTunables=yes\n\
         ProtectKernelModules=yes\n\
         ProtectKernelLogs=yes\n\
         ProtectControlGroups=yes\n\
         ProtectClock=yes\n\
         ProtectHostname=yes\n\
         RestrictNamespaces=yes\n\
         RestrictRealtime=yes\n\
         RestrictSUIDSGID=yes\n\
         LockPersonality=yes\n\
         SystemCallArchitectures=native\n\
         CapabilityBoundingSet=\n\
         \n\
         [Install]\n\
         WantedBy=multi-user.target\n",
        storage = c.storage(config),
    )
}

/// `run.sh` for a host without systemd: records its pid, then becomes the
/// server.
pub fn run_script(c: StackComponent, config: &Config, prefix: &str, dir: &str) -> String {
    let name = c.name();
    let exec = std::iter::once(format!("{prefix}/{name}/current/{name}"))
        .chain(c.args(config, dir))
        .map(|a| quote(&a))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "#!/bin/sh\n# Written by aami-tui stack install: runs {name} detached, its pid in run.pid.\necho $$ > {}\nexec {exec}\n",
        quote(&format!("{prefix}/{name}/run.pid")),
    )
}

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
            StackComponent::Prometheus => self.prometheus,
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

struct Host<'a> {
    r: &'a Runner,
    prefix: &'a str,
    dir: &'a str,
    http_host: &'a str,
    verify_timeout: Duration,
    init: Init,
}

impl Host<'_> {
    async fn sh(&self, cmd: RemoteCommand, input: Option<&[u8]>) -> Result<String, InstallError> {
        self.r.sh(cmd, input).await
    }

    fn cdir(&self, c: StackComponent) -> String {
        format!("{}/{}", self.prefix, c.name())
    }

    fn launcher_path(&self, c: StackComponent) -> String {
        match self.init {
            Init::Systemd => format!("/etc/systemd/system/{}", unit_name(c)),
            Init::Pidfile => format!("{}/run.sh", self.cdir(c)),
        }
    }

    fn launcher(&self, c: StackComponent, config: &Config) -> String {
        match self.init {
            Init::Systemd => unit(c, config, self.prefix, self.dir),
            Init::Pidfile => run_script(c, config, self.prefix, self.dir),
        }
    }

    fn url(&self, port: u16, path: &str) -> String {
        format!("http://{}{path}", host_port(self.http_host, port))
    }

    async fn init(&self) -> Result<Init, InstallError> {
        let out = self
            .sh(
                RemoteCommand::template(
                    "if [ -d /run/systemd/system ]; then echo systemd; else echo pidfile; fi",
                    &[],
                ),
                None,
            )
            .await?;
        Ok(if out.trim() == "systemd" {
            Init::Systemd
        } else {
            Init::Pidfile
        })
    }

    async fn state(&self, c: StackComponent) -> Result<State, InstallError> {
        let running = match self.init {
            Init::Systemd => RemoteCommand::template(
                "d={}; l={}; echo \"current=$(readlink \"$d/current\" 2>/dev/null)\"; \
                 echo \"previous=$(readlink \"$d/previous\" 2>/dev/null)\"; \
                 if systemctl is-active --quiet {}; then echo running=yes; else echo running=no; fi; \
                 echo \"launcher=$(sha256sum \"$l\" 2>/dev/null | cut -d' ' -f1)\"; \
                 echo \"port=$(grep -o 'web.listen-address=:[0-9]*' \"$l\" 2>/dev/null | head -n1 | cut -d: -f2)\"",
                &[&self.cdir(c), &self.launcher_path(c), &unit_name(c)],
            ),
            Init::Pidfile => RemoteCommand::template(
                "d={}; l={}; echo \"current=$(readlink \"$d/current\" 2>/dev/null)\"; \
                 echo \"previous=$(readlink \"$d/previous\" 2>/dev/null)\"; \
                 if [ -f \"$d/run.pid\" ] && kill -0 \"$(cat \"$d/run.pid\")\" 2>/dev/null; then echo running=yes; else echo running=no; fi; \
                 echo \"launcher=$(sha256sum \"$l\" 2>/dev/null | cut -d' ' -f1)\"; \
                 echo \"port=$(grep -o 'web.listen-address=:[0-9]*' \"$l\" 2>/dev/null | head -n1 | cut -d: -f2)\"",
                &[&self.cdir(c), &self.launcher_path(c)],
            ),
        };
        let out = self.sh(running, None).await?;
        let field = |name: &str| {
            out.lines()
                .find_map(|l| l.strip_prefix(name))
                .map(str::trim)
                .filter(|v| !v.is_empty())
        };
        let version = |name: &str| {
            field(name)
                .filter(|v| crate::ssh::validate_name("version", v).is_ok())
                .map(str::to_string)
        };
        Ok(State {
            current: version("current="),
            previous: version("previous="),
            running: field("running=") == Some("yes"),
            launcher_sum: field("launcher=").map(str::to_string),
            port: field("port=").and_then(|p| p.parse().ok()),
        })
    }

    async fn act(
        &self,
        job: &StackJob<'_>,
        progress: &mut (dyn FnMut(String) + Send),
    ) -> Result<StackReport, InstallError> {
        let config = job.config;
        let mut states = Vec::new();
        for c in StackComponent::ALL {
            states.push((c, self.state(c).await?));
        }
        // What each server needs, decided before anything is touched.
        let mut plans = Vec::new();
        for (c, state) in &states {
            let launcher = self.launcher(*c, config);
            let want = match (job.action, job.wanted(*c)) {
                (StackAction::Reload, _) => None,
                (_, Some(w)) => Some(w),
                (_, None) => return Err(failed(format!("no {} in the bundle", c.name()))),
            };
            if job.action == StackAction::Reload && state.current.is_none() {
                return Err(failed(format!(
                    "{} is not installed on {}: run `aami-tui stack install` first",
                    c.name(),
                    self.r.place()
                )));
            }
            let flags_changed =
                state.launcher_sum.as_deref() != Some(&sha256_hex(launcher.as_bytes()));
            let other_version = want.is_some_and(|w| state.current.as_deref() != Some(&w.version));
            let ready = state.running && self.ready_once(c.port(config)).await;
            let restart = other_version || flags_changed || !ready;
            if job.action == StackAction::Reload && restart {
                let why = if flags_changed {
                    "its port, storage path or retention changed"
                } else {
                    "it is not running"
                };
                return Err(failed(format!(
                    "{} needs a restart, not a reload ({why}): run `aami-tui stack upgrade`",
                    c.name()
                )));
            }
            plans.push(Plan {
                c: *c,
                old: state.clone(),
                want,
                launcher,
                restart,
                flags_changed,
            });
        }
        for p in plans.iter().filter(|p| p.restart) {
            self.preflight(p, config).await?;
        }
        // From here on, a failure undoes what was done.
        let mut changed = self.changed_files(job.files).await?;
        let stale = self.stale_files(job.files).await?;
        changed.extend(stale.iter().cloned());
        let mut undo: Vec<Undo> = Vec::new();
        let mut servers = Vec::new();
        let result = async {
            if !changed.is_empty() {
                self.upload_files(job.files, &changed).await?;
                progress(format!(
                    "configuration: {} written to {}",
                    changed.join(", "),
                    self.dir
                ));
            }
            for p in &plans {
                let change = self.apply(job, p, &changed, &mut undo, progress).await?;
                servers.push((p.c, change));
            }
            Ok::<(), InstallError>(())
        }
        .await;
        match result {
            Ok(()) => {
                self.forget_previous_files().await;
                Ok(StackReport {
                    changed_files: changed.into_iter().filter(|p| !stale.contains(p)).collect(),
                    removed_files: stale,
                    servers,
                })
            }
            Err(why) => Err(self.undo(why, config, &changed, undo).await),
        }
    }

    /// One server: switched and started, reloaded, or left alone.
    async fn apply(
        &self,
        job: &StackJob<'_>,
        p: &Plan<'_>,
        changed: &[String],
        undo: &mut Vec<Undo>,
        progress: &mut (dyn FnMut(String) + Send),
    ) -> Result<ServerChange, InstallError> {
        let config = job.config;
        let c = p.c;
        let port = c.port(config);
        let version = p
            .want
            .map(|w| w.version.clone())
            .or_else(|| p.old.current.clone())
            .unwrap_or_default();
        if p.restart {
            if let Some(w) = p.want {
                let bundle = job
                    .bundle
                    .ok_or_else(|| failed("no bundle to install from"))?;
                let bytes = bundle
                    .bytes(w)
                    .ok_or_else(|| failed(format!("{} is not in the bundle", w.path)))?;
                self.upload_binary(c, w, bytes, progress).await?;
            }
            undo.push(Undo::Switched {
                c,
                old: p.old.clone(),
            });
            self.stop(c).await?;
            self.save_launcher(c).await?;
            if let Some(old) = p.old.current.as_deref().filter(|v| *v != version) {
                self.link(c, "previous", old).await?;
            }
            self.link(c, "current", &version).await?;
            self.write_launcher(c, &p.launcher).await?;
            self.start(c).await?;
            self.wait_ready(c, port, &version, progress).await?;
            return Ok(if p.old.current.as_deref() == Some(version.as_str()) {
                ServerChange::Restarted {
                    version,
                    why: if !p.old.running {
                        "it was not running"
                    } else if p.flags_changed {
                        "new port, storage or retention"
                    } else {
                        "it was not ready"
                    },
                }
            } else {
                ServerChange::Installed {
                    version,
                    from: p.old.current.clone(),
                }
            });
        }
        if changed.iter().any(|f| c.reloads_for(f)) {
            undo.push(Undo::Reloaded(c));
            self.reload(c, port).await?;
            progress(format!("{} reloaded its configuration", c.name()));
            return Ok(ServerChange::Reloaded { version });
        }
        Ok(ServerChange::Unchanged { version })
    }

    /// Checks that can be made before anything changes: the port is free
    /// (or held by this same server, which is about to restart) and the
    /// storage folder can be written.
    async fn preflight(&self, p: &Plan<'_>, config: &Config) -> Result<(), InstallError> {
        let c = p.c;
        let port = c.port(config);
        let ours = p.old.running && p.old.port == Some(port);
        if !ours {
            let busy = self
                .sh(
                    RemoteCommand::template(
                        "p=$(printf ':%04X' {}); cat /proc/net/tcp /proc/net/tcp6 2>/dev/null | \
                         awk -v p=\"$p\" 'substr($2, length($2) - 4) == p && $4 == \"0A\" { f = 1 } END { print (f ? \"busy\" : \"free\") }'",
                        &[&port.to_string()],
                    ),
                    None,
                )
                .await?;
            if busy.trim() == "busy" {
                return Err(failed(format!(
                    "port {port} on {} is already in use by another program, so {} cannot listen there: \
                     stop that program (`ss -ltnp 'sport = :{port}'` shows which) or set {} to a free port; nothing was changed",
                    self.r.place(),
                    c.name(),
                    c.port_key()
                )));
            }
        }
        let storage = c.storage(config);
        let cmd = match self.init {
            Init::Systemd => RemoteCommand::template(
                "s={}; id -u {} >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin {}; \
                 mkdir -p \"$s\" && chown {} \"$s\" && t=\"$s/.aami-write-test\" && : > \"$t\" && rm -f \"$t\"",
                &[storage, STACK_USER, STACK_USER, STACK_USER],
            ),
            Init::Pidfile => RemoteCommand::template(
                "s={}; mkdir -p \"$s\" && t=\"$s/.aami-write-test\" && : > \"$t\" && rm -f \"$t\"",
                &[storage],
            ),
        };
        self.sh(cmd, None).await.map_err(|e| {
            failed(format!(
                "{} cannot write its storage folder {storage} ({e}): make it writable{}, or set {} to a folder that is; nothing was changed",
                c.name(),
                match self.init {
                    Init::Systemd => format!(" for {STACK_USER}"),
                    Init::Pidfile => String::new(),
                },
                c.storage_key()
            ))
        })?;
        Ok(())
    }

    /// The files whose text differs from what the host holds (or that it
    /// lacks).
    async fn changed_files(&self, files: &[StackFile]) -> Result<Vec<String>, InstallError> {
        let list: String = files.iter().map(|f| format!("{}\n", f.path)).collect();
        let out = self
            .sh(
                RemoteCommand::template(
                    "cd {} 2>/dev/null || exit 0; while IFS= read -r f; do sha256sum -- \"$f\" 2>/dev/null; done; true",
                    &[self.dir],
                ),
                Some(list.as_bytes()),
            )
            .await?;
        let there: std::collections::HashMap<&str, &str> = out
            .lines()
            .filter_map(|l| l.split_once("  "))
            .map(|(sum, path)| (path, sum))
            .collect();
        Ok(files
            .iter()
            .filter(|f| there.get(f.path.as_str()) != Some(&sha256_hex(f.text.as_bytes()).as_str()))
            .map(|f| f.path.clone())
            .collect())
    }

    /// Files in the folders Prometheus reads by pattern (`rules/*.yml`,
    /// `targets/*.json`) that the new set no longer has: left there, they
    /// would keep being loaded.
    async fn stale_files(&self, files: &[StackFile]) -> Result<Vec<String>, InstallError> {
        let out = self
            .sh(
                RemoteCommand::template(
                    "cd {} 2>/dev/null || exit 0; for f in rules/* targets/*; do [ -f \"$f\" ] && echo \"$f\"; done; true",
                    &[self.dir],
                ),
                None,
            )
            .await?;
        Ok(out
            .lines()
            .filter(|p| !p.ends_with(".part") && check_file_path(p).is_ok())
            .filter(|p| !files.iter().any(|f| f.path == *p))
            .map(str::to_string)
            .collect())
    }

    /// Writes the changed files, each beside itself then renamed over the
    /// old one, which is kept in `.previous/` (or marked absent).
    async fn upload_files(
        &self,
        files: &[StackFile],
        changed: &[String],
    ) -> Result<(), InstallError> {
        self.sh(
            RemoteCommand::template(
                "umask 022; mkdir -p {} && rm -rf {}",
                &[self.dir, &format!("{}/.previous", self.dir)],
            ),
            None,
        )
        .await?;
        for f in files.iter().filter(|f| changed.contains(&f.path)) {
            self.sh(
                RemoteCommand::template(
                    "umask 022; d={}; f={}; b=\"$d/.previous/$f\"; mkdir -p \"$(dirname \"$d/$f\")\" \"$(dirname \"$b\")\" && \
                     if [ -e \"$d/$f\" ]; then cp -p \"$d/$f\" \"$b\"; else : > \"$b.absent\"; fi && \
                     cat > \"$d/$f.part\" && mv -f \"$d/$f.part\" \"$d/$f\"",
                    &[self.dir, &f.path],
                ),
                Some(f.text.as_bytes()),
            )
            .await?;
        }
        for f in changed
            .iter()
            .filter(|p| !files.iter().any(|f| f.path == **p))
        {
            self.sh(
                RemoteCommand::template(
                    "d={}; f={}; b=\"$d/.previous/$f\"; mkdir -p \"$(dirname \"$b\")\" && mv -f \"$d/$f\" \"$b\"",
                    &[self.dir, f],
                ),
                None,
            )
            .await?;
        }
        Ok(())
    }

    /// Puts back the files `upload_files` replaced or removed.
    async fn restore_files(&self, changed: &[String]) -> Result<(), InstallError> {
        for f in changed {
            self.sh(
                RemoteCommand::template(
                    "d={}; f={}; b=\"$d/.previous/$f\"; if [ -e \"$b.absent\" ]; then rm -f \"$d/$f\"; \
                     elif [ -e \"$b\" ]; then mv -f \"$b\" \"$d/$f\"; fi",
                    &[self.dir, f],
                ),
                None,
            )
            .await?;
        }
        Ok(())
    }

    async fn forget_previous_files(&self) {
        let _ = self
            .sh(
                RemoteCommand::template("rm -rf {}", &[&format!("{}/.previous", self.dir)]),
                None,
            )
            .await;
    }

    /// Into `<version>/` unless already there with the bundle's sha256,
    /// checked on the host.
    async fn upload_binary(
        &self,
        c: StackComponent,
        w: &Component,
        bytes: &[u8],
        progress: &mut (dyn FnMut(String) + Send),
    ) -> Result<(), InstallError> {
        let vdir = format!("{}/{}", self.cdir(c), w.version);
        let bin = format!("{vdir}/{}", c.name());
        let there = self
            .sh(
                RemoteCommand::template("sha256sum {} 2>/dev/null; true", &[&bin]),
                None,
            )
            .await?;
        if there.split_whitespace().next() == Some(w.sha256.as_str()) {
            return Ok(());
        }
        let part = format!("{bin}.part");
        progress(format!("uploading {} ({} bytes)", w.path, w.size));
        self.sh(
            RemoteCommand::template("mkdir -p {} && cat > {}", &[&vdir, &part]),
            Some(bytes),
        )
        .await?;
        let sum = self
            .sh(RemoteCommand::template("sha256sum {}", &[&part]), None)
            .await?;
        let sum = sum.split_whitespace().next().unwrap_or("");
        if sum != w.sha256 {
            return Err(failed(format!(
                "the upload arrived damaged: sha256 on {} {}, the bundle says {}",
                self.r.place(),
                crate::text::sanitize_max(sum, 80),
                w.sha256
            )));
        }
        self.sh(
            RemoteCommand::template("chmod 755 {} && mv -f {} {}", &[&part, &part, &bin]),
            None,
        )
        .await?;
        progress(format!("sha256 checked on {}: {sum}", self.r.place()));
        Ok(())
    }

    async fn link(&self, c: StackComponent, name: &str, version: &str) -> Result<(), InstallError> {
        let link = format!("{}/{name}", self.cdir(c));
        self.sh(super::switch_link(&link, version), None)
            .await
            .map(|_| ())
    }

    /// Keeps the launcher as `<launcher>.previous` (or marks it absent).
    async fn save_launcher(&self, c: StackComponent) -> Result<(), InstallError> {
        self.sh(
            RemoteCommand::template(
                "l={}; rm -f \"$l.previous\" \"$l.absent\"; if [ -e \"$l\" ]; then cp -p \"$l\" \"$l.previous\"; else : > \"$l.absent\"; fi",
                &[&self.launcher_path(c)],
            ),
            None,
        )
        .await
        .map(|_| ())
    }

    async fn restore_launcher(&self, c: StackComponent) -> Result<(), InstallError> {
        let cmd = match self.init {
            // A unit that did not exist before is not left enabled.
            Init::Systemd => RemoteCommand::template(
                "l={}; if [ -e \"$l.absent\" ]; then systemctl disable {} >/dev/null 2>&1; rm -f \"$l\" \"$l.absent\"; \
                 elif [ -e \"$l.previous\" ]; then mv -f \"$l.previous\" \"$l\"; fi; systemctl daemon-reload",
                &[&self.launcher_path(c), &unit_name(c)],
            ),
            Init::Pidfile => RemoteCommand::template(
                "l={}; if [ -e \"$l.absent\" ]; then rm -f \"$l\" \"$l.absent\"; elif [ -e \"$l.previous\" ]; then mv -f \"$l.previous\" \"$l\"; fi",
                &[&self.launcher_path(c)],
            ),
        };
        self.sh(cmd, None).await.map(|_| ())
    }

    async fn write_launcher(&self, c: StackComponent, text: &str) -> Result<(), InstallError> {
        let cmd = match self.init {
            Init::Systemd => RemoteCommand::template(
                "id -u {} >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin {}; \
                 cat > {} && systemctl daemon-reload && systemctl enable {} >/dev/null",
                &[
                    STACK_USER,
                    STACK_USER,
                    &self.launcher_path(c),
                    &unit_name(c),
                ],
            ),
            Init::Pidfile => RemoteCommand::template(
                "mkdir -p {} && cat > {}",
                &[&self.cdir(c), &self.launcher_path(c)],
            ),
        };
        self.sh(cmd, Some(text.as_bytes())).await.map(|_| ())
    }

    async fn start(&self, c: StackComponent) -> Result<(), InstallError> {
        let cmd = match self.init {
            Init::Systemd => RemoteCommand::template("systemctl restart {}", &[&unit_name(c)]),
            // Returns once the detached script has written its pid, so
            // the liveness checks that follow read this run's pidfile.
            Init::Pidfile => RemoteCommand::template(
                "d={}; rm -f \"$d/run.pid\"; setsid -f sh \"$d/run.sh\" >> \"$d/log\" 2>&1 < /dev/null; \
                 i=0; while [ ! -s \"$d/run.pid\" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; true",
                &[&self.cdir(c)],
            ),
        };
        self.sh(cmd, None).await.map(|_| ())
    }

    /// Stops the server and waits for it to exit (Prometheus holds a lock
    /// on its storage until it has).
    async fn stop(&self, c: StackComponent) -> Result<(), InstallError> {
        let cmd = match self.init {
            Init::Systemd => {
                RemoteCommand::template("systemctl stop {} 2>/dev/null || true", &[&unit_name(c)])
            }
            Init::Pidfile => RemoteCommand::template(
                "f={}; if [ -f \"$f\" ]; then p=$(cat \"$f\"); kill \"$p\" 2>/dev/null; i=0; \
                 while kill -0 \"$p\" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i+1)); done; \
                 kill -9 \"$p\" 2>/dev/null; rm -f \"$f\"; fi; true",
                &[&format!("{}/run.pid", self.cdir(c))],
            ),
        };
        self.sh(cmd, None).await.map(|_| ())
    }

    /// Whether it is alive, with its last log lines.
    async fn alive(&self, c: StackComponent) -> Result<(bool, String), InstallError> {
        let cmd = match self.init {
            Init::Systemd => RemoteCommand::template(
                "systemctl is-active --quiet {} && echo alive || echo dead; journalctl -u {} -n 4 --no-pager -q 2>/dev/null || true",
                &[&unit_name(c), &unit_name(c)],
            ),
            Init::Pidfile => RemoteCommand::template(
                "d={}; if [ -f \"$d/run.pid\" ] && kill -0 \"$(cat \"$d/run.pid\")\" 2>/dev/null; then echo alive; else echo dead; fi; tail -n 4 \"$d/log\" 2>/dev/null || true",
                &[&self.cdir(c)],
            ),
        };
        let out = self.sh(cmd, None).await?;
        let mut lines = out.lines();
        let alive = lines.next() == Some("alive");
        Ok((
            alive,
            crate::text::sanitize_max(&lines.collect::<Vec<_>>().join(" | "), 400),
        ))
    }

    async fn ready_once(&self, port: u16) -> bool {
        crate::sources::http::client()
            .get(self.url(port, "/-/ready"))
            .timeout(Duration::from_secs(3))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
    }

    /// Waits for `/-/ready`, then checks the version it reports.
    async fn wait_ready(
        &self,
        c: StackComponent,
        port: u16,
        version: &str,
        progress: &mut (dyn FnMut(String) + Send),
    ) -> Result<(), InstallError> {
        let url = self.url(port, "/-/ready");
        let client = crate::sources::http::client();
        let deadline = Instant::now() + self.verify_timeout;
        let mut last;
        loop {
            match client
                .get(&url)
                .timeout(Duration::from_secs(3))
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => break,
                Ok(r) => last = format!("HTTP {}", r.status()),
                Err(e) => last = crate::text::sanitize_max(&e.to_string(), 120),
            }
            let (alive, log) = self.alive(c).await?;
            if !alive {
                return Err(failed(format!(
                    "{} {version} exited instead of becoming ready{}; its log: {log}",
                    c.name(),
                    exit_hint(&log, c, port)
                )));
            }
            if Instant::now() >= deadline {
                return Err(failed(format!(
                    "{} {version} did not become ready within {}s ({url}: {last}): it is running but not ready \
                     (a long storage replay can take this long: give --verify-timeout more seconds)",
                    c.name(),
                    self.verify_timeout.as_secs()
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        let page = client
            .get(self.url(port, "/metrics"))
            .timeout(Duration::from_secs(5))
            .send()
            .await
            .map_err(|e| failed(format!("{} /metrics: {e}", c.name())))?
            .text()
            .await
            .unwrap_or_default();
        match super::component::reported_version(&page, c.build_info()) {
            Some(v) if version_matches(version, &v) => {}
            Some(v) => {
                return Err(failed(format!(
                    "{} reports version {}, the bundle says {version}",
                    c.name(),
                    crate::text::sanitize_max(&v, 40)
                )));
            }
            None => {
                return Err(failed(format!(
                    "{} answers but its /metrics has no {}",
                    c.name(),
                    c.build_info()
                )));
            }
        }
        progress(format!("{} {version} ready on port {port}", c.name()));
        Ok(())
    }

    /// `POST /-/reload`; the server keeps its old configuration when it
    /// refuses the new one, and says why.
    async fn reload(&self, c: StackComponent, port: u16) -> Result<(), InstallError> {
        let url = self.url(port, "/-/reload");
        let r = crate::sources::http::client()
            .post(&url)
            .timeout(Duration::from_secs(30))
            .send()
            .await
            .map_err(|e| {
                failed(format!(
                    "{}: {url}: {}",
                    c.name(),
                    crate::text::sanitize_max(&e.to_string(), 160)
                ))
            })?;
        if r.status().is_success() {
            return Ok(());
        }
        let status = r.status();
        let body = r.text().await.unwrap_or_default();
        let hint = if status.as_u16() == 403 {
            " (the lifecycle API is off: it was not started by aami; run `aami-tui stack upgrade` to restart it with --web.enable-lifecycle)"
        } else {
            ""
        };
        Err(failed(format!(
            "{} refused the new configuration (HTTP {status}): {}{hint}",
            c.name(),
            crate::text::sanitize_max(body.trim(), 400)
        )))
    }

    /// Undoes `undo` after `why`: files first (so a restarted or reloaded
    /// server reads the old ones), then each step in reverse.
    async fn undo(
        &self,
        why: InstallError,
        config: &Config,
        changed: &[String],
        undo: Vec<Undo>,
    ) -> InstallError {
        let mut done = Vec::new();
        let mut trouble = Vec::new();
        let any_ran = undo.iter().any(|u| match u {
            Undo::Switched { old, .. } => old.running,
            Undo::Reloaded(_) => true,
        });
        if !changed.is_empty() {
            match self.restore_files(changed).await {
                Ok(()) => done.push("the previous configuration files are back".to_string()),
                Err(e) => trouble.push(format!("restoring the configuration files: {e}")),
            }
        }
        for step in undo.into_iter().rev() {
            match step {
                Undo::Reloaded(c) => match self.reload(c, c.port(config)).await {
                    Ok(()) => done.push(format!("{} reloaded them", c.name())),
                    Err(e) => trouble.push(e.to_string()),
                },
                Undo::Switched { c, old } => match self.switch_back(c, &old, config).await {
                    Ok(Some(line)) => done.push(line),
                    Ok(None) => done.push(format!(
                        "{} was not running before and is stopped",
                        c.name()
                    )),
                    Err(e) => trouble.push(format!("putting {} back: {e}", c.name())),
                },
            }
        }
        let mut text = why.to_string();
        if !done.is_empty() {
            text.push_str("; rolled back: ");
            text.push_str(&done.join(", "));
        }
        self.forget_previous_files().await;
        if trouble.is_empty() {
            text.push_str(if any_ran {
                "; the previous stack is running"
            } else {
                "; nothing ran before, so nothing runs now"
            });
        } else {
            text.push_str("; rolling back failed too: ");
            text.push_str(&trouble.join("; "));
        }
        failed(text)
    }

    /// Back to the version and launcher in `old`, started again if it ran.
    async fn switch_back(
        &self,
        c: StackComponent,
        old: &State,
        config: &Config,
    ) -> Result<Option<String>, InstallError> {
        self.stop(c).await?;
        self.restore_launcher(c).await?;
        let Some(v) = old.current.as_deref() else {
            self.sh(
                RemoteCommand::template("rm -f {}", &[&format!("{}/current", self.cdir(c))]),
                None,
            )
            .await?;
            return Ok(None);
        };
        self.link(c, "current", v).await?;
        match old.previous.as_deref() {
            Some(p) => self.link(c, "previous", p).await?,
            None => {
                self.sh(
                    RemoteCommand::template("rm -f {}", &[&format!("{}/previous", self.cdir(c))]),
                    None,
                )
                .await?;
            }
        }
        if !old.running {
            return Ok(None);
        }
        self.start(c).await?;
        let port = old.port.unwrap_or(c.port(config));
        let mut quiet = |_: String| {};
        self.wait_ready(c, port, v, &mut quiet).await?;
        Ok(Some(format!("{} {v} is running and ready", c.name())))
    }
}

struct Plan<'a> {
    c: StackComponent,
    old: State,
    want: Option<&'a Component>,
    launcher: String,
    restart: bool,
    flags_changed: bool,
}

/// What a log tail says about why the server exited.
fn exit_hint(log: &str, c: StackComponent, port: u16) -> String {
    let l = log.to_ascii_lowercase();
    if l.contains("address already in use") {
        format!(
            " (port {port} is in use: stop what holds it or set {} to a free port)",
            c.port_key()
        )
    } else if l.contains("permission denied") || l.contains("read-only file system") {
        format!(
            " (it cannot write a file it needs: check {} and the configuration folder's permissions)",
            c.storage_key()
        )
    } else if l.contains("lock") && l.contains("storage") {
        " (another Prometheus holds the storage folder's lock)".into()
    } else {
        String::new()
    }
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
