//! The plain-HTTP scrape client against servers that frame their answers
//! every way HTTP/1.1 allows, close kept connections under it, or cut a
//! body short. Each server is a raw TCP listener on loopback writing the
//! bytes a case needs, around a real dcgm-exporter capture.
#![allow(clippy::unwrap_used)] // tests unwrap: a failure is the report

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use aami_tui::sources::collector::Target;
use aami_tui::sources::{Collector, ScrapeLimits, collector};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpStream;

fn page() -> String {
    std::fs::read_to_string(common::fixture(
        "dcgm/nvidia-aicr_H100x8_pod-labels_dcgm-exporter_sampled-lines.prom",
    ))
    .unwrap()
}

/// How a test server answers each request.
#[derive(Clone, Copy)]
enum Answer {
    /// Content-Length, connection kept.
    Length,
    /// Chunked in 1,000-byte chunks with a chunk extension and a trailer.
    Chunked,
    /// Content-Length, then the server closes without saying so: the
    /// client's kept connection is stale at the next refresh.
    LengthThenSilentClose,
    /// `Connection: close` and a close.
    LengthConnectionClose,
    /// HTTP/1.0 without a length: the body ends when the server closes.
    UntilClose,
    /// Announces more bytes than it sends, then closes.
    CutShort,
}

async fn serve(answer: Answer, body: String) -> (u16, Arc<AtomicUsize>) {
    let body = Arc::new(body);
    common::raw_http::counting_server(move |mut s| {
        let body = body.clone();
        async move {
            while common::raw_http::read_request(&mut s).await {
                if answer_once(&mut s, answer, &body).await {
                    let _ = s.shutdown().await;
                    return;
                }
            }
        }
    })
    .await
}

/// Writes one answer; true when the server then closes the connection.
async fn answer_once(s: &mut TcpStream, answer: Answer, body: &str) -> bool {
    let length = |extra: usize, more: &str| {
        format!(
            "HTTP/1.1 200 OK\r\n{more}Content-Length: {}\r\n\r\n",
            body.len() + extra
        )
    };
    let (head, close) = match answer {
        Answer::Length => (
            length(0, "Content-Type: text/plain; version=0.0.4\r\n"),
            false,
        ),
        Answer::LengthThenSilentClose => (length(0, ""), true),
        Answer::LengthConnectionClose => (length(0, "Connection: close\r\n"), true),
        Answer::UntilClose => (
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\n".into(),
            true,
        ),
        Answer::CutShort => (length(100, ""), true),
        Answer::Chunked => {
            let mut out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
            for chunk in body.as_bytes().chunks(1000) {
                out.extend_from_slice(format!("{:x};ext=1\r\n", chunk.len()).as_bytes());
                out.extend_from_slice(chunk);
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(b"0\r\nX-Trailer: yes\r\n\r\n");
            s.write_all(&out).await.unwrap();
            return false;
        }
    };
    s.write_all(head.as_bytes()).await.unwrap();
    s.write_all(body.as_bytes()).await.unwrap();
    close
}

const LIMITS: ScrapeLimits = ScrapeLimits {
    timeout: Duration::from_secs(5),
    max_body_bytes: 16 << 20,
};

/// Three refreshes of two nodes on one server, one scrape at a time:
/// every outcome, and the connections the server accepted.
async fn three_refreshes(answer: Answer) -> (Vec<Result<usize, String>>, usize) {
    let (port, accepted) = serve(answer, page()).await;
    let targets = (0..2)
        .map(|i| Target {
            node: i,
            gpu_url: Some(format!("http://127.0.0.1:{port}/metrics")),
            ..Target::default()
        })
        .collect();
    let c = Collector::with_keep_alive(targets, LIMITS, 1, None);
    let mut outcomes = Vec::new();
    for _ in 0..3 {
        for o in c.refresh().await {
            outcomes.push(o.gpus.map(|g| g.len()).map_err(|e| e.to_string()));
        }
    }
    (outcomes, accepted.load(Ordering::SeqCst))
}

fn gpus_in_page() -> usize {
    collector::parse_gpu_page(&page()).unwrap().len()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_length_framed_answer_is_read_whole_and_its_connection_kept() {
    let (outcomes, opened) = three_refreshes(Answer::Length).await;
    assert_eq!(outcomes, vec![Ok(gpus_in_page()); 6]);
    assert_eq!(
        opened, 1,
        "six scrapes, one at a time, on one kept connection"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_chunked_answer_with_extensions_and_trailers_reads_as_the_page() {
    let (outcomes, opened) = three_refreshes(Answer::Chunked).await;
    assert_eq!(outcomes, vec![Ok(gpus_in_page()); 6]);
    assert_eq!(opened, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kept_connection_the_exporter_closed_is_replaced_without_an_error() {
    let (outcomes, opened) = three_refreshes(Answer::LengthThenSilentClose).await;
    assert_eq!(outcomes, vec![Ok(gpus_in_page()); 6]);
    assert_eq!(opened, 6, "each scrape finds the last connection closed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connection_close_and_http_1_0_answers_are_read_and_not_reused() {
    for answer in [Answer::LengthConnectionClose, Answer::UntilClose] {
        let (outcomes, opened) = three_refreshes(answer).await;
        assert_eq!(outcomes, vec![Ok(gpus_in_page()); 6]);
        assert_eq!(opened, 6);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_body_cut_short_is_an_error_that_says_so() {
    let (outcomes, _) = three_refreshes(Answer::CutShort).await;
    for o in outcomes {
        let e = o.unwrap_err();
        assert!(e.contains("closed the connection early"), "{e}");
    }
}
