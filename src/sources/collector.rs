//! The collector task: every refresh, scrape every node with bounded
//! concurrency and send one [`RefreshRound`] with all outcomes.
//! A slow node costs at most the per-scrape timeout; it never delays the UI.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::mpsc;

use super::detect::{self, InspectError};
use super::http::{self, ScrapeError, ScrapeLimits};
use super::{dcgm, exposition, node_exporter};
use crate::config::{Config, Dialect};
use crate::domain::{GpuSample, HostSample, NodeId, ScrapeOutcome};

/// Where to scrape one node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Target {
    pub node: NodeId,
    pub gpu_url: Option<String>,
    pub host_url: Option<String>,
    /// The GPU page's dialect when known (pinned, or implied by the
    /// exporter configured); `None` detects it from the page.
    pub dialect: Option<Dialect>,
    /// The node's configured name, to pick it out of multi-node answers
    /// (a custom `/v1/collect` endpoint lists several).
    pub node_name: String,
}

/// One refresh of the whole fleet: what the collector sends after each
/// round, every node's outcome at once.
#[derive(Debug, Clone)]
pub struct RefreshRound {
    pub outcomes: Vec<ScrapeOutcome>,
    /// When the refresh started and how long it took.
    pub started: Instant,
    pub took: Duration,
}

/// What the collector remembers of one node's host exporter between
/// refreshes.
#[derive(Debug, Default)]
struct HostState {
    /// The exporter answered 400 to `collect[]` (a collector we name is
    /// turned off there): ask for the whole page from now on.
    collect_refused: bool,
    /// The last answer, repeated on refreshes that skip the host page.
    last: Option<Result<HostSample, String>>,
}

#[derive(Clone)]
pub struct Collector {
    client: http::Scraper,
    targets: Arc<Vec<Target>>,
    limits: ScrapeLimits,
    concurrency: usize,
    /// The host page is read on every `host_every`-th refresh.
    host_every: u64,
    refreshes: Arc<AtomicU64>,
    hosts: Arc<Vec<Mutex<HostState>>>,
}

impl Collector {
    /// A collector that keeps connections alive when the fleet is small
    /// ([`http::keep_alive`]).
    pub fn new(targets: Vec<Target>, limits: ScrapeLimits, concurrency: usize) -> Self {
        Self::with_keep_alive(targets, limits, concurrency, None)
    }

    /// `keep_alive`: `tui.keep_alive`; unset decides by endpoint count.
    pub fn with_keep_alive(
        targets: Vec<Target>,
        limits: ScrapeLimits,
        concurrency: usize,
        keep_alive: Option<bool>,
    ) -> Self {
        let hosts = targets.iter().map(|_| Mutex::default()).collect();
        let endpoints = targets
            .iter()
            .map(|t| usize::from(t.gpu_url.is_some()) + usize::from(t.host_url.is_some()))
            .sum();
        Self {
            client: http::Scraper::new(endpoints, keep_alive),
            targets: Arc::new(targets),
            limits,
            concurrency: concurrency.max(1),
            host_every: 1,
            refreshes: Arc::new(AtomicU64::new(0)),
            hosts: Arc::new(hosts),
        }
    }

    /// Reads host pages on every `n`-th refresh only; the others repeat the
    /// last host answer.
    pub fn with_host_every(mut self, n: u64) -> Self {
        self.host_every = n.max(1);
        self
    }

