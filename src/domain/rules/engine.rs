//! The in-process rule engine: evaluates a rule set on every refresh, keeps
//! the short history window functions need, and moves each alert through
//! pending → firing → resolved per GPU or per node, honouring `for` across
//! refreshes the way Prometheus does.

use std::collections::{HashMap, HashSet, VecDeque};
use std::time::{Duration, Instant};

use super::metric::{MetricDef, Reader, Scope};
use super::model::{Condition, Rule, Test, Threshold, WindowFn};
use super::parse::fill_template;
use crate::domain::Severity;
use crate::domain::fleet::{NodeId, NodeState};

/// How long a resolved alert stays listed.
pub const RESOLVED_KEEP: Duration = Duration::from_secs(3600);

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Phase {
    Firing,
    Pending,
    /// The rule's series were there and are gone: the rule cannot say.
    NoData,
    Resolved,
}

impl Phase {
    pub fn word(self) -> &'static str {
        match self {
            Phase::Firing => "firing",
            Phase::Pending => "pending",
            Phase::NoData => "no data",
            Phase::Resolved => "resolved",
        }
    }
}

/// One alert of one rule on one GPU or node.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleAlert {
    /// Index into [`RuleEngine::rules`].
    pub rule: usize,
    pub node: NodeId,
    pub gpu: Option<u32>,
    pub phase: Phase,
    /// When the current phase began (active since, for firing: when the
    /// conditions first held, as Prometheus's activeAt).
    pub since: Instant,
    /// When a firing alert started firing.
    pub fired_at: Option<Instant>,
    /// The first condition's value at the last evaluation.
    pub value: Option<f64>,
}

