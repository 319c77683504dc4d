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
/// The way to the help always shows, last, so a narrow footer that drops
/// other keys still says where to find them.
pub fn key_hints(app: &App, width: usize) -> String {
    let item = |b: &bindings::Binding| {
        let key = b.label.split(' ').next().unwrap_or(b.label);
        format!(" {key} {} ", b.footer.unwrap_or(""))
    };
    let rows = bindings::footer(app.context());
    let (help, rest): (Vec<_>, Vec<_>) = rows
        .into_iter()
        .partition(|b| b.action == crate::app::Action::ToggleHelp);
    let tail: String = help.iter().map(|b| item(b)).collect();
    let room = width.saturating_sub(tail.chars().count());
    let mut s = String::new();
    for b in rest {
        let it = item(b);
        if s.chars().count() + it.chars().count() > room {
            break;
        }
        s.push_str(&it);
    }
    s + &tail
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
            // One row: a long notice ends in `…` (the whole text stays in
            // the action log) rather than stopping mid-word at the edge.
            Some(n) => Line::from(Span::styled(
                super::format::fit(
                    &format!(" {}", crate::text::sanitize(n)),
                    area.width as usize,
                ),
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
