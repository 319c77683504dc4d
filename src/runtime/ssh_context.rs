//! How the runtime reaches nodes over SSH.

use std::path::PathBuf;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct SshContext {
    /// One per node, in fleet order.
    pub targets: Vec<crate::ssh::SshTarget>,
    pub known_hosts: PathBuf,
    pub connect_timeout: Duration,
    pub command_timeout: Duration,
}

impl SshContext {
    pub fn from_config(c: &crate::config::Config) -> Self {
        Self {
            targets: c
                .nodes
                .iter()
                .map(crate::ssh::SshTarget::from_node)
                .collect(),
            known_hosts: crate::ssh::default_known_hosts(),
            connect_timeout: Duration::from_secs(c.ssh.connect_timeout),
            command_timeout: Duration::from_secs(c.ssh.command_timeout),
        }
    }
}
