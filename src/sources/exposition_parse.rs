//! An exact parser for one line of the Prometheus text exposition format,
//! made for the scrape hot path: it borrows from the page and allocates
//! nothing for a sample whose label values need no unescaping.
//!
//! The grammar, as Prometheus's own text parser reads it:
//!
//! ```text
//! line   = name [ ws* "{" [ label { "," label } [ "," ] ] "}" ] ws+ value [ ws+ timestamp ] ws*
//! label  = ws* label_name ws* "=" ws* '"' chars '"' ws*
//! chars  = any character but '"', '\' and newline, or an escape
//! escape = '\\' | '\"' | '\n'   (any other '\x' is kept as the two characters)
//! ```
//!
//! Inside quotes every character counts as text, `}` and `,` included
//! (prometheus-parse cuts a value at the first `}` and loses the sample).
//! Metric names are `[a-zA-Z_:][a-zA-Z0-9_:]*`, label names
//! `[a-zA-Z_][a-zA-Z0-9_]*`; values are what `f64::from_str` reads (Go's
//! `NaN`, `+Inf`, `-Inf` included); a timestamp is an integer (milliseconds)
//! or, as OpenMetrics writes it, a decimal number of seconds. A line that
//! breaks the grammar gives no sample.

use std::borrow::Cow;

/// Longest label value kept as it is; longer ones are cut as
/// [`crate::text::sanitize`] cuts them.
const MAX_PLAIN_VALUE: usize = 256;

/// A sample's labels: the page's own text between the braces when every
/// value can be used as written (no escapes, no control characters, not
/// too long), else the decoded pairs.
#[derive(Debug, Clone, PartialEq)]
pub enum Labels<'a> {
    /// Text between `{` and `}`, already checked against the grammar.
    Plain(&'a str),
    Decoded(Vec<(Cow<'a, str>, Cow<'a, str>)>),
}

impl Default for Labels<'_> {
    fn default() -> Self {
        Labels::Plain("")
    }
}

impl<'a> Labels<'a> {
    /// Builds decoded labels from owned pairs (Prometheus API answers).
    pub fn from_pairs(pairs: impl IntoIterator<Item = (String, String)>) -> Self {
        Labels::Decoded(
            pairs
                .into_iter()
                .map(|(k, v)| (Cow::Owned(k), Cow::Owned(v)))
                .collect(),
        )
    }

    /// The value of label `key`; the first one when a page repeats it.
    pub fn get(&self, key: &str) -> Option<&str> {
        match self {
            Labels::Plain(text) => PlainPairs::new(text)
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v),
            Labels::Decoded(pairs) => pairs
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.as_ref()),
        }
    }

    /// Every (name, value) pair, in page order.
    pub fn iter(&self) -> LabelPairs<'_> {
        match self {
            Labels::Plain(text) => LabelPairs::Plain(PlainPairs::new(text)),
            Labels::Decoded(pairs) => LabelPairs::Decoded(pairs.iter()),
        }
    }

    /// The values of several labels in one walk over the pairs (the first
    /// of each when a page repeats one): a dialect reading `gpu` and
    /// `GPU_I_ID` of every sample walks its labels once, not once per key.
    pub fn get_each<const N: usize>(&self, keys: [&str; N]) -> [Option<&str>; N] {
        let mut found = [None; N];
        let mut missing = N;
        for (k, v) in self.iter() {
            if let Some(at) = keys.iter().position(|key| *key == k)
                && found[at].is_none()
            {
                found[at] = Some(v);
                missing -= 1;
                if missing == 0 {
                    break;
                }
            }
        }
        found
    }

    pub fn len(&self) -> usize {
        self.iter().count()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// An owned copy, for samples kept past the page they came from.
    pub fn into_owned(self) -> Labels<'static> {
        match self {
            Labels::Plain(text) => Labels::Decoded(
                PlainPairs::new(text)
                    .map(|(k, v)| (Cow::Owned(k.to_string()), Cow::Owned(v.to_string())))
                    .collect(),
            ),
            Labels::Decoded(pairs) => Labels::Decoded(
                pairs
                    .into_iter()
                    .map(|(k, v)| (Cow::Owned(k.into_owned()), Cow::Owned(v.into_owned())))
                    .collect(),
            ),
        }
    }
}

