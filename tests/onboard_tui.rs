//! Onboarding from the keyboard, against a real sshd whose sessions find a
//! fake `nvidia-smi` first on their PATH (printing the real captures in
//! tests/fixtures/nvidia_smi): `a` in the fleet, the form (or a pasted
//! hosts list, or `:onboard FILE`), the host-key question, then the
//! preview, one row per node: system, GPUs and driver, DCGM, exporters,
//! host key fingerprint, or why the node could not be reached. Enter writes
//! the reachable nodes to the config; an unreachable one (a closed loopback
//! port) only after `u`.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

const T: Duration = Duration::from_secs(30);

struct Lab {
    sshd: common::sshd::Sshd,
    home: tempfile::TempDir,
    cfg: PathBuf,
    t: common::tmux::Tmux,
    _tools: tempfile::TempDir,
}

impl Lab {
    fn key(&self) -> String {
        self.sshd
            .dir
            .path()
            .join("user_ed25519")
            .display()
            .to_string()
    }

    fn written(&self) -> String {
        std::fs::read_to_string(&self.cfg).unwrap()
    }
}

/// An sshd with the fake nvidia-smi, an empty config, and the TUI on it in
/// tmux (HOME and XDG dirs in a temp dir).
fn lab(name: &str) -> Lab {
    common::require("tmux", "tmux");
    let tools = tempfile::tempdir().unwrap();
    let csv = common::fixture(
        "nvidia_smi/nvgpuexp_query-gpu_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__idle.csv",
    );
    let topo = common::fixture("nvidia_smi/ml-engineering_topo-m_H100x8_NV18_space-formatted.txt");
    // `nvlink -e`: the real H100 output without the author's `[...]`.
    let errors = common::fixture("nvidia_smi/ml-engineering_nvidia-smi-nvlink-e_H100_excerpt.txt");
    let script = tools.path().join("nvidia-smi");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncase \"$1 $2\" in\n  --query-gpu=*) /bin/cat '{}';;\n  topo*) /bin/cat '{}';;\n  'nvlink -e') /bin/grep -vF '[...]' '{}';;\n  nvlink*) echo 'GPU 0: NVIDIA H100 80GB HBM3 (UUID: GPU-0)'; echo '\t Link 0: 26.562 GB/s';;\nesac\n",
            csv.display(),
            topo.display(),
            errors.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let sshd = common::sshd::start_with(&format!(
        "SetEnv PATH={}:/usr/bin:/bin",
        tools.path().display()
    ));
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("config.yaml");
    std::fs::write(
        &cfg,
        "cluster:\n  name: lab\nnodes: []\nssh:\n  connect_timeout: 5\n  retry:\n    max_attempts: 1\n",
    )
    .unwrap();
    let t = common::tmux::Tmux {
        socket: format!("aami-{name}-{}", std::process::id()),
    };
    let script = format!(
        "HOME={home} XDG_CONFIG_HOME={home} AAMI_STATE_DIR={home}/state {bin} --config {cfg}; echo EXIT=$?; sleep 30",
        home = home.path().display(),
        bin = common::bin(),
        cfg = cfg.display()
    );
    assert!(
        t.run(&[
            "new-session",
            "-d",
            "-x",
            "160",
            "-y",
            "48",
            "sh",
            "-c",
            &script
        ])
        .status
        .success()
    );
    t.wait_for("No nodes configured", T);
    Lab {
        sshd,
        home,
        cfg,
        t,
        _tools: tools,
    }
}

/// The preview row of `name`.
fn row<'a>(screen: &'a str, name: &str) -> &'a str {
    screen
        .lines()
        .find(|l| {
            l.trim_start_matches(['│', ' '])
                .starts_with(&format!("{name} "))
        })
        .unwrap_or("")
}

