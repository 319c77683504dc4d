//! Host pages from a real node_exporter (Debian package): the collector
//! asks for only the collectors it reads (`collect[]`), falls back to the
//! whole page when the exporter refuses that (a named collector turned
//! off), and with a slower host cadence repeats the last host answer in
//! between. The version node_exporter names in its build info comes with
//! the narrowed page and is the binary's own.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::time::Duration;

use aami_tui::sources::{Collector, ScrapeLimits, Target, node_exporter};

const LIMITS: ScrapeLimits = ScrapeLimits {
    timeout: Duration::from_secs(5),
    max_body_bytes: 16 << 20,
};

fn host_only(url: &str) -> Vec<Target> {
    vec![Target {
        node: 0,
        gpu_url: None,
        host_url: Some(format!("{url}/metrics")),
        dialect: None,
        node_name: "n".into(),
    }]
}

async fn get(url: &str) -> (u16, usize) {
    let r = reqwest::get(url).await.expect("GET");
    let status = r.status().as_u16();
    (status, r.bytes().await.expect("body").len())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn collect_query_is_accepted_and_narrows_the_page() {
    let ne = common::servers::node_exporter("127.0.0.1");
    let full = get(&format!("{}/metrics", ne.url)).await;
    let narrowed = get(&format!(
        "{}/metrics?{}",
        ne.url,
        node_exporter::COLLECT_QUERY
    ))
    .await;
    assert_eq!(full.0, 200);
    assert_eq!(narrowed.0, 200, "every collector we name exists");
    assert!(
        narrowed.1 * 2 < full.1,
        "narrowed {} B, full {} B",
        narrowed.1,
        full.1
    );
    let out = Collector::new(host_only(&ne.url), LIMITS, 2)
        .refresh()
        .await;
    let host = out[0]
        .host
        .clone()
        .expect("host exporter configured")
        .expect("host read");
    assert!(host.mem_total_bytes.is_some_and(|m| m > 0.0));
    assert!(host.mem_available_bytes.is_some());
    assert!(host.cpu_count.is_some_and(|c| c >= 1));
    assert!(host.boot_time_seconds.is_some() && host.time_seconds.is_some());
    assert!(host.hostname.is_some(), "uname collector asked for");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refused_collect_falls_back_to_the_whole_page() {
    let ne = common::servers::node_exporter_with("127.0.0.1", &["--no-collector.uname"]);
    let narrowed = get(&format!(
        "{}/metrics?{}",
        ne.url,
        node_exporter::COLLECT_QUERY
    ))
    .await;
    assert_eq!(
        narrowed.0, 400,
        "node_exporter refuses a disabled collector"
    );
    let collector = Collector::new(host_only(&ne.url), LIMITS, 2);
    for round in 0..2 {
        let out = collector.refresh().await;
        let host = out[0]
            .host
            .clone()
            .expect("host exporter configured")
            .unwrap_or_else(|e| panic!("round {round}: {e}"));
        assert!(host.mem_total_bytes.is_some_and(|m| m > 0.0));
        assert!(host.hostname.is_none(), "uname is off there");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slower_host_cadence_repeats_the_last_answer() {
    let ne = common::servers::node_exporter("127.0.0.1");
    let collector = Collector::new(host_only(&ne.url), LIMITS, 2).with_host_every(3);
    let mut clocks = Vec::new();
    for _ in 0..4 {
        let out = collector.refresh().await;
        let host = out[0].host.clone().expect("configured").expect("read");
        clocks.push(host.time_seconds.expect("node_time_seconds"));
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // Read on refreshes 1 and 4; 2 and 3 repeat the first answer.
    assert_eq!(clocks[0], clocks[1]);
    assert_eq!(clocks[0], clocks[2]);
    assert!(clocks[3] > clocks[0], "{clocks:?}");
}

/// The version `prometheus-node-exporter --version` prints
/// (`node_exporter, version 1.5.0 (branch: …)`).
fn binary_version() -> String {
    let out = std::process::Command::new("/usr/bin/prometheus-node-exporter")
        .arg("--version")
        .output()
        .unwrap();
    // Older releases print it on standard error.
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let after = text.split_once("version ").unwrap().1;
    after.split_whitespace().next().unwrap().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scraped_version_is_the_binarys_own() {
    let ne = common::servers::node_exporter("127.0.0.1");
    let want = binary_version();
    assert!(want.starts_with(char::is_numeric), "{want:?}");
    let out = Collector::new(host_only(&ne.url), LIMITS, 2)
        .refresh()
        .await;
    let host = out[0]
        .host
        .clone()
        .expect("host exporter configured")
        .expect("host read");
    assert_eq!(
        host.exporter_version.as_deref(),
        Some(want.as_str()),
        "the narrowed (collect[]) page carries node_exporter_build_info"
    );
}
