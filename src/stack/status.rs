//! `stack status`: each server of the stack read over its HTTP API. Per
//! server: up or down (`/-/ready`), the version it reports, and for a
//! Prometheus the targets up against those the config expects
//! (`/api/v1/targets`), rule evaluation errors (`/api/v1/rules`
//! `lastError`), head series (`/api/v1/status/tsdb`), bytes on disk and
//! samples appended per second (`/metrics`, and its own scrape of itself
//! through `/api/v1/query`).

use std::collections::BTreeMap;
use std::time::Duration;

use serde::Serialize;
use serde_json::Value;

use super::{JOBS, Layout};
use crate::config::Config;

/// One server of the stack as `stack status` reads it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct ServerStatus {
    /// `alertmanager`, `prometheus`, or `shard N`.
    pub name: String,
    pub url: String,
    pub up: bool,
    /// Why it is down.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    /// Exporter targets this server scrapes (not its own jobs).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub targets: Option<Targets>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rules: Option<Rules>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tsdb: Option<Tsdb>,
    /// Alertmanager: alerts it holds, active and not silenced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub active_alerts: Option<usize>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Targets {
    pub up: usize,
    /// Exporter targets Prometheus knows of.
    pub known: usize,
    /// Down targets: `job instance: last error`, at most ten.
    pub down: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Rules {
    pub count: usize,
    /// Rules whose last evaluation failed: `group/rule: error`.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct Tsdb {
    pub head_series: Option<u64>,
    /// Blocks, WAL and head chunks on disk.
    pub bytes: Option<f64>,
    pub samples_per_second: Option<f64>,
    /// `last 2m` (its own scrapes) or `since start` (before it has two).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_over: Option<&'static str>,
}

/// The whole stack.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StackStatus {
    pub servers: Vec<ServerStatus>,
    /// Exporter targets the config expects, per job.
    pub expected_targets: BTreeMap<&'static str, usize>,
    pub targets_up: usize,
    pub targets_expected: usize,
}

impl StackStatus {
    /// Every server up, every expected target up, no rule failing.
    pub fn healthy(&self) -> bool {
        self.servers.iter().all(|s| s.up)
            && self.targets_up >= self.targets_expected
            && self
                .servers
                .iter()
                .all(|s| s.rules.as_ref().is_none_or(|r| r.errors.is_empty()))
    }
}

/// What a line of [`StackStatus::problems`] is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Problem {
    Down,
    RuleFailing,
    TargetDown,
    /// Targets the config expects that no answering Prometheus knows of.
    TargetsMissing,
    ActiveAlerts,
}

impl StackStatus {
    /// What is wrong, worst first: servers down (with why), failing rules,
    /// down targets (with their last error), expected targets missing from
    /// the target files, active alerts. `stack status` prints these lines
    /// and the TUI's stack pane lists them.
    pub fn problems(&self) -> Vec<(Problem, String)> {
        let mut out = Vec::new();
        for s in &self.servers {
            if let Some(e) = &s.error {
                out.push((Problem::Down, format!("{} is down: {e}", s.name)));
            }
        }
        for s in &self.servers {
            for e in s.rules.iter().flat_map(|r| &r.errors) {
                out.push((
                    Problem::RuleFailing,
                    format!("{}: rule failing: {e}", s.name),
                ));
            }
        }
        for s in &self.servers {
            for d in s.targets.iter().flat_map(|t| &t.down) {
                out.push((Problem::TargetDown, format!("{}: target down: {d}", s.name)));
            }
        }
        // Only what an answering scraper says: a down one knows of nothing.
        let read: Vec<&Targets> = self
            .servers
            .iter()
            .filter_map(|s| s.targets.as_ref())
            .collect();
        let known: usize = read.iter().map(|t| t.known).sum();
        if !read.is_empty() && known < self.targets_expected {
            out.push((
                Problem::TargetsMissing,
                format!(
                    "{} of the {} targets the config expects are unknown to Prometheus (a server just started finds them within seconds; if this lasts, `aami-tui stack reload` rewrites its target files)",
                    self.targets_expected - known,
                    self.targets_expected
                ),
            ));
        }
        for s in &self.servers {
            if let Some(n) = s.active_alerts.filter(|n| *n > 0) {
                out.push((
                    Problem::ActiveAlerts,
                    format!("{}: {n} active alert(s)", s.name),
                ));
            }
        }
        out
    }
}

