//! `bundle create | inspect | verify` with Debian's real node_exporter
//! binary: version read from `--version`, ELF platform, sha256 as
//! sha256sum computes it; a flipped byte and a truncated file are refused,
//! naming the file that fails.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::process::Command;

const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";

fn sha256sum(path: &str) -> String {
    let out = Command::new("sha256sum")
        .arg(path)
        .output()
        .expect("sha256sum");
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .expect("sum")
        .to_string()
}

#[test]
fn create_inspect_verify_and_refuse_damage() {
    common::require(NODE_EXPORTER, "prometheus-node-exporter");
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("exits");
    std::fs::write(&script, "#!/bin/sh\nexit 3\n").unwrap();
    let bundle = dir.path().join("b.tar");
    let b = bundle.to_str().unwrap();
    let o = common::run(&[
        "bundle",
        "create",
        "--output",
        b,
        "--component",
        &format!("node_exporter={NODE_EXPORTER}"),
        "--component",
        &format!("broken={}@0.1", script.display()),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let o = common::run(&["bundle", "inspect", b]);
    let text = common::stdout(&o);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let line = text
        .lines()
        .find(|l| l.starts_with("node_exporter"))
        .expect("node_exporter row");
    assert!(line.contains("1.5.0"), "{line}");
    assert!(
        line.contains("linux/x86_64") || line.contains("linux/aarch64"),
        "{line}"
    );
    assert!(line.contains(&sha256sum(NODE_EXPORTER)), "{line}");
    assert!(
        text.contains("broken") && text.contains("any/any"),
        "{text}"
    );
    let o = common::run(&["bundle", "verify", b]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    assert!(common::stdout(&o).contains("2 files match"));

    // One byte flipped inside the node_exporter file.
    let good = std::fs::read(&bundle).unwrap();
    let mut bad = good.clone();
    let at = 4096 + 1024 + 10_000; // past the manifest's header and data
    bad[at] ^= 0xff;
    std::fs::write(&bundle, &bad).unwrap();
    let o = common::run(&["bundle", "verify", b]);
    assert_eq!(o.status.code(), Some(1));
    let err = common::stderr(&o);
    assert!(
        err.contains("components/node_exporter/1.5.0/node_exporter"),
        "{err}"
    );
    assert!(err.contains("sha256"), "{err}");

    // Cut short in the middle of node_exporter.
    std::fs::write(&bundle, &good[..good.len() / 2]).unwrap();
    let o = common::run(&["bundle", "verify", b]);
    assert_eq!(o.status.code(), Some(1));
    let err = common::stderr(&o);
    assert!(
        err.contains("components/node_exporter/1.5.0/node_exporter"),
        "{err}"
    );
    assert!(err.contains("cut short"), "{err}");

    // A name with shell metacharacters never gets in.
    let o = common::run(&[
        "bundle",
        "create",
        "--output",
        b,
        "--component",
        &format!("x;reboot={NODE_EXPORTER}@1"),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(common::stderr(&o).contains("not allowed"));
}
