//! Query mode against a real Prometheus where the fleet is not all healthy:
//! a node whose exporter never answers (`up` 0), a node with host metrics
//! but no GPU series (a real node_exporter, whose version comes too), an
//! exporter that stops (its series go stale), and a node found by the
//! exporter's `Hostname` because its `instance` is a name, not the
//! configured address.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::time::Duration;

use aami_tui::config::{Config, Exporters, NodeConfig};
use aami_tui::domain::ScrapeOutcome;
use aami_tui::sources::FleetSource;
use common::pages::{self, PageServer};
use common::servers;

fn node(name: &str, ip: &str) -> NodeConfig {
    NodeConfig {
        name: name.into(),
        ip: ip.into(),
        exporters: Exporters {
            dcgm: None,
            node: None,
            ..Exporters::default()
        },
        ..NodeConfig::default()
    }
}

fn fixture(rel: &str) -> String {
    std::fs::read_to_string(common::fixture(rel)).expect("fixture")
}

/// A port on `ip` that nothing listens on.
fn closed_port(ip: &str) -> u16 {
    std::net::TcpListener::bind((ip, 0))
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port()
}

async fn refresh(config: &Config) -> Vec<ScrapeOutcome> {
    FleetSource::from_config(config)
        .expect("query mode")
        .refresh()
        .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unhealthy_nodes_through_prometheus() {
    let t4 = fixture("dcgm/derived_TeslaT4x1_dcgm-4.7-metric-names.prom");
    let a100 = fixture("dcgm/nvidia-cloud-native-docs_A100x1_MIG-1g.5gb_dcgm-exporter_sample.prom");
    let gone = format!("127.0.5.1:{}", closed_port("127.0.5.1"));
    // A real node_exporter (Debian package): host figures and its build info.
    let host_only = servers::node_exporter("127.0.5.2");
    let host_only_target = host_only.url.trim_start_matches("http://").to_string();
    let stops = PageServer::start("127.0.5.3", t4.clone()).await;
    // Scraped as `localhost:PORT`: the instance names no configured address.
    let by_hostname = PageServer::start("127.0.0.1", a100.clone()).await;
    let by_hostname_target = format!("localhost:{}", by_hostname.port);

    let mut config = Config {
        nodes: vec![
            node("gone", "127.0.5.1"),
            node("host-only", "127.0.5.2"),
            node("stops", "127.0.5.3"),
            // dcgm-exporter's Hostname label on the NVIDIA docs sample.
            node("ub20-a100-k8s", "127.255.0.9"),
        ],
        ..Config::default()
    };
    let prom = servers::prometheus(&[
        (
            "dcgm",
            vec![gone.clone(), stops.target(), by_hostname_target.clone()],
        ),
        ("node", vec![host_only_target]),
    ]);
    config.prometheus.url = Some(prom.url.clone());
    servers::wait_for_value(
        &prom.url,
        "count({__name__=~\"DCGM_.*\"})",
        (pages::sample_lines(&t4) + pages::sample_lines(&a100)) as f64,
        Duration::from_secs(40),
    )
    .await;
    servers::wait_for_value(
        &prom.url,
        &format!("up{{instance=\"{gone}\"}}"),
        0.0,
        Duration::from_secs(20),
    )
    .await;
    servers::wait_for_value(
        &prom.url,
        "count(node_memory_MemTotal_bytes)",
        1.0,
        Duration::from_secs(20),
    )
    .await;

    let out = refresh(&config).await;
    assert_eq!(
        out[0].gpus,
        Err("exporter target down in Prometheus (up == 0)".into()),
        "a target Prometheus cannot scrape"
    );
    assert_eq!(
        out[1].gpus,
        Err("no GPU series in Prometheus for this node".into()),
        "host metrics only"
    );
    let host = out[1]
        .host
        .as_ref()
        .and_then(|h| h.as_ref().ok())
        .expect("host figures through the API");
    assert!(host.mem_total_bytes.is_some_and(|b| b > 0.0), "{host:?}");
    assert!(
        host.exporter_version
            .as_deref()
            .is_some_and(|v| v.starts_with(char::is_numeric)),
        "node_exporter_build_info's version through the API: {host:?}"
    );
    let t4_gpus = out[2].gpus.as_ref().expect("the T4 while it is up");
    assert_eq!(t4_gpus.len(), 1);
    assert_eq!(t4_gpus[0].model, "Tesla T4");
    let a100_gpus = out[3].gpus.as_ref().expect("matched by Hostname");
    assert_eq!(
        a100_gpus[0].uuid,
        "GPU-34319582-d595-d1c7-d1d2-179bcfa61660"
    );
    assert_eq!(a100_gpus[0].mig.len(), 1);

    // Both GPU exporters stop: their series go stale at the next scrape.
    let stopped = stops.target();
    stops.stop().await;
    by_hostname.stop().await;
    servers::wait_for_value(
        &prom.url,
        &format!("up{{instance=\"{stopped}\"}}"),
        0.0,
        Duration::from_secs(20),
    )
    .await;
    for instance in [&stopped, &by_hostname_target] {
        servers::wait_for_value(
            &prom.url,
            &format!("absent({{__name__=~\"DCGM_.*\",instance=\"{instance}\"}})"),
            1.0,
            Duration::from_secs(20),
        )
        .await;
    }
    let out = refresh(&config).await;
    assert_eq!(
        out[2].gpus,
        Err("exporter target down in Prometheus (up == 0)".into()),
        "stopped exporter, matched by address"
    );
    assert_eq!(
        out[3].gpus,
        Err("no GPU series in Prometheus for this node".into()),
        "stopped exporter, matched by Hostname: no stale GPUs"
    );
    assert!(out[1].host.is_some(), "the host-only node is unaffected");
}
