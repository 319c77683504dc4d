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
/// dialects' family tables, so query mode reads what scraping reads, plus
/// dcgm-exporter's per-link NVLink families by pattern.
pub fn gpu_query() -> String {
    let mut names = dialect::gpu_families();
    names.extend(dcgm::PER_LINK_PATTERNS);
    selector(&names)
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
    pub async fn query(&self, promql: &str) -> Result<Vec<MetricSample<'static>>, QueryError> {
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
            d.gpus_from_samples(&mine)
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{Exporters, NodeConfig};

    fn collector(nodes: &[(&str, &str)]) -> QueryCollector {
        let mut config = Config::default();
        config.prometheus.url = Some("http://127.0.0.1:9/".into());
        config.nodes = nodes
            .iter()
            .map(|(name, ip)| NodeConfig {
                name: (*name).into(),
                ip: (*ip).into(),
                ..NodeConfig::default()
            })
            .collect();
        QueryCollector::from_config(&config)
            .expect("prometheus.url is set")
            .expect("plain HTTP client")
    }

    fn sample(name: &str, labels: &[(&str, &str)], value: f64) -> MetricSample<'static> {
        MetricSample {
            name: name.to_string().into(),
            labels: crate::sources::exposition::Labels::from_pairs(
                labels
                    .iter()
                    .map(|(k, v)| ((*k).to_string(), (*v).to_string())),
            ),
            value,
        }
    }

    #[test]
    fn gpu_query_asks_for_every_family_of_every_dialect() {
        let q = gpu_query();
        let inner = q
            .strip_prefix("{__name__=~\"")
            .and_then(|r| r.strip_suffix("\"}"))
            .expect("one name regex");
        let names: Vec<&str> = inner.split('|').collect();
        for d in GPU_DIALECTS {
            for f in d.families() {
                assert!(names.contains(&f), "{f}");
            }
        }
        assert_eq!(
            names.len(),
            dialect::gpu_families().len() + dcgm::PER_LINK_PATTERNS.len()
        );
        assert!(names.contains(&"DCGM_FI_DEV_RETIRED_SBE"));
        // Each per-link pattern, with its `[0-9]+` as 17, is a family the
        // dcgm dialect reads per link.
        for p in dcgm::PER_LINK_PATTERNS {
            let example = p.replace("[0-9]+", "17");
            assert!(dcgm::per_link(&example).is_some(), "{p}");
        }
        assert!(names.contains(&"DCGM_FI_DEV_NVLINK_CRC_FLIT_ERROR_TOTAL"));
    }

    #[test]
    fn instance_host_strips_the_port_only() {
        assert_eq!(instance_host("10.0.0.1:9400"), "10.0.0.1");
        assert_eq!(instance_host("gpu-node-1:9400"), "gpu-node-1");
        assert_eq!(instance_host("[fe80::1]:9400"), "fe80::1");
        assert_eq!(instance_host("fe80::1"), "fe80::1");
        assert_eq!(instance_host("gpu-node-1"), "gpu-node-1");
    }

    #[test]
    fn series_are_matched_by_address_then_by_name() {
        let c = collector(&[
            ("n0", "10.0.0.1"),
            ("n1", "fe80::1"),
            ("gpu-node-2", "10.0.0.3"),
            ("n3", "10.0.0.4"),
        ]);
        let at = |labels: &[(&str, &str)]| c.node_for(&sample("x", labels, 1.0));
        assert_eq!(at(&[("instance", "10.0.0.1:9400")]), Some(0));
        assert_eq!(at(&[("instance", "[fe80::1]:9400")]), Some(1));
        // instance is a DNS name, not the configured address.
        assert_eq!(at(&[("instance", "gpu-node-2:9400")]), Some(2));
        assert_eq!(
            at(&[("instance", "dcgm.svc:9400"), ("Hostname", "n3")]),
            Some(3),
            "dcgm-exporter's Hostname"
        );
        assert_eq!(at(&[("instance", "x:9100"), ("nodename", "n0")]), Some(0));
        assert_eq!(at(&[("instance", "x:1"), ("hostname", "n1")]), Some(1));
        assert_eq!(at(&[("instance", "10.9.9.9:9400")]), None);
        assert_eq!(at(&[]), None);
    }

    fn dcgm(name: &str, instance: &str, gpu: &str, value: f64) -> MetricSample<'static> {
        sample(
            name,
            &[("instance", instance), ("gpu", gpu), ("UUID", "GPU-x")],
            value,
        )
    }

    fn up(instance: &str, value: f64) -> MetricSample<'static> {
        sample("up", &[("instance", instance)], value)
    }

    #[test]
    fn outcomes_per_node_from_the_three_answers() {
        let c = collector(&[
            ("ok", "10.0.0.1"),
            ("down", "10.0.0.2"),
            ("no-gpus", "10.0.0.3"),
            ("host-exporter-down", "10.0.0.4"),
        ]);
        let gpus = vec![
            dcgm("DCGM_FI_DEV_GPU_UTIL_RATIO", "10.0.0.1:9400", "0", 0.5),
            dcgm("DCGM_FI_DEV_RETIRED_SBE", "10.0.0.1:9400", "0", 2.0),
            dcgm("DCGM_FI_DEV_RETIRED_DBE", "10.0.0.1:9400", "0", 1.0),
            dcgm("DCGM_FI_DEV_GPU_UTIL", "10.0.0.4:9400", "0", 7.0),
            // A stored series of a target Prometheus now sees down.
            dcgm("DCGM_FI_DEV_GPU_UTIL", "10.0.0.2:9400", "0", 9.0),
        ];
        let hosts = vec![sample(
            "node_memory_MemTotal_bytes",
            &[("instance", "10.0.0.3:9100")],
            64.0,
        )];
        let ups = vec![
            up("10.0.0.1:9400", 1.0),
            up("10.0.0.2:9400", 0.0),
            up("10.0.0.3:9100", 1.0),
            up("10.0.0.4:9400", 1.0),
            up("10.0.0.4:9100", 0.0),
        ];
        let out = c.outcomes(Ok(gpus), Ok(hosts), Ok(ups));
        assert_eq!(out.iter().map(|o| o.node).collect::<Vec<_>>(), [0, 1, 2, 3]);
        let ok = out[0].gpus.as_ref().expect("node 0 has GPUs");
        assert_eq!(ok.len(), 1);
        assert_eq!(ok[0].util_pct, Some(50.0));
        assert_eq!(ok[0].retired_pages, Some(3.0));
        assert_eq!(
            out[1].gpus,
            Err("exporter target down in Prometheus (up == 0)".into())
        );
        assert_eq!(
            out[2].gpus,
            Err("no GPU series in Prometheus for this node".into())
        );
        assert_eq!(
            out[2]
                .host
                .as_ref()
                .and_then(|h| h.as_ref().ok()?.mem_total_bytes),
            Some(64.0)
        );
        assert!(
            out[3].gpus.is_ok(),
            "node_exporter down does not hide the GPUs: {:?}",
            out[3].gpus
        );
    }

    #[test]
    fn a_failed_gpu_query_marks_every_node_and_others_lose_only_their_part() {
        let c = collector(&[("a", "10.0.0.1"), ("b", "10.0.0.2")]);
        let out = c.outcomes(
            Err(QueryError::Timeout(Duration::from_secs(2))),
            Ok(Vec::new()),
            Ok(Vec::new()),
        );
        assert!(
            out.iter()
                .all(|o| o.gpus == Err("query mode: timeout after 2.0s".into()))
        );
        let answer = || Err(QueryError::Answer("bad".into()));
        let out = c.outcomes(
            Ok(vec![dcgm(
                "DCGM_FI_DEV_GPU_UTIL",
                "10.0.0.1:9400",
                "0",
                1.0,
            )]),
            answer(),
            answer(),
        );
        assert!(out[0].gpus.is_ok());
        assert_eq!(out[0].host, None);
    }

    #[test]
    fn a_pinned_dialect_picks_its_reader_else_the_first_with_gpus() {
        let nvgpu = sample(
            "nvidia_smi_utilization_gpu_ratio",
            &[("uuid", "GPU-a")],
            0.25,
        );
        let amd = sample("gpu_gfx_activity", &[("gpu_id", "0")], 40.0);
        let both = [amd.clone(), nvgpu.clone()];
        let g = gpus_of_node(&both, None);
        assert_eq!(g.len(), 1);
        assert_eq!(g[0].util_pct, Some(25.0), "nvidia_gpu_exporter comes first");
        let g = gpus_of_node(&both, Some(Dialect::Amd));
        assert_eq!(g[0].util_pct, Some(40.0));
        assert!(gpus_of_node(&[amd], Some(Dialect::Dcgm)).is_empty());
        // A pin that is not an exposition dialect falls back to detection.
        assert_eq!(gpus_of_node(&[nvgpu], Some(Dialect::CustomJson)).len(), 1);
        let mut config = Config::default();
        config.prometheus.url = Some("http://127.0.0.1:9".into());
        config.nodes = vec![NodeConfig {
            name: "n".into(),
            ip: "10.0.0.1".into(),
            exporters: Exporters {
                all_smi: Some(9090),
                ..Exporters::default()
            },
            ..NodeConfig::default()
        }];
        let c = QueryCollector::from_config(&config).unwrap().unwrap();
        assert_eq!(
            c.nodes[0].dialect,
            Some(Dialect::AllSmi),
            "implied by all_smi"
        );
    }

    #[test]
    fn ip_regex_escapes_dots_and_drops_the_unexpected() {
        assert_eq!(ip_regex("10.0.0.1"), "10[.]0[.]0[.]1");
        assert_eq!(ip_regex("fe80::1"), "fe80::1");
        assert_eq!(ip_regex("a\"b|c"), "abc");
    }

    #[test]
    fn matrix_keeps_gaps_and_scales_ratios() {
        let body = r#"{"status":"success","data":{"resultType":"matrix","result":[
            {"metric":{"__name__":"DCGM_FI_DEV_GPU_UTIL_RATIO","gpu":"1"},"values":[[100,"0.5"],[102,"0.25"]]},
            {"metric":{"__name__":"DCGM_FI_DEV_GPU_TEMP_CELSIUS","gpu":"1"},"values":[[101,"60"]]},
            {"metric":{"__name__":"DCGM_FI_DEV_BOARD_POWER_WATTS","gpu":"0"},"values":[[100,"300"],[150,"1"]]},
            {"metric":{"__name__":"DCGM_FI_DEV_FB_USED","gpu":"0"},"values":[[100,"5"]]},
            {"metric":{"__name__":"DCGM_FI_DEV_GPU_UTIL"},"values":[[100,"5"]]}
        ]}}"#;
        let s = series_from_matrix(body, 100.0, 1.0, 3).unwrap();
        assert_eq!(s.iter().map(|(g, _)| *g).collect::<Vec<_>>(), [0, 1]);
        let g1 = &s[1].1;
        assert_eq!(g1.util[0], 50.0);
        assert!(g1.util[1].is_nan(), "a gap stays a gap");
        assert_eq!(g1.util[2], 25.0);
        assert!(g1.temp[0].is_nan() && g1.temp[1] == 60.0);
        let g0 = &s[0].1;
        assert_eq!(g0.power.len(), 3, "points past the grid are dropped");
        assert_eq!(g0.power[0], 300.0);
        assert!(g0.util.is_empty(), "FB_USED feeds no history series");
        assert!(series_from_matrix("{}", 0.0, 1.0, 1).is_err());
    }
}
