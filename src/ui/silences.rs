//! `:silences`: Alertmanager's silences in force; `x` expires the selected
//! one.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::format::fit;
use super::popup::centered;
use super::theme::Theme;
use crate::alerts::alertmanager::Matcher;
use crate::app::App;

pub fn render(app: &App, selected: usize, theme: &Theme, frame: &mut Frame, area: Rect) -> usize {
    let width = area.width.saturating_sub(4).clamp(20, 150).min(area.width);
    let inner = width.saturating_sub(2) as usize;
    let list = app.remote.live_silences();
    let mut lines: Vec<Line> = Vec::new();
    match &app.remote.silences {
        None => lines.push(Line::from(Span::styled(" reading silences…", theme.dim()))),
        Some(Err(e)) => lines.push(Line::from(Span::styled(
            fit(
                &format!(" Alertmanager: {}", crate::text::sanitize(e)),
                inner,
            ),
            theme.severity(crate::domain::Severity::Critical),
        ))),
        Some(Ok(_)) if list.is_empty() => lines.push(Line::from(Span::styled(
            " no silences in force",
            theme.dim(),
        ))),
        Some(Ok(_)) => {}
    }
    for (i, s) in list.iter().enumerate() {
        let matchers = s
            .matchers
            .iter()
            .map(Matcher::text)
            .collect::<Vec<_>>()
            .join(",");
        let text = format!(
            "{} {:<8} until {}  {}  by {}: {}",
            if i == selected { "▶" } else { " " },
            s.status.state,
            s.ends_at.get(..16).unwrap_or(&s.ends_at).replace('T', " "),
            matchers,
            s.created_by,
            s.comment
        );
        let line = Line::from(fit(&crate::text::sanitize(&text), inner));
        lines.push(if i == selected {
            line.style(theme.selected())
        } else {
            line
        });
    }
    let r = centered(area, width, lines.len() as u16 + 2);
    let shown = r.height.saturating_sub(2) as usize;
    let first = crate::app::scroll_for(selected, 0, shown);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(" silences ")
        .title_bottom(Line::from(" x expire  Esc close ").right_aligned());
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(lines.into_iter().skip(first).collect::<Vec<_>>()).block(block),
        r,
    );
    shown
}
