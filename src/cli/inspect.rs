//! `aami-tui inspect FILE|URL|- [--json] [--dialect D]`: read one exporter
//! page (a saved file, stdin or a live `http(s)://` URL), detect its
//! dialect, and print the GPUs it describes as the cockpit sees them.
//!
//! Exit codes: 0 GPUs found; 1 the source could not be read (missing file,
//! connection refused, HTTP error…); 2 the page has no GPUs, with the
//! reason (node_exporter page, HTML, empty page, values that are not
//! numbers…).
//!
//! `--json` prints one object (schema version 1):
//!
//! ```json
//! { "schema_version": 1,
//!   "source": "dcgm.prom",
//!   "dialect": "dcgm",            // or all_smi, nvidia_gpu_exporter, amd,
//!                                  // custom_json, prometheus_api, node_exporter; null if unknown
//!   "gpu_count": 1,
//!   "nodes": [ { "node": "host-1",  // null when the page does not name its host
//!                "gpus": [ { "index": 0, "uuid": "...", "model": "...", "util_pct": 91.0, ... } ] } ],
//!   "warnings": [],
//!   "error": null }                // the reason, when there are no GPUs (exit 2)
//! ```
//!
//! Each GPU object has every [`GpuSample`] field; unknown readings are
//! `null`, never 0. Units: percent 0–100, MiB, °C, W, MHz.

use std::io::Read;
use std::path::Path;
use std::time::Duration;

use clap::builder::PossibleValue;
use clap::{Args, ValueEnum};
use serde::Serialize;

use crate::cli::{CliError, output};
use crate::domain::GpuSample;
use crate::sources::Dialect;
use crate::sources::ScrapeError;
use crate::sources::detect::{self, InspectError, NodeGpus, Parsed};
use crate::sources::http::{self, ScrapeLimits};

/// The JSON schema version printed as `schema_version`.
pub const SCHEMA_VERSION: u32 = 1;

#[derive(Debug, Args)]
pub struct InspectArgs {
    /// A saved exporter page or JSON answer, `-` for stdin, or an http(s):// URL.
    pub source: String,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
    /// Parse as this dialect instead of detecting it.
    #[arg(long, value_enum)]
    pub dialect: Option<Dialect>,
}

/// `--dialect` values: every dialect but node_exporter (which has no GPUs
/// to pin), in snake_case with a kebab-case alias.
impl ValueEnum for Dialect {
    fn value_variants<'a>() -> &'a [Self] {
        &[
            Dialect::Dcgm,
            Dialect::AllSmi,
            Dialect::NvidiaGpuExporter,
            Dialect::Amd,
            Dialect::CustomJson,
            Dialect::PrometheusApi,
        ]
    }

    fn to_possible_value(&self) -> Option<PossibleValue> {
        let kebab = match self {
            Dialect::AllSmi => Some("all-smi"),
            Dialect::NvidiaGpuExporter => Some("nvidia-gpu-exporter"),
            Dialect::CustomJson => Some("custom-json"),
            Dialect::PrometheusApi => Some("prometheus-api"),
            Dialect::NodeExporter => return None,
            Dialect::Dcgm | Dialect::Amd => None,
        };
        let value = PossibleValue::new(self.name());
        Some(match kebab {
            Some(alias) => value.alias(alias),
            None => value,
        })
    }
}

/// One node in the JSON report.
#[derive(Debug, Serialize)]
pub struct NodeReport<'a> {
    pub node: Option<String>,
    pub gpus: &'a [GpuSample],
}

/// The `--json` report.
#[derive(Debug, Serialize)]
pub struct InspectReport<'a> {
    pub schema_version: u32,
    pub source: String,
    pub dialect: Option<Dialect>,
    pub gpu_count: usize,
    pub nodes: Vec<NodeReport<'a>>,
    pub warnings: &'a [String],
    pub error: Option<String>,
}

/// Why the source could not be read at all.
pub(crate) enum ReadError {
    /// Exit 1: the source is not there / not reachable.
    Unavailable(String),
    /// Exit 2: it was read, but is not a metrics page.
    NotMetrics(InspectError),
}

pub(crate) fn is_url(s: &str) -> bool {
    let l = s.to_ascii_lowercase();
    l.starts_with("http://") || l.starts_with("https://")
}

