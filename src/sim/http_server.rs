//! A small HTTP/1.1 server for simulated exporters: GET only, keep-alive,
//! enough for reqwest and Prometheus to scrape it.

use std::sync::Arc;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What to answer to one request.
pub enum Reply {
    Text(String),
    /// Accept and never answer, as a hung exporter or unreachable host does.
    Hang,
    NotFound,
    /// 400 with this text, as node_exporter answers an unknown `collect[]`.
    BadRequest(String),
}

pub type Handler = Arc<dyn Fn(&str) -> Reply + Send + Sync>;

/// Serves `listener` until the task is aborted.
pub async fn serve(listener: TcpListener, handler: Handler) {
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            // Out of file descriptors or similar: back off briefly.
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            continue;
        };
        let h = Arc::clone(&handler);
        tokio::spawn(async move {
            let _ = connection(stream, h).await;
        });
    }
}

async fn connection(mut stream: TcpStream, handler: Handler) -> std::io::Result<()> {
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::with_capacity(1024);
    loop {
        // Read until the end of the request head.
        let head_end = loop {
            if let Some(p) = find_head_end(&buf) {
                break p;
            }
            if buf.len() > 16 * 1024 {
                return Ok(());
            }
            let mut chunk = [0u8; 1024];
            let n = stream.read(&mut chunk).await?;
            if n == 0 {
                return Ok(());
            }
            buf.extend_from_slice(&chunk[..n]);
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
        buf.drain(..head_end + 4);
        let path = head
            .lines()
            .next()
            .and_then(|l| l.split_whitespace().nth(1))
            .unwrap_or("/")
            .to_string();
        let close = head.to_ascii_lowercase().contains("connection: close");
        match handler(&path) {
            Reply::Hang => {
                std::future::pending::<()>().await;
            }
            Reply::NotFound => {
                stream
                    .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 10\r\nContent-Type: text/plain\r\n\r\nnot found\n")
                    .await?;
            }
            Reply::BadRequest(text) => {
                let head = format!(
                    "HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: {}\r\n\r\n",
                    text.len()
                );
                stream.write_all(head.as_bytes()).await?;
                stream.write_all(text.as_bytes()).await?;
            }
            Reply::Text(body) => {
                let head = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
                    body.len()
                );
                stream.write_all(head.as_bytes()).await?;
                stream.write_all(body.as_bytes()).await?;
            }
        }
        if close {
            return Ok(());
        }
    }
}

fn find_head_end(buf: &[u8]) -> Option<usize> {
    buf.windows(4).position(|w| w == b"\r\n\r\n")
}
