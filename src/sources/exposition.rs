//! Prometheus text exposition: keep only the families we use, then parse.
//!
//! prometheus-parse runs a regex per line and builds a label map per sample;
//! node_exporter pages carry thousands of series we never look at, so lines
//! are filtered by metric name before the parser sees them.

use std::collections::HashMap;

/// One sample, labels trimmed (all-smi writes `, ` between labels and the
/// parser keeps the space) and values sanitised.
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSample {
    pub name: String,
    pub labels: HashMap<String, String>,
    pub value: f64,
}

impl MetricSample {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key).map(String::as_str)
    }
}

/// The metric name a line is about: the sample's name, or the family named
/// by a `# HELP`/`# TYPE` line.
fn line_metric(line: &str) -> Option<&str> {
    let l = line.trim_start();
    let rest = if let Some(r) = l
        .strip_prefix("# HELP ")
        .or_else(|| l.strip_prefix("# TYPE "))
    {
        r
    } else if l.starts_with('#') || l.is_empty() {
        return None;
    } else {
        l
    };
    let end = rest
        .find(|c: char| c == '{' || c.is_whitespace())
        .unwrap_or(rest.len());
    Some(&rest[..end])
}

/// Whether a well-formed sample or HELP/TYPE line of `text` names a family
/// starting with `prefix` (how each dialect recognises its own pages).
pub fn has_family_prefix(text: &str, prefix: &str) -> bool {
    has_sample_family(text, |m| m.starts_with(prefix))
}

/// Whether a well-formed sample line or a `# HELP`/`# TYPE` line names a
/// family passing `pred` (`DCGM_FI_DEV_X ,  gauge` in a CSV does not).
pub fn has_sample_family(text: &str, pred: impl Fn(&str) -> bool) -> bool {
    text.lines().any(|l| {
        let l = l.trim_start();
        match l
            .strip_prefix("# HELP ")
            .or_else(|| l.strip_prefix("# TYPE "))
        {
            Some(rest) => {
                let name = rest.split_whitespace().next().unwrap_or("");
                name.chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
                    && pred(name)
            }
            None => strict_sample_name(l).is_some_and(&pred),
        }
    })
}

/// The metric name of a line that is a well-formed sample: a metric name,
/// optional labels, a number and an optional integer timestamp, nothing
/// else. Stricter than the parser, which takes `Nov 23 kernel: …` (a log
/// line) for metric `Nov` with value 23.
pub fn strict_sample_name(line: &str) -> Option<&str> {
    let l = line.trim();
    if l.starts_with('#') {
        return None;
    }
    let end = l
        .find(|c: char| c == '{' || c.is_whitespace())
        .unwrap_or(l.len());
    let name = &l[..end];
    let mut chars = name.chars();
    let first_ok = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || c == ':');
    // `GPU: 0` (amd-smi's text output) is a label, not a metric.
    if !first_ok
        || name.ends_with(':')
        || !chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == ':')
    {
        return None;
    }
    let mut rest = &l[end..];
    if rest.starts_with('{') {
        rest = &rest[rest.find('}')? + 1..];
    }
    let mut parts = rest.split_whitespace();
    parts.next()?.parse::<f64>().ok()?;
    match (parts.next(), parts.next()) {
        (None, _) => Some(name),
        (Some(ts), None) if ts.parse::<i64>().is_ok() => Some(name),
        _ => None,
    }
}

/// Parses the lines of `text` whose metric passes `wanted`.
pub fn parse_filtered(text: &str, wanted: impl Fn(&str) -> bool) -> Vec<MetricSample> {
    let lines = text
        .lines()
        .filter(|l| line_metric(l).is_some_and(&wanted))
        .map(|l| Ok(l.to_string()));
    let scrape = match prometheus_parse::Scrape::parse(lines) {
        Ok(s) => s,
        Err(_) => return Vec::new(),
    };
    scrape
        .samples
        .into_iter()
        .filter_map(|s| {
            let value = match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => return None,
            };
            let labels = s
                .labels
                .iter()
                .map(|(k, v)| (k.trim().to_string(), crate::text::sanitize(v)))
                .collect();
            Some(MetricSample {
                name: s.metric,
                labels,
                value,
            })
        })
        .collect()
}

/// How many lines look like samples (not comments/blank): a page with none
/// that parse is "not a metrics page".
pub fn sample_line_count(text: &str) -> usize {
    text.lines()
        .filter(|l| {
            let t = l.trim_start();
            !t.is_empty() && !t.starts_with('#')
        })
        .count()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_by_family_and_trims_label_keys() {
        let text = "# HELP a_x help\n# TYPE a_x gauge\na_x{gpu=\"0\", host=\"h\"} 1.5\nb_y 2\n";
        let s = parse_filtered(text, |m| m.starts_with("a_"));
        assert_eq!(s.len(), 1);
        assert_eq!(s[0].label("host"), Some("h"));
        assert_eq!(s[0].value, 1.5);
    }
}