/// `host:port` of a URL, used as the node name when the page names none.
fn url_host(url: &str) -> Option<String> {
    let rest = url.split_once("://")?.1;
    let host = rest.split(['/', '?', '#']).next()?;
    let host = host.rsplit_once('@').map_or(host, |(_, h)| h);
    (!host.is_empty()).then(|| crate::text::sanitize_max(host, 80))
}

pub(crate) fn read_source(source: &str) -> Result<String, ReadError> {
    if source == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| ReadError::Unavailable(format!("cannot read stdin: {e}")))?;
        return String::from_utf8(buf)
            .map_err(|_| ReadError::NotMetrics(InspectError::NotMetrics("not UTF-8 text".into())));
    }
    if is_url(source) {
        return fetch(source);
    }
    let bytes = std::fs::read(source).map_err(|e| {
        ReadError::Unavailable(format!(
            "cannot read {}: {e}",
            crate::text::sanitize(source)
        ))
    })?;
    String::from_utf8(bytes)
        .map_err(|_| ReadError::NotMetrics(InspectError::NotMetrics("not UTF-8 text".into())))
}

fn fetch(url: &str) -> Result<String, ReadError> {
    let rt = super::runtime()
        .map_err(|e| ReadError::Unavailable(format!("cannot start the runtime: {e}")))?;
    let limits = ScrapeLimits {
        timeout: Duration::from_secs(10),
        max_body_bytes: 64 << 20,
    };
    let client = http::client();
    match rt.block_on(http::fetch_text(&client, url, limits)) {
        Ok(text) => Ok(text),
        Err(ScrapeError::NotMetrics(why)) if why == "HTML" => {
            Err(ReadError::NotMetrics(InspectError::Html))
        }
        Err(ScrapeError::NotMetrics(why)) => {
            Err(ReadError::NotMetrics(InspectError::NotMetrics(why)))
        }
        Err(e) => Err(ReadError::Unavailable(format!(
            "cannot fetch {}: {e}",
            crate::text::sanitize(url)
        ))),
    }
}

pub fn run(_flag: Option<&Path>, args: InspectArgs) -> color_eyre::Result<i32> {
    let text = match read_source(&args.source) {
        Ok(t) => t,
        Err(ReadError::Unavailable(why)) => return Err(CliError::unavailable(why).into()),
        Err(ReadError::NotMetrics(e)) => return report_error(&args, &e),
    };
    // nvidia-smi's topology outputs are recognised too.
    if args.dialect.is_none() && super::topology::looks_like_capture(&text) {
        return super::topology::print_capture(&args.source, &text, args.json);
    }
    let parsed = detect::parse_any(&text, args.dialect);
    match parsed {
        Ok(mut p) => {
            if is_url(&args.source)
                && let Some(host) = url_host(&args.source)
            {
                for n in p.nodes.iter_mut().filter(|n| n.node.is_none()) {
                    n.node = Some(host.clone());
                }
            }
            for w in &p.warnings {
                output::note(&format!("warning: {w}"));
            }
            let out = if args.json {
                serde_json::to_string_pretty(&report(&args.source, &p))? + "\n"
            } else {
                format!("{}{}\n", table(&p.nodes), summary(&p))
            };
            output::print(&out)?;
            Ok(0)
        }
        Err(e) => report_error(&args, &e),
    }
}

/// A page without GPUs: the JSON report (with `--json`) on stdout, the
/// reason on stderr, exit 2.
fn report_error(args: &InspectArgs, e: &InspectError) -> color_eyre::Result<i32> {
    if args.json {
        let r = InspectReport {
            schema_version: SCHEMA_VERSION,
            source: crate::text::sanitize(&args.source),
            dialect: e.kind(),
            gpu_count: 0,
            nodes: Vec::new(),
            warnings: &[],
            error: Some(e.to_string()),
        };
        output::print(&(serde_json::to_string_pretty(&r)? + "\n"))?;
    }
    Err(CliError::plain(2, format!("no GPUs: {e}")).into())
}

/// The `--json` report for a parsed page.
pub fn report<'a>(source: &str, p: &'a Parsed) -> InspectReport<'a> {
    InspectReport {
        schema_version: SCHEMA_VERSION,
        source: crate::text::sanitize(source),
        dialect: Some(p.kind),
        gpu_count: p.gpu_count(),
        nodes: p
            .nodes
            .iter()
            .map(|n| NodeReport {
                node: n.node.clone(),
                gpus: &n.gpus,
            })
            .collect(),
        warnings: &p.warnings,
        error: None,
    }
}

