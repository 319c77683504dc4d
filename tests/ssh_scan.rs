//! Kernel-log Xid scans over SSH against a real OpenSSH sshd on 127.0.0.1:
//! trust on first use, a changed host key refused and named, a wrong key
//! named, the scan's PCI bus ids mapped to the exporter's GPU indexes, and
//! the default kernel-log command run for real in the sshd session (journal,
//! or dmesg when journalctl is absent or has no entries).
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use aami_tui::app::{App, Event, Origin};
use aami_tui::domain::{Fleet, GpuSample, NodeSpec, ScrapeOutcome};
use aami_tui::ssh::{self, SshError, SshTarget};

use common::sshd::Sshd;

fn start_sshd() -> Sshd {
    common::sshd::start()
}

/// An sshd whose config ends with `extra` (e.g. `SetEnv PATH=...` for the
/// session's commands).
fn start_sshd_with(extra: &str) -> Sshd {
    common::sshd::start_with(extra)
}

fn target(s: &Sshd, key: &str) -> SshTarget {
    s.target(key)
}

const T: Duration = Duration::from_secs(10);

fn fixture_cmd() -> String {
    format!(
        "cat {}",
        common::fixture("xid/gpud_dmesg-with-xid-119_H100x8-XE9680.log").display()
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scan_over_ssh_pins_the_host_key_and_refuses_a_changed_one() {
    let sshd = start_sshd();
    let known: PathBuf = sshd.dir.path().join("aami_known_hosts");
    let t = target(&sshd, "user_ed25519");
    let report = ssh::scan_kernel_log(&t, &fixture_cmd(), &known, T, T)
        .await
        .unwrap();
    assert!(!report.events.is_empty(), "the fixture's Xid 119 events");
    assert!(report.events.iter().all(|e| e.code == 119));
    assert!(
        std::fs::read_to_string(&known)
            .unwrap()
            .contains(&format!("[127.0.0.1]:{}", sshd.port)),
        "host key pinned"
    );
    // Second run uses the pinned key.
    assert!(ssh::run(&t, "true", &known, T, T).await.is_ok());
    // The node's host key changes: refused, with the file and line named.
    let other = std::fs::read_to_string(sshd.dir.path().join("other_ed25519.pub")).unwrap();
    let blob = other.split_whitespace().nth(1).unwrap();
    std::fs::write(
        &known,
        format!("[127.0.0.1]:{} ssh-ed25519 {blob}\n", sshd.port),
    )
    .unwrap();
    match ssh::run(&t, "true", &known, T, T).await {
        Err(SshError::HostKeyChanged { line, .. }) => assert_eq!(line, 1),
        other => panic!("{other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_key_and_missing_key_are_named() {
    let sshd = start_sshd();
    let known = sshd.dir.path().join("kh");
    match ssh::run(&target(&sshd, "other_ed25519"), "true", &known, T, T).await {
        Err(SshError::AuthRejected { key, .. }) => assert!(key.ends_with("other_ed25519")),
        other => panic!("{other:?}"),
    }
    match ssh::run(&target(&sshd, "no_such_key"), "true", &known, T, T).await {
        Err(SshError::Key { path, .. }) => assert!(path.ends_with("no_such_key")),
        other => panic!("{other:?}"),
    }
    let closed = SshTarget {
        port: Some(common::servers::free_port()),
        ..target(&sshd, "user_ed25519")
    };
    assert!(matches!(
        ssh::run(&closed, "true", &known, T, T).await,
        Err(SshError::Connect { .. })
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scanned_xids_map_to_gpu_indexes_and_raise_alerts() {
    let sshd = start_sshd();
    let report = ssh::scan_kernel_log(
        &target(&sshd, "user_ed25519"),
        &fixture_cmd(),
        &sshd.dir.path().join("kh"),
        T,
        T,
    )
    .await
    .unwrap();
    // The XE9680's GPU 4 is at PCI 0000:9b:00 (from the log's own "GPU at" line).
    let gpu = |index: u32, bus: &str| GpuSample {
        index,
        pci_bus_id: Some(bus.into()),
        ..Default::default()
    };
    let mut fleet = Fleet::new(
        "c",
        vec![NodeSpec {
            name: "xe9680".into(),
            ..Default::default()
        }],
        8,
    );
    let now = Instant::now();
    fleet.apply_refresh(
        vec![ScrapeOutcome {
            node: 0,
            gpus: Ok(vec![gpu(3, "00000000:8A:00.0"), gpu(4, "00000000:9B:00.0")]),
            host: None,
        }],
        now,
        Duration::ZERO,
    );
    let mut app = App::new(fleet, Origin::Live, now);
    app.on_event(Event::KernelXids {
        node: 0,
        events: report
            .events
            .iter()
            .map(|e| (e.pci_bus.clone(), e.code))
            .collect(),
    });
    let alerts = &app.fleet.nodes[0].alerts;
    let a = alerts
        .iter()
        .find(|a| a.xid == Some(119))
        .expect("an Xid 119 alert");
    assert_eq!(a.gpu, Some(4), "bus 0000:9b:00 is GPU 4");
    assert!(
        app.notice
            .as_deref()
            .unwrap_or("")
            .contains("matched to a GPU"),
        "{:?}",
        app.notice
    );
}

#[test]
fn cli_scans_a_configured_node_over_ssh() {
    // A node without journalctl: the CLI's default command falls back to dmesg.
    let tools = tempfile::tempdir().unwrap();
    let fake = FakeLogTools::new(tools.path(), None);
    let sshd = start_sshd_with(&fake.path_only());
    let cfg = sshd.dir.path().join("config.yaml");
    let user = std::env::var("USER").unwrap_or_else(|_| "root".into());
    std::fs::write(
        &cfg,
        format!(
            "nodes:\n  - name: xe9680\n    ip: 127.0.0.1\n    ssh_port: {}\n    ssh_user: {user}\n    ssh_key: {}\n",
            sshd.port,
            sshd.dir.path().join("user_ed25519").display()
        ),
    )
    .unwrap();
    let home = tempfile::tempdir().unwrap();
    let out = Command::new(common::bin())
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "xid",
            "scan",
            "--json",
            "--node",
            "xe9680",
        ])
        .env("HOME", home.path())
        .env("XDG_CONFIG_HOME", home.path())
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let events = v["events"].as_array().unwrap();
    assert!(!events.is_empty(), "the dmesg fixture's Xid 119 events");
    assert!(events.iter().all(|e| e["code"] == 119));
    assert_eq!(fake.calls(), ["dmesg -T"]);
    let out = Command::new(common::bin())
        .args([
            "--config",
            cfg.to_str().unwrap(),
            "xid",
            "scan",
            "--node",
            "nope",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no node named \"nope\""));
}

/// The journal as `journalctl -k` prints it (derived from the dmesg capture,
/// see tests/fixtures/xid/PROVENANCE.md) and the real `dmesg -T` capture.
const JOURNAL_FIXTURE: &str = "xid/derived_journalctl-k_xid119_from-gpud-XE9680.log";
const DMESG_FIXTURE: &str = "xid/gpud_dmesg-with-xid-119_H100x8-XE9680.log";

/// Stand-ins for a node's `journalctl` and `dmesg`, put first on the sshd
/// session's PATH. Each records how it was called and prints a fixture.
struct FakeLogTools {
    bin: PathBuf,
    calls: PathBuf,
}

enum Journal {
    /// The journal holds the kernel log.
    Entries,
    /// No journal files, as systemd 252's journalctl answers on a machine
    /// without a journal (checked on Debian 12): "-- No entries --" on
    /// stdout unless `-q`, a note on stderr, exit status 0.
    NoEntries,
}

impl FakeLogTools {
    /// `journal: None` installs no journalctl at all.
    fn new(dir: &Path, journal: Option<Journal>) -> Self {
        let bin = dir.join("bin");
        std::fs::create_dir_all(&bin).unwrap();
        let calls = dir.join("calls");
        std::fs::write(&calls, "").unwrap();
        let log_call = |name: &str| format!("echo \"{name} $*\" >> {}", calls.display());
        let script = |name: &str, body: String| {
            use std::os::unix::fs::PermissionsExt;
            let p = bin.join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{}\n{body}\n", log_call(name))).unwrap();
            std::fs::set_permissions(&p, std::fs::Permissions::from_mode(0o755)).unwrap();
        };
        // Absolute paths: a session PATH without /usr/bin must still work.
        let cat = |rel: &str| format!("exec /bin/cat {}", common::fixture(rel).display());
        script("dmesg", cat(DMESG_FIXTURE));
        match journal {
            Some(Journal::Entries) => script("journalctl", cat(JOURNAL_FIXTURE)),
            Some(Journal::NoEntries) => script(
                "journalctl",
                "case \" $* \" in *\" -q \"*) ;; *) echo '-- No entries --' ;; esac\n\
                 echo 'No journal files were found.' >&2\nexit 0"
                    .into(),
            ),
            None => {}
        }
        Self { bin, calls }
    }

    /// sshd config: the fakes first, then the system's tools.
    fn path_first(&self) -> String {
        format!("SetEnv PATH={}:/usr/bin:/bin", self.bin.display())
    }

    /// sshd config: only the fakes, so a missing one is really missing.
    fn path_only(&self) -> String {
        format!("SetEnv PATH={}", self.bin.display())
    }

    fn calls(&self) -> Vec<String> {
        std::fs::read_to_string(&self.calls)
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

const JOURNALCTL_CALL: &str = "journalctl -q -k --since -24h --no-pager";

/// Runs the default kernel-log command in a session whose PATH the sshd
/// config sets; the report and the fakes' calls.
async fn default_scan(
    journal: Option<Journal>,
    path_only: bool,
) -> (aami_tui::xid::ScanReport, Vec<String>) {
    let tools = tempfile::tempdir().unwrap();
    let fake = FakeLogTools::new(tools.path(), journal);
    let sshd = start_sshd_with(&if path_only {
        fake.path_only()
    } else {
        fake.path_first()
    });
    let report = ssh::scan_kernel_log(
        &target(&sshd, "user_ed25519"),
        ssh::KERNEL_LOG_COMMAND,
        &sshd.dir.path().join("kh"),
        T,
        T,
    )
    .await
    .unwrap();
    assert!(
        !report.events.is_empty(),
        "no events; the fakes were called as {:?}",
        fake.calls()
    );
    assert!(report.events.iter().all(|e| e.code == 119));
    (report, fake.calls())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_command_reads_the_kernel_journal() {
    let (report, calls) = default_scan(Some(Journal::Entries), false).await;
    assert_eq!(calls, [JOURNALCTL_CALL], "dmesg not needed");
    // The journal's own time format, not dmesg -T's "Sun Feb 23 ... 2025".
    let time = report.events[0].time.as_deref().unwrap_or("");
    assert!(time.starts_with("Feb 23 16:"), "{time}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_command_falls_back_to_dmesg_when_the_journal_is_empty() {
    let (report, calls) = default_scan(Some(Journal::NoEntries), false).await;
    assert_eq!(calls, [JOURNALCTL_CALL, "dmesg -T"]);
    let time = report.events[0].time.as_deref().unwrap_or("");
    assert!(time.starts_with("Sun Feb 23 16:"), "{time}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_command_falls_back_to_dmesg_without_journalctl() {
    let (report, calls) = default_scan(None, true).await;
    assert_eq!(calls, ["dmesg -T"]);
    let time = report.events[0].time.as_deref().unwrap_or("");
    assert!(time.starts_with("Sun Feb 23 16:"), "{time}");
}
