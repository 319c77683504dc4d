//! The Xid catalogue and kernel-log scanner (issue 6).
//! `aami-tui explain xid N` and `aami-tui xid scan`.

use std::io::{IsTerminal, Read};
use std::path::{Path, PathBuf};

use clap::Subcommand;

use crate::cli::{CliError, output, table};
use crate::config::locate;
use crate::domain::Severity;
use crate::xid::document::{LineKind, XidDocument};
use crate::xid::{Catalogue, LookupError, ScanReport, XidEntry, scan_with};

#[derive(Debug, Subcommand)]
pub enum ExplainCommand {
    /// Explain an Xid code.
    Xid {
        /// The Xid number, e.g. 79.
        #[arg(allow_hyphen_values = true)]
        code: String,
        /// Print JSON.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum XidCommand {
    /// Scan a kernel log (dmesg, journalctl -k, syslog) for Xid events.
    Scan {
        /// Log file, or - for standard input.
        file: Option<PathBuf>,
        /// Print JSON.
        #[arg(long)]
        json: bool,
        /// Read the kernel log of this configured node over SSH instead.
        #[arg(long, conflicts_with = "file")]
        node: Option<String>,
        /// The command that prints the node's kernel log (with --node).
        #[arg(long, requires = "node", default_value = crate::ssh::KERNEL_LOG_COMMAND)]
        command: String,
    },
}

/// Width used when stdout is not a terminal.
const PIPE_WIDTH: usize = 100;
/// Narrowest layout we draw.
const MIN_WIDTH: usize = 40;

pub fn run_explain(_flag: Option<&Path>, cmd: ExplainCommand) -> color_eyre::Result<i32> {
    let ExplainCommand::Xid { code, json } = cmd;
    let catalogue = load_catalogue()?;
    let entry = match catalogue.lookup_str(&code) {
        Ok(e) => e,
        Err(e @ LookupError::Malformed(_)) => return Err(CliError::usage(e).into()),
        Err(e @ LookupError::Unknown(_)) => {
            return Err(
                CliError::usage(format!("{e} (known codes: {})", catalogue.ranges_text())).into(),
            );
        }
    };
    if json {
        output::print(&format!("{}\n", serde_json::to_string_pretty(entry)?))?;
        return Ok(0);
    }
    let text = if std::io::stdout().is_terminal() {
        let width = crossterm::terminal::size()
            .map(|(w, _)| usize::from(w))
            .unwrap_or(PIPE_WIDTH);
        let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        render_boxed(entry, &catalogue, width, color)
    } else {
        render_plain(entry, &catalogue, PIPE_WIDTH)
    };
    output::print(&text)?;
    Ok(0)
}

pub fn run_xid(_flag: Option<&Path>, cmd: XidCommand) -> color_eyre::Result<i32> {
    let XidCommand::Scan {
        file,
        json,
        node,
        command,
    } = cmd;
    let (label, bytes) = match (&node, file.as_deref()) {
        (Some(name), _) => match read_over_ssh(_flag, name, &command) {
            Ok(b) => (format!("{name} over SSH"), Ok(b)),
            Err(e) => return Err(CliError::usage(format!("{name}: {e}")).into()),
        },
        (None, file) => match file {
            None => read_stdin(),
            Some(p) if p == Path::new("-") => read_stdin(),
            Some(p) => (p.display().to_string(), std::fs::read(p)),
        },
    };
    let bytes = bytes.map_err(|e| CliError::usage(format!("cannot read {label}: {e}")))?;
    let catalogue = load_catalogue()?;
    let text = String::from_utf8_lossy(&bytes);
    let report = scan_with(&text, &catalogue);
    if json {
        output::print(&format!("{}\n", serde_json::to_string_pretty(&report)?))?;
    } else {
        output::print(&render_report(&report))?;
    }
    // A report, not a health check: finding Xids is still success.
    Ok(0)
}

fn read_stdin() -> (String, std::io::Result<Vec<u8>>) {
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        output::note("reading a kernel log from standard input (end with Ctrl-D)…");
    }
    let mut buf = Vec::new();
    let res = stdin.lock().read_to_end(&mut buf).map(|_| buf);
    ("standard input".to_string(), res)
}

