//! Connections to plain-HTTP exporters are kept open between refreshes at
//! any fleet size, and opened per scrape when `tui.keep_alive: false`; the
//! general client (HTTPS) keeps them only up to `KEEP_ALIVE_MAX_ENDPOINTS`,
//! where its idle connections would cost more memory than handshakes cost
//! time. Counted at a real keep-alive HTTP/1.1 server.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aami_tui::sources::collector::Target;
use aami_tui::sources::http::{KEEP_ALIVE_MAX_ENDPOINTS, keep_alive};
use aami_tui::sources::{Collector, ScrapeLimits};
use tokio::io::AsyncWriteExt;

/// Serves `body` to every request on each connection until the client
/// closes it (HTTP/1.1 keep-alive), counting connections accepted.
async fn keep_alive_server(body: String) -> (u16, Arc<AtomicUsize>) {
    let body = Arc::new(body);
    common::raw_http::counting_server(move |mut s| {
        let body = body.clone();
        async move {
            while common::raw_http::read_request(&mut s).await {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                if s.write_all(head.as_bytes()).await.is_err()
                    || s.write_all(body.as_bytes()).await.is_err()
                {
                    return;
                }
            }
        }
    })
    .await
}

fn targets(port: u16, n: usize) -> Vec<Target> {
    (0..n)
        .map(|i| Target {
            node: i,
            gpu_url: Some(format!("http://127.0.0.1:{port}/metrics")),
            host_url: None,
            ..Target::default()
        })
        .collect()
}

const LIMITS: ScrapeLimits = ScrapeLimits {
    timeout: Duration::from_secs(5),
    max_body_bytes: 16 << 20,
};

/// Connections accepted over three refreshes of `n` nodes on one exporter.
async fn connections_over_three_refreshes(n: usize, setting: Option<bool>) -> usize {
    let page = std::fs::read_to_string(common::fixture(
        "dcgm/nvidia-aicr_H100x8_pod-labels_dcgm-exporter_sampled-lines.prom",
    ))
    .unwrap();
    let (port, accepted) = keep_alive_server(page).await;
    // One scrape at a time, so each refresh could reuse one connection.
    let c = Collector::with_keep_alive(targets(port, n), LIMITS, 1, setting);
    for _ in 0..3 {
        let out = c.refresh().await;
        assert!(out.iter().all(|o| o.gpus.is_ok()), "{out:?}");
    }
    accepted.load(Ordering::SeqCst)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_small_fleet_reuses_its_connections() {
    // 12 scrapes, one at a time: one connection serves them all, or now
    // and then a second when the next request starts before hyper has put
    // the first back in its pool.
    let opened = connections_over_three_refreshes(4, None).await;
    assert!(opened <= 3, "{opened} connections for 12 scrapes");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn keep_alive_off_opens_a_connection_per_scrape() {
    assert_eq!(connections_over_three_refreshes(4, Some(false)).await, 12);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_large_fleet_over_plain_http_keeps_its_connections_unless_told() {
    // Plain-HTTP connections are kept at any size (an idle one is only its
    // socket); the general client's size threshold does not apply to them.
    let n = KEEP_ALIVE_MAX_ENDPOINTS + 1;
    let opened = connections_over_three_refreshes(n, None).await;
    assert!(opened <= 4, "{opened} connections for {} scrapes", 3 * n);
    assert_eq!(
        connections_over_three_refreshes(n, Some(false)).await,
        3 * n
    );
}

#[test]
fn the_policy_counts_endpoints_and_obeys_the_setting() {
    assert!(keep_alive(KEEP_ALIVE_MAX_ENDPOINTS, None));
    assert!(!keep_alive(KEEP_ALIVE_MAX_ENDPOINTS + 1, None));
    assert!(keep_alive(10_000, Some(true)));
    assert!(!keep_alive(1, Some(false)));
}