type Key = (usize, NodeId, Option<u32>);
type SeriesKey = (NodeId, Option<u32>, &'static str);

/// Samples of one series as runs of equal values, so an hour of a gauge
/// that rarely changes costs a few entries.
#[derive(Debug, Clone, PartialEq, Default)]
struct Runs(VecDeque<Run>);

#[derive(Debug, Clone, Copy, PartialEq)]
struct Run {
    first: Instant,
    last: Instant,
    value: f64,
    count: u32,
}

impl Runs {
    fn push(&mut self, at: Instant, value: f64) {
        match self.0.back_mut() {
            Some(r) if r.value == value => {
                r.last = at;
                r.count += 1;
            }
            _ => self.0.push_back(Run {
                first: at,
                last: at,
                value,
                count: 1,
            }),
        }
    }

    /// Drops runs whose every sample is before `cutoff`.
    fn prune(&mut self, cutoff: Instant) {
        while self.0.front().is_some_and(|r| r.last < cutoff) {
            self.0.pop_front();
        }
    }

    /// `f` over the samples in `[now - window, now]`, as Prometheus 2.x
    /// selects a range. NaN when there are too few samples to say (the
    /// condition then does not hold). `increase` extrapolates to the
    /// window's edges exactly as Prometheus does, so both engines report the
    /// same figure.
    fn apply(&self, f: WindowFn, window: Duration, now: Instant) -> f64 {
        let cutoff = now.checked_sub(window);
        // (value, samples inside, first sample inside, last sample)
        let inside: Vec<(f64, u32, Instant, Instant)> = self
            .0
            .iter()
            .filter(|r| cutoff.is_none_or(|c| r.last >= c))
            .map(|r| match cutoff {
                Some(c) if r.first < c => {
                    // Part of the run is before the window. Its samples came
                    // at the refresh interval: find the first one inside.
                    let step = if r.count > 1 {
                        r.last.duration_since(r.first).as_secs_f64() / f64::from(r.count - 1)
                    } else {
                        0.0
                    };
                    let skipped = if step > 0.0 {
                        (c.duration_since(r.first).as_secs_f64() / step - 1e-9).ceil()
                    } else {
                        0.0
                    };
                    let first = r.first + Duration::from_secs_f64(skipped * step);
                    (r.value, r.count - skipped as u32, first, r.last)
                }
                _ => (r.value, r.count, r.first, r.last),
            })
            .collect();
        let samples: u32 = inside.iter().map(|x| x.1).sum();
        if samples == 0 {
            return f64::NAN;
        }
        match f {
            WindowFn::Changes => (inside.len() - 1) as f64,
            WindowFn::MaxOverTime => inside.iter().map(|x| x.0).fold(f64::MIN, f64::max),
            WindowFn::MinOverTime => inside.iter().map(|x| x.0).fold(f64::MAX, f64::min),
            WindowFn::AvgOverTime => {
                inside.iter().map(|x| x.0 * f64::from(x.1)).sum::<f64>() / f64::from(samples)
            }
            WindowFn::Increase => {
                if samples < 2 {
                    return f64::NAN;
                }
                let (first_v, _, first_t, _) = inside[0];
                let last_t = inside[inside.len() - 1].3;
                let last_v = inside[inside.len() - 1].0;
                // A drop is a counter reset: add what it had reached.
                let mut result = last_v - first_v;
                for pair in inside.windows(2) {
                    if pair[1].0 < pair[0].0 {
                        result += pair[0].0;
                    }
                }
                extrapolate(result, first_v, first_t, last_t, samples, cutoff, now)
            }
        }
    }
}

/// Prometheus's `extrapolatedRate` for `increase` (2.x): the raw growth
/// stretched to the window's edges when the samples stop short of them.
fn extrapolate(
    result: f64,
    first_v: f64,
    first_t: Instant,
    last_t: Instant,
    samples: u32,
    range_start: Option<Instant>,
    range_end: Instant,
) -> f64 {
    let sampled = last_t.duration_since(first_t).as_secs_f64();
    if sampled <= 0.0 {
        return f64::NAN;
    }
    let mut to_start = range_start
        .map(|s| first_t.saturating_duration_since(s).as_secs_f64())
        .unwrap_or(0.0);
    let to_end = range_end.saturating_duration_since(last_t).as_secs_f64();
    let average = sampled / f64::from(samples - 1);
    if result > 0.0 && first_v >= 0.0 {
        // A counter does not go below zero: do not stretch past that.
        to_start = to_start.min(sampled * (first_v / result));
    }
    let threshold = average * 1.1;
    let mut interval = sampled;
    interval += if to_start < threshold {
        to_start
    } else {
        average / 2.0
    };
    interval += if to_end < threshold {
        to_end
    } else {
        average / 2.0
    };
    result * (interval / sampled)
}

/// The state kept between refreshes.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleEngine {
    rules: Vec<Rule>,
    series: HashMap<SeriesKey, Runs>,
    alerts: HashMap<Key, RuleAlert>,
    /// Alerts that fired and resolved in the last [`RESOLVED_KEEP`], newest
    /// last; a key that fires again keeps its earlier resolution here.
    resolved: Vec<RuleAlert>,
    /// Keys that have had data, so a vanished series reads "no data"
    /// rather than nothing (a GPU that never published a metric is quiet).
    had_data: HashSet<Key>,
    /// The longest window each metric is looked back over.
    keep: HashMap<&'static str, Duration>,
}

