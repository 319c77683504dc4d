//! The one key table. Each row: keys, where they work, what they do, the
//! help text, and whether the footer shows them. The dispatcher, the `?`
//! overlay and the footer all read this table, so a new key is one row.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::Action;
use super::form::ExporterAction;
use super::host_key::HostKeyAnswer;
use super::mode::{Context, OverlayKind as O, View, ViewKind as V};

/// One key, as the table names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeySpec {
    Key(KeyCode),
    Ctrl(char),
    /// Any printable character; the action becomes `Type(c)`.
    AnyChar,
    /// A digit; the action becomes `Type(c)`.
    Digit,
}

impl KeySpec {
    fn matches(self, key: &KeyEvent) -> Option<Option<char>> {
        let plain = !key
            .modifiers
            .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT);
        match (self, key.code) {
            (KeySpec::Key(KeyCode::Char(want)), KeyCode::Char(got)) => {
                (plain && want == got).then_some(None)
            }
            (KeySpec::Key(want), got) => (want == got).then_some(None),
            (KeySpec::Ctrl(want), KeyCode::Char(got)) => {
                (key.modifiers.contains(KeyModifiers::CONTROL) && got.eq_ignore_ascii_case(&want))
                    .then_some(None)
            }
            (KeySpec::AnyChar, KeyCode::Char(c)) => (plain && !c.is_control()).then_some(Some(c)),
            (KeySpec::Digit, KeyCode::Char(c)) => (plain && c.is_ascii_digit()).then_some(Some(c)),
            _ => None,
        }
    }
}

