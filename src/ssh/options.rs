//! How to connect: files, policies and limits shared by every node.

use std::path::PathBuf;
use std::time::Duration;

/// What to do with a host key no known_hosts file names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnknownHostKey {
    /// Refuse, naming the key's fingerprint (the CLI without `--accept-new`).
    Refuse,
    /// Trust it and pin it in our known_hosts (`StrictHostKeyChecking=accept-new`).
    AcceptNew,
    /// Trust it for this connection only.
    AcceptOnce,
    /// Ask the operator through [`SshOptions::prompt`] (the TUI); refuse
    /// when there is no one to ask.
    Ask,
}

pub use crate::domain::host_key::{HostKeyAnswer, HostKeyQuestion};

/// Asks the operator about an unknown host key and waits for the answer.
/// The connection is not held open meanwhile: the key is checked again on
/// the connection made after the answer.
#[derive(Clone)]
pub struct HostKeyPrompt(
    pub  std::sync::Arc<
        dyn Fn(HostKeyQuestion) -> futures::future::BoxFuture<'static, HostKeyAnswer> + Send + Sync,
    >,
);

impl HostKeyPrompt {
    pub fn new<F, Fut>(f: F) -> Self
    where
        F: Fn(HostKeyQuestion) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = HostKeyAnswer> + Send + 'static,
    {
        Self(std::sync::Arc::new(move |q| Box::pin(f(q))))
    }

    pub async fn ask(&self, q: HostKeyQuestion) -> HostKeyAnswer {
        (self.0)(q).await
    }
}

impl std::fmt::Debug for HostKeyPrompt {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("HostKeyPrompt")
    }
}

/// Retries with exponential backoff, for connection errors only.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Tries in all (1 = no retry).
    pub max_attempts: u32,
    pub backoff_base: Duration,
    pub backoff_max: Duration,
}

impl RetryPolicy {
    pub const NONE: Self = Self {
        max_attempts: 1,
        backoff_base: Duration::ZERO,
        backoff_max: Duration::ZERO,
    };

    /// The wait after failed try number `attempt` (1-based): base, 2·base, 4·base…, capped.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 1u32 << attempt.saturating_sub(1).min(16);
        self.backoff_base
            .saturating_mul(factor)
            .min(self.backoff_max)
    }
}

/// A key passphrase; never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct Passphrase(pub String);

impl std::fmt::Debug for Passphrase {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Passphrase(***)")
    }
}

/// A sudo password; never printed, never on a command line: it reaches
/// `sudo -S` on its standard input.
#[derive(Clone, PartialEq, Eq)]
pub struct SudoPassword(pub String);

impl std::fmt::Debug for SudoPassword {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SudoPassword(***)")
    }
}

#[derive(Debug, Clone)]
pub struct SshOptions {
    /// aami's own known_hosts: read, and where accepted keys are pinned.
    pub known_hosts: PathBuf,
    /// The operator's `~/.ssh/known_hosts`: read only, never written.
    pub user_known_hosts: Option<PathBuf>,
    pub unknown_host_key: UnknownHostKey,
    /// Who answers for [`UnknownHostKey::Ask`].
    pub prompt: Option<HostKeyPrompt>,
    /// An OpenSSH client config (`~/.ssh/config`), if any.
    pub ssh_config: Option<PathBuf>,
    /// An ssh-agent socket (`SSH_AUTH_SOCK`).
    pub agent_socket: Option<PathBuf>,
    pub passphrase: Option<Passphrase>,
    /// For a user whose sudo wants a password (fed to `sudo -S`).
    pub sudo_password: Option<SudoPassword>,
    /// The user when neither the node nor the ssh config names one.
    pub default_user: String,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
    pub retry: RetryPolicy,
}

impl SshOptions {
    /// Only what is given: our known_hosts with trust on first use, the
    /// node's own key, no ssh config, no agent, no retry.
    pub fn direct(
        known_hosts: PathBuf,
        connect_timeout: Duration,
        command_timeout: Duration,
    ) -> Self {
        Self {
            known_hosts,
            user_known_hosts: None,
            unknown_host_key: UnknownHostKey::AcceptNew,
            prompt: None,
            ssh_config: None,
            agent_socket: None,
            passphrase: None,
            sudo_password: None,
            default_user: "root".into(),
            connect_timeout,
            command_timeout,
            retry: RetryPolicy::NONE,
        }
    }

    /// From the config's `ssh` section and the environment (`HOME`,
    /// `SSH_AUTH_SOCK`, the passphrase variable the config names). Unknown
    /// host keys are refused; callers opt in to accepting them.
    pub fn from_config(
        config: &crate::config::Config,
        env: impl Fn(&str) -> Option<String>,
    ) -> Self {
        let s = &config.ssh;
        let home = env("HOME").map(PathBuf::from);
        let expand = |p: &str| match (p.strip_prefix("~/"), &home) {
            (Some(rest), Some(h)) => h.join(rest),
            _ => PathBuf::from(p),
        };
        let ssh_config = match &s.config_file {
            Some(p) => Some(expand(p)),
            None => home.as_ref().map(|h| h.join(".ssh/config")),
        };
        Self {
            known_hosts: super::default_known_hosts(),
            user_known_hosts: home.as_ref().map(|h| h.join(".ssh/known_hosts")),
            unknown_host_key: UnknownHostKey::Refuse,
            prompt: None,
            ssh_config,
            agent_socket: env("SSH_AUTH_SOCK")
                .filter(|s| !s.is_empty())
                .map(PathBuf::from),
            passphrase: s.passphrase_env.as_deref().and_then(&env).map(Passphrase),
            sudo_password: None,
            default_user: "root".into(),
            connect_timeout: Duration::from_secs(s.connect_timeout),
            command_timeout: Duration::from_secs(s.command_timeout),
            retry: RetryPolicy {
                max_attempts: s.retry.max_attempts.max(1),
                backoff_base: Duration::from_secs(s.retry.backoff_base),
                backoff_max: Duration::from_secs(s.retry.backoff_max),
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_and_caps() {
        let r = RetryPolicy {
            max_attempts: 5,
            backoff_base: Duration::from_secs(1),
            backoff_max: Duration::from_secs(5),
        };
        let waits: Vec<u64> = (1..=5).map(|a| r.backoff(a).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 5, 5]);
    }

    #[test]
    fn passphrase_is_not_printed() {
        let p = Passphrase("hunter2".into());
        assert!(!format!("{p:?}").contains("hunter2"));
        let s = SudoPassword("hunter3".into());
        assert!(!format!("{s:?}").contains("hunter3"));
    }
}
