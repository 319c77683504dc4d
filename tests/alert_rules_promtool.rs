//! One rule set, two engines. Every preset is rendered by `aami-tui alerts
//! render` in each naming and checked by the real `promtool check rules`;
//! then, for every rule, input series that make it fire and series where
//! each of its conditions fails are fed both to the in-process engine (as
//! exporter pages, through the real dcgm and node_exporter parsers) and to
//! `promtool test rules`, whose expected alerts at every minute are the
//! ones the in-process engine fired, with its value in the annotations.
//! promtool failing means the two engines disagree.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;
#[path = "alert_rules/scenario.rs"]
mod scenario;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use aami_tui::alerts::library::Library;
use aami_tui::domain::rules::{Naming, Phase, Rule};
use aami_tui::domain::{Fleet, NodeSpec, ScrapeOutcome};
use aami_tui::sources::{dcgm, node_exporter};
use aami_tui::xid::Catalogue;
use scenario::{Scenario, humanize, scenario};
use serde_yaml::{Mapping, Value};

const PRESETS: &[&str] = &[
    "gpu-basic",
    "gpu-production",
    "xid",
    "hardware-health",
    "nvlink",
    "node",
];

fn render(dir: &Path, preset: &str, naming: &str) -> std::path::PathBuf {
    let out = dir.join(format!("{preset}-{naming}.yml"));
    let o = Command::new(common::bin())
        .args(["alerts", "render", preset, "--naming", naming, "-o"])
        .arg(&out)
        .env_remove("AAMI_CONFIG")
        .env("XDG_CONFIG_HOME", dir)
        .env("HOME", dir)
        .output()
        .expect("run aami-tui");
    assert!(o.status.success(), "{}", common::stderr(&o));
    out
}

fn promtool(args: &[&str], cwd: &Path) -> (bool, String) {
    common::require("promtool", "prometheus");
    let o = Command::new("promtool")
        .args(args)
        .current_dir(cwd)
        .output()
        .expect("run promtool");
    (
        o.status.success(),
        format!("{}{}", common::stdout(&o), common::stderr(&o)),
    )
}

/// The rendered file's annotations, by alert name.
fn annotations(file: &Path) -> BTreeMap<String, BTreeMap<String, String>> {
    let v: Value =
        serde_yaml::from_str(&std::fs::read_to_string(file).expect("read")).expect("yaml");
    let mut out = BTreeMap::new();
    for g in v["groups"].as_sequence().expect("groups") {
        for r in g["rules"].as_sequence().expect("rules") {
            let name = r["alert"].as_str().expect("alert").to_string();
            let ann = r["annotations"]
                .as_mapping()
                .expect("annotations")
                .iter()
                .map(|(k, v)| {
                    (
                        k.as_str().unwrap_or("").to_string(),
                        v.as_str().unwrap_or("").to_string(),
                    )
                })
                .collect();
            out.insert(name, ann);
        }
    }
    out
}

/// Pages for minute `k`: (dcgm page or "down", node_exporter page).
fn pages(s: &Scenario, k: usize) -> (Option<String>, String) {
    let (mut gpu, mut node) = (String::new(), String::new());
    let mut up = true;
    for series in &s.series {
        let Some(v) = series.values[k] else { continue };
        let line = format!("{} {v}\n", series.selector());
        if series.name == "up" {
            up = v != 0.0;
        } else if series.name.starts_with("DCGM_") {
            gpu.push_str(&line);
        } else {
            node.push_str(&line);
        }
    }
    (up.then_some(gpu), node)
}

