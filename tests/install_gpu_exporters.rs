//! dcgm-exporter and all-smi installed through a bundle over a real sshd
//! (127.0.0.1, temp prefix, the pidfile path: no systemd here): install,
//! verify (the page's families over HTTP), a second install unchanged,
//! upgrade, rollback, uninstall. Neither real binary can run here (they
//! need a GPU, and dcgm-exporter DCGM), so the bundle carries
//! examples/stub_exporter.rs: a stub that takes each one's real flags as
//! the run template passes them (refusing any other) and serves a real
//! capture of its page (tests/fixtures/dcgm, tests/fixtures/all_smi; see
//! PROVENANCE.md there). The two versions are the same stub under two
//! manifest versions. The units systemd would get are checked against
//! golden files (no PrivateDevices, no ProtectProc) and with
//! `systemd-analyze verify`.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use aami_tui::install::{ComponentKind, unit};

/// Builds the stub with rustc alone (it uses only the standard library).
fn build_stub(dir: &Path) -> PathBuf {
    let out = dir.join("stub_exporter");
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/stub_exporter.rs");
    let rustc = std::env::var("RUSTC").unwrap_or_else(|_| "rustc".into());
    let o = Command::new(rustc)
        .args(["--edition", "2024", "-O", "-o"])
        .arg(&out)
        .arg(&src)
        .output()
        .expect("rustc: the stub exporter is built with the toolchain that runs the tests");
    assert!(o.status.success(), "{}", common::stderr(&o));
    out
}

struct Node {
    kind: ComponentKind,
    dir: tempfile::TempDir,
    config: PathBuf,
    bundle: PathBuf,
    port: u16,
}

impl Drop for Node {
    /// Stops whatever exporter the test left running.
    fn drop(&mut self) {
        if let Ok(pid) = std::fs::read_to_string(self.home().join("run.pid")) {
            let _ = Command::new("kill").arg(pid.trim()).status();
        }
    }
}

impl Node {
    fn home(&self) -> PathBuf {
        self.dir.path().join("opt").join(self.kind.name())
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new(common::bin())
            .arg("--config")
            .arg(&self.config)
            .args(args)
            .env("HOME", self.dir.path())
            .env_remove("XDG_CONFIG_HOME")
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("AAMI_CONFIG")
            .env("NO_COLOR", "1")
            .output()
            .expect("run aami-tui")
    }

    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert!(
            o.status.success(),
            "{args:?}: {}{}",
            common::stdout(&o),
            common::stderr(&o)
        );
        common::stdout(&o)
    }

    fn current(&self) -> String {
        std::fs::read_link(self.home().join("current"))
            .map(|p| p.display().to_string())
            .unwrap_or_default()
    }

    fn metrics(&self) -> String {
        let rt = tokio::runtime::Runtime::new().unwrap();
        rt.block_on(async {
            reqwest::get(format!("http://127.0.0.1:{}/metrics", self.port))
                .await
                .expect("GET /metrics")
                .text()
                .await
                .expect("body")
        })
    }
}

