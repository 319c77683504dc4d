//! The demo fleet: simulated dcgm-exporter and node_exporter servers, one
//! pair per node on its own loopback address, served over real HTTP so the
//! TUI's real scraping path reads them. Tests and benchmarks use it too.

pub mod dynamics;
pub mod http_server;
pub mod node_filler;
pub mod profile;
pub mod render;
pub mod topology;

use std::collections::BTreeMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

use crate::config::{Config, Exporters, NodeConfig};
use dynamics::Roles;
use http_server::Reply;
use profile::Profile;
use render::NodePage;

/// How the simulated exporters pick their ports.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortMode {
    /// The real exporters' ports (9400, 9100), falling back to a free port
    /// when one is taken.
    Standard,
    /// Free ports chosen by the OS (tests run many fleets at once).
    Ephemeral,
}

#[derive(Debug, Clone)]
pub struct SimOptions {
    pub nodes: usize,
    /// GPUs per node; `None` uses each kind's count (8 for H100).
    pub gpus: Option<u32>,
    pub seed: u64,
    pub ports: PortMode,
    /// Serve every page as at this sim time (tests comparing two readers).
    pub frozen_at: Option<f64>,
}

impl Default for SimOptions {
    fn default() -> Self {
        Self {
            nodes: 16,
            gpus: None,
            seed: 0xA4A1,
            ports: PortMode::Standard,
            frozen_at: None,
        }
    }
}

/// One simulated node.
#[derive(Debug, Clone)]
pub struct SimNode {
    pub name: String,
    pub ip: Ipv4Addr,
    pub profile: &'static Profile,
    pub gpus: u32,
    pub dcgm_port: u16,
    pub node_port: u16,
}

/// The fleet's static description: what each node is and where it listens.
#[derive(Debug, Clone)]
pub struct SimSpec {
    pub nodes: Vec<SimNode>,
    pub seed: u64,
    pub roles: Roles,
}

impl SimSpec {
    /// Describes a fleet without starting anything (ports 0 until bound).
    pub fn new(opts: &SimOptions) -> Self {
        let width = opts.nodes.to_string().len().max(2);
        let nodes = (0..opts.nodes)
            .map(|i| {
                let p = profile::kind_of(i);
                SimNode {
                    name: format!("gpu-node-{:0width$}", i + 1),
                    ip: node_ip(i),
                    profile: p,
                    gpus: opts.gpus.unwrap_or(p.default_gpus).max(1),
                    dcgm_port: 0,
                    node_port: 0,
                }
            })
            .collect();
        Self {
            nodes,
            seed: opts.seed,
            roles: Roles::for_fleet(opts.nodes),
        }
    }

    pub fn page(&self, node: usize, t: f64) -> NodePage<'_> {
        let n = &self.nodes[node];
        NodePage {
            profile: n.profile,
            seed: self.seed,
            node,
            hostname: &n.name,
            gpus: n.gpus,
            roles: &self.roles,
            t,
        }
    }

    pub fn dcgm_page(&self, node: usize, t: f64) -> String {
        render::dcgm_page(&self.page(node, t))
    }

    pub fn node_page(&self, node: usize, t: f64) -> String {
        render::node_page(&self.page(node, t))
    }

    pub fn is_down(&self, node: usize, t: f64) -> bool {
        dynamics::is_down(&self.roles, node, t)
    }

    /// What a scrape of the whole fleet at `t` gives, without the network:
    /// the pages are rendered and parsed by the real parsers. For render
    /// tests and benchmarks that need a fixed fleet state.
    pub fn outcomes_at(&self, t: f64) -> Vec<crate::domain::ScrapeOutcome> {
        (0..self.nodes.len())
            .map(|i| {
                if self.is_down(i, t) {
                    return crate::domain::ScrapeOutcome {
                        node: i,
                        gpus: Err("timeout after 1.6s".into()),
                        host: Some(Err("timeout after 1.6s".into())),
                    };
                }
                crate::domain::ScrapeOutcome {
                    node: i,
                    gpus: crate::sources::collector::parse_gpu_page(&self.dcgm_page(i, t))
                        .map_err(|e| e.to_string()),
                    host: Some(
                        crate::sources::node_exporter::parse(&self.node_page(i, t))
                            .ok_or_else(|| "no node_exporter metrics".to_string()),
                    ),
                }
            })
            .collect()
    }

    /// A config whose nodes point at this fleet's servers.
    pub fn config(&self) -> Config {
        let mut c = Config::default();
        c.cluster.name = "demo-cluster".into();
        c.nodes = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let mut labels = BTreeMap::new();
                labels.insert("rack".to_string(), format!("r{}", 1 + i / 16));
                labels.insert("gpu_type".to_string(), n.profile.label.to_string());
                NodeConfig {
                    name: n.name.clone(),
                    ip: n.ip.to_string(),
                    labels,
                    exporters: Exporters {
                        dcgm: Some(n.dcgm_port),
                        node: Some(n.node_port),
                        ..Exporters::default()
                    },
                    ..NodeConfig::default()
                }
            })
            .collect();
        c
    }
}