/// The in-process engine's firing alert (value) at each minute.
fn in_process(rule: &Rule, s: &Scenario) -> Vec<Option<f64>> {
    let mut fleet = Fleet::new(
        "t",
        vec![NodeSpec {
            name: "n1".into(),
            address: scenario::INSTANCE.into(),
            ..Default::default()
        }],
        8,
    );
    fleet.set_rules(vec![rule.clone()]);
    let t0 = Instant::now();
    let mut out = Vec::new();
    for k in 0..=s.minutes {
        let (gpu, node) = pages(s, k);
        let host = node_exporter::parse(&node).map(Ok);
        let gpus = match gpu {
            Some(text) => Ok(dcgm::parse(&text)),
            None => Err("connection refused".to_string()),
        };
        fleet.apply_refresh(
            vec![ScrapeOutcome {
                node: 0,
                gpus,
                host,
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
        assert!(
            firing.len() <= 1,
            "{}: one alert per GPU in these scenarios",
            rule.name
        );
        out.push(firing.first().map(|a| a.value.unwrap_or(f64::NAN)));
    }
    out
}

/// What Prometheus should fire for a rule only it evaluates: the
/// conditions hold from the start, so from `for` on, with the first
/// series' value.
fn prometheus_only(rule: &Rule, s: &Scenario, holds: bool) -> Vec<Option<f64>> {
    (0..=s.minutes)
        .map(|k| {
            (holds && k as u64 * 60 >= rule.for_s)
                .then(|| s.series[0].values[k].unwrap_or(f64::NAN))
        })
        .collect()
}

fn fill(template: &str, labels: &[(String, String)], value: f64) -> String {
    let label = |k: &str| {
        labels
            .iter()
            .find(|(n, _)| n == k)
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    };
    template
        .replace("{{ $labels.instance }}", &label("instance"))
        .replace("{{ $labels.gpu }}", &label("gpu"))
        .replace("{{ $value | humanize }}", &humanize(value))
}

fn str_map(pairs: impl IntoIterator<Item = (String, String)>) -> Value {
    let mut m = Mapping::new();
    for (k, v) in pairs {
        m.insert(Value::String(k), Value::String(v));
    }
    Value::Mapping(m)
}

/// One promtool test group: the scenario's series, and at every minute
/// the alerts the in-process engine fired.
fn test_group(
    rule: &Rule,
    s: &Scenario,
    fired: &[Option<f64>],
    ann: &BTreeMap<String, String>,
) -> Value {
    let input: Vec<Value> = s
        .series
        .iter()
        .map(|x| {
            str_map([
                ("series".to_string(), x.selector()),
                ("values".to_string(), x.promtool_values()),
            ])
        })
        .collect();
    let mut labels = s.alert_labels.clone();
    labels.push(("severity".into(), rule.severity.long_word().into()));
    labels.push(("preset".into(), rule.preset.clone()));
    let tests: Vec<Value> = fired
        .iter()
        .enumerate()
        .map(|(k, f)| {
            let exp: Vec<Value> = f
                .iter()
                .map(|v| {
                    let mut m = Mapping::new();
                    m.insert("exp_labels".into(), str_map(labels.clone()));
                    m.insert(
                        "exp_annotations".into(),
                        str_map(
                            ann.iter()
                                .map(|(a, t)| (a.clone(), fill(t, &s.alert_labels, *v))),
                        ),
                    );
                    Value::Mapping(m)
                })
                .collect();
            let mut m = Mapping::new();
            m.insert("eval_time".into(), Value::String(format!("{k}m")));
            m.insert("alertname".into(), Value::String(rule.name.clone()));
            m.insert("exp_alerts".into(), Value::Sequence(exp));
            Value::Mapping(m)
        })
        .collect();
    let mut g = Mapping::new();
    g.insert("interval".into(), Value::String("1m".into()));
    g.insert("input_series".into(), Value::Sequence(input));
    g.insert("alert_rule_test".into(), Value::Sequence(tests));
    Value::Mapping(g)
}

#[test]
fn every_preset_renders_to_rules_promtool_accepts_and_both_engines_agree() {
    let dir = tempfile::tempdir().expect("tmp");
    let lib = Library::builtin(Catalogue::builtin()).expect("presets");
    let mut failures = Vec::new();
    let mut groups_run = 0;
    for preset in PRESETS {
        let p = lib.get(preset).expect("preset");
        for naming in ["classic", "dcgm47", "both"] {
            let file = render(dir.path(), preset, naming);
            let (ok, out) = promtool(
                &["check", "rules", file.to_str().expect("utf8")],
                dir.path(),
            );
            assert!(ok, "promtool check rules {preset} {naming}:\n{out}");
            let ann = annotations(&file);
            let feeds: &[Naming] = match naming {
                "classic" => &[Naming::Classic],
                "dcgm47" => &[Naming::Dcgm47],
                _ => &[Naming::Classic, Naming::Dcgm47],
            };
            let mut groups = Vec::new();
            for &feed in feeds {
                for rule in &p.rules {
                    let variants =
                        std::iter::once(None).chain((0..rule.conditions.len()).map(Some));
                    for fail in variants {
                        let s = scenario(rule, fail, feed);
                        let fired = if rule.in_process() {
                            in_process(rule, &s)
                        } else {
                            prometheus_only(rule, &s, fail.is_none())
                        };
                        let any = fired.iter().any(Option::is_some);
                        if fail.is_none() {
                            assert!(
                                any,
                                "{preset}/{} never fires in process on its firing series ({feed:?})",
                                rule.name
                            );
                        } else {
                            assert!(
                                !any,
                                "{preset}/{} fires with condition {fail:?} failing ({feed:?})",
                                rule.name
                            );
                        }
                        groups.push(test_group(rule, &s, &fired, &ann[&rule.name]));
                    }
                }
            }
            groups_run += groups.len();
            let mut t = Mapping::new();
            t.insert(
                "rule_files".into(),
                Value::Sequence(vec![Value::String(
                    file.file_name()
                        .expect("name")
                        .to_string_lossy()
                        .into_owned(),
                )]),
            );
            t.insert("evaluation_interval".into(), Value::String("1m".into()));
            t.insert("tests".into(), Value::Sequence(groups));
            let test_file = dir.path().join(format!("{preset}-{naming}.test.yml"));
            std::fs::write(
                &test_file,
                serde_yaml::to_string(&Value::Mapping(t)).expect("yaml"),
            )
            .expect("write");
            let (ok, out) = promtool(
                &["test", "rules", test_file.to_str().expect("utf8")],
                dir.path(),
            );
            if !ok {
                failures.push(format!(
                    "== {preset} ({naming}):\n{}",
                    out.chars().take(4000).collect::<String>()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "the engines disagree:\n{}",
        failures.join("\n")
    );
    assert!(groups_run > 200, "{groups_run} scenario groups");
}

#[test]
fn no_data_guards_fire_when_every_series_is_gone() {
    let dir = tempfile::tempdir().expect("tmp");
    for naming in ["classic", "dcgm47", "both"] {
        let file = render(dir.path(), "gpu-basic", naming);
        let present = match naming {
            "dcgm47" => "DCGM_FI_DEV_GPU_TEMP_CELSIUS",
            _ => "DCGM_FI_DEV_GPU_TEMP",
        };
        let test = format!(
            r#"rule_files: [{file}]
evaluation_interval: 1m
tests:
  - interval: 1m
    input_series:
      - series: 'up{{instance="n1:9400",job="dcgm"}}'
        values: '1x20'
    alert_rule_test:
      - eval_time: 9m
        alertname: AamiNoData_gpu_basic_gpu_temp_c
        exp_alerts: []
      - eval_time: 15m
        alertname: AamiNoData_gpu_basic_gpu_temp_c
        exp_alerts:
          - exp_labels: {{severity: warning, preset: gpu-basic}}
            exp_annotations:
              summary: "{summary}"
              description: "{description}"
  - interval: 1m
    input_series:
      - series: '{present}{{instance="n1:9400",gpu="0"}}'
        values: '50x20'
    alert_rule_test:
      - eval_time: 15m
        alertname: AamiNoData_gpu_basic_gpu_temp_c
        exp_alerts: []
"#,
            file = file.file_name().expect("name").to_string_lossy(),
            summary = annotations(&file)["AamiNoData_gpu_basic_gpu_temp_c"]["summary"],
            description = annotations(&file)["AamiNoData_gpu_basic_gpu_temp_c"]["description"],
        );
        let t = dir.path().join(format!("guard-{naming}.test.yml"));
        std::fs::write(&t, test).expect("write");
        let (ok, out) = promtool(&["test", "rules", t.to_str().expect("utf8")], dir.path());
        assert!(ok, "{naming}:\n{out}");
    }
}
