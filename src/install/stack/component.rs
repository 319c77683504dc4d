//! What aami knows about Prometheus and Alertmanager as installed servers:
//! ports, storage, flags, the version family, which files reload them, and
//! their systemd unit or run script.

use crate::config::Config;
use crate::ssh::quote;

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
    pub(super) fn port_key(self) -> &'static str {
        match self {
            Self::Alertmanager => "alertmanager.port",
            Self::Prometheus => "prometheus.port",
        }
    }

    pub(super) fn storage_key(self) -> &'static str {
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
    pub(super) fn build_info(self) -> &'static str {
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
