//! The demo fleet scraped over real HTTP on loopback by the real collector.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

use std::time::{Duration, Instant};

use aami_tui::cli::tui::fleet_from_config;
use aami_tui::domain::NodeStatus;
use aami_tui::sim::{PortMode, SimFleet, SimOptions, SimSpec};
use aami_tui::sources::{Collector, RefreshRound, ScrapeLimits};

fn opts(nodes: usize) -> SimOptions {
    SimOptions {
        nodes,
        ports: PortMode::Ephemeral,
        ..SimOptions::default()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn demo_fleet_scraped_over_http() {
    let sim = SimFleet::start(opts(8)).await.unwrap();
    let config = sim.config();
    assert!(config.nodes.iter().all(|n| n.exporters.dcgm != Some(0)));
    let collector = Collector::from_config(&config);
    let outcomes = collector.refresh().await;
    let mut fleet = fleet_from_config(&config);
    fleet.apply_refresh(outcomes, Instant::now(), Duration::ZERO);
    let n = &fleet.nodes;
    assert_eq!(n.len(), 8);
    for node in n {
        assert_eq!(
            node.status,
            NodeStatus::Up,
            "{}: {:?}",
            node.spec.name,
            node.status
        );
        assert!(
            node.host.as_ref().and_then(|h| h.mem_total_bytes).is_some(),
            "node_exporter read"
        );
    }
    // Node kinds and label sets of the captures.
    assert_eq!(n[0].gpus.len(), 8);
    assert_eq!(n[0].model(), Some("NVIDIA H100 80GB HBM3"));
    assert_eq!(n[0].gpus[0].pci_bus_id.as_deref(), Some("00000000:53:00.0"));
    assert_eq!(
        n[0].gpus[0].uuid,
        "GPU-c4529c8d-69c4-b61d-e0bc-7b2460096005"
    );
    assert_eq!(
        n[0].gpus[0].workload.as_ref().map(|w| w.label()).as_deref(),
        Some("dynamo-workload/vllm-agg-0-vllmdecodeworker-s65j5")
    );
    assert_eq!(n[2].gpus[0].mig.len(), 1, "A100 MIG instance nested");
    assert_eq!(n[2].gpus[0].mig[0].profile, "1g.5gb");
    assert_eq!(n[3].model(), Some("NVIDIA L4"));
    assert_eq!(n[4].model(), Some("Tesla T4"));
    // The hot GPU runs hot and throttles for heat.
    let hot = &n[1].gpus[5];
    assert!(hot.temp_c.unwrap() >= 88.0);
    assert_eq!(hot.throttle_reasons.unwrap() & 0x40, 0x40);
    // Values are sane.
    for g in n.iter().flat_map(|n| &n.gpus) {
        let u = g.util_pct.unwrap();
        assert!((0.0..=100.0).contains(&u));
        assert!(g.mem_used_mib.unwrap() <= g.mem_total_mib.unwrap());
        assert!(g.power_w.unwrap() <= g.power_limit_w.unwrap_or(1000.0));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collector_task_sends_refreshes_and_a_hung_node_costs_only_its_timeout() {
    let sim = SimFleet::start(opts(3)).await.unwrap();
    let mut config = sim.config();
    // A node whose exporter accepts and never answers.
    let hung = tokio::net::TcpListener::bind("127.0.9.1:0").await.unwrap();
    let port = hung.local_addr().unwrap().port();
    let hold = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = hung.accept().await {
            held.push(s);
        }
    });
    let mut bad = config.nodes[0].clone();
    bad.name = "hung".into();
    bad.ip = "127.0.9.1".into();
    bad.exporters.dcgm = Some(port);
    bad.exporters.node = None;
    config.nodes.push(bad);
    let collector = Collector::new(
        aami_tui::sources::collector::targets_from_config(&config),
        ScrapeLimits {
            timeout: Duration::from_millis(300),
            max_body_bytes: 1 << 20,
        },
        8,
    );
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let task = collector.spawn(Duration::from_millis(500), tx);
    let mut fleet = fleet_from_config(&config);
    for _ in 0..2 {
        let RefreshRound {
            outcomes,
            started,
            took,
        } = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(
            took < Duration::from_millis(1200),
            "refresh bounded by the timeout, took {took:?}"
        );
        fleet.apply_refresh(outcomes, started + took, took);
    }
    task.abort();
    hold.abort();
    assert_eq!(
        fleet.nodes[3].status,
        NodeStatus::Down("timeout after 0.3s".into())
    );
    assert_eq!(fleet.up_count(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_and_not_metrics_are_named() {
    let sim = SimFleet::start(opts(1)).await.unwrap();
    let mut config = sim.config();
    // Refused: a port nobody listens on.
    let closed = std::net::TcpListener::bind("127.0.9.2:0").unwrap();
    let closed_port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut refused = config.nodes[0].clone();
    refused.name = "refused".into();
    refused.ip = "127.0.9.2".into();
    refused.exporters.dcgm = Some(closed_port);
    refused.exporters.node = None;
    config.nodes.push(refused);
    let collector = Collector::from_config(&config);
    let mut fleet = fleet_from_config(&config);
    fleet.apply_refresh(collector.refresh().await, Instant::now(), Duration::ZERO);
    assert_eq!(
        fleet.nodes[1].status,
        NodeStatus::Down("connection refused".into())
    );
    assert_eq!(fleet.nodes[0].status, NodeStatus::Up);
}

#[test]
fn flapping_node_goes_down_and_comes_back() {
    let spec = SimSpec::new(&SimOptions {
        nodes: 8,
        ..SimOptions::default()
    });
    let up_before = spec.outcomes_at(10.0);
    let down = spec.outcomes_at(50.0);
    let up_after = spec.outcomes_at(100.0);
    assert!(up_before[6].gpus.is_ok());
    assert!(down[6].gpus.is_err());
    assert!(up_after[6].gpus.is_ok());
    // An Xid shows on the Xid node's GPU 2 after 20 s.
    let xid = |o: &[aami_tui::domain::ScrapeOutcome]| o[5].gpus.as_ref().unwrap()[2].last_xid;
    assert_eq!(xid(&up_before), Some(0));
    assert_eq!(xid(&down), Some(79));
}

#[tokio::test(start_paused = true)]
async fn collector_refreshes_on_the_interval_under_a_paused_clock() {
    let collector = Collector::new(Vec::new(), ScrapeLimits::default(), 4);
    let (tx, mut rx) = tokio::sync::mpsc::channel(16);
    let task = collector.spawn(Duration::from_secs(2), tx);
    let start = tokio::time::Instant::now();
    let mut at = Vec::new();
    for _ in 0..4 {
        rx.recv().await.unwrap();
        at.push(start.elapsed().as_secs());
    }
    task.abort();
    // First refresh at once, then every 2 s of (virtual) time.
    assert_eq!(at, vec![0, 2, 4, 6]);
}
