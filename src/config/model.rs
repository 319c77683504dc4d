//! The typed configuration. Every struct denies unknown keys so that a typo
//! is an error with a did-you-mean, not a silently ignored setting.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    pub cluster: Cluster,
    pub nodes: Vec<NodeConfig>,
    pub alerts: Alerts,
    pub notifications: Notifications,
    pub prometheus: Prometheus,
    pub alertmanager: Alertmanager,
    pub ssh: SshSettings,
    pub install: Install,
    pub grafana: Grafana,
    pub tui: Tui,
    pub stack: Stack,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Cluster {
    pub name: String,
}

impl Default for Cluster {
    fn default() -> Self {
        Self {
            name: "gpu-cluster".into(),
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NodeConfig {
    pub name: String,
    pub ip: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_user: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_key: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ssh_port: Option<u16>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "Exporters::is_default")]
    pub exporters: Exporters,
}

/// Where a node's exporters listen. Ports are on the node's `ip`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Exporters {
    /// dcgm-exporter port; `null` turns it off.
    pub dcgm: Option<u16>,
    /// node_exporter port; `null` turns it off.
    pub node: Option<u16>,
    pub all_smi: Option<u16>,
    pub nvidia_gpu_exporter: Option<u16>,
    /// Full URL of a custom accelerator's JSON `/v1/collect` endpoint.
    pub custom_json: Option<String>,
    /// Pin the GPU page's dialect instead of detecting it.
    pub dialect: Option<Dialect>,
}

impl Default for Exporters {
    fn default() -> Self {
        Self {
            dcgm: Some(9400),
            node: Some(9100),
            all_smi: None,
            nvidia_gpu_exporter: None,
            custom_json: None,
            dialect: None,
        }
    }
}

impl Exporters {
    pub fn is_default(&self) -> bool {
        *self == Self::default()
    }
}

/// What a page is: the exporter dialect that wrote it. One type for the
/// config's `exporters.dialect`, `inspect --dialect` and detection; what
/// each dialect reads lives in `crate::sources::dialect`.
///
/// The config accepts only the GPU dialects it could always pin (`dcgm`,
/// `all_smi`, `nvidia_gpu_exporter`, `custom_json`); the others are
/// detected, or pinned on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Dialect {
    Dcgm,
    AllSmi,
    NvidiaGpuExporter,
    #[serde(skip_deserializing)]
    Amd,
    #[serde(skip_deserializing)]
    NodeExporter,
    CustomJson,
    #[serde(skip_deserializing)]
    PrometheusApi,
}

