//! `aami-tui topology`: from a capture file, from the cache, and read over
//! SSH from a real sshd whose session finds a fake `nvidia-smi` first on
//! its PATH (it prints the real captures in tests/fixtures/nvidia_smi).
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::os::unix::fs::PermissionsExt;
use std::process::Command;

use common::{fixture, stderr, stdout};

fn aami(args: &[&str], env: &[(&str, &std::path::Path)]) -> std::process::Output {
    let mut c = Command::new(common::bin());
    c.args(args);
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

#[test]
fn a_capture_file_prints_the_matrix_and_the_pairs() {
    let f = fixture("nvidia_smi/stelline_topo-m_RTX6000Ada-x4_PCIe_ASUS-ESC8000A-E12.txt");
    let o = aami(&["topology", "--file", f.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("NIC0  NODE  NODE  SYS   SYS   X     PIX"), "{s}");
    assert!(
        s.contains("GPU pairs across the CPU socket (SYS): 0-2 0-3 1-2 1-3"),
        "{s}"
    );
    let o = aami(&["topology", "--file", f.to_str().unwrap(), "--json"], &[]);
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["cross_socket_pairs"].as_array().unwrap().len(), 4);
    assert_eq!(v["matrix"]["devices"][4]["nic_name"], "mlx5_0");
}

#[test]
fn a_blank_cpu_affinity_is_a_dash_and_numa_still_shows() {
    let f = fixture("nvidia_smi/princeton-gpu-intro_topo-m_H100x8_NV18_6NIC_tabs.txt");
    let o = aami(&["topology", "--file", f.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(
        s.contains("NODE  NODE  NODE  NODE  -            0\n"),
        "{s}"
    );
    assert!(
        s.contains("NODE  NODE  NODE  NODE  1            1\n"),
        "{s}"
    );
    assert!(s.contains("X     mlx5_5"), "{s}");
}

#[test]
fn junk_is_an_error_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("junk.txt");
    std::fs::write(&f, "hello\n").unwrap();
    let o = aami(&["topology", "--file", f.to_str().unwrap()], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no topology matrix"), "{}", stderr(&o));
}

#[test]
fn read_over_ssh_then_from_the_cache() {
    let tools = tempfile::tempdir().unwrap();
    let topo = fixture("nvidia_smi/ml-engineering_topo-m_A100x8_NV12_space-formatted.txt");
    let links = fixture("nvidia_smi/gpud_nvidia-smi-nvlink-status_A100x8.txt");
    // `nvlink -e`: the real (H100) output without the author's `[...]`,
    // its link 1 replay count raised to 2 so the node has something to say.
    let errors = fixture("nvidia_smi/ml-engineering_nvidia-smi-nvlink-e_H100_excerpt.txt");
    let script = tools.path().join("nvidia-smi");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\ncase \"$1 $2\" in\n  'topo -m') /bin/cat '{}';;\n  'nvlink --status') /bin/cat '{}';;\n  'nvlink -e') /bin/grep -vF '[...]' '{}' | /bin/sed 's/Link 1: Replay Errors: 0/Link 1: Replay Errors: 2/';;\n  *) echo \"unexpected: $*\" >&2; exit 9;;\nesac\n",
            topo.display(),
            links.display(),
            errors.display()
        ),
    )
    .unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let sshd = common::sshd::start_with(&format!(
        "SetEnv PATH={}:/usr/bin:/bin",
        tools.path().display()
    ));
    let t = sshd.target("user_ed25519");
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("config.yaml");
    std::fs::write(
        &cfg,
        format!(
            "cluster:\n  name: t\nnodes:\n  - name: a100-box\n    ip: 127.0.0.1\n    ssh_user: {}\n    ssh_port: {}\n    ssh_key: {}\n",
            t.user.unwrap(),
            t.port.unwrap(),
            t.key.unwrap().display()
        ),
    )
    .unwrap();
    let state = home.path().join("state");
    let env = [
        ("XDG_CONFIG_HOME", home.path()),
        ("AAMI_STATE_DIR", state.as_path()),
    ];
    // Nothing cached yet: said so, with the way to fix it.
    let o = aami(
        &["--config", cfg.to_str().unwrap(), "topology", "a100-box"],
        &env,
    );
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(stderr(&o).contains("--refresh"), "{}", stderr(&o));
    let o = aami(
        &[
            "--config",
            cfg.to_str().unwrap(),
            "topology",
            "a100-box",
            "--refresh",
        ],
        &env,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let s = stdout(&o);
    assert!(s.contains("(ssh)") && s.contains("NV12"), "{s}");
    assert!(s.contains("GPU1   12/12 active  ok"), "{s}");
    // The error counters came with it (one fixed command over SSH).
    assert!(
        s.contains(
            "GPU0   12/12 active  degraded: errors since boot (nvlink -e): link 1: 2 replay"
        ),
        "{s}"
    );
    assert!(
        s.contains("NVLink error counters (nvlink -e, 3 links): 1 GPUs with errors"),
        "{s}"
    );
    // The cache now answers without SSH.
    drop(sshd);
    let o = aami(
        &["--config", cfg.to_str().unwrap(), "topology", "a100-box"],
        &env,
    );
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("(cache)"), "{}", stdout(&o));
}

#[test]
fn inspect_recognises_both_nvidia_smi_outputs() {
    let f = fixture("nvidia_smi/ml-engineering_topo-m_H100x8_NV18_space-formatted.txt");
    let o = aami(&["inspect", f.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("GPU7  NV18"), "{}", stdout(&o));
    let f = fixture(
        "nvidia_smi/azurehpc_nvidia-smi-nvlink-status_A100-80GB_GPU6_all-links-inactive.txt",
    );
    let o = aami(&["inspect", f.to_str().unwrap(), "--json"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    let gpus = v["nvlink"]["gpus"].as_array().unwrap();
    assert!(
        gpus.iter()
            .any(|g| g["gpu"] == 6 && g["all_inactive"] == true),
        "{v}"
    );
    // `nvlink -e` (the real excerpt without the author's `[...]` line).
    let dir = tempfile::tempdir().unwrap();
    let f = dir.path().join("nvlink-e.txt");
    let text = std::fs::read_to_string(fixture(
        "nvidia_smi/ml-engineering_nvidia-smi-nvlink-e_H100_excerpt.txt",
    ))
    .unwrap()
    .replace("         [...]\n\n", "");
    std::fs::write(&f, text).unwrap();
    let o = aami(&["inspect", f.to_str().unwrap(), "--json"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["nvlink_errors"]["gpus"][0]["links"][2]["link"], 17, "{v}");
    assert_eq!(v["nvlink_errors"]["gpus"][0]["links"][2]["crc"], 0, "{v}");
    let o = aami(&["inspect", f.to_str().unwrap()], &[]);
    assert!(
        stdout(&o).contains("NVLink error counters (nvlink -e, 3 links): all 0"),
        "{}",
        stdout(&o)
    );
    // A PCIe-only L40S: a one-GPU matrix and no NVLink, not a problem.
    let f = fixture("nvidia_smi/nvgpuexp_nvlink-s_L40Sx1_595.80_no-nvlink.txt");
    let o = aami(&["inspect", f.to_str().unwrap()], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("GPU0   no NVLink: Device does not have or support Nvlink"),
        "{}",
        stdout(&o)
    );
}
