//! A small HTTP/1.1 GET client for plain `http://` exporter pages, the
//! fleet-scale path.
//!
//! Why not the general client: at 1,024 nodes a scrape is two GETs per
//! node per refresh. Keeping those connections alive saves a handshake each
//! (about a third of the CPU a refresh costs), but each idle connection of
//! the general client holds its read and write buffers and a dispatch task
//! (30–120 KiB, 240 MiB at 2,048 connections, measured with heaptrack).
//! Here an idle connection is only its socket: the buffers live for one
//! request. HTTPS and anything unusual in a URL go to the general client.

use std::collections::HashMap;
use std::sync::Mutex;

use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

use super::http::{BodySink, ScrapeError};

/// Longest response head read; exporters send a few hundred bytes.
const MAX_HEAD_BYTES: usize = 64 * 1024;
/// Most headers parsed in a response head.
const MAX_HEADERS: usize = 64;
/// Read buffer of one request.
const READ_BUFFER: usize = 16 * 1024;

/// The plain-HTTP client: idle connections by `host:port`, or none when
/// keep-alive is off.
pub struct PlainHttp {
    keep_alive: bool,
    idle: Mutex<HashMap<String, TcpStream>>,
}

/// The parts of a plain `http://` URL a request needs.
#[derive(Debug, PartialEq, Eq)]
pub struct PlainUrl<'a> {
    /// `host:port` as written (the Host header), `[v6]:port` included.
    pub authority: &'a str,
    /// Path and query, `/` when the URL has none.
    pub target: &'a str,
    /// Whether the authority names its port.
    pub has_port: bool,
}

impl<'a> PlainUrl<'a> {
    /// `None` for HTTPS, user info, fragments, or anything that needs the
    /// general client's URL handling (spaces, non-ASCII).
    pub fn parse(url: &'a str) -> Option<Self> {
        let rest = url.strip_prefix("http://")?;
        if !rest.bytes().all(|b| b.is_ascii_graphic()) || rest.contains(['@', '#', '\\']) {
            return None;
        }
        let (authority, target) = match rest.find(['/', '?']) {
            Some(at) if rest.as_bytes()[at] == b'/' => (&rest[..at], &rest[at..]),
            // `http://h:1?x` has an empty path before the query.
            Some(_) => return None,
            None => (rest, "/"),
        };
        if authority.is_empty() {
            return None;
        }
        let has_port = match authority.rfind(':') {
            Some(at) => {
                let port = &authority[at + 1..];
                let is_v6_inside = authority.starts_with('[') && !authority[..at].ends_with(']');
                if is_v6_inside {
                    false
                } else if port.is_empty() || port.parse::<u16>().is_err() {
                    return None;
                } else {
                    true
                }
            }
            None => false,
        };
        Some(Self {
            authority,
            target,
            has_port,
        })
    }
}

impl PlainHttp {
    pub fn new(keep_alive: bool) -> Self {
        Self {
            keep_alive,
            idle: Mutex::new(HashMap::new()),
        }
    }

    fn take_idle(&self, authority: &str) -> Option<TcpStream> {
        self.idle.lock().ok()?.remove(authority)
    }

    fn put_idle(&self, authority: &str, stream: TcpStream) {
        if let Ok(mut idle) = self.idle.lock() {
            idle.insert(authority.to_string(), stream);
        }
    }

    /// GETs `url` into `sink`, at most `max` body bytes. A kept connection
    /// that the exporter has closed meanwhile is replaced once by a new one.
    pub(crate) async fn fetch<S: BodySink>(
        &self,
        url: &PlainUrl<'_>,
        max: usize,
        mut sink: S,
    ) -> Result<String, ScrapeError> {
        if let Some(stream) = self
            .keep_alive
            .then(|| self.take_idle(url.authority))
            .flatten()
        {
            match self.exchange(stream, url, max, &mut sink).await {
                Err(Exchange::Stale) => {}
                Err(Exchange::Failed(e)) => return Err(e),
                Ok(()) => return sink.finish(),
            }
        }
        let stream = connect(url).await?;
        match self.exchange(stream, url, max, &mut sink).await {
            Ok(()) => sink.finish(),
            Err(Exchange::Stale) => Err(ScrapeError::Other(
                "the exporter closed the connection without answering".into(),
            )),
            Err(Exchange::Failed(e)) => Err(e),
        }
    }