impl Dialect {
    /// The snake_case name used in the config, JSON output and `--dialect`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Dcgm => "dcgm",
            Self::AllSmi => "all_smi",
            Self::NvidiaGpuExporter => "nvidia_gpu_exporter",
            Self::Amd => "amd",
            Self::NodeExporter => "node_exporter",
            Self::CustomJson => "custom_json",
            Self::PrometheusApi => "prometheus_api",
        }
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Alerts {
    pub presets: Vec<String>,
    pub custom: Vec<CustomRule>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CustomRule {
    pub name: String,
    pub expr: String,
    #[serde(default, rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    #[serde(default)]
    pub severity: RuleSeverity,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RuleSeverity {
    Critical,
    #[default]
    Warning,
    Info,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Notifications {
    pub slack: Option<Slack>,
    pub email: Option<Email>,
    pub webhook: Option<Webhook>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Slack {
    pub enabled: bool,
    pub webhook_url: String,
    pub channel: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Email {
    pub enabled: bool,
    pub smtp_host: String,
    /// 587 when not given; 465 means TLS from the first byte (SMTPS).
    pub smtp_port: Option<u16>,
    pub from: String,
    pub to: Vec<String>,
    pub username: Option<String>,
    /// Only as `${ENV}`; never printed.
    pub password: Option<String>,
    /// STARTTLS before anything else is said (default on); `false` sends in
    /// clear, for a relay on the same host or a test listener. Ignored on
    /// port 465, which is TLS throughout.
    pub starttls: Option<bool>,
    /// A CA certificate (PEM) to trust for the SMTP server, besides the
    /// public roots.
    pub ca_file: Option<String>,
}

impl Email {
    pub const DEFAULT_PORT: u16 = 587;

    pub fn port(&self) -> u16 {
        self.smtp_port.unwrap_or(Self::DEFAULT_PORT)
    }

    /// TLS from the first byte: port 465, as Alertmanager does.
    pub fn implicit_tls(&self) -> bool {
        self.port() == 465
    }

    /// Whether the connection must be encrypted (STARTTLS or SMTPS).
    pub fn require_tls(&self) -> bool {
        self.implicit_tls() || self.starttls.unwrap_or(true)
    }
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Webhook {
    pub enabled: bool,
    pub url: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Prometheus {
    pub retention: String,
    pub storage_path: String,
    pub port: u16,
    /// How often the stack's Prometheus scrapes the exporters and
    /// evaluates the rules (`stack render`, `stack install`).
    pub scrape_interval: String,
    /// Query mode: read the fleet from this Prometheus / VictoriaMetrics.
    pub url: Option<String>,
    pub auth: Option<HttpAuth>,
}

impl Default for Prometheus {
    fn default() -> Self {
        Self {
            retention: "15d".into(),
            storage_path: "/var/lib/aami/prometheus".into(),
            port: 9090,
            scrape_interval: "15s".into(),
            url: None,
            auth: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Alertmanager {
    pub url: Option<String>,
    pub auth: Option<HttpAuth>,
    /// Where the stack's Alertmanager listens (`stack install`).
    pub port: u16,
    /// Its silences and notification log (`stack install`).
    pub storage_path: String,
}

impl Default for Alertmanager {
    fn default() -> Self {
        Self {
            url: None,
            auth: None,
            port: 9093,
            storage_path: "/var/lib/aami/alertmanager".into(),
        }
    }
}

/// The monitoring stack (`aami-tui stack …`): where its configuration
/// lives and how it is laid out past one server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Stack {
    /// The host running Prometheus and Alertmanager: a configured node's
    /// name or an ssh-config host, reached over SSH. Unset: this machine
    /// (the control node).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<String>,
    /// The folder on that host holding the live configuration (what
    /// `stack render` writes). Unset: `<install.prefix>/stack`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dir: Option<String>,
    /// Past this many nodes `stack render` lays the stack out as
    /// `layout` says instead of one Prometheus.
    pub shard_above: usize,
    /// `federated` (shard Prometheus servers by hashmod and a global one
    /// federating what the TUI and rules need) or `remote_write` (into
    /// VictoriaMetrics at `victoria_metrics`).
    pub layout: StackLayout,
    /// Shard count when federated; unset: nodes / shard_above, rounded up.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub shards: Option<usize>,
    /// VictoriaMetrics' base URL for the remote-write layout (single node
    /// `http://vm:8428`, or a cluster's vminsert
    /// `http://vminsert:8480/insert/0/prometheus`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub victoria_metrics: Option<String>,
}

impl Default for Stack {
    fn default() -> Self {
        Self {
            host: None,
            dir: None,
            shard_above: 500,
            layout: StackLayout::Federated,
            shards: None,
            victoria_metrics: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StackLayout {
    Federated,
    RemoteWrite,
}

/// Authentication and TLS for an HTTP API.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HttpAuth {
    pub bearer_token: Option<String>,
    pub basic: Option<BasicAuth>,
    pub oauth2: Option<OAuth2>,
    pub tls: Option<TlsSettings>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    pub client_id: String,
    pub client_secret: String,
    pub token_url: String,
    #[serde(default)]
    pub scopes: Vec<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct TlsSettings {
    pub ca_file: Option<String>,
    pub cert_file: Option<String>,
    pub key_file: Option<String>,
    /// Skips certificate checks. Must be spelled out; never a default.
    pub insecure_skip_verify: bool,
}

/// Where exporters are installed on nodes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Install {
    /// `<prefix>/<component>/<version>/`, with a `current` link.
    pub prefix: String,
}

impl Default for Install {
    fn default() -> Self {
        Self {
            prefix: "/opt/aami".into(),
        }
    }
}

/// AAMI's `ssh` section.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SshSettings {
    pub max_parallel: usize,
    /// Seconds.
    pub connect_timeout: u64,
    /// Seconds.
    pub command_timeout: u64,
    pub retry: SshRetry,
    /// OpenSSH client config to read (default `~/.ssh/config`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub config_file: Option<String>,
    /// Name of the environment variable holding the key passphrase, for
    /// the CLI (the TUI asks in a masked field).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passphrase_env: Option<String>,
}

impl Default for SshSettings {
    fn default() -> Self {
        Self {
            max_parallel: 100,
            connect_timeout: 10,
            command_timeout: 300,
            retry: SshRetry::default(),
            config_file: None,
            passphrase_env: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SshRetry {
    pub max_attempts: u32,
    /// Seconds.
    pub backoff_base: u64,
    /// Seconds.
    pub backoff_max: u64,
}

impl Default for SshRetry {
    fn default() -> Self {
        Self {
            max_attempts: 3,
            backoff_base: 1,
            backoff_max: 30,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Grafana {
    pub enabled: bool,
    pub port: u16,
    pub admin_password: Option<String>,
}

impl Default for Grafana {
    fn default() -> Self {
        Self {
            enabled: false,
            port: 3000,
            admin_password: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Tui {
    /// Refresh interval: `2s`, `500ms`, `1m`.
    pub refresh: String,
    pub theme: String,
    /// GPU history kept per metric, e.g. `15m`.
    pub history: String,
    /// How often host pages (node_exporter) are read, when slower than
    /// `refresh`: e.g. `10s`. Unset reads them on every refresh.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub host_refresh: Option<String>,
    /// Scrapes in flight at once.
    pub max_concurrent_scrapes: usize,
    /// Largest exporter page accepted, in MiB.
    pub max_body_mib: u64,
    /// Keep exporter connections open between refreshes. Unset decides by
    /// fleet size (see `sources::http::keep_alive`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub keep_alive: Option<bool>,
}

impl Default for Tui {
    fn default() -> Self {
        Self {
            refresh: "2s".into(),
            theme: "dark".into(),
            history: "15m".into(),
            host_refresh: None,
            max_concurrent_scrapes: 64,
            max_body_mib: 16,
            keep_alive: None,
        }
    }
}

impl Config {
    /// Refresh interval, validated at load.
    pub fn refresh_interval(&self) -> Duration {
        parse_duration(&self.tui.refresh).unwrap_or(Duration::from_secs(2))
    }

    /// Host pages are read on every this-many-th refresh
    /// (`tui.host_refresh` over `tui.refresh`, rounded, at least 1).
    pub fn host_refresh_every(&self) -> u64 {
        let Some(host) = self.tui.host_refresh.as_deref().and_then(parse_duration) else {
            return 1;
        };
        let step = self.refresh_interval().as_secs_f64().max(0.001);
        ((host.as_secs_f64() / step).round() as u64).max(1)
    }

    /// How many refreshes the history rings hold.
    pub fn history_len(&self) -> usize {
        let span = parse_duration(&self.tui.history).unwrap_or(Duration::from_secs(900));
        let step = self.refresh_interval().as_secs_f64().max(0.001);
        ((span.as_secs_f64() / step).ceil() as usize).clamp(2, 100_000)
    }

    /// Whether the file holds a secret and must be kept 0600.
    pub fn holds_secret(&self) -> bool {
        let auth_secret = |a: &Option<HttpAuth>| {
            a.as_ref().is_some_and(|a| {
                a.bearer_token.is_some() || a.basic.is_some() || a.oauth2.is_some()
            })
        };
        auth_secret(&self.prometheus.auth)
            || auth_secret(&self.alertmanager.auth)
            || self.notifications.slack.is_some()
            || self
                .notifications
                .email
                .as_ref()
                .is_some_and(|e| e.password.is_some())
            || self.notifications.webhook.is_some()
            || self.grafana.admin_password.is_some()
    }
}

/// Parses `500ms`, `2s`, `1m`, `1h`, `15d`; a bare number is seconds.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let s = s.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let (num, unit) = s.split_at(split);
    let n: f64 = num.parse().ok()?;
    let secs = match unit.trim() {
        "" | "s" => n,
        "ms" => n / 1000.0,
        "m" => n * 60.0,
        "h" => n * 3600.0,
        "d" => n * 86400.0,
        _ => return None,
    };
    (secs.is_finite() && secs >= 0.0).then(|| Duration::from_secs_f64(secs))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("500ms"), Some(Duration::from_millis(500)));
        assert_eq!(parse_duration("15m"), Some(Duration::from_secs(900)));
        assert_eq!(parse_duration("3"), Some(Duration::from_secs(3)));
        assert_eq!(parse_duration("2 parsecs"), None);
    }

    #[test]
    fn host_refresh_is_a_whole_number_of_refreshes() {
        let mut c = Config::default();
        assert_eq!(c.host_refresh_every(), 1);
        c.tui.host_refresh = Some("10s".into());
        assert_eq!(c.host_refresh_every(), 5);
        c.tui.host_refresh = Some("500ms".into());
        assert_eq!(c.host_refresh_every(), 1, "never faster than refresh");
    }

    #[test]
    fn history_len_follows_refresh() {
        let c = Config::default();
        assert_eq!(c.history_len(), 450);
    }
}
