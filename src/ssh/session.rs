//! A logged-in SSH session to a node, through its jump hosts: host keys
//! checked against the operator's and our known_hosts, keys from the agent
//! and key files, commands with a timeout, uploads over the session.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use russh::ChannelMsg;
use russh::client::{self, Handle};
use russh::keys::{HashAlg, PrivateKeyWithHashAlg, PublicKey, PublicKeyOrCertificate};

use super::command::RemoteCommand;
use super::known_hosts::{self, HostKeyStatus, KnownHostsError};
use super::options::{HostKeyAnswer, HostKeyQuestion, SudoPassword, UnknownHostKey};
use super::route::{ClientConfig, Endpoint, Route};
use super::{CommandOutput, SshError, SshOptions, SshTarget};

/// Most output kept from one command; a node cannot exhaust our memory.
const MAX_OUTPUT: usize = 8 << 20;

/// How often a quiet connection is asked whether the node is still there.
const KEEPALIVE: Duration = Duration::from_secs(15);

pub struct Session {
    /// The node last; jump hosts before it stay open to carry its stream.
    handles: Vec<Handle<Client>>,
    pub host: String,
    pub port: u16,
    pub user: String,
    /// The node's host key as it was checked: `ssh-ed25519 SHA256:…`.
    pub host_key: String,
    command_timeout: Duration,
    sudo_password: Option<SudoPassword>,
    /// How this user's sudo is used, found out on the first privileged step.
    sudo: tokio::sync::OnceCell<Sudo>,
}

/// How a non-root user reaches root.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sudo {
    /// `sudo -n`: NOPASSWD (or no password to give).
    NoPassword,
    /// `sudo -S -k`, the password first on standard input.
    Password,
}

/// A host key the operator accepted for one connect.
struct Trusted {
    host: String,
    port: u16,
    key: PublicKey,
}

/// Why one try did not log in.
enum Failure {
    Error(SshError),
    /// A key no file names, to put to the operator.
    Ask(HostKeyQuestion, PublicKey),
}

impl From<SshError> for Failure {
    fn from(e: SshError) -> Self {
        Self::Error(e)
    }
}

impl Session {
    /// Resolves `target` through the ssh config and logs in, retrying
    /// connection errors (not refusals) with backoff. An unknown host key
    /// under [`UnknownHostKey::Ask`] is put to the operator between tries
    /// (their time to answer is not the connect timeout, and no half-open
    /// connection waits on them); the key is checked again on the
    /// connection made after the answer.
    pub async fn connect(target: &SshTarget, opts: &SshOptions) -> Result<Self, SshError> {
        let config = ClientConfig::load(opts.ssh_config.as_deref())?;
        let route = config.route(target, opts)?;
        let mut trusted: Vec<Trusted> = Vec::new();
        let mut attempt = 1;
        loop {
            match tokio::time::timeout(route.connect_timeout, open(&route, opts, &trusted)).await {
                Ok(Ok(s)) => return Ok(s),
                Ok(Err(Failure::Ask(q, key))) => {
                    let answer = match &opts.prompt {
                        Some(p) => p.ask(q.clone()).await,
                        None => HostKeyAnswer::Refuse,
                    };
                    match answer {
                        HostKeyAnswer::Once => trusted.push(Trusted {
                            host: q.host,
                            port: q.port,
                            key,
                        }),
                        HostKeyAnswer::Always => {
                            known_hosts::learn(&opts.known_hosts, &q.host, q.port, &key)
                                .map_err(SshError::KnownHosts)?;
                        }
                        HostKeyAnswer::Refuse => {
                            return Err(SshError::HostKeyRefused {
                                host: q.host,
                                port: q.port,
                                fingerprint: q.fingerprint,
                                algorithm: q.algorithm,
                            });
                        }
                    }
                    continue;
                }
                Ok(Err(Failure::Error(e)))
                    if !e.is_connection_error() || attempt >= opts.retry.max_attempts =>
                {
                    return Err(e);
                }
                Err(_) if attempt >= opts.retry.max_attempts => {
                    return Err(SshError::Connect {
                        host: route.target.host.clone(),
                        port: route.target.port,
                        reason: format!(
                            "no answer within {}s",
                            route.connect_timeout.as_secs_f64()
                        ),
                    });
                }
                _ => {}
            }
            tokio::time::sleep(opts.retry.backoff(attempt)).await;
            attempt += 1;
        }
    }

