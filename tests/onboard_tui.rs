//! Onboarding from the keyboard: `a` in the fleet, the form, and the node is
//! written to the config and looked at over SSH (a real sshd whose session
//! finds a fake `nvidia-smi` first on its PATH, printing the real captures
//! in tests/fixtures/nvidia_smi): system, GPUs, DCGM, exporters, topology.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::os::unix::fs::PermissionsExt;
use std::time::Duration;

#[test]
fn a_node_added_from_the_tui_is_detected_over_ssh() {
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
    let target = sshd.target("user_ed25519");
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("config.yaml");
    std::fs::write(&cfg, "cluster:\n  name: lab\nnodes: []\n").unwrap();
    let t = common::tmux::Tmux {
        socket: format!("aami-onboard-{}", std::process::id()),
    };
    let script = format!(
        "XDG_CONFIG_HOME={home} AAMI_STATE_DIR={home}/state {bin} --config {cfg}; echo EXIT=$?; sleep 30",
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
    t.wait_for("No nodes configured", Duration::from_secs(20));
    t.keys(&["a"]);
    t.wait_for("Add a node", Duration::from_secs(5));
    for (i, value) in [
        "n1".to_string(),
        "127.0.0.1".to_string(),
        target.user.clone().unwrap(),
        target.port.unwrap().to_string(),
        target.key.clone().unwrap().display().to_string(),
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
    // The node shows in the fleet, and the job says what it found.
    t.wait_for("n1", Duration::from_secs(10));
    t.keys(&["L"]);
    t.wait_for("add node", Duration::from_secs(10));
    t.keys(&["Enter"]);
    let out = t.wait("the detection summary", Duration::from_secs(30), |s| {
        s.contains("GPUs:")
    });
    assert!(
        out.contains("GPUs: 1 × NVIDIA H100 80GB HBM3, driver 590.48.01"),
        "{out}"
    );
    assert!(out.contains("system: Linux"), "{out}");
    assert!(out.contains("DCGM: not found"), "{out}");
    // The node is in the config file, with its label.
    let written = std::fs::read_to_string(&cfg).unwrap();
    assert!(
        written.contains("name: n1") && written.contains("rack: r9"),
        "{written}"
    );
    // Its topology came with the onboarding: t shows it without reading again.
    t.keys(&["Escape", "Escape", "1", "t"]);
    let topo = t.wait_for("topology  captured", Duration::from_secs(10));
    assert!(
        topo.contains("(onboarding)") && topo.contains("NV18"),
        "{topo}"
    );
    t.keys(&["q"]);
    t.wait_for("EXIT=0", Duration::from_secs(10));
}
