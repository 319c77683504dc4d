//! An unknown host key as the operator is asked about it, and the answer:
//! plain data shared by the SSH executor, which asks, and the app, which
//! shows the question and takes the answer.

use std::path::PathBuf;

/// The operator's answer about an unknown host key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HostKeyAnswer {
    /// Trust it for this connection only: the next one asks again.
    Once,
    /// Trust it and remember it in aami's own known_hosts.
    Always,
    /// Refuse the connection.
    Refuse,
}

/// A host key no known_hosts file names, as the operator is shown it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostKeyQuestion {
    /// The name the key is checked under (after the ssh config's `HostName`).
    pub host: String,
    pub port: u16,
    /// `ssh-ed25519`, `ecdsa-sha2-nistp256`, `ssh-rsa`…
    pub algorithm: String,
    /// `SHA256:…`, as `ssh-keygen -l` prints it.
    pub fingerprint: String,
    /// Where "always" remembers it (aami's own known_hosts).
    pub known_hosts: PathBuf,
    /// The files that were read and do not name it.
    pub checked: Vec<PathBuf>,
}