/// The built-in catalogue plus `<user config dir>/xids.yaml`.
fn load_catalogue() -> Result<Catalogue, CliError> {
    match locate::user_dir() {
        Some(dir) => Catalogue::with_user_overrides(&dir).map_err(|e| {
            CliError::usage(e)
                .note("(fix or move that file; without it the built-in catalogue is used)")
        }),
        None => Ok(Catalogue::builtin().clone()),
    }
}

// ---------------------------------------------------------------- explain ---

#[derive(Clone, Copy, PartialEq, Eq)]
enum Style {
    Plain,
    Heading,
    Notice,
}

struct Line {
    text: String,
    style: Style,
}

fn line(text: impl Into<String>, style: Style) -> Line {
    Line {
        text: text.into(),
        style,
    }
}

/// The body shared by the boxed and plain layouts: the same
/// [`XidDocument`] the TUI popup shows, laid out to `width`.
fn body(e: &XidEntry, cat: &Catalogue, width: usize) -> Vec<Line> {
    XidDocument::new(e, cat, None)
        .layout(width)
        .into_iter()
        .map(|l| {
            let style = match l.kind {
                LineKind::Heading => Style::Heading,
                LineKind::Notice => Style::Notice,
                _ => Style::Plain,
            };
            line(l.text, style)
        })
        .collect()
}

/// `critical · usually hardware`.
fn badge(e: &XidEntry) -> String {
    XidDocument::new(e, Catalogue::builtin(), None).badge
}

fn severity_color(s: Severity) -> &'static str {
    match s {
        Severity::Critical => "\x1b[1;31m",
        Severity::Warning => "\x1b[1;33m",
        Severity::Info => "\x1b[1;36m",
    }
}

const RESET: &str = "\x1b[0m";

/// The entry inside a box drawn with Unicode box-drawing characters, `width`
/// columns wide in total; `color` adds ANSI styles.
pub fn render_boxed(e: &XidEntry, cat: &Catalogue, width: usize, color: bool) -> String {
    let width = width.max(MIN_WIDTH);
    let inner = width - 4;
    let paint = |s: &str, code: &str| {
        if color {
            format!("{code}{s}{RESET}")
        } else {
            s.to_string()
        }
    };
    // ┌ title ──── badge ┐ : 2 + title + 1 + fill + 1 + badge + 2 = width
    let mut badge_text = badge(e);
    let mut title = e.title();
    let fixed = 6;
    // The title matters more than the badge: shorten the badge first.
    if fixed + badge_text.chars().count() + 1 + title.chars().count() > width {
        badge_text = e.severity.long_word().to_string();
    }
    let max_title = width.saturating_sub(fixed + badge_text.chars().count() + 1);
    if title.chars().count() > max_title {
        title = title
            .chars()
            .take(max_title.saturating_sub(1))
            .collect::<String>()
            + "…";
    }
    let fill = width - fixed - title.chars().count() - badge_text.chars().count();
    let badge_painted = if color {
        let sev = e.severity.long_word();
        match badge_text.strip_prefix(sev) {
            Some(rest) => format!("{}{rest}", paint(sev, severity_color(e.severity))),
            None => badge_text.clone(),
        }
    } else {
        badge_text.clone()
    };
    let mut out = format!(
        "┌ {} {} {} ┐\n",
        paint(&title, "\x1b[1m"),
        "─".repeat(fill),
        badge_painted
    );
    for l in body(e, cat, inner) {
        let pad = inner.saturating_sub(l.text.chars().count());
        let text = match l.style {
            Style::Plain => l.text.clone(),
            Style::Heading => paint(&l.text, "\x1b[1m"),
            Style::Notice => paint(&l.text, "\x1b[1;33m"),
        };
        out.push_str(&format!("│ {text}{} │\n", " ".repeat(pad)));
    }
    out.push_str(&format!("└{}┘\n", "─".repeat(width - 2)));
    out
}

/// The entry as plain text (no box, no ANSI), wrapped to `width`.
pub fn render_plain(e: &XidEntry, cat: &Catalogue, width: usize) -> String {
    let width = width.max(MIN_WIDTH);
    let mut out = format!("{}\n{}\n", e.title(), badge(e));
    for l in body(e, cat, width) {
        out.push_str(l.text.trim_end());
        out.push('\n');
    }
    out
}

// ------------------------------------------------------------------- scan ---

fn dash(s: Option<&str>) -> String {
    match s {
        Some(t) if !t.is_empty() => t.to_string(),
        _ => "-".to_string(),
    }
}