#[test]
fn a_node_added_from_the_form_is_previewed_then_written() {
    let lab = lab("onboard");
    let t = &lab.t;
    t.keys(&["a"]);
    t.wait_for("Add nodes", T);
    for (i, value) in [
        "n1".to_string(),
        "127.0.0.1".to_string(),
        common::sshd::user(),
        lab.sshd.port.to_string(),
        lab.key(),
        "rack=r9".to_string(),
    ]
    .iter()
    .enumerate()
    {
        if i > 0 {
            t.keys(&["Tab"]);
        }
        t.type_text(value);
    }
    t.keys(&["Enter"]);
    // The node's host key is new: the job asks, and it is accepted always.
    t.wait_for("unknown host key", T);
    t.keys(&["a"]);
    let preview = t.wait_for("onboarding preview", T);
    let n1 = row(&preview, "n1");
    assert!(
        n1.contains(&format!("127.0.0.1:{}", lab.sshd.port)),
        "{preview}"
    );
    // Long cells are cut to fit 160 columns; the fingerprint never is.
    assert!(n1.contains("1 × NVIDIA H100"), "{preview}");
    assert!(n1.contains(&lab.sshd.host_fingerprint()), "{preview}");
    assert!(preview.contains("Enter writes 1 node to the config: n1"));
    // Nothing is written before the confirm.
    assert!(!lab.written().contains("n1"), "{}", lab.written());
    t.keys(&["Enter"]);
    t.wait_for("added to the config", T);
    let written = lab.written();
    assert!(
        written.contains("name: n1") && written.contains("rack: r9"),
        "{written}"
    );
    // The job's output has the detection summary.
    t.keys(&["L"]);
    t.wait_for("onboard", T);
    t.keys(&["j", "Enter"]);
    let out = t.wait("the detection summary", T, |s| s.contains("GPUs:"));
    assert!(out.contains("DCGM: not found"), "{out}");
    assert!(out.contains("system: Linux x86_64"), "{out}");
    assert!(
        out.contains("GPUs: 1 × NVIDIA H100 80GB HBM3, driver 590.48.01"),
        "{out}"
    );
    // Its topology came with the onboarding: t shows it without reading again.
    t.keys(&["Escape", "1", "t"]);
    let topo = t.wait_for("topology  captured", T);
    assert!(
        topo.contains("(onboarding)") && topo.contains("NV18"),
        "{topo}"
    );
    t.keys(&["q"]);
    t.wait_for("EXIT=0", T);
}

#[test]
fn a_pasted_hosts_list_writes_the_reachable_node_and_the_unreachable_after_u() {
    let lab = lab("paste");
    let t = &lab.t;
    let port = lab.sshd.port;
    let user = common::sshd::user();
    t.keys(&["a"]);
    t.wait_for("Add nodes", T);
    // The key applies to every pasted host; each line has its own address.
    t.keys(&["Tab", "Tab", "Tab", "Tab"]);
    t.type_text(&lab.key());
    // n2's address is a closed loopback port: sshd listens on 127.0.0.1 only.
    t.paste(&format!(
        "n1 {user}@127.0.0.1:{port}\nn2 {user}@127.0.0.2:{port}\n"
    ));
    let form = t.wait_for("n1 ", T);
    assert!(
        form.contains(&format!("n2 {user}@127.0.0.2:{port}")),
        "{form}"
    );
    t.keys(&["Enter"]);
    t.wait_for("unknown host key", T);
    t.keys(&["o"]);
    let preview = t.wait_for("onboarding preview", T);
    assert!(preview.contains("2 nodes, 1 reachable"), "{preview}");
    assert!(row(&preview, "n1").contains("SHA256:"), "{preview}");
    let n2 = row(&preview, "n2");
    assert!(
        n2.contains("unreachable: cannot connect to 127.0.0.2"),
        "{preview}"
    );
    assert!(preview.contains("Enter writes 1 node to the config: n1"));
    assert!(
        preview.contains("u: write the 1 unreachable too"),
        "{preview}"
    );
    t.keys(&["Enter"]);
    t.wait_for("added to the config", T);
    let written = lab.written();
    assert!(written.contains("name: n1"), "{written}");
    assert!(!written.contains("name: n2"), "{written}");
    // :onboard FILE, with the unreachable node included by u.
    let hosts = lab.home.path().join("hosts.txt");
    std::fs::write(&hosts, format!("# later\nn2 {user}@127.0.0.2:{port}\n")).unwrap();
    t.keys(&[":"]);
    t.type_text(&format!("onboard {}", hosts.display()));
    t.keys(&["Enter"]);
    let preview = t.wait("the second preview", T, |s| {
        s.contains("onboarding preview: 1 node, 0 reachable")
    });
    assert!(preview.contains("Enter writes nothing"), "{preview}");
    t.keys(&["u"]);
    t.wait_for("Enter writes 1 node to the config: n2", T);
    t.keys(&["Enter"]);
    t.wait_for("n2: added to the config", T);
    assert!(lab.written().contains("name: n2"), "{}", lab.written());
    assert!(read_nodes(&lab.cfg).contains(&"n1".to_string()));
    t.keys(&["q"]);
    t.wait_for("EXIT=0", T);
}

