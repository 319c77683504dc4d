//! Input series that make each rule's conditions hold (or one of them
//! fail), generated from the rule model, in either dcgm-exporter naming.

use aami_tui::domain::rules::metric::{Naming, PromForm};
use aami_tui::domain::rules::model::{Condition, Op, Rule, Test, Threshold, WindowFn};

pub const INSTANCE: &str = "n1:9400";
pub const NODE_INSTANCE: &str = "n1:9100";

/// One series: name, labels, one value per minute (`None`: stale).
#[derive(Debug, Clone)]
pub struct Series {
    pub name: String,
    pub labels: Vec<(String, String)>,
    pub values: Vec<Option<f64>>,
}

impl Series {
    pub fn selector(&self) -> String {
        let labels: Vec<String> = self
            .labels
            .iter()
            .map(|(k, v)| format!("{k}=\"{v}\""))
            .collect();
        format!("{}{{{}}}", self.name, labels.join(","))
    }
    pub fn promtool_values(&self) -> String {
        self.values
            .iter()
            .map(|v| match v {
                Some(v) => format!("{v}"),
                None => "stale".into(),
            })
            .collect::<Vec<_>>()
            .join(" ")
    }
}

/// What the test expects Prometheus to label the alert with, besides
/// alertname / severity / preset.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub series: Vec<Series>,
    pub minutes: usize,
    pub alert_labels: Vec<(String, String)>,
}

fn gpu_labels(gpu: u32) -> Vec<(String, String)> {
    vec![
        ("Hostname".into(), "n1".into()),
        ("UUID".into(), format!("GPU-{gpu}")),
        ("gpu".into(), gpu.to_string()),
        ("instance".into(), INSTANCE.into()),
        ("job".into(), "dcgm".into()),
        ("modelName".into(), "NVIDIA H100 80GB HBM3".into()),
    ]
}

fn node_labels(extra: &[(&str, &str)]) -> Vec<(String, String)> {
    let mut l: Vec<(String, String)> = extra
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    l.push(("instance".into(), NODE_INSTANCE.into()));
    l.push(("job".into(), "node".into()));
    l.sort();
    l
}

fn only(labels: &[(String, String)], keep: &[&str]) -> Vec<(String, String)> {
    labels
        .iter()
        .filter(|(k, _)| keep.contains(&k.as_str()))
        .cloned()
        .collect()
}

fn constant(v: f64, n: usize) -> Vec<Option<f64>> {
    vec![Some(v); n]
}

fn pick(naming: Naming, classic: &'static str, dcgm47: &'static str) -> String {
    if naming == Naming::Dcgm47 {
        dcgm47.into()
    } else {
        classic.into()
    }
}

/// The value the condition's subject should read for it to hold or not.
fn target(op: Op, t: f64, holds: bool) -> f64 {
    let up = match op {
        Op::Gt | Op::Ge => holds,
        Op::Lt | Op::Le => !holds,
        Op::Eq => return if holds { t } else { t + 1.0 },
        Op::Ne => return if holds { t + 1.0 } else { t },
    };
    if up { t + 1.0 } else { t - 1.0 }
}

