//! The interaction mode as a type: the view the operator is in (a stack, so
//! Esc goes back where they came from) and the overlays on top of it. The
//! dispatcher, `App::apply`, the footer and the help all match on
//! [`Context`], never on loose flags.

use super::command::CommandLine;
use super::confirm::Confirm;
use super::form::Form;
use super::text_input::TextInput;
use super::view::XidPopup;
use crate::domain::NodeId;

/// A full-screen pane.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum View {
    Fleet,
    /// One node's GPUs, gauges and history.
    Node(NodeId),
    Heatmap,
    Alerts,
    /// The action log: background jobs, newest first.
    Log,
    /// One node's GPU/NIC link matrix and NVLinks.
    Topology(NodeId),
    /// The monitoring stack: each server's figures, the query-mode switch.
    Stack,
}

/// Views without their data: what a binding row names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ViewKind {
    Fleet,
    Node,
    Heatmap,
    Alerts,
    Log,
    Topology,
    Stack,
}

impl View {
    pub fn kind(self) -> ViewKind {
        match self {
            View::Fleet => ViewKind::Fleet,
            View::Node(_) => ViewKind::Node,
            View::Heatmap => ViewKind::Heatmap,
            View::Alerts => ViewKind::Alerts,
            View::Log => ViewKind::Log,
            View::Topology(_) => ViewKind::Topology,
            View::Stack => ViewKind::Stack,
        }
    }
}

impl ViewKind {
    pub fn title(self) -> &'static str {
        match self {
            ViewKind::Fleet => "Fleet",
            ViewKind::Node => "Node",
            ViewKind::Heatmap => "Heatmap",
            ViewKind::Alerts => "Alerts",
            ViewKind::Log => "Log",
            ViewKind::Topology => "Topology",
            ViewKind::Stack => "Stack",
        }
    }
}

/// The tabs of the tab row, in order: `1`…`4` and Tab move between them.
pub const TABS: [View; 4] = [View::Fleet, View::Heatmap, View::Alerts, View::Log];

/// Something drawn over the view that takes the keys first.
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Help {
        scroll: u16,
    },
    /// The `/` filter being typed; the filter applies live.
    Filter(TextInput),
    Xid(XidPopup),
    Form(Form),
    Confirm(Confirm),
    Command(CommandLine),
    /// One job's captured output (Enter in the action log).
    JobOutput {
        job: u64,
        scroll: u16,
    },
    /// A rule alert's rule, description and value (Enter in the alerts
    /// pane on an alert that is not an Xid).
    AlertDetail {
        row: Box<super::alert_rows::AlertRow>,
        scroll: u16,
    },
    /// `:silences`: Alertmanager's silences in force.
    Silences {
        selected: usize,
    },
    /// A job waits on an unknown host key: accept once, always, or refuse.
    HostKey(Box<super::host_key::HostKeyAsk>),
    /// Onboarding's preview: a row per node; Enter writes, u includes the
    /// unreachable, Esc writes nothing.
    Onboard(Box<super::onboard::OnboardPreview>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OverlayKind {
    Help,
    Filter,
    Xid,
    Form,
    Confirm,
    Command,
    JobOutput,
    AlertDetail,
    Silences,
    HostKey,
    Onboard,
}

impl Overlay {
    pub fn kind(&self) -> OverlayKind {
        match self {
            Overlay::Help { .. } => OverlayKind::Help,
            Overlay::Filter(_) => OverlayKind::Filter,
            Overlay::Xid(_) => OverlayKind::Xid,
            Overlay::Form(_) => OverlayKind::Form,
            Overlay::Confirm(_) => OverlayKind::Confirm,
            Overlay::Command(_) => OverlayKind::Command,
            Overlay::JobOutput { .. } => OverlayKind::JobOutput,
            Overlay::AlertDetail { .. } => OverlayKind::AlertDetail,
            Overlay::Silences { .. } => OverlayKind::Silences,
            Overlay::HostKey(_) => OverlayKind::HostKey,
            Overlay::Onboard(_) => OverlayKind::Onboard,
        }
    }
}

/// Where the keys go: the top overlay if there is one, else the view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Context {
    View(ViewKind),
    Overlay(OverlayKind),
}

