//! Query mode: the fleet read from a Prometheus or VictoriaMetrics HTTP API
//! instead of scraping every exporter. One instant query per refresh for all
//! GPU families of the whole fleet, one for the host families, one for
//! `up`; never a query per node.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::Mutex;

use super::collector::targets_from_config;
use super::dcgm::{self, HistorySeries};
use super::dialect::{self, Dialect, ExpositionDialect, GPU_DIALECTS};
use super::exposition::MetricSample;
use super::http::ScrapeLimits;
use super::{node_exporter, prom_api};
use crate::config::{Config, HttpAuth};
use crate::domain::fleet::GpuSeries;
use crate::domain::{GpuSample, NodeId, ScrapeOutcome};

/// Why the API gave nothing usable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum QueryError {
    #[error("timeout after {:.1}s", .0.as_secs_f64())]
    Timeout(Duration),
    #[error("cannot reach {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("HTTP {status} from {url}")]
    Status { url: String, status: u16 },
    #[error("{0}")]
    Answer(String),
    #[error("TLS setup: {0}")]
    Tls(String),
    #[error("OAuth2 token: {0}")]
    OAuth2(String),
}

fn selector(families: &[&str]) -> String {
    format!("{{__name__=~\"{}\"}}", families.join("|"))
}

/// The instant query for every GPU family of every dialect: built from the
/// dialects' family tables, so query mode reads what scraping reads.
pub fn gpu_query() -> String {
    selector(&dialect::gpu_families())
}

/// A node of the config as query mode matches it: by the host part of
/// Prometheus's `instance` label, or by the exporter's `Hostname`.
#[derive(Debug, Clone)]
struct NodeKey {
    id: NodeId,
    name: String,
    ip: String,
    /// The GPU dialect pinned or implied by the node's exporters.
    dialect: Option<Dialect>,
}

#[derive(Debug, Clone)]
struct CachedToken {
    token: String,
    until: Instant,
}

#[derive(Clone)]
pub struct QueryCollector {
    client: reqwest::Client,
    base: String,
    auth: Option<HttpAuth>,
    nodes: Arc<Vec<NodeKey>>,
    /// Node ids by address and by name: every returned series is matched,
    /// so a linear search per series would cost nodes × series per refresh.
    by_ip: Arc<HashMap<String, NodeId>>,
    by_name: Arc<HashMap<String, NodeId>>,
    limits: ScrapeLimits,
    token: Arc<Mutex<Option<CachedToken>>>,
    gpu_query: Arc<str>,
}

/// Builds a client with the TLS settings of `auth`.
pub fn client_for(auth: Option<&HttpAuth>) -> Result<reqwest::Client, QueryError> {
    let mut b = reqwest::Client::builder()
        .pool_idle_timeout(Duration::from_secs(90))
        .user_agent(concat!("aami-tui/", env!("CARGO_PKG_VERSION")));
    if let Some(tls) = auth.and_then(|a| a.tls.as_ref()) {
        if let Some(ca) = &tls.ca_file {
            let pem = std::fs::read(ca).map_err(|e| QueryError::Tls(format!("{ca}: {e}")))?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .map_err(|e| QueryError::Tls(format!("{ca}: {e}")))?;
            b = b.add_root_certificate(cert);
        }
        if let (Some(cert), Some(key)) = (&tls.cert_file, &tls.key_file) {
            let mut pem =
                std::fs::read(cert).map_err(|e| QueryError::Tls(format!("{cert}: {e}")))?;
            pem.extend(std::fs::read(key).map_err(|e| QueryError::Tls(format!("{key}: {e}")))?);
            let id = reqwest::Identity::from_pem(&pem)
                .map_err(|e| QueryError::Tls(format!("client certificate: {e}")))?;
            b = b.identity(id);
        }
        if tls.insecure_skip_verify {
            b = b.danger_accept_invalid_certs(true);
        }
    }
    b.build().map_err(|e| QueryError::Tls(e.to_string()))
}

