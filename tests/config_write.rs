//! Config writes: atomic under kill, locked against concurrent writers,
//! comments and ${VAR}s kept, secrets 0600, previous version kept as .bak.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use aami_tui::config;

const BASE: &str = "# production cluster\ncluster:\n  name: prod\nnodes:\n  # rack one\n  - name: gpu-node-01\n    ip: 127.0.1.1\n    ssh_key: ${HOME}/.ssh/id_ed25519\n";

fn add(cfg: &str, name: &str, ip: &str) -> Command {
    let mut c = Command::new(common::bin());
    c.args([
        "--config", cfg, "nodes", "add", name, "--ip", ip, "--label", "rack=r2",
    ]);
    c
}

#[test]
fn writer_killed_mid_save_leaves_the_old_file_intact() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    fs::write(&cfg, BASE).unwrap();
    let mut child = add(cfg.to_str().unwrap(), "gpu-node-02", "127.0.1.2")
        .env(config::write::PAUSE_ENV, "5000")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    // Wait until the writer is paused with half of the new file in its temp file.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let tmp_written = fs::read_dir(dir.path())
            .unwrap()
            .filter_map(Result::ok)
            .any(|e| {
                e.file_name().to_string_lossy().contains(".tmp.")
                    && e.metadata().map(|m| m.len() > 0).unwrap_or(false)
            });
        if tmp_written {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "writer never started its temp file"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        fs::read_to_string(&cfg).unwrap(),
        BASE,
        "old file untouched"
    );
    let c = config::load_file(&cfg).unwrap();
    assert_eq!(c.nodes.len(), 1);
    // The next writer is not blocked by the dead one's lock or temp file.
    let out = add(cfg.to_str().unwrap(), "gpu-node-02", "127.0.1.2")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(config::load_file(&cfg).unwrap().nodes.len(), 2);
    let leftovers = fs::read_dir(dir.path())
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp."))
        .count();
    assert_eq!(leftovers, 0, "the dead writer's temp file is cleaned up");
}

/// One `nodes add` killed after a random delay: where it got to (the save
/// steps it reported), and whether the kill landed or it had already exited.
struct Kill {
    delay_ms: u64,
    steps: Vec<String>,
    killed: bool,
    temp_left: bool,
}

fn temp_files(dir: &std::path::Path) -> usize {
    fs::read_dir(dir)
        .unwrap()
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains(".tmp."))
        .count()
}

#[test]
fn killed_at_random_points_the_file_is_old_or_new_never_torn() {
    use std::os::unix::process::ExitStatusExt;
    const PAUSE_MS: u64 = 40;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    let steps_file = dir.path().join("steps");
    // Enough nodes that half a temp file is a real partial config.
    let mut text = String::from(BASE);
    for i in 0..300 {
        text.push_str(&format!(
            "  - name: bulk-{i}\n    ip: 127.2.{}.{}\n    labels: {{rack: r{}}}\n",
            i / 250,
            1 + i % 250,
            i % 7
        ));
    }
    fs::write(&cfg, &text).unwrap();
    let writer = |i: u64| {
        let mut c = add(
            cfg.to_str().unwrap(),
            &format!("new-{i}"),
            &format!("127.3.0.{}", i + 1),
        );
        c.env(config::write::PAUSE_ENV, PAUSE_MS.to_string())
            .env(config::write::STEPS_ENV, &steps_file)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        c
    };
    // How long a whole save takes here, pauses included: kills are drawn
    // from that span so they fall before, during and after the save.
    let t0 = Instant::now();
    assert!(writer(99).status().unwrap().success());
    let span_ms = t0.elapsed().as_millis() as u64 + PAUSE_MS;
    let seed = fastrand::u64(..);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut kills = Vec::new();
    for i in 0..40u64 {
        let old = fs::read_to_string(&cfg).unwrap();
        let node = config::NodeConfig {
            name: format!("new-{i}"),
            ip: format!("127.3.0.{}", i + 1),
            labels: [("rack".to_string(), "r2".to_string())]
                .into_iter()
                .collect(),
            ..config::NodeConfig::default()
        };
        let new = config::write::text_with_nodes_added(&old, &[node]);
        let _ = fs::remove_file(&steps_file);
        let mut child = writer(i).spawn().unwrap();
        let delay_ms = rng.u64(0..=span_ms);
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let status = child.wait().unwrap();
        let k = Kill {
            delay_ms,
            steps: fs::read_to_string(&steps_file)
                .unwrap_or_default()
                .lines()
                .map(str::to_string)
                .collect(),
            killed: status.signal() == Some(9),
            temp_left: temp_files(dir.path()) > 0,
        };
        let now = fs::read_to_string(&cfg).unwrap();
        let what = format!(
            "seed {seed}, kill {i} at {} ms of {span_ms}, steps {:?}",
            k.delay_ms, k.steps
        );
        assert!(now == old || now == new, "torn file: {what}");
        let renamed = k.steps.iter().any(|s| s == "renamed");
        let synced = k.steps.iter().any(|s| s == "temp-synced");
        if renamed || !k.killed {
            assert_eq!(now, new, "saved, yet not the new file: {what}");
        }
        if !synced {
            assert_eq!(now, old, "not yet renamed, yet not the old file: {what}");
        }
        config::load_file(&cfg).expect("config parses after a kill");
        kills.push((k, now == new));
    }
    let count = |f: &dyn Fn(&Kill, bool) -> bool| kills.iter().filter(|(k, n)| f(k, *n)).count();
    let summary = kills
        .iter()
        .map(|(k, n)| {
            format!(
                "{}ms:{:?}:{}",
                k.delay_ms,
                k.steps.last(),
                if *n { "new" } else { "old" }
            )
        })
        .collect::<Vec<_>>()
        .join(" ");
    // Kills landed inside the save, with the temp file on disk: half
    // written, and whole just before the rename. The old file survived.
    assert!(
        count(&|k, new| k.killed
            && k.steps.last().is_some_and(|s| s == "temp-half")
            && k.temp_left
            && !new)
            > 0,
        "no kill landed while the temp file was half written (seed {seed}): {summary}"
    );
    assert!(
        count(&|k, new| k.killed
            && k.steps.last().is_some_and(|s| s == "temp-synced")
            && k.temp_left
            && !new)
            > 0,
        "no kill landed between the fsync and the rename (seed {seed}): {summary}"
    );
    // Kills landed right after the rename, before the writer finished.
    assert!(
        count(&|k, new| k.killed && k.steps.last().is_some_and(|s| s == "renamed") && new) > 0,
        "no kill landed just after the rename (seed {seed}): {summary}"
    );
    assert!(
        count(&|_, new| !new) > 0 && count(&|_, new| new) > 0,
        "both outcomes: {summary}"
    );
}