/// Walks a label block already checked by [`parse_line`] whose values have
/// no escapes: every `"` opens or closes a value.
pub struct PlainPairs<'a> {
    rest: &'a str,
}

impl<'a> PlainPairs<'a> {
    fn new(text: &'a str) -> Self {
        Self { rest: text }
    }
}

impl<'a> Iterator for PlainPairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        // Byte searches: `=` and `"` are ASCII, so every index found is a
        // character boundary of the already-validated text.
        let bytes = self.rest.as_bytes();
        let eq = bytes.iter().position(|b| *b == b'=')?;
        let open = eq + 1 + bytes[eq + 1..].iter().position(|b| *b == b'"')?;
        let close = open + 1 + bytes[open + 1..].iter().position(|b| *b == b'"')?;
        let key = self.rest[..eq].trim_matches(|c: char| c == ',' || is_ws(c));
        let value = &self.rest[open + 1..close];
        self.rest = &self.rest[close + 1..];
        Some((key, value))
    }
}

/// The pairs of [`Labels`], in page order, without a boxed iterator.
pub enum LabelPairs<'a> {
    Plain(PlainPairs<'a>),
    Decoded(std::slice::Iter<'a, (Cow<'a, str>, Cow<'a, str>)>),
}

impl<'a> Iterator for LabelPairs<'a> {
    type Item = (&'a str, &'a str);

    fn next(&mut self) -> Option<Self::Item> {
        match self {
            LabelPairs::Plain(p) => p.next(),
            LabelPairs::Decoded(d) => d.next().map(|(k, v)| (k.as_ref(), v.as_ref())),
        }
    }
}

/// One parsed sample line.
#[derive(Debug, Clone, PartialEq)]
pub struct Line<'a> {
    pub name: &'a str,
    pub labels: Labels<'a>,
    pub value: f64,
    /// Milliseconds since the epoch, when the line carries a timestamp.
    pub timestamp_ms: Option<i64>,
}

fn is_ws(c: char) -> bool {
    c == ' ' || c == '\t'
}

fn is_name_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_' || b == b':'
}

fn is_name_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_' || b == b':'
}

fn is_label_start(b: u8) -> bool {
    b.is_ascii_alphabetic() || b == b'_'
}

fn is_label_char(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while i < bytes.len() && (bytes[i] == b' ' || bytes[i] == b'\t') {
        i += 1;
    }
    i
}

/// The metric name a sample line starts with, if it starts with one: enough
/// to decide whether the rest of the line is worth parsing. `None` for
/// comments, blank lines and lines that do not start with a name.
pub fn sample_name(line: &str) -> Option<&str> {
    sample_name_of(line.as_bytes())
}

/// [`sample_name`] of a line not yet decoded: a name is ASCII, so only its
/// own bytes need to be valid.
pub fn sample_name_of(bytes: &[u8]) -> Option<&str> {
    let start = skip_ws(bytes, 0);
    if start >= bytes.len() || !is_name_start(bytes[start]) {
        return None;
    }
    let mut end = start + 1;
    while end < bytes.len() && is_name_char(bytes[end]) {
        end += 1;
    }
    std::str::from_utf8(&bytes[start..end]).ok()
}

/// A sample line cut into its metric name and what follows its labels
/// (value, timestamp), without reading the value: for reporting values
/// that do not parse. `None` when the name or the labels break the grammar.
pub fn split_sample(line: &str) -> Option<(&str, &str)> {
    let name = sample_name(line)?;
    let bytes = line.as_bytes();
    let end = name.as_ptr() as usize - line.as_ptr() as usize + name.len();
    let j = skip_ws(bytes, end);
    let rest = if j < bytes.len() && bytes[j] == b'{' {
        let (_, after) = parse_labels(line, j + 1)?;
        &line[after..]
    } else {
        &line[end..]
    };
    Some((name, rest.trim()))
}

