//! Raw loopback HTTP servers for the scrape client's tests: each writes
//! exactly the bytes a case needs, which a real exporter cannot be made to.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::AsyncReadExt;
use tokio::net::{TcpListener, TcpStream};

/// Listens on 127.0.0.1 (a free port), counting the connections accepted;
/// each goes to `serve` on its own task with TCP_NODELAY set, as Go's
/// exporters set it (a head and body written apart must not wait on the
/// client's delayed ACK).
pub async fn counting_server<F, Fut>(serve: F) -> (u16, Arc<AtomicUsize>)
where
    F: Fn(TcpStream) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let accepted = Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    tokio::spawn(async move {
        while let Ok((s, _)) = listener.accept().await {
            count.fetch_add(1, Ordering::SeqCst);
            s.set_nodelay(true).unwrap();
            tokio::spawn(serve(s));
        }
    });
    (port, accepted)
}

/// Reads one request head, up to its empty line; false when the client
/// closed first. Bytes past the head are not expected (GETs, no pipelining).
pub async fn read_request(s: &mut TcpStream) -> bool {
    let mut req = Vec::new();
    let mut buf = [0u8; 1024];
    while !req.windows(4).any(|w| w == b"\r\n\r\n") {
        match s.read(&mut buf).await {
            Ok(0) | Err(_) => return false,
            Ok(n) => req.extend_from_slice(&buf[..n]),
        }
    }
    true
}