    pub fn is_root(&self) -> bool {
        self.user == "root"
    }

    /// Runs `command` within the command timeout.
    pub async fn exec(&self, command: &RemoteCommand) -> Result<CommandOutput, SshError> {
        self.exec_with_input(command, None).await
    }

    /// Runs `command` as root: directly when logged in as root, otherwise
    /// through sudo: `sudo -n` (whose password prompt becomes a clear
    /// error), or, when a sudo password was given and sudo wants it,
    /// `sudo -S -k` with the password as the first line of its standard
    /// input (never on a command line).
    pub async fn exec_privileged(
        &self,
        command: &RemoteCommand,
        input: Option<&[u8]>,
    ) -> Result<CommandOutput, SshError> {
        if self.is_root() {
            return self.exec_with_input(command, input).await;
        }
        let sudo = *self.sudo.get_or_try_init(|| self.find_sudo()).await?;
        let out = match (sudo, &self.sudo_password) {
            (Sudo::Password, Some(pw)) => {
                let line = format!("{}\n", pw.0);
                let chunks: Vec<&[u8]> = std::iter::once(line.as_bytes()).chain(input).collect();
                self.exec_chunks(&command.with_sudo_password(), &chunks)
                    .await?
            }
            _ => self.exec_with_input(&command.with_sudo(), input).await?,
        };
        if out.status != Some(0) {
            if sudo_wants_password(&out.stderr) {
                return Err(SshError::SudoNeedsPassword {
                    user: self.user.clone(),
                    host: self.host.clone(),
                });
            }
            if sudo == Sudo::Password && sudo_rejected_password(&out.stderr) {
                return Err(SshError::SudoPasswordRejected {
                    user: self.user.clone(),
                    host: self.host.clone(),
                });
            }
        }
        Ok(out)
    }

    /// NOPASSWD sudo needs nothing; otherwise the given password, checked
    /// once here so a wrong one fails before any step.
    async fn find_sudo(&self) -> Result<Sudo, SshError> {
        let Some(pw) = &self.sudo_password else {
            return Ok(Sudo::NoPassword);
        };
        let probe = RemoteCommand::template("true", &[]);
        if self.exec(&probe.with_sudo()).await?.success() {
            return Ok(Sudo::NoPassword);
        }
        let line = format!("{}\n", pw.0);
        let out = self
            .exec_chunks(&probe.with_sudo_password(), &[line.as_bytes()])
            .await?;
        if out.success() {
            Ok(Sudo::Password)
        } else if sudo_rejected_password(&out.stderr) || sudo_wants_password(&out.stderr) {
            Err(SshError::SudoPasswordRejected {
                user: self.user.clone(),
                host: self.host.clone(),
            })
        } else {
            Err(SshError::Protocol(format!(
                "sudo on {}: {}",
                self.host,
                crate::text::sanitize_max(out.stderr.trim(), 200)
            )))
        }
    }

    /// Runs `command`, feeding it `input` on stdin (an upload: `cat > F`).
    pub async fn exec_with_input(
        &self,
        command: &RemoteCommand,
        input: Option<&[u8]>,
    ) -> Result<CommandOutput, SshError> {
        let chunks: Vec<&[u8]> = input.into_iter().collect();
        self.exec_chunks(command, &chunks).await
    }

