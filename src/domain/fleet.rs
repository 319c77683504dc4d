//! The fleet: every node, its last scrape, its status and its history.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

use super::alert::{self, LocalAlert};
use super::gpu::GpuSample;
use super::history::PercentRing;
use super::host::HostSample;
use super::rules::RuleEngine;

/// Index of a node in [`Fleet::nodes`]; stable for the life of a fleet.
pub type NodeId = usize;

/// What the operator configured about a node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NodeSpec {
    pub name: String,
    pub address: String,
    pub labels: BTreeMap<String, String>,
}

/// Whether a node answers.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NodeStatus {
    /// Not scraped yet.
    #[default]
    Pending,
    Up,
    /// Reachable but something is missing (e.g. node_exporter down while the
    /// GPU exporter answers). The string says what.
    Degraded(String),
    /// The GPU exporter did not give a usable page. The string says why.
    Down(String),
}

impl NodeStatus {
    pub fn is_down(&self) -> bool {
        matches!(self, NodeStatus::Down(_))
    }
    pub fn word(&self) -> &'static str {
        match self {
            NodeStatus::Pending => "pending",
            NodeStatus::Up => "up",
            NodeStatus::Degraded(_) => "degraded",
            NodeStatus::Down(_) => "down",
        }
    }
    pub fn reason(&self) -> Option<&str> {
        match self {
            NodeStatus::Degraded(r) | NodeStatus::Down(r) => Some(r),
            _ => None,
        }
    }
}

/// One node's result from one refresh, already reduced to domain values.
/// Errors are short human reasons (`timeout after 1.6s`, `HTTP 500`).
#[derive(Debug, Clone, PartialEq)]
pub struct ScrapeOutcome {
    pub node: NodeId,
    pub gpus: Result<Vec<GpuSample>, String>,
    /// `None` when the node has no host exporter configured.
    pub host: Option<Result<HostSample, String>>,
}

/// Past values of one GPU read from a time-series database, oldest first;
/// missing points are NaN.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct GpuSeries {
    pub util: Vec<f64>,
    pub temp: Vec<f64>,
    pub power: Vec<f64>,
}

/// Per-GPU history rings: the metrics the screen draws over time (the node
/// view's utilisation sparkline). At 1,024 nodes × 8 GPUs every ring kept
/// costs 3.5 MiB for 15 minutes at 2 s, so only what is shown is kept.
#[derive(Debug, Clone, PartialEq)]
pub struct GpuHistory {
    pub util: PercentRing,
}

impl GpuHistory {
    fn new(capacity: usize) -> Self {
        Self {
            util: PercentRing::new(capacity),
        }
    }

    fn record(&mut self, g: &GpuSample) {
        // A missing reading is recorded as NaN so the time axis stays honest.
        self.util.push(g.util_pct.unwrap_or(f64::NAN));
    }
}

/// A node with everything we know about it.
#[derive(Debug, Clone, PartialEq)]
pub struct NodeState {
    pub spec: NodeSpec,
    pub status: NodeStatus,
    pub gpus: Vec<GpuSample>,
    pub host: Option<HostSample>,
    pub cpu_busy_pct: Option<f64>,
    /// GPU count seen at the node's best scrape, to notice GPUs that vanish.
    pub gpus_expected: usize,
    pub history: HashMap<u32, GpuHistory>,
    pub last_ok: Option<Instant>,
    pub alerts: Vec<LocalAlert>,
    /// Xids seen on this node's GPUs in the last 24 hours. dcgm-exporter's
    /// gauge only holds the last Xid and resets when the exporter restarts,
    /// so the node remembers them for the health score.
    pub xid_history: Vec<XidSeen>,
    /// GPUs whose NVLinks are not as they should be, from the last topology
    /// read (empty when unknown or healthy).
    pub link_problems: Vec<super::topology::GpuLinkReport>,
    /// (GPU, how much) for NVLink error counters that grew in the last
    /// refresh.
    pub nvlink_error_moves: Vec<(u32, f64)>,
    /// The per-link counters (dcgm-exporter's `_L#` fields) that grew in
    /// the last refresh, by GPU then link.
    pub nvlink_link_moves: Vec<super::gpu::LinkMove>,
}

/// One Xid seen on one GPU.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct XidSeen {
    pub gpu: u32,
    pub xid: u32,
    pub first_seen: Instant,
    pub last_seen: Instant,
}

/// How long a seen Xid counts against health.
pub const XID_MEMORY: Duration = Duration::from_secs(24 * 3600);

