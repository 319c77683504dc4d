//! The `/` filter: whitespace-separated terms that must all match.
//! `text` matches name, address or any label value; `key=value` matches a
//! label (or `state=down`); `temp>85`, `util<10`, `power>3000`, `gpus<8`
//! compare the node's figures.

use crate::domain::NodeState;

#[derive(Debug, Clone, PartialEq)]
enum Term {
    Text(String),
    Label(String, String),
    Compare(Metric, Op, f64),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Metric {
    Temp,
    Util,
    Mem,
    Power,
    Gpus,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Op {
    Gt,
    Lt,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Filter {
    terms: Vec<Term>,
}

impl Filter {
    pub fn parse(s: &str) -> Self {
        let terms = s
            .split_whitespace()
            .map(|t| {
                for (sym, op) in [('>', Op::Gt), ('<', Op::Lt)] {
                    if let Some((k, v)) = t.split_once(sym)
                        && let (Some(m), Ok(n)) = (metric(k), v.parse::<f64>())
                    {
                        return Term::Compare(m, op, n);
                    }
                }
                if let Some((k, v)) = t.split_once('=') {
                    return Term::Label(k.to_lowercase(), v.to_lowercase());
                }
                Term::Text(t.to_lowercase())
            })
            .collect();
        Self { terms }
    }

    pub fn is_empty(&self) -> bool {
        self.terms.is_empty()
    }

    pub fn matches(&self, n: &NodeState) -> bool {
        self.terms.iter().all(|t| term_matches(t, n))
    }
}

fn metric(k: &str) -> Option<Metric> {
    Some(match k.to_lowercase().as_str() {
        "temp" | "hot" => Metric::Temp,
        "util" => Metric::Util,
        "mem" => Metric::Mem,
        "power" => Metric::Power,
        "gpus" => Metric::Gpus,
        _ => return None,
    })
}

fn term_matches(t: &Term, n: &NodeState) -> bool {
    match t {
        Term::Text(s) => {
            n.spec.name.to_lowercase().contains(s)
                || n.spec.address.contains(s.as_str())
                || n.spec.labels.values().any(|v| v.to_lowercase().contains(s))
                || n.model().is_some_and(|m| m.to_lowercase().contains(s))
        }
        Term::Label(k, v) if k == "state" => n.status.word() == v,
        Term::Label(k, v) => n
            .spec
            .labels
            .iter()
            .any(|(lk, lv)| lk.to_lowercase() == *k && lv.to_lowercase() == *v),
        Term::Compare(m, op, x) => {
            let value = match m {
                Metric::Temp => n.hottest().map(|h| h.1),
                Metric::Util => n.avg_util(),
                Metric::Mem => n.avg_mem_pct(),
                Metric::Power => n.power_w(),
                Metric::Gpus => Some(n.gpus.len() as f64),
            };
            value.is_some_and(|v| match op {
                Op::Gt => v > *x,
                Op::Lt => v < *x,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::{GpuSample, NodeSpec};

    fn node(name: &str, rack: &str, temp: f64) -> NodeState {
        let mut n = NodeState::new(NodeSpec {
            name: name.into(),
            address: "127.0.1.1".into(),
            labels: [("rack".to_string(), rack.to_string())].into(),
        });
        n.gpus = vec![GpuSample {
            temp_c: Some(temp),
            ..Default::default()
        }];
        n
    }

    #[test]
    fn terms_combine() {
        let a = node("gpu-node-01", "r1", 91.0);
        let b = node("gpu-node-02", "r2", 50.0);
        let f = Filter::parse("rack=r1 temp>85");
        assert!(f.matches(&a) && !f.matches(&b));
        assert!(Filter::parse("node-02").matches(&b));
        assert!(!Filter::parse("node-02").matches(&a));
        assert!(Filter::parse("state=pending").matches(&a));
    }
}