    /// Runs `command`, feeding it `chunks` in order on stdin.
    async fn exec_chunks(
        &self,
        command: &RemoteCommand,
        chunks: &[&[u8]],
    ) -> Result<CommandOutput, SshError> {
        let handle = self.node()?;
        let work = async {
            let mut channel = handle.channel_open_session().await.map_err(protocol)?;
            channel
                .exec(true, command.as_str())
                .await
                .map_err(protocol)?;
            // russh waits for window space without noticing that the
            // connection is gone, so a dead node would hold an upload until
            // the command timeout: the connection is watched meanwhile.
            for data in chunks {
                let send = channel.data(*data);
                tokio::pin!(send);
                loop {
                    tokio::select! {
                        sent = &mut send => {
                            sent.map_err(lost)?;
                            break;
                        }
                        _ = tokio::time::sleep(Duration::from_millis(200)) => {
                            if handle.is_closed() {
                                return Err(SshError::Protocol(
                                    "the connection was lost while sending to the node".into(),
                                ));
                            }
                        }
                    }
                }
            }
            channel.eof().await.map_err(protocol)?;
            let (mut out, mut err, mut status) = (Vec::new(), Vec::new(), None);
            while let Some(msg) = channel.wait().await {
                match msg {
                    ChannelMsg::Data { ref data } if out.len() < MAX_OUTPUT => {
                        out.extend_from_slice(data)
                    }
                    ChannelMsg::ExtendedData { ref data, .. } if err.len() < MAX_OUTPUT => {
                        err.extend_from_slice(data)
                    }
                    ChannelMsg::ExitStatus { exit_status } => status = Some(exit_status),
                    _ => {}
                }
            }
            if status.is_none() && handle.is_closed() {
                return Err(SshError::Protocol(
                    "the connection closed before the command finished".into(),
                ));
            }
            Ok(CommandOutput {
                status,
                stdout: String::from_utf8_lossy(&out).into_owned(),
                stderr: String::from_utf8_lossy(&err).into_owned(),
            })
        };
        tokio::time::timeout(self.command_timeout, work)
            .await
            .unwrap_or(Err(SshError::Timeout(self.command_timeout)))
    }

    pub async fn close(self) {
        for handle in self.handles.iter().rev() {
            let _ = handle
                .disconnect(russh::Disconnect::ByApplication, "", "en")
                .await;
        }
    }

    fn node(&self) -> Result<&Handle<Client>, SshError> {
        self.handles
            .last()
            .ok_or_else(|| SshError::Protocol("no session".into()))
    }
}

fn protocol(e: russh::Error) -> SshError {
    SshError::Protocol(crate::text::sanitize_max(&e.to_string(), 200))
}

/// Sending to the command failed: the connection went away under it.
fn lost(e: russh::Error) -> SshError {
    SshError::Protocol(format!(
        "the connection was lost while sending to the node: {}",
        crate::text::sanitize_max(&e.to_string(), 200)
    ))
}

/// sudo's "I need a password" (`-n`, or `-S` with nothing to read).
fn sudo_wants_password(stderr: &str) -> bool {
    stderr.contains("a password is required")
        || stderr.contains("a terminal is required")
        || stderr.contains("askpass")
        || stderr.contains("no password was provided")
}

fn sudo_rejected_password(stderr: &str) -> bool {
    stderr.contains("incorrect password") || stderr.contains("Sorry, try again")
}

/// Connects hop by hop: TCP to the first, then each next one through a
/// `direct-tcpip` channel of the one before.
async fn open(route: &Route, opts: &SshOptions, trusted: &[Trusted]) -> Result<Session, Failure> {
    // Keepalives find a peer that went away without closing the
    // connection (a dropped link, a crashed node) within a minute.
    let config = Arc::new(client::Config {
        keepalive_interval: Some(KEEPALIVE),
        keepalive_max: 3,
        ..client::Config::default()
    });
    let mut handles: Vec<Handle<Client>> = Vec::new();
    let mut host_key = String::new();
    for ep in route.jumps.iter().chain(std::iter::once(&route.target)) {
        let refusal = Arc::new(Mutex::new(None));
        let seen = Arc::new(Mutex::new(None));
        let handler = Client {
            host: ep.host.clone(),
            port: ep.port,
            known_hosts: opts.known_hosts.clone(),
            user_known_hosts: opts.user_known_hosts.clone(),
            unknown: opts.unknown_host_key,
            can_ask: opts.prompt.is_some(),
            trusted: trusted
                .iter()
                .filter(|t| t.host == ep.host && t.port == ep.port)
                .map(|t| t.key.clone())
                .collect(),
            refusal: Arc::clone(&refusal),
            seen: Arc::clone(&seen),
        };
        let connected = match handles.last() {
            None => {
                client::connect(Arc::clone(&config), (ep.host.as_str(), ep.port), handler).await
            }
            Some(previous) => {
                let channel = previous
                    .channel_open_direct_tcpip(ep.host.clone(), u32::from(ep.port), "127.0.0.1", 0)
                    .await
                    .map_err(|e| SshError::Connect {
                        host: ep.host.clone(),
                        port: ep.port,
                        reason: format!("the jump host could not reach it: {e}"),
                    })?;
                client::connect_stream(Arc::clone(&config), channel.into_stream(), handler).await
            }
        };
        let mut handle = match connected {
            Ok(h) => h,
            Err(e) => {
                if let Some(why) = refusal.lock().ok().and_then(|mut r| r.take()) {
                    return Err(why);
                }
                return Err(Failure::Error(SshError::Connect {
                    host: ep.host.clone(),
                    port: ep.port,
                    reason: crate::text::sanitize_max(&e.to_string(), 120),
                }));
            }
        };
        authenticate(&mut handle, ep, opts).await?;
        host_key = seen
            .lock()
            .ok()
            .and_then(|mut s| s.take())
            .unwrap_or_default();
        handles.push(handle);
    }
    Ok(Session {
        host: route.target.host.clone(),
        port: route.target.port,
        user: route.target.user.clone(),
        host_key,
        command_timeout: opts.command_timeout,
        sudo_password: opts.sudo_password.clone(),
        sudo: tokio::sync::OnceCell::new(),
        handles,
    })
}

