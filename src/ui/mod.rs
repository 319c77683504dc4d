//! Pure rendering: `render(&App, &Theme, &mut Frame)` draws the view and
//! its overlays and returns the layout it used, so keys can move by what is
//! on screen. One module per pane or overlay. Nothing here reads a clock, a
//! file or the network.

pub mod alert_detail;
pub mod alerts;
pub mod command_line;
pub mod confirm;
pub mod fleet;
pub mod footer;
pub mod form;
pub mod format;
pub mod header;
pub mod heatmap;
pub mod help;
pub mod host_key;
pub mod job_output;
pub mod log;
pub mod node;
pub mod onboard;
pub mod popup;
pub mod silences;
pub mod stack;
pub mod theme;
pub mod topology;
pub mod xid_popup;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};

use crate::app::{App, Geometry, Overlay, View};
use theme::Theme;

/// Draws the whole screen: header, tabs, the current view, footer, then the
/// overlays bottom to top.
pub fn render(app: &App, theme: &Theme, frame: &mut Frame) -> Geometry {
    let [head, tabs, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    header::render_header(app, theme, frame, head);
    // The fleet's rows are filtered and sorted once a frame, for the table
    // and the tab row's position.
    let visible = (app.view() == View::Fleet).then(|| app.visible_nodes());
    header::render_tabs(app, visible.as_deref(), theme, frame, tabs);
    let mut geometry = Geometry {
        // A header row above every list.
        list_rows: body.height.saturating_sub(1).max(1) as usize,
        heat_blocks_per_row: heatmap::per_row(app, body.width),
        popup_rows: 1,
    };
    match app.view() {
        View::Fleet => fleet::render(app, visible.as_deref().unwrap_or(&[]), theme, frame, body),
        View::Node(id) => {
            geometry.list_rows = node::render(app, id, theme, frame, body);
        }
        View::Heatmap => heatmap::render(app, theme, frame, body),
        View::Alerts => alerts::render(app, theme, frame, body),
        View::Log => log::render(app, theme, frame, body),
        View::Topology(id) => {
            geometry.list_rows = topology::render(app, id, theme, frame, body);
        }
        View::Stack => stack::render(app, theme, frame, body),
    }
    footer::render(app, theme, frame, foot);
    for overlay in app.mode.overlays() {
        let rows = render_overlay(app, overlay, theme, frame, body, foot);
        geometry.popup_rows = rows.max(1);
    }
    geometry
}

/// Draws one overlay; returns the rows of content it shows at once.
fn render_overlay(
    app: &App,
    overlay: &Overlay,
    theme: &Theme,
    frame: &mut Frame,
    body: Rect,
    foot: Rect,
) -> usize {
    match overlay {
        Overlay::Help { scroll } => help::render(app, *scroll, theme, frame, body),
        Overlay::Xid(p) => xid_popup::render(p, &app.xids, theme, frame, body),
        Overlay::JobOutput { job, scroll } => {
            job_output::render(app, *job, *scroll, theme, frame, body)
        }
        Overlay::Silences { selected } => silences::render(app, *selected, theme, frame, body),
        Overlay::AlertDetail { row, scroll } => {
            alert_detail::render(app, row, *scroll, theme, frame, body)
        }
        Overlay::Confirm(c) => confirm::render(c, theme, frame, body),
        Overlay::HostKey(ask) => host_key::render(app, ask, theme, frame, body),
        Overlay::Onboard(p) => onboard::render(p, theme, frame, body),
        Overlay::Form(f) => form::render(f, theme, frame, body),
        Overlay::Command(c) => command_line::render(c, theme, frame, body, foot),
        // The filter prompt lives in the footer (see footer.rs).
        Overlay::Filter(_) => 1,
    }
}
