//! The monitoring stack's configuration, generated from the one config:
//! `prometheus.yml` with file-based service discovery, a target file per
//! exporter job (node labels carried as target labels), the rule file of the
//! configured presets, `alertmanager.yml`, and Prometheus's retention and
//! storage flags. Pure: the caller writes the files.
//!
//! Up to `stack.shard_above` nodes, one Prometheus scrapes everything.
//! Past it, one of two layouts (`stack.layout`):
//! - **federated**: N shard servers (`shards/<i>/prometheus.yml`), each
//!   keeping the nodes whose name hashes to it (`hashmod` of the `node`
//!   label, so a node's exporters stay together), and the
//!   global `prometheus.yml` federating from them only the families the TUI
//!   reads and the rules name, evaluating the rules and sending to
//!   Alertmanager;
//! - **remote_write**: the N shard servers each evaluate the rules on their
//!   slice (every preset rule is per GPU or per node) and write everything
//!   into VictoriaMetrics, which query mode then reads.
//!
//! Shard `i` listens on `prometheus.port + 1 + i` and keeps its data beside
//! the global server's, in `<prometheus.storage_path>-shard-<i>`. All
//! servers read the same target files, so `nodes add` rewrites one set.

pub mod status;

use std::collections::{BTreeMap, BTreeSet};

use serde_json::json;

use crate::config::{Config, StackLayout};

/// One generated file: its path under the output folder and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackFile {
    pub path: String,
    pub text: String,
}

/// Where a node's exporter of one kind listens, if it runs one.
type PortOf = fn(&crate::config::NodeConfig) -> Option<u16>;

/// The exporter jobs Prometheus scrapes, with the node's port for each.
pub const JOBS: [(&str, PortOf); 4] = [
    ("node_exporter", |n| n.exporters.node),
    ("dcgm-exporter", |n| n.exporters.dcgm),
    ("all-smi", |n| n.exporters.all_smi),
    ("nvidia_gpu_exporter", |n| n.exporters.nvidia_gpu_exporter),
];

/// The folder holding the live configuration on the stack's host.
pub fn stack_dir(config: &Config) -> String {
    config
        .stack
        .dir
        .clone()
        .unwrap_or_else(|| format!("{}/stack", config.install.prefix.trim_end_matches('/')))
}

/// A node label key as a Prometheus label name: `[a-zA-Z_][a-zA-Z0-9_]*`.
pub fn label_name(key: &str) -> String {
    let mut s: String = key
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if s.chars().next().is_none_or(|c| c.is_ascii_digit()) {
        s.insert(0, '_');
    }
    s
}

/// `targets/JOB.json`: one group per node, so each keeps its own labels.
pub fn targets(config: &Config, port: PortOf) -> String {
    let groups: Vec<serde_json::Value> = config
        .nodes
        .iter()
        .filter_map(|n| {
            let p = port(n)?;
            let mut labels: BTreeMap<String, String> = n
                .labels
                .iter()
                .filter(|(k, _)| !k.starts_with("__"))
                .map(|(k, v)| (label_name(k), v.clone()))
                .collect();
            labels.insert("node".into(), n.name.clone());
            let host = if n.ip.contains(':') {
                format!("[{}]", n.ip)
            } else {
                n.ip.clone()
            };
            Some(json!({ "targets": [format!("{host}:{p}")], "labels": labels }))
        })
        .collect();
    let mut text = serde_json::to_string_pretty(&groups).unwrap_or_else(|_| "[]".into());
    text.push('\n');
    text
}

/// Every target file (what `nodes add` rewrites).
pub fn target_files(config: &Config) -> Vec<StackFile> {
    JOBS.iter()
        .map(|(job, port)| StackFile {
            path: format!("targets/{job}.json"),
            text: targets(config, *port),
        })
        .collect()
}

/// How many targets each job should have up, from the config.
pub fn expected_targets(config: &Config) -> BTreeMap<&'static str, usize> {
    JOBS.iter()
        .map(|(job, port)| {
            (
                *job,
                config.nodes.iter().filter(|n| port(n).is_some()).count(),
            )
        })
        .collect()
}

/// The stack's shape for this config.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Layout {
    /// One Prometheus; `remote_write` when the layout says so.
    Single {
        remote_write: Option<String>,
    },
    Federated {
        shards: usize,
    },
    RemoteWrite {
        shards: usize,
        url: String,
    },
}

