//! The TUI's question about an unknown host key, against a real sshd: a job
//! (here `l`, the kernel-log scan) meets a key no known_hosts file names and
//! waits while an overlay shows host, key type and SHA256 fingerprint.
//! Accept once: the job runs, nothing is remembered, the next connection
//! asks again. Refuse: the job fails saying so. Accept always: the key is
//! written to aami's own known_hosts and never asked about again. A changed
//! key is refused naming the file and line, without a question.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::time::Duration;

const T: Duration = Duration::from_secs(20);

/// Rows of the action log that are kernel-log scans, newest first.
fn scan_rows(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| l.contains("kernel-log scan"))
        .map(str::to_string)
        .collect()
}

#[test]
fn unknown_host_key_once_refuse_always_and_a_changed_key() {
    common::require("tmux", "tmux");
    let sshd = common::sshd::start();
    let home = tempfile::tempdir().unwrap();
    let cfg = home.path().join("config.yaml");
    std::fs::write(
        &cfg,
        format!(
            "nodes:\n  - name: n1\n    ip: 127.0.0.1\n    ssh_user: {}\n    ssh_port: {}\n    ssh_key: {}\nssh:\n  retry:\n    max_attempts: 1\n",
            common::sshd::user(),
            sshd.port,
            sshd.dir.path().join("user_ed25519").display(),
        ),
    )
    .unwrap();
    let known_hosts = home.path().join("xdg/aami/known_hosts");
    let t = common::tmux::Tmux {
        socket: format!("aami-hostkey-{}", std::process::id()),
    };
    let script = format!(
        "HOME={home} XDG_CONFIG_HOME={home}/xdg AAMI_STATE_DIR={home}/state {bin} --config {cfg}; echo EXIT=$?; sleep 30",
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
    t.wait_for("n1", T);
    let fingerprint = sshd.host_fingerprint();

    // Accept once: the scan runs; nothing is written.
    t.keys(&["l"]);
    let dialog = t.wait_for("unknown host key", T);
    assert!(dialog.contains(&fingerprint), "{dialog}");
    assert!(dialog.contains("ssh-ed25519"), "{dialog}");
    assert!(
        dialog.contains(&format!("127.0.0.1:{}", sshd.port)),
        "{dialog}"
    );
    assert!(dialog.contains("kernel-log scan on n1"), "{dialog}");
    t.keys(&["o"]);
    t.wait_for("kernel log has", T);
    assert!(!known_hosts.exists(), "accept once remembers nothing");

    // The next connection asks again; refused, the job fails saying so.
    t.keys(&["l"]);
    t.wait_for("unknown host key", T);
    t.keys(&["r"]);
    let refused = t.wait_for("refused by the operator", T);
    assert!(refused.contains(&fingerprint), "{refused}");
    assert!(!known_hosts.exists());

    // Accept always: written to our known_hosts.
    t.keys(&["l"]);
    t.wait_for("unknown host key", T);
    t.keys(&["a"]);
    t.wait_for("kernel log has", T);
    let pinned = std::fs::read_to_string(&known_hosts).unwrap();
    assert_eq!(
        pinned,
        format!(
            "[127.0.0.1]:{} ssh-ed25519 {}\n",
            sshd.port,
            sshd.public_key_blob("host_ed25519.pub")
        )
    );

    // Remembered: no question this time.
    t.keys(&["l"]);
    t.keys(&["L"]);
    let log = t.wait("four scans, the last one ended", T, |s| {
        let rows = scan_rows(s);
        rows.len() == 4 && !rows[0].contains("running") && !rows[0].contains("queued")
    });
    assert!(!log.contains("unknown host key"), "{log}");
    let rows = scan_rows(&log);
    let states: Vec<&str> = rows
        .iter()
        .map(|r| {
            if r.contains(" ok ") {
                "ok"
            } else if r.contains("failed") {
                "failed"
            } else {
                "other"
            }
        })
        .collect();
    assert_eq!(states, ["ok", "ok", "failed", "ok"], "{log}");

    // A changed key: refused with the file and line, never asked about.
    std::fs::write(
        &known_hosts,
        format!(
            "# pinned earlier\n[127.0.0.1]:{} ssh-ed25519 {}\n",
            sshd.port,
            sshd.public_key_blob("other_ed25519.pub")
        ),
    )
    .unwrap();
    t.keys(&["1", "l", "L"]);
    let log = t.wait("the changed key refused", T, |s| {
        scan_rows(s).len() == 5 && scan_rows(s)[0].contains("failed")
    });
    assert!(!log.contains("unknown host key"), "{log}");
    // The whole reason is in the job's output.
    t.keys(&["Enter"]);
    let output = t.wait_for("CHANGED", T);
    assert!(
        output.contains(&format!("known_hosts {} line 2", known_hosts.display())),
        "{output}"
    );
    assert_eq!(
        std::fs::read_to_string(&known_hosts)
            .unwrap()
            .lines()
            .count(),
        2,
        "never overwritten"
    );
    t.keys(&["Escape", "q"]);
    t.wait_for("EXIT=0", T);
}