impl NodeState {
    pub fn new(spec: NodeSpec) -> Self {
        Self {
            spec,
            status: NodeStatus::Pending,
            gpus: Vec::new(),
            host: None,
            cpu_busy_pct: None,
            gpus_expected: 0,
            history: HashMap::new(),
            last_ok: None,
            alerts: Vec::new(),
            xid_history: Vec::new(),
            link_problems: Vec::new(),
            nvlink_error_moves: Vec::new(),
            nvlink_link_moves: Vec::new(),
        }
    }

    pub fn avg_util(&self) -> Option<f64> {
        mean(self.gpus.iter().filter_map(|g| g.util_pct))
    }

    pub fn avg_mem_pct(&self) -> Option<f64> {
        mean(self.gpus.iter().filter_map(|g| g.mem_pct()))
    }

    /// The hottest GPU: (index, °C).
    pub fn hottest(&self) -> Option<(u32, f64)> {
        self.gpus
            .iter()
            .filter_map(|g| g.temp_c.map(|t| (g.index, t)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
    }

    pub fn power_w(&self) -> Option<f64> {
        let mut any = false;
        let sum = self
            .gpus
            .iter()
            .filter_map(|g| g.power_w)
            .inspect(|_| any = true)
            .sum();
        any.then_some(sum)
    }

    /// The most recent non-zero Xid on any GPU: (gpu index, xid).
    pub fn last_xid(&self) -> Option<(u32, u32)> {
        self.gpus.iter().find_map(|g| g.xid().map(|x| (g.index, x)))
    }

    pub fn model(&self) -> Option<&str> {
        self.gpus.first().map(|g| g.model.as_str())
    }
}

fn mean(it: impl Iterator<Item = f64>) -> Option<f64> {
    let (mut n, mut sum) = (0usize, 0.0);
    for v in it.filter(|v| v.is_finite()) {
        n += 1;
        sum += v;
    }
    (n > 0).then(|| sum / n as f64)
}

/// The whole fleet.
#[derive(Debug, Clone, PartialEq)]
pub struct Fleet {
    pub cluster_name: String,
    pub nodes: Vec<NodeState>,
    pub history_capacity: usize,
    pub last_refresh: Option<Instant>,
    /// How long the last refresh took, start to last answer.
    pub last_refresh_took: Option<Duration>,
    /// The preset rules evaluated on every refresh, when configured.
    pub rules: Option<RuleEngine>,
}

impl Fleet {
    /// `history_capacity` is the number of refreshes kept per GPU metric
    /// (15 minutes at the refresh interval).
    pub fn new(
        cluster_name: impl Into<String>,
        specs: Vec<NodeSpec>,
        history_capacity: usize,
    ) -> Self {
        Self {
            cluster_name: cluster_name.into(),
            nodes: specs.into_iter().map(NodeState::new).collect(),
            history_capacity,
            last_refresh: None,
            last_refresh_took: None,
            rules: None,
        }
    }

    /// Records what a topology read found wrong with a node's NVLinks.
    pub fn set_link_problems(
        &mut self,
        node: NodeId,
        problems: Vec<super::topology::GpuLinkReport>,
    ) {
        if let Some(n) = self.nodes.get_mut(node) {
            n.link_problems = problems;
        }
    }

    /// Evaluates these rules on every refresh from now on (an empty set
    /// turns the rule engine off and the built-in checks back on).
    pub fn set_rules(&mut self, rules: Vec<super::rules::Rule>) {
        self.rules = (!rules.is_empty()).then(|| RuleEngine::new(rules));
    }

    /// Adds a node at the end (ids of the others do not change); the next
    /// refresh fills it in.
    pub fn add_node(&mut self, spec: NodeSpec) -> NodeId {
        self.nodes.push(NodeState::new(spec));
        self.nodes.len() - 1
    }

    /// Eats one refresh: every node's outcome at once.
    pub fn apply_refresh(&mut self, outcomes: Vec<ScrapeOutcome>, now: Instant, took: Duration) {
        for outcome in outcomes {
            self.apply_outcome(outcome, now);
        }
        if let Some(engine) = &mut self.rules {
            engine.evaluate(&self.nodes, now);
            for (id, node) in self.nodes.iter_mut().enumerate() {
                node.alerts = alert::evaluate_with_rules(node, id, engine);
            }
        }
        self.last_refresh = Some(now);
        self.last_refresh_took = Some(took);
    }

    fn apply_outcome(&mut self, outcome: ScrapeOutcome, now: Instant) {
        let capacity = self.history_capacity;
        let Some(node) = self.nodes.get_mut(outcome.node) else {
            return;
        };
        let host_result = outcome.host;
        match outcome.gpus {
            Ok(gpus) => {
                node.gpus_expected = node.gpus_expected.max(gpus.len());
                for g in &gpus {
                    node.history
                        .entry(g.index)
                        .or_insert_with(|| GpuHistory::new(capacity))
                        .record(g);
                }
                for g in &gpus {
                    if let Some(x) = g.xid() {
                        match node
                            .xid_history
                            .iter_mut()
                            .find(|s| s.gpu == g.index && s.xid == x)
                        {
                            Some(seen) => seen.last_seen = now,
                            None => node.xid_history.push(XidSeen {
                                gpu: g.index,
                                xid: x,
                                first_seen: now,
                                last_seen: now,
                            }),
                        }
                    }
                }
                node.xid_history
                    .retain(|s| now.saturating_duration_since(s.last_seen) <= XID_MEMORY);
                // NVLink error counters that moved since the last refresh.
                node.nvlink_error_moves = gpus
                    .iter()
                    .filter_map(|g| {
                        let now_v = g.nvlink_errors?;
                        let before = node
                            .gpus
                            .iter()
                            .find(|p| p.index == g.index)?
                            .nvlink_errors?;
                        (now_v > before).then_some((g.index, now_v - before))
                    })
                    .collect();
                node.nvlink_link_moves = gpus
                    .iter()
                    .filter(|g| !g.nvlink_links.is_empty())
                    .flat_map(|g| {
                        let before = node
                            .gpus
                            .iter()
                            .find(|p| p.index == g.index)
                            .map(|p| p.nvlink_links.as_slice())
                            .unwrap_or_default();
                        super::gpu::link_moves(g.index, before, &g.nvlink_links)
                    })
                    .collect();
                node.gpus = gpus;
                node.last_ok = Some(now);
                node.status = match &host_result {
                    Some(Err(e)) => NodeStatus::Degraded(format!("node_exporter: {e}")),
                    _ if node.gpus.len() < node.gpus_expected => NodeStatus::Degraded(format!(
                        "{} of {} GPUs missing",
                        node.gpus_expected - node.gpus.len(),
                        node.gpus_expected
                    )),
                    _ => NodeStatus::Up,
                };
            }
            Err(reason) => {
                // Keep the last GPUs for context but mark the node down; the
                // renderer greys out stale values.
                node.status = NodeStatus::Down(reason);
            }
        }
        if let Some(Ok(host)) = host_result {
            if let Some(prev) = &node.host {
                node.cpu_busy_pct = host.cpu_busy_pct_since(prev).or(node.cpu_busy_pct);
            }
            node.host = Some(host);
        }
        node.alerts = alert::evaluate(node);
    }

    /// Records the Xids a kernel-log scan found, matching each event's PCI
    /// bus id to the GPU index from the exporter's labels. Returns (events
    /// matched to a GPU, events on a bus the exporter does not list).
    pub fn record_kernel_xids(
        &mut self,
        node: NodeId,
        events: &[(String, u32)],
        now: Instant,
    ) -> (usize, usize) {
        let Some(n) = self.nodes.get_mut(node) else {
            return (0, 0);
        };
        let buses: Vec<(u32, String)> = n
            .gpus
            .iter()
            .filter_map(|g| g.pci_bus_id.clone().map(|b| (g.index, b)))
            .collect();
        let (mut mapped, mut unmapped) = (0, 0);
        for (bus, code) in events {
            match super::pci::gpu_index_for_bus(bus, &buses) {
                Some(gpu) => {
                    mapped += 1;
                    match n
                        .xid_history
                        .iter_mut()
                        .find(|s| s.gpu == gpu && s.xid == *code)
                    {
                        Some(seen) => seen.last_seen = now,
                        None => n.xid_history.push(XidSeen {
                            gpu,
                            xid: *code,
                            first_seen: now,
                            last_seen: now,
                        }),
                    }
                }
                None => unmapped += 1,
            }
        }
        n.alerts = alert::evaluate(n);
        (mapped, unmapped)
    }

    /// Replaces a node's history rings with series read from Prometheus
    /// (query mode opens a node with its last minutes already drawn).
    pub fn load_history(&mut self, node: NodeId, series: Vec<(u32, GpuSeries)>) {
        let capacity = self.history_capacity;
        let Some(n) = self.nodes.get_mut(node) else {
            return;
        };
        for (gpu, s) in series {
            let mut h = GpuHistory::new(capacity);
            for v in &s.util {
                h.util.push(*v);
            }
            n.history.insert(gpu, h);
        }
    }

    pub fn up_count(&self) -> usize {
        self.nodes
            .iter()
            .filter(|n| matches!(n.status, NodeStatus::Up | NodeStatus::Degraded(_)))
            .count()
    }

    pub fn gpu_count(&self) -> usize {
        self.nodes.iter().map(|n| n.gpus.len()).sum()
    }

    pub fn avg_util(&self) -> Option<f64> {
        mean(
            self.nodes
                .iter()
                .filter(|n| !n.status.is_down())
                .flat_map(|n| n.gpus.iter().filter_map(|g| g.util_pct)),
        )
    }

    /// The fleet's draw over the nodes that are up; `None` when no GPU
    /// reports power (a sum over nothing would claim 0 W).
    pub fn power_w(&self) -> Option<f64> {
        let mut any = false;
        let sum = self
            .nodes
            .iter()
            .filter(|n| !n.status.is_down())
            .filter_map(|n| n.power_w())
            .inspect(|_| any = true)
            .sum();
        any.then_some(sum)
    }

    pub fn alert_counts(&self) -> (usize, usize) {
        let mut crit = 0;
        let mut warn = 0;
        for a in self.nodes.iter().flat_map(|n| &n.alerts) {
            match a.severity {
                alert::Severity::Critical => crit += 1,
                alert::Severity::Warning => warn += 1,
                alert::Severity::Info => {}
            }
        }
        (crit, warn)
    }
}

/// Compares names so `node-9` sorts before `node-10`.
pub fn natural_cmp(a: &str, b: &str) -> Ordering {
    let mut ai = a.chars().peekable();
    let mut bi = b.chars().peekable();
    loop {
        match (ai.peek().copied(), bi.peek().copied()) {
            (None, None) => return Ordering::Equal,
            (None, Some(_)) => return Ordering::Less,
            (Some(_), None) => return Ordering::Greater,
            (Some(x), Some(y)) if x.is_ascii_digit() && y.is_ascii_digit() => {
                let mut na = String::new();
                while let Some(c) = ai.peek().copied().filter(char::is_ascii_digit) {
                    na.push(c);
                    ai.next();
                }
                let mut nb = String::new();
                while let Some(c) = bi.peek().copied().filter(char::is_ascii_digit) {
                    nb.push(c);
                    bi.next();
                }
                let ord = na
                    .trim_start_matches('0')
                    .len()
                    .cmp(&nb.trim_start_matches('0').len())
                    .then_with(|| na.trim_start_matches('0').cmp(nb.trim_start_matches('0')));
                if ord != Ordering::Equal {
                    return ord;
                }
            }
            (Some(x), Some(y)) => {
                if x != y {
                    return x.cmp(&y);
                }
                ai.next();
                bi.next();
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gpu(index: u32, util: f64, temp: f64) -> GpuSample {
        GpuSample {
            index,
            util_pct: Some(util),
            temp_c: Some(temp),
            power_w: Some(100.0),
            ..Default::default()
        }
    }

    fn spec(name: &str) -> NodeSpec {
        NodeSpec {
            name: name.into(),
            address: "127.0.0.1".into(),
            labels: BTreeMap::new(),
        }
    }

    #[test]
    fn no_power_reading_is_no_figure_not_zero_watts() {
        let mut f = Fleet::new("c", vec![spec("a")], 4);
        assert_eq!(f.power_w(), None, "nothing scraped yet");
        let mut g = gpu(0, 50.0, 60.0);
        g.power_w = None;
        f.apply_refresh(
            vec![ScrapeOutcome {
                node: 0,
                gpus: Ok(vec![g]),
                host: None,
            }],
            Instant::now(),
            Duration::ZERO,
        );
        assert_eq!(f.power_w(), None, "a GPU without a power reading");
    }

    #[test]
    fn refresh_updates_status_history_and_aggregates() {
        let mut f = Fleet::new("c", vec![spec("a"), spec("b")], 4);
        let now = Instant::now();
        f.apply_refresh(
            vec![
                ScrapeOutcome {
                    node: 0,
                    gpus: Ok(vec![gpu(0, 50.0, 60.0), gpu(1, 100.0, 90.0)]),
                    host: None,
                },
                ScrapeOutcome {
                    node: 1,
                    gpus: Err("timeout after 1.6s".into()),
                    host: None,
                },
            ],
            now,
            Duration::from_millis(5),
        );
        assert_eq!(f.nodes[0].status, NodeStatus::Up);
        assert_eq!(
            f.nodes[1].status,
            NodeStatus::Down("timeout after 1.6s".into())
        );
        assert_eq!(f.up_count(), 1);
        assert_eq!(f.nodes[0].avg_util(), Some(75.0));
        assert_eq!(f.nodes[0].hottest(), Some((1, 90.0)));
        assert_eq!(f.nodes[0].history[&1].util.last(), Some(100.0));
        assert_eq!(f.power_w(), Some(200.0));
    }

    #[test]
    fn vanished_gpu_degrades_node() {
        let mut f = Fleet::new("c", vec![spec("a")], 4);
        let now = Instant::now();
        let two = vec![gpu(0, 1.0, 40.0), gpu(1, 1.0, 40.0)];
        f.apply_refresh(
            vec![ScrapeOutcome {
                node: 0,
                gpus: Ok(two),
                host: None,
            }],
            now,
            Duration::ZERO,
        );
        f.apply_refresh(
            vec![ScrapeOutcome {
                node: 0,
                gpus: Ok(vec![gpu(0, 1.0, 40.0)]),
                host: None,
            }],
            now,
            Duration::ZERO,
        );
        assert_eq!(
            f.nodes[0].status,
            NodeStatus::Degraded("1 of 2 GPUs missing".into())
        );
    }

    #[test]
    fn nvlink_error_counters_that_moved_are_noted() {
        let mut f = Fleet::new("c", vec![spec("n")], 4);
        let with_errors = |e0: f64, e1: f64| {
            let mut a = gpu(0, 10.0, 40.0);
            a.nvlink_errors = Some(e0);
            let mut b = gpu(1, 10.0, 40.0);
            b.nvlink_errors = Some(e1);
            vec![ScrapeOutcome {
                node: 0,
                gpus: Ok(vec![a, b]),
                host: None,
            }]
        };
        let t0 = Instant::now();
        f.apply_refresh(with_errors(2.0, 3.0), t0, Duration::ZERO);
        assert!(
            f.nodes[0].nvlink_error_moves.is_empty(),
            "nothing to compare yet"
        );
        f.apply_refresh(
            with_errors(2.0, 7.0),
            t0 + Duration::from_secs(2),
            Duration::ZERO,
        );
        assert_eq!(f.nodes[0].nvlink_error_moves, [(1, 4.0)]);
        f.apply_refresh(
            with_errors(2.0, 7.0),
            t0 + Duration::from_secs(4),
            Duration::ZERO,
        );
        assert!(
            f.nodes[0].nvlink_error_moves.is_empty(),
            "still counts, no move"
        );
    }

    #[test]
    fn per_link_counters_that_moved_are_noted_link_by_link() {
        use crate::domain::gpu::{LinkCounter, LinkMove, NvLinkCounters};
        let mut f = Fleet::new("c", vec![spec("n")], 4);
        let page = |flit7: f64, replay9: f64| {
            let mut g = gpu(3, 10.0, 40.0);
            g.nvlink_links = (0..18)
                .map(|link| NvLinkCounters {
                    link,
                    crc_flit: Some(if link == 7 { flit7 } else { 0.0 }),
                    replay: Some(if link == 9 { replay9 } else { 0.0 }),
                    ..NvLinkCounters::default()
                })
                .collect();
            vec![ScrapeOutcome {
                node: 0,
                gpus: Ok(vec![g]),
                host: None,
            }]
        };
        let t0 = Instant::now();
        f.apply_refresh(page(5.0, 0.0), t0, Duration::ZERO);
        assert!(f.nodes[0].nvlink_link_moves.is_empty());
        f.apply_refresh(page(17.0, 1.0), t0 + Duration::from_secs(2), Duration::ZERO);
        assert_eq!(
            f.nodes[0].nvlink_link_moves,
            [
                LinkMove {
                    gpu: 3,
                    link: 7,
                    counter: LinkCounter::CrcFlit,
                    by: 12.0
                },
                LinkMove {
                    gpu: 3,
                    link: 9,
                    counter: LinkCounter::Replay,
                    by: 1.0
                },
            ]
        );
        // A reset (the counter went down) is not a move.
        f.apply_refresh(page(0.0, 1.0), t0 + Duration::from_secs(4), Duration::ZERO);
        assert!(f.nodes[0].nvlink_link_moves.is_empty());
    }
}
