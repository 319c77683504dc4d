//! `config check` on a folder of invalid configs: each error names the file,
//! line and field (bottom-style: one expected message per file).
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::fs;

#[test]
fn every_invalid_config_is_reported_with_its_place() {
    let dir = common::fixture("config/invalid");
    let mut checked = 0;
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().and_then(|e| e.to_str()) != Some("yaml") {
            continue;
        }
        let expect = fs::read_to_string(path.with_extension("expect")).unwrap();
        let out = common::run(&["--config", path.to_str().unwrap(), "config", "check"]);
        let err = common::stderr(&out);
        assert_eq!(out.status.code(), Some(2), "{}: {err}", path.display());
        assert!(
            err.contains(path.file_name().unwrap().to_str().unwrap()),
            "names the file: {err}"
        );
        for want in expect.lines().filter(|l| !l.is_empty()) {
            assert!(
                err.contains(want),
                "{}: expected {want:?} in:\n{err}",
                path.display()
            );
        }
        checked += 1;
    }
    assert!(checked >= 9, "only {checked} invalid configs found");
}

#[test]
fn starter_file_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("sub/config.yaml");
    let p = cfg.to_str().unwrap();
    let out = common::run(&["--config", p, "config", "init"]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let out = common::run(&["--config", p, "config", "check"]);
    assert!(
        common::stdout(&out).contains("ok"),
        "{}",
        common::stderr(&out)
    );
    // A second init refuses to clobber.
    let out = common::run(&["config", "init", "--config", p]);
    assert_eq!(out.status.code(), Some(2));
    assert!(common::stderr(&out).contains("--force"));
    let out = common::run(&["--config", p, "config", "path"]);
    assert_eq!(common::stdout(&out).trim(), p);
    assert!(common::stderr(&out).contains("--config"));
}

#[test]
fn env_var_config_is_used_when_no_flag() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("env.yaml");
    fs::write(&cfg, "cluster:\n  name: from-env\n").unwrap();
    let out = std::process::Command::new(common::bin())
        .args(["config", "check"])
        .env("AAMI_CONFIG", &cfg)
        .output()
        .unwrap();
    assert!(
        common::stdout(&out).contains("from-env"),
        "{}",
        common::stderr(&out)
    );
}

#[test]
fn valid_file_with_env_expansion_loads() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("c.yaml");
    fs::write(&cfg, "cluster:\n  name: ${AAMI_TEST_CLUSTER}\nnodes:\n  - {name: a, ip: 127.0.1.1, labels: {rack: r1}}\n").unwrap();
    let out = std::process::Command::new(common::bin())
        .args(["--config", cfg.to_str().unwrap(), "config", "check"])
        .env("AAMI_TEST_CLUSTER", "prod-east")
        .output()
        .unwrap();
    let s = common::stdout(&out);
    assert!(
        s.contains("\"prod-east\"") && s.contains("1 node"),
        "{s}{}",
        common::stderr(&out)
    );
}
