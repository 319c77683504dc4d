//! The structured rule: conditions over the fleet model's metrics, joined
//! with AND on the same GPU (or node), held for `for`, with a severity and
//! the words an operator reads.

use super::metric::{MetricDef, Scope};
use crate::domain::Severity;

/// A comparison.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Gt,
    Ge,
    Lt,
    Le,
    Eq,
    Ne,
}

impl Op {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            ">" => Op::Gt,
            ">=" => Op::Ge,
            "<" => Op::Lt,
            "<=" => Op::Le,
            "==" => Op::Eq,
            "!=" => Op::Ne,
            _ => return None,
        })
    }
    pub fn symbol(self) -> &'static str {
        match self {
            Op::Gt => ">",
            Op::Ge => ">=",
            Op::Lt => "<",
            Op::Le => "<=",
            Op::Eq => "==",
            Op::Ne => "!=",
        }
    }
    pub fn holds(self, a: f64, b: f64) -> bool {
        match self {
            Op::Gt => a > b,
            Op::Ge => a >= b,
            Op::Lt => a < b,
            Op::Le => a <= b,
            Op::Eq => a == b,
            Op::Ne => a != b,
        }
    }
}

/// A function over a window of past samples, as PromQL names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowFn {
    /// Growth of a counter (resets counted as restarts from zero).
    Increase,
    /// How many times the value changed (for gauges such as the last Xid).
    Changes,
    MaxOverTime,
    MinOverTime,
    AvgOverTime,
}

impl WindowFn {
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s.trim() {
            "increase" => WindowFn::Increase,
            "changes" => WindowFn::Changes,
            "max_over_time" => WindowFn::MaxOverTime,
            "min_over_time" => WindowFn::MinOverTime,
            "avg_over_time" => WindowFn::AvgOverTime,
            _ => return None,
        })
    }
    pub fn name(self) -> &'static str {
        match self {
            WindowFn::Increase => "increase",
            WindowFn::Changes => "changes",
            WindowFn::MaxOverTime => "max_over_time",
            WindowFn::MinOverTime => "min_over_time",
            WindowFn::AvgOverTime => "avg_over_time",
        }
    }
    pub const ALL: &'static [&'static str] = &[
        "increase",
        "changes",
        "max_over_time",
        "min_over_time",
        "avg_over_time",
    ];
}

/// What the metric (after its window function) is compared with.
#[derive(Debug, Clone, PartialEq)]
pub enum Threshold {
    Value(f64),
    /// Another metric of the same GPU plus an offset (e.g. the GPU's own
    /// slowdown temperature − 5); `default` applies where that metric is
    /// not published (no default: the condition does not hold there).
    Metric {
        metric: &'static MetricDef,
        offset: f64,
        default: Option<f64>,
    },
}

/// The test a condition makes.
#[derive(Debug, Clone, PartialEq)]
pub enum Test {
    Compare {
        op: Op,
        threshold: Threshold,
    },
    /// The value is one of these (Xid codes).
    OneOf(Vec<f64>),
}

/// One condition: `fn(metric[window]) op threshold`.
#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub metric: &'static MetricDef,
    pub window: Option<(WindowFn, u64)>,
    pub test: Test,
}

/// One alert rule.
#[derive(Debug, Clone, PartialEq)]
pub struct Rule {
    pub name: String,
    /// The preset it came from.
    pub preset: String,
    pub severity: Severity,
    pub scope: Scope,
    /// Seconds the conditions must hold before the alert fires.
    pub for_s: u64,
    /// All must hold, on the same GPU (or node).
    pub conditions: Vec<Condition>,
    /// Templates: `{{node}}`, `{{gpu}}`, `{{value}}`.
    pub summary: String,
    /// What to do.
    pub description: String,
    pub runbook: Option<String>,
}

impl Rule {
    /// Whether the rule is about Xid codes (Enter explains the code).
    pub fn is_xid(&self) -> bool {
        self.conditions.iter().any(|c| c.metric.id == "xid_last")
    }

