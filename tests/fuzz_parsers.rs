//! Property tests for every parser that reads text from outside: each
//! exporter dialect, the Prometheus API and custom JSON readers, the
//! kernel-log Xid scanner, the config loader and the hosts importer.
//!
//! Inputs are random bytes and mutations of windows of the real fixtures
//! (tests/fixtures/). A parser must never panic, and where it reports lines
//! the line it names must be in the input. Each target runs a few thousand
//! cases by default; `PROPTEST_CASES=N` (see scripts/fuzz) runs more.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::path::Path;

use aami_tui::config::{self, ConfigError, hosts};
use aami_tui::sources::Dialect as SourceKind;
use aami_tui::sources::detect;
use aami_tui::sources::{
    all_smi, amd, custom_json, dcgm, node_exporter, nvidia_gpu_exporter, prom_api,
};
use aami_tui::xid;
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;

use common::proptest_runner::runner;

/// Every fixture file under `tests/fixtures/<dir>` except provenance notes.
fn fixtures(dir: &str) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = std::fs::read_dir(common::fixture(dir))
        .expect("fixture dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.is_file() && p.extension().is_none_or(|e| e != "md"))
        .map(|p| std::fs::read(&p).expect("read fixture"))
        .collect();
    out.sort();
    assert!(!out.is_empty(), "no fixtures in {dir}");
    out
}

/// Tokens that exercise number, label, escape and structure handling.
const TOKENS: &[&str] = &[
    "\n",
    " ",
    "\t",
    "{",
    "}",
    "\"",
    "\\",
    "=",
    ",",
    "#",
    "# TYPE ",
    "# HELP ",
    "NaN",
    "+Inf",
    "-Inf",
    "-1",
    "0",
    "1e309",
    "-0",
    "18446744073709551616",
    "9999999999999999999999",
    "le=\"",
    "gpu=\"",
    "UUID=\"",
    "}}",
    "{{",
    "[",
    "]",
    ":",
    ": ",
    "null",
    "true",
    "\u{0}",
    "\r\n",
    "\u{feff}",
    "é",
    "日本",
    "NVRM: Xid (PCI:0000:01:00): ",
    "Xid",
    "(PCI:",
    "pid=",
    "${",
    "${X}",
    "- ",
    "  ",
    "---\n",
    "...",
    "&a",
    "*a",
    "!!str",
    "|",
    ">",
    "'",
];

#[derive(Debug, Clone)]
enum Mutation {
    Delete { at: f64, len: usize },
    Insert { at: f64, bytes: Vec<u8> },
    Token { at: f64, token: usize },
    Duplicate { at: f64, len: usize },
    Flip { at: f64, bit: u8 },
    Truncate { at: f64 },
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let at = 0.0..1.0f64;
    prop_oneof![
        (at.clone(), 1..64usize).prop_map(|(at, len)| Mutation::Delete { at, len }),
        (at.clone(), prop::collection::vec(any::<u8>(), 1..16))
            .prop_map(|(at, bytes)| Mutation::Insert { at, bytes }),
        (at.clone(), 0..TOKENS.len()).prop_map(|(at, token)| Mutation::Token { at, token }),
        (at.clone(), 1..256usize).prop_map(|(at, len)| Mutation::Duplicate { at, len }),
        (at.clone(), 0..8u8).prop_map(|(at, bit)| Mutation::Flip { at, bit }),
        at.prop_map(|at| Mutation::Truncate { at }),
    ]
}

fn apply(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    let pos = |at: f64, len: usize| ((at * len as f64) as usize).min(len);
    for m in mutations {
        let len = bytes.len();
        match m {
            Mutation::Delete { at, len: n } => {
                let p = pos(*at, len);
                bytes.drain(p..(p + n).min(len));
            }
            Mutation::Insert { at, bytes: b } => {
                let p = pos(*at, len);
                bytes.splice(p..p, b.iter().copied());
            }
            Mutation::Token { at, token } => {
                let p = pos(*at, len);
                bytes.splice(p..p, TOKENS[*token].bytes());
            }
            Mutation::Duplicate { at, len: n } => {
                let p = pos(*at, len);
                let copy: Vec<u8> = bytes[p..(p + n).min(len)].to_vec();
                bytes.splice(p..p, copy);
            }
            Mutation::Flip { at, bit } => {
                if len > 0 {
                    let p = pos(*at, len - 1);
                    bytes[p] ^= 1 << bit;
                }
            }
            Mutation::Truncate { at } => bytes.truncate(pos(*at, len)),
        }
    }
    bytes
}