impl Layout {
    pub fn shards(&self) -> usize {
        match self {
            Self::Single { .. } => 1,
            Self::Federated { shards } | Self::RemoteWrite { shards, .. } => *shards,
        }
    }
}

/// The layout for `config`, or why it cannot be had.
pub fn layout(config: &Config) -> Result<Layout, String> {
    let n = config.nodes.len();
    let above = config.stack.shard_above.max(1);
    let shards = if n > above {
        config.stack.shards.unwrap_or(n.div_ceil(above)).max(1)
    } else {
        1
    };
    let vm = || {
        config
            .stack
            .victoria_metrics
            .as_deref()
            .map(|u| u.trim_end_matches('/').to_string())
            .ok_or_else(|| {
                "stack.layout is remote_write but stack.victoria_metrics is unset: give VictoriaMetrics' URL, e.g. http://vm:8428".to_string()
            })
    };
    Ok(match (config.stack.layout, shards) {
        (StackLayout::Federated, 1) => Layout::Single { remote_write: None },
        (StackLayout::Federated, shards) => Layout::Federated { shards },
        (StackLayout::RemoteWrite, 1) => Layout::Single {
            remote_write: Some(vm()?),
        },
        (StackLayout::RemoteWrite, shards) => Layout::RemoteWrite { shards, url: vm()? },
    })
}

/// The port shard `i` listens on.
pub fn shard_port(config: &Config, i: usize) -> u16 {
    config
        .prometheus
        .port
        .saturating_add(1)
        .saturating_add(u16::try_from(i).unwrap_or(u16::MAX))
}

/// Where shard `i` keeps its data: beside the global server's.
pub fn shard_storage(config: &Config, i: usize) -> String {
    format!(
        "{}-shard-{i}",
        config.prometheus.storage_path.trim_end_matches('/')
    )
}

const HEADER: &str =
    "# Generated by `aami-tui stack render` from the aami config: edit that, not this.\n";

/// The `global:` block: intervals and the external labels.
fn global_block(config: &Config, shard: Option<usize>) -> String {
    let mut s = format!(
        "global:\n  scrape_interval: {i}\n  evaluation_interval: {i}\n  external_labels:\n    cluster: {}\n",
        serde_json::to_string(&config.cluster.name).unwrap_or_else(|_| "\"aami\"".into()),
        i = config.prometheus.scrape_interval,
    );
    if let Some(i) = shard {
        s.push_str(&format!("    shard: \"{i}\"\n"));
    }
    s
}

fn alerting_block(config: &Config) -> String {
    format!(
        "alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: [\"localhost:{}\"]\n",
        config.alertmanager.port
    )
}

fn remote_write_block(url: &str) -> String {
    format!("remote_write:\n  - url: \"{url}/api/v1/write\"\n")
}

/// A server scrapes itself (`stack status` reads the ingestion rate from
/// that); the one that sends alerts scrapes Alertmanager too. `localhost`,
/// so no node's address in query mode can be mistaken for them.
fn self_jobs(port: u16, alertmanager: Option<u16>) -> String {
    let mut s = format!(
        "  - job_name: prometheus\n    static_configs:\n      - targets: [\"localhost:{port}\"]\n"
    );
    if let Some(am) = alertmanager {
        s.push_str(&format!(
            "  - job_name: alertmanager\n    static_configs:\n      - targets: [\"localhost:{am}\"]\n"
        ));
    }
    s
}

/// The exporter jobs reading `<targets>/JOB.json`, keeping only the
/// targets of shard `keep` of `shards` when given. The hash is of the
/// `node` label, so all of a node's exporters land on one shard (its rules
/// join them there under remote write).
fn exporter_jobs(targets_dir: &str, slice: Option<(usize, usize)>) -> String {
    let mut s = String::new();
    for (job, _) in JOBS {
        s.push_str(&format!(
            "  - job_name: {job}\n    file_sd_configs:\n      - files: [{targets_dir}/{job}.json]\n"
        ));
        if let Some((keep, shards)) = slice {
            s.push_str(&format!(
                "    relabel_configs:\n      - source_labels: [node]\n        modulus: {shards}\n        target_label: __tmp_shard\n        action: hashmod\n      - source_labels: [__tmp_shard]\n        regex: \"{keep}\"\n        action: keep\n"
            ));
        }
    }
    s
}

