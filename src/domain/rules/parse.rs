//! Reading a preset file: YAML into [`Preset`], refusing anything wrong
//! with the file, the rule and the field named.

use std::collections::HashSet;

use serde::Deserialize;

use super::metric::{self, Scope};
use super::model::{Condition, Op, Preset, Rule, Test, Threshold, WindowFn, parse_duration};
use crate::domain::Severity;

/// A preset file that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {}{}{message}", rule.as_ref().map(|r| format!("rule {r}: ")).unwrap_or_default(), field.as_ref().map(|f| format!("field `{f}`: ")).unwrap_or_default())]
pub struct PresetError {
    pub file: String,
    pub rule: Option<String>,
    pub field: Option<String>,
    pub message: String,
}

/// Gives the Xid codes of a severity from the catalogue (non-unused ones),
/// so the `xid` tiers are never a second hand-kept list.
pub type XidTier<'a> = &'a dyn Fn(Severity) -> Vec<u32>;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPreset {
    name: String,
    #[serde(default)]
    description: String,
    rules: Vec<RawRule>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: String,
    severity: String,
    #[serde(default, rename = "for")]
    for_: Option<String>,
    when: Vec<RawCondition>,
    summary: String,
    description: String,
    #[serde(default)]
    runbook: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    metric: String,
    #[serde(default, rename = "fn")]
    func: Option<String>,
    #[serde(default)]
    window: Option<String>,
    #[serde(default)]
    op: Option<String>,
    #[serde(default)]
    value: Option<serde_yaml::Value>,
    #[serde(default)]
    value_from: Option<RawValueFrom>,
    #[serde(default, rename = "in")]
    one_of: Option<Vec<f64>>,
    #[serde(default)]
    xid_severity: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawValueFrom {
    metric: String,
    #[serde(default)]
    offset: f64,
}

/// Placeholders a summary or description may use.
pub const PLACEHOLDERS: &[&str] = &["node", "gpu", "value"];

/// Parses one preset file. `file` names it in errors.
pub fn parse_preset(text: &str, file: &str, xid_tier: XidTier) -> Result<Preset, PresetError> {
    let raw: RawPreset = serde_yaml::from_str(text).map_err(|e| PresetError {
        file: match e.location() {
            Some(l) => format!("{file}:{}", l.line()),
            None => file.to_string(),
        },
        rule: None,
        field: None,
        message: e.to_string(),
    })?;
    let err = |rule: Option<&str>, field: String, message: String| PresetError {
        file: file.to_string(),
        rule: rule.map(str::to_string),
        field: Some(field),
        message,
    };
    if raw.name.trim().is_empty() {
        return Err(err(None, "name".into(), "is empty".into()));
    }
    if raw.rules.is_empty() {
        return Err(err(None, "rules".into(), "has no rules".into()));
    }
    let mut seen = HashSet::new();
    let mut rules = Vec::new();
    for r in raw.rules {
        let name = r.name.clone();
        let e = |field: &str, message: String| err(Some(&name), field.to_string(), message);
        if !valid_rule_name(&r.name) {
            return Err(e(
                "name",
                "must be letters, digits and '_', starting with a letter".into(),
            ));
        }
        if !seen.insert(r.name.clone()) {
            return Err(e("name", "is used by another rule in this preset".into()));
        }
        let severity = Severity::parse(&r.severity).ok_or_else(|| {
            e(
                "severity",
                format!("'{}' is not critical, warning or info", r.severity),
            )
        })?;
        let for_s = match &r.for_ {
            None => 0,
            Some(s) => parse_duration(s)
                .ok_or_else(|| e("for", format!("'{s}' is not a duration (like 30s, 5m, 1h)")))?,
        };
        if r.when.is_empty() {
            return Err(e("when", "has no conditions".into()));
        }
        let mut conditions = Vec::new();
        for (i, c) in r.when.iter().enumerate() {
            conditions.push(parse_condition(c, i, xid_tier).map_err(|(f, m)| e(&f, m))?);
        }
        let scope = conditions[0].metric.scope();
        if let Some((i, c)) = conditions
            .iter()
            .enumerate()
            .find(|(_, c)| c.metric.scope() != scope)
        {
            return Err(e(
                &format!("when[{i}].metric"),
                format!(
                    "{} is a {} metric but the rule's first condition is per {}",
                    c.metric.id,
                    scope_word(c.metric.scope()),
                    scope_word(scope)
                ),
            ));
        }
        for (field, text) in [("summary", &r.summary), ("description", &r.description)] {
            check_template(text).map_err(|m| e(field, m))?;
        }
        if r.summary.trim().is_empty() {
            return Err(e("summary", "is empty".into()));
        }
        if r.description.trim().is_empty() {
            return Err(e(
                "description",
                "is empty: say what the operator should do".into(),
            ));
        }
        rules.push(Rule {
            name: r.name,
            preset: raw.name.clone(),
            severity,
            scope,
            for_s,
            conditions,
            summary: r.summary.trim().to_string(),
            description: r.description.trim().to_string(),
            runbook: r.runbook.map(|s| s.trim().to_string()),
        });
    }
    Ok(Preset {
        name: raw.name,
        description: raw.description.trim().to_string(),
        rules,
        source: file.to_string(),
    })
}

fn scope_word(s: Scope) -> &'static str {
    match s {
        Scope::Gpu => "GPU",
        Scope::Node => "node",
    }
}

