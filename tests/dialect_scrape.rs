//! Nodes whose GPUs come from other exporters than dcgm-exporter, scraped
//! over HTTP by the collector: all-smi, nvidia_gpu_exporter, a custom
//! `/v1/collect` JSON endpoint, and a page whose dialect is detected.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::time::{Duration, Instant};

use aami_tui::cli::tui::fleet_from_config;
use aami_tui::config::{Config, Dialect, Exporters, NodeConfig};
use aami_tui::domain::{Fleet, NodeStatus};
use aami_tui::sources::Collector;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// Serves `body` to every request on 127.0.0.1.
async fn serve(body: String) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let body = body.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                    body.len()
                );
                let _ = s.write_all(head.as_bytes()).await;
                let _ = s.write_all(body.as_bytes()).await;
            });
        }
    });
    port
}

fn node(name: &str, ip: &str, exporters: Exporters) -> NodeConfig {
    NodeConfig {
        name: name.into(),
        ip: ip.into(),
        exporters,
        ..NodeConfig::default()
    }
}

fn no_exporters() -> Exporters {
    Exporters {
        dcgm: None,
        node: None,
        ..Exporters::default()
    }
}

async fn scrape(config: &Config) -> Fleet {
    let mut fleet = fleet_from_config(config);
    fleet.apply_refresh(
        Collector::from_config(config).refresh().await,
        Instant::now(),
        Duration::ZERO,
    );
    fleet
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_exporters_fill_the_same_fleet_model() {
    let all_smi = serve(
        std::fs::read_to_string(common::fixture(
            "all_smi/allsmi-mock-0.28.1_nvidia_mig.prom",
        ))
        .unwrap(),
    )
    .await;
    let nvgpu = serve(
        std::fs::read_to_string(common::fixture(
            "nvidia_gpu_exporter/nvgpuexp_metrics_linux-x86_64__nvidia-h100-80gb-hbm3__590.48.01__load.prom",
        ))
        .unwrap(),
    )
    .await;
    let json = serve(
        std::fs::read_to_string(common::fixture("custom_json/bie_v1_collect_demo-app.json"))
            .unwrap(),
    )
    .await;
    let detected = serve(
        std::fs::read_to_string(common::fixture("all_smi/allsmi-mock-0.28.1_amdgpu.prom")).unwrap(),
    )
    .await;
    let c = Config {
        nodes: vec![
            node(
                "b200",
                "127.0.0.1",
                Exporters {
                    all_smi: Some(all_smi),
                    ..no_exporters()
                },
            ),
            node(
                "h100",
                "127.0.0.1",
                Exporters {
                    nvidia_gpu_exporter: Some(nvgpu),
                    ..no_exporters()
                },
            ),
            node(
                "docker-desktop",
                "127.0.0.3",
                Exporters {
                    custom_json: Some(format!("http://127.0.0.1:{json}/v1/collect")),
                    ..no_exporters()
                },
            ),
            // A page on the dcgm port that is really all-smi: detected from the page.
            node(
                "mi355x",
                "127.0.0.1",
                Exporters {
                    dcgm: Some(detected),
                    node: None,
                    ..Exporters::default()
                },
            ),
            // A pinned dialect that does not match the page is an error, not a guess.
            node(
                "pinned",
                "127.0.0.1",
                Exporters {
                    dcgm: Some(detected),
                    node: None,
                    dialect: Some(Dialect::NvidiaGpuExporter),
                    ..Exporters::default()
                },
            ),
        ],
        ..Config::default()
    };
    // Every test server listens on 127.0.0.1; a config file would refuse the
    // shared address, a config built in code does not check it.
    let f = scrape(&c).await;
    let by = |name: &str| f.nodes.iter().find(|n| n.spec.name == name).unwrap();
    assert_eq!(by("b200").status, NodeStatus::Up, "{:?}", by("b200").status);
    assert_eq!(by("b200").gpus.len(), 8);
    assert!(
        by("b200").gpus.iter().any(|g| !g.mig.is_empty()),
        "MIG instances from all-smi"
    );
    assert_eq!(by("h100").gpus.len(), 1);
    assert_eq!(by("h100").model(), Some("NVIDIA H100 80GB HBM3"));
    assert_eq!(by("docker-desktop").gpus.len(), 2);
    assert_eq!(
        by("docker-desktop").gpus[0].util_pct,
        Some(10.0),
        "percent 0-1 becomes %"
    );
    assert_eq!(by("mi355x").gpus.len(), 8);
    assert!(by("mi355x").model().unwrap().contains("MI355X"));
    assert!(by("pinned").status.is_down(), "{:?}", by("pinned").status);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn custom_json_answer_without_this_node_says_so() {
    let json = serve(r#"{"a": {"deviceNum": 1, "devices": [{"usedMemory": 1, "totalMemory": 2, "percent": 0.5}]}, "b": {"deviceNum": 0, "devices": []}}"#.to_string()).await;
    let c = Config {
        nodes: vec![node(
            "zz",
            "127.0.0.1",
            Exporters {
                custom_json: Some(format!("http://127.0.0.1:{json}/v1/collect")),
                ..no_exporters()
            },
        )],
        ..Config::default()
    };
    let f = scrape(&c).await;
    match &f.nodes[0].status {
        NodeStatus::Down(why) => assert!(
            why.contains("none named \"zz\"") || why.contains("not a metrics page"),
            "{why}"
        ),
        other => panic!("{other:?}"),
    }
}
