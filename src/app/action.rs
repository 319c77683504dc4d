//! What a key (or a tick, or the renderer) asks the app to do.

use std::time::Instant;

use super::mode::View;
use super::view::Geometry;

#[derive(Debug, Clone, PartialEq)]
pub enum Action {
    Quit,
    Tick(Instant),
    /// What the last frame's layout was, reported by the renderer so page
    /// keys and heatmap rows move by what is on screen.
    Geometry(Geometry),
    NextTab,
    PrevTab,
    GoTab(View),
    /// Esc: pop the top overlay, else leave the view, else clear the filter
    /// and marks.
    Back,
    /// Enter on a view: open what is under the cursor.
    Open,
    Move(isize),
    /// Left/right in the heatmap.
    MoveCol(isize),
    PageUp,
    PageDown,
    Top,
    Bottom,
    ToggleHelp,
    /// `:` opens the command line.
    OpenCommand,
    /// `/` opens the filter prompt.
    StartFilter,
    /// `x`: the Xid lookup popup.
    XidLookup,
    CycleSort,
    ReverseSort,
    /// `space`: mark or unmark the node under the cursor.
    ToggleMark,
    /// Mark every node the filter shows.
    MarkVisible,
    ClearMarks,
    /// `a`: the onboarding form.
    AddNode,
    CycleMetric,
    /// `-` / `+` in the heatmap: a cell per node or group, or back to GPUs.
    ZoomOut,
    ZoomIn,
    CycleGroup,
    ToggleDense,
    /// `l`: scan the kernel log of the target nodes over SSH.
    ScanKernelLog,
    /// `c` in the action log: cancel the selected job.
    CancelJob,
    /// `i` / `u` / `v`: install, upgrade or verify an exporter on the
    /// target nodes (a form, then a confirm).
    Exporter(super::form::ExporterAction),
    /// `t` on a node: its topology.
    OpenTopology,
    /// `r` in the topology pane: read it again over SSH.
    RefreshTopology,
    /// `p` in the topology pane: the matrix, or the GPU pairs in words.
    TogglePairs,
    /// `S`: the stack pane.
    OpenStack,
    /// `Q` in the stack pane: query mode against the stack, or back.
    ToggleStackQuery,
    /// `s` on an alert: the silence form.
    SilenceAlert,
    /// `x` in the silences list: expire the selected silence.
    ExpireSilence,
    // Text entry, for whichever overlay takes text.
    /// A typed character (the table's row carries a placeholder).
    Type(char),
    Paste(String),
    Backspace,
    Delete,
    CursorLeft,
    CursorRight,
    Home,
    End,
    ClearLine,
    DeleteWord,
    /// Enter in an overlay: apply the filter, run the command, submit the
    /// form, answer the dialog.
    Submit,
    NextField,
    PrevField,
    HistoryPrev,
    HistoryNext,
    Complete,
    /// `y` in a dialog.
    Confirm,
    /// `n` in a dialog.
    Deny,
    /// ←→ in a dialog or a choice field.
    ToggleChoice(isize),
    /// `o` / `a` in the host-key dialog: accept the key once or always
    /// (refusing is `Deny`).
    HostKey(super::host_key::HostKeyAnswer),
    /// `A` in the host-key dialog: accept always this key and every one
    /// waiting behind it.
    AcceptAllHostKeys,
    /// `u` in the onboarding preview: write the unreachable nodes too (or
    /// not).
    IncludeUnreachable,
}
