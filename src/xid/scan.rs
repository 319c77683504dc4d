//! Finding Xid events in kernel logs.
//!
//! Accepts the forms operators paste: plain `dmesg`, `dmesg -T`,
//! `dmesg --decode --time-format=iso`, `journalctl -k`, syslog files (host and
//! monotonic prefixes), and the old `NVRM: Xid (0000:01:00): 13, ...` form
//! without `PCI:`. Lines are matched by their `NVRM:` marker, so any prefix
//! before it is fine; the prefix only feeds the time column.
//!
//! Everything taken from the log is passed through [`crate::text::sanitize`].

use crate::domain::pci::normalize_bus;
use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::catalogue::Catalogue;
use crate::domain::Severity;
use crate::text::sanitize;

/// One `NVRM: Xid (...)` line.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct XidEvent {
    /// 1-based line number in the input.
    pub line: usize,
    /// The timestamp as written in the log (`123.456789`, `Sun Feb 23 16:24:18 2025`, ...).
    pub time: Option<String>,
    /// Normalised PCI bus id, `0000:01:00` (domain:bus:device, lowercase).
    pub pci_bus: String,
    pub code: u32,
    pub pid: Option<u32>,
    pub process: Option<String>,
    /// The driver's text after the code and pid/name fields.
    pub message: String,
    /// The catalogue's one-line explanation; `None` for codes it does not know.
    pub explanation: Option<String>,
    pub severity: Option<Severity>,
}

impl XidEvent {
    /// Severity for ranking: codes the catalogue does not know count as warnings.
    pub fn rank(&self) -> Severity {
        self.severity.unwrap_or(Severity::Warning)
    }
}

/// An `NVRM:` line that is not an Xid, e.g. `GPU at PCI:... has fallen off the bus`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NvrmLine {
    pub line: usize,
    pub time: Option<String>,
    /// Bus id named in the line, normalised, when there is one.
    pub pci_bus: Option<String>,
    /// Text after `NVRM:`; continuation lines are joined onto it.
    pub message: String,
}

/// Events of one GPU (bus id).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GpuSummary {
    pub pci_bus: String,
    pub worst: Severity,
    pub events: usize,
    /// Distinct codes, ascending.
    pub codes: Vec<u32>,
    pub first_time: Option<String>,
    pub last_time: Option<String>,
}

/// Events of one Xid code.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CodeSummary {
    pub code: u32,
    pub name: Option<String>,
    pub severity: Option<Severity>,
    pub events: usize,
    /// Distinct bus ids, ascending.
    pub gpus: Vec<String>,
}

/// Everything found in one log.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct ScanReport {
    pub lines_read: usize,
    pub events: Vec<XidEvent>,
    pub other_nvrm: Vec<NvrmLine>,
    /// Worst severity first, then most events.
    pub by_gpu: Vec<GpuSummary>,
    /// Worst severity first, then most events.
    pub by_code: Vec<CodeSummary>,
}

impl ScanReport {
    /// The worst severity among the events, if any.
    pub fn worst(&self) -> Option<Severity> {
        self.events.iter().map(XidEvent::rank).max()
    }
}

/// Scans `text` with the built-in catalogue.
pub fn scan(text: &str) -> ScanReport {
    scan_with(text, Catalogue::builtin())
}

/// Scans `text`, explaining codes with `catalogue`.
pub fn scan_with(text: &str, catalogue: &Catalogue) -> ScanReport {
    let mut report = ScanReport::default();
    // Index into other_nvrm of the NVRM line on the previous input line, for
    // continuation lines ("               NVRM: fallen off the bus ...").
    let mut last_other: Option<(usize, usize)> = None;
    for (i, raw) in text.lines().enumerate() {
        let line_no = i + 1;
        report.lines_read = line_no;
        let line = raw.trim_end_matches('\r');
        let Some(at) = line.find("NVRM:") else {
            continue;
        };
        let prefix = &line[..at];
        let rest = line[at + "NVRM:".len()..].trim();

        if prefix.trim().is_empty()
            && line.starts_with(char::is_whitespace)
            && let Some((prev_line, idx)) = last_other
            && prev_line + 1 == line_no
            && let Some(prev) = report.other_nvrm.get_mut(idx)
        {
            prev.message.push(' ');
            prev.message.push_str(&sanitize(rest));
            if prev.pci_bus.is_none() {
                prev.pci_bus = find_bus(rest);
            }
            last_other = Some((line_no, idx));
            continue;
        }

        let time = parse_time(prefix).map(|t| sanitize(&t));
        if let Some(x) = rest.strip_prefix("Xid").and_then(parse_xid) {
            let entry = catalogue.get(x.code);
            report.events.push(XidEvent {
                line: line_no,
                time,
                pci_bus: x.bus,
                code: x.code,
                pid: x.pid,
                process: x.process,
                message: x.message,
                explanation: entry.map(|e| e.one_liner()),
                severity: entry.map(|e| e.severity),
            });
            last_other = None;
        } else {
            report.other_nvrm.push(NvrmLine {
                line: line_no,
                time,
                pci_bus: find_bus(rest),
                message: sanitize(rest),
            });
            last_other = Some((line_no, report.other_nvrm.len() - 1));
        }
    }
    report.by_gpu = summarise_gpus(&report.events);
    report.by_code = summarise_codes(&report.events, catalogue);
    report
}