/// `prometheus.yml` for one server scraping every node: rules,
/// Alertmanager and the exporter jobs (and remote write when asked).
pub fn prometheus_yml(config: &Config, remote_write: Option<&str>) -> String {
    let mut s = String::from(HEADER);
    s.push_str(&global_block(config, None));
    s.push_str("rule_files:\n  - rules/*.yml\n");
    s.push_str(&alerting_block(config));
    if let Some(url) = remote_write {
        s.push_str(&remote_write_block(url));
    }
    s.push_str("scrape_configs:\n");
    s.push_str(&self_jobs(
        config.prometheus.port,
        Some(config.alertmanager.port),
    ));
    s.push_str(&exporter_jobs("targets", None));
    s
}

/// `shards/<i>/prometheus.yml`: its slice of every job. Under remote
/// write it also evaluates the rules and sends to Alertmanager.
pub fn shard_yml(config: &Config, i: usize, shards: usize, remote_write: Option<&str>) -> String {
    let mut s = String::from(HEADER);
    s.push_str(&format!(
        "# Shard {i} of {shards}: the nodes whose name hashes to {i}.\n"
    ));
    s.push_str(&global_block(config, Some(i)));
    if let Some(url) = remote_write {
        s.push_str("rule_files:\n  - ../../rules/*.yml\n");
        s.push_str(&alerting_block(config));
        s.push_str(&remote_write_block(url));
    }
    s.push_str("scrape_configs:\n");
    s.push_str(&self_jobs(shard_port(config, i), None));
    s.push_str(&exporter_jobs("../../targets", Some((i, shards))));
    s
}

/// The families the global server federates: what the TUI's query mode
/// reads (every GPU dialect's families, node_exporter's, `up`) and every
/// family the rules name.
pub fn federated_families(rules_yaml: &str) -> Vec<String> {
    let mut set: BTreeSet<String> = crate::sources::dialect::gpu_families()
        .into_iter()
        .chain(crate::sources::node_exporter::FAMILIES.iter().copied())
        .chain(["up"])
        .map(str::to_string)
        .collect();
    set.extend(rule_families(rules_yaml));
    set.into_iter().collect()
}

/// Metric names in the rules' expressions: identifiers with an exporter's
/// prefix, outside string literals, not called as functions.
pub fn rule_families(rules_yaml: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let Ok(doc) = serde_yaml::from_str::<serde_yaml::Value>(rules_yaml) else {
        return out;
    };
    let groups = doc.get("groups").and_then(|g| g.as_sequence());
    for group in groups.into_iter().flatten() {
        let rules = group.get("rules").and_then(|r| r.as_sequence());
        for rule in rules.into_iter().flatten() {
            if let Some(expr) = rule.get("expr").and_then(|e| e.as_str()) {
                out.extend(expr_families(expr));
            }
        }
    }
    out
}

fn expr_families(expr: &str) -> Vec<String> {
    const PREFIXES: [&str; 5] = ["DCGM_", "node_", "all_smi_", "nvidia_smi_", "amd_"];
    let bytes = expr.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'"' || b == b'\'' || b == b'`' {
            // A string literal: skip to its closing quote.
            i += 1;
            while i < bytes.len() && bytes[i] != b {
                i += if bytes[i] == b'\\' { 2 } else { 1 };
            }
            i += 1;
            continue;
        }
        if b.is_ascii_alphabetic() || b == b'_' || b == b':' {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_' || bytes[i] == b':')
            {
                i += 1;
            }
            let word = &expr[start..i];
            let called = expr[i..].trim_start().starts_with('(');
            if !called && PREFIXES.iter().any(|p| word.starts_with(p)) {
                out.push(word.to_string());
            }
            continue;
        }
        i += 1;
    }
    out
}