/// Where a row works.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every context, overlays included (Ctrl-C).
    Always,
    /// Any view, when no overlay is open.
    AnyView,
    Views(&'static [V]),
    Overlays(&'static [O]),
}

impl Scope {
    pub fn contains(self, ctx: Context) -> bool {
        match (self, ctx) {
            (Scope::Always, _) => true,
            (Scope::AnyView, Context::View(_)) => true,
            (Scope::Views(vs), Context::View(v)) => vs.contains(&v),
            (Scope::Overlays(os), Context::Overlay(o)) => os.contains(&o),
            _ => false,
        }
    }

    /// The help section a row is listed under.
    pub fn title(self) -> String {
        match self {
            Scope::Always | Scope::AnyView => "Everywhere".into(),
            Scope::Views(vs) => vs.iter().map(|v| v.title()).collect::<Vec<_>>().join(", "),
            Scope::Overlays(os) => os
                .iter()
                .map(|o| overlay_title(*o))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

pub fn overlay_title(o: O) -> &'static str {
    match o {
        O::Help => "Help",
        O::Filter => "Filter prompt",
        O::Xid => "Xid popup",
        O::Form => "Form",
        O::Confirm => "Confirm dialog",
        O::Command => "Command line",
        O::JobOutput => "Job output",
        O::AlertDetail => "Alert detail",
        O::Silences => "Silences",
        O::HostKey => "Unknown host key",
        O::Onboard => "Onboarding preview",
    }
}

#[derive(Debug, Clone)]
pub struct Binding {
    pub keys: &'static [KeySpec],
    pub scope: Scope,
    pub action: Action,
    /// How the keys are written in help and footer ("↑↓ j k").
    pub label: &'static str,
    /// What it does; empty hides the row (its twin row explains it).
    pub help: &'static str,
    /// The footer's word for it, when the footer shows it.
    pub footer: Option<&'static str>,
}

use KeySpec::{AnyChar, Ctrl, Digit, Key};

const fn row(
    keys: &'static [KeySpec],
    scope: Scope,
    action: Action,
    label: &'static str,
    help: &'static str,
    footer: Option<&'static str>,
) -> Binding {
    Binding {
        keys,
        scope,
        action,
        label,
        help,
        footer,
    }
}

const LISTS: Scope = Scope::Views(&[V::Fleet, V::Node, V::Alerts, V::Log]);
const TEXT: Scope = Scope::Overlays(&[O::Filter, O::Command, O::Form]);
const SCROLLING: Scope = Scope::Overlays(&[O::Help, O::Xid, O::JobOutput, O::Confirm]);

/// The table. Order matters twice: the first matching row wins, and the
/// footer lists its rows in this order (the first fit at 80 columns).
/// One line per row, so the table reads as a table.
#[rustfmt::skip]
pub static BINDINGS: &[Binding] = &[
    row(&[Ctrl('c')], Scope::Always, Action::Quit, "Ctrl-C", "quit", None),
    // Fleet.
    row(&[Key(KeyCode::Enter)], Scope::Views(&[V::Fleet]), Action::Open, "Enter", "open the node: its GPUs, gauges and history", Some("open")),
    row(&[Key(KeyCode::Char(' '))], Scope::Views(&[V::Fleet, V::Heatmap]), Action::ToggleMark, "Space", "mark or unmark the node under the cursor", Some("mark")),
    row(&[Key(KeyCode::Char('/'))], Scope::Views(&[V::Fleet, V::Heatmap]), Action::StartFilter, "/", "filter nodes: text, label=value, temp>85, util<10, state=down", Some("filter")),
    row(&[Key(KeyCode::Char('*'))], Scope::Views(&[V::Fleet, V::Heatmap]), Action::MarkVisible, "*", "mark every node the filter shows", None),
    row(&[Key(KeyCode::Char('U'))], Scope::Views(&[V::Fleet, V::Heatmap]), Action::ClearMarks, "U", "clear all marks", None),
    row(&[Key(KeyCode::Char('l'))], Scope::Views(&[V::Fleet, V::Node]), Action::ScanKernelLog, "l", "scan the kernel log for Xids over SSH (the marked nodes, else this one)", Some("xid scan")),
    row(&[Key(KeyCode::Char('a'))], Scope::Views(&[V::Fleet]), Action::AddNode, "a", "add a node to the config (onboarding form)", Some("add")),
    row(&[Key(KeyCode::Char('o'))], Scope::Views(&[V::Fleet]), Action::CycleSort, "o", "sort by the next column (name, state, util, temp, power, health, alerts)", Some("sort")),
    row(&[Key(KeyCode::Char('O'))], Scope::Views(&[V::Fleet]), Action::ReverseSort, "O", "reverse the sort", None),
    // Node.
    row(&[Key(KeyCode::Enter)], Scope::Views(&[V::Node]), Action::Open, "Enter", "explain the Xid of the GPU under the cursor", Some("explain")),
    row(&[Key(KeyCode::Char('i'))], Scope::Views(&[V::Fleet, V::Node]), Action::Exporter(ExporterAction::Install), "i", "install an exporter from a bundle (the marked nodes, else this one)", Some("install")),
    row(&[Key(KeyCode::Char('u'))], Scope::Views(&[V::Fleet, V::Node]), Action::Exporter(ExporterAction::Upgrade), "u", "upgrade an exporter from a bundle; the old version stays for rollback", None),
    row(&[Key(KeyCode::Char('v'))], Scope::Views(&[V::Fleet, V::Node]), Action::Exporter(ExporterAction::Verify), "v", "verify an exporter: its port answers with its families and version", None),
    row(&[Key(KeyCode::Char('t'))], Scope::Views(&[V::Node]), Action::OpenTopology, "t", "topology: the GPU/NIC link matrix, NVLinks, NUMA affinity", Some("topology")),
    row(&[Key(KeyCode::Char('t'))], Scope::Views(&[V::Fleet]), Action::OpenTopology, "t", "the selected node's topology", None),
    // Topology.
    row(&[Key(KeyCode::Char('r'))], Scope::Views(&[V::Topology]), Action::RefreshTopology, "r", "read the topology again over SSH", Some("refresh")),
    row(&[Key(KeyCode::Char('p'))], Scope::Views(&[V::Topology]), Action::TogglePairs, "p", "GPU pairs in words (which cross the CPU socket, nearest NIC), or the matrix", Some("pairs")),
    // Stack.
    row(&[Key(KeyCode::Char('Q'))], Scope::Views(&[V::Stack]), Action::ToggleStackQuery, "Q", "query mode: read the fleet and its history through the installed stack, or back to scraping directly", Some("query mode")),
    row(&[Key(KeyCode::Char('r'))], Scope::Views(&[V::Stack]), Action::OpenStack, "r", "read the stack's servers again now (they are read every 15 s while this pane is open)", Some("read")),
    // Heatmap.
    row(&[Key(KeyCode::Enter)], Scope::Views(&[V::Heatmap]), Action::Open, "Enter", "open the node under the cursor", Some("open")),
    row(&[Key(KeyCode::Left), Key(KeyCode::Char('h'))], Scope::Views(&[V::Heatmap]), Action::MoveCol(-1), "←→ h l", "move across GPUs", None),
    row(&[Key(KeyCode::Right), Key(KeyCode::Char('l'))], Scope::Views(&[V::Heatmap]), Action::MoveCol(1), "", "", None),
    row(&[Key(KeyCode::Char('m'))], Scope::Views(&[V::Heatmap]), Action::CycleMetric, "m", "metric: util, memory, temperature, power, errors, health", Some("metric")),
    row(&[Key(KeyCode::Char('g'))], Scope::Views(&[V::Heatmap]), Action::CycleGroup, "g", "group rows by rack, gpu_type, or none", Some("group")),
    row(&[Key(KeyCode::Char('-'))], Scope::Views(&[V::Heatmap]), Action::ZoomOut, "- +", "zoom out (a cell per node, then a row per group), zoom in", Some("zoom")),
    row(&[Key(KeyCode::Char('+')), Key(KeyCode::Char('='))], Scope::Views(&[V::Heatmap]), Action::ZoomIn, "", "", None),
    row(&[Key(KeyCode::Char('z'))], Scope::Views(&[V::Heatmap]), Action::ToggleDense, "z", "dense cells (one character per GPU) or wide", None),
    row(&[Key(KeyCode::Home)], Scope::Views(&[V::Heatmap]), Action::Top, "Home End G", "first node, last node", None),
    row(&[Key(KeyCode::End), Key(KeyCode::Char('G'))], Scope::Views(&[V::Heatmap]), Action::Bottom, "", "", None),
    // Alerts.
    row(&[Key(KeyCode::Enter)], Scope::Views(&[V::Alerts]), Action::Open, "Enter", "explain the selected Xid alert", Some("explain")),
    // Action log.
    row(&[Key(KeyCode::Enter)], Scope::Views(&[V::Log]), Action::Open, "Enter", "show the selected job's output", Some("output")),
    row(&[Key(KeyCode::Char('c'))], Scope::Views(&[V::Log]), Action::CancelJob, "c", "cancel the selected job", Some("cancel")),
    // Every view.
    row(&[Key(KeyCode::Up), Key(KeyCode::Char('k'))], Scope::AnyView, Action::Move(-1), "↑↓ j k", "move", Some("move")),
    row(&[Key(KeyCode::Down), Key(KeyCode::Char('j'))], Scope::AnyView, Action::Move(1), "", "", None),
    row(&[Key(KeyCode::PageUp)], Scope::AnyView, Action::PageUp, "PgUp PgDn", "page up, page down", None),
    row(&[Key(KeyCode::PageDown)], Scope::AnyView, Action::PageDown, "", "", None),
    row(&[Key(KeyCode::Home), Key(KeyCode::Char('g'))], LISTS, Action::Top, "g G  Home End", "top, bottom", None),
    row(&[Key(KeyCode::End), Key(KeyCode::Char('G'))], LISTS, Action::Bottom, "", "", None),
    row(&[Key(KeyCode::Char(':'))], Scope::AnyView, Action::OpenCommand, ":", "command line: :node NAME, :xid 79, :heatmap power, :sort temp, :q", Some("cmd")),
    row(&[Key(KeyCode::Esc)], Scope::AnyView, Action::Back, "Esc", "back: leave the view, else clear the filter and marks", Some("back")),
    row(&[Key(KeyCode::Tab)], Scope::AnyView, Action::NextTab, "Tab  Shift-Tab", "next / previous tab", None),
    row(&[Key(KeyCode::BackTab)], Scope::AnyView, Action::PrevTab, "", "", None),
    row(&[Key(KeyCode::Char('1'))], Scope::AnyView, Action::GoTab(View::Fleet), "1 2 3 4", "fleet, heatmap, alerts, action log", None),
    row(&[Key(KeyCode::Char('2'))], Scope::AnyView, Action::GoTab(View::Heatmap), "", "", None),
    row(&[Key(KeyCode::Char('3'))], Scope::AnyView, Action::GoTab(View::Alerts), "", "", None),
    row(&[Key(KeyCode::Char('4'))], Scope::AnyView, Action::GoTab(View::Log), "", "", None),
    row(&[Key(KeyCode::Char('L'))], Scope::AnyView, Action::GoTab(View::Log), "L", "action log: background jobs, newest first", None),
    row(&[Key(KeyCode::Char('S'))], Scope::AnyView, Action::OpenStack, "S", "the monitoring stack: each server's figures; Q there: query mode against it", None),
    row(&[Key(KeyCode::Char('x'))], Scope::AnyView, Action::XidLookup, "x", "Xid lookup: type a code", None),
    row(&[Key(KeyCode::Char('?'))], Scope::AnyView, Action::ToggleHelp, "?", "this help: the keys of this pane first", Some("help")),
    row(&[Key(KeyCode::Char('q'))], Scope::AnyView, Action::Quit, "q", "quit", Some("quit")),
    // Popups that scroll.
    row(&[Key(KeyCode::Esc), Key(KeyCode::Char('q'))], Scope::Overlays(&[O::Help, O::Xid, O::JobOutput]), Action::Back, "Esc q", "close", Some("close")),
    row(&[Key(KeyCode::Char('?'))], Scope::Overlays(&[O::Help]), Action::Back, "", "", None),
    row(&[Key(KeyCode::Char('c'))], Scope::Overlays(&[O::JobOutput]), Action::CancelJob, "c", "cancel the job", Some("cancel")),
    row(&[Key(KeyCode::Char('y'))], Scope::Overlays(&[O::Confirm]), Action::Confirm, "y", "yes: run it on the listed targets", Some("yes")),
    row(&[Key(KeyCode::Char('n')), Key(KeyCode::Esc)], Scope::Overlays(&[O::Confirm]), Action::Deny, "n Esc", "no: cancel", Some("no")),
    row(&[Key(KeyCode::Enter)], Scope::Overlays(&[O::Confirm]), Action::Submit, "Enter", "answer with the focused button", None),
    row(&[Key(KeyCode::Tab), Key(KeyCode::Left), Key(KeyCode::Right)], Scope::Overlays(&[O::Confirm]), Action::ToggleChoice(1), "Tab ←→", "move between yes and no", None),
    row(&[Key(KeyCode::Up), Key(KeyCode::Char('k'))], SCROLLING, Action::Move(-1), "↑↓ j k", "scroll", Some("scroll")),
    row(&[Key(KeyCode::Down), Key(KeyCode::Char('j'))], SCROLLING, Action::Move(1), "", "", None),
    row(&[Key(KeyCode::PageUp)], SCROLLING, Action::PageUp, "PgUp PgDn", "scroll a page", None),
    row(&[Key(KeyCode::PageDown)], SCROLLING, Action::PageDown, "", "", None),
    row(&[Digit], Scope::Overlays(&[O::Xid]), Action::Type('0'), "0-9", "type an Xid code to look it up", Some("code")),
    row(&[Key(KeyCode::Backspace)], Scope::Overlays(&[O::Xid]), Action::Backspace, "Backspace", "delete a digit", None),
    // Prompts and forms.
    row(&[Key(KeyCode::Enter)], Scope::Overlays(&[O::Filter]), Action::Submit, "Enter", "keep the filter", Some("keep")),
    row(&[Key(KeyCode::Esc)], Scope::Overlays(&[O::Filter]), Action::Back, "Esc", "drop the filter", Some("clear")),
    row(&[Key(KeyCode::Enter)], Scope::Overlays(&[O::Command]), Action::Submit, "Enter", "run the command", Some("run")),
    row(&[Key(KeyCode::Tab)], Scope::Overlays(&[O::Command]), Action::Complete, "Tab", "complete the command or its argument", Some("complete")),
    row(&[Key(KeyCode::Up)], Scope::Overlays(&[O::Command]), Action::HistoryPrev, "↑↓", "earlier / later commands", Some("history")),
    row(&[Key(KeyCode::Down)], Scope::Overlays(&[O::Command]), Action::HistoryNext, "", "", None),
    row(&[Key(KeyCode::Esc)], Scope::Overlays(&[O::Command]), Action::Back, "Esc", "close the command line", Some("close")),
    row(&[Key(KeyCode::Enter)], Scope::Overlays(&[O::Form]), Action::Submit, "Enter", "check every field and submit", Some("submit")),
    row(&[Key(KeyCode::Tab), Key(KeyCode::Down)], Scope::Overlays(&[O::Form]), Action::NextField, "Tab  Shift-Tab", "next / previous field", Some("field")),
    row(&[Key(KeyCode::BackTab), Key(KeyCode::Up)], Scope::Overlays(&[O::Form]), Action::PrevField, "", "", None),
    row(&[Key(KeyCode::Esc)], Scope::Overlays(&[O::Form]), Action::Back, "Esc", "cancel the form", Some("cancel")),
    row(&[Key(KeyCode::Left)], TEXT, Action::CursorLeft, "←→ Home End", "move the cursor (←→ change a choice field)", None),
    row(&[Key(KeyCode::Right)], TEXT, Action::CursorRight, "", "", None),
    row(&[Key(KeyCode::Home), Ctrl('a')], TEXT, Action::Home, "", "", None),
    row(&[Key(KeyCode::End), Ctrl('e')], TEXT, Action::End, "", "", None),
    row(&[Key(KeyCode::Backspace)], TEXT, Action::Backspace, "Backspace Del", "delete before / at the cursor", None),
    row(&[Key(KeyCode::Delete)], TEXT, Action::Delete, "", "", None),
    row(&[Ctrl('u')], TEXT, Action::ClearLine, "Ctrl-U Ctrl-W", "clear the line, delete a word", None),
    row(&[Ctrl('w')], TEXT, Action::DeleteWord, "", "", None),
    row(&[AnyChar], TEXT, Action::Type(' '), "text", "typed into the field; paste works too", None),
    // Alert detail (added after the table's original rows).
    row(&[Key(KeyCode::Esc), Key(KeyCode::Char('q')), Key(KeyCode::Enter)], Scope::Overlays(&[O::AlertDetail]), Action::Back, "Esc q", "close", Some("close")),
    row(&[Key(KeyCode::Up), Key(KeyCode::Char('k'))], Scope::Overlays(&[O::AlertDetail]), Action::Move(-1), "↑↓ j k", "scroll", Some("scroll")),
    row(&[Key(KeyCode::Down), Key(KeyCode::Char('j'))], Scope::Overlays(&[O::AlertDetail]), Action::Move(1), "", "", None),
    // Silences (added after the table's original rows).
    row(&[Key(KeyCode::Char('s'))], Scope::Views(&[V::Alerts]), Action::SilenceAlert, "s", "silence the selected alert in Alertmanager", Some("silence")),
    row(&[Key(KeyCode::Char('x'))], Scope::Overlays(&[O::Silences]), Action::ExpireSilence, "x", "expire the selected silence", Some("expire")),
    row(&[Key(KeyCode::Up), Key(KeyCode::Char('k'))], Scope::Overlays(&[O::Silences]), Action::Move(-1), "↑↓ j k", "move", Some("move")),
    row(&[Key(KeyCode::Down), Key(KeyCode::Char('j'))], Scope::Overlays(&[O::Silences]), Action::Move(1), "", "", None),
    row(&[Key(KeyCode::Esc), Key(KeyCode::Char('q'))], Scope::Overlays(&[O::Silences]), Action::Back, "Esc q", "close", Some("close")),
    // Unknown host key (added after the table's original rows).
    row(&[Key(KeyCode::Char('o'))], Scope::Overlays(&[O::HostKey]), Action::HostKey(HostKeyAnswer::Once), "o", "accept the key for this connection only (the next one asks again)", Some("accept once")),
    row(&[Key(KeyCode::Char('a'))], Scope::Overlays(&[O::HostKey]), Action::HostKey(HostKeyAnswer::Always), "a", "accept the key and remember it in aami's known_hosts", Some("accept always")),
    row(&[Key(KeyCode::Char('A'))], Scope::Overlays(&[O::HostKey]), Action::AcceptAllHostKeys, "A", "accept always this key and every one waiting (the dialog lists them)", Some("accept all")),
    row(&[Key(KeyCode::Char('r')), Key(KeyCode::Char('n')), Key(KeyCode::Esc)], Scope::Overlays(&[O::HostKey]), Action::Deny, "r n Esc", "refuse the key: the job fails and says so", Some("refuse")),
    // Onboarding preview (added after the table's original rows).
    row(&[Key(KeyCode::Enter), Key(KeyCode::Char('y'))], Scope::Overlays(&[O::Onboard]), Action::Confirm, "Enter y", "write the listed nodes to the config (one atomic save)", Some("write")),
    row(&[Key(KeyCode::Char('u'))], Scope::Overlays(&[O::Onboard]), Action::IncludeUnreachable, "u", "also write the unreachable nodes (or not)", Some("unreachable")),
    row(&[Key(KeyCode::Esc), Key(KeyCode::Char('n'))], Scope::Overlays(&[O::Onboard]), Action::Deny, "Esc n", "cancel: nothing is written", Some("cancel")),
    row(&[Key(KeyCode::Up), Key(KeyCode::Char('k'))], Scope::Overlays(&[O::Onboard]), Action::Move(-1), "↑↓ j k", "scroll", None),
    row(&[Key(KeyCode::Down), Key(KeyCode::Char('j'))], Scope::Overlays(&[O::Onboard]), Action::Move(1), "", "", None),
];

/// The action a key asks for in this context; `None` when it does nothing.
pub fn action_for(key: KeyEvent, ctx: Context) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    BINDINGS
        .iter()
        .filter(|b| b.scope.contains(ctx))
        .find_map(|b| {
            b.keys
                .iter()
                .find_map(|k| k.matches(&key))
                .map(|typed| match typed {
                    Some(c) => Action::Type(c),
                    None => b.action.clone(),
                })
        })
}

/// The rows the footer shows in this context, in table order.
pub fn footer(ctx: Context) -> Vec<&'static Binding> {
    BINDINGS
        .iter()
        .filter(|b| b.footer.is_some() && b.scope.contains(ctx))
        .collect()
}

/// The help overlay's sections: the rows that work here first (this
/// context's own, then "Everywhere"), then every other section.
pub fn help_sections(ctx: Context) -> Vec<(String, Vec<&'static Binding>)> {
    let mut sections: Vec<(String, Vec<&'static Binding>)> = Vec::new();
    let mut push =
        |title: String, b: &'static Binding| match sections.iter_mut().find(|(t, _)| *t == title) {
            Some((_, rows)) => rows.push(b),
            None => sections.push((title, vec![b])),
        };
    let shown = BINDINGS.iter().filter(|b| !b.help.is_empty());
    let here_title = match ctx {
        Context::View(v) => format!("This pane: {}", v.title()),
        Context::Overlay(o) => format!("Here: {}", overlay_title(o)),
    };
    for b in shown.clone() {
        let specific = !matches!(b.scope, Scope::Always | Scope::AnyView);
        if specific && b.scope.contains(ctx) {
            push(here_title.clone(), b);
        }
    }
    for b in shown.clone() {
        if matches!(b.scope, Scope::Always | Scope::AnyView) {
            push("Everywhere".into(), b);
        }
    }
    for b in shown {
        let specific = !matches!(b.scope, Scope::Always | Scope::AnyView);
        if specific && !b.scope.contains(ctx) {
            push(b.scope.title(), b);
        }
    }
    sections
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::mode::ViewKind;

    fn key(c: KeyCode) -> KeyEvent {
        KeyEvent::new(c, KeyModifiers::NONE)
    }

    #[test]
    fn l_means_right_in_the_heatmap_and_scan_in_a_node() {
        let heat = Context::View(ViewKind::Heatmap);
        let node = Context::View(ViewKind::Node);
        assert_eq!(
            action_for(key(KeyCode::Char('l')), heat),
            Some(Action::MoveCol(1))
        );
        assert_eq!(
            action_for(key(KeyCode::Char('l')), node),
            Some(Action::ScanKernelLog)
        );
    }

    #[test]
    fn text_prompts_take_q_as_a_letter() {
        let cmd = Context::Overlay(O::Command);
        assert_eq!(
            action_for(key(KeyCode::Char('q')), cmd),
            Some(Action::Type('q'))
        );
        assert_eq!(
            action_for(
                KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL),
                cmd
            ),
            Some(Action::Quit)
        );
    }

    #[test]
    fn every_context_has_a_way_back_and_help_shows_it() {
        let contexts = [
            Context::View(ViewKind::Node),
            Context::View(ViewKind::Heatmap),
            Context::View(ViewKind::Log),
            Context::View(ViewKind::Topology),
            Context::View(ViewKind::Stack),
            Context::Overlay(O::Help),
            Context::Overlay(O::Xid),
            Context::Overlay(O::Form),
            Context::Overlay(O::Confirm),
            Context::Overlay(O::Command),
            Context::Overlay(O::Filter),
            Context::Overlay(O::JobOutput),
            Context::Overlay(O::AlertDetail),
            Context::Overlay(O::HostKey),
            Context::Overlay(O::Onboard),
        ];
        for ctx in contexts {
            let back = action_for(key(KeyCode::Esc), ctx);
            assert!(
                matches!(back, Some(Action::Back | Action::Deny)),
                "{ctx:?}: Esc gives {back:?}"
            );
            let first = &help_sections(ctx)[0];
            assert!(
                first.0.starts_with("This pane") || first.0.starts_with("Here"),
                "{ctx:?}: help starts with {}",
                first.0
            );
        }
    }

    #[test]
    fn no_row_is_shadowed_by_an_earlier_one() {
        // A row whose every key is taken, in every context it covers, by an
        // earlier row would never fire.
        let all_contexts: Vec<Context> = [
            ViewKind::Fleet,
            ViewKind::Node,
            ViewKind::Heatmap,
            ViewKind::Alerts,
            ViewKind::Log,
            ViewKind::Topology,
            ViewKind::Stack,
        ]
        .into_iter()
        .map(Context::View)
        .chain(
            [
                O::Help,
                O::Filter,
                O::Xid,
                O::Form,
                O::Confirm,
                O::Command,
                O::JobOutput,
                O::AlertDetail,
                O::Silences,
                O::HostKey,
                O::Onboard,
            ]
            .into_iter()
            .map(Context::Overlay),
        )
        .collect();
        for (i, b) in BINDINGS.iter().enumerate() {
            for k in b.keys {
                let KeySpec::Key(code) = k else { continue };
                let ev = key(*code);
                let reachable = all_contexts
                    .iter()
                    .filter(|c| b.scope.contains(**c))
                    .any(|c| {
                        BINDINGS.iter().position(|x| {
                            x.scope.contains(*c)
                                && x.keys.iter().any(|kk| kk.matches(&ev).is_some())
                        }) == Some(i)
                    });
                assert!(reachable, "row {i} ({}) key {k:?} never fires", b.label);
            }
        }
    }
}