    /// One request and its response on `stream`; the stream is kept for
    /// the next refresh when both sides allow it.
    async fn exchange<S: BodySink>(
        &self,
        mut stream: TcpStream,
        url: &PlainUrl<'_>,
        max: usize,
        sink: &mut S,
    ) -> Result<(), Exchange> {
        let request = format!(
            "GET {} HTTP/1.1\r\nHost: {}\r\nUser-Agent: aami-tui/{}\r\nAccept: text/plain\r\n{}\r\n",
            url.target,
            url.authority,
            env!("CARGO_PKG_VERSION"),
            if self.keep_alive {
                ""
            } else {
                "Connection: close\r\n"
            },
        );
        if stream.write_all(request.as_bytes()).await.is_err() {
            return Err(Exchange::Stale);
        }
        let mut reader = BufReader::with_capacity(READ_BUFFER, stream);
        let head = read_head(&mut reader).await?;
        if !(200..300).contains(&head.status) {
            return Err(ScrapeError::Status(head.status).into());
        }
        if head.html {
            return Err(ScrapeError::NotMetrics("HTML".into()).into());
        }
        let complete = match head.framing {
            Framing::Length(len) => {
                if len > max as u64 {
                    return Err(ScrapeError::BodyTooLarge(max).into());
                }
                sink.expect(len as usize);
                copy_body(&mut reader, Some(len as usize), max, sink).await?;
                true
            }
            Framing::Chunked => {
                read_chunked_into(&mut reader, max, sink).await?;
                true
            }
            Framing::UntilClose => {
                copy_body(&mut reader, None, max, sink).await?;
                false
            }
        };
        // Bytes past the body would belong to no request: such a
        // connection is not reused.
        if self.keep_alive && complete && head.reusable && reader.buffer().is_empty() {
            self.put_idle(url.authority, reader.into_inner());
        }
        Ok(())
    }
}

/// How an exchange failed: `Stale` when a kept connection turned out to be
/// closed before any answer (worth one new connection), else the error.
enum Exchange {
    Stale,
    Failed(ScrapeError),
}

impl From<ScrapeError> for Exchange {
    fn from(e: ScrapeError) -> Self {
        Exchange::Failed(e)
    }
}

async fn connect(url: &PlainUrl<'_>) -> Result<TcpStream, ScrapeError> {
    let with_port;
    let authority = if url.has_port {
        url.authority
    } else {
        with_port = format!("{}:80", url.authority);
        &with_port
    };
    // Addresses are read as written; names go through the resolver.
    let host = authority
        .rsplit_once(':')
        .map(|(h, _)| h.trim_start_matches('[').trim_end_matches(']'))
        .unwrap_or(authority);
    let addrs: Vec<std::net::SocketAddr> = if host.parse::<std::net::IpAddr>().is_ok() {
        authority
            .replace(['[', ']'], "")
            .rsplit_once(':')
            .and_then(|(h, p)| Some((h.parse().ok()?, p.parse().ok()?)))
            .map(|(ip, port): (std::net::IpAddr, u16)| vec![(ip, port).into()])
            .ok_or(ScrapeError::Dns)?
    } else {
        tokio::net::lookup_host(authority)
            .await
            .map_err(|_| ScrapeError::Dns)?
            .collect()
    };
    let mut last = ScrapeError::Dns;
    for addr in addrs {
        match TcpStream::connect(addr).await {
            Ok(stream) => {
                let _ = stream.set_nodelay(true);
                return Ok(stream);
            }
            Err(e) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
                last = ScrapeError::Refused;
            }
            Err(e) => {
                last = ScrapeError::Connect(crate::text::sanitize_max(&e.to_string(), 80));
            }
        }
    }
    Err(last)
}

