//! The `:` prompt over the footer, with what Tab offered or what went
//! wrong on the line above it.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::footer::split_at_cursor;
use super::theme::Theme;
use crate::app::command::CommandLine;
use crate::domain::Severity;

pub fn render(c: &CommandLine, theme: &Theme, frame: &mut Frame, body: Rect, foot: Rect) -> usize {
    let (before, after) = split_at_cursor(c.input.value(), c.input.cursor());
    let prompt = Line::from(vec![
        Span::styled(" :", theme.title()),
        Span::raw(before.clone()),
        Span::raw(after),
    ]);
    frame.render_widget(Clear, foot);
    frame.render_widget(Paragraph::new(prompt), foot);
    frame.set_cursor_position(Position {
        x: foot.x + 2 + before.chars().count() as u16,
        y: foot.y,
    });
    let above = if let Some(e) = &c.error {
        Some(Line::from(Span::styled(
            format!(" {}", crate::text::sanitize(e)),
            theme.severity(Severity::Warning),
        )))
    } else if !c.candidates.is_empty() {
        Some(Line::from(Span::styled(
            format!(" {}", c.candidates.join("  ")),
            theme.dim(),
        )))
    } else {
        None
    };
    if let Some(line) = above
        && body.height > 0
    {
        let r = Rect {
            y: body.y + body.height - 1,
            height: 1,
            ..body
        };
        frame.render_widget(Clear, r);
        frame.render_widget(Paragraph::new(line), r);
    }
    1
}
