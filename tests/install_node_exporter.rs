//! Installing Debian's real node_exporter through a bundle over a real
//! sshd (root, 127.0.0.1, temp prefix). There is no systemd here, so the
//! pidfile path runs: install, /metrics verified over HTTP, a second run
//! unchanged, upgrade to a second manifest version and back by rollback,
//! an upgrade to a binary that exits at once rolled back automatically,
//! uninstall. The unit systemd would get is checked against a golden file
//! and with `systemd-analyze verify`.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::path::Path;
use std::process::Command;

use aami_tui::install::{ComponentKind, unit};

const NODE_EXPORTER: &str = "/usr/bin/prometheus-node-exporter";

use common::installed::InstalledNode as Fixture;

fn fixture(sshd: &common::sshd::Sshd) -> Fixture {
    common::require(NODE_EXPORTER, "prometheus-node-exporter");
    let dir = tempfile::tempdir().unwrap();
    let port = common::servers::free_port();
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "nodes:\n  - name: n1\n    ip: 127.0.0.1\n    ssh_user: {}\n    ssh_port: {}\n    ssh_key: {}\n    exporters:\n      node: {port}\n      dcgm: null\ninstall:\n  prefix: {}\nssh:\n  retry:\n    max_attempts: 1\n",
            common::sshd::user(),
            sshd.port,
            sshd.dir.path().join("user_ed25519").display(),
            dir.path().join("opt").display(),
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&config, std::fs::Permissions::from_mode(0o600)).unwrap();
    // 1.5.0+r2 is the same binary under a second manifest version (node_exporter
    // reports 1.5.0 for both); 9.9 is a script that exits at once.
    let exits = dir.path().join("exits");
    std::fs::write(&exits, "#!/bin/sh\necho 'bad build' >&2\nexit 3\n").unwrap();
    let bundle = dir.path().join("bundle.tar");
    let o = common::run(&[
        "bundle",
        "create",
        "--output",
        bundle.to_str().unwrap(),
        "--component",
        &format!("node_exporter={NODE_EXPORTER}@1.5.0"),
        "--component",
        &format!("node_exporter={NODE_EXPORTER}@1.5.0+r2"),
        "--component",
        &format!("node_exporter={}@9.9", exits.display()),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    Fixture {
        kind: ComponentKind::NodeExporter,
        dir,
        config,
        bundle,
        port,
    }
}

#[test]
fn install_verify_upgrade_rollback_and_uninstall_over_ssh() {
    let sshd = common::sshd::start();
    let f = fixture(&sshd);
    let b = f.bundle.to_str().unwrap();
    let install = [
        "install",
        "node_exporter",
        "--node",
        "n1",
        "--bundle",
        b,
        "--version",
        "1.5.0",
    ];

    // An unknown host key: refused with its fingerprint and how to accept.
    let o = f.run(&install);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        common::stdout(&o).contains(&sshd.host_fingerprint()),
        "{}",
        common::stdout(&o)
    );
    assert!(common::stdout(&o).contains("--accept-new"));
    assert!(!f.prefix().exists(), "nothing done on the node");

    let mut accepted: Vec<&str> = install.to_vec();
    accepted.push("--accept-new");
    let out = f.ok(&accepted);
    assert!(out.contains("n1  node_exporter  installed 1.5.0"), "{out}");
    assert_eq!(f.current(), "1.5.0");
    let page = f.metrics();
    assert!(page.contains("node_cpu_seconds_total"));
    assert!(page.contains("version=\"1.5.0\""));
    // Remembered: no --accept-new needed any more, and nothing changes.
    let pid = std::fs::read_to_string(f.prefix().join("node_exporter/run.pid")).unwrap();
    let out = f.ok(&install);
    assert!(out.contains("unchanged (1.5.0)"), "{out}");
    assert_eq!(
        std::fs::read_to_string(f.prefix().join("node_exporter/run.pid")).unwrap(),
        pid,
        "not restarted"
    );
    assert!(
        f.ok(&["verify", "node_exporter", "--node", "n1"])
            .contains("verified 1.5.0")
    );

    // Upgrade and back.
    let out = f.ok(&[
        "upgrade",
        "node_exporter",
        "--all",
        "--bundle",
        b,
        "--version",
        "1.5.0+r2",
    ]);
    assert!(out.contains("upgraded 1.5.0 → 1.5.0+r2"), "{out}");
    assert_eq!(f.current(), "1.5.0+r2");
    let out = f.ok(&["rollback", "node_exporter", "--node", "n1"]);
    assert!(out.contains("rolled back 1.5.0+r2 → 1.5.0"), "{out}");
    assert_eq!(f.current(), "1.5.0");
    assert!(f.metrics().contains("node_cpu_seconds_total"));

    // A build that exits at once: verify fails, the previous version returns.
    let o = f.run(&[
        "upgrade",
        "node_exporter",
        "--node",
        "n1",
        "--bundle",
        b,
        "--version",
        "9.9",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let out = common::stdout(&o);
    assert!(out.contains("FAILED"), "{out}");
    assert!(out.contains("not running"), "{out}");
    assert!(
        out.contains("rolled back to 1.5.0, which is running"),
        "{out}"
    );
    assert_eq!(f.current(), "1.5.0");
    assert!(f.metrics().contains("node_cpu_seconds_total"));

    // A name with shell metacharacters never reaches the node.
    let o = f.run(&["verify", "node_exporter", "--node", "n1;reboot"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(common::stderr(&o).contains("not allowed"));

    let out = f.ok(&["uninstall", "node_exporter", "--node", "n1"]);
    assert!(out.contains("uninstalled 1.5.0"), "{out}");
    assert!(!f.prefix().join("node_exporter").exists());
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", f.port)).is_err(),
        "stopped"
    );
}

#[test]
fn the_systemd_unit_matches_its_golden_file_and_systemd_accepts_it() {
    let text = unit::render(ComponentKind::NodeExporter, "/opt/aami", 9100);
    let golden =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden/aami-node_exporter.service");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &text).unwrap();
    }
    assert_eq!(text, std::fs::read_to_string(&golden).expect("golden unit"));
    // systemd-analyze checks the unit, with ExecStart pointing at a real
    // binary under a temp prefix.
    common::require("systemd-analyze", "systemd");
    let dir = tempfile::tempdir().unwrap();
    let prefix = dir.path().join("opt");
    std::fs::create_dir_all(prefix.join("node_exporter/1.5.0")).unwrap();
    std::fs::copy(
        NODE_EXPORTER,
        prefix.join("node_exporter/1.5.0/node_exporter"),
    )
    .unwrap();
    std::os::unix::fs::symlink("1.5.0", prefix.join("node_exporter/current")).unwrap();
    let file = dir
        .path()
        .join(unit::unit_name(ComponentKind::NodeExporter));
    std::fs::write(
        &file,
        unit::render(ComponentKind::NodeExporter, prefix.to_str().unwrap(), 9100),
    )
    .unwrap();
    let o = Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&file)
        .output()
        .unwrap();
    let err = common::stderr(&o);
    assert!(o.status.success(), "{err}");
    assert!(
        !err.contains("Unknown key") && !err.contains("Failed to parse"),
        "{err}"
    );
}

/// The same install from the TUI, as an operator does it: `i` on the node,
/// the form (exporter, bundle), the confirm that lists the node, `y`, and
/// the job in the action log until it says ok; then /metrics answers, and
/// the fleet and node panes show the version.
#[test]
fn install_from_the_tui_keyboard_only() {
    common::require("tmux", "tmux");
    let sshd = common::sshd::start();
    let f = fixture(&sshd);
    // Pin the node's host key the way the CLI does it (--accept-new), so
    // the TUI's job connects without asking (verify itself fails: nothing
    // is installed yet).
    let pinned = f.run(&["verify", "node_exporter", "--node", "n1", "--accept-new"]);
    assert!(
        common::stdout(&pinned).contains("not installed"),
        "{}",
        common::stderr(&pinned)
    );
    let t = common::tmux::Tmux {
        socket: format!("aami-install-{}", std::process::id()),
    };
    let script = format!(
        "HOME={home} AAMI_STATE_DIR={home}/state {bin} --config {cfg}; echo EXIT=$?; sleep 30",
        home = f.dir.path().display(),
        bin = common::bin(),
        cfg = f.config.display()
    );
    let out = t.run(&[
        "new-session",
        "-d",
        "-x",
        "160",
        "-y",
        "48",
        "sh",
        "-c",
        &script,
    ]);
    assert!(out.status.success());
    t.wait_for("n1", std::time::Duration::from_secs(20));
    t.keys(&["i"]);
    t.wait_for("Install an exporter", std::time::Duration::from_secs(5));
    t.keys(&["Tab"]);
    t.type_text(f.bundle.to_str().unwrap());
    t.keys(&["Tab"]);
    t.type_text("1.5.0");
    t.keys(&["Enter"]);
    let dialog = t.wait_for("confirm: 1 target", std::time::Duration::from_secs(5));
    assert!(
        dialog.contains("install node_exporter 1.5.0 from") && dialog.contains("• n1"),
        "{dialog}"
    );
    t.keys(&["y", "L"]);
    let log = t.wait(
        "the install job to end",
        std::time::Duration::from_secs(90),
        |s| {
            s.lines()
                .any(|l| l.contains("exporter") && (l.contains(" ok ") || l.contains("failed")))
        },
    );
    let row = log
        .lines()
        .find(|l| l.contains("exporter") && l.contains("n1"))
        .unwrap_or_default()
        .to_string();
    assert!(row.contains(" ok "), "{log}");
    assert!(f.metrics().contains("node_cpu_seconds_total"));
    assert!(f.current().ends_with("1.5.0"), "{}", f.current());
    // The fleet and node panes say what runs there now.
    t.keys(&["1"]);
    let fleet = t.wait_for("EXPORTERS", std::time::Duration::from_secs(10));
    assert!(fleet.contains("node 1.5.0"), "{fleet}");
    t.keys(&["Enter"]);
    let pane = t.wait_for(
        "exporters  node_exporter 1.5.0 (installed ",
        std::time::Duration::from_secs(10),
    );
    assert!(pane.contains(" UTC)"), "{pane}");
    t.keys(&["q"]);
    t.wait_for("EXIT=0", std::time::Duration::from_secs(10));
}

/// The SSH connection dies in the middle of an upgrade's upload (the sshd
/// serving it is killed, as a crash or a dropped link would end it): the
/// action fails with the reason, and the version that ran before keeps
/// running and answering, untouched. The upgrade's binary is node_exporter
/// padded to 160 MiB so the upload takes long enough to be caught.
#[test]
fn a_connection_killed_mid_upload_leaves_the_old_version_running() {
    let sshd = common::sshd::start();
    let f = fixture(&sshd);
    let big = f.dir.path().join("node_exporter-padded");
    let mut bytes = std::fs::read(NODE_EXPORTER).unwrap();
    bytes.resize(bytes.len() + (160 << 20), 0);
    std::fs::write(&big, &bytes).unwrap();
    drop(bytes);
    let bundle = f.dir.path().join("big.tar");
    let o = common::run(&[
        "bundle",
        "create",
        "--output",
        bundle.to_str().unwrap(),
        "--component",
        &format!("node_exporter={NODE_EXPORTER}@1.5.0"),
        "--component",
        &format!("node_exporter={}@2.0", big.display()),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let b = bundle.to_str().unwrap();
    let out = f.ok(&[
        "install",
        "node_exporter",
        "--node",
        "n1",
        "--bundle",
        b,
        "--version",
        "1.5.0",
        "--accept-new",
    ]);
    assert!(out.contains("installed 1.5.0"), "{out}");
    let pid = std::fs::read_to_string(f.prefix().join("node_exporter/run.pid")).unwrap();

    let upgrade = Command::new(common::bin())
        .arg("--config")
        .arg(&f.config)
        .args(["upgrade", "node_exporter", "--node", "n1", "--bundle", b])
        .args(["--version", "2.0"])
        .env("HOME", f.dir.path())
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("SSH_AUTH_SOCK")
        .env_remove("AAMI_CONFIG")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Once the upload is under way (a few MiB on the node), the connection dies.
    let part = f.prefix().join("node_exporter/2.0/node_exporter.part");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let size = std::fs::metadata(&part).map(|m| m.len()).unwrap_or(0);
        if size > 4 << 20 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the upload never started ({size} bytes)"
        );
        std::thread::sleep(std::time::Duration::from_millis(2));
    }
    assert!(sshd.kill_sessions() >= 1, "no session to kill");
    let o = upgrade.wait_with_output().unwrap();
    let out = common::stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", common::stderr(&o));
    assert!(
        out.contains("n1  node_exporter  FAILED: upload of 2.0 failed"),
        "{out}"
    );
    assert!(out.contains("connection"), "{out}");
    assert!(out.contains("1.5.0 keeps running"), "{out}");
    // Nothing switched, nothing restarted, and it still answers.
    assert_eq!(f.current(), "1.5.0");
    assert_eq!(
        std::fs::read_to_string(f.prefix().join("node_exporter/run.pid")).unwrap(),
        pid
    );
    let page = f.metrics();
    assert!(page.contains("node_cpu_seconds_total"));
    assert!(page.contains("version=\"1.5.0\""));
    // The node is reachable again: verify says 1.5.0 is fine.
    assert!(
        f.ok(&["verify", "node_exporter", "--node", "n1"])
            .contains("verified 1.5.0")
    );
}

/// An upgrade to a build that starts but never answers (`exec sleep`), so
/// verify waits; returned once the old version has stopped and `current`
/// points at the new one, with the running `upgrade` command.
fn upgrade_stuck_after_the_old_stopped(f: &Fixture) -> std::process::Child {
    let hangs = f.dir.path().join("hangs");
    std::fs::write(&hangs, "#!/bin/sh\nexec sleep 600\n").unwrap();
    let bundle = f.dir.path().join("hangs.tar");
    let o = common::run(&[
        "bundle",
        "create",
        "--output",
        bundle.to_str().unwrap(),
        "--component",
        &format!("node_exporter={NODE_EXPORTER}@1.5.0"),
        "--component",
        &format!("node_exporter={}@3.0", hangs.display()),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let b = bundle.to_str().unwrap();
    let out = f.ok(&[
        "install",
        "node_exporter",
        "--node",
        "n1",
        "--bundle",
        b,
        "--version",
        "1.5.0",
        "--accept-new",
    ]);
    assert!(out.contains("installed 1.5.0"), "{out}");
    let old_pid = std::fs::read_to_string(f.prefix().join("node_exporter/run.pid")).unwrap();
    let upgrade = Command::new(common::bin())
        .arg("--config")
        .arg(&f.config)
        .args(["upgrade", "node_exporter", "--node", "n1", "--bundle", b])
        .args(["--version", "3.0", "--verify-timeout", "60"])
        .env("HOME", f.dir.path())
        .env_remove("XDG_CONFIG_HOME")
        .env_remove("SSH_AUTH_SOCK")
        .env_remove("AAMI_CONFIG")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    loop {
        let old_gone = !Command::new("kill")
            .args(["-0", old_pid.trim()])
            .status()
            .unwrap()
            .success();
        if old_gone && f.current() == "3.0" {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the old version never stopped"
        );
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", f.port)).is_err(),
        "1.5.0 is stopped"
    );
    upgrade
}

/// The connection dies after the old version has stopped (the new one is
/// being verified): the rollback connects again and puts 1.5.0 back.
#[test]
fn a_connection_lost_after_the_old_version_stopped_is_rolled_back_on_a_new_one() {
    let sshd = common::sshd::start();
    let f = fixture(&sshd);
    let upgrade = upgrade_stuck_after_the_old_stopped(&f);
    assert!(sshd.kill_sessions() >= 1, "no session to kill");
    let o = upgrade.wait_with_output().unwrap();
    let out = common::stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", common::stderr(&o));
    assert!(
        out.contains("rolled back to 1.5.0, which is running (connected again after"),
        "{out}"
    );
    assert_eq!(f.current(), "1.5.0");
    let page = f.metrics();
    assert!(page.contains("version=\"1.5.0\""), "{page}");
}

/// The node stays unreachable after the old version stopped: the failure
/// says so and names the command; once the node is back, that command puts
/// 1.5.0 back.
#[test]
fn a_node_unreachable_after_the_old_version_stopped_names_the_rollback_command() {
    let mut sshd = common::sshd::start();
    let f = fixture(&sshd);
    let upgrade = upgrade_stuck_after_the_old_stopped(&f);
    sshd.stop();
    let o = upgrade.wait_with_output().unwrap();
    let out = common::stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}{}", common::stderr(&o));
    assert!(
        out.contains("rolling back to 1.5.0 needs the node, which is unreachable (cannot connect to 127.0.0.1"),
        "{out}"
    );
    assert!(
        out.contains(
            "when the node answers again, run `aami-tui rollback node_exporter --node n1`"
        ),
        "{out}"
    );
    assert_eq!(f.current(), "3.0");
    assert!(std::net::TcpStream::connect(("127.0.0.1", f.port)).is_err());
    sshd.restart();
    let out = f.ok(&["rollback", "node_exporter", "--node", "n1"]);
    assert!(out.contains("rolled back 3.0 → 1.5.0"), "{out}");
    assert!(f.metrics().contains("version=\"1.5.0\""));
}