fn valid_rule_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic())
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

fn check_template(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else {
            return Err("has '{{' without a closing '}}'".into());
        };
        let name = after[..end].trim();
        if !PLACEHOLDERS.contains(&name) {
            return Err(format!(
                "unknown placeholder {{{{{name}}}}} (known: {})",
                PLACEHOLDERS.join(", ")
            ));
        }
        rest = &after[end + 2..];
    }
    Ok(())
}

type FieldError = (String, String);

fn parse_condition(c: &RawCondition, i: usize, xid_tier: XidTier) -> Result<Condition, FieldError> {
    let f = |name: &str| format!("when[{i}].{name}");
    let metric = metric::lookup(&c.metric).ok_or_else(|| {
        (
            f("metric"),
            format!(
                "unknown metric '{}' (known: {})",
                c.metric,
                metric::ids().join(", ")
            ),
        )
    })?;
    let window = match (&c.func, &c.window) {
        (None, None) => None,
        (Some(_), None) => {
            return Err((
                f("window"),
                "a window function needs a window (like 5m)".into(),
            ));
        }
        (None, Some(_)) => {
            return Err((
                f("fn"),
                format!("a window needs a function ({})", WindowFn::ALL.join(", ")),
            ));
        }
        (Some(func), Some(w)) => {
            let func = WindowFn::parse(func).ok_or_else(|| {
                (
                    f("fn"),
                    format!(
                        "unknown function '{func}' (known: {})",
                        WindowFn::ALL.join(", ")
                    ),
                )
            })?;
            let secs = parse_duration(w)
                .filter(|s| *s > 0)
                .ok_or_else(|| (f("window"), format!("'{w}' is not a duration (like 5m)")))?;
            if !metric.prom.takes_window() {
                return Err((
                    f("fn"),
                    format!(
                        "{} is computed from several series and takes no window function",
                        metric.id
                    ),
                ));
            }
            if func == WindowFn::Increase && metric.id == "xid_last" {
                return Err((
                    f("fn"),
                    "xid_last holds the last Xid, not a count: use changes, not increase".into(),
                ));
            }
            Some((func, secs))
        }
    };
    let given = [
        c.value.is_some() || c.value_from.is_some(),
        c.one_of.is_some(),
        c.xid_severity.is_some(),
    ]
    .iter()
    .filter(|b| **b)
    .count();
    if given != 1 {
        return Err((
            f("value"),
            "give exactly one of value (with op), value_from (with op), in, or xid_severity".into(),
        ));
    }
    let test = if let Some(list) = &c.one_of {
        if c.op.is_some() {
            return Err((f("op"), "'in' takes no op".into()));
        }
        if list.is_empty() || list.iter().any(|v| !v.is_finite()) {
            return Err((f("in"), "needs one or more numbers".into()));
        }
        Test::OneOf(list.clone())
    } else if let Some(sev) = &c.xid_severity {
        if metric.id != "xid_last" {
            return Err((f("xid_severity"), "applies only to metric xid_last".into()));
        }
        if c.op.is_some() {
            return Err((f("op"), "xid_severity takes no op".into()));
        }
        let sev = Severity::parse(sev).ok_or_else(|| {
            (
                f("xid_severity"),
                format!("'{sev}' is not critical, warning or info"),
            )
        })?;
        let codes = xid_tier(sev);
        if codes.is_empty() {
            return Err((
                f("xid_severity"),
                "the Xid catalogue has no codes of that severity".into(),
            ));
        }
        Test::OneOf(codes.into_iter().map(f64::from).collect())
    } else {
        let op_text =
            c.op.as_deref()
                .ok_or_else(|| (f("op"), "missing (one of > >= < <= == !=)".into()))?;
        let op = Op::parse(op_text).ok_or_else(|| {
            (
                f("op"),
                format!("'{op_text}' is not one of > >= < <= == !="),
            )
        })?;
        let default = match &c.value {
            None => None,
            Some(v) => Some(
                number(v)
                    .ok_or_else(|| (f("value"), format!("'{}' is not a number", yaml_text(v))))?,
            ),
        };
        let threshold = match &c.value_from {
            None => Threshold::Value(default.ok_or_else(|| (f("value"), "missing".into()))?),
            Some(from) => {
                let m = metric::lookup(&from.metric).ok_or_else(|| {
                    (
                        f("value_from.metric"),
                        format!(
                            "unknown metric '{}' (known: {})",
                            from.metric,
                            metric::ids().join(", ")
                        ),
                    )
                })?;
                if m.scope() != metric.scope() || !m.prom.takes_window() {
                    return Err((
                        f("value_from.metric"),
                        format!(
                            "{} cannot be compared with {} on the same {}",
                            m.id,
                            metric.id,
                            scope_word(metric.scope())
                        ),
                    ));
                }
                if !from.offset.is_finite() {
                    return Err((f("value_from.offset"), "is not a number".into()));
                }
                Threshold::Metric {
                    metric: m,
                    offset: from.offset,
                    default,
                }
            }
        };
        Test::Compare { op, threshold }
    };
    Ok(Condition {
        metric,
        window,
        test,
    })
}

