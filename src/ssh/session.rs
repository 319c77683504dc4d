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
use super::options::UnknownHostKey;
use super::route::{ClientConfig, Endpoint, Route};
use super::{CommandOutput, SshError, SshOptions, SshTarget};

/// Most output kept from one command; a node cannot exhaust our memory.
const MAX_OUTPUT: usize = 8 << 20;

pub struct Session {
    /// The node last; jump hosts before it stay open to carry its stream.
    handles: Vec<Handle<Client>>,
    pub host: String,
    pub port: u16,
    pub user: String,
    command_timeout: Duration,
}

impl Session {
    /// Resolves `target` through the ssh config and logs in, retrying
    /// connection errors (not refusals) with backoff.
    pub async fn connect(target: &SshTarget, opts: &SshOptions) -> Result<Self, SshError> {
        let config = ClientConfig::load(opts.ssh_config.as_deref())?;
        let route = config.route(target, opts)?;
        let mut attempt = 1;
        loop {
            match tokio::time::timeout(route.connect_timeout, open(&route, opts)).await {
                Ok(Ok(s)) => return Ok(s),
                Ok(Err(e)) if !e.is_connection_error() || attempt >= opts.retry.max_attempts => {
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
    /// through `sudo -n`, whose password prompt becomes a clear error.
    pub async fn exec_privileged(
        &self,
        command: &RemoteCommand,
        input: Option<&[u8]>,
    ) -> Result<CommandOutput, SshError> {
        if self.is_root() {
            return self.exec_with_input(command, input).await;
        }
        let out = self.exec_with_input(&command.with_sudo(), input).await?;
        if out.status != Some(0)
            && (out.stderr.contains("a password is required")
                || out.stderr.contains("a terminal is required")
                || out.stderr.contains("askpass"))
        {
            return Err(SshError::SudoNeedsPassword {
                user: self.user.clone(),
                host: self.host.clone(),
            });
        }
        Ok(out)
    }

    /// Runs `command`, feeding it `input` on stdin (an upload: `cat > F`).
    pub async fn exec_with_input(
        &self,
        command: &RemoteCommand,
        input: Option<&[u8]>,
    ) -> Result<CommandOutput, SshError> {
        let handle = self.node()?;
        let work = async {
            let mut channel = handle.channel_open_session().await.map_err(protocol)?;
            channel
                .exec(true, command.as_str())
                .await
                .map_err(protocol)?;
            if let Some(data) = input {
                channel.data(data).await.map_err(protocol)?;
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

/// Connects hop by hop: TCP to the first, then each next one through a
/// `direct-tcpip` channel of the one before.
async fn open(route: &Route, opts: &SshOptions) -> Result<Session, SshError> {
    let config = Arc::new(client::Config::default());
    let mut handles: Vec<Handle<Client>> = Vec::new();
    for ep in route.jumps.iter().chain(std::iter::once(&route.target)) {
        let refusal = Arc::new(Mutex::new(None));
        let handler = Client {
            host: ep.host.clone(),
            port: ep.port,
            known_hosts: opts.known_hosts.clone(),
            user_known_hosts: opts.user_known_hosts.clone(),
            unknown: opts.unknown_host_key,
            refusal: Arc::clone(&refusal),
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
                return Err(SshError::Connect {
                    host: ep.host.clone(),
                    port: ep.port,
                    reason: crate::text::sanitize_max(&e.to_string(), 120),
                });
            }
        };
        authenticate(&mut handle, ep, opts).await?;
        handles.push(handle);
    }
    Ok(Session {
        host: route.target.host.clone(),
        port: route.target.port,
        user: route.target.user.clone(),
        command_timeout: opts.command_timeout,
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

    /// The key's standing across the operator's file and ours: revoked
    /// anywhere wins, then known anywhere, then changed anywhere.
    fn status(&self, key: &PublicKey) -> Result<(HostKeyStatus, String), KnownHostsError> {
        let mut files: Vec<&PathBuf> = self.user_known_hosts.iter().collect();
        files.push(&self.known_hosts);
        let mut known = None;
        let mut changed = None;
        for file in files {
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
            Ok((HostKeyStatus::Known, _)) => Ok(true),
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
                UnknownHostKey::AcceptOnce => Ok(true),
                UnknownHostKey::Refuse => self.refuse(SshError::HostKeyUnknown {
                    host: self.host.clone(),
                    port: self.port,
                    fingerprint: key.fingerprint(HashAlg::Sha256).to_string(),
                    algorithm: key.algorithm().as_str().to_string(),
                }),
                // Pin it, or refuse if it cannot be pinned (every later
                // connection would trust anew).
                UnknownHostKey::AcceptNew => {
                    match russh::keys::known_hosts::learn_known_hosts_path(
                        &self.host,
                        self.port,
                        key,
                        &self.known_hosts,
                    ) {
                        Ok(()) => Ok(true),
                        Err(e) => self.refuse(SshError::KnownHosts(KnownHostsError::Unwritable {
                            path: self.known_hosts.display().to_string(),
                            reason: e.to_string(),
                        })),
                    }
                }
            },
            Err(e) => self.refuse(SshError::KnownHosts(e)),
        }
    }
}
