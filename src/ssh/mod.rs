//! SSH work (russh), one module every SSH feature uses: a node's address
//! resolved through the OpenSSH client config (jump hosts included), host
//! keys checked strictly against the operator's `~/.ssh/known_hosts` and
//! ours, keys from ssh-agent and key files, commands built from templates
//! with quoted values ([`command`]), `sudo -n` for non-root users, and
//! connect/command timeouts with retries for connection errors only.
//!
//! Host keys: a key no file names is refused with its SHA256 fingerprint
//! unless the caller accepts new keys (then it is pinned in our file) or
//! asks the operator (the TUI: once, always, refuse); a
//! changed or revoked key is refused naming file and line, never
//! overwritten; a known_hosts file that cannot be read or does not parse
//! refuses every connection (see [`known_hosts`]).

pub mod command;
pub mod detect;
pub mod known_hosts;
pub mod options;
pub mod route;
pub mod session;

pub use command::{RemoteCommand, quote, validate_address, validate_name};
pub use options::{
    HostKeyAnswer, HostKeyPrompt, HostKeyQuestion, Passphrase, RetryPolicy, SshOptions,
    SudoPassword, UnknownHostKey,
};
pub use session::Session;

use std::path::{Path, PathBuf};
use std::time::Duration;

/// A node as the config names it. Unset fields come from the ssh config,
/// then defaults (user root, port 22, OpenSSH's default key files).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SshTarget {
    /// An address, host name or ssh-config `Host` alias.
    pub host: String,
    pub port: Option<u16>,
    pub user: Option<String>,
    pub key: Option<PathBuf>,
}

impl SshTarget {
    /// From a configured node: its `ip`, `ssh_user`, `ssh_port`, `ssh_key`.
    pub fn from_node(n: &crate::config::NodeConfig) -> Self {
        Self {
            host: n.ip.clone(),
            port: n.ssh_port,
            user: n.ssh_user.clone(),
            key: n.ssh_key.as_deref().map(PathBuf::from),
        }
    }
}

/// `[user@]host[:port]`, what is set.
impl std::fmt::Display for SshTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(u) = &self.user {
            write!(f, "{u}@")?;
        }
        f.write_str(&self.host)?;
        if let Some(p) = self.port {
            write!(f, ":{p}")?;
        }
        Ok(())
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
    #[error(
        "host key for {host}:{port} is not known: {algorithm} {fingerprint}; check it with the node's owner, then run again with --accept-new to trust and remember it"
    )]
    HostKeyUnknown {
        host: String,
        port: u16,
        fingerprint: String,
        algorithm: String,
    },
    #[error("host key for {host}:{port} ({algorithm} {fingerprint}) was refused by the operator")]
    HostKeyRefused {
        host: String,
        port: u16,
        fingerprint: String,
        algorithm: String,
    },
    /// The known_hosts file cannot be read or parsed, or a new key cannot be
    /// pinned in it: no key can be checked, so none is accepted.
    #[error("{0}; refusing to connect until it is fixed")]
    KnownHosts(known_hosts::KnownHostsError),
    #[error("cannot use ssh config {path}: {reason}")]
    SshConfig { path: String, reason: String },
    #[error("cannot use key {path}: {reason}")]
    Key { path: String, reason: String },
    #[error("{user}@{host} refused the key {key}")]
    AuthRejected {
        user: String,
        host: String,
        key: String,
    },
    #[error(
        "sudo on {host} needs a password for {user}: give {user} NOPASSWD sudo for aami's commands, connect as root, or type the sudo password in the TUI's install form"
    )]
    SudoNeedsPassword { user: String, host: String },
    #[error("sudo on {host} refused the password given for {user}")]
    SudoPasswordRejected { user: String, host: String },
    #[error("ssh: {0}")]
    Protocol(String),
}

impl SshError {
    /// Errors worth retrying: the node could not be reached. Refusals (host
    /// key, auth, config) are answers and are never retried.
    pub fn is_connection_error(&self) -> bool {
        matches!(self, Self::Connect { .. })
    }
}

/// A finished command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOutput {
    pub status: Option<u32>,
    pub stdout: String,
    pub stderr: String,
}

impl CommandOutput {
    pub fn success(&self) -> bool {
        self.status == Some(0)
    }
}

/// The known_hosts file aami uses (its own, so the operator's is untouched).
pub fn default_known_hosts() -> PathBuf {
    crate::config::locate::user_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("known_hosts")
}

/// Runs `command` on `target` with only what is given (see
/// [`SshOptions::direct`]): our known_hosts with trust on first use.
pub async fn run(
    target: &SshTarget,
    command: &str,
    known_hosts: &Path,
    connect_timeout: Duration,
    command_timeout: Duration,
) -> Result<CommandOutput, SshError> {
    let opts = SshOptions::direct(known_hosts.to_path_buf(), connect_timeout, command_timeout);
    run_with(target, &RemoteCommand::operator(command), &opts).await
}

/// Connects, runs one command, disconnects.
pub async fn run_with(
    target: &SshTarget,
    command: &RemoteCommand,
    opts: &SshOptions,
) -> Result<CommandOutput, SshError> {
    let session = Session::connect(target, opts).await?;
    let out = session.exec(command).await;
    session.close().await;
    out
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
