//! A form: one row per field (label, value, the cursor in the focused one),
//! the validation message under a field that has one, masked secrets, and
//! the keys at the bottom.

use ratatui::Frame;
use ratatui::layout::{Position, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::footer::split_at_cursor;
use super::popup::centered;
use super::theme::Theme;
use crate::app::form::{FieldKind, Form};
use crate::domain::Severity;

pub fn render(form: &Form, theme: &Theme, frame: &mut Frame, area: Rect) -> usize {
    let label_w = form
        .fields
        .iter()
        .map(|f| f.label.chars().count())
        .max()
        .unwrap_or(4)
        + 1;
    let width = area.width.min(76);
    let value_w = (width as usize).saturating_sub(label_w + 6).max(8);
    let mut lines: Vec<Line> = Vec::new();
    let mut cursor_at = None;
    for (i, f) in form.fields.iter().enumerate() {
        let focused = i == form.focus;
        let marker = if focused { "▶" } else { " " };
        let label = Span::styled(
            format!("{marker}{:<label_w$} ", f.label),
            if focused { theme.title() } else { theme.text() },
        );
        let value: Vec<Span> = match &f.kind {
            FieldKind::Choice { options, selected } => {
                let mut spans = vec![Span::raw("◀ ")];
                for (k, o) in options.iter().enumerate() {
                    let style = if k == *selected {
                        theme.selected().add_modifier(Modifier::BOLD)
                    } else {
                        theme.dim()
                    };
                    spans.push(Span::styled(format!(" {o} "), style));
                }
                spans.push(Span::raw(" ▶"));
                spans
            }
            kind => {
                let shown: String = match kind {
                    FieldKind::Secret => "•".repeat(f.input.value().chars().count()),
                    _ => crate::text::sanitize(f.input.value()),
                };
                // Keep the cursor in view in a long value.
                let cursor = f.input.cursor();
                let skip = cursor.saturating_sub(value_w.saturating_sub(1));
                let visible: String = shown.chars().skip(skip).take(value_w).collect();
                if focused {
                    cursor_at = Some((lines.len(), cursor - skip));
                }
                if visible.is_empty() && !f.hint.is_empty() {
                    vec![Span::styled(format!("{:<value_w$}", f.hint), theme.dim())]
                } else {
                    let (before, after) = split_at_cursor(&visible, cursor - skip);
                    let pad = value_w.saturating_sub(visible.chars().count());
                    vec![Span::styled(
                        format!("{before}{after}{}", " ".repeat(pad)),
                        theme.selected(),
                    )]
                }
            }
        };
        let mut spans = vec![label];
        spans.extend(value);
        lines.push(Line::from(spans));
        if let Some(e) = &f.error {
            lines.push(Line::from(Span::styled(
                format!("{}  ✖ {e}", " ".repeat(label_w + 1)),
                theme.severity(Severity::Critical),
            )));
        }
    }
    let r = centered(area, width, lines.len() as u16 + 2);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(format!(" {} ", form.title));
    frame.render_widget(Clear, r);
    frame.render_widget(Paragraph::new(lines).block(block), r);
    if let Some((row, col)) = cursor_at {
        frame.set_cursor_position(Position {
            x: r.x + 1 + (label_w + 2 + col) as u16,
            y: r.y + 1 + row as u16,
        });
    }
    0
}
