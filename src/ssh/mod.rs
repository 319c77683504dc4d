//! SSH work (russh): run a command on a node and read its output. Host keys
//! are trusted on first use and pinned in a known_hosts file; a changed key
//! is refused and named, never silently accepted. Only a host the file does
//! not name is trusted on first use: a known_hosts file that cannot be read
//! or does not parse refuses every connection (see [`known_hosts`]).

pub mod known_hosts;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::ChannelMsg;
use russh::client;
use russh::keys::{PrivateKeyWithHashAlg, PublicKeyOrCertificate};

/// Where and as whom to connect.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SshTarget {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub key: PathBuf,
}

impl SshTarget {
    /// From a configured node: `ssh_user` (default root), `ssh_port` (22),
    /// `ssh_key` (`~/.ssh/id_ed25519`), `~` expanded.
    pub fn from_node(n: &crate::config::NodeConfig) -> Self {
        let key = n
            .ssh_key
            .clone()
            .unwrap_or_else(|| "~/.ssh/id_ed25519".into());
        let key = match key.strip_prefix("~/") {
            Some(rest) => std::env::var_os("HOME")
                .map(PathBuf::from)
                .unwrap_or_default()
                .join(rest),
            None => PathBuf::from(key),
        };
        Self {
            host: n.ip.clone(),
            port: n.ssh_port.unwrap_or(22),
            user: n.ssh_user.clone().unwrap_or_else(|| "root".into()),
            key,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SshError {
    #[error("cannot connect to {host}:{port}: {reason}")]
    Connect {
        host: String,
        port: u16,
        reason: String,
    },
    #[error("timeout after {:.0}s", .0.as_secs_f64())]
    Timeout(Duration),
    #[error(
        "host key for {host}:{port} CHANGED (known_hosts {known_hosts} line {line}): refusing to connect; if the node was reinstalled, remove that line"
    )]
    HostKeyChanged {
        host: String,
        port: u16,
        known_hosts: String,
        line: usize,
    },
    #[error(
        "host key for {host}:{port} is REVOKED (known_hosts {known_hosts} line {line}): refusing to connect"
    )]
    HostKeyRevoked {
        host: String,
        port: u16,
        known_hosts: String,
        line: usize,
    },
    /// The known_hosts file cannot be read or parsed, or a new key cannot be
    /// pinned in it: no key can be checked, so none is accepted.
    #[error("{0}; refusing to connect until it is fixed")]
    KnownHosts(known_hosts::KnownHostsError),
    #[error("cannot use key {path}: {reason}")]
    Key { path: String, reason: String },
    #[error("{user}@{host} refused the key {key}")]
    AuthRejected {
        user: String,
        host: String,
        key: String,
    },
    #[error("ssh: {0}")]
    Protocol(String),
}

/// A finished command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub status: Option<u32>,
    pub stdout: String,
    pub stderr: String,
}

struct Client {
    host: String,
    port: u16,
    known_hosts: PathBuf,
    /// Why the host key was refused, for the error `connect` returns.
    refusal: Arc<Mutex<Option<SshError>>>,
}

impl Client {
    fn refuse(&self, why: SshError) -> Result<bool, russh::Error> {
        if let Ok(mut r) = self.refusal.lock() {
            *r = Some(why);
        }
        Ok(false)
    }
}

impl client::Handler for Client {
    type Error = russh::Error;

    async fn check_server_key(
        &mut self,
        key: &PublicKeyOrCertificate,
    ) -> Result<bool, Self::Error> {
        let PublicKeyOrCertificate::PublicKey { key, .. } = key else {
            return Ok(false);
        };
        let file = self.known_hosts.display().to_string();
        match known_hosts::check(&self.known_hosts, &self.host, self.port, key) {
            Ok(known_hosts::HostKeyStatus::Known) => Ok(true),
            Ok(known_hosts::HostKeyStatus::Changed { line }) => {
                self.refuse(SshError::HostKeyChanged {
                    host: self.host.clone(),
                    port: self.port,
                    known_hosts: file,
                    line,
                })
            }
            Ok(known_hosts::HostKeyStatus::Revoked { line }) => {
                self.refuse(SshError::HostKeyRevoked {
                    host: self.host.clone(),
                    port: self.port,
                    known_hosts: file,
                    line,
                })
            }
            // The one case for trust on first use: pin it, or refuse if it
            // cannot be pinned (every later connection would trust anew).
            Ok(known_hosts::HostKeyStatus::Unknown) => {
                match russh::keys::known_hosts::learn_known_hosts_path(
                    &self.host,
                    self.port,
                    key,
                    &self.known_hosts,
                ) {
                    Ok(()) => Ok(true),
                    Err(e) => self.refuse(SshError::KnownHosts(
                        known_hosts::KnownHostsError::Unwritable {
                            path: file,
                            reason: e.to_string(),
                        },
                    )),
                }
            }
            Err(e) => self.refuse(SshError::KnownHosts(e)),
        }
    }
}

