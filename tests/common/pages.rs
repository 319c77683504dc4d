//! A fixed exporter page served over HTTP on a chosen loopback address, for
//! Prometheus to scrape and the collector to read; stopped on demand, so a
//! test can watch what happens when an exporter goes away.

use std::net::IpAddr;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub struct PageServer {
    pub ip: IpAddr,
    pub port: u16,
    accept: JoinHandle<()>,
}

impl PageServer {
    /// Serves `body` to every request on `ip` (any 127.x.y.z is local, so
    /// each node of a test fleet gets its own address) and a free port.
    pub async fn start(ip: &str, body: String) -> Self {
        Self::start_on(ip, 0, body).await
    }

    /// The same on a chosen port (a node added with the default exporter
    /// ports: each loopback address has its own 9400).
    pub async fn start_on(ip: &str, port: u16, body: String) -> Self {
        let listener = TcpListener::bind((ip, port))
            .await
            .expect("bind page server");
        let addr = listener.local_addr().expect("page server address");
        let accept = tokio::spawn(async move {
            while let Ok((mut s, _)) = listener.accept().await {
                let body = body.clone();
                tokio::spawn(async move {
                    let mut buf = [0u8; 4096];
                    let _ = s.read(&mut buf).await;
                    let head = format!(
                        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                        body.len()
                    );
                    let _ = s.write_all(head.as_bytes()).await;
                    let _ = s.write_all(body.as_bytes()).await;
                });
            }
        });
        Self {
            ip: addr.ip(),
            port: addr.port(),
            accept,
        }
    }

    /// `ip:port`, as a scrape target.
    pub fn target(&self) -> String {
        format!("{}:{}", self.ip, self.port)
    }

    /// Stops accepting: the next scrape is refused, as when an exporter dies.
    pub async fn stop(self) {
        self.accept.abort();
        let _ = self.accept.await;
    }
}

/// How many sample lines a page has (what Prometheus stores one series each).
pub fn sample_lines(page: &str) -> usize {
    page.lines()
        .filter(|l| {
            let t = l.trim();
            !t.is_empty() && !t.starts_with('#')
        })
        .count()
}
