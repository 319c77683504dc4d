//! `aami-tui explain xid N` and `aami-tui xid scan` run as a user would,
//! against the real kernel-log captures in tests/fixtures/xid/.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

/// Runs the binary with a private, empty config directory (so a user's own
/// `~/.config/aami/xids.yaml` cannot change the results), stdout piped.
fn run_in(config_home: &Path, args: &[&str], stdin: Option<&[u8]>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_aami-tui"));
    cmd.args(args)
        .env_remove("AAMI_CONFIG")
        .env("XDG_CONFIG_HOME", config_home)
        .env("HOME", config_home)
        .env("NO_COLOR", "1")
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn aami-tui");
    if let Some(bytes) = stdin {
        let mut pipe = child.stdin.take().expect("stdin");
        pipe.write_all(bytes).expect("write stdin");
    }
    child.wait_with_output().expect("wait aami-tui")
}

fn run(args: &[&str]) -> Output {
    let home = tempfile::tempdir().expect("tempdir");
    run_in(home.path(), args, None)
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/xid")).join(name)
}

const ISO: &str = "gpud_dmesg-iso_xid13_xid43_NVRM-lines.log";
const XID119: &str = "gpud_dmesg-with-xid-119_H100x8-XE9680.log";
const NON_XID: &str = "nvrm_non_xid_context_lines.log";
const JOURNAL: &str = "derived_journalctl-k_xid119_from-gpud-XE9680.log";
const OLD_FORM: &str = "derived_dmesg_old-no-PCI-form_xid13_xid43_from-gpud-iso.log";

fn scan_json(name: &str) -> Value {
    let path = fixture(name);
    let o = run(&["xid", "scan", path.to_str().expect("utf-8 path"), "--json"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    serde_json::from_slice(&o.stdout).expect("scan --json prints JSON")
}

fn events(report: &Value) -> &Vec<Value> {
    report["events"].as_array().expect("events array")
}

fn codes(report: &Value) -> Vec<u64> {
    events(report)
        .iter()
        .map(|e| e["code"].as_u64().expect("code"))
        .collect()
}

fn field<'a>(report: &'a Value, key: &str) -> Vec<&'a Value> {
    events(report).iter().map(|e| &e[key]).collect()
}

// ------------------------------------------------------------- explain ---

