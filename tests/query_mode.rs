//! Query mode against a real Prometheus and a real VictoriaMetrics scraping
//! the simulated fleet: the fleet model read back through the API equals the
//! one scraped directly, for the simulated fleet and for a page in DCGM 4.7
//! names.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::time::{Duration, Instant};

use aami_tui::cli::tui::fleet_from_config;
use aami_tui::config::Config;
use aami_tui::domain::NodeStatus;
use aami_tui::sim::{PortMode, SimFleet, SimOptions};
use aami_tui::sources::{Collector, FleetSource};
use common::fleets::{assert_same_fleet, read};
use common::pages::{self, PageServer};
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

/// A node reading the page `server` serves, from dcgm-exporter's port.
fn dcgm_node(name: &str, server: &PageServer) -> aami_tui::config::NodeConfig {
    aami_tui::config::NodeConfig {
        name: name.into(),
        ip: server.ip.to_string(),
        exporters: aami_tui::config::Exporters {
            dcgm: Some(server.port),
            node: None,
            ..Default::default()
        },
        ..Default::default()
    }
}

/// The bug this guards: query mode once asked Prometheus for 26 of the 49
/// dcgm names, so a DCGM 4.7 exporter's retired pages, NVLink errors and
/// slowdown temperature never reached the fleet. Both pages are derived
/// from real captures (see tests/fixtures/dcgm/PROVENANCE.md).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dcgm_47_pages_read_the_same_through_prometheus_as_scraped() {
    // The A100 page with its per-link NVLink lines (DCGM 4.7 names), so
    // the per-link name patterns of the query are checked too.
    let a100 = std::fs::read_to_string(common::fixture(
        "dcgm/derived_A100x1_dcgm-4.7-names_nvlink-per-link-L0-L11.prom",
    ))
    .unwrap();
    let t4 = std::fs::read_to_string(common::fixture(
        "dcgm/derived_TeslaT4x1_dcgm-4.7-metric-names.prom",
    ))
    .unwrap();
    let series = pages::sample_lines(&a100) + pages::sample_lines(&t4);
    let a100_page = PageServer::start("127.0.4.1", a100).await;
    let t4_page = PageServer::start("127.0.4.2", t4).await;
    let config = Config {
        nodes: vec![
            dcgm_node("ub20-a100-k8s", &a100_page),
            dcgm_node("cp-bm14r7", &t4_page),
        ],
        ..Config::default()
    };
    let prom = servers::prometheus(&[("dcgm", vec![a100_page.target(), t4_page.target()])]);
    servers::wait_for_value(
        &prom.url,
        "count({job=\"dcgm\",__name__=~\"DCGM_.*\"})",
        series as f64,
        Duration::from_secs(40),
    )
    .await;

    let direct = read(&config).await;
    let mut q = config.clone();
    q.prometheus.url = Some(prom.url.clone());
    let queried = read(&q).await;
    assert_same_fleet(&direct, &queried);

    // The comparison covers the families the old list missed: they are
    // there to compare, not both absent.
    let a = &queried.nodes[0].gpus[0];
    assert_eq!(a.retired_pages, Some(3.0), "RETIRED_SBE + RETIRED_DBE");
    assert_eq!(a.nvlink_errors, Some(4.0), "the four NVLINK_*_ERROR_TOTAL");
    assert_eq!(
        a.nvlink_links.len(),
        12,
        "NVLINK_*_ERROR_L#_TOTAL, THROUGHPUT_L#"
    );
    assert_eq!(a.nvlink_links[3].crc_flit, Some(3.0));
    assert_eq!(a.slowdown_temp_c, Some(90.0));
    assert_eq!(a.temp_c, Some(61.0), "GPU_TEMP_CELSIUS");
    assert_eq!(a.power_w, Some(409.692), "BOARD_POWER_WATTS");
    assert_eq!(a.mem_total_mib, Some(4845.0 + 35690.0));
    assert_eq!(a.last_xid, Some(0), "XID_ERROR");
    assert_eq!(a.mig.len(), 1, "the 1g.5gb instance");
    let t = &queried.nodes[1].gpus[0];
    assert_eq!(t.model, "Tesla T4");
    assert!((t.util_pct.unwrap() - 91.0).abs() < 1e-9, "ratio 0.91");
    assert_eq!(t.pcie_replays, Some(0.0), "PCIE_REPLAY_TOTAL");
}
