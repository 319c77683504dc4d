//! The one application state, and how actions change it.
//!
//! Keys become [`Action`]s (see [`keymap`]); actions and collector events are
//! applied here; the UI only reads this state.

pub mod action;
pub mod filter;
pub mod keymap;
pub mod run;
pub mod view;

use std::time::Instant;

pub use action::Action;
pub use view::{Pane, SortKey};

use crate::domain::{Fleet, NodeId};
use crate::sources::CollectorEvent;

/// Where the fleet comes from, shown in the header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    Live,
    Demo,
}

/// Everything the screen shows.
#[derive(Debug, Clone)]
pub struct App {
    pub fleet: Fleet,
    pub mode: Mode,
    /// The instant the screen is drawn for; set by ticks so rendering never
    /// reads the clock.
    pub now: Instant,
    pub ui: view::UiState,
    /// One line for the status bar: config problems, last error.
    pub notice: Option<String>,
    pub should_quit: bool,
    /// Work the event loop should start (the app itself never does I/O).
    pub requests: Vec<Request>,
}

/// Background work an action asks for; the event loop starts it and the
/// answer comes back as a collector event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// Fetch a node's recent history (query mode).
    NodeHistory(NodeId),
    /// Read a node's kernel log over SSH and scan it for Xids.
    KernelLogScan(NodeId),
}

impl App {
    pub fn new(fleet: Fleet, mode: Mode, now: Instant) -> Self {
        Self {
            fleet,
            mode,
            now,
            ui: view::UiState::default(),
            notice: None,
            should_quit: false,
            requests: Vec::new(),
        }
    }