/// How the body's end is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Framing {
    Length(u64),
    Chunked,
    UntilClose,
}

#[derive(Debug)]
struct Head {
    status: u16,
    framing: Framing,
    html: bool,
    /// HTTP/1.1 without `Connection: close`.
    reusable: bool,
}

async fn read_head(reader: &mut BufReader<TcpStream>) -> Result<Head, Exchange> {
    let mut bytes = Vec::with_capacity(512);
    loop {
        let before = bytes.len();
        let n = reader
            .read_until(b'\n', &mut bytes)
            .await
            .map_err(|e| io_error(e, before == 0))?;
        if n == 0 {
            return Err(if before == 0 {
                Exchange::Stale
            } else {
                ScrapeError::Other("the exporter closed the connection mid-answer".into()).into()
            });
        }
        if bytes.len() > MAX_HEAD_BYTES {
            return Err(ScrapeError::Other("response head over 64 KiB".into()).into());
        }
        // The head ends at an empty line.
        if bytes.ends_with(b"\r\n\r\n") || bytes.ends_with(b"\n\n") {
            break;
        }
    }
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut response = httparse::Response::new(&mut headers);
    match response.parse(&bytes) {
        Ok(httparse::Status::Complete(_)) => {}
        _ => return Err(ScrapeError::Other("not an HTTP answer".into()).into()),
    }
    let status = response.code.unwrap_or(0);
    let mut framing = Framing::UntilClose;
    let mut html = false;
    let mut reusable = response.version == Some(1);
    for h in response.headers.iter() {
        let value = std::str::from_utf8(h.value).unwrap_or("").trim();
        if h.name.eq_ignore_ascii_case("content-length") && framing != Framing::Chunked {
            let len = value
                .parse::<u64>()
                .map_err(|_| ScrapeError::Other("bad Content-Length".into()))?;
            framing = Framing::Length(len);
        } else if h.name.eq_ignore_ascii_case("transfer-encoding") {
            if value.eq_ignore_ascii_case("chunked") {
                framing = Framing::Chunked;
            } else {
                return Err(ScrapeError::Other(format!(
                    "transfer encoding {} not read",
                    crate::text::sanitize_max(value, 20)
                ))
                .into());
            }
        } else if h.name.eq_ignore_ascii_case("content-type") {
            html = value.contains("html");
        } else if h.name.eq_ignore_ascii_case("content-encoding")
            && !value.eq_ignore_ascii_case("identity")
        {
            return Err(ScrapeError::Other(format!(
                "body: content encoding {} was not asked for",
                crate::text::sanitize_max(value, 20)
            ))
            .into());
        } else if h.name.eq_ignore_ascii_case("connection")
            && value.to_ascii_lowercase().contains("close")
        {
            reusable = false;
        }
    }
    if matches!(status, 204 | 304) {
        framing = Framing::Length(0);
    }
    Ok(Head {
        status,
        framing,
        html,
        reusable,
    })
}

fn io_error(e: std::io::Error, before_any_byte: bool) -> Exchange {
    use std::io::ErrorKind::{BrokenPipe, ConnectionAborted, ConnectionReset};
    if before_any_byte && matches!(e.kind(), ConnectionReset | ConnectionAborted | BrokenPipe) {
        return Exchange::Stale;
    }
    ScrapeError::Other(format!(
        "body: {}",
        crate::text::sanitize_max(&e.to_string(), 80)
    ))
    .into()
}