/// Parses one sample line (no trailing newline; a trailing `\r` is
/// allowed). `None` when the line is a comment, blank, or breaks the
/// grammar.
pub fn parse_line(line: &str) -> Option<Line<'_>> {
    let line = line.strip_suffix('\r').unwrap_or(line);
    let name = sample_name(line)?;
    let bytes = line.as_bytes();
    // `name` is a subslice of `line`: its end is where the rest starts.
    let mut i = name.as_ptr() as usize - line.as_ptr() as usize + name.len();
    let mut labels = Labels::default();
    let j = skip_ws(bytes, i);
    if j < bytes.len() && bytes[j] == b'{' {
        let (parsed, after) = parse_labels(line, j + 1)?;
        labels = parsed;
        i = after;
    }
    // The value, then an optional timestamp, separated by blanks.
    let mut fields = line[i..].split([' ', '\t']).filter(|f| !f.is_empty());
    if i < bytes.len() && !is_ws(bytes[i] as char) {
        return None;
    }
    let value = parse_value(fields.next()?)?;
    let timestamp_ms = match fields.next() {
        None => None,
        Some(ts) => Some(parse_timestamp(ts)?),
    };
    if fields.next().is_some() {
        return None;
    }
    Some(Line {
        name,
        labels,
        value,
        timestamp_ms,
    })
}

/// A sample value: Go's `ParseFloat` spellings that matter here (`NaN`,
/// `+Inf`, `-Inf`, exponents) are also Rust's.
fn parse_value(s: &str) -> Option<f64> {
    s.parse::<f64>().ok()
}

fn parse_timestamp(s: &str) -> Option<i64> {
    if let Ok(ms) = s.parse::<i64>() {
        return Some(ms);
    }
    // OpenMetrics: seconds with a fraction.
    let secs = s.parse::<f64>().ok().filter(|v| v.is_finite())?;
    Some((secs * 1000.0).round() as i64)
}

/// Parses the label block starting just after `{` at `start`; returns the
/// labels and the index just after `}`.
fn parse_labels(line: &str, start: usize) -> Option<(Labels<'_>, usize)> {
    // Most label blocks are plain: walk once to check the grammar without
    // building pairs, and decode in a second walk only when a value needs
    // it (no allocation per sample on the common path).
    let mut decoded = None;
    let (plain, end) = walk_labels(line, start, &mut decoded)?;
    if plain {
        return Some((Labels::Plain(&line[start..end]), end + 1));
    }
    let mut pairs = Some(Vec::new());
    walk_labels(line, start, &mut pairs)?;
    Some((Labels::Decoded(pairs.unwrap_or_default()), end + 1))
}

/// Walks a label block from just after `{` at `start`, checking the
/// grammar; pushes the decoded pairs into `decoded` when it is `Some`.
/// Returns whether every value is plain, and the index of the `}`.
#[allow(clippy::type_complexity)]
fn walk_labels<'a>(
    line: &'a str,
    start: usize,
    decoded: &mut Option<Vec<(Cow<'a, str>, Cow<'a, str>)>>,
) -> Option<(bool, usize)> {
    let bytes = line.as_bytes();
    let mut i = start;
    let mut plain = true;
    loop {
        i = skip_ws(bytes, i);
        match bytes.get(i)? {
            b'}' => break,
            b if is_label_start(*b) => {}
            _ => return None,
        }
        let key_start = i;
        while i < bytes.len() && is_label_char(bytes[i]) {
            i += 1;
        }
        let key = &line[key_start..i];
        i = skip_ws(bytes, i);
        if *bytes.get(i)? != b'=' {
            return None;
        }
        i = skip_ws(bytes, i + 1);
        if *bytes.get(i)? != b'"' {
            return None;
        }
        i += 1;
        let value_start = i;
        let mut escaped = false;
        let mut needs_work = false;
        loop {
            let b = *bytes.get(i)?;
            match b {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    // The escaped character is text whatever it is, but a
                    // line cannot end inside a value.
                    i += 1;
                    bytes.get(i)?;
                }
                // Control characters, and C1 controls (U+0080–U+009F, two
                // bytes 0xC2 0x80–0x9F in UTF-8), are replaced on decoding.
                0x00..=0x1f | 0x7f => needs_work = true,
                0xc2 if bytes.get(i + 1).is_some_and(|n| (0x80..=0x9f).contains(n)) => {
                    needs_work = true
                }
                _ => {}
            }
            i += 1;
        }
        let raw = &line[value_start..i];
        i += 1; // the closing quote
        if escaped || needs_work || raw.len() > MAX_PLAIN_VALUE {
            plain = false;
        }
        if let Some(pairs) = decoded.as_mut() {
            pairs.push((Cow::Borrowed(key), decode_value(raw, escaped, needs_work)));
        }
        i = skip_ws(bytes, i);
        match bytes.get(i)? {
            b',' => i += 1,
            b'}' => break,
            _ => return None,
        }
    }
    Some((plain, i))
}