/// Series for one condition. `holds` says whether it should hold from the
/// start; `naming` is the naming fed (classic or dcgm47, never both).
/// Returns the series and the labels the alert carries when this is the
/// rule's first condition.
fn condition_series(
    c: &Condition,
    holds: bool,
    naming: Naming,
    n: usize,
) -> (Vec<Series>, Vec<(String, String)>) {
    let m = c.metric;
    let g = gpu_labels(0);
    // What the subject should read.
    let (value, extra) = match &c.test {
        Test::Compare { op, threshold } => match threshold {
            Threshold::Value(t) => (target(*op, *t, holds), Vec::new()),
            Threshold::Metric { metric, offset, .. } => {
                let slowdown = 90.0;
                let PromForm::Family {
                    classic, dcgm47, ..
                } = metric.prom
                else {
                    panic!("value_from a family metric")
                };
                let s = Series {
                    name: pick(naming, classic, dcgm47),
                    labels: g.clone(),
                    values: constant(slowdown, n),
                };
                (target(*op, slowdown + offset, holds), vec![s])
            }
        },
        Test::OneOf(list) => (if holds { list[0] } else { 1.0 }, Vec::new()),
    };
    let mut out = extra;
    let labels: Vec<(String, String)>;
    match (m.prom, c.window) {
        (
            PromForm::Family {
                classic,
                dcgm47,
                dcgm47_scale,
            },
            None,
        ) => {
            let scale = if naming == Naming::Dcgm47 {
                dcgm47_scale
            } else {
                1.0
            };
            out.push(Series {
                name: pick(naming, classic, dcgm47),
                labels: g.clone(),
                values: constant(value / scale, n),
            });
            labels = g;
        }
        (
            PromForm::Family {
                classic,
                dcgm47,
                dcgm47_scale,
            },
            Some((f, _)),
        ) => {
            let scale = if naming == Naming::Dcgm47 {
                dcgm47_scale
            } else {
                1.0
            };
            let values = match f {
                WindowFn::Increase => {
                    // Rising by more than the threshold every minute.
                    let step = if holds { value.max(1.0) } else { 0.0 };
                    (0..n).map(|k| Some(5.0 + step * k as f64)).collect()
                }
                WindowFn::Changes => {
                    let steady = if holds { 0.0 } else { 3.0 };
                    (0..n)
                        .map(|k| Some(if k < 5 { steady } else { 3.0 }))
                        .collect()
                }
                _ => constant(value / scale, n),
            };
            out.push(Series {
                name: pick(naming, classic, dcgm47),
                labels: g.clone(),
                values,
            });
            labels = g;
        }
        (PromForm::SumOf { classic, dcgm47 }, w) => {
            let fam = if naming == Naming::Dcgm47 {
                dcgm47[0]
            } else {
                classic[0]
            };
            let values = match w {
                Some((WindowFn::Increase, _)) => {
                    let step = if holds { value.max(1.0) } else { 0.0 };
                    (0..n).map(|k| Some(step * k as f64)).collect()
                }
                _ => constant(value, n),
            };
            out.push(Series {
                name: fam.into(),
                labels: g.clone(),
                values,
            });
            labels = only(&g, &["instance", "gpu"]);
        }
        // dcgm-exporter's family here; the nvidia_gpu_exporter side is fed
        // from a real capture in tests/alert_rules_recovery.rs.
        (
            PromForm::OrNvidiaSmi {
                classic, dcgm47, ..
            },
            _,
        ) => {
            out.push(Series {
                name: pick(naming, classic, dcgm47),
                labels: g.clone(),
                values: constant(value, n),
            });
            labels = g;
        }
        (
            PromForm::Bit {
                classic,
                dcgm47,
                bit,
            },
            _,
        ) => {
            out.push(Series {
                name: pick(naming, classic, dcgm47),
                labels: g.clone(),
                values: constant(if value == 1.0 { bit as f64 } else { 0.0 }, n),
            });
            labels = g;
        }
        (PromForm::Expr { .. }, _) => match m.id {
            "fb_used_pct" => {
                let (used, free) = if naming == Naming::Dcgm47 {
                    ("DCGM_FI_DEV_FB_USED_MIB", "DCGM_FI_DEV_FB_FREE_MIB")
                } else {
                    ("DCGM_FI_DEV_FB_USED", "DCGM_FI_DEV_FB_FREE")
                };
                out.push(Series {
                    name: used.into(),
                    labels: g.clone(),
                    values: constant(value * 100.0, n),
                });
                out.push(Series {
                    name: free.into(),
                    labels: g.clone(),
                    values: constant((100.0 - value) * 100.0, n),
                });
                labels = g;
            }
            "exporter_up" => {
                let l = vec![
                    ("instance".to_string(), INSTANCE.to_string()),
                    ("job".to_string(), "dcgm".to_string()),
                ];
                out.push(Series {
                    name: "up".into(),
                    labels: l.clone(),
                    values: constant(value, n),
                });
                labels = l;
            }
            "gpus_missing" => {
                let fam = pick(
                    naming,
                    "DCGM_FI_DEV_GPU_TEMP",
                    "DCGM_FI_DEV_GPU_TEMP_CELSIUS",
                );
                out.push(Series {
                    name: fam.clone(),
                    labels: g.clone(),
                    values: constant(50.0, n),
                });
                let vanish = if value > 0.0 { 5 } else { n };
                out.push(Series {
                    name: fam,
                    labels: gpu_labels(1),
                    values: (0..n).map(|k| (k < vanish).then_some(50.0)).collect(),
                });
                labels = vec![("instance".into(), INSTANCE.into())];
            }
            "node_mem_available_pct" => {
                let l = node_labels(&[]);
                out.push(Series {
                    name: "node_memory_MemAvailable_bytes".into(),
                    labels: l.clone(),
                    values: constant(value * 1e9, n),
                });
                out.push(Series {
                    name: "node_memory_MemTotal_bytes".into(),
                    labels: l.clone(),
                    values: constant(100.0 * 1e9, n),
                });
                labels = l;
            }
            "node_disk_free_pct" => {
                let l = node_labels(&[
                    ("device", "/dev/vda1"),
                    ("fstype", "ext4"),
                    ("mountpoint", "/"),
                ]);
                out.push(Series {
                    name: "node_filesystem_avail_bytes".into(),
                    labels: l.clone(),
                    values: constant(value * 1e9, n),
                });
                out.push(Series {
                    name: "node_filesystem_size_bytes".into(),
                    labels: l.clone(),
                    values: constant(100.0 * 1e9, n),
                });
                labels = l;
            }
            "node_cpu_busy_pct" => {
                // One CPU: idle seconds grow at (100 - busy) % of wall time.
                let idle_per_min = 60.0 * (100.0 - value) / 100.0;
                let l = |mode: &str| node_labels(&[("cpu", "0"), ("mode", mode)]);
                out.push(Series {
                    name: "node_cpu_seconds_total".into(),
                    labels: l("idle"),
                    values: (0..n).map(|k| Some(idle_per_min * k as f64)).collect(),
                });
                out.push(Series {
                    name: "node_cpu_seconds_total".into(),
                    labels: l("user"),
                    values: (0..n)
                        .map(|k| Some((60.0 - idle_per_min) * k as f64))
                        .collect(),
                });
                labels = vec![("instance".into(), NODE_INSTANCE.into())];
            }
            "node_clock_skew_s" => {
                let l = node_labels(&[]);
                // The rule reads abs(offset): a quiet clock is near zero.
                out.push(Series {
                    name: "node_timex_offset_seconds".into(),
                    labels: l.clone(),
                    values: constant(value.max(0.0), n),
                });
                labels = l;
            }
            other => panic!("no scenario for metric {other}"),
        },
    }
    (out, labels)
}

