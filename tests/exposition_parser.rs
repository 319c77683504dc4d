//! The exact exposition parser (`sources::exposition_parse`) against the
//! format and against prometheus-parse, the crate it replaced on the scrape
//! path.
//!
//! - A dcgm page derived from a real capture whose Xid line carries
//!   `err_msg="a } c"`: the Xid must reach the GPU (prometheus-parse loses
//!   the sample).
//! - Escaping cases of the kind the Prometheus and OpenMetrics parser suites
//!   check (written here from the format's rules, not copied).
//! - A property test: on pages prometheus-parse reads correctly, both give
//!   the same samples.
//! - Where they differ, each difference spelled out.
//! - Mutated lines of the real fixtures: whatever parses renders back to a
//!   line that parses to the same sample.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::collections::HashMap;

use aami_tui::sources::dcgm;
use aami_tui::sources::exposition::{self, MetricSample};
use aami_tui::sources::exposition_parse::{Line, parse_line};
use proptest::prelude::*;

use common::proptest_runner::runner;

/// A sample as both parsers can give it: name, label map, value.
#[derive(Debug, Clone, PartialEq)]
struct Flat {
    name: String,
    labels: Vec<(String, String)>,
    value: ValueBits,
}

/// f64 compared by bits, so NaN equals NaN.
#[derive(Debug, Clone, Copy, PartialEq)]
struct ValueBits(u64);

impl From<f64> for ValueBits {
    fn from(v: f64) -> Self {
        // One NaN, and -0 as 0, whatever the spelling.
        if v.is_nan() {
            Self(f64::NAN.to_bits())
        } else if v == 0.0 {
            Self(0)
        } else {
            Self(v.to_bits())
        }
    }
}

fn ours(text: &str) -> Vec<Flat> {
    exposition::parse_filtered(text, |_| true)
        .iter()
        .map(flat_ours)
        .collect()
}

fn flat_ours(s: &MetricSample) -> Flat {
    let mut labels: Vec<(String, String)> = s
        .labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    labels.sort();
    Flat {
        name: s.name.to_string(),
        labels,
        value: s.value.into(),
    }
}

fn theirs(text: &str) -> Vec<Flat> {
    let scrape = prometheus_parse::Scrape::parse(text.lines().map(|l| Ok(l.to_string())))
        .expect("prometheus-parse reads lines");
    scrape
        .samples
        .into_iter()
        .filter_map(|s| {
            let v = match s.value {
                prometheus_parse::Value::Counter(v)
                | prometheus_parse::Value::Gauge(v)
                | prometheus_parse::Value::Untyped(v) => v,
                _ => return None,
            };
            let mut labels: Vec<(String, String)> = s
                .labels
                .iter()
                .map(|(k, v)| (k.trim().to_string(), v.clone()))
                .collect();
            labels.sort();
            Some(Flat {
                name: s.metric,
                labels,
                value: v.into(),
            })
        })
        .collect()
}

#[test]
fn xid_with_a_brace_in_err_msg_reaches_the_gpu() {
    let page = String::from_utf8(
        std::fs::read(common::fixture(
            "dcgm/derived_H100x8_xid79_err-msg-with-brace.prom",
        ))
        .expect("fixture"),
    )
    .expect("UTF-8");
    let gpus = dcgm::parse(&page);
    assert_eq!(gpus.len(), 8);
    let g3 = gpus.iter().find(|g| g.index == 3).expect("GPU 3");
    assert_eq!(g3.last_xid, Some(79));
    assert_eq!(g3.uuid, "GPU-a65a773d-52bb-bcc1-a8ee-f78c3faa2e2d");
    assert!(
        gpus.iter()
            .filter(|g| g.index != 3)
            .all(|g| g.xid().is_none())
    );
    // The line as the parser sees it: the brace is text.
    let xid_line = page
        .lines()
        .find(|l| l.contains("a } c"))
        .expect("the Xid 79 line");
    let line = parse_line(xid_line).expect("a legal line");
    assert_eq!(line.labels.get("err_msg"), Some("a } c"));
    assert_eq!(line.labels.get("err_code"), Some("79"));
    assert_eq!(line.value, 79.0);
    // What the old path did with the same page: the sample is gone.
    let old: Vec<Flat> = theirs(&page)
        .into_iter()
        .filter(|s| s.name == "DCGM_FI_DEV_XID_ERRORS")
        .collect();
    assert_eq!(old.len(), 7, "prometheus-parse drops GPU 3's Xid line");
}

