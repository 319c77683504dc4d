//! The one application state, and how actions and events change it.
//!
//! Keys become [`Action`]s through the one table in [`bindings`]; actions and
//! task events ([`Event`]) are applied here; the UI only reads this state.
//! Nothing here does I/O: work is asked for through [`App::requests`] and
//! its results come back as events.

pub mod action;
pub mod alert_rows;
mod apply;
pub mod bindings;
pub mod command;
pub mod confirm;
pub mod filter;
pub mod form;
pub mod host_key;
pub mod jobs;
pub mod mode;
pub mod onboard;
pub mod remote;
pub mod stack;
pub mod text_input;
pub mod versions;
pub mod view;

use std::sync::Arc;
use std::time::{Duration, Instant};

pub use action::Action;
pub use mode::{Context, Overlay, OverlayKind, View, ViewKind};
pub use view::{Geometry, SortKey};

use crate::domain::fleet::{GpuSeries, ScrapeOutcome};
use crate::domain::{Fleet, NodeId, NodeSpec};
use crate::xid::Catalogue;
use jobs::{JobBoard, JobEvent, JobId, JobSpec};

/// Where the fleet comes from, shown in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Origin {
    Live,
    Demo,
}

/// Everything the screen shows.
#[derive(Debug, Clone)]
pub struct App {
    pub fleet: Fleet,
    pub origin: Origin,
    /// The instant the screen is drawn for; set by ticks so rendering never
    /// reads the clock.
    pub now: Instant,
    /// The same moment as seconds since the Unix epoch (for the age of a
    /// topology capture); set by the runtime with each tick, `None` until
    /// then.
    pub wall_clock: Option<i64>,
    pub ui: view::UiState,
    /// The view and overlay stacks.
    pub mode: mode::Mode,
    /// One line for the status bar: config problems, last error.
    pub notice: Option<String>,
    pub should_quit: bool,
    /// Work the event loop should start (the app itself never does I/O).
    pub requests: Vec<Request>,
    pub jobs: JobBoard,
    /// The Xid catalogue with the user's `xids.yaml` applied, loaded once.
    pub xids: Arc<Catalogue>,
    /// The theme in use, by name (`:theme` asks the runtime for another).
    pub theme_name: String,
    /// Commands run this session, oldest first.
    pub command_history: Vec<String>,
    /// Whether the source keeps history (query mode): opening a node then
    /// loads its last minutes.
    pub history_available: bool,
    /// Whether nodes can be added (a config file backs the fleet).
    pub can_add_nodes: bool,
    /// What is known of each node's topology (from the cache, SSH or the
    /// demo).
    pub topologies: std::collections::BTreeMap<NodeId, crate::domain::topology::NodeTopology>,
    /// Query mode's alerts from Prometheus and Alertmanager.
    pub remote: remote::RemoteAlerts,
    /// Where those are read from (from the config).
    pub remote_config: remote::RemoteConfig,
    /// Who silences are created by ($USER, set at start).
    pub user: String,
    /// The collector's refresh period, when the runtime knows it: the
    /// header then shows a refresh's age only once it is late, so an idle
    /// screen does not change between refreshes.
    pub refresh_interval: Option<std::time::Duration>,
    /// Unknown host keys waiting behind the one on screen.
    pub host_key_queue: host_key::HostKeyQueue,
    /// The monitoring stack: where it runs, its last reading.
    pub stack: stack::StackPane,
    /// Where the fleet is read from now (the header says it).
    pub live_source: stack::LiveSource,
    /// Exporter versions the TUI's own exporter jobs reported, per node.
    pub exporter_versions: versions::ExporterVersions,
}

/// Background work the app asks for; the runtime starts it and the answer
/// comes back as an [`Event`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    RunJob(JobSpec),
    CancelJob(JobId),
    /// Load and switch to a theme by name.
    SetTheme(String),
    /// Read Prometheus's and Alertmanager's alerts and silences now.
    ReloadRemote,
    /// The operator's answer to a job waiting on an unknown host key.
    AnswerHostKey {
        id: u64,
        answer: host_key::HostKeyAnswer,
    },
    /// Read the stack's servers now (the stack pane opened).
    ReadStack,
    /// Read the fleet from another source (the config file is not
    /// rewritten).
    SetSource(stack::SourceChoice),
}