/// The `collect[]` values of a query string, as node_exporter reads them
/// (`collect[]=cpu` or its escaped form `collect%5B%5D=cpu`).
pub fn collect_params(query: &str) -> Vec<&str> {
    query
        .split('&')
        .filter_map(|kv| kv.split_once('='))
        .filter(|(k, _)| matches!(*k, "collect[]" | "collect%5B%5D" | "collect%5b%5d"))
        .map(|(_, v)| v)
        .collect()
}

/// Loopback address of demo node `i`: 127.0.1.1, 127.0.1.2, … (skipping
/// 127.0.0.0/24, where real local services live).
pub fn node_ip(i: usize) -> Ipv4Addr {
    Ipv4Addr::new(127, 0, 1 + (i / 254) as u8, 1 + (i % 254) as u8)
}

/// A running simulated fleet; dropping it stops every server.
pub struct SimFleet {
    pub spec: Arc<SimSpec>,
    tasks: Vec<JoinHandle<()>>,
    started: tokio::time::Instant,
}

impl Drop for SimFleet {
    fn drop(&mut self) {
        for t in &self.tasks {
            t.abort();
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SimError {
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

async fn bind(ip: Ipv4Addr, port: u16, mode: PortMode) -> Result<TcpListener, SimError> {
    let want = SocketAddr::from((ip, if mode == PortMode::Standard { port } else { 0 }));
    match TcpListener::bind(want).await {
        Ok(l) => Ok(l),
        Err(_) if mode == PortMode::Standard => {
            let any = SocketAddr::from((ip, 0));
            TcpListener::bind(any)
                .await
                .map_err(|source| SimError::Bind { addr: any, source })
        }
        Err(source) => Err(SimError::Bind { addr: want, source }),
    }
}

impl SimFleet {
    /// Binds every node's two servers and starts serving. Must run inside a
    /// tokio runtime.
    pub async fn start(opts: SimOptions) -> Result<Self, SimError> {
        // 1,024 nodes need 2,048 listeners plus their connections.
        let _ = rlimit::increase_nofile_limit(u64::MAX);
        let mut spec = SimSpec::new(&opts);
        let mut listeners = Vec::with_capacity(spec.nodes.len());
        for n in &mut spec.nodes {
            let d = bind(n.ip, 9400, opts.ports).await?;
            let h = bind(n.ip, 9100, opts.ports).await?;
            n.dcgm_port = d.local_addr().map(|a| a.port()).unwrap_or(0);
            n.node_port = h.local_addr().map(|a| a.port()).unwrap_or(0);
            listeners.push((d, h));
        }
        let spec = Arc::new(spec);
        let started = tokio::time::Instant::now();
        let frozen = opts.frozen_at;
        let mut tasks = Vec::with_capacity(listeners.len() * 2);
        for (i, (d, h)) in listeners.into_iter().enumerate() {
            for (listener, is_dcgm) in [(d, true), (h, false)] {
                let s = Arc::clone(&spec);
                let handler: http_server::Handler = Arc::new(move |target: &str| {
                    let (path, query) = target.split_once('?').unwrap_or((target, ""));
                    if path != "/metrics" {
                        return Reply::NotFound;
                    }
                    let t = frozen.unwrap_or_else(|| started.elapsed().as_secs_f64());
                    if s.is_down(i, t) {
                        return Reply::Hang;
                    }
                    if is_dcgm {
                        return Reply::Text(s.dcgm_page(i, t));
                    }
                    let collectors = collect_params(query);
                    if collectors.is_empty() {
                        return Reply::Text(s.node_page(i, t));
                    }
                    match render::node_page_collecting(&s.page(i, t), &collectors) {
                        Some(page) => Reply::Text(page),
                        None => Reply::BadRequest(
                            "couldn't create filtered metrics handler: missing collector".into(),
                        ),
                    }
                });
                tasks.push(tokio::spawn(http_server::serve(listener, handler)));
            }
        }
        Ok(Self {
            spec,
            tasks,
            started,
        })
    }

    pub fn config(&self) -> Config {
        self.spec.config()
    }

    /// Seconds since the fleet started (follows tokio's clock).
    pub fn elapsed(&self) -> f64 {
        self.started.elapsed().as_secs_f64()
    }
}