/// The agent's keys (unless `IdentitiesOnly`), then the key files.
async fn authenticate(
    handle: &mut Handle<Client>,
    ep: &Endpoint,
    opts: &SshOptions,
) -> Result<(), SshError> {
    let hash = handle
        .best_supported_rsa_hash()
        .await
        .ok()
        .flatten()
        .flatten();
    let mut offered: Vec<String> = Vec::new();
    if let (Some(sock), false) = (&opts.agent_socket, ep.identities_only) {
        match russh::keys::agent::client::AgentClient::connect_uds(sock).await {
            Ok(mut agent) => {
                let identities = agent.request_identities().await.unwrap_or_default();
                for id in identities {
                    let key = id.public_key().into_owned();
                    let ok = handle
                        .authenticate_publickey_with(&ep.user, key.clone(), hash, &mut agent)
                        .await
                        .map_err(|e| SshError::Protocol(format!("ssh-agent: {e}")))?;
                    if ok.success() {
                        return Ok(());
                    }
                    offered.push(format!("agent key {}", key.fingerprint(HashAlg::Sha256)));
                }
            }
            Err(e) => offered.push(format!(
                "no agent at {} ({})",
                sock.display(),
                crate::text::sanitize_max(&e.to_string(), 80)
            )),
        }
    }
    let mut load_error = None;
    for path in &ep.identities {
        let passphrase = opts.passphrase.as_ref().map(|p| p.0.as_str());
        let key = match russh::keys::load_secret_key(path, passphrase) {
            Ok(k) => k,
            Err(e) => {
                let reason = match e {
                    russh::keys::Error::KeyIsEncrypted => "it is encrypted and no passphrase was given (set the variable named by ssh.passphrase_env)".to_string(),
                    e => e.to_string(),
                };
                load_error.get_or_insert(SshError::Key {
                    path: path.display().to_string(),
                    reason,
                });
                continue;
            }
        };
        let ok = handle
            .authenticate_publickey(&ep.user, PrivateKeyWithHashAlg::new(Arc::new(key), hash))
            .await
            .map_err(protocol)?;
        if ok.success() {
            return Ok(());
        }
        offered.push(path.display().to_string());
    }
    match load_error {
        Some(e) if ep.explicit_key || offered.is_empty() => Err(e),
        _ => Err(SshError::AuthRejected {
            user: ep.user.clone(),
            host: ep.host.clone(),
            key: if offered.is_empty() {
                "(no key to offer)".into()
            } else {
                offered.join(", ")
            },
        }),
    }
}

