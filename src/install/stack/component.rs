//! What aami knows about Prometheus and Alertmanager as installed servers:
//! ports, storage, flags, the version family, which files reload them, and
//! their systemd unit or run script.

use crate::config::Config;
use crate::install::unit::KERNEL_HARDENING;
use crate::ssh::quote;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StackComponent {
    Alertmanager,
    /// The single layout's Prometheus, or the federated layout's global
    /// one.
    Prometheus,
    /// Shard `i` of a sharded layout: a Prometheus of its own (folder,
    /// port, storage, launcher) run from the bundle's prometheus.
    Shard(u16),
}

impl StackComponent {
    /// The single layout's servers. Alertmanager first: Prometheus sends
    /// to it.
    pub const ALL: [Self; 2] = [Self::Alertmanager, Self::Prometheus];

    /// The servers of `layout`, in the order they start: Alertmanager,
    /// the shards, then the global server that federates from them (the
    /// remote-write layout has none: its shards write into
    /// VictoriaMetrics, which is not installed here).
    pub fn for_layout(layout: &crate::stack::Layout) -> Vec<Self> {
        use crate::stack::Layout;
        let shards = |n: usize| (0..n).map(|i| Self::Shard(u16::try_from(i).unwrap_or(u16::MAX)));
        match layout {
            Layout::Single { .. } => Self::ALL.to_vec(),
            Layout::Federated { shards: n } => std::iter::once(Self::Alertmanager)
                .chain(shards(*n))
                .chain(std::iter::once(Self::Prometheus))
                .collect(),
            Layout::RemoteWrite { shards: n, .. } => std::iter::once(Self::Alertmanager)
                .chain(shards(*n))
                .collect(),
        }
    }

    /// The name in folders and unit names: `prometheus-shard-0` for a
    /// shard.
    pub fn name(self) -> String {
        match self {
            Self::Shard(i) => format!("prometheus-shard-{i}"),
            other => other.binary().to_string(),
        }
    }

    /// The program it runs, as the bundle names it.
    pub fn binary(self) -> &'static str {
        match self {
            Self::Alertmanager => "alertmanager",
            Self::Prometheus | Self::Shard(_) => "prometheus",
        }
    }

    pub fn port(self, config: &Config) -> u16 {
        match self {
            Self::Alertmanager => config.alertmanager.port,
            Self::Prometheus => config.prometheus.port,
            Self::Shard(i) => crate::stack::shard_port(config, usize::from(i)),
        }
    }

    pub fn storage(self, config: &Config) -> String {
        match self {
            Self::Alertmanager => config.alertmanager.storage_path.clone(),
            Self::Prometheus => config.prometheus.storage_path.clone(),
            Self::Shard(i) => crate::stack::shard_storage(config, usize::from(i)),
        }
    }

    /// Its configuration file, relative to the stack folder.
    pub fn config_file(self) -> String {
        match self {
            Self::Alertmanager => "alertmanager.yml".into(),
            Self::Prometheus => "prometheus.yml".into(),
            Self::Shard(i) => format!("shards/{i}/prometheus.yml"),
        }
    }

    /// The config key naming its port, for messages.
    pub(super) fn port_key(self) -> &'static str {
        match self {
            Self::Alertmanager => "alertmanager.port",
            Self::Prometheus => "prometheus.port",
            Self::Shard(_) => "prometheus.port (shard i listens on prometheus.port + 1 + i)",
        }
    }

    pub(super) fn storage_key(self) -> &'static str {
        match self {
            Self::Alertmanager => "alertmanager.storage_path",
            Self::Prometheus | Self::Shard(_) => "prometheus.storage_path",
        }
    }

    /// Its command-line flags, reading its configuration from `dir`.
    /// Retention and storage are flags, not configuration; the lifecycle
    /// API makes `/-/reload` answer; Alertmanager runs alone (no cluster
    /// port).
    pub fn args(self, config: &Config, dir: &str) -> Vec<String> {
        let port = self.port(config);
        let file = self.config_file();
        match self {
            Self::Prometheus | Self::Shard(_) => vec![
                format!("--config.file={dir}/{file}"),
                format!("--storage.tsdb.path={}", self.storage(config)),
                format!(
                    "--storage.tsdb.retention.time={}",
                    config.prometheus.retention
                ),
                format!("--web.listen-address=:{port}"),
                "--web.enable-lifecycle".into(),
            ],
            Self::Alertmanager => vec![
                format!("--config.file={dir}/{file}"),
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
            Self::Prometheus | Self::Shard(_) => "prometheus_build_info",
        }
    }

    /// Whether a change to the configuration file `path` needs this
    /// server reloaded. Target files need nothing: Prometheus watches them.
    pub fn reloads_for(self, path: &str) -> bool {
        match self {
            Self::Alertmanager => path == "alertmanager.yml",
            Self::Prometheus | Self::Shard(_) => {
                path == self.config_file() || path.starts_with("rules/")
            }
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
    let exec = std::iter::once(format!("{prefix}/{name}/current/{}", c.binary()))
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
         {KERNEL_HARDENING}\
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
    let exec = std::iter::once(format!("{prefix}/{name}/current/{}", c.binary()))
        .chain(c.args(config, dir))
        .map(|a| quote(&a))
        .collect::<Vec<_>>()
        .join(" ");
    format!(
        "#!/bin/sh\n# Written by aami-tui stack install: runs {name} detached, its pid in run.pid.\necho $$ > {}\nexec {exec}\n",
        quote(&format!("{prefix}/{name}/run.pid")),
    )
}