impl RuleEngine {
    pub fn new(rules: Vec<Rule>) -> Self {
        let rules: Vec<Rule> = rules.into_iter().filter(Rule::in_process).collect();
        let mut keep: HashMap<&'static str, Duration> = HashMap::new();
        for r in &rules {
            for c in &r.conditions {
                if let Some((_, w)) = c.window {
                    let e = keep.entry(c.metric.id).or_default();
                    *e = (*e).max(Duration::from_secs(w));
                }
            }
        }
        Self {
            rules,
            series: HashMap::new(),
            alerts: HashMap::new(),
            resolved: Vec::new(),
            had_data: HashSet::new(),
            keep,
        }
    }

    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, i: usize) -> Option<&Rule> {
        self.rules.get(i)
    }

    /// Evaluates every rule against the fleet as of `now`.
    pub fn evaluate(&mut self, nodes: &[NodeState], now: Instant) {
        self.record(nodes, now);
        let mut seen_now: HashSet<Key> = HashSet::new();
        for (ri, rule) in self.rules.iter().enumerate() {
            for (ni, node) in nodes.iter().enumerate() {
                let gpu_keys: Vec<Option<u32>> = match rule.scope {
                    Scope::Node => vec![None],
                    Scope::Gpu => {
                        if node.status.is_down() || node.status == Default::default() {
                            // A down node's GPU figures are stale: its
                            // node-down alert speaks for it.
                            continue;
                        }
                        let mut keys: Vec<Option<u32>> =
                            node.gpus.iter().map(|g| Some(g.index)).collect();
                        for (r, n, g) in self.had_data.iter() {
                            if *r == ri && *n == ni && !keys.contains(g) {
                                keys.push(*g);
                            }
                        }
                        keys
                    }
                };
                for gpu in gpu_keys {
                    let key = (ri, ni, gpu);
                    seen_now.insert(key);
                    let outcome = check(rule, node, ni, gpu, &self.series, now);
                    if let Some(done) = step(
                        &mut self.alerts,
                        &mut self.had_data,
                        key,
                        outcome,
                        rule.for_s,
                        now,
                    ) {
                        self.resolved.push(done);
                    }
                }
            }
        }
        // Alerts of GPUs on nodes now down: a firing one is resolved (its
        // data went stale), a pending one is dropped.
        let gone: Vec<Key> = self
            .alerts
            .keys()
            .filter(|k| !seen_now.contains(k))
            .copied()
            .collect();
        for key in gone {
            if let Some(mut a) = self.alerts.remove(&key)
                && a.phase == Phase::Firing
            {
                a.phase = Phase::Resolved;
                a.since = now;
                self.resolved.push(a);
            }
        }
        self.resolved
            .retain(|a| now.saturating_duration_since(a.since) <= RESOLVED_KEEP);
        for (key, runs) in self.series.iter_mut() {
            let keep = self.keep.get(key.2).copied().unwrap_or_default();
            if let Some(cutoff) = now.checked_sub(keep + Duration::from_secs(60)) {
                runs.prune(cutoff);
            }
        }
        self.series.retain(|_, r| !r.0.is_empty());
    }

    fn record(&mut self, nodes: &[NodeState], now: Instant) {
        let metrics: Vec<&'static MetricDef> = self
            .rules
            .iter()
            .flat_map(|r| r.conditions.iter())
            .filter(|c| c.window.is_some())
            .map(|c| c.metric)
            .collect();
        for (ni, node) in nodes.iter().enumerate() {
            for m in &metrics {
                match m.reader {
                    Reader::Gpu(read) => {
                        if node.status.is_down() {
                            continue;
                        }
                        for g in &node.gpus {
                            if let Some(v) = read(g).filter(|v| v.is_finite()) {
                                let runs =
                                    self.series.entry((ni, Some(g.index), m.id)).or_default();
                                if runs.0.back().is_none_or(|r| r.last < now) {
                                    runs.push(now, v);
                                }
                            }
                        }
                    }
                    Reader::Node(read) => {
                        if let Some(v) = read(node).filter(|v| v.is_finite()) {
                            let runs = self.series.entry((ni, None, m.id)).or_default();
                            if runs.0.back().is_none_or(|r| r.last < now) {
                                runs.push(now, v);
                            }
                        }
                    }
                    Reader::PrometheusOnly(_) => {}
                }
            }
        }
    }

    /// Every alert, firing first (worst severity first), then pending, no
    /// data, and resolved (newest first).
    pub fn alerts(&self) -> Vec<&RuleAlert> {
        let mut out: Vec<&RuleAlert> = self.alerts.values().chain(self.resolved.iter()).collect();
        out.sort_by(|a, b| {
            a.phase
                .cmp(&b.phase)
                .then_with(|| self.severity(b).cmp(&self.severity(a)))
                .then_with(|| match a.phase {
                    Phase::Resolved => b.since.cmp(&a.since),
                    _ => a.since.cmp(&b.since),
                })
                .then_with(|| (a.node, a.gpu, a.rule).cmp(&(b.node, b.gpu, b.rule)))
        });
        out
    }

    fn severity(&self, a: &RuleAlert) -> Severity {
        self.rules
            .get(a.rule)
            .map(|r| r.severity)
            .unwrap_or(Severity::Info)
    }

    /// Firing alerts of a node, for counts and the fleet table.
    pub fn firing_on(&self, node: NodeId) -> impl Iterator<Item = &RuleAlert> {
        self.alerts
            .values()
            .filter(move |a| a.node == node && a.phase == Phase::Firing)
    }

    /// The rule's summary filled for this alert.
    pub fn summary(&self, a: &RuleAlert, node_name: &str) -> String {
        self.rules
            .get(a.rule)
            .map(|r| fill_template(&r.summary, node_name, a.gpu, a.value))
            .unwrap_or_default()
    }

    /// The rule's description (what to do) filled for this alert.
    pub fn description(&self, a: &RuleAlert, node_name: &str) -> String {
        self.rules
            .get(a.rule)
            .map(|r| fill_template(&r.description, node_name, a.gpu, a.value))
            .unwrap_or_default()
    }
}

