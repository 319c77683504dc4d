//! Command output into a reader that goes away (`aami-tui status | head -1`)
//! ends quietly with the command's own exit code, and failing commands exit
//! with the code their error carries.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// A config of `count` nodes on loopback addresses whose exporter port
/// nobody listens on, so every scrape is refused at once.
fn fleet_config(dir: &Path, count: usize) -> PathBuf {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = closed.local_addr().expect("addr").port();
    drop(closed);
    let mut text = String::from("cluster:\n  name: pipes\nnodes:\n");
    for i in 0..count {
        writeln!(
            text,
            "  - name: gpu-node-with-a-long-name-so-the-output-is-large-{i:04}\n    ip: 127.0.{}.{}\n    exporters: {{dcgm: {port}, node: null}}\n    labels: {{rack: r{}}}",
            i / 250 + 1,
            i % 250 + 1,
            i % 7
        )
        .expect("write");
    }
    let path = dir.join("config.yaml");
    std::fs::write(&path, text).expect("write config");
    path
}

/// Runs `aami-tui ARGS | head -1` in bash; returns (aami-tui's exit code,
/// its stderr, what head printed).
fn through_head(config: &Path, args: &str) -> (i32, String, String) {
    let dir = config.parent().expect("dir");
    let err = dir.join("stderr.txt");
    let code = dir.join("code.txt");
    let script = format!(
        "\"$BIN\" --config \"$CFG\" {args} 2>\"$ERR\" | head -1; echo \"${{PIPESTATUS[0]}}\" >\"$CODE\""
    );
    let out = Command::new("bash")
        .arg("-c")
        .arg(script)
        .env("BIN", common::bin())
        .env("CFG", config)
        .env("ERR", &err)
        .env("CODE", &code)
        .env_remove("AAMI_CONFIG")
        .output()
        .expect("run bash");
    let code: i32 = std::fs::read_to_string(&code)
        .expect("exit code file")
        .trim()
        .parse()
        .expect("a number");
    (
        code,
        std::fs::read_to_string(&err).expect("stderr file"),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn assert_quiet(what: &str, stderr: &str) {
    for bad in ["panicked", "Broken pipe", "failed printing"] {
        assert!(
            !stderr.contains(bad),
            "{what}: stderr has {bad:?}:\n{stderr}"
        );
    }
}

#[test]
fn status_and_nodes_into_head_end_quietly_with_their_own_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = fleet_config(dir.path(), 500);

    // Every node is down, so status exits 1; head keeps only the header.
    let (code, err, shown) = through_head(&cfg, "status");
    assert_quiet("status", &err);
    assert_eq!(code, 1, "status exit code; stderr:\n{err}");
    assert!(shown.starts_with("NAME"), "{shown}");

    // The JSON report is far larger than a pipe's buffer, so the writer is
    // certainly still writing when head leaves.
    let (code, err, shown) = through_head(&cfg, "status --json");
    assert_quiet("status --json", &err);
    assert_eq!(code, 1, "status --json exit code; stderr:\n{err}");
    assert_eq!(shown.trim(), "{");

    let (code, err, shown) = through_head(&cfg, "nodes list");
    assert_quiet("nodes list", &err);
    assert_eq!(code, 0, "nodes list exit code; stderr:\n{err}");
    assert!(shown.starts_with("NAME"), "{shown}");
}

/// The reader is gone before the first byte is written: every write fails,
/// deterministically, not only the ones after head happens to exit.
#[test]
fn output_into_a_closed_pipe_is_not_a_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = fleet_config(dir.path(), 20);
    let cases: &[(&[&str], i32)] = &[
        (&["status"], 1),
        (&["status", "--json"], 1),
        (&["nodes", "list"], 0),
        (&["config", "check"], 0),
        (&["config", "path"], 0),
        (&["explain", "xid", "79"], 0),
        (&["completions", "bash"], 0),
    ];
    for (args, want) in cases {
        let mut child = Command::new(common::bin())
            .arg("--config")
            .arg(&cfg)
            .args(*args)
            .env_remove("AAMI_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("wait");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_quiet(&args.join(" "), &err);
        assert_eq!(out.status.code(), Some(*want), "{args:?}: {err}");
    }
}

#[test]
fn a_bad_config_exits_2_with_the_error_on_stderr() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("config.yaml");
    std::fs::write(&cfg, "nodes:\n  - name: a\n    ipp: 127.0.10.1\n").expect("write");
    for args in [
        &["status"][..],
        &["status", "--json"],
        &["nodes", "list"],
        &["config", "check"],
    ] {
        let out = common::run(&[&["--config", cfg.to_str().expect("utf-8")][..], args].concat());
        let err = common::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert!(
            err.starts_with("error: ") && err.contains("config.yaml:3"),
            "{args:?}: {err}"
        );
        assert!(common::stdout(&out).is_empty(), "{args:?}");
    }
    let out = common::run(&[
        "--config",
        cfg.to_str().expect("utf-8"),
        "nodes",
        "import",
        "/nonexistent/hosts.txt",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("/nonexistent/hosts.txt"));
    let out = common::run(&["explain", "xid", "nonsense"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).starts_with("error: "));
}