/// The global `prometheus.yml` of the federated layout.
pub fn global_yml(config: &Config, shards: usize, rules_yaml: &str) -> String {
    let mut s = String::from(HEADER);
    s.push_str(&format!(
        "# The global server: federates from {shards} shards only what the TUI and the rules need.\n"
    ));
    s.push_str(&global_block(config, None));
    s.push_str("rule_files:\n  - rules/*.yml\n");
    s.push_str(&alerting_block(config));
    s.push_str("scrape_configs:\n");
    s.push_str(&self_jobs(
        config.prometheus.port,
        Some(config.alertmanager.port),
    ));
    let families = federated_families(rules_yaml);
    s.push_str(&format!(
        "  - job_name: federate\n    honor_labels: true\n    metrics_path: /federate\n    params:\n      \"match[]\":\n        - '{{__name__=~\"{}\"}}'\n    static_configs:\n      - targets: [{}]\n",
        families.join("|"),
        (0..shards)
            .map(|i| format!("\"localhost:{}\"", shard_port(config, i)))
            .collect::<Vec<_>>()
            .join(", ")
    ));
    s
}

/// Prometheus's flags for the config at `config_file` (relative to the
/// stack folder), as one line.
fn args_line(config: &Config, config_file: &str, storage: &str, port: u16) -> String {
    format!(
        "--config.file={config_file} --storage.tsdb.path={storage} --storage.tsdb.retention.time={} --web.listen-address=:{port} --web.enable-lifecycle\n",
        config.prometheus.retention
    )
}

/// Prometheus's retention and storage are flags, not configuration.
pub fn prometheus_args(config: &Config) -> String {
    args_line(
        config,
        "prometheus.yml",
        &config.prometheus.storage_path,
        config.prometheus.port,
    )
}

/// `alertmanager.yml` when no notification channel is configured: alerts
/// and silences work, nothing is sent.
pub fn silent_alertmanager_yml() -> String {
    "# Generated by `aami-tui stack render`: no notification channel is configured\n\
     # (notifications.slack|email|webhook in the aami config).\n\
     route:\n  receiver: nowhere\n  group_by: [alertname, node]\n\
     receivers:\n  - name: nowhere\n"
        .to_string()
}

/// `stack.txt`: what runs where, and the URL query mode reads.
fn summary(config: &Config, layout: &Layout) -> String {
    let p = config.prometheus.port;
    let mut s = String::from("# Generated by `aami-tui stack render`: the layout of this stack.\n");
    let shard_lines = |s: &mut String, shards: usize| {
        for i in 0..shards {
            s.push_str(&format!(
                "shard {i}: shards/{i}/prometheus.yml, port {}, flags in shards/{i}/prometheus.args\n",
                shard_port(config, i)
            ));
        }
    };
    match layout {
        Layout::Single { remote_write } => {
            s.push_str(&format!(
                "layout: single ({} nodes, up to stack.shard_above = {})\nprometheus: prometheus.yml, port {p}, flags in prometheus.args\n",
                config.nodes.len(),
                config.stack.shard_above
            ));
            match remote_write {
                Some(url) => s.push_str(&format!(
                    "remote write: {url}\nquery mode: prometheus.url: {url}\n"
                )),
                None => s.push_str(&format!(
                    "query mode: prometheus.url: http://STACK-HOST:{p}\n"
                )),
            }
        }
        Layout::Federated { shards } => {
            s.push_str(&format!(
                "layout: federated, {shards} shards by hashmod of the node name\nglobal: prometheus.yml, port {p}, flags in prometheus.args\n"
            ));
            shard_lines(&mut s, *shards);
            s.push_str(&format!(
                "query mode: prometheus.url: http://STACK-HOST:{p}\n"
            ));
        }
        Layout::RemoteWrite { shards, url } => {
            s.push_str(&format!(
                "layout: remote_write, {shards} shards by hashmod of the node name, each evaluating the rules on its slice\n"
            ));
            shard_lines(&mut s, *shards);
            s.push_str(&format!(
                "remote write: {url}\nquery mode: prometheus.url: {url}\n"
            ));
        }
    }
    s.push_str(&format!(
        "alertmanager: alertmanager.yml, port {}\n",
        config.alertmanager.port
    ));
    s
}

