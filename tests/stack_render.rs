//! `aami-tui stack render`: the generated Prometheus and Alertmanager
//! configuration passes the real `promtool check config` (which also checks
//! the rule file it names) and `amtool check-config`, and the target files
//! carry each node's labels.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::process::Command;

#[test]
fn the_stack_config_passes_promtool_and_amtool() {
    common::require("promtool", "prometheus");
    common::require("amtool", "prometheus-alertmanager");
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    std::fs::write(
        &cfg,
        "cluster:\n  name: lab\nprometheus:\n  retention: 30d\n  storage_path: /srv/prom\nnodes:\n  - name: gpu-node-01\n    ip: 127.0.0.11\n    labels:\n      rack: r1\n      gpu-type: h100\n  - name: gpu-node-02\n    ip: 127.0.0.12\n    exporters:\n      node: null\nalerts:\n  presets: [gpu-production, xid]\n",
    )
    .unwrap();
    let out = dir.path().join("stack");
    let o = common::run(&[
        "--config",
        cfg.to_str().unwrap(),
        "stack",
        "render",
        "--output",
        out.to_str().unwrap(),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let check = Command::new("promtool")
        .args(["check", "config"])
        .arg(out.join("prometheus.yml"))
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stdout).into_owned()
        + &String::from_utf8_lossy(&check.stderr);
    assert!(check.status.success(), "{said}");
    assert!(
        said.contains("1 rule files found") && said.contains("rules found"),
        "{said}"
    );
    let am = Command::new("amtool")
        .arg("check-config")
        .arg(out.join("alertmanager.yml"))
        .output()
        .unwrap();
    assert!(
        am.status.success(),
        "{}",
        String::from_utf8_lossy(&am.stderr)
    );
    // Labels carried, keys made Prometheus names, nodes without the
    // exporter left out.
    let dcgm: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("targets/dcgm-exporter.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(dcgm[0]["targets"][0], "127.0.0.11:9400");
    assert_eq!(dcgm[0]["labels"]["gpu_type"], "h100");
    assert_eq!(dcgm[0]["labels"]["node"], "gpu-node-01");
    let node: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(out.join("targets/node_exporter.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        node.as_array().unwrap().len(),
        1,
        "gpu-node-02 has node_exporter off: {node}"
    );
    let args = std::fs::read_to_string(out.join("prometheus.args")).unwrap();
    assert!(
        args.contains("--storage.tsdb.retention.time=30d")
            && args.contains("--storage.tsdb.path=/srv/prom"),
        "{args}"
    );
}

#[test]
fn an_unknown_preset_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    std::fs::write(&cfg, "nodes: []\nalerts:\n  presets: [gpu-prodution]\n").unwrap();
    let o = common::run(&[
        "--config",
        cfg.to_str().unwrap(),
        "stack",
        "render",
        "--output",
        dir.path().join("o").to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", common::stderr(&o));
    assert!(
        common::stderr(&o).contains("gpu-prodution"),
        "{}",
        common::stderr(&o)
    );
}