#[test]
fn explain_79_piped_is_plain_text() {
    let o = run(&["explain", "xid", "79"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let s = stdout(&o);
    assert!(
        s.starts_with("Xid 79 — GPU has fallen off the bus\n"),
        "{s}"
    );
    assert!(s.contains("critical · usually hardware"));
    assert!(s.contains("ROBUST_CHANNEL_GPU_HAS_FALLEN_OFF_THE_BUS"));
    for section in [
        "What it means",
        "Likely causes",
        "Do now",
        "Investigate",
        "Related",
        "Reference",
    ] {
        assert!(
            s.lines().any(|l| l == section),
            "section {section} missing:\n{s}"
        );
    }
    // The command sits whole on its own line under its step.
    assert!(
        s.contains("  1. Drain the node:\n       scontrol update nodename=<node> state=drain reason=\"Xid 79\"\n"),
        "{s}"
    );
    assert!(s.contains("Reboot the node"));
    assert!(s.contains("Xid 154 (GPU recovery action changed)"));
    // Not a terminal: no box, no escape sequences, wrapped to 100 columns.
    assert!(!s.contains('┌') && !s.contains('│') && !s.contains('\x1b'));
    assert!(s.lines().all(|l| l.chars().count() <= 100));
    assert!(stderr(&o).is_empty());
}

#[test]
fn explain_79_json() {
    let o = run(&["explain", "xid", "79", "--json"]);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["code"], 79);
    assert_eq!(v["severity"], "critical");
    assert_eq!(v["mnemonic"], "ROBUST_CHANNEL_GPU_HAS_FALLEN_OFF_THE_BUS");
    assert_eq!(v["name"], "GPU has fallen off the bus");
    assert_eq!(v["hardware_likely"], true);
    assert_eq!(v["unused"], false);
    assert!(v["do_now"].as_array().is_some_and(|a| a.len() >= 3));
    let related: Vec<u64> = v["related"]
        .as_array()
        .expect("related")
        .iter()
        .filter_map(|r| r["code"].as_u64())
        .collect();
    assert!(related.contains(&154), "{related:?}");
}

#[test]
fn explain_unknown_code_exits_2() {
    let o = run(&["explain", "xid", "999"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(o.stdout.is_empty());
    let e = stderr(&o);
    assert!(e.contains("Xid 999 is not in the catalogue"), "{e}");
    assert!(e.contains("1–173, 185"), "{e}");
}

#[test]
fn explain_malformed_code_exits_2() {
    for bad in ["abc", "-1", "7.9"] {
        let o = run(&["explain", "xid", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}");
        assert!(o.stdout.is_empty(), "{bad}");
        let e = stderr(&o);
        assert!(
            e.contains(&format!("'{bad}' is not an Xid code")),
            "{bad}: {e}"
        );
    }
}

#[test]
fn explain_unused_code_says_so() {
    let o = run(&["explain", "xid", "5"]);
    assert_eq!(o.status.code(), Some(0));
    let s = stdout(&o);
    assert!(
        s.contains("ROBUST_CHANNEL_FIFO_ERROR_RUNOUT_OVERFLOW"),
        "{s}"
    );
    assert!(s.contains("UNUSED ON CURRENT GPUS"), "{s}");
    let o = run(&["explain", "xid", "5", "--json"]);
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["unused"], true);
    // A used code carries no such note.
    assert!(!stdout(&run(&["explain", "xid", "13"])).contains("UNUSED"));
}

#[test]
fn explain_reads_user_overrides_from_the_config_dir() {
    let home = tempfile::tempdir().expect("tempdir");
    let dir = home.path().join("aami");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("xids.yaml"),
        "- code: 13\n  severity: critical\n  do_now: ['Page the ML platform team']\n",
    )
    .expect("write");
    let o = run_in(home.path(), &["explain", "xid", "13", "--json"], None);
    assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
    let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
    assert_eq!(v["severity"], "critical");
    assert_eq!(v["do_now"][0], "Page the ML platform team");
    assert_eq!(v["name"], "Graphics engine exception (SM / warp error)");

    // A broken override file is reported with its path and line.
    std::fs::write(dir.join("xids.yaml"), "- code: 13\n  severity: [oops\n").expect("write");
    let o = run_in(home.path(), &["explain", "xid", "13"], None);
    assert_eq!(o.status.code(), Some(2));
    let e = stderr(&o);
    let path = dir.join("xids.yaml");
    assert!(e.contains(&format!("{}:", path.display())), "{e}");
    assert!(e.contains(":2:") || e.contains(":3:"), "{e}");
}

// ---------------------------------------------------------------- scan ---

#[test]
fn scan_dmesg_iso_capture_json() {
    let r = scan_json(ISO);
    assert_eq!(r["lines_read"], 636);
    let c = codes(&r);
    assert_eq!(c.len(), 636);
    assert_eq!(c.iter().filter(|&&x| x == 13).count(), 629);
    assert_eq!(c.iter().filter(|&&x| x == 43).count(), 7);
    assert!(field(&r, "pci_bus").iter().all(|b| *b == "0000:38:00"));
    let pids_43: Vec<u64> = events(&r)
        .iter()
        .filter(|e| e["code"] == 43)
        .map(|e| e["pid"].as_u64().expect("pid"))
        .collect();
    assert_eq!(
        pids_43,
        vec![
            2815167, 2823801, 2839444, 2877200, 2886782, 2897677, 2924364
        ]
    );
    let first = &events(&r)[0];
    assert_eq!(first["time"], "2025-01-21T02:21:33,498559+00:00");
    assert_eq!(first["pid"], Value::Null);
    assert_eq!(first["process"], Value::Null);
    assert_eq!(
        first["message"],
        "Graphics SM Warp Exception on (GPC 8, TPC 5, SM 0): Out Of Range Address"
    );
    let x43 = &events(&r)[15];
    assert_eq!(
        (x43["code"].as_u64(), x43["process"].as_str()),
        (Some(43), Some("pt_main_thread"))
    );
    assert_eq!(x43["message"], "Ch 00000008");
    assert_eq!(r["other_nvrm"].as_array().map(Vec::len), Some(0));
    // Summaries: one GPU; 13 (warning) ranks above 43 (info).
    assert_eq!(r["by_gpu"].as_array().map(Vec::len), Some(1));
    assert_eq!(r["by_gpu"][0]["pci_bus"], "0000:38:00");
    assert_eq!(r["by_gpu"][0]["worst"], "warning");
    assert_eq!(r["by_gpu"][0]["codes"], serde_json::json!([13, 43]));
    assert_eq!(
        r["by_gpu"][0]["last_time"],
        "2025-01-21T04:41:44,287197+00:00"
    );
    assert_eq!(r["by_code"][0]["code"], 13);
    assert_eq!(r["by_code"][0]["events"], 629);
    assert_eq!(r["by_code"][1]["code"], 43);
    assert_eq!(r["by_code"][1]["severity"], "info");
}

#[test]
fn scan_dmesg_t_capture_json() {
    let r = scan_json(XID119);
    assert_eq!(codes(&r), vec![119; 5]);
    assert!(field(&r, "pci_bus").iter().all(|b| *b == "0000:9b:00"));
    let pids: Vec<u64> = field(&r, "pid").iter().filter_map(|p| p.as_u64()).collect();
    assert_eq!(pids, vec![2024380, 2024380, 2024380, 1263500, 1240590]);
    let names: Vec<&str> = field(&r, "process")
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    assert_eq!(
        names,
        vec![
            "nvidia-smi",
            "nvidia-smi",
            "nvidia-smi",
            "cache_mgr_main",
            "gpud"
        ]
    );
    let times: Vec<&str> = field(&r, "time")
        .iter()
        .filter_map(|p| p.as_str())
        .collect();
    assert_eq!(times[0], "Sun Feb 23 16:24:18 2025");
    assert_eq!(times[4], "Sun Feb 23 16:30:13 2025");
    let lines: Vec<u64> = field(&r, "line")
        .iter()
        .filter_map(|p| p.as_u64())
        .collect();
    assert_eq!(lines, vec![3, 38, 40, 42, 43]);
    assert!(events(&r)[0]["message"].as_str().is_some_and(|m| {
        m.starts_with("Timeout after 6s of waiting for RPC response from GPU4 GSP!")
    }));
    assert_eq!(events(&r)[0]["severity"], "critical");
    // Every other NVRM line is kept, the stack trace (no NVRM:) is not.
    let other = r["other_nvrm"].as_array().expect("other_nvrm");
    assert_eq!(other.len(), 24);
    assert_eq!(other[0]["pci_bus"], "0000:9b:00");
    let rate = other
        .iter()
        .find(|l| l["line"] == 41)
        .expect("rate-limit line");
    assert_eq!(rate["pci_bus"], "0000:9b:00");
    assert!(
        rate["message"]
            .as_str()
            .is_some_and(|m| m.contains("The GPU likely needs to be reset"))
    );
    assert!(
        other
            .iter()
            .all(|l| !l["message"].as_str().unwrap_or("").contains("Call Trace"))
    );
    assert_eq!(r["by_gpu"][0]["worst"], "critical");
    assert_eq!(r["by_code"][0]["code"], 119);
    assert_eq!(r["by_code"][0]["events"], 5);
}

#[test]
fn scan_journalctl_form_finds_the_same_events() {
    let dmesg = scan_json(XID119);
    let journal = scan_json(JOURNAL);
    for key in ["code", "pci_bus", "pid", "process", "message", "line"] {
        assert_eq!(field(&journal, key), field(&dmesg, key), "{key}");
    }
    assert_eq!(events(&journal)[0]["time"], "Feb 23 16:24:18");
    let strip = |r: &Value| -> Vec<(Value, Value, Value)> {
        r["other_nvrm"]
            .as_array()
            .expect("other_nvrm")
            .iter()
            .map(|l| {
                (
                    l["line"].clone(),
                    l["pci_bus"].clone(),
                    l["message"].clone(),
                )
            })
            .collect()
    };
    assert_eq!(strip(&journal), strip(&dmesg));
    assert_eq!(strip(&journal).len(), 24);
}

#[test]
fn scan_old_form_without_pci_prefix() {
    let old = scan_json(OLD_FORM);
    let iso = scan_json(ISO);
    let c = codes(&old);
    assert_eq!(c.len(), 16);
    assert_eq!(&c[..15], &[13; 15]);
    assert_eq!(c[15], 43);
    assert!(field(&old, "pci_bus").iter().all(|b| *b == "0000:38:00"));
    assert_eq!(events(&old)[0]["time"], "8493.498559");
    let iso_msgs: Vec<&Value> = field(&iso, "message").into_iter().take(16).collect();
    assert_eq!(field(&old, "message"), iso_msgs);
    assert_eq!(events(&old)[15]["pid"], 2815167);
}

#[test]
fn scan_keeps_non_xid_nvrm_lines() {
    let r = scan_json(NON_XID);
    assert!(events(&r).is_empty());
    let other = r["other_nvrm"].as_array().expect("other_nvrm");
    assert_eq!(other.len(), 3, "{other:?}");
    let buses: Vec<&Value> = other.iter().map(|l| &l["pci_bus"]).collect();
    assert_eq!(
        buses,
        vec![
            &Value::from("0000:01:00"),
            &Value::Null,
            &Value::from("0000:b3:00")
        ]
    );
    assert_eq!(other[1]["time"], "Mar 27 17:40:36");
    assert!(
        other[1]["message"]
            .as_str()
            .is_some_and(|m| m.contains("PMU has halted"))
    );
    assert!(
        other[2]["message"]
            .as_str()
            .is_some_and(|m| m.contains("fallen off the bus and is not responding to commands."))
    );
    assert_eq!(r["by_gpu"].as_array().map(Vec::len), Some(0));
}

#[test]
fn scan_text_report() {
    let path = fixture(XID119);
    let o = run(&["xid", "scan", path.to_str().expect("utf-8 path")]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "finding Xids is still exit 0; stderr: {}",
        stderr(&o)
    );
    let s = stdout(&o);
    assert!(s.starts_with("Xid events: 5 in 43 lines\n"), "{s}");
    let header = s.lines().nth(2).unwrap_or_default();
    for col in ["TIME", "PCI BUS", "XID", "PID/PROCESS", "MEANS", "MESSAGE"] {
        assert!(header.contains(col), "{header}");
    }
    let row = s.lines().nth(3).unwrap_or_default();
    assert!(
        row.starts_with("Sun Feb 23 16:24:18 2025  0000:9b:00  119  2024380 nvidia-smi"),
        "{row}"
    );
    assert!(row.contains("GSP RPC timeout (critical)"), "{row}");
    assert!(s.contains("Other NVRM lines: 24"));
    assert!(s.contains("By GPU (worst first)"));
    assert!(s.contains("By Xid (worst first)"));
    assert!(
        s.lines().any(|l| l.starts_with("0000:9b:00  critical  5")),
        "{s}"
    );
}

#[test]
fn scan_reads_stdin() {
    let bytes = std::fs::read(fixture(ISO)).expect("fixture");
    let home = tempfile::tempdir().expect("tempdir");
    let from_file = scan_json(ISO);
    for args in [
        &["xid", "scan", "-", "--json"][..],
        &["xid", "scan", "--json"][..],
    ] {
        let o = run_in(home.path(), args, Some(&bytes));
        assert_eq!(o.status.code(), Some(0), "stderr: {}", stderr(&o));
        let v: Value = serde_json::from_slice(&o.stdout).expect("JSON");
        assert_eq!(v, from_file, "{args:?}");
    }
    // A constructed one-line journalctl example through a pipe.
    let line = b"Nov 23 10:00:00 gpu-node-7 kernel: NVRM: Xid (PCI:0000:01:00): 79, pid=1234, name=python, GPU has fallen off the bus.\n";
    let o = run_in(home.path(), &["xid", "scan", "-"], Some(line));
    assert_eq!(o.status.code(), Some(0));
    let s = stdout(&o);
    assert!(
        s.contains("Nov 23 10:00:00  0000:01:00  79   1234 python"),
        "{s}"
    );
    assert!(s.contains("GPU has fallen off the bus (critical)"), "{s}");
}

#[test]
fn scan_unreadable_file_exits_2() {
    let home = tempfile::tempdir().expect("tempdir");
    let missing = home.path().join("no-such.log");
    let o = run(&["xid", "scan", missing.to_str().expect("utf-8 path")]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("cannot read"), "{}", stderr(&o));
    assert!(o.stdout.is_empty());
}