/// What reaches the app from its tasks.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// One collector refresh: every node's outcome.
    Refresh {
        outcomes: Vec<ScrapeOutcome>,
        started: Instant,
        took: Duration,
    },
    /// A job moved on.
    Job(JobEvent),
    /// A kernel-log scan's Xids on a node, as (PCI bus id, code) pairs.
    KernelXids {
        node: NodeId,
        events: Vec<(String, u32)>,
    },
    /// A node's history from the time-series database.
    History {
        node: NodeId,
        series: Vec<(u32, GpuSeries)>,
    },
    /// A node was written to the config; the fleet shows it from now on.
    NodeAdded(NodeSpec),
    /// A node's topology, parsed.
    Topology {
        node: NodeId,
        topology: crate::domain::topology::NodeTopology,
    },
    /// The runtime switched theme, or could not (and says why).
    Theme {
        name: String,
        problem: Option<String>,
    },
    /// Prometheus's and Alertmanager's alerts and silences, as just read.
    Remote(Box<remote::RemoteAlerts>),
    /// A job met a host key no known_hosts file names and waits for the
    /// operator's answer.
    HostKey(Box<host_key::HostKeyAsk>),
    /// The onboarding job looked at its nodes: the preview to confirm.
    OnboardPreview(Box<onboard::OnboardPreview>),
    /// The stack's servers, as just read.
    Stack(Box<stack::StackReading>),
    /// The fleet's source was switched (or not: `problem` says why).
    Source {
        source: stack::LiveSource,
        problem: Option<String>,
    },
}

impl App {
    pub fn new(fleet: Fleet, origin: Origin, now: Instant) -> Self {
        Self {
            fleet,
            origin,
            now,
            wall_clock: None,
            ui: view::UiState::default(),
            mode: mode::Mode::default(),
            notice: None,
            should_quit: false,
            requests: Vec::new(),
            jobs: JobBoard::default(),
            xids: Arc::new(Catalogue::builtin().clone()),
            theme_name: "dark".into(),
            command_history: Vec::new(),
            history_available: false,
            can_add_nodes: false,
            topologies: std::collections::BTreeMap::new(),
            remote: remote::RemoteAlerts::default(),
            remote_config: remote::RemoteConfig::default(),
            user: String::new(),
            refresh_interval: None,
            host_key_queue: host_key::HostKeyQueue::new(),
            stack: stack::StackPane::default(),
            live_source: stack::LiveSource::Direct,
            exporter_versions: versions::ExporterVersions::default(),
        }
    }

    /// Where the keys go now.
    pub fn context(&self) -> Context {
        self.mode.context()
    }

    pub fn view(&self) -> View {
        self.mode.view()
    }

    /// Applies one event from a task.
    pub fn on_event(&mut self, event: Event) {
        match event {
            Event::Refresh {
                outcomes,
                started,
                took,
            } => self.fleet.apply_refresh(outcomes, started + took, took),
            Event::Job(ev) => {
                if let JobEvent::Finished { id, .. } = &ev {
                    self.drop_host_keys_of(*id);
                }
                if let Some(job) = self.jobs.apply(ev, self.now) {
                    // A failed job may have reported before it failed (a
                    // verify that ended in a rollback): only OK counts.
                    if let (jobs::JobState::Ok(_), Some(report)) = (&job.state, &job.exporter) {
                        for &node in &job.targets {
                            self.exporter_versions.record(node, report, self.wall_clock);
                        }
                    }
                    let names = job.target_names.join(", ");
                    match &job.state {
                        jobs::JobState::Failed(why) => {
                            self.notice = Some(format!(
                                "{} on {names} failed: {why}  (L: action log)",
                                job.kind.word()
                            ));
                        }
                        // Scans say what they matched when their Xids arrive.
                        jobs::JobState::Ok(summary)
                            if !matches!(
                                job.kind,
                                jobs::JobKind::HistoryLoad | jobs::JobKind::KernelLogScan
                            ) =>
                        {
                            self.notice = Some(format!("{names}: {summary}"));
                        }
                        _ => {}
                    }
                }
            }
            Event::KernelXids { node, events } => {
                let (mapped, unmapped) = self.fleet.record_kernel_xids(node, &events, self.now);
                self.notice = Some(format!(
                    "{}: kernel log has {} Xid event(s), {mapped} matched to a GPU{}",
                    self.node_name(node),
                    events.len(),
                    if unmapped > 0 {
                        format!(", {unmapped} on a PCI bus the exporter does not list")
                    } else {
                        String::new()
                    }
                ));
            }
            Event::History { node, series } => self.fleet.load_history(node, series),
            Event::NodeAdded(spec) => {
                let name = spec.name.clone();
                if self.fleet.nodes.iter().all(|n| n.spec.name != name) {
                    self.fleet.add_node(spec);
                }
            }
            Event::Topology { node, topology } => {
                let problems = topology.link_problems().into_values().collect();
                self.fleet.set_link_problems(node, problems);
                self.topologies.insert(node, topology);
            }
            Event::Theme { name, problem } => match problem {
                None => self.theme_name = name,
                Some(p) => self.notice = Some(p),
            },
            Event::Remote(r) => self.remote = *r,
            Event::HostKey(ask) => self.ask_host_key(*ask),
            Event::OnboardPreview(p) => self.show_onboard_preview(*p),
            Event::Stack(r) => self.stack.reading = Some(*r),
            Event::Source { source, problem } => self.on_source(source, problem),
        }
        self.keep_selection_valid();
    }

