//! Query mode against a real Prometheus and a real VictoriaMetrics scraping
//! the simulated fleet: the fleet model read back through the API equals the
//! one scraped directly.

mod common;

use std::time::{Duration, Instant};

use aami_tui::cli::tui::fleet_from_config;
use aami_tui::config::Config;
use aami_tui::domain::{Fleet, NodeStatus};
use aami_tui::sim::{PortMode, SimFleet, SimOptions};
use aami_tui::sources::{Collector, FleetSource};
use common::servers;

async fn frozen_sim() -> SimFleet {
    SimFleet::start(SimOptions {
        nodes: 6,
        ports: PortMode::Ephemeral,
        frozen_at: Some(50.0),
        ..SimOptions::default()
    })
    .await
    .unwrap()
}

fn jobs(config: &Config) -> Vec<(&'static str, Vec<String>)> {
    vec![
        (
            "dcgm",
            config
                .nodes
                .iter()
                .map(|n| format!("{}:{}", n.ip, n.exporters.dcgm.unwrap()))
                .collect(),
        ),
        (
            "node",
            config
                .nodes
                .iter()
                .map(|n| format!("{}:{}", n.ip, n.exporters.node.unwrap()))
                .collect(),
        ),
    ]
}

async fn read(config: &Config) -> Fleet {
    let source = FleetSource::from_config(config).unwrap();
    let mut fleet = fleet_from_config(config);
    fleet.apply_refresh(source.refresh().await, Instant::now(), Duration::ZERO);
    fleet
}

fn assert_same_fleet(direct: &Fleet, queried: &Fleet) {
    for (d, q) in direct.nodes.iter().zip(&queried.nodes) {
        assert_eq!(d.status, q.status, "{}", d.spec.name);
        assert_eq!(d.gpus.len(), q.gpus.len(), "{}", d.spec.name);
        for (a, b) in d.gpus.iter().zip(&q.gpus) {
            assert_eq!(a.index, b.index);
            assert_eq!(a.uuid, b.uuid);
            assert_eq!(a.model, b.model);
            assert_eq!(a.util_pct, b.util_pct, "{} GPU {}", d.spec.name, a.index);
            assert_eq!(a.temp_c, b.temp_c);
            assert_eq!(a.power_w, b.power_w);
            assert_eq!(a.mem_used_mib, b.mem_used_mib);
            assert_eq!(a.mem_total_mib, b.mem_total_mib);
            assert_eq!(a.throttle_reasons, b.throttle_reasons);
            assert_eq!(a.last_xid, b.last_xid);
            assert_eq!(a.mig.len(), b.mig.len());
        }
        let mem = |f: &aami_tui::domain::NodeState| f.host.as_ref().and_then(|h| h.mem_total_bytes);
        assert_eq!(mem(d), mem(q), "host figures through the API");
    }
}

async fn check_against(server_url: &str, config: &Config, expected_gpus: usize) {
    servers::wait_for_value(
        server_url,
        "count(DCGM_FI_DEV_GPU_UTIL)",
        expected_gpus as f64,
        Duration::from_secs(40),
    )
    .await;
    servers::wait_for_value(
        server_url,
        "count(node_memory_MemTotal_bytes)",
        config.nodes.len() as f64,
        Duration::from_secs(40),
    )
    .await;
    let direct = read(config).await;
    let mut q = config.clone();
    q.prometheus.url = Some(server_url.to_string());
    let queried = read(&q).await;
    assert!(matches!(
        FleetSource::from_config(&q).unwrap(),
        FleetSource::Query(_)
    ));
    assert_same_fleet(&direct, &queried);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prometheus_query_mode_matches_direct_scraping() {
    let sim = frozen_sim().await;
    let config = sim.config();
    let direct = read(&config).await;
    let gpus = direct.gpu_count();
    let prom = servers::prometheus(&jobs(&config));
    check_against(&prom.url, &config, gpus).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn victoria_metrics_query_mode_matches_direct_scraping() {
    let sim = frozen_sim().await;
    let config = sim.config();
    let gpus = read(&config).await.gpu_count();
    let vm = servers::victoria_metrics(&jobs(&config));
    check_against(&vm.url, &config, gpus).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unreachable_api_marks_every_node_with_the_reason() {
    let sim = frozen_sim().await;
    let mut config = sim.config();
    config.prometheus.url = Some(format!("http://127.0.0.1:{}", servers::free_port()));
    let fleet = read(&config).await;
    for n in &fleet.nodes {
        match &n.status {
            NodeStatus::Down(why) => assert!(why.starts_with("query mode: cannot reach"), "{why}"),
            other => panic!("{other:?}"),
        }
    }
    // Direct scraping of the same fleet is unaffected.
    let direct = Collector::from_config(&sim.config()).refresh().await;
    assert!(direct.iter().all(|o| o.gpus.is_ok()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn opening_a_node_loads_its_history_with_query_range() {
    use aami_tui::app::jobs::JobKind;
    use aami_tui::app::{Action, App, Event, Origin, Request};
    let sim = SimFleet::start(SimOptions {
        nodes: 2,
        ports: PortMode::Ephemeral,
        ..SimOptions::default()
    })
    .await
    .unwrap();
    let mut config = sim.config();
    let prom = servers::prometheus(&jobs(&config));
    servers::wait_for_value(
        &prom.url,
        "count(count_over_time(DCGM_FI_DEV_GPU_UTIL[1m]) >= 4)",
        16.0,
        Duration::from_secs(40),
    )
    .await;
    config.prometheus.url = Some(prom.url.clone());
    config.tui.refresh = "1s".into();
    let source = FleetSource::from_config(&config).unwrap();
    let mut app = App::new(fleet_from_config(&config), Origin::Live, Instant::now());
    app.history_available = true;
    app.on_event(Event::Refresh {
        outcomes: source.refresh().await,
        started: Instant::now(),
        took: Duration::ZERO,
    });
    app.apply(Action::Open);
    assert!(
        matches!(app.requests.as_slice(), [Request::RunJob(spec)]
            if spec.kind == JobKind::HistoryLoad && spec.targets == [0]),
        "opening a node asks for its history: {:?}",
        app.requests
    );
    let series = source
        .history(0, Duration::from_secs(60), Duration::from_secs(1))
        .await
        .expect("query mode keeps history");
    app.on_event(Event::History {
        node: 0,
        series: series.expect("history"),
    });
    let h = &app.fleet.nodes[0].history;
    assert_eq!(h.len(), 8, "every GPU of the H100 node");
    for ring in h.values() {
        let points: Vec<f64> = ring.util.iter().filter(|v| v.is_finite()).collect();
        assert!(points.len() >= 4, "{points:?}");
        assert!(points.iter().all(|v| (0.0..=100.0).contains(v)));
        assert!(ring.temp.iter().any(f64::is_finite));
    }
    // Direct scraping has no database behind it: no history request result.
    let direct = FleetSource::Scrape(Collector::from_config(&sim.config()));
    assert!(
        direct
            .history(0, Duration::from_secs(60), Duration::from_secs(1))
            .await
            .is_none()
    );
}