/// What one evaluation found for one key.
enum Outcome {
    Holds(f64),
    Clear(f64),
    NoData,
}

fn check(
    rule: &Rule,
    node: &NodeState,
    ni: NodeId,
    gpu: Option<u32>,
    series: &HashMap<SeriesKey, Runs>,
    now: Instant,
) -> Outcome {
    let mut first = None;
    let mut all = true;
    for c in &rule.conditions {
        let Some(v) = condition_value(c, node, ni, gpu, series, now) else {
            return Outcome::NoData;
        };
        first.get_or_insert(v);
        if !holds(c, v, node, gpu) {
            all = false;
        }
    }
    let v = first.unwrap_or(f64::NAN);
    if all {
        Outcome::Holds(v)
    } else {
        Outcome::Clear(v)
    }
}

fn current(m: &MetricDef, node: &NodeState, gpu: Option<u32>) -> Option<f64> {
    match (m.reader, gpu) {
        (Reader::Gpu(read), Some(i)) => node.gpus.iter().find(|g| g.index == i).and_then(read),
        (Reader::Node(read), None) => read(node),
        _ => None,
    }
    .filter(|v| v.is_finite())
}

fn condition_value(
    c: &Condition,
    node: &NodeState,
    ni: NodeId,
    gpu: Option<u32>,
    series: &HashMap<SeriesKey, Runs>,
    now: Instant,
) -> Option<f64> {
    let now_value = current(c.metric, node, gpu)?;
    match c.window {
        None => Some(now_value),
        Some((f, w)) => Some(
            series
                .get(&(ni, gpu, c.metric.id))
                .map(|r| r.apply(f, Duration::from_secs(w), now))
                .unwrap_or(f64::NAN),
        ),
    }
}

fn holds(c: &Condition, v: f64, node: &NodeState, gpu: Option<u32>) -> bool {
    match &c.test {
        Test::OneOf(list) => list.contains(&v),
        Test::Compare { op, threshold } => {
            let t = match threshold {
                Threshold::Value(t) => Some(*t),
                Threshold::Metric {
                    metric,
                    offset,
                    default,
                } => current(metric, node, gpu).map(|m| m + offset).or(*default),
            };
            t.is_some_and(|t| op.holds(v, t))
        }
    }
}

