//! Install, upgrade, uninstall, verify and roll back exporters on nodes
//! over SSH, from a verified bundle only.
//!
//! On the node: `<prefix>/<component>/<version>/<component>`, a `current`
//! link switched atomically (`ln -sfn` + `mv -T`) and a `previous` link for
//! rollback. With systemd, a hardened unit ([`unit`]); without, the
//! exporter runs detached from `run.sh`, which writes `run.pid`, and stop,
//! start and verify use that pidfile. Any failure after the switch puts
//! the previous version back, restarts it and says why.

pub mod component;
pub mod dcgm;
pub mod runner;
pub mod stack;
pub mod unit;
mod upload;

use std::time::{Duration, Instant};

use crate::bundle::{Bundle, Component};
use crate::config::NodeConfig;
use crate::ssh::{RemoteCommand, Session, SshError, SshOptions, SshTarget, quote};
pub use component::ComponentKind;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    Install,
    Upgrade,
    Uninstall,
    Verify,
    Rollback,
}

/// Starts `run.sh` in the folder given as the one argument, detached
/// (`setsid -f`), and returns once the script has written this run's pid:
/// the liveness checks that follow must not read a missing or stale
/// pidfile (under load the detached shell can be slower than the first
/// verify round trip, and a starting exporter was then reported as exited).
pub(crate) const DETACHED_START: &str = "d={}; rm -f \"$d/run.pid\"; setsid -f sh \"$d/run.sh\" >> \"$d/log\" 2>&1 < /dev/null; \
     i=0; while [ ! -s \"$d/run.pid\" ] && [ $i -lt 100 ]; do sleep 0.05; i=$((i+1)); done; true";

impl Action {
    pub fn name(self) -> &'static str {
        match self {
            Self::Install => "install",
            Self::Upgrade => "upgrade",
            Self::Uninstall => "uninstall",
            Self::Verify => "verify",
            Self::Rollback => "rollback",
        }
    }
}

/// What happened on one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Installed {
        version: String,
        from: Option<String>,
    },
    Unchanged {
        version: String,
    },
    Uninstalled {
        version: Option<String>,
    },
    Verified {
        version: String,
    },
    RolledBack {
        from: String,
        to: String,
    },
}

impl Outcome {
    /// The version left running on the node; `None` once uninstalled.
    pub fn running_version(&self) -> Option<&str> {
        match self {
            Self::Installed { version, .. }
            | Self::Unchanged { version }
            | Self::Verified { version } => Some(version),
            Self::RolledBack { to, .. } => Some(to),
            Self::Uninstalled { .. } => None,
        }
    }