/// The scan report as plain-text tables.
pub fn render_report(r: &ScanReport) -> String {
    let mut out = String::new();
    if r.events.is_empty() {
        out.push_str(&format!("No Xid events in {} lines.\n", r.lines_read));
    } else {
        out.push_str(&format!(
            "Xid events: {} in {} lines\n\n",
            r.events.len(),
            r.lines_read
        ));
        let rows: Vec<Vec<String>> = r
            .events
            .iter()
            .map(|e| {
                let who = match (e.pid, e.process.as_deref()) {
                    (Some(p), Some(n)) => format!("{p} {n}"),
                    (Some(p), None) => p.to_string(),
                    (None, Some(n)) => n.to_string(),
                    (None, None) => "-".to_string(),
                };
                vec![
                    dash(e.time.as_deref()),
                    e.pci_bus.clone(),
                    e.code.to_string(),
                    who,
                    e.explanation
                        .clone()
                        .unwrap_or_else(|| "unknown Xid (not in the catalogue)".to_string()),
                    dash(Some(&e.message)),
                ]
            })
            .collect();
        out.push_str(&table::render(
            &["TIME", "PCI BUS", "XID", "PID/PROCESS", "MEANS", "MESSAGE"],
            &rows,
        ));
    }

    out.push_str(&format!("\nOther NVRM lines: {}\n", r.other_nvrm.len()));
    if !r.other_nvrm.is_empty() {
        out.push('\n');
        let rows: Vec<Vec<String>> = r
            .other_nvrm
            .iter()
            .map(|l| {
                vec![
                    l.line.to_string(),
                    dash(l.time.as_deref()),
                    dash(l.pci_bus.as_deref()),
                    l.message.clone(),
                ]
            })
            .collect();
        out.push_str(&table::render(
            &["LINE", "TIME", "PCI BUS", "MESSAGE"],
            &rows,
        ));
    }

    if !r.by_gpu.is_empty() {
        out.push_str("\nBy GPU (worst first)\n\n");
        let rows: Vec<Vec<String>> = r
            .by_gpu
            .iter()
            .map(|g| {
                vec![
                    g.pci_bus.clone(),
                    g.worst.long_word().to_string(),
                    g.events.to_string(),
                    g.codes
                        .iter()
                        .map(u32::to_string)
                        .collect::<Vec<_>>()
                        .join(","),
                    dash(g.first_time.as_deref()),
                    dash(g.last_time.as_deref()),
                ]
            })
            .collect();
        out.push_str(&table::render(
            &["PCI BUS", "WORST", "EVENTS", "XIDS", "FIRST", "LAST"],
            &rows,
        ));
        out.push_str("\nBy Xid (worst first)\n\n");
        let rows: Vec<Vec<String>> = r
            .by_code
            .iter()
            .map(|c| {
                vec![
                    c.code.to_string(),
                    c.severity
                        .map(crate::domain::Severity::long_word)
                        .unwrap_or("unknown")
                        .to_string(),
                    c.events.to_string(),
                    c.gpus.join(","),
                    dash(c.name.as_deref()),
                ]
            })
            .collect();
        out.push_str(&table::render(
            &["XID", "SEVERITY", "EVENTS", "GPUS", "NAME"],
            &rows,
        ));
        out.push_str("\nDetails: aami-tui explain xid <code>\n");
    }
    out
}

