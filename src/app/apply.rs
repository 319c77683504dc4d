//! How each action changes the app, by context: the top overlay first,
//! else the view.

use super::command::{self, CommandLine};
use super::confirm::{Confirm, Pending};
use super::form::{Check, Field, Form, FormPurpose};
use super::jobs::{JobInput, JobKind};
use super::mode::{Overlay, TABS, View};
use super::text_input::TextInput;
use super::{Action, App, Request, scroll_for, view};
use crate::domain::NodeId;

/// The exporter form's DCGM choice, and its first (default) option.
const DCGM_FIELD: &str = "DCGM if missing";
const DCGM_LEAVE: &str = "stop";

impl App {
    /// Applies one action.
    pub fn apply(&mut self, action: Action) {
        use Action::*;
        if !matches!(action, Tick(_) | Geometry(_)) {
            // A notice is read once; the next key brings the key hints back.
            self.notice = None;
        }
        match action {
            // Jobs still running: ask first (they would be cut off).
            Quit if self.jobs.active() > 0 && self.mode.overlay().is_none() => {
                let names = self
                    .jobs
                    .newest_first()
                    .filter(|j| j.state.is_active())
                    .map(|j| {
                        format!(
                            "job {}: {} on {}",
                            j.id,
                            j.kind.word(),
                            j.target_names.join(", ")
                        )
                    })
                    .collect();
                self.mode
                    .push_overlay(Overlay::Confirm(super::confirm::Confirm::new(
                        format!(
                            "{} job{} still running. Quit and stop {}?",
                            self.jobs.active(),
                            if self.jobs.active() == 1 {
                                " is"
                            } else {
                                "s are"
                            },
                            if self.jobs.active() == 1 {
                                "it"
                            } else {
                                "them"
                            }
                        ),
                        names,
                        Pending::Quit,
                    )));
            }
            Quit => self.should_quit = true,
            Tick(now) => self.now = now,
            Geometry(g) => self.ui.geometry = g,
            _ if self.mode.overlay().is_some() => self.apply_to_overlay(action),
            _ => self.apply_to_view(action),
        }
    }