impl QueryCollector {
    /// `None` when the config has no `prometheus.url`.
    pub fn from_config(config: &Config) -> Option<Result<Self, QueryError>> {
        let url = config.prometheus.url.as_ref()?;
        let auth = config.prometheus.auth.clone();
        Some(client_for(auth.as_ref()).map(|client| {
            Self {
                client,
                base: url.trim_end_matches('/').to_string(),
                auth,
                nodes: Arc::new(
                    config
                        .nodes
                        .iter()
                        .zip(targets_from_config(config))
                        .enumerate()
                        .map(|(id, (n, t))| NodeKey {
                            id,
                            name: n.name.clone(),
                            ip: n.ip.clone(),
                            dialect: t.dialect,
                        })
                        .collect(),
                ),
                by_ip: Arc::new(
                    config
                        .nodes
                        .iter()
                        .enumerate()
                        .map(|(id, n)| (n.ip.clone(), id))
                        .collect(),
                ),
                by_name: Arc::new(
                    config
                        .nodes
                        .iter()
                        .enumerate()
                        .map(|(id, n)| (n.name.clone(), id))
                        .collect(),
                ),
                limits: ScrapeLimits {
                    timeout: config.refresh_interval().mul_f64(0.8),
                    max_body_bytes: (config.tui.max_body_mib as usize) << 20,
                },
                token: Arc::new(Mutex::new(None)),
                gpu_query: gpu_query().into(),
            }
        }))
    }

    async fn bearer(&self) -> Result<Option<String>, QueryError> {
        let Some(auth) = &self.auth else {
            return Ok(None);
        };
        if let Some(t) = &auth.bearer_token {
            return Ok(Some(t.clone()));
        }
        let Some(o) = &auth.oauth2 else {
            return Ok(None);
        };
        let mut cached = self.token.lock().await;
        if let Some(c) = cached.as_ref().filter(|c| c.until > Instant::now()) {
            return Ok(Some(c.token.clone()));
        }
        // OAuth2 client credentials grant; refreshed a little before expiry.
        let mut form = vec![("grant_type", "client_credentials".to_string())];
        if !o.scopes.is_empty() {
            form.push(("scope", o.scopes.join(" ")));
        }
        let resp = self
            .client
            .post(&o.token_url)
            .basic_auth(&o.client_id, Some(&o.client_secret))
            .form(&form)
            .send()
            .await
            .map_err(|e| QueryError::OAuth2(e.to_string()))?;
        if !resp.status().is_success() {
            return Err(QueryError::OAuth2(format!(
                "HTTP {} from {}",
                resp.status().as_u16(),
                o.token_url
            )));
        }
        let v: serde_json::Value = resp
            .json()
            .await
            .map_err(|e| QueryError::OAuth2(e.to_string()))?;
        let token = v
            .get("access_token")
            .and_then(|t| t.as_str())
            .ok_or_else(|| QueryError::OAuth2("answer has no access_token".into()))?
            .to_string();
        let ttl = v.get("expires_in").and_then(|e| e.as_u64()).unwrap_or(300);
        *cached = Some(CachedToken {
            token: token.clone(),
            until: Instant::now() + Duration::from_secs(ttl.saturating_sub(30).max(1)),
        });
        Ok(Some(token))
    }

    /// GET an API path with auth and the deadline; (status, body).
    async fn api_get(
        &self,
        path: &str,
        params: &[(&str, String)],
    ) -> Result<(u16, String), QueryError> {
        let url = format!("{}{path}", self.base);
        let fut = async {
            let mut req = self.client.get(&url).query(params);
            if let Some(b) = self.auth.as_ref().and_then(|a| a.basic.as_ref()) {
                req = req.basic_auth(&b.username, Some(&b.password));
            }
            if let Some(t) = self.bearer().await? {
                req = req.bearer_auth(t);
            }
            let resp = req.send().await.map_err(|e| QueryError::Unreachable {
                url: url.clone(),
                reason: crate::text::sanitize_max(&e.to_string(), 120),
            })?;
            let status = resp.status().as_u16();
            let body = resp
                .text()
                .await
                .map_err(|e| QueryError::Answer(e.to_string()))?;
            if body.len() > self.limits.max_body_bytes {
                return Err(QueryError::Answer(format!(
                    "answer over {} MiB",
                    self.limits.max_body_bytes >> 20
                )));
            }
            Ok((status, body))
        };
        tokio::time::timeout(self.limits.timeout, fut)
            .await
            .unwrap_or(Err(QueryError::Timeout(self.limits.timeout)))
    }

    /// One instant query; the answer's series as samples.
    pub async fn query(&self, promql: &str) -> Result<Vec<MetricSample>, QueryError> {
        let (status, body) = self
            .api_get("/api/v1/query", &[("query", promql.to_string())])
            .await?;
        // Prometheus answers errors as JSON with a 4xx/5xx status.
        match prom_api::samples(&body) {
            Ok(s) if (200..300).contains(&status) => Ok(s),
            Ok(_) => Err(QueryError::Status {
                url: format!("{}/api/v1/query", self.base),
                status,
            }),
            Err(e) if (200..300).contains(&status) => Err(QueryError::Answer(e.to_string())),
            Err(e) => Err(QueryError::Answer(format!("HTTP {status}: {e}"))),
        }
    }