/// The view stack and the overlay stack.
#[derive(Debug, Clone, PartialEq)]
pub struct Mode {
    /// Never empty: the bottom is the tab the operator chose.
    views: Vec<View>,
    overlays: Vec<Overlay>,
}

impl Default for Mode {
    fn default() -> Self {
        Self {
            views: vec![View::Fleet],
            overlays: Vec::new(),
        }
    }
}

impl Mode {
    pub fn view(&self) -> View {
        self.views.last().copied().unwrap_or(View::Fleet)
    }

    /// The tab the current view belongs to (a node opened from the heatmap
    /// belongs to the heatmap).
    pub fn tab(&self) -> View {
        self.views.first().copied().unwrap_or(View::Fleet)
    }

    pub fn context(&self) -> Context {
        match self.overlays.last() {
            Some(o) => Context::Overlay(o.kind()),
            None => Context::View(self.view().kind()),
        }
    }

    /// The context under the top overlay: what the help overlay explains.
    pub fn context_under_top(&self) -> Context {
        match self.overlays.len() {
            0 | 1 => Context::View(self.view().kind()),
            n => Context::Overlay(self.overlays[n - 2].kind()),
        }
    }

    /// Switches tab: the drill-down views above it close.
    pub fn go_tab(&mut self, v: View) {
        self.views.clear();
        self.views.push(v);
    }

    /// Opens a view on top of the current one; Esc comes back.
    pub fn push_view(&mut self, v: View) {
        if self.view() != v {
            self.views.push(v);
        }
    }

    /// Leaves the current view; false at the bottom tab.
    pub fn pop_view(&mut self) -> bool {
        if self.views.len() > 1 {
            self.views.pop();
            true
        } else {
            false
        }
    }

    pub fn overlay(&self) -> Option<&Overlay> {
        self.overlays.last()
    }

    pub fn overlay_mut(&mut self) -> Option<&mut Overlay> {
        self.overlays.last_mut()
    }

    pub fn overlays(&self) -> &[Overlay] {
        &self.overlays
    }

    pub fn push_overlay(&mut self, o: Overlay) {
        // One of a kind: opening help twice does not stack two helps.
        let kind = o.kind();
        self.overlays.retain(|x| x.kind() != kind);
        self.overlays.push(o);
    }

    pub fn pop_overlay(&mut self) -> Option<Overlay> {
        self.overlays.pop()
    }

    /// Takes the overlay of this kind out of the stack, wherever it is.
    pub fn remove_overlay(&mut self, kind: OverlayKind) -> Option<Overlay> {
        let at = self.overlays.iter().rposition(|o| o.kind() == kind)?;
        Some(self.overlays.remove(at))
    }

    /// The open node, if the current view is one.
    pub fn open_node(&self) -> Option<NodeId> {
        match self.view() {
            View::Node(id) => Some(id),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn overlays_take_the_keys_before_the_view() {
        let mut m = Mode::default();
        m.push_view(View::Node(3));
        assert_eq!(m.context(), Context::View(ViewKind::Node));
        m.push_overlay(Overlay::Help { scroll: 0 });
        assert_eq!(m.context(), Context::Overlay(OverlayKind::Help));
        m.pop_overlay();
        assert!(m.pop_view());
        assert_eq!(m.view(), View::Fleet);
        assert!(!m.pop_view());
    }

    #[test]
    fn switching_tab_closes_the_open_node() {
        let mut m = Mode::default();
        m.push_view(View::Node(1));
        m.go_tab(View::Heatmap);
        assert_eq!(m.view(), View::Heatmap);
        assert_eq!(m.open_node(), None);
    }
}