/// The servers `config`'s layout runs on `host`: (name, port, whether it
/// scrapes exporters).
pub fn servers(config: &Config, layout: &Layout) -> Vec<(String, u16, Kind)> {
    let mut out = vec![(
        "alertmanager".to_string(),
        config.alertmanager.port,
        Kind::Alertmanager,
    )];
    match layout {
        Layout::Single { .. } => {
            out.push(("prometheus".into(), config.prometheus.port, Kind::Scraper));
        }
        Layout::Federated { shards } => {
            out.push(("prometheus".into(), config.prometheus.port, Kind::Global));
            for i in 0..*shards {
                out.push((
                    format!("shard {i}"),
                    super::shard_port(config, i),
                    Kind::Scraper,
                ));
            }
        }
        Layout::RemoteWrite { shards, .. } => {
            for i in 0..*shards {
                out.push((
                    format!("shard {i}"),
                    super::shard_port(config, i),
                    Kind::Scraper,
                ));
            }
        }
    }
    out
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Alertmanager,
    /// A Prometheus scraping exporters.
    Scraper,
    /// The federated layout's global Prometheus.
    Global,
}

/// Reads every server of the stack on `http_host`.
pub async fn read(config: &Config, layout: &Layout, http_host: &str) -> StackStatus {
    let client = crate::sources::http::client();
    let reads = servers(config, layout)
        .into_iter()
        .map(|(name, port, kind)| {
            let client = client.clone();
            let url = server_url(http_host, port);
            async move { read_server(&client, name, url, kind).await }
        });
    let mut servers = futures::future::join_all(reads).await;
    // The remote-write layouts' store: read too, though aami does not
    // install it.
    if let Layout::Single {
        remote_write: Some(url),
    }
    | Layout::RemoteWrite { url, .. } = layout
    {
        servers.push(read_victoria_metrics(&client, url).await);
    }
    let expected_targets = super::expected_targets(config);
    let targets_expected = expected_targets.values().sum();
    let targets_up = servers
        .iter()
        .filter_map(|s| s.targets.as_ref())
        .map(|t| t.up)
        .sum();
    StackStatus {
        servers,
        expected_targets,
        targets_up,
        targets_expected,
    }
}

/// `http://HOST:PORT` (an IPv6 host in brackets): how a server of the
/// stack is named and reached.
pub fn server_url(host: &str, port: u16) -> String {
    if host.contains(':') {
        format!("http://[{host}]:{port}")
    } else {
        format!("http://{host}:{port}")
    }
}

/// What query mode reads for this layout on `http_host`: the Prometheus,
/// the federated layout's global server, or VictoriaMetrics.
pub fn query_url(config: &Config, layout: &Layout, http_host: &str) -> String {
    match layout {
        Layout::Single { remote_write: None } | Layout::Federated { .. } => {
            server_url(http_host, config.prometheus.port)
        }
        Layout::Single {
            remote_write: Some(url),
        }
        | Layout::RemoteWrite { url, .. } => url.clone(),
    }
}

async fn get_json(client: &reqwest::Client, url: String) -> Result<Value, String> {
    let r = client
        .get(&url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| crate::text::sanitize_max(&e.to_string(), 160))?;
    if !r.status().is_success() {
        return Err(format!("HTTP {} from {url}", r.status()));
    }
    r.json::<Value>()
        .await
        .map_err(|e| crate::text::sanitize_max(&e.to_string(), 160))
}

async fn get_text(client: &reqwest::Client, url: String) -> Result<String, String> {
    let r = client
        .get(&url)
        .timeout(Duration::from_secs(10))
        .send()
        .await
        .map_err(|e| crate::text::sanitize_max(&e.to_string(), 160))?;
    if !r.status().is_success() {
        return Err(format!("HTTP {} from {url}", r.status()));
    }
    r.text()
        .await
        .map_err(|e| crate::text::sanitize_max(&e.to_string(), 160))
}

