//! The collector task: every refresh, scrape every node with bounded
//! concurrency and send one [`CollectorEvent::Refresh`] with all outcomes.
//! A slow node costs at most the per-scrape timeout; it never delays the UI.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::StreamExt;
use tokio::sync::mpsc;

use super::http::{self, ScrapeError, ScrapeLimits};
use super::{dcgm, exposition, node_exporter};
use crate::config::Config;
use crate::domain::{GpuSample, HostSample, NodeId, ScrapeOutcome};

/// Where to scrape one node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub node: NodeId,
    pub gpu_url: Option<String>,
    pub host_url: Option<String>,
}

/// Messages from the collector to the app.
#[derive(Debug, Clone)]
pub enum CollectorEvent {
    Refresh {
        outcomes: Vec<ScrapeOutcome>,
        /// When the refresh started and how long it took.
        started: Instant,
        took: Duration,
    },
}

#[derive(Clone)]
pub struct Collector {
    client: reqwest::Client,
    targets: Arc<Vec<Target>>,
    limits: ScrapeLimits,
    concurrency: usize,
}

impl Collector {
    pub fn new(targets: Vec<Target>, limits: ScrapeLimits, concurrency: usize) -> Self {
        Self {
            client: http::client(),
            targets: Arc::new(targets),
            limits,
            concurrency: concurrency.max(1),
        }
    }

    /// Targets and limits from the config: timeout 80% of the refresh.
    pub fn from_config(config: &Config) -> Self {
        let targets = targets_from_config(config);
        let limits = ScrapeLimits {
            timeout: config.refresh_interval().mul_f64(0.8),
            max_body_bytes: (config.tui.max_body_mib as usize) << 20,
        };
        Self::new(targets, limits, config.tui.max_concurrent_scrapes)
    }

    pub fn targets(&self) -> &[Target] {
        &self.targets
    }

    /// One refresh of every node.
    pub async fn refresh(&self) -> Vec<ScrapeOutcome> {
        let targets = Arc::clone(&self.targets);
        futures::stream::iter(targets.iter().cloned())
            .map(|t| {
                let client = self.client.clone();
                let limits = self.limits;
                async move { scrape_node(&client, &t, limits).await }
            })
            .buffer_unordered(self.concurrency)
            .collect()
            .await
    }

    /// Runs until the receiver is dropped; see [`FleetSource::spawn`].
    pub fn spawn(
        self,
        interval: Duration,
        tx: mpsc::Sender<CollectorEvent>,
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
        tx: mpsc::Sender<CollectorEvent>,
    ) -> tokio::task::JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticker = tokio::time::interval(interval);
            ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticker.tick().await;
                let started = tokio::time::Instant::now();
                let outcomes = self.refresh().await;
                let took = started.elapsed();
                let event = CollectorEvent::Refresh {
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
            Target {
                node: i,
                gpu_url: n
                    .exporters
                    .dcgm
                    .map(|p| format!("http://{host}:{p}/metrics")),
                host_url: n
                    .exporters
                    .node
                    .map(|p| format!("http://{host}:{p}/metrics")),
            }
        })
        .collect()
}

/// Scrapes one node's GPU and host exporters concurrently.
pub async fn scrape_node(
    client: &reqwest::Client,
    t: &Target,
    limits: ScrapeLimits,
) -> ScrapeOutcome {
    let gpu = async {
        match &t.gpu_url {
            Some(url) => scrape_gpus(client, url, limits)
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
    client: &reqwest::Client,
    url: &str,
    limits: ScrapeLimits,
) -> Result<Vec<GpuSample>, ScrapeError> {
    let text = http::fetch_text(client, url, limits).await?;
    parse_gpu_page(&text)
}

/// Parses a GPU exporter page, telling "not metrics" from "no GPUs".
pub fn parse_gpu_page(text: &str) -> Result<Vec<GpuSample>, ScrapeError> {
    let gpus = dcgm::parse(text);
    if gpus.is_empty() {
        if exposition::sample_line_count(text) == 0 {
            return Err(ScrapeError::NotMetrics("empty page".into()));
        }
        if !dcgm::looks_like(text) {
            return Err(ScrapeError::NotMetrics("no GPU metrics".into()));
        }
    }
    Ok(gpus)
}

async fn scrape_host(
    client: &reqwest::Client,
    url: &str,
    limits: ScrapeLimits,
) -> Result<HostSample, ScrapeError> {
    let text = http::fetch_text(client, url, limits).await?;
    node_exporter::parse(&text)
        .ok_or_else(|| ScrapeError::NotMetrics("no node_exporter metrics".into()))
}
