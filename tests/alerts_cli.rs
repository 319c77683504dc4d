//! `aami-tui alerts list-presets | render | apply-preset | test` through the
//! binary, isolated from the user's config directory.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::path::Path;
use std::process::{Command, Output};

fn run_in(home: &Path, args: &[&str]) -> Output {
    Command::new(common::bin())
        .args(args)
        .env_remove("AAMI_CONFIG")
        .env("XDG_CONFIG_HOME", home.join("config"))
        .env("HOME", home)
        .env("NO_COLOR", "1")
        .output()
        .expect("run aami-tui")
}

#[test]
fn list_presets_names_every_builtin_and_a_users_override() {
    let home = tempfile::tempdir().expect("tmp");
    let o = run_in(home.path(), &["alerts", "list-presets"]);
    let out = common::stdout(&o);
    assert!(o.status.success(), "{}", common::stderr(&o));
    for p in [
        "gpu-basic",
        "gpu-production",
        "xid",
        "hardware-health",
        "nvlink",
        "node",
    ] {
        assert!(out.contains(&format!("{p} (")), "{p}: {out}");
    }
    assert!(
        out.contains("NodeClockSkew") && out.contains("[Prometheus only]"),
        "{out}"
    );
    // A user file replaces the built-in preset of the same name.
    let dir = home.path().join("config/aami/presets");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("nvlink.yaml"),
        "name: nvlink\ndescription: mine\nrules:\n  - name: Mine\n    severity: info\n    when:\n      - metric: nvlink_errors_total\n        op: \">\"\n        value: 1000\n    summary: s\n    description: d\n",
    )
    .expect("write");
    let o = run_in(home.path(), &["alerts", "list-presets", "--json"]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let nv = v
        .as_array()
        .expect("list")
        .iter()
        .find(|p| p["name"] == "nvlink")
        .expect("nvlink");
    assert_eq!(nv["rules"][0]["name"], "Mine");
    assert!(
        nv["source"]
            .as_str()
            .unwrap_or("")
            .ends_with("presets/nvlink.yaml")
    );
    // A bad one is refused with file, rule and field.
    std::fs::write(dir.join("nvlink.yaml"), "name: nvlink\nrules:\n  - name: Mine\n    severity: info\n    when:\n      - metric: nvlink_errs\n        op: \">\"\n        value: 1\n    summary: s\n    description: d\n").expect("write");
    let o = run_in(home.path(), &["alerts", "list-presets"]);
    let err = common::stderr(&o);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains(
            "nvlink.yaml: rule Mine: field `when[0].metric`: unknown metric 'nvlink_errs'"
        ),
        "{err}"
    );
}

#[test]
fn render_writes_a_rule_file_per_naming() {
    let home = tempfile::tempdir().expect("tmp");
    for naming in ["classic", "dcgm47", "both"] {
        let out = home.path().join(format!("{naming}.yml"));
        let o = run_in(
            home.path(),
            &[
                "alerts",
                "render",
                "gpu-production",
                "node",
                "--naming",
                naming,
                "-o",
                out.to_str().expect("utf8"),
            ],
        );
        assert!(o.status.success(), "{}", common::stderr(&o));
        let text = std::fs::read_to_string(&out).expect("written");
        assert!(text.contains("name: aami-gpu-production") && text.contains("name: aami-node"));
        let temp = match naming {
            "classic" => "DCGM_FI_DEV_GPU_TEMP >",
            "dcgm47" => "DCGM_FI_DEV_GPU_TEMP_CELSIUS >",
            _ => "(DCGM_FI_DEV_GPU_TEMP or DCGM_FI_DEV_GPU_TEMP_CELSIUS) >",
        };
        assert!(text.contains(temp), "{naming}: {text}");
    }
    let o = run_in(home.path(), &["alerts", "render", "gpu-prod"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(common::stderr(&o).contains("unknown preset 'gpu-prod'"));
}

#[test]
fn apply_preset_adds_to_the_config_once_keeping_comments() {
    let home = tempfile::tempdir().expect("tmp");
    let cfg = home.path().join("config.yaml");
    std::fs::write(
        &cfg,
        "# my cluster\ncluster:\n  name: lab\nalerts:\n  presets: [gpu-basic]   # start small\n",
    )
    .expect("write");
    let c = cfg.to_str().expect("utf8");
    let o = run_in(
        home.path(),
        &["-c", c, "alerts", "apply-preset", "hardware-health"],
    );
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert_eq!(
        std::fs::read_to_string(&cfg).expect("read"),
        "# my cluster\ncluster:\n  name: lab\nalerts:\n  presets: [gpu-basic, hardware-health]   # start small\n"
    );
    assert!(
        home.path().join("config.yaml.bak").exists(),
        "the old file is kept"
    );
    let o = run_in(
        home.path(),
        &["-c", c, "alerts", "apply-preset", "hardware-health"],
    );
    assert!(
        common::stdout(&o).contains("already"),
        "{}",
        common::stdout(&o)
    );
    let o = run_in(home.path(), &["-c", c, "alerts", "apply-preset", "nope"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        std::fs::read_to_string(&cfg)
            .expect("read")
            .contains("[gpu-basic, hardware-health]")
    );
}

#[test]
fn test_says_what_would_fire_and_why() {
    let home = tempfile::tempdir().expect("tmp");
    let hot = common::fixture("dcgm/derived_H100x8_gpu3-hot-91C.prom");
    let o = run_in(
        home.path(),
        &[
            "alerts",
            "test",
            "gpu-production",
            hot.to_str().expect("utf8"),
        ],
    );
    let out = common::stdout(&o);
    assert_eq!(o.status.code(), Some(1), "something fires: {out}");
    assert!(
        out.contains("critical GpuTemperatureCritical on gpu-node-1 GPU 3"),
        "{out}"
    );
    assert!(
        out.contains("because gpu_temp_c > gpu_slowdown_temp_c - 2 (else 85) for 5m (value 91)"),
        "{out}"
    );
    assert!(out.contains("fires if it holds for 5m"), "{out}");
    assert!(out.contains("not judged from one page"), "{out}");
    let o = run_in(
        home.path(),
        &[
            "alerts",
            "test",
            "gpu-production",
            hot.to_str().expect("utf8"),
            "--json",
        ],
    );
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let fired: Vec<(&str, u64)> = v["would_fire"]
        .as_array()
        .expect("list")
        .iter()
        .map(|h| {
            (
                h["rule"].as_str().unwrap_or(""),
                h["gpu"].as_u64().unwrap_or(99),
            )
        })
        .collect();
    assert_eq!(
        fired,
        [("GpuTemperatureCritical", 3), ("GpuTemperatureWarning", 3)]
    );
    // The real capture it came from: nothing fires.
    let calm =
        common::fixture("dcgm/nvidia-aicr_H100x8_pod-labels_dcgm-exporter_sampled-lines.prom");
    let o = run_in(
        home.path(),
        &[
            "alerts",
            "test",
            "gpu-production",
            calm.to_str().expect("utf8"),
        ],
    );
    assert_eq!(o.status.code(), Some(0), "{}", common::stdout(&o));
    assert!(common::stdout(&o).contains("nothing would fire on 8 GPUs"));
    // A page without GPU series says so.
    let node = common::fixture("node_exporter/node_exporter_e2e-output_linux.txt");
    let o = run_in(
        home.path(),
        &["alerts", "test", "gpu-basic", node.to_str().expect("utf8")],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        common::stderr(&o).contains("no GPU series on this page"),
        "{}",
        common::stderr(&o)
    );
}
