//! Keys to actions. One table, so `?` help and the footer list the same keys
//! the handler obeys.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::Action;
use super::view::{Pane, UiState};

/// (keys, what they do) for the help overlay, in display order.
pub const HELP: &[(&str, &str)] = &[
    ("q  Ctrl-C", "quit"),
    ("?", "show or hide this help"),
    ("Tab  Shift-Tab", "next / previous pane"),
    ("1 2 3", "fleet, heatmap, alerts"),
    ("←→", "heatmap: move across GPUs"),
    (
        "m",
        "heatmap: metric (util, memory, temperature, power, errors, health)",
    ),
    ("g", "heatmap: group rows by rack, gpu_type, or none"),
    ("z", "heatmap: dense cells (one character per GPU) or wide"),
    ("↑↓  j k", "move (nodes, or GPUs in a node)"),
    ("Enter", "open the selected node: its GPUs, gauges, history"),
    ("PgUp PgDn  g G", "page, top, bottom"),
    (
        "o  O",
        "cycle sort (name, state, util, temp, power, health, alerts), reverse",
    ),
    (
        "/",
        "filter: text, label=value, temp>85, util<10, state=down",
    ),
    ("x", "Xid lookup: type a code; ↑↓ scroll; Esc closes"),
    ("l", "in a node: scan its kernel log for Xids over SSH"),
    (
        "Enter on an Xid",
        "alerts or node pane: explain it, with that GPU's details",
    ),
    ("Esc", "close popup or help, leave the node, clear filter"),
];

/// Translates a key event; `None` for keys that do nothing here.
pub fn action_for(key: KeyEvent, ui: &UiState) -> Option<Action> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Some(Action::Quit);
    }
    if ui.xid_popup.is_some() {
        return match key.code {
            KeyCode::Esc => Some(Action::Back),
            KeyCode::Char('q') => Some(Action::Quit),
            KeyCode::Char(c) if c.is_ascii_digit() => Some(Action::XidDigit(c)),
            KeyCode::Backspace => Some(Action::XidBackspace),
            KeyCode::Up | KeyCode::Char('k') => Some(Action::Move(-1)),
            KeyCode::Down | KeyCode::Char('j') => Some(Action::Move(1)),
            KeyCode::PageUp => Some(Action::Move(-10)),
            KeyCode::PageDown => Some(Action::Move(10)),
            _ => None,
        };
    }
    if ui.filter_editing {
        return match key.code {
            KeyCode::Enter => Some(Action::FilterApply),
            KeyCode::Esc => Some(Action::FilterCancel),
            KeyCode::Backspace => Some(Action::FilterBackspace),
            KeyCode::Char(c) if !c.is_control() => Some(Action::FilterChar(c)),
            _ => None,
        };
    }
    Some(match key.code {
        KeyCode::Char('q') => Action::Quit,
        KeyCode::Char('?') => Action::ToggleHelp,
        KeyCode::Char('x') => Action::XidLookup,
        KeyCode::Char('l') if ui.open_node.is_some() => Action::ScanKernelLog,
        KeyCode::Esc => Action::Back,
        KeyCode::Enter => Action::Open,
        KeyCode::Tab => Action::NextPane,
        KeyCode::BackTab => Action::PrevPane,
        KeyCode::Char('1') => Action::GoPane(Pane::Fleet),
        KeyCode::Char('2') => Action::GoPane(Pane::Heatmap),
        KeyCode::Char('3') => Action::GoPane(Pane::Alerts),
        KeyCode::Left | KeyCode::Char('h') if ui.pane == Pane::Heatmap => Action::MoveCol(-1),
        KeyCode::Right | KeyCode::Char('l') if ui.pane == Pane::Heatmap => Action::MoveCol(1),
        KeyCode::Char('m') if ui.pane == Pane::Heatmap => Action::CycleMetric,
        KeyCode::Char('g') if ui.pane == Pane::Heatmap => Action::CycleGroup,
        KeyCode::Char('z') if ui.pane == Pane::Heatmap => Action::ToggleDense,
        KeyCode::Up | KeyCode::Char('k') => Action::Move(-1),
        KeyCode::Down | KeyCode::Char('j') => Action::Move(1),
        KeyCode::PageUp => Action::PageUp,
        KeyCode::PageDown => Action::PageDown,
        KeyCode::Home | KeyCode::Char('g') => Action::Top,
        KeyCode::End | KeyCode::Char('G') => Action::Bottom,
        KeyCode::Char('o') => Action::CycleSort,
        KeyCode::Char('O') => Action::ReverseSort,
        KeyCode::Char('/') => Action::StartFilter,
        _ => return None,
    })
}
