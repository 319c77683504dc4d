//! What a key (or a tick) asks the app to do.

use std::time::Instant;

use super::view::Pane;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Quit,
    Tick(Instant),
    Resize(u16, u16),
    NextPane,
    PrevPane,
    GoPane(Pane),
    ToggleHelp,
    /// Esc: close what is open, else clear the filter.
    Back,
    Move(isize),
    /// Enter: open the selected node.
    Open,
    /// Left/right in the heatmap.
    MoveCol(isize),
    /// `m` in the heatmap: next metric.
    CycleMetric,
    /// `g` in the heatmap: next grouping label.
    CycleGroup,
    /// `l` in a node: scan its kernel log for Xids over SSH.
    ScanKernelLog,
    /// `x`: open the Xid lookup popup.
    XidLookup,
    XidDigit(char),
    XidBackspace,
    /// `z` in the heatmap: dense (one character per GPU) or wide cells.
    ToggleDense,
    PageUp,
    PageDown,
    Top,
    Bottom,
    CycleSort,
    ReverseSort,
    StartFilter,
    FilterChar(char),
    FilterBackspace,
    FilterApply,
    FilterCancel,
}