    fn apply_to_view(&mut self, action: Action) {
        use Action::*;
        match action {
            NextTab | PrevTab => {
                let tab = self.mode.tab();
                let i = TABS.iter().position(|t| *t == tab).unwrap_or(0);
                let n = TABS.len();
                let next = if action == NextTab {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.go_tab(TABS[next]);
            }
            GoTab(v) => self.go_tab(v),
            ToggleHelp => self.open_help(),
            OpenCommand => self
                .mode
                .push_overlay(Overlay::Command(CommandLine::default())),
            StartFilter => self
                .mode
                .push_overlay(Overlay::Filter(TextInput::new(&self.ui.filter))),
            Paste(text) if matches!(self.view(), View::Fleet | View::Heatmap) => {
                let mut input = TextInput::new(&self.ui.filter);
                input.insert_str(&text);
                self.ui.filter = input.value().to_string();
                self.mode.push_overlay(Overlay::Filter(input));
                self.keep_selection_valid();
            }
            XidLookup => self
                .mode
                .push_overlay(Overlay::Xid(view::XidPopup::default())),
            Back => self.back_from_view(),
            Open => self.open(),
            Move(d) => self.move_cursor(d),
            PageDown => self.move_cursor(self.ui.geometry.list_rows as isize),
            PageUp => self.move_cursor(-(self.ui.geometry.list_rows as isize)),
            Top => self.move_cursor(isize::MIN / 2),
            Bottom => self.move_cursor(isize::MAX / 2),
            MoveCol(d) => self.move_heat_col(d),
            CycleSort => {
                self.ui.sort = self.ui.sort.next();
                self.ui.sort_desc = self.ui.sort.default_desc();
            }
            ReverseSort => self.ui.sort_desc = !self.ui.sort_desc,
            ToggleMark => {
                if let Some(id) = self.cursor_node() {
                    if !self.ui.marks.remove(&id) {
                        self.ui.marks.insert(id);
                    }
                    // Marking a run of nodes is Space, Space, Space.
                    if self.view() == View::Fleet {
                        self.move_cursor(1);
                    }
                }
            }
            MarkVisible => self.ui.marks.extend(self.visible_nodes()),
            ClearMarks => self.ui.marks.clear(),
            AddNode => self.open_add_node_form(),
            CycleMetric => self.ui.heat.metric = self.ui.heat.metric.next(),
            ZoomOut => self.ui.heat.zoom = self.ui.heat.zoom.out(),
            ZoomIn => self.ui.heat.zoom = self.ui.heat.zoom.into_detail(),
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
            ScanKernelLog => self.scan_targets(),
            Exporter(what) => self.open_exporter_form(what),
            OpenTopology => {
                if let Some(id) = self.cursor_node() {
                    self.open_topology(id);
                }
            }
            RefreshTopology => {
                if let View::Topology(id) = self.view() {
                    self.collect_topology(id);
                }
            }
            TogglePairs => {
                self.ui.topo_pairs = !self.ui.topo_pairs;
                self.ui.topo_scroll = 0;
            }
            SilenceAlert => self.open_silence_form(),
            OpenStack => self.open_stack(),
            ToggleStackQuery => self.toggle_stack_query(),
            CancelJob => {
                if let Some(id) = self.log_rows().get(self.ui.log_selected).map(|j| j.id) {
                    self.cancel_job(id);
                }
            }
            _ => {}
        }
    }

    fn apply_to_overlay(&mut self, action: Action) {
        use Action::*;
        let rows = self.ui.geometry.popup_rows.max(1) as isize;
        let Some(top) = self.mode.overlay_mut() else {
            return;
        };
        match (top, action) {
            // Esc, n or r on an unknown host key refuses it; the job waits
            // for an answer, so the dialog never just closes.
            (Overlay::HostKey(_), Back | Deny) => {
                self.answer_host_key(super::host_key::HostKeyAnswer::Refuse);
            }
            (Overlay::HostKey(_), HostKey(answer)) => self.answer_host_key(answer),
            (Overlay::HostKey(_), AcceptAllHostKeys) => self.accept_all_host_keys(),
            (Overlay::Onboard(_), Back | Deny) => self.cancel_onboard(),
            (Overlay::Onboard(_), Submit | Confirm) => self.confirm_onboard(),
            (Overlay::Onboard(p), IncludeUnreachable) => {
                p.include_unreachable = !p.include_unreachable;
            }
            (Overlay::Onboard(p), Move(d)) => p.scroll = add(p.scroll, d),
            (Overlay::Filter(_), Back) => {
                self.mode.pop_overlay();
                self.ui.filter.clear();
                self.keep_selection_valid();
            }
            (_, Back | Deny) => {
                self.mode.pop_overlay();
            }
            (Overlay::Help { scroll }, Move(d)) => *scroll = add(*scroll, d),
            (Overlay::Help { scroll }, PageDown) => *scroll = add(*scroll, rows),
            (Overlay::Help { scroll }, PageUp) => *scroll = add(*scroll, -rows),
            (Overlay::Xid(p), Move(d)) => p.scroll = add(p.scroll, d),
            (Overlay::Xid(p), PageDown) => p.scroll = add(p.scroll, rows),
            (Overlay::Xid(p), PageUp) => p.scroll = add(p.scroll, -rows),
            (Overlay::Xid(p), Type(c)) if c.is_ascii_digit() && p.input.len() < 4 => {
                p.input.push(c);
                p.context = None;
                p.scroll = 0;
            }
            (Overlay::Xid(p), Backspace) => {
                p.input.pop();
                p.context = None;
                p.scroll = 0;
            }
            (Overlay::JobOutput { scroll, .. }, Move(d)) => *scroll = add(*scroll, d),
            (Overlay::AlertDetail { scroll, .. }, Move(d)) => *scroll = add(*scroll, d),
            (Overlay::Silences { selected }, Move(d)) => {
                let n = self.remote.live_silences().len();
                *selected = clamp_add(*selected, d, n);
            }
            (Overlay::Silences { selected }, ExpireSilence) => {
                let i = *selected;
                self.expire_selected_silence(i);
            }
            (Overlay::JobOutput { scroll, .. }, PageDown) => *scroll = add(*scroll, rows),
            (Overlay::JobOutput { scroll, .. }, PageUp) => *scroll = add(*scroll, -rows),
            (Overlay::JobOutput { job, .. }, CancelJob) => {
                let id = *job;
                self.cancel_job(id);
            }
            (Overlay::Confirm(c), Move(d)) => c.scroll = add(c.scroll, d),
            (Overlay::Confirm(c), PageDown) => c.scroll = add(c.scroll, rows),
            (Overlay::Confirm(c), PageUp) => c.scroll = add(c.scroll, -rows),
            (Overlay::Confirm(c), ToggleChoice(_)) => c.yes_focused = !c.yes_focused,
            (Overlay::Confirm(c), Submit) if !c.yes_focused => {
                self.mode.pop_overlay();
            }
            (Overlay::Confirm(_), Submit | Confirm) => {
                if let Some(Overlay::Confirm(c)) = self.mode.pop_overlay() {
                    self.run_pending(c.pending);
                }
            }
            (Overlay::Filter(_), Submit) => {
                self.mode.pop_overlay();
            }
            (Overlay::Filter(input), a) => {
                let edited = edit_text(input, a);
                if edited {
                    self.ui.filter = input.value().to_string();
                    self.keep_selection_valid();
                }
            }
            (Overlay::Command(_), Submit) => self.run_command_line(),
            (Overlay::Command(c), Complete) => {
                let line = c.input.value().to_string();
                let found = command::complete(&line, |a| self.arg_options(a));
                if let Some(Overlay::Command(c)) = self.mode.overlay_mut() {
                    match found.len() {
                        0 => c.candidates.clear(),
                        1 => {
                            c.input.set(&format!("{} ", found[0]));
                            c.candidates.clear();
                        }
                        _ => {
                            let prefix = command::common_prefix(&found);
                            if prefix.len() > line.len() {
                                c.input.set(&prefix);
                            }
                            c.candidates = found;
                        }
                    }
                }
            }
            (Overlay::Command(c), a @ (HistoryPrev | HistoryNext)) => {
                let h = &self.command_history;
                if h.is_empty() {
                    return;
                }
                let pos = match (c.history_pos, a == HistoryPrev) {
                    (None, true) => Some(h.len() - 1),
                    (None, false) => None,
                    (Some(p), true) => Some(p.saturating_sub(1)),
                    (Some(p), false) if p + 1 < h.len() => Some(p + 1),
                    (Some(_), false) => None,
                };
                c.history_pos = pos;
                c.input.set(pos.map(|p| h[p].as_str()).unwrap_or(""));
            }
            (Overlay::Command(c), a) => {
                let edited = edit_text(&mut c.input, a);
                if edited {
                    c.candidates.clear();
                    c.error = None;
                }
            }
            (Overlay::Form(f), NextField) => f.next(),
            (Overlay::Form(f), PrevField) => f.prev(),
            (Overlay::Form(f), Type(ch)) => f.type_char(ch),
            (Overlay::Form(f), Paste(s)) => f.paste(&s),
            (Overlay::Form(f), a @ (CursorLeft | CursorRight))
                if matches!(
                    f.fields.get(f.focus).map(|x| &x.kind),
                    Some(super::form::FieldKind::Choice { .. })
                ) =>
            {
                f.cycle_choice(if a == CursorLeft { -1 } else { 1 });
            }
            (
                Overlay::Form(f),
                a @ (Backspace | Delete | CursorLeft | CursorRight | Home | End | ClearLine
                | DeleteWord),
            ) => {
                f.edit(|t| {
                    edit_text(t, a);
                });
            }
            (Overlay::Form(f), Submit) => {
                if f.submit().is_some()
                    && let Some(Overlay::Form(form)) = self.mode.pop_overlay()
                {
                    self.submit_form(form);
                }
            }
            _ => {}
        }
    }

    /// Esc on a view: leave it; at the bottom tab clear the filter, then
    /// the marks.
    fn back_from_view(&mut self) {
        if self.mode.pop_view() {
            return;
        }
        if !self.ui.filter.is_empty() {
            self.ui.filter.clear();
            self.keep_selection_valid();
        } else {
            self.ui.marks.clear();
        }
    }

    pub fn go_tab(&mut self, v: View) {
        self.mode.go_tab(v);
    }

    pub fn open_help(&mut self) {
        self.mode.push_overlay(Overlay::Help { scroll: 0 });
    }

    fn open(&mut self) {
        match self.view() {
            View::Fleet => {
                if let Some(id) = self.ui.selected {
                    self.open_node(id);
                }
            }
            View::Heatmap => {
                if let Some(&id) = self.heat_order().get(self.ui.heat.node_pos) {
                    self.ui.selected = Some(id);
                    self.open_node(id);
                }
            }
            View::Node(id) => {
                if let Some(g) = self
                    .fleet
                    .nodes
                    .get(id)
                    .and_then(|n| n.gpus.get(self.ui.gpu_scroll))
                    && let Some(x) = g.xid()
                {
                    let idx = g.index;
                    self.open_xid(id, idx, x);
                }
            }
            View::Alerts => {
                let Some(row) = self.alert_rows().get(self.ui.alert_selected).cloned() else {
                    return;
                };
                match (row.node, row.gpu, row.xid) {
                    (Some(n), Some(g), Some(x)) => self.open_xid(n, g, x),
                    _ => self.mode.push_overlay(Overlay::AlertDetail {
                        row: Box::new(row),
                        scroll: 0,
                    }),
                }
            }
            View::Topology(_) | View::Stack => {}
            View::Log => {
                if let Some(j) = self.log_rows().get(self.ui.log_selected) {
                    let job = j.id;
                    self.mode
                        .push_overlay(Overlay::JobOutput { job, scroll: 0 });
                }
            }
        }
    }

    /// Opens a node's view (and loads its history where the source has it).
    pub fn open_node(&mut self, id: NodeId) {
        self.mode.push_view(View::Node(id));
        self.ui.gpu_scroll = 0;
        if self.history_available {
            let name = self.node_name(id);
            if let Ok(spec) = self.jobs.submit(
                JobKind::HistoryLoad,
                vec![id],
                vec![name],
                JobInput::None,
                self.now,
            ) {
                self.requests.push(Request::RunJob(spec));
            }
        }
    }

    /// The topology pane of node `id`; reads it over SSH when nothing is
    /// known yet.
    pub fn open_topology(&mut self, id: NodeId) {
        self.mode.push_view(View::Topology(id));
        self.ui.topo_scroll = 0;
        if !self.topologies.contains_key(&id) {
            self.collect_topology(id);
        }
    }

    fn collect_topology(&mut self, id: NodeId) {
        let name = self.node_name(id);
        match self.jobs.submit(
            JobKind::TopologyCollect,
            vec![id],
            vec![name.clone()],
            JobInput::None,
            self.now,
        ) {
            Ok(spec) => {
                self.requests.push(Request::RunJob(spec));
                self.notice = Some(format!("{name}: reading the topology over SSH…"));
            }
            Err(job) => self.notice = Some(format!("{name}: job {job} is reading it already")),
        }
    }

    /// `l` / `:scan`: the marked nodes after a confirm, else the one under
    /// the cursor straight away (a read, and only one).
    pub fn scan_targets(&mut self) {
        let targets = self.targets();
        if targets.is_empty() {
            self.notice = Some("no node to scan: select or mark one".into());
            return;
        }
        if self.ui.marks.is_empty() {
            self.submit_scans(targets);
        } else {
            let names = targets.iter().map(|&id| self.node_name(id)).collect();
            self.mode.push_overlay(Overlay::Confirm(Confirm::new(
                format!(
                    "Read the kernel log of {} marked node{} over SSH and scan for Xids?",
                    targets.len(),
                    if targets.len() == 1 { "" } else { "s" }
                ),
                names,
                Pending::ScanKernelLogs(targets),
            )));
        }
    }

    fn submit_scans(&mut self, targets: Vec<NodeId>) {
        let (mut started, mut busy) = (0, Vec::new());
        for id in targets {
            let name = self.node_name(id);
            match self.jobs.submit(
                JobKind::KernelLogScan,
                vec![id],
                vec![name.clone()],
                JobInput::None,
                self.now,
            ) {
                Ok(spec) => {
                    started += 1;
                    self.requests.push(Request::RunJob(spec));
                }
                Err(job) => busy.push(format!("{name} (job {job})")),
            }
        }
        let mut msg = match started {
            0 => String::new(),
            1 => "reading 1 kernel log over SSH…".to_string(),
            n => format!("reading {n} kernel logs over SSH…"),
        };
        if !busy.is_empty() {
            if !msg.is_empty() {
                msg.push_str("  ");
            }
            msg.push_str(&format!("already scanning: {}", busy.join(", ")));
        }
        msg.push_str("  (L: action log)");
        self.notice = Some(msg);
    }

    fn cancel_job(&mut self, id: u64) {
        match self.jobs.get(id) {
            Some(j) if j.state.is_active() => {
                self.requests.push(Request::CancelJob(id));
                self.notice = Some(format!("cancelling job {id}…"));
            }
            Some(_) => self.notice = Some(format!("job {id} has already ended")),
            None => {}
        }
    }

    fn run_pending(&mut self, p: Pending) {
        match p {
            Pending::ScanKernelLogs(ids) => self.submit_scans(ids),
            Pending::CancelJob(id) => self.cancel_job(id),
            Pending::Quit => self.should_quit = true,
            Pending::Exporter(ids, req) => self.submit_exporter_jobs(ids, req),
        }
    }

    /// The form for `i` / `u` / `v`: which exporter (and bundle).
    pub fn open_exporter_form(&mut self, what: super::form::ExporterAction) {
        use super::form::ExporterAction;
        if self.targets().is_empty() {
            self.notice = Some("no node to act on: select or mark one".into());
            return;
        }
        let mut fields = vec![Field::choice(
            "Exporter",
            &["node_exporter", "dcgm-exporter", "all-smi"],
        )];
        if what != ExporterAction::Verify {
            fields.push(Field::text(
                "Bundle",
                Check::Required,
                "/srv/aami/bundle.tar",
            ));
            fields.push(Field::text(
                "Version",
                Check::Optional,
                "newest in the bundle",
            ));
            // dcgm-exporter needs DCGM; a node without it stops the install
            // unless the bundle's DCGM packages may go on.
            fields.push(Field::choice(
                DCGM_FIELD,
                &[DCGM_LEAVE, "install from the bundle"],
            ));
        }
        // Masked; only a non-root user whose sudo asks for a password needs it.
        fields.push(Field::secret(
            "Sudo password",
            "only if sudo asks for one (NOPASSWD needs none)",
        ));
        let mut title = what.word().to_string();
        if let Some(first) = title.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        self.mode.push_overlay(Overlay::Form(Form::new(
            &format!("{title} an exporter"),
            FormPurpose::Exporter(what),
            fields,
        )));
    }

    fn submit_exporter_jobs(&mut self, ids: Vec<NodeId>, req: super::jobs::ExporterRequest) {
        let (mut started, mut busy) = (0, Vec::new());
        for id in ids {
            let name = self.node_name(id);
            match self.jobs.submit(
                JobKind::Exporter,
                vec![id],
                vec![name.clone()],
                JobInput::Exporter(req.clone()),
                self.now,
            ) {
                Ok(spec) => {
                    started += 1;
                    self.requests.push(Request::RunJob(spec));
                }
                Err(job) => busy.push(format!("{name} (job {job})")),
            }
        }
        let mut msg = format!("{} {} on {started} node(s)…", req.action, req.component);
        if !busy.is_empty() {
            msg.push_str(&format!("  busy: {}", busy.join(", ")));
        }
        msg.push_str("  (L: action log)");
        self.notice = Some(msg);
    }

    fn submit_form(&mut self, form: Form) {
        match form.purpose {
            FormPurpose::Exporter(what) => {
                let targets = self.targets();
                let req = super::jobs::ExporterRequest {
                    action: what.word().to_string(),
                    component: form.value("Exporter").unwrap_or_default(),
                    bundle: form.value("Bundle").filter(|b| !b.is_empty()),
                    version: form.value("Version").filter(|v| !v.is_empty()),
                    sudo_password: form
                        .value("Sudo password")
                        .filter(|v| !v.is_empty())
                        .map(super::jobs::Secret),
                    install_dcgm: form.value(DCGM_FIELD).is_some_and(|v| v != DCGM_LEAVE),
                };
                let names = targets.iter().map(|&id| self.node_name(id)).collect();
                let from = req
                    .bundle
                    .as_deref()
                    .map(|b| format!(" from {b}"))
                    .unwrap_or_default();
                let dcgm = if req.install_dcgm && req.component == "dcgm-exporter" {
                    ", and DCGM from the bundle where it is missing,"
                } else {
                    ""
                };
                self.mode.push_overlay(Overlay::Confirm(Confirm::new(
                    format!(
                        "{} {}{}{}{dcgm} on {} node{} over SSH?",
                        what.word(),
                        req.component,
                        req.version
                            .as_deref()
                            .map(|v| format!(" {v}"))
                            .unwrap_or_default(),
                        from,
                        targets.len(),
                        if targets.len() == 1 { "" } else { "s" }
                    ),
                    names,
                    Pending::Exporter(targets, req),
                )));
            }
            FormPurpose::Silence => self.submit_silence(&form),
            FormPurpose::AddNode => self.submit_add_node_form(form),
        }
    }

    fn run_command_line(&mut self) {
        let Some(Overlay::Command(c)) = self.mode.pop_overlay() else {
            return;
        };
        let line = c.input.value().trim().to_string();
        if line.is_empty() {
            return;
        }
        if self.command_history.last() != Some(&line) {
            self.command_history.push(line.clone());
        }
        if let Err(e) = command::execute(self, &line) {
            // Keep the line so the typo can be fixed in place.
            self.mode.push_overlay(Overlay::Command(CommandLine {
                input: TextInput::new(&line),
                error: Some(e),
                ..CommandLine::default()
            }));
        }
    }

    fn arg_options(&self, arg: command::Arg) -> Vec<String> {
        use command::Arg;
        match arg {
            Arg::Node => {
                let mut v: Vec<String> = self
                    .fleet
                    .nodes
                    .iter()
                    .map(|n| n.spec.name.clone())
                    .collect();
                v.sort_by(|a, b| crate::domain::fleet::natural_cmp(a, b));
                v
            }
            Arg::SortColumn => view::SortKey::ALL
                .iter()
                .map(|k| k.word().to_string())
                .collect(),
            Arg::Metric => crate::domain::heat::HeatMetric::ALL
                .iter()
                .map(|m| m.word().to_string())
                .collect(),
            Arg::Theme => crate::config::themes::builtin_names()
                .into_iter()
                .map(String::from)
                .collect(),
            Arg::MarkScope => vec!["all".into(), "none".into()],
            Arg::Source => vec!["stack".into(), "direct".into()],
            Arg::Code => self.xids.iter().map(|e| e.code.to_string()).collect(),
            Arg::None | Arg::Expr => Vec::new(),
        }
    }

    fn move_heat_col(&mut self, d: isize) {
        // Zoomed out, a cell is a node: left and right move by nodes.
        if self.ui.heat.zoom != view::HeatZoom::Gpu {
            let n = self.heat_order().len();
            self.ui.heat.node_pos = clamp_add(self.ui.heat.node_pos, d, n);
            return;
        }
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

    fn move_cursor(&mut self, delta: isize) {
        match self.view() {
            View::Alerts => {
                let n = self.alert_rows().len();
                self.ui.alert_selected = clamp_add(self.ui.alert_selected, delta, n);
            }
            View::Log => {
                let n = self.jobs.len();
                self.ui.log_selected = clamp_add(self.ui.log_selected, delta, n);
            }
            View::Heatmap => {
                let order = self.heat_order();
                // Rows break at groups, except in the edge-to-edge node zoom.
                let breaks = match self.ui.heat.zoom {
                    view::HeatZoom::Node => None,
                    _ => self.ui.heat.group.as_deref(),
                };
                let rows = crate::domain::heat::grid(
                    &self.fleet,
                    &order,
                    breaks,
                    self.ui.geometry.heat_blocks_per_row,
                );
                // Up and down move a screen row (same column); pages move
                // a screen of rows; Home/End go to the ends.
                self.ui.heat.node_pos = match delta {
                    d if d >= isize::MAX / 4 => order.len().saturating_sub(1),
                    d if d <= isize::MIN / 4 => 0,
                    d => {
                        let rows_down = if d.abs() == 1 {
                            d
                        } else {
                            d.signum() * self.ui.geometry.list_rows.max(1) as isize
                        };
                        crate::domain::heat::grid_step(&rows, self.ui.heat.node_pos, rows_down)
                    }
                };
            }
            View::Stack => {
                // The pane clamps what it cannot show.
                self.stack.scroll = clamp_add(self.stack.scroll, delta, 1000);
            }
            View::Topology(_) => {
                // The pane clamps what it cannot show.
                self.ui.topo_scroll = clamp_add(self.ui.topo_scroll, delta, 1000);
            }
            View::Node(id) => {
                let gpus = self.fleet.nodes.get(id).map(|n| n.gpus.len()).unwrap_or(0);
                self.ui.gpu_scroll = clamp_add(self.ui.gpu_scroll, delta, gpus);
            }
            View::Fleet => {
                let visible = self.visible_nodes();
                if visible.is_empty() {
                    self.ui.selected = None;
                    return;
                }
                let pos = self
                    .ui
                    .selected
                    .and_then(|s| visible.iter().position(|v| *v == s))
                    .unwrap_or(0);
                let new = clamp_add(pos, delta, visible.len());
                self.ui.selected = Some(visible[new]);
                self.ui.scroll = scroll_for(new, self.ui.scroll, self.ui.geometry.list_rows);
            }
        }
    }
}

/// `pos + delta` kept inside `0..len`.
fn clamp_add(pos: usize, delta: isize, len: usize) -> usize {
    (pos as isize)
        .saturating_add(delta)
        .clamp(0, len.saturating_sub(1) as isize) as usize
}

fn add(v: u16, d: isize) -> u16 {
    (v as isize + d).clamp(0, u16::MAX as isize) as u16
}

/// Applies a text-editing action to a field; true when it was one.
fn edit_text(t: &mut TextInput, a: Action) -> bool {
    use Action::*;
    match a {
        Type(c) => t.insert(c),
        Paste(s) => t.insert_str(&s),
        Backspace => t.backspace(),
        Delete => t.delete(),
        CursorLeft => t.left(),
        CursorRight => t.right(),
        Home => t.home(),
        End => t.end(),
        ClearLine => t.clear(),
        DeleteWord => t.delete_word(),
        _ => return false,
    }
    true
}