#[test]
fn concurrent_writers_never_lose_an_edit() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    fs::write(&cfg, BASE).unwrap();
    let children: Vec<_> = (0..12)
        .map(|i| {
            add(
                cfg.to_str().unwrap(),
                &format!("w-{i}"),
                &format!("127.4.0.{}", i + 1),
            )
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
        })
        .collect();
    for c in children {
        let out = c.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    let c = config::load_file(&cfg).unwrap();
    assert_eq!(c.nodes.len(), 13);
    let text = fs::read_to_string(&cfg).unwrap();
    assert!(
        text.contains("# production cluster") && text.contains("# rack one"),
        "comments kept"
    );
    assert!(
        text.contains("${HOME}/.ssh/id_ed25519"),
        "env reference written back unexpanded"
    );
    assert!(config::write::backup_path(&cfg).exists());
}

#[test]
fn duplicates_refused_and_remove_works() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    fs::write(&cfg, BASE).unwrap();
    let p = cfg.to_str().unwrap();
    let out = add(p, "gpu-node-01", "127.0.9.9").output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("already exists"));
    let out = add(p, "other", "127.0.1.1").output().unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("already used"));
    let out = common::run(&["--config", p, "nodes", "remove", "gpu-node-0"]);
    assert!(
        common::stderr(&out).contains("did you mean \"gpu-node-01\""),
        "{}",
        common::stderr(&out)
    );
    let out = common::run(&["--config", p, "nodes", "remove", "gpu-node-01"]);
    assert!(out.status.success());
    assert!(config::load_file(&cfg).unwrap().nodes.is_empty());
    assert!(
        fs::read_to_string(&cfg)
            .unwrap()
            .contains("# production cluster")
    );
    assert_eq!(
        fs::read_to_string(config::write::backup_path(&cfg)).unwrap(),
        BASE
    );
}

#[test]
fn file_with_a_secret_is_written_0600() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    fs::write(
        &cfg,
        "alertmanager:\n  url: http://127.0.0.1:9093\n  auth:\n    bearer_token: ${AM_TOKEN:-x}\n",
    )
    .unwrap();
    fs::set_permissions(&cfg, fs::Permissions::from_mode(0o644)).unwrap();
    let out = add(cfg.to_str().unwrap(), "a", "127.0.1.1")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::metadata(&cfg).unwrap().permissions().mode() & 0o777,
        0o600
    );
}

#[test]
fn import_hosts_reports_every_bad_line() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("config.yaml");
    let hosts = dir.path().join("hosts.txt");
    fs::write(
        &hosts,
        "# AAMI hosts\ngpu-01 127.0.1.1\nbroken-line\ngpu-02 127.0.1.2\ngpu-01 127.0.1.3\n",
    )
    .unwrap();
    let out = common::run(&[
        "--config",
        cfg.to_str().unwrap(),
        "nodes",
        "import",
        hosts.to_str().unwrap(),
    ]);
    let err = common::stderr(&out);
    assert_eq!(out.status.code(), Some(2));
    assert!(err.contains("line 3") && err.contains("line 5"), "{err}");
    assert!(!cfg.exists(), "nothing written when the file has bad lines");
    fs::write(&hosts, "gpu-01 127.0.1.1\n\ngpu-02 127.0.1.2 # spare\n").unwrap();
    let out = common::run(&[
        "--config",
        cfg.to_str().unwrap(),
        "nodes",
        "import",
        hosts.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", common::stderr(&out));
    let out = common::run(&["--config", cfg.to_str().unwrap(), "nodes", "list"]);
    let s = common::stdout(&out);
    assert!(s.contains("gpu-01") && s.contains("127.0.1.2"), "{s}");
}
