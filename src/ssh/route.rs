//! Where a node really is: its address resolved through the OpenSSH client
//! config (`Host` patterns, `HostName`, `User`, `Port`, `IdentityFile`,
//! `IdentitiesOnly`, `ConnectTimeout`, `ProxyJump`), as `ssh ADDRESS` would.
//! What the node's own config sets (user, port, key) wins, as `ssh -l -p -i`
//! does.

use std::path::{Path, PathBuf};
use std::time::Duration;

use ssh2_config::{HostParams, ParseRule, SshConfig};

use super::{SshError, SshOptions, SshTarget};

/// One SSH server to log in to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// What to connect to (after `HostName`), also the known_hosts name.
    pub host: String,
    pub port: u16,
    pub user: String,
    /// Key files to offer, in order.
    pub identities: Vec<PathBuf>,
    /// Whether the key was named explicitly (a missing file is then an error).
    pub explicit_key: bool,
    /// `IdentitiesOnly yes`: offer only `identities`, not the agent's keys.
    pub identities_only: bool,
}

/// The jump hosts to pass through, in order, then the node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    pub jumps: Vec<Endpoint>,
    pub target: Endpoint,
    pub connect_timeout: Duration,
}

/// A parsed client config, or none.
pub struct ClientConfig(Option<SshConfig>);

impl ClientConfig {
    /// Reads `path`; a missing file is an empty config, one that does not
    /// parse is an error naming it.
    pub fn load(path: Option<&Path>) -> Result<Self, SshError> {
        let Some(path) = path else {
            return Ok(Self(None));
        };
        let file = match std::fs::File::open(path) {
            Ok(f) => f,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self(None)),
            Err(e) => {
                return Err(SshError::SshConfig {
                    path: path.display().to_string(),
                    reason: e.to_string(),
                });
            }
        };
        let mut reader = std::io::BufReader::new(file);
        SshConfig::default()
            .parse(
                &mut reader,
                ParseRule::ALLOW_UNKNOWN_FIELDS | ParseRule::ALLOW_UNSUPPORTED_FIELDS,
            )
            .map(|c| Self(Some(c)))
            .map_err(|e| SshError::SshConfig {
                path: path.display().to_string(),
                reason: e.to_string(),
            })
    }

    fn query(&self, host: &str) -> Option<HostParams> {
        self.0.as_ref().map(|c| c.query(host))
    }

    /// The route to `target`.
    pub fn route(&self, target: &SshTarget, opts: &SshOptions) -> Result<Route, SshError> {
        let (target_ep, jumps, timeout) = self.resolve(
            &target.host,
            target.user.as_deref(),
            target.port,
            target.key.as_deref(),
            opts,
            0,
        )?;
        Ok(Route {
            jumps,
            target: target_ep,
            connect_timeout: timeout.unwrap_or(opts.connect_timeout),
        })
    }

    fn resolve(
        &self,
        alias: &str,
        user: Option<&str>,
        port: Option<u16>,
        key: Option<&Path>,
        opts: &SshOptions,
        depth: usize,
    ) -> Result<(Endpoint, Vec<Endpoint>, Option<Duration>), SshError> {
        if depth > 8 {
            return Err(SshError::SshConfig {
                path: self.describe(),
                reason: format!("ProxyJump for {alias} loops or nests more than 8 deep"),
            });
        }
        let params = self.query(alias);
        let p = params.as_ref();
        let host = p
            .and_then(|p| p.host_name.clone())
            .map(|h| h.replace("%h", alias))
            .unwrap_or_else(|| alias.to_string());
        let home = std::env::var_os("HOME").map(PathBuf::from);
        let expand = |path: &Path| match (path.strip_prefix("~").ok(), &home) {
            (Some(rest), Some(h)) => h.join(rest),
            _ => path.to_path_buf(),
        };
        let (identities, explicit_key) = match key {
            Some(k) => (vec![expand(k)], true),
            None => match p.and_then(|p| p.identity_file.clone()) {
                Some(files) => (files.iter().map(|f| expand(f)).collect(), false),
                None => (default_identities(home.as_deref()), false),
            },
        };
        let identities_only = p
            .and_then(|p| p.unsupported_fields.get("identitiesonly"))
            .and_then(|v| v.first())
            .is_some_and(|v| v.eq_ignore_ascii_case("yes"));
        let endpoint = Endpoint {
            host,
            port: port.or(p.and_then(|p| p.port)).unwrap_or(22),
            user: user
                .map(str::to_string)
                .or_else(|| p.and_then(|p| p.user.clone()))
                .unwrap_or_else(|| opts.default_user.clone()),
            identities,
            explicit_key,
            identities_only,
        };
        let mut jumps = Vec::new();
        let hops = p.and_then(|p| p.proxy_jump.clone()).unwrap_or_default();
        if !(hops.len() == 1 && hops[0].eq_ignore_ascii_case("none")) {
            for hop in hops {
                let (hop_user, hop_host, hop_port) =
                    split_jump(&hop).ok_or_else(|| SshError::SshConfig {
                        path: self.describe(),
                        reason: format!("ProxyJump {hop:?} for {alias} is not [user@]host[:port]"),
                    })?;
                let (ep, mut before, _) = self.resolve(
                    &hop_host,
                    hop_user.as_deref(),
                    hop_port,
                    None,
                    opts,
                    depth + 1,
                )?;
                jumps.append(&mut before);
                jumps.push(ep);
            }
        }
        Ok((endpoint, jumps, p.and_then(|p| p.connect_timeout)))
    }

    fn describe(&self) -> String {
        "ssh config".into()
    }
}

