//! Rendering rules to a Prometheus rule file, in either dcgm-exporter
//! naming or both.

use serde::Serialize;
use std::collections::BTreeMap;

use super::metric::{self, MetricDef, Naming, PromForm, Scope};
use super::model::{
    Condition, Preset, Rule, Test, Threshold, WindowFn, format_duration, format_number,
};

/// How long every guarded family must be gone before its no-data alert.
pub const NO_DATA_FOR: &str = "10m";

#[derive(Debug, Serialize)]
pub struct RuleFile {
    pub groups: Vec<Group>,
}

#[derive(Debug, Serialize)]
pub struct Group {
    pub name: String,
    pub rules: Vec<PromRule>,
}

#[derive(Debug, Serialize)]
pub struct PromRule {
    pub alert: String,
    pub expr: String,
    #[serde(rename = "for", skip_serializing_if = "Option::is_none")]
    pub for_: Option<String>,
    pub labels: BTreeMap<String, String>,
    pub annotations: BTreeMap<String, String>,
}

/// One group per preset, each with its rules and its no-data guards.
pub fn render(presets: &[&Preset], naming: Naming) -> RuleFile {
    RuleFile {
        groups: presets
            .iter()
            .map(|p| Group {
                name: format!("aami-{}", p.name),
                rules: p
                    .rules
                    .iter()
                    .map(|r| prom_rule(r, naming))
                    .chain(guards(p, naming))
                    .collect(),
            })
            .collect(),
    }
}

/// The rule file as YAML text.
pub fn render_yaml(presets: &[&Preset], naming: Naming) -> Result<String, serde_yaml::Error> {
    let header = format!(
        "# Written by `aami-tui alerts render` (naming: {}). Regenerate instead of editing.\n",
        naming.word()
    );
    Ok(header + &serde_yaml::to_string(&render(presets, naming))?)
}

fn prom_rule(r: &Rule, naming: Naming) -> PromRule {
    let mut labels = BTreeMap::new();
    labels.insert("severity".into(), r.severity.long_word().into());
    labels.insert("preset".into(), r.preset.clone());
    let mut annotations = BTreeMap::new();
    annotations.insert("summary".into(), prom_template(&r.summary));
    annotations.insert("description".into(), prom_template(&r.description));
    annotations.insert("condition".into(), r.condition_text());
    if let Some(rb) = &r.runbook {
        annotations.insert("runbook".into(), rb.clone());
    }
    PromRule {
        alert: r.name.clone(),
        expr: rule_expr(r, naming),
        for_: (r.for_s > 0).then(|| format_duration(r.for_s)),
        labels,
        annotations,
    }
}

/// The rule's whole expression: its conditions joined with `and` on the
/// same GPU or node.
pub fn rule_expr(r: &Rule, naming: Naming) -> String {
    let join = format!(" and on({}) ", r.scope.join_labels());
    let parts: Vec<String> = r
        .conditions
        .iter()
        .map(|c| condition_expr(c, r.scope, naming))
        .collect();
    if parts.len() == 1 {
        parts.into_iter().next().unwrap_or_default()
    } else {
        parts
            .iter()
            .map(|p| format!("({p})"))
            .collect::<Vec<_>>()
            .join(&join)
    }
}

fn condition_expr(c: &Condition, scope: Scope, naming: Naming) -> String {
    let subject = subject(c.metric, c.window, naming);
    match &c.test {
        Test::OneOf(vs) => vs
            .iter()
            .map(|v| format!("{subject} == {}", format_number(*v)))
            .collect::<Vec<_>>()
            .join(" or "),
        Test::Compare { op, threshold } => match threshold {
            Threshold::Value(t) => format!("{subject} {} {}", op.symbol(), format_number(*t)),
            Threshold::Metric {
                metric,
                offset,
                default,
            } => {
                let other = subject_of(metric, None, naming);
                let shifted = if *offset == 0.0 {
                    other.clone()
                } else {
                    format!(
                        "({other} {} {})",
                        if *offset < 0.0 { "-" } else { "+" },
                        format_number(offset.abs())
                    )
                };
                // group_left keeps the GPU's own labels (Hostname, UUID, …), which
                // one-to-one matching on() would drop.
                let on = format!("on({})", scope.join_labels());
                let main = format!("{subject} {} {on} group_left() {shifted}", op.symbol());
                match default {
                    None => main,
                    Some(d) => format!(
                        "({main}) or ({subject} {} {} unless {on} {other})",
                        op.symbol(),
                        format_number(*d)
                    ),
                }
            }
        },
    }
}