fn number(v: &serde_yaml::Value) -> Option<f64> {
    v.as_f64().filter(|n| n.is_finite())
}

fn yaml_text(v: &serde_yaml::Value) -> String {
    match v {
        serde_yaml::Value::String(s) => s.clone(),
        other => serde_yaml::to_string(other)
            .map(|s| s.trim().to_string())
            .unwrap_or_default(),
    }
}

/// Fills `{{node}}`, `{{gpu}}` and `{{value}}` for the in-process engine.
pub fn fill_template(text: &str, node: &str, gpu: Option<u32>, value: Option<f64>) -> String {
    text.replace("{{node}}", node)
        .replace("{{ node }}", node)
        .replace(
            "{{gpu}}",
            &gpu.map(|g| g.to_string()).unwrap_or_else(|| "-".into()),
        )
        .replace(
            "{{value}}",
            &value.map(format_value).unwrap_or_else(|| "?".into()),
        )
}

/// A value as the pane and the Prometheus annotations print it.
pub fn format_value(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tier(s: Severity) -> Vec<u32> {
        match s {
            Severity::Critical => vec![79],
            _ => vec![],
        }
    }

    fn parse(text: &str) -> Result<Preset, PresetError> {
        parse_preset(text, "t.yaml", &tier)
    }

    const GOOD: &str = r#"
name: t
rules:
  - name: Hot
    severity: critical
    for: 5m
    when:
      - metric: gpu_temp_c
        op: ">"
        value: 85
    summary: "GPU {{gpu}} on {{node}} at {{value}} °C"
    description: "Check the fans."
"#;

    #[test]
    fn reads_a_rule() {
        let p = parse(GOOD).expect("parses");
        assert_eq!(p.rules[0].for_s, 300);
        assert_eq!(p.rules[0].condition_text(), "gpu_temp_c > 85 for 5m");
    }

    fn refused(text: &str) -> PresetError {
        parse(text).expect_err("refused")
    }

    #[test]
    fn names_file_rule_and_field() {
        let e = refused(&GOOD.replace("gpu_temp_c", "gpu_tmp"));
        assert_eq!(e.rule.as_deref(), Some("Hot"));
        assert_eq!(e.field.as_deref(), Some("when[0].metric"));
        assert!(
            e.to_string()
                .starts_with("t.yaml: rule Hot: field `when[0].metric`: unknown metric 'gpu_tmp'"),
            "{e}"
        );
        let e = refused(&GOOD.replace("value: 85", "value: hot"));
        assert_eq!(e.field.as_deref(), Some("when[0].value"));
        let e = refused(&GOOD.replace("for: 5m", "for: 5 minutes"));
        assert_eq!(e.field.as_deref(), Some("for"));
        let twice = format!("{GOOD}{}", &GOOD[GOOD.find("  - name").expect("rule")..]);
        let e = refused(&twice);
        assert_eq!(e.field.as_deref(), Some("name"));
        assert!(e.message.contains("another rule"), "{e}");
        let e = refused(&GOOD.replace("{{value}}", "{{valu}}"));
        assert_eq!(e.field.as_deref(), Some("summary"));
    }

    #[test]
    fn xid_rules_use_changes_and_the_catalogue() {
        let text = r#"
name: x
rules:
  - name: XidCritical
    severity: critical
    when:
      - metric: xid_last
        fn: changes
        window: 1h
        op: ">"
        value: 0
      - metric: xid_last
        xid_severity: critical
    summary: "Xid {{value}}"
    description: "Explain it."
"#;
        let p = parse(text).expect("parses");
        assert_eq!(p.rules[0].conditions[1].test, Test::OneOf(vec![79.0]));
        let e = refused(&text.replace("changes", "increase"));
        assert_eq!(e.field.as_deref(), Some("when[0].fn"));
    }
}
