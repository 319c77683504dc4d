//! A silence made from the keyboard, against real servers: a real
//! Prometheus evaluates a rendered rule on a hot GPU's page (derived from a
//! real 8×H100 capture) and sends the alert to a real Alertmanager; the real
//! binary runs in tmux in query mode. The alerts pane shows the firing
//! alert, `s` opens the form with its labels as matchers, a comment and
//! Enter create the silence; the real `amtool` finds it with the author
//! ($USER) and the comment, Alertmanager reports the alert suppressed and
//! the pane says silenced. `:silences` and `x` expire it and `amtool` no
//! longer lists it.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use aami_tui::alerts::alertmanager::ApiClient;
use common::alertmanager::{HOT_NOW, alertmanager, prometheus_with_rules};
use common::pages::PageServer;
use common::tmux::Tmux;

const AUTHOR: &str = "tui-operator";
const COMMENT: &str = "swapping the fan on gpu-node-1";

/// `amtool silence query` (active silences) against `url`.
fn amtool_silences(url: &str) -> String {
    let q = Command::new("amtool")
        .args([
            "silence",
            "query",
            "--alertmanager.url",
            url,
            "-o",
            "extended",
        ])
        .output()
        .expect("amtool");
    assert!(q.status.success(), "amtool: {}", common::stderr(&q));
    common::stdout(&q)
}

/// Waits until `amtool silence query` output satisfies `pred`.
fn wait_amtool(url: &str, what: &str, pred: impl Fn(&str) -> bool) -> String {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let listed = amtool_silences(url);
        if pred(&listed) {
            return listed;
        }
        assert!(Instant::now() < deadline, "{what}; amtool lists:\n{listed}");
        std::thread::sleep(Duration::from_millis(300));
    }
}

/// The GpuHotNow row of the alerts pane, if shown.
fn hot_row(screen: &str) -> Option<&str> {
    screen.lines().find(|l| l.contains("GpuHotNow"))
}

/// Moves the pane's cursor (`▶`) onto the GpuHotNow row.
fn select_hot_row(t: &Tmux) {
    let screen = t.screen();
    let lines: Vec<&str> = screen.lines().collect();
    let cursor = lines.iter().position(|l| l.starts_with('▶'));
    let hot = lines.iter().position(|l| l.contains("GpuHotNow"));
    let (Some(cursor), Some(hot)) = (cursor, hot) else {
        panic!("no cursor or no GpuHotNow row:\n{screen}")
    };
    let key = if hot > cursor { "Down" } else { "Up" };
    for _ in 0..cursor.abs_diff(hot) {
        t.keys(&[key]);
    }
    t.wait("the cursor on GpuHotNow", Duration::from_secs(5), |s| {
        s.lines()
            .any(|l| l.starts_with('▶') && l.contains("GpuHotNow"))
    });
}