/// A scenario for `rule`: every condition holds, or condition `fail` does
/// not. The Xid rules' two conditions share one gauge and are built
/// together.
pub fn scenario(rule: &Rule, fail: Option<usize>, naming: Naming) -> Scenario {
    let minutes = (rule.for_s / 60 + rule.longest_window_s() / 60 + 12) as usize;
    let n = minutes + 1;
    if rule.is_xid() {
        let Test::OneOf(list) = &rule.conditions[0].test else {
            panic!("xid rules start with the tier")
        };
        let fam = pick(naming, "DCGM_FI_DEV_XID_ERRORS", "DCGM_FI_DEV_XID_ERROR");
        let code = if fail == Some(0) { 1.0 } else { list[0] };
        // Condition 1 (changes > 0 over 1h): the code appears at minute 5,
        // or has been there from the start.
        let values = (0..n)
            .map(|k| Some(if fail == Some(1) || k >= 5 { code } else { 0.0 }))
            .collect();
        let g = gpu_labels(0);
        return Scenario {
            series: vec![Series {
                name: fam,
                labels: g.clone(),
                values,
            }],
            minutes,
            alert_labels: g,
        };
    }
    let mut series: Vec<Series> = Vec::new();
    let mut alert_labels = Vec::new();
    for (i, c) in rule.conditions.iter().enumerate() {
        let (s, labels) = condition_series(c, fail != Some(i), naming, n);
        if i == 0 {
            alert_labels = labels;
        }
        for s in s {
            if !series
                .iter()
                .any(|x| x.name == s.name && x.labels == s.labels)
            {
                series.push(s);
            }
        }
    }
    Scenario {
        series,
        minutes,
        alert_labels,
    }
}

/// Prometheus's `humanize`: four significant digits with k/M/… or m/u/…
/// prefixes.
pub fn humanize(v: f64) -> String {
    if v == 0.0 || !v.is_finite() {
        return g4(v);
    }
    let mut v = v;
    let mut prefix = "";
    if v.abs() >= 1.0 {
        for p in ["k", "M", "G", "T", "P", "E", "Z", "Y"] {
            if v.abs() < 1000.0 {
                break;
            }
            prefix = p;
            v /= 1000.0;
        }
    } else {
        for p in ["m", "u", "n", "p", "f", "a", "z", "y"] {
            if v.abs() >= 1.0 {
                break;
            }
            prefix = p;
            v *= 1000.0;
        }
    }
    format!("{}{prefix}", g4(v))
}

/// Go's `%.4g` for values from 0.001 to 9999.
fn g4(v: f64) -> String {
    if v == 0.0 {
        return "0".into();
    }
    let e = v.abs().log10().floor() as i32;
    let decimals = (3 - e).max(0) as usize;
    let s = format!("{v:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    }
}