/// A window of whole lines (at most `max` bytes) of one seed, mutated; or,
/// one time in eight, random bytes.
fn input(seeds: Vec<Vec<u8>>, max: usize) -> impl Strategy<Value = String> {
    let count = seeds.len();
    let mutated = (
        0..count,
        0.0..1.0f64,
        prop::collection::vec(mutation(), 0..8),
    )
        .prop_map(move |(i, start, muts)| {
            let seed = &seeds[i];
            let from = line_start(seed, (start * seed.len() as f64) as usize);
            let to = line_start(seed, (from + max).min(seed.len()));
            let to = if to <= from {
                seed.len().min(from + max)
            } else {
                to
            };
            apply(seed[from..to].to_vec(), &muts)
        });
    let random = prop::collection::vec(any::<u8>(), 0..512);
    prop_oneof![7 => mutated, 1 => random].prop_map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// The start of the line that holds byte `at`.
fn line_start(bytes: &[u8], at: usize) -> usize {
    let at = at.min(bytes.len());
    bytes[..at]
        .iter()
        .rposition(|b| *b == b'\n')
        .map_or(0, |p| p + 1)
}

fn run(
    cases: u32,
    strategy: impl Strategy<Value = String>,
    check: impl Fn(&str) -> Result<(), TestCaseError>,
) {
    runner(cases)
        .run(&strategy, |text| check(&text))
        .unwrap_or_else(|e| panic!("{e}"));
}

const EXPOSITION_WINDOW: usize = 4096;

fn exposition_target(dir: &str, kind: SourceKind, parse: impl Fn(&str)) {
    run(2000, input(fixtures(dir), EXPOSITION_WINDOW), |text| {
        parse(text);
        let _ = detect::parse_any(text, Some(kind));
        let _ = detect::parse_any(text, None);
        Ok(())
    });
}

#[test]
fn dcgm_pages() {
    exposition_target("dcgm", SourceKind::Dcgm, |t| {
        dcgm::looks_like(t);
        dcgm::parse(t);
    });
}

#[test]
fn node_exporter_pages() {
    exposition_target("node_exporter", SourceKind::NodeExporter, |t| {
        node_exporter::looks_like(t);
        node_exporter::parse(t);
    });
}

#[test]
fn all_smi_pages() {
    exposition_target("all_smi", SourceKind::AllSmi, |t| {
        all_smi::looks_like(t);
        all_smi::parse(t);
    });
}

#[test]
fn nvidia_gpu_exporter_pages() {
    exposition_target("nvidia_gpu_exporter", SourceKind::NvidiaGpuExporter, |t| {
        nvidia_gpu_exporter::looks_like(t);
        nvidia_gpu_exporter::parse(t);
    });
}

#[test]
fn amd_pages() {
    exposition_target("amd", SourceKind::Amd, |t| {
        amd::looks_like(t);
        amd::parse(t);
    });
}

/// Malformed JSON is reported with serde_json's line and column.
fn json_error_names_a_line(message: &str) -> Result<(), TestCaseError> {
    prop_assert!(message.contains("line "), "no line in {message:?}");
    Ok(())
}

#[test]
fn custom_json_answers() {
    run(2000, input(fixtures("custom_json"), 8192), |text| {
        custom_json::looks_like(text);
        if let Err(custom_json::CustomJsonError::Malformed(m)) = custom_json::parse(text) {
            json_error_names_a_line(&m)?;
        }
        let _ = detect::parse_any(text, Some(SourceKind::CustomJson));
        Ok(())
    });
}

#[test]
fn prometheus_api_answers() {
    run(2000, input(fixtures("prometheus_api"), 8192), |text| {
        prom_api::looks_like(text);
        let _ = prom_api::samples(text);
        if let Err(prom_api::PromApiError::Malformed(m)) = prom_api::parse(text) {
            json_error_names_a_line(&m)?;
        }
        let _ = detect::parse_any(text, Some(SourceKind::PrometheusApi));
        Ok(())
    });
}

#[test]
fn kernel_log_scans() {
    run(2000, input(fixtures("xid"), 8192), |text| {
        let report = xid::scan(text);
        let lines = text.lines().count().max(1);
        for e in &report.events {
            prop_assert!(
                (1..=lines).contains(&e.line),
                "event on line {} of {lines}",
                e.line
            );
        }
        Ok(())
    });
}

/// Config seeds: the starter file and the hand-written invalid configs.
fn config_seeds() -> Vec<Vec<u8>> {
    let mut seeds = fixtures("config/invalid");
    seeds.retain(|s| s.contains(&b':'));
    seeds.push(config::starter::STARTER.as_bytes().to_vec());
    seeds
}

#[test]
fn config_files() {
    run(3000, input(config_seeds(), 8192), |text| {
        let path = Path::new("fuzz.yaml");
        if let Err(e) = config::parse_str(text, path) {
            if let ConfigError::Invalid(place) = &e {
                // serde_yaml reports no place for some stream-level errors
                // ("! !" reads as two documents with no `---` to point at).
                let placeless = place.message.contains("more than one document");
                prop_assert!(
                    place.line.is_some() || place.field.is_some() || placeless,
                    "error names neither a line nor a field: {e}"
                );
                let lines = yaml_line_count(text) + 1;
                if let Some(l) = place.line {
                    prop_assert!(l <= lines, "line {l} of {lines}: {e}");
                }
            }
            prop_assert!(e.to_string().contains("fuzz.yaml"), "{e}");
        }
        Ok(())
    });
}

/// Lines as YAML counts them: a lone `\r` breaks a line too.
fn yaml_line_count(text: &str) -> usize {
    text.replace("\r\n", "\n").split(['\n', '\r']).count()
}

/// Hosts seeds, generated (there is no captured hosts.txt): AAMI's
/// `name ip` lines with comments, blanks, host names and IPv6.
fn hosts_seeds() -> Vec<Vec<u8>> {
    let mut text = String::from("# rack 1\n\n");
    for i in 0..40 {
        text.push_str(&format!(
            "gpu-node-{i:02}   10.0.{}.{}  # H100\n",
            i / 8,
            i % 8 + 10
        ));
    }
    text.push_str("login01 fe80::1\nstorage-a nas.example.internal\n\t\n");
    vec![text.into_bytes()]
}

#[test]
fn hosts_files() {
    run(3000, input(hosts_seeds(), 4096), |text| {
        let lines = text.lines().count();
        match hosts::parse_hosts(text, Path::new("hosts.txt")) {
            Ok(nodes) => prop_assert!(nodes.len() <= lines),
            Err(ConfigError::HostsFile { lines: bad, .. }) => {
                prop_assert!(!bad.is_empty());
                for (n, _) in &bad {
                    prop_assert!((1..=lines).contains(n), "line {n} of {lines}");
                }
            }
            Err(other) => prop_assert!(false, "unexpected error kind: {other}"),
        }
        Ok(())
    });
}