fn read_nodes(cfg: &Path) -> Vec<String> {
    aami_tui::config::load_file(cfg)
        .unwrap()
        .nodes
        .into_iter()
        .map(|n| n.name)
        .collect()
}

/// `nodes import FILE --onboard`: the same preview on stdout; the reachable
/// node written, the unreachable one named and left out (exit 1) unless
/// `--include-unreachable`.
#[test]
fn nodes_import_onboard_on_the_command_line() {
    let sshd = common::sshd::start();
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    let hosts = dir.path().join("hosts.txt");
    let user = common::sshd::user();
    let port = sshd.port;
    std::fs::write(
        &hosts,
        format!("n1 {user}@127.0.0.1:{port}\nn2 {user}@127.0.0.2:{port}\n"),
    )
    .unwrap();
    std::fs::write(
        &cfg,
        "nodes: []\nssh:\n  connect_timeout: 5\n  retry:\n    max_attempts: 1\n",
    )
    .unwrap();
    // The key through the ssh config, as an operator would have it.
    std::fs::create_dir_all(dir.path().join(".ssh")).unwrap();
    std::fs::write(
        dir.path().join(".ssh/config"),
        format!(
            "Host 127.0.0.*\n  IdentityFile {}\n",
            sshd.dir.path().join("user_ed25519").display()
        ),
    )
    .unwrap();
    let run = |args: &[&str]| {
        std::process::Command::new(common::bin())
            .arg("--config")
            .arg(&cfg)
            .args(args)
            .env("HOME", dir.path())
            .env("XDG_CONFIG_HOME", dir.path().join("xdg"))
            .env("AAMI_STATE_DIR", dir.path().join("state"))
            .env_remove("SSH_AUTH_SOCK")
            .env_remove("AAMI_CONFIG")
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    };
    let h = hosts.to_str().unwrap();
    // Unknown host key, no --accept-new: both refused/unreachable, nothing written.
    let o = run(&["nodes", "import", h, "--onboard"]);
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));
    let out = common::stdout(&o);
    assert!(out.contains(&sshd.host_fingerprint()), "{out}");
    assert!(out.contains("--accept-new"), "{out}");
    assert!(read_nodes(&cfg).is_empty());

    let o = run(&["nodes", "import", h, "--onboard", "--accept-new"]);
    assert_eq!(o.status.code(), Some(1), "{}", common::stderr(&o));
    let out = common::stdout(&o);
    assert!(out.contains("HOST KEY (OR WHY NOT)"), "{out}");
    let n1 = out.lines().find(|l| l.starts_with("n1 ")).unwrap_or("");
    assert!(n1.contains(&sshd.host_fingerprint()), "{out}");
    assert!(n1.contains("x86_64"), "{out}");
    let n2 = out.lines().find(|l| l.starts_with("n2 ")).unwrap_or("");
    assert!(
        n2.contains("unreachable: cannot connect to 127.0.0.2"),
        "{out}"
    );
    assert!(out.contains("not written (unreachable): n2"), "{out}");
    assert_eq!(read_nodes(&cfg), ["n1"]);

    // n1 is there now: importing the file again is refused before any SSH.
    let o = run(&["nodes", "import", h, "--onboard"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(common::stderr(&o).contains("already in the config"));

    std::fs::write(&hosts, format!("n2 {user}@127.0.0.2:{port}\n")).unwrap();
    let o = run(&["nodes", "import", h, "--onboard", "--include-unreachable"]);
    assert_eq!(o.status.code(), Some(0), "{}", common::stderr(&o));
    assert_eq!(read_nodes(&cfg), ["n1", "n2"]);
}

/// Four new nodes, four unknown host keys: the dialog shows one and lists
/// the three waiting (host and fingerprint); `A` accepts all four always,
/// and the preview follows with no other question.
#[test]
fn a_accepts_every_waiting_host_key_at_once() {
    let lab = lab("accept-all");
    let t = &lab.t;
    let user = common::sshd::user();
    // Three more real sshd, each with its own host key and loopback address
    // (a node's address is its own), taking the lab's key.
    let addresses = ["127.0.0.1", "127.0.0.12", "127.0.0.13", "127.0.0.14"];
    let others: Vec<common::sshd::Sshd> = addresses[1..]
        .iter()
        .map(|a| common::sshd::start_with(&format!("ListenAddress {a}")))
        .collect();
    for o in &others {
        o.authorize(&lab.sshd.dir.path().join("user_ed25519.pub"));
    }
    let ports: Vec<u16> = std::iter::once(lab.sshd.port)
        .chain(others.iter().map(|o| o.port))
        .collect();
    let mut fingerprints = vec![lab.sshd.host_fingerprint()];
    fingerprints.extend(others.iter().map(|o| o.host_fingerprint()));
    t.keys(&["a"]);
    t.wait_for("Add nodes", T);
    t.keys(&["Tab", "Tab", "Tab", "Tab"]);
    t.type_text(&lab.key());
    let hosts: String = ports
        .iter()
        .zip(addresses)
        .enumerate()
        .map(|(i, (p, a))| format!("n{} {user}@{a}:{p}\n", i + 1))
        .collect();
    t.paste(&hosts);
    t.wait_for("n4 ", T);
    t.keys(&["Enter"]);
    let dialog = t.wait_for("3 more waiting; A accepts all 4 always", T);
    // Every key is on screen, whole: the one asked about and the three waiting.
    for ((p, fp), a) in ports.iter().zip(&fingerprints).zip(addresses) {
        assert!(dialog.contains(fp), "{dialog}");
        assert!(dialog.contains(&format!("{a}:{p}")), "{dialog}");
    }
    assert!(dialog.contains("[ A accept all 4 ]"), "{dialog}");
    t.keys(&["A"]);
    let preview = t.wait_for("onboarding preview", T);
    assert!(preview.contains("4 nodes, 4 reachable"), "{preview}");
    assert!(!preview.contains("unknown host key"), "{preview}");
    // All four remembered in aami's known_hosts.
    let known = std::fs::read_to_string(lab.home.path().join("aami/known_hosts")).unwrap();
    for (p, a) in ports.iter().zip(addresses) {
        assert!(
            known.contains(&format!("[{a}]:{p} ssh-ed25519 ")),
            "{known}"
        );
    }
    assert_eq!(known.lines().count(), 4, "{known}");
    t.keys(&["Enter"]);
    t.wait_for("added to the config", T);
    let nodes = read_nodes(&lab.cfg);
    assert_eq!(nodes, ["n1", "n2", "n3", "n4"], "{}", lab.written());
    t.keys(&["q"]);
    t.wait_for("EXIT=0", T);
}