    /// What was done, in a word or two (an unchanged install verified
    /// what runs).
    pub fn word(&self) -> &'static str {
        match self {
            Self::Installed { from: None, .. } => "installed",
            Self::Installed { from: Some(_), .. } => "upgraded",
            Self::Unchanged { .. } | Self::Verified { .. } => "verified",
            Self::RolledBack { .. } => "rolled back",
            Self::Uninstalled { .. } => "uninstalled",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Installed {
                version,
                from: None,
            } => write!(f, "installed {version}"),
            Self::Installed {
                version,
                from: Some(old),
            } => write!(f, "upgraded {old} → {version}"),
            Self::Unchanged { version } => write!(f, "unchanged ({version})"),
            Self::Uninstalled { version } => match version {
                Some(v) => write!(f, "uninstalled {v}"),
                None => write!(f, "not installed; nothing to remove"),
            },
            Self::Verified { version } => write!(f, "verified {version}"),
            Self::RolledBack { from, to } => write!(f, "rolled back {from} → {to}"),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum InstallError {
    #[error(transparent)]
    Ssh(#[from] SshError),
    #[error("{0}")]
    Failed(String),
}

/// Points `link` at `target` atomically: a new link beside it, renamed
/// over it (`ln -sfn` alone unlinks first, leaving a moment with none).
pub(crate) fn switch_link(link: &str, target: &str) -> RemoteCommand {
    let tmp = format!("{link}.new");
    RemoteCommand::template("ln -sfn {} {} && mv -Tf {} {}", &[target, &tmp, &tmp, link])
}

fn failed(msg: impl Into<String>) -> InstallError {
    InstallError::Failed(msg.into())
}

/// Everything one action on one node needs.
pub struct Job<'a> {
    pub action: Action,
    pub kind: ComponentKind,
    pub node: &'a NodeConfig,
    pub prefix: &'a str,
    /// The bundle entry to install (install/upgrade).
    pub component: Option<&'a Component>,
    pub bundle: Option<&'a Bundle>,
    pub ssh: &'a SshOptions,
    /// How long an exporter gets to answer after a start.
    pub verify_timeout: Duration,
    /// dcgm-exporter on a node without DCGM: install the bundle's DCGM
    /// packages (the operator said so) instead of stopping.
    pub install_dcgm: bool,
}

/// Runs `job`, with progress lines sent to `progress`.
pub async fn run(
    job: &Job<'_>,
    progress: &mut (dyn FnMut(String) + Send),
) -> Result<Outcome, InstallError> {
    crate::ssh::validate_name("node name", &job.node.name).map_err(|e| failed(e.to_string()))?;
    crate::ssh::command::validate_remote_dir(job.prefix).map_err(|e| failed(e.to_string()))?;
    let port = job.kind.port(job.node).ok_or_else(|| {
        failed(format!(
            "no port for {} on {} (exporters.{} is off)",
            job.kind.name(),
            job.node.name,
            match job.kind {
                ComponentKind::NodeExporter => "node",
                ComponentKind::DcgmExporter => "dcgm",
                ComponentKind::AllSmi => "all_smi",
            }
        ))
    })?;
    let target = SshTarget::from_node(job.node);
    let session = Session::connect(&target, job.ssh).await?;
    let node = Node {
        s: &session,
        kind: job.kind,
        dir: format!("{}/{}", job.prefix, job.kind.name()),
        prefix: job.prefix,
        port,
        address: job.node.ip.clone(),
        name: &job.node.name,
        verify_timeout: job.verify_timeout,
        reconnect: (&target, job.ssh),
        switched: std::sync::atomic::AtomicBool::new(false),
    };
    let result = node.act(job, progress).await;
    session.close().await;
    result
}

struct Node<'a> {
    s: &'a Session,
    kind: ComponentKind,
    /// `<prefix>/<component>`.
    dir: String,
    prefix: &'a str,
    port: u16,
    address: String,
    /// The node's name, for the command a failure tells the operator to run.
    name: &'a str,
    verify_timeout: Duration,
    /// How to reach the node again when the connection is lost.
    reconnect: (&'a SshTarget, &'a SshOptions),
    /// `current` points at the new version (a rollback's links are then
    /// right for `aami-tui rollback`).
    switched: std::sync::atomic::AtomicBool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Init {
    Systemd,
    Pidfile,
}

impl upload::Shell for Node<'_> {
    fn run(
        &self,
        cmd: RemoteCommand,
        input: Option<&[u8]>,
    ) -> impl std::future::Future<Output = Result<String, InstallError>> + Send {
        self.sh(cmd, input)
    }
}

impl Node<'_> {
    async fn sh(&self, cmd: RemoteCommand, input: Option<&[u8]>) -> Result<String, InstallError> {
        let out = self.s.exec_privileged(&cmd, input).await?;
        if !out.success() {
            return Err(failed(format!(
                "on the node: {}",
                crate::text::sanitize_max(out.stderr.trim(), 300)
            )));
        }
        Ok(out.stdout)
    }

    async fn state(&self) -> Result<(Init, Option<String>, Option<String>), InstallError> {
        let out = self
            .sh(
                RemoteCommand::template(
                    "if [ -d /run/systemd/system ]; then echo systemd; else echo pidfile; fi; \
                     d={}; echo \"current=$(readlink \"$d/current\" 2>/dev/null)\"; \
                     echo \"previous=$(readlink \"$d/previous\" 2>/dev/null)\"",
                    &[&self.dir],
                ),
                None,
            )
            .await?;
        let mut lines = out.lines();
        let init = match lines.next() {
            Some("systemd") => Init::Systemd,
            _ => Init::Pidfile,
        };
        let mut field = |name: &str| {
            lines
                .next()
                .and_then(|l| l.strip_prefix(name))
                .map(str::trim)
                .filter(|v| crate::ssh::validate_name("version", v).is_ok())
                .map(str::to_string)
        };
        let current = field("current=");
        let previous = field("previous=");
        Ok((init, current, previous))
    }