/// `[user@]host[:port]`, with `[v6]:port` for IPv6.
fn split_jump(spec: &str) -> Option<(Option<String>, String, Option<u16>)> {
    let spec = spec.strip_prefix("ssh://").unwrap_or(spec);
    let (user, rest) = match spec.rsplit_once('@') {
        Some((u, r)) => (Some(u.to_string()), r),
        None => (None, spec),
    };
    let (host, port) = if let Some(v6) = rest.strip_prefix('[') {
        let (h, tail) = v6.split_once(']')?;
        let port = match tail.strip_prefix(':') {
            Some(p) => Some(p.parse().ok()?),
            None if tail.is_empty() => None,
            None => return None,
        };
        (h.to_string(), port)
    } else {
        match rest.split_once(':') {
            Some((h, p)) => (h.to_string(), Some(p.parse().ok()?)),
            None => (rest.to_string(), None),
        }
    };
    (!host.is_empty()).then_some((user, host, port))
}

/// OpenSSH's default identity files that exist.
fn default_identities(home: Option<&Path>) -> Vec<PathBuf> {
    let Some(home) = home else {
        return Vec::new();
    };
    ["id_ed25519", "id_ecdsa", "id_rsa"]
        .iter()
        .map(|f| home.join(".ssh").join(f))
        .filter(|p| p.exists())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(text: &str) -> ClientConfig {
        let mut r = std::io::Cursor::new(text.as_bytes().to_vec());
        ClientConfig(Some(
            SshConfig::default()
                .parse(
                    &mut r,
                    ParseRule::ALLOW_UNKNOWN_FIELDS | ParseRule::ALLOW_UNSUPPORTED_FIELDS,
                )
                .expect("parse"),
        ))
    }

    fn opts() -> SshOptions {
        SshOptions::direct(
            "/nonexistent".into(),
            Duration::from_secs(7),
            Duration::from_secs(9),
        )
    }

    fn target(host: &str) -> SshTarget {
        SshTarget {
            host: host.into(),
            ..SshTarget::default()
        }
    }

    #[test]
    fn alias_resolves_with_jumps_and_node_settings_win() {
        let c = config(
            "Host bastion\n  HostName 10.0.0.1\n  User jump\n  Port 2200\n\
             Host inner\n  HostName 10.0.0.2\n  ProxyJump bastion\n\
             Host gpu-*\n  HostName %h.lab\n  User ops\n  Port 2222\n  IdentityFile /k/id\n  IdentitiesOnly yes\n  ConnectTimeout 3\n  ProxyJump admin@inner:23,bastion\n",
        );
        let r = c.route(&target("gpu-7"), &opts()).expect("route");
        assert_eq!(r.target.host, "gpu-7.lab");
        assert_eq!((r.target.user.as_str(), r.target.port), ("ops", 2222));
        assert_eq!(r.target.identities, [PathBuf::from("/k/id")]);
        assert!(r.target.identities_only);
        assert_eq!(r.connect_timeout, Duration::from_secs(3));
        let hops: Vec<(String, u16, String)> = r
            .jumps
            .iter()
            .map(|e| (e.host.clone(), e.port, e.user.clone()))
            .collect();
        // inner's own ProxyJump (bastion) comes first, then inner, then bastion.
        assert_eq!(
            hops,
            [
                ("10.0.0.1".into(), 2200, "jump".into()),
                ("10.0.0.2".into(), 23, "admin".into()),
                ("10.0.0.1".into(), 2200, "jump".into()),
            ]
        );
        let own = SshTarget {
            host: "gpu-7".into(),
            user: Some("me".into()),
            port: Some(22),
            key: Some("/mine".into()),
        };
        let r = c.route(&own, &opts()).expect("route");
        assert_eq!((r.target.user.as_str(), r.target.port), ("me", 22));
        assert!(r.target.explicit_key);
        // No entry: the address as given, defaults.
        let r = c.route(&target("10.9.9.9"), &opts()).expect("route");
        assert_eq!((r.target.host.as_str(), r.target.port), ("10.9.9.9", 22));
        assert!(r.jumps.is_empty());
        assert_eq!(r.connect_timeout, Duration::from_secs(7));
    }

    #[test]
    fn jump_specs() {
        assert_eq!(
            split_jump("u@h:2"),
            Some((Some("u".into()), "h".into(), Some(2)))
        );
        assert_eq!(split_jump("[::1]:22"), Some((None, "::1".into(), Some(22))));
        assert_eq!(split_jump("h:x"), None);
    }
}