/// Copies `len` body bytes, or (`None`) every byte up to the close, at most
/// `max`, into `sink`.
async fn copy_body<S: BodySink>(
    reader: &mut BufReader<TcpStream>,
    len: Option<usize>,
    max: usize,
    sink: &mut S,
) -> Result<(), Exchange> {
    let mut left = len.unwrap_or(usize::MAX);
    let mut read = 0usize;
    while left > 0 {
        let buf = reader.fill_buf().await.map_err(|e| io_error(e, false))?;
        if buf.is_empty() {
            return match len {
                None => Ok(()),
                Some(_) => Err(ScrapeError::Other(
                    "body: the exporter closed the connection early".into(),
                )
                .into()),
            };
        }
        let n = buf.len().min(left);
        read += n;
        if read > max {
            return Err(ScrapeError::BodyTooLarge(max).into());
        }
        sink.chunk(&buf[..n])?;
        reader.consume(n);
        left -= n;
    }
    Ok(())
}

async fn read_chunked_into<S: BodySink>(
    reader: &mut BufReader<TcpStream>,
    max: usize,
    sink: &mut S,
) -> Result<(), Exchange> {
    let mut read = 0usize;
    let mut line = Vec::with_capacity(32);
    loop {
        line.clear();
        read_line(reader, &mut line).await?;
        let size_text = std::str::from_utf8(&line)
            .ok()
            .map(|l| l.split(';').next().unwrap_or("").trim())
            .unwrap_or("");
        let size = usize::from_str_radix(size_text, 16)
            .map_err(|_| ScrapeError::Other("body: bad chunk size".into()))?;
        if size == 0 {
            // Trailer fields, up to the empty line.
            loop {
                line.clear();
                read_line(reader, &mut line).await?;
                if line.iter().all(|b| *b == b'\r' || *b == b'\n') {
                    return Ok(());
                }
            }
        }
        read = read.saturating_add(size);
        if read > max {
            return Err(ScrapeError::BodyTooLarge(max).into());
        }
        copy_body(reader, Some(size), usize::MAX, sink).await?;
        line.clear();
        read_line(reader, &mut line).await?;
        if line != b"\r\n" && line != b"\n" {
            return Err(ScrapeError::Other("body: bad chunk end".into()).into());
        }
    }
}

/// One line (with its `\n`), at most a few KiB.
async fn read_line(reader: &mut BufReader<TcpStream>, line: &mut Vec<u8>) -> Result<(), Exchange> {
    let n = (&mut *reader)
        .take(4096)
        .read_until(b'\n', line)
        .await
        .map_err(|e| io_error(e, false))?;
    if n == 0 || !line.ends_with(b"\n") {
        return Err(
            ScrapeError::Other("body: the exporter closed the connection early".into()).into(),
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_urls_are_split_and_others_left_to_the_general_client() {
        let u = PlainUrl::parse("http://127.0.0.1:9400/metrics").unwrap();
        assert_eq!(
            (u.authority, u.target, u.has_port),
            ("127.0.0.1:9400", "/metrics", true)
        );
        let u = PlainUrl::parse("http://[::1]:9100/metrics?collect[]=cpu").unwrap();
        assert_eq!(
            (u.authority, u.target),
            ("[::1]:9100", "/metrics?collect[]=cpu")
        );
        let u = PlainUrl::parse("http://gpu-node-01").unwrap();
        assert_eq!(
            (u.authority, u.target, u.has_port),
            ("gpu-node-01", "/", false)
        );
        let u = PlainUrl::parse("http://[::1]/m").unwrap();
        assert!(!u.has_port);
        for other in [
            "https://127.0.0.1:9400/metrics",
            "http://user:pw@127.0.0.1:9400/metrics",
            "http://127.0.0.1:9400/a b",
            "http://127.0.0.1:99999/metrics",
            "http://127.0.0.1:9400/m#frag",
            "http:///metrics",
            "http://h:1?x",
        ] {
            assert_eq!(PlainUrl::parse(other), None, "{other}");
        }
    }
}