    async fn act(
        &self,
        job: &Job<'_>,
        progress: &mut (dyn FnMut(String) + Send),
    ) -> Result<Outcome, InstallError> {
        let (init, current, previous) = self.state().await?;
        progress(format!(
            "init: {}; current: {}",
            match init {
                Init::Systemd => "systemd",
                Init::Pidfile => "none (pidfile)",
            },
            current.as_deref().unwrap_or("none")
        ));
        match job.action {
            Action::Verify => {
                let v = current
                    .ok_or_else(|| failed(format!("{} is not installed", self.kind.name())))?;
                self.verify(init, &v).await?;
                Ok(Outcome::Verified { version: v })
            }
            Action::Uninstall => {
                self.stop(init).await?;
                self.sh(
                    RemoteCommand::template(
                        "rm -f /etc/systemd/system/{}; rm -rf {}",
                        &[&unit::unit_name(self.kind), &self.dir],
                    ),
                    None,
                )
                .await?;
                if init == Init::Systemd {
                    self.sh(
                        RemoteCommand::template("systemctl daemon-reload", &[]),
                        None,
                    )
                    .await?;
                }
                Ok(Outcome::Uninstalled { version: current })
            }
            Action::Rollback => {
                let from = current
                    .ok_or_else(|| failed(format!("{} is not installed", self.kind.name())))?;
                let to = previous.ok_or_else(|| failed("no previous version to roll back to"))?;
                self.stop(init).await?;
                self.link("current", &to).await?;
                self.link("previous", &from).await?;
                self.start(init).await?;
                self.verify(init, &to).await?;
                Ok(Outcome::RolledBack { from, to })
            }
            Action::Install | Action::Upgrade => {
                let (Some(c), Some(bundle)) = (job.component, job.bundle) else {
                    return Err(failed("no bundle component to install"));
                };
                if current.as_deref() == Some(c.version.as_str())
                    && self.verify(init, &c.version).await.is_ok()
                {
                    return Ok(Outcome::Unchanged {
                        version: c.version.clone(),
                    });
                }
                if self.kind == ComponentKind::DcgmExporter {
                    self.ensure_dcgm(bundle, job.install_dcgm, progress).await?;
                }
                let bytes = bundle
                    .bytes(c)
                    .ok_or_else(|| failed(format!("{} is not in the bundle", c.path)))?;
                // Nothing has been stopped or switched yet: what ran keeps
                // running, and the message says so.
                if let Err(e) = self.upload(c, bytes, progress).await {
                    return Err(match current.as_deref() {
                        Some(v) => failed(format!(
                            "upload of {} failed: {e}; nothing was switched, {v} keeps running",
                            c.version
                        )),
                        None => failed(format!("upload of {} failed: {e}", c.version)),
                    });
                }
                match self.switch_to(init, c, current.as_deref(), progress).await {
                    Ok(()) => Ok(Outcome::Installed {
                        version: c.version.clone(),
                        from: current.filter(|v| *v != c.version),
                    }),
                    Err(why) => Err(self
                        .roll_back_after(init, why, current.as_deref(), previous.as_deref())
                        .await),
                }
            }
        }
    }

    /// Uploads into `<version>/` and checks the node's own sha256.
    async fn upload(
        &self,
        c: &Component,
        bytes: &[u8],
        progress: &mut (dyn FnMut(String) + Send),
    ) -> Result<(), InstallError> {
        let vdir = format!("{}/{}", self.dir, c.version);
        upload::upload_checked(
            self,
            &vdir,
            self.kind.name(),
            c,
            bytes,
            "the node",
            progress,
        )
        .await
    }

    async fn switch_to(
        &self,
        init: Init,
        c: &Component,
        current: Option<&str>,
        progress: &mut (dyn FnMut(String) + Send),
    ) -> Result<(), InstallError> {
        self.stop(init).await?;
        if let Some(old) = current.filter(|v| *v != c.version) {
            self.link("previous", old).await?;
        }
        self.link("current", &c.version).await?;
        self.switched
            .store(true, std::sync::atomic::Ordering::Relaxed);
        progress(format!("current → {}", c.version));
        self.configure(init).await?;
        self.start(init).await?;
        self.verify(init, &c.version).await?;
        progress(format!(
            "{} answers on port {}",
            self.kind.name(),
            self.port
        ));
        Ok(())
    }

