//! Nodes that misbehave are the normal case: each misbehaviour gets a server
//! that misbehaves that way, and the node's status names the cause.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aami_tui::sources::ScrapeLimits;
use aami_tui::sources::collector::{Target, scrape_node};
use aami_tui::sources::http::Scraper;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

/// One 8-GPU line set from the H100 capture (fixture), for valid bodies.
const GOOD_LINE: &str = "DCGM_FI_DEV_GPU_TEMP{gpu=\"0\",UUID=\"GPU-c4529c8d-69c4-b61d-e0bc-7b2460096005\",pci_bus_id=\"00000000:53:00.0\",device=\"nvidia0\",modelName=\"NVIDIA H100 80GB HBM3\",Hostname=\"gpu-node-1\",DCGM_FI_DRIVER_VERSION=\"580.105.08\"} 30\n";

/// What a `Huge` server managed to hand to the kernel before the reader
/// hung up: whole chunks written, and whether the server has stopped.
#[derive(Default)]
struct BodyMeter {
    bytes: AtomicUsize,
    stopped: AtomicBool,
}

#[derive(Clone)]
enum Behaviour {
    Raw(Vec<u8>),
    Trickle,
    Huge {
        with_length: bool,
        meter: Arc<BodyMeter>,
    },
    Truncated,
}

async fn serve(b: Behaviour) -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = l.local_addr().unwrap().port();
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let b = b.clone();
            tokio::spawn(async move {
                let mut buf = [0u8; 4096];
                let _ = s.read(&mut buf).await;
                match b {
                    Behaviour::Raw(bytes) => {
                        let _ = s.write_all(&bytes).await;
                    }
                    Behaviour::Trickle => {
                        let _ = s
                            .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
                            .await;
                        for _ in 0..600 {
                            if s.write_all(b"#").await.is_err() {
                                return;
                            }
                            tokio::time::sleep(Duration::from_millis(50)).await;
                        }
                    }
                    Behaviour::Huge { with_length, meter } => {
                        let total: usize = 200 << 20;
                        let head = if with_length {
                            format!("HTTP/1.1 200 OK\r\nContent-Length: {total}\r\n\r\n")
                        } else {
                            "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n".to_string()
                        };
                        let _ = s.write_all(head.as_bytes()).await;
                        let chunk = GOOD_LINE.repeat(64);
                        let mut sent = 0;
                        while sent < total {
                            if s.write_all(chunk.as_bytes()).await.is_err() {
                                break;
                            }
                            sent += chunk.len();
                            meter.bytes.store(sent, Ordering::SeqCst);
                        }
                        meter.stopped.store(true, Ordering::SeqCst);
                    }
                    Behaviour::Truncated => {
                        let body = GOOD_LINE.repeat(4);
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\n\r\n",
                            body.len() * 2
                        );
                        let _ = s.write_all(head.as_bytes()).await;
                        let _ = s.write_all(body.as_bytes()).await;
                    }
                }
            });
        }
    });
    port
}

