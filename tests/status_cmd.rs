//! `aami-tui status` against a simulated fleet over HTTP.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use aami_tui::sim::{PortMode, SimFleet, SimOptions};

fn write_config(dir: &std::path::Path, config: &aami_tui::config::Config) -> std::path::PathBuf {
    let p = dir.join("config.yaml");
    std::fs::write(&p, serde_yaml::to_string(config).unwrap()).unwrap();
    p
}

#[test]
fn status_prints_the_fleet_and_exits_nonzero_when_a_node_is_down() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = rt
        .block_on(SimFleet::start(SimOptions {
            nodes: 4,
            ports: PortMode::Ephemeral,
            ..SimOptions::default()
        }))
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut config = sim.config();
    let cfg = write_config(dir.path(), &config);
    let out = common::run(&["--config", cfg.to_str().unwrap(), "status"]);
    let s = common::stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{s}{}", common::stderr(&out));
    assert!(
        s.contains("NAME") && s.contains("gpu-node-01") && s.contains("4/4 nodes up"),
        "{s}"
    );
    let row = s.lines().find(|l| l.starts_with("gpu-node-01")).unwrap();
    assert!(row.contains(" 8 ") && row.contains("up"), "{row}");

    // Add a node nobody answers for.
    let closed = std::net::TcpListener::bind("127.0.9.3:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut dead = config.nodes[0].clone();
    dead.name = "gpu-dead".into();
    dead.ip = "127.0.9.3".into();
    dead.exporters.dcgm = Some(port);
    dead.exporters.node = None;
    config.nodes.push(dead);
    let cfg = write_config(dir.path(), &config);
    let out = common::run(&["--config", cfg.to_str().unwrap(), "status", "--json"]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["nodes_up"], 4);
    assert_eq!(v["nodes_total"], 5);
    let dead = v["nodes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["name"] == "gpu-dead")
        .unwrap();
    assert_eq!(dead["status"], "down");
    assert_eq!(dead["reason"], "connection refused");
    assert_eq!(dead["alerts"][0]["severity"], "critical");
    drop(sim);
}

/// The GPU exporter answers but node_exporter stops: the node is `degraded`
/// (not up, not down) with node_exporter named, through the same collector
/// the TUI uses.
#[test]
fn node_exporter_down_with_the_gpu_exporter_up_is_degraded() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let sim = rt
        .block_on(SimFleet::start(SimOptions {
            nodes: 1,
            ports: PortMode::Ephemeral,
            ..SimOptions::default()
        }))
        .unwrap();
    let mut config = sim.config();
    let node_exporter = common::servers::node_exporter(&config.nodes[0].ip);
    let port: u16 = node_exporter
        .url
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap();
    config.nodes[0].exporters.node = Some(port);
    let dir = tempfile::tempdir().unwrap();
    let cfg = write_config(dir.path(), &config);
    let status = || {
        let out = common::run(&["--config", cfg.to_str().unwrap(), "status", "--json"]);
        let v: serde_json::Value = serde_json::from_slice(&out.stdout)
            .unwrap_or_else(|e| panic!("{e}: {}{}", common::stdout(&out), common::stderr(&out)));
        (out.status.code(), v["nodes"][0].clone())
    };
    // Both exporters answer: up.
    let (code, node) = status();
    assert_eq!(code, Some(0), "{node}");
    assert_eq!(node["status"], "up", "{node}");
    drop(node_exporter);
    let (code, node) = status();
    assert_eq!(node["status"], "degraded", "{node}");
    assert_eq!(
        node["reason"], "node_exporter: connection refused",
        "{node}"
    );
    assert_eq!(node["gpus"], 8, "the GPUs are still read");
    assert_eq!(code, Some(0), "degraded is not down");
    drop(sim);
}

#[test]
fn help_and_completions() {
    let out = common::run(&["--help"]);
    let s = common::stdout(&out);
    for cmd in [
        "demo",
        "status",
        "nodes",
        "config",
        "completions",
        "--config",
    ] {
        assert!(s.contains(cmd), "--help mentions {cmd}: {s}");
    }
    let out = common::run(&["completions", "bash"]);
    assert!(common::stdout(&out).contains("aami-tui"));
    let out = common::run(&["demo", "--nodes", "0"]);
    assert_eq!(out.status.code(), Some(2), "bad argument refused by clap");
}