    /// Targets and limits from the config: timeout 80% of the refresh;
    /// host pages at `tui.host_refresh` when it is slower.
    pub fn from_config(config: &Config) -> Self {
        let targets = targets_from_config(config);
        let limits = ScrapeLimits {
            timeout: config.refresh_interval().mul_f64(0.8),
            max_body_bytes: (config.tui.max_body_mib as usize) << 20,
        };
        Self::with_keep_alive(
            targets,
            limits,
            config.tui.max_concurrent_scrapes,
            config.tui.keep_alive,
        )
        .with_host_every(config.host_refresh_every())
    }

    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// One refresh of every node.
    pub async fn refresh(&self) -> Vec<ScrapeOutcome> {
        let n = self.refreshes.fetch_add(1, Ordering::Relaxed);
        let read_hosts = n.is_multiple_of(self.host_every);
        futures::stream::iter(0..self.targets.len())
            .map(|i| async move {
                let t = &self.targets[i];
                let host = &self.hosts[i];
                scrape_node_remembering(&self.client, t, self.limits, host, read_hosts).await
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await
    }

    /// Runs until the receiver is dropped; see [`FleetSource::spawn`].
    pub fn spawn(
        self,
        interval: Duration,
        tx: mpsc::Sender<RefreshRound>,
    ) -> tokio::task::JoinHandle<()> {
        FleetSource::Scrape(self).spawn(interval, tx)
    }
}

/// Where the fleet's numbers come from: the exporters themselves, or a
/// Prometheus / VictoriaMetrics API (`prometheus.url`).
#[derive(Clone)]
pub enum FleetSource {
    Scrape(Collector),
    Query(Box<super::query::QueryCollector>),
}

impl FleetSource {
    /// Query mode when `prometheus.url` is set, else direct scraping.
    pub fn from_config(config: &Config) -> Result<Self, super::query::QueryError> {
        match super::query::QueryCollector::from_config(config) {
            Some(q) => Ok(FleetSource::Query(Box::new(q?))),
            None => Ok(FleetSource::Scrape(Collector::from_config(config))),
        }
    }

    /// A node's recent GPU history, where the source keeps one (query
    /// mode); `None` for direct scraping, whose history is what it has seen.
    pub async fn history(
        &self,
        node: NodeId,
        span: Duration,
        step: Duration,
    ) -> Option<Result<Vec<(u32, crate::domain::fleet::GpuSeries)>, String>> {
        match self {
            FleetSource::Scrape(_) => None,
            FleetSource::Query(q) => {
                Some(q.history(node, span, step).await.map_err(|e| e.to_string()))
            }
        }
    }

    pub async fn refresh(&self) -> Vec<ScrapeOutcome> {
        match self {
            FleetSource::Scrape(c) => c.refresh().await,
            FleetSource::Query(q) => q.refresh().await,
        }
    }

    /// Runs until the receiver is dropped: a refresh now, then every
    /// `interval`. A refresh that overruns delays the next one rather than
    /// stacking them up.
    pub fn spawn(
        self,
        interval: Duration,
        tx: mpsc::Sender<RefreshRound>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let started = tokio::time::Instant::now();
                let outcomes = self.refresh().await;
                let took = started.elapsed();
                let event = RefreshRound {
                    outcomes,
                    started: started.into_std(),
                    took,
                };
                if tx.send(event).await.is_err() {
                    return;
                }
            }
        })
    }
}

/// Builds one target per configured node, in config order (NodeId = index).
pub fn targets_from_config(config: &Config) -> Vec<Target> {
    config
        .nodes
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let host = if n.ip.contains(':') && !n.ip.starts_with('[') {
                format!("[{}]", n.ip)
            } else {
                n.ip.clone()
            };
            let e = &n.exporters;
            let port_url = |p: u16| format!("http://{host}:{p}/metrics");
            // dcgm-exporter is the default, so any other GPU exporter the
            // operator names wins over it.
            let (gpu_url, implied) = if let Some(url) = &e.custom_json {
                (Some(url.clone()), Some(Dialect::CustomJson))
            } else if let Some(p) = e.all_smi {
                (Some(port_url(p)), Some(Dialect::AllSmi))
            } else if let Some(p) = e.nvidia_gpu_exporter {
                (Some(port_url(p)), Some(Dialect::NvidiaGpuExporter))
            } else {
                (e.dcgm.map(port_url), None)
            };
            Target {
                node: i,
                gpu_url,
                host_url: e.node.map(port_url),
                dialect: e.dialect.or(implied),
                node_name: n.name.clone(),
            }
        })
        .collect()
}

/// Scrapes one node with the collector's memory of its host exporter:
/// `collect[]` unless refused, and the last host answer when this refresh
/// skips the host page.
async fn scrape_node_remembering(
    client: &http::Scraper,
    t: &Target,
    limits: ScrapeLimits,
    state: &Mutex<HostState>,
    read_host: bool,
) -> ScrapeOutcome {
    let (refused, last) = {
        let s = state.lock().unwrap_or_else(|e| e.into_inner());
        (s.collect_refused, s.last.clone())
    };
    if !read_host && last.is_some() {
        let gpus = scrape_gpu_result(client, t, limits).await;
        return ScrapeOutcome {
            node: t.node,
            gpus,
            host: last,
        };
    }
    let gpu = scrape_gpu_result(client, t, limits);
    let host = async {
        let url = t.host_url.as_deref()?;
        Some(scrape_host_collecting(client, url, limits, refused).await)
    };
    let (gpus, host) = tokio::join!(gpu, host);
    let host = host.map(|(result, refused_now)| {
        let mut s = state.lock().unwrap_or_else(|e| e.into_inner());
        s.collect_refused |= refused_now;
        s.last = Some(result.clone());
        result
    });
    ScrapeOutcome {
        node: t.node,
        gpus,
        host,
    }
}

async fn scrape_gpu_result(
    client: &http::Scraper,
    t: &Target,
    limits: ScrapeLimits,
) -> Result<Vec<GpuSample>, String> {
    match &t.gpu_url {
        Some(url) => scrape_gpus(client, url, t, limits)
            .await
            .map_err(|e| e.to_string()),
        None => Ok(Vec::new()),
    }
}