pub(super) struct Client {
    host: String,
    port: u16,
    known_hosts: PathBuf,
    user_known_hosts: Option<PathBuf>,
    unknown: UnknownHostKey,
    /// Whether an operator can be asked (under [`UnknownHostKey::Ask`]).
    can_ask: bool,
    /// Keys of this host the operator accepted once, for this connect.
    trusted: Vec<PublicKey>,
    /// Why the host key was refused, for the error `connect` returns.
    refusal: Arc<Mutex<Option<Failure>>>,
    /// The key that was accepted, as `ALGORITHM SHA256:…`.
    seen: Arc<Mutex<Option<String>>>,
}

impl Client {
    fn refuse(&self, why: SshError) -> Result<bool, russh::Error> {
        self.refuse_with(Failure::Error(why))
    }

    fn refuse_with(&self, why: Failure) -> Result<bool, russh::Error> {
        if let Ok(mut r) = self.refusal.lock() {
            *r = Some(why);
        }
        Ok(false)
    }

    fn accept(&self, key: &PublicKey) -> Result<bool, russh::Error> {
        if let Ok(mut s) = self.seen.lock() {
            *s = Some(format!(
                "{} {}",
                key.algorithm().as_str(),
                key.fingerprint(HashAlg::Sha256)
            ));
        }
        Ok(true)
    }

    /// The files read, the operator's first.
    fn files(&self) -> Vec<&PathBuf> {
        let mut files: Vec<&PathBuf> = self.user_known_hosts.iter().collect();
        files.push(&self.known_hosts);
        files
    }

    /// The key's standing across the operator's file and ours: revoked
    /// anywhere wins, then known anywhere, then changed anywhere.
    fn status(&self, key: &PublicKey) -> Result<(HostKeyStatus, String), KnownHostsError> {
        let mut known = None;
        let mut changed = None;
        for file in self.files() {
            let status = known_hosts::check(file, &self.host, self.port, key)?;
            let name = file.display().to_string();
            match status {
                HostKeyStatus::Revoked { .. } => return Ok((status, name)),
                HostKeyStatus::Known => known = Some((status, name)),
                HostKeyStatus::Changed { .. } => {
                    changed.get_or_insert((status, name));
                }
                HostKeyStatus::Unknown => {}
            }
        }
        Ok(known
            .or(changed)
            .unwrap_or((HostKeyStatus::Unknown, String::new())))
    }

    fn unknown_error(&self, key: &PublicKey) -> SshError {
        SshError::HostKeyUnknown {
            host: self.host.clone(),
            port: self.port,
            fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
            algorithm: key.algorithm().as_str().to_string(),
        }
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
        match self.status(key) {
            Ok((HostKeyStatus::Known, _)) => self.accept(key),
            // A changed or revoked key is refused, never put to the operator.
            Ok((HostKeyStatus::Changed { line }, file)) => self.refuse(SshError::HostKeyChanged {
                host: self.host.clone(),
                port: self.port,
                known_hosts: file,
                line,
            }),
            Ok((HostKeyStatus::Revoked { line }, file)) => self.refuse(SshError::HostKeyRevoked {
                host: self.host.clone(),
                port: self.port,
                known_hosts: file,
                line,
            }),
            Ok((HostKeyStatus::Unknown, _)) => match self.unknown {
                UnknownHostKey::AcceptOnce => self.accept(key),
                UnknownHostKey::Refuse => self.refuse(self.unknown_error(key)),
                UnknownHostKey::Ask if self.trusted.contains(key) => self.accept(key),
                UnknownHostKey::Ask if self.can_ask => {
                    let q = HostKeyQuestion {
                        host: self.host.clone(),
                        port: self.port,
                        algorithm: key.algorithm().as_str().to_string(),
                        fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
                        known_hosts: self.known_hosts.clone(),
                        checked: self.files().into_iter().cloned().collect(),
                    };
                    self.refuse_with(Failure::Ask(q, key.clone()))
                }
                UnknownHostKey::Ask => self.refuse(self.unknown_error(key)),
                // Pin it (atomically, in our file), or refuse if it cannot
                // be pinned (every later connection would trust anew).
                UnknownHostKey::AcceptNew => {
                    match known_hosts::learn(&self.known_hosts, &self.host, self.port, key) {
                        Ok(()) => self.accept(key),
                        Err(e) => self.refuse(SshError::KnownHosts(e)),
                    }
                }
            },
            Err(e) => self.refuse(SshError::KnownHosts(e)),
        }
    }
}