fn subject(m: &MetricDef, window: Option<(WindowFn, u64)>, naming: Naming) -> String {
    subject_of(m, window, naming)
}

fn subject_of(m: &MetricDef, window: Option<(WindowFn, u64)>, naming: Naming) -> String {
    if let (
        Naming::Both,
        PromForm::OrNvidiaSmi {
            classic,
            dcgm47,
            nvidia_smi,
        },
    ) = (naming, m.prom)
    {
        return format!("({classic} or {dcgm47} or {nvidia_smi})");
    }
    match naming {
        Naming::Both => {
            let (a, b) = (
                one_naming(m, window, Naming::Classic),
                one_naming(m, window, Naming::Dcgm47),
            );
            if a == b { a } else { format!("({a} or {b})") }
        }
        n => one_naming(m, window, n),
    }
}

fn one_naming(m: &MetricDef, window: Option<(WindowFn, u64)>, naming: Naming) -> String {
    let pick = |c: &'static str, d: &'static str| if naming == Naming::Dcgm47 { d } else { c };
    let ranged = |sel: String| match window {
        Some((f, w)) => format!("{}({sel}[{}])", f.name(), format_duration(w)),
        None => sel,
    };
    match m.prom {
        PromForm::Family {
            classic,
            dcgm47,
            dcgm47_scale,
        } => {
            let scale = if naming == Naming::Dcgm47 {
                dcgm47_scale
            } else {
                1.0
            };
            let base = ranged(pick(classic, dcgm47).to_string());
            let counts = matches!(window, Some((WindowFn::Changes, _)));
            if scale == 1.0 || counts {
                base
            } else {
                format!("({base} * {})", format_number(scale))
            }
        }
        PromForm::SumOf { classic, dcgm47 } => {
            let fams = if naming == Naming::Dcgm47 {
                dcgm47
            } else {
                classic
            };
            let sel = format!("{{__name__=~\"{}\"}}", fams.join("|"));
            format!("sum by (instance, gpu) ({})", ranged(sel))
        }
        PromForm::Bit {
            classic,
            dcgm47,
            bit,
        } => format!("(floor({} / {bit}) % 2)", pick(classic, dcgm47)),
        PromForm::OrNvidiaSmi {
            classic,
            dcgm47,
            nvidia_smi,
        } => format!("({} or {nvidia_smi})", pick(classic, dcgm47)),
        PromForm::Expr { classic, dcgm47 } => {
            let e = pick(classic, dcgm47);
            if e.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
                e.to_string()
            } else {
                format!("({e})")
            }
        }
    }
}

/// `absent()` guards: one per guarded metric the preset reads, firing when
/// every series of it is gone (in `both`, when both namings are gone).
fn guards(p: &Preset, naming: Naming) -> Vec<PromRule> {
    let mut seen: Vec<&'static str> = Vec::new();
    let mut out = Vec::new();
    for r in &p.rules {
        for c in &r.conditions {
            let m = c.metric;
            if !metric::IN_DEFAULT_COUNTERS.contains(&m.id) || seen.contains(&m.id) {
                continue;
            }
            seen.push(m.id);
            let fams = m.prom.families(naming);
            if fams.is_empty() {
                continue;
            }
            let expr = fams
                .iter()
                .map(|f| format!("absent({f})"))
                .collect::<Vec<_>>()
                .join(" and ");
            let mut labels = BTreeMap::new();
            labels.insert("severity".into(), "warning".into());
            labels.insert("preset".into(), p.name.clone());
            let mut annotations = BTreeMap::new();
            annotations.insert(
                "summary".into(),
                format!(
                    "No {} series anywhere: the {} rules cannot fire",
                    fams.join(" or "),
                    p.name
                ),
            );
            annotations.insert(
                "description".into(),
                "Every GPU exporter stopped publishing this metric. Check that dcgm-exporter runs on the GPU nodes and that Prometheus scrapes it (the targets page), and whether an upgrade renamed its metrics (render the rules with --naming both).".into(),
            );
            out.push(PromRule {
                alert: format!("AamiNoData_{}_{}", p.name.replace('-', "_"), m.id),
                expr,
                for_: Some(NO_DATA_FOR.into()),
                labels,
                annotations,
            });
        }
    }
    out
}

/// `{{node}}` → `{{ $labels.instance }}` and so on.
pub fn prom_template(text: &str) -> String {
    text.replace("{{node}}", "{{ $labels.instance }}")
        .replace("{{gpu}}", "{{ $labels.gpu }}")
        .replace("{{value}}", "{{ $value | humanize }}")
}
