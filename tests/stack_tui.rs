//! The stack pane in the real TUI (tmux), against the stack `stack install`
//! ran on this machine with Debian's Prometheus and Alertmanager: its
//! figures, the query-mode switch and back, and a node added from the
//! TUI's form scraped by Prometheus without a restart.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::time::Duration;

use aami_tui::install::stack::StackComponent;
use aami_tui::sim::{PortMode, SimFleet, SimOptions};
use common::pages::PageServer;
use common::servers::free_listen_port;
use common::stack::{Fixture, eventually, fixture, up_of};

/// The TUI on `f`'s config in its own tmux server, 160x48.
fn tui(f: &Fixture, name: &str) -> common::tmux::Tmux {
    common::require("tmux", "tmux");
    let t = common::tmux::Tmux {
        socket: format!("aami-{name}-{}", std::process::id()),
    };
    let script = format!(
        "HOME={home} XDG_CONFIG_HOME={home}/xdg AAMI_STATE_DIR={home}/state {bin} --config {cfg}; echo EXIT=$?; sleep 30",
        home = f.dir.path().display(),
        bin = common::bin(),
        cfg = f.config.display()
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
    assert!(started.status.success(), "{}", common::stderr(&started));
    t
}

/// The stack pane in the real TUI against the stack `stack install` ran:
/// `S` shows its figures, `Q` reads the fleet through its Prometheus (the
/// header says so, the nodes are there) and `Q` again goes back to
/// scraping; a node added from the TUI's form lands in the stack's target
/// files and Prometheus scrapes it without a restart. The config file
/// keeps no `prometheus.url`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tui_shows_the_stack_switches_query_mode_and_adds_a_node_to_its_targets() {
    let sim = SimFleet::start(SimOptions {
        nodes: 2,
        ports: PortMode::Ephemeral,
        frozen_at: Some(50.0),
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let f = fixture(sim.config().nodes, &["gpu-production"], &[]);
    let b = f.bundle.to_str().unwrap();
    f.ok(&["stack", "install", "--bundle", b]).await;
    let prom = f.prometheus_url();
    let port = f.config().prometheus.port;
    eventually("every target up", Duration::from_secs(60), || async {
        let s = f.status().await;
        if s["targets_expected"] == 4 && s["targets_up"] == 4 {
            Ok(())
        } else {
            Err(s.to_string())
        }
    })
    .await;
    let pid = f.pid(StackComponent::Prometheus);
    let page =
        std::fs::read_to_string(common::fixture("dcgm/derived_H100x8_gpu3-hot-91C.prom")).unwrap();
    let added = PageServer::start_on("127.0.6.3", 9400, page).await;
    let closed_ssh = free_listen_port().to_string();
    let wait = Duration::from_secs(30);
    tokio::task::block_in_place(|| {
        let t = tui(&f, "stack-pane");
        t.wait_for("nodes 2/2 up", wait);
        t.keys(&["S"]);
        let pane = t.wait_for("targets up 4 of 4 expected", wait);
        let row = pane
            .lines()
            .find(|l| l.trim_start().starts_with("prometheus "))
            .unwrap_or_default();
        assert!(
            row.contains("up") && row.contains("2.42.0") && row.contains("4/4"),
            "{pane}"
        );
        assert!(row.contains(&format!("http://127.0.0.1:{port}")), "{pane}");
        assert!(pane.contains("alertmanager  up     0.25.0"), "{pane}");

        // Q: query mode through the stack's Prometheus, the config untouched.
        t.keys(&["Q"]);
        let header = format!("query 127.0.0.1:{port}");
        t.wait_for(&header, wait);
        t.keys(&["1"]);
        let fleet = t.wait("the fleet read through Prometheus", wait, |s| {
            s.contains(&header) && s.contains("nodes 2/2 up") && s.contains("gpu-node-02")
        });
        assert!(fleet.contains("gpu-node-01"), "{fleet}");
        assert!(
            !std::fs::read_to_string(&f.config).unwrap().contains(&prom),
            "the config file is not rewritten"
        );
        t.keys(&["S"]);
        t.wait_for("Q: back to scraping each exporter directly", wait);
        t.keys(&["Q"]);
        let direct = t.wait_for("source: scraping each exporter directly", wait);
        assert!(
            !direct.lines().next().unwrap().contains("query"),
            "{direct}"
        );

        // A node added from the form (its SSH port closed, so it is
        // written as unreachable with u).
        t.keys(&["1", "a"]);
        t.wait_for("Add nodes", wait);
        t.type_text("late-node");
        t.keys(&["Tab"]);
        t.type_text("127.0.6.3");
        t.keys(&["Tab", "Tab"]);
        t.keys(&["C-u"]);
        t.type_text(&closed_ssh);
        t.keys(&["Enter"]);
        t.wait_for("onboarding preview", wait);
        t.keys(&["u"]);
        t.wait_for("Enter writes 1 node to the config: late-node", wait);
        t.keys(&["Enter"]);
        let done = t.wait_for("late-node: added to the config", wait);
        assert!(done.contains("targets/dcgm-exporter.json"), "{done}");
    });
    let targets =
        std::fs::read_to_string(f.stack_dir().join("targets/dcgm-exporter.json")).unwrap();
    assert!(targets.contains("127.0.6.3:9400"), "{targets}");
    eventually(
        "the node added in the TUI scraped",
        Duration::from_secs(30),
        || async {
            match up_of(&prom, &added.target()).await {
                Some(1.0) => Ok(()),
                other => Err(format!("up = {other:?}")),
            }
        },
    )
    .await;
    assert_eq!(f.pid(StackComponent::Prometheus), pid, "not restarted");
    drop(sim);
}
