//! Scrape cost: parse + normalise per page (8-GPU dcgm page, a full
//! node_exporter page) and one full refresh of 1,024 simulated 8-GPU nodes
//! over loopback HTTP. Run: `cargo bench --bench scrape`.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

use std::hint::black_box;
use std::time::Instant;

use aami_tui::sim::{PortMode, SimFleet, SimOptions, SimSpec};
use aami_tui::sources::{Collector, collector, dcgm, node_exporter};
use criterion::{Criterion, Throughput};

const NODE_EXPORTER_PAGE: &str =
    include_str!("../tests/fixtures/node_exporter/node_exporter_e2e-output_linux.txt");

fn cpu_seconds() -> f64 {
    // utime + stime of this process, from /proc (Linux).
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) + ticks(12)) / 100.0
}

fn peak_rss_mib() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| {
            l.split_whitespace()
                .nth(1)
                .and_then(|v| v.parse::<f64>().ok())
        })
        .unwrap_or(0.0)
        / 1024.0
}

fn full_refresh_figures() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let sim = SimFleet::start(SimOptions { nodes: 1024, gpus: Some(8), ports: PortMode::Ephemeral, ..SimOptions::default() })
            .await
            .unwrap();
        let mut config = sim.config();
        config.tui.refresh = "10s".into();
        let collector = Collector::from_config(&config);
        let _ = collector.refresh().await; // warm the connection pool
        let mut wall = Vec::new();
        let mut cpu = Vec::new();
        let mut bytes = 0usize;
        for _ in 0..5 {
            let c0 = cpu_seconds();
            let t0 = Instant::now();
            let out = collector.refresh().await;
            wall.push(t0.elapsed().as_secs_f64());
            cpu.push(cpu_seconds() - c0);
            assert_eq!(out.len(), 1024);
            assert!(out.iter().filter(|o| o.gpus.is_ok()).count() >= 1000);
        }
        for i in 0..1024 {
            bytes += sim.spec.dcgm_page(i, 10.0).len() + sim.spec.node_page(i, 10.0).len();
        }
        wall.sort_by(f64::total_cmp);
        cpu.sort_by(f64::total_cmp);
        println!(
            "full refresh, 1,024 nodes x 8 GPUs over loopback (simulator in the same process): wall median {:.0} ms, CPU median {:.2} s (scraper + simulator), {:.1} MB per refresh, {:.0} MB/s, peak RSS {:.0} MiB",
            wall[2] * 1e3,
            cpu[2],
            bytes as f64 / 1e6,
            bytes as f64 / 1e6 / wall[2],
            peak_rss_mib()
        );
    });
}

fn main() {
    // `cargo test --all-targets` runs this once in test mode: skip the
    // minute-long fleet refresh there, keep it for `cargo bench`.
    if std::env::args().any(|a| a == "--bench") {
        full_refresh_figures();
    }
    let spec = SimSpec::new(&SimOptions {
        nodes: 1,
        gpus: Some(8),
        ..SimOptions::default()
    });
    let dcgm_page = spec.dcgm_page(0, 10.0);
    let mut c = Criterion::default().configure_from_args().sample_size(30);
    let mut g = c.benchmark_group("parse");
    g.throughput(Throughput::Bytes(dcgm_page.len() as u64));
    g.bench_function("dcgm_8gpu_page", |b| {
        b.iter(|| collector::parse_gpu_page(black_box(&dcgm_page)))
    });
    g.bench_function("dcgm_8gpu_page_unfiltered", |b| {
        b.iter(|| aami_tui::sources::exposition::parse_filtered(black_box(&dcgm_page), |_| true))
    });
    // The parser the collector used before (kept as a dev-dependency).
    g.bench_function("dcgm_8gpu_page_prometheus_parse_crate", |b| {
        b.iter(|| {
            prometheus_parse::Scrape::parse(
                black_box(&dcgm_page).lines().map(|l| Ok(l.to_string())),
            )
        })
    });
    g.throughput(Throughput::Bytes(NODE_EXPORTER_PAGE.len() as u64));
    g.bench_function("node_exporter_full_page", |b| {
        b.iter(|| node_exporter::parse(black_box(NODE_EXPORTER_PAGE)))
    });
    g.finish();
    let _ = dcgm::wanted;
    c.final_summary();
}
