//! The confirm dialog: the question, every target by name, and the two
//! buttons ("No" has the focus until the operator moves it).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::popup::{centered, clamp_scroll, scroll_hint};
use super::theme::Theme;
use super::wrap::wrap;
use crate::app::confirm::Confirm;
use crate::domain::Severity;

pub fn render(c: &Confirm, theme: &Theme, frame: &mut Frame, area: Rect) -> usize {
    let width = area.width.min(72);
    let inner_w = width.saturating_sub(2) as usize;
    let question: Vec<Line> = wrap(&c.question, inner_w, " ", " ")
        .into_iter()
        .map(|l| Line::from(Span::styled(l, theme.title())))
        .collect();
    let targets: Vec<Line> = c
        .targets
        .iter()
        .map(|t| Line::from(format!("   • {}", crate::text::sanitize(t))))
        .collect();
    // Question, blank, targets, blank, buttons, borders.
    let fixed = question.len() + 3 + 2;
    let height = (fixed + targets.len()).min(area.height as usize) as u16;
    let r = centered(area, width, height);
    let shown = (r.height as usize).saturating_sub(fixed).max(1);
    let first = clamp_scroll(c.scroll, shown, targets.len());
    let button = |label: &str, focused: bool, style| {
        let s = format!("[ {label} ]");
        if focused {
            Span::styled(s, theme.selected().add_modifier(Modifier::BOLD))
        } else {
            Span::styled(s, style)
        }
    };
    let mut lines = question;
    lines.push(Line::from(""));
    lines.extend(targets.into_iter().skip(first).take(shown));
    lines.push(Line::from(""));
    lines.push(
        Line::from(vec![
            button("y Yes", c.yes_focused, theme.severity(Severity::Warning)),
            Span::raw("   "),
            button("n No", !c.yes_focused, theme.text()),
        ])
        .centered(),
    );
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border(true))
        .title(format!(
            " confirm: {} target{} ",
            c.targets.len(),
            if c.targets.len() == 1 { "" } else { "s" }
        ))
        .title_bottom(Line::from(scroll_hint(first, shown, c.targets.len())).right_aligned());
    frame.render_widget(Clear, r);
    frame.render_widget(Paragraph::new(lines).block(block), r);
    shown
}