fn write_config(dir: &Path, exporter_port: u16, prom: &str, am: &str) -> std::path::PathBuf {
    let cfg = dir.join("config.yaml");
    std::fs::write(
        &cfg,
        format!(
            "cluster:\n  name: lab\nnodes:\n  - name: gpu-node-1\n    ip: 127.0.0.1\n    exporters:\n      dcgm: {exporter_port}\n      node: null\nalerts:\n  presets: []\nprometheus:\n  url: {prom}\nalertmanager:\n  url: {am}\ntui:\n  refresh: 1s\n"
        ),
    )
    .expect("write config");
    cfg
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_silence_made_from_the_tui_suppresses_the_alert_and_expires_from_the_list() {
    common::require("tmux", "tmux");
    common::require("amtool", "prometheus-alertmanager");
    let home = tempfile::tempdir().expect("tmp");
    let presets = home.path().join("config/aami/presets");
    std::fs::create_dir_all(&presets).expect("mkdir");
    std::fs::write(presets.join("hot-now.yaml"), HOT_NOW).expect("write");
    let rules = home.path().join("rules.yml");
    let o = Command::new(common::bin())
        .args(["alerts", "render", "hot-now", "--naming", "both", "-o"])
        .arg(&rules)
        .env_remove("AAMI_CONFIG")
        .env("XDG_CONFIG_HOME", home.path().join("config"))
        .output()
        .expect("render");
    assert!(o.status.success(), "{}", common::stderr(&o));

    let page = std::fs::read_to_string(common::fixture("dcgm/derived_H100x8_gpu3-hot-91C.prom"))
        .expect("fixture");
    let exporter = PageServer::start("127.0.0.1", page).await;
    let am_server = alertmanager();
    let prom = prometheus_with_rules(&[exporter.target()], &rules, &am_server.url);
    let am = ApiClient::new(&am_server.url, None).expect("client");
    let cfg = write_config(home.path(), exporter.port, &prom.url, &am_server.url);

    let t = Tmux {
        socket: format!("aami-silence-{}", std::process::id()),
    };
    let script = format!(
        "USER={AUTHOR} XDG_CONFIG_HOME={home}/config AAMI_STATE_DIR={home}/state {bin} --config {cfg}; echo EXIT=$?; sleep 30",
        home = home.path().display(),
        bin = common::bin(),
        cfg = cfg.display()
    );
    let started = t.run(&[
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
    assert!(
        started.status.success(),
        "tmux: {}",
        common::stderr(&started)
    );

    // The alerts pane shows the firing alert once Alertmanager has it (the
    // row's state then comes from Alertmanager).
    t.wait_for("gpu-node-1", Duration::from_secs(30));
    t.keys(&["3"]);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let in_am = am.alerts().await.map(|l| !l.is_empty()).unwrap_or(false);
        let screen = t.screen();
        if in_am && hot_row(&screen).is_some_and(|r| r.contains("firing")) {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the firing alert never reached the pane (in Alertmanager: {in_am}):\n{screen}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    let instance = format!("127.0.0.1:{}", exporter.port);
    select_hot_row(&t);

    // s: the form, its matchers from the alert's labels, the author $USER.
    t.keys(&["s"]);
    let form = t.wait_for("Silence an alert", Duration::from_secs(5));
    assert!(form.contains(AUTHOR), "author from $USER: {form}");
    t.keys(&["Tab", "Tab"]);
    t.type_text(COMMENT);
    t.keys(&["Enter"]);

    // Alertmanager has it, as the real amtool reads it.
    let listed = wait_amtool(&am_server.url, "the TUI's silence in amtool", |l| {
        l.contains(COMMENT)
    });
    assert!(listed.contains(AUTHOR), "author: {listed}");
    for m in [
        "alertname=\"GpuHotNow\"".to_string(),
        format!("instance=\"{instance}\""),
        "gpu=\"3\"".to_string(),
        "Hostname=\"gpu-node-1\"".to_string(),
    ] {
        assert!(listed.contains(&m), "matcher {m}: {listed}");
    }
    let id = listed
        .lines()
        .find(|l| l.contains(COMMENT))
        .and_then(|l| l.split_whitespace().next())
        .expect("silence id")
        .to_string();

    // Alertmanager suppresses the alert with that silence.
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let list = am.alerts().await.expect("alerts");
        if list
            .iter()
            .any(|a| a.status.state == "suppressed" && a.status.silenced_by.contains(&id))
        {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "Alertmanager never suppressed the alert with {id}: {list:?}"
        );
        tokio::time::sleep(Duration::from_millis(300)).await;
    }
    // The pane says so.
    t.wait(
        "the pane showing the alert silenced",
        Duration::from_secs(20),
        |s| hot_row(s).is_some_and(|r| r.contains("silenced")),
    );

    // :silences lists it; x expires it.
    t.keys(&[":"]);
    t.type_text("silences");
    t.keys(&["Enter"]);
    // The line is cut at the popup's edge: the comment's start is enough.
    let list = t.wait_for(&format!("by {AUTHOR}: swapping"), Duration::from_secs(10));
    assert!(
        list.contains("alertname=\"GpuHotNow\"") && list.contains("gpu=\"3\""),
        "{list}"
    );
    t.keys(&["x"]);
    wait_amtool(&am_server.url, "the silence gone from amtool", |l| {
        !l.contains(&id)
    });
    t.wait(
        "no silences left in the list",
        Duration::from_secs(20),
        |s| s.contains("no silences in force"),
    );
    t.keys(&["Escape"]);
    t.wait(
        "the alert firing again in the pane",
        Duration::from_secs(30),
        |s| hot_row(s).is_some_and(|r| r.contains("firing")),
    );

    t.keys(&["q"]);
    t.wait_for("EXIT=0", Duration::from_secs(10));
    drop(prom);
    exporter.stop().await;
}