    /// After a failed switch: back to what ran before, restarted. When the
    /// connection is lost (the old version may be stopped by then), the
    /// node is connected to again, with the executor's retries and backoff,
    /// to roll back; when it stays unreachable, the failure says so and
    /// names the command that finishes the job.
    async fn roll_back_after(
        &self,
        init: Init,
        why: InstallError,
        current: Option<&str>,
        previous: Option<&str>,
    ) -> InstallError {
        let Some(old) = current else {
            let _ = self.stop(init).await;
            return failed(format!("{why}; nothing ran before, so it is stopped"));
        };
        let restored = match self.restore(init, old, previous).await {
            Err(InstallError::Ssh(lost)) => {
                let (target, opts) = self.reconnect;
                match Session::connect(target, opts).await {
                    Ok(session) => {
                        let again = Node {
                            s: &session,
                            kind: self.kind,
                            dir: self.dir.clone(),
                            prefix: self.prefix,
                            port: self.port,
                            address: self.address.clone(),
                            name: self.name,
                            verify_timeout: self.verify_timeout,
                            reconnect: self.reconnect,
                            switched: std::sync::atomic::AtomicBool::new(false),
                        };
                        let r = again.restore(init, old, previous).await;
                        session.close().await;
                        r.map(|()| format!(" (connected again after: {lost})"))
                    }
                    Err(e) => {
                        let fix = if self.switched.load(std::sync::atomic::Ordering::Relaxed) {
                            format!(
                                "aami-tui rollback {} --node {}",
                                self.kind.name(),
                                self.name
                            )
                        } else {
                            format!(
                                "aami-tui install {} --node {} --version {old} --bundle BUNDLE",
                                self.kind.name(),
                                self.name
                            )
                        };
                        return failed(format!(
                            "{why}; rolling back to {old} needs the node, which is unreachable ({e}): {old} may be stopped; when the node answers again, run `{fix}`"
                        ));
                    }
                }
            }
            other => other.map(|()| String::new()),
        };
        match restored {
            Ok(again) => failed(format!(
                "{why}; rolled back to {old}, which is running{again}"
            )),
            Err(e) => failed(format!("{why}; rolling back to {old} failed too: {e}")),
        }
    }

    /// `current` back to `old` (and `previous` to what it was), started
    /// and verified.
    async fn restore(
        &self,
        init: Init,
        old: &str,
        previous: Option<&str>,
    ) -> Result<(), InstallError> {
        self.stop(init).await?;
        self.link("current", old).await?;
        if let Some(p) = previous {
            self.link("previous", p).await?;
        }
        self.start(init).await?;
        self.verify(init, old).await
    }

    async fn link(&self, name: &str, version: &str) -> Result<(), InstallError> {
        let link = format!("{}/{name}", self.dir);
        self.sh(switch_link(&link, version), None).await.map(|_| ())
    }

    /// The unit (systemd) or the run script (pidfile).
    async fn configure(&self, init: Init) -> Result<(), InstallError> {
        match init {
            Init::Systemd => {
                let text = unit::render(self.kind, self.prefix, self.port);
                self.sh(
                    RemoteCommand::template(
                        "id -u {} >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin {}; \
                         cat > /etc/systemd/system/{} && systemctl daemon-reload && systemctl enable {} >/dev/null",
                        &[
                            unit::SERVICE_USER,
                            unit::SERVICE_USER,
                            &unit::unit_name(self.kind),
                            &unit::unit_name(self.kind),
                        ],
                    ),
                    Some(text.as_bytes()),
                )
                .await?;
            }
            Init::Pidfile => {
                let exec = std::iter::once(format!("{}/current/{}", self.dir, self.kind.name()))
                    .chain(self.kind.listen_args(self.port))
                    .map(|a| quote(&a))
                    .collect::<Vec<_>>()
                    .join(" ");
                let script = format!(
                    "#!/bin/sh\n# Written by aami-tui: runs {} detached, its pid in run.pid.\necho $$ > {}\nexec {exec}\n",
                    self.kind.name(),
                    quote(&format!("{}/run.pid", self.dir)),
                );
                self.sh(
                    RemoteCommand::template("cat > {}", &[&format!("{}/run.sh", self.dir)]),
                    Some(script.as_bytes()),
                )
                .await?;
            }
        }
        Ok(())
    }