/// The kernel log of a configured node, read over SSH.
fn read_over_ssh(flag: Option<&Path>, name: &str, command: &str) -> Result<Vec<u8>, String> {
    let src = crate::config::locate(flag);
    let config = crate::config::load_file(&src.path).map_err(|e| e.to_string())?;
    let node = config
        .nodes
        .iter()
        .find(|n| n.name == name)
        .ok_or_else(|| format!("no node named {name:?} in {}", src.path.display()))?;
    let target = crate::ssh::SshTarget::from_node(node);
    let rt = super::runtime().map_err(|e| e.to_string())?;
    let out = rt
        .block_on(crate::ssh::run(
            &target,
            command,
            &crate::ssh::default_known_hosts(),
            std::time::Duration::from_secs(config.ssh.connect_timeout),
            std::time::Duration::from_secs(config.ssh.command_timeout),
        ))
        .map_err(|e| e.to_string())?;
    Ok(out.stdout.into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(code: u32) -> &'static XidEntry {
        Catalogue::builtin().get(code).expect("known code")
    }

    #[test]
    fn boxed_layout_is_rectangular_at_any_width() {
        let cat = Catalogue::builtin();
        for width in [40, 60, 80, 100, 157] {
            for code in [13, 79, 154, 5] {
                let s = render_boxed(entry(code), cat, width, false);
                for l in s.lines() {
                    assert_eq!(l.chars().count(), width, "Xid {code} at {width}: {l:?}");
                }
                let first = s.lines().next().unwrap_or_default();
                assert!(
                    first.starts_with("┌ Xid ") && first.ends_with(" ┐"),
                    "{first}"
                );
                assert!(s.lines().last().unwrap_or_default().starts_with('└'));
            }
        }
        // Narrow: the badge shrinks before the title is cut.
        let narrow = render_boxed(entry(5), cat, 60, false);
        assert!(
            narrow.starts_with("┌ Xid 5 — FIFO run-out overflow (legacy) ─"),
            "{narrow}"
        );
        assert!(
            narrow
                .lines()
                .next()
                .unwrap_or_default()
                .ends_with("─ warning ┐")
        );
        let s = render_boxed(entry(79), cat, 100, false);
        assert!(
            s.starts_with("┌ Xid 79 — GPU has fallen off the bus ─"),
            "{s}"
        );
        assert!(
            s.lines()
                .next()
                .unwrap_or_default()
                .ends_with("── critical · usually hardware ┐")
        );
        for section in [
            "What it means",
            "Likely causes",
            "Do now",
            "Investigate",
            "Related",
            "Reference",
        ] {
            assert!(s.contains(&format!("│ {section} ")), "{section}");
        }
        assert!(!s.contains('\x1b'));
        // Colour only when asked.
        assert!(render_boxed(entry(79), cat, 100, true).contains("\x1b[1;31mcritical"));
    }

    #[test]
    fn plain_layout_has_no_box_or_ansi() {
        let s = render_plain(entry(48), Catalogue::builtin(), 100);
        assert!(s.starts_with("Xid 48 — Uncorrectable ECC error"));
        assert!(!s.contains('┌') && !s.contains('│') && !s.contains('\x1b'));
        assert!(s.lines().all(|l| l.chars().count() <= 100));
        assert!(s.contains("  1. Drain the node"));
        assert!(s.contains("Xid 63 (Row remapping (page retirement) recorded)"));
        let unused = render_plain(entry(5), Catalogue::builtin(), 100);
        assert!(
            unused.contains("\nwarning · unused on current GPUs\n"),
            "{unused}"
        );
        assert!(unused.contains("UNUSED ON CURRENT GPUS"));
        // A step that does not fit keeps its command on lines of its own.
        let s79 = render_plain(entry(79), Catalogue::builtin(), 100);
        assert!(
            s79.contains("\n       dmesg -T | grep -i -E \"aer|pcie|thermal\"\n"),
            "{s79}"
        );
        // Commands always sit on a line of their own, whole when they fit.
        assert!(s79.contains(
            "  1. Drain the node:\n       scontrol update nodename=<node> state=drain reason=\"Xid 79\"\n"
        ));
        assert!(!s.contains("UNUSED ON CURRENT GPUS"));
    }

    #[test]
    fn report_lists_events_nvrm_lines_and_summaries() {
        // Constructed example.
        let r = crate::xid::scan(
            "[1.0] NVRM: Xid (PCI:0000:01:00): 13, pid=7, name=python, Graphics Exception\n\
             [2.0] NVRM: GPU at PCI:0000:02:00: GPU-abc\n\
             [3.0] NVRM: Xid (PCI:0000:02:00): 79, pid=8, name=torchrun, GPU has fallen off the bus.\n",
        );
        let s = render_report(&r);
        assert!(s.contains("Xid events: 2 in 3 lines"));
        assert!(s.contains("7 python"));
        assert!(s.contains("Other NVRM lines: 1"));
        let by_gpu = s.split("By GPU").nth(1).unwrap_or_default();
        let first_row = by_gpu.lines().nth(3).unwrap_or_default();
        assert!(first_row.starts_with("0000:02:00  critical"), "{by_gpu}");
        let empty = render_report(&crate::xid::scan("nothing here\n"));
        assert!(empty.starts_with("No Xid events in 1 lines."));
    }
}
