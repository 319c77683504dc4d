//! One job's captured output, over the action log.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::popup::{centered, clamp_scroll, scroll_hint};
use super::theme::Theme;
use super::wrap::wrap;
use crate::app::App;

pub fn render(
    app: &App,
    job: u64,
    scroll: u16,
    theme: &Theme,
    frame: &mut Frame,
    area: Rect,
) -> usize {
    let Some(j) = app.jobs.get(job) else {
        return 1;
    };
    let width = area.width.saturating_sub(4).max(20).min(area.width);
    let inner_w = width.saturating_sub(2) as usize;
    let mut lines: Vec<Line> = Vec::new();
    let mut head = format!(
        " {} on {} — {}",
        j.kind.word(),
        j.target_names.join(", "),
        j.state.word()
    );
    if let crate::app::jobs::JobState::Ok(s) | crate::app::jobs::JobState::Failed(s) = &j.state {
        head.push_str(&format!(": {}", crate::text::sanitize(s)));
    }
    for l in wrap(head.trim_start(), inner_w, " ", "   ") {
        lines.push(Line::from(Span::styled(l, theme.title())));
    }
    if let Some(f) = &j.output_file {
        lines.push(Line::from(Span::styled(
            format!(" saved in {f}"),
            theme.dim(),
        )));
    }
    if j.output.is_empty() {
        lines.push(Line::from(Span::styled(" (no output yet)", theme.dim())));
    }
    for o in &j.output {
        for l in wrap(o, inner_w, " ", "   ") {
            lines.push(Line::from(l));
        }
    }
    let r = centered(area, width, lines.len() as u16 + 2);
    let shown = r.height.saturating_sub(2) as usize;
    let first = clamp_scroll(scroll, shown, lines.len());
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(format!(" job {} ", j.id))
        .title_bottom(Line::from(scroll_hint(first, shown, lines.len())).right_aligned())
        .title_bottom(Line::from(" c cancel  Esc close ").left_aligned());
    frame.render_widget(Clear, r);
    frame.render_widget(
        Paragraph::new(
            lines
                .into_iter()
                .skip(first)
                .take(shown)
                .collect::<Vec<_>>(),
        )
        .block(block),
        r,
    );
    shown
}
