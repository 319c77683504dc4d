//! Fetching one exporter page with a deadline and a size cap.

use std::time::Duration;

use super::exposition_parse;
use super::plain_http::{PlainHttp, PlainUrl};

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

/// Past this many exporter endpoints, connections are not kept open
/// between refreshes. Each idle keep-alive connection holds about 30 KiB in
/// the HTTP client (its read and write buffers and dispatch channel: 31 MiB
/// at 1,024 endpoints, measured with heaptrack), while a new connection to
/// an exporter on the LAN costs one round trip and a few syscalls. Only
/// `max_concurrent_scrapes` connections then exist at once.
pub const KEEP_ALIVE_MAX_ENDPOINTS: usize = 256;

/// Whether to keep connections alive for `endpoints` exporter URLs:
/// `setting` (`tui.keep_alive`) when set, else by fleet size.
pub fn keep_alive(endpoints: usize, setting: Option<bool>) -> bool {
    setting.unwrap_or(endpoints <= KEEP_ALIVE_MAX_ENDPOINTS)
}

/// Builds the shared HTTP client: keep-alive pool reused across refreshes,
/// gzip accepted.
pub fn client() -> reqwest::Client {
    client_keeping(true)
}

/// The HTTP client, keeping idle connections for reuse or not.
pub fn client_keeping(keep_alive: bool) -> reqwest::Client {
    let idle_per_host = if keep_alive { 2 } else { 0 };
    reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(90))
        .pool_max_idle_per_host(idle_per_host)
        .tcp_nodelay(true)
        .user_agent(concat!("aami-tui/", env!("CARGO_PKG_VERSION")))
        .build()
        .unwrap_or_else(|_| reqwest::Client::new())
}

/// The clients a collector scrapes with: plain `http://` pages through
/// [`PlainHttp`] (idle connections cost only their sockets, so they are
/// kept at any fleet size unless `tui.keep_alive: false`), everything else
/// through the general client.
#[derive(Clone)]
pub struct Scraper {
    general: reqwest::Client,
    plain: std::sync::Arc<PlainHttp>,
}

impl Scraper {
    /// `keep_alive` (`tui.keep_alive`): unset keeps plain-HTTP connections
    /// alive at any size and general-client ones up to
    /// [`KEEP_ALIVE_MAX_ENDPOINTS`].
    pub fn new(endpoints: usize, setting: Option<bool>) -> Self {
        Self {
            general: client_keeping(keep_alive(endpoints, setting)),
            plain: std::sync::Arc::new(PlainHttp::new(setting.unwrap_or(true))),
        }
    }

    /// [`fetch_text`] through the client for `url`.
    pub async fn fetch_text(&self, url: &str, limits: ScrapeLimits) -> Result<String, ScrapeError> {
        match PlainUrl::parse(url) {
            Some(plain) => {
                with_deadline(
                    limits,
                    self.plain
                        .fetch(&plain, limits.max_body_bytes, WholeBody::default()),
                )
                .await
            }
            None => fetch_text(&self.general, url, limits).await,
        }
    }

    /// [`fetch_lines`] through the client for `url`.
    pub async fn fetch_lines(
        &self,
        url: &str,
        limits: ScrapeLimits,
        keep_name: impl Fn(&str) -> bool,
    ) -> Result<String, ScrapeError> {
        match PlainUrl::parse(url) {
            Some(plain) => {
                let filter = LineFilter::new(keep_name);
                with_deadline(
                    limits,
                    self.plain.fetch(&plain, limits.max_body_bytes, filter),
                )
                .await
            }
            None => fetch_lines(&self.general, url, limits, keep_name).await,
        }
    }
}

/// Fetches `url` as text within `limits`. The body is kept as it arrives
/// and checked to be UTF-8 once at the end (one pass, not one per line).
pub async fn fetch_text(
    client: &reqwest::Client,
    url: &str,
    limits: ScrapeLimits,
) -> Result<String, ScrapeError> {
    fetch_into(client, url, limits, WholeBody::default()).await
}

