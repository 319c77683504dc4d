//! The footer: the keys that work here, or the notice / filter prompt.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use crate::app::App;
use crate::domain::Severity;

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let line = if app.ui.filter_editing {
        Line::from(vec![
            Span::styled(" / ", theme.title()),
            Span::raw(app.ui.filter_draft.clone()),
            Span::styled("▏  Enter keep  Esc clear", theme.dim()),
        ])
    } else if let Some(n) = &app.notice {
        Line::from(Span::styled(
            format!(" {n}"),
            theme.severity(Severity::Warning),
        ))
    } else if app.ui.open_node.is_some() {
        Line::from(Span::styled(
            " ↑↓ scroll GPUs  Esc back to fleet  ? help  q quit",
            theme.dim(),
        ))
    } else {
        Line::from(Span::styled(
            " ↑↓ move  Enter open  Tab pane  o sort  / filter  ? help  q quit",
            theme.dim(),
        ))
    };
    frame.render_widget(Paragraph::new(line), area);
}