    /// A node's GPU history over `span` at `step` from `/api/v1/query_range`:
    /// utilisation (either naming), temperature and power, per GPU index.
    pub async fn history(
        &self,
        node: NodeId,
        span: Duration,
        step: Duration,
    ) -> Result<Vec<(u32, GpuSeries)>, QueryError> {
        let Some(key) = self.nodes.iter().find(|n| n.id == node) else {
            return Ok(Vec::new());
        };
        let families = dcgm::history_families();
        let ip = ip_regex(&key.ip);
        let name: String = key
            .name
            .chars()
            .filter(|c| *c != '"' && *c != '\\')
            .collect();
        let f = families.join("|");
        // Whole-GPU series only (MIG instance series carry GPU_I_ID); the
        // node by its scrape address or by the exporter's Hostname label.
        let promql = format!(
            "{{__name__=~\"{f}\",GPU_I_ID=\"\",instance=~\"{ip}(:[0-9]+)?\"}} or {{__name__=~\"{f}\",GPU_I_ID=\"\",Hostname=\"{name}\"}}"
        );
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs_f64())
            .unwrap_or(0.0);
        let step_s = step.as_secs_f64().max(1.0);
        let start = now - span.as_secs_f64();
        let params = [
            ("query", promql),
            ("start", format!("{start:.3}")),
            ("end", format!("{now:.3}")),
            ("step", format!("{step_s:.3}")),
        ];
        let (status, body) = self.api_get("/api/v1/query_range", &params).await?;
        if !(200..300).contains(&status) {
            return Err(QueryError::Status {
                url: format!("{}/api/v1/query_range", self.base),
                status,
            });
        }
        series_from_matrix(
            &body,
            start,
            step_s,
            (span.as_secs_f64() / step_s).ceil() as usize + 1,
        )
    }

    /// The configured node a series is from: the host part of `instance`
    /// as an address or a node name, else the exporter's own host label
    /// (`Hostname`, node_exporter's `nodename`…) as a node name.
    fn node_for(&self, s: &MetricSample) -> Option<NodeId> {
        let instance_host = s.label("instance").map(instance_host);
        if let Some(id) =
            instance_host.and_then(|h| self.by_ip.get(h).or_else(|| self.by_name.get(h)))
        {
            return Some(*id);
        }
        HOST_LABELS
            .iter()
            .filter_map(|k| s.label(k))
            .find_map(|h| self.by_name.get(h))
            .copied()
    }

    /// One refresh of the whole fleet.
    pub async fn refresh(&self) -> Vec<ScrapeOutcome> {
        let host_q = selector(node_exporter::FAMILIES);
        let (gpus, hosts, up) = tokio::join!(
            self.query(&self.gpu_query),
            self.query(&host_q),
            self.query("up")
        );
        self.outcomes(gpus, hosts, up)
    }

    /// Each configured node's outcome from the three answers. A failing GPU
    /// query marks every node; failing host or `up` queries only lose
    /// what they would have added.
    fn outcomes(
        &self,
        gpus: Result<Vec<MetricSample>, QueryError>,
        hosts: Result<Vec<MetricSample>, QueryError>,
        up: Result<Vec<MetricSample>, QueryError>,
    ) -> Vec<ScrapeOutcome> {
        let gpus = match gpus {
            Ok(g) => g,
            Err(e) => {
                let why = format!("query mode: {e}");
                return self
                    .nodes
                    .iter()
                    .map(|n| ScrapeOutcome {
                        node: n.id,
                        gpus: Err(why.clone()),
                        host: None,
                    })
                    .collect();
            }
        };
        let mut gpu_by_node: HashMap<NodeId, Vec<MetricSample>> = HashMap::new();
        for s in gpus {
            if let Some(id) = self.node_for(&s) {
                gpu_by_node.entry(id).or_default().push(s);
            }
        }
        let mut host_by_node: HashMap<NodeId, Vec<MetricSample>> = HashMap::new();
        for s in hosts.unwrap_or_default() {
            if let Some(id) = self.node_for(&s) {
                host_by_node.entry(id).or_default().push(s);
            }
        }
        // up == 0 for a node's GPU exporter target (or for any of its
        // targets when none has GPU series): down, whatever is stored.
        let mut down: HashSet<NodeId> = HashSet::new();
        for s in up.unwrap_or_default() {
            if s.value != 0.0 {
                continue;
            }
            if let Some(id) = self.node_for(&s) {
                let is_gpu_target = gpu_by_node
                    .get(&id)
                    .is_none_or(|g| g.iter().any(|x| x.label("instance") == s.label("instance")));
                if is_gpu_target {
                    down.insert(id);
                }
            }
        }
        self.nodes
            .iter()
            .map(|n| {
                let host = host_by_node
                    .remove(&n.id)
                    .and_then(|samples| node_exporter::from_samples(&samples))
                    .map(Ok);
                let gpus = if down.contains(&n.id) {
                    Err("exporter target down in Prometheus (up == 0)".to_string())
                } else {
                    match gpu_by_node.remove(&n.id) {
                        Some(samples) => Ok(gpus_of_node(&samples, n.dialect)),
                        None => Err("no GPU series in Prometheus for this node".to_string()),
                    }
                };
                ScrapeOutcome {
                    node: n.id,
                    gpus,
                    host,
                }
            })
            .collect()
    }
}