/// Fetches `url` within `limits`, keeping only the sample lines whose
/// metric name `keep_name` accepts (each ending with `\n`; comments are
/// dropped). The body is read as it arrives and never held whole, so a
/// 400 KB node_exporter page costs the few KB of its wanted families. A
/// line's name is judged on its bytes; only kept lines are decoded.
pub async fn fetch_lines(
    client: &reqwest::Client,
    url: &str,
    limits: ScrapeLimits,
    keep_name: impl Fn(&str) -> bool,
) -> Result<String, ScrapeError> {
    fetch_into(client, url, limits, LineFilter::new(keep_name)).await
}

async fn fetch_into(
    client: &reqwest::Client,
    url: &str,
    limits: ScrapeLimits,
    sink: impl BodySink,
) -> Result<String, ScrapeError> {
    with_deadline(
        limits,
        fetch_inner(client, url, limits.max_body_bytes, sink),
    )
    .await
}

/// `fetch` within the whole-request deadline of `limits`.
async fn with_deadline(
    limits: ScrapeLimits,
    fetch: impl Future<Output = Result<String, ScrapeError>>,
) -> Result<String, ScrapeError> {
    match tokio::time::timeout(limits.timeout, fetch).await {
        Ok(r) => r,
        Err(_) => Err(ScrapeError::Timeout(limits.timeout)),
    }
}

/// Where a body's chunks go as they arrive.
pub(crate) trait BodySink {
    /// The body's announced length (already checked against the limit):
    /// room is made once instead of growing and copying as chunks come.
    fn expect(&mut self, _len: usize) {}
    fn chunk(&mut self, chunk: &[u8]) -> Result<(), ScrapeError>;
    fn finish(self) -> Result<String, ScrapeError>;
}

/// An HTML page (an error page, a login portal) is told apart from its
/// first non-blank byte; `seen_text` says that byte has been judged.
fn judge_first_text(seen_text: &mut bool, bytes: &[u8]) -> Result<(), ScrapeError> {
    if *seen_text {
        return Ok(());
    }
    match bytes.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => Err(ScrapeError::NotMetrics("HTML".into())),
        Some(_) => {
            *seen_text = true;
            Ok(())
        }
        None => Ok(()),
    }
}

/// The whole body, for pages that are parsed whole (GPU pages).
#[derive(Default)]
struct WholeBody {
    bytes: Vec<u8>,
    seen_text: bool,
}

impl BodySink for WholeBody {
    fn expect(&mut self, len: usize) {
        self.bytes.reserve_exact(len);
    }

    fn chunk(&mut self, chunk: &[u8]) -> Result<(), ScrapeError> {
        judge_first_text(&mut self.seen_text, chunk)?;
        self.bytes.extend_from_slice(chunk);
        Ok(())
    }

    fn finish(self) -> Result<String, ScrapeError> {
        String::from_utf8(self.bytes).map_err(|_| ScrapeError::NotMetrics("not UTF-8 text".into()))
    }
}

/// Most room made up front for the kept lines of one page.
const KEPT_ROOM_CAP: usize = 64 * 1024;

/// Splits a body into lines as its chunks arrive, keeping wanted samples.
struct LineFilter<K> {
    keep_name: K,
    partial: Vec<u8>,
    out: String,
    seen_text: bool,
}

impl<K: Fn(&str) -> bool> LineFilter<K> {
    fn new(keep_name: K) -> Self {
        Self {
            keep_name,
            partial: Vec::new(),
            out: String::new(),
            seen_text: false,
        }
    }

    fn line(&mut self, raw: &[u8]) -> Result<(), ScrapeError> {
        judge_first_text(&mut self.seen_text, raw)?;
        // Comments (HELP and TYPE, a third of a page) are dropped on their
        // first byte.
        if raw.first() == Some(&b'#') {
            return Ok(());
        }
        // A name is ASCII: the line is judged on its bytes and decoded only
        // when kept.
        if !exposition_parse::sample_name_of(raw).is_some_and(|n| (self.keep_name)(n)) {
            return Ok(());
        }
        let text = std::str::from_utf8(raw)
            .map_err(|_| ScrapeError::NotMetrics("not UTF-8 text".into()))?;
        self.out.push_str(text);
        self.out.push('\n');
        Ok(())
    }
}