    async fn start(&self, init: Init) -> Result<(), InstallError> {
        let cmd = match init {
            Init::Systemd => {
                RemoteCommand::template("systemctl restart {}", &[&unit::unit_name(self.kind)])
            }
            Init::Pidfile => RemoteCommand::template(DETACHED_START, &[&self.dir]),
        };
        self.sh(cmd, None).await.map(|_| ())
    }

    async fn stop(&self, init: Init) -> Result<(), InstallError> {
        let cmd = match init {
            Init::Systemd => RemoteCommand::template(
                "systemctl stop {} 2>/dev/null || true",
                &[&unit::unit_name(self.kind)],
            ),
            Init::Pidfile => RemoteCommand::template(
                "f={}; if [ -f \"$f\" ]; then p=$(cat \"$f\"); kill \"$p\" 2>/dev/null; i=0; \
                 while kill -0 \"$p\" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i+1)); done; \
                 kill -9 \"$p\" 2>/dev/null; rm -f \"$f\"; fi; true",
                &[&format!("{}/run.pid", self.dir)],
            ),
        };
        self.sh(cmd, None).await.map(|_| ())
    }

    /// Whether the exporter is alive on the node (for a fast failure when
    /// it exits at once), with its last log lines.
    async fn alive(&self, init: Init) -> Result<(bool, String), InstallError> {
        let cmd = match init {
            Init::Systemd => RemoteCommand::template(
                "systemctl is-active --quiet {} && echo alive || echo dead; journalctl -u {} -n 3 --no-pager -q 2>/dev/null || true",
                &[&unit::unit_name(self.kind), &unit::unit_name(self.kind)],
            ),
            Init::Pidfile => RemoteCommand::template(
                "d={}; if [ -f \"$d/run.pid\" ] && kill -0 \"$(cat \"$d/run.pid\")\" 2>/dev/null; then echo alive; else echo dead; fi; tail -n 3 \"$d/log\" 2>/dev/null || true",
                &[&self.dir],
            ),
        };
        let out = self.sh(cmd, None).await?;
        let mut lines = out.lines();
        let alive = lines.next() == Some("alive");
        Ok((
            alive,
            crate::text::sanitize_max(&lines.collect::<Vec<_>>().join(" | "), 300),
        ))
    }

    /// The port answers with the expected families and version.
    async fn verify(&self, init: Init, version: &str) -> Result<(), InstallError> {
        let url = format!("http://{}/metrics", host_port(&self.address, self.port));
        let client = crate::sources::http::client();
        let deadline = Instant::now() + self.verify_timeout;
        let mut last = String::from("no answer yet");
        while Instant::now() < deadline {
            match client
                .get(&url)
                .timeout(Duration::from_secs(5))
                .send()
                .await
            {
                Ok(r) if r.status().is_success() => {
                    let page = r.text().await.unwrap_or_default();
                    return check_page(self.kind, &page, version);
                }
                Ok(r) => last = format!("HTTP {}", r.status()),
                Err(e) => last = crate::text::sanitize_max(&e.to_string(), 120),
            }
            let (alive, log) = self.alive(init).await?;
            if !alive {
                return Err(failed(format!(
                    "{} {version} is not running (it exited); its log: {log}",
                    self.kind.name()
                )));
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        Err(failed(format!(
            "{url} did not answer within {}s: {last}",
            self.verify_timeout.as_secs()
        )))
    }
}

fn host_port(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    }
}

/// The page has one of the expected families and, where the exporter
/// reports it, the bundle's version.
pub fn check_page(kind: ComponentKind, page: &str, version: &str) -> Result<(), InstallError> {
    let has = |family: &str| {
        page.lines().any(|l| {
            l.strip_prefix(family)
                .is_some_and(|r| r.starts_with(['{', ' ']))
        })
    };
    if !kind.expected_families().iter().any(|f| has(f)) {
        return Err(failed(format!(
            "the page has no {}",
            kind.expected_families().join(" or ")
        )));
    }
    if let Some(info) = kind.build_info() {
        match component::reported_version(page, info) {
            Some(v) if component::version_matches(version, &v) => {}
            Some(v) => {
                return Err(failed(format!(
                    "it reports version {}, the bundle says {version}",
                    crate::text::sanitize_max(&v, 40)
                )));
            }
            None => return Err(failed(format!("the page has no {info}"))),
        }
    }
    Ok(())
}