async fn read_server(
    client: &reqwest::Client,
    name: String,
    url: String,
    kind: Kind,
) -> ServerStatus {
    let mut s = ServerStatus {
        name,
        url: url.clone(),
        up: false,
        error: None,
        version: None,
        targets: None,
        rules: None,
        tsdb: None,
        active_alerts: None,
    };
    match get_text(client, format!("{url}/-/ready")).await {
        Ok(_) => s.up = true,
        Err(e) => {
            s.error = Some(e);
            return s;
        }
    }
    if kind == Kind::Alertmanager {
        if let Ok(v) = get_json(client, format!("{url}/api/v2/status")).await {
            s.version = v["versionInfo"]["version"].as_str().map(str::to_string);
        }
        if let Ok(v) = get_json(
            client,
            format!("{url}/api/v2/alerts?active=true&silenced=false&inhibited=false"),
        )
        .await
        {
            s.active_alerts = v.as_array().map(Vec::len);
        }
        return s;
    }
    let (build, targets, rules, tsdb, metrics, rate) = tokio::join!(
        get_json(client, format!("{url}/api/v1/status/buildinfo")),
        get_json(client, format!("{url}/api/v1/targets?state=active")),
        get_json(client, format!("{url}/api/v1/rules")),
        get_json(client, format!("{url}/api/v1/status/tsdb")),
        get_text(client, format!("{url}/metrics")),
        get_json(
            client,
            format!(
                "{url}/api/v1/query?query={}",
                urlencode(
                    "sum(rate(prometheus_tsdb_head_samples_appended_total{job=\"prometheus\"}[2m]))"
                )
            )
        ),
    );
    s.version = build
        .ok()
        .and_then(|v| v["data"]["version"].as_str().map(str::to_string));
    if kind == Kind::Scraper {
        s.targets = targets.ok().map(|v| parse_targets(&v));
    }
    if kind != Kind::Scraper || rules.as_ref().is_ok_and(|v| rule_count(v) > 0) {
        s.rules = rules.ok().map(|v| parse_rules(&v));
    }
    let metrics = metrics.unwrap_or_default();
    let mut t = Tsdb {
        head_series: tsdb
            .ok()
            .and_then(|v| v["data"]["headStats"]["numSeries"].as_u64()),
        ..Tsdb::default()
    };
    let bytes: Vec<f64> = [
        "prometheus_tsdb_storage_blocks_bytes",
        "prometheus_tsdb_wal_storage_size_bytes",
        "prometheus_tsdb_head_chunks_storage_size_bytes",
    ]
    .iter()
    .filter_map(|f| family_sum(&metrics, f))
    .collect();
    if !bytes.is_empty() {
        t.bytes = Some(bytes.iter().sum());
    }
    let measured = rate.ok().and_then(|v| {
        v["data"]["result"][0]["value"][1]
            .as_str()
            .and_then(|x| x.parse::<f64>().ok())
    });
    if let Some(r) = measured {
        t.samples_per_second = Some(r);
        t.rate_over = Some("last 2m");
    } else if let (Some(total), Some(start)) = (
        family_sum(&metrics, "prometheus_tsdb_head_samples_appended_total"),
        family_sum(&metrics, "process_start_time_seconds"),
    ) {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(start);
        if now > start {
            t.samples_per_second = Some(total / (now - start));
            t.rate_over = Some("since start");
        }
    }
    s.tsdb = Some(t);
    s
}

/// VictoriaMetrics at `url` (its write or query URL: the health and
/// metrics pages are read at its root): up (`/health`), its version
/// (`vm_app_version`; Debian's build leaves it empty), data on disk and
/// rows inserted per second since it started.
async fn read_victoria_metrics(client: &reqwest::Client, url: &str) -> ServerStatus {
    let root = match url.find("://").map(|i| i + 3) {
        Some(at) => match url[at..].find('/') {
            Some(slash) => &url[..at + slash],
            None => url,
        },
        None => url,
    };
    let mut s = ServerStatus {
        name: "victoria-metrics".into(),
        url: url.to_string(),
        up: false,
        error: None,
        version: None,
        targets: None,
        rules: None,
        tsdb: None,
        active_alerts: None,
    };
    if let Err(e) = get_text(client, format!("{root}/health")).await {
        s.error = Some(e);
        return s;
    }
    s.up = true;
    let page = get_text(client, format!("{root}/metrics"))
        .await
        .unwrap_or_default();
    s.version = page
        .lines()
        .find(|l| l.starts_with("vm_app_version{"))
        .and_then(|l| l.split("short_version=\"").nth(1))
        .and_then(|v| v.split('"').next())
        .filter(|v| !v.is_empty())
        .map(str::to_string);
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or_default();
    let rate = match (
        family_sum(&page, "vm_rows_inserted_total"),
        family_sum(&page, "process_start_time_seconds"),
    ) {
        (Some(rows), Some(start)) if now > start => Some(rows / (now - start)),
        _ => None,
    };
    s.tsdb = Some(Tsdb {
        head_series: None,
        bytes: family_sum(&page, "vm_data_size_bytes"),
        samples_per_second: rate,
        rate_over: rate.map(|_| "since start"),
    });
    s
}

fn urlencode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 2);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// The sum of a family's samples on a metrics page.
pub fn family_sum(page: &str, family: &str) -> Option<f64> {
    let mut found = None;
    for l in page.lines() {
        let Some(rest) = l.strip_prefix(family) else {
            continue;
        };
        if !rest.starts_with(['{', ' ']) {
            continue;
        }
        // The value follows the labels (which may hold spaces).
        let after = match rest.rfind('}') {
            Some(i) if rest.starts_with('{') => &rest[i + 1..],
            _ => rest,
        };
        if let Some(v) = after
            .split_whitespace()
            .next()
            .and_then(|v| v.parse::<f64>().ok())
        {
            *found.get_or_insert(0.0) += v;
        }
    }
    found
}

