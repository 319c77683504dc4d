//! Permissions of a rewritten config file and its `.bak`: the stricter of
//! the mode the user chose and "a file holding a secret is 0600".
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;

const PLAIN: &str = "cluster:\n  name: modes\nnodes:\n  - name: a\n    ip: 127.0.0.2\n";
const WITH_SECRET: &str = "cluster:\n  name: modes\nnodes:\n  - name: a\n    ip: 127.0.0.2\ngrafana:\n  admin_password: hunter2\n";

fn mode(p: &Path) -> u32 {
    fs::metadata(p).expect("stat").permissions().mode() & 0o777
}

/// Writes `text` with `user_mode`, adds a node through the CLI, and returns
/// (new file's mode, .bak's mode).
fn after_nodes_add(text: &str, user_mode: u32) -> (u32, u32) {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = dir.path().join("config.yaml");
    fs::write(&cfg, text).expect("write");
    fs::set_permissions(&cfg, fs::Permissions::from_mode(user_mode)).expect("chmod");
    let out = common::run(&[
        "--config",
        cfg.to_str().expect("utf-8"),
        "nodes",
        "add",
        "b",
        "--ip",
        "127.0.0.3",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", common::stderr(&out));
    let bak = dir.path().join("config.yaml.bak");
    assert_eq!(
        fs::read_to_string(&bak).expect("bak"),
        text,
        "bak keeps the old text"
    );
    (mode(&cfg), mode(&bak))
}

#[test]
fn a_file_holding_a_secret_and_its_backup_are_owner_only() {
    // The user left it world-readable; the new file and the old contents
    // (which hold the same password) both become 0600.
    assert_eq!(after_nodes_add(WITH_SECRET, 0o644), (0o600, 0o600));
    assert_eq!(after_nodes_add(WITH_SECRET, 0o640), (0o600, 0o600));
}

#[test]
fn a_mode_the_user_chose_is_never_loosened() {
    assert_eq!(after_nodes_add(PLAIN, 0o600), (0o600, 0o600));
    assert_eq!(after_nodes_add(PLAIN, 0o640), (0o640, 0o640));
    assert_eq!(after_nodes_add(PLAIN, 0o644), (0o644, 0o644));
    assert_eq!(after_nodes_add(WITH_SECRET, 0o400), (0o400, 0o400));
}

#[test]
fn a_new_file_is_owner_only_only_when_it_holds_a_secret() {
    let dir = tempfile::tempdir().expect("tempdir");
    let plain = dir.path().join("plain.yaml");
    aami_tui::config::write::save_atomic(&plain, PLAIN, false).expect("save");
    assert_eq!(mode(&plain) & 0o600, 0o600);
    assert_eq!(
        mode(&plain) & 0o077,
        0o044 & !umask(),
        "0644 less the umask"
    );
    let secret = dir.path().join("secret.yaml");
    aami_tui::config::write::save_atomic(&secret, WITH_SECRET, true).expect("save");
    assert_eq!(mode(&secret), 0o600);
}

/// The process umask, read from /proc (setting it would race other tests).
fn umask() -> u32 {
    let status = fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix("Umask:"))
        .and_then(|v| u32::from_str_radix(v.trim(), 8).ok())
        .expect("Umask line")
}