/// Labels an exporter names its own host with (dcgm-exporter's
/// `Hostname`, all-smi's and AMD's `hostname`, node_exporter's `nodename`).
const HOST_LABELS: &[&str] = &["Hostname", "hostname", "nodename"];

/// The host part of an `instance` label: `10.0.0.1:9400` → `10.0.0.1`,
/// `[fe80::1]:9400` → `fe80::1`; a bare IPv6 address or a name without a
/// port is the host itself.
fn instance_host(instance: &str) -> &str {
    if let Some(rest) = instance.strip_prefix('[') {
        return rest.split_once(']').map_or(rest, |(h, _)| h);
    }
    match instance.split_once(':') {
        Some((h, port)) if !port.contains(':') => h,
        _ => instance,
    }
}

/// One node's GPUs from its series: the pinned dialect's reader, else the
/// first dialect (in [`GPU_DIALECTS`] order) whose series give GPUs.
fn gpus_of_node(samples: &[MetricSample], pinned: Option<Dialect>) -> Vec<GpuSample> {
    let readers: Vec<&dyn ExpositionDialect> = match pinned.and_then(Dialect::exposition) {
        Some(reader) => vec![reader],
        None => GPU_DIALECTS.to_vec(),
    };
    readers
        .into_iter()
        .map(|d| {
            let mine: Vec<MetricSample> = samples
                .iter()
                .filter(|s| d.wanted(&s.name))
                .cloned()
                .collect();
            d.from_samples(&mine)
        })
        .find(|g| !g.is_empty())
        .unwrap_or_default()
}

/// An address as a PromQL regex: dots as `[.]` (no backslashes, which
/// PromQL strings would need doubled); anything unexpected dropped.
fn ip_regex(ip: &str) -> String {
    ip.chars()
        .filter_map(|c| match c {
            '.' => Some("[.]".to_string()),
            c if c.is_ascii_alphanumeric() || c == '-' || c == ':' => Some(c.to_string()),
            _ => None,
        })
        .collect()
}

/// Turns a matrix answer into per-GPU series on a fixed time grid, so gaps
/// stay gaps (NaN) instead of squeezing the time axis.
fn series_from_matrix(
    body: &str,
    start: f64,
    step: f64,
    points: usize,
) -> Result<Vec<(u32, GpuSeries)>, QueryError> {
    let v: serde_json::Value =
        serde_json::from_str(body).map_err(|e| QueryError::Answer(e.to_string()))?;
    let result = v["data"]["result"]
        .as_array()
        .ok_or_else(|| QueryError::Answer("query_range answer has no data.result".into()))?;
    let mut by_gpu: std::collections::BTreeMap<u32, GpuSeries> = std::collections::BTreeMap::new();
    for series in result {
        let m = &series["metric"];
        let Some(gpu) = m["gpu"].as_str().and_then(|g| g.parse::<u32>().ok()) else {
            continue;
        };
        let name = m["__name__"].as_str().unwrap_or("");
        let Some((series_of, scale)) = dcgm::history_series(name) else {
            continue;
        };
        let entry = by_gpu.entry(gpu).or_default();
        let out = match series_of {
            HistorySeries::Util => &mut entry.util,
            HistorySeries::Temp => &mut entry.temp,
            HistorySeries::Power => &mut entry.power,
        };
        out.resize(points, f64::NAN);
        for pt in series["values"].as_array().into_iter().flatten() {
            let (Some(t), Some(val)) = (
                pt[0].as_f64(),
                pt[1].as_str().and_then(|x| x.parse::<f64>().ok()),
            ) else {
                continue;
            };
            let i = ((t - start) / step).round();
            if i >= 0.0 && (i as usize) < points && val.is_finite() {
                out[i as usize] = val * scale;
            }
        }
    }
    Ok(by_gpu.into_iter().collect())
}
