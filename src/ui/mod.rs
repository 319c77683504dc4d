//! Pure rendering: `render(&App, &Theme, &mut Frame)` and one module per
//! pane. Nothing here reads a clock, a file or the network.

pub mod alerts;
pub mod fleet;
pub mod footer;
pub mod format;
pub mod header;
pub mod heatmap;
pub mod help;
pub mod node;
pub mod theme;
pub mod xid_popup;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout};

use crate::app::{App, Pane};
use theme::Theme;

/// Draws the whole screen: header, tabs, the current pane, footer.
pub fn render(app: &App, theme: &Theme, frame: &mut Frame) {
    let [head, tabs, body, foot] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(1),
        Constraint::Length(1),
    ])
    .areas(frame.area());
    header::render_header(app, theme, frame, head);
    header::render_tabs(app, theme, frame, tabs);
    match app.ui.pane {
        Pane::Fleet => match app.ui.open_node {
            Some(id) => node::render(app, id, theme, frame, body),
            None => fleet::render(app, theme, frame, body),
        },
        Pane::Heatmap => heatmap::render(app, theme, frame, body),
        Pane::Alerts => alerts::render(app, theme, frame, body),
    }
    footer::render(app, theme, frame, foot);
    if app.ui.show_help {
        help::render(theme, frame, body);
    }
    if let Some(p) = &app.ui.xid_popup {
        xid_popup::render(p, theme, frame, body);
    }
}
