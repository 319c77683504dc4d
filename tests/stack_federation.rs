//! Past `stack.shard_above`: the layouts `stack render` writes, run with
//! the real binaries against the simulated fleet on loopback.
//!
//! Federated: two shard Prometheus servers split the targets by hashmod,
//! the global one federates only what the TUI and the rules need and
//! evaluates the rules; the fleet read through query mode from the global
//! server equals the fleet scraped directly. Remote write: the two shards
//! write into VictoriaMetrics and evaluate the rules on their slices; the
//! fleet read from VictoriaMetrics equals the fleet scraped directly.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;
use std::time::Duration;

use aami_tui::config::{Config, StackLayout};
use aami_tui::sim::{PortMode, SimFleet, SimOptions};
use common::fleets::{assert_same_fleet, read};
use common::servers::{self, Server};

async fn frozen_sim() -> SimFleet {
    SimFleet::start(SimOptions {
        nodes: 6,
        ports: PortMode::Ephemeral,
        frozen_at: Some(50.0),
        ..SimOptions::default()
    })
    .await
    .unwrap()
}

/// The sim's fleet with two shards (6 nodes > stack.shard_above = 4),
/// rendered by `stack render` into `dir/stack`.
fn render(dir: &Path, sim: &SimFleet, layout: StackLayout, vm: Option<&str>) -> Config {
    let mut c = sim.config();
    c.stack.shard_above = 4;
    c.stack.layout = layout;
    c.stack.victoria_metrics = vm.map(str::to_string);
    c.prometheus.port = servers::free_ports_in_a_row(3);
    c.prometheus.storage_path = dir.join("data").display().to_string();
    c.prometheus.scrape_interval = "1s".into();
    c.alerts.presets = vec!["gpu-production".into()];
    let cfg = dir.join("config.yaml");
    std::fs::write(&cfg, serde_yaml::to_string(&c).unwrap()).unwrap();
    let out = dir.join("stack");
    let o = common::run(&[
        "--config",
        cfg.to_str().unwrap(),
        "stack",
        "render",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    c
}

fn promtool_accepts(dir: &Path, file: &str) {
    common::require("promtool", "prometheus");
    let o = Command::new("promtool")
        .args(["check", "config", file])
        .current_dir(dir)
        .output()
        .unwrap();
    assert!(
        o.status.success(),
        "{file}: {}{}",
        common::stdout(&o),
        common::stderr(&o)
    );
}

async fn query(url: &str, promql: &str) -> serde_json::Value {
    reqwest::Client::new()
        .get(format!("{url}/api/v1/query"))
        .query(&[("query", promql)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

/// The exporter targets a Prometheus scrapes (address of each).
async fn targets(url: &str) -> BTreeSet<String> {
    let v: serde_json::Value = reqwest::get(format!("{url}/api/v1/targets"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["data"]["activeTargets"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|t| t["labels"]["job"] != "prometheus")
        .map(|t| t["labels"]["instance"].as_str().unwrap().to_string())
        .collect()
}

/// How many metric names `url` holds from the exporter jobs.
async fn family_count(url: &str) -> usize {
    let v = query(
        url,
        "count(count by (__name__) ({job=~\"node_exporter|dcgm-exporter\"}))",
    )
    .await;
    v["data"]["result"][0]["value"][1]
        .as_str()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0)
}

async fn rule_count(url: &str) -> (usize, Vec<String>) {
    let v: serde_json::Value = reqwest::get(format!("{url}/api/v1/rules"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mut n = 0;
    let mut errors = Vec::new();
    for g in v["data"]["groups"].as_array().unwrap() {
        for r in g["rules"].as_array().unwrap() {
            n += 1;
            if let Some(e) = r["lastError"].as_str().filter(|e| !e.is_empty()) {
                errors.push(e.to_string());
            }
        }
    }
    (n, errors)
}

async fn wait_fleet_in(url: &str, config: &Config, gpus: usize) {
    servers::wait_for_value(
        url,
        "count(DCGM_FI_DEV_GPU_UTIL)",
        gpus as f64,
        Duration::from_secs(60),
    )
    .await;
    servers::wait_for_value(
        url,
        "count(node_memory_MemTotal_bytes)",
        config.nodes.len() as f64,
        Duration::from_secs(60),
    )
    .await;
    servers::wait_for_value(
        url,
        "count(up{job=~\"node_exporter|dcgm-exporter\"} == 1)",
        2.0 * config.nodes.len() as f64,
        Duration::from_secs(60),
    )
    .await;
}

fn shards(dir: &Path) -> Vec<Server> {
    (0..2)
        .map(|i| servers::prometheus_from_args(dir, &format!("shards/{i}/prometheus.args")))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shards_and_a_global_read_back_the_fleet_scraped_directly() {
    let sim = frozen_sim().await;
    let tmp = tempfile::tempdir().unwrap();
    let config = render(tmp.path(), &sim, StackLayout::Federated, None);
    let out = tmp.path().join("stack");
    for f in [
        "prometheus.yml",
        "shards/0/prometheus.yml",
        "shards/1/prometheus.yml",
    ] {
        promtool_accepts(&out, f);
    }
    let summary = std::fs::read_to_string(out.join("stack.txt")).unwrap();
    assert!(summary.contains("layout: federated, 2 shards"), "{summary}");

    let direct = read(&config).await;
    let gpus = direct.gpu_count();
    let shard = shards(&out);
    let global = servers::prometheus_from_args(&out, "prometheus.args");
    wait_fleet_in(&global.url, &config, gpus).await;

    // The shards split the targets between them: none twice, none left out.
    let a = targets(&shard[0].url).await;
    let b = targets(&shard[1].url).await;
    assert!(a.is_disjoint(&b), "{a:?} {b:?}");
    assert_eq!(a.len() + b.len(), 2 * config.nodes.len(), "{a:?} {b:?}");

    // The global server holds only the families it federates; a shard
    // holds every family the exporters publish.
    let in_global = family_count(&global.url).await;
    let in_shard = family_count(&shard[0].url)
        .await
        .max(family_count(&shard[1].url).await);
    assert!(
        in_global > 10 && in_global < in_shard,
        "global {in_global} families, shard {in_shard}"
    );

    // The rules run on the global server, without errors; not on the shards.
    let (n, errors) = rule_count(&global.url).await;
    assert!(n > 5 && errors.is_empty(), "{n} rules, errors {errors:?}");
    assert_eq!(rule_count(&shard[0].url).await.0, 0);

    // Query mode against the global server: the fleet scraped directly.
    let mut q = config.clone();
    q.prometheus.url = Some(global.url.clone());
    let queried = read(&q).await;
    assert_same_fleet(&direct, &queried);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_shards_writing_into_victoria_metrics_read_back_the_fleet_scraped_directly() {
    let sim = frozen_sim().await;
    let vm = servers::victoria_metrics_store();
    let tmp = tempfile::tempdir().unwrap();
    let config = render(tmp.path(), &sim, StackLayout::RemoteWrite, Some(&vm.url));
    let out = tmp.path().join("stack");
    assert!(!out.join("prometheus.yml").exists(), "no global server");
    for f in ["shards/0/prometheus.yml", "shards/1/prometheus.yml"] {
        promtool_accepts(&out, f);
        let text = std::fs::read_to_string(out.join(f)).unwrap();
        assert!(text.contains(&format!("{}/api/v1/write", vm.url)), "{text}");
    }

    let direct = read(&config).await;
    let gpus = direct.gpu_count();
    let shard = shards(&out);
    wait_fleet_in(&vm.url, &config, gpus).await;

    // Each shard evaluates the rules on its slice.
    for s in &shard {
        let (n, errors) = rule_count(&s.url).await;
        assert!(n > 5 && errors.is_empty(), "{n} rules, errors {errors:?}");
    }

    let mut q = config.clone();
    q.prometheus.url = Some(vm.url.clone());
    let queried = read(&q).await;
    assert_same_fleet(&direct, &queried);
}
