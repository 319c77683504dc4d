//! The hardware-health preset's GpuRecoveryActionRequired on
//! nvidia_gpu_exporter's real page (an H100 on driver 590.48.01) and on the
//! same page with the driver asking for a node reboot (DERIVED, see
//! tests/fixtures/nvidia_gpu_exporter/PROVENANCE.md): the in-process engine
//! reads the pages through the real nvidia_gpu_exporter parser, and
//! `promtool test rules` runs the rendered rules (every naming) on the same
//! series; both must fire at the same minutes with the same value, labels
//! and text. `alerts test` on the page says what fires and why. The
//! dcgm-exporter side of the rule (field 1523) is in
//! tests/alert_rules_promtool.rs with every other rule.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;
#[path = "alert_rules/scenario.rs"]
#[allow(dead_code)]
mod scenario;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use aami_tui::alerts::library::Library;
use aami_tui::domain::rules::{Phase, Rule};
use aami_tui::domain::{Fleet, NodeSpec, ScrapeOutcome};
use aami_tui::sources::nvidia_gpu_exporter;
use aami_tui::xid::Catalogue;
use scenario::humanize;

const RULE: &str = "GpuRecoveryActionRequired";
const HEALTHY: &str = "nvidia_gpu_exporter/nvgpuexp_metrics_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.prom";
const REBOOT: &str = "nvidia_gpu_exporter/derived_H100_590.48.01_load_recovery-action-2.prom";
const INSTANCE: &str = "n1:9835";
const MINUTES: usize = 14;

/// The page scraped at minute `k`: healthy, then the driver asks for a
/// reboot from minute 4, then healthy again from minute 10 (after it).
fn page_at(k: usize) -> &'static str {
    if (4..10).contains(&k) {
        REBOOT
    } else {
        HEALTHY
    }
}

fn read(rel: &str) -> String {
    std::fs::read_to_string(common::fixture(rel)).expect("fixture")
}

fn rule() -> Rule {
    let lib = Library::builtin(Catalogue::builtin()).expect("presets");
    lib.get("hardware-health")
        .expect("preset")
        .rules
        .iter()
        .find(|r| r.name == RULE)
        .expect("the rule")
        .clone()
}

/// The in-process engine's firing value at each minute.
fn in_process(rule: &Rule) -> Vec<Option<f64>> {
    let mut fleet = Fleet::new(
        "t",
        vec![NodeSpec {
            name: "n1".into(),
            address: INSTANCE.into(),
            ..Default::default()
        }],
        1,
    );
    fleet.set_rules(vec![rule.clone()]);
    let t0 = Instant::now();
    (0..=MINUTES)
        .map(|k| {
            let gpus = nvidia_gpu_exporter::parse(&read(page_at(k)));
            fleet.apply_refresh(
                vec![ScrapeOutcome {
                    node: 0,
                    gpus: Ok(gpus),
                    host: None,
                }],
                t0 + Duration::from_secs(60 * k as u64),
                Duration::ZERO,
            );
            let engine = fleet.rules.as_ref().expect("engine");
            let firing: Vec<_> = engine
                .alerts()
                .into_iter()
                .filter(|a| a.phase == Phase::Firing)
                .collect();
            assert!(firing.len() <= 1, "one GPU");
            firing.first().map(|a| a.value.unwrap_or(f64::NAN))
        })
        .collect()
}

/// `name{labels}` and value of the page's line for `family`, with the
/// scrape's instance and job added as Prometheus would.
fn series(page: &str, family: &str) -> (String, f64) {
    let line = page
        .lines()
        .find(|l| l.starts_with(&format!("{family}{{")))
        .unwrap_or_else(|| panic!("{family} in the page"));
    let (sel, value) = line.rsplit_once(' ').expect("value");
    let sel = sel.replacen(
        '{',
        &format!("{{instance=\"{INSTANCE}\",job=\"nvidia_gpu_exporter\","),
        1,
    );
    (sel, value.parse().expect("number"))
}