/// Reads a host page asking only for the collectors whose families are
/// used; an exporter that answers 400 (one of them is turned off there) is
/// asked again for the whole page, and the second value says so. An old
/// exporter that ignores `collect[]` sends the whole page, which costs only
/// the reading: unwanted lines are dropped as they arrive.
async fn scrape_host_collecting(
    client: &http::Scraper,
    url: &str,
    limits: ScrapeLimits,
    refused: bool,
) -> (Result<HostSample, String>, bool) {
    if !refused {
        let narrowed = format!("{url}?{}", node_exporter::COLLECT_QUERY);
        match scrape_host(client, &narrowed, limits).await {
            Err(ScrapeError::Status(400)) => {}
            other => return (other.map_err(|e| e.to_string()), false),
        }
    }
    let whole = scrape_host(client, url, limits)
        .await
        .map_err(|e| e.to_string());
    (whole, true)
}

/// Scrapes one node's GPU and host exporters concurrently.
pub async fn scrape_node(
    client: &http::Scraper,
    t: &Target,
    limits: ScrapeLimits,
) -> ScrapeOutcome {
    let gpu = async {
        match &t.gpu_url {
            Some(url) => scrape_gpus(client, url, t, limits)
                .await
                .map_err(|e| e.to_string()),
            None => Ok(Vec::new()),
        }
    };
    let host = async {
        match &t.host_url {
            Some(url) => Some(
                scrape_host(client, url, limits)
                    .await
                    .map_err(|e| e.to_string()),
            ),
            None => None,
        }
    };
    let (gpus, host) = tokio::join!(gpu, host);
    ScrapeOutcome {
        node: t.node,
        gpus,
        host,
    }
}

async fn scrape_gpus(
    client: &http::Scraper,
    url: &str,
    t: &Target,
    limits: ScrapeLimits,
) -> Result<Vec<GpuSample>, ScrapeError> {
    let text = client.fetch_text(url, limits).await?;
    parse_gpu_page_as(&text, t.dialect, &t.node_name)
}

/// Parses a dcgm-exporter (or detected) page, telling "not metrics" from
/// "no GPUs".
pub fn parse_gpu_page(text: &str) -> Result<Vec<GpuSample>, ScrapeError> {
    parse_gpu_page_as(text, None, "")
}

/// Parses a GPU page of `dialect` (detected when `None`). dcgm-exporter,
/// the common case, takes the direct path; other dialects go through
/// [`detect::parse_any`]. A multi-node answer yields the node named
/// `node_name`, or its only node.
pub fn parse_gpu_page_as(
    text: &str,
    dialect: Option<Dialect>,
    node_name: &str,
) -> Result<Vec<GpuSample>, ScrapeError> {
    if matches!(dialect, None | Some(Dialect::Dcgm)) && dcgm::looks_like(text) {
        return Ok(dcgm::parse(text));
    }
    if dialect.is_none() && exposition::sample_line_count(text) == 0 {
        return Err(ScrapeError::NotMetrics("empty page".into()));
    }
    let parsed = detect::parse_any(text, dialect).map_err(|e| match e {
        InspectError::Empty => ScrapeError::NotMetrics("empty page".into()),
        InspectError::Html => ScrapeError::NotMetrics("HTML".into()),
        InspectError::NoGpus { kind: None, .. } => ScrapeError::NotMetrics("no GPU metrics".into()),
        other => ScrapeError::NotMetrics(crate::text::sanitize_max(&other.to_string(), 100)),
    })?;
    let kind = parsed.kind;
    let mut nodes = parsed.nodes;
    // An exporter page is one node whatever host name it gives itself; a
    // `/v1/collect` answer lists many, so it must name this one.
    if nodes.len() == 1 && kind != Dialect::CustomJson {
        return Ok(nodes.remove(0).gpus);
    }
    match nodes
        .iter()
        .position(|n| n.node.as_deref() == Some(node_name))
    {
        Some(i) => Ok(nodes.remove(i).gpus),
        None => Err(ScrapeError::NotMetrics(format!(
            "answer lists {} nodes, none named {:?}",
            nodes.len(),
            crate::text::sanitize_max(node_name, 40)
        ))),
    }
}

async fn scrape_host(
    client: &http::Scraper,
    url: &str,
    limits: ScrapeLimits,
) -> Result<HostSample, ScrapeError> {
    let text = client
        .fetch_lines(url, limits, node_exporter::wanted)
        .await?;
    node_exporter::parse(&text)
        .ok_or_else(|| ScrapeError::NotMetrics("no node_exporter metrics".into()))
}
