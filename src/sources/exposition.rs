//! Prometheus text exposition: keep only the families we use, then parse.
//!
//! Pages are parsed by [`super::exposition_parse`], an exact parser that
//! borrows from the page; node_exporter pages carry thousands of series we
//! never look at, so a line's metric name is read first and the rest of the
//! line only when the family is wanted.

use std::borrow::Cow;

pub use super::exposition_parse::Labels;
use super::exposition_parse::{parse_line, sample_name};

/// One sample, borrowing from the page it was read from where it can
/// (label values are unescaped and made safe to show).
#[derive(Debug, Clone, PartialEq)]
pub struct MetricSample<'a> {
    pub name: Cow<'a, str>,
    pub labels: Labels<'a>,
    pub value: f64,
}

impl MetricSample<'_> {
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels.get(key)
    }

    /// A copy that owns its text.
    pub fn into_owned(self) -> MetricSample<'static> {
        MetricSample {
            name: Cow::Owned(self.name.into_owned()),
            labels: self.labels.into_owned(),
            value: self.value,
        }
    }
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
/// optional labels, a number and an optional timestamp, nothing else
/// (`Nov 23 kernel: …`, a log line, is not one).
pub fn strict_sample_name(line: &str) -> Option<&str> {
    let name = parse_line(line.trim())?.name;
    // `GPU: 0` (amd-smi's text output) is a label, not a metric.
    (!name.ends_with(':')).then_some(name)
}

/// Parses the sample lines of `text` whose metric passes `wanted`; lines
/// that break the format are skipped. Unlike prometheus-parse, samples of
/// histogram and summary families come back as plain samples under their
/// line's name (no dialect reads one).
pub fn parse_filtered(text: &str, wanted: impl Fn(&str) -> bool) -> Vec<MetricSample<'_>> {
    let mut samples = Vec::new();
    // A family's samples stand together on a page (one line per GPU, CPU,
    // mount…): the last name's verdict is reused instead of asking again.
    let mut last: Option<(&str, bool)> = None;
    for line in text.lines() {
        let Some(name) = sample_name(line) else {
            continue;
        };
        let keep = match last {
            Some((prev, verdict)) if prev == name => verdict,
            _ => {
                let verdict = wanted(name);
                last = Some((name, verdict));
                verdict
            }
        };
        if let Some(l) = keep.then(|| parse_line(line)).flatten() {
            samples.push(MetricSample {
                name: Cow::Borrowed(l.name),
                labels: l.labels,
                value: l.value,
            });
        }
    }
    samples
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
        assert_eq!(s[0].label("gpu"), Some("0"));
        assert_eq!(s[0].value, 1.5);
    }
}
