//! Fetching one exporter page with a deadline and a size cap.

use std::time::Duration;

/// Per-scrape limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ScrapeLimits {
    /// Whole request, connect to last byte.
    pub timeout: Duration,
    pub max_body_bytes: usize,
}

impl Default for ScrapeLimits {
    fn default() -> Self {
        Self {
            timeout: Duration::from_millis(1600),
            max_body_bytes: 16 << 20,
        }
    }
}

/// Why a scrape gave nothing usable. `Display` is the short reason shown
/// next to the node.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ScrapeError {
    #[error("timeout after {:.1}s", .0.as_secs_f64())]
    Timeout(Duration),
    #[error("connection refused")]
    Refused,
    #[error("DNS lookup failed")]
    Dns,
    #[error("TLS error: {0}")]
    Tls(String),
    #[error("cannot connect: {0}")]
    Connect(String),
    #[error("HTTP {0}")]
    Status(u16),
    #[error("body over {} MiB", .0 >> 20)]
    BodyTooLarge(usize),
    #[error("not a metrics page ({0})")]
    NotMetrics(String),
    #[error("{0}")]
    Other(String),
}

/// Builds the shared HTTP client: keep-alive pool reused across refreshes,
/// gzip accepted.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(2)
        .tcp_nodelay(true)
        .user_agent(concat!("aami-tui/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// Fetches `url` as text within `limits`.
pub async fn fetch_text(
    client: &reqwest::Client,
    url: &str,
    limits: ScrapeLimits,
) -> Result<String, ScrapeError> {
    fetch_lines(client, url, limits, |_| true).await
}

/// Fetches `url` within `limits`, keeping only the lines `keep` accepts
/// (each without its newline; kept lines end with `\n`). The body is
/// read as it arrives and never held whole, so a 400 KB node_exporter page
/// costs the few KB of its wanted families. Only kept lines are checked to
/// be UTF-8.
pub async fn fetch_lines(
    client: &reqwest::Client,
    url: &str,
    limits: ScrapeLimits,
    keep: impl Fn(&str) -> bool,
) -> Result<String, ScrapeError> {
    match tokio::time::timeout(
        limits.timeout,
        fetch_inner(client, url, limits.max_body_bytes, keep),
    )
    .await
    {
        Ok(r) => r,
        Err(_) => Err(ScrapeError::Timeout(limits.timeout)),
    }
}

/// Splits a body into lines as its chunks arrive.
struct LineFilter<K> {
    keep: K,
    partial: Vec<u8>,
    out: String,
    seen_text: bool,
}

impl<K: Fn(&str) -> bool> LineFilter<K> {
    fn line(&mut self, raw: &[u8]) -> Result<(), ScrapeError> {
        if !self.seen_text {
            match raw.iter().find(|b| !b.is_ascii_whitespace()) {
                Some(b'<') => return Err(ScrapeError::NotMetrics("HTML".into())),
                Some(_) => self.seen_text = true,
                None => return Ok(()),
            }
        }
        // A name is ASCII: lines are judged on their bytes and decoded only
        // when kept.
        let text = match std::str::from_utf8(raw) {
            Ok(t) => t,
            Err(e) => {
                let head = std::str::from_utf8(&raw[..e.valid_up_to()]).unwrap_or("");
                if !(self.keep)(head) || head.len() == raw.len() {
                    return Ok(());
                }
                return Err(ScrapeError::NotMetrics("not UTF-8 text".into()));
            }
        };
        if (self.keep)(text) {
            self.out.push_str(text);
            self.out.push('\n');
        }
        Ok(())
    }

    fn chunk(&mut self, mut chunk: &[u8]) -> Result<(), ScrapeError> {
        while let Some(nl) = chunk.iter().position(|b| *b == b'\n') {
            if self.partial.is_empty() {
                self.line(&chunk[..nl])?;
            } else {
                let mut whole = std::mem::take(&mut self.partial);
                whole.extend_from_slice(&chunk[..nl]);
                self.line(&whole)?;
                whole.clear();
                self.partial = whole;
            }
            chunk = &chunk[nl + 1..];
        }
        self.partial.extend_from_slice(chunk);
        Ok(())
    }

    fn finish(mut self) -> Result<String, ScrapeError> {
        let last = std::mem::take(&mut self.partial);
        if !last.is_empty() {
            self.line(&last)?;
        }
        Ok(self.out)
    }
}

async fn fetch_inner(
    client: &reqwest::Client,
    url: &str,
    max: usize,
    keep: impl Fn(&str) -> bool,
) -> Result<String, ScrapeError> {
    let mut resp = client.get(url).send().await.map_err(classify)?;
    let status = resp.status();
    if !status.is_success() {
        return Err(ScrapeError::Status(status.as_u16()));
    }
    if resp.content_length().is_some_and(|l| l as usize > max) {
        return Err(ScrapeError::BodyTooLarge(max));
    }
    let is_html = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("html"));
    if is_html {
        return Err(ScrapeError::NotMetrics("HTML".into()));
    }
    let mut filter = LineFilter {
        keep,
        partial: Vec::new(),
        out: String::new(),
        seen_text: false,
    };
    let mut read = 0usize;
    while let Some(chunk) = resp.chunk().await.map_err(classify)? {
        read += chunk.len();
        if read > max {
            return Err(ScrapeError::BodyTooLarge(max));
        }
        filter.chunk(&chunk)?;
    }
    filter.finish()
}

/// Turns reqwest's error into a short reason by walking its source chain.
fn classify(e: reqwest::Error) -> ScrapeError {
    if e.is_timeout() {
        return ScrapeError::Timeout(Duration::ZERO);
    }
    let mut chain = String::new();
    let mut src: Option<&dyn std::error::Error> = Some(&e);
    while let Some(s) = src {
        if let Some(io) = s.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::ConnectionRefused
        {
            return ScrapeError::Refused;
        }
        chain.push_str(&s.to_string());
        chain.push_str(": ");
        src = s.source();
    }
    let lower = chain.to_lowercase();
    if lower.contains("dns error") || lower.contains("failed to lookup") {
        ScrapeError::Dns
    } else if [
        "certificate",
        "tls",
        "handshake",
        "corrupt message",
        "alert received",
    ]
    .iter()
    .any(|m| lower.contains(m))
    {
        ScrapeError::Tls(crate::text::sanitize_max(last_part(&chain), 80))
    } else if e.is_connect() {
        ScrapeError::Connect(crate::text::sanitize_max(last_part(&chain), 80))
    } else if e.is_body() || e.is_decode() {
        ScrapeError::Other(format!(
            "body: {}",
            crate::text::sanitize_max(last_part(&chain), 80)
        ))
    } else {
        ScrapeError::Other(crate::text::sanitize_max(last_part(&chain), 80))
    }
}

fn last_part(chain: &str) -> &str {
    chain
        .trim_end_matches(": ")
        .rsplit(": ")
        .next()
        .unwrap_or(chain)
}