/// Moves one key's alert on; returns an alert that just resolved.
fn step(
    alerts: &mut HashMap<Key, RuleAlert>,
    had_data: &mut HashSet<Key>,
    key: Key,
    outcome: Outcome,
    for_s: u64,
    now: Instant,
) -> Option<RuleAlert> {
    let (rule, node, gpu) = key;
    let fresh = |phase, value| RuleAlert {
        rule,
        node,
        gpu,
        phase,
        since: now,
        fired_at: None,
        value,
    };
    match outcome {
        Outcome::Holds(v) => {
            had_data.insert(key);
            let a = alerts
                .entry(key)
                .and_modify(|a| {
                    if a.phase == Phase::NoData {
                        *a = fresh(Phase::Pending, Some(v));
                    }
                })
                .or_insert_with(|| fresh(Phase::Pending, Some(v)));
            a.value = Some(v);
            if a.phase == Phase::Pending
                && now.saturating_duration_since(a.since) >= Duration::from_secs(for_s)
            {
                a.phase = Phase::Firing;
                a.fired_at = Some(now);
            }
            None
        }
        Outcome::Clear(v) => {
            had_data.insert(key);
            let mut a = alerts.remove(&key)?;
            (a.phase == Phase::Firing).then(|| {
                a.phase = Phase::Resolved;
                a.since = now;
                a.value = Some(v);
                a
            })
        }
        Outcome::NoData => {
            if !had_data.contains(&key) {
                return None;
            }
            let was = alerts.insert(key, fresh(Phase::NoData, None));
            match was {
                Some(a) if a.phase == Phase::NoData => {
                    alerts.insert(key, a);
                    None
                }
                Some(mut a) if a.phase == Phase::Firing => {
                    a.phase = Phase::Resolved;
                    a.since = now;
                    Some(a)
                }
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::fleet::{Fleet, NodeSpec, ScrapeOutcome};
    use crate::domain::gpu::GpuSample;
    use crate::domain::rules::parse::parse_preset;

    const RULES: &str = r#"
name: t
rules:
  - name: Hot
    severity: critical
    for: 2m
    when:
      - metric: gpu_temp_c
        op: ">"
        value: 85
    summary: "GPU {{gpu}} on {{node}} at {{value}} °C"
    description: "Cool it."
  - name: Warm
    severity: warning
    when:
      - metric: gpu_temp_c
        op: ">"
        value: 75
    summary: "warm"
    description: "Watch it."
  - name: NvlinkRising
    severity: warning
    when:
      - metric: nvlink_errors_total
        fn: increase
        window: 5m
        op: ">"
        value: 0
    summary: "nvlink"
    description: "Check links."
  - name: XidNew
    severity: critical
    when:
      - metric: xid_last
        in: [79]
      - metric: xid_last
        fn: changes
        window: 10m
        op: ">"
        value: 0
    summary: "xid {{value}}"
    description: "Explain."
"#;

    fn fleet() -> (Fleet, Instant) {
        let rules = parse_preset(RULES, "t.yaml", &|_| vec![])
            .expect("parses")
            .rules;
        let mut f = Fleet::new(
            "t",
            vec![NodeSpec {
                name: "n1".into(),
                address: "10.0.0.1".into(),
                ..Default::default()
            }],
            16,
        );
        f.set_rules(rules);
        (f, Instant::now())
    }

    fn gpu(temp: Option<f64>, nvlink: f64, xid: u32) -> GpuSample {
        GpuSample {
            index: 0,
            uuid: "GPU-0".into(),
            temp_c: temp,
            nvlink_errors: Some(nvlink),
            last_xid: Some(xid),
            ..Default::default()
        }
    }

    fn at(f: &mut Fleet, t0: Instant, minute: u64, g: GpuSample) {
        f.apply_refresh(
            vec![ScrapeOutcome {
                node: 0,
                gpus: Ok(vec![g]),
                host: None,
            }],
            t0 + Duration::from_secs(60 * minute),
            Duration::ZERO,
        );
    }

    fn phase(f: &Fleet, rule: &str) -> Option<Phase> {
        let e = f.rules.as_ref().expect("engine");
        e.alerts()
            .into_iter()
            .find(|a| e.rule(a.rule).is_some_and(|r| r.name == rule))
            .map(|a| a.phase)
    }

    #[test]
    fn for_is_honoured_across_refreshes_then_resolves() {
        let (mut f, t0) = fleet();
        at(&mut f, t0, 0, gpu(Some(90.0), 0.0, 0));
        assert_eq!(phase(&f, "Hot"), Some(Phase::Pending));
        assert_eq!(
            phase(&f, "Warm"),
            Some(Phase::Firing),
            "no for: fires at once"
        );
        at(&mut f, t0, 1, gpu(Some(91.0), 0.0, 0));
        assert_eq!(phase(&f, "Hot"), Some(Phase::Pending));
        at(&mut f, t0, 2, gpu(Some(92.0), 0.0, 0));
        assert_eq!(phase(&f, "Hot"), Some(Phase::Firing), "held for 2m");
        assert!(
            f.nodes[0]
                .alerts
                .iter()
                .any(|a| a.rule.as_deref() == Some("Hot") && a.summary == "GPU 0 on n1 at 92 °C"),
            "{:?}",
            f.nodes[0].alerts
        );
        at(&mut f, t0, 3, gpu(Some(70.0), 0.0, 0));
        assert_eq!(phase(&f, "Hot"), Some(Phase::Resolved));
        // A pending alert that clears is dropped, as Prometheus does.
        at(&mut f, t0, 4, gpu(Some(90.0), 0.0, 0));
        assert_eq!(phase(&f, "Hot"), Some(Phase::Pending));
        at(&mut f, t0, 5, gpu(Some(60.0), 0.0, 0));
        assert_eq!(
            phase(&f, "Hot"),
            Some(Phase::Resolved),
            "the older resolved one stays"
        );
        // Resolved alerts go after an hour.
        at(&mut f, t0, 70, gpu(Some(60.0), 0.0, 0));
        assert_eq!(phase(&f, "Hot"), None);
    }

    #[test]
    fn a_vanished_series_reads_no_data() {
        let (mut f, t0) = fleet();
        at(&mut f, t0, 0, gpu(Some(90.0), 0.0, 0));
        at(&mut f, t0, 3, gpu(Some(90.0), 0.0, 0));
        assert_eq!(phase(&f, "Hot"), Some(Phase::Firing));
        at(&mut f, t0, 4, gpu(None, 0.0, 0));
        assert_eq!(phase(&f, "Hot"), Some(Phase::NoData));
        // The whole GPU gone: still no data, not silence.
        f.apply_refresh(
            vec![ScrapeOutcome {
                node: 0,
                gpus: Ok(vec![]),
                host: None,
            }],
            t0 + Duration::from_secs(300),
            Duration::ZERO,
        );
        assert_eq!(phase(&f, "Hot"), Some(Phase::NoData));
    }

    #[test]
    fn window_functions_look_back() {
        let (mut f, t0) = fleet();
        at(&mut f, t0, 0, gpu(Some(40.0), 10.0, 0));
        at(&mut f, t0, 1, gpu(Some(40.0), 10.0, 0));
        assert_eq!(phase(&f, "NvlinkRising"), None);
        at(&mut f, t0, 2, gpu(Some(40.0), 12.0, 0));
        assert_eq!(phase(&f, "NvlinkRising"), Some(Phase::Firing));
        // Out of the 5m window again.
        at(&mut f, t0, 8, gpu(Some(40.0), 12.0, 0));
        assert_eq!(phase(&f, "NvlinkRising"), Some(Phase::Resolved));
        // The Xid gauge: a change to 79 fires; the value is the code.
        at(&mut f, t0, 9, gpu(Some(40.0), 12.0, 79));
        assert_eq!(phase(&f, "XidNew"), Some(Phase::Firing));
        assert!(f.nodes[0].alerts.iter().any(|a| a.xid == Some(79)));
        at(&mut f, t0, 25, gpu(Some(40.0), 12.0, 79));
        assert_eq!(
            phase(&f, "XidNew"),
            Some(Phase::Resolved),
            "no change in 10m"
        );
    }

    #[test]
    fn runs_count_samples_inside_the_window() {
        let t0 = Instant::now();
        let mut r = Runs::default();
        for m in 0..10 {
            r.push(
                t0 + Duration::from_secs(60 * m),
                if m < 5 { 1.0 } else { 3.0 },
            );
        }
        let now = t0 + Duration::from_secs(540);
        assert_eq!(
            r.apply(WindowFn::Changes, Duration::from_secs(600), now),
            1.0
        );
        assert_eq!(
            r.apply(WindowFn::Changes, Duration::from_secs(120), now),
            0.0
        );
        assert_eq!(
            r.apply(WindowFn::MaxOverTime, Duration::from_secs(600), now),
            3.0
        );
        assert_eq!(
            r.apply(WindowFn::MinOverTime, Duration::from_secs(600), now),
            1.0
        );
        assert_eq!(
            r.apply(WindowFn::AvgOverTime, Duration::from_secs(600), now),
            2.0
        );
        // Window full of samples: the raw growth.
        assert_eq!(
            r.apply(WindowFn::Increase, Duration::from_secs(540), now),
            2.0
        );
        // The first sample a minute after the window opens: Prometheus
        // stretches 2 over 540 s of samples to the 600 s window.
        let stretched = r.apply(WindowFn::Increase, Duration::from_secs(600), now);
        assert!(
            (stretched - 2.0 * 600.0 / 540.0).abs() < 1e-9,
            "{stretched}"
        );
        // A reset counts as growth from zero.
        r.push(t0 + Duration::from_secs(600), 1.0);
        let now = t0 + Duration::from_secs(600);
        assert_eq!(
            r.apply(WindowFn::Increase, Duration::from_secs(600), now),
            3.0
        );
    }
}