fn labels(line: &str) -> Vec<(String, String)> {
    parse_line(line)
        .unwrap_or_else(|| panic!("should parse: {line}"))
        .labels
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn escaping_cases_of_the_format() {
    // \\ \" and \n are the three escapes; each is decoded (a newline is
    // then shown as U+FFFD, as every control character is).
    assert_eq!(
        labels(r#"m{a="x\\y"} 1"#),
        vec![("a".into(), r"x\y".into())]
    );
    assert_eq!(
        labels(r#"m{a="say \"hi\""} 1"#),
        vec![("a".into(), r#"say "hi""#.into())]
    );
    assert_eq!(
        labels(r#"m{a="two\nlines"} 1"#),
        vec![("a".into(), "two\u{fffd}lines".into())]
    );
    // Escapes next to each other and next to the closing quote.
    assert_eq!(
        labels(r#"m{a="\\\"\\",b="\\"} 1"#),
        vec![("a".into(), r#"\"\"#.into()), ("b".into(), r"\".into())]
    );
    // `\\` then `n` is a backslash and an n, not a newline.
    assert_eq!(labels(r#"m{a="\\n"} 1"#), vec![("a".into(), r"\n".into())]);
    // Structure characters inside quotes are text.
    assert_eq!(
        labels(r##"m{a="}",b="{",c=",",d="=",e="# not a comment"} 1"##),
        vec![
            ("a".into(), "}".into()),
            ("b".into(), "{".into()),
            ("c".into(), ",".into()),
            ("d".into(), "=".into()),
            ("e".into(), "# not a comment".into()),
        ]
    );
    // UTF-8 in values.
    assert_eq!(labels("m{a=\"ñ→✓\"} 1"), vec![("a".into(), "ñ→✓".into())]);
    // Not lines of the format: an unterminated value, an escaped final
    // quote, a bare word value, a missing value.
    for bad in [
        r#"m{a="x} 1"#,
        r#"m{a="x\"} 1"#,
        r#"m{a=x} 1"#,
        r#"m{a="x"}"#,
        r#"m{a="x"} 1 2 3"#,
        r#"m{="x"} 1"#,
        r#"m{a="x"}} 1"#,
    ] {
        assert!(parse_line(bad).is_none(), "{bad}");
    }
    // Timestamps: integer milliseconds, or OpenMetrics' seconds.
    let l: Line = parse_line(r#"m{a="b"} 2.5 1700000000000"#).expect("ts");
    assert_eq!((l.value, l.timestamp_ms), (2.5, Some(1_700_000_000_000)));
    let l = parse_line("m 1 1700000000.5").expect("om ts");
    assert_eq!(l.timestamp_ms, Some(1_700_000_000_500));
}

/// Where prometheus-parse and this parser part ways, one case each. In
/// every case this parser follows the format.
#[test]
fn documented_differences_from_prometheus_parse() {
    let one = |text: &str| (ours(text), theirs(text));
    // 1. A `}` inside a quoted value: prometheus-parse drops the sample.
    let (o, t) = one("m{a=\"x}y\"} 1\n");
    assert_eq!(o.len(), 1);
    assert!(t.is_empty());
    // 2. Escapes: prometheus-parse keeps them as written.
    let (o, t) = one("m{a=\"q\\\"q\"} 1\n");
    assert_eq!(o[0].labels[0].1, "q\"q");
    assert_eq!(t[0].labels[0].1, "q\\\"q");
    // 3. A `,` or `=` inside a value: prometheus-parse splits on them.
    let (o, t) = one("m{a=\"x,y\",b=\"1=2\"} 1\n");
    assert_eq!(o[0].labels.len(), 2);
    assert_ne!(o[0].labels, t[0].labels);
    // 4. An empty label set `{}`: legal; prometheus-parse drops the sample.
    let (o, t) = one("m{} 1\n");
    assert_eq!(o.len(), 1);
    assert!(t.is_empty());
    // 5. A colon in a metric name (recording rules): legal; prometheus-parse
    //    reads no sample.
    let (o, t) = one("job:up:sum 1\n");
    assert_eq!(o[0].name, "job:up:sum");
    assert!(t.is_empty());
    // 6. Text after the timestamp: not a sample line; prometheus-parse
    //    ignores the rest and keeps the sample.
    let (o, t) = one("m 1 1700000000000 junk\n");
    assert!(o.is_empty());
    assert_eq!(t.len(), 1);
    // 7. Histogram and summary families: prometheus-parse folds them into
    //    one sample per label set; this parser gives each line as written
    //    (no dialect reads them).
    let (o, t) = one("# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 3\n");
    assert_eq!(o.len(), 2);
    assert!(t.is_empty(), "histograms are not plain values there");
    // 8. A value that is not a number drops the sample in both.
    let (o, t) = one("m{a=\"b\"} twelve\n");
    assert!(o.is_empty() && t.is_empty());
}

/// Label values prometheus-parse reads correctly: no quote, backslash,
/// brace, comma or equals sign, no control characters.
fn plain_value() -> impl Strategy<Value = String> {
    proptest::collection::vec(
        prop_oneof![
            Just('a'),
            Just('Z'),
            Just('0'),
            Just(' '),
            Just('-'),
            Just('.'),
            Just('/'),
            Just(':'),
            Just('#'),
            Just('{'),
            Just('é'),
            Just('温'),
        ],
        0..12,
    )
    .prop_map(|cs| cs.into_iter().collect())
}

fn ident(first: &'static str, rest: &'static str, max: usize) -> impl Strategy<Value = String> {
    let firsts: Vec<char> = first.chars().collect();
    let rests: Vec<char> = rest.chars().collect();
    (
        proptest::sample::select(firsts),
        proptest::collection::vec(proptest::sample::select(rests), 0..max),
    )
        .prop_map(|(f, r)| std::iter::once(f).chain(r).collect())
}

fn value_text() -> impl Strategy<Value = String> {
    prop_oneof![
        (-1_000_000i64..1_000_000).prop_map(|v| v.to_string()),
        (-1.0e6f64..1.0e6).prop_map(|v| format!("{v}")),
        (-1.0e6f64..1.0e6).prop_map(|v| format!("{v:e}")),
        Just("NaN".to_string()),
        Just("+Inf".to_string()),
        Just("-Inf".to_string()),
    ]
}

/// One line of a page: a sample, a comment, HELP/TYPE, or blank.
fn page_line() -> impl Strategy<Value = String> {
    let sample = (
        ident("abcXYZ_", "abcXYZ_019", 10),
        proptest::collection::btree_map(ident("abcXY_", "abcXY_09", 6), plain_value(), 0..4),
        value_text(),
        proptest::option::of(0i64..2_000_000_000_000),
        prop_oneof![Just(""), Just(" "), Just(", ")],
    )
        .prop_map(|(name, labels, value, ts, sep)| {
            let mut line = name;
            if !labels.is_empty() {
                let pairs: Vec<String> =
                    labels.iter().map(|(k, v)| format!("{k}=\"{v}\"")).collect();
                line.push('{');
                line.push_str(&pairs.join(if sep == ", " { ", " } else { "," }));
                line.push('}');
            }
            line.push(' ');
            line.push_str(&value);
            if let Some(ts) = ts {
                line.push_str(&format!(" {ts}"));
            }
            // Trailing blanks are allowed.
            if !sep.is_empty() {
                line.push(' ');
            }
            line
        });
    prop_oneof![
        6 => sample,
        1 => ident("abc_", "abc_", 6).prop_map(|n| format!("# HELP {n} Some help, with {{braces}}.")),
        1 => (ident("abc_", "abc_", 6), prop_oneof![Just("gauge"), Just("counter"), Just("untyped")])
            .prop_map(|(n, t)| format!("# TYPE {n} {t}")),
        1 => Just("# a comment".to_string()),
        1 => Just(String::new()),
    ]
}

#[test]
fn agrees_with_prometheus_parse_where_it_reads_correctly() {
    runner(2000)
        .run(&proptest::collection::vec(page_line(), 0..30), |lines| {
            let page = lines.join("\n");
            prop_assert_eq!(ours(&page), theirs(&page), "page:\n{}", page);
            Ok(())
        })
        .expect("same samples");
}

/// Writes a parsed line back in the format, escaping what must be.
fn render(l: &Line) -> String {
    let pairs: Vec<String> = l
        .labels
        .iter()
        .map(|(k, v)| {
            let esc = v
                .replace('\\', "\\\\")
                .replace('"', "\\\"")
                .replace('\n', "\\n");
            format!("{k}=\"{esc}\"")
        })
        .collect();
    let ts = l.timestamp_ms.map(|t| format!(" {t}")).unwrap_or_default();
    format!("{}{{{}}} {:?}{ts}", l.name, pairs.join(","), l.value)
}

#[test]
fn mutated_real_lines_parse_back_to_themselves() {
    let mut lines: Vec<String> = Vec::new();
    for dir in ["dcgm", "all_smi", "node_exporter"] {
        for entry in std::fs::read_dir(common::fixture(dir)).expect("fixture dir") {
            let path = entry.expect("entry").path();
            if path.extension().is_some_and(|e| e == "md") {
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            lines.extend(
                text.lines()
                    .filter(|l| !l.starts_with('#') && !l.is_empty())
                    .take(300)
                    .map(str::to_string),
            );
        }
    }
    assert!(lines.len() > 300);
    let tokens = [
        "}", "{", "\"", "\\", ",", "=", " ", "\\\"", "\\n", "\\\\", "é", "\t", "#",
    ];
    let strategy = (
        proptest::sample::select(lines),
        proptest::collection::vec(
            (
                any::<proptest::sample::Index>(),
                proptest::sample::select(tokens.to_vec()),
                any::<bool>(),
            ),
            1..4,
        ),
    );
    runner(3000)
        .run(&strategy, |(line, edits)| {
            let mut line = line.clone();
            for (at, token, insert) in edits {
                let mut i = at.index(line.len() + 1);
                while !line.is_char_boundary(i) {
                    i -= 1;
                }
                if insert || i == line.len() {
                    line.insert_str(i, token);
                } else {
                    let mut end = i + 1;
                    while !line.is_char_boundary(end) {
                        end += 1;
                    }
                    line.replace_range(i..end, token);
                }
            }
            if let Some(parsed) = parse_line(&line) {
                let again = render(&parsed);
                let reparsed = parse_line(&again);
                prop_assert!(reparsed.is_some(), "{} -> {}", line, again);
                let reparsed = reparsed.expect("checked");
                let map = |l: &Line| -> HashMap<String, String> {
                    l.labels
                        .iter()
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect()
                };
                prop_assert_eq!(map(&parsed), map(&reparsed), "{}", line);
                prop_assert_eq!(parsed.name, reparsed.name);
                prop_assert_eq!(
                    ValueBits::from(parsed.value),
                    ValueBits::from(reparsed.value)
                );
                prop_assert_eq!(parsed.timestamp_ms, reparsed.timestamp_ms);
            }
            Ok(())
        })
        .expect("round trip");
}