/// A node n1 on `sshd` whose `kind` port is free, and a bundle with the
/// stub as `kind` at two versions.
fn node(sshd: &common::sshd::Sshd, kind: ComponentKind) -> Node {
    let dir = tempfile::tempdir().unwrap();
    let stub = build_stub(dir.path());
    let port = common::servers::free_port();
    let key = match kind {
        ComponentKind::DcgmExporter => "dcgm",
        ComponentKind::AllSmi => "all_smi",
        ComponentKind::NodeExporter => "node",
    };
    let config = dir.path().join("config.yaml");
    std::fs::write(
        &config,
        format!(
            "nodes:\n  - name: n1\n    ip: 127.0.0.1\n    ssh_user: {}\n    ssh_port: {}\n    ssh_key: {}\n    exporters:\n      {key}: {port}\ninstall:\n  prefix: {}\nssh:\n  retry:\n    max_attempts: 1\n",
            common::sshd::user(),
            sshd.port,
            sshd.dir.path().join("user_ed25519").display(),
            dir.path().join("opt").display(),
        ),
    )
    .unwrap();
    let bundle = dir.path().join("bundle.tar");
    let o = common::run(&[
        "bundle",
        "create",
        "--output",
        bundle.to_str().unwrap(),
        "--component",
        &format!("{}={}@1.0.0", kind.name(), stub.display()),
        "--component",
        &format!("{}={}@1.0.1", kind.name(), stub.display()),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    Node {
        kind,
        dir,
        config,
        bundle,
        port,
    }
}

/// Install, verify, unchanged, upgrade, rollback, uninstall: `family` is
/// on the page each time it is checked.
fn install_upgrade_rollback(kind: ComponentKind, family: &str) {
    let sshd = common::sshd::start();
    let n = node(&sshd, kind);
    let name = kind.name();
    let b = n.bundle.to_str().unwrap();
    let install = ["install", name, "--node", "n1", "--bundle", b, "--version"];
    let out = n.ok(&[&install[..], &["1.0.0", "--accept-new"]].concat());
    assert!(
        out.contains(&format!("n1  {name}  installed 1.0.0")),
        "{out}"
    );
    assert_eq!(n.current(), "1.0.0");
    let page = n.metrics();
    assert!(page.contains(family), "{page}");
    let pid = std::fs::read_to_string(n.home().join("run.pid")).unwrap();
    let out = n.ok(&[&install[..], &["1.0.0"]].concat());
    assert!(out.contains("unchanged (1.0.0)"), "{out}");
    assert_eq!(
        std::fs::read_to_string(n.home().join("run.pid")).unwrap(),
        pid,
        "not restarted"
    );
    let out = n.ok(&["verify", name, "--node", "n1"]);
    assert!(out.contains("verified 1.0.0"), "{out}");

    let out = n.ok(&[
        "upgrade",
        name,
        "--all",
        "--bundle",
        b,
        "--version",
        "1.0.1",
    ]);
    assert!(out.contains("upgraded 1.0.0 → 1.0.1"), "{out}");
    assert_eq!(n.current(), "1.0.1");
    assert!(n.metrics().contains(family));
    let out = n.ok(&["rollback", name, "--node", "n1"]);
    assert!(out.contains("rolled back 1.0.1 → 1.0.0"), "{out}");
    assert_eq!(n.current(), "1.0.0");
    assert!(n.metrics().contains(family));

    let out = n.ok(&["uninstall", name, "--node", "n1"]);
    assert!(out.contains("uninstalled 1.0.0"), "{out}");
    assert!(!n.home().exists());
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", n.port)).is_err(),
        "stopped"
    );
}

#[test]
fn dcgm_exporter_install_verify_upgrade_rollback_over_ssh() {
    install_upgrade_rollback(ComponentKind::DcgmExporter, "DCGM_FI_DEV_GPU_TEMP{");
}

#[test]
fn all_smi_install_verify_upgrade_rollback_over_ssh() {
    install_upgrade_rollback(ComponentKind::AllSmi, "all_smi_gpu_utilization{");
}

/// A stub started with anything but the real flags refuses, so a template
/// with wrong flags cannot pass the tests above unseen.
#[test]
fn the_stub_refuses_flags_the_real_exporters_do_not_take() {
    let dir = tempfile::tempdir().unwrap();
    let stub = build_stub(dir.path());
    for args in [
        &["--web.listen-address=:9400"][..],
        &["-a", "9400"],
        &["api", "--listen", "9090"],
        &["--port", "9090"],
    ] {
        let o = Command::new(&stub).args(args).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{args:?}");
        assert!(common::stderr(&o).contains("stub_exporter:"), "{args:?}");
    }
}

#[test]
fn gpu_exporter_units_match_their_golden_files_and_systemd_accepts_them() {
    let dir = tempfile::tempdir().unwrap();
    let stub = build_stub(dir.path());
    for (kind, port) in [
        (ComponentKind::DcgmExporter, 9400),
        (ComponentKind::AllSmi, 9401),
    ] {
        let text = unit::render(kind, "/opt/aami", port);
        // GPU exporters must see /dev/nvidia* and every process.
        assert!(!text.contains("PrivateDevices"), "{text}");
        assert!(!text.contains("ProtectProc"), "{text}");
        let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/golden")
            .join(unit::unit_name(kind));
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(&golden, &text).unwrap();
        }
        assert_eq!(text, std::fs::read_to_string(&golden).expect("golden unit"));

        common::require("systemd-analyze", "systemd");
        let prefix = dir.path().join("opt");
        let version_dir = prefix.join(kind.name()).join("1.0.0");
        std::fs::create_dir_all(&version_dir).unwrap();
        std::fs::copy(&stub, version_dir.join(kind.name())).unwrap();
        std::os::unix::fs::symlink("1.0.0", prefix.join(kind.name()).join("current")).unwrap();
        let file = dir.path().join(unit::unit_name(kind));
        std::fs::write(&file, unit::render(kind, prefix.to_str().unwrap(), port)).unwrap();
        let o = Command::new("systemd-analyze")
            .args(["verify", "--man=no"])
            .arg(&file)
            .output()
            .unwrap();
        let err = common::stderr(&o);
        assert!(o.status.success(), "{}: {err}", kind.name());
        assert!(
            !err.contains("Unknown key") && !err.contains("Failed to parse"),
            "{err}"
        );
    }
}