/// A label value as text: escapes undone, then made safe to show.
fn decode_value(raw: &str, escaped: bool, needs_work: bool) -> Cow<'_, str> {
    if !escaped && !needs_work && raw.len() <= MAX_PLAIN_VALUE {
        return Cow::Borrowed(raw);
    }
    let unescaped = if escaped {
        unescape(raw)
    } else {
        raw.to_string()
    };
    Cow::Owned(crate::text::sanitize(&unescaped))
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('\\') => out.push('\\'),
            Some('"') => out.push('"'),
            Some('n') => out.push('\n'),
            // Prometheus keeps an unknown escape as written.
            Some(other) => {
                out.push('\\');
                out.push(other);
            }
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn several_labels_are_read_in_one_walk_first_of_each_plain_or_decoded() {
        for line in [
            r#"m{gpu="0",UUID="GPU-1",gpu="9",x="a } c"} 1"#,
            r#"m{gpu="0",UUID="GPU-1",gpu="9",x="a \"q\" c"} 1"#,
        ] {
            let l = parse_line(line).expect("parses");
            assert_eq!(
                l.labels.get_each(["gpu", "GPU_I_ID", "UUID"]),
                [Some("0"), None, Some("GPU-1")],
                "{line}"
            );
        }
        let plain = parse_line(r#"m{gpu="0"} 1"#).expect("parses");
        assert!(matches!(plain.labels, Labels::Plain(_)));
        let decoded = parse_line(r#"m{gpu="0",x="a\nb"} 1"#).expect("parses");
        assert!(matches!(decoded.labels, Labels::Decoded(ref p) if p.len() == 2));
    }

    fn labels_of(line: &str) -> Vec<(String, String)> {
        parse_line(line)
            .expect("parses")
            .labels
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    fn pairs(p: &[(&str, &str)]) -> Vec<(String, String)> {
        p.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn bare_sample_and_timestamps() {
        let l = parse_line("up 1").expect("parses");
        assert_eq!((l.name, l.value, l.timestamp_ms), ("up", 1.0, None));
        assert!(l.labels.is_empty());
        let l = parse_line("http_requests_total{code=\"200\"} 1027 1395066363000").expect("ts");
        assert_eq!(l.timestamp_ms, Some(1_395_066_363_000));
        // OpenMetrics seconds.
        let l = parse_line("a_total 3 1520879607.789").expect("om ts");
        assert_eq!(l.timestamp_ms, Some(1_520_879_607_789));
        assert!(parse_line("a 1 2 3").is_none(), "one timestamp at most");
        assert!(parse_line("a 1 soon").is_none());
    }

    #[test]
    fn special_values_and_exponents() {
        assert!(parse_line("a NaN").expect("nan").value.is_nan());
        assert_eq!(parse_line("a +Inf").expect("inf").value, f64::INFINITY);
        assert_eq!(parse_line("a -Inf").expect("-inf").value, f64::NEG_INFINITY);
        assert_eq!(parse_line("a 1.5e-3").expect("exp").value, 0.0015);
        assert_eq!(parse_line("a -0").expect("neg zero").value, 0.0);
        assert!(parse_line("a one").is_none());
        assert!(parse_line("a").is_none(), "a value is required");
    }

    #[test]
    fn escapes_in_label_values() {
        // A backslash, a quote and a newline, each escaped.
        assert_eq!(
            labels_of(
                r#"msdos_file_access_time_seconds{path="C:\\DIR\\FILE.TXT",error="Cannot find file:\n\"FILE.TXT\""} 1.458255915e9"#
            ),
            pairs(&[
                ("path", r"C:\DIR\FILE.TXT"),
                // A newline is shown as the replacement character.
                ("error", "Cannot find file:\u{fffd}\"FILE.TXT\""),
            ])
        );
        // An escaped backslash right before the closing quote.
        assert_eq!(labels_of(r#"a{p="end\\"} 1"#), pairs(&[("p", "end\\")]));
        // An unknown escape is kept as written.
        assert_eq!(labels_of(r#"a{p="tab\t"} 1"#), pairs(&[("p", "tab\\t")]));
        // A quote that is not escaped ends the value: what follows is junk.
        assert!(parse_line(r#"a{p="x"y"} 1"#).is_none());
        // A value cut off by the end of the line.
        assert!(parse_line(r#"a{p="open} 1"#).is_none());
        assert!(parse_line(r#"a{p="x\"#).is_none());
    }

    #[test]
    fn any_character_inside_quotes() {
        assert_eq!(
            labels_of(r#"DCGM_FI_DEV_XID_ERRORS{gpu="0",err_code="79",err_msg="a } c"} 79"#),
            pairs(&[("gpu", "0"), ("err_code", "79"), ("err_msg", "a } c")])
        );
        assert_eq!(
            labels_of(r##"a{x="{,}=\"",y="#"} 1"##),
            pairs(&[("x", "{,}=\""), ("y", "#")])
        );
        assert_eq!(
            labels_of("a{u=\"grüße 温度\"} 1"),
            pairs(&[("u", "grüße 温度")])
        );
        assert_eq!(labels_of(r#"a{e=""} 1"#), pairs(&[("e", "")]));
    }

    #[test]
    fn label_block_layout() {
        // Blanks around tokens, a trailing comma, an empty block, and
        // all-smi's ", " between labels.
        assert_eq!(
            labels_of(r#"a{ x = "1" , y="2", } 1"#),
            pairs(&[("x", "1"), ("y", "2")])
        );
        assert!(labels_of("a{} 1").is_empty());
        assert_eq!(labels_of(r#"a {x="1"} 1"#), pairs(&[("x", "1")]));
        assert!(
            parse_line(r#"a{x="1"}1"#).is_none(),
            "blank before the value"
        );
        assert!(parse_line(r#"a{x="1",,y="2"} 1"#).is_none());
        assert!(parse_line(r#"a{x="1" y="2"} 1"#).is_none());
        assert!(parse_line(r#"a{1x="1"} 1"#).is_none());
        assert!(parse_line(r#"a{x=1} 1"#).is_none());
        assert!(
            parse_line(r#"a{x:y="1"} 1"#).is_none(),
            "no colon in label names"
        );
    }

    #[test]
    fn names_comments_and_line_ends() {
        assert!(parse_line("# HELP a help").is_none());
        assert!(parse_line("").is_none());
        assert!(parse_line("   ").is_none());
        assert!(parse_line("9a 1").is_none());
        assert_eq!(parse_line("ns:sub_x 1").expect("colon").name, "ns:sub_x");
        assert_eq!(parse_line("a 1\r").expect("CRLF").value, 1.0);
        assert_eq!(parse_line("a 1   ").expect("trailing").value, 1.0);
        assert!(parse_line("a-b 1").is_none());
    }

    #[test]
    fn plain_labels_are_borrowed_and_read_like_decoded_ones() {
        let l = parse_line(r#"a{gpu="0",Hostname="h",x="a } c"} 1"#).expect("parses");
        assert!(matches!(l.labels, Labels::Plain(_)));
        assert_eq!(l.labels.get("Hostname"), Some("h"));
        assert_eq!(l.labels.get("x"), Some("a } c"));
        assert_eq!(l.labels.get("nope"), None);
        let owned = l.labels.clone().into_owned();
        assert_eq!(owned.get("x"), Some("a } c"));
        let esc = parse_line(r#"a{gpu="0",x="q\"q"} 1"#).expect("parses");
        assert!(matches!(esc.labels, Labels::Decoded(_)));
        assert_eq!(esc.labels.get("x"), Some("q\"q"));
    }

    #[test]
    fn control_characters_and_long_values_are_made_safe() {
        let l = parse_line("a{x=\"esc\x1b[2J\"} 1").expect("parses");
        assert_eq!(l.labels.get("x"), Some("esc\u{fffd}[2J"));
        let long = "v".repeat(300);
        let line = format!("a{{x=\"{long}\"}} 1");
        let l = parse_line(&line).expect("parses");
        assert_eq!(l.labels.get("x").map(|v| v.chars().count()), Some(257));
    }
}