fn summary(p: &Parsed) -> String {
    let nodes = p.nodes.len();
    let gpus = p.gpu_count();
    format!(
        "{}: {nodes} node{}, {gpus} GPU{}",
        p.kind.label(),
        if nodes == 1 { "" } else { "s" },
        if gpus == 1 { "" } else { "s" }
    )
}

/// A figure with at most one decimal, trailing `.0` dropped.
fn num(v: f64) -> String {
    let r = (v * 10.0).round() / 10.0;
    if r.fract() == 0.0 {
        format!("{r:.0}")
    } else {
        format!("{r:.1}")
    }
}

/// MiB: whole above 100, otherwise enough decimals to not read as 0.
fn mib(v: f64) -> String {
    if v >= 100.0 || v == 0.0 {
        format!("{v:.0}")
    } else if v >= 1.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.4}")
    }
}

fn opt(v: Option<f64>, f: impl Fn(f64) -> String) -> String {
    v.map(f).unwrap_or_else(|| "-".into())
}

fn memory(g: &GpuSample) -> String {
    match (g.mem_used_mib, g.mem_total_mib) {
        (None, None) => "-".into(),
        (u, t) => format!("{}/{} MiB", opt(u, mib), opt(t, mib)),
    }
}

fn power(g: &GpuSample) -> String {
    match (g.power_w, g.power_limit_w) {
        (None, None) => "-".into(),
        (p, None) => format!("{} W", opt(p, num)),
        (p, Some(l)) => format!("{}/{} W", opt(p, num), num(l)),
    }
}

/// The GPU table: one row per GPU, every figure from the page or `-`.
pub fn table(nodes: &[NodeGpus]) -> String {
    let headers = [
        "NODE", "GPU", "MODEL", "UTIL", "MEMORY", "TEMP", "POWER", "SM CLOCK", "XID", "MIG",
        "WORKLOAD",
    ];
    let rows: Vec<Vec<String>> = nodes
        .iter()
        .flat_map(|n| n.gpus.iter().map(move |g| (n, g)))
        .map(|(n, g)| {
            let sanitize = |s: &str| {
                let s = crate::text::sanitize_max(s, 60);
                if s.is_empty() { "-".to_string() } else { s }
            };
            vec![
                sanitize(n.node.as_deref().unwrap_or("")),
                g.index.to_string(),
                sanitize(&g.model),
                opt(g.util_pct, |v| format!("{}%", num(v))),
                memory(g),
                opt(g.temp_c, |v| format!("{}C", num(v))),
                power(g),
                opt(g.sm_clock_mhz, |v| format!("{} MHz", num(v))),
                g.xid().map_or_else(|| "-".into(), |x| x.to_string()),
                if g.mig.is_empty() {
                    "-".into()
                } else {
                    g.mig.len().to_string()
                },
                sanitize(&g.workload.as_ref().map(|w| w.label()).unwrap_or_default()),
            ]
        })
        .collect();
    super::table::render(&headers, &rows)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_are_compact() {
        assert_eq!(num(91.00000000000001), "91");
        assert_eq!(num(81.95), "82");
        assert_eq!(num(68.244), "68.2");
        assert_eq!(mib(19818.0), "19818");
        assert_eq!(mib(0.000953674), "0.0010");
        assert_eq!(mib(0.0), "0");
    }

    #[test]
    fn url_hosts() {
        assert_eq!(
            url_host("http://10.0.0.5:9400/metrics").as_deref(),
            Some("10.0.0.5:9400")
        );
        assert_eq!(
            url_host("https://user:pw@h.example/x?q=1").as_deref(),
            Some("h.example")
        );
        assert_eq!(url_host("http:///x"), None);
        assert!(is_url("HTTP://x") && !is_url("./http.prom"));
    }

    #[test]
    fn table_shows_unknown_as_dash() {
        let nodes = vec![NodeGpus {
            node: None,
            gpus: vec![GpuSample {
                index: 2,
                model: "M".into(),
                util_pct: Some(50.0),
                power_w: Some(100.0),
                power_limit_w: Some(300.0),
                ..Default::default()
            }],
        }];
        let t = table(&nodes);
        let row = t.lines().nth(1).unwrap();
        let cells: Vec<&str> = row
            .split("  ")
            .filter(|c| !c.trim().is_empty())
            .map(str::trim)
            .collect();
        assert_eq!(
            cells,
            [
                "-",
                "2",
                "M",
                "50%",
                "-",
                "-",
                "100/300 W",
                "-",
                "-",
                "-",
                "-"
            ]
        );
    }
}