/// The known_hosts file aami uses (its own, so the operator's is untouched).
pub fn default_known_hosts() -> PathBuf {
    crate::config::locate::user_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("known_hosts")
}

/// Runs `command` on `target`.
pub async fn run(
    target: &SshTarget,
    command: &str,
    known_hosts: &Path,
    connect_timeout: Duration,
    command_timeout: Duration,
) -> Result<CommandOutput, SshError> {
    let key = russh::keys::load_secret_key(&target.key, None).map_err(|e| SshError::Key {
        path: target.key.display().to_string(),
        reason: e.to_string(),
    })?;
    let refusal = Arc::new(Mutex::new(None));
    let handler = Client {
        host: target.host.clone(),
        port: target.port,
        known_hosts: known_hosts.to_path_buf(),
        refusal: Arc::clone(&refusal),
    };
    let config = Arc::new(client::Config {
        inactivity_timeout: Some(command_timeout),
        ..client::Config::default()
    });
    let connect = client::connect(config, (target.host.as_str(), target.port), handler);
    let mut session = match tokio::time::timeout(connect_timeout, connect).await {
        Err(_) => return Err(SshError::Timeout(connect_timeout)),
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            if let Some(why) = refusal.lock().ok().and_then(|mut r| r.take()) {
                return Err(why);
            }
            return Err(SshError::Connect {
                host: target.host.clone(),
                port: target.port,
                reason: crate::text::sanitize_max(&e.to_string(), 120),
            });
        }
    };
    let work = async {
        let hash = session
            .best_supported_rsa_hash()
            .await
            .ok()
            .flatten()
            .flatten();
        let auth = session
            .authenticate_publickey(
                &target.user,
                PrivateKeyWithHashAlg::new(Arc::new(key), hash),
            )
            .await
            .map_err(|e| SshError::Protocol(e.to_string()))?;
        if !auth.success() {
            return Err(SshError::AuthRejected {
                user: target.user.clone(),
                host: target.host.clone(),
                key: target.key.display().to_string(),
            });
        }
        let mut channel = session
            .channel_open_session()
            .await
            .map_err(|e| SshError::Protocol(e.to_string()))?;
        channel
            .exec(true, command)
            .await
            .map_err(|e| SshError::Protocol(e.to_string()))?;
        let (mut out, mut err, mut status) = (Vec::new(), Vec::new(), None);
        while let Some(msg) = channel.wait().await {
            match msg {
                ChannelMsg::Data { ref data } => out.extend_from_slice(data),
                ChannelMsg::ExtendedData { ref data, .. } => err.extend_from_slice(data),
                ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                _ => {}
            }
        }
        Ok(CommandOutput {
            status,
            stdout: String::from_utf8_lossy(&out).into_owned(),
            stderr: String::from_utf8_lossy(&err).into_owned(),
        })
    };
    let result = tokio::time::timeout(command_timeout, work)
        .await
        .unwrap_or(Err(SshError::Timeout(command_timeout)));
    let _ = session
        .disconnect(russh::Disconnect::ByApplication, "", "en")
        .await;
    result
}

/// What to run for "scan this node's kernel log": the last day of the
/// kernel journal, or dmesg where there is no journal. journalctl without a
/// journal prints "-- No entries --" and exits 0, so falling back on its
/// exit status alone would never reach dmesg: `-q` drops that line and an
/// empty answer (or no journalctl at all) falls back. Shell builtins only,
/// so it runs on nodes with nothing but a POSIX shell and dmesg.
pub const KERNEL_LOG_COMMAND: &str = "log=$(journalctl -q -k --since -24h --no-pager 2>/dev/null); \
     if [ -n \"$log\" ]; then printf '%s\\n' \"$log\"; else dmesg -T 2>/dev/null || dmesg; fi";

/// Reads a node's kernel log over SSH and scans it for Xid events.
pub async fn scan_kernel_log(
    target: &SshTarget,
    command: &str,
    known_hosts: &Path,
    connect_timeout: Duration,
    command_timeout: Duration,
) -> Result<crate::xid::ScanReport, SshError> {
    let out = run(
        target,
        command,
        known_hosts,
        connect_timeout,
        command_timeout,
    )
    .await?;
    Ok(crate::xid::scan(&out.stdout))
}