fn parse_targets(v: &Value) -> Targets {
    let mut t = Targets::default();
    let jobs: Vec<&str> = JOBS.iter().map(|(j, _)| *j).collect();
    for target in v["data"]["activeTargets"].as_array().into_iter().flatten() {
        let job = target["labels"]["job"]
            .as_str()
            .or_else(|| target["scrapePool"].as_str())
            .unwrap_or("");
        if !jobs.contains(&job) {
            continue;
        }
        t.known += 1;
        if target["health"].as_str() == Some("up") {
            t.up += 1;
        } else if t.down.len() < 10 {
            t.down.push(format!(
                "{job} {}: {}",
                target["labels"]["instance"].as_str().unwrap_or("?"),
                crate::text::sanitize_max(
                    target["lastError"]
                        .as_str()
                        .filter(|e| !e.is_empty())
                        .unwrap_or("not scraped yet"),
                    160
                )
            ));
        }
    }
    t
}

fn rule_count(v: &Value) -> usize {
    v["data"]["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|g| g["rules"].as_array().map_or(0, Vec::len))
        .sum()
}

fn parse_rules(v: &Value) -> Rules {
    let mut r = Rules::default();
    for g in v["data"]["groups"].as_array().into_iter().flatten() {
        let group = g["name"].as_str().unwrap_or("?");
        for rule in g["rules"].as_array().into_iter().flatten() {
            r.count += 1;
            let err = rule["lastError"].as_str().filter(|e| !e.is_empty());
            if let Some(e) =
                err.or_else(|| (rule["health"].as_str() == Some("err")).then_some("failed"))
            {
                r.errors.push(format!(
                    "{group}/{}: {}",
                    rule["name"].as_str().unwrap_or("?"),
                    crate::text::sanitize_max(e, 200)
                ));
            }
        }
    }
    r
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn family_sums_skip_longer_names_and_read_labelled_values() {
        let page = "# HELP x\nprometheus_tsdb_head_samples_appended_total{type=\"float\"} 100\nprometheus_tsdb_head_samples_appended_total{type=\"histogram\"} 5\nprometheus_tsdb_head_samples_appended_total_x 9\nprocess_start_time_seconds 1.7e9\n";
        assert_eq!(
            family_sum(page, "prometheus_tsdb_head_samples_appended_total"),
            Some(105.0)
        );
        assert_eq!(family_sum(page, "process_start_time_seconds"), Some(1.7e9));
        assert_eq!(family_sum(page, "absent"), None);
    }

    #[test]
    fn expected_targets_prometheus_does_not_know_are_named_only_when_it_answers() {
        let server = |targets: Option<Targets>| ServerStatus {
            name: "prometheus".into(),
            url: "http://127.0.0.1:19090".into(),
            up: targets.is_some(),
            error: None,
            version: None,
            targets,
            rules: None,
            tsdb: None,
            active_alerts: None,
        };
        let status = |targets| StackStatus {
            servers: vec![server(targets)],
            expected_targets: BTreeMap::new(),
            targets_up: 0,
            targets_expected: 8,
        };
        let just_started = status(Some(Targets::default())).problems();
        let missing: Vec<&String> = just_started
            .iter()
            .filter(|(p, _)| *p == Problem::TargetsMissing)
            .map(|(_, line)| line)
            .collect();
        assert_eq!(missing.len(), 1, "{just_started:?}");
        // Not "missing from the target files": a server just started has
        // not read them yet.
        assert!(
            missing[0]
                .starts_with("8 of the 8 targets the config expects are unknown to Prometheus")
                && missing[0].contains("just started"),
            "{}",
            missing[0]
        );
        let down = status(None).problems();
        assert!(
            down.iter().all(|(p, _)| *p != Problem::TargetsMissing),
            "a server that does not answer knows of nothing: {down:?}"
        );
    }

    #[test]
    fn rule_errors_and_down_targets_are_listed() {
        let rules: Value = serde_json::from_str(
            r#"{"data":{"groups":[{"name":"aami","rules":[{"name":"A","health":"ok","lastError":""},{"name":"B","health":"err","lastError":"many-to-many matching not allowed"}]}]}}"#,
        )
        .unwrap_or_default();
        let r = parse_rules(&rules);
        assert_eq!(r.count, 2);
        assert_eq!(r.errors, ["aami/B: many-to-many matching not allowed"]);
        let targets: Value = serde_json::from_str(
            r#"{"data":{"activeTargets":[{"labels":{"job":"prometheus","instance":"localhost:9090"},"health":"up"},{"labels":{"job":"dcgm-exporter","instance":"10.0.0.1:9400"},"health":"up"},{"labels":{"job":"node_exporter","instance":"10.0.0.1:9100"},"health":"down","lastError":"connection refused"}]}}"#,
        )
        .unwrap_or_default();
        let t = parse_targets(&targets);
        assert_eq!(
            (t.up, t.known),
            (1, 2),
            "its own job is not an exporter target"
        );
        assert_eq!(t.down, ["node_exporter 10.0.0.1:9100: connection refused"]);
    }
}