fn annotations(file: &Path) -> BTreeMap<String, String> {
    let v: serde_yaml::Value =
        serde_yaml::from_str(&std::fs::read_to_string(file).expect("read")).expect("yaml");
    let rules = v["groups"][0]["rules"].as_sequence().expect("rules");
    let r = rules
        .iter()
        .find(|r| r["alert"] == RULE)
        .expect("rendered rule");
    r["annotations"]
        .as_mapping()
        .expect("annotations")
        .iter()
        .map(|(k, v)| {
            (
                k.as_str().unwrap_or("").to_string(),
                v.as_str().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn yaml_str(s: &str) -> String {
    serde_json::to_string(s).expect("json string")
}

#[test]
fn recovery_action_from_nvidia_gpu_exporter_fires_alike_in_both_engines() {
    common::require("promtool", "prometheus");
    let rule = rule();
    let fired = in_process(&rule);
    let want: Vec<Option<f64>> = (0..=MINUTES)
        .map(|k| (page_at(k) == REBOOT).then_some(2.0))
        .collect();
    assert_eq!(fired, want, "in process: fires while the driver asks");

    // The same pages as Prometheus stores them, minute by minute.
    let pages: Vec<String> = (0..=MINUTES).map(|k| read(page_at(k))).collect();
    let mut input = String::new();
    for family in ["nvidia_smi_gpu_recovery_action", "nvidia_smi_gpu_info"] {
        let sel = series(&pages[0], family).0;
        let values: Vec<String> = pages
            .iter()
            .map(|p| {
                let (s, v) = series(p, family);
                assert_eq!(s, sel, "same series on every page");
                format!("{v}")
            })
            .collect();
        input.push_str(&format!(
            "      - series: {}\n        values: '{}'\n",
            yaml_str(&sel),
            values.join(" ")
        ));
    }

    let dir = tempfile::tempdir().expect("tmp");
    for naming in ["classic", "dcgm47", "both"] {
        let file = dir.path().join(format!("hw-{naming}.yml"));
        let o = Command::new(common::bin())
            .args(["alerts", "render", "hardware-health", "--naming", naming])
            .arg("-o")
            .arg(&file)
            .env_remove("AAMI_CONFIG")
            .env("XDG_CONFIG_HOME", dir.path())
            .output()
            .expect("render");
        assert!(o.status.success(), "{}", common::stderr(&o));
        let ann = annotations(&file);
        let mut tests = String::new();
        for (k, f) in fired.iter().enumerate() {
            tests.push_str(&format!(
                "      - eval_time: {k}m\n        alertname: {RULE}\n"
            ));
            let Some(v) = f else {
                tests.push_str("        exp_alerts: []\n");
                continue;
            };
            tests.push_str(&format!(
                "        exp_alerts:\n          - exp_labels: {{instance: {INSTANCE}, job: nvidia_gpu_exporter, uuid: 00000000-0000-0000-0000-000000000000, gpu: \"0\", severity: critical, preset: hardware-health}}\n            exp_annotations:\n"
            ));
            for (a, t) in &ann {
                let text = t
                    .replace("{{ $labels.instance }}", INSTANCE)
                    .replace("{{ $labels.gpu }}", "0")
                    .replace("{{ $value | humanize }}", &humanize(*v));
                tests.push_str(&format!("              {a}: {}\n", yaml_str(&text)));
            }
        }
        let test = format!(
            "rule_files: [{}]\nevaluation_interval: 1m\ntests:\n  - interval: 1m\n    input_series:\n{input}    alert_rule_test:\n{tests}",
            file.file_name().expect("name").to_string_lossy()
        );
        let t = dir.path().join(format!("hw-{naming}.test.yml"));
        std::fs::write(&t, &test).expect("write");
        let o = Command::new("promtool")
            .args(["test", "rules"])
            .arg(&t)
            .current_dir(dir.path())
            .output()
            .expect("promtool");
        assert!(
            o.status.success(),
            "{naming}: the engines disagree:\n{}{}\n{test}",
            common::stdout(&o),
            common::stderr(&o)
        );
    }
}

#[test]
fn alerts_test_on_the_page_says_what_to_do() {
    let healthy = common::fixture(HEALTHY);
    let reboot = common::fixture(REBOOT);
    let run = |page: &Path| {
        Command::new(common::bin())
            .args(["alerts", "test", "hardware-health"])
            .arg(page)
            .arg("--json")
            .env_remove("AAMI_CONFIG")
            .env("XDG_CONFIG_HOME", page.parent().expect("dir"))
            .output()
            .expect("alerts test")
    };
    let o = run(&healthy);
    let out = common::stdout(&o);
    assert!(!out.contains(RULE), "healthy page: {out}");
    let o = run(&reboot);
    assert_eq!(o.status.code(), Some(1), "something fires");
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let text = v.to_string();
    assert!(text.contains(RULE), "{text}");
    assert!(
        text.contains("the driver asks for recovery action 2"),
        "{text}"
    );
    assert!(
        text.contains("drain the node and reboot it"),
        "the description says what to do: {text}"
    );
}