    /// Whether the in-process engine can evaluate it.
    pub fn in_process(&self) -> bool {
        self.conditions.iter().all(|c| {
            !matches!(c.metric.reader, super::metric::Reader::PrometheusOnly(_))
                && match &c.test {
                    Test::Compare {
                        threshold: Threshold::Metric { metric, .. },
                        ..
                    } => !matches!(metric.reader, super::metric::Reader::PrometheusOnly(_)),
                    _ => true,
                }
        })
    }

    /// The longest window any condition looks back over, in seconds.
    pub fn longest_window_s(&self) -> u64 {
        self.conditions
            .iter()
            .filter_map(|c| c.window.map(|(_, w)| w))
            .max()
            .unwrap_or(0)
    }

    /// The condition in words: `gpu_temp_c > 85 for 5m`.
    pub fn condition_text(&self) -> String {
        let parts: Vec<String> = self.conditions.iter().map(Condition::text).collect();
        let mut s = parts.join(" and ");
        if self.for_s > 0 {
            s.push_str(&format!(" for {}", format_duration(self.for_s)));
        }
        s
    }
}

impl Condition {
    pub fn text(&self) -> String {
        let subject = match self.window {
            Some((f, w)) => format!("{}({}[{}])", f.name(), self.metric.id, format_duration(w)),
            None => self.metric.id.to_string(),
        };
        match &self.test {
            Test::Compare { op, threshold } => {
                let t = match threshold {
                    Threshold::Value(v) => format_number(*v),
                    Threshold::Metric {
                        metric,
                        offset,
                        default,
                    } => {
                        let mut t = metric.id.to_string();
                        if *offset != 0.0 {
                            t.push_str(&format!(
                                " {} {}",
                                if *offset < 0.0 { "-" } else { "+" },
                                format_number(offset.abs())
                            ));
                        }
                        if let Some(d) = default {
                            t.push_str(&format!(" (else {})", format_number(*d)));
                        }
                        t
                    }
                };
                format!("{subject} {} {t}", op.symbol())
            }
            Test::OneOf(vs) => {
                let list: Vec<String> = vs.iter().map(|v| format_number(*v)).collect();
                format!("{subject} in [{}]", list.join(", "))
            }
        }
    }
}

/// A preset: a named list of rules.
#[derive(Debug, Clone, PartialEq)]
pub struct Preset {
    pub name: String,
    pub description: String,
    pub rules: Vec<Rule>,
    /// Where it was read from (`<built-in>/presets/x.yaml` or a user path).
    pub source: String,
}

/// `90` → `"90"`, `0.5` → `"0.5"`.
pub fn format_number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{}", v as i64)
    } else {
        format!("{v}")
    }
}

/// Seconds as Prometheus writes a duration: `5m`, `1h`, `90s`, `1h30m`.
pub fn format_duration(secs: u64) -> String {
    if secs == 0 {
        return "0s".into();
    }
    let mut out = String::new();
    let mut rest = secs;
    for (unit, size) in [("d", 86400), ("h", 3600), ("m", 60), ("s", 1)] {
        if rest >= size {
            out.push_str(&format!("{}{unit}", rest / size));
            rest %= size;
        }
    }
    out
}

/// Parses a Prometheus duration (`30s`, `5m`, `1h30m`, `2d`, `1w`); whole
/// seconds only.
pub fn parse_duration(s: &str) -> Option<u64> {
    let s = s.trim();
    if s.is_empty() {
        return None;
    }
    let mut total: u64 = 0;
    let mut num = String::new();
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let n: u64 = num.parse().ok()?;
        num.clear();
        let size = match c {
            'w' => 7 * 86400,
            'd' => 86400,
            'h' => 3600,
            'm' if chars.peek() == Some(&'s') => return None,
            'm' => 60,
            's' => 1,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(size)?)?;
    }
    if !num.is_empty() {
        return None;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_trip() {
        for (s, secs) in [("30s", 30), ("5m", 300), ("1h30m", 5400), ("2d", 172800)] {
            assert_eq!(parse_duration(s), Some(secs));
            assert_eq!(format_duration(secs), s);
        }
        for bad in ["", "5", "5 minutes", "m", "5x", "100ms"] {
            assert_eq!(parse_duration(bad), None, "{bad}");
        }
    }
}