fn http(status: &str, content_type: &str, body: &str) -> Behaviour {
    Behaviour::Raw(
        format!("HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len())
            .into_bytes(),
    )
}

const LIMITS: ScrapeLimits = ScrapeLimits {
    timeout: Duration::from_millis(600),
    max_body_bytes: 1 << 20,
};

async fn reason_for(url: String) -> Result<Vec<aami_tui::domain::GpuSample>, String> {
    let t = Target {
        node: 0,
        gpu_url: Some(url),
        host_url: None,
        ..Target::default()
    };
    scrape_node(&Scraper::new(1, None), &t, LIMITS).await.gpus
}

async fn reason(b: Behaviour) -> Result<Vec<aami_tui::domain::GpuSample>, String> {
    let port = serve(b).await;
    reason_for(format!("http://127.0.0.1:{port}/metrics")).await
}

#[tokio::test]
async fn http_500() {
    assert_eq!(
        reason(http("500 Internal Server Error", "text/plain", "boom"))
            .await
            .unwrap_err(),
        "HTTP 500"
    );
}

#[tokio::test]
async fn html_instead_of_metrics() {
    let r = reason(http(
        "200 OK",
        "text/html",
        "<html><body>login</body></html>",
    ))
    .await;
    assert_eq!(r.unwrap_err(), "not a metrics page (HTML)");
    // Served as text/plain, still HTML.
    let r = reason(http("200 OK", "text/plain", "<!DOCTYPE html><html></html>")).await;
    assert_eq!(r.unwrap_err(), "not a metrics page (HTML)");
}

#[tokio::test]
async fn empty_and_foreign_pages() {
    assert_eq!(
        reason(http("200 OK", "text/plain", "")).await.unwrap_err(),
        "not a metrics page (empty page)"
    );
    let r = reason(http("200 OK", "text/plain", "go_goroutines 12\n")).await;
    assert_eq!(r.unwrap_err(), "not a metrics page (no GPU metrics)");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn trickling_server_times_out_on_schedule() {
    let t0 = Instant::now();
    let r = reason(Behaviour::Trickle).await;
    assert_eq!(r.unwrap_err(), "timeout after 0.6s");
    assert!(t0.elapsed() < Duration::from_secs(2));
}

/// Bytes the kernel can hold between a writer and a reader that stopped
/// reading on loopback: the sender's and the receiver's largest socket
/// buffers (`tcp_wmem` and `tcp_rmem` maxima), plus 1 MiB for the client's
/// own read buffers.
fn in_flight_bound() -> usize {
    let max_of = |f: &str| {
        std::fs::read_to_string(f)
            .expect(f)
            .split_whitespace()
            .last()
            .and_then(|v| v.parse::<usize>().ok())
            .expect(f)
    };
    max_of("/proc/sys/net/ipv4/tcp_wmem") + max_of("/proc/sys/net/ipv4/tcp_rmem") + (1 << 20)
}

/// Scrapes a 200 MB page with a generous deadline (so only the size cap
/// can stop the read) and returns the reason and the bytes the server
/// managed to send before the reader hung up.
async fn huge_page(with_length: bool) -> (Result<Vec<aami_tui::domain::GpuSample>, String>, usize) {
    let meter = Arc::new(BodyMeter::default());
    let port = serve(Behaviour::Huge {
        with_length,
        meter: Arc::clone(&meter),
    })
    .await;
    let t = Target {
        node: 0,
        gpu_url: Some(format!("http://127.0.0.1:{port}/metrics")),
        ..Target::default()
    };
    let limits = ScrapeLimits {
        timeout: Duration::from_secs(60),
        ..LIMITS
    };
    let r = scrape_node(&Scraper::new(1, None), &t, limits).await.gpus;
    // The server stops when its writes fail, i.e. once the reader closed.
    let deadline = Instant::now() + Duration::from_secs(30);
    while !meter.stopped.load(Ordering::SeqCst) {
        assert!(
            Instant::now() < deadline,
            "server still writing after the scrape ended ({} bytes)",
            meter.bytes.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sent = meter.bytes.load(Ordering::SeqCst);
    eprintln!("with_length {with_length}: the server sent {sent} bytes before the reader hung up");
    (r, sent)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn huge_pages_are_refused_without_reading_them_all() {
    let total: usize = 200 << 20;
    let cap = LIMITS.max_body_bytes;
    let bound = in_flight_bound();
    assert!(
        cap + bound < total / 2,
        "socket buffers ({bound} bytes) too large for this test to tell"
    );
    // With a Content-Length the page is refused from its header.
    let (r, sent) = huge_page(true).await;
    assert_eq!(r.unwrap_err(), "body over 1 MiB");
    assert!(
        sent <= bound,
        "refused from the header, yet {sent} bytes sent"
    );
    // Without one, reading stops at the cap: the server could only send
    // the cap plus what the socket buffers hold, not the 200 MB.
    let (r, sent) = huge_page(false).await;
    assert_eq!(r.unwrap_err(), "body over 1 MiB");
    assert!(sent >= cap, "the reader read up to the cap ({sent} bytes)");
    assert!(
        sent <= cap + bound,
        "reading stopped near the 1 MiB cap: server sent {sent} of {total} bytes (bound {})",
        cap + bound
    );
}

#[tokio::test]
async fn truncated_body_is_an_error_not_a_partial_fleet() {
    let r = reason(Behaviour::Truncated).await;
    let e = r.unwrap_err();
    assert!(e.starts_with("body:") || e.contains("closed"), "{e}");
}

#[tokio::test]
async fn page_cut_mid_line_keeps_the_whole_lines() {
    let mut body = GOOD_LINE.to_string();
    body.push_str("DCGM_FI_DEV_POWER_USAGE{gpu=\"0\",UUID=\"GPU-c45");
    let gpus = reason(http("200 OK", "text/plain", &body)).await.unwrap();
    assert_eq!(gpus.len(), 1);
    assert_eq!(gpus[0].temp_c, Some(30.0));
    assert_eq!(gpus[0].power_w, None);
}

#[tokio::test]
async fn nan_inf_and_duplicates() {
    let body = format!(
        "{}{}{}",
        GOOD_LINE.replace("} 30", "} NaN"),
        GOOD_LINE
            .replace("DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_POWER_USAGE")
            .replace("} 30", "} +Inf"),
        GOOD_LINE
            .replace("DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_GPU_UTIL")
            .replace("} 30", "} 40")
            + &GOOD_LINE
                .replace("DCGM_FI_DEV_GPU_TEMP", "DCGM_FI_DEV_GPU_UTIL")
                .replace("} 30", "} 41")
    );
    let gpus = reason(http("200 OK", "text/plain", &body)).await.unwrap();
    assert_eq!(gpus.len(), 1, "duplicate series are one GPU");
    assert_eq!(gpus[0].temp_c, None, "NaN is unknown, not a number");
    assert_eq!(gpus[0].power_w, None, "Inf is unknown");
    assert_eq!(gpus[0].util_pct, Some(41.0), "the later duplicate wins");
}

#[tokio::test]
async fn escape_sequences_in_labels_never_reach_the_terminal() {
    let body = GOOD_LINE.replace("NVIDIA H100 80GB HBM3", "H100\u{1b}]0;owned\u{7}\u{1b}[2J");
    let gpus = reason(http("200 OK", "text/plain", &body)).await.unwrap();
    assert!(
        !gpus[0].model.chars().any(|c| c.is_control()),
        "{:?}",
        gpus[0].model
    );
    assert!(gpus[0].model.starts_with("H100"));
}

#[tokio::test]
async fn refused_dns_and_tls_are_named() {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    assert_eq!(
        reason_for(format!("http://127.0.0.1:{port}/metrics"))
            .await
            .unwrap_err(),
        "connection refused"
    );
    assert_eq!(
        reason_for("http://no-such-host.invalid:9400/metrics".into())
            .await
            .unwrap_err(),
        "DNS lookup failed"
    );
    // TLS to a server that speaks plain HTTP.
    let port = serve(http("200 OK", "text/plain", GOOD_LINE)).await;
    let e = reason_for(format!("https://127.0.0.1:{port}/metrics"))
        .await
        .unwrap_err();
    assert!(e.starts_with("TLS error"), "{e}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_bad_node_does_not_delay_the_others() {
    use aami_tui::sources::Collector;
    let good = serve(http("200 OK", "text/plain", GOOD_LINE)).await;
    let hung = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hung_port = hung.local_addr().unwrap().port();
    let _keep = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((s, _)) = hung.accept().await {
            held.push(s);
        }
    });
    let mut targets: Vec<Target> = (0..20)
        .map(|i| Target {
            node: i,
            gpu_url: Some(format!("http://127.0.0.1:{good}/metrics")),
            host_url: None,
            ..Target::default()
        })
        .collect();
    targets.push(Target {
        node: 20,
        gpu_url: Some(format!("http://127.0.0.1:{hung_port}/metrics")),
        host_url: None,
        ..Target::default()
    });
    let c = Collector::new(targets, LIMITS, 4);
    let t0 = Instant::now();
    let out = c.refresh().await;
    assert!(
        t0.elapsed() < Duration::from_millis(1500),
        "bounded by one timeout, took {:?}",
        t0.elapsed()
    );
    assert_eq!(out.iter().filter(|o| o.gpus.is_ok()).count(), 20);
}