impl<K: Fn(&str) -> bool> BodySink for LineFilter<K> {
    fn expect(&mut self, len: usize) {
        // The kept lines are at most the whole body, and usually all of it
        // when the exporter honours `collect[]`; an exporter that ignores
        // it sends far more than is kept, so the room made is capped.
        self.out.reserve_exact(len.min(KEPT_ROOM_CAP));
    }

    fn chunk(&mut self, mut chunk: &[u8]) -> Result<(), ScrapeError> {
        while let Some(nl) = memchr::memchr(b'\n', chunk) {
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
    mut sink: impl BodySink,
) -> Result<String, ScrapeError> {
    let mut resp = client.get(url).send().await.map_err(classify)?;
    let status = resp.status();
    if !status.is_success() {
        return Err(ScrapeError::Status(status.as_u16()));
    }
    if let Some(len) = resp.content_length() {
        if len as usize > max {
            return Err(ScrapeError::BodyTooLarge(max));
        }
        sink.expect(len as usize);
    }
    let is_html = resp
        .headers()
        .get(reqwest::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("html"));
    if is_html {
        return Err(ScrapeError::NotMetrics("HTML".into()));
    }
    let mut read = 0usize;
    while let Some(chunk) = resp.chunk().await.map_err(classify)? {
        read += chunk.len();
        if read > max {
            return Err(ScrapeError::BodyTooLarge(max));
        }
        sink.chunk(&chunk)?;
    }
    sink.finish()
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

#[cfg(test)]
mod tests {
    use super::*;

    fn feed(mut sink: impl BodySink, chunks: &[&[u8]]) -> Result<String, ScrapeError> {
        for c in chunks {
            sink.chunk(c)?;
        }
        sink.finish()
    }

    fn names(keep: &'static [&'static str]) -> LineFilter<impl Fn(&str) -> bool> {
        LineFilter {
            keep_name: move |n: &str| keep.contains(&n),
            partial: Vec::new(),
            out: String::new(),
            seen_text: false,
        }
    }

    #[test]
    fn html_is_told_from_its_first_text_even_after_blank_chunks() {
        let e = feed(WholeBody::default(), &[b"\n  ", b"  <html>"]).unwrap_err();
        assert_eq!(e, ScrapeError::NotMetrics("HTML".into()));
        let e = feed(names(&["a"]), &[b"\n", b"<!doctype html>\na 1\n"]).unwrap_err();
        assert_eq!(e, ScrapeError::NotMetrics("HTML".into()));
        // A `<` later in a page is only text.
        assert_eq!(
            feed(WholeBody::default(), &[b"a{x=\"<\"} 1\n"]).unwrap(),
            "a{x=\"<\"} 1\n"
        );
    }

    #[test]
    fn a_whole_body_must_be_utf8_across_chunk_boundaries() {
        // "é" split across two chunks is still one valid character.
        let ok = feed(WholeBody::default(), &[b"a{x=\"\xc3", b"\xa9\"} 1\n"]).unwrap();
        assert_eq!(ok, "a{x=\"é\"} 1\n");
        let e = feed(WholeBody::default(), &[b"a{x=\"\xff\"} 1\n"]).unwrap_err();
        assert_eq!(e, ScrapeError::NotMetrics("not UTF-8 text".into()));
    }

    #[test]
    fn lines_are_kept_by_name_and_only_kept_lines_are_decoded() {
        let page: &[&[u8]] = &[
            b"# HELP node_load1 1m load\nnode_lo",
            b"ad1 0.5\nnode_other{x=\"\xff\"} 1\n  node_time_seconds 17\nnode_load15 2",
        ];
        let kept = feed(
            names(&["node_load1", "node_time_seconds", "node_load15"]),
            page,
        )
        .unwrap();
        assert_eq!(
            kept,
            "node_load1 0.5\n  node_time_seconds 17\nnode_load15 2\n"
        );
        let e = feed(names(&["node_other"]), page).unwrap_err();
        assert_eq!(e, ScrapeError::NotMetrics("not UTF-8 text".into()));
    }
}
