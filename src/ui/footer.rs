//! The footer: the keys that work here (from the binding table), or the
//! filter prompt, or the last notice.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::theme::Theme;
use crate::app::{App, Overlay, bindings};
use crate::domain::Severity;

/// The footer's key hints for the current context, fitted to `width`.
pub fn key_hints(app: &App, width: usize) -> String {
    let mut s = String::new();
    for b in bindings::footer(app.context()) {
        let key = b.label.split(' ').next().unwrap_or(b.label);
        let item = format!(" {key} {}", b.footer.unwrap_or(""));
        if s.chars().count() + item.chars().count() + 1 > width {
            break;
        }
        s.push_str(&item);
        s.push(' ');
    }
    s
}

pub fn render(app: &App, theme: &Theme, frame: &mut Frame, area: Rect) {
    let line = match app.mode.overlay() {
        Some(Overlay::Filter(input)) => {
            let (before, after) = split_at_cursor(input.value(), input.cursor());
            Line::from(vec![
                Span::styled(" / ", theme.title()),
                Span::raw(before),
                Span::styled("▏", theme.title()),
                Span::raw(after),
                Span::styled("  Enter keep  Esc clear", theme.dim()),
            ])
        }
        _ => match &app.notice {
            Some(n) => Line::from(Span::styled(
                format!(" {}", crate::text::sanitize(n)),
                theme.severity(Severity::Warning),
            )),
            None => Line::from(Span::styled(
                key_hints(app, area.width as usize),
                theme.dim(),
            )),
        },
    };
    frame.render_widget(Paragraph::new(line), area);
}

/// The text before and after a cursor given in characters.
pub fn split_at_cursor(s: &str, cursor: usize) -> (String, String) {
    let before: String = s.chars().take(cursor).collect();
    let after: String = s.chars().skip(cursor).collect();
    (before, after)
}