struct ParsedXid {
    bus: String,
    code: u32,
    pid: Option<u32>,
    process: Option<String>,
    message: String,
}

/// Parses what follows `NVRM: Xid`: ` (PCI:0000:01:00): 79, pid=1, name=x, text`.
fn parse_xid(s: &str) -> Option<ParsedXid> {
    let s = s.trim_start().strip_prefix('(')?;
    let close = s.find(')')?;
    let bus_text = &s[..close];
    let bus = normalize_bus(bus_text).unwrap_or_else(|| sanitize(bus_text.trim()));
    let after = s[close + 1..].trim_start().strip_prefix(':')?.trim_start();
    let digits = after.bytes().take_while(u8::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    let code: u32 = after[..digits].parse().ok()?;
    let mut rest = after[digits..].trim_start();
    // The code ends the line, or is followed by a comma.
    if !rest.is_empty() {
        rest = rest.strip_prefix(',')?.trim_start();
    }
    let mut pid = None;
    let mut process = None;
    if let Some(v) = rest.strip_prefix("pid=") {
        let (value, tail) = split_field(v);
        pid = value.trim_matches('\'').parse::<u32>().ok();
        rest = tail;
    }
    if let Some(v) = rest.strip_prefix("name=") {
        let (value, tail) = split_field(v);
        let value = value.trim_matches('\'');
        if !value.is_empty() && value != "<unknown>" {
            process = Some(sanitize(value));
        }
        rest = tail;
    }
    Some(ParsedXid {
        bus,
        code,
        pid,
        process,
        message: sanitize(rest.trim()),
    })
}

/// Splits `value, tail` at the first comma.
fn split_field(s: &str) -> (&str, &str) {
    match s.find(',') {
        Some(i) => (s[..i].trim(), s[i + 1..].trim_start()),
        None => (s.trim(), ""),
    }
}

const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// The timestamp in the part of a line before `NVRM:`, as written.
fn parse_time(prefix: &str) -> Option<String> {
    let mut p = prefix.trim();
    // dmesg --decode: "kern  :warn  : <time> "
    if let Some(stripped) = strip_decode_prefix(p) {
        p = stripped;
    }
    if p.is_empty() {
        return None;
    }
    // dmesg, dmesg -T, journalctl -o short-monotonic: "[...]"
    if let Some(inner) = p.strip_prefix('[') {
        return inner.find(']').map(|end| inner[..end].trim().to_string());
    }
    let mut tokens = p.split_whitespace();
    let first = tokens.next()?;
    // journalctl -k / syslog: "Nov 23 10:00:00 host kernel:"
    if MONTHS.contains(&first) {
        let day = tokens.next()?;
        let clock = tokens.next()?;
        if day.bytes().all(|b| b.is_ascii_digit()) && clock.contains(':') {
            return Some(format!("{first} {day} {clock}"));
        }
    }
    // ISO timestamps: journalctl -o short-iso, rsyslog high-precision.
    let b = first.as_bytes();
    if b.len() >= 10 && b[..4].iter().all(u8::is_ascii_digit) && b[4] == b'-' {
        return Some(first.to_string());
    }
    // Something else first, then a monotonic stamp: "host kernel: [ 12.3]".
    let open = p.find('[')?;
    let close = p[open..].find(']')?;
    Some(p[open + 1..open + close].trim().to_string())
}

/// Strips `facility:level :` as written by `dmesg --decode`.
fn strip_decode_prefix(p: &str) -> Option<&str> {
    let (facility, rest) = p.split_once(':')?;
    let (level, rest) = rest.split_once(':')?;
    let word = |s: &str| {
        let t = s.trim();
        !t.is_empty()
            && t.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    };
    const LEVELS: [&str; 8] = [
        "emerg", "alert", "crit", "err", "warn", "notice", "info", "debug",
    ];
    if word(facility) && LEVELS.contains(&level.trim()) {
        Some(rest.trim())
    } else {
        None
    }
}

/// The first PCI address in free text (`GPU at PCI:0000:9b:00:`,
/// `The NVIDIA GPU 0000:b3:00.0`). Strict about shape so clock times and
/// PCI vendor:device ids (`10de:26b5`) are not mistaken for one.
fn find_bus(text: &str) -> Option<String> {
    text.split(|c: char| c.is_whitespace() || c == '(' || c == ')' || c == ',')
        .find_map(|tok| {
            let tok = tok.trim_end_matches([':', '.', ',']);
            // `get` so a multi-byte character there is "no prefix", not a panic.
            let body = match tok.get(..4) {
                Some(p) if p.eq_ignore_ascii_case("pci:") => &tok[4..],
                _ => tok,
            };
            let core = body.split('.').next().unwrap_or(body);
            let parts: Vec<&str> = core.split(':').collect();
            let shaped = matches!(parts.as_slice(),
                [d, b, v] if (d.len() == 4 || d.len() == 8) && b.len() == 2 && v.len() == 2);
            if shaped { normalize_bus(body) } else { None }
        })
}

fn summarise_gpus(events: &[XidEvent]) -> Vec<GpuSummary> {
    let mut by: BTreeMap<&str, GpuSummary> = BTreeMap::new();
    let mut codes: BTreeMap<&str, BTreeSet<u32>> = BTreeMap::new();
    for e in events {
        let s = by.entry(e.pci_bus.as_str()).or_insert_with(|| GpuSummary {
            pci_bus: e.pci_bus.clone(),
            worst: e.rank(),
            events: 0,
            codes: Vec::new(),
            first_time: e.time.clone(),
            last_time: None,
        });
        s.events += 1;
        s.worst = s.worst.max(e.rank());
        if e.time.is_some() {
            s.last_time = e.time.clone();
            if s.first_time.is_none() {
                s.first_time = e.time.clone();
            }
        }
        codes.entry(e.pci_bus.as_str()).or_default().insert(e.code);
    }
    let mut out: Vec<GpuSummary> = by
        .into_iter()
        .map(|(bus, mut s)| {
            s.codes = codes.remove(bus).unwrap_or_default().into_iter().collect();
            s
        })
        .collect();
    out.sort_by(|a, b| {
        b.worst
            .cmp(&a.worst)
            .then(b.events.cmp(&a.events))
            .then(a.pci_bus.cmp(&b.pci_bus))
    });
    out
}

fn summarise_codes(events: &[XidEvent], catalogue: &Catalogue) -> Vec<CodeSummary> {
    let mut by: BTreeMap<u32, (usize, BTreeSet<&str>)> = BTreeMap::new();
    for e in events {
        let s = by.entry(e.code).or_default();
        s.0 += 1;
        s.1.insert(e.pci_bus.as_str());
    }
    let mut out: Vec<CodeSummary> = by
        .into_iter()
        .map(|(code, (events, gpus))| {
            let entry = catalogue.get(code);
            CodeSummary {
                code,
                name: entry.map(|e| e.name.clone()),
                severity: entry.map(|e| e.severity),
                events,
                gpus: gpus.into_iter().map(str::to_string).collect(),
            }
        })
        .collect();
    let rank = |c: &CodeSummary| c.severity.unwrap_or(Severity::Warning);
    out.sort_by(|a, b| {
        rank(b)
            .cmp(&rank(a))
            .then(b.events.cmp(&a.events))
            .then(a.code.cmp(&b.code))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::pci::gpu_index_for_bus;

    fn one(line: &str) -> XidEvent {
        let r = scan(line);
        assert_eq!(r.events.len(), 1, "{line:?} -> {r:?}");
        r.events[0].clone()
    }

    // The one-line examples below are CONSTRUCTED examples in the shapes each
    // tool prints (not captures); real captures are in tests/fixtures/xid/.

    #[test]
    fn plain_dmesg() {
        // Constructed example.
        let e = one(
            "[  123.456789] NVRM: Xid (PCI:0000:01:00): 79, pid=1234, name=python, GPU has fallen off the bus.",
        );
        assert_eq!(e.time.as_deref(), Some("123.456789"));
        assert_eq!(e.pci_bus, "0000:01:00");
        assert_eq!(e.code, 79);
        assert_eq!(e.pid, Some(1234));
        assert_eq!(e.process.as_deref(), Some("python"));
        assert_eq!(e.message, "GPU has fallen off the bus.");
        assert_eq!(e.severity, Some(Severity::Critical));
        assert!(
            e.explanation
                .as_deref()
                .is_some_and(|x| x.contains("fallen off the bus"))
        );
        assert_eq!(e.line, 1);
    }

    #[test]
    fn dmesg_t() {
        // Constructed example.
        let e = one(
            "[Mon Nov 23 10:00:00 2026] NVRM: Xid (PCI:0000:53:00): 48, pid=77, name=train, DBE (double bit error) ECC error",
        );
        assert_eq!(e.time.as_deref(), Some("Mon Nov 23 10:00:00 2026"));
        assert_eq!(e.pci_bus, "0000:53:00");
        assert_eq!(e.code, 48);
        assert_eq!(e.message, "DBE (double bit error) ECC error");
    }

    #[test]
    fn dmesg_decode_iso() {
        // Constructed example in the shape of the captured gpud log.
        let e = one(
            "kern  :warn  : 2024-05-01T10:00:00,123456+00:00 NVRM: Xid (PCI:0000:38:00): 13, pid='<unknown>', name=<unknown>, Graphics Exception",
        );
        assert_eq!(e.time.as_deref(), Some("2024-05-01T10:00:00,123456+00:00"));
        assert_eq!(e.pid, None);
        assert_eq!(e.process, None);
        assert_eq!(e.message, "Graphics Exception");
        // Without an ISO time format dmesg --decode keeps the monotonic stamp.
        let e = one(
            "kern  :err   : [  55.000001] NVRM: Xid (PCI:0000:38:00): 31, pid=9, name=a.out, MMU Fault",
        );
        assert_eq!(e.time.as_deref(), Some("55.000001"));
        assert_eq!(e.code, 31);
    }

    #[test]
    fn journalctl_k() {
        // Constructed example.
        let e = one(
            "Nov 23 10:00:00 gpu-node-7 kernel: NVRM: Xid (PCI:0000:9b:00): 119, pid=2024380, name=nvidia-smi, Timeout after 6s",
        );
        assert_eq!(e.time.as_deref(), Some("Nov 23 10:00:00"));
        assert_eq!(e.pci_bus, "0000:9b:00");
        assert_eq!(e.code, 119);
        assert_eq!(e.process.as_deref(), Some("nvidia-smi"));
        // Single-digit days are padded with a space by syslog.
        let e = one("Nov  3 10:00:00 gpu-node-7 kernel: NVRM: Xid (PCI:0000:9b:00): 119, Timeout");
        assert_eq!(e.time.as_deref(), Some("Nov 3 10:00:00"));
        // journalctl -o short-iso.
        let e = one(
            "2026-11-23T10:00:00+0000 gpu-node-7 kernel: NVRM: Xid (PCI:0000:9b:00): 119, Timeout",
        );
        assert_eq!(e.time.as_deref(), Some("2026-11-23T10:00:00+0000"));
    }

    #[test]
    fn syslog_with_host_and_monotonic_prefix() {
        // Constructed example: /var/log/syslog keeps the kernel's stamp too.
        let e = one(
            "Nov 23 10:00:00 gpu-node-7 kernel: [ 4242.000100] NVRM: Xid (PCI:0000:01:00): 94, pid=5, name=python3, Contained: SM",
        );
        assert_eq!(e.time.as_deref(), Some("Nov 23 10:00:00"));
        assert_eq!(e.code, 94);
        // No wall clock: the monotonic stamp is the time.
        let e = one("gpu-node-7 kernel: [ 4242.000100] NVRM: Xid (PCI:0000:01:00): 94, Contained");
        assert_eq!(e.time.as_deref(), Some("4242.000100"));
    }

    #[test]
    fn old_form_without_pci_prefix() {
        // Constructed example of the pre-PCI: driver form.
        let e = one(
            "[  99.100000] NVRM: Xid (0000:01:00): 13, 0000 00000000 0000a1c0 00000000 00000000",
        );
        assert_eq!(e.pci_bus, "0000:01:00");
        assert_eq!(e.code, 13);
        assert_eq!(e.pid, None);
        assert_eq!(e.message, "0000 00000000 0000a1c0 00000000 00000000");
    }

    #[test]
    fn code_alone_and_unknown_codes() {
        // Constructed examples.
        let e = one("NVRM: Xid (PCI:0000:01:00): 79");
        assert_eq!(e.time, None);
        assert_eq!(e.message, "");
        let e = one("[1.0] NVRM: Xid (PCI:0000:01:00): 4242, something new");
        assert_eq!(e.code, 4242);
        assert_eq!(e.severity, None);
        assert_eq!(e.explanation, None);
        assert_eq!(e.rank(), Severity::Warning);
    }

    #[test]
    fn non_xid_nvrm_lines_are_kept() {
        // Constructed examples.
        let r = scan(
            "[ 10.0] NVRM: GPU at PCI:0000:01:00: GPU-0000\n\
             [ 10.1] NVRM: GPU has fallen off the bus.\n\
             [ 10.2] usb 1-1: new device\n\
             [ 10.3] NVRM: Xid (PCI:0000:01:00): abc, not a number\n",
        );
        assert!(r.events.is_empty());
        assert_eq!(r.lines_read, 4);
        assert_eq!(r.other_nvrm.len(), 3);
        assert_eq!(r.other_nvrm[0].pci_bus.as_deref(), Some("0000:01:00"));
        assert_eq!(r.other_nvrm[1].message, "GPU has fallen off the bus.");
        assert_eq!(r.other_nvrm[1].pci_bus, None);
        assert_eq!(r.other_nvrm[1].line, 2);
        assert_eq!(r.other_nvrm[2].line, 4);
    }

    #[test]
    fn continuation_lines_join_the_previous_nvrm_line() {
        // As printed by the driver (lines also in tests/fixtures/xid/nvrm_non_xid_context_lines.log).
        let r = scan(
            "[ 1843.308145] NVRM: The NVIDIA GPU 0000:b3:00.0\n               NVRM: (PCI ID: 10de:26b5) installed in this system has\n               NVRM: fallen off the bus and is not responding to commands.\n",
        );
        assert_eq!(r.other_nvrm.len(), 1, "{r:?}");
        let l = &r.other_nvrm[0];
        assert_eq!(l.pci_bus.as_deref(), Some("0000:b3:00"));
        assert_eq!(l.time.as_deref(), Some("1843.308145"));
        assert!(
            l.message
                .ends_with("fallen off the bus and is not responding to commands."),
            "{}",
            l.message
        );
        assert!(l.message.contains("10de:26b5"));
    }

    #[test]
    fn log_text_is_sanitised() {
        // Constructed example with terminal escapes in the process name and message.
        let e =
            one("[1.0] NVRM: Xid (PCI:0000:01:00): 13, pid=1, name=ev\x1b]0;x\x07il, bad\x1b[2J");
        assert_eq!(e.process.as_deref(), Some("ev\u{fffd}]0;x\u{fffd}il"));
        assert!(!e.message.chars().any(char::is_control));
        let r = scan("[1.0] NVRM: hello\x1b[31m\n");
        assert!(!r.other_nvrm[0].message.chars().any(char::is_control));
    }

    #[test]
    fn summaries_rank_worst_first() {
        // Constructed example: one GPU with only application errors, one with 79.
        let r = scan(
            "[1.0] NVRM: Xid (PCI:0000:01:00): 13, pid=1, name=a, x\n\
             [1.1] NVRM: Xid (PCI:0000:01:00): 13, pid=1, name=a, x\n\
             [1.2] NVRM: Xid (PCI:0000:01:00): 43, pid=1, name=a, x\n\
             [2.0] NVRM: Xid (PCI:0000:02:00): 79, pid=2, name=b, GPU has fallen off the bus.\n\
             [2.1] NVRM: Xid (PCI:0000:02:00): 154, GPU recovery action changed from 0x0 (None) to 0x2 (Node Reboot Required)\n",
        );
        assert_eq!(r.events.len(), 5);
        let gpus: Vec<(&str, Severity, usize)> = r
            .by_gpu
            .iter()
            .map(|g| (g.pci_bus.as_str(), g.worst, g.events))
            .collect();
        assert_eq!(
            gpus,
            vec![
                ("0000:02:00", Severity::Critical, 2),
                ("0000:01:00", Severity::Warning, 3)
            ]
        );
        assert_eq!(r.by_gpu[1].codes, vec![13, 43]);
        assert_eq!(r.by_gpu[1].first_time.as_deref(), Some("1.0"));
        assert_eq!(r.by_gpu[1].last_time.as_deref(), Some("1.2"));
        let codes: Vec<u32> = r.by_code.iter().map(|c| c.code).collect();
        assert_eq!(codes, vec![79, 13, 43, 154]);
        assert_eq!(r.by_code[1].events, 2);
        assert_eq!(r.worst(), Some(Severity::Critical));
    }

    #[test]
    fn bus_ids_normalise() {
        for (input, want) in [
            ("PCI:0000:01:00", "0000:01:00"),
            ("0000:01:00", "0000:01:00"),
            ("00000000:53:00.0", "0000:53:00"),
            ("00000000:9B:00.0", "0000:9b:00"),
            ("pci:0000:9B:00", "0000:9b:00"),
            ("01:00", "0000:01:00"),
            ("0000:b3:00.0", "0000:b3:00"),
            ("0001:01:00.0", "0001:01:00"),
        ] {
            assert_eq!(normalize_bus(input).as_deref(), Some(want), "{input}");
        }
        for bad in [
            "",
            "gpu0",
            "0000:01",
            "0000:001:00",
            "zz:00",
            "0000:01:00.00x",
        ] {
            assert_eq!(normalize_bus(bad), None, "{bad}");
        }
    }

    #[test]
    fn gpu_index_from_exporter_labels() {
        let gpus = vec![
            (0, "00000000:18:00.0".to_string()),
            (1, "00000000:2A:00.0".to_string()),
            (2, "00000000:53:00.0".to_string()),
        ];
        assert_eq!(gpu_index_for_bus("0000:53:00", &gpus), Some(2));
        assert_eq!(gpu_index_for_bus("0000:2a:00", &gpus), Some(1));
        assert_eq!(gpu_index_for_bus("PCI:0000:2A:00", &gpus), Some(1));
        assert_eq!(gpu_index_for_bus("0000:99:00", &gpus), None);
        assert_eq!(gpu_index_for_bus("nonsense", &gpus), None);
    }

    #[test]
    fn multi_byte_text_where_a_pci_prefix_would_be_is_not_a_panic() {
        // Found by tests/fuzz_parsers.rs: byte 4 fell inside a character.
        assert_eq!(
            find_bus("Xi\u{fffd} (0000:38:00)"),
            Some("0000:38:00".into())
        );
        assert_eq!(normalize_bus("\u{e9}\u{e9}\u{e9}"), None);
        assert_eq!(normalize_bus("ab\u{e9}:01:00"), None);
    }

    #[test]
    fn find_bus_ignores_clock_times_and_pci_ids() {
        assert_eq!(find_bus("at 16:24:18 (PCI ID: 10de:26b5)"), None);
        assert_eq!(
            find_bus("GPU at PCI:0000:9b:00: GPU-509665ad").as_deref(),
            Some("0000:9b:00")
        );
        assert_eq!(
            find_bus("Rate limiting GSP RPC error prints for GPU at PCI:0000:9b:00 (printing 1 of every 30)")
                .as_deref(),
            Some("0000:9b:00")
        );
    }

    #[test]
    fn real_fixture_lines() {
        // Verbatim lines from tests/fixtures/xid/ (see PROVENANCE.md there).
        let iso = "kern  :warn  : 2025-01-21T02:21:33,502278+00:00 NVRM: Xid (PCI:0000:38:00): 43, pid=2815167, name=pt_main_thread, Ch 00000008";
        let e = one(iso);
        assert_eq!(
            (e.code, e.pci_bus.as_str(), e.pid),
            (43, "0000:38:00", Some(2815167))
        );
        assert_eq!(e.process.as_deref(), Some("pt_main_thread"));
        assert_eq!(e.message, "Ch 00000008");
        let t = "[Sun Feb 23 16:24:18 2025] NVRM: Xid (PCI:0000:9b:00): 119, pid=2024380, name=nvidia-smi, Timeout after 6s of waiting for RPC response from GPU4 GSP! Expected function 103 (GSP_RM_ALLOC) (0x2081 0x4).";
        let e = one(t);
        assert_eq!(e.time.as_deref(), Some("Sun Feb 23 16:24:18 2025"));
        assert!(e.message.starts_with("Timeout after 6s"));
        assert!(e.message.ends_with("(0x2081 0x4)."));
    }
}
