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
use std::process::Command;

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

use common::installed::InstalledNode as Node;

/// A node n1 on `sshd` whose `kind` port is free, and a bundle with the
/// stub as `kind` at two versions (and the test DCGM package for
/// dcgm-exporter when `with_dcgm`).
fn node(sshd: &common::sshd::Sshd, kind: ComponentKind, with_dcgm: bool) -> Node {
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
    let mut args = vec![
        "bundle".to_string(),
        "create".into(),
        "--output".into(),
        bundle.display().to_string(),
        "--component".into(),
        format!("{}={}@1.0.0", kind.name(), stub.display()),
        "--component".into(),
        format!("{}={}@1.0.1", kind.name(), stub.display()),
    ];
    if with_dcgm {
        let deb = tiny_dcgm_deb(dir.path());
        args.extend(["--component".into(), format!("dcgm={}@0.1", deb.display())]);
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let o = common::run(&args);
    assert!(o.status.success(), "{}", common::stderr(&o));
    Node {
        kind,
        dir,
        config,
        bundle,
        port,
    }
}

/// The tests that put the test DCGM package on this machine take turns.
static DCGM_PACKAGE: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// Install, verify, unchanged, upgrade, rollback, uninstall: `family` is
/// on the page each time it is checked. dcgm-exporter's first install
/// puts the bundle's (test) DCGM package on too, this machine having none.
fn install_upgrade_rollback(kind: ComponentKind, family: &str) {
    let _turn = (kind == ComponentKind::DcgmExporter)
        .then(|| DCGM_PACKAGE.lock().unwrap_or_else(|e| e.into_inner()));
    let _purge = (kind == ComponentKind::DcgmExporter).then(|| PurgeOnDrop("aami-test-dcgm"));
    let sshd = common::sshd::start();
    let n = node(&sshd, kind, kind == ComponentKind::DcgmExporter);
    let name = kind.name();
    let b = n.bundle.to_str().unwrap();
    let install = ["install", name, "--node", "n1", "--bundle", b, "--version"];
    let out = n.ok(&[&install[..], &["1.0.0", "--accept-new", "--install-dcgm"]].concat());
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

/// The test's DCGM package, purged when the test ends however it ends.
struct PurgeOnDrop(&'static str);

impl Drop for PurgeOnDrop {
    fn drop(&mut self) {
        let _ = Command::new("dpkg").args(["--purge", self.0]).output();
    }
}

/// A tiny .deb built here with `dpkg-deb --build` (derived: not NVIDIA's
/// package; it only puts an `nv-hostengine` script on PATH, which is what
/// the node's DCGM check looks for).
fn tiny_dcgm_deb(dir: &Path) -> PathBuf {
    common::require("dpkg-deb", "dpkg");
    let root = dir.join("pkg");
    std::fs::create_dir_all(root.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(root.join("usr/bin")).unwrap();
    std::fs::write(
        root.join("DEBIAN/control"),
        "Package: aami-test-dcgm\nVersion: 0.1\nArchitecture: all\nMaintainer: aami-tui tests <root@localhost>\nDescription: aami-tui test package standing in for DCGM\n",
    )
    .unwrap();
    let engine = root.join("usr/bin/nv-hostengine");
    std::fs::write(
        &engine,
        "#!/bin/sh\necho 'aami-tui test stand-in for nv-hostengine'\n",
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&engine, std::fs::Permissions::from_mode(0o755)).unwrap();
    let deb = dir.join("aami-test-dcgm_0.1_all.deb");
    let o = Command::new("dpkg-deb")
        .args(["--root-owner-group", "--build"])
        .arg(&root)
        .arg(&deb)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", common::stderr(&o));
    deb
}

/// dcgm-exporter on a node without DCGM: the install stops naming exactly
/// what is missing, then says the bundle carries a package for the node's
/// dpkg and which flag installs it; with `--install-dcgm` the package goes
/// on with dpkg from the uploaded file, and dcgm-exporter after it.
#[test]
fn dcgm_missing_is_named_then_installed_from_the_bundles_package() {
    let _turn = DCGM_PACKAGE.lock().unwrap_or_else(|e| e.into_inner());
    let none = Command::new("sh")
        .args([
            "-c",
            "command -v nv-hostengine || ls /usr/lib/*/libdcgm.so* /usr/lib64/libdcgm.so*",
        ])
        .output()
        .unwrap();
    assert!(
        !none.status.success(),
        "this machine has DCGM already: {}",
        common::stdout(&none)
    );
    let sshd = common::sshd::start();
    let n = node(&sshd, ComponentKind::DcgmExporter, false);
    let name = "dcgm-exporter";
    let install = |bundle: &Path, extra: &[&str]| {
        let mut args = vec!["install", name, "--node", "n1", "--bundle"];
        args.push(bundle.to_str().unwrap());
        args.extend_from_slice(&["--version", "1.0.0", "--accept-new"]);
        args.extend_from_slice(extra);
        n.run(&args)
    };

    let o = install(&n.bundle, &[]);
    let out = common::stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("DCGM is missing on n1: no nv-hostengine on PATH and no libdcgm.so in /usr/lib/*/ or /usr/lib64/ (dcgm-exporter needs it)"),
        "{out}"
    );
    assert!(out.contains("the bundle carries no DCGM packages"), "{out}");
    assert!(!n.home().join("1.0.0").exists(), "nothing uploaded");

    let deb = tiny_dcgm_deb(n.dir.path());
    let with_dcgm = n.dir.path().join("with-dcgm.tar");
    let o = common::run(&[
        "bundle",
        "create",
        "--output",
        with_dcgm.to_str().unwrap(),
        "--component",
        &format!(
            "{name}={}@1.0.0",
            n.dir.path().join("stub_exporter").display()
        ),
        "--component",
        &format!("dcgm={}@0.1", deb.display()),
    ]);
    assert!(o.status.success(), "{}", common::stderr(&o));
    let o = install(&with_dcgm, &[]);
    let out = common::stdout(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("the bundle carries dcgm 0.1 for dpkg: run again with --install-dcgm"),
        "{out}"
    );

    let _purge = PurgeOnDrop("aami-test-dcgm");
    let o = install(&with_dcgm, &["--install-dcgm"]);
    let out = common::stdout(&o);
    assert!(o.status.success(), "{out}{}", common::stderr(&o));
    assert!(out.contains("n1  dcgm-exporter  installed 1.0.0"), "{out}");
    let status = Command::new("dpkg-query")
        .args(["-W", "-f", "${Status}", "aami-test-dcgm"])
        .output()
        .unwrap();
    assert_eq!(common::stdout(&status), "install ok installed");
    assert!(n.metrics().contains("DCGM_FI_DEV_GPU_TEMP{"));
    // The uploaded packages are not left behind.
    assert!(!n.dir.path().join("opt/dcgm-packages").exists());
    let out = n.ok(&["uninstall", name, "--node", "n1"]);
    assert!(out.contains("uninstalled 1.0.0"), "{out}");
}