    /// Eats one collector message.
    pub fn on_collector(&mut self, event: CollectorEvent) {
        match event {
            CollectorEvent::Refresh {
                outcomes,
                started,
                took,
            } => {
                self.fleet.apply_refresh(outcomes, started + took, took);
            }
            CollectorEvent::KernelLog { node, report } => match report {
                Ok(r) => {
                    let name = self
                        .fleet
                        .nodes
                        .get(node)
                        .map(|n| n.spec.name.clone())
                        .unwrap_or_default();
                    let (mapped, unmapped) = self.fleet.record_kernel_xids(node, &r, self.now);
                    self.notice = Some(format!(
                        "{name}: kernel log has {} Xid event(s), {mapped} matched to a GPU{}",
                        r.events.len(),
                        if unmapped > 0 {
                            format!(", {unmapped} on a PCI bus the exporter does not list")
                        } else {
                            String::new()
                        }
                    ));
                }
                Err(e) => self.notice = Some(format!("kernel log scan: {e}")),
            },
            CollectorEvent::History { node, series } => match series {
                Ok(s) => self.fleet.load_history(node, s),
                Err(e) => self.notice = Some(format!("history: {e}")),
            },
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
    }

    /// Applies one action.
    pub fn apply(&mut self, action: Action) {
        use Action::*;
        match action {
            Quit => self.should_quit = true,
            Tick(now) => self.now = now,
            Resize(w, h) => {
                self.ui.page_rows = h.saturating_sub(4).max(1) as usize;
                self.ui.width = w;
            }
            NextPane => self.ui.pane = self.ui.pane.next(),
            PrevPane => self.ui.pane = self.ui.pane.prev(),
            GoPane(p) => self.ui.pane = p,
            ToggleHelp => self.ui.show_help = !self.ui.show_help,
            MoveCol(d) => self.move_heat_col(d),
            CycleMetric => self.ui.heat.metric = self.ui.heat.metric.next(),
            ToggleDense => {
                let dense = self.ui.heat.is_dense(self.fleet.nodes.len());
                self.ui.heat.dense = Some(!dense);
            }
            CycleGroup => {
                self.ui.heat.group = match self.ui.heat.group.as_deref() {
                    Some("rack") => Some("gpu_type".into()),
                    Some(_) => None,
                    None => Some("rack".into()),
                };
            }
            XidLookup => self.ui.xid_popup = Some(view::XidPopup::default()),
            ScanKernelLog => {
                if let Some(id) = self.ui.open_node {
                    self.requests.push(Request::KernelLogScan(id));
                    self.notice = Some(format!(
                        "{}: reading the kernel log over SSH…",
                        self.fleet.nodes[id].spec.name
                    ));
                }
            }
            XidDigit(c) => {
                if let Some(p) = &mut self.ui.xid_popup
                    && p.input.len() < 4
                {
                    p.input.push(c);
                    p.context = None;
                    p.scroll = 0;
                }
            }
            XidBackspace => {
                if let Some(p) = &mut self.ui.xid_popup {
                    p.input.pop();
                    p.context = None;
                    p.scroll = 0;
                }
            }
            Open if self.ui.pane == Pane::Alerts => {
                let alerts = self.alert_rows();
                if let Some((id, a)) = alerts.get(self.ui.alert_selected)
                    && let (Some(x), Some(g)) = (a.xid, a.gpu)
                {
                    self.open_xid(*id, g, x);
                }
            }
            Open if self.ui.open_node.is_some() => {
                if let Some(id) = self.ui.open_node
                    && let Some(g) = self.fleet.nodes[id].gpus.get(self.ui.gpu_scroll)
                    && let Some(x) = g.xid()
                {
                    let idx = g.index;
                    self.open_xid(id, idx, x);
                }
            }
            Open if self.ui.pane == Pane::Heatmap => {
                let order = self.heat_order();
                if let Some(&id) = order.get(self.ui.heat.node_pos) {
                    self.ui.pane = Pane::Fleet;
                    self.ui.selected = Some(id);
                    self.ui.open_node = Some(id);
                    self.ui.gpu_scroll = 0;
                    self.requests.push(Request::NodeHistory(id));
                }
            }
            Open => {
                if self.ui.pane == Pane::Fleet && self.ui.open_node.is_none() {
                    self.ui.open_node = self.ui.selected;
                    self.ui.gpu_scroll = 0;
                    if let Some(id) = self.ui.selected {
                        self.requests.push(Request::NodeHistory(id));
                    }
                }
            }
            Back => {
                if self.ui.xid_popup.is_some() {
                    self.ui.xid_popup = None;
                } else if self.ui.show_help {
                    self.ui.show_help = false;
                } else if self.ui.open_node.is_some() {
                    self.ui.open_node = None;
                } else if !self.ui.filter.is_empty() {
                    self.ui.filter.clear();
                    self.keep_selection_valid();
                }
            }
            Move(delta) => self.move_selection(delta),
            Top => self.move_selection(isize::MIN / 2),
            Bottom => self.move_selection(isize::MAX / 2),
            PageDown => self.move_selection(self.ui.page_rows as isize),
            PageUp => self.move_selection(-(self.ui.page_rows as isize)),
            CycleSort => {
                self.ui.sort = self.ui.sort.next();
                self.ui.sort_desc = self.ui.sort.default_desc();
            }
            ReverseSort => self.ui.sort_desc = !self.ui.sort_desc,
            StartFilter => {
                self.ui.filter_editing = true;
                self.ui.filter_draft = self.ui.filter.clone();
            }
            FilterChar(c) => {
                self.ui.filter_draft.push(c);
                self.ui.filter = self.ui.filter_draft.clone();
                self.keep_selection_valid();
            }
            FilterBackspace => {
                self.ui.filter_draft.pop();
                self.ui.filter = self.ui.filter_draft.clone();
                self.keep_selection_valid();
            }
            FilterApply => self.ui.filter_editing = false,
            FilterCancel => {
                self.ui.filter_editing = false;
                self.ui.filter.clear();
                self.ui.filter_draft.clear();
                self.keep_selection_valid();
            }
        }
    }

    /// Node order of the heatmap: grouped by the chosen label, then by name.
    pub fn heat_order(&self) -> Vec<NodeId> {
        let filter = filter::Filter::parse(&self.ui.filter);
        crate::domain::heat::order(&self.fleet, self.ui.heat.group.as_deref(), |n| {
            filter.matches(n)
        })
    }

    fn move_heat_col(&mut self, d: isize) {
        let cols = crate::domain::heat::gpu_columns(&self.fleet) as isize;
        let g = self.ui.heat.gpu as isize + d;
        let n = self.heat_order().len();
        if g < 0 && self.ui.heat.node_pos > 0 {
            self.ui.heat.node_pos -= 1;
            self.ui.heat.gpu = (cols - 1).max(0) as u32;
        } else if g >= cols && self.ui.heat.node_pos + 1 < n {
            self.ui.heat.node_pos += 1;
            self.ui.heat.gpu = 0;
        } else {
            self.ui.heat.gpu = g.clamp(0, (cols - 1).max(0)) as u32;
        }
    }

    /// Every alert with its node, worst first: the alerts pane's rows.
    pub fn alert_rows(&self) -> Vec<(NodeId, &crate::domain::LocalAlert)> {
        let mut rows: Vec<(NodeId, &crate::domain::LocalAlert)> = self
            .fleet
            .nodes
            .iter()
            .enumerate()
            .flat_map(|(i, n)| n.alerts.iter().map(move |a| (i, a)))
            .collect();
        rows.sort_by(|a, b| {
            b.1.severity.cmp(&a.1.severity).then_with(|| {
                crate::domain::fleet::natural_cmp(
                    &self.fleet.nodes[a.0].spec.name,
                    &self.fleet.nodes[b.0].spec.name,
                )
            })
        });
        rows
    }

    /// Opens the explain popup for `xid` seen on GPU `gpu` of node `id`.
    pub fn open_xid(&mut self, id: NodeId, gpu: u32, xid: u32) {
        let n = &self.fleet.nodes[id];
        let g = n.gpus.iter().find(|g| g.index == gpu);
        self.ui.xid_popup = Some(view::XidPopup {
            input: xid.to_string(),
            context: Some(view::XidContext {
                node: n.spec.name.clone(),
                gpu,
                pci_bus_id: g.and_then(|g| g.pci_bus_id.clone()),
                uuid: g.map(|g| g.uuid.clone()).unwrap_or_default(),
                model: g.map(|g| g.model.clone()).unwrap_or_default(),
            }),
            scroll: 0,
        });
    }

    fn move_selection(&mut self, delta: isize) {
        if let Some(p) = &mut self.ui.xid_popup {
            p.scroll = (p.scroll as isize + delta).clamp(0, 500) as u16;
            return;
        }
        if self.ui.pane == Pane::Alerts {
            let n = self.alert_rows().len();
            self.ui.alert_selected = (self.ui.alert_selected as isize + delta)
                .clamp(0, n.saturating_sub(1) as isize)
                as usize;
            return;
        }
        if self.ui.pane == Pane::Heatmap {
            let n = self.heat_order().len();
            let dense = self.ui.heat.is_dense(self.fleet.nodes.len());
            let per_row =
                crate::ui::heatmap::blocks_per_row(self.ui.width, &self.fleet, dense) as isize;
            let step = if delta.abs() == 1 {
                delta * per_row
            } else {
                delta.signum() * delta.abs().min(n as isize)
            };
            let pos = (self.ui.heat.node_pos as isize).saturating_add(step);
            self.ui.heat.node_pos = pos.clamp(0, n.saturating_sub(1) as isize) as usize;
            return;
        }
        if let Some(id) = self.ui.open_node {
            let gpus = self.fleet.nodes.get(id).map(|n| n.gpus.len()).unwrap_or(0);
            let max = gpus.saturating_sub(1) as isize;
            self.ui.gpu_scroll = (self.ui.gpu_scroll as isize)
                .saturating_add(delta)
                .clamp(0, max) as usize;
            return;
        }
        let visible = self.visible_nodes();
        if visible.is_empty() {
            self.ui.selected = None;
            return;
        }
        let pos = self
            .ui
            .selected
            .and_then(|s| visible.iter().position(|v| *v == s))
            .unwrap_or(0) as isize;
        let new = pos
            .saturating_add(delta)
            .clamp(0, visible.len() as isize - 1) as usize;
        self.ui.selected = Some(visible[new]);
        self.ui.scroll = scroll_for(new, self.ui.scroll, self.ui.page_rows);
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