/// Every file, given the rendered rule file and alertmanager.yml.
pub fn render(
    config: &Config,
    rules_yaml: &str,
    alertmanager_yaml: &str,
) -> Result<Vec<StackFile>, String> {
    let layout = layout(config)?;
    let file = |path: &str, text: String| StackFile {
        path: path.into(),
        text,
    };
    let mut files = Vec::new();
    match &layout {
        Layout::Single { remote_write } => {
            files.push(file(
                "prometheus.yml",
                prometheus_yml(config, remote_write.as_deref()),
            ));
            files.push(file("prometheus.args", prometheus_args(config)));
        }
        Layout::Federated { shards } => {
            files.push(file(
                "prometheus.yml",
                global_yml(config, *shards, rules_yaml),
            ));
            files.push(file("prometheus.args", prometheus_args(config)));
        }
        Layout::RemoteWrite { .. } => {}
    }
    let shard_write = match &layout {
        Layout::RemoteWrite { url, .. } => Some(url.as_str()),
        _ => None,
    };
    if layout.shards() > 1 {
        let shards = layout.shards();
        for i in 0..shards {
            files.push(file(
                &format!("shards/{i}/prometheus.yml"),
                shard_yml(config, i, shards, shard_write),
            ));
            files.push(file(
                &format!("shards/{i}/prometheus.args"),
                args_line(
                    config,
                    &format!("shards/{i}/prometheus.yml"),
                    &shard_storage(config, i),
                    shard_port(config, i),
                ),
            ));
        }
    }
    files.push(file("rules/aami.yml", rules_yaml.to_string()));
    files.push(file("alertmanager.yml", alertmanager_yaml.to_string()));
    files.push(file("stack.txt", summary(config, &layout)));
    files.extend(target_files(config));
    Ok(files)
}

/// Every file for `config`: the rules of its presets (from the built-in
/// library and `user_dir`'s presets, both dcgm namings) and alertmanager.yml
/// from its notifications.
pub fn render_config(
    config: &Config,
    user_dir: Option<&std::path::Path>,
) -> Result<Vec<StackFile>, String> {
    let cat = crate::xid::Catalogue::builtin();
    let lib = crate::alerts::library::Library::load(user_dir, cat).map_err(|e| e.to_string())?;
    let mut presets = Vec::new();
    for name in &config.alerts.presets {
        presets.push(lib.get(name).map_err(|e| e.to_string())?);
    }
    // Both dcgm namings: the rules work whichever exporter version answers.
    let rules =
        crate::domain::rules::promql::render_yaml(&presets, crate::domain::rules::Naming::Both)
            .map_err(|e| format!("rules: {e}"))?;
    // With no channel configured, Alertmanager still runs (the TUI and
    // silences use it) with a receiver that sends nowhere.
    let alertmanager = if crate::alerts::notify::enabled(&config.notifications).is_empty() {
        silent_alertmanager_yml()
    } else {
        crate::alerts::notify::alertmanager_yaml(config).map_err(|e| e.to_string())?
    };
    render(config, &rules, &alertmanager)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_keys_become_prometheus_names() {
        assert_eq!(label_name("rack"), "rack");
        assert_eq!(label_name("gpu-type"), "gpu_type");
        assert_eq!(label_name("9lives"), "_9lives");
        assert_eq!(label_name(""), "_");
    }

    #[test]
    fn rule_families_skip_functions_labels_and_strings() {
        let yaml = "groups:\n  - name: g\n    rules:\n      - alert: A\n        expr: 'max_over_time(DCGM_FI_DEV_GPU_TEMP{gpu=\"node_x\"}[5m]) > on(instance) node_load1 and up == 0'\n        annotations:\n          summary: DCGM_NOT_AN_EXPR\n";
        let got: Vec<String> = rule_families(yaml).into_iter().collect();
        assert_eq!(got, ["DCGM_FI_DEV_GPU_TEMP", "node_load1"]);
    }

    #[test]
    fn past_the_threshold_the_layout_shards() {
        let mut c = Config::default();
        c.stack.shard_above = 2;
        for i in 0..5 {
            c.nodes.push(crate::config::NodeConfig {
                name: format!("n{i}"),
                ip: format!("10.0.0.{i}"),
                ..Default::default()
            });
        }
        assert_eq!(layout(&c), Ok(Layout::Federated { shards: 3 }));
        c.stack.layout = StackLayout::RemoteWrite;
        assert!(layout(&c).is_err(), "no VictoriaMetrics URL");
        c.stack.victoria_metrics = Some("http://vm:8428/".into());
        assert_eq!(
            layout(&c),
            Ok(Layout::RemoteWrite {
                shards: 3,
                url: "http://vm:8428".into()
            })
        );
        c.stack.shard_above = 500;
        assert_eq!(
            layout(&c),
            Ok(Layout::Single {
                remote_write: Some("http://vm:8428".into())
            })
        );
    }
}