    /// Nodes the fleet pane shows, filtered and sorted.
    pub fn visible_nodes(&self) -> Vec<NodeId> {
        view::visible_nodes(&self.fleet, &self.ui)
    }

    pub fn selected_node(&self) -> Option<NodeId> {
        self.ui.selected
    }

    fn keep_selection_valid(&mut self) {
        let visible = self.visible_nodes();
        if self.ui.selected.is_none_or(|s| !visible.contains(&s)) {
            self.ui.selected = visible.first().copied();
        }
        let n = self.heat_order().len();
        if self.ui.heat.node_pos >= n {
            self.ui.heat.node_pos = n.saturating_sub(1);
        }
    }

    /// Node order of the heatmap: grouped by the chosen label, then by name.
    pub fn heat_order(&self) -> Vec<NodeId> {
        let filter = filter::Filter::parse(&self.ui.filter);
        crate::domain::heat::order(&self.fleet, self.ui.heat.group.as_deref(), |n| {
            filter.matches(n)
        })
    }

    /// The node under the cursor of the current view.
    pub fn cursor_node(&self) -> Option<NodeId> {
        match self.view() {
            View::Node(id) | View::Topology(id) => Some(id),
            View::Fleet => self.ui.selected,
            View::Heatmap => self.heat_order().get(self.ui.heat.node_pos).copied(),
            View::Alerts => self
                .alert_rows()
                .get(self.ui.alert_selected)
                .and_then(|r| r.node),
            View::Log | View::Stack => None,
        }
    }

    /// The nodes an action targets: the marked ones when there are marks,
    /// else the one under the cursor.
    pub fn targets(&self) -> Vec<NodeId> {
        if self.ui.marks.is_empty() {
            self.cursor_node().into_iter().collect()
        } else {
            self.ui.marks.iter().copied().collect()
        }
    }

    pub fn node_name(&self, id: NodeId) -> String {
        self.fleet
            .nodes
            .get(id)
            .map(|n| crate::text::sanitize(&n.spec.name))
            .unwrap_or_default()
    }

    /// Every exporter version known for node `id`, node_exporter first.
    pub fn exporter_versions(&self, id: NodeId) -> Vec<versions::ShownVersion> {
        versions::shown(&self.fleet, &self.exporter_versions, id)
    }

    /// The action log's rows: jobs, newest first.
    pub fn log_rows(&self) -> Vec<&jobs::Job> {
        self.jobs.newest_first().collect()
    }

    /// Opens the explain popup for `xid` seen on GPU `gpu` of node `id`.
    pub fn open_xid(&mut self, id: NodeId, gpu: u32, xid: u32) {
        let Some(n) = self.fleet.nodes.get(id) else {
            return;
        };
        let g = n.gpus.iter().find(|g| g.index == gpu);
        self.mode.push_overlay(Overlay::Xid(view::XidPopup {
            input: xid.to_string(),
            context: Some(view::XidContext {
                node: n.spec.name.clone(),
                gpu,
                pci_bus_id: g.and_then(|g| g.pci_bus_id.clone()),
                uuid: g.map(|g| g.uuid.clone()).unwrap_or_default(),
                model: g.map(|g| g.model.clone()).unwrap_or_default(),
            }),
            scroll: 0,
        }));
    }
}

/// Keeps row `pos` inside a window of `rows` rows starting at `scroll`,
/// moving the window as little as possible.
pub fn scroll_for(pos: usize, scroll: usize, rows: usize) -> usize {
    let rows = rows.max(1);
    if pos < scroll {
        pos
    } else if pos >= scroll + rows {
        pos + 1 - rows
    } else {
        scroll
    }
}
